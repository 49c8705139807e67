"""Read a predictions file (JSON Lines) and check it against the dataset.

One line per prediction, ``{"id": ..., "answer": <option code>}``, optionally ``"distribution"``
(``{"<code>": probability}``) and ``"response"`` (raw model text, ignored); or, for a sample the
model refused, ``{"id": ..., "refusal": "<text or finish reason>"}`` (missing, and counted as
refused); the shape is the packaged schema ``sgbench/schema/predictions.schema.json``. A UTF-8
byte-order mark, CRLF line ends and blank lines are accepted.

Every problem in the file is collected (up to :data:`MAX_PROBLEMS`) and raised together as one
:class:`PredictionsError`, one problem per line of its message, each ``FILE: line N: ...``.
Predictions for samples of the config's other splits are skipped and counted; samples of the
scored split without a prediction are *missing* (they score as wrong; ``strict`` refuses them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from sgbench.boundary import ArgumentName, PathArg, public
from sgbench.errors import InputError, bounded
from sgbench.files import FromFiles, OutputKind, json_lines_kind, reads
from sgbench.jsonl import (
    BOM,
    SURROGATE_ESCAPE,
    Line,
    SizeBound,
    distinct_ids,
    json_values,
    problem_count,
    read_bytes,
    split_lines,
    too_deep_line,
)
from sgbench.schema import schema_problems, validator
from sgbench.scoring.data import (
    DISTRIBUTION_TOLERANCE,
    BoolArray,
    FloatArray,
    IntArray,
    ScoringData,
)

if TYPE_CHECKING:
    import pyarrow as pa

MAX_PROBLEMS: Final = 50
"""At most this many problems are listed; the rest are counted."""

ALLOWED_KEYS: Final = frozenset({"id", "answer", "distribution", "response"})
"""Keys of an answer line (a refusal line has ``id`` and ``refusal`` only)."""
_CODE_KEY: Final = re.compile(r"0|-?[1-9][0-9]*")
"""A distribution key: an option code written as the integer it is ("01" and "1" would both be
code 1); the schema's ``propertyNames`` pattern says the same."""
_CODE_MIN: Final = -(2**31)
_CODE_MAX: Final = 2**31 - 1
"""Option codes are int32 in the dataset; anything outside cannot be an option."""

COLUMNAR: bool = True
"""Read clean files column-wise (tests switch it off to compare both readers)."""

