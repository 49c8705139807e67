"""Time ``sgbench import paper-outputs`` on every sample of the embedded default's ``paper`` config.

Builds the embedded SYNTHETIC default into a temporary folder, writes a released-format source
with one row per sample (a randomly chosen accepted spelling of its id) plus 1% garbled ids,
then times ``import_paper_outputs`` and prints the median and spread of the runs; the figures go
to ``benchmarks/results/bench_paper_import.json``.

    python benchmarks/bench_paper_import.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from shared import results_path, write_results

from sgbench.builder import build_dataset
from sgbench.paper import import_paper_outputs
from sgbench.paper.importer import build_index

RESULTS = results_path(__file__)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        dataset = root / "wvs-sg-subgroups"
        build_dataset(out_dir=dataset)
        keys = build_index(dataset).keys
        rows = keys.groupby("id").sample(n=1, random_state=0).sort_values("custom_id")
        garbled = [f"garbled-{i}" for i in range(len(rows) // 100)]
        source = root / "outputs.jsonl"
        with source.open("w", encoding="utf-8") as handle:
            for custom_id in [*rows["custom_id"], *garbled]:
                handle.write(json.dumps({"custom_id": custom_id, "response": "Answer: 1"}) + "\n")
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            result = import_paper_outputs(str(source), dataset, root / "out.jsonl")
            times.append(time.perf_counter() - start)
        print(
            f"import paper-outputs: {len(rows) + len(garbled)} rows "
            f"({len(result.lines)} imported, {len(result.left_out)} left out); "
            f"median {statistics.median(times):.2f} s over {args.runs} runs "
            f"(min {min(times):.2f}, max {max(times):.2f})"
        )
        results = {
            "script": "benchmarks/bench_paper_import.py",
            "runs": args.runs,
            "rows": len(rows) + len(garbled),
            "imported": len(result.lines),
            "left_out": len(result.left_out),
            "median_s": statistics.median(times),
            "min_s": min(times),
            "max_s": max(times),
        }
    write_results(RESULTS, results)


if __name__ == "__main__":
    main()
