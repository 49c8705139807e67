"""The value landscape: ``stats`` (``score --plot`` draws the score chart)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from sgbench.cli.options import LibraryChoice, config_option, dataset_option, out_folder_option
from sgbench.cli.output import say, wrote


def _chart_formats() -> Sequence[str]:
    from sgbench.stats.plots import CHART_FORMATS

    return CHART_FORMATS


@click.command(name="stats")
@dataset_option
@config_option
@out_folder_option(
    "Folder for stats.json, stats.md and the charts; an existing one is replaced only if it "
    "is empty or an earlier `sgbench stats` output.",
    Path("sgbench-stats"),
)
@click.option(
    "--format",
    "chart_format",
    type=LibraryChoice(_chart_formats),
    default="png",
    show_default=True,
    help="Chart file format.",
)
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="How many most and least divisive questions to list.",
)
def stats_command(
    dataset_dir: str, config: str, out_dir: Path, chart_format: str, top: int
) -> None:
    """Describe where subgroups disagree, before any model is scored.

    Writes stats.json, a Markdown report (stats.md) and charts: Modal Diversity Score by section,
    subgroup × section distance from the population, and the distribution of margin. Every
    sample of the config counts (its splits together hold the whole dataset).
    """
    from sgbench.files import check_outputs_apart, writing_folder
    from sgbench.stats import compute_stats, write_stats
    from sgbench.stats.plots import INSTALL_HINT

    check_outputs_apart([("--dataset", dataset_dir)], [("--out", out_dir)])
    with writing_folder(out_dir, "stats", name="--out"):
        report = compute_stats(dataset_dir, config=config, top=top)
        written = write_stats(report, out_dir, chart_format=chart_format)  # type: ignore[arg-type]
    click.echo(report.summary())
    wrote(*written.paths)
    if written.charts_skipped:
        say(f"note: no charts written; {INSTALL_HINT}")
