"""The public Python API holds the error contract: every public callable, called with hostile and
careless arguments one at a time, gives a result or an InputError, and loses nothing
(tests/api_boundary.py says how). Every name of the API is accounted for: called here, or listed
as not called with the reason."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from api_boundary import (
    ALL_TWINS,
    Case,
    Entry,
    Recorded,
    Relation,
    cases,
    relations,
    run_case,
    run_relation,
)
from api_entries_build import ENTRIES as BUILD_ENTRIES
from api_entries_build import NOT_CALLED as BUILD_NOT_CALLED
from api_entries_data import ENTRIES as DATA_ENTRIES
from api_entries_data import NOT_CALLED as DATA_NOT_CALLED
from api_entries_run import ENTRIES as RUN_ENTRIES
from api_entries_run import NOT_CALLED as RUN_NOT_CALLED
from api_entries_scoring import ENTRIES as SCORING_ENTRIES
from api_entries_scoring import NOT_CALLED as SCORING_NOT_CALLED

import sgbench
from sgbench.boundary import PUBLIC_MODULES, is_public, public
from sgbench.files import FromFiles, recorded, writes

ENTRIES: list[Entry] = [*BUILD_ENTRIES, *DATA_ENTRIES, *SCORING_ENTRIES, *RUN_ENTRIES]
NOT_CALLED: dict[str, str] = {
    "sgbench.errors.SgbenchError": "an exception class",
    "sgbench.errors.InputError": "an exception class",
    "sgbench.errors.ConfigError": "an exception class",
    "sgbench.errors.SgbenchWarning": "a warning class",
    **BUILD_NOT_CALLED,
    **DATA_NOT_CALLED,
    **SCORING_NOT_CALLED,
    **RUN_NOT_CALLED,
}
CASES = cases(ENTRIES)


def public_names(module_name: str) -> dict[str, object]:
    """Every public name of one module of the API (``module.name`` → object)."""
    module = importlib.import_module(module_name)
    assert hasattr(module, "__all__"), f"{module_name} does not list its public names"
    return {f"{module_name}.{name}": getattr(module, name) for name in module.__all__}


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_a_public_function_gives_a_result_or_an_input_error(
    case: Case, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    run_case(case, tmp_path, request)


def _of(module_name: str, names: Iterable[str]) -> set[str]:
    return {name for name in names if name.rsplit(".", 1)[0] == module_name}


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_public_name_is_called_here_or_said_why_not(module_name: str) -> None:
    names = public_names(module_name)
    called = _of(module_name, (entry.name for entry in ENTRIES))
    not_called = _of(module_name, NOT_CALLED)
    unaccounted = sorted(set(names) - called - not_called)
    assert not unaccounted, f"public names with no boundary entry and no reason: {unaccounted}"
    stale = sorted((called | not_called) - set(names))
    assert not stale, f"entries for names the API does not list: {stale}"
    assert not called & not_called, f"both called and not called: {sorted(called & not_called)}"


def test_no_public_name_has_two_entries() -> None:
    names = [entry.name for entry in ENTRIES]
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_public_function_checks_its_arguments(module_name: str) -> None:
    unchecked = sorted(
        name
        for name, obj in public_names(module_name).items()
        if inspect.isfunction(obj) and obj.__module__.startswith("sgbench") and not is_public(obj)
    )
    assert not unchecked, (
        f"public functions not decorated with sgbench.boundary.public: {unchecked}"
    )
    for entry in ENTRIES:
        if entry.name.rsplit(".", 1)[0] == module_name:
            assert is_public(entry.function), f"{entry.name} is called here but not marked public"


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_public_method_of_a_checked_class_is_checked(module_name: str) -> None:
    """A method is an entry point as much as a function (``BuiltDataset.split(["default"], ...)``
    was a TypeError): a class marked public has each of its public methods checked."""
    unchecked = sorted(
        f"{name}.{attribute}"
        for name, obj in public_names(module_name).items()
        if isinstance(obj, type) and is_public(obj)
        for attribute, member in vars(obj).items()
        if not attribute.startswith("_")
        and inspect.isfunction(getattr(member, "__func__", member))
        and not is_public(getattr(member, "__func__", member))
    )
    assert not unchecked, f"public methods not checked: {unchecked}"


def test_nothing_outside_the_api_is_marked_public() -> None:
    """A function marked public but not listed would be an entry point no one documents."""
    listed = {id(obj) for name in PUBLIC_MODULES for obj in public_names(name).values()}
    marked = set()
    for info in pkgutil.walk_packages(sgbench.__path__, "sgbench."):
        if info.name.startswith("sgbench.cli") or info.name == "sgbench.__main__":
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if is_public(obj) and getattr(obj, "__module__", None) == info.name:
                marked.add((info.name, name, id(obj)))
    stray = sorted(f"{module}.{name}" for module, name, ident in marked if ident not in listed)
    assert not stray, f"marked public but in no __all__ of sgbench.boundary.PUBLIC_MODULES: {stray}"


RELATIONS = relations(ENTRIES)


@pytest.mark.parametrize("relation", RELATIONS, ids=[relation.id for relation in RELATIONS])
def test_equal_calls_give_equal_results(
    relation: Relation, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    run_relation(relation, tmp_path, request)


def _spelled(path: str | Path) -> str:
    """A result holding the path as spelled (a hole the twins must find)."""
    return str(path)


def _stamped(out: Path) -> None:
    """An output holding the moment of the call (a hole the repeat must find)."""
    Path(out).write_text(f"{time.perf_counter_ns()}\n", encoding="utf-8")


def _in_two_steps(out: Path) -> None:
    """An output appended to in two steps, no lock (a hole the threads must find)."""
    with Path(out).open("a", encoding="utf-8") as handle:
        handle.write("first half\n")
        handle.flush()
        time.sleep(0.2)
        handle.write("second half\n")


@pytest.mark.parametrize(
    ("function", "kind", "found"),
    [
        (_spelled, "twins", "path~relative: result: "),
        (_stamped, "repeat", "repeat: output 'out' has other bytes"),
        (_in_two_steps, "threads", "threads: the output is not one whole output"),
    ],
)
def test_the_relations_find_their_holes(
    function: Callable[..., Any],
    kind: str,
    found: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ALL_TWINS, "1")
    name = next(iter(inspect.signature(function).parameters))
    entry = Entry(
        function.__name__,
        public(function),
        lambda folder, request: {name: folder / "x"},
        outputs=(name,) if name == "out" else (),
    )
    with pytest.raises(AssertionError, match=re.escape(found)):
        run_relation(Relation(entry, kind), tmp_path, request)


@dataclass(frozen=True)
class _Copied(FromFiles):
    """A result read from a file (its text), which records the file."""

    text: str


def _copy_of(path: Path) -> _Copied:
    return _Copied(path.read_text(encoding="utf-8"), read_from=recorded(("SOURCE", path)))


def _write_unchecked(copied: _Copied, out: Path) -> None:
    """A writer of a result read from files with no :func:`~sgbench.files.writes`: it writes
    over what the result was read from (the hole the derived cases must find)."""
    Path(out).write_text(copied.text + "written\n", encoding="utf-8")


@writes(out="--out")
def _write_checked(copied: _Copied, out: Path) -> None:
    """The same writer, kept apart from its inputs."""
    Path(out).write_text(copied.text + "written\n", encoding="utf-8")


def _copied_args(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    source = folder / "source.txt"
    source.write_text("someone's text\n", encoding="utf-8")
    return {"copied": _copy_of(source), "out": folder / "out.txt"}


@pytest.mark.parametrize(
    ("function", "found"),
    [
        (
            _write_unchecked,
            {
                "same-as": "input .*source.txt changed",
                # The system's refusal, an InputError (sgbench.boundary.refused_path), not the
                # rule's: the harness still finds the hole. Over the folder holding the input,
                # any refusal will do, and the system's ("Is a directory") is one.
                "inside": "refused, but not as the input .*Not a directory",
            },
        ),
        (_write_checked, {}),
    ],
)
def test_the_derived_cases_find_a_writer_over_its_results_inputs(
    function: Callable[..., Any],
    found: dict[str, str],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    """Each writer's output is given what its result records it was read from, a name inside it
    and the folder holding it; a writer without the check is caught (the input written over, a
    crash), one with it passes every case."""
    entry = Entry(function.__name__, public(function), _copied_args, outputs=("out",))
    derived = [case for case in cases([entry]) if isinstance(case.value, Recorded)]
    assert [case.label for case in derived] == [
        f"{where}-copied.read_from" for where in ("same-as", "inside", "holding")
    ]
    for number, case in enumerate(derived):
        folder = tmp_path / str(number)
        folder.mkdir()
        hole = found.get(case.value.where)
        if hole is None:
            run_case(case, folder, request)
        else:
            with pytest.raises((AssertionError, pytest.fail.Exception), match=hole):
                run_case(case, folder, request)


def test_a_result_that_forgot_its_inputs_is_a_hole(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A result read from a file that records nothing leaves its writer nothing to keep out
    of: the derived cases fail on it rather than pass with nothing tried."""

    def forgetful(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
        source = folder / "source.txt"
        source.write_text("someone's text\n", encoding="utf-8")
        return {"copied": _Copied(source.read_text(encoding="utf-8")), "out": folder / "out"}

    entry = Entry("_write_checked", public(_write_checked), forgetful, outputs=("out",))
    case = next(case for case in cases([entry]) if isinstance(case.value, Recorded))
    with pytest.raises(pytest.fail.Exception, match="records no input it was read from"):
        run_case(case, tmp_path, request)
