"""Turn raw model output into predictions: ``sgbench parse RESPONSES.jsonl > predictions.jsonl``.

Input: JSON Lines, ``{"id": ..., "response": "<model text>"}`` (other keys ignored). For each line
the first rule that yields exactly one of the item's option codes wins:

1. an answer marker: the text after the *last* ``Answer`` (``Answer: 3``, ``**Answer:** 3``,
   ``answer is 3``, ``Answer - Very important``) read by rules 2–5; when that line opens with a
   number no option has (``Answer: -2``, ``Answer: 7``, ``Answer: 1.5``, ``Answer: 1,5``), the
   response stays missing: no other number of the text takes the answer's place. A number word
   from ``zero`` to ``twenty`` opening that line, signed or not (``Answer: two``, ``Answer:
   negative two``, ``Answer: minus two``), is read as that number in digits, unless the line
   opens with an option's label: ``Answer: negative two … 3`` is missing, not 3. Every rule
   reads the word in digits (``Answer: Two or 3`` is missing, like ``Answer: 2 or 3``); a word
   joined by a hyphen to more word is none (``two-thirds``), nor is one followed by a word that
   neither opens an option's label nor is ``or``, ``nor``, ``and`` or ``to`` (``One would say
   ...`` is a pronoun). A valid code opening that line, not negated, settles it: what follows
   explains it, whatever codes it names (``Answer: 2 (not 1, 3 or 4)``, ``Answer: 2 rather than
   3``, ``Answer: 4. Not higher than 5`` are 2, 2 and 4), unless a second code is joined to it
   as a hedge or range (``2 or 3``, ``2 or maybe 3``, ``2, maybe 3``, ``2-3``, ``2 \u2013 3``,
   ``2/3``, ``2 to 3``, ``1 through 3``, ``2, 3``, ``2 and 3``): then the reply offers two
   answers and is missing, whatever else it names (``Answer: 2 or three`` and ``Answer: 2 or 5``
   were 2). A marker followed by the options listed, its line quoting one (``1. Very
   important``) and the next line another, answers nothing (it was read as the first listed).
   The last marker wins, unless its number (the first on its line) is negated or compared: then
   it gives nothing and the marker before it is read, up to the later one (``Answer: 2. The
   answer is not 3`` is 2); once one is passed over, the text before the first marker is read by
   no rule (``Option 1 is too weak. Answer: not 3`` is missing; ``Answer: not 2 but 3`` is 3). A
   passed-over marker retracts the number it negates: an earlier marker giving that number gives
   nothing, and the reply is missing (``Answer: 1`` then ``the answer is not 1; it's 3`` is
   missing, not 1, and not 3 either: a reply that takes its answer back is not read as either
   one). A sign opens the answer even when spaces part it from the digits, and so does an em
   dash right before them (:data:`OPENING_SIGN`: ``Answer: - 2`` and ``Answer: \u20142`` are
   -2); a dash right after the word, or spaced on both sides, is the marker's separator
   (``Answer - 2`` is 2), and ``- `` opening a line of its own (after any indentation) a list
   bullet;
2. a bare number: the whole response is one integer (``3``, ``3.``, ``(3)``) or number word
   (``Two.``);
3. a bare label: the whole response is an option's label (case and surrounding punctuation
   ignored);
4. a number with text around it: the integers in the text that are option codes are all the same
   one (``I'd pick 2 because ...``); several different codes are ambiguous;
5. a label inside the text: the options whose label occurs as whole words; when several occur,
   the longest wins if it contains all the others (``not very important`` beats
   ``very important``), otherwise ambiguous.

Where no ``Answer`` marker gives the answer, a first-person choice ending its sentence is one
(:func:`_choice`: ``I'd choose 2.``, ``I pick 3.``, ``I'll go with 4.``, ``I'd say two.``),
whatever codes and labels the text weighed before it, when it is the reply's only choice of its
own: a second one (``I'd pick 2. Or I'd pick 3``) leaves the text to rules 4 and 5. It is none
when the code does not end its sentence (``I'd choose 2 if I were younger, but as I am, 1``),
and it is missing when the text after it names another code in digits, in words or by its label,
or takes something back (``I pick 2. My husband would pick 1``, ``I'd say two. Actually,
three``, ``I'd say two. Scratch that``). A choice that is not the reply's own
(:func:`_own_choice`: in a hypothetical, denied, reported or quoted sentence, after a question
or a colon other than a marker's, or someone else's turn: ``If I were younger? I'd pick 1``,
``Not that I'd choose 1``, ``She said: I'd choose 1``, ``My sister? I'd say 3``) names a code
no rule reads as the answer: those replies were read as that code. ``If I had to choose, I'd
say 2`` is the reply's own. Outside a marker and such a choice, the same words in a sentence
make its codes in digits no answer (:func:`_strike_not_own`: ``Were I younger, 2.``, ``My kids
feel 1, I don't.`` were 2 and 1). A retraction that takes back no number (``Very important. Scratch
that.``) leaves only what follows it to be read. A choice of no option is missing.

Rules 4 and 5 must agree: a text naming a code in digits and an option's label for another
code is missing, since an age or a count is written beside the label chosen (``Agree. 0 doubt
about it`` was 0), and the reader cannot tell it from a code beside a label for its side of
the scale (``I lean left, so 3``, which is missing too). A number that is no code (``At 45``,
``Since 2019``) conflicts with nothing, and a code agreeing with the label (``Rather important:
2``) is read. Nor does a quantity (:func:`_strike_quantities`): a number before a unit of time,
people, times or money (``3 years``, ``2 kids``, ``4 times``, ``9 euros``, ``2-3 hours``), a
share (``10%``, ``2 percent``), a thousand (``2k``), a time of day (``3pm``, ``3 o'clock``,
``1:30``, ``at 8 this morning``), a date (``May 3``), a proportion of something counted
(``3 out of 10 people``) or a number after a currency sign (``$5``) is no code: ``Paid 3
dollars for this survey`` is missing (it was 3), and ``I have 2 kids, so family is Very
important`` and ``No. I'm only 1 person`` are read by their label (1 and 2; they were missing
as a conflict).

Before any rule, ordinals in digits in an answer's place (after a marker or a choice verb,
before ``option``, ``one`` or ``choice``, or the whole reply) become codes: ``the 2nd`` is the
code of the second option listed (``The 2nd of 3`` is 1 on a scale coded 0, 1, 2), and a count
of the options after it (``of 4``) names the scale. Any other ordinal, with the count after it,
names nothing (``I'm in my 3rd year``, ``the 2nd of 4 kids``). Then three kinds of text are
set aside. Reasoning in tags
(:func:`strike_reasoning`, the tags of :data:`REASONING_TAGS`): every block, from an opening
tag to its closing one or to the end of a reply cut off inside it, and everything before a
closing tag nothing opened; a reply that is all reasoning is missing (``<think>leaning
4</think>`` alone was 4). Numbers that
only name the scale: a count of its options (``4 options``, ``5 choices``, ``4 possible
answers``, ``a 10-point scale``) when it is the item's number of options (any other count
counts something else, and a text holding one has no bare number read as its answer), and on
three or more options its range from first code to last (``1 to 10``, ``1-4``) and the last
code after ``out of`` (``7 out of 10``), or after a slash on a scale ending at 10 (``8/10``) as
the whole reply or after a marker or ``I'd say``/``give``/``rate``, never before ``of``,
``th`` or a date's slash (``3/10 of people``, ``2/10/2023``). A part of a group (``3 of
them``) is no code. And a reply writing a code
beside another option's label (``1. Rather important``, ``Answer: 2 (Very important)``)
contradicts itself: it is missing. A point of a scale labelled only by its code (``"2"``) is a
number, read by rules 2 and 4 and never as a label (``I'd say between 1 and 2`` was 2).

A negated or compared number (:data:`NEGATIONS` before it, :data:`NEGATION_MARKS` after it:
``not 2``, ``\u00ac2``, ``<2``, ``2\u0338``) is read by no rule: ``Answer: not 2`` is missing, and
``Answer: 2 (not 3)`` and ``The answer is 2, not 3`` are 2. The alternatives joined to a negated
number by ``or`` or ``nor`` are negated too, and a negation in words reaches over one word to its
number: ``Answer: 2 (not 1 or 3)`` and ``Answer: 2 \u2014 I did not choose 1`` are 2. So is a
number taken back (:data:`RETRACTIONS` after it: ``2? No, 3`` is 3, ``I'd pick 3... actually
no`` is missing).

Decimals (``3.5``, ``3,5``), exponents (``1e0``) and lists without spaces (``1,5``) are not
integers, nor is any digit run of them (``I'd say 1,5`` was read as 1); negative numbers are
not read as codes, and never lose their sign, written as a character or as ``minus`` or
``negative`` (``Answer: -2`` and ``I'd say negative 2`` are -2, which no option has, so the
response stays missing). A minus right after a letter or digit is a hyphen, not a sign: ``2-3``
is a range naming 2 and 3, so ambiguous.
A response with no rule giving a valid option, an ambiguous one, or a number that is not an
option stays missing: :class:`ParseResult` lists those ids (the scorer counts them as missing
predictions).

Two kinds of line written by ``sgbench run`` are read before any rule:

- a *refusal* (a string ``refusal``) stays missing and is counted as refused
  (:attr:`ParseResult.refused_ids`); the prediction file gets ``{"id", "refusal"}`` for it, so
  the scorer can report refusal rates;
- a line with a ``distribution`` (``--distribution``) becomes a prediction with that
  distribution, its ``answer`` the distribution's mode (on a tie, the first code in scale
  order), whatever the response text says.

Predictions, missing ids and refusals come in the dataset's sample order (its splits in the
config's order, rows in file order), whatever order the lines are in.
"""

