"""``python -m sgbench`` and the ``sgbench`` command: :func:`run`."""

from __future__ import annotations

import signal
import sys
from types import FrameType

INTERRUPTED = 130
"""The exit code of an interrupted command (``sgbench.cli.errors.EXIT_INTERRUPTED``, which this
module cannot import before the command line is loaded)."""


def _stop(signum: int, frame: FrameType | None) -> None:
    """SIGTERM ends a command as Ctrl-C does: requests aborted, lines kept, temporary files and
    lock files removed, exit code 130 (rather than dying where it stands)."""
    raise KeyboardInterrupt


def run() -> None:
    """Load the command line and run it. SIGTERM is Ctrl-C, and Ctrl-C while the command line
    is still loading (a second or so of imports) exits 130 too, without a traceback."""
    signal.signal(signal.SIGTERM, _stop)
    try:
        from sgbench.cli import main
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        raise SystemExit(INTERRUPTED) from None
    main()


if __name__ == "__main__":
    run()
