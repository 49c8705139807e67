"""Crafted tiny dataset folders for the scorer tests (no network, nothing read from /work/shared).

A dataset folder is written exactly as the builder lays it out: ``manifest.json`` plus one parquet
shard per split of a config, with the Arrow schema of :func:`sgbench.dataset.sample_features`.
Rows are made by :func:`make_row` from counts, so every derived field (distribution, modal answers,
margin) is consistent and the expected metric values can be worked out by hand in each test.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sgbench.dataset import CONFIG_SPLITS, MANIFEST_FILE, binding, sample_features, split_file
from sgbench.scoring.bootstrap import bootstrap_intervals

ATTRIBUTES: tuple[str, ...] = ("sex", "age_group", "ethnicity", "religion")

MANIFEST_ATTRIBUTES: dict[str, Any] = {
    "sex": {"variable": "Q260", "values": {"Male": [1], "Female": [2]}},
    "age_group": {
        "variable": "Q262",
        "values": {
            "16-24": {"min": 16, "max": 24},
            "25-34": {"min": 25, "max": 34},
            "65+": {"min": 65, "max": 120},
        },
    },
    "ethnicity": {"variable": "Q290", "values": {"Chinese": [1], "Malay": [2], "Indian": [3]}},
    "religion": {"variable": "Q289", "values": {"Buddhist": [6], "Muslim": [5], "None": [0]}},
}

FOUR_POINT: list[tuple[int, str]] = [
    (1, "Very important"),
    (2, "Rather important"),
    (3, "Not very important"),
    (4, "Not at all important"),
]


def slug(value: str) -> str:
    """The subgroup-id spelling of an attribute value."""
    return value.lower().replace(" ", "_")


def make_row(
    question_id: str,
    subgroup: Mapping[str, str],
    options: Sequence[tuple[int, str]],
    counts: Sequence[int],
    *,
    scale_type: str = "ordinal",
    section: str = "Social values",
    mode_stability: float | None = None,
    train_overlap: float | None = None,
    off_scale: Sequence[int] = (),
) -> dict[str, Any]:
    """One sample row; ``subgroup`` maps the attributes the stratum uses to their values
    (``mode_stability`` and ``train_overlap`` null unless given)."""
    if len(options) != len(counts):
        raise ValueError("options and counts must align")
    n_valid = sum(counts)
    distribution = [c / n_valid for c in counts]
    top = max(counts)
    modal = [code for (code, _), c in zip(options, counts, strict=True) if c == top]
    shares = sorted(distribution, reverse=True)
    subgroup_id = "&".join(f"{name}={slug(value)}" for name, value in subgroup.items())
    persona = ", ".join(f"{name} {value}" for name, value in subgroup.items())
    return {
        "id": f"{question_id}/{subgroup_id}",
        "question_id": question_id,
        "question": f"Text of {question_id}?",
        "section": section,
        "options": [
            {"code": code, "label": label, "off_scale": code in off_scale}
            for code, label in options
        ],
        "scale_type": scale_type,
        "subgroup_id": subgroup_id,
        "subgroup": {name: subgroup.get(name) for name in ATTRIBUTES},
        "stratum": "_x_".join(subgroup),
        "persona": f"A person in Singapore: {persona}",
        "country": "SGP",
        "wave": 7,
        "subgroup_size": n_valid + 3,
        "n_valid": n_valid,
        "counts": list(counts),
        "distribution": distribution,
        "answer": modal[0],
        "modal_answers": modal,
        "margin": shares[0] - (shares[1] if len(shares) > 1 else 0.0),
        "mode_stability": mode_stability,
        "train_overlap": train_overlap,
    }


def one_size_per_subgroup(tables: Iterable[list[Mapping[str, Any]]]) -> None:
    """Give every row of a subgroup (and wave) one ``subgroup_size``, as a build does and the row
    rule requires: the largest of its rows' and of the rows of every subgroup nested in it (whose
    values include its own: their respondents are among its). ``make_row`` derives each row's
    from that row's own answers. Rows are replaced in place by copies."""

    def key(row: Mapping[str, Any]) -> tuple[Any, Any] | None:
        # A row written broken on purpose (no id, a size that is no count) is left as it is.
        size, subgroup = row.get("subgroup_size"), row.get("subgroup_id")
        sized = isinstance(size, int) and not isinstance(size, bool)
        return (subgroup, row.get("wave")) if sized and isinstance(subgroup, str) else None

    largest: dict[tuple[Any, Any], int] = {}
    for rows in tables:
        for row in rows:
            if (k := key(row)) is not None:
                largest[k] = max(largest.get(k, 0), row["subgroup_size"])
    values = {k: frozenset(k[0].split("&")) for k in largest}
    largest = {
        k: max(
            size
            for other, size in largest.items()
            if other[1] == k[1] and values[k] <= values[other]
        )
        for k in largest
    }
    for rows in tables:
        rows[:] = [
            row if (k := key(row)) is None else {**row, "subgroup_size": largest[k]} for row in rows
        ]


