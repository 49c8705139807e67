"""Build config: which attributes define subgroups, which strata cross them, which thresholds apply.

A config is a YAML or JSON file checked against ``sgbench/schema/build_config.schema.json``
plus the cross-field rules below (strata name known attributes, OOD strata are strata, ...).
The shipped default, ``configs/singapore.yaml``, reproduces the paper's subgroups.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, Final, Literal

import yaml

from sgbench.boundary import ArgumentName, PathArg, public
from sgbench.builder.layouts import LAYOUTS
from sgbench.catalogue import (
    ALL_COUNTRIES,
    Country,
    country_alpha,
    country_code_problem,
    country_name_problem,
    load_catalogue,
    load_countries,
)
from sgbench.dataset import PUBLICATION_FLOOR
from sgbench.errors import ConfigError
from sgbench.jsonl import loads_yaml, read_bounded
from sgbench.schema import validator
from sgbench.schema.ids import slug as slug
from sgbench.schema.ids import stratum_name as stratum_name
from sgbench.schema.persona import MAX_TEXT as MAX_TEXT
from sgbench.schema.persona import PersonaPhrase as PersonaPhrase
from sgbench.schema.persona import phrase_problem, text_problem
from sgbench.schema.values import ValueRange as ValueRange
from sgbench.schema.values import ValueRule as ValueRule
from sgbench.schema.values import strata_problem, value_rule, values_problem
from sgbench.splits import check_fractions

DisclosureControl = Literal["suppress", "none"]
DEFAULT_CONFIG: Final = "singapore.yaml"
GENERIC_CONFIG: Final = "generic.yaml"
COUNTRY_ATTRIBUTE: Final = "country"


@dataclass(frozen=True)
class AttributeSource:
    """A survey variable and the rule mapping its codes to attribute value labels."""

    variable: str
    values: dict[str, ValueRule]
    """Value label → rule, in display order."""

    def to_manifest(self) -> dict[str, Any]:
        """``{"variable": ..., "values": {label: [codes] | {"min", "max"}}}`` for the manifest."""
        return {
            "variable": self.variable,
            "values": {
                label: (
                    {"min": rule.min, "max": rule.max}
                    if isinstance(rule, ValueRange)
                    else list(rule)
                )
                for label, rule in self.values.items()
            },
        }


@dataclass(frozen=True)
class AttributeSpec:
    """One demographic attribute of the subgroups."""

    name: str
    source: AttributeSource
    """The variable read first."""
    derive_from: AttributeSource | None
    """Used instead when the file lacks ``source.variable`` (e.g. age in years for X003R)."""
    persona: dict[str, PersonaPhrase]
    """Value label → persona phrase."""

    @property
    def labels(self) -> tuple[str, ...]:
        """Value labels in display order."""
        return tuple(self.source.values)


@dataclass(frozen=True)
class BuildConfig:
    """Everything that decides which samples a build produces."""

    name: str
    wave: int
    country: str
    country_name: str
    weight: str | None
    min_subgroup_size: int
    min_valid_answers: int
    items: tuple[str, ...] | None
    """Question ids to build, or None for the whole catalogue."""
    attributes: dict[str, AttributeSpec]
    strata: tuple[tuple[str, ...], ...]
    """Each stratum's attributes, in attribute order."""
    ood_strata: tuple[tuple[str, ...], ...]
    split_seed: int = 0
    validation_fraction: float = 0.05
    test_id_fraction: float = 0.10
    max_train_overlap: float | None = None
    """OOD subgroups sharing more than this (Jaccard) with a training subgroup are dropped."""
    disclosure_control: DisclosureControl = "suppress"
    """``suppress`` withholds complementary subgroups until no small group is derivable by
    subtraction (:func:`sgbench.builder.disclosure.control`); ``none`` keeps every subgroup of
    ``min_subgroup_size`` (the paper's config, for its exact sample set) and only measures."""
    source: str = field(default=DEFAULT_CONFIG, compare=False)
    """Where the config came from (file name), for messages."""


