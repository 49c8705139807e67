"""Send every prompt of a split to a model and append the responses: ``sgbench run``.

A bounded pool of worker threads sends the requests (``concurrency`` at a time); the calling
thread alone writes the output file, one line per finished sample, flushed at once. Each sample
is tried up to ``policy.max_attempts`` times: 429, 5xx, timeouts, connection errors and
malformed bodies are retried after :func:`~sgbench.runner.backoff.retry_delay`; other 4xx replies
are recorded at once; 401, 403 and 404 stop the whole run (they concern every request). A
sample that never succeeds becomes an error line, which the next run tries again. Ids already
answered in the output file are skipped, so running the same command again resumes.

:func:`request_with_retries` (one request and its retries) and :func:`run_pool` (the pool and the
single writer) are public so that other commands sending many requests (``sgbench judge``) share
them rather than keeping a second client.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO, TypeVar

from sgbench.errors import InputError
from sgbench.prompts import Prompt
from sgbench.runner.backoff import RetryPolicy, retry_delay, sample_rng
from sgbench.runner.client import (
    Completion,
    Endpoint,
    RequestFailed,
    SamplingParams,
    post_chat,
)
from sgbench.runner.progress import Progress, format_duration
from sgbench.runner.store import prepare_output, response_line

MAX_CONCURRENCY = 256

T = TypeVar("T")


@dataclass(frozen=True)
class RunSummary:
    """What a run did."""

    out: Path
    n_total: int
    """Samples asked for (the split, or its first ``limit``)."""
    n_already_done: int
    """Samples skipped because the output file already had their response."""
    n_answered: int
    """Samples answered in this run."""
    n_errors: int
    """Samples whose every attempt failed in this run (error lines; the next run retries them)."""
    n_retried_errors: int
    """Error lines of an earlier run that this run tried again."""
    elapsed: float
    """Seconds spent sending requests."""

    def render(self) -> str:
        """A short summary for stderr."""
        parts = [f"{self.n_answered} answered"]
        if self.n_already_done:
            parts.append(f"{self.n_already_done} already in {self.out}")
        if self.n_retried_errors:
            parts.append(f"{self.n_retried_errors} earlier error(s) retried")
        parts.append(f"{self.n_errors} error(s)")
        text = f"run: {self.n_total} samples: " + ", ".join(parts)
        text += f" in {format_duration(self.elapsed)}"
        if self.n_errors:
            text += "; run the same command again to retry the errors"
        return text


@dataclass(frozen=True)
class Outcome:
    """How the attempts at one request ended."""

    completion: Completion | None
    """The response; None when every attempt failed."""
    error: str | None
    """The last failure when every attempt failed; None on success."""
    attempts: int
    """Requests sent, the successful one included."""


def request_with_retries(
    messages: Sequence[Mapping[str, object]],
    *,
    key: str,
    model: str,
    endpoint: Endpoint,
    params: SamplingParams,
    policy: RetryPolicy,
    sleep: Callable[[float], object],
    stop: threading.Event,
) -> Outcome | None:
    """Send one chat request until it succeeds or ``policy.max_attempts`` run out.

    ``key`` seeds the jitter of the waits (:func:`~sgbench.runner.backoff.sample_rng`), so the
    same request waits the same on every run. Returns None when ``stop`` was set before it
    finished.

    Raises:
        RequestFailed: a fatal status (the run must stop).
    """
    rng = sample_rng(key)
    last: RequestFailed | None = None
    for attempt in range(1, policy.max_attempts + 1):
        if stop.is_set():
            return None
        try:
            completion = post_chat(endpoint, model, messages, params)
        except RequestFailed as exc:
            if exc.fatal:
                raise
            last = exc
            if not exc.retryable or attempt == policy.max_attempts:
                break
            sleep(retry_delay(policy, attempt, exc.retry_after, rng))
            continue
        return Outcome(completion=completion, error=None, attempts=attempt)
    return Outcome(completion=None, error=str(last), attempts=attempt)


def answer_sample(
    prompt: Prompt,
    *,
    model: str,
    endpoint: Endpoint,
    params: SamplingParams,
    policy: RetryPolicy,
    run: dict[str, Any],
    sleep: Callable[[float], object],
    stop: threading.Event,
) -> dict[str, Any] | None:
    """Request one sample until it succeeds or the attempts run out; its output line as a dict.

    Returns None when ``stop`` was set before it finished.

    Raises:
        RequestFailed: a fatal status (the run must stop).
    """
    outcome = request_with_retries(
        prompt["messages"],
        key=prompt["id"],
        model=model,
        endpoint=endpoint,
        params=params,
        policy=policy,
        sleep=sleep,
        stop=stop,
    )
    if outcome is None:
        return None
    if outcome.completion is None:
        return {
            "id": prompt["id"],
            "response": "",
            "error": outcome.error,
            **run,
            "attempts": outcome.attempts,
        }
    return {
        "id": prompt["id"],
        "response": outcome.completion.text,
        **run,
        "finish_reason": outcome.completion.finish_reason,
        "usage": outcome.completion.usage,
        "attempts": outcome.attempts,
    }


@dataclass(frozen=True)
class PoolCounts:
    """What :func:`run_pool` wrote."""

    n_done: int
    """Lines written without an ``error`` key."""
    n_errors: int
    """Lines written with an ``error`` key."""
    elapsed: float
    """Seconds from the first request to the last line."""


def run_pool(
    tasks: Sequence[T],
    work: Callable[[T, Callable[[float], object], threading.Event], dict[str, Any] | None],
    out: str | Path,
    *,
    where: str,
    concurrency: int,
    progress_stream: TextIO | None = None,
    show_progress: bool | None = None,
    sleep: Callable[[float], object] | None = None,
    label: str = "run",
) -> PoolCounts:
    """Run ``work(task, sleep, stop)`` for every task on a bounded thread pool, appending the
    line each returns to ``out`` (the calling thread alone writes, flushing each line).

    ``work`` returns the line as a dict (an error line has an ``error`` key), or None when
    ``stop`` was set before it finished; it may raise
    :class:`~sgbench.runner.client.RequestFailed` for a fatal status, which stops the pool.
    ``sleep`` (default: a wait that ends early when the pool stops) is what ``work`` should wait
    with; ``where`` names the endpoint in the error; ``label`` starts the progress line.

    Raises:
        InputError: a fatal status, or ``out`` cannot be written; lines written before stay.
    """
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise InputError(f"concurrency {concurrency}: must lie in 1..{MAX_CONCURRENCY}")
    stream = progress_stream if progress_stream is not None else sys.stderr
    enabled = stream.isatty() if show_progress is None else show_progress
    progress = Progress(len(tasks), stream, enabled=enabled, label=label)
    stop = threading.Event()
    wait: Callable[[float], object] = sleep if sleep is not None else stop.wait
    done = errors = 0
    start = time.monotonic()
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix=f"sgbench-{label}")
    futures: list[Future[dict[str, Any] | None]] = []
    try:
        with Path(out).open("a", encoding="utf-8") as handle:
            futures = [pool.submit(work, task, wait, stop) for task in tasks]
            for future in as_completed(futures):
                try:
                    record = future.result()
                except RequestFailed as exc:
                    raise InputError(
                        f"{where}: {exc}; stopped (responses so far are kept in {out})"
                    ) from None
                if record is None:
                    continue
                handle.write(response_line(record))
                handle.flush()
                if "error" in record:
                    errors += 1
                else:
                    done += 1
                progress.update(done + errors, errors)
            progress.update(done + errors, errors, force=True)
    except OSError as exc:
        raise InputError(f"{out}: cannot write ({exc.strerror})") from None
    finally:
        stop.set()
        for future in futures:
            future.cancel()
        pool.shutdown(wait=False, cancel_futures=True)
        progress.close()
    return PoolCounts(n_done=done, n_errors=errors, elapsed=time.monotonic() - start)


def run_model(
    prompts: Sequence[Prompt],
    out: str | Path,
    *,
    model: str,
    template: str,
    endpoint: Endpoint,
    params: SamplingParams | None = None,
    concurrency: int = 8,
    policy: RetryPolicy | None = None,
    progress_stream: TextIO | None = None,
    show_progress: bool | None = None,
    sleep: Callable[[float], object] | None = None,
) -> RunSummary:
    """Answer every prompt not yet answered in ``out``, appending one line per sample.

    ``template`` is the template's recorded name; ``show_progress`` defaults to whether
    ``progress_stream`` (default stderr) is a terminal; ``sleep`` (default: an interruptible
    wait) is called with each retry delay, and tests replace it.

    Raises:
        InputError: bad settings, an output file that cannot be resumed (see
            :func:`~sgbench.runner.store.prepare_output`), or a fatal HTTP status; lines written
            before the error stay in ``out``.
    """
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise InputError(f"concurrency {concurrency}: must lie in 1..{MAX_CONCURRENCY}")
    params = params or SamplingParams()
    policy = policy or RetryPolicy()
    run = {"model": model, "template": template, "params": params.to_dict()}
    existing = prepare_output(out, run)
    pending = [p for p in prompts if p["id"] not in existing.done]

    def work(
        prompt: Prompt, wait: Callable[[float], object], stop: threading.Event
    ) -> dict[str, Any] | None:
        return answer_sample(
            prompt,
            model=model,
            endpoint=endpoint,
            params=params,
            policy=policy,
            run=run,
            sleep=wait,
            stop=stop,
        )

    counts = run_pool(
        pending,
        work,
        out,
        where=endpoint.url,
        concurrency=concurrency,
        progress_stream=progress_stream,
        show_progress=show_progress,
        sleep=sleep,
    )
    return RunSummary(
        out=Path(out),
        n_total=len(prompts),
        n_already_done=len(prompts) - len(pending),
        n_answered=counts.n_done,
        n_errors=counts.n_errors,
        n_retried_errors=existing.n_errors_dropped,
        elapsed=counts.elapsed,
    )
