"""Bad inputs to ``sgbench score``: exit code 2, one error line per problem, no report written.

Each case writes a predictions file for the hand-worked dataset with one bad line among good ones
and checks that stderr names the file and the line, that no traceback escapes and that the
``--json`` report file is not created.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from cli_contract import assert_one_error_line
from click.testing import CliRunner, Result
from scoring_fixtures import (
    BAD_PREDICTION_LINES,
    HAND_PREDICTIONS,
    TRAIN_ROW,
    hand_id,
    write_hand_dataset,
)

from sgbench.cli import main
from sgbench.errors import InputError
from sgbench.schema import load_schema, schema_names
from sgbench.schema import validator as schema_validator
from sgbench.scoring import PredictionsError, score_predictions
from sgbench.scoring import predictions as predictions_module
from sgbench.scoring.bootstrap import MIN_REPLICATES
from sgbench.scoring.predictions import MAX_PROBLEMS, _plainly_valid

GOOD = json.dumps({"id": hand_id("Q1", 1), "answer": 3})
Q2 = hand_id("Q2", 1)


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    return write_hand_dataset(tmp_path / "ds")


def run_score(dataset: Path, predictions: Path, *extra: str) -> tuple[Result, Path]:
    report = predictions.parent / "report.json"
    args = ["score", str(predictions), "--dataset", str(dataset), "--json", str(report), *extra]
    result = CliRunner().invoke(main, args)
    return result, report


def assert_refused(result: Result, report: Path, expected: list[str]) -> list[str]:
    """Exit 2, no traceback, no report, and stderr's lines are exactly the expected problems."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
    assert not report.exists()
    assert result.stdout == ""
    lines = result.stderr.strip("\n").split("\n")
    assert lines[0].startswith("Error: ")
    lines[0] = lines[0].removeprefix("Error: ")
    assert len(lines) == len(expected), lines
    for line, fragment in zip(lines, expected, strict=True):
        assert fragment in line, (fragment, line)
    return lines


def refused_second_line(dataset: Path, path: Path, bad: str) -> str:
    """Score a predictions file of one good line and then ``bad`` at ``path``: the one
    problem line, which names line 2 (checked by :func:`assert_refused`)."""
    path.write_text(f"{GOOD}\n{bad}\n", encoding="utf-8")
    # A numpy warning (overflow on shares of 1e308) would be a second line on stderr.
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        result, report = run_score(dataset, path)
    (line,) = assert_refused(result, report, [f"{path}: line 2: "])
    return line


BAD_LINES = BAD_PREDICTION_LINES


@pytest.mark.parametrize(("bad", "message"), BAD_LINES)
def test_each_bad_line_is_named(tmp_path: Path, dataset: Path, bad: str, message: str) -> None:
    path = tmp_path / "pred.jsonl"
    line = refused_second_line(dataset, path, bad)
    assert line.startswith(f"{path}: line 2: ")
    assert message in line


def test_duplicate_id_names_both_lines(tmp_path: Path, dataset: Path) -> None:
    path = tmp_path / "pred.jsonl"
    path.write_text(f"{GOOD}\n\n{GOOD}\n", encoding="utf-8")
    result, report = run_score(dataset, path)
    assert_refused(result, report, [f"{path}: line 3: duplicate id {hand_id('Q1', 1)!r}"])
    assert "first on line 1" in result.stderr


def test_every_problem_listed_in_line_order(tmp_path: Path, dataset: Path) -> None:
    lines = [GOOD, "oops", json.dumps({"id": Q2, "answer": 3.0}), "", json.dumps({"id": Q2})]
    lines.append(json.dumps({"id": hand_id("Q2", 2), "answer": 1, "extra": True, "response": 1}))
    path = tmp_path / "pred.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result, report = run_score(dataset, path)
    assert_refused(
        result,
        report,
        [
            f"{path}: line 2: not valid JSON",
            f"{path}: line 3: $.answer: 3.0",
            f"{path}: line 5: $: 'answer' is a required property",
            f"{path}: line 6: $: Additional properties",
            f"{path}: line 6: $.response: 1 is not of type 'string'",
        ],
    )


def test_problem_list_is_capped(tmp_path: Path, dataset: Path) -> None:
    path = tmp_path / "pred.jsonl"
    path.write_text("bad\n" * (MAX_PROBLEMS + 7), encoding="utf-8")
    result, report = run_score(dataset, path)
    expected = [f"{path}: line {i}: not valid JSON" for i in range(1, MAX_PROBLEMS + 1)]
    expected.append(f"{path}: 7 more problem(s) not shown")
    assert_refused(result, report, expected)


