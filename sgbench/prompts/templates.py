"""Prompt templates: the built-in ones, user template files, and rendering a split's prompts.

A template is a system message (optional), a user message and a target, each a Python
``str.format`` string (no Jinja2): ``{persona}``, ``{question}``, ``{options}``, ``{codes}``,
``{subgroup[religion]}`` and the other names of :data:`~sgbench.prompts.render.PROMPT_FIELDS`;
literal braces are doubled (``{{`` and ``}}``). The target (what a fine-tuned model should
reply) may only use ``{answer}``, the modal code. Fields that reveal the subgroup's answers
(:data:`~sgbench.prompts.render.TARGET_FIELDS`) are refused in prompts.

A template file is YAML or JSON (``.yaml``, ``.yml``, ``.json``) with the keys ``user``
(required), ``system`` and ``target`` (optional); any other file is read as the user message
alone. Templates are checked when loaded, so an unknown field fails before any request is sent.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import re
import string
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypedDict

from sgbench.boundary import ArgumentName, PathArg, public, public_class
from sgbench.errors import InputError, bounded, first_unseen, shown_value
from sgbench.files import FromFiles, input_problem, recorded
from sgbench.jsonl import loads_strict, loads_yaml, read_bounded
from sgbench.prompts.render import (
    PROMPT_FIELDS,
    TARGET_FIELDS,
    code,
    field_roots,
    option_pairs,
    prompt_text,
    render_messages,
)

if TYPE_CHECKING:
    from sgbench.dataset import BuiltDataset

DEFAULT_TARGET: Final = "Answer: {answer}"
"""The paper's answer form."""

TEMPLATE_FILE_KEYS: Final = frozenset({"system", "user", "target"})

_LAYOUT: Final = "\n\t"
"""The only characters a template may hold that do not print (:func:`sgbench.errors.first_unseen`
refuses the others: a NUL byte, a carriage return, an escape, a bidirectional control, a
zero-width space or a tag character is sent to every model unseen in any editor; U+202E shows
the text after it reversed, and a NUL is what a UTF-16 or binary file read as UTF-8 looks
like)."""
MAX_FIELDS: Final = 1_000
"""Most fields a template names in its system and user messages together. Each is replaced in
every prompt by up to a few KB (a question, its options), so a template repeating ``{options}``
a million times (15 MB, within the file bound) rendered a 100 MB prompt and took 1.2 GB before
writing one line; at this bound a prompt stays within a few MB. The built-ins name five at
most."""
_YAML_HINT: Final = " (in YAML, quote a value that starts with '{' or use a block scalar |)"
"""YAML reads an unquoted ``{persona} ...`` as a mapping: the usual mistake in a template file."""


@public_class
@dataclass(frozen=True)
class Template(FromFiles):
    """A prompt template (see the module docstring for the format); one read from a file
    records it (``read_from``), a built-in one nothing."""

    name: str
    """Recorded with every prompt and response: the built-in name, or for a file its stem and the
    first 12 hex digits of its sha256 (``mine@0123456789ab``), so a changed file is a new name."""
    user: str
    """The user message."""
    system: str | None = None
    """The system message; ``None`` sends the user message alone."""
    target: str = DEFAULT_TARGET
    """The assistant's reply for fine-tuning; only ``{answer}`` (the modal code) is available."""
    description: str = ""
    """One line for ``--help`` and the README."""


