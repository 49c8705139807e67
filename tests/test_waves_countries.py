"""Other release layouts (Wave 6, Time Series), the temporal config, and other countries."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from sgbench.builder import build_dataset, resolve_config
from sgbench.builder.config import parse_config
from sgbench.builder.synthetic import synthetic_sample, to_layout
from sgbench.catalogue import items_by_id, load_catalogue, load_countries, load_crosswalk
from sgbench.dataset import load_config, load_manifest
from sgbench.errors import ConfigError, InputError
from sgbench.publish import check_dataset

SHARED = ["id", "counts", "distribution", "answer", "modal_answers", "subgroup_size", "n_valid"]


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


def all_samples(folder: Path, config: str = "default") -> pd.DataFrame:
    return pd.concat(load_config(folder, config).values(), ignore_index=True)


def test_crosswalk_covers_the_catalogue_and_maps_onto_options() -> None:
    crosswalk = load_crosswalk()
    items = items_by_id()
    assert set(crosswalk["timeseries"]) == set(items)  # every value item has a Time Series code
    assert 150 < len(crosswalk["wvs6"]) < len(items)
    assert crosswalk["timeseries"]["Q1"].variable == "A001"
    assert crosswalk["wvs6"]["Q1"].variable == "V4"
    assert crosswalk["timeseries"]["Q240"].variable == "E033"
    assert crosswalk["wvs6"]["Q240"].variable == "V95"
    # Wave 6 codes "no" as 5 on these yes/no items.
    assert crosswalk["wvs6"]["Q139"].codes == {1: 1, 5: 2}
    for question_id, equivalent in crosswalk["wvs6"].items():
        for target in (equivalent.codes or {}).values():
            assert target is None or target in items[question_id].codes, question_id


@pytest.fixture(scope="module")
def wave7_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("w7")
    path = write_csv(synthetic_sample(), folder / "w7.csv")
    build_dataset(wvs_path=path, out_dir=folder / "ds")
    return folder / "ds"


def test_wave6_layout_reads_back_to_the_same_samples(wave7_build: Path, tmp_path: Path) -> None:
    """The synthetic respondents written in Wave 6 names and codes give the same aggregates
    for every item Wave 6 has: renaming, religion and ethnicity recodes and item code maps all
    undo the layout."""
    path = write_csv(to_layout(synthetic_sample(), "wvs6"), tmp_path / "w6.csv")
    summary = build_dataset(wvs_path=path, out_dir=tmp_path / "ds")
    assert summary.manifest["built_from"]["layout"] == "wvs6"
    assert summary.manifest["built_from"]["wave"] == 6
    dropped = summary.manifest["items_dropped"]
    assert dropped["Q7"] == "not in the file"  # no Wave 6 equivalent
    assert "Q139" not in dropped  # recoded 1/5 → 1/2
    wave6 = all_samples(tmp_path / "ds").set_index("id")
    wave7 = all_samples(wave7_build).set_index("id")
    assert set(wave6.index) <= set(wave7.index)
    assert (wave6["wave"] == 6).all()
    common = wave7.loc[wave6.index]
    for column in SHARED[1:]:
        assert (
            wave6[column].map(list).tolist() == common[column].map(list).tolist()
            if column in {"counts", "distribution", "modal_answers"}
            else wave6[column].tolist() == common[column].tolist()
        ), column
    assert len(wave6) > 15_000


def test_time_series_with_two_waves_gives_a_temporal_config(
    wave7_build: Path, tmp_path: Path
) -> None:
    wave7 = to_layout(synthetic_sample(), "timeseries", wave=7, year=2020)
    wave6 = to_layout(synthetic_sample(seed=11), "timeseries", wave=6, year=2012)
    path = write_csv(pd.concat([wave6, wave7], ignore_index=True), tmp_path / "ts.csv")
    summary = build_dataset(wvs_path=path, out_dir=tmp_path / "ds", waves=[6, 7])
    manifest = load_manifest(tmp_path / "ds")
    assert list(manifest["configs"]) == ["default", "paper", "temporal"]
    assert manifest["built_from"]["layout"] == "timeseries"
    assert manifest["built_from"]["year"] == 2020
    assert [e["wave"] for e in manifest["earlier_waves"]] == [6]
    assert manifest["earlier_waves"][0]["year"] == [2012]
    assert "samples [temporal]" in summary.render()

    temporal = load_config(tmp_path / "ds", "temporal")
    train, test = temporal["train"], temporal["test"]
    assert train["id"].str.endswith("@w6").all()
    assert (train["wave"] == 6).all()
    assert (train["year"] == 2012).all()
    assert (test["wave"] == 7).all()
    assert (test["year"] == 2020).all()
    pairs = lambda f: set(f["subgroup_id"] + "/" + f["question_id"])  # noqa: E731
    assert pairs(train) == pairs(test)
    # The Wave 7 configs are those of a plain Wave 7 build.
    plain = all_samples(wave7_build).set_index("id")
    from_ts = all_samples(tmp_path / "ds").set_index("id")
    assert from_ts.index.tolist() == plain.index.tolist()
    assert from_ts["counts"].map(list).tolist() == plain["counts"].map(list).tolist()


def test_time_series_wave_not_in_file(tmp_path: Path) -> None:
    frame = to_layout(synthetic_sample(n=300), "timeseries", wave=7)
    path = write_csv(frame, tmp_path / "ts.csv")
    with pytest.raises(InputError, match=r"ts.csv: no respondent of SGP in wave\(s\) \[5\].*\[7\]"):
        build_dataset(wvs_path=path, out_dir=tmp_path / "ds", waves=[5])


def test_two_files_give_a_temporal_config_and_one_wave_twice_is_refused(tmp_path: Path) -> None:
    w7 = write_csv(synthetic_sample(), tmp_path / "w7.csv")
    w6 = write_csv(to_layout(synthetic_sample(seed=3), "wvs6"), tmp_path / "w6.csv")
    build_dataset(wvs_path=[w6, w7], out_dir=tmp_path / "ds")
    manifest = load_manifest(tmp_path / "ds")
    assert manifest["built_from"]["file"] == "w7.csv"
    assert manifest["earlier_waves"][0]["file"] == "w6.csv"
    assert manifest["configs"]["temporal"]["train"]["samples"] > 10_000
    with pytest.raises(InputError, match="wave 7 is also in"):
        build_dataset(wvs_path=[w7, w7], out_dir=tmp_path / "again")
    assert not (tmp_path / "again").exists()


def malaysian(frame: pd.DataFrame) -> pd.DataFrame:
    """The synthetic respondents relabelled as Malaysia, with Malaysia's ethnicity codes."""
    out = frame.copy()
    out["B_COUNTRY"] = 458
    out["B_COUNTRY_ALPHA"] = "MYS"
    out["Q290"] = out["Q290"].replace({702004: 458012, 702006: 458004, 702003: 458014})
    return out


