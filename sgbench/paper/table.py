"""``sgbench paper-table``: the study's published figures beside our score reports.

The published figures are package data (``results.json``, with their source), stored once. A
score report (``sgbench score --json``) is put beside a published row when its model name
matches: the name given as ``NAME=REPORT.json``, else the report file's stem. Names are compared
as a reader tells them apart (:func:`~sgbench.errors.shown_model`: NFKC, case folded, lookalike
letters as Latin ones), keeping only letters and digits (``gpt-4.1`` is ``GPT-4.1``, and so is
``ＧＰＴ-4.1`` in fullwidth letters); a name ending in ``fine-tuned``
(``Llama-3.1-8B-fine-tuned``) goes beside the fine-tuned figures, any other beside the
zero-shot ones. Nothing else is guessed: a model name
the paper does not list is shown apart.

A model name obeys the one rule of model names (:func:`~sgbench.errors.model_name_problem`: a
blank, padded or invisible name would be a row no reader can name), a report is given once
(one file under two names would be two models with one set of figures), and a report has the
shapes ``sgbench score --json`` writes, so that a JSON file that merely has ``metrics`` is not
shown as a model's figures, and figures its own per-subgroup rows give
(:func:`~sgbench.scoring.report.figures_problem`), so that a figure edited by hand is refused
rather than set beside the paper's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

from sgbench.boundary import public, read_only
from sgbench.errors import InputError, bounded, model_name_problem, one_line, shown_model
from sgbench.files import FromFiles, recorded
from sgbench.jsonl import read_json_file
from sgbench.scoring.report import figures_problem

FIGURES: Final = ("accuracy", "nmae", "accuracy_norm_range", "nmae_norm_range")
"""The published figures, in column order."""
HEADINGS: Final = ("accuracy", "NMAE", "NR(acc)", "NR(NMAE)")
REPORT_KEYS: Final = {
    "accuracy": ("metrics", "accuracy"),
    "nmae": ("metrics", "nmae"),
    "accuracy_norm_range": ("fairness", "subgroup", "accuracy", "norm_range"),
    "nmae_norm_range": ("fairness", "subgroup", "nmae", "norm_range"),
}
"""Where a score report holds each figure."""
FINE_TUNED: Final = "fine-tuned"
ZERO_SHOT: Final = "zero-shot"


@dataclass(frozen=True)
class PaperResults:
    """The published table."""

    source: str
    dataset: str
    """The name of the dataset the figures were computed on (``dataset.name`` of a report)."""
    config: str
    split: str
    settings: tuple[str, ...]
    rows: Mapping[str, Mapping[str, Mapping[str, float]]]
    """Model name → setting → figure → value, in the paper's order. Read-only: the table is
    cached for the process, and a caller's edit of one paper table's figures changed every
    later one."""
    notes: tuple[str, ...]


@cache
def load_paper_results() -> PaperResults:
    """The study's published figures (``sgbench/paper/results.json``)."""
    text = resources.files(__package__).joinpath("results.json").read_text(encoding="utf-8")
    raw = json.loads(text)
    return PaperResults(
        source=raw["source"],
        dataset=raw["dataset"],
        config=raw["config"],
        split=raw["split"],
        settings=tuple(raw["settings"]),
        rows=read_only(
            {
                entry["name"]: {s: dict(entry[s]) for s in raw["settings"] if s in entry}
                for entry in raw["models"]
            }
        ),
        notes=tuple(raw["notes"]),
    )


def normalise(name: str) -> str:
    """A model name as compared: as a reader tells it (:func:`~sgbench.errors.shown_model`),
    letters and digits only."""
    return re.sub(r"[^0-9a-z]", "", shown_model(name))


def resolve(name: str, results: PaperResults) -> tuple[str | None, str]:
    """The paper's row a model name stands for (or None) and the setting (module docstring)."""
    key = normalise(name)
    setting = ZERO_SHOT
    suffix = normalise(FINE_TUNED)
    if key.endswith(suffix) and key != suffix:
        key, setting = key.removesuffix(suffix), FINE_TUNED
    rows = {normalise(row): row for row in results.rows}
    return rows.get(key), setting


@dataclass(frozen=True)
class ReportEntry:
    """One score report given to ``paper-table``."""

    name: str
    row: str | None
    """The paper's row it matches, or None."""
    setting: str
    figures: dict[str, float | None]
    dataset: str | None
    config: str | None
    split: str | None
    synthetic: bool | None


