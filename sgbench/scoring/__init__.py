"""Scoring predictions against the dataset: ``sgbench score`` and ``sgbench parse``.

Modules, one stage each: :mod:`~sgbench.scoring.data` (the dataset as arrays),
:mod:`~sgbench.scoring.predictions` (reading and checking a predictions file),
:mod:`~sgbench.scoring.metrics` (per-sample metrics, each defined once),
:mod:`~sgbench.scoring.grouped` (one grouped result with spread figures for any metric),
:mod:`~sgbench.scoring.noise` (noise-aware spread and permutation null on cell aggregates),
:mod:`~sgbench.scoring.bootstrap` (intervals, resampling questions or questions and subgroups),
:mod:`~sgbench.scoring.fairness` (the fairness block of score and judge reports),
:mod:`~sgbench.scoring.paired` (the one-sided paired test behind "≈ leader"),
:mod:`~sgbench.scoring.report` (the report) and :mod:`~sgbench.scoring.parse` (raw model text).
"""

from __future__ import annotations

from sgbench.scoring.grouped import GroupedResult, Worst, grouped
from sgbench.scoring.metrics import METRICS
from sgbench.scoring.parse import ParseResult, parse_responses
from sgbench.scoring.predictions import PredictionsError
from sgbench.scoring.report import ScoreReport, score, score_predictions, write_report

__all__ = [
    "METRICS",
    "GroupedResult",
    "ParseResult",
    "PredictionsError",
    "ScoreReport",
    "Worst",
    "grouped",
    "parse_responses",
    "score",
    "score_predictions",
    "write_report",
]
