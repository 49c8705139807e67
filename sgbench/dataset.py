"""The built dataset: its row features, its folder layout, and reading it back.

One place for the facts every later stage relies on (scorer, baselines, prompts, leaderboard):
which configs and splits exist, what a row holds, and where the files are. The builder writes
exactly this layout; everything else reads it through :func:`load_split`.

Layout of a built dataset folder::

    README.md                      dataset card (YAML front matter declares configs and features)
    manifest.json                  machine-readable provenance, counts and file hashes
    data/<config>/<split>-00000-of-00001.parquet
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from sgbench.errors import InputError

if TYPE_CHECKING:
    import datasets
    import pandas as pd

CONFIG_SPLITS: Final[dict[str, tuple[str, ...]]] = {
    "default": ("train", "validation", "test_id", "test_ood"),
    "paper": ("train", "test_ood"),
    "temporal": ("train", "test"),
}
"""The dataset's configs and, for each, its splits in display order. ``default`` and ``paper``
are in every build; ``temporal`` only in builds from more than one wave (see the manifest's
``configs`` for what a folder has)."""

CONFIGS: Final[tuple[str, ...]] = tuple(CONFIG_SPLITS)
"""Every config name, in :data:`CONFIG_SPLITS` order."""
SPLITS: Final[tuple[str, ...]] = tuple(
    dict.fromkeys(split for splits in CONFIG_SPLITS.values() for split in splits)
)
"""Every split name of any config, first appearance first."""

MANIFEST_FILE: Final = "manifest.json"
CARD_FILE: Final = "README.md"

SCALE_TYPES: Final = ("ordinal", "nominal", "binary")

NEAR_COPY: Final = 0.9
"""``train_overlap`` (respondent Jaccard with the nearest training subgroup) at or above which an
OOD subgroup is a near-copy of a training subgroup (listed by the build, banded by the scorer)."""

OVERLAP_BANDS: Final[tuple[tuple[str, float], ...]] = (
    (">=0.9", NEAR_COPY),
    ("0.5-0.9", 0.5),
    ("<0.5", 0.0),
)
"""The scorer's ``by_overlap`` bands, highest first: a sample is in the first band whose lower
bound its ``train_overlap`` reaches."""


def overlap_band(jaccard: Sequence[float] | npt.NDArray[np.float64]) -> list[str | None]:
    """The :data:`OVERLAP_BANDS` name of each ``train_overlap`` value (None for NaN)."""
    values = np.asarray(jaccard, dtype=np.float64)
    bands = np.full(len(values), None, dtype=object)
    for name, low in reversed(OVERLAP_BANDS):
        bands[values >= low] = name
    return list(bands)


def split_file(config: str, split: str) -> str:
    """Relative path of one split's (single) parquet shard inside a dataset folder."""
    return f"data/{config}/{split}-00000-of-00001.parquet"


def sample_features(attribute_names: Sequence[str]) -> datasets.Features:
    """The declared features of one sample row, identical in every config and split.

    Per-option fields (``counts``, ``distribution``) are lists aligned with ``options``, which is
    in scale order (an option with ``off_scale`` true is listed but is not a point of the
    scale); ``subgroup`` is a struct with one nullable string per attribute of the build config
    (null where the sample's stratum does not use that attribute).
    """
    from datasets import Features, List, Value

    return Features(
        {
            "id": Value("string"),
            "question_id": Value("string"),
            "question": Value("string"),
            "section": Value("string"),
            "options": List(
                {"code": Value("int32"), "label": Value("string"), "off_scale": Value("bool")}
            ),
            "scale_type": Value("string"),
            "subgroup_id": Value("string"),
            "subgroup": {name: Value("string") for name in attribute_names},
            "stratum": Value("string"),
            "persona": Value("string"),
            "country": Value("string"),
            "wave": Value("int32"),
            "year": Value("int32"),
            "subgroup_size": Value("int32"),
            "n_valid": Value("int32"),
            "counts": List(Value("int32")),
            "distribution": List(Value("float64")),
            "answer": Value("int32"),
            "modal_answers": List(Value("int32")),
            "margin": Value("float64"),
            "mode_stability": Value("float64"),
            "train_overlap": Value("float64"),
        }
    )


def load_manifest(dataset_dir: str | Path) -> dict[str, Any]:
    """Read ``manifest.json`` of a built dataset folder.

    Raises:
        InputError: the folder or its manifest is missing or unreadable.
    """
    path = Path(dataset_dir) / MANIFEST_FILE
    if not Path(dataset_dir).is_dir():
        raise InputError(f"{dataset_dir}: no such dataset folder (run `sgbench build` first)")
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: missing; is {dataset_dir} a built sgbench dataset?") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: unreadable manifest ({exc})") from None
    return manifest


def check_config_split(config: str, split: str | None = None) -> None:
    """Raise :class:`InputError` for an unknown config or a split the config does not have."""
    if config not in CONFIG_SPLITS:
        raise InputError(f"unknown config {config!r}; choose one of {sorted(CONFIG_SPLITS)}")
    if split is not None and split not in CONFIG_SPLITS[config]:
        raise InputError(
            f"config {config!r} has no split {split!r}; its splits: {list(CONFIG_SPLITS[config])}"
        )


def check_built_config(dataset_dir: str | Path, manifest: Mapping[str, Any], config: str) -> None:
    """Raise :class:`InputError` when the folder's manifest does not declare ``config`` (a build
    from one wave has no ``temporal``)."""
    built = manifest.get("configs")
    if isinstance(built, Mapping) and config not in built:
        raise InputError(
            f"{dataset_dir}: this build has no config {config!r} (its configs: "
            f"{', '.join(map(str, built))}); `temporal` needs a build from more than one wave"
        )


def evaluation_split(config: str) -> str:
    """The split a command evaluates on when none is given: the config's last, held-out split
    (``test_ood`` for ``default`` and ``paper``, ``test`` for ``temporal``).

    Raises:
        InputError: unknown config.
    """
    check_config_split(config)
    return CONFIG_SPLITS[config][-1]


def load_split(dataset_dir: str | Path, config: str, split: str) -> pd.DataFrame:
    """Read one split of a built dataset folder as a DataFrame, one row per sample.

    Nested fields come back as Python objects: ``options`` a list of ``{"code", "label"}`` dicts,
    ``subgroup`` a dict, ``counts``/``distribution``/``modal_answers`` lists.
    """
    import pyarrow.parquet as pq

    check_config_split(config, split)
    path = Path(dataset_dir) / split_file(config, split)
    if not path.is_file():
        manifest: Mapping[str, Any] = {}
        with contextlib.suppress(InputError):  # no readable manifest: say the file is missing
            manifest = load_manifest(dataset_dir)
        check_built_config(dataset_dir, manifest, config)
        raise InputError(f"{path}: missing; is {dataset_dir} a built sgbench dataset?")
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a damaged file
        raise InputError(f"{path}: not a readable parquet file ({exc})") from None
    frame: pd.DataFrame = table.to_pandas(maps_as_pydicts="strict")
    return frame


def load_config(dataset_dir: str | Path, config: str) -> dict[str, pd.DataFrame]:
    """Every split of one config, keyed by split name, in :data:`CONFIG_SPLITS` order."""
    check_config_split(config)
    return {split: load_split(dataset_dir, config, split) for split in CONFIG_SPLITS[config]}
