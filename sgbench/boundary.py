"""The public Python API, and the one rule for the arguments it is given.

sgbench's public Python API is the names each package lists in its ``__all__``
(``sgbench.builder``, ``sgbench.scoring``, …; docs/python-api.md lists them). Everything else is
internal: it may change in any release and trusts its callers inside the package, which is why
the public entry points check what they are given, once, here.

Every public function is decorated with :func:`public`. Before the function runs, each argument
passed is checked against the parameter's annotation, and one that is not of an annotated kind
(``None`` for a ``float``, a text for a ``Sequence[str]``, a name outside a ``Literal``, a
``bool`` for an ``int``) is an :class:`~sgbench.errors.InputError` naming the function and the
argument, rather than a traceback from deep inside pandas or, worse, a result computed from it.
What a kind cannot say (a NaN, a negative count, an output path equal to an input) stays the
function's own check; ``tests/test_api_boundary*.py`` calls every public function with such
values and requires an InputError or a correct result, never another exception.
"""

from __future__ import annotations

import collections.abc
import contextlib
import contextvars
import errno
import functools
import inspect
import numbers
import os
import pathlib
import re
import sys
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final, ParamSpec, TypeAlias, TypeVar

import numpy as np

from sgbench.errors import InputError, bounded, shown_name, shown_value, write_reason

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

PathArg: TypeAlias = str | os.PathLike[str]
"""The annotation of a public function's path argument: a text, a ``Path`` or any other
``os.PathLike`` (an opened ``BuiltDataset`` names its folder), as the run-time check takes it.
:func:`public` refuses an empty text (the working folder), passes another text on as it is (some
name something else too: a built-in template, a Hub id) and makes any other spelling a ``Path``
(:func:`plain_numbers`). Annotated ``str | Path``, an opened dataset that worked was an error to
mypy."""

PUBLIC_MARK: Final = "__sgbench_public__"
"""Attribute :func:`public` sets on what it decorates, so a test can tell the API's functions."""

PUBLIC_MODULES: Final = (
    "sgbench",
    "sgbench.baselines",
    "sgbench.builder",
    "sgbench.catalogue",
    "sgbench.dataset",
    "sgbench.errors",
    "sgbench.export",
    "sgbench.judge",
    "sgbench.leaderboard",
    "sgbench.paper",
    "sgbench.prompts",
    "sgbench.publish",
    "sgbench.runner",
    "sgbench.schema",
    "sgbench.scoring",
    "sgbench.splits",
    "sgbench.stats",
    "sgbench.validate",
)
"""The modules whose ``__all__`` is the public Python API (the command line, ``sgbench.cli``, is
its own interface). The one list: docs/python-api.md and the boundary tests read it."""