_BLANK_BYTES: Final = b" \t\r"
_CONTROL_BYTES: Final = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""Bytes JSON allows only escaped; a file holding one raw is left to the strict reader. A regular
expression scans the bytes in place: ``np.isin`` over them widened a copy to 64-bit integers,
and a 600 MB file of NUL bytes (a sparse file in a submission) took 8.7 GB."""


class PredictionsError(InputError):
    """A predictions (or responses) file has problems; the message lists them, one per line."""

    def __init__(self, path: str, problems: Sequence[tuple[int, str]]) -> None:
        self.path = path
        self.problems: tuple[tuple[int, str], ...] = tuple(sorted(problems, key=lambda p: p[0]))
        shown = [
            bounded(f"{path}: line {line}: {message}")
            for line, message in self.problems[:MAX_PROBLEMS]
        ]
        # A streamed file's problems may be counted rather than kept (sgbench.jsonl.Problems).
        total = problem_count(problems)
        lines = shown
        if total > MAX_PROBLEMS:
            lines.append(
                f"{path}: {total - MAX_PROBLEMS} more problem(s) not shown "
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
    refused: BoolArray | None = None
    """``(N,)`` True where the line was a refusal (then ``answered`` is False); None: none."""

    @property
    def answer_not_modal(self) -> BoolArray:
        """``(N,)`` True where the line carried a ``distribution`` that gives its own ``answer``
        less than its largest probability. Accepted (a model may sample its answer and state
        its distribution apart), and each is scored on its own metrics; the score report counts
        them, since a file of such lines had agreed with nothing and said so nowhere."""
        own = np.take_along_axis(self.distribution, self.position.clip(0)[:, None], axis=1)[:, 0]
        modal: BoolArray = own >= self.distribution.max(axis=1, initial=0.0)
        return self.has_distribution & ~modal


@dataclass(frozen=True)
class Predictions(FromFiles):
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
    sample_ids: tuple[str, ...]
    """The ids of the split read against, in the row order :attr:`arrays` follows (what
    :func:`~sgbench.scoring.report.score` checks the data it is given against)."""
    option_codes: IntArray
    """``(N, K_max)`` the option codes of the split read against, in scale order: :attr:`arrays`
    holds option positions, which mean these codes only (what ``score`` checks too)."""

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


RESPONSE_ALLOWANCE: Final = 2048
"""Bytes a predictions line may spend on its optional ``response`` (or ``refusal``) text, on
average over the file (about 500 tokens of English): see :func:`largest_predictions_file`."""
LINE_FRAME_BYTES: Final = 96
"""Bytes of a line besides its id and distribution: ``{"id": "", "answer": -2147483648,
"distribution": {}, "response": ""}`` and a CRLF, with room to spare."""
OPTION_BYTES: Final = 48
"""Bytes of one distribution entry at full precision: ``"-2147483648": 1.2345678901234567e-308,
`` (40) with room to spare."""
UNCHECKED_PREDICTIONS_BYTES: Final = 128 << 20
"""Largest predictions file checked without a dataset (``sgbench validate`` of a submission,
form only): with no sample count there is no bound to derive."""


def largest_predictions_file(data: Sequence[ScoringData] | None) -> SizeBound:
    """The most bytes a predictions file for the config of ``data`` can need, so a larger one
    can be refused before it is read (reading costs about 10 times its size in memory).

    One line per sample of the config (a second line for a sample, or a line for no sample, is
    a problem anyway), each at most: the longest id with every byte escaped (``\\u00XX``, 6
    bytes), an answer and a distribution over the widest item of ``data`` at full precision
    (:data:`LINE_FRAME_BYTES`, :data:`OPTION_BYTES`), and :data:`RESPONSE_ALLOWANCE` bytes of
    response text. Without ``data``: :data:`UNCHECKED_PREDICTIONS_BYTES`.
    """
    if not data:
        return SizeBound(
            UNCHECKED_PREDICTIONS_BYTES,
            "the most read without a dataset (with --dataset the bound is the dataset's)",
        )
    import pyarrow.compute as pc

    ids = [chunk for column in data[0].ids.values() for chunk in column.chunks]
    samples = sum(len(chunk) for chunk in ids)
    longest = max(
        (pc.max(pc.binary_length(chunk.cast("binary"))).as_py() or 0 for chunk in ids), default=0
    )
    widest = max(split.items.codes.shape[1] for split in data)
    line = 6 * longest + LINE_FRAME_BYTES + widest * OPTION_BYTES + RESPONSE_ALLOWANCE
    return SizeBound(
        samples * line,
        f"the most a predictions file for this dataset needs ({samples:,} samples in config "
        f"{data[0].config!r}, one line each of at most {line:,} bytes, {RESPONSE_ALLOWANCE:,} of "
        "them for response text)",
    )


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


PREDICTIONS: Final[OutputKind] = json_lines_kind(
    "a predictions file (its first line is not a prediction line)",
    lambda obj: not schema_problems(validator("predictions"), obj),
)
"""What a predictions output (``run --predictions``) replaces: a file whose first non-blank line
is a prediction line (valid against the predictions schema, which admits no other keys), or an
empty file (:func:`sgbench.files.check_replaceable`)."""


def _fits_code(text: str) -> bool:
    """Whether an integer written as ``text`` is in int32 range (option codes are int32).

    Ask this before any ``int(text)``: Python refuses (raises on) more than 4,300 digits."""
    return len(text) <= 11 and _CODE_MIN <= int(text) <= _CODE_MAX


def _options_text(codes: IntArray) -> str:
    return ", ".join(str(int(c)) for c in codes)


@dataclass(frozen=True)
class _Records:
    """The usable lines of a predictions file for the scored split, as parallel arrays."""

    line: IntArray
    """``(R,)`` line number of each record."""
    row: IntArray
    """``(R,)`` row of the record's sample in the scored split."""
    answer: IntArray
    """``(R,)`` the answer code."""
    d_rec: IntArray
    """``(D,)`` record of each distribution entry."""
    d_code: IntArray
    d_prob: FloatArray
    skipped: int
    """Lines for other splits of the config."""
    n_lines: int
    """Non-blank lines."""
    refused: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """Rows of the samples whose line is a refusal (``{"id", "refusal"}``)."""


