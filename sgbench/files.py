"""Writing one output file all or nothing, and hashing a file.

Every file sgbench writes on its own (a score or judge report, a chart, parsed predictions, a
tidied responses file) goes through :func:`write_atomic`: the content goes to a hidden temporary
file next to the target, which then replaces the target in one rename, so an error never leaves
a half-written file, and only when the target is empty or an earlier output of the same kind
(:func:`check_replaceable`), so a file of someone else's is never lost. Outputs of several
files go through :func:`replace_folder`, which stages a whole folder and replaces only sgbench's
own earlier output (the builder's :mod:`sgbench.builder.writer`, the leaderboard, the lm-eval
export, the statistics).

(Named ``files`` rather than ``io`` so that it can never shadow the standard library's ``io``.)
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import fnmatch
import functools
import hashlib
import inspect
import json
import os
import re
import shutil
import stat
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import mkdtemp, mkstemp
from types import MappingProxyType
from typing import Any, Final, ParamSpec, TypeAlias, TypeVar, cast

from sgbench.boundary import ArgumentName, PathArg
from sgbench.errors import InputError, has_control, shown_name, write_reason
from sgbench.jsonl import BOM, MAX_FILE_BYTES, loads_strict, read_bounded
from sgbench.jsonl import input_problem as input_problem  # its home is jsonl, below files

# Hidden siblings and lock sidecars are named below jsonl, whose input check asks whether another
# process is writing a file (sgbench.sidecars); they are files' names too.
from sgbench.sidecars import _RANDOM_ROOM as _RANDOM_ROOM
from sgbench.sidecars import HELD_LOCKS as HELD_LOCKS
from sgbench.sidecars import NAME_MAX as NAME_MAX
from sgbench.sidecars import (
    being_written,
    held_lock_file,
    in_use,
    lock_now,
    missing_folder,
    open_locked,
    remove_if_ours,
)
from sgbench.sidecars import hidden_name as hidden_name
from sgbench.sidecars import lock_path as lock_path


def check_not_a_lock(path: PathArg) -> None:
    """Refuse an output that is itself the lock file (:func:`lock_path`) another sgbench
    process holds: written into, it would be removed, with what was written, when that process
    ends. A probe with a shared lock meets only the exclusive lock of a holder, so two commands
    probing one file at once never refuse each other.

    Raises:
        InputError: ``PATH: the lock file of another sgbench process's output; ...``.
    """
    if held_lock_file(path):
        raise InputError(
            f"{shown_name(str(path))}: the lock file of an output another sgbench process is "
            "writing; choose another output file"
        )


@contextlib.contextmanager
def not_locked_elsewhere(path: PathArg) -> Iterator[None]:
    """Hold ``path``'s lock (:func:`lock_path`) for the block when a sidecar exists and this
    process does not hold it already. A file another sgbench process is writing (a ``run``
    appending to its ``--out``) must not be replaced by another command's output: its lines so
    far would be lost and the run stopped.

    Raises:
        InputError: ``PATH: in use by another sgbench process; ...``.
    """
    check_not_a_lock(path)
    sidecar = lock_path(path)
    if sidecar in HELD_LOCKS:
        yield
        return
    try:
        fd = os.open(sidecar, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO planted there: no wait
    except OSError:  # no sidecar: no sgbench process writes the file
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(
                f"{shown_name(str(path))}: in use by another sgbench process; wait for it to "
                "finish or choose another output file"
            ) from None
        yield
    finally:
        os.close(fd)


HEAD_BYTES: Final = 1 << 20
"""How much of an existing output file :func:`check_replaceable` reads to tell what it is: a
bounded prefix, so that telling costs the same for a 10 GB file as for a small one."""


@dataclass(frozen=True)
class OutputKind:
    """One kind of output file sgbench writes (a score report, a chart, predictions), and how
    an earlier one is told from a file of someone else's by its first bytes alone: the one rule
    of which existing files an output replaces (:func:`check_replaceable`, which
    :func:`write_atomic` applies to every file it replaces)."""

    name: str
    """What the refusal says the file is not: ``PATH: exists and is not NAME``."""
    ours: Callable[[bytes], bool]
    """Whether a file's first :data:`HEAD_BYTES` bytes (all of a shorter file, a UTF-8 byte
    order mark removed) are this kind's; pure and deterministic."""


def json_lines_kind(name: str, line_ok: Callable[[Any], bool]) -> OutputKind:
    """The kind of a JSON Lines output: its first non-blank line, complete within
    :data:`HEAD_BYTES` and parsed as strict JSON, satisfies ``line_ok``."""

    def ours(head: bytes) -> bool:
        lines = head.splitlines(keepends=True)
        first = next((line for line in lines if line.strip()), b"")
        if not first.endswith(b"\n") and len(head) >= HEAD_BYTES - len(BOM):
            return False  # a first line longer than the bound: not one sgbench writes
        try:
            return bool(line_ok(loads_strict(first)))
        except ValueError:
            return False

    return OutputKind(name, ours)


JSON_STRING: Final = rb'"(?:[^"\\\x00-\x1f]|\\.)*"'
"""A JSON string, as a regular expression over bytes (for the openings of :func:`opening_kind`)."""
JSON_FLAT_OBJECT: Final = rb"\{(?:[^{}\[\]\"]|" + JSON_STRING + rb")*\}"
"""A JSON object holding no object or array (strings may hold any character)."""


def opening_kind(name: str, opening: bytes) -> OutputKind:
    """The kind of a whole-document output (a JSON report) told by how it opens: its head
    matches the regular expression ``opening`` at its start (whitespace between JSON tokens is
    the writer's own; a report's first keys are fixed by its ``to_dict``)."""
    pattern = re.compile(rb"\A\s*" + opening)
    return OutputKind(name, lambda head: pattern.match(head) is not None)


JSON_SHALLOW_VALUE: Final = (
    rb"(?:"
    + JSON_STRING
    + rb"|\{(?:[^{}\[\]\"]|"
    + JSON_STRING
    + rb"|"
    + JSON_FLAT_OBJECT
    + rb")*\})"
)
"""A JSON string, or an object whose values nest at most one flat object (a report's
``dataset``, with its ``files``)."""


def report_kind(name: str, *keys: str) -> OutputKind:
    """The kind of a JSON report of one sgbench command: an object whose first key is
    ``sgbench_version`` (a string) and whose next keys are ``keys``, in order, which tell the
    commands' JSON files apart (``judgments_sha256`` for ``judge-report``; ``dataset``, ``split``
    and ``predictions_sha256`` for ``score``, since a stats folder's ``stats.json`` and a
    ``leaderboard.json`` open with ``sgbench_version`` and ``dataset`` too). Every key but the
    last has a string or a shallow object as its value (:data:`JSON_SHALLOW_VALUE`)."""
    opening = rb'\{\s*"sgbench_version"\s*:\s*' + JSON_STRING
    for number, key in enumerate(keys, start=1):
        opening += rb'\s*,\s*"' + re.escape(key.encode()) + rb'"\s*:'
        if number < len(keys):
            opening += rb"\s*" + JSON_SHALLOW_VALUE
    return opening_kind(name, opening)


def check_replaceable(path: PathArg, kind: OutputKind, option: Name | None = None) -> None:
    """Refuse to replace ``path`` with an output of ``kind`` unless it is one already: the one
    rule for every output file written whole (a report, a chart, predictions, an import), so
    that a file of someone else's named by mistake (a responses file of ``sgbench run``, hours
    of requests; a photo; notes) is kept byte for byte.

    An existing file is replaced only when it is empty (or holds only white space: a ``touch``
    made it, and it holds nothing to lose) or when its first :data:`HEAD_BYTES` bytes are
    ``kind``'s (:attr:`OutputKind.ours`); a file that cannot be read cannot show that, and is
    refused too (the rename would replace it all the same). A missing file, or anything that is
    not a regular file (left to :func:`check_output_file`), is not judged here.

    Raises:
        InputError: ``[OPTION ]PATH: exists and is not KIND, so it is not replaced; ...``, or
            ``... exists and cannot be read (REASON) to tell whether it is KIND; ...``.
    """
    where = Path(path)
    named = f"{option} " if option else ""
    try:
        regular = where.is_file()  # a FIFO would block the open
    except OSError as exc:
        # A path the system refuses (a name too long: is_file raises, where it says False of a
        # missing file) holds no file to judge, so never "exists and cannot be read".
        raise InputError(f"{named}{shown_name(str(path))}: {exc.strerror or exc}") from None
    if not regular:
        return
    try:
        with where.open("rb") as handle:
            head = handle.read(HEAD_BYTES + 1)
    except FileNotFoundError:  # removed meanwhile: nothing there to lose
        return
    except OSError as exc:
        raise InputError(
            f"{named}{shown_name(str(path))}: exists and cannot be read ({exc.strerror or exc}) "
            f"to tell whether it is {kind.name}, so it is not replaced; choose another file"
        ) from None
    complete = len(head) <= HEAD_BYTES
    head = head[:HEAD_BYTES].removeprefix(BOM)
    if (complete and not head.strip()) or kind.ours(head):
        return
    raise InputError(
        f"{named}{shown_name(str(path))}: exists and is not {kind.name}, so it is not replaced; "
        "choose another file or delete it"
    )


