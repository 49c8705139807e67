"""The exact disclosure audit and the suppression that closes it: exact arithmetic checked against
rationals, every subset of atoms of small tables checked by brute force, planted leaks found and
closed, a null that changes nothing, determinism and termination."""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from sgbench.builder import build_dataset, disclosure
from sgbench.builder.card import _disclosure_sentence
from sgbench.builder.config import parse_config
from sgbench.builder.disclosure import (
    Control,
    _cover,
    atoms_of,
    control,
    echelon,
    incidence,
    recoverable_groups,
    residuals,
)
from sgbench.builder.subgroups import Subgroups, find_subgroups
from sgbench.dataset import load_manifest, manifest_problems

MIN = 30
SHIPPED = Path(__file__).resolve().parent.parent / "sgbench" / "builder" / "configs"


def rational_rref(matrix: np.ndarray) -> list[list[Fraction]]:
    """Reduced row echelon form over the rationals, by the textbook method (the reference)."""
    rows = [[Fraction(int(x)) for x in row] for row in matrix]
    rank = 0
    for column in range(matrix.shape[1]):
        pivot = next((i for i in range(rank, len(rows)) if rows[i][column] != 0), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        rows[rank] = [x / rows[rank][column] for x in rows[rank]]
        for i in range(len(rows)):
            if i != rank and rows[i][column] != 0:
                factor = rows[i][column]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[rank], strict=True)]
        rank += 1
    return rows[:rank]


def in_row_space(matrix: np.ndarray, vector: np.ndarray) -> bool:
    """Whether ``vector`` is a rational combination of ``matrix``'s rows: the rank test."""
    if matrix.shape[0] == 0:
        return not vector.any()
    return len(rational_rref(np.vstack([matrix, vector]))) == len(rational_rref(matrix))


def row_space_test(matrix: np.ndarray) -> Callable[[np.ndarray], bool]:
    """The same test, faster for many vectors: reduce each by the rational reduced form."""
    reduced = rational_rref(matrix)
    pivots = [next(j for j, x in enumerate(row) if x != 0) for row in reduced]

    def inside(vector: np.ndarray) -> bool:
        left = [Fraction(int(x)) for x in vector]
        for row, pivot in zip(reduced, pivots, strict=True):
            if left[pivot]:
                factor = left[pivot]
                left = [a - factor * b for a, b in zip(left, row, strict=True)]
        return not any(left)

    return inside


def test_echelon_is_the_rational_reduced_form() -> None:
    rng = np.random.default_rng(3)
    for trial in range(200):
        shape = (int(rng.integers(1, 7)), int(rng.integers(1, 9)))
        matrix = (
            (rng.random(shape) < 0.5).astype(np.int64) if trial % 2 else rng.integers(-3, 4, shape)
        )
        m, pivots, d = echelon(matrix)
        reference = rational_rref(matrix)
        assert len(m) == len(reference)
        assert [[Fraction(int(x), d) for x in row] for row in m] == reference
        assert all(row[p] != 0 for row, p in zip(reference, pivots, strict=True))


def test_echelon_leaves_int64_before_it_overflows() -> None:
    # Entries near 2**40: one product would overflow int64; the result must still be exact.
    matrix = np.array([[2**40 + 1, 3, 5], [7, 2**40 - 1, 11], [13, 17, 2**40 + 3]], np.int64)
    m, _, d = echelon(matrix)
    assert [[Fraction(int(x), d) for x in row] for row in m] == rational_rref(matrix)


def test_residuals_decide_every_subset_like_the_rank_test() -> None:
    rng = np.random.default_rng(4)
    for _ in range(25):
        matrix = (rng.random((int(rng.integers(0, 6)), 7)) < 0.4).astype(np.int64)
        residual = residuals(matrix)
        for bits in itertools.product([0, 1], repeat=7):
            vector = np.array(bits)
            zero = not np.any(residual[vector == 1].sum(axis=0) != 0)
            assert zero == in_row_space(matrix, vector) == row_space_test(matrix)(vector)


