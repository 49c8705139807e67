"""Split definitions: which samples each dataset config puts in which split.

``paper``
    ``train``: every sample of an in-distribution stratum (the single attributes and the strata
    that cross sex with another attribute); ``test_ood``: every sample of an OOD stratum
    (age × religion, age × ethnicity, ethnicity × religion). OOD subgroups appear in no other
    split, so the model never sees the combination it is asked about.

``default``
    ``test_ood`` as in ``paper``; the in-distribution samples are divided by *question*: a
    seeded hash of the question id puts each whole question in ``validation``, ``test_id`` or
    ``train`` (so adding an item never moves other questions). ``test_id`` thus measures known
    subgroups on unseen questions. Holding out whole questions is what makes it leak-free: a
    single-attribute subgroup is the union of its sex × attribute children, so a held-out pair
    (q, s) could be rebuilt by adding and subtracting ``train`` answers to q of subgroups sharing
    respondents with s; no held-out question has any ``train`` sample. If every question drew a
    held-out split, the one with the largest draw trains.

No (subgroup, question) pair is in two splits of a config.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, Final

import numpy as np
import pandas as pd

from sgbench.boundary import public, read_only
from sgbench.errors import ConfigError, InputError, check_each
from sgbench.schema.held_out import held_out_splits
from sgbench.schema.held_out import id_hash as id_hash  # one definition (the row rule reads it)

_RULES: Final[dict[str, dict[str, str]]] = {
    "paper": {
        "train": "all samples of the in-distribution strata",
        "test_ood": "all samples of the OOD strata; their subgroups are in no other split",
    },
    "default": {
        "train": "in-distribution samples of questions not held out",
        "validation": "in-distribution samples of questions whose seeded hash is below "
        "validation_fraction",
        "test_id": "in-distribution samples of questions whose seeded hash is in "
        "[validation_fraction, validation_fraction + test_id_fraction): known subgroups, "
        "unseen questions",
        "test_ood": "all samples of the OOD strata; their subgroups are in no other split",
    },
}
SPLIT_DEFINITIONS: Final[Mapping[str, Mapping[str, str]]] = read_only(_RULES)
"""Each config's splits, in order, with the rule that fills them (recorded in the manifest).
Read-only, and :func:`split_manifest` records a copy: a manifest is the caller's to change, and
it had held this very dict, so that changing a build's returned manifest changed every later
build's ``manifest.json``."""


def check_fractions(validation_fraction: float, test_id_fraction: float, where: str) -> None:
    """Refuse shares of held-out questions that are not finite numbers from 0 with room for
    ``train`` (the one rule for a build config and the functions below): a NaN held out
    nothing and a sum of 1.4 put every question in ``validation`` and none in ``test_id``,
    silently.

    Raises:
        ConfigError: ``WHERE: validation_fraction + test_id_fraction must be below 1`` (or a
            share that is negative or not a finite number).
    """
    for key, value in (
        ("validation_fraction", validation_fraction),
        ("test_id_fraction", test_id_fraction),
    ):
        if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise ConfigError(f"{where}: {key} {value!r} must be a finite number, 0 or more")
    if validation_fraction + test_id_fraction >= 1:
        raise ConfigError(f"{where}: validation_fraction + test_id_fraction must be below 1")


@public
def question_splits(
    question_ids: Iterable[str],
    seed: int,
    validation_fraction: float,
    test_id_fraction: float,
) -> np.ndarray:
    """The ``default`` split of each question's in-distribution samples (object array).

    ``validation`` when the question's :func:`id_hash` is below ``validation_fraction``,
    ``test_id`` below ``validation_fraction + test_id_fraction``, else ``train``; when no
    question would train, the held-out one with the largest draw does.
    """
    check_fractions(validation_fraction, test_id_fraction, "question_splits")
    question_ids = list(question_ids)
    check_each(question_ids, (str,), "question_splits(): argument 'question_ids'", "a text")
    return held_out_splits(question_ids, seed, validation_fraction, test_id_fraction)


