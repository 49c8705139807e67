"""Disclosure by differencing: hand-made subgroup tables (null and planted) and the default build
checked against a brute-force subtraction of its published counts."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from sgbench.builder.card import _disclosure_sentence
from sgbench.builder.config import resolve_config
from sgbench.builder.disclosure import ROOT, recoverable_groups
from sgbench.builder.harmonise import harmonise
from sgbench.builder.subgroups import find_subgroups
from sgbench.builder.synthetic import synthetic_sample
from sgbench.catalogue import load_catalogue
from sgbench.dataset import load_manifest, manifest_problems
from sgbench.schema.ids import subgroup_id

ATTRIBUTES = ("sex", "religion")
MIN = 30


def table(cells: list[tuple[dict[str, str], int]]) -> pd.DataFrame:
    """A subgroup table like the builder's, from (values, size) pairs; kept at MIN or more."""
    return pd.DataFrame(
        [
            {
                "subgroup_id": subgroup_id(values),
                "stratum": "_x_".join(values),
                **{name: values.get(name) for name in ATTRIBUTES},
                "subgroup_size": size,
                "kept": size >= MIN,
            }
            for values, size in cells
        ]
    )


def found(
    cells: list[tuple[dict[str, str], int]], n: int
) -> list[tuple[str, tuple[str, ...], int]]:
    result = recoverable_groups(table(cells), ATTRIBUTES, n, MIN)
    return list(zip(result["parent"], result["dropped"], result["size"], strict=True))


MALE = {"sex": "m"}


def test_null_every_child_published() -> None:
    cells = [(MALE, 100), ({**MALE, "religion": "a"}, 60), ({**MALE, "religion": "b"}, 40)]
    assert found(cells, 100) == []


def test_null_dropped_children_together_reach_the_minimum() -> None:
    # 80 - 40 leaves the two dropped children together: 40 respondents, allowed.
    cells = [
        (MALE, 80),
        ({**MALE, "religion": "a"}, 40),
        ({**MALE, "religion": "b"}, 20),
        ({**MALE, "religion": "c"}, 20),
    ]
    assert found(cells, 80) == []


def test_planted_single_dropped_child_of_a_published_parent() -> None:
    cells = [
        (MALE, 100),
        ({**MALE, "religion": "a"}, 50),
        ({**MALE, "religion": "b"}, 41),
        ({**MALE, "religion": "c"}, 9),
    ]
    assert found(cells, 100) == [("sex=m", ("sex=m&religion=c",), 9)]


def test_planted_respondents_without_the_attribute_are_the_remainder() -> None:
    # 5 men have no religion: 100 - 50 - 45 recovers those 5, with no child dropped.
    cells = [(MALE, 100), ({**MALE, "religion": "a"}, 50), ({**MALE, "religion": "b"}, 45)]
    result = recoverable_groups(table(cells), ATTRIBUTES, 100, MIN)
    assert result[["dropped", "missing", "size"]].values.tolist() == [[(), 5, 5]]


def test_planted_via_the_root_derived_from_a_published_stratum() -> None:
    # Men + women = all 109 respondents, so all minus religions a and b gives c's 9.
    religions = [({"religion": "a"}, 50), ({"religion": "b"}, 50), ({"religion": "c"}, 9)]
    cells = [(MALE, 60), ({"sex": "f"}, 49), *religions]
    assert found(cells, 109) == [(ROOT, ("religion=c",), 9)]
    # Null: with women dropped, nothing gives the root, so religion c stays hidden.
    hidden = [(MALE, 89), ({"sex": "f"}, 20), *religions]
    assert found(hidden, 109) == []


@pytest.fixture(scope="module")
def respondents() -> pd.DataFrame:
    """The default build's respondents (the embedded SYNTHETIC sample), answers as positions."""
    config = resolve_config(None, None)
    items = list(load_catalogue(config.wave))
    people: pd.DataFrame = harmonise(synthetic_sample(), config, items, weighted=False).table
    return people


def published(folder: Path) -> pd.DataFrame:
    files = sorted((folder / "data" / "default").glob("*.parquet"))
    frame: pd.DataFrame = pd.concat(
        [pq.read_table(f).to_pandas() for f in files], ignore_index=True
    )
    values = [{k: v for k, v in s.items() if v is not None} for s in frame["subgroup"].tolist()]
    return frame.assign(values=pd.Series(values, index=frame.index, dtype=object))


def members(people: pd.DataFrame, values: dict[str, str]) -> np.ndarray:
    inside = np.ones(len(people), dtype=bool)
    for name, value in values.items():
        inside &= (people[name].astype(object) == value).to_numpy()
    return inside


