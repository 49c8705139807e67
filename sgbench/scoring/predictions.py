"""Read a predictions file (JSON Lines) and check it against the dataset.

One line per prediction, ``{"id": ..., "answer": <option code>}``, optionally ``"distribution"``
(``{"<code>": probability}``) and ``"response"`` (raw model text, ignored); the shape is the
packaged schema ``sgbench/schema/predictions.schema.json``. A UTF-8 byte-order mark, CRLF line
ends and blank lines are accepted.

Every problem in the file is collected (up to :data:`MAX_PROBLEMS`) and raised together as one
:class:`PredictionsError`, one problem per line of its message, each ``FILE: line N: ...``.
Predictions for samples of the config's other splits are skipped and counted; samples of the
scored split without a prediction are *missing* (they score as wrong; ``strict`` refuses them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

from sgbench.errors import InputError
from sgbench.jsonl import Line, distinct_ids, json_values, read_lines
from sgbench.schema import schema_problems, validator
from sgbench.scoring.data import (
    DISTRIBUTION_TOLERANCE,
    BoolArray,
    FloatArray,
    IntArray,
    ScoringData,
)

MAX_PROBLEMS: Final = 50
"""At most this many problems are listed; the rest are counted."""

ALLOWED_KEYS: Final = frozenset({"id", "answer", "distribution", "response"})
_CODE_KEY: Final = re.compile(r"-?[0-9]+")
_CODE_MIN: Final = -(2**31)
_CODE_MAX: Final = 2**31 - 1
"""Option codes are int32 in the dataset; anything outside cannot be an option."""


class PredictionsError(InputError):
    """A predictions (or responses) file has problems; the message lists them, one per line."""

    def __init__(self, path: str, problems: Sequence[tuple[int, str]]) -> None:
        self.path = path
        self.problems: tuple[tuple[int, str], ...] = tuple(sorted(problems, key=lambda p: p[0]))
        shown = [f"{path}: line {line}: {message}" for line, message in self.problems]
        lines = shown[:MAX_PROBLEMS]
        if len(shown) > MAX_PROBLEMS:
            lines.append(
                f"{path}: {len(shown) - MAX_PROBLEMS} more problem(s) not shown "
                f"(first {MAX_PROBLEMS} listed)"
            )
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class PredictionArrays:
    """Predictions aligned with the rows of :class:`~sgbench.scoring.data.ItemArrays`."""

    answered: BoolArray
    """``(N,)`` True where the sample has a prediction."""
    position: IntArray
    """``(N,)`` scale position of the predicted answer (index into the options); -1 if missing."""
    distribution: FloatArray
    """``(N, K_max)`` predicted distribution over positions: the given one (divided by its sum),
    else a point mass at the answer; all zero where missing."""
    has_distribution: BoolArray
    """``(N,)`` True where the line carried a ``distribution``."""


@dataclass(frozen=True)
class Predictions:
    """A checked predictions file."""

    arrays: PredictionArrays
    n_lines: int
    """Non-blank lines read."""
    n_skipped_other_splits: int
    """Lines whose id belongs to another split of the config (not scored)."""
    missing_ids: tuple[str, ...]
    """Samples of the scored split with no prediction, in dataset order."""
    sha256: str
    """Hex sha256 of the file's bytes."""

    @property
    def n_missing(self) -> int:
        """Samples of the scored split with no prediction."""
        return len(self.missing_ids)


def _plainly_valid(obj: Any) -> bool:
    """A fast check that implies schema validity (the schema validator runs when this is False).

    Only an optimisation: on 20k lines the full validator costs ~0.25 s. A test checks that every
    object accepted here is accepted by the schema.
    """
    if type(obj) is not dict or not obj.keys() <= ALLOWED_KEYS:
        return False
    sample_id, answer = obj.get("id"), obj.get("answer")
    if type(sample_id) is not str or not sample_id or type(answer) is not int:
        return False
    if "response" in obj and type(obj["response"]) is not str:
        return False
    if "distribution" in obj:
        dist = obj["distribution"]
        if type(dist) is not dict or not dist:
            return False
        for key, value in dist.items():
            if type(value) not in (int, float) or value < 0 or not _CODE_KEY.fullmatch(key):
                return False
    return True