SPLIT_KEYS: Final = ("stratum", "question_id")
"""The columns of a sample that decide its split."""


def _check_keys(samples: pd.DataFrame) -> None:
    """Refuse samples without a stratum and a question id each: a missing column was a
    KeyError, and a missing question id got the split of the alphabetically last question."""
    absent = [key for key in SPLIT_KEYS if key not in samples.columns]
    if absent:
        raise InputError(f"assign_splits(): argument 'samples' has no column {absent[0]!r}")
    for key in SPLIT_KEYS:
        missing = samples[key].isna().to_numpy()
        if missing.any():
            raise InputError(
                f"assign_splits(): argument 'samples': row {int(missing.argmax())} has no {key}"
            )


@public
def assign_splits(
    samples: pd.DataFrame,
    ood_strata: Iterable[str],
    seed: int = 0,
    validation_fraction: float = 0.05,
    test_id_fraction: float = 0.10,
) -> dict[str, pd.Series]:
    """The split of every sample in each config (``paper`` and ``default``).

    Args:
        samples: needs ``stratum`` and ``question_id``.
        ood_strata: names of the held-out strata (e.g. ``"age_group_x_religion"``).
        seed: seed of the in-distribution division.
        validation_fraction, test_id_fraction: expected shares of questions held out.

    Returns:
        ``{config: Series of split names aligned with samples}``.
    """
    ood_strata = list(ood_strata)
    check_each(ood_strata, (str,), "assign_splits(): argument 'ood_strata'", "a stratum name")
    _check_keys(samples)
    is_ood = samples["stratum"].isin(ood_strata)
    paper = pd.Series(np.where(is_ood, "test_ood", "train"), index=samples.index, dtype=object)

    # The questions the samples have, not a categorical's categories: an unused category took
    # the "one question trains" fallback, and then no sample trained.
    codes, questions = pd.factorize(pd.Series(samples["question_id"]).astype(str).to_numpy())
    default = pd.Series(np.where(is_ood, "test_ood", "train"), index=samples.index, dtype=object)
    held = question_splits(list(questions), seed, validation_fraction, test_id_fraction)
    in_dist = ~is_ood.to_numpy()
    default[in_dist] = held[codes[in_dist]]
    return {"default": default, "paper": paper}


@public
def split_manifest(
    ood_strata: Iterable[str],
    in_distribution_strata: Iterable[str],
    seed: int,
    validation_fraction: float,
    test_id_fraction: float,
) -> dict[str, Any]:
    """The split definitions as recorded in ``manifest.json``."""
    check_fractions(validation_fraction, test_id_fraction, "split_manifest")
    strata = {
        "ood_strata": list(ood_strata),
        "in_distribution_strata": list(in_distribution_strata),
    }
    for name, names in strata.items():
        check_each(names, (str,), f"split_manifest(): argument {name!r}", "a stratum name")
        twice = [s for n, s in enumerate(names) if s in names[:n]]
        if twice:
            raise InputError(f"split_manifest(): argument {name!r} lists {twice[0]!r} twice")
    both = [s for s in strata["ood_strata"] if s in strata["in_distribution_strata"]]
    if both:
        raise InputError(
            f"split_manifest(): stratum {both[0]!r} is both held out (ood_strata) and "
            "in-distribution (in_distribution_strata)"
        )
    return {
        **strata,
        "seed": seed,
        "validation_fraction": validation_fraction,
        "test_id_fraction": test_id_fraction,
        "unit": "question",
        "hash": "blake2b-64 of '<seed>:<question_id>' / 2**64",
        "leakage": "no validation or test_id sample (q, s) has a train sample of question q "
        "for any subgroup; so none for a subgroup sharing respondents with s",
        "rules": {name: dict(rules) for name, rules in SPLIT_DEFINITIONS.items()},
    }


__all__ = ["SPLIT_DEFINITIONS", "assign_splits", "question_splits", "split_manifest"]
