"""Every shipped JSON Schema is valid Draft 2020-12, and built rows match the sample schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from jsonschema import Draft202012Validator
from leaderboard_fixtures import metadata

from sgbench.dataset import load_manifest, sample_card_features, sample_features, sample_schema
from sgbench.errors import InputError
from sgbench.schema import load_schema, schema_names, schema_problems, validator


@pytest.mark.parametrize("name", schema_names())
def test_shipped_schema_is_valid_and_closed(name: str) -> None:
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(f"/{name}.schema.json")
    # Every schema is closed, the manifest's too: an unknown manifest key is an edit after the
    # build (each data file carries the whole manifest), not a later builder's provenance.
    assert schema["additionalProperties"] is False
    assert set(schema.get("required", ())) <= set(schema["properties"])


def test_schemas_listed() -> None:
    assert set(schema_names()) >= {"build_config", "predictions", "sample", "submission"}


def test_every_built_row_matches_the_sample_schema(built_default: Path) -> None:
    check = validator("sample")
    manifest = load_manifest(built_default)
    checked = 0
    for relative in manifest["files"]:
        rows = pq.read_table(built_default / relative).slice(0, 300).to_pylist()
        for row in rows:
            errors = [e.message for e in check.iter_errors(json.loads(json.dumps(row)))]
            assert not errors, (relative, row["id"], errors)
            checked += 1
    assert checked > 1000


def test_split_rows_are_rows_the_sample_schema_accepts(built_default: Path) -> None:
    """split_rows' rows were pandas records holding numpy arrays: the packaged sample schema
    refused every one ("array([...]) is not of type 'array'") and json.dumps raised."""
    from sgbench.prompts import split_rows

    rows = split_rows(built_default, "paper", "test_ood")
    expected = pq.read_table(built_default / "data/paper/test_ood-00000-of-00001.parquet")
    assert rows[:50] == expected.slice(0, 50).to_pylist()
    check = validator("sample")
    for row in rows[:50]:
        assert schema_problems(check, row) == []
        assert json.loads(json.dumps(row)) == row


def test_a_python_value_too_deep_to_walk_is_one_input_error() -> None:
    deep: list[Any] = []
    inner = deep
    for _ in range(5_000):  # a RecursionError inside jsonschema
        inner.append([])
        inner = inner[0]
    with pytest.raises(InputError, match="nested too deeply to check"):
        schema_problems(validator("sample"), {"options": deep})
    shallow = json.loads("[" * 50 + "]" * 50)  # what a parser of sgbench lets through
    assert schema_problems(validator("sample"), {"options": shallow})


def test_sample_schema_rejects_a_broken_row(built_default: Path) -> None:
    row = (
        pq.read_table(built_default / next(iter(load_manifest(built_default)["files"])))
        .slice(0, 1)
        .to_pylist()[0]
    )
    check = validator("sample")
    broken = {**row, "scale_type": "likert", "answer": 2.5}
    messages = sorted(e.json_path for e in check.iter_errors(broken))
    assert messages == ["$.answer", "$.scale_type"]
    assert list(check.iter_errors({k: v for k, v in row.items() if k != "margin"}))


@pytest.mark.parametrize("attributes", [[], ["sex"], ["country", "sex", "age_group"]])
def test_sample_schema_without_datasets_is_what_datasets_declares(attributes: list[str]) -> None:
    features = sample_features(attributes)
    assert sample_schema(attributes).equals(features.arrow_schema, check_metadata=True)
    assert sample_card_features(attributes) == features._to_yaml_list()


def _with_newline(instance: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    """``instance`` (a copy) with a newline appended to the string at ``path``, or to the last
    key of the object at ``path`` when the path ends with ``"*"``."""
    copy = json.loads(json.dumps(instance))
    *parents, last = path
    node = copy
    for key in parents:
        node = node[key]
    if last == "*":
        key = next(iter(node))
        node[key + "\n"] = node.pop(key)
    else:
        node[last] += "\n"
    return copy


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("submission", ("url",)),
        ("submission", ("dataset_version",)),
        ("submission", ("date",)),
        ("manifest", ("version",)),
        ("manifest", ("files", "*")),
        ("predictions", ("distribution", "*")),
        ("sample", ("question_id",)),
    ],
)
def test_a_pattern_ends_at_the_end_of_the_string(
    name: str, path: tuple[str, ...], built_default: Path
) -> None:
    """``$`` is the end (ECMA-262), not also before a final newline (Python's ``re``): a value
    that fits a pattern stops fitting with a newline after it, in every schema."""
    manifest = load_manifest(built_default)
    valid: dict[str, dict[str, Any]] = {
        "submission": metadata(url="https://example.org/run-1"),
        "manifest": manifest,
        "predictions": {"id": "Q1/sex=Male", "answer": 1, "distribution": {"1": 1.0}},
        "sample": pq.read_table(built_default / next(iter(manifest["files"])))
        .slice(0, 1)
        .to_pylist()[0],
    }
    check = validator(name)
    instance = json.loads(json.dumps(valid[name]))
    assert not list(check.iter_errors(instance))
    errors = list(check.iter_errors(_with_newline(instance, path)))
    assert errors
    assert all("does not match" in e.message or "is not a" in e.message for e in errors)


def test_a_submission_url_is_a_plain_ascii_address() -> None:
    """Shown as a link, so what is published must be what was submitted and name its host."""
    check = validator("submission")
    for good in ("https://example.org/a?b=c&d=e#f", "http://xn--e1afmkfd.example:8080/x(1)"):
        assert check.is_valid(metadata(url=good)), good
    for bad in (
        "https://user:token@example.org/",  # credentials published on the page
        "https://example.org@evil.example/",  # a host that reads as another
        "https://\u0435xample.org/",  # Cyrillic е: write the xn-- form
        "https://example.org/\x1b[31m",  # control characters the outputs would drop
        "https://example.org/\u202egnp.exe",  # a bidi override the outputs would drop
        "https://example.org/\x00",
        "https://./",  # no host: a link that leads nowhere
        "https://-/",
        "https://a..b/",
        "https://-a.example/",
        "https://example.org:99999/",  # no such port
        "https://example.org:0/",
    ):
        assert not check.is_valid(metadata(url=bad)), bad
    for edge in ("https://example.org:65535/", "http://localhost/", "https://127.0.0.1:1/"):
        assert check.is_valid(metadata(url=edge)), edge


def test_a_subgroup_id_names_its_values_in_any_order_and_only_them() -> None:
    from sgbench.schema.ids import names_subgroup

    values = {"age_group": "25-34", "religion": "Muslim", "sex": None}
    assert names_subgroup("age_group=25-34&religion=muslim", values)
    assert names_subgroup("religion=muslim&age_group=25-34", values)
    assert not names_subgroup("age_group=25-34", values)  # a value left out
    assert not names_subgroup("age_group=16-24&religion=muslim", values)  # another value
    assert not names_subgroup("age_group=25-34&religion=muslim&sex=male", values)


def test_a_schema_name_is_one_of_the_packaged_names() -> None:
    from sgbench.errors import InputError

    assert load_schema("predictions.schema.json") == load_schema("predictions")
    for name in ("", "Predictions", "../schema/predictions", "x" * 100_000, "no-such"):
        with pytest.raises(InputError, match="no packaged schema"):
            load_schema(name)
        with pytest.raises(InputError, match="no packaged schema"):
            validator(name)
