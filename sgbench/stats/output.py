"""Writing ``sgbench stats``'s folder: ``stats.json``, ``stats.md`` and the charts.

The report (:mod:`sgbench.stats.report`) knows nothing of charts and the charts
(:mod:`sgbench.stats.plots`) only read the report; this module puts the two side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from sgbench.boundary import ArgumentName, PathArg, public
from sgbench.files import replace_folder, writes
from sgbench.stats.plots import ChartFormat, PlotsUnavailable, stats_charts
from sgbench.stats.report import StatsReport

STATS_JSON: Final = "stats.json"
STATS_MD: Final = "stats.md"


@dataclass(frozen=True)
class StatsOutput:
    """What :func:`write_stats` wrote."""

    paths: tuple[Path, ...]
    """Files written, in order: stats.json, stats.md, then the charts."""
    charts_skipped: bool
    """True when matplotlib is missing (stats.json and stats.md are written anyway)."""


CHART_TITLES: Final = {
    "mds_by_section": "Modal Diversity Score by section",
    "distance_heatmap": "Distance from the population, subgroup × section",
    "margin": "Distribution of margin",
}
"""Chart file stem → title (the Markdown links them in this order)."""


@public
@writes(out_dir="--out")
def write_stats(
    report: StatsReport, out_dir: PathArg, chart_format: ChartFormat = "png"
) -> StatsOutput:
    """Write ``stats.json``, ``stats.md`` and the charts (``<stem>.<chart_format>``) to ``out_dir``.

    Everything is rendered in memory first, then written through
    :func:`sgbench.files.replace_folder`: nothing is written if any part fails, and an existing
    ``out_dir`` is replaced only if it is an earlier ``sgbench stats`` output (or empty). Without
    matplotlib the charts are skipped (:attr:`StatsOutput.charts_skipped`).

    Raises:
        InputError: a chart format not in :data:`~sgbench.stats.plots.CHART_FORMATS` (refused by
            :func:`sgbench.boundary.public`), ``out_dir`` is or lies in the dataset folder the
            report was computed from (:func:`~sgbench.files.writes`, as ``sgbench stats``
            refuses it), or the folder cannot be written.
    """
    try:
        charts = {
            f"{stem}.{chart_format}": content
            for stem, content in stats_charts(report, chart_format).items()
        }
        skipped = False
    except PlotsUnavailable:
        charts, skipped = {}, True
    links = {CHART_TITLES[name.rsplit(".", 1)[0]]: name for name in charts}
    files = {
        STATS_JSON: report.to_json().encode("utf-8"),
        STATS_MD: report.render_markdown(links).encode("utf-8"),
        **charts,
    }

    def write(staging: Path) -> None:
        for name, content in files.items():
            (staging / name).write_bytes(content)

    target = replace_folder(
        out_dir, "stats", write, what="statistics", name=ArgumentName("out_dir", "--out")
    )
    return StatsOutput(paths=tuple(target / name for name in files), charts_skipped=skipped)
