"""The item catalogue: the survey questions a dataset is built from, in sgbench's own wording.

The catalogue is package data (``wvs7.json``) and the only place that says what an item asks,
which answer codes are substantive, and in which order they form the scale. Codes are the ones
the WVS data files store; ``options`` lists them in scale order, which need not be numeric order
(Q119 puts "Hard to say", code 0, in the middle). Options marked ``off_scale`` are substantive
answers that are not points of the scale. Codes in ``excluded`` and every negative code are
treated as missing answers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Final, Literal, TypeVar

from sgbench.boundary import public
from sgbench.errors import InputError, read_as

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
    off_scale: bool = False
    """Not a point of the item's ordinal scale although listed among its options: Q119's and
    Q122–Q129's "hard to say", Q241–Q249's spontaneous "it is against democracy" (0). Metrics
    that use scale distances treat such options nominally (:mod:`sgbench.scoring.metrics`)."""


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


K = TypeVar("K")
V = TypeVar("V")


def _frozen(mapping: dict[K, V]) -> Mapping[K, V]:
    """A read-only view of ``mapping``: what the catalogue's loaders give is cached for the
    process, so a caller's ``load_countries().pop("SGP")`` would otherwise have changed every
    later build's countries."""
    return MappingProxyType(mapping)


CATALOGUE_WAVES: Final[tuple[int, ...]] = (7,)
"""The waves this package has an item catalogue for (``wvs<wave>.json``); a build's earlier
waves' answers are recoded to its latest wave's codes (the crosswalk)."""


def catalogue_name(wave: int) -> str:
    """The name a manifest records for the catalogue of ``wave`` (``items.catalogue``)."""
    return f"wvs{wave}"


@public
@cache
def load_catalogue(wave: int = 7) -> tuple[Item, ...]:
    """The catalogue of one wave's value items, in questionnaire order.

    Raises:
        InputError: no catalogue exists for ``wave``.
    """
    if wave not in CATALOGUE_WAVES:
        raise InputError(
            f"wave {wave}: no item catalogue for it; available: {list(CATALOGUE_WAVES)}"
        )
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


@public
def items_by_id(wave: int = 7) -> dict[str, Item]:
    """The catalogue keyed by ``question_id``."""
    return {item.question_id: item for item in load_catalogue(wave)}


def fingerprint(items: Sequence[Item]) -> str:
    """The manifest's ``items.catalogue_sha256``: a sha256 of the requested items' ids and codes,
    in catalogue order (changes when the catalogue's questions or codes do). The builder records
    it and the dataset's row rule recomputes it."""
    return hashlib.sha256(
        "\n".join(f"{i.question_id}:{i.codes}" for i in items).encode()
    ).hexdigest()


def option_fields(option: Option) -> dict[str, object]:
    """One option as a sample row holds it (``{code, label, off_scale}``)."""
    return {"code": option.code, "label": option.label, "off_scale": option.off_scale}


def question_fields(item: Item) -> dict[str, object]:
    """The question fields of every sample row of ``item`` (``question``, ``section``,
    ``scale_type``, ``options``): the one derivation, which the builder writes and the row rule
    compares rows with. The same for every wave of a build (earlier waves' answers are recoded to
    this catalogue's codes)."""
    return {
        "question": item.question,
        "section": item.section,
        "scale_type": item.scale_type,
        "options": [option_fields(option) for option in item.options],
    }


@dataclass(frozen=True)
class Equivalent:
    """An item's variable in another release layout, and how its codes map to Wave 7 codes."""

    variable: str
    codes: Mapping[int, int | None] | None = None
    """Other layout's code → Wave 7 option code (None: no equivalent, read as missing);
    None when the codes mean the same in both."""


@public
@cache
def load_crosswalk() -> Mapping[str, Mapping[str, Equivalent]]:
    """``{layout: {question_id: Equivalent}}`` for the ``wvs6`` and ``timeseries`` layouts.

    Items a layout lacks are absent from its mapping. The crosswalk is hand-written, checked
    against the official WVS Time Series list of equivalences (v3.1) and the Wave 6 codebook.
    Read-only, as every mapping the catalogue gives (:func:`_frozen`).
    """
    text = resources.files(__package__).joinpath("crosswalk.json").read_text(encoding="utf-8")
    raw = json.loads(text)["items"]
    layouts: dict[str, dict[str, Equivalent]] = {"wvs6": {}, "timeseries": {}}
    for question_id, entry in raw.items():
        for layout in layouts:
            variable = entry.get(layout)
            if variable is None:
                continue
            codes = entry.get(f"{layout}_codes")
            layouts[layout][question_id] = Equivalent(
                variable=variable,
                codes=None if codes is None else _frozen({int(k): v for k, v in codes.items()}),
            )
    return _frozen({layout: _frozen(items) for layout, items in layouts.items()})


ALL_COUNTRIES: Final = "ALL"
"""The ``--country`` value that builds every country of a file."""


@dataclass(frozen=True)
class Country:
    """A country or territory of the WVS Wave 7 release."""

    alpha: str
    """ISO 3166-1 alpha-3 code (``B_COUNTRY_ALPHA``)."""
    numeric: int
    """ISO 3166-1 numeric code (``B_COUNTRY``)."""
    name: str
    """English name as it reads after "living in" (with its article where English needs one)."""
    ethnicity: Mapping[str, tuple[int, ...]]
    """Ethnic group label → Q290 codes, for countries whose codes name real groups; else empty."""


