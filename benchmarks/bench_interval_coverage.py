"""How often sgbench's nominal 95% bootstrap intervals cover a known truth, by number of questions.

The question-level bootstrap (:mod:`sgbench.scoring.bootstrap`) treats a split's questions as a
sample from a population of questions. With few questions a plain percentile interval is too
narrow: a resample of ``Q`` questions has about ``(Q − 1)/Q`` of the true variance, and the normal
tails it mimics are thinner than the t tails an estimated spread needs. The package therefore
uses Hesterberg's (2015) *expanded percentile* interval, which moves each tail probability from
``α/2`` to ``Φ(−√(Q/(Q − 1)) · t_{1−α/2, Q−1})``
(:func:`~sgbench.scoring.bootstrap.expanded_tail`). This script measures both on simulated splits
whose truth is known, through the package's own functions, on the same draws: ``percentile``
(the tails put back to ``α/2``) and ``expanded percentile`` (the package's). It derives the
fewest questions at which an interval is worth reporting.

Scenarios (``--sims`` simulated splits per scenario and number of questions, ``--n-boot``
replicates each, every draw seeded):

- ``mean, 20 subgroups``: question ``q`` has a true accuracy ``p_q ~ Beta(2, 2)``; each of 20
  subgroups answers it once, right with probability ``p_q``. Truth: ``E[p] = 0.5``. Interval:
  :func:`~sgbench.scoring.bootstrap.bootstrap_intervals`, the overall mean.
- ``mean, 5 subgroups, skewed``: as above with ``p_q ~ Beta(8, 2)`` (truth 0.8) and 5 subgroups.
- ``paired difference``: two prediction sets on the same samples; A is right with probability
  ``p_q ~ Beta(2, 2)`` and B with ``0.9 p_q``. Truth: ``E[p_A − p_B] = 0.05``. Interval:
  :func:`~sgbench.scoring.bootstrap.paired_difference_intervals` (the leaderboard's).
- ``spread, 4 groups``: 4 groups of 5 subgroups; a subgroup of group ``g`` is right with
  probability ``p_q + δ_g``, ``p_q = 0.15 + 0.7 · Beta(2, 2)``, ``δ = (−0.09, −0.03, 0.03,
  0.09)``. Truth: ``sd_between = sd(δ) = 0.077`` (each group's mean over the population of
  questions is ``0.5 + δ_g``). Interval: the recentred percentile interval of ``sd_between`` over
  the grouping (:func:`~sgbench.scoring.noise.spread_interval`).
- ``spread, 4 groups, larger``: the same with ``δ = (−0.15, −0.05, 0.05, 0.15)``, truth 0.129
  (``p_q + δ_g`` stays within [0, 1]).
- ``spread, none``: the same with ``δ = 0``: no spread, truth 0. The interval holds it when its
  lower end is 0, so the coverage here is how often the interval does *not* claim a gap.

For each method, scenario and ``Q`` it prints the coverage (share of splits whose interval holds
the truth) and the median width, and writes them to
``benchmarks/results/bench_interval_coverage.json`` with ``supported_questions``: the smallest
``Q`` of the grid from which on the package's method covers at least ``--floor`` (0.93) in every
scenario of :data:`FLOOR_SCENARIOS`. Why 0.93: two points below nominal is four binomial
standard errors of a cell of 2,000 splits (0.49 point), so a cell that truly covers 95% falls
below it by chance about once in 50,000, and one that falls below it covers too little.
The spread scenarios are measured but are not part of the floor: a truth of 0 is on the edge of
what a spread can be, so ``spread, none`` covers it nearly always by design (its lower end is
clamped at 0), which says nothing about the floor; and the interval of a spread is not what sets
the fewest questions a report may print an interval from.
:data:`sgbench.scoring.bootstrap.MIN_QUESTIONS` must not be below ``supported_questions``
(``tests/test_scoring_bootstrap.py`` checks the committed figures). Usage::

    python benchmarks/bench_interval_coverage.py [--sims 2000] [--n-boot 1000]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from sgbench.scoring.bootstrap import (
    CONFIDENCE,
    bootstrap_intervals,
    paired_difference_intervals,
)

RESULTS = Path(__file__).parent / "results" / "bench_interval_coverage.json"
GRID = (2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 30, 50)

Interval = tuple[float, float]
Scenario = Callable[[int, int, int, np.random.Generator], Interval]


def _labels(n_questions: int, n_subgroups: int) -> tuple[list[str], list[str]]:
    """Each sample's question and subgroup, for one answer per (question, subgroup) cell."""
    questions = [f"q{q}" for q in range(n_questions) for _ in range(n_subgroups)]
    subgroups = [f"u{u}" for _ in range(n_questions) for u in range(n_subgroups)]
    return questions, subgroups


def mean_interval(n_subgroups: int, a: float, b: float) -> tuple[Scenario, float]:
    """A scenario drawing per-question accuracies from ``Beta(a, b)``, and its truth."""

    def scenario(n_questions: int, n_boot: int, seed: int, rng: np.random.Generator) -> Interval:
        p = rng.beta(a, b, n_questions)
        right = rng.random((n_questions, n_subgroups)) < p[:, None]
        questions, subgroups = _labels(n_questions, n_subgroups)
        intervals = bootstrap_intervals(
            {"accuracy": right.ravel().astype(np.float64)},
            questions,
            {},
            [],
            units=subgroups,
            n_boot=n_boot,
            seed=seed,
        )
        return intervals.metrics["accuracy"]

    return scenario, a / (a + b)


