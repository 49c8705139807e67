"""The pool's circuit breaker (`sgbench.runner.run.Breaker`): `run` and `judge` stop once a
server has failed request after request, keep what they wrote, and resume.

Each case was hours of retries before: a port that accepts and never answers, a 503 to every
request, a server gone mid-run each cost every remaining sample its attempts with backoff.
The fake servers listen on 127.0.0.1 only; retries wait for real (under a second each at
``--max-attempts 2``), so each stop's time is bounded here too.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

import pytest
from cli_contract import assert_one_error_line
from click.testing import CliRunner, Result
from fake_openai import ChatHandler, LoopbackChatServer, serving, write_judge_inputs

from sgbench.cli import EXIT_LEFT_OUT, main
from sgbench.errors import InputError
from sgbench.judge.run import unread_criteria
from sgbench.runner.client import (
    CLOSED_UNANSWERED,
    MALFORMED,
    NOT_CONNECTED,
    Endpoint,
    RequestFailed,
    SamplingParams,
    post_chat,
    server_failure,
)
from sgbench.runner.run import BREAKER_MIN, breaker_threshold, run_pool

N_SAMPLES = 12
"""Requests each command has to send: `run --limit 12`, or `judge` over 6 samples, both orders."""
CONCURRENCY = 2
THRESHOLD = 3
"""``breaker_threshold(CONCURRENCY)``: at least BREAKER_MIN (checked below)."""
VERDICT = '{"overall": "1", "value": "1", "persona": "1"}'
"""A reply `judge` reads at once (one request per judgment); `run` records it as a response."""
STOP_SECONDS = 30.0
"""Loose bound on a stop (it takes a few seconds; the machine may be loaded)."""


def test_the_threshold_is_the_concurrency_and_at_least_three() -> None:
    assert breaker_threshold(CONCURRENCY) == THRESHOLD == BREAKER_MIN
    assert breaker_threshold(1) == 3
    assert breaker_threshold(8) == 8  # run's default concurrency: one round of requests in flight


@pytest.mark.parametrize(
    ("error", "counted"),
    [
        ("HTTP 503: overloaded", True),
        ("HTTP 500: internal error", True),
        ("HTTP 429: slow down", True),
        ("HTTP 408: timeout", True),
        ("timed out after 60 s", True),
        (f"{NOT_CONNECTED}: ConnectionRefusedError: [Errno 111] Connection refused", True),
        (f"{NOT_CONNECTED} (through the proxy that http_proxy names, ...): OSError", True),
        (f"{CLOSED_UNANSWERED}: RemoteDisconnected: Remote end closed connection", True),
        ("malformed response body: Expecting value: {", True),
        ("HTTP 400: prompt too long", False),
        ("HTTP 413: too large", False),
        ("HTTP 422: unprocessable", False),
        (
            "the answers hold more than 16777216 bytes of text in all (the bound of one reply)",
            False,
        ),
        ("said HTTP 503: in the middle", False),
    ],
)
def test_which_errors_count_as_the_servers(error: str, counted: bool) -> None:
    assert server_failure(error) is counted


# --- the pool's rule on scripted lines (no server) --------------------------------------------


UNREAD: Final = {
    "u": {"overall": None, "value": None},
    "v": {"overall": "A", "value": None},
    "w": {"overall": None, "value": "B"},
}
"""The verdicts of a judgment recorded unparsed: none read (``u``), only ``overall`` (``v``),
only ``value`` (``w``)."""


def scripted(kinds: str) -> Callable[[int, object, object], dict[str, Any]]:
    """Work that returns, for task i, an answer (``o``), an answer whose reply could not be
    read whole (``u``, ``v``, ``w``: a judgment recorded unparsed, :data:`UNREAD`), a server
    failure (``5``: a 503 after its attempts) or a sample's own failure (``4``: a 400) as
    ``kinds[i]`` says."""
    errors = {"5": "HTTP 503: overloaded", "4": "HTTP 400: prompt too long"}

    def work(task: int, wait: object, stop: object) -> dict[str, Any]:
        line: dict[str, Any] = {"id": f"s{task}", "response": "Answer: 1", "parse": "ok"}
        line["verdicts"] = {"overall": "A", "value": "A"}
        if kinds[task] in UNREAD:
            line.update(parse="unparsed", verdicts=UNREAD[kinds[task]])
        elif kinds[task] != "o":
            line.update(response="", error=errors[kinds[task]])
        return line

    return work


def _judge_pool(kinds: str, out: Path) -> Any:
    """``run_pool`` as ``judge`` calls it (``unread`` = the criteria without a verdict), one
    scripted answer per character of ``kinds``, one at a time."""
    return run_pool(
        list(range(len(kinds))), scripted(kinds), out, where="h", concurrency=1,
        kept="judgments", unread=unread_criteria,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("kinds", "stops_after"),
    [
        ("o55o55o55o", None),  # never 3 in a row: an answer resets the count
        ("4444444444", None),  # samples the server rejects, each its own error line
        ("o54o54o54o", None),  # a 400 between failures is no answer: still never 3 in a row
        ("o545o5oooo", None),
        ("o5545oooooo", 5),  # ... and no reset either: 5, 5, (400), 5 stops at the 5th line
        ("o444555oooo", 7),
        ("oo555", None),  # the third failure is the last task: nothing left to stop, exit 3
        ("555o", 3),  # a 503 is a reply (the server was reached): the threshold, not 1
    ],
)
def test_the_pool_stops_after_server_failures_in_a_row(
    kinds: str, stops_after: int | None, tmp_path: Path
) -> None:
    """Lines are seen in the order written (concurrency 1: the task order). Only failures the
    server would give any request count; a sample's own 4xx neither counts nor resets."""
    out = tmp_path / "o.jsonl"
    tasks = list(range(len(kinds)))
    if stops_after is None:
        counts = run_pool(
            tasks, scripted(kinds), out, where="http://h/v1", concurrency=1, kept="responses"
        )
        assert (counts.n_done, counts.n_errors) == (kinds.count("o"), len(kinds) - kinds.count("o"))
        return
    with pytest.raises(InputError) as caught:
        run_pool(tasks, scripted(kinds), out, where="http://h/v1", concurrency=1, kept="responses")
    written = out.read_text().splitlines()
    assert len(written) == stops_after
    answered = kinds[:stops_after].count("o")
    assert str(caught.value) == (
        "http://h/v1: 3 requests in a row failed after all their attempts (the last: HTTP 503: "
        f"overloaded); stopped: {answered} answered in this run (the responses so far are kept "
        f"in {out}); run the same command again to resume"
    )


