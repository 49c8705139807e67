"""The dataset side of scoring: find the dataset, read one config, and lay a split out as arrays.

Every item has its own number of options ``K`` (in scale order). To score all samples at once, a
split becomes a set of ``(N, K_max)`` matrices padded on the right: position ``j`` of row ``i`` is
the item's ``j``-th option in scale order when ``valid[i, j]``, padding otherwise (code 0,
probability 0, never modal).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from sgbench.dataset import (
    CONFIG_SPLITS,
    SCALE_TYPES,
    check_built_config,
    check_config_split,
    load_manifest,
    load_split,
    split_file,
)
from sgbench.errors import InputError
from sgbench.files import sha256_file

if TYPE_CHECKING:
    from collections.abc import Sequence

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

DISTRIBUTION_TOLERANCE: Final = 1e-6
"""How far from 1 a distribution's sum may be (dataset rows and predicted distributions)."""

HUB_ID: Final = re.compile(r"^[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*$")
"""A Hugging Face Hub repository id, ``org/name``."""

META_COLUMNS: Final = ("id", "question_id", "section", "scale_type", "subgroup_id", "stratum")
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
class ScoringData:
    """What scoring needs from a dataset folder: one split as arrays and the ids of the others."""

    path: Path
    """The dataset folder."""
    manifest: Mapping[str, Any]
    """``manifest.json`` as read."""
    config: str
    split: str
    items: ItemArrays
    """The scored split."""
    index: Mapping[str, int]
    """Sample id → row of :attr:`items`."""
    other_splits: Mapping[str, str]
    """Id → split, for every sample of the config's other splits."""
    files: Mapping[str, str]
    """Relative path → sha256 of every data file read (checked against the manifest)."""


def resolve_dataset(dataset: str | Path) -> Path:
    """A local dataset folder, or a Hub dataset ``org/name`` fetched into the local cache.

    A path that exists is used as is. Otherwise a value shaped like ``org/name`` is downloaded with
    ``huggingface_hub.snapshot_download(repo_type="dataset")`` (needs the ``hub`` extra and the
    network). Anything else is returned unchanged, so that reading it reports the missing folder.
    """
    path = Path(dataset)
    if path.exists() or not HUB_ID.match(str(dataset)):
        return path
    try:
        from huggingface_hub import snapshot_download
    except ImportError:  # pragma: no cover - depends on the environment
        raise InputError(
            f"{dataset}: no such folder; to fetch it from the Hugging Face Hub install "
            "huggingface_hub (pip install 'sgbench[hub]')"
        ) from None
    try:  # pragma: no cover - needs the network
        local = snapshot_download(repo_id=str(dataset), repo_type="dataset")
    except Exception as exc:  # pragma: no cover - the hub client raises many types
        raise InputError(
            f"{dataset}: no such folder, and fetching it from the Hugging Face Hub failed "
            f"({type(exc).__name__}: {exc})"
        ) from None
    return Path(local)  # pragma: no cover


def _check_hashes(root: Path, manifest: Mapping[str, Any], config: str) -> dict[str, str]:
    listed = manifest.get("files")
    listed = listed if isinstance(listed, Mapping) else {}
    check_built_config(root, manifest, config)
    hashes: dict[str, str] = {}
    for split in CONFIG_SPLITS[config]:
        rel = split_file(config, split)
        path = root / rel
        if not path.is_file():
            raise InputError(f"{path}: missing; is {root} a built sgbench dataset?")
        hashes[rel] = sha256_file(path)
        expected = listed.get(rel)
        if expected is not None and str(expected).lower() != hashes[rel]:
            raise InputError(
                f"{path}: sha256 {hashes[rel]} differs from manifest.json ({expected}); "
                "the dataset folder was changed after it was built"
            )
    return hashes


def checked_files(root: Path, manifest: Mapping[str, Any], config: str) -> dict[str, str]:
    """Relative path → sha256 of every data file of ``config``, checked against the manifest.

    Raises:
        InputError: a data file is missing, or its sha256 differs from ``manifest.json``.
    """
    return _check_hashes(root, manifest, config)


