"""Noise-aware spread across groups: per-group standard errors, the spread corrected for noise,
and a permutation null, all computed from per-(question, unit) cell aggregates.

A *unit* is what the two-way bootstrap resamples besides questions (a subgroup); a *grouping*
maps every unit to at most one group (the subgroup itself, or one value of an attribute). The
cell table holds, for every metric, ``S[q, u]`` (sum of the per-sample values of unit ``u`` on
question ``q``) and ``N[q, u]`` (their number). It is built once; every replicate and every
permutation is a matrix operation on it, never on samples. A group's cells are the sums of its
units' cells: ``S[q, g] = Σ_{u ∈ g} S[q, u]``, the same for ``N``.

Definitions, for one metric and one grouping of ``G`` groups (group ``g`` seen on ``n_g``
questions, ``m_g = Σ_q S[q, g] / Σ_q N[q, g]`` its value):

- ``se_g``, the group's standard error over its questions (questions are the sampling unit; the
  samples of one question are a cluster), measured on *question-centred* cells: each question's
  level over all the grouping's samples, ``x_q = Σ_g S[q, g] / Σ_g N[q, g]``, is taken out,
  ``S'[q, g] = S[q, g] − N[q, g] x_q`` (a question that is hard for every group moves every group
  alike and adds nothing to the spread between them). With ``m'_g = Σ_q S'[q, g] / Σ_q N[q, g]``,
  the linearised (delta-method) standard error of the ratio, with the usual ``n / (n − 1)``
  small-sample factor and ``G / (G − 1)`` for the centring (exact for one sample per cell on a
  full grid of questions × groups, close otherwise)::

      se_g² = G / (G − 1) · n_g / (n_g − 1) · Σ_q (S'[q, g] − m'_g N[q, g])² / (Σ_q N[q, g])²

  With one sample per question (a subgroup) this is ``G / (G − 1) · s² / n_g``, ``s²`` the sample
  variance (ddof 1) of the group's per-question deviations from the question levels. Only the
  questions the group shares with another group measure it (on a question seen by one group the
  level is that group's value and the centred cell is 0 whatever the noise): ``S'``, ``m'_g`` and
  ``n_g`` are over the shared questions, and the last denominator is ``Σ_shared N · Σ_q N`` (the
  spread measured there, scaled to all the group's questions). A group sharing fewer than 2
  questions has no standard error (NaN) and is left out of ``sd_noise`` (NaN, not 0, when no
  group has one); with one group there is none. A group whose values are all at their
  questions' levels has ``se_g = 0``.
- ``sd_observed``: the sample standard deviation (ddof 1) of the group values. (``cv`` of
  :mod:`sgbench.scoring.grouped` keeps the paper's ddof 0.) ddof 1 makes ``sd_noise²`` the exact
  expected contribution of independent group noise to ``sd_observed²``.
- ``sd_noise = sqrt(mean_g se_g²)``, the root mean square of the standard errors.
- ``sd_between = sqrt(max(0, sd_observed² − sd_noise²))``, the spread left once the noise is
  taken out; ``cv_between = sd_between / mean_g m_g`` (0 when that mean is 0).

The permutation null does not rely on ``sd_noise``:

- **permutation null**: within each question, the group labels of the units seen on that question
  (and in some group) are shuffled (one uniform permutation per question and replicate, from a
  seeded generator); the group values are recomputed. The statistic is ``sd_observed``;
  ``p_value = (1 + #{permutations with sd_observed ≥ the observed one}) / (1 + n_permutations)``
  (add-one: never 0, and exact in level). The null mean of each descriptive figure
  (``norm_range``, ``cv``, ``gap``, ``ratio``) and of ``sd_observed`` says how large the figure is
  when group labels mean nothing.
- **subgroup permutation** (:func:`block_permuted_means`, two-way reports, groupings that pool
  several units): the group labels are shuffled among whole units within blocks, each unit
  keeping its own cells. A group gains and loses samples (and noisier or quieter ones) with its
  units, so the statistic is studentised: each group's total of question-centred cells squared
  over its own sum of their squares, ``Σ_g T'_g² / R_g`` (:func:`between_groups`), whose terms
  have about the same null distribution whatever a group's size and noise; same add-one
  p-value (:func:`block_p_value`). Its null is about the populations of
  units, not these units. Its outcomes are few when blocks are small: a row whose blocks allow
  ``1 / DETECTABLE`` or fewer distinct arrangements (:func:`block_arrangements`) could never
  reach ``p < DETECTABLE`` and has no test (:func:`block_testable`).

Worked example (one metric, two groups, three questions, one sample per cell): group ``a`` scores
``1, 1, 0`` and ``b`` scores ``0, 0, 0``. ``m = (2/3, 0)``. Question levels ``1/2, 1/2, 0``, so the
centred values are ``1/2, 1/2, 0`` for ``a`` and ``−1/2, −1/2, 0`` for ``b``, each with sample
variance 1/12; ``se_a² = se_b² = 2 · (1/12) / 3 = 1/18``; ``sd_noise² = 1/18``;
``sd_observed² = 2/9`` (ddof 1 of ``2/3, 0``);
``sd_between = sqrt(2/9 − 1/18) = sqrt(1/6) ≈ 0.408``;
``cv_between = 0.408 / (1/3) ≈ 1.225``. Shuffling labels within each question: only the swaps
on questions 1 and 2 matter (question 3 has two zeros); of their 4 equally likely outcomes, 2 keep
both 1s in one group (the observed spread) and 2 split them (spread 0), so the exact p-value is
2/4 = 0.5, which the add-one Monte Carlo p-value approaches as permutations grow.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from sgbench.errors import InputError
from sgbench.scoring.data import FloatArray, IntArray
from sgbench.scoring.grouped import FIGURES, spread
from sgbench.scoring.samples import Keys

NOISE_FIGURES: Final = ("sd_observed", "sd_noise", "sd_between", "cv_between")
"""Noise-aware figures, in report order."""

NULL_STATISTIC: Final = "sd_observed"
"""The statistic the within-question permutation p-value compares."""

BLOCK_STATISTIC: Final = "between_groups"
"""The statistic the subgroup permutation's p-value compares (:func:`between_groups`)."""

