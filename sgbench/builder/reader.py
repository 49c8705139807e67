"""Reading a WVS release file: CSV, Stata, SPSS, or any of them inside the release zip.

Only the columns a build needs are read, and only the requested country's rows are kept, so the
full release (~97k respondents × ~600 columns) never sits in memory whole; every row of the file
is checked first, in every format, so whether a file builds does not depend on its format or on
the country asked for. Every format yields
the same float64 table, so the same data in any format gives the same dataset.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import tempfile
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final, Literal, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sgbench.boundary import ArgumentName, PathArg
from sgbench.builder.layouts import LayoutName, Recode, column_key, detect_layout, is_synthetic
from sgbench.catalogue import ALL_COUNTRIES, country_numeric_code, load_countries
from sgbench.errors import InputError, first_unseen, shown_exactly, shown_name
from sgbench.files import sha256_file

FileFormat = Literal["csv", "dta", "sav"]
FORMATS: Final[dict[str, FileFormat]] = {".csv": "csv", ".dta": "dta", ".sav": "sav"}
COUNTRY_ALPHA: Final = "B_COUNTRY_ALPHA"
COUNTRY_NUMERIC: Final = "B_COUNTRY"
WAVE: Final = "A_WAVE"
YEAR: Final = "A_YEAR"
RESPONDENT: Final = "D_INTERVIEW"


@dataclass(frozen=True)
class SurveyData:
    """The rows of one country, with the needed columns, as read from a release file."""

    frame: pd.DataFrame
    """One row per respondent; every column float64 (missing codes still negative)."""
    file_name: str
    """The file's name, without its folder (what the manifest records)."""
    shown: str
    """What messages call the file: its path as given, or the ``name`` given for it
    (:func:`read_survey`), as the reader's own messages do."""
    sha256: str
    format: FileFormat
    layout: LayoutName
    """The release layout the file was read as (``wvs7``, ``wvs6`` or ``timeseries``)."""
    member: str | None
    """The data file's name inside the zip, when read from one."""
    columns_absent: tuple[str, ...]
    """Requested columns the file does not have."""
    synthetic: bool = False
    """The file carries the SYNTHETIC mark of ``sgbench synth``
    (:func:`~sgbench.builder.layouts.is_synthetic`)."""


def _file_format(name: str, where: str) -> FileFormat:
    suffix = Path(name).suffix.lower()
    if suffix not in FORMATS:
        raise InputError(
            f"{where}: unsupported file type {suffix or '(none)'!r}; expected "
            ".csv, .dta, .sav or a .zip holding one of them"
        )
    return FORMATS[suffix]


def _zip_member(archive: zipfile.ZipFile, where: str) -> str:
    infos = [
        info
        for info in archive.infolist()
        if not info.is_dir()
        and not info.filename.startswith("__MACOSX/")
        and Path(info.filename).suffix.lower() in FORMATS
    ]
    if not infos:
        raise InputError(f"{where}: the zip holds no .csv, .dta or .sav file")
    members = [info.filename for info in infos]
    # A name twice is two files of which zipfile reads the last and unzip asks: ambiguous.
    twice = next((name for name in members if members.count(name) > 1), None)
    if twice is not None:
        raise InputError(
            f"{where}: the zip holds two members named {shown_name(twice)}; unzip it and pass "
            "the one to read"
        )
    # Which one is the survey is a guess, and so is whether one stem in two formats holds the
    # same data (w.csv and w.dta of two samples built from the CSV): proving it means reading
    # both whole. The WVS zips one data file a format, so more than one is refused.
    if len(members) > 1:
        shown = [shown_name(name) for name in sorted(members)]
        raise InputError(
            f"{where}: the zip holds more than one data file ({shown[0]}, {shown[1]}"
            f"{', ...' if len(shown) > 2 else ''}); unzip it and pass the one to read"
        )
    return members[0]


MAX_EXTRACTED: Final = 8 << 30
"""Largest zip member extracted to a temporary folder, or read as a CSV stream (8 GiB; the
largest WVS release file, the Time Series .dta, is well under it)."""
MAX_RATIO: Final = 200
"""Largest uncompressed / compressed size of a member extracted or read: survey data compresses
about tenfold, a zip bomb a thousandfold."""


