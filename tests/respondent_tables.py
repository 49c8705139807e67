"""A hand-made respondent table in the Wave 7 release layout, with a build config for it.

Small enough to reason about by hand (84 respondents), built to show the cases the targets and
splits must handle:

- ``ethnicity=indian&religion=hindu`` (an OOD subgroup) holds exactly the people of
  ``religion=hindu`` (a training subgroup): a near-copy, Jaccard 1;
- ``ethnicity=chinese&religion=buddhist`` holds 24 of the 30 Buddhists: Jaccard 24/30 = 0.8;
- ``ethnicity=indian&religion=no_religion`` (10 people) shares 10 of its 34 people with
  ``religion=no_religion``: Jaccard 0.29;
- Q1 splits the men 50/50 between two options: a tied mode.

Answers to the other items are drawn from a seeded generator so the table has spread; tests read
the same table back with :func:`table` and recompute every expected value from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sgbench.catalogue import items_by_id

ITEMS = ("Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q27", "Q28", "Q29", "Q30", "Q31", "Q32", "Q46", "Q47")
CHINESE, INDIAN = 702004, 702003
NONE, HINDU, BUDDHIST = 0, 6, 7
GROUPS = (  # (ethnicity, religion, respondents)
    (INDIAN, HINDU, 20),
    (CHINESE, BUDDHIST, 24),
    (INDIAN, BUDDHIST, 6),
    (CHINESE, NONE, 24),
    (INDIAN, NONE, 10),
)


def table(seed: int = 11) -> pd.DataFrame:
    """The respondents, one row each, in release layout (weights vary)."""
    ethnicity = np.concatenate([[e] * n for e, _, n in GROUPS])
    religion = np.concatenate([[r] * n for _, r, n in GROUPS])
    n = len(ethnicity)
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "A_WAVE": 7,
            "A_YEAR": 2020,
            "B_COUNTRY": 702,
            "B_COUNTRY_ALPHA": "SGP",
            "W_WEIGHT": np.round(rng.uniform(0.5, 1.5, n), 3),
            "Q260": np.tile([1, 2], n // 2),
            "Q289": religion,
            "Q290": ethnicity,
        }
    )
    catalogue = items_by_id()
    for question_id in ITEMS:
        codes = np.asarray(catalogue[question_id].codes)
        # Subgroups lean towards different options, so modes differ between them.
        lean = (religion // 3 + ethnicity % 5) % len(codes)
        position = np.clip(lean + rng.integers(-1, 2, n), 0, len(codes) - 1)
        frame[question_id] = codes[position]
    # Q1 among men: half answer the first option, half the second (weights 1: an exact tie).
    men = np.flatnonzero(frame["Q260"] == 1)
    q1 = np.asarray(catalogue["Q1"].codes)
    frame.loc[men, "Q1"] = np.where(np.arange(len(men)) % 2 == 0, q1[0], q1[1])
    frame.loc[men, "W_WEIGHT"] = 1.0
    return frame


def config(**overrides: Any) -> dict[str, Any]:
    """A build config for :func:`table`: three attributes, OOD stratum ethnicity × religion."""
    raw: dict[str, Any] = {
        "name": "handmade",
        "wave": 7,
        "country": "SGP",
        "country_name": "Singapore",
        "weight": "W_WEIGHT",
        "min_subgroup_size": 8,
        "min_valid_answers": 8,
        "items": list(ITEMS),
        "attributes": {
            "sex": {"variable": "Q260", "values": {"Male": [1], "Female": [2]}},
            "ethnicity": {"variable": "Q290", "values": {"Chinese": [CHINESE], "Indian": [INDIAN]}},
            "religion": {
                "variable": "Q289",
                "values": {"No religion": [NONE], "Hindu": [HINDU], "Buddhist": [BUDDHIST]},
            },
        },
        "strata": [
            ["sex"],
            ["ethnicity"],
            ["religion"],
            ["sex", "religion"],
            ["ethnicity", "religion"],
        ],
        "ood_strata": [["ethnicity", "religion"]],
        "validation_fraction": 0.2,
        "test_id_fraction": 0.3,
        # The table's subgroups are chosen by hand for targets and overlaps; its small cells
        # would make the default disclosure control withhold some (tested in
        # test_disclosure_control), so it publishes every subgroup and only measures.
        "disclosure_control": "none",
    }
    raw.update(overrides)
    return raw


def write(folder: Path, **overrides: Any) -> tuple[Path, Path]:
    """Write :func:`table` as CSV and :func:`config` as YAML; returns (csv, config) paths."""
    folder.mkdir(parents=True, exist_ok=True)
    data, conf = folder / "handmade.csv", folder / "handmade.yaml"
    table().to_csv(data, index=False)
    conf.write_text(yaml.safe_dump(config(**overrides)), encoding="utf-8")
    return data, conf


def members(frame: pd.DataFrame, subgroup: dict[str, str | None]) -> set[int]:
    """Row numbers of the respondents in a subgroup (its ``subgroup`` struct)."""
    codes = {
        "sex": ("Q260", {"Male": 1, "Female": 2}),
        "ethnicity": ("Q290", {"Chinese": CHINESE, "Indian": INDIAN}),
        "religion": ("Q289", {"No religion": NONE, "Hindu": HINDU, "Buddhist": BUDDHIST}),
    }
    inside = np.ones(len(frame), dtype=bool)
    for name, value in subgroup.items():
        if value is not None:
            column, mapping = codes[name]
            inside &= frame[column].to_numpy() == mapping[value]
    return set(np.flatnonzero(inside).tolist())
