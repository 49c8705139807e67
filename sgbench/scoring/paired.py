"""Is an entry below a reference entry? A one-sided paired sign-flip test, with Holm's correction.

Several prediction sets scored on the same ``N`` samples are compared with a reference (the
leaderboard's leader) question by question. For entry ``e`` and question ``q``, let
``d_q = Σ_{i ∈ q} (x_ref,i − x_e,i)`` be the summed per-sample difference of a metric over the
question's samples, and ``D = Σ_q d_q`` (``D / N`` is the difference of the two means).

**Test.** H0: within each question, the two entries' predictions are exchangeable (neither is
better); H1: the reference is better (one-sided). Under H0 each ``d_q`` is as likely as
``−d_q``, so the null distribution of ``D`` is that of ``Σ_q s_q d_q`` with independent random
signs ``s_q = ±1`` (a paired randomisation test; the question is the pairing unit because the
samples of one question share its difficulty). With ``P`` seeded sign draws::

    p = (1 + #{draws with Σ_q s_q d_q ≥ D}) / (1 + P)

(add-one, so the test keeps its level exactly). Identical entries have every ``d_q = 0``, so
``p = 1``.

**Holm's correction** over the ``m`` entries tested against the same reference (step-down, which
controls the family-wise error rate at ``α`` whatever the dependence): with the p-values sorted,
``p_(1) ≤ … ≤ p_(m)``, the adjusted ``p̃_(i) = max_{j ≤ i} min(1, (m − j + 1) p_(j))``; entry ``e``
is significantly below the reference when ``p̃_e ≤ α``.

Worked example: three entries with p-values ``0.01, 0.04, 0.03`` (``m = 3``): sorted
``0.01, 0.03, 0.04`` → ``3 × 0.01 = 0.03``, ``max(0.03, 2 × 0.03) = 0.06``,
``max(0.06, 1 × 0.04) = 0.06``; adjusted ``0.03, 0.06, 0.06`` in the original order. At
``α = 0.05`` only the first entry is significantly below.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd

from sgbench.boundary import public
from sgbench.scoring.bootstrap import MAX_PERMUTATIONS
from sgbench.scoring.data import FloatArray
from sgbench.scoring.samples import Keys, Values, count, finite_values, row_index, sample_keys
from sgbench.scoring.samples import p_values as checked_p_values

LEVEL: Final = 0.05
"""The family-wise level of the "below the reference" decisions."""

_SIGN_STREAM: Final = 3
_TIE: Final = 1e-9


@public
def sign_flip_p_values(
    values: FloatArray | Sequence[Sequence[float]],
    questions: Keys,
    reference: int,
    *,
    n_permutations: int,
    seed: int,
) -> FloatArray:
    """``(E,)`` one-sided p-values of "row ``e`` is below row ``reference``" (module docstring).

    ``values`` is ``(E, N)``: one per-sample metric per entry on the same ``N`` samples. The
    reference row gets 1. All NaN when ``n_permutations`` is 0. Signs come from
    ``SeedSequence(seed, spawn_key=(3,))``; work is one ``(P, Q) @ (Q, E)`` product.

    Raises:
        InputError: ``values`` without one column per sample or with a value that is not finite
            (NaN compared as "never at least as large" and gave the smallest p-value), questions
            without one key per sample, a ``reference`` that is not a row, or ``n_permutations``
            or ``seed`` not an integer from 0 (``n_permutations`` at most
            :data:`~sgbench.scoring.bootstrap.MAX_PERMUTATIONS`, the CLI's bound: 10⁹ sign draws
            asked for 22 GiB) (:mod:`sgbench.scoring.samples`).
    """
    n = len(questions)
    matrix = finite_values("values", values, n, rows=True)
    codes, names = pd.factorize(sample_keys("questions", questions, n, nulls=False), sort=True)
    question = np.asarray(codes, dtype=np.int64)
    reference = row_index(reference, matrix.shape[0])
    n_permutations = count("n_permutations", n_permutations, MAX_PERMUTATIONS)
    seed = count("seed", seed)
    if n_permutations == 0:
        return np.full(matrix.shape[0], np.nan)
    differences = np.zeros((len(names), matrix.shape[0]))
    np.add.at(differences, question, (matrix[reference] - matrix).T)
    observed = differences.sum(axis=0)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_SIGN_STREAM,)))
    signs = rng.integers(0, 2, size=(n_permutations, len(names))) * 2.0 - 1.0
    flipped = signs @ differences
    at_least = (flipped >= observed - _TIE).sum(axis=0)
    p_values = (1.0 + at_least) / (1.0 + n_permutations)
    p_values[reference] = 1.0
    return np.asarray(p_values, dtype=np.float64)


@public
def holm(p_values: Values) -> FloatArray:
    """Holm-adjusted p-values, in the given order (module docstring); NaN stays NaN.

    Raises:
        InputError: not one p-value per entry, each from 0 to 1 or NaN
            (:func:`sgbench.scoring.samples.p_values`).
    """
    p = checked_p_values(p_values)
    adjusted = np.full_like(p, np.nan)
    tested = np.flatnonzero(~np.isnan(p))
    m = len(tested)
    order = tested[np.argsort(p[tested], kind="stable")]
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    adjusted[order] = np.maximum.accumulate(scaled)
    return adjusted
