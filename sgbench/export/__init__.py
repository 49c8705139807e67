"""Exports of the dataset for other tools: ``sgbench export sft`` and ``sgbench export lm-eval``.

:mod:`~sgbench.export.sft` writes chat-format fine-tuning records; :mod:`~sgbench.export.lm_eval`
writes an lm-evaluation-harness task folder.
"""

from __future__ import annotations

from sgbench.export.lm_eval import write_lm_eval_task
from sgbench.export.sft import EVALUATION_SPLITS, sft_jsonl, sft_record, split_sft_jsonl

__all__ = [
    "EVALUATION_SPLITS",
    "sft_jsonl",
    "sft_record",
    "split_sft_jsonl",
    "write_lm_eval_task",
]
