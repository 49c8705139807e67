"""Why a dataset cannot be published (`sgbench.publish.publication_problems`): a SYNTHETIC build,
thresholds under the publication floor, groups recoverable by subtraction. Each rule refuses a
push in one line (through a recording fake of the Hub API; nothing reaches the network), shows as
a note in `validate`, and cannot be lifted by editing manifest.json. The positive control, a
build that meets every rule, is pushed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pyreadstat
import pytest
from click.testing import CliRunner
from manifest_tools import rebind, recard
from publication_fixtures import publishable_config
from test_publish import REPO, FakeHubApi

from sgbench.builder import build_dataset, write_synthetic_sample
from sgbench.builder.layouts import SYNTHETIC_COLUMN, is_synthetic
from sgbench.builder.reader import read_survey
from sgbench.builder.synthetic import synthetic_sample
from sgbench.cli import main
from sgbench.dataset import BINDING_KEY, PUBLICATION_FLOOR, load_manifest
from sgbench.errors import InputError
from sgbench.publish import check_dataset, publication_problems, push_dataset
from sgbench.publish.checks import InvalidDatasetError

DISCLOSURE_DOC = "docs/dataset-and-splits.md#small-groups-recoverable-by-subtraction"


def _real_manifest(**changes: Any) -> dict[str, Any]:
    """The fields the rules read, of a build that meets every rule, with ``changes``."""
    manifest: dict[str, Any] = {
        "synthetic": False,
        "min_subgroup_size": PUBLICATION_FLOOR,
        "min_valid_answers": PUBLICATION_FLOOR,
        "disclosure": {
            "rule": "r",
            "recoverable_groups": 0,
            "exact_subgroups": 0,
            "smallest_size": None,
            "derivable_groups": 0,
            "earlier_waves": [],
        },
    }
    manifest.update(changes)
    return manifest


def _copy(folder: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(folder, tmp_path / "ds"))


def _edit_manifest(folder: Path, **changes: Any) -> dict[str, Any]:
    path = folder / "manifest.json"
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    manifest.update(changes)
    path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return manifest


def _rebind(folder: Path, **changes: Any) -> None:
    """Change manifest fields *and* rewrite every data file's binding and hash to agree: what
    a build with those values holds (the forger the integrity rule does not claim to stop)."""
    rebind(folder, _edit_manifest(folder, **changes))


def _refusal(folder: Path, **options: Any) -> tuple[str, FakeHubApi]:
    api = FakeHubApi()
    with pytest.raises(InputError) as caught:
        push_dataset(folder, REPO, api=api, **options)
    assert api.calls == [], "refused before any Hub call"
    message = str(caught.value)
    assert "\n" not in message
    return message, api


# --- the rules, on hand-made manifests ----------------------------------------------------------


def test_a_manifest_meeting_every_rule_has_no_problem() -> None:
    assert publication_problems(_real_manifest()) == []


@pytest.mark.parametrize("name", ["min_subgroup_size", "min_valid_answers"])
def test_the_floor_is_the_one_constant_and_inclusive(name: str) -> None:
    assert PUBLICATION_FLOOR == 30
    assert publication_problems(_real_manifest(**{name: PUBLICATION_FLOOR})) == []
    (reason,) = publication_problems(_real_manifest(**{name: PUBLICATION_FLOOR - 1}))
    assert reason.startswith(f"{name} 29 is under the publication floor 30")
    (reason,) = publication_problems({k: v for k, v in _real_manifest().items() if k != name})
    assert reason == f"records no {name} (built by an older sgbench): rebuild the dataset"


@pytest.mark.parametrize("value", [30.0, True, "30"])
@pytest.mark.parametrize("name", ["min_subgroup_size", "min_valid_answers"])
def test_a_threshold_that_is_not_a_count_is_named_as_such(name: str, value: object) -> None:
    """A hand-made manifest's 30.0 was refused as '30.0 is under the publication floor 30', a
    reason that is false of it (probe s12 A04); it is refused as not a whole number."""
    (reason,) = publication_problems(_real_manifest(**{name: value}))
    assert reason.startswith(f"{name} {value!r} is not a whole number of respondents")
    assert "under the publication floor" not in reason


@pytest.mark.parametrize("value", [30.5, True, "40", -5, 0, [30], {"a": 1}, float("nan")])
def test_the_disclosure_reason_names_no_size_that_is_not_a_count(value: object) -> None:
    """With a hand-made min_subgroup_size the disclosure reason read '26 group(s) of fewer than
    True respondents' or 'fewer than -5' (probe s13 A01-A09): false of the groups the build
    audited. The size gets its own reason; the disclosure one names the field."""
    disclosure = {**_real_manifest()["disclosure"], "recoverable_groups": 26}
    manifest = _real_manifest(min_subgroup_size=value, disclosure=disclosure)
    size_reason, disclosure_reason = publication_problems(manifest)
    assert size_reason.startswith(f"min_subgroup_size {value!r} ")
    assert disclosure_reason.startswith(
        "26 group(s) of fewer respondents than min_subgroup_size are recoverable by subtracting"
    )


@pytest.mark.parametrize("name", ["singapore.yaml", "generic.yaml"])
def test_shipped_configs_and_defaults_meet_the_floor(name: str, tmp_path: Path) -> None:
    """The floor is written once: the shipped configs meet it, a config that leaves the
    thresholds out gets it, and the config schema's documented default is it."""
    from sgbench.builder.config import load_config, shipped_config
    from sgbench.dataset import under_floor
    from sgbench.schema import load_schema

    assert under_floor(vars(shipped_config(name))) == {}
    bare = publishable_config(tmp_path)
    text = bare.read_text(encoding="utf-8").splitlines()
    bare.write_text("\n".join(line for line in text if not line.startswith("min_")) + "\n")
    config = load_config(bare)
    assert (config.min_subgroup_size, config.min_valid_answers) == (30, 30)
    properties = load_schema("build_config")["properties"]
    assert properties["min_subgroup_size"]["default"] == PUBLICATION_FLOOR
    assert properties["min_valid_answers"]["default"] == PUBLICATION_FLOOR