CHUNK_CELLS: Final = 1 << 22
"""Replicates are processed in chunks of about this many (replicate × cell) values, which bounds
memory by questions × units × chunk, whatever the number of replicates."""

EXACT: Final = "permutation"
MOMENT_MATCHED: Final = "moment-matched"
SUBGROUP_SHUFFLE: Final = "subgroup permutation"
"""The null of a grouping of several subgroups in a two-way report (:func:`block_permuted_means`):
group labels shuffled among whole subgroups, within blocks."""

EXACT_POSITIONS: Final = 1 << 25
"""Largest ``permutations × questions × width`` shuffled exactly (``width``: the most units seen
on one question): a second or two of CPU for four groupings and two metrics. Above it, see
:func:`null_plan`."""

MEAN_POSITIONS: Final = 1 << 22
"""Above :data:`EXACT_POSITIONS`, the null means of the figures come from
``MEAN_POSITIONS // (questions × width)`` exact permutations (at least 1)."""

DETECTABLE: Final = 0.05
"""The level of every permutation test here: a spread is detectable when its p-value is below
this (:func:`sgbench.scoring.fairness.gap_verdict`)."""

_TIE: Final = 1e-12
"""A permuted statistic within this of the observed one counts as "at least as large" (float
sums of the same numbers in another order differ in the last bits)."""


@dataclass(frozen=True)
class Cells:
    """Per-(question, unit) sums and counts of every metric, computed once from the samples."""

    sums: Mapping[str, FloatArray]
    """Metric → ``(Q, U)`` sum of its per-sample values."""
    counts: FloatArray
    """``(Q, U)`` number of samples."""

    @property
    def shape(self) -> tuple[int, int]:
        """``(questions, units)``."""
        q, u = self.counts.shape
        return int(q), int(u)


def cell_table(
    values: Mapping[str, FloatArray], question: IntArray, unit: IntArray, shape: tuple[int, int]
) -> Cells:
    """Sum ``values`` per (question code, unit code) into ``(Q, U)`` matrices (one bincount)."""
    cell = question * shape[1] + unit
    size = shape[0] * shape[1]

    def total(weights: FloatArray | None) -> FloatArray:
        out = np.bincount(cell, weights=weights, minlength=size).astype(np.float64)
        return out.reshape(shape)

    return Cells(
        sums={name: total(np.asarray(v, dtype=np.float64)) for name, v in values.items()},
        counts=total(None),
    )


@dataclass(frozen=True)
class Grouping:
    """Which group each unit belongs to."""

    names: tuple[str, ...]
    """Group names, sorted."""
    of_unit: IntArray
    """``(U,)`` group index of each unit; -1: in no group."""

    @property
    def size(self) -> int:
        """Number of groups."""
        return len(self.names)

    @property
    def identity(self) -> bool:
        """True when the groups are the units themselves (unit ``i`` is group ``i``)."""
        return bool(np.array_equal(self.of_unit, np.arange(len(self.of_unit))))

    @property
    def single_units(self) -> bool:
        """True when every group is one unit (a subgroup), whether or not every unit is in a
        group: the units themselves (:attr:`identity`), or an attribute of a split whose strata
        hold it alone (``ethnicity`` beside a ``[sex]`` stratum)."""
        members = np.bincount(self.of_unit[self.of_unit >= 0], minlength=self.size)
        return bool((members == 1).all())


def unit_grouping(keys: Keys, unit: IntArray, n_units: int, what: str = "grouping") -> Grouping:
    """The grouping given by one key per sample (null: no group), as a map from units to groups.

    Raises:
        InputError: samples of one unit carry different keys (a grouping must be a property of
            the unit, as an attribute value is of a subgroup); ``what`` names the grouping.
    """
    # Factorising the samples' keys as they come (an Arrow string column stays one) and checking
    # that every sample of a unit got the code the unit got is fast; objects would not be.
    per_sample = keys if isinstance(keys, pd.Series) else pd.Series(np.asarray(keys, dtype=object))
    codes, names = pd.factorize(per_sample, sort=True)
    codes = np.asarray(codes, dtype=np.int64)
    of_unit = np.full(n_units, -1, dtype=np.int64)
    of_unit[unit] = codes
    split = of_unit[unit] != codes
    if split.any():
        raise InputError(
            f"{what}: the samples of {len(np.unique(unit[split]))} unit(s) (subgroup) belong to "
            "different groups; a grouping must give every sample of a unit the same group"
        )
    return Grouping(names=tuple(str(n) for n in names), of_unit=of_unit)


def to_groups(matrix: FloatArray, grouping: Grouping) -> FloatArray:
    """Sum the unit axis (last) of ``matrix`` into groups (units in no group dropped)."""
    if grouping.identity:
        return matrix
    keep = np.flatnonzero(grouping.of_unit >= 0)
    order = keep[np.argsort(grouping.of_unit[keep], kind="stable")]
    labels = grouping.of_unit[order]
    starts = np.flatnonzero(np.r_[True, labels[1:] != labels[:-1]])
    out = np.zeros((*matrix.shape[:-1], grouping.size), dtype=np.float64)
    out[..., labels[starts]] = np.add.reduceat(matrix[..., order], starts, axis=-1)
    return out


@dataclass(frozen=True)
class GroupStats:
    """Group values and squared standard errors, for one estimate or one row per replicate."""

    means: FloatArray
    """``(..., G)``; NaN where the group has no sample."""
    se2: FloatArray
    """``(..., G)`` squared standard errors; NaN below 2 questions."""


