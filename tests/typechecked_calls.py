"""Calls that mypy checks and pytest never runs (``[tool.mypy] files`` in pyproject.toml; CI runs
``mypy``): a public function's path argument takes, for a type checker, every spelling the
run-time check takes (tests/test_equal_arguments.py and tests/api_boundary.py's twins run them).
Annotated ``str | Path``, an opened dataset that worked was an error to mypy."""

from __future__ import annotations

from pathlib import Path

from sgbench.dataset import BuiltDataset, load_split
from sgbench.leaderboard import build_leaderboard, validate_submission
from sgbench.prompts import split_prompts_jsonl
from sgbench.scoring import score_predictions
from sgbench.stats import compute_stats


class Folder:
    """A caller's own path-like object."""

    def __fspath__(self) -> str:
        return "folder"


def an_opened_dataset_is_a_dataset_argument(dataset: BuiltDataset, predictions: Path) -> None:
    compute_stats(dataset)
    load_split(dataset, "default", "test_ood")
    score_predictions(predictions, dataset)
    split_prompts_jsonl(dataset, "default", "test_ood", "paper")
    validate_submission(predictions.parent, dataset)
    build_leaderboard(predictions.parent, dataset)


def any_path_like_is_a_path_argument(predictions: str) -> None:
    score_predictions(predictions, Folder())
    compute_stats(Folder())


def a_number_is_no_path() -> None:
    # With warn_unused_ignores, mypy fails on this line if it accepts a number for a path.
    compute_stats(3)  # type: ignore[arg-type]
