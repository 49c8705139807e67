"""No field of ``manifest.json`` vouches for itself (issue #15).

Every field but the integrity record (``files`` and ``sizes``: each data file's sha256 and size,
checked against the file) is carried by every data file (:func:`sgbench.dataset.binding`), and
the schema is closed. So an edit of any field of a real build, and any key the schema does not
describe, is refused by ``validate``, by ``push`` before any Hub call, and by every reader,
named by its JSON path. The fields are taken from real builds' manifests, not listed by hand: a
field a later builder adds is covered without touching this file.
"""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from manifest_tools import bound, rewrite
from test_publish import REPO, FakeHubApi

from sgbench.cli import main
from sgbench.dataset import (
    BINDING_KEY,
    CARD_FILE,
    INTEGRITY_FIELDS,
    MANIFEST_FILE,
    PATH_KEY,
    binding,
    load_manifest,
    manifest_problems,
    open_dataset,
    sample_schema,
)
from sgbench.errors import InputError
from sgbench.publish import check_dataset, push_dataset


def _leaves(value: Any, path: str) -> Iterator[tuple[str, list[Any] | dict[str, Any], Any]]:
    """Every scalar leaf under ``value``: its JSON path, its container and its key there."""
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        where = f"{path}.{key}" if isinstance(value, dict) else f"{path}[{key}]"
        if isinstance(item, dict | list):
            yield from _leaves(item, where)
        else:
            yield where, value, key


