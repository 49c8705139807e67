"""The leaderboard on a crafted dataset: ranking, ties, significance, invalid and hostile entries.

The crafted dataset: four questions (Q1-Q4, options 1-4 in scale order), three OOD subgroups
(16-24 × Muslim, 25-34 × Muslim, 16-24 × Buddhist), so 12 ``test_ood`` samples; ``test_id`` holds
the four samples of Female; every sample's mode is code 1 (counts [6, 2, 1, 1]). A wrong answer 2
costs NMAE 1/3, a wrong answer 4 costs 1. The entries (OOD accuracy, NMAE by hand):

=========  ==========================  ========  ======
slug       wrong on                    accuracy  NMAE
=========  ==========================  ========  ======
alpha      nothing (also predicts ID)  12/12     0
beta       Q1 (answer 2)               9/12      1/12
delta      Q1 (answer 2)               9/12      1/12
hostile    Q1 (answer 2)               9/12      1/12
gamma      Q1 (answer 4)               9/12      3/12
epsilon    Q1, Q2 (answer 4)           6/12      6/12
zeta       everything (answer 4)       0/12      1
=========  ==========================  ========  ======

So the ranks are 1, 2, 2, 2, 2, 6, 7, listed alpha, then beta, delta, hostile (same NMAE: slug
order), gamma (higher NMAE), epsilon, zeta.

Significance (leader alpha): in a bootstrap replicate drawing question q W_q times out of 4, the
accuracy gap of beta is W_Q1 / 4, which is 0 with probability (3/4)^4 ≈ 0.32 > 0.025, so its
interval starts at 0 (not significantly below); zeta's gap is 1 in every replicate: [1, 1].
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator
from leaderboard_fixtures import (
    HOSTILE_MODEL,
    HOSTILE_NOTES,
    HOSTILE_ORGANISATION,
    metadata,
    ood_ids,
    sample_id,
    submit,
    write_board_dataset,
    write_invalid_submissions,
    write_valid_submissions,
    wrong_on,
)

from sgbench.cli import EXIT_LEFT_OUT, main
from sgbench.errors import InputError, one_line
from sgbench.files import OUTPUT_MARKER
from sgbench.leaderboard import (
    OUTPUT_FILES,
    Leaderboard,
    build_leaderboard,
    render_files,
    validate_submission,
    write_leaderboard,
)
from sgbench.leaderboard.ranking import competition_ranks, displayed, listing_order, worst_group
from sgbench.leaderboard.render import csv_text, fairness_text, md_text
from sgbench.leaderboard.submission import version_mismatch
from sgbench.schema import load_schema, validator
from sgbench.scoring import score_predictions
from sgbench.scoring.bootstrap import (
    MIN_REPLICATES,
    TWO_WAY,
    expanded_tail,
    multiplicities,
    paired_difference_intervals,
)
from sgbench.scoring.fairness import NO_GAP
from sgbench.validate import validate_folder


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_board_dataset(tmp_path_factory.mktemp("board") / "dataset")


@pytest.fixture(scope="module")
def valid_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_valid_submissions(tmp_path_factory.mktemp("valid") / "submissions")


@pytest.fixture(scope="module")
def board(toy_bootstrap_module: None, dataset: Path, valid_root: Path) -> Leaderboard:
    return build_leaderboard(valid_root, dataset, n_boot=300, seed=0)


@pytest.fixture(scope="module")
def mixed_root(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = write_valid_submissions(tmp_path_factory.mktemp("mixed") / "submissions")
    return root, write_invalid_submissions(root)


# --- ranking ----------------------------------------------------------------------------------


def test_rows_are_ranked_with_ties_and_the_tie_break(board: Leaderboard) -> None:
    assert [r.entry.slug for r in board.rows] == [
        "alpha",
        "beta",
        "delta",
        "hostile",
        "gamma",
        "epsilon",
        "zeta",
    ]
    assert [r.rank for r in board.rows] == [1, 2, 2, 2, 2, 6, 7]


@pytest.mark.usefixtures("toy_bootstrap")
def test_figures_are_the_hand_values_and_the_scorers(board: Leaderboard, dataset: Path) -> None:
    by_slug = {r.entry.slug: r for r in board.rows}
    expected = {
        "alpha": (1.0, 0.0),
        "beta": (0.75, 1 / 12),
        "gamma": (0.75, 3 / 12),
        "epsilon": (0.5, 6 / 12),
        "zeta": (0.0, 1.0),
    }
    for slug, (accuracy, nmae) in expected.items():
        assert by_slug[slug].ood.accuracy == pytest.approx(accuracy)
        assert by_slug[slug].ood.nmae == pytest.approx(nmae)
    report = score_predictions(
        by_slug["gamma"].entry.predictions, dataset, split="test_ood", n_boot=300, seed=0
    )
    assert by_slug["gamma"].ood.accuracy == report.metrics["accuracy"]
    assert by_slug["gamma"].ood.accuracy_ci == report.intervals.metrics["accuracy"]
    # Only alpha predicts test_id (all four right); the others show no ID figure.
    assert by_slug["alpha"].id is not None
    assert by_slug["alpha"].id.accuracy == 1.0
    assert all(r.id is None for r in board.rows if r.entry.slug != "alpha")
    # gamma is wrong on Q1 for every subgroup: accuracy 3/4 in each subgroup, so no spread, and
    # every shuffle of subgroup labels gives the same values (p = 1).
    fairness = by_slug["gamma"].ood.fairness["accuracy"]
    assert fairness == report.to_dict()["fairness"]["subgroup"]["accuracy"]
    for figure in ("norm_range", "cv", "sd_observed", "sd_between", "cv_between"):
        assert fairness[figure] == 0.0, figure
    assert fairness["p_value"] == 1.0
    assert fairness["no_detectable_gap"] is True


@pytest.mark.usefixtures("toy_bootstrap")
def test_leader_test_on_four_questions(board: Leaderboard) -> None:
    """A paired test over questions cannot reject with four questions: the smallest one-sided
    sign-flip p-value is 1/2⁴ (every question's difference keeping its sign), above 0.05. So even
    zeta, wrong everywhere, is not shown below the leader; the bootstrap interval still sizes the
    difference."""
    by_slug = {r.entry.slug: r for r in board.rows}
    assert by_slug["alpha"].not_below_leader is True
    assert by_slug["alpha"].leader_p_value is None
    assert by_slug["alpha"].leader_gap_ci == (0.0, 0.0)
    n = board.n_permutations
    tolerance = 5 * np.sqrt(0.25 / n)
    zeta = by_slug["zeta"]
    assert zeta.leader_gap_ci == (1.0, 1.0)
    assert zeta.leader_p_value == pytest.approx(1 / 16, abs=tolerance)
    assert zeta.not_below_leader is True
    # beta differs from the leader on Q1 only: the test is a coin flip on that question's sign.
    assert by_slug["beta"].leader_p_value == pytest.approx(1 / 2, abs=tolerance)
    # Holm never lowers a p-value and keeps the order of the raw ones.
    tested = [r for r in board.rows if r.leader_p_value is not None]
    assert all(r.leader_p_holm is not None and r.leader_p_holm >= r.leader_p_value for r in tested)


def test_no_permutations_marks_nobody(dataset: Path, valid_root: Path) -> None:
    plain = build_leaderboard(valid_root, dataset, n_boot=0, n_permutations=0)
    assert all(r.not_below_leader is None and r.leader_gap_ci is None for r in plain.rows)
    assert all(r.leader_p_value is None for r in plain.rows)
    assert all(r.ood.accuracy_ci is None for r in plain.rows)
    assert all(r.ood.fairness["accuracy"]["p_value"] is None for r in plain.rows)
    markdown = render_files(plain)["leaderboard.md"]
    assert "| 1 | Alpha | zero-shot | A lab | 1.000 | – | – |" in markdown
    assert "(p " not in markdown  # no p-values in the table


@pytest.mark.usefixtures("toy_bootstrap")
def test_paired_difference_intervals_equal_a_plain_loop() -> None:
    rng = np.random.default_rng(3)
    questions = np.repeat([f"q{i}" for i in range(7)], 5)
    values = rng.random((3, len(questions)))
    got = paired_difference_intervals(values, questions, 1, n_boot=400, seed=11)
    weights = multiplicities(7, 400, 11)
    codes = np.unique(questions, return_inverse=True)[1]
    means = np.zeros((400, 3))
    for b in range(400):
        w = weights[b][codes]
        means[b] = (values * w).sum(axis=1) / w.sum()
    tail = 100 * expanded_tail(7)  # the expanded percentile interval over 7 questions
    expected = np.percentile(means[:, [1]] - means, [tail, 100 - tail], axis=0).T
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    assert got[1].tolist() == [0.0, 0.0]
    with pytest.raises(InputError, match="reference row"):
        paired_difference_intervals(values, questions, 3, n_boot=MIN_REPLICATES, seed=0)
    assert np.isnan(paired_difference_intervals(values, questions, 0, n_boot=0, seed=0)).all()


def test_ranks_compare_the_displayed_precision() -> None:
    # 0.50025 and 0.49975 both show as 0.500 (and so does 0.4996): they share rank 2.
    accuracy = [0.50025, 0.49975, 0.6, 0.4996, 0.2]
    nmae = [0.3, 0.1, 0.5, 0.1, 0.0]
    slugs = ["a", "b", "c", "d", "e"]
    order = listing_order(accuracy, nmae, slugs)
    assert order == [2, 1, 3, 0, 4]  # c; then b and d (NMAE 0.1; slug order), a; e
    assert competition_ranks([displayed(accuracy[i]) for i in order]) == (1, 2, 2, 2, 5)
    assert displayed(0.49975) == displayed(0.50025)


def test_worst_group_ties_go_to_the_first_attribute_then_value() -> None:
    by_value = {"age_group": {"65+": 0.5, "16-24": 0.4}, "religion": {"Muslim": 0.4}}
    assert worst_group(by_value) == ("age_group=16-24", 0.4)


# --- invalid submissions ----------------------------------------------------------------------


def test_invalid_submissions_are_left_out_with_reasons(
    dataset: Path, mixed_root: tuple[Path, dict[str, str]]
) -> None:
    root, reasons = mixed_root
    mixed = build_leaderboard(root, dataset, n_boot=MIN_REPLICATES)
    assert [r.entry.slug for r in mixed.rows][:2] == ["alpha", "beta"]
    assert len(mixed.rows) == 7
    excluded = {e.slug: e.problems for e in mixed.excluded}
    assert set(excluded) == set(reasons)
    for slug, phrase in reasons.items():
        assert any(phrase in problem for problem in excluded[slug]), (slug, excluded[slug])
        # every problem is one line naming the submission's file (or folder)
        assert all("\n" not in p and p.startswith(slug) for p in excluded[slug])
    assert any("unknown id 'Q9/nobody'" in p for p in excluded["bad-lines"])
    assert any("$: Additional properties" in p for p in excluded["bad-schema"])
    outputs = render_files(mixed)
    listed = json.loads(outputs["leaderboard.json"])["excluded"]
    assert [e["slug"] for e in listed] == sorted(reasons)
    assert "## Left out" in outputs["leaderboard.md"]
    assert "bad-lines/predictions.jsonl: line 1: answer 9" in outputs["index.html"]


def test_cli_exit_codes(
    dataset: Path,
    valid_root: Path,
    mixed_root: tuple[Path, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    base = ["leaderboard", "--dataset", str(dataset), "--bootstrap", str(MIN_REPLICATES)]
    ok = runner.invoke(main, [*base, str(valid_root), "--out", "all"])
    assert ok.exit_code == 0, ok.output
    assert sorted(p.name for p in Path("all").iterdir()) == sorted([*OUTPUT_FILES, OUTPUT_MARKER])
    assert "Alpha" in ok.stdout
    left = runner.invoke(main, [*base, str(mixed_root[0]), "--out", "some"])
    assert left.exit_code == EXIT_LEFT_OUT == 3
    assert "left out 'bad-lines':" in left.stderr
    assert "  bad-lines/predictions.jsonl: line 1: answer 9" in left.stderr
    assert Path("some/leaderboard.json").is_file()
    Path("empty").mkdir()
    none = runner.invoke(main, [*base, "empty", "--out", "nothing"])
    assert none.exit_code == 2
    assert none.stderr.startswith("Error: empty: no submission folders")
    assert not Path("nothing").exists()


def test_validate_command_checks_submission_folders(
    dataset: Path, mixed_root: tuple[Path, Any]
) -> None:
    root = mixed_root[0]
    good = validate_folder(root / "alpha")
    assert good.kind == "submission"
    assert good.ok
    bad = validate_folder(root / "bad-schema")
    assert bad.problems
    assert all("bad-schema/submission.json" in p for p in bad.problems)
    runner = CliRunner()
    result = runner.invoke(main, ["validate", str(root / "alpha")])
    assert result.exit_code == 0
    assert "valid" in result.stdout
    result = runner.invoke(main, ["validate", str(root / "bad-schema")])
    assert result.exit_code == 2
    assert "$.method: 'magic' is not one of" in result.stderr
    # Without a dataset, line structure and duplicates are checked; with one, ids and answers too.
    lines = root / "bad-lines"
    assert validate_submission(lines).ok
    assert not validate_submission(lines, dataset).ok


def test_structural_checks_without_a_dataset(tmp_path: Path) -> None:
    folder = submit(tmp_path, "dup", wrong_on(set(), 1), metadata())
    with (folder / "predictions.jsonl").open("a", encoding="utf-8") as handle:
        handle.write('{"id": "Q1/age_group=16-24&religion=muslim", "answer": 2}\n')
        handle.write('{"id": "x", "answer": 1.0}\n')
    check = validate_submission(folder)
    assert check.problems == (
        f"{folder}/predictions.jsonl: line 13: duplicate id "
        "'Q1/age_group=16-24&religion=muslim' (first on line 1)",
        f"{folder}/predictions.jsonl: line 14: $.answer: 1.0 is not of type 'integer'",
    )
    empty = submit(tmp_path, "empty", None, metadata())
    assert validate_submission(empty).problems == (f"{empty}/predictions.jsonl: no such file",)


def test_submission_schema() -> None:
    Draft202012Validator.check_schema(load_schema("submission"))
    check = validator("submission")
    assert check.is_valid(metadata())
    assert check.is_valid(metadata(url="https://example.org/x", organisation="", notes=""))
    for bad in (
        metadata(date="2026-02-30"),
        metadata(date="20260301"),
        metadata(url="javascript:alert(1)"),
        metadata(url="https://a b"),
        metadata(method="baseline-ish"),
        metadata(dataset_version="v1"),
        metadata(model=""),
    ):
        assert not check.is_valid(bad), bad


@pytest.mark.parametrize(
    ("submitted", "dataset_version", "compatible"),
    [
        ("1.0.0", "1.0.0", True),
        ("1.2.0", "1.0.3", True),
        ("2.0.0", "1.0.0", False),
        ("1.0.0", "1.0.0+synthetic", False),
        ("1.0.0+synthetic", "1.1.0+synthetic", True),
    ],
)
def test_version_rule(submitted: str, dataset_version: str, compatible: bool) -> None:
    assert (version_mismatch(submitted, dataset_version) is None) is compatible


# --- hostile text -----------------------------------------------------------------------------


def test_hostile_text_is_escaped_in_every_output(
    dataset: Path, mixed_root: tuple[Path, Any]
) -> None:
    outputs = render_files(build_leaderboard(mixed_root[0], dataset, n_boot=MIN_REPLICATES))
    page = outputs["index.html"]
    assert page.count("<script") == 1  # the page's own script only
    assert "<img" not in page
    assert "&lt;script&gt;document.title=&quot;pwned&quot;&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # the hostile folder name, left out
    assert 'href="https://example.org/?a=1&amp;b=&#x27;x&#x27;"' in page

    markdown = outputs["leaderboard.md"]
    assert "<script" not in markdown
    assert "<img" not in markdown
    assert "&lt;script&gt;document.title=&quot;pwned&quot;&lt;/script&gt;Evil" in markdown
    assert "\\| \\*x\\*" in markdown  # no cell break, no emphasis
    hostile_line = next(line for line in markdown.splitlines() if "pwned" in line)
    header = next(line for line in markdown.splitlines() if line.startswith("| Rank"))
    assert hostile_line.count(" | ") == header.count(" | ")  # as many cells as columns

    table = list(csv.DictReader(io.StringIO(outputs["leaderboard.csv"])))
    hostile = next(row for row in table if row["slug"] == "hostile")
    assert hostile["model"] == HOSTILE_MODEL
    assert hostile["organisation"] == "'" + HOSTILE_ORGANISATION  # not a spreadsheet formula
    assert hostile["notes"] == one_line(HOSTILE_NOTES)

    text = outputs["leaderboard.json"]
    assert not {"<", ">", "&"} & set(text)
    entries = json.loads(text)["entries"]
    submitted = next(e["submission"] for e in entries if e["slug"] == "hostile")
    assert submitted["model"] == HOSTILE_MODEL
    assert submitted["notes"] == HOSTILE_NOTES


def test_escaping_helpers() -> None:
    assert one_line("a\nb\tc\x1b[31m\u202ed") == "a b c [31md"
    assert md_text("<b>|_x_|</b>") == "&lt;b&gt;\\|\\_x\\_\\|&lt;/b&gt;"
    assert csv_text("-1+2") == "'-1+2"
    assert csv_text("plain") == "plain"


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("# Winner", "\\# Winner"),  # a heading in the list of left-out folders
        ("###### x", "\\###### x"),
        ("- x", "\\- x"),  # a nested list
        ("+ x", "\\+ x"),
        ("1. x", "1\\. x"),  # an ordered list
        ("12) x", "12\\) x"),
        ("#hashtag", "#hashtag"),  # not a heading: no space after the marker
        ("-rf", "-rf"),
        ("3.5 Sonnet", "3.5 Sonnet"),
        ("a # b - c", "a # b - c"),  # only the start of a text can start a block
    ],
)
def test_markdown_text_cannot_start_a_block(text: str, escaped: str) -> None:
    """A folder name or problem starts a Markdown list item: ``- # x:`` is a heading there."""
    assert md_text(text) == escaped


# --- outputs ----------------------------------------------------------------------------------


def test_outputs_are_deterministic(dataset: Path, valid_root: Path, tmp_path: Path) -> None:
    copy = shutil.copytree(valid_root, tmp_path / "elsewhere" / "subs")
    first = write_leaderboard(
        build_leaderboard(valid_root, dataset, n_boot=MIN_REPLICATES), tmp_path / "a"
    )
    second = write_leaderboard(
        build_leaderboard(copy, dataset, n_boot=MIN_REPLICATES), tmp_path / "b"
    )
    for name in OUTPUT_FILES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


@pytest.mark.usefixtures("toy_bootstrap")
def test_markdown_has_the_required_columns(board: Leaderboard) -> None:
    lines = render_files(board)["leaderboard.md"].splitlines()
    header = next(line for line in lines if line.startswith("| Rank"))
    for column in (
        "Rank",
        "Model",
        "Method",
        "OOD accuracy",
        "95% CI",
        "≈ leader",
        "OOD NMAE",
        "Acc. cv\\_between (p)",
        "NMAE sd\\_between (p)",
        "Worst attribute group",
        "ID accuracy",
    ):
        assert f"| {column} |" in header
    markdown = render_files(board)["leaderboard.md"].replace("\\[", "[").replace("\\]", "]")
    # Zeta (wrong everywhere): no subgroup spread at all, so no detectable gap.
    assert "| 7 | Zeta | other | A lab | 0.000 | [0.000, 0.000] | yes | 1.000 | " in markdown
    assert "0.000 (p 1.000, no detectable gap) |" in markdown


def test_two_way_fairness_shows_the_verdicts_own_p(
    toy_bootstrap: None, dataset: Path, valid_root: Path
) -> None:
    """Two-way, a subgroup row's verdict is its within-question permutation p (the populations'
    null too, the groups being the subgroups): the p beside each fairness figure is the one the
    mark follows, so "no detectable gap" appears exactly beside p ≥ 0.05 (it stood beside
    p 0.001 when the two-way verdict read the interval)."""
    board = build_leaderboard(valid_root, dataset, n_boot=300, seed=0, resample=TWO_WAY)
    for row in board.rows:
        for metric, figure in (("accuracy", "cv_between"), ("nmae", "sd_between")):
            entry = row.ood.fairness[metric]
            text = fairness_text(row, metric, figure)
            assert entry["p_value"] is not None
            assert (NO_GAP in text) is (entry["p_value"] >= 0.05), text
            assert f"(p {entry['p_value']:.3f}" in text


def test_write_is_all_or_nothing(
    board: Leaderboard, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(InputError, match="not an earlier output of `sgbench leaderboard`"):
        write_leaderboard(board, stranger)
    assert [p.name for p in stranger.iterdir()] == ["keep.txt"]

    out = write_leaderboard(board, tmp_path / "out")
    before = {name: (out / name).read_bytes() for name in OUTPUT_FILES}

    def broken(_: Leaderboard) -> str:
        raise RuntimeError("disk full")

    monkeypatch.setattr("sgbench.leaderboard.to_html", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        write_leaderboard(board, out)
    assert {name: (out / name).read_bytes() for name in OUTPUT_FILES} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "stranger"]


def test_with_baselines_adds_four_entries(dataset: Path, valid_root: Path) -> None:
    with_baselines = build_leaderboard(
        valid_root, dataset, with_baselines=True, n_boot=MIN_REPLICATES
    )
    baselines = [r for r in with_baselines.rows if r.entry.baseline]
    assert sorted(r.entry.slug for r in baselines) == [
        "baseline:composition",
        "baseline:majority",
        "baseline:nearest",
        "baseline:random",
    ]
    assert all(r.entry.metadata["method"] == "baseline" for r in baselines)
    # Train answers 2 on every question (counts [1, 5, 3, 1]) while every target's mode is 1.
    majority = next(r for r in baselines if r.entry.slug == "baseline:majority")
    assert majority.ood.accuracy == 0.0
    assert majority.id is not None
    assert majority.id.accuracy == 0.0
    assert len(with_baselines.rows) == 11
    # Entries beyond the eight colours get another marker shape in the chart.
    page = render_files(with_baselines)["index.html"]
    assert page.count("<circle") == 8 * (4 + 1)  # 4 attribute values + the legend
    assert page.count("<rect") == 3 * (4 + 1)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            b'{"model": "x",\n "method": }',
            "submission.json: not valid JSON (Expecting value at line 2",
        ),
        (b'{"model": NaN}', "submission.json: not valid JSON (NaN is not a JSON number)"),
        # json.loads kept the last of two keys: the name shown was not the one first read.
        (b'{"model": "x", "model": "y"}', "submission.json: not valid JSON (key 'model' twice"),
        # A lone surrogate is no character: writing the page as UTF-8 crashed the whole run.
        (b'{"model": "\\ud800"}', "submission.json: not valid JSON ($.model: a lone UTF-16"),
        (b'{"model": "\xff"}', "submission.json: not UTF-8 text"),
        (b"[]", "submission.json: $: [] is not of type 'object'"),
    ],
)
def test_unreadable_metadata_is_one_problem(tmp_path: Path, content: bytes, problem: str) -> None:
    folder = submit(tmp_path, "broken", wrong_on(set(), 1), metadata())
    (folder / "submission.json").write_bytes(content)
    problems = validate_submission(folder).problems
    assert len(problems) == 1
    assert problems[0].startswith(f"{folder}/")
    assert problem in problems[0]


