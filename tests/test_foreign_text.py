"""Text sgbench did not write: every error line goes through `sgbench.errors.shown_name` and
`bounded` in the CLI's one handler, and text set in terminal summaries, stderr listings and
chart titles through the leaderboard's rule, `sgbench.errors.one_line` (moved down so every
layer shares it). A newline or escape sequence no longer starts a line or moves the cursor,
bidirectional controls no longer reorder the text, a lone surrogate no longer crashes the
output, and a megabyte-long id no longer makes a megabyte-long line. JSON inputs holding a lone
surrogate escape are refused by the one strict parser (`sgbench.jsonl.loads_strict`)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pytest
from cli_contract import assert_one_error_line
from click.testing import CliRunner
from manifest_tools import rebind
from test_careless_input import rewrite_split
from test_judge import HAND, hand_line

from sgbench.cli import main
from sgbench.dataset import MANIFEST_FILE
from sgbench.errors import BIDI_CONTROLS, MAX_MESSAGE, one_line, shown_name
from sgbench.versioning import CHANGELOG

pytest.importorskip("matplotlib")

NO_CI = ["--bootstrap", "0", "--permutations", "0"]
IMPORT = ["import", "paper-outputs"]
HOSTILE = "a\nFAKE\x1b[2J\u202egnp.exe\u2066"
"""Text in a file that would start a line, clear a terminal and read backwards."""
REVERSED = "Safe\u202egnp.exe\u2066 model"
"""An argument that would read backwards (control characters in arguments are refused before
any command runs, by `sgbench.cli.errors.SgbenchGroup`)."""

# Every command of the family reading a user's file, with FILE for it.
READERS: dict[str, list[str]] = {
    "score": ["score", "FILE", "--dataset", "ds", *NO_CI],
    "parse": ["parse", "FILE", "--dataset", "ds"],
    "judge-report": ["judge-report", "FILE", *NO_CI],
    "paper-table": ["paper-table", "FILE"],
    "import paper-outputs": [*IMPORT, "FILE", "--dataset", "ds", "--out", "o.jsonl"],
}


def clean(text: str) -> bool:
    """No escape sequence, no bidirectional control, no lone surrogate."""
    return "\x1b" not in text and not any(c in text for c in BIDI_CONTROLS + "\ud800\udcff")


@pytest.fixture
def workdir(built_default: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(built_default, tmp_path / "ds")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(case: str, path: str) -> object:
    args = [path if arg == "FILE" else arg for arg in READERS[case]]
    return CliRunner().invoke(main, args)


@pytest.mark.parametrize("case", sorted(READERS))
def test_a_hostile_file_name_stays_one_clean_error_line(case: str, workdir: Path) -> None:
    name = HOSTILE + (".json" if case == "paper-table" else ".jsonl")
    (workdir / name).write_text("not json\n", encoding="utf-8")
    result = invoke(case, name)
    line = assert_one_error_line(result, "a\\nFAKE\\x1b[2J\\u202egnp.exe")  # type: ignore[arg-type]
    assert clean(line)


@pytest.mark.parametrize("case", sorted(READERS))
def test_a_lone_surrogate_escape_is_refused_by_every_reader(case: str, workdir: Path) -> None:
    line = '{"id": "x\\ud800", "custom_id": "Q1_sex_\\udc00", "response": "1 \\ud800"}\n'
    name = "s.json" if case == "paper-table" else "s.jsonl"
    (workdir / name).write_text(line, encoding="utf-8")
    result = invoke(case, name)
    assert_one_error_line(result, name, "lone UTF-16 surrogate")  # type: ignore[arg-type]
    assert not (workdir / "o.jsonl").exists()


@pytest.mark.parametrize("case", ["score", "parse"])
def test_a_megabyte_id_makes_a_short_error_line(case: str, workdir: Path) -> None:
    long_id = "Q" * (1 << 20)
    (workdir / "p.jsonl").write_text(
        json.dumps({"id": long_id, "answer": 1, "response": "1"}) + "\n", encoding="utf-8"
    )
    line = assert_one_error_line(invoke(case, "p.jsonl"), "p.jsonl: line 1")  # type: ignore[arg-type]
    assert len(line) <= len("Error: ") + MAX_MESSAGE
    assert " characters] … " in line


def test_judge_report_summary_shows_the_files_names_cleanly(workdir: Path) -> None:
    lines = [json.loads(hand_line(*row)) for row in HAND]
    for record in lines:
        record["judge_model"] = HOSTILE
        record["a"]["model"] = "m\u202eodel"
    (workdir / "j.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")
    result = CliRunner().invoke(main, ["judge-report", "j.jsonl", *NO_CI])
    assert result.exit_code == 0, result.output
    assert clean(result.stdout)
    first = result.stdout.splitlines()[0]
    assert first.startswith("sgbench judge-report: A = model (open) vs B = mb (open)")
    assert "judge a FAKE [2Jgnp.exe (" in first


def test_stats_shows_the_datasets_text_cleanly(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dataset is foreign input too (hf://): a section or question holding an escape sequence
    drove the terminal from `stats`' summary, and a newline forged a line there and broke the
    rows of stats.md (and reached the charts' labels). The dataset is marked as an earlier
    release's (one this sgbench knows, as a later sgbench knows 1.0.0), whose question texts are
    its own (the row rule holds a dataset of this release to the catalogue's)."""
    monkeypatch.setitem(CHANGELOG, "0.9.0", "An earlier release (for this test).")

    def hostile(table: pa.Table) -> pa.Table:
        rows = table.to_pylist()
        for row in rows:
            row["section"] = f"{row['section']} {HOSTILE} | x"
            row["question"] = f"{row['question']} {HOSTILE}"
        return pa.Table.from_pylist(rows, schema=table.schema)

    rewrite_split(workdir / "ds", hostile)
    manifest = json.loads((workdir / "ds" / MANIFEST_FILE).read_text(encoding="utf-8"))
    rebind(workdir / "ds", {**manifest, "version": "0.9.0+synthetic"})
    result = CliRunner().invoke(main, ["stats", "--dataset", "ds", "--out", "st", "--top", "2"])
    assert result.exit_code == 0, result.output
    assert clean(result.stdout)
    assert "\nFAKE" not in result.stdout
    assert "a FAKE [2Jgnp.exe | x" in result.stdout
    markdown = (workdir / "st" / "stats.md").read_text(encoding="utf-8")
    assert clean(markdown)
    rows = [line for line in markdown.splitlines() if "FAKE" in line]
    # Every row holding the text is one whole table row, its own `|` escaped.
    assert len(rows) > 2
    assert all(line.startswith("| ") and line.endswith(" |") for line in rows)
    assert any("a FAKE [2Jgnp.exe \\| x |" in line for line in rows)


