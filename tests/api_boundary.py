"""The harness behind tests/test_api_boundary.py: every public function, called with hostile and
careless arguments one at a time, must give a result or an InputError, and lose nothing.

Each public callable has an :class:`Entry` in one of the family registries
(``api_entries_build``, ``api_entries_scoring``, ``api_entries_run``): how to make a valid call to
it in a fresh folder, and which of its arguments are input or output paths. From the callable's
signature and annotations the harness derives the cases (:func:`cases`): for one argument at a
time, a value a careless or hostile caller could pass, chosen by the argument's kind (a NaN for a
``float``, ``-1`` for an ``int``, a missing file for an input, an input's own path for an output,
a foreign file where an output goes, ``None`` where the annotation does not allow it). The other
arguments keep their valid values. Where an argument is a result read from files (a
:class:`~sgbench.files.FromFiles`, such as a score report), each output is also given each
file or folder that result records it was read from, a name inside it and the folder holding it
(:func:`recorded_cases`): a writer may not write over what its result was read from.

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

Equal calls give equal results (:func:`relations`, :func:`run_relation`), for every entry:
- **twins**: each argument of the valid call replaced by an equal twin (:func:`twins`, derived
  from its value: a ``Path`` and the same ``str``, the path relative to the case's folder with
  the call run there, with a redundant ``./`` or ``a/../a``; a dataset folder and the dataset
  opened; a ``str`` and a ``str`` subclass, NFC and NFD of non-ASCII text; a list and a tuple;
  an ``int`` or ``float`` and numpy's; a reordering where :attr:`Entry.order_free` says order
  has no meaning) gives the valid call's result, or is refused as the valid call would be: a
  twin refused one way and taken the other is a hole;
- **repeat**: the valid call made again, its outputs in a fresh folder (same names), gives the
  same result and byte-identical outputs (the determinism rule);
- **threads**: for an entry with outputs, two threads making the valid call on one output each
  return or raise InputError (a lock's refusal), and leave one whole output, the bytes of a
  single call's, and no other file beside it.
Results are compared structurally (:func:`difference`): paths as the places they name (a
relative one read in the folder its call ran in), tables with ``pandas.testing``, arrays with NaN
equal to NaN, sgbench objects attribute by attribute (times spent, :data:`VOLATILE`, left out),
iterators drained while the call's folder is current; outputs by their files' bytes. An entry
may give a normaliser (a result holding a path as the caller spelled it), outputs whose lines are
documented to come in the order the work finished (:attr:`Entry.lines_in_any_order`), and
documented differences (:attr:`Entry.differences`, each with its reason; it must still differ).

Cost: each path argument has five spellings, most of the twin calls; one of them is called per
argument, the same on every run, chosen by a hash of the entry's and argument's names
(:func:`sampled`); ``SGBENCH_ALL_TWINS=1`` calls every twin. ``SGBENCH_RELATION_LOG=FILE``
appends each compared call's outcome to FILE, one JSON line each (how the holes are counted).
"""

from __future__ import annotations

import collections.abc
import contextlib
import hashlib
import inspect
import json
import math
import os
import shutil
import signal
import threading
import typing
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from types import FrameType, UnionType
from typing import Any, Final

import numpy as np
import pytest

from sgbench.boundary import argument_hints, matches
from sgbench.errors import InputError
from sgbench.files import FromFiles

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
    order_free: tuple[str, ...] = ()
    """Arguments (collections of ids or names) whose order the docs say has no meaning: a
    reordering is an equal twin (:func:`twins`)."""
    normalise: Callable[[Any, Path], Any] | None = None
    """The result as compared between equal calls, given the folder the call ran in, where it
    legitimately holds what differs between them (a path as the caller spelled it)."""
    lines_in_any_order: tuple[str, ...] = ()
    """Outputs (JSON Lines) documented to hold their lines in the order the work finished:
    compared between equal calls as their sorted lines."""
    differences: Mapping[str, str] = field(default_factory=dict)
    """Relation calls (``argument~twin``, ``repeat``, ``threads``) documented to differ, each
    with the reason: the call must still differ (a difference fixed is struck from here)."""


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


def _forging(folder: Path, valid: dict[str, Any]) -> Path:
    return folder / "x.jsonl\nError: forged line"


