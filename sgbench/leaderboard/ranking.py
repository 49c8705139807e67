"""Scoring every entry and ranking them: the leaderboard's content, before any rendering.

Each entry is scored with :func:`sgbench.scoring.score` on ``test_ood`` (the primary
split) and ``test_id`` of the ``default`` config, with the same bootstrap settings. The rules
(also written into every output, see :data:`RULES`):

- **rank**: by ``test_ood`` accuracy, higher first, compared at the displayed precision
  (:data:`DIGITS` decimals); entries with the same displayed accuracy share a rank and the next
  rank skips (competition ranking, "1, 2, 2, 4").
- **tie-break** (listing order within a shared rank; it never changes a rank): lower ``test_ood``
  NMAE at full precision, then the slug in code point order.
- **≈ leader**: the leader is the first entry listed. Every other entry is tested against it by
  a one-sided paired sign-flip test over questions on ``test_ood`` accuracy
  (:func:`sgbench.scoring.paired.sign_flip_p_values`: H1 "the leader is better"), and the
  p-values are Holm-corrected across the entries (:func:`sgbench.scoring.paired.holm`). An entry
  is *not significantly below the leader* when its Holm-adjusted p-value is above
  :data:`~sgbench.scoring.paired.LEVEL` (0.05, family-wise). The leader itself is marked.
  Without permutations (``n_permutations = 0``) nobody is marked. The paired bootstrap interval
  of ``accuracy(leader) − accuracy(entry)``
  (:func:`sgbench.scoring.bootstrap.paired_difference_intervals`) is reported alongside, as a
  size, not as the test.
- **fairness**: each entry's ``test_ood`` fairness entry across subgroups, for accuracy and NMAE
  (:func:`sgbench.scoring.fairness.fairness_entry`); the table shows ``cv_between`` of accuracy
  and ``sd_between`` of NMAE, each with its permutation p-value, and "no detectable gap" by
  the verdict (:func:`sgbench.scoring.fairness.gap_verdict`: ``p ≥ 0.05``, in both resampling
  modes: the groups are the subgroups, so the within-question null is the populations' too, and
  the p shown is the one the mark follows, drawn on the clear targets,
  :data:`sgbench.scoring.fairness.CLEAR_STABILITY`); ``leaderboard.json`` keeps
  every figure, descriptive ones included.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from sgbench import __version__
from sgbench.baselines import BASELINES, DESCRIPTIONS, BaselineName, run_baselines
from sgbench.boundary import ArgumentName, PathArg, public
from sgbench.dataset import BuiltDataset
from sgbench.errors import InputError, shown_model, shown_name
from sgbench.files import FromFiles, reads
from sgbench.leaderboard.submission import (
    PREDICTIONS_FILE,
    PRIMARY_SPLIT,
    check_submission,
    load_ranked_splits,
)
from sgbench.scoring import score
from sgbench.scoring.bootstrap import (
    QUESTIONS,
    Resample,
    bootstrap_record,
    check_settings,
    paired_difference_intervals,
)
from sgbench.scoring.data import FloatArray, ScoringData
from sgbench.scoring.fairness import CLEAR_STABILITY
from sgbench.scoring.metrics import FAIRNESS_METRICS, METRICS
from sgbench.scoring.paired import LEVEL, holm, sign_flip_p_values
from sgbench.scoring.predictions import Predictions, read_predictions
from sgbench.scoring.report import ATTRIBUTE_PREFIX

CONFIG: Final = "default"
"""The dataset config the leaderboard uses (``test_ood`` as in ``paper``, plus ``test_id``)."""

DIGITS: Final = 3
"""Decimals shown for every figure; ranks compare accuracy at this precision."""

BASELINE_PREFIX: Final = "baseline:"
"""Slug prefix of built-in baselines (``:`` is not allowed in submission slugs)."""

BASELINE_SEED: Final = 0
"""Seed of the ``random`` baseline on the leaderboard."""


RULES: Final[dict[str, str]] = {
    "rank": f"by {PRIMARY_SPLIT} accuracy, higher first, compared at the displayed precision "
    f"({DIGITS} decimals); entries with the same displayed accuracy share a rank and the next "
    "rank skips (competition ranking: 1, 2, 2, 4)",
    "tie_break": f"within a shared rank, entries are listed by lower {PRIMARY_SPLIT} NMAE (full "
    "precision), then by slug (code point order); the listing order never changes a rank",
    "significance": "≈ leader marks the entries not significantly below the leader (the first "
    f"entry listed): a one-sided paired sign-flip test over questions of {PRIMARY_SPLIT} "
    "accuracy (H1: the leader is better; per-question differences get random signs), with "
    f"Holm's correction across the entries, at family-wise level {LEVEL}; without permutations "
    "nobody is marked",
    "fairness": "cv_between of accuracy and sd_between of NMAE across subgroups: the spread of "
    "subgroup values left once each subgroup's sampling noise over its questions is taken out, "
    "with the p-value of a permutation null (subgroup labels shuffled within each question) "
    f"drawn on the samples whose target is clear (mode_stability ≥ {CLEAR_STABILITY}; each entry's "
    "fairness.<metric>.clear_targets); 'no detectable gap' when p ≥ 0.05, with --resample "
    "questions+subgroups too (equal subgroups in the population are equal here, so the null is "
    "the populations' as well); the spread figures are over every sample, whose observed modal "
    "answers are noisier the smaller the subgroup, so they include the targets' noise (each "
    "entry's fairness.accuracy.ceiling: the spread of the subgroups' ceilings alone); the "
    "verdict, on clear targets, does not "
    '(docs/metrics-and-fairness.md, "A perfect model and noisy targets")',
    "missing": "a sample without a prediction counts as wrong (accuracy 0, NMAE 1)",
}
"""The ranking rules, as written into every output."""


@dataclass(frozen=True)
class Entry:
    """One thing to rank: a valid submission or a built-in baseline."""

    slug: str
    metadata: Mapping[str, Any]
    """``submission.json`` (baselines: made up by sgbench; ``url`` and ``date`` null)."""
    predictions: Path
    baseline: bool
    checked: Mapping[str, Predictions] = field(default_factory=dict, repr=False)
    """Split → the predictions as already read and checked (read again when absent)."""


@dataclass(frozen=True)
class Excluded:
    """A submission left out, with every reason."""

    slug: str
    """The folder's name as shown (:func:`sgbench.errors.shown_name`: escaped when it holds a
    character that is not printable)."""
    problems: tuple[str, ...]


@dataclass(frozen=True)
class SplitResult:
    """An entry's figures on one split (from its score report)."""

    accuracy: float
    accuracy_ci: tuple[float, float] | None
    """95% bootstrap interval over questions; None without bootstrap."""
    nmae: float
    fairness: Mapping[str, Mapping[str, Any]]
    """``accuracy``/``nmae`` → the report's fairness entry across subgroups
    (:func:`sgbench.scoring.fairness.fairness_entry`)."""
    worst_group: str
    """The attribute value (``attribute=value``) with the lowest accuracy; ties: first attribute
    in the dataset's order, then first value in sorted order."""
    worst_group_accuracy: float
    by_attribute_value: Mapping[str, Mapping[str, float]]
    """Attribute → value → accuracy."""
    n_samples: int
    n_missing: int
    predictions_sha256: str
    intervals: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    """95% bootstrap interval of each figure shown, by :func:`figure_key` (``accuracy``,
    ``nmae``, ``accuracy.cv``, ``worst_group``, ...); empty without bootstrap, and a figure
    whose interval is undefined (no finite bound) is left out."""
    refusal_rate: float = 0.0
    """Share of the split's samples the model refused (they are among the missing)."""


