"""How often the fairness verdict calls a perfect model unfair, on every target and on the clear
targets it is tested on; and whether it keeps its level and finds a planted gap there.

A subgroup's target (its modal answer) is itself an estimate from its respondents, noisier for a
small subgroup (``mode_stability``, the report's ``ceiling.by_subgroup``). A model that predicts
every subgroup's *true* modal answer therefore scores lower accuracy on small subgroups, and a
permutation test on every target (questions-only mode, the default of ``sgbench score``: group
labels shuffled within each question, so its null is "these groups' values do not differ on
these questions") finds a gap between them. The report tests each row's verdict on the samples
whose ``mode_stability`` reaches :data:`~sgbench.scoring.fairness.CLEAR_STABILITY` instead
(``clear_targets``). This script measures both, where the truth is known.

The embedded SYNTHETIC sample is drawn by a known generator
(:func:`sgbench.builder.synthetic.synthetic_sample`): each respondent's latent answer to an item
is the item's intercept plus their sex, age, ethnicity and religion effects plus
``Logistic(0, 0.9)`` noise, cut at fixed thresholds. :func:`generator_truth` replays the
generator's random stream to recover every respondent's latent mean (checked: the replayed
answers are the sample's), so every respondent's probability of every option is known. A
subgroup's true distribution is the weighted mean of its members' probabilities, its true
modal answer that distribution's mode: the ORACLE predicts it for every (subgroup, item) of the
default build's ``test_ood`` split (51 subgroups of three crossed strata, 33 to 588
respondents, 238 items).

Every redraw keeps the respondents, their weights and the effects, draws every answer anew
(fresh noise and missing codes, as the generator does), builds the targets with the builder's
own steps (:func:`~sgbench.builder.harmonise.harmonise`, :func:`~sgbench.builder.aggregate
.aggregate`: weighted shares, tied modes, ``mode_stability``) and scores three models with the
report's code path (:func:`sgbench.scoring.report.score`, ``n_permutations`` 1,000, questions
mode; :func:`models`): the ORACLE; ERRORS, the oracle wrong with a probability drawn per
question, the same in every group (a null with errors); PLANTED, the oracle wrong on
:data:`PLANTED_SHARE` of the Malay subgroups' samples (a gap to find). Per model, fairness row
(``subgroup`` and each attribute) and metric (``accuracy``, ``nmae``) it records whether the
verdict (clear targets) finds a gap, whether the same test on every target (``null.p_value``)
does, and ``sd_between``; for every model its accuracy verdict at other bounds of a clear
target, :data:`OTHER_BOUNDS` (:func:`bounded_verdicts`, the report's own code, in either mode:
the table the report's bound is chosen by); for the oracle also the test on every target of its
accuracy minus its sample's ``mode_stability`` (the ceiling), and its misses on the targets
reaching each bound (an observed mode that is not the true one: the only thing that makes the
perfect model's groups differ there). Rates with binomial standard errors, written to
``benchmarks/results/bench_oracle_fairness.json``.

``--resample questions+subgroups`` scores the same redraws (the same seed) in the two-way mode
(``sgbench score --resample questions+subgroups``), whose null shuffles an attribute's values
among whole subgroups (the ``subgroup`` row, of single subgroups, still shuffles within
questions): it records the rows' rates alone, under the results' ``two_way`` key, and keeps every
other key, as a questions run keeps ``two_way``. Usage::

    python benchmarks/bench_oracle_fairness.py [--sims 200] [--resample questions+subgroups]
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import tempfile
import time
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
from shared import read_results, results_path, write_results

from sgbench.builder.aggregate import aggregate
from sgbench.builder.config import BuildConfig, load_config
from sgbench.builder.harmonise import harmonise
from sgbench.builder.pipeline import build_dataset
from sgbench.builder.subgroups import Subgroups, find_subgroups
from sgbench.builder.synthetic import (
    N_RESPONDENTS,
    NOT_ASKED,
    SYNTHETIC_SEED,
    _demographics,
    synthetic_sample,
)
from sgbench.catalogue import Item, load_catalogue
from sgbench.scoring.bootstrap import (
    QUESTIONS,
    RESAMPLE_MODES,
    TWO_WAY,
    Resample,
    bootstrap_intervals,
)
from sgbench.scoring.data import ScoringData, load_scoring_data
from sgbench.scoring.fairness import CLEAR_STABILITY, finite, gap_verdict
from sgbench.scoring.metrics import accuracy
from sgbench.scoring.noise import DETECTABLE
from sgbench.scoring.predictions import Predictions, read_predictions
from sgbench.scoring.report import ATTRIBUTE_PREFIX, SUBGROUP, _groupings, clear_rows, score

RESULTS = results_path(__file__)
SPLIT: Final = "test_ood"
N_PERMUTATIONS: Final = 1000
"""The default of ``sgbench score``."""
NOISE_SCALE: Final = 0.9
"""The generator's respondent noise, ``Logistic(0, 0.9)``."""
FACTORS: Final = {
    "Q260": ([1, 2], 0.35),
    "X003R": ([1, 2, 3, 4, 5, 6], 0.55),
    "Q290": ([702001, 702003, 702004, 702006, 702008, 702999], 0.8),
    "Q289": ([-2, 0, 1, 2, 5, 6, 7, 8, 9], 1.0),
}
"""The generator's factors, their levels and effect scales (``synthetic._answers``)."""
ORACLE: Final = "oracle"
ERRORS: Final = "errors"
PLANTED: Final = "planted"
PLANTED_SHARE: Final = 0.1
"""The share of the Malay subgroups' samples the PLANTED model answers wrongly."""
OTHER_BOUNDS: Final = (0.95, 0.99, 0.998, 0.999)
"""Other bounds of a clear target than the report's, at which every model's accuracy verdict is
measured in both modes. ``mode_stability`` is a closed-form integral, not a share of resamples
(``sgbench.builder.reliability``), so it has no grid of 1/replicates; it is computed to three
decimals, so no bound above 0.999 is measured."""
TWO_WAY_KEY: Final = "two_way"
"""The results' key of the two-way run (``--resample questions+subgroups``), which a questions
run keeps, as a two-way run keeps every other key."""
CEILING: Final = "accuracy − ceiling"
"""The comparison row's metric: the oracle's accuracy minus its sample's ``mode_stability``."""


