"""``index.html``: the leaderboard as one self-contained page (no external assets).

The page holds a table sortable by clicking its headers (inline JavaScript, which only moves
rows; ``index.html#sort=<column>`` or ``#sort=<column>-desc`` opens it sorted), an inline SVG
chart of each entry's ``test_ood`` accuracy per attribute value, the submissions' details, the
left-out submissions with their reasons, and the rules.

Every piece of submission text goes through :func:`text` (one line, then ``html.escape`` with
quotes), in element content and in attributes alike; a URL becomes a link only when it starts
with ``http://`` or ``https://``. The page's Content-Security-Policy allows no source at all except
its own inline script and style, pinned by their sha256, so no other script can run and nothing
is fetched even if some text were not escaped.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Iterable, Sequence
from typing import Final

from sgbench.errors import one_line
from sgbench.leaderboard.ranking import RULES, Leaderboard, Row
from sgbench.leaderboard.render import COLUMNS, Column, interval, number
from sgbench.schema import load_schema
from sgbench.versioning import version_marker

STYLE: Final = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1b1b1b; }
table { border-collapse: collapse; font-size: 0.8rem; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.25rem; text-align: left;
  vertical-align: top; overflow-wrap: anywhere; }
th { font-size: 0.75rem; vertical-align: bottom; overflow-wrap: normal; }
td.num { text-align: right; font-variant-numeric: tabular-nums; overflow-wrap: normal; }
td.model { min-width: 6rem; }
td .ci { display: block; font-size: 0.7rem; color: #555; }
th button { font: inherit; font-weight: bold; background: none; border: 0; padding: 0;
  cursor: pointer; text-align: inherit; }
th[aria-sort="ascending"] button::after { content: " ▲"; }
th[aria-sort="descending"] button::after { content: " ▼"; }
.synthetic { background: #fff3cd; border: 1px solid #e0c36b; padding: 0.5rem; }
.chart text { font-size: 12px; }
dt { font-weight: bold; }
"""
"""The page's style. The table fits :data:`FIT_WIDTH` with :data:`SPARE_COLUMNS` to spare: it
takes the page's width, every cell may wrap (words in headers and figures, anywhere in
submission text) and each interval sits on its own line under its figure."""

SCRIPT: Final = """
(function () {
  "use strict";
  var table = document.getElementById("leaderboard");
  if (!table) { return; }
  var heads = table.tHead.rows[0].cells;
  var body = table.tBodies[0];
  function key(row, col) { return row.cells[col].getAttribute("data-sort"); }
  function compare(a, b, col, dir) {
    var x = key(a, col), y = key(b, col), c = 0;
    if (x === null || y === null) {
      if (x !== y) { return x === null ? 1 : -1; }
    } else {
      var nx = Number(x), ny = Number(y);
      if (x !== "" && y !== "" && !isNaN(nx) && !isNaN(ny)) { c = nx - ny; }
      else { c = x < y ? -1 : (x > y ? 1 : 0); }
      if (c !== 0) { return c * dir; }
    }
    return Number(a.getAttribute("data-order")) - Number(b.getAttribute("data-order"));
  }
  function sortBy(col, dir) {
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) { return compare(a, b, col, dir); });
    for (var i = 0; i < rows.length; i++) { body.appendChild(rows[i]); }
    for (var j = 0; j < heads.length; j++) { heads[j].removeAttribute("aria-sort"); }
    heads[col].setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
  }
  function toggle(col) {
    var now = heads[col].getAttribute("aria-sort");
    var first = heads[col].getAttribute("data-first") === "descending" ? -1 : 1;
    sortBy(col, now === "ascending" ? -1 : (now === "descending" ? 1 : first));
  }
  Array.prototype.forEach.call(heads, function (head, col) {
    head.querySelector("button").addEventListener("click", function () { toggle(col); });
  });
  var wanted = /^#sort=([a-z_]+?)(-desc)?$/.exec(window.location.hash);
  if (wanted) {
    Array.prototype.forEach.call(heads, function (head, col) {
      if (head.getAttribute("data-key") === wanted[1]) { sortBy(col, wanted[2] ? -1 : 1); }
    });
  }
})();
"""

