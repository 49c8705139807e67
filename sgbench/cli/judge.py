"""Open-ended answers judged pairwise: ``judge`` and ``judge-report``."""

from __future__ import annotations

from pathlib import Path

import click

from sgbench.cli.errors import left_out, on_interrupt
from sgbench.cli.options import (
    InputPath,
    api_key_env_option,
    base_url_option,
    bootstrap_option,
    bootstrap_seed_option,
    concurrency_option,
    config_option,
    dataset_option,
    json_report_option,
    max_attempts_option,
    max_tokens_option,
    model_option,
    out_file_option,
    progress_option,
    refuse_unused_resampling,
    resampling_options,
    sampling_seed_option,
    split_option,
    temperature_option,
    timeout_option,
)
from sgbench.cli.output import say, show_report
from sgbench.cli.run import resumable_note
from sgbench.dataset import evaluation_split
from sgbench.files import check_outputs_apart, check_outputs_replaceable


@click.command(name="judge")
@click.argument("a_path", metavar="A", type=InputPath(dir_okay=False, path_type=Path))
@click.argument("b_path", metavar="B", type=InputPath(dir_okay=False, path_type=Path))
@base_url_option("The judge's OpenAI-compatible API base, e.g. http://localhost:8000/v1.")
@model_option("Judge model name sent with each request, and recorded.")
@dataset_option
@config_option
@split_option()
@click.option(
    "--criteria",
    default="overall,value,persona",
    show_default=True,
    help="Comma-separated criteria: overall, value (closer to how the subgroup answers), "
    "persona (consistent with who is speaking).",
)
@out_file_option("Judgments file (JSON Lines), appended to; judgments already in it are skipped.")
@concurrency_option
@temperature_option("The judge's sampling temperature.")
@max_tokens_option(256, "Most tokens per judge reply.")
@sampling_seed_option
@timeout_option
@max_attempts_option("Attempts per request before the judgment is recorded as an error.")
@api_key_env_option(
    "Environment variable holding the judge's API key (default: OPENAI_API_KEY, and no key is "
    "sent when it is unset). The key is never printed or written."
)
@progress_option
def judge_command(
    a_path: Path,
    b_path: Path,
    base_url: str,
    model: str,
    dataset_dir: str,
    config: str,
    split: str | None,
    criteria: str,
    out_path: Path,
    concurrency: int,
    temperature: float,
    max_tokens: int,
    seed: int | None,
    timeout: float,
    max_attempts: int,
    api_key_env: str | None,
    progress: bool | None,
) -> None:
    """Judge two responses files of `sgbench run` pairwise with an LLM judge.

    For every sample of the split answered in both A and B, the judge sees the persona, the
    question, the subgroup's answer distribution and both responses, in both orders (AB and BA),
    and gives a verdict per criterion. Unreadable verdicts are retried once, then recorded as
    unparsed. Requests are retried as `sgbench run` retries them, and stop the same way once
    max(--concurrency, 3) in a row fail after all their attempts (exit code 2); the run stops
    too when its first max(--concurrency, 3) judgments are all unparsed (a misconfigured judge).
    Run the same command again to resume. Exit code 3 when request errors remain or judgments
    of this run were left unparsed.
    """
    from sgbench.judge import judge_files, parse_criteria
    from sgbench.runner import Endpoint, RetryPolicy, SamplingParams, api_key_from_env

    on_interrupt(resumable_note(out_path, "judgments"))
    summary = judge_files(
        a_path,
        b_path,
        out_path,
        dataset=dataset_dir,
        model=model,
        endpoint=Endpoint(
            base_url=base_url, api_key=api_key_from_env(api_key_env), timeout=timeout
        ),
        config=config,
        split=split or evaluation_split(config),
        criteria=parse_criteria(criteria),
        params=SamplingParams(temperature=temperature, max_tokens=max_tokens, seed=seed),
        concurrency=concurrency,
        policy=RetryPolicy(max_attempts=max_attempts),
        show_progress=progress,
    )
    say(summary.render())
    if not summary.complete:
        left_out()


@click.command(name="judge-report")
@click.argument(
    "judgments_path",
    metavar="JUDGMENTS",
    type=InputPath(dir_okay=False, path_type=Path),
)
@json_report_option
@bootstrap_option()
@bootstrap_seed_option
@resampling_options("every fairness statistic")
def judge_report_command(
    judgments_path: Path,
    json_out: str | None,
    n_boot: int,
    seed: int,
    n_permutations: int,
    resample: str,
) -> None:
    """Summarise a judgments file of `sgbench judge`: A's win rate over B per criterion.

    Win 1, tie 0.5, loss 0, averaged over both orders, with bootstrap intervals over questions;
    how often the first-shown response wins (position bias); how often the two orders agree; win
    rates per subgroup and attribute value with their spread beyond sampling noise (cv_between)
    and its permutation p-value. Unparsed verdicts and request errors are left out and counted.
    """
    from sgbench.judge import judge_report, write_judge_report
    from sgbench.judge.report import JUDGE_REPORT

    refuse_unused_resampling(n_boot, n_permutations)
    check_outputs_apart([("JUDGMENTS", judgments_path)], [("--json", json_out)])
    check_outputs_replaceable([("--json", None if json_out == "-" else json_out, JUDGE_REPORT)])
    report = judge_report(
        judgments_path,
        n_boot=n_boot,
        seed=seed,
        n_permutations=n_permutations,
        resample=resample,  # type: ignore[arg-type]  # the option's choices are the modes
    )
    show_report(report, json_out, write_judge_report)
