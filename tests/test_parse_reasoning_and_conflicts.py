"""Three ways a reply's prose was read as a wrong code (#8 probe, R0–R2): reasoning in tags read
as the answer (``<think>leaning 4</think>`` alone was 4), a count of the options read as one
(``Of the 4 options, Quite happy fits best`` was 4), and a number about the persona read before
the label chosen (``I have 2 kids, so family is Very important`` was 2; a quantity such as
``2 kids`` is now set aside, so it is 1 by its label).

Each case names, by hand, what the reply says; a reply that cannot be told is missing, never a
guessed code (missing is scored as wrong but is visible; a wrong code passes as the model's).
"""

from __future__ import annotations

import pytest

from sgbench.scoring.parse import MAX_REPLY_CHARS, parse_response, strike_reasoning

OPTIONS = [
    (1, "Very important"),
    (2, "Rather important"),
    (3, "Not very important"),
    (4, "Not at all important"),
]
LEFT_RIGHT = [(1, "Left"), *((c, str(c)) for c in range(2, 10)), (10, "Right")]
YES_NO = [(1, "Yes"), (2, "No")]
CAREFUL = [(1, "Most people can be trusted"), (2, "Need to be very careful")]
AGREE = [
    (1, "Agree strongly"),
    (2, "Agree"),
    (3, "Neither agree nor disagree"),
    (4, "Disagree"),
    (5, "Disagree strongly"),
]


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        # Reasoning only: closed with nothing after it, cut off unclosed, or a closing tag with
        # nothing before it opened (the opening tag was in the prompt).
        ("<think>leaning 4</think>", None),
        ("<think>leaning 4</think>\n\n", None),
        ("<think>Option 4 seems right", None),
        ("<reasoning>Option 4 seems right</reasoning>", None),
        ("<thought>4</thought>", None),
        ("leaning 4</think>", None),
        # A block anywhere is struck, the text around it read.
        ("Rather important.<think>though maybe 3</think>", 2),
        ("<think>considering</think> Answer: Very important <think>actually 4</think>", 1),
        ("<think>1 or 4?</think> 2 <think>yes, 2", 2),
        ("leaning 4</think> 2", 2),
        # The spellings: case, spaces inside the tag, square brackets and Kimi's triangles.
        ("<THINK>3</THINK> Rather important", 2),
        ("<think>I'd say 3</think >\nRather important", 2),
        ("< think >3< / think > Rather important", 2),
        ("[THINK]3[/THINK] Rather important", 2),
        ("\u25c1think\u25b73\u25c1/think\u25b7 Rather important", 2),
        # An opening tag inside a block opens nothing: the first closing tag ends it.
        ("<think>3 <think>4</think> 2", 2),
    ],
)
def test_reasoning_in_tags_is_no_answer(reply: str, expected: int | None) -> None:
    assert parse_response(reply, OPTIONS) == expected


def test_strike_reasoning_keeps_only_the_text_outside_the_blocks() -> None:
    assert strike_reasoning("a<think>b</think>c<think>d") == "a c"
    assert strike_reasoning("a</think>b") == "b"
    assert strike_reasoning("no tags at all") == "no tags at all"
    # A word that only starts like a tag name is no tag.
    assert strike_reasoning("<thinker>2</thinker>") == "<thinker>2</thinker>"


@pytest.mark.parametrize(
    ("reply", "options", "expected"),
    [
        ("Agree. (Note: there are 5 options here.)", AGREE, 2),
        ("Of the 4 options, Rather important fits best.", OPTIONS, 2),
        ("Among these 4 choices I'd say Very important.", OPTIONS, 1),
        ("Of the 4 possible options, I pick 3.", OPTIONS, 3),
        ("On a 4-point scale, I'd choose 2.", OPTIONS, 2),
        ("On a 10-point Likert scale, 7.", LEFT_RIGHT, 7),
        # On two options too: "1-2" there is a hedge, but "2 options" is still a count.
        ("Of the 2 options, Yes.", YES_NO, 1),
        ("1-2", YES_NO, None),
        # Only counts: "7 points" may be the answer itself, and "option 4" names one.
        ("I'd give it 7 points.", LEFT_RIGHT, 7),
        ("I pick option 4.", OPTIONS, 4),
    ],
)
def test_a_count_of_the_options_is_no_answer(
    reply: str, options: list[tuple[int, str]], expected: int | None
) -> None:
    assert parse_response(reply, options) == expected


