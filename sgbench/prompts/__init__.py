"""Persona prompts for the dataset's samples: ``sgbench prompts``.

:mod:`~sgbench.prompts.templates` holds the built-in templates (``paper``, ``plain``, ``json``,
``open``), reads template files and renders a split; :mod:`~sgbench.prompts.render` fills one
template with one sample's fields (standard library only, because the lm-evaluation-harness
export copies it).
"""

from __future__ import annotations

from sgbench.prompts.templates import (
    BUILTIN_TEMPLATES,
    TEMPLATES,
    Message,
    Prompt,
    Template,
    build_prompts,
    load_template,
    prompts_jsonl,
    render_prompt,
    render_target,
    split_prompts_jsonl,
    split_rows,
)

__all__ = [
    "BUILTIN_TEMPLATES",
    "TEMPLATES",
    "Message",
    "Prompt",
    "Template",
    "build_prompts",
    "load_template",
    "prompts_jsonl",
    "render_prompt",
    "render_target",
    "split_prompts_jsonl",
    "split_rows",
]