BUILTIN_TEMPLATES: Final[tuple[Template, ...]] = (
    Template(
        name="paper",
        system="{persona}",
        user="{question}\n\n{options}\n\n"
        'Answer with the number of one option, in the form "Answer: <number>".',
        description='the paper\'s form: persona as the system message, "Answer: <number>"',
    ),
    Template(
        name="plain",
        user="{persona}\n\n{question}\n\n{options}\n\nReply with the number of one option only.",
        target="{answer}",
        description="one user message (persona first), for models without a system role",
    ),
    Template(
        name="json",
        system="{persona}",
        user="{question}\n\n{options}\n\n"
        'Reply with a JSON object only, of the form {{"answer": <number>}}, '
        "where <number> is one of {codes}.",
        target='{{"answer": {answer}}}',
        description='persona as the system message, the answer as {"answer": <number>}',
    ),
    Template(
        name="verbalized",
        system="{persona}",
        user="{question}\n\n{options}\n\n"
        "How would people like you answer? For each option, give the percentage of them who "
        "would choose it. Reply with a JSON object only, mapping each option number to a "
        'percentage, e.g. {{"1": 40, "2": 60}}, over the options {codes}; the percentages add '
        "up to 100.",
        target='{{"{answer}": 100}}',
        description="persona as the system message, a percentage per option as JSON (for "
        "`sgbench run --distribution verbalized`)",
    ),
    Template(
        name="open",
        system="{persona}",
        user="{question}\n\n"
        "Give your own view on this in a few sentences, in your own words, as the person you "
        "are. Do not reply with an option number.",
        # No free-text reference answer exists, so the fine-tuning target stays the modal code.
        description="open-ended: persona as the system message, the question without numbered "
        "options, a few sentences of free text (judge them with `sgbench judge`)",
    ),
)
"""The built-in templates; adding one is adding one entry here."""

TEMPLATES: Final[Mapping[str, Template]] = {t.name: t for t in BUILTIN_TEMPLATES}
"""Built-in templates by name."""


class Message(TypedDict):
    """One chat message."""

    role: str
    content: str


class Prompt(TypedDict):
    """One sample's prompt, as written by ``sgbench prompts`` (one JSON object per line)."""

    id: str
    template: str
    messages: list[Message]
    prompt: str


_SUBGROUP_KEY: Final = re.compile(r"subgroup\[[a-z][a-z0-9_]*\]")


def _field_shape_problem(text: str) -> str | None:
    """Why a field of ``text`` is more than a name, or None. Only ``{name}`` and
    ``{subgroup[attribute]}`` are allowed: a format spec (``{question:>999999999}``) can
    allocate gigabytes, and attribute or index access (``{question.__class__}``) reaches into
    Python objects and makes the text depend on the Python version."""
    for _, name, spec, conversion in string.Formatter().parse(text):
        if name is None:
            continue
        if spec or conversion:
            shown = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            return f"{{{shown}}}: format specs and conversions are not allowed; write {{{name}}}"
        if ("." in name or "[" in name) and not _SUBGROUP_KEY.fullmatch(name):
            return (
                f"{{{name}}}: attribute or index access is not allowed "
                "(only {subgroup[attribute]})"
            )
        if name == "subgroup":  # a whole mapping: Python's repr of it, not text
            return "{subgroup}: name one attribute, such as {subgroup[religion]}"
    return None


QUESTION_FIELDS: Final = ("question", "options", "codes", "question_id", "id")
"""Prompt fields that tell one question from another: a template names at least one."""


