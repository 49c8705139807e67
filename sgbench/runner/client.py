"""One chat-completions request to an OpenAI-compatible endpoint (standard library only).

Works with any server speaking the OpenAI chat-completions protocol (vLLM, llama.cpp server,
Ollama, hosted APIs): ``POST {base_url}/chat/completions`` with ``model``, ``messages`` and the
sampling parameters; the reply's ``choices[i].message.content`` are the responses.

Every failure becomes a :class:`RequestFailed` that says whether trying again can help. The API
key is sent only in the ``Authorization`` header, only to ``base_url``'s host, and is removed
from every message this module produces and from every reply it returns (a server may echo
request headers in an error body or in its answer).

What a server can do to a run is bounded, each by one rule here:

- **time**: ``Endpoint.timeout`` bounds the *whole* request (connect, headers and body), not each
  read: a watchdog shuts the socket at the deadline, so a server dripping one byte a second is
  cut off. A :class:`Cancel` shuts every open request at once (Ctrl-C, a fatal error);
- **redirects** are never followed (the key would go with them): a 3xx is a fatal error;
- **size and depth**: a body over :data:`MAX_BODY_BYTES` or nested deeper than
  :data:`MAX_JSON_DEPTH` is malformed, like one that is not JSON;
- **text**: lone surrogates (``"\\ud800"``) in a reply become U+FFFD, so every line written stays
  valid UTF-8.

A reply whose content is null or empty but which carries a ``refusal``, or stops for
``content_filter`` or ``length``, is a *refusal*: an answer, never retried (see
:class:`Choice`).
"""

from __future__ import annotations

import email.utils
import http.client
import ipaddress
import json
import math
import re
import socket
import ssl
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from sgbench import __version__
from sgbench.boundary import ArgumentName, public_class
from sgbench.errors import InputError, refuse_without_effect, replace_surrogates, shown_name
from sgbench.jsonl import MAX_DEPTH, unique_keys

_BASE_URL: Final = ArgumentName("base_url", "--base-url")
_TIMEOUT: Final = ArgumentName("timeout", "--timeout")
_MODEL: Final = ArgumentName("model", "--model")
_API_KEY_ENV: Final = ArgumentName("api_key_env", "--api-key-env")
_TEMPERATURE: Final = ArgumentName("temperature", "--temperature")
_TOP_P: Final = ArgumentName("top_p", "--top-p")
"""The arguments messages here name, as their caller spelled them (Endpoint's and
SamplingParams' fields, run_model's model, api_key_from_env's api_key_env)."""

RETRYABLE_STATUS: Final = frozenset({408, 409, 425, 429})
"""Client-error statuses that mean "try again later"; every 5xx is retried as well."""

FATAL_STATUS: Final[Mapping[int, str]] = MappingProxyType(
    {
        401: "the key is refused",
        402: "the account cannot pay for requests",
        403: "the key has no access to this endpoint or model",
        404: "no such endpoint or model: check {base_url} and {model}",
        405: "the address takes no POST: is {base_url} the API's address?",
        406: "the server will not reply in JSON",
        407: "the proxy asks for credentials",
        410: "the endpoint or model is gone",
        411: "the server wants a request framing this client does not send",
        414: "the address is too long for the server",
        415: "the server does not take JSON here: is {base_url} the API's address?",
        417: "the server refuses an expectation of the request's headers",
        426: "the server wants another protocol (https?)",
        428: "the server wants conditional requests",
        431: "the request's headers are too large for the server (the key?)",
        501: "the server does not implement this request: is {base_url} the API's address?",
        505: "the server does not speak HTTP/1.1",
    }
)
"""Statuses that concern the whole run, each with what it says; they stop it at once. Every
request of a run is a POST of JSON to one address with the same headers, so a status whose cause
RFC 9110 puts in the method, the address, the headers, the protocol or the account (the key, a
proxy's credentials, credit: 402) would meet every sample: a ``--base-url`` naming a web site
answered 405 to all 750 samples of a split, each written as an error line. What a sample's own
body can cause stays one error line (400, 413 Content Too Large, 422), and what time can cure
is retried (:data:`RETRYABLE_STATUS`, 5xx but 501 and 505). A 3xx (a redirect) and a 400 naming
a request parameter (:func:`parameter_error`) stop the run too."""

REFUSAL_FINISH: Final = frozenset({"content_filter", "length"})
"""Finish reasons that make an empty reply a refusal rather than a malformed body."""

PER_SAMPLE_PARAMS: Final = frozenset({"messages"})
"""Parameters a 400 may name for one sample only (a prompt too long): not a fatal error."""
CONNECTION_ERROR: Final = "connection error"
"""How the error of a request whose connection failed before any reply starts; one of the two
kinds below follows it (:func:`_transport_error`)."""

NOT_CONNECTED: Final = f"{CONNECTION_ERROR}: could not connect"
"""How the error of a request that was never sent starts: the connection (or its proxy tunnel,
or its TLS handshake) failed: refused, no route, an unknown host.
:func:`sgbench.runner.run.run_pool` stops a run whose every request so far ended so
(:class:`sgbench.runner.run.Breaker`)."""

