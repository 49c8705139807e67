"""Every command that writes a folder goes through `sgbench.files.replace_folder`: the same rules
are tried on each of them (build, leaderboard, export lm-eval, stats).

- an earlier output of the same command is replaced; nothing is left next to it;
- a folder holding anything else (a foreign file, an edited or removed file, another command's
  output, a symlink) is refused with one line and left exactly as it was;
- `--out .`, a parent that is a file, and a full disk are one `Error:` line, nothing left behind;
- folders and files get the usual permissions (umask 022: 0755 and 0644), not 0700.
"""

from __future__ import annotations

import errno
import json
import os
import py_compile
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_contract import assert_one_error_line
from click.testing import CliRunner, Result

from sgbench.cli import main
from sgbench.dataset import load_split
from sgbench.errors import InputError
from sgbench.export.lm_eval import CACHES
from sgbench.files import (
    MAX_MARKER_BYTES,
    OUTPUT_MARKER,
    foreign_entries,
    replace_folder,
    sha256_file,
)

Command = Callable[[Path, str], list[str]]
"""(test folder, --out value) -> the command's arguments."""


@pytest.fixture(scope="module")
def submissions(built_default: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One valid submission on the built default (every sample answered with its first code)."""
    root = tmp_path_factory.mktemp("subs") / "submissions"
    folder = root / "first-option"
    folder.mkdir(parents=True)
    meta = {
        "model": "First option",
        "method": "other",
        "organisation": "Test",
        "url": None,
        "dataset_version": json.loads((built_default / "manifest.json").read_text())["version"],
        "date": "2026-03-01",
        "notes": "",
    }
    (folder / "submission.json").write_text(json.dumps(meta), encoding="utf-8")
    rows = load_split(built_default, "default", "test_ood")
    lines = [
        json.dumps({"id": sid, "answer": int(options[0]["code"])})
        for sid, options in zip(rows["id"], rows["options"], strict=True)
    ]
    (folder / "predictions.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def commands(built_default: Path, submissions: Path) -> dict[str, Command]:
    dataset = str(built_default)
    return {
        "build": lambda _, out: ["build", "--quiet", "--out", out],
        "leaderboard": lambda _, out: [
            "leaderboard",
            str(submissions),
            "--dataset",
            dataset,
            "--bootstrap",
            "0",
            "--out",
            out,
        ],
        "export lm-eval": lambda _, out: ["export", "lm-eval", "--dataset", dataset, "--out", out],
        "stats": lambda _, out: ["stats", "--dataset", dataset, "--format", "svg", "--out", out],
    }


WRITERS = ("build", "leaderboard", "export lm-eval", "stats")


@pytest.fixture
def in_tmp(tmp_path: Path) -> Iterator[Path]:
    """Run inside ``tmp_path/work`` so relative paths stay in the test's folder."""
    work = tmp_path / "work"
    work.mkdir()
    before = Path.cwd()
    os.chdir(work)
    try:
        yield work
    finally:
        os.chdir(before)


def invoke(args: list[str]) -> Result:
    return CliRunner().invoke(main, args)


def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every entry under ``folder`` (hidden ones too) with its bytes or link target."""
    found: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        key = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[key] = f"-> {os.readlink(path)}"
        elif path.is_file():
            found[key] = path.read_bytes()
        else:
            found[key] = "dir"
    return found


def write_ok(commands: dict[str, Command], writer: str, work: Path, out: str) -> None:
    result = invoke(commands[writer](work, out))
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def earlier(
    commands: dict[str, Command], tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str, Path], None]:
    """Put a copy of each writer's output (made once per module) at a path."""
    made: dict[str, Path] = {}

    def put(writer: str, target: Path) -> None:
        if writer not in made:
            folder = tmp_path_factory.mktemp("earlier")
            made[writer] = folder / "out"
            result = invoke(commands[writer](folder, str(made[writer])))
            assert result.exit_code == 0, result.output
        shutil.copytree(made[writer], target, symlinks=True)

    return put


@pytest.mark.parametrize("writer", WRITERS)
def test_replaces_its_own_earlier_output(
    writer: str,
    commands: dict[str, Command],
    earlier: Callable[[str, Path], None],
    in_tmp: Path,
) -> None:
    earlier(writer, in_tmp / "out")
    first = snapshot(in_tmp / "out")
    assert OUTPUT_MARKER in first
    marker = json.loads(first[OUTPUT_MARKER])
    assert marker["written_by"] == f"sgbench {writer}"
    listed = {k for k, v in first.items() if v != "dir" and k != OUTPUT_MARKER}
    assert set(marker["files"]) == listed
    write_ok(commands, writer, in_tmp, "out")
    assert snapshot(in_tmp / "out") == first  # the same input gives the same bytes
    assert sorted(p.name for p in in_tmp.iterdir()) == ["out"]  # no staging or old folder left


@pytest.mark.parametrize("out", ["out/../out", "./out/./../out", "link/../out"])
@pytest.mark.parametrize("writer", WRITERS)
def test_a_path_through_the_output_itself_replaces_it(
    writer: str,
    out: str,
    commands: dict[str, Command],
    earlier: Callable[[str, Path], None],
    in_tmp: Path,
) -> None:
    """Once the earlier output was moved aside, `out/..` no longer led anywhere: the new one
    could not be moved in nor the old one back, and the earlier output was left hidden."""
    earlier(writer, in_tmp / "out")
    (in_tmp / "link").symlink_to("out")
    first = snapshot(in_tmp / "out")
    write_ok(commands, writer, in_tmp, out)
    assert snapshot(in_tmp / "out") == first
    assert sorted(p.name for p in in_tmp.iterdir()) == ["link", "out"]


@pytest.mark.parametrize("writer", WRITERS)
def test_a_file_added_while_the_output_is_staged_is_kept(
    writer: str, earlier: Callable[[str, Path], None], in_tmp: Path
) -> None:
    """The folder is checked again once moved aside, just before the swap: a file written into
    it while the new output was being written was deleted with it."""
    earlier(writer, in_tmp / "out")
    before = snapshot(in_tmp / "out")

    def write(staging: Path) -> None:
        (staging / "new.txt").write_text("new", encoding="utf-8")
        (in_tmp / "out" / "notes.txt").write_text("mine", encoding="utf-8")  # another process

    with pytest.raises(InputError, match=r"out: refusing to replace .* notes\.txt"):
        replace_folder(in_tmp / "out", writer, write, disposable=CACHES, name="out")
    assert snapshot(in_tmp / "out") == {**before, "notes.txt": b"mine"}
    assert sorted(p.name for p in in_tmp.iterdir()) == ["out"]


@pytest.mark.parametrize("writer", WRITERS)
def test_an_empty_folder_is_filled(writer: str, commands: dict[str, Command], in_tmp: Path) -> None:
    (in_tmp / "out").mkdir()
    write_ok(commands, writer, in_tmp, "out")
    assert (in_tmp / "out" / OUTPUT_MARKER).is_file()


def foreign_file(out: Path) -> str:
    (out / "thesis.tex").write_text("years of work", encoding="utf-8")
    return "thesis.tex"


def edited_file(out: Path) -> str:
    listed = sorted(json.loads((out / OUTPUT_MARKER).read_text(encoding="utf-8"))["files"])
    (out / listed[0]).write_bytes(b"edited by hand")
    return listed[0]


def removed_file(out: Path) -> str:
    listed = sorted(json.loads((out / OUTPUT_MARKER).read_text(encoding="utf-8"))["files"])
    (out / listed[-1]).unlink()
    return listed[-1]


def symlink(out: Path) -> str:
    (out / "link").symlink_to(out.parent)
    return "link"


def other_command(out: Path) -> str:
    marker = json.loads((out / OUTPUT_MARKER).read_text(encoding="utf-8"))
    marker["written_by"] = "sgbench somethingelse"
    (out / OUTPUT_MARKER).write_text(json.dumps(marker), encoding="utf-8")
    return OUTPUT_MARKER


def no_marker(out: Path) -> str:
    (out / OUTPUT_MARKER).unlink()
    return "other files"


def damaged_marker(out: Path) -> str:
    (out / OUTPUT_MARKER).write_text("[" * 5000, encoding="utf-8")
    return OUTPUT_MARKER


def oversized_marker(out: Path) -> str:
    """A marker padded past its bound with spaces (valid JSON still): read whole, 500 MB of it
    took 1.1 GB."""
    marker = out / OUTPUT_MARKER
    marker.write_bytes(marker.read_bytes() + b" " * MAX_MARKER_BYTES)
    return OUTPUT_MARKER


def forged_marker_name(out: Path) -> str:
    """A marker edited to list a name that would start a forged line of its own."""
    marker = json.loads((out / OUTPUT_MARKER).read_text(encoding="utf-8"))
    marker["files"]["!x\x1b[31m\nError: forged"] = "0" * 64
    (out / OUTPUT_MARKER).write_text(json.dumps(marker), encoding="utf-8")
    return "!x\\x1b[31m\\nError: forged"


def notes_in_a_cache_folder(out: Path) -> str:
    """A file of the user's in ``__pycache__``, which export lm-eval's cache rule deleted."""
    (out / "__pycache__").mkdir()
    (out / "__pycache__" / "notes.txt").write_text("mine", encoding="utf-8")
    return "__pycache__/notes.txt"


def symlinked_cache_folder(out: Path) -> str:
    (out / "__pycache__").symlink_to(out.parent)
    return "__pycache__"


def foreign_file_named_with_newline(out: Path) -> str:
    (out / "a\nError: forged").write_text("mine", encoding="utf-8")
    return "a\\nError: forged"


SPOILERS = {
    f.__name__: f
    for f in (
        foreign_file,
        foreign_file_named_with_newline,
        notes_in_a_cache_folder,
        symlinked_cache_folder,
        forged_marker_name,
        edited_file,
        removed_file,
        symlink,
        other_command,
        no_marker,
        damaged_marker,
        oversized_marker,
    )
}


@pytest.mark.parametrize("spoil", sorted(SPOILERS))
@pytest.mark.parametrize("writer", WRITERS)
def test_a_folder_that_is_not_exactly_its_output_is_refused(
    writer: str,
    spoil: str,
    commands: dict[str, Command],
    earlier: Callable[[str, Path], None],
    in_tmp: Path,
) -> None:
    earlier(writer, in_tmp / "out")
    named = SPOILERS[spoil](in_tmp / "out")
    before = snapshot(in_tmp / "out")
    result = invoke(commands[writer](in_tmp, "out"))
    assert_one_error_line(result, "out: refusing to replace", named, "choose another --out")
    assert snapshot(in_tmp / "out") == before
    assert sorted(p.name for p in in_tmp.iterdir()) == ["out"]


def test_an_export_whose_utils_was_compiled_is_replaced(
    commands: dict[str, Command], earlier: Callable[[str, Path], None], in_tmp: Path
) -> None:
    """The harness imports utils.py, which leaves ``__pycache__/utils.<tag>.pyc``: that cache
    alone does not make the folder foreign."""
    earlier("export lm-eval", in_tmp / "out")
    cache = in_tmp / "out" / "__pycache__" / f"utils.{sys.implementation.cache_tag}.pyc"
    py_compile.compile(str(in_tmp / "out" / "utils.py"), cfile=str(cache), doraise=True)
    assert cache.is_file()
    write_ok(commands, "export lm-eval", in_tmp, "out")
    assert not (in_tmp / "out" / "__pycache__").exists()


@pytest.mark.parametrize("writer", WRITERS)
def test_an_output_from_before_the_marker_is_refused_saying_what_to_delete(
    writer: str,
    commands: dict[str, Command],
    earlier: Callable[[str, Path], None],
    in_tmp: Path,
) -> None:
    """Outputs written before `.sgbench-output.json` existed cannot be told from a folder of
    the user's: the user deletes them once, and the line says which folder and why."""
    earlier(writer, in_tmp / "out")
    (in_tmp / "out" / OUTPUT_MARKER).unlink()
    before = snapshot(in_tmp / "out")
    result = invoke(commands[writer](in_tmp, "out"))
    assert_one_error_line(
        result,
        f"it has no {OUTPUT_MARKER}, the mark sgbench leaves in its outputs",
        "if it is an output of an older sgbench, written before that mark existed, "
        "delete out yourself once",
        "otherwise choose another --out",
    )
    assert snapshot(in_tmp / "out") == before


@pytest.mark.parametrize("writer", WRITERS)
def test_another_commands_output_is_refused(
    writer: str,
    commands: dict[str, Command],
    earlier: Callable[[str, Path], None],
    in_tmp: Path,
) -> None:
    other = next(w for w in WRITERS if w != writer)
    earlier(other, in_tmp / "out")
    before = snapshot(in_tmp / "out")
    result = invoke(commands[writer](in_tmp, "out"))
    assert_one_error_line(result, f"not an earlier output of `sgbench {writer}`")
    assert snapshot(in_tmp / "out") == before


@pytest.mark.parametrize(
    ("out", "fragment"),
    [
        (".", "cannot replace the current folder"),
        ("..", "cannot replace the current folder"),
        ("afile/sub", "afile is not a folder"),
        # It said "gone is not a folder", naming neither the link nor where it points.
        ("gone/sub", "gone is a symlink to a missing target (nowhere)"),
        ("alink", "alink: is a symlink"),
        # The staging folder was made inside afolder/sub, and the swap failed leaving it.
        ("afolder/sub/..", "ends in '..'"),
    ],
)
@pytest.mark.parametrize("writer", WRITERS)
def test_impossible_targets_are_one_line(
    writer: str, out: str, fragment: str, commands: dict[str, Command], in_tmp: Path
) -> None:
    (in_tmp / "afile").write_text("a file", encoding="utf-8")
    (in_tmp / "afolder").mkdir()
    (in_tmp / "alink").symlink_to("afolder")
    (in_tmp / "gone").symlink_to("nowhere")
    before = snapshot(in_tmp.parent)
    result = invoke(commands[writer](in_tmp, out))
    assert_one_error_line(result, out, fragment)
    assert snapshot(in_tmp.parent) == before


@pytest.mark.parametrize("writer", WRITERS)
def test_a_full_disk_is_one_line_and_keeps_the_earlier_output(
    writer: str,
    commands: dict[str, Command],
    earlier: Callable[[str, Path], None],
    in_tmp: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    earlier(writer, in_tmp / "out")
    before = snapshot(in_tmp)

    def filling(original: Callable[..., int]) -> Callable[..., int]:
        def full(self: Path, *args: object, **kwargs: object) -> int:
            if ".out.partial-" in str(self):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
            return original(self, *args, **kwargs)

        return full

    # Every writer writes at least one file of its own through pathlib, after any parquet.
    monkeypatch.setattr(Path, "write_text", filling(Path.write_text))
    monkeypatch.setattr(Path, "write_bytes", filling(Path.write_bytes))
    result = invoke(commands[writer](in_tmp, "out"))
    assert_one_error_line(result, "out: cannot write", os.strerror(errno.ENOSPC))
    monkeypatch.undo()
    assert snapshot(in_tmp) == before


@pytest.mark.parametrize("writer", WRITERS)
def test_permissions_follow_the_umask(
    writer: str, commands: dict[str, Command], in_tmp: Path
) -> None:
    old = os.umask(0o022)
    try:
        write_ok(commands, writer, in_tmp, "out")
    finally:
        os.umask(old)
    out = in_tmp / "out"
    for path in [out, *out.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o755 if path.is_dir() else 0o644), (path, oct(mode))


@pytest.mark.parametrize("writer", WRITERS)
def test_a_refused_staging_folder_is_one_line(
    writer: str, commands: dict[str, Command], in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What an unwritable parent does, for a user root cannot be (see the test below)."""

    def refused(*_: object, **__: object) -> str:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr("sgbench.files.mkstemp", refused)  # the staging folder's lock, first
    result = invoke(commands[writer](in_tmp, "out"))
    assert_one_error_line(result, "out: cannot write", os.strerror(errno.EACCES))
    assert list(in_tmp.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
@pytest.mark.parametrize("writer", WRITERS)
def test_an_unwritable_parent_is_one_line(
    writer: str, commands: dict[str, Command], in_tmp: Path
) -> None:
    locked = in_tmp / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        result = invoke(commands[writer](in_tmp, "locked/out"))
    finally:
        locked.chmod(0o755)
    assert_one_error_line(result, "locked/out", "cannot write")
    assert list(locked.iterdir()) == []


@pytest.mark.parametrize("writer", WRITERS)
def test_an_unreadable_earlier_output_is_one_line(
    writer: str,
    commands: dict[str, Command],
    earlier: Callable[[str, Path], None],
    in_tmp: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A file of the folder that cannot be read (root reads everything, so it is simulated)."""
    earlier(writer, in_tmp / "out")
    before = snapshot(in_tmp)

    def unreadable(path: Path) -> str:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))

    # Only the output folder's files: the dataset's are read through the same function.
    original = sha256_file

    def unreadable_in_out(path: Path) -> str:
        return unreadable(path) if "out" in Path(path).parts else original(path)

    monkeypatch.setattr("sgbench.files.sha256_file", unreadable_in_out)
    result = invoke(commands[writer](in_tmp, "out"))
    assert_one_error_line(result, "out: cannot check what the folder holds")
    assert snapshot(in_tmp) == before


@pytest.mark.parametrize("writer", WRITERS)
def test_a_listed_file_of_another_size_is_refused_unhashed(
    writer: str,
    commands: dict[str, Command],
    earlier: Callable[[str, Path], None],
    in_tmp: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The marker records each file's size as well as its hash, so a listed file that became
    a 20 GB sparse file is refused by its size, never read (hashing it took 69 s)."""
    earlier(writer, in_tmp / "out")
    marker = json.loads((in_tmp / "out" / OUTPUT_MARKER).read_text(encoding="utf-8"))
    assert marker["sizes"] == {
        name: (in_tmp / "out" / name).stat().st_size for name in marker["files"]
    }
    grown = sorted(marker["files"])[0]
    with (in_tmp / "out" / grown).open("r+b") as handle:
        handle.truncate(20 << 30)  # sparse: no space taken
    hashed: list[Path] = []
    original = sha256_file

    def recorded(path: Path) -> str:
        hashed.append(Path(path))
        return original(path)

    monkeypatch.setattr("sgbench.files.sha256_file", recorded)
    result = invoke(commands[writer](in_tmp, "out"))
    assert_one_error_line(result, "out: refusing to replace", grown, "choose another --out")
    assert in_tmp / "out" / grown not in [path.absolute() for path in hashed]
    assert (in_tmp / "out" / grown).stat().st_size == 20 << 30


def test_threads_writing_one_output_folder_leave_one_output(tmp_path: Path) -> None:
    """Four threads of one process replacing one folder interleaved their renames: one failed
    with "Directory not empty" and left the earlier output in a hidden .out.old-* folder."""
    import threading

    def write(staging: Path) -> None:
        (staging / "a.txt").write_text("same bytes\n", encoding="utf-8")

    errors: list[BaseException] = []

    def one() -> None:
        try:
            for _ in range(20):
                replace_folder(tmp_path / "out", "export lm-eval", write, name="out")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(["a.txt", OUTPUT_MARKER])


@pytest.mark.parametrize("writer", WRITERS)
def test_a_folder_another_writer_holds_is_one_line_and_kept(
    writer: str, commands: dict[str, Command], earlier: Callable[[str, Path], None], in_tmp: Path
) -> None:
    """One rule for every command writing a folder: while another sgbench process writes it
    (holds `.out.lock`, here through a descriptor of this test's own), the command is refused
    with one line before any work, and the folder is left exactly as it was."""
    from sgbench.sidecars import lock_path, open_locked

    earlier(writer, in_tmp / "out")
    before = snapshot(in_tmp)
    fd = open_locked(lock_path(in_tmp / "out"), in_tmp / "out", "output folder")
    try:
        result = invoke(commands[writer](in_tmp, "out"))
        assert snapshot(in_tmp) == {**before, ".out.lock": b""}
    finally:
        os.close(fd)
    assert_one_error_line(
        result, "out: in use by another sgbench process", "choose another output folder"
    )


def _one_file(text: str) -> Callable[[Path], None]:
    def write(staging: Path) -> None:
        (staging / "a.txt").write_text(text, encoding="utf-8")

    return write


def _holds(folder: Path) -> str:
    """The text of the one file a `_one_file` output holds (its marker aside)."""
    assert sorted(p.name for p in folder.iterdir()) == sorted(["a.txt", OUTPUT_MARKER])
    return (folder / "a.txt").read_text(encoding="utf-8")


# Each step of the swap, interrupted (KeyboardInterrupt: Ctrl-C, or SIGTERM and SIGHUP, which the
# command line turns into it), and which output must then be at the name.
SWAP_STEPS = {
    "making the retired folder": ("mkdtemp", "old"),
    "the first rename": ("rename 1 instead", "old"),
    "between the renames": ("rename 1 after", "old"),
    "the re-check": ("re-check", "old"),
    "the second rename": ("rename 2 instead", "old"),
    "after the second rename": ("rename 2 after", "new"),
    "the put-back, after the re-check": ("put-back", "old"),
    "the clean-up, once": ("clean-up", "new"),
}


@pytest.mark.parametrize("step", SWAP_STEPS)
def test_an_interrupted_swap_leaves_one_output_and_nothing_hidden(
    step: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Ctrl-C during replace_folder's swap exited 130 "interrupted" but left the earlier output
    in a hidden .out.old-* folder; landing during the re-check, nothing was left at the name.
    Whatever step it lands on, the old output is back or the new one in place, nothing else."""
    import sgbench.files as files

    replace_folder(tmp_path / "out", "export lm-eval", _one_file("old\n"), name="out")
    how, left = SWAP_STEPS[step]
    renames: list[tuple[Path, Path]] = []
    real_replace = Path.replace
    real_check = files._check_replaceable
    real_rmtree = shutil.rmtree

    def replace(self: Path, to: Any) -> Path:
        renames.append((self, Path(to)))
        number = len(renames)
        if how == f"rename {number} instead" or (how == "put-back" and number == 3):
            raise KeyboardInterrupt
        done = real_replace(self, to)
        if how == f"rename {number} after":
            raise KeyboardInterrupt
        return done

    def check(folder: Path, *args: Any, **kwargs: Any) -> None:
        if how in ("re-check", "put-back") and ".old-" in str(folder):
            raise KeyboardInterrupt
        real_check(folder, *args, **kwargs)

    rmtrees: list[Path] = []

    def rmtree(path: Any, *args: Any, **kwargs: Any) -> None:
        rmtrees.append(Path(path))
        if how == "clean-up" and ".old-" in str(path) and len(rmtrees) == 1:
            # Broken off half way: the earlier output's marker already gone.
            (Path(path) / "out" / OUTPUT_MARKER).unlink()
            raise KeyboardInterrupt
        real_rmtree(path, *args, **kwargs)

    def mkdtemp(*args: Any, **kwargs: Any) -> str:
        made = tempfile.mkdtemp(*args, **kwargs)
        if how == "mkdtemp" and ".old-" in made:
            raise KeyboardInterrupt  # made, but its name not yet returned
        return made

    monkeypatch.setattr(Path, "replace", replace)
    monkeypatch.setattr(files, "_check_replaceable", check)
    monkeypatch.setattr(files.shutil, "rmtree", rmtree)
    monkeypatch.setattr(files, "mkdtemp", mkdtemp)
    with pytest.raises(KeyboardInterrupt):
        replace_folder(tmp_path / "out", "export lm-eval", _one_file("new\n"), name="out")
    monkeypatch.undo()
    hidden = sorted(p.name for p in tmp_path.iterdir() if p.name != "out")
    if how == "mkdtemp":
        # Interrupted inside mkdtemp, the empty folder's name is never known to the swap: it is
        # empty, and the folder's next writer removes it (below).
        assert [name[: len(".out.old-")] for name in hidden] == [".out.old-"]
        assert not any((tmp_path / hidden[0]).iterdir())
    else:
        assert hidden == []
    assert _holds(tmp_path / "out") == f"{left}\n"
    replace_folder(tmp_path / "out", "export lm-eval", _one_file("next\n"), name="out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert _holds(tmp_path / "out") == "next\n"


def _killed_mid_swap(folder: Path, text: str, random_part: str) -> Path:
    """A hidden .out.old-XXXXXXXX folder holding an earlier output, as a SIGKILL between the
    swap's two renames leaves it (the output moved aside, the new one not yet in)."""
    retired = folder / f".out.old-{random_part}"
    retired.mkdir()
    replace_folder(retired / "out", "export lm-eval", _one_file(text), name="out")
    return retired


def test_the_next_writer_puts_back_the_newest_output_a_kill_left_hidden(tmp_path: Path) -> None:
    """SIGKILL between the two renames left the only copy of the earlier output in a hidden
    folder, which no later writer looked at. The next writer of the folder puts the newest back
    before anything else (its lock held), and deletes the other retired outputs of its own."""
    from sgbench.files import writing_folder

    older = _killed_mid_swap(tmp_path, "older\n", "aaaa1111")
    newer = _killed_mid_swap(tmp_path, "newer\n", "zzzz0000")
    os.utime(older, ns=(1_000_000_000, 1_000_000_000))
    os.utime(newer, ns=(2_000_000_000, 2_000_000_000))
    empty = tmp_path / ".out.old-mmmm_555"  # killed inside mkdtemp
    empty.mkdir()
    with writing_folder(tmp_path / "out", "export lm-eval", name="out"):
        assert _holds(tmp_path / "out") == "newer\n"
        assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "out"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_the_next_writer_deletes_its_own_retired_output_when_the_name_is_taken(
    tmp_path: Path,
) -> None:
    """SIGKILL after the second rename (during the clean-up) left the earlier output hidden
    beside the new one: the next replace_folder deletes it and writes its own."""
    replace_folder(tmp_path / "out", "export lm-eval", _one_file("new\n"), name="out")
    _killed_mid_swap(tmp_path, "old\n", "k1ll3d00")
    replace_folder(tmp_path / "out", "export lm-eval", _one_file("next\n"), name="out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert _holds(tmp_path / "out") == "next\n"


@pytest.mark.parametrize("present", [True, False], ids=["name taken", "name missing"])
def test_hidden_old_folders_not_provably_sgbench_are_left_alone(
    present: bool, tmp_path: Path
) -> None:
    """Only a retired folder that is provably this writer's own is put back or deleted: one
    holding a file nothing lists, one holding more than the output, one of another command's
    output, one not named as mkdtemp names, and a symlink are each kept byte for byte."""
    notes = tmp_path / ".out.old-n0t3s000"
    (notes / "out").mkdir(parents=True)
    (notes / "out" / "notes.txt").write_text("mine\n", encoding="utf-8")
    more = _killed_mid_swap(tmp_path, "old\n", "m0r3m0r3")
    (more / "diary.txt").write_text("mine too\n", encoding="utf-8")
    other = tmp_path / ".out.old-0th3rk1d"
    other.mkdir()
    replace_folder(other / "out", "stats", _one_file("a chart\n"), name="out")
    misnamed = _killed_mid_swap(tmp_path, "old\n", "k1ll3d00")
    misnamed.rename(tmp_path / ".out.old-mine")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / ".out.old-l1nk3d00").symlink_to(tmp_path / "elsewhere")
    if present:
        replace_folder(tmp_path / "out", "export lm-eval", _one_file("new\n"), name="out")
    before = {p.name: snapshot(p) for p in tmp_path.iterdir() if p.name.startswith(".out.old-")}
    replace_folder(tmp_path / "out", "export lm-eval", _one_file("next\n"), name="out")
    after = {p.name: snapshot(p) for p in tmp_path.iterdir() if p.name.startswith(".out.old-")}
    assert after == before
    kept = ["n0t3s000", "m0r3m0r3", "0th3rk1d", "mine", "l1nk3d00"]
    assert sorted(after) == sorted(f".out.old-{tag}" for tag in kept)
    assert _holds(tmp_path / "out") == "next\n"


@pytest.mark.parametrize("writer", WRITERS)
def test_each_writer_interrupted_during_its_swap_keeps_the_earlier_output(
    writer: str,
    commands: dict[str, Command],
    earlier: Callable[[str, Path], None],
    in_tmp: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One swap for every command writing a folder: Ctrl-C while the earlier output is checked
    again, moved aside, is exit 130 with the earlier output back byte for byte and nothing
    hidden (it was left only in .out.old-*/out)."""
    import sgbench.files as files

    earlier(writer, in_tmp / "out")
    before = snapshot(in_tmp)
    real_check = files._check_replaceable

    def check(folder: Path, *args: Any, **kwargs: Any) -> None:
        if ".old-" in str(folder):
            raise KeyboardInterrupt
        real_check(folder, *args, **kwargs)

    monkeypatch.setattr(files, "_check_replaceable", check)
    result = invoke(commands[writer](in_tmp, "out"))
    assert result.exit_code == 130, result.output
    assert "interrupted" in result.output
    assert snapshot(in_tmp) == before


@pytest.mark.parametrize("taken_by", ["folder", "file"])
@pytest.mark.parametrize("writer", WRITERS)
def test_a_refused_writer_keeps_the_earlier_output_a_kill_left_hidden(
    writer: str,
    taken_by: str,
    commands: dict[str, Command],
    earlier: Callable[[str, Path], None],
    in_tmp: Path,
) -> None:
    """A hard kill between the swap's renames left the only copy of the earlier output in
    .out.old-*/out; the user then put something of their own at out. The command, refused
    since out is not its own (exit 2), first deleted the hidden earlier output as provably its
    own: a refused command now changes nothing, the earlier output kept byte for byte."""
    retired = in_tmp / ".out.old-abcdefgh"
    retired.mkdir()
    earlier(writer, retired / "out")
    if taken_by == "folder":
        (in_tmp / "out").mkdir()
        (in_tmp / "out" / "mine.txt").write_text("mine\n", encoding="utf-8")
    else:
        (in_tmp / "out").write_text("mine\n", encoding="utf-8")
    before = snapshot(in_tmp)
    result = invoke(commands[writer](in_tmp, "out"))
    assert_one_error_line(result, "out")
    assert snapshot(in_tmp) == before


def test_a_refused_replace_folder_keeps_every_retired_output(tmp_path: Path) -> None:
    """The rule in replace_folder itself: with the name taken by a folder of the user's, the
    retired outputs (one holding an earlier output, one empty) are all kept, and once the name
    is free again the newest is put back and the rest deleted."""
    _killed_mid_swap(tmp_path, "old\n", "k1ll3d00")
    (tmp_path / ".out.old-mmmm_555").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine\n", encoding="utf-8")
    before = snapshot(tmp_path)
    with pytest.raises(InputError, match="refusing to replace a folder"):
        replace_folder(tmp_path / "out", "export lm-eval", _one_file("new\n"), name="out")
    assert snapshot(tmp_path) == before
    shutil.rmtree(tmp_path / "out")
    from sgbench.files import writing_folder

    with writing_folder(tmp_path / "out", "export lm-eval", name="out"):
        assert _holds(tmp_path / "out") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_large_foreign_folder_is_refused_without_listing_all_of_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``build --out $HOME`` listed all of it (35 s) to name three files: the walk stops at the
    fourth foreign entry, which only says there are more, and names the first three in sorted
    order, as the message did when it listed everything."""
    big = tmp_path / "big"
    for number in range(40):
        (big / f"d{number:02d}").mkdir(parents=True)
        for file in range(3):
            (big / f"d{number:02d}" / f"f{file}.txt").write_text("x", encoding="utf-8")
    listed: list[Path] = []
    original = os.scandir

    def counted(path: Any = ".") -> Any:
        if not isinstance(path, int):  # shutil.rmtree lists by descriptor
            listed.append(Path(path))
        return original(path)

    monkeypatch.setattr(os, "scandir", counted)
    with pytest.raises(InputError) as refused:
        replace_folder(big, "export lm-eval", _one_file("x\n"), name="out")
    assert "(it holds other files: d00/f0.txt, d00/f1.txt, d00/f2.txt ...)" in str(refused.value)
    inside = [path for path in listed if big in path.parents]
    assert inside == [big / "d00", big / "d01"]  # the fourth foreign entry is d01/f0.txt


def test_foreign_entries_are_every_one_in_sorted_order(tmp_path: Path) -> None:
    """``sgbench validate`` names every foreign entry, in the order :func:`sorted` gives their
    relative paths (``a-b`` before ``a/c``, though the walk enters the folder ``a`` by name)."""
    root = tmp_path / "ds"
    (root / "a" / "d").mkdir(parents=True)
    (root / "e").mkdir()
    for name in ("a-b", "a/c", "a0", "own.txt", "a/own.txt"):
        (root / name).write_text("x", encoding="utf-8")
    (root / "link").symlink_to(root / "own.txt")
    expected = ["a-b", "a/c", "a/d/", "a0", "e/", "link"]
    assert foreign_entries(root, ["own.txt", "a/own.txt"]) == sorted(expected) == expected
