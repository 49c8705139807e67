"""Options shared by several commands. Every choice comes from a library constant.

Choices that live in modules importing numpy or pandas are loaded only when an option is
parsed or its command's help is shown (:class:`LibraryChoice`), so ``sgbench --help`` stays fast.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from sgbench import DATASET_NAME
from sgbench.dataset import CONFIG_SPLITS, CONFIGS, SPLITS
from sgbench.prompts.templates import TEMPLATES, template_source

F = TypeVar("F", bound=Callable[..., Any])


class LibraryChoice(click.Choice):  # type: ignore[type-arg,unused-ignore]
    """A :class:`click.Choice` over a library constant, read when first needed."""

    def __init__(self, load: Callable[[], Sequence[str]]) -> None:
        self._load = load
        self._loaded: tuple[str, ...] | None = None
        super().__init__(())

    @property  # type: ignore[override,unused-ignore]
    def choices(self) -> tuple[str, ...]:
        """The library's names."""
        if self._loaded is None:
            self._loaded = tuple(self._load())
        return self._loaded

    @choices.setter
    def choices(self, _value: Sequence[str]) -> None:
        """Ignored: the choices are the library's."""


class LibraryHelpOption(click.Option):
    """A :class:`click.Option` whose help quotes library constants, read when first needed
    (``library_help``: a function returning the text)."""

    def __init__(self, *args: Any, library_help: Callable[[], str], **kwargs: Any) -> None:
        self._library_help = library_help
        self._help: str | None = None
        super().__init__(*args, **kwargs)

    @property  # type: ignore[override,unused-ignore]
    def help(self) -> str:
        """The library's text."""
        if self._help is None:
            self._help = self._library_help()
        return self._help

    @help.setter
    def help(self, _value: str | None) -> None:
        """Ignored: the help is the library's."""


def _split_defaults() -> str:
    """The default split in help: each config's last split, configs that share one together."""
    by_split: dict[str, list[str]] = {}
    for config, splits in CONFIG_SPLITS.items():
        by_split.setdefault(splits[-1], []).append(config)
    return ", ".join(f"{split} for {' and '.join(configs)}" for split, configs in by_split.items())


dataset_option = click.option(
    "--dataset",
    "dataset_dir",
    default=DATASET_NAME,
    show_default=True,
    help="A built dataset folder (see `sgbench build`), or a Hub dataset hf://org/name.",
)
config_option = click.option(
    "--config",
    "config",
    type=click.Choice(CONFIGS),
    default=CONFIGS[0],
    show_default=True,
    help="Dataset config: "
    + "; ".join(f"`{config}` ({'/'.join(splits)})" for config, splits in CONFIG_SPLITS.items())
    + ". A build has `temporal` only when it was made from more than one wave.",
)


def split_option(default: str | None = None, help_text: str | None = None) -> Callable[[F], F]:
    """``--split``: one of the config's splits; by default (None) the config's held-out split,
    resolved with :func:`sgbench.dataset.evaluation_split`."""
    return click.option(
        "--split",
        type=click.Choice(SPLITS),
        default=default,
        show_default=default is not None,
        help=help_text
        or f"Split to use, one of the config's (default: its held-out split, {_split_defaults()}).",
    )


