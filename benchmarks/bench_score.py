"""Time ``score_predictions`` on a synthetic dataset the size of the paper's OOD split.

Writes a dataset folder (``default`` config; ``test_ood`` with 420 questions × 48 subgroups =
20,160 samples, every other split empty) and a predictions file (about 2% of samples missing,
half the lines with a distribution) to a temporary folder, then times
``score_predictions(..., n_boot=1000)`` and prints the median and spread of the runs. The same
figures go to ``benchmarks/results/bench_score.json``, which ``docs/generate.py`` quotes.

    python benchmarks/bench_score.py [--runs 7] [--questions 420] [--bootstrap 1000]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sgbench.dataset import CONFIG_SPLITS, MANIFEST_FILE, sample_features, split_file
from sgbench.scoring import score_predictions

RESULTS = Path(__file__).parent / "results" / "bench_score.json"
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
                    "margin": 0.0,
                }
            )
    return rows


def write_fixture(root: Path, n_questions: int, seed: int = 0) -> tuple[Path, Path]:
    """Write the dataset folder and a predictions file under ``root``."""
    rng = np.random.default_rng(seed)
    rows = make_rows(n_questions, N_SUBGROUPS, rng)
    dataset = root / "dataset"
    schema = sample_features(list(ATTRIBUTES)).arrow_schema
    files = {}
    for split in CONFIG_SPLITS["default"]:
        rel = split_file("default", split)
        path = dataset / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(
            pa.Table.from_pylist(rows if split == "test_ood" else [], schema=schema), path
        )
        files[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest = {
        "name": "bench",
        "version": "0.0.0",
        "synthetic": True,
        "attributes": {
            a: {"variable": "", "values": {v: [i] for i, v in enumerate(vs)}}
            for a, vs in ATTRIBUTES.items()
        },
        "strata": ["_x_".join(s) for s in OOD_STRATA],
        "files": files,
    }
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--questions", type=int, default=420)
    parser.add_argument("--bootstrap", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        dataset, predictions = write_fixture(Path(tmp), args.questions)
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            report = score_predictions(predictions, dataset, n_boot=args.bootstrap, seed=0)
            times.append(time.perf_counter() - start)
    print(
        f"score_predictions: {report.n_samples} samples ({report.n_scored} scored, "
        f"{report.n_with_distribution} with a distribution), {args.bootstrap} bootstrap "
        f"replicates, {args.runs} runs"
    )
    print(
        f"median {statistics.median(times):.3f} s  min {min(times):.3f} s  max {max(times):.3f} s"
    )
    results = {
        "script": "benchmarks/bench_score.py",
        "runs": args.runs,
        "questions": args.questions,
        "subgroups": N_SUBGROUPS,
        "missing_share": MISSING_SHARE,
        "bootstrap": args.bootstrap,
        "n_samples": report.n_samples,
        "n_scored": report.n_scored,
        "n_with_distribution": report.n_with_distribution,
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
