"""``index.html`` rendered by headless Chromium (Debian's ``chromium``; skipped where absent).

The page is loaded from a ``file://`` address with networking features off; ``--dump-dom`` prints
the document after its script has run. Checked: the table's rows come in rank order, the page's
sort (``#sort=<column>``) works, the fairness columns show ``cv_between`` of accuracy and
``sd_between`` of NMAE with their permutation p-values (and "no detectable gap" exactly when
p ≥ 0.05), as ``leaderboard.json`` has them, and hostile submission text is shown as text: its
``<script>`` (which would set the title to "pwned") and ``<img onerror>`` never become elements.

Layout: in a ``FIT_WIDTH`` (1,280 px) window the table has no horizontal scroll, also with
``SPARE_COLUMNS`` more figure columns than today (room for the columns still to come), and every
figure that has an interval shows it. The layout is measured by a copy of the page without its
Content-Security-Policy and with a probe script that writes the widths into the document before
it is dumped.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from leaderboard_fixtures import (
    HOSTILE_MODEL,
    write_board_dataset,
    write_invalid_submissions,
    write_valid_submissions,
)

from sgbench.leaderboard import Leaderboard, build_leaderboard, write_leaderboard
from sgbench.leaderboard import page as page_module
from sgbench.scoring.bootstrap import MIN_REPLICATES

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)"
)

RANK_ORDER = ["alpha", "beta", "delta", "hostile", "gamma", "epsilon", "zeta"]


class _Page(HTMLParser):
    """Collects the title, the table's rows (slug and cell texts) and every element name."""

    def __init__(self) -> None:
        super().__init__()
        self.title = ""
        self.rows: list[tuple[str, list[str]]] = []
        self.keys: list[str] = []
        self.tags: list[str] = []
        self._in_title = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        found = dict(attrs)
        if tag == "title" and not self.title:
            self._in_title = True
        elif tag == "th" and found.get("data-key") is not None:
            self.keys.append(str(found["data-key"]))
        elif tag == "tr" and found.get("data-slug") is not None:
            self.rows.append((str(found["data-slug"]), []))
        elif tag == "td" and self.rows:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "td" and self._cell is not None:
            self.rows[-1][1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        if self._cell is not None:
            self._cell.append(data)


def dump_dom(page: Path, fragment: str, profile: Path) -> _Page:
    """Run headless Chromium on ``page`` and parse the document it dumps."""
    parsed = _Page()
    parsed.feed(dump_text(page, fragment, profile))
    return parsed


def dump_text(page: Path, fragment: str, profile: Path, width: int = 1280) -> str:
    """The document headless Chromium dumps after loading ``page`` in a ``width`` px window."""
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--window-size={width},900",
        "--dump-dom",
        page.resolve().as_uri() + fragment,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


PROBE = """<script>
var table = document.getElementById("leaderboard");
var intervals = table.querySelectorAll("td .ci").length;
document.body.setAttribute("data-layout", JSON.stringify({
  window: window.innerWidth,
  page: [document.documentElement.scrollWidth, document.documentElement.clientWidth],
  table: [table.scrollWidth, table.clientWidth, table.getBoundingClientRect().right],
  intervals: intervals
}));
</script>"""


def layout(page: Path, profile: Path, width: int) -> dict[str, Any]:
    """Widths measured in Chromium (see the module docstring) on a probed copy of ``page``."""
    probed = page.with_name("probed.html")
    source = page.read_text(encoding="utf-8")
    source = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", source)
    probed.write_text(source.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    found = re.search(r'data-layout="([^"]*)"', dump_text(probed, "", profile, width))
    assert found is not None
    measured: dict[str, Any] = json.loads(found.group(1).replace("&quot;", '"'))
    return measured


@pytest.fixture(scope="module")
def board(toy_bootstrap_module: None, tmp_path_factory: pytest.TempPathFactory) -> Leaderboard:
    root = tmp_path_factory.mktemp("board")
    dataset = write_board_dataset(root / "dataset")
    submissions = write_valid_submissions(root / "submissions")
    write_invalid_submissions(submissions)
    return build_leaderboard(submissions, dataset, n_boot=MIN_REPLICATES, with_baselines=True)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    dataset = write_board_dataset(root / "dataset")
    submissions = write_valid_submissions(root / "submissions")
    write_invalid_submissions(submissions)
    board = build_leaderboard(submissions, dataset, n_boot=MIN_REPLICATES, n_permutations=200)
    return write_leaderboard(board, root / "out") / "index.html"


def test_rendered_table_is_in_rank_order_and_harmless(page: Path, tmp_path: Path) -> None:
    rendered = dump_dom(page, "", tmp_path / "profile")
    assert [slug for slug, _ in rendered.rows] == RANK_ORDER
    assert [cells[0] for _, cells in rendered.rows] == ["1", "2", "2", "2", "2", "6", "7"]
    hostile = dict(rendered.rows)["hostile"]
    assert hostile[1] == HOSTILE_MODEL  # shown as text, exactly
    assert "pwned" not in rendered.title
    assert rendered.title.startswith("sgbench leaderboard")
    assert rendered.tags.count("script") == 1  # the page's own
    assert "img" not in rendered.tags
    assert "svg" in rendered.tags


def test_page_sorts_by_a_column(page: Path, tmp_path: Path) -> None:
    by_model = dump_dom(page, "#sort=model-desc", tmp_path / "profile")
    models = [cells[1] for _, cells in by_model.rows]
    assert models == sorted(models, reverse=True)
    by_nmae = dump_dom(page, "#sort=ood_nmae", tmp_path / "profile")
    # Equal NMAE keeps rank order: alpha 0; beta, delta, hostile 1/12; gamma; epsilon; zeta.
    assert [slug for slug, _ in by_nmae.rows] == RANK_ORDER
    by_rank_desc = dump_dom(page, "#sort=rank-desc", tmp_path / "profile")
    assert [slug for slug, _ in by_rank_desc.rows] == [
        "zeta",
        "epsilon",
        "beta",
        "delta",
        "hostile",
        "gamma",
        "alpha",
    ]


WITH_INTERVAL = 11 * 5 + 5 - 6
"""Cells of the board showing an interval (see test_table_fits_1280_px_with_every_interval)."""


def _fits(measured: dict[str, Any]) -> None:
    assert measured["window"] == page_module.FIT_WIDTH
    page_scroll, page_client = measured["page"]
    table_scroll, table_client, table_right = measured["table"]
    assert table_scroll <= table_client
    assert page_scroll <= page_client
    assert table_right <= page_client


@pytest.mark.usefixtures("toy_bootstrap")
def test_table_fits_1280_px_with_every_interval(board: Leaderboard, tmp_path: Path) -> None:
    out = write_leaderboard(board, tmp_path / "out") / "index.html"
    measured = layout(out, tmp_path / "profile", page_module.FIT_WIDTH)
    _fits(measured)
    # Every figure column with an interval shows it, in every row that has the figure.
    expected = sum(
        1
        for row in board.rows
        for column in page_module.PAGE_COLUMNS
        if column.interval is not None and column.interval(row) is not None
    )
    with_interval = [c.key for c in page_module.PAGE_COLUMNS if c.interval is not None]
    assert with_interval == [
        "ood_accuracy",
        "ood_nmae",
        "accuracy_cv_between",
        "nmae_sd_between",
        "worst_group",
        "id_accuracy",
    ]
    # 7 submissions and 4 baselines x 5 OOD figures, plus ID accuracy for alpha and the baselines,
    # less the cv_between interval of beta, gamma, delta, epsilon, hostile and the random
    # baseline: among MIN_REPLICATES replicates of the toy board's few questions some draw only
    # questions they get wrong, where cv_between has no value (mean 0), so none.
    assert expected == WITH_INTERVAL
    assert measured["intervals"] == expected


@pytest.mark.usefixtures("toy_bootstrap")
def test_table_fits_with_spare_columns(
    board: Leaderboard, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = next(c for c in page_module.PAGE_COLUMNS if c.key == "ood_nmae")
    extra = tuple(
        dataclasses.replace(template, key=f"extra_{n}", header=f"Another figure {n}")
        for n in range(page_module.SPARE_COLUMNS)
    )
    monkeypatch.setattr(page_module, "PAGE_COLUMNS", page_module.PAGE_COLUMNS + extra)
    out = write_leaderboard(board, tmp_path / "out") / "index.html"
    measured = layout(out, tmp_path / "profile", page_module.FIT_WIDTH)
    _fits(measured)
    assert measured["intervals"] == WITH_INTERVAL + page_module.SPARE_COLUMNS * 11


FAIRNESS_CELL = re.compile(
    r"^(\d\.\d{3}) \(p (\d\.\d{3})(, no detectable gap)?\)(\[\d\.\d{3}, \d\.\d{3}\])?$"
)
"""A fairness cell's text: the figure, its p-value, the mark, and the interval under it."""


def test_fairness_columns_show_the_figure_its_p_value_and_the_mark(
    page: Path, tmp_path: Path
) -> None:
    rendered = dump_dom(page, "", tmp_path / "profile")
    board = json.loads((page.parent / "leaderboard.json").read_text(encoding="utf-8"))
    entries = {e["slug"]: e["test_ood"]["fairness"] for e in board["entries"]}
    columns = {
        "accuracy_cv_between": ("accuracy", "cv_between"),
        "nmae_sd_between": ("nmae", "sd_between"),
    }
    for key, (metric, figure) in columns.items():
        assert key in rendered.keys
        index = rendered.keys.index(key)
        for slug, cells in rendered.rows:
            found = FAIRNESS_CELL.match(cells[index])
            assert found is not None, cells[index]
            entry = entries[slug][metric]
            assert float(found.group(1)) == pytest.approx(entry[figure], abs=5e-4)
            assert float(found.group(2)) == pytest.approx(entry["p_value"], abs=5e-4)
            assert (found.group(3) is not None) == (entry["p_value"] >= 0.05)
    # The descriptive figures stay in leaderboard.json, not in the table.
    assert "accuracy_norm_range" not in rendered.keys
    assert {"norm_range", "cv", "gap", "null"} <= set(entries["alpha"]["accuracy"])
    by_spread = dump_dom(page, "#sort=accuracy_cv_between-desc", tmp_path / "profile")
    index = by_spread.keys.index("accuracy_cv_between")
    shown = [float(cells[index].split()[0]) for _, cells in by_spread.rows]
    assert shown == sorted(shown, reverse=True)