@dataclasses.dataclass(frozen=True)
class Truth:
    """The embedded sample's generator, replayed: respondents, latent means and cut points."""

    people: pd.DataFrame
    """The sample's demographic and weight columns (the generator's first draws)."""
    items: list[Item]
    """Every catalogue item, in the generator's order."""
    mean: np.ndarray
    """``(R, I)`` each respondent's latent mean (intercept plus effects) per item."""
    cuts: np.ndarray
    """``(I, K_max − 1)`` each item's thresholds (``inf`` past its last)."""


def generator_truth() -> Truth:
    """Replay :func:`synthetic_sample`'s random stream up to the answers' noise, keeping the
    latent means the generator adds its noise to (the stream order is the generator's:
    intercepts, noise, then each factor's effects)."""
    rng = np.random.default_rng(SYNTHETIC_SEED)
    people = _demographics(rng, N_RESPONDENTS)
    items = load_catalogue()
    n_items = len(items)
    mean = np.broadcast_to(rng.normal(0.0, 0.9, size=n_items)[None, :], (N_RESPONDENTS, n_items))
    noise = rng.logistic(0, NOISE_SCALE, (N_RESPONDENTS, n_items))  # the sample's own
    mean = mean.copy()
    for column, (levels, scale) in FACTORS.items():
        effects = rng.normal(0.0, scale, size=(len(levels), n_items))
        mean += effects[np.searchsorted(np.asarray(levels), people[column].to_numpy())]
    width = max(len(item.options) for item in items)
    cuts = np.full((n_items, width - 1), np.inf)
    for j, item in enumerate(items):
        k = len(item.options)
        cuts[j, : k - 1] = np.linspace(-1.6, 1.6, k - 1) if k > 2 else [0.0]
    # The replay is the generator: with the sample's own noise its answers are the sample's
    # wherever the sample holds an option (not a missing or excluded code).
    position = ((mean + noise)[:, :, None] > cuts[None, :, :]).sum(axis=2)
    sample = synthetic_sample()
    for j, item in enumerate(items):
        answer = sample[item.question_id].to_numpy()
        valid = np.isin(answer, item.codes)
        if not np.array_equal(np.asarray(item.codes)[position[valid, j]], answer[valid]):
            raise SystemExit(f"{item.question_id}: the replay is not the generator")
    return Truth(people=people, items=items, mean=mean, cuts=cuts)


