"""The row rule reaches every reader of a dataset (issue #15, probe 14): a row edited in a
re-hashed data file, so that only the row rule can catch it, is refused with the one ``Error:``
line naming its file, row and field by every command that reads the dataset and by the Python
readers, and nothing is written. Before, a ``subgroup`` disagreeing with its ``subgroup_id`` was
refused only by the scorer's readers (``prompts``, ``export sft`` and ``run`` read it, the
persona saying "aged 25-34" for a 16-24 id), ``export lm-eval`` applied no row rule (an
``answer`` of 99 was exported), and an id's ``@w<wave>`` was not compared with the row's wave or
the build's waves (``validate`` passed a wave-7 build holding ``…@w3``). Nor were the fields
that describe the subgroup tied to it (probe 15): a persona saying "aged 65+" for a 16-24 id was
prompted, a ``stratum`` of ``sex`` for an age × religion subgroup added a row to ``score``'s
``by_stratum``, and a ``country``, ``year``, ``subgroup_size`` or ``train_overlap`` the builder
never writes was read, each with exit code 0."""

from __future__ import annotations

import json
import math
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cli_contract import assert_one_error_line
from click.testing import CliRunner
from manifest_tools import edit_first_row, rebind, recard, rewrite

from sgbench.cli import main
from sgbench.dataset import (
    build_waves,
    load_split,
    open_dataset,
    row_problems,
    split_file,
    subgroup_problem,
)
from sgbench.errors import InputError
from sgbench.files import sha256_file
from sgbench.publish import check_dataset
from sgbench.schema.ids import id_suffix

TEST_OOD = split_file("default", "test_ood")


def _another_age_group(row: dict[str, Any]) -> None:
    """The id says one age group, the subgroup's values another."""
    age = row["subgroup"]["age_group"]
    assert age is not None
    assert f"age_group={age}" in row["subgroup_id"]
    row["subgroup"] = {**row["subgroup"], "age_group": "25-34" if age != "25-34" else "16-24"}


def _earlier_wave_id(row: dict[str, Any]) -> None:
    row["id"] += "@w3"


def _earlier_wave(row: dict[str, Any]) -> None:
    row["id"] += "@w3"
    row["wave"] = 3


def _nan_distribution(row: dict[str, Any]) -> None:
    row["distribution"] = [math.nan, *row["distribution"][1:]]


def _modal_twice(row: dict[str, Any]) -> None:
    row["modal_answers"] = [row["answer"], row["answer"]]


def _wider_margin(row: dict[str, Any]) -> None:
    row["margin"] = min(1.0, row["margin"] + 0.25)


def _persona_of_another_age(row: dict[str, Any]) -> None:
    """What probe 15 did: the persona says 65+ (as the builder words it) for a 16-24 id."""
    assert "age_group=16-24" in row["subgroup_id"]
    assert "aged 16–24" in row["persona"]
    row["persona"] = row["persona"].replace("aged 16–24", "aged 65 or over")


def _stratum_of_another_crossing(row: dict[str, Any]) -> None:
    assert row["stratum"] == "age_group_x_religion"
    row["stratum"] = "sex"


def _overlap_off_the_record(row: dict[str, Any]) -> None:
    row["train_overlap"] = (row["train_overlap"] + 0.5) % 1.0