PALETTE: Final = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
    "#999933",
)
"""Marker colours (Okabe–Ito, colour-blind safe); entries beyond them change marker shape."""

SHAPES: Final = ("circle", "square", "diamond", "triangle")

FIT_WIDTH: Final = 1280
"""The window width (px) the table fits without a horizontal scroll (checked in a browser)."""
SPARE_COLUMNS: Final = 5
"""How many more figure columns (with intervals) the table takes and still fits."""

_LINK: Final = re.compile(load_schema("submission")["properties"]["url"]["pattern"])
"""What a submission's ``url`` may be; anything else is shown unlinked."""

# Chart geometry, in pixels.
_LABEL_W: Final = 220
_PLOT_W: Final = 480
_RIGHT: Final = 24
_TOP: Final = 34
_ROW_H: Final = 22
_LEGEND_ROW: Final = 18
_RADIUS: Final = 5.0


def text(value: object) -> str:
    """Untrusted text for HTML element content or a quoted attribute value."""
    return html.escape(one_line(value), quote=True)


def _sha256(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


CSP: Final = (
    f"default-src 'none'; script-src {_sha256(SCRIPT)}; style-src {_sha256(STYLE)}; "
    "img-src 'none'; base-uri 'none'; form-action 'none'"
)
"""The page's Content-Security-Policy: only its own inline script and style."""


def _sort_attribute(column: Column, row: Row) -> str:
    value = column.sort(row)
    if value is None:
        return ""
    if isinstance(value, float):
        return f' data-sort="{value!r}"'
    return f' data-sort="{text(value)}"'


def _link(url: object, content: str) -> str:
    """``content`` linked to ``url`` when it is an http(s) address, else ``content`` alone."""
    if isinstance(url, str) and _LINK.fullmatch(url):
        return f'<a href="{text(url)}" rel="nofollow noopener noreferrer">{content}</a>'
    return content


def _model_cell(row: Row) -> str:
    return _link(row.entry.metadata.get("url"), text(row.model))


PAGE_COLUMNS: Final = tuple(column for column in COLUMNS if column.on_page)
"""The table's columns (an interval is shown under its figure, not in a column of its own)."""


def _cell(column: Column, row: Row) -> str:
    content = _model_cell(row) if column.key == "model" else text(column.text(row))
    bounds = None if column.interval is None else column.interval(row)
    if bounds is not None:
        content += f'<span class="ci" title="95% interval">{text(interval(bounds))}</span>'
    numeric = isinstance(column.sort(row), int | float) or column.key == "ood_accuracy_ci"
    css = ' class="num"' if numeric and column.key != "not_below_leader" else ""
    css = ' class="model"' if column.key == "model" else css
    return f"<td{css}{_sort_attribute(column, row)}>{content}</td>"


def _table(board: Leaderboard) -> list[str]:
    if not board.rows:
        return ["<p>No entry could be ranked.</p>"]
    heads = []
    for column in PAGE_COLUMNS:
        first = "descending" if column.higher_first else "ascending"
        sort = ' aria-sort="ascending"' if column.key == "rank" else ""
        heads.append(
            f'<th scope="col" data-key="{column.key}" data-first="{first}"{sort}>'
            f'<button type="button">{text(column.header)}</button></th>'
        )
    lines = [
        '<table id="leaderboard">',
        f"<caption>Ranked by accuracy on {text(board.splits[0])}; click a header to sort."
        "</caption>",
        "<thead><tr>" + "".join(heads) + "</tr></thead>",
        "<tbody>",
    ]
    for order, row in enumerate(board.rows):
        cells = "".join(_cell(column, row) for column in PAGE_COLUMNS)
        lines.append(f'<tr data-slug="{text(row.entry.slug)}" data-order="{order}">{cells}</tr>')
    lines += ["</tbody>", "</table>"]
    return lines


def _marker(index: int, x: float, y: float, title: str) -> str:
    colour = PALETTE[index % len(PALETTE)]
    shape = SHAPES[(index // len(PALETTE)) % len(SHAPES)]
    paint = f'fill="{colour}" fill-opacity="0.85" stroke="#ffffff" stroke-width="0.6"'
    r = _RADIUS
    if shape == "circle":
        element = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" {paint}>'
        end = "</circle>"
    elif shape == "square":
        element = (
            f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r:.1f}" height="{2 * r:.1f}" '
            f"{paint}>"
        )
        end = "</rect>"
    else:
        if shape == "diamond":
            points = [(x, y - r - 1), (x + r + 1, y), (x, y + r + 1), (x - r - 1, y)]
        else:
            points = [(x, y - r - 1), (x + r + 1, y + r), (x - r - 1, y + r)]
        coordinates = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        element = f'<polygon points="{coordinates}" {paint}>'
        end = "</polygon>"
    return f"{element}<title>{title}</title>{end}"


def dodge(xs: Sequence[float], width: float) -> list[int]:
    """Each marker's lane (0 = on the line) so that markers closer than ``width`` never overlap.

    Markers closer than ``width`` to a neighbour (in order of x) form a cluster; its members take
    the lanes 0, 1, -1, 2, -2, ... in the order given (the listing order), so tied entries are
    stacked across the line, the first on it. Deterministic: the same input, the same lanes.
    """
    order = sorted(range(len(xs)), key=lambda i: (xs[i], i))
    lanes = [0] * len(xs)
    cluster: list[int] = []
    for position, index in enumerate(order):
        if cluster and xs[index] - xs[order[position - 1]] >= width:
            _assign(cluster, lanes)
            cluster = []
        cluster.append(index)
    _assign(cluster, lanes)
    return lanes


def _assign(cluster: list[int], lanes: list[int]) -> None:
    for k, index in enumerate(sorted(cluster)):
        lanes[index] = (k + 1) // 2 * (1 if k % 2 else -1)


def _chart(board: Leaderboard) -> list[str]:
    """A dot plot: one line per attribute value, one marker per entry at its accuracy.

    Markers that would overlap (equal or close accuracies) are stacked across their line
    (:func:`dodge`); the line grows to hold its largest stack.
    """
    if not board.rows or not board.attributes:
        return []
    lines_spec: list[tuple[str, str | None]] = []
    for attribute, values in board.attributes.items():
        lines_spec.append((attribute, None))
        lines_spec += [(attribute, value) for value in values]
    lane = 2 * _RADIUS + 2
    placed: list[tuple[str, str | None, float, list[tuple[int, float, int, float]]]] = []
    top = float(_TOP)
    for attribute, value in lines_spec:
        markers: list[tuple[int, float, int, float]] = []
        if value is not None:
            found = [
                (index, row.ood.by_attribute_value.get(attribute, {}).get(value))
                for index, row in enumerate(board.rows)
            ]
            present = [(index, acc) for index, acc in found if acc is not None]
            xs = [_LABEL_W + acc * _PLOT_W for _, acc in present]
            lanes = dodge(xs, lane)
            markers = [
                (index, x, lane_, acc)
                for (index, acc), x, lane_ in zip(present, xs, lanes, strict=True)
            ]
        spread = max((abs(m[2]) for m in markers), default=0)
        height = max(float(_ROW_H), (2 * spread + 1) * lane + 6)
        placed.append((attribute, value, top + height / 2, markers))
        top += height
    plot_h = top - _TOP
    legend_top = top + 24
    width = _LABEL_W + _PLOT_W + _RIGHT
    height_px = int(legend_top + len(board.rows) * _LEGEND_ROW + 8)
    out = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height_px}" viewBox="0 0 {width} {height_px}" role="img" '
        'aria-labelledby="chart-title">',
        f'<title id="chart-title">Accuracy on {text(board.splits[0])} per attribute value, '
        "one marker per entry (equal values stacked)</title>",
    ]
    for step in range(6):
        x = _LABEL_W + step / 5 * _PLOT_W
        out.append(
            f'<line x1="{x:.1f}" y1="{_TOP - 6}" x2="{x:.1f}" y2="{_TOP + plot_h:.1f}" '
            'stroke="#cccccc" stroke-width="1"/>'
        )
        out.append(f'<text x="{x:.1f}" y="{_TOP - 12}" text-anchor="middle">{step / 5:.1f}</text>')
    for attribute, value, middle, markers in placed:
        if value is None:
            out.append(
                f'<text x="4" y="{middle + 4:.1f}" font-weight="bold">{text(attribute)}</text>'
            )
            continue
        out.append(f'<text x="16" y="{middle + 4:.1f}">{text(value)}</text>')
        out.append(
            f'<line x1="{_LABEL_W}" y1="{middle:.1f}" x2="{_LABEL_W + _PLOT_W}" '
            f'y2="{middle:.1f}" stroke="#eeeeee" stroke-width="1"/>'
        )
        for index, x, lane_, accuracy in markers:
            row = board.rows[index]
            title = text(f"{row.model}: {attribute}={value} {number(accuracy)}")
            out.append(_marker(index, x, middle + lane_ * lane, title))
    for index, row in enumerate(board.rows):
        y = legend_top + index * _LEGEND_ROW
        out.append(_marker(index, 16, y, text(row.model)))
        out.append(f'<text x="30" y="{y + 4:.1f}">{row.rank}. {text(row.model)}</text>')
    out.append("</svg>")
    return out


