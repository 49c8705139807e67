"""The score report: :func:`score_predictions` and the :class:`ScoreReport` it returns.

``ScoreReport.to_dict()`` is the JSON report (``sgbench score --json``); ``render()`` the readable
summary. Key paths relied on by tools: ``split``, ``n_samples``, ``n_scored``, ``n_missing``,
``n_refused``, ``metrics.<metric>``, ``ci.<metric>`` = ``[low, high]``,
``fairness.subgroup.<metric>`` (:func:`sgbench.scoring.fairness.fairness_entry`: ``cv_between``,
``p_value``, ``sd_between``, ..., ``norm_range``, ``cv``, ``gap``, ``ratio``, ``worst``, ``null``,
``ci``), ``fairness.attributes.<attribute>.<metric>`` (the same, plus ``values`` and
``standard_errors``), ``fairness.<...>.accuracy.ceiling`` (the groups' ceilings' spread,
:func:`sgbench.scoring.fairness.ceiling_entry`, with a ceiling),
``by_subgroup``, ``by_stratum``, ``by_attribute_value``, ``by_section``, ``by_scale_type``,
``by_overlap`` (bands of ``train_overlap``), ``ceiling.accuracy`` and ``ceiling.by_subgroup``
(mean ``mode_stability``), ``metrics.accuracy_normalised``, ``bootstrap``, ``permutations``,
``n_skipped_other_splits``, ``n_answer_not_modal`` (with a distribution) and ``dataset``. The
same input gives the same bytes (:meth:`ScoreReport.to_json`): no paths, times or host details go
into the report.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from sgbench import __version__
from sgbench.boundary import ArgumentName, PathArg, public
from sgbench.dataset import check_config_split, evaluation_split, overlap_band
from sgbench.errors import InputError, bounded, one_line
from sgbench.files import FromFiles, reads, report_kind, write_atomic, writes
from sgbench.scoring.bootstrap import (
    QUESTIONS,
    Intervals,
    Resample,
    attribute_blocks,
    bootstrap_intervals,
    bootstrap_record,
    check_settings,
    interval_heading,
)
from sgbench.scoring.data import BoolArray, FloatArray, ScoringData, load_scoring_data
from sgbench.scoring.fairness import (
    CLEAR_STABILITY,
    SHUFFLED,
    STATISTICS,
    ClearRow,
    ci_list,
    fairness_entry,
    fairness_lines,
    fairness_note,
    finite,
)
from sgbench.scoring.grouped import Breakdown, GroupedResult, breakdown, grouped, spread
from sgbench.scoring.metrics import METRICS, compute, fairness_names, metric_names
from sgbench.scoring.predictions import Predictions, read_predictions
from sgbench.versioning import version_marker

SUBGROUP: Final = "subgroup"
CEILING_METRIC: Final = "accuracy"
"""The metric whose fairness rows carry their groups' ceilings (``mode_stability`` bounds it)."""
ATTRIBUTE_PREFIX: Final = "attribute:"
BREAKDOWNS: Final = (
    ("subgroup", "subgroup_id"),
    ("stratum", "stratum"),
    ("section", "section"),
    ("scale_type", "scale_type"),
)
"""Report breakdown name → item column it groups by (attribute values come on top)."""


@dataclass(frozen=True)
class DatasetInfo:
    """Which dataset was scored against."""

    name: str
    version: str
    synthetic: bool | None
    """The manifest's ``synthetic`` flag (SYNTHETIC data is not WVS data)."""
    config: str
    files: Mapping[str, str]
    """Relative path → sha256 of the data files read."""


