"""A usage error (unknown option or command, missing argument, value of the wrong kind) is one
`Error:` line with exit code 2 on every command, like every other error: click's own display puts
the usage and a hint on two lines of their own before it. The hint stays, on the same line."""

from __future__ import annotations

import click
import pytest
from cli_contract import assert_one_error_line
from click.testing import CliRunner, Result

from sgbench.cli import main


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
