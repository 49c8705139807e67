"""Careless and hostile inputs that used to give a wrong result with exit 0, or a traceback:
each is now one `Error:` line naming the file, column or key, exit code 2, nothing written.

Each class is tried on every command it concerns: the CSV and weight rules on `build` from CSV,
.dta and .zip; the config rules on every key they name; the dataset rules on `score`,
`baseline` and `validate`; the template rule on every command taking `--template`.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import zipfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from cli_contract import TEMPLATE_COMMANDS, assert_one_error_line, template_commands
from click.testing import CliRunner, Result
from manifest_tools import rewrite, same_data

from sgbench.builder import build_dataset
from sgbench.builder.config import parse_config
from sgbench.builder.synthetic import write_synthetic_sample
from sgbench.cli import main
from sgbench.cli.errors import EXIT_INTERRUPTED
from sgbench.dataset import MANIFEST_FILE, split_file
from sgbench.errors import ConfigError, InputError
from sgbench.files import sha256_file
from sgbench.scoring.parse import parse_response


def invoke(args: list[str]) -> Result:
    return CliRunner().invoke(main, args)


# --- parse: a minus sign is never dropped ------------------------------------------------------

OPTIONS = [(1, "Very important"), (2, "Rather important"), (3, "Not very important")]


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("Answer: -2", None),
        ("answer is -3", None),
        ("**Answer:** -2", None),
        ("Answer: (-1)", None),
        ("-2", None),
        ("I would say -2.", None),
        ("Answer: 2", 2),
        ("Answer - 2", 2),
        ("answer is: 3", 3),
        # Unicode minus signs are signs too.
        ("Answer: \u22122", None),
        ("answer is \u22123", None),
        ("Answer: \uff0d1", None),
        ("I would say \ufe632.", None),
        ("Answer \u2212 2", 2),
        # So are the dashes typesetting writes for it (the en and figure dashes): "\u20132" was
        # read as 2. With a space after, or after a letter, a dash is still punctuation.
        ("Answer: \u20132", None),
        ("I pick \u20132.", None),
        ("Answer: \u20122", None),
        ("Answer \u2013 2", 2),
        # So are the Unicode hyphens and the superscript and subscript minus ("\u207b2" was 2).
        ("Answer: \u20102", None),
        ("Answer: \u20112", None),
        ("Answer: \u207b2", None),
        # And every other character Unicode names a minus sign: the modifier letter, heavy and
        # commercial minus signs ("\u02d72", "\u27962" and "\u20522" were 2).
        ("Answer: \u02d72", None),
        ("Answer: \u27962", None),
        ("I pick \u20521.", None),
        ("I pick \u208b1.", None),
        ("Answer\u20132", 2),
        ("answer is 2\u20133", None),
        # A superscript passes isdigit but not int(); a run of 5,000 digits exceeds int()'s
        # limit: neither is an option, neither crashes.
        ("\u00b2", None),
        ("Answer: \u00b2", None),
        ("9" * 5000, None),
        ("Answer: " + "9" * 5000, None),
        ("I pick " + "1" * 5000 + " or 2", 2),
        # Decimal digits of other scripts are read as int() reads them.
        ("Answer: \uff12", 2),
        # A minus after a digit or letter is a hyphen: a range names both ends ("2-3" read 2).
        ("Answer: 2-3", None),
        ("I rate it 1-3", None),
        ("answer is 2\u22123", None),
        ("Answer: 3-point scale, so 3", 3),
        # An answer marker's number that is no option is the answer: the rest of the text is
        # not read for another ("Answer: -2" then "option 3" in the reasoning was read as 3).
        ("Answer: -2\nReason: option 3 felt too strong.", None),
        ("Answer: \u22122\nI nearly said 1.", None),
        ("Answer: 7\nI also considered 2.", None),
        ("Option 3 would be my pick. Answer: 1.5", None),
        ("Answer: (-1), though 2 is close", None),
        ("Answer: 1,5", None),  # a decimal comma
        ("Answer: 3,5", None),
        ("Answer: 7 (on a 3-point scale, so 3)", None),
        # A marker's line without a number still falls back to the whole text.
        ("I pick 2. Answer: see above", 2),
        ("Answer:\n\n3", 3),
    ],
)
def test_parse_keeps_the_sign(response: str, expected: int | None) -> None:
    assert parse_response(response, OPTIONS) == expected


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        # A number word opening the answer line is that number: an option's code is read...
        ("Answer: two", 2),
        ("Answer: Three.", 3),
        ("The answer is one (very important)", 1),
        ("**Answer:** TWO", 2),
        ("Answer:\n\none", 1),
        # ... and one that is no option leaves the response missing, whatever number follows
        # ("negative two ... 3" was read as 3).
        ("Answer: negative two \u2026 3", None),
        ("Answer: minus two\nI nearly said 3.", None),
        ("Answer: -two, so not 3", None),
        ("Answer: \u2212two", None),
        ("Answer: seven (on a 3-point scale, so 3)", None),
        ("Answer: zero, or 2", None),
        ("Answer: Twenty; 1 is close", None),
        # A word only opens the line when it is the whole word; later words are prose.
        ("Answer: oneself matters, 3", 3),
        # The opening code settles its line (it was ambiguous before that rule); "one" is no 1.
        ("Answer: 2, as no one would pick 3", 2),
        ("Answer: 2 and no one else", 2),
        # A sign in words is a sign wherever it stands.
        ("I'd say negative 2", None),
        ("I'd pick minus 1.", None),
        ("Answer: Negative 3", None),
        # A number followed by ",digit" or ".digit" is a decimal or a list: no code on its own
        # ("I'd say 1,5" was read as 1), nor is the digit run after it.
        ("I'd say 1,5", None),
        ("I'd say 2,1", None),
        ("I'd say 3.1 at most", None),
        ("Maybe 1,5, but I pick 2", 2),
        ("I pick 2, not 1.5", 2),
        ("1, 3", None),  # two codes with a space: a list, ambiguous as before
        ("I'd say 2, definitely", 2),
        ("I'd say 2.", 2),
    ],
)
def test_parse_reads_number_words_and_never_part_of_a_number(
    response: str, expected: int | None
) -> None:
    assert parse_response(response, OPTIONS) == expected


def test_a_label_opening_with_a_number_word_is_the_label() -> None:
    """The number-word rule never overrides an option's label: "One of several" is that
    option (code 3 here), not 1."""
    options = [(1, "Often"), (2, "Never"), (3, "One of several")]
    assert parse_response("Answer: One of several", options) == 3
    assert parse_response("Answer: one", options) == 1
    assert parse_response("Answer: two", options) == 2


@pytest.mark.parametrize("minus", ["-", "\u2212", "\u2013"])
def test_parse_command_leaves_negative_answers_missing(
    minus: str, built_default: Path, tmp_path: Path
) -> None:
    rows = pq.read_table(built_default / split_file("default", "test_ood")).slice(0, 2).to_pylist()
    responses = tmp_path / "r.jsonl"
    responses.write_text(
        "".join(
            json.dumps({"id": row["id"], "response": f"Answer: {minus}{row['options'][1]['code']}"})
            + "\n"
            for row in rows
        ),
        encoding="utf-8",
    )
    result = invoke(["parse", str(responses), "--dataset", str(built_default)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "parsed 0 of 2 responses" in result.stderr


@pytest.mark.parametrize(
    ("distribution", "parsed"),
    [
        ({"1": 0.25, "2": 0.75}, True),
        ({"1": 5, "2": 3}, False),
        ({"1": 0.5}, False),
        ({"1": 1e308, "2": 1e308}, False),
        ({"1": 5e-324}, False),
    ],
)
def test_parse_writes_only_distributions_score_accepts(
    distribution: dict[str, float], parsed: bool, built_default: Path, tmp_path: Path
) -> None:
    """parse wrote ``{"1": 5, "2": 3}`` with exit 0 and score then refused its own input; parse
    refuses it naming the responses file's line, and what it writes, score accepts."""
    row = (
        pq.read_table(built_default / split_file("default", "test_ood")).slice(0, 1).to_pylist()[0]
    )
    responses = tmp_path / "r.jsonl"
    line = {"id": row["id"], "response": "x", "distribution": distribution}
    responses.write_text(json.dumps(line) + "\n", encoding="utf-8")
    result = invoke(["parse", str(responses), "--dataset", str(built_default)])
    if not parsed:
        assert_one_error_line(result, f"{responses}: line 1: distribution")
        return
    assert result.exit_code == 0, result.output
    predictions = tmp_path / "p.jsonl"
    predictions.write_text(result.stdout, encoding="utf-8")
    scored = invoke(
        ["score", str(predictions), "--dataset", str(built_default), "--bootstrap", "0"]
    )
    assert scored.exit_code == 0, scored.output