@pytest.mark.parametrize("content", [b"", b"\n\n  \r\n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path: Path, dataset: Path, content: bytes) -> None:
    path = tmp_path / "pred.jsonl"
    path.write_bytes(content)
    result, report = run_score(dataset, path)
    assert_refused(result, report, [f"{path}: empty file, no predictions"])


def test_not_utf8(tmp_path: Path, dataset: Path) -> None:
    path = tmp_path / "pred.jsonl"
    path.write_bytes(GOOD.encode() + b"\n" + '{"id": "café"}'.encode("latin-1") + b"\n")
    result, report = run_score(dataset, path)
    assert_refused(result, report, [f"{path}: line 2: not UTF-8 text (byte 0xe9 at column 12)"])


def test_missing_path(tmp_path: Path, dataset: Path) -> None:
    path = tmp_path / "nowhere.jsonl"
    result, report = run_score(dataset, path)
    assert result.exit_code == 2
    assert "nowhere.jsonl" in result.stderr
    assert "does not exist" in result.stderr
    assert "Traceback" not in result.output
    assert not report.exists()
    with pytest.raises(InputError, match=r"nowhere\.jsonl: no such file"):
        score_predictions(path, dataset)


def test_strict_refuses_missing_predictions(tmp_path: Path, dataset: Path) -> None:
    path = tmp_path / "pred.jsonl"
    path.write_text("\n".join(json.dumps(p) for p in HAND_PREDICTIONS) + "\n", encoding="utf-8")
    result, report = run_score(dataset, path, "--strict")
    assert_refused(result, report, [f"{path}: 1 sample(s) of split 'test_ood' have no prediction"])
    relaxed, report = run_score(dataset, path)
    assert relaxed.exit_code == 0
    assert report.exists()
    assert "1 sample(s) of test_ood have no prediction" in relaxed.stderr


def test_bom_crlf_and_blank_lines_are_fine(tmp_path: Path, dataset: Path) -> None:
    plain = tmp_path / "plain.jsonl"
    plain.write_text("\n".join(json.dumps(p) for p in HAND_PREDICTIONS) + "\n", encoding="utf-8")
    messy = tmp_path / "messy.jsonl"
    body = "\r\n\r\n".join(json.dumps(p) for p in HAND_PREDICTIONS)
    messy.write_bytes(b"\xef\xbb\xbf" + body.encode() + b"\r\n  \r\n")
    first = score_predictions(plain, dataset, n_boot=MIN_REPLICATES).to_dict()
    second = score_predictions(messy, dataset, n_boot=MIN_REPLICATES).to_dict()
    assert first.pop("predictions_sha256") != second.pop("predictions_sha256")
    assert first == second


def test_python_api_lists_problems(tmp_path: Path, dataset: Path) -> None:
    path = tmp_path / "pred.jsonl"
    path.write_text(f"x\n{GOOD}\ny\n", encoding="utf-8")
    with pytest.raises(PredictionsError) as info:
        score_predictions(path, dataset)
    assert [line for line, _ in info.value.problems] == [1, 3]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--split", "dev"], "'dev' is not one of"),
        (["--config", "paper", "--split", "test_id"], "has no split 'test_id'"),
        (["--bootstrap", "-1"], "--bootstrap"),
        (["--seed", "-1"], "--seed"),
    ],
)
def test_bad_options(tmp_path: Path, dataset: Path, args: list[str], message: str) -> None:
    path = tmp_path / "pred.jsonl"
    path.write_text(f"{GOOD}\n", encoding="utf-8")
    result, report = run_score(dataset, path, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not report.exists()


def test_bad_dataset_folder(tmp_path: Path) -> None:
    path = tmp_path / "pred.jsonl"
    path.write_text(f"{GOOD}\n", encoding="utf-8")
    result, report = run_score(tmp_path / "no-such-dataset", path)
    assert result.exit_code == 2
    assert "no such dataset folder" in result.stderr
    assert not report.exists()


def test_modified_dataset_is_refused(tmp_path: Path, dataset: Path) -> None:
    manifest = json.loads((dataset / "manifest.json").read_text())
    rel = "data/default/test_ood-00000-of-00001.parquet"
    manifest["files"][rel] = "0" * 64
    (dataset / "manifest.json").write_text(json.dumps(manifest))
    path = tmp_path / "pred.jsonl"
    path.write_text(f"{GOOD}\n", encoding="utf-8")
    result, report = run_score(dataset, path)
    assert result.exit_code == 2
    assert "differs from manifest.json" in result.stderr
    assert not report.exists()


def test_other_split_ids_are_checked_for_shape_only(tmp_path: Path, dataset: Path) -> None:
    """A train id with an answer outside Q1's options is skipped, not scored or refused."""
    path = tmp_path / "pred.jsonl"
    other = json.dumps({"id": TRAIN_ROW["id"], "answer": 99})
    path.write_text(f"{GOOD}\n{other}\n", encoding="utf-8")
    report = score_predictions(path, dataset, n_boot=0)
    assert report.n_skipped_other_splits == 1
    assert report.n_missing == 8


def test_a_file_with_no_line_for_the_scored_split_is_refused(tmp_path: Path, dataset: Path) -> None:
    """Every line for another split (a wrong --split) scored 0 with exit 0; now refused."""
    path = tmp_path / "pred.jsonl"
    path.write_text(json.dumps({"id": TRAIN_ROW["id"], "answer": 1}) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="none of its 1 prediction"):
        score_predictions(path, dataset, n_boot=0)
    result = CliRunner().invoke(
        main, ["score", str(path), "--dataset", str(dataset), "--bootstrap", "0"]
    )
    assert_one_error_line(result, "is for split 'test_ood'", "--split")


def test_packaged_schemas_are_valid() -> None:
    from jsonschema import Draft202012Validator

    assert "predictions" in schema_names()
    for name in schema_names():
        schema = load_schema(name)
        Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["$id"]


OBJECTS = [
    {"id": "a", "answer": 1},
    {"id": "a", "answer": 1, "response": "x"},
    {"id": "a", "answer": -2, "distribution": {"1": 0.5, "-2": 0.5}},
    {"id": "a", "answer": 1, "distribution": {"1": 1}},
    {"id": "", "answer": 1},
    {"id": "a", "answer": 1.0},
    {"id": "a", "answer": False},
    {"id": "a", "answer": 1, "distribution": {"x": 1}},
    {"id": "a", "answer": 1, "distribution": {"1": True}},
    {"id": "a", "answer": 1, "distribution": {"1": -0.1}},
    {"id": "a", "answer": 1, "distribution": {}},
    {"id": "a", "answer": 1, "distribution": []},
    {"id": "a", "answer": 1, "more": 1},
    {"id": "a"},
    [],
    None,
]


@pytest.mark.parametrize("obj", OBJECTS)
def test_fast_check_agrees_with_schema(obj: Any) -> None:
    """The fast path accepts exactly what the schema accepts (on these cases)."""
    assert _plainly_valid(obj) == schema_validator("predictions").is_valid(obj)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (json.dumps({"id": Q2, "answer": 10**30}), f"code {10**30} is not an option"),
        (
            json.dumps({"id": Q2, "answer": 1, "distribution": {"1" * 40: 1.0}}),
            f"code {'1' * 40} is not an option",
        ),
        (f'{{"id": "{Q2}", "answer": {"9" * 5000}}}', "not valid JSON (Exceeds the limit"),
        ("[" * 100_000 + "]" * 100_000, "JSON nested more than 64 levels deep"),
    ],
)
def test_extreme_values_are_problems_not_crashes(
    tmp_path: Path, dataset: Path, bad: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The deepest line (200 KB) is larger than any predictions file of the 10-sample dataset;
    # room for it is made so that the line itself is read and named.
    monkeypatch.setattr(predictions_module, "RESPONSE_ALLOWANCE", 1 << 20)
    line = refused_second_line(dataset, tmp_path / "pred.jsonl", bad)
    assert message in line


def test_directory_is_not_a_predictions_file(tmp_path: Path, dataset: Path) -> None:
    with pytest.raises(InputError, match="not a file"):
        score_predictions(tmp_path, dataset)


@pytest.mark.parametrize(
    ("content", "numbers"),
    [
        (b"", []),
        (b"\n\n", []),
        (b"a", [1]),
        (b"\n\na\n \t\r\n b\n", [3, 5]),
        (b"x\r\n\r\n  y \n\n", [1, 3]),
    ],
)
def test_the_columnar_reader_numbers_lines_as_a_reader_of_lines_does(
    content: bytes, numbers: list[int]
) -> None:
    """Blank lines (spaces, tabs, CRs) are found over the bytes at once: one Python test per
    doubtful line took 18 s and 4.4 GB on 60 MB of newlines, within the predictions bound."""
    buffer = np.frombuffer(content, dtype=np.uint8)
    assert predictions_module._nonblank_lines(buffer).tolist() == numbers
