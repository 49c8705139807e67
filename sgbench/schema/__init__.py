"""The JSON Schemas sgbench ships, and validators for them.

Every schema is a ``<name>.schema.json`` file in this package, written in JSON Schema Draft
2020-12 with ``$schema`` and ``$id`` set. :func:`validator` returns a Draft 2020-12 validator whose
registry holds every packaged schema (so a ``$ref`` to another packaged schema's ``$id`` resolves
without touching the network) and which checks ``format``.

One deliberate difference from plain Draft 2020-12: the validators treat ``"integer"`` as a JSON
number written without a fraction or exponent. The standard accepts ``3.0`` as an integer; sgbench
does not, because a prediction of ``3.0`` is usually a model or script emitting a float by mistake.
Booleans are never numbers (as in the standard).

And one fix to the standard's intent: a ``pattern``'s ``$`` means the end of the string, as in the
ECMA-262 regular expressions JSON Schema specifies. Python's ``$`` also matches before a final
newline, so ``"1.0.0\\n"`` passed ``^[0-9.]+$`` and a URL, a version or a distribution key
ending in a newline slipped through every schema.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from importlib import resources
from typing import Any, Final

from jsonschema import Draft202012Validator, ValidationError, validators
from jsonschema.protocols import Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from sgbench.boundary import public
from sgbench.errors import InputError, bounded

SCHEMA_SUFFIX: Final = ".schema.json"


def _is_strict_integer(checker: object, instance: object) -> bool:
    """A JSON integer token: a Python ``int`` from ``json.loads`` and not a ``bool``."""
    return isinstance(instance, int) and not isinstance(instance, bool)


@functools.cache
def _ecma_regex(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled with every ``$`` anchor (outside a character class, unescaped) as
    ``\\Z``: the end of the string only, as ECMA-262 reads ``$``."""
    out: list[str] = []
    in_class = False
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            out.append(char + next(chars, ""))
            continue
        if char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        out.append(r"\Z" if char == "$" and not in_class else char)
    return re.compile("".join(out))


def _pattern(
    validator: Validator, pattern: str, instance: object, schema: object
) -> Iterator[ValidationError]:
    if isinstance(instance, str) and not _ecma_regex(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


StrictDraft202012Validator: Final = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator,
    validators={"pattern": _pattern},
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_strict_integer),
)
"""Draft 2020-12 validation, except that ``3.0`` is not an ``integer`` and ``$`` in a
``pattern`` is the end of the string."""


@public
def schema_names() -> list[str]:
    """Names of the packaged schemas (file names without ``.schema.json``), sorted."""
    package = resources.files(__package__)
    return sorted(
        entry.name.removesuffix(SCHEMA_SUFFIX)
        for entry in package.iterdir()
        if entry.name.endswith(SCHEMA_SUFFIX)
    )


@functools.cache
def _load(name: str) -> str:
    # The name is looked up among the packaged ones before it becomes a path: as a path, a
    # 100,000-character name was an OSError and "../x" a file outside the package.
    if name not in schema_names():
        raise InputError(
            bounded(f"no packaged schema {name!r}; available: {', '.join(schema_names())}")
        )
    path = resources.files(__package__) / f"{name}{SCHEMA_SUFFIX}"
    return path.read_text(encoding="utf-8")


@public
def load_schema(name: str) -> dict[str, Any]:
    """A packaged schema as a fresh dict; ``name`` is e.g. ``"predictions"``.

    Raises:
        InputError: there is no such packaged schema (a name of :func:`schema_names`).
    """
    schema: dict[str, Any] = json.loads(_load(name.removesuffix(SCHEMA_SUFFIX)))
    return schema


@functools.cache
def registry() -> Registry[Any]:
    """A registry holding every packaged schema under its ``$id`` (never fetches anything)."""
    resources_ = [DRAFT202012.create_resource(load_schema(name)) for name in schema_names()]
    pairs: list[tuple[str, Resource[Any]]] = [(r.id() or "", r) for r in resources_]
    return Registry().with_resources(pairs)


@functools.cache
def _check_packaged(name: str) -> None:
    """Check the packaged schema ``name`` against the meta-schema, once per process: the files
    do not change while it runs, and the check cost more than most validations (every config,
    manifest and predictions file is validated)."""
    StrictDraft202012Validator.check_schema(load_schema(name))


@public
def validator(name: str) -> Validator:
    """A validator for the packaged schema ``name`` (schema checked, formats checked).

    Use ``iter_errors`` to report every problem; ``best_match`` for a one-line summary.

    Raises:
        InputError: there is no such packaged schema (a name of :func:`schema_names`).
    """
    schema = load_schema(name)
    _check_packaged(name)
    result: Validator = StrictDraft202012Validator(
        schema, registry=registry(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    return result


@public
def schema_problems(schema: Validator, instance: Any) -> list[str]:
    """Every error of ``instance`` as ``JSON_PATH: message``, sorted by path, then message, each
    :func:`~sgbench.errors.bounded` (a message quotes the value it is about).

    Raises:
        InputError: ``instance`` is nested too deeply to walk (a value built in Python: every
            parser of sgbench bounds the depth of what it reads, ``sgbench.jsonl.MAX_DEPTH``,
            but a 5,000-deep list was a RecursionError here).
    """
    try:
        errors = sorted(schema.iter_errors(instance), key=lambda e: (e.json_path, e.message))
        return [bounded(f"{e.json_path}: {e.message}") for e in errors]
    except RecursionError:
        raise InputError(
            "schema_problems(): the instance is nested too deeply to check; a JSON value of "
            "sgbench is a few levels deep"
        ) from None


__all__ = [
    "load_schema",
    "schema_names",
    "schema_problems",
    "validator",
]
