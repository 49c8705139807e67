"""A negated or compared number is no answer (#15): ``Answer: not 2`` was read as 2, and
``Answer: 2. The answer is not 3`` as 3, with exit 0.

The rule (parse's NEGATIONS, NEGATION_MARKS, OPENING_SIGN and NUMBER_GOES_ON) is shared by the
judge's verdict reader: each case below names, by hand, what the reply says.
"""

from __future__ import annotations

import pytest

from sgbench.judge.prompt import parse_verdicts
from sgbench.scoring.parse import MAX_REPLY_CHARS, parse_response

OPTIONS = [
    (1, "Very important"),
    (2, "Rather important"),
    (3, "Not very important"),
    (4, "Not at all important"),
]


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        # A negation or comparison before the number: the marker names no code.
        ("Answer: not 2", None),
        ("Answer: Not 2", None),
        ("Answer: **not** 2", None),
        ("The answer is not 2", None),
        ("Answer: never 2", None),
        ("Answer: isn't 2", None),
        ("Answer: \u00ac2", None),
        ("Answer: !2", None),
        ("Answer: != 2", None),
        ("Answer: \u22602", None),
        ("Answer: <2", None),
        ("Answer: >2", None),
        ("Answer: >=2", None),
        ("Answer: <= 2", None),
        ("Answer: \u2264 2", None),
        ("Answer: \u22652", None),
        # A digit struck through by a combining mark (long solidus, long stroke).
        ("Answer: 2\u0338", None),
        ("Answer: 2\u0336", None),
        # A marker whose number is negated gives nothing and leaves the word to the one before.
        ("Answer: 2. The answer is not 3, since 3 is too strong", 2),
        ("Answer: 2\nNote: answer is not 3", 2),
        ("Answer: 2 \u2014 the answer is certainly not 4", 2),
        ("Answer: 1. The answer is \u00ac3", 1),
        ("Answer: 7. The answer is not 3", None),  # the earlier marker's 7 is no option
        # A negated number beside a clean one: the clean one is the answer.
        ("Answer: 2 (not 3)", 2),
        ("The answer is 2, not 3", 2),
        ("It isn't 3, it's 2", 2),
        ("I pick 2\u0336 3", 3),
        ("Answer: not 2 but 3", 3),
        # A later marker with an answer still wins, and "no" before it is prose.
        ("Answer: 2. No, the answer is 3", 3),
        # A sign parted from the digits by spaces, or a dash right before them, opens the
        # answer: the number is negative, so missing.
        ("Answer: - 2", None),
        ("answer is - 2", None),
        ("Answer: \u2212 3", None),
        ("Answer: \u20142", None),
        ("Answer: \u2015 1", None),
        ("Answer: - two", None),
        # An exponent goes on: 1e0 and 1e3 are no option, nor is either digit run of them.
        ("Answer: 1e0", None),
        ("Answer: 1e3", None),
        ("Answer: 2E-1", None),
        ("I'd say 1e0", None),
        # Still read: a dash as the marker's separator, a list bullet, a Markdown quote, an
        # arrow, a tag, the prompt's <number> filled in, "No." for number, an exclamation.
        ("Answer: 2", 2),
        ("Answer - 2", 2),
        ("**Answer** - 2", 2),
        ("Answer \u2014 2", 2),
        ("Answer\u20142", 2),
        ("Answer:\n- 2", 2),
        ("Answer:\n> 2", 2),
        ("Answer -> 2", 2),
        ("Answer => 2", 2),
        ("<answer>2</answer>", 2),
        ("Answer: <2>", 2),
        ("Answer: No. 2", 2),
        ("Hard one! 2", 2),
        ("Answer: 2!", 2),
        ("Answer -2", None),  # a minus against the digits is a sign, as before
    ],
)
def test_negated_number_is_no_answer(response: str, expected: int | None) -> None:
    assert parse_response(response, OPTIONS) == expected


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        # A negated marker with no marker before it gives nothing: the text before it names the
        # options the reply weighs, not its answer (was 1, and "Answer: -2 ... 3" is missing).
        ("Option 1 is too weak. Answer: not 3", None),
        ("Option 1 is too weak.\nThe answer is not 3.", None),
        # The rest of the marker's line still counts, and so does an earlier marker.
        ("Option 1 is too weak. Answer: not 3 but 2", 2),
        ("Answer: 2. The answer is not 3", 2),
        # A bullet after indentation is no sign (these were missing, read as -2).
        ("Answer:\n  - 2", 2),
        ("Answer:\n\t- 2", 2),
        ("Answer:\n\n   - 3", 3),
        ("Answer:\n  -2", None),  # a minus against the digits is still a sign
        # A number word joined by a hyphen to more word is part of another word (was 2 and 1).
        ("Answer: two-thirds", None),
        ("Answer: one-sided", None),
        ("Answer: -two", None),  # a sign before the word stays a sign
        # Negated alternatives and a negation reaching over one word are set aside (missing).
        ("Answer: 2 (not 1 or 3)", 2),
        ("Answer: 2, never 1 nor 4", 2),
        ("Answer: 2 \u2014 I did not choose 1", 2),
        ("I wouldn't pick 3. I'd say 2", 2),
        ("Answer: not 2 or 3", None),
    ],
)
def test_marker_holes_of_the_probe(response: str, expected: int | None) -> None:
    assert parse_response(response, OPTIONS) == expected