def paired_interval(n_subgroups: int, shrink: float) -> tuple[Scenario, float]:
    """A scenario of two prediction sets, B right ``shrink`` times as often as A, and its truth."""

    def scenario(n_questions: int, n_boot: int, seed: int, rng: np.random.Generator) -> Interval:
        p = rng.beta(2.0, 2.0, n_questions)
        draws = rng.random((n_questions, n_subgroups))
        right_a = draws < p[:, None]
        right_b = draws < shrink * p[:, None]
        questions, _ = _labels(n_questions, n_subgroups)
        values = np.stack([right_a.ravel(), right_b.ravel()]).astype(np.float64)
        low, high = paired_difference_intervals(values, questions, 0, n_boot=n_boot, seed=seed)[1]
        return float(low), float(high)

    return scenario, 0.5 * (1.0 - shrink)


def spread_interval(offsets: tuple[float, ...], per_group: int) -> tuple[Scenario, float]:
    """A scenario of groups of ``per_group`` subgroups whose accuracy is shifted by ``offsets``,
    and its truth: the between-group standard deviation of the offsets."""
    n_groups = len(offsets)

    def scenario(n_questions: int, n_boot: int, seed: int, rng: np.random.Generator) -> Interval:
        p = 0.15 + 0.7 * rng.beta(2.0, 2.0, n_questions)
        shift = np.repeat(np.asarray(offsets), per_group)
        right = rng.random((n_questions, n_groups * per_group)) < p[:, None] + shift[None, :]
        questions, subgroups = _labels(n_questions, n_groups * per_group)
        groups = [f"g{int(u[1:]) // per_group}" for u in subgroups]
        intervals = bootstrap_intervals(
            {"accuracy": right.ravel().astype(np.float64)},
            questions,
            {"group": groups},
            ["accuracy"],
            units=subgroups,
            n_boot=n_boot,
            seed=seed,
        )
        return intervals.spreads["group"]["accuracy"].ci["sd_between"]

    return scenario, float(np.std(offsets, ddof=1))


PERCENTILE = "percentile"
EXPANDED = "expanded percentile"

SCENARIOS: dict[str, tuple[Scenario, float]] = {
    "mean, 20 subgroups": mean_interval(20, 2.0, 2.0),
    "mean, 5 subgroups, skewed": mean_interval(5, 8.0, 2.0),
    "paired difference": paired_interval(20, 0.9),
    "spread, 4 groups": spread_interval((-0.09, -0.03, 0.03, 0.09), 5),
    "spread, 4 groups, larger": spread_interval((-0.15, -0.05, 0.05, 0.15), 5),
    "spread, none": spread_interval((0.0, 0.0, 0.0, 0.0), 5),
}
FLOOR_SCENARIOS: tuple[str, ...] = (
    "mean, 20 subgroups",
    "mean, 5 subgroups, skewed",
    "paired difference",
)
"""The scenarios whose coverage sets the floor (the module docstring says why not the spread)."""


def coverage(
    scenario: Scenario, truth: float, n_questions: int, sims: int, n_boot: int
) -> dict[str, float]:
    """The share of ``sims`` simulated splits whose interval holds ``truth``, and the median
    width of their intervals."""
    rng = np.random.default_rng(n_questions)
    held, widths = 0, []
    for sim in range(sims):
        low, high = scenario(n_questions, n_boot, sim, rng)
        held += low <= truth <= high
        widths.append(high - low)
    return {"coverage": held / sims, "median_width": float(np.median(widths))}


def supported(table: dict[str, dict[str, dict[str, float]]], floor: float) -> int | None:
    """The smallest ``Q`` of the grid from which on every scenario of :data:`FLOOR_SCENARIOS`
    covers at least ``floor``."""
    best = None
    for n_questions in reversed(GRID):
        if all(table[name][str(n_questions)]["coverage"] >= floor for name in FLOOR_SCENARIOS):
            best = n_questions
        else:
            break
    return best


def plain_tail(n_questions: int, confidence: float = CONFIDENCE) -> float:
    """The plain percentile interval's tail probability, ``α/2`` whatever ``n_questions``."""
    return (1.0 - confidence) / 2.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sims", type=int, default=2000)
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--floor", type=float, default=0.93)
    args = parser.parse_args()

    import sgbench.scoring.bootstrap as bootstrap

    # The package draws no replicates below MIN_QUESTIONS: lift that here, so the coverage it
    # would have had is measured on the whole grid.
    bootstrap.MIN_QUESTIONS = 1
    tails = {PERCENTILE: plain_tail, EXPANDED: bootstrap.expanded_tail}
    table: dict[str, dict[str, dict[str, dict[str, float]]]] = {}
    for method, tail in tails.items():
        bootstrap.expanded_tail = tail
        table[method] = {}
        for name, (scenario, truth) in SCENARIOS.items():
            table[method][name] = {}
            for n_questions in GRID:
                row = coverage(scenario, truth, n_questions, args.sims, args.n_boot)
                table[method][name][str(n_questions)] = row
                print(
                    f"{method:<20} {name:<26} Q={n_questions:<3} "
                    f"coverage {row['coverage']:.3f}  median width {row['median_width']:.3f}",
                    flush=True,
                )
    out = {
        "sims": args.sims,
        "n_boot": args.n_boot,
        "confidence": CONFIDENCE,
        "floor": args.floor,
        "floor_scenarios": list(FLOOR_SCENARIOS),
        "grid": list(GRID),
        "method": EXPANDED,
        "supported_questions": supported(table[EXPANDED], args.floor),
        "percentile_supported_questions": supported(table[PERCENTILE], args.floor),
        "truths": {name: truth for name, (_, truth) in SCENARIOS.items()},
        "coverage": table,
    }
    print(f"{EXPANDED}: coverage ≥ {args.floor} from Q = {out['supported_questions']} on")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
