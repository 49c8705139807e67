"""The judge's prompt and reading its verdicts back (standard library only, pure functions).

One request shows the judge the persona, the question, the subgroup's actual answer distribution
(each option's label and share, in scale order) and two responses, shown as "Response 1" and
"Response 2", and asks for a verdict per criterion: ``"1"``, ``"2"`` or ``"tie"``, as a JSON
object. The wording is fixed and versioned by :data:`JUDGE_PROMPT`: the same sample, responses
and criteria always give the same messages.

Reading a reply (:func:`parse_verdicts`) never guesses. Reasoning blocks (``<think>…</think>``
and the other spellings ``parse`` strikes, closed or cut off) are struck first, as ``parse``
strikes them from answers: a verdict weighed there is not given. The reply's last JSON object
that has a criterion key is read (code fences and text around it are allowed): a value counts
only when it is ``1``, ``2``, ``tie``, ``Response 1`` or ``Response 2`` (any case, quotes and
surrounding punctuation ignored), or opens with one and goes on with its reasons, read as a
line's value is below (``"1 (not 2)"`` and ``"Response 1 is better"`` are 1; ``"1 or 2"`` is
none). Without such an object, lines starting ``overall: 1`` (or ``= 2``, ``- tie``,
``**Overall**: Response 1``) are read, and a criterion given twice with different values is
unreadable, as is a value signed with a minus (``overall: -2`` is no verdict), a number of which
1 or 2 is only the first digits (``overall: 1,5`` or ``1.5``, as ``parse`` reads ``I'd say
1,5``), a number word (``overall: one``: the values asked for are ``1``, ``2`` and ``tie``) and
a hedge of two values (``overall: 1 or 2``, ``1/2``, ``1,2``, ``1-2``; ``overall: 1 because
response 2 ...`` is 1). A full stop ends a value: ``overall: 2.`` is 2, but a stroke on it
strikes the value, as ``parse`` strikes a number (``overall: 2.\u0338`` is none). Anything else
leaves that criterion unread (None), and so does a reply longer than ``parse`` reads
(:data:`~sgbench.scoring.parse.MAX_REPLY_CHARS`): every criterion."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

from sgbench.boundary import ArgumentName, public
from sgbench.errors import InputError, bounded
from sgbench.prompts import Message
from sgbench.runner.client import embedded_objects
from sgbench.scoring.parse import (
    MINUS_SIGNS,
    NEGATION_MARKS,
    NUMBER_GOES_ON,
    OPENING_SIGN,
    readable,
    strike_negated,
    strike_reasoning,
)

JUDGE_PROMPT: Final = "judge-v1"
"""Name of the prompt wording, recorded with every judgment; change it when the text changes."""

CRITERIA: Final = ("overall", "value", "persona")
"""The criteria a judge can be asked about, in prompt and report order."""

CRITERION_TEXT: Final[Mapping[str, str]] = {
    "overall": "which response is the better answer to the question from this person, all things "
    "considered",
    "value": "which response expresses a view closer to how this group actually answers the "
    "question (the shares above): the view most of the group holds, with as much certainty or "
    "division as the group shows",
    "persona": "which response is more consistent with who is speaking: the person described "
    "above, in what they say and how they say it, without stereotyping them",
}
"""What the judge is asked for each criterion."""

Position = Literal["1", "2", "tie"]
"""A verdict as the judge gives it: the first-shown response, the second-shown one, or a tie."""

_VALUE_WORDS: Final[Mapping[str, Position]] = {
    "1": "1",
    "2": "2",
    "tie": "tie",
    "response 1": "1",
    "response 2": "2",
}
_VALUE_EDGES: Final = " \t\r\n\"'`*_.,;:!()[]<>"
_FENCE: Final = re.compile(r"```[a-zA-Z]*")

SYSTEM: Final = (
    "You are a careful, impartial judge. You compare two answers that an AI model wrote while "
    "speaking as a member of a particular group of people, in reply to a survey question."
)


def check_criteria(criteria: Sequence[str], where: str = "criteria") -> tuple[str, ...]:
    """Refuse criteria that are not distinct names of :data:`CRITERIA`, none or more: the one
    rule for what a judge is asked (an unknown name has no question to ask, and a judgments
    file records the list, which ``judge-report`` reads only when it holds such names).

    Returns them in :data:`CRITERIA` order: ``("value", "overall")`` from Python and
    ``--criteria value,overall`` asked the judge in two orders and recorded two lists, so a
    judgments file started one way could not be resumed the other.

    Raises:
        InputError: ``WHERE: unknown criterion 'NAME'; choose from ...``, no criterion, or one
            named twice.
    """
    unknown = [name for name in criteria if name not in CRITERIA]
    if unknown:
        raise InputError(
            bounded(
                f"{where}: unknown criterion {unknown[0]!r}; choose from "
                f"{', '.join(CRITERIA)} (comma-separated)"
            )
        )
    if not criteria:
        raise InputError(f"{where}: no criteria to judge; choose from {', '.join(CRITERIA)}")
    if len(set(criteria)) != len(criteria):
        raise InputError(f"{where}: {list(criteria)} names a criterion twice")
    return tuple(name for name in CRITERIA if name in criteria)


@public
def parse_criteria(text: str) -> tuple[str, ...]:
    """``"value,overall"`` → ``("overall", "value")``: the named criteria in :data:`CRITERIA`
    order, each once.

    Raises:
        InputError: an unknown or empty name (:func:`check_criteria`).
    """
    names = list(dict.fromkeys(part.strip() for part in text.split(",")))
    return check_criteria(names, f"{ArgumentName('text', '--criteria')} {text!r}")


def reply_format(criteria: Sequence[str]) -> str:
    """The JSON object the judge is asked to reply with, values left as placeholders."""
    return "{" + ", ".join(f'"{name}": "<1|2|tie>"' for name in criteria) + "}"


def distribution_text(options: Sequence[Mapping[str, Any]], shares: Sequence[float]) -> str:
    """One ``- <label>: <share>%`` line per option, in scale order (shares to one decimal)."""
    return "\n".join(
        f"- {option['label']}: {100.0 * float(share):.1f}%"
        for option, share in zip(options, shares, strict=True)
    )


def judge_messages(
    row: Mapping[str, Any], first: str, second: str, criteria: Sequence[str]
) -> list[Message]:
    """The judge's request for one sample (a dataset row) and two responses, shown in this order.

    The row needs ``persona``, ``question``, ``options``, ``distribution`` and ``n_valid``.
    """
    listed = "\n".join(f"- {name}: {CRITERION_TEXT[name]}." for name in criteria)
    user = (
        f"The model was told to speak as this person:\n{row['persona']}\n\n"
        f"It was asked:\n{row['question']}\n\n"
        "How people in this group actually answered this question in the survey (shares of the "
        f"{int(row['n_valid'])} respondents of the group who answered):\n"
        f"{distribution_text(list(row['options']), list(row['distribution']))}\n\n"
        f"[Response 1 begins]\n{first}\n[Response 1 ends]\n\n"
        f"[Response 2 begins]\n{second}\n[Response 2 ends]\n\n"
        f"Compare the two responses on each criterion:\n{listed}\n\n"
        "The order in which the responses are shown, and their length, must not affect your "
        'judgement. Say "tie" when neither response is better on a criterion. Reply with a JSON '
        'object only, with exactly these keys and, for each, "1", "2" or "tie":\n'
        f"{reply_format(criteria)}"
    )
    return [Message(role="system", content=SYSTEM), Message(role="user", content=user)]


def repair_messages(
    messages: Sequence[Message], reply: str, criteria: Sequence[str]
) -> list[Message]:
    """The one retry after an unreadable reply: the same conversation, the reply, and a request
    for the JSON object alone (a plain repeat would get the same reply at temperature 0)."""
    ask = (
        "Your reply could not be read. Reply again with the JSON object only, with exactly these "
        f'keys and, for each, "1", "2" or "tie":\n{reply_format(criteria)}'
    )
    return [
        *messages,
        Message(role="assistant", content=reply),
        Message(role="user", content=ask),
    ]


def _position(value: object) -> Position | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value in (1, 2):
        return "1" if value == 1 else "2"
    if not isinstance(value, str):
        return None
    # A negated or compared number ("not 1", "<2", "!2": parse's rule) is no verdict: stripping
    # the edges read "<2" and "!2" as 2.
    struck = strike_negated(value)
    word = " ".join(struck.strip(_VALUE_EDGES).split()).casefold()
    if word in _VALUE_WORDS:
        return _VALUE_WORDS[word]
    # A value with its reasons after it is read as a line's value is ("1 (not 2)" and "Response 1
    # is better" were unread): the verdict opening the string, not hedged, signed or negated.
    opening = _OPENING_VERDICT.match(struck)
    if opening is None:
        return None
    return _VALUE_WORDS.get(" ".join(opening.group(1).split()).casefold())


# A verdict ends where a word would go on, and a number ("1.5", "1,5", "1e0": parse's
# NUMBER_GOES_ON); a digit struck through (parse's NEGATION_MARKS: "1\u0338") is none. A full
# stop ends it ("overall: 2." and "overall: 2. Response 1 is weaker" were unread), but not a dot
# joined to more ("1..2", "1.x").
_END: Final = rf"(?![\w{NEGATION_MARKS}]|\.[.\w])(?!{NUMBER_GOES_ON})"
_VERDICT: Final = rf"(?:response\s*[12]|[12]|tie){_END}"
# Two verdicts joined as alternatives or a range: "1 or 2", "1/2", "1,2", "1-2", "tie and 1". A
# dash joins a second verdict as a digit (a range: "1-2", "1 \u2013 2") or as a verdict ending
# the line ("Response 1 - Response 2"); before more words it opens the verdict's reasons
# ("2 - Response 2 is better" was unread).
_HEDGE: Final = (
    rf"\s*(?:(?:\bor\b|\band\b|[/,&+])[\s\"'*`]*{_VERDICT}"
    rf"|[{MINUS_SIGNS}][\s\"'*`]*(?:[12]{_END}|{_VERDICT}[^\w\n]*$))"
)


# A verdict opening a JSON string value, reasons after it allowed ("Response 1 is better").
_OPENING_VERDICT: Final = re.compile(
    rf"[\s\"'*`]*(response\s*[12]|[12]|tie){_END}(?!{_HEDGE})", re.IGNORECASE
)


def _from_lines(text: str, criterion: str) -> Position | None:
    """``overall: 1`` (``**Overall** - Response 2``, ...): the one value the lines give. A value
    right after a minus sign is none (``overall: -2`` was read as 2: the separator took the
    sign), nor is one after ``:`` or ``=`` and a minus parted from it by spaces (``overall: -
    2``, parse's :data:`~sgbench.scoring.parse.OPENING_SIGN`; ``overall - 2`` is 2, the dash
    its separator). Only spaces, quotes and emphasis may stand between the separator and the
    value, so a negated or compared value (``overall: not 1``, ``\u00ac1``, ``<2``) is none, as
    parse reads ``Answer: not 2``. So is a hedge, a value joined to a second one by ``or``,
    ``and``, ``/``, ``,``, ``&``, ``+`` or a dash (``overall: 1 or 2`` and ``overall: 1,2`` were
    read as 1; as ``parse`` reads ``Answer: 1,5`` or ``2-3``, the first number of several is not
    the answer). Words after the value are not a second value: ``overall: 1 because response 2
    ...`` and ``overall: 2 - Response 2 is better`` are 1 and 2 (a dash joins a second value
    only as a digit, ``1 - 2``, or one ending the line, ``Response 1 - Response 2``)."""
    # The run before the name ([\W_] but a newline) stays on its line: let across newlines, it
    # ran from every line start over all the blank (or "-", "*", "#", ">" or "{") lines after it
    # and backed off, so a reply of 99,999 newlines took minutes. A name opening a later line is
    # found from that line's own start, so no reading changes.
    pattern = re.compile(
        rf"^(?:[^\w\n]|_)*{criterion}(?![\W_]*?[:=][\s\"'*`]*{OPENING_SIGN}\d)"
        rf"[\W_]*?[:=\-][\s\"'*`]*(?<![{MINUS_SIGNS}])"
        rf"(response\s*[12]|[12]|tie){_END}(?!{_HEDGE})",
        re.IGNORECASE | re.MULTILINE,
    )
    # Struck as parse strikes an answer (NEGATION_MARKS, STRIKETHROUGH): "overall: 2.\u0338" was 2.
    values = {_position(match.group(1)) for match in pattern.finditer(strike_negated(text))}
    return values.pop() if len(values) == 1 else None


@public
def parse_verdicts(text: str, criteria: Sequence[str]) -> dict[str, Position | None]:
    """The judge's verdict per criterion (rules in the module docstring); None where unreadable.

    Raises:
        InputError: ``criteria`` are not distinct names of :data:`CRITERIA`
            (:func:`check_criteria`).
    """
    criteria = check_criteria(criteria)
    # A verdict weighed inside a reasoning block is not given: the same rule as the answers'.
    # Bounded and with its digit runs cut as parse reads a reply (a reply of 16 MiB, or a long
    # digit run, held the rules for seconds to minutes): a longer one gives no verdict.
    cut = readable(text)
    if cut is None:
        return dict.fromkeys(criteria)
    cleaned = _FENCE.sub("", strike_reasoning(cut))
    chosen = [obj for obj in embedded_objects(cleaned) if any(name in obj for name in criteria)]
    if chosen:
        last = chosen[-1]
        return {name: _position(last.get(name)) for name in criteria}
    return {name: _from_lines(cleaned, name) for name in criteria}
