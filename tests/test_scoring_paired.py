"""The ≈ leader test: one-sided paired sign-flip p-values against exact enumeration, Holm's
correction by hand, and the NULL (identical entries) / PLANTED (a clearly worse entry) checks,
down to the leaderboard on the embedded default."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from sgbench.baselines import run_baseline
from sgbench.errors import InputError
from sgbench.leaderboard import build_leaderboard
from sgbench.scoring.bootstrap import (
    MIN_REPLICATES,
    expanded_tail,
    multiplicities,
    paired_difference_intervals,
    unit_multiplicities,
)
from sgbench.scoring.paired import holm, sign_flip_p_values


def test_p_value_matches_exact_enumeration() -> None:
    """Six questions with two samples each; the exact p-value enumerates all 2⁶ sign patterns."""
    rng = np.random.default_rng(2)
    questions = np.repeat([f"q{i}" for i in range(6)], 2)
    values = rng.random((2, 12))
    values[1] -= 0.15  # entry 1 a little worse
    n = 40_000
    got = sign_flip_p_values(values, questions, 0, n_permutations=n, seed=1)
    d = (values[0] - values[1]).reshape(6, 2).sum(axis=1)
    patterns = np.array(list(itertools.product([-1, 1], repeat=6)))
    exact = float(np.mean(patterns @ d >= d.sum() - 1e-12))
    assert got[0] == 1.0
    assert got[1] == pytest.approx(exact, abs=5 * np.sqrt(exact * (1 - exact) / n) + 1 / n)


def test_identical_entries_give_p_one() -> None:
    values = np.tile(np.random.default_rng(0).random(20), (3, 1))
    questions = [f"q{i % 5}" for i in range(20)]
    p = sign_flip_p_values(values, questions, 0, n_permutations=100, seed=0)
    assert p.tolist() == [1.0, 1.0, 1.0]


def test_a_clearly_worse_entry_reaches_the_smallest_p_value() -> None:
    questions = [f"q{i}" for i in range(30)]
    values = np.vstack([np.ones(30), np.zeros(30)])
    p = sign_flip_p_values(values, questions, 0, n_permutations=999, seed=0)
    assert p[1] == pytest.approx(1 / 1000, abs=2e-3)  # 2⁻³⁰: only the add-one is left


def test_no_permutations_and_bad_input() -> None:
    values = np.ones((2, 4))
    assert np.isnan(sign_flip_p_values(values, list("aabb"), 0, n_permutations=0, seed=0)).all()
    with pytest.raises(InputError, match="reference row"):
        sign_flip_p_values(values, list("aabb"), 2, n_permutations=10, seed=0)
    with pytest.raises(InputError, match="one per sample"):
        sign_flip_p_values(values, list("abc"), 0, n_permutations=10, seed=0)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("row", [0, 1])
def test_a_value_that_is_not_finite_is_refused(bad: float, row: int) -> None:
    """A NaN compares as never "at least as large": it gave the smallest p-value (0.01 of 99
    shuffles), a "clearly below the leader" out of nothing."""
    values = np.ones((2, 4))
    values[row, 0] = bad
    with pytest.raises(InputError, match="not finite"):
        sign_flip_p_values(values, list("abcd"), 0, n_permutations=99, seed=0)


@pytest.mark.parametrize(("n_permutations", "seed"), [(-1, 0), (10, -1)])
def test_negative_counts_and_seeds_are_refused(n_permutations: int, seed: int) -> None:
    """numpy's own ValueError ("negative dimensions") escaped before."""
    with pytest.raises(InputError, match="must be 0 or more"):
        sign_flip_p_values(
            np.ones((2, 4)), list("aabb"), 0, n_permutations=n_permutations, seed=seed
        )


def test_holm_by_hand() -> None:
    """The module docstring's example: 0.01, 0.04, 0.03 → 0.03, 0.06, 0.06."""
    assert holm([0.01, 0.04, 0.03]).tolist() == pytest.approx([0.03, 0.06, 0.06])
    adjusted = holm([np.nan, 0.2, 0.01])
    assert np.isnan(adjusted[0])
    assert adjusted[1:].tolist() == pytest.approx([0.2, 0.02])
    assert holm([0.5, 0.9]).tolist() == pytest.approx([1.0, 1.0])


@pytest.mark.usefixtures("toy_bootstrap")
def test_two_way_paired_intervals_equal_a_plain_loop() -> None:
    rng = np.random.default_rng(5)
    questions = [f"q{i % 6}" for i in range(36)]
    units = [f"u{i // 6}" for i in range(36)]
    values = rng.random((2, 36))
    got = paired_difference_intervals(
        values,
        questions,
        0,
        n_boot=MIN_REPLICATES,
        seed=3,
        units=units,
        resample="questions+subgroups",
    )
    w = multiplicities(6, MIN_REPLICATES, 3)[:, [i % 6 for i in range(36)]]
    v = unit_multiplicities(6, MIN_REPLICATES, 3)[:, [i // 6 for i in range(36)]]
    weights = w * v
    means = (weights @ values.T) / weights.sum(axis=1)[:, None]
    tail = 100 * expanded_tail(6)  # the expanded percentile interval over 6 questions
    expected = np.percentile(means[:, [0]] - means, [tail, 100 - tail], axis=0).T
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    with pytest.raises(InputError, match="subgroups"):
        paired_difference_intervals(
            values, questions, 0, n_boot=MIN_REPLICATES, seed=0, resample="questions+subgroups"
        )


def test_leaderboard_null_and_planted(built_default: Path, tmp_path: Path) -> None:
    """On the embedded default: a copy of the composition baseline is ≈ leader (NULL: identical
    predictions); the random baseline, far below, is not (PLANTED)."""
    submissions = tmp_path / "submissions"
    folder = submissions / "copy"
    folder.mkdir(parents=True)
    text = run_baseline("composition", built_default, split="test_ood").to_jsonl()
    (folder / "predictions.jsonl").write_text(text, encoding="utf-8")
    metadata = (
        '{"model": "copy", "method": "other", "organisation": "", "url": null, '
        '"dataset_version": "1.0.0+synthetic", "date": "2026-03-01", "notes": ""}'
    )
    (folder / "submission.json").write_text(metadata, encoding="utf-8")
    board = build_leaderboard(
        submissions, built_default, with_baselines=True, n_boot=0, n_permutations=500
    )
    by_slug = {row.entry.slug: row for row in board.rows}
    assert board.rows[0].entry.slug in {"copy", "baseline:composition"}
    copy, original = by_slug["copy"], by_slug["baseline:composition"]
    assert copy.not_below_leader is True
    assert original.not_below_leader is True
    follower = copy if board.rows[0] is original else original
    assert follower.leader_p_value == 1.0
    assert by_slug["baseline:random"].not_below_leader is False
    assert by_slug["baseline:random"].leader_p_holm is not None
    assert by_slug["baseline:random"].leader_p_holm <= 0.05
