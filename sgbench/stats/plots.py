"""Charts of the value landscape and of score reports (matplotlib, an optional dependency).

Install with ``pip install 'sgbench[plots]'``. Without matplotlib every function here raises
:class:`PlotsUnavailable` (an :class:`~sgbench.errors.InputError`, so the CLI shows one line and
exits with code 2); ``sgbench stats`` catches it and writes its other outputs.

Figures are built on matplotlib's object API (no pyplot, no global figure state) and rendered
with the Agg canvas (PNG) or the SVG backend. Chart files are deterministic: PNG with the
``Software`` metadata ``sgbench`` (no matplotlib version), SVG without the ``Date`` metadata,
with ``sgbench`` as creator and a fixed ``svg.hashsalt`` (the ids of clip paths), text kept as
text in SVG, fonts from matplotlib's bundled DejaVu Sans. The stamp tells a later ``score
--plot`` that a file is a chart of sgbench's, which it may replace (:data:`CHART`)."""

from __future__ import annotations

import io
import logging
import os
import re
import threading
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, cast, get_args

import numpy as np

from sgbench.boundary import PathArg
from sgbench.errors import InputError, bounded, one_line
from sgbench.files import OutputKind, write_atomic, writes
from sgbench.scoring.data import FloatArray

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sgbench.scoring.report import ScoreReport
    from sgbench.stats.report import StatsReport

ChartFormat = Literal["png", "svg"]
CHART_FORMATS: Final[tuple[ChartFormat, ...]] = get_args(ChartFormat)
"""The chart file formats (``sgbench stats --format``)."""
INSTALL_HINT: Final = "charts need matplotlib: pip install 'sgbench[plots]'"
RC: Final[Mapping[str, Any]] = {
    "svg.hashsalt": "sgbench",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "image.cmap": "viridis",
    "text.parse_math": False,
}
"""Fixed settings every chart is drawn and saved under, over matplotlib's defaults (never the
user's matplotlibrc). Text is never read as mathtext: a model or file name holding ``$`` is
shown as written (``$\\foo{$`` used to end the command with a traceback)."""
CHART_STAMP: Final = "sgbench"
"""The creator every chart names, with no version or date (the same input gives the same bytes
under another matplotlib or sgbench): PNG's ``Software`` text, SVG's ``dc:creator``. It is how a
later command knows a chart as sgbench's own (:data:`CHART`)."""
SAVE_METADATA: Final[Mapping[str, Mapping[str, str | None]]] = {
    "png": {"Software": CHART_STAMP},
    "svg": {"Date": None, "Creator": CHART_STAMP},
}
_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
_PNG_STAMP: Final = b"Software\x00" + CHART_STAMP.encode()
_SVG_STAMP: Final = re.compile(
    rb"\A<\?xml[^>]*\?>.{0,4096}?<dc:creator>\s*<cc:Agent>\s*<dc:title>"
    + re.escape(CHART_STAMP.encode())
    + rb"</dc:title>",
    re.DOTALL,
)


def _stamped(head: bytes) -> bool:
    """Whether a file's first bytes are a chart sgbench drew: a PNG whose text chunks before
    the image data hold ``Software`` = :data:`CHART_STAMP`, or an SVG whose metadata names it
    as creator, near the top where matplotlib writes it."""
    if head.startswith(_PNG_SIGNATURE):
        at = len(_PNG_SIGNATURE)
        while at + 8 <= len(head):
            size = int.from_bytes(head[at : at + 4], "big")
            chunk = head[at + 4 : at + 8]
            if chunk == b"IDAT" or chunk == b"IEND":
                return False
            if chunk == b"tEXt" and head[at + 8 : at + 8 + size] == _PNG_STAMP:
                return True
            at += 12 + size  # length, type, data, CRC
        return False
    return _SVG_STAMP.match(head) is not None