def _check_extractable(info: zipfile.ZipInfo, scratch: str | None, where: str) -> None:
    """Refuse a member that would fill the disk (extracted to ``scratch``) or the memory (a CSV,
    read as a stream, when ``scratch`` is None) before it is read. Its declared size is what
    zipfile will give at most (reading stops there), so checking it bounds the copy."""
    size, packed = info.file_size, max(info.compress_size, 1)
    free = MAX_EXTRACTED if scratch is None else shutil.disk_usage(scratch).free
    if size > MAX_EXTRACTED or size > MAX_RATIO * packed or size > free:
        raise InputError(
            f"{where}: zip member {info.filename} would take {size} bytes once extracted "
            f"(at most {min(MAX_EXTRACTED, MAX_RATIO * packed, free)} here); unzip it yourself "
            "and pass the data file"
        )


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
        info = archive.getinfo(member)
        if info.flag_bits & 0x1:
            raise InputError(
                f"{where}: zip member {shown_name(member)} is encrypted; unzip it with its "
                "password and pass the data file"
            )
        if file_format == "csv":
            # Streamed, but parsed into memory: a CSV bomb is as bad as a .dta one.
            _check_extractable(info, None, where)
            try:
                with archive.open(member) as stream:
                    yield stream, file_format, member  # type: ignore[misc]
            except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
                # As for an extracted member below: a damaged deflate stream or CRC is found
                # only while the CSV is read (a zlib traceback, exit code 1).
                raise InputError(
                    f"{where}: damaged zip member {shown_name(member)} ({exc})"
                ) from None
            return
        # pyreadstat reads from a path only. The copy gets a name of ours: the member's own
        # (folders, 300 characters, ../) need not be a path this system can create.
        with tempfile.TemporaryDirectory(prefix="sgbench-zip-") as scratch:
            _check_extractable(info, scratch, where)
            extracted = Path(scratch) / f"member.{file_format}"
            try:
                with archive.open(info) as stream, extracted.open("wb") as copy:
                    shutil.copyfileobj(stream, copy, 1 << 20)
            except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
                raise InputError(
                    f"{where}: damaged zip member {shown_name(member)} ({exc})"
                ) from None
            except OSError as exc:
                raise InputError(
                    f"{where}: cannot extract zip member {shown_name(member)} to the temporary "
                    f"folder ({exc.strerror})"
                ) from None
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
        names = next(csv.reader([text.rstrip("\r\n")]))
    except csv.Error as exc:
        raise InputError(f"{where}: line 1: not a CSV header ({exc})") from None
    if len(names) == 1:
        other = next((sep for sep in (";", "\t", "|") if sep in names[0]), None)
        if other is not None:
            # Spreadsheets in many locales save ";"-separated "CSV"; read with "," it is one
            # column, which would be reported as a file that is not WVS data at all.
            raise InputError(
                f"{where}: line 1: fields are separated by {other!r}; the WVS files are "
                "comma-separated: save the file as CSV with ',' between fields"
            )
    padded = next((name for name in names if name != name.strip()), None)
    if padded is not None:
        # The reader matches names exactly; ", "-delimited files pad every name and value.
        raise InputError(
            f"{where}: line 1: column name {padded!r} has spaces around it; the WVS files are "
            'comma-separated without spaces (was the file saved with ", " between fields?)'
        )
    return names


def _line_of(path: Path, text: str) -> int | None:
    """1-based number of the first line of ``path`` that starts with ``text`` (error path only:
    the threaded CSV reader does not report line numbers)."""
    wanted = text.encode("utf-8")
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if line.rstrip(b"\r\n") == wanted:
                return number
    return None


ARROW_TRIMS: Final = " \t"
"""What Arrow strips from a CSV field before reading it as a number, and from the value its
conversion error quotes (a space or a tab; not a vertical tab, a form feed or U+00A0)."""