def check_template(template: Template, where: str) -> Template:
    """Return ``template`` if every field it uses exists, otherwise raise.

    Raises:
        InputError: an unmatched brace, a positional field, an answer field or an unknown field
            in a prompt part, a field other than ``{answer}`` in the target, a control character
            other than newline and tab or a bidirectional control, or a field that is
            more than a name (a format spec, a conversion, attribute or index access other than
            ``{subgroup[attribute]}``, or the whole ``{subgroup}`` mapping), an empty user
            or system message, a target naming ``{answer}`` other than once, or no field of
            :data:`QUESTION_FIELDS` in the system and user messages (every question would get
            the same prompt), or more than :data:`MAX_FIELDS` fields, or a name that is empty
            or holds a character that does not print; the message names ``where`` and the part.
    """
    # The name is recorded in every prompt, response and task file: a file's stem is held to
    # this already (:func:`_read_template_file`), a Template made in Python was not (a lone
    # surrogate could not be written at all, an escape was kept in every prompt line).
    unseen = first_unseen(template.name)
    if not template.name or unseen is not None:
        shown = "empty" if unseen is None else f"U+{ord(template.name[unseen]):04X} at {unseen + 1}"
        raise InputError(
            bounded(
                f"{where}: name: {shown}; a template's name is recorded with every prompt, "
                "so it is printable text"
            )
        )
    parts = {"system": template.system, "user": template.user, "target": template.target}
    count = 0
    for part, text in parts.items():
        if text is None:
            continue
        unseen = first_unseen(text, _LAYOUT)
        if unseen is not None:
            raise InputError(
                f"{where}: {part}: character {unseen + 1} is {text[unseen]!a}, a control or "
                "bidirectional character or another that does not print; write plain text "
                "(newlines and tabs are fine)"
            )
        allowed = ("answer",) if part == "target" else PROMPT_FIELDS
        try:
            roots = field_roots(text)
        except ValueError as exc:
            raise InputError(f"{where}: {part}: not a str.format template ({exc})") from None
        count += 0 if part == "target" else len(roots)  # {answer} is a code, once
        if count > MAX_FIELDS:
            raise InputError(
                f"{where}: {part}: more than {MAX_FIELDS:,} fields in the template; each "
                "becomes a question's or its options' text in every prompt"
            )
        for root in roots:
            if root in allowed:
                continue
            if root == "" or root.isdigit():
                problem = "positional fields ({} or {0}) are not allowed; name a field"
            elif root in TARGET_FIELDS:
                problem = f"{{{root}}} gives the subgroup's answers away; prompts cannot use it"
            else:
                problem = f"unknown field {{{root}}}; available: {', '.join(allowed)}"
            raise InputError(f"{where}: {part}: {problem} (write {{{{ and }}}} for braces)")
        shape = _field_shape_problem(text)
        if shape is not None:
            raise InputError(f"{where}: {part}: {shape} (write {{{{ and }}}} for braces)")
    if not template.user.strip():
        raise InputError(f"{where}: user: the user message is empty")
    if template.system is not None and not template.system.strip():
        # An empty system message was sent as one (" " or ""), where none was meant.
        raise InputError(f"{where}: system: the system message is empty; leave system out")
    answers = [f for _, f, _, _ in string.Formatter().parse(template.target) if f is not None]
    if answers.count("answer") != 1:
        # Without {answer} every fine-tuning reply was the same text ("Answer", " ") and the
        # lm-eval prefix the whole target; twice, the prefix lost the first answer.
        raise InputError(
            f"{where}: target: names {{answer}} {answers.count('answer')} times; the target is "
            "the reply with the answer code, so it names {answer} once (the default: "
            f"{DEFAULT_TARGET!r})"
        )
    named = {*field_roots(template.user), *field_roots(template.system or "")}
    if not named & set(QUESTION_FIELDS):
        # Every question would get the same prompt (and with {subgroup[...]} alone, an empty
        # one where the stratum lacks the attribute): a template that names no question is a
        # mistake, whatever else it names.
        raise InputError(
            f"{where}: user: names no field of the question ("
            + ", ".join(f"{{{name}}}" for name in QUESTION_FIELDS)
            + "), so every question would get the same prompt; use {question}, {options} and "
            "{persona} (see docs/running-models.md)"
        )
    return template


@functools.lru_cache(maxsize=64)
def checked_template(template: Template) -> Template:
    """:func:`check_template` of a template about to be filled, once per template.

    A :class:`Template` made in Python is not checked when made (only :func:`load_template`
    checks what it reads), so every place that fills one, or hands it to another tool, passes
    it through here: a ``{question:>999999999}`` format spec allocated gigabytes per prompt.

    Raises:
        InputError: as :func:`check_template`, naming the template.
    """
    return check_template(template, f"template {template.name!r}")


_TEMPLATE_FILE: Final = ArgumentName("name_or_path", "--template")
"""How a template records the file :func:`load_template` read it from, looked up by
:func:`template_where` as recorded, not by what either caller sees."""


