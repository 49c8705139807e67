"""A file another sgbench process is writing is never replaced by another command's output
(`sgbench.files.write_atomic`, which every file output goes through, takes the file's lock).

`import paper-outputs --out r.jsonl`, while `sgbench run` appended to r.jsonl, replaced it with
exit 0: the run's lines so far were lost and the run stopped. The lock is taken here the way
another process holds it (a `flock` on the sidecar through a descriptor of its own), and every
command that replaces a file is tried on it.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_contract import assert_one_error_line
from click.testing import CliRunner

from sgbench.cli import main
from sgbench.files import OutputKind, write_atomic
from sgbench.locks import exclusive, lock_path

BUSY = "busy.jsonl"
# The opening of each writer's own earlier output (sgbench.files.check_replaceable), so that
# each would replace it but for the lock.
THEIRS = {
    "score --json": '{"sgbench_version": "0", "dataset": {}, "split": "t", '
    '"predictions_sha256": "0"}\n',
    "import paper-outputs --out": (
        '{"id": "x", "response": "", "template": "paper-released", "custom_id": "x"}\n'
    ),
    "import paper-outputs --report": (
        '{"dataset": {}, "model": "m", "template": "paper-released"}\n'
    ),
    # A PNG's signature and a text chunk Software=sgbench (length, type, data, CRC).
    "score --plot": "\x89PNG\r\n\x1a\n\x00\x00\x00\x10tEXtSoftware\x00sgbench\x00\x00\x00\x00",
}

IMPORT = ["import", "paper-outputs", "src.jsonl", "--dataset", "ds"]
WRITERS: dict[str, list[str]] = {
    "score --json": ["score", "p.jsonl", "--dataset", "ds", "--json", BUSY],
    "import paper-outputs --out": [*IMPORT, "--out", BUSY],
    "import paper-outputs --report": [*IMPORT, "--out", "r.jsonl", "--report", BUSY],
    "score --plot": ["score", "p.jsonl", "--dataset", "ds", "--plot", "busy.png"],
}

ANY_TEXT = OutputKind("a text file", lambda head: True)
"""A kind any file is of: these tests are about other rules of write_atomic."""


@pytest.fixture
def held_elsewhere(command_folder: Path) -> Iterator[Path]:
    """``busy.jsonl``, with its lock held as another process holds it."""
    busy = command_folder / BUSY
    busy.write_text("", encoding="utf-8")
    fd = os.open(lock_path(busy), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield busy
    finally:
        os.close(fd)


@pytest.mark.parametrize("case", sorted(WRITERS))
def test_a_file_locked_by_another_process_is_not_replaced(case: str, held_elsewhere: Path) -> None:
    args = WRITERS[case]
    target = held_elsewhere.with_name(args[args.index(BUSY) if BUSY in args else -1])
    if target != held_elsewhere:  # a chart: its own file, locked the same way
        held_elsewhere.replace(target)
        os.replace(lock_path(held_elsewhere), lock_path(target))
    theirs = THEIRS[case].encode("latin-1")
    target.write_bytes(theirs)
    result = CliRunner().invoke(main, args)
    assert_one_error_line(result, f"{target.name}: in use by another sgbench process")
    assert target.read_bytes() == theirs


def test_the_lock_holder_and_an_unlocked_file_are_written(tmp_path: Path) -> None:
    """The process holding the lock replaces its own file (a run tidying its --out, writing its
    --predictions); a stale sidecar nobody holds stops no one."""
    out = tmp_path / "r.jsonl"
    with exclusive(out):
        write_atomic(out, "mine\n", kind=ANY_TEXT)
    assert out.read_text() == "mine\n"
    lock_path(out).write_text("")  # left by a process that was killed
    write_atomic(out, "again\n", kind=ANY_TEXT)
    assert out.read_text() == "again\n"


# The commands that append to an output and hold its lock for as long as they run.
APPENDERS: dict[str, list[str]] = {
    f"run {option}": [
        "run",
        "--dataset",
        "ds",
        "--base-url",
        "http://127.0.0.1:9/v1",
        "--model",
        "m",
        *(["--out", "r.jsonl"] if option == "--predictions" else []),
        option,
        BUSY,
    ]
    for option in ("--out", "--predictions")
}


@pytest.mark.parametrize("case", sorted(set(WRITERS | APPENDERS) - {"score --plot"}))
def test_an_output_that_is_a_lock_file_in_use_is_refused(case: str, held_elsewhere: Path) -> None:
    """`run --out .r.jsonl.lock` during a run on r.jsonl wrote into that run's lock file, which
    the run removed, answers and all, when it ended (exit 0 for both)."""
    sidecar = lock_path(held_elsewhere)
    args = [sidecar.name if arg == BUSY else arg for arg in (WRITERS | APPENDERS)[case]]
    result = CliRunner().invoke(main, args)
    assert_one_error_line(result, f"{sidecar.name}: the lock file of an output another sgbench")
    assert sidecar.read_bytes() == b""


@pytest.mark.parametrize("case", sorted(APPENDERS))
def test_a_lock_file_name_holding_data_is_refused_and_kept(case: str, command_folder: Path) -> None:
    """A file of the user's own under the name of a lock file (`.busy.jsonl.lock`) was taken as
    the lock and removed at the end of the run; a lock file is never written, so one holding
    data is not sgbench's."""
    sidecar = lock_path(command_folder / BUSY)
    sidecar.write_text("precious\n", encoding="utf-8")
    result = CliRunner().invoke(main, APPENDERS[case])
    assert_one_error_line(result, f"{BUSY}: {sidecar.name}, the name of its lock file, holds data")
    assert sidecar.read_text(encoding="utf-8") == "precious\n"


