"""Release layouts: how each kind of WVS file names its columns and codes its answers.

The rest of the builder speaks Wave 7: column names such as ``Q1``, ``Q260`` or ``W_WEIGHT`` and
Wave 7 answer codes. A layout says where those live in another release (the Wave 6
cross-national file, the 1981–2022 Time Series file) and how to recode them, so the reader can
hand a Wave 7-shaped table to the next stage. Item equivalences come from the catalogue's
crosswalk; demographic and technical variables are defined here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final, Literal

from sgbench.catalogue import load_crosswalk
from sgbench.errors import InputError, read_as

LayoutName = Literal["wvs7", "wvs6", "timeseries"]

SYNTHETIC_COLUMN: Final = "SGBENCH_SYNTHETIC"
"""The column every file ``sgbench synth`` writes carries (1 in every row), in every format it
writes (CSV, the CSV inside a zip, .dta, .sav): the machine-readable mark of a SYNTHETIC sample.
No WVS release has it. A column, because a header is the one thing every format has and the
reader reads anyway; a file label or comment would be one rule per format."""


def column_key(name: str) -> str:
    """A data file's column name as it is matched to the names a layout reads (and to the
    file's other columns): :func:`sgbench.errors.read_as`, so case, a full-width 'Ｑ3' and
    lookalike letters do not count. The one rule of which header name is which column: a file
    whose only Q3 column was spelt 'Ｑ3' was refused as holding 'Q3' twice beside a plain one,
    yet built without Q3 ("absent") when alone."""
    return read_as(name)


def is_synthetic(columns: Iterable[str]) -> bool:
    """Whether a file with these column names (case-insensitive) is marked SYNTHETIC
    (:data:`SYNTHETIC_COLUMN`). The one rule for every format; it sees the mark, not the data:
    a synthetic sample whose marker column was removed reads as WVS data."""
    return column_key(SYNTHETIC_COLUMN) in {column_key(name) for name in columns}


@dataclass(frozen=True)
class Recode:
    """A code map into Wave 7 codes; ``default`` for non-negative codes the map lacks."""

    codes: dict[int, int | None]
    default: int | None = None
    """Wave 7 code for unlisted non-negative codes; None keeps them unchanged."""


@dataclass(frozen=True)
class Layout:
    """Where a release keeps the Wave 7 variables the builder reads."""

    name: LayoutName
    country_numeric: str
    country_alpha: str | None
    wave_column: str | None
    year_column: str | None
    variables: dict[str, str]
    """Wave 7 name → this layout's column, for non-item variables."""
    recodes: dict[str, Recode] = field(default_factory=dict)
    """Wave 7 name → how this layout's codes become Wave 7 codes."""
    fixed_wave: int | None = None
    """The wave of every row, for single-wave releases."""
    respondent_column: str | None = None
    """The respondent's id (interview number), unique within a country-wave."""

    def column(self, name: str) -> str:
        """The column this layout reads for the Wave 7 name ``name``: an item's from the
        catalogue's crosswalk, another variable's from :attr:`variables`, else ``name`` itself
        (a column the release spells as Wave 7 does). The one map of what a name reads."""
        return self.item_variables([name]).get(name) or self.variables.get(name, name)

    def item_variables(self, question_ids: Iterable[str]) -> dict[str, str]:
        """Wave 7 item id → this layout's column, for the items the layout has."""
        if self.name == "wvs7":
            return {q: q for q in question_ids}
        crosswalk = load_crosswalk()[self.name]
        return {q: crosswalk[q].variable for q in question_ids if q in crosswalk}

    def item_recodes(self, question_ids: Iterable[str]) -> dict[str, Recode]:
        """Code maps of the items whose codes differ from Wave 7's in this layout."""
        if self.name == "wvs7":
            return {}
        crosswalk = load_crosswalk()[self.name]
        recodes: dict[str, Recode] = {}
        for q in question_ids:
            codes = crosswalk[q].codes if q in crosswalk else None
            if codes is not None:
                recodes[q] = Recode(codes=dict(codes))
        return recodes


# Wave 6 records detailed denominations (V144); Wave 7's Q289 has major groups. sgbench's grouping:
# 0 none, 1 Roman Catholic, 2 Protestant, 3 Orthodox, 4 Jew, 5 Muslim, 6 Hindu, 7 Buddhist,
# 8 other Christian, 9 other (every unlisted denomination). Singapore's Wave 6 codes are 0, 12,
# 17, 31, 49, 62, 64, 71, 77; its "Christian" (17) becomes "other Christian".
WVS6_RELIGION: Final = Recode(
    codes={
        0: 0,
        **dict.fromkeys((64, 15, 29), 1),
        **dict.fromkeys(
            (62, 5, 9, 19, 33, 44, 45, 46, 61, 66, 78, 82, 83, 360001, 528001, 528002), 2
        ),
        **dict.fromkeys((52, 6, 30), 3),
        42: 4,
        **dict.fromkeys((49, 2, 22, 63, 70, 75), 5),
        31: 6,
        12: 7,
        **dict.fromkeys(
            (
                1,
                3,
                7,
                10,
                13,
                16,
                17,
                18,
                20,
                25,
                28,
                34,
                35,
                36,
                39,
                40,
                41,
                48,
                51,
                55,
                60,
                68,
                79,
                85,
                89,
                12001,
            ),
            8,
        ),
    },
    default=9,
)

LAYOUTS: Final[dict[LayoutName, Layout]] = {
    "wvs7": Layout(
        name="wvs7",
        country_numeric="B_COUNTRY",
        country_alpha="B_COUNTRY_ALPHA",
        wave_column=None,
        year_column="A_YEAR",
        variables={},
        fixed_wave=7,
        respondent_column="D_INTERVIEW",
    ),
    "wvs6": Layout(
        name="wvs6",
        country_numeric="V2",
        country_alpha=None,
        wave_column=None,
        year_column="V262",
        variables={
            "Q260": "V240",
            "Q262": "V242",
            "Q289": "V144",
            "Q290": "V254",
            "W_WEIGHT": "V258",
        },
        recodes={
            "Q289": WVS6_RELIGION,
            # Singapore's "Others" is 702007 in Wave 6 and 702999 from Wave 7 on.
            "Q290": Recode(codes={702007: 702999}),
        },
        fixed_wave=6,
        respondent_column="V3",
    ),
    "timeseries": Layout(
        name="timeseries",
        country_numeric="S003",
        country_alpha="COUNTRY_ALPHA",
        wave_column="S002VS",
        year_column="S020",
        variables={
            "Q260": "X001",
            "Q262": "X003",
            "X003R": "X003R",
            "Q289": "F025",
            "Q290": "X051",
            "W_WEIGHT": "S017",
            "Q275R": "X025R",
            "Q288R": "X047R_WVS",
            "H_URBRURAL": "X050C",
        },
        respondent_column="S007",
    ),
}


def detect_layout(columns: Iterable[str], where: str) -> Layout:
    """Tell a release's layout from its column names (as :func:`column_key` reads them).

    Raises:
        InputError: the columns match no known WVS layout.
    """
    names = {column_key(name) for name in columns}
    if {"s002vs", "s003"} <= names:
        return LAYOUTS["timeseries"]
    if names & {"b_country", "b_country_alpha"}:
        return LAYOUTS["wvs7"]
    if {"v2", "v4"} <= names:
        return LAYOUTS["wvs6"]
    raise InputError(
        f"{where}: not WVS data: no B_COUNTRY_ALPHA or B_COUNTRY column (Wave 7), no V2 (Wave 6), "
        "no S002VS/S003 (Time Series)"
    )