def test_recoverable_groups_are_named_with_their_count_and_doc() -> None:
    disclosure = {**_real_manifest()["disclosure"], "recoverable_groups": 7}
    (reason,) = publication_problems(_real_manifest(disclosure=disclosure))
    assert reason.startswith("7 group(s) of fewer than 30 respondents are recoverable")
    assert DISCLOSURE_DOC in reason
    (reason,) = publication_problems(
        {k: v for k, v in _real_manifest().items() if k != "disclosure"}
    )
    assert reason.startswith("records no complete `disclosure`")
    assert DISCLOSURE_DOC in reason


def test_either_audit_in_any_wave_refuses() -> None:
    """The exact audit can find sets the one-attribute subtractions miss, and a temporal build
    publishes its earlier waves: a count in any of them is a reason, the largest is named."""
    base = _real_manifest()["disclosure"]
    wave = {"wave": 6, "recoverable_groups": 0, "derivable_groups": 0}
    cases = [
        ({**base, "derivable_groups": 3}, 3),
        ({**base, "earlier_waves": [wave, {**wave, "wave": 5, "derivable_groups": 5}]}, 5),
        ({**base, "recoverable_groups": 2, "derivable_groups": 4}, 4),
    ]
    for disclosure, count in cases:
        (reason,) = publication_problems(_real_manifest(disclosure=disclosure))
        assert reason.startswith(f"{count} group(s) of fewer than 30 respondents")
        assert "disclosure_control: suppress" in reason
    assert publication_problems(_real_manifest(disclosure={**base, "earlier_waves": [wave]})) == []
    for incomplete in (
        {k: v for k, v in base.items() if k != "derivable_groups"},
        {**base, "earlier_waves": [{"wave": 6, "recoverable_groups": 0}]},
        {**base, "derivable_groups": True},
    ):
        (reason,) = publication_problems(_real_manifest(disclosure=incomplete))
        assert reason.startswith("records no complete `disclosure`")


def test_every_reason_is_listed_at_once() -> None:
    disclosure = {**_real_manifest()["disclosure"], "recoverable_groups": 2}
    reasons = publication_problems(
        _real_manifest(min_subgroup_size=5, min_valid_answers=10, disclosure=disclosure)
    )
    assert [reason.split(" ", 1)[0] for reason in reasons] == [
        "min_subgroup_size",
        "min_valid_answers",
        "2",
    ]


def test_synthetic_is_lifted_only_by_allow_synthetic() -> None:
    (reason,) = publication_problems(_real_manifest(synthetic=True))
    assert "SYNTHETIC" in reason
    assert "pass allow_synthetic=True to push it anyway" in reason  # from Python
    # The floor and disclosure protect respondents; a SYNTHETIC build has none.
    small = _real_manifest(synthetic=True, min_subgroup_size=5)
    assert publication_problems(small, allow_synthetic=True) == []
    # A manifest without the field is not taken for WVS data.
    assert "SYNTHETIC" in publication_problems({})[0]
    # allow_synthetic lifts nothing else.
    assert publication_problems(_real_manifest(min_subgroup_size=5), allow_synthetic=True)


