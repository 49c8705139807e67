"""Rules the command line keeps before and after any command runs (`sgbench.cli.errors`), tried
on every command family, and the write rule of `sgbench.files.write_atomic` on every command
writing a single file:

- an argument that is not UTF-8 (a file name in another encoding) or holds a control character
  (a newline in a file name) is one `Error:` line naming the option, not a traceback deep in a
  writer or a card table broken in two;
- a working folder deleted under the shell, and a closed standard output (`>&-`, where every
  printed line would vanish with exit code 0), are one line;
- every message is one printable line of bounded length: a config quoting 20 MB, a manifest
  field holding a newline and a fake `Error:` line;
- Ctrl-C while the command line loads is exit code 130 and no traceback;
- an output file whose folder is a file, or cannot be written, is one line on every writer.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.abc import MetaPathFinder
from pathlib import Path
from typing import Any

import click
import pyarrow.parquet as pq
import pytest
from cli_contract import EVERY_OUTPUT, OUTPUT_SUFFIX, ROOT, assert_one_error_line, run_module
from click.testing import CliRunner, Result

import sgbench
from sgbench.cli import main
from sgbench.cli.options import OutputFile, OutputFolder
from sgbench.dataset import split_file
from sgbench.errors import MAX_MESSAGE


def invoke(args: list[str]) -> Result:
    return CliRunner().invoke(main, args)


def family(dataset: Path, tmp: Path, value: str) -> dict[str, list[str]]:
    """One command of each family, with ``value`` as the path it reads or writes."""
    return {
        "build --wvs": ["build", "-q", "--wvs", value, "--out", str(tmp / "out")],
        "build --out": ["build", "-q", "--out", value],
        "synth --out": ["synth", "--out", value],
        "stats --out": ["stats", "--dataset", str(dataset), "--out", value],
        "prompts --template": ["prompts", "--dataset", str(dataset), "--template", value],
        "export lm-eval --out": ["export", "lm-eval", "--dataset", str(dataset), "--out", value],
        "validate": ["validate", value],
        "score --json": ["score", value, "--dataset", str(dataset), "--json", value],
    }


BAD_ARGUMENTS = {
    "not UTF-8": ("bad\udcffname.csv", "is not UTF-8 text"),
    "a newline": ("two\nlines.csv", "holds a control character"),
    "an escape": ("x\x1b[31m.csv", "holds a control character"),
}


@pytest.mark.parametrize("case", sorted(BAD_ARGUMENTS))
@pytest.mark.parametrize(
    "command",
    sorted(family(Path("ds"), Path("t"), "x")),
)
def test_an_argument_no_command_can_use_is_one_line(
    case: str, command: str, built_default: Path, tmp_path: Path
) -> None:
    value, problem = BAD_ARGUMENTS[case]
    args = family(built_default, tmp_path, str(tmp_path / value))[command]
    line = assert_one_error_line(invoke(args), problem, "rename the file or retype the value")
    assert "\n" not in line.removeprefix("Error: ")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "command", [*sorted(family(Path("ds"), Path("t"), "x")), "run --out", "run --predictions"]
)
def test_an_empty_argument_is_one_line(command: str, built_default: Path, tmp_path: Path) -> None:
    # An unset shell variable: as a path, '' is the working folder (score --json '' crashed).
    url = ["--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--dataset", str(built_default)]
    runs = {
        "run --out": ["run", *url, "--out", ""],
        "run --predictions": ["run", *url, "--out", str(tmp_path / "o"), "--predictions", ""],
    }
    args = runs.get(command) or family(built_default, tmp_path, "")[command]
    assert_one_error_line(invoke(args), "('') is empty (an unset shell variable?)")
    assert list(tmp_path.iterdir()) == []


def test_the_option_is_named(tmp_path: Path) -> None:
    result = invoke(["synth", "--out", str(tmp_path / "a\nb.csv")])
    assert_one_error_line(result, "the value of --out", "a\\nb.csv")


@pytest.fixture
def gone(tmp_path: Path) -> Iterator[Path]:
    """A working folder deleted while the process is in it."""
    before = Path.cwd()
    folder = tmp_path / "gone"
    folder.mkdir()
    os.chdir(folder)
    folder.rmdir()
    try:
        yield tmp_path
    finally:
        os.chdir(before)


@pytest.mark.parametrize("command", ["build", "synth", "stats", "validate", "export sft"])
def test_a_deleted_working_folder_is_one_line(command: str, gone: Path) -> None:
    args = {
        "build": ["build", "-q", "--out", "out"],
        "synth": ["synth", "--out", "s.csv"],
        "stats": ["stats", "--dataset", "ds"],
        "validate": ["validate", str(gone)],
        "export sft": ["export", "sft", "--dataset", "ds"],
    }[command]
    assert_one_error_line(invoke(args), "the working folder cannot be found", "cd to")
    assert list(gone.iterdir()) == []


def test_a_working_folder_deleted_while_running_is_named(gone: Path) -> None:
    """A command that passed the start-up check and resolved a relative output afterwards (the
    leaderboard's --out after ranking) was told of 'a symlink loop'."""
    from sgbench.errors import InputError
    from sgbench.files import resolve_path

    with pytest.raises(InputError, match=r"^lb: the working folder cannot be found \(.*\): it"):
        resolve_path("lb")
    assert resolve_path(gone) == gone.resolve()  # an absolute path needs no working folder


def test_a_utf8_argument_under_a_locale_that_is_not_is_named_as_the_locale(
    tmp_path: Path,
) -> None:
    """Under `LC_ALL=C PYTHONUTF8=0` Python reads arguments as ASCII: `pré.jsonl`, UTF-8 text,
    was called 'not UTF-8 text (a file name in another encoding?)'."""
    done = run_module(
        ["score", "pré.jsonl", "--dataset", "ds"],
        tmp_path,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "LC_ALL": "C",
            "PYTHONUTF8": "0",
            "PYTHONCOERCECLOCALE": "0",
        },
    )
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert len(lines) == 1
    assert "is UTF-8 text, but the locale reads arguments as ascii" in lines[0]
    assert "LC_ALL=C.UTF-8" in lines[0]


