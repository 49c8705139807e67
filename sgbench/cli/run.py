"""Prompts and model runs: ``prompts`` and ``run``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from sgbench.cli.errors import left_out, on_interrupt
from sgbench.cli.options import (
    FiniteFloat,
    OutputFile,
    api_key_env_option,
    base_url_option,
    concurrency_option,
    config_option,
    dataset_option,
    max_attempts_option,
    max_tokens_option,
    model_option,
    out_file_option,
    progress_option,
    refuse_unused,
    sampling_seed_option,
    split_option,
    temperature_option,
    template_file,
    template_option,
    timeout_option,
)
from sgbench.cli.output import say
from sgbench.dataset import evaluation_split
from sgbench.errors import shown_name
from sgbench.files import check_outputs_apart
from sgbench.prompts.templates import TEMPLATES
from sgbench.runner.distribution import (
    DEFAULT_SAMPLES,
    MAX_SAMPLES,
    MODES,
    VERBALIZED_TEMPLATE,
    Mode,
)


def resumable_note(out_path: Path, what: str) -> Callable[[], str]:
    """What to say when a resumable command is interrupted, asked at that time: a command
    interrupted before its first line (still reading the dataset) has written nothing, and
    pointing to a file that does not exist sent the user looking for it."""
    where = shown_name(str(out_path))

    def note() -> str:
        try:
            written = out_path.stat().st_size > 0
        except OSError:
            written = False
        if not written:
            return f"no {what} were written to {where}; run the same command again to start"
        return f"the {what} so far are in {where}; run the same command again to resume"

    return note


@click.command(name="prompts")
@dataset_option
@config_option
@split_option()
@template_option
def prompts_command(dataset_dir: str, config: str, split: str | None, template_name: str) -> None:
    """Write the persona prompts of one split as JSON Lines to stdout.

    One line per sample: {"id", "template", "messages" (system + user, chat form), "prompt"
    (plain text)}. The same dataset and template always give the same text.
    """
    from sgbench.prompts import split_prompts_jsonl

    check_outputs_apart(
        [("--dataset", dataset_dir), ("--template", template_file(template_name))], []
    )
    for line in split_prompts_jsonl(
        dataset_dir, config, split or evaluation_split(config), template_name
    ):
        click.echo(line, nl=False)


@click.command(name="run")
@base_url_option(
    "OpenAI-compatible API base, e.g. http://localhost:8000/v1 (/chat/completions is appended)."
)
@model_option("Model name sent with each request, and recorded.")
@template_option
@dataset_option
@config_option
@split_option()
@out_file_option(
    "Responses file (JSON Lines), appended to; samples already answered in it are skipped."
)
@click.option(
    "--predictions",
    "predictions_path",
    type=OutputFile(path_type=Path),
    default=None,
    help="Then parse the responses (as `sgbench parse` does) into this predictions file.",
)
@concurrency_option
@temperature_option("Sampling temperature.")
@max_tokens_option(64, "Most tokens per response (sent as max_tokens).")
@click.option(
    "--max-completion-tokens",
    type=click.IntRange(min=1),
    default=None,
    help="Most tokens per response, sent as max_completion_tokens instead of max_tokens (newer "
    "OpenAI models refuse max_tokens; reasoning tokens count).",
)
@click.option(
    "--top-p",
    type=FiniteFloat(min=0.0, max=1.0, min_open=True),
    default=None,
    help="Nucleus sampling; sent only when given.",
)
@click.option(
    "--distribution",
    type=click.Choice(MODES),
    default=None,
    help="Also record the model's answer distribution: logprobs (of the answer token; needs a "
    "server with logprobs), sample (--samples answers per prompt, at --temperature > 0) or "
    "verbalized (percentages per option; the verbalized template unless --template is given). "
    "The prediction's answer is then the distribution's mode.",
)
@click.option(
    "--samples",
    type=click.IntRange(min=2, max=MAX_SAMPLES),
    default=DEFAULT_SAMPLES,
    show_default=True,
    help="Answers per prompt for --distribution sample.",
)
@sampling_seed_option
@timeout_option
@max_attempts_option("Attempts per sample before it is recorded as an error.")
@api_key_env_option(
    "Environment variable holding the API key (default: OPENAI_API_KEY, and no key is sent when "
    "it is unset). The key is never printed or written."
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=None,
    help="Only the first N samples of the split (a quick trial).",
)
@progress_option
def run_command(
    base_url: str,
    model: str,
    template_name: str,
    dataset_dir: str,
    config: str,
    split: str | None,
    out_path: Path,
    predictions_path: Path | None,
    concurrency: int,
    temperature: float | None,
    max_tokens: int,
    max_completion_tokens: int | None,
    top_p: float | None,
    distribution: Mode | None,
    samples: int,
    seed: int | None,
    timeout: float,
    max_attempts: int,
    api_key_env: str | None,
    limit: int | None,
    progress: bool | None,
) -> None:
    """Send the prompts of one split to an OpenAI-compatible chat-completions endpoint.

    Appends one line per sample to --out as each request finishes ({"id", "response", "model",
    "template", "params", ...}). 429, 5xx, timeouts and malformed replies are retried with
    exponential backoff (Retry-After honoured); samples that still fail get an error line, and
    once max(--concurrency, 3) fail so in a row the run stops (exit code 2). A refusal is an
    answer (recorded with "refusal", never retried). Run the same command again to resume and
    to retry the errors. Exit code 3 when errors remain. --out and --predictions are
    locked while the command runs: a second run on them is refused.
    """
    from sgbench.runner import (
        Endpoint,
        RetryPolicy,
        SamplingParams,
        api_key_from_env,
        run_benchmark,
    )

    source = click.get_current_context().get_parameter_source("template_name")
    template_given = source is not click.core.ParameterSource.DEFAULT
    refuse_unused(
        (
            "--max-tokens",
            "max_tokens",
            max_completion_tokens is None,
            "with --max-completion-tokens, which replaces it",
        ),
        ("--samples", "samples", distribution == "sample", "without --distribution sample"),
        (
            "--distribution verbalized",
            "distribution",
            distribution != "verbalized"
            or not template_given
            or template_name not in TEMPLATES
            or template_name == VERBALIZED_TEMPLATE,
            f"with the built-in template {template_name}, which asks for one answer, not a "
            "percentage per option (give --template verbalized, or a template file of yours)",
        ),
    )
    on_interrupt(resumable_note(out_path, "responses"))
    if distribution == "verbalized" and not template_given:
        template_name = VERBALIZED_TEMPLATE
    outcome = run_benchmark(
        dataset_dir,
        out_path,
        model=model,
        endpoint=Endpoint(
            base_url=base_url, api_key=api_key_from_env(api_key_env), timeout=timeout
        ),
        config=config,
        split=split or evaluation_split(config),
        template_name=template_name,
        params=SamplingParams(
            temperature=temperature,
            max_tokens=max_tokens,
            max_completion_tokens=max_completion_tokens,
            top_p=top_p,
            seed=seed,
        ),
        concurrency=concurrency,
        policy=RetryPolicy(max_attempts=max_attempts),
        limit=limit,
        predictions_path=predictions_path,
        show_progress=progress,
        distribution=distribution,
        samples=samples,
    )
    say(outcome.render())
    if outcome.summary.n_errors:
        left_out()