FileOutputs: TypeAlias = Iterable[tuple["Name", "PathArg | None", OutputKind]]
"""``(option, path, kind)`` triples: a command's file outputs (None when not given)."""


def check_outputs_replaceable(outputs: FileOutputs) -> None:
    """:func:`check_replaceable` for each of a command's file outputs, before any work (and
    :func:`write_atomic` again when replacing, since another program may have written the file
    meanwhile); None is skipped. ``-`` is refused as every writer refuses it
    (:func:`check_file_name`): the command line, which writes ``--json -`` to standard output,
    leaves it out; ``import_paper_outputs(..., report="-")`` wrote its responses, then refused.

    Raises:
        InputError: ``OPTION PATH: exists and is not KIND, ...``, ``... is a folder``, or what
            :func:`check_file_name`, :func:`check_output_file` and :func:`check_parent` refuse,
            for the first refused.
    """
    for option, path, kind in outputs:
        if path is not None:
            # What write_atomic would refuse at the end, refused before the work (the first of
            # two outputs was written, then the second refused).
            check_output_name(path, option)
            check_replaceable(path, kind, option)


def check_output_name(path: PathArg, option: Name | None = None) -> Path:
    """Refuse a path no output file can be written at, judged on its name and what is there
    now, never on what it holds: the one rule, in one order, that every writer applies first
    (:func:`write_atomic`, :func:`check_outputs_replaceable`, the appended outputs of ``run``
    and ``judge`` in :func:`sgbench.locks.exclusive`, the command line's ``OutputFile``). The
    name comes first (:func:`check_file_name`: a newline in it made a message of two lines, or
    a file created under it), then what it is (:func:`check_output_file`; a folder, whose link
    count the lock's hard-link rule read as "2 names"), then its folder (:func:`check_parent`).

    Returns:
        The file written: ``path``, or for a symlink the file it points at.

    Raises:
        InputError: as :func:`check_file_name`, :func:`check_output_file` and
            :func:`check_parent`, or ``[OPTION ]PATH: is a folder; give a file name``.
    """
    check_file_name(path)
    target = check_output_file(Path(path))
    if target.is_dir():
        named = f"{option} " if option else ""
        raise InputError(f"{named}{shown_name(str(path))}: is a folder; give a file name")
    check_parent(target, option=option)
    return target


