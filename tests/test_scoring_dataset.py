"""The scorer refuses datasets that break the row invariants it relies on (exit code 2)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from scoring_fixtures import (
    FOUR_POINT,
    HAND_COUNTS,
    HAND_PREDICTIONS,
    HAND_QUESTIONS,
    HAND_SUBGROUPS,
    Q1_OPTIONS,
    S1,
    S2,
    make_row,
    write_dataset,
    write_hand_dataset,
    write_jsonl,
)

from sgbench.cli import main
from sgbench.errors import InputError
from sgbench.scoring import load_scoring_data, read_predictions, score, score_predictions


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(row: dict[str, Any]) -> None:
        row[key] = value

    return change


def _relabel(row: dict[str, Any]) -> None:
    """The row's subgroup says 25-34 while its ids say 16-24: samples are grouped by subgroup_id
    and described by subgroup, so a re-hashed split that disagreed counted one age group's
    samples under another's (exit 0)."""
    row["subgroup"] = {**row["subgroup"], "age_group": "25-34"}


BROKEN = [
    (_relabel, '"subgroup_id" does not name the row\'s "subgroup"'),
    (_set("options", [{"code": 1, "label": "Only"}]), "at least two options"),
    (_set("counts", [1, 2, 3]), "counts does not align with options"),
    (_set("distribution", [0.5, 0.5]), "distribution does not align with options"),
    (_set("distribution", [0.5, 0.5, 0.5, 0.0]), "bad distribution"),
    # The dataset's row rule (sgbench.dataset.row_problems) names these before the scorer.
    (_set("modal_answers", [9]), "modal_answers empty or not codes of the row's options"),
    (_set("modal_answers", []), "modal_answers empty or not codes of the row's options"),
    (_set("scale_type", "interval"), "scale_type not one of"),
    (
        # The modal code 4 kept: a code the answer rule finds, so the scorer's check is reached.
        _set("options", [{"code": c, "label": f"L{c}{i}"} for i, c in enumerate([1, 1, 3, 4])]),
        "duplicate option codes",
    ),
]


@pytest.mark.parametrize(("change", "message"), BROKEN)
def test_broken_rows_are_refused(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], message: str
) -> None:
    good = make_row("Q1", S1, FOUR_POINT, [4, 3, 2, 1])
    bad = make_row("Q2", S1, FOUR_POINT, [1, 2, 3, 4])
    change(bad)
    dataset = write_dataset(tmp_path / "ds", {"test_ood": [good, bad]})
    predictions = tmp_path / "p.jsonl"
    predictions.write_text(json.dumps({"id": good["id"], "answer": 1}) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=message) as info:
        score_predictions(predictions, dataset, n_boot=0)
    assert "row 2 (id 'Q2/age_group=16-24&religion=muslim')" in str(info.value)
    result = CliRunner().invoke(main, ["score", str(predictions), "--dataset", str(dataset)])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_id_in_two_splits_is_refused(tmp_path: Path) -> None:
    row = make_row("Q1", S1, FOUR_POINT, [4, 3, 2, 1])
    dataset = write_dataset(tmp_path / "ds", {"test_ood": [row], "train": [row]})
    predictions = tmp_path / "p.jsonl"
    predictions.write_text(json.dumps({"id": row["id"], "answer": 1}) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="occurs more than once"):
        score_predictions(predictions, dataset, n_boot=0)


def test_empty_split_is_refused(tmp_path: Path) -> None:
    row = make_row("Q1", S2, FOUR_POINT, [4, 3, 2, 1])
    dataset = write_dataset(tmp_path / "ds", {"train": [row]})
    predictions = tmp_path / "p.jsonl"
    predictions.write_text(json.dumps({"id": row["id"], "answer": 1}) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="has no samples"):
        score_predictions(predictions, dataset, n_boot=0)
    report = score_predictions(predictions, dataset, split="train", n_boot=0)
    assert report.metrics["accuracy"] == 1.0


def test_missing_split_file_is_refused(tmp_path: Path) -> None:
    row = make_row("Q1", S2, FOUR_POINT, [4, 3, 2, 1])
    dataset = write_dataset(tmp_path / "ds", {"test_ood": [row]})
    (dataset / "data/default/validation-00000-of-00001.parquet").unlink()
    predictions = tmp_path / "p.jsonl"
    predictions.write_text(json.dumps({"id": row["id"], "answer": 1}) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"validation-00000-of-00001\.parquet: missing"):
        score_predictions(predictions, dataset, n_boot=0)


def test_predictions_read_against_another_dataset_are_refused(tmp_path: Path) -> None:
    """Predictions hold option positions, which mean codes only in the dataset read against
    (p10score H1). Read against the hand-worked dataset and scored with a twin whose options
    run the other way (same ids), each answer was scored at the position it had in the first
    dataset: another code, a wrong nmae, and no error."""
    twin_rows = []
    for (question, s), counts in HAND_COUNTS.items():
        options, scale, section = HAND_QUESTIONS[question]
        subgroup = HAND_SUBGROUPS[s]
        twin_rows.append(
            make_row(
                question, subgroup, options[::-1], counts[::-1], scale_type=scale, section=section
            )
        )
    hand = write_hand_dataset(tmp_path / "hand")
    # Its train row gives Q1's options in the twin's order too: a question's options are the
    # same in every row of it (sgbench.dataset.question_problem).
    train_row = make_row("Q1", {"sex": "Female"}, Q1_OPTIONS[::-1], [3, 2, 2, 2, 2])
    twin = write_dataset(tmp_path / "twin", {"test_ood": twin_rows, "train": [train_row]})
    path = write_jsonl(tmp_path / "p.jsonl", HAND_PREDICTIONS)
    hand_data = load_scoring_data(hand, "default", "test_ood")
    twin_data = load_scoring_data(twin, "default", "test_ood")
    assert twin_data.items.ids == hand_data.items.ids
    with pytest.raises(InputError, match="other samples or options"):
        score(twin_data, read_predictions(path, hand_data), n_boot=0, n_permutations=0)
    # Read for the twin, or for the same files loaded again, they are scored.
    direct = score_predictions(path, twin, n_boot=0, n_permutations=0).to_json()
    read = score(twin_data, read_predictions(path, twin_data), n_boot=0, n_permutations=0)
    assert read.to_json() == direct
    again = load_scoring_data(hand, "default", "test_ood")
    assert score(again, read_predictions(path, hand_data), n_boot=0, n_permutations=0)