def _too_long(folder: Path, valid: dict[str, Any]) -> Path:
    """A name past the file system's limit (255 bytes): even ``Path.exists()`` raises on it."""
    return folder / ("n" * 300)


INPUT_PATHS: tuple[tuple[str, PathCase], ...] = (
    ("missing", PathCase(_missing)),
    ("newline-missing", PathCase(_forging)),
    ("folder", PathCase(_folder)),
    ("empty-file", PathCase(_empty)),
    ("garbage", PathCase(_garbage)),
    ("dangling-symlink", PathCase(_dangling)),
    ("name-too-long", PathCase(_too_long)),
)
"""Careless inputs: each must be refused with an InputError (or read correctly, where a kind
allows it: an empty folder may be a valid empty submissions folder). A missing one whose name
holds a newline and an ``Error:`` is refused with one line (:data:`ONE_LINE`), and so is a name
past the file system's limit (:data:`REFUSED`)."""

ONE_LINE: Final = frozenset({"newline-missing", "newline-name", "name-too-long"})
"""Cases refused with a message of one line (or, for a check, a result saying the problem on
one line): a name holding a newline, quoted as given, made a
second line of its own (``score_predictions("x.jsonl\\nError: forged", ds)``)."""

REFUSED: Final = frozenset({"name-too-long"})
"""Cases every function must refuse with an InputError, input or output: no file can have a
name past the file system's limit, and ``build_dataset``, ``build_leaderboard``,
``validate_submission`` and ``write_synthetic_sample`` raised the system's raw ``OSError``."""


def output_paths(entry: Entry) -> tuple[tuple[str, PathCase], ...]:
    """Careless outputs: an input's own path (each input in turn), a new name inside it (an
    input folder, such as a dataset, must not gain a file; a name under an input file must be
    refused, not crash), someone's file or folder where the output goes (both must survive),
    a name with a newline (refused: it would forge a line in every message and manifest
    naming it), and ``-`` (refused as standard output, by every writer: ``write_report(report,
    "-")`` wrote a file named ``-`` in the working folder, the case's folder here)."""
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
        ("name-too-long", PathCase(_too_long)),
        ("dash", PathCase(lambda folder, valid: "-")),
    )


@dataclass(frozen=True)
class Recorded:
    """Output paths made at run time from what the valid call's ``argument`` (a
    :class:`~sgbench.files.FromFiles`) records it was read from: each input itself
    (``same-as``), a new name inside it (``inside``) or the folder holding it (``holding``). The
    case is tried with each in turn (:func:`run_case`), and must be refused by the rule itself
    (:func:`sgbench.files.writes`), naming the input, ``(NAME)`` as recorded: a refusal for
    another reason (not a report of the kind replaced, not a folder) holds only by chance, for
    an input that happens not to be replaceable. A folder holding an input holds others too,
    so any refusal of it will do."""

    argument: str
    where: str

    def places(self, valid: dict[str, Any]) -> list[tuple[str, Path]]:
        """``(recorded name, output path)`` for each input recorded."""
        inputs = [
            (name, Path(path)) for name, path in getattr(valid[self.argument], "read_from", ())
        ]
        if self.where == "same-as":
            return inputs
        if self.where == "inside":
            return [(name, path / "sgbench-output") for name, path in inputs]
        if self.where == "holding":
            return [(name, path.parent) for name, path in inputs]
        raise ValueError(f"unknown place {self.where!r}")


RECORDED_PLACES = ("same-as", "inside", "holding")


def from_files(hint: Any) -> bool:
    """Whether an annotation takes a result read from files (:class:`~sgbench.files.FromFiles`)."""
    return any(isinstance(leaf, type) and issubclass(leaf, FromFiles) for leaf in _leaves(hint))


def recorded_cases(entry: Entry, hints: Mapping[str, Any]) -> list[tuple[str, Recorded]]:
    """The derived cases of an output argument of ``entry``: for every argument annotated as a
    result read from files, each place of :data:`RECORDED_PLACES` (:class:`Recorded`)."""
    return [
        (f"{where}-{name}.read_from", Recorded(name, where))
        for name, hint in hints.items()
        if from_files(hint)
        for where in RECORDED_PLACES
    ]


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
        # Not for a path (a Path, or PathArg's os.PathLike): its texts are paths, not words.
        if str in leaves and Path not in leaves and os.PathLike not in leaves:
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
            if name in entry.outputs:
                for label, recorded in recorded_cases(entry, hints):
                    found.append(Case(entry, name, label, recorded))
    return found


