"""Send every prompt of a split to a model and append the responses: ``sgbench run``.

A bounded pool of worker threads sends the requests (``concurrency`` at a time); the calling
thread alone writes the output file, one line per finished sample, flushed at once. Each sample
is tried up to ``policy.max_attempts`` times: 429, 5xx, timeouts, connection errors and
malformed bodies are retried after :func:`~sgbench.runner.backoff.retry_delay`; other 4xx replies
are recorded at once; 401, 403, 404, a redirect and a 400 naming a parameter stop the whole run
(they concern every request). A sample that never succeeds becomes an error line, which the next
run tries again; once a server has failed many requests in a row that way, the run stops
(:class:`Breaker`) rather than try every remaining sample. A refusal
(:class:`~sgbench.runner.client.Choice`) is an answer: recorded with its ``refusal`` and
``finish_reason`` and never retried. Ids already answered in the output file
are skipped, so running the same command again resumes.

The output file is locked (:func:`~sgbench.locks.exclusive`) for the whole run, so a second
run on it is refused rather than interleaved. Stopping the pool (a fatal error, Ctrl-C) aborts
the requests in flight at once (:class:`~sgbench.runner.client.Cancel`).

:class:`Requests` (what every request is sent with), :func:`request_with_retries` (one request
and its retries), :func:`run_pool` (the pool and the single writer) and :func:`append_pending`
(resuming: the lock, the tidied output file, the pool over what it lacks) are public so that
other commands sending many requests (``sgbench judge``) share them rather than keeping a second
client and a second resume.
"""

from __future__ import annotations

import contextvars
import dataclasses
import os
import sys
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TextIO, TypeVar

from sgbench.boundary import ArgumentName, PathArg
from sgbench.errors import InputError, shown_name, write_reason
from sgbench.locks import appending, exclusive
from sgbench.prompts import Prompt
from sgbench.runner.backoff import RetryPolicy, retry_delay, sample_rng
from sgbench.runner.client import (
    MAX_BODY_BYTES,
    NOT_CONNECTED,
    Cancel,
    Choice,
    Completion,
    Endpoint,
    RequestFailed,
    SamplingParams,
    post_chat,
    server_failure,
)
from sgbench.runner.distribution import (
    DEFAULT_SAMPLES,
    DEFAULT_TOP_LOGPROBS,
    MAX_SAMPLES,
    Mode,
    Options,
    logprob_distribution,
    sample_distribution,
    verbalized_distribution,
)
from sgbench.runner.progress import Progress, format_duration
from sgbench.runner.store import (
    PROMPT_KEY,
    RESPONSES,
    LineFormat,
    prepare_output,
    request_digest,
    response_line,
)

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
    """Samples answered in this run (refusals included)."""
    n_errors: int
    """Samples whose every attempt failed in this run (error lines; the next run retries them)."""
    n_retried_errors: int
    """Error lines of an earlier run that this run tried again."""
    elapsed: float
    """Seconds spent sending requests."""
    n_refused: int = 0
    """Of ``n_answered``, the refusals."""

    def render(self) -> str:
        """A short summary for stderr."""
        parts = [f"{self.n_answered} answered"]
        if self.n_refused:
            parts[0] += f" ({self.n_refused} refused)"
        if self.n_already_done:
            parts.append(f"{self.n_already_done} already in {shown_name(str(self.out))}")
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


@dataclass(frozen=True)
class Requests:
    """How a command sends its requests, for ``run`` and ``judge`` alike: the model asked and its
    server, each request's sampling and retry settings, and how the pool sends them
    (``concurrency`` at once; ``progress_stream``, ``show_progress`` and ``sleep`` as for
    :func:`run_pool`)."""

    model: str
    endpoint: Endpoint
    params: SamplingParams
    policy: RetryPolicy
    concurrency: int
    progress_stream: TextIO | None = None
    show_progress: bool | None = None
    sleep: Callable[[float], object] | None = None