from __future__ import annotations

import bisect
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from sgbench.boundary import PathArg, public
from sgbench.errors import without_unseen
from sgbench.files import FromFiles, reads
from sgbench.jsonl import read_lines, response_lines
from sgbench.scoring.data import DISTRIBUTION_TOLERANCE, load_options
from sgbench.scoring.predictions import PredictionsError

# Every character a model may write as the minus sign of a number (ASCII, each one Unicode names
# a plain minus sign: MINUS SIGN, the modifier letter, heavy and commercial minus signs, the
# small and fullwidth hyphen-minus and the superscript and subscript minus; the figure and
# en dashes typesetting uses for it, and the Unicode hyphens): "Answer: \u22122",
# "Answer: \u20132", "Answer: \u207b2" and "Answer: \u02d72" are -2, never 2.
MINUS_SIGNS: Final = "\\-\u2212\u02d7\u2796\u2052\ufe63\uff0d\u2012\u2013\u2010\u2011\u207b\u208b"
NUMBER_WORDS: Final = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen", "twenty",
)  # fmt: skip
"""The numbers an answer line may open with in words (English), each at its index: ``Answer:
two`` is ``Answer: 2``. Only there (:func:`_opening_in_digits`): elsewhere in a reply a number
word is prose ("no one would say 3")."""
# A number word ends the word: joined by a hyphen to more word it is part of another ("two-thirds",
# "one-sided" were read as 2 and 1).
_NUMBER_WORD: Final = rf"(?:{'|'.join(NUMBER_WORDS)})\b(?![{MINUS_SIGNS}]\w)"
# A sign in words before a number: "negative 2" is -2 wherever it stands, never 2.
_SIGN_WORD: Final = re.compile(r"\b(?:minus|negative)\s+(?=\d)", re.IGNORECASE)
# What a negated number's digits become (_NEGATED): a character no rule reads as a digit, a word,
# a label or the punctuation after a marker.
_STRUCK: Final = "\ufffc"
# The first digit, or struck digit, of a marker's line: its number, negated or not.
_FIRST_NUMBER: Final = re.compile(rf"[\d{_STRUCK}]")
# Spaces within a line (a newline ends an answer's line).
_SPACE: Final = r"[^\S\n]"
# The dashes that stand for a minus only where an answer opens ("Answer: \u20142" is -2): in
# prose they part clauses ("I'd pick 2 \u2014 3 is too strong"), so elsewhere they are no sign.
_DASHES: Final = "\u2014\u2015"
OPENING_SIGN: Final = rf"[{MINUS_SIGNS}{_DASHES}]{_SPACE}*"
"""The sign of a number that opens an answer (``Answer: -2``, ``Answer: - 2``, ``Answer:
\u20142``): a minus or a dash, right before the digits or parted from them by spaces. The judge's
verdict reader holds to it too (``overall: - 2`` is no verdict)."""
# The punctuation after the marker, but never the sign of a number, in digits or words:
# "Answer: -2" is -2, and so are "Answer: - 2" and "Answer: -two". A minus opening a line of its
# own (after any indentation) and followed by a space is a list bullet ("Answer:\n- 2" and
# "Answer:\n  - 2" are 2).
_GAP: Final = (
    rf"(?:\n{_SPACE}*[{MINUS_SIGNS}](?={_SPACE})"
    rf"|[^\w{MINUS_SIGNS}{_DASHES}{_STRUCK}]"
    rf"|[{MINUS_SIGNS}{_DASHES}](?!{_SPACE}*(?:\d|{_NUMBER_WORD})))*"
)
# A dash right after the word, or parted by spaces on both sides, is the marker's separator, not
# a sign: "Answer - 2", "**Answer** \u2013 2" and "Answer\u20142" are 2 ("Answer -2" is -2).
_DASH_SEPARATOR: Final = (
    rf"[*_]*(?:{_SPACE}+[{MINUS_SIGNS}{_DASHES}]{_SPACE}+|[{MINUS_SIGNS}{_DASHES}])?"
)
ANSWER_MARKER: Final = re.compile(
    rf"\banswer\b{_DASH_SEPARATOR}{_GAP}(?:is\b{_GAP})?", re.IGNORECASE
)
NUMBER_GOES_ON: Final = rf"[.,]\d|[eE][+{MINUS_SIGNS}]?\d"
"""What follows the digits of a number that is more than an integer: a decimal (``1.5``, or
``1,5`` with a decimal comma), a list written without spaces (``1,5``) or an exponent (``1e0``,
``1e3``). No digit run of it is an option code on its own; the judge's verdict reader holds to
it too."""
NEGATION_MARKS: Final = "\u0335\u0336\u0337\u0338"
"""The combining marks that strike a digit through, so negate it: the short and long stroke
overlays (struck-out text, a retraction) and the short and long solidus overlays (the slash of
``\u2260``): ``2\u0338`` and ``2\u0336`` are "not 2", never 2, and so is ``2.\u0338``, the mark
on the punctuation right after the digits (``overall: 2.\u0338`` was read as 2). The judge's
verdict reader holds to them too."""
STRIKETHROUGH: Final = r"~~|<(?:s|del|strike)(?:\s[^>\n]*)?>"
"""Markup that opens struck-out text, so negates the number right after it as the combining
strokes of :data:`NEGATION_MARKS` do: Markdown's ``~~1~~`` and HTML's ``<s>1</s>``,
``<del>1</del>`` and ``<strike>1</strike>`` (any case, attributes allowed) are "not 1", never 1.
Only digits right after it: a closing ``~~`` and a space before a number strike nothing
(``~~1~~ 2`` is 2). The judge's verdict reader holds to it too."""
NEGATIONS: Final = (
    r"(?:(?<!\w)(?:not|never)|n['\u2019]t)\b[*_]*"
    "|[\u00ac\u2260\u2264\u2265]|!=|!(?=\\d)"
    rf"|(?<![\w=<>{MINUS_SIGNS}])(?:<(?!{_SPACE}*\d+{_SPACE}*>)|(?<=[^\n])>|>(?=\S))=?"
)
"""What, right before a number (spaces, quotes or emphasis between), makes it no answer: a
negation (``not``, ``never``, a word ending ``n't``, ``\u00ac``, ``!`` against the digits,
``!=``, ``\u2260``) or a comparison (``<``, ``>``, ``<=``, ``>=``, ``\u2264``, ``\u2265``):
``not 2`` and ``<2`` name a number that is not the answer. ``no`` is left out (``No. 2`` is
number 2), and so is ``!`` parted from the digits by a space (``Hard one! 2``). A ``<`` or ``>``
after a letter, digit, ``=``, ``<``, ``>`` or minus is a tag or an arrow (``<answer>2``, ``->
2``, ``=> 2``), a ``>`` opening a line before a space quotes it (Markdown), and ``<2>`` is the
prompt's ``Answer: <number>`` filled in: none compares."""
# A number negated or compared (NEGATIONS before it, NEGATION_MARKS after it): its digits are
# struck out of the text before any rule reads it, so no rule takes it for an answer.
# A negation in words may reach over one word to its number ("did not choose 1", "wouldn't pick
# 3"), and over a list of alternatives ("not 1 or 3", "never 1 nor 4"): all of them are set aside,
# so "Answer: 2 (not 1 or 3)" and "Answer: 2 \u2014 I did not choose 1" are 2 (both were missing).
_NEGATED: Final = re.compile(
    rf"(?:{NEGATIONS})(?:(?<=[a-z*_]){_SPACE}+[a-z]+(?={_SPACE}+\d))?"
    rf"(?:{_SPACE}|[*_\"'`\u201c\u2018(\[])*"
    rf"(\d+(?:{_SPACE}+n?or{_SPACE}+\d+)*)|(\d+)(?=[^\w\s]?[{NEGATION_MARKS}])"
    rf"|(?:{STRIKETHROUGH})(\d+)",
    re.IGNORECASE,
)
# A minus is the sign of the number after it unless it follows a letter or digit: then it is a
# hyphen, and "2-3" (a range) names both numbers, so it is ambiguous, never the first alone. A
# digit run joined to another by NUMBER_GOES_ON is part of that number ("1,5" was read as 1,
# "1e3" as 3).
INTEGER: Final = re.compile(
    rf"(?<![\d.])(?<!\d,)(?<!\d[eE])(?<!\d[eE][+{MINUS_SIGNS}])"
    rf"(?<!(?<!\w)[{MINUS_SIGNS}])(\d+)(?!\d|{NUMBER_GOES_ON})"
)
# What, right after a code opening an answer's line, joins a second code to it as a hedge or a
# range ("2 or 3", "2 or maybe 3", "2-3", "2 \u2013 3", "2/3", "2 to 3", "2, 3", "2 and 3"): then
# the opening code alone is not the answer. Anything else after it explains it, an em dash
# too: in prose it parts clauses ("2 \u2014 3 felt too strong").
_HEDGE_AFTER: Final = (
    rf"[^\w\n]*\b(?:or|nor)\b"
    rf"|{_SPACE}*(?:(?:and|to|through|thru)\b|[/,&+{MINUS_SIGNS}])[^\w\n]*"
    rf"(?:(?:maybe|perhaps|possibly|probably)\b[^\w\n]*)?(?:\d|{_NUMBER_WORD})"
)
# A code opening an answer marker's line with a second one joined to it as a hedge or range: the
# reply offers two answers, so it gives none ("Answer: 2 or three" and "Answer: 2 or 5" were 2).
_HEDGED_CODE: Final = re.compile(rf"(\d+)(?!\d|{NUMBER_GOES_ON})(?={_HEDGE_AFTER})", re.IGNORECASE)
# A code opening an answer marker's line, unless a hedge, range or NUMBER_GOES_ON follows it.
_OPENING_CODE: Final = re.compile(rf"(\d+)(?!\d|{NUMBER_GOES_ON}|{_HEDGE_AFTER})", re.IGNORECASE)
REASONING_TAGS: Final = ("think", "thinking", "thought", "reasoning", "reflection")
"""The names of the tags a model writes its reasoning in (DeepSeek-R1's and QwQ's ``<think>``,
``<thinking>``, ``<thought>``, ``<reasoning>``, ``<reflection>``), in angle brackets, square
brackets (``[THINK]``) or Kimi's triangles (``\u25c1think\u25b7``), any case, spaces allowed
inside (``</think >``). :func:`strike_reasoning` sets every block of them aside."""
# One tag of REASONING_TAGS, opening or (with its slash) closing; the bracket kinds may mix.
_REASONING_TAG: Final = re.compile(
    rf"[<\[\u25c1]\s*(/)?\s*(?:{'|'.join(REASONING_TAGS)})\s*[>\]\u25b7]", re.IGNORECASE
)
# What a number of the scale becomes when it only names the scale (_SCALE_NAMED): like _STRUCK, a
# character no rule reads, but no negation either (a marker naming the scale is not passed over).
_SCALE_DIGIT: Final = "\ue000"
# What a count of options that is not the item's number of options becomes (_strike_scale): it
# counts something else (people, replies), so the reply's numbers in prose are no answer beside it.
_COUNTED: Final = "\ue001"
# A number counting the options or points of the scale: "4 options", "5 possible choices", "4
# possible answers", "4 responses", "a 10-point scale", "a 7 point Likert scale". It names the
# scale, not an answer ("Agree. (Note: there are 5 options here.)" was 5; "Of the 4 possible
# answers, I pick Rather important" was missing). Plural nouns only: "1 option" is no count a
# reply writes.
_SCALE_COUNT: Final = re.compile(
    rf"(?<![\d.,{MINUS_SIGNS}])\d+(?!\d|{NUMBER_GOES_ON})(?="
    rf"(?:{_SPACE}+(?:possible|available|answer|response))?"
    rf"{_SPACE}+(?:options|choices|alternatives|categories|answers|responses)\b"
    rf"|{_SPACE}*(?:[{MINUS_SIGNS}]{_SPACE}*)?point\b(?:{_SPACE}+[\w{MINUS_SIGNS}]+)?{_SPACE}+scale\b)",
    re.IGNORECASE,
)
# Longest digit run read as a number: option codes are small, and int() refuses (raises on)
# runs of thousands of digits, which a reply may hold.
_MAX_DIGITS: Final = 9
_EDGES: Final = " \t\r\n.,;:!?\"'`*()[]{}<>"
# A digit run longer than any code, cut to :data:`_MAX_DIGITS` + 1 digits before any rule runs:
# every rule still sees a number too long to be a code, and none backtracks through the run
# (the lookarounds around ``\d+`` made a reply of 20,000 digits take 8 s and one of 80,000
# over 100 s).
_LONG_RUN: Final = re.compile(rf"(\d{{{_MAX_DIGITS + 1}}})\d+")