def _changed(value: Any) -> Any:
    """Another value of the same kind that the schema still accepts (a sha256 stays hex, a
    version a version, a share a share): so the edit is found by the binding, not the schema."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value / 2
    if isinstance(value, str) and value:
        last = value[-1]
        if last.isdigit():
            return value[:-1] + str((int(last) + 1) % 10)
        return value[:-1] + ("b" if last == "a" else "a")
    return None


def _first_edit(manifest: dict[str, Any], field: str) -> str | None:
    """Edit the first leaf of ``field`` that has a value to change, in place; its JSON path."""
    value = manifest[field]
    if field == "version":
        # Another label: a release this sgbench does not know is refused before the binding.
        manifest[field] = value + (".edited" if "+" in value else "+edited")
        return field
    if not isinstance(value, dict | list):
        if value is None:
            return None
        manifest[field] = _changed(value)
        return field
    for where, container, key in _leaves(value, field):
        old = container[key]  # type: ignore[index]
        if old is not None:
            container[key] = _changed(old)  # type: ignore[index]
            if manifest_problems(manifest) == []:
                return where
            # A leaf the manifest's own rules hold (a catalogue sgbench lacks, a stratum of no
            # attribute, an earlier wave that is the latest) is refused before the binding is
            # read: edit the next one.
            container[key] = old  # type: ignore[index]
    return None


def _held_by_rules(manifest: dict[str, Any], field: str) -> bool:
    """Whether the first leaf of ``field`` with a value, edited, is refused by the manifest's
    own rules (:func:`manifest_problems`)."""
    edited = json.loads(json.dumps(manifest))
    value = edited[field]
    if not isinstance(value, dict | list):
        return False
    for _, container, key in _leaves(value, field):
        if container[key] is not None:  # type: ignore[index]
            container[key] = _changed(container[key])  # type: ignore[index]
            return manifest_problems(edited) != []
    return False


@pytest.fixture(scope="module")
def builds(built_publishable: Path, built_temporal: Path) -> list[Path]:
    """A publishable build (not SYNTHETIC: push goes as far as the checks) and a temporal one
    (the only kind with earlier waves)."""
    return [built_publishable, built_temporal]


def _fields(builds: list[Path]) -> list[str]:
    names: dict[str, None] = {}
    for build in builds:
        names.update(dict.fromkeys(load_manifest(build)))
    return [name for name in names if name not in INTEGRITY_FIELDS]


def _copy(folder: Path, tmp_path: Path) -> Path:
    out = tmp_path / folder.name
    shutil.copytree(folder, out)
    return out


def _write(folder: Path, manifest: dict[str, Any]) -> None:
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def test_untouched_builds_validate_and_carry_their_manifest(builds: list[Path]) -> None:
    for build in builds:
        manifest = load_manifest(build)
        assert manifest_problems(manifest) == []
        check = check_dataset(build)
        assert check.ok, check.problems
        for relative in manifest["files"]:
            metadata = bound(build / relative)
            carried = json.loads(metadata[BINDING_KEY])
            assert carried == {k: v for k, v in manifest.items() if k not in ("files", "sizes")}
            assert metadata[PATH_KEY] == relative.encode()  # each file its own path


def test_each_data_file_stores_the_manifest_copy_once(builds: list[Path]) -> None:
    """The copy is in the file's key-value metadata only: pyarrow also stores the Arrow schema,
    metadata included, in the footer (``ARROW:schema``, base64 of the schema message), and the
    copy there was a second one, a third of a split's file in a build of six countries. The
    schema read back is the declared features, with their ``huggingface`` metadata only."""
    for build in builds:
        manifest = load_manifest(build)
        declared = sample_schema(list(manifest["attributes"]))
        for relative in manifest["files"]:
            path = build / relative
            copy = binding(manifest, relative)[BINDING_KEY]
            metadata = pq.read_metadata(path).metadata
            assert metadata[BINDING_KEY] == copy
            assert metadata[PATH_KEY] == relative.encode()
            schema_message = base64.b64decode(metadata[b"ARROW:schema"])
            assert copy not in schema_message
            assert relative.encode() not in schema_message
            assert path.read_bytes().count(copy) == 1
            # Not equals(check_metadata=True): that compares a list's item name too, which
            # parquet writes as `element` (the format's name) where Arrow says `item`.
            schema = pq.read_schema(path)
            assert schema.equals(declared), relative
            assert schema.metadata == declared.metadata, relative


def test_every_field_of_a_real_build_is_bound(builds: list[Path], tmp_path: Path) -> None:
    """Each top-level field, edited in the first build where it has a value to edit, is refused
    by validate, by push before any Hub call, and by opening the dataset (what score does)."""
    fields = _fields(builds)
    # The fields the probe of #15 edited unnoticed are among them (a guard on the derivation).
    assert {"built_from", "attributes", "weight", "strata", "splits", "card"} <= set(fields)
    covered = []
    for field in fields:
        for build in builds:
            manifest = load_manifest(build)
            if field not in manifest:
                continue
            where = _first_edit(manifest, field)
            if where is None:
                if _held_by_rules(manifest, field):
                    # Every leaf is derived or checked by the manifest's own rules (the floor
                    # from the thresholds, the cited counts): an edit never reaches the binding.
                    covered.append(field)
                    break
                continue
            folder = _copy(build, tmp_path / field)
            _write(folder, manifest)
            if field == "synthetic":
                # A build's version says whether it is synthetic: the flag edited alone is
                # refused before the binding is read (test_dataset_access edits it in a
                # hand-made dataset, whose binding finds it).
                assert manifest_problems(manifest) == [
                    "$.version: version 1.0.0 says a build from WVS data and synthetic is True: "
                    "a build writes them together"
                ]
                with pytest.raises(InputError, match="a build writes them together"):
                    open_dataset(folder)
                covered.append(field)
                break
            assert manifest_problems(manifest) == [], (field, where)
            expected = f"{where}: differs from the copy"

            # One problem per data file, each naming the field (the card's own checks, which
            # compare it with some fields, may add theirs).
            problems = [str(p) for p in check_dataset(folder).problems]
            about_manifest = [p for p in problems if p.startswith(str(folder / MANIFEST_FILE))]
            assert len(about_manifest) == len(manifest["files"]), problems
            assert all(expected in p and "edited after the build" in p for p in about_manifest)

            api = FakeHubApi()
            with pytest.raises(InputError) as pushed:
                push_dataset(folder, REPO, api=api, allow_synthetic=True)
            assert api.calls == [], field
            assert expected in str(pushed.value), field

            # Refused on opening, before any split is asked for: a command that reads only the
            # manifest (the judge's dataset identity) is covered too.
            with pytest.raises(InputError) as read:
                open_dataset(folder)
            assert str(read.value).startswith(str(folder / MANIFEST_FILE)), field
            assert expected in str(read.value)
            assert "\n" not in str(read.value)
            covered.append(field)
            break
    assert covered == fields, set(fields) - set(covered)


def test_the_score_command_refuses_an_edited_field(built_publishable: Path, tmp_path: Path) -> None:
    folder = _copy(built_publishable, tmp_path)
    manifest = load_manifest(folder)
    manifest["built_from"]["format"] = "sav"
    _write(folder, manifest)
    sample = open_dataset(built_publishable).table("default", "test_ood", ["id"])
    predictions = tmp_path / "p.jsonl"
    first = sample.column("id")[0].as_py()
    predictions.write_text(json.dumps({"id": first, "answer": 1}) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["score", str(predictions), "--dataset", str(folder)])
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1
    assert "built_from.format: differs from the copy" in result.output


@pytest.mark.parametrize(
    ("where", "words"),
    [
        ((), "$: Additional properties are not allowed ('notes' was unexpected)"),
        (("built_from",), "$.built_from: Additional properties are not allowed"),
        (("configs", "default", "train"), "$.configs.default.train: Additional properties"),
    ],
)
def test_a_key_the_schema_does_not_describe_is_refused(
    built_publishable: Path, tmp_path: Path, where: tuple[str, ...], words: str
) -> None:
    folder = _copy(built_publishable, tmp_path)
    manifest = load_manifest(folder)
    target = manifest
    for key in where:
        target = target[key]
    target["notes"] = "added later"
    _write(folder, manifest)
    _refused_by_validate_and_push(folder, words)
    with pytest.raises(InputError) as read:
        open_dataset(folder)
    assert words in str(read.value)


def test_a_card_edited_with_its_hash_is_refused(built_publishable: Path, tmp_path: Path) -> None:
    """The card's sha256 and size are bound like any field: rewriting the card and its
    record in the manifest together is an edit of ``card``."""
    import hashlib

    folder = _copy(built_publishable, tmp_path)
    card = (folder / CARD_FILE).read_bytes().replace(b"wvs-sg-subgroups", b"wvs-sg-subgroupz")
    (folder / CARD_FILE).write_bytes(card)
    manifest = load_manifest(folder)
    manifest["card"] = {"sha256": hashlib.sha256(card).hexdigest(), "size": len(card)}
    _write(folder, manifest)
    problems = [str(p) for p in check_dataset(folder).problems]
    about_manifest = [p for p in problems if p.startswith(str(folder / MANIFEST_FILE))]
    assert len(about_manifest) == len(manifest["files"]), problems
    assert all("card.sha256: differs from the copy" in p for p in about_manifest), problems


@pytest.mark.parametrize("carried", [b"[" * 100_000 + b"]" * 100_000, b'{"name": NaN}'])
def test_a_data_file_carrying_unreadable_json_is_refused(
    built_publishable: Path, tmp_path: Path, carried: bytes
) -> None:
    """The copy a data file carries is untrusted JSON like any other (the file rewritten with
    its hash): a deeply nested one was a RecursionError in validate, push and every reader."""
    folder = _copy(built_publishable, tmp_path)
    manifest = load_manifest(folder)
    relative = max(manifest["files"], key=lambda rel: manifest["sizes"][rel])
    table = pq.read_table(folder / relative)
    metadata = {**(table.schema.metadata or {}), **bound(folder / relative), BINDING_KEY: carried}
    pq.write_table(table.replace_schema_metadata(metadata), folder / relative)
    _rehash(folder)
    words = f"{relative} carries no readable copy of the manifest"
    _refused_by_validate_and_push(folder, words)
    config, split = relative.split("/")[1], Path(relative).name.split("-")[0]
    with pytest.raises(InputError) as read:
        open_dataset(folder).table(config, split)
    assert words in str(read.value)


# --- a data file is bound to its own path --------------------------------------------------------


def _rehash(folder: Path) -> None:
    """Record each data file's current sha256 and size in the manifest, as a forger who moved
    files would (the copy of the manifest every file carries is the same, so it still agrees)."""
    import hashlib

    manifest = load_manifest(folder)
    for relative in manifest["files"]:
        data = (folder / relative).read_bytes()
        manifest["files"][relative] = hashlib.sha256(data).hexdigest()
        manifest["sizes"][relative] = len(data)
    _write(folder, manifest)


TRAIN = "data/default/train-00000-of-00001.parquet"


def _refused_by_validate_and_push(folder: Path, words: str) -> None:
    """``validate`` names a problem holding ``words``, and ``push`` refuses the folder before
    any Hub call."""
    problems = [str(p) for p in check_dataset(folder).problems]
    assert any(words in p for p in problems), problems
    api = FakeHubApi()
    with pytest.raises(InputError, match="not published"):
        push_dataset(folder, REPO, api=api)
    assert api.calls == []


VALIDATION = "data/default/validation-00000-of-00001.parquet"
TEST_ID = "data/default/test_id-00000-of-00001.parquet"


def _refused_everywhere(folder: Path, split: str, lines: list[str]) -> None:
    """Each of ``lines`` is a problem of validate; push (before any Hub call), the reader of
    ``split`` and the baseline and score commands on it each refuse with one of them (opening
    checks the smallest data file first, which may be the other one moved)."""
    problems = [str(p) for p in check_dataset(folder).problems]
    expected = [f"{folder / MANIFEST_FILE}: {line}" for line in lines]
    assert set(expected) <= set(problems), problems
    api = FakeHubApi()
    with pytest.raises(InputError) as pushed:
        push_dataset(folder, REPO, api=api)
    assert api.calls == []
    assert any(line in str(pushed.value) for line in lines)
    with pytest.raises(InputError) as read:
        open_dataset(folder).table("default", split)
    assert str(read.value) in expected
    for args in (
        ["baseline", "majority", "--dataset", str(folder), "--split", split],
        ["score", str(folder.parent / "p.jsonl"), "--dataset", str(folder), "--split", split],
    ):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, result.output
        assert result.output.count("\n") == 1, result.output
        assert result.output.removeprefix("Error: ").rstrip("\n") in expected, result.output


def test_two_swapped_split_files_are_refused(built_publishable: Path, tmp_path: Path) -> None:
    """The probe of #15: train and validation swapped with their hashes and sizes rewritten;
    baseline predicted the training split's samples as validation with exit code 0."""
    folder = _copy(built_publishable, tmp_path)
    train, validation = (folder / TRAIN).read_bytes(), (folder / VALIDATION).read_bytes()
    (folder / TRAIN).write_bytes(validation)
    (folder / VALIDATION).write_bytes(train)
    _rehash(folder)
    # Beside the dataset, not in it: a file of one's own there is a problem of its own.
    (tmp_path / "p.jsonl").write_text('{"id": "q/g", "answer": 1}\n', encoding="utf-8")
    assert check_dataset(built_publishable).ok  # the untouched build, for contrast
    _refused_everywhere(
        folder,
        "validation",
        [
            f"{TRAIN} carries the path {VALIDATION}: files were swapped or copied",
            f"{VALIDATION} carries the path {TRAIN}: files were swapped or copied",
        ],
    )


