"""The row rule of the ``temporal`` config (``split_problem`` of ``sgbench.dataset``): a row is
in the split its wave gives it (``test`` for the latest wave, ``train`` for an earlier one),
only for a (subgroup, question) pair both waves hold, and each split holds the questions and
subgroups ``configs.temporal`` records. Each forgery below rewrites the data files, every count
it can recompute and the manifest every file carries, as a forger would; each passed
``validate`` before the rule."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cli_contract import assert_one_error_line
from click.testing import CliRunner
from manifest_tools import rebind

from sgbench.cli import main
from sgbench.dataset import CONFIG_SPLITS, MANIFEST_FILE, split_file, split_problem
from sgbench.schema.temporal import temporal_splits
from sgbench.splits.temporal import temporal_split

TRAIN = split_file("temporal", "train")
TEST = split_file("temporal", "test")
Tables = dict[str, pa.Table]


def _manifest(folder: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    return loaded


def _tables(folder: Path) -> Tables:
    return {s: pq.read_table(folder / split_file("temporal", s)) for s in CONFIG_SPLITS["temporal"]}


def _forge(
    built: Path, tmp_path: Path, change: Callable[[Tables], Tables], *, recount: bool = True
) -> Path:
    """A copy of ``built`` whose temporal files are ``change``'s tables, each file's sample
    count re-recorded (and, with ``recount``, its questions and subgroups), the manifest
    re-bound into every file with its new hashes (what only the row rule can catch)."""
    folder = tmp_path / "ds"
    shutil.copytree(built, folder)
    changed = change(_tables(folder))
    manifest = _manifest(folder)
    for split, table in changed.items():
        path = folder / split_file("temporal", split)
        pq.write_table(table, path)  # re-bound below, as the build binds
        record = manifest["configs"]["temporal"][split]
        record["samples"] = table.num_rows
        if recount:
            record["questions"] = len(table.column("question_id").unique())
            record["subgroups"] = len(table.column("subgroup_id").unique())
    rebind(folder, manifest)
    return folder


def _refused(folder: Path, relative: str, said: str, tmp_path: Path) -> None:
    """``validate`` and ``score --config temporal`` each refuse in one line naming the file."""
    expected = f"{folder / relative}: "
    validate = CliRunner().invoke(main, ["validate", str(folder)])
    assert validate.exit_code == 2, validate.output
    assert any(expected in line and said in line for line in validate.stderr.splitlines()), (
        validate.stderr
    )
    predictions = tmp_path / "p.jsonl"
    predictions.write_text('{"id": "x", "answer": 1}\n', encoding="utf-8")
    args = ["score", str(predictions), "--dataset", str(folder), "--config", "temporal"]
    assert_one_error_line(CliRunner().invoke(main, [*args, "--bootstrap", "0"]), expected, said)


def _move(tables: Tables, source: str, target: str, row: int) -> Tables:
    """Row ``row`` of split ``source`` moved to the end of ``target``."""
    moved = tables[source].slice(row, 1)
    kept = np.ones(tables[source].num_rows, dtype=bool)
    kept[row] = False
    return {
        source: tables[source].filter(pa.array(kept)),
        target: pa.concat_tables([tables[target], moved]).combine_chunks(),
    }


def test_the_rule_by_hand() -> None:
    """Wave 7 latest, 6 and 5 earlier: pair a in 7 and 6 (test, train), b only in 7 (none),
    c in 6 and 5 only (none), d in 7 and 5 (test, train)."""
    waves = [7, 6, 7, 6, 5, 7, 5]
    pairs = ["a", "a", "b", "c", "c", "d", "d"]
    assert temporal_splits(waves, pairs, 7).tolist() == [
        "test", "train", "", "", "", "test", "train",
    ]  # fmt: skip


def test_the_builder_fills_the_config_by_the_same_rule() -> None:
    import pandas as pd

    rows = temporal_split(
        pd.Series(["a", "b", "d"]), [pd.Series(["a", "c"]), pd.Series(["c", "d"])]
    )
    assert [r.tolist() for r in rows["train"]] == [[0], [1]]
    assert [r.tolist() for r in rows["test"]] == [[0, 2]]


def test_an_honest_two_wave_build_keeps_the_rule(built_temporal: Path) -> None:
    tables = _tables(built_temporal)
    manifest = _manifest(built_temporal)
    assert manifest["built_from"]["wave"] == 7
    assert [e["wave"] for e in manifest["earlier_waves"]] == [6]
    # The case: train is wave 6 only, test wave 7 only, both non-empty.
    assert set(tables["train"].column("wave").to_pylist()) == {6}
    assert set(tables["test"].column("wave").to_pylist()) == {7}
    assert split_problem(tables, manifest, "temporal") is None
    assert CliRunner().invoke(main, ["validate", str(built_temporal)]).exit_code == 0


def test_a_test_row_moved_to_train_is_refused(built_temporal: Path, tmp_path: Path) -> None:
    """A latest-wave answer trained on: the model is then tested on what it saw."""
    folder = _forge(built_temporal, tmp_path, lambda t: _move(t, "test", "train", 0))
    _refused(folder, TRAIN, "split is not the one the build gives the row's wave", tmp_path)


def test_a_train_row_moved_to_test_is_refused(built_temporal: Path, tmp_path: Path) -> None:
    folder = _forge(built_temporal, tmp_path, lambda t: _move(t, "train", "test", 3))
    _refused(folder, TEST, "split is not the one the build gives the row's wave", tmp_path)


def _without(tables: Tables, splits: tuple[str, ...]) -> Tables:
    """Every row of the test split's first subgroup deleted from ``splits``."""
    subgroup = tables["test"].column("subgroup_id")[0]
    return {
        s: t.filter(pa.compute.not_equal(t.column("subgroup_id"), subgroup)) if s in splits else t
        for s, t in tables.items()
    }


def test_a_subgroup_deleted_with_its_counts_kept_is_refused(
    built_temporal: Path, tmp_path: Path
) -> None:
    """Its rows gone from both splits, the sample counts re-recorded, the subgroup counts not."""
    recorded = _manifest(built_temporal)["configs"]["temporal"]["train"]["subgroups"]
    folder = _forge(
        built_temporal, tmp_path, lambda t: _without(t, ("train", "test")), recount=False
    )
    said = f"the split holds {recorded - 1} subgroups; the manifest records {recorded}"
    _refused(folder, TRAIN, said, tmp_path)


def test_a_subgroup_deleted_from_test_alone_is_refused(
    built_temporal: Path, tmp_path: Path
) -> None:
    """Every count recomputed: its training rows then pair with no test row, which no build
    writes."""
    folder = _forge(built_temporal, tmp_path, lambda t: _without(t, ("test",)))
    _refused(folder, TRAIN, "no build puts this row in temporal", tmp_path)


@pytest.mark.parametrize(("split", "what"), [("test", "questions"), ("train", "subgroups")])
def test_an_edited_count_is_refused(
    built_temporal: Path, tmp_path: Path, split: str, what: str
) -> None:
    folder = tmp_path / "ds"
    shutil.copytree(built_temporal, folder)
    manifest = _manifest(folder)
    recorded = manifest["configs"]["temporal"][split][what]
    manifest["configs"]["temporal"][split][what] = recorded + 1
    rebind(folder, manifest)
    said = (
        f"the split holds {recorded} {what}; the manifest records {recorded + 1} "
        f"(configs.temporal.{split}.{what})"
    )
    _refused(folder, split_file("temporal", split), said, tmp_path)