MAX_REPLY_CHARS: Final = 100_000
"""The longest reply the rules read, in characters: a longer one is not read and stays missing
(:func:`readable`). The rules take time growing with the text (a 1 MB reply of ``the 1st of 4``
repeated took 16 s, and a reply may hold 16 MiB); the worst replies of this length take about a
second, and no reply of the corpus comes near it."""


def readable(text: str) -> str | None:
    """``text`` as every rule reads it, or None when it is longer than :data:`MAX_REPLY_CHARS`:
    not read at all rather than a window of it, which could cut off a retraction and read a wrong
    code (a missing answer is counted as one; a wrong code is scored as the model's). Within the
    bound, the characters that print nothing are removed, so a number reads as it displays
    ('Answer: 1<ZWSP>2' is 12, not 1: :func:`sgbench.errors.without_unseen`, keeping line breaks
    and tabs), then digit runs are cut (:func:`cut_digit_runs`)."""
    if len(text) > MAX_REPLY_CHARS:
        return None
    return cut_digit_runs(without_unseen(text, keep_spaces=True))


def cut_digit_runs(text: str) -> str:
    """``text`` with every run of more than :data:`_MAX_DIGITS` + 1 digits cut to its first
    :data:`_MAX_DIGITS` + 1: read alike by every rule (a number no code can be), in time linear
    in the run."""
    return _LONG_RUN.sub(r"\1", text)


# The number that opens an answer marker's line: its sign, digits and any decimal part.
_OPENING_NUMBER: Final = re.compile(rf"({OPENING_SIGN})?(\d+)({NUMBER_GOES_ON})?")
# The same in words: "two", "minus two", "-two", "- two".
_OPENING_WORD: Final = re.compile(
    rf"({OPENING_SIGN}|(?:minus|negative)\s+)?({_NUMBER_WORD})", re.IGNORECASE
)

Options = Sequence[tuple[int, str]]


@dataclass(frozen=True)
class ParseResult(FromFiles):
    """Predictions parsed from a responses file."""

    predictions: tuple[dict[str, Any], ...]
    """``{"id", "answer", "response"}`` per parsed line (``distribution`` too where the line had
    one), in file order."""
    unparsed_ids: tuple[str, ...]
    """Ids whose response gave no single valid option, in file order (refusals excluded)."""
    n_lines: int
    refused: tuple[dict[str, str], ...] = ()
    """``{"id", "refusal"}`` per refusal line, in file order."""
    too_long_ids: tuple[str, ...] = ()
    """The ids of :attr:`unparsed_ids` whose response is longer than :data:`MAX_REPLY_CHARS`,
    not read (:func:`readable`), in the same order."""

    @property
    def refused_ids(self) -> tuple[str, ...]:
        """Ids of the refusals."""
        return tuple(r["id"] for r in self.refused)

    def to_jsonl(self) -> str:
        """The predictions, then the refusals, as JSON Lines (one object per line, trailing
        newline; '' if none)."""
        lines = [*self.predictions, *self.refused]
        return "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in lines)


def _normalise(text: str) -> str:
    return " ".join(text.strip(_EDGES).split()).casefold()


def _number(digits: str) -> int | None:
    """The integer a run of decimal digits writes, or None for anything else (a superscript
    "²" passes ``isdigit`` but not ``int``) or for a run too long to be an option code."""
    if digits.isdecimal() and len(digits) <= _MAX_DIGITS:
        return int(digits)
    return None


def _bare_number(text: str, codes: set[int]) -> int | None:
    value = _number(text.strip(_EDGES))
    return value if value in codes else None


def _worded(options: Options) -> list[tuple[int, str]]:
    """``options`` without the points of a scale labelled only by their code (Q177's ``2`` …
    ``9``): such a "label" is a number, read by the number rules, not the label rules (``I'd
    say between 1 and 2`` was read as 2 by its label ``"2"`` once the numbers were ambiguous)."""
    return [(code, label) for code, label in options if _normalise(label) != str(code)]


def _bare_label(text: str, options: Options) -> int | None:
    wanted = _normalise(text)
    hits = {code for code, label in _worded(options) if _normalise(label) == wanted}
    return hits.pop() if len(hits) == 1 else None


