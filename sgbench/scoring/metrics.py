"""Per-sample metrics: each a plain function of the items and the predictions, defined once here.

Every metric maps ``(items, predictions)`` to one float per sample; the report's overall value is
the mean over the split's samples, a group's value the mean over that group's samples (see
:mod:`sgbench.scoring.grouped`). Notation for one sample: options ``c_0 … c_{K-1}`` in scale order
(the order of the item's ``options``, whatever their codes), ``pos(c)`` the index of code ``c`` in
that order, ``p`` the subgroup's answer distribution, ``M`` its set of modal answers (more than one
when tied), ``a`` the predicted answer and ``q`` the predicted distribution (the one given with the
prediction, else a point mass at ``a``).

Off-scale options (``off_scale`` in the dataset, e.g. Q119's "hard to say" listed mid-scale) are
answers but not points of the scale. Metrics that use scale distances (``nmae``,
``wasserstein``) measure the scale over the on-scale options only, ``r(c)`` being ``c``'s rank
among them and ``K'`` their number, and treat off-scale options nominally: an off-scale answer is
at distance 0 from itself and 1 (the largest distance) from every other option. On items without
off-scale options, ``r = pos`` and ``K' = K``.

A sample without a prediction scores the worst value of every metric: accuracy 0, agreement 0,
nmae 1, wasserstein 1, js_distance 1. Every metric lies in [0, 1]. ``refusal_rate`` is not a score
of the answer but how often the model refused (a refused sample is also a missing one).
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


def _scale_rank(items: ItemArrays) -> tuple[IntArray, IntArray]:
    """Each option's rank among the on-scale options (``r``), and their number per row (``K'``)."""
    on = items.valid & ~items.off_scale
    rank = np.cumsum(on, axis=1) - 1
    return rank, on.sum(axis=1)


def nmae(items: ItemArrays, pred: PredictionArrays) -> FloatArray:
    """Normalised absolute error between the predicted answer and the nearest modal answer.

    Ordinal and binary items: ``nmae = min_{m ∈ M} d(a, m)``, the distance to the closest mode,
    where ``d(a, m) = |r(a) − r(m)| / (K' − 1)`` when both are on the scale (scale steps over the
    longest possible distance), and, when either is off-scale, 0 if ``a = m`` else 1. Without
    off-scale options this is ``min_m |pos(a) − pos(m)| / (K − 1)``. Nominal items (no order):
    ``0 if a ∈ M else 1``. Missing prediction: 1. Range [0, 1]; 0 is best, and 0 exactly when
    the sample is accurate.

    Example: Q119 (strongly agree, agree, hard to say [off-scale], disagree, strongly disagree),
    mode "agree": answering "disagree" gives ``|1 − 2| / 3 = 1/3`` (one step on the 4-point
    scale); answering "hard to say" gives 1.
    """
    rank, k_on = _scale_rank(items)
    off = items.off_scale
    columns = np.arange(items.codes.shape[1])[None, :]
    rank_a = _value_at(rank, pred.position)[:, None]
    off_a = _value_at(off, pred.position)[:, None]
    on_scale = np.abs(rank - rank_a) / np.maximum(k_on - 1, 1)[:, None]
    distance = np.where(
        off | off_a, np.where(columns == pred.position[:, None], 0.0, 1.0), on_scale
    )
    nearest = np.where(items.modal, distance, np.inf).min(axis=1)
    hit = accuracy(items, pred)
    value = np.where(items.nominal, 1.0 - hit, nearest)
    return np.where(pred.answered, value, 1.0)


def wasserstein(items: ItemArrays, pred: PredictionArrays) -> FloatArray:
    """Normalised Wasserstein-1 distance between the subgroup's distribution and the prediction's.

    Ordinal and binary items, on the scale with unit steps between neighbouring options:
    ``W = Σ_{j=0}^{K-2} |P(j) − Q(j)| / (K − 1)`` with ``P``, ``Q`` the cumulative distributions of
    ``p`` and ``q`` in scale order; dividing by ``K − 1`` (the largest possible W1) puts it in
    [0, 1]. With off-scale options, see :func:`distribution_distance` (off-scale options compared
    nominally, the rest by W1 over the on-scale options). Nominal items: total variation
    ``½ Σ_j |p_j − q_j|``. With a point-mass prediction, ``W`` is the mean distance of the
    subgroup's answers from ``a`` (over ``K − 1``; an off-scale answer or prediction counts 1
    unless they are the same option). Missing prediction: 1. 0 is best (the prediction matches the
    subgroup's whole distribution).
    """
    value = distribution_distance(
        items.target, pred.distribution, items.k, items.nominal, items.off_scale
    )
    return np.where(pred.answered, value, 1.0)


def distribution_distance(
    p: FloatArray,
    q: FloatArray,
    k: IntArray,
    nominal: BoolArray,
    off_scale: BoolArray | None = None,
) -> FloatArray:
    """Row-wise distance between two distributions over the same item's options (in [0, 1]).

    ``p`` and ``q`` are ``(N, K_max)`` distributions over scale positions, padded with zeros after
    each row's ``k`` options; ``nominal`` marks rows of nominal items; ``off_scale`` (optional)
    marks options that are not points of the scale. Ordinal and binary rows without off-scale
    options: normalised Wasserstein-1, ``W1 = Σ_{j=0}^{K-2} |P(j) − Q(j)| / (K − 1)`` with ``P``,
    ``Q`` the cumulative distributions in scale order. Nominal rows: total variation
    ``½ Σ_j |p_j − q_j|``. 0 means identical distributions.

    Ordinal rows with off-scale options ``O`` (on-scale options ``S``, ``K' = |S|``, masses
    ``p_S = Σ_{j ∈ S} p_j`` and ``q_S``): the off-scale options and the scale as a whole are
    compared nominally, and the answers on the scale by W1 along it::

        W = ½ (Σ_{o ∈ O} |p_o − q_o| + |p_S − q_S|) + min(p_S, q_S) · W1(p|S, q|S)

    with ``p|S = p / p_S`` restricted to ``S`` (the on-scale answers renormalised; the term is 0
    when either has no on-scale mass) and ``W1`` over ``K'`` points. It is at most 1, equals W1
    when nobody chose an off-scale option, and gives ``1 − p_a`` for a point mass at an off-scale
    option ``a``. Against a point mass it is the optimal transport cost with ground distance 1
    to and from off-scale options; between two spread distributions it is the cost of one
    feasible plan (on-scale answers moved in proportion), an upper bound of that optimum.
    Example (Q122: disagree, hard to say [off-scale], agree), ``p = [.5, .2, .3]``
    and ``q`` a point mass at "agree": ``½ (.2 + |.8 − 1|) + .8 · |.625 − 0| / 1 = .7``, the mean
    distance of the subgroup's answers from "agree" (disagree 1, hard to say 1, agree 0).

    This is the distance of :func:`wasserstein`, which applies it to the subgroup's distribution
    and the prediction's; :mod:`sgbench.stats` applies it between subgroups.
    """
    width = p.shape[1]
    valid = np.arange(width)[None, :] < k[:, None]
    off = np.zeros_like(valid) if off_scale is None else (off_scale & valid)
    on = valid & ~off
    k_on = on.sum(axis=1)
    p_on = np.where(on, p, 0.0).sum(axis=1)
    q_on = np.where(on, q, 0.0).sum(axis=1)
    coarse = 0.5 * (np.where(off, np.abs(p - q), 0.0).sum(axis=1) + np.abs(p_on - q_on))
    p_scale = np.where(on, p, 0.0) / np.where(p_on > 0, p_on, 1.0)[:, None]
    q_scale = np.where(on, q, 0.0) / np.where(q_on > 0, q_on, 1.0)[:, None]
    gap = np.abs(np.cumsum(p_scale, axis=1) - np.cumsum(q_scale, axis=1))
    # Off-scale columns carry no mass here, so cumulative sums at on-scale columns are those of
    # the compressed scale; its last point (rank K' − 1) is left out as in W1.
    inner = on & ((np.cumsum(on, axis=1) - 1) < (k_on - 1)[:, None])
    w1 = np.where(inner, gap, 0.0).sum(axis=1) / np.maximum(k_on - 1, 1)
    ordinal = coarse + np.minimum(p_on, q_on) * w1
    tv = 0.5 * np.abs(p - q).sum(axis=1)
    value: FloatArray = np.clip(np.where(nominal, tv, ordinal), 0.0, 1.0)
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


def refusal_rate(items: ItemArrays, pred: PredictionArrays) -> FloatArray:
    """Whether the model refused the sample (a ``refusal`` line in the predictions).

    ``refusal_rate = 1 if refused else 0``; a group's value is the share of its samples refused
    (0 is best). Reported only when some sample was refused; its spread across groups (a model
    refusing one religion's persona more than another's) is a fairness figure like the others.
    """
    if pred.refused is None:
        return np.zeros(items.n, dtype=np.float64)
    return pred.refused.astype(np.float64)


@dataclass(frozen=True)
class Metric:
    """A registered metric: its per-sample function and how to read it."""

    name: str
    function: MetricFunction
    higher_is_better: bool
    """True for accuracy-like metrics (the worst group has the lowest value), False for errors."""
    needs_distribution: bool = False
    """Reported only when some prediction carries a distribution."""
    lead: tuple[str, ...] = ("cv_between",)
    """Spread figures a report shows first for this metric (its ``p_value`` follows them).
    Error-like metrics lead with ``gap`` and ``sd_between``: their ``cv`` and ``norm_range``
    divide by a mean or maximum that shrinks as errors fall."""
    needs_refusals: bool = False
    """Reported only when some sample was refused."""

    def __call__(self, items: ItemArrays, pred: PredictionArrays) -> FloatArray:
        return self.function(items, pred)


METRICS: Final[dict[str, Metric]] = {
    m.name: m
    for m in (
        Metric("accuracy", accuracy, higher_is_better=True),
        Metric("nmae", nmae, higher_is_better=False, lead=("gap", "sd_between")),
        Metric("wasserstein", wasserstein, higher_is_better=False),
        Metric("agreement", agreement, higher_is_better=True),
        Metric("js_distance", js_distance, higher_is_better=False, needs_distribution=True),
        Metric(
            "refusal_rate",
            refusal_rate,
            higher_is_better=False,
            needs_refusals=True,
            lead=("gap", "sd_between"),
        ),
    )
}
"""Every metric, in report order. Adding a metric means adding a function and one entry here."""

HEADLINE_METRICS: Final = ("accuracy", "nmae", "wasserstein", "agreement")
"""Metrics always reported (``js_distance`` joins them when distributions are given)."""

FAIRNESS_METRICS: Final = ("accuracy", "nmae")
"""Metrics whose spread across groups is reported under ``fairness`` (as in the paper);
``refusal_rate`` joins them when some sample was refused (:func:`fairness_names`)."""


def metric_names(with_distribution: bool, with_refusals: bool = False) -> tuple[str, ...]:
    """The metrics a report carries, in order."""
    return tuple(
        name
        for name, m in METRICS.items()
        if (with_distribution or not m.needs_distribution)
        and (with_refusals or not m.needs_refusals)
    )


def fairness_names(names: tuple[str, ...]) -> tuple[str, ...]:
    """The metrics among ``names`` whose spread is reported: :data:`FAIRNESS_METRICS`, and
    ``refusal_rate`` when reported."""
    return (*FAIRNESS_METRICS, *(n for n in names if n in METRICS and METRICS[n].needs_refusals))


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
