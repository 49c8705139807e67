"""Standard streams and the process around every command (`sgbench.files.check_outputs_apart`,
`sgbench.cli.errors`, `sgbench.__main__`):

- standard output or standard error redirected onto a file the command reads or writes, or into
  a folder it reads, is refused before any work: `parse R >> R` appended predictions to the
  responses it read, `prompts >> DS/manifest.json` broke the dataset, `run --out r 2>> r` mixed
  progress lines into the responses, all with exit code 0. When standard error is such a file,
  the `Error:` line is dropped rather than written into it;
- a umask taking permissions from the owner is refused for a user other than root: every folder
  a command made was closed to it (tracebacks at exit from matplotlib's temporary cache, lines
  blaming the output folder or TMPDIR);
- a stopping signal after the command has ended (in the interpreter's shutdown) no longer kills
  the process with exit code 143 or 129.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_contract import assert_one_error_line, run_module
from click.testing import CliRunner

from sgbench.cli import main

DEAD_URL = "http://127.0.0.1:9/v1"
"""A port nothing listens on: the refusal comes before any request."""

Setup = Callable[[Path], tuple[list[str], Path]]
"""In a command folder: (the command line, the file a standard stream is redirected onto)."""


def _report(folder: Path) -> Path:
    report = folder / "rep.json"
    args = ["score", "p.jsonl", "--dataset", "ds", "--json", str(report), "--bootstrap", "0"]
    assert CliRunner().invoke(main, [*args, "--permutations", "0"]).exit_code == 0
    return report


CASES: dict[str, Setup] = {
    "parse >> RESPONSES": lambda f: (["parse", "b.jsonl", "--dataset", "ds"], f / "b.jsonl"),
    "prompts >> DS/manifest.json": lambda f: (
        ["prompts", "--dataset", "ds", "--split", "test_id"],
        f / "ds/manifest.json",
    ),
    "export sft >> DS/README.md": lambda f: (
        ["export", "sft", "--dataset", "ds"],
        f / "ds/README.md",
    ),
    "baseline >> DS/manifest.json": lambda f: (
        ["baseline", "majority", "--dataset", "ds"],
        f / "ds/manifest.json",
    ),
    "score >> PRED": lambda f: (
        ["score", "p.jsonl", "--dataset", "ds", "--bootstrap", "0", "--permutations", "0"],
        f / "p.jsonl",
    ),
    "validate >> DS/manifest.json": lambda f: (["validate", "ds"], f / "ds/manifest.json"),
    "paper-table >> REPORT": lambda f: (["paper-table", str(_report(f))], _report(f)),
    "stats >> DS/README.md": lambda f: (
        ["stats", "--dataset", "ds", "--out", "st"],
        f / "ds/README.md",
    ),
    "run >> its --out": lambda f: (
        ["run", "--base-url", DEAD_URL, "--model", "m", "--dataset", "ds", "--out", "b.jsonl"],
        f / "b.jsonl",
    ),
    "push >> DIR/README.md": lambda f: (
        ["push", "ds", "--repo-id", "o/n", "--dry-run"],
        f / "ds/README.md",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_stdout_onto_an_input_is_refused_and_the_input_kept(
    case: str, command_folder: Path
) -> None:
    args, target = CASES[case](command_folder)
    before = target.read_bytes()
    with target.open("ab") as stdout:
        done = run_module(args, command_folder, stdout=stdout, env=_environment())
    assert target.read_bytes() == before
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("Error: standard output "), lines
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "case", [case for case in sorted(CASES) if "DS/" in case or "DIR/" in case]
)
def test_stdout_onto_a_hard_link_of_a_dataset_file_is_refused(
    case: str, command_folder: Path
) -> None:
    """A hard link outside the folder is the dataset's file all the same: `prompts >> card.md`,
    `card.md` a hard link of `DS/README.md`, appended every prompt to the dataset card with
    exit code 0."""
    args, target = CASES[case](command_folder)
    _refused_onto_a_hard_link(args, command_folder, target, command_folder / "elsewhere.txt")


HARD_LINK_LINE = (
    "Error: standard output is a hard link with 2 names; sgbench writes no stream into a file "
    "with other names, which may lie in a dataset; redirect it to another file"
)


def _refused_onto_a_hard_link(args: list[str], folder: Path, target: Path, link: Path) -> None:
    """The command run in ``folder`` with stdout appending to ``link``, a new hard link of
    ``target``: refused with :data:`HARD_LINK_LINE` alone, ``target`` unchanged."""
    before = target.read_bytes()
    os.link(target, link)
    with link.open("ab") as stdout:
        done = run_module(args, folder, stdout=stdout, env=_environment())
    assert target.read_bytes() == before
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines == [HARD_LINK_LINE], lines


@pytest.mark.parametrize("case", ["score >> PRED", "run >> its --out", "stats >> DS/README.md"])
def test_stderr_onto_an_input_is_refused_without_writing_into_it(
    case: str, command_folder: Path
) -> None:
    args, target = CASES[case](command_folder)
    before = target.read_bytes()
    with target.open("ab") as stderr:
        done = run_module(args, command_folder, stderr=stderr, env=_environment())
    assert done.returncode == 2
    assert target.read_bytes() == before


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_usage_error_is_not_written_into_an_input_on_stderr(
    case: str, command_folder: Path
) -> None:
    """An unknown option is found before the command's own check of its streams: its line was
    appended to the template, config, data file or dataset named by the command line."""
    args, target = CASES[case](command_folder)
    before = target.read_bytes()
    with target.open("ab") as stderr:
        done = run_module([*args, "--no-such-option"], command_folder, stderr=stderr)
    assert done.returncode == 2
    assert target.read_bytes() == before


USAGE_ERRORS: dict[str, list[str]] = {
    "unknown option": ["prompts", "--dataset", "ds", "--nope"],
    "unknown command": ["no-such-command", "ds"],
    "option given twice": ["prompts", "--dataset", "ds", "--dataset", "ds"],
    "--dataset=DS, unknown option": ["export", "sft", "--dataset=ds", "--nope"],
    "folder read wholesale, unknown option": ["leaderboard", "subs", "--nope"],
}


@pytest.mark.parametrize("case", sorted(USAGE_ERRORS))
def test_a_usage_error_is_not_written_through_a_hard_link_of_a_dataset_file(
    case: str, command_folder: Path
) -> None:
    """`prompts --dataset ds --nope 2>> card.md`, `card.md` a hard link of `ds/README.md`,
    appended the `Error:` line to the dataset card (found before the command's own check of its
    streams), and `validate ds` then failed. The usage error stands (exit 2); its line is
    dropped, as for any standard error onto a file the command reads."""
    args = USAGE_ERRORS[case]
    target = command_folder / ("subs/a/predictions.jsonl" if "subs" in args else "ds/README.md")
    if "subs" in args:
        target.parent.mkdir()
        target.write_text('{"id": "x", "prediction": 1}\n', encoding="utf-8")
    before = target.read_bytes()
    link = command_folder / "card.md"
    os.link(target, link)
    with link.open("ab") as stderr:
        done = run_module(args, command_folder, stderr=stderr)
    assert done.returncode == 2
    assert target.read_bytes() == before
    if "subs" not in args:
        assert run_module(["validate", "ds"], command_folder).returncode == 0


def test_a_hard_linked_standard_error_gets_no_line(command_folder: Path) -> None:
    """A standard error with other names may be a file of a dataset the command line does not
    name, which sgbench cannot find in general: the command is refused (exit 2) and its line
    dropped, for a usage error too; the file keeps what it held."""
    log = command_folder / "errors.log"
    log.write_bytes(b"kept\n")
    os.link(log, command_folder / "errors-too.log")
    for args in (["prompts", "--dataset", "ds", "--nope"], ["prompts", "--dataset", "ds"]):
        with log.open("ab") as stderr:
            done = run_module(args, command_folder, stderr=stderr, stdout=subprocess.PIPE)
        assert done.returncode == 2, args
        assert done.stdout == "", args
        assert log.read_bytes() == b"kept\n", args


@pytest.mark.parametrize("case", sorted(CASES))
def test_stdout_onto_a_hard_link_of_a_dataset_it_does_not_name_is_refused(
    case: str, built_elsewhere: Path
) -> None:
    """`prompts --dataset ds2 >> card.md`, `card.md` a hard link of `ds/README.md`, appended
    every prompt to the card of a dataset the command never names, exit code 0: another name of
    a file can lie anywhere, so a stream with other names is refused whatever it is."""
    args, _ = CASES[case](built_elsewhere)
    card = built_elsewhere / "other" / "README.md"
    _refused_onto_a_hard_link(args, built_elsewhere, card, built_elsewhere / "card.md")
    assert not (built_elsewhere / "st").exists()  # stats wrote nothing either


COMPLETION = {"_PYTHON _M SGBENCH_COMPLETE": "bash_source"}
"""click's shell completion of `python -m sgbench` (the installed command reads
`_SGBENCH_COMPLETE`): it prints a completion script and exits 0."""

# Everything the command line writes before a command runs: help, version, a shell completion
# script (on standard output), the help shown for no arguments (on standard error).
BEFORE_ANY_COMMAND: dict[str, tuple[list[str], dict[str, str], str]] = {
    "prompts --help": (["prompts", "--help"], {}, "stdout"),
    "--version": (["--version"], {}, "stdout"),
    "--help": (["--help"], {}, "stdout"),
    "export sft --help": (["export", "sft", "--help"], {}, "stdout"),
    "shell completion": ([], COMPLETION, "stdout"),
    "no arguments": ([], {}, "stderr"),
}


@pytest.mark.parametrize("case", sorted(BEFORE_ANY_COMMAND))
def test_help_and_version_keep_the_stream_rules(case: str, built_elsewhere: Path) -> None:
    """`prompts --help > ds/help.txt` and `sgbench --version > ds/v.txt` wrote into the
    dataset `ds` with exit code 0: click prints them while reading the options, before any
    command's own check of its streams; shell completion (`_SGBENCH_COMPLETE=bash_source sgbench
    > ds/comp.sh`) is answered earlier still, before any option is read, and wrote its script
    there. A hard link is refused the same way; standard error inside a dataset gets no line."""
    from cli_contract import module_environment

    args, extra, which = BEFORE_ANY_COMMAND[case]
    env = module_environment(**extra)
    stream = built_elsewhere / "other" / "help.txt"
    with stream.open("wb") as redirected:
        done = run_module(args, built_elsewhere, env=env, **{which: redirected})
    assert done.returncode == 2, done.stderr
    if which == "stdout":
        assert done.stderr.startswith(
            "Error: standard output lies inside the dataset folder other;"
        )
    assert stream.read_bytes() == b""
    stream.unlink()
    if which == "stdout":
        link = built_elsewhere / "card.md"
        os.link(built_elsewhere / "other" / "README.md", link)
        before = link.read_bytes()
        with link.open("ab") as stdout:
            done = run_module(args, built_elsewhere, stdout=stdout, env=env)
        assert done.returncode == 2
        assert done.stderr.splitlines() == [HARD_LINK_LINE]
        assert link.read_bytes() == before
    with (built_elsewhere / "help.txt").open("wb") as redirected:  # a file of its own takes it
        done = run_module(args, built_elsewhere, env=env, **{which: redirected})
    assert done.returncode == (2 if case == "no arguments" else 0)
    assert (built_elsewhere / "help.txt").stat().st_size > 0


def test_a_usage_error_keeps_the_stream_rules(built_elsewhere: Path) -> None:
    """A usage error on standard error, its standard output inside a dataset: the stream is
    refused before the error is looked for, and nothing reaches the dataset."""
    stream = built_elsewhere / "other" / "out.txt"
    with stream.open("wb") as stdout:
        done = run_module(["--no-such-option"], built_elsewhere, stdout=stdout)
    assert done.returncode == 2
    assert done.stderr.startswith("Error: standard output lies inside the dataset folder other;")
    assert stream.read_bytes() == b""


def test_a_usage_error_still_reaches_a_file_of_its_own(command_folder: Path) -> None:
    log = command_folder / "errors.log"
    with log.open("wb") as stderr:
        done = run_module(["validate", "ds", "--no-such-option"], command_folder, stderr=stderr)
    assert done.returncode == 2
    assert log.read_text(encoding="utf-8").startswith("Error: No such option '--no-such-option'")


def test_stdout_onto_an_output_file_is_refused(command_folder: Path) -> None:
    report = command_folder / "r.json"
    args = ["score", "p.jsonl", "--dataset", "ds", "--json", "r.json", "--bootstrap", "0"]
    with report.open("wb") as stdout:
        done = run_module([*args, "--permutations", "0"], command_folder, stdout=stdout)
    assert done.returncode == 2
    assert "standard output is r.json (--json), which this command writes" in done.stderr
    assert report.read_bytes() == b""


@pytest.mark.parametrize(
    ("fd", "args", "lock", "named"),
    [
        (1, ["score", "p.jsonl", "--dataset", "ds", "--json", "r.json"], ".r.json.lock", "r.json"),
        (1, ["score", "p.jsonl", "--dataset", "ds"], ".p.jsonl.lock", "p.jsonl"),
        (
            2,
            ["run", "--base-url", DEAD_URL, "--model", "m", "--dataset", "ds", "--out", "o.jsonl"],
            ".o.jsonl.lock",
            None,
        ),
    ],
)
def test_a_stream_onto_the_lock_file_of_a_named_file_is_refused(
    fd: int, args: list[str], lock: str, named: str | None, command_folder: Path
) -> None:
    """A lock file is sgbench's only while empty: `run --out o.jsonl 2> .o.jsonl.lock` wrote
    its lines into the lock it held, and every later run on o.jsonl refused that lock file as
    holding data (as an output naming it is refused: `_check_not_a_sidecar`)."""
    target = command_folder / lock
    if "score" in args:
        args = [*args, "--bootstrap", "0", "--permutations", "0"]
    with target.open("wb") as stream:
        streams = {"stdout": stream} if fd == 1 else {"stderr": stream}
        done = run_module(args, command_folder, env=_environment(), **streams)
    assert done.returncode == 2, done.stderr
    assert target.read_bytes() == b""
    if named is not None:
        assert f"Error: standard output is the lock file of {named} " in done.stderr
    assert not (command_folder / "o.jsonl").exists()
    assert not (command_folder / "r.json").exists()


@pytest.mark.parametrize("fd", [1, 2])
def test_a_stream_onto_a_lock_file_another_process_holds_is_refused(
    fd: int, command_folder: Path
) -> None:
    """The lock file of a file the command does not name, held by another process (this one,
    for the child): `baseline majority > .r.jsonl.lock` while a run held r.jsonl wrote 745 KB
    into the lock with exit code 0, and every later run on r.jsonl refused it as holding data.
    The rule of a named output (`--out .r.jsonl.lock`, `check_not_a_lock`) holds for a stream:
    one predicate, `sidecars.lock_held`."""
    from sgbench.locks import exclusive

    held = command_folder / "r.jsonl"
    target = command_folder / ".r.jsonl.lock"
    with exclusive(held):
        with target.open("ab") as stream:
            streams = {"stdout": stream} if fd == 1 else {"stderr": stream}
            done = run_module(
                ["baseline", "majority", "--dataset", "ds"],
                command_folder,
                env=_environment(),
                **streams,
            )
        assert done.returncode == 2, done.stderr
        assert target.read_bytes() == b""
        if fd == 1:
            lines = done.stderr.splitlines()
            assert len(lines) == 1, lines
            assert lines[0].startswith(
                "Error: standard output is .r.jsonl.lock, the lock file of an output "
            )
    # The lock was kept empty, so it was removed on release and the next run may lock r.jsonl.
    assert not target.exists()
    with exclusive(held):
        pass


BUILT_FOLDERS = {
    "dataset": ("other", "the dataset folder other"),
    "dataset-subfolder": ("other/data", "the dataset folder other"),
    "leaderboard": ("board", "an output folder of `sgbench leaderboard` board"),
}
"""Folders sgbench built that no command line here names (a second dataset, one of its
subfolders, a leaderboard's output) and what the refusal calls them."""


@pytest.fixture
def built_elsewhere(command_folder: Path) -> Path:
    """The command folder with `other`, a copy of `ds` no command reads, and `board`, a
    leaderboard's output folder (its marker)."""
    import json
    import shutil

    from sgbench.files import OUTPUT_MARKER

    shutil.copytree(command_folder / "ds", command_folder / "other")
    (command_folder / "board").mkdir()
    marker = {"written_by": "sgbench leaderboard", "files": {}}
    (command_folder / "board" / OUTPUT_MARKER).write_text(json.dumps(marker), encoding="utf-8")
    return command_folder


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*.*")}


@pytest.mark.parametrize(
    ("case", "place"),
    [(case, "dataset") for case in sorted(CASES)]
    + [
        ("prompts >> DS/manifest.json", place)
        for place in sorted(BUILT_FOLDERS)
        if place != "dataset"
    ],
)
def test_stdout_into_a_folder_sgbench_built_is_refused(
    case: str, place: str, built_elsewhere: Path
) -> None:
    """The rule of every output path (`check_parent`) holds for a redirected stream: `prompts
    --dataset ds2 > ds/p.jsonl` wrote every prompt into the dataset `ds` with exit code 0, and
    the next `build --out ds` refused it as holding other files. The shell's empty file stays."""
    args, _ = CASES[case](built_elsewhere)
    folder, shown = BUILT_FOLDERS[place]
    before = {name: _tree(built_elsewhere / name) for name in ("other", "board")}
    stream = built_elsewhere / folder / "p.jsonl"
    with stream.open("wb") as stdout:
        done = run_module(args, built_elsewhere, stdout=stdout, env=_environment())
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines == [
        f"Error: standard output lies inside {shown}; sgbench writes nothing into a dataset "
        "or output folder; redirect it to another file"
    ]
    assert stream.read_bytes() == b""
    stream.unlink()
    assert {name: _tree(built_elsewhere / name) for name in before} == before
    assert not (built_elsewhere / "st").exists()  # stats wrote nothing either


@pytest.mark.parametrize("case", ["prompts >> DS/manifest.json", "score >> PRED"])
def test_stderr_into_a_folder_sgbench_built_is_refused_without_a_line(
    case: str, built_elsewhere: Path
) -> None:
    """Standard error inside such a folder: refused, and the `Error:` line is dropped rather
    than written there, for the command's own check and for a usage error found before it."""
    args, _ = CASES[case](built_elsewhere)
    log = built_elsewhere / "other" / "errors.log"
    for extra in ([], ["--no-such-option"]):
        with log.open("wb") as stderr:
            done = run_module(
                [*args, *extra], built_elsewhere, stderr=stderr, stdout=subprocess.PIPE
            )
        assert done.returncode == 2, extra
        assert done.stdout == "", extra
        assert log.read_bytes() == b"", extra


def test_synth_keeps_its_note_out_of_a_folder_sgbench_built(built_elsewhere: Path) -> None:
    """`synth` reads nothing, so it checked no stream: `synth --out s.csv 2> ds/log` wrote its
    note into the dataset `ds` with exit code 0."""
    log = built_elsewhere / "other" / "errors.log"
    with log.open("wb") as stderr:
        done = run_module(["synth", "--out", "s.csv"], built_elsewhere, stderr=stderr)
    assert done.returncode == 2
    assert log.read_bytes() == b""
    assert not (built_elsewhere / "s.csv").exists()


def test_streams_elsewhere_are_untouched(command_folder: Path) -> None:
    """A file beside the inputs, not inside them, takes the output as before."""
    out = command_folder / "prompts.jsonl"
    args = ["prompts", "--dataset", "ds", "--split", "test_id"]
    with out.open("wb") as stdout:
        done = run_module(args, command_folder, stdout=stdout)
    assert done.returncode == 0, done.stderr
    assert out.read_text(encoding="utf-8").startswith('{"id": ')


def _environment() -> dict[str, str]:
    from cli_contract import module_environment

    return module_environment(OPENAI_API_KEY="sk-test")


@pytest.mark.parametrize(
    "args",
    [["validate", "ds"], ["prompts", "--dataset", "ds"], ["synth", "--out", "s.dta"]],
)
def test_a_umask_closing_the_owner_out_is_refused(
    args: list[str], command_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    previous = os.umask(0o777)
    try:
        result = CliRunner().invoke(main, args)
    finally:
        os.umask(previous)
    assert_one_error_line(result, "umask 0777", "owner")
    assert not (command_folder / "s.dta").exists()


def test_a_usual_umask_is_accepted(command_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    previous = os.umask(0o077)
    try:
        result = CliRunner().invoke(main, ["validate", "ds"])
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.output


def test_a_signal_after_the_command_has_ended_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    """The interpreter's shutdown puts back each signal's default action (death) unless it is
    ignored; once the command has ended, the stopping signals are."""
    from sgbench.__main__ import STOPPING_SIGNALS, run

    saved = {number: signal.getsignal(number) for number in STOPPING_SIGNALS}
    monkeypatch.setattr(sys, "argv", ["sgbench", "--version"])
    try:
        with pytest.raises(SystemExit) as ended:
            run()
        assert ended.value.code in (0, None)
        assert all(signal.getsignal(n) == signal.SIG_IGN for n in STOPPING_SIGNALS)
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)
