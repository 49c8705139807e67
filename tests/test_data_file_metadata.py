"""Every data file's parquet key-value metadata is what a build writes
(``sgbench.dataset.metadata_problem``, part of the binding rule every reader and ``validate``
apply): the declared schema's keys, the binding's and pyarrow's schema, the features equal to the
declared ones. Compared with the first file alone, the same edit in every file (re-bound and
re-hashed, as a forger makes it) passed ``validate`` and ``score``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from cli_contract import assert_one_error_line
from click.testing import CliRunner
from manifest_tools import rebind

from sgbench.cli import main
from sgbench.dataset import load_manifest

Metadata = dict[bytes, bytes]


def _answer_a_string(metadata: Metadata) -> Metadata:
    features = json.loads(metadata[b"huggingface"])
    features["info"]["features"]["answer"]["dtype"] = "string"
    return {**metadata, b"huggingface": json.dumps(features).encode()}


EDITS: dict[str, tuple[Callable[[Metadata], Metadata], str]] = {
    "answer said a string": (
        _answer_a_string,
        "its parquet metadata 'huggingface' differs from the declared features at "
        "info.features.answer.dtype",
    ),
    "an extra key": (
        lambda metadata: {**metadata, b"foo": b"bar"},
        "its parquet metadata holds the key 'foo', which sgbench does not write",
    ),
    "features removed": (
        lambda metadata: {k: v for k, v in metadata.items() if k != b"huggingface"},
        "its parquet metadata lacks the key 'huggingface'",
    ),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_the_same_metadata_edit_in_every_file_is_refused(
    built_default: Path, tmp_path: Path, edit: str
) -> None:
    change, said = EDITS[edit]
    folder = Path(shutil.copytree(built_default, tmp_path / "ds"))
    manifest = load_manifest(folder)
    for relative in manifest["files"]:
        table = pq.read_table(folder / relative)
        pq.write_table(
            table.replace_schema_metadata(change(table.schema.metadata)), folder / relative
        )
    rebind(folder, manifest)  # every file carries the manifest again, its hash re-recorded

    validate = CliRunner().invoke(main, ["validate", str(folder)])
    assert validate.exit_code == 2, validate.output
    refused = [line for line in validate.output.splitlines() if said in line]
    assert len(refused) == len(manifest["files"]), validate.output
    predictions = tmp_path / "p.jsonl"
    predictions.write_text('{"id": "x", "answer": 1}\n', encoding="utf-8")
    args = ["score", str(predictions), "--dataset", str(folder), "--bootstrap", "0"]
    assert_one_error_line(CliRunner().invoke(main, args), str(folder / "data"), said)
