"""The leaderboard applies the row rule once per run, and still refuses a forged row.

``build_leaderboard`` opens the dataset in several places (the ranked splits, the baselines,
each entry's predictions) and reads every split of the config; the rule's checks
(:meth:`BuiltDataset._first_row_problem`) run once per opened dataset and config, which is what
keeps them at ~3% of a leaderboard run on the embedded default (0.5 s of 17 s CPU, profiled).
A row edited in a re-hashed data file (an ``answer`` of 99, which only the row rule catches) is
refused by ``sgbench leaderboard`` with one ``Error:`` line naming the file and row, and nothing
is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cli_contract import assert_one_error_line
from click.testing import CliRunner
from leaderboard_fixtures import write_board_dataset, write_valid_submissions
from manifest_tools import edit_first_row

from sgbench.cli import main
from sgbench.dataset import BuiltDataset, split_file

TEST_OOD = split_file("default", "test_ood")


def _board(dataset: Path, submissions: Path, out: Path) -> Any:
    return CliRunner().invoke(
        main,
        [
            "leaderboard",
            str(submissions),
            "--dataset",
            str(dataset),
            "--out",
            str(out),
            "--with-baselines",
            "--bootstrap",
            "0",
            "--permutations",
            "0",
        ],
    )


def test_the_row_rule_runs_once_per_leaderboard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = write_board_dataset(tmp_path / "ds")
    submissions = write_valid_submissions(tmp_path / "subs")
    runs: list[str] = []
    original = BuiltDataset._first_row_problem

    def counted(self: BuiltDataset, config: str) -> Any:
        runs.append(config)
        return original(self, config)

    monkeypatch.setattr(BuiltDataset, "_first_row_problem", counted)
    result = _board(dataset, submissions, tmp_path / "out")
    assert result.exit_code == 0, result.output
    # Seven entries and the baselines, two ranked splits: one run of the rule for the config.
    assert runs == ["default"]


def test_a_forged_row_is_refused_by_the_leaderboard(tmp_path: Path) -> None:
    dataset = write_board_dataset(tmp_path / "ds")
    submissions = write_valid_submissions(tmp_path / "subs")

    def answer_99(row: dict[str, Any]) -> None:
        row["answer"] = 99

    edit_first_row(dataset, TEST_OOD, answer_99)
    out = tmp_path / "out"
    result = _board(dataset, submissions, out)
    line = assert_one_error_line(result, "answer")
    assert line.startswith(f"Error: {dataset / TEST_OOD}: row 1 (id "), line
    assert not out.exists()