def _strict_records(name: str, raw: bytes, data: ScoringData) -> tuple[_Records, list[Line]]:
    """Every line parsed and checked on its own (exact per-line messages), and the problems."""
    lines, problems = split_lines(name, raw)
    items = data.items
    rec_line: list[int] = []
    rec_row: list[int] = []
    rec_answer: list[int] = []
    dist_rec: list[int] = []
    dist_code: list[int] = []
    dist_prob: list[float] = []
    refused_rows: list[int] = []
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
        if "refusal" in obj:
            refused_rows.append(row)
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
    records = _Records(
        line=np.asarray(rec_line, dtype=np.int64),
        row=np.asarray(rec_row, dtype=np.int64),
        answer=np.asarray(rec_answer, dtype=np.int64),
        d_rec=np.asarray(dist_rec, dtype=np.int64),
        d_code=np.asarray(dist_code, dtype=np.int64),
        d_prob=np.asarray(dist_prob, dtype=np.float64),
        skipped=skipped,
        n_lines=lines.count,
        refused=np.asarray(refused_rows, dtype=np.int64),
    )
    return records, problems


def _nonblank_lines(buffer: npt.NDArray[np.uint8]) -> IntArray:
    """Numbers (from 1) of the lines holding something other than spaces, tabs and CRs.

    Vectorised over the bytes: a Python test per doubtful line took 18 s and 4.4 GB for a file
    of 60 MB of newlines (within the file's bound), where a file at the bound costs about 0.7 GB.
    """
    newline = buffer == ord("\n")
    filled = ~newline
    for blank in _BLANK_BYTES:
        filled &= buffer != blank
    # The line of each byte, counted from 0: the newlines before it.
    index = np.int32 if len(buffer) < np.iinfo(np.int32).max else np.int64
    line = np.cumsum(newline, dtype=index)
    del newline
    nonblank = np.zeros(int(line[-1]) + 1 if len(line) else 1, dtype=bool)
    nonblank[line[filled]] = True
    return np.flatnonzero(nonblank) + 1


