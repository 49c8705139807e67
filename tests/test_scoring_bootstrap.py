"""Bootstrap intervals: deterministic, resampling questions, equal to a plain loop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scoring_fixtures import (
    FOUR_POINT,
    RANDOM_SUBGROUPS,
    S1,
    S2,
    make_row,
    random_predictions,
    random_rows,
    write_dataset,
    write_jsonl,
)

from sgbench.errors import InputError
from sgbench.scoring import score_predictions
from sgbench.scoring.bootstrap import bootstrap_intervals, multiplicities
from sgbench.scoring.grouped import spread


@pytest.fixture(scope="module")
def random_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("boot")
    rows = random_rows(40, RANDOM_SUBGROUPS, seed=1)
    dataset = write_dataset(root / "ds", {"test_ood": rows})
    predictions = write_jsonl(root / "p.jsonl", random_predictions(rows, seed=2))
    return dataset, predictions


def test_same_seed_same_report_other_seed_other_intervals(random_case: tuple[Path, Path]) -> None:
    dataset, predictions = random_case
    first = score_predictions(predictions, dataset, n_boot=200, seed=7)
    again = score_predictions(predictions, dataset, n_boot=200, seed=7)
    other = score_predictions(predictions, dataset, n_boot=200, seed=8)
    assert first.to_json() == again.to_json()
    assert first.to_dict()["ci"] != other.to_dict()["ci"]
    assert first.to_dict()["metrics"] == other.to_dict()["metrics"]
    assert first.to_dict()["bootstrap"] == {
        "seed": 7,
        "n_boot": 200,
        "resampled": "question",
        "n_questions": 40,
        "confidence": 0.95,
        "method": "percentile",
    }


def test_intervals_contain_the_point_estimate(random_case: tuple[Path, Path]) -> None:
    dataset, predictions = random_case
    report = score_predictions(predictions, dataset, n_boot=1000, seed=0).to_dict()
    for name, value in report["metrics"].items():
        low, high = report["ci"][name]
        assert low <= value <= high, name
        assert low < high, name
    for name in ("accuracy", "nmae"):
        block = report["fairness"]["subgroup"][name]
        for figure, (low, high) in block["ci"].items():
            assert low <= high, (name, figure)
            assert low >= 0, (name, figure)


def test_one_question_gives_a_point_interval(tmp_path: Path) -> None:
    """Every replicate draws the only question: the interval collapses onto the estimate."""
    rows = [
        make_row("Q1", S1, FOUR_POINT, [5, 3, 1, 1]),
        make_row("Q1", S2, FOUR_POINT, [1, 2, 3, 4]),
    ]
    dataset = write_dataset(tmp_path / "ds", {"test_ood": rows})
    path = write_jsonl(tmp_path / "p.jsonl", [{"id": r["id"], "answer": 2} for r in rows])
    report = score_predictions(path, dataset, n_boot=50, seed=3).to_dict()
    for name, value in report["metrics"].items():
        assert report["ci"][name] == [pytest.approx(value), pytest.approx(value)]
    gap = report["fairness"]["subgroup"]["nmae"]["gap"]
    assert report["fairness"]["subgroup"]["nmae"]["ci"]["gap"] == [
        pytest.approx(gap),
        pytest.approx(gap),
    ]


def test_multiplicities_draw_every_question_count() -> None:
    weights = multiplicities(7, 300, seed=5)
    assert weights.shape == (300, 7)
    assert (weights.sum(axis=1) == 7).all()
    np.testing.assert_array_equal(weights, multiplicities(7, 300, seed=5))


def test_vectorised_equals_a_plain_loop() -> None:
    """Recompute every replicate by expanding the drawn questions sample by sample."""
    rng = np.random.default_rng(11)
    n = 60
    questions = [f"Q{i % 6}" for i in range(n)]
    groups = [["a", "b", "c", None][i % 4] for i in range(n)]
    values = {"accuracy": rng.random(n), "nmae": rng.random(n)}
    n_boot, seed = 40, 4
    result = bootstrap_intervals(
        values, questions, {"g": groups}, ("accuracy", "nmae"), n_boot=n_boot, seed=seed
    )
    names = sorted(set(questions))
    weights = multiplicities(len(names), n_boot, seed)
    frame = pd.DataFrame({"q": questions, "g": groups, **values})
    overall: dict[str, list[float]] = {k: [] for k in values}
    figures: dict[str, list[dict[str, float]]] = {"accuracy": [], "nmae": []}
    for b in range(n_boot):
        parts = [
            frame[frame["q"] == q]
            for q, w in zip(names, weights[b], strict=True)
            for _ in range(int(w))
        ]
        sample = pd.concat(parts)
        for k in values:
            overall[k].append(float(sample[k].mean()))
            group_means = sample.dropna(subset=["g"]).groupby("g")[k].mean().to_numpy()
            figures[k].append({f: float(v) for f, v in spread(group_means).items()})
    for k in values:
        low, high = np.percentile(overall[k], [2.5, 97.5])
        assert result.metrics[k] == pytest.approx((low, high))
        for figure in ("gap", "cv", "norm_range", "ratio"):
            series = [row[figure] for row in figures[k]]
            low, high = np.percentile(series, [2.5, 97.5])
            assert result.fairness["g"][k][figure] == pytest.approx((low, high))


@pytest.mark.parametrize(("n_boot", "seed"), [(-1, 0), (10, -3), (1.5, 0), (True, 0)])
def test_bad_settings_raise(n_boot: Any, seed: Any) -> None:
    with pytest.raises(InputError):
        bootstrap_intervals(
            {"accuracy": np.ones(2)},
            ["Q1", "Q2"],
            {},
            (),
            n_boot=n_boot,
            seed=seed,
        )
