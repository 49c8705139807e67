"""Build-family input rules: synth keeps an existing file (it may be someone's WVS download), a
config key that names nothing is refused, and a manifest that is not a regular file is named."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from click.testing import CliRunner, Result

from sgbench.builder.synthetic import synthetic_sample
from sgbench.cli import main
from sgbench.errors import InputError
from sgbench.files import write_atomic
from sgbench.prompts.templates import MAX_FIELDS, Template, check_template
from sgbench.publish import push as push_module
from tests.cli_contract import TEMPLATE_COMMANDS as SHARED_TEMPLATE_COMMANDS
from tests.cli_contract import assert_one_error_line, template_commands


@pytest.mark.parametrize("suffix", [".csv", ".dta", ".sav", ".zip"])
@pytest.mark.parametrize("through_link", [False, True])
def test_synth_never_replaces_an_existing_file(
    suffix: str, through_link: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A WVS download named as synth's --out (or reached through a symlink) is kept: nothing
    in a CSV tells it from a synthetic sample, and it may not be fetchable again."""
    monkeypatch.chdir(tmp_path)
    download = Path(f"WVS_Cross-National_Wave_7{suffix}")
    download.write_bytes(b"the user's own data")
    out = download
    if through_link:
        out = Path(f"link{suffix}")
        out.symlink_to(download)
    result = CliRunner().invoke(main, ["synth", "--out", str(out)])
    assert_one_error_line(result, str(out), "already exists", "delete it first")
    assert download.read_bytes() == b"the user's own data"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({download.name, out.name})


def test_a_file_appearing_while_it_is_written_is_kept(tmp_path: Path) -> None:
    """Without ``replace``, a file another process creates while the content is written wins
    (the hard link fails where a rename would replace it); no temporary file stays."""
    target = tmp_path / "s.csv"

    def writer(partial: Path) -> None:
        partial.write_bytes(b"ours")
        target.write_bytes(b"theirs")

    with pytest.raises(InputError, match="already exists"):
        write_atomic(target, writer, kind=None)
    assert target.read_bytes() == b"theirs"
    assert os.listdir(tmp_path) == ["s.csv"]
    write_atomic(tmp_path / "new.csv", b"ours", kind=None)
    assert (tmp_path / "new.csv").read_bytes() == b"ours"


def test_a_weight_column_the_config_names_but_the_file_lacks_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It built unweighted with a note (hidden by --quiet): every distribution changed while
    the config said W_WEIGHT. --unweighted is the explicit choice."""
    monkeypatch.chdir(tmp_path)
    synthetic_sample().rename(columns={"W_WEIGHT": "W_WEIGHT_V2"}).to_csv("w.csv", index=False)
    result = CliRunner().invoke(main, ["build", "--wvs", "w.csv", "--out", "ds", "--quiet"])
    assert_one_error_line(result, "w.csv", "column W_WEIGHT: not in the file", "$.weight")
    assert not Path("ds").exists()
    result = CliRunner().invoke(
        main, ["build", "--wvs", "w.csv", "--out", "ds", "--quiet", "--unweighted"]
    )
    assert result.exit_code == 0, result.output


def test_a_weight_error_names_the_file_as_typed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A weight refused after reading (a negative one, one the file lacks) named the file by
    its base name (`w.csv: column W_WEIGHT: ...`) where the reader's own errors give the path
    as typed: every build error now names it so (`SurveyData.shown`)."""
    monkeypatch.chdir(tmp_path)
    Path("data").mkdir()
    frame = synthetic_sample()
    frame.loc[0, "W_WEIGHT"] = -1.0
    frame.to_csv("data/w.csv", index=False)
    frame.rename(columns={"W_WEIGHT": "W_WEIGHT_V2"}).to_csv("data/x.csv", index=False)
    result = CliRunner().invoke(main, ["build", "--wvs", "data/w.csv", "--out", "ds", "-q"])
    assert_one_error_line(result, "Error: data/w.csv: column W_WEIGHT: 1 respondent(s)")
    result = CliRunner().invoke(main, ["build", "--wvs", "data/x.csv", "--out", "ds", "-q"])
    assert_one_error_line(result, "Error: data/x.csv: column W_WEIGHT: not in the file")
    assert sorted(os.listdir(tmp_path)) == ["data"]


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _dangling(path: Path) -> None:
    path.symlink_to("nowhere.json")


