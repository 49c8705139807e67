"""Baselines and the leaderboard: ``baseline`` and ``leaderboard``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from sgbench.cli.errors import left_out
from sgbench.cli.options import (
    InputPath,
    LibraryChoice,
    bootstrap_option,
    bootstrap_seed_option,
    config_option,
    dataset_option,
    out_folder_option,
    refuse_unused,
    refuse_unused_resampling,
    resampling_options,
    split_option,
)
from sgbench.cli.output import say, wrote
from sgbench.dataset import evaluation_split
from sgbench.files import check_outputs_apart


def _baselines() -> Sequence[str]:
    from sgbench.baselines import BASELINES

    return BASELINES


@click.command(name="baseline")
@click.argument("name", metavar="NAME", type=LibraryChoice(_baselines))
@dataset_option
@config_option
@split_option()
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Seed of the random baseline (refused for the others, which draw nothing).",
)
def baseline_command(
    name: str, dataset_dir: str, config: str, split: str | None, seed: int
) -> None:
    """Predict a split with a reference baseline learnt from the train split only.

    NAME is random (seeded uniform choice), majority (per question, the mode pooled over the
    training subgroups), composition (the mode of the mean of the training distributions of the
    single-attribute subgroups a subgroup crosses) or nearest (the modal answer of the training
    subgroup sharing most attribute values). Writes predictions (JSON Lines) to stdout.
    """
    from sgbench.baselines import run_baseline

    refuse_unused(("--seed", "seed", name == "random", f"for the {name} baseline (only random)"))
    check_outputs_apart([("--dataset", dataset_dir)], [])
    split = split or evaluation_split(config)
    result = run_baseline(name, dataset_dir, config=config, split=split, seed=seed)
    for chunk in result.jsonl_chunks():
        click.echo(chunk, nl=False)
    say(
        f"{name}: {result.n_predicted} of {len(result.ids)} samples of {split} predicted from "
        f"the train split of config {config}"
    )
    if result.n_fallback:
        say(f"note: {result.n_fallback} predicted with the majority rule instead")
    if result.n_unseen:
        say(
            f"note: {result.n_unseen} sample(s) of questions without a training sample predicted "
            "with the unseen-question rule (the position most often modal in training among "
            "questions with as many options; see docs/baselines.md)"
        )
    if result.n_predicted < len(result.ids):
        say(
            f"note: {len(result.ids) - result.n_predicted} sample(s) left out: the train split "
            "has no sample (they score as missing)"
        )


@click.command(name="leaderboard")
@click.argument(
    "submissions_dir",
    metavar="SUBMISSIONS",
    type=InputPath(file_okay=False, path_type=Path),
)
@dataset_option
@out_folder_option(
    "Output folder (leaderboard.md, .csv, .json, index.html); replaced only when complete, "
    "and only if it is empty or an earlier leaderboard.",
    Path("leaderboard"),
)
@click.option(
    "--with-baselines", is_flag=True, help="Add the built-in baselines (`sgbench baseline`)."
)
@bootstrap_option("Bootstrap replicates for the 95% intervals (at least 234); 0 for none.")
@bootstrap_seed_option
@resampling_options("the fairness columns and the ≈ leader test")
def leaderboard_command(
    submissions_dir: Path,
    dataset_dir: str,
    out_dir: Path,
    with_baselines: bool,
    n_boot: int,
    seed: int,
    n_permutations: int,
    resample: str,
) -> None:
    """Rank the submission folders of SUBMISSIONS (each SUBMISSIONS/<slug>/ with
    submission.json and predictions.jsonl) by accuracy on test_ood.

    Invalid submissions are listed on stderr with their reasons and left out; the others are
    ranked. Exit code 0 when every submission was ranked, 3 when the outputs were written but
    some submission was left out, 2 on an error (nothing written).
    """
    from sgbench.files import writing_folder
    from sgbench.leaderboard import build_leaderboard, render_text, write_leaderboard

    refuse_unused_resampling(n_boot, n_permutations)
    check_outputs_apart(
        [("SUBMISSIONS", submissions_dir), ("--dataset", dataset_dir)], [("--out", out_dir)]
    )
    with writing_folder(out_dir, "leaderboard", name="--out"):
        board = build_leaderboard(
            submissions_dir,
            dataset_dir,
            with_baselines=with_baselines,
            n_boot=n_boot,
            seed=seed,
            n_permutations=n_permutations,
            resample=resample,  # type: ignore[arg-type]  # the option's choices are the modes
        )
        written = write_leaderboard(board, out_dir)
    click.echo(render_text(board))
    wrote(f"{written}/")
    if board.excluded:
        for excluded in board.excluded:
            say(f"left out '{excluded.slug}':")  # already shown_name'd
            for problem in excluded.problems:
                say(f"  {problem}")
        left_out()