def _fingerprint(path: Path) -> dict[str, str]:
    """Every file under ``path`` (or ``path`` itself) with its bytes' digest; symlinks by target."""
    try:
        path.lstat()
    except OSError:  # missing, or a name no file can have (is_symlink raises on that)
        return {}
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
    """Call the case's function and hold the result to the contract (module docstring); a
    :class:`Recorded` case once per input its result records (none recorded is a hole: a
    result read from files that forgot them)."""
    valid = case.entry.make(folder, request)
    if isinstance(case.value, Recorded):
        places = case.value.places(valid)
        if not places:
            pytest.fail(
                f"{case.id}: {case.value.argument} records no input it was read from (read_from)"
            )
        for name, place in places:
            refusal = _run_one(case, folder, valid, place)
            assert refusal is not None, f"{case.id}: {place} was written, an input ({name})"
            assert case.value.where == "holding" or f"({name})" in str(refusal), (
                f"{case.id}: {place} refused, but not as the input {name}: {refusal}"
            )
        return
    value = case.value.make(folder, valid) if isinstance(case.value, PathCase) else case.value
    _run_one(case, folder, valid, value)


def _recorded_inputs(arguments: Mapping[str, Any]) -> list[Path]:
    """The inputs every result among ``arguments`` records it was read from."""
    return [
        Path(path)
        for value in arguments.values()
        if isinstance(value, FromFiles)
        for _, path in value.read_from
    ]


def _run_one(case: Case, folder: Path, valid: dict[str, Any], value: Any) -> InputError | None:
    """One call of :func:`run_case`; its refusal, if any."""
    arguments = {**valid, case.argument: value} if case.argument else valid
    inputs = [path for name in case.entry.inputs for path in _paths(arguments.get(name))]
    inputs += _recorded_inputs(arguments)  # what a result was read from is an input too
    if case.argument in case.entry.outputs and case.label.startswith("foreign"):
        inputs += list(_paths(value))  # someone's file where the output goes must survive
    protected = {str(path): _fingerprint(path) for path in inputs}
    before = _fingerprint(folder)
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT)
    refusal: InputError | None = None
    result: Any = None
    try:
        with contextlib.chdir(folder) if case.label == "dash" else contextlib.nullcontext():
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
    if case.label in ONE_LINE:
        # A check of a missing folder is a result (validate_submission): its problems then.
        said = [str(refusal)] if refusal is not None else list(getattr(result, "problems", ()))
        assert said, f"{case.id}: neither refused nor a problem said"
        assert all("\n" not in line for line in said), f"{case.id}: two lines in {said!r}"
    if case.label in REFUSED:
        assert refusal is not None, f"{case.id}: not refused: {result!r:.300}"
    if case.label == "dash":
        assert refusal is not None, f"{case.id}: '-' was not refused"
        assert "cannot be standard output" in str(refusal), f"{case.id}: {refusal}"
    if refusal is not None:
        assert case.argument, f"{case.id}: the valid call was refused: {refusal}"
        assert str(refusal).strip(), f"{case.id}: an InputError with no message"
        assert _fingerprint(folder) == before, f"{case.id}: refused, but left files changed"
    elif case.entry.result_ok is not None:
        assert case.entry.result_ok(result), f"{case.id}: returned a wrong result: {result!r:.300}"
    if not case.argument:
        _check_not_shared(case, arguments, result)
    return refusal


# --- relations: equal calls give equal results ------------------------------------------------

VOLATILE = frozenset({"elapsed"})
"""Attributes of a result that measure the run, not its input (seconds spent): not compared."""


class _Text(str):
    """A caller's own text class: an equal twin of any ``str``."""


@dataclass(frozen=True)
class Relation:
    """A relation between calls of one entry (:func:`run_relation`): ``twins`` (every argument's
    equal twins), ``repeat`` (the same call again) or ``threads`` (two threads, one output)."""

    entry: Entry
    kind: str

    @property
    def id(self) -> str:
        return f"{self.entry.name}~{self.kind}"