def group_stats(sums: FloatArray, counts: FloatArray, weights: FloatArray) -> GroupStats:
    """Group values and ``se_g²`` (module docstring) with questions weighted by ``weights``.

    ``sums`` and ``counts`` are a group cell table ``(Q, G)`` (or ``(B, Q, G)``, one per
    replicate); ``weights`` is ``(B, Q)``, how often each question counts (all ones: the
    estimate; a bootstrap draw: a replicate).
    """
    # Each question's own level is taken out before the noise is measured: a question that is
    # hard for every group moves every group alike and adds nothing to the spread between them.
    with np.errstate(invalid="ignore", divide="ignore"):
        level = sums.sum(axis=-1) / counts.sum(axis=-1)
    # A question seen by one group only is its own level: its centred cell is 0 whatever the
    # group's noise, so it says nothing about that noise (groups seen on disjoint questions got
    # se 0, and their whole spread was reported as a gap). Only shared questions measure it.
    shared = ((counts > 0).sum(axis=-1, keepdims=True) >= 2).astype(np.float64)
    centred = (sums - counts * np.nan_to_num(level)[..., None]) * shared
    counts_shared = counts * shared
    n_groups = sums.shape[-1]
    shrink = n_groups / (n_groups - 1) if n_groups > 1 else np.nan
    # With at most one sample per cell (subgroups), N² = N, S'·N = S' and [N > 0] = N: five
    # products instead of eight. The products are one stacked matrix product (BLAS).
    single = bool(((counts == 0) | (counts == 1)).all())
    parts = [sums, counts, centred * centred, centred, counts_shared]
    if not single:
        parts += [
            centred * counts,
            counts_shared * counts_shared,
            (counts_shared > 0).astype(np.float64),
        ]
    stacked = np.concatenate(parts, axis=-1)
    if stacked.ndim == 2:
        products = weights @ stacked
    else:
        products = np.matmul(weights[:, None, :], stacked)[:, 0, :]
    pieces = np.split(products, len(parts), axis=-1)
    total, count, squares, centred_total, count_shared = pieces[:5]
    if single:
        cross, count_squares, seen = centred_total, count_shared, count_shared
    else:
        cross, count_squares, seen = pieces[5:]
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(count > 0, total / count, np.nan)
        offset = np.where(count_shared > 0, centred_total / count_shared, 0.0)
        residual = np.maximum(squares - 2 * offset * cross + offset * offset * count_squares, 0.0)
        # The spread measured on the shared questions, scaled to all the group's questions (its
        # value is their mean): the denominator is Σ_shared N · Σ N, (Σ N)² on a full grid.
        se2 = np.where(
            seen >= 2,
            shrink * seen / (seen - 1) * residual / (count_shared * count),
            np.nan,
        )
    return GroupStats(means=means, se2=se2)


def noise_figures(stats: GroupStats, weights: FloatArray | None = None) -> dict[str, FloatArray]:
    """``sd_observed``, ``sd_noise``, ``sd_between``, ``cv_between`` over the last axis, plus
    ``mean`` (of the group values) and ``variance_between`` (``sd_observed² − sd_noise²``, not
    truncated; intervals need it).

    ``weights`` (same shape as the means) counts each group that many times, as a two-way
    bootstrap draw does (frequency weights; default 1). NaN where fewer than 2 groups count, and
    ``sd_noise`` (so ``sd_between``) NaN where no counted group has a standard error.
    """
    means = stats.means
    w = np.ones_like(means) if weights is None else weights
    w = np.where(np.isnan(means), 0.0, w)
    m = np.nan_to_num(means)
    total = w.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (w * m).sum(axis=-1) / total
        variance = (w * (m - mean[..., None]) ** 2).sum(axis=-1) / (total - 1)
        variance = np.where(total >= 2, variance, np.nan)
        has_se = np.where(np.isnan(stats.se2), 0.0, w)
        noise = (has_se * np.nan_to_num(stats.se2)).sum(axis=-1) / has_se.sum(axis=-1)
        raw = variance - noise
        between = np.sqrt(np.maximum(raw, 0.0))
        cv_between = np.where(mean > 0, between / np.where(mean > 0, mean, 1.0), 0.0)
    cv_between = np.where(np.isnan(between), np.nan, cv_between)
    return {
        "sd_observed": np.sqrt(variance),
        "sd_noise": np.sqrt(noise),
        "sd_between": between,
        "cv_between": cv_between,
        "mean": mean,
        "variance_between": raw,
    }


@dataclass(frozen=True)
class Null:
    """The permutation null of one metric over one grouping."""

    n_permutations: int
    """Permutations asked for."""
    mean: Mapping[str, float]
    """Figure (``norm_range``, ``cv``, ``gap``, ``ratio``, ``sd_observed``) → its mean over the
    permutations drawn."""
    p_value: float
    """Add-one share of permutations whose ``sd_observed`` is at least the observed one, or the
    moment-matched tail probability (:data:`MOMENT_MATCHED`); NaN with fewer than two groups."""
    method: str = "permutation"
    """:data:`EXACT` or :data:`MOMENT_MATCHED` (see :func:`null_plan`)."""
    n_drawn: int = -1
    """Permutations actually drawn (``n_permutations`` when -1)."""
    statistic: str = NULL_STATISTIC
    """What ``p_value`` compares: :data:`NULL_STATISTIC`, or :data:`BLOCK_STATISTIC` for the
    subgroup permutation."""

    @property
    def drawn(self) -> int:
        """Permutations actually drawn."""
        return self.n_permutations if self.n_drawn < 0 else self.n_drawn