def test_default_build_matches_brute_force_subtraction(
    built_default: Path, respondents: pd.DataFrame
) -> None:
    """Every parent (published, or all respondents when a one-attribute stratum covers them)
    minus its published children along one attribute, subtracted by hand on the published
    counts and compared with the respondents it leaves."""
    config = resolve_config(None, None)
    samples = published(built_default)
    by_id = samples.drop_duplicates("subgroup_id").set_index("subgroup_id")["values"]
    counts = {
        (s, q): np.array(c, dtype=np.int64)
        for s, q, c in zip(
            samples["subgroup_id"], samples["question_id"], samples["counts"], strict=True
        )
    }
    questions = sorted(set(samples["question_id"]))
    everyone = np.ones(len(respondents), dtype=bool)
    parents: dict[str, dict[str, str]] = {str(sid): dict(v) for sid, v in by_id.items()}
    # All respondents are known when a one-attribute stratum's published subgroups cover them.
    covering = [
        ids
        for one in config.strata
        if len(one) == 1
        for ids in [[s for s in by_id.index if set(by_id[s]) == set(one)]]
        if sum(members(respondents, by_id[s]).sum() for s in ids) == len(respondents)
    ]
    if covering:
        parents[ROOT] = {}
    hits = 0
    vectors = 0
    for (parent, values), stratum in itertools.product(parents.items(), config.strata):
        extra = set(stratum) - set(values)
        if not (set(values) < set(stratum) and len(extra) == 1):
            continue
        kids = [
            s
            for s in by_id.index
            if set(by_id[s]) == set(stratum) and by_id[s].items() >= values.items()
        ]
        inside = members(respondents, values) if values else everyone
        left = inside.copy()
        for kid in kids:
            left &= ~members(respondents, by_id[kid])
        if not 0 < left.sum() < MIN:
            continue
        hits += 1
        for question in questions:
            keys = [(parent, question), *((kid, question) for kid in kids)]
            if parent == ROOT:
                whole = [(s, question) for s in covering[0]]
                if not all(k in counts for k in whole):
                    continue
                total = np.sum([counts[k] for k in whole], axis=0)
                keys = keys[1:]
            elif parent in by_id.index and keys[0] in counts:
                total = counts[keys[0]]
                keys = keys[1:]
            else:
                continue
            if not all(k in counts for k in keys):
                continue
            remainder = total - sum((counts[k] for k in keys), np.zeros_like(total))
            answers = respondents.loc[left, question].dropna().to_numpy(np.int64)
            assert remainder.tolist() == np.bincount(answers, minlength=len(total)).tolist()
            vectors += 1
    table_ = find_subgroups(respondents, config).table
    result = recoverable_groups(table_, tuple(config.attributes), len(respondents), MIN)
    assert hits == len(result) > 0
    assert vectors > 0


def test_manifest_and_card_report_what_the_function_finds(
    built_default: Path, respondents: pd.DataFrame
) -> None:
    config = resolve_config(None, None)
    table_ = find_subgroups(respondents, config).table
    groups = recoverable_groups(table_, tuple(config.attributes), len(respondents), MIN)
    single = sum(
        len(d) == 1 and m == 0 for d, m in zip(groups["dropped"], groups["missing"], strict=True)
    )
    manifest = load_manifest(built_default)
    assert manifest["disclosure"]["recoverable_groups"] == len(groups)
    assert manifest["disclosure"]["exact_subgroups"] == single
    assert manifest["disclosure"]["smallest_size"] == min(groups["size"])
    card = (built_default / "README.md").read_text(encoding="utf-8")
    assert (
        f"recovers the counts of {len(groups)} groups of fewer than {MIN} respondents, "
        f"{single} of them exactly one dropped subgroup, the smallest of {min(groups['size'])} "
        "respondents"
    ) in card


def test_manifest_schema_checks_the_disclosure_entry(built_default: Path) -> None:
    manifest = json.loads((built_default / "manifest.json").read_text(encoding="utf-8"))
    assert manifest_problems(manifest) == []
    manifest["disclosure"]["smallest_size"] = 0
    manifest["disclosure"]["extra"] = 1
    assert len(manifest_problems(manifest)) == 2


def test_card_says_when_nothing_is_recoverable() -> None:
    manifest = {
        "min_subgroup_size": MIN,
        "disclosure": {"recoverable_groups": 0, "exact_subgroups": 0, "smallest_size": None},
    }
    assert "recovers no group of fewer than 30 respondents" in _disclosure_sentence(manifest)
