"""A build's manifest holds every record a build writes (``manifest_problems``,
``manifest.schema.json``'s ``$defs/build``), and this sgbench reads only releases it knows.

The row rule holds rows to the manifest's records, and each record that was optional switched
its check off when a forger deleted it (re-binding the data files to the shortened manifest):
``splits`` gone, a held-out question could be trained; ``subgroups`` gone, a subgroup deleted;
``items`` renamed or the version relabelled, the catalogue check skipped. Each is refused here
by one rule, and a dataset labelled as not a build is read, says so and is never published.
"""

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

from sgbench.cli import main
from sgbench.dataset import MANIFEST_FILE, load_manifest, manifest_problems, split_file
from sgbench.publish import publication_problems

BUILD_NOTE = "a build's manifest, version 1.0.0+synthetic, holds every record the builder writes"


def _paths(manifest: dict[str, Any]) -> list[tuple[str, ...]]:
    """The records a build writes that the build rule requires, as key paths: every top-level
    key, each attribute's persona, each split's counts, the split settings' overlap records, the
    disclosure's counts and the two configs every build has (written out here, not read from
    the schema, so a requirement dropped from the schema fails this test)."""
    attributes = [("attributes", name, "persona") for name in manifest["attributes"]]
    counts = [
        ("configs", config, split, key)
        for config, splits in manifest["configs"].items()
        for split in splits
        for key in ("samples", "subgroups", "questions", "num_bytes")
    ]
    splits = [("splits", "max_train_overlap"), ("splits", "dropped_for_overlap")]
    disclosure = [("disclosure", key) for key in manifest["disclosure"]]
    configs = [("configs", "default"), ("configs", "paper")]
    return [(key,) for key in manifest] + attributes + counts + splits + disclosure + configs


