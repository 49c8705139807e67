"""The leaderboard as Markdown, CSV, JSON and terminal text; every piece of submission text escaped.

Submission text (model, organisation, notes, slugs, problems, ...) is untrusted. Every renderer
first makes it one line (:func:`sgbench.errors.one_line`, the rule for all text sgbench shows:
control characters become spaces, bidirectional overrides are dropped) and then escapes it for
its format:

- Markdown (:func:`md_text`): ``&``, ``<``, ``>`` and ``"`` become HTML entities (Markdown passes
  raw HTML through), the Markdown punctuation that could start a link, emphasis, code or a
  table cell (``\\ ` * _ [ ] | ~``) gets a backslash, and so does a heading or list marker
  starting the text (``# ``, ``- ``, ``+ ``, or the ``.``/``)`` of ``1. ``): the text may begin
  a list item, where ``# x`` would be a heading and ``1. x`` a list;
- CSV (:func:`csv_text`): the csv module quotes; a cell starting with ``= + - @`` (a formula in a
  spreadsheet) gets a leading ``'``;
- JSON (:func:`json_text`): ``json.dumps``, then ``<``, ``>``, ``&``, U+2028, U+2029 and the
  bidirectional controls as ``\\uXXXX`` escapes, so the file can be pasted into HTML or
  JavaScript as is and no text in it reads in another order than it is stored;
- HTML: see :mod:`sgbench.leaderboard.page`.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from sgbench.boundary import public
from sgbench.errors import BIDI_CONTROLS, md_text, one_line
from sgbench.leaderboard.ranking import DIGITS, RULES, Leaderboard, Row, figure_key
from sgbench.scoring.fairness import NO_GAP
from sgbench.versioning import version_marker

MISSING: Final = "–"
"""Shown for a figure that does not exist (no ``test_id`` predictions, no bootstrap)."""

_FORMULA_START: Final = ("=", "+", "-", "@")
_JSON_ESCAPES: Final = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}
_JSON_ESCAPES.update({"\u2028": "\\u2028", "\u2029": "\\u2029"})
_JSON_ESCAPES.update({char: f"\\u{ord(char):04x}" for char in BIDI_CONTROLS})


def csv_text(text: object) -> str:
    """Untrusted text for a CSV cell: one line, never read as a spreadsheet formula."""
    cell = one_line(text)
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def json_text(value: Any) -> str:
    """``value`` as JSON (2-space indent, trailing newline) with ``< > &`` escaped."""
    text = json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)
    for raw, escaped in _JSON_ESCAPES.items():
        text = text.replace(raw, escaped)
    return text + "\n"


def number(value: float | None) -> str:
    """A figure at the displayed precision, or :data:`MISSING`."""
    if value is None or not math.isfinite(value):
        return MISSING
    return f"{value:.{DIGITS}f}"


def interval(bounds: tuple[float, float] | None) -> str:
    """``[low, high]`` at the displayed precision, or :data:`MISSING`."""
    if bounds is None:
        return MISSING
    return f"[{number(bounds[0])}, {number(bounds[1])}]"


def leader_mark(row: Row) -> str:
    """``yes`` (not significantly below the leader), ``no``, or :data:`MISSING` (not tested)."""
    if row.not_below_leader is None:
        return MISSING
    return "yes" if row.not_below_leader else "no"


def _figure(row: Row, metric: str, figure: str) -> float | None:
    value = row.ood.fairness[metric].get(figure)
    return None if value is None else float(value)


def fairness_text(row: Row, metric: str, figure: str) -> str:
    """``figure`` of ``metric`` across subgroups with its permutation p-value, and the plain
    "no detectable gap" mark when the entry's verdict says so (``p ≥ 0.05`` of that same p, in
    both resampling modes; :func:`sgbench.scoring.fairness.gap_verdict`): ``0.072 (p 0.001)``,
    ``0.000 (p 0.480, no detectable gap)``; just the figure without permutations."""
    entry = row.ood.fairness[metric]
    value = number(_figure(row, metric, figure))
    p = entry.get("p_value")
    if p is None:
        return value
    mark = f", {NO_GAP}" if entry.get("no_detectable_gap") else ""
    return f"{value} (p {number(p)}{mark})"


@dataclass(frozen=True)
class Column:
    """One column of the displayed table (Markdown, HTML and terminal share them)."""

    key: str
    """Stable name (HTML ``data-key``; ``#sort=<key>`` in the page's address)."""
    header: str
    text: Callable[[Row], str]
    """The cell as displayed (raw text; each renderer escapes it)."""
    sort: Callable[[Row], float | str | None]
    """The value the page sorts on (None: sorted last)."""
    higher_first: bool = False
    """The page's first click on the header sorts descending."""
    interval: Callable[[Row], tuple[float, float] | None] | None = None
    """The figure's 95% interval, shown under it on the page (None: the column has none)."""
    on_page: bool = True
    """False for a column the page shows otherwise (the accuracy interval, under the accuracy)."""


def _ood_interval(key: str) -> Callable[[Row], tuple[float, float] | None]:
    return lambda r: r.ood.intervals.get(key)


COLUMNS: Final[tuple[Column, ...]] = (
    Column("rank", "Rank", lambda r: str(r.rank), lambda r: r.rank),
    Column("model", "Model", lambda r: r.model, lambda r: one_line(r.model)),
    Column(
        "method",
        "Method",
        lambda r: str(r.entry.metadata.get("method", "")),
        lambda r: one_line(r.entry.metadata.get("method", "")),
    ),
    Column(
        "organisation",
        "Organisation",
        lambda r: str(r.entry.metadata.get("organisation") or ""),
        lambda r: one_line(r.entry.metadata.get("organisation") or ""),
    ),
    Column(
        "ood_accuracy",
        "OOD accuracy",
        lambda r: number(r.ood.accuracy),
        lambda r: r.ood.accuracy,
        higher_first=True,
        interval=_ood_interval(figure_key("accuracy")),
    ),
    Column(
        "ood_accuracy_ci",
        "95% CI",
        lambda r: interval(r.ood.accuracy_ci),
        lambda r: None if r.ood.accuracy_ci is None else r.ood.accuracy_ci[0],
        higher_first=True,
        on_page=False,
    ),
    Column(
        "not_below_leader",
        "≈ leader",
        leader_mark,
        lambda r: None if r.not_below_leader is None else int(r.not_below_leader),
        higher_first=True,
    ),
    Column(
        "ood_nmae",
        "OOD NMAE",
        lambda r: number(r.ood.nmae),
        lambda r: r.ood.nmae,
        interval=_ood_interval(figure_key("nmae")),
    ),
    Column(
        "accuracy_cv_between",
        "Acc. cv_between (p)",
        lambda r: fairness_text(r, "accuracy", "cv_between"),
        lambda r: _figure(r, "accuracy", "cv_between"),
        interval=_ood_interval(figure_key("accuracy", "cv_between")),
    ),
    Column(
        "nmae_sd_between",
        "NMAE sd_between (p)",
        lambda r: fairness_text(r, "nmae", "sd_between"),
        lambda r: _figure(r, "nmae", "sd_between"),
        interval=_ood_interval(figure_key("nmae", "sd_between")),
    ),
    Column(
        "worst_group",
        "Worst attribute group",
        lambda r: f"{r.ood.worst_group} ({number(r.ood.worst_group_accuracy)})",
        lambda r: r.ood.worst_group_accuracy,
        higher_first=True,
        interval=_ood_interval("worst_group"),
    ),
    Column(
        "id_accuracy",
        "ID accuracy",
        lambda r: number(None if r.id is None else r.id.accuracy),
        lambda r: None if r.id is None else r.id.accuracy,
        higher_first=True,
        interval=lambda r: None if r.id is None else r.id.intervals.get(figure_key("accuracy")),
    ),
    Column(
        "ood_missing",
        "OOD missing (refused)",
        lambda r: f"{r.ood.n_missing} ({r.ood.refusal_rate:.1%})",
        lambda r: r.ood.n_missing,
    ),
)
"""The displayed columns, in order."""


def _dataset_line(board: Leaderboard) -> str:
    d = board.dataset
    marker = version_marker(str(d["version"]), board.synthetic)
    flag = f" — {marker}" if marker else ""
    return f"dataset {d['name']} {d['version']}, config {d['config']}{flag}"


def _settings_line(board: Leaderboard) -> str:
    boot = (
        f"95% intervals from {board.n_boot} bootstrap replicates over {board.resample}"
        if board.n_boot
        else "no bootstrap (no intervals)"
    )
    tests = (
        f"{board.n_permutations} permutations for the fairness p-values and the ≈ leader test"
        if board.n_permutations
        else "no permutations (no p-values, no ≈ leader marks)"
    )
    return (
        f"ranked on {board.splits[0]}; also scored: {', '.join(board.splits[1:])}; {boot}; "
        f"{tests}; seed {board.seed}"
    )


def to_markdown(board: Leaderboard) -> str:
    """``leaderboard.md``: the table, the left-out submissions with reasons, and the rules."""
    lines = ["# sgbench leaderboard", ""]
    if board.synthetic:
        lines += ["**SYNTHETIC dataset: these figures are not WVS results.**", ""]
    lines += [md_text(_dataset_line(board)) + "  ", md_text(_settings_line(board)), ""]
    if board.rows:
        lines.append("| " + " | ".join(md_text(c.header) for c in COLUMNS) + " |")
        lines.append("|" + "|".join(" --- " for _ in COLUMNS) + "|")
        lines += ["| " + " | ".join(md_text(c.text(r)) for c in COLUMNS) + " |" for r in board.rows]
    else:
        lines.append("No entry could be ranked.")
    if board.excluded:
        lines += ["", "## Left out", ""]
        for excluded in board.excluded:
            lines.append(f"- {md_text(excluded.slug)}:")
            lines += [f"  - {md_text(problem)}" for problem in excluded.problems]
    lines += ["", "## Rules", ""]
    lines += [f"- {md_text(name)}: {md_text(rule)}" for name, rule in RULES.items()]
    return "\n".join(lines) + "\n"


CSV_FIELDS: Final = (
    "rank",
    "slug",
    "baseline",
    "model",
    "method",
    "organisation",
    "url",
    "dataset_version",
    "date",
    "ood_accuracy",
    "ood_accuracy_low",
    "ood_accuracy_high",
    "not_below_leader",
    "leader_p_value",
    "leader_p_holm",
    "leader_gap_low",
    "leader_gap_high",
    "ood_nmae",
    "accuracy_cv_between",
    "accuracy_sd_between",
    "accuracy_p_value",
    "nmae_gap",
    "nmae_sd_between",
    "nmae_p_value",
    "accuracy_norm_range",
    "accuracy_cv",
    "nmae_norm_range",
    "nmae_cv",
    "worst_group",
    "worst_group_accuracy",
    "id_accuracy",
    "id_nmae",
    "ood_n_samples",
    "ood_n_missing",
    "ood_refusal_rate",
    "notes",
)
"""``leaderboard.csv`` columns: full-precision figures, empty where there is none."""


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    if isinstance(value, int):
        return str(value)
    return csv_text(value)


def _csv_record(row: Row) -> dict[str, object]:
    meta = row.entry.metadata
    ci, gap = row.ood.accuracy_ci, row.leader_gap_ci
    return {
        "rank": row.rank,
        "slug": row.entry.slug,
        "baseline": row.entry.baseline,
        **{key: meta.get(key) for key in ("model", "method", "organisation", "url")},
        **{key: meta.get(key) for key in ("dataset_version", "date")},
        "ood_accuracy": row.ood.accuracy,
        "ood_accuracy_low": None if ci is None else ci[0],
        "ood_accuracy_high": None if ci is None else ci[1],
        "not_below_leader": row.not_below_leader,
        "leader_p_value": row.leader_p_value,
        "leader_p_holm": row.leader_p_holm,
        "leader_gap_low": None if gap is None else gap[0],
        "leader_gap_high": None if gap is None else gap[1],
        "ood_nmae": row.ood.nmae,
        "accuracy_cv_between": _figure(row, "accuracy", "cv_between"),
        "accuracy_sd_between": _figure(row, "accuracy", "sd_between"),
        "accuracy_p_value": _figure(row, "accuracy", "p_value"),
        "nmae_gap": _figure(row, "nmae", "gap"),
        "nmae_sd_between": _figure(row, "nmae", "sd_between"),
        "nmae_p_value": _figure(row, "nmae", "p_value"),
        "accuracy_norm_range": _figure(row, "accuracy", "norm_range"),
        "accuracy_cv": _figure(row, "accuracy", "cv"),
        "nmae_norm_range": _figure(row, "nmae", "norm_range"),
        "nmae_cv": _figure(row, "nmae", "cv"),
        "worst_group": row.ood.worst_group,
        "worst_group_accuracy": row.ood.worst_group_accuracy,
        "id_accuracy": None if row.id is None else row.id.accuracy,
        "id_nmae": None if row.id is None else row.id.nmae,
        "ood_n_samples": row.ood.n_samples,
        "ood_n_missing": row.ood.n_missing,
        "ood_refusal_rate": row.ood.refusal_rate,
        "notes": meta.get("notes"),
    }


def to_csv(board: Leaderboard) -> str:
    """``leaderboard.csv``: one line per ranked entry, in listing order (see :data:`CSV_FIELDS`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for row in board.rows:
        record = _csv_record(row)
        writer.writerow([_csv_value(record[name]) for name in CSV_FIELDS])
    return buffer.getvalue()


def to_json(board: Leaderboard) -> str:
    """``leaderboard.json``: :meth:`Leaderboard.to_dict` with ``< > &`` escaped."""
    return json_text(board.to_dict())


@public
def render_text(board: Leaderboard) -> str:
    """A short table for the terminal: rank, ≈ leader, model, method, OOD and ID figures."""
    lines = [
        f"sgbench leaderboard: {one_line(_dataset_line(board))}",
        one_line(_settings_line(board)),
        "",
        f"{'rank':>4}  {'≈1st':<4}  {'model':<32}  {'method':<10}  {'OOD acc':>7}  "
        f"{'95% CI':<14}  {'NMAE':>5}  {'ID acc':>6}",
    ]
    for row in board.rows:
        model = one_line(row.model)
        model = model if len(model) <= 32 else model[:31] + "…"
        method = one_line(row.entry.metadata.get("method", ""))
        lines.append(
            f"{row.rank:>4}  {leader_mark(row):<4}  {model:<32}  {method:<10}  "
            f"{number(row.ood.accuracy):>7}  {interval(row.ood.accuracy_ci):<14}  "
            f"{number(row.ood.nmae):>5}  {number(None if row.id is None else row.id.accuracy):>6}"
        )
    if not board.rows:
        lines.append("(no entry could be ranked)")
    if board.excluded:
        lines.append(f"{len(board.excluded)} submission(s) left out (reasons on stderr)")
    return "\n".join(lines)
