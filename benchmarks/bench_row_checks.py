"""What checking every row of a release costs a one-country build.

A build checks every row of its WVS file (codes whole numbers, no infinities), in every format,
whatever the country it builds (docs/errors.md). For a CSV that means parsing every line, where
the one-country build once parsed only the lines holding the country's code. This script writes
the full-size SYNTHETIC release of ``bench_build.py`` (~97k respondents in 66 countries, 600
columns) and a CSV of its Singapore rows alone (what that cut parsed), then times
``build_dataset(..., country="SGP")`` on each, alternating, each run in a fresh process, and
prints the medians, the difference (the cost of parsing and checking the other 65 countries'
rows) and the peak resident memory; it writes them to ``benchmarks/results/bench_row_checks.json``.
The machine is shared: the two cases alternate so that both see the same load.

Usage::

    python benchmarks/bench_row_checks.py [--runs 3] [--release FILE]
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_build import timed
from shared import results_path, write_results

RESULTS = results_path(__file__)


def build_code(source: Path, out: Path) -> str:
    return (
        "from sgbench.builder import build_dataset; "
        f"build_dataset({str(source)!r}, {str(out)!r}, country='SGP')"
    )


def singapore_rows(release: Path, out: Path) -> dict[str, int]:
    """Write the header and Singapore's lines of ``release`` to ``out``, a line at a time (this
    process stays small: a child's peak memory starts from its parent's); the row counts."""
    rows = {"release": 0, "sgp_only": 0}
    with release.open(newline="") as source, out.open("w", newline="") as target:
        reader, writer = csv.reader(source), csv.writer(target, lineterminator="\n")
        header = next(reader)
        writer.writerow(header)
        alpha = header.index("B_COUNTRY_ALPHA")
        for record in reader:
            rows["release"] += 1
            if record[alpha] == "SGP":
                rows["sgp_only"] += 1
                writer.writerow(record)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--release", type=Path, default=None, help="reuse this release CSV")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sgbench-rows-") as scratch:
        folder = Path(scratch)
        release = args.release or folder / "release.csv"
        if args.release is None:  # in a child of its own, which needs gigabytes
            code = f"from bench_build import write_release; write_release(Path({str(release)!r}))"
            subprocess.run(
                [sys.executable, "-c", f"from pathlib import Path; {code}"],
                cwd=Path(__file__).parent,
                check=True,
            )
        singapore = folder / "sgp-only.csv"
        rows = singapore_rows(release, singapore)
        runs: dict[str, list[tuple[float, float]]] = {"release": [], "sgp_only": []}
        loads = []
        for number in range(args.runs):
            loads.append(os.getloadavg()[0])
            for name, source in (("release", release), ("sgp_only", singapore)):
                runs[name].append(timed(build_code(source, folder / f"{name}-{number}")))
    figures = {
        name: {
            "median_s": statistics.median(s for s, _ in measured),
            "peak_mib": max(p for _, p in measured),
        }
        for name, measured in runs.items()
    }
    cost = figures["release"]["median_s"] - figures["sgp_only"]["median_s"]
    for name, values in figures.items():
        print(
            f"build SGP from {name:<8} ({rows[name]:>6} rows): median {values['median_s']:6.2f} s"
            f"  peak RSS {values['peak_mib']:6.0f} MiB"
        )
    print(
        f"checking the other {rows['release'] - rows['sgp_only']} rows costs {cost:.2f} s "
        f"({args.runs} runs each, 1-minute load {statistics.median(loads):.1f})"
    )
    results = {
        "script": "benchmarks/bench_row_checks.py",
        "runs": args.runs,
        "rows": rows,
        "load": statistics.median(loads),
        "cases": figures,
        "cost_s": cost,
    }
    write_results(RESULTS, results)


if __name__ == "__main__":
    main()
