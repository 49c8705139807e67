"""The study's own outputs and table: ``import paper-outputs`` and ``paper-table``."""

from __future__ import annotations

from pathlib import Path

import click

from sgbench.cli.errors import left_out
from sgbench.cli.options import OutputFile, dataset_option, model_name
from sgbench.cli.output import say

LISTED_WITH_REPORT = 20
"""Rows left out that stderr lists when ``--report`` holds them all."""


@click.group(name="import")
def import_group() -> None:
    """Import outputs made outside sgbench as responses files for `sgbench parse`."""


@import_group.command(name="paper-outputs")
@click.argument("source", metavar="SOURCE")
@click.option(
    "--out",
    "out_path",
    type=OutputFile(path_type=Path),
    required=True,
    help="Responses file to write (JSON Lines, one {id, response, model, template} per line).",
)
@dataset_option
@click.option(
    "--model",
    default=None,
    callback=model_name,
    help="Model name to record (default: SOURCE's stem).",
)
@click.option(
    "--hub-config", default=None, help="Config of a Hub SOURCE (e.g. one model's outputs)."
)
@click.option("--hub-split", default=None, help="Split of a Hub SOURCE (default: train).")
@click.option(
    "--report",
    "report_path",
    type=OutputFile(path_type=Path),
    default=None,
    help="Also write a JSON report: every row left out with its reason, counts per stratum, "
    "and the samples and questions no row names.",
)
def import_paper_outputs_command(
    source: str,
    out_path: Path,
    dataset_dir: str,
    model: str | None,
    hub_config: str | None,
    hub_split: str | None,
    report_path: Path | None,
) -> None:
    """Map the study's released outputs (custom_id, response) to the `paper` config's samples.

    SOURCE is a local .jsonl, .csv or .parquet file with `custom_id` and `response` columns, or
    a Hub dataset written hf://owner/name (e.g. hf://Incomple/SubgroupValuesSG-outputs; needs
    the network and `datasets`; nothing else is looked up online). Ids are matched through the
    dataset's attribute definitions and the codebook labels, never guessed: ids matching no
    sample or several are left out, listed on stderr (and in --report) with counts per
    stratum, and the exit code is then 3.
    """
    from sgbench.paper import import_paper_outputs

    result = import_paper_outputs(
        source,
        dataset_dir,
        out_path,
        model=model,
        hub_config=hub_config,
        hub_split=hub_split,
        report=report_path,
    )
    limit = None if report_path is None else LISTED_WITH_REPORT
    say(result.summary(list_limit=limit))
    if result.left_out:
        left_out()


@click.command(name="paper-table")
@click.argument("reports", metavar="[NAME=]REPORT.json", nargs=-1)
def paper_table_command(reports: tuple[str, ...]) -> None:
    """Print the study's published OOD table, with score reports (`sgbench score --json`)
    beside the rows of the same model.

    A report's model is NAME when given, else its file stem; a name ending in `fine-tuned`
    goes beside the fine-tuned figures. Score with `--config paper --split test_ood`.
    """
    from sgbench.files import check_outputs_apart
    from sgbench.paper.table import entry_parts, paper_table

    check_outputs_apart([(report, entry_parts(report)[1] or None) for report in reports], [])
    table = paper_table(list(reports))
    for warning in table.warnings():
        say(warning)
    click.echo(table.render())
