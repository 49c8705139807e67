"""Reference baselines: ``sgbench baseline NAME`` writes predictions made from the train split only.

Four rules (defined in :mod:`sgbench.baselines.rules`): ``random`` (a seeded uniform choice
among the options), ``majority`` (per question, the mode pooled over every training subgroup),
``composition`` (the mode of the mean of the training distributions of the single-attribute
subgroups a subgroup crosses) and ``nearest`` (the modal answer of the training subgroup sharing
most attribute values). None of them reads the answers of the split it predicts, and the ``train``
split itself cannot be predicted. The output is a predictions file (JSON Lines,
``{"id", "answer"}``) in the split's row order; the same dataset, config, split and seed give
the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, get_args

import numpy as np
import pandas as pd

from sgbench.baselines.rules import (
    NO_PREDICTION,
    TrainingData,
    check_same_options,
    composition_positions,
    majority_positions,
    nearest_positions,
    random_positions,
)
from sgbench.dataset import check_config_split, load_manifest, load_split, split_file
from sgbench.errors import InputError
from sgbench.scoring.data import (
    BoolArray,
    IntArray,
    ItemArrays,
    attribute_names,
    item_arrays,
    resolve_dataset,
)

BaselineName = Literal["random", "majority", "composition", "nearest"]
BASELINES: Final[tuple[BaselineName, ...]] = get_args(BaselineName)
"""The baselines, in the order the leaderboard lists them."""

DESCRIPTIONS: Final[dict[BaselineName, str]] = {
    "random": "a uniform choice among the item's options (numpy default_rng(seed))",
    "majority": "per question, the mode of the training distributions pooled over every "
    "training subgroup, each weighted by its number of valid answers",
    "composition": "the mode of the unweighted mean of the training distributions of the "
    "single-attribute subgroups the subgroup crosses (majority when there is none)",
    "nearest": "the modal answer of the training subgroup sharing most attribute values; ties "
    "to the larger subgroup, then the first subgroup_id (majority when there is none)",
}
"""One line per baseline, for listings and the leaderboard's notes."""

TRAIN_SPLIT: Final = "train"


@dataclass(frozen=True)
class BaselinePredictions:
    """A baseline's predictions for one split."""

    name: BaselineName
    config: str
    split: str
    ids: tuple[str, ...]
    """Sample ids of the split, in its row order."""
    answers: IntArray
    """``(N,)`` predicted option codes, aligned with :attr:`ids`; unused where not predicted."""
    predicted: BoolArray
    """``(N,)`` False where the rule had nothing to go on (no training sample of the
    question); those samples are left out of the output and score as missing."""
    n_fallback: int
    """Samples ``composition`` or ``nearest`` predicted with the ``majority`` rule instead."""

    @property
    def n_predicted(self) -> int:
        """Samples with a prediction."""
        return int(self.predicted.sum())

    def to_jsonl(self) -> str:
        """The predictions file: one ``{"id", "answer"}`` line per predicted sample."""
        lines = [
            json.dumps({"id": sample_id, "answer": int(answer)}, ensure_ascii=False) + "\n"
            for sample_id, answer, keep in zip(self.ids, self.answers, self.predicted, strict=True)
            if keep
        ]
        return "".join(lines)


def _training_data(frame: pd.DataFrame, attributes: Sequence[str], where: Path) -> TrainingData:
    """One split as the rules see it: :class:`ItemArrays` plus ``n_valid`` and ``subgroup_size``."""
    return TrainingData(
        items=item_arrays(frame, attributes, where),
        n_valid=frame["n_valid"].to_numpy(dtype=np.int64),
        subgroup_size=frame["subgroup_size"].to_numpy(dtype=np.int64),
    )


def predict(
    name: BaselineName, target: ItemArrays, train: TrainingData, seed: int = 0
) -> tuple[IntArray, BoolArray]:
    """Scale positions predicted by baseline ``name`` (-1: none) and the fallback mask."""
    fallback = np.zeros(target.n, dtype=bool)
    if name == "random":
        return random_positions(target, seed), fallback
    check_same_options(target, train.items)
    if name == "majority":
        return majority_positions(target, train), fallback
    if name == "composition":
        return composition_positions(target, train)
    if name == "nearest":
        return nearest_positions(target, train)
    raise InputError(f"unknown baseline {name!r}; choose one of {list(BASELINES)}")


def run_baselines(
    names: Sequence[str],
    dataset: str | Path,
    config: str = "default",
    splits: Sequence[str] = ("test_ood",),
    seed: int = 0,
) -> list[BaselinePredictions]:
    """Predict every sample of each of ``splits`` with each baseline, from ``train`` only.

    Each split is read once, whatever the number of baselines. Returns one result per
    (baseline, split), baselines in the order given, splits within each.

    Args:
        names: baselines, each one of :data:`BASELINES`.
        dataset: a built dataset folder (or a Hub id, as for scoring).
        config: the dataset config; its ``train`` split is what the baselines learn from.
        splits: the splits to predict (any splits of the config but ``train``).
        seed: the seed of ``random`` (ignored by the others).

    Raises:
        InputError: unknown baseline, config or split; a split is ``train``; a bad seed; an
            unreadable or inconsistent dataset; an empty split.
    """
    unknown = [name for name in names if name not in BASELINES]
    if unknown:
        raise InputError(f"unknown baseline {unknown[0]!r}; choose one of {list(BASELINES)}")
    for split in splits:
        check_config_split(config, split)
        if split == TRAIN_SPLIT:
            raise InputError("the baselines learn from the train split; predict another split")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}")
    root = resolve_dataset(dataset)
    manifest = load_manifest(root)
    frames = {split: load_split(root, config, split) for split in (*splits, TRAIN_SPLIT)}
    for split in splits:
        if len(frames[split]) == 0:
            raise InputError(f"{root / split_file(config, split)}: split {split!r} has no samples")
    # From a predicted split: the train split may be empty, and then names no attribute.
    attributes = attribute_names(frames[splits[0]], manifest) if splits else ()
    where = {split: root / split_file(config, split) for split in frames}
    train = _training_data(frames[TRAIN_SPLIT], attributes, where[TRAIN_SPLIT])
    targets = {
        split: _training_data(frames[split], attributes, where[split]).items for split in splits
    }
    results = []
    for name in names:
        baseline = BASELINES[BASELINES.index(name)]  # typed as BaselineName
        for split, target in targets.items():
            position, fallback = predict(baseline, target, train, seed)
            predicted = position != NO_PREDICTION
            answers = target.codes[np.arange(target.n), np.maximum(position, 0)]
            results.append(
                BaselinePredictions(
                    name=baseline,
                    config=config,
                    split=split,
                    ids=target.ids,
                    answers=np.asarray(answers, dtype=np.int64),
                    predicted=np.asarray(predicted, dtype=bool),
                    n_fallback=int((fallback & predicted).sum()),
                )
            )
    return results


def run_baseline(
    name: str,
    dataset: str | Path,
    config: str = "default",
    split: str = "test_ood",
    seed: int = 0,
) -> BaselinePredictions:
    """Predict every sample of ``split`` with the baseline ``name``, from ``train`` only.

    The one-baseline, one-split case of :func:`run_baselines` (same arguments and errors).
    """
    return run_baselines([name], dataset, config, [split], seed)[0]


__all__ = [
    "BASELINES",
    "DESCRIPTIONS",
    "BaselineName",
    "BaselinePredictions",
    "TrainingData",
    "predict",
    "run_baseline",
    "run_baselines",
]
