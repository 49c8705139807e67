"""The error contract every command keeps, checked once for every test module that needs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import Result

import sgbench

ROOT = Path(sgbench.__file__).resolve().parent.parent
"""The checkout under test: put first on a child process's path, so it runs this sgbench."""


def module_command(args: list[str]) -> list[str]:
    """``python -m sgbench ARGS`` with the interpreter running the tests."""
    return [sys.executable, "-m", "sgbench", *args]


def module_environment(**extra: str) -> dict[str, str]:
    """This process's environment, with the checkout under test first on the path, and ``extra``."""
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


def run_module(args: list[str], cwd: Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run ``python -m sgbench ARGS`` in ``cwd`` as a real process (for what needs one: signals,
    closed or full standard streams), stderr captured as text, bounded at 120 s."""
    options: dict[str, Any] = {"stderr": subprocess.PIPE, "env": module_environment()}
    options.update(kwargs)
    return subprocess.run(
        module_command(args), cwd=cwd, text=True, timeout=120, check=False, **options
    )


TEMPLATE_COMMANDS = ("prompts", "export sft", "export lm-eval", "run")
"""The commands that read a user's ``--template``."""


def template_commands(dataset: Path, template: Path, folder: Path) -> dict[str, list[str]]:
    """The arguments of each of ``TEMPLATE_COMMANDS`` rendering ``template`` over ``dataset``,
    writing (where the command writes a file or folder) into ``folder``; ``run`` names a closed
    local port, so a template it accepts would fail only at the first request."""
    common = ["--dataset", str(dataset), "--template", str(template)]
    return {
        "prompts": ["prompts", *common],
        "export sft": ["export", "sft", *common],
        "export lm-eval": ["export", "lm-eval", *common, "--out", str(folder / "out")],
        "run": [
            "run",
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--model",
            "m",
            *common,
            "--out",
            str(folder / "r.jsonl"),
        ],
    }


def assert_one_error_line(result: Result, *fragments: str) -> str:
    """Exit code 2, no traceback, exactly one non-blank stderr line starting ``Error: `` and
    holding every fragment; returns that line."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("Error: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


_URL = "http://127.0.0.1:9/v1"  # never contacted: an output's checks come first
_SCORE = ["score", "p.jsonl", "--dataset", "ds", "--bootstrap", "0", "--permutations", "0"]
_IMPORT = ["import", "paper-outputs", "src.jsonl", "--dataset", "ds"]
_RUN = ["run", "--base-url", _URL, "--model", "m", "--dataset", "ds"]
_JUDGE = ["judge", "p.jsonl", "b.jsonl", "--base-url", _URL, "--model", "j"]

EVERY_OUTPUT: dict[str, list[str]] = {
    "score --json": [*_SCORE, "--json", "OUT"],
    "score --plot": [*_SCORE, "--plot", "OUT"],
    "judge-report --json": ["judge-report", "p.jsonl", "--json", "OUT"],
    "import paper-outputs --out": [*_IMPORT, "--out", "OUT"],
    "import paper-outputs --report": [*_IMPORT, "--out", "r.jsonl", "--report", "OUT"],
    "synth --out": ["synth", "--out", "OUT"],
    "run --out": [*_RUN, "--out", "OUT"],
    "run --predictions": [*_RUN, "--out", "r.jsonl", "--predictions", "OUT"],
    "judge --out": [*_JUDGE, "--out", "OUT"],
    "build --out": ["build", "--quiet", "--out", "OUT"],
    "leaderboard --out": ["leaderboard", "subs", "--dataset", "ds", "--out", "OUT"],
    "stats --out": ["stats", "--dataset", "ds", "--out", "OUT"],
    "export lm-eval --out": ["export", "lm-eval", "--dataset", "ds", "--out", "OUT"],
}
"""Every command's file and folder outputs (``COMMAND OPTION``), run in the ``command_folder``
fixture, with ``OUT`` for the output's path (its name ends in :data:`OUTPUT_SUFFIX`'s suffix or
``.json``); tests/test_command_line_rules.py checks it lists every output option."""

OUTPUT_SUFFIX: dict[str, str] = {"score --plot": ".svg", "synth --out": ".csv"}
"""The suffix an output name needs, where ``.json`` is not one the command takes."""