def test_a_split_copied_over_another_is_refused(built_publishable: Path, tmp_path: Path) -> None:
    folder = _copy(built_publishable, tmp_path)
    shutil.copyfile(folder / TEST_ID, folder / VALIDATION)
    _rehash(folder)
    # Beside the dataset, not in it: a file of one's own there is a problem of its own.
    (tmp_path / "p.jsonl").write_text('{"id": "q/g", "answer": 1}\n', encoding="utf-8")
    _refused_everywhere(
        folder,
        "validation",
        [f"{VALIDATION} carries the path {TEST_ID}: files were swapped or copied"],
    )
    # Only the copy is named: test_id's own file is where it belongs.
    problems = [str(p) for p in check_dataset(folder).problems]
    assert [p for p in problems if "carries the path" in p] == [
        f"{folder / MANIFEST_FILE}: {VALIDATION} carries the path {TEST_ID}: files were swapped "
        "or copied"
    ]


def test_a_data_file_carrying_no_path_was_built_by_an_older_sgbench(
    built_publishable: Path, tmp_path: Path
) -> None:
    folder = _copy(built_publishable, tmp_path)
    table = pq.read_table(folder / VALIDATION)
    metadata = {**table.schema.metadata, **bound(folder / VALIDATION)}
    del metadata[PATH_KEY]
    pq.write_table(table.replace_schema_metadata(metadata), folder / VALIDATION)
    _rehash(folder)
    words = f"{VALIDATION} carries no path of its own: built by an older sgbench"
    problems = [str(p) for p in check_dataset(folder).problems]
    assert [p for p in problems if "carries" in p] == [
        f"{folder / MANIFEST_FILE}: {words} (rebuild the dataset)"
    ]
    with pytest.raises(InputError, match="carries no path of its own"):
        open_dataset(folder).table("default", "validation")


