"""Reading JSON Lines inputs strictly, every problem tied to its line.

The JSON Lines files sgbench reads (predictions, model responses, judgments) go through the same
steps: :func:`read_lines` (the non-blank lines, streamed; a UTF-8 byte-order mark, CRLF line ends
and blank lines are accepted) or, for a file read whole, :func:`read_bytes` and
:func:`split_lines`, :func:`json_values` (each line parsed by :func:`loads_strict`, which refuses
``NaN``, ``Infinity`` and a key twice in one object), :func:`json_objects` (objects only) and
:func:`distinct_ids` (an ``id`` already on an earlier line is a duplicate);
:func:`response_lines` chains them for the ``{"id", "response"}`` lines of a responses file.

Every JSON text sgbench reads from a user (these lines, ``submission.json``, a manifest, a
template or build config in JSON, an output marker) is parsed here, bounded: at most
:data:`MAX_DEPTH` levels of nesting (deeper input would exhaust the recursion of the parser or of
a schema check) and, for a whole file, :data:`MAX_FILE_BYTES` (:func:`read_json_file`). A value
out of bounds is a problem of that one file or line, never a crash.

No JSON Lines file costs memory in proportion to its size: one read whole (a predictions file,
for its column-wise reader) must be within a :class:`SizeBound` derived from the dataset,
checked before it is read (:func:`read_bytes`, :func:`too_large`); every other one is streamed
a line at a time (:class:`JsonLines`, :func:`raw_lines`), a line longer than
:data:`MAX_LINE_BYTES` skipped unread, and at most :data:`MAX_KEPT_PROBLEMS` problems kept.

Each step appends the lines it rejects to a ``problems`` list as ``(line number, message)`` and
yields the others, lazily and in file order, so a reader collects every problem of a file before
raising (see :class:`~sgbench.scoring.predictions.PredictionsError`).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import itertools
import json
import math
import os
import re
import stat
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final, TypeAlias

from sgbench.boundary import PathArg
from sgbench.errors import InputError
from sgbench.sidecars import being_written

BOM: Final = b"\xef\xbb\xbf"
"""The UTF-8 byte-order mark, dropped from the start of a file."""

Line: TypeAlias = tuple[int, str]
"""A line number (from 1) and a text: a line of the file, or a problem found on it."""


MAX_DEPTH: Final = 64
"""Most levels of nesting of a JSON value read from a user (sgbench's own files use under 8)."""

MAX_FILE_BYTES: Final = 64 << 20
"""Largest single JSON document :func:`read_json_file` reads (64 MiB); JSON Lines files are read
line by line and are not bound by it."""


class _NotFinite(ValueError):
    pass


class _OutOfBounds(ValueError):
    pass


MAX_VALUES: Final = 10_000_000
"""Most values (scalars, lists, objects) in one parsed document: a YAML file can name the same
list many times over (aliases), and a walk over it would never end."""


_MANY_OPENERS: Final = re.compile(rb"^(?:[^\n\[{]*+[\[{]){%d}" % (MAX_DEPTH + 1), re.MULTILINE)
"""The start of a line holding more opening brackets than :data:`MAX_DEPTH` (in strings or
not): only such a line can nest too deep."""
SCAN_PIECE_BYTES: Final = 1 << 18
"""Bytes :func:`too_deep_line` measures at a time (its memory is about 60 times this; a larger
piece is slower, out of the processor's cache)."""


def too_deep_line(data: bytes) -> int | None:
    """The number (from 1) of the first line of JSON Lines ``data`` whose arrays and objects nest
    more than :data:`MAX_DEPTH` levels deep, brackets inside strings not counted; None when no
    line does. The one check of JSON text before a parser other than :func:`loads_strict` reads
    it: pyarrow's JSON reader recurses in C++ once per level, on a worker thread, and a line
    nested 20,000 deep (40 KB) crashed the process (a segmentation fault) where
    :func:`loads_strict` refuses it.

    Each line is measured as a JSON parser reads it, or deeper: a string ends at the first ``"``
    not escaped (after an even run of backslashes), a closing bracket with none open leaves the
    depth at 0, and strings and nesting end with their line (a raw newline is no JSON
    character). Only lines with more opening brackets than the bound are measured (a regular
    expression finds them), :data:`SCAN_PIECE_BYTES` at a time, vectorised over the bytes:
    measuring every byte at once took 31 s and 8 GB on 100 MB of brackets.
    """
    import numpy as np

    piece, position, line = SCAN_PIECE_BYTES, 0, 1
    while (many := _MANY_OPENERS.search(data, position)) is not None:
        start = many.start()
        state = _Scan(line=line + data.count(b"\n", position, start))
        # A piece or more, to the end of the line it ends in, then on to the next such line.
        end = data.find(b"\n", min(start + piece, len(data)) - 1)
        end = len(data) if end < 0 else end + 1
        for offset in range(start, end, piece):
            count = min(piece, end - offset)
            found = state.deep_line(np.frombuffer(data, dtype=np.uint8, count=count, offset=offset))
            if found is not None:
                return found
        position, line = end, state.line
    return None


@dataclass
class _Scan:
    """Where :func:`too_deep_line` is, between two pieces of the text: on which line, within a
    string or not, after an odd run of backslashes or not, and how deep."""

    line: int
    in_string: int = 0
    odd_backslashes: int = 0
    depth: int = 0

    def deep_line(self, piece: Any) -> int | None:
        """The first line of ``piece`` (the bytes after the last piece) too deep, or None."""
        import numpy as np

        size = len(piece)
        index = np.arange(size, dtype=np.int64)
        newline = piece == ord("\n")
        part = np.cumsum(newline, dtype=np.int64)  # 0: the line the last piece ended in
        breaks = np.flatnonzero(newline)
        # The backslashes just before each byte: a quote after an odd run of them is escaped.
        backslash = piece == ord("\\")
        other = np.maximum.accumulate(np.where(backslash, -1, index))
        run = np.empty(size, dtype=np.int64)
        run[0] = self.odd_backslashes
        run[1:] = index[:-1] - other[:-1] + self.odd_backslashes * (other[:-1] < 0)
        quotes = np.cumsum((piece == ord('"')) & (run % 2 == 0), dtype=np.int64)
        # Quotes since the line began: odd, within a string (the first part goes on the last's).
        quote_base = np.concatenate(([-self.in_string], quotes[breaks]))
        inside = (quotes - quote_base[part]) % 2 == 1
        opens = (piece == ord("[")) | (piece == ord("{"))
        step = opens.astype(np.int64) - ((piece == ord("]")) | (piece == ord("}")))
        step[inside] = 0
        total = np.cumsum(step)
        level = total - np.concatenate(([-self.depth], total[breaks]))[part]
        # Depth that never goes below 0: the level less its lowest point so far on its line (the
        # running minimum restarts at each line by shifting every line below the ones before).
        shift = part * (2 * (size + self.depth + 1))
        lowest = np.minimum.accumulate(level - shift) + shift
        depth = level - np.minimum(lowest, 0)
        deep = depth > MAX_DEPTH
        if deep.any():
            return self.line + int(part[np.argmax(deep)])
        last = int(part[-1])
        self.line += last
        self.in_string = int((quotes[-1] - quote_base[last]) % 2)
        self.odd_backslashes = (
            int(size - 1 - other[-1] + self.odd_backslashes * (other[-1] < 0)) % 2
            if backslash[-1]
            else 0
        )
        self.depth = int(depth[-1])
        return None


def out_of_bounds(value: Any) -> str | None:
    """Why a parsed value is too deep (more than :data:`MAX_DEPTH` levels of lists and objects)
    or too large (more than :data:`MAX_VALUES` values), or None. The walk uses no recursion and
    stops at the first bound crossed, so any input is measured quickly."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    seen = 0
    while stack:
        item, depth = stack.pop()
        seen += 1
        if seen > MAX_VALUES:
            return f"more than {MAX_VALUES} values"
        if isinstance(item, dict):
            children: Iterable[Any] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth >= MAX_DEPTH:
            return f"nested more than {MAX_DEPTH} levels deep"
        stack.extend((child, depth + 1) for child in children)
    return None


_DECIMAL_INT: Final = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_DECIMAL_FLOAT: Final = re.compile(
    r"[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)"
)
_YAML12_NUMBER: Final = re.compile(
    r"[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?|0o[0-7]+|0x[0-9a-fA-F]+"
)
"""A plain scalar YAML 1.2's core schema (and JSON, for the decimal forms) reads as a number;
PyYAML reads some of them as text (``5e-2``, ``1.0e5``, ``09``, ``0o17``)."""
_YAML_TYPES: Final = {
    "tag:yaml.org,2002:bool": "a boolean",
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:null": "null",
    "tag:yaml.org,2002:timestamp": "a date",
}


@cache
def _unique_key_loader() -> type[Any]:
    """``yaml.SafeLoader`` refusing a key twice in one mapping, as :func:`loads_strict` does in
    JSON: PyYAML keeps the last silently, so a config naming ``min_subgroup_size`` twice would
    mean whichever came last. A ``<<`` merge may still be overridden, as YAML intends.

    It also refuses what YAML 1.1 (PyYAML) reads otherwise than JSON and YAML 1.2 do, so a file
    means what it says: a key that is not text (``No:`` is the boolean false, ``2020-01-01:`` a
    date, ``010:`` the number 8), a boolean written ``yes``, ``no``, ``on`` or ``off``, and a
    number not written in decimal (``030`` is 24, ``0x1E`` 30, ``1:30`` 90, ``1_000`` 1000),
    and a number YAML 1.1 reads as text (``5e-2``, ``1.0e5``, ``09``: a schema then said the
    number was not a number). A JSON escaped surrogate pair (``"\\ud83d\\ude00"``) is the one
    character it stands for, as in JSON; PyYAML keeps the two halves."""
    import yaml

    def refuse(node: Any, problem: str) -> Any:
        raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark)

    class UniqueKeyLoader(yaml.SafeLoader):
        def construct_yaml_bool(self, node: Any) -> Any:
            if node.value.lower() not in ("true", "false"):
                refuse(
                    node,
                    f"{node.value!r} is read as a boolean by YAML 1.1; quote it for text, or "
                    "write true or false",
                )
            return super().construct_yaml_bool(node)

        def construct_yaml_int(self, node: Any) -> Any:
            if not _DECIMAL_INT.fullmatch(node.value):
                refuse(node, f"write the number {node.value!r} in decimal (or quote it for text)")
            return super().construct_yaml_int(node)

        def construct_yaml_float(self, node: Any) -> Any:
            if not _DECIMAL_FLOAT.fullmatch(node.value):
                refuse(node, f"write the number {node.value!r} in decimal (or quote it for text)")
            return super().construct_yaml_float(node)

        def construct_yaml_str(self, node: Any) -> Any:
            if node.style is None and _YAML12_NUMBER.fullmatch(node.value):
                refuse(
                    node,
                    f"{node.value!r} is read as text by YAML 1.1 but as a number by YAML 1.2 "
                    "and JSON; write the number in decimal with a signed exponent if any "
                    "(0.05, 1.0e+3), or quote it for text",
                )
            return super().construct_yaml_str(node)

        def construct_scalar(self, node: Any) -> Any:
            value = super().construct_scalar(node)
            if isinstance(value, str) and _SURROGATE.search(value):
                # A lone half stays one (UnicodeDecodeError): the reader refuses it.
                with contextlib.suppress(UnicodeDecodeError):
                    value = value.encode("utf-16", "surrogatepass").decode("utf-16")
            return value

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            if isinstance(node, yaml.MappingNode):
                seen: set[Any] = set()
                for key_node, _ in node.value:
                    if key_node.tag == "tag:yaml.org,2002:merge":
                        continue
                    kind = _YAML_TYPES.get(key_node.tag)
                    if kind is not None:
                        refuse(
                            key_node,
                            f"key {key_node.value!r} is read as {kind} by YAML, not as text; "
                            f"quote it ('{key_node.value}')",
                        )
                    key = self.construct_object(key_node, deep=deep)
                    try:
                        twice = key in seen
                        seen.add(key)
                    except TypeError:  # an unhashable key: the base class says so
                        continue
                    if twice:
                        raise yaml.constructor.ConstructorError(
                            None, None, f"key {key!r} twice in one mapping", key_node.start_mark
                        )
            return super().construct_mapping(node, deep=deep)

    for tag, method in (
        ("bool", UniqueKeyLoader.construct_yaml_bool),
        ("int", UniqueKeyLoader.construct_yaml_int),
        ("float", UniqueKeyLoader.construct_yaml_float),
        ("str", UniqueKeyLoader.construct_yaml_str),
    ):
        UniqueKeyLoader.add_constructor(f"tag:yaml.org,2002:{tag}", method)
    return UniqueKeyLoader


def _check_yaml_depth(text: str) -> None:
    """Refuse YAML nested more than :data:`MAX_DEPTH` levels before it is composed. PyYAML's
    composer recurses once per level, so a deep document was refused only by catching the
    RecursionError it raised: near the interpreter's limit (a deeper caller's stack, a tracer)
    that error surfaced elsewhere, and a 10,000-deep config failed a test run. The parser's
    events come from a state machine with a stack of its own, so counting them recurses
    nowhere, and the walk stops at the first level past the bound.

    Raises:
        ValueError: ``nested more than MAX_DEPTH levels deep``.
        yaml.YAMLError: not YAML (as :func:`loads_yaml`).
    """
    import yaml

    opened = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
    closed = (yaml.SequenceEndEvent, yaml.MappingEndEvent)
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, opened):
            depth += 1
            if depth > MAX_DEPTH:
                raise ValueError(f"nested more than {MAX_DEPTH} levels deep")
        elif isinstance(event, closed):
            depth -= 1


def loads_yaml(text: str) -> Any:
    """``yaml.safe_load`` bounded as JSON is (:func:`out_of_bounds`), and refusing ``.nan`` and
    ``.inf`` as :func:`loads_strict` refuses ``NaN`` and ``Infinity``, and a key twice in one
    mapping as it refuses one twice in an object.

    Raises:
        yaml.YAMLError: not YAML (the caller names the line: every error has a
            ``problem_mark``, a character YAML does not allow too).
        ValueError: out of bounds or not finite, with the reason.
    """
    import yaml

    try:
        _check_yaml_depth(text)
        value = yaml.load(text, Loader=_unique_key_loader())  # a SafeLoader
    except RecursionError:  # kept: a bound crossed in a way the event walk does not see
        raise ValueError(f"nested more than {MAX_DEPTH} levels deep") from None
    except yaml.reader.ReaderError as exc:
        raise _marked(text, exc) from None
    why = out_of_bounds(value)
    if why is not None:
        raise ValueError(why)
    where = _non_finite(value)
    if where is not None:
        # As in JSON (loads_strict): .nan and .inf would pass numeric bounds unnoticed.
        raise ValueError(f"{where}: not a finite number")
    return value


def _marked(text: str, exc: Any) -> Any:
    """A character YAML does not allow (a NUL, an escape) as an error with a line and column,
    as every other YAML error has: PyYAML's own names no line, only an offset into
    "<unicode string>", on a line of its own (a two-line ``Error:``)."""
    import yaml

    position = int(exc.position)
    line = text.count("\n", 0, position)
    column = position - (text.rfind("\n", 0, position) + 1)
    code = exc.character if isinstance(exc.character, int) else ord(exc.character)
    return yaml.MarkedYAMLError(
        problem=f"character U+{code:04X} is not allowed in YAML",
        problem_mark=yaml.Mark("<text>", position, line, column, None, 0),
    )


def _non_finite(value: Any) -> str | None:
    """The JSON path (``$.a.b[0]``) of the first NaN or infinite float in a bounded value."""
    stack: list[tuple[Any, str]] = [(value, "$")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return path
        if isinstance(item, dict):
            stack.extend((child, f"{path}.{key}") for key, child in reversed(item.items()))
        elif isinstance(item, list):
            stack.extend((child, f"{path}[{i}]") for i, child in reversed(list(enumerate(item))))
    return None


def reject_constant(name: str) -> float:
    """A ``parse_constant`` for :func:`json.loads` refusing ``NaN``, ``Infinity``, ``-Infinity``.

    Raises:
        ValueError: always, ``<name> is not a JSON number``.
    """
    raise _NotFinite(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotFinite(f"{text} is out of range for a JSON number")
    return value


class _DuplicateKey(ValueError):
    pass


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An ``object_pairs_hook`` refusing a key twice in one object: ``json`` would keep the last
    silently, so ``{"answer": 1, "answer": 2}`` would mean whatever a reader picks."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        counts = Counter(key for key, _ in pairs)
        twice = next(key for key, count in counts.items() if count > 1)
        raise _DuplicateKey(f"key {twice!r} twice in one object")
    return obj


SURROGATE_ESCAPE: Final = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
"""A ``\\uD800``-``\\uDFFF`` escape: the only way a JSON text (valid UTF-8) can hold a lone
surrogate, which no UTF-8 writer accepts (a pair is decoded into one character)."""
_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def _lone_surrogate(value: Any) -> str | None:
    """The JSON path of the first string (key or value) holding a lone UTF-16 surrogate."""
    stack: list[tuple[Any, str]] = [(value, "$")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str) and _SURROGATE.search(item):
            return path
        if isinstance(item, dict):
            for key, child in item.items():
                if _SURROGATE.search(key):
                    return f"{path} (a key)"
                stack.append((child, f"{path}.{key}"))
        elif isinstance(item, list):
            stack.extend((child, f"{path}[{i}]") for i, child in enumerate(item))
    return None


class _Surrogate(ValueError):
    pass


def loads_strict(line: str | bytes) -> Any:
    """``json.loads`` that refuses ``NaN``, ``Infinity``, numbers overflowing to infinity, a key
    twice in one object, a lone UTF-16 surrogate (``"\\ud800"``: not a character, it would
    crash whatever writes the text as UTF-8) and values nested more than :data:`MAX_DEPTH`
    levels deep.

    Raises:
        ValueError: with a short reason.
    """
    try:
        value = json.loads(
            line,
            parse_constant=reject_constant,
            parse_float=_finite_float,
            object_pairs_hook=unique_keys,
        )
        why = out_of_bounds(value)
        if why is not None:
            raise _OutOfBounds(f"JSON {why}")
        raw = line.encode("utf-8", "surrogatepass") if isinstance(line, str) else line
        where = _lone_surrogate(value) if SURROGATE_ESCAPE.search(raw) else None
        if where is not None:
            raise _Surrogate(f"{where}: a lone UTF-16 surrogate escape, not a character")
        return value
    except _OutOfBounds:
        raise
    except (_NotFinite, _DuplicateKey, _Surrogate) as exc:
        raise ValueError(f"not valid JSON ({exc})") from None
    except json.JSONDecodeError as exc:
        # A document read whole names its line too; a JSON Lines line is always line 1.
        line = f"line {exc.lineno} " if exc.lineno > 1 else ""
        raise ValueError(f"not valid JSON ({exc.msg} at {line}column {exc.colno})") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise ValueError(f"not valid JSON ({exc})") from None
    except RecursionError:
        raise ValueError(f"JSON nested more than {MAX_DEPTH} levels deep") from None


def read_bounded(path: PathArg, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (:data:`MAX_FILE_BYTES`), for
    documents read whole (JSON, YAML, templates). A FIFO or device would block or never end, so
    only regular files are opened.

    Raises:
        OSError: the file is missing (``FileNotFoundError``), a folder (``IsADirectoryError``),
            not a regular file or too large (``strerror`` says which), or unreadable.
    """
    where = Path(path)
    info = where.stat()
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, "is a folder", str(path))
    if not stat.S_ISREG(info.st_mode):
        raise OSError(errno.EINVAL, "not a regular file", str(path))
    if info.st_size > limit:
        raise OSError(errno.EFBIG, f"larger than {limit} bytes", str(path))
    with where.open("rb") as handle:
        data = handle.read(limit + 1)  # a file growing since stat() is cut off, not read on
    if len(data) > limit:
        raise OSError(errno.EFBIG, f"larger than {limit} bytes", str(path))
    return data


