"""Pushing a checked dataset folder to the Hugging Face Hub as one commit, tagged ``v<version>``.

The order of calls of a push, all with ``repo_type="dataset"``:

1. ``create_repo(repo_id, private=..., exist_ok=True)`` (an existing repo keeps its visibility);
2. ``list_repo_refs`` — an existing tag ``v<version>`` stops the push here: tags are never moved;
3. ``list_repo_files`` — to report which stale shards under ``data/`` the commit deletes;
4. ``upload_folder`` — one commit holding exactly the checked files (``allow_patterns``), from a
   private copy checked again (:func:`checked_copy`), and deleting every other remote file
   under ``data/`` (``delete_patterns=["data/*"]``);
5. ``create_tag(tag="v<version>", revision=<the commit's oid>)``.

A dry run makes only the read calls 2 and 3 (a repository that does not exist yet is reported as
"would be created") and writes nothing. The token comes from the usual ``huggingface_hub``
sources (``HF_TOKEN``, ``hf auth login``). Authentication, permission and network failures become
one-line :class:`~sgbench.errors.InputError` naming the repository and the step that failed.
"""

from __future__ import annotations

import fnmatch
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Final, Protocol, TypeVar, cast, runtime_checkable

from sgbench.boundary import ArgumentName, PathArg, public
from sgbench.errors import InputError, bounded, size_limit_hit, write_reason
from sgbench.files import FromFiles, reads
from sgbench.publish.checks import DATA_DIR, DatasetCheck, InvalidDatasetError, check_dataset
from sgbench.publish.publication import publication_problems

REPO_TYPE: Final = "dataset"
DELETE_PATTERNS: Final = (f"{DATA_DIR}/*",)
"""Remote files the upload commit deletes unless it uploads them: every stale shard."""

REPO_ID_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*")
LOGIN_HINT: Final = "set HF_TOKEN or run `hf auth login` with a token that can write to the repo"

HTTP_LIBRARY_ERRORS: Final = (
    ("httpx2", "HTTPError"),
    ("httpx", "HTTPError"),
    ("requests", "RequestException"),
)
"""Base errors of the HTTP libraries ``huggingface_hub`` versions use (connection, timeout …)."""

T = TypeVar("T")


@runtime_checkable
class HubApi(Protocol):
    """The part of ``huggingface_hub.HfApi`` a push uses (tests pass a recording fake).

    Checkable at run time, so that an ``api`` without these methods is refused where
    :func:`push_dataset` is called (:func:`sgbench.boundary.public`), not with an
    AttributeError halfway through a push.
    """

    def create_repo(
        self, repo_id: str, *, repo_type: str | None, private: bool | None, exist_ok: bool
    ) -> Any: ...

    def list_repo_refs(self, repo_id: str, *, repo_type: str | None) -> Any: ...

    def list_repo_files(self, repo_id: str, *, repo_type: str | None) -> list[str]: ...

    def upload_folder(
        self,
        *,
        repo_id: str,
        folder_path: PathArg,
        commit_message: str | None,
        repo_type: str | None,
        allow_patterns: list[str] | str | None,
        delete_patterns: list[str] | str | None,
    ) -> Any: ...

    def create_tag(
        self,
        repo_id: str,
        *,
        tag: str,
        tag_message: str | None,
        revision: str | None,
        repo_type: str | None,
    ) -> Any: ...