def check_name_text(text: str) -> None:
    """Refuse an output path holding a control character (a newline would break every line
    that names the file: messages, manifests, tables) or that is not UTF-8 text (no report or
    manifest can name it). The command line refuses such arguments before any command runs; a
    Python caller's output names come through here (every file and folder output).

    Raises:
        InputError: ``PATH: an output name holding a control character ...`` or ``... that is
            not UTF-8 text ...``.
    """
    if has_control(text):
        raise InputError(
            f"{shown_name(text)}: an output name holding a control character (a newline, tab or "
            "escape) would break every line that names it; choose another name"
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(
            f"{shown_name(text)}: an output name that is not UTF-8 text cannot be written into "
            "a report or a manifest; choose another name"
        ) from None


def check_file_name(path: PathArg) -> None:
    """Refuse an output file named as a folder: a path that is empty (``.`` once read), or
    ends in a separator, ``.`` or ``..`` (``--json out/``). ``pathlib`` and click drop a final
    ``/``, so ``out/`` would otherwise become a file named ``out``; the one rule for every
    output file, checked on the path as typed.

    ``-`` is refused too, as :func:`check_folder_name` refuses it for a folder: the command
    line reads it as standard output (``--json -``) and never hands it to a writer, so a
    Python caller's ``write_report(report, "-")`` wrote a file named ``-`` in the working
    folder where ``write_stats`` and ``build_dataset`` refused. No writer takes ``-`` for
    standard output; ``./-`` names such a file.

    Raises:
        InputError: ``PATH: ends in '/', so it names a folder; give a file name``, ``-``, an
            empty path, or a name holding a control character or that is not UTF-8 text.
    """
    text = os.fspath(path)
    if not text:
        raise InputError("an empty output path; give a file name")
    if text == "-":
        raise InputError(
            "-: a file output cannot be standard output from Python ('-' means it only to the "
            "command line); give a file name (./- if you mean one named '-')"
        )
    check_name_text(text)
    separators = tuple(sep for sep in (os.sep, os.altsep) if sep)
    last = re.split("|".join(map(re.escape, separators)), text)[-1]
    if text.endswith(separators) or last in (".", ".."):
        end = "/" if text.endswith(separators) else last
        raise InputError(f"{path}: ends in {end!r}, so it names a folder; give a file name")


def write_atomic(
    path: PathArg,
    content: str | bytes | Callable[[Path], object],
    *,
    kind: OutputKind | None,
    what: str | None = None,
) -> None:
    """Write ``content`` (text as UTF-8, bytes, or a function that writes the file at the path
    it is given, for libraries that write only to a path) to ``path`` through a temporary
    file ``.<name>.<pid>.<thread>.tmp`` in the same folder and a rename (through a symlink, to
    the file it points at: see :func:`check_output_file`), into a folder that exists
    (:func:`check_parent`). A file replaced keeps its permissions.

    Every writer names the ``kind`` of its output (required, so that no output can skip the
    rule): an existing file is replaced only when it is empty or a ``kind`` output already
    (:func:`check_replaceable`, judged under the file's lock just before the rename, since
    another program may have written it meanwhile; its folder is judged again there too, by
    :func:`check_parent`, since it may have become a dataset folder meanwhile). With ``kind``
    None (an output nothing can tell from a file of the user's, such as the WVS-format files of
    ``synth``) an existing ``path`` (of any kind, also one created while the content was
    written) is never replaced: the temporary file is hard-linked into place, which fails rather
    than replaces.

    Raises:
        InputError: what :func:`check_output_name` refuses (a name holding a control
            character, a folder, ``PATH: its folder FOLDER does not exist; ...``);
            ``PATH: cannot write (REASON)`` (``cannot write the WHAT`` when ``what`` is
            given), for an unwritable folder or a full disk; ``PATH: exists and is not KIND
            ...``, or with ``kind`` None ``PATH: already exists; ...``; the temporary file is
            removed and ``path`` is left as it was.
    """
    target = check_output_name(path)
    if kind is None:
        refuse_existing(Path(path))
    with not_locked_elsewhere(path):
        _write_through(target, path, content, kind=kind, what=what)


def _write_through(
    target: Path,
    path: PathArg,
    content: str | bytes | Callable[[Path], object],
    *,
    kind: OutputKind | None,
    what: str | None,
) -> None:
    """:func:`write_atomic`'s temporary file and rename, once ``target`` is checked."""
    # One temporary file per writer: threads of one process share its pid, and with a name of
    # the pid alone one thread renamed into place a file another was still writing.
    writer = f"{os.getpid()}.{threading.get_ident()}"
    temporary = target.with_name(hidden_name(target, f"{writer}.tmp"))
    try:
        if isinstance(content, str):
            temporary.write_text(content, encoding="utf-8")
        elif isinstance(content, bytes):
            temporary.write_bytes(content)
        else:
            content(temporary)
        # The folder is judged again with the target, under the lock, just before the rename:
        # it may have become a dataset folder (a build swapped in, a manifest.json written)
        # while the content was written, and the file was then renamed into the dataset.
        check_parent(target)
        if kind is None:
            _link_new(temporary, target, Path(path))
        else:
            check_replaceable(path, kind)
            _keep_mode(target, temporary)
            os.replace(temporary, target)
    except OSError as exc:
        _remove(temporary)
        thing = f" the {what}" if what else ""
        raise InputError(f"{path}: cannot write{thing} ({write_reason(exc)})") from None
    except BaseException:  # Ctrl-C, or a writer's own error: nothing half-written either
        _remove(temporary)
        raise


def refuse_existing(path: Path) -> None:
    """Refuse an output that would replace an existing file, for a command whose output looks
    like a file of yours (``synth`` writes WVS-format files, the very kind of file you
    download and may not be able to fetch again) and that nothing can tell from it.

    Raises:
        InputError: ``PATH: already exists; ...`` (also for a symlink, even to nothing).
    """
    if os.path.lexists(path):
        raise InputError(
            f"{path}: already exists; this command never replaces a file (it may be data "
            "you cannot get back): delete it first or choose another path"
        )


def _link_new(temporary: Path, target: Path, path: Path) -> None:
    """Give ``temporary`` the name ``target`` unless that name exists by now (another process
    wrote it since :func:`refuse_existing` looked): a link fails where a rename replaces."""
    try:
        os.link(temporary, target)
    except FileExistsError:
        _remove(temporary)
        refuse_existing(path)
        raise
    _remove(temporary)


def _keep_mode(target: Path, new: Path) -> None:
    """Give ``new`` the permissions of the existing ``target`` it replaces: a file or folder
    the user made private (0600, 0700) became readable by all (those of a new one, 0644 under
    the usual umask) once a command replaced it. Only the read, write and execute bits: a
    setuid bit on a file another user left there would pass to one the command owns."""
    try:
        mode = target.stat().st_mode & 0o777
    except OSError:  # no earlier output: a new one gets those of its kind, less the umask
        return
    os.chmod(new, mode)


def _remove(temporary: Path) -> None:
    """Remove a temporary file if it is there; its folder may be missing or a file, which is
    why the write failed."""
    with contextlib.suppress(OSError):
        temporary.unlink(missing_ok=True)


def check_output_file(path: Path) -> Path:
    """Where an output file ``path`` is written: ``path`` itself, or for a symlink the file it
    points at; the one rule for every file a command writes.

    The final rename would replace a device (``--json /dev/full``, run as root), a FIFO or a
    socket with a regular file: the rename is atomic, but what it removes is not an output. A
    symlink is written through, so the link stays and the file it names is the output (the one
    :func:`check_outputs_apart` compares with the inputs); a symlink to nothing (or to a missing
    folder) is refused rather than replaced by a regular file, since where it was meant to lead
    cannot be known.

    Raises:
        InputError: ``PATH: not a regular file; choose another path``, ``PATH: a symlink to
            nothing (TARGET); ...`` or a symlink loop.
    """
    try:
        mode = path.lstat().st_mode
    except OSError:
        return path
    if stat.S_ISLNK(mode):
        target = resolve_path(path)
        if not target.exists():
            if _followed_to_a_stream(path):
                raise InputError(
                    f"{path}: not a regular file (a pipe or a socket: standard output?); "
                    f"write - where the help allows it, or choose another path"
                )
            raise InputError(
                f"{path}: a symlink to nothing ({target}); create its target or choose another path"
            )
        check_output_file(target)
        return target
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise InputError(f"{path}: not a regular file; choose another path")
    return path


def _followed_to_a_stream(path: Path) -> bool:
    """Whether the system follows the symlink ``path`` to a pipe or a socket that no path names:
    ``/dev/stdout`` on a pipe leads to ``/proc/self/fd/1`` and then ``pipe:[N]``, which resolves
    to nothing, and was refused as a symlink to nothing with "create its target"."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB blocks (memory stays flat on large files).

    Raises:
        OSError: the file cannot be read.
    """
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


OUTPUT_MARKER: Final = ".sgbench-output.json"
"""The file :func:`replace_folder` leaves in every output folder: which command wrote it and the
sha256 of every file it wrote, the proof that lets a later run replace the folder."""
MAX_MARKER_BYTES: Final = 1 << 20
"""Largest :data:`OUTPUT_MARKER` read (1 MiB; a build's lists a few dozen files in under 10 KB):
a larger one is not sgbench's and is not read."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _listing(folder: Path, prefix: str) -> list[tuple[str, os.DirEntry[str], bool]]:
    """``folder``'s entries as ``(relative, entry, descend)``, ``descend`` for a real folder (a
    symlink is never followed), sorted by ``NAME/`` for such a folder and ``NAME`` otherwise:
    that key puts every path under a folder exactly where :func:`sorted` would put it among its
    siblings (``a-b`` before ``a/c``), so :func:`_tree_entries` yields in sorted order without
    listing everything first.

    Raises:
        OSError: the folder cannot be listed.
    """
    found: list[tuple[str, os.DirEntry[str], bool]] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            try:
                descend = entry.is_dir(follow_symlinks=False)
            except OSError:  # cannot be told a folder: an entry that is not ours, as a device
                descend = False
            found.append((prefix + entry.name, entry, descend))
    found.sort(key=lambda item: item[0] + "/" if item[2] else item[0])
    return found


def _tree_entries(root: Path) -> Iterator[tuple[str, Path | None]]:
    """Every entry under ``root`` by relative POSIX path, in sorted order and lazily: ``(path,
    Path)`` for a regular file, ``(path, None)`` for any other entry (a symlink, a device, an
    empty or unreadable folder as ``NAME/``). Symlinks are never followed. Lazily, so that a
    caller who has seen enough stops the walk: ``build --out $HOME`` listed all of ``$HOME``
    (35 s) to name three files in its refusal.

    Raises:
        OSError: ``root`` itself cannot be listed.
    """
    stack = [iter(_listing(root, ""))]
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
            continue
        relative, entry, descend = item
        if descend:
            try:
                inside = _listing(Path(entry.path), relative + "/")
            except OSError:  # unreadable: what it holds cannot be proven ours
                inside = []
            if inside:
                stack.append(iter(inside))
            else:
                yield relative + "/", None
            continue
        try:
            regular = entry.is_file(follow_symlinks=False)
        except OSError:
            regular = False
        yield relative, Path(entry.path) if regular else None


def _tree(root: Path) -> tuple[dict[str, Path], list[str]]:
    """Regular files under ``root`` by relative POSIX path, and every other entry (a symlink, a
    device, an empty folder) as foreign (:func:`_tree_entries`, all of it)."""
    files: dict[str, Path] = {}
    foreign: list[str] = []
    for relative, path in _tree_entries(root):
        if path is None:
            foreign.append(relative)
        else:
            files[relative] = path
    return files, foreign


def _marker_text(kind: str, files: dict[str, Path]) -> str:
    listed = {relative: sha256_file(files[relative]) for relative in sorted(files)}
    sizes = {relative: files[relative].stat().st_size for relative in sorted(files)}
    marker = {"written_by": f"sgbench {kind}", "files": listed, "sizes": sizes}
    return json.dumps(marker, indent=2) + "\n"


def _changed(path: Path, sha256: object, size: object) -> bool:
    """Whether a file differs from what its marker records: by its size first, known without
    reading (a listed file grown into a 20 GB sparse file was hashed for 69 s before being
    refused), then by its sha256. A marker from before sizes were recorded has none."""
    if isinstance(size, int) and path.stat().st_size != size:
        return True
    return sha256_file(path) != sha256


def _is_cache(relative: str, disposable: Mapping[str, str]) -> bool:
    """Whether ``relative`` is a file another tool caches in an output folder: a regular file
    directly inside one of ``disposable``'s top-level folders, its name matching that folder's
    pattern (``{"__pycache__": "utils.*.pyc"}``: what importing ``utils.py`` writes). Anything
    else there, a file of yours or a subfolder, is foreign: a cache folder holding notes was
    deleted with it."""
    folder, _, name = relative.partition("/")
    pattern = disposable.get(folder)
    return pattern is not None and "/" not in name and fnmatch.fnmatchcase(name, pattern)


def foreign_entries(
    folder: PathArg, own: Iterable[str], disposable: Mapping[str, str] = MappingProxyType({})
) -> list[str]:
    """Every entry under ``folder`` that is not one of its ``own`` files (relative POSIX paths)
    nor its :data:`OUTPUT_MARKER`, sorted: a file nothing lists, a symlink or a device (even at
    an own file's name: never followed), an empty subfolder (``NAME/``). Files of the
    ``disposable`` caches are not foreign (see :func:`_is_cache`). The one rule of what is an
    output folder's own (:func:`_own_and_foreign`): :func:`replace_folder` refuses to replace a
    folder holding a foreign entry, and ``sgbench validate`` names them (a dataset folder that
    passed there was then refused by ``build --out``).

    Raises:
        OSError: the folder cannot be listed.
    """
    return [name for name, path in _own_and_foreign(Path(folder), own, disposable) if not path]


def _own_and_foreign(
    folder: Path, own: Iterable[str], disposable: Mapping[str, str]
) -> Iterator[tuple[str, Path | None]]:
    """Every entry under ``folder`` in sorted order, lazily (:func:`_tree_entries`): ``(name,
    Path)`` for a regular file that is ``own`` (by relative POSIX path) or the marker, ``(name,
    None)`` for a foreign one (:func:`foreign_entries`); cache files are left out. The one
    place that tells own from foreign; a caller that has seen enough foreign entries stops.

    Raises:
        OSError: the folder cannot be listed.
    """
    caches = {f"{cache}/" for cache in disposable}
    listed = {*own, OUTPUT_MARKER}
    for name, path in _tree_entries(folder):
        if path is None:
            if name not in caches:  # an empty cache folder is the tool's, not foreign
                yield name, None
        elif name in listed:
            yield name, path
        elif not _is_cache(name, disposable):
            yield name, None


SHOWN_FOREIGN: Final = 3
"""How many foreign entries a refusal to replace a folder names (in sorted order): the walk
stops at the next one, which only says there are more (``...``)."""


def _check_replaceable(
    target: Path,
    kind: str,
    disposable: Mapping[str, str],
    name: Name,
    named: Path | None = None,
) -> None:
    """Raise unless ``target`` is absent, an empty folder, or exactly the ``kind`` output a
    :func:`replace_folder` call left there (marker present, every file listed with its hash,
    nothing foreign: :func:`foreign_entries`). Messages name ``named`` (the folder as the user
    gave it) when ``target`` is where it was moved aside, and tell to choose another ``name``
    (the argument it was given as)."""
    folder = target
    target = named if named is not None else target
    if folder.is_symlink():  # even to a folder: what it points at is not the output's own
        raise InputError(f"{target}: is a symlink; choose another {name} (a real folder)")
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{target}: exists and is not a folder; choose another {name}")
    if not folder.exists() or not any(folder.iterdir()):
        return
    refuse = (
        f"{target}: refusing to replace a folder that is not an earlier output of `sgbench {kind}`"
    )
    marker_path: Path | None = folder / OUTPUT_MARKER
    if not (folder / OUTPUT_MARKER).is_file() or (folder / OUTPUT_MARKER).is_symlink():
        marker_path = None  # a symlinked marker is foreign, as every symlink
    listed: object = {}
    sizes: object = {}
    if marker_path is not None:
        try:
            # Bounded as every document read whole: a 500 MB marker (spaces after the JSON)
            # was read and parsed whole, taking 1.1 GB.
            marker = loads_strict(read_bounded(marker_path, MAX_MARKER_BYTES))
        except (OSError, ValueError):
            marker = None
        if not isinstance(marker, dict) or marker.get("written_by") != f"sgbench {kind}":
            raise InputError(
                f"{refuse} ({OUTPUT_MARKER} is not from `sgbench {kind}`); choose another {name}"
            )
        listed = marker.get("files")
        sizes = marker.get("sizes")
    if not isinstance(sizes, dict):
        sizes = {}
    if not isinstance(listed, dict):
        raise InputError(f"{refuse} ({OUTPUT_MARKER} is damaged); choose another {name}")
    files: dict[str, Path] = {}
    foreign: list[str] = []
    for relative, path in _own_and_foreign(folder, listed, disposable):
        if path is not None:
            files[relative] = path
            continue
        foreign.append(relative)
        if len(foreign) > SHOWN_FOREIGN:  # enough to refuse: $HOME is not listed whole
            break
    if foreign:
        shown = ", ".join(map(shown_name, foreign[:SHOWN_FOREIGN])) + (
            " ..." if len(foreign) > SHOWN_FOREIGN else ""
        )
        if marker_path is None:
            # Outputs written before the marker existed look exactly like this: nothing can
            # tell them from a folder of the user's, so only the user may delete them.
            raise InputError(
                f"{refuse} (it holds other files: {shown}); it has no {OUTPUT_MARKER}, the "
                "mark sgbench leaves in its outputs: if it is an output of an older sgbench, "
                f"written before that mark existed, delete {target} yourself once; otherwise "
                f"choose another {name}"
            )
        raise InputError(f"{refuse} (it holds other files: {shown}); choose another {name}")
    changed = sorted(
        name
        for name in listed
        if name not in files or _changed(files[name], listed[name], sizes.get(name))
    )
    if changed:
        raise InputError(
            f"{refuse} ({shown_name(changed[0])} was changed or removed since); choose another "
            f"{name}"
        )


def check_parent(target: PathArg, what: str = "output file", option: Name | None = None) -> None:
    """Refuse an output (a file or a folder) whose folder does not exist, lies under a file, or
    lies inside a dataset or output folder sgbench built (:func:`_inside_a_built_folder`): the
    one rule for every output, from the command line (before any work, ``OPTION`` first in
    the line) and from Python. sgbench creates no folder but an output folder itself: ``synth``
    and the folder writers created missing parents while the other outputs were refused, so a
    typo in a parent made a folder, left behind by a failed command.

    Raises:
        InputError: ``[OPTION ]PATH: its folder FOLDER does not exist; ...``
            (:func:`~sgbench.sidecars.missing_folder`) or ``PATH: cannot be created, ANCESTOR
            is not a folder`` (or ``is a symlink to a missing target (TARGET)``), or ``PATH:
            lies inside the dataset folder FOLDER; ...``.
    """
    path = Path(target)
    for ancestor in path.parents:
        try:
            ancestor.lstat()
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError:  # a folder that cannot be searched: the write says why
            return
        problem: InputError | None = None
        if not os.path.isdir(ancestor):
            # A symlink to nothing was called "not a folder", naming neither link nor target.
            what_it_is = "is not a folder"
            if ancestor.is_symlink() and not ancestor.exists():
                what_it_is = f"is a symlink to a missing target ({os.readlink(ancestor)})"
            problem = InputError(f"{path}: cannot be created, {ancestor} {what_it_is}")
        elif ancestor != path.parent:
            problem = missing_folder(path, what)
        else:
            problem = _inside_a_built_folder(path)
        if problem is not None:
            raise InputError(f"{option} {problem}") if option else problem
        return


def _built_folder(folder: Path) -> str | None:
    """What ``folder`` is when sgbench built it, else None: ``the dataset folder`` when it holds
    a dataset's ``manifest.json`` (a JSON object with ``configs`` and ``attributes``, as every
    build writes: a browser extension's or a web app's ``manifest.json`` is not one), ``an
    output folder of `sgbench KIND``` when it holds :data:`OUTPUT_MARKER` (a build, a
    leaderboard, statistics, an lm-eval task). A dataset fetched from the Hub has no marker, so
    its manifest is what tells it."""
    # The name of sgbench.dataset.MANIFEST_FILE, a layer above this one.
    for name, limit in (("manifest.json", MAX_FILE_BYTES), (OUTPUT_MARKER, MAX_MARKER_BYTES)):
        try:
            recorded = loads_strict(read_bounded(folder / name, limit))
        except (OSError, ValueError):
            continue
        if not isinstance(recorded, dict):
            continue
        if name == OUTPUT_MARKER and str(recorded.get("written_by", "")).startswith("sgbench "):
            return f"an output folder of `{shown_name(str(recorded['written_by']))}`"
        if name != OUTPUT_MARKER and {"configs", "attributes"} <= recorded.keys():
            return "the dataset folder"
    return None


def _inside_a_built_folder(path: Path) -> InputError | None:
    """The refusal of an output (a file or a folder) that lies inside a folder sgbench built
    (:func:`_built_ancestor`): the one rule that no command writes into a dataset or output
    folder it did not build. ``synth --out ds/data/x.csv`` reads nothing, so no input rule kept
    it out of the dataset; a report or a chart written there made ``validate`` refuse the
    folder, and a file left in a leaderboard or statistics folder made it foreign to the next
    run of its own command. The output itself is not looked at: a command replacing its own
    earlier output (``build --out ds``) is judged by :func:`replace_folder`'s marker."""
    found = _built_ancestor(path)
    if found is None:
        return None
    return InputError(
        f"{shown_name(str(path))}: lies inside {found}; sgbench writes nothing into a dataset or "
        "output folder (a command replaces its own earlier output whole); choose another path"
    )