@dataclass(frozen=True)
class ScoreReport(FromFiles):
    """The result of scoring one predictions file on one split."""

    dataset: DatasetInfo
    split: str
    predictions_sha256: str
    n_samples: int
    """Samples in the split."""
    n_scored: int
    """Samples with a prediction."""
    n_missing: int
    """Samples without a prediction (scored as wrong: accuracy 0, nmae 1, ...)."""
    n_skipped_other_splits: int
    """Prediction lines for samples of the config's other splits (ignored)."""
    n_with_distribution: int
    """Scored predictions that carried a distribution."""
    n_questions: int
    missing_ids: tuple[str, ...]
    metrics: Mapping[str, float]
    """Metric → mean over the split's samples, in metric order."""
    by: Mapping[str, Breakdown]
    """``subgroup``, ``stratum``, ``section``, ``scale_type`` breakdowns."""
    by_attribute: Mapping[str, Breakdown]
    """Attribute → breakdown by its values (attributes no sample of the split uses left out)."""
    intervals: Intervals
    ceiling: GroupedResult | None = None
    """Mean ``mode_stability`` of the split's samples, overall and per subgroup: the accuracy a
    predictor of the true distributions would expect (None when the dataset lacks it)."""
    by_overlap: Breakdown | None = None
    """Metrics by band of ``train_overlap`` (None when the dataset lacks it)."""
    n_refused: int = 0
    """Samples the model refused (among the missing ones); with any, ``refusal_rate`` is a metric
    and a fairness figure, and every table row gets ``n_refused``."""
    n_answer_not_modal: int = 0
    """Scored predictions whose ``answer`` is not a modal option of their own ``distribution``
    (:attr:`~sgbench.scoring.predictions.PredictionArrays.answer_not_modal`); reported with
    ``n_with_distribution``, and a note in :meth:`render` when any."""
    ceiling_by_attribute: Mapping[str, GroupedResult] | None = None
    """Attribute → mean ``mode_stability`` by its values, for every attribute of
    :attr:`by_attribute` (None when the dataset lacks it): with :attr:`ceiling`, the groups'
    ceilings the accuracy fairness rows report beside their spread
    (:func:`~sgbench.scoring.fairness.ceiling_entry`)."""
    clear: Mapping[str, Mapping[str, ClearRow]] | None = None
    """Grouping (``subgroup``, ``attribute:<name>``) → fairness metric → the metric on the
    grouping's clear targets (:data:`~sgbench.scoring.fairness.CLEAR_STABILITY`), where its
    verdict is tested (None when the dataset lacks ``mode_stability``: verdicts on every
    target)."""
    n_clear: int = 0
    """Samples of the split whose target is clear (0 without :attr:`clear`)."""

    @property
    def fairness_metrics(self) -> tuple[str, ...]:
        """Metrics whose spread across groups is reported."""
        return fairness_names(tuple(self.metrics))

    def _table(self, result: Breakdown) -> dict[str, dict[str, Any]]:
        """A breakdown's table, with ``n_refused`` per group when ``refusal_rate`` is reported
        (its mean times the group size: a mean of 0/1 values, so a whole number)."""
        table = result.table()
        if "refusal_rate" in self.metrics:
            for row in table.values():
                row["n_refused"] = round(row["refusal_rate"] * row["n"])
        return table

    def _fairness(
        self,
        grouping: str,
        result: Breakdown,
        with_values: bool,
        ceiling: GroupedResult | None,
    ) -> dict[str, Any]:
        spreads = self.intervals.spreads.get(grouping, {})
        return {
            name: fairness_entry(
                result.results[name],
                spreads.get(name),
                lead=METRICS[name].lead,
                with_values=with_values,
                resample=self.intervals.resample,
                # mode_stability is the chance of matching the observed mode: accuracy's bound.
                ceiling=ceiling if name == CEILING_METRIC else None,
                clear=None if self.clear is None else self.clear[grouping][name],
            )
            for name in self.fairness_metrics
        }

    def to_dict(self) -> dict[str, Any]:
        """The full report as JSON-ready Python values (see the module docstring for keys)."""
        return {
            "sgbench_version": __version__,
            "dataset": {
                "name": self.dataset.name,
                "version": self.dataset.version,
                "synthetic": self.dataset.synthetic,
                "config": self.dataset.config,
                "files": dict(self.dataset.files),
            },
            "split": self.split,
            "predictions_sha256": self.predictions_sha256,
            "n_samples": self.n_samples,
            "n_scored": self.n_scored,
            "n_missing": self.n_missing,
            **({"n_refused": self.n_refused} if "refusal_rate" in self.metrics else {}),
            "n_skipped_other_splits": self.n_skipped_other_splits,
            "n_with_distribution": self.n_with_distribution,
            # Only where a distribution is given, as js_distance: a report of answers alone
            # keeps its keys.
            **({"n_answer_not_modal": self.n_answer_not_modal} if self.n_with_distribution else {}),
            "n_questions": self.n_questions,
            "n_subgroups": len(self.by[SUBGROUP].groups),
            "metrics": {**self.metrics, **self._normalised()},
            "ceiling": self._ceiling(),
            "clear_targets": None
            if self.clear is None
            else {
                "min_mode_stability": CLEAR_STABILITY,
                "n_samples": self.n_clear,
                "share": finite(self.n_clear / self.n_samples),
            },
            "ci": {name: ci_list(self.intervals.metrics.get(name)) for name in self.metrics},
            "fairness": {
                "subgroup": self._fairness(
                    SUBGROUP, self.by[SUBGROUP], with_values=False, ceiling=self.ceiling
                ),
                "attributes": {
                    attribute: self._fairness(
                        ATTRIBUTE_PREFIX + attribute,
                        result,
                        True,
                        (self.ceiling_by_attribute or {}).get(attribute),
                    )
                    for attribute, result in self.by_attribute.items()
                },
            },
            "by_subgroup": self._table(self.by["subgroup"]),
            "by_stratum": self._table(self.by["stratum"]),
            "by_attribute_value": {a: self._table(r) for a, r in self.by_attribute.items()},
            "by_section": self._table(self.by["section"]),
            "by_scale_type": self._table(self.by["scale_type"]),
            "by_overlap": None if self.by_overlap is None else self._table(self.by_overlap),
            "bootstrap": bootstrap_record(
                self.intervals.seed,
                self.intervals.n_boot,
                self.intervals.resample,
                spread=True,
                n_questions=self.intervals.n_questions,
            ),
            "permutations": {
                "seed": self.intervals.seed,
                "n_permutations": self.intervals.n_permutations,
                "method": self.intervals.null_method,
                "n_drawn": self.intervals.n_permutations_drawn,
                "min_p_value": finite(1.0 / (1 + self.intervals.n_permutations))
                if self.intervals.n_permutations
                else None,
                "shuffled": SHUFFLED[self.intervals.resample],
                "statistic": STATISTICS[self.intervals.resample],
            },
        }

    def _normalised(self) -> dict[str, float | None]:
        """``accuracy_normalised = accuracy / ceiling.accuracy`` (1: as good as the true
        distributions' modes can expect; None without a ceiling or when it is 0)."""
        if self.ceiling is None:
            return {}
        ceiling = self.ceiling.overall
        value = self.metrics["accuracy"] / ceiling if ceiling > 0 else math.nan
        return {"accuracy_normalised": finite(value)}

    def _ceiling(self) -> dict[str, Any] | None:
        if self.ceiling is None:
            return None
        return {
            "accuracy": finite(self.ceiling.overall),
            "by_subgroup": self.ceiling.by_group(),
        }

    def to_json(self) -> str:
        """The report as JSON text (2-space indent, trailing newline); same input, same bytes."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    def render(self) -> str:
        """A readable summary: headline metrics with intervals, fairness, the worst groups."""
        d = self.dataset
        marker = version_marker(d.version, d.synthetic)
        flag = f" ({marker})" if marker else ""
        lines = [
            f"sgbench score: {bounded(one_line(d.name))} {bounded(one_line(d.version))}{flag}, "
            f"config {d.config}, split {self.split}",
            f"{self.n_samples} samples ({self.n_questions} questions × "
            f"{len(self.by[SUBGROUP].groups)} subgroups); {self.n_scored} scored, "
            f"{self.n_missing} missing (scored as wrong"
            + (f"; {self.n_refused} of them refused" if self.n_refused else "")
            + "), "
            f"{self.n_skipped_other_splits} lines for other splits skipped",
        ]
        if self.n_answer_not_modal:
            lines.append(
                f"note: {self.n_answer_not_modal} of {self.n_with_distribution} predictions with "
                "a distribution answer an option that is not a mode of it; answer (accuracy, "
                "nmae, agreement) and distribution (wasserstein, js_distance) are scored apart"
            )
        lines.append("")
        boot = self.intervals
        ci_head = interval_heading(
            boot.n_boot, boot.n_questions, boot.resample, boot.seed, boot.n_units
        )
        lines.append(f"{'metric':<13}{'value':>8}   {ci_head}")
        for name, value in self.metrics.items():
            ci = boot.metrics.get(name)
            ci_text = f"[{ci[0]:.3f}, {ci[1]:.3f}]" if ci else ""
            lines.append(f"{name:<13}{value:>8.3f}   {ci_text}")
        if self.ceiling is not None:
            normalised = self._normalised()["accuracy_normalised"]
            lines.append(
                f"{'ceiling':<13}{self.ceiling.overall:>8.3f}   mean mode_stability: the accuracy "
                "the true distributions' modes would expect"
            )
            if normalised is not None:
                lines.append(f"{'acc / ceiling':<13}{normalised:>8.3f}")
        perms = f"{boot.n_permutations} permutations"
        if boot.null_method != "permutation":
            perms += f", p {boot.null_method}, means over {boot.n_permutations_drawn} drawn"
        lines += [
            "",
            f"fairness across groups ({perms}; "
            f"{fairness_note(boot.resample, clear=self.clear is not None)})",
        ]
        if self.clear is not None:
            lines.append(
                f"clear targets: {self.n_clear} of {self.n_samples} samples "
                f"({self.n_clear / self.n_samples:.0%}) have mode_stability ≥ {CLEAR_STABILITY}"
            )
        fairness = self.to_dict()["fairness"]
        blocks = {SUBGROUP: fairness["subgroup"], **fairness["attributes"]}
        lines += fairness_lines(blocks, boot.resample)
        lines += ["", f"{'stratum':<28}{'n':>7}" + "".join(f"{m:>13}" for m in self.metrics)]
        for stratum, row_ in self.by["stratum"].table().items():
            cells = "".join(f"{row_[m]:>13.3f}" for m in self.metrics)
            lines.append(f"{stratum:<28}{row_['n']:>7}{cells}")
        return "\n".join(lines)


@public
@reads(predictions_path="PRED", dataset_dir="--dataset")
def score_predictions(
    predictions_path: PathArg,
    dataset_dir: PathArg,
    config: str = "default",
    split: str | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    strict: bool = False,
    *,
    n_permutations: int = 1000,
    resample: Resample = QUESTIONS,
) -> ScoreReport:
    """Score a predictions file on one split of a built dataset.

    Args:
        predictions_path: JSON Lines predictions (see :mod:`sgbench.scoring.predictions`).
        dataset_dir: a built dataset folder, or a Hub dataset id ``org/name`` when no such
            folder exists (downloaded with ``huggingface_hub``).
        config: one of :data:`sgbench.dataset.CONFIGS` that the build has (``temporal`` only
            in builds from more than one wave).
        split: the split to score (None: the config's held-out split,
            :func:`~sgbench.dataset.evaluation_split`); predictions for the config's other
            splits are skipped.
        n_boot: bootstrap replicates for the 95% intervals (0: no intervals).
        seed: seed of the bootstrap's and the permutations' random generators.
        strict: refuse a file that leaves some sample of the split without a prediction.
        n_permutations: shuffles of the permutation null of every fairness figure (0: none).
        resample: ``questions`` or ``questions+subgroups`` (:mod:`sgbench.scoring.bootstrap`).

    Raises:
        InputError: any problem with the arguments, the dataset or the predictions file
            (:class:`~sgbench.scoring.predictions.PredictionsError` lists every problem), or
            a file whose every line is for another split.
    """
    split = evaluation_split(config) if split is None else split
    check_config_split(config, split)
    check_settings(n_boot, seed, n_permutations, resample)
    data = load_scoring_data(dataset_dir, config, split)
    predictions = read_predictions(predictions_path, data, strict=strict)
    if predictions.n_skipped_other_splits and not predictions.arrays.answered.any():
        # Every line is for another split: a wrong --split (or a file of another split), which
        # would score 0 with exit 0 as if the model had answered nothing. (The leaderboard reads
        # one file for several splits and does not come through here.)
        raise InputError(
            f"{predictions_path}: none of its {predictions.n_skipped_other_splits} "
            f"prediction(s) is for split {split!r}; all are for other splits of config "
            f"{config!r} (choose the split with {ArgumentName('split', '--split')})"
        )
    return score(
        data,
        predictions,
        n_boot=n_boot,
        seed=seed,
        n_permutations=n_permutations,
        resample=resample,
    )


@public
@reads()
def score(
    data: ScoringData,
    predictions: Predictions,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    n_permutations: int = 1000,
    resample: Resample = QUESTIONS,
) -> ScoreReport:
    """Score predictions already read against ``data`` (pure: reads no file).

    What :func:`score_predictions` returns, for callers that hold the dataset already (the
    leaderboard scores every entry on one loaded split).

    Raises:
        InputError: ``data`` is not a :class:`ScoringData` (:func:`load_scoring_data`) or
            ``predictions`` not :class:`Predictions` (:func:`read_predictions`): a path or a table
            is refused by :func:`sgbench.boundary.public`; ``predictions`` were read against other
            samples or options than ``data``'s; or bad ``n_boot``, ``seed``,
            ``n_permutations`` or ``resample``, or a resampling mode with no effect.
    """
    if (
        predictions.sample_ids is not data.items.ids and predictions.sample_ids != data.items.ids
    ) or not np.array_equal(predictions.option_codes, data.items.codes):
        # Prediction arrays are aligned by row and hold option positions: on another split they
        # would index past its end, or, as long, score each answer against another sample; on
        # another dataset with the same ids, against options in another order.
        raise InputError(
            f"the predictions were read for other samples or options than config "
            f"{data.config!r}, split {data.split!r} holds; read them with "
            "read_predictions(path, data) for this data"
        )
    check_settings(n_boot, seed, n_permutations, resample)
    items, arrays = data.items, predictions.arrays
    refused = arrays.refused is not None and bool(arrays.refused.any())
    names = metric_names(bool(arrays.has_distribution.any()), with_refusals=refused)
    values = compute(items, arrays, names)
    higher = {name: METRICS[name].higher_is_better for name in names}
    missing = ~arrays.answered
    meta = items.meta
    by = {
        name: breakdown(name, meta[column], values, higher, missing) for name, column in BREAKDOWNS
    }
    by_attribute = {
        attribute: breakdown(attribute, meta[attribute], values, higher, missing)
        for attribute in items.attributes
        if meta[attribute].notna().any()
    }
    groupings, blocks = _groupings(meta, items.attributes, by_attribute)
    stability = meta["mode_stability"].to_numpy(dtype=np.float64)
    # Grouped by the rows' own keys (groupings), so each accuracy row's ceilings are its groups'.
    ceilings = (
        None
        if np.isnan(stability).any()
        else {
            name: grouped(stability, keys, metric="ceiling", higher_is_better=True)
            for name, keys in groupings.items()
        }
    )
    overlap = meta["train_overlap"].to_numpy(dtype=np.float64)
    by_overlap = (
        None
        if np.isnan(overlap).any()
        else breakdown("overlap", overlap_band(overlap), values, higher, missing)
    )
    intervals = bootstrap_intervals(
        values,
        meta["question_id"],
        groupings,
        fairness_names(names),
        units=meta["subgroup_id"],
        n_boot=n_boot,
        seed=seed,
        n_permutations=n_permutations,
        resample=resample,
        blocks=blocks,
    )
    fairness_values = {name: values[name] for name in fairness_names(names)}
    clear = (
        None
        if ceilings is None
        else clear_rows(
            fairness_values,
            higher,
            meta,
            stability >= CLEAR_STABILITY,
            groupings,
            blocks,
            n_boot=n_boot,
            seed=seed,
            n_permutations=n_permutations,
            resample=resample,
        )
    )
    manifest = data.manifest
    return ScoreReport(
        dataset=DatasetInfo(
            name=manifest.name,
            version=manifest.version,
            synthetic=manifest.synthetic,
            config=data.config,
            files=dict(data.files),
        ),
        split=data.split,
        predictions_sha256=predictions.sha256,
        n_samples=items.n,
        n_scored=int(arrays.answered.sum()),
        n_missing=predictions.n_missing,
        n_skipped_other_splits=predictions.n_skipped_other_splits,
        n_with_distribution=int(arrays.has_distribution.sum()),
        n_questions=intervals.n_questions,
        missing_ids=predictions.missing_ids,
        metrics={name: float(np.mean(v)) for name, v in values.items()},
        by=by,
        by_attribute=by_attribute,
        intervals=intervals,
        ceiling=None if ceilings is None else ceilings[SUBGROUP],
        ceiling_by_attribute=None
        if ceilings is None
        else {a: ceilings[ATTRIBUTE_PREFIX + a] for a in by_attribute},
        by_overlap=by_overlap,
        n_refused=int(arrays.refused.sum()) if arrays.refused is not None else 0,
        n_answer_not_modal=int(arrays.answer_not_modal.sum()),
        clear=clear,
        n_clear=0 if ceilings is None else int((stability >= CLEAR_STABILITY).sum()),
    )


def _groupings(
    meta: pd.DataFrame, attributes: Sequence[str], by_attribute: Mapping[str, Any]
) -> tuple[dict[str, pd.Series], dict[str, pd.Series]]:
    """The fairness rows' groupings of the samples of ``meta`` (``subgroup``, then
    ``attribute:<name>`` for each of ``by_attribute``) and their two-way blocks
    (:func:`~sgbench.scoring.bootstrap.attribute_blocks`)."""
    groupings = {SUBGROUP: meta["subgroup_id"]}
    groupings.update({ATTRIBUTE_PREFIX + a: meta[a] for a in by_attribute})
    columns = {"stratum": meta["stratum"], **{a: meta[a] for a in attributes}}
    blocks = {ATTRIBUTE_PREFIX + a: attribute_blocks(columns, a) for a in by_attribute}
    return groupings, blocks


def clear_rows(
    values: Mapping[str, FloatArray],
    higher: Mapping[str, bool],
    meta: pd.DataFrame,
    clear: BoolArray,
    groupings: Mapping[str, pd.Series],
    blocks: Mapping[str, pd.Series],
    *,
    n_boot: int,
    seed: int,
    n_permutations: int,
    resample: Resample,
) -> dict[str, dict[str, ClearRow]]:
    """Every fairness row's metric on the samples where ``clear`` (their target is clear,
    :data:`~sgbench.scoring.fairness.CLEAR_STABILITY`): its groups' values, and its noise-aware
    figures, intervals and permutation null drawn as the row's own are (same settings and seed),
    over those samples alone. ``values`` holds the fairness metrics; ``groupings`` and ``blocks``
    are the rows' of every sample (:func:`_groupings`), and rows are keyed as they are."""
    kept = np.flatnonzero(clear)
    sub = meta.iloc[kept].reset_index(drop=True)
    # Groupings and blocks are per sample: the clear samples' are their rows of every sample's
    # (rebuilding the blocks from sub cost a tenth of this function, as much again for meta's).
    sub_groupings = {
        label: keys.iloc[kept].reset_index(drop=True) for label, keys in groupings.items()
    }
    sub_blocks = {label: keys.iloc[kept].reset_index(drop=True) for label, keys in blocks.items()}
    sub_values = {name: np.asarray(v)[kept] for name, v in values.items()}
    intervals = (
        bootstrap_intervals(
            sub_values,
            sub["question_id"],
            sub_groupings,
            list(values),
            units=sub["subgroup_id"],
            n_boot=n_boot,
            seed=seed,
            n_permutations=n_permutations,
            resample=resample,
            blocks=sub_blocks,
        )
        if len(kept)
        else None
    )
    rows: dict[str, dict[str, ClearRow]] = {}
    for label, keys in groupings.items():
        in_group = keys.notna().to_numpy()
        sub_keys = sub_groupings[label]
        n_clear = int(sub_keys.notna().sum())
        rows[label] = {}
        for name, v in sub_values.items():
            result = (
                grouped(v, sub_keys, metric=name, higher_is_better=higher[name])
                if n_clear
                else None
            )
            spread_ = None if intervals is None else intervals.spreads.get(label, {}).get(name)
            rows[label][name] = ClearRow(
                result=result, spread=spread_, n_samples=n_clear, n_all=int(in_group.sum())
            )
    return rows


