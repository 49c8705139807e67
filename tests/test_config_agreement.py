"""The row rule across configs (``config_agreement_problem`` of ``sgbench.dataset``): a sample
id holds one identical row in every config of the folder holding it, and the configs hold the
ids the build gives both. Each forgery below re-binds every file and the manifest (what a forger
who rewrites data, hashes and manifest together makes), keeps each row consistent on its own,
and validated on main: a paper test_ood with its top two shares swapped scored 0.361 on
``default`` and 0.183 on ``paper`` over the same ids."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cli_contract import assert_one_error_line
from click.testing import CliRunner
from manifest_tools import rebind

from sgbench.cli import main
from sgbench.dataset import MANIFEST_FILE, split_file

PAPER_OOD = split_file("paper", "test_ood")
PAPER_TRAIN = split_file("paper", "train")
DEFAULT_OOD = split_file("default", "test_ood")
TEMPORAL_TEST = split_file("temporal", "test")

Rows = list[dict[str, Any]]


def _swap_top_two(row: dict[str, Any]) -> bool:
    """Swap the two largest shares (and their counts) of a row with one clear mode and re-derive
    its answer and modes: a row a build could write, but not this sample's."""
    if len(row["modal_answers"]) != 1 or row["margin"] <= 0.01:
        return False
    shares, counts = row["distribution"], row["counts"]
    a, b = sorted(range(len(shares)), key=lambda i: -shares[i])[:2]
    shares[a], shares[b] = shares[b], shares[a]
    counts[a], counts[b] = counts[b], counts[a]
    row["answer"] = row["options"][b]["code"]
    row["modal_answers"] = [row["answer"]]
    return True


def _forge(folder: Path, relative: str, change: Callable[[Rows, dict[str, Any]], None]) -> None:
    """Apply ``change`` to the rows of one data file (and the manifest), then re-bind the folder."""
    path = folder / relative
    table = pq.read_table(path)
    rows = table.to_pylist()
    manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    change(rows, manifest)
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path)
    rebind(folder, manifest)


def _first_swappable(rows: Rows) -> str:
    """Swap the first row that can be (returns its id)."""
    row = next(r for r in rows if _swap_top_two(r))
    return str(row["id"])


def _validate(folder: Path) -> Any:
    return CliRunner().invoke(main, ["validate", str(folder)])


def _score(folder: Path, config: str, tmp_path: Path) -> Any:
    predictions = tmp_path / "p.jsonl"
    predictions.write_text(json.dumps({"id": "none", "answer": 1}) + "\n", encoding="utf-8")
    args = ["score", str(predictions), "--dataset", str(folder), "--config", config]
    return CliRunner().invoke(main, [*args, "--bootstrap", "0", "--permutations", "0"])


@pytest.fixture
def copy(built_default: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(built_default, tmp_path / "ds"))


def test_honest_builds_agree(built_default: Path, built_temporal: Path) -> None:
    for folder in (built_default, built_temporal):
        result = _validate(folder)
        assert result.exit_code == 0, result.output
        assert "valid" in result.output


def test_a_paper_test_ood_row_rewritten_is_refused_by_every_reader(
    copy: Path, tmp_path: Path
) -> None:
    swapped: list[str] = []
    _forge(copy, PAPER_OOD, lambda rows, _: swapped.append(_first_swappable(rows)))
    result = _validate(copy)
    assert result.exit_code == 2, result.output
    assert f"{copy / PAPER_OOD}: " in result.output
    assert f"{copy / DEFAULT_OOD}: " in result.output  # default's check names its own file
    assert f"(id {swapped[0]!r})" in result.output
    assert "'counts' differs from the same id's row" in result.output
    assert "1 row(s) affected" in result.output
    paper = assert_one_error_line(_score(copy, "paper", tmp_path), str(copy / PAPER_OOD))
    assert f"{DEFAULT_OOD} (row " in paper
    assert swapped[0] in paper
    default = assert_one_error_line(_score(copy, "default", tmp_path), str(copy / DEFAULT_OOD))
    assert f"{PAPER_OOD} (row " in default
    assert swapped[0] in default


def test_a_paper_train_row_rewritten_is_refused(copy: Path, tmp_path: Path) -> None:
    swapped: list[str] = []
    _forge(copy, PAPER_TRAIN, lambda rows, _: swapped.append(_first_swappable(rows)))
    line = assert_one_error_line(_score(copy, "paper", tmp_path), str(copy / PAPER_TRAIN))
    assert f"(id {swapped[0]!r})" in line
    # default's copy of that sample is in one of its three in-distribution splits.
    line = assert_one_error_line(_score(copy, "default", tmp_path), swapped[0], PAPER_TRAIN)
    assert "/data/default/" in line
    assert _validate(copy).exit_code == 2


def test_an_id_of_default_test_ood_missing_from_paper_is_refused(
    copy: Path, tmp_path: Path
) -> None:
    dropped: list[str] = []

    def drop(rows: Rows, manifest: dict[str, Any]) -> None:
        # The last row, with the manifest recounted: paper's test_ood is one sample short.
        dropped.append(str(rows.pop()["id"]))
        manifest["configs"]["paper"]["test_ood"]["samples"] -= 1

    _forge(copy, PAPER_OOD, drop)
    line = assert_one_error_line(_score(copy, "default", tmp_path), str(copy / DEFAULT_OOD))
    assert f"(id {dropped[0]!r}): not once in config 'paper'" in line
    assert _validate(copy).exit_code == 2
    assert_one_error_line(_score(copy, "paper", tmp_path), dropped[0], "'paper'")


def test_a_temporal_test_row_disagreeing_with_default_is_refused(
    built_temporal: Path, tmp_path: Path
) -> None:
    folder = Path(shutil.copytree(built_temporal, tmp_path / "ds"))
    swapped: list[str] = []
    _forge(folder, TEMPORAL_TEST, lambda rows, _: swapped.append(_first_swappable(rows)))
    line = assert_one_error_line(_score(folder, "temporal", tmp_path), str(folder / TEMPORAL_TEST))
    assert f"(id {swapped[0]!r})" in line
    assert "differs from the same id's row in data/default/" in line
    # Reading default, the same disagreement is refused (named in default's file).
    line = assert_one_error_line(_score(folder, "default", tmp_path), swapped[0], TEMPORAL_TEST)
    assert str(folder / "data" / "default") in line
    assert _validate(folder).exit_code == 2
