"""Which ``temporal`` split a sample goes to: one definition, read by the builder that fills the
config (:func:`sgbench.splits.temporal.temporal_split`) and by the dataset's row rule that
checks every row of a built ``temporal`` config is in the split its wave and pair give it."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def temporal_splits(
    waves: npt.ArrayLike, pairs: npt.ArrayLike, latest: int
) -> npt.NDArray[np.object_]:
    """The ``temporal`` split of each sample of every wave: ``test`` for a sample of the
    ``latest`` wave whose (subgroup, question) pair an earlier wave also has, ``train`` for an
    earlier wave's sample whose pair the latest wave has, ``""`` (in no split) otherwise.

    Args:
        waves: each sample's wave.
        pairs: each sample's (subgroup, question) pair, as any equal-for-equal key (text or
            integer codes).
        latest: the latest wave (its samples are tested, every other wave's trained on).
    """
    wave = np.asarray(waves)
    pair = np.asarray(pairs)
    is_latest = wave == latest
    in_latest = np.isin(pair, pair[is_latest])
    in_earlier = np.isin(pair, pair[~is_latest])
    split = np.where(is_latest, np.where(in_earlier, "test", ""), np.where(in_latest, "train", ""))
    return split.astype(object)