# --- a data file holds as many rows as the manifest counts ---------------------------------------


@pytest.mark.parametrize("change", ["row deleted", "row added"])
def test_a_split_with_rows_deleted_or_added_is_refused(
    change: str, built_publishable: Path, tmp_path: Path
) -> None:
    """The probe of #15: one row deleted from validation, its sha256 and size rewritten in the
    manifest. validate refused it by the manifest's count, but baseline (every reader) read the
    rest with exit code 0; the count is now part of the rule they share (binding_problem)."""
    folder = _copy(built_publishable, tmp_path)
    table = pq.read_table(folder / VALIDATION)
    if change == "row deleted":
        changed = table.slice(0, len(table) - 1)
    else:
        changed = pa.concat_tables([table, table.slice(0, 1)])
    rewrite(folder / VALIDATION, changed)
    _rehash(folder)
    # Beside the dataset, not in it: a file of one's own there is a problem of its own.
    (tmp_path / "p.jsonl").write_text('{"id": "q/g", "answer": 1}\n', encoding="utf-8")
    counted = load_manifest(folder)["configs"]["default"]["validation"]["samples"]
    assert counted == len(table)
    expected = f"{folder / VALIDATION}: {len(changed)} rows, {MANIFEST_FILE} counts {counted}"
    assert expected in [str(p) for p in check_dataset(folder).problems]
    api = FakeHubApi()
    with pytest.raises(InputError) as pushed:
        push_dataset(folder, REPO, api=api)
    assert api.calls == []
    # push lists its problems after the folder, each named under it
    problem = f"{VALIDATION}: {len(changed)} rows, {MANIFEST_FILE} counts {counted}"
    assert str(pushed.value) == f"{folder}: 1 problem(s), not published: {problem}"
    with pytest.raises(InputError) as read:
        open_dataset(folder).split("default", "validation")
    assert str(read.value) == expected
    for args in (
        ["baseline", "majority", "--dataset", str(folder), "--split", "validation"],
        ["score", str(tmp_path / "p.jsonl"), "--dataset", str(folder), "--split", "validation"],
    ):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, result.output
        assert result.output == f"Error: {expected}\n"


