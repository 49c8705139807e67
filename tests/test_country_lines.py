"""The one-country CSV cut: the lines kept hold every row of the country, and the cut is refused
(None: read the whole file) whenever a kept line might not be one whole record."""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from sgbench.builder.reader import _country_lines

HEADER = b"B_COUNTRY,B_COUNTRY_ALPHA,Q1"


def rows_of(data: bytes, country: str) -> list[dict[str, object]]:
    """The country's rows, found the slow way: parse everything, then filter exactly."""
    table = pacsv.read_csv(
        io.BytesIO(data),
        convert_options=pacsv.ConvertOptions(column_types={"B_COUNTRY_ALPHA": pa.string()}),
    )
    return [
        row
        for row in table.to_pylist()
        if str(row["B_COUNTRY_ALPHA"]).strip().upper() == country.upper()
    ]


def test_the_cut_keeps_every_row_of_the_country(tmp_path: Path) -> None:
    data = b"\n".join(
        [HEADER, b"702,SGP,1", b"156,CHN,2", b"702, sgp ,3", b"826,GBR,702", b"702,SGP,4", b""]
    )
    path = tmp_path / "release.csv"
    path.write_bytes(data)
    cut = _country_lines(path, "SGP")
    assert cut is not None
    kept = cut.getvalue()
    assert kept.splitlines()[0] == HEADER
    assert rows_of(kept, "SGP") == rows_of(data, "SGP")
    assert len(rows_of(data, "SGP")) == 3
    assert len(kept.splitlines()) == 4  # the header and the three rows: CHN and GBR are cut


def test_a_zip_member_stream_is_rewound(tmp_path: Path) -> None:
    stream = io.BytesIO(b"\n".join([HEADER, b"702,SGP,1", b"156,CHN,2"]))
    assert _country_lines(stream, "SGP") is not None
    assert stream.tell() == 0


@pytest.mark.parametrize(
    "lines",
    [
        [HEADER, b"702,SGP", b"156,CHN,2"],  # a short line: the full read reports it
        # A quoted field spanning lines, each line with the header's comma count.
        [HEADER, b'702,SGP,"two', b',,"', b"156,CHN,2"],
        [HEADER, b"156,CHN,1"],  # no row of the country: the full read lists the countries
    ],
)
def test_the_cut_is_refused_when_lines_are_not_records(tmp_path: Path, lines: list[bytes]) -> None:
    path = tmp_path / "release.csv"
    path.write_bytes(b"\n".join(lines))
    assert _country_lines(path, "SGP") is None
