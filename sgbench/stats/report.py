"""``sgbench stats``: the value landscape of a dataset as ``stats.json``, Markdown and charts.

:func:`compute_stats` turns a dataset config into a :class:`StatsReport` (the statistics of
:mod:`sgbench.stats.landscape`, grouped), which renders itself as JSON and Markdown;
:func:`sgbench.stats.output.write_stats` writes them with the charts. Definitions:

- Cell (question × stratum) figures: ``mds`` (Modal Diversity Score), ``mds_corrected`` (MDS
  of the unweighted counts' modes minus its permutation-null expectation,
  :func:`~sgbench.stats.landscape.null_modal_diversity`: 0 = no more diverse than chance)
  and ``distance`` (mean pairwise normalised W1 between the stratum's subgroups); NaN
  (``null``) for a cell with one subgroup. A question's figure is the mean over its strata's
  cells; a stratum's the mean over its questions' cells; a section's the
  mean over the cells of its questions. Undefined cells are left out of every mean.
- Population: :func:`~sgbench.stats.landscape.population_distribution` (per question, the
  single-attribute stratum with the most valid answers, its subgroups pooled by valid answers).
- Distance from the population: ``d(p_i, π_q)`` per sample (the scorer's normalised W1, total
  variation for nominal items), averaged per subgroup, per subgroup × section, and per attribute
  value over the single-attribute subgroup of that value.
- Population mode: answering every sample with the population's modal answer (first in scale
  order on a tie), scored with the scorer's ``accuracy`` (any of the subgroup's tied modes counts)
  and ``nmae``: the ceiling of a baseline that knows only the population's answer.
- Margin: the dataset's ``margin`` (top share minus second; 0 on a tie).

``stats.json`` holds no paths, times or host details; floats are rounded to 6 decimals and
undefined values are ``null``. Same dataset, same version: same bytes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from sgbench import __version__
from sgbench.boundary import PathArg, public
from sgbench.errors import InputError, bounded, one_line
from sgbench.files import FromFiles, reads
from sgbench.scoring.data import BoolArray, FloatArray, IntArray
from sgbench.scoring.metrics import accuracy, distribution_distance, nmae
from sgbench.scoring.predictions import PredictionArrays
from sgbench.scoring.report import DatasetInfo
from sgbench.stats.data import LandscapeData, load_landscape
from sgbench.stats.landscape import (
    NULL_REPLICATES,
    NULL_RULE,
    NULL_SEED,
    count_modes,
    first_mode,
    mean_pairwise_distance,
    modal_diversity,
    null_modal_diversity,
    population_distribution,
)
from sgbench.versioning import version_marker

DECIMALS: Final = 6
"""Floats in ``stats.json`` are rounded to this many decimals."""
MARGIN_BINS: Final = 20
"""The margin histogram has this many equal bins over [0, 1]."""
MARGIN_QUANTILES: Final = (0.1, 0.25, 0.5, 0.75, 0.9)
NEAR_TIE: Final = 0.05
"""Margins below this count as near ties in the summary."""
POPULATION_RULE: Final = (
    "per question, the single-attribute stratum with the most valid answers (ties: first by "
    "name); its subgroups' distributions pooled by their valid answers"
)


def shown(value: object) -> str:
    """Dataset text (a name, a section, a question, a stratum, a subgroup) as the summary, the
    Markdown and the charts show it: on one line and bounded (:func:`~sgbench.errors.one_line`).
    A dataset is foreign input (``hf://``): a section holding an escape sequence drove the
    terminal, and a newline forged an ``Error:`` line and broke the Markdown tables."""
    return bounded(one_line(value))


def _cell(value: object) -> str:
    """Dataset text in a Markdown table cell: :func:`shown`, ``|`` escaped."""
    return shown(value).replace("|", "\\|")


def _codes(values: pd.Series) -> tuple[IntArray, pd.Index]:
    """Integer codes of ``values`` in sorted order of the distinct values."""
    codes, names = pd.factorize(values, sort=True)
    return np.asarray(codes, dtype=np.int64), pd.Index(names)


def _rows(frame: pd.DataFrame) -> list[tuple[str, dict[str, Any]]]:
    """``(index label, {column: value})`` per row, in order (a typed ``iterrows``)."""
    return [
        (str(key), {str(c): v for c, v in row.items()})
        for key, row in frame.to_dict("index").items()
    ]


def _num(value: Any) -> float | None:
    """A JSON number rounded to :data:`DECIMALS`, or ``None`` for NaN/missing."""
    if value is None or pd.isna(value):
        return None
    number = float(value)
    return round(number, DECIMALS) if math.isfinite(number) else None


@dataclass(frozen=True, eq=False)
class StatsReport(FromFiles):
    """The landscape statistics of one dataset config (tables as DataFrames)."""

    dataset: DatasetInfo
    counts: Mapping[str, int]
    """``samples``, ``questions``, ``subgroups``, ``strata``, ``sections``, ``tied_samples``."""
    cells: pd.DataFrame
    """One row per (question, stratum): ``question_id``, ``stratum``, ``section``,
    ``n_subgroups``, ``mds``, ``distance``."""
    questions: pd.DataFrame
    """Index ``question_id``: ``section``, ``question``, ``n_strata``, ``mds``, ``distance``."""
    sections: pd.DataFrame
    """Index ``section``: ``n_questions``, ``n_cells``, ``mds``, ``distance``."""
    section_strata: pd.DataFrame
    """MDS per section (index) × stratum (columns), mean over the pair's questions."""
    strata: pd.DataFrame
    """Index ``stratum``: ``n_subgroups``, ``n_questions``, ``n_cells``, ``mds``, ``distance``."""
    subgroups: pd.DataFrame
    """Index ``subgroup_id``: ``stratum``, ``n``, ``distance`` (mean distance from the
    population over the subgroup's questions)."""
    subgroup_sections: pd.DataFrame
    """Mean distance from the population per subgroup (index) × section (columns)."""
    attributes: pd.DataFrame
    """Single-attribute subgroups: ``attribute``, ``value``, ``subgroup_id``, ``n``, ``distance``;
    sorted by attribute, then distance (furthest first)."""
    population_strata: Mapping[str, int]
    """Stratum → questions whose population it gives."""
    population_mode: Mapping[str, pd.DataFrame]
    """``overall``, ``split``, ``stratum`` → table of ``n``, ``accuracy``, ``nmae``."""
    margin: FloatArray
    """Every sample's margin."""
    top: int
    """How many most and least divisive questions are listed."""

    def divisive(self, most: bool) -> pd.DataFrame:
        """The ``top`` most (or least) divisive questions: ordered by MDS, then distance, then id.

        Questions whose every cell is undefined (one subgroup per stratum) are left out, and a
        question whose subgroups all answer alike (MDS and distance 0) is never among the most
        divisive: where no subgroups differed, the first questions by id were listed as "most
        divisive" at 0.000.
        """
        ranked = self.questions.dropna(subset=["mds"]).reset_index()
        if most:
            ranked = ranked[(ranked["mds"] > 0) | (ranked["distance"] > 0)]
        ranked = ranked.sort_values(
            ["mds", "distance", "question_id"],
            ascending=[not most, not most, True],
            kind="stable",
            na_position="last",
        )
        return ranked.head(self.top).set_index("question_id")

    def _margin_summary(self) -> dict[str, Any]:
        margin = self.margin
        counts, edges = np.histogram(margin, bins=MARGIN_BINS, range=(0.0, 1.0))
        quantiles = np.quantile(margin, MARGIN_QUANTILES) if len(margin) else np.zeros(0)
        return {
            "n": len(margin),
            "mean": _num(margin.mean()) if len(margin) else None,
            "quantiles": {
                str(q): _num(v) for q, v in zip(MARGIN_QUANTILES, quantiles, strict=False)
            },
            "share_tied": _num(np.mean(margin <= 0.0)) if len(margin) else None,
            f"share_below_{NEAR_TIE}": _num(np.mean(margin < NEAR_TIE)) if len(margin) else None,
            "histogram": {
                "edges": [_num(e) for e in edges],
                "counts": [int(c) for c in counts],
            },
        }

    def to_dict(self) -> dict[str, Any]:
        """``stats.json`` as JSON-ready Python values (keys in a fixed order)."""

        section_strata = dict(_rows(self.section_strata))
        subgroup_sections = dict(_rows(self.subgroup_sections))

        def cell_fields(row: Mapping[str, Any]) -> dict[str, Any]:
            return {
                "mds": _num(row["mds"]),
                "mds_corrected": _num(row["mds_corrected"]),
                "distance": _num(row["distance"]),
            }

        by_question: dict[str, Any] = {}
        cells = self.cells.sort_values(["question_id", "stratum"], kind="stable")
        for qid, row in _rows(self.questions):
            by_question[str(qid)] = {
                "section": row["section"],
                "n_strata": int(row["n_strata"]),
                **cell_fields(row),
                "by_stratum": {},
            }
        for cell in cells.to_dict("records"):
            by_question[str(cell["question_id"])]["by_stratum"][str(cell["stratum"])] = {
                "n_subgroups": int(cell["n_subgroups"]),
                **cell_fields({str(k): v for k, v in cell.items()}),
            }

        def listing(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return [
                {
                    "question_id": str(qid),
                    "section": row["section"],
                    "question": row["question"],
                    **cell_fields(row),
                }
                for qid, row in _rows(frame)
            ]

        attributes: dict[str, list[dict[str, Any]]] = {}
        for record in self.attributes.to_dict("records"):
            attributes.setdefault(str(record["attribute"]), []).append(
                {
                    "value": record["value"],
                    "subgroup_id": record["subgroup_id"],
                    "n": int(record["n"]),
                    "distance": _num(record["distance"]),
                }
            )

        def mode_table(frame: pd.DataFrame) -> dict[str, Any]:
            return {
                str(key): {
                    "n": int(row["n"]),
                    "accuracy": _num(row["accuracy"]),
                    "nmae": _num(row["nmae"]),
                }
                for key, row in _rows(frame)
            }

        d = self.dataset
        return {
            "sgbench_version": __version__,
            "dataset": {
                "name": d.name,
                "version": d.version,
                "synthetic": d.synthetic,
                "config": d.config,
                "files": dict(d.files),
            },
            "counts": dict(self.counts),
            "mds_null": {"rule": NULL_RULE, "replicates": NULL_REPLICATES, "seed": NULL_SEED},
            "by_section": {
                str(section): {
                    "n_questions": int(row["n_questions"]),
                    "n_cells": int(row["n_cells"]),
                    **cell_fields(row),
                    "mds_by_stratum": {str(s): _num(v) for s, v in section_strata[section].items()},
                }
                for section, row in _rows(self.sections)
            },
            "by_stratum": {
                str(stratum): {
                    "n_subgroups": int(row["n_subgroups"]),
                    "n_questions": int(row["n_questions"]),
                    "n_cells": int(row["n_cells"]),
                    **cell_fields(row),
                }
                for stratum, row in _rows(self.strata)
            },
            "by_question": by_question,
            "most_divisive": listing(self.divisive(most=True)),
            "least_divisive": listing(self.divisive(most=False)),
            "population": {
                "rule": POPULATION_RULE,
                "strata": dict(self.population_strata),
                "n_questions_without": int(self.counts["questions"])
                - sum(self.population_strata.values()),
            },
            "distance_from_population": {
                "by_attribute": attributes,
                "by_subgroup": {
                    str(sid): {
                        "stratum": row["stratum"],
                        "n": int(row["n"]),
                        "distance": _num(row["distance"]),
                        "by_section": {
                            str(s): _num(v)
                            for s, v in subgroup_sections[sid].items()
                            if not pd.isna(v)
                        },
                    }
                    for sid, row in _rows(self.subgroups)
                },
            },
            "population_mode": {
                "overall": mode_table(self.population_mode["overall"])["all"],
                "by_split": mode_table(self.population_mode["split"]),
                "by_stratum": mode_table(self.population_mode["stratum"]),
            },
            "margin": self._margin_summary(),
        }

    def to_json(self) -> str:
        """``stats.json`` text (2-space indent, trailing newline); same input, same bytes."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    def summary(self) -> str:
        """A short readable summary (for the terminal): sections by MDS, the population-mode
        accuracy, the most divisive questions."""
        d, c = self.dataset, self.counts
        marker = version_marker(d.version, d.synthetic)
        flag = f" ({marker})" if marker else ""
        lines = [
            f"sgbench stats: {shown(d.name)} {shown(d.version)}{flag}, config {shown(d.config)}",
            f"{c['samples']} samples: {c['questions']} questions × {c['subgroups']} subgroups, "
            f"{c['strata']} strata, {c['sections']} sections",
            "",
            f"{'MDS':>7}{'MDS−null':>10}{'W1':>8}  section (mean over question × stratum cells)",
        ]
        sections = self.sections.sort_values(["mds", "distance"], ascending=False, kind="stable")
        for section, row in _rows(sections):
            lines.append(
                f"{_fmt(row['mds']):>7}{_fmt(row['mds_corrected']):>10}"
                f"{_fmt(row['distance']):>8}  {shown(section)}"
            )
        overall = dict(_rows(self.population_mode["overall"]))["all"]
        splits = ", ".join(
            f"{split} {_fmt(row['accuracy'])}"
            for split, row in _rows(self.population_mode["split"])
        )
        most = ", ".join(f"{shown(q)} ({_fmt(r['mds'])})" for q, r in _rows(self.divisive(True)))
        most = most or "none (in every stratum, the subgroups answer alike or stand alone)"
        lines += [
            "",
            f"answering with the population's mode: accuracy {_fmt(overall['accuracy'])} "
            f"({splits})",
            f"most divisive: {most}",
        ]
        return "\n".join(lines)

    def render_markdown(self, charts: Mapping[str, str] | None = None) -> str:
        """The Markdown report; ``charts`` maps chart title → file name to link (if written)."""
        d = self.dataset
        flag = " — **SYNTHETIC data, not WVS results**" if d.synthetic else ""
        c = self.counts
        out = [
            f"# Value landscape: {shown(d.name)} {shown(d.version)}",
            "",
            f"Config `{shown(d.config)}`{flag}. {c['samples']:,} samples: {c['questions']} "
            f"questions × {c['subgroups']} subgroups in {c['strata']} strata, "
            f"{c['sections']} sections; "
            f"{c['tied_samples']} samples with tied modal answers. sgbench {__version__}.",
            "",
            "MDS: Modal Diversity Score, `−Σ p(m) log2 p(m) / log2(min(|S|, |C|))` over the "
            "subgroups' modal answers (0 = every subgroup has the same mode). W1: mean pairwise "
            "normalised Wasserstein-1 between the subgroups' distributions (total variation for "
            "nominal items). Both per (question, stratum), then averaged.",
            "",
        ]
        for title, name in (charts or {}).items():
            out += [f"![{title}]({name})", ""]
        out += ["## By section (most divisive first)", "", "| section | questions | MDS | W1 |"]
        out.append("| --- | ---: | ---: | ---: |")
        sections = self.sections.sort_values(["mds", "distance"], ascending=False, kind="stable")
        for section, row in _rows(sections):
            out.append(
                f"| {_cell(section)} | {int(row['n_questions'])} | {_fmt(row['mds'])} "
                f"| {_fmt(row['distance'])} |"
            )
        modes = dict(_rows(self.population_mode["stratum"]))
        out += [
            "",
            "## By stratum",
            "",
            "Population mode: answering every sample with the population's modal answer "
            "(accuracy and NMAE as `sgbench score` computes them).",
            "",
            "MDS − null: MDS minus its mean when the stratum's answers are shuffled across its "
            "subgroups (0: no more diverse than chance).",
            "",
            "| stratum | subgroups | questions | MDS | MDS − null | W1 | population-mode accuracy "
            "| NMAE |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for stratum, row in _rows(self.strata):
            mode = modes.get(stratum)
            acc = _fmt(mode["accuracy"]) if mode is not None else "–"
            err = _fmt(mode["nmae"]) if mode is not None else "–"
            out.append(
                f"| {_cell(stratum)} | {int(row['n_subgroups'])} | {int(row['n_questions'])} "
                f"| {_fmt(row['mds'])} | {_fmt(row['mds_corrected'])} | {_fmt(row['distance'])} "
                f"| {acc} | {err} |"
            )
        overall = dict(_rows(self.population_mode["overall"]))["all"]
        out += ["", f"All samples: population-mode accuracy {_fmt(overall['accuracy'])}, "]
        out[-1] += f"NMAE {_fmt(overall['nmae'])}; by split: " + ", ".join(
            f"{split} {_fmt(row['accuracy'])}"
            for split, row in _rows(self.population_mode["split"])
        )
        out[-1] += "."
        for most in (True, False):
            title = "Most divisive questions" if most else "Least divisive questions"
            out += ["", f"## {title}", "", "| question | section | MDS | W1 | text |"]
            out.append("| --- | --- | ---: | ---: | --- |")
            for qid, row in _rows(self.divisive(most)):
                out.append(
                    f"| {_cell(qid)} | {_cell(row['section'])} | {_fmt(row['mds'])} | "
                    f"{_fmt(row['distance'])} | {_cell(row['question'])} |"
                )
        strata = ", ".join(f"`{_cell(s)}` ({n})" for s, n in self.population_strata.items())
        out += [
            "",
            "## Furthest from the population",
            "",
            f"Population of a question: {POPULATION_RULE} (strata used: {strata}). Distance: "
            "mean normalised W1 between the single-attribute subgroup and the population, over "
            "its questions.",
            "",
            "| attribute | values, furthest first (distance) |",
            "| --- | --- |",
        ]
        for attribute, rows in self.attributes.groupby("attribute", sort=True):
            values = ", ".join(
                f"{_cell(r['value'])} ({_fmt(r['distance'])})" for r in rows.to_dict("records")
            )
            out.append(f"| {_cell(attribute)} | {values} |")
        margin = self._margin_summary()
        q = margin["quantiles"]
        out += [
            "",
            "## Margins",
            "",
            f"Margin = top share − second share of a sample's distribution. Median "
            f"{_fmt(q.get('0.5'))}, quartiles {_fmt(q.get('0.25'))}–{_fmt(q.get('0.75'))}; "
            f"{_pct(margin['share_tied'])} exact ties, {_pct(margin[f'share_below_{NEAR_TIE}'])} "
            f"below {NEAR_TIE}.",
            "",
        ]
        return "\n".join(out)


def _fmt(value: Any) -> str:
    return "–" if value is None or pd.isna(value) else f"{float(value):.3f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _first_present(frame: pd.DataFrame) -> pd.Series:
    """Each row's first non-missing value, left to right (``bfill(axis=1).iloc[:, 0]``, whose
    row-wise fill over text columns took a quarter of :func:`compute_stats`)."""
    first = frame.notna().to_numpy().argmax(axis=1)
    values = frame.to_numpy()[np.arange(len(frame)), first]
    dtype = frame.dtypes.iloc[0] if frame.dtypes.nunique() == 1 else object
    return pd.Series(values, index=frame.index, name=frame.columns[0], dtype=dtype)


def _population_mode(
    data: LandscapeData, population: FloatArray, has_population: BoolArray
) -> pd.DataFrame:
    """Per-sample accuracy and nmae of answering with the population's mode (NaN: no population).

    The answers are scored by the scorer's own metric functions.
    """
    items = data.items
    position = np.where(has_population, first_mode(population), -1)
    width = items.codes.shape[1]
    pred = PredictionArrays(
        answered=has_population,
        position=position,
        distribution=np.eye(width)[np.maximum(position, 0)] * has_population[:, None],
        has_distribution=np.zeros(items.n, dtype=bool),
    )
    return pd.DataFrame(
        {
            "accuracy": np.where(has_population, accuracy(items, pred), np.nan),
            "nmae": np.where(has_population, nmae(items, pred), np.nan),
        }
    )


def _mode_table(frame: pd.DataFrame, key: pd.Series) -> pd.DataFrame:
    """Mean population-mode accuracy and nmae per key; ``n`` counts samples with a population."""
    grouped = frame.groupby(key.to_numpy(), sort=True)
    table = grouped[["accuracy", "nmae"]].mean()
    table.insert(0, "n", grouped["accuracy"].count())
    return table


@public
@reads(dataset="--dataset")
def compute_stats(dataset: PathArg, config: str = "default", top: int = 10) -> StatsReport:
    """The value landscape of every sample of ``config`` (see the module docstring).

    Raises:
        InputError: the dataset cannot be read (see :func:`~sgbench.stats.data.load_landscape`),
            or ``top`` is not a positive integer.
    """
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise InputError(f"top must be a positive integer, got {top!r}")
    data = load_landscape(dataset, config)
    items = data.items
    meta = items.meta
    attributes = list(items.attributes)

    # One cell per (question, stratum); both statistics are computed for all cells at once.
    cell_key = meta["question_id"].astype(str) + "\x1f" + meta["stratum"].astype(str)
    cell, cell_names = _codes(cell_key)
    n_cells = len(cell_names)
    cells = (
        meta.assign(cell=cell)
        .groupby("cell", sort=True)
        .agg(
            question_id=("question_id", "first"),
            stratum=("stratum", "first"),
            section=("section", "first"),
            n_subgroups=("subgroup_id", "size"),
        )
        .reset_index(drop=True)
    )
    cells["mds"] = modal_diversity(items.modal, items.k, cell, n_cells)
    # Observed and null modes by the same rule (unweighted counts): see the landscape module.
    cells["mds_corrected"] = modal_diversity(
        count_modes(data.counts), items.k, cell, n_cells
    ) - null_modal_diversity(data.counts, items.k, cell, n_cells)
    cells["distance"] = mean_pairwise_distance(
        items.target, items.k, items.nominal, cell, n_cells, items.off_scale
    )

    questions = cells.groupby("question_id", sort=True).agg(
        section=("section", "first"),
        n_strata=("stratum", "size"),
        mds=("mds", "mean"),
        mds_corrected=("mds_corrected", "mean"),
        distance=("distance", "mean"),
    )
    questions.insert(1, "question", questions.index.map(data.questions))
    sections = cells.groupby("section", sort=True).agg(
        n_questions=("question_id", "nunique"),
        n_cells=("mds", "count"),
        mds=("mds", "mean"),
        mds_corrected=("mds_corrected", "mean"),
        distance=("distance", "mean"),
    )
    section_strata = cells.pivot_table(
        index="section", columns="stratum", values="mds", aggfunc="mean", dropna=False
    ).reindex(index=sections.index)
    strata = cells.groupby("stratum", sort=True).agg(
        n_questions=("question_id", "nunique"),
        n_cells=("mds", "count"),
        mds=("mds", "mean"),
        mds_corrected=("mds_corrected", "mean"),
        distance=("distance", "mean"),
    )
    strata.insert(0, "n_subgroups", meta.groupby("stratum", sort=True)["subgroup_id"].nunique())

    # The population and every sample's distance from it.
    question, question_names = _codes(meta["question_id"])
    set_attributes = meta[attributes].notna()
    single = (set_attributes.sum(axis=1) == 1).to_numpy()
    single_code, single_names = _codes(meta["stratum"].where(single))
    population, chosen = population_distribution(
        items.target, data.n_valid, question, len(question_names), single_code
    )
    has_population = chosen[question] >= 0
    sample_population = population[question]
    distance = np.where(
        has_population,
        distribution_distance(
            items.target, sample_population, items.k, items.nominal, items.off_scale
        ),
        np.nan,
    )
    used = pd.Series(chosen[chosen >= 0]).map(lambda code: str(single_names[code]))
    population_strata = {str(s): int(n) for s, n in used.value_counts().sort_index().items()}

    samples = meta[["subgroup_id", "stratum", "section"]].assign(distance=distance)
    subgroups = samples.groupby("subgroup_id", sort=True).agg(
        stratum=("stratum", "first"), n=("distance", "count"), distance=("distance", "mean")
    )
    subgroup_sections = samples.pivot_table(
        index="subgroup_id", columns="section", values="distance", aggfunc="mean", dropna=False
    ).reindex(index=subgroups.index)
    singles = samples.loc[single].assign(
        attribute=set_attributes.loc[single].idxmax(axis=1),
        value=_first_present(meta.loc[single, attributes]),
    )
    by_value = (
        singles.groupby(["attribute", "value", "subgroup_id"], sort=True)
        .agg(n=("distance", "count"), distance=("distance", "mean"))
        .reset_index()
        .sort_values(
            ["attribute", "distance", "value"], ascending=[True, False, True], kind="stable"
        )
        .reset_index(drop=True)
    )

    modes = _population_mode(data, sample_population, has_population)
    population_mode = {
        "overall": _mode_table(modes, pd.Series("all", index=modes.index)),
        "split": _mode_table(modes, pd.Series(data.split, index=modes.index)),
        "stratum": _mode_table(modes, meta["stratum"]),
    }

    synthetic = data.manifest.get("synthetic")
    return StatsReport(
        dataset=DatasetInfo(
            name=str(data.manifest.get("name", "")),
            version=str(data.manifest.get("version", "")),
            synthetic=synthetic if isinstance(synthetic, bool) else None,
            config=config,
            files=dict(data.files),
        ),
        counts={
            "samples": items.n,
            "questions": len(question_names),
            "subgroups": int(meta["subgroup_id"].nunique()),
            "strata": int(meta["stratum"].nunique()),
            "sections": int(meta["section"].nunique()),
            "tied_samples": int((items.modal.sum(axis=1) > 1).sum()),
        },
        cells=cells,
        questions=questions,
        sections=sections,
        section_strata=section_strata,
        strata=strata,
        subgroups=subgroups,
        subgroup_sections=subgroup_sections,
        attributes=by_value,
        population_strata=population_strata,
        population_mode=population_mode,
        margin=data.margin,
        top=top,
    )