CHART: Final = OutputKind("a chart of sgbench (a PNG or SVG it drew)", _stamped)
"""What ``score --plot`` replaces: a chart sgbench drew (stamped with :data:`CHART_STAMP`), or an
empty file. Charts drawn before the stamp existed carry none and are refused like a picture of
yours."""
BAR_COLOUR: Final = "#4c72b0"
DOT_COLOUR: Final = "#333333"
LIGHT_COLOUR: Final = "#9fb6db"
STRATUM_MARKERS: Final = ("o", "s", "^", "D", "v")
HEATMAP_ROWS: Final = 51
"""At most this many subgroups per heatmap panel, so that each label gets 8 pt (the embedded
default's 101 subgroups take two panels side by side)."""
LABEL_SIZE: Final = 8
"""Font size (pt) of every tick label: the smallest that stays legible in print."""


class PlotsUnavailable(InputError):
    """matplotlib is not installed."""


def require_matplotlib() -> None:
    """Raise :class:`PlotsUnavailable` unless matplotlib can be imported; the first import of
    it, with its warnings quieted: an unwritable or missing ``MPLCONFIGDIR`` or home folder
    added two lines around the one ``Error:`` line (matplotlib uses a temporary folder
    instead, which is fine)."""
    logging.getLogger("matplotlib").setLevel(logging.ERROR)
    # The charts are drawn on the Agg and SVG canvases directly, never through a backend; an
    # MPLBACKEND naming none matplotlib knows failed its import with a traceback (exit 1).
    os.environ.pop("MPLBACKEND", None)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise PlotsUnavailable(INSTALL_HINT) from None


def chart_format(path: PathArg) -> ChartFormat:
    """The chart format of an output path from its suffix (``.png`` or ``.svg``).

    Raises:
        InputError: any other suffix.
    """
    suffix = Path(path).suffix.lower()
    if suffix == ".png":
        return "png"
    if suffix == ".svg":
        return "svg"
    raise InputError(f"{path}: a chart must be a .png or .svg file")


_ONE_AT_A_TIME: Final = threading.RLock()
"""Held while a chart is drawn: matplotlib's settings are the process's, and a thread leaving
``rc_context`` put the user's back under another thread's chart (two threads writing one stats
folder wrote charts of neither's bytes)."""


@contextmanager
def _drawing() -> Iterator[None]:
    """matplotlib's defaults with the fixed settings (:data:`RC`) for drawing and saving one
    chart, whatever matplotlibrc the user has, one chart of the process at a time."""
    require_matplotlib()
    import matplotlib

    with _ONE_AT_A_TIME, matplotlib.rc_context():
        # matplotlib's own defaults first: a matplotlibrc of the user's (in the working folder,
        # MATPLOTLIBRC, MPLCONFIGDIR or ~/.config) changed line widths, colours and sizes, so
        # the same report gave other chart bytes on another account.
        matplotlib.rcdefaults()
        cast("MutableMapping[str, Any]", matplotlib.rcParams).update(RC)  # typed by literal keys
        yield


