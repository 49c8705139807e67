"""Reading a WVS Wave 7 release file: CSV, Stata, SPSS, or any of them inside the release zip.

Only the columns a build needs are read, and only the requested country's rows are kept, so the
full release (~97k respondents × ~600 columns) never sits in memory whole. Every format yields
the same float64 table, so the same data in any format gives the same dataset.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from sgbench.errors import InputError

FileFormat = Literal["csv", "dta", "sav"]
FORMATS: Final[dict[str, FileFormat]] = {".csv": "csv", ".dta": "dta", ".sav": "sav"}
COUNTRY_ALPHA: Final = "B_COUNTRY_ALPHA"
COUNTRY_NUMERIC: Final = "B_COUNTRY"


@dataclass(frozen=True)
class SurveyData:
    """The rows of one country, with the needed columns, as read from a release file."""

    frame: pd.DataFrame
    """One row per respondent; every column float64 (missing codes still negative)."""
    file_name: str
    sha256: str
    format: FileFormat
    member: str | None
    """The data file's name inside the zip, when read from one."""
    columns_absent: tuple[str, ...]
    """Requested columns the file does not have."""


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _file_format(name: str, where: str) -> FileFormat:
    suffix = Path(name).suffix.lower()
    if suffix not in FORMATS:
        raise InputError(
            f"{where}: unsupported file type {suffix or '(none)'!r}; expected "
            ".csv, .dta, .sav or a .zip holding one of them"
        )
    return FORMATS[suffix]


def _zip_member(archive: zipfile.ZipFile, where: str) -> str:
    members = [
        info.filename
        for info in archive.infolist()
        if not info.is_dir()
        and not info.filename.startswith("__MACOSX/")
        and Path(info.filename).suffix.lower() in FORMATS
    ]
    if not members:
        raise InputError(f"{where}: the zip holds no .csv, .dta or .sav file")
    # Release zips hold one data file; prefer CSV (fastest to read) if several formats are there.
    order = list(FORMATS)
    return sorted(members, key=lambda name: (order.index(Path(name).suffix.lower()), name))[0]


@contextmanager
def _opened(path: Path) -> Iterator[tuple[Path | io.BufferedIOBase, FileFormat, str | None]]:
    """Yield something each format's reader can take: a path, or a binary stream for CSV."""
    where = str(path)
    if path.suffix.lower() != ".zip":
        yield path, _file_format(path.name, where), None
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{where}: not a readable zip file ({exc})") from None
    with archive:
        member = _zip_member(archive, where)
        file_format = _file_format(member, where)
        if file_format == "csv":
            with archive.open(member) as stream:
                yield stream, file_format, member  # type: ignore[misc]
            return
        # pyreadstat reads from a path only.
        with tempfile.TemporaryDirectory(prefix="sgbench-zip-") as scratch:
            try:
                extracted = Path(archive.extract(member, scratch))
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise InputError(f"{where}: damaged zip member {member} ({exc})") from None
            yield extracted, file_format, member


def _csv_header(source: Path | io.BufferedIOBase, where: str) -> list[str]:
    if isinstance(source, Path):
        with source.open("rb") as handle:
            first = handle.readline(1 << 20)
    else:
        first = source.readline(1 << 20)
        source.seek(0)  # zip members are seekable streams; the data read starts over
    if not first.strip():
        raise InputError(f"{where}: empty file")
    if b"\x00" in first:
        raise InputError(f"{where}: binary data, not a CSV file")
    text = first.decode("utf-8-sig", errors="replace")
    try:
        return [name.strip() for name in next(csv.reader([text.rstrip("\r\n")]))]
    except csv.Error as exc:
        raise InputError(f"{where}: line 1: not a CSV header ({exc})") from None


def _line_of(path: Path, text: str) -> int | None:
    """1-based number of the first line of ``path`` that starts with ``text`` (error path only:
    the threaded CSV reader does not report line numbers)."""
    wanted = text.encode("utf-8")
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if line.rstrip(b"\r\n") == wanted:
                return number
    return None


def _read_csv(
    source: Path | io.BufferedIOBase, columns: list[str], header: list[str], where: str
) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    bad_rows: list[Any] = []

    def on_invalid_row(row: Any) -> str:
        bad_rows.append(row)
        return "error"

    types = {name: pa.string() if name == COUNTRY_ALPHA else pa.float64() for name in columns}
    try:
        table = pacsv.read_csv(
            source,
            read_options=pacsv.ReadOptions(use_threads=True, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=",", invalid_row_handler=on_invalid_row),
            convert_options=pacsv.ConvertOptions(
                include_columns=columns, column_types=types, strings_can_be_null=False
            ),
        )
    except pa.ArrowInvalid as exc:
        message = str(exc).splitlines()[0]
        if bad_rows:
            row = bad_rows[0]
            number = row.number
            if number is None and isinstance(source, Path):
                number = _line_of(source, row.text)
            line = f"line {number}: " if number is not None else ""
            raise InputError(
                f"{where}: {line}{row.actual_columns} fields where the header has "
                f"{row.expected_columns} (truncated or damaged file?)"
            ) from None
        column = re.search(r"column #(\d+)", message)
        value = re.search(r"invalid value '([^']*)'", message)
        if column and int(column.group(1)) < len(header):
            found = f": {value.group(1)[:40]!r}" if value else ""
            raise InputError(
                f"{where}: column {header[int(column.group(1))]}: not a number{found}"
            ) from None
        raise InputError(f"{where}: malformed CSV data ({message[:200]})") from None
    frame: pd.DataFrame = table.to_pandas()
    return frame


