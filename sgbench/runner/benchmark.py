"""``sgbench run`` as one library call: prompts of a split, sent, then optionally parsed.

:func:`run_benchmark` ties together what the command line used to do step by step: the API key
from the environment, the template, the split's rows, the prompts, the resumable run and the
parsing into a predictions file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sgbench.boundary import ArgumentName, PathArg, public
from sgbench.errors import (
    InputError,
    bounded,
    check_model_name,
    refuse_without_effect,
    shown_name,
)
from sgbench.files import (
    FromFiles,
    check_output_name,
    check_outputs_apart,
    check_outputs_replaceable,
    reads,
    write_atomic,
)
from sgbench.locks import exclusive
from sgbench.prompts import build_prompts, load_template, render_prompt, split_rows
from sgbench.prompts.templates import builtin_name, check_attributes, template_source
from sgbench.runner.backoff import RetryPolicy
from sgbench.runner.client import Endpoint, SamplingParams, check_api_key
from sgbench.runner.distribution import DEFAULT_SAMPLES, VERBALIZED_TEMPLATE, Mode, row_options
from sgbench.runner.run import RunSummary, run_model
from sgbench.runner.store import request_digest

if TYPE_CHECKING:
    from sgbench.scoring import ParseResult

DEFAULT_API_KEY_ENV = "OPENAI_API_KEY"
_API_KEY_ENV = ArgumentName("api_key_env", "--api-key-env")
_LIMIT = ArgumentName("limit", "--limit")
_MODEL = ArgumentName("model", "--model")
_PREDICTIONS = ArgumentName("predictions_path", "--predictions")
_OUT_PATH = ArgumentName("out_path", "--out")


@public
def api_key_from_env(api_key_env: str | None) -> str | None:
    """The API key in the environment variable ``api_key_env`` (default ``OPENAI_API_KEY``);
    None when it is unset or empty.

    Raises:
        InputError: ``api_key_env`` was given and that variable is not set (or empty), or the
            key holds a character other than printable ASCII (it goes into an HTTP header,
            where a newline or a non-ASCII character used to crash the run with a traceback
            that quoted the key). The message names the variable, never the key.
    """
    name = api_key_env or DEFAULT_API_KEY_ENV
    api_key = os.environ.get(name) or None
    if api_key_env is not None and api_key is None:
        shown = shown_name(api_key_env)
        raise InputError(bounded(f"{_API_KEY_ENV} {shown}: that environment variable is not set"))
    if api_key is not None:
        check_api_key(api_key, name)
    return api_key


@dataclass(frozen=True)
class BenchmarkRun(FromFiles):
    """What :func:`run_benchmark` did: the run, and the parsing when it was asked for."""

    summary: RunSummary
    predictions_path: Path | None = None
    parsed: ParseResult | None = None

    def render(self) -> str:
        """The run's summary, then one line on the parsing (when done)."""
        lines = [self.summary.render()]
        if self.parsed is not None:
            refused = len(self.parsed.refused_ids)
            lines.append(
                f"parsed {len(self.parsed.predictions)} of {self.parsed.n_lines} responses into "
                f"{self.predictions_path}; {len(self.parsed.unparsed_ids)} left missing"
                + (f", {refused} refused" if refused else "")
            )
        return "\n".join(lines)


