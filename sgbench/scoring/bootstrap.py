"""Percentile bootstrap intervals, resampling questions (each with all its subgroups).

The unit of resampling is the question: samples of the same question are not independent (the
subgroups overlap and share the item's difficulty), so one replicate draws the split's ``Q``
questions ``Q`` times with replacement and keeps every sample of each drawn question, as many
times as it was drawn. The replicate's statistics are recomputed exactly as for the point
estimate: means over samples (overall and per group) and then the spread figures of
:func:`sgbench.scoring.grouped.spread` over the groups present in the replicate. The interval is
the 2.5th and 97.5th percentile over ``n_boot`` replicates (linear interpolation).

Vectorised: a replicate is a row of the ``(n_boot, Q)`` multiplicity matrix ``W`` (how often each
question was drawn), so per-group sums over a replicate are ``W @ S`` with ``S`` the
``(Q, groups)`` matrix of per-(question, group) sums, and the same for counts.

Randomness comes only from ``np.random.default_rng(seed)``: same seed, same data, same intervals.
Percentile intervals of spread figures (gap, norm_range, cv) need not contain the point estimate:
resampling adds noise that widens the spread between groups, so their bootstrap distribution sits
above the point estimate when the true spread is small.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

from sgbench.errors import InputError
from sgbench.scoring.data import FloatArray, IntArray
from sgbench.scoring.grouped import FIGURES, spread

CONFIDENCE: Final = 0.95
RESAMPLED: Final = "question"
MAX_BOOT: Final = 100_000

Interval = tuple[float, float]


@dataclass(frozen=True)
class Intervals:
    """Bootstrap intervals of the headline metrics and of the spread figures."""

    seed: int
    n_boot: int
    n_questions: int
    metrics: Mapping[str, Interval] = field(default_factory=dict)
    """Metric → (low, high) of its overall value; empty when ``n_boot`` is 0."""
    fairness: Mapping[str, Mapping[str, Mapping[str, Interval]]] = field(default_factory=dict)
    """Grouping → metric → figure → (low, high); empty when ``n_boot`` is 0."""
    groups: Mapping[str, Mapping[str, Mapping[str, Interval]]] = field(default_factory=dict)
    """Grouping → metric → group → (low, high) of the group's mean, for ``fairness_metrics``
    (from the same replicates); empty when ``n_boot`` is 0. Not part of the JSON report; used by
    the score chart (:func:`sgbench.stats.plots.score_chart`)."""


def check_settings(n_boot: object, seed: object) -> None:
    """Raise :class:`InputError` unless ``0 ≤ n_boot ≤ MAX_BOOT`` and ``seed ≥ 0`` are ints."""
    if isinstance(n_boot, bool) or not isinstance(n_boot, int) or not 0 <= n_boot <= MAX_BOOT:
        raise InputError(
            f"bootstrap iterations must be an integer in 0..{MAX_BOOT}, got {n_boot!r}"
        )
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}")


def multiplicities(n_questions: int, n_boot: int, seed: int) -> FloatArray:
    """``(n_boot, n_questions)``: how often each question is drawn in each replicate.

    Each row is one draw of ``n_questions`` questions with replacement (a multinomial with equal
    probabilities), from ``np.random.default_rng(seed)``.
    """
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(n_questions, np.full(n_questions, 1.0 / n_questions), size=n_boot)
    return draws.astype(np.float64)


def _percentiles(replicates: FloatArray) -> FloatArray:
    """The two-sided percentile interval; replicates that are NaN (no group drawn) are left out."""
    tail = (1.0 - CONFIDENCE) / 2.0 * 100.0
    if np.isnan(replicates).all(axis=0).any():
        return np.full((2, *replicates.shape[1:]), np.nan)
    return np.nanpercentile(replicates, [tail, 100.0 - tail], axis=0)


def _cell_sums(
    values: FloatArray, question: IntArray, group: IntArray, n_questions: int, n_groups: int
) -> FloatArray:
    """``(n_questions, n_groups)`` sums of ``values`` per (question, group); group -1 ignored."""
    keep = group >= 0
    cell = question[keep] * n_groups + group[keep]
    sums = np.bincount(cell, weights=values[keep], minlength=n_questions * n_groups)
    return sums.astype(np.float64).reshape(n_questions, n_groups)


def bootstrap_intervals(
    values: Mapping[str, FloatArray],
    questions: Sequence[str] | pd.Series,
    groupings: Mapping[str, Sequence[str | None] | pd.Series],
    fairness_metrics: Sequence[str],
    *,
    n_boot: int,
    seed: int,
) -> Intervals:
    """Intervals for the mean of every metric and for the spread figures of ``fairness_metrics``
    under every grouping (one key per sample; null keys: in no group).

    Raises:
        InputError: invalid ``n_boot`` or ``seed``.
    """
    check_settings(n_boot, seed)
    q_codes, q_names = pd.factorize(pd.Series(np.asarray(questions, dtype=object)), sort=True)
    question = np.asarray(q_codes, dtype=np.int64)
    n_questions = len(q_names)
    if n_boot == 0:
        return Intervals(seed=seed, n_boot=0, n_questions=n_questions)
    weights = multiplicities(n_questions, n_boot, seed)
    everyone = np.zeros(len(question), dtype=np.int64)

    count = weights @ _cell_sums(np.ones(len(question)), question, everyone, n_questions, 1)
    metrics: dict[str, Interval] = {}
    for name, v in values.items():
        total = weights @ _cell_sums(v, question, everyone, n_questions, 1)
        low, high = _percentiles((total / count)[:, 0])
        metrics[name] = (float(low), float(high))

    fairness: dict[str, dict[str, dict[str, Interval]]] = {}
    group_intervals: dict[str, dict[str, dict[str, Interval]]] = {}
    for grouping, keys in groupings.items():
        g_codes, g_names = pd.factorize(pd.Series(np.asarray(keys, dtype=object)), sort=True)
        group = np.asarray(g_codes, dtype=np.int64)
        n_groups = len(g_names)
        if n_groups == 0:
            continue
        ones = np.ones(len(group))
        group_count = weights @ _cell_sums(ones, question, group, n_questions, n_groups)
        fairness[grouping] = {}
        group_intervals[grouping] = {}
        for name in fairness_metrics:
            group_total = weights @ _cell_sums(values[name], question, group, n_questions, n_groups)
            with np.errstate(invalid="ignore", divide="ignore"):
                means = np.where(group_count > 0, group_total / group_count, np.nan)
            bounds = _percentiles(means)
            group_intervals[grouping][name] = {
                str(g): (float(bounds[0, i]), float(bounds[1, i])) for i, g in enumerate(g_names)
            }
            figures = spread(means)
            fairness[grouping][name] = {}
            for figure in FIGURES:
                low, high = _percentiles(figures[figure])
                fairness[grouping][name][figure] = (float(low), float(high))
    return Intervals(
        seed=seed,
        n_boot=n_boot,
        n_questions=n_questions,
        metrics=metrics,
        fairness=fairness,
        groups=group_intervals,
    )


def paired_difference_intervals(
    values: FloatArray,
    questions: Sequence[str] | pd.Series,
    reference: int,
    *,
    n_boot: int,
    seed: int,
) -> FloatArray:
    """``(E, 2)``: the percentile interval of ``mean(values[reference]) − mean(values[e])``.

    ``values`` is ``(E, N)``: one per-sample metric for each of ``E`` prediction sets scored on
    the same ``N`` samples, ``questions`` the question of each sample. Every row is resampled with
    the *same* replicates, so the differences are paired; the replicates are the multiplicity
    matrix ``W`` that :func:`bootstrap_intervals` draws for this seed and number of questions.
    Replicate ``b`` of row ``e`` is ``m[b, e] = Σ_q W[b, q] S[q, e] / Σ_q W[b, q] n_q``, with
    ``S[q, e]`` the sum of row ``e`` over the samples of question ``q`` and ``n_q`` their number;
    the interval is the 2.5th and 97.5th percentile of ``m[b, reference] − m[b, e]`` over ``b``.
    Row ``reference`` gets ``[0, 0]``. All NaN when ``n_boot`` is 0.

    Raises:
        InputError: invalid ``n_boot`` or ``seed``, ``reference`` not a row, or ``values`` without
            one column per sample.
    """
    check_settings(n_boot, seed)
    matrix = np.atleast_2d(np.asarray(values, dtype=np.float64))
    q_codes, q_names = pd.factorize(pd.Series(np.asarray(questions, dtype=object)), sort=True)
    question = np.asarray(q_codes, dtype=np.int64)
    if matrix.shape[1] != len(question) or len(question) == 0:
        raise InputError(
            f"values have {matrix.shape[1]} column(s) for {len(question)} sample(s); "
            "need one per sample, at least one"
        )
    if not 0 <= reference < matrix.shape[0]:
        raise InputError(f"reference row {reference} is not one of {matrix.shape[0]} rows")
    if n_boot == 0:
        return np.full((matrix.shape[0], 2), np.nan)
    n_questions = len(q_names)
    weights = multiplicities(n_questions, n_boot, seed)
    sums = np.zeros((n_questions, matrix.shape[0]), dtype=np.float64)
    np.add.at(sums, question, matrix.T)
    counts = np.bincount(question, minlength=n_questions).astype(np.float64)
    means = (weights @ sums) / (weights @ counts)[:, None]
    return np.asarray(_percentiles(means[:, [reference]] - means).T, dtype=np.float64)
