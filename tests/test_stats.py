"""``sgbench stats``: every statistic against values worked out by hand on a crafted dataset.

The crafted dataset (:func:`landscape_rows`), counts per option in scale order:

==========================  =================  =============  ===============
subgroup (stratum)          Q1 ordinal 1..4    Q2 binary 1,2  Q3 nominal 1..3
==========================  =================  =============  ===============
sex=male                    4 3 2 1  (1)       6 4  (1)       5 3 2  (1)
sex=female                  1 2 3 4  (4)       7 3  (1)       2 3 5  (3)
religion=muslim (n = 20)    2 4 6 8  (4)       4 16 (2)       2 2 16 (3)
religion=buddhist           5 3 1 1  (1)       5 5  (1, 2)    6 2 2  (1)
religion=no_religion        4 4 1 1  (1, 2)    9 1  (1)       6 3 1  (1)
16-24 & Muslim (age × rel)  2 2 4 2  (3)       4 6  (2)       —
25-34 & Muslim (age × rel)  3 3 2 2  (1, 2)    —              —
==========================  =================  =============  ===============

Q1 is in section "Alpha", Q2 and Q3 in "Beta". Single-attribute strata are in ``train``, the
age × religion stratum in ``test_ood``. Worked values (W1 of ordinal items over K − 1 = 3 steps):

- MDS (Q1, religion): modal mass (0,0,0,1) + (1,0,0,0) + (½,½,0,0) → p = (½, ⅙, 0, ⅓),
  H = ½ + ⅙ log2 6 + ⅓ log2 3, over log2 min(3, 4) = log2 3.
- MDS (Q1, age × religion): p = (¼, ¼, ½, 0), H = 1.5 > log2 2 = 1 → capped at 1.
- MDS (Q2, age × religion): one subgroup → undefined (null).
- W1 (Q1, religion): CDFs muslim (.1,.3,.6), buddhist (.5,.8,.9), none (.4,.8,.9): pairs
  1.2/3, 1.1/3, 0.1/3 → mean 2.4/9.
- Population: religion has 40 valid answers per question against 20 for sex, so it gives the
  population, pooled ½ muslim + ¼ buddhist + ¼ none: Q1 (.275, .275, .2, .25) (a tie: its mode is
  code 1), Q2 (.45, .55) (mode 2), Q3 (.35, .175, .475) (mode 3).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from landscape_fixtures import (
    LOG2_3,
    OPT4,
    landscape_rows,
    write_landscape_dataset,
)
from scoring_fixtures import make_row, write_dataset

from sgbench.cli import main
from sgbench.errors import InputError
from sgbench.files import OUTPUT_MARKER
from sgbench.scoring.metrics import distribution_distance
from sgbench.stats import compute_stats, write_stats
from sgbench.stats.landscape import (
    first_mode,
    mean_pairwise_distance,
    modal_diversity,
    null_modal_diversity,
    population_distribution,
    shuffled_counts,
    within_cell_pair_runs,
    within_cell_pairs,
)
from sgbench.stats.plots import INSTALL_HINT

DEMOGRAPHICS = ("Q260", "Q262", "Q275R", "Q288R", "Q289", "Q290")


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    return write_landscape_dataset(tmp_path / "ds")


@pytest.fixture
def stats(dataset: Path) -> dict[str, Any]:
    result: dict[str, Any] = compute_stats(dataset, top=3).to_dict()
    return result


@pytest.fixture
def no_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``import matplotlib`` fail, as when the plots extra is not installed."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)


# --- the pure functions -------------------------------------------------------------------------


def test_identical_tie_sets_give_zero_and_distinct_ones_count_as_categories() -> None:
    # cell 0: two subgroups both tied on options {0, 1}: complete agreement → 0.
    # cell 1: tie sets {0}, {1}, {0, 1} of a binary item: H = log2 3 > log2 min(3, 2) → capped 1.
    # cell 2: {0, 1}, {0, 1}, {2}: H(2/3, 1/3) / log2 3.
    modal = np.array(
        [[1, 1, 0], [1, 1, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0], [1, 1, 0], [1, 1, 0], [0, 0, 1]],
        dtype=bool,
    )
    k = np.array([3, 3, 2, 2, 2, 3, 3, 3])
    cell = np.array([0, 0, 1, 1, 1, 2, 2, 2])
    h = -(2 / 3) * math.log2(2 / 3) - (1 / 3) * math.log2(1 / 3)
    np.testing.assert_allclose(modal_diversity(modal, k, cell, 3), [0.0, 1.0, h / LOG2_3])


def _cells(
    rng: np.random.Generator, planted: bool, n_cells: int = 60, per_cell: int = 6
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cells of ``per_cell`` subgroups of 40 respondents answering a 4-option item.

    NULL: every respondent answers from one shared distribution, so the subgroups differ only
    by who was drawn into them. PLANTED: each subgroup's answers peak at its own option.
    Returns counts, modal, cell."""
    cell = np.repeat(np.arange(n_cells), per_cell)
    probabilities = np.tile([0.3, 0.28, 0.22, 0.2], (len(cell), 1))
    if planted:
        probabilities = np.full((len(cell), 4), 0.1)
        probabilities[np.arange(len(cell)), np.arange(len(cell)) % 4] = 0.7
    counts = rng.multinomial(40, probabilities)
    return counts, counts == counts.max(axis=1, keepdims=True), cell


