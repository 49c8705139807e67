"""Publishing: the dataset checks, `sgbench push` through a recording fake Hub API, `validate`.

No test reaches the network: every push goes to :class:`FakeHubApi`, except one that uses the real
``HfApi`` with offline mode forced on and an unreachable endpoint, to see the error it gives.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner, Result
from huggingface_hub.errors import (
    HfHubHTTPError,
    LocalTokenNotFoundError,
    RepositoryNotFoundError,
)
from huggingface_hub.hf_api import CommitInfo, GitRefInfo, GitRefs
from huggingface_hub.utils import filter_repo_objects  # type: ignore[attr-defined]
from manifest_tools import rewrite

from sgbench import DATASET_VERSION
from sgbench.builder import build_dataset
from sgbench.builder.card import WVS_CITATION, render_card
from sgbench.cli import main
from sgbench.dataset import split_file
from sgbench.errors import InputError
from sgbench.leaderboard import validate_submission
from sgbench.publish import (
    CHANGELOG,
    VERSION_POLICY,
    DatasetCheck,
    check_dataset,
    push_dataset,
)
from sgbench.publish import push as push_module
from sgbench.publish.checks import InvalidDatasetError, split_card

OID = "0123456789abcdef0123456789abcdef01234567"
REPO = "sgbench-test/wvs-sg-subgroups"
STALE = "data/default/train-00000-of-00002.parquet"
WRITE_METHODS = {"create_repo", "upload_folder", "create_tag"}


def _http_error(cls: type[HfHubHTTPError], status: int, message: str) -> HfHubHTTPError:
    """A Hub HTTP error as huggingface_hub raises it (the response is built, never sent)."""
    import httpx2

    request = httpx2.Request("POST", "https://hub.invalid/api/repos/create")
    return cls(message, response=httpx2.Response(status, request=request))


@dataclass
class FakeHubApi:
    """Records every call; behaves like a Hub repository with ``tags`` and ``files``."""

    tags: dict[str, str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    exists: bool = True
    fail: dict[str, BaseException] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    sent: dict[str, bytes] = field(default_factory=dict)
    during_upload: Callable[[], None] | None = None
    """Run as the upload starts: another process editing the folder meanwhile."""

    def _record(self, name: str, **kwargs: Any) -> None:
        self.calls.append((name, kwargs))
        if name in self.fail:
            raise self.fail[name]

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    def call(self, name: str) -> dict[str, Any]:
        (kwargs,) = [kwargs for called, kwargs in self.calls if called == name]
        return kwargs

    def create_repo(
        self, repo_id: str, *, repo_type: str | None, private: bool | None, exist_ok: bool
    ) -> str:
        self._record(
            "create_repo", repo_id=repo_id, repo_type=repo_type, private=private, exist_ok=exist_ok
        )
        self.exists = True
        return f"https://hub.invalid/datasets/{repo_id}"

    def list_repo_refs(self, repo_id: str, *, repo_type: str | None) -> GitRefs:
        self._record("list_repo_refs", repo_id=repo_id, repo_type=repo_type)
        if not self.exists:
            raise _http_error(RepositoryNotFoundError, 404, "Repository Not Found")
        tags = [
            GitRefInfo(name=n, ref=f"refs/tags/{n}", target_commit=c) for n, c in self.tags.items()
        ]
        return GitRefs(branches=[], converts=[], tags=tags)

    def list_repo_files(self, repo_id: str, *, repo_type: str | None) -> list[str]:
        self._record("list_repo_files", repo_id=repo_id, repo_type=repo_type)
        return list(self.files)

    def upload_folder(self, **kwargs: Any) -> CommitInfo:
        self._record("upload_folder", **kwargs)
        if self.during_upload is not None:
            self.during_upload()
        # What the Hub receives: the allowed files of the folder, read now (it may be a copy).
        folder = Path(kwargs["folder_path"])
        local = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
        for name in filter_repo_objects(local, allow_patterns=kwargs["allow_patterns"]):
            self.sent[name] = (folder / name).read_bytes()
        return CommitInfo(
            commit_url=f"https://huggingface.co/datasets/{kwargs['repo_id']}/commit/{OID}",
            commit_message=kwargs["commit_message"],
            commit_description="",
            oid=OID,
        )

    def create_tag(self, repo_id: str, **kwargs: Any) -> None:
        self._record("create_tag", repo_id=repo_id, **kwargs)


# --- folders ---------------------------------------------------------------------------------


@pytest.fixture
def dataset(tmp_path: Path, built_default: Path) -> Path:
    """A writable copy of the SYNTHETIC build, to corrupt."""
    return Path(shutil.copytree(built_default, tmp_path / "ds"))


@pytest.fixture(scope="module")
def built_real(tmp_path_factory: pytest.TempPathFactory, unmarked_csv: Path) -> Path:
    """A build from a WVS-format file without the SYNTHETIC mark, with the default config: not
    SYNTHETIC, valid, but not publishable (groups recoverable by subtraction)."""
    out = tmp_path_factory.mktemp("real") / "wvs-sg-subgroups"
    build_dataset(wvs_path=unmarked_csv, out_dir=out)
    return out


@pytest.fixture
def real(tmp_path: Path, built_publishable: Path) -> Path:
    """A writable copy of a build that passes every check and every publication rule."""
    return Path(shutil.copytree(built_publishable, tmp_path / "real"))


def _edit_front_matter(folder: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    card = folder / "README.md"
    front, body = split_card(card.read_text(encoding="utf-8"))
    assert front is not None
    metadata = yaml.safe_load(front)
    edit(metadata)
    dumped = yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True)
    card.write_text(f"---\n{dumped}---\n{body}", encoding="utf-8")


def _edit_card_text(folder: Path, old: str, new: str) -> None:
    card = folder / "README.md"
    text = card.read_text(encoding="utf-8")
    assert old in text
    card.write_text(text.replace(old, new, 1), encoding="utf-8")


def _edit_manifest(folder: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    edit(manifest)
    path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def _flip_byte(folder: Path) -> None:
    path = folder / split_file("default", "validation")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _stale_shard(folder: Path) -> None:
    shutil.copy(folder / split_file("default", "train"), folder / STALE)


def _rewrite(folder: Path, relative: str, change: Callable[[Any], Any]) -> None:
    path = folder / relative
    rewrite(path, change(pq.read_table(path)))


def _wave_as_int64(table: Any) -> Any:
    import pyarrow as pa

    fields = [f.with_type(pa.int64()) if f.name == "wave" else f for f in table.schema]
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))


def _feature_dtype(metadata: dict[str, Any], name: str, dtype: str) -> None:
    for feature in metadata["dataset_info"][0]["features"]:
        if feature["name"] == name:
            feature["dtype"] = dtype


def _num_examples(metadata: dict[str, Any]) -> None:
    metadata["dataset_info"][0]["splits"][0]["num_examples"] += 1


def _drop_paper_config(metadata: dict[str, Any]) -> None:
    metadata["configs"] = [c for c in metadata["configs"] if c["config_name"] != "paper"]


def _break_yaml(folder: Path) -> None:
    card = folder / "README.md"
    _, body = split_card(card.read_text(encoding="utf-8"))
    card.write_text(f"---\npretty_name: [unclosed\nlicense: other\n---\n{body}", encoding="utf-8")


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _drop_files(manifest: dict[str, Any]) -> None:
    del manifest["files"]


def _short_version(manifest: dict[str, Any]) -> None:
    manifest["version"] = "1.0"


def _foreign_file(manifest: dict[str, Any]) -> None:
    manifest["files"]["data/extra.parquet"] = "0" * 64


def _glob_nothing(metadata: dict[str, Any]) -> None:
    metadata["configs"][0]["data_files"][0]["path"] = "data/default/nothing-*.parquet"


def _no_front_matter(folder: Path) -> None:
    card = folder / "README.md"
    _, body = split_card(card.read_text(encoding="utf-8"))
    card.write_text(body, encoding="utf-8")


def _more_samples(manifest: dict[str, Any]) -> None:
    manifest["configs"]["paper"]["test_ood"]["samples"] += 5


def _row_deleted(folder: Path) -> None:
    """A row deleted from a split, its sha256 and size rewritten in the manifest (#15)."""
    relative = split_file("paper", "test_ood")
    _rewrite(folder, relative, lambda table: table.slice(0, len(table) - 1))
    data = (folder / relative).read_bytes()

    def rehash(manifest: dict[str, Any]) -> None:
        manifest["files"][relative] = hashlib.sha256(data).hexdigest()
        manifest["sizes"][relative] = len(data)

    _edit_manifest(folder, rehash)


CORRUPTIONS: dict[str, tuple[Callable[[Path], None], str, str]] = {
    # name: (corrupt the folder, file the problem names, words of the problem)
    "changed byte": (_flip_byte, split_file("default", "validation"), "sha256"),
    "missing data file": (
        lambda d: (d / split_file("paper", "train")).unlink(),
        split_file("paper", "train"),
        "missing (listed in manifest.json)",
    ),
    "stale shard": (_stale_shard, STALE, "not listed in manifest.json"),
    "card num_examples": (
        lambda d: _edit_front_matter(d, _num_examples),
        "README.md",
        "dataset_info.default.train: num_examples",
    ),
    "card without a config": (
        lambda d: _edit_front_matter(d, _drop_paper_config),
        "README.md",
        "configs: no config 'paper'",
    ),
    "card features": (
        lambda d: _edit_front_matter(d, lambda m: _feature_dtype(m, "wave", "int64")),
        "README.md",
        "dataset_info.default.features differ",
    ),
    "broken YAML": (_break_yaml, "README.md", "YAML front matter does not parse"),
    "card version": (
        lambda d: _edit_card_text(
            d, "# wvs-sg-subgroups 1.0.0+synthetic", "# wvs-sg-subgroups 0.9.0"
        ),
        "README.md",
        "does not name the manifest's version",
    ),
    "changelog entry": (
        lambda d: _edit_card_text(d, f"\n- {DATASET_VERSION}: ", "\n- note: "),
        "README.md",
        f"Changelog has no entry for version {DATASET_VERSION}",
    ),
    "split with other features": (
        lambda d: _rewrite(d, split_file("paper", "test_ood"), _wave_as_int64),
        split_file("paper", "test_ood"),
        "field 'wave' is int64, expected int32",
    ),
    "split without feature metadata": (
        lambda d: _rewrite(d, split_file("paper", "train"), lambda t: t.replace_schema_metadata()),
        split_file("paper", "train"),
        f"features differ from {split_file('default', 'test_id')}: schema metadata differ",
    ),
    "row count": (_row_deleted, split_file("paper", "test_ood"), "rows, manifest.json counts"),
    # The count is carried by every data file too: an edited one is an edited manifest.
    "manifest count": (
        lambda d: _edit_manifest(d, _more_samples),
        "manifest.json",
        "configs.paper.test_ood.samples: differs from the copy",
    ),
    "card glob matching nothing": (
        lambda d: _edit_front_matter(d, _glob_nothing),
        "README.md",
        "configs.default.train: data_files path 'data/default/nothing-*.parquet', expected "
        "'data/default/train-*.parquet'",
    ),
    "card without front matter": (_no_front_matter, "README.md", "no YAML front matter"),
    "manifest without files": (
        lambda d: _edit_manifest(d, _drop_files),
        "manifest.json",
        "$: 'files' is a required property",
    ),
    "manifest version": (
        lambda d: _edit_manifest(d, _short_version),
        "manifest.json",
        "$.version: '1.0' does not match",
    ),
    "manifest lists a file of no split": (
        lambda d: _edit_manifest(d, _foreign_file),
        "manifest.json",
        "lists data/extra.parquet, which is no config's split",
    ),
    "missing card": (lambda d: (d / "README.md").unlink(), "README.md", "missing"),
    "missing manifest": (lambda d: (d / "manifest.json").unlink(), "manifest.json", "missing"),
    "manifest not JSON": (
        lambda d: _write(d / "manifest.json", "{not json"),
        "manifest.json",
        "not valid JSON",
    ),
}


# --- checks ----------------------------------------------------------------------------------


def test_a_fresh_build_passes_every_check(built_default: Path) -> None:
    check = check_dataset(built_default)
    assert check.problems == ()
    assert check.ok
    assert check.synthetic is True
    assert check.version == f"{DATASET_VERSION}+synthetic"
    assert check.tag == f"v{DATASET_VERSION}+synthetic"
    manifest = json.loads((built_default / "manifest.json").read_text(encoding="utf-8"))
    assert set(check.files) == {"README.md", "manifest.json", *manifest["files"]}
    assert len(check.files) == 8
    assert "SYNTHETIC" in check.render()


def test_a_build_from_a_file_is_not_synthetic(built_real: Path) -> None:
    check = check_dataset(built_real)
    assert check.ok, check.render()
    assert check.synthetic is False
    assert check.tag == f"v{DATASET_VERSION}"


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_corruption_is_reported_naming_the_file(dataset: Path, name: str) -> None:
    corrupt, relative, words = CORRUPTIONS[name]
    corrupt(dataset)
    check = check_dataset(dataset)
    assert not check.ok
    named = [str(p) for p in check.problems if p.file == str(dataset / relative)]
    assert any(words in problem for problem in named), check.render()
    assert all("\n" not in str(problem) for problem in check.problems)


def test_only_the_corrupted_file_is_reported(dataset: Path) -> None:
    _flip_byte(dataset)
    check = check_dataset(dataset)
    assert {p.file for p in check.problems} == {str(dataset / split_file("default", "validation"))}


def test_every_problem_is_reported_at_once(dataset: Path) -> None:
    _flip_byte(dataset)
    (dataset / split_file("paper", "train")).unlink()
    _edit_front_matter(dataset, _num_examples)
    files = {p.file for p in check_dataset(dataset).problems}
    assert {
        str(dataset / split_file("default", "validation")),
        str(dataset / split_file("paper", "train")),
        str(dataset / "README.md"),
    } <= files


def test_not_a_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such dataset folder"):
        check_dataset(tmp_path / "nowhere")


# --- version policy, changelog, card -----------------------------------------------------------


def test_manifest_records_the_version_policy(built_default: Path) -> None:
    manifest = json.loads((built_default / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["version_policy"] == VERSION_POLICY
    assert set(VERSION_POLICY) == {"scheme", "major", "minor", "patch"}


def test_the_current_version_has_a_changelog_entry() -> None:
    assert DATASET_VERSION in CHANGELOG
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", version) for version in CHANGELOG)


def test_card_explains_versions_citation_and_terms(built_real: Path) -> None:
    text = (built_real / "README.md").read_text(encoding="utf-8")
    assert f'revision="v{DATASET_VERSION}"' in text
    assert f"- {DATASET_VERSION}: {CHANGELOG[DATASET_VERSION]}" in text
    assert VERSION_POLICY["major"] in text
    assert "arXiv:2604.12851" in text  # the paper
    assert "doi:10.14281/18241.20" in WVS_CITATION
    assert WVS_CITATION in text
    assert f"Hub tag `v{DATASET_VERSION}`" in text  # this dataset
    assert "non-commercial" in text
    assert "only aggregates" in text
    assert "at least 30 respondents" in text


def test_changelog_lists_only_released_versions_newest_first(built_real: Path) -> None:
    manifest = json.loads((built_real / "manifest.json").read_text(encoding="utf-8"))
    entries = {"0.9.0": "older", DATASET_VERSION: "current", "99.0.0": "future"}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sgbench.builder.card.CHANGELOG", entries)
        text = render_card(manifest)
    section = text.split("## Changelog\n", 1)[1]
    assert section.index(f"- {DATASET_VERSION}: current") < section.index("- 0.9.0: older")
    assert "future" not in section


# --- push --------------------------------------------------------------------------------------


def test_push_sends_the_files_it_checked_whatever_happens_to_the_folder(real: Path) -> None:
    """The upload read the folder after the check: a rebuild or edit meanwhile published files
    that did not match the manifest, tagged as the checked version."""
    train = real / split_file("default", "train")
    checked = {
        p.relative_to(real).as_posix(): p.read_bytes() for p in real.rglob("*") if p.is_file()
    }
    api = FakeHubApi(during_upload=lambda: train.write_bytes(b"rebuilt meanwhile"))
    push_dataset(real, REPO, api=api)
    assert split_file("default", "train") in api.sent
    assert all(api.sent[name] == checked[name] for name in api.sent)


def test_push_refuses_a_folder_changed_before_it_was_copied(
    real: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = shutil.copyfile

    def changed(source: Path, target: Path) -> Path:
        done = Path(copy(source, target))
        if done.name.startswith("train-"):
            done.write_bytes(done.read_bytes() + b"edited")
        return done

    monkeypatch.setattr("sgbench.publish.push.shutil.copyfile", changed)
    api = FakeHubApi()
    with pytest.raises(InputError, match="changed while it was being pushed"):
        push_dataset(real, REPO, api=api)
    assert "upload_folder" not in api.names()


def test_push_uploads_one_commit_and_tags_it(real: Path) -> None:
    api = FakeHubApi(files=[".gitattributes", "README.md", split_file("default", "train"), STALE])
    result = push_dataset(real, REPO, api=api)
    assert api.names() == [
        "create_repo",
        "list_repo_refs",
        "list_repo_files",
        "upload_folder",
        "create_tag",
    ]
    assert api.call("create_repo") == {
        "repo_id": REPO,
        "repo_type": "dataset",
        "private": False,
        "exist_ok": True,
    }
    upload = api.call("upload_folder")
    assert upload["repo_id"] == REPO
    assert upload["repo_type"] == "dataset"
    assert upload["delete_patterns"] == ["data/*"]
    assert DATASET_VERSION in upload["commit_message"]
    # the allow patterns pick exactly the checked files, as the Hub applies them, with their bytes
    local = sorted(p.relative_to(real).as_posix() for p in real.rglob("*") if p.is_file())
    uploaded = set(filter_repo_objects(local, allow_patterns=upload["allow_patterns"]))
    manifest = json.loads((real / "manifest.json").read_text(encoding="utf-8"))
    assert uploaded == {"README.md", "manifest.json", *manifest["files"]}
    assert api.sent == {name: (real / name).read_bytes() for name in uploaded}
    tag = api.call("create_tag")
    assert tag["tag"] == f"v{DATASET_VERSION}"
    assert tag["revision"] == OID
    assert tag["repo_type"] == "dataset"
    assert result.commit_oid == OID
    assert result.deleted == (STALE,)
    assert result.tag == f"v{DATASET_VERSION}"


def test_reported_deletions_are_what_the_delete_patterns_remove(real: Path) -> None:
    remote = [".gitattributes", "README.md", "notes.txt", STALE, split_file("paper", "train")]
    api = FakeHubApi(files=remote)
    result = push_dataset(real, REPO, api=api)
    upload = api.call("upload_folder")
    removed = set(filter_repo_objects(remote, allow_patterns=upload["delete_patterns"]))
    assert set(result.deleted) == removed - set(result.uploaded) == {STALE}


def test_push_private_and_without_tag(real: Path) -> None:
    api = FakeHubApi()
    result = push_dataset(real, REPO, api=api, private=True, tag=False)
    assert api.call("create_repo")["private"] is True
    assert "create_tag" not in api.names()
    assert result.tag is None


@pytest.mark.parametrize(
    ("method", "reply", "step", "dry_run"),
    [
        ("list_repo_refs", None, "listing tags", False),
        ("list_repo_refs", None, "listing tags", True),
        (
            "list_repo_refs",
            GitRefs(branches=[], converts=[], tags=[object()]),
            "listing tags",
            True,
        ),
        ("list_repo_files", None, "listing files", False),
        ("list_repo_files", None, "listing files", True),
        ("upload_folder", None, "uploading", False),
        ("upload_folder", SimpleNamespace(oid=None), "uploading", False),
    ],
)
def test_a_hub_reply_that_cannot_be_read_is_one_input_error(
    real: Path, method: str, reply: Any, step: str, dry_run: bool
) -> None:
    """An api object whose methods returned None stopped a push with an AttributeError."""
    api = FakeHubApi()
    setattr(api, method, lambda *args, **kwargs: reply)  # one method answers junk
    with pytest.raises(InputError, match=f"{REPO}: {step}: the Hub API's reply cannot be used"):
        push_dataset(real, REPO, api=api, dry_run=dry_run)
    assert "create_tag" not in api.names()


def test_push_refuses_to_move_an_existing_tag(real: Path) -> None:
    api = FakeHubApi(tags={f"v{DATASET_VERSION}": "f" * 40})
    with pytest.raises(InputError, match=f"tag v{DATASET_VERSION} already exists"):
        push_dataset(real, REPO, api=api)
    assert "upload_folder" not in api.names()
    assert "create_tag" not in api.names()


def test_no_tag_pushes_even_when_the_tag_exists(real: Path) -> None:
    api = FakeHubApi(tags={f"v{DATASET_VERSION}": "f" * 40})
    push_dataset(real, REPO, api=api, tag=False)
    assert "upload_folder" in api.names()
    assert "create_tag" not in api.names()


def test_push_refuses_a_synthetic_build_unless_allowed(dataset: Path) -> None:
    api = FakeHubApi()
    with pytest.raises(InputError, match="SYNTHETIC"):
        push_dataset(dataset, REPO, api=api)
    assert api.calls == []
    result = push_dataset(dataset, REPO, api=api, allow_synthetic=True)
    assert api.call("create_tag")["tag"] == f"v{DATASET_VERSION}+synthetic"
    assert result.version == f"{DATASET_VERSION}+synthetic"


def test_push_refuses_a_folder_that_fails_the_checks(real: Path) -> None:
    _flip_byte(real)
    api = FakeHubApi()
    with pytest.raises(InvalidDatasetError, match="sha256") as raised:
        push_dataset(real, REPO, api=api)
    assert "\n" not in str(raised.value)
    assert isinstance(raised.value.check, DatasetCheck)
    assert api.calls == []


def test_push_refuses_a_malformed_repo_id(real: Path) -> None:
    api = FakeHubApi()
    with pytest.raises(InputError, match="expected ORG/NAME"):
        push_dataset(real, "no-org", api=api)
    assert api.calls == []


def test_dry_run_reads_only_and_lists_the_plan(real: Path) -> None:
    api = FakeHubApi(files=["README.md", STALE])
    result = push_dataset(real, REPO, api=api, dry_run=True)
    assert api.names() == ["list_repo_refs", "list_repo_files"]
    assert not WRITE_METHODS & set(api.names())
    assert result.commit_oid is None
    text = result.render()
    assert "dry run: nothing was uploaded" in text
    for path in result.uploaded:
        assert f"  {path}" in text
    assert f"would delete 1 stale file(s) under data/\n  {STALE}" in text
    assert f"would tag v{DATASET_VERSION}" in text


def test_dry_run_of_a_new_repository(real: Path) -> None:
    api = FakeHubApi(exists=False)
    result = push_dataset(real, REPO, api=api, dry_run=True)
    assert api.names() == ["list_repo_refs"]
    assert result.repo_exists is False
    assert "would be created" in result.render()
    assert result.deleted == ()


def test_dry_run_still_refuses_an_existing_tag(real: Path) -> None:
    api = FakeHubApi(tags={f"v{DATASET_VERSION}": "f" * 40})
    with pytest.raises(InputError, match="already exists"):
        push_dataset(real, REPO, api=api, dry_run=True)
    assert not WRITE_METHODS & set(api.names())


# --- push through the CLI: output and one-line errors ------------------------------------------


def _push_cli(monkeypatch: pytest.MonkeyPatch, api: FakeHubApi, *args: str) -> Result:
    monkeypatch.setattr(push_module, "_default_api", lambda: api)
    return CliRunner().invoke(main, ["push", *args])


def _one_error_line(result: Result) -> str:
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # not a traceback
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


def test_cli_dry_run(monkeypatch: pytest.MonkeyPatch, real: Path) -> None:
    api = FakeHubApi(files=[STALE])
    result = _push_cli(monkeypatch, api, str(real), "--repo-id", REPO, "--dry-run")
    assert result.exit_code == 0, result.output
    assert api.names() == ["list_repo_refs", "list_repo_files"]
    assert "would upload 8 file(s)" in result.stdout
    assert f"  {STALE}" in result.stdout
    assert f"would tag v{DATASET_VERSION}" in result.stdout


def test_cli_push(monkeypatch: pytest.MonkeyPatch, real: Path) -> None:
    api = FakeHubApi()
    result = _push_cli(monkeypatch, api, str(real), "--repo-id", REPO, "--private", "--no-tag")
    assert result.exit_code == 0, result.output
    assert api.names() == ["create_repo", "list_repo_refs", "list_repo_files", "upload_folder"]
    assert api.call("create_repo")["private"] is True
    assert f"commit {OID}" in result.stdout
    assert "no tag" in result.stdout


@pytest.mark.parametrize(
    ("failing", "error", "words"),
    [
        (
            "create_repo",
            _http_error(HfHubHTTPError, 401, "401 Client Error\nInvalid credentials"),
            "creating the repository failed: authentication failed (HTTP 401); set HF_TOKEN",
        ),
        (
            "upload_folder",
            _http_error(HfHubHTTPError, 403, "403 Forbidden\nno write access"),
            "uploading failed: permission denied (HTTP 403)",
        ),
        (
            "create_repo",
            LocalTokenNotFoundError("Token is required (`token=True`), but no token found."),
            "no Hugging Face token found",
        ),
        (
            "list_repo_refs",
            _http_error(RepositoryNotFoundError, 404, "Repository Not Found\nfor url"),
            "listing tags failed: repository not found or no access",
        ),
        ("list_repo_files", ConnectionError("connection reset by peer"), "listing files failed"),
        ("create_tag", _http_error(HfHubHTTPError, 409, "409 Conflict\nexists"), "HTTP 409"),
    ],
)
def test_cli_hub_failure_is_one_line(
    monkeypatch: pytest.MonkeyPatch, real: Path, failing: str, error: Exception, words: str
) -> None:
    api = FakeHubApi(fail={failing: error})
    line = _one_error_line(_push_cli(monkeypatch, api, str(real), "--repo-id", REPO))
    assert line.startswith(f"Error: {REPO}: ")
    assert words in line


def test_cli_network_error_of_the_http_library_is_one_line(
    monkeypatch: pytest.MonkeyPatch, real: Path
) -> None:
    import httpx2

    api = FakeHubApi(fail={"upload_folder": httpx2.ConnectError("Name or service not known")})
    line = _one_error_line(_push_cli(monkeypatch, api, str(real), "--repo-id", REPO))
    assert "uploading failed: ConnectError: Name or service not known" in line


def test_cli_existing_tag_is_one_line(monkeypatch: pytest.MonkeyPatch, real: Path) -> None:
    api = FakeHubApi(tags={f"v{DATASET_VERSION}": "f" * 40})
    line = _one_error_line(_push_cli(monkeypatch, api, str(real), "--repo-id", REPO))
    assert "already exists" in line
    assert "upload_folder" not in api.names()


def test_cli_synthetic_refusal_is_one_line(monkeypatch: pytest.MonkeyPatch, dataset: Path) -> None:
    api = FakeHubApi()
    line = _one_error_line(_push_cli(monkeypatch, api, str(dataset), "--repo-id", REPO))
    assert "--allow-synthetic" in line
    assert api.calls == []


def test_cli_real_hub_client_offline_is_one_line(
    monkeypatch: pytest.MonkeyPatch, real: Path
) -> None:
    """The default ``HfApi`` with offline mode on and an unreachable endpoint: one line."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")
    result = CliRunner().invoke(main, ["push", str(real), "--repo-id", REPO, "--dry-run"])
    assert "HF_HUB_OFFLINE is set" in _one_error_line(result)


# --- validate ----------------------------------------------------------------------------------


def test_validate_a_valid_dataset(built_default: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(built_default)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"dataset folder {built_default}")
    assert "valid (8 files checked)" in result.stdout
    assert "SYNTHETIC" in result.stdout


def test_validate_a_corrupted_dataset(dataset: Path) -> None:
    _flip_byte(dataset)
    _stale_shard(dataset)
    result = CliRunner().invoke(main, ["validate", str(dataset)])
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    lines = result.stderr.splitlines()
    assert lines[0] == f"dataset folder {dataset} (wvs-sg-subgroups 1.0.0+synthetic): 2 problem(s)"
    problems = [str(p) for p in check_dataset(dataset).problems]
    assert len(problems) == 2
    assert all(problem in lines for problem in problems)
    assert lines[-1] == f"Error: {dataset}: not a valid dataset folder"


def test_a_card_glob_through_a_symlink_reads_nothing_outside(dataset: Path, tmp_path: Path) -> None:
    """The card's data_files through a link out of the folder (``usrlink/**/*``) walked all of
    /usr and listed 9.6 M characters of its file names: the card's paths are compared with the
    build's as text, so nothing outside is read and the card has one problem line."""
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "deep" / "secret-name.txt").write_text("x", encoding="utf-8")
    (dataset / "link").symlink_to(outside, target_is_directory=True)
    card = dataset / "README.md"
    text = card.read_text(encoding="utf-8")
    card.write_text(
        text.replace("path: data/default/train-*.parquet", "path: link/**/*", 1), encoding="utf-8"
    )
    problems = [str(p) for p in check_dataset(dataset).problems]
    assert not any("secret-name" in problem for problem in problems), problems
    said = [p for p in problems if "data_files" in p]
    assert said == [
        f"{card}: configs.default.train: data_files path 'link/**/*', expected "
        "'data/default/train-*.parquet' (what sgbench build writes)"
    ]
    assert f"{dataset / 'link'}: a symlink" in "\n".join(problems)


def test_validate_folder_refuses_a_dataset_it_would_ignore(built_default: Path) -> None:
    from sgbench.validate import validate_folder

    assert validate_folder(built_default).ok
    with pytest.raises(InputError, match="dataset has no effect on a dataset folder"):
        validate_folder(built_default, built_default)


FOREIGN: dict[str, Callable[[Path], None]] = {
    # name as validate and build show it: put it in a dataset folder
    "notes.txt": lambda d: (d / "notes.txt").write_text("mine\n", encoding="utf-8"),
    "mine/a.txt": lambda d: (d / "mine").mkdir() or (d / "mine" / "a.txt").write_bytes(b"x"),
    "empty/": lambda d: (d / "empty").mkdir(),
    "link": lambda d: (d / "link").symlink_to("README.md"),
    # at a listed name: the card's bytes, through a link (never followed)
    "README.md": lambda d: (d / "README.md").symlink_to((d / "README.md").rename(d / "c.md")),
}


@pytest.mark.parametrize("entry", sorted(FOREIGN))
def test_validate_names_what_the_next_build_would_refuse(dataset: Path, entry: str) -> None:
    """validate called a folder holding a file of the user's valid, and the next `build --out`
    refused to replace it: one rule (`foreign_entries`) now decides for both."""
    from sgbench.files import check_output_folder

    check_output_folder(dataset, "build", name="out")  # a fresh build is its own and replaceable
    FOREIGN[entry](dataset)
    result = CliRunner().invoke(main, ["validate", str(dataset)])
    assert result.exit_code == 2, result.output
    shown = str(dataset / entry)
    named = [line for line in result.stderr.splitlines() if line.startswith(f"{shown}: ")]
    assert len(named) == 1, result.stderr
    assert "not the dataset's own" in named[0]
    with pytest.raises(InputError, match=re.escape(entry)):
        check_output_folder(dataset, "build", name="out")


def test_validate_passes_the_build_marker(dataset: Path) -> None:
    """The build's own marker is the dataset's: a fresh build stays valid with it."""
    assert (dataset / ".sgbench-output.json").is_file()
    assert check_dataset(dataset).ok


def test_push_refuses_a_folder_holding_a_foreign_file(real: Path) -> None:
    (real / "notes.txt").write_text("api key: secret\n", encoding="utf-8")
    api = FakeHubApi()
    with pytest.raises(InvalidDatasetError, match=r"notes\.txt: not listed in manifest\.json"):
        push_dataset(real, REPO, api=api)
    assert "upload_folder" not in api.names()
    assert api.sent == {}


def test_validate_neither_kind_of_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 2
    assert "neither a dataset folder" in result.stderr


def _submission(tmp_path: Path) -> Path:
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "submission.json").write_text("{}", encoding="utf-8")
    return folder


def test_validate_an_invalid_submission(tmp_path: Path) -> None:
    """A submission folder gets the leaderboard's checks, every problem on its own line."""
    folder = _submission(tmp_path)
    result = CliRunner().invoke(main, ["validate", str(folder)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    problems = validate_submission(folder).problems
    assert problems
    assert lines[0] == f"submission folder {folder}: {len(problems)} problem(s)"
    assert lines[1:-1] == list(problems)
    assert lines[-1] == f"Error: {folder}: not a valid submission folder"