def _without(manifest: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    copy: dict[str, Any] = json.loads(json.dumps(manifest))
    container = copy
    for key in path[:-1]:
        container = container[key]
    del container[path[-1]]
    return copy


def test_every_record_a_build_writes_is_required(built_default: Path) -> None:
    """Each record deleted from a build's manifest is refused by name; one the schema does not
    require of every manifest says it is a build's, and a manifest labelled as no build
    (``1.0.0+handmade``) may lack it."""
    manifest = load_manifest(built_default)
    handmade = {**manifest, "version": "1.0.0+handmade"}
    assert manifest_problems(manifest) == manifest_problems(handmade) == []
    paths = _paths(manifest)
    assert len(paths) > 60  # 26 top-level records, 4 personas, 24 counts, ...
    of_builds = []
    for path in paths:
        # "is a required property", or "is a dependency of" another (the disclosure's method)
        required = f"'{path[-1]}' is a "
        where = "$" + "".join(f".{key}" for key in path[:-1])
        problems = manifest_problems(_without(manifest, path))
        assert problems, path
        assert problems[0].startswith(f"{where}: {required}"), problems
        # Without the record, a hand-made manifest may break another rule that reads it (its
        # dropped subgroups then name no recorded stratum), but only the schema's own
        # requirements are required of it.
        of_every = manifest_problems(_without(handmade, path))
        if not any(problem.startswith(f"{where}: {required}") for problem in of_every):
            assert all(BUILD_NOTE in problem for problem in problems), problems
            of_builds.append(path)
    # What the probe deleted to switch checks off is among the records required of builds.
    probed = [("items",), ("splits",), ("subgroups",), ("splits", "max_train_overlap")]
    assert set(probed) <= set(of_builds)
    assert ("attributes", "sex", "persona") in of_builds
    assert ("configs", "default", "test_ood", "subgroups") in of_builds


@pytest.fixture
def forge(
    built_default: Path, tmp_path: Path
) -> Callable[[Callable[[dict[str, Any]], None]], Path]:
    """A copy of the default build whose manifest ``change`` edits, re-bound into every data
    file with the files' hashes re-recorded: what a forger makes."""

    def forged(change: Callable[[dict[str, Any]], None]) -> Path:
        folder = Path(shutil.copytree(built_default, tmp_path / "ds"))
        manifest = load_manifest(folder)
        change(manifest)
        rebind(folder, manifest)
        return folder

    return forged


def _refused(folder: Path, tmp_path: Path, *said: str) -> None:
    """``validate`` names the manifest and ``said``; ``score`` refuses in one line."""
    validate = CliRunner().invoke(main, ["validate", str(folder)])
    assert validate.exit_code == 2, validate.output
    assert "Traceback" not in validate.output
    lines = [line for line in validate.output.splitlines() if str(folder / MANIFEST_FILE) in line]
    assert lines, validate.output
    assert all(word in lines[0] for word in said), validate.output
    predictions = tmp_path / "p.jsonl"
    predictions.write_text('{"id": "x", "answer": 1}\n', encoding="utf-8")
    args = ["score", str(predictions), "--dataset", str(folder), "--bootstrap", "0"]
    assert_one_error_line(CliRunner().invoke(main, args), str(folder / MANIFEST_FILE), *said)


@pytest.mark.parametrize("record", ["items", "splits", "subgroups", "train_overlap"])
def test_a_record_deleted_by_a_forger_is_refused(
    forge: Callable[[Callable[[dict[str, Any]], None]], Path], tmp_path: Path, record: str
) -> None:
    folder = forge(lambda manifest: manifest.pop(record))
    _refused(folder, tmp_path, f"'{record}' is a required property", BUILD_NOTE)


def test_a_held_out_question_trained_with_splits_deleted_is_refused(
    forge: Callable[[Callable[[dict[str, Any]], None]], Path], tmp_path: Path
) -> None:
    """The probe's forgery: the split settings gone, so no row's split could be checked. The
    rows are the build's here: the manifest alone is refused, before any row is read."""
    folder = forge(lambda manifest: manifest.pop("splits"))
    _refused(folder, tmp_path, "$: 'splits' is a required property")


def test_dropped_for_overlap_without_its_bound_is_refused(
    forge: Callable[[Callable[[dict[str, Any]], None]], Path], tmp_path: Path
) -> None:
    folder = forge(lambda manifest: manifest["splits"].pop("max_train_overlap"))
    _refused(folder, tmp_path, "$.splits: 'max_train_overlap' is a required property")


@pytest.mark.parametrize("version", ["0.9.0+synthetic", "1.0.1+synthetic", "2.0.0", "9.9.9+x"])
def test_a_release_this_sgbench_does_not_know_is_refused(
    forge: Callable[[Callable[[dict[str, Any]], None]], Path], tmp_path: Path, version: str
) -> None:
    """Relabelled (with the card's changelog forged too, which is never read for this), a
    dataset was read as another release's and skipped the checks of this release's catalogue."""
    folder = forge(lambda manifest: manifest.update(version=version))
    release = version.split("+")[0]
    _refused(
        folder,
        tmp_path,
        f"$.version: release {release} is not one this sgbench knows (1.0.0)",
        "pip install --upgrade sgbench",
    )


def test_a_catalogue_sgbench_lacks_is_refused_in_a_build(
    forge: Callable[[Callable[[dict[str, Any]], None]], Path], tmp_path: Path
) -> None:
    folder = forge(lambda manifest: manifest["items"].update(catalogue="wvs9"))
    _refused(folder, tmp_path, "$.items.catalogue: 'wvs9' is not a catalogue sgbench has (wvs7)")


@pytest.mark.parametrize(("version", "synthetic"), [("1.0.0+synthetic", False), ("1.0.0", True)])
def test_a_builds_version_and_synthetic_flag_agree(
    forge: Callable[[Callable[[dict[str, Any]], None]], Path],
    tmp_path: Path,
    version: str,
    synthetic: bool,
) -> None:
    folder = forge(lambda manifest: manifest.update(version=version, synthetic=synthetic))
    _refused(folder, tmp_path, f"$.version: version {version} says a build from", "together")


@pytest.mark.parametrize("version", ["1.0.0+Synthetic", "1.0.0+synthetic.0", "1.0.0+SYNTHETIC-1"])
def test_a_label_that_looks_like_a_builds_is_refused(
    forge: Callable[[Callable[[dict[str, Any]], None]], Path], tmp_path: Path, version: str
) -> None:
    """The probe's forgery: relabelled so as to be read as hand-made (held only to the records it
    has) with ``splits`` deleted, a header that read like a build's was printed over its scores.
    A label that reads as a build's is no build's and no hand-made one's: refused by name."""

    def relabel(manifest: dict[str, Any]) -> None:
        manifest.update(version=version)
        manifest.pop("splits")

    folder = forge(relabel)
    _refused(
        folder,
        tmp_path,
        f"$.version: version '{version}' looks like the build label '1.0.0+synthetic' but is "
        "not it",
    )


def test_a_dataset_labelled_as_no_build_is_read_and_never_published(
    forge: Callable[[Callable[[dict[str, Any]], None]], Path], tmp_path: Path
) -> None:
    """The records deleted as in the probe, but the version says it is no build: it is read
    (the tests' hand-made datasets are such), every report shows its version, validate says it
    is no build and push refuses it, --allow-synthetic or not."""

    def relabel(manifest: dict[str, Any]) -> None:
        manifest.update(version="1.0.0+handmade")
        for record in ("items", "splits", "subgroups"):
            manifest.pop(record)

    folder = forge(relabel)
    _retitle_card(folder)
    validate = CliRunner().invoke(main, ["validate", str(folder)])
    assert validate.exit_code == 0, validate.output
    assert "(wvs-sg-subgroups 1.0.0+handmade): valid" in validate.output
    assert "NOT AN SGBENCH BUILD (version 1.0.0+handmade)" in validate.output
    manifest = load_manifest(folder)
    for allow in (False, True):
        reasons = publication_problems(manifest, allow_synthetic=allow)
        assert len(reasons) == 1, reasons
        assert reasons[0].startswith("NOT AN SGBENCH BUILD"), reasons
    row = pq.read_table(folder / split_file("default", "test_ood")).slice(0, 1).to_pylist()[0]
    predictions = tmp_path / "p.jsonl"
    predictions.write_text(
        json.dumps({"id": row["id"], "answer": row["modal_answers"][0]}) + "\n", encoding="utf-8"
    )
    args = ["score", str(predictions), "--dataset", str(folder), "--bootstrap", "0"]
    scored = CliRunner().invoke(main, [*args, "--permutations", "0"])
    assert scored.exit_code == 0, scored.output
    # The reader's header says it is no build, as validate does (versioning.version_marker).
    assert "wvs-sg-subgroups 1.0.0+handmade (NOT AN SGBENCH BUILD; SYNTHETIC" in scored.output


def _retitle_card(folder: Path) -> None:
    """The card's title names the manifest's version: a relabelled dataset's is rewritten, its
    sha256 and size re-recorded (its records deleted, the builder's card cannot be rendered)."""
    card = folder / "README.md"
    text = card.read_text(encoding="utf-8")
    manifest = load_manifest(folder)
    card.write_text(text.replace("1.0.0+synthetic", manifest["version"]), encoding="utf-8")
    manifest["card"] = {
        "sha256": hashlib.sha256(card.read_bytes()).hexdigest(),
        "size": card.stat().st_size,
    }
    rebind(folder, manifest)