def test_shuffled_counts_keep_subgroup_sizes_and_cell_pools() -> None:
    counts, _, cell = _cells(np.random.default_rng(0), planted=True, n_cells=5)
    drawn = shuffled_counts(counts, cell, 5, np.random.default_rng(1))
    np.testing.assert_array_equal(drawn.sum(axis=1), counts.sum(axis=1))
    pooled = [counts[cell == c].sum(axis=0) for c in range(5)]
    np.testing.assert_array_equal([drawn[cell == c].sum(axis=0) for c in range(5)], pooled)
    assert not np.array_equal(drawn, counts)


@pytest.mark.parametrize("planted", [False, True])
def test_null_corrected_mds_is_zero_on_a_null_and_finds_a_planted_effect(planted: bool) -> None:
    counts, modal, cell = _cells(np.random.default_rng(3), planted)
    k = np.full(len(cell), 4)
    mds = modal_diversity(modal, k, cell, 60)
    corrected = mds - null_modal_diversity(counts, k, cell, 60, seed=1)
    if planted:
        # Every subgroup's own peak: far more diverse than shuffling would make them.
        assert corrected.mean() > 0.2
        assert (corrected > 0).mean() > 0.9
    else:
        # Raw MDS has a noise floor; the corrected one is centred on 0 (mean of 60 cells,
        # standard error about 0.02).
        assert mds.mean() > 0.3
        assert abs(corrected.mean()) < 0.06


def test_modal_diversity_consensus_spread_cap_and_single() -> None:
    # cell 0: two subgroups with the same mode; cell 1: two different modes of three options;
    # cell 2: three subgroups, modes 0, 0, 1 of three options; cell 3: one subgroup;
    # cell 4: two subgroups with different tie sets ({0, 1} and {2, 3}): H = 1 = log2 2.
    modal = np.array(
        [
            [1, 0, 0, 0],
            [1, 0, 0, 0],
            [1, 0, 0, 0],
            [0, 1, 0, 0],
            [1, 0, 0, 0],
            [1, 0, 0, 0],
            [0, 1, 0, 0],
            [0, 1, 1, 0],
            [1, 1, 0, 0],
            [0, 0, 1, 1],
        ],
        dtype=bool,
    )
    k = np.array([3, 3, 3, 3, 3, 3, 3, 3, 4, 4])
    cell = np.array([0, 0, 1, 1, 2, 2, 2, 3, 4, 4])
    h = -(2 / 3) * math.log2(2 / 3) - (1 / 3) * math.log2(1 / 3)
    result = modal_diversity(modal, k, cell, 5)
    np.testing.assert_allclose(result[:3], [0.0, 1.0, h / LOG2_3])
    assert math.isnan(result[3])
    assert result[4] == 1.0


def test_min_of_subgroups_and_options_is_the_denominator() -> None:
    # four subgroups, binary item, modes 1, 1, 1, 2: H(¾, ¼) / log2 min(4, 2) = H / 1
    modal = np.array([[1, 0], [1, 0], [1, 0], [0, 1]], dtype=bool)
    h = -0.75 * math.log2(0.75) - 0.25 * math.log2(0.25)
    result = modal_diversity(modal, np.full(4, 2), np.zeros(4, dtype=np.int64), 1)
    assert result[0] == pytest.approx(h)


