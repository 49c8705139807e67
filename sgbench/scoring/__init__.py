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

The public API is ``__all__``: scoring a file (:func:`score_predictions`, :func:`write_report`),
scoring what is already read (:func:`load_scoring_data`, :func:`read_predictions`,
:func:`score`), parsing raw replies (:func:`parse_responses`), and the statistics a notebook may
apply to per-sample arrays of its own (:func:`grouped`, :func:`breakdown`,
:func:`bootstrap_intervals`, :func:`paired_difference_intervals`, :func:`sign_flip_p_values`,
:func:`holm`; their arrays are checked by :mod:`sgbench.scoring.samples`).
"""

from __future__ import annotations

from sgbench.scoring.bootstrap import Intervals, bootstrap_intervals, paired_difference_intervals
from sgbench.scoring.data import ScoringData, load_scoring_data
from sgbench.scoring.grouped import Breakdown, GroupedResult, Worst, breakdown, grouped
from sgbench.scoring.metrics import METRICS
from sgbench.scoring.paired import holm, sign_flip_p_values
from sgbench.scoring.parse import ParseResult, parse_responses
from sgbench.scoring.predictions import Predictions, PredictionsError, read_predictions
from sgbench.scoring.report import ScoreReport, score, score_predictions, write_report

__all__ = [
    "METRICS",
    "Breakdown",
    "GroupedResult",
    "Intervals",
    "ParseResult",
    "Predictions",
    "PredictionsError",
    "ScoreReport",
    "ScoringData",
    "Worst",
    "bootstrap_intervals",
    "breakdown",
    "grouped",
    "holm",
    "load_scoring_data",
    "paired_difference_intervals",
    "parse_responses",
    "read_predictions",
    "score",
    "score_predictions",
    "sign_flip_p_values",
    "write_report",
]
