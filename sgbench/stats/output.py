"""Writing ``sgbench stats``'s folder: ``stats.json``, ``stats.md`` and the charts.

The report (:mod:`sgbench.stats.report`) knows nothing of charts and the charts
(:mod:`sgbench.stats.plots`) only read the report; this module puts the two side by side.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from sgbench.errors import InputError
from sgbench.stats.plots import CHART_FORMATS, ChartFormat, PlotsUnavailable, stats_charts
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


def _write_all(out_dir: Path, files: Mapping[str, bytes]) -> tuple[Path, ...]:
    """Write every file to a temporary name first, then move them all into place."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir}: exists and is not a folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{out_dir}: cannot create the folder ({exc.strerror})") from None
    temporary = {name: out_dir / f".{name}.{os.getpid()}.tmp" for name in files}
    try:
        for name, content in files.items():
            temporary[name].write_bytes(content)
        for name in files:
            os.replace(temporary[name], out_dir / name)
    except OSError as exc:
        for path in temporary.values():
            path.unlink(missing_ok=True)
        raise InputError(f"{out_dir}: cannot write the statistics ({exc.strerror})") from None
    return tuple(out_dir / name for name in files)


def write_stats(
    report: StatsReport, out_dir: str | Path, chart_format: ChartFormat = "png"
) -> StatsOutput:
    """Write ``stats.json``, ``stats.md`` and the charts (``<stem>.<chart_format>``) to ``out_dir``.

    Everything is rendered in memory first; nothing is written if any part fails. Without
    matplotlib the charts are skipped (:attr:`StatsOutput.charts_skipped`).

    Raises:
        InputError: unknown chart format, or the folder cannot be written.
    """
    if chart_format not in CHART_FORMATS:
        raise InputError(f"unknown chart format {chart_format!r}; choose one of {CHART_FORMATS}")
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
    return StatsOutput(paths=_write_all(Path(out_dir), files), charts_skipped=skipped)
