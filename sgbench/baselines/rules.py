"""The baseline rules: each a pure, vectorised function from the training split to predictions.

Every rule sees only the ``train`` split (its samples' distributions and modal answers) and the
*questions and subgroups* of the split it predicts, never that split's answers. A rule returns,
for every target sample, the **scale position** of its predicted option (an index into the item's
options, as in :class:`~sgbench.scoring.data.ItemArrays`), or ``-1`` when it has nothing to go
on. Notation: ``p_s,q`` is training subgroup ``s``'s answer distribution on question ``q`` (the
dataset's weighted shares), ``n_s,q`` its number of valid answers.

- ``random``: a uniform draw among the item's options, ``np.random.default_rng(seed)``, one draw
  per target sample in the split's row order.
- ``majority``: the mode of the pooled distribution ``Σ_s n_s,q · p_s,q`` over every training
  subgroup ``s`` with a sample of ``q`` (each subgroup weighs as many answers as it has: the
  "average Singaporean" of the training data).
- ``composition``: for a target subgroup fixing attributes ``a = x`` and ``b = y``, the mode of the
  unweighted mean ``(p_{a=x},q + p_{b=y},q) / 2`` of the training distributions of the
  single-attribute subgroups it crosses; each source counts once, whatever its size. Sources
  without a training sample of ``q`` are left out of the mean; with none left, ``majority``.
- ``nearest``: the modal answer of the training subgroup that shares the most attribute values
  with the target subgroup, among those with a training sample of ``q``. Ties go to the larger
  subgroup (``subgroup_size``), then to the first ``subgroup_id`` in sorted (code point) order.

Questions without any training sample (``default`` holds whole questions out for
``validation`` and ``test_id``) get the **unseen-question rule**, whichever baseline needs it
(``majority``, and through it ``composition`` and ``nearest``): the scale position that is most
often the modal answer (the dataset's ``answer``, the first modal option) among the training
samples of questions with the same number of options ``K``; when no training question has ``K``
options, the same count over every training sample, among the positions below ``K``. Ties in
that count go to the lowest position. Only an empty ``train`` split leaves a sample unpredicted.

Modes: the option with the largest weight; weights within a relative ``1e-9`` of the largest are
tied (sums of floats that are equal in exact arithmetic can differ in the last bit), and ties go
to the first option in scale order, as the dataset's ``answer`` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from sgbench.errors import InputError
from sgbench.scoring.data import BoolArray, FloatArray, IntArray, ItemArrays

TIE_TOLERANCE: Final = 1e-9
"""Relative tolerance under which two option weights count as tied."""

NO_PREDICTION: Final = -1
"""The position a rule returns for a sample it cannot predict."""


@dataclass(frozen=True)
class TrainingData:
    """The ``train`` split as a rule sees it."""

    items: ItemArrays
    """The training samples (distributions, modal answers, attribute values)."""
    n_valid: IntArray
    """``(N,)`` valid answers of each training sample."""
    subgroup_size: IntArray
    """``(N,)`` respondents in each training sample's subgroup."""


def first_mode(weights: FloatArray, valid: BoolArray) -> IntArray:
    """Per row, the first position (in scale order) whose weight is the row's largest.

    ``weights`` and ``valid`` are ``(N, K)``; positions where ``valid`` is False never win.
    Weights within a relative :data:`TIE_TOLERANCE` of the row's maximum are tied.
    """
    masked = np.where(valid, weights, -np.inf)
    top = masked.max(axis=1, keepdims=True)
    is_top = masked >= top - TIE_TOLERANCE * np.abs(top)
    return np.asarray(is_top.argmax(axis=1), dtype=np.int64)


def _questions(target: ItemArrays, train: ItemArrays) -> tuple[IntArray, IntArray, int]:
    """Codes of each sample's question in one shared numbering: (target, train, count)."""
    every = pd.concat(
        [target.meta["question_id"], train.meta["question_id"]], ignore_index=True
    ).astype(str)
    codes, names = pd.factorize(every, sort=True)
    codes = np.asarray(codes, dtype=np.int64)
    return codes[: target.n], codes[target.n :], len(names)


def _widen(matrix: FloatArray, width: int) -> FloatArray:
    """Pad an ``(N, K)`` matrix with zero columns to ``(N, width)``."""
    return np.pad(matrix, ((0, 0), (0, width - matrix.shape[1])))