def attribute_names(frame: pd.DataFrame, manifest: Mapping[str, Any]) -> tuple[str, ...]:
    """Attributes of the subgroup struct, in the manifest's order (unlisted ones after)."""
    first = next(iter(frame["subgroup"]), None) if len(frame) else None
    present = list(first) if isinstance(first, Mapping) else []
    declared = manifest.get("attributes")
    order = list(declared) if isinstance(declared, Mapping) else []
    return tuple([a for a in order if a in present] + [a for a in present if a not in order])


def padded(lists: pd.Series, k: IntArray, width: int, dtype: Any) -> npt.NDArray[Any]:
    """Stack ragged per-row sequences into an ``(N, width)`` matrix padded with zeros."""
    out = np.zeros((len(k), width), dtype=dtype)
    if len(k) == 0:
        return out
    flat = np.concatenate([np.asarray(v, dtype=dtype) for v in lists.to_numpy()])
    rows = np.repeat(np.arange(len(k)), k)
    cols = np.arange(len(flat)) - np.repeat(np.cumsum(k) - k, k)
    out[rows, cols] = flat
    return out


def _row_error(path: Path, frame: pd.DataFrame, bad: BoolArray, what: str) -> InputError:
    i = int(np.flatnonzero(bad)[0])
    return InputError(
        f"{path}: row {i + 1} (id {frame['id'].iloc[i]!r}): {what}; "
        f"{int(bad.sum())} row(s) affected; rebuild the dataset"
    )


def item_arrays(frame: pd.DataFrame, attributes: Sequence[str], where: Path) -> ItemArrays:
    """Lay one split's rows out as :class:`ItemArrays`, checking each item's scale.

    Raises:
        InputError: a row breaks the dataset's invariants (fewer than two options, duplicate
            codes, per-option lists of another length, a distribution not summing to 1, a modal
            answer that is not an option, an unknown scale type); the message names the first.
    """
    n = len(frame)
    k = frame["options"].map(len).to_numpy(dtype=np.int64) if n else np.zeros(0, np.int64)
    width = int(k.max()) if n else 0
    if n and (k < 2).any():
        raise _row_error(where, frame, k < 2, "an item needs at least two options")
    for column in ("counts", "distribution"):
        lengths = frame[column].map(len).to_numpy(dtype=np.int64) if n else k
        if (lengths != k).any():
            raise _row_error(where, frame, lengths != k, f"{column} does not align with options")
    codes = padded(frame["options"].map(lambda opts: [o["code"] for o in opts]), k, width, np.int64)
    off_scale = padded(
        frame["options"].map(lambda opts: [bool(o.get("off_scale")) for o in opts]),
        k,
        width,
        np.bool_,
    )
    valid = np.arange(width)[None, :] < k[:, None]
    target = padded(frame["distribution"], k, width, np.float64)
    same = (codes[:, :, None] == codes[:, None, :]) & valid[:, :, None] & valid[:, None, :]
    duplicated = same.sum(axis=(1, 2)) > k
    if duplicated.any():
        raise _row_error(where, frame, duplicated, "duplicate option codes")
    off = np.abs(target.sum(axis=1) - 1.0) > DISTRIBUTION_TOLERANCE
    if off.any() or (target < 0).any():
        raise _row_error(where, frame, off | (target < 0).any(axis=1), "bad distribution")
    scale = frame["scale_type"].to_numpy(dtype=object)
    unknown = ~np.isin(scale, SCALE_TYPES)
    if unknown.any():
        raise _row_error(where, frame, unknown, f"scale_type not one of {SCALE_TYPES}")

    n_modal = frame["modal_answers"].map(len).to_numpy(dtype=np.int64) if n else k
    if n and (n_modal < 1).any():
        raise _row_error(where, frame, n_modal < 1, "no modal answer")
    modal_rows = np.repeat(np.arange(n), n_modal)
    modal_codes = (
        np.concatenate([np.asarray(v, np.int64) for v in frame["modal_answers"].to_numpy()])
        if n
        else np.zeros(0, np.int64)
    )
    hit = (codes[modal_rows] == modal_codes[:, None]) & valid[modal_rows]
    if n and not hit.any(axis=1).all():
        bad = np.zeros(n, dtype=bool)
        bad[modal_rows[~hit.any(axis=1)]] = True
        raise _row_error(where, frame, bad, "a modal answer is not an option")
    modal = np.zeros((n, width), dtype=bool)
    np.logical_or.at(modal, modal_rows, hit)

    meta = frame.loc[:, list(META_COLUMNS)].reset_index(drop=True)
    for column in RELIABILITY_COLUMNS:
        present = frame[column] if column in frame else pd.Series(np.nan, index=frame.index)
        meta[column] = np.asarray(present, dtype=np.float64)
    subgroups = pd.DataFrame(frame["subgroup"].tolist(), columns=list(attributes))
    for name in attributes:
        meta[name] = subgroups[name].astype(object).where(subgroups[name].notna(), None)
    return ItemArrays(
        meta=meta,
        ids=tuple(str(i) for i in meta["id"].tolist()),
        attributes=tuple(attributes),
        k=k,
        codes=codes,
        valid=valid,
        target=target,
        modal=modal,
        nominal=scale == "nominal",
        off_scale=off_scale,
    )