def test_other_country_uses_the_generic_config_with_known_ethnicity(tmp_path: Path) -> None:
    config = resolve_config(None, "MYS")
    assert config.name == "wvs-mys-subgroups"
    assert config.country_name == "Malaysia"
    assert config.attributes["ethnicity"].source.values == {
        "Malay": (458004,),
        "Chinese": (458012,),
        "Indian": (458014,),
    }
    assert ("age_group", "ethnicity") in config.ood_strata
    assert "education" in config.attributes
    path = write_csv(malaysian(synthetic_sample()), tmp_path / "mys.csv")
    build_dataset(wvs_path=path, out_dir=tmp_path / "ds", country="MYS")
    samples = all_samples(tmp_path / "ds")
    assert set(samples["country"]) == {"MYS"}
    assert samples["persona"].str.endswith("living in Malaysia.").all()
    ids = set(samples["subgroup_id"])
    assert any(sid.startswith("ethnicity=") for sid in ids)
    # Malay is read from Malaysia's own code (458004): a subgroup of the build, published or
    # withheld by the generic config's disclosure control (then listed with its 30 or more).
    manifest = load_manifest(tmp_path / "ds")
    withheld = {d["subgroup_id"]: d["subgroup_size"] for d in manifest["subgroups"]["dropped"]}
    assert "ethnicity=malay" in ids or (
        withheld["ethnicity=malay"] >= 30 and manifest["disclosure"]["withheld_subgroups"] > 0
    )
    assert {"education", "income", "urban_rural"} <= set(samples["subgroup"].iloc[0])
    with pytest.raises(ConfigError, match="unknown country code 'ATLANTIS'"):
        resolve_config(None, "ATLANTIS")


