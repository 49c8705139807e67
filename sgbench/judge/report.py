"""Win rates from a judgments file: ``sgbench judge-report judgments.jsonl``.

For one criterion, every judgment whose verdict was read scores A against B::

    s = 1 (A better), 0.5 (tie), 0 (B better)

and the **win rate** of A over B is the mean of ``s`` over those judgments, both orders pooled
(each sample counts twice when both its orders were read). Unread verdicts (``null``) are left
out of every figure of that criterion and counted in ``n_unparsed``; request errors are left out
and counted in ``n_errors``. 0.5 means A and B do equally well.

**Position bias**: ``first`` is the share of read verdicts that chose the response shown first
(A in order ``AB``, B in order ``BA``), ``second`` the share that chose the one shown second,
``tie`` the share of ties, and ``first_score = first + tie / 2`` (0.5: no position bias; above
0.5: the judge favours whatever it reads first). Because every sample is shown in both orders,
a real difference between A and B does not move ``first_score``.

**Order agreement**, over the samples whose two verdicts were both read (``n_pairs``):
``agree`` both name the same file or both are ties; ``partial`` one is a tie and the other not;
``contradict`` one names A and the other B, split into ``contradict_first`` (both chose the
first-shown response) and ``contradict_second``; ``agreement = agree / n_pairs``.

**Groups and fairness**: the win rate per subgroup and per attribute value (an attribute value
group holds every judgment whose subgroup has that value, in any stratum), with the scorer's
fairness entry (:func:`sgbench.scoring.fairness.fairness_entry`): ``cv_between`` and the
permutation ``p_value`` first (:mod:`sgbench.scoring.noise`: the spread beyond each group's
sampling noise over its questions, and labels shuffled within each question), then the
descriptive ``norm_range``, ``cv``, ``gap``, ``ratio``, and ``worst``, the group where A's win
rate is lowest.

**Intervals**: 95% bootstrap over questions, or questions and subgroups
(:mod:`sgbench.scoring.bootstrap`, seeded: a replicate draws the questions with replacement and
keeps all their judgments): expanded percentile intervals for the win rate, ``first_score`` and
each group's win rate; recentred percentile intervals for ``sd_between`` and ``cv_between``.

Rows are sorted by (id, order) before anything is computed, so the report does not depend on the
order in which the judgments were written, and the same file and seed give the same bytes.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from sgbench import __version__
from sgbench.boundary import PathArg, public
from sgbench.errors import InputError, bounded, one_line
from sgbench.files import FromFiles, reads, report_kind, write_atomic, writes
from sgbench.jsonl import json_objects, read_lines
from sgbench.judge.prompt import CRITERIA
from sgbench.judge.run import JUDGMENTS, ORDERS, PARSE_STATUS, VERDICTS
from sgbench.schema.ids import names_subgroup
from sgbench.scoring.bootstrap import (
    QUESTIONS,
    Intervals,
    Resample,
    attribute_blocks,
    bootstrap_intervals,
    bootstrap_record,
    check_settings,
    interval_heading,
)
from sgbench.scoring.data import EARLIER_WAVE_SUFFIX, ID_FORM, FloatArray
from sgbench.scoring.fairness import (
    SHUFFLED,
    STATISTICS,
    ci_list,
    fairness_entry,
    fairness_lines,
    fairness_note,
    finite,
    interval_text,
)
from sgbench.scoring.fairness import number as num
from sgbench.scoring.grouped import GroupedResult, grouped
from sgbench.scoring.predictions import PredictionsError

SCORES: Final[Mapping[str, float]] = {"A": 1.0, "tie": 0.5, "B": 0.0}
"""What a verdict scores for A: win 1, tie 0.5, loss 0."""

SUBGROUP: Final = "subgroup"
ATTRIBUTE_PREFIX: Final = "attribute:"
WIN_RATE: Final = "win_rate"
FIRST_SCORE: Final = "first_score"
VERDICT_PREFIX: Final = "verdict:"
"""Frame column of a criterion's verdicts."""
SETTING_OBJECTS: Final = ("params", "a", "b", "dataset")
"""Run settings that are JSON objects in every judgment line."""


