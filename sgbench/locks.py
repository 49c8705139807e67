"""One writer per output file: an exclusive lock held while a command writes it.

``sgbench run`` and ``sgbench judge`` append to their ``--out`` for as long as they run, and tidy
it (rewrite it without error lines) before they start; two processes on one file would send
every request twice, interleave their lines, or replace the file under each other. So each holds
:func:`exclusive` on every file it writes, and a second process is refused at once with one line
rather than waiting.

The lock is an advisory ``flock`` (:func:`sgbench.sidecars.open_locked`, which
:func:`sgbench.files.replace_folder` takes for an output folder too) on a sidecar file
``.<name>.lock`` next to the target, symlinks
resolved (the target itself is replaced by renames, which would orphan a lock held on it). A
target with several hard links is refused: no sidecar is common to its names. The kernel releases
it when the process ends, however it ends; the sidecar is removed on a normal release.

While it appends, the writer also holds the lock of the file itself (:func:`appending`, taken
on the file it opens, after any tidying rename): a hard link made after the run started has a
sidecar of its own that nobody holds, but the same file, so a reader of that name
(:func:`sgbench.sidecars.being_written`) meets this lock and does not read a partial file.

A sidecar is sgbench's only while it is empty (a lock file is never written): one holding data
is someone's file under a name like ours, refused and never removed, and a release removes the
sidecar only while it is still the empty file it locked. An output that is itself a sidecar in
use is refused (:func:`sgbench.files.check_not_a_lock`): its holder would remove it at its end.
A symlink planted at a sidecar's name is never followed (the open would create a file wherever
it points), and a sidecar that is not a regular file (a FIFO) is refused the same way.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from sgbench.boundary import PathArg
from sgbench.errors import InputError, shown_name
from sgbench.files import HELD_LOCKS, check_not_a_lock, check_output_name, lock_path
from sgbench.sidecars import in_use, lock_now, open_locked, remove_if_ours

__all__ = ["appending", "exclusive", "lock_path"]


def _check_one_name(path: PathArg) -> None:
    """Refuse a file with more than one hard link: its other names would each have their own
    sidecar, so two processes could write it at once (and a tidying rename would split it)."""
    try:
        links = os.stat(path).st_nlink
    except OSError:  # absent (it will be created) or unreadable (the reader says so)
        return
    if links > 1:
        raise InputError(
            f"{shown_name(str(path))}: the file has {links} names (hard links); an output file "
            "written while the command runs must have one, so that one lock guards it; copy it "
            "or choose another output file"
        )


@contextlib.contextmanager
def exclusive(*paths: PathArg | None) -> Iterator[None]:
    """Hold the exclusive lock of every path given (None ones skipped) for the block.

    Raises:
        InputError: ``PATH: in use by another sgbench process; ...`` when one is locked
            elsewhere (locks already taken are released first).
    """
    with contextlib.ExitStack() as stack:
        for path in paths:
            if path is None:
                continue
            # An appended output (run's and judge's --out) is never written whole, so this is
            # where the rule of every output file's name holds it when written (run_benchmark
            # and judge_files also apply it before any work): a folder's link count read as
            # "2 names", and a newline in the name made the file.
            check_output_name(path)
            _check_one_name(path)
            check_not_a_lock(path)
            sidecar = lock_path(path)
            fd = open_locked(sidecar, path)
            stack.callback(os.close, fd)
            stack.callback(remove_if_ours, sidecar, fd)
            # write_atomic replaces what this process locked, and refuses what another did.
            HELD_LOCKS.add(sidecar)
            stack.callback(HELD_LOCKS.discard, sidecar)
        yield


@contextlib.contextmanager
def appending(path: PathArg) -> Iterator[TextIO]:
    """``path`` opened to append UTF-8 text, its file's own exclusive lock held until the block
    ends: how ``run`` and ``judge`` write their ``--out``, under :func:`exclusive`. Taken on the
    file opened, so after any tidying (a rename puts a new file under the name); every name of
    that file, a hard link made meanwhile too, reads as being written
    (:func:`sgbench.sidecars.being_written`) until the handle is closed.

    Raises:
        InputError: ``PATH: in use by another sgbench process; ...`` when another program
            holds the file's lock.
        OSError: the file cannot be opened.
    """
    with Path(path).open("a", encoding="utf-8") as handle:
        try:
            locked = lock_now(handle.fileno())
        except OSError:  # a file system without flock: no reader can probe it either
            locked = True
        if not locked:
            raise in_use(path)
        yield handle