def request_with_retries(
    messages: Sequence[Mapping[str, object]],
    requests: Requests,
    *,
    key: str,
    sleep: Callable[[float], object],
    stop: threading.Event,
) -> Outcome | None:
    """Send one chat request to ``requests``' model until it succeeds or its policy's
    ``max_attempts`` run out; ``sleep`` waits between attempts (the pool's wait).

    ``key`` seeds the jitter of the waits (:func:`~sgbench.runner.backoff.sample_rng`), so the
    same request waits the same on every run. Returns None when ``stop`` was set before it
    finished.

    Raises:
        RequestFailed: a fatal status (the run must stop).
    """
    policy = requests.policy
    rng = sample_rng(key)
    last: RequestFailed | None = None
    cancel = stop if isinstance(stop, Cancel) else None
    for attempt in range(1, policy.max_attempts + 1):
        if stop.is_set():
            return None
        try:
            completion = post_chat(
                requests.endpoint, requests.model, messages, requests.params, cancel
            )
        except RequestFailed as exc:
            if stop.is_set():
                return None
            if exc.fatal:
                raise
            last = exc
            if not exc.retryable or attempt == policy.max_attempts:
                break
            sleep(retry_delay(policy, attempt, exc.retry_after, rng))
            continue
        return Outcome(completion=completion, error=None, attempts=attempt)
    return Outcome(completion=None, error=str(last), attempts=attempt)


_DISTRIBUTION: Final = ArgumentName("distribution", "--distribution")
_SAMPLES: Final = ArgumentName("samples", "--samples")
_TEMPERATURE: Final = ArgumentName("temperature", "--temperature")
_OUT: Final = ArgumentName("out", "--out")
_CRITERIA: Final = ArgumentName("criteria", "--criteria")
"""``judge_files``' criteria: the one a run stopped with judgments left unread is told to fix."""


def no_logprobs() -> str:
    """What a server sending no logprobs is told, named as the caller spells the mode."""
    return (
        f"the server sent no logprobs: it does not support {_DISTRIBUTION} logprobs "
        f"(use {_DISTRIBUTION} sample or verbalized)"
    )


def _read_distribution(
    completion: Completion, mode: Mode | None, options: Options
) -> dict[str, Any]:
    """The distribution fields of one line for ``mode`` (``distribution``, and ``mass_outside``
    for logprobs); none when the reply gives no readable distribution.

    Raises:
        RequestFailed: ``logprobs`` mode and the reply has none (fatal: every reply will lack it).
    """
    codes = [code for code, _ in options]
    if mode == "logprobs":
        tokens = completion.choices[0].logprobs
        if tokens is None:
            raise RequestFailed(no_logprobs(), retryable=False, fatal=True)
        read = logprob_distribution(tokens, codes)
        return {} if read is None else {"distribution": read[0], "mass_outside": read[1]}
    if mode == "verbalized":
        shares = verbalized_distribution(completion.text, codes)
        return {} if shares is None else {"distribution": shares}
    if mode == "sample":
        from sgbench.scoring.parse import parse_response

        answers = [
            None if c.refusal is not None else parse_response(c.text, options)
            for c in completion.choices
        ]
        shares = sample_distribution(answers, codes)
        return {"samples": [c.text for c in completion.choices]} | (
            {} if shares is None else {"distribution": shares}
        )
    return {}


def _too_large(completion: Completion) -> bool:
    """Whether a sample's answers hold more text than one reply may (:data:`MAX_BODY_BYTES`):
    ``sample`` mode gathers them over many replies, each within the bound on its own."""
    return sum(len(c.text.encode("utf-8", "replace")) for c in completion.choices) > MAX_BODY_BYTES


def _first_answer(choices: Sequence[Choice]) -> Choice:
    """The first choice that is not a refusal (the first one when all refused)."""
    return next((c for c in choices if c.refusal is None), choices[0])