@pytest.mark.parametrize(
    ("words", "digits"),
    [
        ("Answer: Two. Some might say 3", "Answer: 2. Some might say 3"),
        ("Answer: two, or maybe 3", "Answer: 2, or maybe 3"),
        ("Answer: three\nI considered 3", "Answer: 3\nI considered 3"),
        ("Answer: four. Not 1", "Answer: 4. Not 1"),
    ],
)
def test_number_word_reads_as_its_digits(words: str, digits: str) -> None:
    """Every rule reads the word in digits: "Answer: Two. Some might say 3" was 3 (the fallback
    read the original text) while the same reply in digits was not."""
    assert parse_response(words, OPTIONS) == parse_response(digits, OPTIONS)


def test_number_word_and_digit_agree_by_hand() -> None:
    # The opening code settles its line (a later "might say 3" explains it): 2, as the digit.
    assert parse_response("Answer: Two. Some might say 3", OPTIONS) == 2
    assert parse_response("Answer: 2. Some might say 3", OPTIONS) == 2
    assert parse_response("Answer: three\nI considered 3", OPTIONS) == 3
    assert parse_response("Answer: four. Not 1", OPTIONS) == 4


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("overall: not 1", None),
        ("overall: \u00ac1", None),
        ("overall: <2", None),
        ("overall: 1\u0338", None),
        ("overall: 2\u0336", None),
        ("overall: - 2", None),
        ("overall = \u2212 1", None),
        ("overall: 1e0", None),
        ('{"overall": "<2"}', None),
        ('{"overall": "!2"}', None),
        ('{"overall": "not 1"}', None),
        ('{"overall": "2\u0338"}', None),
        # Still read: the dash as the separator, the placeholder <1|2|tie> filled in.
        ("overall - 2", "2"),
        ("overall: 2", "2"),
        ('{"overall": "<2>"}', "2"),
        ('{"overall": "1"}', "1"),
        # A full stop ends a verdict (both were unread); a dot joined to more does not.
        ("overall: 2.", "2"),
        ("overall: 2. Response 1 is weaker", "2"),
        ("overall: tie.", "tie"),
        ("overall: 2.5", None),
        ("overall: 1..2", None),
        ("overall: 1.x", None),
    ],
)
def test_judge_reads_no_negated_verdict(reply: str, expected: str | None) -> None:
    assert parse_verdicts(reply, ["overall"]) == {"overall": expected}