def _definition_list(pairs: Iterable[tuple[str, str]]) -> str:
    return "<dl>" + "".join(f"<dt>{key}</dt><dd>{value}</dd>" for key, value in pairs) + "</dl>"


def _details(board: Leaderboard) -> list[str]:
    out = []
    for row in board.rows:
        meta = row.entry.metadata
        url = meta.get("url")
        pairs = [
            ("Slug", text(row.entry.slug)),
            ("Model", text(row.model)),
            ("Method", text(meta.get("method", ""))),
            ("Organisation", text(meta.get("organisation") or "")),
            ("URL", _link(url, text(url)) if url else ""),
            ("Dataset version", text(meta.get("dataset_version") or "")),
            ("Date", text(meta.get("date") or "")),
            ("Notes", text(meta.get("notes") or "")),
            ("Predictions sha256", text(row.ood.predictions_sha256)),
        ]
        out.append(f"<h3>{row.rank}. {text(row.model)}</h3>")
        out.append(_definition_list(pairs))
    return out


def _excluded(board: Leaderboard) -> list[str]:
    if not board.excluded:
        return []
    out = ["<h2>Left out</h2>", '<ul id="excluded">']
    for excluded in board.excluded:
        problems = "".join(f"<li>{text(problem)}</li>" for problem in excluded.problems)
        out.append(f"<li>{text(excluded.slug)}<ul>{problems}</ul></li>")
    out.append("</ul>")
    return out


