"""The value landscape's statistics, as pure vectorised functions over per-sample arrays.

Notation: a *cell* is one (question, stratum) pair; its subgroups ``S_c`` are the stratum's
subgroups that have a sample of the question, and ``K_c`` the question's number of options
``|C|``. ``M_i`` is sample ``i``'s set of modal answers (several when tied) and ``p_i`` its
answer distribution over scale positions. Every function takes and returns numpy arrays; none
loops over samples, cells or groups in Python.

- Modal Diversity Score of a cell: each subgroup's *tie set* ``M_i`` (its modal answers; one
  answer unless tied) is one category, ``p_c(M) = |{i ∈ S_c : M_i = M}| / |S_c|``,
  ``MDS_c = −Σ_M p_c(M) log2 p_c(M) / log2(min(|S_c|, K_c))`` (``0 · log 0 = 0``), capped at 1;
  undefined (NaN) when ``min(|S_c|, K_c) = 1``, i.e. a single subgroup. Subgroups that tie on
  the same options agree completely: identical tie sets give 0.
- Null-corrected MDS: ``MDS_c(count modes) − E_null[MDS_c]``, the null being subgroups that
  differ only by who was drawn into them: the cell's answers shuffled across its subgroups,
  sizes kept (:func:`null_modal_diversity`). The null can only shuffle unweighted counts, so
  both terms use the modes of the unweighted counts (:func:`count_modes`); comparing weighted
  observed modes with unweighted null modes would be biased (exact ties are frequent in counts,
  rare in weighted totals, and each tie set is a category). On an unweighted build the first
  term is ``MDS_c``. 0: no more diversity than chance; it removes the noise floor that small
  subgroups and near-tied items give MDS. Its Monte Carlo error is that of a mean of
  :data:`NULL_REPLICATES` replicates (see :data:`NULL_REPLICATES`).
- Mean pairwise distance of a cell: ``D_c = Σ_{i<j ∈ S_c} d(p_i, p_j) / (|S_c|(|S_c| − 1)/2)``
  with ``d`` the scorer's distance (:func:`sgbench.scoring.metrics.distribution_distance`:
  normalised Wasserstein-1 on ordinal and binary scales, total variation on nominal ones);
  undefined (NaN) for a single subgroup.
- Population distribution of a question: see :func:`population_distribution`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

import numpy as np

from sgbench.dataset import TIE_TOLERANCE  # the dataset's ties, for pooled distributions too
from sgbench.scoring.data import BoolArray, FloatArray, IntArray
from sgbench.scoring.metrics import distribution_distance


def cell_totals(values: FloatArray, cell: IntArray, n_cells: int) -> FloatArray:
    """Sum of ``values`` (``(N,)`` or ``(N, K)``) over each cell's rows: ``(n_cells, …)``."""
    out = np.zeros((n_cells, *values.shape[1:]), dtype=np.float64)
    np.add.at(out, cell, values)
    return out


def cell_max(values: IntArray, cell: IntArray, n_cells: int) -> IntArray:
    """Largest of ``values`` over each cell's rows (0 for a cell without rows)."""
    out = np.zeros(n_cells, dtype=np.int64)
    np.maximum.at(out, cell, values)
    return out


def entropy_bits(p: FloatArray) -> FloatArray:
    """Row-wise Shannon entropy in bits, ``−Σ_j p_j log2 p_j`` with ``0 · log 0 = 0``."""
    safe = np.where(p > 0, p, 1.0)
    bits: FloatArray = np.abs((p * np.log2(safe)).sum(axis=1))  # abs: no -0.0 for a point mass
    return bits


def tie_set_keys(modal: BoolArray) -> IntArray:
    """One integer per row naming its set of modal positions (bit ``j`` set: position ``j``)."""
    bits = np.left_shift(np.int64(1), np.arange(modal.shape[1], dtype=np.int64))
    keys: IntArray = (modal.astype(np.int64) * bits[None, :]).sum(axis=1)
    return keys


