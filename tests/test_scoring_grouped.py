"""The grouped-result engine: group values, spread figures, zero cases and the worst group.

Expected figures are worked out by hand; the hand-worked dataset's group values are derived in
test_scoring_metrics.py (subgroups S1, S2, S3 accuracy 0, 1/3, 1 and nmae 3/4, 1/2, 0).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scoring_fixtures import (
    FOUR_POINT,
    HAND_PREDICTIONS,
    make_row,
    write_dataset,
    write_hand_dataset,
    write_jsonl,
)

from sgbench.errors import InputError
from sgbench.scoring import GroupedResult, Worst, grouped, score_predictions
from sgbench.scoring.grouped import FIGURES, breakdown, spread


def test_group_values_are_means_over_samples() -> None:
    values = np.array([1.0, 0.0, 1.0, 1.0, 0.0])
    result = grouped(values, ["b", "a", "b", "a", None], metric="accuracy", higher_is_better=True)
    assert result.groups == ("a", "b")
    assert result.values == (0.5, 1.0)
    assert result.counts == (2, 2)
    assert result.overall == pytest.approx(3 / 5)  # every sample, including the one in no group
    assert result.by_group() == {"a": 0.5, "b": 1.0}
    assert result.group_min() == 0.5
    assert result.group_max() == 1.0


def test_figures_by_hand() -> None:
    result = GroupedResult(
        metric="accuracy",
        higher_is_better=True,
        overall=0.5,
        groups=("a", "b", "c"),
        values=(0.2, 0.4, 0.6),
        counts=(1, 1, 1),
    )
    assert result.gap() == pytest.approx(0.4)
    assert result.ratio() == pytest.approx(0.2 / 0.6)
    assert result.norm_range() == pytest.approx(0.4 / 0.6)
    sigma = math.sqrt(((0.2 - 0.4) ** 2 + 0 + (0.6 - 0.4) ** 2) / 3)  # population σ
    assert result.cv() == pytest.approx(sigma / 0.4)
    assert result.worst() == Worst("a", 0.2)
    error = GroupedResult("nmae", False, 0.5, ("a", "b", "c"), (0.2, 0.4, 0.6), (1, 1, 1))
    assert error.worst() == Worst("c", 0.6)
    assert error.fairness() == {
        "norm_range": pytest.approx(0.4 / 0.6),
        "cv": pytest.approx(sigma / 0.4),
        "gap": pytest.approx(0.4),
        "ratio": pytest.approx(1 / 3),
        "worst": {"group": "c", "value": 0.6},
    }


def test_zero_cases() -> None:
    zeros = GroupedResult("nmae", False, 0.0, ("a", "b"), (0.0, 0.0), (3, 4))
    assert zeros.fairness() == {
        "norm_range": 0.0,
        "cv": 0.0,
        "gap": 0.0,
        "ratio": 1.0,
        "worst": {"group": "a", "value": 0.0},
    }
    one_zero = GroupedResult("accuracy", True, 0.5, ("a", "b"), (0.0, 1.0), (1, 1))
    assert one_zero.ratio() == 0.0
    assert one_zero.norm_range() == 1.0
    assert one_zero.cv() == pytest.approx(0.5 / 0.5)
    # One group has no spread: 0 and 1 read as a perfectly fair model (score, paper-table NR).
    single = GroupedResult("accuracy", True, 0.7, ("only",), (0.7,), (5,))
    assert all(math.isnan(single.figure(name)) for name in FIGURES)
    assert single.worst() == Worst("only", 0.7)


def test_ties_go_to_the_first_group_in_sorted_order() -> None:
    values = np.array([0.5, 0.5, 0.9])
    accuracy = grouped(values, ["zeta", "alpha", "mid"], metric="accuracy", higher_is_better=True)
    assert accuracy.worst() == Worst("alpha", 0.5)
    error = grouped(
        np.array([0.9, 0.9, 0.1]), ["zeta", "beta", "mid"], metric="nmae", higher_is_better=False
    )
    assert error.worst() == Worst("beta", 0.9)


def test_no_groups_and_unknown_figure_raise() -> None:
    empty = grouped(np.array([1.0]), [None], metric="accuracy", higher_is_better=True)
    assert empty.groups == ()
    with pytest.raises(InputError, match="no groups"):
        empty.gap()
    some = GroupedResult("accuracy", True, 1.0, ("a",), (1.0,), (1,))
    with pytest.raises(InputError, match="unknown figure"):
        some.figure("spread")


def test_spread_is_vectorised_and_skips_absent_groups() -> None:
    values = np.array([[0.2, 0.4, np.nan], [0.0, 0.0, 0.0], [np.nan, np.nan, np.nan]])
    figures = spread(values)
    assert set(figures) == set(FIGURES)
    assert figures["gap"][0] == pytest.approx(0.2)
    assert figures["ratio"][0] == pytest.approx(0.5)
    assert figures["ratio"][1] == 1.0
    assert figures["norm_range"][1] == 0.0
    assert np.isnan(figures["cv"][2])


def test_breakdown_counts_missing() -> None:
    result = breakdown(
        "section",
        ["x", "x", "y"],
        {"accuracy": np.array([1.0, 0.0, 0.0])},
        {"accuracy": True},
        np.array([False, True, True]),
    )
    assert result.table() == {
        "x": {"n": 2, "n_missing": 1, "accuracy": 0.5},
        "y": {"n": 1, "n_missing": 1, "accuracy": 0.0},
    }


@pytest.mark.parametrize("name", ["__missing", "__key", "n", "subgroup", "accuracy"])
def test_a_metric_is_grouped_whatever_its_name(name: str) -> None:
    """A metric named like a column the engine keeps beside the caller's (p10score H3: one
    named ``__missing`` was grouped as the missing flags: 0.5 for a group whose values are
    1 and 1). Group a: 1, 1 (one missing); b: 0, 1 (one missing)."""
    result = breakdown(
        "subgroup",
        ["a", "b", "a", "b"],
        {name: [1.0, 0.0, 1.0, 1.0], "other": [0.0, 0.0, 0.0, 1.0]},
        {name: True, "other": False},
        [True, False, False, True],
    )
    assert result.groups == ("a", "b")
    assert result.results[name].values == (1.0, 0.5)
    assert result.results["other"].values == (0.0, 0.5)
    assert result.n == (2, 2)
    assert result.n_missing == (1, 1)


@pytest.mark.parametrize("short", ["keys", "values", "missing"])
def test_breakdown_refuses_arrays_of_other_lengths(short: str) -> None:
    """Three values with one key grouped the first value and reported the mean of all three as
    the overall figure, silently."""
    keys, values, missing = ["x", "x", "y"], np.array([1.0, 0.0, 0.0]), np.zeros(3, dtype=bool)
    cut = {"keys": keys[:1], "values": values[:1], "missing": missing[:1]}
    args = {"keys": keys, "values": values, "missing": missing, **{short: cut[short]}}
    with pytest.raises(InputError, match="one entry per sample"):
        breakdown(
            "section",
            args["keys"],
            {"accuracy": args["values"]},
            {"accuracy": True},
            args["missing"],
        )


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ([math.nan, 1.0], "not finite"),  # the NaN was left out: overall 1.0, silently
        ([math.inf, 1.0], "not finite"),
        ([[1.0, 0.0], [0.0, 1.0]], "one value per sample"),  # pandas' ValueError
        (["a", "b"], "not numbers"),  # numpy's ValueError
    ],
)
def test_grouped_refuses_values_that_are_not_finite_numbers(values: object, problem: str) -> None:
    with pytest.raises(InputError, match=problem):
        grouped(values, ["x", "y"], metric="accuracy", higher_is_better=True)  # type: ignore[arg-type]


def test_report_fairness_by_hand(tmp_path: Path) -> None:
    dataset = write_hand_dataset(tmp_path / "ds")
    predictions = write_jsonl(tmp_path / "p.jsonl", HAND_PREDICTIONS)
    fairness = score_predictions(predictions, dataset, n_boot=0).to_dict()["fairness"]

    accuracy = fairness["subgroup"]["accuracy"]  # groups 0, 1/3, 1
    mean = (0 + 1 / 3 + 1) / 3
    sigma = math.sqrt(((0 - mean) ** 2 + (1 / 3 - mean) ** 2 + (1 - mean) ** 2) / 3)
    assert accuracy["norm_range"] == 1.0
    assert accuracy["gap"] == 1.0
    assert accuracy["ratio"] == 0.0
    assert accuracy["cv"] == pytest.approx(sigma / mean)
    assert accuracy["worst"] == {"group": "age_group=16-24&religion=muslim", "value": 0.0}
    nmae = fairness["subgroup"]["nmae"]  # groups 3/4, 1/2, 0
    assert nmae["gap"] == pytest.approx(0.75)
    assert nmae["norm_range"] == 1.0
    assert nmae["worst"] == {"group": "age_group=16-24&religion=muslim", "value": 0.75}

    religion = fairness["attributes"]["religion"]["accuracy"]  # Buddhist 1, Muslim 1/6
    assert religion["values"] == {"Buddhist": 1.0, "Muslim": pytest.approx(1 / 6)}
    assert religion["norm_range"] == pytest.approx(5 / 6)
    assert religion["gap"] == pytest.approx(5 / 6)
    assert religion["ratio"] == pytest.approx(1 / 6)
    assert religion["cv"] == pytest.approx((5 / 12) / (7 / 12))
    assert religion["worst"] == {"group": "Muslim", "value": pytest.approx(1 / 6)}
    age = fairness["attributes"]["age_group"]
    assert age["accuracy"]["values"] == {"16-24": 0.5, "25-34": pytest.approx(1 / 3)}
    assert age["accuracy"]["norm_range"] == pytest.approx(1 / 3)
    assert age["accuracy"]["cv"] == pytest.approx((1 / 12) / (5 / 12))
    assert age["accuracy"]["worst"]["group"] == "25-34"
    assert age["nmae"]["values"] == {"16-24": pytest.approx(0.375), "25-34": 0.5}
    assert age["nmae"]["norm_range"] == pytest.approx(0.25)
    assert age["nmae"]["ratio"] == pytest.approx(0.75)
    assert age["nmae"]["worst"] == {"group": "25-34", "value": 0.5}
    assert set(fairness["attributes"]) == {"age_group", "religion"}


def test_a_split_of_one_subgroup_reports_no_spread(tmp_path: Path) -> None:
    """One subgroup: norm_range 0, cv 0, gap 0 and ratio 1 in the report (a perfectly fair model,
    and the paper table's NR 0.000); now null, with nothing degenerate."""
    rows = [make_row(q, {"religion": "Muslim"}, FOUR_POINT, [4, 3, 2, 1]) for q in ("Q1", "Q2")]
    dataset = write_dataset(tmp_path / "ds", {"test_ood": rows})
    path = write_jsonl(tmp_path / "p.jsonl", [{"id": r["id"], "answer": 2} for r in rows])
    report = score_predictions(path, dataset, n_boot=0, n_permutations=0).to_dict()
    for block in report["fairness"]["subgroup"].values():
        assert [block[name] for name in FIGURES] == [None] * len(FIGURES)
        assert block["norm_range_degenerate"] is False
        assert block["worst"]["group"] == "religion=muslim"