def figure_key(metric: str, figure: str | None = None) -> str:
    """The key of a figure in :attr:`SplitResult.intervals`: ``metric`` or ``metric.figure``."""
    return metric if figure is None else f"{metric}.{figure}"


def _bounds(ci: Sequence[float | None] | None) -> tuple[float, float] | None:
    """A report's ``[low, high]`` as floats, or None when absent or not finite."""
    if ci is None or ci[0] is None or ci[1] is None:
        return None
    low, high = float(ci[0]), float(ci[1])
    return (low, high) if math.isfinite(low) and math.isfinite(high) else None


@dataclass(frozen=True)
class Row:
    """One ranked entry."""

    rank: int
    entry: Entry
    ood: SplitResult
    id: SplitResult | None
    """None when the entry predicts no sample of ``test_id``."""
    leader_gap_ci: tuple[float, float] | None
    """95% interval of accuracy(leader) − accuracy(entry) on ``test_ood``; None without
    bootstrap."""
    leader_p_value: float | None
    """One-sided sign-flip p-value of "below the leader"; None without permutations."""
    leader_p_holm: float | None
    """:attr:`leader_p_value` after Holm's correction across the entries."""
    not_below_leader: bool | None
    """True when not significantly below the leader; None without permutations."""

    @property
    def model(self) -> str:
        """The model's name."""
        return str(self.entry.metadata.get("model", ""))