def test_all_countries_never_mixes_countries(tmp_path: Path) -> None:
    both = pd.concat([synthetic_sample(), malaysian(synthetic_sample(seed=9))], ignore_index=True)
    path = write_csv(both, tmp_path / "two.csv")
    summary = build_dataset(wvs_path=path, out_dir=tmp_path / "ds", country="ALL")
    assert summary.manifest["built_from"]["respondents"] == 2 * 2012
    samples = all_samples(tmp_path / "ds")
    assert samples["subgroup_id"].str.match(r"^country=(sgp|mys)(&|$)").all()
    assert set(samples["country"]) == {"SGP", "MYS"}
    assert (samples["subgroup"].map(lambda s: s["country"]) == samples["country"]).all()
    sg = samples[samples["country"] == "SGP"]
    assert sg["persona"].str.endswith("living in Singapore.").all()
    assert samples.loc[samples["country"] == "MYS", "persona"].str.endswith("Malaysia.").all()
    # Each persona is recomputed from the recorded phrases (the place among them) on reading.
    place = summary.manifest["attributes"]["country"]["persona"]["MYS"]
    assert place == {"role": "place", "phrase": "Malaysia"}
    assert check_dataset(tmp_path / "ds").ok
    # Singapore's subgroups hold the same respondents as in a Singapore-only build.
    alone = tmp_path / "sg"
    build_dataset(wvs_path=write_csv(synthetic_sample(), tmp_path / "sg.csv"), out_dir=alone)
    single = all_samples(alone).set_index("id")
    row = sg.set_index("id").loc["Q46/country=sgp&sex=female"]
    assert list(row["counts"]) == list(single.loc["Q46/sex=female", "counts"])
    ood = load_config(tmp_path / "ds", "paper")["test_ood"]
    assert set(ood["stratum"]) == {
        "country_x_age_group_x_religion",
        "country_x_age_group_x_education",
        "country_x_religion_x_education",
        "country_x_age_group_x_ethnicity",
        "country_x_ethnicity_x_religion",
    }


def test_every_catalogue_country_resolves() -> None:
    countries = load_countries()
    assert countries["SGP"].numeric == 702
    for alpha in countries:
        config = resolve_config(None, alpha)
        assert config.country in {alpha, "SGP"}
    assert len(load_catalogue()) == 239


def test_default_output_folder_is_the_dataset_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from sgbench.cli import main

    path = write_csv(malaysian(synthetic_sample(n=600)), tmp_path / "mys.csv")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build", "-q", "--wvs", str(path), "--country", "MYS"])
    assert result.exit_code == 0, result.output
    assert load_manifest(tmp_path / "wvs-mys-subgroups")["name"] == "wvs-mys-subgroups"
    assert not (tmp_path / "wvs-sg-subgroups").exists()


SINGAPORE_YAML = (
    Path(__file__).resolve().parent.parent / "sgbench" / "builder" / "configs" / "singapore.yaml"
)


def singapore_raw(country: str, country_name: str) -> dict[str, object]:
    """The shipped Singapore config as parsed YAML, with ``country`` and ``country_name`` set."""
    raw = yaml.safe_load(SINGAPORE_YAML.read_text(encoding="utf-8"))
    return {**raw, "country": country, "country_name": country_name}


@pytest.mark.parametrize(
    ("country", "country_name", "named", "built"),
    [
        ("SGP", "Germany", "Germany (DEU)", "SGP (Singapore)"),
        ("702", "THE germany", "Germany (DEU)", "SGP (Singapore)"),
        ("sgp", "deu", "Germany (DEU)", "SGP (Singapore)"),
        ("SGP", "Netherlands", "the Netherlands (NLD)", "SGP (Singapore)"),
        ("MYS", "Singapore", "Singapore (SGP)", "MYS (Malaysia)"),
        ("XYZ", "Malaysia", "Malaysia (MYS)", "XYZ:"),
        # Read as a reader reads them (sgbench.errors.read_as, as model names are, #15):
        # fullwidth letters. Latin mixed with lookalikes of another script ('G\u0435rmany') is
        # refused before, as a persona phrase is (test_a_country_name_posing_as_latin...).
        ("SGP", "\uff27\uff45\uff52\uff4d\uff41\uff4e\uff59", "Germany (DEU)", "SGP (Singapore)"),
    ],
)
def test_a_country_name_of_another_catalogue_country_is_refused(
    country: str, country_name: str, named: str, built: str
) -> None:
    """``country: SGP`` with ``country_name: Germany`` built Singapore's respondents as people
    living in Germany, with exit code 0: the name contradicts the code. Names compare without
    case, spacing or a leading "the"; a catalogue code counts as its country's name."""
    with pytest.raises(ConfigError) as caught:
        parse_config(singapore_raw(country, country_name), "c.yaml")
    message = str(caught.value)
    assert message.startswith(f"c.yaml: $.country_name: {country_name!r} is {named}, ")
    assert f"but $.country is {built}" in message