def _label_in_text(text: str, options: Options) -> int | None:
    haystack = f" {_normalise(text)} "
    hits: dict[int, str] = {}
    for code, label in _worded(options):
        needle = _normalise(label)
        if needle and re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", haystack):
            hits[code] = needle
    if not hits:
        return None
    code, longest = max(hits.items(), key=lambda kv: len(kv[1]))
    others = [label for c, label in hits.items() if c != code]
    if all(re.search(rf"(?<!\w){re.escape(o)}(?!\w)", longest) for o in others) and not any(
        o == longest for o in others
    ):
        return code
    return None


def _read(text: str, options: Options) -> int | None:
    """Rules 2–5 of the module docstring, in order; the first giving a code wins. Rules 4 and 5
    must agree: a text naming a code in digits and an option's label for another code is
    missing (``Agree. 0 doubt about it`` was read as 0)."""
    codes = {code for code, _ in options}
    value = _bare_number(text, codes)
    if value is None:
        value = _bare_label(text, options)
    if value is None:
        # The whole reply one number word ("Two.") is that number, as a bare digit is.
        word = re.fullmatch(_NUMBER_WORD, text.strip(_EDGES), re.IGNORECASE)
        value = NUMBER_WORDS.index(word.group().casefold()) if word is not None else None
        value = value if value in codes else None
    if value is not None:
        return value
    numbers = {_number(m) for m in INTEGER.findall(text)} & codes
    labelled = _label_in_text(text, options)
    if numbers and _labels_named(text, options):
        # A number and a label in one text: an age, a household size or a count of years is
        # written in digits beside the label chosen, and a code beside a label for its side of
        # the scale ("I lean left, so 3"); the reader cannot tell which is the answer, and a
        # wrong code scores as the model's where a missing one is counted as missing.
        return labelled if numbers == {labelled} else None
    if numbers:
        return numbers.pop() if len(numbers) == 1 and _COUNTED not in text else None
    return labelled


def _labels_named(text: str, options: Options) -> bool:
    """Whether an option's label (one worded, not a bare code) occurs in ``text`` as words."""
    haystack = f" {_normalise(text)} "
    return any(
        re.search(rf"(?<!\w){re.escape(_normalise(label))}(?!\w)", haystack)
        for _, label in _worded(options)
        if _normalise(label)
    )


def _opens_with_non_option(text: str, start: int, line: str, options: Options) -> bool:
    """Whether the answer marker's ``line`` (at ``text[start:]``) opens with a number no option
    has: a negative one, a decimal (``1.5``, or ``1,5`` with a decimal comma) or an integer
    outside the codes. A minus right after a letter is a hyphen (``Answer\u20132``), as in
    :data:`INTEGER`."""
    match = _OPENING_NUMBER.match(line)
    if match is None:
        return False
    sign, digits, fraction = match.groups()
    if sign and start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        return False
    codes = {code for code, _ in options}
    return bool(sign) or fraction is not None or _number(digits) not in codes


def _opening_in_digits(line: str, options: Options) -> str:
    """An answer marker's ``line`` with the number word it opens with written in digits
    (``negative two … 3`` → ``-2 … 3``), so that the rules for an opening number apply to it as
    they do to digits (``Answer: negative two`` was read as the 3 further on). A line opening
    with an option's label is left alone: a label that starts with a number word ("One of
    several") is that option, not the number; so is a word followed, after spaces, by a word
    that does not open an option's label: a pronoun ("One would say ...") or prose."""
    match = _OPENING_WORD.match(line)
    if match is None:
        return line
    head = _normalise(line)
    if any(re.match(rf"{re.escape(_normalise(label))}(?!\w)", head) for _, label in options):
        return line
    rest = line[match.end() :]
    # A word going on into more words is a pronoun or prose ("One would say Rather important"
    # was read as 1), unless what follows is an option's label ("Two Rather important") or
    # joins a second number to it ("two or 3" is a hedge, as "2 or 3").
    if re.match(rf"{_SPACE}+(?!(?:n?or|and|to)\b)[^\W\d_]", rest, re.IGNORECASE) and not any(
        re.match(rf"{re.escape(_normalise(label))}(?!\w)", _normalise(rest)) for _, label in options
    ):
        return line
    sign, word = match.groups()
    return ("-" if sign else "") + str(NUMBER_WORDS.index(word.casefold())) + rest


def strike_negated(text: str) -> str:
    """``text`` with the digits of every negated or compared number (:data:`NEGATIONS` or
    :data:`STRIKETHROUGH` before it, :data:`NEGATION_MARKS` after it) struck out, so that no
    rule reads them: ``Answer: not 2`` names no code, and ``2, not 3`` names only 2."""

    def strike(match: re.Match[str]) -> str:
        group = next(g for g in (1, 2, 3) if match.group(g) is not None)
        start, end = match.span(group)
        whole = match.group(0)
        at = start - match.start()
        struck = re.sub(r"\d", _STRUCK, whole[at : at + end - start])
        return whole[:at] + struck + whole[at + end - start :]

    return _NEGATED.sub(strike, text)


def strike_reasoning(text: str) -> str:
    """``text`` without its reasoning: every block in :data:`REASONING_TAGS`, from an opening tag
    to the next closing one, or to the end of the reply when none closes it (a reply cut off by
    ``--max-tokens`` mid-thought), and everything before a closing tag that nothing opened (the
    chat template wrote the opening tag into the prompt). The codes weighed there are no answer:
    ``<think>leaning 4</think>`` alone and ``<think>Option 4 seems right`` were read as 4, and
    ``Rather important.<think>though maybe 3</think>`` as 3. An opening tag inside a block
    opens nothing. What is left of the reply is read, joined by spaces."""
    kept: list[str] = []
    at = 0
    inside = False
    for tag in _REASONING_TAG.finditer(text):
        if tag.group(1) is None:
            if not inside:
                kept.append(text[at : tag.start()])
                inside = True
            continue
        if not inside:
            kept = []
        inside = False
        at = tag.end()
    if not inside:
        kept.append(text[at:])
    return " ".join(kept)


def _strike_scale(text: str, codes: set[int]) -> str:
    """``text`` with the numbers that only name the scale set aside: a count of its options
    (``4 options``, ``5 possible choices``, ``a 10-point scale``, on any number of options), and
    on three or more options its whole range, first code to last (``1 to 10``, ``1-4``, ``from 0
    to 10``), and the last code after ``out of`` (``7 out of 10``). They are no answer:
    ``Options 1-4. I choose 2.`` is 2 (it named three codes, so was missing), ``On a scale of 1
    to 10, I'd say 8`` is 8, and ``Of the 4 options, Quite happy fits best`` is 2 (it was 4)."""

    def strike(match: re.Match[str]) -> str:
        return re.sub(r"\d", _SCALE_DIGIT, match.group(0))

    # A count is the scale's only when it is the number of its options: "3 answers from my family"
    # counts people, and "4 possible answers, 3 of them wrong" names no answer either way.
    # Any other count is struck too, as counted: it is no code, and no bare number of the text
    # is read beside it ("I pray 3 times a day; 5 responses fit" names no answer).
    def count(match: re.Match[str]) -> str:
        if _number(match.group()) == len(codes):
            return strike(match)
        return _COUNTED * len(match.group())

    text = _PART_OF.sub(strike, _SCALE_COUNT.sub(count, text))
    if len(codes) < 3:
        # On two options "1-2" is a hedge between them, not the scale named.
        return text
    low, high = min(codes), max(codes)
    named = re.compile(
        rf"(?<![\d.,{MINUS_SIGNS}])(?:({low})(?:{_SPACE}*(?:to|through|[{MINUS_SIGNS}{_DASHES}])"
        rf"{_SPACE}*)|out{_SPACE}+of{_SPACE}+)({high})(?!\d|{NUMBER_GOES_ON})",
        re.IGNORECASE,
    )
    text = named.sub(strike, text)
    if high != 10:
        return text
    # "8/10" rates on a ten-point scale, the 10 naming the scale as in "8 out of 10" ("Answer:
    # 8/10" was a hedge between 8 and 10). Only out of ten (on four options "2/4" may be a hedge),
    # and only as the answer: the whole reply, or right after an answer marker or a choice verb.
    # Elsewhere it is a fraction, a date or the rating of something else ("Around 3/10 of
    # people", "Since 2/10/2023", "Food here: 8/10" were 3, 2 and 8).
    rated = re.compile(
        rf"(?<![\d.,])\d+({_SPACE}*/{_SPACE}*10)(?!\d|{NUMBER_GOES_ON}|\w|{_SPACE}*(?:/|of\b))",
        re.IGNORECASE,
    )

    def rating(match: re.Match[str]) -> str:
        head = text[: match.start()]
        line = head[head.rfind("\n") + 1 :]
        whole = not line.strip(_EDGES) and not text[match.end() :].strip(_EDGES)
        if not (whole or _RATING_BEFORE.search(line)):
            return match.group()
        cut = match.start(1) - match.start()
        return match.group()[:cut] + re.sub(r"\d", _SCALE_DIGIT, match.group(1))

    return rated.sub(rating, text)