def test_a_release_removes_only_the_empty_lock_file_it_locked(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    with exclusive(out):
        assert lock_path(out).exists()
    assert not lock_path(out).exists()
    with exclusive(out):
        lock_path(out).write_text("written meanwhile by another program\n")
    assert lock_path(out).read_text() == "written meanwhile by another program\n"
    with exclusive(tmp_path / "s.jsonl"):  # replaced meanwhile by a file of someone else's
        lock_path(tmp_path / "s.jsonl").unlink()
        lock_path(tmp_path / "s.jsonl").write_text("")
    assert lock_path(tmp_path / "s.jsonl").exists()


def _plant(kind: str, sidecar: Path, mine: Path) -> None:
    """Something at a lock file's name that is not a file sgbench could have made."""
    if kind == "symlink to nothing":
        sidecar.symlink_to(mine.with_name("created-through-the-link"))
    elif kind == "symlink to your file":
        sidecar.symlink_to(mine)
    else:
        os.mkfifo(sidecar)


@pytest.mark.parametrize("kind", ["symlink to nothing", "symlink to your file", "fifo"])
@pytest.mark.parametrize("case", sorted(APPENDERS))
def test_a_lock_file_name_that_is_not_a_regular_file_is_refused_and_kept(
    case: str, kind: str, command_folder: Path
) -> None:
    """A symlink planted at the lock file's name made the lock's open create a file where it
    pointed, and was removed at the end of the run; a FIFO was taken as the lock. Both are
    refused before any request (the endpoint is never reached), and kept."""
    mine = command_folder / "mine.txt"
    mine.write_text("user data\n", encoding="utf-8")
    sidecar = lock_path(command_folder / BUSY)
    _plant(kind, sidecar, mine)
    result = CliRunner().invoke(main, APPENDERS[case])
    assert_one_error_line(result, f"{BUSY}: its lock file {sidecar.name} is")
    assert os.path.lexists(sidecar)
    assert mine.read_text(encoding="utf-8") == "user data\n"
    assert not mine.with_name("created-through-the-link").exists()


# The commands that read a file another command may still be appending to (a run's --out or
# --predictions, a judge's --out).
READERS: dict[str, list[str]] = {
    "score": ["score", BUSY, "--dataset", "ds"],
    "parse": ["parse", BUSY, "--dataset", "ds"],
    "judge-report": ["judge-report", BUSY],
    "judge": [
        *("judge", BUSY, "b.jsonl", "--dataset", "ds", "--base-url", "http://127.0.0.1:9/v1"),
        *("--model", "m", "--out", "j.jsonl"),
    ],
}


@pytest.mark.parametrize("case", sorted(READERS))
def test_a_file_another_process_is_writing_is_not_read(case: str, held_elsewhere: Path) -> None:
    """`judge-report` (and `score`, `parse`) on the file a running `run` or `judge` appends to
    reported its lines so far as the whole, with exit 0 (sgbench.sidecars.being_written, asked
    by every input check, sgbench.jsonl.input_problem). Once the writer has finished the same
    command reads it."""
    held_elsewhere.write_bytes(Path("p.jsonl").read_bytes())
    result = CliRunner().invoke(main, READERS[case])
    assert_one_error_line(result, f"{BUSY}: being written by another sgbench process")
    assert not Path("j.jsonl").exists()


def test_a_finished_writers_file_is_read(command_folder: Path) -> None:
    busy = command_folder / BUSY
    busy.write_bytes((command_folder / "p.jsonl").read_bytes())
    lock_path(busy).write_text("")  # left behind, nobody holds it
    result = CliRunner().invoke(main, READERS["score"])
    assert result.exit_code == 0, result.output
    with exclusive(busy):  # this process's own lock: a run reading back its --out
        result = CliRunner().invoke(main, READERS["score"])
    assert result.exit_code == 0, result.output


LINK = "link.jsonl"


def _on_the_link(case: str) -> list[str]:
    return [LINK if arg == BUSY else arg for arg in READERS[case]]


@pytest.mark.parametrize("case", ["score", "parse", "judge-report"])
def test_a_hard_link_made_while_a_run_appends_is_not_read(case: str, command_folder: Path) -> None:
    """`ln r.jsonl link.jsonl` while a run appended to r.jsonl, then `score link.jsonl`: the
    reader looked for `.link.jsonl.lock`, which nobody holds, and read a partial file with exit
    0. The writer (sgbench.runner.run.run_pool, under the run's lock) also locks the file it
    appends to, which every name of it meets. Asked from a worker of the pool, another thread,
    while the run's thread holds the handle; read once the run has ended."""
    from sgbench.runner.run import run_pool

    busy = command_folder / BUSY
    busy.write_bytes((command_folder / "p.jsonl").read_bytes())
    seen = []

    def work(task: str, wait: object, stop: object) -> None:
        os.link(busy, LINK)  # made after the run started: it was checked to have one name
        seen.append(CliRunner().invoke(main, _on_the_link(case)))

    with exclusive(busy):
        run_pool(["t"], work, busy, where="test", concurrency=1, kept="responses")
    assert_one_error_line(seen[0], f"{LINK}: being written by another sgbench process")
    assert busy.stat().st_nlink == 2
    if case == "score":  # a plain hard link nobody writes is read
        assert CliRunner().invoke(main, _on_the_link(case)).exit_code == 0


def _held_in_a_process_of_its_own(out: Path) -> subprocess.Popen[str]:
    """A Python process holding the locks a run holds on ``out`` while it appends, until its
    standard input closes."""
    import sys

    holder = (
        "import sys\n"
        "from sgbench.locks import appending, exclusive\n"
        f"with exclusive({str(out)!r}), appending({str(out)!r}):\n"
        "    print('held', flush=True)\n"
        "    sys.stdin.read()\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", holder],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "held\n"
    return process


def test_a_hard_link_made_while_another_process_appends_is_not_read(command_folder: Path) -> None:
    busy = command_folder / BUSY
    busy.write_bytes((command_folder / "p.jsonl").read_bytes())
    holder = _held_in_a_process_of_its_own(busy)
    try:
        os.link(busy, LINK)
        result = CliRunner().invoke(main, _on_the_link("score"))
    finally:
        holder.communicate("")
    assert holder.returncode == 0
    assert_one_error_line(result, f"{LINK}: being written by another sgbench process")
    assert CliRunner().invoke(main, _on_the_link("score")).exit_code == 0


def test_the_writer_reads_its_own_file_and_readers_never_refuse_each_other(
    command_folder: Path,
) -> None:
    """The run's own thread reads back what it appends to (a resume), another reader's probe
    (a shared lock for an instant) refuses no reader, and a writer starting while a probe holds
    it for a moment takes its lock once the probe is done rather than refusing itself."""
    from sgbench.locks import appending
    from sgbench.sidecars import being_written

    busy = command_folder / BUSY
    busy.write_bytes((command_folder / "p.jsonl").read_bytes())
    with exclusive(busy), appending(busy):
        assert not being_written(busy)
        assert CliRunner().invoke(main, READERS["score"]).exit_code == 0
    reader = os.open(busy, os.O_RDONLY)  # another reader, caught in the instant of its probe
    fcntl.flock(reader, fcntl.LOCK_SH)
    done = threading.Timer(0.05, os.close, [reader])  # its probe ends a moment later
    try:
        assert not being_written(busy)
        assert CliRunner().invoke(main, READERS["score"]).exit_code == 0
    finally:
        done.start()
    with exclusive(busy), appending(busy) as handle:
        handle.write("appended\n")
    done.join()
    assert busy.read_text(encoding="utf-8").endswith("}\nappended\n")


@pytest.mark.parametrize("kind", [ANY_TEXT, None], ids=["replacing", "new-only"])
def test_threads_of_one_process_each_write_their_own_temporary_file(
    tmp_path: Path, kind: OutputKind | None
) -> None:
    """Two threads writing one output at once (p10score H5). The temporary file was named by
    the pid alone, so both wrote the same one: the first rename put a file the other was still
    writing into place, and the second failed with "No such file or directory". Each writer
    here stops, its temporary file written, until the other has written its own."""
    out = tmp_path / "r.json"
    both_written = threading.Barrier(2, timeout=10)
    errors: list[BaseException] = []

    def write(text: str) -> None:
        def content(temporary: Path) -> None:
            temporary.write_text(text)
            both_written.wait()

        try:
            write_atomic(out, content, kind=kind)
        except BaseException as exc:  # the test reports what each thread met
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(text,)) for text in ("a" * 9000, "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    texts = {"a" * 9000, "b"}
    if kind is None:  # a new-only output: one writer wins, the other is refused by name
        assert len(errors) == 1
        assert "already exists" in str(errors[0])
    else:
        assert errors == []
    assert out.read_text() in texts
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_a_stream_onto_a_file_another_process_is_writing_is_refused(
    stream: str, held_elsewhere: Path
) -> None:
    """`prompts >> L.jsonl`, while a `run` appended to `L.jsonl`, mixed every prompt into its
    responses with exit code 0, and the next resume refused the file: a standard stream is
    refused as every named output is (sgbench.files.stream_problems). Standard error gets no
    line (it would be written into the file)."""
    from cli_contract import run_module

    before = b'{"id": "x", "response": "r"}\n'
    held_elsewhere.write_bytes(before)
    with held_elsewhere.open("ab") as redirected:
        done = run_module(
            ["prompts", "--dataset", "ds"],
            held_elsewhere.parent,
            **{stream: redirected, "stdout" if stream == "stderr" else "stderr": subprocess.PIPE},
        )
    assert done.returncode == 2
    assert held_elsewhere.read_bytes() == before
    if stream == "stdout":
        assert done.stderr.splitlines() == [
            f"Error: standard output is {BUSY}, being written by another sgbench process; "
            "redirect it to another file"
        ]
    else:
        assert done.stdout == ""


# The commands that read a dataset folder, which a `build --out` may be replacing.
FOLDER_READERS: dict[str, list[str]] = {
    "validate": ["validate", "ds"],
    "score": ["score", "p.jsonl", "--dataset", "ds"],
    "prompts": ["prompts", "--dataset", "ds"],
    "export lm-eval": ["export", "lm-eval", "--dataset", "ds", "--out", "task"],
}


@pytest.mark.parametrize("case", sorted(FOLDER_READERS))
def test_a_folder_another_process_is_writing_is_not_read(case: str, command_folder: Path) -> None:
    """A folder has its writer's lock beside it (sgbench.files.replace_folder): a dataset read
    while a build swapped its new files in was read half old and half new, or found missing.
    Refused as a file being written is (sgbench.jsonl.input_problem), and read once the writer
    has finished."""
    fd = os.open(lock_path(command_folder / "ds"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = CliRunner().invoke(main, FOLDER_READERS[case])
    finally:
        os.close(fd)
    assert_one_error_line(result, "ds: being written by another sgbench process")
    assert not Path("task").exists()
    assert CliRunner().invoke(main, FOLDER_READERS[case]).exit_code == 0
