"""Hostile submission folders: the leaderboard reads nothing outside SUBMISSIONS, publishes
nothing it should not, and one bad entry fails only itself (`leaderboard` and `validate`).

- a symlinked predictions.jsonl or submission.json leading out of the submission folder, a
  hard-linked one (another name of the file may lie anywhere), and a submission folder leading
  out of SUBMISSIONS, are left out unread: the secret they point at appears in no output and no
  message;
- a submission.json nested 100 000 levels deep (or a YAML-style bomb of values) is one problem
  of that entry, never a crash of the run;
- bidirectional controls in submission text are escaped in leaderboard.json and dropped
  elsewhere;
- a second submission of the same model and method is left out as a duplicate.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import threading
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_contract import assert_one_error_line
from click.testing import CliRunner, Result
from scoring_fixtures import (
    FOUR_POINT,
    make_row,
    paper_score_report,
    submission_metadata,
    write_dataset,
)

import sgbench.leaderboard.submission as submission_module
import sgbench.scoring.predictions as predictions_module
from sgbench.cli import EXIT_LEFT_OUT, main
from sgbench.errors import model_name_problem, shown_model

SECRET = "sk-TOP-SECRET-token-0123456789"
QUESTIONS = ("Q1", "Q2")
SUBGROUPS = ({"sex": "Male"}, {"sex": "Female"})


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rows = [make_row(q, s, FOUR_POINT, [5, 3, 1, 1]) for q in QUESTIONS for s in SUBGROUPS]
    id_rows = [make_row(q, {"age_group": "16-24"}, FOUR_POINT, [1, 3, 5, 1]) for q in QUESTIONS]
    train = [make_row(q, {"age_group": "65+"}, FOUR_POINT, [1, 1, 5, 3]) for q in QUESTIONS]
    splits = {"test_ood": rows, "test_id": id_rows, "train": train}
    return write_dataset(tmp_path_factory.mktemp("hostile") / "ds", splits)


def predictions_text() -> str:
    rows = [make_row(q, s, FOUR_POINT, [5, 3, 1, 1]) for q in QUESTIONS for s in SUBGROUPS]
    return "".join(json.dumps({"id": row["id"], "answer": 1}) + "\n" for row in rows)


def submit(root: Path, slug: str, meta: dict[str, Any] | str | None = None) -> Path:
    folder = root / slug
    folder.mkdir(parents=True)
    text = meta if isinstance(meta, str) else json.dumps(meta or submission_metadata(model=slug))
    (folder / "submission.json").write_text(text, encoding="utf-8")
    (folder / "predictions.jsonl").write_text(predictions_text(), encoding="utf-8")
    return folder


def secret_file(tmp_path: Path) -> Path:
    """A file outside SUBMISSIONS whose text would pass as predictions and as metadata."""
    secret = tmp_path / "private" / "secret.jsonl"
    secret.parent.mkdir()
    secret.write_text(json.dumps({"id": SECRET, "answer": 1}) + "\n", encoding="utf-8")
    return secret


def link_predictions(root: Path, secret: Path) -> None:
    folder = submit(root, "sneaky")
    (folder / "predictions.jsonl").unlink()
    (folder / "predictions.jsonl").symlink_to(secret)


def link_metadata(root: Path, secret: Path) -> None:
    folder = submit(root, "sneaky")
    (folder / "submission.json").unlink()
    (folder / "submission.json").symlink_to(secret)


def link_folder(root: Path, secret: Path) -> None:
    (root / "sneaky").symlink_to(secret.parent, target_is_directory=True)
    (secret.parent / "submission.json").write_text(
        json.dumps(submission_metadata(model=SECRET)), encoding="utf-8"
    )
    (secret.parent / "predictions.jsonl").write_text(predictions_text(), encoding="utf-8")


ESCAPES: dict[str, Callable[[Path, Path], None]] = {
    "predictions.jsonl": link_predictions,
    "submission.json": link_metadata,
    "the folder": link_folder,
}


def leaderboard(root: Path, dataset: Path, out: Path) -> Result:
    args = ["leaderboard", str(root), "--dataset", str(dataset), "--bootstrap", "0"]
    return CliRunner().invoke(main, [*args, "--out", str(out)])


def everything_written(out: Path, result: Result) -> str:
    texts = [p.read_text(encoding="utf-8") for p in sorted(out.iterdir()) if p.is_file()]
    return "\n".join([*texts, result.output])


def refused(command: str, folder: Path, dataset: Path, tmp_path: Path) -> tuple[Result, str]:
    """The submission ``folder`` given to ``command``: ``validate`` refuses it (exit 2), the
    leaderboard of its parent leaves it out (exit 3, outputs in ``tmp_path/out``). Returns the
    result and every text the command wrote (outputs and messages)."""
    if command == "validate":
        result = CliRunner().invoke(main, ["validate", str(folder)])
        assert result.exit_code == 2, result.output
        written = result.output
    else:
        result = leaderboard(folder.parent, dataset, tmp_path / "out")
        assert result.exit_code == EXIT_LEFT_OUT, result.output
        written = everything_written(tmp_path / "out", result)
    assert "Traceback" not in result.output
    return result, written


@pytest.mark.parametrize("escape", sorted(ESCAPES))
def test_symlinks_out_of_submissions_are_not_read(
    escape: str, dataset: Path, tmp_path: Path
) -> None:
    root = tmp_path / "submissions"
    submit(root, "honest")
    ESCAPES[escape](root, secret_file(tmp_path))
    result = leaderboard(root, dataset, tmp_path / "out")
    assert result.exit_code == EXIT_LEFT_OUT, result.output
    assert "a symlink leading outside the submission" in result.stderr
    assert SECRET not in everything_written(tmp_path / "out", result)
    board = json.loads((tmp_path / "out" / "leaderboard.json").read_text(encoding="utf-8"))
    assert [row["slug"] for row in board["entries"]] == ["honest"]


@pytest.mark.parametrize("escape", ["predictions.jsonl", "submission.json"])
def test_validate_reads_nothing_outside_the_folder(
    escape: str, dataset: Path, tmp_path: Path
) -> None:
    root = tmp_path / "submissions"
    ESCAPES[escape](root, secret_file(tmp_path))
    result = CliRunner().invoke(main, ["validate", str(root / "sneaky")])
    assert result.exit_code == 2
    assert "a symlink leading outside the submission folder" in result.stderr
    assert SECRET not in result.output


@pytest.mark.parametrize("command", ["leaderboard", "validate"])
@pytest.mark.parametrize("name", ["predictions.jsonl", "submission.json"])
def test_a_hard_link_is_not_read(command: str, name: str, dataset: Path, tmp_path: Path) -> None:
    """A hard link shares the secret's inode: no symlink to resolve, so its link count tells."""
    root = tmp_path / "submissions"
    submit(root, "honest")
    folder = submit(root, "sneaky")
    (folder / name).unlink()
    os.link(secret_file(tmp_path), folder / name)
    result, written = refused(command, folder, dataset, tmp_path)
    assert SECRET not in written
    assert f"sneaky/{name}: a hard link" in result.stderr
    assert "Traceback" not in result.output


