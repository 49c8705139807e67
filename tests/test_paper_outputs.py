"""``sgbench import paper-outputs``: the study's released ids mapped to our samples.

The released-format ids are generated here, independently of :mod:`sgbench.paper.ids`, from
the built dataset's manifest (attribute → variable → codes), the catalogue's codebook labels and
the naming rule read off the released rows: ``<question>_<stratum>_<value>[_<value>]``, labels
with spaces as ``-``, single strata under the attribute's name, pairs under short names
(``sex_x_age``).
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result
from manifest_tools import rebind

import sgbench
from sgbench.catalogue import items_by_id, load_value_labels
from sgbench.cli import main
from sgbench.errors import InputError
from sgbench.paper import import_paper_outputs
from sgbench.paper.ids import released_labels
from sgbench.paper.source import read_source
from sgbench.scoring import parse_responses, score_predictions

ISSUE_EXAMPLES = {
    "Q1_sex_Female": "Q1/sex=female",
    "Q1_age_group_16-24-years": "Q1/age_group=16-24",
    "Q1_age_group_65-and-over": "Q1/age_group=65+",
    "Q1_ethnicity_SG:-Chinese": "Q1/ethnicity=chinese",
    "Q1_ethnicity_SG:-South-Asian-Indian,-Pakistan,-etc.": "Q1/ethnicity=indian",
    "Q1_religion_Do-not-belong-to-a-denomination": "Q1/religion=no_religion",
    "Q1_sex_x_age_Female_16-24-years": "Q1/sex=female&age_group=16-24",
    "Q1_sex_x_ethnicity_Female_SG:-Malay": "Q1/sex=female&ethnicity=malay",
}
"""The example ids of the issue (the released rows' format) and the samples they name."""


def manifest(dataset: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((dataset / "manifest.json").read_text(encoding="utf-8"))
    return loaded


def paper_samples(dataset: Path) -> pd.DataFrame:
    frames = [
        pd.read_parquet(dataset / f"data/paper/{split}-00000-of-00001.parquet")
        for split in ("train", "test_ood")
    ]
    return pd.concat(frames, ignore_index=True)


def value_text(attribute: dict[str, Any], value: str) -> str:
    """The codebook label a value stands for, as released: one code's label, or for several
    codes the one whose label is the value's own name."""
    codebook = load_value_labels()[attribute["variable"]]
    codes = attribute["values"][value]
    labels = [codebook[c] for c in codes]
    label = labels[0] if len(labels) == 1 else next(x for x in labels if x == value)
    return label.replace(" ", "-")


def released_id(sample: pd.Series, meta: dict[str, Any], *, reverse: bool = False) -> str:
    names = [name for name in meta["attributes"] if sample["subgroup"][name] is not None]
    if reverse:
        names.reverse()
    stratum = names[0] if len(names) == 1 else "_x_".join(n.split("_")[0] for n in names)
    values = [value_text(meta["attributes"][n], sample["subgroup"][n]) for n in names]
    return "_".join([sample["question_id"], stratum, *values])


@pytest.fixture(scope="module")
def released(built_default: Path) -> pd.DataFrame:
    """Every sample of the `paper` config under its released id, with the modal answer."""
    meta = manifest(built_default)
    samples = paper_samples(built_default)
    return pd.DataFrame(
        {
            "custom_id": [released_id(row, meta) for _, row in samples.iterrows()],
            "id": samples["id"],
            "response": [f"Answer: {a}" for a in samples["answer"]],
            "ood": samples["stratum"].isin(meta["splits"]["ood_strata"]),
        }
    )


def write_source(path: Path, rows: pd.DataFrame | list[dict[str, Any]]) -> Path:
    frame = pd.DataFrame(rows)[["custom_id", "response"]]
    if path.suffix == ".jsonl":
        lines = [json.dumps(r, ensure_ascii=False) for r in frame.to_dict("records")]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    elif path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path)
    return path


def run_import(source: Path, dataset: Path, out: Path, *extra: str) -> Result:
    args = ["import", "paper-outputs", str(source), "--dataset", str(dataset), "--out", str(out)]
    return CliRunner().invoke(main, [*args, *extra])


def test_every_issue_example_is_a_released_id(released: pd.DataFrame) -> None:
    by_id = dict(zip(released["custom_id"], released["id"], strict=True))
    assert {k: by_id.get(k) for k in ISSUE_EXAMPLES} == ISSUE_EXAMPLES
    assert released["custom_id"].is_unique


def test_modal_responses_import_parse_and_score_perfectly(
    released: pd.DataFrame, built_default: Path, tmp_path: Path
) -> None:
    # Shuffled rows: the output order must not depend on the source's.
    source = write_source(tmp_path / "outputs.jsonl", released.sample(frac=1, random_state=1))
    out = tmp_path / "responses.jsonl"
    report = tmp_path / "report.json"
    result = run_import(source, built_default, out, "--model", "modal", "--report", str(report))
    assert result.exit_code == 0, result.output
    assert f"imported {len(released)} of {len(released)} rows" in result.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == sorted(released["id"])
    assert {line["template"] for line in lines} == {"paper-released"}
    assert {line["model"] for line in lines} == {"modal"}
    summary = json.loads(report.read_text(encoding="utf-8"))
    assert summary["left_out"] == 0
    assert sum(summary["samples_without_output"].values()) == 0
    assert summary["questions_without_output"] == []

    parsed = parse_responses(out, built_default, config="paper")
    assert parsed.unparsed_ids == ()
    predictions = tmp_path / "predictions.jsonl"
    predictions.write_text(parsed.to_jsonl(), encoding="utf-8")
    for split in ("train", "test_ood"):
        scored = score_predictions(
            predictions, built_default, config="paper", split=split, n_boot=0
        )
        assert scored.n_missing == 0
        assert scored.n_samples == int((released["ood"] == (split == "test_ood")).sum())
        assert scored.metrics["accuracy"] == 1.0


def test_same_rows_in_any_format_give_the_same_bytes(
    released: pd.DataFrame, built_default: Path, tmp_path: Path
) -> None:
    rows = released.sample(n=500, random_state=2)
    outputs = []
    for name, suffix in (("a", ".jsonl"), ("b", ".csv"), ("c", ".parquet"), ("d", ".jsonl")):
        source = write_source(tmp_path / f"{name}{suffix}", rows)
        out = tmp_path / f"{name}.out.jsonl"
        result = run_import(source, built_default, out, "--model", "m")
        assert result.exit_code == 0, result.output
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] == outputs[2] == outputs[3]
    assert len(outputs[0].splitlines()) == 500


