"""Disclosure by differencing: dropped subgroups whose aggregates the published ones still give.

A subgroup is published only with at least ``min_subgroup_size`` respondents, but answer counts
add up: a published parent (``age_group=16-24``) minus its published children along one more
attribute (``age_group=16-24 & religion=…``, each kept one) leaves the counts of everyone else in
the parent, i.e. the dropped children together (and the parent's respondents without a value
for that attribute). When that remainder holds between 1 and ``min_subgroup_size - 1``
respondents, a group smaller than the rule allows is published in effect; a single dropped child
is disclosed exactly. This module measures it from the subgroup table; it changes nothing.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

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


def _partition_table(
    cells: pd.DataFrame, parent: str, child: str, keys: tuple[str, ...], known: np.ndarray
) -> pd.DataFrame:
    """One row per cell of ``parent``: its row, size, whether it is known, the sizes of its known
    and of all its children in ``child``, and its children not known (ids, in table order)."""
    children = cells[cells["stratum"] == child].assign(known=known[cells["stratum"] == child])
    children = children.assign(
        known_size=children["subgroup_size"].where(children["known"], 0),
        unknown=children["subgroup_id"]
        .where(~children["known"])
        .map(lambda sid: [] if pd.isna(sid) else [sid]),
    )
    # The root has no key: a constant one groups all of a one-attribute stratum under it.
    key = list(keys) or ["_root"]
    if not keys:
        children = children.assign(_root=ROOT)
    by_parent = children.groupby(key, sort=False).agg(
        known_size=("known_size", "sum"),
        all_size=("subgroup_size", "sum"),
        unknown=("unknown", "sum"),
    )
    parents = cells[cells["stratum"] == parent].assign(
        row=np.flatnonzero(cells["stratum"] == parent)
    )
    if not keys:
        parents = parents.assign(_root=ROOT)
    merged = parents[[*key, "row", "subgroup_id", "subgroup_size"]].merge(
        by_parent.reset_index(), on=key, how="left", sort=False
    )
    merged[["known_size", "all_size"]] = merged[["known_size", "all_size"]].fillna(0)
    merged["unknown"] = merged["unknown"].map(lambda ids: ids if isinstance(ids, list) else [])
    merged["missing"] = merged["subgroup_size"] - merged["all_size"]
    merged["known"] = known[merged["row"].to_numpy()]
    return merged


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
    partitions = _partitions(strata)
    known = cells["kept"].to_numpy(bool).copy()
    while True:
        before = known.copy()
        for parent, child, _ in partitions:
            merged = _partition_table(cells, parent, child, strata[parent], known)
            exact = (
                (merged["unknown"].map(len) == 0)
                & (merged["missing"] == 0)
                & (merged["all_size"] > 0)
            )
            known[merged.loc[exact, "row"].to_numpy()] = True
        if (known == before).all():
            break
    found = []
    for parent, child, attribute in partitions:
        merged = _partition_table(cells, parent, child, strata[parent], known)
        remainder = merged["subgroup_size"] - merged["known_size"]
        hit = merged["known"] & (remainder > 0) & (remainder < min_size)
        found.append(
            pd.DataFrame(
                {
                    "stratum": child,
                    "parent": merged.loc[hit, "subgroup_id"].astype(str),
                    "attribute": attribute,
                    "dropped": merged.loc[hit, "unknown"].map(tuple),
                    "missing": merged.loc[hit, "missing"].astype(np.int64),
                    "size": remainder[hit].astype(np.int64),
                }
            )
        )
    result = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=list(COLUMNS))
    return result.sort_values(["size", "stratum", "parent"], kind="stable").reset_index(drop=True)
