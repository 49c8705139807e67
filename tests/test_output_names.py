"""The rules of an output file's name (sgbench.files.check_output_name), applied first by every
writer, from Python and on the command line: a newline in the name, a folder (its name holding a
right-to-left override, U+202E, shown escaped) and a path in a folder that takes no new file
(/proc/self) are each refused with one line giving the true reason, nothing created (#15
H3-H5: run_benchmark and judge_files created 'r\\n1.jsonl', a folder read as 'the file has 2
names', /proc/self as a missing folder, synth's extension refusal spanned two lines). Also the
'wrote ...' summary lines name their paths escaped (#15 H2)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cli_contract import EVERY_OUTPUT, OUTPUT_SUFFIX, assert_one_error_line
from click.testing import CliRunner

from sgbench.builder import write_synthetic_sample
from sgbench.cli import main
from sgbench.errors import InputError, shown_name
from sgbench.judge import judge_files
from sgbench.runner import Endpoint, RetryPolicy, run_benchmark

CLOSED = Endpoint("http://127.0.0.1:9", timeout=1)  # never contacted: the name comes first
ONCE = RetryPolicy(max_attempts=1)
NO_NEW_FILE = "No such file or directory: its folder exists but takes no new file"
RLO = "\u202e"


def _run(dataset: Path, tmp: Path, **paths: Any) -> None:
    arguments = {"out_path": tmp / "r.jsonl", **paths}
    run_benchmark(
        dataset, model="m", endpoint=CLOSED, config="default", split="test_ood",
        template_name="paper", limit=1, policy=ONCE, show_progress=False,
        **arguments,
    )  # fmt: skip


def _judge(dataset: Path, tmp: Path, out: Path, sample: str) -> None:
    line = {"id": sample, "response": "Answer: 1", "model": "a"}
    (tmp / "a.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")
    (tmp / "b.jsonl").write_text(json.dumps({**line, "model": "b"}) + "\n", encoding="utf-8")
    judge_files(
        tmp / "a.jsonl", tmp / "b.jsonl", out, dataset=dataset,
        model="j", endpoint=CLOSED, policy=ONCE, show_progress=False,
    )  # fmt: skip


WRITERS: dict[str, tuple[str, Callable[[Path, Path, Path, str], object]]] = {
    "write_synthetic_sample": (".csv", lambda ds, tmp, out, _: write_synthetic_sample(out, n=50)),
    "run_benchmark out_path": (".jsonl", lambda ds, tmp, out, _: _run(ds, tmp, out_path=out)),
    "run_benchmark predictions_path": (
        ".jsonl",
        lambda ds, tmp, out, _: _run(ds, tmp, predictions_path=out),
    ),
    "judge_files out": (".jsonl", _judge),
}
"""Every Python writer of a file whose name no other check judges first (the ones through
check_outputs_replaceable name their option, worded elsewhere), with the suffix it takes."""


def _case(case: str, tmp_path: Path, suffix: str) -> tuple[Path, str]:
    """The output path of ``case`` and the reason its refusal ends with."""
    if case == "newline":
        path = tmp_path / f"r\n1{suffix}"
        return path, (
            f"{shown_name(str(path))}: an output name holding a control character (a newline, "
            "tab or escape) would break every line that names it; choose another name"
        )
    if case == "folder":
        path = tmp_path / f"f{RLO}x{suffix}"
        path.mkdir()
        return path, f"{shown_name(str(path))}: is a folder; give a file name"
    return Path(f"/proc/self/sgbench-new{suffix}"), f"({NO_NEW_FILE})"


@pytest.mark.parametrize("case", ["newline", "folder", "proc"])
@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_every_python_writer_refuses_a_bad_output_name_in_one_line(
    writer: str, case: str, built_default: Path, test_ood_ids: tuple[str, ...], tmp_path: Path
) -> None:
    suffix, write = WRITERS[writer]
    path, reason = _case(case, tmp_path, suffix)
    with pytest.raises(InputError) as caught:
        write(built_default, tmp_path, path, test_ood_ids[0])
    message = str(caught.value)
    assert len(message.splitlines()) == 1, message
    assert RLO not in message
    assert reason in message, message
    assert "does not exist" not in message
    assert "hard links" not in message
    assert [p.name for p in tmp_path.iterdir() if "\n" in p.name] == []


FILE_OUTPUTS = [
    name
    for name in EVERY_OUTPUT
    if not name.startswith(("build ", "leaderboard ", "stats ", "export "))
]


@pytest.mark.parametrize("case", ["newline", "folder", "proc"])
@pytest.mark.parametrize("output", FILE_OUTPUTS)
def test_every_command_refuses_a_bad_output_name_in_one_line(
    output: str, case: str, command_folder: Path
) -> None:
    if case == "proc" and output in ("judge-report --json", "judge --out"):
        # Their inputs in command_folder are refused before the write (judge_files' own
        # /proc case is the Python test's).
        pytest.skip("inputs refused first")
    suffix = OUTPUT_SUFFIX.get(output, ".json")
    path, reason = _case(case, command_folder, suffix)
    if case == "newline":  # refused as every argument holding one, before any command runs
        reason = "holds a control character (a newline, tab or escape)"
    args = [str(path) if arg == "OUT" else arg for arg in EVERY_OUTPUT[output]]
    result = CliRunner().invoke(main, args)
    line = assert_one_error_line(result, reason)
    assert RLO not in line
    assert "does not exist" not in line
    assert "hard links" not in line
    assert [p.name for p in command_folder.iterdir() if "\n" in p.name] == []


def test_the_wrote_lines_show_names_escaped(built_default: Path, tmp_path: Path) -> None:
    """synth, stats and export lm-eval printed the name raw: U+202E reordered the line."""
    runner = CliRunner()
    commands = {
        f"a{RLO}vsc.exe.csv": ["synth", "--out"],
        f"s{RLO}x": ["stats", "--dataset", str(built_default), "--out"],
        f"e{RLO}x": ["export", "lm-eval", "--dataset", str(built_default.resolve()), "--out"],
    }
    for name, command in commands.items():
        result = runner.invoke(main, [*command, str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        wrote = [line for line in result.stderr.splitlines() if line.startswith("wrote ")]
        assert len(wrote) == 1, result.stderr
        assert RLO not in wrote[0]
        assert shown_name(str(tmp_path / name)) in wrote[0]


@pytest.mark.parametrize("case", ["folder", "missing folder"])
@pytest.mark.parametrize("writer", sorted(set(WRITERS) - {"write_synthetic_sample"}))
def test_an_appending_writer_judges_its_output_name_before_reading(
    writer: str, case: str, test_ood_ids: tuple[str, ...], tmp_path: Path
) -> None:
    """run_benchmark and judge_files judged an output's name (a folder, a missing folder) only
    when taking its lock, after reading the dataset (seconds on a full build): here the dataset
    is missing, and the output's reason still comes first. (A folder that takes no new file,
    /proc/self, is found only by creating the lock file: before any request, not before the
    reading.)"""
    suffix, write = WRITERS[writer]
    if case == "folder":
        path, reason = _case(case, tmp_path, suffix)
    else:
        path = tmp_path / "typo" / f"r{suffix}"
        reason = f"{path}: its folder {path.parent} does not exist"
    missing = tmp_path / "no-dataset"
    with pytest.raises(InputError) as caught:
        write(missing, tmp_path, path, test_ood_ids[0])
    assert reason in str(caught.value)
    assert "no-dataset" not in str(caught.value)
    assert not (tmp_path / "typo").exists()
