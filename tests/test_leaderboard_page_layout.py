"""The page's intervals and its chart's markers (the layout itself: the browser test).

Intervals are checked against the scorer's own, computed here on the same predictions with the
same bootstrap settings; the stacking of tied markers on small hand cases and on the crafted
board, where several entries share an accuracy.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from leaderboard_fixtures import write_board_dataset, write_valid_submissions

from sgbench.leaderboard import Leaderboard, build_leaderboard, render_files
from sgbench.leaderboard.page import dodge
from sgbench.scoring import score_predictions
from sgbench.scoring.bootstrap import MIN_REPLICATES
from sgbench.scoring.report import ATTRIBUTE_PREFIX


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_board_dataset(tmp_path_factory.mktemp("layout") / "dataset")


@pytest.fixture(scope="module")
def board(
    toy_bootstrap_module: None, dataset: Path, tmp_path_factory: pytest.TempPathFactory
) -> Leaderboard:
    submissions = write_valid_submissions(tmp_path_factory.mktemp("layout") / "submissions")
    return build_leaderboard(submissions, dataset, n_boot=MIN_REPLICATES, seed=4)


@pytest.mark.usefixtures("toy_bootstrap")
def test_every_interval_is_the_scorers(board: Leaderboard, dataset: Path) -> None:
    for row in board.rows:
        report = score_predictions(
            row.entry.predictions, dataset, split="test_ood", n_boot=MIN_REPLICATES, seed=4
        ).to_dict()
        expected = {"accuracy": report["ci"]["accuracy"], "nmae": report["ci"]["nmae"]}
        for metric in ("accuracy", "nmae"):
            for figure in ("sd_between", "cv_between"):
                expected[f"{metric}.{figure}"] = report["fairness"]["subgroup"][metric]["ci"][
                    figure
                ]
        got = {key: list(bounds) for key, bounds in row.ood.intervals.items()}
        worst = got.pop("worst_group")
        assert got == {k: v for k, v in expected.items() if None not in v}
        attribute, _, value = row.ood.worst_group.partition("=")
        again = score_predictions(
            row.entry.predictions, dataset, split="test_ood", n_boot=MIN_REPLICATES, seed=4
        )
        groups = again.intervals.groups[ATTRIBUTE_PREFIX + attribute]["accuracy"]
        assert worst == list(groups[value])
        assert row.ood.accuracy_ci == tuple(expected["accuracy"])


@pytest.mark.usefixtures("toy_bootstrap")
def test_page_shows_the_intervals_and_no_bootstrap_shows_none(
    board: Leaderboard, dataset: Path, tmp_path: Path
) -> None:
    page = render_files(board)["index.html"]
    alpha = next(r for r in board.rows if r.entry.slug == "alpha")
    low, high = alpha.ood.intervals["nmae"]
    assert f'<span class="ci" title="95% interval">[{low:.3f}, {high:.3f}]</span>' in page
    assert '<th scope="col" data-key="ood_accuracy_ci"' not in page  # shown under the accuracy
    plain = build_leaderboard(write_valid_submissions(tmp_path / "subs"), dataset, n_boot=0)
    assert all(not r.ood.intervals for r in plain.rows)
    assert 'class="ci"' not in render_files(plain)["index.html"]


@pytest.mark.parametrize(
    ("xs", "lanes"),
    [
        ([], []),
        ([5.0], [0]),
        ([5.0, 5.0, 5.0], [0, 1, -1]),  # ties: the first listed on the line
        ([0.0, 30.0, 5.0], [0, 0, 1]),  # 0 and 5 overlap; 30 stands alone
        ([0.0, 10.0, 20.0], [0, 1, -1]),  # a chain of neighbours is one stack
        ([0.0, 12.0], [0, 0]),  # exactly one width apart: no overlap
        ([9.0, 9.0, 9.0, 9.0, 9.0], [0, 1, -1, 2, -2]),
    ],
)
def test_dodge_by_hand(xs: list[float], lanes: list[int]) -> None:
    assert dodge(xs, 12.0) == lanes


def test_chart_markers_never_coincide_and_the_legend_lists_everyone(board: Leaderboard) -> None:
    page = render_files(board)["index.html"]
    chart = page[page.index('<svg class="chart"') : page.index("</svg>")]
    centres = re.findall(r'<circle cx="([0-9.]+)" cy="([0-9.]+)"', chart)
    corners = re.findall(r'<rect x="([0-9.]+)" y="([0-9.]+)"', chart)
    markers = centres + corners
    legend_x = "16.0"
    plotted = [m for m in markers if m[0] != legend_x]
    legend = [m for m in markers if m[0] == legend_x]
    assert len(legend) == len(board.rows)
    n_values = sum(len(values) for values in board.attributes.values())
    assert len(plotted) == n_values * len(board.rows)
    assert len(set(plotted)) == len(plotted)  # no two markers at one spot
    # The crafted board has ties (beta, delta, hostile and gamma share 0.75 for 16-24).
    assert len({x for x, _ in plotted}) < len(plotted)


@pytest.mark.usefixtures("toy_bootstrap")
def test_json_carries_the_intervals_the_page_shows(board: Leaderboard) -> None:
    entries = board.to_dict()["entries"]
    for row, entry in zip(board.rows, entries, strict=True):
        assert entry["test_ood"]["intervals"] == {
            key: list(bounds) for key, bounds in row.ood.intervals.items()
        }
        assert set(entry["test_ood"]["intervals"]) >= {"accuracy", "nmae", "worst_group"}
