"""Fill a ``str.format`` template with one sample's fields (standard library only).

``sgbench export lm-eval`` copies this module verbatim into the task's ``utils.py``, so the
harness renders exactly the text ``sgbench prompts`` writes, without sgbench installed. Hence it
imports nothing outside the standard library and nothing from sgbench.

A *row* is one dataset sample as a mapping (a pandas record or a ``datasets`` row): ``options``
is a sequence of ``{"code", "label"}`` in scale order and ``subgroup`` a mapping of attribute
values (null where the stratum does not use the attribute).
"""

from __future__ import annotations

import math
import operator
import string
from collections.abc import Iterable, Mapping
from typing import Any

SCALAR_FIELDS = (
    "id",
    "question_id",
    "question",
    "section",
    "scale_type",
    "subgroup_id",
    "stratum",
    "persona",
    "country",
    "wave",
    "subgroup_size",
)
"""Row fields a template may use as they are."""

DERIVED_FIELDS = ("subgroup", "options", "codes")
"""Fields computed from the row: ``subgroup`` (attribute → value, ``""`` where unused; use
``{subgroup[religion]}``), ``options`` (one ``<code>. <label>`` line per option, in scale order)
and ``codes`` (the option codes, ``1, 2, 3, 4``)."""

PROMPT_FIELDS = SCALAR_FIELDS + DERIVED_FIELDS
"""Every field a prompt template may use."""

TARGET_FIELDS = frozenset(
    {"answer", "modal_answers", "distribution", "counts", "margin", "n_valid"}
)
"""Row fields that carry (or give away) the subgroup's answers; prompt templates may not use
them. ``n_valid`` is included because it is a count of the very answers being predicted."""


def code(value: Any) -> int:
    """An option code or answer as an ``int``: an integer, never a ``bool``, a ``float`` or a
    text (``int()`` read an option code ``1.7`` as 1, ``True`` and ``"01"`` as 1, and the prompt
    listed an option the row does not have).

    Raises:
        TypeError: ``value`` is not an integer.
    """
    if isinstance(value, bool):
        raise TypeError(f"a code is an integer, not {value!r}")
    return operator.index(value)


def missing(value: Any) -> bool:
    """Whether a row's value is absent: None, or a float NaN (how pandas marks a missing one)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


class Fields(dict[str, Any]):
    """A row's fields for ``str.format_map``: a field a template names must have a value (a
    missing persona was rendered as the text ``None``, a pandas NaN as ``nan``)."""

    def __getitem__(self, key: str) -> Any:
        value = super().__getitem__(key)
        if missing(value):
            raise ValueError(f"field {key!r} has no value ({value!r})")
        return value


def option_pairs(options: Iterable[Mapping[str, Any]]) -> list[tuple[int, str]]:
    """``(code, label)`` of each option, in the given (scale) order (:func:`code`)."""
    return [(code(option["code"]), str(option["label"])) for option in options]


def prompt_fields(row: Mapping[str, Any]) -> Fields:
    """The fields of :data:`PROMPT_FIELDS` for one row (scalar fields the row lacks are absent;
    an attribute the stratum does not use, None or NaN, is ``""``)."""
    pairs = option_pairs(row["options"])
    subgroup = row.get("subgroup") or {}
    fields = Fields({name: row[name] for name in SCALAR_FIELDS if name in row})
    fields["subgroup"] = {k: "" if missing(v) else str(v) for k, v in subgroup.items()}
    fields["options"] = "\n".join(f"{code}. {label}" for code, label in pairs)
    fields["codes"] = ", ".join(str(code) for code, _ in pairs)
    return fields


def field_roots(template: str) -> list[str]:
    """Names a ``str.format`` template uses, without indexing (``subgroup[sex]`` → ``subgroup``).

    Positional fields (``{}``, ``{0}``) come back as ``""`` or the digit string.

    Raises:
        ValueError: the text is not a valid format string (an unmatched brace).
    """
    roots: list[str] = []
    for _, name, _, _ in string.Formatter().parse(template):
        if name is not None:
            roots.append(name.split("[", 1)[0].split(".", 1)[0])
    return roots


def render_messages(system: str | None, user: str, row: Mapping[str, Any]) -> list[dict[str, str]]:
    """Chat messages for one row: a system message when ``system`` is given, then the user's."""
    fields = prompt_fields(row)
    messages = [] if system is None else [{"role": "system", "content": system.format_map(fields)}]
    messages.append({"role": "user", "content": user.format_map(fields)})
    return messages


def prompt_text(messages: Iterable[Mapping[str, object]]) -> str:
    """The plain-text prompt: the messages' contents joined by a blank line."""
    return "\n\n".join(str(message["content"]) for message in messages)


def answer_prefix(target: str) -> str:
    """What a target template puts before the answer code (``"Answer: {answer}"`` → ``"Answer:"``).

    Used for log-likelihood scoring, where the prompt ends with this prefix and each choice is the
    code alone. Trailing whitespace is dropped because the harness inserts one space itself.
    """
    head, _, _ = target.partition("{answer}")
    return head.replace("{{", "{").replace("}}", "}").rstrip()


def choice_text(system: str | None, user: str, target: str, row: Mapping[str, Any]) -> str:
    """The multiple-choice context: the prompt text, then the target's prefix on its own line."""
    text = prompt_text(render_messages(system, user, row))
    prefix = answer_prefix(target)
    return f"{text}\n{prefix}" if prefix else text


def choices(row: Mapping[str, Any]) -> list[str]:
    """The answer choices of a row: its option codes as text, in scale order."""
    return [str(code) for code, _ in option_pairs(row["options"])]


def target_index(row: Mapping[str, Any]) -> int:
    """Index in :func:`choices` of the row's modal answer (``answer``: on ties, the first in scale
    order)."""
    codes = [number for number, _ in option_pairs(row["options"])]
    return codes.index(code(row["answer"]))
