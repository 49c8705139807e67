"""A code that is not a whole number (an answer of 2.5, a sex of 1.5) is refused in every format
and layout, naming the file, the line (CSV) or row (.dta, .sav) and the column; it matched no
code list and was read as missing, with exit code 0. A weight, and a variable a config reads by
ranges, stay quantities; a code stored as a float (2.0, as .dta and .sav store numbers) is the
code.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from cli_contract import assert_one_error_line
from click.testing import CliRunner, Result
from manifest_tools import same_data

from sgbench.builder.synthetic import marked, to_layout
from sgbench.cli import main

ROW = 6
"""The row changed: line 8 of a CSV (after the header), observation 7 of a .dta or .sav."""


def invoke(args: list[str]) -> Result:
    return CliRunner().invoke(main, args)


def write(frame: pd.DataFrame, path: Path) -> Path:
    """``frame`` as the release file ``path`` names (a .zip holds it as a CSV)."""
    frame = marked(frame)
    if path.suffix == ".csv":
        frame.to_csv(path, index=False, lineterminator="\n")
    elif path.suffix == ".zip":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("WVS.csv", frame.to_csv(index=False, lineterminator="\n"))
    elif path.suffix == ".dta":
        pyreadstat.write_dta(frame, str(path))
    else:
        pyreadstat.write_sav(frame, str(path))
    return path


def with_value(frame: pd.DataFrame, column: str, value: float) -> pd.DataFrame:
    changed = frame.copy()
    changed[column] = changed[column].astype("float64")
    changed.loc[changed.index[ROW], column] = value
    return changed


def where(suffix: str) -> str:
    return "line 8:" if suffix in (".csv", ".zip") else "row 7:"


FORMATS = [".csv", ".zip", ".dta", ".sav"]


@pytest.mark.parametrize("suffix", FORMATS)
@pytest.mark.parametrize(
    ("column", "value"),
    [("Q1", 2.5), ("Q260", 1.5), ("X003R", 2.25), ("B_COUNTRY", 702.5), ("Q1", -1.5)],
    ids=["item", "attribute", "attribute-code-column", "country", "negative"],
)
def test_a_fractional_code_is_refused(
    suffix: str, column: str, value: float, synthetic_frame: pd.DataFrame, tmp_path: Path
) -> None:
    source = write(with_value(synthetic_frame, column, value), tmp_path / f"wvs{suffix}")
    result = invoke(["build", "--quiet", "--wvs", str(source), "--out", str(tmp_path / "out")])
    assert_one_error_line(
        result,
        f"{source.name}{':WVS.csv' if suffix == '.zip' else ''}: {where(suffix)} column "
        f"{column}: {value!r} is not a whole number",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [source.name]


def data_files(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted((folder / "data").rglob("*.parquet"))
    }


@pytest.mark.parametrize("suffix", FORMATS)
def test_a_code_stored_as_a_float_is_the_code(
    suffix: str, synthetic_frame: pd.DataFrame, tmp_path: Path
) -> None:
    """Every item and attribute code written as a float (``2.0`` in a CSV) builds the dataset
    of the integer codes: the same rows in every data file, each carrying the same manifest
    but for which file was read (``built_from`` and the card that shows it)."""
    floats = synthetic_frame.copy()
    for column in ["Q1", "Q2", "Q260", "X003R", "Q289", "B_COUNTRY", "A_WAVE"]:
        floats[column] = floats[column].astype("float64")
    assert (floats["Q1"].to_numpy() % 1 == 0).all()
    for name, frame in (("ints", synthetic_frame), ("floats", floats)):
        source = write(frame, tmp_path / f"{name}{suffix}")
        result = invoke(["build", "--quiet", "--wvs", str(source), "--out", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    if suffix == ".csv":
        assert b",2.0," in (tmp_path / "floats.csv").read_bytes()
    same_data(tmp_path / "ints", tmp_path / "floats", provenance=("built_from", "card"))


@pytest.mark.parametrize("suffix", FORMATS)
@pytest.mark.parametrize(("column", "value"), [("W_WEIGHT", 1.2345), ("Q262", 33.5)])
def test_a_weight_or_a_variable_read_by_ranges_may_be_fractional(
    suffix: str, column: str, value: float, synthetic_frame: pd.DataFrame, tmp_path: Path
) -> None:
    """The weight is a quantity; age (Q262) is read by the default config's ranges only."""
    frame = with_value(synthetic_frame, column, value)
    source = write(frame, tmp_path / f"wvs{suffix}")
    result = invoke(["build", "--quiet", "--wvs", str(source), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert data_files(tmp_path / "out")


@pytest.mark.parametrize("fraction", [0.5, 0.999])
def test_a_fractional_age_is_read_in_completed_years(
    fraction: float, synthetic_frame: pd.DataFrame, tmp_path: Path
) -> None:
    """Without X003R, the age (Q262, completed years) is read by ranges, by its whole part:
    every age pushed up by a fraction builds the dataset of the whole ages. An age of 24.5, between
    16–24 and 25–34, had no age group, with exit code 0 (test_ood lost 238 rows)."""
    whole = synthetic_frame.drop(columns="X003R")
    assert (whole["Q262"] % 1 == 0).all()
    assert (whole["Q262"] == 24).any()
    later = whole.assign(Q262=whole["Q262"].astype("float64") + fraction)
    for name, frame in (("whole", whole), ("later", later)):
        source = write(frame, tmp_path / f"{name}.csv")
        result = invoke(["build", "--quiet", "--wvs", str(source), "--out", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    same_data(tmp_path / "whole", tmp_path / "later", provenance=("built_from", "card"))


def test_an_unweighted_build_does_not_read_the_weight(
    synthetic_frame: pd.DataFrame, tmp_path: Path
) -> None:
    source = write(with_value(synthetic_frame, "Q1", 2.5), tmp_path / "wvs.csv")
    out = str(tmp_path / "out")
    result = invoke(["build", "--quiet", "--unweighted", "--wvs", str(source), "--out", out])
    assert_one_error_line(result, "line 8: column Q1: 2.5")


def layout_csv(
    frame: pd.DataFrame, layout: str, path: Path, change: Callable[[pd.DataFrame], None]
) -> Path:
    laid = to_layout(frame, layout, wave=7)  # type: ignore[arg-type]
    laid = laid.astype({column: "float64" for column in laid.columns if column != "COUNTRY_ALPHA"})
    change(laid)
    laid.to_csv(path, index=False, lineterminator="\n")
    return path


@pytest.mark.parametrize(
    ("layout", "column", "value", "shown"),
    [
        # Wave 6 has no alpha column: the country is matched by its number, and a row of
        # 702.5 was dropped from the country before any check.
        ("wvs6", "V2", 702.5, "702.5"),
        ("wvs6", "V240", 1.5, "1.5"),
        # The Time Series recode took int() of a fractional religion: 2.5 became 2.
        ("timeseries", "F025", 2.5, "2.5"),
        ("timeseries", "S002VS", 6.5, "6.5"),
        ("timeseries", "S003", 702.5, "702.5"),
    ],
)
def test_a_fractional_code_is_refused_in_every_layout(
    layout: str,
    column: str,
    value: float,
    shown: str,
    synthetic_frame: pd.DataFrame,
    tmp_path: Path,
) -> None:
    def change(frame: pd.DataFrame) -> None:
        frame.loc[frame.index[ROW], column] = value

    source = layout_csv(synthetic_frame, layout, tmp_path / f"{layout}.csv", change)
    result = invoke(["build", "--quiet", "--wvs", str(source), "--out", str(tmp_path / "out")])
    assert_one_error_line(
        result, f"{source.name}: line 8: column {column}: {shown} is not a whole number"
    )


BAD_VALUES = [
    (suffix, value, problem)
    for suffix in FORMATS
    for value, problem in ((2.5, "2.5 is not a whole number"), (np.inf, "infinite"))
    if not (suffix == ".dta" and value == np.inf)  # Stata cannot store an infinity
]


@pytest.mark.parametrize(("suffix", "value", "problem"), BAD_VALUES)
@pytest.mark.parametrize("country", ["SGP", "702"])
def test_every_row_is_checked_whatever_the_country_built(
    suffix: str,
    country: str,
    value: float,
    problem: str,
    synthetic_frame: pd.DataFrame,
    tmp_path: Path,
) -> None:
    """One rule for every format: every row of the file is checked, not only the rows of the
    country built. A CSV was cut to that country's lines before it was parsed, so a bad code in
    another country's row was never seen, while a .dta or .sav of the same data was refused; the
    row named is that one, in file order, in every format."""
    other = synthetic_frame.head(5).assign(B_COUNTRY=156, B_COUNTRY_ALPHA="CHN")
    other["Q1"] = other["Q1"].astype("float64")
    other.loc[other.index[1], "Q1"] = value
    source = write(
        pd.concat([other, synthetic_frame], ignore_index=True), tmp_path / f"two{suffix}"
    )
    out = str(tmp_path / "out")
    result = invoke(["build", "--quiet", "--wvs", str(source), "--country", country, "--out", out])
    at = "line 3:" if suffix in (".csv", ".zip") else "row 2:"
    member = ":WVS.csv" if suffix == ".zip" else ""
    line = assert_one_error_line(result, f"two{suffix}{member}: ", "column Q1", problem)
    if value == 2.5:  # an infinity is counted, not placed
        assert at in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == [source.name]


def test_a_time_series_row_of_another_wave_is_checked(
    synthetic_frame: pd.DataFrame, tmp_path: Path
) -> None:
    """Rows of waves not built are rows of the file too."""

    def change(frame: pd.DataFrame) -> None:
        frame.loc[frame.index[ROW], "S002VS"] = 6
        frame.loc[frame.index[ROW], "F025"] = 2.5

    source = layout_csv(synthetic_frame, "timeseries", tmp_path / "ts.csv", change)
    result = invoke(["build", "--quiet", "--wvs", str(source), "--out", str(tmp_path / "out")])
    assert_one_error_line(result, "ts.csv: line 8: column F025: 2.5 is not a whole number")


def test_an_attribute_reading_the_weight_is_refused(
    synthetic_frame: pd.DataFrame, tmp_path: Path
) -> None:
    """A config whose attribute reads the weight's column by codes: a weight of 1.5 was read as
    no code of that attribute, with exit code 0, and refused only with ``--unweighted``. Such a
    config is now refused as it is read, with or without ``--unweighted``, naming the attribute
    and ``$.weight`` (``sgbench.builder.config._check_variables_read_once``), before any file
    is read; nothing is written."""
    import yaml

    from sgbench.builder import config as config_module

    shipped = Path(config_module.__file__).parent / "configs" / "singapore.yaml"
    config = yaml.safe_load(shipped.read_text(encoding="utf-8"))
    config["attributes"]["weight_code"] = {
        "variable": "W_WEIGHT",
        "values": {"one": [1], "two": [2]},
    }
    config_path = tmp_path / "config.yaml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    frame = synthetic_frame.copy()
    frame["W_WEIGHT"] = [1.0 + n % 2 for n in range(len(frame))]
    source = write(with_value(frame, "W_WEIGHT", 1.5), tmp_path / "wvs.csv")
    for extra in ([], ["--unweighted"]):
        out = str(tmp_path / "out")
        args = ["build", "--quiet", "--wvs", str(source), "--config", str(config_path)]
        result = invoke([*args, *extra, "--out", out])
        assert_one_error_line(
            result,
            "config.yaml: $.attributes.weight_code.variable: W_WEIGHT is read by $.weight too",
        )
        assert not Path(out).exists()
