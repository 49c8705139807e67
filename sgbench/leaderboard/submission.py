"""Checking one leaderboard submission folder: ``SUBMISSIONS/<slug>/``.

A submission folder holds ``submission.json`` (checked against the packaged schema
``submission.schema.json``: ``model``, ``method``, ``organisation``, ``url``, ``dataset_version``,
``date``, ``notes``) and ``predictions.jsonl`` (a predictions file, any splits). Its name is the
slug, ``[a-z0-9._-]+``. Every problem is one line naming the file it is about.

Without a dataset (``sgbench validate``), ``predictions.jsonl`` is checked line by line against
the predictions schema and for duplicate ids. With one (the leaderboard), it is read by the scorer
(:func:`sgbench.scoring.predictions.read_predictions`) for each ranked split, so ids, answers and
distributions are checked against the samples; the submission must predict at least one sample of
``test_ood``; and its ``dataset_version`` must have the dataset's major version and the same
build suffix (``+synthetic``): within one major version scores are comparable (the version
policy in :mod:`sgbench.publish`), a SYNTHETIC build is another dataset.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from sgbench.boundary import PathArg, public
from sgbench.dataset import CONFIG_SPLITS, BuiltDataset, check_config_split, open_dataset
from sgbench.errors import IGNORABLE, InputError, shown_model, shown_name
from sgbench.files import FromFiles, reads, resolve_path
from sgbench.jsonl import (
    BOM,
    MAX_FILE_BYTES,
    SizeBound,
    input_problem,
    loads_strict,
    split_lines,
    too_large,
)
from sgbench.schema import schema_problems, validator
from sgbench.scoring.data import ScoringData, load_scoring_data
from sgbench.scoring.predictions import (
    Predictions,
    PredictionsError,
    largest_predictions_file,
    prediction_lines,
    predictions_from_bytes,
)

SUBMISSION_FILE: Final = "submission.json"
PREDICTIONS_FILE: Final = "predictions.jsonl"
SLUG: Final = re.compile(r"[a-z0-9._-]+")
"""A submission folder's name."""

PRIMARY_SPLIT: Final = "test_ood"
"""The split the leaderboard ranks by."""
RANKED_SPLITS: Final = ("test_ood", "test_id")
"""The splits the leaderboard scores, primary first."""

_VERSION: Final = re.compile(r"([0-9]+)\.[0-9]+\.[0-9]+(\+[0-9A-Za-z.-]+)?")


@dataclass(frozen=True)
class SubmissionCheck(FromFiles):
    """The outcome of checking one submission folder."""

    path: Path
    """The folder checked."""
    slug: str
    """The folder's name."""
    problems: tuple[str, ...]
    """Every problem, one line each, naming the file; empty when valid."""
    metadata: Mapping[str, Any] = field(default_factory=dict)
    """``submission.json`` as read (empty when it could not be read)."""
    predictions: Mapping[str, Predictions] = field(default_factory=dict, repr=False)
    """Split → the checked predictions, when checked against a dataset and valid."""

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    def render(self) -> str:
        """``submission folder PATH: valid``, or a count and one line per problem."""
        where = shown_name(str(self.path))
        if self.ok:
            return f"submission folder {where}: valid"
        return "\n".join(
            [f"submission folder {where}: {len(self.problems)} problem(s)", *self.problems]
        )


_CJK: Final = frozenset({"CJK", "HIRAGANA", "KATAKANA", "HANGUL", "BOPOMOFO"})
"""Scripts written together in one word (Japanese and Korean mix them with Han)."""


def _script(char: str) -> str | None:
    """The script of a letter, from its Unicode name (``CYRILLIC SMALL LETTER O``), or None for
    a character that belongs to no one script (digits, marks, punctuation, modifier letters)."""
    if unicodedata.category(char) not in ("Lu", "Ll", "Lt", "Lo"):
        return None
    script = unicodedata.name(char, "").split(" ")[0]
    return "CJK" if script in _CJK else script


def mixed_scripts(name: str) -> tuple[str, str] | None:
    """The first two scripts found together in one run of letters of ``name`` (NFKC), or None.

    A word mixing Latin with Cyrillic or Greek letters is how a name passes for another while
    comparing unequal ('Gооd' with Cyrillic 'о'); words in different scripts are fine.
    """
    run: set[str] = set()
    for char in IGNORABLE.sub("", unicodedata.normalize("NFKC", name)):
        if unicodedata.category(char).startswith("M"):
            continue  # a combining mark belongs to the letter before it
        script = _script(char)
        if script is None:
            run = set()
            continue
        run.add(script)
        if len(run) > 1:
            first, second = sorted(run)
            return first, second
    return None


