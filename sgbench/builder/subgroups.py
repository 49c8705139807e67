"""Subgroups: every combination of attribute values within each stratum, with its respondents.

A stratum is a set of attributes (``("age_group", "religion")``); its subgroups are the value
combinations that occur (``25-34 × Muslim``). A subgroup is kept when it has at least
``min_subgroup_size`` respondents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sgbench.builder.config import BuildConfig, PersonaPhrase, stratum_name


@dataclass(frozen=True)
class Subgroups:
    """All subgroups found, and which respondents belong to the kept ones."""

    table: pd.DataFrame
    """One row per subgroup: ``subgroup_id``, ``stratum``, one column per attribute (value label
    or None), ``subgroup_size``, ``persona``, ``kept``; in stratum order, then value order."""
    memberships: pd.DataFrame
    """``respondent``, ``subgroup_id`` for every kept subgroup."""


def slug(label: str) -> str:
    """A value label as it appears in ids: lower case, runs of other characters as ``_``."""
    return re.sub(r"[^a-z0-9+-]+", "_", label.lower()).strip("_")


def subgroup_id(values: dict[str, str]) -> str:
    """``{"age_group": "25-34", "religion": "Muslim"}`` → ``age_group=25-34&religion=muslim``."""
    return "&".join(f"{name}={slug(value)}" for name, value in values.items())


def persona_sentence(phrases: list[PersonaPhrase], country_name: str) -> str:
    """One sentence describing a subgroup, e.g. "You are a Malay Muslim woman aged 25–34, …".

    Adjectives come before the noun (``person`` when no attribute gives one), suffixes after it,
    each in attribute order.
    """
    adjectives = [p.phrase for p in phrases if p.role == "adjective"]
    nouns = [p.phrase for p in phrases if p.role == "noun"] or ["person"]
    suffixes = [p.phrase for p in phrases if p.role == "suffix"]
    head = " ".join([*adjectives, *nouns])
    article = "an" if head[:1].lower() in set("aeiou") else "a"
    sentence = f"You are {article} {head}"
    if suffixes:
        sentence += " " + " ".join(suffixes) + ","
    return f"{sentence} living in {country_name}."


def find_subgroups(respondents: pd.DataFrame, config: BuildConfig) -> Subgroups:
    """Enumerate the subgroups of every stratum and their members.

    Respondents whose value is missing for one of a stratum's attributes belong to no subgroup
    of that stratum.
    """
    rows: list[pd.DataFrame] = []
    members: list[pd.DataFrame] = []
    for stratum in config.strata:
        grouped = respondents.groupby(list(stratum), observed=True, sort=True, dropna=True)
        sizes = grouped.size().rename("subgroup_size").reset_index()
        value_dicts = [
            dict(zip(stratum, row, strict=True))
            for row in sizes[list(stratum)].astype(str).itertuples(index=False, name=None)
        ]
        sizes["subgroup_id"] = [subgroup_id(values) for values in value_dicts]
        sizes["stratum"] = stratum_name(stratum)
        sizes["persona"] = [
            persona_sentence(
                [config.attributes[name].persona[value] for name, value in values.items()],
                config.country_name,
            )
            for values in value_dicts
        ]
        sizes["kept"] = sizes["subgroup_size"] >= config.min_subgroup_size
        # ngroup numbers groups in the same sorted order as size(); rows outside are NaN or -1.
        group_of = grouped.ngroup().to_numpy(dtype="float64", na_value=np.nan)
        inside = np.isfinite(group_of) & (group_of >= 0)
        member_ids = (
            sizes["subgroup_id"].where(sizes["kept"]).to_numpy()[group_of[inside].astype(np.int64)]
        )
        stratum_members = pd.DataFrame(
            {"respondent": respondents.index.to_numpy()[inside], "subgroup_id": member_ids}
        )
        members.append(stratum_members.dropna())
        for name in config.attributes:
            if name not in stratum:
                sizes[name] = None
            else:
                sizes[name] = sizes[name].astype(object)
        rows.append(sizes)
    table = pd.concat(rows, ignore_index=True)
    columns = ["subgroup_id", "stratum", *config.attributes, "subgroup_size", "persona", "kept"]
    table = table[columns]
    table["subgroup_size"] = table["subgroup_size"].astype(np.int64)
    memberships = pd.concat(members, ignore_index=True)
    return Subgroups(table=table, memberships=memberships)
