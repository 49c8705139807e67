"""Characters that print nothing: a reply is read as it displays, and a WVS header name holding
one (or reading as another name) is refused.

A hostile probe found ``Answer: 1<ZWSP>2`` (displayed ``Answer: 12``, no option) read as 1, and
a CSV header naming Q2 ``\\u200bQ1`` or ``Ｑ1`` built with the real Q1, Q2's data dropped.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from cli_contract import assert_one_error_line
from click.testing import CliRunner, Result

from sgbench.builder import build_dataset
from sgbench.cli import main
from sgbench.dataset import split_file
from sgbench.errors import InputError, read_as
from sgbench.judge.prompt import parse_verdicts
from sgbench.scoring.parse import parse_response

OPTIONS = [(1, "Very important"), (2, "Rather important"), (3, "Not very important")]

# What prints nothing, each a case the task names: zero-width space, zero-width joiner, soft
# hyphen, byte order mark (zero-width no-break space), word joiner.
INVISIBLE = {
    "ZWSP": "\u200b",
    "ZWJ": "\u200d",
    "soft hyphen": "\u00ad",
    "BOM": "\ufeff",
    "word joiner": "\u2060",
}


def invoke(args: list[str]) -> Result:
    return CliRunner().invoke(main, args)


@pytest.mark.parametrize("name", sorted(INVISIBLE))
@pytest.mark.parametrize(
    ("template", "expected"),
    [
        # Inside a number: it displays as 12, no option (plain "Answer: 12" is missing too).
        ("Answer: 1{x}2", None),
        ("Answer: 1{x}2{x}", None),
        # Around a number, or between the marker and it: the number is the answer.
        ("Answer:{x} 2", 2),
        ("Answer: {x}2", 2),
        ("Answer: 2{x}", 2),
        ("{x}Answer{x}: {x}3{x}.", 3),
        ("{x}2{x}", 2),
        # Inside the marker word, which displays as "Answer".
        ("Ans{x}wer: 3", 3),
        # A minus sign joined by one still reads as a sign: -2 is no option.
        ("Answer: -{x}2", None),
        # A bare reply displaying as 12 is no code; 1 2 with a real space between stays two.
        ("1{x}2", None),
    ],
)
def test_a_reply_is_read_as_it_displays(name: str, template: str, expected: int | None) -> None:
    reply = template.format(x=INVISIBLE[name])
    displayed = template.format(x="")
    assert parse_response(reply, OPTIONS) == expected
    # The invisible character changes nothing: the reply reads as the text it displays.
    assert parse_response(displayed, OPTIONS) == expected


def test_line_breaks_and_tabs_still_part_a_reply() -> None:
    # Controls that are white space are kept: they part lines (the last marker's line) and words.
    assert parse_response("Answer: 2\nI mean 3", OPTIONS) == 2
    assert parse_response("Answer:\t3", OPTIONS) == 3
    assert parse_response("1\t2", OPTIONS) is None


def test_a_judge_verdict_is_read_as_it_displays() -> None:
    # The judge's replies go through the same reading (``readable``) as the answers'.
    # "1\u200b2" displays as 12, no verdict; before, it read as Response 1.
    assert parse_verdicts('{"overall": "1\u200b2", "value": "\u200b2"}', ["overall", "value"]) == {
        "overall": None,
        "value": "2",
    }
    assert parse_verdicts("overall: 1\u00ad2\nvalue: 2\u2060", ["overall", "value"]) == {
        "overall": None,
        "value": "2",
    }


def test_many_joiners_are_read_in_linear_time() -> None:
    # The emoji-joiner test ran a regex over the text before each joiner: 30,000 joiners took
    # 48 s. A reply of the longest length read (100,000 characters) now takes well under one.
    import time

    reply = "\u2764\u200d" * 50_000
    start = time.perf_counter()
    assert parse_response(reply, OPTIONS) is None
    # Every joiner joins two emoji (kept, one glyph each pair) but the last, which joins nothing.
    assert read_as(reply) == reply[:-1]
    assert time.perf_counter() - start < 5


def test_parse_command_reads_the_reply_as_it_displays(built_default: Path, tmp_path: Path) -> None:
    rows = pq.read_table(built_default / split_file("default", "test_ood")).slice(0, 4).to_pylist()
    lines = []
    expected = []
    for number, row in enumerate(rows):
        codes = [option["code"] for option in row["options"]]
        # Two codes the item has, joined: the number they display is no code.
        assert int(f"{codes[0]}{codes[1]}") not in codes
        first, second = codes[0], codes[1]
        reply, answer = [
            (f"Answer: {first}\u200b{second}", None),  # displays as a number no option has
            (f"Answer:\u200b {second}", second),
            (f"Answer: {first}\u00ad{second}", None),
            (f"\ufeffAnswer: \u2060{second}\u2060", second),
        ][number]
        lines.append(json.dumps({"id": row["id"], "response": reply}) + "\n")
        if answer is not None:
            expected.append({"id": row["id"], "answer": answer})
    responses = tmp_path / "r.jsonl"
    responses.write_text("".join(lines), encoding="utf-8")
    result = invoke(["parse", str(responses), "--dataset", str(built_default)])
    assert result.exit_code == 0, result.output
    got = [json.loads(line) for line in result.stdout.splitlines()]
    assert [{"id": line["id"], "answer": line["answer"]} for line in got] == expected
    assert "parsed 2 of 4 responses" in result.stderr


def _csv_with_header(frame: pd.DataFrame, old: str, new: str) -> str:
    text = frame.to_csv(index=False, lineterminator="\n")
    header, rest = text.split("\n", 1)
    names = header.split(",")
    names[names.index(old)] = new
    return ",".join(names) + "\n" + rest


@pytest.mark.parametrize(
    ("name", "fragments"),
    [
        ("\ufeffQ1", ("holds U+FEFF (ZERO WIDTH NO-BREAK SPACE)", "does not print")),
        ("\u200bQ1", ("holds U+200B (ZERO WIDTH SPACE)", "does not print")),
        ("Q\u20601", ("holds U+2060 (WORD JOINER)", "does not print")),
        ("\uff31\uff11", ("appears twice", "Q1 and \uff31\uff11")),  # full-width, reads as Q1
        ("q1", ("column q1 appears twice",)),  # already refused: kept
    ],
)
def test_build_api_refuses_a_header_that_reads_as_another_or_hides_a_character(
    name: str, fragments: tuple[str, ...], synthetic_frame: pd.DataFrame, tmp_path: Path
) -> None:
    source = tmp_path / "v.csv"
    source.write_text(_csv_with_header(synthetic_frame, "Q2", name), encoding="utf-8")
    # Columns are counted from 1: the renamed one is Q2's place, the first Q1's one before.
    column = list(synthetic_frame.columns).index("Q2") + 1
    first = list(synthetic_frame.columns).index("Q1") + 1
    with pytest.raises(InputError) as caught:
        build_dataset(wvs_path=source, out_dir=tmp_path / "out")
    message = str(caught.value)
    assert "\n" not in message
    assert str(source) in message
    place = f"columns {first} and {column}" if "twice" in message else f"column {column}'s name"
    assert place in message, message
    for fragment in fragments:
        assert fragment in message, message
    assert not (tmp_path / "out").exists()


def test_build_command_refuses_a_zero_width_header(
    synthetic_frame: pd.DataFrame, tmp_path: Path
) -> None:
    source = tmp_path / "v.csv"
    source.write_text(_csv_with_header(synthetic_frame, "Q2", "\u200bQ1"), encoding="utf-8")
    result = invoke(["build", "--quiet", "--wvs", str(source), "--out", str(tmp_path / "out")])
    column = list(synthetic_frame.columns).index("Q2") + 1
    assert_one_error_line(result, "v.csv", f"column {column}'s name", "U+200B")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.csv"]


def test_a_leading_byte_order_mark_is_still_the_file_encoding(
    synthetic_frame: pd.DataFrame, tmp_path: Path
) -> None:
    # The BOM opening a UTF-8 file is its encoding mark, not part of the first name: it builds.
    source = tmp_path / "v.csv"
    source.write_text("\ufeff" + synthetic_frame.to_csv(index=False), encoding="utf-8")
    build_dataset(wvs_path=source, out_dir=tmp_path / "out")
    assert (tmp_path / "out").is_dir()


@pytest.mark.parametrize("suffix", [".csv", ".dta"])
def test_a_lone_full_width_column_name_is_read_as_its_plain_name(
    suffix: str, synthetic_frame: pd.DataFrame, tmp_path: Path
) -> None:
    """Header names are matched as the duplicate rule reads them (one rule): a file whose only
    Q1 column is spelt 'Ｑ1' (full-width) builds exactly as the plain file, where it was built
    without Q1, reported absent, while 'Ｑ1' beside 'Q1' was refused as Q1 twice."""
    wide = synthetic_frame.rename(columns={"Q1": "\uff31\uff11"})
    built = {}
    for label, frame in (("plain", synthetic_frame), ("wide", wide)):
        source = tmp_path / label / f"v{suffix}"
        source.parent.mkdir()
        if suffix == ".csv":
            source.write_text(frame.to_csv(index=False, lineterminator="\n"), encoding="utf-8")
        else:
            frame.to_stata(source, write_index=False, version=118)
        summary = build_dataset(wvs_path=source, out_dir=tmp_path / label / "out")
        built[label] = (
            summary.manifest["items_dropped"],
            pq.read_table(tmp_path / label / "out" / split_file("default", "test_ood")),
        )
    assert "Q1" not in built["plain"][0]  # the plain file builds the item
    assert built["wide"][0] == built["plain"][0]
    assert built["wide"][1].equals(built["plain"][1])
