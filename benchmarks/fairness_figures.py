"""Print the fairness figures the README quotes: the worked example of the noise-aware spread, and
every baseline's fairness on the embedded default (SYNTHETIC) next to its permutation null.

Builds the embedded default into a temporary folder, runs the four baselines (``random`` with
seed 0) on ``test_ood`` and ``test_id``, scores each with 1,000 bootstrap replicates over questions
and 1,000 permutations (seed 0), and prints Markdown tables:

1. the worked example of :mod:`sgbench.scoring.noise` computed by the library;
2. per split and baseline: accuracy with its interval, ``cv_between`` of accuracy across subgroups
   with its interval and p-value, ``norm_range`` and ``cv`` of accuracy with their means under the
   permutation null (how much of the descriptive figure is noise), and for NMAE ``gap``,
   ``sd_between`` and p, with ``norm_range`` marked ``(degenerate)`` when a subgroup is at 0.

    python benchmarks/fairness_figures.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from sgbench.baselines import BASELINES, run_baseline
from sgbench.builder import build_dataset
from sgbench.scoring import score_predictions
from sgbench.scoring.bootstrap import bootstrap_intervals

SPLITS = ("test_ood", "test_id")


def worked_example() -> list[str]:
    """The module docstring's example: a scores 1, 1, 0 and b 0, 0, 0 on three questions."""
    values = np.array([1.0, 0.0, 1.0, 0.0, 0.0, 0.0])
    questions = ["1", "1", "2", "2", "3", "3"]
    groups = ["a", "b"] * 3
    result = bootstrap_intervals(
        {"m": values},
        questions,
        {"g": groups},
        ["m"],
        units=groups,
        n_boot=0,
        seed=0,
        n_permutations=100_000,
    )
    spread = result.spreads["g"]["m"]
    assert spread.null is not None
    figures = dict(spread.figures)
    lines = ["| figure | value |", "| --- | --- |"]
    lines += [
        f"| `se` of a, b | {spread.standard_errors[0]:.4f}, {spread.standard_errors[1]:.4f} |"
    ]
    lines += [f"| `{name}` | {value:.4f} |" for name, value in figures.items()]
    lines += [f"| `p_value` (100,000 permutations; exact 0.5) | {spread.null.p_value:.4f} |"]
    return lines


def number(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def interval(ci: list[float | None] | None) -> str:
    return "" if not ci else f" [{number(ci[0])}, {number(ci[1])}]"


def row(split: str, name: str, report: dict[str, Any]) -> str:
    accuracy = report["fairness"]["subgroup"]["accuracy"]
    nmae = report["fairness"]["subgroup"]["nmae"]
    null = accuracy["null"]["mean"]
    degenerate = " (degenerate)" if nmae["norm_range_degenerate"] else ""
    return (
        f"| `{split}` | `{name}` | {number(report['metrics']['accuracy'])}"
        f"{interval(report['ci']['accuracy'])} "
        f"| {number(accuracy['cv_between'])}{interval(accuracy['ci']['cv_between'])} "
        f"| {number(accuracy['p_value'])} "
        f"| {number(accuracy['norm_range'])} ({number(null['norm_range'])}) "
        f"| {number(accuracy['cv'])} ({number(null['cv'])}) "
        f"| {number(nmae['gap'])} | {number(nmae['sd_between'])} | {number(nmae['p_value'])} "
        f"| {number(nmae['norm_range'])}{degenerate} |"
    )


def main() -> None:
    print("Worked example (sgbench.scoring.noise):\n")
    print("\n".join(worked_example()))
    print()
    header = (
        "| split | baseline | accuracy [95% CI] | accuracy `cv_between` [95% CI] | p "
        "| `norm_range` (null mean) | `cv` (null mean) | NMAE `gap` | NMAE `sd_between` | p "
        "| NMAE `norm_range` |"
    )
    lines = [header, "|" + " --- |" * 11]
    with tempfile.TemporaryDirectory() as tmp:
        dataset = Path(tmp) / "ds"
        build_dataset(out_dir=dataset)
        for split in SPLITS:
            for name in BASELINES:
                path = Path(tmp) / f"{name}-{split}.jsonl"
                path.write_text(run_baseline(name, dataset, split=split).to_jsonl(), "utf-8")
                report = score_predictions(path, dataset, split=split, n_boot=1000, seed=0)
                lines.append(row(split, name, report.to_dict()))
    print("Baselines on the embedded default (SYNTHETIC; subgroups; 1,000 replicates and")
    print("1,000 permutations, seed 0):\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
