"""Hidden siblings of a file (its temporary copy, staging folder, lock) and whether another
sgbench process is writing it.

The lowest of the file rules: :mod:`sgbench.jsonl` asks :func:`being_written` of every input it
opens; :mod:`sgbench.locks` (output files) and :func:`sgbench.files.replace_folder` (output
folders) take the locks through :func:`open_locked`.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import threading
import time
from pathlib import Path
from typing import Final

from sgbench.boundary import PathArg
from sgbench.errors import InputError, shown_name, write_reason

NAME_MAX: Final = 255
"""Longest file name (in bytes) common file systems allow."""
_RANDOM_ROOM: Final = 16
"""Bytes left after a hidden name for the random characters ``mkdtemp`` appends."""


_ATTEMPTS: Final = 5
"""Tries to lock a sidecar that a releasing process keeps removing (a race, never a wait)."""

_PROBE_PAUSES: Final = (0.002, 0.01, 0.05, 0.1)
"""Seconds a writer's exclusive lock is tried again after, when refused: a reader's probe
(:func:`lock_held`) holds a shared lock for an instant, and a run starting at that instant was
refused as if another process wrote its file. A holder is never waited for longer."""


def hidden_name(target: Path, tag: str) -> str:
    """``.<name>.<tag>``: the hidden sibling of ``target`` sgbench writes first (a temporary
    file, a staging folder, a lock), its name part shortened so that the whole, with room for
    a random suffix, is still a legal file name: a legal output name of 250 bytes would
    otherwise give an illegal temporary one, and the command would fail on a name it accepts."""
    room = NAME_MAX - _RANDOM_ROOM - len(os.fsencode(f"..{tag}"))
    # Cut in bytes; a character cut in two is dropped (libraries refuse half a character).
    short = os.fsencode(target.name)[:room].decode("utf-8", "ignore")
    return f".{short}.{tag}"


def lock_path(path: PathArg) -> Path:
    """The sidecar lock file of ``path``: ``.<name>.lock`` (:func:`hidden_name`, so a long
    legal name still has one) next to the file ``path`` names once symlinks are resolved, so
    that every way of naming one file (a symlink to it, ``x/../``) meets the same lock
    (:mod:`sgbench.locks`)."""
    try:
        target = Path(path).resolve()
    except (RuntimeError, OSError):  # a symlink loop: opening the file will say so
        target = Path(path)
    return target.with_name(hidden_name(target, "lock"))


class HeldLocks:
    """Sidecar lock files this process holds, each with the thread that took it.

    ``sidecar in HELD_LOCKS`` asks whether the *calling thread* holds it: a ``run_benchmark``
    reads back and replaces what it locked itself, but another thread of the same process (a
    notebook scoring a file a running thread appends to) read a partial file as if it were
    whole, with no error, since the question was asked of the process.
    """

    def __init__(self) -> None:
        self._holders: dict[Path, int] = {}
        self._guard = threading.Lock()

    def add(self, sidecar: Path) -> None:
        """Note that the calling thread holds ``sidecar``'s lock."""
        with self._guard:
            self._holders[sidecar] = threading.get_ident()

    def discard(self, sidecar: Path) -> None:
        """Forget ``sidecar`` (its lock is released)."""
        with self._guard:
            self._holders.pop(sidecar, None)

    def __contains__(self, sidecar: object) -> bool:
        if not isinstance(sidecar, Path):
            return False
        with self._guard:
            return self._holders.get(sidecar) == threading.get_ident()


HELD_LOCKS: Final = HeldLocks()
"""Sidecar lock files held here (:func:`sgbench.locks.exclusive` notes them), so that
:func:`write_atomic` replaces a file under the calling thread's own lock, never another's."""


def lock_held(file: PathArg, *, follow: bool = True) -> bool:
    """Whether ``file`` is a lock file an sgbench process holds (a ``run``'s ``.r.jsonl.lock``
    while it appends to ``r.jsonl``): the one test of "an sgbench lock file in use", asked of
    a sidecar (:func:`being_written`), of a named output (:func:`sgbench.files.check_not_a_lock`)
    and of a redirected standard stream (:func:`sgbench.files.stream_problems`). Written into,
    such a file is removed with what was written when its holder ends, or, kept because it
    holds data, makes every later command on the locked file refuse it.

    The probe takes a shared lock for an instant and releases it; it meets only a holder's
    exclusive lock, so two probes never refuse each other. ``follow=False`` follows no symlink
    (a sidecar sgbench made is a regular file); a FIFO is never waited for.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(file, flags)
    except OSError:  # absent or unreadable: nothing holds it, or its reader says so
        return False
    try:
        return _probed(fd)
    finally:
        os.close(fd)


def _probed(fd: int) -> bool:
    """Whether another open file holds an exclusive ``flock`` of ``fd``'s file: a shared lock
    taken for an instant (never waited for) and released."""
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:  # a file system without flock: no sgbench lock can be held there either
        return False
    return False  # released with the descriptor


def _appended_to(path: PathArg) -> bool:
    """Whether a writer holds the lock of the file ``path`` names itself
    (:func:`sgbench.locks.appending`): a lock belongs to the file, not to a name, so every name
    of it meets the lock, a hard link made after the writer started among them. Only a regular
    file is opened (opening a device may act on it), never waiting (``O_NONBLOCK``)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError:  # absent or unreadable: its reader says so
        return False
    try:
        # Replaced by a FIFO between the two looks: not a file a writer appends to.
        return stat.S_ISREG(os.fstat(fd).st_mode) and _probed(fd)
    finally:
        os.close(fd)


