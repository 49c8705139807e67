"""The build family's public functions called from Python with what the command line never
passes: a list holding a None, a count of 0, a wave with no catalogue, a country code that is
not one, ``ALL`` beside a config file, samples without their split keys."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest
from api_entries_build import TINY_CONFIG
from test_waves_countries import all_samples, malaysian, write_csv

from sgbench.builder import build_dataset, resolve_config, write_synthetic_sample
from sgbench.builder.synthetic import MAX_RESPONDENTS, synthetic_csv_bytes, synthetic_sample
from sgbench.catalogue import (
    country_numeric_code,
    items_by_id,
    load_catalogue,
    load_countries,
    load_crosswalk,
    load_value_labels,
)
from sgbench.errors import ConfigError, InputError
from sgbench.splits import SPLIT_DEFINITIONS, assign_splits, question_splits, split_manifest


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


@pytest.mark.parametrize("code", ["A\nB", "S G", "SG-P", "٧٠٢"])
def test_a_country_code_is_letters_or_digits(code: str, tmp_path: Path) -> None:
    """An unknown code becomes the persona's country name: a newline of it reached the config
    resolve_config returned. country_numeric_code holds codes to the same form."""
    for config_path in (None, tiny_config(tmp_path)):
        with pytest.raises(ConfigError, match="neither alpha-3 letters nor ASCII digits"):
            resolve_config(config_path, code)
    with pytest.raises(InputError, match="neither alpha-3 letters nor ASCII digits"):
        country_numeric_code(code)


@pytest.mark.parametrize("code", ["X" * 201, "0" * 300 + "702", "9" * 5000])
def test_a_country_code_is_at_most_200_characters(code: str, tmp_path: Path) -> None:
    """Judged before its characters: 300 ASCII digits were refused as "neither alpha-3 letters
    nor ASCII digits", and country_numeric_code("9" * 5000) raised Python's ValueError (its
    4,300-digit limit on int())."""
    too_long = f"has {len(code):,} characters; a code has at most 200"
    for config_path in (None, tiny_config(tmp_path)):
        with pytest.raises(ConfigError, match=too_long):
            resolve_config(config_path, code)
    with pytest.raises(InputError, match=too_long):
        country_numeric_code(code)


def test_a_country_code_of_200_digits_is_read() -> None:
    """The bound is 200 characters: 197 leading zeros and Singapore's 702 still name it."""
    assert country_numeric_code("0" * 197 + "702") == 702


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


# Probe 10: results right for the arguments given, and results that are the caller's own.


