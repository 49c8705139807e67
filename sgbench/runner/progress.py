"""A one-line progress display on stderr: done/total, errors, rate and ETA.

Redrawn in place (carriage return) at most every ``interval`` seconds, and only when the stream
is a terminal, so logs and pipes get no progress noise (the command prints a summary at the end).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO


def format_duration(seconds: float) -> str:
    """``75`` → ``1m15s``, ``3725`` → ``1h02m05s``, ``9`` → ``9s`` (rounded to whole seconds)."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def format_progress(done: int, total: int, errors: int, elapsed: float, label: str = "run") -> str:
    """The progress line: ``run: 120/400 (30.0%) · 2 errors · 4.0/s · ETA 1m10s``.

    ``label`` starts the line (``run``, ``judge``).

    The rate is requests finished in this run per second of this run; the ETA is the remaining
    requests at that rate (``ETA ?`` before the first one finishes).
    """
    share = 100.0 * done / total if total else 100.0
    rate = done / elapsed if elapsed > 0 else 0.0
    eta = format_duration((total - done) / rate) if rate > 0 else "?"
    noun = "error" if errors == 1 else "errors"
    return f"{label}: {done}/{total} ({share:.1f}%) · {errors} {noun} · {rate:.1f}/s · ETA {eta}"


class Progress:
    """Draws :func:`format_progress` on a terminal stream; silent when ``enabled`` is False."""

    def __init__(
        self,
        total: int,
        stream: TextIO,
        *,
        enabled: bool,
        interval: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
        label: str = "run",
    ) -> None:
        self.total = total
        self.stream = stream
        self.enabled = enabled
        self.interval = interval
        self.clock = clock
        self.label = label
        self.start = clock()
        self._last_draw: float | None = None
        self._width = 0

    def update(self, done: int, errors: int, *, force: bool = False) -> None:
        """Redraw if enabled and ``interval`` has passed since the last draw (or ``force``)."""
        if not self.enabled:
            return
        now = self.clock()
        if not force and self._last_draw is not None and now - self._last_draw < self.interval:
            return
        self._last_draw = now
        line = format_progress(done, self.total, errors, now - self.start, self.label)
        # Pad with spaces so a shorter line fully covers the previous one.
        self.stream.write("\r" + line.ljust(self._width))
        self.stream.flush()
        self._width = len(line)

    def close(self) -> None:
        """End the progress line (a newline if anything was drawn)."""
        if self.enabled and self._last_draw is not None:
            self.stream.write("\n")
            self.stream.flush()