def read_only(value: Any) -> Any:
    """A copy of a JSON-like value whose mappings are read-only views (lists stay lists, copied).

    The one way a public result holds facts that are shared or trusted after a check: what is
    cached for the process (the paper's published table, the split definitions) or checked once
    (a dataset's manifest). A copy shared with the caller's dict (``Manifest.parse(raw)``, then
    ``raw["version"] = ...``) or a mapping a caller can assign into (``manifest.configs["x"] =
    ()``, ``paper_table().results.rows[...] = ...``) changed what every later call reads.
    """
    if isinstance(value, collections.abc.Mapping):
        return types.MappingProxyType({key: read_only(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return type(value)(read_only(item) for item in value)
    return value


_UNKNOWN: Final = object()
"""An annotation that cannot be resolved at run time (a name imported for type checking only):
its argument is not checked here."""

_TEXT_SEQUENCES: Final = (str, bytes, bytearray)
"""Values that are sequences to Python but never the sequence a parameter means: a ``str`` for a
``Sequence[str]`` would be taken one character at a time."""

_COLLECTIONS: Final = frozenset(
    {
        collections.abc.Sequence,
        collections.abc.Iterable,
        collections.abc.Collection,
        collections.abc.Iterator,
        list,
        tuple,
    }
)


def argument_hints(function: Callable[..., Any]) -> dict[str, Any]:
    """Each parameter's annotation as an object, or :data:`_UNKNOWN`, for a function (marked
    :func:`public` or not) or a class (its ``__init__``).

    Annotations are read from the undecorated function and resolved in its module, where their
    names live: a wrapper's globals are this module's, and a dataclass's generated ``__init__``
    has none of its module's names. ``typing.get_type_hints`` resolves all or nothing; a module
    importing a name under ``TYPE_CHECKING`` only would lose every check, so annotations are
    resolved one at a time.
    """
    module_name = getattr(function, "__module__", None)
    init = getattr(function, "__init__")  # noqa: B009 - mypy: __init__ of an instance is unsound
    target = inspect.unwrap(init if isinstance(function, type) else function)
    namespace = dict(getattr(target, "__globals__", {}))
    module = sys.modules.get(module_name) if isinstance(module_name, str) else None
    if module is not None:
        namespace.update(vars(module))
    hints: dict[str, Any] = {}
    for name, annotation in getattr(target, "__annotations__", {}).items():
        if name == "return":
            continue
        if isinstance(annotation, str):
            try:
                annotation = eval(annotation, namespace)
            except Exception:
                annotation = _UNKNOWN
        hints[name] = annotation
    return hints


def matches(value: object, hint: Any) -> bool:
    """Whether ``value`` is of the kind ``hint`` annotates, at its outer level (a list for a
    ``list[str]``, not each element: the elements are the function's business).

    Numbers follow Python's reading of annotations (an ``int`` is a ``float``) and numpy's
    scalars are numbers, but ``True`` is not a number here: ``replicates=True`` is a mistake.
    """
    if hint is _UNKNOWN or hint is Any or isinstance(hint, TypeVar | ParamSpec):
        return True
    if hint is None or hint is type(None):
        return value is None
    origin = typing.get_origin(hint)
    arguments = typing.get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        return any(matches(value, option) for option in arguments)
    if origin is typing.Literal:
        return literal_choice(value, arguments) is not None
    if origin is typing.Annotated:
        return matches(value, arguments[0])
    if origin is not None:
        if origin in _COLLECTIONS and isinstance(value, _TEXT_SEQUENCES):
            return False
        if origin is collections.abc.Callable:
            return callable(value)
        hint = origin
    if hint is float:
        return isinstance(value, numbers.Real) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if hint is bool:
        return isinstance(value, bool | np.bool_)
    if hint is pathlib.Path:
        # Any spelling of a path (plain_numbers makes it a Path); an empty text would read the
        # working folder.
        return isinstance(value, os.PathLike) or (isinstance(value, str) and value != "")
    if hint in (typing.IO, typing.TextIO, typing.BinaryIO):
        # Real streams (io.TextIOWrapper, io.StringIO) are not subclasses of typing's classes.
        return hasattr(value, "write") or hasattr(value, "read")
    if not isinstance(hint, type):
        return True
    try:
        return isinstance(value, hint)
    except TypeError:  # a Protocol that is not runtime-checkable, a TypedDict
        return True


def literal_choice(value: object, choices: tuple[Any, ...]) -> tuple[Any] | None:
    """``(choice,)`` for the one of ``choices`` (a ``Literal``'s) that ``value`` names, or None.

    A value names a choice when it equals it and is of its kind, a subclass included: a numpy
    text (``np.str_``, what a name read from an array is) or any ``str`` subclass names
    ``'questions'`` as ``'questions'`` does (it was refused with a message quoting
    ``'questions'`` as not one of ``'questions', ...``). A bool never names a number, nor a
    number a bool (``1 == True`` in Python).
    """
    for choice in choices:
        if (
            value == choice
            and isinstance(value, type(choice))
            and isinstance(value, bool) == isinstance(choice, bool)
        ):
            return (choice,)
    return None


def described(hint: Any) -> str:
    """``hint`` in words, for a message: ``float or None``, ``one of 'a', 'b'``."""
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        return " or ".join(dict.fromkeys(described(option) for option in typing.get_args(hint)))
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(option) for option in typing.get_args(hint))
    if origin is typing.Annotated:
        return described(typing.get_args(hint)[0])
    if hint is None or hint is type(None):
        return "None"
    if origin is not None:
        hint = origin
    if hint is os.PathLike:
        return "os.PathLike"  # as Python's own messages name it
    return getattr(hint, "__name__", None) or str(hint)


def check_arguments(
    where: str, signature: inspect.Signature, hints: dict[str, Any], bound: dict[str, Any]
) -> None:
    """Raise an InputError for the first argument in ``bound`` that is not of its kind."""
    for name, value in bound.items():
        hint = hints.get(name, _UNKNOWN)
        kind = signature.parameters[name].kind
        values: tuple[Any, ...] = (value,)
        if kind is inspect.Parameter.VAR_POSITIONAL:
            values = tuple(value)
        elif kind is inspect.Parameter.VAR_KEYWORD:
            values = tuple(value.values())
        for one in values:
            if _takes_path(_options(hint)) and isinstance(one, str | os.PathLike):
                problem = _path_text_problem(one)
                if problem is not None:
                    raise InputError(f"{where}: argument {name!r} {problem}")
            if not matches(one, hint):
                raise InputError(
                    bounded(
                        f"{where}: argument {name!r} must be {described(hint)}, "
                        f"got {type(one).__name__} {shown_value(one)}"
                    )
                )


def _path_text_problem(value: str | os.PathLike[Any]) -> str | None:
    """Why a path argument's text cannot name a file, or None: empty (``Path("")`` is the
    working folder: read, or replaced as an output), not a text (an ``os.PathLike`` returning
    bytes or anything else, a ``TypeError`` deep in the function), or holding a NUL byte (no
    file name can; a ``ValueError`` when opened)."""
    try:
        text = os.fspath(value)
    except TypeError as exc:
        return f"is not a path ({exc})"
    if not isinstance(text, str):
        return f"names its path as {type(text).__name__}, not text; give a str or a Path"
    if text == "":
        return "is an empty path; give a file or folder"
    if "\0" in text:
        return "holds a NUL byte, which no file name can; give a file or folder"
    return None


def _options(hint: Any) -> tuple[Any, ...]:
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        return typing.get_args(hint)
    return (hint,)


def plain_numbers(
    signature: inspect.Signature, hints: dict[str, Any], bound: dict[str, Any]
) -> dict[str, Any]:
    """The arguments in ``bound`` that are numpy numbers (``np.int64(5)``) for an ``int`` or
    ``float`` parameter, as Python's own ``int`` or ``float``; subclasses of ``str`` (an
    ``Enum`` mixing in ``str``, a caller's own text class) for a ``str`` parameter, as a plain
    ``str`` of the same characters; a ``str`` subclass naming a ``Literal`` choice
    (:func:`literal_choice`), as the choice itself; and a path spelled otherwise than the
    parameter is annotated (:func:`_path_spelling`: a text for a ``Path``-only parameter, any
    ``os.PathLike`` such as an opened ``BuiltDataset`` for a path), as a ``Path``.

    The kind check lets numpy's scalars through as numbers (a seed drawn with numpy, a count
    from a DataFrame), but checks written as ``isinstance(seed, int)`` refused them with a
    message quoting ``np.int64(5)``, and a ``float32`` does not serialise to JSON; converted
    here, once, every function sees the numbers it was written for. A text subclass passes the
    kind check too, but may format as something else: ``class Config(str, Enum)``'s member
    ``"default"`` compared equal to ``"default"`` and then formatted as ``Config.DEFAULT`` in a
    file name, so ``load_split(ds, Config.DEFAULT, "test_ood")`` was refused as a dataset whose
    manifest lacks a hash. A path is one argument however it is spelled: ``run_benchmark``
    refused a text ``out_path`` that ``import_paper_outputs`` took, and ``compute_stats`` an
    opened dataset that ``run_baseline`` took.
    """
    plain: dict[str, Any] = {}
    for name, value in bound.items():
        if signature.parameters[name].kind in (
            inspect.Parameter.VAR_POSITIONAL,
            inspect.Parameter.VAR_KEYWORD,
        ) or isinstance(value, bool | np.bool_):
            continue
        options = _options(hints.get(name, _UNKNOWN))
        kind = type(value)
        named = [
            found[0]
            for option in options
            if typing.get_origin(option) is typing.Literal
            and (found := literal_choice(value, typing.get_args(option))) is not None
        ]
        if named and kind is not type(named[0]):
            plain[name] = named[0]
        elif _takes_path(options) and _path_spelling(value, options):
            plain[name] = pathlib.Path(os.fspath(value))
        elif int in options and kind is not int and isinstance(value, numbers.Integral):
            plain[name] = int(value)
        elif (
            float in options
            and kind is not float
            and isinstance(value, numbers.Real)
            and not isinstance(value, numbers.Integral)
        ):
            plain[name] = float(value)
        elif str in options and kind is not str and isinstance(value, str):
            plain[name] = str.__str__(value)
    return plain


def _takes_path(options: tuple[Any, ...]) -> bool:
    """Whether an annotation's ``options`` take a path: a ``Path`` or :data:`PathArg`."""
    return any(
        option is pathlib.Path or (typing.get_origin(option) or option) is os.PathLike
        for option in options
    )


def _path_spelling(value: object, options: tuple[Any, ...]) -> bool:
    """Whether ``value`` is a path the parameter takes only as a :class:`~pathlib.Path`: a text
    where no text is annotated, or another ``os.PathLike`` (an opened ``BuiltDataset`` names
    its folder) where its own class is not."""
    if isinstance(value, pathlib.PurePath):
        return False
    if isinstance(value, str):
        return str not in options and value != ""
    return isinstance(value, os.PathLike) and not any(
        isinstance(option, type) and option is not os.PathLike and isinstance(value, option)
        for option in options
    )


_ON_THE_COMMAND_LINE: Final[contextvars.ContextVar[bool]] = contextvars.ContextVar(
    "sgbench_on_the_command_line", default=False
)
"""Whether the running call came from the command line (:func:`named_as_on_the_command_line`)."""


@contextlib.contextmanager
def named_as_on_the_command_line() -> Iterator[None]:
    """Within the block, every :class:`ArgumentName` is shown as the command line spells it.

    ``sgbench.cli`` runs each command in it; any other caller is a Python caller. A flag of the
    call, not an argument of each function, since the names are shown far below the entry
    point (a result's recorded inputs, checked by the writer it is given to).
    """
    token = _ON_THE_COMMAND_LINE.set(True)
    try:
        yield
    finally:
        _ON_THE_COMMAND_LINE.reset(token)


@dataclass(frozen=True)
class ArgumentName:
    """An argument of a public function as a message names it: ``parameter`` (``path``,
    ``predictions_path``) to a Python caller, ``option`` (``--json``, ``PRED``) on the command
    line (:func:`named_as_on_the_command_line`), which is what ``str()`` gives.

    The one rule of it: ``write_report(report, "p.jsonl")`` told a Python caller that ``--json
    would overwrite the input p.jsonl (PRED)``, options of a command it never ran.
    """

    parameter: str
    """The Python parameter's name."""
    option: str
    """What the command line's user types for it: an option (``--json``) or an argument
    (``PRED``)."""

    def __str__(self) -> str:
        return self.option if _ON_THE_COMMAND_LINE.get() else self.parameter


def public(function: Callable[P, R]) -> Callable[P, R]:
    """Mark ``function`` as part of the public API and check its arguments' kinds on each call.

    Annotations are resolved at the first call (a module's later names exist by then). A call
    the signature cannot bind is left to Python's own ``TypeError``.
    """
    return _checked(function, f"{function.__qualname__}()")


_PARTS: Final = re.compile(r"[\\/]")
"""What separates the names in a path (either separator: a path may be written for Windows)."""


def unseen_names(hints: dict[str, Any], bound: dict[str, Any]) -> list[str]:
    """The parts of the caller's paths in ``bound`` (each name between separators, of every
    argument a path annotates, alone or in a list or mapping) that do not print as themselves
    (:func:`~sgbench.errors.shown_name` would escape them), longest first."""
    found: set[str] = set()

    def collect(value: object, depth: int) -> None:
        if isinstance(value, str | os.PathLike):
            try:
                text = os.fspath(value)
            except TypeError:
                return
            if isinstance(text, str):
                found.update(part for part in _PARTS.split(text) if not part.isprintable())
        elif depth < 2 and isinstance(value, Mapping):
            for key, item in value.items():
                collect(key, depth + 1)
                collect(item, depth + 1)
        elif depth < 2 and isinstance(value, list | tuple | set | frozenset):
            for item in value:
                collect(item, depth + 1)

    for name, value in bound.items():
        if _mentions_path(hints.get(name, _UNKNOWN)):
            collect(value, 0)
    return sorted(found, key=len, reverse=True)


def _mentions_path(hint: Any) -> bool:
    """Whether ``hint`` takes a path, itself or among what it holds (``list[PathArg]``)."""
    return _takes_path(_options(hint)) or any(
        _mentions_path(arg) for arg in typing.get_args(hint) if not isinstance(arg, str)
    )


def _show_names(exc: InputError, names: list[str]) -> None:
    """``exc``'s message with each of ``names`` (:func:`unseen_names`) as
    :func:`~sgbench.errors.shown_name` shows it: the one rule for a caller's path in a message
    to a Python caller. The command line refuses such names before any command runs and shows
    every line escaped; a Python caller got ``score_predictions("x.jsonl\\nError: forged", ds)``
    refused with two lines, the second its own ``Error:`` line, since the messages that name
    an input (``no such file``, ``no such dataset folder`` and a hundred more) quote the path
    as given. Escaped here, where the caller's arguments are known, every message of every
    public function is one line per problem, however deep it was raised."""
    if not names or not exc.args or not isinstance(exc.args[0], str):
        return
    message = exc.args[0]
    for name in names:
        message = message.replace(name, shown_name(name))
    exc.args = (message, *exc.args[1:])


def _checked(
    function: Callable[P, R], where: str, owner: Callable[..., Any] | None = None
) -> Callable[P, R]:
    """``function`` checking its arguments; their annotations are those of ``owner`` (a class,
    for its ``__init__``) when given."""
    signature = inspect.signature(function)
    resolved: list[dict[str, Any]] = []

    @functools.wraps(function)
    def checked(*args: P.args, **kwargs: P.kwargs) -> R:
        if not resolved:
            resolved.append(argument_hints(owner if owner is not None else function))
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError:
            return function(*args, **kwargs)
        check_arguments(where, signature, resolved[0], bound.arguments)
        plain = plain_numbers(signature, resolved[0], bound.arguments)
        try:
            if plain:
                bound.arguments.update(plain)
                return function(*bound.args, **bound.kwargs)
            return function(*args, **kwargs)
        except InputError as exc:
            _show_names(exc, unseen_names(resolved[0], bound.arguments))
            raise
        except OSError as exc:
            refused = refused_path(exc)
            if refused is None:
                raise
            raise refused from None

    setattr(checked, PUBLIC_MARK, True)
    return checked


def refused_path(exc: OSError) -> InputError | None:
    """``exc`` as the caller's problem when it names a file (a path the system refused: too
    long a name, no permission, a file where a folder should be, a full disk), else None.

    A public function's checks refuse what they can foresee; the system refuses the rest where
    the path is first touched, and a name too long fails even ``Path.exists()``, which says
    False of a missing file. Each such refusal reached a Python caller as the raw ``OSError``
    (``build_dataset`` on a 300-byte name, ``write_report`` into a read-only folder), where the
    command line gave one line. Turned here, where every public call returns, with the command
    line's own text (:func:`~sgbench.errors.write_reason`, as in ``sgbench.cli.errors``), no
    public function can leak one, whichever path (an argument, one in a list, one a config file
    names) it came from. An ``OSError`` naming no file (a broken pipe, a lost connection) is not
    about a path the caller gave, and goes through.
    """
    if not isinstance(exc.filename, str | bytes):
        return None
    where = bounded(shown_name(os.fsdecode(exc.filename)))
    if exc.errno == errno.ENAMETOOLONG:
        return InputError(f"{where}: {exc.strerror or exc}; give a shorter name")
    return InputError(f"{where}: {write_reason(exc)}")


def public_class(cls: type[T]) -> type[T]:
    """:func:`public` for a class a caller constructs or is given: its ``__init__`` and each of
    its public methods (a name without a leading underscore, class and static methods too) are
    checked, each named ``Class.method()`` in a message.

    A method is an entry point as much as a function: ``BuiltDataset.split(["default"], ...)``
    was a ``TypeError`` (unhashable list) and ``table(..., columns="id")`` read the text one
    letter at a time, looking for a column ``'i'``.
    """
    # A message names the class, as its caller wrote it, not its __init__.
    checked = _checked(getattr(cls, "__init__"), f"{cls.__qualname__}()", owner=cls)  # noqa: B009
    type.__setattr__(cls, "__init__", checked)
    for name, member in list(vars(cls).items()):
        if name.startswith("_"):
            continue
        wrapper: type[classmethod[Any, Any, Any]] | type[staticmethod[Any, Any]] | None = None
        if isinstance(member, classmethod | staticmethod):
            wrapper, member = type(member), member.__func__
        if not inspect.isfunction(member):
            continue  # a property, a nested class, a constant
        method: Any = _checked(member, f"{cls.__qualname__}.{name}()")
        type.__setattr__(cls, name, wrapper(method) if wrapper is not None else method)
    setattr(cls, PUBLIC_MARK, True)
    return cls


def is_public(obj: object) -> bool:
    """Whether ``obj`` was marked by :func:`public` or :func:`public_class`."""
    return bool(getattr(obj, PUBLIC_MARK, False))


__all__ = [
    "PUBLIC_MARK",
    "PUBLIC_MODULES",
    "ArgumentName",
    "PathArg",
    "argument_hints",
    "described",
    "is_public",
    "matches",
    "named_as_on_the_command_line",
    "public",
    "public_class",
    "read_only",
]
