"""``index.html`` rendered by headless Chromium (Debian's ``chromium``; skipped where absent).

The page is loaded from a ``file://`` address with networking features off; ``--dump-dom`` prints
the document after its script has run. Checked: the table's rows come in rank order, the page's
sort (``#sort=<column>``) works, and hostile submission text is shown as text: its ``<script>``
(which would set the title to "pwned") and ``<img onerror>`` never become elements.
"""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from leaderboard_fixtures import (
    HOSTILE_MODEL,
    write_board_dataset,
    write_invalid_submissions,
    write_valid_submissions,
)

from sgbench.leaderboard import build_leaderboard, write_leaderboard

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
        self.tags: list[str] = []
        self._in_title = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        found = dict(attrs)
        if tag == "title" and not self.title:
            self._in_title = True
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
        "--dump-dom",
        page.resolve().as_uri() + fragment,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    parsed = _Page()
    parsed.feed(done.stdout)
    return parsed


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    dataset = write_board_dataset(root / "dataset")
    submissions = write_valid_submissions(root / "submissions")
    write_invalid_submissions(submissions)
    board = build_leaderboard(submissions, dataset, n_boot=50)
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