def modal_diversity(modal: BoolArray, k: IntArray, cell: IntArray, n_cells: int) -> FloatArray:
    """The Modal Diversity Score of every cell: ``(n_cells,)``, NaN where undefined.

    ``MDS_c = min(1, H(p_c) / log2(min(|S_c|, K_c)))`` with ``p_c(M)`` the share of the cell's
    subgroups whose tie set is ``M`` (see the module docstring). 0: every subgroup has the same
    modal answer(s) (consensus; two subgroups both tied on {1, 2} agree); 1: the tie sets are
    spread as evenly as the cell allows (with ``|S_c| ≤ K_c``: every subgroup differs). Distinct
    tie sets can outnumber the options; the cap keeps such a cell at 1. A cell with one subgroup
    has no diversity to measure (``log2 1 = 0``): NaN, left out of every mean.
    """
    size = cell_totals(np.ones(len(cell)), cell, n_cells)
    categories = 1 << modal.shape[1]
    pair, count = np.unique(cell * categories + tie_set_keys(modal), return_counts=True)
    owner = pair // categories
    share = count / size[owner]
    entropy = np.bincount(owner, weights=-share * np.log2(share), minlength=n_cells)
    reach = np.minimum(size, cell_max(k, cell, n_cells).astype(np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.abs(entropy) / np.log2(reach)
    result: FloatArray = np.where(reach > 1, np.minimum(score, 1.0), np.nan)
    return result


NULL_REPLICATES: Final = 20
"""Replicates of the permutation null: each costs about a tenth of a second on the embedded
default. One cell's null mean then has a Monte Carlo standard error of its replicates' standard
deviation over √20 (a few hundredths; docs/stats.md quotes it, from docs/generate.py); the
means over a stratum's or section's many cells that the docs quote have far less."""
NULL_SEED: Final = 0
NULL_RULE: Final = (
    "each cell's unweighted answers shuffled across its subgroups (subgroup sizes kept); "
    "mean MDS over the replicates"
)


def count_modes(counts: IntArray) -> BoolArray:
    """Each row's modal options by unweighted count (ties: all of them); padding columns, at
    0, are never modal since every row has an answer."""
    modal: BoolArray = counts == counts.max(axis=1, keepdims=True)
    return modal


def rank_in_cell(cell: IntArray) -> IntArray:
    """Each row's 0-based rank among its cell's rows, in row order."""
    order = np.argsort(cell, kind="stable")
    sizes = np.bincount(cell) if len(cell) else np.zeros(0, dtype=np.int64)
    start = np.cumsum(sizes) - sizes
    rank = np.empty(len(cell), dtype=np.int64)
    rank[order] = np.arange(len(cell)) - start[cell[order]]
    return rank


def shuffled_counts(
    counts: IntArray, cell: IntArray, n_cells: int, rng: np.random.Generator
) -> IntArray:
    """Answer counts after shuffling each cell's answers across its subgroups (sizes kept).

    An exact permutation draw, vectorised over cells: subgroups are dealt answers one rank at a
    time from what remains of their cell's pool, each option's count a hypergeometric draw from
    the options left (a multivariate hypergeometric, option by option); the last subgroup of a
    cell takes what is left.
    """
    return _Deal(counts, cell, n_cells).draw(rng)


class _Deal:
    """What every replicate of :func:`shuffled_counts` shares: pools and the dealing order."""

    def __init__(self, counts: IntArray, cell: IntArray, n_cells: int) -> None:
        self.counts = counts
        self.cell = cell
        self.pool = np.zeros((n_cells, counts.shape[1]), dtype=np.int64)
        np.add.at(self.pool, cell, counts)
        rank = rank_in_cell(cell)
        self.last = rank == np.bincount(cell, minlength=n_cells)[cell] - 1
        top = int(rank.max()) if len(rank) else 0
        self.rounds = [np.flatnonzero((rank == r) & ~self.last) for r in range(top)]

    def draw(self, rng: np.random.Generator) -> IntArray:
        pool = self.pool.copy()
        out = np.zeros_like(self.counts)
        width = self.counts.shape[1]
        for rows in self.rounds:
            owner = self.cell[rows]
            wanted = self.counts[rows].sum(axis=1)
            remaining = pool[owner]
            left = remaining.sum(axis=1)
            taken_all = np.zeros((len(rows), width), dtype=np.int64)
            for j in range(width - 1):
                good = remaining[:, j]
                left -= good
                # Nothing to draw when the option is used up or is all that remains.
                taken = np.where(left == 0, wanted, 0)
                draw = (wanted > 0) & (good > 0) & (left > 0)
                if draw.any():
                    taken[draw] = rng.hypergeometric(good[draw], left[draw], wanted[draw])
                taken_all[:, j] = taken
                wanted -= taken
            taken_all[:, -1] = wanted
            out[rows] = taken_all
            pool[owner] -= taken_all
        # A cell's last subgroup takes what is left.
        out[self.last] = pool[self.cell[self.last]]
        return out


def null_modal_diversity(
    counts: IntArray,
    k: IntArray,
    cell: IntArray,
    n_cells: int,
    seed: int = NULL_SEED,
    replicates: int = NULL_REPLICATES,
) -> FloatArray:
    """Expected MDS of every cell if its subgroups differed only by chance: ``(n_cells,)``.

    The permutation null: a cell's answers (unweighted ``counts``) are shuffled across its
    subgroups, each keeping its number of valid answers (:func:`shuffled_counts`); each
    replicate's modal tie sets give an MDS, and the mean over ``replicates`` replicates of
    ``np.random.default_rng(seed)`` is returned (NaN where MDS is undefined). Subgroups of
    different strata share respondents, so the null is taken within each (question, stratum)
    cell, whose subgroups are disjoint.
    """
    rng = np.random.default_rng(seed)
    deal = _Deal(counts, cell, n_cells)
    total = np.zeros(n_cells, dtype=np.float64)
    for _ in range(replicates):
        total += modal_diversity(count_modes(deal.draw(rng)), k, cell, n_cells)
    null: FloatArray = total / replicates
    return null


PAIR_CHUNK: Final = 1 << 17
"""Subgroup pairs whose distances are computed at once by :func:`mean_pairwise_distance`: the
pairs of a build grow with the square of a cell's subgroups (63.6 million on a 20-country
build), so they are taken this many at a time, a few tens of MB of working arrays."""


def within_cell_pairs(cell: IntArray) -> tuple[IntArray, IntArray]:
    """Every unordered pair ``(i, j)`` of rows in the same cell, ``i`` before ``j`` in cell order
    (all at once: the first and only run of :func:`within_cell_pair_runs`)."""
    runs = list(within_cell_pair_runs(cell, None))
    if not runs:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return runs[0]


def within_cell_pair_runs(
    cell: IntArray, chunk: int | None = PAIR_CHUNK
) -> Iterator[tuple[IntArray, IntArray]]:
    """The pairs of :func:`within_cell_pairs`, in the same order, as consecutive runs of at most
    ``chunk`` pairs (``None``: one run).

    Rows are ordered by cell (stably); a row at rank ``t`` of a cell of size ``n`` pairs with the
    ``n − t − 1`` rows after it. Pair ``m`` of the whole list is found from the running count of
    pairs per row (a ``searchsorted``), so a run is made without the pairs before it, and the
    runs, however the list is cut, are the list in its order.
    """
    order = np.argsort(cell, kind="stable")
    sorted_cell = cell[order]
    sizes = np.bincount(sorted_cell) if len(cell) else np.zeros(0, dtype=np.int64)
    start = np.cumsum(sizes) - sizes
    rank = np.arange(len(cell)) - start[sorted_cell]
    later = sizes[sorted_cell] - rank - 1
    ends = np.cumsum(later)
    total = int(ends[-1]) if len(ends) else 0
    step = max(total, 1) if chunk is None else chunk
    for first in range(0, total, step):
        pair = np.arange(first, min(first + step, total), dtype=np.int64)
        left = np.searchsorted(ends, pair, side="right")
        offset = pair - (ends[left] - later[left]) + 1
        yield order[left].astype(np.int64), order[left + offset].astype(np.int64)


def mean_pairwise_distance(
    target: FloatArray,
    k: IntArray,
    nominal: BoolArray,
    cell: IntArray,
    n_cells: int,
    off_scale: BoolArray | None = None,
    chunk: int = PAIR_CHUNK,
) -> FloatArray:
    """Mean distance between the distributions of every pair of subgroups of each cell.

    ``D_c = Σ_{i<j ∈ S_c} d(p_i, p_j) / (|S_c|(|S_c| − 1) / 2)``, ``d`` the scorer's normalised
    Wasserstein-1 (total variation on nominal items; off-scale options compared nominally).
    Range [0, 1]; 0: all subgroups answer alike.
    NaN for a cell with one subgroup.

    The pairs are taken ``chunk`` at a time (:data:`PAIR_CHUNK`), so memory does not grow with
    the number of pairs; each cell's sum is added up pair by pair in the same order however the
    pairs are cut, so the result does not depend on ``chunk``.
    """
    total = np.zeros(n_cells, dtype=np.float64)
    for left, right in within_cell_pair_runs(cell, chunk):
        off = None if off_scale is None else off_scale[left]
        d = distribution_distance(target[left], target[right], k[left], nominal[left], off)
        np.add.at(total, cell[left], d)
    size = np.bincount(cell, minlength=n_cells).astype(np.float64)
    n_pairs = size * (size - 1) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        mean: FloatArray = np.where(n_pairs > 0, total / n_pairs, np.nan)
    return mean


def population_distribution(
    target: FloatArray,
    n_valid: IntArray,
    question: IntArray,
    n_questions: int,
    stratum: IntArray,
) -> tuple[FloatArray, IntArray]:
    """Each question's population distribution, pooled from one single-attribute stratum.

    ``stratum`` codes the single-attribute stratum of each sample (-1 for samples of other
    strata), codes in sorted order of the strata's names. For question ``q`` the stratum used is
    the one with the most valid answers, ``s*(q) = argmax_s Σ_{i ∈ (q, s)} n_i`` (ties: the
    lowest code), and the population distribution is its subgroups' distributions pooled by
    their valid answers:

        ``π_q = Σ_{i ∈ (q, s*)} n_i p_i / Σ_{i ∈ (q, s*)} n_i``

    The subgroups of one attribute do not overlap, so every respondent of that stratum counts
    once; the distributions ``p_i`` keep the survey weights inside each subgroup, so a subgroup
    is compared with a population on the same footing (if every subgroup answers alike, ``π_q``
    equals their shared distribution and every distance from it is 0). For an unweighted build
    ``π_q`` is exactly the respondents' answer distribution, ``Σ counts / Σ n``.

    Returns:
        ``(π, s*)``: ``(n_questions, K)`` distributions (zero rows where a question has no
        sample in a single-attribute stratum) and ``(n_questions,)`` stratum codes (-1 there).
    """
    single = stratum >= 0
    n_strata = int(stratum.max()) + 1 if single.any() else 1
    valid_answers = np.zeros((n_questions, n_strata), dtype=np.float64)
    np.add.at(valid_answers, (question[single], stratum[single]), n_valid[single])
    chosen = np.where(valid_answers.max(axis=1) > 0, valid_answers.argmax(axis=1), -1)
    member = single & (stratum == chosen[question])
    pooled = np.zeros((n_questions, target.shape[1]), dtype=np.float64)
    np.add.at(pooled, question[member], target[member] * n_valid[member, None])
    total = pooled.sum(axis=1, keepdims=True)
    population: FloatArray = np.divide(pooled, total, out=np.zeros_like(pooled), where=total > 0)
    return population, chosen.astype(np.int64)


def first_mode(distribution: FloatArray) -> IntArray:
    """Scale position of each row's modal answer; ties go to the first in scale order.

    Shares within :data:`~sgbench.dataset.TIE_TOLERANCE` of the row's largest count as tied, so
    that rounding in pooled sums does not decide a tie. The same rule as the dataset's ``answer``
    field.
    """
    top = distribution.max(axis=1, keepdims=True)
    position: IntArray = np.argmax(distribution >= top - TIE_TOLERANCE, axis=1).astype(np.int64)
    return position