@pytest.mark.parametrize(
    ("kinds", "stops_after"),
    [
        ("uuuoo", 3),  # the first 3 answers of the run, none read: a misconfigured judge
        ("u5u4uoo", 5),  # error lines neither count nor end the check
        ("uuo", None),  # the third is the last task: nothing left to stop, the run ends
        ("ouuuuuu", None),  # one read answer ends the check: later ones are the samples'
        ("uuouuuuu", None),
        ("vwuuuu", None),  # each criterion read in some answer: the judge gives both
    ],
)
def test_a_judge_whose_first_answers_are_never_read_stops(
    kinds: str, stops_after: int | None, tmp_path: Path
) -> None:
    """`judge` passes `unread` (the criteria a judgment has no verdict for after its retry): a
    criterion read in none of the first max(concurrency, 3) answers of a run stops it, keeping
    every line, named. Before, a judge answering every request with text that is no verdict
    went through the whole split and exited 0."""
    out = tmp_path / "o.jsonl"
    if stops_after is None:
        assert _judge_pool(kinds, out).n_done == len(kinds) - kinds.count("5") - kinds.count("4")
        return
    with pytest.raises(InputError) as caught:
        _judge_pool(kinds, out)
    assert len(out.read_text().splitlines()) == stops_after
    assert str(caught.value) == (
        "h: the first 3 judgments gave no verdict for criteria 'overall', 'value': the judge "
        "is misconfigured (another model, or a server not applying its chat template), not the "
        f"samples; stopped: {kinds[:stops_after].count('u')} answered in this run (the "
        f"judgments so far are kept in {out}); fix the judge or criteria and use a new out "
        "(a rerun into this one keeps these unread for good)"
    )


