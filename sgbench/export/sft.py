"""Fine-tuning records: ``sgbench export sft``.

One chat-format record per sample, ``{"messages": [...]}``: the template's prompt messages, then
the assistant's reply, the template's target filled with the subgroup's modal code
(``Answer: 3`` for the ``paper`` template, the form the paper fine-tuned on). When several codes
tie for the mode, the dataset's ``answer`` (the first in scale order) is used. The shape is the
chat format that OpenAI fine-tuning, TRL's ``SFTTrainer`` and most trainers read.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

from sgbench.boundary import PathArg, public
from sgbench.dataset import SPLITS
from sgbench.errors import SgbenchWarning
from sgbench.prompts import Message, Template, render_prompt, render_target
from sgbench.prompts.templates import split_lines

EVALUATION_SPLITS: Final = frozenset(SPLITS) - {"train", "validation"}
"""Splits whose targets are what the benchmark scores; fine-tuning on them leaks the answers."""


@public
def sft_record(template: Template, row: Mapping[str, Any]) -> dict[str, list[Message]]:
    """One sample's record: the prompt messages and the assistant's modal answer."""
    messages = list(render_prompt(template, row)["messages"])
    messages.append(Message(role="assistant", content=render_target(template, row)))
    return {"messages": messages}


@public
def sft_jsonl(template: Template, rows: Sequence[Mapping[str, Any]]) -> str:
    """Every row's record as JSON Lines, in row order (trailing newline; '' for no rows)."""
    return "".join(json.dumps(sft_record(template, row), ensure_ascii=False) + "\n" for row in rows)


@public
def split_sft_jsonl(
    dataset: PathArg, config: str, split: str, template_name: PathArg
) -> Iterator[str]:
    """``sgbench export sft``: the records of one split with a template (name or file), one JSON
    line at a time. The template, dataset, config and split are read and checked at the call,
    before any line.

    Warns:
        SgbenchWarning: ``split`` is one of :data:`EVALUATION_SPLITS` (the command line shows it
            as its ``warning:`` line): fine-tuning on it leaks the targets the benchmark scores.

    Raises:
        InputError: the template, the dataset, the config or the split cannot be used.
    """
    lines = split_lines(dataset, config, split, template_name, sft_record)
    if split in EVALUATION_SPLITS:
        # Warned once the call is known to succeed; stacklevel 3 names the caller, past the
        # boundary's wrapper.
        warnings.warn(
            f"{split} is an evaluation split; fine-tuning on it leaks the targets",
            SgbenchWarning,
            stacklevel=3,
        )
    return lines
