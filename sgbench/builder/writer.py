"""Writing a dataset folder: parquet shards, ``manifest.json`` and the dataset card, atomically.

The folder is written through :func:`sgbench.files.replace_folder` (staged, moved into place
when complete, replacing only an earlier build), so an interrupted or failed build never leaves a
half-written dataset. Parquet options are pinned (pyarrow's defaults have changed
between releases) and nothing time-dependent is written, so the same input gives the same bytes.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

from sgbench.boundary import PathArg
from sgbench.builder.samples import SplitRows
from sgbench.dataset import (
    CARD_FILE,
    CARD_KEY,
    MANIFEST_FILE,
    binding,
    sample_schema,
    split_file,
)
from sgbench.files import replace_folder, sha256_file

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


def write_dataset(
    out_dir: PathArg,
    splits: Mapping[tuple[str, str], SplitRows],
    attribute_names: list[str],
    manifest: Mapping[str, Any],
    render_card: Callable[[dict[str, Any]], str],
) -> dict[str, Any]:
    """Write a complete dataset folder and move it into place.

    Args:
        out_dir: the folder to create or replace (only an earlier ``sgbench build`` output or an
            empty folder is replaced).
        splits: ``{(config, split): sample rows}``.
        attribute_names: the fields of the ``subgroup`` struct.
        manifest: the manifest without ``files``; the sha256 of each data file is added
            (``files``), its size in bytes (``sizes``), each split's Arrow size as
            ``configs.<config>.<split>.num_bytes``, and the card's sha256 and size (``card``).
        render_card: builds the dataset card from the finished manifest (without ``card``).

    Returns:
        The manifest as written.
    """
    written: dict[str, Any] = {}

    def write(staging: Path) -> None:
        files: dict[str, str] = {}
        sizes: dict[str, int] = {}
        configs = copy.deepcopy(manifest["configs"])
        for (config, split), frame in splits.items():
            relative = split_file(config, split)
            num_bytes = write_parquet(frame, attribute_names, staging / relative, binding(manifest))
            configs[config][split]["num_bytes"] = num_bytes
            files[relative] = sha256_file(staging / relative)
            sizes[relative] = (staging / relative).stat().st_size
        written.update(manifest, configs=configs, files=files, sizes=sizes)
        # The card is rendered from the manifest before its own hash is added: the card never
        # shows `card`, so the two do not depend on each other.
        card = render_card(written).encode("utf-8")
        (staging / CARD_FILE).write_bytes(card)
        written[CARD_KEY] = {"sha256": hashlib.sha256(card).hexdigest(), "size": len(card)}
        (staging / MANIFEST_FILE).write_text(
            json.dumps(written, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )

    replace_folder(out_dir, "build", write, what="dataset")
    return written