# The reply's own speaker before a choice verb ("I", "I'd", "I'll", "I would", "I will"), and
# the verbs that make a choice: one list for every rule that reads a choice.
_I_WOULD: Final = rf"I(?:['\u2019](?:d|ll)|{_SPACE}+(?:would|will))?"
_CHOICE_VERBS: Final = rf"choose|pick|select|say|go{_SPACE}+with|opt{_SPACE}+for"


# What may stand right before a rating out of ten that answers: an answer marker ("Answer:
# 8/10", "My answer is 8/10") or a first-person choice ("I'd say 8/10", "I'd give it a 7/10").
_RATING_BEFORE: Final = re.compile(
    rf"(?:\banswer\b[^\w\n]*(?:is\b{_SPACE}*)?|\b{_I_WOULD}"
    rf"{_SPACE}+(?:choose|pick|select|say|give(?:{_SPACE}+it)?"
    rf"|rate(?:{_SPACE}+(?:it|this|my{_SPACE}+\w+))?)"
    rf"{_SPACE}+(?:a{_SPACE}+|an{_SPACE}+)?)$",
    re.IGNORECASE,
)
# A count of part of a group ("3 of them", "2 of those"): no answer.
_PART_OF: Final = re.compile(
    rf"(?<![\d.,{MINUS_SIGNS}])\d+(?!\d|{NUMBER_GOES_ON})(?={_SPACE}+of{_SPACE}+"
    r"(?:them|those|these|us|you)\b)",
    re.IGNORECASE,
)

# The words that, right after a number, make it a quantity: a span of time, a count of people or
# of times, money, a share, a time of day ("3 years", "2 kids", "4 times", "9 euros", "10%",
# "3 o'clock"). A quantity is no answer, whatever code its digits write.
_UNITS: Final = (
    r"years?|yrs?|months?|weeks?|days?|hours?|hrs?|minutes?|mins?|seconds?|decades?"
    r"|centur(?:y|ies)|generations?|times?|people|persons?|kids?|child|children|siblings?"
    r"|brothers?|sisters?|sons?|daughters?|parents?|grandchildren|friends?|jobs?"
    r"|dollars?|euros?|pounds?|rupees?|bucks?|cents?|grand|lakhs?|crores?|percent|per\s+cent"
    r"|a\.m\.|p\.m\.|am|pm|o['\u2019]clock"
)
_MONTHS: Final = (
    r"jan(?:uary)?|feb(?:ruary)?|march|apr(?:il)?|june?|july?|aug(?:ust)?|sept?(?:ember)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_PROPORTION_NOT_NOUN: Final = (
    r"for|on|in|at|to|from|and|or|but|because|since|as|is|overall|here|me|I|it|this|that"
    r"|though|would|with|by|so|then|if|when|now|today|really|honestly|maybe|probably"
)
# A quantity: a number (or a range or choice of up to three, "2-3 years", "1 or 2 times"; a longer
# run was read back over at every number of it, "1-2-" * 25,000 took minutes) before a
# unit of :data:`_UNITS` or a share's "%" or a thousand's "k", after a currency sign ("$5",
# "\u20ac2"), a time of day written with its minutes ("1:30") or as "at 8 this morning", "at 6
# every day", a date ("May 3", "3 March"), or a proportion of something counted ("3 out of 10
# people", "4 in 10 voters": both numbers, before a word that is no preposition, conjunction or
# pronoun, so "9 out of 10 for me" still rates).
_QUANTITY: Final = re.compile(
    rf"(?<![\d.,])(?:\d+{_SPACE}*(?:[{MINUS_SIGNS}{_DASHES}]|\b(?:to|or)\b){_SPACE}*){{0,2}}"
    rf"\d+(?!\d|{NUMBER_GOES_ON})"
    rf"(?={_SPACE}*(?:%|(?:[{MINUS_SIGNS}]{_SPACE}*)?(?:{_UNITS})(?!\w))"
    rf"|k\b|:\d\d(?!\d))"
    rf"|(?<=[$\u20ac\u00a3\u00a5\u20b9]){_SPACE}*\d+"
    rf"|(?<![\d.,])\d+{_SPACE}+(?:out{_SPACE}+of|in){_SPACE}+[\d{_SCALE_DIGIT}]+"
    rf"(?={_SPACE}+(?!(?:{_PROPORTION_NOT_NOUN})\b)[^\W\d_])"
    rf"|\bat{_SPACE}+\d+(?!\d|{NUMBER_GOES_ON})"
    rf"(?={_SPACE}+(?:sharp|tonight|(?:this|every|each|tomorrow|in{_SPACE}+the){_SPACE}+"
    rf"(?:morning|afternoon|evening|night|day))\b)"
    rf"|\b(?:{_MONTHS}|may)\.?{_SPACE}+\d+(?!\d|{NUMBER_GOES_ON})"
    rf"|(?<![\d.,])\d+(?:st|nd|rd|th)?{_SPACE}+(?:of{_SPACE}+)?(?:{_MONTHS})\b",
    re.IGNORECASE,
)


def _strike_quantities(text: str) -> str:
    """``text`` with the digits of every quantity (:data:`_QUANTITY`: ``3 years``, ``2 kids``,
    ``4 times``, ``$5``, ``10%``, ``3 o'clock``) set aside as the numbers naming the scale are:
    a count, a span of time, money or a share beside the answer is no answer (``Paid 3 dollars
    for this survey`` was 3), and a label beside it is read alone (``I have 2 kids, so family is
    Very important`` was missing)."""
    return _QUANTITY.sub(lambda m: re.sub(r"\d", _SCALE_DIGIT, m.group()), text)


RETRACTIONS: Final = (
    r"(?:(?:hmm|erm|um|eh|oh|sorry)[^\w\n]*)?(?:"
    r"(?:actually|wait|erm|um|hmm|eh)[^\w\n]*no(?=[^\S\n]*(?:[^\w\s]|$))|no[^\w\n]*wait\b"
    r"|(?:scratch|strike|scrap|cancel|ignore|disregard)[^\S\n]+(?:that|the[^\S\n]+above)\b"
    r"|(?:on|upon)[^\S\n]+(?:second[^\S\n]+thought|reflection)\b|never[^\S\n]+mind\b"
    r"|correction(?=[^\w\s])|make[^\S\n]+(?:that|it)(?=[^\w\n]*(?:an?[^\S\n]+)?\d)"
    r"|hold[^\S\n]+on(?=[^\w\s])|oops\b|typo\b|nope\b"
    r"|undo\b|retracted\b|I[^\S\n]+(?:take[^\S\n]+it[^\S\n]+back|withdraw)\b"
    r"|forget[^\S\n]+I[^\S\n]+said\b|let[^\S\n]+me[^\S\n]+(?:rethink|revise)\b)"
)
"""What, right after a number (punctuation and spaces between), takes it back: ``actually no``,
``wait, no``, ``no, wait``, ``scratch that``, ``on second thought``, and every other way of
saying so (``strike``/``scrap``/``cancel``/``ignore``/``disregard`` ``that``, ``never mind``,
``on reflection``, ``Correction:``, ``make it 3``, ``hold on,``, ``oops``, ``typo``, ``nope``,
``undo``, ``[retracted]``, ``I take it back``, ``I withdraw``, ``forget I said``, ``let me
rethink``), a filler (``hmm``, ``sorry`` …) allowed before it; and ``No`` after the number
and a question mark (``2? No, 3``). The number is read by no rule, as a negated one is (``2?
No, 3`` and ``Answer: 3. Actually no, 2`` are 3 and 2; ``I'd pick 3... actually no`` is
missing). ``No`` must end its clause: ``Is it 2? No doubt`` takes nothing back. A number
ending its line is taken back too by a retraction opening the next line, or by a line opening
with ``Edit``, ``Update``, ``Correction``, ``Revision`` or ``Revised answer`` that names a
number (``Answer: 2\\nUpdate: 1`` and ``Answer: 2\\n\\nEdit: make that 3`` are 1 and 3; they
were 2)."""
# A number and the retraction (RETRACTIONS) after it: the number's digits are struck as a negated
# number's are, and the retraction's words blanked: on a yes/no item "1? No." names neither 1 nor
# the label "No" (it was read as 2 once 1 was struck).
# A line opening with a correction and naming a number ("Edit: 3", "Update: make that 1",
# "Correction: 4"): it takes back the number ending the line before, as a retraction right after
# it would ("Answer: 2\nUpdate: 1" was 2).
_LINE_CORRECTION: Final = (
    rf"(?:edit|update|correction|revision|revised(?:{_SPACE}+answer)?)\b"
    rf"(?=[^\d\n]*\d)"
)
_RETRACTED: Final = re.compile(
    rf"(?<![\d.,])(\d+)(?!\d|{NUMBER_GOES_ON})"
    rf"([^\w\n]*(?={RETRACTIONS})|{_SPACE}*\?[^\w\n]*(?=no{_SPACE}*(?:[^\w\s]|$))"
    rf"|[^\w\n]*\n\s*(?={_LINE_CORRECTION}|{RETRACTIONS}))"
    rf"({RETRACTIONS}|no|{_LINE_CORRECTION})",
    re.IGNORECASE | re.MULTILINE,
)


