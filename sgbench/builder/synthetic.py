"""A SYNTHETIC Singapore sample in the WVS Wave 7 release layout. It is not survey data.

The WVS terms forbid redistributing respondent data, so the embedded default, the tests and the
benchmarks use this generated sample instead. It has the release's column names and codes, 2,012
respondents aged 21+ with roughly Singapore's marginals (ethnicity, religion within ethnicity,
age, sex), answers to every catalogue item driven by subgroup effects strong enough that
subgroups differ, missing codes, non-substantive codes, one item not asked, and weights.
Nothing computed from it says anything about Singapore.
"""

from __future__ import annotations

import errno
import functools
import io
import os
import re
import zipfile
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from sgbench.boundary import ArgumentName, PathArg, public
from sgbench.builder.layouts import LAYOUTS, SYNTHETIC_COLUMN, LayoutName
from sgbench.catalogue import load_catalogue
from sgbench.errors import InputError, shown_name
from sgbench.files import check_output_name, check_outputs_apart, write_atomic

SYNTHETIC_SEED: Final = 7_2020
N_RESPONDENTS: Final = 2012
SYNTHETIC_FILE_NAME: Final = "sgbench-synthetic-wvs7-sgp.csv"
MAX_RESPONDENTS: Final = 1_000_000
"""Most respondents a synthetic sample has: twice the WVS Time Series file; a sample of 2**62
asked numpy for an impossible array."""
NOT_ASKED: Final = ("Q221",)
"""Items coded -4 for everyone, as items a country did not ask are (Singapore has no local
government elections)."""

ETHNICITY: Final = {
    702004: 0.74,
    702006: 0.135,
    702003: 0.09,
    702008: 0.01,
    702001: 0.005,
    702999: 0.02,
}
RELIGION_BY_ETHNICITY: Final[dict[int, dict[int, float]]] = {
    # Q289: 0 none, 1 Roman Catholic, 2 Protestant, 5 Muslim, 6 Hindu, 7 Buddhist,
    # 8 other Christian, 9 other (Taoist, Sikh, ...)
    702004: {7: 0.40, 0: 0.25, 2: 0.13, 1: 0.07, 9: 0.14, 8: 0.01},
    702006: {5: 0.97, 0: 0.02, 2: 0.01},
    702003: {6: 0.58, 5: 0.22, 1: 0.07, 2: 0.06, 9: 0.05, 0: 0.02},
    702008: {1: 0.55, 2: 0.25, 0: 0.20},
    702001: {0: 0.45, 2: 0.30, 1: 0.25},
    702999: {5: 0.30, 0: 0.30, 2: 0.20, 9: 0.20},
}
AGE_BANDS: Final = (
    (21, 24, 0.07),
    (25, 34, 0.18),
    (35, 44, 0.19),
    (45, 54, 0.19),
    (55, 64, 0.18),
    (65, 89, 0.19),
)


def _choice(rng: np.random.Generator, table: dict[int, float], size: int) -> np.ndarray:
    codes = np.fromiter(table, dtype=np.int64)
    probs = np.fromiter(table.values(), dtype=np.float64)
    return rng.choice(codes, size=size, p=probs / probs.sum())