@contextlib.contextmanager
def held_elsewhere(path: Path) -> Iterator[None]:
    """``path``'s lock held by another thread for the block, as a ``run`` still appending to
    it holds it (another thread's lock counts as another process's)."""
    from sgbench.locks import exclusive

    taken, done = threading.Event(), threading.Event()

    def hold() -> None:
        with exclusive(path):
            taken.set()
            done.wait(60)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert taken.wait(30)
        yield
    finally:
        done.set()
        holder.join()


@pytest.mark.parametrize("command", ["leaderboard", "validate"])
@pytest.mark.parametrize("name", ["predictions.jsonl", "submission.json"])
def test_a_file_being_written_is_not_read(
    command: str, name: str, dataset: Path, tmp_path: Path
) -> None:
    """A predictions.jsonl a run is still appending to was ranked as if whole (a half-written
    file scored 0.294, exit 0) and validated: the input rule of every file a command reads
    (`sgbench.jsonl.input_problem`) leaves the submission out, exit 3 (validate: exit 2)."""
    root = tmp_path / "submissions"
    submit(root, "honest")
    folder = submit(root, "busy")
    with held_elsewhere(folder / name):
        result, _ = refused(command, folder, dataset, tmp_path)
    assert f"busy/{name}: being written by another sgbench process" in result.stderr
    if command == "leaderboard":
        board = json.loads((tmp_path / "out" / "leaderboard.json").read_text(encoding="utf-8"))
        assert [row["slug"] for row in board["entries"]] == ["honest"]
    # Once the writer has finished, the same folder is read and valid.
    again = CliRunner().invoke(main, ["validate", str(folder)])
    assert again.exit_code == 0, again.output


def test_a_hard_link_between_submissions_is_refused_too(dataset: Path, tmp_path: Path) -> None:
    """Two names for one file cannot be told from a name outside: both entries are left out."""
    root = tmp_path / "submissions"
    first = submit(root, "first")
    second = submit(root, "second", submission_metadata(model="Second"))
    (second / "predictions.jsonl").unlink()
    os.link(first / "predictions.jsonl", second / "predictions.jsonl")
    result = leaderboard(root, dataset, tmp_path / "out")
    assert result.exit_code == EXIT_LEFT_OUT, result.output
    assert "first/predictions.jsonl: a hard link" in result.output
    assert "second/predictions.jsonl: a hard link" in result.output