def draw_frame(truth: Truth, rng: np.random.Generator) -> pd.DataFrame:
    """A sample of the same respondents with every answer drawn anew as the generator draws
    it (noise, then missing, non-substantive and excluded codes, and the item not asked)."""
    n, n_items = truth.mean.shape
    latent = truth.mean + rng.logistic(0, NOISE_SCALE, (n, n_items))
    position = (latent[:, :, None] > truth.cuts[None, :, :]).sum(axis=2)
    codes = np.full((len(truth.items), truth.cuts.shape[1] + 1), -5, dtype=np.int64)
    for j, item in enumerate(truth.items):
        codes[j, : len(item.options)] = item.codes
    answer = codes[np.arange(n_items)[None, :], position]
    draw = rng.random((n, n_items))
    answer[draw < 0.02] = -1
    answer[(draw >= 0.02) & (draw < 0.025)] = -2
    for j, item in enumerate(truth.items):
        if item.excluded:
            answer[draw[:, j] > 0.985, j] = item.excluded[0].code
        if item.question_id in NOT_ASKED:
            answer[:, j] = -4
    answers = pd.DataFrame({item.question_id: answer[:, j] for j, item in enumerate(truth.items)})
    return pd.concat([truth.people, answers], axis=1)


def true_distributions(truth: Truth, weights: np.ndarray, subgroups: Subgroups) -> np.ndarray:
    """``(S, I, K_max)`` each kept subgroup's true answer distribution: the weighted mean of its
    members' option probabilities (missing codes fall on every option alike, so they do not
    move it)."""
    above = 1.0 / (1.0 + np.exp(-(truth.mean[:, :, None] - truth.cuts[None, :, :]) / NOISE_SCALE))
    n, n_items = truth.mean.shape
    ones = np.ones((n, n_items, 1))
    zeros = np.zeros((n, n_items, 1))
    probability = np.concatenate([ones, above], axis=2) - np.concatenate([above, zeros], axis=2)
    kept = np.flatnonzero(subgroups.table["kept"].to_numpy())
    out = np.zeros((len(kept), n_items, probability.shape[2]))
    for stratum in subgroups.membership:
        for row in np.unique(stratum[stratum >= 0]):
            where = np.flatnonzero(kept == row)
            if where.size:
                members = stratum == row
                w = weights[members]
                out[where[0]] = np.tensordot(w, probability[members], axes=1) / w.sum()
    return out


@dataclasses.dataclass(frozen=True)
class Setup:
    """What every redraw shares: the generator, config, subgroups, the scored split and the
    oracle's predictions read against it."""

    truth: Truth
    config: BuildConfig
    present: list[Item]
    subgroups: Subgroups
    data: ScoringData
    oracle: Predictions
    rows: np.ndarray
    """``(N,)`` for each sample of the split, its (kept subgroup, item) cell index
    ``subgroup · I + item`` in :func:`aggregate`'s numbering."""


def setup(folder: Path) -> Setup:
    """Build the default dataset into ``folder``, check the replayed generator against the
    embedded sample and the builder's targets, and write and read the oracle's predictions."""
    truth = generator_truth()
    config = load_config(None)
    sample = synthetic_sample()
    items = [i for i in truth.items if config.items is None or i.question_id in config.items]
    present = [item for item in items if item.question_id in sample]
    respondents = harmonise(sample, config, present, weighted=True).table
    found = find_subgroups(respondents, config)
    build_dataset(out_dir=folder / "ds")
    data = load_scoring_data(folder / "ds", "default", SPLIT)
    kept = found.table.loc[found.table["kept"], "subgroup_id"].astype(str).tolist()
    index = {s: u for u, s in enumerate(kept)}
    column = {item.question_id: j for j, item in enumerate(present)}
    meta = data.items.meta
    rows = np.array(
        [
            index[s] * len(present) + column[q]
            for s, q in zip(meta["subgroup_id"], meta["question_id"], strict=True)
        ]
    )
    # The builder's own targets from the embedded sample: the same as the dataset's.
    modal, stability = targets(respondents, found, present, config, rows, data)
    if not (
        np.array_equal(modal, data.items.modal) and np.allclose(stability, meta.mode_stability)
    ):
        raise SystemExit("the builder's targets are not the dataset's: this script is out of date")
    weights = respondents["weight"].to_numpy(np.float64)
    shares = true_distributions(truth, weights, found)
    position_of = {item.question_id: j for j, item in enumerate(truth.items)}
    cells = shares.reshape(-1, shares.shape[2])[
        np.array(
            [
                index[s] * len(truth.items) + position_of[q]
                for s, q in zip(meta["subgroup_id"], meta["question_id"], strict=True)
            ]
        )
    ]
    cells = np.where(data.items.valid[:, : cells.shape[1]], cells, -1.0)
    mode = cells.argmax(axis=1)
    path = folder / "oracle.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for sample_id, codes, m in zip(data.items.ids, data.items.codes, mode, strict=True):
            handle.write(f'{{"id": "{sample_id}", "answer": {int(codes[m])}}}\n')
    oracle = read_predictions(path, data)
    return Setup(truth, config, present, found, data, oracle, rows)