def _built_ancestor(path: Path) -> str | None:
    """``WHAT FOLDER`` (``the dataset folder ds``) for the nearest folder sgbench built
    (:func:`_built_folder`) holding ``path``, looked for from its folder up to the root,
    symlinks resolved (an output linked into a dataset is written there), FOLDER shown relative
    to the working folder when below it; None when there is none. The one test of
    :func:`_inside_a_built_folder` (output paths) and :func:`_check_stream_folder` (standard
    streams redirected to a file)."""
    try:
        folder = resolve_path(path).parent
    except InputError:  # a loop: the write says why
        return None
    for ancestor in (folder, *folder.parents):
        what = _built_folder(ancestor)
        if what is not None:
            return f"{what} {_shown_path(ancestor)}"
    return None


def _shown_path(real: Path) -> str:
    """An absolute path as a message shows it: relative to the working folder when below it
    (as the user typed it there), absolute otherwise."""
    shown = real
    with contextlib.suppress(OSError, ValueError):
        if real != Path.cwd().resolve():
            shown = real.relative_to(Path.cwd().resolve())
    return shown_name(str(shown))


def _check_not_above_cwd(target: Path, name: Name) -> None:
    resolved = resolve_path(target)
    cwd = Path.cwd().resolve()
    if resolved == cwd or resolved in cwd.parents or resolved.parent == resolved:
        raise InputError(
            f"{target}: cannot replace the current folder or one above it; choose another {name}"
        )


def check_output_folder(
    target: PathArg,
    kind: str,
    disposable: Mapping[str, str] = MappingProxyType({}),
    *,
    name: Name,
) -> None:
    """The checks :func:`replace_folder` makes before writing, for a command to run first and
    fail before any long computation; ``name`` as there.

    Raises:
        InputError: ``target`` could not be replaced (see :func:`replace_folder`), another
            sgbench process is writing it (holds its lock, :func:`_one_writer`), or is ``-``,
            which means standard output to the commands writing one file (``--json -``): a
            folder cannot be written there, and ``build --out -`` made a folder named ``-``.
    """
    check_folder_name(target, name=name)
    if being_written(target):  # refused before the work, not once it is done
        raise in_use(target, "output folder")
    _check_folder_held(target, kind, disposable, name)