def test_a_symlink_inside_the_folder_is_fine(dataset: Path, tmp_path: Path) -> None:
    root = tmp_path / "submissions"
    folder = submit(root, "versions")
    (folder / "v2.jsonl").write_text(predictions_text(), encoding="utf-8")
    (folder / "predictions.jsonl").unlink()
    (folder / "predictions.jsonl").symlink_to("v2.jsonl")
    result = leaderboard(root, dataset, tmp_path / "out")
    assert result.exit_code == 0, result.output


BOMBS = {
    "deep list": ("[" * 100_000 + "]" * 100_000, "JSON nested more than 64 levels deep"),
    "deep object": ('{"a":' * 50_000 + "1" + "}" * 50_000, "JSON nested more than 64 levels"),
    "65 levels": ("[" * 65 + "]" * 65, "JSON nested more than 64 levels deep"),
}


@pytest.mark.parametrize("bomb", sorted(BOMBS))
def test_a_nested_submission_json_fails_only_its_entry(
    bomb: str, dataset: Path, tmp_path: Path
) -> None:
    text, problem = BOMBS[bomb]
    root = tmp_path / "submissions"
    submit(root, "honest")
    submit(root, "bomb", text)
    result = leaderboard(root, dataset, tmp_path / "out")
    assert result.exit_code == EXIT_LEFT_OUT, result.output
    assert f"bomb/submission.json: {problem}" in result.stderr
    assert "Traceback" not in result.output
    validated = CliRunner().invoke(main, ["validate", str(root / "bomb")])
    assert validated.exit_code == 2
    assert problem in validated.stderr
    assert "Traceback" not in validated.output


def test_a_nested_prediction_line_fails_only_its_entry(dataset: Path, tmp_path: Path) -> None:
    root = tmp_path / "submissions"
    submit(root, "honest")
    folder = submit(root, "deep")
    with (folder / "predictions.jsonl").open("a", encoding="utf-8") as handle:
        handle.write('{"id": "x", "answer": 1, "extra": ' + "[" * 5000 + "]" * 5000 + "}\n")
    result = leaderboard(root, dataset, tmp_path / "out")
    assert result.exit_code == EXIT_LEFT_OUT, result.output
    assert "deep/predictions.jsonl: line 5: JSON nested more than 64 levels deep" in result.stderr


def test_bidirectional_controls_are_escaped_or_dropped(dataset: Path, tmp_path: Path) -> None:
    root = tmp_path / "submissions"
    trojan = "Safe\u202egnp.exe\u2066 model\u200f"
    submit(root, "trojan", submission_metadata(model=trojan, notes="a\u2067b"))
    result = leaderboard(root, dataset, tmp_path / "out")
    assert result.exit_code == 0, result.output
    raw = (tmp_path / "out" / "leaderboard.json").read_text(encoding="utf-8")
    assert "Safe\\u202egnp.exe\\u2066 model\\u200f" in raw
    assert json.loads(raw)["entries"][0]["submission"]["model"] == trojan  # escaped, not lost
    for name in ("leaderboard.md", "leaderboard.csv", "index.html"):
        text = (tmp_path / "out" / name).read_text(encoding="utf-8")
        assert not any(c in text for c in "\u202e\u2066\u2067\u200f"), name
        assert "Safegnp.exe model" in text, name
    assert "\u202e" not in result.stdout


@pytest.mark.parametrize(
    ("second", "duplicate"),
    [
        ("Honest", True),
        ("  honest ", True),
        ("HON\u200bEST", True),
        ("Ｈｏｎｅｓｔ", True),  # fullwidth letters, the same under NFKC
        ("Honest\u3164", True),  # a Hangul filler: a letter that shows nothing
        ("Honest\u2800", True),  # BRAILLE PATTERN BLANK: a symbol drawn as nothing (#15)
        ("Hon\ufe0fest", True),  # a variation selector
        ("Honest 2", False),
        # Planted: ASCII characters a font may draw alike stay two names (UTS #39 folds them).
        ("H0nest", False),
        ("Hone5t", False),
        ("HonestI", False),
    ],
)
def test_a_second_entry_of_one_model_is_a_duplicate(
    second: str, duplicate: bool, dataset: Path, tmp_path: Path
) -> None:
    root = tmp_path / "submissions"
    submit(root, "a-first", submission_metadata(model="Honest"))
    submit(root, "b-second", submission_metadata(model=second))
    submit(root, "c-tuned", submission_metadata(model="Honest", method="fine-tuned"))
    result = leaderboard(root, dataset, tmp_path / "out")
    board = json.loads((tmp_path / "out" / "leaderboard.json").read_text(encoding="utf-8"))
    ranked = sorted(row["slug"] for row in board["entries"])
    if duplicate:
        assert result.exit_code == EXIT_LEFT_OUT
        assert ranked == ["a-first", "c-tuned"]
        assert "b-second/submission.json: model" in result.stderr
        assert "is already entered as 'a-first'" in result.stderr
    else:
        assert result.exit_code == 0, result.output
        assert ranked == ["a-first", "b-second", "c-tuned"]


