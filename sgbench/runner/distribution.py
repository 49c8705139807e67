"""Distributional predictions from a model: ``sgbench run --distribution MODE``.

The three modes differ in what the model is asked and how its answer distribution over the
item's option codes is read (Meister et al. 2024 compare them and find that the verbalized one
tracks a population's distribution best, and the log-probabilities of one token worst):

- ``logprobs``: one greedy request with ``logprobs`` and ``top_logprobs``. The answer token is
  the first generated token whose text (spaces stripped) is one of the item's codes, so an
  ``Answer:`` prefix is skipped; the distribution is ``exp(logprob)`` of each listed alternative
  at that position that is a code (tokens with the same stripped text summed), renormalised
  over the codes. ``mass_outside`` is the probability the listed alternatives put elsewhere
  (1 − their code mass, so it includes what the server did not list).
- ``sample``: ``N`` answers per prompt (the ``n`` parameter, topped up with further requests
  when a server returns fewer choices); the distribution is the shares of the parsed answers
  (multiples of 1/k for the k answers that parse); refusals and unparsed answers are left out.
- ``verbalized``: the ``verbalized`` template asks for a percentage per option as one JSON
  object; the last object in the reply whose keys are all option codes is read strictly
  (non-negative finite numbers adding up to 100 ± :data:`VERBALIZED_TOLERANCE`; a code left out
  counts 0) and divided by its sum. A reply longer than
  :data:`~sgbench.scoring.parse.MAX_REPLY_CHARS` is not read, as ``parse`` reads none: a
  distribution is then missing, as an answer would be.

A distribution is a ``{"<code>": share}`` mapping over the item's codes (shares sum to 1); the
prediction's ``answer`` is its mode (:func:`sgbench.scoring.parse` reads it from the line).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

from sgbench.runner.client import TokenLogprobs, embedded_objects
from sgbench.scoring.parse import MAX_REPLY_CHARS

Mode = Literal["logprobs", "sample", "verbalized"]
MODES: Final[tuple[Mode, ...]] = ("logprobs", "sample", "verbalized")

VERBALIZED_TEMPLATE: Final = "verbalized"
"""The built-in template ``verbalized`` mode uses unless another is given."""

DEFAULT_SAMPLES: Final = 10
"""Answers per prompt in ``sample`` mode unless told."""

MAX_SAMPLES: Final = 1000
"""Most answers per prompt in ``sample`` mode (``--samples``): a server returning fewer choices
than asked is asked again until they are all there, so the count bounds the requests."""

DEFAULT_TOP_LOGPROBS: Final = 20
"""Alternatives asked per position in ``logprobs`` mode (OpenAI's maximum)."""

VERBALIZED_TOLERANCE: Final = 1.0
"""Percentage points a verbalized distribution's sum may miss 100 by (rounding)."""

Options = Sequence[tuple[int, str]]
Distribution = dict[str, float]

_FENCE: Final = re.compile(r"```(?:json)?", re.IGNORECASE)


def row_options(rows: Sequence[Mapping[str, Any]]) -> dict[str, list[tuple[int, str]]]:
    """Sample id → its options ``(code, label)`` in scale order, from split rows."""
    return {
        str(row["id"]): [(int(o["code"]), str(o["label"])) for o in row["options"]] for row in rows
    }


def logprob_distribution(
    tokens: Sequence[TokenLogprobs], codes: Sequence[int]
) -> tuple[Distribution, float] | None:
    """The distribution at the answer token and the mass outside the codes (module docstring);
    None when no generated token is a code."""
    wanted = {str(code) for code in codes}
    for token in tokens:
        if token.token.strip() not in wanted:
            continue
        # Every listed alternative counts, one text listed twice too (tokens of one text, as
        # byte-level tokenizers have): a mapping kept only the last of them.
        listed = list(token.top)
        if all(text != token.token for text, _ in listed):
            listed.append((token.token, token.logprob))
        logs = [(text.strip(), logprob) for text, logprob in listed]
        # Shares relative to the likeliest code, so that log-probabilities whose exp underflows
        # (-800, -1e308) still give a distribution, and never a division by zero.
        top = max(logprob for code, logprob in logs if code in wanted)
        mass: dict[str, float] = {}
        for code, logprob in logs:
            if code in wanted:
                mass[code] = mass.get(code, 0.0) + math.exp(logprob - top)
        scale = sum(mass.values())  # at least 1: the likeliest code counts exp(0)
        shares = {str(c): mass.get(str(c), 0.0) / scale for c in codes}
        return shares, max(0.0, 1.0 - scale * math.exp(top))
    return None


def sample_distribution(answers: Sequence[int | None], codes: Sequence[int]) -> Distribution | None:
    """Shares of the parsed answers (None entries left out); None when none parsed."""
    counted = Counter(a for a in answers if a is not None)
    total = sum(counted.values())
    if not total:
        return None
    return {str(code): counted[code] / total for code in codes}


def _percentage(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value >= 0 else None


def verbalized_distribution(text: str, codes: Sequence[int]) -> Distribution | None:
    """The percentages of a verbalized reply as shares (module docstring); None if unreadable."""
    if len(text) > MAX_REPLY_CHARS:
        return None
    wanted = {str(code) for code in codes}
    candidates = [
        obj
        for obj in embedded_objects(_FENCE.sub("", text))
        if obj and all(key in wanted for key in obj)
    ]
    if not candidates:
        return None
    chosen = {key: _percentage(value) for key, value in candidates[-1].items()}
    if any(value is None for value in chosen.values()):
        return None
    total = sum(value or 0.0 for value in chosen.values())
    if abs(total - 100.0) > VERBALIZED_TOLERANCE or total <= 0:
        return None
    return {str(code): (chosen.get(str(code)) or 0.0) / total for code in codes}