@pytest.mark.parametrize(
    "command", ["prompts", "export sft", "build", "--version", "--help", "prompts --help", "nope"]
)
def test_a_closed_stdout_is_one_line(command: str, built_default: Path, tmp_path: Path) -> None:
    """Python makes a closed descriptor 1 `sys.stdout = None`, and click then prints nothing:
    `export sft >&-` used to end with exit code 0 and no records anywhere, and `--version >&-`
    did still (click answers it before any command). The rule is checked first, for every
    command line."""
    args = {
        "prompts": ["prompts", "--dataset", str(built_default)],
        "export sft": ["export", "sft", "--dataset", str(built_default)],
        "build": ["build", "--out", "out"],
    }.get(command, command.split())
    done = run_module(args, tmp_path, preexec_fn=lambda: os.close(1))
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        "Error: standard output is closed; redirect it to a file or /dev/null instead"
    ]
    assert list(tmp_path.iterdir()) == []


class _Interrupting(MetaPathFinder):
    """Ctrl-C arriving while ``sgbench.cli`` is imported."""

    def find_spec(self, name: str, *_: object) -> None:
        if name == "sgbench.cli":
            raise KeyboardInterrupt


def test_ctrl_c_while_the_command_line_loads_is_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sgbench.__main__ import run

    for name in [n for n in sys.modules if n == "sgbench.cli" or n.startswith("sgbench.cli.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.delattr(sgbench, "cli", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_Interrupting(), *sys.meta_path])
    with pytest.raises(SystemExit) as stopped:
        run()
    assert stopped.value.code == 130
    assert capsys.readouterr().err.strip() == "interrupted"


class _Failing(MetaPathFinder):
    """``error`` raised as the module ``name`` is imported: Ctrl-C or running out of memory while
    the command line loads."""

    def __init__(self, name: str, error: type[BaseException]) -> None:
        self.name, self.error = name, error

    def find_spec(self, name: str, *_: object) -> None:
        if name == self.name:
            raise self.error


@contextmanager
def _stderr_onto(path: Path | None) -> Iterator[None]:
    """Descriptor 2 redirected to ``path`` (a pipe when None) for the block, as `2> PATH` does."""
    saved = os.dup(2)
    reader = None
    if path is None:
        reader, writer = os.pipe()
    else:
        writer = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.dup2(writer, 2)
        os.close(writer)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        if reader is not None:
            os.close(reader)


LOADING_FAILURES = {
    "interrupted": (KeyboardInterrupt, 130, "interrupted"),
    "out of memory": (MemoryError, 2, "Error: out of memory while loading sgbench"),
}


@pytest.mark.parametrize("failure", sorted(LOADING_FAILURES))
@pytest.mark.parametrize("module", ["sgbench.cli", "sgbench.files"])
@pytest.mark.parametrize("stderr", ["inside the dataset", "a file of its own", "a pipe"])
def test_a_line_while_the_command_line_loads_keeps_the_stream_rules(
    failure: str,
    module: str,
    stderr: str,
    command_folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`prompts 2> ds/e.log` interrupted while loading wrote `interrupted` into the dataset `ds`
    (and running out of memory there its `Error:` line): the entry point said them before the
    command line checked its streams. Each goes through the stream rule
    (sgbench.files.stream_problems) like every line: nothing inside a dataset, the exit code
    alone. While the rule's own module loads, nothing is known of a file, which gets nothing; a
    terminal or a pipe, which the rule never refuses, gets the line."""
    from sgbench.__main__ import run

    error, code, line = LOADING_FAILURES[failure]
    for name in [n for n in sys.modules if n == module or n.startswith(module + ".")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.delattr(sgbench, module.split(".")[1], raising=False)
    monkeypatch.setattr(sys, "meta_path", [_Failing(module, error), *sys.meta_path])
    log = {"inside the dataset": command_folder / "ds" / "e.log", "a pipe": None}.get(
        stderr, command_folder / "e.log"
    )
    with _stderr_onto(log), pytest.raises(SystemExit) as stopped:
        run()
    assert stopped.value.code == code
    # What run() printed (to sys.stderr, captured here; descriptor 2 is what the rule judges).
    said = capsys.readouterr().err.strip()
    if stderr == "a pipe" or (stderr == "a file of its own" and module == "sgbench.cli"):
        assert said.startswith(line)
    else:
        assert said == ""


def test_the_installed_command_is_the_guarded_one() -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'sgbench = "sgbench.__main__:run"' in text


# --- every message one printable line, bounded -------------------------------------------------


def test_a_config_quoting_megabytes_is_one_short_line(tmp_path: Path) -> None:
    config = tmp_path / "big.yaml"
    config.write_text("x" * (4 << 20) + "\n", encoding="utf-8")
    result = invoke(["build", "-q", "--config", str(config), "--out", str(tmp_path / "out")])
    # Refused by its length (config text is at most 200 characters), never quoted whole.
    line = assert_one_error_line(result, "big.yaml", "4,194,304 characters")
    assert len(line) < MAX_MESSAGE + 100


@pytest.mark.parametrize(
    "name", ["x\nError: all good\ny", "x\nError: all good\n" + "y" * (1 << 20)]
)
def test_validate_shows_a_forged_line_as_one_line(
    name: str, built_default: Path, tmp_path: Path
) -> None:
    dataset = tmp_path / "ds"
    shutil.copytree(built_default, dataset)
    manifest = json.loads((dataset / "manifest.json").read_text(encoding="utf-8"))
    manifest["name"] = name
    (dataset / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = invoke(["validate", str(dataset)])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert [line for line in lines if line.startswith("Error:")] == [
        f"Error: {dataset}: not a valid dataset folder"
    ]
    assert any("x\\nError: all good\\ny" in line for line in lines)
    assert all(len(line) < MAX_MESSAGE + 200 for line in lines)


# --- one output file: a folder that is a file, or that cannot be written ------------------------


def single_file_writers(dataset: Path, tmp: Path, out: str) -> dict[str, list[str]]:
    row = pq.read_table(dataset / split_file("default", "test_ood")).slice(0, 1).to_pylist()[0]
    predictions = tmp / "p.jsonl"
    predictions.write_text(json.dumps({"id": row["id"], "answer": 1}) + "\n", encoding="utf-8")
    score = ["score", str(predictions), "--dataset", str(dataset), "--bootstrap", "0"]
    return {
        "synth .csv": ["synth", "--out", f"{out}.csv"],
        "synth .zip": ["synth", "--out", f"{out}.zip"],
        "synth .dta": ["synth", "--out", f"{out}.dta"],
        "synth .sav": ["synth", "--out", f"{out}.sav"],
        "score --json": [*score, "--json", f"{out}.json"],
    }


WRITER_NAMES = ("synth .csv", "synth .zip", "synth .dta", "synth .sav", "score --json")


@pytest.mark.parametrize("writer", WRITER_NAMES)
def test_an_output_inside_a_file_is_one_line(
    writer: str, built_default: Path, tmp_path: Path
) -> None:
    (tmp_path / "afile").write_text("mine", encoding="utf-8")
    args = single_file_writers(built_default, tmp_path, str(tmp_path / "afile" / "x"))[writer]
    assert_one_error_line(invoke(args), "afile")
    assert (tmp_path / "afile").read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize("writer", WRITER_NAMES)
def test_a_failed_write_leaves_nothing(
    writer: str, built_default: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk or an unwritable folder, where the writer fails (pyreadstat's own errors
    included), as root cannot be refused a folder."""
    import errno

    import pyreadstat

    def full(*_: object, **__: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def readstat_full(*_: object, **__: object) -> None:
        raise pyreadstat.ReadstatError("Unable to write data")

    args = single_file_writers(built_default, tmp_path, str(tmp_path / "out" / "x"))[writer]
    (tmp_path / "out").mkdir()
    monkeypatch.setattr(Path, "write_text", full)
    monkeypatch.setattr(Path, "write_bytes", full)
    monkeypatch.setattr(pyreadstat, "write_dta", readstat_full)
    monkeypatch.setattr(pyreadstat, "write_sav", readstat_full)
    result = invoke(args)
    reason = "Unable to write data" if writer in ("synth .dta", "synth .sav") else "No space"
    assert_one_error_line(result, "x.", "cannot write", reason)
    assert list((tmp_path / "out").iterdir()) == []


# --- every output: its folder must exist ----------------------------------------------------


def output_options(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[str]:
    """``COMMAND OPTION`` for every option of every command that names a file or folder the
    command writes (an :class:`~sgbench.cli.options.OutputFile` or ``OutputFolder``)."""
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from output_options(sub, (*path, name))
        return
    for param in command.params:
        if isinstance(param.type, OutputFile | OutputFolder):
            yield " ".join([*path, param.opts[0]])


def test_every_output_option_is_in_the_table() -> None:
    """EVERY_OUTPUT is tried by the tests of every output (here, tests/test_output_symlinks.py):
    an output option added to a command must be added there too."""
    assert sorted(output_options(main)) == sorted(EVERY_OUTPUT)


@pytest.mark.parametrize("case", sorted(EVERY_OUTPUT))
def test_an_output_in_a_missing_folder_is_refused_naming_the_option(
    case: str, command_folder: Path
) -> None:
    """One rule for every output, file or folder: its folder must exist. ``synth --out`` and the
    folder writers created a missing folder (left behind when the command then failed) while
    ``score --json`` wrote the report only to fail, after the work, on the missing folder."""
    option = case.split()[-1]
    out = f"new/out{OUTPUT_SUFFIX.get(case, '.json')}"
    before = sorted(p.name for p in command_folder.iterdir())
    result = invoke([out if arg == "OUT" else arg for arg in EVERY_OUTPUT[case]])
    assert_one_error_line(result, f"'{option}'", f"{out}: its folder new does not exist")
    assert sorted(p.name for p in command_folder.iterdir()) == before


def test_from_python_too_no_output_folder_is_created(tmp_path: Path) -> None:
    """The same rule in the functions: write_synthetic_sample and build_dataset made the folder,
    write_atomic (every file output) said ``cannot write (No such file or directory)``."""
    from sgbench.builder import build_dataset, write_synthetic_sample
    from sgbench.errors import InputError
    from sgbench.files import OutputKind, write_atomic

    missing = tmp_path / "new"
    with pytest.raises(InputError, match=f"x.csv: its folder {missing} does not exist"):
        write_synthetic_sample(missing / "x.csv")
    with pytest.raises(InputError, match=f"ds: its folder {missing} does not exist; .* folder$"):
        build_dataset(out_dir=missing / "ds")
    with pytest.raises(InputError, match=f"x.txt: its folder {missing} does not exist"):
        write_atomic(missing / "x.txt", "x", kind=OutputKind("text", lambda head: True))
    # A missing folder further up is named by the output's own folder; a file, by itself.
    with pytest.raises(InputError, match=f"its folder {missing / 'a'} does not exist"):
        write_synthetic_sample(missing / "a" / "x.csv")
    (tmp_path / "afile").write_text("mine", encoding="utf-8")
    with pytest.raises(InputError, match="afile is not a folder"):
        write_synthetic_sample(tmp_path / "afile" / "a" / "x.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


# --- prompts and export sft stream: one prompt in memory, not one per sample -------------------


@pytest.mark.parametrize("command", ["prompts", "export sft"])
def test_prompts_are_rendered_one_at_a_time(
    command: str, built_default: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 5 MB template times 12k samples was held whole before the first byte was written;
    now each line is written before the next prompt is rendered."""
    from sgbench.export import sft
    from sgbench.prompts import templates

    rendered: list[int] = []
    written: list[int] = []
    original = templates.render_prompt

    def counting(template: Any, row: Any) -> Any:
        assert len(rendered) == len(written), "a prompt was rendered before the last was written"
        rendered.append(1)
        return original(template, row)

    monkeypatch.setattr(templates, "render_prompt", counting)
    monkeypatch.setattr(sft, "render_prompt", counting)
    echo = click.echo

    def writing(message: Any = None, **kwargs: Any) -> None:
        written.append(1)
        echo(message, **kwargs)

    monkeypatch.setattr("click.echo", writing)
    args = {"prompts": ["prompts"], "export sft": ["export", "sft"]}[command]
    result = invoke([*args, "--dataset", str(built_default)])
    assert result.exit_code == 0, result.output
    assert len(rendered) == len(result.stdout.splitlines()) > 1


def test_ctrl_c_as_the_command_ends_is_130_not_death_by_the_signal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """p9stats saw `paper-table` interrupted in its last instant die by SIGINT (-2) in 3 of 69
    runs: a signal landing after the command returned but before `run` ignored signals raised a
    KeyboardInterrupt that escaped, and Python then ends by SIGINT. The signal is made to land
    exactly there: as the first signal is ignored."""
    import signal

    import sgbench.__main__ as entry
    import sgbench.cli

    def ended() -> None:
        raise SystemExit(0)

    real = signal.signal

    def landing(number: int, handler: object) -> object:
        if handler is signal.SIG_IGN and number == signal.SIGINT:
            monkeypatch.setattr(entry.signal, "signal", real)
            raise KeyboardInterrupt
        return real(number, handler)  # type: ignore[arg-type]

    before = {number: signal.getsignal(number) for number in entry.STOPPING_SIGNALS}
    monkeypatch.setattr(sgbench.cli, "main", ended)
    monkeypatch.setattr(entry.signal, "signal", landing)
    try:
        with pytest.raises(SystemExit) as stopped:
            entry.run()
    finally:
        for number, handler in before.items():
            real(number, handler)
    assert stopped.value.code == 130
    assert capsys.readouterr().err.strip() == "interrupted"