@dataclass(frozen=True)
class Judgments:
    """A judgments file, read and checked."""

    sha256: str
    settings: Mapping[str, Any]
    """The run settings every judgment shares (:data:`~sgbench.judge.run.JUDGMENTS` run keys)."""
    criteria: tuple[str, ...]
    attributes: tuple[str, ...]
    """Attributes of the subgroups, in the order the dataset lists them."""
    frame: pd.DataFrame
    """One row per judgment, sorted by (id, order): ``id``, ``order``, ``question_id``,
    ``subgroup_id``, ``attribute:<name>`` per attribute (None where unused) and
    ``verdict:<criterion>`` (``A``, ``B``, ``tie`` or None). Attribute names come from the file,
    so they are prefixed like the grouping names: one named ``order`` or ``question_id`` took
    that column's place (a traceback, or figures over the wrong questions with exit 0)."""
    n_lines: int
    n_errors: int
    """Judgments whose requests failed (error lines without a later judgment)."""


def _check_judgment(obj: Mapping[str, Any]) -> str | None:
    """The first problem of a judgment line, or None."""
    for key in ("id", "question_id", "subgroup_id", "raw", "judge_model", "judge_prompt"):
        if not isinstance(obj.get(key), str):
            return f'needs a string "{key}"'
    # The report reads into these (a.model, dataset.synthetic): a list or a string there was a
    # traceback.
    for key in SETTING_OBJECTS:
        if not isinstance(obj.get(key), dict):
            return f'"{key}" must be an object'
    if obj.get("order") not in ORDERS:
        return f'"order" must be one of {list(ORDERS)}'
    # The id names the sample, question_id and subgroup_id how it is grouped: a line where
    # they disagree would count one sample under another question or subgroup.
    stem = re.sub(EARLIER_WAVE_SUFFIX, "", obj["id"])
    if not obj["question_id"] or not obj["subgroup_id"]:
        return '"question_id" and "subgroup_id" must not be empty'
    if stem != f"{obj['question_id']}/{obj['subgroup_id']}":
        return f'"id" is not {ID_FORM} of the line\'s "question_id" and "subgroup_id"'
    subgroup = obj.get("subgroup")
    if not isinstance(subgroup, dict) or not all(
        v is None or isinstance(v, str) for v in subgroup.values()
    ):
        return '"subgroup" must be an object of strings (or null)'
    # The subgroup's values are what the attribute figures group by: values other than the
    # subgroup_id's counted its judgments under another attribute value (exit 0).
    if not names_subgroup(obj["subgroup_id"], subgroup):
        return '"subgroup_id" does not name the values of the line\'s "subgroup"'
    criteria = obj.get("criteria")
    if (
        not isinstance(criteria, list)
        or not criteria
        or any(c not in CRITERIA for c in criteria)
        or len(set(criteria)) != len(criteria)
    ):
        return f'"criteria" must be a list of distinct criteria from {list(CRITERIA)}'
    verdicts = obj.get("verdicts")
    if not isinstance(verdicts, dict) or set(verdicts) != set(criteria):
        return f'"verdicts" must have exactly the keys {criteria}'
    if any(v is not None and v not in VERDICTS for v in verdicts.values()):
        return f"a verdict must be one of {list(VERDICTS)} or null"
    status = "ok" if all(v is not None for v in verdicts.values()) else "unparsed"
    if obj.get("parse") not in PARSE_STATUS or obj["parse"] != status:
        return f'"parse" must be "{status}" for these verdicts'
    return None


