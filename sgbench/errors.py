"""The one exception hierarchy of sgbench.

Library code raises these; the CLI turns them into a one-line ``Error: ...`` on stderr and exit
code 2. Anything else escaping the library is a bug and is allowed to show a traceback.
"""

from __future__ import annotations


class SgbenchError(Exception):
    """Base class of every error sgbench raises on purpose."""


class InputError(SgbenchError):
    """A file, option or value given by the user cannot be used.

    The message is one line and names the file (and line or column where there is one).
    """


class ConfigError(InputError):
    """A build config is invalid."""
