"""Boundary entries of the scoring family's public API: sgbench.scoring, sgbench.baselines,
sgbench.stats (tests/api_boundary.py says what an entry is).

ENTRIES: one :class:`~api_boundary.Entry` per public callable. NOT_CALLED: every other public
name of these packages (``module.name`` → why it is not called: a constant, a result class
only sgbench constructs, an exception class).

Files are the hand-worked dataset of tests/scoring_fixtures.py (nine test_ood samples, one train
sample), written afresh in each case's folder. The statistical helpers get arrays of
:data:`N_QUESTIONS` questions, enough for real intervals (``MIN_QUESTIONS``), with the fewest
replicates (``MIN_REPLICATES``): each case stays well under a second.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from api_boundary import CONFIG_NAMES, DATASET_REFS, SPLIT_NAMES, Entry, PathCase
from scoring_fixtures import (
    HAND_PREDICTIONS,
    RANDOM_SUBGROUPS,
    hand_id,
    random_predictions,
    random_rows,
    write_dataset,
    write_hand_dataset,
    write_jsonl,
)

from sgbench.baselines import BaselinePredictions, run_baseline, run_baselines
from sgbench.scoring import (
    Breakdown,
    GroupedResult,
    Intervals,
    ParseResult,
    Predictions,
    ScoreReport,
    ScoringData,
    bootstrap_intervals,
    breakdown,
    grouped,
    holm,
    load_scoring_data,
    paired_difference_intervals,
    parse_responses,
    read_predictions,
    score,
    score_predictions,
    sign_flip_p_values,
    write_report,
)
from sgbench.scoring.bootstrap import MAX_BOOT, MIN_QUESTIONS, MIN_REPLICATES
from sgbench.stats import StatsOutput, StatsReport, compute_stats, write_stats

N_QUESTIONS = MIN_QUESTIONS
N_UNITS = 3
N_SAMPLES = N_QUESTIONS * N_UNITS

# --- valid calls ---------------------------------------------------------------------------------


def _hand_files(folder: Path) -> tuple[Path, Path]:
    """The hand-worked dataset and its predictions, in ``folder``."""
    return write_hand_dataset(folder / "ds"), write_jsonl(folder / "p.jsonl", HAND_PREDICTIONS)


def _sized_files(folder: Path) -> tuple[Path, Path]:
    """A test_ood split of :data:`N_QUESTIONS` questions × :data:`N_UNITS` subgroups (enough for
    intervals) and predictions for most of its samples, in ``folder``."""
    rows = random_rows(N_QUESTIONS, RANDOM_SUBGROUPS[: N_UNITS + 1], seed=3)
    # One subgroup of each question trains (the rows come question by question).
    train = rows[N_UNITS :: N_UNITS + 1]
    test = [row for i, row in enumerate(rows) if i % (N_UNITS + 1) != N_UNITS]
    dataset = write_dataset(folder / "ds", {"test_ood": test, "train": train})
    return dataset, write_jsonl(folder / "p.jsonl", random_predictions(test, seed=5))


def _sized_score(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    dataset, predictions = _sized_files(folder)
    return {
        "predictions_path": predictions,
        "dataset_dir": dataset,
        "n_boot": MIN_REPLICATES,
        "n_permutations": 40,
    }


def _hand_data(folder: Path) -> tuple[ScoringData, Predictions]:
    dataset, path = _hand_files(folder)
    data = load_scoring_data(dataset, "default", "test_ood")
    return data, read_predictions(path, data)


def _score(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    dataset, path = _sized_files(folder)
    data = load_scoring_data(dataset, "default", "test_ood")
    predictions = read_predictions(path, data)
    return {
        "data": data,
        "predictions": predictions,
        "n_boot": MIN_REPLICATES,
        "seed": 0,
        "n_permutations": 40,
        "resample": "questions",
    }


def _load(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"dataset": write_hand_dataset(folder / "ds"), "config": "default", "split": "test_ood"}


def _read(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    dataset, path = _hand_files(folder)
    return {
        "path": path,
        "data": load_scoring_data(dataset, "default", "test_ood"),
        "strict": False,
    }


def _write_report(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    data, predictions = _hand_data(folder)
    report = score(data, predictions, n_boot=0, n_permutations=0)
    return {"report": report, "path": folder / "report.json"}


def _parse(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    dataset = write_hand_dataset(folder / "ds")
    replies = [
        {"id": hand_id("Q1", 1), "response": "Answer: 3"},
        {"id": hand_id("Q2", 1), "response": "Green"},
        {"id": hand_id("Q3", 1), "response": "no idea"},
    ]
    return {"path": write_jsonl(folder / "r.jsonl", replies), "dataset_dir": dataset}


def _per_sample() -> tuple[dict[str, Any], list[str], list[str]]:
    """Per-sample metric values, questions and units (subgroups) of a split of
    :data:`N_QUESTIONS` × :data:`N_UNITS` samples."""
    rng = np.random.default_rng(7)
    values = {
        "accuracy": rng.integers(0, 2, N_SAMPLES).astype(np.float64),
        "nmae": rng.random(N_SAMPLES),
    }
    questions = [f"Q{q}" for q in range(N_QUESTIONS) for _ in range(N_UNITS)]
    units = [f"s{u}" for _ in range(N_QUESTIONS) for u in range(N_UNITS)]
    return values, questions, units


def _grouped(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    values, _, units = _per_sample()
    return {
        "values": values["nmae"],
        "keys": units,
        "metric": "nmae",
        "higher_is_better": False,
    }


def _breakdown(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    values, _, units = _per_sample()
    return {
        "by": "subgroup",
        "keys": units,
        "values": values,
        "higher_is_better": {"accuracy": True, "nmae": False},
        "missing": np.arange(N_SAMPLES) % 5 == 0,
    }


def _bootstrap(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    values, questions, units = _per_sample()
    return {
        "values": values,
        "questions": questions,
        "groupings": {"subgroup": units},
        "fairness_metrics": ["accuracy"],
        "units": units,
        "n_boot": MIN_REPLICATES,
        "seed": 0,
        "n_permutations": 40,
        "resample": "questions",
    }


def _entries_matrix() -> tuple[np.ndarray[Any, np.dtype[np.float64]], list[str], list[str]]:
    """Three entries' per-sample values on one split (row 0 the best), questions and units."""
    values, questions, units = _per_sample()
    base = values["accuracy"]
    matrix = np.stack([base, base * 0.5, np.zeros_like(base)])
    return matrix, questions, units