def _first_difference(
    this: Mapping[str, Any], first: Mapping[str, Any], prefix: str = ""
) -> tuple[str, Any, Any] | None:
    """The first (in key order) setting where two lines differ, as ``(dotted key, this value,
    first value)``, looking inside objects (``params.temperature``); None when they agree."""
    for key in sorted(set(this) | set(first)):
        mine, theirs = this.get(key), first.get(key)
        if mine == theirs:
            continue
        if isinstance(mine, dict) and isinstance(theirs, dict):
            inner = _first_difference(mine, theirs, f"{prefix}{key}.")
            if inner is not None:
                return inner
        return f"{prefix}{key}", mine, theirs
    return None


def read_judgments(path: PathArg) -> Judgments:
    """Read and check a judgments file of ``sgbench judge``.

    Raises:
        PredictionsError: lines that are not judgment or error lines, duplicate (id, order)
            pairs, or settings (judge, criteria, files, dataset) other than the first
            judgment's; every problem listed, ``FILE: line N: ...``.
        InputError: the file is missing, unreadable, empty, or holds no judgment.
    """
    lines = read_lines(path, "no judgments")
    problems = lines.problems
    records: list[dict[str, Any]] = []
    errors: set[tuple[str, str]] = set()
    seen: dict[tuple[str, str], int] = {}
    subgroups: dict[str, tuple[dict[str, Any], int]] = {}
    settings: dict[str, Any] | None = None
    for number, obj in json_objects(lines, problems):
        if "error" in obj:
            if not isinstance(obj.get("id"), str) or obj.get("order") not in ORDERS:
                problems.append((number, 'an error line needs a string "id" and an "order"'))
            else:
                errors.add((obj["id"], obj["order"]))
            continue
        problem = _check_judgment(obj)
        if problem is not None:
            problems.append((number, problem))
            continue
        this = {key: obj.get(key) for key in JUDGMENTS.run_keys}
        if settings is None:
            settings, settings_line = this, number
        differing = _first_difference(this, settings)
        if differing is not None:
            setting, mine, theirs = differing
            problems.append(
                (
                    number,
                    f"{setting} is {mine!r} here but {theirs!r} on line {settings_line}: "
                    "the file mixes judge runs",
                )
            )
            continue
        key = (obj["id"], obj["order"])
        if key in seen:
            problems.append(
                (number, f"{key[0]!r} order {key[1]} again (first on line {seen[key]})")
            )
            continue
        # One subgroup, one set of attribute values, and one set of attributes in the file:
        # the judge writes them from the dataset, and a line that differs (an edited value, an
        # extra attribute) made one subgroup two groups (a traceback in the fairness counts).
        first = subgroups.setdefault(obj["subgroup_id"], (obj["subgroup"], number))
        anyone = next(iter(subgroups.values()))
        if set(obj["subgroup"]) != set(anyone[0]):
            problems.append(
                (
                    number,
                    f"subgroup has the attributes {sorted(obj['subgroup'])} here but "
                    f"{sorted(anyone[0])} on line {anyone[1]}",
                )
            )
            continue
        differing = _first_difference(obj["subgroup"], first[0], "subgroup.")
        if differing is not None:
            setting, mine, theirs = differing
            problems.append(
                (
                    number,
                    f"{setting} is {mine!r} here but {theirs!r} on line {first[1]}, for the same "
                    f"subgroup_id {obj['subgroup_id']!r}",
                )
            )
            continue
        seen[key] = number
        records.append(obj)
    if problems:
        raise PredictionsError(str(path), problems)
    if settings is None:
        raise InputError(f"{path}: no judgment in it (only request errors; rerun `sgbench judge`)")
    criteria = tuple(str(c) for c in settings["criteria"])
    records.sort(key=lambda r: (r["id"], r["order"]))
    attributes: dict[str, None] = {}
    for record in records:
        attributes.update(dict.fromkeys(record["subgroup"]))
    frame = pd.DataFrame(
        {
            "id": [r["id"] for r in records],
            "order": [r["order"] for r in records],
            "question_id": [r["question_id"] for r in records],
            "subgroup_id": [r["subgroup_id"] for r in records],
            **{ATTRIBUTE_PREFIX + a: [r["subgroup"].get(a) for r in records] for a in attributes},
            **{VERDICT_PREFIX + c: [r["verdicts"][c] for r in records] for c in criteria},
        }
    )
    return Judgments(
        sha256=lines.sha256,
        settings=settings,
        criteria=criteria,
        attributes=tuple(attributes),
        frame=frame,
        n_lines=lines.count,
        n_errors=len(errors - set(seen)),
    )


