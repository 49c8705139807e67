"""What the benchmark scripts share: where their results go, how they are written, and timing.

Every script writes one JSON file under ``benchmarks/results`` named after itself, which
``docs/generate.py`` (and a few tests) read back: the keys sorted and indented by two, so that the
same figures give the same bytes and a rerun's diff shows only the figures that moved.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS_FOLDER = Path(__file__).parent / "results"


def results_path(script: str) -> Path:
    """The results file of the benchmark script at ``script`` (pass ``__file__``):
    ``benchmarks/results/<script's name>.json``."""
    return RESULTS_FOLDER / f"{Path(script).stem}.json"


def read_results(path: Path) -> dict[str, Any]:
    """The committed results at ``path``, or ``{}`` where there are none yet: a script whose
    parts can run alone updates its own keys and keeps the others' figures."""
    if not path.exists():
        return {}
    results: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return results


def write_results(path: Path, results: dict[str, Any]) -> None:
    """Write ``results`` to ``path`` as sorted, indented JSON, through a temporary file and a
    rename, so that a run stopped midway leaves the committed figures whole."""
    path.parent.mkdir(exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    text = json.dumps(results, indent=2, sort_keys=True) + "\n"
    try:
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)
    print(f"wrote {path}")


def median_seconds(step: Callable[[], object], runs: int) -> float:
    """The median wall time of ``runs`` calls of ``step``."""
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)
