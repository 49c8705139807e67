"""``python -m sgbench`` and the ``sgbench`` command: :func:`run`."""

from __future__ import annotations

import signal
import sys
from types import FrameType

INTERRUPTED = 130
"""The exit code of an interrupted command (``sgbench.cli.errors.EXIT_INTERRUPTED``, which this
module cannot import before the command line is loaded)."""


_stopping = False
"""Set by the first Ctrl-C or SIGTERM: later ones are let through without effect."""


def _stop(signum: int, frame: FrameType | None) -> None:
    """Ctrl-C and SIGTERM end a command alike: requests aborted, lines kept, temporary and lock
    files removed, exit code 130 (SIGTERM used to kill it where it stood). Only the first one
    interrupts: a second Ctrl-C landed inside the clean-up of the first and broke it with a
    traceback (the clean-up is prompt: requests in flight are aborted, not waited for)."""
    global _stopping
    if _stopping:
        return
    _stopping = True
    raise KeyboardInterrupt


def run() -> None:
    """Load the command line and run it, Ctrl-C and SIGTERM handled by :func:`_stop`; Ctrl-C
    while the command line is still loading (a second or so of imports) exits 130 too, without
    a traceback."""
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, _stop)
    try:
        from sgbench.cli import main
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        raise SystemExit(INTERRUPTED) from None
    main()


if __name__ == "__main__":
    run()