def _new_figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _render(figure: Figure, fmt: ChartFormat) -> bytes:
    """The figure's file content in ``fmt``, without time or software stamps."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, metadata=dict(SAVE_METADATA[fmt]))
    return buffer.getvalue()


def _subtitle(name: str, version: str, synthetic: bool | None) -> str:
    shown = f"{bounded(one_line(name))} {bounded(one_line(version))}"
    return shown + (" — SYNTHETIC data, not WVS results" if synthetic else "")


def _stratum_styles(strata: list[str]) -> dict[str, tuple[Any, str]]:
    """A distinct (colour, marker) per stratum, in the order given (10 colours, 5 shapes)."""
    import matplotlib as mpl

    colours = mpl.colormaps["tab10"]
    return {
        stratum: (colours(k % 10), STRATUM_MARKERS[(k // 2) % len(STRATUM_MARKERS)])
        for k, stratum in enumerate(strata)
    }


def mds_by_section(report: StatsReport) -> Figure:
    """Bars: each section's mean MDS over its (question, stratum) cells, most divisive on top;
    dots: the same mean within each stratum, one colour and marker per stratum (in the legend),
    each stratum a little offset across the bar so that equal values stay apart."""
    sections = report.sections.sort_values(["mds", "distance"], kind="stable")
    strata = report.section_strata.reindex(index=sections.index)
    rows = np.arange(len(sections))
    styles = _stratum_styles([str(c) for c in strata.columns])
    legend_rows = -(-(len(styles) + 1) // 4)
    figure = _new_figure(9.0, 1.9 + 0.36 * max(len(sections), 1) + 0.2 * legend_rows)
    axes = figure.subplots()
    axes.barh(rows, sections["mds"].fillna(0.0), color=LIGHT_COLOUR, label="section mean")
    spread = 0.6 / max(len(styles), 1)
    for k, (stratum, (colour, marker)) in enumerate(styles.items()):
        axes.scatter(
            strata[stratum].to_numpy(dtype=np.float64),
            rows + (k - (len(styles) - 1) / 2) * spread,
            s=16,
            color=colour,
            marker=marker,
            edgecolors="white",
            linewidths=0.4,
            zorder=3,
            label=bounded(one_line(stratum)),
        )
    dots = strata.to_numpy(dtype=np.float64)
    high = np.nanmax(np.append(dots.ravel(), sections["mds"].to_numpy(dtype=np.float64)))
    axes.set_xlim(0.0, min(1.0, 1.15 * high) if np.isfinite(high) and high > 0 else 1.0)
    # The section's value goes with its name, clear of the dots that may cover the bar's end.
    names = [
        f"{bounded(one_line(section))}  {'–' if np.isnan(value) else f'{value:.3f}'}"
        for section, value in zip(sections.index, sections["mds"], strict=True)
    ]
    axes.set_yticks(rows, names)
    axes.set_xlabel("MDS, mean over (question, stratum) cells; 0 = one modal answer for all")
    d = report.dataset
    axes.set_title(f"Modal Diversity Score by section\n{_subtitle(d.name, d.version, d.synthetic)}")
    figure.legend(
        loc="outside lower center",
        ncols=4,
        fontsize=8,
        frameon=False,
        title="bar: section mean; dots: mean within one stratum",
        title_fontsize=8,
    )
    return figure


def distance_heatmap(report: StatsReport) -> Figure:
    """Heatmap: mean normalised W1 between each subgroup and the population, per section.

    Rows: subgroups, single attributes first, then by stratum and id, cut into panels of at most
    :data:`HEATMAP_ROWS` side by side (one colour scale), so every label is
    :data:`LABEL_SIZE` pt; columns: sections, most divisive (by MDS) first. Blank: the subgroup
    has no sample in that section.
    """
    import matplotlib as mpl
    from matplotlib.colors import Normalize

    sections = report.sections.sort_values(["mds", "distance"], ascending=False, kind="stable")
    order = report.subgroups.assign(width=report.subgroups["stratum"].str.count("_x_"))
    order = order.sort_values(["width", "stratum"], kind="stable")
    matrix = report.subgroup_sections.reindex(index=order.index, columns=sections.index)
    values = np.ma.masked_invalid(matrix.to_numpy(dtype=np.float64))
    chunks = np.array_split(np.arange(len(order)), max(1, -(-len(order) // HEATMAP_ROWS)))
    tallest = max(len(chunk) for chunk in chunks)
    figure = _new_figure(
        1.0 + len(chunks) * (3.2 + 0.3 * len(sections)), 3.6 + 0.15 * max(tallest, 1)
    )
    panels = figure.subplots(1, len(chunks), squeeze=False)[0]
    colours = mpl.colormaps["viridis"].with_extremes(bad="#eeeeee")
    high = float(values.max()) if values.count() else 1.0
    norm = Normalize(vmin=0.0, vmax=high if high > 0 else 1.0)
    image = None
    for axes, chunk in zip(panels, chunks, strict=True):
        block = values[chunk] if len(chunk) else values[:0]
        image = axes.imshow(block, aspect="auto", cmap=colours, interpolation="nearest", norm=norm)
        axes.set_xticks(np.arange(len(sections)), [bounded(one_line(s)) for s in sections.index])
        axes.tick_params(axis="x", labelrotation=60, labelsize=LABEL_SIZE)
        for label in axes.get_xticklabels():
            label.set_horizontalalignment("right")
            label.set_rotation_mode("anchor")
        axes.set_yticks(
            np.arange(len(chunk)),
            [bounded(one_line(order.index[i])) for i in chunk],
            fontsize=LABEL_SIZE,
        )
    if image is not None:
        figure.colorbar(
            image, ax=list(panels), shrink=0.5, label="mean normalised W1 from the population"
        )
    d = report.dataset
    figure.suptitle(
        f"Distance from the population, subgroup × section\n"
        f"{_subtitle(d.name, d.version, d.synthetic)}",
        fontsize=10,
    )
    return figure


def margin_histogram(report: StatsReport) -> Figure:
    """Histogram of every sample's ``margin`` (top share − second share; 0 = a tie)."""
    margin = report.margin
    figure = _new_figure(7.0, 3.6)
    axes = figure.subplots()
    axes.hist(margin, bins=40, range=(0.0, 1.0), color=BAR_COLOUR)
    if len(margin):
        median = float(np.median(margin))
        axes.axvline(median, color="black", linestyle="--", linewidth=1)
        axes.annotate(
            f"median {median:.3f}; {np.mean(margin < 0.05):.1%} below 0.05; "
            f"{np.mean(margin <= 0.0):.1%} ties",
            (0.98, 0.95),
            xycoords="axes fraction",
            ha="right",
            va="top",
            fontsize=8,
        )
    axes.set_xlim(0.0, 1.0)
    axes.set_xlabel("margin: share of the modal answer minus the next (0 = tied modes)")
    axes.set_ylabel("samples")
    d = report.dataset
    axes.set_title(f"Distribution of margin\n{_subtitle(d.name, d.version, d.synthetic)}")
    return figure


