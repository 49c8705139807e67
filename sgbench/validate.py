"""``sgbench validate PATH``: check a dataset folder or a leaderboard submission folder.

A folder holding ``manifest.json`` is a dataset folder and gets
:func:`sgbench.publish.check_dataset` (the checks ``sgbench push`` runs); a folder holding
``submission.json`` is a submission folder and gets
:func:`sgbench.leaderboard.validate_submission`. The result says which of the two was checked.
This module sits above both, so that neither imports the other.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sgbench.boundary import ArgumentName, PathArg, public
from sgbench.dataset import MANIFEST_FILE
from sgbench.errors import InputError, shown_name
from sgbench.files import FromFiles, reads
from sgbench.leaderboard import SUBMISSION_FILE, SubmissionCheck, validate_submission
from sgbench.publish import DatasetCheck, check_dataset

FolderKind = Literal["dataset", "submission"]


@dataclass(frozen=True)
class FolderValidation(FromFiles):
    """The outcome of :func:`validate_folder`."""

    kind: FolderKind
    """Which kind of folder was checked."""
    path: Path
    """The folder checked."""
    problems: tuple[str, ...]
    """Every problem found, one line each; empty when valid."""
    dataset: DatasetCheck | None = None
    """The full dataset check (dataset folders only)."""
    submission: SubmissionCheck | None = None
    """The full submission check (submission folders only)."""
    against: bool = False
    """Whether a submission was checked against a dataset (not its format only)."""

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    def render(self) -> str:
        """Which folder was checked, then valid or one line per problem."""
        if self.dataset is not None:
            return self.dataset.render()
        where = shown_name(str(self.path))
        if self.ok and self.kind == "submission" and not self.against:
            # "valid" alone was read as "will be ranked", while every id may be unknown.
            return (
                f"{self.kind} folder {where}: valid in form; its ids, answers and "
                f"dataset_version are checked against a dataset with {_DATASET}, as the "
                "leaderboard does"
            )
        if self.ok:
            return f"{self.kind} folder {where}: valid"
        return "\n".join(
            [f"{self.kind} folder {where}: {len(self.problems)} problem(s)", *self.problems]
        )


def folder_kind(path: Path) -> FolderKind:
    """``dataset`` (has ``manifest.json``) or ``submission`` (has ``submission.json``).

    Raises:
        InputError: ``path`` is not a folder, has neither file, or has both.
    """
    where = shown_name(str(path))
    if not path.is_dir():
        raise InputError(f"{where}: not a folder")
    # Named, not necessarily readable: a FIFO, a folder or a dangling symlink in the file's
    # place is that kind's problem to report ("not a regular file"), not a missing file.
    is_dataset = os.path.lexists(path / MANIFEST_FILE)
    is_submission = os.path.lexists(path / SUBMISSION_FILE)
    if is_dataset and is_submission:
        raise InputError(
            f"{where}: has both {MANIFEST_FILE} and {SUBMISSION_FILE}; a folder is either a "
            "dataset or a submission"
        )
    if is_dataset:
        return "dataset"
    if is_submission:
        return "submission"
    raise InputError(
        f"{where}: neither a dataset folder (no {MANIFEST_FILE}) nor a submission folder "
        f"(no {SUBMISSION_FILE})"
    )


_DATASET = ArgumentName("dataset", "--dataset")


@public
@reads(path="PATH", dataset="--dataset")
def validate_folder(path: PathArg, dataset: PathArg | None = None) -> FolderValidation:
    """Check a dataset or submission folder and return every problem found.

    ``dataset``: for a submission folder, the built dataset to check its ids, answers and
    ``dataset_version`` against, as the leaderboard does; without it only the format is checked.

    Raises:
        InputError: not a folder of either kind, a ``dataset`` given with a dataset folder, or
            the dataset cannot be read.
    """
    folder = Path(path)
    kind = folder_kind(folder)
    if kind == "dataset":
        if dataset is not None:  # ignored, it read as "checked against that dataset"
            raise InputError(
                f"{shown_name(str(folder))}: a dataset folder is checked on its own; dataset has "
                "no effect on a dataset folder (it is for a submission folder): leave it out"
            )
        check = check_dataset(folder)
        return FolderValidation(
            kind, folder, tuple(str(problem) for problem in check.problems), check
        )
    submission = validate_submission(folder, dataset)
    return FolderValidation(
        kind, folder, submission.problems, submission=submission, against=dataset is not None
    )


__all__ = ["FolderValidation", "validate_folder"]