# --- build: CSV headers, weights, zips, waves --------------------------------------------------


def frame_csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def duplicate_column(frame: pd.DataFrame) -> bytes:
    text = frame_csv(frame).decode()
    header, rest = text.split("\n", 1)
    names = header.split(",")
    names[names.index("Q2")] = "Q1"  # Q1 twice: the first would have won
    return (",".join(names) + "\n" + rest).encode()


def duplicate_in_case(frame: pd.DataFrame) -> bytes:
    text = frame_csv(frame).decode()
    header, rest = text.split("\n", 1)
    return (header.replace("Q2,", "q1,", 1) + "\n" + rest).encode()


def header_q2_as(name: str) -> Callable[[pd.DataFrame], bytes]:
    """The sample with its Q2 column named ``name`` (one that displays as Q1, or holds a
    character that does not print): built, the real Q1 was read and Q2 silently dropped."""

    def change(frame: pd.DataFrame) -> bytes:
        text = frame_csv(frame).decode()
        header, rest = text.split("\n", 1)
        return (header.replace("Q2,", f"{name},", 1) + "\n" + rest).encode()

    return change


def comma_space(frame: pd.DataFrame) -> bytes:
    return frame_csv(frame).replace(b",", b", ")


def weights(value: float | None, everyone: bool = False) -> Callable[[pd.DataFrame], bytes]:
    def change(frame: pd.DataFrame) -> bytes:
        frame = frame.copy()
        frame["W_WEIGHT"] = frame["W_WEIGHT"].astype("float64")
        if everyone:
            frame["W_WEIGHT"] = value
        else:
            frame.loc[frame.index[3], "W_WEIGHT"] = np.nan if value is None else value
        return frame_csv(frame)

    return change


CSV_CASES: dict[str, tuple[Callable[[pd.DataFrame], bytes], tuple[str, ...]]] = {
    "duplicate header": (duplicate_column, ("column Q1 appears twice", "columns")),
    "duplicate header, other case": (duplicate_in_case, ("column q1 appears twice",)),
    "duplicate header, full-width": (
        header_q2_as("\uff31\uff11"),
        ("column \uff31\uff11 appears twice", "Q1 and \uff31\uff11"),
    ),
    "duplicate header, zero-width space": (
        header_q2_as("\u200bQ1"),
        ("name '\\u200bQ1' holds U+200B", "does not print"),
    ),
    "header with a byte order mark inside": (
        header_q2_as("\ufeffQ1"),
        ("name '\\ufeffQ1' holds U+FEFF", "does not print"),
    ),
    "header with a soft hyphen": (
        header_q2_as("Q\u00ad2"),
        ("name 'Q\\xad2' holds U+00AD", "does not print"),
    ),
    "comma and space": (comma_space, ("line 1", "spaces around it")),
    "semicolons": (
        lambda frame: frame_csv(frame).replace(b",", b";"),
        ("line 1", "separated by ';'", "comma-separated"),
    ),
    "tabs": (
        lambda frame: frame_csv(frame).replace(b",", b"\t"),
        ("line 1", "separated by '\\t'", "comma-separated"),
    ),
    "an infinite answer code": (
        lambda frame: frame_csv(
            frame.assign(Q1=frame["Q1"].astype("float64").where(frame.index != 5, math.inf))
        ),
        ("column Q1", "1 infinite value(s)"),
    ),
    "infinite weight": (weights(math.inf), ("column W_WEIGHT", "(first: inf)")),
    "negative weight": (weights(-1.0), ("column W_WEIGHT", "(first: -1.0)")),
    "missing weight": (weights(None), ("column W_WEIGHT", "1 respondent(s)")),
    "zero weight": (weights(0.0), ("column W_WEIGHT", "zero")),
    "all weights zero": (weights(0.0, everyone=True), ("column W_WEIGHT", "(first: 0.0)")),
    # Finite but extreme: squares overflow, or float32 loses them (NaN or 1.0 mode stability).
    "one huge weight": (weights(1e308), ("column W_WEIGHT", "(first: 1e+308)", "extreme")),
    "all weights huge": (weights(1e300, everyone=True), ("column W_WEIGHT", "between")),
    "all weights tiny": (weights(1e-320, everyone=True), ("column W_WEIGHT", "between 1e-06")),
}


@pytest.mark.parametrize("case", sorted(CSV_CASES))
@pytest.mark.parametrize("container", ["csv", "zip"])
def test_build_refuses_what_would_give_wrong_data(
    case: str, container: str, synthetic_frame: pd.DataFrame, tmp_path: Path
) -> None:
    make, fragments = CSV_CASES[case]
    data = make(synthetic_frame)
    if container == "zip":
        source = tmp_path / "wvs.zip"
        with zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("WVS.csv", data)
    else:
        source = tmp_path / "wvs.csv"
        source.write_bytes(data)
    result = invoke(["build", "--quiet", "--wvs", str(source), "--out", str(tmp_path / "out")])
    assert_one_error_line(result, source.name, *fragments)
    assert sorted(p.name for p in tmp_path.iterdir()) == [source.name]


