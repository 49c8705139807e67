"""Time the report commands on the embedded default: stats, leaderboard and judge-report.

Builds the embedded SYNTHETIC default into a temporary folder, then times, median of several runs:

- ``compute_stats`` (the statistics) and ``write_stats`` (the statistics and the three charts);
- ``build_leaderboard(with_baselines=True)`` alone, and with ``--entries`` more submissions
  (copies of the ``majority`` predictions);
- ``judge_report`` on a synthetic judgments file: every ``test_ood`` sample in both orders,
  three criteria, seeded random verdicts.

All with 1,000 bootstrap replicates and the default 1,000 permutations (fairness p-values and
the ≈ leader test). Prints the figures and writes them to
``benchmarks/results/bench_reports.json``, which ``docs/generate.py`` quotes. ``--part`` times
one report alone (its keys replace theirs; the others' figures are kept). The leaderboard part
also records the median CPU seconds of the process and the load average before and after: on a
shared machine the wall time follows the load, the CPU time much less (its ratio between two
runs is the code's). Usage::

    python benchmarks/bench_reports.py [--part all|stats|leaderboard|judge] [--runs 3] [--entries 4]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from bench_submission_memory import write_submission
from shared import median_seconds, read_results, results_path, write_results

from sgbench.baselines import run_baseline
from sgbench.builder import build_dataset
from sgbench.dataset import load_manifest, load_split
from sgbench.judge import JUDGE_PROMPT
from sgbench.judge.report import judge_report
from sgbench.leaderboard import build_leaderboard
from sgbench.stats import compute_stats, write_stats

RESULTS = results_path(__file__)
CRITERIA = ["overall", "value", "persona"]
N_BOOT = 1000


def write_submissions(root: Path, dataset: Path, entries: int) -> Path:
    """``entries`` submission folders, each holding the majority baseline's predictions."""
    version = load_manifest(dataset)["version"]
    predictions = run_baseline("majority", dataset).to_jsonl()
    for i in range(entries):
        write_submission(root / f"entry-{i}", predictions, version, f"entry {i}")
    return root


def write_judgments(path: Path, dataset: Path, seed: int = 0) -> int:
    """A judgments file over every test_ood sample in both orders; returns its line count."""
    manifest = load_manifest(dataset)
    frame = load_split(dataset, "default", "test_ood")
    rng = np.random.default_rng(seed)
    settings = {
        "judge_model": "bench-judge",
        "judge_prompt": JUDGE_PROMPT,
        "criteria": CRITERIA,
        "params": {"temperature": 0.0, "max_tokens": 256},
        "a": {"model": "a", "template": "open"},
        "b": {"model": "b", "template": "open"},
        "dataset": {
            "name": manifest["name"],
            "version": manifest["version"],
            "synthetic": manifest["synthetic"],
            "config": "default",
            "split": "test_ood",
        },
    }
    choices = np.array(["A", "B", "tie"])
    lines = []
    for row in frame.itertuples(index=False):
        for order in ("AB", "BA"):
            verdicts = dict(zip(CRITERIA, rng.choice(choices, len(CRITERIA)).tolist(), strict=True))
            record: dict[str, Any] = {
                "id": row.id,
                "order": order,
                "question_id": row.question_id,
                "subgroup_id": row.subgroup_id,
                "subgroup": dict(row.subgroup),
                "verdicts": verdicts,
                "parse": "ok",
                "raw": json.dumps(verdicts),
                **settings,
            }
            lines.append(json.dumps(record))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def median_wall_and_cpu(step: Callable[[], object], runs: int) -> tuple[float, float]:
    """The median wall time and the median CPU time (every thread of this process) of ``runs``
    calls of ``step``, both from the same calls."""
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        step()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["all", "stats", "leaderboard", "judge"], default="all")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--entries", type=int, default=4)
    args = parser.parse_args()
    parts = {"stats", "leaderboard", "judge"} if args.part == "all" else {args.part}
    results: dict[str, Any] = read_results(RESULTS)
    with tempfile.TemporaryDirectory(prefix="sgbench-bench-") as scratch:
        root = Path(scratch)
        dataset = root / "wvs-sg-subgroups"
        build_dataset(out_dir=dataset)
        samples = load_manifest(dataset)["configs"]["default"]["test_ood"]["samples"]
        results.update(
            {
                "script": "benchmarks/bench_reports.py",
                "runs": args.runs,
                "bootstrap": N_BOOT,
                "test_ood_samples": samples,
            }
        )
        print(
            f"embedded default: {samples} test_ood samples; {args.runs} runs, {N_BOOT} replicates"
        )
        if "stats" in parts:
            stats_s = median_seconds(lambda: compute_stats(dataset), args.runs)
            charts_s = median_seconds(
                lambda: write_stats(compute_stats(dataset), root / "stats", chart_format="png"),
                args.runs,
            )
            results.update({"stats_s": stats_s, "stats_with_charts_s": charts_s})
            print(f"compute_stats                  median {stats_s:6.2f} s")
            print(f"write_stats (png charts)       median {charts_s:6.2f} s")
        if "leaderboard" in parts:
            empty = root / "none"
            empty.mkdir()
            some = write_submissions(root / "some", dataset, args.entries)

            def board(folder: Path) -> Callable[[], object]:
                return lambda: build_leaderboard(
                    folder, dataset, with_baselines=True, n_boot=N_BOOT
                )

            load_before = os.getloadavg()[0]
            board_s, board_cpu = median_wall_and_cpu(board(empty), args.runs)
            more_s, more_cpu = median_wall_and_cpu(board(some), args.runs)
            results.update(
                {
                    "leaderboard_baselines_s": board_s,
                    "leaderboard_baselines_cpu_s": board_cpu,
                    "leaderboard_entries": args.entries,
                    "leaderboard_with_entries_s": more_s,
                    "leaderboard_with_entries_cpu_s": more_cpu,
                    "leaderboard_load_average": [load_before, os.getloadavg()[0]],
                }
            )
            print(f"leaderboard --with-baselines   median {board_s:6.2f} s (CPU {board_cpu:.2f} s)")
            print(
                f"leaderboard + {args.entries} entries         median {more_s:6.2f} s "
                f"(CPU {more_cpu:.2f} s)"
            )
            print(f"load average before/after      {load_before:.1f} / {os.getloadavg()[0]:.1f}")
        if "judge" in parts:
            judgments = root / "judgments.jsonl"
            n_judgments = write_judgments(judgments, dataset)
            judge_s = median_seconds(lambda: judge_report(judgments, n_boot=N_BOOT), args.runs)
            results.update(
                {
                    "judgments": n_judgments,
                    "judge_criteria": len(CRITERIA),
                    "judge_report_s": judge_s,
                }
            )
            print(f"judge_report ({n_judgments} judgments)  median {judge_s:6.2f} s")
    write_results(RESULTS, results)


if __name__ == "__main__":
    main()