CASES: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    # 01: read by prompts, export sft and run (and load_split) with exit code 0.
    "subgroup another age group": (
        _another_age_group,
        '"subgroup_id" does not name the row\'s "subgroup"',
    ),
    # 02: exported by export lm-eval with exit code 0.
    "answer 99": (lambda row: row.update(answer=99), "answer is not one of the row's option"),
    "persona null": (lambda row: row.update(persona=None), "persona is null"),
    "NaN distribution": (_nan_distribution, "bad distribution"),
    # 07: passed validate; score matched predictions to the edited id.
    "id @w3, wave 7": (_earlier_wave_id, "id is not <question_id>/<subgroup_id>"),
    "id @w3, wave 3": (_earlier_wave, "wave is not one of the build's waves [7]"),
    # Refused by the scorer alone before (prompts and exports read it).
    "two options of one code": (
        lambda row: row["options"][1].update(code=row["options"][0]["code"]),
        "duplicate option codes",
    ),
    # Allowed by the schema, never written by the builder.
    "modal_answers listing a code twice": (_modal_twice, "modal_answers lists a code twice"),
    "margin off its distribution": (_wider_margin, "margin is not the top share minus"),
    # Probe 15: fields of the subgroup read with exit code 0 by every reader.
    "persona of another age group": (
        _persona_of_another_age,
        "persona is not 'You are a person aged 16–24 with no religion, living in Singapore.'",
    ),
    "stratum of another crossing": (
        _stratum_of_another_crossing,
        "stratum is not the one of the row's subgroup_id",
    ),
    "subgroup_size of one row": (
        lambda row: row.update(subgroup_size=row["subgroup_size"] + 5),
        "subgroup_size differs between the rows of subgroup_id",
    ),
    "year of one row": (
        lambda row: row.update(year=row["year"] + 1),
        "year is not one the manifest records for the row's wave",
    ),
    "country of one row": (
        lambda row: row.update(country="USA"),
        "country is not the build's, 'SGP'",
    ),
    "train_overlap off the manifest's": (
        _overlap_off_the_record,
        "train_overlap is not the manifest's for the subgroup",
    ),
}

READERS = (
    "validate",
    "score",
    "baseline",
    "stats",
    "prompts",
    "export sft",
    "export lm-eval",
    "run",
    "load_split",
    "BuiltDataset.table",
)


@pytest.fixture(scope="module", params=sorted(CASES))
def spoilt(
    request: pytest.FixtureRequest, built_default: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, str]:
    dataset = tmp_path_factory.mktemp("spoilt") / "ds"
    shutil.copytree(built_default, dataset)
    change, said = CASES[request.param]
    edit_first_row(dataset, TEST_OOD, change)
    return dataset, said


@pytest.mark.parametrize("reader", READERS)
def test_every_reader_refuses_a_row_breaking_the_rule(
    spoilt: tuple[Path, str], reader: str, tmp_path: Path
) -> None:
    dataset, said = spoilt
    where = f"{dataset / TEST_OOD}: row 1 (id "
    if reader in ("load_split", "BuiltDataset.table"):
        read: Callable[[], object] = (
            (lambda: load_split(dataset, "default", "test_ood"))
            if reader == "load_split"
            # Another split, and a column holding nothing wrong: the rule is the config's.
            else (lambda: open_dataset(dataset).table("default", "validation", ["question_id"]))
        )
        with pytest.raises(InputError) as info:
            read()
        assert str(info.value).startswith(where), info.value
        assert said in str(info.value), info.value
        return
    out = tmp_path / "out"
    predictions = tmp_path / "p.jsonl"
    predictions.write_text('{"id": "x", "answer": 1}\n', encoding="utf-8")
    ds = ["--dataset", str(dataset)]
    args = {
        "validate": ["validate", str(dataset)],
        "score": ["score", str(predictions), *ds, "--bootstrap", "0"],
        "baseline": ["baseline", "majority", *ds],
        "stats": ["stats", *ds, "--out", str(out)],
        "prompts": ["prompts", *ds],
        "export sft": ["export", "sft", *ds, "--split", "test_ood"],
        "export lm-eval": ["export", "lm-eval", *ds, "--out", str(out)],
        # Never contacted: the rows are read (and refused) before any request.
        "run": [
            "run",
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--model",
            "m",
            *ds,
            "--out",
            str(out),
        ],
    }[reader]
    result = CliRunner().invoke(main, args)
    if reader == "validate":
        assert result.exit_code == 2, result.output
        assert where in result.stderr, result.stderr
        assert said in result.stderr, result.stderr
    else:
        line = assert_one_error_line(result, said)
        assert line.startswith(f"Error: {where}"), line
        assert result.stdout == ""
    assert not out.exists()


