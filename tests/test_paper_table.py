"""``sgbench paper-table``: the published figures, with score reports beside their rows."""

from __future__ import annotations

import json
import math
import os
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from cli_contract import assert_one_error_line
from click.testing import CliRunner
from scoring_fixtures import paper_score_report

from sgbench import DATASET_NAME
from sgbench.cli import main
from sgbench.dataset import load_split
from sgbench.paper.table import load_paper_results, normalise, resolve
from sgbench.scoring import score_predictions, write_report
from sgbench.scoring.report import figures_problem


def published() -> dict[str, Any]:
    text = resources.files("sgbench.paper").joinpath("results.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def score_report(path: Path, accuracy: Any, nmae: Any, **dataset: Any) -> Path:
    """The keys of a `sgbench score --json` report that the table reads (norm ranges 0.25 and
    0.3), consistent with its per-subgroup rows."""
    return paper_score_report(path, accuracy, nmae, **dataset)


def table_lines(output: str) -> list[list[str]]:
    return [line.split() for line in output.splitlines()]


def test_every_published_figure_is_printed_once() -> None:
    result = CliRunner().invoke(main, ["paper-table"])
    assert result.exit_code == 0, result.output
    rows = table_lines(result.stdout)
    for entry in published()["models"]:
        for setting in ("zero-shot", "fine-tuned"):
            if setting not in entry:
                continue
            name = entry["name"].split()
            matching = [r for r in rows if r[: len(name) + 2] == [*name, setting, "paper"]]
            assert len(matching) == 1, (entry["name"], setting)
            figures = entry[setting]
            expected = [
                f"{figures[f]:.3f}" if f in figures else "–"
                for f in ("accuracy", "nmae", "accuracy_norm_range", "nmae_norm_range")
            ]
            assert matching[0][len(name) + 2 :] == expected
    assert "arXiv:2604.12851" in result.stdout


def test_reports_go_beside_the_row_of_their_model(tmp_path: Path) -> None:
    gpt = score_report(tmp_path / "gpt-4.1.json", 0.5, 0.2)
    tuned = score_report(tmp_path / "run7.json", 0.7, 0.1)
    other = score_report(tmp_path / "my-model.json", 0.4, 0.3)
    args = ["paper-table", str(gpt), f"llama 3.1 8b fine-tuned={tuned}", str(other)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    at = lines.index(next(x for x in lines if x.startswith("GPT-4.1 ")))
    assert lines[at + 1].split() == [
        "gpt-4.1",
        "zero-shot",
        "ours",
        "0.500",
        "0.200",
        "0.250",
        "0.300",
    ]
    at = lines.index(next(x for x in lines if x.split()[:2] == ["Llama-3.1-8B", "fine-tuned"]))
    assert lines[at + 1].split()[-6:] == ["fine-tuned", "ours", "0.700", "0.100", "0.250", "0.300"]
    apart = lines[lines.index("not in the paper's table:") + 1].split()
    assert apart == ["my-model", "zero-shot", "ours", "0.400", "0.300", "0.250", "0.300"]
    assert result.stderr == ""


def test_report_of_another_split_or_synthetic_data_is_flagged(tmp_path: Path) -> None:
    report = score_report(tmp_path / "gpt-4o.json", 0.5, 0.2, config="default", synthetic=True)
    result = CliRunner().invoke(main, ["paper-table", str(report)])
    assert result.exit_code == 0, result.output
    assert "gpt-4o was scored on config default, split test_ood" in result.stderr
    assert "gpt-4o was scored on SYNTHETIC data" in result.stderr


def test_report_of_another_dataset_is_flagged(tmp_path: Path) -> None:
    """Another country's build on the paper's config and split: not the paper's figures."""
    report = score_report(tmp_path / "gpt-4o.json", 0.5, 0.2, name="wvs-de-subgroups")
    result = CliRunner().invoke(main, ["paper-table", str(report)])
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "note: gpt-4o was scored on dataset wvs-de-subgroups; the paper's figures are dataset "
        f"{published()['dataset']}\n"
    )
    assert published()["dataset"] == DATASET_NAME


def test_names_match_only_after_normalising() -> None:
    results = load_paper_results()
    assert normalise("GPT-4.1") == normalise("gpt 4.1") == normalise("\uff27\uff30\uff34-4.1")
    assert resolve("gpt-4o-mini", results) == ("GPT-4o-mini", "zero-shot")
    assert resolve("Sailor2 8B (fine-tuned)", results) == ("Sailor2-8B", "fine-tuned")
    assert resolve("gpt-4.1-mini", results) == (None, "zero-shot")
    assert resolve("fine-tuned", results) == (None, "zero-shot")


def test_not_a_score_report_is_one_error_line(tmp_path: Path) -> None:
    bad = tmp_path / "gpt-4.1.json"
    bad.write_text('{"accuracy": 1}', encoding="utf-8")
    result = CliRunner().invoke(main, ["paper-table", str(bad)])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"Error: {bad}: not a score report (no `metrics`; see `sgbench score --json`)"
    ]


