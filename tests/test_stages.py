"""Each builder stage on tiny hand-made inputs, against values worked out by hand."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from sgbench.builder.aggregate import aggregate
from sgbench.builder.config import AttributeSource, PersonaPhrase, ValueRange, parse_config
from sgbench.builder.harmonise import attribute_labels, harmonise, item_positions
from sgbench.builder.subgroups import find_subgroups, persona_sentence
from sgbench.catalogue import Item, Option, items_by_id
from sgbench.errors import ConfigError, InputError
from sgbench.schema.ids import slug, subgroup_id


def tiny_config(**overrides: Any) -> Any:
    raw: dict[str, Any] = {
        "name": "tiny",
        "wave": 7,
        "country": "SGP",
        "country_name": "Singapore",
        "weight": "W_WEIGHT",
        "min_subgroup_size": 2,
        "min_valid_answers": 2,
        "attributes": {
            "sex": {
                "variable": "Q260",
                "values": {"Male": [1], "Female": [2]},
                "persona": {"role": "noun", "phrases": {"Male": "man", "Female": "woman"}},
            },
            "age_group": {
                "variable": "X003R",
                "values": {"young": [1, 2], "old": [3, 4, 5, 6]},
                "derive_from": {
                    "variable": "Q262",
                    "values": {"young": {"min": 16, "max": 34}, "old": {"min": 35, "max": 99}},
                },
                "persona": {"role": "suffix", "phrases": {"young": "aged under 35"}},
            },
        },
        "strata": [["sex"], ["age_group"], ["age_group", "sex"]],
        "ood_strata": [["sex", "age_group"]],
    }
    raw.update(overrides)
    return parse_config(raw, "tiny.yaml")


# Q119: options in scale order 1, 2, 0 (hard to say), 3, 4.
Q119 = items_by_id()["Q119"]
BINARY = Item(
    question_id="Q57",
    section="Social Capital, Trust and Organizational Membership",
    question="Can most people be trusted?",
    scale_type="binary",
    options=(Option(1, "Most people can be trusted"), Option(2, "Need to be very careful")),
)


def raw_rows() -> pd.DataFrame:
    #            sex age  X003R Q119 Q57 weight
    rows = [
        (1, 20, 1, 1, 1, 1.0),
        (1, 30, 2, 0, 2, 2.0),
        (1, 50, 4, 0, 1, 1.0),
        (2, 25, 2, 3, 1, 1.0),
        (2, 60, 5, -1, 2, 3.0),
        (2, 70, 6, 9, 2, 1.0),  # 9: a code Q119 does not have
    ]
    frame = pd.DataFrame(rows, columns=["Q260", "Q262", "X003R", "Q119", "Q57", "W_WEIGHT"])
    return frame.astype("float64")


def test_attribute_labels_codes_ranges_and_missing() -> None:
    source = AttributeSource("X", {"a": (1, 2), "b": ValueRange(10, 20)})
    labels = attribute_labels(pd.Series([1.0, 2.0, 15.0, 20.0, 3.0, -1.0, np.nan]), source)
    assert list(labels.astype(object)) == ["a", "a", "b", "b", np.nan, np.nan, np.nan]
    assert list(labels.categories) == ["a", "b"]


def test_attribute_labels_reads_a_range_by_whole_part() -> None:
    """A range counts completed units (WVS Q262 is the age in completed years): 24.5 is 24, in
    16-24, where it fell between 16-24 and 25-34 and had no value."""
    source = AttributeSource("Q262", {"16-24": ValueRange(16, 24), "25-34": ValueRange(25, 34)})
    ages = [16.0, 24.0, 24.5, 24.999, 25.0, 34.99, 15.9, 35.0, -1.5]
    labels = attribute_labels(pd.Series(ages), source)
    expected = ["16-24"] * 4 + ["25-34"] * 2 + [np.nan] * 3
    assert list(labels.astype(object)) == expected


def test_attribute_labels_refuses_overlapping_values() -> None:
    source = AttributeSource("X", {"a": (1, 2), "b": ValueRange(2, 5)})
    with pytest.raises(InputError, match="more than one value"):
        attribute_labels(pd.Series([2.0]), source)


def test_item_positions_follow_scale_order_and_drop_non_substantive_codes() -> None:
    codes = pd.Series([1.0, 2.0, 0.0, 3.0, 4.0, -1.0, -4.0, 9.0, np.nan])
    positions, unexpected = item_positions(codes, Q119)
    assert positions.tolist()[:5] == [0, 1, 2, 3, 4]
    assert positions.isna().tolist()[5:] == [True] * 4
    assert unexpected == 1  # only code 9; negatives and NaN are ordinary missing answers

    q254 = items_by_id()["Q254"]
    positions, unexpected = item_positions(pd.Series([1.0, 5.0]), q254)
    assert positions.isna().tolist() == [False, True]
    assert unexpected == 0  # 5 is a known non-substantive code


def test_harmonise_weights_labels_and_derived_age() -> None:
    config = tiny_config()
    respondents = harmonise(raw_rows(), config, [Q119, BINARY], weighted=True)
    table = respondents.table
    assert respondents.weighted
    assert table["weight"].tolist() == [1.0, 2.0, 1.0, 1.0, 3.0, 1.0]
    assert table["age_group"].astype(str).tolist() == ["young"] * 2 + ["old", "young"] + ["old"] * 2
    assert table["Q119"].tolist()[:4] == [0, 2, 2, 3]
    assert respondents.unexpected_codes == {"Q119": 1}

    # Without X003R the age in years decides, through derive_from.
    no_x003r = raw_rows().drop(columns="X003R")
    derived = harmonise(no_x003r, config, [Q119], weighted=False)
    assert derived.attribute_sources["age_group"].variable == "Q262"
    assert (
        derived.table["age_group"].astype(str).tolist() == table["age_group"].astype(str).tolist()
    )
    assert derived.table["weight"].tolist() == [1.0] * 6
    assert not derived.weighted


def test_harmonise_names_a_missing_attribute_column() -> None:
    frame = raw_rows().drop(columns=["X003R", "Q262"])
    with pytest.raises(InputError, match=r"missing column X003R \(or Q262\).*age_group"):
        harmonise(frame, tiny_config(), [Q119], weighted=True)


def test_harmonise_refuses_negative_weights() -> None:
    frame = raw_rows()
    frame.loc[2, "W_WEIGHT"] = -1.0
    with pytest.raises(InputError, match="W_WEIGHT: 1 respondent"):
        harmonise(frame, tiny_config(), [Q119], weighted=True)


def test_subgroups_sizes_ids_and_memberships() -> None:
    config = tiny_config(min_subgroup_size=3)
    respondents = harmonise(raw_rows(), config, [Q119], weighted=True).table
    found = find_subgroups(respondents, config)
    table = found.table.set_index("subgroup_id")
    assert table.loc["sex=male", "subgroup_size"] == 3
    assert table.loc["age_group=young", "subgroup_size"] == 3
    assert table.loc["sex=female&age_group=old", "subgroup_size"] == 2
    assert not table.loc["sex=female&age_group=old", "kept"]
    assert table.loc["sex=male", "age_group"] is None
    assert table.loc["sex=male&age_group=young", "stratum"] == "sex_x_age_group"
    row = {sid: i for i, sid in enumerate(found.table["subgroup_id"])}

    def members(sid: str) -> list[int]:
        return sorted(np.flatnonzero((found.membership == row[sid]).any(axis=0)).tolist())

    assert members("sex=female") == [3, 4, 5]
    assert members("age_group=old") == [2, 4, 5]
    assert members("sex=female&age_group=old") == []  # dropped subgroups have no members
    # Each respondent is in at most one subgroup per stratum.
    assert found.membership.shape == (3, 6)


def test_persona_sentence_and_ids() -> None:
    config = tiny_config()
    female, young = (
        config.attributes["sex"].persona["Female"],
        config.attributes["age_group"].persona["young"],
    )
    assert persona_sentence([female, young], "Singapore") == (
        "You are a woman aged under 35, living in Singapore."
    )
    # A value without a phrase reads as its label, in its attribute's role (here: suffix).
    assert persona_sentence([config.attributes["age_group"].persona["old"]], "Singapore") == (
        "You are a person old, living in Singapore."
    )
    adjectives = [PersonaPhrase("adjective", "Indian"), PersonaPhrase("adjective", "Hindu")]
    assert persona_sentence([*adjectives, female], "Singapore") == (
        "You are an Indian Hindu woman living in Singapore."
    )
    assert slug("Roman Catholic") == "roman_catholic"
    assert subgroup_id({"age_group": "65+", "religion": "No religion"}) == (
        "age_group=65+&religion=no_religion"
    )


def test_aggregate_counts_weighted_shares_modes_and_margin() -> None:
    config = tiny_config(min_subgroup_size=1, min_valid_answers=1)
    respondents = harmonise(raw_rows(), config, [Q119, BINARY], weighted=True).table
    found = find_subgroups(respondents, config)
    result = aggregate(respondents, found, [Q119, BINARY], 1)
    rows = result.samples.materialise().to_pandas().set_index("id")

    # Men answered Q119 with codes 1, 0, 0 (weights 1, 2, 1): positions 0, 2, 2.
    men = rows.loc["Q119/sex=male"]
    assert list(men["counts"]) == [1, 0, 2, 0, 0]
    np.testing.assert_allclose(men["distribution"], [0.25, 0, 0.75, 0, 0])
    assert men["answer"] == 0
    assert list(men["modal_answers"]) == [0]
    assert men["margin"] == pytest.approx(0.5)
    assert men["n_valid"] == 3
    assert men["subgroup_size"] == 3

    # Women: codes 3 (w 1), -1 (missing), 9 (unknown → missing): one valid answer.
    women = rows.loc["Q119/sex=female"]
    assert list(women["counts"]) == [0, 0, 0, 1, 0]
    assert women["n_valid"] == 1

    # Q57 among the young (weights 1, 2, 1): code 1 twice (w 2), code 2 once (w 2): a tie.
    young = rows.loc["Q57/age_group=young"]
    assert list(young["counts"]) == [2, 1]
    np.testing.assert_allclose(young["distribution"], [0.5, 0.5])
    assert list(young["modal_answers"]) == [1, 2]
    assert young["answer"] == 1  # the first tied option in scale order
    assert young["margin"] == 0.0
    assert list(young["options"]) == [
        {"code": 1, "label": "Most people can be trusted", "off_scale": False},
        {"code": 2, "label": "Need to be very careful", "off_scale": False},
    ]
    assert young["persona"] == "You are a person aged under 35, living in Singapore."
    assert young["section"] == BINARY.section


def test_aggregate_tie_respects_scale_order_not_code_order() -> None:
    config = tiny_config(min_subgroup_size=1, min_valid_answers=1)
    frame = raw_rows()
    # Two men answer 0 ("hard to say", position 2) and 1 (position 0) with equal weight.
    frame["W_WEIGHT"] = 1.0
    frame["Q119"] = [0.0, 1.0, -2.0, 3.0, 3.0, 4.0]
    respondents = harmonise(frame, config, [Q119], weighted=True).table
    found = find_subgroups(respondents, config)
    rows = (
        aggregate(respondents, found, [Q119], 1).samples.materialise().to_pandas().set_index("id")
    )
    men = rows.loc["Q119/sex=male"]
    assert list(men["modal_answers"]) == [1, 0]  # scale order: 1 before 0
    assert men["answer"] == 1


def test_aggregate_drops_pairs_below_min_valid_answers() -> None:
    config = tiny_config(min_subgroup_size=1)
    respondents = harmonise(raw_rows(), config, [Q119], weighted=True).table
    found = find_subgroups(respondents, config)
    result = aggregate(respondents, found, [Q119], 3)
    # Only pairs with ≥ 3 valid Q119 answers remain: men (3) and the young (3).
    assert sorted(result.samples.keys()["id"]) == ["Q119/age_group=young", "Q119/sex=male"]
    assert result.pairs_below_threshold > 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"strata": [["sex"], ["nope"]]}, "unknown attribute"),
        ({"ood_strata": [["sex"], ["age_group"], ["sex", "age_group"]]}, "for training"),
        ({"ood_strata": [["sex", "sex"]]}, "non-unique|unique"),
        ({"min_subgroup_size": 0}, "min_subgroup_size"),
        ({"wave": 6}, "wave"),
        ({"colour": "blue"}, "colour"),
        ({"validation_fraction": 0.5, "test_id_fraction": 0.5}, "below 1"),
    ],
)
def test_config_errors_name_the_key(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        tiny_config(**change)


def test_config_strata_are_put_in_attribute_order() -> None:
    config = tiny_config()
    assert config.strata[2] == ("sex", "age_group")
    assert config.ood_strata == (("sex", "age_group"),)
