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
    assert f"Error: {target}: not a regular file" in result.output
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