def setup(
    cells: list[tuple[dict[str, str | None], int]],
    values: dict[str, list[str]],
    strata: list[list[str]],
) -> tuple[pd.DataFrame, Subgroups]:
    """Respondents from (values, count) pairs (None: missing) and their subgroups, the last
    stratum held out."""
    raw = {
        "name": "t",
        "wave": 7,
        "country": "SGP",
        "min_subgroup_size": MIN,
        "attributes": {
            name: {"variable": f"V{i}", "values": {v: [j] for j, v in enumerate(labels)}}
            for i, (name, labels) in enumerate(values.items())
        },
        "strata": strata,
        "ood_strata": [strata[-1]],
    }
    config = parse_config(raw, "t.yaml")
    people = [row for row, count in cells for _ in range(count)]
    frame = pd.DataFrame(
        {
            name: pd.Categorical([p.get(name) for p in people], categories=labels)
            for name, labels in values.items()
        }
    )
    return frame, find_subgroups(frame, config)


def run(frame: pd.DataFrame, subgroups: Subgroups, method: str) -> Control:
    cost = subgroups.table["subgroup_size"].to_numpy(np.int64)
    return control(frame, subgroups, MIN, cost, method)


def small_derivable_subsets(frame: pd.DataFrame, result: Control) -> list[int]:
    """Brute force: the respondents of every union of atoms of 1 to MIN - 1 respondents that
    the published subgroups give (rank test over the rationals)."""
    atoms = atoms_of(frame, tuple(frame.columns))
    kept = result.subgroups.table["kept"].to_numpy()
    holds = incidence(atoms, result.subgroups.membership, len(kept))[kept].astype(np.int64)
    inside = row_space_test(holds)
    found = []
    for bits in itertools.product([0, 1], repeat=len(atoms.sizes)):
        vector = np.array(bits)
        size = int(atoms.sizes[vector == 1].sum())
        if 0 < size < MIN and inside(vector):
            found.append(size)
    return found


def old_audit(frame: pd.DataFrame, result: Control) -> pd.DataFrame:
    table = result.subgroups.table
    return recoverable_groups(table, result.subgroups.attributes, len(frame), MIN)


SEX_RELIGION = {"sex": ["m", "f"], "religion": ["a", "b", "c"]}
STRATA = [["sex"], ["religion"], ["sex", "religion"]]


def test_planted_dropped_child_through_the_derived_everyone_is_found_and_closed() -> None:
    # Men + women give everyone (109); minus religions a and b leaves religion c: 9 people.
    cells: list[tuple[dict[str, str | None], int]] = [
        ({"sex": "m", "religion": "a"}, 25),
        ({"sex": "m", "religion": "b"}, 30),
        ({"sex": "m", "religion": "c"}, 5),
        ({"sex": "f", "religion": "a"}, 25),
        ({"sex": "f", "religion": "b"}, 20),
        ({"sex": "f", "religion": "c"}, 4),
    ]
    frame, subgroups = setup(cells, SEX_RELIGION, STRATA)
    before = run(frame, subgroups, "none")
    assert ("religion=c", 9) in list(before.derivable.itertuples(index=False, name=None))
    assert before.withheld == ()
    assert small_derivable_subsets(frame, before) != []
    after = run(frame, subgroups, "suppress")
    assert after.derivable.empty
    assert len(old_audit(frame, after)) == 0
    assert small_derivable_subsets(frame, after) == []
    # What was published and not withheld is untouched; something was withheld.
    assert 0 < len(after.withheld) < int(subgroups.table["kept"].sum())


def test_planted_everyone_minus_the_religions_is_the_non_answerers() -> None:
    cells: list[tuple[dict[str, str | None], int]] = [
        ({"sex": "m", "religion": "a"}, 30),
        ({"sex": "m", "religion": "b"}, 26),
        ({"sex": "m", "religion": None}, 4),
        ({"sex": "f", "religion": "a"}, 20),
        ({"sex": "f", "religion": "b"}, 26),
        ({"sex": "f", "religion": None}, 4),
    ]
    frame, subgroups = setup(cells, SEX_RELIGION, STRATA)
    before = run(frame, subgroups, "none")
    assert ("religion=(missing)", 8) in list(before.derivable.itertuples(index=False, name=None))
    after = run(frame, subgroups, "suppress")
    assert after.derivable.empty
    assert len(old_audit(frame, after)) == 0
    assert small_derivable_subsets(frame, after) == []


