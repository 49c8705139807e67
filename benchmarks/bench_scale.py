"""The whole survey at speed: every row of the scale issue's table, on a release-like file.

Writes the full-size SYNTHETIC release of :mod:`bench_build` (about 97k respondents in 66
countries, 600 columns), then runs each step as the user would, ``python -m sgbench ...`` in a
fresh process, several times, and reports the median wall time and the peak resident memory of
that process (``ru_maxrss`` of the child, read by a small wrapper process per run):

- ``pandas.read_csv`` of the whole file (the reference for the one-country build);
- ``sgbench build --country SGP`` and ``--country ALL``;
- ``sgbench baseline majority`` on the ALL build (``test_ood``);
- ``sgbench score`` of those predictions (1,000 bootstrap replicates);
- ``sgbench leaderboard`` of 5 entries on the ALL build.

The figures go to stdout and to a JSON file (``--json``, default
``benchmarks/results/bench_scale.json``) with the machine's core count and load average, since
timings on a shared machine move with the load. ``--before PATH`` also runs another checkout
of sgbench (e.g. an older commit) on the same file, each of its runs right after the
corresponding run of this one, so that both see the same load; the older leaderboard, which
re-read the dataset for every entry, is not run (``--skip-before``). ``--step NAME`` (repeatable)
runs only those steps and replaces only their figures in the JSON file, keeping the others (and
the older checkout's figures, unless another ``--before`` is given); every
step's figures carry the 1-minute load average when the step started. Usage::

    PYTHONPATH=. python benchmarks/bench_scale.py [--runs 3] [--keep DIR] [--before PATH]
        [--step "score (ALL, 1000 bootstrap)" ...]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_build import write_release

HERE = Path(__file__).resolve().parent
TARGETS: dict[str, tuple[float | None, float]] = {
    "build SGP": (None, 2048.0),
    "build ALL": (60.0, 2048.0),
    "baseline majority (ALL)": (10.0, 2048.0),
    "score (ALL, 1000 bootstrap)": (10.0, 2048.0),
    "leaderboard 5 entries (ALL)": (60.0, 2048.0),
}
"""Step → (seconds, MiB) the issue asks for (the SGP build's time target is relative: ≤ 1×
the plain read)."""

WRAPPER = """
import resource, subprocess, sys, time
out = open(sys.argv[1], "wb") if sys.argv[1] != "-" else subprocess.DEVNULL
start = time.perf_counter()
code = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.PIPE).returncode
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(code, elapsed, peak)
"""
"""Runs one command as its only child: wall time and that child's peak RSS (MiB)."""


def run(
    command: list[str], env: dict[str, str], cwd: Path, stdout: str = "-"
) -> tuple[float, float]:
    """(seconds, peak MiB) of one fresh run of ``command``; raises if it fails.

    ``cwd`` holds no ``sgbench`` package: ``python -m`` puts the working folder first on the
    path, and ``PYTHONPATH`` alone must choose the checkout that runs.
    """
    result = subprocess.run(
        [sys.executable, "-c", WRAPPER, stdout, *command],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        check=True,
    )
    code, seconds, peak = result.stdout.split()
    if int(code) not in (0, 3):  # leaderboard: 3 = written, some entry left out
        raise RuntimeError(f"{command} exited {code}")
    return float(seconds), float(peak)


def figures(runs: list[tuple[float, float]]) -> dict[str, float]:
    seconds = [r[0] for r in runs]
    return {
        "median_s": round(statistics.median(seconds), 2),
        "min_s": round(min(seconds), 2),
        "max_s": round(max(seconds), 2),
        "peak_mib": round(max(r[1] for r in runs)),
        "runs": len(runs),
    }


def write_submissions(folder: Path, dataset: Path, env: dict[str, str]) -> None:
    """Five leaderboard entries for the ALL build: three baselines and two more random seeds.

    Not ``nearest``: on the ALL build its candidate matrix (test samples × training subgroups)
    does not fit in memory.
    """
    code = f"""
import json
from pathlib import Path
from sgbench.baselines import run_baselines
folder, dataset = Path({str(folder)!r}), {str(dataset)!r}
version = json.loads(Path(dataset, "manifest.json").read_text())["version"]
results = [(r.name, r) for r in run_baselines(["random", "majority", "composition"],
                                              dataset, splits=["test_ood"])]
for seed in (1, 2):
    result = run_baselines(["random"], dataset, splits=["test_ood"], seed=seed)[0]
    results += [(f"random-{{seed}}", result)]
for slug, result in results:
    entry = folder / slug
    entry.mkdir(parents=True)
    (entry / "predictions.jsonl").write_text(result.to_jsonl(), encoding="utf-8")
    (entry / "submission.json").write_text(json.dumps({{
        "model": slug, "method": "baseline", "organisation": "bench", "url": None,
        "dataset_version": version, "date": "2026-01-01", "notes": ""}}), encoding="utf-8")
"""
    subprocess.run([sys.executable, "-c", code], env=env, cwd=folder.parent, check=True)