def targets(
    respondents: pd.DataFrame,
    subgroups: Subgroups,
    present: list[Item],
    config: BuildConfig,
    rows: np.ndarray,
    data: ScoringData,
) -> tuple[np.ndarray, np.ndarray]:
    """The split's ``modal`` matrix and ``mode_stability`` as the builder computes them from
    ``respondents`` (a pair below ``min_valid_answers`` in a redraw keeps the split's row, its
    target from the answers it has)."""
    samples = aggregate(respondents, subgroups, present, 1).samples.rows
    n_items = len(present)
    cell = samples.column("subgroup").to_numpy() * n_items + samples.column("item").to_numpy()
    at = np.full(len(subgroups.table) * n_items, -1)
    at[cell] = np.arange(len(cell))
    picked = at[rows]
    modal_lists = samples.column("modal_answers").to_pylist()
    stability = samples.column("mode_stability").to_numpy()[picked]
    codes = data.items.codes
    modal = np.zeros_like(data.items.modal)
    for r, p in enumerate(picked):
        modal[r] = np.isin(codes[r], modal_lists[p]) & data.items.valid[r]
    return modal, stability


def bound_name(bound: float) -> str:
    """The comparison row of the oracle's accuracy verdict on targets of ``mode_stability``
    at least ``bound``."""
    return f"accuracy, mode_stability ≥ {bound}"


def answering(oracle: Predictions, wrong: np.ndarray, valid: np.ndarray) -> Predictions:
    """``oracle`` answering the next valid option (in scale order, wrapping) where ``wrong``,
    as a point mass: another option than the true mode (a tie in the observed target may
    still count it)."""
    arrays = oracle.arrays
    k = valid.sum(axis=1)
    position = np.where(wrong, (arrays.position + 1) % k, arrays.position)
    distribution = np.zeros_like(arrays.distribution)
    distribution[np.arange(len(position)), position] = 1.0
    return dataclasses.replace(
        oracle,
        arrays=dataclasses.replace(arrays, position=position, distribution=distribution),
    )


def models(ready: Setup, rng: np.random.Generator) -> dict[str, Predictions]:
    """The scored models of one redraw: the ORACLE; ERRORS, the oracle answering another
    option on each sample with a probability drawn per question (uniform on 0 to 0.6, anew each
    redraw), the same for every group, so the groups do not differ (a null with errors); and
    PLANTED, the oracle answering another option on :data:`PLANTED_SHARE` of the Malay
    subgroups' samples (a gap the verdict must find)."""
    data = ready.data
    meta = data.items.meta
    valid = data.items.valid
    question = pd.factorize(meta["question_id"])[0]
    by_question = rng.uniform(0.0, 0.6, question.max() + 1)
    errors = rng.random(data.items.n) < by_question[question]
    planted = (rng.random(data.items.n) < PLANTED_SHARE) & (meta["ethnicity"] == "Malay").to_numpy()
    return {
        ORACLE: ready.oracle,
        ERRORS: answering(ready.oracle, errors, valid),
        PLANTED: answering(ready.oracle, planted, valid),
    }


