"""Boundary entries of the scoring family's public API: sgbench.scoring, sgbench.baselines,
sgbench.stats (tests/api_boundary.py says what an entry is).

ENTRIES: one :class:`~api_boundary.Entry` per public callable. NOT_CALLED: every other public
name of these packages (``module.name`` → why it is not called: a constant, a result class
only sgbench constructs, an exception class).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from api_boundary import Entry
from scoring_fixtures import HAND_PREDICTIONS, write_hand_dataset, write_jsonl

from sgbench.scoring import ScoreReport, score_predictions


def _hand_score(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    dataset = write_hand_dataset(folder / "ds")
    predictions = write_jsonl(folder / "p.jsonl", HAND_PREDICTIONS)
    return {
        "predictions_path": predictions,
        "dataset_dir": dataset,
        "n_boot": 40,
        "n_permutations": 40,
    }


def _finite_report(report: ScoreReport) -> bool:
    """Every headline metric a number or None (no score), never NaN or infinite."""
    return all(
        value is None or math.isfinite(value) for value in report.to_dict()["metrics"].values()
    )


ENTRIES: list[Entry] = [
    Entry(
        "sgbench.scoring.score_predictions",
        score_predictions,
        _hand_score,
        inputs=("predictions_path", "dataset_dir"),
        result_ok=_finite_report,
    ),
]
NOT_CALLED: dict[str, str] = {}
