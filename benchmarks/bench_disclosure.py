"""Disclosure control on SYNTHETIC data: what suppression withholds, what it costs, what is left.

Cases, each run through the builder's own steps (harmonise, subgroups, the samples each would
publish, :func:`sgbench.builder.disclosure.control`):

- ``SGP``: the embedded default's respondents with the Singapore config, measured with
  ``disclosure_control: none`` (the paper's set, as built) and ``suppress``;
- ``SGP wave 6``: a second synthetic Singapore sample (seed 11), as the earlier wave of the
  test suite's ``temporal`` build (each wave's respondents are controlled on their own);
- other countries: synthetic samples (seeds 1000+) relabelled as each country and built with
  its shipped config (the generic one, where ``suppress`` is the default).

For each: subgroups kept and withheld, samples lost (count and share), the exact audit before and
after, :func:`~sgbench.builder.disclosure.recoverable_groups` after, and the time of the control
step (median of runs). Then the time of the whole default build with each setting (median of
runs, in this process; on a shared machine this is noisier than the step itself). Last,
completeness: on small random tables (three attributes, every pair a stratum) whose every union
of atoms can be enumerated, how many still have a derivable union of fewer than 30 respondents
after suppression, outside the audited family.

Writes ``benchmarks/results/bench_disclosure.json``, which ``docs/generate.py`` quotes.
Usage::

    python benchmarks/bench_disclosure.py [--runs 5] [--tables 300]
"""

from __future__ import annotations

import argparse
import copy
import itertools
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import yaml
from shared import results_path, write_results

from sgbench.builder import build_dataset
from sgbench.builder.aggregate import samples_per_subgroup
from sgbench.builder.config import BuildConfig, parse_config, resolve_config
from sgbench.builder.disclosure import (
    Atoms,
    atoms_of,
    control,
    incidence,
    recoverable_groups,
    residuals,
)
from sgbench.builder.harmonise import harmonise
from sgbench.builder.subgroups import Subgroups, find_subgroups
from sgbench.builder.synthetic import N_RESPONDENTS, synthetic_sample
from sgbench.catalogue import load_catalogue, load_countries

RESULTS = results_path(__file__)
CONFIGS = Path(__file__).resolve().parent.parent / "sgbench" / "builder" / "configs"
COUNTRIES = ("DEU", "BRA", "JPN", "NGA", "MYS")


def measure(frame: pd.DataFrame, config: BuildConfig, runs: int) -> dict[str, Any]:
    """One case: the control step as the builder runs it, with ``none`` and ``suppress``."""
    items = list(load_catalogue(config.wave))
    people = harmonise(frame, config, items, weighted=True).table
    asked = [i for i in items if people[i.question_id].notna().any()]
    subgroups = find_subgroups(people, config)
    audit = []
    for _ in range(runs):
        # What every build now adds when it only measures (`none`, the Singapore config).
        start = time.perf_counter()
        samples = samples_per_subgroup(people, subgroups, asked, config.min_valid_answers)
        cost = samples * (len(people) + 1) + subgroups.table["subgroup_size"].to_numpy(np.int64)
        before = control(people, subgroups, config.min_subgroup_size, cost, "none")
        audit.append(time.perf_counter() - start)
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        after = control(people, subgroups, config.min_subgroup_size, cost, "suppress")
        seconds.append(time.perf_counter() - start)
    withheld = subgroups.table["subgroup_id"].isin(after.withheld).to_numpy()
    kept = subgroups.table["kept"].to_numpy()
    old = recoverable_groups(
        after.subgroups.table, subgroups.attributes, len(people), config.min_subgroup_size
    )
    again = control(people, after.subgroups, config.min_subgroup_size, cost, "none")
    old_before = recoverable_groups(
        subgroups.table, subgroups.attributes, len(people), config.min_subgroup_size
    )
    return {
        "respondents": len(people),
        "atoms": len(atoms_of(people, subgroups.attributes).sizes),
        "subgroups_kept": int(kept.sum()),
        "withheld_subgroups": int(withheld.sum()),
        "samples": int(samples[kept].sum()),
        "withheld_samples": int(samples[withheld].sum()),
        "withheld_share": float(samples[withheld].sum() / samples[kept].sum()),
        "before": {
            "recoverable_groups": len(old_before),
            "derivable_groups": len(before.derivable),
            "derivable_smallest": int(before.derivable["size"].min())
            if len(before.derivable)
            else None,
        },
        "after": {"recoverable_groups": len(old), "derivable_groups": len(again.derivable)},
        "control_median_s": statistics.median(seconds),
        "audit_median_s": statistics.median(audit),
    }


def relabelled(alpha: str, seed: int) -> pd.DataFrame:
    frame = synthetic_sample(seed=seed, n=N_RESPONDENTS)
    frame["B_COUNTRY"] = load_countries()[alpha].numeric
    frame["B_COUNTRY_ALPHA"] = alpha
    return frame


def build_times(runs: int) -> dict[str, float]:
    """The whole default build (embedded sample), with the shipped ``none`` and with
    ``suppress`` (the same config otherwise), median seconds of ``runs`` in this process, also
    printed."""
    raw = yaml.safe_load((CONFIGS / "singapore.yaml").read_text(encoding="utf-8"))
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="sgbench-bench-") as tmp:
        for method in ("none", "suppress"):
            path = Path(tmp) / f"{method}.yaml"
            path.write_text(yaml.safe_dump({**raw, "disclosure_control": method}), "utf-8")
            seconds = []
            for run in range(runs):
                start = time.perf_counter()
                build_dataset(out_dir=Path(tmp) / f"{method}{run}", config_path=path)
                seconds.append(time.perf_counter() - start)
            out[f"{method}_median_s"] = statistics.median(seconds)
    print(
        f"default build: none {out['none_median_s']:.2f} s, suppress "
        f"{out['suppress_median_s']:.2f} s (medians of {runs})"
    )
    return out