def test_null_nothing_small_is_derivable_so_nothing_is_withheld() -> None:
    # Every cell has 30 or more; nobody lacks a value: no difference is below the minimum.
    cells: list[tuple[dict[str, str | None], int]] = [
        ({"sex": s, "religion": r}, 30 + 3 * i)
        for i, (s, r) in enumerate(itertools.product("mf", "ab"))
    ]
    frame, subgroups = setup(cells, {"sex": ["m", "f"], "religion": ["a", "b"]}, STRATA)
    result = run(frame, subgroups, "suppress")
    assert result.withheld == ()
    assert result.derivable.empty
    assert result.subgroups.table.equals(subgroups.table)
    assert np.array_equal(result.subgroups.membership, subgroups.membership)
    assert small_derivable_subsets(frame, result) == []


def skewed_people(
    rng: np.random.Generator,
    values: dict[str, list[str]],
    count: tuple[int, int],
    missing: float,
    scale: float,
) -> list[tuple[dict[str, str | None], int]]:
    """Between ``count`` respondents, one each: every attribute missing with probability
    ``missing``, else its ``k``-th value with exponentially falling odds (``scale``), so that
    small cells and small remainders are everywhere."""
    return [
        (
            {
                name: None
                if rng.random() < missing
                else labels[min(int(rng.exponential(scale)), len(labels) - 1)]
                for name, labels in values.items()
            },
            1,
        )
        for _ in range(int(rng.integers(*count)))
    ]


def random_table(rng: np.random.Generator) -> tuple[pd.DataFrame, Subgroups]:
    """Skewed, with some missing values: small cells and remainders everywhere."""
    values = {"x": ["a", "b"], "y": ["c", "d", "e"]}
    people = skewed_people(rng, values, (60, 200), missing=0.05, scale=0.8)
    return setup(people, values, [["x"], ["y"], ["x", "y"]])


def test_brute_force_every_subset_of_small_random_tables() -> None:
    """On tables small enough to enumerate every union of atoms: the exact audit names a set
    iff the rank test says it is derivable (for the sets it names), and after suppression no
    union at all, in or out of the audited family, of 1 to 29 respondents is derivable."""
    rng = np.random.default_rng(11)
    withheld = 0
    for _ in range(10):
        frame, subgroups = random_table(rng)
        before = run(frame, subgroups, "none")
        truth = small_derivable_subsets(frame, before)
        # The audit finds something exactly when brute force does, and no smaller set.
        assert before.derivable.empty == (truth == [])
        if truth:
            assert int(before.derivable["size"].min()) >= min(truth)
        after = run(frame, subgroups, "suppress")
        withheld += len(after.withheld)
        assert after.derivable.empty
        assert len(old_audit(frame, after)) == 0
        assert small_derivable_subsets(frame, after) == []
    assert withheld > 0


def test_terminates_and_closes_everything_on_adversarial_tables() -> None:
    """Three attributes, every pair a stratum, skewed values and missing values: the
    withhold-the-smallest greedy that failed before (a withheld subgroup rebuilt as the sum of
    its children) must end with nothing derivable, having withheld only kept subgroups."""
    rng = np.random.default_rng(5)
    values = {"x": ["a", "b", "c"], "y": ["d", "e", "f", "g"], "z": ["h", "i"]}
    strata = [["x"], ["y"], ["z"], ["x", "z"], ["y", "z"], ["x", "y"]]
    for _ in range(6):
        cells = skewed_people(rng, values, (300, 900), missing=0.04, scale=1.0)
        frame, subgroups = setup(cells, values, strata)
        after = run(frame, subgroups, "suppress")
        kept = subgroups.table.set_index("subgroup_id")["kept"]
        assert all(kept[sid] for sid in after.withheld)
        assert after.derivable.empty
        assert len(old_audit(frame, after)) == 0
        again = run(frame, after.subgroups, "none")
        assert again.derivable.empty
        assert again.withheld == ()


def test_deterministic_and_independent_of_respondent_order() -> None:
    rng = np.random.default_rng(9)
    frame, subgroups = random_table(rng)
    first = run(frame, subgroups, "suppress")
    assert run(frame, subgroups, "suppress").withheld == first.withheld
    order = rng.permutation(len(frame))
    shuffled = frame.iloc[order].reset_index(drop=True)
    values = {"x": ["a", "b"], "y": ["c", "d", "e"]}
    people = [
        ({k: (None if pd.isna(v) else str(v)) for k, v in row.items()}, 1)
        for row in shuffled.to_dict("records")
    ]
    frame2, subgroups2 = setup(people, values, [["x"], ["y"], ["x", "y"]])
    assert run(frame2, subgroups2, "suppress").withheld == first.withheld


