"""The crafted value-landscape dataset of ``tests/test_stats.py``, shared with the plot tests. A
helper module, not a test module."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from scoring_fixtures import make_row, write_dataset

OPT4 = [(1, "A"), (2, "B"), (3, "C"), (4, "D")]
OPT2 = [(1, "Yes"), (2, "No")]
OPT3 = [(1, "Red"), (2, "Green"), (3, "Blue")]
QUESTIONS = {"Q1": (OPT4, "ordinal", "Alpha"), "Q2": (OPT2, "binary", "Beta"),
             "Q3": (OPT3, "nominal", "Beta")}  # fmt: skip
MALE, FEMALE = {"sex": "Male"}, {"sex": "Female"}
MUSLIM, BUDDHIST, NONE = ({"religion": r} for r in ("Muslim", "Buddhist", "No religion"))
YOUNG = {"age_group": "16-24", "religion": "Muslim"}
ADULT = {"age_group": "25-34", "religion": "Muslim"}
COUNTS: list[tuple[dict[str, str], str, list[int]]] = [
    (MALE, "Q1", [4, 3, 2, 1]),
    (MALE, "Q2", [6, 4]),
    (MALE, "Q3", [5, 3, 2]),
    (FEMALE, "Q1", [1, 2, 3, 4]),
    (FEMALE, "Q2", [7, 3]),
    (FEMALE, "Q3", [2, 3, 5]),
    (MUSLIM, "Q1", [2, 4, 6, 8]),
    (MUSLIM, "Q2", [4, 16]),
    (MUSLIM, "Q3", [2, 2, 16]),
    (BUDDHIST, "Q1", [5, 3, 1, 1]),
    (BUDDHIST, "Q2", [5, 5]),
    (BUDDHIST, "Q3", [6, 2, 2]),
    (NONE, "Q1", [4, 4, 1, 1]),
    (NONE, "Q2", [9, 1]),
    (NONE, "Q3", [6, 3, 1]),
    (YOUNG, "Q1", [2, 2, 4, 2]),
    (YOUNG, "Q2", [4, 6]),
    (ADULT, "Q1", [3, 3, 2, 2]),
]
LOG2_3 = math.log2(3)


def landscape_rows() -> dict[str, list[dict[str, Any]]]:
    """The crafted rows by split: single-attribute strata in train, age × religion in test_ood."""
    splits: dict[str, list[dict[str, Any]]] = {"train": [], "test_ood": []}
    for subgroup, question, counts in COUNTS:
        options, scale, section = QUESTIONS[question]
        row = make_row(question, subgroup, options, counts, scale_type=scale, section=section)
        splits["test_ood" if len(subgroup) == 2 else "train"].append(row)
    return splits


def write_landscape_dataset(root: Path) -> Path:
    """The crafted dataset folder (config default; validation and test_id empty)."""
    return write_dataset(root, landscape_rows())