@public
@reads(dataset="--dataset")
def run_benchmark(
    dataset: PathArg,
    out_path: PathArg,
    *,
    model: str,
    endpoint: Endpoint,
    config: str,
    split: str,
    template_name: PathArg,
    params: SamplingParams | None = None,
    concurrency: int = 8,
    policy: RetryPolicy | None = None,
    limit: int | None = None,
    predictions_path: PathArg | None = None,
    show_progress: bool | None = None,
    distribution: Mode | None = None,
    samples: int = DEFAULT_SAMPLES,
) -> BenchmarkRun:
    """Send the prompts of one split (its first ``limit`` samples) to ``endpoint``, appending the
    responses to ``out_path`` (resumable); then, with ``predictions_path``, parse every response in
    it (as ``sgbench parse`` does) into that predictions file. ``distribution`` and ``samples``
    are as for :func:`~sgbench.runner.run.run_model`.

    ``predictions_path`` is locked for the whole call (``out_path`` is, by :func:`run_model`), so
    a second run on either is refused.

    Raises:
        InputError: ``limit`` below 1, ``samples`` other than the default without
            ``distribution='sample'`` or ``distribution='verbalized'`` with a built-in template
            other than ``verbalized`` (:func:`~sgbench.errors.refuse_without_effect`), a model
            name ``--model`` would refuse
            (:func:`~sgbench.errors.check_model_name`), an output that is an input, lies in the
            dataset folder or is the other output (:func:`~sgbench.files.check_outputs_apart`),
            ``predictions_path`` not replaceable, either in use by another process, or any error of
            :func:`~sgbench.runner.run.run_model` or of the parsing.
    """
    if limit is not None and limit < 1:
        # every[:-1] would send all but the last sample, every[:0] or None all of them.
        raise InputError(f"{_LIMIT} {limit}: must be at least 1 (None for the whole split)")
    check_model_name(model, _MODEL)
    builtin = builtin_name(template_name)
    # As on the command line: a sample count never drawn, or a verbalized run of a template
    # asking for one answer (every line without a distribution), was accepted silently.
    refuse_without_effect(
        (
            f"samples {samples}",
            samples != DEFAULT_SAMPLES,
            distribution == "sample",
            "without distribution='sample'",
        ),
        (
            "distribution='verbalized'",
            distribution == "verbalized",
            builtin is None or builtin == VERBALIZED_TEMPLATE,
            f"with the built-in template {builtin!r}, which asks for one answer, not a "
            f"percentage per option (give template_name={VERBALIZED_TEMPLATE!r}, or a file)",
        ),
    )
    # Both are judged again when locked (sgbench.locks.exclusive), but first here, as by
    # every writer: they were judged only once the dataset was read and the prompts made.
    for path in (out_path, predictions_path):
        if path is not None:
            check_output_name(path)
    # Here, not only in the CLI: a Python caller's out_path inside the dataset folder was
    # written there (and predictions_path equal to out_path replaced the responses).
    check_outputs_apart(
        [
            (ArgumentName("dataset", "--dataset"), dataset),
            (ArgumentName("template_name", "--template"), template_source(template_name)),
        ],
        [
            (_OUT_PATH, out_path),
            (_PREDICTIONS, predictions_path),
        ],
    )
    from sgbench.dataset import open_dataset

    template = load_template(template_name)
    built = open_dataset(dataset)
    check_attributes(template, built)  # before any request
    every = split_rows(built, config, split)
    rows = every[:limit] if limit else every
    prompts = build_prompts(rows, template)
    from sgbench.scoring.predictions import PREDICTIONS

    with exclusive(predictions_path):
        # Before any request, and under the lock.
        check_outputs_replaceable([(_PREDICTIONS, predictions_path, PREDICTIONS)])
        summary = run_model(
            prompts,
            out_path,
            model=model,
            template=template.name,
            endpoint=endpoint,
            params=params,
            concurrency=concurrency,
            policy=policy,
            show_progress=show_progress,
            distribution=distribution,
            samples=samples,
            options=row_options(rows),
            in_split={str(row["id"]) for row in every},
            # Past --limit too: a line of the split answering another prompt is never kept.
            asked={
                str(row["id"]): request_digest(render_prompt(template, row)["messages"])
                for row in every
            },
            out_name=_OUT_PATH,
        )
        if predictions_path is None:
            return BenchmarkRun(summary)
        from sgbench.scoring import parse_responses  # pandas, only when parsing is asked for

        parsed = parse_responses(out_path, dataset, config=config)
        # write_atomic judges the file again when replacing: the lock binds sgbench's runs
        # only, and another program may have written it meanwhile.
        write_atomic(predictions_path, parsed.to_jsonl(), kind=PREDICTIONS, what="predictions")
    return BenchmarkRun(summary, Path(predictions_path), parsed)
