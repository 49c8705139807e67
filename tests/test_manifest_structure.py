"""What a manifest records of its subgroups and config against the build's rules
(``manifest_structure_problems`` and ``subgroup_record_problem`` of ``sgbench.dataset``): a
forger who edits the manifest and every row alike, re-binding and re-hashing every file
(:func:`manifest_tools.rebind`), is held to what a build writes: its dropped subgroups, overlap
records, disclosure counts, recorded config (the config loader's rules,
:mod:`sgbench.schema.values`) and the sizes of disjoint subgroups against what holds them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from cli_contract import assert_one_error_line
from click.testing import CliRunner
from manifest_tools import forge

from sgbench.cli import main
from sgbench.dataset import MANIFEST_FILE, manifest_problems

Row = dict[str, Any]
Manifest = dict[str, Any]


def _manifest(folder: Path) -> Manifest:
    loaded: Manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    return loaded


def _refused(folder: Path, said: str) -> None:
    """``validate`` exits 2 naming ``said``; ``score`` refuses in one ``Error:`` line naming it."""
    validate = CliRunner().invoke(main, ["validate", str(folder)])
    assert validate.exit_code == 2, validate.output
    assert said in validate.output, validate.output
    predictions = folder.parent / "p.jsonl"
    predictions.write_text('{"id": "x", "answer": 1}\n', encoding="utf-8")
    config = "temporal" if "temporal" in _manifest(folder)["configs"] else "default"
    args = ["score", str(predictions), "--dataset", str(folder), "--config", config]
    assert_one_error_line(CliRunner().invoke(main, [*args, "--bootstrap", "0"]), said)


def _dropped(manifest: Manifest) -> list[dict[str, Any]]:
    dropped: list[dict[str, Any]] = manifest["subgroups"]["dropped"]
    return dropped


MANIFEST_EDITS: dict[str, tuple[Callable[[Manifest], None], str]] = {
    "a dropped subgroup above min_subgroup_size": (
        lambda m: _dropped(m)[0].__setitem__("subgroup_size", m["min_subgroup_size"] + 1),
        "subgroups.dropped[0]: ",
    ),
    "min_subgroup_size lowered below the dropped sizes": (
        # With the floor record a build derives from it, so that only the dropped sizes tell.
        lambda m: m.update(
            min_subgroup_size=5,
            publication_floor={"floor": 30, "under_floor": {"min_subgroup_size": 5}},
        ),
        "subgroups.dropped[0]: 'age_group=16-24&religion=roman_catholic' has 8 respondents: ",
    ),
    "a dropped subgroup listed twice": (
        lambda m: _dropped(m).append(dict(_dropped(m)[0])),
        "subgroups.dropped[22]: 'age_group=16-24&religion=roman_catholic' is listed twice",
    ),
    "a dropped subgroup of a value no attribute has": (
        lambda m: _dropped(m).append({"subgroup_id": "sex=other", "subgroup_size": 5}),
        "subgroups.dropped[22]: 'sex=other' is not a subgroup of a recorded stratum",
    ),
    "a dropped subgroup of a stratum not recorded": (
        lambda m: _dropped(m).append(
            {"subgroup_id": "sex=male&age_group=16-24&religion=hindu", "subgroup_size": 2}
        ),
        "subgroups.dropped[22]: 'sex=male&age_group=16-24&religion=hindu' is not a subgroup",
    ),
    "an overlap record of a training subgroup": (
        lambda m: m["train_overlap"].__setitem__(
            "sex=male", {"subgroup": "sex=female", "jaccard": 0.0}
        ),
        "train_overlap.sex=male: not a subgroup of an OOD stratum",
    ),
    "an overlap record naming no training subgroup": (
        lambda m: m["train_overlap"]["age_group=16-24&religion=buddhist"].__setitem__(
            "subgroup", "sex=nobody"
        ),
        "train_overlap.age_group=16-24&religion=buddhist.subgroup: 'sex=nobody' is not a",
    ),
    "subgroups withheld under method none": (
        lambda m: m["disclosure"].__setitem__("withheld_subgroups", 3),
        "subgroups.dropped: 0 dropped subgroup(s) hold min_subgroup_size (30) respondents or "
        "more, but disclosure.withheld_subgroups is 3",
    ),
    "a derivable smallest size above min_subgroup_size": (
        lambda m: m["disclosure"].__setitem__("derivable_smallest", 50),
        "disclosure.derivable_smallest: 50: not in 1 to min_subgroup_size - 1",
    ),
    "two values sharing a code": (
        lambda m: m["attributes"]["sex"]["values"].__setitem__("Male", [1, 2]),
        "attributes.sex.values: values 'Male' and 'Female' share codes",
    ),
    "a stratum listed twice": (
        lambda m: m["strata"].append(["sex"]),
        "strata: a stratum is listed twice (sex)",
    ),
    "a stratum of an unknown attribute": (
        lambda m: m["strata"].append(["sex", "income"]),
        "strata: unknown attribute(s) ['income']",
    ),
    "an earlier wave without a temporal config": (
        lambda m: m.__setitem__(
            "earlier_waves",
            [
                {
                    "wave": 6,
                    "file": "x.csv",
                    "sha256": "0" * 64,
                    "layout": "timeseries",
                    "respondents": 10,
                    "year": [2012],
                    "items_dropped": {},
                }
            ],
        ),
        "earlier_waves: records an earlier wave, but configs has no temporal config",
    ),
}
"""Each forgery of the default build's manifest and the start of what ``validate`` says of it
(after ``manifest.json: ``)."""


def test_honest_builds_keep_the_rules(
    built_default: Path, built_temporal: Path, built_publishable: Path
) -> None:
    for built in (built_default, built_temporal, built_publishable):
        assert manifest_problems(_manifest(built)) == []
        result = CliRunner().invoke(main, ["validate", str(built)])
        assert result.exit_code == 0, result.output


@pytest.mark.parametrize("case", sorted(MANIFEST_EDITS))
def test_a_manifest_a_build_could_not_write_is_refused(
    case: str, built_default: Path, tmp_path: Path
) -> None:
    change, said = MANIFEST_EDITS[case]
    forged = forge(built_default, tmp_path / "ds", change)
    _refused(forged, f"{MANIFEST_FILE}: {said}")


def test_an_earlier_wave_recorded_twice_is_refused(built_temporal: Path, tmp_path: Path) -> None:
    def change(manifest: Manifest) -> None:
        manifest["earlier_waves"].append(dict(manifest["earlier_waves"][0]))

    forged = forge(built_temporal, tmp_path / "ds", change)
    _refused(forged, f"{MANIFEST_FILE}: earlier_waves[1].wave: wave 6 is already recorded")


def _sizes(built: Path) -> dict[str, int]:
    """Each subgroup's size in the default config's train split, read independently."""
    rows = pq.read_table(built / "data/default/train-00000-of-00001.parquet").to_pylist()
    return {row["subgroup_id"]: row["subgroup_size"] for row in rows}


def test_one_attributes_sizes_above_the_respondents_are_refused(
    built_default: Path, tmp_path: Path
) -> None:
    """sex=male + sex=female hold every respondent with a sex at most: 5 more in every row of
    sex=male (976 + 1036 of 2012 in the probe) is more than were read."""
    sizes = _sizes(built_default)
    respondents = _manifest(built_default)["built_from"]["respondents"]
    extra = respondents - sizes["sex=male"] - sizes["sex=female"] + 1
    assert extra > 0

    def change_row(row: Row) -> bool:
        if row["subgroup_id"] == "sex=male":
            row["subgroup_size"] += extra
        return True

    forged = forge(built_default, tmp_path / "ds", lambda m: None, change_row)
    _refused(
        forged,
        f"subgroup_size of the disjoint subgroups sex=male, sex=female (wave 7) sums to "
        f"{respondents + 1}, more than the {respondents} respondents of wave 7",
    )


def test_respondents_below_a_strata_sizes_are_refused(built_default: Path, tmp_path: Path) -> None:
    sizes = _sizes(built_default)
    total = sizes["sex=male"] + sizes["sex=female"]

    def change(manifest: Manifest) -> None:
        manifest["built_from"]["respondents"] = total - 1

    forged = forge(built_default, tmp_path / "ds", change)
    _refused(forged, f"sums to {total}, more than the {total - 1} respondents of wave 7")


def test_nested_sizes_above_their_container_are_refused(
    built_default: Path, tmp_path: Path
) -> None:
    """The sex=male subgroups of sex x age_group are disjoint and inside sex=male: raising one
    by what the others leave over (still below sex=male alone) overfills it."""
    sizes = _sizes(built_default)
    ages = [s for s in sizes if s.startswith("sex=male&age_group=")]
    spare = sizes["sex=male"] - sum(sizes[s] for s in ages)
    first = sorted(ages)[0]
    assert sizes[first] + spare + 1 < sizes["sex=male"]  # the nesting rule alone passes it

    def change_row(row: Row) -> bool:
        if row["subgroup_id"] == first:
            row["subgroup_size"] += spare + 1
        return True

    forged = forge(built_default, tmp_path / "ds", lambda m: None, change_row)
    _refused(forged, f"subgroup_size of the disjoint subgroups {first}, ")


DISCLOSURE_EDITS: dict[str, tuple[dict[str, Any], str]] = {
    "withheld under none": (
        {"withheld_subgroups": 3},
        "disclosure.withheld_subgroups: 3, but method is 'none'",
    ),
    "samples withheld under none": (
        {"withheld_samples": 7},
        "disclosure.withheld_samples: 7, but method is 'none'",
    ),
    "derivable under suppress": (
        {"method": "suppress"},
        "disclosure.derivable_groups: ",
    ),
    "a smallest size with no count": (
        {"recoverable_groups": 0, "exact_subgroups": 0},
        "disclosure.smallest_size: ",
    ),
    "more exact than recoverable": (
        {"exact_subgroups": 10**6},
        "disclosure.exact_subgroups: 1000000: above recoverable_groups",
    ),
    "derivable smallest above the recoverable one": (
        {"derivable_smallest": 2, "smallest_size": 1},
        "disclosure.derivable_smallest: 2: above smallest_size 1",
    ),
}
"""Edits of the default build's ``disclosure`` (method ``none``, something recoverable) its
definitions rule out, and the start of the problem named."""


@pytest.mark.parametrize("case", sorted(DISCLOSURE_EDITS))
def test_disclosure_counts_are_held_to_their_definitions(case: str, built_default: Path) -> None:
    manifest = _manifest(built_default)
    assert manifest["disclosure"]["method"] == "none"
    assert manifest["disclosure"]["recoverable_groups"] > 0
    edit, said = DISCLOSURE_EDITS[case]
    manifest["disclosure"].update(edit)
    assert any(p.startswith(said) for p in manifest_problems(manifest)), manifest_problems(manifest)
