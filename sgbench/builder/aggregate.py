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

from sgbench.builder.reliability import mode_stability
from sgbench.builder.samples import SampleSet
from sgbench.builder.subgroups import Subgroups
from sgbench.catalogue import Item, question_fields
from sgbench.dataset import TIE_TOLERANCE  # the reader holds rows to the same ties

ITEM_CHUNK: Final = 32
"""Items aggregated per bincount: bounds the temporary key matrix, not the result."""


@dataclass(frozen=True)
class Aggregates:
    """The samples of every kept subgroup and item, and what the thresholds removed."""

    samples: SampleSet
    """One row per (subgroup, question), stored normalised (see :class:`SampleSet`); rows in
    subgroup order, then catalogue order. ``country`` and ``year`` of its subgroup table are
    filled in by the builder."""
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
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Answer counts, weight sums and squared-weight sums per (subgroup, item, option position).

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
    counts = np.zeros((n_subgroups, n_items, n_options), dtype=np.int32)
    sums = np.zeros((n_subgroups, n_items, n_options), dtype=np.float64)
    # float32: the variances feed a three-decimal probability, and this array is as large as sums.
    squares = np.zeros((n_subgroups, n_items, n_options), dtype=np.float32)
    for subgroup_of in membership:
        members = subgroup_of >= 0
        if not members.any():
            continue
        rows = subgroup_of[members]
        first, last = int(rows.min()), int(rows.max()) + 1
        member_weights = weights[members]
        # Items in chunks keep the (members × items) key matrix small for a 97k-row release.
        for start in range(0, n_items, ITEM_CHUNK):
            stop = min(start + ITEM_CHUNK, n_items)
            width = stop - start
            cell_positions = positions[members, start:stop]
            valid = cell_positions >= 0
            offsets = np.arange(width, dtype=np.int64)[None, :] * n_options
            keys = ((rows - first)[:, None] * (width * n_options) + offsets + cell_positions)[valid]
            cell_weights = np.broadcast_to(member_weights[:, None], valid.shape)[valid]
            size = (last - first) * width * n_options
            shape = (last - first, width, n_options)
            counts[first:last, start:stop] += (
                np.bincount(keys, minlength=size).reshape(shape).astype(np.int32)
            )
            sums[first:last, start:stop] += np.bincount(
                keys, weights=cell_weights, minlength=size
            ).reshape(shape)
            squares[first:last, start:stop] += np.bincount(
                keys, weights=cell_weights * cell_weights, minlength=size
            ).reshape(shape)
    return counts, sums, squares


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
    option within :data:`~sgbench.dataset.TIE_TOLERANCE` of the top share; ``margin`` the top
    share minus the second largest (0 on a tie); ``mode_stability`` how often ``answer`` stays
    modal when the pair's respondents are resampled (:mod:`~sgbench.builder.reliability`). Rows
    come in subgroup order, then catalogue order. The result is columnar (Arrow) and normalised, so
    millions of samples cost no Python object per row and no repeated text.
    """
    question_ids = [item.question_id for item in items]
    max_options = max(len(item.options) for item in items)
    positions = respondents[question_ids].to_numpy(dtype=np.int16, na_value=-1)
    # Only kept subgroups have members; number them 0 … n_kept − 1 for compact arrays.
    kept_rows = np.flatnonzero(subgroups.table["kept"].to_numpy())
    kept_number = np.full(len(subgroups.table) + 1, -1, dtype=np.int64)
    kept_number[kept_rows] = np.arange(len(kept_rows))
    membership = kept_number[subgroups.membership]  # -1 stays -1 (last entry)
    counts3, weights3, squares3 = answer_cells(
        positions,
        respondents["weight"].to_numpy(dtype=np.float64),
        membership,
        len(kept_rows),
        max_options,
    )
    n_valid3 = counts3.sum(axis=2)
    answered = n_valid3 > 0
    enough = n_valid3 >= min_valid_answers
    pairs_below = int((answered & ~enough).sum())
    kept_index, item_index = np.nonzero(enough)  # row-major: subgroup order, then items

    counts = counts3[kept_index, item_index]
    weights = weights3[kept_index, item_index]
    squares = squares3[kept_index, item_index]
    del counts3, weights3, squares3
    n_options = np.array([len(item.options) for item in items], dtype=np.int64)[item_index]
    codes_table = np.full((len(items), max_options), -1, dtype=np.int64)
    for index, item in enumerate(items):
        codes_table[index, : len(item.options)] = item.codes
    pair_codes = codes_table[item_index]

    in_scale = np.arange(max_options)[None, :] < n_options[:, None]
    # In place: with millions of samples every (sample × option) float array is ~200 MB.
    shares = weights
    totals = weights.sum(axis=1)
    shares /= totals[:, None]
    distribution = shares[in_scale]
    shares[~in_scale] = -np.inf
    top = np.full(len(shares), -np.inf)
    second = np.full(len(shares), -np.inf)
    for column in shares.T:
        second = np.maximum(second, np.minimum(top, column))
        top = np.maximum(top, column)
    tied = in_scale & (shares >= (top - TIE_TOLERANCE)[:, None])
    first_mode = tied.argmax(axis=1)
    margin = np.where(tied.sum(axis=1) > 1, 0.0, top - second)
    stability = mode_stability(
        shares,
        totals,
        squares,
        first_mode,
        n_options,
        counts.sum(axis=1),
    )

    option_type = pa.struct(
        [("code", pa.int32()), ("label", pa.string()), ("off_scale", pa.bool_())]
    )
    fields = [question_fields(item) for item in items]
    item_table = pa.table(
        {
            "question_id": pa.array(question_ids, pa.string()),
            **{
                name: pa.array(
                    [f[name] for f in fields],
                    pa.list_(option_type) if name == "options" else pa.string(),
                )
                for name in ("question", "section", "options", "scale_type")
            },
        }
    )
    kept = subgroups.table.iloc[kept_rows]
    subgroup_table = pa.table(
        {
            "subgroup_id": pa.array(kept["subgroup_id"].astype(str).tolist(), pa.string()),
            "stratum": pa.array(kept["stratum"].astype(str).tolist(), pa.string()),
            "persona": pa.array(kept["persona"].astype(str).tolist(), pa.string()),
            "subgroup_size": pa.array(kept["subgroup_size"].to_numpy(np.int32)),
            **{
                name: pa.array(
                    [None if v is None else str(v) for v in kept[name].tolist()], pa.string()
                )
                for name in subgroups.attributes
            },
        }
    )
    rows = pa.table(
        {
            "item": pa.array(item_index.astype(np.int32)),
            "subgroup": pa.array(kept_index.astype(np.int32)),
            "n_valid": pa.array(counts.sum(axis=1).astype(np.int32)),
            "counts": _list_array(counts[in_scale], n_options, pa.int32()),
            "distribution": _list_array(distribution, n_options, pa.float64()),
            "answer": pa.array(pair_codes[np.arange(len(pair_codes)), first_mode].astype(np.int32)),
            "modal_answers": _list_array(pair_codes[tied], tied.sum(axis=1), pa.int32()),
            "margin": pa.array(margin),
            "mode_stability": pa.array(stability),
        }
    )
    samples = SampleSet(
        rows=rows, items=item_table, subgroups=subgroup_table, attributes=subgroups.attributes
    )
    with_samples = set(np.unique(item_index).tolist())
    answered_items = np.flatnonzero(answered.any(axis=0))
    return Aggregates(
        samples=samples,
        pairs_below_threshold=pairs_below,
        items_without_samples=tuple(
            question_ids[i] for i in answered_items if i not in with_samples
        ),
    )


def samples_per_subgroup(
    respondents: pd.DataFrame,
    subgroups: Subgroups,
    items: Sequence[Item],
    min_valid_answers: int,
) -> np.ndarray:
    """(table rows,) the samples each kept subgroup would publish: its items with at least
    ``min_valid_answers`` valid answers (0 for a subgroup not kept). What withholding it costs,
    counted before :func:`aggregate` runs."""
    answered = respondents[[item.question_id for item in items]].notna().to_numpy(np.int32)
    valid = np.zeros((len(subgroups.table), answered.shape[1]), dtype=np.int64)
    for rows in subgroups.membership:
        inside = np.flatnonzero(rows >= 0)
        if inside.size == 0:
            continue
        order = inside[np.argsort(rows[inside], kind="stable")]
        groups = rows[order]
        starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
        valid[groups[starts]] = np.add.reduceat(answered[order], starts, axis=0)
    samples: np.ndarray = (valid >= min_valid_answers).sum(axis=1)
    return samples