def permuted_means(
    cells: Cells,
    groupings: Sequence[Grouping],
    metrics: Sequence[str],
    n_permutations: int,
    rng: np.random.Generator,
) -> list[dict[str, FloatArray]]:
    """For each grouping, metric → ``(n_permutations, G)`` group values with the group labels
    shuffled within each question.

    Within question ``q``, the grouping's labelled cells (units seen on ``q`` that belong to one
    of its groups) are listed in unit order as positions ``0 … n_q − 1``. One uniform permutation
    of ``0 … K − 1`` per (replicate, question) is drawn once (the argsort of ``K`` uniform keys),
    ``K`` the largest ``n_q`` of any
    grouping, and every grouping keeps, in order, its entries below its own ``n_q``: the relative
    order of a subset of a uniform permutation is a uniform permutation of that subset. So each
    grouping gets an exact permutation null (the groupings' nulls share draws, which makes their
    p-values correlated but each one exact), and the random draws are made once. Work per chunk of
    replicates: one argsort, then per grouping a mask, a gather within each question and one
    ``bincount`` into groups per metric, on at most :data:`CHUNK_CELLS` values.
    """
    if not metrics:  # nothing to shuffle (bootstrap_intervals with no fairness metric)
        return [{} for _ in groupings]
    plans = [_plan(cells.counts, grouping) for grouping in groupings]
    width = max((int(plan.per_question.max(initial=0)) for plan in plans), default=0)
    plans = [replace(plan, full=bool((plan.per_question == width).all())) for plan in plans]
    n_questions = cells.shape[0]
    cell_values = [
        {
            name: (cells.counts if name == _COUNTS else cells.sums[name])[plan.question, plan.unit]
            for name in (*metrics, _COUNTS)
        }
        for plan in plans
    ]
    out = [
        {name: np.zeros((n_permutations, g.size)) for name in (*metrics, _COUNTS)}
        for g in groupings
    ]
    if width == 0:
        return [_means(o, metrics) for o in out]
    chunk = max(1, CHUNK_CELLS // (n_questions * width))
    targets: dict[int, IntArray] = {}  # per plan: replicate × group bin of every position
    # Narrow positions: the masks, copies and gathers below move a quarter of the bytes.
    position_type = np.int16 if width <= np.iinfo(np.int16).max else np.int32
    for start in range(0, n_permutations, chunk):
        size = min(chunk, n_permutations - start)
        # The ranks of i.i.d. uniform keys are a uniform permutation (ties have probability
        # ~K²/2⁵⁴); sorting them is faster than rng.permuted's shuffles, short rows or long.
        base: npt.NDArray[np.signedinteger[Any]] = np.argsort(
            rng.random((size, n_questions, width)), axis=-1
        ).astype(position_type)
        for plan, result, values in zip(plans, out, cell_values, strict=True):
            if plan.n_cells == 0:
                continue
            if plan.full:  # every question keeps every position: nothing to drop
                kept = base.reshape(size, plan.n_cells)
            else:
                kept = base[base < plan.per_question[None, :, None]].reshape(size, plan.n_cells)
            source = kept + plan.offsets  # the cell whose value lands at each labelled position
            names = [n for n in values if n != _COUNTS or plan.counts_vary]
            sums = _sum_into_groups(plan, [values[n][source] for n in names], targets)
            for name, total in zip(names, sums, strict=True):
                result[name][start : start + size] = total
            if not plan.counts_vary:
                result[_COUNTS][start : start + size] = plan.fixed_counts
    return [_means(o, metrics) for o in out]


_COUNTS: Final = "\0counts"


def _sum_into_groups(
    plan: _Plan, values: Sequence[FloatArray], cache: dict[int, IntArray]
) -> list[FloatArray]:
    """``(size, G)`` group sums of each ``(size, C)`` array of values at the labelled positions:
    one ``bincount`` per array (``cache`` keeps each plan's bins between chunks)."""
    size, groups = values[0].shape[0], len(plan.fixed_counts)
    if cache.get(id(plan), np.zeros(0)).size != size * plan.n_cells:
        cache[id(plan)] = (np.arange(size)[:, None] * groups + plan.label).ravel()
    return [
        np.asarray(
            np.bincount(cache[id(plan)], weights=v.ravel(), minlength=size * groups),
            dtype=np.float64,
        ).reshape(size, groups)
        for v in values
    ]


@dataclass(frozen=True)
class _Plan:
    """Where one grouping's labelled cells are, for :func:`permuted_means`."""

    per_question: IntArray
    """``(Q,)`` labelled cells per question (``n_q``)."""
    n_cells: int
    question: IntArray
    unit: IntArray
    """``(C,)`` the labelled cells, question by question, in unit order."""
    offsets: npt.NDArray[np.int32]
    """``(C,)`` index of the first labelled cell of each cell's question."""
    full: bool
    """Every question has the largest number of labelled cells of all groupings."""
    label: IntArray
    """``(C,)`` the group of each labelled cell (a position keeps its label when values move)."""
    counts_vary: bool
    fixed_counts: FloatArray
    """``(G,)`` group counts, which shuffles cannot change when every cell counts the same."""


def _plan(counts: FloatArray, grouping: Grouping) -> _Plan:
    labelled = (counts > 0) & (grouping.of_unit >= 0)[None, :]
    question, unit = np.nonzero(labelled)
    per_question = labelled.sum(axis=1)
    first = np.concatenate([[0], np.cumsum(per_question)[:-1]])
    label = grouping.of_unit[unit]
    cell_counts = counts[question, unit]
    return _Plan(
        per_question=per_question,
        n_cells=len(unit),
        question=question,
        unit=unit,
        offsets=first[question].astype(np.int32),
        full=False,
        label=label,
        counts_vary=bool(np.ptp(cell_counts) > 0) if len(unit) else False,
        fixed_counts=np.bincount(label, weights=cell_counts, minlength=grouping.size).astype(
            np.float64
        ),
    )


def _means(result: Mapping[str, FloatArray], metrics: Sequence[str]) -> dict[str, FloatArray]:
    counts = result[_COUNTS]
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            name: np.where(counts > 0, result[name] / np.where(counts > 0, counts, 1.0), np.nan)
            for name in metrics
        }


def _block_table(of_unit: IntArray, block_of_unit: IntArray) -> IntArray:
    """``(B, G)`` units of each group (columns, in group order) in each block (rows) that holds
    a labelled unit."""
    labelled = of_unit >= 0
    _, block = np.unique(block_of_unit[labelled], return_inverse=True)
    _, group = np.unique(of_unit[labelled], return_inverse=True)
    table = np.zeros((int(block.max(initial=-1)) + 1, int(group.max(initial=-1)) + 1), np.int64)
    np.add.at(table, (block, group), 1)
    return table