def _model_problems(model: str, label: str) -> list[str]:
    """Problems of a ``model`` name a reader could not tell from another, or could not see."""
    if not shown_model(model):
        return [
            f"{label}: $.model: {model!r} shows nothing (only spaces, control or invisible "
            "characters)"
        ]
    mixed = mixed_scripts(model)
    if mixed is not None:
        return [
            f"{label}: $.model: {model!r} mixes {mixed[0].title()} and {mixed[1].title()} "
            "letters in one word, as names passing for another do; write each word in one script"
        ]
    return []


def version_mismatch(submitted: str, dataset: str) -> str | None:
    """Why a submission's ``dataset_version`` cannot be ranked on ``dataset``, or None.

    Compatible: the same major version and the same build suffix (``+synthetic`` or none).
    """
    mine, theirs = _VERSION.fullmatch(submitted), _VERSION.fullmatch(dataset)
    if mine is None or theirs is None:
        return None if submitted == dataset else "the versions cannot be compared"
    if mine.group(2) != theirs.group(2):
        return "the build suffixes differ; +synthetic marks a build from the SYNTHETIC sample"
    if mine.group(1) != theirs.group(1):
        return "the major versions differ, so the scores are not comparable"
    return None


_OUTSIDE: Final = "a symlink leading outside the submission folder; not read"
_HARD_LINK: Final = (
    "a hard link (the file has other names, which may lie outside the submission folder); not "
    "read, copy the file instead"
)


class _Refused(Exception):
    """A submission file that may not be read; the message says why (one of the reasons
    above)."""


class _TooLarge(Exception):
    """A submission file larger than its bound; not read. ``args[0]``: its size when opened,
    or None for a file that grew past the bound while it was read."""


def _opened_path(fd: int) -> Path | None:
    """The real path of the file open as ``fd``, from the kernel (Linux), or None."""
    try:
        return Path(os.readlink(f"/proc/self/fd/{fd}"))
    except OSError:
        return None


def _read_inside(path: Path, own: Path, limit: int | None = None) -> bytes:
    """The bytes of ``path``, opened once and judged by what was opened: a regular file with one
    name, lying inside the resolved folder ``own``.

    Checking the path first and opening it afterwards left a window: a symlink swapped in
    between (by someone who can write the submission folder while the leaderboard runs) was
    followed, and published a secret in 6 of 15 runs. The open file's real path comes from the
    kernel where it can tell (``/proc/self/fd``); elsewhere its inode must be the one the path
    resolved to just before.

    Raises:
        FileNotFoundError, IsADirectoryError, OSError: missing, a folder, not a regular file
            (``strerror``), or unreadable.
        _Refused: a hard link, a file outside ``own``, or one another sgbench process is
            writing (:func:`sgbench.jsonl.input_problem`).
        _TooLarge: more than ``limit`` bytes, when opened or by the time it is read (a file
            growing while it is read is cut off there, not read to its end).
    """
    before = resolve_path(path)
    if own not in before.parents:
        raise _Refused(_OUTSIDE)
    expected = before.stat()
    if not (stat.S_ISREG(expected.st_mode) or stat.S_ISDIR(expected.st_mode)):
        # A FIFO, device or socket is not even opened (opening a device can act on it).
        raise OSError(errno.EINVAL, "not a regular file", str(path))
    # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, "is a folder", str(path))
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        if info.st_nlink > 1:
            raise _Refused(_HARD_LINK)
        real = _opened_path(fd)
        if (info.st_dev, info.st_ino) != (expected.st_dev, expected.st_ino) or (
            real is not None and own not in real.parents
        ):
            raise _Refused(_OUTSIDE)
        # The input rule of every file a command reads: a predictions.jsonl a run is still
        # appending to was ranked (a prefix scored as the whole, exit 0), and validated.
        problem = input_problem(path)
        if problem is not None:
            raise _Refused(problem)
        if limit is not None and info.st_size > limit:
            raise _TooLarge(info.st_size)
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read() if limit is None else handle.read(limit + 1)
        if limit is not None and len(data) > limit:
            raise _TooLarge(None)
        return data
    finally:
        os.close(fd)