def _folder(path: Path) -> None:
    path.mkdir()


BROKEN = {
    "a FIFO": (_fifo, "not a regular file"),
    "a symlink to nothing": (_dangling, "not a regular file"),
    "a folder": (_folder, "not a regular file"),
}
COMMANDS = {
    "validate": ["validate", "DS"],
    "push": ["push", "DS", "--repo-id", "org/name", "--dry-run"],
}


@pytest.mark.parametrize("broken", sorted(BROKEN))
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_manifest_that_is_not_a_file_is_named_for_what_it_is(
    broken: str,
    command: str,
    built_default: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """validate said 'neither a dataset folder (no manifest.json) ...' and push 'missing' for a
    manifest.json that is there; neither may open a FIFO (it would hang)."""
    monkeypatch.setattr(push_module, "_default_api", lambda: pytest.fail("reached the Hub"))
    dataset = tmp_path / "ds"
    shutil.copytree(built_default, dataset)
    (dataset / "manifest.json").unlink()
    make, message = BROKEN[broken]
    make(dataset / "manifest.json")
    args = [str(dataset) if arg == "DS" else arg for arg in COMMANDS[command]]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    if command == "push":  # its problems listed after the folder, each named under it
        assert f"{dataset}: 1 problem(s), not published: manifest.json: {message}" in result.output
    else:
        assert f"{dataset}/manifest.json: {message}" in result.output


def _loop(path: Path) -> None:
    path.symlink_to(path.name)


# What is there instead of a file, and how sgbench.files.input_problem names it.
THERE = {
    "a FIFO": (_fifo, "not a regular file (a FIFO"),
    "a folder": (_folder, "a folder, not a file"),
    "a symlink loop": (_loop, "a symlink loop"),
}
DATASET_READERS = {
    "validate": ["validate", "DS"],
    "push": ["push", "DS", "--repo-id", "org/name", "--dry-run"],
    "prompts": ["prompts", "--dataset", "DS"],
    "export sft": ["export", "sft", "--dataset", "DS"],
    "export lm-eval": ["export", "lm-eval", "--dataset", "DS", "--out", "le"],
}
SPLIT_FILE = "data/default/test_ood-00000-of-00001.parquet"


@pytest.mark.parametrize("there", sorted(THERE))
@pytest.mark.parametrize(
    ("command", "name"),
    [(command, SPLIT_FILE) for command in sorted(DATASET_READERS)]
    + [("validate", "README.md"), ("push", "README.md")],
)
def test_a_dataset_file_that_is_there_is_never_called_missing(
    there: str,
    command: str,
    name: str,
    built_default: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A split's file or the card that is a FIFO, a folder or a symlink loop was reported as
    'missing' by every command reading a dataset (one line, exit 2, but the wrong one)."""
    monkeypatch.setattr(push_module, "_default_api", lambda: pytest.fail("reached the Hub"))
    monkeypatch.chdir(tmp_path)
    dataset = tmp_path / "ds"
    shutil.copytree(built_default, dataset, copy_function=os.link)
    (dataset / name).unlink()
    make, message = THERE[there]
    make(dataset / name)
    # The folder named relative to the working one: push lists every problem with the folder
    # in one bounded line, which a deep temporary folder (pytest-xdist's) cut in the middle.
    args = ["ds" if arg == "DS" else arg for arg in DATASET_READERS[command]]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"{name}: {message}" in result.output
    assert "missing" not in result.output
    assert not Path("le").exists()


def test_push_names_every_problem_in_a_deep_folder(
    built_default: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """push lists every problem on one line bounded to MAX_MESSAGE characters; each problem
    repeated the whole folder, so in a folder about 150 characters deep (pytest-xdist's
    temporary folders are 80) the first problem's reason (a FIFO) was cut out of the middle.
    Named under the folder, two problems fit for a folder up to about 230 characters."""
    monkeypatch.setattr(push_module, "_default_api", lambda: pytest.fail("reached the Hub"))
    dataset = tmp_path / ("d" * (150 - len(str(tmp_path)))) / "ds"
    shutil.copytree(built_default, dataset, copy_function=os.link)
    other = "data/paper/test_ood-00000-of-00001.parquet"
    for relative in (SPLIT_FILE, other):
        (dataset / relative).unlink()
        _fifo(dataset / relative)
    result = CliRunner().invoke(main, ["push", str(dataset), "--repo-id", "o/n", "--dry-run"])
    assert result.exit_code == 2, result.output
    assert f"{dataset}: 2 problem(s), not published: {SPLIT_FILE}: not a regular file (a FIFO" in (
        result.output
    )
    assert f"; {other}: not a regular file (a FIFO" in result.output


@pytest.mark.parametrize("there", ["a FIFO", "a file"])
@pytest.mark.parametrize("command", sorted(DATASET_READERS))
def test_a_dataset_argument_that_is_not_a_folder_is_named_for_what_it_is(
    there: str, command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--dataset wvs.csv`` (or a FIFO) said 'no such dataset folder' of a path that is there."""
    monkeypatch.setattr(push_module, "_default_api", lambda: pytest.fail("reached the Hub"))
    monkeypatch.chdir(tmp_path)
    if there == "a FIFO":
        os.mkfifo("d")
        expected = "d: not a folder (a FIFO"
    else:
        Path("d").write_text("A_WAVE,B_COUNTRY\n", encoding="utf-8")
        expected = "d: a file, not a folder"
    args = ["d" if arg == "DS" else arg for arg in DATASET_READERS[command]]
    result = CliRunner().invoke(main, args)
    if command == "validate":  # its PATH is a folder of either kind, as it says
        assert_one_error_line(result, "d: not a folder")
    elif command == "push" and there == "a file":  # click's own check of DIR
        assert_one_error_line(result, "'d' is a file")
    else:
        assert_one_error_line(result, expected, "a dataset is a folder")


@pytest.mark.parametrize(
    ("fractions", "refused"),
    [
        ({}, "$.test_id_fraction is 0.1"),
        ({"test_id_fraction": 0.0}, "$.validation_fraction is 0.05"),
        ({"test_id_fraction": 0.0, "validation_fraction": 0.0}, None),
    ],
)
def test_a_fraction_above_zero_that_gets_no_question_is_refused(
    fractions: dict[str, float],
    refused: str | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``items: [Q1]`` left validation and test_id empty with exit 0 while the config asked
    for 5% and 10% of the questions; a fraction of 0 asks for no such split."""
    from importlib import resources

    import yaml

    monkeypatch.chdir(tmp_path)
    configs = resources.files("sgbench.builder") / "configs" / "singapore.yaml"
    config = yaml.safe_load(configs.read_text(encoding="utf-8"))
    config.update(items=["Q1"], **fractions)
    Path("c.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "--config", "c.yaml", "--out", "ds", "--quiet"])
    if refused is None:
        assert result.exit_code == 0, result.output
        return
    assert_one_error_line(result, "c.yaml: ", refused, "gets no question")
    assert not Path("ds").exists()


TEMPLATE_COMMANDS = {
    "prompts": ["prompts", "--dataset", "DS", "--template", "T"],
    "export sft": ["export", "sft", "--dataset", "DS", "--template", "T"],
    "export lm-eval": ["export", "lm-eval", "--dataset", "DS", "--template", "T", "--out", "le"],
}
UNSEEN = {
    "t.txt": (b"{question}\x00{options}", "user: character 11 is '\\x00'"),
    "t.json": (b'{"user": "{question}", "system": "\\u202eyes"}', "system: character 1"),
    "t.yaml": (b'user: "{question}\\e[2J"\n', "user: character 11 is '\\x1b'"),
    "r.txt": (b"{question}\r{options}", "user: character 11 is '\\r'"),
    # Characters that show nothing but reach the model: a zero-width space, a word joiner, a
    # tag character (read as ASCII by models), a paragraph separator, a byte-order mark inside.
    "zw.txt": ("{question}\u200b{options}".encode(), "user: character 11 is '\\u200b'"),
    "wj.yaml": (b'user: "{question}\\u2060{options}"', "user: character 11 is '\\u2060'"),
    "tag.json": (
        b'{"user": "{question} {options}", "target": "Answer: {answer}\\udb40\\udc41"}',
        "target: character 17 is '\\U000e0041'",
    ),
    "ps.txt": ("{question}\u2029{options}".encode(), "user: character 11 is '\\u2029'"),
    "bom.txt": ("{question}\ufeff{options}".encode(), "user: character 11 is '\\ufeff'"),
    # Printable, yet drawn as nothing: a braille blank, a Hangul filler (sgbench.errors.unseen).
    "braille.txt": ("{question}\u2800{options}".encode(), "user: character 11 is '\\u2800'"),
    "filler.txt": ("{question} \u3164{options}".encode(), "user: character 12 is '\\u3164'"),
}


@pytest.mark.parametrize("name", sorted(UNSEEN))
@pytest.mark.parametrize("command", sorted(TEMPLATE_COMMANDS))
def test_a_template_with_a_control_or_bidi_character_is_refused(
    name: str, command: str, built_default: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A NUL byte, an escape or U+202E went into every prompt unseen, exit 0."""
    monkeypatch.chdir(tmp_path)
    data, fragment = UNSEEN[name]
    Path(name).write_bytes(data)
    swap = {"DS": str(built_default), "T": name}
    result = CliRunner().invoke(main, [swap.get(a, a) for a in TEMPLATE_COMMANDS[command]])
    assert_one_error_line(result, f"{name}: {fragment}", "control or bidirectional")
    assert not Path("le").exists()


@pytest.mark.parametrize("command", sorted(TEMPLATE_COMMANDS))
def test_a_template_file_named_with_a_character_that_does_not_print_is_refused(
    command: str, built_default: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file's stem names the template in every prompt line (t\u200b@hash), unseen."""
    monkeypatch.chdir(tmp_path)
    name = "t\u200b.txt"
    Path(name).write_text("{question}\n{options}\n", encoding="utf-8")
    swap = {"DS": str(built_default), "T": name}
    result = CliRunner().invoke(main, [swap.get(a, a) for a in TEMPLATE_COMMANDS[command]])
    assert_one_error_line(result, "the file name holds U+200B", "rename the file")
    assert not Path("le").exists()


def test_a_template_with_windows_line_ends_gives_the_same_prompts(
    built_default: Path, tmp_path: Path
) -> None:
    (tmp_path / "lf.txt").write_bytes(b"{question}\n\n{options}\n")
    (tmp_path / "crlf.txt").write_bytes(b"{question}\r\n\r\n{options}\r\n")
    contents = []
    for name in ("lf.txt", "crlf.txt"):
        args = ["prompts", "--dataset", str(built_default), "--template", str(tmp_path / name)]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        contents.append([json.loads(line)["prompt"] for line in result.stdout.splitlines()])
    assert contents[0] == contents[1]
    assert "\n\n" in contents[0][0]


@pytest.mark.parametrize(
    ("layout", "suffix"),
    [
        ("wvs7", ".csv"),
        ("wvs7", ".dta"),
        ("wvs7", ".sav"),
        ("wvs6", ".csv"),
        ("timeseries", ".csv"),
    ],
)
def test_a_respondent_twice_is_refused(
    layout: str, suffix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every respondent twice (two copies joined) doubled every count and subgroup_size with
    exit code 0, the shares unchanged; the respondent id column is named, in the file's terms."""
    from sgbench.builder.layouts import LAYOUTS
    from sgbench.builder.synthetic import to_layout

    monkeypatch.chdir(tmp_path)
    frame = to_layout(synthetic_sample(), layout)
    column = LAYOUTS[layout].respondent_column
    assert column is not None
    assert column in frame
    once = Path(f"once{suffix}")
    twice = Path(f"twice{suffix}")
    doubled = pd.concat([frame, frame.iloc[:1]], ignore_index=True)
    for path, table in ((once, frame), (twice, doubled)):
        if suffix == ".csv":
            table.to_csv(path, index=False)
        elif suffix == ".dta":
            table.to_stata(path, write_index=False, version=118)
        else:
            pyreadstat.write_sav(table, str(path))
    first = int(frame[column].iloc[0])
    result = CliRunner().invoke(main, ["build", "--wvs", str(twice), "--out", "ds", "-q"])
    assert_one_error_line(result, str(twice), f"column {column}", f"respondent {first} appears 2")
    assert not Path("ds").exists()
    result = CliRunner().invoke(main, ["build", "--wvs", str(once), "--out", "ds", "-q"])
    assert result.exit_code == 0, result.output


SHIPPED_CONFIG = (
    Path(__file__).resolve().parent.parent / "sgbench" / "builder" / "configs" / "singapore.yaml"
).read_text(encoding="utf-8")
SEX_PHRASES = "phrases: {Male: man, Female: woman}"

PERSONA_TEXT = {
    "a blank phrase": (SEX_PHRASES, 'phrases: {Male: " ", Female: woman}', "phrases.Male"),
    "a padded phrase": (SEX_PHRASES, 'phrases: {Male: "man ", Female: woman}', "phrases.Male"),
    "one phrase for two values": (
        SEX_PHRASES,
        "phrases: {Male: woman, Female: woman}",
        "subgroups sex=male and sex=female have one persona",
    ),
    "a second attribute with the first one's phrases": (
        "strata:\n  - [sex]\n",
        "strata:\n  - [sex]\n  - [gender]\n",
        "subgroups sex=male and gender=m have one persona",
    ),
    "a padded country name": (
        "country_name: Singapore",
        'country_name: "Singapore "',
        "$.country_name",
    ),
    "another country's name": (
        "country_name: Singapore",
        "country_name: the Netherlands",
        "$.country_name: 'the Netherlands' is the Netherlands (NLD), but $.country is SGP",
    ),
}


@pytest.mark.parametrize("case", sorted(PERSONA_TEXT))
def test_persona_text_that_cannot_tell_subgroups_apart_is_refused(
    case: str, tmp_path: Path
) -> None:
    """A blank phrase gave "You are a   living in Singapore.", and one phrase for two values
    gave men and women the same prompts, both with exit code 0."""
    old, new, fragment = PERSONA_TEXT[case]
    assert old in SHIPPED_CONFIG
    config = tmp_path / "c.yaml"
    text = SHIPPED_CONFIG.replace(old, new, 1)
    if "gender" in new:
        gender = (
            # Another column than sex's Q260: one variable read twice is refused as such.
            "  gender:\n    variable: Q288R\n    values: {M: [1], F: [2]}\n"
            "    persona: {role: noun, phrases: {M: man, F: woman}}\n"
        )
        text = text.replace("attributes:\n", "attributes:\n" + gender, 1)
    config.write_text(text, encoding="utf-8")
    out = tmp_path / "ds"
    result = CliRunner().invoke(main, ["build", "--config", str(config), "--out", str(out), "-q"])
    assert_one_error_line(result, str(config), fragment)
    assert not out.exists()


MEANINGLESS_PARTS = {
    "target without {answer}": ('user: "{question}"\ntarget: "Answer"\n', "names {answer} 0 times"),
    "blank target": ('user: "{question}"\ntarget: " "\n', "names {answer} 0 times"),
    "target with {answer} twice": (
        'user: "{question}"\ntarget: "{answer} or {answer}"\n',
        "names {answer} 2 times",
    ),
    "empty system": ('user: "{question}"\nsystem: ""\n', "system: the system message is empty"),
    "blank system": ('user: "{question}"\nsystem: "  "\n', "system: the system message is empty"),
}


@pytest.mark.parametrize("case", sorted(MEANINGLESS_PARTS))
@pytest.mark.parametrize("command", SHARED_TEMPLATE_COMMANDS)
def test_a_template_part_that_says_nothing_is_refused(
    case: str, command: str, built_default: Path, tmp_path: Path
) -> None:
    """A target without {answer} made every fine-tuning reply the same text ("Answer"), and an
    empty system message was sent as one, both with exit code 0."""
    text, fragment = MEANINGLESS_PARTS[case]
    template = tmp_path / "t.yaml"
    template.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, template_commands(built_default, template, tmp_path)[command])
    assert_one_error_line(result, "t.yaml", fragment)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.yaml"]


@pytest.mark.parametrize("there", sorted(THERE))
@pytest.mark.parametrize("command", sorted(TEMPLATE_COMMANDS))
def test_a_template_that_is_there_is_never_called_missing(
    there: str, command: str, built_default: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--template ./fifo`` said 'no such template'."""
    monkeypatch.chdir(tmp_path)
    make, message = THERE[there]
    make(tmp_path / "t")
    swap = {"DS": str(built_default), "T": "./t"}
    result = CliRunner().invoke(main, [swap.get(a, a) for a in TEMPLATE_COMMANDS[command]])
    assert_one_error_line(result, f"./t: cannot read the template ({message}")
    assert not Path("le").exists()


@pytest.mark.parametrize("command", sorted(TEMPLATE_COMMANDS))
def test_a_template_naming_too_many_fields_is_refused(
    command: str, built_default: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``{options}`` repeated a million times (15 MB) rendered a 100 MB prompt, 1.2 GB of
    memory before the first line; the bound is on fields, checked before anything renders."""
    monkeypatch.chdir(tmp_path)
    Path("t.txt").write_text("{question}" + "{options}" * MAX_FIELDS, encoding="utf-8")
    swap = {"DS": str(built_default), "T": "t.txt"}
    result = CliRunner().invoke(main, [swap.get(a, a) for a in TEMPLATE_COMMANDS[command]])
    assert_one_error_line(result, "t.txt: user: more than", "fields in the template")
    assert not Path("le").exists()


def test_the_field_bound_counts_every_part() -> None:
    at_bound = Template(name="t", user="{question}" * (MAX_FIELDS - 1), system="{persona}")
    assert check_template(at_bound, "t") is at_bound
    over = Template(name="t", user="{question}" * (MAX_FIELDS - 1), system="{persona}{persona}")
    with pytest.raises(InputError, match="user: more than"):
        check_template(over, "t")


@pytest.mark.parametrize("suffix", [".csv", ".zip"])
@pytest.mark.parametrize(
    ("bad", "note", "line"),
    [
        ("abc", None, 801),
        ("1\n", None, 801),  # a quoted newline: Arrow's message held the value past its line
        ("abc", "two\nlines", 802),  # a quoted newline in an earlier record: lines, not records
        ("1_0", None, 801),  # Python reads it as 10, Arrow does not
        # Arrow trims a space or tab and quotes the value trimmed; the cell is shown as held.
        (" abc", None, 801),
        ("abc\t", None, 801),
    ],
)
def test_a_cell_that_is_not_a_number_is_named_by_its_line(
    suffix: str, bad: str, note: str | None, line: int, tmp_path: Path
) -> None:
    """'column Q5: not a number' named no line (and with a quoted newline in the cell, no
    value), where 2.5 in the same cell is named by its line: in a 2 GB CSV the cell could not
    be found. The bad cell is on the 800th record, line 801 (the header is line 1)."""
    frame = synthetic_sample()
    frame["NOTE"] = ""
    if note is not None:
        frame.loc[frame.index[3], "NOTE"] = note
    frame["Q5"] = frame["Q5"].astype("object")
    frame.loc[frame.index[799], "Q5"] = bad
    text = frame.to_csv(index=False, lineterminator="\n")
    result, where = _build_from_text(text, suffix, tmp_path)
    assert_one_error_line(result, f"{where}: line {line}: column Q5: not a number: {bad!r}")


def _build_from_text(text: str, suffix: str, tmp_path: Path) -> tuple[Result, str]:
    """Build from ``text`` written as ``t.csv`` (``suffix`` ``.csv``) or as the one member of
    ``t.zip``, into ``tmp_path / "o"``; the result and how errors name the file."""
    source = tmp_path / f"t{suffix}"
    if suffix == ".zip":
        with zipfile.ZipFile(source, "w") as archive:
            archive.writestr("t.csv", text)
    else:
        source.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(
        main, ["build", "--quiet", "--wvs", str(source), "--out", str(tmp_path / "o")]
    )
    return result, "t.zip:t.csv" if suffix == ".zip" else "t.csv"


@pytest.mark.parametrize(("first", "later"), [(" abc", "abc"), ("abc", "\tabc ")])
def test_the_first_bad_cell_is_named_when_a_later_one_reads_alike(
    first: str, later: str, tmp_path: Path
) -> None:
    """Arrow quotes ' abc' as 'abc': a plain 'abc' later in the column was named (its line)
    instead of the first bad record, and ' abc' alone by no line."""
    frame = synthetic_sample()
    frame["Q5"] = frame["Q5"].astype("object")
    frame.loc[frame.index[99], "Q5"] = first
    frame.loc[frame.index[299], "Q5"] = later
    (tmp_path / "t.csv").write_text(frame.to_csv(index=False, lineterminator="\n"), "utf-8")
    result = CliRunner().invoke(
        main, ["build", "--quiet", "--wvs", str(tmp_path / "t.csv"), "--out", str(tmp_path / "o")]
    )
    assert_one_error_line(result, f"t.csv: line 101: column Q5: not a number: {first!r}")


def test_an_emoji_with_its_variation_selector_is_plain_text(
    built_default: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A variation selector (U+FE0F, Default_Ignorable) changes the glyph before it rather than
    hiding: the rule that refuses a braille blank (sgbench.errors.first_unseen) keeps it."""
    monkeypatch.chdir(tmp_path)
    Path("e.txt").write_text("\u2764\ufe0f {question}\n{options}", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["prompts", "--dataset", str(built_default), "--template", "e.txt"]
    )
    assert result.exit_code == 0, result.output
    first = json.loads(result.output.splitlines()[0])
    assert first["messages"][-1]["content"].startswith("\u2764\ufe0f ")


@pytest.mark.parametrize("suffix", [".csv", ".zip"])
@pytest.mark.parametrize(("change", "fields"), [(",9", 1), ("", -1)])
def test_a_row_of_the_wrong_width_is_named_by_its_line(
    suffix: str, change: str, fields: int, tmp_path: Path
) -> None:
    """A record with a field too many or too few (a truncated or damaged file) is named by its
    line and its count against the header's. Arrow's threaded read finds it and an unthreaded
    second read names it: the row handler run on Arrow's workers aborted the process now and then
    after the Error: line (exit 134), which only many runs under load showed."""
    lines = synthetic_sample().to_csv(index=False, lineterminator="\n").splitlines()
    width = lines[0].count(",") + 1
    lines[800] = lines[800] + change if change else lines[800].rsplit(",", 1)[0]
    text = "\n".join(lines) + "\n"
    result, where = _build_from_text(text, suffix, tmp_path)
    assert_one_error_line(
        result, f"{where}: line 801: {width + fields} fields where the header has {width} "
    )
    assert not (tmp_path / "o").exists()