def test_pair_strata_written_in_reverse_order(
    released: pd.DataFrame, built_default: Path, tmp_path: Path
) -> None:
    meta = manifest(built_default)
    samples = paper_samples(built_default)
    pairs = samples[samples["stratum"].str.contains("_x_")].groupby("stratum").head(3)
    rows = [
        {"custom_id": released_id(row, meta, reverse=True), "response": "Answer: 1"}
        for _, row in pairs.iterrows()
    ]
    source = write_source(tmp_path / "pairs.jsonl", rows)
    out = tmp_path / "out.jsonl"
    result = run_import(source, built_default, out)
    assert result.exit_code == 0, result.output
    imported = {
        json.loads(x)["custom_id"]: json.loads(x)["id"] for x in out.read_text().splitlines()
    }
    expected = dict(zip([r["custom_id"] for r in rows], pairs["id"], strict=True))
    assert imported == expected


def dropped_subgroup_id(meta: dict[str, Any]) -> str:
    """A released id for a subgroup the build dropped (too few respondents), made by hand."""
    dropped = meta["subgroups"]["dropped"][0]["subgroup_id"]
    pairs = [part.split("=") for part in dropped.split("&")]
    names, texts = [], []
    for name, value_slug in pairs:
        attribute = meta["attributes"][name]
        value = next(v for v in attribute["values"] if v.lower().replace(" ", "_") == value_slug)
        names.append(name if len(pairs) == 1 else name.split("_")[0])
        texts.append(value_text(attribute, value))
    return "_".join(["Q1", "_x_".join(names), *texts])


BAD_IDS = {
    "": "garbled",
    "Q1": "garbled",
    "Q1_sex": "garbled",
    "Q1__sex_Female": "garbled",
    "Q1_sex_Female extra": "garbled",
    "Q9999_sex_Female": "unknown question",
    "Q1_sex_Femal": "unknown value",
    "Q1_age_group_16-24": "unknown value",
    "Q1_religion_No-religion": "unknown value",
    "Q1_sex_x_age_16-24-years_Female": "unknown value",
    "Q1_caste_Brahmin": "unknown stratum",
    "Q1_sex_x_caste_Female_Brahmin": "unknown stratum",
}