def _demographics(rng: np.random.Generator, n: int) -> pd.DataFrame:
    ethnicity = _choice(rng, ETHNICITY, n)
    religion = np.empty(n, dtype=np.int64)
    for code, table in RELIGION_BY_ETHNICITY.items():
        members = ethnicity == code
        religion[members] = _choice(rng, table, int(members.sum()))
    band = rng.choice(len(AGE_BANDS), size=n, p=[b[2] for b in AGE_BANDS])
    low = np.array([b[0] for b in AGE_BANDS])[band]
    high = np.array([b[1] for b in AGE_BANDS])[band]
    age = rng.integers(low, high + 1)
    age_group = np.searchsorted([24, 34, 44, 54, 64], age, side="left") + 1
    sex = rng.choice([1, 2], size=n, p=[0.49, 0.51])
    # A few respondents decline demographic questions, as in any survey.
    religion[rng.random(n) < 0.005] = -2
    weight = np.exp(rng.normal(0.0, 0.35, size=n))
    weight = np.round(weight / weight.mean(), 6)
    return pd.DataFrame(
        {
            "A_WAVE": 7,
            "A_STUDY": 2,
            "A_YEAR": 2020,
            "B_COUNTRY": 702,
            "B_COUNTRY_ALPHA": "SGP",
            "D_INTERVIEW": 702070001 + np.arange(n),
            "W_WEIGHT": weight,
            "Q260": sex,
            "Q262": age,
            "X003R": age_group,
            "Q289": religion,
            "Q290": ethnicity,
            "Q275R": rng.choice([1, 2, 3], size=n, p=[0.25, 0.40, 0.35]),
            "Q288R": rng.choice([1, 2, 3], size=n, p=[0.30, 0.50, 0.20]),
            "H_URBRURAL": 1,
        }
    )


def _answers(rng: np.random.Generator, people: pd.DataFrame) -> dict[str, np.ndarray]:
    """Answer codes for every catalogue item from a latent score with subgroup effects.

    latent = item intercept + sex, age, ethnicity and religion effects (drawn per item) + noise,
    cut into the item's options at evenly spaced thresholds; missing codes sprinkled on top.
    """
    items = load_catalogue()
    n, n_items = len(people), len(items)
    factors = {
        "Q260": ([1, 2], 0.35),
        "X003R": ([1, 2, 3, 4, 5, 6], 0.55),
        "Q290": (sorted(ETHNICITY), 0.8),
        "Q289": ([-2, 0, 1, 2, 5, 6, 7, 8, 9], 1.0),
    }
    latent = rng.normal(0.0, 0.9, size=n_items)[None, :] + rng.logistic(0, 0.9, (n, n_items))
    for column, (levels, scale) in factors.items():
        effects = rng.normal(0.0, scale, size=(len(levels), n_items))
        index = np.searchsorted(np.asarray(levels), people[column].to_numpy())
        latent += effects[index]
    max_options = max(len(item.options) for item in items)
    cuts = np.full((n_items, max_options - 1), np.inf)
    codes = np.full((n_items, max_options), -5, dtype=np.int64)
    for j, item in enumerate(items):
        k = len(item.options)
        cuts[j, : k - 1] = np.linspace(-1.6, 1.6, k - 1) if k > 2 else [0.0]
        codes[j, :k] = item.codes
    position = (latent[:, :, None] > cuts[None, :, :]).sum(axis=2)
    answer = codes[np.arange(n_items)[None, :], position]
    draw = rng.random((n, n_items))
    answer[draw < 0.02] = -1
    answer[(draw >= 0.02) & (draw < 0.025)] = -2
    for j, item in enumerate(items):
        if item.excluded:
            answer[draw[:, j] > 0.985, j] = item.excluded[0].code
        if item.question_id in NOT_ASKED:
            answer[:, j] = -4
    return {item.question_id: answer[:, j] for j, item in enumerate(items)}


def check_sample_settings(seed: int, n: int) -> None:
    """Refuse a seed numpy's generators do not take and a sample size with no sample or none
    that fits: ``n=0`` wrote a header with no respondents (and NaN weights), ``n=-1`` and
    ``n=2**62`` were numpy's ValueErrors. The one rule for every synthetic sample.

    Raises:
        InputError: a negative ``seed``, or ``n`` outside 1 to :data:`MAX_RESPONDENTS`.
    """
    if seed < 0:
        raise InputError(f"seed {seed}: must be 0 or more")
    if not 1 <= n <= MAX_RESPONDENTS:
        raise InputError(f"n {n}: a synthetic sample has 1 to {MAX_RESPONDENTS:,} respondents")