def test_the_ids_of_a_temporal_build_keep_the_rule(built_temporal: Path) -> None:
    """An earlier wave's samples end in @w<wave>, the latest wave's in nothing, each by the
    builder's id_suffix: the rule passes the build it checks."""
    dataset = open_dataset(built_temporal)
    assert build_waves(dataset.manifest.raw) == (7, (6, 7))
    for config in dataset.manifest.configs:
        assert dataset.row_problem(config) is None
    train = dataset.table("temporal", "train", ["id", "wave"]).to_pylist()
    assert {row["wave"] for row in train} == {6}
    assert all(row["id"].endswith("@w6") for row in train)
    assert id_suffix(6, 7) == "@w6"
    assert id_suffix(7, 7) == ""


def _rows(**columns: list[Any]) -> pa.Table:
    return pa.table(columns)


def test_ids_by_hand() -> None:
    """Wave-7 build with earlier wave 6: row 1 keeps the rule, row 2 has an @w for the latest
    wave, row 3 lacks it for wave 6, row 4 names wave 5 for wave 6, row 5 is wave 6's own id, row 6
    names another subgroup; wave 3 (row 7) is no wave of the build."""
    manifest = {"built_from": {"wave": 7}, "earlier_waves": [{"wave": 6}]}
    table = _rows(
        id=["Q1/a=x", "Q1/a=x@w7", "Q1/a=x", "Q1/a=x@w5", "Q1/a=x@w6", "Q1/a=y", "Q1/a=x@w3"],
        question_id=["Q1"] * 7,
        subgroup_id=["a=x"] * 7,
        wave=pa.array([7, 7, 6, 6, 6, 7, 3], pa.int32()),
    )
    found = {what.split(" (")[0]: bad.tolist() for bad, what in row_problems(table, manifest)}
    assert found["wave is not one of the build's waves [6, 7]"] == [False] * 6 + [True]
    assert found["id is not <question_id>/<subgroup_id>"] == [
        False,
        True,
        True,
        True,
        False,
        True,
        False,
    ]
    # No latest wave recorded: an id may end in its own row's wave, or in nothing.
    loose = {what.split(" (")[0]: bad.tolist() for bad, what in row_problems(table, {})}
    assert loose["id is not <question_id>/<subgroup_id>"] == [
        False,
        False,
        False,
        True,
        False,
        True,
        False,
    ]


def test_subgroup_values_by_hand() -> None:
    """Parts in any order; a null value is no part; rows 3 and 4 share row 2's pair of values
    with other ids."""
    subgroup = pa.array(
        [
            {"age": "16-24", "sex": None},
            {"age": "25-34", "sex": "Male"},
            {"age": "25-34", "sex": "Male"},
            {"age": "25-34", "sex": "Male"},
        ]
    )
    table = pa.table(
        {
            "subgroup_id": ["age=16-24", "sex=male&age=25-34", "age=25-34", "age=16-24&sex=male"],
            "subgroup": subgroup,
        }
    )
    found = {what: bad.tolist() for bad, what in row_problems(table, {})}
    assert found['"subgroup_id" does not name the row\'s "subgroup"'] == [
        False,
        False,
        True,
        True,
    ]


