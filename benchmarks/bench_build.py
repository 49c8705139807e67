"""Build speed and memory on a full-size SYNTHETIC Wave 7 release.

Writes a release-shaped CSV (~97k respondents in 66 countries, ~600 columns: every catalogue
item, the demographics, and filler columns standing for the rest of the release), then times,
each in a fresh subprocess so that peak memory is the run's own:

- a plain ``pandas.read_csv`` of the whole file (the reference point);
- ``sgbench build --country SGP`` (one country);
- ``sgbench build --country ALL`` (every country, country as an attribute).

Prints the median and spread of several runs and the peak resident memory, and writes the same
figures to ``benchmarks/results/bench_build.json``, which ``docs/generate.py`` quotes in the docs.
Usage::

    python benchmarks/bench_build.py [--runs 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from shared import results_path, write_results

from sgbench.builder.synthetic import synthetic_sample
from sgbench.catalogue import load_countries

N_COUNTRIES = 66
PER_COUNTRY = 1470  # 66 × 1470 ≈ 97k respondents, the size of the Wave 7 release
N_COLUMNS = 600
RESULTS = results_path(__file__)


def write_release(path: Path) -> tuple[int, int]:
    """Write the full-size synthetic release; returns (rows, columns)."""
    known = load_countries()
    others = [c for alpha, c in known.items() if alpha != "SGP"][: N_COUNTRIES - 1]
    countries = [known["SGP"], *others]
    frames = []
    for index, country in enumerate(countries):
        frame = synthetic_sample(seed=1000 + index, n=PER_COUNTRY)
        frame["B_COUNTRY"] = country.numeric
        frame["B_COUNTRY_ALPHA"] = country.alpha
        frames.append(frame)
    release = pd.concat(frames, ignore_index=True)
    rng = np.random.default_rng(0)
    filler = N_COLUMNS - release.shape[1]
    extra = pd.DataFrame(
        rng.integers(-5, 11, size=(len(release), filler)),
        columns=[f"Z{i:03d}" for i in range(filler)],
    )
    release = pd.concat([release, extra], axis=1)
    release.to_csv(path, index=False)
    return release.shape


def timed(code: str) -> tuple[float, float]:
    """Run Python code in a fresh interpreter; (seconds, peak RSS in MiB) of that process."""
    probe = (
        "import resource, time, sys\n"
        "start = time.perf_counter()\n"
        f"{code}\n"
        "elapsed = time.perf_counter() - start\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(elapsed, peak)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    seconds, peak = result.stdout.split()[-2:]
    return float(seconds), float(peak)


def report(name: str, runs: list[tuple[float, float]]) -> dict[str, float]:
    seconds = [r[0] for r in runs]
    peaks = [r[1] for r in runs]
    figures = {
        "median_s": statistics.median(seconds),
        "min_s": min(seconds),
        "max_s": max(seconds),
        "peak_mib": max(peaks),
    }
    print(
        f"{name:<28} median {figures['median_s']:6.2f} s  (min {figures['min_s']:.2f}, "
        f"max {figures['max_s']:.2f}, {len(runs)} runs)  peak RSS {figures['peak_mib']:7.0f} MiB"
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, default=None, help="keep the release file here")
    args = parser.parse_args()
    results: dict[str, object] = {"script": "benchmarks/bench_build.py", "runs": args.runs}
    with tempfile.TemporaryDirectory(prefix="sgbench-bench-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        release = folder / "WVS_Cross-National_Wave_7_synthetic.csv"
        start = time.perf_counter()
        rows, columns = write_release(release)
        size = release.stat().st_size / 2**20
        results["release"] = {"respondents": rows, "columns": columns, "mib": round(size, 1)}
        results["countries"] = N_COUNTRIES
        print(
            f"SYNTHETIC release: {rows} respondents × {columns} columns, {size:.0f} MiB "
            f"(written in {time.perf_counter() - start:.1f} s)"
        )
        cases = {
            "pandas.read_csv (all)": f"import pandas as pd; pd.read_csv({str(release)!r})",
            "sgbench build SGP": (
                "from sgbench.builder import build_dataset; "
                f"build_dataset({str(release)!r}, {str(folder / 'sgp')!r}, country='SGP')"
            ),
            "sgbench build ALL": (
                "from sgbench.builder import build_dataset; "
                f"build_dataset({str(release)!r}, {str(folder / 'all')!r}, country='ALL')"
            ),
        }
        figures = {
            name: report(name, [timed(code) for _ in range(args.runs)])
            for name, code in cases.items()
        }
        reference = figures["pandas.read_csv (all)"]["median_s"]
        for name in ("sgbench build SGP", "sgbench build ALL"):
            figures[name]["ratio_to_read_csv"] = figures[name]["median_s"] / reference
            print(f"{name} / read_csv: {figures[name]['ratio_to_read_csv']:.2f}×")
        all_manifest = json.loads((folder / "all" / "manifest.json").read_text(encoding="utf-8"))
        samples_all = sum(s["samples"] for s in all_manifest["configs"]["default"].values())
        print(f"sgbench build ALL: {samples_all} samples")
        results["samples_all"] = samples_all
        results["cases"] = figures
    write_results(RESULTS, results)


if __name__ == "__main__":
    main()
