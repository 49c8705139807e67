"""A full disk under stdout (`sgbench prompts > /dev/full`) is one `Error:` line and exit code 2
on every command that prints (`sgbench.cli.errors.SgbenchGroup`), not a traceback; also for
`--help` and `--version`, which click writes before any command runs (the group's own gave a
traceback and exit code 1, a command's `--help` a second message at exit and exit code 120).

A standard output open for reading only (`1<file`) is refused before any work (every command,
`--help` and `--version` too, ended with a traceback and exit code 120), and a standard error
open for reading only (`2<file`) is taken as closed: exit code 2, not 1."""

from __future__ import annotations

import resource
import subprocess
from pathlib import Path

import pytest
from cli_contract import module_command, module_environment, run_module

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


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_read_only_stdout_is_one_line(command: str, built_default: Path, tmp_path: Path) -> None:
    (tmp_path / "ds").symlink_to(built_default)
    kept = tmp_path / "kept.txt"
    kept.write_text("kept\n", encoding="utf-8")
    with kept.open("rb") as reading:
        done = run_module(COMMANDS[command], tmp_path, stdout=reading)
    assert done.returncode == 2, done.stderr
    # The group's own --help and --version too: the rule is checked before click runs anything
    # (they were a failed write, `cannot write standard output (Bad file descriptor)`).
    expected = (
        "Error: standard output is open for reading only (1<file); redirect it with > to a "
        "file or /dev/null instead"
    )
    assert done.stderr.splitlines() == [expected]
    assert kept.read_text(encoding="utf-8") == "kept\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["ds", "kept.txt"]


@pytest.mark.parametrize(
    "args",
    [["prompts", "--dataset", "no-such-folder"], ["prompts", "--split", "no-such-split"]],
    ids=["sgbench error", "usage error"],
)
def test_a_read_only_stderr_is_exit_code_2(args: list[str], tmp_path: Path) -> None:
    kept = tmp_path / "kept.txt"
    kept.write_text("kept\n", encoding="utf-8")
    with kept.open("rb") as reading:
        done = subprocess.run(
            module_command(args),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=reading,
            env=module_environment(),
            timeout=120,
            check=False,
        )
    assert done.returncode == 2
    assert done.stdout == b""
    assert kept.read_text(encoding="utf-8") == "kept\n"


def _limit_to(size: int) -> None:
    """``ulimit -f`` (RLIMIT_FSIZE) at ``size`` bytes, set in the child before it runs."""
    _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))


def test_stdout_cut_at_the_file_size_limit_is_one_line(built_default: Path, tmp_path: Path) -> None:
    """``sgbench baseline ... > out.jsonl`` under ``ulimit -f``: the write up to the limit
    returned short, the next one's error was dropped, and the command ended with exit code 0
    and a file cut at the limit. An output under the limit is written whole, exit code 0."""
    (tmp_path / "ds").symlink_to(built_default)
    args = ["baseline", "majority", "--dataset", "ds"]
    whole = run_module(args, tmp_path, stdout=subprocess.PIPE).stdout.encode()
    assert len(whole) > 4096
    outcomes = {}
    for size in (4096, len(whole) + 1):
        with open(tmp_path / f"{size}.jsonl", "wb") as out:
            done = run_module(
                args, tmp_path, stdout=out, preexec_fn=lambda size=size: _limit_to(size)
            )
        outcomes[size] = (done.returncode, done.stderr.splitlines()[-1])
        assert (tmp_path / f"{size}.jsonl").read_bytes() == whole[:size]
    assert outcomes[4096] == (
        2,
        "Error: cannot write standard output (File too large: the file size limit of this "
        "process, 4,096 bytes (ulimit -f, RLIMIT_FSIZE), was hit; raise it)",
    )
    assert outcomes[len(whole) + 1][0] == 0
