"""How a subgroup's persona sentence is made from its values' phrases: one definition, used by
the builder that writes each sample's ``persona`` and by the row rule that checks it against the
phrases the manifest records (``attributes.<name>.persona``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PersonaRole = Literal["noun", "adjective", "suffix", "place"]


@dataclass(frozen=True)
class PersonaPhrase:
    """How one attribute value reads in the persona sentence."""

    role: PersonaRole
    """``noun`` (the head: "woman"), ``adjective`` ("Malay"), ``suffix`` ("aged 25–34") or
    ``place`` (where the person lives, instead of the config's ``country_name``)."""
    phrase: str


def persona_sentence(phrases: list[PersonaPhrase], country_name: str) -> str:
    """One sentence describing a subgroup, e.g. "You are a Malay Muslim woman aged 25–34, …".

    Adjectives come before the noun (``person`` when no attribute gives one), suffixes after it,
    each in attribute order; a ``place`` phrase (the country attribute of a multi-country build)
    replaces ``country_name``.
    """
    places = [p.phrase for p in phrases if p.role == "place"]
    country_name = places[0] if places else country_name
    adjectives = [p.phrase for p in phrases if p.role == "adjective"]
    nouns = [p.phrase for p in phrases if p.role == "noun"] or ["person"]
    suffixes = [p.phrase for p in phrases if p.role == "suffix"]
    head = " ".join([*adjectives, *nouns])
    article = "an" if head[:1].lower() in set("aeiou") else "a"
    sentence = f"You are {article} {head}"
    if suffixes:
        sentence += " " + " ".join(suffixes) + ","
    return f"{sentence} living in {country_name}."
