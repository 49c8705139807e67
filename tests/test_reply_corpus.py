"""The answer and verdict readers against a fixed, hand-labelled corpus of replies.

``tests/data/reply_corpus.jsonl``: realistic model replies to catalogue items (bare codes,
markers, Markdown, JSON, reasoning then an answer, refusals, hedges, ranges, negations, the
options quoted back, numbers in reasoning, ten-point scales, codes 0, number words, numbers
about the persona beside a label, first-person choices, self-corrections, ordinals), each with
the code a careful reader takes from it (``expected``; null where it gives no single answer),
labelled by hand before the parser was run on them. ``tests/data/verdict_corpus.jsonl`` does
the same for judge replies. Where the documented rule reads otherwise, the entry says so
(``known``: what the rule reads and why it stands); the parser is held to that too, so every
entry guards a rule. Entries with ``"set": "adversarial"`` were written to break the rules (other
speakers, hypotheticals, retractions, counts, times and amounts in prose …), labelled by hand
before the parser ran on them: their ``known`` may read a wrong code, which is counted and
reported (the docs quote it), while every other entry is held to no wrong code at all.
``benchmarks/bench_parse_corpus.py`` prints the agreement per category.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from sgbench.catalogue import items_by_id
from sgbench.judge.prompt import parse_verdicts
from sgbench.scoring.parse import parse_response

DATA = Path(__file__).parent / "data"


def _corpus(name: str) -> list[dict[str, Any]]:
    with (DATA / name).open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


REPLIES = _corpus("reply_corpus.jsonl")
VERDICTS = _corpus("verdict_corpus.jsonl")


ADVERSARIAL = "adversarial"


def _adversarial(entry: dict[str, Any]) -> bool:
    return entry.get("set") == ADVERSARIAL


def _wanted(entry: dict[str, Any]) -> Any:
    """What the reader must give: the label, or what a known disagreement's rule reads."""
    return entry["known"]["reads"] if "known" in entry else entry["expected"]


def _mismatches(entries: list[dict[str, Any]], got: list[Any]) -> list[str]:
    return [
        f"{e['id']}: {e['reply']!r}: read {g!r}, wanted {_wanted(e)!r} ({e['why']})"
        for e, g in zip(entries, got, strict=True)
        if g != _wanted(e)
    ]


@pytest.mark.parametrize("entries", [REPLIES, VERDICTS], ids=["replies", "verdicts"])
def test_corpus_is_well_formed(entries: list[dict[str, Any]]) -> None:
    ids = Counter(e["id"] for e in entries)
    assert [i for i, n in ids.items() if n > 1] == []
    for entry in entries:
        assert entry["why"].strip(), entry["id"]
        assert entry.get("set", ADVERSARIAL) == ADVERSARIAL, entry["id"]
        if "known" in entry:
            # A known disagreement differs from its label, and says why the rule stands.
            assert entry["known"]["reads"] != entry["expected"], entry["id"]
            assert entry["known"]["because"].strip(), entry["id"]


def test_reply_options_are_the_catalogue_items() -> None:
    items = items_by_id()
    for entry in REPLIES:
        options = [[o.code, o.label] for o in items[entry["question"]].options]
        assert entry["options"] == options, entry["id"]
        assert entry["expected"] is None or entry["expected"] in [c for c, _ in options]


def test_corpus_covers_every_kind_of_reply() -> None:
    kinds = Counter(e["category"] for e in REPLIES)
    assert len(REPLIES) >= 300
    assert min(kinds.values()) >= 8, kinds
    assert Counter(e["expected"] is None for e in REPLIES)[True] >= 60


def test_parser_reads_every_reply_as_labelled() -> None:
    got = [
        parse_response(e["reply"], [(code, label) for code, label in e["options"]]) for e in REPLIES
    ]
    # Every disagreement at once, by id: one rule's change shows all the replies it moves.
    mismatches = _mismatches(REPLIES, got)
    assert mismatches == [], f"{len(mismatches)} of {len(REPLIES)}:\n" + "\n".join(mismatches)


def test_judge_reads_every_verdict_as_labelled() -> None:
    got = [parse_verdicts(e["reply"], e["criteria"]) for e in VERDICTS]
    mismatches = _mismatches(VERDICTS, got)
    assert mismatches == [], f"{len(mismatches)} of {len(VERDICTS)}:\n" + "\n".join(mismatches)


def test_no_known_disagreement_outside_the_adversarial_set_reads_a_code() -> None:
    # The rules leave a reply missing rather than guess: a known disagreement that reads a code
    # would be a wrong answer scored as the model's. Only the adversarial set may hold one, and
    # there it is counted and reported.
    wrong = [e["id"] for e in REPLIES if "known" in e and e["known"]["reads"] is not None]
    assert wrong != []
    assert [e["id"] for e in REPLIES if e["id"] in wrong and not _adversarial(e)] == []


def test_the_adversarial_set_is_counted_apart() -> None:
    # The bench (and through it the docs' figures) counts agree / wrong / missing per set; the
    # counts are recomputed here from the labels and ``known`` alone, without the parser.
    bench = _bench()
    readings = bench.read_replies()
    expected: dict[str, Counter[str]] = {"natural": Counter(), ADVERSARIAL: Counter()}
    for e in REPLIES:
        reads = e["known"]["reads"] if "known" in e else e["expected"]
        kind = "agree" if reads == e["expected"] else "missing" if reads is None else "wrong"
        expected[ADVERSARIAL if _adversarial(e) else "natural"][kind] += 1
    got = bench.tally_by_set(readings)
    assert got == {s: (c["agree"], c["wrong"], c["missing"]) for s, c in expected.items()}
    assert expected[ADVERSARIAL]["wrong"] > 0
    assert expected["natural"]["wrong"] == 0
    assert sum(expected[ADVERSARIAL].values()) == 293


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location(
        "bench_parse_corpus", Path(__file__).parent.parent / "benchmarks" / "bench_parse_corpus.py"
    )
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench
    spec.loader.exec_module(bench)
    return bench
