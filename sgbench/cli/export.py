"""Exports for training and other harnesses: ``export sft`` and ``export lm-eval``."""

from __future__ import annotations

from pathlib import Path

import click

from sgbench.cli.options import (
    config_option,
    dataset_option,
    out_folder_option,
    split_option,
    template_file,
    template_option,
)
from sgbench.cli.output import wrote
from sgbench.dataset import evaluation_split
from sgbench.errors import shown_name
from sgbench.files import check_outputs_apart


@click.group(name="export")
def export_group() -> None:
    """Export the dataset for fine-tuning (sft) or for lm-evaluation-harness (lm-eval)."""


@export_group.command(name="sft")
@dataset_option
@config_option
@split_option("train", "Split to export: train, or validation for an evaluation set.")
@template_option
def export_sft_command(dataset_dir: str, config: str, split: str, template_name: str) -> None:
    """Write chat-format fine-tuning records (JSON Lines) to stdout.

    One {"messages": [...]} per sample: the template's prompt messages, then the assistant's
    reply with the subgroup's modal answer ("Answer: <code>" for the paper template).
    """
    from sgbench.export import split_sft_jsonl

    check_outputs_apart(
        [("--dataset", dataset_dir), ("--template", template_file(template_name))], []
    )
    for line in split_sft_jsonl(dataset_dir, config, split, template_name):
        click.echo(line, nl=False)


@export_group.command(name="lm-eval")
@out_folder_option(
    "Task folder to write (TASK.yaml and utils.py); an existing one is replaced only if "
    "it holds an earlier export.",
    required=True,
)
@dataset_option
@config_option
@split_option()
@template_option
def export_lm_eval_command(
    out_dir: Path, dataset_dir: str, config: str, split: str | None, template_name: str
) -> None:
    """Write an lm-evaluation-harness task: multiple choice over each sample's options.

    The task is named after the dataset, config and split (wvs_sg_subgroups_default_test_ood);
    --dataset is a built folder (written as an absolute path) or a Hub dataset hf://org/name.
    Then run:
    lm_eval --model hf --model_args pretrained=MODEL --include_path OUT --tasks TASK
    [--num_fewshot N] [--apply_chat_template]
    """
    from sgbench.export import write_lm_eval_task
    from sgbench.prompts import load_template

    check_outputs_apart(
        [("--dataset", dataset_dir), ("--template", template_file(template_name))],
        [("--out", out_dir)],
    )
    template = load_template(template_name)
    split = split or evaluation_split(config)
    written = write_lm_eval_task(out_dir, dataset_dir, config, split, template)
    wrote(written, written.parent / "utils.py", note=f": task {shown_name(written.stem)}")
