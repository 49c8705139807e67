"""Fine-tuning records: ``sgbench export sft``.

One chat-format record per sample, ``{"messages": [...]}``: the template's prompt messages, then
the assistant's reply, the template's target filled with the subgroup's modal code
(``Answer: 3`` for the ``paper`` template, the form the paper fine-tuned on). When several codes
tie for the mode, the dataset's ``answer`` (the first in scale order) is used. The shape is the
chat format that OpenAI fine-tuning, TRL's ``SFTTrainer`` and most trainers read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from sgbench.dataset import SPLITS
from sgbench.prompts import (
    Message,
    Template,
    load_template,
    render_prompt,
    render_target,
    split_rows,
)

EVALUATION_SPLITS: Final = frozenset(SPLITS) - {"train", "validation"}
"""Splits whose targets are what the benchmark scores; fine-tuning on them leaks the answers."""


def sft_record(template: Template, row: Mapping[str, Any]) -> dict[str, list[Message]]:
    """One sample's record: the prompt messages and the assistant's modal answer."""
    messages = list(render_prompt(template, row)["messages"])
    messages.append(Message(role="assistant", content=render_target(template, row)))
    return {"messages": messages}


def sft_jsonl(template: Template, rows: Sequence[Mapping[str, Any]]) -> str:
    """Every row's record as JSON Lines, in row order (trailing newline; '' for no rows)."""
    return "".join(json.dumps(sft_record(template, row), ensure_ascii=False) + "\n" for row in rows)


def split_sft_jsonl(
    dataset: str | Path, config: str, split: str, template_name: str | Path
) -> Iterator[str]:
    """``sgbench export sft``: the records of one split with a template (name or file), one JSON
    line at a time (memory holds the split and one record, never every record)."""
    template = load_template(template_name)
    for row in split_rows(dataset, config, split):
        yield json.dumps(sft_record(template, row), ensure_ascii=False) + "\n"