def relations(entries: list[Entry]) -> list[Relation]:
    """The relation cases of every entry: twins and repeat for each, threads for each entry
    that writes an output."""
    found = []
    for entry in entries:
        found += [Relation(entry, "twins"), Relation(entry, "repeat")]
        if entry.outputs:
            found.append(Relation(entry, "threads"))
    return found


def _path_text(value: Any) -> bool:
    """Whether a ``str`` argument names a path (an absolute one, as the valid calls write them)."""
    return isinstance(value, str) and os.path.isabs(value) and Path(value).parent.exists()


def twins(entry: Entry, name: str, value: Any, folder: Path) -> list[tuple[str, Any, Path | None]]:
    """The equal twins of one argument's valid value: ``(label, twin, cwd)``, where ``cwd`` is
    the folder the twin call runs in (a relative path), else None.

    A path: the other of ``Path`` and ``str``, the path relative to the case's folder (the call
    run there), a redundant ``./`` (a ``str``: ``Path`` drops it) or ``a/../a``, and a dataset
    folder opened (:func:`~sgbench.dataset.open_dataset`); an opened dataset: its folder. A
    ``str``: a subclass instance, and its other Unicode normal form (NFC or NFD) where it
    differs. A list or tuple: the other, same items; reversed where ``entry.order_free`` names
    the argument. An ``int`` or ``float``: numpy's, and numpy's number: Python's.
    """
    from sgbench.dataset import BuiltDataset, open_dataset

    found: list[tuple[str, Any, Path | None]] = []
    if isinstance(value, BuiltDataset):
        found.append(("folder-of-dataset", value.root, None))
    elif isinstance(value, PurePath) or _path_text(value):
        path = Path(value)
        spell: Callable[[Any], Any] = Path if isinstance(value, PurePath) else str
        if isinstance(value, PurePath):
            found.append(("str", str(value), None))
        else:
            found.append(("Path", Path(value), None))
        found.append(("relative", spell(os.path.relpath(path, folder)), folder))
        found.append(("dot-slash", f"{path.parent}/./{path.name}", None))
        found.append(
            ("up-and-back", spell(path.parent / ".." / path.parent.name / path.name), None)
        )
        if name in entry.inputs and (path / "manifest.json").is_file():
            found.append(("opened-dataset", open_dataset(path), None))
    elif isinstance(value, str) and type(value) is str:
        found.append(("str-subclass", _Text(value), None))
        for form in ("NFC", "NFD"):
            other = unicodedata.normalize(form, value)
            if other != value:
                found.append((form, other, None))
    elif isinstance(value, bool | np.bool_):
        pass
    elif type(value) is int:
        found.append(("numpy-int", np.int64(value), None))
    elif type(value) is float:
        found.append(("numpy-float", np.float64(value), None))
    elif isinstance(value, np.integer):
        found.append(("python-int", int(value), None))
    elif isinstance(value, np.floating):
        found.append(("python-float", float(value), None))
    if type(value) is list:
        found.append(("tuple", tuple(value), None))
    elif type(value) is tuple:
        found.append(("list", list(value), None))
    if name in entry.order_free and isinstance(value, list | tuple) and len(value) > 1:
        found.append(("reversed", type(value)(reversed(value)), None))
    return found


@dataclass
class Outcome:
    """One call: its result (an iterator drained) or its refusal, the folder it ran in, and the
    bytes of each output."""

    result: Any
    refusal: InputError | None
    crash: str | None
    cwd: Path
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)


def _relative_fingerprint(path: Path) -> dict[str, str]:
    """:func:`_fingerprint` with each file named relative to ``path`` (so that two places hold
    the same output)."""
    return {
        os.path.relpath(name, path) if name != str(path) else ".": digest
        for name, digest in _fingerprint(path).items()
    }


