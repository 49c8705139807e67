"""Charts: ``sgbench stats`` charts and ``sgbench score --plot`` (matplotlib, the plots extra)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from cli_contract import assert_one_error_line, module_environment, run_module
from click.testing import CliRunner
from landscape_fixtures import write_landscape_dataset
from scoring_fixtures import HAND_PREDICTIONS, write_hand_dataset, write_jsonl

from sgbench.cli import main
from sgbench.scoring import score_predictions
from sgbench.scoring.bootstrap import (
    MIN_REPLICATES,
    bootstrap_intervals,
    expanded_tail,
    multiplicities,
)
from sgbench.stats import compute_stats, plots, write_stats
from sgbench.stats.plots import (
    CHART,
    HEATMAP_ROWS,
    INSTALL_HINT,
    _drawing,
    chart_format,
    distance_heatmap,
    mds_by_section,
    score_chart,
    stats_charts,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHARTS = ("mds_by_section", "distance_heatmap", "margin")


@pytest.fixture
def landscape(tmp_path: Path) -> Path:
    return write_landscape_dataset(tmp_path / "ds")


@pytest.fixture
def scoring_case(tmp_path: Path) -> tuple[Path, Path]:
    dataset = write_hand_dataset(tmp_path / "hand")
    return dataset, write_jsonl(tmp_path / "pred.jsonl", HAND_PREDICTIONS)


@pytest.fixture(autouse=True)
def _matplotlib() -> None:
    pytest.importorskip("matplotlib")


def test_stats_png_charts_are_written(tmp_path: Path, landscape: Path) -> None:
    written = write_stats(compute_stats(landscape), tmp_path / "out", chart_format="png")
    assert not written.charts_skipped
    for stem in CHARTS:
        content = (tmp_path / "out" / f"{stem}.png").read_bytes()
        assert len(content) > 1000
        assert content.startswith(PNG_SIGNATURE)
        # The fixed stamp, no matplotlib version: a later run knows the chart as its own.
        assert b"\x00\x00\x00\x10tEXtSoftware\x00sgbench" in content[:100]
        assert CHART.ours(content)
    text = (tmp_path / "out" / "stats.md").read_text(encoding="utf-8")
    assert "![Modal Diversity Score by section](mds_by_section.png)" in text


def test_stats_svg_charts_are_deterministic(landscape: Path) -> None:
    report = compute_stats(landscape)
    first = stats_charts(report, "svg")
    second = stats_charts(report, "svg")
    assert sorted(first) == sorted(CHARTS)
    for stem in CHARTS:
        assert first[stem] == second[stem]
        assert first[stem].startswith(b"<?xml")
        assert b"<svg" in first[stem]
        assert b"<dc:date>" not in first[stem]
    assert b"Alpha" in first["mds_by_section"]  # text is kept as text
    assert b"SYNTHETIC" in first["margin"]


def test_png_charts_are_deterministic(landscape: Path) -> None:
    report = compute_stats(landscape)
    assert stats_charts(report, "png") == stats_charts(report, "png")


def test_score_plot_writes_png_and_svg(tmp_path: Path, scoring_case: tuple[Path, Path]) -> None:
    dataset, predictions = scoring_case
    for name in ("chart.png", "chart.svg"):
        out = tmp_path / name
        args = ["score", str(predictions), "--dataset", str(dataset), "--plot", str(out)]
        result = CliRunner().invoke(main, [*args, "--bootstrap", str(MIN_REPLICATES)])
        assert result.exit_code == 0, result.output
        content = out.read_bytes()
        assert len(content) > 1000
        if name.endswith(".png"):
            assert content.startswith(PNG_SIGNATURE)
        else:
            assert b"age_group = 16-24" in content
            assert b"religion = Muslim" in content
    assert "accuracy" in result.stdout  # the summary is still printed


def test_score_plot_without_bootstrap(tmp_path: Path, scoring_case: tuple[Path, Path]) -> None:
    dataset, predictions = scoring_case
    out = tmp_path / "chart.svg"
    args = ["score", str(predictions), "--dataset", str(dataset), "--plot", str(out)]
    result = CliRunner().invoke(main, [*args, "--bootstrap", "0"])
    assert result.exit_code == 0, result.output
    assert b"no bootstrap intervals" in out.read_bytes()


def test_score_plot_bad_suffix_is_one_line(tmp_path: Path, scoring_case: tuple[Path, Path]) -> None:
    dataset, predictions = scoring_case
    report = tmp_path / "report.json"
    args = ["score", str(predictions), "--dataset", str(dataset), "--plot", str(tmp_path / "c.pdf")]
    result = CliRunner().invoke(main, [*args, "--json", str(report), "--bootstrap", "0"])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ")
    assert ".png or .svg" in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert not report.exists()


def test_score_model_without_plot_is_refused(
    tmp_path: Path, scoring_case: tuple[Path, Path]
) -> None:
    """--model only names the chart's model; the report records none, so alone it did nothing."""
    dataset, predictions = scoring_case
    report = tmp_path / "report.json"
    args = ["score", str(predictions), "--dataset", str(dataset), "--json", str(report)]
    result = CliRunner().invoke(main, [*args, "--model", "m"])
    assert_one_error_line(result, "--model names the model in the --plot chart's title")
    assert not report.exists()


