"""Each baseline's rule on a crafted dataset whose expected predictions are worked out by hand.

Options are the four-point scale, codes 1..4 in scale order. Training subgroups and sizes:
A16 = age 16-24 (50), MUS = Muslim (50), F16 = female × 16-24 (60), MALE (150), FEM (200).
The predicted subgroups (test_ood): T = 16-24 × Muslim, T2 = 25-34 × Buddhist. Training counts
(distribution = counts / n_valid, so n_valid · distribution = counts):

====  =================================================================================
Q1    A16 [5,3,2,0]  MUS [0,2,4,4]  FEM [11,0,0,14]  F16 [9,0,3,0]  MALE [0,30,0,0]
Q2    A16 [10,8,1,1]  MUS [2,4,7,7]
Q3    MUS [0,0,3,7]  FEM [0,40,35,25]
Q4    (no training sample)
Q5    FEM [1,1,8,0]  F16 [0,6,0,0]
====  =================================================================================

majority (mode of Σ counts): Q1 [25,35,9,18] → 2; Q2 [12,12,8,8] → tie → 1; Q3 [0,40,38,32] → 2
(the unweighted mean of the distributions, [0,.2,.325,.475], would give 4); Q5 [1,7,8,0] → 3.
Q4 has no training sample: the unseen-question rule counts the training samples' first modal
positions (every item has four options): 0 ×3, 1 ×3, 2 ×3, 3 ×2 → tie → position 0 → 1 (all
three rules; see test_unseen_question_rule_matches_a_literal_tally for the same count in code).

composition for T (mean of A16 and MUS): Q1 [.25,.25,.3,.2] → 3; Q2 [.3,.3,.2,.2] → tie → 1 (in
floating point (.4+.2)/2 > (.5+.1)/2 by one ulp: the tolerance makes it a tie); Q3 MUS alone → 4;
Q5 no source → majority 3. For T2 (no 25-34 or Buddhist source on Q1) → majority 2.

nearest for T: Q1 A16, MUS, F16 share one value each → the largest, F16 → 1 (FEM, the largest of
all, shares none); Q2 A16 and MUS tie on shared values and size → first id "age_group=16-24" → 1
(MUS would give 3); Q3 MUS → 4; Q5 F16 → 2. For T2 on Q1 nothing shares a value → the largest,
FEM → 4.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from click.testing import CliRunner
from scoring_fixtures import FOUR_POINT, hand_rows, make_row, write_dataset

from sgbench.baselines import BASELINES, run_baseline, run_baselines
from sgbench.baselines.rules import first_mode
from sgbench.cli import main
from sgbench.dataset import load_split, open_dataset
from sgbench.errors import InputError
from sgbench.scoring import score_predictions
from sgbench.scoring.data import attribute_names, item_arrays, item_columns

A16 = {"age_group": "16-24"}
MUS = {"religion": "Muslim"}
FEM = {"sex": "Female"}
MALE = {"sex": "Male"}
F16 = {"sex": "Female", "age_group": "16-24"}
T = {"age_group": "16-24", "religion": "Muslim"}
T2 = {"age_group": "25-34", "religion": "Buddhist"}

SIZES = {"A16": 50, "MUS": 50, "F16": 60, "MALE": 150, "FEM": 200}
SUBGROUPS: dict[str, dict[str, str]] = {
    "A16": A16,
    "MUS": MUS,
    "F16": F16,
    "MALE": MALE,
    "FEM": FEM,
}
TRAIN_COUNTS: dict[tuple[str, str], list[int]] = {
    ("Q1", "A16"): [5, 3, 2, 0],
    ("Q1", "MUS"): [0, 2, 4, 4],
    ("Q1", "FEM"): [11, 0, 0, 14],
    ("Q1", "F16"): [9, 0, 3, 0],
    ("Q1", "MALE"): [0, 30, 0, 0],
    ("Q2", "A16"): [10, 8, 1, 1],
    ("Q2", "MUS"): [2, 4, 7, 7],
    ("Q3", "MUS"): [0, 0, 3, 7],
    ("Q3", "FEM"): [0, 40, 35, 25],
    ("Q5", "FEM"): [1, 1, 8, 0],
    ("Q5", "F16"): [0, 6, 0, 0],
}
TARGETS = [("Q1", T), ("Q2", T), ("Q3", T), ("Q4", T), ("Q5", T), ("Q1", T2)]

EXPECTED: dict[str, list[int | None]] = {
    "majority": [2, 1, 2, 1, 3, 2],
    "composition": [3, 1, 4, 1, 3, 2],
    "nearest": [1, 1, 4, 1, 2, 4],
}
"""Expected answer per target (in TARGETS order); None: no prediction."""


def sample_id(question: str, subgroup: Mapping[str, str]) -> str:
    return f"{question}/" + "&".join(f"{k}={v.lower()}" for k, v in subgroup.items())


def train_rows() -> list[dict[str, Any]]:
    rows = []
    for (question, name), counts in TRAIN_COUNTS.items():
        row = make_row(question, SUBGROUPS[name], FOUR_POINT, counts)
        row["subgroup_size"] = SIZES[name]
        rows.append(row)
    return rows


def target_rows(counts: list[int]) -> list[dict[str, Any]]:
    return [make_row(question, subgroup, FOUR_POINT, counts) for question, subgroup in TARGETS]


@pytest.fixture(scope="module")
def crafted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("baselines") / "crafted"
    return write_dataset(root, {"train": train_rows(), "test_ood": target_rows([4, 3, 2, 1])})


def answers(root: Path, name: str, **kwargs: Any) -> list[int | None]:
    result = run_baseline(name, root, **kwargs)
    lines = [json.loads(line) for line in result.to_jsonl().splitlines()]
    by_id = {line["id"]: line["answer"] for line in lines}
    assert set(by_id) <= {sample_id(q, s) for q, s in TARGETS}
    return [by_id.get(sample_id(q, s)) for q, s in TARGETS]


def test_the_crafted_tie_needs_the_tolerance() -> None:
    # Without the tolerance composition would answer 2 on Q2: the float sums differ by one ulp.
    assert (0.4 + 0.2) / 2 > (0.5 + 0.1) / 2


@pytest.mark.parametrize("name", ["majority", "composition", "nearest"])
def test_rule_gives_the_hand_computed_answers(crafted: Path, name: str) -> None:
    assert answers(crafted, name) == EXPECTED[name]


def test_fallbacks_are_counted(crafted: Path) -> None:
    composition = run_baseline("composition", crafted)
    nearest = run_baseline("nearest", crafted)
    # Composition: Q5/T and Q1/T2 have no single-attribute source and use majority; Q4 has no
    # training sample at all and uses the unseen-question rule (counted apart).
    assert composition.n_fallback == 2
    assert nearest.n_fallback == 0
    assert composition.n_unseen == nearest.n_unseen == 1
    assert composition.n_predicted == nearest.n_predicted == len(TARGETS)


def literal_unseen_answer(counts: list[list[int]], codes: list[int]) -> int:
    """The unseen-question rule worked out literally: tally the first modal position of each
    training sample whose item has ``len(codes)`` options (of every training sample, counting
    positions below that, when none has), take the largest tally, the lowest position among
    equal tallies."""
    k = len(codes)
    same = [row for row in counts if len(row) == k]
    tally: dict[int, int] = {}
    for row in same or counts:
        first = row.index(max(row))
        if first < k:
            tally[first] = tally.get(first, 0) + 1
    best = max(tally.values())
    return codes[min(position for position, n in tally.items() if n == best)]


THREE = [(1, "Yes"), (2, "No"), (3, "Don't know")]
FIVE = [(1, "a"), (2, "b"), (3, "c"), (4, "d"), (5, "e")]
TWO = [(1, "Agree"), (2, "Disagree")]


def test_unseen_question_rule_matches_a_literal_tally(crafted: Path, tmp_path: Path) -> None:
    four = literal_unseen_answer(list(TRAIN_COUNTS.values()), [1, 2, 3, 4])
    assert answers(crafted, "majority")[TARGETS.index(("Q4", T))] == four
    # A second world: items with three options vote apart from those with four; items with five
    # or two options, which no training item has, take the vote of every training sample.
    three_counts = [[1, 5, 2], [0, 3, 9], [2, 7, 1]]
    train = train_rows() + [
        make_row("Q6", subgroup, THREE, counts)
        for subgroup, counts in zip((A16, MUS, FEM), three_counts, strict=True)
    ]
    targets = {
        "Q7": make_row("Q7", T, THREE, [3, 2, 1]),
        "Q8": make_row("Q8", T, FIVE, [1, 1, 1, 1, 5]),
        "Q9": make_row("Q9", T, TWO, [4, 1]),
    }
    root = write_dataset(tmp_path / "unseen", {"train": train, "test_ood": list(targets.values())})
    every = [*TRAIN_COUNTS.values(), *three_counts]
    expected = {
        sample_id(q, T): literal_unseen_answer(every, [code for code, _ in row_options])
        for q, row_options in (("Q7", THREE), ("Q8", FIVE), ("Q9", TWO))
    }
    # Q7: positions 1, 2, 1 among three-option items; Q8: every sample, position 1 (5 votes)
    # beats 0 and 2 (3 each); Q9: positions 0 and 1 only, 1 wins again.
    assert expected == {sample_id("Q7", T): 2, sample_id("Q8", T): 2, sample_id("Q9", T): 2}
    for name in ("majority", "composition", "nearest"):
        result = run_baseline(name, root)
        lines = [json.loads(line) for line in result.to_jsonl().splitlines()]
        assert {line["id"]: line["answer"] for line in lines} == expected
        assert (result.n_unseen, result.n_predicted, result.n_fallback) == (3, 3, 0)


def test_rules_never_read_the_predicted_split(crafted: Path, tmp_path: Path) -> None:
    other = write_dataset(
        tmp_path / "other", {"train": train_rows(), "test_ood": target_rows([1, 2, 3, 40])}
    )
    for name in BASELINES:
        assert run_baseline(name, other).to_jsonl() == run_baseline(name, crafted).to_jsonl()


def test_random_is_a_seeded_uniform_choice(tmp_path: Path) -> None:
    subgroups = [{"age_group": a, "religion": "Muslim"} for a in ("16-24", "25-34", "65+")]
    options = [(7, "a"), (3, "b"), (5, "c"), (1, "d")]
    rows = [make_row(f"Q{q}", s, options, [1, 2, 3, 4]) for q in range(800) for s in subgroups]
    root = write_dataset(tmp_path / "many", {"test_ood": rows})
    result = run_baseline("random", root, seed=7)
    draws = np.random.default_rng(7).integers(0, np.full(len(rows), 4))
    assert result.answers.tolist() == [options[d][0] for d in draws]
    assert result.to_jsonl() == run_baseline("random", root, seed=7).to_jsonl()
    assert result.to_jsonl() != run_baseline("random", root, seed=8).to_jsonl()
    # 2,400 uniform draws over 4 options: each count is 600 ± 21 (sd); allow 5 sd.
    counts = np.unique(result.answers, return_counts=True)[1]
    assert len(counts) == 4
    assert np.all(np.abs(counts - 600) < 5 * np.sqrt(2400 * 0.25 * 0.75))


def test_random_predicts_even_without_training_data(crafted: Path) -> None:
    result = run_baseline("random", crafted)
    assert result.n_predicted == len(TARGETS)
    assert set(result.answers.tolist()) <= {1, 2, 3, 4}


def test_without_training_samples_only_random_predicts(tmp_path: Path) -> None:
    root = write_dataset(tmp_path / "untrained", {"test_ood": target_rows([4, 3, 2, 1])})
    predicted = {r.name: r.n_predicted for r in run_baselines(BASELINES, root)}
    assert predicted == {"random": 6, "majority": 0, "composition": 0, "nearest": 0}


def test_first_mode_ties_and_padding() -> None:
    weights = np.array([[0.2, 0.4, 0.4, 9.0], [0.3, 0.30000000000000004, 0.1, 0.0]])
    valid = np.array([[True, True, True, False], [True, True, True, True]])
    # Row 0: the padding column never wins; 0.4 tie → first. Row 1: a one-ulp difference ties.
    assert first_mode(weights, valid).tolist() == [1, 0]


def test_run_baselines_matches_one_at_a_time(crafted: Path) -> None:
    together = run_baselines(["nearest", "majority"], crafted, splits=["test_ood"])
    assert [r.name for r in together] == ["nearest", "majority"]
    for result in together:
        assert result.to_jsonl() == run_baseline(result.name, crafted).to_jsonl()


def test_run_baselines_gives_one_result_per_baseline_and_split_as_given(crafted: Path) -> None:
    # A split named twice was read once and got one result per baseline, not two: a caller
    # pairing the results with (baseline, split) in order got them shifted.
    results = run_baselines(["nearest", "majority"], crafted, splits=["test_ood", "test_ood"])
    assert [(r.name, r.split) for r in results] == [
        ("nearest", "test_ood"),
        ("nearest", "test_ood"),
        ("majority", "test_ood"),
        ("majority", "test_ood"),
    ]
    for result in results:
        assert result.to_jsonl() == run_baseline(result.name, crafted).to_jsonl()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "oracle"}, "unknown baseline 'oracle'"),
        ({"split": "train"}, "learn from the train split"),
        ({"split": "test"}, "has no split 'test'"),
        ({"seed": -1}, "seed must be a non-negative integer"),
    ],
)
def test_bad_arguments_raise(crafted: Path, kwargs: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {"name": "majority", "dataset": crafted, **kwargs}
    with pytest.raises(InputError, match=message):
        run_baseline(**arguments)


def test_an_empty_split_is_refused(crafted: Path) -> None:
    with pytest.raises(InputError, match="has no samples"):
        run_baseline("majority", crafted, split="test_id")


def test_cli_writes_predictions_to_stdout(crafted: Path) -> None:
    result = CliRunner().invoke(main, ["baseline", "composition", "--dataset", str(crafted)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["answer"] for line in lines] == EXPECTED["composition"]
    assert "6 of 6 samples of test_ood" in result.stderr
    assert "2 predicted with the majority rule" in result.stderr
    assert "1 sample(s) of questions without a training sample" in result.stderr
    assert "left out" not in result.stderr


def test_cli_errors_are_one_line(crafted: Path) -> None:
    result = CliRunner().invoke(
        main, ["baseline", "majority", "--dataset", str(crafted), "--split", "train"]
    )
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("Error: the baselines learn from the train split")
    assert "Traceback" not in result.output


def test_baselines_on_the_embedded_default(built_default: Path, tmp_path: Path) -> None:
    accuracy = {}
    # Questions held out for validation/test_id have no train sample to learn from: the rules
    # that learn from train answer them with the unseen-question rule, so nothing is missing.
    trained = set(load_split(built_default, "default", "train")["question_id"])
    ood = load_split(built_default, "default", "test_ood")
    unseen = int((~ood["question_id"].isin(trained)).sum())
    assert unseen > 0
    for name in BASELINES:
        path = tmp_path / f"{name}.jsonl"
        result = run_baseline(name, built_default)
        assert result.n_unseen == (0 if name == "random" else unseen)
        path.write_text(result.to_jsonl(), encoding="utf-8")
        report = score_predictions(path, built_default, n_boot=0)
        assert report.n_missing == 0
        accuracy[name] = report.metrics["accuracy"]
    for name in BASELINES:  # test_id: known subgroups, every question unseen in train
        result = run_baseline(name, built_default, split="test_id")
        assert result.n_predicted == len(result.ids) > 0
        assert result.n_unseen == (0 if name == "random" else len(result.ids))
    # Every rule that learns from train beats the uniform guess on the SYNTHETIC default.
    assert min(accuracy[n] for n in ("majority", "composition", "nearest")) > accuracy["random"]
    train_ids = set(load_split(built_default, "default", "train")["id"])
    predicted = {json.loads(line)["id"] for line in (tmp_path / "nearest.jsonl").open()}
    assert not predicted & train_ids


def test_a_predicted_split_is_read_without_its_answers(crafted: Path) -> None:
    built = open_dataset(crafted)
    lean_columns = item_columns(built, "default", "test_ood", answers=False)
    assert not set(lean_columns) & {"counts", "distribution", "modal_answers", "options"}
    lean_table = built.table("default", "test_ood", lean_columns)
    # Only the option codes (and off_scale flags) are read, never the labels.
    option_fields = [f.name for f in lean_table.column("options").type.value_type]
    assert option_fields == ["code", "off_scale"]
    full_table = built.table("default", "test_ood", item_columns(built, "default", "test_ood"))
    attributes = attribute_names(full_table, built.manifest)
    where = built.path("default", "test_ood")
    lean = item_arrays(lean_table, attributes, where, answers=False)
    full = item_arrays(full_table, attributes, where)
    assert lean.ids == full.ids
    for field in ("k", "codes", "valid", "nominal", "off_scale"):
        assert np.array_equal(getattr(lean, field), getattr(full, field)), field
    assert not lean.target.any()
    assert not lean.modal.any()
    assert full.target.any()


def test_item_arrays_of_a_sliced_table_are_those_of_its_rows(tmp_path: Path) -> None:
    """Options, answers and subgroups are read from Arrow's nested columns (list values, struct
    fields): a table sliced (an offset into its buffers), or in chunks of such slices, gives the
    arrays of the rows it holds, not of the rows at the start of its buffers. The hand rows
    differ in options (5, 3 and 2 of them), answers and subgroups, so a read from the wrong rows
    differs."""
    built = open_dataset(write_dataset(tmp_path / "ds", {"test_ood": hand_rows()}))
    table = built.table("default", "test_ood", item_columns(built, "default", "test_ood"))
    attributes = attribute_names(table, built.manifest)
    where = built.path("default", "test_ood")
    whole = item_arrays(table, attributes, where)
    n = table.num_rows
    assert n >= 4
    start = n // 2
    sliced = table.slice(start)
    chunked = pa.Table.from_batches(
        [*table.slice(1, start - 1).to_batches(), *table.slice(start + 1).to_batches()]
    )
    for part, rows in ((sliced, np.arange(start, n)), (chunked, np.r_[1:start, start + 1 : n])):
        read = item_arrays(part, attributes, where)
        assert read.ids == tuple(whole.ids[i] for i in rows)
        width = int(whole.k[rows].max())
        assert read.codes.shape[1] == width
        for name in ("k", "codes", "valid", "target", "modal", "off_scale", "nominal"):
            expected = getattr(whole, name)[rows]
            if expected.ndim == 2:
                expected = expected[:, :width]
            assert np.array_equal(getattr(read, name), expected), name
        for attribute in attributes:
            assert read.meta[attribute].tolist() == whole.meta[attribute].iloc[rows].tolist()