def _output_paths(entry: Entry, arguments: Mapping[str, Any]) -> dict[str, Path]:
    return {
        name: Path(arguments[name]).absolute()
        for name in entry.outputs
        if isinstance(arguments.get(name), str | PurePath)
    }


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _call(entry: Entry, arguments: dict[str, Any], cwd: Path | None) -> Outcome:
    """Call ``entry`` (in ``cwd`` when given), within :data:`TIME_LIMIT`; any exception but an
    InputError is the outcome's ``crash``."""
    before = Path.cwd()
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT)
    refusal: InputError | None = None
    crash: str | None = None
    result: Any = None
    try:
        if cwd is not None:
            os.chdir(cwd)
        result = entry.function(**arguments)
        if isinstance(result, collections.abc.Iterator):
            result = list(result)  # read while the call's folder is current
    except InputError as error:
        refusal = error
    except _TooSlow:
        crash = f"still running after {TIME_LIMIT} s"
    except Exception as error:
        crash = f"{type(error).__name__}: {str(error)[:300]}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        os.chdir(before)
    return Outcome(result, refusal, crash, cwd or before)


def _same_path(
    a: PurePath, b: PurePath, cwd_a: Path, cwd_b: Path, renamed: Mapping[str, str]
) -> bool:
    one = os.path.normpath(os.path.join(cwd_a, a))
    other = os.path.normpath(os.path.join(cwd_b, b))
    for new, old in renamed.items():
        if other == new or other.startswith(new + os.sep):
            other = old + other[len(new) :]
    return one == other


def difference(
    a: Any,
    b: Any,
    cwd_a: Path,
    cwd_b: Path,
    renamed: Mapping[str, str],
    where: str = "result",
    depth: int = 0,
) -> str | None:
    """Where two results differ (None when equal), compared structurally: paths as the places
    they name (a relative one read in the folder its call ran in; ``renamed`` maps a fresh
    output's place to the first's), tables with pandas.testing, arrays with NaN equal to NaN,
    sgbench objects attribute by attribute (:data:`VOLATILE` ones left out)."""
    import pandas as pd
    import pandas.testing

    if depth > 20:
        return None
    if isinstance(a, PurePath) and isinstance(b, PurePath):
        return None if _same_path(a, b, cwd_a, cwd_b, renamed) else f"{where}: {a} != {b}"
    if type(a) is not type(b):
        return f"{where}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, str):
        for new, old in renamed.items():
            b = b.replace(new, old)
        return None if a == b else f"{where}: {a[:200]!r} != {b[:200]!r}"
    if isinstance(a, float | np.floating):
        return None if a == b or (math.isnan(a) and math.isnan(b)) else f"{where}: {a} != {b}"
    if isinstance(a, pd.DataFrame | pd.Series):
        try:
            if isinstance(a, pd.DataFrame):
                pandas.testing.assert_frame_equal(a, b)
            else:
                pandas.testing.assert_series_equal(a, b)
        except AssertionError as error:
            return f"{where}: {str(error)[:300]}"
        return None
    if isinstance(a, np.ndarray):
        if a.dtype != b.dtype or a.shape != b.shape:
            return f"{where}: array {a.dtype}{a.shape} != {b.dtype}{b.shape}"
        try:
            same = bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
        except TypeError:
            same = all(
                difference(x, y, cwd_a, cwd_b, renamed, where, depth + 1) is None
                for x, y in zip(a.ravel(), b.ravel(), strict=True)
            )
        return None if same else f"{where}: arrays differ"
    if hasattr(a, "equals") and type(a).__module__.startswith("pyarrow"):
        return None if a.equals(b) else f"{where}: {type(a).__name__} differs"
    if isinstance(a, Mapping):
        if list(a.keys()) != list(b.keys()):
            return f"{where}: keys {list(a)[:20]} != {list(b)[:20]}"
        for key in a:
            found = difference(
                a[key], b[key], cwd_a, cwd_b, renamed, f"{where}[{key!r}]", depth + 1
            )
            if found:
                return found
        return None
    if isinstance(a, list | tuple):
        if len(a) != len(b):
            return f"{where}: {len(a)} items != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = difference(x, y, cwd_a, cwd_b, renamed, f"{where}[{i}]", depth + 1)
            if found:
                return found
        return None
    if type(a).__module__.startswith("sgbench"):
        names = vars(a) if hasattr(a, "__dict__") else getattr(a, "__slots__", ())
        for name in names:
            if name.startswith("_") or name in VOLATILE:
                continue
            found = difference(
                getattr(a, name),
                getattr(b, name),
                cwd_a,
                cwd_b,
                renamed,
                f"{where}.{name}",
                depth + 1,
            )
            if found:
                return found
        return None
    try:
        same = a == b
    except Exception:
        return None
    return (
        None
        if same is True or (same is not False and bool(same))
        else f"{where}: {a!r:.200} != {b!r:.200}"
    )


