"""Opening a dataset: the typed manifest, its schema, and the tamper check on every command.

A dataset's integrity must not depend on the file it protects: a manifest without complete
hashes is refused, and every other field is bound to the data (each data file carries a copy of
the manifest without its hashes and sizes), so editing one in ``manifest.json`` is caught by
every command that reads the dataset and by ``validate``; the schema is closed, so an unknown
key is refused too (every field of a real build: tests/test_manifest_binding.py).
"""

from __future__ import annotations

import json
import os
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
from sgbench.scoring.bootstrap import MIN_REPLICATES


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
    "sizes missing": (lambda m: m.pop("sizes"), "rebuild the dataset"),
    "one size missing": (
        lambda m: m["sizes"].pop(next(k for k in m["sizes"] if "test_ood" in k)),
        "rebuild the dataset",
    ),
    # A size that disagrees with its file (and so with its hash) is an edit, found unread.
    "a size edited": (
        lambda m: m["sizes"].update({k: v + 1 for k, v in m["sizes"].items()}),
        "manifest.json records",
    ),
    "a size not a whole number": (
        lambda m: m["sizes"].update({k: "1" for k in m["sizes"]}),
        "$.sizes",
    ),
    "version edited": (
        lambda m: m.update(version="1.0.0+edited"),
        "version: differs from the copy",
    ),
    "a release this sgbench does not know": (
        lambda m: m.update(version="9.9.9"),
        "not one this sgbench knows (1.0.0); a dataset of a newer release needs a newer sgbench",
    ),
    # A hand-made dataset's copy differs; a build's version says synthetic (test_manifest_records).
    "synthetic edited": (lambda m: m.update(synthetic=False), "synthetic"),
    "name edited": (lambda m: m.update(name="other"), "name: differs from the copy"),
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


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda m: m.update(notes="added later"), "$: Additional properties are not allowed"),
        (lambda m: m.update(train_overlap={"anything": 1}), "$.train_overlap.anything: 1"),
    ],
)
def test_a_key_the_schema_does_not_describe_is_refused(
    dataset: Path, change: Callable[[dict[str, Any]], None], words: str
) -> None:
    """The schema is closed: a manifest key nobody checks could be edited unnoticed."""
    edit_manifest(dataset, change)
    with pytest.raises(InputError) as caught:
        open_dataset(dataset)
    assert words in str(caught.value)
    assert "\n" not in str(caught.value)


def test_each_file_is_hashed_once_per_opened_dataset(
    dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sgbench.files

    calls: list[Path] = []
    real = sgbench.files.sha256_file

    def counting(path: Path) -> str:
        calls.append(Path(path))
        return real(path)

    monkeypatch.setattr(sgbench.files, "sha256_file", counting)
    # Opening checks the smallest file (its copy of the manifest); not again when it is read.
    opened = open_dataset(dataset)
    assert len(calls) == 1
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
    direct = score(data, read_predictions(predictions, data), n_boot=MIN_REPLICATES, seed=3)
    assert (
        direct.to_json()
        == score_predictions(predictions, dataset, n_boot=MIN_REPLICATES, seed=3).to_json()
    )


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


# --- the opened dataset is an object of the public API: checked, frozen, not shared ---------


def test_an_opened_dataset_cannot_be_pointed_elsewhere(dataset: Path, tmp_path: Path) -> None:
    """`built.root = other` after a checked read read the other folder's file of that name
    without its check: edited answers were returned as the dataset's."""
    import dataclasses

    opened = open_dataset(dataset)
    opened.split("default", "test_ood")
    with pytest.raises(dataclasses.FrozenInstanceError):
        opened.root = tmp_path  # type: ignore[misc]
    with pytest.raises(TypeError):
        opened.manifest.files["data/default/test_ood-00000-of-00001.parquet"] = "0" * 64  # type: ignore[index]
    with pytest.raises(TypeError):
        opened.manifest.configs["x"] = ()  # type: ignore[index]


def test_a_parsed_manifest_is_its_own_copy(dataset: Path) -> None:
    raw = load_manifest(dataset)
    manifest = Manifest.parse(raw, dataset / MANIFEST_FILE)
    version = raw["version"]
    raw["version"] = "9.9.9"
    raw["configs"]["x"] = {"train": {"samples": 1}}
    assert manifest.get("version") == version
    assert "x" not in manifest.raw["configs"]
    with pytest.raises(TypeError):
        manifest.raw["configs"]["default"] = {}  # type: ignore[index]
    assert manifest.get("strata") == load_manifest(dataset)["strata"]  # lists stay lists


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda d: d.split(["default"], "test_ood"), r"BuiltDataset.split\(\): argument 'config'"),
        (lambda d: d.check_config(["default"]), r"BuiltDataset.check_config\(\): argument"),
        (lambda d: d.table("default", "test_ood", "id"), r"'columns' must be Sequence or None"),
        (lambda d: d.table("default", "test_ood", ["id", "id"]), "column 'id' is listed twice"),
        (lambda d: d.table("default", "test_ood", [None]), "element 0 must be a column name"),
        (lambda d: d.path("nope", "../../etc"), "unknown config 'nope'"),
        (lambda d: d.path("default", "test"), "config 'default' has no split 'test'"),
        (lambda d: d.ids(None), r"BuiltDataset.ids\(\): argument 'config' must be str"),
    ],
)
def test_a_datasets_methods_check_their_arguments(
    dataset: Path, call: Callable[[Any], Any], expected: str
) -> None:
    with pytest.raises(InputError, match=expected):
        call(open_dataset(dataset))


