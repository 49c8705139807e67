"""The row rule (``sgbench.dataset.row_problems``, ``question_problem``): a data file rewritten
with its sha256 and size re-recorded in the manifest (so only row checks can catch the edit) is
refused by ``validate``, naming the field, and by every reader (``stats``, ``score``) with one
``Error:`` line, exit code 2 (issue #15: H6, H7, H8)."""

from __future__ import annotations

import math
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from cli_contract import assert_one_error_line
from click.testing import CliRunner
from manifest_tools import edit_first_row

from sgbench.cli import main
from sgbench.dataset import question_problem, row_problems, split_file
from sgbench.publish import check_dataset

TRAIN = split_file("default", "train")


def _set(**values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda row: row.update(values)


def _counts_plus_one(row: dict[str, Any]) -> None:
    row["counts"] = [row["counts"][0] + 1, *row["counts"][1:]]


def _relabel_option(row: dict[str, Any]) -> None:
    row["options"][0]["label"] = "Another label"


def _other_scale(row: dict[str, Any]) -> None:
    row["scale_type"] = "nominal" if row["scale_type"] != "nominal" else "ordinal"


def _more_answers_than_people(row: dict[str, Any]) -> None:
    row["subgroup_size"] = row["n_valid"] - 1


def _other_answer(row: dict[str, Any]) -> None:
    row["answer"] = next(o["code"] for o in row["options"] if o["code"] not in row["modal_answers"])


def _tie_another(row: dict[str, Any]) -> None:
    """List a code of a smaller share as tied with the modal one."""
    top = max(row["distribution"])
    lower = next(
        o["code"]
        for o, share in zip(row["options"], row["distribution"], strict=True)
        if share < top
    )
    row["modal_answers"] = [*row["modal_answers"], lower]


BIG = 2**31 - 1
CASES: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    # H6: numpy's hypergeometric sampler crashed stats on counts from 1e9.
    "counts of 2^31-1": (
        lambda row: row.update(counts=[BIG] * len(row["counts"])),
        "a negative count, or one of 1,000,000,000 or more",
    ),
    "a negative count": (
        lambda row: row.update(counts=[-1, *row["counts"][1:]]),
        "a negative count",
    ),
    "counts not summing to n_valid": (_counts_plus_one, "counts do not sum to n_valid"),
    # H7: fields stats reads.
    "margin 1e308": (_set(margin=1e308), "margin is not a share from 0 to 1"),
    "margin NaN": (_set(margin=math.nan), "margin is not a share from 0 to 1"),
    "margin inf": (_set(margin=math.inf), "margin is not a share from 0 to 1"),
    "n_valid -5": (_set(n_valid=-5), "n_valid below 30 (the manifest's min_valid_answers)"),
    "n_valid 0": (_set(n_valid=0), "n_valid below 30"),
    "mode_stability NaN": (_set(mode_stability=math.nan), "mode_stability is not a share"),
    "subgroup_size 0": (_set(subgroup_size=0), "subgroup_size below 30"),
    "n_valid over subgroup_size": (_more_answers_than_people, "n_valid exceeds subgroup_size"),
    # H8: a question's fields differ between its rows; empty text.
    "another section": (_set(section="Other"), "section of question Q1 differs from row"),
    "another question text": (_set(question="Other?"), "question text of question Q1 differs"),
    "another option label": (_relabel_option, "options of question Q1 differs"),
    "another scale type": (_other_scale, "scale_type of question Q1 differs"),
    "empty question text": (_set(question="  "), "question is empty"),
    # Issue #15 (probe 13): columns the sample schema constrains.
    "answer 99": (_set(answer=99), "answer is not one of the row's option codes"),
    "answer not modal": (_other_answer, "answer is not the first of modal_answers"),
    "a modal code without the top share": (_tie_another, "modal_answers does not have the row's"),
    "modal_answers empty": (_set(modal_answers=[]), "modal_answers empty or not codes"),
    "modal_answers 99": (_set(modal_answers=[99]), "modal_answers empty or not codes"),
    "answer null": (_set(answer=None), "answer is null"),
    "modal_answers holding a null": (_set(modal_answers=[None]), "modal_answers is null"),
    "subgroup_size null": (_set(subgroup_size=None), "subgroup_size is null"),
    "n_valid null": (_set(n_valid=None), "n_valid is null"),
    "wave null": (_set(wave=None), "wave is null"),
    "wave 0": (_set(wave=0), "wave below 1"),
    "country null": (_set(country=None), "country is null"),
    "country empty": (_set(country=""), "country is empty"),
    "persona null": (_set(persona=None), "persona is null"),
    "persona empty": (_set(persona=" "), "persona is empty"),
    "stratum off its pattern": (_set(stratum="BAD STRATUM"), "stratum does not match"),
    "stratum null": (_set(stratum=None), "stratum is null"),
}