def stats_charts(report: StatsReport, fmt: ChartFormat) -> dict[str, bytes]:
    """Every chart of ``sgbench stats``, file stem → content in ``fmt``.

    Raises:
        PlotsUnavailable: matplotlib is not installed.
    """
    with _drawing():
        return {
            "mds_by_section": _render(mds_by_section(report), fmt),
            "distance_heatmap": _render(distance_heatmap(report), fmt),
            "margin": _render(margin_histogram(report), fmt),
        }


def _zoom(values: FloatArray) -> tuple[float, float]:
    """Axis limits around the finite ``values`` (10% margin, at least 0.1 wide), within [0, 1].

    Zoomed rather than [0, 1] so that gaps between groups are visible at a glance.
    """
    finite = values[np.isfinite(values)]
    if not len(finite):
        return 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    pad = max(0.1 * (high - low), (0.1 - (high - low)) / 2, 0.0)
    return max(0.0, low - pad), min(1.0, high + pad)


def score_title(report: ScoreReport, predictions: PathArg, model: str | None) -> str:
    """The score chart's title: the model, the predictions file's name, the split and settings.

    Only the file's name (not its folder), so the chart's bytes do not depend on where it lies.
    """
    d, boot = report.dataset, report.intervals
    ci = (
        f"95% bootstrap intervals over questions (n={boot.n_boot}, seed={boot.seed})"
        if boot.n_boot
        else "no bootstrap intervals"
    )
    # The user's own text, shown by the rule every display of foreign text follows.
    named = bounded(one_line(model or "")) or "model not named (score --model)"
    return (
        f"{named} — predictions {bounded(one_line(Path(predictions).name))}\n"
        f"Accuracy and NMAE per attribute value, {d.config}/{report.split}; dashed: overall\n"
        f"{_subtitle(d.name, d.version, d.synthetic)}; {ci}"
    )