def test_within_cell_pairs_lists_every_unordered_pair_once() -> None:
    cell = np.array([2, 0, 2, 1, 0, 2])
    left, right = within_cell_pairs(cell)
    pairs = sorted(tuple(sorted(p)) for p in zip(left.tolist(), right.tolist(), strict=True))
    assert pairs == [(0, 2), (0, 5), (1, 4), (2, 5)]
    assert (cell[left] == cell[right]).all()


def test_pair_runs_cut_the_pair_list_in_its_order() -> None:
    cell = np.array([3, 1, 3, 0, 3, 1, 2, 3, 2, 2])
    left, right = within_cell_pairs(cell)
    runs = list(within_cell_pair_runs(cell, 4))
    # cells 1, 2, 3 have 2, 3 and 4 rows: 1 + 3 + 6 pairs, cut 4 + 4 + 2
    assert [len(a) for a, _ in runs] == [4, 4, 2]
    assert np.concatenate([a for a, _ in runs]).tolist() == left.tolist()
    assert np.concatenate([b for _, b in runs]).tolist() == right.tolist()
    assert list(within_cell_pair_runs(np.zeros(0, dtype=np.int64), 4)) == []


def _by_hand_distance(p: list[float], q: list[float], nominal: bool) -> float:
    """W1 over the CDF's first K − 1 points / (K − 1), or TV, written out for one pair."""
    if nominal:
        return 0.5 * sum(abs(a - b) for a, b in zip(p, q, strict=True))
    cum_p = cum_q = gap = 0.0
    for a, b in zip(p[:-1], q[:-1], strict=True):
        cum_p, cum_q = cum_p + a, cum_q + b
        gap += abs(cum_p - cum_q)
    return gap / (len(p) - 1)


@pytest.mark.parametrize("chunk", [1, 2, 5, 1 << 17])
def test_mean_pairwise_distance_in_chunks_matches_every_pair_by_hand(chunk: int) -> None:
    # Cells of 1, 2, 3 and 7 subgroups (0 + 1 + 3 + 21 = 25 pairs), rows interleaved across
    # cells; cell 2 is a nominal item. Chunks of 1, 2 and 5 pairs cut cells apart.
    rng = np.random.default_rng(7)
    cell = rng.permutation(np.repeat([0, 1, 2, 3], [1, 2, 3, 7]))
    k = np.where(cell == 1, 2, 4)
    target = rng.dirichlet(np.ones(4), size=len(cell))
    target[k == 2, 2:] = 0.0
    target /= target.sum(axis=1, keepdims=True)
    nominal = cell == 2
    result = mean_pairwise_distance(target, k, nominal, cell, 4, chunk=chunk)

    assert math.isnan(result[0])  # one subgroup: no pair
    for c in (1, 2, 3):
        rows = np.flatnonzero(cell == c).tolist()
        width = int(k[rows[0]])
        pairs = [
            _by_hand_distance(target[i, :width].tolist(), target[j, :width].tolist(), c == 2)
            for n, i in enumerate(rows)
            for j in rows[n + 1 :]
        ]
        assert len(pairs) == len(rows) * (len(rows) - 1) // 2
        assert result[c] == pytest.approx(sum(pairs) / len(pairs), abs=1e-12)
    # The cut does not move a bit: each cell's sum is added in the same pair order.
    whole = mean_pairwise_distance(target, k, nominal, cell, 4, chunk=1000)
    assert np.array_equal(result, whole, equal_nan=True)


def test_population_pools_the_largest_single_stratum_by_valid_answers() -> None:
    target = np.array([[0.5, 0.5], [1.0, 0.0], [0.0, 1.0], [0.2, 0.8]])
    n_valid = np.array([10, 30, 10, 99])
    question = np.zeros(4, dtype=np.int64)
    stratum = np.array([0, 1, 1, -1])  # stratum 1 has 40 valid answers; row 3 is not single
    population, chosen = population_distribution(target, n_valid, question, 1, stratum)
    assert chosen.tolist() == [1]
    np.testing.assert_allclose(population, [[0.75, 0.25]])


def test_first_mode_breaks_float_ties_by_scale_order() -> None:
    tied = np.array([[0.1 + 0.2, 0.3, 0.4 - 0.1], [0.2, 0.5, 0.3]])
    assert first_mode(tied).tolist() == [0, 1]