def template_where(template: Template) -> str:
    """How messages name a template: the file it was read from, else its name."""
    files = [path for name, path in template.read_from if name == _TEMPLATE_FILE]
    return files[0] if files else f"template {template.name!r}"


def check_attributes(template: Template, dataset: BuiltDataset) -> Template:
    """Return ``template`` if every ``{subgroup[attribute]}`` it names is an attribute of
    ``dataset`` (its manifest's), otherwise raise: the one check of a template against the
    dataset it is filled from, before any prompt, request or file (``prompts``, ``run``,
    ``export sft`` and ``export lm-eval``). A ``{subgroup[nope]}`` failed only while filling,
    naming neither the file nor the attributes there are, and ``export lm-eval`` wrote a task
    whose every document raised KeyError in the harness, with exit code 0.

    Raises:
        InputError: naming the template's file (or name), the part, the field and the
            dataset's attributes.
    """
    attributes = dataset.manifest.attributes
    for part, text in (("system", template.system), ("user", template.user)):
        for _, name, _, _ in string.Formatter().parse(text or ""):
            if name is None or not _SUBGROUP_KEY.fullmatch(name):
                continue
            attribute = name[len("subgroup[") : -1]
            if attribute not in attributes:
                raise InputError(
                    bounded(
                        f"{template_where(template)}: {part}: {{{name}}}: dataset "
                        f"{dataset.root} has no attribute {attribute!r}; its attributes: "
                        f"{', '.join(attributes)}"
                    )
                )
    return template


def _read_template_file(path: Path) -> Template:
    try:
        data = read_bounded(path)
        text = data.decode("utf-8-sig")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the template ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    unseen = first_unseen(path.stem)
    if unseen is not None:  # the stem is the template's name in every prompt line
        raise InputError(
            f"{path}: the file name holds U+{ord(path.stem[unseen]):04X}, a character that "
            "does not print, and names the template in every prompt; rename the file"
        )
    name = f"{path.stem}@{hashlib.sha256(data).hexdigest()[:12]}"
    if path.suffix.lower() not in (".yaml", ".yml", ".json"):
        # A file saved with Windows line ends is the same template (YAML and JSON read
        # them so already).
        return Template(name=name, user=text.replace("\r\n", "\n").strip("\n"))
    parsed = _load_mapping(path, text)
    unknown = sorted(set(parsed) - TEMPLATE_FILE_KEYS)
    if unknown:
        raise InputError(f"{path}: unknown key(s) {unknown}; a template has system, user, target")
    for key, value in parsed.items():
        if not (isinstance(value, str) or (key == "system" and value is None)):
            hint = _YAML_HINT if isinstance(value, dict) else ""
            raise InputError(f"{path}: {key} must be a string{hint}")
    if "user" not in parsed:
        raise InputError(f"{path}: missing key 'user' (the user message)")
    return Template(
        name=name,
        user=parsed["user"],
        system=parsed.get("system"),
        target=parsed.get("target", DEFAULT_TARGET),
    )


def _load_mapping(path: Path, text: str) -> dict[str, Any]:
    if path.suffix.lower() == ".json":
        try:
            parsed = loads_strict(text)
        except ValueError as exc:  # not JSON, NaN, too deep or too large
            raise InputError(f"{path}: {exc}") from None
    else:
        import yaml

        try:
            parsed = loads_yaml(text)
        except ValueError as exc:
            raise InputError(f"{path}: YAML {exc}") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f"line {mark.line + 1}: column {mark.column + 1}: " if mark else ""
            raise InputError(
                f"{path}: {at}not YAML ({getattr(exc, 'problem', exc)}){_YAML_HINT}"
            ) from None
    if not isinstance(parsed, dict):
        raise InputError(f"{path}: a template file holds a mapping with user (system, target)")
    return parsed