def answer_sample(
    prompt: Prompt,
    *,
    requests: Requests,
    run: dict[str, Any],
    sleep: Callable[[float], object],
    stop: threading.Event,
    mode: Mode | None = None,
    options: Options = (),
) -> dict[str, Any] | None:
    """Request one sample until it succeeds or the attempts run out; its output line as a dict.

    With ``mode`` ``sample``, requests are repeated until ``requests.params.n`` choices came back
    (a server may ignore ``n``), and the first ``n`` are kept (a server may return more);
    answers holding more text in all than one reply may are an error line. ``options`` are the
    sample's ``(code, label)`` pairs.
    Returns None when ``stop`` was set before it finished.

    Raises:
        RequestFailed: a fatal status (the run must stop).
    """

    def ask(key: str) -> Outcome | None:
        return request_with_retries(prompt["messages"], requests, key=key, sleep=sleep, stop=stop)

    outcome = ask(prompt["id"])
    if outcome is None:
        return None
    attempts = outcome.attempts
    error = outcome.error
    completion = outcome.completion
    wanted = (requests.params.n or 1) if mode == "sample" else 1
    while completion is not None and len(completion.choices) < wanted:
        if _too_large(completion):
            break
        more = ask(f"{prompt['id']}#{len(completion.choices)}")
        if more is None:
            return None
        attempts += more.attempts
        if more.completion is None:
            completion, error = None, more.error
            break
        extra = more.completion.choices[: wanted - len(completion.choices)]
        completion = Completion(choices=completion.choices + extra, usage=completion.usage)
    if completion is not None and mode == "sample":
        completion = Completion(choices=completion.choices[:wanted], usage=completion.usage)
    if completion is not None and _too_large(completion):
        completion, error = (
            None,
            (
                f"the answers hold more than {MAX_BODY_BYTES} bytes of text in all (the bound of "
                "one reply)"
            ),
        )
    asked = {PROMPT_KEY: request_digest(prompt["messages"])}
    if completion is None:
        return {
            "id": prompt["id"],
            "response": "",
            "error": error,
            **run,
            **asked,
            "attempts": attempts,
        }
    first = _first_answer(completion.choices)
    line: dict[str, Any] = {"id": prompt["id"], "response": first.text, **run, **asked}
    if first.refusal is not None:
        line["refusal"] = first.refusal
    else:
        line.update(_read_distribution(completion, mode, options))
    line.update(finish_reason=first.finish_reason, usage=completion.usage, attempts=attempts)
    return line


@dataclass(frozen=True)
class PoolCounts:
    """What :func:`run_pool` wrote."""

    n_done: int
    """Lines written without an ``error`` key."""
    n_errors: int
    """Lines written with an ``error`` key."""
    elapsed: float
    """Seconds from the first request to the last line."""
    n_refused: int = 0
    """Of ``n_done``, lines with a ``refusal``."""


SIGNAL_POLL: Final = 0.25
"""Seconds the writer waits for a result before waking to look again (:func:`_as_completed`)."""


def _as_completed(futures: Sequence[Future[T]]) -> Iterator[Future[T]]:
    """The futures as they finish (those finishing together in submission order), like
    :func:`concurrent.futures.as_completed` but waking every :data:`SIGNAL_POLL` seconds. A wait
    without a timeout is not interrupted by a signal the kernel hands to a worker thread (it
    does when the main thread already has one pending: SIGTERM then Ctrl-C), so the handler
    would wait for the next reply, for ever from a server that holds it."""
    order = {future: index for index, future in enumerate(futures)}
    pending = set(futures)
    while pending:
        finished, pending = wait_for(pending, timeout=SIGNAL_POLL, return_when=FIRST_COMPLETED)
        yield from sorted(finished, key=order.__getitem__)


def _still_named(handle: TextIO, out: PathArg) -> bool:
    """Whether ``out`` still names the file ``handle`` appends to. The lock keeps other sgbench
    processes away, not ``rm`` or an editor's save-by-rename: lines appended to a file no name
    leads to would be lost while the run reports them answered."""
    try:
        return os.path.samestat(os.fstat(handle.fileno()), os.stat(out))
    except OSError:  # removed, or its folder
        return False


def _stopping_on_fatal(
    work: Callable[[T, Callable[[float], object], threading.Event], dict[str, Any] | None],
    task: T,
    wait: Callable[[float], object],
    stop: threading.Event,
) -> dict[str, Any] | None:
    """``work(task, wait, stop)``, setting ``stop`` on a fatal status before raising it: the
    writer may not run before the free worker takes the next task, which a redirect (or a 401)
    would refuse again, so no further request is sent once one was fatal."""
    try:
        return work(task, wait, stop)
    except RequestFailed as exc:
        if exc.fatal:
            stop.set()
        raise