def _outputs(entry: Entry, places: Mapping[str, Path]) -> dict[str, dict[str, str]]:
    """Each output's files and their digests (:attr:`Entry.lines_in_any_order` by sorted lines)."""
    found = {}
    for name, path in places.items():
        if name in entry.lines_in_any_order and path.is_file():
            lines = sorted(path.read_bytes().splitlines(keepends=True))
            found[name] = {".": "sorted lines " + hashlib.sha256(b"".join(lines)).hexdigest()}
        else:
            found[name] = _relative_fingerprint(path)
    return found


def _problem(
    entry: Entry, first: Outcome, other: Outcome, renamed: Mapping[str, str]
) -> str | None:
    """Why ``other`` is not an equal call to ``first`` (None when it is): a crash, accepted one
    way and refused the other, a different result (after ``entry.normalise``) or different
    output bytes. Refused both ways is equal."""
    if other.crash:
        return other.crash
    if (first.refusal is None) != (other.refusal is None):
        refusal = first.refusal or other.refusal
        return f"accepted one way, refused the other: {str(refusal)[:200]}"
    if first.refusal is not None:
        return None
    normalise = entry.normalise or (lambda result, cwd: result)
    found = difference(
        normalise(first.result, first.cwd),
        normalise(other.result, other.cwd),
        first.cwd,
        other.cwd,
        renamed,
    )
    if found:
        return found
    for name, files in first.outputs.items():
        if other.outputs.get(name) != files:
            theirs = other.outputs.get(name, {})
            changed = sorted(set(files.items()) ^ set(theirs.items()))[:3]
            return f"output {name!r} has other bytes: {changed}"
    return None


RELATION_LOG = "SGBENCH_RELATION_LOG"
"""Environment variable naming a file to which each relation call's outcome is appended, one
JSON line each (entry, relation, twin, problem, documented): how the harness's holes are
counted."""


def _log(entry: Entry, kind: str, twin: str, problem: str | None, documented: str | None) -> None:
    where = os.environ.get(RELATION_LOG)
    if where:
        record = {
            "entry": entry.name,
            "relation": kind,
            "twin": twin,
            "problem": problem,
            "documented": documented,
        }
        with open(where, "a", encoding="utf-8") as log:
            log.write(json.dumps(record) + "\n")


def _settle(entry: Entry, kind: str, twin: str, problem: str | None, problems: list[str]) -> None:
    """Hold one compared call to the relation, or to its documented difference (which must
    still show: a difference fixed is a difference to strike from the entry)."""
    documented = entry.differences.get(twin)
    _log(entry, kind, twin, problem, documented)
    if documented is not None and problem is None:
        problems.append(f"{twin}: documented as differing ({documented}), but equal now")
    elif documented is None and problem is not None:
        problems.append(f"{twin}: {problem}")


def _valid_call(entry: Entry, arguments: dict[str, Any]) -> Outcome:
    outcome = _call(entry, arguments, None)
    assert outcome.crash is None, f"{entry.name}: the valid call crashed: {outcome.crash}"
    assert outcome.refusal is None, f"{entry.name}: the valid call was refused: {outcome.refusal}"
    return outcome


def _twin_calls(
    entry: Entry, folder: Path, request: pytest.FixtureRequest, problems: list[str]
) -> None:
    valid = entry.make(folder, request)
    places = _output_paths(entry, valid)
    first = _valid_call(entry, valid)
    first.outputs = _outputs(entry, places)
    for name, value in valid.items():
        if name == "self":
            continue
        for label, twin, cwd in sampled(entry, name, twins(entry, name, value, folder)):
            for path in places.values():
                _remove(path)
            other = _call(entry, {**valid, name: twin}, cwd)
            other.outputs = _outputs(entry, places)
            _settle(entry, "twins", f"{name}~{label}", _problem(entry, first, other, {}), problems)


