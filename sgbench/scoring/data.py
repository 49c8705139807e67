"""The dataset side of scoring: find the dataset, read one config, and lay a split out as arrays.

Every item has its own number of options ``K`` (in scale order). To score all samples at once, a
split becomes a set of ``(N, K_max)`` matrices padded on the right: position ``j`` of row ``i`` is
the item's ``j``-th option in scale order when ``valid[i, j]``, padding otherwise (code 0,
probability 0, never modal).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from sgbench.boundary import PathArg, public
from sgbench.dataset import (
    CONFIG_SPLITS,
    BuiltDataset,
    Manifest,
    check_config_split,
    open_dataset,
    row_error,
)
from sgbench.dataset import (  # the rows' rule, which predictions and judge lines keep too
    DISTRIBUTION_TOLERANCE as DISTRIBUTION_TOLERANCE,
)
from sgbench.dataset import (
    EARLIER_WAVE_SUFFIX as EARLIER_WAVE_SUFFIX,
)
from sgbench.dataset import (
    ID_FORM as ID_FORM,
)
from sgbench.errors import InputError
from sgbench.files import FromFiles, reads

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pyarrow as pa

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


META_COLUMNS: Final = ("id", "question_id", "section", "scale_type", "subgroup_id", "stratum")
OPTION_CODE: Final = "options.list.element.code"
OPTION_OFF_SCALE: Final = "options.list.element.off_scale"
"""Parquet leaf paths of the option fields :func:`item_arrays` reads (never the labels)."""
ITEM_COLUMNS: Final = (
    *META_COLUMNS,
    "subgroup",
    OPTION_CODE,
    "counts",
    "distribution",
    "modal_answers",
)
"""The columns :func:`item_arrays` reads (and :data:`RELIABILITY_COLUMNS` and
:data:`OPTION_OFF_SCALE` when present)."""
ANSWER_COLUMNS: Final = ("counts", "distribution", "modal_answers")
"""The columns holding a split's answers (what ``answers=False`` leaves unread)."""
RELIABILITY_COLUMNS: Final = ("mode_stability", "train_overlap")
"""Per-sample floats read into ``meta`` when the dataset has them (NaN otherwise: built before
they existed, or null in the file)."""


@dataclass(frozen=True)
class ItemArrays:
    """One split as per-sample arrays, options padded to the widest item (see module docstring)."""

    meta: pd.DataFrame
    """One row per sample, in file order: ``id``, ``question_id``, ``section``, ``scale_type``,
    ``subgroup_id``, ``stratum``, ``mode_stability`` and ``train_overlap`` (floats, NaN when
    absent) and one column per attribute (the subgroup's value, or null)."""
    ids: tuple[str, ...]
    """Sample ids in row order."""
    attributes: tuple[str, ...]
    """Attribute names, in the manifest's display order."""
    k: IntArray
    """``(N,)`` number of options of each item."""
    codes: IntArray
    """``(N, K_max)`` option codes in scale order."""
    valid: BoolArray
    """``(N, K_max)`` True where the position is a real option."""
    target: FloatArray
    """``(N, K_max)`` the subgroup's answer distribution over the options."""
    modal: BoolArray
    """``(N, K_max)`` True at the subgroup's modal option(s) (several when tied)."""
    nominal: BoolArray
    """``(N,)`` True for nominal items (no order between options)."""
    off_scale: BoolArray
    """``(N, K_max)`` True at options that are not points of the item's scale (``off_scale`` in
    the dataset; False where a dataset predates the flag)."""

    @property
    def n(self) -> int:
        """Number of samples."""
        return int(self.k.shape[0])


@dataclass(frozen=True)
class ScoringData(FromFiles):
    """What scoring needs from a dataset folder: one split as arrays and the ids of the others."""

    dataset: BuiltDataset
    """The opened dataset."""
    config: str
    split: str
    items: ItemArrays
    """The scored split."""
    ids: Mapping[str, pa.ChunkedArray]
    """Split → its sample ids in row order, for every split of the config."""
    files: Mapping[str, str]
    """Relative path → sha256 of every data file read (checked against the manifest)."""

    @functools.cached_property
    def index(self) -> Mapping[str, int]:
        """Sample id → row of :attr:`items` (built on first use)."""
        return {sample_id: row for row, sample_id in enumerate(self.items.ids)}

    @functools.cached_property
    def other_splits(self) -> Mapping[str, str]:
        """Id → split, for every sample of the config's other splits (built on first use)."""
        found: dict[str, str] = {}
        for name, column in self.ids.items():
            if name != self.split:
                found.update(dict.fromkeys(column.to_pylist(), name))
        return found

    @property
    def path(self) -> Path:
        """The dataset folder."""
        return self.dataset.root

    @property
    def manifest(self) -> Manifest:
        """The dataset's checked manifest."""
        return self.dataset.manifest