@pytest.fixture
def spoilt(request: pytest.FixtureRequest, built_default: Path, tmp_path: Path) -> Path:
    dataset = tmp_path / "ds"
    shutil.copytree(built_default, dataset)
    edit_first_row(dataset, TRAIN, CASES[request.param][0])
    return dataset


def test_a_fresh_build_keeps_the_row_rule(built_default: Path) -> None:
    assert check_dataset(built_default).ok


@pytest.mark.parametrize("spoilt", sorted(CASES), indirect=True)
def test_a_rehashed_row_edit_is_refused_by_validate_and_readers(
    spoilt: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    said = CASES[request.node.callspec.params["spoilt"]][1]
    check = check_dataset(spoilt)
    # Named once (per config), at its file and first row, whatever the other splits hold.
    named = [p for p in check.problems if said in p.message]
    assert len(named) == 1, check.render()
    assert "row 1 " in named[0].message or "differs from row 1 of train" in named[0].message
    validate = CliRunner().invoke(main, ["validate", str(spoilt)])
    assert validate.exit_code == 2
    assert said in validate.stderr, validate.output
    out = tmp_path / "st"
    stats = CliRunner().invoke(main, ["stats", "--dataset", str(spoilt), "--out", str(out)])
    assert_one_error_line(stats, said)
    predictions = tmp_path / "p.jsonl"
    predictions.write_text('{"id": "x", "answer": 1}\n', encoding="utf-8")
    args = ["score", str(predictions), "--dataset", str(spoilt), "--bootstrap", "0"]
    assert_one_error_line(CliRunner().invoke(main, args), said)
    assert not out.exists()


def _options(*labels: str) -> list[dict[str, Any]]:
    return [{"code": i + 1, "label": label, "off_scale": False} for i, label in enumerate(labels)]


def test_question_fields_are_compared_with_the_questions_first_row() -> None:
    """By hand: Q2's rows agree; Q1's third row (the second of split b) has another label."""
    a = pa.table(
        {
            "question_id": ["Q1", "Q2"],
            "section": ["S", "T"],
            "options": [_options("x", "y"), _options("u", "v", "w")],
        }
    )
    b = pa.table(
        {
            "question_id": ["Q2", "Q1", "Q1"],
            "section": ["T", "S", "S"],
            "options": [_options("u", "v", "w"), _options("x", "y"), _options("x", "z")],
        }
    )
    found = question_problem({"a": a, "b": b})
    assert found is not None
    split, bad, what = found
    assert split == "b"
    assert bad.tolist() == [False, False, True]
    assert what == "options of question Q1 differs from row 1 of a, its first row"
    assert question_problem({"a": a, "b": b.slice(0, 2)}) is None


def test_counts_sum_and_bounds_by_hand() -> None:
    table = pa.table(
        {
            "n_valid": [3, 3, 3],
            "counts": [[1, 2], [2, 2], [10**9, 0]],
        }
    )
    found = {what: bad.tolist() for bad, what in row_problems(table, {})}
    assert found["a negative count, or one of 1,000,000,000 or more"] == [False, False, True]
    assert found["counts do not sum to n_valid"] == [False, True, True]


def test_answer_rule_by_hand() -> None:
    """Row 1 keeps it; row 2's answer is no option code; row 3's answer is modal but not the
    first modal code; row 4 lists a code of share 0.2 as modal (top 0.8); row 5 lists none."""
    options = _options("a", "b")
    table = pa.table(
        {
            "options": [options] * 5,
            "distribution": [[0.5, 0.5], [0.4, 0.6], [0.5, 0.5], [0.2, 0.8], [0.5, 0.5]],
            "answer": [1, 7, 2, 2, 1],
            "modal_answers": [[1, 2], [2], [1, 2], [1, 2], []],
        }
    )
    found = {what: bad.tolist() for bad, what in row_problems(table, {})}
    assert found["answer is not one of the row's option codes"] == [
        False,
        True,
        False,
        False,
        False,
    ]
    assert found["modal_answers empty or not codes of the row's options"] == [
        False,
        False,
        False,
        False,
        True,
    ]
    assert found["answer is not the first of modal_answers"] == [False, True, True, True, True]
    assert found["a code of modal_answers does not have the row's top share"] == [
        False,
        False,
        False,
        True,
        False,
    ]


def test_a_null_is_named_by_its_row_and_nothing_else_is_read() -> None:
    table = pa.table({"wave": pa.array([7, None, 7], pa.int32()), "persona": ["p", "q", ""]})
    found = list(row_problems(table, {}))
    assert [(bad.tolist(), what) for bad, what in found] == [
        ([False, False, False], "persona is null (or holds a null)"),
        ([False, True, False], "wave is null (or holds a null)"),
    ]
