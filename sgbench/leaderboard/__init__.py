"""The leaderboard: check submission folders, score and rank them, write the outputs.

``sgbench leaderboard SUBMISSIONS`` runs :func:`build_leaderboard` then :func:`write_leaderboard`;
``sgbench validate SUBMISSION_DIR`` runs :func:`validate_submission`. Modules:
:mod:`~sgbench.leaderboard.submission` (one folder's checks),
:mod:`~sgbench.leaderboard.ranking` (scoring, ranking and the rules),
:mod:`~sgbench.leaderboard.render` (Markdown, CSV, JSON, terminal) and
:mod:`~sgbench.leaderboard.page` (the self-contained ``index.html``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Final

from sgbench.errors import InputError
from sgbench.leaderboard.page import to_html
from sgbench.leaderboard.ranking import RULES, Leaderboard, Row, build_leaderboard
from sgbench.leaderboard.render import render_text, to_csv, to_json, to_markdown
from sgbench.leaderboard.submission import SUBMISSION_FILE, SubmissionCheck, validate_submission

JSON_FILE: Final = "leaderboard.json"
OUTPUT_FILES: Final = ("leaderboard.md", "leaderboard.csv", JSON_FILE, "index.html")
"""What :func:`write_leaderboard` writes, and nothing else."""


def render_files(board: Leaderboard) -> dict[str, str]:
    """File name → content of every output (see :data:`OUTPUT_FILES`)."""
    contents = (to_markdown(board), to_csv(board), to_json(board), to_html(board))
    return dict(zip(OUTPUT_FILES, contents, strict=True))


def _check_replaceable(out_dir: Path) -> None:
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise InputError(f"{out_dir}: exists and is not a folder")
    if any(out_dir.iterdir()) and not (out_dir / JSON_FILE).is_file():
        raise InputError(
            f"{out_dir}: refusing to replace a folder that is not an sgbench leaderboard "
            f"(no {JSON_FILE}); choose another --out"
        )


def write_leaderboard(board: Leaderboard, out_dir: str | Path) -> Path:
    """Write :data:`OUTPUT_FILES` into ``out_dir``, all or nothing.

    The files are written into a hidden sibling folder, which then replaces ``out_dir`` (only an
    earlier leaderboard folder, holding ``leaderboard.json``, or an empty one is replaced).

    Raises:
        InputError: ``out_dir`` is something else, or cannot be written.
    """
    target = Path(out_dir)
    _check_replaceable(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    except OSError as exc:
        raise InputError(f"{target}: cannot be written ({exc.strerror})") from None
    try:
        for name, content in render_files(board).items():
            (staging / name).write_text(content, encoding="utf-8", newline="\n")
        os.chmod(staging, 0o755)  # mkdtemp makes it private; a published page must be readable
        if target.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            target.replace(retired / target.name)
            staging.replace(target)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            staging.replace(target)
    except OSError as exc:
        raise InputError(f"{target}: cannot be written ({exc.strerror})") from None
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


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
