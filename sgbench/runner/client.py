"""One chat-completions request to an OpenAI-compatible endpoint (standard library only).

Works with any server speaking the OpenAI chat-completions protocol (vLLM, llama.cpp server,
Ollama, hosted APIs): ``POST {base_url}/chat/completions`` with ``model``, ``messages`` and the
sampling parameters; the reply's ``choices[0].message.content`` is the response.

Every failure becomes a :class:`RequestFailed` that says whether trying again can help. The API
key is sent only in the ``Authorization`` header and is removed from every message this module
produces (a server may echo request headers in an error body).
"""

from __future__ import annotations

import email.utils
import http.client
import json
import math
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from sgbench import __version__
from sgbench.errors import InputError

RETRYABLE_STATUS: Final = frozenset({408, 409, 425, 429})
"""Client-error statuses that mean "try again later"; every 5xx is retried as well."""

FATAL_STATUS: Final = frozenset({401, 403, 404})
"""Statuses that concern the whole run (bad key, no access, wrong URL or model): stop the run."""

EXCERPT_CHARS: Final = 200
"""How much of an unexpected body goes into an error message."""


@dataclass(frozen=True)
class Endpoint:
    """Where and how to send requests."""

    base_url: str
    """``http(s)://host[:port]/v1`` (``/chat/completions`` is appended unless already there)."""
    api_key: str | None = field(default=None, repr=False)
    """Sent as ``Authorization: Bearer ...``; never written anywhere."""
    timeout: float = 60.0
    """Seconds to wait for the connection and for each read."""

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise InputError(f"--base-url {self.base_url!r}: needs http:// or https://")
        if not (math.isfinite(self.timeout) and self.timeout > 0):
            raise InputError(f"timeout {self.timeout}: must be a positive number of seconds")

    @property
    def url(self) -> str:
        """The chat-completions URL."""
        base = self.base_url.rstrip("/")
        return base if base.endswith("/chat/completions") else f"{base}/chat/completions"


@dataclass(frozen=True)
class SamplingParams:
    """Sampling parameters sent with every request and recorded with every response."""

    temperature: float = 0.0
    max_tokens: int = 64
    top_p: float | None = None
    seed: int | None = None
    """Passed to servers that support reproducible sampling; not every server does."""

    def to_dict(self) -> dict[str, Any]:
        """The parameters as sent (unset optional ones left out)."""
        values = {
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "top_p": self.top_p,
            "seed": self.seed,
        }
        return {k: v for k, v in values.items() if v is not None}


@dataclass(frozen=True)
class Completion:
    """A successful response."""

    text: str
    finish_reason: str | None
    usage: dict[str, int] | None
    """Token counts the server reported (``prompt_tokens``, ``completion_tokens``, ...)."""


class RequestFailed(Exception):
    """A request that gave no usable response."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        fatal: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        """Trying again may succeed (429, 5xx, timeouts, connection errors, malformed bodies)."""
        self.fatal = fatal
        """The problem concerns every request (:data:`FATAL_STATUS`): the run should stop."""
        self.retry_after = retry_after
        """Seconds the server asked us to wait (``Retry-After``), if it said."""


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delay-seconds or an HTTP date; else None.

    A date in the past gives 0. ``now`` is the current Unix time (default: ``time.time()``).
    """
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if moment.tzinfo is None:  # an HTTP date is GMT by definition
            return None
        current = time.time() if now is None else now
        return max(0.0, moment.timestamp() - current)
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def redact(text: str, secret: str | None) -> str:
    """``text`` with every occurrence of ``secret`` replaced by ``***``."""
    return text.replace(secret, "***") if secret else text


def _excerpt(body: bytes, secret: str | None) -> str:
    text = body[: EXCERPT_CHARS * 4].decode("utf-8", errors="replace")
    text = " ".join(redact(text, secret).split())
    return text[:EXCERPT_CHARS] + ("…" if len(text) > EXCERPT_CHARS else "")


def _error_body(error: urllib.error.HTTPError) -> bytes:
    """The body of an error reply, or nothing when reading it fails too."""
    try:
        return error.read() if error.fp is not None else b""
    except (OSError, http.client.HTTPException):
        return b""


def request_body(
    model: str, messages: Sequence[Mapping[str, object]], params: SamplingParams
) -> bytes:
    """The JSON request body."""
    payload = {"model": model, "messages": [dict(m) for m in messages], **params.to_dict()}
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def read_completion(body: bytes) -> Completion:
    """The response text of a chat-completions reply body.

    Raises:
        ValueError: the body is not JSON or has no string ``choices[0].message.content``.
    """
    try:
        reply = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not JSON ({exc})") from None
    try:
        choice = reply["choices"][0]
        content = choice["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise ValueError("no choices[0].message.content") from None
    if not isinstance(content, str):
        raise ValueError("choices[0].message.content is not a string")
    finish = choice.get("finish_reason") if isinstance(choice, dict) else None
    usage = reply.get("usage")
    counts = (
        {k: v for k, v in usage.items() if isinstance(v, int) and not isinstance(v, bool)}
        if isinstance(usage, dict)
        else None
    )
    return Completion(
        text=content, finish_reason=finish if isinstance(finish, str) else None, usage=counts
    )


def post_chat(
    endpoint: Endpoint,
    model: str,
    messages: Sequence[Mapping[str, object]],
    params: SamplingParams,
) -> Completion:
    """Send one chat-completions request.

    Raises:
        RequestFailed: an HTTP error status, a timeout, a connection error or a malformed body.
    """
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "User-Agent": f"sgbench/{__version__}",
    }
    if endpoint.api_key:
        headers["Authorization"] = f"Bearer {endpoint.api_key}"
    request = urllib.request.Request(
        endpoint.url, data=request_body(model, messages, params), headers=headers, method="POST"
    )
    key = endpoint.api_key
    try:
        with urllib.request.urlopen(request, timeout=endpoint.timeout) as reply:
            body = reply.read()
    except urllib.error.HTTPError as exc:
        status = exc.code
        detail = _excerpt(_error_body(exc), key)
        message = redact(f"HTTP {status}: {detail or exc.reason}", key)
        retryable = status in RETRYABLE_STATUS or status >= 500
        wait = parse_retry_after(exc.headers.get("Retry-After")) if exc.headers else None
        raise RequestFailed(
            message, retryable=retryable, fatal=status in FATAL_STATUS, retry_after=wait
        ) from None
    except TimeoutError:
        raise RequestFailed(f"timed out after {endpoint.timeout:g} s", retryable=True) from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            raise RequestFailed(f"timed out after {endpoint.timeout:g} s", retryable=True) from None
        raise RequestFailed(redact(f"connection error: {reason}", key), retryable=True) from None
    except (OSError, http.client.HTTPException) as exc:
        raise RequestFailed(
            redact(f"connection error: {type(exc).__name__}: {exc}", key), retryable=True
        ) from None
    try:
        return read_completion(body)
    except ValueError as exc:
        raise RequestFailed(
            f"malformed response body: {exc}: {_excerpt(body, key)}", retryable=True
        ) from None