def builtin_name(name_or_path: PathArg) -> str | None:
    """The built-in template a template argument names, None when it names a file: a text that
    is a built-in name, never a :class:`~pathlib.Path` (``Path("./open")`` is ``"open"`` as a
    text, and a caller's file of that name was silently replaced by the built-in template)."""
    if not isinstance(name_or_path, str):
        return None
    return name_or_path if name_or_path in TEMPLATES else None


def template_source(name_or_path: PathArg) -> Path | None:
    """The file a template argument names (an input, kept apart from outputs), None for a
    built-in name or a file that does not exist (:func:`load_template` says so)."""
    if builtin_name(name_or_path) is not None:
        return None
    path = Path(name_or_path)
    return path if path.is_file() else None


@public
def load_template(name_or_path: PathArg) -> Template:
    """A built-in template by name, or a template file (module docstring), checked.

    Raises:
        InputError: neither a built-in name nor an existing file, or an invalid template.
    """
    key = str(name_or_path)
    builtin = builtin_name(name_or_path)
    if builtin is not None:
        return check_template(TEMPLATES[builtin], f"template {builtin!r}")
    path = Path(name_or_path)
    problem = input_problem(path)
    if problem == "missing":
        raise InputError(
            f"{key}: no such template; use a built-in one ({', '.join(TEMPLATES)}) or a file"
        )
    if problem is not None:
        raise InputError(f"{key}: cannot read the template ({problem})")
    template = check_template(_read_template_file(path), str(path))
    return dataclasses.replace(template, read_from=recorded((_TEMPLATE_FILE, path)))


FILL_ERRORS: Final = (KeyError, IndexError, ValueError, AttributeError, TypeError)
"""What filling a template raises for a row that lacks a field it names or holds another kind
of value there (``str.format`` and the row's own lookups)."""


def cannot_fill(template: Template, row: Mapping[str, Any], exc: Exception) -> InputError:
    """The one error for a row a template cannot be filled for (a prompt or a target)."""
    return InputError(
        bounded(
            f"template {template.name!r}: cannot fill it for sample {row.get('id')!r} "
            f"({type(exc).__name__}: {exc})"
        )
    )


@public
def render_prompt(template: Template, row: Mapping[str, Any]) -> Prompt:
    """One row's prompt (deterministic: the same row and template give the same text).

    Raises:
        InputError: the template fails :func:`check_template`, or indexes something the row
            lacks (``{subgroup[height]}``).
    """
    checked_template(template)
    try:
        messages = render_messages(template.system, template.user, row)
        sample_id = str(row["id"])
    except FILL_ERRORS as exc:
        raise cannot_fill(template, row, exc) from None
    typed = [Message(role=m["role"], content=m["content"]) for m in messages]
    return Prompt(id=sample_id, template=template.name, messages=typed, prompt=prompt_text(typed))


@public
def render_target(template: Template, row: Mapping[str, Any]) -> str:
    """The assistant's reply for fine-tuning: the target filled with the row's modal code.

    Raises:
        InputError: the template fails :func:`check_template`, the row has no ``answer``, or
            one that is not an integer (``int()`` read ``3.7`` as 3) or not one of its
            options' codes (a fine-tuning reply no prompt offers).
    """
    checked_template(template)
    try:
        answer = code(row["answer"])
        codes = [number for number, _ in option_pairs(row["options"])]
        if answer not in codes:  # a reply no prompt of this row offers, learnt as right
            raise ValueError(f"answer {answer} is none of the row's option codes {codes}")
        return template.target.format(answer=answer)
    except FILL_ERRORS as exc:
        raise cannot_fill(template, row, exc) from None


