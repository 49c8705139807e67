"""The ``temporal`` config: earlier-wave answers to train on, the latest wave's answers to test.

Only (subgroup, question) pairs present in both are kept, so every test sample has the same
subgroup's answer to the same question in an earlier wave.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd

from sgbench.schema.temporal import temporal_splits

TEMPORAL_RULES: Final[dict[str, str]] = {
    "train": "earlier waves' samples of (subgroup, question) pairs also in the latest wave",
    "test": "latest wave's samples of pairs also in an earlier wave",
}
"""The rule of each ``temporal`` split (recorded in the manifest)."""


def temporal_split(latest: pd.Series, earlier: Sequence[pd.Series]) -> dict[str, list[np.ndarray]]:
    """Row numbers of each ``temporal`` split, per wave, by the one rule the row rule also reads
    (:func:`~sgbench.schema.temporal.temporal_splits`).

    Args:
        latest: ``<subgroup_id>/<question_id>`` of every sample of the latest wave.
        earlier: the same keys for each earlier wave.

    Returns:
        ``{"train": [rows of each earlier wave, in the order given], "test": [rows of latest]}``.
    """
    sizes = [len(latest), *(len(keys) for keys in earlier)]
    # Integer codes of the keys (hashed once by pandas), and each sample's position as its
    # wave: 0 for the latest.
    codes, _ = pd.factorize(pd.concat([latest, *earlier], ignore_index=True))
    split = temporal_splits(np.repeat(np.arange(len(sizes)), sizes), codes, latest=0)
    per_wave = np.split(split, np.cumsum(sizes)[:-1])
    return {
        "train": [np.flatnonzero(rows == "train") for rows in per_wave[1:]],
        "test": [np.flatnonzero(per_wave[0] == "test")],
    }
