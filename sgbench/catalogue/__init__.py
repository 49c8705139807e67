"""The item catalogue: the survey questions a dataset is built from, in sgbench's own wording.

The catalogue is package data (``wvs7.json``) and the only place that says what an item asks,
which answer codes are substantive, and in which order they form the scale. Codes are the ones
the WVS data files store; ``options`` lists them in scale order, which need not be numeric order
(Q119 puts "Hard to say", code 0, in the middle). Codes in ``excluded`` and every negative code
are treated as missing answers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final, Literal

SECTIONS: Final[tuple[str, ...]] = (
    "Social Values, Norms, Stereotypes",
    "Happiness and Wellbeing",
    "Social Capital, Trust and Organizational Membership",
    "Economic Values",
    "Perceptions of Corruption",
    "Perceptions of Migration",
    "Perceptions of Security",
    "Perceptions about Science and Technology",
    "Religious Values",
    "Ethical Values",
    "Political Interest and Political Participation",
    "Political Culture and Political Regimes",
)
"""The 12 thematic sections of the WVS Wave 7 questionnaire, in questionnaire order."""

ScaleType = Literal["ordinal", "nominal", "binary"]


@dataclass(frozen=True)
class Option:
    """One substantive answer of an item."""

    code: int
    """The integer stored in the WVS data file."""
    label: str
    """Short answer text."""


@dataclass(frozen=True)
class Item:
    """One value question of the catalogue."""

    question_id: str
    """WVS variable name, e.g. ``Q27``."""
    section: str
    """One of :data:`SECTIONS`."""
    question: str
    """Self-contained question text (sgbench's wording)."""
    scale_type: ScaleType
    """``ordinal`` (ordered scale), ``binary`` (two options) or ``nominal`` (unordered)."""
    options: tuple[Option, ...]
    """Substantive answers in scale order."""
    excluded: tuple[Option, ...] = ()
    """Non-negative codes that are not substantive answers; read as missing."""

    @property
    def codes(self) -> tuple[int, ...]:
        """Option codes in scale order."""
        return tuple(option.code for option in self.options)


@cache
def load_catalogue(wave: int = 7) -> tuple[Item, ...]:
    """The catalogue of one wave's value items, in questionnaire order.

    Raises:
        ValueError: no catalogue exists for ``wave``.
    """
    if wave != 7:
        raise ValueError(f"no item catalogue for wave {wave}; available: [7]")
    text = resources.files(__package__).joinpath(f"wvs{wave}.json").read_text(encoding="utf-8")
    raw = json.loads(text)
    return tuple(
        Item(
            question_id=entry["question_id"],
            section=entry["section"],
            question=entry["question"],
            scale_type=entry["scale_type"],
            options=tuple(Option(**option) for option in entry["options"]),
            excluded=tuple(Option(**option) for option in entry.get("excluded", ())),
        )
        for entry in raw["items"]
    )


def items_by_id(wave: int = 7) -> dict[str, Item]:
    """The catalogue keyed by ``question_id``."""
    return {item.question_id: item for item in load_catalogue(wave)}