@pytest.mark.parametrize(
    ("reply", "options", "expected"),
    [
        # A number and a label for another code, no marker: missing (each was read as the number).
        ("Need to be very careful; 1 bad experience taught me that.", CAREFUL, None),
        ("No. I'm only 1 voice.", YES_NO, None),
        ("I lean left, so 3.", LEFT_RIGHT, None),
        # Several numbers, one the label's: still a conflict (it was read by the label).
        ("My 2 are grown, so family is very important: 1.", OPTIONS, None),
        # The number and the label agree: read.
        ("Rather important: 2.", OPTIONS, 2),
        ("I'm 65 and it's Not very important; I'd say 3.", OPTIONS, 3),
        # Numbers that are no code do not conflict: an age, a year.
        ("At 45, family is Rather important.", OPTIONS, 2),
        ("Since 2019, Rather important.", OPTIONS, 2),
        # A number alone, or a label alone, as before.
        ("I'd pick 2 because family matters.", OPTIONS, 2),
        ("Family is not very important to me.", OPTIONS, 3),
        # A marker's code settles the line whatever label the explanation names.
        ("Answer: 2 (Rather important); my 3 kids agree.", OPTIONS, 2),
        # A label opening the marker's line with a number for another code beside it: a conflict.
        ("Answer: Very important, as a mother of 3", OPTIONS, None),
    ],
)
def test_a_number_and_a_label_for_another_code_are_missing(
    reply: str, options: list[tuple[int, str]], expected: int | None
) -> None:
    assert parse_response(reply, options) == expected


@pytest.mark.parametrize(
    ("reply", "options", "expected"),
    [
        # A quantity beside a label: read by the label alone (each was missing as a conflict).
        ("I have 2 kids, so family is Very important to me.", OPTIONS, 1),
        ("No. I'm only 1 person.", YES_NO, 2),
        ("I have 2 children, so family is very important: 1.", OPTIONS, 1),
        ("Rent is 4 grand. Rather important.", OPTIONS, 2),
        ("Meeting at 1:30, gotta run, Not very important.", OPTIONS, 3),
        ("As a 24-year-old, Rather important.", OPTIONS, 2),
        # A quantity alone: no answer (each was read as its digits).
        ("Paid 3 dollars for this survey.", OPTIONS, None),
        ("Taxes should be 10% flat.", LEFT_RIGHT, None),
        ("Crime rose 2 percent.", OPTIONS, None),
        ("Paying $5 bribes is routine here.", LEFT_RIGHT, None),
        ("Earning 2k a month.", OPTIONS, None),
        ("It's 3 o'clock and I'm still at my desk.", OPTIONS, None),
        ("Up at 4am.", OPTIONS, None),
        ("I attend services 4 times a week.", LEFT_RIGHT, None),
        ("I pray 1 or 2 times a day.", OPTIONS, None),
        ("Voted at 8 this morning.", LEFT_RIGHT, None),
        ("Ask me again on May 3.", LEFT_RIGHT, None),
        ("Since 3 March, Rather important.", OPTIONS, 2),
        ("8 out of 10 doctors disagree.", LEFT_RIGHT, None),
        ("3 in 4 people I know say 2.", OPTIONS, 2),
        # A rating out of ten, and a time with no word of the day, are still read.
        ("Very important, 9 out of 10 for me.", LEFT_RIGHT, 9),
        ("I'd put it at 7 this time around.", LEFT_RIGHT, 7),
        # A range of quantities: neither end is read (a choice followed by "2-3 years" was missing).
        ("I'd pick 1. Took me 2-3 years to decide.", OPTIONS, 1),
        # A code before any other word, or a count of no unit, is still read.
        ("I'd say 2 because family matters.", OPTIONS, 2),
        ("3 feels right.", OPTIONS, 3),
        ("Got 1 dog.", OPTIONS, 1),
    ],
)
def test_a_quantity_is_no_code(
    reply: str, options: list[tuple[int, str]], expected: int | None
) -> None:
    assert parse_response(reply, options) == expected