REPORT_SHAPES: Final = (
    (("dataset", "config"), str, "a config name"),
    (("dataset", "synthetic"), bool, "true or false"),
    (("split",), str, "a split name"),
    (("dataset", "name"), str, "a dataset name"),
)
"""What the table reads of a report besides its figures, with the type ``sgbench score --json``
writes: without them a JSON file holding ``metrics`` (a leaderboard's, an edited one) was shown
as a model's figures, noted only as 'scored on config None'."""


def _shaped(
    report: dict[str, Any], path: tuple[str, ...], kind: type, what: str, where: Path
) -> None:
    """Refuse a report whose value at ``path`` is not of ``kind`` (``what``), naming the key."""
    value: Any = report
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    if not isinstance(value, kind):
        raise InputError(
            f"{where}: {'.'.join(path)} is {bounded(repr(value))}, not {what}; is it a "
            "`sgbench score --json` report?"
        )


def _figure(report: dict[str, Any], path: tuple[str, ...], where: Path) -> float | None:
    """The figure at ``path``: None when the report has none (null, or no such key); every
    published figure is a share, so anything but a number from 0 to 1 is refused."""
    value: Any = report
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise InputError(
            f"{where}: {'.'.join(path)} is {value!r}, not a figure from 0 to 1; "
            "is it a `sgbench score --json` report?"
        )
    return float(value)


def entry_parts(argument: str) -> tuple[str, str, bool]:
    """``[NAME=]REPORT.json`` → (NAME, REPORT.json, whether ``=`` named a model); an existing
    file whose name holds ``=`` is a report without a name.

    Raises:
        InputError: both readings name an existing file (``a=b.json`` and ``b.json``).
    """
    name, sep, path_text = argument.partition("=")
    if not sep:
        return "", argument, False
    if Path(argument).exists():
        if path_text and Path(path_text).exists():
            raise InputError(
                f"{argument}: both a file of that name and {path_text} exist; write "
                f"NAME={argument} for the first or {name}=./{path_text} for the second"
            )
        return "", argument, False
    return name, path_text, True


def read_entry(argument: str, results: PaperResults) -> ReportEntry:
    """``[NAME=]REPORT.json`` → the report's figures under its model name.

    Raises:
        InputError: the file is missing, not JSON, or not a score report.
    """
    name, path_text, named = entry_parts(argument)
    if not path_text:
        raise InputError(f"{argument}: no report file after the model name; write NAME=REPORT.json")
    if named and not name:
        raise InputError(f"{argument}: no model name before '='; write NAME=REPORT.json")
    path = Path(path_text)
    problem = model_name_problem(name or path.stem)
    if problem:
        # Quoted (repr), not as typed: the name may hold what it is refused for.
        origin = f" (taken from {path_text!r}; write NAME=REPORT.json)" if not name else ""
        raise InputError(f"model name {name or path.stem!r}{origin}: {problem}")
    report = read_json_file(path, "score report")
    if not isinstance(report, dict) or not isinstance(report.get("metrics"), dict):
        raise InputError(f"{path}: not a score report (no `metrics`; see `sgbench score --json`)")
    for keys, kind, what in REPORT_SHAPES:
        _shaped(report, keys, kind, what, path)
    figures = {figure: _figure(report, keys, path) for figure, keys in REPORT_KEYS.items()}
    # The figures shown must be the ones the scorer computed: they are checked against the
    # report's own per-subgroup rows (what a hand edit of the figures alone breaks).
    problem = figures_problem(report)
    if problem is not None:
        raise InputError(
            f"{path}: {problem}: the report was edited after `sgbench score` wrote it, or is "
            "not a `sgbench score --json` report; score the predictions again"
        )
    # Names and settings are shown in the table and notes: one line each, as every foreign text.
    name = bounded(one_line(name or path.stem))
    row, setting = resolve(name, results)
    dataset, split = report["dataset"], report["split"]
    return ReportEntry(
        name=name,
        row=row,
        setting=setting,
        figures=figures,
        dataset=bounded(one_line(dataset["name"])),
        config=bounded(one_line(dataset["config"])),
        split=bounded(one_line(split)),
        synthetic=dataset["synthetic"],
    )