def _fresh(
    entry: Entry, valid: dict[str, Any], folder: Path, under: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """The valid call with each output moved to a fresh place (``under`` in the case's folder,
    same name), and the map from each fresh place to the valid call's."""
    moved = dict(valid)
    renamed = {}
    for name, path in _output_paths(entry, valid).items():
        fresh = folder / under / path.name
        fresh.parent.mkdir(parents=True, exist_ok=True)
        moved[name] = fresh if isinstance(valid[name], PurePath) else str(fresh)
        renamed[str(fresh)] = str(path)
    return moved, renamed


def _repeat(
    entry: Entry, folder: Path, request: pytest.FixtureRequest, problems: list[str]
) -> None:
    valid = entry.make(folder, request)
    first = _valid_call(entry, valid)
    first.outputs = _outputs(entry, _output_paths(entry, valid))
    again, renamed = _fresh(entry, valid, folder, "again")
    second = _call(entry, again, None)
    second.outputs = _outputs(entry, _output_paths(entry, again))
    _settle(entry, "repeat", "repeat", _problem(entry, first, second, renamed), problems)


def _threads(
    entry: Entry, folder: Path, request: pytest.FixtureRequest, problems: list[str]
) -> None:
    valid = entry.make(folder, request)
    single_call, _ = _fresh(entry, valid, folder, "single")
    single = _valid_call(entry, single_call)
    single.outputs = _outputs(entry, _output_paths(entry, single_call))
    places = _output_paths(entry, valid)
    present = {
        path.parent: set(os.listdir(path.parent))
        for path in places.values()
        if path.parent.is_dir()
    }
    start = threading.Barrier(2)
    ends: list[str] = []

    def work() -> None:
        try:
            start.wait(timeout=TIME_LIMIT)
            result = entry.function(**valid)
            if isinstance(result, collections.abc.Iterator):
                list(result)
            ends.append("returned")
        except InputError:
            ends.append("refused")
        except BaseException as error:
            ends.append(f"{type(error).__name__}: {str(error)[:200]}")

    workers = [threading.Thread(target=work, daemon=True) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=TIME_LIMIT)
    problem = None
    if any(worker.is_alive() for worker in workers):
        problem = f"still running after {TIME_LIMIT} s"
    elif crashed := [end for end in ends if end not in ("returned", "refused")]:
        problem = f"a thread raised {crashed[0]}"
    elif "returned" in ends and _outputs(entry, places) != single.outputs:
        problem = "the output is not one whole output (it differs from a single call's)"
    elif "returned" not in ends and any(path.exists() for path in places.values()):
        problem = "both threads refused, but an output was written"
    else:
        names = {path.name for path in places.values()}
        left = sorted(
            name
            for parent, before in present.items()
            for name in set(os.listdir(parent)) - before - names
        )
        if left:
            problem = f"left behind: {left[:5]}"
    _settle(entry, "threads", "threads", problem, problems)


SPELLINGS = ("str", "Path", "relative", "dot-slash", "up-and-back")
"""The twins that spell one path otherwise: one of them is called per argument (:func:`sampled`)."""
ALL_TWINS = "SGBENCH_ALL_TWINS"
"""Environment variable: set (to anything), every twin is called, no sampling."""


def sampled(
    entry: Entry, name: str, found: list[tuple[str, Any, Path | None]]
) -> list[tuple[str, Any, Path | None]]:
    """The twins of one argument that are called: every twin but the path spellings, of which
    one, the same on every run (chosen by a hash of the entry's and argument's names), unless
    :data:`ALL_TWINS` is set. The spellings are most of the calls (five per path argument) and
    the rule behind them is one (``sgbench.boundary.plain_numbers``)."""
    spellings = [twin for twin in found if twin[0] in SPELLINGS]
    if os.environ.get(ALL_TWINS) or len(spellings) < 2:
        return found
    digest = hashlib.sha256(f"{entry.name}:{name}".encode()).digest()
    chosen = spellings[digest[0] % len(spellings)]
    return [twin for twin in found if twin[0] not in SPELLINGS or twin is chosen]


def run_relation(relation: Relation, folder: Path, request: pytest.FixtureRequest) -> None:
    """Hold one entry to one relation (module docstring); every compared call is made before
    the test fails, so that its message lists every hole of the relation."""
    problems: list[str] = []
    {"twins": _twin_calls, "repeat": _repeat, "threads": _threads}[relation.kind](
        relation.entry, folder, request, problems
    )
    assert not problems, f"{relation.id}:\n" + "\n".join(problems)
