"""A setting that has no effect is refused, in Python as on the command line (p10score H2).

The CLI refuses an option that the other options make meaningless (``--seed`` with
``--bootstrap 0 --permutations 0``, ``--resample`` with ``--bootstrap 0``, ``baseline majority
--seed 5``: ``sgbench.cli.options.refuse_unused``). The Python functions took the same values
and ignored them. The one rule for the statistics is ``sgbench.scoring.bootstrap.check_settings``
(every function that draws replicates or permutations calls it); the baselines' is in
``run_baselines``. Each case is tried on every function it concerns and on the command line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from api_entries_run import _board_dataset, _judgments_file, _submissions
from click.testing import CliRunner
from scoring_fixtures import HAND_PREDICTIONS, write_hand_dataset, write_jsonl

from sgbench.baselines import run_baseline, run_baselines
from sgbench.cli import main
from sgbench.errors import InputError
from sgbench.judge import judge_report
from sgbench.leaderboard import build_leaderboard
from sgbench.scoring import (
    bootstrap_intervals,
    load_scoring_data,
    paired_difference_intervals,
    read_predictions,
    score,
    score_predictions,
)

# Three questions, two units: per-sample values for the statistical helpers.
QUESTIONS = ["q1", "q1", "q2", "q2", "q3", "q3"]
UNITS = ["a", "b"] * 3
VALUES = np.array([1.0, 0.0, 1.0, 0.0, 0.0, 0.0])

Call = Callable[[Path, dict[str, Any]], object]


def _score_file(folder: Path, settings: dict[str, Any]) -> object:
    dataset = write_hand_dataset(folder / "ds")
    return score_predictions(write_jsonl(folder / "p.jsonl", HAND_PREDICTIONS), dataset, **settings)


def _score(folder: Path, settings: dict[str, Any]) -> object:
    data = load_scoring_data(write_hand_dataset(folder / "ds"), "default", "test_ood")
    predictions = read_predictions(write_jsonl(folder / "p.jsonl", HAND_PREDICTIONS), data)
    return score(data, predictions, **settings)


def _intervals(folder: Path, settings: dict[str, Any]) -> object:
    return bootstrap_intervals(
        {"m": VALUES}, QUESTIONS, {"g": UNITS}, ["m"], units=UNITS, **settings
    )


def _paired(folder: Path, settings: dict[str, Any]) -> object:
    if settings.pop("n_permutations"):
        pytest.skip("paired_difference_intervals draws no permutations")
    matrix = np.stack([VALUES, VALUES[::-1]])
    return paired_difference_intervals(matrix, QUESTIONS, 0, units=UNITS, **settings)


def _judge(folder: Path, settings: dict[str, Any]) -> object:
    return judge_report(_judgments_file(folder / "j.jsonl"), **settings)


def _board(folder: Path, settings: dict[str, Any]) -> object:
    return build_leaderboard(_submissions(folder / "subs"), _board_dataset(folder), **settings)


CALLS: dict[str, Call] = {
    "score_predictions": _score_file,
    "score": _score,
    "bootstrap_intervals": _intervals,
    "paired_difference_intervals": _paired,
    "judge_report": _judge,
    "build_leaderboard": _board,
}

# (settings, refused?, the CLI options saying the same): nothing drawn, so a seed or a
# resampling mode other than the default has no effect; the same with something drawn acts.
SETTINGS: list[tuple[dict[str, Any], bool, list[str]]] = [
    ({"n_boot": 0, "n_permutations": 0, "seed": 5}, True, ["--seed", "5"]),
    (
        {"n_boot": 0, "n_permutations": 0, "resample": "questions+subgroups"},
        True,
        ["--resample", "questions+subgroups"],
    ),
    (
        {"n_boot": 0, "n_permutations": 40, "seed": 5},
        False,
        ["--permutations", "40", "--seed", "5"],
    ),
    ({"n_boot": 0, "n_permutations": 0, "seed": 0}, False, []),
    ({"n_boot": 40, "n_permutations": 0, "seed": 5}, False, ["--bootstrap", "40", "--seed", "5"]),
]


@pytest.mark.parametrize("name", sorted(CALLS))
@pytest.mark.parametrize(("settings", "refused", "_options"), SETTINGS)
def test_a_setting_without_effect_is_refused(
    tmp_path: Path, name: str, settings: dict[str, Any], refused: bool, _options: list[str]
) -> None:
    settings = {"n_permutations": 0, "seed": 0, **settings}
    if refused:
        with pytest.raises(InputError, match="has no effect"):
            CALLS[name](tmp_path, dict(settings))
    else:
        CALLS[name](tmp_path, dict(settings))


@pytest.mark.parametrize(("settings", "refused", "options"), SETTINGS)
def test_the_command_line_agrees(
    tmp_path: Path, settings: dict[str, Any], refused: bool, options: list[str]
) -> None:
    """`sgbench score` with the same settings is refused exactly when the function is."""
    dataset = write_hand_dataset(tmp_path / "ds")
    predictions = write_jsonl(tmp_path / "p.jsonl", HAND_PREDICTIONS)
    pairs = zip(options[::2], options[1::2], strict=True)
    given = {"--bootstrap": "0", "--permutations": "0", **dict(pairs)}
    result = CliRunner().invoke(
        main,
        ["score", str(predictions), "--dataset", str(dataset), *sum(given.items(), ())],
    )
    assert result.exit_code == (2 if refused else 0), result.output
    assert ("has no effect" in result.output) is refused


@pytest.mark.parametrize(
    ("names", "seed", "refused"),
    [
        (["majority"], 5, True),
        (["composition", "nearest"], 1, True),
        (["majority", "random"], 5, False),
        (["majority"], 0, False),
    ],
)
def test_a_baseline_seed_without_random_is_refused(
    tmp_path: Path, names: list[str], seed: int, refused: bool
) -> None:
    """As `sgbench baseline majority --seed 5` is: only random draws anything."""
    dataset = write_hand_dataset(tmp_path / "ds")
    calls: list[Callable[[], object]] = [lambda: run_baselines(names, dataset, seed=seed)]
    if len(names) == 1:
        calls.append(lambda: run_baseline(names[0], dataset, seed=seed))
        result = CliRunner().invoke(
            main, ["baseline", names[0], "--dataset", str(dataset), "--seed", str(seed)]
        )
        # The CLI refuses a given --seed for another baseline even at 0 (it sees it given).
        assert result.exit_code == (0 if names == ["random"] else 2)
    for call in calls:
        if refused:
            with pytest.raises(InputError, match="has no effect"):
                call()
        else:
            call()