def synthetic_sample(seed: int = SYNTHETIC_SEED, n: int = N_RESPONDENTS) -> pd.DataFrame:
    """The SYNTHETIC sample as a DataFrame in the release's column layout (deterministic)."""
    check_sample_settings(seed, n)
    rng = np.random.default_rng(seed)
    people = _demographics(rng, n)
    answers = pd.DataFrame(_answers(rng, people))
    return pd.concat([people, answers], axis=1)


WVS6_RELIGION_EXAMPLES: Final = {
    0: 0,
    1: 64,
    2: 62,
    3: 52,
    4: 42,
    5: 49,
    6: 31,
    7: 12,
    8: 17,
    9: 77,
}
"""A Wave 6 denomination (V144) for each Wave 7 religion group, to write Wave 6 layout files."""


def to_layout(
    frame: pd.DataFrame, layout: LayoutName, wave: int = 7, year: int = 2020
) -> pd.DataFrame:
    """The same respondents in another release's layout: its column names and codes.

    The inverse of what the reader does, so a file written in any layout reads back to the
    same Wave 7 table (tests and benchmarks rely on this). ``wave`` and ``year`` label the rows
    of a Time Series file.
    """
    if layout == "wvs7":
        return frame.copy()
    spec = LAYOUTS[layout]
    question_ids = [q for q in frame.columns if q in {i.question_id for i in load_catalogue()}]
    out = frame.copy()
    for question_id, recode in spec.item_recodes(question_ids).items():
        inverse = {w7: other for other, w7 in recode.codes.items() if w7 is not None}
        out[question_id] = out[question_id].map(lambda c, inv=inverse: inv.get(c, c))
    if layout == "wvs6":
        out["Q289"] = out["Q289"].map(lambda c: WVS6_RELIGION_EXAMPLES.get(c, c))
        out["Q290"] = out["Q290"].replace({702999: 702007})
    names = {
        **spec.item_variables(question_ids),
        **spec.variables,
        "B_COUNTRY": spec.country_numeric,
    }
    if spec.country_alpha:
        names["B_COUNTRY_ALPHA"] = spec.country_alpha
    if spec.year_column:
        names["A_YEAR"] = spec.year_column
    if spec.respondent_column:
        names["D_INTERVIEW"] = spec.respondent_column
    if spec.wave_column:
        out["A_WAVE"] = wave
        names["A_WAVE"] = spec.wave_column
    out["A_YEAR"] = year
    keep = [column for column in out.columns if column in names]
    renamed = out[keep].rename(columns=names)
    return renamed.loc[:, ~renamed.columns.duplicated()]


SYNTHETIC_LABEL: Final = "SYNTHETIC sgbench sample - not WVS data"
"""The file label (.dta, .sav) and the marker column's variable label of a written sample."""


