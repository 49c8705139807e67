"""Split assignment: OOD isolation, disjointness, training coverage, determinism."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from sgbench.splits import assign_splits, id_hash


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
