"""Aggregate answers into samples: one row per (subgroup, question) with its answer distribution.

All subgroups and questions are handled at once: the answers form a (respondent × item) matrix
of scale positions, one ``bincount`` per stratum sums them into a (subgroup × item × option)
array, and shares, modes and margins are read from it with array operations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from sgbench.builder.subgroups import Subgroups
from sgbench.catalogue import Item

TIE_TOLERANCE: Final = 1e-12
"""Shares closer than this to the top share are tied modes (weights make exact ties rare, but
unweighted shares tie exactly and must not be split by rounding noise)."""


@dataclass(frozen=True)
class Aggregates:
    """The samples of every kept subgroup and item, and what the thresholds removed."""

    samples: pd.DataFrame
    """One row per (subgroup, question): subgroup and item fields, ``n_valid``, ``counts``,
    ``distribution``, ``answer``, ``modal_answers``, ``margin``; rows in subgroup order, then
    catalogue order."""
    pairs_below_threshold: int
    """(subgroup, question) pairs with some but fewer than ``min_valid_answers`` valid answers."""
    items_without_samples: tuple[str, ...]
    """Items answered in the country, but by no subgroup ``min_valid_answers`` times."""


def valid_answer_counts(respondents: pd.DataFrame, items: Sequence[Item]) -> pd.Series:
    """Number of valid answers per item over all respondents (0: not asked in the country)."""
    return respondents[[item.question_id for item in items]].notna().sum()


def _split_rows(values: np.ndarray, lengths: np.ndarray, index: pd.Index) -> pd.Series[Any]:
    """Cut a flat array into consecutive rows of the given lengths (a column of arrays)."""
    return pd.Series(np.split(values, np.cumsum(lengths)[:-1]), index=index, dtype=object)


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
        membership: (strata, respondents) subgroup row per stratum, -1 outside.
        n_subgroups: rows of the subgroup table.
        n_options: the largest number of options of any item.

    One ``bincount`` per stratum over every (respondent, item) cell: memory stays at a few
    arrays of the answer matrix's size, whatever the number of subgroups.
    """
    n_items = positions.shape[1]
    size = n_subgroups * n_items * n_options
    counts = np.zeros(size, dtype=np.int64)
    sums = np.zeros(size, dtype=np.float64)
    item_offset = np.arange(n_items, dtype=np.int64)[None, :] * n_options
    for subgroup_of in membership:
        members = subgroup_of >= 0
        cell_positions = positions[members]
        valid = cell_positions >= 0
        keys = (subgroup_of[members, None] * (n_items * n_options) + item_offset + cell_positions)[
            valid
        ]
        cell_weights = np.broadcast_to(weights[members, None], cell_positions.shape)[valid]
        counts += np.bincount(keys, minlength=size)
        sums += np.bincount(keys, weights=cell_weights, minlength=size)
    shape = (n_subgroups, n_items, n_options)
    return counts.reshape(shape), sums.reshape(shape)


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
    second largest (0 on a tie). Rows come in subgroup order, then catalogue order.
    """
    question_ids = [item.question_id for item in items]
    max_options = max(len(item.options) for item in items)
    positions = respondents[question_ids].to_numpy(dtype=np.int64, na_value=-1)
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

    samples = subgroups.table.loc[subgroup_row].drop(columns="kept").reset_index(drop=True)
    item_fields = (
        pd.DataFrame(
            {
                "question_id": question_ids,
                "question": [item.question for item in items],
                "section": [item.section for item in items],
                "options": [
                    [{"code": o.code, "label": o.label} for o in item.options] for item in items
                ],
                "scale_type": [item.scale_type for item in items],
            }
        )
        .iloc[item_index]
        .reset_index(drop=True)
    )
    samples = pd.concat([samples, item_fields], axis=1)
    samples.insert(0, "id", samples["question_id"] + "/" + samples["subgroup_id"])
    samples["n_valid"] = counts.sum(axis=1)
    samples["counts"] = _split_rows(counts[in_scale], n_options, samples.index)
    samples["distribution"] = _split_rows(shares[in_scale], n_options, samples.index)
    samples["answer"] = pair_codes[np.arange(len(samples)), first_mode]
    samples["modal_answers"] = _split_rows(pair_codes[tied], tied.sum(axis=1), samples.index)
    samples["margin"] = margin

    with_samples = set(np.unique(item_index).tolist())
    answered_items = np.flatnonzero(answered.any(axis=0))
    return Aggregates(
        samples=samples,
        pairs_below_threshold=pairs_below,
        items_without_samples=tuple(
            question_ids[i] for i in answered_items if i not in with_samples
        ),
    )
