"""Split definitions: which samples each dataset config puts in which split.

``paper``
    ``train``: every sample of an in-distribution stratum (the single attributes and the strata
    that cross sex with another attribute); ``test_ood``: every sample of an OOD stratum
    (age × religion, age × ethnicity, ethnicity × religion). OOD subgroups appear in no other
    split, so the model never sees the combination it is asked about.

``default``
    ``test_ood`` as in ``paper``; the in-distribution samples are divided into ``train``,
    ``validation`` and ``test_id`` by a seeded hash of the sample id (so adding an item or a
    subgroup never moves other samples), then every in-distribution subgroup and every question
    without a training sample gets its held-out sample with the largest hash back, so that each
    keeps training data.

No (subgroup, question) pair is in two splits of a config.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any, Final

import numpy as np
import pandas as pd

SPLIT_DEFINITIONS: Final[dict[str, dict[str, str]]] = {
    "paper": {
        "train": "all samples of the in-distribution strata",
        "test_ood": "all samples of the OOD strata; their subgroups are in no other split",
    },
    "default": {
        "train": "in-distribution samples not held out",
        "validation": "seeded hash of the id below validation_fraction (in-distribution)",
        "test_id": "seeded hash of the id in [validation_fraction, validation_fraction + "
        "test_id_fraction) (in-distribution)",
        "test_ood": "all samples of the OOD strata; their subgroups are in no other split",
    },
}
"""Each config's splits, in order, with the rule that fills them (recorded in the manifest)."""


def id_hash(ids: Iterable[str], seed: int) -> np.ndarray:
    """A uniform number in [0, 1) per id, fixed by ``seed`` and the id alone."""
    return np.array(
        [
            int.from_bytes(
                hashlib.blake2b(f"{seed}:{sample_id}".encode(), digest_size=8).digest(), "big"
            )
            / 2.0**64
            for sample_id in ids
        ],
        dtype=np.float64,
    )


def _keep_training(split: pd.Series, draws: pd.Series, groups: pd.Series) -> pd.Series:
    """Give every group without a ``train`` sample its held-out sample with the largest draw."""
    has_train = (split == "train").groupby(groups, sort=False).transform("any")
    lacking = ~has_train.astype(bool)
    if lacking.any():
        chosen = draws[lacking].groupby(groups[lacking], sort=False).idxmax()
        split = split.copy()
        split.loc[chosen.to_numpy()] = "train"
    return split


def assign_splits(
    samples: pd.DataFrame,
    ood_strata: Iterable[str],
    seed: int = 0,
    validation_fraction: float = 0.05,
    test_id_fraction: float = 0.10,
) -> dict[str, pd.Series]:
    """The split of every sample in each config (``paper`` and ``default``).

    Args:
        samples: needs ``id``, ``stratum``, ``subgroup_id`` and ``question_id``.
        ood_strata: names of the held-out strata (e.g. ``"age_group_x_religion"``).
        seed: seed of the in-distribution division.
        validation_fraction, test_id_fraction: expected shares of in-distribution samples.

    Returns:
        ``{config: Series of split names aligned with samples}``.
    """
    is_ood = samples["stratum"].isin(list(ood_strata))
    paper = pd.Series(np.where(is_ood, "test_ood", "train"), index=samples.index, dtype=object)

    draws = pd.Series(id_hash(samples["id"], seed), index=samples.index)
    held = np.select(
        [draws < validation_fraction, draws < validation_fraction + test_id_fraction],
        ["validation", "test_id"],
        default="train",
    )
    in_dist = pd.Series(held, index=samples.index, dtype=object)[~is_ood]
    id_samples, id_draws = samples[~is_ood], draws[~is_ood]
    in_dist = _keep_training(in_dist, id_draws, id_samples["subgroup_id"])
    in_dist = _keep_training(in_dist, id_draws, id_samples["question_id"])
    default = in_dist.reindex(samples.index).where(~is_ood, "test_ood")
    return {"default": default, "paper": paper}


def split_manifest(
    ood_strata: Iterable[str],
    in_distribution_strata: Iterable[str],
    seed: int,
    validation_fraction: float,
    test_id_fraction: float,
) -> dict[str, Any]:
    """The split definitions as recorded in ``manifest.json``."""
    return {
        "ood_strata": list(ood_strata),
        "in_distribution_strata": list(in_distribution_strata),
        "seed": seed,
        "validation_fraction": validation_fraction,
        "test_id_fraction": test_id_fraction,
        "hash": "blake2b-64 of '<seed>:<id>' / 2**64",
        "rules": SPLIT_DEFINITIONS,
    }
