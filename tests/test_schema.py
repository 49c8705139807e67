"""Every shipped JSON Schema is valid Draft 2020-12, and built rows match the sample schema."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from jsonschema import Draft202012Validator

from sgbench.dataset import load_manifest, sample_card_features, sample_features, sample_schema
from sgbench.schema import load_schema, schema_names, validator

OPEN_AT_TOP = {"manifest"}
"""Schemas whose unlisted top-level keys are allowed on purpose (later builders add provenance
keys to the manifest); their listed keys are still checked."""


@pytest.mark.parametrize("name", schema_names())
def test_shipped_schema_is_valid_and_closed(name: str) -> None:
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(f"/{name}.schema.json")
    if name in OPEN_AT_TOP:
        assert "additionalProperties" not in schema
        assert set(schema["required"]) <= set(schema["properties"])
    else:
        assert schema["additionalProperties"] is False


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