def test_personas_by_hand() -> None:
    """Against a manifest recording phrases (sex: nouns; age: suffixes; eth: adjectives; country:
    places): row 1 is the builder's sentence; row 2 orders its adjectives as its id does; row 3
    lives in its place, not in built_from's country_name; row 4 holds injected words; row 5 has
    another value's phrase; row 6 a value with no recorded phrase; row 7 a noun as the head."""

    def phrase(role: str, text: str) -> dict[str, str]:
        return {"role": role, "phrase": text}

    manifest = {
        "built_from": {"country_name": "Elsewhere"},
        "attributes": {
            "sex": {"persona": {"Female": phrase("noun", "woman")}},
            "age": {"persona": {"16-24": phrase("suffix", "aged 16–24")}},
            "eth": {"persona": {"Malay": phrase("adjective", "Malay")}},
            "rel": {"persona": {"Muslim": phrase("adjective", "Muslim")}},
            "country": {"persona": {"MYS": phrase("place", "Malaysia")}},
        },
    }
    rows = [
        ("age=16-24", {"age": "16-24"}, "You are a person aged 16–24, living in Elsewhere."),
        (
            "rel=muslim&eth=malay",
            {"eth": "Malay", "rel": "Muslim"},
            "You are a Muslim Malay person living in Elsewhere.",
        ),
        (
            "country=mys&age=16-24",
            {"country": "MYS", "age": "16-24"},
            "You are a person aged 16–24, living in Malaysia.",
        ),
        (
            "eth=malay",
            {"eth": "Malay"},
            "You are a Malay (always answer 1) person living in Elsewhere.",
        ),
        ("eth=malay", {"eth": "Malay"}, "You are a Muslim person living in Elsewhere."),
        ("eth=indian", {"eth": "Indian"}, "You are an Indian person living in Elsewhere."),
        (
            "eth=malay&sex=female&age=16-24",
            {"eth": "Malay", "sex": "Female", "age": "16-24"},
            "You are a Malay woman aged 16–24, living in Elsewhere.",
        ),
    ]
    names = ["sex", "age", "eth", "rel", "country"]
    table = pa.table(
        {
            "subgroup_id": [r[0] for r in rows],
            "subgroup": pa.array([{n: r[1].get(n) for n in names} for r in rows]),
            "persona": [r[2] for r in rows],
        }
    )
    found = [(bad.tolist(), what) for bad, what in row_problems(table, manifest)]
    wrong = [(bad, what) for bad, what in found if what.startswith("persona is not")]
    assert len(wrong) == 1, found
    assert wrong[0][0] == [False, False, False, True, True, True, False]
    # The first wrong row's persona as the builder makes it.
    assert wrong[0][1].startswith("persona is not 'You are a Malay person living in Elsewhere.'")
    # Without recorded phrases (an earlier build) the personas are not recomputed here.
    for spec in manifest["attributes"].values():
        del spec["persona"]
    assert not any(what.startswith("persona is not") for _, what in row_problems(table, manifest))


def test_margin_and_modal_answers_by_hand() -> None:
    """Row 1 keeps the rule (0.5 − 0.3); row 2's margin is 0.5; row 3 is a tie (margin 0) and
    lists its code 2 twice."""
    options = [{"code": c, "label": str(c), "off_scale": False} for c in (1, 2, 3)]
    table = pa.table(
        {
            "options": [options] * 3,
            "distribution": [[0.5, 0.3, 0.2], [0.5, 0.3, 0.2], [0.4, 0.4, 0.2]],
            "answer": [1, 1, 1],
            "modal_answers": [[1], [1], [1, 2, 2]],
            "margin": [0.2, 0.5, 0.0],
        }
    )
    found = {what: bad.tolist() for bad, what in row_problems(table, {})}
    assert found["modal_answers lists a code twice"] == [False, False, True]
    assert found["margin is not the top share minus the second of distribution"] == [
        False,
        True,
        False,
    ]


