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
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

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
from sgbench.files import Name, replace_folder, sha256_file

if TYPE_CHECKING:
    import pyarrow as pa

PARQUET_OPTIONS: Final[dict[str, Any]] = {
    "version": "2.6",
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "data_page_size": 1 << 20,
}
ROW_GROUP_SIZE: Final = 10_000


def _casts(rows: SplitRows, schema: pa.Schema) -> Iterator[pa.Table]:
    for chunk in rows.chunks(ROW_GROUP_SIZE):
        yield chunk.select(schema.names).cast(schema)


def arrow_size(rows: SplitRows, attribute_names: list[str]) -> int:
    """A split's rows' size in memory (Arrow bytes) with the declared features: the card's
    ``num_bytes``. Known before any file is written, so that the manifest every data file carries
    a copy of already holds it."""
    schema = sample_schema(attribute_names)
    return sum(int(table.nbytes) for table in _casts(rows, schema))


def write_parquet(
    rows: SplitRows,
    attribute_names: list[str],
    path: Path,
    metadata: Mapping[bytes, bytes] | None = None,
) -> None:
    """Write a split's rows with the declared features (never inferred) and pinned options,
    one row group of :data:`ROW_GROUP_SIZE` rows at a time, so a split of millions of rows is
    never materialised whole. ``metadata`` (the manifest binding of
    :func:`sgbench.dataset.binding`) is added to the file's key-value metadata, not to its Arrow
    schema's: pyarrow stores the schema, metadata included, in the same footer (``ARROW:schema``),
    so the binding there was stored twice, a third of a split's file in a build of six
    countries. The schema read back is the declared one, ``huggingface`` features included."""
    import pyarrow.parquet as pq

    schema = sample_schema(attribute_names)
    path.parent.mkdir(parents=True, exist_ok=True)
    with pq.ParquetWriter(path, schema, **PARQUET_OPTIONS) as writer:
        for table in _casts(rows, schema):
            writer.write_table(table, row_group_size=ROW_GROUP_SIZE)
        if rows.num_rows == 0:
            writer.write_table(schema.empty_table())
        if metadata:
            writer.add_key_value_metadata(dict(metadata))


def write_dataset(
    out_dir: PathArg,
    splits: Mapping[tuple[str, str], SplitRows],
    attribute_names: list[str],
    manifest: Mapping[str, Any],
    render_card: Callable[[dict[str, Any]], str],
    *,
    name: Name,
) -> dict[str, Any]:
    """Write a complete dataset folder and move it into place.

    Args:
        out_dir: the folder to create or replace (only an earlier ``sgbench build`` output or an
            empty folder is replaced).
        splits: ``{(config, split): sample rows}``.
        attribute_names: the fields of the ``subgroup`` struct.
        manifest: the manifest without ``files``; each split's Arrow size is added as
            ``configs.<config>.<split>.num_bytes``, the card's sha256 and size (``card``), and
            the sha256 of each data file (``files``) and its size in bytes (``sizes``).
        render_card: builds the dataset card from the finished manifest (without ``card``).
        name: the argument ``out_dir`` was given as (:func:`~sgbench.files.replace_folder`).

    Returns:
        The manifest as written.
    """
    written: dict[str, Any] = {}

    def write(staging: Path) -> None:
        # Everything but the data files' own hashes and sizes is settled before the first file
        # is written, so that every file carries a copy of it (sgbench.dataset.binding): the
        # Arrow sizes first, then the card (which shows them, never the hashes) and its hash.
        configs = copy.deepcopy(manifest["configs"])
        for (config, split), frame in splits.items():
            configs[config][split]["num_bytes"] = arrow_size(frame, attribute_names)
        bound = {**manifest, "configs": configs}
        card = render_card(bound).encode("utf-8")
        (staging / CARD_FILE).write_bytes(card)
        bound[CARD_KEY] = {"sha256": hashlib.sha256(card).hexdigest(), "size": len(card)}
        files: dict[str, str] = {}
        sizes: dict[str, int] = {}
        for (config, split), frame in splits.items():
            relative = split_file(config, split)
            write_parquet(frame, attribute_names, staging / relative, binding(bound, relative))
            files[relative] = sha256_file(staging / relative)
            sizes[relative] = (staging / relative).stat().st_size
        # The key order of earlier builds: the integrity record, then the card's.
        written.update(bound, files=files, sizes=sizes)
        written[CARD_KEY] = written.pop(CARD_KEY)
        (staging / MANIFEST_FILE).write_text(
            json.dumps(written, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )

    replace_folder(out_dir, "build", write, what="dataset", name=name)
    return written
