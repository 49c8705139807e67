"""Bootstrap intervals and permutation nulls, from per-(question, unit) cell aggregates.

**Resampling unit** (``resample``):

- ``questions`` (the default): one replicate draws the split's ``Q`` questions ``Q`` times with
  replacement and keeps every sample of each drawn question, as many times as it was drawn. The
  samples of one question are not independent (the subgroups overlap and share the item's
  difficulty), so the question is the unit. These intervals are *conditional on the subgroups*:
  they say how the figures would move with other questions, for these same subgroups.
- ``questions+subgroups``: a two-way bootstrap. Questions are drawn as above and, independently,
  the ``U`` units (subgroups) ``U`` times with replacement; a sample counts (question draws) ×
  (subgroup draws) times. Intervals then also cover the choice of subgroups, and are wider.
  This is Owen's (2007) "pigeonhole" bootstrap, conservative by construction: a replicate
  carries the question × subgroup noise about three times where the estimate carries it once.
  ``benchmarks/bench_interval_coverage.py --part two-way`` measures it on a simulated
  population of questions and subgroups: the means' intervals cover 95-100% of the population
  mean, the spreads' nearly always (they are wide); the expansion counts questions only, so
  with a handful of dominant subgroups the interval is not valid, and below
  :data:`MIN_SUBGROUPS` subgroups none is drawn (``--part two-way-spread``, which also measures
  the spreads' null: where nothing differs they claim no gap).

A replicate recomputes every statistic exactly as for the estimate: means over samples (overall
and per group), then the figures over the groups. Vectorised: a replicate is a row of the
``(n_boot, Q)`` question multiplicity matrix ``W`` (and of the ``(n_boot, U)`` unit multiplicity
matrix ``V``), so group sums are ``W @ S`` with ``S`` the cell table of
:mod:`sgbench.scoring.noise`, built once; memory is bounded by questions × units × a chunk of
replicates, never by samples × replicates.

**Intervals.** Means (overall and per group, and the leaderboard's paired differences): the
*expanded percentile* interval (Hesterberg 2015, "What Teachers Should Know About the Bootstrap",
The American Statistician 69(4), §4.2): the ``α'`` and ``1 − α'`` percentiles of the replicates
(linear interpolation), with ``α' = Φ(−√(Q/(Q − 1)) · t_{1−α/2, Q−1})`` for ``Q`` questions
instead of ``α/2`` (:func:`expanded_tail`). A plain percentile interval over few questions is too
narrow twice over: the bootstrap's spread is the plug-in one, ``√((Q − 1)/Q)`` of the usual
standard error, and its normal-like tails are those of a known variance, not of an estimated one
(t with ``Q − 1`` degrees of freedom). The expansion undoes both, so that for a mean it matches
the width of the t interval ``x̄ ± t · s/√Q`` while keeping the bootstrap's shape (skew); it costs
one number per interval (a tail of 0.9% instead of 2.5% at 10 questions, 2.4% at 239). A
two-way bootstrap expands by the questions only.

Spread: the recentred percentile interval of ``sd_between`` and ``cv_between``
(:func:`sgbench.scoring.noise.spread_interval`): the percentiles of the replicates' between-group
variance, moved so that the bootstrap world's true spread lands on the estimate. Its quantiles
are as narrow with few questions, so its tails are expanded alike. The
descriptive figures (``norm_range``, ``cv``, ``gap``, ``ratio``) get no interval: noise pushes
both the figure and its replicates up, so no bootstrap interval of them is honest about the true
spread; their permutation null says how large they are by chance.

Randomness comes only from seeded generators: ``W`` from ``np.random.default_rng(seed)``
(:func:`multiplicities`), ``V`` and the permutations from ``SeedSequence(seed)`` streams of their
own, so the same seed and data give the same figures whatever else is computed.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Final, Literal, get_args

import numpy as np
import pandas as pd

from sgbench.boundary import public
from sgbench.errors import InputError, refuse_without_effect
from sgbench.scoring.data import FloatArray, IntArray
from sgbench.scoring.distributions import normal_cdf, student_t_quantile
from sgbench.scoring.noise import (
    BLOCK_STATISTIC,
    CHUNK_CELLS,
    EXACT,
    MOMENT_MATCHED,
    NOISE_FIGURES,
    SPREAD_INTERVAL_METHOD,
    SUBGROUP_SHUFFLE,
    Cells,
    Grouping,
    GroupStats,
    NoiseSpread,
    block_arrangements,
    block_p_value,
    block_permuted_means,
    block_testable,
    cell_table,
    group_stats,
    moment_p_values,
    noise_figures,
    null_of,
    null_plan,
    permuted_means,
    spread_interval,
    to_groups,
    unit_grouping,
)
from sgbench.scoring.samples import Keys, Values, count, finite_values, row_index, sample_keys

CONFIDENCE: Final = 0.95

INTERVAL_METHOD: Final = "expanded percentile"
"""How the intervals of means are drawn from the replicates (:func:`expanded_tail`); reports
record it as ``bootstrap.method``."""
MIN_QUESTIONS: Final = 10
"""The fewest questions a bootstrap interval is drawn from. Below it, no interval is reported:
``Q`` questions can be drawn in only ``C(2Q − 1, Q)`` distinct ways (3 for two), too few for the
replicates to reach the tails an interval needs, however they are expanded
(:func:`expanded_tail`). ``benchmarks/bench_interval_coverage.py`` measures the coverage of the
95% intervals on simulated splits with a known truth: far below 95% for two questions, the
expanded intervals cover at least 93% from 10 questions on, in every scenario of a mean or a
paired difference, which is this value (a test checks it against the committed figures; the
plain percentile interval reached 93% from 20 on). The same holds in both resampling modes,
which both draw questions."""
MIN_SUBGROUPS: Final = 20
"""The fewest subgroups a two-way (``questions+subgroups``) interval is drawn from. Below it, no
interval is reported in that mode, of any figure: the expansion (:func:`expanded_tail`) counts
questions only, and a handful of subgroups drawn with replacement cannot reach the tails the
population of subgroups needs. ``benchmarks/bench_interval_coverage.py --part two-way-spread``
measures it where the subgroups' own effects dominate the error: over 3 to 12 subgroups the
two-way intervals of the subgroups' spread and of the mean held their truth under the floor of
:data:`MIN_QUESTIONS` (0.93) at some number of questions, most at 200 questions, where the
subgroups dominate most (docs/metrics-and-fairness.md, "The two-way spreads"), while over 20
every planted figure held it at least at the floor everywhere measured (a test checks this
value against the committed figures). A one-country split has about 48. A questions-only
interval, conditional on the subgroups, is not affected."""
MAX_BOOT: Final = 100_000
MAX_PERMUTATIONS: Final = 100_000

Resample = Literal["questions", "questions+subgroups"]
RESAMPLE_MODES: Final[tuple[Resample, ...]] = get_args(Resample)
"""``--resample`` choices; the first is the default."""
QUESTIONS: Final[Resample] = "questions"
TWO_WAY: Final[Resample] = "questions+subgroups"

_UNIT_STREAM: Final = 1
_PERMUTATION_STREAM: Final = 2
_BLOCK_STREAM: Final = 3

Interval = tuple[float, float]


@dataclass(frozen=True)
class Intervals:
    """Bootstrap intervals of the metrics and group values, and the noise-aware spread figures."""

    seed: int
    n_boot: int
    n_questions: int
    resample: Resample = QUESTIONS
    n_units: int = 0
    """Subgroups of the split (a two-way bootstrap draws no interval below
    :data:`MIN_SUBGROUPS`)."""
    n_permutations: int = 0
    null_method: str = EXACT
    """How the permutation p-values were computed (:func:`sgbench.scoring.noise.null_plan`)."""
    n_permutations_drawn: int = 0
    """Exact permutations drawn (fewer than ``n_permutations`` for a moment-matched null)."""
    metrics: Mapping[str, Interval] = field(default_factory=dict)
    """Metric → (low, high) of its overall value; empty when ``n_boot`` is 0."""
    groups: Mapping[str, Mapping[str, Mapping[str, Interval]]] = field(default_factory=dict)
    """Grouping → metric → group → (low, high) of the group's mean, for ``fairness_metrics``;
    empty when ``n_boot`` is 0. Not part of the JSON report; used by the score chart
    (:func:`sgbench.stats.plots.score_chart`)."""
    spreads: Mapping[str, Mapping[str, NoiseSpread]] = field(default_factory=dict)
    """Grouping → metric → noise-aware figures, their intervals and permutation null (always
    computed; intervals only with ``n_boot``, the null only with ``n_permutations``)."""


def check_settings(
    n_boot: object,
    seed: object,
    n_permutations: object = 0,
    resample: object = QUESTIONS,
) -> None:
    """Raise :class:`InputError` unless ``n_boot`` (0, or :data:`MIN_REPLICATES` to
    ``MAX_BOOT``: the CLI's rule holds for the API too), ``seed ≥ 0`` and
    ``0 ≤ n_permutations ≤ MAX_PERMUTATIONS`` are ints and ``resample`` is a known mode, and
    ``resample`` other than :data:`QUESTIONS` and ``seed`` other than 0 are given only with
    replicates or permutations to draw (:func:`draws_anything`,
    :func:`~sgbench.errors.refuse_without_effect`)."""
    if (
        isinstance(n_boot, bool)
        or not isinstance(n_boot, int)
        or not 0 <= n_boot <= MAX_BOOT
        or 0 < n_boot < MIN_REPLICATES
    ):
        raise InputError(
            f"bootstrap iterations must be 0 or an integer in {MIN_REPLICATES}..{MAX_BOOT}, "
            f"got {n_boot!r}"
        )
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}")
    if (
        isinstance(n_permutations, bool)
        or not isinstance(n_permutations, int)
        or not 0 <= n_permutations <= MAX_PERMUTATIONS
    ):
        raise InputError(
            f"permutations must be an integer in 0..{MAX_PERMUTATIONS}, got {n_permutations!r}"
        )
    if resample not in RESAMPLE_MODES:
        raise InputError(f"resample must be one of {list(RESAMPLE_MODES)}, got {resample!r}")
    # A report recorded a resampling that never happened, or a seed that drew nothing (the CLI
    # refuses --resample and --seed alike); 0, the default, is no seed given.
    drawn = draws_anything(n_boot, n_permutations)
    refuse_without_effect(
        (
            f"resample {resample!r}",
            resample != QUESTIONS,
            drawn,
            "with n_boot 0 and n_permutations 0 (it shapes the bootstrap and chooses the "
            "permutation null)",
        ),
        (
            f"seed {seed!r}",
            seed != 0,
            drawn,
            "with n_boot 0 and n_permutations 0 (it seeds the bootstrap and the permutations)",
        ),
    )


def draws_anything(n_boot: int, n_permutations: int) -> bool:
    """Whether ``resample`` and ``seed`` have an effect: the seed seeds the bootstrap and the
    permutations, and the mode shapes the bootstrap's replicates and chooses the permutation
    null (two-way, an attribute's values shuffled among whole subgroups), so a two-way verdict
    needs no replicate. The one rule of :func:`check_settings` and of the command line's
    ``--resample`` and ``--seed``."""
    return n_boot > 0 or n_permutations > 0


def drawn_replicates(
    n_boot: int, n_questions: int, n_units: int, resample: Resample = QUESTIONS
) -> int:
    """The replicates drawn for ``n_boot`` asked over ``n_questions`` questions and ``n_units``
    subgroups: none below :data:`MIN_QUESTIONS` questions, nor, in a two-way bootstrap, below
    :data:`MIN_SUBGROUPS` subgroups. The one rule of every interval of both modes."""
    if n_questions < MIN_QUESTIONS:
        return 0
    if resample == TWO_WAY and n_units < MIN_SUBGROUPS:
        return 0
    return n_boot


def interval_heading(
    n_boot: int, n_questions: int, resample: Resample, seed: int, n_units: int
) -> str:
    """The heading of a summary's interval column, saying why there is none."""
    if not n_boot:
        return "(no bootstrap)"
    if n_questions < MIN_QUESTIONS:
        return (
            f"(no 95% CI: {n_questions} question(s), fewer than the {MIN_QUESTIONS} "
            "a bootstrap interval needs)"
        )
    if not drawn_replicates(n_boot, n_questions, n_units, resample):
        return (
            f"(no 95% CI: {n_units} subgroup(s), fewer than the {MIN_SUBGROUPS} "
            f"a bootstrap over {resample} needs)"
        )
    return f"95% CI (bootstrap over {resample}, n={n_boot}, seed={seed})"


def bootstrap_record(
    seed: int, n_boot: int, resample: Resample, *, spread: bool, n_questions: int | None = None
) -> dict[str, object]:
    """A report's ``bootstrap`` entry, the same in every report: its settings (``n_questions``
    when given), the :data:`CONFIDENCE` and :data:`INTERVAL_METHOD` of its intervals, and with
    ``spread`` (a report of noise-aware spreads) the ``spread_method`` of theirs
    (:data:`~sgbench.scoring.noise.SPREAD_INTERVAL_METHOD`)."""
    record: dict[str, object] = {"seed": seed, "n_boot": n_boot, "resampled": resample}
    if n_questions is not None:
        record["n_questions"] = n_questions
    record |= {"confidence": CONFIDENCE, "method": INTERVAL_METHOD}
    if spread:
        record["spread_method"] = SPREAD_INTERVAL_METHOD
    return record


def multiplicities(n_questions: int, n_boot: int, seed: int) -> FloatArray:
    """``(n_boot, n_questions)``: how often each question is drawn in each replicate.

    Each row is one draw of ``n_questions`` questions with replacement (a multinomial with equal
    probabilities), from ``np.random.default_rng(seed)``.
    """
    count("n_questions", n_questions, least=1)
    count("n_boot", n_boot, MAX_BOOT)
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(n_questions, np.full(n_questions, 1.0 / n_questions), size=n_boot)
    return draws.astype(np.float64)


def unit_multiplicities(n_units: int, n_boot: int, seed: int) -> FloatArray:
    """``(n_boot, n_units)``: how often each unit (subgroup) is drawn in a two-way replicate.

    From a stream of its own, ``SeedSequence(seed, spawn_key=(1,))``, so that the question draws
    are those of :func:`multiplicities` in both modes.
    """
    count("n_units", n_units, least=1)
    count("n_boot", n_boot, MAX_BOOT)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_UNIT_STREAM,)))
    draws = rng.multinomial(n_units, np.full(n_units, 1.0 / n_units), size=n_boot)
    return draws.astype(np.float64)