SCORE_REPORT: Final = report_kind(
    "a JSON report of sgbench score", "dataset", "split", "predictions_sha256"
)
"""What :func:`write_report` replaces: a report of ``score`` (its first keys, ``sgbench_version``,
``dataset``, ``split`` then ``predictions_sha256``, fixed by :meth:`ScoreReport.to_dict`; a
``stats.json`` or ``leaderboard.json`` opens with the first two too), or an empty file."""


@public
@writes(path="--json")
def write_report(report: ScoreReport, path: PathArg) -> None:
    """Write ``report.to_json()`` to ``path`` atomically (a temporary file, then a rename),
    replacing only an earlier score report (:data:`SCORE_REPORT`).

    Raises:
        InputError: the file cannot be written, is not a score report, or is (or lies in, or
            holds) what the report was read from, the predictions file or the dataset folder
            (:func:`~sgbench.files.writes`, as ``sgbench score --json`` refuses it).
    """
    write_atomic(path, report.to_json(), kind=SCORE_REPORT, what="report")


CONSISTENT_METRICS: Final = ("accuracy", "nmae")
"""The metrics whose overall value and subgroup spread a report's own ``by_subgroup`` rows
determine (:func:`figures_problem`): the figures the paper's table compares."""
_TOLERANCE: Final = 1e-9
"""Relative tolerance of a recomputed figure: sums taken in another order than the scorer's."""


