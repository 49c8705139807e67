"""Harmonise raw survey rows into the respondents table.

The respondents table is the single hand-off between reading and aggregating: one row per
respondent with a ``weight``, one categorical column per attribute (the value label, or missing
when the respondent's code belongs to no value), and one column per catalogue item holding the
answer's *position* on the item's scale (0 … K−1), or missing. Missing means: a negative WVS code
(-1 … -5), a code the catalogue excludes as non-substantive, or a code the item does not have.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from sgbench.boundary import ArgumentName
from sgbench.builder.config import AttributeSource, AttributeSpec, BuildConfig, ValueRange
from sgbench.catalogue import Item
from sgbench.errors import InputError

_UNWEIGHTED: Final = ArgumentName("weighted=False", "--unweighted")
"""How a refusal of the weights tells to build without them: build_dataset's argument, the
command line's option."""


@dataclass(frozen=True)
class Respondents:
    """The respondents table and what harmonising it found."""

    table: pd.DataFrame
    """Columns: ``weight``, one per attribute (categorical), one per item (Int8 positions)."""
    attribute_sources: dict[str, AttributeSource]
    """The variable actually used for each attribute (``derive_from`` when the first is absent)."""
    weighted: bool
    """Whether ``weight`` holds the file's weights (False: all 1)."""
    unexpected_codes: dict[str, int]
    """Item → number of answers with a non-negative code the catalogue does not know."""


def attribute_labels(values: pd.Series[float], source: AttributeSource) -> pd.Categorical[str]:
    """Map a variable's codes to value labels; codes matching no rule become missing.

    A code matching two rules is a config error caught here rather than silently taking the
    first.

    A range (``{min, max}``, whole-number bounds) reads a value by its whole part: a quantity
    read by ranges counts completed units, as WVS Q262 is the age in completed years, so 24.5
    is 24 and falls in 16–24. Ranges of consecutive whole numbers then tile the line, where an
    age of 24.5 between 16–24 and 25–34 had no age group, with exit code 0.
    """
    codes = values.to_numpy(dtype="float64")
    whole = np.floor(codes)
    labels = list(source.values)
    chosen = np.full(codes.shape, -1, dtype=np.int64)
    for index, rule in enumerate(source.values.values()):
        if isinstance(rule, ValueRange):
            hit = (whole >= rule.min) & (whole <= rule.max)
        else:
            hit = np.isin(codes, np.asarray(rule, dtype="float64"))
        if np.any(hit & (chosen >= 0)):
            raise InputError(
                f"attribute variable {source.variable}: a code matches more than one value "
                f"(overlapping values in the build config)"
            )
        chosen[hit] = index
    return pd.Categorical.from_codes(chosen, categories=pd.Index(labels))


def _source_for(spec: AttributeSpec, columns: pd.Index) -> AttributeSource:
    if spec.source.variable in columns:
        return spec.source
    if spec.derive_from is not None and spec.derive_from.variable in columns:
        return spec.derive_from
    wanted = spec.source.variable + (
        f" (or {spec.derive_from.variable})" if spec.derive_from is not None else ""
    )
    raise InputError(f"missing column {wanted}, needed by attribute {spec.name}")


def item_positions(codes: pd.Series, item: Item) -> tuple[pd.Series, int]:
    """Scale positions of one item's answer codes, and how many codes were unexpected.

    One lookup in a table indexed by code (``np.take``), not a per-value map: answer codes are
    small non-negative integers.
    """
    values = codes.to_numpy(dtype="float64", na_value=np.nan)
    option_codes = np.asarray(item.codes, dtype=np.int64)
    table = np.full(int(option_codes.max(initial=-1)) + 2, -1, dtype=np.int64)
    table[option_codes[option_codes >= 0]] = np.arange(len(option_codes))[option_codes >= 0]
    # Anything that is not a code of the table (missing, negative, fractional, too large)
    # looks up the last slot, which is always -1.
    whole = np.isfinite(values) & (values >= 0) & (values < len(table) - 1)
    whole &= values == np.floor(np.where(whole, values, 0))
    index = np.where(whole, values, len(table) - 1).astype(np.int64)
    positions = np.take(table, index)
    excluded = np.asarray([option.code for option in item.excluded], dtype="float64")
    unexpected = (values >= 0) & (positions < 0) & ~np.isin(values, excluded)
    array = pd.arrays.IntegerArray(positions.astype(np.int8), mask=positions < 0)
    return pd.Series(array, index=codes.index), int(unexpected.sum())


WEIGHT_RANGE: Final = (1e-6, 1e6)
"""Smallest and largest usable survey weight. Survey weights are relative, near 1 (the WVS's
lie between about 0.1 and 10); outside this range the arithmetic of shares and of their
reliability loses its precision."""


def harmonise(
    frame: pd.DataFrame,
    config: BuildConfig,
    items: Sequence[Item],
    weighted: bool,
) -> Respondents:
    """Build the respondents table from one country's raw rows.

    Args:
        frame: raw rows with WVS column names (float codes, negatives still present).
        config: the attributes and weight column.
        items: the catalogue items present in ``frame``.
        weighted: use ``config.weight`` (False: ``--unweighted``).

    Raises:
        InputError: an attribute's variable is absent, the weight column the config names is
            absent, or a weight is missing, infinite, zero or negative.
    """
    columns: dict[str, object] = {}
    use_weight = weighted and config.weight is not None
    if use_weight and config.weight not in frame:
        # Building unweighted with a note changed every distribution while the config said
        # otherwise (a renamed or misspelled column); the user chooses, not the builder.
        raise InputError(
            f"column {config.weight}: not in the file, but {config.source} names it as the "
            "weight ($.weight); set $.weight to the file's weight column (null for none) or "
            f"build with {_UNWEIGHTED}"
        )
    if use_weight:
        assert config.weight is not None
        weights = frame[config.weight]
        # A weight of 0 (or all of them 0) would count a respondent in n_valid but in no share,
        # and an infinite one would swamp everyone else: both give NaN or meaningless shares.
        # So would finite extremes: the reliability sums squares of weights and works in
        # float32, where 1e300 overflows and 1e-320 vanishes (NaN or 1.0 mode stability).
        low, high = WEIGHT_RANGE
        values = weights.to_numpy(dtype="float64")
        with np.errstate(invalid="ignore"):
            unusable = ~((values >= low) & (values <= high))
        if unusable.any():
            first = weights[unusable].iloc[0]
            raise InputError(
                f"column {config.weight}: {int(unusable.sum())} respondent(s) with a missing, "
                f"infinite, zero, negative or extreme weight (first: {first}); weights must be "
                f"finite and between {low:g} and {high:g} (or build with {_UNWEIGHTED})"
            )
        columns["weight"] = weights.to_numpy(dtype="float64")
    else:
        columns["weight"] = np.ones(len(frame), dtype="float64")
    sources: dict[str, AttributeSource] = {}
    for name, spec in config.attributes.items():
        source = _source_for(spec, frame.columns)
        sources[name] = source
        columns[name] = attribute_labels(frame[source.variable], source)
    unexpected: dict[str, int] = {}
    for item in items:
        positions, n_unexpected = item_positions(frame[item.question_id], item)
        columns[item.question_id] = positions.array
        if n_unexpected:
            unexpected[item.question_id] = n_unexpected
    table = pd.DataFrame(columns, index=pd.RangeIndex(len(frame), name="respondent"))
    return Respondents(
        table=table,
        attribute_sources=sources,
        weighted=use_weight,
        unexpected_codes=unexpected,
    )