def test_bad_ids_are_reported_and_never_matched(
    released: pd.DataFrame, built_default: Path, tmp_path: Path
) -> None:
    bad = dict(BAD_IDS)
    meta = manifest(built_default)
    bad[dropped_subgroup_id(meta)] = "not in dataset"
    # A catalogue question the build dropped (no valid answer in the SYNTHETIC sample).
    bad[f"{next(iter(meta['items_dropped']))}_sex_Female"] = "not in dataset"
    good = released.head(5)
    rows = [{"custom_id": k, "response": "Answer: 1"} for k in bad]
    rows += good[["custom_id", "response"]].to_dict("records")
    source = write_source(tmp_path / "bad.jsonl", rows)
    out, report = tmp_path / "out.jsonl", tmp_path / "report.json"
    result = run_import(source, built_default, out, "--report", str(report))
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    imported = [json.loads(line)["custom_id"] for line in out.read_text().splitlines()]
    assert sorted(imported) == sorted(good["custom_id"])
    summary = json.loads(report.read_text(encoding="utf-8"))
    found = {row["custom_id"]: row["reason"] for row in summary["left_out_rows"]}
    assert found == bad
    per_stratum: dict[str, dict[str, int]] = {}
    for row in summary["left_out_rows"]:
        counts = per_stratum.setdefault(row["stratum"], {})
        counts[row["reason"]] = counts.get(row["reason"], 0) + 1
    assert summary["left_out_by_stratum"] == per_stratum
    assert per_stratum["sex"] == {"unknown value": 1, "not in dataset": 1}
    for custom_id, reason in bad.items():
        assert f"  {custom_id!r}: {reason}" in result.stderr.splitlines()


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_a_left_out_id_is_named_exactly_as_the_file_holds_it(
    built_default: Path, tmp_path: Path, released: pd.DataFrame, suffix: str
) -> None:
    """A padded id or one holding a tab is not the released id (ids match exactly); the listing
    named it stripped or with a space, as an id the file did not hold, and ' X' and 'X ' alike."""
    good = str(released["custom_id"].iloc[0])
    padded = [f" {good}", f"{good} ", f"0{good}", f"{good}\t", f"{good}  "]
    rows = [{"custom_id": custom_id, "response": "Answer: 1"} for custom_id in [good, *padded]]
    source = write_source(tmp_path / f"padded{suffix}", rows)
    result = run_import(source, built_default, tmp_path / "out.jsonl")
    assert result.exit_code == 3, result.output
    listed = [line for line in result.stderr.splitlines() if line.startswith("  '")]
    expected = {custom_id: "garbled" for custom_id in padded if custom_id != f"0{good}"}
    expected[f"0{good}"] = "unknown question"  # "0Q1" is no question of the dataset
    assert sorted(listed) == sorted(f"  {k!r}: {v}" for k, v in expected.items())
    assert len(set(listed)) == len(padded)
    imported = [json.loads(line)["custom_id"] for line in (tmp_path / "out.jsonl").open()]
    assert imported == [good]


def test_a_dataset_where_an_id_two_samples_spell_is_refused(
    built_default: Path, tmp_path: Path
) -> None:
    """A dataset whose Hindu value stands for the Buddhist code would release both as
    "Buddhist" (an id two samples spell). No build writes one: the recorded config keeps the
    config loader's rule that no code is in two values, so import refuses the dataset in one
    line before reading a row (its ambiguity rule is left for datasets no manifest rule
    refuses)."""
    dataset = tmp_path / "ds"
    shutil.copytree(built_default, dataset)
    meta = manifest(dataset)
    meta["attributes"]["religion"]["values"]["Hindu"] = [7]
    rebind(dataset, meta)  # a build with that value rule (an edit alone is refused)
    source = write_source(
        tmp_path / "amb.jsonl",
        [{"custom_id": "Q1_religion_Buddhist", "response": "Answer: 1"}],
    )
    out, report = tmp_path / "out.jsonl", tmp_path / "report.json"
    result = run_import(source, dataset, out, "--report", str(report))
    assert result.exit_code == 2, result.output
    assert "attributes.religion.values: values 'Hindu' and 'Buddhist' share codes" in result.output
    assert not out.exists()


def test_no_dataset_can_spell_one_released_id_for_two_samples() -> None:
    """Import had an ``ambiguous`` reason for an id two samples spell; no dataset reaches it, so
    it was removed (build_index asserts the invariant). An id ends in one or two codebook labels
    after question and stratum names: each label names one variable, hence one attribute and
    one value, when these premises of the catalogue and of the config rules hold (with no code
    in two values, test_a_dataset_where_an_id_two_samples_spell_is_refused)."""
    texts = [
        label.replace(" ", "-")
        for codes in load_value_labels().values()
        for label in codes.values()
    ]
    assert len(set(texts)) == len(texts)  # no two codes, of one variable or two, share a label
    # A label never reads as part of a stratum (lower-case names joined by '_'), nor splits.
    assert not [text for text in texts if "_" in text or re.fullmatch("[a-z0-9]+", text)]
    assert not [question for question in items_by_id(7) if "_" in question]
    schema = json.loads(
        (Path(sgbench.__file__).parent / "schema" / "build_config.schema.json").read_text()
    )
    names = schema["properties"]["attributes"]["propertyNames"]["pattern"]
    assert names == "^[a-z][a-z0-9_]*$"