@pytest.mark.parametrize(
    ("accuracy", "nmae", "key"),
    [
        (-3, 0.2, "metrics.accuracy is -3"),
        (1e308, 0.2, "metrics.accuracy is 1e+308"),
        ("0.5", 0.2, "metrics.accuracy is '0.5'"),
        (True, 0.2, "metrics.accuracy is True"),
        (0.5, 1.5, "metrics.nmae is 1.5"),
    ],
)
def test_a_figure_that_is_no_share_is_refused(
    accuracy: Any, nmae: Any, key: str, tmp_path: Path
) -> None:
    """Every published figure lies in [0, 1]; an edited report used to be printed as is (or a
    string as a missing figure) with exit code 0."""
    path = score_report(tmp_path / "gpt-4.1.json", accuracy, nmae)
    result = CliRunner().invoke(main, ["paper-table", str(path)])
    assert_one_error_line(result, f"{path}: {key}, not a figure from 0 to 1")


def test_a_name_without_a_file_is_refused() -> None:
    result = CliRunner().invoke(main, ["paper-table", "gpt-4.1="])
    assert_one_error_line(result, "gpt-4.1=: no report file after the model name")


def test_a_real_score_report_is_read(built_default: Path, tmp_path: Path) -> None:
    frame = load_split(built_default, "paper", "test_ood")
    predictions = tmp_path / "modal.jsonl"
    predictions.write_text(
        "".join(
            json.dumps({"id": i, "answer": int(a)}) + "\n"
            for i, a in zip(frame["id"], frame["answer"], strict=True)
        ),
        encoding="utf-8",
    )
    report = tmp_path / "report.json"
    write_report(score_predictions(predictions, built_default, config="paper", n_boot=0), report)
    result = CliRunner().invoke(main, ["paper-table", f"GPT-4o={report}"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    at = lines.index(next(x for x in lines if x.startswith("GPT-4o ")))
    # Every answer modal: accuracy 1 and NMAE 0 in every subgroup, so neither spreads.
    assert lines[at + 1].split() == [
        "GPT-4o",
        "zero-shot",
        "ours",
        "1.000",
        "0.000",
        "0.000",
        "0.000",
    ]
    assert "SYNTHETIC" in result.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["a={r}", "a=./{r}"], "model name 'a' is also a={r}'s"),
        (["{r}", "{r}"], "model name 'r' is also {r}'s"),
        # Names a reader cannot tell apart: NFC and NFD, case, a zero-width space.
        (["caf\u00e9={r}", "cafe\u0301={r}"], "model name 'cafe\u0301' is also caf\u00e9={r}'s"),
        (["GPT-4={r}", "gpt-4={r}"], "model name 'gpt-4' is also GPT-4={r}'s"),
        (["GPT-4={r}", "\uff27\uff30\uff34-4={r}"], "model name 'ＧＰＴ-4' is also GPT-4={r}'s"),
        (["=r.json"], "no model name before '='"),
    ],
)
def test_two_reports_under_one_name_or_an_empty_name_are_refused(
    args: list[str], fragment: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two table rows of one name could not be told apart; `=r.json` silently used the stem.
    monkeypatch.chdir(tmp_path)
    score_report(tmp_path / "r.json", 0.5, 0.2)
    result = CliRunner().invoke(main, ["paper-table", *(a.format(r="r.json") for a in args)])
    assert_one_error_line(result, fragment.format(r="r.json"))


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ([" ={r}"], "model name ' ': a model name is not blank"),
        (["gpt-4.1 ={r}"], "model name 'gpt-4.1 ': a model name is not blank"),
        (["\u202egpt-4.1={r}"], "model name '\\u202egpt-4.1': a model name is not blank"),
        (["gpt\u200b4={r}"], "model name 'gpt\\u200b4': a model name is not blank"),
        (["{s}"], "(taken from '\\u202eevil.json'; write NAME=REPORT.json): a model name is not"),
    ],
)
def test_a_name_no_reader_can_tell_is_refused(
    args: list[str], fragment: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The model-name rule of every command: a blank, padded or invisible name was a table row
    reading as nothing or as another model, with exit code 0."""
    monkeypatch.chdir(tmp_path)
    score_report(tmp_path / "r.json", 0.5, 0.2)
    score_report(tmp_path / "\u202eevil.json", 0.5, 0.2)
    given = [a.format(r="r.json", s="\u202eevil.json") for a in args]
    result = CliRunner().invoke(main, ["paper-table", *given])
    assert_one_error_line(result, fragment)


@pytest.mark.parametrize("second", ["B=r.json", "B=./r.json", "B=link.json", "B=hard.json"])
def test_one_report_under_two_names_is_refused(
    second: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One file shown as two models' figures (a typo in one argument) was accepted."""
    monkeypatch.chdir(tmp_path)
    score_report(tmp_path / "r.json", 0.5, 0.2)
    (tmp_path / "link.json").symlink_to("r.json")
    os.link(tmp_path / "r.json", tmp_path / "hard.json")
    result = CliRunner().invoke(main, ["paper-table", "A=r.json", second])
    assert_one_error_line(result, f"{second}: the report A=r.json names too")


@pytest.mark.parametrize(
    ("report", "fragment"),
    [
        ({"metrics": {}}, "dataset.config is None, not a config name"),
        ({"metrics": {"accuracy": 0.5}, "entries": []}, "dataset.config is None"),
        (
            {"metrics": {}, "dataset": {"config": "paper", "synthetic": "false"}},
            "dataset.synthetic is 'false', not true or false",
        ),
        (
            {"metrics": {}, "dataset": {"config": "paper", "synthetic": False}, "split": 7},
            "split is 7, not a split name",
        ),
        (
            {"metrics": {}, "dataset": {"config": "paper", "synthetic": False}, "split": "x"},
            "dataset.name is None, not a dataset name",
        ),
    ],
)
def test_a_report_without_the_shape_of_a_score_report_is_refused(
    report: dict[str, Any], fragment: str, tmp_path: Path
) -> None:
    """A JSON file holding `metrics` (a leaderboard's, an edited one) was shown as a model's
    figures with exit code 0, noted only as 'scored on config None, split None'."""
    path = tmp_path / "gpt-4o.json"
    path.write_text(json.dumps(report), encoding="utf-8")
    result = CliRunner().invoke(main, ["paper-table", str(path)])
    assert_one_error_line(result, f"{path}: {fragment}")


def test_an_argument_read_two_ways_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`gpt-4o=r.json` named both a file of that name and NAME=r.json; the first was taken."""
    monkeypatch.chdir(tmp_path)
    score_report(tmp_path / "r.json", 0.5, 0.2)
    score_report(tmp_path / "gpt-4o=r.json", 0.5, 0.2)
    result = CliRunner().invoke(main, ["paper-table", "gpt-4o=r.json"])
    assert_one_error_line(result, "gpt-4o=r.json: both a file of that name and r.json exist")
    for explicit in ("mine=gpt-4o=r.json", "gpt-4o=./r.json"):
        result = CliRunner().invoke(main, ["paper-table", explicit])
        assert result.exit_code == 0, result.output
        assert explicit.partition("=")[0] in result.stdout


@pytest.fixture
def real_report(built_default: Path, tmp_path: Path) -> Path:
    """A `sgbench score --json` report of answer 1 for every paper test_ood sample."""
    frame = load_split(built_default, "paper", "test_ood")
    predictions = tmp_path / "ones.jsonl"
    predictions.write_text(
        "".join(json.dumps({"id": i, "answer": 1}) + "\n" for i in frame["id"]), encoding="utf-8"
    )
    report = tmp_path / "report.json"
    scored = score_predictions(predictions, built_default, config="paper", n_boot=0)
    write_report(scored, report)
    return report


EDITS = {
    "metrics.accuracy": ("metrics", "accuracy"),
    "metrics.nmae": ("metrics", "nmae"),
    "fairness.subgroup.accuracy.norm_range": ("fairness", "subgroup", "accuracy", "norm_range"),
    "fairness.subgroup.nmae.norm_range": ("fairness", "subgroup", "nmae", "norm_range"),
}
"""Where each figure the table prints is in a report."""


@pytest.mark.parametrize("figure", sorted(EDITS))
def test_a_figure_edited_by_hand_is_refused(figure: str, real_report: Path) -> None:
    """A report whose printed figure was edited (by 0.01, within its range) was set beside the
    paper's figures as ours; the report's own per-subgroup rows give the figure it was."""
    assert CliRunner().invoke(main, ["paper-table", f"GPT-4o={real_report}"]).exit_code == 0
    report = json.loads(real_report.read_text(encoding="utf-8"))
    *parents, key = EDITS[figure]
    holder = report
    for parent in parents:
        holder = holder[parent]
    was = holder[key]
    holder[key] = was + 0.01 if was < 0.5 else was - 0.01
    real_report.write_text(json.dumps(report), encoding="utf-8")
    result = CliRunner().invoke(main, ["paper-table", f"GPT-4o={real_report}"])
    assert_one_error_line(
        result,
        f"{real_report}: {figure} is {holder[key]!r}, but its by_subgroup rows give {was:.6g}",
        "the report was edited after `sgbench score` wrote it",
    )


def test_rows_edited_without_their_figures_are_refused(real_report: Path) -> None:
    report = json.loads(real_report.read_text(encoding="utf-8"))
    first = next(iter(report["by_subgroup"]))
    report["by_subgroup"][first]["n"] += 1
    real_report.write_text(json.dumps(report), encoding="utf-8")
    result = CliRunner().invoke(main, ["paper-table", str(real_report)])
    assert_one_error_line(result, f"n_samples is {report['n_samples']}, but its by_subgroup rows")


def _two_rows() -> dict[str, Any]:
    """A report of two subgroups whose figures agree with its rows (worked out by hand in the
    test below)."""
    return {
        "dataset": {"name": "wvs-sg-subgroups", "config": "paper", "synthetic": False},
        "split": "test_ood",
        "n_samples": 4,
        "metrics": {"accuracy": 0.5, "nmae": 0.275},
        "fairness": {"subgroup": {"accuracy": {"norm_range": 0.5}, "nmae": {"norm_range": 1 / 3}}},
        "by_subgroup": {
            "a": {"n": 1, "accuracy": 0.8, "nmae": 0.2},
            "b": {"n": 3, "accuracy": 0.4, "nmae": 0.3},
        },
    }


def test_the_figures_are_the_rows_weighted_by_their_samples(tmp_path: Path) -> None:
    """By hand: subgroups of 1 and 3 samples with accuracy 0.8 and 0.4 give accuracy
    (0.8 + 3 × 0.4) / 4 = 0.5, not their plain mean 0.6, and a norm range (0.8 − 0.4) / 0.8 =
    0.5; NMAE 0.2 and 0.3 give (0.2 + 0.9) / 4 = 0.275 and (0.3 − 0.2) / 0.3 = 1/3."""
    report = _two_rows()
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(report), encoding="utf-8")
    result = CliRunner().invoke(main, ["paper-table", str(path)])
    assert result.exit_code == 0, result.output
    mine = next(line for line in result.stdout.splitlines() if line.startswith("  mine "))
    assert mine.split()[-4:] == ["0.500", "0.275", "0.500", "0.333"]
    report["metrics"]["accuracy"] = 0.6
    path.write_text(json.dumps(report), encoding="utf-8")
    result = CliRunner().invoke(main, ["paper-table", str(path)])
    assert_one_error_line(result, "metrics.accuracy is 0.6, but its by_subgroup rows give 0.5")


HOSTILE_ROWS: dict[str, tuple[str, Any, str]] = {
    "a count beyond any float": (
        "n",
        10**400,
        "by_subgroup.a.n is an integer of 401 digits, not a count",
    ),
    "a count of 2**53": ("n", 2**53, f"by_subgroup.a.n is {2**53}, not a count below 2**53"),
    "a fractional count": ("n", 1.0, "by_subgroup.a.n is 1.0, not a count"),
    "a count as text": ("n", "1", "by_subgroup.a.n is '1', not a count"),
    "a count as a boolean": ("n", True, "by_subgroup.a.n is True, not a count"),
    "an accuracy as text": (
        "accuracy",
        "0.8",
        "by_subgroup.a.accuracy is '0.8', not a number from 0 to 1",
    ),
    "an accuracy as a boolean": (
        "accuracy",
        True,
        "by_subgroup.a.accuracy is True, not a number from 0 to 1",
    ),
    "an accuracy above 1": (
        "accuracy",
        1e300,
        "by_subgroup.a.accuracy is 1e+300, not a number from 0 to 1",
    ),
    "an nmae below 0": ("nmae", -0.2, "by_subgroup.a.nmae is -0.2, not a number from 0 to 1"),
    "an infinite nmae": ("nmae", "INF", "not valid JSON (1e400 is out of range for a JSON number)"),
}
"""A row value edited (``n_samples`` made to agree with a count), what the refusal says of it;
an infinity cannot be written in JSON, and the reader refuses a number that overflows to one."""


@pytest.mark.parametrize("case", sorted(HOSTILE_ROWS))
def test_a_row_value_that_is_no_count_or_figure_is_one_line(case: str, tmp_path: Path) -> None:
    """`by_subgroup.<g>.n = 10**400` with `n_samples` to match crashed `paper-table` with a
    traceback (OverflowError converting the counts to floats), exit code 1: every count and
    figure of a row is checked before any arithmetic, and named."""
    key, value, said = HOSTILE_ROWS[case]
    report = _two_rows()
    report["by_subgroup"]["a"][key] = value
    if key == "n" and type(value) is int:
        report["n_samples"] = value + 3
    path = tmp_path / "mine.json"
    text = json.dumps(report)
    if value == "INF":  # JSON has no infinity: a number too large for a float reads as one
        text = text.replace('"INF"', "1e400")
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["paper-table", str(path)])
    assert_one_error_line(result, f"{path}: {said}")
    assert "Traceback" not in result.output


def test_the_largest_count_is_still_weighed(tmp_path: Path) -> None:
    """A count just below the bound reaches the arithmetic: the figures are judged against
    what such rows give (the mean is then the first row's accuracy, 0.8), not refused as
    counts."""
    report = _two_rows()
    report["by_subgroup"]["a"]["n"] = 2**53 - 1
    report["n_samples"] = 2**53 + 2
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(report), encoding="utf-8")
    result = CliRunner().invoke(main, ["paper-table", str(path)])
    assert_one_error_line(result, "metrics.accuracy is 0.5, but its by_subgroup rows give 0.8")


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_figures_problem_names_a_row_figure_that_is_not_finite(value: float) -> None:
    """From Python, where a report may hold what JSON cannot: NaN and infinities."""
    report = _two_rows()
    report["by_subgroup"]["b"]["nmae"] = value
    assert figures_problem(report) == (f"by_subgroup.b.nmae is {value!r}, not a number from 0 to 1")
