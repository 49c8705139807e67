"""How reports reach the terminal: the summary on stdout, the JSON where ``--json`` says."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Protocol, TypeVar

import click

from sgbench.boundary import PathArg
from sgbench.cli.errors import check_delivered
from sgbench.errors import shown_name


class _Report(Protocol):
    def to_json(self) -> str: ...

    def render(self) -> str: ...


R = TypeVar("R", bound=_Report)


def say(text: str) -> None:
    """Write a summary or note line (``text``) to standard error, once standard output holds all
    the command wrote there: the one rule of every such line of a command. A reader gone
    (``baseline ... | head -1``) raises the broken pipe first (exit code 141, nothing said):
    ``majority: 2780 of 2780 samples ... predicted`` was printed, then the command stopped, the
    predictions never delivered."""
    check_delivered()
    click.echo(text, err=True)


def wrote(*paths: PathArg, note: str = "") -> None:
    """The summary line on standard error naming what a command wrote (``wrote P1, P2``, then
    ``note``): the one way such a line names a path, escaped as every message names one
    (:func:`~sgbench.errors.shown_name`). Printed as given, a right-to-left override (U+202E)
    in a name reordered the terminal line (``synth``, ``stats``, ``export lm-eval``)."""
    names = ", ".join(shown_name(os.fspath(path)) for path in paths)
    say(f"wrote {names}{note}")


def show_report(report: R, json_out: str | None, write: Callable[[R, str], None]) -> None:
    """The summary on stdout, and the JSON report written to ``json_out`` with ``write``; with
    ``json_out`` ``-``, the JSON on stdout and the summary on stderr."""
    if json_out == "-":
        click.echo(report.to_json(), nl=False)
        say(report.render())
    else:
        if json_out is not None:
            write(report, json_out)
        click.echo(report.render())
