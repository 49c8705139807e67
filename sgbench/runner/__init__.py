"""Run a model on the benchmark through an OpenAI-compatible endpoint: ``sgbench run``.

:mod:`~sgbench.runner.client` (one HTTP request, standard library only),
:mod:`~sgbench.runner.backoff` (when to retry), :mod:`~sgbench.runner.store` (the resumable,
append-only responses file), :mod:`~sgbench.runner.progress` (the progress line) and
:mod:`~sgbench.runner.run` (the bounded pool that ties them together) and
:mod:`~sgbench.runner.benchmark` (``sgbench run`` as one call: prompts, run, parsing).
"""

from __future__ import annotations

from sgbench.runner.backoff import RetryPolicy, retry_delay
from sgbench.runner.benchmark import BenchmarkRun, api_key_from_env, run_benchmark
from sgbench.runner.client import Endpoint, RequestFailed, SamplingParams, post_chat
from sgbench.runner.run import RunSummary, run_model
from sgbench.runner.store import prepare_output

__all__ = [
    "BenchmarkRun",
    "Endpoint",
    "RequestFailed",
    "RetryPolicy",
    "RunSummary",
    "SamplingParams",
    "api_key_from_env",
    "post_chat",
    "prepare_output",
    "retry_delay",
    "run_benchmark",
    "run_model",
]