def check_folder_name(target: PathArg, *, name: Name) -> None:
    """The checks of :func:`check_output_folder` on the name and its parents (not what the
    folder holds): made before anything is created, even a lock file (and by the CLI's
    ``OutputFolder`` as the option is read, so the line names the option); ``name`` as for
    :func:`replace_folder`."""
    if str(target) == "-":
        raise InputError(
            "-: an output folder cannot be standard output ('-' means it for a file output); "
            "give a folder name (its absolute path if you mean one named '-')"
        )
    check_name_text(os.fspath(target))
    _check_not_above_cwd(Path(target), name)
    if Path(target).name == "..":
        # Its parent is a folder inside the target: the staging folder was made there, inside
        # the earlier output, and the swap failed with that folder left in it.
        raise InputError(f"{target}: ends in '..'; name the output folder itself")
    check_parent(target, "output folder")


def _check_folder_held(
    target: PathArg, kind: str, disposable: Mapping[str, str], name: Name
) -> None:
    """The check of :func:`check_output_folder` on what the folder holds."""
    try:
        _check_replaceable(Path(target), kind, disposable, name)
    except OSError as exc:  # an unreadable folder or file: nothing proves it is ours
        raise InputError(f"{target}: cannot check what the folder holds ({exc.strerror})") from None


_TURNS: Final[dict[Path, threading.Lock]] = {}
"""One lock per output folder (by its lock file, :func:`lock_path`) that threads of this process
take in turn: four threads replacing one folder interleaved their renames, and one failed with
``Directory not empty`` and left the earlier output in a hidden ``.NAME.old-*`` folder."""
_TURNS_GUARD: Final = threading.Lock()


@contextlib.contextmanager
def writing_folder(
    target: PathArg,
    kind: str,
    disposable: Mapping[str, str] = MappingProxyType({}),
    *,
    name: Name,
) -> Iterator[None]:
    """Hold the output folder ``target``'s writer lock from before a command's work until its
    folder is in place (the block), after :func:`check_output_folder`'s checks: the one way a
    writer of an output folder starts. A second process is refused at once, before any work:
    the lock taken only at the swap let two ``stats --out stC`` both compute, both print
    ``wrote``, and the later swap refused nothing, losing one output with exit 0. Threads of
    this process take turns; :func:`replace_folder` inside the block, in the same thread, uses
    the lock held (:data:`HELD_LOCKS`) rather than refusing itself. ``kind``, ``disposable``
    and ``name`` as for :func:`replace_folder`.

    Raises:
        InputError: as :func:`check_output_folder`; ``in use by another sgbench process`` when
            another process (or thread, after its turn) writes it.
    """
    shown = Path(target)
    check_folder_name(shown, name=name)
    with _one_writer(shown):
        _check_and_recover_swaps(shown, kind, disposable, name)
        yield


@contextlib.contextmanager
def _one_writer(shown: Path) -> Iterator[None]:
    """Hold the folder ``shown``'s writer lock for the block: threads of this process wait their
    turn; another process holding it is refused at once, as for an output file
    (:func:`~sgbench.sidecars.open_locked` on ``.NAME.lock``, beside the folder): two processes
    exporting into one folder could swap at once, leaving a hidden ``.NAME.old-*`` folder and a
    ``Directory not empty`` error. The first caller's parents must exist. A thread already
    holding it (:func:`writing_folder` around :func:`replace_folder`) keeps it: taken again,
    its own lock refused it."""
    sidecar = lock_path(shown)
    if sidecar in HELD_LOCKS:
        yield
        return
    with _TURNS_GUARD:
        turn = _TURNS.setdefault(sidecar, threading.Lock())
    with turn:
        fd = open_locked(sidecar, shown, "output folder")
        HELD_LOCKS.add(sidecar)
        try:
            yield
        finally:
            HELD_LOCKS.discard(sidecar)
            remove_if_ours(sidecar, fd)
            os.close(fd)


def _swap_in(
    staging: Path,
    target: Path,
    kind: str,
    disposable: Mapping[str, str],
    shown: Path,
    name: Name,
) -> None:
    """Move ``staging`` to ``target``, the earlier output (checked again) moved aside first, and
    its folder judged again (:func:`check_parent`), as :func:`write_atomic` does before its
    rename: it may have become a dataset folder while the output was staged.

    Whatever is raised on the way (a refusal, a full disk, Ctrl-C, or SIGTERM and SIGHUP, which
    the command line turns into Ctrl-C), the swap ends with the earlier output back at its name
    or the new one in place, and no hidden ``.NAME.old-*`` folder (:func:`_settle`): catching
    only errors, an interrupt left the earlier output hidden there, and, landing while it was
    checked again, left nothing at the name. A hard kill between the two renames is mended by
    the folder's next writer (:func:`_check_and_recover_swaps`)."""
    check_parent(target, "output folder")
    _keep_mode(target, staging)  # once written: a read-only one would refuse the files
    if not target.exists():
        staging.replace(target)
        return
    retired = Path(mkdtemp(prefix=hidden_name(target, _RETIRED), dir=target.parent))
    try:
        target.replace(retired / target.name)
        # Checked again once moved aside, where nothing can be added by its name: a file
        # written into the folder while the new output was staged was deleted.
        _check_replaceable(retired / target.name, kind, disposable, name, shown)
        staging.replace(target)
    except BaseException:
        _to_the_end(lambda: _settle(staging, target, retired))
        raise
    _to_the_end(lambda: _settle(staging, target, retired))


_RETIRED: Final = "old-"
"""The tag of the hidden folder (``.NAME.old-XXXXXXXX``, ``mkdtemp``'s eight random characters)
an earlier output is moved into while the new one takes its place (:func:`_swap_in`)."""
_RANDOM_PART: Final = re.compile(r"[a-z0-9_]{8}")
"""What ``mkdtemp`` appends to its prefix (``tempfile``'s names: eight of these characters)."""
_TRIES: Final = 5
"""Times :func:`_to_the_end` starts a clean-up again that an interrupt broke off."""


def _settle(staging: Path, target: Path, retired: Path) -> None:
    """End a swap from wherever it stopped, judged by what is on disk: the new output is in
    place once ``staging`` is gone, and the earlier one, moved into ``retired``, is deleted;
    otherwise the earlier one is put back. Run again, it finishes what it started, so an
    interrupt inside it is no loss (:func:`_to_the_end`). Should the put-back fail, the earlier
    output stays where it was moved (deleting it with the retired folder lost it); the next
    writer puts it back if it is provably an earlier output (:func:`_check_and_recover_swaps`)."""
    aside = retired / target.name
    if os.path.lexists(staging):
        if os.path.lexists(aside):
            aside.replace(target)
        with contextlib.suppress(FileNotFoundError):
            retired.rmdir()
    else:
        shutil.rmtree(retired, ignore_errors=True)


def _to_the_end(step: Callable[[], None]) -> None:
    """Run ``step``, a clean-up that may be run again, to its end: an interrupt
    (``KeyboardInterrupt``, ``SystemExit``) breaking it off is held, ``step`` started again (at
    most :data:`_TRIES` times), and the interrupt raised once it has ended. A second Ctrl-C from
    Python (the command line stops at the first) broke the clean-up of the first."""
    held: BaseException | None = None
    for _ in range(_TRIES):
        try:
            step()
            break
        except (KeyboardInterrupt, SystemExit) as exc:
            held = held or exc
    if held is not None:
        raise held


def _check_and_recover_swaps(
    target: PathArg, kind: str, disposable: Mapping[str, str], name: Name
) -> None:
    """Check what ``target`` holds (:func:`_check_folder_held`), mending first and after what a
    hard kill (SIGKILL, a power loss) left of a swap of it (:func:`_swap_in`): a hidden
    ``.NAME.old-XXXXXXXX`` sibling holding the earlier output. Only those provably this
    writer's own are touched: an empty one, or one holding nothing but ``NAME``, an earlier
    ``kind`` output by the rule every writer replaces by (:func:`_check_replaceable`: its
    marker, every file unchanged, nothing foreign). When ``NAME`` is missing (killed between
    the two renames), the newest is put back first; the others are deleted only once ``NAME``
    is known to be replaced, after its check. Anything else of that name is left as it is.

    A refused write deletes nothing: ``NAME`` made a folder of the user's after the kill was
    refused as foreign, but only after the earlier output, provably its own and then its only
    copy, had been deleted (exit 2, the earlier build gone).

    Called by the folder's one writer while it holds the folder's lock (:func:`writing_folder`,
    :func:`replace_folder`), so no swap of another sgbench process is under way.

    Raises:
        InputError: as :func:`_check_folder_held`; every retired folder is then kept.
    """
    parent = resolve_path(Path(target).parent)
    real = parent / Path(target).name
    _remove_dead_staging(parent, real.name)
    prefix = hidden_name(real, _RETIRED)
    try:
        names = [entry for entry in os.listdir(parent) if entry.startswith(prefix)]
    except OSError:  # the write says why
        names = []
    own: list[Path] = []
    for entry in sorted(names):
        folder = parent / entry
        if _RANDOM_PART.fullmatch(entry[len(prefix) :]) and _retired_own(
            folder, real.name, kind, disposable, name
        ):
            own.append(folder)
    if own and not os.path.lexists(real):
        held = [folder for folder in own if os.path.lexists(folder / real.name)]
        if held:
            # Put back, not deleted: whatever the write comes to, the earlier output has its
            # name again, as the interrupted swap would have left it.
            newest = max(held, key=lambda folder: folder.stat().st_mtime_ns)
            (newest / real.name).replace(real)
    _check_folder_held(target, kind, disposable, name)
    for folder in own:
        shutil.rmtree(folder, ignore_errors=True)


