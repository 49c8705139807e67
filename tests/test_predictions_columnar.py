"""The column-wise predictions reader agrees with the strict line-by-line reader.

``read_predictions`` reads a clean file with Arrow's JSON reader and leaves any file with a
problem to the strict reader, so both must give the same result on every file: the same
arrays and counts when the file is accepted, the same message when it is refused. Each case
below is read twice, once with the column-wise reader switched off.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scoring_fixtures import (
    BAD_PREDICTION_LINES,
    HAND_PREDICTIONS,
    RANDOM_SUBGROUPS,
    TRAIN_ROW,
    hand_id,
    random_predictions,
    random_rows,
    write_dataset,
    write_hand_dataset,
)

from sgbench.errors import InputError
from sgbench.scoring import predictions as reader
from sgbench.scoring.data import ScoringData, load_scoring_data

Q2 = hand_id("Q2", 1)
GOOD = [json.dumps(p) for p in HAND_PREDICTIONS if p["id"] != Q2]


def read_both(path: Path, data: ScoringData, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    """(column-wise result, strict result); a result is Predictions or the error's text."""
    results = []
    for columnar in (True, False):
        monkeypatch.setattr(reader, "COLUMNAR", columnar)
        try:
            results.append(reader.read_predictions(path, data))
        except InputError as exc:
            results.append(f"{type(exc).__name__}: {exc}")
    return results[0], results[1]


def assert_same(fast: Any, strict: Any) -> None:
    assert type(fast) is type(strict)
    if isinstance(fast, str):
        assert fast == strict
        return
    for name in ("answered", "position", "distribution", "has_distribution"):
        np.testing.assert_array_equal(getattr(fast.arrays, name), getattr(strict.arrays, name))
    assert (fast.n_lines, fast.n_skipped_other_splits, fast.missing_ids, fast.sha256) == (
        strict.n_lines,
        strict.n_skipped_other_splits,
        strict.missing_ids,
        strict.sha256,
    )


@pytest.fixture
def hand(tmp_path: Path) -> ScoringData:
    return load_scoring_data(write_hand_dataset(tmp_path / "ds"), "default", "test_ood")


TRAIN_ID = TRAIN_ROW["id"]
EXTRA_CASES = [
    json.dumps({"id": Q2, "answer": 1}) + json.dumps({"id": Q2, "answer": 2}),
    json.dumps({"id": Q2, "answer": 1, "response": None}),
    json.dumps({"id": Q2, "answer": 1, "distribution": None}),
    json.dumps({"id": Q2, "answer": 1, "distribution": {"1": 0.5, "01": 0.5}}),
    json.dumps({"id": Q2, "answer": 1, "distribution": {"2": 0.25, "1": 0.75}}),
    json.dumps({"id": Q2, "answer": 1, "distribution": {"1": 1, "2": 0}}),
    json.dumps({"id": Q2, "answer": 1, "distribution": {"1": True}}),
    json.dumps({"id": Q2, "answer": 1, "distribution": {"1": {"2": 1}}}),
    json.dumps({"id": Q2, "answer": 1, "distribution": [1]}),
    json.dumps({"id": Q2, "answer": 2**40}),
    json.dumps({"id": Q2, "answer": 1, "distribution": {str(2**40): 1}}),
    json.dumps({"id": Q2, "answer": 1}).replace("}", ', "id": "x"}'),
    json.dumps({"id": Q2, "answer": 1}).replace('"id"', '"\\u0069d"'),
    json.dumps({"id": Q2, "answer": 1}).replace(", ", ",\t"),
    json.dumps({"id": Q2, "answer": 1}).replace(Q2, Q2 + "\t"),
    json.dumps({"id": Q2, "answer": 1}) + "\u00a0",
    "\u00a0",
    json.dumps({"id": "", "answer": 1}),
    json.dumps({"id": "\ud800", "answer": 1}),
    json.dumps({"id": TRAIN_ID, "answer": 1}),
    json.dumps({"id": TRAIN_ID, "answer": 99, "distribution": {"5": 7}}),
    json.dumps({"id": Q2, "answer": 1}) + "\r",
    json.dumps(GOOD[0]),
    json.dumps({"id": Q2, "answer": -0}),
    json.dumps({"id": Q2, "answer": 1, "distribution": {"1": 1e-320, "2": 1}}),
    json.dumps({"id": Q2, "answer": 1, "distribution": {"1": 0.1, "2": 0.2, "3": 0.7000004}}),
]


@pytest.mark.parametrize("line", [bad for bad, _ in BAD_PREDICTION_LINES] + EXTRA_CASES)
def test_one_line_among_good_ones(
    tmp_path: Path, hand: ScoringData, monkeypatch: pytest.MonkeyPatch, line: str
) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text("\n".join([*GOOD[:3], line, *GOOD[3:]]) + "\n", encoding="utf-8")
    assert_same(*read_both(path, hand, monkeypatch))


@pytest.mark.parametrize(
    "content",
    [
        b"\xef\xbb\xbf" + "\r\n\r\n".join(GOOD).encode() + b"\r\n  \n",
        "\n".join(GOOD).encode(),
        b"",
        b"\n \n",
        "\n".join(GOOD).encode() + b"\n\xff\n",
        "\n".join(GOOD).encode() + b"\x0c\n",
        # The tail of a sparse file: NUL bytes (their check once widened the file to int64).
        "\n".join(GOOD).encode() + b"\n" + b"\x00" * 4096 + b"\n",
        # A lone surrogate escape, which the strict reader refuses on its line.
        "\n".join(GOOD).encode() + b'\n{"id": "\\ud800", "answer": 1}\n',
        # Two byte-order marks: Arrow skipped the second, which the strict reader refuses.
        b"\xef\xbb\xbf" * 2 + "\n".join(GOOD).encode(),
    ],
)
def test_whole_files(
    tmp_path: Path, hand: ScoringData, monkeypatch: pytest.MonkeyPatch, content: bytes
) -> None:
    path = tmp_path / "p.jsonl"
    path.write_bytes(content)
    assert_same(*read_both(path, hand, monkeypatch))


def test_a_clean_file_never_reaches_the_strict_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = random_rows(12, RANDOM_SUBGROUPS, seed=3)
    data = load_scoring_data(
        write_dataset(tmp_path / "ds", {"test_ood": rows}), "default", "test_ood"
    )
    rng = np.random.default_rng(4)
    lines = []
    for record in random_predictions(rows, seed=5):
        codes = next(r for r in rows if r["id"] == record["id"])["options"]
        p = rng.dirichlet(np.ones(len(codes)))
        keys = [str(o["code"]) for o in codes]
        order = rng.permutation(len(keys))  # each line lists its codes in its own order
        record["distribution"] = {keys[i]: float(p[i]) for i in order}
        lines.append(json.dumps(record))
    path = tmp_path / "p.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fast, strict = read_both(path, data, monkeypatch)
    assert_same(fast, strict)
    assert not isinstance(fast, str)
    assert fast.arrays.has_distribution.sum() == len(lines)

    def refuse(*_: Any) -> Any:
        raise AssertionError("the strict reader ran on a clean file")

    monkeypatch.setattr(reader, "COLUMNAR", True)
    monkeypatch.setattr(reader, "_strict_records", refuse)
    assert reader.read_predictions(path, data).n_lines == len(lines)