@pytest.mark.parametrize(
    "country_name", ["G\u0435rmany", "\u039d\u0395THERLANDS", "Sing\u0430pore"]
)
def test_a_country_name_posing_as_latin_is_refused(country_name: str) -> None:
    """A name mixing Latin letters with lookalikes of another script (Cyrillic 'е', Greek Nu and
    Eta) reads as another string than it shows, whichever country it reads as
    (sgbench.schema.persona.posing_letter_problem, the persona phrases' rule)."""
    with pytest.raises(ConfigError) as caught:
        parse_config(singapore_raw("SGP", country_name), "c.yaml")
    message = str(caught.value)
    assert message.startswith(f"c.yaml: $.country_name: {country_name!r} mixes Latin letters")


@pytest.mark.parametrize(
    ("country", "country_name"),
    [
        ("SGP", "Singapore"),
        ("702", "singapore"),
        ("SGP", "the Republic of Singapore"),
        ("SGP", "Singapore and its islands"),
        ("SGP", "\uff33\uff49\uff4e\uff47\uff41\uff50\uff4f\uff52\uff45"),  # fullwidth, its own
        ("NLD", "Netherlands"),
        ("XKX", "Kosovo"),
        # Not used with ALL (each persona names its own country): a copy of singapore.yaml
        # with only its country changed builds.
        ("ALL", "Singapore"),
    ],
)
def test_a_free_display_name_or_the_country_own_name_is_kept(
    country: str, country_name: str
) -> None:
    assert parse_config(singapore_raw(country, country_name)).country_name == country_name


@pytest.mark.parametrize("layout", ["wvs6", "timeseries"])
def test_an_item_read_by_two_attributes_under_two_names_is_refused(layout: str) -> None:
    """The crosswalk gives each item its name in each release (Q1 is the Time Series' A001,
    Wave 6's V4): an attribute reading Q1 and another its other name read one column of a
    file of that release, and their subgroups nest (#15: compared by spelling, it built)."""
    alias = load_crosswalk()[layout]["Q1"].variable
    raw = singapore_raw("SGP", "Singapore")
    attributes = raw["attributes"]
    assert isinstance(attributes, dict)
    attributes["sex"]["variable"] = "Q1"
    attributes["religion"]["variable"] = alias
    raw["items"] = ["Q2", "Q3"]  # Q1 asked too is refused by the same rule, naming $.items
    with pytest.raises(ConfigError) as caught:
        parse_config(raw, "c.yaml")
    assert str(caught.value).startswith(
        f"c.yaml: $.attributes.religion.variable: {alias} is read by $.attributes.sex (as Q1) too;"
    )


def test_every_catalogue_name_is_its_own_country_only() -> None:
    """Each catalogue country's name passes with its own code (alpha or numeric) and is refused
    with its neighbour's, naming both."""
    countries = list(load_countries().values())
    for country, neighbour in zip(countries, countries[1:] + countries[:1], strict=True):
        assert parse_config(singapore_raw(country.alpha, country.name)).country == country.alpha
        assert parse_config(singapore_raw(str(country.numeric), country.name))
        with pytest.raises(ConfigError, match=rf"but \$\.country is {neighbour.alpha} \("):
            parse_config(singapore_raw(neighbour.alpha, country.name))


def test_a_free_display_name_is_the_persona_country(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    raw = singapore_raw("SGP", "the Republic of Singapore")
    config.write_text(yaml.safe_dump(raw), encoding="utf-8")
    build_dataset(out_dir=tmp_path / "ds", config_path=config)
    personas = all_samples(tmp_path / "ds")["persona"]
    assert personas.str.endswith(" living in the Republic of Singapore.").all()
    # A command-line country replaces the file's, and its name with it.
    assert resolve_config(config, "MYS").country_name == "Malaysia"