def _retired_own(
    folder: Path, held: str, kind: str, disposable: Mapping[str, str], name: Name
) -> bool:
    """Whether ``folder`` is a retired folder :func:`_swap_in` made for a ``kind`` output named
    ``held``: a real folder, empty or holding only ``held``, an earlier ``kind`` output
    (:func:`_check_replaceable`)."""
    try:
        if folder.is_symlink() or not folder.is_dir():
            return False
        inside = os.listdir(folder)
        if not inside:
            return True
        if inside != [held] or (folder / held).is_symlink() or not (folder / held).is_dir():
            return False
        _check_replaceable(folder / held, kind, disposable, name)
    except (OSError, InputError):
        return False
    return True


def replace_folder(
    target: PathArg,
    kind: str,
    write: Callable[[Path], object],
    *,
    what: str = "output",
    disposable: Mapping[str, str] = MappingProxyType({}),
    name: Name,
) -> Path:
    """Create or replace the folder ``target`` with what ``write`` puts in an empty folder, all
    or nothing: the one way sgbench writes an output folder.

    ``write`` fills a hidden sibling staging folder; :data:`OUTPUT_MARKER` is added, listing
    every file with its sha256; then an existing ``target`` is renamed aside, the staging folder
    renamed in, and the old one deleted. Folders get the usual permissions (0777, files 0666,
    less the umask), not the 0700 of a temporary folder; a replaced ``target`` keeps its own.

    One writer at a time (:func:`_one_writer`): threads of this process take turns, another
    process writing ``target`` is refused at once.

    An existing ``target`` is replaced only when it is empty or exactly the output an earlier
    ``sgbench KIND`` left there (its marker lists every file there, unchanged, and nothing else
    is there, except the caches ``disposable`` names: top-level folder → pattern of the files
    another tool makes in it, such as ``{"__pycache__": "utils.*.pyc"}``), so a folder holding
    anything else is never deleted.

    ``name`` is the argument ``target`` was given as (an :class:`~sgbench.boundary.ArgumentName`:
    ``out_dir`` from Python, ``--out`` on the command line), which a refusal tells to choose
    another of: each writer names its output its own way.

    Raises:
        InputError: one line naming ``target``: it is a file, the current folder (or above), a
            foreign folder, another process is writing it, or it cannot be written (``cannot
            write the WHAT (REASON)``, for a read-only parent, a full disk), its folder does
            not exist or is a file (:func:`check_parent`: no folder is created but ``target``);
            nothing is left behind.
    """
    shown = Path(target)
    # Before anything is made (`--out .`, a parent that is a file).
    check_folder_name(shown, name=name)
    # Renamed through its parent as the system resolves it now: a parent path through the
    # target itself (`ds/../ds`, `link-to-ds/../ds`) stopped resolving once the target was
    # moved aside, and the earlier output was left hidden beside a failed swap.
    parent = resolve_path(shown.parent)
    target = parent / shown.name
    staging: Path | None = None
    held: tuple[Path, int] | None = None
    try:
        # Made before the lock, so that an unwritable parent is "cannot write", as it was.
        staging, held = _new_staging(target)
        with _one_writer(target):
            # What it holds is checked by its one writer: checked during another writer's swap,
            # an output moved aside seemed foreign.
            _check_and_recover_swaps(shown, kind, disposable, name)
            write(staging)
            files, _ = _tree(staging)
            (staging / OUTPUT_MARKER).write_text(_marker_text(kind, files), encoding="utf-8")
            _swap_in(staging, target, kind, disposable, shown, name)
    except OSError as exc:
        raise InputError(f"{shown}: cannot write the {what} ({write_reason(exc)})") from None
    finally:
        try:
            if staging is not None and staging.exists():
                done = staging
                _to_the_end(lambda: shutil.rmtree(done, ignore_errors=True))
        finally:
            if held is not None:
                # Released once the staging folder is gone: a kill before this leaves the
                # pair the next writer removes (:func:`_remove_dead_staging`).
                remove_if_ours(*held)
                os.close(held[1])
    return shown


_STAGING: Final = "partial-"
"""The tag of an output folder's hidden staging sibling (``.NAME.partial-XXXXXXXX``, beside
its lock ``.NAME.partial-XXXXXXXX.lock``): :func:`_new_staging`."""


def _new_staging(target: Path) -> tuple[Path, tuple[Path, int]]:
    """A new empty staging folder beside ``target`` (its usual permissions, not the 0700 of a
    temporary folder) and its lock, held: the lock file is made and locked first, and the folder
    named after it, so that a staging folder is never without its writer's lock while that
    writer lives. After a hard kill both are left, the lock no longer held, which is what
    proves the folder a dead writer's to the next (:func:`_remove_dead_staging`).

    Raises:
        OSError: the folder or lock cannot be made.
    """
    fd, name = mkstemp(
        prefix=hidden_name(target, _STAGING), suffix=_STAGING_LOCK, dir=target.parent
    )
    sidecar = Path(name)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # nobody else knows the name yet
        staging = sidecar.with_name(sidecar.name.removesuffix(_STAGING_LOCK))
        staging.mkdir(mode=0o700)
        os.chmod(staging, 0o777 & ~_umask())
    except BaseException:
        remove_if_ours(sidecar, fd)
        os.close(fd)
        raise
    return staging, (sidecar, fd)


_STAGING_LOCK: Final = ".lock"