def _not_a_number_line(
    source: Path | io.BufferedIOBase, at: int, value: str
) -> tuple[str, str] | None:
    """``("line N: ", field)`` for the first record of a CSV whose field ``at`` reads as
    ``value``, the one Arrow could not read as a number, trimmed as Arrow trims it
    (:data:`ARROW_TRIMS`: ' abc' is quoted as 'abc'), else None (error path only: the threaded
    reader keeps no line numbers; numbered as :func:`_csv_place` numbers, so a quoted newline
    counts). The field is as the file holds it, padding and all."""
    binary = source.open("rb") if isinstance(source, Path) else source
    binary.seek(0)
    lines = io.TextIOWrapper(
        cast("IO[bytes]", binary), encoding="utf-8-sig", errors="replace", newline=""
    )
    try:
        reader = csv.reader(lines)
        after = 0  # the line the previous record ended on
        for number, record in enumerate(reader):
            start, after = after + 1, reader.line_num
            if number and at < len(record) and record[at].strip(ARROW_TRIMS) == value:
                return f"line {start}: ", record[at]
    except csv.Error:  # a field past csv's size limit: the line stays unnamed
        pass
    finally:
        if isinstance(source, Path):
            lines.close()
        else:
            lines.detach()  # the zip member's stream is its opener's to close
    return None


def _field_reads_as(text: str, value: str | float) -> bool:
    """Whether a CSV field reads as ``value``, as the reader reads it: an alpha country code
    trimmed and in capitals, a number as a float (an empty field as NaN)."""
    text = text.strip()
    if isinstance(value, str):
        return text.upper() == value
    if not text:
        return bool(np.isnan(value))
    try:
        number = float(text)
    except ValueError:
        return False
    return number == value or (np.isnan(number) and np.isnan(value))


def _csv_place(path: Path, header: list[str], present: dict[str, str]) -> RowPlace:
    """Where a row of a CSV's table is in the file: the first record of the row's country with
    its value in the column at fault (error path only: the threaded reader keeps no line
    numbers). Rows are read in file order and the check names a
    column's first bad row, so that record is the row itself."""

    def place(table: pd.DataFrame, position: int, name: str) -> str:
        row = table.iloc[position]
        index = {column: number for number, column in enumerate(header)}
        wanted: list[tuple[int, str | float]] = []
        for wave7 in dict.fromkeys((COUNTRY_ALPHA, COUNTRY_NUMERIC, name)):
            if wave7 not in present or wave7 not in table:
                continue
            value = row[wave7]
            if wave7 == COUNTRY_ALPHA:
                wanted.append((index[present[wave7]], "" if pd.isna(value) else str(value)))
            else:
                wanted.append((index[present[wave7]], float(value)))
        with _opened(path) as (source, _, _):
            binary = source.open("rb") if isinstance(source, Path) else source
            lines = io.TextIOWrapper(
                cast("IO[bytes]", binary), encoding="utf-8-sig", errors="replace", newline=""
            )
            with lines:
                reader = csv.reader(lines)
                after = 0  # the line the previous record ended on
                try:
                    for number, record in enumerate(reader):
                        start, after = after + 1, reader.line_num
                        if number and all(
                            at < len(record) and _field_reads_as(record[at], value)
                            for at, value in wanted
                        ):
                            return f"line {start}: "
                except csv.Error:  # a field past csv's size limit: the line stays unnamed
                    pass
        return ""

    return place


BLOCK_BYTES: Final = 1 << 20
"""Arrow's CSV read block; no line may be longer."""
_WRONG_WIDTH: Final = re.compile(r"CSV parse error: Expected \d+ columns, got \d+")