MAX_COUNT: Final = 2**53
"""Above every sample count a report can hold (:func:`figures_problem`): counts below it are
exact as floats, and a count edited to ``10**400`` no longer crashed the weighted mean
(``OverflowError: int too large to convert to float``, a traceback)."""


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _shown(value: Any) -> str:
    """``value`` as the refusal names it: its ``repr``, bounded; an integer beyond any count is
    described by its length instead (Python refuses ``repr`` beyond 4300 digits)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**20:
        try:
            return f"an integer of {len(str(abs(value)))} digits"
        except ValueError:
            return "an integer of more than 4300 digits"
    return bounded(repr(value))


def _rate(value: Any) -> bool:
    """A figure of a subgroup row: a finite number from 0 to 1, as every metric is."""
    return _number(value) and 0 <= value <= 1


def figures_problem(report: Mapping[str, Any]) -> str | None:
    """Why a score report's figures disagree with its own rows (None when they agree): the one
    check of a report read back (``sgbench paper-table``). Each row's ``n`` must be a count
    (an integer from 1 to below :data:`MAX_COUNT`) and its ``M`` a number from 0 to 1 (not
    NaN, infinite, a string or a boolean) before any arithmetic on them.

    Every sample is one subgroup's, so ``metrics.M`` is the mean of the ``by_subgroup`` rows'
    ``M`` weighted by their ``n`` (which sum to ``n_samples``), and
    ``fairness.subgroup.M.norm_range`` is their :func:`~sgbench.scoring.grouped.spread`, for
    ``M`` in :data:`CONSISTENT_METRICS`. A figure edited by hand (``metrics.accuracy`` from 0.59
    to 0.95) no longer agrees and is named. What this cannot see: rows edited to agree with the
    edited figures, or a report of other predictions under this model's name; only scoring the
    predictions again (``predictions_sha256`` and ``dataset.files`` name the files) proves them.
    """
    rows = report.get("by_subgroup")
    if not isinstance(rows, Mapping) or not rows:
        return "has no by_subgroup rows to check its figures by"
    groups = {group: bounded(one_line(str(group))) for group in rows}
    counts: list[int] = []
    for group, row in rows.items():
        n = row.get("n") if isinstance(row, Mapping) else None
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n < MAX_COUNT:
            return f"by_subgroup.{groups[group]}.n is {_shown(n)}, not a count below 2**53"
        counts.append(n)
    if report.get("n_samples") != sum(counts):
        return (
            f"n_samples is {_shown(report.get('n_samples'))}, but its by_subgroup rows "
            f"hold {sum(counts)} samples"
        )
    metrics = report.get("metrics")
    fairness = report.get("fairness")
    subgroup = fairness.get(SUBGROUP) if isinstance(fairness, Mapping) else None
    weights = np.asarray(counts, dtype=np.float64)
    for name in CONSISTENT_METRICS:
        values = [row.get(name) for row in rows.values()]
        for group, value in zip(rows, values, strict=True):
            if not _rate(value):
                return (
                    f"by_subgroup.{groups[group]}.{name} is {_shown(value)}, not a number from 0 "
                    "to 1"
                )
        array = np.asarray(values, dtype=np.float64)
        checks: list[tuple[str, Any, float | None]] = [
            (
                f"metrics.{name}",
                metrics.get(name) if isinstance(metrics, Mapping) else None,
                float(np.dot(weights, array) / weights.sum()),
            )
        ]
        entry = subgroup.get(name) if isinstance(subgroup, Mapping) else None
        if isinstance(entry, Mapping) and "norm_range" in entry:
            norm_range = float(spread(array)["norm_range"])  # NaN below two subgroups: null
            want = None if math.isnan(norm_range) else norm_range
            checks.append((f"fairness.subgroup.{name}.norm_range", entry["norm_range"], want))
        for where, got, want in checks:
            if want is None:
                same = got is None
            else:
                same = _number(got) and math.isclose(
                    float(got), want, rel_tol=_TOLERANCE, abs_tol=_TOLERANCE
                )
            if not same:
                shown = "null" if want is None else f"{want:.6g}"
                return f"{where} is {_shown(got)}, but its by_subgroup rows give {shown}"
    return None
