"""A small OpenAI-compatible chat-completions server on 127.0.0.1, shared by the tests.

:class:`LoopbackChatServer` parses each request body, records it, and hands it to
:meth:`~LoopbackChatServer.respond`; by default that replies with ``reply(body)`` as the
assistant's message. Subclasses script failures (``tests/test_runner.py``) or play a judge
(``tests/test_judge.py``). Only the loopback interface is used, and :func:`serving` sets
``NO_PROXY`` so that no proxy is asked either.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


def chat_body(text: str) -> bytes:
    """A chat-completions reply body whose ``choices[0].message.content`` is ``text``."""
    reply = {
        "choices": [{"message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 3},
    }
    return json.dumps(reply).encode()


class ChatHandler(BaseHTTPRequestHandler):
    """Reads one POST body and passes it to the owning :class:`LoopbackChatServer`."""

    owner: LoopbackChatServer

    def log_message(self, *args: Any) -> None:
        """Keep test output quiet."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length))
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

    def send_chat(self, text: str) -> None:
        """Send a successful chat completion with ``text`` as the assistant's message."""
        self.send(200, chat_body(text))


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
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
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