def _read_csv(
    source: Path | io.BufferedIOBase,
    columns: list[str],
    header: list[str],
    where: str,
    text_columns: frozenset[str] = frozenset(),
) -> pa.Table:
    import pyarrow.csv as pacsv

    bad_rows: list[Any] = []

    def on_invalid_row(row: Any) -> str:
        bad_rows.append(row)
        return "error"

    types = {name: pa.string() if name in text_columns else pa.float64() for name in columns}

    def read(threads: bool) -> pa.Table:
        return pacsv.read_csv(
            source,
            read_options=pacsv.ReadOptions(use_threads=threads, block_size=BLOCK_BYTES),
            parse_options=pacsv.ParseOptions(
                delimiter=",", invalid_row_handler=None if threads else on_invalid_row
            ),
            convert_options=pacsv.ConvertOptions(
                include_columns=columns, column_types=types, strings_can_be_null=False
            ),
        )

    # The threaded read calls no Python: a row handler called on Arrow's worker threads, still
    # running when the process exited after the error, aborted it ("terminate called without an
    # active exception", exit 134, after the Error: line). A row of the wrong width is named by
    # a second, unthreaded read with the handler (error path only), which also numbers the row.
    try:
        try:
            table = read(threads=True)
        except pa.ArrowInvalid as exc:
            if not _WRONG_WIDTH.match(str(exc)):
                raise
            if not isinstance(source, Path):
                source.seek(0)
            table = read(threads=False)
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
        # The whole message: a quoted field may hold a newline, and Arrow quotes it as it is.
        value = re.search(r"invalid value '(.*)'\Z", str(exc), re.DOTALL)
        if column and int(column.group(1)) < len(header):
            at = int(column.group(1))
            record = _not_a_number_line(source, at, value.group(1)) if value else None
            line, field = record if record else ("", value.group(1) if value else "")
            found = f": {field[:40]!r}" if value else ""
            raise InputError(f"{where}: {line}column {header[at]}: not a number{found}") from None
        if "straddl" in message:  # Arrow's words for a line longer than its read block
            raise InputError(
                f"{where}: a line longer than {BLOCK_BYTES >> 20} MiB (a WVS row is a few KiB): "
                "a damaged file, or not a WVS CSV"
            ) from None
        raise InputError(f"{where}: malformed CSV data ({message[:200]})") from None
    return table


def check_distinct_header(header: list[str], where: str) -> None:
    """Column names are matched as :func:`~sgbench.builder.layouts.column_key` reads them, so
    two names a reader takes for one (case, full-width 'Ｑ1', lookalike letters) are one column
    twice: the reader would take the first and silently drop the other's data. A name
    holding a character that does not print (:func:`sgbench.errors.first_unseen`: a zero-width
    space, a byte order mark inside the header, a soft hyphen) is refused, as a padded one is:
    '\u200bQ1' displays as Q1 yet is another column. (Also the rule for the tables ``sgbench
    import paper-outputs`` reads.)

    Raises:
        InputError: ``WHERE: column NAME appears twice in the header (columns I and J); ...``
            or ``WHERE: column I's name NAME holds U+XXXX (...), which does not print; ...``.
    """
    first: dict[str, tuple[int, str]] = {}
    for number, name in enumerate(header, start=1):
        hidden = first_unseen(name)
        if hidden is not None:
            char = name[hidden]
            raise InputError(
                f"{where}: column {number}'s name {shown_exactly(name)} holds U+{ord(char):04X} "
                f"({unicodedata.name(char, 'unnamed')}), which does not print; rename the column"
            )
        earlier, earlier_name = first.setdefault(column_key(name), (number, name))
        if earlier != number:
            alike = "" if name.upper() == earlier_name.upper() else f": {earlier_name} and {name}"
            raise InputError(
                f"{where}: column {name} appears twice in the header (columns {earlier} and "
                f"{number}{alike}); rename or remove one"
            )


def _all_rows_valid(table: pa.Table, checked: dict[str, bool]) -> bool:
    """Whether no number in the ``checked`` columns of ``table`` is infinite and none in those
    marked True (codes, not quantities) is a fraction: what :func:`_numeric` refuses, checked on
    every row of the file at Arrow's speed, before the table is cut to one country (the first
    bad row is then named by :func:`_numeric`, given the whole table)."""
    for name, code in checked.items():
        column = table[name]
        if not pa.types.is_floating(column.type):
            continue
        if pc.any(pc.is_inf(column)).as_py():
            return False
        if code:
            whole = pc.equal(column, pc.floor(column))
            if not pc.all(pc.or_kleene(whole, pc.invert(pc.is_finite(column)))).as_py():
                return False
    return True