BREAKER_MIN: Final = 3
"""Fewest failed requests in a row that stop a pool, whatever ``--concurrency``
(:func:`breaker_threshold`): at ``--concurrency 1`` one sample failing after all its attempts
(a server restarting for a minute) should not end a run."""


def breaker_threshold(concurrency: int) -> int:
    """How many requests in a row must fail after all their attempts before a pool stops: the
    ``concurrency`` requests in flight together (a dead server fails them all at once, so the
    stop costs one request's attempts, not one per sample of the split), and at least
    :data:`BREAKER_MIN`."""
    return max(concurrency, BREAKER_MIN)


class Breaker:
    """The circuit breaker of :func:`run_pool`, for ``run`` and ``judge`` alike: when a server
    has stopped answering, stop sending rather than retry every remaining sample with backoff
    (a port that accepts and never answers, a 503 to everything, a server gone mid-run: about
    six minutes per sample with the defaults, hours for a split).

    Each written line is seen in the order written. An answer (a refusal included) resets the
    count. A line whose error is a failure of the server (:func:`~sgbench.runner.client.
    server_failure`: connection, timeout, retryable status, malformed reply; each request failed
    after all its attempts) adds one. Any other error line (a 400 for a prompt too long) is
    about its own sample: it neither adds, so samples the server rejects do not stop a run, nor
    resets, so a gateway that rejects some prompts itself while its backend is down still stops.

    With ``unread`` (``judge``: the criteria an answer line gives no verdict for, in order;
    empty when it was read whole), the pool also stops once some criterion was read in none of
    the first :func:`breaker_threshold` answers of the run, and names it: a judge that never
    gives a verdict for a criterion is misconfigured for it (another model, a server that does
    not apply its chat template), and would be asked about every remaining sample for nothing.
    Once every criterion has been read in some answer the check ends for the run: after it, an
    unreadable reply is about its own sample. A judge reading ``overall`` in every reply but
    never ``value`` was stopped as though none of its judgments could be read. Error lines
    neither count nor end it. ``run`` passes none: an answer ``parse`` cannot read is the
    model's, a missing answer to score.
    """

    def __init__(
        self,
        concurrency: int,
        unread: Callable[[Mapping[str, Any]], Sequence[str]] | None = None,
        kept: str = "answers",
    ) -> None:
        self.concurrency = concurrency
        self.threshold = breaker_threshold(concurrency)
        self.unread = unread
        self.kept = kept
        """What the lines are, in the plural (for the stop's message)."""
        self.in_a_row = 0
        """Server failures since the last answer (other error lines skipped)."""
        self.n_unread = 0
        """Answers so far, while some criterion was read in none of them (``unread`` given)."""
        self.never_read: tuple[str, ...] | None = None
        """The criteria read in no answer so far (None before the first answer)."""
        self.read = False
        """Whether every criterion was read in some answer of this run (the check is over)."""
        self.stopped_unread = False
        """Whether :meth:`see` stopped the pool for a criterion never read."""
        self.connected = False
        """Whether any request connected to the server (an answer, or an error other than
        :data:`~sgbench.runner.client.NOT_CONNECTED`: a server that took the connection and
        closed it unanswered was reached)."""

    def see(self, record: Mapping[str, Any]) -> str | None:
        """Count one written line; why the pool must stop, or None to go on."""
        if "error" not in record:
            self.in_a_row = 0
            self.connected = True
            if self.unread is None or self.read:
                return None
            missing = self.unread(record)
            before = missing if self.never_read is None else self.never_read
            self.never_read = tuple(name for name in before if name in missing)
            if not self.never_read:
                self.read = True
                return None
            self.n_unread += 1
            if self.n_unread < self.threshold:
                return None
            self.stopped_unread = True
            names = ", ".join(repr(name) for name in self.never_read)
            which = "criterion" if len(self.never_read) == 1 else "criteria"
            # Short: with the URL, the count and --out it must fit one bounded line
            # (errors.MAX_MESSAGE), which cut its middle, "stopped: N answered", before.
            return (
                f"the first {self.n_unread} {self.kept} gave no verdict for {which} {names}: the "
                "judge is misconfigured (another model, or a server not applying its chat "
                "template), not the samples"
            )
        error = str(record["error"])
        self.connected = self.connected or not error.startswith(NOT_CONNECTED)
        if not server_failure(error):
            return None
        self.in_a_row += 1
        if not self.connected and self.in_a_row >= self.concurrency:
            # Never connected: a wrong --base-url (a closed port, an unknown host), said as such,
            # and at the concurrency itself (one sample at --concurrency 1): nothing was lost yet.
            failed = (
                "the first request could not"
                if self.in_a_row == 1
                else f"none of the first {self.in_a_row} requests could"
            )
            return (
                f"{failed} connect to the server ({error}); stopped: check that it is up at "
                "that address"
            )
        if self.in_a_row >= self.threshold:
            return (
                f"{self.in_a_row} requests in a row failed after all their attempts "
                f"(the last: {error})"
            )
        return None


