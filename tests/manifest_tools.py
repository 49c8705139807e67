"""Helpers for tests that compare builds or make a dataset with another manifest.

Every data file carries a copy of its manifest without ``files`` and ``sizes``
(:func:`sgbench.dataset.binding`): two builds from different files hold the same rows but not
the same bytes, and a manifest edited for a test must be re-bound to be read.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sgbench.dataset import BINDING_KEY, MANIFEST_FILE, PATH_KEY, binding, carried_metadata


def same_data(a: Path, b: Path, provenance: tuple[str, ...] = ()) -> None:
    """Assert the two builds have the same data files holding the same rows, each carrying the
    same copy of its manifest but for the ``provenance`` fields (which file was read: builds
    from two files differ there, in ``built_from`` and the hash of the card that shows it)."""
    files = sorted(str(p.relative_to(a)) for p in a.glob("data/**/*.parquet"))
    assert files
    assert files == sorted(str(p.relative_to(b)) for p in b.glob("data/**/*.parquet"))
    for relative in files:
        left, right = pq.read_table(a / relative), pq.read_table(b / relative)
        assert left.equals(right), relative
        carried = [json.loads(bound(root / relative)[BINDING_KEY]) for root in (a, b)]
        for field in provenance:
            carried[0].pop(field, None)
            carried[1].pop(field, None)
        assert carried[0] == carried[1], relative


def bound(path: Path) -> dict[bytes, bytes]:
    """The binding the data file ``path`` carries (its copy of the manifest and its path), read
    from its key-value metadata, where the build writes it (its Arrow schema does not carry it):
    what a test rewriting the file adds back to keep it bound."""
    metadata = carried_metadata(pq.read_metadata(path))
    return {key: metadata[key] for key in (BINDING_KEY, PATH_KEY) if key in metadata}


def rewrite(path: Path, table: pa.Table) -> None:
    """Write ``table`` over the data file ``path``, keeping the binding it carries (a hand edit
    of the data: its hash changes, its copy of the manifest does not)."""
    metadata = {**(table.schema.metadata or {}), **bound(path)}
    pq.write_table(table.replace_schema_metadata(metadata), path)


def rebind(folder: Path, manifest: dict[str, Any]) -> None:
    """Write ``manifest`` into a dataset folder as a build with it would: every data file
    carries its copy and its own path, and the manifest records the files' new hashes and sizes
    (what a forger who rewrites data, hashes and manifest together makes; nothing unsigned
    stops it)."""
    for relative in manifest["files"]:
        path = folder / relative
        table = pq.read_table(path)
        metadata = {**(table.schema.metadata or {}), **binding(manifest, relative)}
        pq.write_table(table.replace_schema_metadata(metadata), path)
        manifest["files"][relative] = hashlib.sha256(path.read_bytes()).hexdigest()
        manifest["sizes"][relative] = path.stat().st_size
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def edit_first_row(dataset: Path, relative: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Apply ``change`` to the first row of the data file ``relative`` of ``dataset``, then
    re-record the file's sha256 and size in the manifest: a row tampered with after the build,
    with the hashes made to match (what only the row rule can catch)."""
    path = dataset / relative
    table = pq.read_table(path)
    head = table.slice(0, 1).to_pylist()
    change(head[0])
    edited = pa.concat_tables([pa.Table.from_pylist(head, schema=table.schema), table.slice(1)])
    rewrite(path, edited.combine_chunks())
    manifest = json.loads((dataset / MANIFEST_FILE).read_text(encoding="utf-8"))
    manifest["files"][relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest["sizes"][relative] = path.stat().st_size
    (dataset / MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")


def recard(folder: Path, manifest: dict[str, Any]) -> None:
    """Write ``manifest`` into a dataset folder with the card the builder renders for it (its
    title names the manifest's version), the card's sha256 and size recorded, then re-bound as
    :func:`rebind` does: a manifest edited where the card shows it (a version relabelled)."""
    from sgbench.builder.card import render_card

    unbound = {k: v for k, v in manifest.items() if k not in ("files", "sizes", "card")}
    card = render_card(unbound).encode("utf-8")
    (folder / "README.md").write_bytes(card)
    manifest["card"] = {"sha256": hashlib.sha256(card).hexdigest(), "size": len(card)}
    rebind(folder, manifest)


def forge(
    built: Path,
    folder: Path,
    change_manifest: Callable[[dict[str, Any]], None],
    keep_row: Callable[[dict[str, Any]], bool] | None = None,
) -> Path:
    """A copy of ``built`` into ``folder`` whose manifest ``change_manifest`` edited and whose
    every row passed ``keep_row`` (which may edit it), each split's counts made to match the
    rows kept, the card rendered again and every file re-bound and re-hashed (:func:`recard`):
    consistent throughout, as a forger makes it."""
    shutil.copytree(built, folder)
    manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    change_manifest(manifest)
    if keep_row is not None:
        for relative in manifest["files"]:
            path = folder / relative
            table = pq.read_table(path)
            rows = [row for row in table.to_pylist() if keep_row(row)]
            rewrite(path, pa.Table.from_pylist(rows, schema=table.schema))
            config, split = relative.split("/")[1], relative.split("/")[2].split("-")[0]
            record = manifest["configs"][config][split]
            record["samples"] = len(rows)
            record["subgroups"] = len({row["subgroup_id"] for row in rows})
    recard(folder, manifest)
    return folder