@dataclass(frozen=True)
class Leaderboard(FromFiles):
    """The ranked entries and the left-out submissions, with what they were scored on."""

    rows: tuple[Row, ...]
    excluded: tuple[Excluded, ...]
    dataset: Mapping[str, Any]
    """``name``, ``version``, ``synthetic``, ``config``, ``files`` (path → sha256)."""
    splits: tuple[str, ...]
    """The splits scored, primary first."""
    n_boot: int
    seed: int
    n_permutations: int = 0
    resample: Resample = QUESTIONS
    attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Attribute → its values on the primary split, for the chart (dataset order)."""

    @property
    def synthetic(self) -> bool:
        """True when the dataset is a SYNTHETIC build."""
        return self.dataset.get("synthetic") is True

    def to_dict(self) -> dict[str, Any]:
        """Everything the outputs show, as JSON-ready values (``leaderboard.json``)."""
        return {
            "sgbench_version": __version__,
            "dataset": dict(self.dataset),
            "splits": list(self.splits),
            "primary_split": PRIMARY_SPLIT,
            "bootstrap": bootstrap_record(self.seed, self.n_boot, self.resample, spread=False),
            "permutations": {
                "seed": self.seed,
                "n_permutations": self.n_permutations,
                "significance_level": LEVEL,
                "correction": "holm",
            },
            "rules": dict(RULES),
            "entries": [_row_dict(row) for row in self.rows],
            "excluded": [{"slug": e.slug, "problems": list(e.problems)} for e in self.excluded],
        }


def _split_dict(result: SplitResult | None) -> dict[str, Any] | None:
    if result is None:
        return None
    return {
        "accuracy": result.accuracy,
        "accuracy_ci": None if result.accuracy_ci is None else list(result.accuracy_ci),
        "nmae": result.nmae,
        "fairness": {m: dict(f) for m, f in result.fairness.items()},
        "worst_attribute_group": {
            "group": result.worst_group,
            # NaN only when the split has no attribute values at all.
            "accuracy": result.worst_group_accuracy
            if math.isfinite(result.worst_group_accuracy)
            else None,
        },
        "by_attribute_value": {a: dict(v) for a, v in result.by_attribute_value.items()},
        "n_samples": result.n_samples,
        "n_missing": result.n_missing,
        "refusal_rate": result.refusal_rate,
        "predictions_sha256": result.predictions_sha256,
        "intervals": {key: list(bounds) for key, bounds in result.intervals.items()},
    }


def _row_dict(row: Row) -> dict[str, Any]:
    return {
        "rank": row.rank,
        "slug": row.entry.slug,
        "baseline": row.entry.baseline,
        "submission": dict(row.entry.metadata),
        "not_below_leader": row.not_below_leader,
        "leader_p_value": row.leader_p_value,
        "leader_p_holm": row.leader_p_holm,
        "leader_gap_ci": None if row.leader_gap_ci is None else list(row.leader_gap_ci),
        "test_ood": _split_dict(row.ood),
        "test_id": _split_dict(row.id),
    }


def displayed(value: float) -> Decimal:
    """``value`` at the displayed precision (:data:`DIGITS` decimals), as ranks compare it."""
    return Decimal(f"{value:.{DIGITS}f}")


def competition_ranks(keys: Sequence[Decimal]) -> tuple[int, ...]:
    """Competition ranks ("1, 2, 2, 4"): ``1 + `` the number of keys strictly greater."""
    ranks = pd.Series([float(k) for k in keys], dtype=np.float64).rank(
        method="min", ascending=False
    )
    return tuple(int(r) for r in ranks.to_numpy())


def listing_order(
    accuracy: Sequence[float], nmae: Sequence[float], slugs: Sequence[str]
) -> list[int]:
    """Indices in listing order: displayed accuracy (higher first), then NMAE, then slug."""
    return sorted(range(len(slugs)), key=lambda i: (-displayed(accuracy[i]), nmae[i], slugs[i]))


def worst_group(by_value: Mapping[str, Mapping[str, float]]) -> tuple[str, float]:
    """The lowest-accuracy attribute value over all attributes, as ``attribute=value``.

    Ties go to the first attribute (in the given order), then the first value in sorted order.
    """
    pairs = [
        (f"{a}={v}", acc) for a, values in by_value.items() for v, acc in sorted(values.items())
    ]
    if not pairs:
        return "", float("nan")
    best = min(range(len(pairs)), key=lambda i: (pairs[i][1], i))
    return pairs[best]


def _intervals(
    report: Mapping[str, Any],
    worst: str,
    groups: Mapping[str, Mapping[str, Mapping[str, tuple[float, float]]]],
) -> dict[str, tuple[float, float]]:
    """Every shown figure's interval from a score report (see :attr:`SplitResult.intervals`).

    ``groups`` are the report's per-group intervals (not in its JSON), for the worst group.
    """
    found: dict[str, tuple[float, float] | None] = {
        figure_key(m): _bounds(report["ci"].get(m)) for m in ("accuracy", "nmae")
    }
    subgroup = report["fairness"]["subgroup"]
    for metric in ("accuracy", "nmae"):
        cis = subgroup[metric].get("ci", {})
        for figure in ("sd_between", "cv_between"):  # the spreads that have an interval
            found[figure_key(metric, figure)] = _bounds(cis.get(figure))
    attribute, _, value = worst.partition("=")
    per_group = groups.get(ATTRIBUTE_PREFIX + attribute, {}).get("accuracy", {})
    found["worst_group"] = _bounds(per_group.get(value))
    return {key: bounds for key, bounds in found.items() if bounds is not None}


def _split_result(
    report: Mapping[str, Any],
    groups: Mapping[str, Mapping[str, Mapping[str, tuple[float, float]]]] | None = None,
) -> SplitResult:
    by_value = {
        attribute: {value: float(row["accuracy"]) for value, row in values.items()}
        for attribute, values in report["by_attribute_value"].items()
    }
    group, group_accuracy = worst_group(by_value)
    ci = report["ci"]["accuracy"]
    subgroup = report["fairness"]["subgroup"]
    return SplitResult(
        accuracy=float(report["metrics"]["accuracy"]),
        accuracy_ci=None if ci is None else (float(ci[0]), float(ci[1])),
        nmae=float(report["metrics"]["nmae"]),
        fairness={metric: dict(subgroup[metric]) for metric in FAIRNESS_METRICS},
        worst_group=group,
        worst_group_accuracy=group_accuracy,
        by_attribute_value=by_value,
        n_samples=int(report["n_samples"]),
        n_missing=int(report["n_missing"]),
        predictions_sha256=str(report["predictions_sha256"]),
        intervals=_intervals(report, group, groups or {}),
        refusal_rate=float(report["metrics"].get("refusal_rate", 0.0)),
    )


@dataclass(frozen=True)
class ScoredEntry:
    """An entry with its results, before ranking."""

    entry: Entry
    results: tuple[SplitResult | None, ...]
    """One per ranked split, primary first; None for a split the entry does not predict."""
    accuracy: FloatArray
    """Per-sample accuracy on the primary split (for the paired bootstrap)."""


def score_entry(
    entry: Entry,
    data: Sequence[ScoringData],
    *,
    n_boot: int,
    seed: int,
    n_permutations: int = 0,
    resample: Resample = QUESTIONS,
) -> ScoredEntry:
    """Score one entry on every ranked split (``data``: primary first)."""
    results: list[SplitResult | None] = []
    accuracy = np.zeros(0)
    for split_data in data:
        predictions = entry.checked.get(split_data.split) or read_predictions(
            entry.predictions, split_data
        )
        if split_data.split == PRIMARY_SPLIT:
            accuracy = METRICS["accuracy"](split_data.items, predictions.arrays)
        elif predictions.n_missing == split_data.items.n:
            results.append(None)
            continue
        report = score(
            split_data,
            predictions,
            n_boot=n_boot,
            seed=seed,
            n_permutations=n_permutations,
            resample=resample,
        )
        results.append(_split_result(report.to_dict(), report.intervals.groups))
    return ScoredEntry(entry, tuple(results), accuracy)


def rank_entries(
    scored: Sequence[ScoredEntry],
    primary: ScoringData,
    *,
    n_boot: int,
    seed: int,
    n_permutations: int = 0,
    resample: Resample = QUESTIONS,
) -> tuple[Row, ...]:
    """Order, rank and mark the scored entries (see the module docstring for the rules)."""
    if not scored:
        return ()
    ood: list[SplitResult] = []
    for item in scored:
        if item.results[0] is None:
            raise ValueError(f"{item.entry.slug}: no result on the primary split")
        ood.append(item.results[0])
    order = listing_order(
        [r.accuracy for r in ood], [r.nmae for r in ood], [s.entry.slug for s in scored]
    )
    ranks = competition_ranks([displayed(ood[i].accuracy) for i in order])
    values = np.stack([scored[i].accuracy for i in order])
    meta = primary.items.meta
    # No replicates, no interval: the board's seed and mode may be there for its permutations
    # alone, and the paired intervals refuse them as drawing nothing.
    gaps = (
        paired_difference_intervals(
            values,
            meta["question_id"],
            0,
            n_boot=n_boot,
            seed=seed,
            units=meta["subgroup_id"],
            resample=resample,
        )
        if n_boot
        else np.full((len(order), 2), np.nan)
    )
    raw = sign_flip_p_values(
        values, meta["question_id"], 0, n_permutations=n_permutations, seed=seed
    )
    raw[0] = np.nan  # the leader is not tested against itself
    adjusted = holm(raw)
    rows = []
    for position, index in enumerate(order):
        item = scored[index]
        low, high = float(gaps[position, 0]), float(gaps[position, 1])
        tested = n_permutations > 0
        leader = position == 0
        rows.append(
            Row(
                rank=ranks[position],
                entry=item.entry,
                ood=ood[index],
                id=item.results[1] if len(item.results) > 1 else None,
                # NaN: no interval (no bootstrap, or one question: paired_difference_intervals).
                leader_gap_ci=(low, high) if np.isfinite([low, high]).all() else None,
                leader_p_value=None if leader or not tested else float(raw[position]),
                leader_p_holm=None if leader or not tested else float(adjusted[position]),
                not_below_leader=(leader or bool(adjusted[position] > LEVEL)) if tested else None,
            )
        )
    return tuple(rows)


def baseline_entries(
    dataset: Path | BuiltDataset, folder: Path, splits: Sequence[str], version: str
) -> list[Entry]:
    """The built-in baselines as entries: their predictions for ``splits`` written in ``folder``."""
    entries = []
    results = run_baselines(BASELINES, dataset, CONFIG, splits, seed=BASELINE_SEED)
    for name in BASELINES:
        path = folder / f"{name}.jsonl"
        text = "".join(r.to_jsonl() for r in results if r.name == name)
        path.write_text(text, encoding="utf-8")
        metadata = baseline_metadata(name, version)
        entries.append(Entry(BASELINE_PREFIX + name, metadata, path, baseline=True))
    return entries


def baseline_metadata(name: BaselineName, version: str) -> dict[str, Any]:
    """The ``submission.json`` sgbench makes up for its baseline ``name``."""
    return {
        "model": f"{name} baseline",
        "method": "baseline",
        "organisation": "sgbench",
        "url": None,
        "dataset_version": version,
        "date": None,
        "notes": f"sgbench's {name} baseline, from the train split only: {DESCRIPTIONS[name]}"
        + (f" (seed {BASELINE_SEED})" if name == "random" else ""),
    }


def entry_key(metadata: Mapping[str, Any]) -> tuple[str, str]:
    """What makes an entry distinct: its model and method. A second submission with the same key
    is left out as a duplicate (the first by folder name stays; a built-in baseline comes
    first), so one system is never ranked twice, while a model fine-tuned and zero-shot are two.
    Names that display alike are alike (:func:`~sgbench.errors.shown_model`:
    NFKC, case-folded, without invisible characters, runs of spaces as one)."""
    return shown_model(metadata.get("model", "")), str(metadata.get("method", ""))


def submission_folders(folder: Path) -> list[Path]:
    """The submission folders of ``folder``: every sub-folder not starting with ``.``, by name,
    and every symlink leading nowhere (a missing target or a loop), which
    :func:`~sgbench.leaderboard.submission.check_submission` reports instead of it vanishing
    from the board unseen.

    Raises:
        InputError: ``folder`` is not a folder.
    """
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder of submissions")
    return sorted(
        (
            p
            for p in folder.iterdir()
            if (p.is_dir() or (p.is_symlink() and not p.exists())) and not p.name.startswith(".")
        ),
        key=lambda p: p.name,
    )


def _checked_entry(
    folder: Path, data: Sequence[ScoringData], root: Path, claimed: dict[tuple[str, str], str]
) -> Entry | Excluded:
    """The entry of one submission folder, with its checked predictions, or why it is left out.

    A valid submission claims its :func:`entry_key` in ``claimed``; a later one with the same key
    is a duplicate.
    """
    check = check_submission(folder, data, label=folder.name, root=root)
    if not check.ok:
        return Excluded(shown_name(folder.name), check.problems)
    key = entry_key(check.metadata)
    if key in claimed:
        return Excluded(
            folder.name,
            (
                f"{folder.name}/submission.json: model {check.metadata['model']!r} with "
                f"method {check.metadata['method']!r} is already entered as "
                f"{claimed[key]!r}; one entry per model and method",
            ),
        )
    claimed[key] = folder.name
    path = folder / PREDICTIONS_FILE
    return Entry(folder.name, check.metadata, path, False, check.predictions)


def _score_and_release(
    entry: Entry, data: Sequence[ScoringData], settings: Mapping[str, Any]
) -> ScoredEntry:
    """:func:`score_entry`, keeping the entry without its checked predictions (only figures)."""
    scored = score_entry(entry, data, **settings)
    return replace(scored, entry=replace(entry, checked={}))


@public
@reads(submissions="SUBMISSIONS", dataset="--dataset")
def build_leaderboard(
    submissions: PathArg,
    dataset: PathArg,
    *,
    with_baselines: bool = False,
    n_boot: int = 1000,
    seed: int = 0,
    n_permutations: int = 1000,
    resample: Resample = QUESTIONS,
) -> Leaderboard:
    """Check, score and rank every submission folder of ``submissions``.

    Invalid submissions are left out and listed with every problem (:attr:`Leaderboard.excluded`);
    the others are ranked. ``with_baselines`` adds the built-in baselines as entries.

    Raises:
        InputError: ``submissions`` is not a folder or holds no submission folder (and no
            baselines were asked for); the dataset cannot be read; bad bootstrap or
            permutation settings.
    """
    check_settings(n_boot, seed, n_permutations, resample)
    folders = submission_folders(Path(submissions))
    if not folders and not with_baselines:
        with_them = ArgumentName("with_baselines=True", "--with-baselines")
        raise InputError(f"{submissions}: no submission folders (and no {with_them})")
    data = load_ranked_splits(dataset, CONFIG)
    primary = data[0]
    settings: dict[str, Any] = {
        "n_boot": n_boot,
        "seed": seed,
        "n_permutations": n_permutations,
        "resample": resample,
    }
    excluded: list[Excluded] = []
    scored: list[ScoredEntry] = []
    # The built-in baselines claim their names first: a submission calling itself
    # "random baseline" (method baseline) would show as a second, indistinguishable row.
    claimed: dict[tuple[str, str], str] = {
        entry_key(baseline_metadata(name, "")): BASELINE_PREFIX + name
        for name in (BASELINES if with_baselines else ())
    }
    for folder in folders:
        found = _checked_entry(folder, data, Path(submissions), claimed)
        if isinstance(found, Excluded):
            excluded.append(found)
        else:
            scored.append(_score_and_release(found, data, settings))
        # Each entry is scored as soon as it is read and only its figures are kept: holding
        # every entry's prediction arrays at once was the leaderboard's memory peak.
        del found
    manifest = primary.manifest
    if with_baselines:
        with tempfile.TemporaryDirectory(prefix="sgbench-baselines-") as scratch:
            splits = [d.split for d in data]
            for entry in baseline_entries(primary.dataset, Path(scratch), splits, manifest.version):
                scored.append(_score_and_release(entry, data, settings))
    rows = rank_entries(scored, primary, **settings)
    attributes = {
        attribute: tuple(values)
        for attribute, values in (rows[0].ood.by_attribute_value.items() if rows else ())
    }
    return Leaderboard(
        rows=rows,
        excluded=tuple(excluded),
        dataset={
            "name": manifest.name,
            "version": manifest.version,
            "synthetic": manifest.synthetic,
            "config": CONFIG,
            "files": dict(primary.files),
        },
        splits=tuple(d.split for d in data),
        n_boot=n_boot,
        seed=seed,
        n_permutations=n_permutations,
        resample=resample,
        attributes=attributes,
    )