def strike_retracted(text: str) -> str:
    """``text`` with the digits of every number a retraction (:data:`RETRACTIONS`) takes back
    struck out, as :func:`strike_negated` does for a negated number, and the retraction's words
    blanked (spaces, so every position stays): ``3? No, 2`` names only 2."""

    def strike(match: re.Match[str]) -> str:
        digits, gap, words = match.groups()
        return _STRUCK * len(digits) + gap + " " * len(words)

    return _RETRACTED.sub(strike, text)


# An ordinal in digits ("the 2nd", "3rd"), and a count after it ("the 2nd of 4", "the 2nd of the
# 4"). After a slash it is a fraction's denominator ("1/10th"), no ordinal.
_ORDINAL: Final = re.compile(
    rf"(?<![\d.,/{MINUS_SIGNS}])(\d+)(?:st|nd|rd|th)\b"
    rf"(?:({_SPACE}+of{_SPACE}+(?:the{_SPACE}+)?)(\d+)(?!\d|{NUMBER_GOES_ON}))?",
    re.IGNORECASE,
)
# Where an ordinal names an option: after an answer marker or a choice verb ("Answer: the 2nd",
# "I'd choose the 3rd"), before a word for an option ("the 2nd option", "the 3rd one"), or as the
# whole reply ("The 2nd of 3."). Anywhere else it is prose: a year, a date, a child, a place in a
# race ("I'm in my 3rd year at uni" was read as the third option's code).
_ORDINAL_BEFORE: Final = re.compile(
    rf"(?:\banswer\b[^\w\n]*(?:is\b{_SPACE}*)?|\b(?:{_CHOICE_VERBS})\b{_SPACE}*)"
    rf"(?:the{_SPACE}+)?$",
    re.IGNORECASE,
)
_ORDINAL_AFTER: Final = re.compile(
    rf"{_SPACE}+(?:option|one|choice|answer|category|point)s?\b", re.IGNORECASE
)
# The most words a match of ``_ORDINAL_BEFORE`` holds ("answer is the", "go with the").
_ORDINAL_BEFORE_WORDS: Final = 3
# The whole reply an ordinal: "The 2nd.", "the 3rd of the 4 options".
_ORDINAL_ALONE: Final = re.compile(
    rf"[^\w]*(?:the{_SPACE}+)?\d+\w*(?:{_SPACE}+of{_SPACE}+(?:the{_SPACE}+)?\d+)?"
    rf"(?:{_SPACE}+(?:options|choices|answers))?[^\w]*",
    re.IGNORECASE,
)


def _ordinals_as_codes(text: str, options: Options) -> str:
    """``text`` with every ordinal in digits in an answer's place (:data:`_ORDINAL_BEFORE`,
    :data:`_ORDINAL_AFTER`) written as the code of the option at that position in the item's
    list, and a count of the options after it (``of 4``, ``of the 4``) set aside as
    :func:`_strike_scale` sets counts aside: ``the 2nd of 4`` on a scale coded 1 to 4 is 2, while
    ``the 2nd of 3`` is 1 on a scale coded 0, 1, 2 and 3 on one listing 1, 3, 2 (both were read
    as 2). Any other ordinal, with the count after it, is set aside: it names no option (``I'm
    the 2nd of 4 kids`` was 4, ``my 2nd year`` 2). An answer's ordinal past the last option is
    left as written."""

    # Each reading below is done once per reply or bounded near the ordinal, never over the whole
    # text or line per ordinal: a blank half and then thousands of ordinals took most of a minute.
    alone = _ORDINAL_ALONE.fullmatch(text) is not None
    words = [word.start() for word in re.finditer(r"\w+", text)]

    def code(match: re.Match[str]) -> str:
        position = _number(match.group(1))
        whole = match.group(0)
        start = match.start()
        # Bounded as a choice's sentence is (a line of thousands of ordinals took minutes).
        window = max(0, start - CHOICE_CONTEXT)
        low = max(text.rfind("\n", window, start) + 1, window)
        # A match of ``_ORDINAL_BEFORE`` ends right before the ordinal and holds at most its last
        # words, so it is sought from there, not from every place in the window.
        last = bisect.bisect_left(words, start) - _ORDINAL_BEFORE_WORDS
        since = max(low, words[last]) - low if last >= 0 else 0
        if not (
            alone
            or _ORDINAL_BEFORE.search(text[low:start], since)
            # In place, not on a copy of the rest of the line: it stops at the line's end itself.
            or _ORDINAL_AFTER.match(text, match.end())
        ):
            return re.sub(r"\d", _SCALE_DIGIT, whole)
        if position is None or not 1 <= position <= len(options):
            return whole
        out = str(options[position - 1][0])
        if match.group(3) is not None:
            count = match.group(3)
            if _number(count) == len(options):
                count = _SCALE_DIGIT * len(count)
            out += match.group(2) + count
        return out

    return _ORDINAL.sub(code, text)


# A choice in the first person, in words ("I'd choose", "I pick", "I'll go with", "I would say"),
# and the code or number word right after it ("option" or "number" between allowed). Right after a
# quote it is someone else's words ('She always says "I pick 1"'), so no choice.
_CHOICE: Final = re.compile(
    rf"(?<![\w\"'\u201c\u2018\u00ab]){_I_WOULD}{_SPACE}+"
    rf"(?:{_CHOICE_VERBS}){_SPACE}+"
    rf"(?:(?:option|number){_SPACE}+)?(?:(\d+)(?!\d|{NUMBER_GOES_ON})|({_NUMBER_WORD}))"
    # The code ends its sentence: no clause goes on after it ("I'd choose 2 if I were younger",
    # "I'll go with 2, or 3").
    rf"(?=[*_\"'\u201d\u2019)\]]*(?:[.!\u2026]*{_SPACE}*$|[.!\u2026]+\s))",
    re.IGNORECASE | re.MULTILINE,
)
# A choice verb and the code after it, whoever speaks ("I'd say 2", "my wife would choose four",
# "Imagine I pick 1"): every choice a reply names, its own or not.
_ANY_CHOICE: Final = re.compile(
    rf"\b(?:chose|picked|{_CHOICE_VERBS}){_SPACE}+"
    rf"(?:(?:option|number){_SPACE}+)?(?:(\d+)(?!\d|{NUMBER_GOES_ON})|({_NUMBER_WORD}))",
    re.IGNORECASE,
)
# The speaker of a choice is the reply's: "I'd", "I will", "would I" right before the verb.
_FIRST_PERSON: Final = re.compile(
    rf"(?:\b{_I_WOULD}|\b(?:would|will){_SPACE}+I)"
    rf"{_SPACE}+$",
    re.IGNORECASE,
)
# Words before a choice, in its sentence, that make it not the reply's own answer: a hypothetical
# ("if", "were", "imagine", "in your shoes", "back when"), a denial ("not that", "no way", "as
# if", "nobody"), reported words ("says", "told"), someone else's turn ("as for my brother").
_NOT_OWN: Final = re.compile(
    r"\b(?:if|unless|were|had|imagine|suppose|supposing|pretend|in\s+your\s+shoes|back\s+when"
    r"|used\s+to|forced|not\s+(?:that|like)\s+I|never|no\s+way|as\s+if|nobody|no\s+one"
    r"|don['\u2019]?t\s+expect|says|said|tells?|told|reads|writes|claims?|as\s+for"
    r"|devil['\u2019]?s\s+advocate|(?:my|his|her|their|our|your)\s+(?:brother|sister|husband"
    r"|wife|partner|friend|mom|mum|mother|dad|father|parent|kid|child|children|son|daughter"
    r"|family|boss|colleague)s?)\b",
    re.IGNORECASE,
)
# The idiom of a reply that does answer: "If I had to choose, I'd say 2." is its choice.
_FORCED_CHOICE: Final = re.compile(
    r"\bif\s+(?:I\s+(?:had|have)\s+to|forced)(?:\s+(?:choose|pick|answer|say|decide))?\b",
    re.IGNORECASE,
)
# Right after a choice: a denial or a question makes it no answer ("I'll go with 1. Not." as a
# sentence of its own, never "I pick 2, not 1.5";
# "You think I'd pick 4?", "I'd pick 4 over my dead body").
_DENIED_AFTER: Final = re.compile(
    r"[^\w\n]*(?:\?|(?<=[.!\u2026])\s*not(?:[.!\u2026]+|\s*$)|over\s+my\s+dead\s+body"
    r"|(?:just\s+)?kidding)",
    re.IGNORECASE,
)
# A colon of an answer marker ("Answer: I'd pick 2") is the reply's; any other colon before a
# choice introduces words quoted or someone else's ("She said: I'd choose 1").
_MARKER_COLON: Final = re.compile(r"\banswer(?:\s+is)?\W*$", re.IGNORECASE)
# The end of the sentence before a choice.
_SENTENCE_END: Final = re.compile(r"[.!?;\n\u3002]")
_NO_CHOICE: Final = -1
_OPENING_QUOTE: Final = re.compile(r"(?:^|(?<=[\s(:]))[\"\u201c\u00ab\u2018'`](?=\S)")
_COLON_OR_QUOTE: Final = ":\"\u201c\u00ab\u2018'`"
CHOICE_CONTEXT: Final = 1000
"""How far before a choice its sentence and the sentence before it are read (characters): a
natural sentence is far shorter, and a bound keeps a reply of many choices linear."""
_SPEAKER_CONTEXT: Final = 64
# How far before a choice's verb its speaker (:data:`_FIRST_PERSON`: "I'd", "would I") is
# looked for, spaces included.


