"""``python -m sgbench`` and the ``sgbench`` command: :func:`run`."""

from __future__ import annotations

import os
import resource
import signal
import sys
from types import FrameType

INTERRUPTED = 130
"""The exit code of an interrupted command (``sgbench.cli.errors.EXIT_INTERRUPTED``, which this
module cannot import before the command line is loaded)."""


_stopping = False
"""Set by the first stopping signal: later ones are let through without effect."""


STOPPING_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""Ctrl-C, SIGTERM and SIGHUP (the terminal or the SSH session closed under the command)."""


def _stop(signum: int, frame: FrameType | None) -> None:
    """Ctrl-C, SIGTERM and SIGHUP end a command alike: requests aborted, lines kept, temporary
    and lock files removed, exit code 130 (SIGTERM and SIGHUP used to kill it where it stood,
    leaving them). Only the first one interrupts: a second Ctrl-C landed inside the clean-up of
    the first and broke it with a traceback (the clean-up is prompt: requests in flight are
    aborted, not waited for)."""
    global _stopping
    if _stopping:
        return
    _stopping = True
    raise KeyboardInterrupt


def run() -> None:
    """Load the command line and run it, the :data:`STOPPING_SIGNALS` handled by :func:`_stop`;
    Ctrl-C while the command line is still loading (a second or so of imports) exits 130 too,
    without a traceback, and running out of memory while loading is one ``Error:`` line with
    exit code 2, as it is in a command (``sgbench.cli.errors``)."""
    for number in STOPPING_SIGNALS:
        signal.signal(number, _stop)
    if resource.getrlimit(resource.RLIMIT_AS)[0] != resource.RLIM_INFINITY:
        # Under an address-space cap (`ulimit -v`) pyarrow's jemalloc deadlocked or crashed
        # (SIGSEGV) instead of failing an allocation; the system allocator reports it.
        os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    try:
        from sgbench.cli import main
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        raise SystemExit(INTERRUPTED) from None
    except MemoryError:
        if sys.stderr is not None:  # print(file=None) would write to stdout
            print(
                "Error: out of memory while loading sgbench; free some memory or raise the "
                "limit (ulimit -v) and run the command again",
                file=sys.stderr,
            )
        raise SystemExit(2) from None
    try:
        try:
            main()
        finally:
            # The command has ended: its outputs are complete or cleaned up. A signal now lands
            # in the interpreter's shutdown, where Python has put back the default action (death
            # by the signal: exit 143 or 129 after a complete build); ignored, it changes nothing.
            for number in STOPPING_SIGNALS:
                signal.signal(number, signal.SIG_IGN)
    except KeyboardInterrupt:
        # The first signal landed after the command ended but before it was ignored (a bytecode
        # or two): escaping, the KeyboardInterrupt made Python end by SIGINT itself, and the
        # caller saw death by the signal (-2) instead of exit code 130.
        print("\ninterrupted", file=sys.stderr)
        raise SystemExit(INTERRUPTED) from None


if __name__ == "__main__":
    run()
