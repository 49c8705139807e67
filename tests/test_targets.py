"""Targets and splits a user can trust, proved on a hand-made respondent table.

The table (:mod:`respondent_tables`) has a near-copy OOD subgroup and a tied mode; every
expected value is recomputed here from the respondents themselves.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import respondent_tables as handmade
from scoring_fixtures import (
    HAND_PREDICTIONS,
    TRAIN_ROW,
    hand_rows,
    make_row,
    write_dataset,
    write_hand_dataset,
    write_jsonl,
)

from sgbench.builder import build_dataset
from sgbench.builder.config import PersonaPhrase, resolve_config
from sgbench.builder.reliability import mode_stability, normal_cdf
from sgbench.builder.subgroups import persona_sentence
from sgbench.catalogue import load_catalogue
from sgbench.dataset import load_config, load_manifest
from sgbench.scoring import score_predictions
from sgbench.scoring.data import load_scoring_data
from sgbench.scoring.metrics import METRICS, distribution_distance
from sgbench.scoring.predictions import read_predictions
from sgbench.splits import id_hash


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("handmade")
    data, conf = handmade.write(folder)
    summary = build_dataset(wvs_path=data, config_path=conf, out_dir=folder / "out")
    return folder / "out", summary.render()


def rows(folder: Path, config: str) -> pd.DataFrame:
    frames = load_config(folder, config)
    return pd.concat([f.assign(split=s) for s, f in frames.items()], ignore_index=True)


def leaks(samples: pd.DataFrame, split: pd.Series, people: pd.DataFrame) -> list[tuple[str, str]]:
    """Every (held-out id, train id) pair of the same question whose subgroups share a
    respondent: the leakage property, checked literally on respondent sets."""
    found = []
    train = samples[split == "train"]
    for sample in samples[split.isin(["validation", "test_id"])].itertuples():
        inside = handmade.members(people, sample.subgroup)
        for other in train[train["question_id"] == sample.question_id].itertuples():
            if inside & handmade.members(people, other.subgroup):
                found.append((sample.id, other.id))
    return found


def test_held_out_pairs_have_no_train_answer_from_shared_respondents(
    built: tuple[Path, str],
) -> None:
    folder, _ = built
    people = handmade.table()
    samples = rows(folder, "default")
    held = samples["split"].isin(["validation", "test_id"])
    assert held.sum() > 0
    assert leaks(samples, samples["split"], people) == []
    assert set(samples.loc[held, "question_id"]).isdisjoint(
        samples.loc[samples["split"] == "train", "question_id"]
    )
    manifest = load_manifest(folder)
    assert manifest["splits"]["unit"] == "question"
    assert "no validation or test_id sample" in manifest["splits"]["leakage"]


def test_the_old_per_sample_hash_split_leaks_on_the_same_table(built: tuple[Path, str]) -> None:
    # The rule this release replaced, reimplemented: each in-distribution sample's split drawn
    # from a seeded hash of its own id (below validation_fraction: validation; below
    # validation_fraction + test_id_fraction: test_id). The property check above finds leaks
    # in it, so it is not vacuous: held-out pairs whose subgroup shares respondents with a
    # train pair of the same question, e.g. a religion held out while its sex × religion
    # child trains.
    folder, _ = built
    people = handmade.table()
    samples = rows(folder, "default")
    in_dist = samples["split"] != "test_ood"
    rule = load_manifest(folder)["splits"]
    draw = pd.Series(id_hash(samples["id"], rule["seed"]))
    validation = rule["validation_fraction"]
    test_id = validation + rule["test_id_fraction"]
    old = pd.Series(
        np.select([draw < validation, draw < test_id], ["validation", "test_id"], "train"),
        dtype=object,
    ).where(in_dist, "test_ood")
    found = leaks(samples, old, people)
    assert len(found) > 0
    nested = [
        (held, train)
        for held, train in found
        if held.split("/")[1] in train.split("/")[1] or train.split("/")[1] in held.split("/")[1]
    ]
    assert len(nested) > 0


def jaccard(a: set[int], b: set[int]) -> float:
    return len(a & b) / len(a | b)


def test_train_overlap_names_the_nearest_training_subgroup(built: tuple[Path, str]) -> None:
    folder, summary = built
    people = handmade.table()
    paper = rows(folder, "paper")
    train_groups = paper[paper["split"] == "train"].drop_duplicates("subgroup_id")
    ood_groups = paper[paper["split"] == "test_ood"].drop_duplicates("subgroup_id")
    recorded = load_manifest(folder)["train_overlap"]
    assert set(recorded) == set(ood_groups["subgroup_id"])
    for ood in ood_groups.itertuples():
        inside = handmade.members(people, ood.subgroup)
        scores = {
            t.subgroup_id: jaccard(inside, handmade.members(people, t.subgroup))
            for t in train_groups.itertuples()
        }
        best = max(scores, key=lambda sid: (scores[sid], -list(scores).index(sid)))
        assert recorded[ood.subgroup_id]["subgroup"] == best
        assert recorded[ood.subgroup_id]["jaccard"] == pytest.approx(scores[best], abs=1e-6)
        rows_of = paper[paper["subgroup_id"] == ood.subgroup_id]
        np.testing.assert_allclose(rows_of["train_overlap"], scores[best])
    # The near-copy: every Hindu is Indian.
    assert recorded["ethnicity=indian&religion=hindu"] == {
        "subgroup": "religion=hindu",
        "jaccard": 1.0,
    }
    assert recorded["ethnicity=chinese&religion=buddhist"]["jaccard"] == pytest.approx(24 / 30)
    assert (paper.loc[paper["split"] == "train", "train_overlap"] == 1.0).all()
    lines = summary.splitlines()
    heading = next(i for i, line in enumerate(lines) if "near-copies" in line)
    assert lines[heading + 1].strip() == "ethnicity=indian&religion=hindu ≈ religion=hindu (1.000)"


def test_max_train_overlap_drops_near_copies_only(tmp_path: Path) -> None:
    data, conf = handmade.write(tmp_path, max_train_overlap=0.9)
    build_dataset(wvs_path=data, config_path=conf, out_dir=tmp_path / "out")
    manifest = load_manifest(tmp_path / "out")
    assert manifest["splits"]["dropped_for_overlap"] == ["ethnicity=indian&religion=hindu"]
    for config in ("default", "paper"):
        samples = rows(tmp_path / "out", config)
        ood = set(samples.loc[samples["split"] == "test_ood", "subgroup_id"])
        assert "ethnicity=indian&religion=hindu" not in ood
        assert "ethnicity=chinese&religion=buddhist" in ood
        assert (samples.loc[samples["split"] == "test_ood", "train_overlap"] <= 0.9).all()


def respondent_bootstrap(
    answers: np.ndarray, weights: np.ndarray, k: int, answer: int, rng: np.random.Generator
) -> float:
    """The literal definition: resample the pair's respondents (keeping their weights) 1,000
    times; the share of resamples in which ``answer`` (a scale position) is a modal answer."""
    draws = rng.integers(0, len(answers), size=(1000, len(answers)))
    totals = np.zeros((1000, k))
    np.add.at(
        totals,
        (np.repeat(np.arange(1000), len(answers)), answers[draws].ravel()),
        weights[draws].ravel(),
    )
    top = totals.max(axis=1, keepdims=True)
    return float(np.mean(totals[:, answer] >= top[:, 0] - 1e-9))


def test_mode_stability_agrees_with_a_respondent_bootstrap(built: tuple[Path, str]) -> None:
    folder, _ = built
    people = handmade.table()
    samples = rows(folder, "paper")
    rng = np.random.default_rng(0)
    differences = []
    for sample in samples.itertuples():
        codes = [o["code"] for o in sample.options]
        inside = sorted(handmade.members(people, sample.subgroup))
        answered = people.iloc[inside]
        answered = answered[answered[sample.question_id].isin(codes)]
        position = answered[sample.question_id].map({c: i for i, c in enumerate(codes)})
        truth = respondent_bootstrap(
            position.to_numpy(),
            answered["W_WEIGHT"].to_numpy(),
            len(codes),
            codes.index(sample.answer),
            rng,
        )
        differences.append(truth - sample.mode_stability)
    assert np.mean(np.abs(differences)) < 0.03
    # The tie: men split exactly between Q1's first two options, all with weight 1, so the
    # bootstrap's answer is a binomial: Q1 = 1 stays modal when at least half of 42 draws are 1.
    tie = samples[samples["id"] == "Q1/sex=male"].iloc[0]
    assert list(tie["modal_answers"]) == [1, 2]
    men = people[people["Q260"] == 1]
    assert sorted(men["Q1"].value_counts().tolist()) == [21, 21]
    assert (men["W_WEIGHT"] == 1.0).all()
    exact = sum(math.comb(42, j) for j in range(21, 43)) / 2**42
    assert tie["mode_stability"] == pytest.approx(exact, abs=0.01)


def test_mode_stability_by_hand_for_two_options() -> None:
    # Counts 30 and 10, unit weights (shares .75 and .25 of a total weight of 40): under the
    # Poisson bootstrap T_a − T_b ~ N(20, 30 + 10); two options chosen, so the difference moves
    # in steps of 2 and a tie (0) counts: P(T_a − T_b > −1) = Φ(21 / √40).
    shares, totals = np.array([[0.75, 0.25]]), np.array([40.0])
    value = mode_stability(
        shares, totals, np.array([[30.0, 10.0]]), np.array([0]), np.array([2]), np.array([40])
    )
    assert value[0] == pytest.approx(normal_cdf(np.array([21 / np.sqrt(40.0)]))[0], abs=1e-4)
    # Unequal weights (sums 30 and 10, squared sums 45 and 12): no correction, Φ(20 / √57).
    value = mode_stability(
        shares, totals, np.array([[45.0, 12.0]]), np.array([0]), np.array([2]), np.array([40])
    )
    assert value[0] == pytest.approx(normal_cdf(np.array([20 / np.sqrt(57.0)]))[0], abs=1e-4)


def test_normal_cdf_matches_known_values() -> None:
    np.testing.assert_allclose(
        normal_cdf(np.array([0.0, 1.0, -1.96, 3.0])),
        [0.5, 0.8413447461, 0.0249978952, 0.9986501020],
        atol=2e-7,
    )


def test_manifest_records_the_reliability_method(built: tuple[Path, str]) -> None:
    folder, _ = built
    method = json.loads((folder / "manifest.json").read_text())["mode_stability"]
    assert "Poisson bootstrap" in method["method"]
    assert method["replicates"] is None
    # Built with another config than the paper's: its counts are not cited.
    assert load_manifest(folder)["paper_counts"] is None


def test_score_report_gives_ceiling_normalised_accuracy_and_overlap_bands(tmp_path: Path) -> None:
    # The hand-worked rows of scoring_fixtures (accuracy per sample in its docstring table:
    # S1 0, 0, 0; S2 0, 1, 0; S3 1, 1, 1 over Q1, Q2, Q3), with a stability and an overlap per
    # subgroup.
    stability = {"16-24/Muslim": 0.5, "25-34/Muslim": 0.8, "16-24/Buddhist": 1.0}
    overlap = {"16-24/Muslim": 0.95, "25-34/Muslim": 0.6, "16-24/Buddhist": 0.2}
    rows = []
    for row in hand_rows():
        key = f"{row['subgroup']['age_group']}/{row['subgroup']['religion']}"
        rows.append({**row, "mode_stability": stability[key], "train_overlap": overlap[key]})
    root = write_dataset(tmp_path / "ds", {"test_ood": rows, "train": [TRAIN_ROW]})
    predictions = write_jsonl(tmp_path / "p.jsonl", HAND_PREDICTIONS)
    report = score_predictions(predictions, root, n_boot=0).to_dict()
    ceiling = (3 * 0.5 + 3 * 0.8 + 3 * 1.0) / 9
    assert report["ceiling"]["accuracy"] == pytest.approx(ceiling)
    assert report["ceiling"]["by_subgroup"] == pytest.approx(
        {
            "age_group=16-24&religion=muslim": 0.5,
            "age_group=25-34&religion=muslim": 0.8,
            "age_group=16-24&religion=buddhist": 1.0,
        }
    )
    assert report["metrics"]["accuracy"] == pytest.approx(4 / 9)
    assert report["metrics"]["accuracy_normalised"] == pytest.approx((4 / 9) / ceiling)
    bands = report["by_overlap"]
    assert set(bands) == {">=0.9", "0.5-0.9", "<0.5"}
    assert bands[">=0.9"]["accuracy"] == pytest.approx(0.0)
    assert bands["0.5-0.9"]["accuracy"] == pytest.approx(1 / 3)
    assert bands["<0.5"]["accuracy"] == pytest.approx(1.0)
    assert [bands[b]["n"] for b in (">=0.9", "0.5-0.9", "<0.5")] == [3, 3, 3]
    # Without the predictions of one accurate sample (S3's): it counts as wrong in accuracy, and
    # still counts in the ceiling (the mean over the split's samples, like accuracy's).
    dropped = next(p for p in HAND_PREDICTIONS if "buddhist" in p["id"])
    fewer = [p for p in HAND_PREDICTIONS if p is not dropped]
    partial = write_jsonl(tmp_path / "fewer.jsonl", fewer)
    report = score_predictions(partial, root, n_boot=0).to_dict()
    assert report["ceiling"]["accuracy"] == pytest.approx(ceiling)
    assert report["metrics"]["accuracy"] == pytest.approx(3 / 9)
    assert report["metrics"]["accuracy_normalised"] == pytest.approx((3 / 9) / ceiling)


def test_score_report_without_reliability_fields_has_no_ceiling(tmp_path: Path) -> None:
    root = write_hand_dataset(tmp_path / "ds")
    predictions = write_jsonl(tmp_path / "p.jsonl", HAND_PREDICTIONS)
    report = score_predictions(predictions, root, n_boot=0).to_dict()
    assert report["ceiling"] is None
    assert report["by_overlap"] is None
    assert "accuracy_normalised" not in report["metrics"]


# Q119's scale: strongly agree, agree, hard to say (code 0, off-scale), disagree, strongly
# disagree; K' = 4 on-scale points.
Q119 = [(1, "Strongly agree"), (2, "Agree"), (0, "Hard to say"), (3, "Disagree"), (4, "Strongly")]
SUBGROUPS = [{"sex": "Male"}, {"sex": "Female"}, {"religion": "Hindu"}]


def _off_scale_values(tmp_path: Path, predictions: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    flagged = [
        # p = [.1, .4, .2, .2, .1]: mode "agree" (code 2).
        make_row("Q119", SUBGROUPS[0], Q119, [1, 4, 2, 2, 1], off_scale=[0]),
        # p = [.1, .2, .4, .2, .1]: mode "hard to say" (code 0).
        make_row("Q119", SUBGROUPS[1], Q119, [1, 2, 4, 2, 1], off_scale=[0]),
    ]
    # Without the flag: the old interval reading, for contrast. A dataset of its own, since
    # every row of one question carries the same options in a valid dataset.
    unflagged = [make_row("Q119", SUBGROUPS[2], Q119, [1, 4, 2, 2, 1])]
    parts = []
    for name, rows in (("flagged", flagged), ("unflagged", unflagged)):
        root = write_dataset(tmp_path / name / "ds", {"test_ood": rows})
        data = load_scoring_data(root, "default", "test_ood")
        ids = {row["id"] for row in rows}
        mine = [p for p in predictions if p["id"] in ids]
        arrays = read_predictions(write_jsonl(tmp_path / name / "p.jsonl", mine), data).arrays
        order = [data.index[row["id"]] for row in rows]
        parts.append({m: METRICS[m](data.items, arrays)[order] for m in ("nmae", "wasserstein")})
    return {m: np.concatenate([part[m] for part in parts]) for m in ("nmae", "wasserstein")}


def test_off_scale_options_are_nominal_in_nmae_and_wasserstein(tmp_path: Path) -> None:
    ids = [make_row("Q119", s, Q119, [1, 1, 1, 1, 1])["id"] for s in SUBGROUPS]
    # Everyone answers "disagree" (code 3).
    values = _off_scale_values(tmp_path / "a", [{"id": i, "answer": 3} for i in ids])
    # Men: mode "agree", on-scale ranks agree 1, disagree 2 → |2 − 1| / 3.
    # Women: mode "hard to say" (off-scale) ≠ disagree → 1.
    # Unflagged: positions 1 and 3 of 5 → 2 / 4.
    np.testing.assert_allclose(values["nmae"], [1 / 3, 1.0, 2 / 4])
    # Wasserstein from a point mass at "disagree": mean distance of the subgroup's answers, with
    # on-scale distances |rank − 2| / 3 and 1 for "hard to say":
    # men .1·2/3 + .4·1/3 + .2·1 + .2·0 + .1·1/3; women .1·2/3 + .2·1/3 + .4·1 + .2·0 + .1·1/3.
    men = 0.1 * 2 / 3 + 0.4 / 3 + 0.2 + 0.1 / 3
    women = 0.1 * 2 / 3 + 0.2 / 3 + 0.4 + 0.1 / 3
    # Unflagged: interval reading over 5 positions, .1·3/4 + .4·2/4 + .2·1/4 + .1·1/4.
    flat = 0.1 * 3 / 4 + 0.4 * 2 / 4 + 0.2 / 4 + 0.1 / 4
    np.testing.assert_allclose(values["wasserstein"], [men, women, flat], atol=1e-12)


def test_off_scale_answer_is_one_away_from_everything_else(tmp_path: Path) -> None:
    ids = [make_row("Q119", s, Q119, [1, 1, 1, 1, 1])["id"] for s in SUBGROUPS]
    values = _off_scale_values(tmp_path, [{"id": i, "answer": 0} for i in ids])
    # Men: "hard to say" is not the mode "agree" → 1; women: it is the mode → 0.
    np.testing.assert_allclose(values["nmae"][:2], [1.0, 0.0])
    # A point mass at an off-scale option: W = 1 − p(hard to say).
    np.testing.assert_allclose(values["wasserstein"][:2], [1 - 0.2, 1 - 0.4], atol=1e-12)


def test_catalogue_marks_the_off_scale_options() -> None:
    marked = {
        item.question_id: [o.code for o in item.options if o.off_scale]
        for item in load_catalogue()
        if any(o.off_scale for o in item.options)
    }
    expected = {"Q119": [0]}
    expected.update({f"Q{n}": [1] for n in range(122, 130)})
    expected.update({f"Q{n}": [0] for n in range(241, 250)})
    assert marked == expected
    # Marked options are listed by their items with the codebook's labels.
    items = {i.question_id: i for i in load_catalogue()}
    assert [o.label for o in items["Q122"].options if o.off_scale] == ["Hard to say"]
    assert [o.label for o in items["Q241"].options if o.off_scale] == ["It is against democracy"]


def test_singapore_config_has_the_papers_seven_religion_values() -> None:
    config = resolve_config(None, None)
    religion = config.attributes["religion"]
    assert religion.labels == (
        "No religion",
        "Roman Catholic",
        "Protestant",
        "Muslim",
        "Hindu",
        "Buddhist",
        "Other",
    )
    # Orthodox (3), Jewish (4) and other Christian (8) join Other (9).
    assert religion.source.values["Other"] == (3, 4, 8, 9)
    phrases = [PersonaPhrase("adjective", "Malay"), religion.persona["Other"]]
    assert (
        persona_sentence(phrases, "Singapore")
        == "You are a Malay person who follows another religion, living in Singapore."
    )


def test_summary_and_card_cite_the_papers_counts_beside_ours(built_default: Path) -> None:
    manifest = load_manifest(built_default)
    paper = manifest["paper_counts"]
    assert paper == {
        "train_subgroups": 50,
        "ood_subgroups": 48,
        "train_samples": 10_700,
        "ood_samples": 10_177,
        "items": 214,
    }
    ours = manifest["configs"]["paper"]
    card = (built_default / "README.md").read_text(encoding="utf-8")
    assert f"| train subgroups | {ours['train']['subgroups']} | 50 |" in card
    assert f"| OOD samples | {ours['test_ood']['samples']} | 10,177 |" in card
    assert "known subgroups on unseen questions" in card


def _stability_of_counts(counts: list[int], weights: np.ndarray | None = None) -> float:
    """``mode_stability`` of option 0 for respondents answering ``counts`` (weights 1 unless
    given, in answer order)."""
    answers = np.repeat(np.arange(len(counts)), counts)
    w = np.ones(len(answers)) if weights is None else weights
    totals = np.bincount(answers, weights=w, minlength=len(counts))
    squares = np.bincount(answers, weights=w * w, minlength=len(counts))
    return float(
        mode_stability(
            (totals / totals.sum())[None, :],
            np.array([totals.sum()]),
            squares[None, :],
            np.array([0]),
            np.array([len(counts)]),
            np.array([len(answers)]),
        )[0]
    )


@pytest.mark.parametrize("n", range(30, 36))
def test_mode_stability_matches_the_exact_binomial_bootstrap_of_small_binary_pairs(n: int) -> None:
    # Two options, unit weights: a respondent bootstrap's count X of option 0 is exactly
    # Binomial(n, a / n), and option 0 is modal when X ≥ n / 2 (a tie counts). Odd and even n
    # both: the continuity correction depends on whether a tie can happen at all.
    for a in range(math.ceil(n / 2), n + 1):
        p = a / n
        exact = sum(
            math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(math.ceil(n / 2), n + 1)
        )
        assert _stability_of_counts([a, n - a]) == pytest.approx(exact, abs=0.01), (n, a)


def test_mode_stability_null_tie_and_planted_majority() -> None:
    # NULL: three options chosen equally often (an exact three-way tie of 11 each): by symmetry
    # each is modal in at least a third of resamples; a literal bootstrap gives the rest.
    rng = np.random.default_rng(7)
    tie = respondent_bootstrap(np.repeat(np.arange(3), 11), np.ones(33), 3, 0, rng)
    assert tie > 1 / 3
    assert _stability_of_counts([11, 11, 11]) == pytest.approx(tie, abs=0.03)
    # PLANTED: 28 of 32 pick option 0: it is modal in (nearly) every resample.
    assert _stability_of_counts([28, 2, 2]) > 0.999


@pytest.mark.parametrize("seed", range(4))
def test_mode_stability_of_small_weighted_pairs_agrees_with_a_literal_bootstrap(seed: int) -> None:
    # 30–35 respondents with survey-like weights (0.3–2.5), 2 to 10 options: every pair within
    # 0.06 of a literal 1,000-replicate respondent bootstrap (its own Monte Carlo standard
    # error is at most 0.016), and within 0.03 on average.
    rng = np.random.default_rng(seed)
    differences = []
    for k in (2, 3, 4, 5, 10):
        for _ in range(6):
            n = int(rng.integers(30, 36))
            answers = rng.choice(k, size=n, p=rng.dirichlet(np.full(k, 2.0)))
            weights = rng.uniform(0.3, 2.5, n)
            totals = np.bincount(answers, weights=weights, minlength=k)
            top = int(totals.argmax())
            # Put the modal option first so option 0 is the sample's answer.
            order = np.r_[top, np.delete(np.arange(k), top)]
            relabel = np.argsort(order)[answers]
            sort = np.argsort(relabel, kind="stable")
            value = _stability_of_counts(np.bincount(relabel, minlength=k).tolist(), weights[sort])
            truth = respondent_bootstrap(relabel, weights, k, 0, rng)
            differences.append(value - truth)
    assert np.max(np.abs(differences)) < 0.06
    assert np.mean(np.abs(differences)) < 0.03


def _plans(rows: list[int], columns: list[int]) -> Any:
    """Every transport plan (non-negative integer matrix) with the given row and column sums."""
    if not rows:
        yield []
        return
    first, rest = rows[0], rows[1:]

    def splits(total: int, caps: list[int]) -> Any:
        if len(caps) == 1:
            if total <= caps[0]:
                yield [total]
            return
        for take in range(min(total, caps[0]) + 1):
            for tail in splits(total - take, caps[1:]):
                yield [take, *tail]

    for row in splits(first, columns):
        left = [c - r for c, r in zip(columns, row, strict=True)]
        for tail in _plans(rest, left):
            yield [row, *tail]


def optimal_transport(p: list[int], q: list[int], ground: np.ndarray, unit: int) -> float:
    """Brute force: the cheapest of all plans moving ``p`` to ``q`` (masses in ``1/unit``)."""
    return min(float((np.array(plan) * ground).sum()) / unit for plan in _plans(p, q))


# Three on-scale points (ranks 0, 1, 2: steps of 1/2) and one off-scale option (distance 1 from
# everything else), in that order of columns.
GROUND = np.array(
    [[0, 0.5, 1, 1], [0.5, 0, 0.5, 1], [1, 0.5, 0, 1], [1, 1, 1, 0]], dtype=np.float64
)
OFF = np.array([[False, False, False, True]])


def _distance(p: list[int], q: list[int], unit: int = 5) -> float:
    return float(
        distribution_distance(
            np.array([p], dtype=np.float64) / unit,
            np.array([q], dtype=np.float64) / unit,
            np.array([4]),
            np.array([False]),
            OFF,
        )[0]
    )


def test_off_scale_distance_is_the_transport_cost_from_a_point_mass() -> None:
    # A point mass (on or off the scale) against any distribution: the formula is the optimal
    # transport cost, i.e. the mean ground distance, found here by enumerating every plan.
    for point in range(4):
        mass = [5 if j == point else 0 for j in range(4)]
        for p in ([1, 2, 0, 2], [0, 0, 0, 5], [2, 1, 1, 1], [0, 5, 0, 0]):
            expected = optimal_transport(p, mass, GROUND, 5)
            assert _distance(p, mass) == pytest.approx(expected, abs=1e-12), (p, point)
            assert _distance(mass, p) == pytest.approx(expected, abs=1e-12), (p, point)


def test_off_scale_distance_bounds_the_optimal_transport_between_spread_distributions() -> None:
    # Between two spread distributions the formula moves the on-scale answers in proportion
    # (a feasible plan), so it is never below the optimal transport and can exceed it. Example:
    # p half at rank 0, half off-scale; q half at rank 0, half at rank 2. Optimal: move the
    # off-scale half to rank 2 at cost 1, total 1/2; the formula gives ½(½ + ½) + ½ · W1 of
    # [1, 0, 0] and [½, 0, ½] over 3 points (½) = 3/4.
    assert optimal_transport([2, 0, 0, 2], [2, 0, 2, 0], GROUND, 4) == pytest.approx(0.5)
    assert _distance([2, 0, 0, 2], [2, 0, 2, 0], unit=4) == pytest.approx(0.75)
    rng = np.random.default_rng(2)
    for _ in range(40):
        p = rng.multinomial(5, np.full(4, 0.25)).tolist()
        q = rng.multinomial(5, np.full(4, 0.25)).tolist()
        value = _distance(p, q)
        assert value >= optimal_transport(p, q, GROUND, 5) - 1e-12, (p, q)
        assert value <= 1.0
    # NULL: identical distributions, with or without off-scale mass, are at distance 0.
    assert _distance([1, 2, 0, 2], [1, 2, 0, 2]) == 0.0
    assert _distance([0, 0, 0, 5], [0, 0, 0, 5]) == 0.0


def test_nmae_with_an_off_scale_option_in_a_tied_mode(tmp_path: Path) -> None:
    # Q119 counts 1, 4, 4, 1, 0: modes "agree" (code 2, on-scale rank 1) and "hard to say"
    # (code 0, off-scale) tie. "hard to say" → 0 (it is a mode); "disagree" (rank 2) → 1/3 (one
    # step from "agree"; 1 from "hard to say"; the nearest mode counts); "strongly agree" → 1/3.
    row = make_row("Q119", SUBGROUPS[0], Q119, [1, 4, 4, 1, 0], off_scale=[0])
    root = write_dataset(tmp_path / "ds", {"test_ood": [row]})
    data = load_scoring_data(root, "default", "test_ood")
    expected = {0: 0.0, 3: 1 / 3, 1: 1 / 3, 4: 2 / 3}
    for answer, value in expected.items():
        path = write_jsonl(tmp_path / f"p{answer}.jsonl", [{"id": row["id"], "answer": answer}])
        arrays = read_predictions(path, data).arrays
        assert METRICS["nmae"](data.items, arrays)[0] == pytest.approx(value), answer


def _ceiling_and_oracle(truth: np.ndarray, n: int, rng: np.random.Generator) -> tuple[float, float]:
    """Redraw ``n`` unweighted answers per row from ``truth``: the mean ``mode_stability`` of the
    redrawn targets (the scorer's ceiling), and the accuracy of predicting the true mode."""
    rows, k = truth.shape
    counts = rng.multinomial(n, truth).astype(np.float64)
    stability = mode_stability(
        counts / n,
        np.full(rows, float(n)),
        counts,
        counts.argmax(axis=1),
        np.full(rows, k),
        np.full(rows, n),
    )
    modal = counts == counts.max(axis=1, keepdims=True)
    return float(stability.mean()), float(modal[np.arange(rows), truth.argmax(axis=1)].mean())


def test_ceiling_is_the_true_modes_accuracy_when_modes_are_clear() -> None:
    # PLANTED: 2,000 subgroups of 100 with distinct true modes (4 options, flat Dirichlet): the
    # ceiling (mean mode_stability) matches the accuracy of a predictor of the true
    # distributions, counted as the scorer counts it (its answer among the tied modes).
    rng = np.random.default_rng(8)
    ceiling, oracle = _ceiling_and_oracle(rng.dirichlet(np.ones(4), size=2000), 100, rng)
    assert ceiling == pytest.approx(oracle, abs=0.025)


def test_ceiling_overstates_the_true_modes_accuracy_when_there_is_no_mode() -> None:
    # NULL: every option equally likely (no true mode), 31 respondents. The true-mode predictor
    # (option 0) is right when option 0 is among the observed modes: about a quarter, plus ties.
    # mode_stability starts from the observed mode, which already won a draw, so it stays modal
    # in most resamples: the documented winner's-curse bias of the ceiling on near-flat items.
    rng = np.random.default_rng(9)
    ceiling, oracle = _ceiling_and_oracle(np.full((2000, 4), 0.25), 31, rng)
    assert 0.25 < oracle < 0.35
    assert ceiling > oracle + 0.2