def test_unknown_method_is_refused() -> None:
    frame, subgroups = random_table(np.random.default_rng(0))
    with pytest.raises(ValueError, match="disclosure control 'hide'"):
        run(frame, subgroups, "hide")


def write_config(folder: Path, **changes: object) -> Path:
    raw = yaml.safe_load((SHIPPED / "singapore.yaml").read_text(encoding="utf-8"))
    raw = {**copy.deepcopy(raw), **changes}
    path = folder / f"config-{len(list(folder.glob('config-*')))}.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def test_null_build_writes_the_same_rows_with_and_without_suppression(tmp_path: Path) -> None:
    """sex, age and their cross: nothing small is derivable from the synthetic sample, so the
    suppressing build writes the same rows as the measuring one."""
    strata = {"strata": [["sex"], ["age_group"], ["sex", "age_group"]]}
    strata["ood_strata"] = [["sex", "age_group"]]
    builds = {}
    for method in ("none", "suppress"):
        config = write_config(tmp_path, disclosure_control=method, **strata)
        builds[method] = tmp_path / method
        build_dataset(out_dir=builds[method], config_path=config)
    files = sorted(
        p.relative_to(builds["none"]) for p in (builds["none"] / "data").rglob("*") if p.is_file()
    )
    assert len(files) > 3
    # The data files bind the manifest's `disclosure` entry (its `method` differs) in their
    # metadata; the rows and their schema must be the same.
    for name in files:
        tables = [pq.read_table(builds[m] / name) for m in ("none", "suppress")]
        assert (
            tables[0].replace_schema_metadata(None).equals(tables[1].replace_schema_metadata(None))
        ), name
    manifests = {m: json.loads((b / "manifest.json").read_text()) for m, b in builds.items()}
    assert manifests["suppress"]["disclosure"]["method"] == "suppress"
    assert manifests["suppress"]["disclosure"]["withheld_subgroups"] == 0
    manifests["suppress"]["disclosure"]["method"] = "none"
    # The files' hashes and sizes differ with the bound `method` alone (checked above, row by
    # row), and the card, which names the method, with them.
    for manifest in manifests.values():
        del manifest["files"], manifest["sizes"], manifest["card"]
    assert manifests["suppress"] == manifests["none"]


def test_suppressing_build_of_the_default_leaves_nothing_recoverable(
    tmp_path: Path, built_default: Path
) -> None:
    config = write_config(tmp_path, disclosure_control="suppress")
    build_dataset(out_dir=tmp_path / "out", config_path=config)
    manifest = load_manifest(tmp_path / "out")
    found = manifest["disclosure"]
    assert found["recoverable_groups"] == 0
    assert found["derivable_groups"] == 0
    assert found["withheld_subgroups"] > 0
    assert found["withheld_samples"] > 0
    ids = {d["subgroup_id"] for d in manifest["subgroups"]["dropped"]}
    default = load_manifest(built_default)
    kept_before = default["subgroups"]["kept"]
    assert manifest["subgroups"]["kept"] == kept_before - found["withheld_subgroups"]
    assert len(ids) == len(default["subgroups"]["dropped"]) + found["withheld_subgroups"]
    samples = sum(s["samples"] for s in manifest["configs"]["default"].values())
    samples_before = sum(s["samples"] for s in default["configs"]["default"].values())
    assert samples_before - samples == found["withheld_samples"]
    assert manifest_problems(json.loads((tmp_path / "out" / "manifest.json").read_text())) == []


def test_the_paper_config_measures_and_keeps_its_sample_set(built_default: Path) -> None:
    found = load_manifest(built_default)["disclosure"]
    assert found["method"] == "none"
    assert found["withheld_subgroups"] == 0
    assert found["derivable_groups"] >= found["exact_subgroups"] > 0