def expanded_tail(n_questions: int, confidence: float = CONFIDENCE) -> float:
    """The probability each tail of an interval over ``n_questions`` questions leaves out:
    Hesterberg's expanded percentile, ``α' = Φ(−√(Q / (Q − 1)) · t_{1 − α/2, Q − 1})`` for a
    nominal ``α = 1 − confidence`` (module docstring). It tends to ``α/2`` as ``Q`` grows; one
    question (every replicate the estimate) gets 0."""
    if n_questions < 2:
        return 0.0
    alpha = 1.0 - confidence
    t = student_t_quantile(1.0 - alpha / 2.0, n_questions - 1)
    return normal_cdf(-math.sqrt(n_questions / (n_questions - 1)) * t)


TAIL_REPLICATES: Final = 2
"""The fewest replicates each tail of an interval must hold at :data:`MIN_QUESTIONS` questions,
where the expanded tails are thinnest (:data:`MIN_REPLICATES`)."""
MIN_REPLICATES: Final = math.ceil(TAIL_REPLICATES / expanded_tail(MIN_QUESTIONS))
"""The fewest bootstrap replicates a command asks for, 0 aside: 234, so that each tail of a 95%
interval holds at least :data:`TAIL_REPLICATES` replicates at :data:`MIN_QUESTIONS` questions
(``B · α' ≥ 2`` with ``α'`` = 0.86% there, :func:`expanded_tail`; with more questions the tails
are wider and hold more). Why: the percentiles of ``B`` replicates (linear interpolation) cut a
tail at a point whose expected tail probability is ``(1 + (B − 1) α') / (B + 1)``, not ``α'``, so
a 95% interval covers about ``2 (1 − 2α') / (B + 1)`` less than with unlimited replicates: 4.7
points at 40, the minimum before (one replicate per 2.5% tail, blind to the expansion), 0.8 at
234. ``benchmarks/bench_interval_coverage.py --part replicates`` measures the loss on the same
simulated splits at 10, 12 and 15 questions (docs/metrics-and-fairness.md, "How many
replicates"; a test checks the committed figures). ``--bootstrap 1`` gave a "95% interval" of
one point, which missed its own estimate."""


