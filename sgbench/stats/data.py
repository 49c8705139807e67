"""Every sample of one dataset config, as the arrays the landscape statistics need.

The splits of ``default`` and ``paper`` together hold every sample once (``paper``: train +
test_ood; ``default``: train + validation + test_id + test_ood), so the statistics describe the
whole dataset whichever of the two is read; the config only decides which split each sample is
counted in. ``temporal`` adds the earlier waves' answers (its train) to the latest wave's (test).
Each split is laid out and checked by the scorer's :func:`~sgbench.scoring.data.item_arrays` (so
errors name the split's file and row), then the splits are stacked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from sgbench.boundary import PathArg
from sgbench.dataset import CONFIG_SPLITS, BuiltDataset, check_config_split, open_dataset
from sgbench.errors import InputError
from sgbench.scoring.data import (
    FloatArray,
    IntArray,
    ItemArrays,
    attribute_names,
    item_arrays,
    item_columns,
    list_matrix,
    split_ids,
)


@dataclass(frozen=True)
class LandscapeData:
    """Every sample of a config: the scorer's arrays plus the fields only statistics use."""

    items: ItemArrays
    """All samples, in the code point order of their ids (:func:`in_id_order`)."""
    split: tuple[str, ...]
    """Split of each sample."""
    n_valid: IntArray
    """``(N,)`` valid answers behind each sample's distribution."""
    counts: IntArray
    """``(N, K_max)`` unweighted answer counts per option, padded like ``items``."""
    margin: FloatArray
    """``(N,)`` top share minus second share (0 on a tie)."""
    questions: Mapping[str, str]
    """Question id → question text."""
    manifest: Mapping[str, Any]
    config: str
    files: Mapping[str, str]
    """Relative path → sha256 of every data file read (checked against the manifest)."""


def _pad(matrix: npt.NDArray[Any], width: int) -> npt.NDArray[Any]:
    """Pad an ``(N, w)`` matrix with zeros (False) on the right to ``(N, width)``."""
    return np.pad(matrix, ((0, 0), (0, width - matrix.shape[1])))


def stack_items(parts: Sequence[ItemArrays]) -> ItemArrays:
    """Stack several splits' :class:`ItemArrays` (same attributes) into one, padding options."""
    width = max((p.codes.shape[1] for p in parts), default=0)
    return ItemArrays(
        meta=pd.concat([p.meta for p in parts], ignore_index=True),
        ids=tuple(i for p in parts for i in p.ids),
        attributes=parts[0].attributes,
        k=np.concatenate([p.k for p in parts]),
        codes=np.concatenate([_pad(p.codes, width) for p in parts]),
        valid=np.concatenate([_pad(p.valid, width) for p in parts]),
        target=np.concatenate([_pad(p.target, width) for p in parts]),
        modal=np.concatenate([_pad(p.modal, width) for p in parts]),
        nominal=np.concatenate([p.nominal for p in parts]),
        off_scale=np.concatenate([_pad(p.off_scale, width) for p in parts]),
    )


def take_items(items: ItemArrays, rows: IntArray) -> ItemArrays:
    """The samples ``rows`` of ``items``, in that order."""
    return ItemArrays(
        meta=items.meta.iloc[rows].reset_index(drop=True),
        ids=tuple(items.ids[i] for i in rows.tolist()),
        attributes=items.attributes,
        k=items.k[rows],
        codes=items.codes[rows],
        valid=items.valid[rows],
        target=items.target[rows],
        modal=items.modal[rows],
        nominal=items.nominal[rows],
        off_scale=items.off_scale[rows],
    )


def in_id_order(ids: Sequence[str]) -> IntArray:
    """The rows of ``ids`` sorted by id (code point order).

    Why: the statistics must be those of the samples, not of how the files store them. The
    null behind ``mds_corrected`` deals each cell's answers to its subgroups in row order, so
    the same samples read through ``default`` (validation rows before test_ood) and ``paper``
    gave different values (p10score H7), though the config only decides each sample's split.
    """
    codes, _ = pd.factorize(pd.Series(ids, dtype=object), sort=True)
    return np.argsort(np.asarray(codes, dtype=np.int64), kind="stable")


def load_landscape(dataset: PathArg | BuiltDataset, config: str = "default") -> LandscapeData:
    """Read every split of ``config`` from a dataset folder (or Hub dataset ``hf://org/name``).

    Raises:
        InputError: unknown config, missing or damaged files, a sha256 differing from the
            manifest, a row breaking the dataset's invariants, or no samples at all.
    """
    check_config_split(config)
    built = open_dataset(dataset)
    built.check_config(config)
    files = built.files(config)
    split_ids(built, config)  # refuses an id in two rows
    tables = {
        name: built.table(
            config, name, (*item_columns(built, config, name), "question", "n_valid", "margin")
        )
        for name in CONFIG_SPLITS[config]
    }
    if sum(t.num_rows for t in tables.values()) == 0:
        raise InputError(f"{built.root}: config {config!r} has no samples")
    attributes = attribute_names(next(iter(tables.values())), built.manifest)
    parts = [
        item_arrays(table, attributes, built.path(config, name))
        for name, table in tables.items()
        if table.num_rows
    ]
    every = pd.concat(
        [
            t.select(["question_id", "question", "n_valid", "margin"]).to_pandas()
            for t in tables.values()
        ],
        ignore_index=True,
    )
    questions = every.drop_duplicates("question_id").set_index("question_id")["question"]
    stacked = stack_items(parts)
    width = stacked.codes.shape[1]
    counts = [list_matrix(t, "counts", width, np.int64) for t in tables.values() if t.num_rows]
    splits = np.repeat(list(tables), [t.num_rows for t in tables.values()])
    rows = in_id_order(stacked.ids)
    return LandscapeData(
        items=take_items(stacked, rows),
        counts=np.concatenate(counts)[rows],
        split=tuple(splits[rows].tolist()),
        n_valid=every["n_valid"].to_numpy(dtype=np.int64)[rows],
        margin=every["margin"].to_numpy(dtype=np.float64)[rows],
        questions={str(q): str(t) for q, t in questions.items()},
        manifest=built.manifest.raw,
        config=config,
        files=files,
    )