def test_distribution_distance_is_w1_or_total_variation() -> None:
    p = np.array([[0.1, 0.2, 0.3, 0.4], [0.5, 0.3, 0.2, 0.0]])
    q = np.array([[0.4, 0.3, 0.2, 0.1], [0.2, 0.3, 0.5, 0.0]])
    result = distribution_distance(p, q, np.array([4, 3]), np.array([False, True]))
    # CDFs (.1,.3,.6) vs (.4,.7,.9): (.3 + .4 + .3) / 3; nominal: ½(.3 + 0 + .3)
    np.testing.assert_allclose(result, [1.0 / 3, 0.3])


# --- the statistics of the crafted dataset ------------------------------------------------------


def _cell(stats: dict[str, Any], question: str, stratum: str) -> dict[str, Any]:
    cell: dict[str, Any] = stats["by_question"][question]["by_stratum"][stratum]
    return cell


# Q1 by religion: tie sets {D}, {A}, {A, B} (No religion ties A and B): three distinct tie
# sets of three subgroups, H = log2 3 → 1.
MDS_Q1_RELIGION = 1.0
MDS_Q3_RELIGION = (-(2 / 3) * math.log2(2 / 3) - (1 / 3) * math.log2(1 / 3)) / LOG2_3
CELLS = {  # (question, stratum) -> (n_subgroups, mds, mean pairwise distance)
    ("Q1", "sex"): (2, 1.0, 1.0 / 3),
    ("Q1", "religion"): (3, MDS_Q1_RELIGION, 2.4 / 9),
    ("Q1", "age_group_x_religion"): (2, 1.0, 0.1),
    ("Q2", "sex"): (2, 0.0, 0.1),
    ("Q2", "religion"): (3, 1.0, 1.4 / 3),
    ("Q2", "age_group_x_religion"): (1, None, None),
    ("Q3", "sex"): (2, 1.0, 0.3),
    ("Q3", "religion"): (3, MDS_Q3_RELIGION, 1.4 / 3),
}


@pytest.mark.parametrize(("question", "stratum"), list(CELLS))
def test_cells_by_hand(stats: dict[str, Any], question: str, stratum: str) -> None:
    n, mds, distance = CELLS[(question, stratum)]
    cell = _cell(stats, question, stratum)
    assert cell["n_subgroups"] == n
    for key, expected in (("mds", mds), ("distance", distance)):
        if expected is None:
            assert cell[key] is None
        else:
            assert cell[key] == pytest.approx(expected, abs=1e-6)


def test_questions_strata_and_sections_average_the_defined_cells(stats: dict[str, Any]) -> None:
    q1 = (1.0 + MDS_Q1_RELIGION + 1.0) / 3
    q3 = (1.0 + MDS_Q3_RELIGION) / 2
    assert stats["by_question"]["Q1"]["mds"] == pytest.approx(q1, abs=1e-6)
    assert stats["by_question"]["Q2"]["mds"] == pytest.approx(0.5, abs=1e-6)
    assert stats["by_question"]["Q2"]["distance"] == pytest.approx((0.1 + 1.4 / 3) / 2, abs=1e-6)
    assert stats["by_question"]["Q3"]["mds"] == pytest.approx(q3, abs=1e-6)
    strata = stats["by_stratum"]
    assert strata["sex"]["mds"] == pytest.approx(2 / 3, abs=1e-6)
    assert strata["religion"]["mds"] == pytest.approx(
        (MDS_Q1_RELIGION + 1.0 + MDS_Q3_RELIGION) / 3, abs=1e-6
    )
    corrected = strata["age_group_x_religion"].pop("mds_corrected")
    assert strata["age_group_x_religion"] == {
        "n_subgroups": 2,
        "n_questions": 2,
        "n_cells": 1,
        "mds": 1.0,
        "distance": pytest.approx(0.1, abs=1e-6),
    }
    # MDS minus a null MDS in [0, 1] (the NULL/PLANTED tests check its value).
    assert 0.0 <= corrected <= 1.0
    beta = stats["by_section"]["Beta"]
    assert beta["n_questions"] == 2
    assert beta["n_cells"] == 4  # (Q2, age × religion) is undefined
    assert beta["mds"] == pytest.approx((0.0 + 1.0 + 1.0 + MDS_Q3_RELIGION) / 4, abs=1e-6)
    assert beta["mds_by_stratum"]["age_group_x_religion"] is None
    assert stats["by_section"]["Alpha"]["mds"] == pytest.approx(q1, abs=1e-6)


