"""Peak memory of ``score``, ``judge`` and ``leaderboard`` on an honest input and a hostile large
one, and the time ``leaderboard`` takes to refuse an output folder whose listed file grew.

Builds the embedded SYNTHETIC default into a temporary folder and writes:

- honest predictions (the ``majority`` baseline's) and hostile ones: the honest lines repeated
  to ``--mib`` MiB (valid JSON on every line; only the size tells them apart before reading),
  and to exactly the bound (:func:`~sgbench.scoring.predictions.largest_predictions_file`): the
  most a predictions file read by ``score`` may cost;
- an honest responses file (one ``Answer: 1`` per test_ood sample) and a hostile one: its lines
  repeated to ``--mib`` MiB. ``judge`` is given as B a file answering no test_ood sample, so it
  reads both files and stops before any request (``no sample ... answered in both files``): the
  figure is the reading's;
- a leaderboard folder with the honest submission, alone and with a hostile ``--mib`` MiB one.

Each command runs ``--runs`` times in a fresh process (``python -m sgbench``); the script prints
the median peak resident memory (``VmHWM``), its ratio to the input's size and the exit code.
Last, an earlier ``leaderboard`` output has a listed file grown to ``--grow-gib`` GiB (sparse)
and ``leaderboard`` is timed refusing to replace it (median seconds).

``--checkout PATH`` measures the sgbench of another checkout (for a before/after comparison;
the dataset and inputs are still made with this one) and writes nothing; otherwise the figures
go to ``benchmarks/results/bench_input_memory.json``. Usage::

    python benchmarks/bench_input_memory.py [--mib 200] [--runs 3] [--grow-gib 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from bench_submission_memory import ROOT, hostile_file, peak, write_submission
from shared import results_path, write_results

from sgbench.baselines import run_baseline
from sgbench.builder import build_dataset
from sgbench.dataset import load_manifest
from sgbench.leaderboard.submission import load_ranked_splits
from sgbench.prompts import split_rows
from sgbench.scoring.predictions import largest_predictions_file

RESULTS = results_path(__file__)


def measure(
    command: list[str], size: int, runs: int, checkout: Path
) -> tuple[dict[str, float | int], str]:
    """Median peak memory (MiB) of ``runs`` fresh processes, its ratio to ``size`` bytes, and
    the exit code (the same in every run); and the first line the command wrote on stderr."""
    peaks, codes, said = [], set(), ""
    for _ in range(runs):
        mib, code, err = peak(command, checkout)
        peaks.append(mib)
        codes.add(code)
        said = next((line for line in err.splitlines() if not line.startswith("VmHWM")), "")
    (code,) = codes
    median = statistics.median(peaks)
    figures = {"peak_mib": median, "ratio": median * 2**20 / size, "exit": code, "bytes": size}
    return figures, said


def grown_output_seconds(
    board: Path, settings: list[str], out: Path, grow_gib: int, runs: int, checkout: Path
) -> float:
    """Median seconds ``leaderboard`` takes to refuse ``out`` once a file listed in its marker
    is a ``grow_gib`` GiB sparse file."""
    done = peak(["leaderboard", str(board), "--out", str(out), *settings], checkout)
    assert done[1] == 0, done[2]
    listed = sorted(json.loads((out / ".sgbench-output.json").read_text("utf-8"))["files"])
    with (out / listed[0]).open("r+b") as handle:
        handle.truncate(grow_gib << 30)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        _, code, err = peak(["leaderboard", str(board), "--out", str(out), *settings], checkout)
        times.append(time.perf_counter() - start)
        assert code == 2, err
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=200, help="hostile input size (MiB)")
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per command")
    parser.add_argument("--grow-gib", type=int, default=20, help="grown output file (GiB)")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="sgbench checkout to run")
    args = parser.parse_args()
    checkout = args.checkout.resolve()
    with tempfile.TemporaryDirectory(prefix="sgbench-bench-") as scratch:
        root = Path(scratch)
        dataset = root / "ds"
        build_dataset(out_dir=dataset)
        version = load_manifest(dataset)["version"]
        size = args.mib << 20
        predictions = run_baseline("majority", dataset).to_jsonl()
        (root / "honest.jsonl").write_text(predictions, encoding="utf-8")
        hostile_file(root / "hostile.jsonl", predictions, size)
        ids = [str(row["id"]) for row in split_rows(dataset, "default", "test_ood")]
        train = str(split_rows(dataset, "default", "train")[0]["id"])

        def responses(sample_ids: list[str]) -> str:
            return "".join(
                json.dumps({"id": i, "response": "Answer: 1", "model": "m", "template": "paper"})
                + "\n"
                for i in sample_ids
            )

        (root / "a.jsonl").write_text(responses(ids), encoding="utf-8")
        hostile_file(root / "a-hostile.jsonl", responses(ids), size)
        (root / "b.jsonl").write_text(responses([train]), encoding="utf-8")
        for board, hostile in (("alone", None), ("hostile", root / "hostile-sub.jsonl")):
            write_submission(root / board / "honest", predictions, version, "honest")
            if hostile is not None:
                hostile_file(hostile, predictions, size)
                write_submission(root / board / "hostile", hostile, version, "hostile")
        data = ["--dataset", str(dataset)]
        quick = ["--bootstrap", "0", "--permutations", "0"]
        judge = [*data, "--base-url", "http://127.0.0.1:9/v1", "--model", "j"]
        judge += ["--out", str(root / "j.jsonl")]
        bound = largest_predictions_file(load_ranked_splits(dataset)).limit
        hostile_file(root / "at-bound.jsonl", predictions, bound)
        print(f"the predictions bound for the default: {bound / 2**20:,.1f} MiB")
        cases = {
            "score honest": (["score", str(root / "honest.jsonl"), *data, *quick], "honest.jsonl"),
            "score hostile": (["score", str(root / "hostile.jsonl"), *data, *quick], None),
            "score at the bound": (
                ["score", str(root / "at-bound.jsonl"), *data, *quick],
                "at-bound.jsonl",
            ),
            "judge honest": (
                ["judge", str(root / "a.jsonl"), str(root / "b.jsonl"), *judge],
                "a.jsonl",
            ),
            "judge hostile": (
                ["judge", str(root / "a-hostile.jsonl"), str(root / "b.jsonl"), *judge],
                None,
            ),
            "leaderboard honest": (
                ["leaderboard", str(root / "alone"), "--out", str(root / "lb1"), *data, *quick],
                "honest.jsonl",
            ),
            "leaderboard hostile": (
                ["leaderboard", str(root / "hostile"), "--out", str(root / "lb2"), *data, *quick],
                None,
            ),
        }
        results: dict[str, dict[str, float | int]] = {}
        for name, (command, honest) in cases.items():
            input_size = (root / honest).stat().st_size if honest else size
            figures, said = measure(command, input_size, args.runs, checkout)
            results[name] = figures
            print(
                f"{name}: peak {figures['peak_mib']:,.0f} MiB "
                f"({figures['ratio']:.1f}x the {input_size / 2**20:,.1f} MiB input), "
                f"exit {figures['exit']}; {said.replace(str(root), '')[:110]}"
            )
        seconds = grown_output_seconds(
            root / "alone", [*data, *quick], root / "lb3", args.grow_gib, args.runs, checkout
        )
        print(
            f"leaderboard refusing an output whose listed file grew to {args.grow_gib} GiB: "
            f"{seconds:.1f} s (median)"
        )
    if checkout != ROOT:
        return
    out = {
        "script": "benchmarks/bench_input_memory.py",
        "runs": args.runs,
        "hostile_mib": args.mib,
        "grow_gib": args.grow_gib,
        "cases": results,
        "grown_output_refusal_s": seconds,
        "bound_bytes": bound,
    }
    write_results(RESULTS, out)


if __name__ == "__main__":
    main()
