"""What the fairness block says when it does not know: no permutation test ran (``p_value`` and
``no_detectable_gap`` null), or no group's sampling noise could be measured (``sd_noise`` null).
Neither may read as a finding: ``False`` for "no detectable gap" reads as a gap found, and
``sd_noise = 0`` turns the whole observed spread, noise included, into ``sd_between``."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scoring_fixtures import group_spread

from sgbench.baselines import run_baseline
from sgbench.scoring import score_predictions
from sgbench.scoring.fairness import NO_NOISE_NOTE, UNTESTED_NOTE, fairness_entry, fairness_lines
from sgbench.scoring.grouped import grouped
from sgbench.scoring.noise import group_stats, noise_figures


def disjoint(a: list[float], b: list[float]) -> pd.DataFrame:
    """Group a seen on questions a0, a1, …; group b on b0, b1, …: no question shared."""
    rows = [(f"a{i}", "a", v) for i, v in enumerate(a)] + [
        (f"b{i}", "b", v) for i, v in enumerate(b)
    ]
    return pd.DataFrame(rows, columns=["q", "g", "v"])


def test_groups_on_disjoint_questions_have_no_noise_estimate() -> None:
    """a scores 1, 0 and b 1, 1: each group's values vary, but no question is seen by both, so
    their noise cannot be told from their difference. It was sd_noise 0 and sd_between equal to
    sd_observed (0.354), the whole spread reported as beyond noise."""
    frame = disjoint([1.0, 0.0], [1.0, 1.0])
    got = group_spread(frame)
    assert got["sd_observed"] == pytest.approx(np.std([0.5, 1.0], ddof=1))
    assert all(math.isnan(se) for se in got["se"])
    for name in ("sd_noise", "sd_between", "cv_between"):
        assert math.isnan(got[name])
    values = grouped(frame["v"].to_numpy(), frame["g"], metric="m", higher_is_better=True)
    entry = fairness_entry(values, got["spread"])
    assert entry["sd_noise"] is None
    assert entry["sd_between"] is None
    assert entry["cv_between"] is None
    assert entry["sd_observed"] == pytest.approx(math.sqrt(0.125))
    lines = fairness_lines({"g": {"m": entry}})
    assert NO_NOISE_NOTE in lines


def test_null_on_partly_shared_questions_shows_no_gap_on_average() -> None:
    """NULL: two groups answer from one Bernoulli(1/2) on 10 shared questions and 10 questions
    each their own. E[sd_observed²] = Var(m_a − m_b) / 2 = (1/4) / 20 = 0.0125; the noise
    estimate must match it, so that sd_observed² − sd_noise² averages 0 over many draws. Counting
    the own questions as deviations of 0 made sd_noise² about half as large: a gap of ~0.006 in
    variance that nothing planted."""
    rng = np.random.default_rng(7)
    draws, shared, own = 20_000, 10, 10
    questions = shared + 2 * own
    counts = np.zeros((questions, 2))
    counts[:shared] = 1
    counts[shared : shared + own, 0] = 1
    counts[shared + own :, 1] = 1
    sums = rng.integers(0, 2, size=(draws, questions, 2)).astype(np.float64) * counts
    stats = group_stats(sums, np.broadcast_to(counts, sums.shape), np.ones((draws, questions)))
    figures = noise_figures(stats)
    observed = float(np.mean(figures["sd_observed"] ** 2))
    noise = float(np.mean(figures["sd_noise"] ** 2))
    assert observed == pytest.approx(0.0125, rel=0.03)
    assert noise == pytest.approx(0.0125, rel=0.03)
    between = figures["variance_between"]
    # Mean 0 within 3 standard errors of the mean over the draws.
    assert abs(float(np.mean(between))) < 3 * float(np.std(between)) / math.sqrt(draws)


def test_planted_gap_on_partly_shared_questions_is_still_found() -> None:
    """PLANTED: the same layout with a scoring 0.8 and b 0.2: the between-group variance is
    (0.6)² / 2 = 0.18, and its estimate (not truncated) averages that."""
    rng = np.random.default_rng(8)
    draws, questions = 4_000, 30
    counts = np.zeros((questions, 2))
    counts[:10] = 1
    counts[10:20, 0] = 1
    counts[20:, 1] = 1
    p = np.array([0.8, 0.2])
    sums = (rng.random((draws, questions, 2)) < p).astype(np.float64) * counts
    figures = noise_figures(
        group_stats(sums, np.broadcast_to(counts, sums.shape), np.ones((draws, questions)))
    )
    between = figures["variance_between"]
    assert abs(float(np.mean(between)) - 0.18) < 3 * float(np.std(between)) / math.sqrt(draws)


@pytest.fixture(scope="module")
def majority_file(built_default: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("untested") / "majority.jsonl"
    path.write_text(run_baseline("majority", built_default).to_jsonl(), encoding="utf-8")
    return path


def test_no_permutations_leave_the_gap_unknown(built_default: Path, majority_file: Path) -> None:
    report = score_predictions(majority_file, built_default, n_boot=0, n_permutations=0)
    fairness = report.to_dict()["fairness"]
    entries = [*fairness["subgroup"].values()] + [
        entry for block in fairness["attributes"].values() for entry in block.values()
    ]
    assert entries
    for entry in entries:
        assert entry["p_value"] is None
        assert entry["no_detectable_gap"] is None
    assert (
        json.loads(report.to_json())["fairness"]["subgroup"]["accuracy"]["no_detectable_gap"]
        is None
    )
    text = report.render()
    assert UNTESTED_NOTE in text.splitlines()
    assert "no detectable gap)" not in text


def test_permutations_give_a_verdict(built_default: Path, majority_file: Path) -> None:
    report = score_predictions(majority_file, built_default, n_boot=0, n_permutations=50)
    entry = report.to_dict()["fairness"]["subgroup"]["accuracy"]
    assert entry["p_value"] is not None
    assert entry["no_detectable_gap"] is (entry["p_value"] >= 0.05)
    assert UNTESTED_NOTE not in report.render()