def run_pool(
    tasks: Sequence[T],
    work: Callable[[T, Callable[[float], object], threading.Event], dict[str, Any] | None],
    out: PathArg,
    *,
    where: str,
    concurrency: int,
    progress_stream: TextIO | None = None,
    show_progress: bool | None = None,
    sleep: Callable[[float], object] | None = None,
    label: str = "run",
    kept: str,
    unread: Callable[[Mapping[str, Any]], Sequence[str]] | None = None,
    out_name: ArgumentName = _OUT,
) -> PoolCounts:
    """Run ``work(task, sleep, stop)`` for every task on a bounded thread pool, appending the
    line each returns to ``out`` (the calling thread alone writes, flushing each line).

    ``work`` returns the line as a dict (an error line has an ``error`` key), or None when
    ``stop`` was set before it finished; it may raise
    :class:`~sgbench.runner.client.RequestFailed` for a fatal status, which stops the pool.
    ``sleep`` (default: a wait that ends early when the pool stops) is what ``work`` should wait
    with; ``where`` names the endpoint in the error; ``label`` starts the progress line;
    ``kept`` is what the lines of ``out`` are, in the plural (``responses`` for ``run``,
    ``judgments`` for ``judge``), for the messages of a stop: a stopped judge said its
    judgments were "responses". ``unread`` gives the criteria an answer line has no verdict for
    (:class:`Breaker`). ``out_name`` is the argument ``out`` was given as, which a stop names.

    Raises:
        InputError: a fatal status, a server failing request after request, or the first
            answers of the run giving no verdict for a criterion (:class:`Breaker`, while
            tasks remain), ``out``
            cannot be written, or ``out`` was removed or replaced
            by another program while the pool wrote it (:func:`_still_named`); lines written
            before stay.
    """
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise InputError(f"concurrency {concurrency}: must lie in 1..{MAX_CONCURRENCY}")
    name = shown_name(str(out))
    stream = progress_stream if progress_stream is not None else sys.stderr
    enabled = stream.isatty() if show_progress is None else show_progress
    progress = Progress(len(tasks), stream, enabled=enabled, label=label)
    stop = Cancel()
    wait: Callable[[float], object] = sleep if sleep is not None else stop.wait
    done = errors = refused = 0
    breaker = Breaker(concurrency, unread, kept)
    start = time.monotonic()
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix=f"sgbench-{label}")
    futures: list[Future[dict[str, Any] | None]] = []
    try:
        # Locked as a file too: a hard link made while it runs reads as being written.
        with appending(out) as handle:
            # Each request in the caller's context: a message a worker words names the
            # arguments as its caller spelled them (sgbench.boundary.ArgumentName), and a
            # pool thread starts in an empty one.
            futures = [
                pool.submit(
                    contextvars.copy_context().run, _stopping_on_fatal, work, task, wait, stop
                )
                for task in tasks
            ]
            for future in _as_completed(futures):
                try:
                    record = future.result()
                except RequestFailed as exc:
                    raise InputError(
                        f"{where}: {exc}; stopped (the {kept} so far are kept in {name})"
                    ) from None
                if record is None:
                    continue
                if not _still_named(handle, out):
                    raise InputError(
                        f"{name}: removed or replaced by another program while this run wrote it; "
                        "stopped (run the same command again to resume into the file now there)"
                    )
                handle.write(response_line(record))
                handle.flush()
                if "error" in record:
                    errors += 1
                else:
                    done += 1
                    refused += record.get("refusal") is not None
                progress.update(done + errors, errors)
                broken = breaker.see(record)
                # With nothing left to send, the run ends as usual (error lines, exit 3).
                if broken is not None and done + errors < len(tasks):
                    if not breaker.connected:
                        raise InputError(
                            f"{where}: {broken} (the {kept} so far are kept in {name})"
                        )
                    # "Run the same command again" would not help a misconfigured judge: its
                    # next judgments would be unread too, the unread ones are final (never asked
                    # again), and other criteria are other settings, refused in this file.
                    # --out is named once: twice, with the URL, the line passed its bound.
                    then = (
                        f"fix the judge or {_CRITERIA} and use a new {out_name} (a rerun into "
                        "this one keeps these unread for good)"
                        if breaker.stopped_unread
                        else "run the same command again to resume"
                    )
                    raise InputError(
                        f"{where}: {broken}; stopped: {done} answered in this run (the {kept} "
                        f"so far are kept in {name}); {then}"
                    )
            progress.update(done + errors, errors, force=True)
    except OSError as exc:
        raise InputError(f"{name}: cannot write ({write_reason(exc)})") from None
    finally:
        stop.set()
        for future in futures:
            future.cancel()
        pool.shutdown(wait=False, cancel_futures=True)
        progress.close()
    return PoolCounts(
        n_done=done, n_errors=errors, elapsed=time.monotonic() - start, n_refused=refused
    )