@pytest.mark.parametrize(
    ("kinds", "stops_after", "named"),
    [
        ("vvvoo", 3, "criterion 'value'"),
        ("vuvoo", 3, "criterion 'value'"),  # 'overall' was read once: only 'value' never was
        ("wu5woo", 4, "criterion 'overall'"),  # the error line is not counted
        ("vvwuu", None, ""),  # both read by the third: the judge works
    ],
)
def test_a_judge_that_never_reads_one_criterion_stops_naming_it(
    kinds: str, stops_after: int | None, named: str, tmp_path: Path
) -> None:
    """A judge reading `overall` in every reply but never `value` was stopped as "none of the
    first 3 judgments could be read", and told to rerun the same command: the stop names the
    criterion never read, and says a rerun into the file keeps those judgments unread."""
    out = tmp_path / "o.jsonl"
    if stops_after is None:
        assert _judge_pool(kinds, out).n_done == len(kinds)
        return
    with pytest.raises(InputError) as caught:
        _judge_pool(kinds, out)
    assert len(out.read_text().splitlines()) == stops_after
    message = str(caught.value)
    assert message.startswith(f"h: the first 3 judgments gave no verdict for {named}: ")
    assert "run the same command again" not in message
    assert message.endswith("use a new out (a rerun into this one keeps these unread for good)")


def test_run_never_stops_for_unreadable_answers(tmp_path: Path) -> None:
    """`run` passes no `unread`: an answer parse cannot read is a missing answer to score,
    never a reason to stop (the same lines stop a judge)."""
    out = tmp_path / "o.jsonl"
    counts = run_pool(
        list(range(8)), scripted("u" * 8), out, where="h", concurrency=1, kept="responses"
    )
    assert counts.n_done == 8


WORDS = {"run": "responses", "judge": "judgments"}
"""What each command's output lines are, as its stop messages name them."""


@pytest.mark.parametrize("kept", sorted(WORDS.values()))
def test_every_stop_names_what_the_caller_writes(kept: str, tmp_path: Path) -> None:
    """A stopped judge said its judgments so far were "responses": the pool's three stops (the
    breaker, a server never reached, a fatal status) name the caller's lines."""
    out = tmp_path / "o.jsonl"

    def stop(kinds: str) -> str:
        with pytest.raises(InputError) as caught:
            run_pool(
                list(range(len(kinds))), scripted(kinds), out, where="h", concurrency=1, kept=kept
            )
        return str(caught.value)

    assert f"answered in this run (the {kept} so far are kept in {out}); run" in stop("o5555o")

    def never_reached(task: int, wait: object, stop: object) -> dict[str, Any]:
        return {"id": f"s{task}", "response": "", "error": f"{NOT_CONNECTED}: refused"}

    with pytest.raises(InputError) as caught:
        run_pool([0, 1], never_reached, out, where="h", concurrency=1, kept=kept)
    assert str(caught.value) == (
        f"h: the first request could not connect to the server ({NOT_CONNECTED}: refused); "
        f"stopped: check that it is up at that address (the {kept} so far are kept in {out})"
    )

    def fatal(task: int, wait: object, stop: object) -> dict[str, Any]:
        raise RequestFailed("HTTP 401: bad key", retryable=False, fatal=True)

    with pytest.raises(InputError) as caught:
        run_pool([0, 1], fatal, out, where="h", concurrency=1, kept=kept)
    assert (
        str(caught.value) == f"h: HTTP 401: bad key; stopped (the {kept} so far are kept in {out})"
    )


URL_60: Final = "https://inference.example-gateway.org:8443/v1/chat/completions"
"""An endpoint as a stop shows it, 60 characters or so, like a gateway's."""