def load_scoring_data(dataset: str | Path, config: str, split: str) -> ScoringData:
    """Read a dataset folder (or Hub id) for scoring ``split`` of ``config``.

    Every split of the config is read: the scored one in full, the others for their ids (a
    prediction for another split's sample is skipped, not an error). Data files are checked
    against the manifest's sha256.

    Raises:
        InputError: unknown config or split, missing or damaged files, a sha256 mismatch, an id
            in two splits, an empty scored split, or a row breaking the dataset's invariants.
    """
    check_config_split(config, split)
    root = resolve_dataset(dataset)
    manifest = load_manifest(root)
    hashes = _check_hashes(root, manifest, config)
    frames = {name: load_split(root, config, name) for name in CONFIG_SPLITS[config]}
    scored = frames[split]
    where = root / split_file(config, split)
    if len(scored) == 0:
        raise InputError(f"{where}: split {split!r} of config {config!r} has no samples")

    every = pd.concat(
        [pd.DataFrame({"id": f["id"].astype(str), "split": s}) for s, f in frames.items()],
        ignore_index=True,
    )
    repeated = every["id"].duplicated(keep=False)
    if repeated.any():
        first = every.loc[repeated].iloc[0]
        raise InputError(
            f"{root}: id {first['id']!r} occurs more than once in config {config!r} "
            f"(splits: {sorted(set(every.loc[every['id'] == first['id'], 'split']))})"
        )
    items = item_arrays(scored, attribute_names(scored, manifest), where)
    others = every.loc[every["split"] != split]
    return ScoringData(
        path=root,
        manifest=manifest,
        config=config,
        split=split,
        items=items,
        index={sample_id: row for row, sample_id in enumerate(items.ids)},
        other_splits=dict(zip(others["id"].tolist(), others["split"].tolist(), strict=True)),
        files=hashes,
    )


def load_options(dataset: str | Path, config: str) -> dict[str, list[tuple[int, str]]]:
    """Sample id → its options ``(code, label)`` in scale order, over every split of ``config``."""
    check_config_split(config)
    root = resolve_dataset(dataset)
    load_manifest(root)
    options: dict[str, list[tuple[int, str]]] = {}
    for name in CONFIG_SPLITS[config]:
        frame = load_split(root, config, name)
        for sample_id, opts in zip(frame["id"], frame["options"], strict=True):
            options[str(sample_id)] = [(int(o["code"]), str(o["label"])) for o in opts]
    return options