def _one_template(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """Refuse a built-in template name that is also a file here (``--template paper`` beside a
    file ``paper``): the built-in was used silently, though the file may be what was meant, and
    the file counted as an input of the output rules. The default is the built-in, never
    ambiguous."""
    typed = ctx.get_parameter_source(param.name or "") is click.core.ParameterSource.COMMANDLINE
    if typed and value in TEMPLATES and Path(value).is_file():
        raise click.BadParameter(
            f"{value!r} is both a built-in template and a file here; write ./{value} for the "
            "file, or rename the file to use the built-in",
            ctx=ctx,
            param=param,
        )
    return value


template_option = click.option(
    "--template",
    "template_name",
    callback=_one_template,
    default=next(iter(TEMPLATES)),
    show_default=True,
    metavar="NAME|FILE",
    help=f"Prompt template: {', '.join(TEMPLATES)}, or a template file (YAML/JSON with user, "
    "system, target; any other file is the user message). str.format fields such as {persona}, "
    "{question}, {options} (see docs/running-models.md).",
)


def template_file(template_name: str) -> Path | None:
    """The ``--template`` value when it names a file (an input), None for a built-in name."""
    return template_source(template_name)


class InputPath(click.Path):
    """A :class:`click.Path` for an input that must exist: a symlink that leads nowhere is
    named for what it is, a loop or a symlink to nothing (its target shown), as
    :func:`sgbench.files.resolve_path` and :func:`sgbench.files.input_problem` name them
    everywhere else (click said ``File 'loop' does not exist`` of both, of a link ``ls`` shows)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(exists=True, **kwargs)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from sgbench.errors import InputError, shown_name
        from sgbench.files import resolve_path

        if isinstance(value, str | os.PathLike) and os.path.islink(value):
            try:
                target = resolve_path(os.fspath(value))
            except InputError as exc:
                self.fail(str(exc), param, ctx)
            if not os.path.exists(value):
                self.fail(
                    f"{shown_name(os.fspath(value))}: a symlink to nothing "
                    f"({shown_name(str(target))}); create its target or give another file",
                    param,
                    ctx,
                )
        return super().convert(value, param, ctx)


class OutputFile(click.Path):
    """A :class:`click.Path` for a file a command writes: refuses, as typed, what every writer
    refuses first (:func:`sgbench.files.check_output_name`, so the line names the option: a
    path naming a folder, as click would not after dropping a final ``/``, one that is a
    folder, one whose folder does not exist),
    and ``-`` where it does not mean standard output (``run --out -`` wrote a file named ``-``
    with exit code 0, while ``score --json -`` prints)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(dir_okay=False, **kwargs)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from sgbench.errors import InputError
        from sgbench.files import check_output_name

        if value == "-" and not self.allow_dash:
            self.fail(
                "'-' (standard output) is not an output here; give a file name (./- if you mean "
                "that name)",
                param,
                ctx,
            )
        if isinstance(value, str) and value != "-":
            try:
                check_output_name(value)
            except InputError as exc:
                self.fail(str(exc), param, ctx)
        return super().convert(value, param, ctx)


class OutputFolder(click.Path):
    """A :class:`click.Path` for a folder a command writes: refuses, as typed, a name no folder
    output can have (:func:`sgbench.files.check_folder_name`: ``-``, the working folder, a name
    ending in ``..``, a folder that does not exist or is a file above it), as
    :class:`OutputFile` does for a file, so the line names the option."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(file_okay=False, **kwargs)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from sgbench.errors import InputError
        from sgbench.files import check_folder_name

        if isinstance(value, str) and value:  # an empty argument: refused as every one is
            try:
                check_folder_name(value, name="--out")
            except InputError as exc:
                self.fail(str(exc), param, ctx)
        return super().convert(value, param, ctx)


def out_folder_option(
    help_text: str, default: Path | None = None, *, required: bool = False
) -> Callable[[F], F]:
    """``--out`` (into ``out_dir``): the folder a command writes (:class:`OutputFolder`), its
    ``default`` shown in the help when it has one."""
    shown: dict[str, Any] = {"default": default, "show_default": True} if default else {}
    return click.option(
        "--out",
        "out_dir",
        type=OutputFolder(path_type=Path),
        required=required,
        help=help_text,
        **shown,
    )


# Reports (`score`, `judge-report`, `leaderboard`).

json_report_option = click.option(
    "--json",
    "json_out",
    type=OutputFile(allow_dash=True),
    default=None,
    help="Also write the full JSON report to this file; `-` writes it to stdout "
    "(the summary then goes to stderr).",
)


_BOOTSTRAP_HELP = (
    "Bootstrap replicates (resampling questions) for the 95% intervals (at least 234); 0 for none."
)


def _replicates(ctx: click.Context, param: click.Parameter, value: int) -> int:
    from sgbench.scoring.bootstrap import MIN_QUESTIONS, MIN_REPLICATES

    if 0 < value < MIN_REPLICATES:
        raise click.BadParameter(
            f"{value} {'replicate is' if value == 1 else 'replicates are'} too few for a 95% "
            "interval (each tail needs two at "
            f"{MIN_QUESTIONS} questions); give 0 for none or at least {MIN_REPLICATES}",
            ctx,
            param,
        )
    return value


def bootstrap_option(help_text: str = _BOOTSTRAP_HELP) -> Callable[[F], F]:
    """``--bootstrap N`` (into ``n_boot``): 0 or 234..100000 replicates
    (:data:`~sgbench.scoring.bootstrap.MIN_REPLICATES`), default 1000; the one rule for
    `score`, `judge-report` and `leaderboard`."""
    return click.option(
        "--bootstrap",
        "n_boot",
        type=click.IntRange(min=0, max=100_000),
        default=1000,
        show_default=True,
        callback=_replicates,
        help=help_text,
    )


bootstrap_seed_option = click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Seed of the bootstrap's and the permutations' random generators.",
)


def _resample_modes() -> Sequence[str]:
    from sgbench.scoring.bootstrap import RESAMPLE_MODES

    return RESAMPLE_MODES


def _resample_help() -> str:
    from sgbench.scoring.bootstrap import MIN_SUBGROUPS

    return (
        "What a bootstrap replicate draws: questions (intervals conditional on these subgroups; "
        "a fairness gap is found when p < 0.05) or questions+subgroups (a two-way bootstrap over "
        "the populations of questions and subgroups, wider; a gap is found when p < 0.05 with an "
        "attribute's values shuffled among whole subgroups, or labels within each question where "
        "each group is one subgroup, a claim about the populations of subgroups; below "
        f"{MIN_SUBGROUPS} subgroups it draws no interval)."
    )


def resampling_options(what: str) -> Callable[[F], F]:
    """``--permutations N`` (into ``n_permutations``) and ``--resample`` (into ``resample``)."""

    def decorate(function: F) -> F:
        function = click.option(
            "--resample",
            type=LibraryChoice(_resample_modes),
            default="questions",
            show_default=True,
            cls=LibraryHelpOption,
            library_help=_resample_help,
        )(function)
        return click.option(
            "--permutations",
            "n_permutations",
            type=click.IntRange(min=0, max=100_000),
            default=1000,
            show_default=True,
            help=f"Shuffles of group labels within each question (two-way, of an attribute's "
            "values among whole subgroups, unless each group is one subgroup) for the p-value of "
            f"{what}; 0 to skip.",
        )(function)

    return decorate


# Requests to an OpenAI-compatible endpoint (`run`, `judge`); the factories take what differs.


def base_url_option(help_text: str) -> Callable[[F], F]:
    """``--base-url`` (required): the endpoint's API base."""
    return click.option("--base-url", required=True, help=help_text)


def model_name(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A model name as sent and recorded (:func:`sgbench.errors.model_name_problem`: it would
    be recorded other than it reads, or name no model the server knows). The callback of every
    option naming a model; None (an optional name not given) passes."""
    from sgbench.errors import model_name_problem

    if value is None:
        return None
    problem = model_name_problem(value)
    if problem:
        raise click.BadParameter(f"{value!r}: {problem}", ctx, param)
    return value


def model_option(help_text: str) -> Callable[[F], F]:
    """``--model`` (required): the model name sent and recorded (:func:`model_name`)."""
    return click.option("--model", required=True, callback=model_name, help=help_text)


def out_file_option(help_text: str) -> Callable[[F], F]:
    """``--out`` (into ``out_path``, required): the JSON Lines file appended to."""
    return click.option(
        "--out",
        "out_path",
        type=OutputFile(path_type=Path),
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


class FiniteFloat(click.FloatRange):
    """A :class:`click.FloatRange` that also refuses ``nan`` and ``inf`` (they are not JSON),
    and with ``none_word`` reads that word as None (leave the parameter out of the request)."""

    def __init__(
        self,
        min: float | None = None,
        max: float | None = None,
        *,
        min_open: bool = False,
        none_word: str | None = None,
    ) -> None:
        super().__init__(min, max, min_open=min_open)
        self.none_word = none_word

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if self.none_word is not None and str(value).strip().casefold() == self.none_word:
            return None
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number + 0.0  # -0.0 becomes 0.0: `-0` and `0` are recorded alike


def temperature_option(help_text: str) -> Callable[[F], F]:
    """``--temperature`` (finite, >= 0, default 0; ``none`` leaves it out of the request)."""
    return click.option(
        "--temperature",
        type=FiniteFloat(min=0.0, none_word="none"),
        default=0.0,
        show_default=True,
        help=help_text + " `none` sends no temperature (for models that refuse one).",
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
    type=FiniteFloat(min=0.0, min_open=True),
    default=60.0,
    show_default=True,
    help="Seconds one request may take in all (connection, headers and body).",
)


def max_attempts_option(help_text: str) -> Callable[[F], F]:
    """``--max-attempts`` (1..:data:`~sgbench.runner.backoff.MAX_ATTEMPTS`, default 6)."""
    from sgbench.runner.backoff import MAX_ATTEMPTS

    return click.option(
        "--max-attempts",
        type=click.IntRange(1, MAX_ATTEMPTS),
        default=6,
        show_default=True,
        help=help_text,
    )


def api_key_env_option(help_text: str) -> Callable[[F], F]:
    """``--api-key-env NAME``: read with :func:`sgbench.runner.api_key_from_env`."""
    return click.option("--api-key-env", default=None, metavar="NAME", help=help_text)


progress_option = click.option(
    "--progress/--no-progress",
    "progress",
    default=None,
    help="Show a progress line on stderr (default: when stderr is a terminal).",
)


def refuse_unused(*rules: tuple[str, str, bool, str]) -> None:
    """Refuse an option given on the command line that the other options make meaningless:
    each rule is ``(option, parameter name, has effect, when it has none)``; an option given
    where it has no effect is one error line rather than silently ignored."""
    from sgbench.errors import refuse_without_effect

    ctx = click.get_current_context()
    default = click.core.ParameterSource.DEFAULT
    refuse_without_effect(
        *[
            (option, ctx.get_parameter_source(name) is not default, effective, reason)
            for option, name, effective, reason in rules
        ]
    )


def refuse_unused_resampling(n_boot: int, n_permutations: int) -> None:
    """:func:`refuse_unused` for the options of :func:`resampling_options` and
    :data:`bootstrap_seed_option`: both draw something only with bootstrap replicates or
    permutations (:func:`sgbench.scoring.bootstrap.draws_anything`)."""
    from sgbench.scoring.bootstrap import draws_anything

    drawn = draws_anything(n_boot, n_permutations)
    refuse_unused(
        (
            "--resample",
            "resample",
            drawn,
            "with --bootstrap 0 and --permutations 0 (it shapes the bootstrap and chooses the "
            "permutation null)",
        ),
        ("--seed", "seed", drawn, "with --bootstrap 0 and --permutations 0"),
    )
