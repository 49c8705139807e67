"""The fairness block of a report, written once for ``sgbench score`` and ``sgbench judge-report``.

One entry per (grouping, metric) puts the figures to read first in front: ``cv_between`` and
``p_value`` (for error-like metrics such as NMAE, ``gap`` and ``sd_between``: their ``cv`` and
``norm_range`` rise as errors fall), then the verdict (``no_detectable_gap`` and the rule that
decided it, :func:`gap_verdict`), the other noise-aware figures, the descriptive ones, the worst
group, the permutation null and the intervals. See :mod:`sgbench.scoring.noise` for the
definitions.

**One verdict per row, one rule** (:func:`gap_verdict`): a gap when the row's permutation
``p_value`` is below :data:`DETECTABLE`. Each resampling mode claims something different, so each
draws the p-value from the null of its claim (:data:`GAP_RULES`;
:func:`sgbench.scoring.bootstrap.bootstrap_intervals`):

- ``questions`` (conditional on the subgroups): group labels shuffled within each question. Its
  null is "these groups' values do not differ on these questions", for these subgroups, at an
  exact level. The read-first interval is the spread's size, not a second verdict, and it
  answers a wider question: its ``sd_noise`` counts each group's question-to-question variation
  (the group × question interaction) as noise, so it asks whether the gap would persist on other
  questions like these; and each of its ends is a one-sided claim at the expanded tail
  (≤ 2.5%), cautious at 0. So an interval reaching 0 next to ``p < 0.05`` is expected, not a
  contradiction (:data:`INTERVAL_NOTES` says so under the rows).
- ``questions+subgroups`` (the populations of subgroups): a grouping of several subgroups (an
  attribute's values) has its labels shuffled among *whole subgroups*, within blocks of
  subgroups from one stratum that share every other attribute's value. Its null is "the
  values' populations of subgroups do not differ": a value whose few subgroups happen to be
  good is no gap. The within-question shuffle found one between values with equal population
  means in 74-90% of splits at 200 questions, and the two-way interval's lower end, its rule
  before, is a valid but weak test (7-11% power where this one has 60-70%;
  docs/metrics-and-fairness.md, "One verdict per row"). The ``subgroup`` row keeps the
  within-question shuffle: subgroups equal in the population are equal here, so its null is the
  populations' too; so does any grouping whose groups are single subgroups (an attribute of a
  split whose only stratum is that attribute), and its ``gap_rule`` says so (:func:`gap_rule`).
  Both nulls condition on the questions. A row whose blocks allow 20 or
  fewer distinct arrangements of its values could never reach ``p < 0.05``, so it has no
  p-value and no verdict (:func:`sgbench.scoring.noise.block_testable`), rather than a "no
  detectable gap" that no data could have turned.

``norm_range_degenerate`` is true when some group's value is 0: ``norm_range = (max − min) / max``
is then 1 for an error-like metric whatever the other groups do (and for an accuracy-like one
whenever a group scores 0), so it carries no information about the spread.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from sgbench.errors import bounded, one_line
from sgbench.scoring.bootstrap import QUESTIONS, TWO_WAY, Interval, Resample
from sgbench.scoring.grouped import FIGURES, GroupedResult
from sgbench.scoring.noise import (
    BLOCK_STATISTIC,
    DETECTABLE,
    NOISE_FIGURES,
    NULL_STATISTIC,
    SUBGROUP_SHUFFLE,
    NoiseSpread,
    sample_sd,
)

NO_GAP: Final = "no detectable gap"
"""The plain mark of a row whose verdict (:func:`gap_verdict`) finds no gap."""

GAP: Final = "gap found"
"""The plain mark of a row whose verdict (:func:`gap_verdict`) finds a gap."""

CLEAR_STABILITY: Final = 0.995
"""The least ``mode_stability`` of a *clear* target, the targets a row's verdict is tested on
(:class:`ClearRow`): a resample of the subgroup's respondents keeps its modal answer at least
this often. A subgroup's target is its observed modal answer, noisier the fewer its
respondents: on every target, a model that predicts each subgroup's true mode scores lower on
small subgroups and is found unfair (``benchmarks/bench_oracle_fairness.py`` measures how
often, and how often on clear targets, where the truth is known). On a clear target the
observed mode is the true one but rarely, whatever the subgroup's size, so what differs there
between groups is the model. The spread figures of a row stay those of every target (the
paper's). The bound is the least the benchmark measured whose rows keep the test's level in the
questions-only mode; in the two-way mode the religion row does not keep it here (a rare wrong
clear target, in a subgroup whose religion is not exchangeable with the others' in size), so
the bound is not settled for that mode (docs/metrics-and-fairness.md, "A perfect model and
noisy targets")."""

CLEAR_TEXT: Final = f"on the samples whose target is clear (mode_stability ≥ {CLEAR_STABILITY})"
"""How a rule names the samples its verdict is tested on."""

WITHIN_RULE: Final[Mapping[Resample, str]] = {
    QUESTIONS: f"permutation p < {DETECTABLE} (these questions and subgroups)",
    TWO_WAY: (
        f"permutation p < {DETECTABLE}, group labels shuffled within each question, each group "
        "one subgroup (the populations of subgroups, on these questions)"
    ),
}
"""Resampling mode → the rule of a row whose p-value shuffles group labels within each question:
every row over questions; two-way, a grouping whose groups are single subgroups (the
``subgroup`` row, an attribute of a split whose only stratum is that attribute), whose null is
the populations' too (module docstring)."""

SUBGROUPS_RULE: Final = (
    f"permutation p < {DETECTABLE}, values shuffled among whole subgroups (the populations of "
    "subgroups, on these questions)"
)
"""The rule of a two-way row whose p-value shuffles its values among whole subgroups
(``null.method`` :data:`~sgbench.scoring.noise.SUBGROUP_SHUFFLE`)."""

GAP_RULES: Final[Mapping[Resample, str]] = {
    QUESTIONS: WITHIN_RULE[QUESTIONS],
    TWO_WAY: (
        f"permutation p < {DETECTABLE}, values shuffled among whole subgroups, or group "
        "labels within each question where each group is one subgroup (the populations of "
        "subgroups, on these questions)"
    ),
}
"""Resampling mode → the rule its verdicts follow (:func:`gap_verdict`) with the nulls their
p-values are drawn from, as the text summary's heading writes it; each row names its own
(:func:`gap_rule`)."""


def gap_rule(resample: Resample, method: str | None, *, clear: bool = False) -> str:
    """The rule a row's verdict follows, named from the null its p-value was drawn from: its
    ``null.method`` (:data:`~sgbench.scoring.noise.SUBGROUP_SHUFFLE`: :data:`SUBGROUPS_RULE`;
    another: :data:`WITHIN_RULE` of ``resample``), or ``resample``'s :data:`GAP_RULES` when no
    null was drawn, followed by :data:`CLEAR_TEXT` when ``clear`` (tested on the clear targets
    alone). The row says which null it used: a two-way row of single subgroups was labelled
    "values shuffled among whole subgroups" while shuffled within questions
    (:func:`sgbench.scoring.bootstrap.bootstrap_intervals` chooses)."""
    if method is None:
        rule = GAP_RULES[resample]
    else:
        rule = SUBGROUPS_RULE if method == SUBGROUP_SHUFFLE else WITHIN_RULE[resample]
    return f"{rule} {CLEAR_TEXT}" if clear else rule


SHUFFLED: Final[Mapping[Resample, str]] = {
    QUESTIONS: "group labels within each question",
    TWO_WAY: (
        "attribute values among whole subgroups of one stratum sharing the other attributes' "
        "values; subgroup labels within each question"
    ),
}
"""Resampling mode → what its permutation null shuffles (a report's ``permutations.shuffled``)."""

STATISTICS: Final[Mapping[Resample, str]] = {
    QUESTIONS: NULL_STATISTIC,
    TWO_WAY: f"{BLOCK_STATISTIC} among whole subgroups; {NULL_STATISTIC} within each question",
}
"""Resampling mode → what its permutation nulls compare (a report's
``permutations.statistic``; each row's is its ``null.statistic``)."""

UNTESTED_NOTES: Final[Mapping[Resample, str]] = {
    QUESTIONS: (
        "p -: no permutation test (none asked for, or fewer than two groups, with a clear "
        "target where the verdicts are tested on those), so a gap is neither found nor ruled "
        "out (no_detectable_gap null)"
    ),
    TWO_WAY: (
        "p -: no permutation test (none asked for, fewer than two groups, with a clear target "
        "where the verdicts are tested on those, or too few "
        f"arrangements: the values' subgroups can be dealt among them within strata in "
        f"{round(1 / DETECTABLE)} or fewer distinct ways, so p could not go below {DETECTABLE}), "
        "so a gap is neither found nor ruled out (no_detectable_gap null)"
    ),
}
"""Resampling mode → the line under the fairness rows when some row has no verdict."""

UNTESTED_NOTE: Final = UNTESTED_NOTES[QUESTIONS]

INTERVAL_NOTES: Final[Mapping[Resample, str]] = {
    QUESTIONS: (
        f"{GAP} with an interval from 0: a gap on these questions (the permutation test, 5%) that "
        "the interval, which treats questions as a sample (each end a claim at 2.5% or less), "
        "cannot tell from none on other questions like these"
    ),
    TWO_WAY: (
        f"{GAP} with an interval from 0: a gap between the populations of subgroups on these "
        "questions (the permutation test, 5%) that the two-way interval, which treats questions "
        "as a sample too and is conservative (each end a claim at 2.5% or less), cannot tell "
        "from none"
    ),
}
"""Resampling mode → the line under the fairness rows when a row's gap was found while its
read-first interval reaches 0 (the module docstring says why they differ)."""

NO_NOISE_NOTE: Final = (
    "sd_noise -: no group seen on 2 questions it shares with another group, so the sampling "
    "noise cannot be measured and the spread beyond it (sd_between, cv_between) is not given"
)
"""The line under the fairness rows when some row has no noise estimate."""

CEILING_NOTE: Final = (
    "ceiling: sd_observed of accuracy / of the groups' ceilings alone (mean mode_stability): "
    "{pairs}; the spread figures include the targets' noise{verdicts} "
    '(docs/metrics-and-fairness.md, "A perfect model and noisy targets")'
)
"""The line under the fairness rows when the accuracy rows carry their groups' ceilings
(:func:`ceiling_entry`): ``{pairs}`` is ``<groups> <accuracy's> / <ceilings'>`` per row, and
``{verdicts}`` :data:`CLEAR_VERDICTS` when the verdicts were tested on clear targets, else
:data:`NOISY_VERDICTS`. A subgroup's target is its observed modal answer, noisier the fewer its
respondents, so a model that predicts every true mode scores lower where subgroups are small
(``benchmarks/bench_oracle_fairness.py``): the ceilings' spread says how much of the row's is
the targets'."""

CLEAR_VERDICTS: Final = ", the verdicts do not (tested on clear targets)"
NOISY_VERDICTS: Final = ", and so may a gap found"

CEILING_FIGURES: Final = ("sd_observed", *FIGURES)
"""The spread figures of a row's groups' ceilings (:func:`ceiling_entry`), in report order."""

DEFAULT_LEAD: Final = ("cv_between",)
"""Figures shown first for accuracy-like metrics (``p_value`` always follows them)."""


def finite(value: float | None) -> float | None:
    """``value`` as a float, or None when it is missing, NaN or infinite (JSON has no NaN)."""
    return float(value) if value is not None and math.isfinite(value) else None


def ci_list(interval: Interval | None) -> list[float | None] | None:
    """An interval as ``[low, high]`` (None ends when not finite), or None when absent."""
    return None if interval is None else [finite(interval[0]), finite(interval[1])]


def verdict_interval(
    ci: Mapping[str, Sequence[float | None] | None], lead: Sequence[str]
) -> Sequence[float | None] | None:
    """The read-first interval of a row: the last lead figure's (the one the summary shows), or
    ``sd_between``'s when that figure has none (``cv_between`` has none when some replicate's
    mean is 0; ``cv_between > 0`` is ``sd_between > 0``, the mean being positive)."""
    for name in (*lead[-1:], "sd_between"):
        interval = ci.get(name)
        if interval is not None and interval[0] is not None:
            return interval
    return None


def gap_verdict(p_value: float | None) -> bool | None:
    """Whether no gap is detectable (``no_detectable_gap``): the row's permutation ``p_value`` at
    least :data:`DETECTABLE`, in both resampling modes; what the p-value claims is its null's
    (:func:`gap_rule`; the module docstring says why each mode has its own). None (unknown)
    without a p-value (no permutations, fewer than two groups, nothing to shuffle): ``False``
    there read as a gap found by a test that never ran."""
    return None if p_value is None else p_value >= DETECTABLE


def ceiling_entry(ceiling: GroupedResult, *, with_values: bool = False) -> dict[str, Any]:
    """The spread of a row's groups' ceilings (each group's mean ``mode_stability``, grouped as
    the row's metric is): :data:`CEILING_FIGURES` as the row defines them (``sd_observed`` with
    ddof 1, :func:`~sgbench.scoring.noise.sample_sd`; the rest
    :meth:`~sgbench.scoring.grouped.GroupedResult.fairness`), and with ``with_values`` the group
    ``values``. What the row's spread would be for a model that reaches every group's ceiling:
    target noise alone (:data:`CEILING_NOTE`)."""
    figures = ceiling.fairness()
    sd = float(sample_sd(np.asarray(ceiling.values, dtype=np.float64)))
    entry: dict[str, Any] = {"sd_observed": finite(sd)}
    entry.update({name: finite(figures[name]) for name in FIGURES})
    if with_values:
        entry["values"] = ceiling.by_group()
    return entry


@dataclass(frozen=True)
class ClearRow:
    """One fairness row's metric on its clear targets alone (:data:`CLEAR_STABILITY`): what its
    verdict is tested on (:func:`fairness_entry`)."""

    result: GroupedResult | None
    """The metric by group over the row's clear samples (None when no group has one)."""
    spread: NoiseSpread | None
    """Its noise-aware figures and permutation null (None when no group has a clear sample)."""
    n_samples: int
    """The row's samples (in some group) whose target is clear."""
    n_all: int
    """The row's samples (in some group), clear or not."""


def clear_entry(
    clear: ClearRow, *, lead: Sequence[str], with_values: bool, resample: Resample
) -> dict[str, Any]:
    """A row's ``clear_targets`` block: ``min_mode_stability``, ``n_samples``, ``share`` (of
    the row's samples), then the :func:`fairness_entry` of the metric on those samples alone
    (their ``p_value`` decides the row's verdict), or only the first three with no clear
    sample."""
    entry: dict[str, Any] = {
        "min_mode_stability": CLEAR_STABILITY,
        "n_samples": clear.n_samples,
        "share": finite(clear.n_samples / clear.n_all) if clear.n_all else None,
    }
    if clear.result is not None:
        entry.update(
            fairness_entry(
                clear.result, clear.spread, lead=lead, with_values=with_values, resample=resample
            )
        )
    return entry


def fairness_entry(
    result: GroupedResult,
    spread: NoiseSpread | None,
    *,
    lead: Sequence[str] = DEFAULT_LEAD,
    with_values: bool = False,
    resample: Resample = QUESTIONS,
    ceiling: GroupedResult | None = None,
    clear: ClearRow | None = None,
) -> dict[str, Any]:
    """One grouping's fairness figures for one metric, as JSON-ready values.

    Keys, in order: ``lead`` figures, ``p_value`` (null without permutations),
    ``no_detectable_gap`` (:func:`gap_verdict`; null without a p-value: untested), ``gap_rule``
    (its rule, named from the null drawn in ``resample``, the mode of the intervals too:
    :func:`gap_rule`), the rest of
    ``sd_observed, sd_noise, sd_between, cv_between``,
    ``norm_range, cv, gap, ratio``, ``worst``, ``norm_range_degenerate``, ``null``
    (``{n_permutations, method, n_drawn, statistic, p_value, mean: {figure: value}}`` or null:
    ``method`` is ``permutation``, ``moment-matched`` or ``subgroup permutation``, ``n_drawn``
    the exact permutations behind ``mean``; see :func:`sgbench.scoring.noise.null_plan`), ``ci``
    (``sd_between`` and ``cv_between`` → ``[low, high]``, or null without bootstrap), with
    ``with_values`` the group ``values`` and their ``standard_errors``, and with ``ceiling`` (the
    groups' mean ``mode_stability``, grouped as ``result``) its :func:`ceiling_entry`.

    With ``clear`` (the metric on the row's clear targets, :class:`ClearRow`), the verdict is
    tested there: ``p_value`` and ``no_detectable_gap`` are its block's (``clear_targets``,
    :func:`clear_entry`, last), ``gap_rule`` says so, and every other figure, ``null`` (with the
    p-value on every target) included, stays that of every target. A row without a clear
    sample has no verdict.
    """
    descriptive = result.fairness()
    figures: dict[str, float | None] = {f: finite(descriptive[f]) for f in FIGURES}
    if spread is not None:
        figures.update({f: finite(spread.figures[f]) for f in NOISE_FIGURES})
    null = spread.null if spread is not None else None
    p_value = None if null is None else finite(null.p_value)
    entry: dict[str, Any] = {f: figures.get(f) for f in lead}
    cis = spread.ci if spread is not None else {}
    ci = {k: ci_list(cis.get(k)) for k in ("sd_between", "cv_between")}
    clear_block = (
        None
        if clear is None
        else clear_entry(clear, lead=lead, with_values=with_values, resample=resample)
    )
    verdict_p = p_value if clear_block is None else clear_block.get("p_value")
    entry["p_value"] = verdict_p
    entry["no_detectable_gap"] = gap_verdict(verdict_p)
    entry["gap_rule"] = gap_rule(
        resample, None if null is None else null.method, clear=clear_block is not None
    )
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
            "statistic": null.statistic,
            "p_value": finite(null.p_value),
            "mean": {k: finite(v) for k, v in null.mean.items()},
        }
    )
    entry["ci"] = ci
    if with_values:
        entry["values"] = result.by_group()
        errors = spread.standard_errors if spread is not None else ()
        entry["standard_errors"] = {
            g: finite(se) for g, se in zip(result.groups, errors, strict=True)
        }
    if ceiling is not None:
        entry["ceiling"] = ceiling_entry(ceiling, with_values=with_values)
    if clear_block is not None:
        entry["clear_targets"] = clear_block
    return entry


def number(value: float | None, width: int = 0) -> str:
    """A figure with 3 decimals (``-`` when missing), right-aligned to ``width``."""
    return f"{'-' if value is None else f'{value:.3f}':>{width}}"


def interval_text(ci: Sequence[float | None] | None) -> str:
    """``[low, high]`` with 3 decimals, or ``-``."""
    if ci is None or ci[0] is None or ci[1] is None:
        return "-"
    return f"[{ci[0]:.3f}, {ci[1]:.3f}]"


VERDICT_WIDTH: Final = len(NO_GAP) + 2

FAIRNESS_HEADER: Final = (
    f"{'groups':<20}{'metric':<12}{'read first [95% CI]':<46}{'p':>6}  {'verdict':<{VERDICT_WIDTH}}"
    f"{'sd_noise':>8}{'norm_range':>11}  worst"
)


def lead_names(entry: Mapping[str, Any]) -> list[str]:
    """The entry's lead figures: its keys before ``p_value``."""
    keys = list(entry)
    return keys[: keys.index("p_value")]


def lead_text(entry: Mapping[str, Any]) -> str:
    """The entry's lead figures (the keys before ``p_value``), the last with its interval:
    ``cv_between 0.117 [0.091, 0.136]`` or ``gap 0.258, sd_between 0.059 [0.046, 0.069]``."""
    lead = lead_names(entry)
    parts = [f"{name} {number(entry[name])}" for name in lead]
    ci = entry["ci"].get(lead[-1]) if lead else None
    if ci is not None:
        parts[-1] += f" {interval_text(ci)}"
    return ", ".join(parts)


def verdict_text(no_gap: bool | None) -> str:
    """A row's verdict: :data:`GAP`, :data:`NO_GAP`, or ``-`` when there is none."""
    return "-" if no_gap is None else NO_GAP if no_gap else GAP


def fairness_lines(
    blocks: Mapping[str, Mapping[str, Mapping[str, Any]]], resample: Resample = QUESTIONS
) -> list[str]:
    """Text rows of fairness entries: ``{groups label: {metric: entry}}`` (see
    :func:`fairness_entry`, whose verdicts follow the rule of ``resample``), one row each with
    its verdict (:func:`verdict_text`), followed by the mode's :data:`UNTESTED_NOTES` line when
    some row has none, its :data:`INTERVAL_NOTES` line when some row's gap was found next to a
    read-first interval from 0, :data:`NO_NOISE_NOTE` when some row has no noise estimate, and
    :data:`CEILING_NOTE` when some row carries its groups' ceilings (:func:`ceiling_entry`)."""
    lines = [FAIRNESS_HEADER]
    untested = no_noise = apart = False
    ceilings: list[str] = []
    clear = False
    for label_text, block in blocks.items():
        label = bounded(one_line(label_text))  # group names come from the files read
        for metric, e in block.items():
            if "ceiling" in e:
                sds = (e.get("sd_observed"), e["ceiling"]["sd_observed"])
                ceilings.append(f"{label} {number(sds[0])} / {number(sds[1])}")
            worst = e["worst"]
            degenerate = "*" if e["norm_range_degenerate"] else " "
            no_gap = e["no_detectable_gap"]
            clear = clear or "clear_targets" in e
            untested = untested or no_gap is None
            # The interval of what the verdict tested: the clear targets', where it was there.
            tested = e["clear_targets"] if "ci" in e.get("clear_targets", {}) else e
            interval = verdict_interval(tested["ci"], lead_names(e))
            apart = apart or (
                no_gap is False
                and interval is not None
                and interval[0] is not None
                and not interval[0] > 0.0
            )
            no_noise = no_noise or ("sd_noise" in e and e["sd_noise"] is None)
            lines.append(
                f"{label:<20}{metric:<12}{lead_text(e):<46}{number(e['p_value'], 6)}  "
                f"{verdict_text(no_gap):<{VERDICT_WIDTH}}{number(e.get('sd_noise'), 8)}"
                f"{number(e['norm_range'], 10)}{degenerate} "
                f"{bounded(one_line(worst['group']))} ({worst['value']:.3f})"
            )
    lines += [UNTESTED_NOTES[resample]] * untested + [INTERVAL_NOTES[resample]] * apart
    lines += [NO_NOISE_NOTE] * no_noise
    if ceilings:
        verdicts = CLEAR_VERDICTS if clear else NOISY_VERDICTS
        lines.append(CEILING_NOTE.format(pairs=", ".join(ceilings), verdicts=verdicts))
    return lines


def fairness_note(resample: Resample = QUESTIONS, *, clear: bool = False) -> str:
    """The fairness heading's note: what to read first, and the rule of the rows' verdicts in
    ``resample`` mode (:data:`GAP_RULES`), tested on the clear targets alone when ``clear``
    (:data:`CLEAR_TEXT`)."""
    where = f" {CLEAR_TEXT}" if clear else ""
    return (
        "read first: the spread beyond sampling noise; verdict: "
        f"{GAP} when {GAP_RULES[resample]}{where}; * norm_range degenerate (a group at 0)"
    )