def test_many_negated_markers_read_in_linear_time() -> None:
    """Each passed-over marker is read only up to the next one: a reply of many negated markers
    on one line was read once per marker, to the end of the line."""
    # 4,700 markers: as many as fit in the longest reply read (MAX_REPLY_CHARS).
    reply = "Answer: 2. " + "the answer is not 3, " * 4_700
    assert len(reply) <= MAX_REPLY_CHARS
    assert parse_response(reply, OPTIONS) == 2


O10 = [(1, "Never justifiable"), *((i, str(i)) for i in range(2, 10)), (10, "Always justifiable")]


@pytest.mark.parametrize(
    ("reply", "options", "expected"),
    [
        # A valid code opening the marker's line settles it; the explanation after it names
        # other codes (all of these were missing).
        ("Answer: 2. I wouldn't go with 3.", OPTIONS, 2),
        ("Answer: 2 (I never pick extremes like 1 or 4)", OPTIONS, 2),
        ("Answer: 4. Not higher than 5.", O10, 4),
        ("Answer: 2 (not 1, 3 or 4)", OPTIONS, 2),
        ("Answer: 2 (not 1, 3, or 4)", OPTIONS, 2),
        ("Answer: 2 (not 1 and 3)", OPTIONS, 2),
        ("Answer: 2 (not 1/3)", OPTIONS, 2),
        ("Answer: 2 (neither 1 nor 3)", OPTIONS, 2),
        ("Answer: 3 (never 1, nor 4)", OPTIONS, 3),
        ("Answer: 2 rather than 3", OPTIONS, 2),
        ("**Answer:** 2 \u2014 3 felt too strong", OPTIONS, 2),
        # A second code joined as a hedge or range: the line is ambiguous, so missing.
        ("Answer: 2 or 3", OPTIONS, None),
        ("Answer: 2 or maybe 3", OPTIONS, None),
        ("Answer: 2 (or 3)", OPTIONS, None),
        ("Answer: 2-3", OPTIONS, None),
        ("Answer: 2 \u2013 3", OPTIONS, None),
        ("Answer: 2/3", OPTIONS, None),
        ("Answer: 2 to 3", OPTIONS, None),
        ("Answer: 2, 3", OPTIONS, None),
        ("Answer: 2 and 3", OPTIONS, None),
        ("Answer: two or 3", OPTIONS, None),
        ("Answer: 2,5", O10, None),
    ],
)
def test_opening_code_settles_its_line(
    reply: str, options: list[tuple[int, str]], expected: int | None
) -> None:
    assert parse_response(reply, options) == expected


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        # A later marker negating the number an earlier one gave takes it back: missing.
        ("Answer: 1\n\nThinking again, the answer is not 1; it's 3.", None),
        ("Answer: 2\n\nActually no, the answer is not 2.", None),
        ("Answer: 1\nThe answer isn't 1 after all.", None),
        ("Answer: 2\n\nWait.\n\nAnswer: not 2, but 3", None),
        # Negating another number retracts nothing.
        ("Answer: 2. The answer is not 3", 2),
        ("Answer: 2\n\nThe answer is not 4.", 2),
        ("Answer: not 2 but 3", 3),
    ],
)
def test_later_marker_retracts_the_number_it_negates(reply: str, expected: int | None) -> None:
    assert parse_response(reply, OPTIONS) == expected


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        # Markdown or HTML strikethrough negates the digits right after it, as U+0336 does.
        ("Answer: ~~1~~", None),
        ("Answer: <s>1</s>", None),
        ("Answer: <del>1</del>", None),
        ("Answer: <STRIKE>1</STRIKE>", None),
        ("Answer: <del class='x'>1</del>", None),
        ("Answer: ~~1~~ 2", 2),
        ("Answer: <s>1</s> 3", 3),
        ("I was going to say ~~4~~, but 3", 3),
        ("Answer: 1\u0336", None),
    ],
)
def test_strikethrough_markup_negates(reply: str, expected: int | None) -> None:
    assert parse_response(reply, OPTIONS) == expected


