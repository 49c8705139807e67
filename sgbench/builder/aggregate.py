"""Aggregate answers into samples: one row per (subgroup, question) with its answer distribution.

All subgroups and questions are handled at once: answers are melted to a long table, joined to
subgroup memberships and summed in one group-by, then laid out as a (pair × option) matrix from
which shares, modes and margins are read with array operations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

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


def aggregate(
    respondents: pd.DataFrame,
    memberships: pd.DataFrame,
    subgroups: pd.DataFrame,
    items: Sequence[Item],
    min_valid_answers: int,
) -> Aggregates:
    """Compute every (subgroup, question) sample with enough valid answers.

    Args:
        respondents: the respondents table (``weight`` and one position column per item).
        memberships: ``respondent``, ``subgroup_id`` of kept subgroups.
        subgroups: the kept subgroups' rows (id, stratum, attribute values, size, persona).
        items: the items to aggregate, in catalogue order.
        min_valid_answers: pairs with fewer valid answers are dropped.

    ``counts`` are unweighted respondent counts per option; ``distribution`` the weighted shares
    (summing to 1); ``answer`` the first modal option in scale order; ``modal_answers`` every
    option within :data:`TIE_TOLERANCE` of the top share; ``margin`` the top share minus the
    second largest (0 on a tie).
    """
    question_ids = [item.question_id for item in items]
    answers = (
        respondents[question_ids]
        .reset_index()
        .melt(id_vars="respondent", var_name="question_id", value_name="position")
        .dropna(subset=["position"])
    )
    answers["weight"] = respondents["weight"].to_numpy()[answers["respondent"].to_numpy()]
    joined = answers.merge(memberships, on="respondent", how="inner", sort=False)
    cells = (
        joined.groupby(["subgroup_id", "question_id", "position"], sort=False, observed=True)
        .agg(count=("weight", "size"), weight=("weight", "sum"))
        .reset_index()
    )
    pair_keys = ["subgroup_id", "question_id"]
    n_valid = cells.groupby(pair_keys, sort=False)["count"].sum().rename("n_valid")
    enough = n_valid[n_valid >= min_valid_answers]
    pairs_below = int((n_valid < min_valid_answers).sum())

    # Order pairs by subgroup order, then catalogue order, so rows are stable across builds.
    pairs = enough.reset_index()
    pairs["subgroup_order"] = pd.Categorical(
        pairs["subgroup_id"], categories=subgroups["subgroup_id"], ordered=True
    ).codes
    pairs["item_order"] = pd.Categorical(
        pairs["question_id"], categories=question_ids, ordered=True
    ).codes
    pairs = pairs.sort_values(["subgroup_order", "item_order"], kind="stable").reset_index(
        drop=True
    )
    pairs["pair"] = np.arange(len(pairs))

    max_options = max(len(item.options) for item in items)
    n_options = np.array([len(items[i].options) for i in pairs["item_order"]], dtype=np.int64)
    codes_table = np.full((len(items), max_options), -1, dtype=np.int64)
    for index, item in enumerate(items):
        codes_table[index, : len(item.options)] = item.codes
    pair_codes = codes_table[pairs["item_order"].to_numpy()]

    cells = cells.merge(pairs[[*pair_keys, "pair"]], on=pair_keys, how="inner")
    rows = cells["pair"].to_numpy()
    cols = cells["position"].to_numpy(dtype=np.int64)
    counts = np.zeros((len(pairs), max_options), dtype=np.int64)
    weights = np.zeros((len(pairs), max_options), dtype=np.float64)
    counts[rows, cols] = cells["count"].to_numpy()
    weights[rows, cols] = cells["weight"].to_numpy()

    in_scale = np.arange(max_options)[None, :] < n_options[:, None]
    shares = weights / weights.sum(axis=1, keepdims=True)
    ranked = np.where(in_scale, shares, -np.inf)
    top = ranked.max(axis=1)
    tied = in_scale & (ranked >= (top - TIE_TOLERANCE)[:, None])
    first_mode = tied.argmax(axis=1)
    second = np.sort(ranked, axis=1)[:, -2]
    margin = np.where(tied.sum(axis=1) > 1, 0.0, top - second)

    samples = pairs[pair_keys].copy()
    samples["n_valid"] = pairs["n_valid"].to_numpy(dtype=np.int64)
    samples["counts"] = _split_rows(counts[in_scale], n_options, samples.index)
    samples["distribution"] = _split_rows(shares[in_scale], n_options, samples.index)
    samples["answer"] = pair_codes[np.arange(len(pairs)), first_mode]
    samples["modal_answers"] = _split_rows(pair_codes[tied], tied.sum(axis=1), samples.index)
    samples["margin"] = margin

    item_fields = pd.DataFrame(
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
    samples = samples.merge(subgroups, on="subgroup_id", how="left", sort=False)
    samples = samples.merge(item_fields, on="question_id", how="left", sort=False)
    samples.insert(0, "id", samples["question_id"] + "/" + samples["subgroup_id"])
    answered = set(samples["question_id"])
    answered_anywhere = set(n_valid.index.get_level_values("question_id"))
    return Aggregates(
        samples=samples,
        pairs_below_threshold=pairs_below,
        items_without_samples=tuple(q for q in question_ids if q in answered_anywhere - answered),
    )