def _deals(table: IntArray) -> int:
    """Ways to deal the labels within blocks, ``Π_b n_b! / Π_g c_bg!`` (exact integer)."""
    ways = 1
    for row in table:
        ways *= math.factorial(int(row.sum()))
        for c in row:
            ways //= math.factorial(int(c))
    return ways


def block_arrangements(of_unit: IntArray, block_of_unit: IntArray) -> int:
    """How many distinct outcomes the subgroup permutation (:func:`block_permuted_means`) can
    give a grouping: ``of_unit`` ``(U,)`` each unit's group (−1: in none, never moves),
    ``block_of_unit`` ``(U,)`` where its label may move.

    Dealing the labels of a block with ``n_b`` units, ``c_bg`` of group ``g``, among its units can
    be done in ``n_b! / Π_g c_bg!`` ways (which unit carries which label), independently per
    block. The statistic (the spread of the group values) does not change when two groups swap
    all their units, and such a swap is itself a deal exactly when the two groups hold as many
    units as each other in every block; so the deals come in classes of ``Π_k m_k!`` equal
    spreads (``m_k`` groups sharing one vector of block counts), and the distinct outcomes are
    ``Π_b n_b! / Π_{b,g} c_bg! / Π_k m_k!``. One of them is the observed one, so no p-value of
    this null can be below ``1 / arrangements`` (reached when no other outcome spreads the groups
    as far). Exact integer; 1 when no label can move.

    Example: blocks ``{a, b}`` and ``{a, a, b}``: ``2!/(1!·1!) · 3!/(2!·1!) = 6`` deals; ``a`` and
    ``b`` hold different counts (``(1, 2)`` and ``(1, 1)``), so no swap coincides: 6 outcomes."""
    table = _block_table(of_unit, block_of_unit)
    _, classes = np.unique(table.T, axis=0, return_counts=True)
    return _deals(table) // math.prod(math.factorial(int(m)) for m in classes)


def block_testable(arrangements: int) -> bool:
    """Whether a subgroup permutation with ``arrangements`` distinct outcomes
    (:func:`block_arrangements`) is a test at :data:`DETECTABLE`: its smallest p-value,
    ``1 / arrangements``, is below the level. With 20 or fewer outcomes no spread, however
    large, could be called a gap, and "no detectable gap" would be the design's, not the
    data's: such a row has no p-value and no verdict."""
    return 1 / arrangements < DETECTABLE


def _orders(values: IntArray) -> IntArray:
    """``(ways, n)``: every distinct order of the multiset ``values``, in a fixed order (each
    value's positions chosen in turn among those left)."""
    kinds, counts = np.unique(values, return_counts=True)
    orders: list[list[int]] = []
    stack: list[tuple[list[int], tuple[int, ...], int]] = [
        ([0] * len(values), tuple(range(len(values))), 0)
    ]
    while stack:
        order, free, k = stack.pop()
        if k == len(kinds):
            orders.append(order)
            continue
        for chosen in itertools.combinations(free, int(counts[k])):
            placed = list(order)
            for i in chosen:
                placed[i] = int(kinds[k])
            stack.append((placed, tuple(i for i in free if i not in chosen), k + 1))
    return np.asarray(orders, dtype=np.int64).reshape(len(orders), len(values))


