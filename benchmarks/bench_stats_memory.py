"""Peak memory and time of ``sgbench stats`` on many-country builds (issue #15).

The mean pairwise distance compares every pair of subgroups of a (question, stratum) cell, and
the pairs grow with the square of a cell's subgroups: a 20-country ``--country ALL`` build has
63.6 million. This script writes a SYNTHETIC release of ``--countries`` countries (the file of
:mod:`bench_file_metadata`, 1,470 respondents each), builds it with ``--country ALL`` (or takes
an existing build, ``--dataset``, read only), and runs ``python -m sgbench stats`` on it in a
fresh process per run, reporting the median wall time and the child's peak resident memory
(``ru_maxrss``, read by a small wrapper process). ``--before PATH`` also runs another checkout
(e.g. the commit before a change), each of its runs right after the corresponding run of this
one. ``--limit-mib`` caps each run's address space (``RLIMIT_AS``), so that a checkout that
would exhaust the machine stops with sgbench's own out-of-memory error instead; such a run is
reported with its exit code and no time.

The figures go to stdout and, under the build's label (``"6 countries"``), into
``benchmarks/results/bench_stats_memory.json``, keeping other labels' figures. Usage::

    python benchmarks/bench_stats_memory.py [--countries 6] [--dataset DIR] [--keep DIR]
        [--before PATH] [--runs 1] [--limit-mib 6000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from bench_file_metadata import write_release
from shared import read_results, results_path, write_results

from sgbench.stats.data import load_landscape

RESULTS = results_path(__file__)
HERE = Path(__file__).resolve().parent

WRAPPER = """
import resource, subprocess, sys, time
limit = int(sys.argv[1])

def cap():
    if limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit * 2**20, limit * 2**20))

start = time.perf_counter()
child = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       preexec_fn=cap)
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(child.returncode, elapsed, peak)
lines = child.stderr.decode(errors="replace").strip().splitlines()
print(lines[-1] if lines else "", file=sys.stderr)
"""
"""Runs one command as its only child, under an optional address-space cap (MiB, 0: none):
its exit code, wall time and peak RSS (MiB)."""


def run_stats(dataset: Path, out: Path, env: dict[str, str], limit_mib: int) -> dict[str, Any]:
    """One fresh ``sgbench stats`` run: exit code, seconds, peak MiB, and its error if any.

    Runs in ``out``'s parent, which holds no ``sgbench`` package: ``PYTHONPATH`` alone chooses
    the checkout.
    """
    command = [sys.executable, "-m", "sgbench", "stats", "--dataset", str(dataset)]
    command += ["--out", str(out)]
    result = subprocess.run(
        [sys.executable, "-c", WRAPPER, str(limit_mib), *command],
        capture_output=True,
        text=True,
        env=env,
        cwd=out.parent,
        check=True,
    )
    code, seconds, peak = result.stdout.split()
    return {
        "code": int(code),
        "seconds": float(seconds),
        "peak_mib": float(peak),
        "error": result.stderr.strip() if int(code) else "",
    }


def figures(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median, min and max seconds and the largest peak of ``runs`` (failed runs: their exit
    code and last error line, no time)."""
    failed = [r for r in runs if r["code"] != 0]
    peak = round(max(r["peak_mib"] for r in runs))
    if failed:
        return {"exit_code": failed[0]["code"], "error": failed[0]["error"], "peak_mib": peak}
    seconds = [r["seconds"] for r in runs]
    return {
        "median_s": round(statistics.median(seconds), 2),
        "min_s": round(min(seconds), 2),
        "max_s": round(max(seconds), 2),
        "peak_mib": peak,
        "runs": len(runs),
    }


def pair_count(dataset: Path) -> tuple[int, int]:
    """(samples, within-cell subgroup pairs) of the build's default config: the pairs the mean
    pairwise distance compares, ``Σ_c |S_c|(|S_c| − 1)/2`` over (question, stratum) cells."""
    meta = load_landscape(dataset).items.meta
    key = meta["question_id"].astype(str) + "\x1f" + meta["stratum"].astype(str)
    sizes = key.value_counts().to_numpy().astype(np.int64)
    return len(meta), int((sizes * (sizes - 1) // 2).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--countries", type=int, default=6)
    parser.add_argument("--dataset", type=Path, default=None, help="an existing ALL build")
    parser.add_argument("--keep", type=Path, default=None, help="keep the files here")
    parser.add_argument("--before", type=Path, default=None, help="an older checkout to compare")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--limit-mib", type=int, default=0, help="address-space cap per run")
    args = parser.parse_args()
    checkouts = {"after": HERE.parent}
    if args.before is not None:
        checkouts["before"] = args.before.resolve()
    envs = {label: {**os.environ, "PYTHONPATH": str(path)} for label, path in checkouts.items()}
    with tempfile.TemporaryDirectory(prefix="sgbench-stats-memory-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        dataset = args.dataset
        if dataset is None:
            release = folder / f"release-{args.countries}.csv"
            dataset = folder / f"all-{args.countries}"
            if not release.is_file():
                write_release(release, args.countries)
            if not dataset.is_dir():
                start = time.perf_counter()
                build = ["build", "--wvs", str(release), "--country", "ALL", "--out", str(dataset)]
                subprocess.run(
                    [sys.executable, "-m", "sgbench", *build, "-q"],
                    env=envs["after"],
                    cwd=folder,
                    check=True,
                )
                print(f"built {dataset} in {time.perf_counter() - start:.0f} s", flush=True)
        samples, pairs = pair_count(dataset)
        print(f"{args.countries} countries: {samples:,} samples, {pairs:,} pairs", flush=True)
        load = os.getloadavg()[0]
        runs: dict[str, list[dict[str, Any]]] = {label: [] for label in checkouts}
        for i in range(args.runs):
            for label in checkouts:
                out = folder / f"stats-{label}-{i}"
                runs[label].append(run_stats(dataset, out, envs[label], args.limit_mib))
                print(label, runs[label][-1], flush=True)
    results = read_results(RESULTS)
    results["script"] = "benchmarks/bench_stats_memory.py"
    results["cpu_count"] = os.cpu_count()
    builds = results.setdefault("builds", {})
    builds[f"{args.countries} countries"] = {
        "samples": samples,
        "pairs": pairs,
        "load_1min": round(load, 2),
        "limit_mib": args.limit_mib or None,
        "date": time.strftime("%Y-%m-%d"),
        "before": str(args.before) if args.before else None,
        **{label: figures(r) for label, r in runs.items()},
    }
    for label, r in runs.items():
        print(f"{label:<7} {figures(r)}")
    write_results(RESULTS, results)


if __name__ == "__main__":
    main()