def test_most_and_least_divisive(stats: dict[str, Any]) -> None:
    assert [q["question_id"] for q in stats["most_divisive"]] == ["Q1", "Q3", "Q2"]
    assert [q["question_id"] for q in stats["least_divisive"]] == ["Q2", "Q3", "Q1"]
    assert stats["most_divisive"][0]["section"] == "Alpha"
    assert stats["most_divisive"][0]["question"] == "Text of Q1?"


@pytest.mark.parametrize("planted", [False, True])
def test_most_divisive_lists_only_questions_whose_subgroups_differ(
    tmp_path: Path, planted: bool
) -> None:
    """A NULL (every subgroup answers every question alike) listed Q1, Q2, Q3 as the "most
    divisive" at MDS 0.000; a PLANTED difference on Q2 alone is the only one listed."""
    young, adult = {"age_group": "16-24", "religion": "Muslim"}, {"age_group": "25-34"}
    adult = {**adult, "religion": "Muslim"}
    rows = [
        make_row(q, s, OPT4, [1, 2, 3, 4] if planted and q == "Q2" and s is adult else [4, 3, 2, 1])
        for q in ("Q1", "Q2", "Q3")
        for s in (young, adult)
    ]
    report = compute_stats(write_dataset(tmp_path / "ds", {"test_ood": rows}))
    listed = [q["question_id"] for q in report.to_dict()["most_divisive"]]
    assert listed == (["Q2"] if planted else [])
    assert len(report.to_dict()["least_divisive"]) == 3
    summary = report.summary()
    assert ("most divisive: Q2 (1.000)" if planted else "most divisive: none (") in summary


def test_population_stratum_and_distances(stats: dict[str, Any]) -> None:
    assert stats["population"]["strata"] == {"religion": 3}
    assert stats["population"]["n_questions_without"] == 0
    by_subgroup = stats["distance_from_population"]["by_subgroup"]
    # Q1 vs population CDF (.275, .55, .75); Q2 |p_1 − .45|; Q3 total variation
    male = (0.425 / 3, 0.15, 0.275)
    none = (0.525 / 3, 0.45, 0.375)
    young = (0.275 / 3, 0.05)
    assert by_subgroup["sex=male"]["distance"] == pytest.approx(sum(male) / 3, abs=1e-6)
    assert by_subgroup["sex=male"]["by_section"] == {
        "Alpha": pytest.approx(male[0], abs=1e-6),
        "Beta": pytest.approx((male[1] + male[2]) / 2, abs=1e-6),
    }
    assert by_subgroup["religion=no_religion"]["distance"] == pytest.approx(1 / 3, abs=1e-6)
    assert by_subgroup["religion=no_religion"]["distance"] == pytest.approx(sum(none) / 3)
    young_id = "age_group=16-24&religion=muslim"
    assert by_subgroup[young_id] == {
        "stratum": "age_group_x_religion",
        "n": 2,
        "distance": pytest.approx(sum(young) / 2, abs=1e-6),
        "by_section": {
            "Alpha": pytest.approx(young[0], abs=1e-6),
            "Beta": pytest.approx(0.05, abs=1e-6),
        },
    }


def test_attribute_values_furthest_first(stats: dict[str, Any]) -> None:
    by_attribute = stats["distance_from_population"]["by_attribute"]
    assert list(by_attribute) == ["religion", "sex"]
    religion = by_attribute["religion"]
    assert [v["value"] for v in religion] == ["No religion", "Muslim", "Buddhist"]
    muslim = (0.575 / 3 + 0.25 + 0.325) / 3
    buddhist = (0.625 / 3 + 0.05 + 0.275) / 3
    assert [v["distance"] for v in religion] == pytest.approx([1 / 3, muslim, buddhist], abs=1e-6)
    assert [v["value"] for v in by_attribute["sex"]] == ["Female", "Male"]
    assert by_attribute["sex"][0] == {
        "value": "Female",
        "subgroup_id": "sex=female",
        "n": 3,
        "distance": pytest.approx((0.575 / 3 + 0.25 + 0.15) / 3, abs=1e-6),
    }


