"""The harness behind tests/test_api_boundary.py: every public function, called with hostile and
careless arguments one at a time, must give a result or an InputError, and lose nothing.

Each public callable has an :class:`Entry` in one of the family registries
(``api_entries_build``, ``api_entries_scoring``, ``api_entries_run``): how to make a valid call to
it in a fresh folder, and which of its arguments are input or output paths. From the callable's
signature and annotations the harness derives the cases (:func:`cases`): for one argument at a
time, a value a careless or hostile caller could pass, chosen by the argument's kind (a NaN for a
``float``, ``-1`` for an ``int``, a missing file for an input, an input's own path for an output,
a foreign file where an output goes, ``None`` where the annotation does not allow it). The other
arguments keep their valid values.

The contract every case is held to (:func:`run_case`):
- the call returns, or raises :class:`~sgbench.errors.InputError` with a message; any other
  exception (a ``KeyError``, a ``RecursionError``, numpy's ``ValueError``) is a hole, and so is a
  call running past :data:`TIME_LIMIT` seconds;
- no input changes, whatever happens (an input file or folder has the same bytes after);
- a refused call leaves the folder as it found it (nothing half-written);
- where an entry gives ``result_ok``, a returned result passes it (a NaN score returned for a NaN
  weight is a wrong result, not a success);
- a result is the caller's own: after the valid call, every dict, list and set inside the result
  gets a mark (:func:`_mark`), and the same call made again must return nothing marked (a
  build's manifest held the module's split definitions, so a caller's change to one build's
  result was written into every later build).
"""

from __future__ import annotations

import collections.abc
import hashlib
import inspect
import math
import os
import shutil
import signal
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, UnionType
from typing import Any

import pytest

from sgbench.boundary import argument_hints, matches
from sgbench.errors import InputError

TIME_LIMIT = 30
"""Seconds one call may take: a call still working on ``replicates=2**62`` after this is a hole
(a bound the function lacks), not a slow test."""

Make = Callable[[Path, pytest.FixtureRequest], dict[str, Any]]
"""Given a fresh empty folder and the test's request (for session fixtures), the keyword
arguments of one valid call, with every input it needs made in (or copied into) the folder."""


@dataclass(frozen=True)
class Entry:
    """One public callable and how to call it."""

    name: str
    """Dotted name as a user imports it: ``sgbench.scoring.score``."""
    function: Callable[..., Any]
    make: Make
    inputs: tuple[str, ...] = ()
    """Arguments that name files or folders the call reads: never changed, even on success."""
    outputs: tuple[str, ...] = ()
    """Arguments that name files or folders the call writes."""
    result_ok: Callable[[Any], bool] | None = None
    """What a returned result must satisfy, whatever the argument (finite figures, …)."""
    extra: Mapping[str, tuple[tuple[str, Any], ...]] = field(default_factory=dict)
    """More (label, value) cases for an argument, beyond those its kind gives."""


@dataclass(frozen=True)
class Case:
    entry: Entry
    argument: str
    label: str
    value: Any
    """The hostile value, or a :class:`PathCase` made in the case's folder."""

    @property
    def id(self) -> str:
        return f"{self.entry.name}:{self.argument}={self.label}"


@dataclass(frozen=True)
class PathCase:
    """A path value made at run time in the case's folder, from the valid call's arguments."""

    make: Callable[[Path, dict[str, Any]], Any]


def _missing(folder: Path, valid: dict[str, Any]) -> Path:
    return folder / "no-such-file.jsonl"


def _folder(folder: Path, valid: dict[str, Any]) -> Path:
    path = folder / "a-folder"
    path.mkdir()
    return path


def _empty(folder: Path, valid: dict[str, Any]) -> Path:
    path = folder / "empty.jsonl"
    path.write_bytes(b"")
    return path


def _garbage(folder: Path, valid: dict[str, Any]) -> Path:
    path = folder / "garbage.jsonl"
    path.write_bytes(bytes(range(256)) * 16)
    return path


def _dangling(folder: Path, valid: dict[str, Any]) -> Path:
    path = folder / "dangling.jsonl"
    path.symlink_to(folder / "nowhere")
    return path


def _foreign(folder: Path, valid: dict[str, Any]) -> Path:
    path = folder / "notes.txt"
    path.write_text("someone's notes, not an sgbench output\n")
    return path


def _foreign_folder(folder: Path, valid: dict[str, Any]) -> Path:
    path = folder / "site"
    path.mkdir()
    (path / "about.html").write_text("<p>someone's page</p>\n")
    return path


INPUT_PATHS: tuple[tuple[str, PathCase], ...] = (
    ("missing", PathCase(_missing)),
    ("folder", PathCase(_folder)),
    ("empty-file", PathCase(_empty)),
    ("garbage", PathCase(_garbage)),
    ("dangling-symlink", PathCase(_dangling)),
)
"""Careless inputs: each must be refused with an InputError (or read correctly, where a kind
allows it: an empty folder may be a valid empty submissions folder)."""