def test_score_plot_without_matplotlib(
    tmp_path: Path, scoring_case: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    dataset, predictions = scoring_case
    report, chart = tmp_path / "report.json", tmp_path / "chart.png"
    args = ["score", str(predictions), "--dataset", str(dataset), "--plot", str(chart)]
    result = CliRunner().invoke(main, [*args, "--json", str(report), "--bootstrap", "0"])
    assert result.exit_code == 2
    assert result.stderr == f"Error: {INSTALL_HINT}\n"
    assert not chart.exists()
    assert not report.exists()


@pytest.mark.parametrize(("name", "expected"), [("a.png", "png"), ("b.SVG", "svg")])
def test_chart_format_from_suffix(name: str, expected: str) -> None:
    assert chart_format(name) == expected


@pytest.mark.usefixtures("toy_bootstrap")
def test_group_intervals_of_the_bootstrap() -> None:
    # Group A scores 1 on every question, so every replicate's mean is 1. Group B scores 0 on Q1
    # and 1 on Q2 (two samples of Q2): a replicate drawing Q1 a times and Q2 b times has mean
    # 2b / (a + 2b); the interval is the expanded percentile interval of those means (over two
    # questions its tails are nearly 0: the smallest and largest mean).
    values = np.array([1.0, 1.0, 0.0, 1.0, 1.0])
    questions = ["Q1", "Q2", "Q1", "Q2", "Q2"]
    groups = ["A", "A", "B", "B", "B"]
    intervals = bootstrap_intervals(
        {"accuracy": values},
        questions,
        {"g": groups},
        ["accuracy"],
        units=groups,
        n_boot=MIN_REPLICATES,
        seed=3,
    )
    by_group = intervals.groups["g"]["accuracy"]
    assert by_group["A"] == (1.0, 1.0)
    draws = multiplicities(2, MIN_REPLICATES, 3)
    means = [2 * b / (a + 2 * b) for a, b in draws.tolist() if a + 2 * b > 0]
    tail = 100 * expanded_tail(2)
    assert by_group["B"] == pytest.approx(tuple(np.percentile(means, [tail, 100 - tail])))
    assert by_group["B"] == pytest.approx((min(means), max(means)))
    none = bootstrap_intervals(
        {"accuracy": values}, questions, {"g": groups}, ["accuracy"], units=groups, n_boot=0, seed=0
    )
    assert none.groups == {}


# --- legibility: label sizes, panels, legends, titles ------------------------------------------


def _tick_sizes(figure: Figure) -> list[float]:
    """The font size (pt) of every tick label of every axes except colour bars."""
    sizes = []
    for axes in figure.axes:
        if axes.get_label() == "<colorbar>":
            continue
        for label in [*axes.get_xticklabels(), *axes.get_yticklabels()]:
            if label.get_text():
                sizes.append(float(label.get_fontsize()))
    return sizes


def test_heatmap_of_the_embedded_default_has_8_pt_labels(built_default: Path) -> None:
    report = compute_stats(built_default)
    with _drawing():
        figure = distance_heatmap(report)
        figure.canvas.draw()
    panels = [a for a in figure.axes if a.get_label() != "<colorbar>"]
    n = len(report.subgroups)
    assert n == 101
    assert len(panels) == -(-n // HEATMAP_ROWS) == 2
    labels = [t.get_text() for a in panels for t in a.get_yticklabels()]
    assert sorted(labels) == sorted(str(s) for s in report.subgroups.index)  # each once
    sizes = _tick_sizes(figure)
    assert sizes
    assert min(sizes) >= 8.0
    # One colour scale for every panel.
    limits = {a.images[0].get_clim() for a in panels}
    assert len(limits) == 1


def test_heatmap_splits_rows_into_panels(landscape: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    report = compute_stats(landscape)
    monkeypatch.setattr(plots, "HEATMAP_ROWS", 2)
    with _drawing():
        figure = distance_heatmap(report)
    panels = [a for a in figure.axes if a.get_label() != "<colorbar>"]
    n = len(report.subgroups)
    assert len(panels) == -(-n // 2)
    assert [len(a.get_yticklabels()) for a in panels] == [
        len(c) for c in np.array_split(np.arange(n), len(panels))
    ]


def test_mds_chart_labels_every_stratum(built_default: Path) -> None:
    report = compute_stats(built_default)
    with _drawing():
        figure = mds_by_section(report)
        figure.canvas.draw()
    legend = figure.legends[0]
    entries = [t.get_text() for t in legend.get_texts()]
    strata = [str(s) for s in report.section_strata.columns]
    assert len(strata) == 10
    assert sorted(entries) == sorted([*strata, "section mean"])
    # Each stratum's dots have their own colour and marker pair.
    axes = figure.axes[0]
    styles = {
        (tuple(c.get_facecolor()[0]), c.get_paths()[0].vertices.tobytes()) for c in axes.collections
    }
    assert len(styles) == len(strata)
    assert min(_tick_sizes(figure)) >= 8.0


def test_score_chart_title_names_model_and_file(
    tmp_path: Path, scoring_case: tuple[Path, Path]
) -> None:
    dataset, predictions = scoring_case
    out = tmp_path / "chart.svg"
    args = ["score", str(predictions), "--dataset", str(dataset), "--plot", str(out)]
    result = CliRunner().invoke(main, [*args, "--bootstrap", "0", "--model", "Model X-1"])
    assert result.exit_code == 0, result.output
    assert b"Model X-1 \xe2\x80\x94 predictions pred.jsonl" in out.read_bytes()
    report = score_predictions(predictions, dataset, split="test_ood", n_boot=0)
    with _drawing():
        figure = score_chart(report, predictions, None)
        figure.canvas.draw()
    title = figure.get_suptitle()
    assert title.splitlines()[0] == "model not named (score --model) — predictions pred.jsonl"
    assert str(predictions.parent) not in title  # the name only: bytes independent of the folder
    assert min(_tick_sizes(figure)) >= 8.0


def test_a_users_matplotlibrc_does_not_change_the_charts(
    landscape: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A matplotlibrc (in the working folder, MATPLOTLIBRC, MPLCONFIGDIR or ~/.config) is read
    into ``rcParams`` when matplotlib is imported; its line widths, colours and sizes changed the
    bytes of every chart. Set here as such a file would set them."""
    import matplotlib

    report = compute_stats(landscape)
    plain = stats_charts(report, "png")
    for key, value in {"lines.linewidth": 9.0, "font.size": 30.0, "axes.facecolor": "red"}.items():
        monkeypatch.setitem(matplotlib.rcParams, key, value)
    assert stats_charts(report, "png") == plain


@pytest.mark.parametrize("command", ["stats", "score --plot"])
def test_an_unknown_mplbackend_is_not_read(
    command: str, tmp_path: Path, scoring_case: tuple[Path, Path], landscape: Path
) -> None:
    """The charts never use a backend; ``MPLBACKEND=bogus`` failed matplotlib's import with a
    traceback and exit code 1."""
    dataset, predictions = scoring_case
    args = {
        "stats": ["stats", "--dataset", str(landscape), "--out", "st"],
        "score --plot": ["score", str(predictions), "--dataset", str(dataset), "--plot", "c.png"],
    }[command]
    done = run_module(args, tmp_path, env=module_environment(MPLBACKEND="bogus"))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