@dataclass(frozen=True)
class PushResult(FromFiles):
    """What a push did, or with ``dry_run`` what it would do."""

    repo_id: str
    """The Hub dataset repository, ``org/name``."""
    version: str
    """The dataset version pushed."""
    uploaded: tuple[str, ...]
    """Relative paths uploaded in the commit."""
    deleted: tuple[str, ...]
    """Stale remote files under ``data/`` the commit removes."""
    tag: str | None
    """The tag created on the commit (None with ``tag=False``)."""
    commit_message: str
    """The upload commit's message."""
    commit_oid: str | None
    """The upload commit (None in a dry run)."""
    repo_exists: bool
    """The repository exists (in a real push it has just been created when it did not)."""
    dry_run: bool
    """Nothing was written."""

    def render(self) -> str:
        """Human-readable account of the push, one fact per line."""
        would = "would " if self.dry_run else ""
        lines = ["dry run: nothing was uploaded, deleted or tagged"] if self.dry_run else []
        state = "exists" if self.repo_exists else "does not exist; would be created"
        lines.append(f"repo: {self.repo_id} (dataset, {state})")
        done = "" if self.commit_oid is None else f": commit {self.commit_oid}"
        lines.append(
            f"{would}upload {len(self.uploaded)} file(s) in one commit "
            f"({self.commit_message!r}){done}"
        )
        lines += [f"  {path}" for path in self.uploaded]
        lines.append(f"{would}delete {len(self.deleted)} stale file(s) under {DATA_DIR}/")
        lines += [f"  {path}" for path in self.deleted]
        if self.tag is None:
            lines.append(f"no tag ({_NO_TAG})")
        else:
            target = "" if self.commit_oid is None else f" on commit {self.commit_oid}"
            lines.append(f"{would}tag {self.tag}{target}")
            lines.append(f'load it with: load_dataset("{self.repo_id}", revision="{self.tag}")')
        return "\n".join(lines)


_REPO_ID: Final = ArgumentName("repo_id", "--repo-id")
_NO_TAG: Final = ArgumentName("tag=False", "--no-tag")
"""How a push without a tag is asked for: push_dataset's argument, the command line's option."""


@public
@reads(dataset_dir="DIR")
def push_dataset(
    dataset_dir: PathArg,
    repo_id: str,
    *,
    tag: bool = True,
    private: bool = False,
    dry_run: bool = False,
    allow_synthetic: bool = False,
    api: HubApi | None = None,
) -> PushResult:
    """Check a dataset folder, upload it to ``repo_id`` in one commit and tag it ``v<version>``.

    Args:
        dataset_dir: a built dataset folder (``sgbench build``).
        repo_id: the Hub dataset repository, ``org/name``; created when missing.
        tag: tag the commit ``v<version>`` (refusing when that tag exists).
        private: create the repository private (an existing one keeps its visibility).
        dry_run: only read the repository's refs and files; upload, delete and tag nothing.
        allow_synthetic: push a SYNTHETIC build (refused by default; the other reasons of
            :func:`~sgbench.publish.publication_problems` are never lifted).
        api: an object with ``huggingface_hub.HfApi``'s methods; default a new ``HfApi()``.

    Raises:
        InputError: the folder fails the checks (:class:`InvalidDatasetError`), cannot be
            published (:func:`refuse_unpublishable`), the repo id is malformed, the tag
            exists, or the Hub refuses or cannot be reached.
    """
    check = check_dataset(dataset_dir)
    if not check.ok:
        raise InvalidDatasetError(check)
    refuse_unpublishable(check, allow_synthetic=allow_synthetic)
    if not REPO_ID_PATTERN.fullmatch(repo_id):
        raise InputError(f"{_REPO_ID} {repo_id!r}: expected ORG/NAME")
    version = check.version or ""
    tag_name = check.tag if tag else None
    message = f"Release {check.name} {version}"
    hub = api if api is not None else _default_api()
    if not dry_run:
        create = partial(
            hub.create_repo, repo_id, repo_type=REPO_TYPE, private=private, exist_ok=True
        )
        _call(repo_id, "creating the repository", create)
    tags = _list_tags(hub, repo_id, missing_ok=dry_run)
    exists = tags is not None
    tags = tags or {}
    if tag_name is not None and tag_name in tags:
        raise InputError(
            f"{repo_id}: tag {tag_name} already exists (commit {tags[tag_name][:12]}); tags are "
            f"never moved: bump the dataset version (see the version policy) or push with {_NO_TAG}"
        )
    remote_files: list[str] = []
    if exists:
        listing = partial(hub.list_repo_files, repo_id, repo_type=REPO_TYPE)
        remote_files = _call(
            repo_id, "listing files", listing, lambda files: [str(path) for path in files]
        )
    stale = stale_files(remote_files, check.files)
    oid: str | None = None
    if not dry_run:
        with checked_copy(check) as folder:
            upload = partial(
                hub.upload_folder,
                repo_id=repo_id,
                folder_path=folder,
                commit_message=message,
                repo_type=REPO_TYPE,
                allow_patterns=list(check.files),
                delete_patterns=list(DELETE_PATTERNS),
            )
            oid = _call(repo_id, "uploading", upload, _commit_oid)
        if tag_name is not None:
            create_tag = partial(
                hub.create_tag,
                repo_id,
                tag=tag_name,
                tag_message=message,
                revision=oid,
                repo_type=REPO_TYPE,
            )
            _call(repo_id, f"tagging {tag_name}", create_tag)
    return PushResult(
        repo_id=repo_id,
        version=version,
        uploaded=check.files,
        deleted=stale,
        tag=tag_name,
        commit_message=message,
        commit_oid=oid,
        repo_exists=exists,
        dry_run=dry_run,
    )