def _check_values(source: AttributeSource, key: str) -> None:
    """:func:`~sgbench.schema.values.values_problem` of ``source``'s values.

    Raises:
        ConfigError: naming ``key`` (``WHERE: $.attributes.NAME.values``).
    """
    problem = values_problem(source.values)
    if problem is not None:
        raise ConfigError(f"{key}{problem[0]}: {problem[1]}")


def _check_variables_read_once(raw: Mapping[str, Any], where: str) -> None:
    """Each WVS variable is read for one purpose: by one attribute (its ``variable`` or
    ``derive_from``'s), as the weight, or as an item the build asks (``items``, ``all`` being
    the wave's catalogue). Two attributes of one variable nest one's subgroups in the other's,
    so a held-out stratum of one is seen in training through the other, which
    :func:`_check_ood_unseen` compares by attribute name and cannot tell; an attribute reading
    an item asked makes each of its subgroups' answers to that item one answer (``sex`` on Q1
    gave ``sex=male`` a Q1 target of 100%); a weight read as an attribute or an item weighs
    each respondent by their own answer code (``weight: Q260`` weighed women twice). What is
    compared is the column each release layout reads for the name
    (:meth:`sgbench.builder.layouts.Layout.column`: Q260 and its Time Series name X001 are one
    variable, as are the item Q1 and A001), without case, as columns are matched.

    Raises:
        ConfigError: ``WHERE: $.attributes.NAME.variable: Q260 is read by $.attributes.OTHER
            too; ...`` (or by ``$.weight``, or by ``$.items``).
    """
    items = raw.get("items", "all")
    asked = (
        [item.question_id for item in load_catalogue(int(raw["wave"]))]
        if items == "all"
        else [str(q) for q in items]
    )
    # Items first, then the weight, then attributes: a message names the attribute (or the
    # weight) that reads what is already read, the key a user most likely got wrong.
    uses: list[tuple[str, str, str]] = [
        ("$.items" + (" (all: the catalogue)" if items == "all" else ""), "$.items", q)
        for q in asked
    ]
    if raw.get("weight") is not None:
        uses.append(("$.weight", "$.weight", str(raw["weight"])))
    for name, spec in raw["attributes"].items():
        uses.append(
            (f"$.attributes.{name}", f"$.attributes.{name}.variable", str(spec["variable"]))
        )
        if "derive_from" in spec:
            uses.append(
                (
                    f"$.attributes.{name}",
                    f"$.attributes.{name}.derive_from.variable",
                    str(spec["derive_from"]["variable"]),
                )
            )
    readers: dict[tuple[str, str], tuple[str, str]] = {}
    for reader, key, variable in uses:
        # One variable has a name in each release (Q260 is Wave 6's V240 and the Time
        # Series' X001): the column each layout reads for it is what is compared.
        for layout in LAYOUTS.values():
            column = layout.column(variable).upper()
            other, spelt = readers.setdefault((layout.name, column), (reader, variable))
            if other != reader:
                alias = "" if spelt.upper() == variable.upper() else f" (as {spelt})"
                raise ConfigError(
                    f"{where}: {key}: {variable} is read by {other}{alias} too; "
                    + _why_once(key, other)
                )


def _why_once(key: str, other: str) -> str:
    """Why a variable of :func:`_check_variables_read_once` may not be read twice."""
    if other.startswith("$.items"):
        if key == "$.weight":
            return "a weight is not an answer the build asks (each answer would weigh itself)"
        return (
            "an attribute is not an item the build asks (each of its subgroups would give "
            "that item one answer); drop the item from $.items or read another variable"
        )
    if other == "$.weight":
        return "an attribute is not the weight (each respondent would weigh by their own code)"
    return "one variable, one attribute (its subgroups would nest in the other's)"


