"""Reading JSON Lines inputs strictly, every problem tied to its line.

The JSON Lines files sgbench reads (predictions, model responses, judgments) go through the same
steps: :func:`read_lines` (the non-blank lines; a UTF-8 byte-order mark, CRLF line ends and blank
lines are accepted), :func:`json_values` (each line parsed by :func:`loads_strict`, which refuses
``NaN``, ``Infinity`` and a key twice in one object), :func:`json_objects` (objects only) and
:func:`distinct_ids` (an ``id`` already on an earlier line is a duplicate);
:func:`response_lines` chains them for the ``{"id", "response"}`` lines of a responses file.

Every JSON text sgbench reads from a user (these lines, ``submission.json``, a manifest, a
template or build config in JSON, an output marker) is parsed here, bounded: at most
:data:`MAX_DEPTH` levels of nesting (deeper input would exhaust the recursion of the parser or of
a schema check) and, for a whole file, :data:`MAX_FILE_BYTES` (:func:`read_json_file`). A value
out of bounds is a problem of that one file or line, never a crash.

Each step appends the lines it rejects to a ``problems`` list as ``(line number, message)`` and
yields the others, lazily and in file order, so a reader collects every problem of a file before
raising (see :class:`~sgbench.scoring.predictions.PredictionsError`).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import math
import re
import stat
from collections import Counter
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any, Final, TypeAlias

from sgbench.errors import InputError

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
        value = yaml.load(text, Loader=_unique_key_loader())  # a SafeLoader
    except RecursionError:
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


def read_bounded(path: str | Path, limit: int = MAX_FILE_BYTES) -> bytes:
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


def read_json_file(path: str | Path, what: str = "file") -> Any:
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


def read_bytes(path: str | Path) -> tuple[bytes, str]:
    """A file's bytes (a leading UTF-8 byte-order mark dropped) and the sha256 of all of them.

    Raises:
        InputError: the path does not exist, is not a file, or cannot be read.
    """
    where = Path(path)
    if not where.exists():
        raise InputError(f"{path}: no such file")
    if not where.is_file():
        raise InputError(f"{path}: not a file")
    try:
        data = where.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    return data.removeprefix(BOM), hashlib.sha256(data).hexdigest()


def split_lines(path: str | Path, data: bytes) -> tuple[list[Line], list[Line]]:
    """Non-blank lines of JSON Lines bytes as ``(line number, text)``, and the per-line
    problems (invalid UTF-8).

    Raises:
        InputError: no non-blank line.
    """
    lines: list[Line] = []
    problems: list[Line] = []
    try:
        texts = data.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        texts = []
        for number, raw in enumerate(data.split(b"\n"), start=1):
            try:
                texts.append(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                bad = raw[exc.start : exc.start + 1].hex()
                problems.append(
                    (number, f"not UTF-8 text (byte 0x{bad} at column {exc.start + 1})")
                )
                texts.append("")
    for number, text in enumerate(texts, start=1):
        if text.strip():
            lines.append((number, text.removesuffix("\r")))
    if not lines and not problems:
        raise InputError(f"{path}: empty file, no predictions")
    return lines, problems


def read_lines(path: str | Path) -> tuple[list[Line], list[Line], str]:
    """Non-blank lines of a UTF-8 JSON Lines file as ``(line number, text)``.

    Returns the lines, the per-line problems (invalid UTF-8) and the file's sha256.

    Raises:
        InputError: the path does not exist, is not a file, cannot be read, or has no non-blank
            line.
    """
    data, sha256 = read_bytes(path)
    lines, problems = split_lines(path, data)
    return lines, problems, sha256


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
