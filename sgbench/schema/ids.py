"""How a sample's ids are formed from its subgroup's values: one definition, read by the builder
that writes them and by the readers that check them."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any


def slug(label: str) -> str:
    """A value label as it appears in ids: lower case, runs of other characters as ``_``."""
    return re.sub(r"[^a-z0-9+-]+", "_", label.lower()).strip("_")


def subgroup_id(values: Mapping[str, str]) -> str:
    """``{"age_group": "25-34", "religion": "Muslim"}`` → ``age_group=25-34&religion=muslim``."""
    return "&".join(f"{name}={slug(value)}" for name, value in values.items())


def stratum_name(attributes: Sequence[str]) -> str:
    """``("age_group", "religion")`` → ``"age_group_x_religion"``: a row's ``stratum``, from
    the attributes of its subgroup in the stratum's order (which its ``subgroup_id`` keeps)."""
    return "_x_".join(attributes)


def persona_as_read(persona: str) -> str:
    """A persona as a reader tells it from others: Unicode twins (``Café`` composed and
    decomposed, full-width letters), case and runs of spaces do not make two personas (two
    subgroups whose values were ``Café`` in NFC and in NFD had personas that look the same).
    The builder refuses two subgroups with one persona by it, and the row rule two subgroup ids
    with one persona."""
    return " ".join(unicodedata.normalize("NFKC", persona).casefold().split())


def names_subgroup(subgroup_id_text: str, values: Mapping[str, Any]) -> bool:
    """Whether ``subgroup_id_text`` is the id of the subgroup with ``values`` (a null value: the
    attribute is not part of the subgroup), its parts in any order.

    Samples are grouped and shown by their subgroup id but described by their values: a file
    whose two disagreed counted one subgroup under another's attribute value, with exit code 0.
    The one comparison for every reader that checks it (the dataset reader, judge reports).
    """
    present = {name: str(value) for name, value in values.items() if value is not None}
    return sorted(subgroup_id(present).split("&")) == sorted(subgroup_id_text.split("&"))


def id_suffix(wave: int, latest_wave: int) -> str:
    """What follows ``<question_id>/<subgroup_id>`` in the id of a sample of ``wave``, in a build
    whose latest wave is ``latest_wave``: nothing, or ``@w<wave>`` for an earlier wave (whose
    samples share question and subgroup ids with the latest wave's).

    The one definition: the builder writes ids by it, and the dataset's row rule checks each id
    is the one its row's question, subgroup and wave give (an id edited to ``@w3`` in a wave-7
    build passed ``validate``, and ``score`` matched predictions to it).
    """
    return "" if wave == latest_wave else f"@w{wave}"
