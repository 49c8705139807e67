"""How far suppression is from the least it could withhold, on SYNTHETIC data.

``disclosure_control: suppress`` withholds subgroups until the exact audit finds nothing
(:func:`sgbench.builder.disclosure.control`). It now solves that as a weighted hitting set,
exactly, with constraints added as the audit finds them (``_suppress``); until then a greedy
withheld, at each step, the subgroups separating one atom of the smallest derivable set from
one atom outside it. This compares, on the cases of ``benchmarks/bench_disclosure.py`` (the
embedded default's respondents with the Singapore config, a second Singapore sample, five
synthetic countries with the generic config):

- ``greedy``: the earlier method (kept below, as it was, to measure against);
- ``control``: what the builder withholds now (least samples lost, then least respondents);
- ``fewest``: the same search minimising the number of subgroups instead;
- ``bound``: a lower bound of any suppression the audit accepts, in subgroups and in samples:
  the least that makes every small derivable *cell* of a cross-tabulation underivable (the
  audit checks every such cell whatever is withheld, so every accepted result does that),
  solved to proven optimality the same way;
- ``bound_first``: the same for every set the audit finds *before* suppression, remainders
  too, and the cells after: each of those sets is small and derivable, so a result leaving
  one derivable leaks it even when the audit after no longer names it (a remainder moves
  with the cells it subtracts). ``first_still_derivable`` counts such sets for each method
  (0 for both: both close them), so this is the bound both are held to.

Last, on the small random tables of ``bench_disclosure.py`` where every union of atoms can be
enumerated, how many tables each method leaves with a derivable union of fewer than 30
respondents outside the audited family.

Every result is audited again from scratch (``control`` with ``none`` and
:func:`~sgbench.builder.disclosure.recoverable_groups`): the ``after`` counts must be 0.
A bound is printed "not proven" when a search ran out of nodes (then it is no bound).
Writes ``benchmarks/results/bench_disclosure_optimal.json``, which ``docs/generate.py`` quotes.

Usage::

    python benchmarks/bench_disclosure_optimal.py [--tables 300]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from bench_disclosure import COUNTRIES, relabelled, tiny_tables
from shared import results_path, write_results

from sgbench.builder.aggregate import samples_per_subgroup
from sgbench.builder.config import BuildConfig, resolve_config
from sgbench.builder.disclosure import (
    _NODES,
    _components,
    _cover,
    _derivable_sets,
    _findings,
    _supports,
    _suppress,
    _tabulations,
    atoms_of,
    control,
    incidence,
    recoverable_groups,
    residuals,
)
from sgbench.builder.harmonise import harmonise
from sgbench.builder.subgroups import Subgroups, find_subgroups
from sgbench.builder.synthetic import synthetic_sample
from sgbench.catalogue import load_catalogue

RESULTS = results_path(__file__)


def separating(
    published: np.ndarray, cost: np.ndarray, inside: np.ndarray, found: np.ndarray
) -> np.ndarray:
    """The greedy's step, as it was: withhold the rows telling one atom of the set from one
    outside it (or every row holding one atom of it), the pair costing least per derivable
    set closed."""
    rows = published.astype(np.int64)
    per_atom = cost @ rows
    hits = found.sum(axis=0)
    outside = np.setdiff1d(np.arange(rows.shape[1]), inside)
    alone = per_atom[inside] / hits[inside]
    if outside.size:
        shared = (rows[:, inside] * cost[:, None]).T @ rows[:, outside]
        pairs = per_atom[inside][:, None] + per_atom[outside][None, :] - 2 * shared
        closed = (
            hits[inside][:, None]
            + hits[outside][None, :]
            - 2 * (found[:, inside].T @ found[:, outside])
        )
        ratio = pairs / closed
        a, b = np.unravel_index(int(np.argmin(ratio)), ratio.shape)
        if ratio[a, b] <= alone.min():
            chosen: np.ndarray = published[:, inside[a]] != published[:, outside[b]]
            return chosen
    return published[:, inside[int(np.argmin(alone))]].copy()


def components(
    people: pd.DataFrame, subgroups: Subgroups
) -> tuple[Any, np.ndarray, np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """As :func:`~sgbench.builder.disclosure.control` splits the problem: the atoms, which
    atoms each subgroup holds, the published subgroups, and per component its atoms and rows."""
    table = subgroups.table
    used = table[list(subgroups.attributes)].notna().any(axis=0).to_numpy()
    attributes = tuple(a for a, u in zip(subgroups.attributes, used, strict=True) if u)
    atoms = atoms_of(people, attributes)
    holds = incidence(atoms, subgroups.membership, len(table))
    published = table["kept"].to_numpy(bool)
    labels = _components(holds[published])
    parts = []
    for component in np.unique(labels[labels >= 0]):
        index = np.flatnonzero(labels == component)
        parts.append((index, np.flatnonzero(published & holds[:, index].any(axis=1))))
    return atoms, holds, published, parts


def greedy(people: pd.DataFrame, subgroups: Subgroups, min_size: int, cost: np.ndarray) -> Any:
    """The table rows the earlier greedy withheld."""
    atoms, holds, published, parts = components(people, subgroups)
    published = published.copy()
    for index, rows in parts:
        tabulations = _tabulations(atoms, index)
        while True:
            matrix = holds[np.ix_(rows, index)]
            residual = residuals(matrix.astype(np.int64))
            findings = _findings(atoms, index, residual, min_size, tabulations)
            if not findings:
                break
            worst = min(findings, key=lambda f: (f.size, f.name))
            sets = np.zeros((len(findings), len(index)), dtype=np.int64)
            for number, finding in enumerate(findings):
                sets[number, finding.atoms] = 1
            sets = np.unique(sets, axis=0)
            chosen = separating(matrix, cost[rows].astype(np.int64), worst.atoms, sets)
            published[rows[chosen]] = False
            rows = rows[~chosen]
    return np.flatnonzero(subgroups.table["kept"].to_numpy(bool) & ~published)


def bound(
    atoms: Any,
    index: np.ndarray,
    published: np.ndarray,
    min_size: int,
    cost: list[int],
    first: bool,
) -> tuple[int, bool]:
    """The least total ``cost`` of rows whose withholding leaves underivable every small cell
    of a cross-tabulation derivable from ``published`` (and, with ``first``, every set the
    audit finds on it, remainders too), and whether it is proven: ``_suppress``'s loop with
    only those sets, whose supports are all necessary constraints. Cells: the audit checks
    each whatever is withheld, so any result it accepts closes them. ``first``: the sets found
    before suppression are small and derivable, so a result leaving one derivable leaks it
    even if the audit, whose remainders change with what is withheld, no longer names it."""
    tabulations = _tabulations(atoms, index)
    wanted: dict[tuple[int, ...], None] = {}
    constraints: set[frozenset[int]] = set()
    withheld = np.zeros(len(published), dtype=bool)
    best: int | None = 0
    rounds = 0
    while True:
        kept = np.flatnonzero(~withheld)
        residual = residuals(published[kept].astype(np.int64))
        findings = _findings(atoms, index, residual, min_size, tabulations)
        for f in findings:
            if f.cell or (first and rounds == 0):
                wanted.setdefault(tuple(f.atoms.tolist()), None)
        sets = np.zeros((len(wanted), len(index)), dtype=np.int64)
        for number, found in enumerate(wanted):
            sets[number, list(found)] = 1
        open_ = sets[_derivable_sets(residual, sets)] if len(wanted) else sets
        if not len(open_):
            return sum(cost[r] for r in np.flatnonzero(withheld)), best is not None
        for support in _supports(published[kept], open_):
            constraints.add(frozenset(int(kept[r]) for r in support))
        chosen, best = _cover(sorted(constraints, key=sorted), cost, best or 0, _NODES)
        withheld = np.isin(np.arange(len(published)), sorted(chosen))
        rounds += 1


def least(
    people: pd.DataFrame,
    subgroups: Subgroups,
    min_size: int,
    cost: np.ndarray,
    first: bool | None,
) -> tuple[int, bool]:
    """Summed over components: with ``first`` None, what ``_suppress`` withholds for ``cost``
    (a result the audit accepts), else :func:`bound`; and whether every optimum is proven."""
    atoms, holds, _, parts = components(people, subgroups)
    total = 0
    proven = True
    for index, rows in parts:
        matrix = holds[np.ix_(rows, index)]
        costs = [int(c) for c in cost[rows]]
        if first is None:
            chosen, exact = _suppress(
                atoms, index, matrix, min_size, _tabulations(atoms, index), costs
            )
            total += sum(costs[r] for r in np.flatnonzero(chosen))
        else:
            found, exact = bound(atoms, index, matrix, min_size, costs, first)
            total += found
        proven &= exact
    return total, proven


def after(people: pd.DataFrame, subgroups: Subgroups, withheld: np.ndarray, min_size: int) -> int:
    """Groups both audits find once ``withheld`` is withheld (0 is the guarantee)."""
    table = subgroups.table.assign(kept=subgroups.table["kept"].to_numpy(bool).copy())
    table.loc[table.index[withheld], "kept"] = False
    membership = np.where(np.isin(subgroups.membership, withheld), -1, subgroups.membership)
    left = replace(subgroups, table=table, membership=membership)
    cost = np.ones(len(table), dtype=np.int64)
    exact = control(people, left, min_size, cost, "none")
    old = recoverable_groups(table, subgroups.attributes, len(people), min_size)
    return len(exact.derivable) + len(old)


def still_open(
    people: pd.DataFrame, subgroups: Subgroups, withheld: np.ndarray, min_size: int
) -> int:
    """Sets the audit finds before suppression that are still derivable once ``withheld`` is
    withheld (the audit after may no longer name a remainder, whose definition moves)."""
    atoms, holds, _, parts = components(people, subgroups)
    count = 0
    for index, rows in parts:
        matrix = holds[np.ix_(rows, index)].astype(np.int64)
        residual = residuals(matrix)
        findings = _findings(atoms, index, residual, min_size, _tabulations(atoms, index))
        if not findings:
            continue
        sets = np.zeros((len(findings), len(index)), dtype=np.int64)
        for number, finding in enumerate(findings):
            sets[number, finding.atoms] = 1
        left = residuals(matrix[~np.isin(rows, withheld)])
        count += int(_derivable_sets(left, np.unique(sets, axis=0)).sum())
    return count


def case(frame: pd.DataFrame, config: BuildConfig) -> dict[str, Any]:
    """Every method on one wave's respondents, with the builder's costs."""
    items = list(load_catalogue(config.wave))
    people = harmonise(frame, config, items, weighted=True).table
    asked = [i for i in items if people[i.question_id].notna().any()]
    subgroups = find_subgroups(people, config)
    size = config.min_subgroup_size
    samples = samples_per_subgroup(people, subgroups, asked, config.min_valid_answers)
    cost = samples * (len(people) + 1) + subgroups.table["subgroup_size"].to_numpy(np.int64)
    kept = subgroups.table["kept"].to_numpy(bool)
    out: dict[str, Any] = {
        "subgroups_kept": int(kept.sum()),
        "samples": int(samples[kept].sum()),
    }
    start = time.perf_counter()
    result = control(people, subgroups, size, cost, "suppress")
    seconds = time.perf_counter() - start
    now = np.flatnonzero(subgroups.table["subgroup_id"].isin(result.withheld).to_numpy())
    start = time.perf_counter()
    old = greedy(people, subgroups, size, cost)
    greedy_seconds = time.perf_counter() - start
    for name, rows, elapsed in (("greedy", old, greedy_seconds), ("control", now, seconds)):
        out[name] = {
            "subgroups": len(rows),
            "samples": int(samples[rows].sum()),
            "after": after(people, subgroups, rows, size),
            "first_still_derivable": still_open(people, subgroups, rows, size),
            "seconds": elapsed,
        }
    ones = np.ones_like(cost)
    fewest, proven = least(people, subgroups, size, ones, None)
    out["fewest"] = {"subgroups": fewest, "proven": proven}
    for name, first in (("bound", False), ("bound_first", True)):
        count, count_proven = least(people, subgroups, size, ones, first)
        lost, lost_proven = least(people, subgroups, size, samples, first)
        out[name] = {"subgroups": count, "samples": lost, "proven": count_proven and lost_proven}
    return out


def unions(tables: int, limit: int = 14) -> dict[str, int]:
    """On the small random tables of ``bench_disclosure.py`` (the same seed and draws), every
    union of atoms enumerated: how many tables still publish a derivable union of 1 to 29
    respondents after each method (outside the audited family: withholding less leaves more
    such unions derivable), and the subgroups each withheld in all."""
    out = {"tables": 0, "greedy_leaky": 0, "control_leaky": 0, "greedy": 0, "control": 0}
    for frame, subgroups, config, atoms, cost, bits in tiny_tables(tables, limit):
        size = config.min_subgroup_size
        small = (bits @ atoms.sizes > 0) & (bits @ atoms.sizes < size)
        result = control(frame, subgroups, size, cost, "suppress")
        ids = subgroups.table["subgroup_id"]
        for method, rows in (
            ("greedy", greedy(frame, subgroups, size, cost)),
            ("control", np.flatnonzero(ids.isin(result.withheld).to_numpy())),
        ):
            kept = subgroups.table["kept"].to_numpy(bool).copy()
            kept[rows] = False
            membership = np.where(np.isin(subgroups.membership, rows), -1, subgroups.membership)
            holds = incidence(atoms, membership, len(kept))[kept]
            derivable = ~np.any(bits @ residuals(holds.astype(np.int64)) != 0, axis=1)
            out[f"{method}_leaky"] += bool(np.any(derivable & small))
            out[method] += len(rows)
        out["tables"] += 1
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=300)
    args = parser.parse_args()
    singapore = replace(resolve_config(None, None), disclosure_control="suppress")
    cases = {
        "SGP": case(synthetic_sample(), singapore),
        "SGP wave 6": case(synthetic_sample(seed=11), singapore),
    }
    for number, alpha in enumerate(COUNTRIES):
        cases[alpha] = case(relabelled(alpha, 1000 + number), resolve_config(None, alpha))
    for name, found in cases.items():
        total = found["samples"]
        line = [f"{name:<11} of {found['subgroups_kept']:3d} subgroups, {total:5d} samples:"]
        for method in ("greedy", "control"):
            m = found[method]
            line.append(
                f"{method} {m['subgroups']:2d} ({m['samples']:4d} = "
                f"{100 * m['samples'] / total:4.1f}%, after {m['after']}"
                f"/{m['first_still_derivable']})"
            )
        line.append(f"fewest {found['fewest']['subgroups']}")
        for name in ("bound", "bound_first"):
            b = found[name]
            line.append(
                f"{name} {b['subgroups']} ({b['samples']} = {100 * b['samples'] / total:.1f}%)"
                + ("" if b["proven"] else " not proven")
            )
        line.append(
            f"time {found['control']['seconds']:.2f} s vs {found['greedy']['seconds']:.2f} s"
        )
        print("  ".join(line))
    tiny = unions(args.tables)
    print(f"tiny tables: {tiny}")
    results = {"script": "benchmarks/bench_disclosure_optimal.py", "cases": cases, "tiny": tiny}
    write_results(RESULTS, results)


if __name__ == "__main__":
    main()