def check_same_options(target: ItemArrays, train: ItemArrays) -> None:
    """Raise :class:`InputError` if a question's options differ between the two splits.

    The rules carry positions from training samples to target samples of the same question, which
    is only meaningful when the question has the same options, in the same order, everywhere.
    """
    q_target, q_train, n_questions = _questions(target, train)
    width = max(target.codes.shape[1], train.codes.shape[1])
    # Each question's reference: its first row, in the training split if it has one. Codes are
    # zero beyond an item's options, so equal option counts make the padding agree as well.
    ref_k = np.zeros(n_questions, dtype=np.int64)
    ref_codes = np.zeros((n_questions, width), dtype=np.int64)
    for q, items in ((q_target, target), (q_train, train)):
        first = np.unique(q, return_index=True)[1]
        ref_k[q[first]] = items.k[first]
        ref_codes[q[first], : items.codes.shape[1]] = items.codes[first]
    for q, items in ((q_train, train), (q_target, target)):
        bad = items.k != ref_k[q]
        for j in range(items.codes.shape[1]):  # one column at a time: no (N, K) temporary
            bad |= items.codes[:, j] != ref_codes[q, j]
        if bad.any():
            sample = items.ids[int(np.flatnonzero(bad)[0])]
            raise InputError(
                f"sample {sample!r}: its question has other options in another split; "
                "rebuild the dataset"
            )


def random_positions(target: ItemArrays, seed: int) -> IntArray:
    """A uniform draw among each item's ``K`` options, from ``np.random.default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    return np.asarray(rng.integers(0, target.k), dtype=np.int64)


def unseen_question_positions(target: ItemArrays, train: ItemArrays) -> IntArray:
    """Per target sample, the unseen-question rule's position (see the module docstring).

    The position most often modal among the training samples whose item has the target's number
    of options ``K`` (or, when no training item has ``K`` options, among all training samples,
    counting positions below ``K``); ties to the lowest position; ``-1`` when ``train`` is empty.
    """
    width = max(target.codes.shape[1], train.codes.shape[1], 1)
    # tally[k, j]: training samples with k options whose first modal option is position j.
    tally = np.zeros((width + 1, width), dtype=np.int64)
    if train.n:
        np.add.at(tally, (train.k, train.modal.argmax(axis=1)), 1)
    below = np.arange(width)[None, :] < np.arange(width + 1)[:, None]
    tally = np.where(tally.any(axis=1, keepdims=True), tally, tally.sum(axis=0) * below)
    # argmax takes the first of equal counts: the lowest position.
    position = np.where(tally.any(axis=1), tally.argmax(axis=1), NO_PREDICTION)
    return np.asarray(position[target.k], dtype=np.int64)


def seen_questions(target: ItemArrays, train: ItemArrays) -> BoolArray:
    """``(N,)`` True where the target sample's question has at least one training sample."""
    q_target, q_train, n_questions = _questions(target, train)
    return np.asarray((np.bincount(q_train, minlength=n_questions) > 0)[q_target], dtype=bool)


def majority_positions(target: ItemArrays, train: TrainingData) -> IntArray:
    """The mode of the question's pooled training distribution ``Σ_s n_s,q · p_s,q``.

    Questions without any training sample get :func:`unseen_question_positions`.
    """
    if train.items.n == 0:
        return unseen_question_positions(target, train.items)
    q_target, q_train, n_questions = _questions(target, train.items)
    width = train.items.codes.shape[1]
    # pooled[q, j] = Σ_s n_s,q · p_s,q[j], one weighted count per option position.
    pooled = np.zeros((n_questions, width), dtype=np.float64)
    n_valid = train.n_valid.astype(np.float64)
    for j in range(width):
        pooled[:, j] = np.bincount(
            q_train, weights=n_valid * train.items.target[:, j], minlength=n_questions
        )
    # Options are the same in every split (check_same_options), so the mode is per question.
    k = np.zeros(n_questions, dtype=np.int64)
    k[q_train] = train.items.k
    per_question = first_mode(pooled, np.arange(width)[None, :] < k[:, None])
    seen = (np.bincount(q_train, minlength=n_questions) > 0)[q_target]
    position = per_question[q_target]
    if seen.all():
        return position
    return np.where(seen, position, unseen_question_positions(target, train.items))


def _single_attribute(items: ItemArrays) -> pd.Series:
    """For each sample, the attribute of a single-attribute subgroup, else None."""
    present = items.meta[list(items.attributes)].notna().to_numpy(dtype=bool)
    names = np.asarray(items.attributes, dtype=object)
    which = names[present.argmax(axis=1)].astype(object)
    which[present.sum(axis=1) != 1] = None
    return pd.Series(which, dtype=object)


def composition_sources(target: ItemArrays, train: TrainingData) -> tuple[FloatArray, IntArray]:
    """Sum of the source distributions and the number of sources, per target sample.

    A source of target sample ``(s, q)`` is the training sample ``(a = x, q)`` of the
    single-attribute subgroup ``a = x`` for each attribute value ``a = x`` that ``s`` fixes.
    Returns ``(N, K)`` sums (in the target's option positions) and ``(N,)`` source counts.
    """
    width = max(target.codes.shape[1], train.items.codes.shape[1])
    singles = train.items.meta.assign(
        __attribute=_single_attribute(train.items), __row=np.arange(train.items.n)
    )
    singles = singles.loc[singles["__attribute"].notna()]
    total = np.zeros((target.n, width), dtype=np.float64)
    count = np.zeros(target.n, dtype=np.int64)
    source_dist = _widen(train.items.target, width)
    for attribute in target.attributes:
        # One merge per attribute (there are a handful), none per subgroup or question.
        pool = singles.loc[singles["__attribute"] == attribute, ["question_id", attribute, "__row"]]
        wanted = target.meta[["question_id", attribute]].reset_index(drop=True)
        found = wanted.merge(pool, on=["question_id", attribute], how="left", validate="m:1")
        row = found["__row"].to_numpy(dtype=np.float64)
        hit = ~np.isnan(row) & wanted[attribute].notna().to_numpy()
        rows = row[hit].astype(np.int64)
        total[hit] += source_dist[rows]
        count[hit] += 1
    return total, count