def _choice_code(match: re.Match[str]) -> int | None:
    digits, word = match.group(1), match.group(2)
    return _number(digits) if digits is not None else NUMBER_WORDS.index(word.casefold())


class _NotOwnWords:
    """Where :data:`_NOT_OWN` words stand in a text (a :data:`_FORCED_CHOICE` idiom blanked),
    found in one pass: searched again in every choice's sentence, a reply repeating a choice
    thousands of times in one sentence took seconds."""

    def __init__(self, text: str) -> None:
        blanked = _FORCED_CHOICE.sub(lambda m: " " * len(m.group()), text)
        spans = [m.span() for m in _NOT_OWN.finditer(blanked)]
        self.starts = [start for start, _ in spans]
        self.ends = [end for _, end in spans]

    def within(self, start: int, end: int) -> bool:
        """Whether a word lies wholly in ``text[start:end]``."""
        at = bisect.bisect_left(self.starts, start)
        return at < len(self.ends) and self.ends[at] <= end


def _own_choice(text: str, match: re.Match[str], not_own: _NotOwnWords) -> bool:
    """Whether the choice ``match`` in ``text`` is the reply's own answer: said in the first
    person, not in a hypothetical, denied, reported or quoted sentence, nor after a question
    (``My sister? I'd say 3``), a colon other than a marker's (``She said: I'd choose 1``), a
    quote mark, a backtick or a Markdown quote, nor denied or asked right after it."""
    # Only the words just before a choice are its sentence and the one before: read back over
    # the whole text, a reply repeating a choice thousands of times took minutes.
    low = max(0, match.start() - CHOICE_CONTEXT)
    before = text[low : match.start()]
    ends = list(_SENTENCE_END.finditer(before))
    start = ends[-1].end() if ends else 0
    sentence = before[start:]
    # Only a colon or a quote mark makes the checks below read the sentence (each a pass over it).
    marked = any(mark in sentence for mark in _COLON_OR_QUOTE)
    if marked:
        sentence = _FORCED_CHOICE.sub(" ", sentence)
    if not_own.within(low + start, match.start()) or _DENIED_AFTER.match(text, match.end()):
        return False
    colon = sentence.rfind(":")
    if (
        colon >= 0
        and len(sentence[colon + 1 :].split()) <= 3
        and not _MARKER_COLON.search(sentence[:colon])
    ):
        return False
    if marked and _OPENING_QUOTE.search(sentence):
        return False
    line = before[before.rfind("\n") + 1 :]
    if line.lstrip().startswith(">"):
        return False
    # The sentence before: a question ("How many kids would I want? I'd say 2"), or a
    # hypothetical trailing off ("If I were younger...").
    prior = before[:start].rstrip()
    if prior.endswith("?"):
        return False
    if prior.endswith(("..", "\u2026")):
        body = prior.rstrip(".\u2026")
        cut = list(_SENTENCE_END.finditer(body))
        if _NOT_OWN.search(body[cut[-1].end() if cut else 0 :]):
            return False
    return True


def disowned_choices(text: str) -> set[int | None]:
    """The codes ``text`` names in choices that are not its own answer (:func:`_own_choice`:
    ``If I were younger? I'd pick 1``, ``My sister? I'd say 3``, ``Not that I'd choose 1``,
    ``She said: I'd choose 1``): the reply's answer is never one of them."""
    not_own = _NotOwnWords(text)
    return {
        _choice_code(m) for m in _ANY_CHOICE.finditer(text) if not _own_choice(text, m, not_own)
    }


def _choice(text: str, options: Options) -> int | None:
    """The code the one first-person choice in ``text`` names (:data:`_CHOICE`: ``I'd choose
    2.``, ``I pick 3.``, ``I'll go with 4.``, ``I'd say two.``); :data:`_NO_CHOICE` when there is
    no such choice, the text names another choice (``I'd pick 2. Or I'd pick 3``), or it is not
    the reply's own (:func:`_own_choice`); None when its number is no option, or the text after
    it names another code in digits, in words or by its label, or takes something back (``I
    pick 2. My husband would pick 1``, ``I'd say two. Actually, three``, ``I'd say two. Scratch
    that``)."""
    # Someone else's choices may stand beside it ("She picked 1; I pick 2"), but not a second
    # one of the reply's own ("I'd pick 2. Or I'd pick 3" was 3).
    not_own = _NotOwnWords(text)
    own = [
        m
        for m in _ANY_CHOICE.finditer(text)
        if _FIRST_PERSON.search(text, max(0, m.start() - _SPEAKER_CONTEXT), m.start())
        and _own_choice(text, m, not_own)
    ]
    if len(own) != 1:
        return _NO_CHOICE
    last = next((m for m in _CHOICE.finditer(text) if m.end() == own[0].end()), None)
    if last is None:
        return _NO_CHOICE
    value = _choice_code(last)
    codes = {code for code, _ in options}
    if value not in codes:
        # The choice is no option ("I'd say 7." on four): no other number takes its place.
        return None
    rest = text[last.end() :]
    named = {_number(m) for m in INTEGER.findall(rest)} & codes
    named |= {
        NUMBER_WORDS.index(w.casefold()) for w in re.findall(_NUMBER_WORD, rest, re.IGNORECASE)
    } & codes
    haystack = f" {_normalise(rest)} "
    named |= {
        code
        for code, label in _worded(options)
        if _normalise(label)
        and re.search(rf"(?<!\w){re.escape(_normalise(label))}(?!\w)", haystack)
    }
    if named - {value} or re.search(RETRACTIONS, rest, re.IGNORECASE):
        return None
    return value


# A code and, after punctuation or spaces, a label up to the end of its clause (a line, a closing
# bracket, a comma or semicolon): "1. Rather important", "2 (Very important)".
_CODE_AND_LABEL: Final = re.compile(
    rf"(?<![\d.,])(\d+)(?!\d|{NUMBER_GOES_ON}){_SPACE}*[.):=(\u2013\u2014{MINUS_SIGNS}]*{_SPACE}*"
    r"([^\n)\],;]*)"
)


def _quoted_option(line: str, options: Options) -> int | None:
    """The code of the option ``line`` quotes whole as ``<code>. <label>`` (a bullet, brackets or
    other punctuation around it allowed, and words after the label), or None."""
    match = re.match(r"[^\w\n]*(\d+)[^\w\n]+(.*)", line)
    if match is None:
        return None
    code, rest = _number(match.group(1)), _normalise(match.group(2))
    for own, label in _worded(options):
        if own == code and re.match(rf"{re.escape(_normalise(label))}(?!\w)", rest):
            return code
    return None


def _mislabelled(text: str, options: Options) -> bool:
    """Whether ``text`` writes a code beside another option's label, as the whole of its clause
    (``1. Rather important``, ``Answer: 2 (Very important)``): the reply contradicts itself, so it
    gives no answer (both were read as the code). The longest label that fits is the one named
    (``2. Agree strongly`` names "Agree strongly", code 1, not "Agree")."""
    codes = {code for code, _ in options}
    labels = {_normalise(label): code for code, label in _worded(options)}
    for match in _CODE_AND_LABEL.finditer(text):
        code = _number(match.group(1))
        named = labels.get(_normalise(match.group(2)))
        if code in codes and named is not None and named != code:
            return True
    return False


# "my family" before a bare code is mostly the item's own subject ("I see my family 3 times a
# week" on "How important is family"), not its speaker; before a choice verb it stays one.
_SUBJECT_NOT_SPEAKER: Final = re.compile(r"famil(?:y|ies)", re.IGNORECASE)


def _strike_not_own(text: str) -> str:
    """``text`` with the digits of every sentence that is not the reply's own answer (the words
    of :data:`_NOT_OWN` in it: hypothetical, denied, reported, someone else's; ``If I had to
    choose`` excepted) replaced by ``#``, so that no rule reads them as a bare code: ``Were I
    younger, 2.``, ``Had I kids, 1.``, ``My kids feel 1, I don't.`` name no answer (they were 2,
    1 and 1), as a choice in such a sentence never did. Every position stays."""

    def strike(match: re.Match[str]) -> str:
        sentence = match.group()
        words = _NOT_OWN.finditer(_FORCED_CHOICE.sub(" ", sentence))
        if any(not _SUBJECT_NOT_SPEAKER.fullmatch(w.group().split()[-1]) for w in words):
            return re.sub(r"\d", "#", sentence)
        return sentence

    return re.sub(r"[^.!?;\n\u3002]+", strike, text)