def test_earlier_waves_are_measured_and_suppressed_on_their_own(
    tmp_path: Path, built_temporal: Path
) -> None:
    """The temporal build publishes wave 6's samples too: the paper's config reports what
    they leave recoverable, a suppressing config closes them as it closes wave 7."""
    measured = load_manifest(built_temporal)["disclosure"]
    assert [e["wave"] for e in measured["earlier_waves"]] == [6]
    assert measured["earlier_waves"][0]["withheld_subgroups"] == 0
    assert measured["earlier_waves"][0]["recoverable_groups"] > 0
    assert measured["earlier_waves"][0]["derivable_groups"] > 0
    source = next(p for p in built_temporal.parent.iterdir() if p.suffix == ".csv")
    config = write_config(tmp_path, disclosure_control="suppress")
    build_dataset(wvs_path=source, out_dir=tmp_path / "out", waves=[6, 7], config_path=config)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest_problems(manifest) == []
    (wave6,) = manifest["disclosure"]["earlier_waves"]
    assert wave6["withheld_subgroups"] > 0
    assert wave6["withheld_samples"] > 0
    assert wave6["recoverable_groups"] == 0
    assert wave6["derivable_groups"] == 0
    assert manifest["disclosure"]["derivable_groups"] == 0


def test_card_states_the_exact_audit_or_what_was_withheld() -> None:
    base = {"rule": "r", "exact_subgroups": 1, "smallest_size": 3, "exact_family": "f"}
    measured = {
        **base,
        "recoverable_groups": 2,
        "method": "none",
        "withheld_subgroups": 0,
        "withheld_samples": 0,
        "derivable_groups": 4,
        "derivable_smallest": 1,
    }
    text = _disclosure_sentence({"min_subgroup_size": MIN, "disclosure": measured})
    assert "gives 4 such groups, the smallest of 1 respondent;" in text
    assert "nothing was withheld" in text
    closed = {
        **measured,
        "method": "suppress",
        "recoverable_groups": 0,
        "withheld_subgroups": 7,
        "withheld_samples": 1234,
        "derivable_groups": 0,
    }
    text = _disclosure_sentence({"min_subgroup_size": MIN, "disclosure": closed})
    assert "were withheld: 7 subgroups of at least 30 respondents (1234 samples)" in text
    assert "subtraction recovers 0 and the exact audit finds 0 groups of fewer than 30" in text


# --- Suppression withholds the least ---------------------------------------------------------


def test_cover_finds_the_cheapest_where_the_greedy_cover_does_not() -> None:
    """Rows A, B, C (0, 1, 2) and six constraints: A hits e1, e2, e4, e5; B hits e1–e3; C hits
    e4–e6. The greedy cover takes A first (four constraints for one row) and then still
    needs B and C: three rows. B and C alone hit all six: two, the least (e3 only B hits and
    e6 only C)."""
    constraints = [frozenset(c) for c in ({0, 1}, {0, 1}, {1}, {0, 2}, {0, 2}, {2})]
    chosen, least = _cover(constraints, [1, 1, 1], 0, 1000)
    assert chosen == {1, 2}
    assert least == 2


def test_cover_is_the_brute_force_optimum_and_a_cover_past_its_node_limit() -> None:
    rng = np.random.default_rng(21)
    for _ in range(150):
        n = int(rng.integers(2, 9))
        cost = [int(c) for c in rng.integers(1, 6, n)]
        constraints = [
            frozenset(int(r) for r in np.flatnonzero(rng.random(n) < 0.35)) or frozenset({0})
            for _ in range(int(rng.integers(1, 9)))
        ]
        best = min(
            sum(cost[r] for r in rows)
            for k in range(n + 1)
            for rows in itertools.combinations(range(n), k)
            if all(c & set(rows) for c in constraints)
        )
        chosen, least = _cover(constraints, cost, 0, 10_000)
        assert all(c & chosen for c in constraints)
        assert least == best == sum(cost[r] for r in chosen)
        # Told the optimum in advance it still returns a cover costing it.
        again, proven = _cover(constraints, cost, best, 10_000)
        assert proven == best == sum(cost[r] for r in again)
        # No node to search: the greedy cover, a cover, not claimed optimal.
        greedy, unproven = _cover(constraints, cost, 0, 0)
        assert unproven is None
        assert all(c & greedy for c in constraints)


# Men: a 4, b 15, c 35; women: a 4, b 10, c 10. Published: sex=m (54), religion=c (45) and
# sex=m&religion=c (35). They give sex=m minus sex=m&religion=c (19) and religion=c minus
# sex=m&religion=c (women of c, 10), so something must go, and one subgroup is enough only if
# it breaks both: withholding sex=m leaves the 10, religion=c the 19, sex=m&religion=c leaves
# sex=m and religion=c, whose only 0/1 combinations are themselves (54, 45). The optimum is
# that one subgroup; the earlier greedy withheld religion=c and sex=m&religion=c.
HAND = [
    ({"sex": "m", "religion": "a"}, 4),
    ({"sex": "m", "religion": "b"}, 15),
    ({"sex": "m", "religion": "c"}, 35),
    ({"sex": "f", "religion": "a"}, 4),
    ({"sex": "f", "religion": "b"}, 10),
    ({"sex": "f", "religion": "c"}, 10),
]