def marked(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the SYNTHETIC marker column
    (:data:`~sgbench.builder.layouts.SYNTHETIC_COLUMN`, 1 in every row) last: what every file
    :func:`write_synthetic_sample` writes carries, and what makes a build from it SYNTHETIC
    whatever the file is called."""
    return frame.assign(**{SYNTHETIC_COLUMN: 1})


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    return marked(frame).to_csv(index=False, lineterminator="\n").encode("utf-8")


# Every build from the embedded sample writes these bytes to a temporary file: the same bytes
# for the same arguments (deterministic), so the last few are kept rather than re-rendered.
@functools.lru_cache(maxsize=2)
def synthetic_csv_bytes(seed: int = SYNTHETIC_SEED, n: int = N_RESPONDENTS) -> bytes:
    """The SYNTHETIC sample as release-style CSV bytes (comma-delimited, header row), with its
    marker column (:func:`marked`)."""
    return _csv_bytes(synthetic_sample(seed, n))


_STAMPS: Final = {
    ".dta": (b"<timestamp>\x11", b"01 Jan 2020 00:00"),
    ".sav": (b"$FL2", b"01 Jan 2000:00:00"),
}
"""Where ReadStat stamps the time of writing (after the first bytes, for .dta; at byte 92 of the
header, ``dd mmm yyhh:mm:ss``, for .sav), and the fixed time put there: the zip's 2020-01-01."""
_SAV_STAMP_AT: Final = 92


def _fix_stamp(path: Path, suffix: str) -> None:
    """Replace the wall-clock time ReadStat writes into a .dta or .sav header by a fixed one,
    so that a seed gives the same bytes at any time and in any time zone (the stamp is local
    time, to the minute or second)."""
    marker, stamp = _STAMPS[suffix]
    with path.open("r+b") as handle:
        head = handle.read(4096)
        found = head.find(marker)
        if found < 0:  # not the header this writer was seen to write: leave it
            return
        handle.seek(found + len(marker) if suffix == ".dta" else _SAV_STAMP_AT)
        handle.write(stamp)


@public
def write_synthetic_sample(
    path: PathArg,
    seed: int | None = None,
    n: int = N_RESPONDENTS,
    layout: LayoutName = "wvs7",
) -> Path:
    """Write the SYNTHETIC sample as ``.csv``, ``.dta``, ``.sav`` or ``.zip`` (CSV inside),
    in the layout of the Wave 7 or Wave 6 release or of the Time Series file.

    Every file carries the marker column (:func:`marked`; in .dta and .sav also a file label
    and the column's variable label), so a build from it, renamed or not, is SYNTHETIC.

    Raises:
        InputError: a path no output file can have (:func:`~sgbench.files.check_output_name`:
            a name holding a control character, a folder, a missing folder), an unsupported
            extension, a negative seed (numpy's generators take
            none), a sample size out of range (:func:`check_sample_settings`), or an existing
            ``path``: a file in WVS format may be a real WVS download,
            and nothing in a CSV tells a synthetic sample from one, so none is replaced.
    """
    import pyreadstat

    # The name first, as typed (Path drops a final '/'), as every writer: its extension was
    # judged first, and a newline in the name made that refusal two lines.
    check_output_name(path)
    path = Path(path)
    seed = SYNTHETIC_SEED if seed is None else seed
    check_sample_settings(seed, n)
    suffix = path.suffix.lower()
    shown = shown_name(str(path))
    if suffix not in {".csv", ".dta", ".sav", ".zip"}:
        raise InputError(f"{shown}: unsupported extension; use .csv, .dta, .sav or .zip")
    if layout != "wvs7" and suffix != ".csv":
        raise InputError(f"{shown}: a {layout} layout sample is written as .csv only")
    # It reads nothing, but its note goes to standard error: kept out of a dataset folder and
    # off the file it writes, as every command's streams (check_outputs_apart).
    check_outputs_apart([], [(ArgumentName("path", "--out"), path)])

    def write(partial: Path) -> None:
        if layout != "wvs7":
            partial.write_bytes(_csv_bytes(to_layout(synthetic_sample(seed, n), layout)))
        elif suffix == ".csv":
            partial.write_bytes(synthetic_csv_bytes(seed, n))
        elif suffix == ".zip":
            member = path.with_suffix(".csv").name
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                info = zipfile.ZipInfo(member, date_time=(2020, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, synthetic_csv_bytes(seed, n))
            partial.write_bytes(buffer.getvalue())
        else:
            frame = marked(synthetic_sample(seed, n))
            writer = pyreadstat.write_dta if suffix == ".dta" else pyreadstat.write_sav
            try:
                writer(
                    frame,
                    str(partial),
                    file_label=SYNTHETIC_LABEL,
                    column_labels={SYNTHETIC_COLUMN: SYNTHETIC_LABEL},
                )
            except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError) as exc:
                # Its errors for a full disk or an unwritable folder are not OSErrors; some
                # carry the errno in their text.
                code = re.search(r"\(errno (\d+)\)", str(exc))
                number = int(code.group(1)) if code else errno.EIO
                reason = os.strerror(number) if code else str(exc).split(". ")[0]
                raise OSError(number, reason) from None
            _fix_stamp(partial, suffix)

    # No kind: a WVS-format file cannot be told from a download of yours, so none is replaced.
    write_atomic(path, write, kind=None)
    return path
