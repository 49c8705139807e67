"""Disclosure by differencing: dropped subgroups whose aggregates the published ones still give.

A subgroup is published only with at least ``min_subgroup_size`` respondents, but answer counts
add up: a published parent (``age_group=16-24``) minus its published children along one more
attribute (``age_group=16-24 & religion=…``, each kept one) leaves the counts of everyone else in
the parent, i.e. the dropped children together (and the parent's respondents without a value
for that attribute). When that remainder holds between 1 and ``min_subgroup_size - 1``
respondents, a group smaller than the rule allows is published in effect; a single dropped child
is disclosed exactly.

:func:`recoverable_groups` measures those one-attribute subtractions from the subgroup table
(the readable explanation). :func:`control` decides exactly, over the respondents' *atoms*,
which groups of a wider family any rational combination of the published subgroups gives, and
with ``disclosure_control: suppress`` withholds further subgroups until none is left.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any, Final

import numpy as np
import pandas as pd

from sgbench.builder.subgroups import Subgroups

__all__: list[str] = []

ROOT: Final = ""
"""The ``parent`` of a one-attribute stratum's groups: all respondents, never published itself
but the sum of a one-attribute stratum whose subgroups are all kept and cover everyone."""

COLUMNS: Final = ("stratum", "parent", "attribute", "dropped", "missing", "size")
"""The columns of :func:`recoverable_groups`' table."""


def _stratum_attributes(
    cells: pd.DataFrame, attributes: tuple[str, ...]
) -> dict[str, tuple[str, ...]]:
    """Stratum name → its attributes (the attribute columns its subgroups fill), config order."""
    first = cells.groupby("stratum", sort=False)[list(attributes)].first()
    return {
        str(name): tuple(a for a in attributes if pd.notna(row[a]))
        for name, row in first.iterrows()
    }


def _partitions(strata: dict[str, tuple[str, ...]]) -> list[tuple[str, str, str]]:
    """Every ``(parent stratum, child stratum, attribute)`` where the child stratum is the parent's
    attributes plus that one (the root, ``ROOT``, is the parent of the one-attribute strata)."""
    found = []
    for parent, above in strata.items():
        for child, below in strata.items():
            extra = set(below) - set(above)
            if set(above) < set(below) and len(extra) == 1:
                found.append((parent, child, extra.pop()))
    return found


@dataclass(frozen=True)
class _Partition:
    """A parent stratum's cells and their children in a stratum of one attribute more."""

    child: str
    attribute: str
    parents: np.ndarray
    """Cell rows of the parent stratum, in table order."""
    children: np.ndarray
    """Cell rows of the child stratum in a parent's sums, in table order."""
    key_of_parent: np.ndarray
    """The key (values of the parent stratum's attributes) of each of ``parents``, a number."""
    key_of_child: np.ndarray
    """The key of each of ``children``: the parents of that key hold it."""
    n_keys: int


def _partition(
    cells: pd.DataFrame,
    stratum: np.ndarray,
    parent: str,
    child: str,
    attribute: str,
    keys: tuple[str, ...],
) -> _Partition:
    """Each child cell matched to the parent cells of its values of ``keys`` (the parent stratum's
    attributes; none for the root, whose one cell holds every child). A child missing a key
    value, or whose values no parent cell has, is in no parent's sums."""
    parents = np.flatnonzero(stratum == parent)
    children = np.flatnonzero(stratum == child)
    values = cells[list(keys)]
    number: dict[tuple[object, ...], int] = {}
    key_of_parent = np.array(
        [
            number.setdefault(row, len(number))
            for row in values.iloc[parents].itertuples(index=False, name=None)
        ],
        dtype=np.int64,
    )
    key_of_child = np.array(
        [
            -1 if any(pd.isna(v) for v in row) else number.get(row, -1)
            for row in values.iloc[children].itertuples(index=False, name=None)
        ],
        dtype=np.int64,
    )
    matched = key_of_child >= 0
    return _Partition(
        child,
        attribute,
        parents,
        children[matched],
        key_of_parent,
        key_of_child[matched],
        len(number),
    )