def test_every_stop_fits_one_line_with_a_long_url_and_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one `Error:` line is bounded (`errors.bounded`, MAX_MESSAGE): a judge's stop for a
    criterion never read was always cut in its middle, losing "stopped: N answered in this
    run". With a 60-character URL and --out, each of the pool's stops fits whole and still names
    the count, the file and what to do (the unread stop: the three criteria never read)."""
    from sgbench.errors import bounded

    monkeypatch.chdir(tmp_path)
    out = Path("results", "j" * (60 - len("results/.jsonl")) + ".jsonl")
    out.parent.mkdir()
    assert len(str(out)) == 60
    assert len(URL_60) >= 60

    def stop(work: Callable[..., Any], n: int, **extra: Any) -> str:
        with pytest.raises(InputError) as caught:
            run_pool(list(range(n)), work, out, where=URL_60, concurrency=1, **extra)
        message = str(caught.value)
        assert bounded(message) == message, len(message)
        assert str(out) in message
        return message

    def never_read(line: Any) -> list[str]:
        return ["overall", "value", "persona"]

    unread = stop(scripted("uuuoo"), 5, kept="judgments", unread=never_read)
    assert "criteria 'overall', 'value', 'persona'" in unread
    assert "stopped: 3 answered in this run (the judgments so far are kept in" in unread
    assert "use a new out" in unread
    for kept in sorted(WORDS.values()):
        failing = stop(scripted("o5555o"), 6, kept=kept)
        assert f"stopped: 1 answered in this run (the {kept} so far are kept in" in failing

    def never_reached(task: int, wait: object, stop: object) -> dict[str, Any]:
        error = f"{NOT_CONNECTED}: ConnectionRefusedError: [Errno 111] Connection refused"
        return {"id": f"s{task}", "response": "", "error": error}

    assert "check that it is up at that address" in stop(never_reached, 2, kept="judgments")

    def fatal(task: int, wait: object, stop: object) -> dict[str, Any]:
        raise RequestFailed("HTTP 401: invalid API key provided", retryable=False, fatal=True)

    assert "HTTP 401: invalid API key provided; stopped" in stop(fatal, 2, kept="judgments")


# --- end to end, `run` and `judge` against fake servers ---------------------------------------


class Counting(LoopbackChatServer):
    """Answers with :data:`VERDICT`, or fails as ``fail(n)`` says for the n-th request (from 0):
    a status to send, or None to answer."""

    def __init__(self, fail: Callable[[int], int | None] = lambda n: None) -> None:
        super().__init__(lambda body: VERDICT)
        self.fail = fail
        self.n = 0
        self.answered = 0

    def respond(self, handler: ChatHandler, body: dict[str, Any]) -> None:
        with self.lock:
            n, self.n = self.n, self.n + 1
        status = self.fail(n)
        if status is not None:
            handler.send(status, b"overloaded")
            return
        handler.send_chat(VERDICT)
        with self.lock:
            self.answered += 1


class DiesAfter(Counting):
    """Answers ``n_answers`` requests, then dies: the request that finds it dead is cut off
    unanswered and the port is closed (every later request is refused)."""

    def __init__(self, n_answers: int) -> None:
        super().__init__()
        self.n_answers = n_answers
        self.dead = False

    def respond(self, handler: ChatHandler, body: dict[str, Any]) -> None:
        with self.lock:
            n, self.n = self.n, self.n + 1
            dying = n >= self.n_answers and not self.dead
            self.dead = self.dead or dying
        if n < self.n_answers:
            handler.send_chat(VERDICT)
            with self.lock:
                self.answered += 1
            return
        if dying:  # on this request's thread, not the one serving: shutdown waits for that
            self.httpd.shutdown()
            self.httpd.server_close()
        handler.connection.shutdown(socket.SHUT_RDWR)


@contextlib.contextmanager
def never_answering() -> Iterator[str]:
    """A base URL whose port accepts connections (the kernel's backlog) and never answers."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    finally:
        listener.close()


@pytest.fixture
def folder(
    built_default: Path,
    test_ood_ids: tuple[str, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """A working folder with responses files A and B for `judge` (6 samples: 12 judgments)."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    for variable in ("http_proxy", "HTTP_PROXY"):
        monkeypatch.delenv(variable, raising=False)
    write_judge_inputs(tmp_path, test_ood_ids[: N_SAMPLES // 2])
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(name: str, url: str, built: Path, *extra: str) -> tuple[Result, float]:
    """``run`` (12 samples) or ``judge`` (12 judgments) into ``o.jsonl``, and its seconds."""
    common = ["--base-url", url, "--model", "m", "--dataset", str(built), "--out", "o.jsonl"]
    common += ["--concurrency", str(CONCURRENCY), *extra]
    args = (
        ["run", *common, "--limit", str(N_SAMPLES)]
        if name == "run"
        else ["judge", "a.jsonl", "b.jsonl", *common]
    )
    start = time.monotonic()
    result = CliRunner().invoke(main, args)
    return result, time.monotonic() - start


def written(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / "o.jsonl").read_text().splitlines()]


def assert_stopped(
    result: Result, folder: Path, seconds: float, failure: str, answered: int, name: str
) -> None:
    """One line naming the failure, the answers of this run and how to resume; exactly the
    threshold's error lines after the answers (a request in flight at the stop is dropped)."""
    assert_one_error_line(
        result,
        f"{THRESHOLD} requests in a row failed after all their attempts (the last: {failure}",
        f"stopped: {answered} answered in this run (the {WORDS[name]} so far are kept in o.jsonl)",
        "run the same command again to resume",
    )
    assert seconds < STOP_SECONDS
    lines = written(folder)
    assert sum("error" not in line for line in lines) == answered
    assert [line["error"].startswith(failure) for line in lines if "error" in line] == [
        True
    ] * THRESHOLD


@pytest.mark.parametrize("name", ["run", "judge"])
def test_a_server_failing_every_request_stops(
    name: str, folder: Path, built_default: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serving(Counting(lambda n: 503), monkeypatch) as server:
        result, seconds = invoke(name, server.url, built_default, "--max-attempts", "2")
    assert_stopped(result, folder, seconds, "HTTP 503: overloaded", 0, name)
    # The failed requests and the one in flight at the stop, each with its attempts: not 12.
    assert THRESHOLD * 2 <= server.n <= (THRESHOLD + CONCURRENCY - 1) * 2


@pytest.mark.parametrize("name", ["run", "judge"])
def test_a_port_that_accepts_and_never_answers_stops(
    name: str, folder: Path, built_default: Path
) -> None:
    with never_answering() as url:
        result, seconds = invoke(name, url, built_default, "--max-attempts", "2", "--timeout", "1")
    assert_stopped(result, folder, seconds, "timed out after 1 s", 0, name)
    # Two rounds of CONCURRENCY requests, each 2 timeouts and a wait under 1 s: about 6 s.
    assert seconds >= 2 * 2 * 1.0


def read_request(conn: socket.socket) -> None:
    """Read one whole request, headers and the body they announce. Closing with part of it
    unread makes the kernel reset the connection, and the client then sees a connection error
    instead of the cut reply (seen in CI, where the body arrived after the first read)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ),
        0,
    )
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return
        body += chunk


CUT_REPLY: Final = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n"
    b'{"choices": [{"messa'
)
"""A status line announcing 500 bytes of body, and 20 of them."""


@contextlib.contextmanager
def raw_replies(reply: bytes) -> Iterator[str]:
    """A base URL whose server reads each request, sends ``reply`` (b"" for nothing at all) and
    closes the connection."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:  # closed: the test is over
                return
            with conn:
                conn.settimeout(5)
                with contextlib.suppress(OSError):
                    read_request(conn)
                    conn.sendall(reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    finally:
        listener.close()


def closed_port() -> str:
    """A base URL on a port of 127.0.0.1 that nothing listens on (it was just freed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/v1"


def test_each_transport_failure_says_where_it_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    """One reading of a request that got no complete reply (`client._transport_error`): never
    connected, connected and closed unanswered, or answered with something that is no HTTP
    reply. The first two were one "connection error", and both were said not to reach the
    server."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")

    def failure(url: str) -> str:
        endpoint = Endpoint(base_url=url, timeout=5.0)
        with pytest.raises(RequestFailed) as caught:
            post_chat(endpoint, "m", [{"role": "user", "content": "q"}], SamplingParams())
        assert caught.value.retryable
        assert not caught.value.fatal
        return str(caught.value)

    assert failure(closed_port()).startswith(f"{NOT_CONNECTED}: ConnectionRefusedError")
    with raw_replies(b"") as url:
        assert failure(url).startswith(f"{CLOSED_UNANSWERED}: RemoteDisconnected")
    with raw_replies(b"SSH-2.0-OpenSSH_9.6\r\n") as url:  # another service on the port
        assert failure(url).startswith(f"{MALFORMED}: BadStatusLine")
    with raw_replies(CUT_REPLY) as url:
        assert failure(url).startswith(f"{MALFORMED}: the reply broke off after its status")
    for error in (NOT_CONNECTED, CLOSED_UNANSWERED):
        assert server_failure(error)


@pytest.mark.parametrize("name", ["run", "judge"])
def test_a_server_cutting_its_replies_is_reached_and_stops_as_failing(
    name: str, folder: Path, built_default: Path
) -> None:
    """A reply whose status arrived and whose body broke off is a malformed reply: the server
    was reached. It was a connection error, so the stop said "the first request did not reach
    the server ... check that it is up at that address" of a server that is up."""
    with raw_replies(CUT_REPLY) as url:
        result, seconds = invoke(name, url, built_default, "--max-attempts", "1")
    failure = "malformed response body: the reply broke off after its status (20 of the 500"
    assert_stopped(result, folder, seconds, failure, 0, name)
    assert "could not connect" not in result.stderr


@pytest.mark.parametrize("name", ["run", "judge"])
def test_a_server_closing_unanswered_was_connected_to_and_stops_as_failing(
    name: str, folder: Path, built_default: Path
) -> None:
    """A server that takes each request and closes the connection without a reply was said
    "did not reach the server" (as a refused port was), though every request reached it: the
    error and the stop say it connected and got no reply, and the run stops as for any failing
    server (the threshold), not as for one never connected to (the concurrency)."""
    with raw_replies(b"") as url:
        result, seconds = invoke(name, url, built_default, "--max-attempts", "1")
    assert_stopped(result, folder, seconds, CLOSED_UNANSWERED, 0, name)
    assert "could not connect" not in result.stderr


@pytest.mark.parametrize("name", ["run", "judge"])
def test_a_server_dying_mid_run_stops_and_a_rerun_sends_only_the_rest(
    name: str, folder: Path, built_default: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After answering 4 requests the server goes away: connection errors, counted as any
    failure of the server (before, a run that had one answer went on through every sample)."""
    with serving(DiesAfter(4), monkeypatch) as dying:
        result, seconds = invoke(name, dying.url, built_default, "--max-attempts", "2")
    assert dying.answered == 4
    assert_stopped(result, folder, seconds, "connection error", 4, name)
    answers = [line for line in written(folder) if "error" not in line]
    with serving(Counting(), monkeypatch) as healthy:
        rerun, _ = invoke(name, healthy.url, built_default)
    assert rerun.exit_code == 0, rerun.output
    assert healthy.n == N_SAMPLES - 4  # the error lines are asked again, the answers are not
    lines = written(folder)
    assert len(lines) == N_SAMPLES
    assert all("error" not in line for line in lines)
    assert lines[:4] == answers


@pytest.mark.parametrize("name", ["run", "judge"])
def test_a_server_failing_now_and_then_is_answered_in_full(
    name: str, folder: Path, built_default: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every 3rd request a 503, the next attempt answered: many failures, never a sample's
    every attempt, so nothing trips."""
    with serving(Counting(lambda n: 503 if n % 3 == 2 else None), monkeypatch) as server:
        result, _ = invoke(name, server.url, built_default)
    assert result.exit_code == 0, result.output
    assert server.answered == N_SAMPLES
    assert server.n - N_SAMPLES == len(range(2, server.n, 3)) >= 4  # the 503s were sent
    lines = written(folder)
    assert len(lines) == N_SAMPLES
    assert all("error" not in line for line in lines)
    assert sum(line["attempts"] for line in lines) == server.n


MUMBLE = "Both have merit; I cannot decide."
"""A reply that is no verdict (the judge reads none, even when asked again) and no option."""


@pytest.mark.parametrize("name", ["run", "judge"])
def test_a_model_whose_replies_never_read_stops_a_judge_only(
    name: str, folder: Path, built_default: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A judge replying with no verdict to every request (a wrong model, a template the server
    does not apply) went through the whole split and exited 0: it stops after the threshold's
    judgments, each asked twice, with one line, exit code 2, every line kept. The same replies
    are answers to `run`: missing answers to score, every sample written, exit code 0."""
    with serving(LoopbackChatServer(lambda body: MUMBLE), monkeypatch) as server:
        result, _ = invoke(name, server.url, built_default)
    lines = written(folder)
    if name == "run":
        assert result.exit_code == 0, result.output
        assert [line["response"] for line in lines] == [MUMBLE] * N_SAMPLES
        return
    assert_one_error_line(
        result,
        f"the first {THRESHOLD} judgments gave no verdict for criteria 'overall', 'value', "
        "'persona'",
        "not the samples; stopped:",
        "fix the judge or --criteria and use a new --out",
    )
    assert len(lines) == THRESHOLD
    assert all(line["parse"] == "unparsed" for line in lines)
    # The judgments written, each asked twice, and what the other workers had started before
    # the stop was seen: a worker may finish one judgment and begin the next meanwhile (CI saw
    # 9 requests at concurrency 2), so at most CONCURRENCY more judgments, each asked twice.
    assert 2 * THRESHOLD <= len(server.bodies) <= 2 * (THRESHOLD + CONCURRENCY)


def test_a_judge_reading_only_overall_stops_naming_value(
    folder: Path, built_default: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--criteria overall,value` and a judge replying only `overall: 1`: every judgment's
    overall verdict is read, and the stop said none of them could be read. It names 'value',
    and rerunning the same command then stops again, the kept judgments left unread."""
    with serving(LoopbackChatServer(lambda body: "overall: 1"), monkeypatch) as server:
        result, _ = invoke("judge", server.url, built_default, "--criteria", "overall,value")
        assert_one_error_line(
            result,
            f"the first {THRESHOLD} judgments gave no verdict for criterion 'value': ",
            "kept in o.jsonl); fix the judge or --criteria and use a new --out (a rerun into this "
            "one keeps these unread for good)",
        )
        lines = written(folder)
        assert len(lines) == THRESHOLD
        assert all(line["verdicts"]["value"] is None for line in lines)
        assert all(line["verdicts"]["overall"] in ("A", "B") for line in lines)
        again, _ = invoke("judge", server.url, built_default, "--criteria", "overall,value")
    assert again.exit_code == 2
    kept = written(folder)
    assert kept[:THRESHOLD] == lines  # final: not asked again
    assert all(line["verdicts"]["value"] is None for line in kept)


def test_a_server_rejecting_every_sample_is_not_stopped(
    folder: Path, built_default: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 400 to every request is each sample's own error line (not retried, so quick): the run
    ends with exit code 3 and every sample named, rather than stop on the third."""
    with serving(Counting(lambda n: 400), monkeypatch) as server:
        result, _ = invoke("run", server.url, built_default)
    assert result.exit_code == EXIT_LEFT_OUT, result.output
    assert server.n == N_SAMPLES
    assert [line["error"] for line in written(folder)] == ["HTTP 400: overloaded"] * N_SAMPLES


def test_the_stop_does_not_wait_for_a_request_in_flight(
    folder: Path, built_default: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At the stop, a request still waiting for its reply is aborted, not waited for: here
    request 3 is held for a minute while the others fail fast."""
    held = threading.Event()

    class Holding(Counting):
        def respond(self, handler: ChatHandler, body: dict[str, Any]) -> None:
            with self.lock:
                n, self.n = self.n, self.n + 1
            if n == 0:
                held.set()
                self.release.wait(60)
                return
            handler.send(503, b"overloaded")

    with serving(Holding(), monkeypatch) as server:
        result, seconds = invoke("run", server.url, built_default, "--max-attempts", "1")
        assert held.is_set()
    assert_one_error_line(result, "3 requests in a row failed")
    assert seconds < STOP_SECONDS / 2