# --- positive control ---------------------------------------------------------------------------


def test_a_build_meeting_every_rule_is_pushed(built_publishable: Path, tmp_path: Path) -> None:
    manifest = load_manifest(built_publishable)
    assert manifest["synthetic"] is False
    assert manifest["publication_floor"] == {"floor": PUBLICATION_FLOOR, "under_floor": {}}
    assert manifest["disclosure"]["recoverable_groups"] == 0
    check = check_dataset(built_publishable)
    assert check.ok
    assert check.unpublishable == ()
    assert "not publishable" not in check.render()
    assert "Not for publication" not in (built_publishable / "README.md").read_text("utf-8")
    api = FakeHubApi()
    result = push_dataset(_copy(built_publishable, tmp_path), REPO, api=api)
    assert api.names()[-1] == "create_tag"
    assert result.tag == f"v{manifest['version']}"


# --- H10: thresholds under the floor -----------------------------------------------------------


@pytest.fixture(scope="module")
def built_small(tmp_path_factory: pytest.TempPathFactory, unmarked_csv: Path) -> Path:
    """A build from WVS-format data with min_subgroup_size 5 and min_valid_answers 10."""
    folder = tmp_path_factory.mktemp("small")
    config = publishable_config(folder, min_subgroup_size=5, min_valid_answers=10)
    build_dataset(wvs_path=unmarked_csv, out_dir=folder / "ds", config_path=config)
    return folder / "ds"


def test_a_build_under_the_floor_is_built_marked_and_refused(built_small: Path) -> None:
    manifest = load_manifest(built_small)
    assert manifest["synthetic"] is False
    assert manifest["publication_floor"] == {
        "floor": 30,
        "under_floor": {"min_subgroup_size": 5, "min_valid_answers": 10},
    }
    card = (built_small / "README.md").read_text(encoding="utf-8")
    assert (
        "> **Not for publication.** Built with min_subgroup_size 5 and min_valid_answers 10, "
        "under the publication floor of 30: `sgbench push` refuses it"
    ) in card
    check = check_dataset(built_small)
    assert check.ok, check.render()
    message, _ = _refusal(built_small)
    assert message.startswith(f"{built_small}: not published: ")
    assert "min_subgroup_size 5 is under the publication floor 30" in message
    assert "min_valid_answers 10 is under the publication floor 30" in message


def test_validate_passes_a_build_under_the_floor_with_a_note(built_small: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(built_small)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].endswith("valid (8 files checked)")
    assert lines[1].startswith("not publishable: `sgbench push` refuses it")
    assert lines[2] == (
        "  min_subgroup_size 5 is under the publication floor 30: rebuild with "
        "min_subgroup_size of at least 30 (see docs/publishing.md#what-cannot-be-published)"
    )


def test_the_cli_refusal_is_one_line(built_small: Path) -> None:
    result = CliRunner().invoke(main, ["push", str(built_small), "--repo-id", REPO, "--dry-run"])
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Error: {built_small}: not published: min_subgroup_size 5")


# --- manifest edits cannot lift a refusal -------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        # The floor record is derived from the thresholds: either edited alone disagrees.
        ({"min_subgroup_size": 30, "min_valid_answers": 30}, "is not what a build with these"),
        ({"publication_floor": {"floor": 30, "under_floor": {}}}, "is not what a build with these"),
        # A build's version says whether it is synthetic: the flag alone is refused first.
        ({"synthetic": True}, "says a build from WVS data and synthetic is True"),
    ],
    ids=["thresholds", "publication_floor", "synthetic"],
)
def test_editing_the_manifest_fails_the_checks(
    built_small: Path, tmp_path: Path, changes: dict[str, Any], said: str
) -> None:
    folder = _copy(built_small, tmp_path)
    _edit_manifest(folder, **changes)
    check = check_dataset(folder)
    assert not check.ok
    assert any(said in str(p) for p in check.problems), check.problems
    assert check.unpublishable == ()  # no verdict on fields that cannot be trusted
    with pytest.raises(InvalidDatasetError):
        push_dataset(folder, REPO, api=FakeHubApi(), allow_synthetic=True)


