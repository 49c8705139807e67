"""How reports reach the terminal: the summary on stdout, the JSON where ``--json`` says."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

import click

from sgbench.cli.errors import check_delivered


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