def test_judge_reads_strikethrough_as_no_verdict() -> None:
    assert parse_verdicts('{"overall": "~~1~~"}', ["overall"]) == {"overall": None}
    assert parse_verdicts('{"overall": "<del>2</del>"}', ["overall"]) == {"overall": None}


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        # A number word going on into more words is a pronoun or prose, not the number.
        ("Answer: One would say Rather important", 2),
        ("Answer: One could argue either way, but Rather important", 2),
        ("Answer: one would pick 3", 3),
        ("Answer: Two is my choice", None),
        # Punctuation, the end of the line, an option's label or a hedge after it: the number.
        ("Answer: two", 2),
        ("Answer: One.", 1),
        ("Answer: Two Rather important", 2),
        ("Answer: three (Not very important)", 3),
        ("Answer: two or 3", None),
    ],
)
def test_number_word_followed_by_words_is_prose(reply: str, expected: int | None) -> None:
    assert parse_response(reply, OPTIONS) == expected


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        # Every retraction takes back the marker's code; a code after it is the answer.
        ("Answer: 2. Correction: 3.", 3),
        ("Answer: 1. Strike that.", None),
        ("Answer: 4. Disregard the above.", None),
        ("I'd say 2. Never mind.", None),
        ("Answer: 3. I take it back.", None),
        ("Answer: 2 (oops, meant 3)", 3),
        ("Answer: 2. Sorry, typo \u2014 1.", 1),
        ("Answer: 4. On reflection, 3.", 3),
        ("Answer: 3. Hmm, no \u2014 make it 2.", 2),
        ("Answer: 6. Nope.", None),
        ("Answer: 2. I withdraw my answer.", None),
        ("Answer: 2 [retracted]", None),
        # The words elsewhere, not right after a number, take nothing back.
        ("Answer: 2. Make that decision carefully, but 2 it is.", 2),
        ("Answer: 2. Hold on to family, I say.", 2),
        ("Answer: 2. Correction of my views comes later.", 2),
        ("Oops, I mean: Answer: 3", 3),
    ],
)
def test_retraction_words_take_a_code_back(reply: str, expected: int | None) -> None:
    assert parse_response(reply, OPTIONS) == expected


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        # A correction opening the next line takes back the number ending the line before (each
        # was read as that number).
        ("Answer: 2\nUpdate: 1", 1),
        ("Answer: 2\n\nEdit: make that 3.", 3),
        ("Answer: 3\nCorrection: 4", 4),
        ("Answer: 1\nRevised answer: 2", 2),
        ("2\n\nEdit: 3", 3),
        ("Answer: 3\nActually, no: 4", 4),
        ("Answer: 4\nScratch that.", None),
        # As on one line ("Answer: 1. On reflection, the answer is not 1; it's 3." is 3).
        ("Answer: 1\n\nOn reflection, the answer is not 1; it's 3.", 3),
        # A correction line naming no number, or a number not ending its line, takes nothing back.
        ("Answer: 2\nEdit: fixed formatting", 2),
        ("Answer: 2 (Rather important)\nEdit: fixed formatting, 3 typos", 2),
    ],
)
def test_a_correction_on_the_next_line_takes_a_code_back(reply: str, expected: int | None) -> None:
    assert parse_response(reply, OPTIONS) == expected


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        # A bare code in a hypothetical, denied, reported or someone else's sentence is no answer.
        ("Were I younger, 2.", None),
        ("Had I kids, 1.", None),
        ("My kids feel 1, I don't.", None),
        ("Back in college I'd have said 4.", None),
        ("Nobody would pick 3 here.", None),
        # Beside it, a sentence of the reply's own still answers, and the forced-choice idiom and
        # the family as the item's subject are the reply's own.
        ("Were I younger, 1. As I am, 3.", 3),
        ("If I had to choose, probably 2.", 2),
        ("3 - I rarely see my family these days.", 3),
        # Inside a marker's line the marker settles it.
        ("Answer: 2, were I to guess.", 2),
    ],
)
def test_bare_code_in_a_sentence_not_the_replys_own_is_no_answer(
    reply: str, expected: int | None
) -> None:
    assert parse_response(reply, OPTIONS) == expected
