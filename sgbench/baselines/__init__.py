"""Reference baselines: ``sgbench baseline NAME`` writes predictions made from the train split only.

Four rules (defined in :mod:`sgbench.baselines.rules`): ``random`` (a seeded uniform choice
among the options), ``majority`` (per question, the mode pooled over every training subgroup),
``composition`` (the mode of the mean of the training distributions of the single-attribute
subgroups a subgroup crosses) and ``nearest`` (the modal answer of the training subgroup sharing
most attribute values). Questions without any training sample get one shared unseen-question
rule (:func:`~sgbench.baselines.rules.unseen_question_positions`). None of them reads the
answers of the split it predicts, and the ``train``
split itself cannot be predicted. The output is a predictions file (JSON Lines,
``{"id", "answer"}``) in the split's row order; the same dataset, config, split and seed give
the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal, get_args

import numpy as np

from sgbench.baselines.rules import (
    NO_PREDICTION,
    TrainingData,
    check_same_options,
    composition_positions,
    majority_positions,
    nearest_positions,
    random_positions,
    seen_questions,
)
from sgbench.boundary import PathArg, public
from sgbench.dataset import BuiltDataset, check_config_split, open_dataset, release_arrow_memory
from sgbench.errors import InputError, refuse_without_effect
from sgbench.files import FromFiles, reads
from sgbench.scoring.data import (
    BoolArray,
    IntArray,
    ItemArrays,
    attribute_names,
    item_arrays,
    item_columns,
    split_ids,
)

if TYPE_CHECKING:
    import pyarrow as pa

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

JSONL_CHUNK: Final = 100_000
"""Lines per piece of a streamed predictions file (bounds the text held at once)."""


@dataclass(frozen=True)
class BaselinePredictions(FromFiles):
    """A baseline's predictions for one split."""

    name: BaselineName
    config: str
    split: str
    ids: tuple[str, ...]
    """Sample ids of the split, in its row order."""
    answers: IntArray
    """``(N,)`` predicted option codes, aligned with :attr:`ids`; unused where not predicted."""
    predicted: BoolArray
    """``(N,)`` False where the rule had nothing to go on (an empty ``train`` split); those
    samples are left out of the output and score as missing."""
    n_fallback: int
    """Samples of questions seen in training that ``composition`` or ``nearest`` predicted with
    the ``majority`` rule instead."""
    n_unseen: int = 0
    """Samples of questions without any training sample, predicted with the unseen-question
    rule (``majority``, ``composition`` and ``nearest``; never ``random``)."""
    seed: int | None = None
    """The seed ``random`` drew with; None for the others, which draw nothing."""

    @property
    def n_predicted(self) -> int:
        """Samples with a prediction."""
        return int(self.predicted.sum())

    def jsonl_chunks(self) -> Iterator[str]:
        """The predictions file in pieces of up to :data:`JSONL_CHUNK` lines, each line
        ``{"id": ..., "answer": ...}`` exactly as ``json.dumps(..., ensure_ascii=False)``
        writes it (same bytes, without an encoder call per line)."""
        rows = np.flatnonzero(self.predicted)
        for start in range(0, len(rows), JSONL_CHUNK):
            part = rows[start : start + JSONL_CHUNK]
            answers = self.answers[part].tolist()
            yield "".join(
                f'{{"id": {encode_basestring(self.ids[row])}, "answer": {answer}}}\n'
                for row, answer in zip(part.tolist(), answers, strict=True)
            )

    def to_jsonl(self) -> str:
        """The predictions file: one ``{"id", "answer"}`` line per predicted sample."""
        return "".join(self.jsonl_chunks())


def _training_data(table: pa.Table, attributes: Sequence[str], where: Path) -> TrainingData:
    """One split as the rules see it: :class:`ItemArrays` plus ``n_valid`` and ``subgroup_size``."""
    return TrainingData(
        items=item_arrays(table, attributes, where),
        n_valid=np.asarray(table.column("n_valid").to_numpy(), dtype=np.int64),
        subgroup_size=np.asarray(table.column("subgroup_size").to_numpy(), dtype=np.int64),
    )


def _listed(names: Sequence[str]) -> str:
    """``the majority baseline`` or ``the baselines majority, nearest``."""
    if len(names) == 1:
        return f"the {names[0]} baseline"
    return "the baselines " + ", ".join(names)


def predict(
    name: BaselineName, target: ItemArrays, train: TrainingData, seed: int = 0
) -> tuple[IntArray, BoolArray]:
    """Scale positions predicted by baseline ``name`` (-1: none) and the mask of samples it
    predicted with the ``majority`` rule instead of its own (``composition``, ``nearest``)."""
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


@public
@reads(dataset="--dataset")
def run_baselines(
    names: Sequence[str],
    dataset: PathArg | BuiltDataset,
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
        seed: the seed of ``random``; the others draw nothing, so a seed other than 0 (the
            default) without ``random`` is refused, as ``sgbench baseline --seed`` is.

    Raises:
        InputError: unknown baseline, config or split; a split is ``train``; a bad seed, or one
            given without ``random``; an unreadable or inconsistent dataset; an empty split.
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
    refuse_without_effect(
        (f"seed {seed!r}", seed != 0, "random" in names, f"for {_listed(names)} (only random)")
    )
    built = open_dataset(dataset)
    for split in splits:
        built.check_config(config, split)
    split_ids(built, config)  # two samples under one id would be predicted as one
    targets: dict[str, ItemArrays] = {}
    attributes: tuple[str, ...] = ()
    for split in splits:  # one split's Arrow table in memory at a time
        # The predicted split's answers are never read (the rules must not see them).
        table = built.table(config, split, item_columns(built, config, split, answers=False))
        if table.num_rows == 0:
            raise InputError(f"{built.path(config, split)}: split {split!r} has no samples")
        attributes = attributes or attribute_names(table, built.manifest)
        targets[split] = item_arrays(table, attributes, built.path(config, split), answers=False)
        del table
        release_arrow_memory()
    columns = (*item_columns(built, config, TRAIN_SPLIT), "n_valid", "subgroup_size")
    train = _training_data(
        built.table(config, TRAIN_SPLIT, columns), attributes, built.path(config, TRAIN_SPLIT)
    )
    release_arrow_memory()
    # The samples the unseen-question rule answers, per split (only counted, for the report).
    unseen = {split: ~seen_questions(target, train.items) for split, target in targets.items()}
    results = []
    for name in names:
        baseline = BASELINES[BASELINES.index(name)]  # typed as BaselineName
        for split in splits:  # as given: a split named twice gets two results, like a name
            target = targets[split]
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
                    n_fallback=int((fallback & predicted & ~unseen[split]).sum()),
                    n_unseen=0 if name == "random" else int((unseen[split] & predicted).sum()),
                    seed=seed if name == "random" else None,
                )
            )
    return results


@public
def run_baseline(
    name: str,
    dataset: PathArg | BuiltDataset,
    config: str = "default",
    split: str = "test_ood",
    seed: int = 0,
) -> BaselinePredictions:
    """Predict every sample of ``split`` with the baseline ``name``, from ``train`` only.

    The one-baseline, one-split case of :func:`run_baselines` (same arguments and errors).
    """
    return run_baselines([name], dataset, config, [split], seed)[0]


# predict and TrainingData stay internal: they take the scorer's arrays, which only sgbench makes.
__all__ = [
    "BASELINES",
    "DESCRIPTIONS",
    "BaselineName",
    "BaselinePredictions",
    "run_baseline",
    "run_baselines",
]