def test_a_dataset_is_constructed_from_a_path_and_a_manifest(dataset: Path) -> None:
    from sgbench.dataset import BuiltDataset

    manifest = open_dataset(dataset).manifest
    # A text is a path as a Path is (sgbench.boundary.plain_numbers), the one rule for paths.
    assert BuiltDataset(str(dataset), manifest).root == dataset  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"BuiltDataset\(\): argument 'root' is an empty path"):
        BuiltDataset("", manifest)  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"BuiltDataset\(\): argument 'root' must be "):
        BuiltDataset(3, manifest)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="argument 'manifest' must be Manifest, got dict"):
        BuiltDataset(dataset, load_manifest(dataset))  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"Manifest.parse\(\): argument 'raw' must be Mapping"):
        Manifest.parse(None, "here")  # type: ignore[arg-type]
    assert (
        BuiltDataset(dataset, manifest)
        .split("default", "test_ood")
        .equals(open_dataset(dataset).split("default", "test_ood"))
    )


def test_a_config_given_as_a_text_enum_reads_that_config(dataset: Path) -> None:
    """A `(str, Enum)` member formats as `Config.DEFAULT`: it was looked for under
    data/Config.DEFAULT/ and refused as a manifest without that file's hash."""
    import enum

    from sgbench.dataset import load_split

    class Config(str, enum.Enum):  # noqa: UP042 - the mixin is the case
        DEFAULT = "default"

    class Split(str, enum.Enum):  # noqa: UP042 - the mixin is the case
        TEST_OOD = "test_ood"

    frame = load_split(dataset, Config.DEFAULT, Split.TEST_OOD)
    assert frame.equals(load_split(dataset, "default", "test_ood"))
    assert frame["id"].tolist() == [row["id"] for row in hand_rows()]


def test_a_manifest_made_directly_agrees_with_its_raw(dataset: Path) -> None:
    """The data files are checked against raw's name, version and synthetic: a Manifest made
    with a raw lacking them was a KeyError at the first read, and one whose name was another
    dataset's passed every check."""
    from sgbench.dataset import BuiltDataset

    m = open_dataset(dataset).manifest
    fields = (m.name, m.version, m.synthetic, m.attributes, m.configs, m.files)
    same = Manifest(*fields, dict(m.raw))
    assert (
        BuiltDataset(dataset, same)
        .split("default", "test_ood")
        .equals(open_dataset(dataset).split("default", "test_ood"))
    )
    for changed in (
        (*fields, {}),
        ("other", *fields[1:], dict(m.raw)),
        (*fields[:5], {}, dict(m.raw)),
    ):
        with pytest.raises(InputError, match=r"Manifest\(\): its fields disagree with raw"):
            Manifest(*changed)


# --- sizes: a file swapped for a larger one is refused unread -------------------------------

SPARSE_BYTES = 8 << 30
"""An 8 GiB sparse file (no disk used): hashed in full, it took 37 s to refuse."""


def swap_for_sparse(root: Path, relative: str) -> Path:
    path = root / relative
    os.truncate(path, SPARSE_BYTES)
    return path


def never_hash(monkeypatch: pytest.MonkeyPatch, swapped: Path) -> None:
    """Make hashing ``swapped`` fail the test (other files are hashed as usual)."""
    import sgbench.files

    real = sgbench.files.sha256_file

    def guarded(path: Path) -> str:
        assert Path(path) != swapped, f"{path} was hashed"
        return real(path)

    monkeypatch.setattr(sgbench.files, "sha256_file", guarded)


def assert_size_refusal(text: str, swapped: Path, recorded: int) -> None:
    assert f"{swapped}: {SPARSE_BYTES} bytes, manifest.json records {recorded}" in text, text


@pytest.mark.parametrize("split", ["test_ood", "train"])
def test_a_sparse_data_file_is_refused_unread_by_every_command(
    dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, split: str
) -> None:
    relative = f"data/default/{split}-00000-of-00001.parquet"
    recorded = load_manifest(dataset)["sizes"][relative]
    assert recorded == (dataset / relative).stat().st_size
    swapped = swap_for_sparse(dataset, relative)
    never_hash(monkeypatch, swapped)
    for name, args in commands(dataset, tmp_path).items():
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, (name, result.output)
        assert_one_error_line(result)
        assert_size_refusal(result.output, swapped, recorded)