def bounded_verdicts(
    data: ScoringData, predictions: Predictions, bound: float, seed: int, resample: Resample
) -> dict[str, dict[str, float | None]]:
    """Every fairness row's accuracy verdict on the samples whose ``mode_stability`` reaches
    ``bound`` instead of :data:`CLEAR_STABILITY`, drawn by the report's own code
    (:func:`~sgbench.scoring.report.clear_rows`, the same groupings, blocks, settings and seed
    as :func:`score`), keyed as the report's rows (``subgroup``, then each attribute)."""
    meta = data.items.meta
    groupings, blocks = _groupings(
        meta, data.items.attributes, dict.fromkeys(data.items.attributes)
    )
    hit = accuracy(data.items, predictions.arrays)
    rows = clear_rows(
        {"accuracy": hit},
        {"accuracy": True},
        meta,
        meta["mode_stability"].to_numpy(np.float64) >= bound,
        groupings,
        blocks,
        n_boot=0,
        seed=seed,
        n_permutations=N_PERMUTATIONS,
        resample=resample,
    )
    out: dict[str, dict[str, float | None]] = {}
    for label, by_metric in rows.items():
        spread = by_metric["accuracy"].spread
        null = None if spread is None else spread.null
        verdict = gap_verdict(None if null is None else finite(null.p_value))
        out[label.removeprefix(ATTRIBUTE_PREFIX)] = {
            "gap": math.nan if verdict is None else float(not verdict),
            "sd_between": None if spread is None else finite(spread.figures["sd_between"]),
            "sd_observed": None if spread is None else finite(spread.figures["sd_observed"]),
        }
    return out


def verdicts(entry: dict[str, Any]) -> dict[str, float | None]:
    """One fairness row's outcomes: whether its verdict (on the clear targets) finds a gap,
    whether the same test on every target does, and its figures."""
    every = entry["null"]["p_value"]
    clear = entry["clear_targets"]
    no_gap = entry["no_detectable_gap"]
    return {
        "gap": math.nan if no_gap is None else float(not no_gap),
        "gap_every": math.nan if every is None else float(every < DETECTABLE),
        "p_value": entry["p_value"],
        "sd_between": entry["sd_between"],
        "sd_observed": entry["sd_observed"],
        "sd_between_clear": clear.get("sd_between"),
    }


