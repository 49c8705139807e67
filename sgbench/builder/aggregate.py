"""Aggregate answers into samples: one row per (subgroup, question) with its answer distribution.

All subgroups and questions are handled at once: the answers form a (respondent × item) matrix
of scale positions, one ``bincount`` per stratum sums them into a (subgroup × item × option)
array, and shares, modes and margins are read from it with array operations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sgbench.builder.subgroups import Subgroups
from sgbench.catalogue import Item

TIE_TOLERANCE: Final = 1e-12
"""Shares closer than this to the top share are tied modes (weights make exact ties rare, but
unweighted shares tie exactly and must not be split by rounding noise)."""


@dataclass(frozen=True)
class Aggregates:
    """The samples of every kept subgroup and item, and what the thresholds removed."""

    samples: pa.Table
    """One row per (subgroup, question): subgroup and item fields (one column per attribute),
    ``n_valid``, ``counts``, ``distribution``, ``answer``, ``modal_answers``, ``margin``; rows in
    subgroup order, then catalogue order."""
    pairs_below_threshold: int
    """(subgroup, question) pairs with some but fewer than ``min_valid_answers`` valid answers."""
    items_without_samples: tuple[str, ...]
    """Items answered in the country, but by no subgroup ``min_valid_answers`` times."""


def valid_answer_counts(respondents: pd.DataFrame, items: Sequence[Item]) -> pd.Series:
    """Number of valid answers per item over all respondents (0: not asked in the country)."""
    return respondents[[item.question_id for item in items]].notna().sum()


def answer_cells(
    positions: np.ndarray,
    weights: np.ndarray,
    membership: np.ndarray,
    n_subgroups: int,
    n_options: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Answer counts and weight sums per (subgroup, item, option position).

    Args:
        positions: (respondents, items) scale positions, -1 where missing.
        weights: (respondents,) weights.
        membership: (strata, respondents) subgroup row per stratum, -1 outside; each stratum's
            subgroups are consecutive rows.
        n_subgroups: rows of the subgroup table.
        n_options: the largest number of options of any item.

    One ``bincount`` per stratum over that stratum's block of subgroups: memory stays near the
    size of the answer matrix plus the result, whatever the number of subgroups.
    """
    n_items = positions.shape[1]
    block = n_items * n_options
    counts = np.zeros((n_subgroups, n_items, n_options), dtype=np.int64)
    sums = np.zeros((n_subgroups, n_items, n_options), dtype=np.float64)
    item_offset = np.arange(n_items, dtype=np.int64)[None, :] * n_options
    for subgroup_of in membership:
        members = subgroup_of >= 0
        if not members.any():
            continue
        rows = subgroup_of[members]
        first, last = int(rows.min()), int(rows.max()) + 1
        cell_positions = positions[members]
        valid = cell_positions >= 0
        keys = ((rows - first)[:, None] * block + item_offset + cell_positions)[valid]
        cell_weights = np.broadcast_to(weights[members, None], cell_positions.shape)[valid]
        size = (last - first) * block
        counts[first:last] += np.bincount(keys, minlength=size).reshape(-1, n_items, n_options)
        sums[first:last] += np.bincount(keys, weights=cell_weights, minlength=size).reshape(
            -1, n_items, n_options
        )
    return counts, sums


def _list_array(values: np.ndarray, lengths: np.ndarray, value_type: pa.DataType) -> pa.Array:
    """A list column from a flat array cut into consecutive rows of the given lengths."""
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(values, type=value_type))