@dataclass(frozen=True)
class Appended:
    """What :func:`append_pending` did."""

    counts: PoolCounts
    """The lines this run wrote (:func:`run_pool`)."""
    n_already_done: int
    """Tasks skipped because the output file already had their line."""
    n_retried_errors: int
    """Error lines of an earlier run dropped, their tasks tried again."""


def append_pending(
    tasks: Sequence[T],
    work: Callable[[T, Callable[[float], object], threading.Event], dict[str, Any] | None],
    out: PathArg,
    requests: Requests,
    *,
    key: Callable[[T], str],
    run: Mapping[str, Any],
    asked: Mapping[str, str],
    kept: str,
    line_format: LineFormat = RESPONSES,
    in_split: Collection[str] | None = None,
    label: str = "run",
    unread: Callable[[Mapping[str, Any]], Sequence[str]] | None = None,
    out_name: ArgumentName,
) -> Appended:
    """Append to ``out`` the line of every task it holds none for yet: how ``run`` and ``judge``
    resume. Under ``out``'s lock (:func:`~sgbench.locks.exclusive`) for the whole call,
    :func:`~sgbench.runner.store.prepare_output` tidies it (``run``, ``line_format``,
    ``in_split`` and ``asked``, key → request digest, as there), then :func:`run_pool` runs
    ``work`` for each task whose ``key`` has no line, as ``requests`` says (``label``, ``kept``
    and ``unread`` as there). ``out_name`` is the argument ``out`` was given as (``out``,
    ``out_path``; ``--out`` on the command line), which a refusal names.

    Raises:
        InputError: as :func:`~sgbench.runner.store.prepare_output` and :func:`run_pool`, or
            ``out`` in use by another process; lines written before stay in ``out``.
    """
    with exclusive(out):
        existing = prepare_output(
            out, run, line_format, in_split=in_split, asked=asked, out_name=out_name
        )
        pending = [task for task in tasks if key(task) not in existing.done]
        counts = run_pool(
            pending,
            work,
            out,
            where=requests.endpoint.shown,
            concurrency=requests.concurrency,
            progress_stream=requests.progress_stream,
            show_progress=requests.show_progress,
            sleep=requests.sleep,
            label=label,
            kept=kept,
            unread=unread,
            out_name=out_name,
        )
    return Appended(counts, len(tasks) - len(pending), existing.n_errors_dropped)


