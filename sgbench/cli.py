"""The ``sgbench`` command line: parses arguments and calls one library function per command.

Every command turns :class:`sgbench.errors.SgbenchError` into one ``Error: ...`` line on stderr
and exit code 2 (click's own usage errors use 2 as well). Data goes to stdout, diagnostics to
stderr.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol, TypeVar

import click

from sgbench import DATASET_NAME, __version__
from sgbench.errors import SgbenchError

F = TypeVar("F", bound=Callable[..., Any])


class SgbenchClickError(click.ClickException):
    """A library error shown as one line, with exit code 2."""

    exit_code = 2


def reports_errors(command: F) -> F:
    """Wrap a command so that library errors become one line and exit code 2, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except SgbenchError as exc:
            raise SgbenchClickError(str(exc)) from None

    return wrapper  # type: ignore[return-value]


dataset_option = click.option(
    "--dataset",
    "dataset_dir",
    default=DATASET_NAME,
    show_default=True,
    help="A built dataset folder (see `sgbench build`).",
)
config_option = click.option(
    "--config",
    "config",
    type=click.Choice(["default", "paper"]),
    default="default",
    show_default=True,
    help="Dataset config: `default` (train/validation/test_id/test_ood) or `paper`.",
)
split_option = click.option(
    "--split",
    default="test_ood",
    show_default=True,
    help="Split to use (train, validation, test_id or test_ood).",
)

# Reports (`score`, `judge-report`, `leaderboard`).

json_report_option = click.option(
    "--json",
    "json_out",
    type=click.Path(dir_okay=False, allow_dash=True),
    default=None,
    help="Also write the full JSON report to this file; `-` writes it to stdout "
    "(the summary then goes to stderr).",
)


_BOOTSTRAP_HELP = "Bootstrap replicates (resampling questions) for the 95% intervals; 0 for none."


def bootstrap_option(help_text: str = _BOOTSTRAP_HELP) -> Callable[[F], F]:
    """``--bootstrap N`` (into ``n_boot``): 0..100000 replicates, default 1000."""
    return click.option(
        "--bootstrap",
        "n_boot",
        type=click.IntRange(min=0, max=100_000),
        default=1000,
        show_default=True,
        help=help_text,
    )


bootstrap_seed_option = click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Seed of the bootstrap's random generator.",
)

# Requests to an OpenAI-compatible endpoint (`run`, `judge`); the factories take what differs.


def base_url_option(help_text: str) -> Callable[[F], F]:
    """``--base-url`` (required): the endpoint's API base."""
    return click.option("--base-url", required=True, help=help_text)


def model_option(help_text: str) -> Callable[[F], F]:
    """``--model`` (required): the model name sent and recorded."""
    return click.option("--model", required=True, help=help_text)


def out_file_option(help_text: str) -> Callable[[F], F]:
    """``--out`` (into ``out_path``, required): the JSON Lines file appended to."""
    return click.option(
        "--out",
        "out_path",
        type=click.Path(path_type=Path, dir_okay=False),
        required=True,
        help=help_text,
    )


concurrency_option = click.option(
    "--concurrency",
    type=click.IntRange(1, 256),
    default=8,
    show_default=True,
    help="Requests in flight at once.",
)


def temperature_option(help_text: str) -> Callable[[F], F]:
    """``--temperature`` (>= 0, default 0)."""
    return click.option(
        "--temperature",
        type=click.FloatRange(min=0.0),
        default=0.0,
        show_default=True,
        help=help_text,
    )


def max_tokens_option(default: int, help_text: str) -> Callable[[F], F]:
    """``--max-tokens`` (>= 1)."""
    return click.option(
        "--max-tokens",
        type=click.IntRange(min=1),
        default=default,
        show_default=True,
        help=help_text,
    )


