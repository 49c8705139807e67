"""End-to-end builds on the SYNTHETIC sample: formats, determinism, loading, recomputed rows."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from manifest_tools import same_data

from sgbench.builder import build_dataset
from sgbench.builder.synthetic import synthetic_sample
from sgbench.dataset import (
    CONFIG_SPLITS,
    load_config,
    load_manifest,
    sample_features,
    split_file,
)
from sgbench.errors import InputError


def digests(folder: Path, pattern: str = "data/**/*.parquet") -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.glob(pattern))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def built_by_format(
    wvs_files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("formats")
    for fmt, path in wvs_files.items():
        build_dataset(wvs_path=path, out_dir=out / fmt)
    return {fmt: out / fmt for fmt in wvs_files}


def test_every_release_format_gives_the_same_dataset(built_by_format: dict[str, Path]) -> None:
    assert len(digests(built_by_format["csv"])) == 6
    for fmt in ("dta", "sav", "zip"):
        same_data(built_by_format["csv"], built_by_format[fmt], ("built_from", "card"))
    formats = {fmt: load_manifest(p)["built_from"]["format"] for fmt, p in built_by_format.items()}
    # Each file written by `sgbench synth` carries its SYNTHETIC mark, whatever the format.
    assert formats == {
        "csv": "synthetic (csv)",
        "dta": "synthetic (dta)",
        "sav": "synthetic (sav)",
        "zip": "synthetic (csv)",
    }


def test_embedded_default_equals_a_build_from_the_written_sample(
    built_default: Path, built_by_format: dict[str, Path]
) -> None:
    # Same rows, and both SYNTHETIC (the written sample carries the mark): the same data, and
    # the same manifest but for the file it was read from.
    same_data(built_default, built_by_format["csv"], ("built_from", "card"))
    manifest = load_manifest(built_default)
    assert manifest["synthetic"] is True
    assert manifest["version"].endswith("+synthetic")
    assert load_manifest(built_by_format["csv"])["synthetic"] is True


def test_same_input_gives_byte_identical_outputs(
    wvs_files: dict[str, Path], tmp_path: Path
) -> None:
    build_dataset(wvs_path=wvs_files["csv"], out_dir=tmp_path / "a")
    build_dataset(wvs_path=wvs_files["csv"], out_dir=tmp_path / "b")
    a = digests(tmp_path / "a", "**/*")
    b = digests(tmp_path / "b", "**/*")
    assert "manifest.json" in a
    assert "README.md" in a
    assert a == b


def test_manifest_records_files_counts_and_provenance(built_default: Path) -> None:
    manifest = load_manifest(built_default)
    for relative, sha in manifest["files"].items():
        assert hashlib.sha256((built_default / relative).read_bytes()).hexdigest() == sha
    # Sizes, read before a file is hashed, are the files' sizes on disk; the card is bound too.
    assert manifest["sizes"] == {
        relative: (built_default / relative).stat().st_size for relative in manifest["files"]
    }
    card = (built_default / "README.md").read_bytes()
    assert manifest["card"] == {"sha256": hashlib.sha256(card).hexdigest(), "size": len(card)}
    assert list(manifest["configs"]) == ["default", "paper"]  # one wave: no temporal config
    for config, splits in manifest["configs"].items():
        assert list(splits) == list(CONFIG_SPLITS[config])
        for split in splits:
            frame = pd.read_parquet(built_default / split_file(config, split))
            assert manifest["configs"][config][split]["samples"] == len(frame)
    built = manifest["built_from"]
    assert built["respondents"] == 2012
    assert built["country"] == "SGP"
    assert built["wave"] == 7
    assert manifest["weight"] == "W_WEIGHT"
    assert manifest["attributes"]["ethnicity"] == {
        "variable": "Q290",
        "values": {"Chinese": [702004], "Malay": [702006], "Indian": [702003]},
        "persona": {
            label: {"role": "adjective", "phrase": label}
            for label in ("Chinese", "Malay", "Indian")
        },
    }
    assert manifest["attributes"]["sex"]["persona"] == {
        "Male": {"role": "noun", "phrase": "man"},
        "Female": {"role": "noun", "phrase": "woman"},
    }
    assert manifest["strata"][7] == ["age_group", "religion"]
    assert manifest["min_subgroup_size"] == 30
    assert manifest["min_valid_answers"] == 30
    assert manifest["items_dropped"] == {"Q221": "no valid answer in SGP"}
    assert manifest["splits"]["ood_strata"] == [
        "age_group_x_religion",
        "age_group_x_ethnicity",
        "ethnicity_x_religion",
    ]


def test_dataset_invariants(built_default: Path) -> None:
    default = load_config(built_default, "default")
    everything = pd.concat(default.values(), keys=list(default), names=["split"])
    assert everything["id"].is_unique
    ood = default["test_ood"]
    assert set(ood["stratum"]) == {
        "age_group_x_religion",
        "age_group_x_ethnicity",
        "ethnicity_x_religion",
    }
    others = pd.concat([default[s] for s in ("train", "validation", "test_id")])
    assert set(ood["subgroup_id"]).isdisjoint(others["subgroup_id"])
    assert set(default["train"]["subgroup_id"]) == set(others["subgroup_id"])
    assert (everything["subgroup_size"] >= 30).all()
    assert (everything["n_valid"] >= 30).all()
    for row in everything.sample(500, random_state=0).itertuples():
        codes = [option["code"] for option in row.options]
        assert sum(row.counts) == row.n_valid
        assert len(row.counts) == len(codes) == len(row.distribution)
        assert sum(row.distribution) == pytest.approx(1.0, abs=1e-12)
        assert row.answer == row.modal_answers[0]
        assert set(row.modal_answers) <= set(codes)
        assert row.margin >= 0
        assert row.id == f"{row.question_id}/{row.subgroup_id}"
        used = {k for k, v in row.subgroup.items() if v is not None}
        assert "_x_".join(k for k in row.subgroup if k in used) == row.stratum
    paper = load_config(built_default, "paper")
    assert set(paper["test_ood"]["id"]) == set(ood["id"])
    assert set(paper["train"]["id"]) == set(others["id"])


def test_embedded_default_counts(built_default: Path) -> None:
    """Counts of the embedded default that the docs quote (see docs/generate.py)."""
    manifest = load_manifest(built_default)
    counts = {
        c: {s: v["samples"] for s, v in splits.items()} for c, splits in manifest["configs"].items()
    }
    assert counts["paper"]["train"] + counts["paper"]["test_ood"] == sum(counts["default"].values())
    train_subgroups = manifest["configs"]["paper"]["train"]["subgroups"]
    assert train_subgroups == 50  # as in the paper: 18 single-attribute + 32 sex-crossed subgroups
    assert manifest["items"]["kept"] == 238


def read_raw_csv(path: Path) -> list[dict[str, float]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            {k: (float(v) if k != "B_COUNTRY_ALPHA" else v) for k, v in row.items()}  # type: ignore[misc]
            for row in csv.DictReader(handle)
        ]


AGE = {"16-24": (1,), "25-34": (2,), "35-44": (3,), "45-54": (4,), "55-64": (5,), "65+": (6,)}
ETHNICITY = {"Chinese": (702004,), "Malay": (702006,), "Indian": (702003,)}
# The paper's 7 religion values: Orthodox (3), Jewish (4), other Christian (8) join Other.
RELIGION = {
    "No religion": (0,),
    "Roman Catholic": (1,),
    "Protestant": (2,),
    "Muslim": (5,),
    "Hindu": (6,),
    "Buddhist": (7,),
    "Other": (3, 4, 8, 9),
}


def member(row: dict[str, float], subgroup: dict[str, str | None]) -> bool:
    checks = {
        "sex": ("Q260", {"Male": (1,), "Female": (2,)}),
        "age_group": ("X003R", AGE),
        "ethnicity": ("Q290", ETHNICITY),
        "religion": ("Q289", RELIGION),
    }
    return all(
        value is None or row[checks[name][0]] in checks[name][1][value]
        for name, value in subgroup.items()
    )


@pytest.mark.parametrize("question_id", ["Q46", "Q119", "Q254"])
def test_rows_recomputed_from_the_raw_file(
    built_by_format: dict[str, Path], wvs_files: dict[str, Path], question_id: str
) -> None:
    """Every sample of a question, recomputed with plain Python from the CSV's rows."""
    raw = read_raw_csv(wvs_files["csv"])
    frames = load_config(built_by_format["csv"], "default")
    samples = pd.concat(frames.values())
    samples = samples[samples["question_id"] == question_id]
    assert len(samples) > 50
    for sample in samples.itertuples():
        codes = [option["code"] for option in sample.options]
        people = [r for r in raw if member(r, sample.subgroup)]
        answered = [r for r in people if r[question_id] in codes]
        counts = [sum(1 for r in answered if r[question_id] == c) for c in codes]
        weights = [sum(r["W_WEIGHT"] for r in answered if r[question_id] == c) for c in codes]
        shares = [w / sum(weights) for w in weights]
        top = max(shares)
        assert sample.subgroup_size == len(people), sample.id
        assert sample.n_valid == len(answered), sample.id
        assert list(sample.counts) == counts, sample.id
        np.testing.assert_allclose(sample.distribution, shares, rtol=0, atol=1e-12)
        assert list(sample.modal_answers) == [
            c for c, s in zip(codes, shares, strict=True) if s >= top - 1e-12
        ]
        second = sorted(shares)[-2]
        assert sample.margin == pytest.approx(
            0.0 if len(sample.modal_answers) > 1 else top - second
        )


