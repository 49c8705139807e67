"""Peak memory of the leaderboard and ``validate`` on a large hostile ``predictions.jsonl``.

Builds the embedded SYNTHETIC default into a temporary folder, writes one honest submission
(the ``majority`` baseline's predictions) and hostile ones whose ``predictions.jsonl`` repeats
the honest lines (every id many times over): valid JSON on every line, so nothing short of the
size tells them apart before they are read. Then runs, each in a fresh process (``python -m
sgbench``, so the figure is the whole command's):

- ``leaderboard`` with the honest submission alone (the reference);
- ``leaderboard`` with a hostile entry of ``--mib`` MiB;
- ``leaderboard`` with a hostile entry just under the bound
  (:func:`sgbench.scoring.predictions.largest_predictions_file`): the most one entry may cost;
- ``validate`` of the ``--mib`` MiB folder, without and with ``--dataset``.

Prints, for each, the peak resident memory, its ratio to the hostile file's size, the exit code
and the hostile entry's problem line. Usage::

    python benchmarks/bench_submission_memory.py [--mib 150]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from sgbench.baselines import run_baseline
from sgbench.builder import build_dataset
from sgbench.dataset import load_manifest
from sgbench.leaderboard.submission import load_ranked_splits
from sgbench.scoring.predictions import largest_predictions_file

ROOT = Path(__file__).resolve().parent.parent

RUNNER = """
import atexit, re, runpy, sys
def report():
    status = open("/proc/self/status").read()
    print("VmHWM", re.search(r"VmHWM:\\s*(\\d+)", status).group(1), file=sys.stderr)
atexit.register(report)
sys.argv = ["sgbench", *sys.argv[1:]]
runpy.run_module("sgbench", run_name="__main__")
"""
"""Runs sgbench and prints its peak resident memory (``VmHWM``, Linux) on stderr as it exits:
``ru_maxrss`` would not do, since a child inherits its parent's figure across fork and exec."""


def write_submission(folder: Path, predictions: Path | str, version: str, model: str) -> None:
    """A submission folder: ``submission.json`` and the given predictions (text or a file)."""
    folder.mkdir(parents=True)
    meta = {
        "model": model,
        "method": "other",
        "organisation": "",
        "url": None,
        "dataset_version": version,
        "date": "2026-01-01",
        "notes": "",
    }
    (folder / "submission.json").write_text(json.dumps(meta), encoding="utf-8")
    target = folder / "predictions.jsonl"
    if isinstance(predictions, Path):
        predictions.rename(target)
    else:
        target.write_text(predictions, encoding="utf-8")


def hostile_file(path: Path, honest: str, size: int) -> None:
    """Write the honest lines again and again, cut at exactly ``size`` bytes."""
    chunk = honest.encode("utf-8")
    with path.open("wb") as handle:
        while handle.tell() < size:
            handle.write(chunk)
        handle.truncate(size)


def peak(args: list[str], checkout: Path = ROOT) -> tuple[float, int, str]:
    """Peak resident memory (MiB), exit code and stderr of ``python -m sgbench ARGS``, running
    the sgbench of ``checkout`` (this one by default)."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(checkout)}
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        cwd=checkout,  # `python -c` puts the working folder first on the path
        check=False,
    )
    err = done.stderr.decode("utf-8", "replace")
    kib = [int(line.split()[1]) for line in err.splitlines() if line.startswith("VmHWM ")]
    return (kib[-1] / 1024 if kib else float("nan")), done.returncode, err


def report(name: str, command: list[str], size: int) -> None:
    """Run one command; print its peak memory (and its ratio to the hostile file's ``size``),
    exit code and the hostile entry's problem."""
    mib, code, err = peak(command)
    problem = next((ln.strip() for ln in err.splitlines() if "predictions.jsonl" in ln), "")
    print(
        f"{name}: peak {mib:,.0f} MiB ({mib * 2**20 / size:.1f}x the {size / 2**20:,.1f} MiB "
        f"hostile file), exit {code}; {problem.split('hostile/', 1)[-1][:150]}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=150, help="hostile file size (MiB)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sgbench-bench-") as scratch:
        root = Path(scratch)
        dataset = root / "ds"
        build_dataset(out_dir=dataset)
        version = load_manifest(dataset)["version"]
        bound = largest_predictions_file(load_ranked_splits(dataset)).limit
        honest = run_baseline("majority", dataset).to_jsonl()
        size = args.mib << 20
        boards: dict[str, Path] = {}
        for name, hostile_size in (("alone", 0), ("over", size), ("at-bound", bound)):
            board = boards[name] = root / name
            write_submission(board / "honest", honest, version, "honest")
            if hostile_size:
                staged = root / f"{name}.jsonl"
                hostile_file(staged, honest, hostile_size)
                write_submission(board / "hostile", staged, version, "hostile")
        print(
            f"hostile predictions.jsonl: {args.mib:,} MiB (the honest "
            f"{len(honest.encode()) / 2**20:.2f} MiB repeated); the bound for the default: "
            f"{bound / 2**20:,.1f} MiB"
        )
        settings = ["--dataset", str(dataset), "--bootstrap", "0", "--permutations", "0"]
        runs = {
            "leaderboard, honest entry only": ("alone", size),
            f"leaderboard, with the {args.mib} MiB entry": ("over", size),
            "leaderboard, with an entry just under the bound": ("at-bound", bound),
        }
        for name, (board, hostile_size) in runs.items():
            out = ["--out", str(root / f"lb-{board}")]
            report(name, ["leaderboard", str(boards[board]), *out, *settings], hostile_size)
        hostile = str(boards["over"] / "hostile")
        report(f"validate the {args.mib} MiB entry (form only)", ["validate", hostile], size)
        report(
            f"validate the {args.mib} MiB entry --dataset",
            ["validate", hostile, "--dataset", str(dataset)],
            size,
        )


if __name__ == "__main__":
    main()