def win_scores(verdicts: pd.Series) -> FloatArray:
    """A's score per judgment: ``A`` 1, ``tie`` 0.5, ``B`` 0, unread NaN."""
    return np.asarray(verdicts.map(SCORES).astype("float64").to_numpy(), dtype=np.float64)


def first_scores(scores: FloatArray, orders: pd.Series) -> FloatArray:
    """The first-shown response's score: A's score in order ``AB``, ``1 − score`` in ``BA``."""
    return np.where(orders.to_numpy() == "AB", scores, 1.0 - scores)


@dataclass(frozen=True)
class OrderAgreement:
    """How the two orders of a sample agree (module docstring)."""

    n_pairs: int
    agree: int
    partial: int
    contradict_first: int
    contradict_second: int

    @property
    def contradict(self) -> int:
        """Pairs naming A in one order and B in the other."""
        return self.contradict_first + self.contradict_second

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values; ``agreement`` is null without pairs."""
        return {
            "n_pairs": self.n_pairs,
            "agree": self.agree,
            "partial": self.partial,
            "contradict": self.contradict,
            "contradict_first": self.contradict_first,
            "contradict_second": self.contradict_second,
            "agreement": self.agree / self.n_pairs if self.n_pairs else None,
        }


def order_agreement(ids: pd.Series, orders: pd.Series, verdicts: pd.Series) -> OrderAgreement:
    """Compare the ``AB`` and ``BA`` verdicts of each sample (rows with an unread verdict are
    ignored; samples without both orders read are not pairs)."""
    frame = pd.DataFrame({"id": ids, "order": orders, "v": verdicts}).dropna(subset=["v"])
    pairs = frame.pivot(index="id", columns="order", values="v").reindex(columns=list(ORDERS))
    pairs = pairs.dropna()
    ab, ba = pairs["AB"], pairs["BA"]
    ties = (ab == "tie").astype(int) + (ba == "tie").astype(int)
    return OrderAgreement(
        n_pairs=len(pairs),
        agree=int((ab == ba).sum()),
        partial=int((ties == 1).sum()),
        contradict_first=int(((ab == "A") & (ba == "B")).sum()),
        contradict_second=int(((ab == "B") & (ba == "A")).sum()),
    )


@dataclass(frozen=True)
class CriterionResult:
    """Every figure of one criterion."""

    criterion: str
    n: int
    """Judgments with a read verdict."""
    n_unparsed: int
    wins: int
    ties: int
    losses: int
    n_questions: int
    win_rate: float
    """NaN without read verdicts."""
    first: float
    second: float
    tie: float
    first_score: float
    agreement: OrderAgreement
    by: Mapping[str, GroupedResult]
    """``subgroup`` and ``attribute:<name>`` → A's win rate per group (attributes no read
    judgment uses are left out)."""
    intervals: Intervals


def criterion_result(
    judgments: Judgments,
    criterion: str,
    *,
    n_boot: int,
    seed: int,
    n_permutations: int = 0,
    resample: Resample = QUESTIONS,
) -> CriterionResult:
    """The figures of one criterion (module docstring)."""
    frame = judgments.frame
    verdicts = frame[VERDICT_PREFIX + criterion]
    read = verdicts.notna().to_numpy()
    rows = frame[read]
    scores = win_scores(verdicts)[read]
    first = first_scores(scores, rows["order"])
    groupings: dict[str, pd.Series] = {SUBGROUP: rows["subgroup_id"]}
    groupings.update(
        {
            ATTRIBUTE_PREFIX + a: rows[ATTRIBUTE_PREFIX + a]
            for a in judgments.attributes
            # an attribute no read judgment uses has no groups
            if rows[ATTRIBUTE_PREFIX + a].notna().any()
        }
    )
    columns = {a: rows[ATTRIBUTE_PREFIX + a] for a in judgments.attributes}
    blocks = {
        label: attribute_blocks(columns, label.removeprefix(ATTRIBUTE_PREFIX))
        for label in groupings
        if label != SUBGROUP
    }
    n = len(rows)
    by = {
        name: grouped(scores, keys, metric=criterion, higher_is_better=True)
        for name, keys in groupings.items()
        if n  # no read verdict: no groups
    }
    intervals = bootstrap_intervals(
        {WIN_RATE: scores, FIRST_SCORE: first},
        rows["question_id"],
        groupings,
        [WIN_RATE],
        units=rows["subgroup_id"],
        # No read verdict: nothing to resample, so no draw settings either.
        n_boot=n_boot if n else 0,
        seed=seed if n else 0,
        n_permutations=n_permutations if n else 0,
        resample=resample if n else QUESTIONS,
        blocks=blocks,
    )
    counts = verdicts[read].value_counts()
    first_won = np.count_nonzero(first == 1.0)
    second_won = np.count_nonzero(first == 0.0)
    return CriterionResult(
        criterion=criterion,
        n=n,
        n_unparsed=int((~read).sum()),
        wins=int(counts.get("A", 0)),
        ties=int(counts.get("tie", 0)),
        losses=int(counts.get("B", 0)),
        n_questions=int(rows["question_id"].nunique()),
        win_rate=float(scores.mean()) if n else math.nan,
        first=first_won / n if n else math.nan,
        second=second_won / n if n else math.nan,
        tie=(n - first_won - second_won) / n if n else math.nan,
        first_score=float(first.mean()) if n else math.nan,
        agreement=order_agreement(frame["id"], frame["order"], verdicts),
        by=by,
        intervals=intervals,
    )


@dataclass(frozen=True)
class JudgeReport(FromFiles):
    """The result of :func:`judge_report`."""

    judgments: Judgments
    results: Mapping[str, CriterionResult]
    """Criterion → its figures, in criterion order."""
    n_boot: int
    seed: int
    n_permutations: int = 0
    resample: Resample = QUESTIONS

    def _fairness(self, grouping: str, with_values: bool) -> dict[str, Any]:
        return {
            name: fairness_entry(
                result.by[grouping],
                result.intervals.spreads.get(grouping, {}).get(WIN_RATE),
                with_values=with_values,
                resample=result.intervals.resample,
            )
            for name, result in self.results.items()
            if grouping in result.by
        }

    def _by_value(self, attribute: str) -> dict[str, dict[str, Any]]:
        grouping = ATTRIBUTE_PREFIX + attribute
        table: dict[str, dict[str, Any]] = {}
        for name, result in self.results.items():
            if grouping not in result.by:
                continue
            group_result = result.by[grouping]
            cis = result.intervals.groups.get(grouping, {}).get(WIN_RATE, {})
            for group, value, count in zip(
                group_result.groups, group_result.values, group_result.counts, strict=True
            ):
                table.setdefault(group, {})[name] = {
                    "n": count,
                    "win_rate": value,
                    "ci": ci_list(cis.get(group)),
                }
        return dict(sorted(table.items()))

    def attributes(self) -> tuple[str, ...]:
        """Attributes with groups under at least one criterion, in dataset order."""
        present = {g for r in self.results.values() for g in r.by}
        return tuple(a for a in self.judgments.attributes if ATTRIBUTE_PREFIX + a in present)

    def to_dict(self) -> dict[str, Any]:
        """The full report as JSON-ready values (keys in docs/judge.md)."""
        j = self.judgments
        frame = j.frame
        settings = j.settings
        return {
            "sgbench_version": __version__,
            "judgments_sha256": j.sha256,
            "judge": {
                "model": settings["judge_model"],
                "prompt": settings["judge_prompt"],
                "params": settings["params"],
            },
            "a": settings["a"],
            "b": settings["b"],
            "dataset": settings["dataset"],
            "criteria": list(j.criteria),
            "scores": dict(SCORES),
            "n_lines": j.n_lines,
            "n_judgments": len(frame),
            "n_judgments_both_orders": int(
                (frame.groupby("id")["order"].transform("nunique") == len(ORDERS)).sum()
            ),
            "n_errors": j.n_errors,
            "n_samples": int(frame["id"].nunique()),
            "n_questions": int(frame["question_id"].nunique()),
            "n_subgroups": int(frame["subgroup_id"].nunique()),
            "win_rate": {
                name: {
                    "value": finite(r.win_rate),
                    "ci": ci_list(r.intervals.metrics.get(WIN_RATE)),
                    "n": r.n,
                    "n_unparsed": r.n_unparsed,
                    "wins": r.wins,
                    "ties": r.ties,
                    "losses": r.losses,
                }
                for name, r in self.results.items()
            },
            "position_bias": {
                name: {
                    "n": r.n,
                    "first": finite(r.first),
                    "second": finite(r.second),
                    "tie": finite(r.tie),
                    "first_score": finite(r.first_score),
                    "ci": ci_list(r.intervals.metrics.get(FIRST_SCORE)),
                }
                for name, r in self.results.items()
            },
            "order_agreement": {name: r.agreement.to_dict() for name, r in self.results.items()},
            "fairness": {
                "subgroup": self._fairness(SUBGROUP, with_values=False),
                "attributes": {
                    a: self._fairness(ATTRIBUTE_PREFIX + a, with_values=True)
                    for a in self.attributes()
                },
            },
            "by_attribute_value": {a: self._by_value(a) for a in self.attributes()},
            "bootstrap": bootstrap_record(self.seed, self.n_boot, self.resample, spread=True),
            "permutations": {
                "seed": self.seed,
                "n_permutations": self.n_permutations,
                "shuffled": SHUFFLED[self.resample],
                "statistic": STATISTICS[self.resample],
            },
        }

    def to_json(self) -> str:
        """The report as JSON text (2-space indent, trailing newline); same input, same bytes."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    def render(self) -> str:
        """A readable summary: win rates, position bias, order agreement, fairness."""
        d = self.to_dict()
        data = d["dataset"]
        flag = " (SYNTHETIC, not WVS data)" if data.get("synthetic") else ""
        a, b = d["a"], d["b"]

        def shown(value: object) -> str:  # the judgments file's own text
            return bounded(one_line(value))

        lines = [
            f"sgbench judge-report: A = {shown(a.get('model'))} ({shown(a.get('template'))}) vs "
            f"B = {shown(b.get('model'))} ({shown(b.get('template'))}); judge "
            f"{shown(d['judge']['model'])} ({shown(d['judge']['prompt'])})",
            f"dataset {shown(data.get('name'))} {shown(data.get('version'))}{flag}, config "
            f"{shown(data.get('config'))}, split {shown(data.get('split'))}",
            f"{d['n_samples']} samples ({d['n_questions']} questions, {d['n_subgroups']} "
            f"subgroups), {d['n_judgments']} judgments ({d['n_judgments_both_orders']} of "
            f"samples judged in both orders); {d['n_errors']} request error(s) left out",
        ]
        one_order = d["n_judgments"] - d["n_judgments_both_orders"]
        if one_order:
            # Only a sample shown both ways cancels the judge's preference for a position out of
            # A's win rate; the others count it in, and first_score then carries A-vs-B too.
            lines.append(
                f"note: {one_order} judgment(s) of samples judged in one order only: the win "
                "rate is not balanced for position, and position bias mixes in A against B"
            )
        lines.append("")
        ci_head = interval_heading(
            self.n_boot, d["n_questions"], self.resample, self.seed, d["n_subgroups"]
        )
        lines.append(
            f"win rate of A over B (win 1, tie 0.5, loss 0; mean over both orders); {ci_head}"
        )
        lines.append(
            f"{'criterion':<11}{'win rate':>9}  {'95% CI':<17}{'A wins':>7}{'ties':>7}"
            f"{'B wins':>8}{'unparsed':>10}"
        )
        for name, w in d["win_rate"].items():
            lines.append(
                f"{name:<11}{num(w['value']):>9}  {interval_text(w['ci']):<17}{w['wins']:>7}"
                f"{w['ties']:>7}{w['losses']:>8}{w['n_unparsed']:>10}"
            )
        lines += ["", "position bias: share of verdicts for the response shown first or second"]
        lines.append(
            f"{'criterion':<11}{'first':>7}{'second':>8}{'tie':>7}{'first score':>13}  95% CI"
            "   (first score 0.5: no bias)"
        )
        for name, p in d["position_bias"].items():
            lines.append(
                f"{name:<11}{num(p['first']):>7}{num(p['second']):>8}{num(p['tie']):>7}"
                f"{num(p['first_score']):>13}  {interval_text(p['ci'])}"
            )
        lines += ["", "order agreement: samples with both orders read"]
        lines.append(
            f"{'criterion':<11}{'pairs':>7}{'agree':>7}{'partial':>9}{'contradict':>12}"
            f"{'(first/second)':>16}{'agreement':>11}"
        )
        for name, o in d["order_agreement"].items():
            split = f"{o['contradict_first']}/{o['contradict_second']}"
            lines.append(
                f"{name:<11}{o['n_pairs']:>7}{o['agree']:>7}{o['partial']:>9}"
                f"{o['contradict']:>12}{split:>16}{num(o['agreement']):>11}"
            )
        lines += [
            "",
            f"fairness of A's win rate across groups ({self.n_permutations} permutations; "
            f"{fairness_note(self.resample)}; worst: lowest win rate)",
        ]
        blocks = {SUBGROUP: d["fairness"]["subgroup"], **d["fairness"]["attributes"]}
        lines += fairness_lines(blocks, self.resample)
        return "\n".join(lines)


