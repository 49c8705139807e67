"""The normal and Student t quantiles of the expanded percentile interval, against closed forms
and printed tables."""

from __future__ import annotations

import math

import pytest

from sgbench.scoring.distributions import (
    SERIES_DF,
    normal_cdf,
    normal_quantile,
    student_t_central,
    student_t_quantile,
)


def test_normal_against_known_values() -> None:
    assert normal_cdf(0.0) == 0.5
    assert normal_cdf(1.959963984540054) == pytest.approx(0.975, abs=1e-15)
    assert normal_quantile(0.975) == pytest.approx(1.959963984540054, abs=1e-12)
    assert normal_quantile(0.5) == pytest.approx(0.0, abs=1e-12)
    assert normal_quantile(0.01) == pytest.approx(-2.326347874040841, abs=1e-12)
    with pytest.raises(ValueError, match="0 < p < 1"):
        normal_quantile(1.0)


@pytest.mark.parametrize("t", [0.0, 0.3, 1.0, 2.5, 12.7, 100.0])
def test_central_probability_closed_forms(t: float) -> None:
    """P(|T| ≤ t): Cauchy for 1 degree of freedom, t / √(2 + t²) for 2, and for 3
    (2/π)(θ + sin θ cos θ) with θ = arctan(t/√3)."""
    assert student_t_central(t, 1) == pytest.approx(2 / math.pi * math.atan(t), abs=1e-15)
    assert student_t_central(t, 2) == pytest.approx(t / math.sqrt(2 + t * t), abs=1e-15)
    theta = math.atan(t / math.sqrt(3))
    three = 2 / math.pi * (theta + math.sin(theta) * math.cos(theta))
    assert student_t_central(t, 3) == pytest.approx(three, abs=1e-15)


@pytest.mark.parametrize(
    ("df", "expected"),
    [
        # Closed forms: tan(π(p − ½)) for 1; (2p − 1)/√(2p(1 − p)) for 2.
        (1, math.tan(math.pi * 0.475)),
        (2, 0.95 / math.sqrt(2 * 0.975 * 0.025)),
        # Printed tables of t_{0.975, ν} (to 9 decimals).
        (3, 3.182446305),
        (11, 2.200985160),
        (14, 2.144786688),
        (38, 2.024394164),
        (100, 1.983971519),
        (1000, 1.962339081),
    ],
)
def test_t_quantile_against_tables(df: int, expected: float) -> None:
    assert student_t_quantile(0.975, df) == pytest.approx(expected, abs=1e-9)
    # The quantile inverts the distribution function.
    assert student_t_central(student_t_quantile(0.975, df), df) == pytest.approx(0.95, abs=1e-13)


def test_t_quantile_beyond_the_series() -> None:
    """Past SERIES_DF degrees of freedom the Cornish–Fisher expansion takes over: it agrees with
    the exact series at the switch and tends to the normal quantile."""
    exact = student_t_quantile(0.975, SERIES_DF)
    expansion = student_t_quantile(0.975, SERIES_DF + 1)
    # t_{ν} − t_{ν+1} ≈ (z³ + z)/(4ν²) ≈ 5.9e-7 at ν = 2000: the gap between them is that alone.
    assert exact - expansion == pytest.approx(5.93e-7, rel=0.01)
    z = normal_quantile(0.975)
    assert student_t_quantile(0.975, 10**8) - z == pytest.approx((z**3 + z) / 4e8, rel=1e-6)
    assert student_t_quantile(0.5, 7) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(("p", "df"), [(0.4, 3), (1.0, 3), (0.975, 0), (0.975, True)])
def test_t_quantile_refuses_what_it_does_not_compute(p: float, df: int) -> None:
    with pytest.raises(ValueError, match=r"quantile needs|degrees of freedom"):
        student_t_quantile(p, df)