def test_suppression_withholds_the_one_subgroup_known_by_hand() -> None:
    frame, subgroups = setup(HAND, SEX_RELIGION, STRATA)
    kept = subgroups.table.loc[subgroups.table["kept"], "subgroup_id"].tolist()
    assert sorted(kept) == ["religion=c", "sex=m", "sex=m&religion=c"]
    before = run(frame, subgroups, "none")
    # The audit works within the atoms some published subgroup holds: there the women are
    # those of c, and everyone minus religion c the men of a and b.
    assert list(before.derivable.itertuples(index=False, name=None)) == [
        ("sex=f", 10),
        ("all respondents minus its derivable cells by religion", 19),
    ]
    after = run(frame, subgroups, "suppress")
    assert after.withheld == ("sex=m&religion=c",)
    assert after.derivable.empty
    assert len(old_audit(frame, after)) == 0
    assert small_derivable_subsets(frame, after) == []


def withholding(subgroups: Subgroups, rows: tuple[int, ...]) -> Subgroups:
    """``subgroups`` with the table rows ``rows`` no longer kept."""
    table = subgroups.table
    kept = table["kept"].to_numpy(bool).copy()
    kept[list(rows)] = False
    gone = np.array(rows, dtype=np.int64)
    membership = np.where(np.isin(subgroups.membership, gone), -1, subgroups.membership)
    return Subgroups(
        **{**vars(subgroups), "table": table.assign(kept=kept), "membership": membership}
    )


def test_suppression_is_the_brute_force_optimum_on_small_tables() -> None:
    """Every set of published subgroups tried, cheapest first: the first whose withholding
    the audit accepts costs what suppression withholds (here, where closing what the audit
    finds along the way costs nothing more), and suppression's result is accepted."""
    rng = np.random.default_rng(17)
    sizes = [2, 4, 5, 10, 15, 20, 25, 30, 35]
    compared = 0
    for _ in range(12):
        cells: list[tuple[dict[str, str | None], int]] = [
            ({"sex": s, "religion": r}, int(rng.choice(sizes))) for s in "mf" for r in "abc"
        ]
        frame, subgroups = setup(cells, SEX_RELIGION, STRATA)
        cost = subgroups.table["subgroup_size"].to_numpy(np.int64)
        published = np.flatnonzero(subgroups.table["kept"].to_numpy(bool))
        result = run(frame, subgroups, "suppress")
        rows = np.flatnonzero(subgroups.table["subgroup_id"].isin(result.withheld).to_numpy())
        assert run(frame, withholding(subgroups, tuple(rows)), "none").derivable.empty
        choices = sorted(
            (
                rows
                for k in range(len(published) + 1)
                for rows in itertools.combinations(published.tolist(), k)
            ),
            key=lambda rows: (int(cost[list(rows)].sum()), rows),
        )
        least = next(
            int(cost[list(rows)].sum())
            for rows in choices
            if run(frame, withholding(subgroups, rows), "none").derivable.empty
        )
        assert int(cost[rows].sum()) == least
        compared += least > 0
    assert compared >= 6


def test_past_the_node_limit_suppression_still_closes_everything(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With no node to search every hitting set is the greedy cover, not proven least: the
    loop still ends only when the audit finds nothing."""
    monkeypatch.setattr(disclosure, "_NODES", 0)
    rng = np.random.default_rng(5)
    values = {"x": ["a", "b", "c"], "y": ["d", "e", "f", "g"], "z": ["h", "i"]}
    strata = [["x"], ["y"], ["z"], ["x", "z"], ["y", "z"], ["x", "y"]]
    for _ in range(3):
        cells = skewed_people(rng, values, (300, 900), missing=0.04, scale=1.0)
        frame, subgroups = setup(cells, values, strata)
        after = run(frame, subgroups, "suppress")
        assert after.withheld
        assert after.derivable.empty
        assert len(old_audit(frame, after)) == 0
        assert run(frame, after.subgroups, "none").derivable.empty
