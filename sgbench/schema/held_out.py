"""Which ``default`` split a question's in-distribution samples go to: one definition, read by
the builder that assigns splits (:func:`sgbench.splits.question_splits`) and by the dataset's
row rule that checks every row is in the split its question gives it."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt


def id_hash(ids: Sequence[str], seed: int) -> npt.NDArray[np.float64]:
    """A uniform number in [0, 1) per id, fixed by ``seed`` and the id alone (the manifest's
    ``splits.hash``: blake2b-64 of ``'<seed>:<id>'`` / 2**64)."""
    return np.array(
        [
            int.from_bytes(
                hashlib.blake2b(f"{seed}:{sample_id}".encode(), digest_size=8).digest(), "big"
            )
            / 2.0**64
            for sample_id in ids
        ],
        dtype=np.float64,
    )


def held_out_splits(
    question_ids: Sequence[str], seed: int, validation_fraction: float, test_id_fraction: float
) -> npt.NDArray[np.object_]:
    """``validation`` for a question whose :func:`id_hash` is below ``validation_fraction``,
    ``test_id`` below ``validation_fraction + test_id_fraction``, else ``train``; when no
    question would train, the held-out one with the largest draw does (every copy of its id)."""
    draws = id_hash(question_ids, seed)
    split = np.select(
        [draws < validation_fraction, draws < validation_fraction + test_id_fraction],
        ["validation", "test_id"],
        default="train",
    ).astype(object)
    if len(split) and not (split == "train").any():
        # Every copy of that id: a question listed twice had one copy train, one held out.
        largest = question_ids[int(draws.argmax())]
        split[np.array([q == largest for q in question_ids], dtype=bool)] = "train"
    return split