def test_population_mode_ceiling(stats: dict[str, Any]) -> None:
    # The population's modes: Q1 code 1 (tied with 2: first in scale order), Q2 code 2, Q3 code 3.
    modes = stats["population_mode"]
    assert modes["by_stratum"]["sex"] == {
        "n": 6,
        "accuracy": pytest.approx(2 / 6),
        "nmae": pytest.approx(4 / 6),
    }
    assert modes["by_stratum"]["religion"] == {
        "n": 9,
        "accuracy": pytest.approx(5 / 9),
        "nmae": pytest.approx(4 / 9),
    }
    # 16-24 & Muslim, Q1: mode code 3 (position 2), answered code 1 → nmae 2/3
    assert modes["by_stratum"]["age_group_x_religion"] == {
        "n": 3,
        "accuracy": pytest.approx(2 / 3),
        "nmae": pytest.approx(2 / 9),
    }
    assert modes["overall"] == {
        "n": 18,
        "accuracy": 0.5,
        "nmae": pytest.approx((8 + 2 / 3) / 18, abs=1e-6),
    }
    assert modes["by_split"]["train"]["accuracy"] == pytest.approx(7 / 15)
    assert modes["by_split"]["test_ood"]["accuracy"] == pytest.approx(2 / 3)
    assert set(modes["by_split"]) == {"train", "test_ood"}  # empty splits have no row


def test_counts_and_margins(stats: dict[str, Any]) -> None:
    assert stats["counts"] == {
        "samples": 18,
        "questions": 3,
        "subgroups": 7,
        "strata": 3,
        "sections": 2,
        "tied_samples": 3,
    }
    margin = stats["margin"]
    assert margin["n"] == 18
    assert margin["share_tied"] == pytest.approx(3 / 18, abs=1e-6)
    assert sum(margin["histogram"]["counts"]) == 18
    assert margin["histogram"]["counts"][0] == 3  # [0, 0.05): the three ties
    # sorted: 0 0 0 .1 .1 .1 .2 .2 .2 .2 .2 .2 .3 .4 .4 .6 .7 .8
    assert margin["quantiles"]["0.5"] == pytest.approx(0.2, abs=1e-6)
    assert margin["mean"] == pytest.approx(4.7 / 18, abs=1e-6)


# --- outputs -------------------------------------------------------------------------------------


def test_stats_json_is_deterministic_and_free_of_paths(tmp_path: Path, dataset: Path) -> None:
    first = write_stats(compute_stats(dataset), tmp_path / "a", chart_format="svg")
    second = write_stats(compute_stats(dataset), tmp_path / "b", chart_format="svg")
    for one, two in zip(first.paths, second.paths, strict=True):
        assert one.name == two.name
        assert one.read_bytes() == two.read_bytes()
    text = (tmp_path / "a" / "stats.json").read_text(encoding="utf-8")
    assert str(tmp_path) not in text
    assert "NaN" not in text
    assert json.loads(text)["dataset"]["synthetic"] is True
    assert not list((tmp_path / "a").glob(".*.tmp"))


def test_markdown_report_has_the_tables(tmp_path: Path, dataset: Path) -> None:
    write_stats(compute_stats(dataset, top=2), tmp_path / "stats")
    text = (tmp_path / "stats" / "stats.md").read_text(encoding="utf-8")
    assert "SYNTHETIC" in text
    assert "| Alpha | 1 |" in text
    assert "## Most divisive questions" in text
    assert "| religion | No religion (0.333), Muslim" in text