def output_paths(entry: Entry) -> tuple[tuple[str, PathCase], ...]:
    """Careless outputs: an input's own path (each input in turn), a new name inside it (an
    input folder, such as a dataset, must not gain a file; a name under an input file must be
    refused, not crash), someone's file or folder where the output goes (both must survive),
    and a name with a newline (refused: it would forge a line in every message and manifest
    naming it)."""
    same = tuple(
        (f"same-as-{name}", PathCase(lambda folder, valid, name=name: valid[name]))
        for name in entry.inputs
    )
    inside = tuple(
        (
            f"inside-{name}",
            PathCase(lambda folder, valid, name=name: Path(valid[name]) / "sgbench-output"),
        )
        for name in entry.inputs
    )
    return (
        *same,
        *inside,
        ("foreign-file", PathCase(_foreign)),
        ("foreign-folder", PathCase(_foreign_folder)),
        ("newline-name", PathCase(lambda folder, valid: folder / "out\nforged line")),
    )


DATASET_REFS: tuple[tuple[str, Any], ...] = (
    ("hub-without-prefix", "org/name"),
    ("hub", "hf://org/name"),
    ("hub-upper-case", "HF://org/name"),
    ("hub-not-an-id", "hf://a/b/c"),
    ("hub-space", "hf://a b"),
)
"""Dataset references a careless caller writes, for any argument naming a dataset: a Hub id
without its prefix (a local path that does not exist), and ``hf://`` ids, some no Hub id can be
(tests run with the Hub offline: a download fails with one line)."""
CONFIG_NAMES: tuple[tuple[str, Any], ...] = (
    ("unknown-config", "nope"),
    ("config-not-built", "temporal"),
    ("config-case", "Default"),
)
"""Config names for any argument naming one: unknown, not built by a one-wave build, miscased."""
SPLIT_NAMES: tuple[tuple[str, Any], ...] = (
    ("unknown-split", "nope"),
    ("other-config-split", "test"),
    ("split-case", "TEST_OOD"),
)
"""Split names for any argument naming one: unknown, another config's, miscased."""


FLOATS: tuple[tuple[str, Any], ...] = (
    ("nan", math.nan),
    ("inf", math.inf),
    ("-inf", -math.inf),
    ("-1", -1.0),
    ("1e308", 1e308),
)
INTS: tuple[tuple[str, Any], ...] = (("-1", -1), ("0", 0), ("2**62", 2**62))
TEXTS: tuple[tuple[str, Any], ...] = (
    ("empty", ""),
    ("newline", "a\nb"),
    ("escape", "\x1b[2J"),
    ("1e5-chars", "x" * 100_000),
)
SEQUENCES: tuple[tuple[str, Any], ...] = (("[]", []), ("[None]", [None]))
MAPPINGS: tuple[tuple[str, Any], ...] = (("{}", {}), ("{'':None}", {"": None}))
UNKIND: tuple[tuple[str, Any], ...] = (("None", None), ("object", object()))
"""Values of no kind an annotation allows (where it does not): the boundary's own check."""


def _leaves(hint: Any) -> list[Any]:
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is UnionType:
        return [leaf for option in typing.get_args(hint) for leaf in _leaves(option)]
    if origin is typing.Annotated:
        return _leaves(typing.get_args(hint)[0])
    return [origin or hint]


def values_for(entry: Entry, argument: str, hint: Any) -> list[tuple[str, Any]]:
    """The (label, value) cases of one argument, chosen by its role and annotation."""
    if argument in entry.inputs:
        chosen: list[tuple[str, Any]] = list(INPUT_PATHS)
    elif argument in entry.outputs:
        chosen = list(output_paths(entry))
    else:
        leaves = _leaves(hint)
        chosen = []
        if float in leaves:
            chosen += FLOATS
        elif int in leaves:
            chosen += INTS
        if str in leaves and Path not in leaves:
            chosen += TEXTS
        if any(leaf in (list, tuple, collections.abc.Sequence) for leaf in leaves):
            chosen += SEQUENCES
        if any(leaf in (dict, collections.abc.Mapping) for leaf in leaves):
            chosen += MAPPINGS
        if typing.get_origin(hint) is typing.Literal or any(
            typing.get_origin(leaf) is typing.Literal for leaf in typing.get_args(hint)
        ):
            chosen.append(("not-a-choice", "no-such-choice"))
    chosen += [(label, value) for label, value in UNKIND if not matches(value, hint)]
    # Every case is tried: a legitimate value (a seed of 0) gives a result, which passes.
    return [*chosen, *entry.extra.get(argument, ())]


def cases(entries: list[Entry]) -> list[Case]:
    """Every case of every entry, one argument at a time, after the valid call itself (its
    argument is ``""``: nothing replaced)."""
    found = []
    for entry in entries:
        found.append(Case(entry, "", "valid", None))
        hints = argument_hints(entry.function)
        for name, parameter in inspect.signature(entry.function).parameters.items():
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                continue
            for label, value in values_for(entry, name, hints.get(name, Any)):
                found.append(Case(entry, name, label, value))
    return found