CLOSED_UNANSWERED: Final = (
    f"{CONNECTION_ERROR}: connected, but the server closed the connection without replying"
)
"""How the error of a request that was sent (or was being sent) on an open connection, and got
no status line back, starts: the server reset or closed it. The server was reached, so the
stop for a server never reached does not apply."""

TIMED_OUT: Final = "timed out after"
"""How the error of a request cut off at ``Endpoint.timeout`` starts."""

MALFORMED: Final = "malformed response body"
"""How the error of a reply that is not a readable chat completion starts."""

FATAL_CODES: Final = frozenset({"unsupported_parameter", "unsupported_value"})
"""Error codes of a 400 that concern every request whatever parameter they name."""

EXCERPT_CHARS: Final = 200
"""How much of an unexpected body goes into an error message."""

MAX_BODY_BYTES: Final = 16 * 1024 * 1024
"""Largest reply body read; a longer one is malformed (a chat reply is kilobytes)."""

MAX_JSON_DEPTH: Final = MAX_DEPTH
"""Deepest nesting of arrays and objects accepted in a reply (a real one nests about 6 deep):
the bound of every JSON text read from outside (:data:`sgbench.jsonl.MAX_DEPTH`)."""

_BRACKETS: Final = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def json_depth(body: bytes) -> int:
    """The deepest nesting of ``[``/``{`` in a JSON text, string contents skipped."""
    depth = deepest = 0
    for match in _BRACKETS.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest


def reply_key(key: str) -> str:
    """The name a key of an object in a model's text stands for: spaces around it and case
    ignored (``" Overall"`` is ``overall``), as the readers of verdicts and percentages read it."""
    return key.strip().casefold()