def test_rows_naming_the_same_sample_are_both_left_out(built_default: Path, tmp_path: Path) -> None:
    rows = [
        {"custom_id": "Q1_sex_x_age_Female_16-24-years", "response": "Answer: 1"},
        {"custom_id": "Q1_age_x_sex_16-24-years_Female", "response": "Answer: 2"},
        {"custom_id": "Q2_sex_Male", "response": "Answer: 1"},
        {"custom_id": "Q2_sex_Male", "response": "Answer: 1"},
        {"custom_id": "Q3_sex_Male", "response": "Answer: 1"},
    ]
    source = write_source(tmp_path / "dup.jsonl", rows)
    out, report = tmp_path / "out.jsonl", tmp_path / "report.json"
    result = run_import(source, built_default, out, "--report", str(report))
    assert result.exit_code == 3, result.output
    summary = json.loads(report.read_text(encoding="utf-8"))
    assert summary["left_out_by_reason"] == {"duplicate": 4}
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == ["Q3/sex=male"]


def test_release_label_rule_for_grouped_codes() -> None:
    codebook = {"Q289": {3: "Orthodox", 4: "Jew", 8: "Other Christian", 9: "Other", 1: "RC"}}
    attributes = {
        "religion": {
            "variable": "Q289",
            "values": {"Other": [3, 4, 8, 9], "Christian": [1, 8], "RC": [1]},
        },
        "age": {"variable": "Q262", "values": {"young": {"min": 16, "max": 30}}},
    }
    labels = released_labels(attributes, codebook)
    assert labels.labels == {"religion": {"Other": "Other", "RC": "RC"}}
    assert set(labels.unlabelled["religion"]) == {"Christian"}
    assert "none of whose labels is 'Christian'" in labels.unlabelled["religion"]["Christian"]
    assert "no value labels for Q262" in labels.unlabelled["age"]["young"]


def test_hub_source_goes_through_the_loader() -> None:
    calls: list[tuple[Any, ...]] = []

    class Fake:
        def to_pandas(self) -> pd.DataFrame:
            return pd.DataFrame({"custom_id": ["Q1_sex_Male"], "response": ["Answer: 1"], "x": 1})

    def loader(path: str, name: str | None, split: str) -> Fake:
        calls.append((path, name, split))
        return Fake()

    frame = read_source(
        "hf://Incomple/SubgroupValuesSG-outputs",
        hub_config="gpt-4.1",
        hub_split="test",
        loader=loader,
    )
    assert calls == [("Incomple/SubgroupValuesSG-outputs", "gpt-4.1", "test")]
    assert frame.to_dict("records") == [{"custom_id": "Q1_sex_Male", "response": "Answer: 1"}]


def test_missing_local_file_is_not_sent_to_the_hub(tmp_path: Path) -> None:
    def loader(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the Hub must not be tried")

    with pytest.raises(InputError, match="no such file"):
        read_source(str(tmp_path / "outputs.jsonl"), loader=loader)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("custom_id,answer\nQ1_sex_Male,1\n", "missing column(s) ['response']"),
        ('{"custom_id": "Q1_sex_Male", "response": "1"}\n{oops\n', "line 2: not valid JSON"),
        # A repeated column: pandas renamed the second ("custom_id.1") and took the first.
        ("custom_id,custom_id,response\nQ1_sex_Male,x,1\n", "column custom_id appears twice"),
        ("\ufeffcustom_id,response,Response\nQ1_sex_Male,1,2\n", "column Response appears twice"),
        # A first row longer than the header: pandas made custom_id the index and read every
        # id from the response column.
        ("custom_id,response\nQ1_sex_Male,Answer: 1,\n", "more fields than the header's 2"),
        ("parquet:custom_id,response,custom_id", "column custom_id appears twice"),
        ('{"custom_id": "Q1_sex_Male", "response": "1", "response": "2"}\n', "'response' twice"),
    ],
)
def test_bad_source_is_one_error_line_and_writes_nothing(
    built_default: Path, tmp_path: Path, content: str, fragment: str
) -> None:
    suffix = ".csv" if content.startswith(("custom_id,", "\ufeffcustom")) else ".jsonl"
    source = tmp_path / f"bad{suffix}"
    source.write_text(content, encoding="utf-8")
    if content.startswith("parquet:"):  # a table with a repeated column, as parquet
        source = source.with_suffix(".parquet")
        names = content.removeprefix("parquet:").split(",")
        arrays = [pa.array(["Q1_sex_Male"])] * len(names)
        pq.write_table(pa.Table.from_arrays(arrays, names=names), source)
        (tmp_path / "bad.jsonl").unlink()
    out = tmp_path / "out.jsonl"
    result = run_import(source, built_default, out)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("Error: ")
    assert fragment in lines[0]
    assert str(source) in lines[0]
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == [source.name]


