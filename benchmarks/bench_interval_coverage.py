"""How often sgbench's nominal 95% bootstrap intervals cover a known truth, by number of questions.

The question-level bootstrap (:mod:`sgbench.scoring.bootstrap`) treats a split's questions as a
sample from a population of questions. With few questions its percentile intervals are too
narrow: a resample of ``Q`` questions has about ``(Q − 1)/Q`` of the true variance, and the
percentiles of a few dozen distinct resamples cannot reach the tails a 95% interval needs. This
script measures that on simulated splits whose truth is known, through the package's own
functions, and derives the fewest questions at which an interval is worth reporting.

Scenarios (``--sims`` simulated splits per scenario and number of questions, ``--n-boot``
replicates each, every draw seeded):

- ``mean, 20 subgroups``: question ``q`` has a true accuracy ``p_q ~ Beta(2, 2)``; each of 20
  subgroups answers it once, right with probability ``p_q``. Truth: ``E[p] = 0.5``. Interval:
  :func:`~sgbench.scoring.bootstrap.bootstrap_intervals`, the overall mean.
- ``mean, 5 subgroups, skewed``: as above with ``p_q ~ Beta(8, 2)`` (truth 0.8) and 5 subgroups.
- ``paired difference``: two prediction sets on the same samples; A is right with probability
  ``p_q ~ Beta(2, 2)`` and B with ``0.9 p_q``. Truth: ``E[p_A − p_B] = 0.05``. Interval:
  :func:`~sgbench.scoring.bootstrap.paired_difference_intervals` (the leaderboard's).

For each scenario and ``Q`` it prints the coverage (share of splits whose interval holds the
truth) and the median width, and writes them to ``benchmarks/results/bench_interval_coverage.json``
with ``supported_questions``: the smallest ``Q`` of the grid from which on the coverage is at
least ``--floor`` (0.90) in every scenario. :data:`sgbench.scoring.bootstrap.MIN_QUESTIONS` must
not be below it (``tests/test_scoring_bootstrap.py`` checks the committed figures). Usage::

    python benchmarks/bench_interval_coverage.py [--sims 2000] [--n-boot 1000]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from sgbench.scoring.bootstrap import (
    MIN_QUESTIONS,
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


SCENARIOS: dict[str, tuple[Scenario, float]] = {
    "mean, 20 subgroups": mean_interval(20, 2.0, 2.0),
    "mean, 5 subgroups, skewed": mean_interval(5, 8.0, 2.0),
    "paired difference": paired_interval(20, 0.9),
}


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
    """The smallest ``Q`` of the grid from which on every scenario covers at least ``floor``."""
    best = None
    for n_questions in reversed(GRID):
        if all(rows[str(n_questions)]["coverage"] >= floor for rows in table.values()):
            best = n_questions
        else:
            break
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sims", type=int, default=2000)
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--floor", type=float, default=0.90)
    args = parser.parse_args()

    import sgbench.scoring.bootstrap as bootstrap

    # The package draws no replicates below MIN_QUESTIONS: lift that here, so the coverage it
    # would have had is measured on the whole grid.
    bootstrap.MIN_QUESTIONS = 1
    table: dict[str, dict[str, dict[str, float]]] = {}
    for name, (scenario, truth) in SCENARIOS.items():
        table[name] = {}
        for n_questions in GRID:
            row = coverage(scenario, truth, n_questions, args.sims, args.n_boot)
            table[name][str(n_questions)] = row
            print(
                f"{name:<28} Q={n_questions:<3} coverage {row['coverage']:.3f}  "
                f"median width {row['median_width']:.3f}",
                flush=True,
            )
    out = {
        "sims": args.sims,
        "n_boot": args.n_boot,
        "floor": args.floor,
        "grid": list(GRID),
        "min_questions": MIN_QUESTIONS,
        "supported_questions": supported(table, args.floor),
        "scenarios": table,
    }
    print(f"coverage ≥ {args.floor} from Q = {out['supported_questions']} on")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
