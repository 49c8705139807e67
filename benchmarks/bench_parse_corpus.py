"""How often the answer and verdict readers agree with a hand-labelled corpus of replies.

``tests/data/reply_corpus.jsonl`` holds realistic model replies to catalogue items, each with
the option code a careful reader takes from it (``expected``, ``null`` where the reply gives no
single answer), labelled by hand before the parser was run on them.
``tests/data/verdict_corpus.jsonl`` does the same for judge replies (a verdict per criterion).
This script runs ``sgbench.scoring.parse.parse_response`` and
``sgbench.judge.prompt.parse_verdicts`` on every entry and prints the agreement per category
and in all, and the entries that disagree. It reads nothing else and writes nothing: the docs'
figures (``docs/generate.py``) are computed from the same function, so they follow the parser.

An entry may carry ``known``: the value the parser's documented rule gives where it differs
from the label (``because`` says why the rule stands). It counts as a disagreement here; the
test (``tests/test_reply_corpus.py``) holds the parser to it. The replies fall in two sets,
counted apart: the natural and targeted replies (no ``set`` key), where the parser reads no
wrong code, and the adversarial probe (``"set": "adversarial"``), replies written to break the
rules, where it does; for each the script prints how many agree, read a wrong code (another
code, or one where the label has none) and are left missing where the label has a code.

Usage::

    python benchmarks/bench_parse_corpus.py
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REPLIES = ROOT / "tests" / "data" / "reply_corpus.jsonl"
VERDICTS = ROOT / "tests" / "data" / "verdict_corpus.jsonl"


def entries(path: Path) -> Iterator[dict[str, Any]]:
    """The corpus entries of ``path``, in file order."""
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)


@dataclass(frozen=True)
class Reading:
    """One corpus entry and what the reader made of it."""

    entry: dict[str, Any]
    got: Any

    @property
    def agrees(self) -> bool:
        return bool(self.got == self.entry["expected"])


def read_replies(path: Path = REPLIES) -> list[Reading]:
    """Every reply of the corpus read by ``parse_response`` against its options."""
    from sgbench.scoring.parse import parse_response

    return [
        Reading(e, parse_response(e["reply"], [(code, label) for code, label in e["options"]]))
        for e in entries(path)
    ]


def read_verdicts(path: Path = VERDICTS) -> list[Reading]:
    """Every judge reply of the corpus read by ``parse_verdicts`` for its criteria."""
    from sgbench.judge.prompt import parse_verdicts

    return [Reading(e, parse_verdicts(e["reply"], e["criteria"])) for e in entries(path)]


SETS = ("natural", "adversarial")


def set_of(entry: dict[str, Any]) -> str:
    """The set an entry belongs to: ``adversarial`` when it says so, else ``natural``."""
    return "adversarial" if entry.get("set") == "adversarial" else "natural"


def tally(readings: list[Reading]) -> tuple[int, int, int]:
    """(agree, wrong, missing): a wrong reading is a code the label does not give; a missing
    one reads nothing where the label has a code."""
    agree = sum(r.agrees for r in readings)
    wrong = sum(not r.agrees and r.got is not None for r in readings)
    return agree, wrong, len(readings) - agree - wrong


def tally_by_set(readings: list[Reading]) -> dict[str, tuple[int, int, int]]:
    """Set name → :func:`tally` of its readings, for every name of :data:`SETS`."""
    return {name: tally([r for r in readings if set_of(r.entry) == name]) for name in SETS}


def by_category(readings: list[Reading]) -> dict[str, tuple[int, int]]:
    """Category → (entries agreeing, entries), categories in corpus order, then ``all``."""
    out: dict[str, tuple[int, int]] = {}
    for reading in [*readings]:
        agree, total = out.get(reading.entry["category"], (0, 0))
        out[reading.entry["category"]] = (agree + reading.agrees, total + 1)
    out["all"] = (sum(r.agrees for r in readings), len(readings))
    return out


def main() -> int:
    sys.path.insert(0, str(ROOT))
    replies = read_replies()
    groups = [
        (f"replies, {name} set", [r for r in replies if set_of(r.entry) == name]) for name in SETS
    ]
    for name, readings in (*groups, ("verdicts", read_verdicts())):
        print(f"{name}:")
        for category, (agree, total) in by_category(readings).items():
            print(f"  {category:<14} {agree:>4} / {total:<4} {100 * agree / total:6.1f} %")
        if name.startswith("replies"):
            agree, wrong, missing = tally(readings)
            print(f"  {agree} agree, {wrong} wrong code, {missing} missing")
        for reading in readings:
            if not reading.agrees:
                entry = reading.entry
                print(f"  differs {entry['id']}: {entry['reply']!r}")
                print(f"      expected {entry['expected']!r}, read {reading.got!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