def distribution_params(params: SamplingParams, mode: Mode | None, samples: int) -> SamplingParams:
    """``params`` with what ``mode`` asks of the server: ``logprobs`` and ``top_logprobs``
    (:data:`~sgbench.runner.distribution.DEFAULT_TOP_LOGPROBS` unless set), or ``n``.

    Raises:
        InputError: ``sample`` with fewer than 2 samples, or at temperature 0 (every sample would
            be the same answer).
    """
    if mode == "logprobs":
        top = params.top_logprobs or DEFAULT_TOP_LOGPROBS
        return dataclasses.replace(params, logprobs=True, top_logprobs=top)
    if mode == "sample":
        if not 2 <= samples <= MAX_SAMPLES:
            raise InputError(
                f"{_SAMPLES} {samples}: {_DISTRIBUTION} sample needs 2..{MAX_SAMPLES} answers"
            )
        if params.temperature == 0:
            raise InputError(
                f"{_DISTRIBUTION} sample at {_TEMPERATURE} 0 would draw one answer N times; "
                "give a temperature above 0 (1 samples the model's own distribution)"
            )
        return dataclasses.replace(params, n=samples)
    return params


def run_model(
    prompts: Sequence[Prompt],
    out: PathArg,
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
    distribution: Mode | None = None,
    samples: int = DEFAULT_SAMPLES,
    options: Mapping[str, Options] | None = None,
    in_split: Collection[str] | None = None,
    asked: Mapping[str, str] | None = None,
    out_name: ArgumentName = _OUT,
) -> RunSummary:
    """Answer every prompt not yet answered in ``out``, appending one line per sample.

    ``template`` is the template's recorded name; ``show_progress`` defaults to whether
    ``progress_stream`` (default stderr) is a terminal; ``sleep`` (default: an interruptible
    wait) is called with each retry delay, and tests replace it. With ``distribution`` (a mode
    of :mod:`~sgbench.runner.distribution`; ``samples`` answers each for ``sample``), each line
    also gets the model's ``distribution`` over the sample's ``options`` (id → ``(code, label)``
    pairs, required then). ``in_split`` holds the ids of the whole split the prompts come from
    (lines of ``out`` outside it are refused: :func:`~sgbench.runner.store.prepare_output`), and
    ``asked`` the request digest of each of them (default: those of ``prompts``); a line
    answering another prompt is refused. ``out_name`` is the argument ``out`` was given as, which
    a refusal names (``out_path`` for :func:`~sgbench.runner.run_benchmark`).

    Raises:
        InputError: bad settings, an output file that cannot be resumed (see
            :func:`~sgbench.runner.store.prepare_output`) or in use by another run, or a fatal
            HTTP status; lines written before the error stay in ``out``.
    """
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise InputError(f"concurrency {concurrency}: must lie in 1..{MAX_CONCURRENCY}")
    params = distribution_params(params or SamplingParams(), distribution, samples)
    policy = policy or RetryPolicy()
    choices = options or {}
    if distribution is not None:
        lacking = [p["id"] for p in prompts if p["id"] not in choices]
        if lacking:
            raise InputError(f"{_DISTRIBUTION} {distribution}: no options for sample {lacking[0]}")
    run: dict[str, Any] = {"model": model, "template": template, "params": params.to_dict()}
    if distribution is not None:
        run["distribution_mode"] = distribution
    requests = Requests(
        model, endpoint, params, policy, concurrency, progress_stream, show_progress, sleep
    )

    def work(
        prompt: Prompt, wait: Callable[[float], object], stop: threading.Event
    ) -> dict[str, Any] | None:
        return answer_sample(
            prompt,
            requests=requests,
            run=run,
            sleep=wait,
            stop=stop,
            mode=distribution,
            options=choices.get(prompt["id"], ()),
        )

    if asked is None:
        asked = {p["id"]: request_digest(p["messages"]) for p in prompts}
    appended = append_pending(
        prompts,
        work,
        out,
        requests,
        key=lambda prompt: prompt["id"],
        run=run,
        asked=asked,
        in_split=in_split,
        kept="responses",
        out_name=out_name,
    )
    counts = appended.counts
    return RunSummary(
        out=Path(out),
        n_total=len(prompts),
        n_already_done=appended.n_already_done,
        n_answered=counts.n_done,
        n_errors=counts.n_errors,
        n_retried_errors=appended.n_retried_errors,
        elapsed=counts.elapsed,
        n_refused=counts.n_refused,
    )