def _percentiles(replicates: FloatArray, n_questions: int) -> FloatArray:
    """The two-sided expanded percentile interval over ``n_questions`` questions; replicates that
    are NaN (no group drawn) are left out."""
    tail = expanded_tail(n_questions) * 100.0
    missing = np.isnan(replicates)
    if missing.all(axis=0).any():
        return np.full((2, *replicates.shape[1:]), np.nan)
    if not missing.any():  # nanpercentile goes column by column; percentile is vectorised
        return np.percentile(replicates, [tail, 100.0 - tail], axis=0)
    return np.nanpercentile(replicates, [tail, 100.0 - tail], axis=0)


def _codes(keys: Sequence[str | None] | pd.Series) -> tuple[IntArray, int]:
    # A Series is factorised as it is: an Arrow string column would be slow as Python objects.
    series = keys if isinstance(keys, pd.Series) else pd.Series(np.asarray(keys, dtype=object))
    codes, names = pd.factorize(series, sort=True)
    return np.asarray(codes, dtype=np.int64), len(names)


def _replicate_stats(
    cells: Cells, name: str, grouping: Grouping, w: FloatArray, v: FloatArray | None
) -> tuple[GroupStats, FloatArray | None]:
    """Group statistics in every replicate, and the groups' weights (two-way, groups = units)."""
    sums, counts = cells.sums[name], cells.counts
    if v is None:
        return group_stats(to_groups(sums, grouping), to_groups(counts, grouping), w), None
    if grouping.identity:  # a drawn subgroup is a drawn group: it weighs as often as it is drawn
        return group_stats(sums, counts, w), v
    chunk = max(1, CHUNK_CELLS // sums.size)
    means, se2 = [], []
    for start in range(0, w.shape[0], chunk):
        part = v[start : start + chunk, None, :]
        stats = group_stats(
            to_groups(sums[None] * part, grouping),
            to_groups(counts[None] * part, grouping),
            w[start : start + chunk],
        )
        means.append(stats.means)
        se2.append(stats.se2)
    return GroupStats(np.concatenate(means), np.concatenate(se2)), None


def _spread(
    cells: Cells,
    name: str,
    grouping: Grouping,
    w: FloatArray | None,
    v: FloatArray | None,
    permuted: FloatArray | None,
    exhaustive: bool = False,
) -> tuple[NoiseSpread, FloatArray | None]:
    """The noise-aware spread of one metric over one grouping, and its group-mean replicates
    (``exhaustive``: ``permuted`` is every arrangement once, :func:`null_of`)."""
    sums = to_groups(cells.sums[name], grouping)
    counts = to_groups(cells.counts, grouping)
    point = group_stats(sums, counts, np.ones((1, sums.shape[0])))
    estimate = {k: float(x[0]) for k, x in noise_figures(point).items()}
    ci: dict[str, Interval] = {}
    replicate_means = None
    if w is not None:
        stats, weights = _replicate_stats(cells, name, grouping, w, v)
        replicate_means = stats.means
        replicas = noise_figures(stats, weights)
        present = int(np.count_nonzero(~np.isnan(point.means[0])))
        resampled_groups = weights is not None and present > 0
        plug_in = estimate["sd_observed"] ** 2 * (
            (present - 1) / present if resampled_groups else 1
        )
        mean = estimate["mean"]
        # The spread's interval is cut from replicate quantiles as narrow with few questions as
        # the means' are: its tails are expanded alike.
        confidence = 1.0 - 2.0 * expanded_tail(w.shape[1])
        # Two-way, the truth is the population's spread: the subgroups' composition bias is
        # taken out (spread_interval).
        corrected = v is not None
        ci["sd_between"] = spread_interval(
            estimate["variance_between"],
            plug_in,
            replicas["variance_between"],
            confidence,
            bias_corrected=corrected,
        )
        if mean > 0 and (replicas["mean"] <= 0).any():
            # cv_between has no value in a replicate whose mean is 0 (one right answer, its
            # question not drawn): an interval over the other replicates alone left out a third
            # of them and missed its own estimate ([3.7, 7.1] around 0), so there is none.
            ci["cv_between"] = (float("nan"), float("nan"))
        elif mean > 0:
            with np.errstate(invalid="ignore", divide="ignore"):
                relative = replicas["variance_between"] / replicas["mean"] ** 2
            ci["cv_between"] = spread_interval(
                estimate["variance_between"] / mean**2,
                plug_in / mean**2,
                relative,
                confidence,
                bias_corrected=corrected,
            )
        else:
            ci["cv_between"] = (0.0, 0.0)
    null = None if permuted is None else null_of(point.means[0], permuted, exhaustive=exhaustive)
    spread = NoiseSpread(
        figures={k: estimate[k] for k in NOISE_FIGURES},
        standard_errors=tuple(float(x) for x in np.sqrt(point.se2[0])),
        ci=ci,
        null=null,
    )
    return spread, replicate_means


def _moment_matched(
    spreads: Mapping[str, NoiseSpread], cells: Cells, grouping: Grouping, n_permutations: int
) -> dict[str, NoiseSpread]:
    """``spreads`` (metric → spread) with the moment-matched p-values of a table too large for
    exact shuffles (their null means stay those of the permutations drawn); when the group counts
    move with the shuffles, the drawn permutations' own p-values are kept."""
    p_values = moment_p_values(cells, grouping, list(spreads), n_permutations)
    out = {}
    for name, spread in spreads.items():
        assert spread.null is not None
        null = replace(spread.null, n_permutations=n_permutations, n_drawn=spread.null.drawn)
        if p_values is not None:
            null = replace(null, p_value=p_values[name], method=MOMENT_MATCHED)
        out[name] = replace(spread, null=null)
    return out


def attribute_blocks(columns: Mapping[str, pd.Series], attribute: str) -> pd.Series:
    """Per sample, the block within which ``attribute``'s values may trade subgroups under the
    two-way null (``blocks`` of :func:`bootstrap_intervals`): the values of every column of
    ``columns`` other than ``attribute`` (the subgroup's stratum, its other attributes; a
    missing value is a key of its own). A subgroup given another age may then bring no other
    attribute's effect with it (an age × religion subgroup trades its age only with subgroups of
    the same religion), and subgroups of two strata, which share respondents (25-34 × Muslim and
    25-34 × Malay), never trade."""
    parts = [
        keys.astype(str).where(keys.notna(), "\x00")
        for name, keys in columns.items()
        if name != attribute
    ]
    if not parts:
        return pd.Series([""] * len(columns[attribute]), dtype=object)
    block = parts[0]
    for part in parts[1:]:
        block = block + "\x1f" + part
    return block


@public
def bootstrap_intervals(
    values: Mapping[str, Values],
    questions: Keys,
    groupings: Mapping[str, Keys],
    fairness_metrics: Sequence[str],
    *,
    units: Keys,
    n_boot: int,
    seed: int,
    n_permutations: int = 0,
    resample: Resample = QUESTIONS,
    blocks: Mapping[str, Keys] | None = None,
) -> Intervals:
    """Intervals for the mean of every metric, and the noise-aware spread (with intervals and
    permutation null) of ``fairness_metrics`` under every grouping.

    ``questions`` and ``units`` give each sample's question and unit (subgroup); a grouping gives
    each sample's group (null: in no group) and must be a property of the unit. Fewer than
    :data:`MIN_QUESTIONS` questions, or a two-way bootstrap over fewer than
    :data:`MIN_SUBGROUPS` units, get no interval (``n_boot`` is kept as asked;
    :func:`drawn_replicates`).

    The permutation null: over questions, group labels shuffled within each question
    (:func:`~sgbench.scoring.noise.permuted_means`, these subgroups); two-way, a grouping of
    several subgroups has its labels shuffled among whole subgroups
    (:func:`~sgbench.scoring.noise.block_permuted_means`, the populations of subgroups), within
    the blocks of ``blocks[label]`` (one key per sample, a property of the unit: the units whose
    labels are exchangeable when the groups do not differ; absent: all one block), and
    ``null.method`` is :data:`~sgbench.scoring.noise.SUBGROUP_SHUFFLE`. A grouping whose groups
    are single units (the units themselves, or an attribute whose values are one subgroup each;
    :attr:`~sgbench.scoring.noise.Grouping.single_units`) keeps the shuffle within questions in
    both modes: equal subgroups in the population are equal subgroups here, so its null is the
    populations' too (and shuffling whole subgroups among single-subgroup values, one per block,
    had no arrangement to deal).

    Raises:
        InputError: invalid ``n_boot``, ``seed``, ``n_permutations`` or ``resample``; values,
            questions, units or a grouping without one finite number or key per sample (a NaN
            made every interval NaN; other lengths crashed in numpy), a sample without a question
            or unit, or a fairness metric that ``values`` lacks (:mod:`sgbench.scoring.samples`);
            a grouping or block that splits a unit's samples
            (:func:`~sgbench.scoring.noise.unit_grouping`); blocks of an unknown grouping.
    """
    check_settings(n_boot, seed, n_permutations, resample)
    n = len(questions)
    arrays = {name: finite_values(f"values[{name!r}]", v, n, least=0) for name, v in values.items()}
    absent = [name for name in fairness_metrics if name not in arrays]
    if absent:
        raise InputError(f"fairness metric {absent[0]!r} is not one of the values given")
    questions = sample_keys("questions", questions, n, nulls=False)
    units = sample_keys("units", units, n, nulls=False)
    groupings = {label: sample_keys(label, keys, n) for label, keys in groupings.items()}
    unknown = sorted(set(blocks or {}) - set(groupings))
    if unknown:
        raise InputError(f"blocks[{unknown[0]!r}]: no grouping of that name")
    block_keys = {
        label: sample_keys(f"blocks[{label!r}]", keys, n, nulls=False)
        for label, keys in (blocks or {}).items()
    }
    question, n_questions = _codes(questions)
    unit, n_units = _codes(units)
    cells = cell_table(arrays, question, unit, (n_questions, n_units))
    drawn_boot = drawn_replicates(n_boot, n_questions, n_units, resample)
    w = multiplicities(n_questions, drawn_boot, seed) if drawn_boot else None
    v = (
        unit_multiplicities(n_units, drawn_boot, seed)
        if w is not None and resample == TWO_WAY
        else None
    )

    metrics: dict[str, Interval] = {}
    if w is not None:
        unit_weights = np.ones((drawn_boot, n_units)) if v is None else v
        count = ((w @ cells.counts) * unit_weights).sum(axis=1)
        for name in arrays:
            total = ((w @ cells.sums[name]) * unit_weights).sum(axis=1)
            low, high = _percentiles(total / count, n_questions)
            metrics[name] = (float(low), float(high))

    spreads: dict[str, dict[str, NoiseSpread]] = {}
    group_intervals: dict[str, dict[str, dict[str, Interval]]] = {}
    kept = {label: unit_grouping(keys, unit, n_units, label) for label, keys in groupings.items()}
    kept = {label: grouping for label, grouping in kept.items() if grouping.size}
    # Two-way, only groupings whose groups are single subgroups are shuffled within questions
    # (their null.method, not SUBGROUP_SHUFFLE, names the rule: fairness.gap_rule).
    within = [label for label, g in kept.items() if resample == QUESTIONS or g.single_units]
    nulls: dict[str, dict[str, FloatArray]] = {label: {} for label in kept}
    method, drawn = null_plan(n_permutations, cells.counts)
    if drawn and within:
        stream = np.random.SeedSequence(seed, spawn_key=(_PERMUTATION_STREAM,))
        drawn_nulls = permuted_means(
            cells,
            [kept[label] for label in within],
            fairness_metrics,
            drawn,
            np.random.default_rng(stream),
        )
        nulls.update(zip(within, drawn_nulls, strict=True))
    for label, grouping in kept.items():
        permuted = nulls[label]
        spreads[label] = {}
        if w is not None:
            group_intervals[label] = {}
        shuffled = n_permutations > 0 and label not in within
        testable, exhaustive = True, False
        statistics: dict[str, tuple[float, FloatArray]] = {}
        if shuffled:
            block = block_keys.get(label)
            of_unit = (
                np.zeros(n_units, dtype=np.int64)
                if block is None
                else unit_grouping(block_keys[label], unit, n_units, f"blocks[{label!r}]").of_unit
            )
            # Its own stream per grouping: its p-value does not move with the other groupings.
            stream = np.random.SeedSequence(
                seed, spawn_key=(_BLOCK_STREAM, zlib.crc32(label.encode()))
            )
            testable = block_testable(block_arrangements(grouping.of_unit, of_unit))
            permuted, exhaustive, statistics = block_permuted_means(
                cells,
                grouping,
                of_unit,
                fairness_metrics,
                n_permutations,
                np.random.default_rng(stream),
            )
        for name in fairness_metrics:
            spread, replicate_means = _spread(
                cells, name, grouping, w, v, permuted.get(name), exhaustive
            )
            if shuffled and spread.null is not None:
                observed, drawn_statistics = statistics[name]
                p_value = (
                    block_p_value(observed, drawn_statistics, exhaustive=exhaustive)
                    if testable
                    else float("nan")
                )
                spread = replace(
                    spread,
                    null=replace(
                        spread.null,
                        method=SUBGROUP_SHUFFLE,
                        p_value=p_value,
                        statistic=BLOCK_STATISTIC,
                    ),
                )
            spreads[label][name] = spread
            if replicate_means is not None:
                bounds = _percentiles(replicate_means, n_questions)
                group_intervals[label][name] = {
                    g: (float(bounds[0, i]), float(bounds[1, i]))
                    for i, g in enumerate(grouping.names)
                }
        if drawn and method == MOMENT_MATCHED and not shuffled:
            spreads[label] = _moment_matched(spreads[label], cells, grouping, n_permutations)
    return Intervals(
        seed=seed,
        n_boot=n_boot,
        n_questions=n_questions,
        resample=resample,
        n_units=n_units,
        n_permutations=n_permutations,
        null_method=method,
        n_permutations_drawn=drawn,
        metrics=metrics,
        groups=group_intervals,
        spreads=spreads,
    )


@public
def paired_difference_intervals(
    values: FloatArray | Sequence[Sequence[float]],
    questions: Keys,
    reference: int,
    *,
    n_boot: int,
    seed: int,
    units: Keys | None = None,
    resample: Resample = QUESTIONS,
) -> FloatArray:
    """``(E, 2)``: the expanded percentile interval of ``mean(values[reference]) −
    mean(values[e])``.

    ``values`` is ``(E, N)``: one per-sample metric for each of ``E`` prediction sets scored on
    the same ``N`` samples, ``questions`` (and ``units``) the question (and subgroup) of each
    sample. Every row is resampled with the *same* replicates, so the differences are paired; the
    replicates are those :func:`bootstrap_intervals` draws for this seed, questions and units.
    Replicate ``b`` of row ``e`` is ``m[b, e] = Σ_{q,u} W[b, q] V[b, u] S[e, q, u] /
    Σ_{q,u} W[b, q] V[b, u] N[q, u]``, with ``S`` and ``N`` the row's cell sums and counts and
    ``V = 1`` unless ``resample`` is ``questions+subgroups``; the interval is the ``α'`` and
    ``1 − α'`` percentiles of ``m[b, reference] − m[b, e]`` over ``b``, ``α'`` the
    :func:`expanded_tail` of ``Q`` questions. Row ``reference`` gets ``[0, 0]``. All
    NaN when ``n_boot`` is 0, there are fewer than :data:`MIN_QUESTIONS` questions, or a
    two-way bootstrap has fewer than :data:`MIN_SUBGROUPS` units (:func:`drawn_replicates`).

    Raises:
        InputError: invalid ``n_boot``, ``seed`` or ``resample``, ``reference`` not a row,
            ``values`` without one finite value per sample in each row (a NaN gave NaN intervals
            silently), questions or units without one key per sample, or a two-way bootstrap
            without ``units`` (:mod:`sgbench.scoring.samples`).
    """
    check_settings(n_boot, seed, 0, resample)
    n = len(questions)
    matrix = finite_values("values", values, n, rows=True)
    questions = sample_keys("questions", questions, n, nulls=False)
    reference = row_index(reference, matrix.shape[0])
    if resample == TWO_WAY and units is None:
        raise InputError("a questions+subgroups bootstrap needs the samples' subgroups")
    if units is not None:
        units = sample_keys("units", units, n, nulls=False)
    question, n_questions = _codes(questions)
    unit, n_units = _codes(units) if units is not None else (np.zeros_like(question), 1)
    if not drawn_replicates(n_boot, n_questions, n_units, resample):
        return np.full((matrix.shape[0], 2), np.nan)
    rows = {str(e): matrix[e] for e in range(matrix.shape[0])}
    cells = cell_table(rows, question, unit, (n_questions, n_units))
    w = multiplicities(n_questions, n_boot, seed)
    v = unit_multiplicities(n_units, n_boot, seed) if resample == TWO_WAY else np.ones(n_units)
    count = ((w @ cells.counts) * v).sum(axis=1)
    means = np.stack(
        [((w @ cells.sums[str(e)]) * v).sum(axis=1) / count for e in range(matrix.shape[0])],
        axis=1,
    )
    return np.asarray(_percentiles(means[:, [reference]] - means, n_questions).T, dtype=np.float64)