def recorded_attributes(tables: Iterable[list[Mapping[str, Any]]]) -> dict[str, Any]:
    """:data:`MANIFEST_ATTRIBUTES` with every value the rows' subgroups hold, as a build records
    each value it found (the row rule refuses a subgroup value the manifest does not list); a
    value added here has no survey codes."""
    attributes = {
        name: {**spec, "values": dict(spec["values"])} for name, spec in MANIFEST_ATTRIBUTES.items()
    }
    for rows in tables:
        for row in rows:
            subgroup = row.get("subgroup")
            if not isinstance(subgroup, Mapping):
                continue  # a row written broken on purpose
            for name, value in subgroup.items():
                values = attributes[name]["values"] if name in attributes else None
                known = {slug(label) for label in values or ()}
                if isinstance(value, str) and values is not None and slug(value) not in known:
                    values[value] = []
    return attributes


HANDMADE_VERSION = "1.0.0+handmade"
"""The version of the datasets written here: a label other than a build's marks a dataset
sgbench did not build, held to the records it has (a build's manifest must hold every record a
build writes, and these hand-made rows are of no catalogue question)."""


def write_dataset(
    root: Path,
    splits: Mapping[str, Iterable[Mapping[str, Any]]],
    *,
    config: str = "default",
    name: str = "wvs-sg-subgroups",
    version: str = HANDMADE_VERSION,
    extra_configs: Mapping[str, Mapping[str, Iterable[Mapping[str, Any]]]] | None = None,
) -> Path:
    """Write a dataset folder; splits of the config not given are written empty. Each data
    file carries the manifest without its hashes and sizes, as a build's do."""
    root.mkdir(parents=True, exist_ok=True)
    configs = {config: splits, **(extra_configs or {})}
    tables: dict[str, list[Mapping[str, Any]]] = {}
    counts: dict[str, dict[str, dict[str, int]]] = {}
    for config_name, config_splits in configs.items():
        for split in CONFIG_SPLITS[config_name]:
            rows = list(config_splits.get(split, []))
            counts.setdefault(config_name, {})[split] = {"samples": len(rows)}
            tables[split_file(config_name, split)] = rows
    one_size_per_subgroup(tables.values())
    strata = sorted({row["stratum"] for rows in splits.values() for row in rows})
    manifest: dict[str, Any] = {
        "name": name,
        "version": version,
        "synthetic": True,
        "attributes": recorded_attributes(tables.values()),
        "strata": [stratum.split("_x_") for stratum in strata],
        "configs": counts,
    }
    schema = sample_features(ATTRIBUTES).arrow_schema
    files: dict[str, str] = {}
    sizes: dict[str, int] = {}
    for rel, rows in tables.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        bound = schema.with_metadata({**(schema.metadata or {}), **binding(manifest, rel)})
        pq.write_table(pa.Table.from_pylist(rows, schema=bound), path)
        files[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        sizes[rel] = path.stat().st_size
    manifest.update(files=files, sizes=sizes)
    (root / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return root


def write_jsonl(path: Path, records: Iterable[Mapping[str, Any] | str]) -> Path:
    """Write prediction lines; a ``str`` record is written verbatim (for malformed lines)."""
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


# --- The hand-worked dataset --------------------------------------------------------------------
# Three questions × three subgroups of the stratum age_group × religion (test_ood), plus one
# training sample (to test skipping of other splits). Every expected value in the tests is worked
# out by hand from these counts.

Q1_OPTIONS = [(1, "A"), (2, "B"), (0, "C"), (3, "D"), (4, "E")]  # ordinal, codes out of order
Q2_OPTIONS = [(1, "Red"), (2, "Green"), (3, "Blue")]  # nominal
Q3_OPTIONS = [(1, "Yes"), (2, "No")]  # binary

S1 = {"age_group": "16-24", "religion": "Muslim"}
S2 = {"age_group": "25-34", "religion": "Muslim"}
S3 = {"age_group": "16-24", "religion": "Buddhist"}

HAND_COUNTS: dict[tuple[str, int], list[int]] = {
    ("Q1", 1): [1, 3, 3, 2, 1],  # modal codes 2 and 0 (tied; positions 1 and 2)
    ("Q1", 2): [0, 0, 1, 4, 5],  # modal code 4 (position 4)
    ("Q1", 3): [6, 2, 1, 1, 0],  # modal code 1 (position 0)
    ("Q2", 1): [5, 3, 2],  # modal 1
    ("Q2", 2): [2, 2, 6],  # modal 3
    ("Q2", 3): [4, 4, 2],  # modal 1 and 2 (tied)
    ("Q3", 1): [7, 3],  # modal 1
    ("Q3", 2): [3, 7],  # modal 2
    ("Q3", 3): [5, 5],  # modal 1 and 2 (tied)
}
HAND_QUESTIONS = {
    "Q1": (Q1_OPTIONS, "ordinal", "Social values"),
    "Q2": (Q2_OPTIONS, "nominal", "Social values"),
    "Q3": (Q3_OPTIONS, "binary", "Religious values"),
}
HAND_SUBGROUPS = {1: S1, 2: S2, 3: S3}


def hand_rows() -> list[dict[str, Any]]:
    """The nine test_ood rows of the hand-worked dataset."""
    rows = []
    for (question, s), counts in HAND_COUNTS.items():
        options, scale, section = HAND_QUESTIONS[question]
        rows.append(
            make_row(
                question, HAND_SUBGROUPS[s], options, counts, scale_type=scale, section=section
            )
        )
    return rows


TRAIN_ROW = make_row("Q1", {"sex": "Female"}, Q1_OPTIONS, [2, 2, 2, 2, 3])


def hand_id(question: str, s: int) -> str:
    """The id of one hand-worked sample."""
    subgroup = HAND_SUBGROUPS[s]
    return f"{question}/" + "&".join(f"{k}={slug(v)}" for k, v in subgroup.items())


def write_hand_dataset(root: Path) -> Path:
    """The hand-worked dataset (test_ood: nine rows; train: one row)."""
    return write_dataset(root, {"test_ood": hand_rows(), "train": [TRAIN_ROW]})


HAND_PREDICTIONS: list[dict[str, Any]] = [
    {"id": hand_id("Q1", 1), "answer": 3},
    {"id": hand_id("Q1", 2), "answer": 0},
    {"id": hand_id("Q1", 3), "answer": 1},
    {"id": hand_id("Q2", 1), "answer": 2},
    {"id": hand_id("Q2", 2), "answer": 3},
    {"id": hand_id("Q2", 3), "answer": 2},
    # Q3 / S1 has no prediction (missing)
    {"id": hand_id("Q3", 2), "answer": 1},
    {"id": hand_id("Q3", 3), "answer": 2, "distribution": {"1": 0.5, "2": 0.5}},
    {"id": TRAIN_ROW["id"], "answer": 4},  # another split: skipped
]


def random_rows(
    n_questions: int, subgroups: Sequence[Mapping[str, str]], seed: int
) -> list[dict[str, Any]]:
    """Rows with random scales (2-7 options, shuffled codes) and random counts."""
    import numpy as np

    rng = np.random.default_rng(seed)
    rows = []
    for q in range(n_questions):
        k = int(rng.integers(2, 8))
        codes = [int(c) for c in rng.permutation(k) + 1]
        options = [(c, f"label {c}") for c in codes]
        scale = "binary" if k == 2 else ("nominal" if q % 4 == 0 else "ordinal")
        for subgroup in subgroups:
            counts = [int(c) for c in rng.integers(0, 20, size=k)]
            counts[int(rng.integers(k))] += 1
            rows.append(
                make_row(f"Q{q}", subgroup, options, counts, scale_type=scale, section=f"S{q % 3}")
            )
    return rows


def random_predictions(
    rows: Sequence[Mapping[str, Any]], seed: int, missing: float = 0.05
) -> list[dict[str, Any]]:
    """A random answer per row, some rows left out."""
    import numpy as np

    rng = np.random.default_rng(seed)
    out = []
    for row in rows:
        if rng.random() < missing:
            continue
        codes = [o["code"] for o in row["options"]]
        out.append({"id": row["id"], "answer": int(rng.choice(codes))})
    return out


RANDOM_SUBGROUPS: list[dict[str, str]] = [
    {"age_group": a, "religion": r} for a in ("16-24", "25-34", "65+") for r in ("Muslim", "None")
] + [{"age_group": a, "ethnicity": e} for a in ("16-24", "65+") for e in ("Chinese", "Malay")]


_Q2 = hand_id("Q2", 1)
BAD_PREDICTION_LINES: list[tuple[str, str]] = [
    ("{not json", "not valid JSON"),
    (json.dumps({"id": _Q2, "answer": 3})[:-1] + ', "x": NaN}', "NaN is not a JSON number"),
    (f'{{"id": "{_Q2}", "answer": Infinity}}', "Infinity is not a JSON number"),
    (f'{{"id": "{_Q2}", "answer": -Infinity}}', "-Infinity is not a JSON number"),
    (f'{{"id": "{_Q2}", "answer": 1e400}}', "out of range"),
    ("[1, 2]", "is not of type 'object'"),
    ('"just a string"', "is not of type 'object'"),
    (json.dumps({"id": _Q2}), "'answer' is a required property"),
    (json.dumps({"answer": 1}), "'id' is a required property"),
    (json.dumps({"id": _Q2, "answer": 3.0}), "$.answer: 3.0 is not of type 'integer'"),
    (json.dumps({"id": _Q2, "answer": True}), "$.answer: True is not of type 'integer'"),
    (json.dumps({"id": _Q2, "answer": "3"}), "$.answer: '3' is not of type 'integer'"),
    (json.dumps({"id": 17, "answer": 3}), "$.id: 17 is not of type 'string'"),
    (json.dumps({"id": _Q2, "answer": 1, "extra": 1}), "('extra' was unexpected)"),
    (json.dumps({"id": "Q99/age_group=16-24", "answer": 1}), "unknown id 'Q99/age_group=16-24'"),
    (json.dumps({"id": _Q2, "answer": 9}), "answer 9 is not an option of"),
    (
        json.dumps({"id": _Q2, "answer": 1, "distribution": {"1": -0.5, "2": 1.5}}),
        "-0.5 is less than the minimum of 0",
    ),
    (
        json.dumps({"id": _Q2, "answer": 1, "distribution": {"1": 0.5, "7": 0.5}}),
        "distribution codes 7 are not options of",
    ),
    (
        json.dumps({"id": _Q2, "answer": 1, "distribution": {"1": 0.5, "2": 0.4}}),
        "distribution sums to 0.9, not 1",
    ),
    (
        json.dumps({"id": _Q2, "answer": 1, "distribution": {"1": 1e308, "2": 1e308}}),
        "distribution sums to inf, not 1",
    ),
    (json.dumps({"id": _Q2, "answer": 1, "distribution": {}}), "should be non-empty"),
    # More digits than Python converts to an int (4,300): a ValueError and exit 1 (p10score H6).
    (
        json.dumps({"id": _Q2, "answer": 1, "distribution": {"1" + "0" * 5000: 1}}),
        "is not an option of",
    ),
    (json.dumps({"id": _Q2, "answer": 1, "distribution": {"a": 1}}), "'a' does not match"),
    (json.dumps({"id": _Q2, "answer": 1, "response": 5}), "$.response: 5 is not of type"),
]
"""Prediction lines for the hand-worked dataset, each with one problem, and a fragment of the
message naming it."""


def group_spread(frame: pd.DataFrame, n_permutations: int = 0, seed: int = 0) -> dict[str, Any]:
    """The spread across groups of a metric ``m`` that ``bootstrap_intervals`` reports for
    samples ``(q, g, v)`` (question, group, value), resampling units ``u`` (each group its own
    unit where ``frame`` has no ``u`` column): its figures by name, ``"se"`` the groups'
    standard errors, ``"null"`` the permutation test and ``"spread"`` the object itself."""
    result = bootstrap_intervals(
        {"m": frame["v"].to_numpy(dtype=np.float64)},
        frame["q"],
        {"g": frame["g"]},
        ["m"],
        units=frame["u"] if "u" in frame else frame["g"],
        n_boot=0,
        seed=seed,
        n_permutations=n_permutations,
    )
    spread = result.spreads["g"]["m"]
    return {**spread.figures, "se": spread.standard_errors, "null": spread.null, "spread": spread}


def _two_subgroups(mean: Any, norm_range: float) -> tuple[float, float]:
    """Two subgroups of one sample each whose mean is ``mean`` and whose norm range
    ``(hi - lo) / hi`` is ``norm_range``: ``hi = 2 mean / (2 - r)``, ``lo = hi (1 - r)``. A
    ``mean`` that is no share (a test of the table's refusal of it) gets rows of 0.5."""
    share = isinstance(mean, int | float) and not isinstance(mean, bool) and 0 <= mean <= 1
    high = 2 * float(mean) / (2 - norm_range) if share else 0.5
    return high, high * (1 - norm_range)


def paper_score_report(
    path: Path,
    accuracy: Any,
    nmae: Any,
    norm_ranges: tuple[float, float] = (0.25, 0.3),
    **dataset: Any,
) -> Path:
    """The keys of a ``sgbench score --json`` report that ``paper-table`` reads, its figures
    what its two ``by_subgroup`` rows give (sgbench.scoring.report.figures_problem): the
    accuracy and NMAE means and norm ranges ``norm_ranges``."""
    accuracies = _two_subgroups(accuracy, norm_ranges[0])
    errors = _two_subgroups(nmae, norm_ranges[1])
    report = {
        "dataset": {"name": "wvs-sg-subgroups", "config": "paper", "synthetic": False, **dataset},
        "split": "test_ood",
        "n_samples": 2,
        "metrics": {"accuracy": accuracy, "nmae": nmae},
        "fairness": {
            "subgroup": {
                "accuracy": {"norm_range": norm_ranges[0]},
                "nmae": {"norm_range": norm_ranges[1]},
            }
        },
        "by_subgroup": {
            f"sex={sex}": {"n": 1, "accuracy": accuracies[at], "nmae": errors[at]}
            for at, sex in enumerate(("female", "male"))
        },
    }
    path.write_text(json.dumps(report), encoding="utf-8")
    return path


def submission_metadata(**changes: Any) -> dict[str, Any]:
    """A valid leaderboard ``submission.json``, with ``changes`` applied."""
    meta: dict[str, Any] = {
        "model": "Honest",
        "method": "zero-shot",
        "organisation": "Lab",
        "url": None,
        "dataset_version": HANDMADE_VERSION,
        "date": "2026-03-01",
        "notes": "",
    }
    return {**meta, **changes}