def to_html(board: Leaderboard) -> str:
    """``index.html``: one self-contained page (see the module docstring)."""
    d = board.dataset
    title = f"sgbench leaderboard: {d['name']} {d['version']}"
    boot = (
        f"95% intervals from {board.n_boot} bootstrap replicates over {board.resample}"
        if board.n_boot
        else "no bootstrap: no intervals"
    )
    boot += (
        f"; {board.n_permutations} permutations for the fairness p-values and the ≈ leader test "
        f"(seed {board.seed})"
        if board.n_permutations
        else "; no permutations: no p-values and no ≈ leader marks"
    )
    lines = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{text(title)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{text(title)}</h1>",
    ]
    # The version's marker without the synthetic one, which the banner below words for a page.
    not_a_build = version_marker(str(d["version"]), False)
    if not_a_build:
        lines.append(f'<p class="synthetic"><strong>{text(not_a_build)}</strong></p>')
    if board.synthetic:
        lines.append(
            '<p class="synthetic"><strong>SYNTHETIC dataset</strong>: these figures are not '
            "WVS results.</p>"
        )
    lines.append(
        f"<p>Config {text(d['config'])}; ranked on {text(board.splits[0])}, also scored on "
        f"{text(', '.join(board.splits[1:]))}; {text(boot)}.</p>"
    )
    lines += _table(board)
    lines += _excluded(board)
    chart = _chart(board)
    if chart:
        lines += ["<h2>Accuracy per attribute value</h2>", *chart]
    lines += ["<h2>Entries</h2>", *_details(board)]
    lines += ["<h2>Rules</h2>", "<ul>"]
    lines += [f"<li>{text(name)}: {text(rule)}</li>" for name, rule in RULES.items()]
    lines += ["</ul>", f"<script>{SCRIPT}</script>", "</body>", "</html>"]
    return "\n".join(lines) + "\n"
