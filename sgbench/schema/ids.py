"""How a sample's ids are formed from its subgroup's values: one definition, read by the builder
that writes them and by the readers that check them."""

from __future__ import annotations

import re
from collections.abc import Mapping


def slug(label: str) -> str:
    """A value label as it appears in ids: lower case, runs of other characters as ``_``."""
    return re.sub(r"[^a-z0-9+-]+", "_", label.lower()).strip("_")


def subgroup_id(values: Mapping[str, str]) -> str:
    """``{"age_group": "25-34", "religion": "Muslim"}`` → ``age_group=25-34&religion=muslim``."""
    return "&".join(f"{name}={slug(value)}" for name, value in values.items())