def steps(folder: Path, release: Path) -> dict[str, tuple[list[str], str]]:
    """Step name → (command, file for its stdout or "-"), in run order, for one checkout's
    outputs under ``folder``."""
    sgbench = [sys.executable, "-m", "sgbench"]
    sgp, every, board = folder / "sgp", folder / "all", str(folder / "board")
    predictions, submissions = folder / "majority.jsonl", folder / "submissions"
    return {
        "pandas.read_csv (all)": (
            [sys.executable, "-c", f"import pandas; pandas.read_csv({str(release)!r})"],
            "-",
        ),
        "build SGP": (
            [*sgbench, "build", "--wvs", str(release), "--country", "SGP", "--out", str(sgp)],
            "-",
        ),
        "build ALL": (
            [*sgbench, "build", "--wvs", str(release), "--country", "ALL", "--out", str(every)],
            "-",
        ),
        "baseline majority (ALL)": (
            [*sgbench, "baseline", "majority", "--dataset", str(every)],
            str(predictions),
        ),
        "score (ALL, 1000 bootstrap)": (
            [*sgbench, "score", str(predictions), "--dataset", str(every), "--bootstrap=1000"],
            "-",
        ),
        "leaderboard 5 entries (ALL)": (
            [*sgbench, "leaderboard", str(submissions), f"--dataset={every}", "--out", board],
            "-",
        ),
    }


def show(label: str, name: str, r: dict[str, float]) -> None:
    seconds, peak = TARGETS.get(name, (None, None))
    print(
        f"{label:<7}{name:<30} median {r['median_s']:7.2f} s (min {r['min_s']:.2f}, max "
        f"{r['max_s']:.2f})  peak {r['peak_mib']:6.0f} MiB"
        + (f"  target ≤ {seconds:g} s" if seconds else "")
        + (f", ≤ {peak:g} MiB" if peak else ""),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="keep the files here")
    parser.add_argument("--before", type=Path, default=None, help="an older checkout to compare")
    parser.add_argument("--skip-before", action="append", default=["leaderboard"])
    parser.add_argument("--json", type=Path, default=HERE / "results" / "bench_scale.json")
    parser.add_argument("--step", action="append", default=None, help="run only this step")
    args = parser.parse_args()
    checkouts = {"after": HERE.parent}
    if args.before is not None:
        checkouts["before"] = args.before
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="sgbench-scale-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        release = folder / "WVS_Cross-National_Wave_7_synthetic.csv"
        if not release.is_file():
            write_release(release)
        size = release.stat().st_size / 2**20
        print(f"SYNTHETIC release: {size:.0f} MiB; {args.runs} runs; {checkouts}", flush=True)
        plans = {label: steps(folder / label, release) for label in checkouts}
        envs = {
            label: {**os.environ, "PYTHONPATH": str(path.resolve())}
            for label, path in checkouts.items()
        }
        results: dict[str, dict[str, Any]] = {label: {} for label in checkouts}
        for name in plans["after"]:
            needed = {"build ALL", "baseline majority (ALL)"} if args.step else set()
            if args.step and name not in args.step:
                # Later steps read what these write: run them once, unmeasured, if missing.
                for label in checkouts:
                    command, stdout = plans[label][name]
                    output = Path(command[-1] if stdout == "-" else stdout)
                    if name in needed and not output.exists():
                        run(command, envs[label], folder, stdout)
                continue
            load_now = os.getloadavg()[0]
            runs: dict[str, list[tuple[float, float]]] = {label: [] for label in checkouts}
            labels = [
                label
                for label in checkouts
                if label == "after" or not any(name.startswith(s) for s in args.skip_before)
            ]
            for label in labels:
                if name.startswith("leaderboard") and not (folder / label / "submissions").exists():
                    write_submissions(
                        folder / label / "submissions", folder / label / "all", envs[label]
                    )
            for _ in range(args.runs):
                for label in labels:
                    command, stdout = plans[label][name]
                    runs[label].append(run(command, envs[label], folder, stdout))
            for label in labels:
                results[label][name] = {**figures(runs[label]), "load_1min": round(load_now, 2)}
                show(label, name, results[label][name])
    before = str(args.before) if args.before else None
    if args.step and args.json.is_file():
        # Keep this checkout's other steps; an older checkout's unless another one was given
        # (a --step run without --before re-measures only this checkout).
        earlier_report = json.loads(args.json.read_text(encoding="utf-8"))
        earlier = earlier_report["results"]
        same_before = before is None or earlier_report.get("before") == before
        if before is None:
            before = earlier_report.get("before")
        keep = [label for label in earlier if label == "after" or same_before]
        results = {
            label: {**(earlier[label] if label in keep else {}), **results.get(label, {})}
            for label in dict.fromkeys([*keep, *results])
        }
    ratios = {
        label: round(r["build SGP"]["median_s"] / r["pandas.read_csv (all)"]["median_s"], 2)
        for label, r in results.items()
        if "build SGP" in r and "pandas.read_csv (all)" in r
    }
    for label, ratio in ratios.items():
        print(f"{label:<7}build SGP / pandas.read_csv: {ratio:.2f}× (target ≤ 1.0×)")
    report = {
        "release_mib": round(size),
        "runs": args.runs,
        "cpu_count": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "date": time.strftime("%Y-%m-%d"),
        "targets": {name: {"s": s, "mib": m} for name, (s, m) in TARGETS.items()},
        "before": before,
        "results": results,
        "build_sgp_over_read_csv": ratios,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"written {args.json}")


if __name__ == "__main__":
    main()