def _sums(
    part: _Partition, sizes: np.ndarray, known: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per parent cell: the respondents of its known children, of all its children, and how
    many of its children are not known."""
    child_sizes = sizes[part.children]
    child_known = known[part.children]
    by_key = [
        np.bincount(part.key_of_child, weights=weights, minlength=part.n_keys)
        for weights in (child_sizes * child_known, child_sizes, ~child_known)
    ]
    # Respondent counts are far below 2**53: the float sums are exact.
    known_size, all_size, unknown = (s.astype(np.int64)[part.key_of_parent] for s in by_key)
    return known_size, all_size, unknown


def recoverable_groups(
    table: pd.DataFrame, attributes: tuple[str, ...], n_respondents: int, min_size: int
) -> pd.DataFrame:
    """The groups of fewer than ``min_size`` respondents whose answer counts are recoverable by
    subtracting published subgroups' counts.

    A cell (a subgroup, or the root: all ``n_respondents``) is *known* when it is published
    (``kept``) or is the exact sum of known cells: all its children along one attribute known
    and none of its respondents without a value for that attribute; this is iterated to a
    fixpoint (in practice it adds the root). For each known parent and each configured stratum
    that is the parent's attributes plus one, the remainder ``parent − known children`` is
    recovered; it is reported when it holds 1 to ``min_size - 1`` respondents.

    Work is at the subgroup level, on respondent counts: a sample is published per (subgroup,
    question) only with ``min_valid_answers`` valid answers, so for one question the parent or a
    child may be missing (then that question's remainder is not recoverable this way), and the
    remainder's valid answers are fewer than its respondents. Only configured strata are
    parents, and a child disclosed exactly is not reused to difference further: the count is a
    lower bound of what an attacker can recover, and 0 means none of these subtractions works.

    Args:
        table: :attr:`~sgbench.builder.subgroups.Subgroups.table`: ``subgroup_id``, ``stratum``,
            one column per attribute (value, or None outside the stratum), ``subgroup_size``,
            ``kept``.
        attributes: the attribute columns of ``table``.
        n_respondents: respondents of the build (the root's size).
        min_size: the smallest subgroup published (``min_subgroup_size``).

    Returns:
        One row per recoverable remainder, sorted by ``size`` then stratum and parent:
        ``stratum`` (the children's), ``parent`` (subgroup id, ``ROOT`` for all respondents),
        ``attribute`` (the one differenced), ``dropped`` (the unpublished children's ids),
        ``missing`` (the parent's respondents without a value for ``attribute``, included in
        the remainder) and ``size`` (the remainder's respondents).
    """
    root = pd.DataFrame(
        {
            "subgroup_id": [ROOT],
            "stratum": [ROOT],
            "subgroup_size": [n_respondents],
            "kept": [False],
        }
    )
    cells = pd.concat(
        [root, table[["subgroup_id", "stratum", *attributes, "subgroup_size", "kept"]]]
    )
    cells = cells.reset_index(drop=True)
    strata = _stratum_attributes(cells, attributes)
    stratum = cells["stratum"].to_numpy(object)
    parts = [
        _partition(cells, stratum, parent, child, attribute, strata[parent])
        for parent, child, attribute in _partitions(strata)
    ]
    sizes = cells["subgroup_size"].to_numpy(np.int64)
    ids = cells["subgroup_id"].to_numpy(object)
    known = cells["kept"].to_numpy(bool).copy()
    # The least fixpoint of a monotone rule: the order the partitions are visited in is free.
    while True:
        before = known.copy()
        for part in parts:
            _, all_size, unknown = _sums(part, sizes, known)
            exact = (unknown == 0) & (sizes[part.parents] == all_size) & (all_size > 0)
            known[part.parents[exact]] = True
        if (known == before).all():
            break
    found = []
    for part in parts:
        known_size, all_size, _ = _sums(part, sizes, known)
        remainder = sizes[part.parents] - known_size
        hit = known[part.parents] & (remainder > 0) & (remainder < min_size)
        dropped: dict[int, list[object]] = {int(p): [] for p in np.flatnonzero(hit)}
        key_hit = {int(part.key_of_parent[p]) for p in dropped}
        unknown_children = [
            (int(key), ids[row])
            for row, key in zip(part.children, part.key_of_child, strict=True)
            if int(key) in key_hit and not known[row]
        ]
        for p in dropped:
            key = part.key_of_parent[p]
            dropped[p] = [sid for k, sid in unknown_children if k == key]
        found.append(
            pd.DataFrame(
                {
                    "stratum": part.child,
                    "parent": pd.Series(ids[part.parents[hit]], dtype=object).astype(str),
                    "attribute": part.attribute,
                    "dropped": pd.Series([tuple(d) for d in dropped.values()], dtype=object),
                    "missing": (sizes[part.parents] - all_size)[hit].astype(np.int64),
                    "size": remainder[hit].astype(np.int64),
                }
            )
        )
    result = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=list(COLUMNS))
    return result.sort_values(["size", "stratum", "parent"], kind="stable").reset_index(drop=True)


# --- The exact audit and the suppression that closes it ---------------------------------------

CONTROLS: Final = ("suppress", "none")
"""Values of the build config's ``disclosure_control``: ``suppress`` withholds complementary
subgroups until the exact audit finds nothing (:func:`control`); ``none`` publishes every
subgroup of ``min_subgroup_size`` respondents (the paper's sample set) and only measures."""

EXACT_FAMILY: Final = (
    "every cell of every cross-tabulation of the stratified attributes (any subset of them, "
    "a missing value counted as a value; single atoms included), and every derivable cell "
    "minus the derivable cells inside it of a chain of finer cross-tabulations (one attribute "
    "more at each step)"
)
"""What the exact audit of :func:`control` checks, as the manifest states it."""

_SAFE: Final = 2**31 - 1
"""Largest entry for which a fraction-free step (two products and a difference) fits int64."""

_MISSING: Final = "(missing)"


@dataclass(frozen=True)
class Atoms:
    """Respondents grouped by their value of every stratified attribute (missing a value too).

    Every subgroup, and every set the audit checks, is a union of atoms, so the atoms are the
    unknowns of the attacker's equations; only non-empty atoms are kept (the attacker is assumed
    to know which combinations occur, the conservative choice)."""

    codes: np.ndarray
    """(atoms, attributes) category codes, -1 for missing; rows in lexicographic code order."""
    sizes: np.ndarray
    """Respondents per atom."""
    of_respondent: np.ndarray
    """Atom row of each respondent."""
    attributes: tuple[str, ...]
    labels: tuple[tuple[str, ...], ...]
    """Each attribute's value labels (its category order)."""


def atoms_of(respondents: pd.DataFrame, attributes: tuple[str, ...]) -> Atoms:
    """The :class:`Atoms` of ``respondents`` over ``attributes`` (categorical columns)."""
    codes = np.column_stack(
        [respondents[name].cat.codes.to_numpy(np.int64) for name in attributes]
    ).reshape(len(respondents), len(attributes))
    unique, inverse, sizes = np.unique(codes, axis=0, return_inverse=True, return_counts=True)
    return Atoms(
        codes=unique,
        sizes=sizes.astype(np.int64),
        of_respondent=inverse.reshape(-1),
        attributes=attributes,
        labels=tuple(
            tuple(str(v) for v in respondents[name].cat.categories) for name in attributes
        ),
    )


def incidence(atoms: Atoms, membership: np.ndarray, n_subgroups: int) -> np.ndarray:
    """(subgroups, atoms) bool: the atoms of each subgroup with members in ``membership``
    (:attr:`~sgbench.builder.subgroups.Subgroups.membership`, kept subgroups only)."""
    found = np.zeros((n_subgroups, len(atoms.sizes)), dtype=bool)
    for rows in membership:
        inside = rows >= 0
        found[rows[inside], atoms.of_respondent[inside]] = True
    return found


def echelon(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Fraction-free Gauss–Jordan elimination of an integer matrix, exact.

    Returns ``(m, pivots, d)`` with ``m / d`` the reduced row echelon form (its ``rank`` non-zero
    rows, every pivot entry equal to ``d``) and ``pivots`` their columns. Each step replaces
    every other row by ``(p·row − f·pivot_row) / previous pivot``, a division that is exact
    (Bareiss's identity; every entry is a minor of ``matrix``). Entries stay in int64 while
    they are below :data:`_SAFE` and move to Python integers otherwise, so no step overflows.

    Raises:
        ArithmeticError: a division was not exact (cannot happen for an integer matrix).
    """
    m = np.array(matrix, dtype=np.int64)
    rows, cols = m.shape
    previous: Any = 1
    pivots: list[int] = []
    rank = 0
    # An upper bound of every entry's size: it only grows where rows are updated.
    largest = int(np.abs(m).max()) if m.size else 0
    for column in range(cols):
        if rank == rows:
            break
        nonzero = np.flatnonzero(m[rank:, column])
        if nonzero.size == 0:
            continue
        row = rank + int(nonzero[0])
        if row != rank:
            m[[rank, row]] = m[[row, rank]]
        if m.dtype != object and largest > _SAFE:
            m = m.astype(object)
        pivot = m[rank, column]
        factors = m[:, column].copy()
        factors[rank] = 0
        # With the pivot equal to the previous one, a row without the column is unchanged
        # (p·row / p): only the others are touched, most of a sparse 0/1 matrix is not.
        touched = np.flatnonzero(factors) if pivot == previous else np.arange(rows) != rank
        updated = pivot * m[touched] - factors[touched][:, None] * m[rank][None, :]
        quotient, remainder = updated // previous, updated % previous
        if np.any(remainder != 0):
            raise ArithmeticError("fraction-free elimination: a division was not exact")
        m[touched] = quotient
        if quotient.size:
            largest = max(largest, int(np.abs(quotient).max()))
        previous = pivot
        pivots.append(column)
        rank += 1
    return m[:rank], np.array(pivots, dtype=np.int64), int(previous)


def residuals(published: np.ndarray) -> np.ndarray:
    """(atoms, free columns) integers: a set of atoms is a linear combination of the rows of
    ``published`` (0/1, subgroups × atoms) iff the sum of its atoms' rows here is zero.

    With ``m / d`` the reduced echelon form, a 0/1 vector ``b`` is in the row space iff
    ``d·b − b[pivots] @ m`` is zero; that is zero on pivot columns by construction, and
    linear in ``b``, so it is the sum over ``b``'s atoms of one row per atom: ``d`` on a free
    atom's own column, ``−m[i, free]`` for the atom of pivot ``i``.
    """
    n = published.shape[1]
    if published.shape[0] == 0:
        return np.eye(n, dtype=np.int64)
    m, pivots, d = echelon(published)
    free = np.setdiff1d(np.arange(n), pivots)
    out = np.zeros((n, len(free)), dtype=m.dtype)
    out[free, np.arange(len(free))] = d
    out[pivots] = -m[:, free]
    return out


def _subsets(n: int) -> list[tuple[int, ...]]:
    return [s for size in range(n + 1) for s in itertools.combinations(range(n), size)]


def _cells(codes: np.ndarray, subset: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The cells of a cross-tabulation over ``subset``: (cell codes, cell of each atom)."""
    if not subset:
        return np.zeros((1, 0), dtype=np.int64), np.zeros(len(codes), dtype=np.int64)
    unique, inverse = np.unique(codes[:, list(subset)], axis=0, return_inverse=True)
    return unique, inverse.reshape(-1)


def _projection(residual: np.ndarray) -> np.ndarray:
    """``residual`` times a fixed vector of positive integers, exactly (int64 when the bound
    allows, Python integers otherwise): a set whose projection is not zero is certainly not
    derivable, so only the rest need the full check (a filter, never a verdict)."""
    weights = np.random.default_rng(0).integers(1, 2**20, size=residual.shape[1])
    largest = int(np.abs(residual).max()) if residual.size else 0
    if residual.dtype == object or largest * residual.shape[1] * 2**20 >= 2**62:
        return residual.astype(object) @ weights.astype(object)  # type: ignore[no-any-return]
    return residual @ weights


def _derivable_cells(
    residual: np.ndarray, projection: np.ndarray, cell_of: np.ndarray, n_cells: int
) -> np.ndarray:
    """Which cells' atom sets are in the row space: their residual rows sum to zero, checked
    in full for the cells whose projections sum to zero."""
    derivable = np.zeros(n_cells, dtype=bool)
    if residual.shape[1] == 0:
        derivable[:] = True
        return derivable
    sums = np.zeros(n_cells, dtype=projection.dtype)
    np.add.at(sums, cell_of, projection)
    candidates = np.flatnonzero(sums == 0)
    if candidates.size == 0:
        return derivable
    inside = np.flatnonzero(np.isin(cell_of, candidates))
    order = inside[np.argsort(cell_of[inside], kind="stable")]
    groups = cell_of[order]
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    totals = np.add.reduceat(residual[order], starts, axis=0)
    derivable[groups[starts]] = ~np.any(totals != 0, axis=1)
    return derivable


@dataclass(frozen=True)
class _Finding:
    size: int
    name: str
    atoms: np.ndarray
    """Indices (into the audited atoms) of the set found."""
    cell: bool
    """A cell of a cross-tabulation (always in the family), not a remainder of a chain (in
    it only while the cells it subtracts are derivable)."""


def _name(atoms: Atoms, subset: tuple[int, ...], codes: np.ndarray) -> str:
    if not subset:
        return "all respondents"
    return "&".join(
        f"{atoms.attributes[a]}={_MISSING if c < 0 else atoms.labels[a][c]}"
        for a, c in zip(subset, codes, strict=True)
    )


def _tabulations(atoms: Atoms, index: np.ndarray) -> dict[tuple[int, ...], tuple[Any, Any]]:
    """Every cross-tabulation of the atoms ``index``, over the attributes that vary on them
    (``country`` within one country splits nothing): attribute positions → (cell codes, cell
    of each atom). It depends on the atoms only, so suppression computes it once."""
    codes = atoms.codes[index]
    varying = tuple(j for j in range(codes.shape[1]) if codes.shape[0] and np.ptp(codes[:, j]) > 0)
    out = {}
    for subset in _subsets(len(varying)):
        columns = tuple(varying[j] for j in subset)
        out[columns] = _cells(codes, columns)
    return out


def _findings(
    atoms: Atoms,
    index: np.ndarray,
    residual: np.ndarray,
    min_size: int,
    tabulations: dict[tuple[int, ...], tuple[Any, Any]],
) -> list[_Finding]:
    """The sets of the exact family (:data:`EXACT_FAMILY`) within the atoms ``index`` that the
    published rows give (their :func:`residuals` are ``residual``), of 1 to ``min_size - 1``
    respondents.

    Every derivable cell of every cross-tabulation (over a subset A of the attributes), and
    every derivable A-cell minus the derivable cells inside it of the tabulations of a chain
    A ⊂ B1 ⊂ B2 ⊂ … (one attribute more each): along a chain, cells are nested or disjoint, so
    the maximal derivable ones inside the A-cell are disjoint and the remainder is a
    difference of derivable sets. Attributes constant on these atoms (``country`` within one
    country) are left out: they split nothing."""
    sizes = atoms.sizes[index]
    varying = max(tabulations, key=len)
    projection = _projection(residual)
    tables = {}
    for columns, (cell_codes, cell_of) in tabulations.items():
        derivable = _derivable_cells(residual, projection, cell_of, len(cell_codes))
        tables[columns] = (cell_codes, cell_of, derivable, derivable[cell_of])
    found: list[_Finding] = []
    for subset, (cell_codes, cell_of, derivable, _) in tables.items():
        n_cells = len(cell_codes)
        cell_sizes = np.bincount(cell_of, weights=sizes, minlength=n_cells).astype(np.int64)
        small = derivable & (cell_sizes > 0) & (cell_sizes < min_size)
        for cell in np.flatnonzero(small):
            found.append(
                _Finding(
                    int(cell_sizes[cell]),
                    _name(atoms, subset, cell_codes[cell]),
                    np.flatnonzero(cell_of == cell),
                    cell=True,
                )
            )
        if not derivable.any():
            continue
        # Depth-first over chains from `subset`, the atoms covered so far carried along.
        stack: list[tuple[tuple[int, ...], np.ndarray, str]] = [
            (subset, np.zeros(len(sizes), dtype=bool), "")
        ]
        while stack:
            level, covered, path = stack.pop()
            for extra in reversed([a for a in varying if a not in level]):
                finer = tuple(sorted((*level, extra)))
                more = covered | tables[finer][3]
                name = f"{path}, {atoms.attributes[extra]}" if path else atoms.attributes[extra]
                stack.append((finer, more, name))
                if np.array_equal(more, covered):
                    continue
                left = ~more
                rest = np.bincount(cell_of, weights=sizes * left, minlength=n_cells)
                rest = rest.astype(np.int64)
                hit = derivable & (rest > 0) & (rest < min_size) & (rest < cell_sizes)
                for cell in np.flatnonzero(hit):
                    found.append(
                        _Finding(
                            int(rest[cell]),
                            f"{_name(atoms, subset, cell_codes[cell])} minus its derivable "
                            f"cells by {name}",
                            np.flatnonzero((cell_of == cell) & left),
                            cell=False,
                        )
                    )
    return found


def _components(published: np.ndarray) -> np.ndarray:
    """Per atom, the smallest atom index linked to it through published subgroups (-1 for an
    atom in none). The row space is the direct sum of the components' row spaces, so each is
    audited alone (a multi-country build is one small problem per country)."""
    n = published.shape[1]
    label = np.arange(n)
    row_of, atom_of = np.nonzero(published)
    while row_of.size:
        low = np.full(published.shape[0], n)
        np.minimum.at(low, row_of, label[atom_of])
        new = label.copy()
        np.minimum.at(new, atom_of, low[row_of])
        new = new[new]
        if np.array_equal(new, label):
            break
        label = new
    label[~published.any(axis=0)] = -1
    return label


_NODES: Final = 50_000
"""Branch-and-bound nodes of one hitting-set search (:func:`_cover`). Past it the best cover
found so far is kept: still a cover, so suppression still ends with nothing derivable, only
perhaps not the cheapest one. A count, not a time, so the result never depends on the machine."""


def _supports(published: np.ndarray, sets: np.ndarray) -> list[frozenset[int]]:
    """Rows of ``published`` that combinations giving the rows of ``sets`` (0/1 over the
    atoms, each in the row space) use, exactly: for each set, two supports.

    The fraction-free reduced form (:func:`echelon`) of ``[publishedᵀ | setsᵀ]`` picks the
    first independent published rows in order as a basis, and a set's column then holds its
    coefficients on them (times the common pivot): the rows with a non-zero one are its
    support. Keeping all of them published keeps the set derivable, so withholding must
    take at least one of them, whatever else is withheld. Each set gets the support of the
    first basis in table order and of the first in reverse order: two constraints where
    one would do, so suppression needs fewer rounds (five instead of 27 on a synthetic
    Brazil).

    Raises:
        ArithmeticError: a set is not in the row space (the caller's audit said it was).
    """
    n = published.shape[0]
    found: list[frozenset[int]] = []
    for order in (np.arange(n), np.arange(n)[::-1]):
        matrix = np.concatenate([published[order].T, sets.T], axis=1).astype(np.int64)
        m, pivots, _ = echelon(matrix)
        if np.any(pivots >= n):
            raise ArithmeticError("suppression: a set found derivable is not in the row space")
        for j in range(len(sets)):
            found.append(frozenset(int(order[pivots[i]]) for i in np.flatnonzero(m[:, n + j])))
    return found


def _reduced(constraints: Sequence[frozenset[int]], cost: Sequence[int]) -> list[frozenset[int]]:
    """The same hitting-set problem, smaller, with the same optimum: a constraint holding
    another is dropped (hitting the smaller hits it), and a row is dropped from every
    constraint when another hits all the constraints it hits for less (by cost, then
    position), since swapping it for that row never costs more."""
    kept: list[frozenset[int]] = []
    for constraint in sorted(set(constraints), key=lambda c: (len(c), sorted(c))):
        if not any(other <= constraint for other in kept):
            kept.append(constraint)
    rows = sorted(set().union(*kept))
    hits = {r: frozenset(i for i, c in enumerate(kept) if r in c) for r in rows}
    dropped: set[int] = set()
    for r in rows:
        for other in rows:
            if (
                other != r
                and other not in dropped
                and hits[r] <= hits[other]
                and (cost[other], other) < (cost[r], r)
            ):
                dropped.add(r)
                break
    # The row that dropped another is itself dropped only for a third that hits more for
    # less, and so on down a strictly falling (cost, position) chain: every constraint keeps
    # the chain's last row.
    return [c - dropped for c in kept]


def _cover(
    constraints: Sequence[frozenset[int]], cost: Sequence[int], floor: int, limit: int
) -> tuple[frozenset[int], int | None]:
    """A set of rows hitting every constraint at least total ``cost``, and that total when it
    is proven the least (``None`` when ``limit`` nodes ran out: the best found is kept).

    Weighted hitting set (set cover), NP-hard in general, solved exactly by depth-first
    branch and bound on the :func:`_reduced` problem: branch on an uncovered constraint with
    fewest rows, trying each of its rows in turn (cheapest per constraint hit first, and
    excluding those tried before, so no cover is visited twice); prune with a lower bound by
    dual ascent (each uncovered constraint, fewest rows first, takes the least residual cost
    of its rows, which is subtracted from all of them: a feasible solution of the linear
    relaxation's dual, so its total is at most any cover's cost). The first incumbent is the
    greedy cover (least cost per constraint hit). ``floor`` is a known lower bound (the
    optimum of fewer constraints): a cover costing that is optimal and ends the search.
    Integer arithmetic and a fixed search order: the result depends on nothing else."""
    problem = _reduced(constraints, cost)

    def bound(uncovered: list[frozenset[int]], out: frozenset[int]) -> int | None:
        left: dict[int, int] = {}
        total = 0
        for free in sorted((c - out for c in uncovered), key=lambda c: (len(c), sorted(c))):
            if not free:
                return None
            step = min(left.get(r, cost[r]) for r in free)
            total += step
            for r in free:
                left[r] = left.get(r, cost[r]) - step
        return total

    def ranked(rows: frozenset[int], uncovered: list[frozenset[int]]) -> list[int]:
        hits = {r: sum(r in c for c in uncovered) for r in rows}
        return sorted(rows, key=lambda r: (Fraction(cost[r], hits[r]), r))

    chosen: set[int] = set()
    uncovered = list(problem)
    while uncovered:
        row = ranked(frozenset().union(*uncovered), uncovered)[0]
        chosen.add(row)
        uncovered = [c for c in uncovered if row not in c]
    best, best_cost = frozenset(chosen), sum(cost[r] for r in chosen)
    nodes = 0

    def search(
        taken: frozenset[int], out: frozenset[int], spent: int, uncovered: list[frozenset[int]]
    ) -> None:
        nonlocal nodes, best, best_cost
        nodes += 1
        if nodes > limit or best_cost <= floor:
            return
        if not uncovered:
            if spent < best_cost:
                best, best_cost = taken, spent
            return
        low = bound(uncovered, out)
        if low is None or spent + low >= best_cost:
            return
        branch = min(uncovered, key=lambda c: (len(c - out), sorted(c)))
        excluded = set(out)
        for row in ranked(branch - out, uncovered):
            left = [c for c in uncovered if row not in c]
            search(taken | {row}, frozenset(excluded), spent + cost[row], left)
            excluded.add(row)

    search(frozenset(), frozenset(), 0, problem)
    return best, (best_cost if nodes <= limit else None)


def _derivable_sets(residual: np.ndarray, sets: np.ndarray) -> np.ndarray:
    """Which rows of ``sets`` (0/1 over the atoms) are in the row space whose
    :func:`residuals` are ``residual``."""
    if residual.dtype == object:
        return ~np.any(sets.astype(object) @ residual != 0, axis=1)  # type: ignore[no-any-return]
    return ~np.any(sets.astype(np.int64) @ residual != 0, axis=1)  # type: ignore[no-any-return]


def _suppress(
    atoms: Atoms,
    index: np.ndarray,
    published: np.ndarray,
    min_size: int,
    tabulations: dict[tuple[int, ...], tuple[Any, Any]],
    cost: Sequence[int],
) -> tuple[np.ndarray, bool]:
    """The rows of ``published`` (0/1, subgroups × the atoms ``index``) to withhold, at least
    total ``cost``, so that the exact audit finds nothing and every set it found on the way
    is underivable; and whether that least is proven (:func:`_cover` within its nodes).

    A set is no longer derivable only if every combination giving it loses a row, so each
    :func:`_supports` of a set found is a constraint (withhold one of these rows), necessary
    whatever else is withheld. The cheapest rows hitting every constraint collected are
    withheld, the rest audited again, and what is still derivable, or found anew (a
    remainder changes with the cells it subtracts), adds its supports among the rows kept:
    those miss every row withheld, so each round adds a constraint the current choice
    breaks, and the loop ends (there are finitely many sets of rows) with nothing found.
    Constraints only accumulate, so a proven optimum is the least for every set found."""
    withheld = np.zeros(len(published), dtype=bool)
    constraints: set[frozenset[int]] = set()
    seen: dict[tuple[int, ...], None] = {}
    least: int | None = 0
    while True:
        kept = np.flatnonzero(~withheld)
        rows = published[kept]
        residual = residuals(rows.astype(np.int64))
        findings = _findings(atoms, index, residual, min_size, tabulations)
        sets = {tuple(f.atoms.tolist()) for f in findings}
        if seen:
            earlier = list(seen)
            matrix = np.zeros((len(earlier), len(index)), dtype=np.int64)
            for number, found in enumerate(earlier):
                matrix[number, list(found)] = 1
            sets |= {
                s for s, d in zip(earlier, _derivable_sets(residual, matrix), strict=True) if d
            }
        if not sets:
            return withheld, least is not None
        ordered = sorted(sets)
        seen.update(dict.fromkeys(ordered))
        matrix = np.zeros((len(ordered), len(index)), dtype=np.int64)
        for number, found in enumerate(ordered):
            matrix[number, list(found)] = 1
        for support in _supports(rows, matrix):
            if not support:
                raise ArithmeticError("suppression: a derivable set with nothing to withhold")
            constraints.add(frozenset(int(kept[r]) for r in support))
        # More constraints never cost less: the last proven optimum bounds this one.
        floor = least if least is not None else 0
        chosen, least = _cover(sorted(constraints, key=sorted), cost, floor, _NODES)
        withheld = np.isin(np.arange(len(published)), sorted(chosen))


@dataclass(frozen=True)
class Control:
    """What :func:`control` published, withheld and found."""

    subgroups: Subgroups
    """The input with withheld subgroups no longer kept (their members outside them)."""
    withheld: tuple[str, ...]
    """Subgroup ids withheld by suppression, in table order (empty for ``none``)."""
    derivable: pd.DataFrame
    """The exact audit of what is published: ``group`` (a name) and ``size``, one row per set
    of the family (:data:`EXACT_FAMILY`) of 1 to ``min_size - 1`` respondents derivable from
    the published subgroups, by size then name; empty after ``suppress``."""


def control(
    respondents: pd.DataFrame,
    subgroups: Subgroups,
    min_size: int,
    cost: np.ndarray,
    method: str,
) -> Control:
    """Audit exactly what the published subgroups give, and with ``suppress`` withhold
    complementary subgroups until nothing of the family is derivable.

    **The attacker and the guarantee.** Unknowns are the answer counts of the *atoms*:
    respondents grouped by their value of every stratified attribute (missing a value too);
    each published subgroup's counts are the sum of its atoms'. A set of atoms has exactly
    derivable counts iff its 0/1 indicator lies in the row space, over the rationals, of the
    published subgroups' indicators; this is exact disclosure by linear combination, what
    the audit of secondary cell suppression checks in statistical disclosure control for
    linked tables (Cox 1980, "Suppression methodology and statistical disclosure control",
    JASA 75:377–385; Hundepool et al. 2012, *Statistical Disclosure Control*, Wiley, on
    tabular data). It is decided exactly: fraction-free elimination (:func:`echelon`) and
    integer sums (:func:`residuals`), no floating point (a fixed integer projection only
    filters out sets that are certainly not derivable).

    **Subgroup level is enough.** For one question, the published samples are those of a
    subset of the published subgroups (a pair needs ``min_valid_answers`` valid answers), so
    that question's row space is inside the subgroups' one: nothing of the family derivable
    from the subgroups means nothing derivable from any question's counts (or its valid
    answer counts), and answers to different questions are never published jointly.

    **What it covers.** Every set of :data:`EXACT_FAMILY`: all atoms, all cells of all
    cross-tabulations (including attribute combinations that are not strata, and the
    respondents missing an attribute, as "all minus the religions"), and each derivable
    cell minus the derivable cells inside it along a chain of finer cross-tabulations (which
    covers every remainder :func:`recoverable_groups` names, chains of sums included).
    **What it does not.** Whether *some* other union of atoms of 1 to ``min_size - 1``
    respondents is derivable is a 0/1 search over the row space (an integer program,
    exponential in general); it is not decided, and such unions exist (inclusion–exclusion of
    overlapping cells: ``benchmarks/bench_disclosure.py`` counts them on small tables where
    every union can be enumerated). Nor are bounds from non-negativity (interval, not exact,
    disclosure: a zero count in a derivable group tells that none of its members gave that
    answer), weighted shares (their weight totals are not published), or differences across
    waves (other people).

    **Suppression.** The published subgroups to withhold are the cheapest set (``cost`` per
    table row: the samples the subgroup would publish, then its respondents) after which the
    audit finds nothing and every set it found on the way is underivable (:func:`_suppress`):
    a weighted hitting set over the subgroups each derivable set's combinations use, solved
    exactly by branch and bound (:func:`_cover`), with the sets the audit still finds added
    until it finds none. Exact within a node limit (past it, the cheapest cover found, still
    closing everything); integer arithmetic and a fixed search order, so deterministic. It
    replaced a greedy that withheld the subgroups separating one atom of the smallest set
    from one outside it, step by step, and withheld about twice as much
    (``benchmarks/bench_disclosure_optimal.py``).

    Args:
        respondents: the harmonised respondents (categorical attribute columns).
        subgroups: :func:`~sgbench.builder.subgroups.find_subgroups`' result.
        min_size: ``min_subgroup_size``.
        cost: (table rows,) non-negative integers, what withholding each subgroup loses.
        method: one of :data:`CONTROLS`.

    Raises:
        ValueError: an unknown ``method``.
    """
    if method not in CONTROLS:
        raise ValueError(f"disclosure control {method!r}: expected one of {CONTROLS}")
    table = subgroups.table
    used = table[list(subgroups.attributes)].notna().any(axis=0).to_numpy()
    attributes = tuple(a for a, u in zip(subgroups.attributes, used, strict=True) if u)
    atoms = atoms_of(respondents, attributes)
    holds = incidence(atoms, subgroups.membership, len(table))
    published = table["kept"].to_numpy(bool).copy()
    labels = _components(holds[published])
    found: list[_Finding] = []
    for component in np.unique(labels[labels >= 0]):
        index = np.flatnonzero(labels == component)
        rows = np.flatnonzero(published & holds[:, index].any(axis=1))
        tabulations = _tabulations(atoms, index)
        matrix = holds[np.ix_(rows, index)]
        if method == "none":
            residual = residuals(matrix.astype(np.int64))
            findings = _findings(atoms, index, residual, min_size, tabulations)
            found += [replace(f, atoms=index[f.atoms]) for f in findings]
            continue
        chosen, _ = _suppress(
            atoms, index, matrix, min_size, tabulations, [int(c) for c in cost[rows]]
        )
        published[rows[chosen]] = False
    withheld = np.flatnonzero(table["kept"].to_numpy(bool) & ~published)
    membership = np.where(np.isin(subgroups.membership, withheld), -1, subgroups.membership)
    # One row per set: a set reached by several names (a cell, and the same atoms as a
    # remainder) is named once, by its first name.
    distinct: dict[tuple[int, ...], _Finding] = {}
    for finding in sorted(found, key=lambda f: (f.size, f.name)):
        distinct.setdefault(tuple(finding.atoms.tolist()), finding)
    derivable = pd.DataFrame(
        {
            "group": [f.name for f in distinct.values()],
            "size": np.array([f.size for f in distinct.values()], dtype=np.int64),
        }
    )
    return Control(
        subgroups=replace(subgroups, table=table.assign(kept=published), membership=membership),
        withheld=tuple(table["subgroup_id"].astype(str).to_numpy()[withheld]),
        derivable=derivable.sort_values(["size", "group"], kind="stable").reset_index(drop=True),
    )