def _columnar_records(raw: bytes, data: ScoringData) -> _Records | None:
    """The records of a *clean* file, read by Arrow's JSON reader without a Python object per
    line; None as soon as anything is unusual (then the strict reader runs and names the
    problems line by line).

    Sound by construction: every condition the strict reader checks is either checked here on
    the columns, or makes Arrow's parser fail, or is excluded up front (the ``null`` token,
    control bytes, a file that is not UTF-8, a line nested deeper than the strict reader reads:
    :func:`~sgbench.jsonl.too_deep_line`, without which Arrow crashed the process), so a file
    accepted here is accepted there with the same records.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.json as pj

    buffer = np.frombuffer(raw, dtype=np.uint8)
    if b"null" in raw or _CONTROL_BYTES.search(raw):
        return None
    if SURROGATE_ESCAPE.search(raw):  # the strict reader refuses a lone one
        return None
    if raw.startswith(BOM):  # a second mark: Arrow skips it, the strict reader refuses it
        return None
    if too_deep_line(raw) is not None:  # Arrow's parser would crash; the strict one refuses
        return None
    try:
        raw.decode("utf-8")
        table = pj.read_json(
            pa.BufferReader(raw),
            parse_options=pj.ParseOptions(
                explicit_schema=pa.schema(
                    [("id", pa.string()), ("answer", pa.int64()), ("response", pa.string())]
                ),
                unexpected_field_behavior="infer",
            ),
        )
    except (UnicodeDecodeError, pa.ArrowInvalid):
        return None
    numbers = _nonblank_lines(buffer)
    if table.num_rows != len(numbers) or table.num_rows == 0:
        return None  # a line with two values, or none at all
    if not set(table.column_names) <= ALLOWED_KEYS:
        return None
    ids, answers = table.column("id"), table.column("answer")
    if ids.null_count or answers.null_count or pc.any(pc.equal(pc.utf8_length(ids), 0)).as_py():
        return None
    if len(pc.unique(ids)) != len(ids):
        return None
    answer = np.asarray(answers.to_numpy(), dtype=np.int64)
    if ((answer < _CODE_MIN) | (answer > _CODE_MAX)).any():
        return None
    scored = data.ids[data.split]
    row = pc.index_in(ids, value_set=scored.combine_chunks())
    mine = row.is_valid().to_numpy(zero_copy_only=False)
    others = [c for name, c in data.ids.items() if name != data.split]
    other = pa.chunked_array([c for column in others for c in column.chunks], pa.string())
    elsewhere = pc.is_in(ids, value_set=other.combine_chunks()).to_numpy(zero_copy_only=False)
    if not (mine | elsewhere).all():
        return None  # an unknown id
    records = np.flatnonzero(mine)
    entries = _distribution_entries(table, records)
    if entries is None:
        return None
    d_rec, d_code, d_prob = entries
    return _Records(
        line=numbers[records],
        row=np.asarray(row.to_numpy(zero_copy_only=False)[records], dtype=np.int64),
        answer=answer[records],
        d_rec=d_rec,
        d_code=d_code,
        d_prob=d_prob,
        skipped=int((~mine).sum()),
        n_lines=len(numbers),
    )


def _distribution_entries(
    table: pa.Table, records: IntArray
) -> tuple[IntArray, IntArray, FloatArray] | None:
    """``(record, code, probability)`` of every distribution entry of the scored lines, in line
    order; None when a distribution breaks
    the schema (not an object, empty, a key that is no int32 code, a value that is not a
    non-negative finite number)."""
    import pyarrow as pa

    empty = np.zeros(0, np.int64)
    if "distribution" not in table.column_names:
        return empty, empty, np.zeros(0, np.float64)
    column = table.column("distribution").combine_chunks()
    if not pa.types.is_struct(column.type):
        return None
    keys = [f.name for f in column.type]
    fields = [column.field(i) for i in range(len(keys))]
    # Canonical keys only ("01" and "1" would both be code 1, summed in line order).
    if not all(
        _CODE_KEY.fullmatch(k) and _fits_code(k) and str(int(k)) == k for k in keys
    ) or not all(pa.types.is_integer(f.type) or pa.types.is_floating(f.type) for f in fields):
        return None
    given = column.is_valid().to_numpy(zero_copy_only=False)
    present = np.stack(
        [f.is_valid().to_numpy(zero_copy_only=False) for f in fields] or [given[:0]], axis=1
    ).reshape(len(given), len(keys))
    values = np.stack(
        [np.asarray(f.to_numpy(zero_copy_only=False), dtype=np.float64) for f in fields]
        or [np.zeros(0)],
        axis=1,
    ).reshape(len(given), len(keys))
    if (given & ~present.any(axis=1)).any():
        return None  # an empty distribution
    values = np.where(present, values, 0.0)
    if not np.isfinite(values).all() or (values < 0).any():
        return None
    sub_present = present[records]
    rec_index, key_index = np.nonzero(sub_present)
    return (
        np.asarray(rec_index, dtype=np.int64),
        np.asarray([int(k) for k in keys], dtype=np.int64)[key_index],
        values[records][rec_index, key_index],
    )


@public
@reads(path="PRED")
def read_predictions(path: PathArg, data: ScoringData, *, strict: bool = False) -> Predictions:
    """Read and check a predictions file against the dataset; see the module docstring.

    Checks, each reported as ``FILE: line N: ...``: valid UTF-8; valid JSON (``NaN`` and
    ``Infinity`` refused); the schema (an object with a string ``id`` and an integer ``answer`` —
    ``3.0`` and ``true`` are not integers — and no other keys than ``distribution`` and
    ``response``); the id is a sample of the config; no id twice; for the scored split, the answer
    is one of the item's option codes, and a distribution's codes are options, its probabilities
    non-negative and their sum 1 within 1e-6. Lines for other splits are checked against the
    schema and for duplicates only.

    A clean file is read column-wise (:func:`_columnar_records`); any file with a problem is
    read line by line, which names every problem.

    Raises:
        PredictionsError: the file has problems (every one listed, up to :data:`MAX_PROBLEMS`).
        InputError: the file is missing, unreadable or empty; or ``strict`` and some sample of
            the split has no prediction.
    """
    # Refused by its size before it is read: reading costs about ten times the file's size.
    raw, sha256 = read_bytes(path, largest_predictions_file([data]))
    return predictions_from_bytes(str(path), raw, sha256, data, strict=strict)


def predictions_from_bytes(
    name: str, raw: bytes, sha256: str, data: ScoringData, *, strict: bool = False
) -> Predictions:
    """:func:`read_predictions` of a file already read: ``raw`` (its byte-order mark dropped)
    and the sha256 of the file; ``name`` names it in messages. For a reader that opens the file
    itself and checks what it opened (the leaderboard, :mod:`sgbench.leaderboard.submission`).

    Raises:
        PredictionsError, InputError: as :func:`read_predictions`.
    """
    fast = _columnar_records(raw, data) if COLUMNAR else None
    if fast is not None:
        predictions, problems = _checked(fast, data)
        if not problems:
            return _finish(name, predictions, data, sha256, strict)
    records, problems = _strict_records(name, raw, data)
    predictions, more = _checked(records, data)
    problems += more
    if problems:
        raise PredictionsError(name, problems)
    return _finish(name, predictions, data, sha256, strict)


def _checked(
    records: _Records, data: ScoringData
) -> tuple[tuple[PredictionArrays, _Records], list[Line]]:
    """The records checked against the items (answers and distribution codes are options,
    distributions sum to 1) and laid out as :class:`PredictionArrays`; the problems found."""
    items = data.items
    problems: list[Line] = []
    lines_, rows, answers = records.line, records.row, records.answer
    # One order for the entries whatever the reader (sums and messages do not depend on it).
    order = np.lexsort((records.d_code, records.d_rec))
    d_rec, d_code, d_prob = records.d_rec[order], records.d_code[order], records.d_prob[order]
    match = (items.codes[rows] == answers[:, None]) & items.valid[rows]
    for r in np.flatnonzero(~match.any(axis=1)):
        problems.append(
            (
                int(lines_[r]),
                f"answer {int(answers[r])} is not an option of {items.ids[rows[r]]!r} "
                f"(options: {_options_text(items.codes[rows[r], : items.k[rows[r]]])})",
            )
        )

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
    # Shares of 1e308 overflow to inf here; such a line is already a problem ("sums to inf")
    # and its values are discarded, so numpy's warning would only add a second stderr line.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        distribution[with_dist] /= distribution[with_dist].sum(axis=1, keepdims=True)
    has_distribution = np.zeros(n, dtype=bool)
    has_distribution[with_dist] = True
    refused = np.zeros(n, dtype=bool)
    refused[records.refused] = True
    arrays = PredictionArrays(
        answered=answered,
        position=position,
        distribution=distribution,
        has_distribution=has_distribution,
        refused=refused,
    )
    return (arrays, records), problems


def _finish(
    name: str,
    checked: tuple[PredictionArrays, _Records],
    data: ScoringData,
    sha256: str,
    strict: bool,
) -> Predictions:
    arrays, records = checked
    items = data.items
    answered = arrays.answered
    missing = tuple(items.ids[i] for i in np.flatnonzero(~answered))
    if strict and missing:
        shown = ", ".join(repr(i) for i in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise InputError(
            f"{name}: {len(missing)} sample(s) of split {data.split!r} have no prediction "
            f"({ArgumentName('strict=True', '--strict')}): {shown}{more}"
        )
    return Predictions(
        arrays=arrays,
        n_lines=records.n_lines,
        n_skipped_other_splits=records.skipped,
        missing_ids=missing,
        sha256=sha256,
        sample_ids=items.ids,
        option_codes=items.codes,
    )