def _conflicts_unread(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An ``object_pairs_hook`` keyed by :func:`reply_key`, giving a name that appears twice
    with different values None (no readable value), where ``json`` would keep the last one
    silently; ``{"overall": "1", "Overall": "2"}`` names ``overall`` twice."""
    obj: dict[str, Any] = {}
    conflicting: set[str] = set()
    for raw, value in pairs:
        key = reply_key(raw)
        if key in obj and obj[key] != value:
            conflicting.add(key)
        obj[key] = value
    return obj | dict.fromkeys(conflicting)


def embedded_objects(text: str) -> list[dict[str, Any]]:
    """Every JSON object embedded in a model's ``text`` (outermost ones, left to right); none
    when the text nests deeper than :data:`MAX_JSON_DEPTH` (a reply is data, never trusted).
    Keys are read as :func:`reply_key` gives them, and one given twice with different values
    (``{"overall": "1", " Overall": "2"}``) is read as None: which one the model meant is a
    guess (:func:`_conflicts_unread`)."""
    if json_depth(text.encode("utf-8", errors="replace")) > MAX_JSON_DEPTH:
        return []
    decoder = json.JSONDecoder(object_pairs_hook=_conflicts_unread)
    found: list[dict[str, Any]] = []
    index = text.find("{")
    while index != -1:
        try:
            value, end = decoder.raw_decode(text, index)
        except (ValueError, RecursionError):
            index = text.find("{", index + 1)
            continue
        if isinstance(value, dict):
            found.append(value)
        index = text.find("{", end)
    return found


MAX_TIMEOUT: Final = 86_400.0
"""Longest ``--timeout`` accepted (a day): far longer ones overflow the socket's clock."""

_URL_CHARS: Final = re.compile(r"[!-~]*")
"""What a base URL may hold: printable ASCII without spaces (anything else is percent-encoded)."""


def check_base_url(url: str) -> urllib.parse.SplitResult:
    """``url`` (``--base-url``) split into its parts, or one :class:`InputError` naming the rule.

    An address sends what it holds to the server, so nothing in it may be silently dropped or
    changed: a space, a control or a non-ASCII character (percent-encode it), a port that is not
    1..65535, a ``#fragment`` (never sent), and a user name or password (any ``@`` before the
    query: ``user:pass@`` would be dropped; the key goes in the API key variable) are refused.
    A ``?query`` is kept, and ``/chat/completions`` goes before it. The messages never quote
    the user name, password or query (they may hold secrets).
    """
    bad = _URL_CHARS.fullmatch(url) is None
    if bad or not url:
        where = next((i for i, ch in enumerate(url) if not "!" <= ch <= "~"), 0)
        raise InputError(
            f"{_BASE_URL}: "
            + (
                f"character {where + 1} is a space, a control or a non-ASCII character; "
                "percent-encode it (and give a host in punycode)"
                if bad
                else "is empty; give the API base, e.g. http://localhost:8000/v1"
            )
        )
    if "@" in url.split("?", 1)[0]:  # user:pass@host, however the rest of the URL reads
        raise InputError(
            f"{_BASE_URL}: holds a user name or password (user:pass@host), which would not be "
            "sent; remove it and give the API key in the environment variable OPENAI_API_KEY "
            f"(or the one {_API_KEY_ENV} names)"
        )
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        raise InputError(
            f"{_BASE_URL}: not a valid URL (a port that is not a number in 1..65535, or a "
            "bracketed IPv6 host left open)"
        ) from None
    shown = _shown(parts)
    if parts.scheme.lower() not in ("http", "https"):
        raise InputError(f"{_BASE_URL} {shown!r}: needs http:// or https://")
    if not parts.hostname:
        raise InputError(f"{_BASE_URL} {shown!r}: names no host")
    if port == 0:
        raise InputError(f"{_BASE_URL} {shown!r}: port 0; give a port in 1..65535")
    if parts.fragment or url.endswith("#"):
        raise InputError(
            f"{_BASE_URL} {shown!r}: holds a #fragment, which is never sent; remove it"
        )
    return parts


def check_api_key(api_key: str, where: str) -> None:
    """Refuse an API key that cannot go into the ``Authorization`` header: anything but
    printable ASCII without spaces (a trailing newline pasted with it, a non-ASCII character)
    made the request fail with a traceback that quoted the key. ``where`` names where the key
    came from (an environment variable, ``api_key``); the message never shows the key.

    Raises:
        InputError: ``WHERE: the API key holds a space, a control or a non-ASCII character``.
    """
    if not all("!" <= c <= "~" for c in api_key):
        raise InputError(
            f"{where}: the API key holds a space, a control or a non-ASCII character "
            "(a trailing newline?); it is not shown"
        )


def _shown(parts: urllib.parse.SplitResult) -> str:
    """A URL as messages show it: the query (which may hold a key) elided to ``?…``."""
    text = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return text + ("?…" if parts.query else "")


@public_class
@dataclass(frozen=True)
class Endpoint:
    """Where and how to send requests."""

    base_url: str
    """``http(s)://host[:port]/v1[?query]`` (``/chat/completions`` is added to the path unless
    it ends with it); read by :func:`check_base_url`."""
    api_key: str | None = field(default=None, repr=False)
    """Sent as ``Authorization: Bearer ...``; never written anywhere."""
    timeout: float = 60.0
    """Seconds one request may take in all (connection, headers and body)."""

    def __post_init__(self) -> None:
        check_base_url(self.base_url)
        if self.api_key is not None:
            check_api_key(self.api_key, "api_key")
        proxy_for(urllib.parse.urlsplit(self.url))  # a proxy that would misbehave: say so now
        if not (math.isfinite(self.timeout) and 0 < self.timeout <= MAX_TIMEOUT):
            raise InputError(
                f"{_TIMEOUT} {self.timeout:g}: must be a positive number of seconds, at most "
                f"{MAX_TIMEOUT:g}"
            )

    @property
    def url(self) -> str:
        """The chat-completions URL (the query kept)."""
        parts = check_base_url(self.base_url)
        path = parts.path.rstrip("/")
        if not path.endswith("/chat/completions"):
            path += "/chat/completions"
        return urllib.parse.urlunsplit((parts.scheme.lower(), parts.netloc, path, parts.query, ""))

    @property
    def shown(self) -> str:
        """The chat-completions URL as messages name it, the query elided (:func:`_shown`)."""
        return _shown(urllib.parse.urlsplit(self.url))


INTEGER_BOUNDS: Final = MappingProxyType(
    {
        "max_tokens": (ArgumentName("max_tokens", "--max-tokens"), 1, 2**31 - 1),
        "max_completion_tokens": (
            ArgumentName("max_completion_tokens", "--max-completion-tokens"),
            1,
            2**31 - 1,
        ),
        "n": (ArgumentName("n", "--n"), 1, 2**31 - 1),
        "top_logprobs": (ArgumentName("top_logprobs", "top_logprobs"), 0, 2**31 - 1),
        "seed": (ArgumentName("seed", "--seed"), -(2**63), 2**63 - 1),
    }
)
"""The integers of :class:`SamplingParams` as an OpenAI-compatible server reads them: each
field's name in messages and its least and greatest value. Counts are 32-bit integers there and
the seed a 64-bit one; a larger number (``--seed 10**23``) was sent as it was, and a server
answers it with HTTP 400 on every request or wraps it to another seed than the one recorded."""


def _finite(name: ArgumentName, value: float | None) -> None:
    if value is not None and not math.isfinite(value):
        raise InputError(f"{name} {value}: must be a finite number")


@public_class
@dataclass(frozen=True)
class SamplingParams:
    """Sampling parameters sent with every request and recorded with every response.

    ``None`` leaves a parameter out of the request (the server's default applies).
    """

    temperature: float | None = 0.0
    """None to leave it out (some reasoning models refuse any value)."""
    max_tokens: int | None = 64
    """Not sent when ``max_completion_tokens`` is given (another value than the default is
    then refused)."""
    top_p: float | None = None
    seed: int | None = None
    """Passed to servers that support reproducible sampling; not every server does."""
    max_completion_tokens: int | None = None
    """The newer name of the token limit (OpenAI deprecates ``max_tokens``); replaces it."""
    logprobs: bool = False
    """Ask for the log-probabilities of the generated tokens."""
    top_logprobs: int | None = None
    """Alternatives per token position with their log-probabilities (with ``logprobs``)."""
    n: int | None = None
    """Completions per request (for ``--distribution sample``)."""

    def __post_init__(self) -> None:
        _finite(_TEMPERATURE, self.temperature)
        _finite(_TOP_P, self.top_p)
        if self.temperature is not None and self.temperature < 0:
            raise InputError(f"{_TEMPERATURE} {self.temperature}: must be at least 0")
        if self.top_p is not None and not 0 < self.top_p <= 1:
            raise InputError(f"{_TOP_P} {self.top_p}: must lie in (0, 1]")
        # The command line's option types hold the least values too; a server given 0 or -1
        # answers 400, and so does one given more than it reads.
        for key, (name, least, most) in INTEGER_BOUNDS.items():
            value = getattr(self, key)
            if value is not None and value < least:
                raise InputError(f"{name} {value}: must be at least {least}")
            if value is not None and value > most:
                raise InputError(f"{name} {value}: must be at most {most}")
        # As --max-tokens with --max-completion-tokens: a limit asked for and never sent.
        unset = (None, SamplingParams.__dataclass_fields__["max_tokens"].default)
        refuse_without_effect(
            (
                f"max_tokens {self.max_tokens}",
                self.max_tokens not in unset,
                self.max_completion_tokens is None,
                "with max_completion_tokens, which replaces it",
            )
        )

    def to_dict(self) -> dict[str, Any]:
        """The parameters as sent (unset optional ones left out)."""
        values = {
            "temperature": self.temperature,
            "max_tokens": None if self.max_completion_tokens is not None else self.max_tokens,
            "max_completion_tokens": self.max_completion_tokens,
            "top_p": self.top_p,
            "seed": self.seed,
            "logprobs": True if self.logprobs else None,
            "top_logprobs": self.top_logprobs,
            "n": self.n,
        }
        return {k: v for k, v in values.items() if v is not None}


@dataclass(frozen=True)
class TokenLogprobs:
    """One generated token with its alternatives (``logprobs.content[i]`` of a choice)."""

    token: str
    logprob: float
    top: tuple[tuple[str, float], ...]
    """``(token, logprob)`` of each alternative the server listed (``top_logprobs``)."""


@dataclass(frozen=True)
class Choice:
    """One completion of a reply.

    A *refusal* has empty ``text`` and ``refusal`` set: the model's refusal text, or the finish
    reason (``content_filter``, ``length``) when the reply gave no text at all.
    """

    text: str
    finish_reason: str | None
    refusal: str | None = None
    logprobs: tuple[TokenLogprobs, ...] | None = None
    """The tokens' log-probabilities when the server sent them."""


@dataclass(frozen=True)
class Completion:
    """A successful reply: one or more choices (``n``) and the token counts."""

    choices: tuple[Choice, ...]
    usage: dict[str, int] | None
    """Token counts the server reported (``prompt_tokens``, ``completion_tokens``, ...)."""

    @property
    def text(self) -> str:
        """The first choice's text."""
        return self.choices[0].text

    @property
    def finish_reason(self) -> str | None:
        """The first choice's finish reason."""
        return self.choices[0].finish_reason

    @property
    def refusal(self) -> str | None:
        """The first choice's refusal (None when it answered)."""
        return self.choices[0].refusal


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


def _said(status: int) -> str:
    """What a :data:`FATAL_STATUS` says, for its message (the body rarely says it: a web site's
    405 page is HTML)."""
    if status not in FATAL_STATUS:
        return ""
    return f" ({FATAL_STATUS[status].format(base_url=_BASE_URL, model=_MODEL)})"


def retryable_status(status: int) -> bool:
    """Whether an HTTP error status is worth trying again: :data:`RETRYABLE_STATUS` and 5xx."""
    return status in RETRYABLE_STATUS or status >= 500


_STATUS_ERROR: Final = re.compile(r"HTTP (\d{3}):")


def server_failure(error: str) -> bool:
    """Whether a request's recorded ``error`` is a failure that was retried: a connection error,
    a timeout, a retryable status (:func:`retryable_status`) or a malformed reply. Those are the
    server's trouble and would meet any request; another 4xx (a 400 for a prompt too long) is a
    reply about its own sample. :class:`sgbench.runner.run.Breaker` stops a pool after a run of
    the first kind and leaves the second to the sample's error line.

    Read from the text because the text is all an error line keeps; every prefix read here is
    the one :func:`post_chat` writes.
    """
    if error.startswith((CONNECTION_ERROR, TIMED_OUT, MALFORMED)):
        return True
    status = _STATUS_ERROR.match(error)
    return status is not None and retryable_status(int(status.group(1)))


class Cancel(threading.Event):
    """A stop signal that also aborts every request in flight that :meth:`watch` registered.

    Setting it shuts the open sockets down, so worker threads blocked in a read return at once
    (Ctrl-C does not wait for ``--timeout``, nor for ever on a slow server).
    """

    def __init__(self) -> None:
        super().__init__()
        self._guard = threading.Lock()
        self._aborts: dict[int, Callable[[], None]] = {}

    def set(self) -> None:
        """Signal stop and abort every registered request."""
        super().set()
        with self._guard:
            aborts = list(self._aborts.values())
        for abort in aborts:
            abort()

    @contextmanager
    def watch(self, abort: Callable[[], None]) -> Iterator[None]:
        """Call ``abort`` if the signal is set while the block runs (at once if already set)."""
        token = id(abort)
        with self._guard:
            self._aborts[token] = abort
        try:
            if self.is_set():
                abort()
            yield
        finally:
            with self._guard:
                self._aborts.pop(token, None)


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


MIN_SECRET_CHARS: Final = 8
"""Shortest API key redacted. A shorter one is a placeholder for a server that checks no key
(``EMPTY``, ``x``), and replacing it rewrote what it happens to spell: with the key ``2``,
every ``Answer: 2`` was recorded as ``Answer: ***``; with ``e``, the reply's own keys
(``choic***s``), so that every request failed."""


def redact(text: str, secret: str | None) -> str:
    """``text`` with every occurrence of ``secret`` replaced by ``***`` (a key of at least
    :data:`MIN_SECRET_CHARS` characters; a shorter one is no secret)."""
    return text.replace(secret, "***") if secret and len(secret) >= MIN_SECRET_CHARS else text


def _excerpt(body: bytes, secret: str | None) -> str:
    text = body[: EXCERPT_CHARS * 4].decode("utf-8", errors="replace")
    text = " ".join(replace_surrogates(redact(text, secret)).split())
    # Escaped: the excerpt goes into error lines, and a raw escape sequence from a server would
    # drive the terminal (its title, the clipboard).
    return shown_name(text[:EXCERPT_CHARS]) + ("…" if len(text) > EXCERPT_CHARS else "")


def load_reply(body: bytes) -> Any:
    """A reply body parsed as JSON, within :data:`MAX_BODY_BYTES` and :data:`MAX_JSON_DEPTH`.

    Raises:
        ValueError: too large, nested too deeply, not JSON, or a key twice in one object (which
            of the two a reader takes is a guess: ``{"content": "1", "content": "2"}``).
    """
    if len(body) > MAX_BODY_BYTES:
        raise ValueError(f"larger than {MAX_BODY_BYTES} bytes")
    if json_depth(body) > MAX_JSON_DEPTH:
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(body, object_pairs_hook=unique_keys)
    except (ValueError, RecursionError) as exc:  # bad UTF-8 or JSON, a key twice, huge integers
        reason = replace_surrogates(str(exc))
        raise ValueError(f"not JSON ({reason[:EXCERPT_CHARS]})") from None


def parameter_error(body: bytes) -> str | None:
    """The parameter a 400 body says is unsupported or invalid for every request, or None.

    OpenAI's shape: ``{"error": {"type": "invalid_request_error", "code":
    "unsupported_parameter", "param": "max_tokens", "message": ...}}``. A parameter in
    :data:`PER_SAMPLE_PARAMS` (a prompt too long) concerns one sample and gives None.
    """
    try:
        reply = load_reply(body)
    except ValueError:
        return None
    error = reply.get("error") if isinstance(reply, dict) else None
    if not isinstance(error, dict):
        return None
    param, code = error.get("param"), error.get("code")
    if not isinstance(param, str) or not param or param in PER_SAMPLE_PARAMS:
        return None
    if code in FATAL_CODES or error.get("type") == "invalid_request_error":
        return replace_surrogates(param)
    return None


def request_body(
    model: str, messages: Sequence[Mapping[str, object]], params: SamplingParams
) -> bytes:
    """The JSON request body (``allow_nan=False``: every number sent is valid JSON)."""
    payload = {"model": model, "messages": [dict(m) for m in messages], **params.to_dict()}
    try:
        text = json.dumps(payload, ensure_ascii=False, allow_nan=False)
    except ValueError as exc:
        raise InputError(f"request: {exc}") from None
    return replace_surrogates(text).encode("utf-8")


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


LOGPROB_ROUNDING: Final = 1e-6
"""How far above 0 a server's log-probability may round (it is read as 0)."""


def _logprob(value: object) -> float | None:
    """A log-probability: a finite number at most 0 (a probability at most 1), else None. A
    larger one would make the shares of a distribution overflow or exceed 1."""
    number = _number(value)
    if number is None or number > LOGPROB_ROUNDING:
        return None
    return min(number, 0.0)


def _read_logprobs(choice: Mapping[str, Any]) -> tuple[TokenLogprobs, ...] | None:
    """``choice.logprobs.content`` as tokens; None when absent.

    Raises:
        ValueError: present but not in the chat-completions shape.
    """
    block = choice.get("logprobs")
    if block is None:
        return None
    content = block.get("content") if isinstance(block, dict) else None
    if content is None:
        return None
    if not isinstance(content, list):
        raise ValueError("logprobs.content is not a list")
    tokens: list[TokenLogprobs] = []
    for entry in content:
        token = entry.get("token") if isinstance(entry, dict) else None
        logprob = _logprob(entry.get("logprob")) if isinstance(entry, dict) else None
        if not isinstance(token, str) or logprob is None:
            raise ValueError("logprobs.content has an entry without token and logprob (<= 0)")
        top: list[tuple[str, float]] = []
        for alt in entry.get("top_logprobs") or []:
            alt_token = alt.get("token") if isinstance(alt, dict) else None
            alt_logprob = _logprob(alt.get("logprob")) if isinstance(alt, dict) else None
            if not isinstance(alt_token, str) or alt_logprob is None:
                raise ValueError(
                    "logprobs.content has a top_logprobs entry without token and logprob (<= 0)"
                )
            top.append((replace_surrogates(alt_token), alt_logprob))
        tokens.append(TokenLogprobs(replace_surrogates(token), logprob, tuple(top)))
    return tuple(tokens)


def _read_choice(choice: object) -> Choice:
    """One ``choices[i]`` (rules in :class:`Choice`).

    Raises:
        ValueError: no ``message``, or neither a string content nor a refusal.
    """
    if not isinstance(choice, dict) or not isinstance(choice.get("message"), dict):
        raise ValueError("no choices[0].message.content")
    message = choice["message"]
    content = message.get("content")
    finish = choice.get("finish_reason")
    finish = replace_surrogates(finish) if isinstance(finish, str) else None
    refusal = message.get("refusal")
    logprobs = _read_logprobs(choice)
    if isinstance(content, str) and content.strip():
        return Choice(replace_surrogates(content), finish, None, logprobs)
    if isinstance(refusal, str) and refusal.strip():
        return Choice("", finish, replace_surrogates(refusal), logprobs)
    if finish in REFUSAL_FINISH and (content is None or isinstance(content, str)):
        return Choice("", finish, finish, logprobs)
    if isinstance(content, str):  # blank, and no reason given: the model said nothing
        return Choice(replace_surrogates(content), finish, None, logprobs)
    if content is None and message.get("tool_calls"):
        raise ValueError("choices[0].message has tool_calls and no content (no tool was offered)")
    if isinstance(content, list):
        raise ValueError("choices[0].message.content is a list of parts, not a string")
    raise ValueError("choices[0].message.content is not a string")


def without_secret(value: Any, secret: str | None) -> Any:
    """``value`` (parsed JSON, at most :data:`MAX_JSON_DEPTH` deep) with ``secret`` redacted
    from every string in it, keys included: a server that echoes the key in its reply (however
    the JSON escapes it) must not get it written into a responses file that may be published."""
    if not secret:
        return value
    if isinstance(value, str):
        return redact(value, secret)
    if isinstance(value, list):
        return [without_secret(item, secret) for item in value]
    if isinstance(value, dict):
        return {redact(str(k), secret): without_secret(v, secret) for k, v in value.items()}
    return value


def _in_index_order(choices: list[Any]) -> list[Any]:
    """``choices`` ordered by their ``index`` when those are exactly 0..n-1 (the first choice is
    the answer: a server listing index 1 first had its second completion recorded), else as
    listed (no index, or one that orders nothing, as some servers send for ``n``)."""
    by_index: dict[int, Any] = {}
    for choice in choices:
        index = choice.get("index") if isinstance(choice, dict) else None
        if type(index) is not int or index in by_index:
            return choices
        by_index[index] = choice
    if set(by_index) != set(range(len(choices))):
        return choices
    return [by_index[index] for index in range(len(choices))]


def read_completion(body: bytes, secret: str | None = None) -> Completion:
    """The choices of a chat-completions reply body (bounded: :func:`load_reply`), with
    ``secret`` (the API key) redacted from every string (:func:`without_secret`).

    Raises:
        ValueError: the body is not JSON within bounds, or has no readable ``choices``.
    """
    reply = without_secret(load_reply(body), secret)
    choices = reply.get("choices") if isinstance(reply, dict) else None
    if not isinstance(choices, list) or not choices:
        raise ValueError("no choices[0].message.content")
    read = tuple(_read_choice(choice) for choice in _in_index_order(choices))
    usage = reply.get("usage")
    counts = (
        {
            replace_surrogates(str(k)): v
            for k, v in usage.items()
            if isinstance(v, int) and not isinstance(v, bool)
        }
        if isinstance(usage, dict)
        else None
    )
    return Completion(choices=read, usage=counts)


def _bypassed(parts: urllib.parse.SplitResult) -> bool:
    """Whether ``no_proxy`` names the URL's host, in any form other clients read (curl,
    requests): a name or suffix, ``host:port`` (urllib matches that only when given the port)
    or an address range ``127.0.0.0/8`` (urllib reads it as a name). A form it missed sent the
    request, and the key, to the proxy the user meant to avoid."""
    host = parts.hostname or ""
    netloc = parts.netloc.rpartition("@")[2]
    if urllib.request.proxy_bypass(host) or urllib.request.proxy_bypass(netloc):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    entries = urllib.request.getproxies_environment().get("no", "").split(",")
    for entry in (e.strip() for e in entries):
        if "/" not in entry:
            continue
        try:
            if address in ipaddress.ip_network(entry.strip("[]"), strict=False):
                return True
        except ValueError:  # not a range: a name, matched above
            continue
    return False


def proxy_for(parts: urllib.parse.SplitResult) -> urllib.parse.SplitResult | None:
    """The proxy the environment names for a URL (``https_proxy``, ``http_proxy``, ``no_proxy``);
    None to connect directly.

    Raises:
        InputError: the proxy's address is not a valid URL, names no host, or holds a user name
            or password (proxy authentication is not supported: they would be dropped). The
            message names the variable, never its value.
    """
    proxy = urllib.request.getproxies().get(parts.scheme)
    if not proxy or _bypassed(parts):
        return None
    name = f"{parts.scheme}_proxy (from the environment)"
    try:
        via = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        _ = via.port
    except ValueError:
        raise InputError(f"{name}: not a valid URL (its port or host)") from None
    if "@" in via.netloc:
        raise InputError(
            f"{name}: holds a user name or password, which sgbench would not send (no proxy "
            "authentication); use a proxy that needs none"
        )
    if not via.hostname:
        raise InputError(f"{name}: names no host")
    return via


def _connection(endpoint: Endpoint) -> tuple[http.client.HTTPConnection, str, str | None]:
    """An unopened connection for ``endpoint.url``, the request target to send, and the name of
    the variable whose proxy the connection goes through (None when it goes directly).

    A proxy from the environment (``https_proxy``, ``http_proxy``, ``no_proxy``) is honoured: an
    ``https`` URL is tunnelled through it (the key stays inside TLS), an ``http`` one is sent to it
    in absolute form.
    """
    parts = urllib.parse.urlsplit(endpoint.url)
    host = parts.hostname or ""
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    target = parts.path or "/"
    if parts.query:
        target += f"?{parts.query}"
    via = proxy_for(parts)
    kind = http.client.HTTPSConnection if secure else http.client.HTTPConnection
    if via is None:
        return kind(host, port, timeout=endpoint.timeout), target, None
    conn = kind(via.hostname or "", via.port or 80, timeout=endpoint.timeout)
    variable = f"{parts.scheme}_proxy"
    if secure:
        conn.set_tunnel(host, port)
        return conn, target, variable
    return conn, urllib.parse.urlunsplit(parts), variable


def _shut(sock: socket.socket | None) -> None:
    """Abort a connection from another thread: its blocked reads and writes return at once."""
    if sock is not None:
        with suppress(OSError):  # already closed
            sock.shutdown(socket.SHUT_RDWR)


class _Exchange:
    """One request on one connection, abortable from another thread at any point.

    The socket is kept here because ``http.client`` forgets it (``conn.sock = None``) once a
    ``Connection: close`` reply starts, while the body is still being read from it.
    """

    def __init__(self, conn: http.client.HTTPConnection) -> None:
        self.conn = conn
        self.sock: socket.socket | None = None
        self.aborted = False
        self.connected = False
        """Whether the connection opened (with its tunnel and TLS): from then on the request
        was, or was being, sent."""
        self.guard = threading.Lock()

    def abort(self) -> None:
        """Shut the socket (now, or as soon as it is connected)."""
        with self.guard:
            self.aborted = True
            sock = self.sock
        _shut(sock)

    def run(
        self, target: str, body: bytes, headers: Mapping[str, str]
    ) -> tuple[int, str, http.client.HTTPMessage, bytes]:
        """Send the request; the status, reason, headers and at most one byte more than the
        cap of the body."""
        self.conn.connect()
        self.connected = True
        with self.guard:
            self.sock = self.conn.sock
            aborted = self.aborted
        if aborted:
            _shut(self.sock)
        self.conn.request("POST", target, body=body, headers=dict(headers))
        try:
            reply = self.conn.getresponse()
        except (ValueError, OverflowError) as exc:
            # http.client lets some broken framing escape as these (a negative chunk size is
            # "read length must be non-negative"): the reply is malformed, never a crash.
            raise _CutReply(f"malformed reply framing ({exc})") from None
        try:
            data = reply.read(MAX_BODY_BYTES + 1)
        except (ValueError, OverflowError) as exc:  # as above, in a chunk's framing
            raise _CutReply(f"malformed reply framing ({exc})") from None
        except (OSError, http.client.HTTPException) as exc:
            detail = f"{type(exc).__name__}: {exc}"
            raise _CutReply(f"the reply broke off after its status ({detail})") from None
        if len(data) <= MAX_BODY_BYTES and reply.length:
            # The server closed before the Content-Length it announced: a body cut short can
            # still parse (a complete object before the cut), so it is never read as a reply.
            raise _CutReply(
                f"the reply broke off after its status ({len(data)} of the "
                f"{len(data) + reply.length} bytes it announced)"
            )
        return reply.status, reply.reason, reply.headers, data


class _CutReply(http.client.HTTPException):
    """A reply that arrived broken: its framing unreadable, or its status line there and its
    body cut short. The server was reached, so it is a malformed reply, never a connection
    error (:class:`~sgbench.runner.run.Breaker` said "the first request did not reach the
    server ... check that it is up" of a server cutting its replies, and stopped a run at
    ``--concurrency 1`` after one sample)."""


def _transport_error(exc: Exception, connected: bool, proxied: str | None) -> str:
    """The one reading of a request that ended in a socket or HTTP error before a complete
    reply (a timeout and a cancel aside): where it failed says what the user should check.

    - Before the connection opened: :data:`NOT_CONNECTED` (a wrong address, a server down);
    - after it, on an :class:`OSError` (a reset, a close before any status line):
      :data:`CLOSED_UNANSWERED`. Both were "connection error" alike, and a server that took the
      connection and closed it unanswered was said "not reached";
    - after it, on an HTTP error that is no socket error (a status line that is not HTTP, a
      header line too long, broken framing, a body cut short): :data:`MALFORMED`, since the
      server did reply.

    ``proxied`` names the variable whose proxy the request went through: a dead proxy refused
    every request while the server named by ``--base-url`` was up, so the text says which
    variable sent the request elsewhere.
    """
    detail = f"{type(exc).__name__}: {exc}"
    if connected and isinstance(exc, http.client.HTTPException) and not isinstance(exc, OSError):
        return f"{MALFORMED}: {exc}" if isinstance(exc, _CutReply) else f"{MALFORMED}: {detail}"
    through = (
        f" (through the proxy that {proxied} names, from the environment; no_proxy lists hosts "
        "reached directly)"
        if proxied is not None
        else ""
    )
    return f"{CLOSED_UNANSWERED if connected else NOT_CONNECTED}{through}: {detail}"


def post_chat(
    endpoint: Endpoint,
    model: str,
    messages: Sequence[Mapping[str, object]],
    params: SamplingParams,
    cancel: Cancel | None = None,
) -> Completion:
    """Send one chat-completions request, bounded in time by ``endpoint.timeout`` as a whole
    and aborted when ``cancel`` is set (module docstring).

    Raises:
        RequestFailed: an HTTP error status, a redirect, a timeout, a connection error, a
            cancelled request or a malformed body.
    """
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "User-Agent": f"sgbench/{__version__}",
    }
    key = endpoint.api_key
    if key:
        headers["Authorization"] = f"Bearer {key}"
    payload = request_body(model, messages, params)
    if cancel is not None and cancel.is_set():
        raise RequestFailed("cancelled", retryable=False)
    conn, target, proxied = _connection(endpoint)
    exchange = _Exchange(conn)
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        exchange.abort()

    watchdog = threading.Timer(endpoint.timeout, expire)
    watchdog.daemon = True
    try:
        with cancel.watch(exchange.abort) if cancel is not None else _nothing():
            watchdog.start()
            status, reason, reply_headers, body = exchange.run(target, payload, headers)
    except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
        if cancel is not None and cancel.is_set():
            raise RequestFailed("cancelled", retryable=False) from None
        if expired.is_set() or isinstance(exc, TimeoutError):
            raise RequestFailed(f"{TIMED_OUT} {endpoint.timeout:g} s", retryable=True) from None
        error = _transport_error(exc, exchange.connected, proxied)
        raise RequestFailed(redact(error, key), retryable=True) from None
    finally:
        watchdog.cancel()
        conn.close()
    if cancel is not None and cancel.is_set():
        raise RequestFailed("cancelled", retryable=False)
    if expired.is_set():  # a body without Content-Length ends quietly when the socket shuts
        raise RequestFailed(f"{TIMED_OUT} {endpoint.timeout:g} s", retryable=True)
    if 300 <= status < 400:
        where = _excerpt((reply_headers.get("Location") or "").encode(), key)
        raise RequestFailed(
            f"HTTP {status}: a redirect (to {where or 'nowhere'}); redirects are not followed, "
            f"give {_BASE_URL} the final address",
            retryable=False,
            fatal=True,
        )
    if status >= 400:
        detail = _excerpt(body, key)
        param = parameter_error(body) if status == 400 else None
        if param is not None:
            raise RequestFailed(
                redact(f"HTTP 400: parameter {param!r} is not accepted: {detail}", key),
                retryable=False,
                fatal=True,
            )
        retryable = retryable_status(status)
        wait = parse_retry_after(reply_headers.get("Retry-After"))
        raise RequestFailed(
            redact(f"HTTP {status}: {detail or reason}{_said(status)}", key),
            retryable=retryable,
            fatal=status in FATAL_STATUS,
            retry_after=wait,
        )
    try:
        return read_completion(body, key)
    except ValueError as exc:
        raise RequestFailed(
            redact(f"{MALFORMED}: {exc}: {_excerpt(body, key)}", key), retryable=True
        ) from None


@contextmanager
def _nothing() -> Iterator[None]:
    yield
