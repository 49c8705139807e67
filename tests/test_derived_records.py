"""A build's card and the manifest records a build derives from its others are held to what the
builder writes: a forger who rewrites rows, manifest, card hash and bindings together (the
probe's forgeries, ``manifest_tools.rebind``) is refused in one line naming the file and the
record. The card is compared with ``render_card`` of the manifest; the derived records with the
builder's own definitions (``sgbench.dataset.floor_record``, ``PAPER_COUNTS``, the three
``items_dropped`` reasons), and with the rows (questions held, the grid of pairs)."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from cli_contract import assert_one_error_line
from click.testing import CliRunner
from manifest_tools import rebind

from sgbench.builder.card import render_card
from sgbench.cli import main
from sgbench.dataset import (
    CARD_FILE,
    MANIFEST_FILE,
    derived_record_problems,
    open_dataset,
    split_file,
)

Manifest = dict[str, Any]


def _manifest(dataset: Path) -> Manifest:
    loaded: Manifest = json.loads((dataset / MANIFEST_FILE).read_text(encoding="utf-8"))
    return loaded


def _forge(dataset: Path, edit: Callable[[Manifest], None], *, render: bool = True) -> None:
    """Edit the manifest, write the card a build would write for it (unless ``render`` is
    False: the card kept), re-record the card and re-bind every data file: a consistent
    forgery."""
    manifest = _manifest(dataset)
    edit(manifest)
    card = dataset / CARD_FILE
    if render:
        card.write_text(render_card(manifest), encoding="utf-8")
    manifest["card"] = {
        "sha256": hashlib.sha256(card.read_bytes()).hexdigest(),
        "size": len(card.read_bytes()),
    }
    rebind(dataset, manifest)


def _validate_refuses(dataset: Path, *fragments: str, configs: int = 1) -> str:
    """``validate`` exits 2 with one problem line (per config, for a rows case: ``default`` and
    ``paper`` hold the same questions), the first holding every fragment."""
    result = CliRunner().invoke(main, ["validate", str(dataset)])
    assert result.exit_code == 2, result.output
    # A refused folder's report goes to stderr: its heading, one line per problem, the error.
    lines = [
        line
        for line in result.stderr.splitlines()[1:]
        if line.strip() and not line.startswith(("SYNTHETIC", "Error: "))
    ]
    assert len(lines) == configs, lines
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def _score_refuses(dataset: Path, tmp_path: Path, *fragments: str) -> None:
    predictions = tmp_path / "p.jsonl"
    predictions.write_text('{"id": "x", "answer": 1}\n', encoding="utf-8")
    args = ["score", str(predictions), "--dataset", str(dataset), "--bootstrap", "0"]
    assert_one_error_line(CliRunner().invoke(main, args), *fragments)


@pytest.fixture
def copy(built_default: Path, tmp_path: Path) -> Path:
    shutil.copytree(built_default, tmp_path / "ds")
    return tmp_path / "ds"


@pytest.mark.parametrize("fixture", ["built_default", "built_publishable", "built_temporal"])
def test_honest_builds_pass(fixture: str, request: pytest.FixtureRequest) -> None:
    dataset: Path = request.getfixturevalue(fixture)
    manifest = _manifest(dataset)
    assert (dataset / CARD_FILE).read_text(encoding="utf-8") == render_card(manifest)
    assert derived_record_problems(manifest) == []
    for config in manifest["configs"]:
        assert open_dataset(dataset).row_problem(config) is None
    assert CliRunner().invoke(main, ["validate", str(dataset)]).exit_code == 0


def test_the_default_build_is_the_paper_config(built_default: Path) -> None:
    """So the paper_counts cases below start from a build that cites them."""
    assert _manifest(built_default)["paper_counts"] is not None


@pytest.mark.parametrize(
    ("old", "new"),
    [("Singapore", "Singapur"), ("license: other", "license: mit")],
)
def test_an_edited_card_is_refused(copy: Path, old: str, new: str) -> None:
    card = copy / CARD_FILE
    lines = card.read_text(encoding="utf-8").split("\n")
    first = next(n for n, line in enumerate(lines, 1) if old in line)
    card.write_text(card.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    _forge(copy, lambda m: None, render=False)
    _validate_refuses(
        copy,
        f"{copy / CARD_FILE}: differs from the card a build writes for this manifest: "
        f"first differing line {first} ",
    )


def _set(*path: str, value: Any) -> Callable[[Manifest], None]:
    def edit(manifest: Manifest) -> None:
        target = manifest
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return edit


def _both(*edits: Callable[[Manifest], None]) -> Callable[[Manifest], None]:
    def edit(manifest: Manifest) -> None:
        for one in edits:
            one(manifest)

    return edit


MANIFEST_CASES: dict[str, tuple[Callable[[Manifest], None], str]] = {
    "publication_floor_lowered": (
        _set("publication_floor", "floor", value=3),
        "$.publication_floor: ",
    ),
    "under_floor_invented": (
        _set("publication_floor", "under_floor", value={"min_valid_answers": 5}),
        "$.publication_floor: ",
    ),
    "items_kept_edited": (_set("items", "kept", value=237), "$.items.requested: "),
    "items_requested_edited": (_set("items", "requested", value=300), "$.items.requested: 300"),
    "items_dropped_kept_question": (
        _set("items_dropped", "Q1", value="no valid answer in SGP"),
        "$.items.requested: ",
    ),
    "items_dropped_reason_text": (
        _set("items_dropped", "Q221", value="removed by editor"),
        "$.items_dropped.Q221: 'removed by editor' is no reason a build gives",
    ),
    "items_dropped_other_country": (
        _set("items_dropped", "Q221", value="no valid answer in MYS"),
        "$.items_dropped.Q221: ",
    ),
    "paper_counts_edited": (_set("paper_counts", "items", value=238), "$.paper_counts: "),
}


@pytest.mark.parametrize("case", sorted(MANIFEST_CASES))
def test_a_derived_manifest_record_edited_is_refused(copy: Path, tmp_path: Path, case: str) -> None:
    edit, said = MANIFEST_CASES[case]
    assert "Q221" in _manifest(copy)["items_dropped"]  # the build drops it (cases rely on it)
    _forge(copy, edit)
    _validate_refuses(copy, f"{copy / MANIFEST_FILE}: {said}")
    _score_refuses(copy, tmp_path, MANIFEST_FILE, said)


def _rows_cases(manifest: Manifest) -> dict[str, tuple[Callable[[Manifest], None], str]]:
    questions = manifest["items"]["kept"]
    grid = manifest["subgroups"]["kept"] * questions  # no item dropped for too few answers
    samples = sum(split["samples"] for split in manifest["configs"]["default"].values())
    return {
        # kept and requested edited together, so that only the rows contradict them
        "items_kept_consistent": (
            _both(
                _set("items", "kept", value=questions - 1),
                _set("items", "requested", value=manifest["items"]["requested"] - 1),
            ),
            f"the config's rows hold {questions} questions; the manifest records "
            f"{questions - 1} (items.kept)",
        ),
        "items_dropped_kept_question_consistent": (
            _both(
                _set("items_dropped", "Q1", value="no valid answer in SGP"),
                _set("items", "requested", value=manifest["items"]["requested"] + 1),
            ),
            "its question is listed in the manifest's items_dropped",
        ),
        "pairs_below_beyond_the_grid": (
            _set("pairs_below_min_valid_answers", value=grid - samples + 1),
            f"pairs_below_min_valid_answers {grid - samples + 1} exceed the {grid}",
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "items_kept_consistent",
        "items_dropped_kept_question_consistent",
        "pairs_below_beyond_the_grid",
    ],
)
def test_a_derived_record_the_rows_contradict_is_refused(
    copy: Path, tmp_path: Path, case: str
) -> None:
    edit, said = _rows_cases(_manifest(copy))[case]
    _forge(copy, edit)
    train = copy / split_file("default", "train")
    _validate_refuses(copy, f"{train}: row 1", said, configs=2)
    _score_refuses(copy, tmp_path, str(train), said)


def test_the_grid_bound_is_tight_on_the_default_build(built_default: Path) -> None:
    """Every (kept subgroup, kept question) pair of the synthetic build is a sample or below
    the threshold: the bound the rule applies is met with equality, so one pair more is the
    smallest forgery it refuses (above)."""
    manifest = _manifest(built_default)
    rows = sum(
        pq.read_metadata(built_default / split_file("default", s)).num_rows
        for s in manifest["configs"]["default"]
    )
    grid = manifest["subgroups"]["kept"] * manifest["items"]["kept"]
    assert rows + manifest["pairs_below_min_valid_answers"] == grid


def test_an_earlier_wave_reason_edited_is_refused(built_temporal: Path, tmp_path: Path) -> None:
    copy = tmp_path / "ds"
    shutil.copytree(built_temporal, copy)

    def edit(manifest: Manifest) -> None:
        manifest["earlier_waves"][0]["items_dropped"]["Q1"] = "dropped by hand"

    _forge(copy, edit)
    _validate_refuses(
        copy,
        f"{copy / MANIFEST_FILE}: $.earlier_waves[0].items_dropped.Q1: 'dropped by hand'",
    )
