"""The permutation null at scale: the moment-matched p-value against exact permutations on tables
where both run (NULL and PLANTED), its uniformity over seeded null tables, the work budget that
chooses between them, and the chi-square tail against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sgbench.scoring import noise
from sgbench.scoring.bootstrap import bootstrap_intervals
from sgbench.scoring.noise import (
    EXACT,
    MOMENT_MATCHED,
    Cells,
    Grouping,
    cell_table,
    chi2_tail,
    moment_p_values,
    null_of,
    null_plan,
    permuted_means,
    to_groups,
)

N_POOLED = 4


def synthetic(
    n_questions: int,
    n_units: int,
    gap: float,
    seed: int,
    *,
    missing: float = 0.0,
    binary: bool = True,
) -> tuple[Cells, list[Grouping]]:
    """One sample per present (question, unit) cell: a question's level is random, the units of
    pooled group 0 score ``gap`` more (0: a NULL table), ``missing`` of the cells are absent.
    Groupings: the units themselves, and units pooled into 4 groups (the last unit in none)."""
    rng = np.random.default_rng(seed)
    question = np.repeat(np.arange(n_questions), n_units)
    unit = np.tile(np.arange(n_units), n_questions)
    keep = rng.random(question.size) >= missing
    question, unit = question[keep], unit[keep]
    level = 0.2 + 0.6 * rng.random(n_questions)[question]
    p = np.clip(level + gap * (unit % N_POOLED == 0), 0.0, 1.0)
    values = (rng.random(unit.size) < p) if binary else rng.random(unit.size) * p
    cells = cell_table({"m": values.astype(np.float64)}, question, unit, (n_questions, n_units))
    own = Grouping(tuple(f"u{i}" for i in range(n_units)), np.arange(n_units))
    pooled_of = np.arange(n_units) % N_POOLED
    pooled_of[-1] = -1
    pooled = Grouping(tuple(f"g{i}" for i in range(N_POOLED)), pooled_of)
    return cells, [own, pooled]


def exact_p_values(cells: Cells, groupings: list[Grouping], n: int) -> list[float]:
    permuted = permuted_means(cells, groupings, ["m"], n, np.random.default_rng(0))
    out = []
    for grouping, result in zip(groupings, permuted, strict=True):
        sums = to_groups(cells.sums["m"], grouping).sum(axis=0)
        counts = to_groups(cells.counts, grouping).sum(axis=0)
        out.append(null_of(sums / counts, result["m"]).p_value)
    return out


def moment(cells: Cells, groupings: list[Grouping], n: int) -> list[float]:
    out = []
    for grouping in groupings:
        p_values = moment_p_values(cells, grouping, ["m"], n)
        assert p_values is not None
        out.append(p_values["m"])
    return out


@pytest.mark.parametrize(
    ("n_questions", "n_units", "missing", "binary"),
    [(40, 30, 0.0, True), (60, 48, 0.1, True), (80, 24, 0.0, False)],
)
def test_moment_matched_agrees_with_exact_permutations_on_a_null_table(
    n_questions: int, n_units: int, missing: float, binary: bool
) -> None:
    """Tolerance (the one the docs state): 0.03 absolute, with 4,000 exact permutations (their
    own Monte Carlo sd is at most 0.008)."""
    for seed in range(3):
        cells, groupings = synthetic(
            n_questions, n_units, 0.0, seed, missing=missing, binary=binary
        )
        exact = exact_p_values(cells, groupings, 4000)
        approx = moment(cells, groupings, 4000)
        assert approx == pytest.approx(exact, abs=0.03)


def test_moment_matched_agrees_with_exact_permutations_on_planted_tables() -> None:
    """PLANTED: a small gap (p-values in the range where the test decides) and a large one
    (both at the smallest p-value 4,000 permutations can give)."""
    cells, groupings = synthetic(60, 30, 0.04, 1)
    assert moment(cells, groupings, 4000) == pytest.approx(
        exact_p_values(cells, groupings, 4000), abs=0.03
    )
    cells, groupings = synthetic(60, 30, 0.3, 2)
    assert moment(cells, groupings, 4000) == [1 / 4001, 1 / 4001]
    assert exact_p_values(cells, groupings, 4000) == [1 / 4001, 1 / 4001]


def test_moment_matched_null_is_uniform() -> None:
    """NULL: over 200 seeded null tables, the share of p-values below 0.05 (and below 0.2) lies
    within the central 99.8% of the binomial count a uniform p-value gives."""
    p_values = np.array(
        [moment(*synthetic(30, 24, 0.0, seed), 1000) for seed in range(200)]
    )  # (200, 2): the units themselves and the pooled grouping
    n = p_values.shape[0]
    for level in (0.05, 0.2):
        cdf = np.cumsum([math.comb(n, k) * level**k * (1 - level) ** (n - k) for k in range(n + 1)])
        low, high = int(np.searchsorted(cdf, 0.001)), int(np.searchsorted(cdf, 0.999))
        for column in p_values.T:
            assert low <= int((column < level).sum()) <= high, level


def test_chi2_tail_against_closed_forms() -> None:
    for x in (0.1, 1.0, 3.0, 10.0, 40.0):
        assert chi2_tail(x, 2) == pytest.approx(math.exp(-x / 2), rel=1e-10)
        assert chi2_tail(x, 1) == pytest.approx(math.erfc(math.sqrt(x / 2)), rel=1e-9)
        # df 4: Q(2, x/2) = e^{-x/2} (1 + x/2)
        assert chi2_tail(x, 4) == pytest.approx(math.exp(-x / 2) * (1 + x / 2), rel=1e-10)
    assert chi2_tail(0.0, 3) == 1.0


def test_null_plan_keeps_small_tables_exact() -> None:
    counts = np.ones((420, 48))  # the paper's OOD split
    assert null_plan(1000, counts) == (EXACT, 1000)
    assert null_plan(0, counts) == (EXACT, 0)
    counts = np.ones((239, 4756))  # the all-country build
    method, drawn = null_plan(1000, counts)
    assert method == MOMENT_MATCHED
    assert drawn == noise.MEAN_POSITIONS // (239 * 4756) >= 1


def run(groups: np.ndarray, values: np.ndarray, seed: int = 0) -> object:
    n_questions, n_units = values.shape
    return bootstrap_intervals(
        {"m": values.ravel()},
        np.repeat([f"q{i}" for i in range(n_questions)], n_units),
        {"g": np.tile(groups, n_questions)},
        ["m"],
        units=np.tile([f"u{i:02d}" for i in range(n_units)], n_questions),
        n_boot=0,
        seed=seed,
        n_permutations=1000,
    )


def test_over_the_budget_the_report_records_the_method(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a budget that a 50 × 30 table exceeds: the p-value is moment-matched, the null means
    come from the permutations drawn, the planted gap is found, nothing is found on a NULL
    table, and the same seed gives the same figures."""
    monkeypatch.setattr(noise, "EXACT_POSITIONS", 10_000)
    monkeypatch.setattr(noise, "MEAN_POSITIONS", 3_000)
    rng = np.random.default_rng(5)
    groups = np.array([f"g{i % 3}" for i in range(30)])
    level = rng.random((50, 1))
    planted = (rng.random((50, 30)) < level + 0.3 * (groups == "g0")).astype(np.float64)
    result = run(groups, planted)
    assert result.null_method == MOMENT_MATCHED  # type: ignore[attr-defined]
    assert result.n_permutations_drawn == 2  # type: ignore[attr-defined]
    null = result.spreads["g"]["m"].null  # type: ignore[attr-defined]
    assert (null.method, null.n_permutations, null.drawn) == (MOMENT_MATCHED, 1000, 2)
    assert null.p_value == 1 / 1001
    assert np.isfinite(null.mean["norm_range"])
    assert run(groups, planted) == result
    quiet = (rng.random((50, 30)) < level).astype(np.float64)
    assert run(groups, quiet).spreads["g"]["m"].null.p_value > 0.01  # type: ignore[attr-defined]