def _check_country_pairs(
    pairs: pd.DataFrame, where: str, present: dict[str, str], place: RowPlace
) -> None:
    """Refuse a row whose two country codes name two countries of the catalogue: an alpha-3
    code (``B_COUNTRY_ALPHA``) of one and a numeric code (``B_COUNTRY``) of another, such as
    ``DEU`` with 702. Which country the row is was a guess: ``--country SGP`` matched it by the
    alpha code and ``--country 702`` by the number, so its respondent joined one build and not the
    other. Codes are compared, never names, and a code the catalogue does not know contradicts
    nothing, so a release's own spellings (a country of an earlier wave, a code it spells its
    own way) stay as they are. ``pairs`` holds every row of the file (both columns, Wave 7
    names, file order); the row named is the first.

    Raises:
        InputError: ``WHERE: line N: column B_COUNTRY_ALPHA: 'DEU' (Germany) contradicts
            B_COUNTRY 702 (Singapore) ...``.
    """
    if COUNTRY_ALPHA not in pairs or COUNTRY_NUMERIC not in pairs:
        return
    countries = load_countries()
    by_numeric = {country.numeric: country for country in countries.values()}
    alpha = pairs[COUNTRY_ALPHA].astype("string").str.strip().str.upper()
    expected = alpha.map({code: float(country.numeric) for code, country in countries.items()})
    numeric = pd.to_numeric(pairs[COUNTRY_NUMERIC], errors="coerce")
    known = numeric.isin([float(code) for code in by_numeric])
    clashing = (expected.notna() & known & (expected != numeric)).fillna(False)
    clash = np.flatnonzero(clashing.to_numpy(bool))
    if not clash.size:
        return
    first = int(clash[0])
    code, number = str(alpha.iloc[first]), int(numeric.iloc[first])
    shown = pairs.assign(**{COUNTRY_ALPHA: alpha, COUNTRY_NUMERIC: numeric})
    raise InputError(
        f"{where}: {place(shown, first, COUNTRY_ALPHA)}column {present[COUNTRY_ALPHA]}: "
        f"{code!r} ({countries[code].name}) contradicts {present[COUNTRY_NUMERIC]} {number} "
        f"({by_numeric[number].name}); a respondent lives in one country: correct one of the two"
    )


def _stat_columns(path: Path, file_format: FileFormat, where: str) -> list[str]:
    import pyreadstat

    reader = pyreadstat.read_dta if file_format == "dta" else pyreadstat.read_sav
    try:
        _, meta = reader(str(path), metadataonly=True)
    except Exception as exc:  # pyreadstat raises its own and OS errors for damaged files
        kind = "Stata" if file_format == "dta" else "SPSS"
        raise InputError(f"{where}: not a readable {kind} file ({exc})") from None
    return [str(name) for name in meta.column_names]


def _country_rows(table: pa.Table, present: dict[str, str], country: str) -> pa.Table:
    """The rows of ``country`` (all rows for ``ALL``, or when none match: the later check then
    reports which countries the file holds)."""
    if country == ALL_COUNTRIES:
        return table
    if not country.isdigit() and COUNTRY_ALPHA in present:
        codes = pc.utf8_upper(pc.utf8_trim_whitespace(table[present[COUNTRY_ALPHA]]))
        mask = pc.equal(codes, country.upper())
    else:
        numeric = int(country) if country.isdigit() else country_numeric_code(country)
        if numeric is None or COUNTRY_NUMERIC not in present:
            return table
        # Codes near the country's (702.5) are kept so that the check of codes refuses them:
        # dropped here, they would leave the build silently.
        distance = pc.abs(pc.subtract(table[present[COUNTRY_NUMERIC]], float(numeric)))
        mask = pc.less(distance, 1.0)
    chosen = table.filter(pc.fill_null(mask, False))
    return chosen if chosen.num_rows else table


def _read_stat(path: Path, file_format: FileFormat, columns: list[str], where: str) -> pd.DataFrame:
    import pyreadstat

    reader = pyreadstat.read_dta if file_format == "dta" else pyreadstat.read_sav
    try:
        frame, _ = reader(str(path), usecols=columns, apply_value_formats=False)
    except Exception as exc:
        raise InputError(f"{where}: damaged or truncated data ({exc})") from None
    return frame


RowPlace = Callable[[pd.DataFrame, int, str], str]
"""Where a row of the table read is in the file, for a message (``line 12: `` in a CSV, ``row
11: `` in a .dta or .sav, ``""`` when unknown): given the table, the row's position in it and
the Wave 7 name of the column at fault."""