def _stat_columns(path: Path, file_format: FileFormat, where: str) -> list[str]:
    import pyreadstat

    reader = pyreadstat.read_dta if file_format == "dta" else pyreadstat.read_sav
    try:
        _, meta = reader(str(path), metadataonly=True)
    except Exception as exc:  # pyreadstat raises its own and OS errors for damaged files
        kind = "Stata" if file_format == "dta" else "SPSS"
        raise InputError(f"{where}: not a readable {kind} file ({exc})") from None
    return [str(name) for name in meta.column_names]


def _read_stat(path: Path, file_format: FileFormat, columns: list[str], where: str) -> pd.DataFrame:
    import pyreadstat

    reader = pyreadstat.read_dta if file_format == "dta" else pyreadstat.read_sav
    try:
        frame, _ = reader(str(path), usecols=columns, apply_value_formats=False)
    except Exception as exc:
        raise InputError(f"{where}: damaged or truncated data ({exc})") from None
    return frame


def _numeric(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    """Every column but the alpha country code as float64; a non-number names its column."""
    out: dict[str, Any] = {}
    for name in frame.columns:
        if name == COUNTRY_ALPHA:
            out[name] = frame[name].astype("string").str.strip().str.upper()
            continue
        column = frame[name]
        if column.dtype.kind in "fiub":
            out[name] = column.astype("float64")
            continue
        converted = pd.to_numeric(column.replace("", np.nan), errors="coerce")
        bad = converted.isna() & column.notna() & (column.astype("string").str.strip() != "")
        if bad.any():
            raise InputError(f"{where}: column {name}: non-numeric value {column[bad].iloc[0]!r}")
        out[name] = converted.astype("float64")
    return pd.DataFrame(out, index=frame.index)


def _country_mask(frame: pd.DataFrame, country: str, country_numeric: int | None) -> pd.Series:
    if country.isdigit():
        if COUNTRY_NUMERIC not in frame:
            raise InputError(f"no {COUNTRY_NUMERIC} column to match country {country}")
        return frame[COUNTRY_NUMERIC] == float(country)
    if COUNTRY_ALPHA in frame:
        return frame[COUNTRY_ALPHA] == country.upper()
    if country_numeric is not None and COUNTRY_NUMERIC in frame:
        return frame[COUNTRY_NUMERIC] == float(country_numeric)
    raise InputError(
        f"no {COUNTRY_ALPHA} column to match country {country}; pass its numeric code "
        f"(e.g. --country 702)"
    )


def read_survey(
    path: str | Path,
    columns: Iterable[str],
    required: Iterable[str],
    country: str,
    country_numeric: int | None = None,
) -> SurveyData:
    """Read the needed columns and one country's rows of a WVS Wave 7 release file.

    Args:
        path: a ``.csv``, ``.dta`` or ``.sav`` file, or a ``.zip`` holding one.
        columns: every column the build could use (items, attributes, weight).
        required: columns whose absence is an error rather than a note (e.g. an item column
            is optional, a country column is not). Matching is case-insensitive.
        country: ISO alpha-3 code (matched on ``B_COUNTRY_ALPHA``) or numeric code (``B_COUNTRY``).
        country_numeric: numeric code to match when the file has no alpha column.

    Raises:
        InputError: the file is missing, empty, damaged, not WVS Wave 7 data, lacks a required
            column, or has no respondent in ``country``. The message names the file.
    """
    path = Path(path)
    where = str(path)
    if not path.exists():
        raise InputError(f"{where}: no such file")
    if path.is_dir():
        raise InputError(f"{where}: is a folder, not a WVS data file")
    if path.stat().st_size == 0:
        raise InputError(f"{where}: empty file")
    wanted = list(dict.fromkeys([COUNTRY_ALPHA, COUNTRY_NUMERIC, *columns]))
    with _opened(path) as (source, file_format, member):
        label = f"{where}:{member}" if member else where
        if file_format == "csv":
            header = _csv_header(source, label)
        else:
            assert isinstance(source, Path)  # narrowing for mypy; _opened yields a path here
            header = _stat_columns(source, file_format, label)
        by_upper = {name.upper(): name for name in header}
        present = [name for name in wanted if name.upper() in by_upper]
        if COUNTRY_ALPHA not in present and COUNTRY_NUMERIC not in present:
            raise InputError(
                f"{label}: not WVS Wave 7 data: no {COUNTRY_ALPHA} or {COUNTRY_NUMERIC} column"
            )
        lacking = [name for name in required if name.upper() not in by_upper]
        if lacking:
            raise InputError(f"{label}: missing column(s) {', '.join(lacking)}")
        file_columns = [by_upper[name.upper()] for name in present]
        if file_format == "csv":
            frame = _read_csv(source, file_columns, header, label)
        else:
            assert isinstance(source, Path)
            frame = _read_stat(source, file_format, file_columns, label)
    # Readers return columns in file order, under the file's spelling.
    frame = frame.rename(columns=dict(zip(file_columns, present, strict=True)))[present]
    frame = _numeric(frame, label)
    if frame.empty:
        raise InputError(f"{label}: no data rows")
    try:
        mask = _country_mask(frame, country, country_numeric)
    except InputError as exc:
        raise InputError(f"{label}: {exc}") from None
    if not mask.any():
        column = (
            COUNTRY_ALPHA if COUNTRY_ALPHA in frame and not country.isdigit() else (COUNTRY_NUMERIC)
        )
        found = sorted({str(v) for v in frame[column].dropna().unique()})[:10]
        raise InputError(
            f"{label}: no respondent with {column} = {country} (found: {', '.join(found)})"
        )
    frame = frame.loc[mask].reset_index(drop=True)
    return SurveyData(
        frame=frame,
        file_name=path.name,
        sha256=sha256_file(path),
        format=file_format,
        member=member,
        columns_absent=tuple(name for name in wanted if name not in present),
    )
