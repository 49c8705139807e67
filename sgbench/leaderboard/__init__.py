"""The leaderboard: check submission folders, score and rank them, write the outputs.

``sgbench leaderboard SUBMISSIONS`` runs :func:`build_leaderboard` then :func:`write_leaderboard`;
``sgbench validate SUBMISSION_DIR`` runs :func:`validate_submission`. Modules:
:mod:`~sgbench.leaderboard.submission` (one folder's checks),
:mod:`~sgbench.leaderboard.ranking` (scoring, ranking and the rules),
:mod:`~sgbench.leaderboard.render` (Markdown, CSV, JSON, terminal) and
:mod:`~sgbench.leaderboard.page` (the self-contained ``index.html``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from sgbench.boundary import ArgumentName, PathArg, public
from sgbench.files import replace_folder, writes
from sgbench.leaderboard.page import to_html
from sgbench.leaderboard.ranking import RULES, Leaderboard, Row, build_leaderboard
from sgbench.leaderboard.render import render_text, to_csv, to_json, to_markdown
from sgbench.leaderboard.submission import SUBMISSION_FILE, SubmissionCheck, validate_submission

JSON_FILE: Final = "leaderboard.json"
OUTPUT_FILES: Final = ("leaderboard.md", "leaderboard.csv", JSON_FILE, "index.html")
"""What :func:`write_leaderboard` writes, and nothing else."""


@public
def render_files(board: Leaderboard) -> dict[str, str]:
    """File name → content of every output (see :data:`OUTPUT_FILES`)."""
    contents = (to_markdown(board), to_csv(board), to_json(board), to_html(board))
    return dict(zip(OUTPUT_FILES, contents, strict=True))


@public
@writes(out_dir="--out")
def write_leaderboard(board: Leaderboard, out_dir: PathArg) -> Path:
    """Write :data:`OUTPUT_FILES` into ``out_dir``, all or nothing, through
    :func:`sgbench.files.replace_folder` (only an earlier leaderboard output or an empty folder
    is replaced).

    Raises:
        InputError: ``out_dir`` is something else, or cannot be written; or it is, lies in or
            holds the submissions folder or the dataset ``board`` was built from
            (:func:`~sgbench.files.writes`: written there, the board became a submission of
            the next build).
    """

    def write(staging: Path) -> None:
        for name, content in render_files(board).items():
            (staging / name).write_text(content, encoding="utf-8", newline="\n")

    return replace_folder(
        out_dir, "leaderboard", write, what="leaderboard", name=ArgumentName("out_dir", "--out")
    )


__all__ = [
    "OUTPUT_FILES",
    "RULES",
    "SUBMISSION_FILE",
    "Leaderboard",
    "Row",
    "SubmissionCheck",
    "build_leaderboard",
    "render_files",
    "render_text",
    "validate_submission",
    "write_leaderboard",
]