def test_paper_table_names_are_shown_cleanly(workdir: Path) -> None:
    prompts = CliRunner().invoke(main, ["prompts", "--dataset", "ds", "--config", "paper"])
    ids = [json.loads(line)["id"] for line in prompts.output.splitlines()]
    (workdir / "p.jsonl").write_text(
        "".join(json.dumps({"id": i, "answer": 1}) + "\n" for i in ids), encoding="utf-8"
    )
    score = ["score", "p.jsonl", "--dataset", "ds", "--config", "paper", *NO_CI]
    assert CliRunner().invoke(main, [*score, "--json", "r.json"]).exit_code == 0
    # A name that reads backwards is refused by the model-name rule, shown escaped.
    refused = CliRunner().invoke(main, ["paper-table", f"{REVERSED}=r.json"])
    assert_one_error_line(refused, "model name 'Safe\\u202egnp.exe\\u2066 model'")
    assert clean(refused.output)
    # The report's own text (its config) is shown on one clean line.
    report = json.loads((workdir / "r.json").read_text(encoding="utf-8"))
    report["dataset"]["config"] = HOSTILE
    (workdir / "r.json").write_text(json.dumps(report), encoding="utf-8")
    result = CliRunner().invoke(main, ["paper-table", "Safe=r.json"])
    assert result.exit_code == 0, result.output
    assert clean(result.output)
    assert "  Safe " in result.stdout
    assert "note: Safe was scored on config a FAKE [2Jgnp.exe, split test_ood" in result.stderr


