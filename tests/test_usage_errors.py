"""A usage error (unknown option or command, missing argument, value of the wrong kind) is one
`Error:` line with exit code 2 on every command, like every other error: click's own display puts
the usage and a hint on two lines of their own before it. The hint stays, on the same line."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from cli_contract import assert_one_error_line
from click.testing import CliRunner, Result

from sgbench.cli import main
from sgbench.cli.errors import _is_output
from sgbench.cli.options import OutputFile


def invoke(args: list[str]) -> Result:
    return CliRunner().invoke(main, args, prog_name="sgbench")


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every leaf command of ``group``, as the words that call it."""
    paths: list[tuple[str, ...]] = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            paths.extend(command_paths(command, (*prefix, name)))
        else:
            paths.append((*prefix, name))
    return paths


COMMANDS = command_paths(main)


def test_every_command_is_covered() -> None:
    # The walk above is what parametrises the tests below: a new command joins them by itself.
    assert ("score",) in COMMANDS
    assert ("export", "sft") in COMMANDS
    assert len(COMMANDS) >= 17


@pytest.mark.parametrize("words", COMMANDS, ids=" ".join)
def test_unknown_option_is_one_line_naming_the_command_help(words: tuple[str, ...]) -> None:
    result = invoke([*words, "--no-such-option"])
    line = assert_one_error_line(result, "No such option", "'--no-such-option'")
    assert line.endswith(f"(see 'sgbench {' '.join(words)} --help')")


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["scroe"], ["No such command 'scroe'", "(see 'sgbench --help')"]),
        (["--bogus"], ["No such option '--bogus'", "(see 'sgbench --help')"]),
        (["export", "nope"], ["No such command 'nope'", "(see 'sgbench export --help')"]),
        (["score"], ["Missing argument 'PRED'", "(see 'sgbench score --help')"]),
        (["baseline", "majority", "--config", "zz"], ["'--config'", "'zz' is not one of"]),
        (["score", "p.jsonl", "--bootstrap", "many"], ["'--bootstrap'", "'many'"]),
        (["score", "p.jsonl", "--json"], ["'--json' requires an argument"]),
    ],
)
def test_usage_errors_are_one_line(args: list[str], fragments: list[str]) -> None:
    assert_one_error_line(invoke(args), *fragments)


@pytest.mark.parametrize("words", [(), ("score",), ("export", "sft")], ids=repr)
def test_help_is_still_help(words: tuple[str, ...]) -> None:
    result = invoke([*words, "--help"])
    assert result.exit_code == 0
    assert result.output.startswith(f"Usage: sgbench {' '.join(words)}".rstrip())
    assert "Error" not in result.output


def _leaf(words: tuple[str, ...]) -> click.Command:
    """The command ``words`` call."""
    command: click.Command = main
    for word in words:
        assert isinstance(command, click.Group)
        found = command.get_command(click.Context(command), word)
        assert found is not None
        command = found
    return command


def _one_value_option(words: tuple[str, ...]) -> str | None:
    """The first option of the command ``words`` call that takes one value (a path, a number or
    a choice), or None (paper-table has only flags)."""
    for param in _leaf(words).params:
        if isinstance(param, click.Option) and not param.is_flag and not param.multiple:
            return param.opts[0]
    return None


VALUED = [words for words in COMMANDS if _one_value_option(words) is not None]


@pytest.mark.parametrize("words", VALUED, ids=" ".join)
def test_an_option_name_as_a_value_is_one_line(words: tuple[str, ...]) -> None:
    """click takes the word after an option as its value: ``build --out --help`` built a dataset
    into a folder named ``--help`` with exit code 0."""
    option = str(_one_value_option(words))
    line = assert_one_error_line(
        invoke([*words, option, "--help"]),
        f"the value of {option} is '--help', an option of sgbench",
        f"{option}=--help",
    )
    assert line.endswith(f"(see 'sgbench {' '.join(words)} --help')")


def _output_option(words: tuple[str, ...]) -> str | None:
    """The first output option (``--out``, or a file output such as ``--json``) of the command
    ``words`` call, or None."""
    for param in _leaf(words).params:
        if isinstance(param, click.Option) and _is_output(param):
            return param.opts[0]
    return None


WRITING = [words for words in COMMANDS if _output_option(words) is not None]


@pytest.mark.parametrize("words", WRITING, ids=" ".join)
def test_an_output_given_twice_with_different_values_is_one_line(words: tuple[str, ...]) -> None:
    """click keeps the last value: ``score --json a.json --json b.json`` wrote only b.json."""
    option = str(_output_option(words))
    assert_one_error_line(
        invoke([*words, option, "a", f"{option}=b"]),
        f"{option} is given twice with different values; give it once",
    )


@pytest.mark.parametrize(
    "args",
    [
        ["score", "p.jsonl", "--json", "r.json", "--json=r.json"],  # the same value twice
        ["score", "p.jsonl", "--bootstrap", "5", "--bootstrap", "9"],  # an override, not an output
        ["score", "p.jsonl", "--json=--help"],  # a value written with '=' is meant
        ["score", "--json", "r.json", "--", "--json"],  # after '--', an argument
        ["build", "--wvs", "nope.csv", "--wave", "6", "--wave", "7"],  # --wave takes several
    ],
    ids=["same value", "override", "with =", "after --", "multiple"],
)
def test_what_the_user_clearly_meant_passes_the_option_rule(args: list[str]) -> None:
    assert len(VALUED) == len(COMMANDS) - 1  # all but paper-table
    assert {("build",), ("run",), ("score",), ("leaderboard",)} <= set(WRITING)
    result = invoke(args)
    assert "given twice" not in result.output
    assert "an option of sgbench" not in result.output


FILE_OUTPUTS = [
    (words, param.opts[0])
    for words in COMMANDS
    for param in _leaf(words).params
    if isinstance(param.type, OutputFile) and not param.type.allow_dash
]


@pytest.mark.parametrize(("words", "option"), FILE_OUTPUTS, ids=lambda x: " ".join(x))
def test_a_dash_where_it_is_not_stdout_is_one_line(words: tuple[str, ...], option: str) -> None:
    """``-`` is standard output for ``--json``; elsewhere ``run --out -`` wrote a file named
    ``-`` with exit code 0."""
    assert_one_error_line(
        invoke([*words, option, "-"]), f"'{option}'", "'-' (standard output) is not an output here"
    )


@pytest.mark.parametrize(
    "args",
    [
        ["build", "--out", "-"],
        ["stats", "--dataset", "ds", "--out", "-"],
        ["leaderboard", "subs", "--dataset", "ds", "--out", "-"],
        ["export", "lm-eval", "--dataset", "ds", "--out", "-"],
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_a_dash_as_an_output_folder_is_one_line(args: list[str], command_folder: Path) -> None:
    """``build --out -`` built into a folder named ``-`` with exit code 0
    (`sgbench.files.check_output_folder`, every folder output)."""
    assert_one_error_line(invoke(args), "-: an output folder cannot be standard output")
    assert not (command_folder / "-").exists()


def test_every_file_output_is_tried() -> None:
    assert {" ".join(words) for words, _ in FILE_OUTPUTS} >= {"run", "judge", "synth", "score"}
