"""The lower scoring functions refuse per-sample arguments they cannot use, with InputError.

One rule, `sgbench.scoring.samples`, for `breakdown`/`grouped`, `bootstrap_intervals`,
`paired_difference_intervals`, `sign_flip_p_values` and `holm`: before it, a NaN value made
every bootstrap interval NaN, a NaN missing flag counted -2⁶³ missing samples, the keys ``1`` and
``"1"`` became two groups named ``1``, arrays of other lengths crashed in numpy, and 10⁹ sign
draws asked for 22 GiB.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from sgbench.errors import InputError
from sgbench.scoring.bootstrap import (
    MIN_REPLICATES,
    bootstrap_intervals,
    multiplicities,
    paired_difference_intervals,
)
from sgbench.scoring.grouped import breakdown, grouped
from sgbench.scoring.paired import holm, sign_flip_p_values

QUESTIONS = ["a", "a", "b", "b", "c", "c"]
UNITS = ["x", "y", "x", "y", "x", "y"]
ROW = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0]
TWO_ROWS = [ROW, [0.0, 0.0, 1.0, 0.0, 0.0, 1.0]]


def _intervals(**change: Any) -> object:
    args: dict[str, Any] = {
        "values": {"m": np.array(ROW)},
        "questions": QUESTIONS,
        "groupings": {"subgroup": UNITS},
        "fairness_metrics": ["m"],
        "units": UNITS,
        "n_boot": MIN_REPLICATES,
        "seed": 0,
    }
    args.update(change)
    return bootstrap_intervals(**args)


def _paired(**change: Any) -> object:
    args: dict[str, Any] = {
        "values": np.array(TWO_ROWS),
        "questions": QUESTIONS,
        "reference": 0,
        "n_boot": MIN_REPLICATES,
        "seed": 0,
    }
    args.update(change)
    return paired_difference_intervals(**args)


def _sign_flip(**change: Any) -> object:
    args: dict[str, Any] = {
        "values": np.array(TWO_ROWS),
        "questions": QUESTIONS,
        "reference": 0,
        "n_permutations": 99,
        "seed": 0,
    }
    args.update(change)
    return sign_flip_p_values(**args)


def _breakdown(**change: Any) -> object:
    args: dict[str, Any] = {
        "by": "section",
        "keys": UNITS,
        "values": {"m": np.array(ROW)},
        "higher_is_better": {"m": True},
        "missing": np.zeros(6, dtype=bool),
    }
    args.update(change)
    return breakdown(**args)


NAN_ROW = [np.nan, *ROW[1:]]
CASES: dict[str, tuple[Callable[[], object], str]] = {
    # bootstrap_intervals: every per-sample argument
    "intervals NaN value": (lambda: _intervals(values={"m": np.array(NAN_ROW)}), "not finite"),
    "intervals inf value": (
        lambda: _intervals(values={"m": np.array([np.inf, *ROW[1:]])}),
        "not finite",
    ),
    "intervals text values": (
        lambda: _intervals(values={"m": np.array(list("abcdef"))}),
        "not numbers",
    ),
    "intervals short values": (
        lambda: _intervals(values={"m": np.array(ROW[:4])}),
        "one per sample",
    ),
    "intervals short units": (lambda: _intervals(units=UNITS[:3]), "one key per sample"),
    "intervals short grouping": (
        lambda: _intervals(groupings={"g": UNITS[:2]}),
        "one key per sample",
    ),
    "intervals question missing": (
        lambda: _intervals(questions=["a", None, "b", "b", "c", "c"]),
        "without a key",
    ),
    "intervals unknown fairness metric": (lambda: _intervals(fairness_metrics=["zz"]), "'zz'"),
    # paired_difference_intervals
    "paired NaN value": (lambda: _paired(values=np.array([ROW, NAN_ROW])), "not finite"),
    "paired reference 1.5": (lambda: _paired(reference=1.5), "'reference' must be int"),
    "paired reference True": (lambda: _paired(reference=True), "'reference' must be int"),
    "paired short units": (
        lambda: _paired(units=UNITS[:2], resample="questions+subgroups"),
        "one key per sample",
    ),
    # sign_flip_p_values
    "sign flip 10**9 permutations": (lambda: _sign_flip(n_permutations=10**9), "at most 100,000"),
    "sign flip 1.5 permutations": (
        lambda: _sign_flip(n_permutations=1.5),
        "'n_permutations' must be int",
    ),
    "sign flip seed 1.5": (lambda: _sign_flip(seed=1.5), "'seed' must be int"),
    "sign flip reference 0.5": (lambda: _sign_flip(reference=0.5), "'reference' must be int"),
    "sign flip 3-D values": (lambda: _sign_flip(values=np.zeros((2, 2, 6))), "shape"),
    # breakdown / grouped
    "breakdown NaN missing flag": (
        lambda: _breakdown(missing=np.array([np.nan, *[0.0] * 5])),
        "missing flag",
    ),
    "breakdown missing flag 2": (
        lambda: _breakdown(missing=np.array([2, 0, 0, 0, 0, 0])),
        "missing flag",
    ),
    "breakdown 2-D keys": (lambda: _breakdown(keys=[[k] for k in UNITS]), "one key per sample"),
    "breakdown direction unknown": (lambda: _breakdown(higher_is_better={}), "higher_is_better"),
    # 1e308 + 1e308 overflowed: the group means were inf and NaN, with no error.
    "grouped 1e300 value": (
        lambda: grouped(np.array([1e300, 1.0]), ["x", "y"], metric="m", higher_is_better=True),
        "1 value\\(s\\) beyond ±1e\\+100",
    ),
    "sign flip -1e200 value": (
        lambda: _sign_flip(values=[ROW, [-1e200, *ROW[1:]]]),
        "beyond ±1e\\+100",
    ),
    "grouped no sample": (
        lambda: grouped(np.array([]), [], metric="m", higher_is_better=True),
        "at least 1",
    ),
    # holm, multiplicities
    "holm p-value above 1": (lambda: holm([1.5, 0.01]), "from 0 to 1"),
    "holm negative p-value": (lambda: holm([-0.2, 0.01]), "from 0 to 1"),
    "holm 2-D": (lambda: holm([[0.1, 0.2]]), "one per entry"),
    # None was read as NaN ("not tested"): holm([0.5, None]) gave [0.5, nan], no error.
    "holm None p-value": (
        lambda: holm([0.5, None]),
        "p-values: values are not numbers \\(None is NoneType\\)",
    ),
    "holm text p-value": (
        lambda: holm(["0.5", 0.01]),
        "p-values: values are not numbers \\('0.5' is str\\)",
    ),
    "sign flip None value": (
        lambda: _sign_flip(values=[ROW, [None, *ROW[1:]]]),
        "not numbers \\(None is NoneType\\)",
    ),
    "multiplicities no question": (lambda: multiplicities(0, 10, 0), "n_questions"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_per_sample_argument_that_cannot_be_used_is_refused(case: str) -> None:
    call, fragment = CASES[case]
    with pytest.raises(InputError, match=fragment):
        call()


def test_keys_shown_alike_are_one_group() -> None:
    """``1`` and ``"1"`` were two groups, both named ``1`` (so ``table()`` kept one of them)."""
    result = _breakdown(keys=[1, "1", 1, "1", "2", "2"])
    assert isinstance(result, type(_breakdown()))
    m = result.results["m"]
    assert m.groups == ("1", "2")
    assert m.values == pytest.approx([(1 + 0 + 1 + 1) / 4, (0 + 1) / 2])
    assert m.counts == (4, 2)


def test_no_sample_gives_no_interval_rather_than_an_error() -> None:
    """A judge report whose verdicts were all unparsed has nothing to resample: no figures."""
    empty = bootstrap_intervals({"m": np.array([])}, [], {}, ["m"], units=[], n_boot=0, seed=0)
    assert (empty.n_questions, empty.metrics, empty.spreads) == (0, {}, {})


def test_the_checks_leave_the_figures_as_they_were() -> None:
    """Valid input gives what the functions gave before (hand-computed means and p-values)."""
    result = _breakdown()
    assert result.results["m"].values == pytest.approx([2 / 3, 2 / 3])  # x: 1, 1, 0; y: 0, 1, 1
    assert holm([0.01, 0.04, 0.03]).tolist() == pytest.approx([0.03, 0.06, 0.06])
    # NaN is "not tested" (the leaderboard's leader), a number that stays NaN, unlike None.
    nan_kept = holm(np.array([np.nan, 0.04, 0.01], dtype=object))
    assert np.isnan(nan_kept[0])
    assert nan_kept[1:].tolist() == pytest.approx([0.04, 0.02])
    p = _sign_flip(values=np.array([ROW, ROW]))
    assert np.asarray(p).tolist() == [1.0, 1.0]  # identical entries: every d_q is 0
