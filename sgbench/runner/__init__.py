"""Run a model on the benchmark through an OpenAI-compatible endpoint: ``sgbench run``.

:mod:`~sgbench.runner.client` (one HTTP request, standard library only),
:mod:`~sgbench.runner.backoff` (when to retry), :mod:`~sgbench.runner.store` (the resumable,
append-only responses file), :mod:`~sgbench.runner.progress` (the progress line) and
:mod:`~sgbench.runner.run` (the bounded pool that ties them together) and
:mod:`~sgbench.runner.benchmark` (``sgbench run`` as one call: prompts, run, parsing).
"""

from __future__ import annotations

from sgbench.runner.backoff import RetryPolicy
from sgbench.runner.benchmark import BenchmarkRun, api_key_from_env, run_benchmark
from sgbench.runner.client import Endpoint, SamplingParams
from sgbench.runner.run import RunSummary

# The public API is ``sgbench run`` as one call and what a caller builds for it; the pieces it
# is made of (post_chat, run_model, prepare_output, retry_delay, RequestFailed) live in their
# modules, internal: they trust their callers and raise more than InputError.
__all__ = [
    "BenchmarkRun",
    "Endpoint",
    "RetryPolicy",
    "RunSummary",
    "SamplingParams",
    "api_key_from_env",
    "run_benchmark",
]