def _check_text(text: str, key: str) -> None:
    """Refuse persona text that is blank or has spaces around it
    (:func:`~sgbench.schema.persona.phrase_problem`)."""
    problem = phrase_problem(text)
    if problem is not None:
        raise ConfigError(f"{key}: {problem}")


def _check_phrases(persona: Mapping[str, PersonaPhrase], key: str) -> None:
    """Each value's persona phrase is text (:func:`_check_text`); phrases that make two
    subgroups one persona are refused once the subgroups are known
    (:func:`sgbench.builder.subgroups.find_subgroups`)."""
    for label, phrase in persona.items():
        _check_text(phrase.phrase, f"{key}.{label}")


def _source(raw: dict[str, Any]) -> AttributeSource:
    return AttributeSource(
        variable=str(raw["variable"]),
        values={str(label): value_rule(rule) for label, rule in raw["values"].items()},
    )


def _validate_schema(raw: Any, where: str) -> None:
    from jsonschema.exceptions import best_match

    errors = list(validator("build_config").iter_errors(raw))
    if errors:
        error = best_match(errors)
        raise ConfigError(f"{where}: {error.json_path}: {error.message}")


def _check_all_text(raw: Any, where: str) -> None:
    """Refuse a key or text value that breaks :func:`~sgbench.schema.persona.text_problem` (a
    character that is not printable, or longer than :data:`MAX_TEXT`)."""
    stack: list[tuple[str, Any]] = [("$", raw)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                stack += [(f"{path}.{key}", key), (f"{path}.{key}", item)]  # names are text too
        elif isinstance(value, list):
            stack += [(f"{path}[{n}]", item) for n, item in enumerate(value)]
        elif isinstance(value, str) and (problem := text_problem(value)) is not None:
            raise ConfigError(f"{where}: {path}: {problem}")


def _check_ood_unseen(
    strata: tuple[tuple[str, ...], ...], ood_strata: tuple[tuple[str, ...], ...], where: str
) -> None:
    """Refuse a held-out stratum whose attributes are all in one training stratum: each of its
    subgroups is then the union of training subgroups, so test_ood could be rebuilt from train
    by adding up counts (``ood_strata: [[religion]]`` beside a training ``[sex, religion]``:
    every test_ood sample was the sum of two train samples).

    Raises:
        ConfigError: naming both strata.
    """
    training = [s for s in strata if s not in ood_strata]
    for held in ood_strata:
        finer = next((s for s in training if set(held) < set(s)), None)
        if finer is not None:
            raise ConfigError(
                f"{where}: $.ood_strata: {stratum_name(held)} is held out but each of its "
                f"subgroups is a union of subgroups of the training stratum "
                f"{stratum_name(finer)}, so test_ood could be rebuilt from train; hold out "
                f"{stratum_name(finer)} too, or drop it from $.strata"
            )


def parse_config(raw: Any, where: str = "config") -> BuildConfig:
    """Check a parsed config document and turn it into a :class:`BuildConfig`.

    Raises:
        ConfigError: the document breaks the schema or a cross-field rule; the message names
            ``where`` and the offending key.
    """
    _check_all_text(raw, where)
    _validate_schema(raw, where)
    _check_variables_read_once(raw, where)
    attributes: dict[str, AttributeSpec] = {}
    for name, spec in raw["attributes"].items():
        source = _source(spec)
        derive_from = _source(spec["derive_from"]) if "derive_from" in spec else None
        _check_values(source, f"{where}: $.attributes.{name}.values")
        if derive_from is not None:
            _check_values(derive_from, f"{where}: $.attributes.{name}.derive_from.values")
        if derive_from is not None and list(derive_from.values) != list(source.values):
            raise ConfigError(
                f"{where}: $.attributes.{name}.derive_from: its value labels must be those of "
                f"`values`, in the same order"
            )
        persona_raw = spec.get("persona", {"role": "adjective", "phrases": {}})
        unknown = set(persona_raw["phrases"]) - set(source.values)
        if unknown:
            raise ConfigError(
                f"{where}: $.attributes.{name}.persona: phrases for unknown values "
                f"{sorted(unknown)}"
            )
        persona: dict[str, PersonaPhrase] = {}
        for label in source.values:
            phrase = persona_raw["phrases"].get(label, label)
            if isinstance(phrase, dict):
                persona[label] = PersonaPhrase(role=phrase["role"], phrase=phrase["phrase"])
            else:
                persona[label] = PersonaPhrase(role=persona_raw["role"], phrase=phrase)
        _check_phrases(persona, f"{where}: $.attributes.{name}.persona.phrases")
        attributes[name] = AttributeSpec(
            name=name, source=source, derive_from=derive_from, persona=persona
        )

    if "country_name" in raw:
        _check_text(raw["country_name"], f"{where}: $.country_name")
        _check_country_name(raw["country_name"], raw["country"], where)
    order = {name: index for index, name in enumerate(attributes)}

    def canonical(stratum: list[str], key: str) -> tuple[str, ...]:
        unknown = [name for name in stratum if name not in order]
        if unknown:
            raise ConfigError(f"{where}: $.{key}: unknown attribute(s) {unknown}")
        return tuple(sorted(stratum, key=order.__getitem__))

    problem = strata_problem(raw["strata"], list(attributes))
    if problem is not None:
        raise ConfigError(f"{where}: $.strata: {problem}")
    strata = tuple(canonical(s, "strata") for s in raw["strata"])
    ood_strata = tuple(canonical(s, "ood_strata") for s in raw["ood_strata"])
    if len(set(ood_strata)) != len(ood_strata):
        raise ConfigError(f"{where}: $.ood_strata: a stratum is listed twice")
    missing = [stratum_name(s) for s in ood_strata if s not in strata]
    if missing:
        raise ConfigError(f"{where}: $.ood_strata: not among the strata: {missing}")
    if len(ood_strata) == len(strata):
        raise ConfigError(f"{where}: $.ood_strata: at least one stratum must be for training")
    _check_ood_unseen(strata, ood_strata, where)
    validation = float(raw.get("validation_fraction", 0.05))
    test_id = float(raw.get("test_id_fraction", 0.10))
    check_fractions(validation, test_id, where)
    items = raw.get("items", "all")
    return BuildConfig(
        name=raw["name"],
        wave=int(raw["wave"]),
        country=str(raw["country"]),
        country_name=str(raw.get("country_name", raw["country"])),
        weight=raw.get("weight", "W_WEIGHT"),
        min_subgroup_size=int(raw.get("min_subgroup_size", PUBLICATION_FLOOR)),
        min_valid_answers=int(raw.get("min_valid_answers", PUBLICATION_FLOOR)),
        items=None if items == "all" else tuple(items),
        attributes=attributes,
        strata=strata,
        ood_strata=ood_strata,
        split_seed=int(raw.get("split_seed", 0)),
        validation_fraction=validation,
        test_id_fraction=test_id,
        max_train_overlap=(
            None if raw.get("max_train_overlap") is None else float(raw["max_train_overlap"])
        ),
        disclosure_control=raw.get("disclosure_control", "suppress"),
        source=where,
    )


def shipped_config(name: str) -> BuildConfig:
    """One of the configs shipped in ``sgbench/builder/configs``."""
    # A copy: the config holds dicts, and no caller may change what the next one reads.
    return copy.deepcopy(_parsed_shipped_config(name))


@functools.cache
def _parsed_shipped_config(name: str) -> BuildConfig:
    """Parsed once per process: the files ship with the package, and schema validation costs
    a large part of a small build (a build parses the default twice: to build and to tell
    whether it is the paper's config)."""
    text = resources.files(__package__).joinpath("configs", name)
    return parse_config(yaml.safe_load(text.read_text(encoding="utf-8")), name)


def load_config(path: PathArg | None = None) -> BuildConfig:
    """Read a build config file (YAML or JSON; JSON is YAML), or the shipped default.

    Raises:
        ConfigError: the file is missing, unparsable or invalid; the message names the file.
    """
    if path is None:
        return shipped_config(DEFAULT_CONFIG)
    path = Path(path)
    try:
        raw = loads_yaml(read_bounded(path).decode("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: cannot read config ({exc})") from None
    except ValueError as exc:  # too deep or too large
        raise ConfigError(f"{path}: YAML {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}: line {mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None)
        raise ConfigError(
            f"{where}: not valid YAML/JSON" + (f" ({problem})" if problem else "")
        ) from None
    return parse_config(raw, str(path))


def with_ethnicity(config: BuildConfig, groups: Mapping[str, tuple[int, ...]]) -> BuildConfig:
    """Add an ``ethnicity`` attribute (Q290 codes) and its strata, as the Singapore config has.

    It is placed after ``age_group``; ``ethnicity`` and ``sex × ethnicity`` train,
    ``age_group × ethnicity`` and ``ethnicity × religion`` are held out.
    """
    if "ethnicity" in config.attributes or not groups:
        return config
    spec = AttributeSpec(
        name="ethnicity",
        source=AttributeSource("Q290", {label: codes for label, codes in groups.items()}),
        derive_from=None,
        persona={label: PersonaPhrase("adjective", label) for label in groups},
    )
    names = list(config.attributes)
    at = names.index("age_group") + 1 if "age_group" in names else len(names)
    pairs = list(config.attributes.items())
    attributes = dict([*pairs[:at], ("ethnicity", spec), *pairs[at:]])
    order = {name: index for index, name in enumerate(attributes)}

    def canonical(stratum: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted(stratum, key=order.__getitem__))

    extra_train = [("ethnicity",), ("sex", "ethnicity")]
    extra_ood = [("age_group", "ethnicity"), ("ethnicity", "religion")]
    usable = [s for s in extra_train + extra_ood if all(a in attributes for a in s)]
    strata = tuple(canonical(s) for s in (*config.strata, *usable))
    ood = tuple(canonical(s) for s in (*config.ood_strata, *[s for s in extra_ood if s in usable]))
    return replace(config, attributes=attributes, strata=strata, ood_strata=ood)


def across_countries(config: BuildConfig, countries: dict[str, tuple[int, str]]) -> BuildConfig:
    """One dataset over several countries: ``country`` becomes an attribute of every stratum.

    Args:
        countries: alpha-3 code → (numeric code, name for the persona), in display order.

    Every stratum is crossed with ``country`` (and ``country`` alone is a stratum), so no
    subgroup mixes countries; persona sentences name each subgroup's own country.
    """
    spec = AttributeSpec(
        name=COUNTRY_ATTRIBUTE,
        source=AttributeSource(
            "B_COUNTRY", {alpha: (num,) for alpha, (num, _) in countries.items()}
        ),
        derive_from=None,
        persona={alpha: PersonaPhrase("place", name) for alpha, (_, name) in countries.items()},
    )
    attributes = {COUNTRY_ATTRIBUTE: spec, **config.attributes}
    strata = ((COUNTRY_ATTRIBUTE,), *((COUNTRY_ATTRIBUTE, *s) for s in config.strata))
    ood = tuple((COUNTRY_ATTRIBUTE, *s) for s in config.ood_strata)
    return replace(config, attributes=attributes, strata=strata, ood_strata=ood)


def _country_code(given: str, countries: Mapping[str, Country], where: str) -> str:
    """The one spelling of a country code: the catalogue's alpha-3 code for any code it knows
    (``sgp``, `` SGP``, ``702`` and ``0702`` are all ``SGP``), ``ALL``, or an unknown code as
    given (upper case), so that every way of naming a country builds the same dataset.

    A code is ASCII letters or digits, at most
    :data:`~sgbench.catalogue.MAX_COUNTRY_CODE` of them (one rule,
    :func:`~sgbench.catalogue.country_code_problem`): an unknown code
    becomes the persona's country name, and ``A\nB`` or a 100,000-character code given with
    ``country=`` gave a config whose every persona broke a line or ran to 100 kB.

    Raises:
        ConfigError: an empty code, or one with another character (``²``, ``٧٠٢``, a space, a
            control) or longer than :data:`~sgbench.catalogue.MAX_COUNTRY_CODE`.
    """
    code = given.strip().upper()
    problem = country_code_problem(code)
    if problem is not None:
        raise ConfigError(f"{where}: {problem}")
    return country_alpha(code, countries)


def _check_country_name(name: str, country: str, where: str) -> None:
    """A config's ``country_name`` (the persona's "living in ...") may be any display name
    but that of a catalogue country other than its ``country``
    (:func:`~sgbench.catalogue.country_name_problem`).

    Raises:
        ConfigError: naming ``$.country_name``, the country it names and ``$.country``.
    """
    _country_code(country, load_countries(), f"{where}: $.country")
    problem = country_name_problem(name, country, "$.country")
    if problem is not None:
        raise ConfigError(f"{where}: $.country_name: {problem}")


def _everywhere(config: BuildConfig, countries: Mapping[str, Country], name: str) -> BuildConfig:
    """``config`` over every country of the catalogue (``ALL``), ``country`` an attribute.

    Raises:
        ConfigError: the config has an attribute of that name already.
    """
    if COUNTRY_ATTRIBUTE in config.attributes:
        raise ConfigError(
            f"{config.source}: $.attributes.{COUNTRY_ATTRIBUTE}: country ALL makes "
            f"{COUNTRY_ATTRIBUTE!r} an attribute of every stratum itself; rename this one"
        )
    everywhere = {c.alpha: (c.numeric, c.name) for c in countries.values()}
    # Country is added last so that it prefixes every stratum, ethnicity's included.
    config = across_countries(config, everywhere)
    return replace(config, name=name, country=ALL_COUNTRIES, country_name="their country")


_COUNTRY: Final = ArgumentName("country", "--country")


@public
def resolve_config(config_path: PathArg | None, country: str | None) -> BuildConfig:
    """The build config for a command line: a file, or the shipped config for the country.

    Without a file, Singapore (the default) gets the paper's config and any other Wave 7
    country the generic one, with an ethnicity attribute where the catalogue knows the country's
    Q290 codes; ``ALL`` builds every country with ``country`` as an attribute of every stratum
    (the file's config too).

    Raises:
        ConfigError: an unknown country code or an invalid config.
    """
    countries = load_countries()
    code = None if country is None else _country_code(country, countries, str(_COUNTRY))
    if config_path is not None:
        config = load_config(config_path)
        own = _country_code(config.country, countries, f"{config_path}: $.country")
        if (code or own) == ALL_COUNTRIES:
            # As without a file: one country's subgroups must not pool every country's people.
            return _everywhere(config, countries, config.name)
        if code is None or code == own:
            return replace(config, country=own)
        known = countries.get(code)
        return replace(config, country=code, country_name=known.name if known else code)
    if code is None or code == "SGP":
        return load_config(None)
    generic = shipped_config(GENERIC_CONFIG)
    if code == ALL_COUNTRIES:
        # Ethnic group codes are country-prefixed, so one attribute can hold every country's.
        groups: dict[str, tuple[int, ...]] = {}
        for known in countries.values():
            for label, codes in known.ethnicity.items():
                groups[label] = groups.get(label, ()) + codes
        return _everywhere(with_ethnicity(generic, groups), countries, "wvs-all-subgroups")
    known = countries.get(code)
    if known is None:
        raise ConfigError(
            f"{_COUNTRY}: unknown country code {code!r} (see sgbench/catalogue/countries.json)"
        )
    config = with_ethnicity(generic, known.ethnicity)
    return replace(
        config,
        name=f"wvs-{known.alpha.lower()}-subgroups",
        country=known.alpha,
        country_name=known.name,
    )