def _read_metadata(path: Path, label: str, own: Path) -> tuple[dict[str, Any], list[str]]:
    """``submission.json`` (in the resolved folder ``own``) and its problems (``LABEL: ...``)."""
    try:
        text = _read_inside(path, own, MAX_FILE_BYTES).removeprefix(BOM).decode("utf-8")
    except FileNotFoundError:
        return {}, [f"{label}: missing"]
    except IsADirectoryError:
        return {}, [f"{label}: not a file"]
    except _Refused as exc:
        return {}, [f"{label}: {exc}"]
    except _TooLarge:
        return {}, [f"{label}: cannot be read (larger than {MAX_FILE_BYTES} bytes)"]
    except OSError as exc:
        return {}, [f"{label}: cannot be read ({exc.strerror})"]
    except InputError:
        return {}, [f"{label}: a symlink loop; not read"]
    except UnicodeDecodeError as exc:
        return {}, [f"{label}: not UTF-8 text (byte {exc.start + 1})"]
    try:
        obj = loads_strict(text)
    except ValueError as exc:  # bounds, NaN, a key twice, a lone surrogate, not JSON at all
        return {}, [f"{label}: {exc}"]
    errors = schema_problems(validator("submission"), obj)
    if errors:
        return {}, [f"{label}: {error}" for error in errors]
    names = _model_problems(obj["model"], label)
    return ({}, names) if names else (dict(obj), [])


def _structural_problems(label: str, raw: bytes) -> list[tuple[int, str]]:
    """Line problems of a predictions file checked without a dataset: JSON, schema, duplicates.

    Raises:
        InputError: the file has no non-blank line.
    """
    lines, problems = split_lines(label, raw)
    for _ in prediction_lines(lines, problems):
        pass  # the lines are only checked; their problems are what is wanted
    return problems


def _line_problems(label: str, problems: Sequence[tuple[int, str]]) -> list[str]:
    """``LABEL: line N: ...`` lines, at most :data:`MAX_PROBLEMS`, as the scorer shows them."""
    return str(PredictionsError(label, problems)).splitlines()


def _read_predictions_file(
    path: Path, label: str, own: Path, bound: SizeBound
) -> tuple[bytes, str] | str:
    """The bytes of ``predictions.jsonl`` (without a byte-order mark) and the sha256 of the
    file, or its one problem. A file over ``bound`` is not read: it fails its submission, not
    the leaderboard (reading it whole would take about ten times its size in memory)."""
    try:
        raw = _read_inside(path, own, bound.limit)
    except FileNotFoundError:
        return f"{label}: no such file"
    except IsADirectoryError:
        return f"{label}: not a file"
    except _Refused as exc:
        return f"{label}: {exc}"
    except _TooLarge as exc:
        return too_large(label, bound, exc.args[0])
    except OSError as exc:
        return f"{label}: cannot be read ({exc.strerror})"
    except InputError:
        return f"{label}: a symlink loop; not read"
    return raw.removeprefix(BOM), hashlib.sha256(raw).hexdigest()


def _prediction_problems(
    path: Path, label: str, data: Sequence[ScoringData] | None, own: Path
) -> tuple[list[str], dict[str, Predictions]]:
    """Problems of ``predictions.jsonl``, and the predictions read for each split of ``data``;
    the file is read once (:func:`_read_inside`) and every check works on those bytes."""
    read = _read_predictions_file(path, label, own, largest_predictions_file(data))
    if isinstance(read, str):
        return [read], {}
    raw, sha256 = read
    if data is None:
        try:
            return _line_problems(label, _structural_problems(label, raw)), {}
        except InputError as exc:
            return [str(exc)], {}
    line_problems: set[tuple[int, str]] = set()
    file_problems: list[str] = []
    checked: dict[str, Predictions] = {}
    for split_data in data:
        try:
            checked[split_data.split] = predictions_from_bytes(label, raw, sha256, split_data)
        except PredictionsError as exc:
            line_problems.update(exc.problems)
        except InputError as exc:
            if str(exc) not in file_problems:
                file_problems.append(str(exc))
    problems = file_problems + (
        _line_problems(label, sorted(line_problems)) if line_problems else []
    )
    return problems, checked


def _escapes(path: Path, root: Path) -> bool:
    """``path`` (symlinks resolved) lies outside the resolved folder ``root``."""
    real = resolve_path(path)
    return real != root and root not in real.parents


def _contained(folder: Path, where: str, root: Path | None) -> list[str]:
    """Problems when reading the folder would leave ``root`` (the submissions folder, when the
    leaderboard checks it) or when one of its files leads out of the folder itself.

    A file a symlink leads to outside is never opened, nor a file with hard links (one of its
    other names may be outside), so nothing of it can be published or quoted in an error message
    (a symlinked, then a hard-linked, ``predictions.jsonl`` put a secret token on the page).
    """
    try:
        if root is not None and _escapes(folder, resolve_path(root)):
            return [f"{where}: a symlink leading outside the submissions folder; not read"]
        own = resolve_path(folder)
    except InputError:
        return [f"{where}: a symlink loop; not read"]
    problems: list[str] = []
    for name in (SUBMISSION_FILE, PREDICTIONS_FILE):
        try:
            if (folder / name).is_symlink() and _escapes(folder / name, own):
                problems.append(f"{where}/{name}: {_OUTSIDE}")
            elif _hard_linked(folder / name):
                problems.append(f"{where}/{name}: {_HARD_LINK}")
        except InputError:
            problems.append(f"{where}/{name}: a symlink loop; not read")
    return problems


