"""An output that is a symlink (`sgbench.files.check_output_file`, called by
`check_outputs_apart` before any work and by `write_atomic` when writing): a symlink to nothing
is one `Error:` line on every command and stays as it was (it used to become a regular file,
exit 0); a symlink to a file is written through, so the link stays and its target is the
output."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_contract import EVERY_OUTPUT, OUTPUT_SUFFIX, assert_one_error_line
from click.testing import CliRunner

from sgbench.cli import main
from sgbench.errors import InputError
from sgbench.files import OutputKind, check_output_file, write_atomic

NO_CI = ["--bootstrap", "0", "--permutations", "0"]
SCORE = ["score", "p.jsonl", "--dataset", "ds", *NO_CI]
IMPORT = ["import", "paper-outputs", "src.jsonl", "--dataset", "ds"]

# Every command's file and folder outputs; OUT is the dangling symlink.
CASES = EVERY_OUTPUT
SUFFIX = OUTPUT_SUFFIX

ANY_TEXT = OutputKind("a text file", lambda head: True)
"""A kind any file is of: these tests are about other rules of write_atomic."""


@pytest.fixture
def workdir(command_folder: Path) -> Path:
    return command_folder


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_symlink_to_nothing_is_refused_as_any_output(case: str, workdir: Path) -> None:
    link = workdir / f"out{SUFFIX.get(case, '.json')}"
    link.symlink_to(workdir / "gone" / "target")
    args = [link.name if arg == "OUT" else arg for arg in CASES[case]]
    assert_one_error_line(CliRunner().invoke(main, args), link.name, "a symlink to nothing")
    assert link.is_symlink()
    assert not (workdir / "gone").exists()
    assert not [p.name for p in workdir.iterdir() if p.name.startswith(".")]


WRITTEN_THROUGH: dict[str, list[str]] = {
    "score --json": [*SCORE, "--json", "OUT"],
    "score --plot": [*SCORE, "--plot", "OUT"],
    "import paper-outputs --out": [*IMPORT, "--out", "OUT"],
}


EARLIER_IMPORT = '{"id": "x", "response": "", "template": "paper-released", "custom_id": "x"}\n'


@pytest.mark.parametrize("case", sorted(WRITTEN_THROUGH))
def test_a_symlink_to_a_file_is_written_through(case: str, workdir: Path) -> None:
    suffix = SUFFIX.get(case, ".json")
    (workdir / "keep").mkdir()
    target = workdir / "keep" / f"real{suffix}"
    # Each replaces only its own earlier output (files.check_replaceable).
    old = {
        "import paper-outputs --out": EARLIER_IMPORT,
        "score --json": '{"sgbench_version": "0", "dataset": {}, "split": "t", '
        '"predictions_sha256": "0"}\n',
        "score --plot": '<?xml version="1.0"?>\n<svg><metadata><dc:creator><cc:Agent>'
        "<dc:title>sgbench</dc:title>",
    }[case]
    target.write_text(old, encoding="utf-8")
    link = workdir / f"out{suffix}"
    link.symlink_to(target)
    args = [link.name if arg == "OUT" else arg for arg in WRITTEN_THROUGH[case]]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert link.is_symlink()
    assert link.resolve() == target
    assert target.read_text(encoding="utf-8") != old
    assert not [p.name for p in (workdir / "keep").iterdir() if p.name.startswith(".")]


def test_write_atomic_through_links(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("old", encoding="utf-8")
    (tmp_path / "link").symlink_to("a")
    (tmp_path / "chain").symlink_to("link")
    write_atomic(tmp_path / "chain", "new", kind=ANY_TEXT)
    assert (tmp_path / "a").read_text(encoding="utf-8") == "new"
    assert (tmp_path / "chain").is_symlink()
    assert (tmp_path / "link").is_symlink()
    assert check_output_file(tmp_path / "a") == tmp_path / "a"
    assert check_output_file(tmp_path / "new") == tmp_path / "new"
    (tmp_path / "dangling").symlink_to("nowhere/x")
    with pytest.raises(InputError, match="a symlink to nothing"):
        write_atomic(tmp_path / "dangling", "x", kind=ANY_TEXT)
    (tmp_path / "loop").symlink_to("loop")
    with pytest.raises(InputError, match="symlink loop"):
        write_atomic(tmp_path / "loop", "x", kind=ANY_TEXT)
