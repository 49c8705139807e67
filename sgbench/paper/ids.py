"""How the study's released model outputs name a sample, derived from a dataset's own definitions.

The released rows carry a ``custom_id`` of the form ``<question>_<stratum>_<value>[_<value>]``,
e.g. ``Q1_sex_x_age_Female_16-24-years``. Every part is derived here by one rule, from the built
dataset's attribute definitions (its manifest: attribute → variable, value → codes) and the
codebook labels of the package catalogue (:func:`sgbench.catalogue.load_value_labels`):

- **value**: the codebook label of the value's code, spaces replaced by ``-``
  (``65+`` is X003R code 6, "65 and over" → ``65-and-over``). A value grouping several codes
  is released under the label of the one code whose codebook label is the value's own name
  (case ignored): the paper's religion ``Other`` (codes 3, 4, 8, 9) is code 9's "Other". A value
  for which no such code exists, a range of a numeric variable, or a variable the catalogue has
  no labels for has no released label; samples using it cannot be matched (and say so).
- **stratum**: a single attribute's full name (``age_group``); a pair's two names joined by
  ``_x_`` (``sex_x_age``). Either name may be full or short (the part before its first ``_``:
  ``age`` for ``age_group``) and the two may come in either order; the values follow the names'
  order. Every spelling of a stratum is accepted.

No table of ids is written anywhere: the accepted ids of a dataset are enumerated from these
rules, each spelled by one sample only (see :func:`sgbench.paper.importer.build_index`).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from sgbench.catalogue import load_value_labels

PART_SEPARATOR: Final = "_"
"""Between question, stratum and each value of a released id."""
PAIR_SEPARATOR: Final = "_x_"
"""Between the attribute names of a pair stratum."""


def released_text(label: str) -> str:
    """A codebook label as it appears in a released id: spaces replaced by ``-``."""
    return label.replace(" ", "-")


def short_name(attribute: str) -> str:
    """The short form of an attribute name used in pair strata: ``age_group`` → ``age``."""
    return attribute.split("_", 1)[0]


def name_forms(attribute: str) -> tuple[str, ...]:
    """The accepted spellings of one attribute name in a stratum: full, then short if other."""
    short = short_name(attribute)
    return (attribute,) if short == attribute else (attribute, short)


def stratum_spellings(stratum: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Every accepted spelling of a stratum → the attributes it names, in the order written.

    ``("sex", "age_group")`` gives ``sex_x_age_group``, ``sex_x_age``, ``age_group_x_sex``,
    ``age_x_sex``; a single attribute gives its full and short name.
    """
    spellings: dict[str, tuple[str, ...]] = {}
    for order in itertools.permutations(stratum):
        for forms in itertools.product(*(name_forms(name) for name in order)):
            spellings.setdefault(PAIR_SEPARATOR.join(forms), order)
    return spellings


@dataclass(frozen=True)
class ReleasedLabels:
    """The released label of every value of a dataset's attributes."""

    labels: dict[str, dict[str, str]]
    """Attribute → value (as in the dataset) → released text of its codebook label."""
    unlabelled: dict[str, dict[str, str]]
    """Attribute → value → why it has no released label (its samples cannot be matched)."""


def _label_of(
    value: str, rule: Any, codebook: Mapping[int, str] | None, variable: str
) -> tuple[str | None, str]:
    """The codebook label a value is released under, or None and the reason."""
    if codebook is None:
        return None, f"the catalogue has no value labels for {variable}"
    if isinstance(rule, Mapping):
        return None, f"a range of {variable}, not codes"
    codes = [int(code) for code in rule]
    unknown = [code for code in codes if code not in codebook]
    if unknown:
        return None, f"{variable} code(s) {unknown} have no codebook label"
    if len(codes) == 1:
        return codebook[codes[0]], ""
    named = [code for code in codes if codebook[code].casefold() == value.casefold()]
    if len(named) == 1:
        return codebook[named[0]], ""
    return None, f"groups {variable} codes {codes}, none of whose labels is {value!r}"


def released_labels(
    attributes: Mapping[str, Mapping[str, Any]],
    codebook: Mapping[str, Mapping[int, str]] | None = None,
) -> ReleasedLabels:
    """The released label of each attribute value (rules in the module docstring).

    Args:
        attributes: the manifest's ``attributes``: name → ``{"variable", "values": {value:
            [codes] | {"min", "max"}}}``.
        codebook: variable → code → label; default the package catalogue's.
    """
    codebook = load_value_labels() if codebook is None else codebook
    labels: dict[str, dict[str, str]] = {}
    unlabelled: dict[str, dict[str, str]] = {}
    for name, spec in attributes.items():
        variable = str(spec["variable"])
        for value, rule in spec["values"].items():
            label, why = _label_of(value, rule, codebook.get(variable), variable)
            if label is None:
                unlabelled.setdefault(name, {})[value] = why
            else:
                labels.setdefault(name, {})[value] = released_text(label)
    return ReleasedLabels(labels=labels, unlabelled=unlabelled)


def subgroup_suffixes(
    stratum: tuple[str, ...], values: Mapping[str, str], labels: ReleasedLabels
) -> list[str]:
    """Every released ``<stratum>_<value>[_<value>]`` spelling of one subgroup (empty when one
    of its values has no released label)."""
    suffixes: list[str] = []
    for spelling, order in stratum_spellings(stratum).items():
        texts = [labels.labels.get(name, {}).get(values[name]) for name in order]
        if all(text is not None for text in texts):
            suffixes.append(PART_SEPARATOR.join([spelling, *(t for t in texts if t)]))
    return suffixes
