"""Split assignment: OOD isolation, disjointness, training coverage, determinism."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from sgbench.dataset import overlap_band
from sgbench.errors import ConfigError
from sgbench.splits import assign_splits, id_hash, question_splits, split_manifest
from sgbench.splits.overlap import train_overlap


def samples_table(n_questions: int = 40) -> pd.DataFrame:
    rows = []
    strata = {
        "sex": ["sex=male", "sex=female"],
        "religion": ["religion=muslim", "religion=hindu", "religion=buddhist"],
        "sex_x_religion": ["sex=male&religion=muslim", "sex=female&religion=muslim"],
        "age_group_x_religion": ["age_group=25-34&religion=muslim", "age_group=65+&religion=hindu"],
    }
    for stratum, subgroups in strata.items():
        for subgroup, q in itertools.product(subgroups, range(1, n_questions + 1)):
            rows.append(
                {
                    "id": f"Q{q}/{subgroup}",
                    "stratum": stratum,
                    "subgroup_id": subgroup,
                    "question_id": f"Q{q}",
                }
            )
    return pd.DataFrame(rows)


def test_paper_config_holds_out_whole_strata() -> None:
    samples = samples_table()
    splits = assign_splits(samples, ["age_group_x_religion"])["paper"]
    assert set(splits) == {"train", "test_ood"}
    assert (splits == "test_ood").sum() == 2 * 40
    assert set(samples.loc[splits == "test_ood", "stratum"]) == {"age_group_x_religion"}


def test_default_config_holds_out_whole_questions() -> None:
    samples = samples_table(n_questions=400)
    splits = assign_splits(samples, ["age_group_x_religion"], seed=3)["default"]
    assert set(splits) == {"train", "validation", "test_id", "test_ood"}
    ood_subgroups = set(samples.loc[splits == "test_ood", "subgroup_id"])
    assert ood_subgroups.isdisjoint(samples.loc[splits != "test_ood", "subgroup_id"])
    in_dist = samples[splits != "test_ood"].assign(split=splits[splits != "test_ood"])
    # Each question's in-distribution samples share one split: no held-out pair has a
    # training sample of its question for any subgroup.
    per_question = in_dist.groupby("question_id")["split"].nunique()
    assert (per_question == 1).all()
    shares = in_dist.groupby("question_id")["split"].first().value_counts(normalize=True)
    # Binomial spread of 400 questions: 3 standard errors.
    assert shares["validation"] == pytest.approx(0.05, abs=3 * (0.05 * 0.95 / 400) ** 0.5)
    assert shares["test_id"] == pytest.approx(0.10, abs=3 * (0.10 * 0.90 / 400) ** 0.5)
    # Every in-distribution subgroup keeps training samples (it is known at test time).
    assert set(in_dist.loc[in_dist["split"] == "train", "subgroup_id"]) == set(
        in_dist["subgroup_id"]
    )


def test_adding_a_question_moves_no_other_question() -> None:
    fewer = samples_table(n_questions=60)
    more = samples_table(n_questions=61)
    a = assign_splits(fewer, ["age_group_x_religion"], seed=5)["default"]
    b = assign_splits(more, ["age_group_x_religion"], seed=5)["default"]
    common = more["question_id"] != "Q61"
    assert dict(zip(fewer["id"], a, strict=True)) == dict(
        zip(more.loc[common, "id"], b[common], strict=True)
    )


def test_default_split_keeps_a_training_question_even_when_most_is_held_out() -> None:
    samples = samples_table(n_questions=3)
    splits = assign_splits(
        samples, ["age_group_x_religion"], validation_fraction=0.5, test_id_fraction=0.49
    )["default"]
    train = samples[splits == "train"]
    assert train["question_id"].nunique() >= 1
    id_samples = samples[splits != "test_ood"]
    assert set(train["subgroup_id"]) == set(id_samples["subgroup_id"])


def test_assignment_depends_only_on_seed_and_id() -> None:
    samples = samples_table()
    first = assign_splits(samples, ["age_group_x_religion"], seed=1)["default"]
    shuffled = samples.sample(frac=1.0, random_state=0)
    again = assign_splits(shuffled, ["age_group_x_religion"], seed=1)["default"]
    pd.testing.assert_series_equal(first, again.sort_index())
    other_seed = assign_splits(samples, ["age_group_x_religion"], seed=2)["default"]
    assert not first.equals(other_seed)


def test_id_hash_is_uniform_in_unit_interval_and_stable() -> None:
    draws = id_hash([f"id{i}" for i in range(2000)], seed=0)
    assert draws.min() >= 0.0
    assert draws.max() < 1.0
    assert draws.mean() == pytest.approx(0.5, abs=0.03)
    assert id_hash(["Q1/sex=male"], 0)[0] == id_hash(["Q1/sex=male"], 0)[0]
    assert id_hash(["Q1/sex=male"], 0)[0] != id_hash(["Q1/sex=male"], 1)[0]


def literal_overlap(
    membership: np.ndarray, train: np.ndarray, n: int
) -> tuple[list[int], list[float]]:
    """Brute force: every subgroup against every training subgroup, Jaccard on respondent sets;
    ties to the lowest row, -1 and 0 when none shares anyone; training subgroups themselves."""
    members: list[set[int]] = [set() for _ in range(n)]
    for stratum in membership:
        for person, row in enumerate(stratum):
            if row >= 0:
                members[row].add(person)
    training = sorted({int(r) for s in membership[train] for r in s if r >= 0})
    best, value = [], []
    for row in range(n):
        if row in training:
            best.append(row)
            value.append(1.0)
            continue
        scores = [
            (len(members[row] & members[t]) / len(members[row] | members[t]), -t)
            for t in training
            if members[row] & members[t]
        ]
        top = max(scores, default=(0.0, 1))
        best.append(-top[1])
        value.append(top[0])
    return best, value


def strata_of(rng: np.random.Generator, people: int, planted: bool) -> np.ndarray:
    """Three strata over ``people`` respondents: two training (sex: rows 0-1; religion: rows
    2-4) and one held out (rows 5-8, each a random quarter of the people). PLANTED: row 5 is
    exactly the people of religion row 2 (a near-copy)."""
    sex = rng.integers(0, 2, people)
    religion = 2 + rng.integers(0, 3, people)
    held = 5 + rng.integers(0, 4, people)
    if planted:
        held = np.where(religion == 2, 5, 6 + rng.integers(0, 3, people))
    return np.stack([sex, religion, held])


@pytest.mark.parametrize("planted", [False, True])
def test_train_overlap_matches_a_literal_jaccard_and_finds_a_near_copy(planted: bool) -> None:
    rng = np.random.default_rng(4)
    membership = strata_of(rng, 200, planted)
    train = np.array([True, True, False])
    best, jaccard = train_overlap(membership, train, 9)
    expected_best, expected = literal_overlap(membership, train, 9)
    assert best.tolist() == expected_best
    np.testing.assert_allclose(jaccard, expected, atol=1e-12)
    if planted:
        assert (best[5], jaccard[5]) == (2, 1.0)
    else:
        # NULL: held-out rows are random quarters, no copy of anyone: a quarter of the people
        # against a training subgroup of a half or a third overlaps by well under 0.5.
        assert (jaccard[5:] < 0.5).all()


def test_train_overlap_of_subgroups_sharing_no_one() -> None:
    membership = np.array([[0, 0, -1, -1], [-1, -1, 1, 1]])
    best, jaccard = train_overlap(membership, np.array([True, False]), 2)
    assert best.tolist() == [0, -1]
    assert jaccard.tolist() == [1.0, 0.0]


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (1.0, ">=0.9"),
        (0.9, ">=0.9"),
        (27 / 30, ">=0.9"),
        (np.nextafter(0.9, 0.0), "0.5-0.9"),
        (0.5, "0.5-0.9"),
        (np.nextafter(0.5, 0.0), "<0.5"),
        (0.0, "<0.5"),
        (float("nan"), None),
    ],
)
def test_overlap_bands_include_their_lower_bound(value: float, band: str | None) -> None:
    # Documented bands: >= 0.9, [0.5, 0.9), < 0.5; a Jaccard of exactly 27/30 is a near-copy.
    assert overlap_band([value]) == [band]


@pytest.mark.parametrize(
    ("validation", "test_id", "fragment"),
    [
        (math.nan, 0.1, "validation_fraction nan"),
        (0.05, math.inf, "test_id_fraction inf"),
        (-0.1, 0.1, "validation_fraction -0.1"),
        (0.7, 0.7, "must be below 1"),
        (0.5, 0.5, "must be below 1"),
    ],
)
@pytest.mark.parametrize("function", ["question_splits", "assign_splits", "split_manifest"])
def test_shares_of_held_out_questions_are_checked(
    function: str, validation: float, test_id: float, fragment: str
) -> None:
    """A NaN share held nothing out, and 0.7 + 0.7 put every question in validation and none
    in test_id, silently: the config's rule holds for the functions themselves."""
    calls = {
        "question_splits": lambda: question_splits(["Q1", "Q2"], 0, validation, test_id),
        "assign_splits": lambda: assign_splits(samples_table(2), [], 0, validation, test_id),
        "split_manifest": lambda: split_manifest(["a"], ["b"], 0, validation, test_id),
    }
    with pytest.raises(ConfigError, match=fragment):
        calls[function]()


def test_shares_within_the_bounds_pass() -> None:
    draws = id_hash([f"Q{q}" for q in range(1, 41)], 0)
    split = question_splits([f"Q{q}" for q in range(1, 41)], 0, 0.25, 0.25)
    assert list(split == "validation") == list(draws < 0.25)
    assert list(split == "test_id") == list((draws >= 0.25) & (draws < 0.5))