def _paired_intervals(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    matrix, questions, units = _entries_matrix()
    return {
        "values": matrix,
        "questions": questions,
        "reference": 0,
        "n_boot": MIN_REPLICATES,
        "seed": 0,
        "units": units,
        "resample": "questions+subgroups",
    }


def _sign_flip(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    matrix, questions, _ = _entries_matrix()
    return {
        "values": matrix,
        "questions": questions,
        "reference": 0,
        "n_permutations": 40,
        "seed": 0,
    }


def _holm(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"p_values": [0.01, 0.04, math.nan, 0.03]}


def _baseline(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {
        "name": "nearest",
        "dataset": write_hand_dataset(folder / "ds"),
        "config": "default",
        "split": "test_ood",
        "seed": 0,
    }


def _baselines(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {
        "names": ["random", "majority"],
        "dataset": write_hand_dataset(folder / "ds"),
        "config": "default",
        "splits": ["test_ood"],
        "seed": 0,
    }


def _stats(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"dataset": write_hand_dataset(folder / "ds"), "config": "default", "top": 2}


def _write_stats(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    report = compute_stats(write_hand_dataset(folder / "ds"), top=2)
    return {"report": report, "out_dir": folder / "stats", "chart_format": "svg"}


# --- what a returned result must satisfy ---------------------------------------------------------


def _finite(values: Iterable[float | None]) -> bool:
    return all(value is None or math.isfinite(value) for value in values)


def _finite_report(report: ScoreReport) -> bool:
    """Every headline metric a number or None (no score), never NaN or infinite, and every
    figure of the JSON report a number or null (``to_json`` refuses NaN); the intervals drawn."""
    figures = json.loads(report.to_json())
    drawn = report.intervals.n_boot == 0 or all(figures["ci"].values())
    return _finite(figures["metrics"].values()) and drawn


def _finite_group(result: GroupedResult) -> bool:
    return _finite((result.overall, *result.values)) and sum(result.counts) <= N_SAMPLES


def _finite_breakdown(result: Breakdown) -> bool:
    return all(_finite_group(one) for one in result.results.values())


def _finite_intervals(result: Intervals) -> bool:
    """Every interval finite and ordered; every spread figure finite or NaN only with one group."""
    intervals = [*result.metrics.values()]
    for by_metric in result.groups.values():
        for by_group in by_metric.values():
            intervals += by_group.values()
    return all(_finite(pair) and pair[0] <= pair[1] for pair in intervals)


def _difference_intervals(result: np.ndarray[Any, np.dtype[np.float64]]) -> bool:
    """``(E, 2)``, all finite and ordered, or all NaN (no bootstrap asked for)."""
    if result.ndim != 2 or result.shape[1] != 2:
        return False
    return bool(np.isnan(result).all()) or bool(
        np.isfinite(result).all() and (result[:, 0] <= result[:, 1]).all()
    )


def _p_values(result: np.ndarray[Any, np.dtype[np.float64]]) -> bool:
    """Each p-value in (0, 1], or all NaN (no permutation asked for)."""
    return bool(np.isnan(result).all()) or bool(((result > 0) & (result <= 1)).all())


def _adjusted(result: np.ndarray[Any, np.dtype[np.float64]]) -> bool:
    tested = result[~np.isnan(result)]
    return bool(((tested >= 0) & (tested <= 1)).all())


def _predictions(results: BaselinePredictions | list[BaselinePredictions]) -> bool:
    """Every prediction one per sample, and at most as many predicted as there are samples."""
    many = results if isinstance(results, list) else [results]
    return all(
        len(one.answers) == len(one.ids) == len(one.predicted) and one.n_predicted <= len(one.ids)
        for one in many
    )


def _stats_json(report: StatsReport) -> bool:
    """The report holds no NaN or infinite figure (``to_json`` refuses them: null is undefined)."""
    counts = json.loads(report.to_json())["counts"]
    return all(isinstance(n, int) and n >= 0 for n in counts.values())


def _written(output: StatsOutput) -> bool:
    return all(path.is_file() for path in output.paths)


def _parsed(result: ParseResult) -> bool:
    return len(result.predictions) + len(result.unparsed_ids) + len(result.refused) <= (
        result.n_lines
    )


# --- values the kinds miss -----------------------------------------------------------------------


def _in(*parts: str) -> PathCase:
    """A path in the case's folder (``..`` allowed)."""
    return PathCase(lambda folder, valid: folder.joinpath(*parts))


def _lines(name: str, *lines: str) -> PathCase:
    """A file of ``lines`` written verbatim in the case's folder."""

    def make(folder: Path, valid: dict[str, Any]) -> Path:
        path = folder / name
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        return path

    return PathCase(make)


def _other_split(folder: Path, valid: dict[str, Any]) -> ScoringData:
    return load_scoring_data(folder / "ds", "default", "train")


def _read_for_train(folder: Path, valid: dict[str, Any]) -> Predictions:
    return read_predictions(folder / "p.jsonl", _other_split(folder, valid))


Q1 = hand_id("Q1", 1)
CONFIGS = CONFIG_NAMES
SPLITS = (*SPLIT_NAMES, ("empty-split", "validation"))
DATASETS = (*DATASET_REFS, ("dotdot", _in("x", "..", "ds")))
BOOTS = (("below-minimum", MIN_REPLICATES - 1), ("huge", 10**9))
HUGE_DRAWS = (("huge", 10**9),)
FLAT = np.zeros(N_SAMPLES)
VALUES = (
    ("nan-value", np.where(np.arange(N_SAMPLES) == 3, math.nan, 0.5)),
    ("inf-value", np.full(N_SAMPLES, math.inf)),
    ("short", FLAT[:-1]),
    ("table", np.zeros((2, 2, N_SAMPLES))),
    ("texts", np.array(["a"] * N_SAMPLES)),
    ("empty", np.zeros(0)),
    ("series", pd.Series(np.linspace(0, 1, N_SAMPLES))),
    ("list", [0.5] * N_SAMPLES),
    ("1e308", np.full(N_SAMPLES, 1e308)),
    ("-1e308", np.where(np.arange(N_SAMPLES) % 2 == 0, 1e308, -1e308)),
)
KEYS = (
    ("short", [f"s{i % N_UNITS}" for i in range(N_SAMPLES - 1)]),
    ("mixed-kinds", [i % 2 if i % 3 else str(i % 2) for i in range(N_SAMPLES)]),
    ("table", [[i, i] for i in range(N_SAMPLES)]),
    ("all-null", [None] * N_SAMPLES),
)
MISSING = (
    ("nan-flag", np.full(N_SAMPLES, math.nan)),
    ("two", np.full(N_SAMPLES, 2)),
    ("texts", ["yes"] * N_SAMPLES),
    ("short", np.zeros(N_SAMPLES - 1, dtype=bool)),
)
SAMPLE_KEYS = (
    ("null-key", [None, *[f"Q{i}" for i in range(N_SAMPLES - 1)]]),
    ("short", [f"Q{i}" for i in range(N_SAMPLES - 1)]),
    ("table", [[i, i] for i in range(N_SAMPLES)]),
)
MATRICES = (
    ("nan-value", np.where(np.arange(N_SAMPLES) == 3, math.nan, np.ones((2, N_SAMPLES)))),
    ("one-row", np.ones(N_SAMPLES)),
    ("short", np.ones((2, N_SAMPLES - 1))),
    ("cube", np.ones((2, 2, N_SAMPLES))),
    ("texts", np.array([["a"] * N_SAMPLES])),
    ("ragged", np.array([np.ones(2), np.ones(3)], dtype=object)),
    ("1e308", np.stack([np.full(N_SAMPLES, 1e308), np.full(N_SAMPLES, -1e308)])),
    (
        "1e308-mixed",
        np.stack([np.where(np.arange(N_SAMPLES) % 2 == 0, 1e308, -1e308), np.zeros(N_SAMPLES)]),
    ),
)
REFERENCES = (("past-the-rows", 3), ("numpy-int", np.int64(1)))
_, _QUESTIONS, _UNITS = _per_sample()
SPLIT_UNIT = [f"g{i % 2}" for i in range(N_SAMPLES)]
"""A grouping that puts the samples of one unit (subgroup) in two groups."""


ENTRIES: list[Entry] = [
    Entry(
        "sgbench.scoring.score_predictions",
        score_predictions,
        _sized_score,
        inputs=("predictions_path", "dataset_dir"),
        result_ok=_finite_report,
        extra={
            "config": CONFIGS,
            "split": SPLITS,
            "dataset_dir": DATASETS,
            "n_boot": BOOTS,
            "n_permutations": HUGE_DRAWS,
            "predictions_path": (
                ("dotdot", _in("ds", "..", "p.jsonl")),
                ("nan-answer", _lines("n.jsonl", f'{{"id": "{Q1}", "answer": NaN}}')),
            ),
        },
    ),
    Entry(
        "sgbench.scoring.score",
        score,
        _score,
        result_ok=_finite_report,
        extra={
            "data": (("other-split", PathCase(_other_split)),),
            "predictions": (("read-for-other-split", PathCase(_read_for_train)),),
            "n_boot": BOOTS,
            "n_permutations": HUGE_DRAWS,
        },
    ),
    Entry(
        "sgbench.scoring.load_scoring_data",
        load_scoring_data,
        _load,
        inputs=("dataset",),
        extra={"config": CONFIGS, "split": SPLITS, "dataset": DATASETS},
    ),
    Entry(
        "sgbench.scoring.read_predictions",
        read_predictions,
        _read,
        inputs=("path",),
        extra={
            "path": (
                (
                    "nan-share",
                    _lines(
                        "n.jsonl", f'{{"id": "{Q1}", "answer": 1, "distribution": {{"1": NaN}}}}'
                    ),
                ),
                ("huge-code", _lines("h.jsonl", f'{{"id": "{Q1}", "answer": {10**30}}}')),
            )
        },
    ),
    Entry(
        "sgbench.scoring.write_report",
        write_report,
        _write_report,
        outputs=("path",),
        extra={
            "path": (
                ("foreign-manifest", _in("ds", "manifest.json")),
                ("in-missing-folder", _in("nope", "r.json")),
                ("dotdot", _in("ds", "..", "r.json")),
            )
        },
    ),
    Entry(
        "sgbench.scoring.parse_responses",
        parse_responses,
        _parse,
        inputs=("path", "dataset_dir"),
        result_ok=_parsed,
        extra={
            "config": CONFIGS,
            "dataset_dir": DATASETS,
            "path": (
                ("not-text", _lines("r.jsonl", f'{{"id": "{Q1}", "response": 3}}')),
                (
                    "nan-share",
                    _lines(
                        "d.jsonl",
                        f'{{"id": "{Q1}", "response": "1", "distribution": {{"1": NaN}}}}',
                    ),
                ),
            ),
        },
    ),
    Entry(
        "sgbench.scoring.grouped",
        grouped,
        _grouped,
        result_ok=_finite_group,
        extra={"values": VALUES, "keys": KEYS},
    ),
    Entry(
        "sgbench.scoring.breakdown",
        breakdown,
        _breakdown,
        result_ok=_finite_breakdown,
        extra={
            "values": tuple((label, {"accuracy": v}) for label, v in VALUES),
            "keys": KEYS,
            "missing": MISSING,
            "higher_is_better": (("lacks-a-metric", {"accuracy": True}),),
        },
    ),
    Entry(
        "sgbench.scoring.bootstrap_intervals",
        bootstrap_intervals,
        _bootstrap,
        result_ok=_finite_intervals,
        extra={
            "values": tuple((label, {"accuracy": v}) for label, v in VALUES),
            "questions": (*SAMPLE_KEYS, ("numpy-array", np.array(_QUESTIONS))),
            "units": SAMPLE_KEYS,
            "groupings": (("splits-a-unit", {"g": SPLIT_UNIT}), ("short", {"g": _UNITS[:-1]})),
            "fairness_metrics": (("not-a-value", ["wasserstein"]),),
            "n_boot": (*BOOTS, ("most", MAX_BOOT)),
            "n_permutations": HUGE_DRAWS,
        },
    ),
    Entry(
        "sgbench.scoring.paired_difference_intervals",
        paired_difference_intervals,
        _paired_intervals,
        result_ok=_difference_intervals,
        extra={
            "values": MATRICES,
            "questions": SAMPLE_KEYS,
            "units": SAMPLE_KEYS,
            "reference": REFERENCES,
            "n_boot": (*BOOTS, ("most", MAX_BOOT)),
        },
    ),
    Entry(
        "sgbench.scoring.sign_flip_p_values",
        sign_flip_p_values,
        _sign_flip,
        result_ok=_p_values,
        extra={
            "values": MATRICES,
            "questions": SAMPLE_KEYS,
            "reference": REFERENCES,
            "n_permutations": HUGE_DRAWS,
        },
    ),
    Entry(
        "sgbench.scoring.holm",
        holm,
        _holm,
        result_ok=_adjusted,
        extra={
            "p_values": (
                ("above-one", [2.0]),
                ("negative", [-0.1]),
                ("inf", [math.inf]),
                ("table", [[0.1]]),
                ("texts", ["a"]),
                ("array", np.array([0.5, 0.01])),
            )
        },
    ),
    Entry(
        "sgbench.baselines.run_baseline",
        run_baseline,
        _baseline,
        inputs=("dataset",),
        result_ok=_predictions,
        extra={
            "name": (("unknown", "nope"),),
            "config": CONFIGS,
            "split": (*SPLITS, ("train", "train")),
            "dataset": DATASETS,
        },
    ),
    Entry(
        "sgbench.baselines.run_baselines",
        run_baselines,
        _baselines,
        inputs=("dataset",),
        result_ok=_predictions,
        extra={
            "names": (("unknown", ["nope"]), ("twice", ["random", "random"])),
            "splits": (
                ("train", ["train"]),
                ("twice", ["test_ood", "test_ood"]),
                ("empty-split", ["validation"]),
            ),
            "config": CONFIGS,
            "dataset": DATASETS,
        },
    ),
    Entry(
        "sgbench.stats.compute_stats",
        compute_stats,
        _stats,
        inputs=("dataset",),
        result_ok=_stats_json,
        extra={"config": CONFIGS, "dataset": DATASETS},
    ),
    Entry(
        "sgbench.stats.write_stats",
        write_stats,
        _write_stats,
        outputs=("out_dir",),
        result_ok=_written,
        extra={
            "out_dir": (
                ("foreign-dataset", _in("ds")),
                ("in-missing-folder", _in("nope", "stats")),
                ("dotdot", _in("ds", "..", "s")),
            )
        },
    ),
]
NOT_CALLED: dict[str, str] = {
    "sgbench.scoring.METRICS": "a constant: metric name → definition",
    "sgbench.scoring.Breakdown": "a result class: breakdown() makes it",
    "sgbench.scoring.GroupedResult": "a result class: grouped() and breakdown() make it",
    "sgbench.scoring.Intervals": "a result class: bootstrap_intervals() makes it",
    "sgbench.scoring.ParseResult": "a result class: parse_responses() makes it",
    "sgbench.scoring.Predictions": "a result class: read_predictions() makes it",
    "sgbench.scoring.PredictionsError": "an exception class",
    "sgbench.scoring.ScoreReport": "a result class: score() and score_predictions() make it",
    "sgbench.scoring.ScoringData": "a result class: load_scoring_data() makes it",
    "sgbench.scoring.Worst": "a result class: GroupedResult.worst() makes it",
    "sgbench.baselines.BASELINES": "a constant: the baselines' names",
    "sgbench.baselines.DESCRIPTIONS": "a constant: one line per baseline",
    "sgbench.baselines.BaselineName": "a type: the Literal of the baselines' names",
    "sgbench.baselines.BaselinePredictions": "a result class: run_baseline(s)() makes it",
    "sgbench.stats.StatsOutput": "a result class: write_stats() makes it",
    "sgbench.stats.StatsReport": "a result class: compute_stats() makes it",
}