# --- a data file's metadata reads one way --------------------------------------------------------

TEST_OOD = "data/default/test_ood-00000-of-00001.parquet"


def test_the_footer_reader_reads_what_pyarrow_reads(builds: list[Path]) -> None:
    """On files without a key twice, the footer's key-value list read from its thrift bytes is
    pyarrow's dict, entry for entry (the reader skips every other field right)."""
    from sgbench.dataset import _footer_key_values

    for build in builds:
        for relative in load_manifest(build)["files"]:
            footer = pq.read_metadata(build / relative)
            read = _footer_key_values(footer)
            assert sorted(read) == sorted((footer.metadata or {}).items())


def _with_key_twice(path: Path, key: bytes, first: bytes, second: bytes) -> None:
    """Rewrite the data file ``path`` with ``key`` twice in its footer, ``first`` then
    ``second``. pyarrow merges a key given twice when it writes, so the second is written under
    a stand-in of the same length and renamed in the footer's bytes (no length changes)."""
    carried = bound(path)
    table = pq.read_table(path)
    stand_in = key[:-1] + b"X"
    rest = {k: v for k, v in carried.items() if k != key}
    with pq.ParquetWriter(path, table.schema) as writer:
        writer.write_table(table)
        writer.add_key_value_metadata({key: first, stand_in: second, **rest})
    data = path.read_bytes()
    size = int.from_bytes(data[-8:-4], "little")
    head, footer = data[: -8 - size], data[-8 - size :]
    assert footer.count(stand_in) == 1
    path.write_bytes(head + footer.replace(stand_in, key))


