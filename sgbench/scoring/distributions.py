"""The normal and Student t quantiles the expanded percentile interval needs, without scipy.

sgbench depends on numpy, not scipy, and needs these quantiles at one kind of point only: the
upper ``α/2`` tail for a 95% interval, at ``Q − 1`` degrees of freedom for ``Q`` questions. They
are computed to machine precision, not approximated:

- :func:`normal_cdf` and :func:`normal_quantile` are the standard library's
  :class:`statistics.NormalDist` (its ``inv_cdf`` is Wichura's AS241, exact to a float).
- :func:`student_t_central` is the t distribution's ``P(|T| ≤ t)`` for an integer number of
  degrees of freedom ``ν``, by the finite series of Abramowitz & Stegun (1964), 26.7.3 (``ν``
  odd) and 26.7.4 (``ν`` even), in ``θ = arctan(t / √ν)``; every term is positive, so the sum
  loses nothing to cancellation. :func:`student_t_quantile` inverts it by bisection on ``θ``.
  Beyond :data:`SERIES_DF` degrees of freedom (a series of ``ν / 2`` terms), the quantile is
  the Cornish–Fisher expansion of A&S 26.7.5 in ``1/ν`` to the fourth order, whose first
  omitted term is below ``10⁻¹⁴`` there.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache
from statistics import NormalDist
from typing import Final

import numpy as np

SERIES_DF: Final = 2000
"""The most degrees of freedom :func:`student_t_quantile` sums the exact series for."""
_BISECTIONS: Final = 200
"""Halvings of the bracket: far more than the 53 bits of a float need, so the bisection stops on
a bracket that no longer shrinks."""


_STANDARD_NORMAL: Final = NormalDist()


def normal_cdf(z: float) -> float:
    """``Φ(z)``, the standard normal distribution function."""
    return _STANDARD_NORMAL.cdf(z)


def normal_quantile(p: float) -> float:
    """``Φ⁻¹(p)`` for ``0 < p < 1``."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"a quantile needs 0 < p < 1, got {p!r}")
    return _STANDARD_NORMAL.inv_cdf(p)


def student_t_central(t: float, df: int) -> float:
    """``P(|T| ≤ t)`` for ``T`` Student-t with ``df ≥ 1`` degrees of freedom and ``t ≥ 0``
    (A&S 26.7.3–4; the module docstring)."""
    return _central(math.atan(t / math.sqrt(df)), df)


def _central(theta: float, df: int) -> float:
    """``P(|T| ≤ √df · tan θ)`` for ``0 ≤ θ < π/2``: A&S 26.7.3 (odd) and 26.7.4 (even ``df``)."""
    c2, s = math.cos(theta) ** 2, math.sin(theta)
    if df % 2 == 0:
        # 1 + (1/2)c² + (1·3)/(2·4)c⁴ + … + (1·3⋯(ν−3))/(2·4⋯(ν−2)) c^(ν−2)
        k = np.arange(1, df // 2, dtype=np.float64)
        terms = np.cumprod((2 * k - 1) / (2 * k) * c2)
        return float(s * (1.0 + terms.sum()))
    if df == 1:
        return 2.0 / math.pi * theta
    # θ + sin θ cos θ (1 + (2/3)c² + (2·4)/(3·5)c⁴ + … + (2·4⋯(ν−3))/(3·5⋯(ν−2)) c^(ν−3))
    k = np.arange(1, (df - 1) // 2, dtype=np.float64)
    terms = np.cumprod(2 * k / (2 * k + 1) * c2)
    return float(2.0 / math.pi * (theta + s * math.cos(theta) * (1.0 + terms.sum())))


@lru_cache(maxsize=256, typed=True)
def student_t_quantile(p: float, df: int) -> float:
    """The ``p`` quantile of Student's t with ``df ≥ 1`` degrees of freedom, for ``0.5 ≤ p < 1``
    (the upper critical value: ``t_{0.975, 10} = 2.228…``)."""
    if not 0.5 <= p < 1.0:
        raise ValueError(f"an upper quantile needs 0.5 <= p < 1, got {p!r}")
    if isinstance(df, bool) or not isinstance(df, int) or df < 1:
        raise ValueError(f"degrees of freedom must be a positive integer, got {df!r}")
    if df > SERIES_DF:
        return _cornish_fisher(normal_quantile(p), df)
    theta = _bisect(lambda x: _central(x, df), 2.0 * p - 1.0, 0.0, math.pi / 2)
    return math.sqrt(df) * math.tan(theta)


def _cornish_fisher(z: float, df: int) -> float:
    """A&S 26.7.5: ``t_p ≈ z + g₁/ν + g₂/ν² + g₃/ν³ + g₄/ν⁴`` with ``z = Φ⁻¹(p)``."""
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


def _bisect(increasing: Callable[[float], float], target: float, low: float, high: float) -> float:
    """The ``x`` in ``[low, high]`` where the increasing function reaches ``target``."""
    for _ in range(_BISECTIONS):
        middle = 0.5 * (low + high)
        if middle in (low, high):
            break
        if increasing(middle) < target:
            low = middle
        else:
            high = middle
    return 0.5 * (low + high)
