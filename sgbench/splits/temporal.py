"""The ``temporal`` config: earlier-wave answers to train on, the latest wave's answers to test.

Only (subgroup, question) pairs present in both are kept, so every test sample has the same
subgroup's answer to the same question in an earlier wave.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd

TEMPORAL_RULES: Final[dict[str, str]] = {
    "train": "earlier waves' samples of (subgroup, question) pairs also in the latest wave",
    "test": "latest wave's samples of pairs also in an earlier wave",
}
"""The rule of each ``temporal`` split (recorded in the manifest)."""


def temporal_split(latest: pd.Series, earlier: Sequence[pd.Series]) -> dict[str, list[np.ndarray]]:
    """Row numbers of each ``temporal`` split, per wave.

    Args:
        latest: ``<subgroup_id>/<question_id>`` of every sample of the latest wave.
        earlier: the same keys for each earlier wave.

    Returns:
        ``{"train": [rows of each earlier wave, in the order given], "test": [rows of latest]}``.
    """
    any_earlier = pd.concat(list(earlier), ignore_index=True)
    return {
        "train": [np.flatnonzero(keys.isin(latest).to_numpy()) for keys in earlier],
        "test": [np.flatnonzero(latest.isin(any_earlier).to_numpy())],
    }
