"""An output path that exists as a FIFO (or a device, a socket) is refused with one line and left
as it was (`sgbench.files.check_output_file`): the atomic rename used to replace it with a
regular file, which as root turned `--json /dev/full` into a plain file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from sgbench.cli import main
from sgbench.errors import InputError
from sgbench.files import OutputKind, write_atomic

SCORE = ["score", "p.jsonl", "--dataset", "ds", "--bootstrap", "0", "--permutations", "0"]

CASES: dict[str, list[str]] = {
    "score --json": [*SCORE, "--json", "out.fifo"],
    "score --plot": [*SCORE, "--plot", "out.png"],
    "synth --out": ["synth", "--out", "out.csv"],
}

ANY_TEXT = OutputKind("a text file", lambda head: True)
"""A kind any file is of: these tests are about other rules of write_atomic."""


@pytest.mark.parametrize("case", sorted(CASES))
def test_no_command_replaces_a_fifo_with_its_output(case: str, command_folder: Path) -> None:
    tmp_path = command_folder
    target = CASES[case][-1]
    os.mkfifo(tmp_path / target)
    result = CliRunner().invoke(main, CASES[case])
    assert result.exit_code == 2, result.output
    # One line, naming the option (refused while it is parsed: files.check_output_name) and
    # the file.
    assert result.output.startswith("Error: Invalid value for "), result.output
    assert f": {target}: not a regular file" in result.output
    assert result.output.count("\n") == 1, result.output
    assert "Traceback" not in result.output
    assert stat.S_ISFIFO((tmp_path / target).lstat().st_mode)
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_write_atomic_refuses_a_fifo_and_still_writes_a_file(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "f")
    with pytest.raises(InputError, match="not a regular file"):
        write_atomic(tmp_path / "f", "x", kind=ANY_TEXT)
    assert stat.S_ISFIFO((tmp_path / "f").lstat().st_mode)
    write_atomic(tmp_path / "g", "x", kind=ANY_TEXT)
    write_atomic(tmp_path / "g", "y", kind=ANY_TEXT)
    assert (tmp_path / "g").read_text(encoding="utf-8") == "y"


RUN = ["run", "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--dataset", "ds"]
IMPORT = ["import", "paper-outputs", "src.jsonl", "--dataset", "ds"]
STREAM_CASES: dict[str, list[str]] = {
    **CASES,
    "judge-report --json": ["judge-report", "p.jsonl", "--json", "out.json"],
    "run --out": [*RUN, "--out", "out.jsonl"],
    "import paper-outputs --report": [*IMPORT, "--out", "i.jsonl", "--report", "out.json"],
}


@pytest.mark.parametrize("case", sorted(STREAM_CASES))
def test_a_symlink_the_system_follows_to_a_pipe_is_named_as_one(
    case: str, command_folder: Path
) -> None:
    """`--json /dev/stdout` with standard output on a pipe: the link leads to `pipe:[N]`, which
    no path names, and was refused as "a symlink to nothing; create its target". It is a pipe:
    the line says so and points at `-`. The link and the pipe are left as they were."""
    target = STREAM_CASES[case][-1]
    read_end, write_end = os.pipe()
    try:
        (command_folder / target).symlink_to(f"/proc/self/fd/{write_end}")
        result = CliRunner().invoke(main, STREAM_CASES[case])
    finally:
        os.close(read_end)
        os.close(write_end)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("Error: Invalid value for "), result.output
    assert f": {target}: not a regular file (a pipe or a socket" in result.output
    assert result.output.count("\n") == 1, result.output
    assert "write - where the help allows it" in result.output
    assert "Traceback" not in result.output
    assert (command_folder / target).is_symlink()