def parse_response(text: str, options: Options) -> int | None:
    """The option code a response gives (rules in the module docstring), or None (a reply longer
    than :data:`MAX_REPLY_CHARS` too: :func:`readable`)."""
    cut = readable(text)
    if cut is None:
        return None
    text = cut
    plain = _SIGN_WORD.sub("-", _ordinals_as_codes(strike_reasoning(text), options))
    codes = {code for code, _ in options}
    # Striking keeps every position (one character per digit), so a struck run's digits are read
    # back from ``plain`` at the same place.
    text = _strike_quantities(_strike_scale(strike_retracted(strike_negated(plain)), codes))
    if _mislabelled(text, options):
        return None
    # The last marker wins, but one whose number (the first on its line) is negated ("the answer
    # is not 3") gives none and leaves the word to the marker before it, read up to that one
    # ("Answer: 2. The answer is not 3" was read as 3).
    end = len(text)
    # Once a negated marker is passed over, the text before the first marker is no answer: it
    # names options the reply goes on to weigh ("Option 1 is too weak. Answer: not 3" was 1).
    passed_over = False
    # The numbers a passed-over marker negates: an earlier answer giving one of them is taken
    # back ("Answer: 1 ... the answer is not 1; it's 3" was read as 1), so the reply is missing.
    # A choice that is not the reply's own ("My sister? I'd say 3", "Not that I'd choose 1")
    # names a code no rule may read as the answer.
    retracted: set[int | None] = disowned_choices(text)
    markers = list(ANSWER_MARKER.finditer(text))
    for marker in reversed(markers):
        start = marker.end()
        raw = text[start:end].split("\n", 1)[0]
        line = _opening_in_digits(raw, options)
        # The number word in digits in the text itself, so that every rule reads the same text
        # ("Answer: Two. Some might say 3" was 3 where "Answer: 2. Some might say 3" is 2).
        if line != raw:
            text = text[:start] + line + text[start + len(raw) :]
            end += len(line) - len(raw)
        first = _FIRST_NUMBER.search(line)
        if first is not None and first.group() == _STRUCK:
            # A line opening with a number word is never passed over (its digits are not
            # struck), so the text up to here still lines up with ``plain``.
            at = start + first.start()
            run = len(text[at:end]) - len(text[at:end].lstrip(_STRUCK))
            retracted.add(_number(plain[at : at + run]))
            end = marker.start()
            passed_over = True
            continue
        # A number that opens the marker's line is the reply's answer: when it is no option
        # (-2, 7, 1.5) the response is missing, and no other number of the text takes its place
        # ("Answer: -2" and then "option 3 felt too strong" was read as 3).
        if _opens_with_non_option(text, start, line, options):
            return None
        # A code joined to a second one as a hedge or range ("2 or 3", "2, maybe 3", "1 through
        # 3") offers two answers: the reply gives none, whatever else it names.
        hedged = _HEDGED_CODE.match(line)
        if hedged is not None and _number(hedged.group(1)) in codes:
            return None
        # The marker's line quoting an option, and the next line another: the reply lists the
        # options after its marker ("Answer:" then "1. Very important", "2. Rather important" ...),
        # which answers nothing (it was read as 1, the first listed).
        after = text[start + len(raw) : end].split("\n", 2)
        quoted = _quoted_option(line, options)
        if quoted is not None and len(after) > 1:
            following = _quoted_option(after[1], options)
            if following is not None and following != quoted:
                return None
        # A valid code opening the line settles it: what follows explains it, and the codes an
        # explanation names ("Answer: 2 (not 1, 3 or 4)", "Answer: 2 rather than 3") are no
        # second answer; only a second code joined to it as a hedge or range ("2 or 3", "2-3")
        # leaves the line to rules 2-5.
        opening = _OPENING_CODE.match(line)
        if opening is not None and _number(opening.group(1)) in codes:
            return _unless_retracted(_number(opening.group(1)), retracted)
        value = _read(line, options) if line.strip() else None
        if value is not None:
            return _unless_retracted(value, retracted)
        break
    rest = text[markers[0].end() :] if passed_over else text
    # A retraction left after the numbers' own are struck takes back the words before it: only
    # what follows answers ("Very important. Scratch that." was 1).
    taken_back = list(re.finditer(RETRACTIONS, rest, re.IGNORECASE))
    if taken_back:
        rest = rest[taken_back[-1].end() :]
    # A first-person choice ending its sentence ("I'd choose 2.") reads as a marker would, so the
    # codes and labels weighed before it are no second answer ("1 = Very important (too
    # strong) ... I choose 2." was missing).
    found = _choice(rest, options)
    if found == _NO_CHOICE:
        # Outside a marker and a first-person choice, a code in a sentence that is not the reply's
        # own is no answer either ("Were I younger, 2." was 2).
        found = _read(_strike_not_own(rest), options)
    return _unless_retracted(found, retracted)


def _unless_retracted(value: int | None, retracted: set[int | None]) -> int | None:
    """``value``, or None when a later marker negates it ("the answer is not 1")."""
    return None if value in retracted else value


@public
@reads(path="RESPONSES", dataset_dir="--dataset")
def parse_responses(path: PathArg, dataset_dir: PathArg, config: str = "default") -> ParseResult:
    """Parse a responses file against the options of ``config``'s samples (any split).

    Raises:
        PredictionsError: lines that are not JSON objects with a string ``id`` and ``response``,
            unknown or duplicate ids (every problem listed, ``FILE: line N: ...``).
        InputError: the file is missing, unreadable or empty, or the dataset cannot be read.
    """
    name = str(path)
    lines = read_lines(path, "no responses")
    problems = lines.problems
    options = load_options(dataset_dir, config)
    parsed: list[dict[str, Any]] = []
    unparsed: list[str] = []
    refused: list[dict[str, str]] = []
    too_long: list[str] = []
    for number, obj in response_lines(lines, problems):
        sample_id: str = obj["id"]
        response: str = obj["response"]
        if sample_id not in options:
            problems.append((number, f"unknown id {sample_id!r}: in no split of config {config!r}"))
            continue
        if isinstance(obj.get("refusal"), str):
            refused.append({"id": sample_id, "refusal": obj["refusal"]})
            continue
        if "distribution" in obj:
            mode = distribution_mode(obj["distribution"], options[sample_id])
            if mode is None:
                problems.append(
                    (number, "distribution is not {code: share} over the options, summing to 1")
                )
                continue
            parsed.append(
                {
                    "id": sample_id,
                    "answer": mode,
                    "distribution": obj["distribution"],
                    "response": response,
                }
            )
            continue
        answer = parse_response(response, options[sample_id])
        if answer is None:
            unparsed.append(sample_id)
            if len(response) > MAX_REPLY_CHARS:
                too_long.append(sample_id)
        else:
            parsed.append({"id": sample_id, "answer": answer, "response": response})
    if problems:
        raise PredictionsError(name, problems)
    # The dataset's order, not the file's: a run appends lines as replies finish, so the same
    # replies came in another order on each run, and so did the predictions file parse wrote.
    order = {sample_id: index for index, sample_id in enumerate(options)}
    return ParseResult(
        predictions=tuple(sorted(parsed, key=lambda line: order[line["id"]])),
        unparsed_ids=tuple(sorted(unparsed, key=order.__getitem__)),
        n_lines=lines.count,
        refused=tuple(sorted(refused, key=lambda line: order[line["id"]])),
        too_long_ids=tuple(sorted(too_long, key=order.__getitem__)),
    )


def distribution_mode(distribution: object, options: Options) -> int | None:
    """The mode of a ``{"<code>": share}`` distribution over ``options`` (on a tie the first
    code in scale order); None when it is not such a mapping or its shares do not sum to 1
    (within :data:`~sgbench.scoring.data.DISTRIBUTION_TOLERANCE`, the scorer's rule)."""
    if not isinstance(distribution, dict) or not distribution:
        return None
    codes = {str(code): code for code, _ in options}
    shares: dict[int, float] = {}
    for key, value in distribution.items():
        if key not in codes or isinstance(value, bool) or not isinstance(value, int | float):
            return None
        if not math.isfinite(value) or value < 0:
            return None
        shares[codes[key]] = float(value)
    # The rule `sgbench score` applies to the file parse writes: shares summing to 1 (a sum
    # overflowing to inf fails the comparison too).
    if not abs(sum(shares.values()) - 1.0) <= DISTRIBUTION_TOLERANCE:
        return None
    best = max(shares.values())
    return next(code for code, _ in options if shares.get(code) == best)