def test_the_dataset_is_read_once_whatever_the_number_of_entries(
    dataset: Path, valid_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sgbench.dataset

    opened: list[object] = []
    tables: list[tuple[str, str]] = []
    real_open, real_table = sgbench.dataset.open_dataset, sgbench.dataset.BuiltDataset.table

    def counting_open(ref: Any) -> Any:
        opened.append(ref)
        return real_open(ref)

    def counting_table(self: Any, config: str, split: str, columns: Any = None) -> Any:
        tables.append((split, ",".join(columns or [])))
        return real_table(self, config, split, columns)

    monkeypatch.setattr("sgbench.leaderboard.submission.open_dataset", counting_open)
    monkeypatch.setattr(sgbench.dataset.BuiltDataset, "table", counting_table)
    board = build_leaderboard(valid_root, dataset, n_boot=0)
    assert len(board.rows) > 2
    assert len(opened) == 1
    assert len(tables) == len(set(tables))  # no split read twice for the same columns


def test_refusal_rate_is_shown(dataset: Path, tmp_path: Path) -> None:
    root = tmp_path / "submissions"
    folder = submit(root, "shy", wrong_on(set(), 1), metadata(model="Shy"))
    refused = [sample_id(q, s) for q, s in ood_ids() if q == "Q1"]
    lines = [
        json.dumps({"id": sample_id(q, s), "refusal": "No."})
        if sample_id(q, s) in refused
        else json.dumps({"id": sample_id(q, s), "answer": 1})
        for q, s in ood_ids()
    ]
    (folder / "predictions.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    board = build_leaderboard(root, dataset, n_boot=0, seed=0)
    rate = len(refused) / len(ood_ids())
    assert board.rows[0].ood.refusal_rate == rate
    assert board.rows[0].ood.n_missing == len(refused)
    files = render_files(board)
    assert f"{len(refused)} ({rate:.1%})" in files["leaderboard.md"]
    assert json.loads(files["leaderboard.json"])["entries"][0]["test_ood"]["refusal_rate"] == rate
    row = next(csv.DictReader(io.StringIO(files["leaderboard.csv"])))
    assert float(row["ood_refusal_rate"]) == rate
