"""How a build config gives respondents an attribute value, and the rules its values and strata
keep: one definition, applied by the config loader (:mod:`sgbench.builder.config`) to a config
and by the dataset reader (:func:`sgbench.dataset.manifest_problems`) to the config a manifest
records (a forged manifest gave one code to two values and listed a stratum twice, and
``validate`` passed)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sgbench.schema.ids import slug, stratum_name


@dataclass(frozen=True)
class ValueRange:
    """An inclusive range of whole numbers, e.g. ages 25 to 34. A value is matched by its whole
    part: an age of 34.9 is 34 completed years (:func:`sgbench.builder.harmonise.attribute_labels`).
    """

    min: float
    max: float


ValueRule = tuple[int, ...] | ValueRange
"""How respondents get an attribute value: a list of codes or a numeric range."""


def value_rule(raw: object) -> ValueRule:
    """A value's rule as a config (or a manifest's ``attributes``) writes it: ``{min, max}`` or a
    list of codes."""
    if isinstance(raw, Mapping):
        return ValueRange(min=float(raw["min"]), max=float(raw["max"]))
    assert isinstance(raw, Sequence)
    return tuple(int(code) for code in raw)


def rules_overlap(a: ValueRule, b: ValueRule) -> bool:
    """Whether a respondent could match both rules."""
    if isinstance(a, ValueRange) and isinstance(b, ValueRange):
        return a.min <= b.max and b.min <= a.max
    if isinstance(a, ValueRange):
        return any(a.min <= code <= a.max for code in b)  # type: ignore[union-attr]
    if isinstance(b, ValueRange):
        return any(b.min <= code <= b.max for code in a)
    return bool(set(a) & set(b))


def values_problem(values: Mapping[str, ValueRule]) -> tuple[str, str] | None:
    """Why an attribute's ``values`` (label → rule) break the config's rules, as (the key below
    ``values`` it concerns, or ``""``; why), or None. Each respondent gets at most one value, and
    each value its own id: two labels with one slug (``Muslim`` and ``muslim``) would give two
    subgroups one id, and a code in two values' rules would go to whichever is first."""
    slugs: dict[str, str] = {}
    for label in values:
        if not slug(label):
            return "", f"value {label!r} has no letter or digit for its id"
        other = slugs.setdefault(slug(label), label)
        if other != label:
            return "", f"values {other!r} and {label!r} would have one id ({slug(label)!r})"
    rules = list(values.items())
    for index, (label, rule) in enumerate(rules):
        if isinstance(rule, ValueRange) and rule.min > rule.max:
            return f".{label}", f"min {rule.min:g} is above max {rule.max:g}"
        for other, earlier in rules[:index]:
            if rules_overlap(rule, earlier):
                return "", (
                    f"values {other!r} and {label!r} share codes (a respondent would match both)"
                )
    return None


def strata_problem(strata: Sequence[Sequence[str]], attributes: Sequence[str]) -> str | None:
    """Why ``strata`` (each a list of attribute names) break the config's rules given the
    ``attributes`` in config order, or None: each names known attributes, and none is listed
    twice (in any order of its attributes)."""
    order = {name: index for index, name in enumerate(attributes)}
    seen: set[tuple[str, ...]] = set()
    for stratum in strata:
        unknown = [name for name in stratum if name not in order]
        if unknown:
            return f"unknown attribute(s) {unknown}"
        canonical = tuple(sorted(stratum, key=order.__getitem__))
        if canonical in seen:
            return f"a stratum is listed twice ({stratum_name(canonical)})"
        seen.add(canonical)
    return None