sampling_seed_option = click.option(
    "--seed", type=int, default=None, help="Sampling seed for servers that support it."
)
timeout_option = click.option(
    "--timeout",
    type=click.FloatRange(min=0.0, min_open=True),
    default=60.0,
    show_default=True,
    help="Seconds to wait for each request.",
)


def max_attempts_option(help_text: str) -> Callable[[F], F]:
    """``--max-attempts`` (1..100, default 6)."""
    return click.option(
        "--max-attempts",
        type=click.IntRange(1, 100),
        default=6,
        show_default=True,
        help=help_text,
    )


def api_key_env_option(help_text: str) -> Callable[[F], F]:
    """``--api-key-env NAME``: read it with :func:`_api_key_from_env`."""
    return click.option("--api-key-env", default=None, metavar="NAME", help=help_text)


progress_option = click.option(
    "--progress/--no-progress",
    "progress",
    default=None,
    help="Show a progress line on stderr (default: when stderr is a terminal).",
)


def _api_key_from_env(api_key_env: str | None) -> str | None:
    """The API key in the environment variable ``api_key_env`` (default ``OPENAI_API_KEY``);
    None when it is unset or empty.

    Raises:
        InputError: ``api_key_env`` was given and that variable is not set (or empty).
    """
    import os

    from sgbench.errors import InputError

    api_key = os.environ.get(api_key_env or "OPENAI_API_KEY") or None
    if api_key_env is not None and api_key is None:
        raise InputError(f"--api-key-env {api_key_env}: that environment variable is not set")
    return api_key


@contextlib.contextmanager
def _resumable(out_path: Path, what: str) -> Iterator[None]:
    """On Ctrl-C, say that the ``what`` so far are in ``out_path`` and exit with code 130."""
    try:
        yield
    except KeyboardInterrupt:
        click.echo(
            f"\ninterrupted: the {what} so far are in {out_path}; "
            "run the same command again to resume",
            err=True,
        )
        raise SystemExit(130) from None


class _Report(Protocol):
    def to_json(self) -> str: ...

    def render(self) -> str: ...


R = TypeVar("R", bound=_Report)


def _show_report(report: R, json_out: str | None, write: Callable[[R, str], None]) -> None:
    """The summary on stdout, and the JSON report written to ``json_out`` with ``write``; with
    ``json_out`` ``-``, the JSON on stdout and the summary on stderr."""
    if json_out == "-":
        click.echo(report.to_json(), nl=False)
        click.echo(report.render(), err=True)
    else:
        if json_out is not None:
            write(report, json_out)
        click.echo(report.render())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sgbench")
def main() -> None:
    """sgbench: subgroup-level cultural value alignment on the World Values Survey.

    Build the dataset from a WVS file (or the embedded synthetic sample), then score prediction
    files against it.
    """


@main.command()
@click.option(
    "--wvs",
    "wvs_paths",
    type=click.Path(path_type=Path),
    multiple=True,
    help="Your WVS download (.csv, .dta, .sav or the release .zip): the Wave 7 or Wave 6 "
    "cross-national file or the Time Series file. Repeat it to add earlier waves (a `temporal` "
    "config). Without it, the embedded SYNTHETIC sample is used.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Output folder; replaced only once the new build is complete. Default: the "
    f"dataset's name ({DATASET_NAME} for Singapore, wvs-<country>-subgroups otherwise).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Build config (YAML or JSON). Default: the paper's Singapore config.",
)
@click.option(
    "--country",
    default=None,
    help="Country to build: ISO alpha-3 or numeric code, or ALL for every country (country "
    "becomes an attribute). Default: the config's (SGP).",
)
@click.option(
    "--wave",
    "waves",
    type=int,
    multiple=True,
    help="Wave(s) to read from a Time Series file (repeatable; default 7).",
)
@click.option("--unweighted", is_flag=True, help="Ignore W_WEIGHT; all respondents weigh 1.")
@click.option("--quiet", "-q", is_flag=True, help="Do not print the build summary.")
@reports_errors
def build(
    wvs_paths: tuple[Path, ...],
    out_dir: Path | None,
    config_path: Path | None,
    country: str | None,
    waves: tuple[int, ...],
    unweighted: bool,
    quiet: bool,
) -> None:
    """Build the wvs-sg-subgroups dataset folder from WVS files (or the synthetic sample)."""
    from sgbench.builder import build_dataset

    summary = build_dataset(
        wvs_path=list(wvs_paths) or None,
        out_dir=out_dir,
        config_path=config_path,
        country=country,
        weighted=not unweighted,
        waves=list(waves) or None,
    )
    if not quiet:
        click.echo(summary.render())