@pytest.mark.parametrize(
    ("suffix", "rows"),
    [(suffix, "one id twice") for suffix in (".csv", ".jsonl", ".parquet")]
    + [(".csv", "none"), (".parquet", "none")],  # an empty JSON Lines file is refused as empty
)
def test_no_row_left_to_import_is_no_crash(
    built_default: Path, tmp_path: Path, suffix: str, rows: str
) -> None:
    """When no row is left (none given, or every row left out), the empty selection used to be
    taken for a column selection: KeyError 'id', a traceback."""
    listed = [{"custom_id": "Q1_sex_Male", "response": "Answer: 1"}] * 2
    source = tmp_path / f"outputs{suffix}"
    if rows == "none":
        frame = pd.DataFrame({"custom_id": pd.Series([], dtype=str),
                              "response": pd.Series([], dtype=str)})  # fmt: skip
        if suffix == ".csv":
            frame.to_csv(source, index=False)
        else:
            frame.to_parquet(source)
    else:
        write_source(source, listed)
    out = tmp_path / "out.jsonl"
    result = run_import(source, built_default, out)
    assert "Traceback" not in result.output
    assert result.exit_code == (0 if rows == "none" else 3), result.output
    assert out.read_text(encoding="utf-8") == ""
    assert ("duplicate" in result.stderr) == (rows == "one id twice")


def test_all_spellings_of_a_pair_name_the_same_sample(built_default: Path, tmp_path: Path) -> None:
    forms = {"sex": ["sex"], "age": ["age", "age_group"]}
    ids = []
    for (first, a), (second, b) in itertools.permutations(
        [("sex", "Female"), ("age", "16-24-years")]
    ):
        for x, y in itertools.product(forms[first], forms[second]):
            ids.append(f"Q5_{x}_x_{y}_{a}_{b}")
    for index, custom_id in enumerate(ids):
        source = write_source(
            tmp_path / f"{index}.jsonl", [{"custom_id": custom_id, "response": "Answer: 1"}]
        )
        out = tmp_path / f"{index}.out.jsonl"
        result = run_import(source, built_default, out)
        assert result.exit_code == 0, (custom_id, result.output)
        assert json.loads(out.read_text())["id"] == "Q5/sex=female&age_group=16-24"
    assert len(ids) == 4  # 2 orders x (sex) x (age, age_group)


def test_a_row_without_response_text_is_left_out(built_default: Path, tmp_path: Path) -> None:
    source = tmp_path / "outputs.parquet"
    pd.DataFrame(
        {"custom_id": ["Q1_sex_Male", "Q1_sex_Female"], "response": [None, "Answer: 2"]}
    ).to_parquet(source)
    out, report = tmp_path / "out.jsonl", tmp_path / "report.json"
    result = run_import(source, built_default, out, "--report", str(report))
    assert result.exit_code == 3, result.output
    summary = json.loads(report.read_text(encoding="utf-8"))
    assert summary["left_out_rows"] == [
        {"custom_id": "Q1_sex_Male", "reason": "no response", "stratum": "sex", "candidates": []}
    ]
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == ["Q1/sex=female"]


def test_the_python_function_keeps_its_outputs_apart(built_default: Path, tmp_path: Path) -> None:
    """The CLI refused one path as --out and --report, but the function did not: with no line
    imported the empty responses file was replaced by the report. The rule is the function's."""
    source = write_source(tmp_path / "s.jsonl", [{"custom_id": "garbled", "response": "1"}])
    both = tmp_path / "both.jsonl"
    with pytest.raises(InputError, match=": report is also out;"):
        import_paper_outputs(source, built_default, both, report=both)
    assert not both.exists()
    with pytest.raises(InputError, match="would overwrite the input"):
        import_paper_outputs(source, built_default, source, model="m")
    assert source.read_text(encoding="utf-8").startswith('{"custom_id": "garbled"')