@public
@cache
def load_countries() -> Mapping[str, Country]:
    """The Wave 7 countries keyed by alpha-3 code, alphabetically (read-only)."""
    text = resources.files(__package__).joinpath("countries.json").read_text(encoding="utf-8")
    raw = json.loads(text)["countries"]
    return _frozen(
        {
            alpha: Country(
                alpha=alpha,
                numeric=int(entry["numeric"]),
                name=entry["name"],
                ethnicity=_frozen({k: tuple(v) for k, v in entry.get("ethnicity", {}).items()}),
            )
            for alpha, entry in sorted(raw.items())
        }
    )


MAX_COUNTRY_CODE: Final = 200
"""Most characters of a country code: an unknown one becomes the persona's country name,
repeated in every sample."""


def country_code_problem(code: str) -> str | None:
    """Why ``code`` (stripped) is not in a country code's form, or None: the one rule of that
    form, for ``--country``, ``country=`` and :func:`country_numeric_code`. A code is 1 to
    :data:`MAX_COUNTRY_CODE` ASCII letters or digits. The length is judged first:
    ``int("9" * 5000)`` is a ValueError (Python's limit on digits), and 300 ASCII digits were
    refused as "neither letters nor digits"."""
    if code == "":
        return "empty country code"
    if len(code) > MAX_COUNTRY_CODE:
        return (
            f"country code {code[:17]!r}... has {len(code):,} characters; a code has at most "
            f"{MAX_COUNTRY_CODE} (alpha-3 letters or a numeric code)"
        )
    if not (code.isascii() and code.isalnum()):
        shown = code if len(code) <= 20 else code[:17] + "..."
        return f"country code {shown!r} is neither alpha-3 letters nor ASCII digits"
    return None


def country_alpha(code: str, countries: Mapping[str, Country] | None = None) -> str:
    """The one spelling of a country code in its form (:func:`country_code_problem` is None for
    it, upper case): the catalogue's alpha-3 code for a numeric code it knows (``702`` and
    ``0702`` are ``SGP``), an unknown numeric code without leading zeros, any other as given."""
    if code.isdigit():
        numeric = int(code)
        known = load_countries() if countries is None else countries
        return next((c.alpha for c in known.values() if c.numeric == numeric), str(numeric))
    return code


def _name_key(name: str) -> str:
    """A country name as a reader tells names apart (:func:`sgbench.errors.read_as`, the fold
    model names are compared by: NFKC, lookalike letters of other scripts, case, spacing), a
    leading "the" aside (the catalogue writes "the Netherlands" for "living in ...").
    Fullwidth 'Ｇｅｒｍａｎｙ' and 'Gеrmany' with a Cyrillic 'е' read 'Germany'."""
    return read_as(name).removeprefix("the ")


def country_name_problem(name: str, country: str, country_key: str) -> str | None:
    """Why ``name`` cannot be the persona's country name ("living in ...") of a build of
    ``country`` (None when it can): it is the name or alpha-3 code of a catalogue country other
    than ``country`` (any other display name, ``the Republic of Singapore``, is allowed), or
    ``country`` is not a code in form. ``country: SGP`` with ``country_name: Germany`` told every
    sample of Singapore's respondents they lived in Germany, with exit code 0. With ``ALL`` the
    name is not used (each persona names its respondents' own country). The one rule for a
    build config's ``country_name`` and the ``built_from.country_name`` a manifest records;
    ``country_key`` is where ``country`` is given, for the message."""
    code = country.strip().upper()
    problem = country_code_problem(code)
    if problem is not None:
        return f"{country_key}: {problem}"
    countries = load_countries()
    own = country_alpha(code, countries)
    if own == ALL_COUNTRIES:
        return None
    said = _name_key(name)
    other = next(
        (
            c
            for c in countries.values()
            if c.alpha != own and said in (_name_key(c.name), c.alpha.casefold())
        ),
        None,
    )
    if other is None:
        return None
    known = countries.get(own)
    return (
        f"{name!r} is {other.name} ({other.alpha}), but {country_key} is {own}"
        + (f" ({known.name})" if known else "")
        + ": every persona would live where its respondents do not; give the name of the "
        "country built, or none"
    )


@public
def country_numeric_code(alpha: str) -> int | None:
    """The numeric code of a country the catalogue knows, or None.

    The code is read as ``--country`` reads it: alpha-3 or numeric, any case, spaces around
    (``" SGP"`` and ``"702"`` were None while ``--country " SGP"`` and ``--country 702`` built
    Singapore).

    Raises:
        InputError: a code not in a country code's form (:func:`country_code_problem`).
    """
    code = alpha.strip().upper()
    problem = country_code_problem(code)
    if problem is not None:
        raise InputError(problem)
    countries = load_countries()
    if code.isdigit():
        numeric = int(code)
        return numeric if any(c.numeric == numeric for c in countries.values()) else None
    country = countries.get(code)
    return None if country is None else country.numeric


@public
@cache
def load_value_labels() -> Mapping[str, Mapping[int, str]]:
    """The codebook's value labels of the demographic variables subgroups are defined by:
    ``{variable: {code: label}}`` (``labels.json``; its ``source`` says where they come from).

    Only substantive codes are listed, and only the variables (and, for Q290, the country
    codes) the shipped build configs use; a variable or code absent here has no known label.
    """
    text = resources.files(__package__).joinpath("labels.json").read_text(encoding="utf-8")
    raw = json.loads(text)["variables"]
    return _frozen(
        {
            variable: _frozen({int(code): label for code, label in codes.items()})
            for variable, codes in raw.items()
        }
    )


__all__ = [
    "ALL_COUNTRIES",
    "SECTIONS",
    "Country",
    "Equivalent",
    "Item",
    "Option",
    "country_numeric_code",
    "items_by_id",
    "load_catalogue",
    "load_countries",
    "load_crosswalk",
    "load_value_labels",
]
