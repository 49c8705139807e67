"""A full disk under stdout (`sgbench prompts > /dev/full`) is one `Error:` line and exit code 2
on every command that prints (`sgbench.cli.errors.SgbenchGroup`), not a traceback; also for
`--help` and `--version`, which click writes before any command runs (the group's own gave a
traceback and exit code 1, a command's `--help` a second message at exit and exit code 120)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_contract import run_module

COMMANDS: dict[str, list[str]] = {
    "prompts": ["prompts", "--dataset", "ds"],
    "export sft": ["export", "sft", "--dataset", "ds"],
    "baseline": ["baseline", "majority", "--dataset", "ds"],
    "validate": ["validate", "ds"],
    "--help": ["--help"],
    "--version": ["--version"],
    "score --help": ["score", "--help"],
    "export lm-eval --help": ["export", "lm-eval", "--help"],
}


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_full_stdout_is_one_line(command: str, built_default: Path, tmp_path: Path) -> None:
    (tmp_path / "ds").symlink_to(built_default)
    with open("/dev/full", "w") as full:
        done = run_module(COMMANDS[command], tmp_path, stdout=full)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        "Error: cannot write standard output (No space left on device)"
    ]