@public
@reads(path="JUDGMENTS")
def judge_report(
    path: PathArg,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    n_permutations: int = 1000,
    resample: Resample = QUESTIONS,
) -> JudgeReport:
    """Read a judgments file and compute every figure (module docstring).

    Raises:
        InputError: invalid ``n_boot`` or ``seed``, or a judgments file that cannot be read
            (:class:`~sgbench.scoring.predictions.PredictionsError` lists every problem).
    """
    check_settings(n_boot, seed, n_permutations, resample)
    judgments = read_judgments(path)
    results = {
        name: criterion_result(
            judgments,
            name,
            n_boot=n_boot,
            seed=seed,
            n_permutations=n_permutations,
            resample=resample,
        )
        for name in judgments.criteria
    }
    return JudgeReport(
        judgments=judgments,
        results=results,
        n_boot=n_boot,
        seed=seed,
        n_permutations=n_permutations,
        resample=resample,
    )


JUDGE_REPORT: Final = report_kind("a JSON report of sgbench judge-report", "judgments_sha256")
"""What :func:`write_judge_report` replaces: a report of ``judge-report`` (its first keys,
``sgbench_version`` then ``judgments_sha256``, fixed by :meth:`JudgeReport.to_dict`), or an
empty file."""


@public
@writes(path="--json")
def write_judge_report(report: JudgeReport, path: PathArg) -> None:
    """Write ``report.to_json()`` to ``path`` atomically, replacing only an earlier
    judge-report report (:data:`JUDGE_REPORT`).

    Raises:
        InputError: the file cannot be written, is not a judge-report report, or is (or lies
            in) the judgments file the report was read from (:func:`~sgbench.files.writes`, as
            ``sgbench judge-report --json`` refuses it).
    """
    write_atomic(path, report.to_json(), kind=JUDGE_REPORT, what="report")
