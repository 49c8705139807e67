"""File names at and past the file system's limit (255 bytes).

A legal output name of 250 bytes is written by every command: the hidden sibling written first
(a temporary file, a staging folder, a lock) is named by `sgbench.files.hidden_name`, which
shortens it (it used to add ``.<pid>.tmp`` and fail on a name the command had accepted, with a
traceback). A name past the limit, anywhere a path is taken, is one `Error:` line naming it
(the CLI's one OSError rule in `sgbench.cli.errors`): Python's ``Path.exists()`` and
``is_dir()`` raise on it, which crashed `score --dataset`, `prompts`, `run --out` and more."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_contract import assert_one_error_line
from click.testing import CliRunner

from sgbench.cli import main
from sgbench.files import NAME_MAX, hidden_name

NO_CI = ["--bootstrap", "0", "--permutations", "0"]
SCORE = ["score", "p.jsonl", "--dataset", "ds", *NO_CI]
IMPORT = ["import", "paper-outputs", "src.jsonl", "--dataset", "ds"]
RUN = ["run", "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--dataset", "ds"]


@pytest.fixture
def workdir(command_folder: Path) -> Path:
    return command_folder


# Each output, with the suffix its name needs (LONG is replaced by a 250-byte name).
OUTPUTS: dict[str, tuple[list[str], str]] = {
    "score --json": ([*SCORE, "--json", "LONG"], ".json"),
    "score --plot": ([*SCORE, "--plot", "LONG"], ".svg"),
    "import paper-outputs --out": ([*IMPORT, "--out", "LONG"], ".jsonl"),
    "synth --out": (["synth", "--out", "LONG"], ".csv"),
    "build --out": (["build", "--quiet", "--out", "LONG"], ""),
    "stats --out": (["stats", "--dataset", "ds", "--out", "LONG"], ""),
}


@pytest.mark.parametrize("case", sorted(OUTPUTS))
def test_a_long_legal_output_name_is_written(case: str, workdir: Path) -> None:
    args, suffix = OUTPUTS[case]
    name = "é" * ((250 - len(suffix)) // 2) + suffix  # two bytes a character: 250 bytes
    result = CliRunner().invoke(main, [name if arg == "LONG" else arg for arg in args])
    assert result.exit_code == 0, result.output
    assert (workdir / name).exists()
    assert not [p.name for p in workdir.iterdir() if p.name.startswith(".")]


TOO_LONG = "z" * 300

# Every place a path is taken, with PATH for the one past the limit.
PATHS: dict[str, list[str]] = {
    "score --dataset": ["score", "p.jsonl", "--dataset", "PATH"],
    "score --dataset inside": ["score", "p.jsonl", "--dataset", "ds/PATH"],
    "score --json": [*SCORE, "--json", "PATH"],
    "score --plot": [*SCORE, "--plot", "PATH.png"],
    "import paper-outputs --report": [*IMPORT, "--out", "o.jsonl", "--report", "PATH"],
    "baseline --dataset": ["baseline", "majority", "--dataset", "PATH"],
    "parse --dataset": ["parse", "p.jsonl", "--dataset", "PATH"],
    "paper-table NAME=": ["paper-table", "x=PATH"],
    "import paper-outputs SOURCE": [*IMPORT[:2], "PATH", *IMPORT[3:], "--out", "o.jsonl"],
    "import paper-outputs --out": [*IMPORT, "--out", "PATH"],
    "synth --out": ["synth", "--out", "PATH.csv"],
    "prompts --dataset": ["prompts", "--dataset", "PATH"],
    "run --out": [*RUN, "--out", "PATH"],
}


@pytest.mark.parametrize("case", sorted(PATHS))
def test_a_name_past_the_limit_is_one_error_line(case: str, workdir: Path) -> None:
    args = [arg.replace("PATH", TOO_LONG) for arg in PATHS[case]]
    line = assert_one_error_line(CliRunner().invoke(main, args), "zzzz")
    # An output's check said "exists and cannot be read (File name too long)" of no file.
    assert "exists" not in line
    assert not [p.name for p in workdir.iterdir() if p.name.startswith(".")]


def test_hidden_names_stay_legal() -> None:
    for name in ["a", "é" * 127, "z" * 255]:
        hidden = hidden_name(Path(name), "12345.tmp")
        assert len(hidden.encode()) <= NAME_MAX - 16
        assert hidden.startswith("." + name[:10])
        assert hidden.endswith(".12345.tmp")
    assert hidden_name(Path("dir/r.json"), "lock") == ".r.json.lock"
