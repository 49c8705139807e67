"""Writing a dataset folder: parquet shards, ``manifest.json`` and the dataset card, atomically.

Everything is written into a hidden sibling folder first and moved into place only when complete,
so an interrupted or failed build never leaves a half-written dataset, and an existing dataset is
replaced only by a finished one. Parquet options are pinned (pyarrow's defaults have changed
between releases) and nothing time-dependent is written, so the same input gives the same bytes.
"""

from __future__ import annotations

import copy
import json
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

from sgbench.builder.samples import SplitRows
from sgbench.dataset import CARD_FILE, MANIFEST_FILE, binding, sample_schema, split_file
from sgbench.errors import InputError
from sgbench.files import sha256_file

PARQUET_OPTIONS: Final[dict[str, Any]] = {
    "version": "2.6",
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "data_page_size": 1 << 20,
}
ROW_GROUP_SIZE: Final = 10_000


def write_parquet(
    rows: SplitRows,
    attribute_names: list[str],
    path: Path,
    metadata: Mapping[bytes, bytes] | None = None,
) -> int:
    """Write a split's rows with the declared features (never inferred) and pinned options,
    one row group of :data:`ROW_GROUP_SIZE` rows at a time, so a split of millions of rows is
    never materialised whole. ``metadata`` is added to the file's key-value metadata (the
    manifest binding of :func:`sgbench.dataset.binding`).

    Returns the rows' size in memory (Arrow bytes), the card's ``num_bytes``.
    """
    import pyarrow.parquet as pq

    schema = sample_schema(attribute_names)
    schema = schema.with_metadata({**(schema.metadata or {}), **(metadata or {})})
    path.parent.mkdir(parents=True, exist_ok=True)
    num_bytes = 0
    with pq.ParquetWriter(path, schema, **PARQUET_OPTIONS) as writer:
        for chunk in rows.chunks(ROW_GROUP_SIZE):
            table = chunk.select(schema.names).cast(schema)
            writer.write_table(table, row_group_size=ROW_GROUP_SIZE)
            num_bytes += int(table.nbytes)
        if rows.num_rows == 0:
            writer.write_table(schema.empty_table())
    return num_bytes


def _check_replaceable(out_dir: Path) -> None:
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise InputError(f"{out_dir}: exists and is not a folder")
    if any(out_dir.iterdir()) and not (out_dir / MANIFEST_FILE).is_file():
        raise InputError(
            f"{out_dir}: refusing to replace a folder that is not an sgbench dataset "
            f"(no {MANIFEST_FILE}); choose another --out"
        )


def write_dataset(
    out_dir: str | Path,
    splits: Mapping[tuple[str, str], SplitRows],
    attribute_names: list[str],
    manifest: Mapping[str, Any],
    render_card: Callable[[dict[str, Any]], str],
) -> dict[str, Any]:
    """Write a complete dataset folder and move it into place.

    Args:
        out_dir: the folder to create or replace (only an earlier sgbench dataset or an empty
            folder is replaced).
        splits: ``{(config, split): sample rows}``.
        attribute_names: the fields of the ``subgroup`` struct.
        manifest: the manifest without ``files``; the sha256 of each data file is added, and
            each split's Arrow size as ``configs.<config>.<split>.num_bytes``.
        render_card: builds the dataset card from the finished manifest.

    Returns:
        The manifest as written.
    """
    out_dir = Path(out_dir)
    _check_replaceable(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.partial-", dir=out_dir.parent))
    try:
        files: dict[str, str] = {}
        configs = copy.deepcopy(manifest["configs"])
        for (config, split), frame in splits.items():
            relative = split_file(config, split)
            num_bytes = write_parquet(frame, attribute_names, staging / relative, binding(manifest))
            configs[config][split]["num_bytes"] = num_bytes
            files[relative] = sha256_file(staging / relative)
        manifest = {**manifest, "configs": configs, "files": files}
        (staging / MANIFEST_FILE).write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        (staging / CARD_FILE).write_text(render_card(manifest), encoding="utf-8")
        if out_dir.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
            out_dir.replace(retired / out_dir.name)
            staging.replace(out_dir)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            staging.replace(out_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return manifest