def _remove_dead_staging(parent: Path, name: str) -> None:
    """Remove the staging folders of writers of ``parent / name`` that were killed (SIGKILL, a
    power loss) before they could: each is a full hidden copy of the output (1 MB for a build),
    and every killed build left one more, never removed. Only those provably a dead sgbench
    writer's are touched: a real folder named as :func:`_new_staging` names one, beside its
    lock file (an empty regular file of its name) that no process holds, taken here while the
    folder and then the lock are removed. A lookalike without that lock is kept, and so is one
    whose writer lives (a thread of this process waiting its turn, or this very writer: a lock
    taken through another descriptor conflicts within a process too).

    Called by the folder's one writer while it holds the folder's lock
    (:func:`_check_and_recover_swaps`).
    """
    prefix = hidden_name(parent / name, _STAGING)
    try:
        entries = sorted(os.listdir(parent))
    except OSError:  # the write says why
        return
    for entry in entries:
        if not entry.startswith(prefix) or not _RANDOM_PART.fullmatch(entry[len(prefix) :]):
            continue
        folder = parent / entry
        sidecar = parent / (entry + _STAGING_LOCK)
        if folder.is_symlink() or not folder.is_dir():
            continue
        try:
            fd = os.open(sidecar, os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:  # no lock beside it: nothing proves it ours
            continue
        try:
            info = os.fstat(fd)
            if stat.S_ISREG(info.st_mode) and not info.st_size and lock_now(fd):
                shutil.rmtree(folder, ignore_errors=True)
                remove_if_ours(sidecar, fd)
        finally:
            os.close(fd)


def resolve_path(path: PathArg) -> Path:
    """``path`` with symlinks resolved (it need not exist).

    Raises:
        InputError: ``PATH: a symlink loop`` (pathlib raises RuntimeError for one), or a
            relative ``path`` once the working folder was deleted (the CLI refuses that at
            start; a leaderboard whose working folder was deleted while it ran was told of a
            symlink loop).
    """
    try:
        return Path(path).resolve()
    except (RuntimeError, OSError):
        if not Path(path).is_absolute():
            try:
                os.getcwd()
            except OSError as exc:
                raise InputError(
                    f"{path}: the working folder cannot be found ({exc.strerror}): it was "
                    "deleted or moved while sgbench ran"
                ) from None
        raise InputError(f"{path}: a symlink loop (or a path that cannot be resolved)") from None


def same_file(a: PathArg, b: PathArg) -> bool:
    """``a`` and ``b`` name one file: the same path once symlinks are resolved, or the same inode
    (a hard link)."""
    first, second = resolve_path(a), resolve_path(b)
    if first == second:
        return True
    try:
        return first.exists() and second.exists() and first.samefile(second)
    except OSError:
        return False


def _same_or_inside(a: Path, b: Path) -> bool:
    """``a`` is ``b`` (:func:`same_file`) or lies inside it (both already resolved)."""
    return b in a.parents or same_file(a, b)


Name: TypeAlias = "str | ArgumentName"
"""How a message names an input or output: an :class:`~sgbench.boundary.ArgumentName` of a
library function (``path`` from Python, ``--json`` on the command line), or a text shown to every
caller as it is (the command line's own checks, which name its options; a report argument
``NAME=REPORT.json`` as given)."""

Named: TypeAlias = Iterable[tuple[Name, "PathArg | None"]]
"""``(name, path)`` pairs (:data:`Name`): an argument and its value (None when not given)."""


def check_outputs_apart(inputs: Named, outputs: Named) -> None:
    """Refuse a command whose outputs would overwrite what it reads: the one rule for every
    command that takes inputs and writes files or folders.

    ``inputs`` and ``outputs`` pair a :data:`Name` with a path; None and ``-`` (stdout) are
    skipped. An output may not be
    an input (compared after resolving symlinks, and by inode for hard links), lie inside an
    input folder (a dataset folder it reads), or be a folder holding an input (replacing it would
    delete the input); two outputs may not be the same path either. Standard output and standard
    error, when redirected to a file, may not be an input or an output nor lie inside one
    (:func:`_check_streams_apart`), so a command with nothing to write but its standard streams
    calls this with no outputs.

    Raises:
        InputError: ``OUTPUT: NAME would overwrite the input INPUT (NAME2); choose another path``.
        StreamClash: ``standard output is INPUT (NAME), which this command reads; ...``.
    """
    resolved_in = [
        (name, Path(path), resolve_path(path))
        for name, path in inputs
        if path is not None and str(path) != "-"
    ]
    seen: dict[Path, Name] = {}
    named = [(name, given, real, "reads") for name, given, real in resolved_in]
    for out_name, out_path in outputs:
        if out_path is None or str(out_path) == "-":
            continue
        # Refused before any work, not when writing: a name no output can have (file or
        # folder; run's appended --out was checked only once its dataset was read).
        check_name_text(os.fspath(out_path))
        check_output_file(Path(out_path))
        out = resolve_path(out_path)
        for in_name, given, real in resolved_in:
            if _same_or_inside(out, real) or _same_or_inside(real, out):
                raise InputError(
                    f"{out_path}: {out_name} would overwrite the input {given} ({in_name}); "
                    "choose another path"
                )
        if out in seen:
            raise InputError(f"{out_path}: {out_name} is also {seen[out]}; choose another path")
        seen[out] = out_name
        named.append((out_name, Path(out_path), out, "writes"))
    _check_not_a_sidecar(named)
    _check_streams_apart(named)


HUB_PREFIX: Final = "hf://"
"""How a Hugging Face Hub dataset is named where a local path is also accepted
(``--dataset hf://org/name``, ``import paper-outputs hf://org/name``). Only a name with this
prefix reaches the network: a bare ``org/name`` is a local path, so a mistyped folder is one
line at once rather than a download attempt (the network is needed by default only by ``push``).
"""

ReadFrom: TypeAlias = tuple[tuple[Name, str], ...]
"""``(name, absolute path)`` pairs (:data:`Name`, an :class:`~sgbench.boundary.ArgumentName` of
the function that read it): the files and folders a result was read from."""


@dataclass(frozen=True)
class FromFiles:
    """A result computed from files, which remembers them: the base of every such public result
    (a score, judge or statistics report, a leaderboard, parsed or baseline predictions, ...).

    ``read_from`` holds the inputs as :func:`recorded` makes them, set by the function that
    read them (:func:`reads`). A writer given the result (:func:`writes`) refuses an output that
    is one of them, lies inside one or holds one, as the command writing it does
    (:func:`check_outputs_apart`): from Python, ``write_judge_report(judge_report(j), j)`` was
    refused only because ``j`` is not a report, and ``write_report(report, "ds/r.json")`` wrote
    into the dataset folder the report was scored on. Kept out of equality and ``repr``: where
    a result came from is not what it says.
    """

    read_from: ReadFrom = field(default=(), repr=False, compare=False, kw_only=True)
    """The inputs, ``(name, absolute path)`` (:data:`ReadFrom`); never shown in a result."""


Located: TypeAlias = "str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None"
"""What an input argument holds: a path, several (a build's WVS files) or None."""


def recorded(*inputs: tuple[Name, Located]) -> ReadFrom:
    """:attr:`FromFiles.read_from` for ``inputs`` (``(name, path or paths)``), each path
    absolute (a caller changing folder before writing must not move them) and once. None,
    ``-`` (a standard stream) and a Hub id (``hf://org/name``, whose files are the Hub's cache,
    not the caller's) are skipped; any other text is a local path, as every reader takes it
    (skipping every text holding ``://`` left a local dataset ``a://ds`` unrecorded, and
    ``write_report`` wrote into it)."""
    found: dict[tuple[Name, str], None] = {}
    for name, value in inputs:
        paths = [value] if isinstance(value, str | os.PathLike) else list(value or ())
        for path in paths:
            text = os.fspath(path)
            if text and text != "-" and not text.startswith(HUB_PREFIX):
                found[(name, os.path.abspath(text))] = None
    return tuple(found)


def read_from_of(*results: object) -> ReadFrom:
    """Every input the :class:`FromFiles` among ``results`` were read from, each once, in
    order: what a result computed from other results records."""
    found = (pair for one in results if isinstance(one, FromFiles) for pair in one.read_from)
    return tuple(dict.fromkeys(found))


def _stamped(result: Any, own: ReadFrom, passed: ReadFrom) -> Any:
    """``result`` (a :class:`FromFiles`, or a list or tuple of them) recording ``own`` (the
    arguments of the function that returned it), then what it recorded itself, then ``passed``
    (what its :class:`FromFiles` arguments recorded), each path once, under the first name.

    A path is named as the function the caller called names it: ``score_predictions``'s report
    was refused over ``(path)``, the argument of ``read_predictions``, which it calls."""
    if isinstance(result, FromFiles):
        first: dict[str, Name] = {}
        for name, path in own + result.read_from + passed:
            first.setdefault(path, name)
        return dataclasses.replace(
            result, read_from=tuple((name, path) for path, name in first.items())
        )
    if type(result) in (list, tuple):
        return type(result)(_stamped(one, own, passed) for one in result)
    return result


P = ParamSpec("P")
R = TypeVar("R")


def reads(**inputs: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Mark a function whose result is read from files: the :class:`FromFiles` it returns (or
    each one of a list it returns) records the arguments named in ``inputs`` (argument name →
    the option or argument the command line's user types for it, such as
    ``dataset="--dataset"``: an :class:`~sgbench.boundary.ArgumentName`; :func:`recorded`),
    then what every :class:`FromFiles` argument records: a report scored from predictions read
    from a file remembers that file. Each path is recorded once, under the name of the outermost
    such function (:func:`_stamped`), the one its caller called. The one place a result learns
    where it came from, so that no producer can forget it."""

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        signature = inspect.signature(function)

        @functools.wraps(function)
        def stamping(*args: P.args, **kwargs: P.kwargs) -> R:
            result = function(*args, **kwargs)
            bound = signature.bind(*args, **kwargs)  # it was called: it binds
            named = recorded(
                *(
                    (ArgumentName(name, option), bound.arguments.get(name))
                    for name, option in inputs.items()
                )
            )
            passed = read_from_of(*bound.arguments.values())
            return cast(R, _stamped(result, named, passed))

        return stamping

    return decorate


def writes(**outputs: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Mark a function as a writer of ``outputs`` (argument name → the option or argument the
    command line's user types for it, such as ``path="--json"``: an
    :class:`~sgbench.boundary.ArgumentName`) and keep them apart from its inputs.

    Before the function runs, every argument that is a :class:`FromFiles` gives its
    ``read_from``, and :func:`check_outputs_apart` refuses an output among them: the one check
    of every writer taking a result, so that no writer can forget it. The outputs are kept on
    the function as ``__sgbench_outputs__``.
    """

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        signature = inspect.signature(function)

        @functools.wraps(function)
        def checked(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError:  # Python's own message
                return function(*args, **kwargs)
            check_outputs_apart(
                read_from_of(*bound.arguments.values()),
                [
                    (ArgumentName(name, option), bound.arguments.get(name))
                    for name, option in outputs.items()
                ],
            )
            return function(*args, **kwargs)

        setattr(checked, WRITES_MARK, dict(outputs))
        return checked

    return decorate


WRITES_MARK: Final = "__sgbench_outputs__"
"""Attribute :func:`writes` sets on a writer: its outputs (argument name → option)."""


def _check_not_a_sidecar(named: list[tuple[Name, Path, Path, str]]) -> None:
    """Refuse an output that is the lock file (:func:`lock_path`) of another file the command
    names: ``run --out r.jsonl --predictions .r.jsonl.lock`` renamed its predictions over the
    lock it held on ``r.jsonl`` (a second run could then start on it) and left a lock file
    holding data, which every later run on ``r.jsonl`` refuses; ``judge --out .A.jsonl.lock A
    B`` did the same to the next run on ``A``. :func:`check_not_a_lock` sees only a lock another
    process holds, and this command takes its own locks later."""
    # The root folder has no name, so no lock file beside it (``build --out /`` crashed here).
    sidecars = {lock_path(given): (name, given) for name, given, real, _ in named if real.name}
    for name, given, real, verb in named:
        owner = sidecars.get(real)
        if verb == "writes" and owner is not None:
            raise InputError(
                f"{shown_name(str(given))}: {name} is the lock file of {shown_name(str(owner[1]))}"
                f" ({owner[0]}), which sgbench keeps empty; choose another path"
            )


class StreamClash(InputError):
    """A standard stream redirected onto a file a command reads or writes.

    ``stderr_too`` says that standard error is such a file as well: the ``Error:`` line itself
    would be written into it, so the command line drops it (exit code 2 alone).
    """

    def __init__(self, message: str, stderr_too: bool) -> None:
        super().__init__(message)
        self.stderr_too = stderr_too


_STREAMS: Final = ((1, "standard output"), (2, "standard error"))


def _stream_file(fd: int) -> tuple[os.stat_result, Path | None] | None:
    """The status and, where the system tells it, the real path of descriptor ``fd`` when it is a
    regular file (a redirection ``> FILE``); None for a terminal, a pipe or the null device."""
    try:
        status = os.fstat(fd)
    except OSError:  # closed
        return None
    if not stat.S_ISREG(status.st_mode):
        return None
    try:  # Linux names an open file's path here; elsewhere only the inode is compared
        where = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return status, None
    if not where.startswith("/") or status.st_nlink == 0:  # a deleted file has no path
        return status, None
    return status, Path(where)


def _stream_meets(found: tuple[os.stat_result, Path | None], real: Path) -> str | None:
    """``is`` when the stream ``found`` (:func:`_stream_file`) is the file ``real`` (by inode: a
    hard link, the file itself), ``lies inside`` when its path lies in the folder ``real``, else
    None. Another name of a file a folder holds is not looked for: a stream with other names is
    refused whatever it is (:func:`_check_stream_folder`)."""
    status, where = found
    try:
        if os.path.samestat(status, os.stat(real)):
            return "is"
    except OSError:
        pass
    if where is not None and real in where.parents:
        return "lies inside"
    return None


def stderr_named(arguments: Iterable[str]) -> bool:
    """Whether standard error is a file that one of the command line's ``arguments`` (or the
    value of an ``--option=value``) names or lies inside a folder one names, or one no command
    may write whatever it names (:func:`_check_stream_folder`: a file with other names, a file
    inside a dataset or output folder sgbench built).

    :func:`check_outputs_apart` refuses such a command and drops its ``Error:`` line, but only
    once the command runs: a usage error found before (an unknown option, a value twice) was
    appended to the template, config or data file given as ``2>>``, and, through a hard link
    ``card.md`` of ``DS/README.md``, to the dataset card (``prompts --dataset DS --nope 2>>
    card.md``), which ``validate DS`` then refused."""
    found = _stream_file(2)
    if found is None:
        return False
    if _check_stream_folder(found, "standard error") is not None:
        return True
    for argument in arguments:
        option, equals, given = argument.partition("=")
        value = given if option.startswith("--") and equals else argument
        if not value or value == "-" or "\0" in value:
            continue
        try:
            real = Path(value).resolve()
        except (OSError, RuntimeError, ValueError):
            continue
        if _stream_meets(found, real) is not None:
            return True
    return False


def _check_stream_folder(found: tuple[os.stat_result, Path | None], stream: str) -> str | None:
    """Why the stream ``found`` (:func:`_stream_file`) may not be written: it is a file with
    other names (hard links), it is a file another sgbench process is writing
    (:func:`~sgbench.sidecars.being_written`, the rule of every named output and input), it is
    the lock file such a process holds (:func:`~sgbench.sidecars.lock_held`, the rule of every
    named output, :func:`check_not_a_lock`), or it lies inside a dataset or output folder
    sgbench built (:func:`_built_ancestor`), the rule of every output path
    (:func:`check_parent`).

    ``prompts >> L.jsonl`` while a ``run`` appended to ``L.jsonl`` mixed 12,000 prompt lines into
    its responses with exit code 0, and the next resume refused the file.

    ``prompts --dataset ds2 > ds/p.jsonl`` wrote every prompt into the dataset ``ds`` with exit
    code 0, and the next ``build --out ds`` refused ``ds`` as holding other files. Another name
    of the file may lie in such a folder, and cannot be found in general (it may be anywhere on
    the file system): ``prompts --dataset ds2 >> card.md``, ``card.md`` a hard link of
    ``ds/README.md``, appended the prompts to the card of a dataset the command never named. The
    folder is judged only for a stream whose path the system tells (Linux's ``/proc``); the
    empty file the shell made for the redirection is left to the user."""
    if found[0].st_nlink > 1:
        return (
            f"{stream} is a hard link with {found[0].st_nlink} names; sgbench writes no stream "
            "into a file with other names, which may lie in a dataset; redirect it to another file"
        )
    where = found[1]
    # `baseline > .r.jsonl.lock` while a run held it wrote 745 KB into the lock, and every
    # later run on r.jsonl refused a lock file holding data.
    if where is not None and held_lock_file(where):
        return (
            f"{stream} is {_shown_path(where)}, the lock file of an output another sgbench "
            "process is writing, which sgbench keeps empty; redirect it to another file"
        )
    if where is not None and being_written(where):
        return (
            f"{stream} is {_shown_path(where)}, being written by another sgbench process; "
            "redirect it to another file"
        )
    built = _built_ancestor(where) if where is not None else None
    if built is None:
        return None
    return (
        f"{stream} lies inside {built}; sgbench writes nothing into a dataset or output folder; "
        "redirect it to another file"
    )


def stream_problems() -> dict[int, str]:
    """Why each standard stream (1, 2) may not be written whatever the command names
    (:func:`_check_stream_folder`); a stream that may be is absent. The one test of every line
    sgbench writes to a standard stream: the command line's (:func:`check_standard_streams`)
    and the entry point's own few, said before the command line is loaded
    (``sgbench.__main__``: ``interrupted`` and running out of memory while loading)."""
    problems: dict[int, str] = {}
    for fd, stream in _STREAMS:
        found = _stream_file(fd)
        problem = None if found is None else _check_stream_folder(found, stream)
        if problem is not None:
            problems[fd] = problem
    return problems


def check_standard_streams() -> None:
    """Refuse a standard stream that no command may write, whatever it names
    (:func:`stream_problems`): the command line checks it before anything is written, its own
    ``--help``, ``--version``, usage errors and shell completion included (``prompts --help >
    ds/help.txt`` wrote into the dataset ``ds`` with exit code 0).

    Raises:
        StreamClash: ``standard output is a hard link with 2 names; ...``.
    """
    problems = stream_problems()
    if problems:
        raise StreamClash(next(iter(problems.values())), stderr_too=2 in problems)


def _check_streams_apart(named: list[tuple[Name, Path, Path, str]]) -> None:
    """Refuse a standard stream that is one of the ``named`` files or lies inside a named folder.

    ``sgbench parse R >> R`` appended predictions to the responses it read, ``prompts >>
    DS/manifest.json`` broke the dataset, ``run --out r 2>> r`` mixed progress lines into the
    responses, ``leaderboard SUBS 2> SUBS/a/predictions.jsonl`` wrote into a submission: each with
    exit code 0. A stream is compared by inode (a hard link, the file itself) and by the path the
    system reports for it. A stream clear of them may still be no file to write, named or not
    (:func:`_check_stream_folder`: a file with other names, which may lie in a named folder or
    any other, or one inside a dataset or output folder sgbench built).
    """
    clashes: list[tuple[int, str]] = []
    for fd, stream in _STREAMS:
        found = _stream_file(fd)
        if found is None:
            continue
        for name, given, real, verb in named:
            how = _stream_meets(found, real)
            if how is not None:
                clashes.append(
                    (
                        fd,
                        f"{stream} {how} {given} ({name}), which this command {verb}; "
                        "redirect it to another file",
                    )
                )
                break
            # The lock file of a named file, as for an output (_check_not_a_sidecar): `run --out
            # r.jsonl 2> .r.jsonl.lock` wrote its progress into the lock it held, and every
            # later run on r.jsonl refused a lock file holding data.
            if real.name and _stream_meets(found, lock_path(real)) == "is":
                clashes.append(
                    (
                        fd,
                        f"{stream} is the lock file of {given} ({name}), which sgbench keeps "
                        "empty; redirect it to another file",
                    )
                )
                break
        else:
            problem = _check_stream_folder(found, stream)
            if problem is not None:
                clashes.append((fd, problem))
    if clashes:
        raise StreamClash(clashes[0][1], stderr_too=any(fd == 2 for fd, _ in clashes))
