"""Time ``score_predictions``, and what the fairness work (noise-aware figures, their
intervals and the permutation null) costs.

Three parts (``--part``, default all); their figures go to
``benchmarks/results/bench_score.json`` (a part run alone updates its own keys only), which
``docs/generate.py`` quotes:

- ``score``: a synthetic dataset the size of the paper's OOD split (``default`` config;
  ``test_ood`` with 420 questions × 48 subgroups = 20,160 samples, every other split empty) and a
  predictions file (about 2% of samples missing, half the lines with a distribution), scored with
  ``n_boot=1000`` and 1,000 permutations; median and spread of the runs.
- ``fairness``: the embedded default (``sgbench build``, 12,135 ``test_ood`` samples) scored for
  the ``random`` baseline with 1,000 bootstrap replicates, with and without 1,000 permutations,
  and the fairness engine alone (:func:`sgbench.scoring.bootstrap.bootstrap_intervals` with the
  report's groupings minus the same call without groupings); medians of the runs. The verdicts'
  second draw on the clear targets (``mode_stability`` >= ``CLEAR_STABILITY``) is timed as
  :func:`sgbench.scoring.report.clear_rows` alone, called with the arguments ``score`` gives it
  (values, groupings and blocks computed once beforehand, as ``score`` has them): its share is
  its median over the median of ``score_predictions`` (which includes it), wall-clock and CPU.
  Every run times each variant once, in turn, so a change of the machine's load falls on all.
- ``scale``: a synthetic cell table of 239 questions × 4,756 subgroups (1.14 M samples, the ALL
  build's size) with the subgroup grouping and three attribute groupings; the engine's time for
  ``--scale-bootstrap`` replicates and ``--scale-permutations`` permutations (medians of
  ``--scale-runs`` calls), per 1,000 of each,
  and the process's peak memory (the whole process's: run ``--part scale`` alone for the
  engine's own, as the committed figure is). At that size the null is moment-matched
  (:func:`sgbench.scoring.noise.null_plan`); the figures say so, and how many exact permutations
  were drawn for the null means.

    python benchmarks/bench_score.py [--part all] [--runs 7] [--questions 420] [--bootstrap 1000]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from shared import read_results, results_path, write_results

from sgbench.baselines import run_baseline
from sgbench.builder import build_dataset
from sgbench.dataset import CONFIG_SPLITS, MANIFEST_FILE, binding, sample_features, split_file
from sgbench.scoring import score_predictions
from sgbench.scoring.bootstrap import QUESTIONS, bootstrap_intervals
from sgbench.scoring.data import load_scoring_data
from sgbench.scoring.fairness import CLEAR_STABILITY, ClearRow
from sgbench.scoring.metrics import FAIRNESS_METRICS, METRICS, compute, fairness_names, metric_names
from sgbench.scoring.predictions import read_predictions
from sgbench.scoring.report import _groupings, clear_rows

RESULTS = results_path(__file__)
N_SUBGROUPS = 48
MISSING_SHARE = 0.02

ATTRIBUTES = {
    "sex": ["Male", "Female"],
    "age_group": ["16-24", "25-34", "35-44", "45-54", "55-64", "65+"],
    "ethnicity": ["Chinese", "Malay", "Indian"],
    "religion": ["Buddhist", "None", "Hindu", "Muslim", "Other", "Protestant", "Catholic"],
}
OOD_STRATA = [("age_group", "religion"), ("age_group", "ethnicity"), ("ethnicity", "religion")]
SECTIONS = [f"Section {i}" for i in range(1, 13)]


def subgroups(limit: int) -> list[dict[str, str]]:
    """The first ``limit`` two-attribute subgroups of the OOD strata."""
    found = []
    for a, b in OOD_STRATA:
        for va, vb in itertools.product(ATTRIBUTES[a], ATTRIBUTES[b]):
            found.append({a: va, b: vb})
    return found[:limit]


def make_rows(n_questions: int, n_subgroups: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    """Sample rows with random scales (2-10 options, codes shuffled), counts and ties."""
    rows = []
    groups = subgroups(n_subgroups)
    for q in range(n_questions):
        k = int(rng.integers(2, 11))
        scale = "binary" if k == 2 else ("nominal" if q % 7 == 0 else "ordinal")
        codes = [int(c) for c in rng.permutation(k)]
        options = [{"code": c, "label": f"option {c}"} for c in codes]
        for group in groups:
            counts = rng.integers(0, 40, size=k)
            counts[rng.integers(k)] += 1
            total = int(counts.sum())
            top = counts.max()
            modal = [codes[j] for j in range(k) if counts[j] == top]
            second, first = np.sort(counts)[-2:] / total
            sid = "&".join(f"{a}={v.lower()}" for a, v in group.items())
            rows.append(
                {
                    "id": f"Q{q}/{sid}",
                    "question_id": f"Q{q}",
                    "question": f"Question {q}?",
                    "section": SECTIONS[q % len(SECTIONS)],
                    "options": options,
                    "scale_type": scale,
                    "subgroup_id": sid,
                    "subgroup": {a: group.get(a) for a in ATTRIBUTES},
                    "stratum": "_x_".join(group),
                    "persona": sid,
                    "country": "SGP",
                    "wave": 7,
                    "subgroup_size": total,
                    "n_valid": total,
                    "counts": [int(c) for c in counts],
                    "distribution": [float(c) / total for c in counts],
                    "answer": modal[0],
                    "modal_answers": modal,
                    "margin": float(first - second),
                }
            )
    # A subgroup's size is one for all its rows (the row rule): its largest n_valid, as a build's.
    size: dict[str, int] = {}
    for row in rows:
        size[row["subgroup_id"]] = max(size.get(row["subgroup_id"], 0), row["n_valid"])
    for row in rows:
        row["subgroup_size"] = size[row["subgroup_id"]]
    return rows


def write_fixture(root: Path, n_questions: int, seed: int = 0) -> tuple[Path, Path]:
    """Write the dataset folder and a predictions file under ``root``."""
    rng = np.random.default_rng(seed)
    rows = make_rows(n_questions, N_SUBGROUPS, rng)
    dataset = root / "dataset"
    counts = {
        split: {"samples": len(rows) if split == "test_ood" else 0}
        for split in CONFIG_SPLITS["default"]
    }
    # Every data file carries the manifest but for its hashes and sizes, as a build's do.
    manifest: dict[str, Any] = {
        "name": "bench",
        "version": "0.0.0",
        "synthetic": True,
        "configs": {"default": counts},
        "attributes": {
            a: {"variable": "", "values": {v: [i] for i, v in enumerate(vs)}}
            for a, vs in ATTRIBUTES.items()
        },
        "strata": [list(s) for s in OOD_STRATA],
    }
    schema = sample_features(list(ATTRIBUTES)).arrow_schema
    files: dict[str, str] = {}
    sizes: dict[str, int] = {}
    for split in CONFIG_SPLITS["default"]:
        rel = split_file("default", split)
        path = dataset / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        split_rows = rows if split == "test_ood" else []
        bound = schema.with_metadata({**(schema.metadata or {}), **binding(manifest, rel)})
        pq.write_table(pa.Table.from_pylist(split_rows, schema=bound), path)
        files[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        sizes[rel] = path.stat().st_size
    manifest.update(files=files, sizes=sizes)
    (dataset / MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")

    predictions = root / "predictions.jsonl"
    with predictions.open("w", encoding="utf-8") as out:
        for i, row in enumerate(rows):
            if rng.random() < MISSING_SHARE:
                continue
            codes = [o["code"] for o in row["options"]]
            line: dict[str, Any] = {"id": row["id"], "answer": int(rng.choice(codes))}
            if i % 2:
                p = rng.dirichlet(np.ones(len(codes)))
                line["distribution"] = {str(c): float(v) for c, v in zip(codes, p, strict=True)}
            out.write(json.dumps(line) + "\n")
    return dataset, predictions


def timed(function: Callable[[], object], runs: int, cpu: list[float] | None = None) -> list[float]:
    """Wall-clock seconds of ``runs`` calls; with ``cpu``, their CPU seconds are appended to it
    (on a shared machine CPU time moves less with the other processes' load than wall time)."""
    times = []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        function()
        times.append(time.perf_counter() - start)
        if cpu is not None:
            cpu.append(time.process_time() - start_cpu)
    return times


def spread_text(times: list[float]) -> str:
    """``median … s (min … max …)``."""
    return f"median {statistics.median(times):.3f} s (min {min(times):.3f}, max {max(times):.3f})"


def score_part(runs: int, questions: int, n_boot: int) -> dict[str, Any]:
    """The paper-sized synthetic split (module docstring)."""
    with tempfile.TemporaryDirectory() as tmp:
        dataset, predictions = write_fixture(Path(tmp), questions)
        report = score_predictions(predictions, dataset, n_boot=n_boot, seed=0)
        times = timed(lambda: score_predictions(predictions, dataset, n_boot=n_boot), runs)
    print(
        f"score_predictions: {report.n_samples} samples ({report.n_scored} scored, "
        f"{report.n_with_distribution} with a distribution), {n_boot} bootstrap replicates, "
        f"1000 permutations, {runs} runs: {spread_text(times)}"
    )
    return {
        "runs": runs,
        "questions": questions,
        "subgroups": N_SUBGROUPS,
        "missing_share": MISSING_SHARE,
        "bootstrap": n_boot,
        "permutations": 1000,
        "n_samples": report.n_samples,
        "n_scored": report.n_scored,
        "n_with_distribution": report.n_with_distribution,
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
    }


def _p_values(rows: Mapping[str, Mapping[str, ClearRow]]) -> dict[str, dict[str, float | None]]:
    """Each clear row's permutation p-value (None without a null)."""
    return {
        label: {
            name: None if row.spread is None or row.spread.null is None else row.spread.null.p_value
            for name, row in by_metric.items()
        }
        for label, by_metric in rows.items()
    }


def fairness_part(runs: int, n_boot: int) -> dict[str, Any]:
    """What the fairness work costs on the embedded default's test_ood (module docstring)."""
    with tempfile.TemporaryDirectory() as tmp:
        dataset = Path(tmp) / "ds"
        build_dataset(out_dir=dataset)
        predictions = Path(tmp) / "random.jsonl"
        predictions.write_text(run_baseline("random", dataset).to_jsonl(), encoding="utf-8")
        data = load_scoring_data(dataset, "default", "test_ood")
        arrays = read_predictions(predictions, data).arrays
        names = metric_names(bool(arrays.has_distribution.any()))
        fair_values = dict(compute(data.items, arrays, fairness_names(names)))
        values = compute(data.items, arrays, ("accuracy", "nmae", "wasserstein", "agreement"))
        higher = {name: METRICS[name].higher_is_better for name in names}
        meta = data.items.meta
        by_attribute = {a: None for a in data.items.attributes if meta[a].notna().any()}
        report_groupings, blocks = _groupings(meta, data.items.attributes, by_attribute)
        clear = meta["mode_stability"].to_numpy(dtype=np.float64) >= CLEAR_STABILITY
        groupings = {"subgroup": meta["subgroup_id"]}
        groupings.update({a: meta[a] for a in by_attribute})

        def engine(with_groups: bool) -> object:
            return bootstrap_intervals(
                values,
                meta["question_id"],
                groupings if with_groups else {},
                FAIRNESS_METRICS,
                units=meta["subgroup_id"],
                n_boot=n_boot,
                seed=0,
                n_permutations=1000 if with_groups else 0,
            )

        def clear_call() -> Any:
            return clear_rows(
                fair_values,
                higher,
                meta,
                clear,
                report_groupings,
                blocks,
                n_boot=n_boot,
                seed=0,
                n_permutations=1000,
                resample=QUESTIONS,
            )

        variants: dict[str, Callable[[], object]] = {
            "score": lambda: score_predictions(predictions, dataset, n_boot=n_boot),
            "without": lambda: score_predictions(
                predictions, dataset, n_boot=n_boot, n_permutations=0
            ),
            "fair": lambda: engine(True),
            "plain": lambda: engine(False),
            "clear": clear_call,
        }
        # The call timed is the report's own: the same verdicts (p-values) as score's.
        report = score_predictions(predictions, dataset, n_boot=n_boot)
        timed_rows = clear_call()
        if report.clear is None or _p_values(report.clear) != _p_values(timed_rows):
            raise SystemExit("clear_rows as timed does not give the report's clear verdicts")
        wall: dict[str, list[float]] = {name: [] for name in variants}
        cpu: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(runs):
            for name, function in variants.items():
                wall[name] += timed(function, 1, cpu[name])
    median = {name: statistics.median(times) for name, times in wall.items()}
    median_cpu = {name: statistics.median(times) for name, times in cpu.items()}
    extra = median["fair"] - median["plain"]
    extra_cpu = median_cpu["fair"] - median_cpu["plain"]
    share = median["clear"] / median["score"]
    share_cpu = median_cpu["clear"] / median_cpu["score"]
    n_clear = int(clear.sum())
    print(
        f"embedded default test_ood ({data.items.n} samples, {len(groupings)} groupings, "
        f"{n_clear} with a clear target), random baseline, {n_boot} bootstrap replicates, "
        f"{runs} runs:"
    )
    for name, text in (
        ("score", "score_predictions with 1000 permutations:"),
        ("without", "score_predictions with 0 permutations:"),
        ("fair", "fairness engine (noise figures, intervals, 1000 permutations):"),
        ("plain", "the same call without groupings (metric intervals only):"),
        ("clear", "clear_rows (the verdicts on clear targets, same settings):"),
    ):
        print(f"  {text:<64}{spread_text(wall[name])}")
    print(
        f"  fairness work costs {extra:.3f} s wall, {extra_cpu:.3f} s CPU (median differences; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    print(
        f"  clear verdict: {share:.0%} of score_predictions wall, {share_cpu:.0%} CPU "
        f"({median_cpu['clear']:.3f} of {median_cpu['score']:.3f} s CPU)"
    )
    return {
        "runs": runs,
        "bootstrap": n_boot,
        "permutations": 1000,
        "n_samples": data.items.n,
        "n_clear": n_clear,
        "groupings": len(groupings),
        "score_median_s": median["score"],
        "score_cpu_median_s": median_cpu["score"],
        "score_without_permutations_median_s": median["without"],
        "engine_median_s": median["fair"],
        "engine_without_groupings_median_s": median["plain"],
        "extra_s": extra,
        "extra_cpu_s": extra_cpu,
        "clear_median_s": median["clear"],
        "clear_cpu_median_s": median_cpu["clear"],
        "clear_share": share,
        "clear_share_cpu": share_cpu,
        "load_average": os.getloadavg()[0],
    }


def scale_part(n_boot: int, n_permutations: int, runs: int) -> dict[str, Any]:
    """The engine on a 239 × 4,756 cell table (module docstring); medians of ``runs`` calls."""
    n_questions, n_units = 239, 4756
    rng = np.random.default_rng(0)
    question = np.repeat(np.arange(n_questions), n_units)
    unit = np.tile(np.arange(n_units), n_questions)
    values = {
        "accuracy": (rng.random(question.size) < 0.3).astype(np.float64),
        "nmae": rng.random(question.size),
    }
    questions = np.array([f"Q{i:03d}" for i in range(n_questions)], dtype=object)[question]
    units = np.array([f"S{i:04d}" for i in range(n_units)], dtype=object)[unit]
    groupings: dict[str, Any] = {"subgroup": units}
    for name, size in (("a", 7), ("b", 12), ("c", 64)):
        labels = np.array([f"{name}{i}" for i in range(size)] + [None], dtype=object)
        groupings[name] = labels[rng.integers(0, size + 1, n_units)][unit]

    plan: dict[str, Any] = {}

    def engine(boot: int, permutations: int) -> float:
        start = time.perf_counter()
        result = bootstrap_intervals(
            values,
            questions,
            groupings,
            FAIRNESS_METRICS,
            units=units,
            n_boot=boot,
            seed=0,
            n_permutations=permutations,
        )
        elapsed = time.perf_counter() - start
        if permutations:
            plan.update(method=result.null_method, drawn=result.n_permutations_drawn)
        return elapsed

    base = statistics.median(engine(0, 0) for _ in range(runs))
    boot = statistics.median(engine(n_boot, 0) for _ in range(runs)) - base
    perm = statistics.median(engine(0, n_permutations) for _ in range(runs)) - base
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(
        f"scale: {n_questions} questions × {n_units} subgroups ({question.size} samples), "
        f"{len(groupings)} groupings, 2 metrics, medians of {runs} runs:"
    )
    print(f"  cell table, point figures: {base:.2f} s")
    print(
        f"  {n_boot} bootstrap replicates: {boot:.2f} s (≈ {boot / n_boot * 1000:.1f} s per 1000)"
    )
    print(
        f"  {n_permutations} permutations: {perm:.2f} s "
        f"(≈ {perm / n_permutations * 1000:.1f} s per 1000; null {plan['method']}, "
        f"{plan['drawn']} drawn)"
    )
    print(f"  peak memory of the process: {peak:.2f} GiB")
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return {
        "questions": n_questions,
        "subgroups": n_units,
        "groupings": len(groupings),
        "runs": runs,
        "bootstrap": n_boot,
        "permutations": n_permutations,
        "point_s": base,
        "bootstrap_per_1000_s": boot / n_boot * 1000,
        "permutations_per_1000_s": perm / n_permutations * 1000,
        "null_method": plan["method"],
        "permutations_drawn": plan["drawn"],
        "peak_gib": peak,
        "load_average": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=["all", "score", "fairness", "scale"], default="all")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--questions", type=int, default=420)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--scale-bootstrap", type=int, default=1000)
    parser.add_argument("--scale-permutations", type=int, default=1000)
    parser.add_argument("--scale-runs", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, Any] = {"script": "benchmarks/bench_score.py"}
    results.update(read_results(RESULTS))
    if args.part in ("all", "score"):
        results.update(score_part(args.runs, args.questions, args.bootstrap))
    if args.part in ("all", "fairness"):
        results["fairness"] = fairness_part(args.runs, args.bootstrap)
    if args.part in ("all", "scale"):
        results["scale"] = scale_part(
            args.scale_bootstrap, args.scale_permutations, args.scale_runs
        )
    write_results(RESULTS, results)


if __name__ == "__main__":
    main()
