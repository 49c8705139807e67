"""How a subgroup's persona sentence is made from its values' phrases: one definition, used by
the builder that writes each sample's ``persona`` and by the row rule that checks it against the
phrases the manifest records (``attributes.<name>.persona``)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final, Literal

from sgbench.errors import LOOKALIKES, first_unseen

MAX_TEXT: Final = 200
"""Longest key or text value of a build config (the shipped ones are under 40 characters), and
so of a persona phrase or country name a manifest records. Persona phrases, labels and the
country name are repeated in every sample: a 1 MB persona phrase overflowed pyarrow's string
column (a traceback, exit 1) and a 1 MB country name asked for a 9 GB allocation."""


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be a key or text value of a build config (None when it can): longer
    than :data:`MAX_TEXT`, or holding a character that is not printable (a newline, an escape, a
    bidirectional control; :func:`sgbench.errors.first_unseen`). Such text would reach every
    persona, prompt and card built from it, where a newline splits a sentence and U+202E shows
    text reversed. The one rule for the config loader and for the texts a manifest records from
    a config (:func:`sgbench.dataset.recorded_text_problems`)."""
    if len(text) > MAX_TEXT:
        return (
            f"{len(text):,} characters; a key or text of a config is at most {MAX_TEXT:,} (it is "
            "repeated in every sample's persona or prompt)"
        )
    unseen = first_unseen(text)
    if unseen is not None:
        # Named by code point: a blank that prints (U+2800) shows as nothing in the repr.
        return (
            f"{text!r} holds a control or bidirectional character or another that does not "
            f"print (U+{ord(text[unseen]):04X} at character {unseen + 1}); write plain text"
        )
    return None


def phrase_problem(text: str) -> str | None:
    """Why ``text`` cannot be a persona phrase or country name (None when it can): blank, or
    spaces around it. `" "` passed the config schema's non-empty rule and gave "You are a   living
    in Singapore." with exit code 0. Judged after :func:`text_problem` (which bounds its repr)."""
    if not text.strip() or text != text.strip():
        return f"{text!r} is blank or has spaces around it"
    return posing_letter_problem(text)


_WORD: Final = re.compile(r"[^\W\d_]+")
"""A word: a run of letters (a hyphen or a space parts two)."""


def _latin(letter: str) -> bool:
    return unicodedata.name(letter, "").startswith("LATIN ")


def posing_letter_problem(text: str) -> str | None:
    """Why ``text`` (a persona phrase or country name) holds a letter posing as a Latin one, or
    None: a word with Latin letters and a letter of another script drawn as a Latin one
    (:data:`sgbench.errors.LOOKALIKES`), as Cyrillic 'а' in 'mаn'. Such a phrase reads as the
    Latin word and is another string, so two values' personas that read alike differ. A word
    wholly in another script ('мужчина') is text of that script and passes, as does a Latin
    letter that is a lookalike itself (Turkish 'ı' in 'Kadın'); words are compared after NFKC,
    so fullwidth or mathematical Latin letters are Latin ones."""
    for word in _WORD.findall(unicodedata.normalize("NFKC", text)):
        if not any(_latin(letter) for letter in word):
            continue
        posing = next(
            (letter for letter in word if ord(letter) in LOOKALIKES and not _latin(letter)), None
        )
        if posing is not None:
            return (
                f"{text!r} mixes Latin letters with one of another script drawn as a Latin one "
                f"({unicodedata.name(posing)}, U+{ord(posing):04X}, in {word!r}); write each "
                "word in one script"
            )
    return None


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
