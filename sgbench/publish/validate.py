"""``sgbench validate PATH``: check a dataset folder or a leaderboard submission folder.

A folder holding ``manifest.json`` is a dataset folder and gets :func:`check_dataset` (the checks
``sgbench push`` runs); a folder holding ``submission.json`` is a submission folder and gets
``sgbench.leaderboard.validate_submission``. The result says which of the two was checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from sgbench.dataset import MANIFEST_FILE
from sgbench.errors import InputError
from sgbench.publish.checks import DatasetCheck, check_dataset

SUBMISSION_FILE: Final = "submission.json"

FolderKind = Literal["dataset", "submission"]


@dataclass(frozen=True)
class FolderValidation:
    """The outcome of :func:`validate_folder`."""

    kind: FolderKind
    """Which kind of folder was checked."""
    path: Path
    """The folder checked."""
    problems: tuple[str, ...]
    """Every problem found, one line each; empty when valid."""
    dataset: DatasetCheck | None = None
    """The full dataset check (dataset folders only)."""

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    def render(self) -> str:
        """Which folder was checked, then valid or one line per problem."""
        if self.dataset is not None:
            return self.dataset.render()
        if self.ok:
            return f"{self.kind} folder {self.path}: valid"
        return "\n".join(
            [f"{self.kind} folder {self.path}: {len(self.problems)} problem(s)", *self.problems]
        )


def folder_kind(path: Path) -> FolderKind:
    """``dataset`` (has ``manifest.json``) or ``submission`` (has ``submission.json``).

    Raises:
        InputError: ``path`` is not a folder, has neither file, or has both.
    """
    if not path.is_dir():
        raise InputError(f"{path}: not a folder")
    is_dataset = (path / MANIFEST_FILE).is_file()
    is_submission = (path / SUBMISSION_FILE).is_file()
    if is_dataset and is_submission:
        raise InputError(
            f"{path}: has both {MANIFEST_FILE} and {SUBMISSION_FILE}; a folder is either a "
            "dataset or a submission"
        )
    if is_dataset:
        return "dataset"
    if is_submission:
        return "submission"
    raise InputError(
        f"{path}: neither a dataset folder (no {MANIFEST_FILE}) nor a submission folder "
        f"(no {SUBMISSION_FILE})"
    )


def validate_folder(path: str | Path) -> FolderValidation:
    """Check a dataset or submission folder and return every problem found.

    Raises:
        InputError: not a folder of either kind, or (for a submission) the leaderboard's
            validation is not installed.
    """
    folder = Path(path)
    kind = folder_kind(folder)
    if kind == "dataset":
        check = check_dataset(folder)
        return FolderValidation(
            kind, folder, tuple(str(problem) for problem in check.problems), check
        )
    return FolderValidation(kind, folder, _submission_problems(folder))


def _submission_problems(folder: Path) -> tuple[str, ...]:
    """Problems reported by ``sgbench.leaderboard.validate_submission`` (imported lazily).

    It may return None, a string, an iterable of problems, or an object with ``problems``.
    """
    try:
        from sgbench.leaderboard import validate_submission  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        raise InputError("submission validation is not available") from None
    result: object = validate_submission(folder)
    result = getattr(result, "problems", result)
    if result is None:
        return ()
    if isinstance(result, str):
        return (result,)
    if isinstance(result, Iterable):
        return tuple(str(problem) for problem in result)
    raise InputError(f"{folder}: unexpected submission validation result {result!r}")