def _fingerprint(path: Path) -> dict[str, str]:
    """Every file under ``path`` (or ``path`` itself) with its bytes' digest; symlinks by target."""
    if path.is_symlink():
        return {str(path): "-> " + os.readlink(path)}
    if path.is_file():
        return {str(path): hashlib.sha256(path.read_bytes()).hexdigest()}
    if path.is_dir():
        found: dict[str, str] = {}
        for child in sorted(path.rglob("*")):
            if child.is_symlink():
                found[str(child)] = "-> " + os.readlink(child)
            elif child.is_file():
                found[str(child)] = hashlib.sha256(child.read_bytes()).hexdigest()
            else:
                found[str(child)] = "folder"
        return found
    return {}


def _paths(value: Any) -> Iterator[Path]:
    if isinstance(value, str | Path) and value and len(str(value)) < 4096:
        yield Path(value)
    elif isinstance(value, list | tuple):
        for one in value:
            yield from _paths(one)


_MARK = "__changed by the caller__"
"""What :func:`_mark` puts into a result, and :func:`_marked` looks for in the next one."""


def _inside(value: Any) -> Iterator[Any]:
    """The values held directly by ``value``: a container's items, the public attributes of an
    sgbench object (another library's objects, and anything private, are not a caller's to
    edit)."""
    if isinstance(value, Mapping):
        yield from value.keys()
        yield from value.values()
    elif isinstance(value, list | tuple | set | frozenset):
        yield from value
    elif type(value).__module__.startswith("sgbench") and not isinstance(value, type):
        names = vars(value) if hasattr(value, "__dict__") else getattr(value, "__slots__", ())
        yield from (getattr(value, name) for name in names if not name.startswith("_"))


def _walk(value: Any, seen: set[int] | None = None, depth: int = 0) -> Iterator[Any]:
    """``value`` and everything it holds, each object once, down to depth 12 (tables, arrays
    and texts are leaves)."""
    seen = set() if seen is None else seen
    if id(value) in seen or depth > 12 or isinstance(value, str | bytes | Path):
        return
    seen.add(id(value))
    yield value
    for held in _inside(value):
        yield from _walk(held, seen, depth + 1)


def _mark(result: Any) -> None:
    """Put :data:`_MARK` into every dict, list and set of ``result`` (what a caller who edits
    a result it was given would do)."""
    for value in list(_walk(result)):
        if type(value) is dict:
            value[_MARK] = _MARK
        elif type(value) is list:
            value.append(_MARK)
        elif type(value) is set:
            value.add(_MARK)


def _marked(result: Any) -> bool:
    return any(
        (type(value) is dict and _MARK in value) or (type(value) in (list, set) and _MARK in value)
        for value in _walk(result)
    )


def _check_not_shared(case: Case, arguments: dict[str, Any], result: Any) -> None:
    """Mark the valid call's result, make the call again (its outputs removed first, so that it
    is the same call) and require a result without the mark."""
    _mark(result)
    for path in (p for name in case.entry.outputs for p in _paths(arguments.get(name))):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
    again = case.entry.function(**arguments)
    assert not _marked(again), f"{case.id}: a second call returned the first call's edited result"


class _TooSlow(BaseException):
    pass


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise _TooSlow


def run_case(case: Case, folder: Path, request: pytest.FixtureRequest) -> None:
    """Call the case's function and hold the result to the contract (module docstring)."""
    valid = case.entry.make(folder, request)
    value = case.value.make(folder, valid) if isinstance(case.value, PathCase) else case.value
    arguments = {**valid, case.argument: value} if case.argument else valid
    inputs = [path for name in case.entry.inputs for path in _paths(arguments.get(name))]
    if case.argument in case.entry.outputs and case.label.startswith("foreign"):
        inputs += list(_paths(value))  # someone's file where the output goes must survive
    protected = {str(path): _fingerprint(path) for path in inputs}
    before = _fingerprint(folder)
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT)
    refusal: InputError | None = None
    result: Any = None
    try:
        result = case.entry.function(**arguments)
    except InputError as error:
        refusal = error
    except _TooSlow:
        pytest.fail(f"{case.id}: still running after {TIME_LIMIT} s")
    except Exception as error:  # the hole this harness is for
        pytest.fail(f"{case.id}: {type(error).__name__}: {str(error)[:300]}")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    for path, fingerprint in protected.items():
        assert _fingerprint(Path(path)) == fingerprint, f"{case.id}: input {path} changed"
    if refusal is not None:
        assert case.argument, f"{case.id}: the valid call was refused: {refusal}"
        assert str(refusal).strip(), f"{case.id}: an InputError with no message"
        assert _fingerprint(folder) == before, f"{case.id}: refused, but left files changed"
    elif case.entry.result_ok is not None:
        assert case.entry.result_ok(result), f"{case.id}: returned a wrong result: {result!r:.300}"
    if not case.argument:
        _check_not_shared(case, arguments, result)
