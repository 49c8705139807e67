"""``python -m sgbench`` and the ``sgbench`` command: :func:`run`."""

from __future__ import annotations

import os
import resource
import signal
import stat
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


_stderr_cleared: bool | None = None
"""Whether the stream rule (:func:`sgbench.files.stream_problems`) lets standard error be
written; None until it has answered."""


def _stderr_is_a_file() -> bool:
    """Whether descriptor 2 is a regular file (or cannot be told), the only kind of stream the
    rule ever refuses: a terminal or a pipe may be written before the rule has answered."""
    try:
        return stat.S_ISREG(os.fstat(2).st_mode)
    except OSError:  # closed: nothing to write to
        return True


def _say(line: str) -> None:
    """Write ``line`` to standard error when the stream rule lets it be written, else nothing
    (the exit code says it alone): ``prompts 2> ds/e.log`` interrupted while loading wrote
    ``interrupted`` into the dataset ``ds``, where the command line writes no line. Before the
    rule has answered (interrupted, or out of memory, while its module loads), a file is not
    known to be writable and gets nothing; a terminal or a pipe gets the line."""
    cleared = not _stderr_is_a_file() if _stderr_cleared is None else _stderr_cleared
    if cleared and sys.stderr is not None:  # print(file=None) would write to stdout
        print(line, file=sys.stderr)


def run() -> None:
    """Load the command line and run it, the :data:`STOPPING_SIGNALS` handled by :func:`_stop`;
    Ctrl-C while the command line is still loading (a second or so of imports) exits 130 too,
    without a traceback, and running out of memory while loading is one ``Error:`` line with
    exit code 2, as it is in a command (``sgbench.cli.errors``). Each line goes through
    :func:`_say`, the rule of every line sgbench writes."""
    global _stderr_cleared
    _stderr_cleared = None
    for number in STOPPING_SIGNALS:
        signal.signal(number, _stop)
    if resource.getrlimit(resource.RLIMIT_AS)[0] != resource.RLIM_INFINITY:
        # Under an address-space cap (`ulimit -v`) pyarrow's jemalloc deadlocked or crashed
        # (SIGSEGV) instead of failing an allocation; the system allocator reports it.
        os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    try:
        # The rule's module is most of the command line's loading time: interrupted before it
        # has answered, the stream is not known to be writable, and nothing is said.
        from sgbench.files import stream_problems

        _stderr_cleared = 2 not in stream_problems()
        from sgbench.cli import main
    except KeyboardInterrupt:
        _say("\ninterrupted")
        raise SystemExit(INTERRUPTED) from None
    except MemoryError:
        _say(
            "Error: out of memory while loading sgbench; free some memory or raise the "
            "limit (ulimit -v) and run the command again"
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
        _say("\ninterrupted")
        raise SystemExit(INTERRUPTED) from None


if __name__ == "__main__":
    run()