def aggregate(
    respondents: pd.DataFrame,
    subgroups: Subgroups,
    items: Sequence[Item],
    min_valid_answers: int,
) -> Aggregates:
    """Compute every (subgroup, question) sample with enough valid answers.

    Args:
        respondents: the respondents table (``weight`` and one position column per item).
        subgroups: every subgroup found and the members of the kept ones.
        items: the items to aggregate, in catalogue order.
        min_valid_answers: pairs with fewer valid answers are dropped.

    ``counts`` are unweighted respondent counts per option; ``distribution`` the weighted shares
    (summing to 1); ``answer`` the first modal option in scale order; ``modal_answers`` every
    option within :data:`TIE_TOLERANCE` of the top share; ``margin`` the top share minus the
    second largest (0 on a tie). Rows come in subgroup order, then catalogue order. The result
    is columnar (Arrow): per-item and per-subgroup fields are taken from one small array each,
    so millions of samples cost no Python object per row.
    """
    question_ids = [item.question_id for item in items]
    max_options = max(len(item.options) for item in items)
    positions = respondents[question_ids].to_numpy(dtype=np.int16, na_value=-1)
    counts3, weights3 = answer_cells(
        positions,
        respondents["weight"].to_numpy(dtype=np.float64),
        subgroups.membership,
        len(subgroups.table),
        max_options,
    )
    n_valid3 = counts3.sum(axis=2)
    kept_rows = subgroups.table.index[subgroups.table["kept"]].to_numpy()
    answered = n_valid3[kept_rows] > 0
    enough = n_valid3[kept_rows] >= min_valid_answers
    pairs_below = int((answered & ~enough).sum())
    subgroup_row, item_index = np.nonzero(enough)  # row-major: subgroup order, then items
    subgroup_row = kept_rows[subgroup_row]

    counts = counts3[subgroup_row, item_index]
    weights = weights3[subgroup_row, item_index]
    del counts3, weights3
    n_options = np.array([len(item.options) for item in items], dtype=np.int64)[item_index]
    codes_table = np.full((len(items), max_options), -1, dtype=np.int64)
    for index, item in enumerate(items):
        codes_table[index, : len(item.options)] = item.codes
    pair_codes = codes_table[item_index]

    in_scale = np.arange(max_options)[None, :] < n_options[:, None]
    shares = weights / weights.sum(axis=1, keepdims=True)
    ranked = np.where(in_scale, shares, -np.inf)
    top = ranked.max(axis=1)
    tied = in_scale & (ranked >= (top - TIE_TOLERANCE)[:, None])
    first_mode = tied.argmax(axis=1)
    second = np.sort(ranked, axis=1)[:, -2]
    margin = np.where(tied.sum(axis=1) > 1, 0.0, top - second)

    take_item = pa.array(item_index)
    take_subgroup = pa.array(subgroup_row)
    option_type = pa.struct([("code", pa.int32()), ("label", pa.string())])
    options = pa.array(
        [[{"code": o.code, "label": o.label} for o in item.options] for item in items],
        type=pa.list_(option_type),
    )
    table = subgroups.table
    subgroup_ids = pa.array(table["subgroup_id"].astype(str).tolist(), type=pa.string())
    question_id = pa.array(question_ids, type=pa.string()).take(take_item)
    columns: dict[str, pa.Array] = {
        "id": pc.binary_join_element_wise(question_id, subgroup_ids.take(take_subgroup), "/"),
        "question_id": question_id,
        "question": pa.array([i.question for i in items], pa.string()).take(take_item),
        "section": pa.array([i.section for i in items], pa.string()).take(take_item),
        "options": options.take(take_item),
        "scale_type": pa.array([i.scale_type for i in items], pa.string()).take(take_item),
        "subgroup_id": subgroup_ids.take(take_subgroup),
        "stratum": pa.array(table["stratum"].astype(str).tolist(), pa.string()).take(take_subgroup),
        "persona": pa.array(table["persona"].astype(str).tolist(), pa.string()).take(take_subgroup),
        "subgroup_size": pa.array(table["subgroup_size"].to_numpy(np.int32)).take(take_subgroup),
    }
    for name in subgroups.attributes:
        values = [None if v is None else str(v) for v in table[name].tolist()]
        columns[name] = pa.array(values, pa.string()).take(take_subgroup)
    columns.update(
        {
            "n_valid": pa.array(counts.sum(axis=1).astype(np.int32)),
            "counts": _list_array(counts[in_scale], n_options, pa.int32()),
            "distribution": _list_array(shares[in_scale], n_options, pa.float64()),
            "answer": pa.array(pair_codes[np.arange(len(pair_codes)), first_mode].astype(np.int32)),
            "modal_answers": _list_array(pair_codes[tied], tied.sum(axis=1), pa.int32()),
            "margin": pa.array(margin),
        }
    )
    with_samples = set(np.unique(item_index).tolist())
    answered_items = np.flatnonzero(answered.any(axis=0))
    return Aggregates(
        samples=pa.table(columns),
        pairs_below_threshold=pairs_below,
        items_without_samples=tuple(
            question_ids[i] for i in answered_items if i not in with_samples
        ),
    )
