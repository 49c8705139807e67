"""A full disk under stdout (`sgbench prompts > /dev/full`) is one `Error:` line and exit code 2
on every command that prints (`sgbench.cli.errors.SgbenchGroup`), not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import sgbench

ROOT = Path(sgbench.__file__).resolve().parent.parent

COMMANDS: dict[str, list[str]] = {
    "prompts": ["prompts", "--dataset", "ds"],
    "export sft": ["export", "sft", "--dataset", "ds"],
    "baseline": ["baseline", "majority", "--dataset", "ds"],
    "validate": ["validate", "ds"],
}


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_full_stdout_is_one_line(command: str, built_default: Path, tmp_path: Path) -> None:
    (tmp_path / "ds").symlink_to(built_default)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "sgbench", *COMMANDS[command]],
            cwd=tmp_path,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        "Error: cannot write standard output (No space left on device)"
    ]
