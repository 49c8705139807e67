"""The row rule against what the manifest says the build was (``catalogue_problem``,
``split_problem``, ``value_problem`` of ``sgbench.dataset``): rows rewritten in every file with
their sha256 and size re-recorded, each consistent with the others, that no build with the
manifest's catalogue, split settings and attribute values writes, are refused."""

from __future__ import annotations

import hashlib
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
from manifest_tools import rewrite

from sgbench.catalogue import items_by_id, question_fields
from sgbench.cli import main
from sgbench.dataset import (
    CONFIG_SPLITS,
    MANIFEST_FILE,
    catalogue_problem,
    open_dataset,
    split_file,
    split_problem,
    value_problem,
)
from sgbench.schema.held_out import held_out_splits

VALIDATION = split_file("default", "validation")
TEST_ID = split_file("default", "test_id")
TRAIN = split_file("default", "train")
TEST_OOD = split_file("default", "test_ood")

Rows = list[dict[str, Any]]


def _edit(dataset: Path, relative: str, change: Callable[[Rows], None]) -> None:
    """Apply ``change`` to every row of one data file, then re-record its sha256 and size."""
    path = dataset / relative
    table = pq.read_table(path)
    rows = table.to_pylist()
    change(rows)
    rewrite(path, pa.Table.from_pylist(rows, schema=table.schema))
    manifest = json.loads((dataset / MANIFEST_FILE).read_text(encoding="utf-8"))
    manifest["files"][relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest["sizes"][relative] = path.stat().st_size
    (dataset / MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")


def _every_file(dataset: Path, change: Callable[[Rows], None]) -> None:
    manifest = json.loads((dataset / MANIFEST_FILE).read_text(encoding="utf-8"))
    for relative in manifest["files"]:
        _edit(dataset, relative, change)


def _refused(dataset: Path, said: str, tmp_path: Path) -> None:
    """``validate`` names ``said``; ``score`` refuses in one line."""
    validate = CliRunner().invoke(main, ["validate", str(dataset)])
    assert validate.exit_code == 2
    assert said in validate.stderr, validate.output
    predictions = tmp_path / "p.jsonl"
    predictions.write_text('{"id": "x", "answer": 1}\n', encoding="utf-8")
    args = ["score", str(predictions), "--dataset", str(dataset), "--bootstrap", "0"]
    assert_one_error_line(CliRunner().invoke(main, args), said)


@pytest.fixture
def copy(built_default: Path, tmp_path: Path) -> Path:
    shutil.copytree(built_default, tmp_path / "ds")
    return tmp_path / "ds"


def _tables(dataset: Path, config: str = "default") -> dict[str, pa.Table]:
    return {s: pq.read_table(dataset / split_file(config, s)) for s in CONFIG_SPLITS[config]}


def _manifest(dataset: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((dataset / MANIFEST_FILE).read_text(encoding="utf-8"))
    return loaded


def test_a_fresh_build_keeps_every_rule_here(built_default: Path) -> None:
    manifest = _manifest(built_default)
    for config in ("default", "paper"):
        tables = _tables(built_default, config)
        assert catalogue_problem(tables, manifest) is None
        assert split_problem(tables, manifest, config) is None
        assert value_problem(tables, manifest, config) is None


def test_question_fields_edited_in_every_split_are_refused(copy: Path, tmp_path: Path) -> None:
    """Q1's text, scale type and two labels (swapped) changed alike everywhere: consistent, but
    not what a build with the recorded catalogue writes."""

    def change(rows: Rows) -> None:
        for row in rows:
            if row["question_id"] == "Q1":
                row["question"], row["scale_type"] = "Edited question?", "nominal"
                first, second = row["options"][0], row["options"][1]
                first["label"], second["label"] = second["label"], first["label"]

    _every_file(copy, change)
    _refused(
        copy, "question text, scale_type, options of question Q1 not the catalogue's", tmp_path
    )


def test_the_catalogue_gives_a_builds_fields() -> None:
    """By hand: Q1's fields as the catalogue holds them (its JSON, not the function's)."""
    item = items_by_id()["Q1"]
    fields = question_fields(item)
    assert fields["question"] == item.question
    assert fields["scale_type"] == item.scale_type
    assert [o["code"] for o in fields["options"]] == list(item.codes)  # type: ignore[union-attr]


def test_a_question_renamed_out_of_the_catalogue_is_refused(copy: Path, tmp_path: Path) -> None:
    def change(rows: Rows) -> None:
        for row in rows:
            if row["question_id"] == "Q1":
                row["question_id"], row["id"] = "Q999", row["id"].replace("Q1/", "Q999/", 1)

    _every_file(copy, change)
    _refused(copy, "question_id 'Q999' is not in the catalogue wvs7", tmp_path)


def test_the_question_set_must_give_the_recorded_fingerprint(built_default: Path) -> None:
    """By hand: with Q221 no longer recorded as dropped, the questions of the rows and the
    dropped ones are not the requested set whose fingerprint the manifest records; in a
    dataset of another release, only each question's own rows are compared (not here)."""
    tables = _tables(built_default)
    manifest = _manifest(built_default)
    assert manifest["items_dropped"] == {"Q221": "no valid answer in SGP"}
    found = catalogue_problem(tables, {**manifest, "items_dropped": {}})
    assert found is not None
    assert "items.catalogue_sha256" in found[2]
    assert found[0] == "train"
    assert found[1].all()
    other = {**manifest, "items_dropped": {}, "version": "0.9.0"}
    assert catalogue_problem(tables, other) is None
    renamed = {**manifest, "items": {**manifest["items"], "catalogue": "wvs99"}}
    assert catalogue_problem(tables, renamed) is None


def test_questions_traded_between_held_out_splits_are_refused(copy: Path, tmp_path: Path) -> None:
    """All rows of a validation question and of a test_id question trade files (every count
    unchanged): each is then in a split its seeded hash does not give it."""
    validation = pq.read_table(copy / VALIDATION).to_pylist()
    test_id = pq.read_table(copy / TEST_ID).to_pylist()
    a, b = validation[0]["question_id"], test_id[0]["question_id"]
    moved_a = [r for r in validation if r["question_id"] == a]
    moved_b = [r for r in test_id if r["question_id"] == b]
    assert len(moved_a) == len(moved_b)
    _edit(
        copy,
        VALIDATION,
        lambda rows: rows.__setitem__(
            slice(None), [r for r in rows if r["question_id"] != a] + moved_b
        ),
    )
    _edit(
        copy,
        TEST_ID,
        lambda rows: rows.__setitem__(
            slice(None), [r for r in rows if r["question_id"] != b] + moved_a
        ),
    )
    _refused(copy, "split is not the one the build gives the row's stratum and question", tmp_path)


def test_a_train_row_traded_with_a_test_id_row_is_refused(copy: Path, tmp_path: Path) -> None:
    test_id = pq.read_table(copy / TEST_ID).to_pylist()
    train = pq.read_table(copy / TRAIN).to_pylist()
    a = test_id[0]
    b = next(r for r in train if r["subgroup_id"] == a["subgroup_id"])
    _edit(
        copy,
        TRAIN,
        lambda rows: rows.__setitem__(slice(None), [r for r in rows if r["id"] != b["id"]] + [a]),
    )
    _edit(
        copy,
        TEST_ID,
        lambda rows: rows.__setitem__(slice(None), [r for r in rows if r["id"] != a["id"]] + [b]),
    )
    validate = CliRunner().invoke(main, ["validate", str(copy)])
    assert validate.exit_code == 2
    # The first wrong row of train: the test_id row, last in the file.
    assert f"row {len(train)} (id {a['id']!r}): split is not the one" in validate.stderr


def test_split_by_hand_and_recorded_counts(built_default: Path) -> None:
    """The builder's assignment recomputed by hand for the manifest's seed and fractions: every
    in-distribution row is in its question's split; a recorded count off by one is named."""
    tables = _tables(built_default)
    manifest = _manifest(built_default)
    settings = manifest["splits"]
    questions = sorted({q for t in tables.values() for q in t.column("question_id").to_pylist()})
    by_hand = dict(
        zip(
            questions,
            held_out_splits(
                questions,
                settings["seed"],
                settings["validation_fraction"],
                settings["test_id_fraction"],
            ),
            strict=True,
        )
    )
    for split in ("train", "validation", "test_id"):
        held = set(tables[split].column("question_id").to_pylist())
        assert {by_hand[q] for q in held} == {split}
    counts = json.loads(json.dumps(manifest["configs"]))
    counts["default"]["test_id"]["questions"] += 1
    found = split_problem(tables, {**manifest, "configs": counts}, "default")
    assert found is not None
    assert found[0] == "test_id"
    assert "holds 39 questions; the manifest records 40" in found[2]
    # Another seed puts questions elsewhere: refused; the paper config has no hash.
    other = {**manifest, "splits": {**settings, "seed": 1}}
    assert split_problem(tables, other, "default") is not None
    assert split_problem(_tables(built_default, "paper"), other, "paper") is None


def test_a_value_the_manifest_does_not_list_is_refused(copy: Path, tmp_path: Path) -> None:
    def change(rows: Rows) -> None:
        for row in rows:
            if row["subgroup"]["religion"] == "Hindu":
                row["subgroup"]["religion"] = "Jain"
                for key in ("subgroup_id", "id"):
                    row[key] = row[key].replace("religion=hindu", "religion=jain")
                row["persona"] = row["persona"].replace("Hindu", "Jain")

    _edit(copy, TEST_OOD, change)
    # The persona rule (no phrase for Jain) reads the rows first; the value rule alone:
    _refused(copy, "(id 'Q1/ethnicity=indian&religion=jain')", tmp_path)
    found = value_problem(_tables(copy), _manifest(copy), "default")
    assert found is not None
    assert "subgroup_id value 'religion=jain' is none of the manifest's values" in found[2]


def test_dropped_subgroups_and_the_kept_count_by_hand(built_default: Path) -> None:
    """A kept OOD subgroup renamed (its id only) to one the manifest lists as dropped, and a
    ``subgroups.kept`` off by one: each named."""
    tables = _tables(built_default)
    manifest = _manifest(built_default)
    dropped = manifest["subgroups"]["dropped"][0]["subgroup_id"]
    ood = tables["test_ood"]
    kept = ood.column("subgroup_id")[0].as_py()
    renamed = pa.array([dropped if s == kept else s for s in ood.column("subgroup_id").to_pylist()])
    at = ood.column_names.index("subgroup_id")
    spoilt = {**tables, "test_ood": ood.set_column(at, "subgroup_id", renamed)}
    found = value_problem(spoilt, manifest, "default")
    assert found is not None
    assert found[0] == "test_ood"
    assert f"subgroup {dropped!r} is one the manifest lists as dropped" in found[2]
    assert int(found[1].sum()) == sum(s == kept for s in ood.column("subgroup_id").to_pylist())
    more = {**manifest, "subgroups": {**manifest["subgroups"], "kept": 102}}
    found = value_problem(tables, more, "default")
    assert found is not None
    assert "holds 101 subgroups; the manifest records 102 kept" in found[2]


def test_readers_refuse_through_the_opened_dataset(copy: Path) -> None:
    """The rule is applied where every read goes (``BuiltDataset.row_problem``)."""
    _every_file(
        copy,
        lambda rows: [
            r.update(section="Economic Values") for r in rows if r["question_id"] == "Q1"
        ],
    )
    problem = open_dataset(copy).row_problem("default")
    assert problem is not None
    assert "section of question Q1 not the catalogue's" in problem[1]


def test_an_honest_build_of_two_wave_files_keeps_every_rule(tmp_path: Path) -> None:
    """A build of a Wave 7 and a Wave 6 file: its temporal config holds the questions both
    waves have, so what it asked is that set, the latest wave's drops and those the earlier
    wave's file lacks (``earlier_waves[].items_dropped``). Without the last, the fingerprint
    check refused every reader of this honest build (probe17)."""
    runner = CliRunner()
    for layout, name in (("wvs7", "w7.csv"), ("wvs6", "w6.csv")):
        made = runner.invoke(main, ["synth", "--layout", layout, "--out", str(tmp_path / name)])
        assert made.exit_code == 0, made.output
    folder = tmp_path / "ds"
    waves = ["--wvs", str(tmp_path / "w7.csv"), "--wvs", str(tmp_path / "w6.csv")]
    built = runner.invoke(main, ["build", "--quiet", "--out", str(folder), *waves])
    assert built.exit_code == 0, built.output
    assert _manifest(folder)["earlier_waves"][0]["items_dropped"]  # the case: wave 6 lacks some
    assert runner.invoke(main, ["validate", str(folder)]).exit_code == 0
    tables = _tables(folder, "temporal")
    assert catalogue_problem(tables, _manifest(folder)) is None
