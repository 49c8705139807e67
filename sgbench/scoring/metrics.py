"""Per-sample metrics: each a plain function of the items and the predictions, defined once here.

Every metric maps ``(items, predictions)`` to one float per sample; the report's overall value is
the mean over the split's samples, a group's value the mean over that group's samples (see
:mod:`sgbench.scoring.grouped`). Notation for one sample: options ``c_0 … c_{K-1}`` in scale order
(the order of the item's ``options``, whatever their codes), ``pos(c)`` the index of code ``c`` in
that order, ``p`` the subgroup's answer distribution, ``M`` its set of modal answers (more than one
when tied), ``a`` the predicted answer and ``q`` the predicted distribution (the one given with the
prediction, else a point mass at ``a``).

A sample without a prediction scores the worst value of every metric: accuracy 0, agreement 0,
nmae 1, wasserstein 1, js_distance 1. Every metric lies in [0, 1].
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, TypeVar

import numpy as np
import numpy.typing as npt

from sgbench.scoring.data import BoolArray, FloatArray, IntArray, ItemArrays
from sgbench.scoring.predictions import PredictionArrays

T = TypeVar("T", bound=np.generic)

MetricFunction = Callable[[ItemArrays, PredictionArrays], FloatArray]


def _value_at(matrix: npt.NDArray[T], position: IntArray) -> npt.NDArray[T]:
    """``matrix[i, position[i]]``, with position -1 (missing) read as position 0."""
    return matrix[np.arange(len(position)), np.maximum(position, 0)]


def accuracy(items: ItemArrays, pred: PredictionArrays) -> FloatArray:
    """Whether the predicted answer is a modal answer of the subgroup.

    ``accuracy = 1 if a ∈ M else 0``. Ties count: with two modal answers, either one is correct.
    Missing prediction: 0. Mean over samples: the share of samples answered with a mode (1 is
    best).
    """
    hit = _value_at(items.modal, pred.position) & pred.answered
    return hit.astype(np.float64)


def nmae(items: ItemArrays, pred: PredictionArrays) -> FloatArray:
    """Normalised absolute error between the predicted answer and the nearest modal answer.

    Ordinal and binary items: ``nmae = min_{m ∈ M} |pos(a) − pos(m)| / (K − 1)``, the distance in
    scale steps to the closest mode, divided by the longest possible distance. Nominal items (no
    order): ``0 if a ∈ M else 1``. Missing prediction: 1. Range [0, 1]; 0 is best, and 0 exactly
    when the sample is accurate.
    """
    steps = np.abs(np.arange(items.codes.shape[1])[None, :] - pred.position[:, None])
    nearest = np.where(items.modal, steps, np.iinfo(np.int64).max).min(axis=1)
    ordinal = nearest / (items.k - 1)
    hit = accuracy(items, pred)
    value = np.where(items.nominal, 1.0 - hit, ordinal)
    return np.where(pred.answered, value, 1.0)


def wasserstein(items: ItemArrays, pred: PredictionArrays) -> FloatArray:
    """Normalised Wasserstein-1 distance between the subgroup's distribution and the prediction's.

    Ordinal and binary items, on the scale with unit steps between neighbouring options:
    ``W = Σ_{j=0}^{K-2} |P(j) − Q(j)| / (K − 1)`` with ``P``, ``Q`` the cumulative distributions of
    ``p`` and ``q`` in scale order; dividing by ``K − 1`` (the largest possible W1) puts it in
    [0, 1]. Nominal items: total variation ``½ Σ_j |p_j − q_j|``. With a point-mass prediction,
    ``W`` is the mean scale distance of the subgroup's answers from ``a`` (over ``K − 1``).
    Missing prediction: 1. 0 is best (the prediction matches the subgroup's whole distribution).
    """
    value = distribution_distance(items.target, pred.distribution, items.k, items.nominal)
    return np.where(pred.answered, value, 1.0)


def distribution_distance(
    p: FloatArray, q: FloatArray, k: IntArray, nominal: BoolArray
) -> FloatArray:
    """Row-wise distance between two distributions over the same item's options (in [0, 1]).

    ``p`` and ``q`` are ``(N, K_max)`` distributions over scale positions, padded with zeros after
    each row's ``k`` options; ``nominal`` marks rows of nominal items. Ordinal and binary rows:
    normalised Wasserstein-1, ``Σ_{j=0}^{K-2} |P(j) − Q(j)| / (K − 1)`` with ``P``, ``Q`` the
    cumulative distributions in scale order. Nominal rows: total variation ``½ Σ_j |p_j − q_j|``.
    0 means identical distributions. This is the distance of :func:`wasserstein`, which applies it
    to the subgroup's distribution and the prediction's; :mod:`sgbench.stats` applies it between
    subgroups.
    """
    gap = np.abs(np.cumsum(p, axis=1) - np.cumsum(q, axis=1))
    inner = np.arange(p.shape[1])[None, :] < (k - 1)[:, None]
    w1 = np.where(inner, gap, 0.0).sum(axis=1) / (k - 1)
    tv = 0.5 * np.abs(p - q).sum(axis=1)
    value: FloatArray = np.clip(np.where(nominal, tv, w1), 0.0, 1.0)
    return value


def agreement(items: ItemArrays, pred: PredictionArrays) -> FloatArray:
    """Share of the subgroup that gave the predicted answer: ``agreement = p_{pos(a)}``.

    Uses the answer only (not a predicted distribution). Missing prediction: 0. Range [0, 1];
    the best reachable value is the modal share, not 1.
    """
    share = _value_at(items.target, pred.position)
    return np.where(pred.answered, share, 0.0)


def js_distance(items: ItemArrays, pred: PredictionArrays) -> FloatArray:
    """Jensen–Shannon distance (base 2) between the subgroup's distribution and the prediction's.

    ``JSD = ½ Σ_j p_j log2(p_j / m_j) + ½ Σ_j q_j log2(q_j / m_j)`` with ``m = (p + q) / 2`` and
    ``0 · log 0 = 0``; the distance is ``√JSD``, in [0, 1] (0: identical, 1: disjoint supports).
    Scale order plays no role. Predictions without a distribution count as a point mass at their
    answer. Missing prediction: 1. Reported only when some prediction carries a distribution.
    """
    p, q = items.target, pred.distribution
    m = 0.5 * (p + q)
    safe_m = np.where(m > 0, m, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        kl_p = np.where(p > 0, p * np.log2(np.where(p > 0, p, 1.0) / safe_m), 0.0)
        kl_q = np.where(q > 0, q * np.log2(np.where(q > 0, q, 1.0) / safe_m), 0.0)
    jsd = 0.5 * kl_p.sum(axis=1) + 0.5 * kl_q.sum(axis=1)
    value = np.sqrt(np.clip(jsd, 0.0, 1.0))
    return np.where(pred.answered, value, 1.0)


@dataclass(frozen=True)
class Metric:
    """A registered metric: its per-sample function and how to read it."""

    name: str
    function: MetricFunction
    higher_is_better: bool
    """True for accuracy-like metrics (the worst group has the lowest value), False for errors."""
    needs_distribution: bool = False
    """Reported only when some prediction carries a distribution."""

    def __call__(self, items: ItemArrays, pred: PredictionArrays) -> FloatArray:
        return self.function(items, pred)


METRICS: Final[dict[str, Metric]] = {
    m.name: m
    for m in (
        Metric("accuracy", accuracy, higher_is_better=True),
        Metric("nmae", nmae, higher_is_better=False),
        Metric("wasserstein", wasserstein, higher_is_better=False),
        Metric("agreement", agreement, higher_is_better=True),
        Metric("js_distance", js_distance, higher_is_better=False, needs_distribution=True),
    )
}
"""Every metric, in report order. Adding a metric means adding a function and one entry here."""

HEADLINE_METRICS: Final = ("accuracy", "nmae", "wasserstein", "agreement")
"""Metrics always reported (``js_distance`` joins them when distributions are given)."""

FAIRNESS_METRICS: Final = ("accuracy", "nmae")
"""Metrics whose spread across groups is reported under ``fairness`` (as in the paper)."""


def metric_names(with_distribution: bool) -> tuple[str, ...]:
    """The metrics a report carries, in order."""
    return tuple(
        name for name, m in METRICS.items() if with_distribution or not m.needs_distribution
    )


def compute(
    items: ItemArrays, pred: PredictionArrays, names: tuple[str, ...]
) -> dict[str, FloatArray]:
    """Per-sample values of the named metrics.

    Raises:
        KeyError: an unknown metric name (a programming error).
    """
    unknown = [n for n in names if n not in METRICS]
    if unknown:
        raise KeyError(f"unknown metric(s) {unknown}; known: {list(METRICS)}")
    return {name: METRICS[name](items, pred) for name in names}