def redraw(
    ready: Setup, rng: np.random.Generator, seed: int, resample: Resample = QUESTIONS
) -> tuple[dict[str, dict[str, dict[str, dict[str, Any]]]], dict[str, float]]:
    """One redraw of every answer, scoring each of :func:`models` in ``resample`` mode: per
    model, fairness row and metric, whether the verdict finds a gap (on the clear targets, as the
    report tests it) and whether the same test on every target would, with ``sd_between``; in
    questions mode, for the oracle also the verdict on accuracy minus the ceiling, and its
    accuracy and ceiling by attribute value. The redraw's answers and models do not depend on
    ``resample``: with the same ``rng`` both modes score the same redraws."""
    frame = draw_frame(ready.truth, rng)
    respondents = harmonise(frame, ready.config, ready.present, weighted=True).table
    modal, stability = targets(
        respondents, ready.subgroups, ready.present, ready.config, ready.rows, ready.data
    )
    meta = ready.data.items.meta.assign(mode_stability=stability)
    items = dataclasses.replace(ready.data.items, modal=modal, meta=meta)
    data = dataclasses.replace(ready.data, items=items)
    out: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
    values: dict[str, Any] = {}
    for name, predictions in models(ready, rng).items():
        report = score(
            data,
            predictions,
            n_boot=0,
            seed=seed,
            n_permutations=N_PERMUTATIONS,
            resample=resample,
        )
        d = report.to_dict()
        blocks = {SUBGROUP: d["fairness"]["subgroup"], **d["fairness"]["attributes"]}
        out[name] = {
            label: {metric: verdicts(entry) for metric, entry in block.items()}
            for label, block in blocks.items()
        }
        for bound in OTHER_BOUNDS:
            for label, row in bounded_verdicts(data, predictions, bound, seed, resample).items():
                if label in out[name]:  # the report's rows (an attribute of one value has none)
                    out[name][label][bound_name(bound)] = row
        if name == ORACLE:
            values = d
    if resample != QUESTIONS:
        return out, {}
    oracle = out[ORACLE]
    fairness = values["fairness"]
    overall_bounds: dict[str, float] = {}
    # The comparison: the same verdict on accuracy minus the sample's ceiling, every target.
    hit = modal[np.arange(items.n), ready.oracle.arrays.position]
    groupings = {SUBGROUP: meta["subgroup_id"]}
    groupings.update({ATTRIBUTE_PREFIX + a: meta[a] for a in fairness["attributes"]})
    excess = bootstrap_intervals(
        {CEILING: hit.astype(np.float64) - stability},
        meta["question_id"],
        groupings,
        [CEILING],
        units=meta["subgroup_id"],
        n_boot=0,
        seed=seed,
        n_permutations=N_PERMUTATIONS,
    )
    for label, spreads in excess.spreads.items():
        spread = spreads[CEILING]
        null = spread.null
        p = None if null is None else finite(null.p_value)
        verdict = gap_verdict(p)
        oracle[label.removeprefix(ATTRIBUTE_PREFIX)][CEILING] = {
            "gap": math.nan if verdict is None else float(not verdict),
            "p_value": p,
            "sd_between": finite(spread.figures["sd_between"]),
            "sd_observed": finite(spread.figures["sd_observed"]),
        }
    misses: dict[str, float] = {}
    for bound in (CLEAR_STABILITY, *OTHER_BOUNDS):
        keep = stability >= bound
        if bound != CLEAR_STABILITY:
            overall_bounds[bound_name(bound)] = float(keep.mean())
        # The oracle's misses on targets reaching the bound: each is an observed mode that is
        # not the true one, the only thing that can make the perfect model's groups differ there.
        misses[f"clear_misses ≥ {bound}"] = float((keep & ~hit).sum())
        # Without a miss every group's accuracy is 1 and no test finds a gap: the share of
        # redraws with one bounds the oracle's rate of gaps found from above, in either mode.
        misses[f"clear_missed ≥ {bound}"] = float((keep & ~hit).any())
    # Per attribute value: the oracle's accuracy, the mean ceiling of its samples, and its
    # accuracy on the clear targets.
    for attribute in fairness["attributes"]:
        by_value = values["by_attribute_value"][attribute]
        clear_values = fairness["attributes"][attribute]["accuracy"]["clear_targets"]["values"]
        limits = pd.Series(stability).groupby(meta[attribute].to_numpy()).mean()
        for value, row in by_value.items():
            oracle[attribute].setdefault("by_value", {})[value] = {
                "accuracy": row["accuracy"],
                "ceiling": float(limits[value]),
                "accuracy_clear": clear_values[value],
            }
    ceiling = values["ceiling"]
    by_subgroup = values["by_subgroup"]
    accuracy = np.array([by_subgroup[s]["accuracy"] for s in ceiling["by_subgroup"]])
    expected = np.array(list(ceiling["by_subgroup"].values()))
    overall = {
        "accuracy": values["metrics"]["accuracy"],
        "ceiling": ceiling["accuracy"],
        "accuracy_normalised": values["metrics"]["accuracy_normalised"],
        "sd_subgroup_accuracy": float(np.std(accuracy, ddof=1)),
        "sd_subgroup_ceiling": float(np.std(expected, ddof=1)),
        "correlation": float(np.corrcoef(accuracy, expected)[0, 1]),
        "clear_share": values["clear_targets"]["share"],
        **{f"clear_share {name}": share for name, share in overall_bounds.items()},
        **misses,
    }
    return out, overall


def rate(flags: np.ndarray) -> dict[str, float]:
    """The share of True in ``flags`` and its binomial standard error (none of either where no
    redraw gave the row a verdict: a two-way row with too few arrangements has none)."""
    if not flags.size:
        return {"n": 0}
    share = float(np.mean(flags))
    return {"share": share, "se": math.sqrt(share * (1 - share) / flags.size), "n": int(flags.size)}


