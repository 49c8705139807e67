"""Scoring prediction files: ``score`` and ``parse``."""

from __future__ import annotations

from pathlib import Path

import click

from sgbench.cli.options import (
    InputPath,
    OutputFile,
    bootstrap_option,
    bootstrap_seed_option,
    config_option,
    dataset_option,
    json_report_option,
    model_name,
    refuse_unused_resampling,
    resampling_options,
    split_option,
)
from sgbench.cli.output import say, show_report
from sgbench.dataset import evaluation_split
from sgbench.errors import InputError
from sgbench.files import check_outputs_apart, check_outputs_replaceable


@click.command()
@click.argument(
    "predictions_path",
    metavar="PRED",
    type=InputPath(dir_okay=False, path_type=Path),
)
@dataset_option
@config_option
@split_option()
@json_report_option
@bootstrap_option()
@bootstrap_seed_option
@resampling_options("every fairness statistic")
@click.option(
    "--strict",
    is_flag=True,
    help="Refuse the file if a sample of the split has no prediction "
    "(by default it is scored as wrong).",
)
@click.option(
    "--plot",
    "plot_out",
    type=OutputFile(path_type=Path),
    default=None,
    metavar="OUT.png|OUT.svg",
    help="Also draw accuracy and NMAE per attribute value with their intervals to this chart "
    "(needs pip install 'sgbench[plots]').",
)
@click.option(
    "--model",
    "model",
    default=None,
    metavar="NAME",
    callback=model_name,
    help="The model's name, for the --plot chart's title (with the predictions file's name); "
    "only with --plot.",
)
def score(
    predictions_path: Path,
    dataset_dir: str,
    config: str,
    split: str | None,
    json_out: str | None,
    n_boot: int,
    seed: int,
    n_permutations: int,
    resample: str,
    strict: bool,
    plot_out: Path | None,
    model: str | None,
) -> None:
    """Score a predictions file (JSON Lines) on one split of the dataset.

    PRED has one {"id": ..., "answer": <option code>} object per line (optionally
    "distribution" and "response"). --dataset may also be a Hugging Face Hub dataset written
    hf://org/name (fetched; nothing else is looked up online).
    """
    from sgbench.scoring import score_predictions, write_report
    from sgbench.scoring.report import SCORE_REPORT
    from sgbench.stats.plots import CHART

    if model is not None and plot_out is None:
        # The report records no model name: without a chart the option would do nothing.
        raise InputError("--model names the model in the --plot chart's title; give --plot too")
    refuse_unused_resampling(n_boot, n_permutations)
    check_outputs_apart(
        [("PRED", predictions_path), ("--dataset", dataset_dir)],
        [("--json", json_out), ("--plot", plot_out)],
    )
    check_outputs_replaceable(
        [
            ("--json", None if json_out == "-" else json_out, SCORE_REPORT),
            ("--plot", plot_out, CHART),
        ]
    )
    split = split or evaluation_split(config)
    report = score_predictions(
        predictions_path,
        dataset_dir,
        config=config,
        split=split,
        n_boot=n_boot,
        seed=seed,
        strict=strict,
        n_permutations=n_permutations,
        resample=resample,  # type: ignore[arg-type]  # the option's choices are the modes
    )
    if plot_out is not None:
        from sgbench.stats.plots import write_score_chart

        write_score_chart(report, plot_out, predictions_path, model)
    show_report(report, json_out, write_report)
    if report.n_missing:
        say(
            f"note: {report.n_missing} sample(s) of {split} have no prediction; "
            "they are scored as wrong (use --strict to refuse)"
        )


@click.command()
@click.argument(
    "responses_path",
    metavar="RESPONSES",
    type=InputPath(dir_okay=False, path_type=Path),
)
@dataset_option
@config_option
def parse(responses_path: Path, dataset_dir: str, config: str) -> None:
    """Turn raw model output into predictions: RESPONSES has {"id", "response"} lines.

    Writes predictions (JSON Lines) to stdout; responses that give no single valid option are
    left out (missing) and listed on stderr. Refusals recorded by `sgbench run` stay missing,
    are counted, and are written as {"id", "refusal"} for the score report.
    """
    from sgbench.scoring import parse_responses
    from sgbench.scoring.parse import MAX_REPLY_CHARS

    check_outputs_apart([("RESPONSES", responses_path), ("--dataset", dataset_dir)], [])
    result = parse_responses(responses_path, dataset_dir, config=config)
    click.echo(result.to_jsonl(), nl=False)
    refused = f", {len(result.refused_ids)} refused" if result.refused_ids else ""
    say(f"parsed {len(result.predictions)} of {result.n_lines} responses{refused}")
    if result.unparsed_ids:
        say(f"{len(result.unparsed_ids)} response(s) could not be parsed (left missing):")
        too_long = set(result.too_long_ids)
        note = f" (longer than {MAX_REPLY_CHARS:,} characters; not read)"
        for sample_id in result.unparsed_ids:
            say(f"  {sample_id}{note if sample_id in too_long else ''}")