def prediction_lines(
    lines: Iterable[Line], problems: list[Line]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """The lines of a predictions file that are valid against the predictions schema, no id
    twice (the checks that need no dataset).

    Every other line goes to ``problems`` (:mod:`sgbench.jsonl`): not valid JSON, one
    ``JSON_PATH: message`` per schema error (sorted), or ``duplicate id 'X' (first on line N)``.
    """
    schema = validator("predictions")

    def valid(values: Iterable[tuple[int, Any]]) -> Iterator[tuple[int, dict[str, Any]]]:
        for number, obj in values:
            if not _plainly_valid(obj):
                errors = schema_problems(schema, obj)
                if errors:
                    problems.extend((number, error) for error in errors)
                    continue
            yield number, obj

    return distinct_ids(valid(json_values(lines, problems)), problems)


def _fits_code(text: str) -> bool:
    """Whether an integer written as ``text`` is in int32 range (option codes are int32)."""
    return len(text) <= 11 and _CODE_MIN <= int(text) <= _CODE_MAX


def _options_text(codes: IntArray) -> str:
    return ", ".join(str(int(c)) for c in codes)


def read_predictions(path: str | Path, data: ScoringData, *, strict: bool = False) -> Predictions:
    """Read and check a predictions file against the dataset; see the module docstring.

    Checks, each reported as ``FILE: line N: ...``: valid UTF-8; valid JSON (``NaN`` and
    ``Infinity`` refused); the schema (an object with a string ``id`` and an integer ``answer`` —
    ``3.0`` and ``true`` are not integers — and no other keys than ``distribution`` and
    ``response``); the id is a sample of the config; no id twice; for the scored split, the answer
    is one of the item's option codes, and a distribution's codes are options, its probabilities
    non-negative and their sum 1 within 1e-6. Lines for other splits are checked against the
    schema and for duplicates only.

    Raises:
        PredictionsError: the file has problems (every one listed, up to :data:`MAX_PROBLEMS`).
        InputError: the file is missing, unreadable or empty; or ``strict`` and some sample of
            the split has no prediction.
    """
    name = str(path)
    lines, problems, sha256 = read_lines(path)
    items = data.items

    rec_line: list[int] = []
    rec_row: list[int] = []
    rec_answer: list[int] = []
    dist_rec: list[int] = []
    dist_code: list[int] = []
    dist_prob: list[float] = []
    skipped = 0
    for number, obj in prediction_lines(lines, problems):
        sample_id: str = obj["id"]
        row = data.index.get(sample_id)
        if row is None:
            if sample_id in data.other_splits:
                skipped += 1
            else:
                problems.append(
                    (number, f"unknown id {sample_id!r}: in no split of config {data.config!r}")
                )
            continue
        codes = [str(obj["answer"]), *obj.get("distribution", {})]
        outside = [c for c in codes if not _fits_code(c)]
        if outside:
            options = _options_text(items.codes[row, : items.k[row]])
            problems.append(
                (
                    number,
                    f"code {outside[0]} is not an option of {sample_id!r} (options: {options})",
                )
            )
            continue
        record = len(rec_line)
        rec_line.append(number)
        rec_row.append(row)
        rec_answer.append(obj["answer"])
        for key, value in obj.get("distribution", {}).items():
            dist_rec.append(record)
            dist_code.append(int(key))
            dist_prob.append(float(value))

    lines_ = np.asarray(rec_line, dtype=np.int64)
    rows = np.asarray(rec_row, dtype=np.int64)
    answers = np.asarray(rec_answer, dtype=np.int64)
    match = (items.codes[rows] == answers[:, None]) & items.valid[rows]
    for r in np.flatnonzero(~match.any(axis=1)):
        problems.append(
            (
                int(lines_[r]),
                f"answer {int(answers[r])} is not an option of {items.ids[rows[r]]!r} "
                f"(options: {_options_text(items.codes[rows[r], : items.k[rows[r]]])})",
            )
        )

    d_rec = np.asarray(dist_rec, dtype=np.int64)
    d_code = np.asarray(dist_code, dtype=np.int64)
    d_prob = np.asarray(dist_prob, dtype=np.float64)
    d_match = (items.codes[rows[d_rec]] == d_code[:, None]) & items.valid[rows[d_rec]]
    d_known = d_match.any(axis=1)
    for r in np.unique(d_rec[~d_known]):
        bad = d_code[(d_rec == r) & ~d_known]
        problems.append(
            (
                int(lines_[r]),
                f"distribution codes {_options_text(bad)} are not options of "
                f"{items.ids[rows[r]]!r} "
                f"(options: {_options_text(items.codes[rows[r], : items.k[rows[r]]])})",
            )
        )
    has_dist = np.zeros(len(rows), dtype=bool)
    has_dist[d_rec] = True
    totals = np.bincount(d_rec, weights=d_prob, minlength=len(rows))
    off = has_dist & (np.abs(totals - 1.0) > DISTRIBUTION_TOLERANCE)
    for r in np.flatnonzero(off):
        problems.append(
            (int(lines_[r]), f"distribution sums to {totals[r]:.9g}, not 1 (within 1e-6)")
        )
    if problems:
        raise PredictionsError(name, problems)

    n, width = items.n, items.codes.shape[1]
    answered = np.zeros(n, dtype=bool)
    answered[rows] = True
    position = np.full(n, -1, dtype=np.int64)
    position[rows] = match.argmax(axis=1)
    distribution = np.zeros((n, width), dtype=np.float64)
    distribution[rows, position[rows]] = 1.0
    with_dist = rows[has_dist]
    distribution[with_dist] = 0.0
    np.add.at(distribution, (rows[d_rec], d_match.argmax(axis=1)), d_prob)
    distribution[with_dist] /= distribution[with_dist].sum(axis=1, keepdims=True)
    has_distribution = np.zeros(n, dtype=bool)
    has_distribution[with_dist] = True

    missing = tuple(items.ids[i] for i in np.flatnonzero(~answered))
    if strict and missing:
        shown = ", ".join(repr(i) for i in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise InputError(
            f"{name}: {len(missing)} sample(s) of split {data.split!r} have no prediction "
            f"(--strict): {shown}{more}"
        )
    return Predictions(
        arrays=PredictionArrays(
            answered=answered,
            position=position,
            distribution=distribution,
            has_distribution=has_distribution,
        ),
        n_lines=len(lines),
        n_skipped_other_splits=skipped,
        missing_ids=missing,
        sha256=sha256,
    )