def _hard_linked(path: Path) -> bool:
    """``path`` (symlinks followed, they stay inside) is a regular file with more than one name.

    A hard link cannot be told from the file it shares: the other name may be a secret outside
    SUBMISSIONS, so a file with several names is never opened.
    """
    try:
        info = path.stat()
    except OSError:  # missing, a loop or unreadable: the reader says which
        return False
    return stat.S_ISREG(info.st_mode) and info.st_nlink > 1


def check_submission(
    folder: Path,
    data: Sequence[ScoringData] | None = None,
    label: str | None = None,
    root: Path | None = None,
) -> SubmissionCheck:
    """Check a submission folder; ``data``: the ranked splits, already loaded (or None).

    ``label`` is how messages name the folder (default: the path as given); the leaderboard uses
    the slug, so that its outputs do not depend on where the folder lives. Either is shown
    through :func:`~sgbench.errors.shown_name` (a folder name may hold a newline or an escape).
    Nothing outside the folder is read: a symlinked file leading out of it, a hard-linked file,
    or a folder leading out of ``root`` (the submissions folder), is a problem and is not
    opened.
    """
    # The folder's own name (a symlink keeps its name); "." and ".." name their target.
    name = folder.name if folder.name not in ("", "..") else folder.resolve().name
    where = shown_name(str(folder) if label is None else label)
    if folder.is_symlink() and not folder.exists():
        return SubmissionCheck(
            folder, name, (f"{where}: a symlink leading nowhere (a missing target or a loop)",)
        )
    if not folder.is_dir():
        return SubmissionCheck(folder, name, (f"{where}: not a folder",))
    escapes = _contained(folder, where, root)
    if escapes:
        return SubmissionCheck(folder, name, tuple(escapes))
    problems: list[str] = []
    if not SLUG.fullmatch(name):
        problems.append(
            f"{where}: folder name {name!r} is not a slug (lowercase letters, digits, '.', '_' "
            "and '-' only)"
        )
    own = resolve_path(folder)
    metadata, meta_problems = _read_metadata(
        folder / SUBMISSION_FILE, f"{where}/{SUBMISSION_FILE}", own
    )
    problems += meta_problems
    predictions_label = f"{where}/{PREDICTIONS_FILE}"
    prediction_problems, checked = _prediction_problems(
        folder / PREDICTIONS_FILE, predictions_label, data, own
    )
    problems += prediction_problems
    primary = checked.get(PRIMARY_SPLIT)
    if primary is not None and primary.n_missing == len(primary.arrays.answered):
        problems.append(
            f"{predictions_label}: no prediction for any sample of {PRIMARY_SPLIT}, the split "
            "the leaderboard ranks by"
        )
    if data and metadata:
        dataset_version = data[0].manifest.version
        why = version_mismatch(str(metadata["dataset_version"]), dataset_version)
        if why is not None:
            problems.append(
                f"{where}/{SUBMISSION_FILE}: $.dataset_version: {metadata['dataset_version']!r} "
                f"does not fit the dataset's version {dataset_version!r} ({why})"
            )
    return SubmissionCheck(folder, name, tuple(problems), metadata, {} if problems else checked)


def load_ranked_splits(
    dataset: PathArg | BuiltDataset, config: str = "default"
) -> tuple[ScoringData, ...]:
    """The ranked splits of ``config`` (those it has), primary first, ready for scoring.

    Raises:
        InputError: the dataset cannot be read, or the config has no primary split.
    """
    check_config_split(config, PRIMARY_SPLIT)
    splits = [s for s in RANKED_SPLITS if s in CONFIG_SPLITS[config]]
    built = open_dataset(dataset)
    return tuple(load_scoring_data(built, config, split) for split in splits)


@public
@reads(path="PATH", dataset="--dataset")
def validate_submission(
    path: PathArg, dataset: PathArg | None = None, config: str = "default"
) -> SubmissionCheck:
    """Check one submission folder (what ``sgbench validate SUBMISSION_DIR`` runs).

    Args:
        path: the submission folder.
        dataset: a built dataset folder to check the predictions against; without it,
            ``predictions.jsonl`` is checked against the predictions schema and for duplicate
            ids only (see the module docstring).
        config: the dataset config (with ``dataset``).

    Returns:
        Every problem, one line each naming the file (``.problems``); ``.ok`` when there is none.

    Raises:
        InputError: the dataset cannot be read.
    """
    data = None if dataset is None else load_ranked_splits(dataset, config)
    return check_submission(Path(path), data)
