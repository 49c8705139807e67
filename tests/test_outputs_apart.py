"""No command writes over what it reads (`sgbench.files.check_outputs_apart`), tried on every
command that takes inputs and writes files or folders: an output equal to an input (also through
a symlink or a hard link), inside a dataset folder it reads, or a folder holding an input is one
`Error:` line naming both, and nothing on disk changes."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from cli_contract import assert_one_error_line
from click.testing import CliRunner

from sgbench.boundary import ArgumentName
from sgbench.cli import main
from sgbench.errors import InputError
from sgbench.files import FromFiles, check_output_folder, check_outputs_apart, reads, writes

URL = "http://127.0.0.1:9/v1"  # never contacted: the check comes first
INSIDE_A_DATASET = "ds (the dataset folder)"
"""An output inside the dataset read: refused, as inside any dataset folder, when its option is
read (sgbench.files.check_parent), before the inputs are compared."""

CASES: dict[str, tuple[list[str], str]] = {
    "score --json PRED": (
        ["score", "p.jsonl", "--dataset", "ds", "--json", "p.jsonl"],
        "PRED",
    ),
    "score --json via symlink": (
        ["score", "p.jsonl", "--dataset", "ds", "--json", "link.jsonl"],
        "PRED",
    ),
    "score --json via hard link": (
        ["score", "p.jsonl", "--dataset", "ds", "--json", "hard.jsonl"],
        "PRED",
    ),
    "score --json into the dataset": (
        ["score", "p.jsonl", "--dataset", "ds", "--json", "ds/manifest.json"],
        INSIDE_A_DATASET,
    ),
    "score --plot PRED": (
        ["score", "p.jsonl", "--dataset", "ds", "--plot", "p.jsonl"],
        "PRED",
    ),
    "judge-report --json JUDGMENTS": (
        ["judge-report", "p.jsonl", "--json", "p.jsonl"],
        "JUDGMENTS",
    ),
    "run --out = --predictions": (
        [
            "run",
            "--base-url",
            URL,
            "--model",
            "m",
            "--dataset",
            "ds",
            "--out",
            "r.jsonl",
            "--predictions",
            "r.jsonl",
        ],
        "--out",
    ),
    "run --predictions into the dataset": (
        [
            "run",
            "--base-url",
            URL,
            "--model",
            "m",
            "--dataset",
            "ds",
            "--out",
            "r.jsonl",
            "--predictions",
            "ds/manifest.json",
        ],
        INSIDE_A_DATASET,
    ),
    "run --out into the dataset": (
        [
            "run",
            "--base-url",
            URL,
            "--model",
            "m",
            "--dataset",
            "ds",
            "--out",
            "ds/r.jsonl",
        ],
        INSIDE_A_DATASET,
    ),
    "run --out = --template": (
        [
            "run",
            "--base-url",
            URL,
            "--model",
            "m",
            "--dataset",
            "ds",
            "--template",
            "t.txt",
            "--out",
            "t.txt",
        ],
        "--template",
    ),
    "judge --out A": (
        [
            "judge",
            "p.jsonl",
            "b.jsonl",
            "--base-url",
            URL,
            "--model",
            "j",
            "--dataset",
            "ds",
            "--out",
            "p.jsonl",
        ],
        "A",
    ),
    "judge --out B": (
        [
            "judge",
            "p.jsonl",
            "b.jsonl",
            "--base-url",
            URL,
            "--model",
            "j",
            "--dataset",
            "ds",
            "--out",
            "b.jsonl",
        ],
        "B",
    ),
    "leaderboard --out SUBMISSIONS": (
        ["leaderboard", "subs", "--dataset", "ds", "--out", "subs"],
        "SUBMISSIONS",
    ),
    "leaderboard --out inside SUBMISSIONS": (
        ["leaderboard", "subs", "--dataset", "ds", "--out", "subs/board"],
        "SUBMISSIONS",
    ),
    "leaderboard --out the dataset": (
        ["leaderboard", "subs", "--dataset", "ds", "--out", "ds"],
        "--dataset",
    ),
    "export lm-eval --out the dataset": (
        ["export", "lm-eval", "--dataset", "ds", "--out", "ds"],
        "--dataset",
    ),
    "export lm-eval --out holding the template": (
        [
            "export",
            "lm-eval",
            "--dataset",
            "ds",
            "--template",
            "tpl/t.txt",
            "--out",
            "tpl",
        ],
        "--template",
    ),
    "stats --out the dataset": (
        ["stats", "--dataset", "ds", "--out", "ds"],
        "--dataset",
    ),
    "stats --out inside the dataset": (
        ["stats", "--dataset", "ds", "--out", "ds/data"],
        INSIDE_A_DATASET,
    ),
    "build --out holding --wvs": (
        ["build", "--quiet", "--wvs", "tpl/t.txt", "--out", "tpl"],
        "--wvs",
    ),
    "import paper-outputs --out SOURCE": (
        ["import", "paper-outputs", "p.jsonl", "--dataset", "ds", "--out", "p.jsonl"],
        "SOURCE",
    ),
    "import paper-outputs --report = --out": (
        [
            "import",
            "paper-outputs",
            "p.jsonl",
            "--dataset",
            "ds",
            "--out",
            "r.jsonl",
            "--report",
            "r.jsonl",
        ],
        "--out",
    ),
    "build --out holding --config": (
        ["build", "--quiet", "--config", "tpl/t.txt", "--out", "tpl"],
        "--config",
    ),
}


def snapshot(folder: Path) -> dict[str, bytes | str]:
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() else "dir")
        for p in sorted(folder.rglob("*"))
    }


@pytest.mark.parametrize("case", sorted(CASES))
def test_no_command_writes_over_its_inputs(
    case: str, built_default: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(built_default, tmp_path / "ds")
    (tmp_path / "p.jsonl").write_text('{"id": "x", "response": "a"}\n', encoding="utf-8")
    (tmp_path / "b.jsonl").write_text('{"id": "x", "response": "b"}\n', encoding="utf-8")
    (tmp_path / "t.txt").write_text("{question}\n", encoding="utf-8")
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "t.txt").write_text("{question}\n", encoding="utf-8")
    (tmp_path / "subs").mkdir()
    (tmp_path / "link.jsonl").symlink_to(tmp_path / "p.jsonl")
    os.link(tmp_path / "p.jsonl", tmp_path / "hard.jsonl")
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    args, named = CASES[case]
    line = assert_one_error_line(CliRunner().invoke(main, args))
    if named == INSIDE_A_DATASET:
        assert "lies inside the dataset folder ds;" in line, line
    else:
        assert "would overwrite the input" in line or "is also" in line, line
        assert f"({named})" in line or named == "--out", line
    assert snapshot(tmp_path) == before


def test_apart_paths_pass(tmp_path: Path) -> None:
    (tmp_path / "p.jsonl").write_text("x", encoding="utf-8")
    check_outputs_apart(
        [("PRED", tmp_path / "p.jsonl"), ("--dataset", tmp_path / "ds"), ("--x", None)],
        [("--json", tmp_path / "r.json"), ("--plot", tmp_path / "r.png"), ("--y", "-")],
    )
    with pytest.raises(InputError, match="--plot is also --json"):
        check_outputs_apart([], [("--json", tmp_path / "r"), ("--plot", tmp_path / "r")])


@dataclass(frozen=True)
class _Read(FromFiles):
    text: str


@reads(path="PRED", dataset="--dataset")
def _read(path: str, dataset: str) -> _Read:
    return _Read(Path(path).read_text(encoding="utf-8"))


@writes(out="--json")
def _write(result: _Read, out: str) -> None:
    Path(out).write_text(result.text, encoding="utf-8")


def test_a_local_path_spelled_with_a_scheme_is_an_input_a_hub_id_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every reader takes any text but ``hf://org/name`` as a local path, so ``a://ds`` (the
    folder ``a:/ds``) is recorded like any other, and a writer keeps out of it: skipping every
    text holding ``://`` left it unrecorded, and ``write_report`` wrote into the dataset."""
    (tmp_path / "a:" / "ds").mkdir(parents=True)
    (tmp_path / "p.txt").write_text("x", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = _read("p.txt", "a://ds")
    path, dataset = ArgumentName("path", "PRED"), ArgumentName("dataset", "--dataset")
    assert result.read_from == (
        (path, str(tmp_path / "p.txt")),
        (dataset, str(tmp_path / "a:" / "ds")),
    )
    with pytest.raises(
        InputError, match=r"^a://ds/r\.json: out would overwrite the input .*/a:/ds \(dataset\)"
    ):
        _write(result, "a://ds/r.json")
    assert list((tmp_path / "a:" / "ds").iterdir()) == []
    assert _read("p.txt", "hf://org/name").read_from == ((path, str(tmp_path / "p.txt")),)


@pytest.mark.parametrize("b", ["p.jsonl", "./p.jsonl", "link.jsonl", "hard.jsonl"])
def test_judge_refuses_a_file_against_itself(
    b: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "p.jsonl").write_text('{"id": "x", "response": "a"}\n', encoding="utf-8")
    (tmp_path / "link.jsonl").symlink_to(tmp_path / "p.jsonl")
    os.link(tmp_path / "p.jsonl", tmp_path / "hard.jsonl")
    monkeypatch.chdir(tmp_path)
    args = ["judge", "p.jsonl", b, "--base-url", URL, "--model", "j", "--out", "j.jsonl"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: p.jsonl, ")
    assert "A and B are the same file" in result.stderr
    assert not (tmp_path / "j.jsonl").exists()


@pytest.mark.parametrize("option", ["--json", "--plot"])
def test_an_output_that_is_a_symlink_loop_is_one_line(
    option: str, built_default: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "p.jsonl").write_text('{"id": "x", "answer": 1}\n', encoding="utf-8")
    (tmp_path / "loop.png").symlink_to("loop.png")
    monkeypatch.chdir(tmp_path)
    args = ["score", "p.jsonl", "--dataset", str(built_default), option, "loop.png"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    # Refused while the option is parsed (the one output-name rule, files.check_output_name),
    # so click names the option: one line all the same.
    assert result.stderr == (
        f"Error: Invalid value for '{option}': loop.png: a symlink loop (or a path that cannot "
        "be resolved) (see 'main score --help')\n"
    )


SIDECAR_CASES: dict[str, tuple[list[str], str]] = {
    "run --predictions = lock of --out": (
        [
            "run",
            "--base-url",
            URL,
            "--model",
            "m",
            "--dataset",
            "ds",
            "--out",
            "r.jsonl",
            "--predictions",
            ".r.jsonl.lock",
        ],
        "--predictions is the lock file of r.jsonl (--out)",
    ),
    "run --out = lock of --predictions, through ../": (
        [
            "run",
            "--base-url",
            URL,
            "--model",
            "m",
            "--dataset",
            "ds",
            "--out",
            "tpl/../.q.jsonl.lock",
            "--predictions",
            "q.jsonl",
        ],
        "--out is the lock file of q.jsonl (--predictions)",
    ),
    "import paper-outputs --out = lock of --report": (
        [
            "import",
            "paper-outputs",
            "p.jsonl",
            "--dataset",
            "ds",
            "--out",
            ".r.json.lock",
            "--report",
            "r.json",
        ],
        "--out is the lock file of r.json (--report)",
    ),
    "judge --out = lock of A": (
        [
            "judge",
            "p.jsonl",
            "b.jsonl",
            "--base-url",
            URL,
            "--model",
            "j",
            "--dataset",
            "ds",
            "--out",
            ".p.jsonl.lock",
        ],
        "--out is the lock file of p.jsonl (A)",
    ),
    "score --plot = lock of --json": (
        ["score", "p.jsonl", "--dataset", "ds", "--json", "r.json", "--plot", ".r.json.lock"],
        "--plot is the lock file of r.json (--json)",
    ),
}


@pytest.mark.parametrize("case", sorted(SIDECAR_CASES))
def test_an_output_is_never_the_lock_file_of_another_path(
    case: str, built_default: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lock file is sgbench's and always empty: an output written at the lock name of another
    file of the command (`run --out r.jsonl --predictions .r.jsonl.lock` renamed its predictions
    over the lock it held, exit 0) is refused before any work."""
    shutil.copytree(built_default, tmp_path / "ds")
    (tmp_path / "p.jsonl").write_text('{"id": "x", "response": "a"}\n', encoding="utf-8")
    (tmp_path / "b.jsonl").write_text('{"id": "x", "response": "b"}\n', encoding="utf-8")
    (tmp_path / "tpl").mkdir()
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    args, expected = SIDECAR_CASES[case]
    assert_one_error_line(CliRunner().invoke(main, args), expected)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("spelling", ["/", "//", "/tmp/..", "."])
@pytest.mark.parametrize("command", ["build", "stats", "leaderboard", "export lm-eval"])
def test_an_output_folder_at_the_root_is_refused_not_a_crash(
    command: str,
    spelling: str,
    built_default: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The root folder has no name and so no lock file beside it: `build --out /` (or `//`,
    `/tmp/..`, `--out .` run from `/`) crashed with a ValueError while looking for one. Every
    command writing a folder refuses it as any folder above the working one, exit code 2."""
    (tmp_path / "subs").mkdir()
    monkeypatch.chdir("/" if spelling == "." else tmp_path)
    head = {
        "build": ["build", "-q"],
        "stats": ["stats", "--dataset", str(built_default)],
        "leaderboard": ["leaderboard", str(tmp_path / "subs"), "--dataset", str(built_default)],
        "export lm-eval": ["export", "lm-eval", "--dataset", str(built_default)],
    }[command]
    result = CliRunner().invoke(main, [*head, "--out", spelling])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    check_outputs_apart([], [("--out", Path(spelling))])  # no lock beside the root: no crash
    with pytest.raises(InputError, match="cannot replace the current folder or one above it"):
        check_output_folder(spelling, "build", name="out")