def held_lock_file(file: PathArg) -> bool:
    """Whether ``file`` is a sidecar lock file (named ``.<name>.lock``, :func:`hidden_name`)
    that an sgbench process holds (:func:`lock_held`). The name tells it from a ``run``'s own
    ``--out`` or a hard link of it, which are locked too (:func:`being_written`) but are files
    of data: written into, a lock file is removed with what was written when its holder ends.
    """
    name = Path(file).name
    return name.startswith(".") and name.endswith(".lock") and lock_held(file)


def being_written(path: PathArg) -> bool:
    """Whether another sgbench process holds ``path``'s lock (:func:`lock_path`,
    :func:`lock_held`), or the lock of the file itself (a ``run`` or ``judge`` holds both while
    it appends, :func:`sgbench.locks.appending`): a ``run`` or ``judge`` still appending to it.
    A file read then is a prefix of what it will be: scored, parsed or reported, it gave
    figures of a partial file with exit code 0. The sidecar alone missed a hard link made after
    the run started: its name has a sidecar of its own, which nobody holds.

    The calling thread's own locks (:data:`HELD_LOCKS`: ``run`` reading back its ``--out`` to
    resume) are not asked; another thread's are, as another process's. Both probes take a
    shared lock for an instant, so two readers never refuse each other.
    """
    sidecar = lock_path(path)
    if sidecar in HELD_LOCKS:
        return False
    return lock_held(sidecar, follow=False) or _appended_to(path)


def lock_now(fd: int) -> bool:
    """Take the exclusive ``flock`` of ``fd``'s file, or say it is held (False): never a wait
    for a holder, only for the instant of a reader's probe (:data:`_PROBE_PAUSES`). The one way
    a writer locks, a sidecar (:func:`open_locked`) or the file it appends to
    (:func:`sgbench.locks.appending`).

    Raises:
        OSError: the file system has no ``flock``.
    """
    for pause in (*_PROBE_PAUSES, None):
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if pause is None:
                return False
            time.sleep(pause)
        else:
            return True
    return False


def in_use(target: PathArg, what: str = "output file") -> InputError:
    """The refusal of an output another sgbench process holds the lock of."""
    return InputError(
        f"{shown_name(str(target))}: in use by another sgbench process; wait for it to finish "
        f"or choose another {what}"
    )


def missing_folder(target: PathArg, what: str = "output file") -> InputError:
    """The refusal of an output whose folder does not exist: sgbench creates no folder but the
    output folder itself (a typo in a parent, ``--json reslts/x.json``, made a new folder, and a
    failed command left it behind), the same for every output, file or folder."""
    folder = Path(target).parent
    return InputError(
        f"{shown_name(str(target))}: its folder {shown_name(str(folder))} does not exist; create "
        f"it or choose another {what}"
    )


def open_locked(sidecar: Path, target: PathArg, what: str = "output file") -> int:
    """A descriptor of ``sidecar`` holding its exclusive lock, taken at once or refused (never a
    wait): the one way sgbench takes the lock of an output, a file (:mod:`sgbench.locks`) or a
    folder (:func:`sgbench.files.replace_folder`); ``what`` names it in the refusals.

    Raises:
        InputError: another process holds it, or the sidecar cannot be created.
    """
    for _ in range(_ATTEMPTS):
        try:
            fd = os.open(sidecar, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644)
        except FileNotFoundError as exc:
            if not os.path.isdir(sidecar.parent):
                raise missing_folder(target, what) from None
            raise InputError(
                f"{shown_name(str(target))}: cannot create its lock file ({write_reason(exc)}); "
                f"choose another {what}"
            ) from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:  # O_NOFOLLOW met a symlink at the sidecar's name
                raise InputError(
                    f"{shown_name(str(target))}: its lock file {shown_name(sidecar.name)} is a "
                    f"symlink, not one sgbench made; move it away or choose another {what}"
                ) from None
            raise InputError(
                f"{shown_name(str(target))}: cannot create its lock file ({exc.strerror})"
            ) from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise InputError(
                f"{shown_name(str(target))}: its lock file {shown_name(sidecar.name)} is not a "
                f"regular file, not one sgbench made; move it away or choose another {what}"
            )
        if not lock_now(fd):
            os.close(fd)
            raise in_use(target, what)
        if os.fstat(fd).st_size:
            os.close(fd)
            raise InputError(
                f"{shown_name(str(target))}: {shown_name(sidecar.name)}, the name of its lock "
                "file, holds data (not an sgbench lock file, which is always empty); move that "
                f"file away or choose another {what}"
            )
        # The holder before us may have removed the sidecar after we opened it: then our lock
        # is on an orphaned file that a third process would not see. Try again on the new one.
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(sidecar))
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)
    # Each attempt met a lock another process took and gave up meanwhile (writers in a loop,
    # whose releases a reader's probe pause lets us see): the output is in use, as a held lock.
    raise in_use(target, what)


def remove_if_ours(sidecar: Path, fd: int) -> None:
    """Remove ``sidecar`` while it is still the empty file locked through ``fd`` (another
    program may have written into it or put a file of its own there since)."""
    try:
        mine, there = os.fstat(fd), os.stat(sidecar)
    except OSError:
        return
    if os.path.samestat(mine, there) and not there.st_size:
        sidecar.unlink(missing_ok=True)
