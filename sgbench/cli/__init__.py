"""The ``sgbench`` command line: each command parses its arguments and calls the library.

One module per command family (:mod:`~sgbench.cli.build`, :mod:`~sgbench.cli.score`,
:mod:`~sgbench.cli.publish`, :mod:`~sgbench.cli.run`, :mod:`~sgbench.cli.export`,
:mod:`~sgbench.cli.stats`, :mod:`~sgbench.cli.leaderboard`, :mod:`~sgbench.cli.judge`,
:mod:`~sgbench.cli.paper`); shared options, whose choices come from library constants, in
:mod:`~sgbench.cli.options`; exit codes and error handling, once for every command, in
:mod:`~sgbench.cli.errors` (0 done, 2 error or usage, 3 completed with something left out, 130
interrupted). Data goes to stdout, diagnostics to stderr.
"""

from __future__ import annotations

import os

import click

from sgbench import __version__
from sgbench.cli.build import build, synth
from sgbench.cli.errors import EXIT_LEFT_OUT, SgbenchGroup
from sgbench.cli.export import export_group
from sgbench.cli.judge import judge_command, judge_report_command
from sgbench.cli.leaderboard import baseline_command, leaderboard_command
from sgbench.cli.paper import import_group, paper_table_command
from sgbench.cli.publish import push, validate
from sgbench.cli.run import prompts_command, run_command
from sgbench.cli.score import parse, score
from sgbench.cli.stats import stats_command


@click.group(cls=SgbenchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sgbench")
def main() -> None:
    """sgbench: subgroup-level cultural value alignment on the World Values Survey.

    Build the dataset from a WVS file (or the embedded synthetic sample), then score prediction
    files against it.
    """
    # Arrow's default allocator keeps freed memory; jemalloc hands it back, which keeps the
    # all-country commands under their memory budget (benchmarks/bench_scale.py). A default
    # only: the user's own ARROW_DEFAULT_MEMORY_POOL wins. Set before any pyarrow import.
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")


for _command in (
    build,
    synth,
    score,
    parse,
    push,
    validate,
    prompts_command,
    run_command,
    export_group,
    stats_command,
    baseline_command,
    leaderboard_command,
    judge_command,
    judge_report_command,
    import_group,
    paper_table_command,
):
    main.add_command(_command)

__all__ = ["EXIT_LEFT_OUT", "main"]
