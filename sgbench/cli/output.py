"""How reports reach the terminal: the summary on stdout, the JSON where ``--json`` says."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

import click


class _Report(Protocol):
    def to_json(self) -> str: ...

    def render(self) -> str: ...


R = TypeVar("R", bound=_Report)


def show_report(report: R, json_out: str | None, write: Callable[[R, str], None]) -> None:
    """The summary on stdout, and the JSON report written to ``json_out`` with ``write``; with
    ``json_out`` ``-``, the JSON on stdout and the summary on stderr."""
    if json_out == "-":
        click.echo(report.to_json(), nl=False)
        click.echo(report.render(), err=True)
    else:
        if json_out is not None:
            write(report, json_out)
        click.echo(report.render())