@pytest.mark.parametrize("command", ["leaderboard", "paper-table"])
@pytest.mark.parametrize(
    ("latin", "lookalike"),
    [
        ("OKAY", "\u041e\u041a\u0410\u0423"),
        ("TAXI", "\u03a4\u0391\u03a7\u0399"),
        ("cope", "\u0441\u043e\u0440\u0435"),
        ("HELLO", "\u13bb\u13ac\u13de\u13de\u13be"),  # Cherokee
        ("ooo", "\u0585\u0585\u0585"),  # Armenian
        # Dashes and minus signs drawn as a hyphen (#15: both were ranked).
        ("GPT-4", "GPT\u20104"),  # HYPHEN
        ("GPT-4", "GPT\u20114"),  # NON-BREAKING HYPHEN
        ("GPT-4", "GPT\u20134"),  # EN DASH
        ("GPT-4", "GPT\u22124"),  # MINUS SIGN
        # Latin letters outside ASCII drawn as ASCII ones.
        ("mistral", "m\u0131stral"),  # dotless i
        ("mistral", "m\u0269stral"),  # Latin iota
        ("gemma", "\u0261emma"),  # script g
    ],
)
def test_a_name_in_letters_drawn_as_latin_ones_is_the_latin_name(
    command: str, latin: str, lookalike: str, dataset: Path, tmp_path: Path
) -> None:
    """'ОКАУ' in Cyrillic (or 'ΤΑΧΙ' in Greek, 'ᎻᎬᏞᏞᎾ' in Cherokee), one script in each word,
    reads 'OKAY': both were ranked (and tabled) as two models with exit code 0."""
    if command == "leaderboard":
        root = tmp_path / "submissions"
        submit(root, "a-latin", submission_metadata(model=latin))
        submit(root, "b-lookalike", submission_metadata(model=lookalike))
        result = leaderboard(root, dataset, tmp_path / "out")
        assert result.exit_code == EXIT_LEFT_OUT, result.output
        assert "b-lookalike/submission.json: model" in result.stderr
        assert "is already entered as 'a-latin'" in result.stderr
        return
    reports = []
    for name in (latin, lookalike):
        report = paper_score_report(tmp_path / f"{len(reports)}.json", 0.5, 0.2)
        reports.append(f"{name}={report}")
    result = CliRunner().invoke(main, ["paper-table", *reports])
    assert_one_error_line(result, f"model name '{lookalike}' is also {reports[0]}'s")


def test_every_dash_of_unicode_reads_as_a_hyphen() -> None:
    """The rule is Unicode's own class, checked against this Python's Unicode data: a dash
    added to the standard and missing from DASHES fails here."""
    dashes = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Pd"]
    assert len(dashes) >= 20
    for dash in [*dashes, "\u2212"]:
        assert shown_model(f"gpt{dash}4") == "gpt-4", f"U+{ord(dash):04X}"


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("gpt-4o", "gpt-40"),  # ASCII 'o' and '0' are kept apart
        ("qwen-1", "qwen-l"),
        ("llama", "Ilama"),
        ("Café", "Cafe"),  # an accent is seen
        ("GPT-4", "GPT_4"),
        ("GPT-4", "GPT 4"),
        ("Ν", "ν"),  # Greek capital NU reads 'N', its small letter 'v'
    ],
)
def test_names_a_reader_tells_apart_stay_apart(one: str, other: str) -> None:
    assert shown_model(one) != shown_model(other)


def test_a_joiner_between_emoji_is_seen_and_between_letters_is_not(
    dataset: Path, tmp_path: Path
) -> None:
    """U+1F468 ZWJ U+1F4BB draws one glyph (technologist), without the joiner two (man,
    laptop): both were folded into one name and the second left out as "already entered".
    A joiner inside Latin text draws nothing and still folds away."""
    joined, apart = "\U0001f468\u200d\U0001f4bb", "\U0001f468\U0001f4bb"
    assert shown_model(joined) != shown_model(apart)
    assert (
        shown_model("\U0001f469\U0001f3fd\u200d\U0001f4bb")
        == "\U0001f469\U0001f3fd\u200d\U0001f4bb"
    )
    assert shown_model("\U0001f441\ufe0f\u200d\U0001f5e8\ufe0f") == "\U0001f441\u200d\U0001f5e8"
    assert shown_model("gp\u200dt-4") == shown_model("g\u200d\u200dpt-4") == "gpt-4"
    assert shown_model("\U0001f468\u200d") == shown_model("\U0001f468")
    root = tmp_path / "submissions"
    submit(root, "a-joined", submission_metadata(model=joined))
    submit(root, "b-apart", submission_metadata(model=apart))
    result = leaderboard(root, dataset, tmp_path / "out")
    assert result.exit_code == 0, result.output
    board = json.loads((tmp_path / "out" / "leaderboard.json").read_text(encoding="utf-8"))
    assert sorted(row["slug"] for row in board["entries"]) == ["a-joined", "b-apart"]