@pytest.mark.parametrize("field", ["disclosure", "min_subgroup_size", "publication_floor"])
def test_deleting_a_bound_field_fails_the_checks(
    built_publishable: Path, tmp_path: Path, field: str
) -> None:
    folder = _copy(built_publishable, tmp_path)
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    del manifest[field]
    path.write_text(json.dumps(manifest), encoding="utf-8")
    problems = [str(p) for p in check_dataset(folder).problems]
    assert any(f"'{field}' is a required property (a build's manifest" in p for p in problems)


def test_editing_disclosure_to_zero_fails_the_checks(built_real: Path, tmp_path: Path) -> None:
    folder = _copy(built_real, tmp_path)
    manifest = load_manifest(folder)
    _edit_manifest(folder, disclosure={**manifest["disclosure"], "recoverable_groups": 0})
    assert not check_dataset(folder).ok


def test_a_build_by_an_older_sgbench_is_told_to_rebuild(
    built_publishable: Path, tmp_path: Path
) -> None:
    """Files carrying only name, version and synthetic (the binding before the publication
    rules) leave the new fields unprotected: named as an older build, not as an edit."""
    folder = _copy(built_publishable, tmp_path)
    manifest = load_manifest(folder)
    old = {name: manifest[name] for name in ("name", "synthetic", "version")}
    for relative in manifest["files"]:
        path = folder / relative
        table = pq.read_table(path)
        carried = json.dumps(old, sort_keys=True, separators=(",", ":")).encode()
        metadata = {**(table.schema.metadata or {}), BINDING_KEY: carried}
        pq.write_table(table.replace_schema_metadata(metadata), path)
        manifest["files"][relative] = hashlib.sha256(path.read_bytes()).hexdigest()
        manifest["sizes"][relative] = path.stat().st_size
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    problems = [str(p) for p in check_dataset(folder).problems]
    assert problems
    assert all("built by an older sgbench; rebuild the dataset" in p for p in problems)


# --- disclosure: groups recoverable by subtraction --------------------------------------------


@pytest.fixture(scope="module")
def built_real(tmp_path_factory: pytest.TempPathFactory, unmarked_csv: Path) -> Path:
    """The default config built from WVS-format data: not SYNTHETIC."""
    out = tmp_path_factory.mktemp("real") / "ds"
    build_dataset(wvs_path=unmarked_csv, out_dir=out)
    return out


def test_recoverable_groups_refuse_a_push(built_publishable: Path, tmp_path: Path) -> None:
    folder = _copy(built_publishable, tmp_path)
    disclosure = load_manifest(folder)["disclosure"]
    # Recoverable groups are derivable too (the exact audit covers every remainder).
    recoverable = {"recoverable_groups": 4, "smallest_size": 3}
    derivable = {"derivable_groups": 4, "derivable_smallest": 3}
    manifest = load_manifest(folder)
    manifest["disclosure"] = {**disclosure, **recoverable, **derivable}
    recard(folder, manifest)  # the card shows the disclosure
    assert check_dataset(folder).ok
    message, _ = _refusal(folder)
    assert "4 group(s) of fewer than 30 respondents are recoverable" in message
    assert DISCLOSURE_DOC in message


def test_a_manifest_without_disclosure_refuses_a_push(
    built_publishable: Path, tmp_path: Path
) -> None:
    """A build's manifest holds its disclosure record (test_manifest_records): without it, re-bound
    as a forger would, the folder is invalid and push stops before any Hub call."""
    folder = _copy(built_publishable, tmp_path)
    manifest = load_manifest(folder)
    del manifest["disclosure"]
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    _rebind(folder)
    check = check_dataset(folder)
    assert any("'disclosure' is a required property" in str(p) for p in check.problems)
    api = FakeHubApi()
    with pytest.raises(InvalidDatasetError):
        push_dataset(folder, REPO, api=api)
    assert api.calls == []


def test_the_default_build_is_refused_with_its_own_count(built_real: Path) -> None:
    """The default config (the paper's, `disclosure_control: none`) measures without
    suppressing: push and validate name the larger of the two audits' counts."""
    disclosure = load_manifest(built_real)["disclosure"]
    assert disclosure["method"] == "none"
    count = max(disclosure["recoverable_groups"], disclosure["derivable_groups"])
    assert count > 0
    (reason,) = check_dataset(built_real).unpublishable
    assert reason.startswith(f"{count} group(s) of fewer than 30 respondents")
    message, _ = _refusal(built_real)
    assert message == f"{built_real}: not published: {reason}"


# --- H11: files written by `sgbench synth` make SYNTHETIC builds --------------------------------