def test_load_dataset_reads_both_configs_offline(built_default: Path) -> None:
    """The folder (features from the card) and each data file alone (features from its schema's
    ``huggingface`` metadata, the only metadata its schema carries: the binding is not there)
    give the declared features and the file's rows."""
    datasets = pytest.importorskip("datasets")
    manifest = load_manifest(built_default)
    declared = sample_features(list(manifest["attributes"]))
    for config in manifest["configs"]:
        splits = CONFIG_SPLITS[config]
        loaded = datasets.load_dataset(str(built_default), config)
        assert list(loaded) == list(splits)
        for split in splits:
            path = built_default / split_file(config, split)
            alone = datasets.load_dataset("parquet", data_files=str(path), split="train")
            assert loaded[split].features == declared
            assert alone.features == declared
            rows = pq.read_table(path)
            assert loaded[split].data.table.equals(rows)
            assert alone.data.table.equals(rows)
            assert loaded[split].num_rows == manifest["configs"][config][split]["samples"]
        row = loaded["test_ood"][0]
        assert isinstance(row["options"][0]["code"], int)
        assert isinstance(row["distribution"][0], float)


def test_card_declares_configs_and_says_synthetic(built_default: Path) -> None:
    text = (built_default / "README.md").read_text(encoding="utf-8")
    front = yaml.safe_load(text.split("---\n")[1])
    assert [c["config_name"] for c in front["configs"]] == ["default", "paper"]
    assert front["license"] == "other"
    assert "synthetic" in front["tags"]
    assert "SYNTHETIC" in front["pretty_name"]
    assert {i["config_name"] for i in front["dataset_info"]} == {"default", "paper"}
    assert "**SYNTHETIC.**" in text
    assert "10.14281/18241" in text
    assert "non-commercial" in text


