"""The responses file of ``sgbench run``: resuming from it and appending to it.

JSON Lines, one object per line, appended as each request finishes and flushed at once, so an
interruption loses at most the requests still in flight. A line is either a response::

    {"id", "response", "model", "template", "params", "prompt_sha256", "finish_reason", "usage",
     "attempts"}

with, for a refusal, ``refusal`` (the model's refusal text or the finish reason) and an empty
``response``, and with ``--distribution``, ``distribution_mode``, ``distribution`` (and
``mass_outside`` or ``samples``),

or, when every attempt failed, an error line with an empty ``response`` (so ``sgbench parse``
reads it as missing) and the last error::

    {"id", "response": "", "error", "model", "template", "params", "attempts"}

Before a run, :func:`prepare_output` keeps the responses, drops error lines (their samples are
tried again), a line repeating an earlier one exactly and a line cut short by an interruption,
so after any run the file has at most one line per id; two different lines for one id are
refused, since keeping either would be a guess. Responses written with another model, template
or sampling parameters, or answering another prompt (``prompt_sha256``), are refused rather than
mixed.

Other commands that append one line per request (``sgbench judge``) describe their lines with a
:class:`LineFormat` (which fields identify a line, which settings must match) and reuse
:func:`prepare_output` and :func:`response_line` unchanged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from sgbench.boundary import ArgumentName, PathArg
from sgbench.errors import InputError, bounded, replace_surrogates, shown_model, shown_name
from sgbench.files import OutputKind, write_atomic
from sgbench.jsonl import loads_strict, raw_lines

PROMPT_KEY = "prompt_sha256"
"""Every line written records the request it answers (:func:`request_digest`), so that a
resume never keeps an answer to another prompt: a dataset rebuilt with other personas or
question texts, or, for a judgment, responses files whose texts changed under the same model
name, keep their sample ids (and the run's settings) but not their prompts."""

RUN_KEYS = ("model", "template", "params", "distribution_mode")
"""What must match between the lines already in a file and the run appending to it (a key a
line or the run lacks counts as None, so ``distribution_mode`` is written only when set)."""


@dataclass(frozen=True)
class LineFormat:
    """What identifies a line of an append-only output file, and what must match to resume."""

    keys: tuple[str, ...]
    """String fields that together identify a line (one line per key after tidying)."""
    run_keys: tuple[str, ...]
    """Settings every line must share with the run appending to the file."""
    name: str
    """What a line is, for error messages (``response line of `sgbench run` ``)."""
    settings: str
    """What the run keys are, for the resume error (``model, template or sampling parameters``)."""
    fields: tuple[str, ...] = ()
    """Fields every line written holds (an error line too): a line without one is another
    command's (a prediction or judgment line given as ``--out``) and is named as such, rather
    than reported as written with other settings (``model None``)."""
    texts: tuple[str, ...] = ()
    """Fields that are strings on every line: a line kept with ``"response": null`` would be
    skipped on every rerun and refused by ``sgbench parse`` every time."""


RESPONSES = LineFormat(
    keys=("id",),
    run_keys=RUN_KEYS,
    name="response line of `sgbench run`",
    settings="model, template or sampling parameters",
    fields=("response", "model", "template", "params"),
    texts=("response",),
)
"""The responses file of ``sgbench run``."""


TIDIED: Final = OutputKind("a file this run resumes", lambda head: True)
"""The kind of a ``--out`` that ``run`` or ``judge`` tidies: every line of it was judged just
before, under the run's lock, by the resume rules of this module (its own lines only, a last line
cut short only if it is one of its own), which are stricter than any first-line rule."""


def request_digest(messages: Sequence[Mapping[str, object]]) -> str:
    """The sha256 (hex) of the chat messages of a request, as canonical JSON (keys sorted, no
    spaces, UTF-8), recorded as :data:`PROMPT_KEY` on every line."""
    text = json.dumps(messages, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(replace_surrogates(text).encode("utf-8")).hexdigest()


def first_other_prompt(
    rows: Sequence[Mapping[str, Any]], template: str | None, digests: Mapping[str, str]
) -> str | None:
    """The first row's id whose recorded request digest (``digests``: id → :data:`PROMPT_KEY`
    of a responses file) is not that of ``template``'s prompt for the row, or None.

    Only a built-in template can be rendered again (a template file is recorded by name and
    hash, not kept), so the lines of another one, and ids without a digest, are not judged.
    """
    from sgbench.prompts import TEMPLATES, render_prompt

    known = TEMPLATES.get(template or "")
    if known is None:
        return None
    for row in rows:
        recorded = digests.get(str(row["id"]))
        if recorded is None:
            continue
        if recorded != request_digest(render_prompt(known, row)["messages"]):
            return str(row["id"])
    return None


def line_key(obj: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    """The identity of a line: its ``keys`` fields joined by a tab (the id alone for
    :data:`RESPONSES`); None when one of them is missing or not a string."""
    values = [obj.get(key) for key in keys]
    if not all(isinstance(value, str) for value in values):
        return None
    return "\t".join(str(value) for value in values)


@dataclass(frozen=True)
class ExistingOutput:
    """What :func:`prepare_output` found in the output file."""

    done: frozenset[str]
    """Keys (:func:`line_key`; for responses, ids) with a line; the run skips them."""
    n_errors_dropped: int
    """Error lines removed (their samples are tried again)."""
    n_duplicates_dropped: int
    n_truncated_dropped: int
    """An unfinished last line (0 or 1)."""


def _mismatch(
    line: Mapping[str, Any], run: Mapping[str, Any], run_keys: tuple[str, ...]
) -> str | None:
    for key in run_keys:
        written, wanted = line.get(key), run.get(key)
        if written != wanted:
            if shown_model(written) == shown_model(wanted):
                # They look alike ('café' in NFC and NFD, a zero-width space): show the code
                # points, or the line would name one value twice.
                return f"{key} {written!a}, but this run has {wanted!a}"
            return f"{key} {written!r}, but this run has {wanted!r}"
    return None


def prepare_output(
    path: PathArg,
    run: Mapping[str, Any],
    line_format: LineFormat = RESPONSES,
    in_split: Collection[str] | None = None,
    asked: Mapping[str, str] | None = None,
    *,
    out_name: ArgumentName,
) -> ExistingOutput:
    """Read an existing output file for resuming, and tidy it (module docstring).

    ``out_name`` is the argument ``path`` was given as, which a refusal tells to use another of
    (``out`` of ``run_model`` and ``judge_files``, ``out_path`` of ``run_benchmark``, ``--out``
    on the command line).

    ``run`` holds this run's ``line_format.run_keys`` (for responses, :data:`RUN_KEYS`); lines
    are identified by :func:`line_key`. ``in_split`` (when given) holds the ids of the split the
    run answers: a line of another split or config is refused rather than mixed in. ``asked``
    (when given) maps a line's key to the :func:`request_digest` of what this run sends for it:
    a kept line whose :data:`PROMPT_KEY` differs (or is missing) answers another prompt and is
    refused, never mixed with the answers to this run's prompts. A missing
    or empty file means nothing is done. The file is rewritten (atomically) only when a line is
    dropped or its last line has no newline.

    Raises:
        InputError: the path is a folder or unreadable, or a line is not an object with the
            format's keys (only a last line cut short is dropped: no newline, not JSON, and
            starting ``{"`` as every line written does; anything else is not ours to delete), or a
            line was written with other run settings, or its ``id`` is not in ``in_split``, or
            it answers another request than ``asked`` holds for its key, or two lines for one
            key differ.
    """
    where = Path(path)
    name = shown_name(str(path))
    if where.is_dir():
        raise InputError(f"{name}: is a folder; {out_name} needs a file")
    if not where.exists():
        return ExistingOutput(frozenset(), 0, 0, 0)
    kept: list[str] = []
    done: dict[str, tuple[int, Any]] = {}
    errors = duplicates = truncated = 0
    unfinished = False
    # Streamed (raw_lines opens regular files only: a FIFO or a device would block or never
    # end), so only the lines kept are held, never the whole file at once.
    for number, raw, complete in raw_lines(path):
        unfinished = not complete
        try:
            line = "" if raw is None else raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{name}: line {number}: not UTF-8 text (byte {exc.start + 1}), so it holds no "
                f"{line_format.name}; choose another {out_name}"
            ) from None
        if raw is not None and not line.strip():
            continue
        try:
            obj = loads_strict(line)
        except ValueError:  # not JSON, or out of bounds (too deep, a huge integer)
            obj = None
        key = line_key(obj, line_format.keys) if isinstance(obj, dict) else None
        if isinstance(obj, dict) and not (
            all(field in obj for field in line_format.fields)
            and all(isinstance(obj.get(field), str) for field in line_format.texts)
        ):
            key = None  # another command's line: an error line of a judgments file is not ours
        if not isinstance(obj, dict) or key is None:
            if unfinished and obj is None and line.startswith('{"'):
                truncated = 1  # the run writing it was stopped mid-line
                continue
            raise InputError(
                f"{name}: line {number}: not a {line_format.name}; choose another {out_name}"
            )
        if "error" in obj:
            errors += 1
            continue
        if in_split is not None and obj.get("id") not in in_split:
            raise InputError(
                f"{name}: line {number}: sample {str(obj.get('id'))[:100]!r} is not in the split "
                f"this run answers; use another {out_name} for another split or config"
            )
        problem = _mismatch(obj, run, line_format.run_keys)
        if problem is not None:
            raise InputError(
                f"{name}: line {number}: written with {bounded(problem)}; "
                f"use another {out_name} for another {line_format.settings}"
            )
        if asked is not None and key in asked and obj.get(PROMPT_KEY) != asked[key]:
            raise InputError(
                f"{name}: line {number}: answers another prompt than this run sends for "
                f"{bounded(key.replace(chr(9), ' '))!r} (the dataset was rebuilt, or the template "
                "or the responses judged changed, or the line records none); "
                f"use another {out_name}"
            )
        if key in done:
            first, first_obj = done[key]
            if obj != first_obj:  # which answer was meant is a guess: never drop one silently
                raise InputError(
                    f"{name}: line {number}: a second line for "
                    f"{bounded(key.replace(chr(9), ' '))!r} that differs from line {first}; keep "
                    f"the one you mean (or use another {out_name})"
                )
            duplicates += 1
            continue
        done[key] = (number, obj)
        kept.append(line.removesuffix("\r"))
    if errors or duplicates or truncated or unfinished:
        write_atomic(where, "".join(line + "\n" for line in kept), kind=TIDIED)
    return ExistingOutput(frozenset(done), errors, duplicates, truncated)


def response_line(record: Mapping[str, Any]) -> str:
    """One output line (JSON, no ASCII escaping, trailing newline), always valid UTF-8: a lone
    surrogate anywhere in it becomes U+FFFD (:func:`~sgbench.errors.replace_surrogates`)."""
    return replace_surrogates(json.dumps(record, ensure_ascii=False)) + "\n"