@pytest.fixture(scope="module")
def synth_builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """`sgbench synth` in every format, each renamed like a download, then built."""
    folder = tmp_path_factory.mktemp("synth")
    config = publishable_config(folder)
    built = {}
    for fmt in ("csv", "dta", "sav", "zip"):
        written = write_synthetic_sample(folder / f"synth.{fmt}")
        download = written.rename(folder / f"WVS_Cross-National_Wave_7_{fmt}_v5_0.{fmt}")
        out = folder / f"ds-{fmt}"
        result = CliRunner().invoke(
            main, ["build", "--wvs", str(download), "--out", str(out), "--config", str(config)]
        )
        assert result.exit_code == 0, result.output
        assert "carries the mark of `sgbench synth`" in result.output
        built[fmt] = out
    return built


@pytest.mark.parametrize("fmt", ["csv", "dta", "sav", "zip"])
def test_a_build_from_a_synth_file_is_synthetic_and_refused(
    synth_builds: dict[str, Path], tmp_path: Path, fmt: str
) -> None:
    folder = synth_builds[fmt]
    manifest = load_manifest(folder)
    assert manifest["synthetic"] is True
    assert manifest["version"].endswith("+synthetic")
    assert manifest["built_from"]["format"].startswith("synthetic (")
    message, _ = _refusal(folder)
    assert "SYNTHETIC" in message
    assert "pass allow_synthetic=True to push it anyway" in message  # from Python
    api = FakeHubApi()
    push_dataset(_copy(folder, tmp_path), REPO, api=api, allow_synthetic=True)
    assert api.names()[-1] == "create_tag"


def test_synth_and_unmarked_builds_differ_only_in_what_marks_them(
    synth_builds: dict[str, Path], built_publishable: Path
) -> None:
    """The marker column changes no sample: the same rows, only the bound identity differs."""
    relative = "data/default/test_ood-00000-of-00001.parquet"
    a = pq.read_table(synth_builds["dta"] / relative)
    b = pq.read_table(built_publishable / relative)
    assert a.replace_schema_metadata().equals(b.replace_schema_metadata())


@pytest.mark.parametrize("layout", ["wvs7", "wvs6", "timeseries"])
def test_the_reader_sees_the_mark_in_every_layout(tmp_path: Path, layout: str) -> None:
    path = write_synthetic_sample(tmp_path / "s.csv", layout=layout)  # type: ignore[arg-type]
    waves = [7] if layout == "timeseries" else None
    assert read_survey(path, ["Q1"], "SGP", waves).synthetic is True


@pytest.mark.parametrize("fmt", ["dta", "sav"])
def test_stata_and_spss_files_also_carry_labels(tmp_path: Path, fmt: str) -> None:
    path = write_synthetic_sample(tmp_path / f"s.{fmt}", n=50)
    reader = pyreadstat.read_dta if fmt == "dta" else pyreadstat.read_sav
    frame, meta = reader(str(path), usecols=[SYNTHETIC_COLUMN])
    assert set(frame[SYNTHETIC_COLUMN]) == {1}
    assert "SYNTHETIC" in meta.file_label
    assert "SYNTHETIC" in meta.column_names_to_labels[SYNTHETIC_COLUMN]


def test_what_the_mark_cannot_see(tmp_path: Path) -> None:
    """The mark is a column: a synthetic sample re-saved without it reads as WVS data (the
    docs say so), and WVS data never has it."""
    assert is_synthetic(["b_country", "sgbench_synthetic"])
    stripped = tmp_path / "stripped.csv"
    synthetic_sample(n=80).to_csv(stripped, index=False)
    assert read_survey(stripped, ["Q1"], "SGP").synthetic is False


def test_a_rebuild_between_check_and_upload_is_not_published(
    built_publishable: Path, built_small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The folder checked publishable is rebuilt under the floor while push copies it: same
    file names, same version, every check passes on the copy; the manifests differ, so
    nothing is uploaded (comparing names and version only uploaded the rebuild)."""
    folder = _copy(built_publishable, tmp_path)
    copy = shutil.copyfile
    swapped: list[bool] = []

    def rebuilt_meanwhile(source: Path, target: Path, **options: Any) -> Path:
        if not swapped:
            swapped.append(True)
            shutil.rmtree(folder)
            shutil.copytree(built_small, folder)  # its own copies go through here too
        return Path(copy(source, target, **options))

    monkeypatch.setattr("sgbench.publish.push.shutil.copyfile", rebuilt_meanwhile)
    api = FakeHubApi()
    with pytest.raises(InputError, match="changed while it was being pushed"):
        push_dataset(folder, REPO, api=api)
    assert swapped
    assert "upload_folder" not in api.names()