def tiny_table(rng: np.random.Generator) -> tuple[pd.DataFrame, Subgroups, BuildConfig]:
    """A random table of 60 to 219 respondents over three two-valued attributes (a few values
    missing), every attribute and every pair of them a stratum, and its subgroups."""
    values = {"x": ["a", "b"], "y": ["c", "d"], "z": ["f", "g"]}
    strata = [["x"], ["y"], ["z"], ["x", "y"], ["x", "z"], ["y", "z"]]
    raw = {
        "name": "t",
        "wave": 7,
        "country": "SGP",
        "attributes": {
            name: {"variable": f"V{i}", "values": {v: [j] for j, v in enumerate(labels)}}
            for i, (name, labels) in enumerate(values.items())
        },
        "strata": strata,
        "ood_strata": [strata[-1]],
    }
    config = parse_config(copy.deepcopy(raw), "tiny")
    n = int(rng.integers(60, 220))
    frame = pd.DataFrame(
        {
            name: pd.Categorical(
                [
                    None
                    if rng.random() < 0.03
                    else labels[min(int(rng.exponential(0.8)), len(labels) - 1)]
                    for _ in range(n)
                ],
                categories=labels,
            )
            for name, labels in values.items()
        }
    )
    return frame, find_subgroups(frame, config), config


class TinyTable(NamedTuple):
    """One of :func:`tiny_tables`: the table, its subgroups and config, its atoms, each
    subgroup's size as the cost of withholding it, and every union of its atoms (``bits``: a row a
    union, a column an atom, 1 where the atom is in the union)."""

    frame: pd.DataFrame
    subgroups: Subgroups
    config: BuildConfig
    atoms: Atoms
    cost: np.ndarray
    bits: np.ndarray


def tiny_tables(tables: int, limit: int = 14) -> Iterator[TinyTable]:
    """The first ``tables`` tables of :func:`tiny_table` (seed 2026) with at most ``limit`` atoms,
    few enough that every union of atoms can be enumerated; the others are drawn and passed over,
    so every script that asks for ``tables`` gets the same ones."""
    rng = np.random.default_rng(2026)
    made = 0
    while made < tables:
        frame, subgroups, config = tiny_table(rng)
        atoms = atoms_of(frame, tuple(frame.columns))
        if len(atoms.sizes) > limit:
            continue
        cost = subgroups.table["subgroup_size"].to_numpy(np.int64)
        bits = np.array(list(itertools.product([0, 1], repeat=len(atoms.sizes))), np.int64)
        yield TinyTable(frame, subgroups, config, atoms, cost, bits)
        made += 1


def completeness(tables: int, limit: int = 14) -> dict[str, int]:
    """After suppression, every union of atoms of tiny tables, enumerated: how many tables still
    publish a derivable union of 1 to 29 respondents (outside the audited family). Unions are
    decided by :func:`~sgbench.builder.disclosure.residuals`, which the tests check against the
    rational rank test on every subset."""
    out = {"tables": 0, "suppressed": 0, "leaky_after": 0, "leaky_before": 0}
    for frame, subgroups, config, atoms, cost, bits in tiny_tables(tables, limit):
        sizes = bits @ atoms.sizes
        for method in ("none", "suppress"):
            result = control(frame, subgroups, config.min_subgroup_size, cost, method)
            kept = result.subgroups.table["kept"].to_numpy()
            rows = incidence(atoms, result.subgroups.membership, len(kept))[kept]
            derivable = ~np.any(bits @ residuals(rows.astype(np.int64)) != 0, axis=1)
            leaky = bool(np.any(derivable & (sizes > 0) & (sizes < config.min_subgroup_size)))
            if method == "none":
                out["leaky_before"] += leaky
            else:
                out["suppressed"] += bool(result.withheld)
                out["leaky_after"] += leaky
        out["tables"] += 1
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tables", type=int, default=300)
    args = parser.parse_args()
    singapore = resolve_config(None, None)
    cases: dict[str, dict[str, Any]] = {
        "SGP": measure(
            synthetic_sample(), replace(singapore, disclosure_control="suppress"), args.runs
        ),
        "SGP wave 6": measure(
            synthetic_sample(seed=11), replace(singapore, disclosure_control="suppress"), args.runs
        ),
    }
    for index, alpha in enumerate(COUNTRIES):
        config = resolve_config(None, alpha)
        cases[alpha] = measure(relabelled(alpha, 1000 + index), config, args.runs)
    for name, case in cases.items():
        print(
            f"{name:<11} kept {case['subgroups_kept']:4d}  withheld {case['withheld_subgroups']:3d}"
            f"  samples lost {case['withheld_samples']:6d} ({100 * case['withheld_share']:.1f}%)"
            f"  derivable before {case['before']['derivable_groups']:3d}"
            f" (recoverable {case['before']['recoverable_groups']:3d})"
            f"  after {case['after']['derivable_groups']} / {case['after']['recoverable_groups']}"
            f"  control {case['control_median_s']:.2f} s, audit {case['audit_median_s']:.2f} s"
        )
    builds = build_times(args.runs)
    tiny = completeness(args.tables)
    print(f"tiny tables: {tiny}")
    results = {
        "script": "benchmarks/bench_disclosure.py",
        "runs": args.runs,
        "load_average": os.getloadavg()[0],
        "cases": cases,
        "default_build": builds,
        "completeness": tiny,
    }
    write_results(RESULTS, results)


if __name__ == "__main__":
    main()
