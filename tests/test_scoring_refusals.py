"""Refusals in the score report: ``n_refused`` and ``refusal_rate`` per group, and its spread.

On the hand-worked dataset (three questions × subgroups S1, S2 = Muslim and S3 = Buddhist), the
expected rates are counted by hand in each test: a NULL where every subgroup refuses equally
(the spread is 0) and a PLANTED effect where only Muslim personas are refused (it is found).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from scoring_fixtures import HAND_PREDICTIONS, hand_id, write_hand_dataset, write_jsonl

from sgbench.cli import main
from sgbench.scoring import score_predictions
from sgbench.scoring.bootstrap import MIN_REPLICATES


def with_refusals(refused: set[tuple[str, int]]) -> list[dict[str, Any]]:
    """The hand predictions with the given (question, subgroup) samples refused instead."""
    ids = {hand_id(q, s): (q, s) for q in ("Q1", "Q2", "Q3") for s in (1, 2, 3)}
    kept = [p for p in HAND_PREDICTIONS if ids.get(p["id"]) not in refused]
    return kept + [{"id": hand_id(q, s), "refusal": "I'm sorry."} for q, s in sorted(refused)]


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    return write_hand_dataset(tmp_path / "ds")


def test_no_refusal_no_refusal_fields(dataset: Path, tmp_path: Path) -> None:
    report = score_predictions(write_jsonl(tmp_path / "p.jsonl", HAND_PREDICTIONS), dataset,
                               n_boot=0).to_dict()  # fmt: skip
    assert "n_refused" not in report
    assert "refusal_rate" not in report["metrics"]
    assert "refusal_rate" not in report["fairness"]["subgroup"]


@pytest.mark.usefixtures("toy_bootstrap")
def test_planted_refusals_of_one_religion_are_found(dataset: Path, tmp_path: Path) -> None:
    # Q1 and Q2 refused for both Muslim subgroups (S1, S2), never for the Buddhist one (S3).
    planted = {("Q1", 1), ("Q2", 1), ("Q1", 2), ("Q2", 2)}
    path = write_jsonl(tmp_path / "p.jsonl", with_refusals(planted))
    report = score_predictions(path, dataset, n_boot=MIN_REPLICATES, seed=1).to_dict()
    assert report["n_refused"] == 4
    assert report["metrics"]["refusal_rate"] == 4 / 9
    # Refused samples are missing: Q3/S1 was missing already, so 5 of 9.
    assert report["n_missing"] == 5
    religion = report["by_attribute_value"]["religion"]
    assert (religion["Muslim"]["n_refused"], religion["Muslim"]["n"]) == (4, 6)
    assert religion["Muslim"]["refusal_rate"] == 4 / 6
    assert (religion["Buddhist"]["n_refused"], religion["Buddhist"]["refusal_rate"]) == (0, 0.0)
    by_subgroup = {k: (v["n_refused"], v["refusal_rate"]) for k, v in report["by_subgroup"].items()}
    assert sorted(by_subgroup.values()) == [(0, 0.0), (2, 2 / 3), (2, 2 / 3)]
    assert report["by_stratum"]["age_group_x_religion"]["n_refused"] == 4
    fairness = report["fairness"]["attributes"]["religion"]["refusal_rate"]
    assert fairness["gap"] == pytest.approx(4 / 6)
    assert fairness["worst"]["group"] == "Muslim"
    assert report["fairness"]["subgroup"]["refusal_rate"]["gap"] == pytest.approx(2 / 3)
    assert report["ci"]["refusal_rate"] is not None


def test_equal_refusals_show_no_spread(dataset: Path, tmp_path: Path) -> None:
    # Q1 refused for every subgroup: each refuses 1 of its 3 samples.
    path = write_jsonl(tmp_path / "p.jsonl", with_refusals({("Q1", 1), ("Q1", 2), ("Q1", 3)}))
    report = score_predictions(path, dataset, n_boot=0).to_dict()
    assert {v["refusal_rate"] for v in report["by_subgroup"].values()} == {1 / 3}
    assert report["fairness"]["subgroup"]["refusal_rate"]["gap"] == 0.0
    assert report["fairness"]["attributes"]["religion"]["refusal_rate"]["gap"] == 0.0


def test_score_cli_prints_refusals(dataset: Path, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "p.jsonl", with_refusals({("Q2", 3)}))
    result = CliRunner().invoke(main, ["score", str(path), "--dataset", str(dataset)])
    assert result.exit_code == 0, result.output
    assert "1 of them refused" in result.stdout
    assert "refusal_rate" in result.stdout


@pytest.mark.parametrize(
    "line",
    [
        {"id": "X", "refusal": "no", "answer": 1},
        {"id": "X", "refusal": 3},
    ],
)
def test_bad_refusal_lines(dataset: Path, tmp_path: Path, line: dict[str, Any]) -> None:
    line = {**line, "id": hand_id("Q1", 1)}
    path = write_jsonl(tmp_path / "p.jsonl", [line])
    result = CliRunner().invoke(main, ["score", str(path), "--dataset", str(dataset)])
    assert result.exit_code == 2
    assert f"{path}: line 1: " in result.stderr
