"""Only a name written ``hf://org/name`` reaches the Hugging Face Hub
(`sgbench.dataset.hub_id`): a ``--dataset`` or ``import paper-outputs`` SOURCE that is a missing
local path, even one shaped like ``org/name``, is one `Error:` line at once (it used to try the
network, and ``import`` retried offline for over 20 s). The Hub clients are replaced by fakes
here, so no test can reach the network: the fakes fail the test when called without ``hf://``,
and stand in for the download with it."""

from __future__ import annotations

import json
import shutil
import sys
import types
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from cli_contract import assert_one_error_line
from click.testing import CliRunner

from sgbench.cli import main
from sgbench.dataset import hub_id
from sgbench.errors import InputError

NO_CI = ["--bootstrap", "0", "--permutations", "0"]
IMPORT = ["import", "paper-outputs", "src.jsonl"]

# Every command of the family reading --dataset (and a few others), with DS for its value.
DATASET_COMMANDS: dict[str, list[str]] = {
    "score": ["score", "p.jsonl", "--dataset", "DS", *NO_CI],
    "baseline": ["baseline", "majority", "--dataset", "DS"],
    "parse": ["parse", "r.jsonl", "--dataset", "DS"],
    "import paper-outputs": [*IMPORT, "--dataset", "DS", "--out", "o.jsonl"],
    "prompts": ["prompts", "--dataset", "DS"],
    "stats": ["stats", "--dataset", "DS", "--out", "st"],
    "export lm-eval": ["export", "lm-eval", "--dataset", "DS", "--out", "lm"],
}


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """Fake ``huggingface_hub`` and ``datasets`` modules recording every call; the download
    returns whatever the test put in ``hub_folder`` (a built dataset) and the loader a frame."""
    calls: list[tuple[str, Any]] = []
    hub_module = types.ModuleType("huggingface_hub")
    datasets_module = types.ModuleType("datasets")

    def snapshot_download(repo_id: str, repo_type: str) -> str:
        calls.append(("snapshot_download", (repo_id, repo_type)))
        return str(HUB_FOLDER[0])

    class Rows:
        def to_pandas(self) -> pd.DataFrame:
            return pd.DataFrame({"custom_id": ["Q1_sex_Male"], "response": ["Answer: 1"]})

    def load_dataset(path: str, name: str | None, split: str) -> Rows:
        calls.append(("load_dataset", (path, name, split)))
        return Rows()

    hub_module.snapshot_download = snapshot_download  # type: ignore[attr-defined]
    datasets_module.load_dataset = load_dataset  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "huggingface_hub", hub_module)
    monkeypatch.setitem(sys.modules, "datasets", datasets_module)
    return calls


HUB_FOLDER: list[Path] = [Path("unset")]


@pytest.fixture
def workdir(
    built_default: Path,
    test_ood_ids: tuple[str, ...],
    answers_of_default: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    shutil.copytree(built_default, tmp_path / "ds")
    HUB_FOLDER[0] = tmp_path / "ds"
    monkeypatch.chdir(tmp_path)
    ids = test_ood_ids
    (tmp_path / "p.jsonl").write_text(answers_of_default, encoding="utf-8")
    (tmp_path / "r.jsonl").write_text(
        "".join(json.dumps({"id": i, "response": "Answer: 1"}) + "\n" for i in ids),
        encoding="utf-8",
    )
    (tmp_path / "src.jsonl").write_text(
        '{"custom_id": "Q1_sex_Male", "response": "Answer: 1"}\n', encoding="utf-8"
    )
    return tmp_path


@pytest.mark.parametrize("case", sorted(DATASET_COMMANDS))
def test_a_missing_dataset_shaped_like_a_hub_id_is_not_fetched(
    case: str, workdir: Path, hub: list[tuple[str, Any]]
) -> None:
    args = ["org/missing" if arg == "DS" else arg for arg in DATASET_COMMANDS[case]]
    result = CliRunner().invoke(main, args)
    assert_one_error_line(result, "org/missing: no such dataset folder", "hf://org/missing")
    assert hub == []


@pytest.mark.parametrize("case", ["score", "baseline", "parse", "import paper-outputs"])
def test_hf_prefix_fetches_the_dataset(
    case: str, workdir: Path, hub: list[tuple[str, Any]]
) -> None:
    args = ["hf://org/built" if arg == "DS" else arg for arg in DATASET_COMMANDS[case]]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert hub == [("snapshot_download", ("org/built", "dataset"))]


def test_import_source_reaches_the_hub_only_with_the_prefix(
    workdir: Path, hub: list[tuple[str, Any]]
) -> None:
    base = ["import", "paper-outputs", "--dataset", "ds", "--out", "o.jsonl"]
    missing = CliRunner().invoke(main, [*base, "owner/outputs"])
    assert_one_error_line(missing, "owner/outputs: no such file", "hf://owner/outputs")
    assert hub == []
    assert not (workdir / "o.jsonl").exists()
    fetched = CliRunner().invoke(main, [*base, "hf://owner/outputs", "--hub-config", "gpt-4.1"])
    assert fetched.exit_code == 0, fetched.output
    assert hub == [("load_dataset", ("owner/outputs", "gpt-4.1", "train"))]
    line = json.loads((workdir / "o.jsonl").read_text(encoding="utf-8"))
    assert (line["custom_id"], line["model"]) == ("Q1_sex_Male", "gpt-4.1")


@pytest.mark.parametrize("option", [["--hub-config", "x"], ["--hub-split", "test"]])
def test_hub_options_on_a_local_source_are_refused(
    option: list[str], workdir: Path, hub: list[tuple[str, Any]]
) -> None:
    args = ["import", "paper-outputs", "src.jsonl", "--dataset", "ds", "--out", "o.jsonl"]
    result = CliRunner().invoke(main, [*args, *option])
    assert_one_error_line(result, "src.jsonl: --hub-config and --hub-split", "not of a local file")
    assert hub == []
    assert not (workdir / "o.jsonl").exists()


def test_hub_id_rule() -> None:
    assert hub_id("hf://org/name") == "org/name"
    assert hub_id("org/name") is None
    assert hub_id("./hf:/org/name") is None
    for bad in ["hf://", "hf://org", "hf://org/name/extra", "hf://../x", "hf:///abs"]:
        with pytest.raises(InputError, match="not a Hub dataset id"):
            hub_id(bad)


def test_a_failed_hub_source_is_one_line(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, hub: list[tuple[str, Any]]
) -> None:
    """The Hub clients log their retries and raise multi-line errors: with hf:// the network is
    asked for, and a failure is still one line."""
    import logging

    def offline(path: str, name: str | None, split: str) -> None:
        logger = logging.getLogger("huggingface_hub")
        handler = logging.StreamHandler(sys.stderr)  # the command's stderr, as the client's
        logger.addHandler(handler)
        try:
            logger.warning("Retrying in 8s [Retry 5/5].")
        finally:
            logger.removeHandler(handler)
        raise ConnectionError("Couldn't reach 'owner/outputs'\nCheck your connection.")

    monkeypatch.setattr(sys.modules["datasets"], "load_dataset", offline)
    for library in ("datasets", "huggingface_hub"):  # the import quiets them: restore after
        monkeypatch.setattr(logging.getLogger(library), "level", logging.getLogger(library).level)
    args = ["import", "paper-outputs", "hf://owner/outputs", "--dataset", "ds", "--out", "o.jsonl"]
    result = CliRunner().invoke(main, args)
    assert_one_error_line(result, "hf://owner/outputs: cannot load from the Hub", "Check your")
    assert not (workdir / "o.jsonl").exists()