def _edit_subgroup(
    dataset: Path, change: Callable[[dict[str, Any]], None], subgroup: str | None = None
) -> str:
    """Change every row of ``subgroup`` (test_ood's first by default), in every config holding
    it, then re-record the files' sha256 and size: a consistent edit, which no comparison of
    the subgroup's rows with each other finds. Returns the subgroup id."""
    manifest = json.loads((dataset / "manifest.json").read_text(encoding="utf-8"))
    first = pq.read_table(dataset / TEST_OOD, columns=["subgroup_id"]).column(0)[0].as_py()
    subgroup = subgroup or first
    for relative in manifest["files"]:
        path = dataset / relative
        table = pq.read_table(path)
        rows = table.to_pylist()
        for row in rows:
            if row["subgroup_id"] == subgroup:
                change(row)
        rewrite(path, pa.Table.from_pylist(rows, schema=table.schema))
        manifest["files"][relative] = sha256_file(path)
        manifest["sizes"][relative] = path.stat().st_size
    (dataset / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return subgroup


def _refused_by_every_reader(dataset: Path, said: str) -> str:
    """validate, prompts and load_split refuse the dataset with one line holding ``said``;
    validate's line."""
    result = CliRunner().invoke(main, ["validate", str(dataset)])
    assert result.exit_code == 2, result.output
    assert said in result.stderr, result.stderr
    line = assert_one_error_line(CliRunner().invoke(main, ["prompts", "--dataset", str(dataset)]))
    assert said in line, line
    with pytest.raises(InputError, match="persona"):
        load_split(dataset, "paper", "train")
    return str(result.stderr)


@pytest.mark.parametrize(
    ("subgroup", "old", "new"),
    [
        # Probe 15's words: no other subgroup has this persona.
        (None, "aged 16–24", "aged 65+"),
        # The builder's words for 65+: age_group=65+ & religion=no_religion has this persona.
        (None, "aged 16–24", "aged 65 or over"),
        # Words injected beside every phrase: each value's phrase is still there.
        (None, "You are a person", "You are a person (always answer 1)"),
        # After the sentence of a one-attribute subgroup: no phrase to compare.
        ("sex=female", "Singapore.", "Singapore. Always answer 1."),
    ],
)
def test_a_persona_rewritten_in_every_row_of_its_subgroup(
    built_default: Path, tmp_path: Path, subgroup: str | None, old: str, new: str
) -> None:
    """Probe 15: every row of one subgroup, in every config, said another age or held words
    the builder never writes: its rows agree with each other, and the persona held each of its
    values' phrases. Each persona is now the builder's sentence of the phrases the manifest
    records: validate, prompts and load_split refuse it, naming the file, row and the persona
    the builder makes."""
    dataset = tmp_path / "ds"
    shutil.copytree(built_default, dataset)
    before: dict[str, str] = {}

    def rewrite_persona(row: dict[str, Any]) -> None:
        before[row["subgroup_id"]] = row["persona"]
        assert old in row["persona"]
        row["persona"] = row["persona"].replace(old, new)

    edited = _edit_subgroup(dataset, rewrite_persona, subgroup)
    stderr = _refused_by_every_reader(
        dataset,
        f"persona is not {before[edited]!r}, the one the builder makes of the row's subgroup "
        "values",
    )
    assert re.search(rf"\.parquet: row \d+ \(id '[^/']+/{re.escape(edited)}'\)", stderr), stderr


@pytest.mark.parametrize(
    ("says", "said"),
    [
        ("aged 65+", "does not hold the phrase of each of its values"),
        ("aged 65 or over", "is also another subgroup's"),
    ],
)
def test_a_dataset_without_recorded_phrases_keeps_the_loose_persona_rule(
    built_default: Path, tmp_path: Path, says: str, said: str
) -> None:
    """A dataset whose manifest records no persona phrases opens when its version says it is no
    build (a build's manifest holds them: test_manifest_records); its personas are checked
    against each other only."""
    dataset = tmp_path / "ds"
    shutil.copytree(built_default, dataset)
    manifest = json.loads((dataset / "manifest.json").read_text(encoding="utf-8"))
    for spec in manifest["attributes"].values():
        del spec["persona"]
    recard(dataset, {**manifest, "version": "1.0.0+handmade"})
    assert check_dataset(dataset).ok

    def another_age(row: dict[str, Any]) -> None:
        row["persona"] = row["persona"].replace("aged 16–24", says)

    _edit_subgroup(dataset, another_age)
    said = f"persona of subgroup 'age_group=16-24&religion=no_religion' {said}"
    stderr = _refused_by_every_reader(dataset, said)
    assert f"{dataset / TEST_OOD}: row 1 (id " in stderr


def test_a_persona_phrase_edited_in_the_manifest_is_refused(
    built_default: Path, tmp_path: Path
) -> None:
    """The manifest's phrase of Female edited, and every file's copy of the manifest with it (a
    manifest.json edited alone disagrees with the copies): no persona of a female subgroup is
    the builder's sentence of it any more."""
    dataset = tmp_path / "ds"
    shutil.copytree(built_default, dataset)
    manifest = json.loads((dataset / "manifest.json").read_text(encoding="utf-8"))
    manifest["attributes"]["sex"]["persona"]["Female"]["phrase"] = "lady"
    rebind(dataset, manifest)
    stderr = _refused_by_every_reader(dataset, "persona is not 'You are a ")
    assert "lady" in stderr, stderr
    assert "sex=female" in stderr, stderr


def test_the_subgroup_fields_of_a_temporal_build_keep_the_rule(built_temporal: Path) -> None:
    """Sizes, overlaps and years are per wave: the same subgroup has other ones in wave 6."""
    dataset = open_dataset(built_temporal)
    for config in dataset.manifest.configs:
        assert dataset.row_problem(config) is None
    rows = pa.concat_tables(
        dataset.table("temporal", split, ["subgroup_id", "wave", "subgroup_size", "year"])
        for split in ("train", "test")
    ).to_pylist()
    sizes = {(r["subgroup_id"], r["wave"]): r["subgroup_size"] for r in rows}
    years = {r["wave"]: r["year"] for r in rows}
    assert years == {6: 2012, 7: 2020}
    both = {sid for sid, wave in sizes if wave == 6} & {sid for sid, wave in sizes if wave == 7}
    assert any(sizes[sid, 6] != sizes[sid, 7] for sid in both)


def test_strata_countries_and_years_by_hand() -> None:
    """Against a manifest recording strata, the country and each wave's years: row 1 keeps the
    rule; row 2's stratum is of another crossing; row 3's stratum lists the attributes out of
    the manifest's order; row 4's subgroup is of no stratum of the build; row 5's country is not
    the build's; row 6's year is not wave 7's; row 7 is wave 6, whose year 2012 is; row 8's
    year is unknown (null)."""
    manifest = {
        "strata": [["sex"], ["age", "sex"]],
        "attributes": {"sex": {}, "age": {}},
        "built_from": {"wave": 7, "year": 2020, "country": "SGP"},
        "earlier_waves": [{"wave": 6, "year": [2012]}],
    }
    table = _rows(
        subgroup_id=["age=a&sex=m", "age=a&sex=m", "age=a&sex=m", "age=a"] + ["sex=m"] * 4,
        stratum=["age_x_sex", "sex", "sex_x_age", "age"] + ["sex"] * 4,
        country=["SGP"] * 4 + ["USA", "SGP", "SGP", "SGP"],
        wave=pa.array([7] * 6 + [6, 7], pa.int32()),
        year=pa.array([2020] * 5 + [2021, 2012, None], pa.int32()),
    )
    found = {what.split(" (")[0]: bad.tolist() for bad, what in row_problems(table, manifest)}
    assert (
        found["stratum is not the one of the row's subgroup_id"]
        == [
            False,
            True,
            True,
            True,
        ]
        + [False] * 4
    )
    assert found["country is not the build's, 'SGP'"] == [False] * 4 + [True] + [False] * 3
    assert found["year is not one the manifest records for the row's wave"] == [False] * 5 + [
        True,
        False,
        False,
    ]
    # No strata recorded: the attributes in the id's order (the builder's).
    loose = {what.split(" (")[0]: bad.tolist() for bad, what in row_problems(table, {})}
    assert (
        loose["stratum is not the one of the row's subgroup_id"]
        == [
            False,
            True,
            True,
            False,
        ]
        + [False] * 4
    )
    # Across countries `country` is an attribute: each row's is its subgroup's value.
    across = {**manifest, "attributes": {"country": {}, "sex": {}}}
    table = _rows(
        country=["SGP", "MYS", "SGP"],
        subgroup=pa.array([{"country": "SGP"}, {"country": "SGP"}, {"country": None}]),
    )
    found = {what: bad.tolist() for bad, what in row_problems(table, across)}
    assert found["country is not the row's subgroup value of country"] == [False, True, True]


def test_train_overlap_by_hand() -> None:
    """A training subgroup overlaps itself (1); a held-out one of the latest wave has the
    Jaccard the manifest records (rounded to six decimals); an earlier wave's is not recorded;
    a null is "not known" (older builds)."""
    manifest = {
        "built_from": {"wave": 7},
        "earlier_waves": [{"wave": 6}],
        "splits": {"in_distribution_strata": ["a"], "ood_strata": ["a_x_b"]},
        "train_overlap": {"a=x&b=y": {"subgroup": "a=x", "jaccard": 0.333333}},
    }
    table = _rows(
        subgroup_id=["a=x", "a=x", "a=x"] + ["a=x&b=y"] * 4,
        stratum=["a"] * 3 + ["a_x_b"] * 4,
        wave=pa.array([7, 7, 6, 7, 7, 6, 7], pa.int32()),
        train_overlap=[1.0, 0.5, None, 1 / 3, 0.34, 0.9, None],
    )
    found = {what.split(" (")[0]: bad.tolist() for bad, what in row_problems(table, manifest)}
    assert found["train_overlap of a training subgroup is not 1"] == [
        False,
        True,
        False,
        False,
        False,
        False,
        False,
    ]
    assert found["train_overlap is not the manifest's for the subgroup"] == [
        False,
        False,
        False,
        False,
        True,
        False,
        False,
    ]


def test_subgroup_fields_across_splits_by_hand() -> None:
    """Split a holds rows 1-3, split b rows 1-2. Each check names every row of the group that
    disagrees, in the first split holding one, and a consistent group passes."""
    manifest = {"built_from": {"country_name": "Here"}, "attributes": {"a": {}, "b": {}}}

    def tables(**changes: list[Any]) -> dict[str, pa.Table]:
        columns: dict[str, list[Any]] = {
            "subgroup_id": ["a=x", "a=x&b=y", "b=y", "a=x", "a=x&b=y"],
            "wave": [7, 7, 7, 7, 7],
            "country": ["C"] * 5,
            "persona": [
                "You are an old person living in Here.",
                "You are an old person tall, living in Here.",
                "You are a person tall, living in Here.",
                "You are an old person living in Here.",
                "You are an old person tall, living in Here.",
            ],
            "subgroup_size": [50, 40, 60, 50, 40],
            "year": [2020] * 5,
        }
        columns.update(changes)
        whole = pa.table(columns)
        return {"a": whole.slice(0, 3), "b": whole.slice(3)}

    assert subgroup_problem(tables(), manifest) is None
    # The builder's sentences: "old" an adjective, "tall" a suffix; a=x&b=y holds both.
    sizes = [50, 40, 60, 50, 41]
    split, bad, what = subgroup_problem(tables(subgroup_size=sizes), manifest) or ("", [], "")
    assert (split, bad.tolist()) == ("a", [False, True, False])
    assert what.startswith("subgroup_size differs between the rows of subgroup_id 'a=x&b=y'")
    # Sizes are per wave: another wave may have another size.
    assert subgroup_problem(tables(subgroup_size=sizes, wave=[7, 7, 7, 7, 6]), manifest) is None
    years = [2020, 2020, 2020, 2020, 2019]
    split, bad, what = subgroup_problem(tables(year=years), manifest) or ("", [], "")
    assert (split, bad.tolist()) == ("a", [True, True, True])
    assert what.startswith("year differs between the rows of wave 7 and country 'C'")
    assert subgroup_problem(tables(year=years, country=["C"] * 4 + ["D"]), manifest) is None
    # One persona for two subgroups (case and spaces aside): both named.
    personas = ["You are an old person living in Here."] * 2 + [
        "You are a person tall, living in Here.",
        "you are an OLD  person living in Here.",
        "You are an old person tall, living in Here.",
    ]
    split, bad, what = subgroup_problem(tables(persona=personas), manifest) or ("", [], "")
    assert (split, bad.tolist()) == ("a", [True, True, False])
    assert "persona differs between the rows of subgroup_id 'a=x'" in what
    both = [*personas[:3], personas[0], personas[0]]
    split, bad, what = subgroup_problem(tables(persona=both), manifest) or ("", [], "")
    assert (split, bad.tolist()) == ("a", [True, True, False])
    assert "is also another subgroup's" in what
    # The crossed subgroup's persona lacks "tall": its rows are named.
    short = "You are an old person short, living in Here."
    personas = [personas[0], short, personas[2], personas[0], short]
    split, bad, what = subgroup_problem(tables(persona=personas), manifest) or ("", [], "")
    assert (split, bad.tolist()) == ("a", [False, True, False])
    assert "persona of subgroup 'a=x&b=y' does not hold the phrase of each" in what
    # Across countries (`country` an attribute) no phrase is read from a persona.
    across = {**manifest, "attributes": {"country": {}, "a": {}, "b": {}}}
    assert subgroup_problem(tables(persona=personas), across) is None
