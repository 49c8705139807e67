"""Publishing and checking folders: ``push`` and ``validate``."""

from __future__ import annotations

from pathlib import Path

import click

from sgbench.cli.options import InputPath, refuse_unused
from sgbench.errors import InputError, shown_name
from sgbench.files import check_outputs_apart


@click.command()
@click.argument(
    "dataset_dir",
    metavar="DIR",
    type=InputPath(file_okay=False, path_type=Path),
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

    check_outputs_apart([("DIR", dataset_dir)], [])
    result = push_dataset(
        dataset_dir,
        repo_id,
        tag=tag,
        private=private,
        dry_run=dry_run,
        allow_synthetic=allow_synthetic,
    )
    click.echo(result.render())


@click.command()
@click.argument("path", metavar="PATH", type=InputPath(path_type=Path))
@click.option(
    "--dataset",
    "dataset_dir",
    default=None,
    help="For a submission folder: a built dataset folder, or a Hub dataset hf://org/name, to "
    "check its ids, answers and dataset_version against, as the leaderboard does. Without it "
    "only the form is checked.",
)
def validate(path: Path, dataset_dir: str | None) -> None:
    """Check a dataset folder (it has manifest.json) or a submission folder (submission.json).

    Says which kind it checked; exit code 0 when valid, 2 with every problem listed (one per line,
    on stderr) when not. A valid dataset that `sgbench push` would refuse (SYNTHETIC, under the
    publication floor, groups recoverable by subtraction) gets a note saying why; exit code 0.
    """
    from sgbench.validate import folder_kind, validate_folder

    refuse_unused(
        ("--dataset", "dataset_dir", folder_kind(path) == "submission", "on a dataset folder")
    )
    check_outputs_apart([("PATH", path), ("--dataset", dataset_dir)], [])
    result = validate_folder(path, dataset_dir)
    if result.ok:
        click.echo(result.render())
        return
    # The problems lead to the error line, on stderr as it: not a summary (sgbench.cli.output.say)
    # that a reader gone from stdout could make untrue.
    click.echo(result.render(), err=True)
    raise InputError(f"{shown_name(str(path))}: not a valid {result.kind} folder")