def measure(sims: int, resample: Resample = QUESTIONS) -> dict[str, Any]:
    """The verdict's gap rate on the oracle over ``sims`` redraws, per row and metric, in
    ``resample`` mode (two-way: only the rows' rates, the time per redraw and the redraws)."""
    with tempfile.TemporaryDirectory() as tmp:
        ready = setup(Path(tmp))
        rng = np.random.default_rng(20261202)
        runs = []
        start = time.perf_counter()
        for sim in range(sims):
            runs.append(redraw(ready, rng, sim, resample))
            if (sim + 1) % 20 == 0:
                print(f"{sim + 1} redraws", flush=True)
        seconds = (time.perf_counter() - start) / sims
        sizes = ready.data.items.meta.groupby("subgroup_id")["subgroup_id"].size()
        kept = sizes.index.tolist()
    rows: dict[str, dict[str, dict[str, dict[str, float]]]] = {}
    by_value: dict[str, dict[str, dict[str, float]]] = {}
    for model, blocks in runs[0][0].items():
        rows[model] = {}
        for label, block in blocks.items():
            rows[model][label] = {}
            if "by_value" in block:
                by_value[label] = {
                    value: {
                        figure: float(
                            np.mean(
                                [run[0][model][label]["by_value"][value][figure] for run in runs]
                            )
                        )
                        for figure in ("accuracy", "ceiling", "accuracy_clear")
                    }
                    for value in block["by_value"]
                }
            for metric in (m for m in block if m != "by_value"):
                cells = [run[0][model][label][metric] for run in runs]
                gaps = np.array([c["gap"] for c in cells])
                between = np.array([c["sd_between"] for c in cells], dtype=np.float64)
                observed = np.array([c["sd_observed"] for c in cells], dtype=np.float64)
                row = {
                    **rate(gaps[~np.isnan(gaps)] == 1),
                    "sd_between_mean": float(np.nanmean(between)),
                    "sd_between_positive": float(np.mean(between > 0)),
                    "sd_observed_mean": float(np.nanmean(observed)),
                }
                if "gap_every" in cells[0]:
                    every = np.array([c["gap_every"] for c in cells])
                    row["every_target"] = rate(every[~np.isnan(every)] == 1)
                    clear = np.array([c["sd_between_clear"] for c in cells], dtype=np.float64)
                    row["sd_between_clear_mean"] = float(np.nanmean(clear))
                rows[model][label][metric] = row
                every_text = (
                    f"  every target {row['every_target'].get('share', math.nan):.3f}"
                    if "every_target" in row
                    else ""
                )
                print(
                    f"{model:<8} {label:<12} {metric:<20}"
                    f" gap found {row.get('share', math.nan):.3f}"
                    f" ± {row.get('se', math.nan):.3f} (n {row['n']}){every_text}",
                    flush=True,
                )
    overall = {
        key: float(np.mean([run[1][key] for run in runs])) for key in runs[0][1] if runs[0][1]
    }
    print(overall)
    if resample != QUESTIONS:
        return {
            "sims": sims,
            "n_permutations": N_PERMUTATIONS,
            "min_mode_stability": CLEAR_STABILITY,
            "seconds_per_redraw": round(seconds, 1),
            "rows": rows,
        }
    return {
        "sims": sims,
        "n_permutations": N_PERMUTATIONS,
        "min_mode_stability": CLEAR_STABILITY,
        "planted_share": PLANTED_SHARE,
        "split": SPLIT,
        "n_samples": int(sizes.sum()),
        "n_subgroups": int(sizes.size),
        "subgroup_size": {
            "min": int(
                ready.subgroups.table.set_index("subgroup_id").loc[kept, "subgroup_size"].min()
            ),
            "max": int(
                ready.subgroups.table.set_index("subgroup_id").loc[kept, "subgroup_size"].max()
            ),
        },
        "rows": rows,
        "by_value": by_value,
        "mean_over_redraws": overall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sims", type=int, default=200)
    parser.add_argument(
        "--resample",
        choices=RESAMPLE_MODES,
        default=QUESTIONS,
        help=f"the scoring mode; {TWO_WAY} writes only the {TWO_WAY_KEY!r} key",
    )
    args = parser.parse_args()
    results = read_results(RESULTS)
    measured = measure(args.sims, args.resample)
    if args.resample == QUESTIONS:
        results = {**measured, TWO_WAY_KEY: results.get(TWO_WAY_KEY)}
        results = {k: v for k, v in results.items() if v is not None}
    else:
        results[TWO_WAY_KEY] = measured
    write_results(RESULTS, results)


if __name__ == "__main__":
    main()