def test_unweighted_build_uses_plain_shares(wvs_files: dict[str, Path], tmp_path: Path) -> None:
    summary = build_dataset(wvs_path=wvs_files["csv"], out_dir=tmp_path / "u", weighted=False)
    assert summary.manifest["weight"] is None
    frame = load_config(tmp_path / "u", "paper")["train"]
    for row in frame.head(200).itertuples():
        np.testing.assert_allclose(row.distribution, np.asarray(row.counts) / row.n_valid)


def test_file_without_weights_or_some_items_builds_and_reports(tmp_path: Path) -> None:
    """Without the weight column the config names, the build is refused naming $.weight
    (it built unweighted with a note); --unweighted says so, and then it builds."""
    frame = synthetic_sample().drop(columns=["W_WEIGHT", "Q1", "Q2"])
    path = tmp_path / "partial.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(
        InputError, match=r"partial\.csv: column W_WEIGHT: not in the file.*\$\.weight"
    ):
        build_dataset(wvs_path=path, out_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()
    summary = build_dataset(wvs_path=path, out_dir=tmp_path / "out", weighted=False)
    assert summary.manifest["weight"] is None
    assert summary.manifest["items_dropped"]["Q1"] == "not in the file"
    assert summary.manifest["items_dropped"]["Q2"] == "not in the file"
    text = summary.render()
    assert "items: 236 kept, 3 dropped" in text
    assert "not in the file: Q1, Q2" in text


def test_missing_x003r_derives_age_groups_from_age(tmp_path: Path, unmarked_csv: Path) -> None:
    frame = synthetic_sample().drop(columns=["X003R"])
    path = tmp_path / "no_x003r.csv"
    frame.to_csv(path, index=False)
    summary = build_dataset(wvs_path=path, out_dir=tmp_path / "out")
    assert summary.manifest["attributes"]["age_group"]["variable"] == "Q262"
    build_dataset(wvs_path=unmarked_csv, out_dir=tmp_path / "with_x003r")
    # The same rows; the manifest records which file was read and where age came from.
    same_data(tmp_path / "out", tmp_path / "with_x003r", ("built_from", "attributes", "card"))


def test_manifest_is_plain_json_without_timestamps(built_default: Path) -> None:
    text = (built_default / "manifest.json").read_text(encoding="utf-8")
    manifest = json.loads(text)
    assert not re.search(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:", text), "no timestamps"
    assert "date" not in manifest
    assert manifest["name"] == "wvs-sg-subgroups"


def test_held_out_questions_have_no_train_sample_of_an_overlapping_subgroup(
    built_default: Path,
) -> None:
    """No validation/test_id (q, s) has a train sample of q for a subgroup sharing respondents
    with s: two subgroups can share respondents unless some attribute they both fix differs."""
    samples = pd.concat(
        [f.assign(split=s) for s, f in load_config(built_default, "default").items()]
    )
    train = samples[samples["split"] == "train"]
    held = samples[samples["split"].isin(["validation", "test_id"])]
    assert len(held) > 0

    def may_share(a: dict[str, str | None], b: dict[str, str | None]) -> bool:
        return all(a[k] is None or b[k] is None or a[k] == b[k] for k in a)

    by_question = {q: list(g["subgroup"]) for q, g in train.groupby("question_id")}
    leaks = [
        (sample.id, other)
        for sample in held.itertuples()
        for other in by_question.get(sample.question_id, [])
        if may_share(sample.subgroup, other)
    ]
    assert leaks == []
    # Every held-out subgroup is known from train (on other questions).
    assert set(held["subgroup_id"]) <= set(train["subgroup_id"])