def _draw(question_id: str, seed: int) -> float:
    """The split hash, written out again here (splits module docstring)."""
    digest = hashlib.blake2b(f"{seed}:{question_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def test_every_copy_of_a_question_gets_its_split() -> None:
    """When every question draws a held-out split, the largest draw trains; with one question
    listed three times, one copy trained and two were test_id."""
    assert _draw("Q7", 0) < 0.99  # so Q7 alone is held out, and the fallback must apply
    assert list(question_splits(["Q7"] * 3, 0, 0.5, 0.49)) == ["train"] * 3


def test_a_categorical_question_column_is_split_by_its_values() -> None:
    """An unused category (Q9) took the "one question trains" fallback, and no sample trained."""
    seed, validation, test_id = 0, 0.4, 0.4
    draws = {q: _draw(q, seed) for q in ("Q1", "Q2")}
    expected = {
        q: "validation" if d < validation else "test_id" if d < validation + test_id else "train"
        for q, d in draws.items()
    }
    if "train" not in expected.values():
        expected[max(draws, key=draws.__getitem__)] = "train"
    questions = pd.Categorical(["Q1", "Q2", "Q1", "Q2"], categories=["Q2", "Q1", "Q9"])
    samples = pd.DataFrame({"stratum": ["sex"] * 4, "question_id": questions})
    got = assign_splits(samples, [], seed, validation, test_id)["default"]
    assert list(got) == [expected[q] for q in ["Q1", "Q2", "Q1", "Q2"]]
    assert "train" in set(got)


@pytest.mark.parametrize(
    ("ood", "in_distribution", "message"),
    [
        (["a_x_b"], ["a_x_b"], "stratum 'a_x_b' is both held out"),
        (["a_x_b", "a_x_b"], ["a"], "argument 'ood_strata' lists 'a_x_b' twice"),
        (["a_x_b"], ["a", "a"], "argument 'in_distribution_strata' lists 'a' twice"),
    ],
)
def test_a_split_manifest_never_contradicts_itself(
    ood: list[str], in_distribution: list[str], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        split_manifest(ood, in_distribution, 0, 0.05, 0.1)


def test_split_rules_are_the_callers_own_copy(tmp_path: Path) -> None:
    """A manifest held SPLIT_DEFINITIONS itself: an edit of one build's returned manifest was
    written into every later build's manifest.json."""
    with pytest.raises(TypeError):
        SPLIT_DEFINITIONS["paper"]["train"] = "edited"  # type: ignore[index]
    rules = split_manifest(["a_x_b"], ["a"], 0, 0.05, 0.1)["rules"]
    rules["paper"]["train"] = "edited"
    assert SPLIT_DEFINITIONS["paper"]["train"] != "edited"
    wvs = tmp_path / "w.csv"
    wvs.write_bytes(synthetic_csv_bytes(n=120))
    summary = build_dataset(wvs, tmp_path / "one", tiny_config(tmp_path))
    summary.manifest["splits"]["rules"]["paper"]["train"] = "edited"
    build_dataset(wvs, tmp_path / "two", tmp_path / "c.json")
    written = json.loads((tmp_path / "two" / "manifest.json").read_text(encoding="utf-8"))
    assert written["splits"]["rules"]["paper"]["train"] == SPLIT_DEFINITIONS["paper"]["train"]


@pytest.mark.parametrize("code", ["SGP", "sgp", " SGP", "SGP ", "702", "0702"])
def test_every_spelling_of_a_country_names_it_everywhere(code: str) -> None:
    """``country_numeric_code(" SGP")`` and ``("702")`` were None while ``--country " SGP"``
    and ``--country 702`` built Singapore (its numeric code is 702 in countries.json)."""
    assert country_numeric_code(code) == 702
    assert resolve_config(None, code).country == "SGP"


@pytest.mark.parametrize("code", ["ZZZ", "999"])
def test_a_code_the_catalogue_does_not_know_has_no_number(code: str) -> None:
    assert country_numeric_code(code) is None


def _with(tmp_path: Path, **change: object) -> Path:
    path = tmp_path / "changed.json"
    path.write_text(json.dumps({**TINY_CONFIG, **change}), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("strata", "ood", "coarse", "finer"),
    [
        (
            [["sex"], ["religion"], ["sex", "religion"]],
            [["religion"]],
            "religion",
            "sex_x_religion",
        ),
        ([["sex"], ["sex", "religion"]], [["sex"]], "sex", "sex_x_religion"),
    ],
)
def test_a_held_out_stratum_must_not_be_a_sum_of_training_subgroups(
    strata: list[list[str]], ood: list[list[str]], coarse: str, finer: str, tmp_path: Path
) -> None:
    """Every test_ood sample of such a config equalled the sum of the counts of train samples
    (1,666 of 1,666 on the embedded sample): the held-out subgroups were seen in training."""
    path = _with(tmp_path, strata=strata, ood_strata=ood)
    with pytest.raises(ConfigError, match=f"{coarse} is held out but .* stratum {finer}"):
        resolve_config(path, None)


def test_a_held_out_stratum_finer_than_the_training_ones_is_kept(tmp_path: Path) -> None:
    """The usual design (the paper's): training strata coarser than the held-out one."""
    path = _with(tmp_path, strata=[["sex"], ["religion"], ["sex", "religion"]])
    assert resolve_config(path, None).ood_strata == (("sex", "religion"),)


def test_the_paper_config_is_known_by_its_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any file named singapore.yaml was taken for the paper's config (and compared with the
    paper's counts) when given by a relative path, and not when given by an absolute one."""
    shipped = resources.files("sgbench.builder").joinpath("configs", "singapore.yaml")
    text = shipped.read_text(encoding="utf-8")
    (tmp_path / "singapore.yaml").write_text(text, encoding="utf-8")
    edited = tmp_path / "edited"
    edited.mkdir()
    (edited / "singapore.yaml").write_text(
        text.replace("min_valid_answers: 30", "min_valid_answers: 31"), encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    relative = build_dataset(None, "rel", "singapore.yaml").manifest
    absolute = build_dataset(None, "abs", tmp_path / "singapore.yaml").manifest
    assert relative["paper_counts"] is not None
    assert absolute == relative
    monkeypatch.chdir(edited)
    assert build_dataset(None, "ed", "singapore.yaml").manifest["paper_counts"] is None


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (unicodedata.normalize("NFC", "Café"), unicodedata.normalize("NFD", "Café")),
        ("Buddhist", "\uff22uddhist"),  # a full-width B
    ],
)
def test_personas_that_read_alike_are_one_persona(first: str, second: str, tmp_path: Path) -> None:
    """Values ``Café`` composed and decomposed got two ids (``caf``, ``cafe``) and two
    personas that look the same, which the one-persona rule compared byte for byte."""
    religion = {"variable": "Q289", "values": {first: [0], second: [7]}}
    path = _with(tmp_path, attributes={**TINY_CONFIG["attributes"], "religion": religion})
    wvs = tmp_path / "w.csv"
    wvs.write_bytes(synthetic_csv_bytes(n=120))
    with pytest.raises(ConfigError, match="have one persona"):
        build_dataset(wvs, tmp_path / "ds", path)
    assert not (tmp_path / "ds").exists()


def test_a_files_name_is_escaped_in_the_card_and_the_summary(tmp_path: Path) -> None:
    """A `|` split the card's provenance table, and a U+202E reordered the summary's line
    (and the card's): names are the user's text."""
    wvs = tmp_path / "x|y`<b>\u202e.csv"
    wvs.write_bytes(synthetic_csv_bytes(n=120))
    summary = build_dataset(wvs, tmp_path / "ds", tiny_config(tmp_path))
    card = (tmp_path / "ds" / "README.md").read_text(encoding="utf-8")
    # The file carries the mark of `sgbench synth`: a SYNTHETIC build, which says so.
    assert "| source file | x\\|y\\`&lt;b&gt;.csv (generated) |" in card.splitlines()
    assert "\u202e" not in card
    line = summary.render().splitlines()[1]
    assert line.endswith("from x|y`<b>\\u202e.csv [synthetic (csv)]")
    assert "\u202e" not in summary.render()