@pytest.mark.parametrize(
    "blank", ["\u2800", "\u3164", "\u115f", "\u1160", "\uffa0", "\ufe0f", "\u034f", "\U000e0100"]
)
def test_a_model_name_with_a_character_drawn_as_nothing_is_refused(blank: str) -> None:
    """Python calls these printable, yet 'gpt-4' + U+2800 reads 'gpt-4' (#15): a name sent
    and recorded must show all it holds."""
    assert shown_model(f"gpt-4{blank}") == "gpt-4"
    problem = model_name_problem(f"gpt-4{blank}")
    assert problem is not None
    assert f"U+{ord(blank):04X}" in problem
    assert "draws nothing" in problem
    for name in ("gpt-4", "Café", "日本語モデル", "\U0001f468\U0001f4bb"):
        assert model_name_problem(name) is None, name


@pytest.mark.parametrize(
    ("one", "other"),
    [("\u039d", "n"), ("\u03bd", "v"), ("\u0399", "i"), ("\u0406", "i"), ("\ua4f2", "i")],
)
def test_a_capital_drawn_as_a_latin_capital_reads_as_it(one: str, other: str) -> None:
    """UTS #39 draws capital I as 'l'; names are case-folded, so a capital I lookalike (Greek,
    Cyrillic, Lisu) is 'i' as 'I' is."""
    assert shown_model(one) == shown_model(other.upper()) == other


@pytest.mark.parametrize("name", ["submission.json", "predictions.jsonl"])
def test_a_fifo_is_not_waited_on(name: str, dataset: Path, tmp_path: Path) -> None:
    root = tmp_path / "submissions"
    submit(root, "honest")
    folder = submit(root, "fifo")
    (folder / name).unlink()
    os.mkfifo(folder / name)  # opening it to read would block until someone writes
    result = leaderboard(root, dataset, tmp_path / "out")
    assert result.exit_code == EXIT_LEFT_OUT, result.output
    assert f"fifo/{name}: " in result.stderr
    assert "not a" in result.stderr


@pytest.mark.parametrize("name", ["submission.json", "predictions.jsonl"])
def test_a_symlink_loop_is_one_problem(name: str, dataset: Path, tmp_path: Path) -> None:
    root = tmp_path / "submissions"
    submit(root, "honest")
    folder = submit(root, "loop")
    (folder / name).unlink()
    (folder / name).symlink_to(name)
    result = leaderboard(root, dataset, tmp_path / "out")
    assert result.exit_code == EXIT_LEFT_OUT, result.output
    assert f"loop/{name}: a symlink loop; not read" in result.stderr
    validated = CliRunner().invoke(main, ["validate", str(folder)])
    assert validated.exit_code == 2
    assert "Traceback" not in validated.output
    assert f"loop/{name}: a symlink loop" in validated.stderr


NAMES = {
    "a newline": "evil\nleft out 'honest':",
    "a terminal escape": "x\x1b]0;pwned\x07\x1b[2J",
    "a right-to-left override": "cod\u202eexe",
    "bytes that are not UTF-8": os.fsdecode(b"bad\xff"),
}


@pytest.mark.parametrize("command", ["leaderboard", "validate"])
@pytest.mark.parametrize("holding", sorted(NAMES))
def test_a_folder_name_is_shown_escaped(
    command: str, holding: str, dataset: Path, tmp_path: Path
) -> None:
    """A folder name is untrusted text too: a newline forged a line of the report, an escape
    reached the terminal, and a name that is not UTF-8 crashed the writing of the outputs."""
    name = NAMES[holding]
    root = tmp_path / "submissions"
    submit(root, "honest")
    folder = submit(root, name)
    result, _ = refused(command, folder, dataset, tmp_path)
    if command == "leaderboard":
        board = json.loads((tmp_path / "out" / "leaderboard.json").read_text(encoding="utf-8"))
        assert board["excluded"][0]["slug"] == repr(name)[1:-1]
    assert "Traceback" not in result.output
    assert repr(name)[1:-1] in result.stderr
    assert not any(char in result.output for char in "\x1b\x07\u202e\udcff")
    # Every line of the report starts as one of its own lines does.
    starts = ("wrote ", "left out ", "  ", "submission folder ", "Error: ", str(root))
    assert all(line.startswith(starts) for line in result.stderr.splitlines()), result.stderr


def score_command(path: Path, dataset: Path, tmp_path: Path) -> Result:
    return CliRunner().invoke(main, ["score", str(path), "--dataset", str(dataset)])


def leaderboard_command(path: Path, dataset: Path, tmp_path: Path) -> Result:
    return leaderboard(path.parent.parent, dataset, tmp_path / "out")


