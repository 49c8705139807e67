"""An API key that cannot go into an HTTP header (a newline, a space, a control or non-ASCII
character) is one `Error:` line naming the variable, never the key, before anything is sent or
written (`sgbench.runner.api_key_from_env`): it used to crash `run` and `judge` with a
traceback that quoted the key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from sgbench.cli import main

URL = "http://127.0.0.1:9/v1"  # never contacted: the key is checked first
SECRET = "sk-secret"

COMMANDS: dict[str, list[str]] = {
    "run": ["run", "--base-url", URL, "--model", "m", "--dataset", "ds", "--out", "o.jsonl"],
    "judge": [
        "judge",
        "a.jsonl",
        "b.jsonl",
        "--base-url",
        URL,
        "--model",
        "m",
        "--dataset",
        "ds",
        "--out",
        "o.jsonl",
    ],
}
KEYS = {
    "newline": SECRET + "\ninjected: 1",
    "trailing newline": SECRET + "\n",
    "space": SECRET + " x",
    "non-latin-1": SECRET + "\u4e2d",
    "delete": SECRET + "\x7f",
}


@pytest.mark.parametrize("named", [False, True], ids=["OPENAI_API_KEY", "--api-key-env"])
@pytest.mark.parametrize("key", sorted(KEYS))
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_key_unfit_for_a_header_is_one_line_without_the_key(
    command: str,
    key: str,
    named: bool,
    built_default: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shutil.copytree(built_default, tmp_path / "ds")
    for name in ("a.jsonl", "b.jsonl"):
        (tmp_path / name).write_text('{"id": "x", "response": "a"}\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    variable = "MY_KEY" if named else "OPENAI_API_KEY"
    args = COMMANDS[command] + (["--api-key-env", variable] if named else [])
    result = CliRunner().invoke(main, args, env={variable: KEYS[key]})
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"Error: {variable}: the API key holds")
    assert result.output.count("\n") == 1
    assert SECRET not in result.output
    assert not (tmp_path / "o.jsonl").exists()