# Degenerate model output, long enough that a rule reading back over the whole text (or
# backtracking through a digit run) took seconds to minutes: each is no single answer, so missing.
PATHOLOGICAL = [
    "1" * 80_000,
    "Answer: " + "3" * 50_000,
    "2" * 30_000 + ".",
    "-" * 60_000 + "1" * 40_000,
    "1.1 " * 20_000,
    "1-2 " * 20_000,
    "1,3," * 20_000,
    "the 1st of 4 " * 6_000,
    "I'd say two. I'd say three. " * 3_000,
    # Quantities: a range of numbers before a unit was read back over every number before it.
    "1-2-" * 25_000,
    "2 or 3 years " * 7_692,
    "$2 " * 33_000,
    # A run of spaces after a number, read over twice by a count's or a unit's lookahead (optional
    # spaces, an optional minus, spaces again) from every split: 100,000 characters took minutes.
    "1" + " " * 99_998 + "2",
    "at 1" + " " * 99_980 + "this morning",
    # Ordinals with no answer's place, each read against the whole text (a blank half before
    # them: most of a minute) or against the thousand characters before it (seconds).
    "\n" * 50_000 + "1st " * 12_500,
    " " * 50_000 + "the 2nd " * 6_250,
    "1st " * 25_000,
]


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        # In an answer's place: after a marker or a choice verb, however far back its few words
        # reach within the thousand characters before it, and not past them nor past a line.
        ("My answer is the 2nd.", 2),
        ("I'd go with the 3rd.", 3),
        ("My answer is the" + " " * 900 + "2nd.", 2),
        ("I pick" + " " * 1200 + "the 2nd.", None),
        ("Answer:\n the 2nd", None),
        # Before a word for an option, or the whole reply.
        ("The 2nd one, surely. Went there on my 1st visit.", 2),
        ("The 2nd.", 2),
        # Prose.
        ("I'm in my 3rd year.", None),
    ],
)
def test_ordinal_in_an_answers_place(reply: str, expected: int | None) -> None:
    assert parse_response(reply, OPTIONS) == expected


@pytest.mark.parametrize("reply", PATHOLOGICAL, ids=range(len(PATHOLOGICAL)))
def test_pathological_reply_is_missing(reply: str) -> None:
    assert parse_response(reply, OPTIONS) is None


def test_reply_longer_than_the_bound_is_not_read() -> None:
    answer = "\nAnswer: 2"
    at_bound = "x" * (MAX_REPLY_CHARS - len(answer)) + answer
    assert len(at_bound) == MAX_REPLY_CHARS
    assert parse_response(at_bound, OPTIONS) == 2
    # One character more and none of it is read, not a window of it: a window could cut off a
    # retraction after it and read a wrong code.
    assert parse_response("x" + at_bound, OPTIONS) is None
    # The probe's replies, which took 7-16 s each, and one whose first line answers.
    for reply in [
        ("the 1st of 4 " * 80_000)[:1_000_000],
        "x" * 4_000_000,
        "1 2 3 4 " * 250_000,
        "Answer: 2\n" + "x" * 1_000_000,
    ]:
        assert parse_response(reply, OPTIONS) is None


def test_long_digit_run_reads_as_a_number_too_long_to_be_a_code() -> None:
    # Cut to ten digits, a run stays a number no rule reads as a code: it opens the marker's line,
    # so no later code takes its place.
    assert parse_response("Answer: " + "1" * 20_000 + "\nI'd pick 2.", OPTIONS) is None
    assert parse_response("1" * 20_000 + " is long. Answer: 2", OPTIONS) == 2