def _refused_as(folder: Path, relative: str, words: str) -> None:
    """validate names the data file with ``words``; push refuses before any Hub call; the
    reader and the score and baseline commands refuse with one line naming it."""
    problems = [str(p) for p in check_dataset(folder).problems]
    assert any(p.startswith(f"{folder / relative}: ") and words in p for p in problems), problems
    api = FakeHubApi()
    with pytest.raises(InputError, match="not published"):
        push_dataset(folder, REPO, api=api)
    assert api.calls == []
    with pytest.raises(InputError) as read:
        open_dataset(folder).table("default", "test_ood")
    assert str(read.value).startswith(f"{folder / relative}: ")
    assert words in str(read.value)
    result = CliRunner().invoke(main, ["baseline", "majority", "--dataset", str(folder)])
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1, result.output
    assert words in result.output


@pytest.mark.parametrize("key", [BINDING_KEY, PATH_KEY])
@pytest.mark.parametrize("right", ["first", "second"])
def test_a_footer_key_given_twice_is_refused(
    key: bytes, right: str, built_publishable: Path, tmp_path: Path
) -> None:
    """The probe of #15: `sgbench` (or `sgbench.path`) twice in a footer, the right value first
    and another second, passed validate, score, baseline and push: pyarrow's dict keeps the
    first, and another reader may keep the last. Either order is refused."""
    folder = _copy(built_publishable, tmp_path)
    manifest = load_manifest(folder)
    path = folder / TEST_OOD
    good = bound(path)[key]
    if key == BINDING_KEY:
        other = binding({**manifest, "version": "9.9.9"}, TEST_OOD)[key]
    else:
        other = TEST_ID.encode()
    pair = (good, other) if right == "first" else (other, good)
    _with_key_twice(path, key, *pair)
    _rehash(folder)
    assert pq.read_metadata(path).metadata[key] == pair[0]  # what pyarrow shows: one of two
    _refused_as(folder, TEST_OOD, f"its footer holds the key-value entry {key.decode()!r} twice")


@pytest.mark.parametrize(
    "stray",
    [{BINDING_KEY: b'{"name":"evil"}'}, {PATH_KEY: TEST_ID.encode()}],
    ids=["binding", "path"],
)
def test_a_stray_binding_in_the_arrow_schema_is_refused(
    stray: dict[bytes, bytes], built_publishable: Path, tmp_path: Path
) -> None:
    """The probe of #15: the footer's binding right, the Arrow schema (what pandas, `datasets`
    and `BuiltDataset.table()` read) carrying another `sgbench` copy or another file's path:
    accepted, and `table()` handed the stray copy to callers."""
    folder = _copy(built_publishable, tmp_path)
    path = folder / TEST_OOD
    carried = bound(path)
    table = pq.read_table(path)
    schema = table.schema.with_metadata({**(table.schema.metadata or {}), **stray})
    with pq.ParquetWriter(path, schema) as writer:
        writer.write_table(table.cast(schema))
        writer.add_key_value_metadata(carried)  # the footer's entries: the right ones
    _rehash(folder)
    assert pq.read_metadata(path).metadata[next(iter(stray))] == carried[next(iter(stray))]
    key = next(iter(stray)).decode()
    _refused_as(folder, TEST_OOD, f"its Arrow schema (ARROW:schema) carries {key!r} unlike")


def test_a_table_carries_only_the_declared_metadata(
    built_publishable: Path, tmp_path: Path
) -> None:
    """A file written with `pq.write_table`, its binding in its schema too (the same as the
    footer's: one copy of each key), is read; the table handed out carries the declared schema's
    metadata only (the features' `huggingface`). A writer's extra key is refused
    (test_data_file_metadata)."""
    folder = _copy(built_publishable, tmp_path)
    manifest = load_manifest(folder)
    path = folder / TEST_OOD
    table = pq.read_table(path)
    rewrite(path, table)
    _rehash(folder)
    assert BINDING_KEY in (pq.read_schema(path).metadata or {})
    declared = sample_schema(list(manifest["attributes"]))
    rows = pq.read_metadata(path).num_rows
    for columns in (None, ["id"], []):
        handed = open_dataset(folder).table("default", "test_ood", columns)
        assert handed.schema.metadata == declared.metadata
        assert handed.num_rows == rows
