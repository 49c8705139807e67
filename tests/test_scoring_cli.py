"""``sgbench score`` and ``sgbench parse`` against the Python API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from scoring_fixtures import (
    HAND_PREDICTIONS,
    HANDMADE_VERSION,
    Q1_OPTIONS,
    S1,
    S2,
    hand_id,
    make_row,
    write_dataset,
    write_hand_dataset,
    write_jsonl,
)

from sgbench.cli import main
from sgbench.errors import InputError
from sgbench.scoring import parse_responses, score_predictions
from sgbench.scoring.bootstrap import MIN_REPLICATES
from sgbench.scoring.parse import MAX_REPLY_CHARS, parse_response


@pytest.fixture
def case(tmp_path: Path) -> tuple[Path, Path]:
    dataset = write_hand_dataset(tmp_path / "ds")
    return dataset, write_jsonl(tmp_path / "pred.jsonl", HAND_PREDICTIONS)


def test_cli_json_equals_python_api(tmp_path: Path, case: tuple[Path, Path]) -> None:
    dataset, predictions = case
    out = tmp_path / "report.json"
    args = ["score", str(predictions), "--dataset", str(dataset), "--json", str(out)]
    result = CliRunner().invoke(main, [*args, "--bootstrap", "300", "--seed", "5"])
    assert result.exit_code == 0, result.output
    api = score_predictions(predictions, dataset, n_boot=300, seed=5)
    assert json.loads(out.read_text(encoding="utf-8")) == api.to_dict()
    assert out.read_text(encoding="utf-8") == api.to_json()
    # the readable summary goes to stdout
    assert result.stdout == api.render() + "\n"
    assert "accuracy" in result.stdout
    assert "1 sample(s) of test_ood have no prediction" in result.stderr


def test_cli_resampling_options_reach_the_report(tmp_path: Path, case: tuple[Path, Path]) -> None:
    dataset, predictions = case
    out = tmp_path / "report.json"
    args = ["score", str(predictions), "--dataset", str(dataset), "--json", str(out)]
    args += [
        "--bootstrap",
        str(MIN_REPLICATES),
        "--permutations",
        "30",
        "--resample",
        "questions+subgroups",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    api = score_predictions(
        predictions,
        dataset,
        n_boot=MIN_REPLICATES,
        n_permutations=30,
        resample="questions+subgroups",
    )
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report == api.to_dict()
    assert report["bootstrap"]["resampled"] == "questions+subgroups"
    assert report["permutations"]["n_permutations"] == 30
    assert report["fairness"]["subgroup"]["accuracy"]["null"]["n_permutations"] == 30
    skipped = CliRunner().invoke(main, [*args[:6], "--permutations", "0"])
    assert skipped.exit_code == 0, skipped.output
    block = json.loads(out.read_text(encoding="utf-8"))["fairness"]["subgroup"]["accuracy"]
    assert block["p_value"] is None
    assert block["null"] is None
    bad = CliRunner().invoke(main, [*args[:6], "--resample", "subgroups"])
    assert bad.exit_code == 2
    assert "Traceback" not in bad.output


def test_cli_resample_choices_are_the_library_modes() -> None:
    from sgbench.scoring.bootstrap import RESAMPLE_MODES

    for name in ("score", "judge-report", "leaderboard"):
        command = main.commands[name]
        option = next(p for p in command.params if p.name == "resample")
        assert tuple(option.type.choices) == RESAMPLE_MODES, name  # type: ignore[attr-defined]


def test_permutations_help_names_the_null_of_single_subgroups(case: tuple[Path, Path]) -> None:
    """Two-way, the subgroup row (each group one subgroup) is shuffled within questions, not
    among whole subgroups; the help said every two-way shuffle was among whole subgroups."""
    from sgbench.scoring.noise import SUBGROUP_SHUFFLE

    dataset, predictions = case
    report = score_predictions(
        predictions,
        dataset,
        n_boot=MIN_REPLICATES,
        n_permutations=30,
        resample="questions+subgroups",
    ).to_dict()
    assert report["fairness"]["subgroup"]["accuracy"]["null"]["method"] != SUBGROUP_SHUFFLE
    for name in ("score", "judge-report", "leaderboard"):
        option = next(p for p in main.commands[name].params if p.name == "n_permutations")
        assert "among whole subgroups, unless each group is one subgroup" in str(option.help)


def test_cli_json_to_stdout(case: tuple[Path, Path]) -> None:
    dataset, predictions = case
    args = ["score", str(predictions), "--dataset", str(dataset), "--json", "-"]
    result = CliRunner().invoke(main, [*args, "--bootstrap", str(MIN_REPLICATES)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report == score_predictions(predictions, dataset, n_boot=MIN_REPLICATES).to_dict()
    assert "accuracy" in result.stderr  # the summary moves to stderr


@pytest.mark.parametrize(("given", "words"), [("1", "1 replicate is"), ("2", "2 replicates are")])
def test_too_few_replicates_are_counted_in_words(
    given: str, words: str, case: tuple[Path, Path]
) -> None:
    """`--bootstrap 1` said "1 replicates are too few"."""
    dataset, predictions = case
    args = ["score", str(predictions), "--dataset", str(dataset), "--bootstrap", given]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert f"{words} too few for a 95% interval" in result.stderr


def test_report_bytes_are_deterministic(tmp_path: Path, case: tuple[Path, Path]) -> None:
    dataset, predictions = case
    outputs = []
    for name in ("a.json", "b.json"):
        out = tmp_path / name
        args = ["score", str(predictions), "--dataset", str(dataset), "--json", str(out)]
        assert CliRunner().invoke(main, args).exit_code == 0
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


@pytest.mark.usefixtures("toy_bootstrap")
def test_report_key_paths(case: tuple[Path, Path]) -> None:
    dataset, predictions = case
    report = score_predictions(predictions, dataset, n_boot=MIN_REPLICATES).to_dict()
    for key in (
        "split",
        "n_samples",
        "n_scored",
        "n_missing",
        "n_skipped_other_splits",
        "by_subgroup",
        "by_stratum",
        "by_attribute_value",
        "by_section",
        "by_scale_type",
    ):
        assert key in report, key
    assert set(report["metrics"]) == {"accuracy", "nmae", "wasserstein", "agreement", "js_distance"}
    for name, interval in report["ci"].items():
        assert len(interval) == 2, name
    for name in ("accuracy", "nmae"):
        block = report["fairness"]["subgroup"][name]
        assert {"norm_range", "cv", "gap", "ratio", "worst"} <= set(block)
        assert set(block["worst"]) == {"group", "value"}
        religion = report["fairness"]["attributes"]["religion"][name]
        assert {"values", "norm_range", "cv", "gap", "ratio", "worst"} <= set(religion)
    assert report["bootstrap"]["resampled"] == "questions"
    assert report["dataset"]["name"] == "wvs-sg-subgroups"
    assert report["dataset"]["version"] == HANDMADE_VERSION
    assert set(report["dataset"]["files"]) == {
        f"data/default/{s}-00000-of-00001.parquet"
        for s in ("train", "validation", "test_id", "test_ood")
    }


def test_paper_config_and_other_split(tmp_path: Path) -> None:
    rows = [make_row("Q1", S1, Q1_OPTIONS, [1, 2, 3, 4, 5])]
    train = [make_row("Q1", S2, Q1_OPTIONS, [5, 4, 3, 2, 1])]
    dataset = write_dataset(tmp_path / "ds", {"test_ood": rows, "train": train}, config="paper")
    path = write_jsonl(tmp_path / "p.jsonl", [{"id": train[0]["id"], "answer": 1}])
    report = score_predictions(path, dataset, config="paper", split="train", n_boot=0)
    assert report.to_dict()["metrics"]["accuracy"] == 1
    assert report.to_dict()["dataset"]["config"] == "paper"


# --- parse ---------------------------------------------------------------------------------------

OPTIONS = [(1, "Very important"), (2, "Rather important"), (3, "Not very important"), (4, "None")]


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("Answer: 3", 3),
        ("answer:2", 2),
        ("**Answer:** 4", 4),
        ("The answer is 1.", 1),
        ("Considering 1 and 4 carefully... Answer: 2", 2),
        ("3", 3),
        ("3.", 3),
        ("(2)", 2),
        ("  4\n", 4),
        ("I would pick 2 because family matters.", 2),
        ("Option 3 fits best; option 3 it is.", 3),
        ("Very important", 1),
        ("very IMPORTANT.", 1),
        ("Not very important", 3),  # not 'Very important', which it contains
        ("I think it is not very important to me", 3),
        ("Answer: Rather important", 2),
        ("none", 4),
        ("Answer: 9", None),  # not an option
        ("1 or 2", None),  # ambiguous
        ("3.5", None),  # not an integer
        ("I cannot answer this.", None),
        ("", None),
    ],
)
def test_parse_response(response: str, expected: int | None) -> None:
    assert parse_response(response, OPTIONS) == expected


def test_parse_uses_codes_not_positions() -> None:
    options = [(1, "A lot"), (2, "Some"), (0, "Neither"), (3, "Little"), (4, "None at all")]
    assert parse_response("Answer: 0", options) == 0
    assert parse_response("Neither", options) == 0
    assert parse_response("5", options) is None


def _responses(tmp_path: Path) -> Path:
    lines = [
        {"id": hand_id("Q1", 1), "response": "Answer: 3"},
        {"id": hand_id("Q1", 2), "response": "Probably C"},
        {"id": hand_id("Q2", 1), "response": "Green"},
        {"id": hand_id("Q2", 2), "response": "no idea"},
        {"id": hand_id("Q3", 1), "response": "Yes.", "model": "x"},
    ]
    return write_jsonl(tmp_path / "responses.jsonl", lines)


def test_parse_responses_api(tmp_path: Path) -> None:
    dataset = write_hand_dataset(tmp_path / "ds")
    result = parse_responses(_responses(tmp_path), dataset)
    assert [(p["id"], p["answer"]) for p in result.predictions] == [
        (hand_id("Q1", 1), 3),
        (hand_id("Q1", 2), 0),
        (hand_id("Q2", 1), 2),
        (hand_id("Q3", 1), 1),
    ]
    assert result.unparsed_ids == (hand_id("Q2", 2),)
    assert result.n_lines == 5


def test_parse_cli_output_scores(tmp_path: Path) -> None:
    dataset = write_hand_dataset(tmp_path / "ds")
    result = CliRunner().invoke(
        main, ["parse", str(_responses(tmp_path)), "--dataset", str(dataset)]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["answer"] for line in lines] == [3, 0, 2, 1]
    assert lines[0] == {"id": hand_id("Q1", 1), "answer": 3, "response": "Answer: 3"}
    assert "parsed 4 of 5 responses" in result.stderr
    assert "1 response(s) could not be parsed" in result.stderr
    assert hand_id("Q2", 2) in result.stderr
    predictions = tmp_path / "pred.jsonl"
    predictions.write_text(result.stdout, encoding="utf-8")
    report = score_predictions(predictions, dataset, n_boot=0)
    assert report.n_scored == 4
    assert report.n_missing == 5


def test_parse_lists_a_reply_too_long_to_read(tmp_path: Path) -> None:
    dataset = write_hand_dataset(tmp_path / "ds")
    long = "Answer: 3\n" + "x" * MAX_REPLY_CHARS
    lines = [
        {"id": hand_id("Q1", 1), "response": long},
        {"id": hand_id("Q1", 2), "response": "no idea"},
        {"id": hand_id("Q2", 1), "response": "Green"},
    ]
    path = write_jsonl(tmp_path / "responses.jsonl", lines)
    parsed = parse_responses(path, dataset)
    assert parsed.unparsed_ids == (hand_id("Q1", 1), hand_id("Q1", 2))
    assert parsed.too_long_ids == (hand_id("Q1", 1),)
    result = CliRunner().invoke(main, ["parse", str(path), "--dataset", str(dataset)])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [hand_id("Q2", 1)]
    note = f"(longer than {MAX_REPLY_CHARS:,} characters; not read)"
    assert f"  {hand_id('Q1', 1)} {note}\n" in result.stderr
    assert f"  {hand_id('Q1', 2)}\n" in result.stderr


def test_parse_refuses_bad_lines(tmp_path: Path) -> None:
    dataset = write_hand_dataset(tmp_path / "ds")
    path = tmp_path / "responses.jsonl"
    good = json.dumps({"id": hand_id("Q1", 1), "response": "1"})
    bad = [good, "nope", json.dumps({"id": "Q9/x", "response": "1"}), good, json.dumps([1])]
    path.write_text("\n".join(bad) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["parse", str(path), "--dataset", str(dataset)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Traceback" not in result.output
    errors = result.stderr.removeprefix("Error: ").strip().split("\n")
    assert [e.split(": ")[1] for e in errors] == ["line 2", "line 3", "line 4", "line 5"]
    assert "unknown id 'Q9/x'" in errors[1]
    assert "duplicate id" in errors[2]
    with pytest.raises(InputError):
        parse_responses(path, dataset)