def test_the_leaderboard_refuses_a_sparse_data_file_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from leaderboard_fixtures import write_board_dataset, write_valid_submissions

    root = write_board_dataset(tmp_path / "ds")
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    write_valid_submissions(submissions)
    relative = "data/default/test_ood-00000-of-00001.parquet"
    recorded = (root / relative).stat().st_size
    swapped = swap_for_sparse(root, relative)
    never_hash(monkeypatch, swapped)
    args = ["leaderboard", str(submissions), "--dataset", str(root)]
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "board")])
    assert result.exit_code == 2, result.output
    assert_one_error_line(result)
    assert_size_refusal(result.output, swapped, recorded)
    assert not (tmp_path / "board").exists()


def test_validate_refuses_a_sparse_data_file_unread(
    built_default: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = Path(shutil.copytree(built_default, tmp_path / "ds"))
    relative = "data/default/test_ood-00000-of-00001.parquet"
    recorded = (root / relative).stat().st_size
    swapped = swap_for_sparse(root, relative)
    never_hash(monkeypatch, swapped)
    result = CliRunner().invoke(main, ["validate", str(root)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert_size_refusal(result.output, swapped, recorded)


def test_an_opened_dataset_refuses_a_sparse_data_file_unread(
    dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    relative = "data/default/test_ood-00000-of-00001.parquet"
    recorded = (dataset / relative).stat().st_size
    opened = open_dataset(dataset)
    swapped = swap_for_sparse(dataset, relative)
    never_hash(monkeypatch, swapped)
    for read in (
        lambda: opened.split("default", "test_ood"),
        lambda: opened.files("default"),
        lambda: opened.file_hash("default", "test_ood"),
    ):
        with pytest.raises(InputError) as caught:
            read()
        assert "\n" not in str(caught.value)
        assert_size_refusal(str(caught.value), swapped, recorded)


def test_a_file_of_the_recorded_size_is_still_hashed(dataset: Path) -> None:
    """The size is a first look, not the check: a changed byte keeps the size and is found by
    its sha256."""
    path = dataset / "data/default/test_ood-00000-of-00001.parquet"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"sha256 [0-9a-f]{64} differs from manifest\.json"):
        open_dataset(dataset).split("default", "test_ood")


def test_a_manifest_without_sizes_is_told_to_rebuild(dataset: Path) -> None:
    """Falling back to hashing would let anyone who deletes `sizes` bring the full read back."""
    edit_manifest(dataset, lambda m: m.pop("sizes"))
    # Opening checks the smallest file; with no sizes, the first split's.
    relative = "data/default/train-00000-of-00001.parquet"
    with pytest.raises(InputError) as caught:
        open_dataset(dataset).split("default", "test_ood")
    assert str(caught.value) == (
        f"{dataset / MANIFEST_FILE}: sizes: no size for {relative}: written by an sgbench that "
        "recorded no sizes, so the file cannot be checked without reading all of it (rebuild "
        "the dataset)"
    )


# --- the card is the build's output too ------------------------------------------------------


def validate_problems(root: Path) -> list[str]:
    result = CliRunner().invoke(main, ["validate", str(root)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return [line for line in result.output.splitlines() if line.startswith(f"{root}/")]


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        # Prose added below the Changelog: every check of the card's content still passes.
        (lambda text: text + "\nEdited by hand.\n", "bytes, manifest.json records"),
        # Same length: only its sha256 tells.
        (lambda text: text.replace("respondents", "Respondents", 1), "sha256"),
    ],
)
def test_an_edited_card_fails_validate(
    built_default: Path, tmp_path: Path, edit: Callable[[str], str], words: str
) -> None:
    root = Path(shutil.copytree(built_default, tmp_path / "ds"))
    card = root / "README.md"
    text = card.read_text(encoding="utf-8")
    card.write_text(edit(text), encoding="utf-8")
    assert card.read_text(encoding="utf-8") != text
    problems = validate_problems(root)
    assert problems == [line for line in problems if line.startswith(f"{card}: ")], problems
    assert len(problems) == 1, problems
    assert words in problems[0]
    assert "changed after it was built" in problems[0]


@pytest.mark.parametrize("key", ["card", "sizes"])
def test_validate_tells_an_older_manifest_to_rebuild(
    built_default: Path, tmp_path: Path, key: str
) -> None:
    root = Path(shutil.copytree(built_default, tmp_path / "ds"))
    edit_manifest(root, lambda m: m.pop(key))
    problems = validate_problems(root)
    assert problems == [
        f"{root / MANIFEST_FILE}: $: '{key}' is a required property (a build's manifest, version "
        "1.0.0+synthetic, holds every record the builder writes; rebuild the dataset if an older "
        "sgbench wrote it)"
    ]
