"""Building the dataset: ``build`` and ``synth``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from sgbench import DATASET_NAME
from sgbench.cli.options import LibraryChoice, OutputFile, out_folder_option
from sgbench.cli.output import wrote


def _layouts() -> Sequence[str]:
    from sgbench.builder.layouts import LAYOUTS

    return tuple(LAYOUTS)


@click.command()
@click.option(
    "--wvs",
    "wvs_paths",
    type=click.Path(path_type=Path),
    multiple=True,
    help="Your WVS download (.csv, .dta, .sav or the release .zip): the Wave 7 or Wave 6 "
    "cross-national file or the Time Series file. Repeat it to add earlier waves (a `temporal` "
    "config). Without it, the embedded SYNTHETIC sample is used.",
)
@out_folder_option(
    "Output folder; replaced only once the new build is complete, and only if it is empty "
    "or an earlier build. Default: the "
    f"dataset's name ({DATASET_NAME} for Singapore, wvs-<country>-subgroups otherwise)."
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


@click.command()
@click.option(
    "--out",
    "out_path",
    type=OutputFile(path_type=Path),
    required=True,
    help="File to write: .csv, .dta or .sav (the WVS release formats), or .zip (CSV inside).",
)
@click.option(
    "--seed",
    default=None,
    type=click.IntRange(min=0),
    help="Seed, 0 or more (default: the embedded sample's).",
)
@click.option(
    "--layout",
    type=LibraryChoice(_layouts),
    default="wvs7",
    show_default=True,
    help="Release layout to imitate: Wave 7, Wave 6 or the Time Series file (.csv only for "
    "the last two).",
)
def synth(out_path: Path, seed: int | None, layout: str) -> None:
    """Write the embedded SYNTHETIC WVS-format Singapore sample to a file."""
    from sgbench.builder.synthetic import write_synthetic_sample

    written = write_synthetic_sample(out_path, seed=seed, layout=layout)  # type: ignore[arg-type]
    wrote(written, note=" (SYNTHETIC: not WVS data)")