@public
def split_rows(dataset: PathArg, config: str, split: str) -> list[dict[str, Any]]:
    """The rows of one split (a dataset folder or Hub id), in file order, as plain dicts of
    Python values (lists, dicts, ints, floats and texts, as ``sample.schema.json`` describes a
    row; pandas' records held numpy arrays, which that schema and ``json`` refuse).

    Raises:
        InputError: the dataset or split cannot be read, or an id repeats in the config.
    """
    from sgbench.dataset import open_dataset
    from sgbench.scoring.data import split_ids

    built = open_dataset(dataset)
    split_ids(built, config)  # one request per id: two samples under one id would be one
    rows: list[dict[str, Any]] = built.table(config, split).to_pylist()
    return rows


@public
def build_prompts(rows: Sequence[Mapping[str, Any]], template: Template) -> list[Prompt]:
    """The prompt of every row, in row order."""
    return [render_prompt(template, row) for row in rows]


def prompt_problem(prompt: object) -> str | None:
    """Why ``prompt`` is not a :class:`Prompt` that can be written as one JSON line (None when
    it is): a mapping with ``id``, ``template`` and ``prompt`` texts and ``messages`` a list of
    ``{"role", "content"}`` texts, all of it writable as UTF-8."""
    keys = Prompt.__required_keys__
    if not (isinstance(prompt, Mapping) and keys <= prompt.keys()):
        return (
            f"not a prompt (a mapping with {', '.join(sorted(keys))}), got {type(prompt).__name__}"
        )
    texts = [("id", prompt["id"]), ("template", prompt["template"]), ("prompt", prompt["prompt"])]
    messages = prompt["messages"]
    if not isinstance(messages, list | tuple):
        return f"messages is {type(messages).__name__}, not a list of messages"
    for n, message in enumerate(messages):
        if not (isinstance(message, Mapping) and {"role", "content"} <= message.keys()):
            return f"messages[{n}] is not a message (a mapping with role and content)"
        texts += [(f"messages[{n}].{key}", message[key]) for key in ("role", "content")]
    for key, value in texts:
        if not isinstance(value, str):
            # A numpy id was a TypeError from json; a NaN prompt was written as a bare NaN.
            return f"{key} is {type(value).__name__} {shown_value(value)}, not text"
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:  # a lone surrogate: no file can hold the line
                return f"{key} holds U+{ord(value[exc.start]):04X}, a lone surrogate, not text"
    return None


@public
def prompts_jsonl(prompts: Sequence[Prompt]) -> str:
    """Prompts as JSON Lines (``id``, ``template``, ``messages``, ``prompt``), trailing newline.

    Raises:
        InputError: an element is not a prompt (:func:`prompt_problem`): ``None`` was written
            as a line ``null``, which every reader of the file then refused.
    """
    for index, prompt in enumerate(prompts):
        problem = prompt_problem(prompt)
        if problem is not None:
            raise InputError(f"prompts_jsonl(): prompts[{index}]: {problem}")
    return "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in prompts)


def split_lines(
    dataset: PathArg,
    config: str,
    split: str,
    template_name: PathArg,
    record: Callable[[Template, Mapping[str, Any]], Any],
) -> Iterator[str]:
    """``record(template, row)`` of every row of one split, one JSON line at a time, so that
    memory holds the split and one record, never every record (a large template times millions
    of samples).

    The template and the split are read and checked here, at the call, not when the first line
    is asked for: a generator function raised its InputError inside the caller's loop, after
    the caller had started its output.

    Raises:
        InputError: the template, the dataset, the config or the split cannot be used.
    """
    from sgbench.dataset import open_dataset

    template = load_template(template_name)
    built = open_dataset(dataset)
    check_attributes(template, built)
    rows = split_rows(built, config, split)
    return (json.dumps(record(template, row), ensure_ascii=False) + "\n" for row in rows)


@public
def split_prompts_jsonl(
    dataset: PathArg, config: str, split: str, template_name: PathArg
) -> Iterator[str]:
    """``sgbench prompts``: one split's prompts with a template (name or file), one JSON line at
    a time. The template, dataset, config and split are read and checked at the call, before
    any line.

    Raises:
        InputError: the template, the dataset, the config or the split cannot be used.
    """
    return split_lines(dataset, config, split, template_name, render_prompt)
