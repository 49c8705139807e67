"""Opening a dataset: the typed manifest, its schema, and the tamper check on every command.

A dataset's integrity must not depend on the file it protects: a manifest without complete
hashes is refused, and ``name``, ``version`` and ``synthetic`` are bound to the data (each data
file carries them), so editing them in ``manifest.json`` is caught by every command that reads
the dataset and by ``validate``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cli_contract import assert_one_error_line
from click.testing import CliRunner
from scoring_fixtures import HAND_PREDICTIONS, hand_rows, write_hand_dataset, write_jsonl

from sgbench.cli import main
from sgbench.dataset import MANIFEST_FILE, Manifest, load_manifest, open_dataset
from sgbench.errors import InputError


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    return write_hand_dataset(tmp_path / "ds")


def edit_manifest(root: Path, change: Callable[[dict[str, Any]], None]) -> None:
    manifest = load_manifest(root)
    change(manifest)
    (root / MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")


def commands(root: Path, tmp_path: Path) -> dict[str, list[str]]:
    """Every command that reads a dataset, with arguments that work on the untouched one."""
    predictions = write_jsonl(tmp_path / "p.jsonl", HAND_PREDICTIONS)
    responses = write_jsonl(
        tmp_path / "r.jsonl", [{"id": p["id"], "response": "1"} for p in HAND_PREDICTIONS]
    )
    ds = ["--dataset", str(root)]
    return {
        "score": ["score", str(predictions), *ds],
        "baseline": ["baseline", "majority", *ds],
        "prompts": ["prompts", *ds],
        "parse": ["parse", str(responses), *ds],
        "stats": ["stats", *ds, "--out", str(tmp_path / "stats")],
        "export lm-eval": ["export", "lm-eval", *ds, "--out", str(tmp_path / "task")],
    }


TAMPERING: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "files missing": (lambda m: m.pop("files"), "'files' is a required property"),
    "files empty": (lambda m: m.update(files={}), "$.files: {} should be non-empty"),
    "files a list": (lambda m: m.update(files=[]), "$.files: [] is not of type 'object'"),
    "one hash missing": (
        lambda m: m["files"].pop(next(k for k in m["files"] if "test_ood" in k)),
        "test_ood",
    ),
    "version edited": (lambda m: m.update(version="9.9.9"), "disagree"),
    "synthetic edited": (lambda m: m.update(synthetic=False), "disagree"),
    "name edited": (lambda m: m.update(name="other"), "disagree"),
    "version not a version": (lambda m: m.update(version="one"), "$.version: 'one'"),
    "synthetic not a boolean": (lambda m: m.update(synthetic="no"), "$.synthetic: 'no'"),
}


def test_untouched_dataset_is_read_by_every_command(dataset: Path, tmp_path: Path) -> None:
    for name, args in commands(dataset, tmp_path).items():
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, (name, result.output)


@pytest.mark.parametrize("tampering", list(TAMPERING))
def test_tampered_manifest_is_refused_by_every_command(
    dataset: Path, tmp_path: Path, tampering: str
) -> None:
    change, words = TAMPERING[tampering]
    edit_manifest(dataset, change)
    for name, args in commands(dataset, tmp_path).items():
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, (name, result.output)
        assert "Traceback" not in result.output, name
        assert "manifest.json" in result.output, (name, result.output)
        assert words in result.output, (name, result.output)


@pytest.mark.parametrize("tampering", list(TAMPERING))
def test_validate_reports_a_tampered_manifest(
    built_default: Path, tmp_path: Path, tampering: str
) -> None:
    root = tmp_path / "ds"
    shutil.copytree(built_default, root)
    assert CliRunner().invoke(main, ["validate", str(root)]).exit_code == 0
    change, words = TAMPERING[tampering]
    edit_manifest(root, change)
    result = CliRunner().invoke(main, ["validate", str(root)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    problems = [line for line in result.output.splitlines() if "manifest.json" in line]
    assert any(words in line for line in problems), result.output


def test_manifest_is_typed(dataset: Path) -> None:
    opened = open_dataset(dataset)
    raw = load_manifest(dataset)
    assert isinstance(opened.manifest, Manifest)
    assert (opened.manifest.name, opened.manifest.version, opened.manifest.synthetic) == (
        raw["name"],
        raw["version"],
        raw["synthetic"],
    )
    assert opened.manifest.files == raw["files"]
    assert set(opened.manifest.configs) == set(raw["configs"])
    assert opened.manifest.get("strata") == raw["strata"]


def test_unknown_top_level_keys_are_allowed(dataset: Path) -> None:
    edit_manifest(dataset, lambda m: m.update(train_overlap={"anything": 1}))
    assert len(open_dataset(dataset).split("default", "test_ood")) == len(hand_rows())


def test_each_file_is_hashed_once_per_opened_dataset(
    dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sgbench.files

    opened = open_dataset(dataset)
    calls: list[Path] = []
    real = sgbench.files.sha256_file

    def counting(path: Path) -> str:
        calls.append(Path(path))
        return real(path)

    monkeypatch.setattr(sgbench.files, "sha256_file", counting)
    opened.split("default", "test_ood")
    opened.split("default", "test_ood")
    opened.files("default")
    assert sorted(calls) == sorted(set(calls))
    assert len(calls) == 4


def test_a_manifest_that_is_not_an_object(dataset: Path) -> None:
    (dataset / MANIFEST_FILE).write_text("[]", encoding="utf-8")
    with pytest.raises(InputError, match="not a JSON object"):
        open_dataset(dataset)


def test_pure_score_is_what_score_predictions_reports(dataset: Path, tmp_path: Path) -> None:
    from sgbench.scoring import score, score_predictions
    from sgbench.scoring.data import load_scoring_data
    from sgbench.scoring.predictions import read_predictions

    predictions = write_jsonl(tmp_path / "p.jsonl", HAND_PREDICTIONS)
    data = load_scoring_data(open_dataset(dataset), "default", "test_ood")
    direct = score(data, read_predictions(predictions, data), n_boot=200, seed=3)
    assert direct.to_json() == score_predictions(predictions, dataset, n_boot=200, seed=3).to_json()


def test_a_failed_hub_fetch_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Hub dataset (`--dataset hf://org/name`) that cannot be fetched: the hub client's error
    text runs over several lines, and the error must stay one."""
    huggingface_hub = pytest.importorskip("huggingface_hub")

    def offline(**_: Any) -> str:
        raise OSError("Got: ConnectError\nAn error happened while trying to locate the files.")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", offline)
    monkeypatch.chdir(tmp_path)
    write_jsonl(tmp_path / "p.jsonl", HAND_PREDICTIONS)
    result = CliRunner().invoke(main, ["score", "p.jsonl", "--dataset", "hf://nowhere/ds"])
    assert_one_error_line(
        result, "hf://nowhere/ds: fetching it from the Hugging Face Hub failed", "ConnectError An"
    )