def score_chart(
    report: ScoreReport, predictions: PathArg = "predictions", model: str | None = None
) -> Figure:
    """Accuracy and NMAE per attribute value, with their 95% bootstrap intervals.

    One row per attribute value (grouped by attribute), one panel per metric; the dashed line is
    the split's overall value. Intervals come from the report's bootstrap over questions (the
    same replicates as its other intervals); without bootstrap only the points are drawn. The
    title names ``model`` and the ``predictions`` file (:func:`score_title`).
    """
    from sgbench.scoring.metrics import FAIRNESS_METRICS
    from sgbench.scoring.report import ATTRIBUTE_PREFIX

    labels: list[str] = []
    positions: list[float] = []
    keys: list[tuple[str, str]] = []
    for block, (attribute, result) in enumerate(report.by_attribute.items()):
        for group in result.groups:
            positions.append(len(keys) + 0.6 * block)  # a small gap between attributes
            labels.append(f"{bounded(one_line(attribute))} = {bounded(one_line(group))}")
            keys.append((attribute, group))
    rows = -np.asarray(positions, dtype=np.float64)
    figure = _new_figure(9.0, 1.6 + 0.24 * max(len(keys), 1))
    panels = figure.subplots(1, len(FAIRNESS_METRICS), sharey=True, squeeze=False)[0]
    intervals = report.intervals.groups
    for axes, metric in zip(panels, FAIRNESS_METRICS, strict=True):
        values = np.asarray(
            [report.by_attribute[a].results[metric].by_group()[g] for a, g in keys],
            dtype=np.float64,
        )
        bounds = np.asarray(
            [
                intervals.get(ATTRIBUTE_PREFIX + a, {}).get(metric, {}).get(g, (np.nan, np.nan))
                for a, g in keys
            ],
            dtype=np.float64,
        ).reshape(len(keys), 2)
        error = np.clip(np.stack([values - bounds[:, 0], bounds[:, 1] - values]), 0.0, None)
        axes.errorbar(
            values,
            rows,
            xerr=np.nan_to_num(error),
            fmt="o",
            color=BAR_COLOUR,
            ecolor=DOT_COLOUR,
            markersize=4,
            capsize=2,
        )
        overall = report.metrics[metric]
        axes.axvline(overall, color="black", linestyle="--", linewidth=1)
        axes.set_xlim(*_zoom(np.concatenate([values, bounds.ravel(), [overall]])))
        axes.set_xlabel(f"{metric} ({'higher' if metric == 'accuracy' else 'lower'} is better)")
        axes.grid(axis="x", linewidth=0.4, alpha=0.5)
    panels[0].set_yticks(rows, labels)
    figure.suptitle(score_title(report, predictions, model), fontsize=9)
    return figure


@writes(path="--plot")
def write_score_chart(
    report: ScoreReport,
    path: PathArg,
    predictions: PathArg = "predictions",
    model: str | None = None,
) -> Path:
    """Draw :func:`score_chart` and write it to ``path`` (``.png`` or ``.svg``), atomically.

    Raises:
        PlotsUnavailable: matplotlib is not installed.
        InputError: another suffix, ``path`` is or lies in what the report was read from, the
            predictions file or the dataset folder (:func:`~sgbench.files.writes`, as ``sgbench
            score --plot`` refuses it), or the file cannot be written.
    """
    target = Path(path)
    fmt = chart_format(target)
    with _drawing():
        content = _render(score_chart(report, predictions, model), fmt)
    write_atomic(path, content, kind=CHART, what="chart")
    return target
