"""One grouped-result type for any metric: overall value, value per group, and spread figures.

A group's value is the mean of the per-sample metric over the group's samples; the overall value
is the mean over all samples given (not the mean of the group values). Groups are sorted by name;
a sample whose key is null belongs to no group. The spread figures treat every group alike
(unweighted), and are defined for metrics whose values are ≥ 0 (all of sgbench's):

- ``gap = max − min`` (0: all groups equal);
- ``ratio = min / max`` (1: all equal; defined as 1 when ``max = 0``, i.e. all groups are 0);
- ``norm_range = (max − min) / max`` (0: all equal; defined as 0 when ``max = 0``);
- ``cv = σ / μ`` with σ the population standard deviation (ddof 0) of the group values
  (0: all equal; defined as 0 when ``μ = 0``, i.e. all groups are 0);
- ``worst``: the lowest group for accuracy-like metrics, the highest for error-like ones; ties go
  to the first group in sorted order.

Over a single group there is no spread: every figure is NaN (``null`` in reports), not 0 or 1,
which read as a perfectly fair model.

The same :func:`spread` computes these for one set of group values and, vectorised, for every
bootstrap replicate (:mod:`sgbench.scoring.bootstrap`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from sgbench.boundary import public
from sgbench.errors import InputError
from sgbench.scoring.data import BoolArray, FloatArray
from sgbench.scoring.samples import Keys, Values, finite_values, missing_flags, sample_keys

FIGURES: Final = ("norm_range", "cv", "gap", "ratio")
"""Spread figures, in report order (``worst`` follows them)."""


def _safe_divide(num: FloatArray, den: FloatArray, when_zero: float) -> FloatArray:
    out = np.full(np.broadcast(num, den).shape, when_zero, dtype=np.float64)
    np.divide(num, den, out=out, where=den > 0)
    return out


def spread(values: FloatArray) -> dict[str, FloatArray]:
    """The spread figures over the last axis of ``values`` (groups); NaN marks an absent group.

    ``values`` may be ``(G,)`` (one result) or ``(B, G)`` (one row per bootstrap replicate).
    Returns one array per name in :data:`FIGURES`, with the group axis removed; NaN where fewer
    than two groups have a value: a spread across one group is no figure (a split of one
    subgroup reported norm_range 0 and ratio 1, a perfectly fair model, in the score report and
    as the paper table's NR).
    """
    empty: BoolArray = np.asarray(np.isnan(values).all(axis=-1))
    alone: BoolArray = np.asarray(np.count_nonzero(~np.isnan(values), axis=-1) < 2)
    filled = np.where(empty[..., None], 0.0, values)
    high = np.nanmax(filled, axis=-1)
    low = np.nanmin(filled, axis=-1)
    mean = np.nanmean(filled, axis=-1)
    std = np.nanstd(filled, axis=-1)
    gap = high - low
    figures = {
        "norm_range": _safe_divide(gap, high, 0.0),
        "cv": _safe_divide(std, mean, 0.0),
        "gap": gap,
        "ratio": _safe_divide(low, high, 1.0),
    }
    return {name: np.where(alone, np.nan, figure) for name, figure in figures.items()}


@dataclass(frozen=True)
class Worst:
    """The worst group of a grouped result and its value."""

    group: str
    value: float


@dataclass(frozen=True)
class GroupedResult:
    """One metric over all samples and per group, with its spread across groups."""

    metric: str
    higher_is_better: bool
    """True: accuracy-like (worst = lowest); False: error-like (worst = highest)."""
    overall: float
    """Mean over every sample given, including samples in no group."""
    groups: tuple[str, ...]
    """Group names, sorted."""
    values: tuple[float, ...]
    """Mean of the metric per group, aligned with :attr:`groups`."""
    counts: tuple[int, ...]
    """Samples per group, aligned with :attr:`groups`."""

    def _array(self) -> FloatArray:
        if not self.groups:
            raise InputError(f"{self.metric}: no groups (every sample's key was null)")
        return np.asarray(self.values, dtype=np.float64)

    def by_group(self) -> dict[str, float]:
        """Group name → value, in sorted group order."""
        return dict(zip(self.groups, self.values, strict=True))

    def group_min(self) -> float:
        """The smallest group value."""
        return float(self._array().min())

    def group_max(self) -> float:
        """The largest group value."""
        return float(self._array().max())

    def figure(self, name: str) -> float:
        """One spread figure (see the module docstring for definitions and zero cases).

        Raises:
            InputError: unknown figure name, or no groups.
        """
        if name not in FIGURES:
            raise InputError(f"unknown figure {name!r}; choose one of {FIGURES}")
        return float(spread(self._array())[name])

    def gap(self) -> float:
        """``max − min`` over groups."""
        return self.figure("gap")

    def ratio(self) -> float:
        """``min / max`` over groups (1 when every group is 0)."""
        return self.figure("ratio")

    def norm_range(self) -> float:
        """``(max − min) / max`` over groups (0 when every group is 0)."""
        return self.figure("norm_range")

    def cv(self) -> float:
        """``σ / μ`` over groups, population σ (0 when every group is 0)."""
        return self.figure("cv")

    def worst(self) -> Worst:
        """The lowest (accuracy-like) or highest (error-like) group; ties: first in sorted order."""
        values = self._array()
        index = int(values.argmin() if self.higher_is_better else values.argmax())
        return Worst(self.groups[index], float(values[index]))

    def fairness(self) -> dict[str, Any]:
        """``{norm_range, cv, gap, ratio, worst: {group, value}}`` as plain Python values."""
        figures = spread(self._array())
        worst = self.worst()
        result: dict[str, Any] = {name: float(figures[name]) for name in FIGURES}
        result["worst"] = {"group": worst.group, "value": worst.value}
        return result


@dataclass(frozen=True)
class Breakdown:
    """Several metrics grouped by the same key, with sample and missing counts per group."""

    by: str
    """What the groups are (``subgroup``, ``section``, an attribute name, ...)."""
    groups: tuple[str, ...]
    n: tuple[int, ...]
    """Samples per group."""
    n_missing: tuple[int, ...]
    """Samples per group without a prediction."""
    results: Mapping[str, GroupedResult]
    """Metric name → grouped result, in metric order."""

    def table(self) -> dict[str, dict[str, Any]]:
        """Group → ``{n, n_missing, <metric>: value, ...}``, in sorted group order."""
        table: dict[str, dict[str, Any]] = {}
        for i, group in enumerate(self.groups):
            row: dict[str, Any] = {"n": self.n[i], "n_missing": self.n_missing[i]}
            row.update({name: r.values[i] for name, r in self.results.items()})
            table[group] = row
        return table


@public
def breakdown(
    by: str,
    keys: Keys,
    values: Mapping[str, Values],
    higher_is_better: Mapping[str, bool],
    missing: Values,
) -> Breakdown:
    """Group every metric in ``values`` by ``keys`` (one key per sample; null: in no group).

    Raises:
        InputError: ``keys``, ``missing`` and every array of ``values`` do not have one entry
            per sample (pandas aligned them by position and grouped a prefix silently), or an
            array of ``values`` is not one finite number per sample (a NaN was left out of its
            group's mean silently; text or a table crashed inside pandas), a missing flag is not
            True or False, or ``higher_is_better`` lacks a metric (:mod:`sgbench.scoring.samples`).
            Keys of mixed types are compared as their text (``1`` and ``"1"`` are one group).
    """
    # grouped() names its one metric as the breakdown: say it once.
    arrays = {
        name: finite_values(by if name == by else f"{by}: {name}", v) for name, v in values.items()
    }
    lengths = {"keys": len(keys), "missing": len(missing)}
    lengths.update({name: len(v) for name, v in arrays.items()})
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{name} {n}" for name, n in lengths.items())
        raise InputError(f"{by}: one entry per sample is needed, got {shown}")
    unranked = [name for name in values if name not in higher_is_better]
    if unranked:
        raise InputError(f"{by}: higher_is_better does not say which way {unranked[0]!r} is better")
    n = lengths["keys"]
    # The frame holds the caller's metrics only: a column of ours beside them would be
    # overwritten by a metric of the same name (one named "__missing" got the missing flags).
    frame = pd.DataFrame(arrays, index=pd.RangeIndex(n))
    flags = pd.Series(missing_flags(f"{by}: missing", missing, n).astype(np.int64))
    key = sample_keys(f"{by}: keys", keys, n).reset_index(drop=True).rename(None)
    grouped_frame = frame.groupby(key, sort=True, dropna=True)
    means = grouped_frame[list(values)].mean()
    sizes = grouped_frame.size()
    missing_counts = flags.groupby(key, sort=True, dropna=True).sum().reindex(sizes.index)
    groups = tuple(str(g) for g in means.index)
    counts = tuple(int(c) for c in sizes.to_numpy())
    results = {
        name: GroupedResult(
            metric=name,
            higher_is_better=higher_is_better[name],
            overall=float(frame[name].mean()),
            groups=groups,
            values=tuple(float(v) for v in means[name].to_numpy()),
            counts=counts,
        )
        for name in values
    }
    n_missing = tuple(int(c) for c in missing_counts.to_numpy())
    return Breakdown(by=by, groups=groups, n=counts, n_missing=n_missing, results=results)


@public
def grouped(
    values: Values,
    keys: Keys,
    *,
    metric: str,
    higher_is_better: bool,
) -> GroupedResult:
    """One metric's per-sample values grouped by ``keys`` (one key per sample; null: no group)."""
    missing = np.zeros(len(values), dtype=bool)
    result = breakdown(metric, keys, {metric: values}, {metric: higher_is_better}, missing)
    return result.results[metric]