def _numeric(
    frame: pd.DataFrame,
    where: str,
    file_names: dict[str, str] | None = None,
    *,
    measures: frozenset[str] = frozenset(),
    place: RowPlace | None = None,
) -> pd.DataFrame:
    """Every column but the alpha country code as float64; a non-number, an infinity, or a
    fraction in a column of codes names its column, as the file calls it (``file_names``:
    Wave 7 name → the file's).

    Every numeric column but the ``measures`` (a weight, a variable a config reads by ranges)
    holds codes: an answer, an attribute value, a country, a wave, a year. A code of 2.5
    matched no code list and was read as missing, with exit code 0 (a row of sex 1.5 left every
    subgroup of sex; a Time Series recode truncated it to 2); a .dta or .sav stores codes as
    floats, so 2.0 is the code 2.
    """
    out: dict[str, Any] = {}
    for name in frame.columns:
        shown = (file_names or {}).get(name, name)
        if name == COUNTRY_ALPHA:
            out[name] = frame[name].astype("string").str.strip().str.upper()
            continue
        if name == RESPONDENT:  # an id, compared as written, never computed with
            out[name] = frame[name]
            continue
        column = frame[name]
        if column.dtype.kind in "fiub":
            out[name] = column.astype("float64")
        else:
            converted = pd.to_numeric(column.replace("", np.nan), errors="coerce")
            bad = converted.isna() & column.notna() & (column.astype("string").str.strip() != "")
            if bad.any():
                raise InputError(
                    f"{where}: column {shown}: non-numeric value {column[bad].iloc[0]!r}"
                )
            out[name] = converted.astype("float64")
        # A WVS code, weight, wave or year is a finite number; an infinity (a damaged file, or
        # "inf" written by hand) has no code, and crashed the integer conversions downstream.
        infinite = np.isinf(out[name].to_numpy())
        if infinite.any():
            raise InputError(
                f"{where}: column {shown}: {int(infinite.sum())} infinite value(s) (first: "
                f"{out[name][infinite].iloc[0]}); codes and weights are finite numbers"
            )
    table = pd.DataFrame(out, index=frame.index)
    for name in table.columns:
        if name in measures or name in (COUNTRY_ALPHA, RESPONDENT):
            continue
        values = table[name].to_numpy()
        fraction = np.flatnonzero(~np.isnan(values) & (values != np.floor(values)))
        if fraction.size:
            first = int(fraction[0])
            at = place(table, first, name) if place is not None else ""
            raise InputError(
                f"{where}: {at}column {(file_names or {}).get(name, name)}: "
                f"{float(values[first])!r} is not a whole number; answer, attribute, country, "
                "wave and year codes are whole numbers (only the weight and a variable read by "
                "ranges may hold fractions)"
            )
    return table


def _country_mask(frame: pd.DataFrame, country: str) -> pd.Series:
    """Rows of ``country``: alpha-3 matched on the alpha column, digits on the numeric one."""
    if country == ALL_COUNTRIES:
        return pd.Series(True, index=frame.index)
    if country.isdigit():
        if COUNTRY_NUMERIC not in frame:
            raise InputError(f"no country code column to match country {country}")
        return frame[COUNTRY_NUMERIC] == float(country)
    if COUNTRY_ALPHA in frame:
        return frame[COUNTRY_ALPHA] == country.upper()
    numeric = country_numeric_code(country)
    if numeric is None or COUNTRY_NUMERIC not in frame:
        example = ArgumentName("country='702'", "--country 702")
        raise InputError(
            f"no alpha-3 country column to match country {country}; pass its numeric code "
            f"(e.g. {example})"
        )
    return frame[COUNTRY_NUMERIC] == float(numeric)


def _recode(column: pd.Series, recode: Recode) -> pd.Series:
    """Apply a code map; negative (missing) codes and NaN pass through unchanged."""
    mapped = column.map(lambda code: recode.codes.get(int(code), _UNLISTED) if code >= 0 else code)
    unlisted = mapped.map(lambda value: value is _UNLISTED)
    fallback = column if recode.default is None else pd.Series(recode.default, index=column.index)
    mapped = mapped.where(~unlisted, fallback)
    return pd.to_numeric(mapped, errors="coerce").astype("float64")


_UNLISTED: Final = object()


