"""The one exception hierarchy of sgbench.

Library code raises these; the CLI turns them into a one-line ``Error: ...`` on stderr and exit
code 2. Anything else escaping the library is a bug and is allowed to show a traceback.
"""

from __future__ import annotations

from typing import Final

MAX_MESSAGE: Final = 500
"""Most characters of one problem line; longer ones keep their start and their end."""


def bounded(message: str) -> str:
    """``message`` cut to :data:`MAX_MESSAGE` characters around a ``…`` when longer: a problem
    quoting an untrusted value (a 10 MB model name, a 50 MB id) would otherwise be published in
    full in every output and message. The end, which says what is wrong, is kept."""
    if len(message) <= MAX_MESSAGE:
        return message
    half = (MAX_MESSAGE - 30) // 2
    return f"{message[:half]} … [{len(message) - 2 * half:,} characters] … {message[-half:]}"


def shown_name(name: str) -> str:
    """A file or folder name as a message or an output shows it: as is when every character is
    printable, else with Python's escapes (``\\n``, ``\\x1b``, ``\\u202e``, ``\\udcff``), so a
    name cannot start a line of its own, drive a terminal, reorder the text around it or break
    a UTF-8 writer (a name that is not UTF-8 holds lone surrogates)."""
    return name if name.isprintable() else repr(name)[1:-1]


class SgbenchError(Exception):
    """Base class of every error sgbench raises on purpose."""


class InputError(SgbenchError):
    """A file, option or value given by the user cannot be used.

    The message is one line and names the file (and line or column where there is one).
    """


class ConfigError(InputError):
    """A build config is invalid."""
