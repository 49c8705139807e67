"""A row whose two country codes name two countries (``B_COUNTRY_ALPHA`` DEU with ``B_COUNTRY``
702) is refused in every format, naming the file, the line or row and the column: it joined the
build of ``--country 702`` and not that of ``--country SGP``. Codes the catalogue does not know
contradict nothing, so a release's own spellings build, and names are never compared (the
codebook's "Russia" and "Russian Federation" are one country)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from cli_contract import assert_one_error_line
from click.testing import CliRunner
from test_fractional_codes import FORMATS, ROW, layout_csv, write

from sgbench.cli import main


def with_pair(frame: pd.DataFrame, alpha: str, numeric: int, row: int = ROW) -> pd.DataFrame:
    changed = frame.copy()
    changed.loc[changed.index[row], ["B_COUNTRY_ALPHA", "B_COUNTRY"]] = [alpha, numeric]
    return changed


def build(source: Path, country: str, out: Path) -> list[str]:
    return ["build", "--quiet", "--wvs", str(source), "--country", country, "--out", str(out)]


@pytest.mark.parametrize("suffix", FORMATS)
@pytest.mark.parametrize("country", ["SGP", "702"])
def test_a_row_naming_two_countries_is_refused(
    suffix: str, country: str, synthetic_frame: pd.DataFrame, tmp_path: Path
) -> None:
    source = write(with_pair(synthetic_frame, "DEU", 702), tmp_path / f"wvs{suffix}")
    result = CliRunner().invoke(main, build(source, country, tmp_path / "out"))
    member = ":WVS.csv" if suffix == ".zip" else ""
    at = "line 8:" if suffix in (".csv", ".zip") else "row 7:"
    assert_one_error_line(
        result,
        f"{source.name}{member}: {at} column B_COUNTRY_ALPHA: 'DEU' (Germany) contradicts "
        "B_COUNTRY 702 (Singapore)",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [source.name]


@pytest.mark.parametrize("suffix", [".csv", ".sav"])
def test_a_row_of_another_country_is_checked_too(
    suffix: str, synthetic_frame: pd.DataFrame, tmp_path: Path
) -> None:
    """Every row of the file (docs/errors.md): a Chinese row carrying Germany's number."""
    other = synthetic_frame.head(3).assign(B_COUNTRY=156, B_COUNTRY_ALPHA="CHN")
    frame = with_pair(pd.concat([other, synthetic_frame], ignore_index=True), "CHN", 276, 1)
    source = write(frame, tmp_path / f"two{suffix}")
    result = CliRunner().invoke(main, build(source, "SGP", tmp_path / "out"))
    at = "line 3:" if suffix == ".csv" else "row 2:"
    assert_one_error_line(result, f"{at} column B_COUNTRY_ALPHA: 'CHN' (China) contradicts")


@pytest.mark.parametrize(
    ("alpha", "numeric"),
    [("ZZZ", 702), ("sgp", 702), ("SGP", 999)],
    ids=["alpha-unknown", "case", "number-unknown"],
)
def test_codes_the_catalogue_does_not_know_contradict_nothing(
    alpha: str, numeric: int, synthetic_frame: pd.DataFrame, tmp_path: Path
) -> None:
    """An alpha code or a number outside the catalogue (a country of an earlier wave, a code a
    release spells its own way) names no second country, and a code in lower case is the code:
    the row builds or is left out by its code, as before."""
    source = write(with_pair(synthetic_frame, alpha, numeric), tmp_path / "wvs.csv")
    result = CliRunner().invoke(main, build(source, "SGP", tmp_path / "out"))
    assert result.exit_code == 0, result.output


def test_the_time_series_pair_is_checked(synthetic_frame: pd.DataFrame, tmp_path: Path) -> None:
    def change(frame: pd.DataFrame) -> None:
        frame.loc[frame.index[ROW], "COUNTRY_ALPHA"] = "DEU"

    source = layout_csv(synthetic_frame, "timeseries", tmp_path / "ts.csv", change)
    result = CliRunner().invoke(main, build(source, "SGP", tmp_path / "out"))
    assert_one_error_line(
        result, "ts.csv: line 8: column COUNTRY_ALPHA: 'DEU' (Germany) contradicts S003 702"
    )
