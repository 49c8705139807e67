"""A small OpenAI-compatible chat-completions server on 127.0.0.1, shared by the tests.

:class:`LoopbackChatServer` parses each request body, records it, and hands it to
:meth:`~LoopbackChatServer.respond`; by default that replies with ``reply(body)`` as the
assistant's message. Subclasses script failures (``tests/test_runner.py``,
``tests/test_runner_replies.py``) or play a judge (``tests/test_judge.py``). The handler can
also send what today's endpoints send: several choices (``n``), ``logprobs`` with
``top_logprobs``, refusals, ``finish_reason: length`` with null content, OpenAI's 400
``unsupported_parameter`` error, a redirect, and a body dripped slowly. Only the loopback
interface is used, and :func:`serving` sets ``NO_PROXY`` so that no proxy is asked either.
Every loop is bounded (the drip by its length, every wait by :attr:`LoopbackChatServer.release`).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final

import pytest


def choice(
    text: str | None,
    *,
    finish_reason: str = "stop",
    refusal: str | None = None,
    logprobs: list[tuple[str, list[tuple[str, float]]]] | None = None,
) -> dict[str, Any]:
    """One ``choices[i]`` entry; ``logprobs`` lists each generated token with its
    ``top_logprobs`` alternatives as ``(token, [(alternative, logprob), ...])`` (the token's own
    logprob is its entry among the alternatives, or -5.0 when absent)."""
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if refusal is not None:
        message["refusal"] = refusal
    entry: dict[str, Any] = {"index": 0, "message": message, "finish_reason": finish_reason}
    if logprobs is not None:
        entry["logprobs"] = {
            "content": [
                {
                    "token": token,
                    "logprob": dict(top).get(token, -5.0),
                    "top_logprobs": [{"token": t, "logprob": lp} for t, lp in top],
                }
                for token, top in logprobs
            ]
        }
    return entry


def chat_body(text: str, *choices: dict[str, Any]) -> bytes:
    """A chat-completions reply body: ``choices`` when given, else one whose
    ``choices[0].message.content`` is ``text``."""
    listed = list(choices) or [choice(text)]
    for index, entry in enumerate(listed):
        entry["index"] = index
    reply = {"choices": listed, "usage": {"prompt_tokens": 10, "completion_tokens": 3}}
    return json.dumps(reply).encode()


UNSUPPORTED_MAX_TOKENS: Final = {
    "error": {
        "message": "Unsupported parameter: 'max_tokens' is not supported with this model. "
        "Use 'max_completion_tokens' instead.",
        "type": "invalid_request_error",
        "param": "max_tokens",
        "code": "unsupported_parameter",
    }
}
"""OpenAI's reply to ``max_tokens`` on a model that takes only ``max_completion_tokens``."""


class ChatHandler(BaseHTTPRequestHandler):
    """Reads one POST body and passes it to the owning :class:`LoopbackChatServer`."""

    owner: LoopbackChatServer

    def log_message(self, *args: Any) -> None:
        """Keep test output quiet."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        try:
            body = json.loads(self.rfile.read(length))
        except OSError:  # the client gave up (a cancelled run)
            return
        with self.owner.lock:
            self.owner.bodies.append(body)
            self.owner.auth.append(self.headers.get("Authorization"))
        with contextlib.suppress(OSError):  # the client gave up (a timeout test)
            self.owner.respond(self, body)

    def send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        """Send a complete reply."""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def send_chat(self, text: str, *choices: dict[str, Any]) -> None:
        """Send a successful chat completion: ``choices`` when given, else ``text`` as the
        assistant's message."""
        self.send(200, chat_body(text, *choices))

    def send_redirect(self, location: str, status: int = 302) -> None:
        """Send a redirect to ``location``."""
        self.send(status, b"", {"Location": location})

    def send_drip(self, body: bytes, interval: float, *, headers_too: bool = False) -> None:
        """Send ``body`` one byte per ``interval`` seconds (the status line and headers first, or
        byte by byte too with ``headers_too``); stops early once the server is released."""
        head = (
            f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        if not headers_too:
            self.wfile.write(head)
            self.wfile.flush()
        data = (head if headers_too else b"") + body
        for index in range(len(data)):
            if self.owner.release.wait(interval):
                return
            self.wfile.write(data[index : index + 1])
            self.wfile.flush()


class QuietServer(ThreadingHTTPServer):
    """A threading HTTP server that does not print a client hanging up (a cancelled request)."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        # OSError: the client hung up; ValueError: a write to the file it closed.
        if not isinstance(sys.exc_info()[1], OSError | ValueError):
            super().handle_error(request, client_address)


class LoopbackChatServer:
    """A chat-completions server on an ephemeral port of 127.0.0.1 (see the module docstring)."""

    def __init__(self, reply: Callable[[dict[str, Any]], str] | None = None) -> None:
        self.reply = reply
        """Text of the assistant's message for a request body (used by the default respond)."""
        self.bodies: list[dict[str, Any]] = []
        """Every request body, in arrival order."""
        self.auth: list[str | None] = []
        """The ``Authorization`` header of every request, in arrival order."""
        self.lock = threading.Lock()
        self.release = threading.Event()
        """Set when the server stops, so that a deliberately slow reply ends."""
        handler = type("BoundChatHandler", (ChatHandler,), {"owner": self})
        self.httpd = QuietServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def respond(self, handler: ChatHandler, body: dict[str, Any]) -> None:
        """Answer one request (runs on the request's thread); override to script replies."""
        if self.reply is None:
            raise NotImplementedError("give reply= or override respond")
        handler.send_chat(self.reply(body))


@contextlib.contextmanager
def serving(
    server: LoopbackChatServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LoopbackChatServer]:
    """Run ``server`` for the duration of the block (no proxy for 127.0.0.1), then stop it."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    server.thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.httpd.shutdown()
        server.httpd.server_close()


def write_judge_inputs(folder: Path, ids: Sequence[str]) -> None:
    """Responses files ``a.jsonl`` and ``b.jsonl`` in ``folder``, answering ``ids`` (``Answer:
    a`` from model ``a``, ``Answer: b`` from ``b``): the A and B of a `judge` command line."""
    for name in ("a", "b"):
        lines = [{"id": i, "response": f"Answer: {name}", "model": name} for i in ids]
        (folder / f"{name}.jsonl").write_text(
            "".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8"
        )


def run_quickly(server: LoopbackChatServer, dataset: Path, out: Path, **changes: Any) -> Any:
    """``run_benchmark`` of one test_ood sample of ``dataset`` against ``server``, with retries
    that do not wait; ``changes`` replace any argument (the API tests vary one at a time)."""
    from sgbench.runner import Endpoint, RetryPolicy, run_benchmark

    arguments: dict[str, Any] = {
        "model": "m",
        "endpoint": Endpoint(base_url=server.url, timeout=5.0),
        "config": "default",
        "split": "test_ood",
        "template_name": "paper",
        "policy": RetryPolicy(max_attempts=2, base_delay=0.0, max_delay=0.0, jitter=0.0),
        "limit": 1,
        "show_progress": False,
        **changes,
    }
    return run_benchmark(dataset, out, **arguments)