def validate_command(path: Path, dataset: Path, tmp_path: Path) -> Result:
    return CliRunner().invoke(main, ["validate", str(path.parent)])


READERS: dict[str, Callable[[Path, Path, Path], Result]] = {
    "score": score_command,
    "leaderboard": leaderboard_command,
    "validate": validate_command,
}


@pytest.mark.parametrize("command", sorted(READERS))
def test_a_huge_value_is_not_quoted_in_full(
    command: str, dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A problem quoting a 2 MB id (predictions) or model name (submission.json) is cut to
    MAX_MESSAGE characters: it was copied whole into every output and onto stderr."""
    # Room for the 2 MB line, which is larger than any predictions file of the small dataset.
    monkeypatch.setattr(predictions_module, "RESPONSE_ALLOWANCE", 1 << 20)
    huge = "x" * 2_000_000
    root = tmp_path / "submissions"
    submit(root, "honest")
    folder = submit(root, "huge", submission_metadata(model="y" * 2_000_000))
    line = json.dumps({"id": huge, "answer": 1}) + "\n"
    with (folder / "predictions.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(line)
    result = READERS[command](folder / "predictions.jsonl", dataset, tmp_path)
    assert result.exit_code in (2, EXIT_LEFT_OUT), result.output
    assert "Traceback" not in result.output
    assert "characters] …" in result.stderr
    written = everything_written(tmp_path / "out", result) if command == "leaderboard" else ""
    assert len(result.output) + len(written) < 50_000


@pytest.mark.parametrize("command", sorted(READERS))
@pytest.mark.parametrize("where", ["id", "response"])
def test_a_lone_surrogate_is_a_line_problem(
    command: str, where: str, dataset: Path, tmp_path: Path
) -> None:
    r"""``"\ud800"`` decodes to no character: quoted in a message it crashed the writing of the
    page. It is refused on its line by the strict reader, and sends the fast (columnar) reader
    to the strict one."""
    root = tmp_path / "submissions"
    submit(root, "honest")
    folder = submit(root, "lone")
    first, *rest = (folder / "predictions.jsonl").read_text(encoding="utf-8").splitlines()
    obj = json.loads(first)
    if where == "id":
        obj["id"] = "\ud800"
    else:
        obj["response"] = "Answer: 1 \ud800"
    (folder / "predictions.jsonl").write_text(
        "\n".join([json.dumps(obj), *rest]) + "\n", encoding="utf-8"
    )
    result = READERS[command](folder / "predictions.jsonl", dataset, tmp_path)
    assert result.exit_code in (2, EXIT_LEFT_OUT), result.output
    assert "Traceback" not in result.output
    assert f"line 1: not valid JSON ($.{where}: a lone UTF-16 surrogate" in result.stderr


@pytest.mark.parametrize("command", ["leaderboard", "validate"])
@pytest.mark.parametrize(
    ("model", "problem"),
    [
        ("   ", "shows nothing"),
        ("\u200b\u2060", "shows nothing"),
        ("\u202e\u3164", "shows nothing"),
        ("\u2800\u115f\u1160\uffa0", "shows nothing"),
        ("H\u043enest", "mixes Cyrillic and Latin letters in one word"),
        ("Hon\u03b5st", "mixes Greek and Latin letters in one word"),
    ],
)
def test_a_model_name_a_reader_cannot_tell_is_refused(
    command: str, model: str, problem: str, dataset: Path, tmp_path: Path
) -> None:
    """A name showing nothing is a blank row; one mixing scripts in a word ('Honest' with a
    Cyrillic 'о') shows as another entry's name while comparing unequal to it."""
    root = tmp_path / "submissions"
    submit(root, "honest", submission_metadata(model="Honest"))
    folder = submit(root, "spoof", submission_metadata(model=model))
    result, _ = refused(command, folder, dataset, tmp_path)
    assert f"spoof/submission.json: $.model: {model!r} {problem}" in result.stderr


@pytest.mark.parametrize(
    "model", ["Llama-3 Яндекс", "GPT-α", "ChatGLM 智谱", "日本語モデル", "Café"]
)
def test_words_in_different_scripts_are_fine(model: str, dataset: Path, tmp_path: Path) -> None:
    root = tmp_path / "submissions"
    folder = submit(root, "mixed", submission_metadata(model=model))
    assert CliRunner().invoke(main, ["validate", str(folder)]).exit_code == 0


def test_a_submission_cannot_pass_for_a_built_in_baseline(dataset: Path, tmp_path: Path) -> None:
    """With --with-baselines, a submission named as a baseline would be a second row that looks
    the same; the baseline claims its name first."""
    root = tmp_path / "submissions"
    submit(root, "honest")
    submit(
        root,
        "fake",
        submission_metadata(model="Random Baseline", method="baseline", organisation="sgbench"),
    )
    result = CliRunner().invoke(
        main,
        [
            "leaderboard",
            str(root),
            "--dataset",
            str(dataset),
            "--bootstrap",
            "0",
            "--with-baselines",
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == EXIT_LEFT_OUT, result.output
    assert "is already entered as 'baseline:random'" in result.stderr
    board = json.loads((tmp_path / "out" / "leaderboard.json").read_text(encoding="utf-8"))
    assert "fake" not in [row["slug"] for row in board["entries"]]
    assert "baseline:random" in [row["slug"] for row in board["entries"]]


@pytest.mark.parametrize("target", ["missing", "loop"])
def test_a_submission_symlink_leading_nowhere_is_reported(
    target: str, dataset: Path, tmp_path: Path
) -> None:
    """A symlinked submission whose target is gone (or a loop) was dropped unseen, exit 0."""
    root = tmp_path / "submissions"
    submit(root, "honest")
    (root / "gone").symlink_to("gone" if target == "loop" else tmp_path / "missing")
    result = leaderboard(root, dataset, tmp_path / "out")
    assert result.exit_code == EXIT_LEFT_OUT, result.output
    assert "gone: a symlink leading nowhere (a missing target or a loop)" in result.stderr


@pytest.mark.parametrize("kernel_path", [True, False], ids=["proc", "inode only"])
@pytest.mark.parametrize("command", ["leaderboard", "validate"])
@pytest.mark.parametrize("name", ["predictions.jsonl", "submission.json"])
def test_a_symlink_swapped_in_after_the_check_is_not_read(
    command: str,
    name: str,
    kernel_path: bool,
    dataset: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Someone writing the submission folder while the leaderboard runs swaps a symlink to the
    secret in between the check of the path and its opening (a real race published the secret
    in 6 of 15 runs): what was opened is judged, not the path checked before."""
    root = tmp_path / "submissions"
    submit(root, "honest")
    folder = submit(root, "racer")
    secret = secret_file(tmp_path)
    real_open = os.open

    def swap_then_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if Path(path) == folder / name and not (folder / name).is_symlink():
            (folder / name).unlink()
            (folder / name).symlink_to(secret)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", swap_then_open)
    if not kernel_path:  # no /proc: the opened inode must be the one the path resolved to
        monkeypatch.setattr(submission_module, "_opened_path", lambda fd: None)
    result, written = refused(command, folder, dataset, tmp_path)
    assert SECRET not in written
    assert f"racer/{name}: a symlink leading outside the submission folder" in result.stderr


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _folder(path: Path) -> None:
    path.mkdir()


def _loop(path: Path) -> None:
    path.symlink_to(path.name)


UNREADABLE = {"a FIFO": _fifo, "a folder": _folder, "a symlink loop": _loop}


@pytest.mark.parametrize("kind", ["submission.json", "manifest.json"])
@pytest.mark.parametrize("spoil", sorted(UNREADABLE))
def test_validate_names_what_stands_in_the_files_place(
    kind: str, spoil: str, dataset: Path, tmp_path: Path
) -> None:
    """A folder whose submission.json or manifest.json is there but cannot be read is still that
    kind of folder, with that file's problem, not 'neither a dataset nor a submission folder'
    (which sends the user looking for a file that is there)."""
    if kind == "submission.json":
        folder = submit(tmp_path, "sub")
    else:
        folder = tmp_path / "ds"
        shutil.copytree(dataset, folder)
    (folder / kind).unlink()
    UNREADABLE[spoil](folder / kind)
    result = CliRunner().invoke(main, ["validate", str(folder)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "neither" not in result.stderr
    problem = next(line for line in result.stderr.splitlines() if f"/{kind}: " in line)
    assert "missing" not in problem


def _unknown_ids(folder: Path) -> None:
    text = (folder / "predictions.jsonl").read_text(encoding="utf-8")
    (folder / "predictions.jsonl").write_text(text.replace("sex=", "SEX="), encoding="utf-8")


def _other_build(folder: Path) -> None:
    meta = json.loads((folder / "submission.json").read_text(encoding="utf-8"))
    meta["dataset_version"] = meta["dataset_version"].split("+")[0] + "+synthetic"
    (folder / "submission.json").write_text(json.dumps(meta), encoding="utf-8")


def _no_test_ood(folder: Path) -> None:
    rows = [make_row(q, {"age_group": "16-24"}, FOUR_POINT, [1, 3, 5, 1]) for q in QUESTIONS]
    lines = [json.dumps({"id": row["id"], "answer": 1}) + "\n" for row in rows]
    (folder / "predictions.jsonl").write_text("".join(lines), encoding="utf-8")


FOR_ANOTHER_DATASET = {
    "unknown ids": _unknown_ids,
    "another build": _other_build,
    "only test_id": _no_test_ood,
}


@pytest.mark.parametrize("spoil", sorted(FOR_ANOTHER_DATASET))
def test_validate_with_a_dataset_finds_what_the_leaderboard_refuses(
    spoil: str, dataset: Path, tmp_path: Path
) -> None:
    """Predictions made for another dataset passed `validate` as "valid" and were left out by
    the leaderboard: with --dataset, validate finds the same problems; without, it says it
    checked the form only."""
    root = tmp_path / "submissions"
    submit(root, "honest")
    folder = submit(root, "elsewhere")
    FOR_ANOTHER_DATASET[spoil](folder)
    ranked = leaderboard(root, dataset, tmp_path / "out")
    assert ranked.exit_code == EXIT_LEFT_OUT, ranked.output
    problems = [line.strip() for line in ranked.stderr.splitlines() if "elsewhere/" in line]
    assert problems
    checked = CliRunner().invoke(main, ["validate", str(folder), "--dataset", str(dataset)])
    assert checked.exit_code == 2, checked.output
    assert "Traceback" not in checked.output
    listed = [line for line in checked.stderr.splitlines() if line.startswith(str(folder))]
    assert [line.replace(str(folder), "elsewhere") for line in listed] == problems
    form = CliRunner().invoke(main, ["validate", str(folder)])
    assert form.exit_code == 0, form.output
    assert "valid in form" in form.stdout
    assert "--dataset" in form.stdout


def test_validate_refuses_a_dataset_for_a_dataset_folder(dataset: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(dataset), "--dataset", str(dataset)])
    assert_one_error_line(result, "--dataset has no effect on a dataset folder")


def predictions_bound(dataset: Path) -> int:
    """The bound of the docs worked out by hand for this dataset: 8 samples in config default
    (4 test_ood, 2 test_id, 2 train), items of 4 options, one line each of at most 6 bytes per
    byte of the longest id, 96 more, 48 per option and 2,048 of response text."""
    ids = [
        make_row(q, s, FOUR_POINT, [1, 1, 1, 1])["id"]
        for q in QUESTIONS
        for s in (*SUBGROUPS, {"age_group": "16-24"}, {"age_group": "65+"})
    ]
    longest = max(len(i.encode("utf-8")) for i in ids)
    return len(ids) * (6 * longest + 96 + 4 * 48 + 2048)


def padded(folder: Path, size: int) -> None:
    """Pad the honest predictions of ``folder`` with blank lines to exactly ``size`` bytes."""
    path = folder / "predictions.jsonl"
    text = predictions_text()
    path.write_text(text + "\n" * (size - len(text)), encoding="utf-8")


@pytest.mark.parametrize("command", ["leaderboard", "validate --dataset", "validate"])
def test_a_predictions_file_over_its_bound_is_not_read(
    command: str, dataset: Path, tmp_path: Path
) -> None:
    """Reading a predictions file costs about ten times its size in memory, so one multi-GB
    submission took the leaderboard down for everyone: a file larger than any predictions file
    for the dataset needs fails its entry, unread (an 8 GiB sparse file here), with one line
    naming the file and the bound. Without a dataset the bound is 128 MiB."""
    root = tmp_path / "submissions"
    submit(root, "honest")
    folder = submit(root, "huge")
    with (folder / "predictions.jsonl").open("wb") as handle:
        handle.truncate(8 << 30)  # sparse: takes no space, and would take ~80 GB to read
    bound = predictions_bound(dataset) if command != "validate" else 128 << 20
    if command == "leaderboard":
        result, _ = refused(command, folder, dataset, tmp_path)
        board = json.loads((tmp_path / "out" / "leaderboard.json").read_text(encoding="utf-8"))
        assert [row["slug"] for row in board["entries"]] == ["honest"]
    else:
        extra = ["--dataset", str(dataset)] if command.endswith("--dataset") else []
        result = CliRunner().invoke(main, ["validate", str(folder), *extra])
        assert result.exit_code == 2, result.output
    problem = f"huge/predictions.jsonl: {8 << 30:,} bytes, larger than {bound:,} bytes, "
    assert [line for line in result.stderr.splitlines() if problem in line], result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", ["leaderboard", "validate --dataset"])
def test_a_predictions_file_at_its_bound_is_read(
    command: str, dataset: Path, tmp_path: Path
) -> None:
    """The bound is exact: honest predictions padded to the bound are ranked; one byte more and
    they are not read."""
    bound = predictions_bound(dataset)
    root = tmp_path / "submissions"
    folder = submit(root, "padded")
    for size, ranked in ((bound, True), (bound + 1, False)):
        padded(folder, size)
        if command == "leaderboard":
            result = leaderboard(root, dataset, tmp_path / f"out-{size}")
            assert result.exit_code == (0 if ranked else EXIT_LEFT_OUT), result.output
        else:
            args = ["validate", str(folder), "--dataset", str(dataset)]
            result = CliRunner().invoke(main, args)
            assert result.exit_code == (0 if ranked else 2), result.output
        assert ("larger than" in result.stderr) is not ranked, result.stderr