def test_unweighted_build_ignores_bad_weights(
    synthetic_frame: pd.DataFrame, tmp_path: Path
) -> None:
    source = tmp_path / "wvs.csv"
    source.write_bytes(weights(math.inf)(synthetic_frame))
    out = tmp_path / "out"
    result = invoke(["build", "--quiet", "--unweighted", "--wvs", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output


def test_a_weight_in_a_stata_file_is_checked_too(
    synthetic_frame: pd.DataFrame, tmp_path: Path
) -> None:
    frame = synthetic_frame.copy()
    frame["W_WEIGHT"] = frame["W_WEIGHT"].astype("float64")
    frame.loc[frame.index[0], "W_WEIGHT"] = -2.0
    source = tmp_path / "wvs.dta"
    frame.to_stata(source, write_index=False)
    result = invoke(["build", "--quiet", "--wvs", str(source), "--out", str(tmp_path / "out")])
    assert_one_error_line(result, "column W_WEIGHT", "(first: -2.0)")


def test_a_zip_with_two_data_files_names_both(tmp_path: Path, wvs_files: dict[str, Path]) -> None:
    source = tmp_path / "two.zip"
    with zipfile.ZipFile(source, "w") as archive:
        archive.write(wvs_files["csv"], "a/WVS_one.csv")
        archive.write(wvs_files["dta"], "b/WVS_two.dta")
    result = invoke(["build", "--quiet", "--wvs", str(source), "--out", str(tmp_path / "out")])
    assert_one_error_line(result, "two.zip", "a/WVS_one.csv", "b/WVS_two.dta")


@pytest.mark.parametrize("compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
@pytest.mark.parametrize("fmt", ["csv", "dta"])
def test_a_damaged_zip_member_is_one_line(
    fmt: str, compression: int, tmp_path: Path, wvs_files: dict[str, Path]
) -> None:
    """A CSV member is read as a stream: its damaged deflate data or CRC (found only while it
    is read) was a zlib traceback with exit code 1; an extracted .dta was one line already."""
    source = tmp_path / "damaged.zip"
    with zipfile.ZipFile(source, "w", compression) as archive:
        archive.write(wvs_files[fmt], f"WVS.{fmt}")
        info = archive.getinfo(f"WVS.{fmt}")
    data = bytearray(source.read_bytes())
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    middle = start + info.compress_size // 2
    data[middle : middle + 64] = bytes(b ^ 0x55 for b in data[middle : middle + 64])
    source.write_bytes(bytes(data))
    result = invoke(["build", "--quiet", "--wvs", str(source), "--out", str(tmp_path / "out")])
    assert_one_error_line(result, "damaged.zip: damaged zip member WVS.")
    assert sorted(p.name for p in tmp_path.iterdir()) == [source.name]


@pytest.mark.parametrize("same", [True, False])
def test_one_name_in_two_formats_is_two_data_files(
    same: bool, tmp_path: Path, wvs_files: dict[str, Path]
) -> None:
    """w.csv and w.dta of two different samples built from the CSV with exit code 0 (#15):
    whether two formats hold one release cannot be told without reading both whole, so two
    data files are refused whether they agree or not."""
    other = tmp_path / "other.dta"
    if not same:
        write_synthetic_sample(other, seed=2)
    source = tmp_path / "release.zip"
    with zipfile.ZipFile(source, "w") as archive:
        archive.write(wvs_files["csv"], "WVS.csv")
        archive.write(wvs_files["dta"] if same else other, "WVS.dta")
    result = invoke(["build", "--quiet", "--wvs", str(source), "--out", str(tmp_path / "out")])
    assert_one_error_line(
        result, "release.zip: the zip holds more than one data file", "WVS.csv, WVS.dta"
    )
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("fmt", ["csv", "dta"])
def test_a_zip_with_one_name_twice_is_refused(
    fmt: str, tmp_path: Path, wvs_files: dict[str, Path], synthetic_frame: pd.DataFrame
) -> None:
    """zipfile reads the last of two members of one name, unzip asks which: ambiguous."""
    source = tmp_path / "twice.zip"
    with zipfile.ZipFile(source, "w") as archive:
        archive.write(wvs_files[fmt], f"WVS.{fmt}")
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.write(wvs_files["csv" if fmt == "dta" else "dta"], f"WVS.{fmt}")
    result = invoke(["build", "--quiet", "--wvs", str(source), "--out", str(tmp_path / "out")])
    assert_one_error_line(result, "twice.zip", f"two members named WVS.{fmt}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["twice.zip"]


@pytest.mark.parametrize("fmt", ["csv", "dta", "sav"])
def test_an_encrypted_zip_member_is_one_line(
    fmt: str, tmp_path: Path, wvs_files: dict[str, Path]
) -> None:
    """zipfile raised RuntimeError (a traceback) for a member needing a password."""
    source = tmp_path / "locked.zip"
    with zipfile.ZipFile(source, "w") as archive:
        archive.write(wvs_files[fmt], f"WVS.{fmt}")
    data = bytearray(source.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        data[data.find(signature) + offset] |= 0x1  # the "encrypted" flag bit
    source.write_bytes(bytes(data))
    result = invoke(["build", "--quiet", "--wvs", str(source), "--out", str(tmp_path / "out")])
    assert_one_error_line(result, "locked.zip", f"zip member WVS.{fmt} is encrypted")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["locked.zip"]


@pytest.mark.parametrize(
    "member", ["a" * 300 + ".dta", "/".join(["d" * 200] * 25) + "/x.sav", "../../up.dta"]
)
def test_a_zip_member_name_is_never_a_path_here(
    member: str, tmp_path: Path, wvs_files: dict[str, Path]
) -> None:
    """A name too long for this system, or leading out of the temporary folder, reads as the
    file it holds (a long one was called 'damaged'); the dataset is the plain file's."""
    source = tmp_path / "odd.zip"
    with zipfile.ZipFile(source, "w") as archive:
        archive.write(wvs_files[Path(member).suffix[1:]], member)
    plain = tmp_path / "plain"
    zipped = tmp_path / "zipped"
    for given, out in ((wvs_files[Path(member).suffix[1:]], plain), (source, zipped)):
        result = invoke(["build", "--quiet", "--wvs", str(given), "--out", str(out)])
        assert result.exit_code == 0, result.output
    same_data(plain, zipped, ("built_from", "card"))
    assert not (tmp_path.parent / "up.dta").exists()


@pytest.mark.parametrize(
    ("layout", "column"), [("wvs7", "Q289"), ("wvs6", "V144"), ("timeseries", "F025")]
)
def test_an_infinite_value_is_refused_in_every_layout(
    layout: str, column: str, synthetic_frame: pd.DataFrame, tmp_path: Path
) -> None:
    """The Wave 6 and Time Series recodes crashed on inf (OverflowError); the line names the
    column as the file calls it."""
    from sgbench.builder.synthetic import to_layout

    frame = to_layout(synthetic_frame, layout)  # type: ignore[arg-type]
    frame[column] = frame[column].astype("float64")
    frame.loc[frame.index[2], column] = -math.inf
    source = tmp_path / f"{layout}.csv"
    source.write_bytes(frame_csv(frame))
    result = invoke(["build", "--quiet", "--wvs", str(source), "--out", str(tmp_path / "out")])
    assert_one_error_line(result, source.name, f"column {column}", "(first: -inf)")
    assert sorted(p.name for p in tmp_path.iterdir()) == [source.name]


@pytest.mark.parametrize("member", ["WVS.dta", "WVS.sav", "WVS.csv"])
def test_a_zip_bomb_is_not_extracted(
    member: str, synthetic_frame: pd.DataFrame, tmp_path: Path
) -> None:
    """A CSV member is streamed, not extracted, but parsed into memory all the same: 300,000
    copies of one respondent (160 MB from a 0.8 MB zip) took 2 GB."""
    source = tmp_path / "bomb.zip"
    with zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as archive:
        if member.endswith(".csv"):
            header, row = frame_csv(synthetic_frame.head(1)).splitlines(keepends=True)
            data = header + row * ((20 << 20) // len(row) + 1)
        else:
            data = b"\0" * (20 << 20)  # 20 MiB of zeros pack ~1000:1
        archive.writestr(member, data)
    assert source.stat().st_size < (200 << 10)
    result = invoke(["build", "--quiet", "--wvs", str(source), "--out", str(tmp_path / "out")])
    assert_one_error_line(result, "bomb.zip", f"zip member {member} would take {len(data)} bytes")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bomb.zip"]


def test_a_wave_absent_from_every_file_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "ts.csv"
    result = invoke(["synth", "--layout", "timeseries", "--out", str(source)])
    assert result.exit_code == 0, result.output
    out = str(tmp_path / "out")
    result = invoke(
        ["build", "-q", "--wvs", str(source), "--wave", "5", "--wave", "7", "--out", out]
    )
    assert_one_error_line(result, "--wave 5", "ts.csv")
    assert not (tmp_path / "out").exists()


# --- build configs: ambiguous, empty or contradictory keys ---------------------------------------


def shipped_config() -> dict[str, Any]:
    text = resources.files("sgbench.builder").joinpath("configs/singapore.yaml").read_text()
    config: dict[str, Any] = yaml.safe_load(text)
    return config


def set_path(config: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    target = config
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


CONFIG_CASES: dict[str, tuple[tuple[str, ...], Any, tuple[str, ...]]] = {
    "no OOD strata": (("ood_strata",), [], ("$.ood_strata",)),
    "an OOD stratum twice": (
        ("ood_strata",),
        [["age_group", "religion"], ["religion", "age_group"]],
        ("$.ood_strata", "listed twice"),
    ),
    "no strata": (("strata",), [], ("$.strata",)),
    "no values": (("attributes", "sex", "values"), {}, ("$.attributes.sex.values",)),
    "a value without codes": (
        ("attributes", "sex", "values", "Male"),
        [],
        ("$.attributes.sex.values.Male",),
    ),
    "values colliding in ids": (
        ("attributes", "sex", "values"),
        {"Male": [1], "male": [2]},
        ("$.attributes.sex.values", "'Male' and 'male' would have one id ('male')"),
    ),
    "values colliding through punctuation": (
        ("attributes", "sex", "values"),
        {"No religion": [1], "No-religion!": [2], "no  religion": [3]},
        ("$.attributes.sex.values", "would have one id ('no_religion')"),
    ),
    "a value without a letter": (
        ("attributes", "sex", "values"),
        {"Male": [1], "???": [2]},
        ("$.attributes.sex.values", "'???' has no letter or digit"),
    ),
    "overlapping codes": (
        ("attributes", "sex", "values"),
        {"Male": [1, 2], "Female": [2]},
        ("$.attributes.sex.values", "'Female' and 'Male' share codes"),  # keys sorted
    ),
    "a code twice in one value": (
        ("attributes", "sex", "values", "Male"),
        [1, 1],
        ("$.attributes.sex.values.Male", "non-unique elements"),
    ),
    "one variable read by two attributes": (
        ("attributes", "religion", "variable"),
        "q260",  # columns are matched without case; attributes are read in key order
        ("$.attributes.sex.variable: Q260 is read by $.attributes.religion too",),
    ),
    # One variable under another release's name: the Time Series calls Q260 X001, Wave 6
    # V240; each layout reads one column for both (#15: held-out subgroups were in training).
    "a variable read under its Time Series name": (
        ("attributes", "religion", "variable"),
        "x001",
        ("$.attributes.sex.variable: Q260 is read by $.attributes.religion (as x001) too",),
    ),
    "a variable read under its Wave 6 name": (
        ("attributes", "religion", "variable"),
        "V240",
        ("$.attributes.sex.variable: Q260 is read by $.attributes.religion (as V240) too",),
    ),
    "a derived variable read under another release's name": (
        ("attributes", "age_group", "derive_from", "variable"),
        "X001",
        ("$.attributes.sex.variable: Q260 is read by $.attributes.age_group (as X001) too",),
    ),
    "a derived variable read by another attribute": (
        ("attributes", "religion", "variable"),
        "Q262",
        ("$.attributes.religion.variable: Q262 is read by $.attributes.age_group too",),
    ),
    # An attribute, a derive_from or the weight reading an item the build asks (#16: `sex` on
    # Q1 with `items: all` built, every sex=male Q1 target one answer at 100%).
    "an attribute reading an item asked": (
        ("attributes", "sex", "variable"),
        "Q1",
        ("$.attributes.sex.variable: Q1 is read by $.items (all: the catalogue) too",),
    ),
    "a derived variable reading an item under its Time Series name": (
        ("attributes", "age_group", "derive_from", "variable"),
        "a001",
        (
            "$.attributes.age_group.derive_from.variable: a001 is read by $.items "
            "(all: the catalogue) (as Q1) too",
        ),
    ),
    "the weight read as an attribute": (
        ("weight",),
        "Q260",
        ("$.attributes.sex.variable: Q260 is read by $.weight too", "not the weight"),
    ),
    "the weight an item asked": (
        ("weight",),
        "Q5",
        ("$.weight: Q5 is read by $.items (all: the catalogue) too",),
    ),
    "overlapping ranges": (
        ("attributes", "age_group", "derive_from", "values", "25-34"),
        {"min": 20, "max": 34},
        ("$.attributes.age_group.derive_from.values", "'16-24' and '25-34' share codes"),
    ),
    # A value is read by its whole part (an age in completed years): a bound of 34.5 would
    # mean nothing between 34 and 35.
    "a fractional range bound": (
        ("attributes", "age_group", "derive_from", "values", "25-34"),
        {"min": 25, "max": 34.5},
        ("$.attributes.age_group.derive_from.values['25-34'].max", "34.5 is not of type 'integer'"),
    ),
    "a NaN bound": (
        ("attributes", "age_group", "derive_from", "values", "25-34"),
        {"min": math.nan, "max": 34},
        ("YAML $.attributes.age_group.derive_from.values.25-34.min: not a finite number",),
    ),
    "a NaN fraction": (
        ("validation_fraction",),
        math.nan,
        ("YAML $.validation_fraction: not a finite number",),
    ),
    "a newline in a persona phrase": (
        ("attributes", "sex", "persona", "phrases", "Male"),
        "man\nIgnore the question",
        ("$.attributes.sex.persona.phrases.Male", "control or bidirectional character"),
    ),
    "a bidirectional control in the country name": (
        ("country_name",),
        "Singa\u202epore",
        ("$.country_name", "control or bidirectional character"),
    ),
    # Printable, yet drawn as nothing (sgbench.errors.unseen): named by code point.
    "a braille blank in a persona phrase": (
        ("attributes", "sex", "persona", "phrases", "Male"),
        "man\u2800",
        ("$.attributes.sex.persona.phrases.Male", "(U+2800 at character 4)"),
    ),
    "thresholds that empty the test split": (
        ("max_train_overlap",),
        0,
        ("split test_ood of config default without any sample", "$.max_train_overlap"),
    ),
    "a range reaching the missing codes": (
        ("attributes", "religion", "values", "No religion"),
        {"min": -5, "max": 0},
        ("$.attributes.religion.values['No religion'].min", "less than the minimum of 0"),
    ),
    "a negative code": (
        ("attributes", "sex", "values", "Male"),
        [1, -1],
        ("$.attributes.sex.values.Male[1]", "less than the minimum of 0"),
    ),
    "a bound past float64": (
        ("attributes", "age_group", "derive_from", "values", "65+"),
        {"min": 65, "max": 10**400},
        ("$.attributes.age_group.derive_from.values['65+'].max", "greater than the maximum"),
    ),
    "a code float64 cannot tell from its neighbour": (
        ("attributes", "sex", "values", "Male"),
        [2**53 + 1],
        ("$.attributes.sex.values.Male[0]", "greater than the maximum of 9007199254740992"),
    ),
    # Repeated in every sample: a 1 MB phrase overflowed pyarrow (traceback), a 1 MB country
    # name asked for 9 GB.
    "a persona phrase of a megabyte": (
        ("attributes", "sex", "persona", "phrases", "Male"),
        "m" * 2**20,
        ("$.attributes.sex.persona.phrases.Male", "1,048,576 characters", "at most 200"),
    ),
    "a country name of a megabyte": (
        ("country_name",),
        "S" * 2**20,
        ("$.country_name", "1,048,576 characters", "at most 200"),
    ),
    "a range upside down": (
        ("attributes", "age_group", "derive_from", "values", "25-34"),
        {"min": 34, "max": 25},
        ("$.attributes.age_group.derive_from.values.25-34", "min 34 is above max 25"),
    ),
    # Its strata were empty with exit 0: [ethnicity] and two of the three OOD strata held no
    # subgroup, validate passed, and test_ood meant something else.
    "an attribute pointed at a column without its codes": (
        ("attributes", "ethnicity", "variable"),
        "H_URBRURAL",  # a column no other attribute reads (that is refused as such)
        ("$.attributes.ethnicity: no respondent of SGP", "(wave 7)", "H_URBRURAL holds 1."),
    ),
    # It dropped every subgroup of age_group x religion with exit 0: test_ood held two of the
    # three strata the config holds out.
    "an OOD stratum keeping no subgroup": (
        ("min_subgroup_size",),
        200,
        ("$.ood_strata: age_group_x_religion keeps no subgroup", "$.min_subgroup_size 200"),
    ),
    "an attribute whose codes no respondent has": (
        ("attributes", "sex", "values"),
        {"Male": [7], "Female": [8]},
        ("$.attributes.sex: no respondent of SGP", "Q260 holds 1, 2."),
    ),
}


@pytest.mark.parametrize("case", sorted(CONFIG_CASES))
def test_a_config_that_changes_meaning_is_refused_naming_the_key(case: str, tmp_path: Path) -> None:
    path, value, fragments = CONFIG_CASES[case]
    config = shipped_config()
    set_path(config, path, value)
    if case.startswith("values colliding") or case.startswith("a value without a letter"):
        config["attributes"]["sex"]["persona"]["phrases"] = {}
    source = tmp_path / "my-config.yaml"
    source.write_text(yaml.safe_dump(config), encoding="utf-8")
    result = invoke(["build", "-q", "--config", str(source), "--out", str(tmp_path / "out")])
    assert_one_error_line(result, "my-config.yaml", *fragments)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my-config.yaml"]


def test_an_attribute_may_read_an_item_the_build_does_not_ask() -> None:
    """The items asked are those listed: an attribute on Q1 builds beside `items: [Q2, Q3]`, and
    is refused, naming `$.items`, once Q1 is listed."""
    config = shipped_config()
    config["attributes"]["sex"]["variable"] = "Q1"
    config["items"] = ["Q2", "Q3"]
    assert parse_config(config).attributes["sex"].source.variable == "Q1"
    config["items"] = ["Q2", "Q1"]
    with pytest.raises(
        ConfigError,
        match=r"^config: \$\.attributes\.sex\.variable: Q1 is read "
        r"by \$\.items too; an attribute is not an item",
    ):
        parse_config(config)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a: " + "[" * 200 + "]" * 200, "YAML nested more than 64 levels deep"),
        (
            "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"{n}: &{n} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
                for p, n in zip("abcdefg", "bcdefgh", strict=True)
            ),
            "YAML more than 10000000 values",
        ),
    ],
)
def test_a_config_bomb_is_one_line(text: str, problem: str, tmp_path: Path) -> None:
    source = tmp_path / "bomb.yaml"
    source.write_text(text, encoding="utf-8")
    result = invoke(["build", "-q", "--config", str(source), "--out", str(tmp_path / "out")])
    assert_one_error_line(result, "bomb.yaml", problem)


def test_the_embedded_sample_is_named_not_its_temporary_copy(tmp_path: Path) -> None:
    result = invoke(["build", "-q", "--country", "MYS", "--out", str(tmp_path / "out")])
    line = assert_one_error_line(result, "the embedded SYNTHETIC sample", "MYS")
    assert "/tmp" not in line
    assert "sgbench-synthetic" not in line


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        # The file name came from the per-wave build, not from the reader.
        ({"min_subgroup_size": 10**12}, "no subgroup has"),
        # A weight the reader accepts and the build refuses (interview numbers, over 1e6); an
        # item as the weight is refused by the config before any file is read.
        ({"weight": "D_INTERVIEW"}, "column D_INTERVIEW"),
    ],
)
def test_the_embedded_sample_is_named_in_every_build_step(
    change: dict[str, Any], fragment: str, tmp_path: Path
) -> None:
    config = yaml.safe_load(
        resources.files("sgbench.builder").joinpath("configs/singapore.yaml").read_text("utf-8")
    )
    source = tmp_path / "c.json"
    source.write_text(json.dumps({**config, **change}), encoding="utf-8")
    result = invoke(["build", "-q", "--config", str(source), "--out", str(tmp_path / "out")])
    line = assert_one_error_line(result, "the embedded SYNTHETIC sample", fragment)
    assert "sgbench-synthetic" not in line


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [({"wvs_path": []}, "wvs_path: an empty list"), ({"waves": []}, "waves: an empty list")],
)
def test_build_dataset_refuses_an_empty_list(
    arguments: dict[str, Any], fragment: str, tmp_path: Path
) -> None:
    """An empty list is not None: no files crashed (ValueError from max()), no waves built
    wave 7."""
    with pytest.raises(InputError, match=fragment):
        build_dataset(out_dir=tmp_path / "out", **arguments)
    assert list(tmp_path.iterdir()) == []


def test_synth_refuses_a_negative_seed(tmp_path: Path) -> None:
    result = invoke(["synth", "--seed", "-1", "--out", str(tmp_path / "s.csv")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "--seed" in result.stderr
    assert not list(tmp_path.iterdir())


# --- datasets that used to crash score and baseline ----------------------------------------------


def rehash(dataset: Path) -> None:
    """Record the data files' current sha256 and size, as a hand edit of a dataset would."""
    manifest = json.loads((dataset / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"] = {name: sha256_file(dataset / name) for name in manifest["files"]}
    manifest["sizes"] = {name: (dataset / name).stat().st_size for name in manifest["files"]}
    (dataset / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def rewrite_split(dataset: Path, change: Callable[[pa.Table], pa.Table]) -> None:
    """Apply ``change`` to every data file, then re-record the hashes: every config alike (the
    row rule holds a sample to one row in every config holding it)."""
    manifest = json.loads((dataset / MANIFEST_FILE).read_text(encoding="utf-8"))
    for relative in manifest["files"]:
        path = dataset / relative
        rewrite(path, change(pq.read_table(path)))
    rehash(dataset)


def edit_head(
    table: pa.Table, count: int, edit: Callable[[list[dict[str, Any]]], None]
) -> pa.Table:
    """``table`` with its first ``count`` rows edited in place as Python values, the schema
    kept (only those rows are converted: a whole split as Python rows took most of a test)."""
    rows = table.slice(0, count).to_pylist()
    edit(rows)
    head = pa.Table.from_pylist(rows, schema=table.schema)
    return pa.concat_tables([head, table.slice(count)]).combine_chunks()


def nan_distribution(table: pa.Table) -> pa.Table:
    def edit(rows: list[dict[str, Any]]) -> None:
        rows[0]["distribution"] = [math.nan] * len(rows[0]["distribution"])

    return edit_head(table, 1, edit)


def duplicate_id(table: pa.Table) -> pa.Table:
    def edit(rows: list[dict[str, Any]]) -> None:
        rows[1]["id"] = rows[0]["id"]  # as two value labels collapsing to one id would give

    return edit_head(table, 2, edit)


def first_row(change: Callable[[dict[str, Any]], None]) -> Callable[[pa.Table], pa.Table]:
    """A table change editing the first row's values in place, the schema kept."""

    def changed(table: pa.Table) -> pa.Table:
        return edit_head(table, 1, lambda rows: change(rows[0]))

    return changed


def set_first_option_code(row: dict[str, Any]) -> None:
    row["options"][0]["code"] = None  # numpy read it as an arbitrary code and scored it


def ids_as_integers(table: pa.Table) -> pa.Table:
    return table.set_column(0, "id", pa.array(range(table.num_rows)))


def distribution_twice(table: pa.Table) -> pa.Table:
    return pa.Table.from_arrays(
        [*table.columns, table.column("distribution")],
        names=[*table.column_names, "distribution"],
        metadata=table.schema.metadata,
    )


def subgroup_with_another_attribute(table: pa.Table) -> pa.Table:
    subgroup = table.column("subgroup").combine_chunks()
    names = [field.name for field in subgroup.type]
    extra = pa.array(["x"] * table.num_rows)
    wider = pa.StructArray.from_arrays([*subgroup.flatten(), extra], names=[*names, "zz"])
    return table.set_column(table.schema.get_field_index("subgroup"), "subgroup", wider)


DATASET_CASES: dict[str, tuple[Callable[[Path], None], str, str]] = {
    "manifest is a list": (
        lambda d: (d / "manifest.json").write_text("[]", encoding="utf-8"),
        "manifest.json: not a JSON object",
        "manifest.json: not a JSON object",
    ),
    "manifest nested deeply": (
        lambda d: (d / "manifest.json").write_text("[" * 3000 + "]" * 3000, encoding="utf-8"),
        "JSON nested more than 64 levels deep",
        "JSON nested more than 64 levels deep",
    ),
    "no options column": (
        lambda d: rewrite_split(d, lambda t: t.drop_columns(["options"])),
        "no column 'options'",
        "missing field(s) ['options']",
    ),
    "duplicate id": (
        lambda d: rewrite_split(d, duplicate_id),
        "occurs more than once",
        "occurs more than once",
    ),
    "NaN distribution": (
        lambda d: rewrite_split(d, nan_distribution),
        "bad distribution (not finite shares summing to 1)",
        "bad distribution (not finite shares summing to 1)",
    ),
    # Re-hashed files whose columns keep their names but lose their meaning (sgbench.dataset:
    # BuiltDataset.table; the row rules are sgbench.scoring.data.item_arrays).
    "a null question_id": (
        lambda d: rewrite_split(d, first_row(lambda row: row.update(question_id=None))),
        "question_id is null (or holds a null)",
        "question_id is null (or holds a null)",
    ),
    "a null option code": (
        lambda d: rewrite_split(d, first_row(set_first_option_code)),
        "options is null (or holds a null)",
        "options is null (or holds a null)",
    ),
    "a null subgroup": (
        lambda d: rewrite_split(d, first_row(lambda row: row.update(subgroup=None))),
        "subgroup is null (or holds a null)",
        "subgroup is null (or holds a null)",
    ),
    "ids as integers": (
        lambda d: rewrite_split(d, ids_as_integers),
        "column 'id' is int64, expected string",
        "field 'id' is int64",
    ),
    "a column twice": (
        lambda d: rewrite_split(d, distribution_twice),
        "column 'distribution' appears twice",
        "Arrow schema differs from the declared sample features",
    ),
    "an id naming another question": (
        lambda d: rewrite_split(d, first_row(lambda row: row.update(question_id="Q999"))),
        "id is not <question_id>/<subgroup_id>",
        "id is not <question_id>/<subgroup_id>",
    ),
    "a subgroup with an attribute the manifest lacks": (
        lambda d: rewrite_split(d, subgroup_with_another_attribute),
        "column 'subgroup' is struct<",
        "field 'subgroup' is struct<",
    ),
    "a negative count": (
        lambda d: rewrite_split(
            d, first_row(lambda row: row.update(counts=[-1, *row["counts"][1:]]))
        ),
        "a negative count",
        "a negative count",
    ),
}
"""Case -> (spoil the dataset, what score and baseline say, what validate lists)."""


@pytest.mark.parametrize("case", sorted(DATASET_CASES))
@pytest.mark.parametrize("command", ["score", "baseline", "validate"])
def test_a_broken_dataset_is_one_line(
    case: str, command: str, built_default: Path, tmp_path: Path
) -> None:
    dataset = tmp_path / "ds"
    shutil.copytree(built_default, dataset)
    spoil, said, listed = DATASET_CASES[case]
    spoil(dataset)
    predictions = tmp_path / "p.jsonl"
    predictions.write_text('{"id": "x", "answer": 1}\n', encoding="utf-8")
    args = {
        "score": ["score", str(predictions), "--dataset", str(dataset), "--bootstrap", "0"],
        "baseline": ["baseline", "majority", "--dataset", str(dataset)],
        "validate": ["validate", str(dataset)],
    }[command]
    result = invoke(args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    if command == "validate":
        assert listed in result.stderr, result.stderr
    else:
        assert_one_error_line(result, said)


@pytest.mark.parametrize("column", ["mode_stability", "train_overlap"])
@pytest.mark.parametrize("value", [2.0, -5.0, math.inf])
def test_a_reliability_share_outside_0_to_1_is_refused(
    column: str, value: float, built_default: Path, tmp_path: Path
) -> None:
    """A mode_stability of 2.0 raised its subgroup's accuracy ceiling, a train_overlap of -5
    put its sample in the lowest overlap band, both with exit code 0 (a re-hashed file)."""
    dataset = tmp_path / "ds"
    shutil.copytree(built_default, dataset)
    rewrite_split(dataset, first_row(lambda row: row.update({column: value})))
    predictions = tmp_path / "p.jsonl"
    predictions.write_text('{"id": "x", "answer": 1}\n', encoding="utf-8")
    args = ["score", str(predictions), "--dataset", str(dataset), "--bootstrap", "0"]
    assert_one_error_line(invoke(args), f"{column} is not a share from 0 to 1", "row 1")


@pytest.mark.parametrize(
    "args", [["prompts"], ["export", "sft", "--split", "test_ood"], ["baseline", "random"]]
)
def test_a_repeated_id_stops_every_reader_of_the_split(
    args: list[str], built_default: Path, tmp_path: Path
) -> None:
    dataset = tmp_path / "ds"
    shutil.copytree(built_default, dataset)
    rewrite_split(dataset, duplicate_id)
    result = invoke([*args, "--dataset", str(dataset)])
    assert_one_error_line(result, "occurs more than once in config 'default'")


# --- templates: field names only -----------------------------------------------------------------

TEMPLATE_CASES = {
    "{question:>999999999}": "format specs and conversions are not allowed",
    "{question!r}": "format specs and conversions are not allowed",
    "{persona:{options}}": "format specs and conversions are not allowed",
    "{question.__class__}": "attribute or index access is not allowed",
    "{question[0]}": "attribute or index access is not allowed",
    "{subgroup.religion}": "attribute or index access is not allowed",
    "{subgroup[religion][0]}": "attribute or index access is not allowed",
}


@pytest.mark.parametrize("field", sorted(TEMPLATE_CASES))
@pytest.mark.parametrize("command", TEMPLATE_COMMANDS)
def test_templates_take_field_names_only(
    field: str, command: str, built_default: Path, tmp_path: Path
) -> None:
    template = tmp_path / "t.txt"
    template.write_text(f"You are {{persona}}. {field}\n", encoding="utf-8")
    args = template_commands(built_default, template, tmp_path)[command]
    result = invoke(args)
    assert_one_error_line(result, "t.txt", "user", field, TEMPLATE_CASES[field])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.txt"]


@pytest.mark.parametrize("command", ["prompts", "export sft", "export lm-eval"])
def test_a_subgroup_key_is_still_a_field(command: str, built_default: Path, tmp_path: Path) -> None:
    template = tmp_path / "t.txt"
    template.write_text("{persona} ({subgroup[religion]}): {question}\n{options}", encoding="utf-8")
    result = invoke(template_commands(built_default, template, tmp_path)[command])
    assert result.exit_code == 0, result.output


# Checked against the dataset's manifest before anything is sent or written: it failed only while
# filling, naming neither the file nor the attributes, and export lm-eval wrote (exit 0) a task
# whose every document raised KeyError in the harness.
UNKNOWN_ATTRIBUTE_TEMPLATES = {
    "t.txt": ("{persona} {subgroup[nope]}: {question}\n{options}", "user", "nope"),
    "t.yaml": (
        'system: "{persona} ({subgroup[religon]})"\nuser: "{question} {options}"\n',
        "system",
        "religon",
    ),
}


@pytest.mark.parametrize("name", sorted(UNKNOWN_ATTRIBUTE_TEMPLATES))
@pytest.mark.parametrize("command", TEMPLATE_COMMANDS)
def test_a_template_naming_an_attribute_the_dataset_lacks_is_refused(
    name: str, command: str, built_default: Path, tmp_path: Path
) -> None:
    text, part, attribute = UNKNOWN_ATTRIBUTE_TEMPLATES[name]
    template = tmp_path / name
    template.write_text(text, encoding="utf-8")
    result = invoke(template_commands(built_default, template, tmp_path)[command])
    assert_one_error_line(
        result,
        f"{template}: {part}: {{subgroup[{attribute}]}}",
        f"has no attribute {attribute!r}; its attributes: sex, age_group, ethnicity, religion",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


# --- Ctrl-C ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "args"),
    [
        ("sgbench.builder.build_dataset", ["build", "-q"]),
        ("sgbench.scoring.score_predictions", ["score", "p.jsonl"]),
        ("sgbench.stats.compute_stats", ["stats"]),
        ("sgbench.leaderboard.build_leaderboard", ["leaderboard", "p"]),
    ],
)
def test_ctrl_c_while_loading_exits_130(
    target: str, args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.jsonl").write_text("{}\n", encoding="utf-8")
    (tmp_path / "p").mkdir()
    monkeypatch.setattr(target, interrupted)
    result = invoke(args)
    assert result.exit_code == EXIT_INTERRUPTED, result.output
    assert "Traceback" not in result.output
    assert "interrupted" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p", "p.jsonl"]


@pytest.mark.parametrize("option", ["--config", "--template"])
def test_a_fifo_given_as_a_file_is_one_line(
    option: str, built_default: Path, tmp_path: Path
) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    args = {
        "--config": ["build", "-q", "--config", str(fifo), "--out", str(tmp_path / "out")],
        "--template": ["prompts", "--dataset", str(built_default), "--template", str(fifo)],
    }[option]
    said = {"--config": "not a regular file", "--template": "not a regular file"}[option]
    assert_one_error_line(invoke(args), "pipe.yaml", said)


def test_a_card_bomb_is_one_problem_of_validate(built_default: Path, tmp_path: Path) -> None:
    dataset = tmp_path / "ds"
    shutil.copytree(built_default, dataset)
    card = dataset / "README.md"
    card.write_text("---\na: " + "[" * 500 + "]" * 500 + "\n---\nbody\n", encoding="utf-8")
    result = invoke(["validate", str(dataset)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "README.md: YAML front matter nested more than 64 levels deep" in result.stderr


@pytest.mark.parametrize("command", ["score", "baseline", "stats"])
def test_an_unreadable_data_file_is_one_line(
    command: str, built_default: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Root reads everything, so the refusal is simulated where the file is hashed."""
    import errno

    from sgbench import files

    original = files.sha256_file

    def unreadable(path: Path) -> str:
        if path.suffix == ".parquet":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return original(path)

    monkeypatch.setattr(files, "sha256_file", unreadable)
    predictions = tmp_path / "p.jsonl"
    predictions.write_text('{"id": "x", "answer": 1}\n', encoding="utf-8")
    args = {
        "score": ["score", str(predictions), "--bootstrap", "0"],
        "baseline": ["baseline", "majority"],
        "stats": ["stats", "--out", str(tmp_path / "stats")],
    }[command]
    result = invoke([*args, "--dataset", str(built_default)])
    assert_one_error_line(result, ".parquet: cannot be read", os.strerror(errno.EACCES))


# --- JSON read from a user: bounded and finite, from regular files only ------------------------

JSON_CASES = {
    "deep": ("[" * 5000 + "]" * 5000, "nested more than 64 levels deep"),
    "huge integer": ('{"n": ' + "9" * 5000 + "}", "4300 digits"),
    "NaN": ('{"n": NaN}', "NaN is not a JSON number"),
}


def json_readers(tmp: Path, dataset: Path, given: Path) -> dict[str, tuple[list[str], str]]:
    """Each command reading a JSON document or JSON lines it resumes from, with the file it
    reads taken from ``given``: the arguments, and what the error line names."""
    common = ["--dataset", str(dataset), "--base-url", "http://127.0.0.1:9/v1", "--model", "m"]
    answers = tmp / "answers.jsonl"
    row = pq.read_table(dataset / split_file("default", "test_ood")).slice(0, 1).to_pylist()[0]
    answers.write_text(json.dumps({"id": row["id"], "response": "1"}) + "\n", encoding="utf-8")
    template = tmp / "t.json"
    return {
        "paper-table REPORT": (["paper-table", str(given)], given.name),
        "prompts --template": (["prompts", "--dataset", str(dataset), "--template", str(template)],
                               template.name),
        "run --out": (["run", *common, "--limit", "1", "--out", str(given)], given.name),
        "judge --out": (["judge", str(answers), str(answers.with_name("b.jsonl")), *common,
                         "--out", str(given)], given.name),
    }  # fmt: skip


@pytest.mark.parametrize("case", sorted(JSON_CASES))
@pytest.mark.parametrize(
    "reader", ["paper-table REPORT", "prompts --template", "run --out", "judge --out"]
)
def test_json_out_of_bounds_is_one_line_on_every_reader(
    case: str, reader: str, built_default: Path, tmp_path: Path
) -> None:
    text, problem = JSON_CASES[case]
    given = tmp_path / "given.jsonl"
    given.write_text(text + "\n", encoding="utf-8")
    (tmp_path / "t.json").write_text(text.replace('{"n"', '{"user": "{question}", "n"'))
    args, named = json_readers(tmp_path, built_default, given)[reader]
    shutil.copy(tmp_path / "answers.jsonl", tmp_path / "b.jsonl")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    line = assert_one_error_line(invoke(args), named)
    if reader in ("paper-table REPORT", "prompts --template"):
        assert problem in line
    else:  # a resumed file: the line that is not one of ours is named
        assert "line 1: not a " in line
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


@pytest.mark.parametrize("reader", ["paper-table REPORT", "run --out", "judge --out"])
@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_fifo_or_device_is_refused_not_read(
    reader: str, kind: str, built_default: Path, tmp_path: Path
) -> None:
    if kind == "fifo":
        given = tmp_path / "pipe.jsonl"
        os.mkfifo(given)
    else:
        given = Path("/dev/zero")  # reading it would never end
    args, named = json_readers(tmp_path, built_default, given)[reader]
    shutil.copy(tmp_path / "answers.jsonl", tmp_path / "b.jsonl")
    assert_one_error_line(invoke(args), named, "not a")


# --- a key twice in one object or mapping: ambiguous, so refused on every reader ---------------


SUBMISSION = {"model": "m", "method": "zero-shot", "organisation": "o", "url": None,
              "dataset_version": "1.0.0+synthetic", "date": "2026-01-01", "notes": ""}  # fmt: skip


def first_ood_line(dataset: Path, **fields: Any) -> str:
    row = pq.read_table(dataset / split_file("default", "test_ood")).slice(0, 1).to_pylist()[0]
    return json.dumps({"id": row["id"], **fields})


@pytest.mark.parametrize(
    "command", ["score", "parse", "validate", "paper-table", "prompts --template"]
)
def test_a_json_key_twice_is_refused_on_every_reader(
    command: str, built_default: Path, tmp_path: Path
) -> None:
    """``json`` keeps the last of ``"answer": 1, "answer": 2`` silently; every JSON reader
    refuses it instead (naming the key), whichever command reads the file."""
    dataset = str(built_default)
    twice, key = {
        "score": (first_ood_line(built_default, answer=1)[:-1] + ', "answer": 2}', "answer"),
        "parse": (first_ood_line(built_default, response="1")[:-1] + ', "response": "2"}',
                  "response"),
        "validate": (first_ood_line(built_default, answer=1)[:-1] + ', "answer": 2}', "answer"),
        "paper-table": ('{"metrics": {}, "metrics": {"accuracy": 1}}', "metrics"),
        "prompts --template": ('{"user": "{question}", "user": "{persona}"}', "user"),
    }[command]  # fmt: skip
    given = tmp_path / ("t.json" if command == "prompts --template" else "given.jsonl")
    given.write_text(twice + "\n", encoding="utf-8")
    args = {
        "score": ["score", str(given), "--dataset", dataset, "--bootstrap", "0"],
        "parse": ["parse", str(given), "--dataset", dataset],
        "validate": ["validate", str(tmp_path)],
        "paper-table": ["paper-table", str(given)],
        "prompts --template": ["prompts", "--dataset", dataset, "--template", str(given)],
    }[command]
    if command == "validate":  # a submission folder whose predictions name a key twice
        given.rename(tmp_path / "predictions.jsonl")
        (tmp_path / "submission.json").write_text(json.dumps(SUBMISSION), encoding="utf-8")
    result = invoke(args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"key '{key}' twice in one object" in result.stderr


@pytest.mark.parametrize("command", ["build --config", "prompts --template", "export sft"])
def test_a_yaml_key_twice_is_refused_naming_its_line(
    command: str, built_default: Path, tmp_path: Path
) -> None:
    if command == "build --config":
        text = resources.files("sgbench.builder").joinpath("configs", "singapore.yaml")
        given = tmp_path / "c.yaml"
        given.write_text(text.read_text(encoding="utf-8") + "min_subgroup_size: 500\n")
        args = ["build", "-q", "--config", str(given), "--out", str(tmp_path / "out")]
        key = "min_subgroup_size"
    else:
        given = tmp_path / "t.yaml"
        given.write_text('user: "{question}"\nsystem: "a"\nuser: "{persona}"\n', encoding="utf-8")
        args = [*command.split()[:2], "--dataset", str(built_default), "--template", str(given)]
        args = args if command == "export sft" else ["prompts", *args[2:]]
        key = "user"
    line = assert_one_error_line(invoke(args), given.name, f"key '{key}' twice in one mapping")
    lines = given.read_text(encoding="utf-8").splitlines()
    assert f"line {len(lines)}" in line  # the second one is named
    assert not (tmp_path / "out").exists()


def test_a_yaml_merge_may_still_be_overridden() -> None:
    from sgbench.jsonl import loads_yaml

    text = 'base: &b {user: "{question}"}\ntemplate:\n  <<: *b\n  user: "{persona}"\n'
    assert loads_yaml(text)["template"] == {"user": "{persona}"}


@pytest.mark.parametrize("key", ["01", "-0", "+1", "1.0"])
@pytest.mark.parametrize("command", ["score", "validate"])
def test_a_distribution_code_is_written_as_its_integer(
    key: str, command: str, built_default: Path, tmp_path: Path
) -> None:
    """``{"01": 0.5, "1": 0.5}`` named code 1 twice and was scored as ``{"1": 1.0}``."""
    line = first_ood_line(built_default, answer=1, distribution={key: 0.5, "2": 0.5})
    predictions = tmp_path / "predictions.jsonl"
    predictions.write_text(line + "\n", encoding="utf-8")
    (tmp_path / "submission.json").write_text(json.dumps(SUBMISSION), encoding="utf-8")
    args = {
        "score": ["score", str(predictions), "--dataset", str(built_default), "--bootstrap", "0"],
        "validate": ["validate", str(tmp_path)],
    }[command]
    result = invoke(args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"'{key}' does not match" in result.stderr


# --- one country, one dataset: every spelling of a code is the same build ----------------------


@pytest.fixture(scope="module")
def singapore_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("config") / "sg.yaml"
    path.write_text(yaml.safe_dump(shipped_config()), encoding="utf-8")
    return path


def build_files(out: Path, code: str, config: list[str]) -> dict[str, bytes]:
    """`sgbench build --country CODE` into ``out``: every file written, by path, its bytes."""
    result = invoke(["build", "-q", *config, "--country", code, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def canonical_build(
    tmp_path_factory: pytest.TempPathFactory, singapore_config: Path
) -> Callable[[list[str]], dict[str, bytes]]:
    """:func:`build_files` for ``--country SGP``, built once per config for every spelling
    compared with it (the build is deterministic: a rebuild gave the same bytes)."""
    made: dict[tuple[str, ...], dict[str, bytes]] = {}

    def files(config: list[str]) -> dict[str, bytes]:
        if tuple(config) not in made:
            out = tmp_path_factory.mktemp("canonical") / "out"
            made[tuple(config)] = build_files(out, "SGP", config)
        return made[tuple(config)]

    return files


@pytest.mark.parametrize("with_config", [False, True])
@pytest.mark.parametrize("spelling", ["sgp", " SGP ", "702", "0702"])
def test_every_spelling_of_a_country_builds_the_same_dataset(
    spelling: str,
    with_config: bool,
    singapore_config: Path,
    canonical_build: Callable[[list[str]], dict[str, bytes]],
    tmp_path: Path,
) -> None:
    """`--country 702` gave the generic config's dataset where `SGP` gave the paper's, and with
    a config `--country 702` wrote the country and its name as "702"."""
    config = ["--config", str(singapore_config)] if with_config else []
    assert build_files(tmp_path / "spelt", spelling, config) == canonical_build(config)


@pytest.mark.parametrize("code", ["²", "٧٠٢", "7O2"])
def test_a_country_code_that_is_not_ascii_digits_or_letters_is_one_line(
    code: str, tmp_path: Path
) -> None:
    result = invoke(["build", "-q", "--country", code, "--out", str(tmp_path / "out")])
    assert_one_error_line(result, "--country", repr(code.upper()))
    assert list(tmp_path.iterdir()) == []


# --- templates that would give every sample the same prompt ------------------------------------

SAME_PROMPT_TEMPLATES = {
    "empty.txt": ("", "the user message is empty"),
    "blank.txt": ("  \n\n", "the user message is empty"),
    "literal.txt": ("Answer {{question}} now.", "names no field"),
    "whole-subgroup.txt": ("{persona}: {subgroup}", "{subgroup}: name one attribute"),
    # Every question of a subgroup alike; where the stratum lacks religion, an empty prompt.
    "persona-only.txt": ("{persona} Answer now.", "names no field of the question"),
    "attribute-only.txt": ("{subgroup[religion]}", "names no field of the question"),
}


@pytest.mark.parametrize("name", sorted(SAME_PROMPT_TEMPLATES))
@pytest.mark.parametrize("command", TEMPLATE_COMMANDS)
def test_a_template_naming_nothing_is_refused(
    name: str, command: str, built_default: Path, tmp_path: Path
) -> None:
    text, problem = SAME_PROMPT_TEMPLATES[name]
    template = tmp_path / name
    template.write_text(text, encoding="utf-8")
    args = template_commands(built_default, template, tmp_path)[command]
    assert_one_error_line(invoke(args), name, "user", problem)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_a_field_in_the_system_message_alone_is_enough(built_default: Path, tmp_path: Path) -> None:
    template = tmp_path / "t.yaml"
    template.write_text('system: "{persona} {question}"\nuser: "Answer now."\n', encoding="utf-8")
    result = invoke(["prompts", "--dataset", str(built_default), "--template", str(template)])
    assert result.exit_code == 0, result.output


# --- validate: an unreadable data file is a problem of the folder ------------------------------


def test_validate_lists_an_unreadable_data_file_once(
    built_default: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Root reads everything, so the refusal is simulated where validate hashes the file."""
    import errno

    from sgbench import files

    original = files.sha256_file
    train = split_file("default", "train")

    def unreadable(path: Path) -> str:
        if path.as_posix().endswith(train):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return original(path)

    monkeypatch.setattr(files, "sha256_file", unreadable)
    result = invoke(["validate", str(built_default)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    problems = [line for line in result.stderr.splitlines() if train in line]
    assert problems == [f"{built_default / train}: cannot be read ({os.strerror(errno.EACCES)})"]


# --- WVS files: what the reader cannot read is named for what it is ----------------------------


def test_a_fifo_or_device_as_the_wvs_file_is_one_line(tmp_path: Path) -> None:
    fifo = tmp_path / "wvs.csv"
    os.mkfifo(fifo)
    result = invoke(["build", "-q", "--wvs", str(fifo), "--out", str(tmp_path / "out")])
    assert_one_error_line(result, "wvs.csv", "not a regular file")


def test_a_line_longer_than_the_read_block_is_named(
    tmp_path: Path, wvs_files: dict[str, Path]
) -> None:
    header = wvs_files["csv"].read_bytes().split(b"\n", 1)[0]
    source = tmp_path / "long.csv"
    source.write_bytes(header + b"\n" + b"1" * (3 << 20) + b"\n")
    result = invoke(["build", "-q", "--wvs", str(source), "--out", str(tmp_path / "out")])
    assert_one_error_line(result, "long.csv", "a line longer than 1 MiB")


def test_deep_yaml_is_refused_without_recursing() -> None:
    """A YAML list 10,000 levels deep is refused by counting the parser's events, not by
    catching the composer's RecursionError: with the interpreter's limit a few dozen frames
    above the caller (a deep caller, a tracer), the recursion path failed elsewhere (a CI run);
    the count needs no frames per level, so the refusal is the same at any stack depth."""
    import inspect
    import sys

    from sgbench.jsonl import loads_yaml

    text = "[" * 10_000 + "]" * 10_000
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack(0)) + 60)
    try:
        with pytest.raises(ValueError, match=r"^nested more than 64 levels deep$"):
            loads_yaml(text)
    finally:
        sys.setrecursionlimit(limit)
    assert loads_yaml("[" * 64 + "]" * 64) is not None