def read_json_file(path: PathArg, what: str = "file") -> Any:
    """The JSON value of a whole file (UTF-8, a byte-order mark accepted), read through
    :func:`loads_strict` after checking its size against :data:`MAX_FILE_BYTES`.

    Raises:
        InputError: ``PATH: ...`` naming the file; the message never quotes its content.
    """
    try:
        data = read_bounded(path).removeprefix(BOM)
    except OSError as exc:
        raise InputError(f"{path}: cannot read the {what} ({exc.strerror})") from None
    try:
        return loads_strict(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{path}: {what} is not UTF-8 text") from None
    except ValueError as exc:
        raise InputError(f"{path}: {exc}") from None


MAX_LINE_BYTES: Final = MAX_FILE_BYTES
"""Longest line of a JSON Lines file read from a user: a line is one JSON document, bounded as
one (a ``run`` response line holds at most a 16 MiB reply). A longer line is a problem of its
own, skipped unread, so no line, not even a file without a newline, is held whole."""
_BLOCK_BYTES: Final = 1 << 20
"""Bytes read at a time by :class:`JsonLines`."""
MAX_KEPT_PROBLEMS: Final = 1000
"""Most problems a :class:`Problems` list keeps (the rest are counted): far more than any
message lists, and a file of a million bad lines would otherwise keep a million messages."""


class Problems(list[Line]):
    """A list of ``(line number, message)`` problems that keeps the first
    :data:`MAX_KEPT_PROBLEMS` appended and counts the others in :attr:`dropped`. Readers append
    in line order, so the problems kept are the first lines' and a message listing the first
    few, with how many more, reads the same as with every problem kept."""

    dropped: int = 0

    def append(self, item: Line) -> None:
        if len(self) < MAX_KEPT_PROBLEMS:
            super().append(item)
        else:
            self.dropped += 1

    def extend(self, items: Iterable[Line]) -> None:
        for item in items:
            self.append(item)

    def __iadd__(self, items: Iterable[Line]) -> Problems:  # type: ignore[override,misc]
        self.extend(items)
        return self


def problem_count(problems: Sequence[Line]) -> int:
    """All the problems found: those in the list and, for :class:`Problems`, those dropped."""
    return len(problems) + (problems.dropped if isinstance(problems, Problems) else 0)


@dataclass(frozen=True)
class SizeBound:
    """The most bytes a user's file may hold before it is read, and why (for the message of a
    file over it)."""

    limit: int
    reason: str


def too_large(name: str, bound: SizeBound, size: int | None = None) -> str:
    """The one message for a file refused by its size: ``NAME: N bytes, larger than L bytes,
    REASON; not read`` (the size left out when unknown: a file that grew while it was read)."""
    given = f"{size:,} bytes, " if size is not None else ""
    return f"{name}: {given}larger than {bound.limit:,} bytes, {bound.reason}; not read"


def input_problem(path: PathArg, *, folder: bool = False) -> str | None:
    """What stops ``path`` being read as an input file (a folder with ``folder``), said as what
    is there; None when nothing does. An input that is there but of another kind (a FIFO, a
    folder, a symlink loop) is never called missing: the one wording for every input a command
    opens by name (a dataset's files and card, a template, a dataset folder).

    ``"missing"``, ``"a symlink to nothing"``, ``"a symlink loop"``, ``"a folder, not a
    file"``, ``"a file, not a folder"``, ``"not a regular file (a FIFO, a device or a
    socket)"``, ``"cannot be read (REASON)"``, or ``"being written by another sgbench
    process …"`` (:func:`sgbench.sidecars.being_written`: a partial file read as if whole, or
    a folder read while another command replaces it).
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "a symlink to nothing" if os.path.islink(path) else "missing"
    except NotADirectoryError:  # a parent on the way is a file
        return "missing"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symlink loop"
        return f"cannot be read ({exc.strerror})"
    if stat.S_ISDIR(mode) and not folder:
        return "a folder, not a file"
    if folder and not stat.S_ISDIR(mode):
        return (
            "a file, not a folder"
            if stat.S_ISREG(mode)
            else "not a folder (a FIFO, a device or a socket)"
        )
    if not folder and not stat.S_ISREG(mode):
        return "not a regular file (a FIFO, a device or a socket)"
    # A folder has its writer's lock beside it too (sgbench.files.replace_folder): a dataset
    # read while a build swapped it in was read half old, half new, or found missing.
    if being_written(path):
        return (
            "being written by another sgbench process or thread (a run or judge still "
            "appending to it, or a command replacing the folder); read it once that one has "
            "finished"
        )
    return None


def _regular_file(path: PathArg) -> Path:
    """``path`` when it names a regular file (a FIFO or a device would block or never end).

    Raises:
        InputError: ``PATH: no such file``, or what else stops it being read
            (:func:`input_problem`: a symlink loop is not called missing).
    """
    problem = input_problem(path)
    if problem == "missing":
        raise InputError(f"{path}: no such file")
    if problem is not None:
        raise InputError(f"{path}: {problem}")
    return Path(path)


def read_bytes(path: PathArg, bound: SizeBound) -> tuple[bytes, str]:
    """A file of at most ``bound`` bytes, read whole: its bytes (a leading UTF-8 byte-order mark
    dropped) and the sha256 of all of them. The size is checked before anything is read, and a
    file growing meanwhile is cut off at the bound, not read on. Every other JSON Lines file
    is read a line at a time (:class:`JsonLines`).

    Raises:
        InputError: the path does not exist, is not a file, is larger than ``bound``
            (:func:`too_large`) or cannot be read.
    """
    where = _regular_file(path)
    try:
        size = where.stat().st_size
        if size > bound.limit:
            raise InputError(too_large(str(path), bound, size))
        with where.open("rb") as handle:
            data = handle.read(bound.limit + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    if len(data) > bound.limit:
        raise InputError(too_large(str(path), bound))
    return data.removeprefix(BOM), hashlib.sha256(data).hexdigest()


class SplitLines:
    """The non-blank lines of JSON Lines bytes already read (:func:`read_bytes`) as ``(line
    number, text)``, made one at a time as they are iterated (once), as :class:`JsonLines` makes
    a file's: a list of every line, and of every problem, cost 7.4 GB for a predictions file of
    60 MB (30 million lines of ``x``) within its bound. Invalid UTF-8 is a problem of its line in
    :attr:`problems` (a :class:`Problems`); once iterated, :attr:`count` is the number of
    non-blank lines.

    Raises (at the end of the iteration):
        InputError: no non-blank line (``PATH: empty file, EMPTY``).
    """

    def __init__(self, path: PathArg, data: bytes, empty: str = "no predictions") -> None:
        self.path = path
        self.data = data
        self.empty = empty
        self.problems: Problems = Problems()
        self.count = 0

    def __iter__(self) -> Iterator[Line]:
        data, start = self.data, 0
        for number in itertools.count(1):
            end = data.find(b"\n", start)
            raw = data[start : len(data) if end < 0 else end]
            text = _decoded(number, raw, self.problems)
            if text is not None and text.strip():
                self.count += 1
                yield number, text.removesuffix("\r")
            if end < 0:
                break
            start = end + 1
        if not self.count and not problem_count(self.problems):
            raise InputError(f"{self.path}: empty file, {self.empty}")


def split_lines(
    path: PathArg, data: bytes, empty: str = "no predictions"
) -> tuple[SplitLines, Problems]:
    """:class:`SplitLines` of ``data``, and its problems (filled as it is iterated)."""
    lines = SplitLines(path, data, empty)
    return lines, lines.problems


def _decoded(number: int, raw: bytes, problems: list[Line]) -> str | None:
    """A line's text, or None with its problem (``not UTF-8 text (byte 0xXX at column N)``)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = raw[exc.start : exc.start + 1].hex()
        problems.append((number, f"not UTF-8 text (byte 0x{bad} at column {exc.start + 1})"))
        return None


def raw_lines(path: PathArg) -> Iterator[tuple[int, bytes | None, bool]]:
    """Every line of a regular file as ``(line number, bytes, ended by a newline)``, read in
    blocks: memory holds one line, whatever the file's size. A leading byte-order mark is
    dropped; a line longer than :data:`MAX_LINE_BYTES` is given as None, skipped unread. The
    empty text after a final newline is not a line.

    Raises:
        InputError: the path does not exist, is not a file, or cannot be read.
    """
    where = _regular_file(path)
    try:
        with where.open("rb") as handle:
            yield from _split_blocks(handle)
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None


def _split_blocks(handle: Any, digest: Any = None) -> Iterator[tuple[int, bytes | None, bool]]:
    pending = bytearray()
    overlong = False
    number = 0
    first = True
    while block := handle.read(_BLOCK_BYTES):
        if digest is not None:
            digest.update(block)
        if first:  # a regular file's first block holds the whole mark, if there is one
            block, first = block.removeprefix(BOM), False
        start = 0
        while (end := block.find(b"\n", start)) >= 0:
            number += 1
            if overlong or len(pending) + end - start > MAX_LINE_BYTES:
                yield number, None, True
            elif pending:
                pending += block[start:end]
                yield number, bytes(pending), True
            else:
                yield number, block[start:end], True
            pending.clear()
            overlong = False
            start = end + 1
        if not overlong:
            pending += block[start:]
            if len(pending) > MAX_LINE_BYTES:
                overlong = True  # the rest of this line is skipped, not kept
                pending.clear()
    if pending or overlong:
        yield number + 1, None if overlong else bytes(pending), False


class JsonLines:
    """The non-blank lines of a UTF-8 JSON Lines file as ``(line number, text)``, read a block
    at a time as they are iterated (once): memory holds one line, whatever the file's size.
    This is how sgbench reads every JSON Lines file a user gives it (responses, judgments,
    parse and import input) except a predictions file, which is read whole within a size
    bound (:func:`read_bytes`) for its column-wise reader.

    A UTF-8 byte-order mark, CRLF line ends and blank lines are accepted. Invalid UTF-8 and a
    line longer than :data:`MAX_LINE_BYTES` are problems of their line, appended to
    :attr:`problems` (a :class:`Problems`). Once iterated, :attr:`count` is the number of
    non-blank lines and :attr:`sha256` the hash of the whole file.

    Raises (while iterated):
        InputError: the path does not exist, is not a file, cannot be read, or has no
            non-blank line (``PATH: empty file, EMPTY``).
    """

    def __init__(self, path: PathArg, empty: str = "no predictions") -> None:
        self.path = path
        self.empty = empty
        self.problems: Problems = Problems()
        self.count = 0
        self.sha256 = ""
        _regular_file(path)  # a missing file is named before any other input is read

    def __iter__(self) -> Iterator[Line]:
        digest = hashlib.sha256()
        try:
            with Path(self.path).open("rb") as handle:
                for number, raw, _ in _split_blocks(handle, digest):
                    if raw is None:
                        self.problems.append(
                            (number, f"longer than {MAX_LINE_BYTES:,} bytes; not read")
                        )
                        continue
                    text = _decoded(number, raw, self.problems)
                    if text is not None and text.strip():
                        self.count += 1
                        yield number, text.removesuffix("\r")
        except OSError as exc:
            raise InputError(f"{self.path}: cannot be read ({exc.strerror})") from None
        self.sha256 = digest.hexdigest()
        if not self.count and not problem_count(self.problems):
            raise InputError(f"{self.path}: empty file, {self.empty}")


def read_lines(path: PathArg, empty: str = "no predictions") -> JsonLines:
    """The lines of a user's JSON Lines file, streamed (:class:`JsonLines`)."""
    return JsonLines(path, empty)


def json_values(lines: Iterable[Line], problems: list[Line]) -> Iterator[tuple[int, Any]]:
    """Each line's value (:func:`loads_strict`) with its line number; a line that is not valid
    JSON goes to ``problems`` (``not valid JSON (...)``) instead."""
    for number, text in lines:
        try:
            value = loads_strict(text)
        except ValueError as exc:
            problems.append((number, str(exc)))
            continue
        yield number, value


def json_objects(
    lines: Iterable[Line], problems: list[Line]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """:func:`json_values` that are JSON objects; any other value goes to ``problems``
    (``not a JSON object``)."""
    for number, value in json_values(lines, problems):
        if not isinstance(value, dict):
            problems.append((number, "not a JSON object"))
            continue
        yield number, value


def distinct_ids(
    objects: Iterable[tuple[int, dict[str, Any]]], problems: list[Line]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """The objects whose string ``id`` no earlier object had; a repeat goes to ``problems``
    (``duplicate id 'X' (first on line N)``)."""
    seen: dict[str, int] = {}
    for number, obj in objects:
        sample_id: str = obj["id"]
        # Line numbers only grow: the id came before exactly when its first line is another.
        first = seen.setdefault(sample_id, number)
        if first != number:
            problems.append((number, f"duplicate id {sample_id!r} (first on line {first})"))
            continue
        yield number, obj


def _with_id_and_response(
    objects: Iterable[tuple[int, dict[str, Any]]], problems: list[Line]
) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, obj in objects:
        if not isinstance(obj.get("id"), str) or not isinstance(obj.get("response"), str):
            problems.append((number, 'needs a string "id" and a string "response"'))
            continue
        yield number, obj


def response_lines(
    lines: Iterable[Line], problems: list[Line]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """The lines of a responses file (``sgbench run``, ``sgbench parse``): objects with a string
    ``id`` and a string ``response`` (other keys are the caller's), no id twice.

    Everything else goes to ``problems``: lines that are not valid JSON, not objects
    (``not a JSON object``), lack either string (``needs a string "id" and a string
    "response"``), or repeat an id (``duplicate id 'X' (first on line N)``).
    """
    return distinct_ids(_with_id_and_response(json_objects(lines, problems), problems), problems)