def _all_deals(labels: IntArray, blocks: FloatArray) -> IntArray:
    """``(deals, n)``: every distinct way to deal ``labels`` among their positions within
    ``blocks`` (the product over blocks of each block's distinct orders)."""
    out = np.zeros((1, len(labels)), dtype=np.int64)
    for b in np.unique(blocks):
        where = np.flatnonzero(blocks == b)
        orders = _orders(labels[where])
        out = np.repeat(out, len(orders), axis=0)
        out[:, where] = np.tile(orders, (len(out) // len(orders), 1))
    return out


def block_permuted_means(
    cells: Cells,
    grouping: Grouping,
    block_of_unit: IntArray,
    metrics: Sequence[str],
    n_permutations: int,
    rng: np.random.Generator,
) -> tuple[dict[str, FloatArray], bool, dict[str, tuple[float, FloatArray]]]:
    """Metric → ``(P, G)`` group values with the group labels shuffled among whole units
    (subgroups) within each block (whether they make a test: :func:`block_testable`), and
    whether they are exhaustive. When the ways to deal the labels within blocks are no more than
    ``n_permutations``, each is dealt once (``P`` is their number, the null is exact, and its
    p-value is the share of deals at least as spread, :func:`null_of` with ``exhaustive``);
    otherwise ``P = n_permutations`` uniform shuffles.

    The null is about the *populations* of subgroups: a group's value is the pooled mean of its
    subgroups, ``Σ_{u ∈ g} T_u / Σ_{u ∈ g} N_u`` (``T_u``, ``N_u`` the unit's sums and counts over
    all questions, so the observed values are :func:`group_stats`'s), and if the groups'
    subgroups are exchangeable, a subgroup's label says nothing about its column of cells, which
    moves whole, with its own effect and noise. Shuffling cells within questions instead
    (:func:`permuted_means`) conditions on the subgroups drawn: a value whose few subgroups
    happen to differ is a gap there, and a 5% test of equal population means found one in most
    splits. ``block_of_unit`` ``(U,)`` codes where labels may move (units in no group keep
    theirs): one uniform permutation per block and replicate, the ranks of ``block + uniform``
    keys, whose blocks sort apart.

    Third, metric → the observed and the ``(P,)`` permuted :func:`between_groups` statistic, the
    one this null's p-value compares (:func:`block_p_value`)."""
    labelled = np.flatnonzero(grouping.of_unit >= 0)
    order = labelled[np.argsort(block_of_unit[labelled], kind="stable")]
    blocks = np.asarray(block_of_unit[order], dtype=np.float64)
    labels = grouping.of_unit[order]
    totals = {name: cells.sums[name].sum(axis=0)[order] for name in metrics}
    counts = cells.counts.sum(axis=0)[order]
    centred, squares = {}, {}
    for name in metrics:
        centred[name], squares[name] = _centred_totals(cells.sums[name], cells.counts, order)
    exhaustive = _deals(_block_table(grouping.of_unit, block_of_unit)) <= n_permutations
    every = _all_deals(labels, blocks) if exhaustive else None
    rows = n_permutations if every is None else len(every)
    groups, n = grouping.size, len(order)
    out = {name: np.zeros((rows, groups)) for name in (*metrics, _COUNTS)}
    centred_out = {name: np.zeros((rows, groups)) for name in metrics}
    squares_out = {name: np.zeros((rows, groups)) for name in metrics}
    chunk = max(1, CHUNK_CELLS // max(n, 1))
    for start in range(0, rows, chunk):
        size = min(chunk, rows - start)
        shuffled = (
            labels[np.argsort(blocks[None, :] + rng.random((size, n)), axis=1)]
            if every is None
            else every[start : start + size]
        )
        bins = (np.arange(size)[:, None] * groups + shuffled).ravel()
        for target, name, weights in (
            *((out, name, values) for name, values in totals.items()),
            (out, _COUNTS, counts),
            *((centred_out, name, values) for name, values in centred.items()),
            *((squares_out, name, values) for name, values in squares.items()),
        ):
            total = np.bincount(bins, weights=np.tile(weights, size), minlength=size * groups)
            target[name][start : start + size] = total.reshape(size, groups)
    statistics = {
        name: (
            float(
                between_groups(
                    np.bincount(labels, weights=centred[name], minlength=groups).astype(np.float64),
                    np.bincount(labels, weights=squares[name], minlength=groups).astype(np.float64),
                )
            ),
            between_groups(centred_out[name], squares_out[name]),
        )
        for name in metrics
    }
    return _means(out, metrics), exhaustive, statistics


def _centred_totals(
    sums: FloatArray, counts: FloatArray, order: IntArray
) -> tuple[FloatArray, FloatArray]:
    """Each unit of ``order``'s total over its questions of its question-centred cells,
    ``Σ_q S'[q, u]`` with ``S'[q, u] = S[q, u] − N[q, u] x_q`` (the centring of
    :func:`group_stats`: a unit whose questions are hard for every unit is not set apart by
    them), and of their squares, ``Σ_q S'[q, u]²`` (what the total's own noise is measured by:
    a cell's square has its variance as expectation, one sample per cell or several). The
    levels ``x_q`` are over the units shuffled, so every arrangement shares them."""
    sums, counts = sums[:, order], counts[:, order]
    with np.errstate(invalid="ignore", divide="ignore"):
        level = np.nan_to_num(sums.sum(axis=1) / counts.sum(axis=1))
    centred = sums - counts * level[:, None]
    return (
        np.asarray(centred.sum(axis=0), dtype=np.float64),
        np.asarray((centred * centred).sum(axis=0), dtype=np.float64),
    )


def between_groups(centred: FloatArray, squares: FloatArray) -> FloatArray:
    """The studentised between-groups statistic ``Σ_g T'_g² / R_g`` over the last axis: ``T'_g``
    a group's total of question-centred cells, ``R_g`` its total of their squares (its own
    measure of that total's noise; a group whose cells are all at their questions' levels adds
    0): the statistic of the subgroup permutation.

    A group gains and loses samples from one arrangement to the next (a subgroup moves with all
    of its samples), and its samples are not all alike noisy: a small subgroup's targets are
    the noisier ones. The spread of the group values (``sd_observed``, which the within-question
    null compares, whose groups never change) weighs every group alike, so the arrangement
    that gives the small subgroups' value the fewest samples, the observed one when a value's
    subgroups are all small (the minorities'), spreads furthest under the null: a null of
    errors alike in every group was found unfair in 9.5% of redraws by ethnicity at the 5%
    level, a perfect model in 14.5% by religion (``benchmarks/bench_oracle_fairness.py
    --resample questions+subgroups``). Each term divided by its own noise has about the same
    null distribution whatever the group's size and noise (a χ² with one degree of freedom),
    the studentised permutation statistic that E. Chung and J. Romano ("Exact and asymptotically
    robust permutation tests", *Annals of Statistics* 41(2), 2013) show keeps the level when
    groups differ in size and variance."""
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = np.where(squares > 0, centred * centred / np.where(squares > 0, squares, 1.0), 0.0)
    return np.asarray(terms.sum(axis=-1), dtype=np.float64)


def block_p_value(observed: float, permuted: FloatArray, *, exhaustive: bool = False) -> float:
    """The subgroup permutation's p-value: the add-one share of arrangements whose
    :func:`between_groups` statistic is at least ``observed`` (the exact share when
    ``exhaustive``, as :func:`null_of`)."""
    if not np.isfinite(observed):
        return float("nan")
    at_least = int(np.count_nonzero(permuted >= observed - _TIE * max(1.0, abs(observed))))
    extra = 0 if exhaustive else 1
    return float((extra + at_least) / (extra + permuted.shape[0]))


def null_of(observed: FloatArray, permuted: FloatArray, *, exhaustive: bool = False) -> Null:
    """The :class:`Null` of one metric: ``observed`` ``(G,)`` and ``permuted`` ``(P, G)`` values.

    ``p_value`` is the add-one share ``(1 + k) / (1 + P)`` of the ``k`` permutations at least as
    spread as observed; with ``exhaustive`` (``permuted`` is every arrangement once, the observed
    one among them) it is the exact share ``k / P``. With fewer than two groups there is no
    spread to test: ``p_value`` is NaN.
    """
    figures = spread(permuted)
    sd = sample_sd(permuted)
    mean = {name: _mean(figures[name]) for name in FIGURES}
    mean[NULL_STATISTIC] = _mean(sd)
    reference = float(sample_sd(observed))
    at_least = int(np.count_nonzero(sd >= reference - _TIE))
    extra = 0 if exhaustive else 1
    p_value = (
        (extra + at_least) / (extra + permuted.shape[0]) if np.isfinite(reference) else float("nan")
    )
    return Null(n_permutations=int(permuted.shape[0]), mean=mean, p_value=p_value)


def _mean(values: FloatArray) -> float:
    """Mean of the non-NaN values; NaN when there are none."""
    kept = values[~np.isnan(values)]
    return float(kept.mean()) if kept.size else float("nan")


def sample_sd(values: FloatArray) -> FloatArray:
    """Sample standard deviation (ddof 1) over the last axis, ignoring NaN groups: a row's
    ``sd_observed`` (NaN below two groups)."""
    present = (~np.isnan(values)).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = np.nansum(values, axis=-1) / present
        sd = np.sqrt(np.nansum((values - centre[..., None]) ** 2, axis=-1))
        return np.asarray(np.where(present >= 2, sd / np.sqrt(present - 1), np.nan))


@dataclass(frozen=True)
class NoiseSpread:
    """The noise-aware figures of one metric over one grouping, with their interval and null."""

    figures: Mapping[str, float]
    """:data:`NOISE_FIGURES` → value (NaN where undefined)."""
    standard_errors: tuple[float, ...]
    """``se_g`` per group, aligned with the grouping's sorted group names (NaN below 2
    questions)."""
    ci: Mapping[str, tuple[float, float]]
    """``sd_between`` and ``cv_between`` → recentred percentile bootstrap interval (see
    :func:`spread_interval`); empty without bootstrap."""
    null: Null | None
    """None when no permutation was asked for."""


SPREAD_INTERVAL_METHOD: Final = "recentred percentile"
"""How the intervals of ``sd_between`` and ``cv_between`` are drawn (:func:`spread_interval`);
reports record it as ``bootstrap.spread_method``."""


def spread_interval(
    estimate: float,
    plug_in: float,
    replicates: FloatArray,
    confidence: float,
    *,
    bias_corrected: bool = False,
) -> tuple[float, float]:
    """The recentred percentile bootstrap interval of a between-group variance, as a standard
    deviation.

    ``estimate`` is ``V̂ = sd_observed² − sd_noise²`` (not truncated), ``replicates`` the same
    statistic in each replicate, and ``plug_in`` its true value in the bootstrap world: the
    replicates' group values are centred on the observed ones, so that truth is the observed
    spread itself, ``sd_observed²`` (times ``(G − 1) / G`` when groups are resampled too), not
    ``V̂``. The replicates are moved by ``V̂ − plug_in`` so that the bootstrap world's truth lands
    on the estimate, and the interval is their percentiles:
    ``[V̂ + (q_lo − plug_in), V̂ + (q_hi − plug_in)]``, then ``sqrt(max(0, ·))`` of both ends.

    Why a percentile interval and not the basic (pivotal) one, ``[V̂ − (q_hi − plug_in),
    V̂ − (q_lo − plug_in)]``, which mirrors the replicates around the estimate: the basic interval
    is exact only if ``V̂ − V`` has one distribution whatever ``V``, and it does not. ``V̂`` is a
    non-central chi-square-like statistic whose variance grows with ``V`` (about ``(2σ⁴ + 4σ²V) /
    (G − 1)`` for group noise ``σ²``) and whose distribution is right-skewed. A low ``V̂`` gets
    replicates with a short left tail, mirrored into a short upper end: the basic interval covered
    86–90% at every number of questions, 50 too, and the truth lay above it in nearly every miss.
    The percentile interval is transformation-respecting: it is right whenever some monotone
    transformation makes the statistic's error symmetric with a spread that does not depend on the
    truth (Efron & Tibshirani 1993, *An Introduction to the Bootstrap*, §13.3; Efron 1982), so it
    keeps the skew on the side where the truth can be. The recentring is what keeps it centred on
    the estimate: the plain percentile interval of ``V*`` sits ``plug_in − V̂ = sd_noise²`` (the
    noise each replicate's group values carry) too high, and can miss the estimate.

    The interval contains the estimate (the replicates' ``confidence`` range holds their own
    truth), and its lower end is 0 whenever the data cannot tell the spread from none: below the
    recentred ``α'`` quantile lies 0 unless nearly every replicate exceeds its own noise.

    ``bias_corrected`` (the two-way bootstrap, whose truth is the spread over the *population*
    of subgroups): ``V̂`` is then biased upwards, since a group that pools a few subgroups has
    their sampled effects in its value, which ``sd_noise`` (over questions) does not count; and
    the replicates, which draw the subgroups again, carry that composition noise once more. Its
    size is measured in the bootstrap world, ``b = mean(V*) − plug_in``, and taken out of both
    the estimate and the replicates: ``[V̂ − 2b + (q_lo − plug_in), V̂ − 2b + (q_hi − plug_in)]``
    (still widened to hold ``V̂``). Without it, where the subgroups' own effects dominate the
    noise (many questions), groups whose population means are equal got an interval above 0 in
    about 40% of the splits (4 groups of 5 subgroups, 200 questions). For groups that are
    subgroups ``b`` is about 0: a variance over drawn subgroups is unbiased for theirs.
    """
    finite = replicates[np.isfinite(replicates)]
    if not (np.isfinite(estimate) and np.isfinite(plug_in)) or finite.size == 0:
        return (float("nan"), float("nan"))
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(finite, [tail, 100.0 - tail])
    shift = estimate - plug_in
    if bias_corrected:
        # Once for the estimate's own composition bias, once for the replicates' (module doc).
        shift -= 2.0 * (float(finite.mean()) - plug_in)
    # Clamped so the interval always holds the estimate, even in a degenerate replicate set whose
    # quantiles all lie on one side of their own truth (ties at a few distinct draws).
    ends = (min(low + shift, estimate), max(high + shift, estimate))
    return (float(np.sqrt(max(ends[0], 0.0))), float(np.sqrt(max(ends[1], 0.0))))


def null_plan(n_permutations: int, counts: FloatArray) -> tuple[str, int]:
    """How the null is computed for a ``(Q, U)`` table of counts: ``(method, permutations drawn)``.

    Exact (:data:`EXACT`, all ``n_permutations`` drawn) while ``n_permutations × Q × width`` is at
    most :data:`EXACT_POSITIONS` (``width``: the most units seen on one question), as on any
    one-country split. Beyond it (the all-country build: 239 questions × 4,756 subgroups, 1.1 M
    positions per permutation), 1,000 exact shuffles would take minutes, so the p-value is
    :data:`MOMENT_MATCHED` (:func:`moment_p_values`) and the null means come from
    ``MEAN_POSITIONS // (Q × width)`` exact permutations (at least 1, at most ``n_permutations``).
    """
    if n_permutations == 0 or counts.size == 0:
        return EXACT, n_permutations
    per_permutation = counts.shape[0] * int((counts > 0).sum(axis=1).max(initial=0))
    if n_permutations * per_permutation <= EXACT_POSITIONS:
        return EXACT, n_permutations
    return MOMENT_MATCHED, min(n_permutations, max(1, MEAN_POSITIONS // per_permutation))


def moment_p_values(
    cells: Cells, grouping: Grouping, metrics: Sequence[str], n_permutations: int
) -> dict[str, float] | None:
    """Metric → the permutation null's p-value of ``sd_observed`` from the null's first two
    moments.

    Under within-question shuffles, question ``q`` deals its ``n_q`` labelled cell values (mean
    ``v̄_q``, variance ``s_q²`` with ddof 1) to the groups, ``k_qg`` to group ``g``, without
    replacement. With every labelled cell counting the same (fixed group counts ``C_g``), the
    group values ``M_g = T_g / C_g`` have the exact permutation mean ``μ_g = Σ_q k_qg v̄_q / C_g``
    and covariance ``Σ = Σ_q s_q² D⁻¹ (diag(k_q) − k_q k_qᵀ / n_q) D⁻¹`` (``D = diag(C)``;
    sampling without replacement). ``sd_observed² = Mᵀ H M / (G − 1)`` (``H`` the centring
    matrix) then has mean ``(tr(HΣ) + μᵀHμ) / (G − 1)`` (exact) and, treating ``M`` as Gaussian
    (a sum over questions), variance ``(2 tr((HΣ)²) + 4 μᵀHΣHμ) / (G − 1)²``. The p-value is the
    upper tail of the scaled chi-square ``a χ²_ν`` with that mean and variance, at the observed
    ``sd_observed²``, and never below ``1 / (1 + n_permutations)``, the resolution of the exact
    permutations it stands for. ``Σ`` is a diagonal minus a rank-``Q`` matrix, so the traces
    cost ``O(G Q²)``, never ``G²`` memory.

    None when the labelled cells do not all count the same number of samples (then the group
    counts move with the shuffles); NaN with fewer than two groups.
    """
    plan = _plan(cells.counts, grouping)
    if plan.counts_vary:
        return None
    present = plan.fixed_counts > 0
    if int(present.sum()) < 2:
        return {name: float("nan") for name in metrics}
    n_questions, n_groups = cells.shape[0], grouping.size
    k = np.bincount(plan.question * n_groups + plan.label, minlength=n_questions * n_groups)
    k_present = k.reshape(n_questions, n_groups)[:, present].astype(np.float64)
    return {
        name: _moment_p_value(
            cells.sums[name][plan.question, plan.unit],
            plan,
            k_present,
            present,
            1.0 / (1 + n_permutations),
        )
        for name in metrics
    }


def _moment_p_value(
    values: FloatArray, plan: _Plan, k: FloatArray, present: npt.NDArray[np.bool_], floor: float
) -> float:
    """:func:`moment_p_values` for one metric: ``values`` at the plan's labelled cells, ``k``
    the ``(Q, G)`` labelled cells per question and present group."""
    n_questions = k.shape[0]
    n_q = plan.per_question.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        level = np.bincount(plan.question, weights=values, minlength=n_questions) / n_q
        deviation = values - np.nan_to_num(level)[plan.question]
        variance = np.bincount(plan.question, weights=deviation**2, minlength=n_questions)
        variance = np.where(n_q >= 2, variance / (n_q - 1), 0.0)
    level = np.nan_to_num(level)
    size = k.shape[1]
    total = plan.fixed_counts[present]
    observed = np.bincount(plan.label, weights=values, minlength=len(present))[present] / total
    mu = (level @ k) / total
    d = (variance @ k) / total**2
    scale = np.sqrt(variance / np.maximum(n_q, 1.0))
    b = (k * scale[:, None]).T / total[:, None]  # (G, Q): Σ = diag(d) − b bᵀ
    b_centred = b - b.mean(axis=0)
    mu_centred = mu - mu.mean()
    b_rows = (b_centred**2).sum(axis=1)
    mean = float(d.sum() * (1 - 1 / size) - b_rows.sum() + mu_centred @ mu_centred) / (size - 1)
    square_trace = float(
        (d @ d) * (1 - 2 / size)
        + (d.sum() / size) ** 2
        - 2 * (d @ b_rows)
        + ((b_centred.T @ b_centred) ** 2).sum()
    )
    drift = float(d @ mu_centred**2 - ((b.T @ mu_centred) ** 2).sum())
    var = max(0.0, (2 * square_trace + 4 * drift) / (size - 1) ** 2)
    statistic = float(((observed - observed.mean()) ** 2).sum() / (size - 1))
    if mean <= 0 or var <= 1e-12 * mean * mean:  # the shuffles cannot move the spread
        return 1.0 if statistic <= mean * (1 + 1e-9) + _TIE else floor
    shape = 2 * mean * mean / var  # ν
    return max(floor, chi2_tail(statistic * shape / mean, shape))


def chi2_tail(x: float, df: float) -> float:
    """``P(χ²_df ≥ x)``: the regularised upper incomplete gamma ``Q(df/2, x/2)`` (series below
    ``a + 1``, Lentz's continued fraction above; Numerical Recipes §6.2)."""
    a, z = df / 2.0, x / 2.0
    if z <= 0:
        return 1.0
    log_front = a * math.log(z) - z - math.lgamma(a)
    if z < a + 1:
        term = total = 1.0 / a
        n = a
        for _ in range(10_000):
            n += 1
            term *= z / n
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1.0 - total * math.exp(log_front))
    tiny = 1e-300
    b = z + 1 - a
    c, d = 1 / tiny, 1 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return math.exp(log_front) * h