def checked_files(dataset: PathArg | BuiltDataset, config: str) -> dict[str, str]:
    """Relative path → sha256 of every data file of ``config``, checked against the manifest.

    Raises:
        InputError: a data file is missing, or its sha256 differs from ``manifest.json``.
    """
    return open_dataset(dataset).files(config)


def attribute_names(table: pa.Table, manifest: Manifest) -> tuple[str, ...]:
    """Attributes of the ``subgroup`` struct, in the manifest's order (unlisted ones after)."""
    present = [f.name for f in table.schema.field("subgroup").type]
    order = list(manifest.attributes)
    return tuple([a for a in order if a in present] + [a for a in present if a not in order])


def _lists(table: pa.Table, column: str) -> pa.ListArray:
    """One list column as a single array (chunks combined; nulls read as empty lists)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = table.column(column).combine_chunks()
    if array.null_count:
        array = pc.if_else(pc.is_null(array), pa.scalar([], array.type), array)
    return array


def _lengths(lists: pa.ListArray) -> IntArray:
    return np.asarray(lists.value_lengths().to_numpy(zero_copy_only=False), dtype=np.int64)


def _flat(values: pa.Array, dtype: Any) -> npt.NDArray[Any]:
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=dtype)


def _padded(flat: npt.NDArray[Any], k: IntArray, width: int, dtype: Any) -> npt.NDArray[Any]:
    """Lay flattened ragged rows (row ``i`` has ``k[i]`` values) out as ``(N, width)``,
    padded with zeros."""
    out = np.zeros((len(k), width), dtype=dtype)
    # One scatter: value v of row i (the (v - starts[i])-th of the row) goes to i * width + v -
    # starts[i] of the flattened matrix.
    starts = np.cumsum(k) - k
    shift = np.repeat(np.arange(len(k), dtype=np.int64) * width - starts, k)
    out.reshape(-1)[shift + np.arange(len(shift), dtype=np.int64)] = flat[: len(shift)]
    return out


def list_matrix(table: pa.Table, column: str, width: int, dtype: Any) -> npt.NDArray[Any]:
    """A list column as an ``(N, width)`` matrix padded with zeros (``width`` ≥ every length)."""
    lists = _lists(table, column)
    return _padded(_flat(lists.flatten(), dtype), _lengths(lists), width, dtype)


def _row_error(path: Path, ids: pa.ChunkedArray, bad: BoolArray, what: str) -> InputError:
    return InputError(row_error(path, ids, bad, what))


def _answers(
    table: pa.Table, distribution: FloatArray, codes: IntArray, valid: BoolArray, where: Path
) -> tuple[FloatArray, BoolArray]:
    """The ``target`` and ``modal`` matrices of :class:`ItemArrays`, checked."""
    n, width = codes.shape
    ids = table.column("id")
    k = np.asarray(valid.sum(axis=1), dtype=np.int64)
    target = _padded(distribution, k, width, np.float64)
    modal_lists = _lists(table, "modal_answers")
    n_modal = _lengths(modal_lists)
    if n and (n_modal < 1).any():
        raise _row_error(where, ids, n_modal < 1, "no modal answer")
    modal_codes = _padded(
        _flat(modal_lists.flatten(), np.int64), n_modal, int(n_modal.max()) if n else 0, np.int64
    )
    modal = np.zeros((n, width), dtype=bool)
    found = np.ones(n, dtype=bool)
    for j in range(modal_codes.shape[1]):
        listed = n_modal > j
        hit = (codes == modal_codes[:, j : j + 1]) & valid & listed[:, None]
        found &= hit.any(axis=1) | ~listed
        modal |= hit
    if not found.all():
        raise _row_error(where, ids, ~found, "a modal answer is not an option")
    return target, modal


def item_arrays(
    table: pa.Table, attributes: Sequence[str], where: Path, answers: bool = True
) -> ItemArrays:
    """Lay one split's rows out as :class:`ItemArrays`, checking each item's scale.

    ``table`` is read by :meth:`~sgbench.dataset.BuiltDataset.table`, whose rows keep the row
    rule (:func:`sgbench.dataset.row_problems`: ids, a ``subgroup_id`` naming its ``subgroup``,
    scale types, distinct option codes, option, count and distribution lengths, counts, shares,
    thresholds); what is checked here is what needs the layout.

    Works on the Arrow columns directly (list offsets and flattened values), so no Python
    object is made per row. With ``answers=False`` (a split to be predicted, not scored: see
    :func:`item_columns`) the answer columns are neither read nor checked, and ``target`` and
    ``modal`` are all-zero read-only views that take no memory.

    Raises:
        InputError: a row has no modal answer, or one that is not an option; the message
            names the first.
    """
    import pyarrow as pa

    n = table.num_rows
    options = _lists(table, "options")
    k = _lengths(options)
    width = int(k.max()) if n else 0
    flat: dict[str, npt.NDArray[Any]] = {}
    for column, dtype in (("counts", np.int64), ("distribution", np.float64)) if answers else ():
        flat[column] = _flat(_lists(table, column).flatten(), dtype)
    option_fields = options.flatten()
    codes = _padded(_flat(option_fields.field("code"), np.int64), k, width, np.int64)
    off_flat = (
        _flat(option_fields.field("off_scale").fill_null(False), np.bool_)
        if "off_scale" in [f.name for f in option_fields.type]
        else np.zeros(len(option_fields), dtype=np.bool_)
    )
    off_scale = _padded(off_flat, k, width, np.bool_)
    valid = np.arange(width)[None, :] < k[:, None]
    scale = table.column("scale_type").to_numpy()

    if answers:
        target, modal = _answers(table, flat["distribution"], codes, valid, where)
    else:
        target = np.broadcast_to(np.zeros((1, 1)), (n, width))
        modal = np.broadcast_to(np.zeros((1, 1), dtype=bool), (n, width))

    subgroup = table.column("subgroup").combine_chunks()
    columns = [table.column(name) for name in META_COLUMNS] + [
        subgroup.field(name) for name in attributes
    ]
    # One Arrow-backed string column per field: a Python str per value and attribute would cost
    # gigabytes on the all-country build.
    meta = pa.table(columns, names=[*META_COLUMNS, *attributes]).to_pandas()
    for column in RELIABILITY_COLUMNS:
        values = np.asarray(
            table.column(column).to_numpy(zero_copy_only=False)
            if column in table.column_names
            else np.full(n, np.nan),
            dtype=np.float64,
        )
        meta.insert(len(META_COLUMNS), column, values)
    return ItemArrays(
        meta=meta,
        ids=tuple(meta["id"].tolist()),
        attributes=tuple(attributes),
        k=k,
        codes=codes,
        valid=valid,
        target=target,
        modal=modal,
        nominal=scale == "nominal",
        off_scale=off_scale,
    )


def item_columns(
    dataset: BuiltDataset, config: str, split: str, answers: bool = True
) -> tuple[str, ...]:
    """:data:`ITEM_COLUMNS` and the :data:`RELIABILITY_COLUMNS` this split's file has; without
    the answer columns (and reliability) when ``answers`` is False."""
    import pyarrow.parquet as pq

    dataset.file_hash(config, split)
    schema = pq.read_metadata(dataset.path(config, split)).schema
    present = {schema.column(i).path for i in range(len(schema))}
    if not answers:
        asked = tuple(c for c in ITEM_COLUMNS if c not in ANSWER_COLUMNS)
        return (*asked, *(c for c in (OPTION_OFF_SCALE,) if c in present))
    optional = (*RELIABILITY_COLUMNS, OPTION_OFF_SCALE)
    return (*ITEM_COLUMNS, *(c for c in optional if c in present))


def split_ids(dataset: BuiltDataset, config: str) -> dict[str, pa.ChunkedArray]:
    """Split → its sample ids (only the ``id`` column is read).

    Raises:
        InputError: an id occurs in more than one row of the config (in one split or two: the
            row rule, :meth:`~sgbench.dataset.BuiltDataset.row_problem`), or another row
            problem.
    """
    return dataset.ids(config)


@public
@reads(dataset="--dataset")
def load_scoring_data(dataset: PathArg | BuiltDataset, config: str, split: str) -> ScoringData:
    """Read a dataset (folder, Hub id or opened :class:`BuiltDataset`) for scoring ``split``.

    The scored split is read in full; of the config's other splits only the ids (a prediction
    for another split's sample is skipped, not an error). Data files are checked against the
    manifest (see :mod:`sgbench.dataset`).

    Raises:
        InputError: unknown config or split, missing or damaged files, a sha256 mismatch, an id
            in two splits, an empty scored split, or a row breaking the dataset's invariants.
    """
    check_config_split(config, split)
    built = open_dataset(dataset)
    built.check_config(config, split)
    hashes = built.files(config)
    ids = split_ids(built, config)
    where = built.path(config, split)
    if len(ids[split]) == 0:
        raise InputError(f"{where}: split {split!r} of config {config!r} has no samples")
    scored = built.table(config, split, item_columns(built, config, split))
    items = item_arrays(scored, attribute_names(scored, built.manifest), where)
    return ScoringData(
        dataset=built,
        config=config,
        split=split,
        items=items,
        ids=ids,
        files=hashes,
    )


def load_options(dataset: PathArg | BuiltDataset, config: str) -> dict[str, list[tuple[int, str]]]:
    """Sample id → its options ``(code, label)`` in scale order, over every split of ``config``."""
    check_config_split(config)
    built = open_dataset(dataset)
    options: dict[str, list[tuple[int, str]]] = {}
    for name in CONFIG_SPLITS[config]:
        table = built.table(config, name, ["id", "options"])
        for sample_id, opts in zip(
            table.column("id").to_pylist(), table.column("options").to_pylist(), strict=True
        ):
            options[str(sample_id)] = [(int(o["code"]), str(o["label"])) for o in opts]
    return options