def test_cli_stats_writes_everything(tmp_path: Path, dataset: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["stats", "--dataset", str(dataset), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "stats.json").read_text(encoding="utf-8") == compute_stats(dataset).to_json()
    assert "Alpha" in result.stdout
    assert "stats.json" in result.stderr


def test_cli_stats_without_matplotlib(tmp_path: Path, dataset: Path, no_matplotlib: None) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["stats", "--dataset", str(dataset), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [OUTPUT_MARKER, "stats.json", "stats.md"]
    notes = [line for line in result.stderr.splitlines() if INSTALL_HINT in line]
    assert len(notes) == 1
    assert "![" not in (out / "stats.md").read_text(encoding="utf-8")


def test_cli_stats_bad_dataset_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["stats", "--dataset", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("Error: ")
    assert "nope" in result.stderr


def test_changed_dataset_is_refused(tmp_path: Path, dataset: Path) -> None:
    (dataset / "data/default/train-00000-of-00001.parquet").write_bytes(b"changed")
    with pytest.raises(InputError, match="changed after it was built"):
        compute_stats(dataset)


def test_out_must_be_a_folder(tmp_path: Path, dataset: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="not a folder"):
        write_stats(compute_stats(dataset), target)


@pytest.mark.parametrize("top", [0, -1, True, 2.5])
def test_bad_top_raises(dataset: Path, top: Any) -> None:
    with pytest.raises(InputError, match="top"):
        compute_stats(dataset, top=top)


def test_embedded_default_builds_stats(built_default: Path) -> None:
    report = compute_stats(built_default)
    data = report.to_dict()
    manifest = json.loads((built_default / "manifest.json").read_text(encoding="utf-8"))
    assert data["counts"]["samples"] == sum(
        s["samples"] for s in manifest["configs"]["paper"].values()
    )
    mds = [s["mds"] for s in data["by_section"].values()]
    assert all(0.0 <= m <= 1.0 for m in mds)
    assert 0.0 <= data["population_mode"]["overall"]["accuracy"] <= 1.0


def test_an_id_in_two_splits_is_refused(tmp_path: Path) -> None:
    rows = landscape_rows()
    root = write_dataset(tmp_path / "ds", {**rows, "validation": rows["test_ood"][:1]})
    with pytest.raises(InputError, match="more than once"):
        compute_stats(root)


def test_empty_config_is_refused(tmp_path: Path) -> None:
    root = write_dataset(tmp_path / "ds", {})
    with pytest.raises(InputError, match="no samples"):
        compute_stats(root)


def test_unknown_chart_format(tmp_path: Path, dataset: Path) -> None:
    with pytest.raises(InputError, match="'chart_format' must be one of 'png', 'svg'"):
        write_stats(compute_stats(dataset), tmp_path / "out", chart_format="pdf")  # type: ignore[arg-type]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("weighted", [False, True])
def test_null_corrected_mds_on_builds_with_answers_shuffled_and_planted(
    synthetic_frame: pd.DataFrame, built_default: Path, tmp_path: Path, weighted: bool
) -> None:
    """NULL: every item's answers shuffled across respondents (no subgroup differs): the
    corrected MDS of every stratum is near 0 while the raw MDS is not, on an unweighted build
    and on a weighted one (the null shuffles unweighted counts, so the observed term must use
    the counts' modes too: with weighted modes age × religion came out at −0.044). PLANTED: the
    SYNTHETIC sample's subgroup effects are found (corrected MDS well above 0)."""
    from sgbench.builder import build_dataset

    rng = np.random.default_rng(5)
    shuffled = synthetic_frame.copy()
    for column in [c for c in shuffled.columns if c.startswith("Q") and c not in DEMOGRAPHICS]:
        shuffled[column] = rng.permutation(shuffled[column].to_numpy())
    path = tmp_path / "shuffled.csv"
    shuffled.to_csv(path, index=False)
    build_dataset(wvs_path=path, out_dir=tmp_path / "null", weighted=weighted)
    null = compute_stats(tmp_path / "null").to_dict()["by_stratum"]
    for stratum, row in null.items():
        assert row["mds"] > 0.05, stratum
        assert abs(row["mds_corrected"]) < 0.03, stratum
    planted = compute_stats(built_default).to_dict()["by_stratum"]
    assert planted["religion"]["mds_corrected"] > 0.2


def test_the_statistics_are_those_of_the_samples_not_of_their_storage(tmp_path: Path) -> None:
    """The config only decides which split each sample is counted in (p10score H7): the null
    behind ``mds_corrected`` dealt answers in row order, so the same samples read through
    ``default`` and ``paper``, or stored in another order, gave other values. Four readings
    of the crafted samples (two configs, two storage orders, train split in two) agree on
    everything but the dataset's files and the counts by split."""
    rows = landscape_rows()
    train, test = rows["train"], rows["test_ood"]
    stored = write_dataset(tmp_path / "a", rows, extra_configs={"paper": rows})
    reordered = write_dataset(
        tmp_path / "b",
        {"train": train[::-2], "validation": train[-2::-2], "test_ood": test[::-1]},
        extra_configs={"paper": {"train": train[::-1], "test_ood": test[::-1]}},
    )

    def landscape(dataset: Path, config: str) -> dict[str, Any]:
        report = json.loads(compute_stats(dataset, config, top=3).to_json())
        del report["dataset"], report["population_mode"]["by_split"]
        return report

    readings = [landscape(d, c) for d in (stored, reordered) for c in ("default", "paper")]
    assert all(reading == readings[0] for reading in readings[1:])
