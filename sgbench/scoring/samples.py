"""What the lower scoring functions take from a caller, checked in one place.

:func:`~sgbench.scoring.grouped.breakdown`, :func:`~sgbench.scoring.bootstrap.bootstrap_intervals`,
:func:`~sgbench.scoring.bootstrap.paired_difference_intervals`,
:func:`~sgbench.scoring.paired.sign_flip_p_values` and :func:`~sgbench.scoring.paired.holm` are
public: a notebook may call them with arrays of its own. Each argument that holds one entry per
sample (a metric's values, a question, a subgroup or group key, a missing flag) goes through one
of these functions, which raise :class:`~sgbench.errors.InputError` naming the argument rather
than let numpy or pandas fail inside the arithmetic (a broadcast ``ValueError``, an
``IndexError``) or, worse, give a figure with no error: a NaN value made every bootstrap interval
NaN, a NaN missing flag counted -9,223,372,036,854,775,808 missing samples, and the keys ``1``
and ``"1"`` became two groups both named ``1``.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from sgbench.errors import InputError
from sgbench.scoring.data import BoolArray, FloatArray

MAX_MAGNITUDE: Final = 1e100
"""The largest per-sample value, either sign: far beyond any metric (sgbench's are 0 to 1), and
low enough that the sums, squares and bootstrap-weighted sums the statistics take of it stay
finite (values near 1e308 overflowed: a group mean of inf, NaN intervals, a p-value of 0.02 for
two entries whose values were not compared)."""

Values = npt.NDArray[Any] | Sequence[float] | pd.Series
"""One number per sample (a metric's values, a missing flag), as a caller may hold them: a numpy
array, a list or a pandas Series (checked by :func:`finite_values`, :func:`missing_flags`)."""

Keys = Sequence[Any] | pd.Series | npt.NDArray[Any]
"""One key per sample (a question, a unit, a group; null: in no group where that is allowed), as a
caller may hold them: a list, a pandas Series or a numpy array."""

_ONE_KIND = frozenset({"string", "integer", "floating", "boolean", "categorical", "empty"})
"""Inferred kinds of keys whose values are all of one type, so two of them are one group exactly
when they are shown alike; other keys (``1`` beside ``"1"``) are compared as their text."""


def as_numbers(what: str, values: object) -> FloatArray:
    """``values`` as float64, refusing an entry that is not a number (``None``, a text) before
    the conversion, which read ``None`` as NaN (``holm([0.5, None])`` returned ``[0.5, nan]``,
    NaN being "not tested" there) and ``"0.5"`` as 0.5. Booleans are numbers (a correct flag).

    Raises:
        InputError: a ragged table or an entry that is not a number.
    """
    try:
        raw = np.asarray(values)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{what}: values are not numbers ({exc})") from None
    if raw.dtype.kind not in "biuf":
        odd = [
            v.item() if isinstance(v, np.generic) else v
            for v in raw.ravel()
            if raw.dtype != object or not isinstance(v, numbers.Real)
        ][:1]
        if odd:
            raise InputError(
                f"{what}: values are not numbers ({odd[0]!r} is {type(odd[0]).__name__})"
            )
    try:
        return np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{what}: values are not numbers ({exc})") from None


def finite_values(
    what: str, values: object, n: int | None = None, *, rows: bool = False, least: int = 1
) -> FloatArray:
    """``values`` as float64 finite numbers, one per sample (``(n,)``; ``(E, n)`` with ``rows``:
    one row per entry), ``n`` samples when given, at least ``least`` (a judge report with no
    verdict read has none to resample: ``least=0``).

    Raises:
        InputError: text or a ragged table, another shape or length, no sample, or a value that is
            not finite (NaN or infinite) or beyond :data:`MAX_MAGNITUDE`.
    """
    array = as_numbers(what, values)
    if rows and array.ndim == 1:
        array = array[None, :]
    if array.ndim != (2 if rows else 1):
        shape = "(entries, samples)" if rows else "(samples,)"
        raise InputError(f"{what}: needs shape {shape}, one value per sample, got {array.shape}")
    length = array.shape[-1]
    if length < least or (n is not None and length != n):
        raise InputError(
            f"{what}: {length} value(s) for {n if n is not None else length} sample(s); need one "
            f"per sample, at least {least}"
        )
    if not np.isfinite(array).all():
        raise InputError(
            f"{what}: {int((~np.isfinite(array)).sum())} value(s) not finite (NaN or infinite); "
            "a per-sample metric is a number"
        )
    beyond = np.abs(array) > MAX_MAGNITUDE
    if beyond.any():
        raise InputError(
            f"{what}: {int(beyond.sum())} value(s) beyond ±{MAX_MAGNITUDE:g}, where sums of them "
            "overflow; a per-sample metric is a modest number"
        )
    return array


def sample_keys(what: str, keys: Keys, n: int, *, nulls: bool = True) -> pd.Series:
    """``keys`` as one text key per sample (null: the sample is in no group, where ``nulls``).

    Keys are compared as the text they are shown as, so ``1`` and ``"1"`` are one group, not two
    groups of one name.

    Raises:
        InputError: another length, keys that are not one value each (a table), or a null key
            where every sample needs one (a question, a subgroup).
    """
    # A Series is kept as it is (an Arrow string column would be slow as Python objects).
    if isinstance(keys, pd.Series):
        series = keys
    else:
        array = np.asarray(keys, dtype=object)
        if array.ndim != 1:
            raise InputError(f"{what}: needs one key per sample ({n}), got shape {array.shape}")
        series = pd.Series(array, dtype=object)
    if len(series) != n:
        raise InputError(f"{what}: needs one key per sample ({n}), got {len(series)}")
    missing = series.isna()
    if not nulls and missing.any():
        raise InputError(f"{what}: {int(missing.sum())} sample(s) without a key")
    if pd.api.types.infer_dtype(series, skipna=True) in _ONE_KIND:
        return series
    return series.astype(object).where(missing, series.astype(str))


def missing_flags(what: str, missing: object, n: int) -> BoolArray:
    """``missing`` as one boolean per sample (``True``/``False`` or ``1``/``0``).

    Raises:
        InputError: another shape or length, or a value other than those (a NaN was counted as
            -9,223,372,036,854,775,808 missing samples, a 2 as two).
    """
    array = np.asarray(missing)
    if array.ndim != 1 or len(array) != n:
        raise InputError(f"{what}: needs one missing flag per sample ({n}), got {array.shape}")
    if array.dtype != np.bool_ and not np.isin(array, (0, 1)).all():
        raise InputError(f"{what}: a missing flag is True or False (1 or 0)")
    return np.asarray(array, dtype=bool)


def row_index(reference: object, n_rows: int) -> int:
    """``reference`` as the index of one of ``n_rows`` rows.

    Raises:
        InputError: not an integer (``True``, ``1.5``) or not a row.
    """
    if isinstance(reference, bool) or not isinstance(reference, int | np.integer):
        raise InputError(f"reference row must be an integer, got {reference!r}")
    if not 0 <= int(reference) < n_rows:
        raise InputError(f"reference row {reference} is not one of {n_rows} rows")
    return int(reference)


def count(what: str, value: object, most: int | None = None, least: int = 0) -> int:
    """``value`` as an integer from ``least`` to ``most`` (no bound: None), a count of draws or
    a seed.

    Raises:
        InputError: not an integer (``True``, ``1.5``) or out of range (a count of ``10**9``
            sign draws asked for 22 GiB).
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InputError(f"{what} must be an integer, got {value!r}")
    if int(value) < least or (most is not None and int(value) > most):
        bound = "" if most is None else f" and at most {most:,}"
        raise InputError(f"{what} ({value}) must be {least} or more{bound}")
    return int(value)


def p_values(values: object) -> FloatArray:
    """``values`` as a 1-D array of p-values: each in 0..1, or NaN (not tested).

    Raises:
        InputError: another shape, an entry that is not a number (:func:`as_numbers`: ``None``
            is not NaN), or a value outside 0..1 (Holm scaled a negative one into a negative
            "p-value").
    """
    array = as_numbers("p-values", values)
    if array.ndim != 1:
        raise InputError(f"p-values: needs one per entry, got shape {array.shape}")
    tested = array[~np.isnan(array)]
    if ((tested < 0) | (tested > 1)).any():
        raise InputError("p-values: each is from 0 to 1 (or NaN, not tested)")
    return array
