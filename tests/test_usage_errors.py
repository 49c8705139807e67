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


def single_valued_options(words: tuple[str, ...]) -> list[click.Option]:
    """Options of a leaf command that take one value (not repeatable, not counted, not --help)."""
    command: click.Command = main
    for word in words:
        assert isinstance(command, click.Group)
        command = command.commands[word]
    return [
        param
        for param in command.params
        if isinstance(param, click.Option) and not (param.multiple or param.count or param.is_eager)
    ]


@pytest.mark.parametrize(
    "words", [words for words in COMMANDS if single_valued_options(words)], ids=" ".join
)
def test_an_option_given_twice_is_one_line(words: tuple[str, ...]) -> None:
    # click kept the last value silently: build --country ALL --country SGP built Singapore.
    for option in single_valued_options(words):
        name = option.opts[0]
        twice = [name, name] if option.is_flag else [name, "1", name, "2"]
        line = assert_one_error_line(invoke([*words, *twice]), "is given 2 times; give it once")
        assert name in line


def test_a_flag_and_its_opposite_are_one_option_given_twice() -> None:
    assert_one_error_line(
        invoke(["push", "ds", "--repo-id", "o/n", "--tag", "--no-tag"]), "--tag/--no-tag is given 2"
    )


def test_a_repeatable_option_may_be_repeated() -> None:
    # --wave and --wvs are repeatable: the dry parse must let them through (--help stops there).
    result = invoke(["build", "--wave", "6", "--wave", "7", "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: sgbench build")


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


@pytest.mark.parametrize(
    "args",
    [
        ["score", "p.jsonl", "--json=--help"],  # a value written with '=' is meant
        ["score", "--json", "r.json", "--", "--json"],  # after '--', an argument
        ["build", "--wvs", "nope.csv", "--wave", "6", "--wave", "7"],  # --wave takes several
    ],
    ids=["with =", "after --", "multiple"],
)
def test_what_the_user_clearly_meant_passes_the_option_rule(args: list[str]) -> None:
    assert len(VALUED) == len(COMMANDS) - 1  # all but paper-table
    result = invoke(args)
    assert "given 2 times" not in result.output
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


NUMERIC = [
    (words, param.opts[0], isinstance(param.type, click.types.IntParamType))
    for words in COMMANDS
    for param in _leaf(words).params
    if isinstance(param, click.Option)
    and isinstance(param.type, click.types.IntParamType | click.types.FloatParamType)
]


@pytest.mark.parametrize(("words", "option", "whole"), NUMERIC, ids=lambda x: str(x))
@pytest.mark.parametrize("typed", ["1_0", "٥", "+5", " 5", "5 ", "0x10", "5.0x", "5 5"])
def test_a_number_not_written_with_ascii_digits_is_one_line(
    words: tuple[str, ...], option: str, whole: bool, typed: str
) -> None:
    """Python's int and float read ``1_0`` as 10, ``٥`` (Arabic-Indic) as 5 and `` 5`` as 5:
    every numeric option took a number the user never wrote, with exit code 0."""
    if not whole and typed == "5.0x":
        typed = "5e"  # a real number's own near miss
    kind = "a whole number" if whole else "a number"
    assert_one_error_line(
        invoke([*words, option, typed]), f"the value of {option} is '{typed}', not {kind}"
    )
    assert_one_error_line(
        invoke([*words, f"{option}={typed}"]), f"the value of {option} is '{typed}', not {kind}"
    )


@pytest.mark.parametrize(("words", "option", "whole"), NUMERIC, ids=lambda x: str(x))
def test_plain_numbers_pass_the_number_rule(
    words: tuple[str, ...], option: str, whole: bool
) -> None:
    for typed in (
        ["5", "-1", "0", "12"] if whole else ["0.5", "-1", "1e-3", ".5", "2.", "nan", "none"]
    ):
        assert "not a whole number" not in invoke([*words, option, typed]).output
        assert "not a number" not in invoke([*words, option, typed]).output


def test_every_kind_of_numeric_option_is_tried() -> None:
    assert {(" ".join(w), o) for w, o, _ in NUMERIC} >= {
        ("run", "--limit"),
        ("run", "--temperature"),
        ("score", "--bootstrap"),
        ("build", "--wave"),
        ("synth", "--seed"),
    }


LOOP_INPUTS: dict[str, list[str]] = {
    "score": ["score", "loop"],
    "parse": ["parse", "loop"],
    "judge-report": ["judge-report", "loop"],
    "judge": ["judge", "loop", "loop", "--model", "j", "--base-url", "http://127.0.0.1:9/v1"],
    "leaderboard": ["leaderboard", "loop"],
    "validate": ["validate", "loop"],
}


@pytest.mark.parametrize("command", sorted(LOOP_INPUTS))
def test_an_input_that_is_a_symlink_loop_is_named_as_one(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """click's existence check said `File 'loop' does not exist` of a symlink loop, which the
    other inputs name as a loop (`sgbench.cli.options.InputPath`)."""
    monkeypatch.chdir(tmp_path)
    Path("loop").symlink_to("loop2")
    Path("loop2").symlink_to("loop")
    assert_one_error_line(invoke(LOOP_INPUTS[command]), "loop: a symlink loop")


@pytest.mark.parametrize("command", sorted(LOOP_INPUTS))
def test_an_input_that_is_a_symlink_to_nothing_is_named_as_one(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """click said `File 'loop' does not exist` of a link that `ls` shows; the dataset's files
    and --dataset already named it (`sgbench.files.input_problem`)."""
    monkeypatch.chdir(tmp_path)
    Path("loop").symlink_to("gone/x.jsonl")
    result = invoke(LOOP_INPUTS[command])
    assert_one_error_line(result, "loop: a symlink to nothing")
    assert str(tmp_path / "gone" / "x.jsonl") in result.output
