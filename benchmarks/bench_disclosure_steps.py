"""Time the builder's two disclosure steps, and the whole build, on SYNTHETIC data.

Every build runs both: :func:`sgbench.builder.disclosure.control` (the exact audit, and with
``suppress`` the suppression) in each wave, and
:func:`~sgbench.builder.disclosure.recoverable_groups` (the one-attribute subtractions the
manifest counts) on what each wave publishes. Cases:

- ``SGP``: the embedded default's respondents with the Singapore config (``none``, as shipped)
  and with ``suppress``;
- ``DEU``: a synthetic sample (seed 1000) relabelled as Germany, with the generic config
  (``suppress``, the default of every config but Singapore's).

For each: the median of ``--runs`` calls of each step, and of the whole build from the embedded
sample (SGP only: the build reads the embedded file). A test suite that builds with custom
configs pays these once per build; the medians say what that costs. Prints the medians and
writes ``benchmarks/results/bench_disclosure_steps.json`` (no document quotes it).

Usage::

    python benchmarks/bench_disclosure_steps.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from bench_disclosure import build_times
from shared import median_seconds, results_path, write_results

from sgbench.builder.aggregate import samples_per_subgroup
from sgbench.builder.config import BuildConfig, resolve_config
from sgbench.builder.disclosure import control, recoverable_groups
from sgbench.builder.harmonise import harmonise
from sgbench.builder.subgroups import find_subgroups
from sgbench.builder.synthetic import N_RESPONDENTS, synthetic_sample
from sgbench.catalogue import load_catalogue, load_countries

RESULTS = results_path(__file__)
CONFIGS = Path(__file__).resolve().parent.parent / "sgbench" / "builder" / "configs"


def steps(frame: pd.DataFrame, config: BuildConfig, runs: int) -> dict[str, Any]:
    """The two disclosure steps as the builder runs them on one wave's respondents."""
    items = list(load_catalogue(config.wave))
    people = harmonise(frame, config, items, weighted=True).table
    asked = [i for i in items if people[i.question_id].notna().any()]
    subgroups = find_subgroups(people, config)
    samples = samples_per_subgroup(people, subgroups, asked, config.min_valid_answers)
    cost = samples * (len(people) + 1) + subgroups.table["subgroup_size"].to_numpy(np.int64)
    size = config.min_subgroup_size
    published = control(people, subgroups, size, cost, config.disclosure_control).subgroups

    def recoverable() -> pd.DataFrame:
        return recoverable_groups(published.table, published.attributes, len(people), size)

    return {
        "respondents": len(people),
        "subgroups": len(subgroups.table),
        "disclosure_control": config.disclosure_control,
        "recoverable_groups": len(recoverable()),
        "recoverable_median_s": median_seconds(recoverable, runs),
        "audit_median_s": median_seconds(
            lambda: control(people, subgroups, size, cost, "none"), runs
        ),
        "suppress_median_s": median_seconds(
            lambda: control(people, subgroups, size, cost, "suppress"), runs
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    singapore = resolve_config(None, None)
    germany = synthetic_sample(seed=1000, n=N_RESPONDENTS)
    germany["B_COUNTRY"] = load_countries()["DEU"].numeric
    germany["B_COUNTRY_ALPHA"] = "DEU"
    cases = {
        "SGP none": steps(synthetic_sample(), singapore, args.runs),
        "SGP suppress": steps(
            synthetic_sample(), replace(singapore, disclosure_control="suppress"), args.runs
        ),
        "DEU": steps(germany, resolve_config(None, "DEU"), args.runs),
    }
    for name, case in cases.items():
        print(
            f"{name:<13} subgroups {case['subgroups']:4d}  recoverable_groups "
            f"{case['recoverable_median_s']:.3f} s  audit {case['audit_median_s']:.3f} s  "
            f"suppress {case['suppress_median_s']:.3f} s  (medians of {args.runs})"
        )
    builds = build_times(args.runs)
    results = {
        "script": "benchmarks/bench_disclosure_steps.py",
        "runs": args.runs,
        "load_average": os.getloadavg()[0],
        "cases": cases,
        "default_build": builds,
    }
    write_results(RESULTS, results)


if __name__ == "__main__":
    main()
