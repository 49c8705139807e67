"""The ``sgbench`` command line: parses arguments and calls one library function per command.

Every command turns :class:`sgbench.errors.SgbenchError` into one ``Error: ...`` line on stderr
and exit code 2 (click's own usage errors use 2 as well). Data goes to stdout, diagnostics to
stderr.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

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
    default=Path(DATASET_NAME),
    show_default=True,
    help="Output folder; replaced only once the new build is complete.",
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
    out_dir: Path,
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
@click.option(
    "--json",
    "json_out",
    type=click.Path(dir_okay=False, allow_dash=True),
    default=None,
    help="Also write the full JSON report to this file; `-` writes it to stdout "
    "(the summary then goes to stderr).",
)
@click.option(
    "--bootstrap",
    "n_boot",
    type=click.IntRange(min=0, max=100_000),
    default=1000,
    show_default=True,
    help="Bootstrap replicates (resampling questions) for the 95% intervals; 0 for none.",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Seed of the bootstrap's random generator.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Refuse the file if a sample of the split has no prediction "
    "(by default it is scored as wrong).",
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
    if json_out == "-":
        click.echo(report.to_json(), nl=False)
        click.echo(report.render(), err=True)
    else:
        if json_out is not None:
            write_report(report, json_out)
        click.echo(report.render())
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


# Publishing (issue 6): `push` and `validate`.


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