def test_import_listing_shows_each_id_on_one_clean_line(workdir: Path) -> None:
    rows = [{"custom_id": HOSTILE, "response": "1"}, {"custom_id": "Q" * 100_000, "response": "1"}]
    (workdir / "src.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8"
    )
    args = ["import", "paper-outputs", "src.jsonl", "--dataset", "ds", "--out", "o.jsonl"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 3, result.output
    assert clean(result.stderr)
    # Quoted and escaped (sgbench.errors.shown_exactly): the id the file holds, made inert.
    assert "  'a\\nFAKE\\x1b[2J\\u202egnp.exe\\u2066': garbled" in result.stderr.splitlines()
    assert max(len(line) for line in result.stderr.splitlines()) < MAX_MESSAGE + 20


@pytest.mark.parametrize(
    ("model", "shown"),
    [
        ("$\\foo{$", "$\\foo{$"),  # text, never mathtext (this one crashed the parser)
        ("M" * 10_000, "M" * 235 + " … [9,530 characters] … " + "M" * 235),
    ],
)
def test_score_chart_title_shows_the_model_cleanly(
    model: str, shown: str, workdir: Path, scoring_predictions: Path
) -> None:
    args = ["score", str(scoring_predictions), "--dataset", "ds", *NO_CI]
    result = CliRunner().invoke(main, [*args, "--plot", "c.svg", "--model", model])
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.output
    svg = (workdir / "c.svg").read_text(encoding="utf-8")
    assert clean(svg)
    assert f"{shown} — predictions" in svg.replace("&lt;", "<").replace("&amp;", "&")


def test_score_chart_title_drops_bidirectional_controls(
    workdir: Path, scoring_predictions: Path
) -> None:
    # The CLI refuses such a --model (sgbench.errors.model_name_problem, every --model); a
    # caller of the library still gets a title that reads as it is shown.
    from sgbench.scoring import score_predictions
    from sgbench.stats.plots import write_score_chart

    report = score_predictions(scoring_predictions, "ds", n_boot=0, n_permutations=0)
    write_score_chart(report, workdir / "c.svg", scoring_predictions, REVERSED)
    svg = (workdir / "c.svg").read_text(encoding="utf-8")
    assert clean(svg)
    assert "Safegnp.exe model — predictions" in svg


@pytest.fixture
def scoring_predictions(workdir: Path) -> Path:
    prompts = CliRunner().invoke(main, ["prompts", "--dataset", "ds"])
    ids = [json.loads(line)["id"] for line in prompts.output.splitlines()]
    path = workdir / "p.jsonl"
    path.write_text("".join(json.dumps({"id": i, "answer": 1}) + "\n" for i in ids), "utf-8")
    return path


def test_one_line_rule() -> None:
    assert one_line("a\nb\tc\x1b[31m\u202ed") == "a b c [31md"
    assert one_line(" x\ud800 ") == "x\ufffd"


def test_a_name_ending_or_starting_in_a_space_is_quoted() -> None:
    """A space has no escape: a name that would still start or end in one is quoted as
    Python's repr writes it, escapes included; any other name is shown as before."""
    assert shown_name("data/x.parquet ") == "'data/x.parquet '"
    assert shown_name(" x") == "' x'"
    assert shown_name("a\nb ") == "'a\\nb '"
    assert shown_name("it's ") == '"it\'s "'
    assert shown_name("a b") == "a b"
    assert shown_name("a\n") == "a\\n"  # escaped, so it no longer ends in whitespace
    assert shown_name("x\u202e") == "x\\u202e"
    assert shown_name("") == ""


def test_validate_tells_a_foreign_name_ending_in_a_space_from_the_listed_file(
    workdir: Path,
) -> None:
    """`data/default/train-...parquet ` (a trailing space) beside the listed shard was shown
    bare, reading as if the listed file were not listed."""
    folder = Path("ds", "data", "default")
    listed = sorted(path.name for path in folder.iterdir())[0]
    (folder / f"{listed} ").write_bytes(b"x")
    (folder / " ").write_bytes(b"x")
    result = CliRunner().invoke(main, ["validate", "ds"])
    assert result.exit_code != 0
    not_listed = [line for line in result.output.splitlines() if "not listed in" in line]
    assert sorted(line.split(": not listed in")[0].strip() for line in not_listed) == sorted(
        ["'ds/data/default/ '", f"'ds/data/default/{listed} '"]
    )