@main.command()
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="File to write: .csv, .dta or .sav (the WVS release formats), or .zip (CSV inside).",
)
@click.option("--seed", default=None, type=int, help="Seed (default: the embedded sample's).")
@click.option(
    "--layout",
    type=click.Choice(["wvs7", "wvs6", "timeseries"]),
    default="wvs7",
    show_default=True,
    help="Release layout to imitate: Wave 7, Wave 6 or the Time Series file (.csv only for "
    "the last two).",
)
@reports_errors
def synth(out_path: Path, seed: int | None, layout: str) -> None:
    """Write the embedded SYNTHETIC WVS-format Singapore sample to a file."""
    from sgbench.builder.synthetic import write_synthetic_sample

    written = write_synthetic_sample(out_path, seed=seed, layout=layout)  # type: ignore[arg-type]
    click.echo(f"wrote {written} (SYNTHETIC: not WVS data)", err=True)


@main.command()
@click.argument(
    "predictions_path",
    metavar="PRED",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@dataset_option
@config_option
@split_option
@json_report_option
@bootstrap_option()
@bootstrap_seed_option
@click.option(
    "--strict",
    is_flag=True,
    help="Refuse the file if a sample of the split has no prediction "
    "(by default it is scored as wrong).",
)
@click.option(
    "--plot",
    "plot_out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="OUT.png|OUT.svg",
    help="Also draw accuracy and NMAE per attribute value with their intervals to this chart "
    "(needs pip install 'sgbench[plots]').",
)
@reports_errors
def score(
    predictions_path: Path,
    dataset_dir: str,
    config: str,
    split: str,
    json_out: str | None,
    n_boot: int,
    seed: int,
    strict: bool,
    plot_out: Path | None,
) -> None:
    """Score a predictions file (JSON Lines) on one split of the dataset.

    PRED has one {"id": ..., "answer": <option code>} object per line (optionally
    "distribution" and "response"). --dataset may also be a Hugging Face Hub dataset id
    (org/name) when no folder of that name exists.
    """
    from sgbench.scoring import score_predictions, write_report

    report = score_predictions(
        predictions_path,
        dataset_dir,
        config=config,
        split=split,
        n_boot=n_boot,
        seed=seed,
        strict=strict,
    )
    if plot_out is not None:
        from sgbench.stats.plots import write_score_chart

        write_score_chart(report, plot_out)
    _show_report(report, json_out, write_report)
    if report.n_missing:
        click.echo(
            f"note: {report.n_missing} sample(s) of {split} have no prediction; "
            "they are scored as wrong (use --strict to refuse)",
            err=True,
        )


@main.command()
@click.argument(
    "responses_path",
    metavar="RESPONSES",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@dataset_option
@config_option
@reports_errors
def parse(responses_path: Path, dataset_dir: str, config: str) -> None:
    """Turn raw model output into predictions: RESPONSES has {"id", "response"} lines.

    Writes predictions (JSON Lines) to stdout; responses that give no single valid option are
    left out (missing) and listed on stderr.
    """
    from sgbench.scoring import parse_responses

    result = parse_responses(responses_path, dataset_dir, config=config)
    click.echo(result.to_jsonl(), nl=False)
    click.echo(f"parsed {len(result.predictions)} of {result.n_lines} responses", err=True)
    if result.unparsed_ids:
        click.echo(
            f"{len(result.unparsed_ids)} response(s) could not be parsed (left missing):",
            err=True,
        )
        for sample_id in result.unparsed_ids:
            click.echo(f"  {sample_id}", err=True)


# Publishing: `push` and `validate`.


@main.command()
@click.argument(
    "dataset_dir",
    metavar="DIR",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@click.option(
    "--repo-id",
    required=True,
    help="Hub dataset repository, ORG/NAME (created when missing).",
)
@click.option(
    "--tag/--no-tag",
    default=True,
    show_default=True,
    help="Tag the upload commit v<version>; an existing tag is never moved.",
)
@click.option(
    "--private",
    is_flag=True,
    help="Create the repository private (an existing one keeps its visibility).",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print what would be uploaded, deleted and tagged; only reads the Hub "
    "(list_repo_refs, list_repo_files), writes nothing.",
)
@click.option(
    "--allow-synthetic", is_flag=True, help="Push a SYNTHETIC build (refused by default)."
)
@reports_errors
def push(
    dataset_dir: Path,
    repo_id: str,
    tag: bool,
    private: bool,
    dry_run: bool,
    allow_synthetic: bool,
) -> None:
    """Check a dataset folder and publish it on the Hugging Face Hub in one tagged commit.

    Runs the checks of `sgbench validate` first. The token comes from HF_TOKEN or
    `hf auth login`.
    """
    from sgbench.publish import push_dataset

    result = push_dataset(
        dataset_dir,
        repo_id,
        tag=tag,
        private=private,
        dry_run=dry_run,
        allow_synthetic=allow_synthetic,
    )
    click.echo(result.render())


@main.command()
@click.argument("path", metavar="PATH", type=click.Path(exists=True, path_type=Path))
@reports_errors
def validate(path: Path) -> None:
    """Check a dataset folder (it has manifest.json) or a submission folder (submission.json).

    Says which kind it checked; exit code 0 when valid, 2 with every problem listed (one per line,
    on stderr) when not.
    """
    from sgbench.publish import validate_folder

    result = validate_folder(path)
    if result.ok:
        click.echo(result.render())
        return
    click.echo(result.render(), err=True)
    raise SgbenchClickError(f"{path}: not a valid {result.kind} folder")


# Prompts, model runs and exports: `prompts`, `run`, `export sft`, `export lm-eval`.

template_option = click.option(
    "--template",
    "template_name",
    default="paper",
    show_default=True,
    metavar="NAME|FILE",
    help="Prompt template: paper, plain, json, open, or a template file (YAML/JSON with user, "
    "system, target; any other file is the user message). str.format fields such as {persona}, "
    "{question}, {options} (see the README).",
)


@main.command(name="prompts")
@dataset_option
@config_option
@split_option
@template_option
@reports_errors
def prompts_command(dataset_dir: str, config: str, split: str, template_name: str) -> None:
    """Write the persona prompts of one split as JSON Lines to stdout.

    One line per sample: {"id", "template", "messages" (system + user, chat form), "prompt"
    (plain text)}. The same dataset and template always give the same text.
    """
    from sgbench.prompts import build_prompts, load_template, prompts_jsonl, split_rows

    template = load_template(template_name)
    rows = split_rows(dataset_dir, config, split)
    click.echo(prompts_jsonl(build_prompts(rows, template)), nl=False)


@main.command(name="run")
@base_url_option(
    "OpenAI-compatible API base, e.g. http://localhost:8000/v1 (/chat/completions is appended)."
)
@model_option("Model name sent with each request, and recorded.")
@template_option
@dataset_option
@config_option
@split_option
@out_file_option(
    "Responses file (JSON Lines), appended to; samples already answered in it are skipped."
)
@click.option(
    "--predictions",
    "predictions_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Then parse the responses (as `sgbench parse` does) into this predictions file.",
)
@concurrency_option
@temperature_option("Sampling temperature.")
@max_tokens_option(64, "Most tokens per response.")
@click.option(
    "--top-p",
    type=click.FloatRange(0.0, 1.0, min_open=True),
    default=None,
    help="Nucleus sampling; sent only when given.",
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
@reports_errors
def run_command(
    base_url: str,
    model: str,
    template_name: str,
    dataset_dir: str,
    config: str,
    split: str,
    out_path: Path,
    predictions_path: Path | None,
    concurrency: int,
    temperature: float,
    max_tokens: int,
    top_p: float | None,
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
    exponential backoff (Retry-After honoured); samples that still fail get an error line. Run
    the same command again to resume and to retry the errors. Exit code 1 when errors remain.
    """
    from sgbench.files import write_atomic
    from sgbench.prompts import build_prompts, load_template, split_rows
    from sgbench.runner import Endpoint, RetryPolicy, SamplingParams, run_model
    from sgbench.scoring import parse_responses

    api_key = _api_key_from_env(api_key_env)
    endpoint = Endpoint(base_url=base_url, api_key=api_key, timeout=timeout)
    template = load_template(template_name)
    rows = split_rows(dataset_dir, config, split)
    prompts = build_prompts(rows[:limit] if limit else rows, template)
    with _resumable(out_path, "responses"):
        summary = run_model(
            prompts,
            out_path,
            model=model,
            template=template.name,
            endpoint=endpoint,
            params=SamplingParams(
                temperature=temperature, max_tokens=max_tokens, top_p=top_p, seed=seed
            ),
            concurrency=concurrency,
            policy=RetryPolicy(max_attempts=max_attempts),
            show_progress=progress,
        )
    click.echo(summary.render(), err=True)
    if predictions_path is not None:
        result = parse_responses(out_path, dataset_dir, config=config)
        write_atomic(predictions_path, result.to_jsonl())
        click.echo(
            f"parsed {len(result.predictions)} of {result.n_lines} responses into "
            f"{predictions_path}; {len(result.unparsed_ids)} left missing",
            err=True,
        )
    if summary.n_errors:
        raise SystemExit(1)


@main.group(name="export")
def export_group() -> None:
    """Export the dataset for fine-tuning (sft) or for lm-evaluation-harness (lm-eval)."""


@export_group.command(name="sft")
@dataset_option
@config_option
@click.option(
    "--split",
    default="train",
    show_default=True,
    help="Split to export: train, or validation for an evaluation set.",
)
@template_option
@reports_errors
def export_sft_command(dataset_dir: str, config: str, split: str, template_name: str) -> None:
    """Write chat-format fine-tuning records (JSON Lines) to stdout.

    One {"messages": [...]} per sample: the template's prompt messages, then the assistant's
    reply with the subgroup's modal answer ("Answer: <code>" for the paper template).
    """
    from sgbench.export import EVALUATION_SPLITS, sft_jsonl
    from sgbench.prompts import load_template, split_rows

    template = load_template(template_name)
    rows = split_rows(dataset_dir, config, split)
    click.echo(sft_jsonl(template, rows), nl=False)
    if split in EVALUATION_SPLITS:
        click.echo(
            f"warning: {split} is an evaluation split; fine-tuning on it leaks the targets",
            err=True,
        )


@export_group.command(name="lm-eval")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Task folder to write (wvs_sg_subgroups.yaml and utils.py); an existing one is "
    "replaced only if it holds an earlier export.",
)
@dataset_option
@config_option
@split_option
@template_option
@reports_errors
def export_lm_eval_command(
    out_dir: Path, dataset_dir: str, config: str, split: str, template_name: str
) -> None:
    """Write an lm-evaluation-harness task: multiple choice over each sample's options.

    --dataset is a built folder (written as an absolute path) or a Hub id org/name. Then run:
    lm_eval --model hf --model_args pretrained=MODEL --include_path OUT --tasks wvs_sg_subgroups
    """
    from sgbench.export import write_lm_eval_task
    from sgbench.prompts import load_template

    template = load_template(template_name)
    written = write_lm_eval_task(out_dir, dataset_dir, config, split, template)
    click.echo(f"wrote {written} and {written.parent / 'utils.py'}", err=True)


# The value landscape: `stats` (and `score --plot` above).


@main.command(name="stats")
@dataset_option
@config_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("sgbench-stats"),
    show_default=True,
    help="Folder for stats.json, stats.md and the charts (created if missing; those files are "
    "replaced).",
)
@click.option(
    "--format",
    "chart_format",
    type=click.Choice(["png", "svg"]),
    default="png",
    show_default=True,
    help="Chart file format.",
)
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="How many most and least divisive questions to list.",
)
@reports_errors
def stats_command(
    dataset_dir: str, config: str, out_dir: Path, chart_format: str, top: int
) -> None:
    """Describe where subgroups disagree, before any model is scored.

    Writes stats.json, a Markdown report (stats.md) and charts: Modal Diversity Score by section,
    subgroup × section distance from the population, and the distribution of margin. Every
    sample of the config counts (its splits together hold the whole dataset).
    """
    from sgbench.stats import compute_stats, write_stats
    from sgbench.stats.plots import INSTALL_HINT

    report = compute_stats(dataset_dir, config=config, top=top)
    written = write_stats(report, out_dir, chart_format="svg" if chart_format == "svg" else "png")
    click.echo(report.summary())
    click.echo(f"wrote {', '.join(str(path) for path in written.paths)}", err=True)
    if written.charts_skipped:
        click.echo(f"note: no charts written; {INSTALL_HINT}", err=True)


# Baselines and the leaderboard: `baseline` and `leaderboard`.

BASELINE_NAMES = ("random", "majority", "composition", "nearest")
"""``sgbench.baselines.BASELINES``, spelled out so that ``--help`` needs no numpy import."""

EXIT_LEFT_OUT = 3
"""`sgbench leaderboard` exit code: outputs written, but some submission was left out."""


@main.command(name="baseline")
@click.argument("name", metavar="NAME", type=click.Choice(BASELINE_NAMES))
@dataset_option
@config_option
@split_option
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Seed of the random baseline (the others ignore it).",
)
@reports_errors
def baseline_command(name: str, dataset_dir: str, config: str, split: str, seed: int) -> None:
    """Predict a split with a reference baseline learnt from the train split only.

    NAME is random (seeded uniform choice), majority (per question, the mode pooled over the
    training subgroups), composition (the mode of the mean of the training distributions of the
    single-attribute subgroups a subgroup crosses) or nearest (the modal answer of the training
    subgroup sharing most attribute values). Writes predictions (JSON Lines) to stdout.
    """
    from sgbench.baselines import run_baseline

    result = run_baseline(name, dataset_dir, config=config, split=split, seed=seed)
    click.echo(result.to_jsonl(), nl=False)
    click.echo(
        f"{name}: {result.n_predicted} of {len(result.ids)} samples of {split} predicted from "
        f"the train split of config {config}",
        err=True,
    )
    if result.n_fallback:
        click.echo(f"note: {result.n_fallback} predicted with the majority rule instead", err=True)
    if result.n_predicted < len(result.ids):
        click.echo(
            f"note: {len(result.ids) - result.n_predicted} sample(s) left out: their question "
            "has no training sample (they score as missing)",
            err=True,
        )


@main.command(name="leaderboard")
@click.argument(
    "submissions_dir",
    metavar="SUBMISSIONS",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@dataset_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("leaderboard"),
    show_default=True,
    help="Output folder (leaderboard.md, .csv, .json, index.html); replaced only when complete.",
)
@click.option(
    "--with-baselines", is_flag=True, help="Add the built-in baselines (`sgbench baseline`)."
)
@bootstrap_option("Bootstrap replicates over questions (intervals, ≈ leader marks); 0 for none.")
@bootstrap_seed_option
@reports_errors
def leaderboard_command(
    submissions_dir: Path,
    dataset_dir: str,
    out_dir: Path,
    with_baselines: bool,
    n_boot: int,
    seed: int,
) -> None:
    """Rank the submission folders of SUBMISSIONS (each SUBMISSIONS/<slug>/ with
    submission.json and predictions.jsonl) by accuracy on test_ood.

    Invalid submissions are listed on stderr with their reasons and left out; the others are
    ranked. Exit code 0 when every submission was ranked, 3 when the outputs were written but
    some submission was left out, 2 on an error (nothing written).
    """
    from sgbench.leaderboard import build_leaderboard, render_text, write_leaderboard

    board = build_leaderboard(
        submissions_dir, dataset_dir, with_baselines=with_baselines, n_boot=n_boot, seed=seed
    )
    written = write_leaderboard(board, out_dir)
    click.echo(render_text(board))
    click.echo(f"wrote {written}/", err=True)
    if board.excluded:
        for excluded in board.excluded:
            click.echo(f"left out {excluded.slug!r}:", err=True)
            for problem in excluded.problems:
                click.echo(f"  {problem}", err=True)
        click.get_current_context().exit(EXIT_LEFT_OUT)


# Open-ended answers judged pairwise: `judge` and `judge-report`.


@main.command(name="judge")
@click.argument("a_path", metavar="A", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("b_path", metavar="B", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@base_url_option("The judge's OpenAI-compatible API base, e.g. http://localhost:8000/v1.")
@model_option("Judge model name sent with each request, and recorded.")
@dataset_option
@config_option
@split_option
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
@reports_errors
def judge_command(
    a_path: Path,
    b_path: Path,
    base_url: str,
    model: str,
    dataset_dir: str,
    config: str,
    split: str,
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
    unparsed. Run the same command again to resume. Exit code 1 when request errors remain.
    """
    from sgbench.judge import judge_files, parse_criteria
    from sgbench.runner import Endpoint, RetryPolicy, SamplingParams

    chosen = parse_criteria(criteria)
    api_key = _api_key_from_env(api_key_env)
    with _resumable(out_path, "judgments"):
        summary = judge_files(
            a_path,
            b_path,
            out_path,
            dataset=dataset_dir,
            model=model,
            endpoint=Endpoint(base_url=base_url, api_key=api_key, timeout=timeout),
            config=config,
            split=split,
            criteria=chosen,
            params=SamplingParams(temperature=temperature, max_tokens=max_tokens, seed=seed),
            concurrency=concurrency,
            policy=RetryPolicy(max_attempts=max_attempts),
            show_progress=progress,
        )
    click.echo(summary.render(), err=True)
    if summary.n_errors:
        raise SystemExit(1)


@main.command(name="judge-report")
@click.argument(
    "judgments_path",
    metavar="JUDGMENTS",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@json_report_option
@bootstrap_option()
@bootstrap_seed_option
@reports_errors
def judge_report_command(
    judgments_path: Path, json_out: str | None, n_boot: int, seed: int
) -> None:
    """Summarise a judgments file of `sgbench judge`: A's win rate over B per criterion.

    Win 1, tie 0.5, loss 0, averaged over both orders, with bootstrap intervals over questions;
    how often the first-shown response wins (position bias); how often the two orders agree; win
    rates per subgroup and attribute value with their spread (norm_range, cv, gap, ratio, worst).
    Unparsed verdicts and request errors are left out and counted.
    """
    from sgbench.judge import judge_report, write_judge_report

    report = judge_report(judgments_path, n_boot=n_boot, seed=seed)
    _show_report(report, json_out, write_judge_report)
