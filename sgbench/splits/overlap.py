"""How much each subgroup shares its respondents with the training subgroups.

A compositional OOD subgroup (``ethnicity × religion``) can hold the same people as a training
subgroup (``religion``): in Singapore nearly every Hindu is Indian. Its answers are then a copy
of a training target, not a test of composition. For each subgroup this module finds the
training subgroup with the largest respondent overlap, measured by the Jaccard index
``|A ∩ B| / |A ∪ B|`` over respondents (unweighted): 1 when both hold the same people, 0 when
they share none. A training subgroup overlaps itself (1).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def train_overlap(
    membership: IntArray, train_strata: npt.NDArray[np.bool_], n_subgroups: int
) -> tuple[IntArray, FloatArray]:
    """The most-overlapping training subgroup of every subgroup, and their Jaccard index.

    Args:
        membership: ``(strata, respondents)``: each respondent's subgroup (a row number below
            ``n_subgroups``) in each stratum, or -1.
        train_strata: ``(strata,)`` True for the strata whose subgroups train.
        n_subgroups: number of subgroup rows.

    Returns:
        ``(best, jaccard)`` per subgroup row: the row of the training subgroup with the largest
        Jaccard index (ties: the first row; -1 when none shares a respondent), and that index
        (0 when none). Training subgroups give themselves and 1; rows without members -1 and 0.
    """
    size = np.bincount(membership[membership >= 0], minlength=n_subgroups).astype(np.int64)
    best = np.full(n_subgroups, -1, dtype=np.int64)
    jaccard = np.zeros(n_subgroups, dtype=np.float64)
    for row in np.flatnonzero(train_strata):
        members = np.unique(membership[row][membership[row] >= 0])
        best[members], jaccard[members] = members, 1.0
    # One pass per (held-out stratum, training stratum): pair counts by np.unique on pair keys.
    pairs: list[tuple[IntArray, IntArray, FloatArray]] = []
    for held in np.flatnonzero(~train_strata):
        for train in np.flatnonzero(train_strata):
            a, b = membership[held], membership[train]
            both = (a >= 0) & (b >= 0)
            keys, shared = np.unique(a[both] * n_subgroups + b[both], return_counts=True)
            left, right = keys // n_subgroups, keys % n_subgroups
            union = size[left] + size[right] - shared
            pairs.append((left, right, shared / union))
    if pairs and sum(len(p[0]) for p in pairs):
        left = np.concatenate([p[0] for p in pairs])
        right = np.concatenate([p[1] for p in pairs])
        value = np.concatenate([p[2] for p in pairs])
        # Largest Jaccard first, then the lowest training row: the first per held-out row wins.
        order = np.lexsort((right, -value, left))
        left, right, value = left[order], right[order], value[order]
        first = np.r_[True, left[1:] != left[:-1]]
        best[left[first]], jaccard[left[first]] = right[first], value[first]
    return best, jaccard