def _check_respondents_once(frame: pd.DataFrame, where: str, column: str | None) -> None:
    """Refuse a respondent id seen twice in one country-wave.

    A file holding every respondent twice (two downloads joined with ``cat``, a table appended
    to itself) doubled every count and ``subgroup_size`` and narrowed every interval, with exit
    code 0: the shares alone do not show it. Files without the id column are not checked.
    """
    if column is None or RESPONDENT not in frame:
        return
    keys = [c for c in (COUNTRY_NUMERIC, COUNTRY_ALPHA, WAVE) if c in frame] + [RESPONDENT]
    ids = frame[keys].dropna(subset=[RESPONDENT])
    twice = ids.duplicated(keep=False)
    if twice.any():
        first = ids.loc[twice, RESPONDENT].iloc[0]
        # A CSV's ids are read as floats: 702070001, not 702070001.0.
        named = int(first) if isinstance(first, float) and first.is_integer() else first
        raise InputError(
            f"{where}: column {column}: respondent {shown_name(str(named))} appears "
            f"{int((ids[RESPONDENT] == first).sum())} times; each respondent is one row (a file "
            "joined with itself or with a copy?)"
        )


def read_survey(
    path: PathArg,
    columns: Iterable[str],
    country: str,
    waves: Iterable[int] | None = None,
    *,
    name: str | None = None,
    measures: Iterable[str] = (),
) -> SurveyData:
    """Read the needed columns and one country's rows of a WVS release file, in Wave 7 terms.

    The layout (Wave 7 cross-national, Wave 6 cross-national, or the 1981–2022 Time Series) is
    told from the columns; the returned table uses Wave 7 names and codes whatever the layout,
    with ``B_COUNTRY``, ``B_COUNTRY_ALPHA`` (when the file has it), ``A_WAVE`` and ``A_YEAR``.

    Args:
        path: a ``.csv``, ``.dta`` or ``.sav`` file, or a ``.zip`` holding one.
        columns: Wave 7 names of every column the build could use (items, attributes, weight);
            those the file lacks are listed in ``columns_absent``.
        country: ISO alpha-3 code, numeric code, or ``ALL``.
        waves: waves to keep (Time Series files hold several); None keeps Wave 7 from a Time
            Series file and the file's own wave otherwise.
        name: what messages call the file (default: its path), for a file the user never saw.
        measures: Wave 7 names of the columns holding quantities, which may be fractional (the
            weight, a variable a config reads by ranges); every other numeric column holds
            codes, and a code that is not a whole number is refused.

    Raises:
        InputError: the file is missing, empty, damaged, not WVS data, holds a code that is
            not a whole number, or has no respondent in ``country`` (and ``waves``). The
            message names the file (and the line or row, and the column, of a bad value).
    """
    path = Path(path)
    where = name or str(path)
    quantities = frozenset(measures)
    if not path.exists():
        raise InputError(f"{where}: no such file")
    if path.is_dir():
        raise InputError(f"{where}: is a folder, not a WVS data file")
    if not path.is_file():
        raise InputError(f"{where}: not a regular file (a FIFO or a device?); pass the data file")
    if path.stat().st_size == 0:
        raise InputError(f"{where}: empty file")
    wanted = list(dict.fromkeys(columns))
    with _opened(path) as (source, file_format, member):
        label = f"{where}:{member}" if member else where
        if file_format == "csv":
            header = _csv_header(source, label)
        else:
            assert isinstance(source, Path)  # narrowing for mypy; _opened yields a path here
            header = _stat_columns(source, file_format, label)
        check_distinct_header(header, label)
        layout = detect_layout(header, label)
        by_key = {column_key(name): name for name in header}
        # Wave 7 name → the layout's column name, for everything the file has.
        sources = {
            **{name: layout.column(name) for name in wanted},
            COUNTRY_NUMERIC: layout.country_numeric,
        }
        if layout.country_alpha:
            sources[COUNTRY_ALPHA] = layout.country_alpha
        if layout.wave_column:
            sources[WAVE] = layout.wave_column
        if layout.year_column:
            sources[YEAR] = layout.year_column
        if layout.respondent_column:
            sources[RESPONDENT] = layout.respondent_column
        present = {
            name: by_key[column_key(col)]
            for name, col in sources.items()
            if column_key(col) in by_key
        }
        if COUNTRY_NUMERIC not in present and COUNTRY_ALPHA not in present:
            raise InputError(f"{label}: missing column {layout.country_numeric}")
        file_columns = list(dict.fromkeys(present.values()))
        if file_format == "csv":
            place = _csv_place(path, header, present)
            text = frozenset({present[COUNTRY_ALPHA]} if COUNTRY_ALPHA in present else ())
            # Every row is parsed and checked, whatever the country built, as a .dta or .sav
            # is: a CSV cut to the country's lines before parsing built where the same data in
            # another format was refused (the cost: benchmarks/bench_row_checks.py).
            table = _read_csv(source, file_columns, header, label, text)
            checked: dict[str, bool] = {}
            for name, column in present.items():
                if name not in (COUNTRY_ALPHA, RESPONDENT):
                    checked[column] = checked.get(column, False) or name not in quantities
            valid = _all_rows_valid(table, checked)
            if COUNTRY_ALPHA in present and COUNTRY_NUMERIC in present:
                columns = [present[COUNTRY_NUMERIC], present[COUNTRY_ALPHA]]
                pairs = table.select(columns).to_pandas()
                pairs.columns = pd.Index([COUNTRY_NUMERIC, COUNTRY_ALPHA])
                _check_country_pairs(pairs, label, present, place)
            if valid:
                # Keep one country's rows before anything is copied: the release holds ~97k.
                table = _country_rows(table, present, country)
            # Otherwise every row goes on to _numeric, which names the first bad one.
            raw = table.to_pandas(split_blocks=True, self_destruct=True)
            del table
        else:
            # A .dta or .sav is read whole, in file order: its observation (case) number.
            def place(table: pd.DataFrame, position: int, name: str) -> str:
                return f"row {int(table.index[position]) + 1}: "

            assert isinstance(source, Path)
            raw = _read_stat(source, file_format, file_columns, label)
    # Readers return columns in file order, under the file's spelling; one file column may
    # serve two Wave 7 names (e.g. X003R in the Time Series).
    frame = pd.DataFrame({name: raw[column] for name, column in present.items()})
    frame = _numeric(frame, label, present, measures=quantities, place=place)
    if file_format != "csv":  # a CSV's were checked on every row before it was cut
        _check_country_pairs(frame, label, present, place)
    if frame.empty:
        raise InputError(f"{label}: no data rows")
    recodes = {**layout.recodes, **layout.item_recodes(wanted)}
    for name, recode in recodes.items():
        if name in frame:
            frame[name] = _recode(frame[name], recode)
    if layout.fixed_wave is not None:
        frame[WAVE] = float(layout.fixed_wave)
    try:
        mask = _country_mask(frame, country)
    except InputError as exc:
        raise InputError(f"{label}: {exc}") from None
    if not mask.any():
        column = (
            COUNTRY_ALPHA if COUNTRY_ALPHA in frame and not country.isdigit() else COUNTRY_NUMERIC
        )
        found = sorted({str(v) for v in frame[column].dropna().unique()})[:10]
        raise InputError(
            f"{label}: no respondent with {column} = {country} (found: {', '.join(found)})"
        )
    frame = frame.loc[mask]
    wanted_waves: set[int] = (
        {7} if waves is None and layout.fixed_wave is None else set(waves or ())
    )
    if wanted_waves:
        in_waves = frame[WAVE].isin([float(w) for w in wanted_waves])
        if not in_waves.any():
            waves_found = sorted({int(w) for w in frame[WAVE].dropna().unique()})
            raise InputError(
                f"{label}: no respondent of {country} in wave(s) {sorted(wanted_waves)} "
                f"(waves in the file: {waves_found})"
            )
        frame = frame.loc[in_waves]
    _check_respondents_once(frame, label, present.get(RESPONDENT))
    if RESPONDENT not in wanted:
        frame = frame.drop(columns=[RESPONDENT], errors="ignore")
    frame = frame.reset_index(drop=True)
    return SurveyData(
        frame=frame,
        file_name=path.name,
        shown=where,
        sha256=sha256_file(path),
        format=file_format,
        layout=layout.name,
        member=member,
        columns_absent=tuple(name for name in wanted if name not in present),
        synthetic=is_synthetic(header),
    )