def refuse_unpublishable(check: DatasetCheck, *, allow_synthetic: bool = False) -> None:
    """Refuse a checked dataset that cannot be published, naming every reason on one line
    (:func:`~sgbench.publish.publication_problems`).

    Raises:
        InputError: ``DIR: not published: REASON; REASON``.
    """
    if check.manifest is None:  # an unusable manifest is a problem of the checks already
        raise InvalidDatasetError(check)
    reasons = publication_problems(check.manifest, allow_synthetic=allow_synthetic)
    if reasons:
        raise InputError(f"{check.dataset_dir}: not published: {'; '.join(reasons)}")


@contextmanager
def checked_copy(check: DatasetCheck) -> Iterator[Path]:
    """A private copy of the files ``check`` passed, checked again, to upload from.

    The upload reads the files long after they were checked (minutes, for a large build): a
    rebuild or an edit of the folder meanwhile published files that do not match the manifest,
    tagged as the checked version. The copy is what is checked and what is sent.

    Raises:
        InputError: the folder changed between the check and the copy (push again), or the copy
            cannot be written (``TMPDIR``).
    """
    try:
        scratch = tempfile.TemporaryDirectory(prefix="sgbench-push-")
    except OSError as exc:
        raise InputError(f"cannot create a temporary folder ({exc.strerror}); set TMPDIR") from None
    with scratch as folder:
        copy = Path(folder)
        try:
            for relative in check.files:
                (copy / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(check.dataset_dir / relative, copy / relative)
        except OSError as exc:
            room = (
                "" if size_limit_hit(exc) else "; set TMPDIR to a folder with room for the dataset"
            )
            raise InputError(
                f"{check.dataset_dir}: cannot copy it to upload ({write_reason(exc)}){room}"
            ) from None
        again = check_dataset(copy)
        # The whole manifest, not only names and version: a rebuild meanwhile with other
        # thresholds or disclosure has the same file names and version.
        if not again.ok or again.files != check.files or again.manifest != check.manifest:
            raise InputError(
                f"{check.dataset_dir}: changed while it was being pushed (rebuilt or edited); "
                "nothing was uploaded: push again once it is complete"
            )
        yield copy


def stale_files(remote_files: list[str], uploaded: tuple[str, ...]) -> tuple[str, ...]:
    """Remote files the upload commit deletes: under ``data/`` and not uploaded again."""
    return tuple(
        path
        for path in sorted(remote_files)
        if any(fnmatch.fnmatchcase(path, p) for p in DELETE_PATTERNS) and path not in uploaded
    )


def _default_api() -> HubApi:
    try:
        from huggingface_hub import HfApi
    except ImportError:
        raise InputError("pushing needs huggingface_hub: pip install 'sgbench[hub]'") from None
    return cast(HubApi, HfApi())


def _list_tags(hub: HubApi, repo_id: str, *, missing_ok: bool) -> dict[str, str] | None:
    """The repository's tags (name → commit); None when it does not exist and ``missing_ok``."""
    not_found = _repository_not_found_error()
    try:
        refs = hub.list_repo_refs(repo_id, repo_type=REPO_TYPE)
    except Exception as exc:
        if missing_ok and not_found is not None and isinstance(exc, not_found):
            return None
        error = hub_failure(exc, repo_id, "listing tags")
        if error is None:
            raise
        raise error from None
    return _read_reply(
        repo_id,
        "listing tags",
        refs,
        lambda refs: {str(ref.name): str(ref.target_commit) for ref in refs.tags},
    )


def _call(
    repo_id: str, step: str, call: Callable[[], Any], read: Callable[[Any], T] = lambda r: r
) -> T:
    """Run one Hub call; its authentication, permission or network failure → InputError, and
    its reply read by ``read`` (:func:`_read_reply`)."""
    try:
        reply = call()
    except Exception as exc:
        error = hub_failure(exc, repo_id, step)
        if error is None:
            raise
        raise error from None
    return _read_reply(repo_id, step, reply, read)


def _read_reply(repo_id: str, step: str, reply: Any, read: Callable[[Any], T]) -> T:
    """``read(reply)``, or an InputError when the reply is not what ``HfApi`` answers: an
    ``api`` object whose methods returned None stopped a push with an AttributeError."""
    try:
        return read(reply)
    except (AttributeError, TypeError, ValueError, KeyError) as exc:
        raise InputError(
            bounded(
                f"{repo_id}: {step}: the Hub API's reply cannot be used "
                f"({type(exc).__name__}: {exc}); is api an huggingface_hub.HfApi?"
            )
        ) from None


def _commit_oid(info: Any) -> str:
    """The upload commit's id from the reply of ``upload_folder`` (a ``CommitInfo``)."""
    oid = info.oid
    if not isinstance(oid, str) or not oid:
        raise ValueError(f"its commit id is {oid!r}, not text")
    return oid


def _repository_not_found_error() -> type[BaseException] | None:
    try:
        from huggingface_hub.errors import RepositoryNotFoundError
    except ImportError:
        return None
    return cast(type[BaseException], RepositoryNotFoundError)


def _hub_error_types() -> tuple[type[BaseException], ...]:
    """Exceptions meaning the Hub refused or could not be reached (not a bug of sgbench)."""
    types: list[type[BaseException]] = [OSError]  # ConnectionError, TimeoutError among them
    try:
        from huggingface_hub import errors
    except ImportError:
        pass
    else:
        types += [
            errors.HfHubHTTPError,
            errors.LocalTokenNotFoundError,
            errors.OfflineModeIsEnabled,
            errors.HFValidationError,
        ]
    for module_name, name in HTTP_LIBRARY_ERRORS:
        module = sys.modules.get(module_name)  # only a library already loaded can have raised
        error = getattr(module, name, None)
        if isinstance(error, type) and issubclass(error, BaseException):
            types.append(error)
    return tuple(types)


def hub_failure(exc: BaseException, repo_id: str, step: str) -> InputError | None:
    """The one-line error for a failed Hub call, or None when ``exc`` is not a Hub failure."""
    if not isinstance(exc, _hub_error_types()):
        return None
    return InputError(f"{repo_id}: {step} failed: {describe_hub_error(exc)}")


def describe_hub_error(exc: BaseException) -> str:
    """One line saying why a Hub call failed, with what to do about authentication."""
    name = type(exc).__name__
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    detail = lines[0] if lines else name
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if name == "LocalTokenNotFoundError":
        return f"no Hugging Face token found; {LOGIN_HINT}"
    if name == "OfflineModeIsEnabled":
        return "HF_HUB_OFFLINE is set; unset it to reach the Hub"
    if status == 401:
        return f"authentication failed (HTTP 401); {LOGIN_HINT}"
    if status == 403:
        return f"permission denied (HTTP 403); {LOGIN_HINT}"
    if name in {"RepositoryNotFoundError", "GatedRepoError"}:
        return f"repository not found or no access; {LOGIN_HINT}"
    if status is not None:
        return f"HTTP {status}: {detail}"
    return f"{name}: {detail}"
