"""The fairness block of a report, written once for ``sgbench score`` and ``sgbench judge-report``.

One entry per (grouping, metric) puts the figures to read first in front: ``cv_between`` and
``p_value`` (for error-like metrics such as NMAE, ``gap`` and ``sd_between``: their ``cv`` and
``norm_range`` rise as errors fall), then the other noise-aware figures, the descriptive ones,
the worst group, the permutation null and the intervals. See :mod:`sgbench.scoring.noise` for the
definitions.

``norm_range_degenerate`` is true when some group's value is 0: ``norm_range = (max − min) / max``
is then 1 for an error-like metric whatever the other groups do (and for an accuracy-like one
whenever a group scores 0), so it carries no information about the spread.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Final

from sgbench.errors import bounded, one_line
from sgbench.scoring.bootstrap import Interval
from sgbench.scoring.grouped import FIGURES, GroupedResult
from sgbench.scoring.noise import NOISE_FIGURES, NoiseSpread

DETECTABLE: Final = 0.05
"""A spread is called detectable when its permutation p-value is below this level."""

NO_GAP: Final = "no detectable gap"
"""The plain mark shown when ``p_value ≥`` :data:`DETECTABLE`."""

UNTESTED_NOTE: Final = (
    "p -: no permutation test (none asked for, or fewer than two groups), so a gap is neither "
    "found nor ruled out (no_detectable_gap null)"
)
"""The line under the fairness rows when some row has no p-value."""

NO_NOISE_NOTE: Final = (
    "sd_noise -: no group seen on 2 questions it shares with another group, so the sampling "
    "noise cannot be measured and the spread beyond it (sd_between, cv_between) is not given"
)
"""The line under the fairness rows when some row has no noise estimate."""

DEFAULT_LEAD: Final = ("cv_between",)
"""Figures shown first for accuracy-like metrics (``p_value`` always follows them)."""


def finite(value: float | None) -> float | None:
    """``value`` as a float, or None when it is missing, NaN or infinite (JSON has no NaN)."""
    return float(value) if value is not None and math.isfinite(value) else None


def ci_list(interval: Interval | None) -> list[float | None] | None:
    """An interval as ``[low, high]`` (None ends when not finite), or None when absent."""
    return None if interval is None else [finite(interval[0]), finite(interval[1])]


def no_detectable_gap(p_value: float | None) -> bool | None:
    """Whether the permutation p-value is at least :data:`DETECTABLE`; None (unknown) when there
    is none (no permutations, or fewer than two groups): ``False`` there read as a gap found by a
    test that never ran."""
    return None if p_value is None else p_value >= DETECTABLE


def fairness_entry(
    result: GroupedResult,
    spread: NoiseSpread | None,
    *,
    lead: Sequence[str] = DEFAULT_LEAD,
    with_values: bool = False,
) -> dict[str, Any]:
    """One grouping's fairness figures for one metric, as JSON-ready values.

    Keys, in order: ``lead`` figures, ``p_value`` (null without permutations),
    ``no_detectable_gap`` (null with no ``p_value``: untested), the rest of
    ``sd_observed, sd_noise, sd_between, cv_between``,
    ``norm_range, cv, gap, ratio``, ``worst``, ``norm_range_degenerate``, ``null``
    (``{n_permutations, method, n_drawn, statistic, p_value, mean: {figure: value}}`` or null:
    ``method`` is ``permutation`` or ``moment-matched``, ``n_drawn`` the exact permutations behind
    ``mean``; see :func:`sgbench.scoring.noise.null_plan`), ``ci``
    (``sd_between`` and ``cv_between`` → ``[low, high]``, or null without bootstrap), and with
    ``with_values`` the group ``values`` and their ``standard_errors``.
    """
    descriptive = result.fairness()
    figures: dict[str, float | None] = {f: finite(descriptive[f]) for f in FIGURES}
    if spread is not None:
        figures.update({f: finite(spread.figures[f]) for f in NOISE_FIGURES})
    null = spread.null if spread is not None else None
    p_value = None if null is None else finite(null.p_value)
    entry: dict[str, Any] = {f: figures.get(f) for f in lead}
    entry["p_value"] = p_value
    entry["no_detectable_gap"] = no_detectable_gap(p_value)
    for name in (*NOISE_FIGURES, *FIGURES):
        if name not in entry and name in figures:
            entry[name] = figures[name]
    entry["worst"] = descriptive["worst"]
    # One group has no norm_range (sgbench.scoring.grouped.spread) to be degenerate.
    entry["norm_range_degenerate"] = len(result.groups) > 1 and bool(result.group_min() == 0.0)
    entry["null"] = (
        None
        if null is None
        else {
            "n_permutations": null.n_permutations,
            "method": null.method,
            "n_drawn": null.drawn,
            "statistic": "sd_observed",
            "p_value": finite(null.p_value),
            "mean": {k: finite(v) for k, v in null.mean.items()},
        }
    )
    cis = spread.ci if spread is not None else {}
    entry["ci"] = {k: ci_list(cis.get(k)) for k in ("sd_between", "cv_between")}
    if with_values:
        entry["values"] = result.by_group()
        errors = spread.standard_errors if spread is not None else ()
        entry["standard_errors"] = {
            g: finite(se) for g, se in zip(result.groups, errors, strict=True)
        }
    return entry


def number(value: float | None, width: int = 0) -> str:
    """A figure with 3 decimals (``-`` when missing), right-aligned to ``width``."""
    return f"{'-' if value is None else f'{value:.3f}':>{width}}"


def interval_text(ci: Sequence[float | None] | None) -> str:
    """``[low, high]`` with 3 decimals, or ``-``."""
    if ci is None or ci[0] is None or ci[1] is None:
        return "-"
    return f"[{ci[0]:.3f}, {ci[1]:.3f}]"


FAIRNESS_HEADER: Final = (
    f"{'groups':<20}{'metric':<12}{'read first [95% CI]':<46}{'p':>6}{'sd_noise':>10}"
    f"{'norm_range':>11}  worst"
)


def lead_text(entry: Mapping[str, Any]) -> str:
    """The entry's lead figures (the keys before ``p_value``), the last with its interval:
    ``cv_between 0.117 [0.091, 0.136]`` or ``gap 0.258, sd_between 0.059 [0.046, 0.069]``."""
    keys = list(entry)
    lead = keys[: keys.index("p_value")]
    parts = [f"{name} {number(entry[name])}" for name in lead]
    ci = entry["ci"].get(lead[-1]) if lead else None
    if ci is not None:
        parts[-1] += f" {interval_text(ci)}"
    return ", ".join(parts)


def fairness_lines(blocks: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> list[str]:
    """Text rows of fairness entries: ``{groups label: {metric: entry}}`` (see
    :func:`fairness_entry`), one row each, marked ``no detectable gap`` when p ≥ 0.05, and
    followed by :data:`UNTESTED_NOTE` when some row has no p-value and :data:`NO_NOISE_NOTE`
    when some row has no noise estimate."""
    lines = [FAIRNESS_HEADER]
    untested = no_noise = False
    for label_text, block in blocks.items():
        label = bounded(one_line(label_text))  # group names come from the files read
        for metric, e in block.items():
            worst = e["worst"]
            degenerate = "*" if e["norm_range_degenerate"] else " "
            mark = f"  ({NO_GAP})" if e["no_detectable_gap"] else ""
            untested = untested or e["no_detectable_gap"] is None
            no_noise = no_noise or ("sd_noise" in e and e["sd_noise"] is None)
            lines.append(
                f"{label:<20}{metric:<12}{lead_text(e):<46}{number(e['p_value'], 6)}"
                f"{number(e.get('sd_noise'), 10)}{number(e['norm_range'], 10)}{degenerate} "
                f"{bounded(one_line(worst['group']))} ({worst['value']:.3f}){mark}"
            )
    lines += [UNTESTED_NOTE] * untested + [NO_NOISE_NOTE] * no_noise
    return lines


FAIRNESS_NOTE: Final = (
    "read first: the spread beyond sampling noise, and p of the permutation null; "
    "* norm_range degenerate (a group at 0)"
)
