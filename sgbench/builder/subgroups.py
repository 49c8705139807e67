"""Subgroups: every combination of attribute values within each stratum, with its respondents.

A stratum is a set of attributes (``("age_group", "religion")``); its subgroups are the value
combinations that occur (``25-34 × Muslim``). A subgroup is kept when it has at least
``min_subgroup_size`` respondents.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sgbench.builder.config import BuildConfig, stratum_name
from sgbench.errors import ConfigError
from sgbench.schema.ids import persona_as_read
from sgbench.schema.ids import subgroup_id as subgroup_id
from sgbench.schema.persona import persona_sentence as persona_sentence


@dataclass(frozen=True)
class Subgroups:
    """All subgroups found, and which respondents belong to the kept ones."""

    table: pd.DataFrame
    """One row per subgroup: ``subgroup_id``, ``stratum``, one column per attribute (value label
    or None), ``subgroup_size``, ``persona``, ``kept``; in stratum order, then value order."""
    attributes: tuple[str, ...]
    """The attribute columns of ``table``, in config order."""
    membership: np.ndarray
    """Shape (strata, respondents): the ``table`` row of the kept subgroup each respondent
    belongs to in each stratum, or -1 (outside every kept subgroup of that stratum)."""


def find_subgroups(respondents: pd.DataFrame, config: BuildConfig) -> Subgroups:
    """Enumerate the subgroups of every stratum and their members.

    Respondents whose value is missing for one of a stratum's attributes belong to no subgroup
    of that stratum. Subgroups are numbered by their attributes' category codes, so the table is
    in value order within each stratum without sorting strings.
    """
    rows: list[pd.DataFrame] = []
    membership = np.full((len(config.strata), len(respondents)), -1, dtype=np.int64)
    offset = 0
    for index, stratum in enumerate(config.strata):
        codes = [respondents[name].cat.codes.to_numpy(np.int64) for name in stratum]
        shape = tuple(len(respondents[name].cat.categories) for name in stratum)
        inside = np.all([c >= 0 for c in codes], axis=0)
        cell = np.full(len(respondents), -1, dtype=np.int64)
        cell[inside] = np.ravel_multi_index([c[inside] for c in codes], shape)
        sizes = np.bincount(cell[inside], minlength=int(np.prod(shape)))
        present = np.flatnonzero(sizes)
        labels = np.unravel_index(present, shape)
        values = [
            {
                name: str(respondents[name].cat.categories[label[i]])
                for name, label in zip(stratum, labels, strict=True)
            }
            for i in range(len(present))
        ]
        found = pd.DataFrame(
            {
                "subgroup_id": [subgroup_id(v) for v in values],
                "stratum": stratum_name(stratum),
                **{
                    name: [v[name] for v in values] if name in stratum else None
                    for name in config.attributes
                },
                "subgroup_size": sizes[present].astype(np.int64),
                "persona": [
                    persona_sentence(
                        [config.attributes[name].persona[value] for name, value in v.items()],
                        config.country_name,
                    )
                    for v in values
                ],
            }
        )
        found["kept"] = found["subgroup_size"] >= config.min_subgroup_size
        # Respondent → table row of their (kept) subgroup in this stratum.
        row_of_cell = np.full(sizes.size, -1, dtype=np.int64)
        row_of_cell[present] = np.where(found["kept"], offset + np.arange(len(present)), -1)
        membership[index, inside] = row_of_cell[cell[inside]]
        offset += len(found)
        rows.append(found)
    table = pd.concat(rows, ignore_index=True)
    for name in config.attributes:
        table[name] = table[name].astype(object)
    _check_personas_apart(table, config)
    return Subgroups(table=table, attributes=tuple(config.attributes), membership=membership)


def _check_personas_apart(table: pd.DataFrame, config: BuildConfig) -> None:
    """Refuse two kept subgroups with one persona: their prompts are identical while their
    targets differ, so no model could tell them apart. ``{Male: woman, Female: woman}``, or a
    second attribute with the first one's phrases, built such a dataset with exit code 0.

    Raises:
        ConfigError: naming the config, both subgroups and the persona.
    """
    kept = table.loc[table["kept"], ["subgroup_id", "persona"]]
    seen = kept["persona"].map(persona_as_read)
    twice = kept[seen.duplicated(keep=False)]
    if not twice.empty:
        persona = twice["persona"].iloc[0]
        first, second = twice.loc[
            seen[twice.index] == persona_as_read(persona), "subgroup_id"
        ].iloc[:2]
        raise ConfigError(
            f"{config.source}: subgroups {first} and {second} have one persona ({persona!r}), "
            "so their prompts could not be told apart; give their values different persona "
            "phrases ($.attributes.<name>.persona.phrases)"
        )