def _cell(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


@dataclass(frozen=True)
class PaperTable(FromFiles):
    """The published rows with the matching reports beneath each, and the reports apart."""

    results: PaperResults
    entries: tuple[ReportEntry, ...]

    def warnings(self) -> list[str]:
        """Reports scored on another dataset, config or split than the paper's, or on
        SYNTHETIC data."""
        lines = []
        for entry in self.entries:
            # Another dataset's figures (another country's build) are not comparable with the
            # paper's even on the same config and split names.
            if entry.dataset != self.results.dataset:
                lines.append(
                    f"note: {entry.name} was scored on dataset {entry.dataset}; the paper's "
                    f"figures are dataset {self.results.dataset}"
                )
            if (entry.config, entry.split) != (self.results.config, self.results.split):
                lines.append(
                    f"note: {entry.name} was scored on config {entry.config}, split "
                    f"{entry.split}; the paper's figures are config {self.results.config}, "
                    f"split {self.results.split}"
                )
            if entry.synthetic:
                lines.append(f"note: {entry.name} was scored on SYNTHETIC data, not WVS data")
        return lines

    def render(self) -> str:
        """The table as text: one line per published (model, setting), reports beneath."""
        width = max([len(n) for n in self.results.rows] + [len(e.name) + 2 for e in self.entries])
        head = f"{'model':<{width}}  {'setting':<10}  {'from':<6}"
        lines = [head + "".join(f"{h:>10}" for h in HEADINGS)]

        def line(name: str, setting: str, origin: str, figures: Mapping[str, Any]) -> str:
            cells = "".join(f"{_cell(figures.get(f)):>10}" for f in FIGURES)
            return f"{name:<{width}}  {setting:<10}  {origin:<6}{cells}"

        for model, settings in self.results.rows.items():
            for setting, figures in settings.items():
                lines.append(line(model, setting, "paper", figures))
                for entry in self.entries:
                    if (entry.row, entry.setting) == (model, setting):
                        lines.append(line(f"  {entry.name}", setting, "ours", entry.figures))
        apart = [
            e for e in self.entries if e.row is None or e.setting not in self.results.rows[e.row]
        ]
        if apart:
            lines += ["", "not in the paper's table:"]
            lines += [line(f"  {e.name}", e.setting, "ours", e.figures) for e in apart]
        lines += ["", f"source: {self.results.source}"]
        lines += [f"- {note}" for note in self.results.notes]
        lines.append("NR = Norm. Range (P_max - P_min) / P_max over the evaluation subgroups.")
        return "\n".join(lines)


@public
def paper_table(reports: Sequence[str]) -> PaperTable:
    """The published table with ``reports`` (``[NAME=]REPORT.json`` each, as ``sgbench
    paper-table`` takes them) beside it.

    Raises:
        InputError: a report that is not such a text, cannot be read or is not a score report,
            two reports under one model name, or one report under two names.
    """
    for report in reports:
        if not isinstance(report, str):
            # A path or None reached str methods deep in the parsing (an AttributeError).
            raise InputError(
                bounded(f"paper_table(): a report is a text [NAME=]REPORT.json, got {report!r}")
            )
    results = load_paper_results()
    entries = tuple(read_entry(r, results) for r in reports)
    # Two rows under one name could not be told apart in the table: refused, as the
    # leaderboard refuses two submissions of one model.
    # Names are compared as a reader tells them apart (shown_model): 'café' typed in NFC and
    # in NFD gave two rows under one name.
    first: dict[str, str] = {}
    for argument, entry in zip(reports, entries, strict=True):
        seen = shown_model(entry.name)
        if seen in first:
            raise InputError(
                f"{argument}: model name '{entry.name}' is also {first[seen]}'s; "
                "give each report its own NAME=REPORT.json"
            )
        first[seen] = argument
    # One report under two names would show one model's figures as two models'.
    # Each was just read, so each has an inode: one for a symlink, a hard link or `./r.json`.
    files: dict[tuple[int, int], str] = {}
    for argument in reports:
        info = Path(entry_parts(argument)[1]).stat()
        earlier = files.setdefault((info.st_dev, info.st_ino), argument)
        if earlier != argument:
            raise InputError(
                f"{argument}: the report {earlier} names too; give each model its own report"
            )
    return PaperTable(
        results=results,
        entries=entries,
        read_from=recorded(*((argument, entry_parts(argument)[1]) for argument in reports)),
    )