def composition_positions(target: ItemArrays, train: TrainingData) -> tuple[IntArray, BoolArray]:
    """The mode of the unweighted mean of the source distributions (see the module docstring).

    Returns the positions and a mask of the samples that fell back to ``majority`` (no source).
    """
    total, count = composition_sources(target, train)
    width = total.shape[1]
    valid = np.pad(target.valid, ((0, 0), (0, width - target.codes.shape[1])))
    # Dividing by the count does not move the mode; it keeps the weights on the same scale.
    mean = total / np.maximum(count, 1)[:, None]
    position = first_mode(mean, valid)
    fallback = count == 0
    return np.where(fallback, majority_positions(target, train), position), fallback


def shared_values(target: pd.DataFrame, train: pd.DataFrame, attributes: list[str]) -> IntArray:
    """``(T, S)``: how many attribute values target subgroup ``t`` and training subgroup ``s``
    share (an attribute both fix, with the same value)."""
    shared = np.zeros((len(target), len(train)), dtype=np.int64)
    for attribute in attributes:
        left = target[attribute].to_numpy(dtype=object)[:, None]
        right = train[attribute].to_numpy(dtype=object)[None, :]
        both = pd.notna(left) & pd.notna(right)
        shared += both & (left == right)
    return shared


def nearest_order(shared: IntArray, size: IntArray) -> IntArray:
    """``(T, S)``: for each target subgroup, the training subgroups from nearest to farthest.

    Most shared values first; ties to the larger ``size``; then to the lower index (the training
    subgroups are given sorted by ``subgroup_id``).
    """
    index = np.broadcast_to(np.arange(shared.shape[1]), shared.shape)
    larger = np.broadcast_to(-size, shared.shape)
    return np.asarray(np.lexsort((index, larger, -shared), axis=-1), dtype=np.int64)


def nearest_positions(target: ItemArrays, train: TrainingData) -> tuple[IntArray, BoolArray]:
    """The modal answer of the nearest training subgroup with a sample of the question.

    Returns the positions and a mask of the samples that fell back to ``majority`` (no training
    subgroup has a sample of the question).
    """
    if train.items.n == 0:
        return majority_positions(target, train), np.ones(target.n, dtype=bool)
    attributes = list(target.attributes)
    q_target, q_train, n_questions = _questions(target, train.items)
    train_meta = train.items.meta.assign(__size=train.subgroup_size)
    subgroups = (
        train_meta.groupby("subgroup_id", sort=True, dropna=False)
        .agg({**{a: "first" for a in attributes}, "__size": "max"})
        .reset_index()
    )
    s_codes = np.asarray(
        pd.Categorical(train_meta["subgroup_id"], categories=subgroups["subgroup_id"]).codes,
        dtype=np.int64,
    )
    wanted = target.meta[["subgroup_id", *attributes]]
    t_codes, t_names = pd.factorize(wanted["subgroup_id"], sort=True)
    targets = wanted.drop_duplicates("subgroup_id").set_index("subgroup_id").loc[t_names]
    size = subgroups["__size"].to_numpy(dtype=np.int64)
    order = nearest_order(shared_values(targets.reset_index(), subgroups, attributes), size)

    # row_of[q, s]: the training row of subgroup s on question q (-1: none).
    row_of = np.full((n_questions, len(subgroups)), -1, dtype=np.int64)
    row_of[q_train, s_codes] = np.arange(train.items.n)
    # Walk each sample's candidates rank by rank, looking only at the samples not yet resolved:
    # most find a training sample among their first few neighbours, and a (samples × training
    # subgroups) matrix would not fit in memory for the all-country build.
    t_codes = np.asarray(t_codes, dtype=np.int64)
    row = np.full(target.n, -1, dtype=np.int64)
    pending = np.arange(target.n)
    for rank in range(order.shape[1]):
        if len(pending) == 0:
            break
        found = row_of[q_target[pending], order[t_codes[pending], rank]]
        row[pending] = found
        pending = pending[found < 0]
    fallback: BoolArray = row < 0
    # The dataset's modal answer: the first modal option in scale order.
    position = train.items.modal[np.maximum(row, 0)].argmax(axis=1)
    return np.where(fallback, majority_positions(target, train), position), fallback
