"""The build family's public functions called from Python with what the command line never
passes: a list holding a None, a count of 0, a wave with no catalogue, a country code that is
not one, ``ALL`` beside a config file, samples without their split keys."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from api_entries_build import TINY_CONFIG
from test_waves_countries import all_samples, malaysian, write_csv

from sgbench.builder import build_dataset, resolve_config, write_synthetic_sample
from sgbench.builder.synthetic import MAX_RESPONDENTS, synthetic_sample
from sgbench.catalogue import (
    country_numeric_code,
    items_by_id,
    load_catalogue,
    load_countries,
    load_crosswalk,
    load_value_labels,
)
from sgbench.errors import ConfigError, InputError
from sgbench.splits import assign_splits, question_splits, split_manifest


def tiny_config(folder: Path) -> Path:
    path = folder / "c.json"
    path.write_text(json.dumps(TINY_CONFIG), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"wvs_path": [None]}, "argument 'wvs_path': element 0 must be a path, got NoneType"),
        ({"waves": [True]}, "argument 'waves': element 0 must be a wave number, got bool"),
        ({"waves": [7, "6"]}, "argument 'waves': element 1 must be a wave number, got str"),
        ({"waves": [7.0]}, "argument 'waves': element 0 must be a wave number, got float"),
    ],
)
def test_a_list_element_of_the_wrong_kind_is_refused(
    arguments: dict[str, object], message: str, tmp_path: Path
) -> None:
    """[None] was a TypeError from pathlib; [True] and ['7'] were refused as waves missing from
    the file ('--wave 7: no respondent ... (waves found: [7])')."""
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build_dataset(out_dir=tmp_path / "ds", **arguments)  # type: ignore[arg-type]
    assert not (tmp_path / "ds").exists()


def test_question_ids_and_strata_must_be_texts() -> None:
    """A None among question ids was split as the question 'None'; among strata, recorded."""
    with pytest.raises(InputError, match="'question_ids': element 1 must be a text"):
        question_splits(["Q1", None], 0, 0.1, 0.1)  # type: ignore[list-item]
    with pytest.raises(InputError, match="'in_distribution_strata': element 0 must be"):
        split_manifest(["a_x_b"], [None], 0, 0.1, 0.1)  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("samples", "message"),
    [
        (pd.DataFrame({"question_id": ["Q1"]}), "has no column 'stratum'"),
        (pd.DataFrame({"stratum": ["sex"], "question_id": [None]}), "row 0 has no question_id"),
    ],
)
def test_samples_without_their_split_keys_are_refused(samples: pd.DataFrame, message: str) -> None:
    """A missing column was a KeyError; a missing question id took the split of the last
    question in alphabetical order (pandas' category code -1)."""
    with pytest.raises(InputError, match=message):
        assign_splits(samples, ["sex_x_religion"])


def test_the_split_of_samples_is_the_split_of_their_question() -> None:
    """Hand-checked: with validation 0.5 and test_id 0, each question goes where its draw puts
    it, and every sample of an OOD stratum is test_ood."""
    samples = pd.DataFrame(
        {"stratum": ["sex", "sex", "sex", "a_x_b"], "question_id": ["Q1", "Q2", "Q1", "Q2"]}
    )
    splits = assign_splits(samples, ["a_x_b"], seed=3, validation_fraction=0.5, test_id_fraction=0)
    by_question = dict(zip(["Q1", "Q2"], question_splits(["Q1", "Q2"], 3, 0.5, 0), strict=True))
    expected = [by_question["Q1"], by_question["Q2"], by_question["Q1"], "test_ood"]
    assert list(splits["default"]) == expected
    assert list(splits["paper"]) == ["train", "train", "train", "test_ood"]


@pytest.mark.parametrize("n", [0, -1, MAX_RESPONDENTS + 1])
def test_a_synthetic_sample_has_at_least_one_and_at_most_a_million_respondents(
    n: int, tmp_path: Path
) -> None:
    """n=0 wrote a header with no respondent and NaN weights; -1 and 2**62 were numpy's
    ValueErrors."""
    with pytest.raises(InputError, match=f"n {n}: a synthetic sample has 1 to 1,000,000"):
        write_synthetic_sample(tmp_path / "s.csv", n=n)
    assert list(tmp_path.iterdir()) == []
    assert len(synthetic_sample(n=1)) == 1


@pytest.mark.parametrize("wave", [6, 0, -1])
def test_a_wave_without_a_catalogue_is_an_input_error(wave: int) -> None:
    with pytest.raises(InputError, match=f"wave {wave}: no item catalogue"):
        load_catalogue(wave)
    with pytest.raises(InputError, match=f"wave {wave}: no item catalogue"):
        items_by_id(wave)


@pytest.mark.parametrize("code", ["A\nB", "S G", "SG-P", "X" * 201])
def test_a_country_code_is_letters_or_digits(code: str, tmp_path: Path) -> None:
    """An unknown code becomes the persona's country name: a newline or 100 kB of it reached
    the config resolve_config returned."""
    for config_path in (None, tiny_config(tmp_path)):
        with pytest.raises(ConfigError, match="neither alpha-3 letters nor ASCII digits"):
            resolve_config(config_path, code)


def test_all_countries_with_a_config_file_makes_country_an_attribute(tmp_path: Path) -> None:
    """``country=ALL`` beside a config file built one subgroup per value over every country's
    respondents, living "in ALL"; it now crosses the file's strata with country, as without."""
    config = resolve_config(tiny_config(tmp_path), "ALL")
    everywhere = tmp_path / "all.json"
    everywhere.write_text(json.dumps({**TINY_CONFIG, "country": "ALL"}), encoding="utf-8")
    assert resolve_config(everywhere, None) == config  # the file's own country: ALL, the same
    assert config.country == "ALL"
    assert config.name == "tiny"
    assert list(config.attributes) == ["country", "sex", "religion"]
    assert config.strata == (
        ("country",),
        ("country", "sex"),
        ("country", "religion"),
        ("country", "sex", "religion"),
    )
    assert config.ood_strata == (("country", "sex", "religion"),)
    sg = synthetic_sample(n=120)
    my = malaysian(synthetic_sample(seed=9, n=120))
    path = write_csv(pd.concat([sg, my], ignore_index=True), tmp_path / "two.csv")
    build_dataset(
        wvs_path=path, out_dir=tmp_path / "ds", config_path=tmp_path / "c.json", country="ALL"
    )
    samples = all_samples(tmp_path / "ds", "paper").set_index("id")
    # Each country's sex subgroup holds that country's men or women only, counted by hand.
    codes = items_by_id()["Q1"].codes
    men_sg = int(((sg["Q260"] == 1) & sg["Q1"].isin(codes)).sum())
    men_my = int(((my["Q260"] == 1) & my["Q1"].isin(codes)).sum())
    assert samples.loc["Q1/country=sgp&sex=male", "n_valid"] == men_sg
    assert samples.loc["Q1/country=mys&sex=male", "n_valid"] == men_my
    assert samples["persona"].str.contains("living in (?:Singapore|Malaysia)\\.$").all()


def test_the_catalogues_mappings_are_read_only() -> None:
    """They are cached for the process: a caller's pop or assignment changed every later
    build's countries, crosswalk or labels."""
    countries = load_countries()
    with pytest.raises(TypeError):
        del countries["SGP"]  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        countries["MYS"].ethnicity["Malay"] = (1,)  # type: ignore[index]
    with pytest.raises(TypeError):
        load_crosswalk()["wvs6"]["Q1"] = load_crosswalk()["wvs6"]["Q2"]  # type: ignore[index]
    with pytest.raises(TypeError):
        load_value_labels()["Q260"][1] = "Female"  # type: ignore[index]
    assert country_numeric_code("SGP") == 702


def test_all_countries_refuses_a_config_with_its_own_country_attribute(tmp_path: Path) -> None:
    """ALL adds ``country`` to every stratum: a config's own attribute of that name would have
    made strata naming it twice."""
    own = {"variable": "B_COUNTRY", "values": {"SG": [702]}}
    path = tmp_path / "c.json"
    attributes = {**TINY_CONFIG["attributes"], "country": own}
    path.write_text(json.dumps({**TINY_CONFIG, "attributes": attributes}), encoding="utf-8")
    assert "country" in resolve_config(path, "SGP").attributes
    with pytest.raises(ConfigError, match=r"\$.attributes.country: country ALL makes 'country'"):
        resolve_config(path, "ALL")
