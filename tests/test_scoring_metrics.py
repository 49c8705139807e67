"""Every metric against values worked out by hand on the crafted dataset of scoring_fixtures.

The hand-worked dataset (see ``scoring_fixtures.HAND_COUNTS``): Q1 ordinal with codes in scale
order [1, 2, 0, 3, 4], Q2 nominal [1, 2, 3], Q3 binary [1, 2]; subgroups S1, S2, S3. The
predictions (``HAND_PREDICTIONS``) and, per sample, the values expected:

=========  ======  ========  =====  ===========  =========
sample     answer  accuracy  nmae   wasserstein  agreement
=========  ======  ========  =====  ===========  =========
Q1 / S1    3       0         1/4    1.3/4        .2
Q1 / S2    0       0         2/4    1.4/4        .1
Q1 / S3    1       1         0      0.7/4        .6
Q2 / S1    2       0         1      .7           .3
Q2 / S2    3       1         0      .4           .6
Q2 / S3    2       1 (tie)   0      .6           .4
Q3 / S1    —       0         1      1            0
Q3 / S2    1       0         1      .7           .3
Q3 / S3    2 + d   1 (tie)   0      0            .5
=========  ======  ========  =====  ===========  =========

Q1 / S1: p = [.1, .3, .3, .2, .1], modes at positions 1 and 2, answer at position 3:
nmae = min(|3−1|, |3−2|) / 4; CDFs [.1, .4, .7, .9] vs [0, 0, 0, 1] → W1 = (.1+.4+.7+.1)/4.
Q1 / S2: p = [0, 0, .1, .4, .5], answer code 0 = position 2, mode at 4: nmae = 2/4;
CDFs [0, 0, .1, .5] vs [0, 0, 1, 1] → (.9 + .5)/4. Q1 / S3: CDF [.6, .8, .9, 1] vs 1s → .7/4.
Q2 (nominal): total variation ½ Σ|p − q|: S1 ½(.5 + .7 + .2) = .7; S2 ½(.2 + .2 + .4) = .4;
S3 ½(.4 + .6 + .2) = .6. Q3 / S2: |.3 − 1| = .7. Q3 / S3: distribution (.5, .5) equals p → 0.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scoring_fixtures import (
    FOUR_POINT,
    HAND_PREDICTIONS,
    S1,
    S2,
    S3,
    hand_id,
    hand_rows,
    make_row,
    write_dataset,
    write_hand_dataset,
    write_jsonl,
)

from sgbench.scoring import score_predictions
from sgbench.scoring.data import load_scoring_data
from sgbench.scoring.metrics import METRICS
from sgbench.scoring.predictions import read_predictions

ORDER = [
    ("Q1", 1),
    ("Q1", 2),
    ("Q1", 3),
    ("Q2", 1),
    ("Q2", 2),
    ("Q2", 3),
    ("Q3", 1),
    ("Q3", 2),
    ("Q3", 3),
]
EXPECTED: dict[str, list[float]] = {
    "accuracy": [0, 0, 1, 0, 1, 1, 0, 0, 1],
    "nmae": [0.25, 0.5, 0, 1, 0, 0, 1, 1, 0],
    "wasserstein": [1.3 / 4, 1.4 / 4, 0.7 / 4, 0.7, 0.4, 0.6, 1, 0.7, 0],
    "agreement": [0.2, 0.1, 0.6, 0.3, 0.6, 0.4, 0, 0.3, 0.5],
}


def _js(p: list[float], q: list[float]) -> float:
    """Jensen–Shannon distance, base 2, written out term by term."""
    m = [(a + b) / 2 for a, b in zip(p, q, strict=True)]
    kl_p = sum(a * math.log2(a / c) for a, c in zip(p, m, strict=True) if a > 0)
    kl_q = sum(b * math.log2(b / c) for b, c in zip(q, m, strict=True) if b > 0)
    return math.sqrt(0.5 * kl_p + 0.5 * kl_q)


@pytest.fixture
def hand(tmp_path: Path) -> tuple[Path, Path]:
    dataset = write_hand_dataset(tmp_path / "ds")
    predictions = write_jsonl(tmp_path / "pred.jsonl", HAND_PREDICTIONS)
    return dataset, predictions


def _per_sample(dataset: Path, predictions: Path) -> dict[str, np.ndarray]:
    data = load_scoring_data(dataset, "default", "test_ood")
    arrays = read_predictions(predictions, data).arrays
    rows = [data.index[hand_id(q, s)] for q, s in ORDER]
    return {name: metric(data.items, arrays)[rows] for name, metric in METRICS.items()}


def test_per_sample_values_match_the_hand_table(hand: tuple[Path, Path]) -> None:
    values = _per_sample(*hand)
    for name, expected in EXPECTED.items():
        np.testing.assert_allclose(values[name], expected, atol=1e-12, err_msg=name)


def test_js_distance_per_sample(hand: tuple[Path, Path]) -> None:
    values = _per_sample(*hand)["js_distance"]
    rows = {(q, s): r for (q, s), r in zip(ORDER, hand_rows_by_key(), strict=True)}
    expected = []
    for key, prediction in zip(ORDER, _predicted_distributions(), strict=True):
        expected.append(1.0 if prediction is None else _js(rows[key], prediction))
    np.testing.assert_allclose(values, expected, atol=1e-12)
    # a few by hand: identical distributions → 0; missing → 1; Q3/S2: p = (.3, .7) vs (1, 0)
    assert values[8] == pytest.approx(0.0, abs=1e-12)
    assert values[6] == 1.0
    q3s2 = 0.5 * (0.3 * math.log2(0.3 / 0.65) + 0.7 * math.log2(0.7 / 0.35))
    q3s2 += 0.5 * math.log2(1 / 0.65)
    assert values[7] == pytest.approx(math.sqrt(q3s2))


def hand_rows_by_key() -> list[list[float]]:
    by_id = {row["id"]: row["distribution"] for row in hand_rows()}
    return [by_id[hand_id(q, s)] for q, s in ORDER]


def _predicted_distributions() -> list[list[float] | None]:
    """The prediction as a distribution in scale order (point mass unless given); None: missing."""
    by_id = {p["id"]: p for p in HAND_PREDICTIONS}
    codes = {row["id"]: [o["code"] for o in row["options"]] for row in hand_rows()}
    out: list[list[float] | None] = []
    for q, s in ORDER:
        sample = hand_id(q, s)
        if sample not in by_id:
            out.append(None)
            continue
        given = by_id[sample].get("distribution")
        if given:
            out.append([float(given.get(str(c), 0.0)) for c in codes[sample]])
        else:
            out.append([1.0 if c == by_id[sample]["answer"] else 0.0 for c in codes[sample]])
    return out


def test_report_means_and_counts(hand: tuple[Path, Path]) -> None:
    report = score_predictions(hand[1], hand[0], n_boot=0).to_dict()
    assert report["split"] == "test_ood"
    assert report["n_samples"] == 9
    assert report["n_scored"] == 8
    assert report["n_missing"] == 1
    assert report["n_skipped_other_splits"] == 1
    assert report["metrics"]["accuracy"] == pytest.approx(4 / 9)
    assert report["metrics"]["nmae"] == pytest.approx(3.75 / 9)
    assert report["metrics"]["wasserstein"] == pytest.approx(4.25 / 9)
    assert report["metrics"]["agreement"] == pytest.approx(3.0 / 9)
    assert "js_distance" in report["metrics"]  # one line carries a distribution
    assert report["ci"]["accuracy"] is None  # no bootstrap asked for


def test_breakdowns_by_subgroup_attribute_section_scale(hand: tuple[Path, Path]) -> None:
    report = score_predictions(hand[1], hand[0], n_boot=0).to_dict()
    s1, s2, s3 = (
        "age_group=16-24&religion=muslim",
        "age_group=25-34&religion=muslim",
        "age_group=16-24&religion=buddhist",
    )
    by_subgroup = report["by_subgroup"]
    assert list(by_subgroup) == sorted([s1, s2, s3])
    assert by_subgroup[s1]["accuracy"] == 0
    assert by_subgroup[s1]["nmae"] == pytest.approx((0.25 + 1 + 1) / 3)
    assert by_subgroup[s1]["n"] == 3
    assert by_subgroup[s1]["n_missing"] == 1
    assert by_subgroup[s2]["accuracy"] == pytest.approx(1 / 3)
    assert by_subgroup[s2]["nmae"] == pytest.approx(0.5)
    assert by_subgroup[s3]["accuracy"] == 1
    assert by_subgroup[s3]["nmae"] == 0
    assert by_subgroup[s3]["n_missing"] == 0

    religion = report["by_attribute_value"]["religion"]
    assert religion["Muslim"]["n"] == 6
    assert religion["Muslim"]["accuracy"] == pytest.approx(1 / 6)
    assert religion["Muslim"]["nmae"] == pytest.approx(3.75 / 6)
    assert religion["Buddhist"]["accuracy"] == 1
    age = report["by_attribute_value"]["age_group"]
    assert age["16-24"]["accuracy"] == pytest.approx(0.5)
    assert age["16-24"]["nmae"] == pytest.approx(2.25 / 6)
    assert age["25-34"]["nmae"] == pytest.approx(0.5)
    # attributes no sample of the split uses are left out
    assert set(report["by_attribute_value"]) == {"age_group", "religion"}

    sections = report["by_section"]
    assert sections["Social values"]["n"] == 6
    assert sections["Social values"]["accuracy"] == pytest.approx(3 / 6)
    assert sections["Religious values"]["accuracy"] == pytest.approx(1 / 3)
    assert sections["Religious values"]["wasserstein"] == pytest.approx((1 + 0.7 + 0) / 3)
    scales = report["by_scale_type"]
    assert scales["ordinal"]["nmae"] == pytest.approx(0.75 / 3)
    assert scales["nominal"]["nmae"] == pytest.approx(1 / 3)
    assert scales["binary"]["agreement"] == pytest.approx(0.8 / 3)
    assert report["by_stratum"]["age_group_x_religion"]["n"] == 9


def test_perfect_file(tmp_path: Path) -> None:
    rows = hand_rows()
    dataset = write_dataset(tmp_path / "ds", {"test_ood": rows})
    perfect = [
        {
            "id": row["id"],
            "answer": row["modal_answers"][-1],
            "distribution": {
                str(o["code"]): p for o, p in zip(row["options"], row["distribution"], strict=True)
            },
        }
        for row in rows
    ]
    report = score_predictions(write_jsonl(tmp_path / "p.jsonl", perfect), dataset, n_boot=0)
    metrics = report.to_dict()["metrics"]
    assert metrics["accuracy"] == 1
    assert metrics["nmae"] == 0
    assert metrics["wasserstein"] == pytest.approx(0, abs=1e-12)
    assert metrics["js_distance"] == pytest.approx(0, abs=1e-6)
    # agreement of a modal answer is the modal share, not 1
    modal_share = np.mean([max(row["distribution"]) for row in rows])
    assert metrics["agreement"] == pytest.approx(modal_share)
    fairness = report.to_dict()["fairness"]["subgroup"]
    assert fairness["accuracy"]["gap"] == 0
    assert fairness["accuracy"]["ratio"] == 1
    assert fairness["nmae"]["norm_range"] == 0  # zero case: max = 0
    assert fairness["nmae"]["ratio"] == 1
    assert fairness["nmae"]["cv"] == 0


def test_worst_case_file(tmp_path: Path) -> None:
    """All mass at one end, the prediction at the other: every metric at its worst value."""
    rows = [
        make_row("Q1", S1, FOUR_POINT, [10, 0, 0, 0]),
        make_row("Q1", S2, FOUR_POINT, [0, 0, 0, 7]),
        make_row(
            "Q2", S1, [(1, "Red"), (2, "Green"), (3, "Blue")], [9, 0, 0], scale_type="nominal"
        ),
        make_row("Q3", S3, [(1, "Yes"), (2, "No")], [0, 4], scale_type="binary"),
    ]
    dataset = write_dataset(tmp_path / "ds", {"test_ood": rows})
    answers = [4, 1, 3, 1]
    worst = [
        {"id": row["id"], "answer": a, "distribution": {str(a): 1.0}}
        for row, a in zip(rows, answers, strict=True)
    ]
    report = score_predictions(write_jsonl(tmp_path / "w.jsonl", worst), dataset, n_boot=0)
    assert report.metrics == {
        "accuracy": 0.0,
        "nmae": 1.0,
        "wasserstein": 1.0,
        "agreement": 0.0,
        "js_distance": 1.0,
    }


def test_missing_predictions_score_worst_values(tmp_path: Path) -> None:
    """Predictions whose only line is for another split: every sample missing, every metric
    worst. (score_predictions refuses such a file as a wrong --split; the pure score() scores
    what it is given, as the leaderboard does for a split a submission leaves out.)"""
    from sgbench.scoring import score
    from sgbench.scoring.data import load_scoring_data
    from sgbench.scoring.predictions import read_predictions

    dataset = write_hand_dataset(tmp_path / "ds")
    other = write_jsonl(tmp_path / "p.jsonl", [HAND_PREDICTIONS[-1]])
    data = load_scoring_data(dataset, "default", "test_ood")
    report = score(data, read_predictions(other, data), n_boot=0).to_dict()
    assert report["n_missing"] == 9
    assert report["n_scored"] == 0
    assert report["n_skipped_other_splits"] == 1
    assert report["metrics"] == {"accuracy": 0, "nmae": 1, "wasserstein": 1, "agreement": 0}
    # all groups at 0: accuracy's zero cases
    accuracy_fairness = report["fairness"]["subgroup"]["accuracy"]
    assert accuracy_fairness["norm_range"] == 0
    assert accuracy_fairness["ratio"] == 1
    assert accuracy_fairness["cv"] == 0
    assert accuracy_fairness["worst"]["group"] == "age_group=16-24&religion=buddhist"  # first


def test_ties_either_mode_is_correct(tmp_path: Path) -> None:
    row = make_row("Q1", S1, FOUR_POINT, [4, 1, 4, 1])  # modes 1 and 3
    dataset = write_dataset(tmp_path / "ds", {"test_ood": [row]})
    for answer, acc, err in [(1, 1, 0), (3, 1, 0), (2, 0, 1 / 3), (4, 0, 1 / 3)]:
        path = write_jsonl(tmp_path / f"{answer}.jsonl", [{"id": row["id"], "answer": answer}])
        metrics = score_predictions(path, dataset, n_boot=0).metrics
        assert metrics["accuracy"] == acc
        assert metrics["nmae"] == pytest.approx(err)


def test_scale_order_not_code_order(tmp_path: Path) -> None:
    """Codes [1, 2, 0, 3, 4]: code 0 sits in the middle of the scale, code 4 at its end."""
    options = [(1, "A"), (2, "B"), (0, "C"), (3, "D"), (4, "E")]
    row = make_row("Q1", S1, options, [10, 0, 0, 0, 0])  # all at code 1 (position 0)
    dataset = write_dataset(tmp_path / "ds", {"test_ood": [row]})
    for answer, position in [(0, 2), (4, 4), (2, 1), (3, 3)]:
        path = write_jsonl(tmp_path / f"{answer}.jsonl", [{"id": row["id"], "answer": answer}])
        metrics = score_predictions(path, dataset, n_boot=0).metrics
        assert metrics["nmae"] == pytest.approx(position / 4)
        assert metrics["wasserstein"] == pytest.approx(position / 4)


def test_distribution_changes_wasserstein_not_accuracy(tmp_path: Path) -> None:
    row = make_row("Q1", S1, FOUR_POINT, [5, 5, 0, 0])
    dataset = write_dataset(tmp_path / "ds", {"test_ood": [row]})
    line = {"id": row["id"], "answer": 1, "distribution": {"1": 0.25, "2": 0.25, "4": 0.5}}
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    metrics = score_predictions(path, dataset, n_boot=0).metrics
    assert metrics["accuracy"] == 1
    assert metrics["agreement"] == 0.5
    # CDFs p: [.5, 1, 1], q: [.25, .5, .5] → (.25 + .5 + .5) / 3
    assert metrics["wasserstein"] == pytest.approx(1.25 / 3)


def test_answers_off_their_own_distribution_are_counted(tmp_path: Path) -> None:
    """An answer its own distribution does not make modal is accepted and scored apart from
    that distribution (as above), but counted in the report and noted in the summary: two such
    lines among four with a distribution (a tie makes either option modal)."""
    rows = [make_row(q, s, FOUR_POINT, [5, 5, 0, 0]) for q in ("Q1", "Q2") for s in (S1, S2, S3)]
    given: list[tuple[int, dict[str, float] | None]] = [
        (1, {"1": 0.6, "2": 0.4}),  # modal
        (1, {"3": 1.0}),  # all its mass elsewhere: counted
        (2, {"2": 0.5, "3": 0.5}),  # a tie: modal
        (4, {"1": 0.8, "4": 0.2}),  # counted
        (4, None),  # no distribution: nothing to disagree with
    ]
    lines = [
        {"id": row["id"], "answer": a, **({"distribution": d} if d else {})}
        for row, (a, d) in zip(rows, given, strict=False)
    ]
    dataset = write_dataset(tmp_path / "ds", {"test_ood": rows})
    report = score_predictions(write_jsonl(tmp_path / "p.jsonl", lines), dataset, n_boot=0)
    assert report.to_dict()["n_with_distribution"] == 4
    assert report.to_dict()["n_answer_not_modal"] == 2
    notes = [line for line in report.render().splitlines() if line.startswith("note: ")]
    assert notes == [
        "note: 2 of 4 predictions with a distribution answer an option that is not a mode of "
        "it; answer (accuracy, nmae, agreement) and distribution (wasserstein, js_distance) are "
        "scored apart"
    ]
    answers_only = [{"id": line["id"], "answer": line["answer"]} for line in lines]
    plain = score_predictions(write_jsonl(tmp_path / "a.jsonl", answers_only), dataset, n_boot=0)
    assert "n_answer_not_modal" not in plain.to_dict()
    assert "note: " not in plain.render()
