"""One writer per output folder: two real processes replacing one folder race N times, and each
attempt is either a whole output or a one-line refusal; nothing hidden is left beside it
(`sgbench.files.replace_folder`, whose lock is `sgbench.sidecars.open_locked` on `.NAME.lock`)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from cli_contract import assert_one_error_line
from click.testing import CliRunner

import sgbench
from sgbench.cli import main
from sgbench.files import OUTPUT_MARKER, check_output_folder
from sgbench.sidecars import being_written

ROOT = Path(sgbench.__file__).parent.parent
ROUNDS = 25
FILES = 20

CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from sgbench.errors import InputError
    from sgbench.files import replace_folder

    target, tag, go = sys.argv[1], sys.argv[2], Path(sys.argv[5])
    rounds, files = int(sys.argv[3]), int(sys.argv[4])

    def write(staging):
        for i in range(files):
            (staging / f"f{i}.txt").write_text(f"{tag} {i}\\n", encoding="utf-8")

    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.001)
    for _ in range(rounds):
        try:
            replace_folder(target, "export lm-eval", write, name="out")
            print("ok", flush=True)
        except InputError as exc:
            print("refused", str(exc), flush=True)
    """
)


def python_child(script: str, *args: str) -> subprocess.Popen[str]:
    """``script`` run by another Python process with this checkout's package, its output read
    as text (each test's writer, holder or victim)."""
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_two_processes_replacing_one_folder_leave_one_whole_output(tmp_path: Path) -> None:
    target = tmp_path / "out"
    go = tmp_path.parent / f"{tmp_path.name}.go"
    children = [
        python_child(CHILD, str(target), tag, str(ROUNDS), str(FILES), str(go))
        for tag in ("a", "b")
    ]
    try:
        for child in children:  # both imported and waiting: they start together
            assert child.stdout is not None
            assert child.stdout.readline() == "ready\n"
        go.touch()
        results = [child.communicate(timeout=300) for child in children]
    finally:
        go.unlink(missing_ok=True)
        for child in children:
            child.kill()
    refusal = (
        f"refused {target}: in use by another sgbench process; wait for it to finish or "
        "choose another output folder"
    )
    outcomes: list[str] = []
    for child, (stdout, stderr) in zip(children, results, strict=True):
        assert child.returncode == 0, stderr
        assert stderr == ""
        lines = stdout.splitlines()
        assert len(lines) == ROUNDS
        assert all(line in ("ok", refusal) for line in lines), set(lines)
        outcomes += lines
    # Both wrote, and the race was real: some attempt met the other's lock.
    assert outcomes.count("ok") >= 2
    assert refusal in outcomes
    # Nothing hidden beside the output: no .out.old-*, .out.partial-* or .out.lock.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    names = sorted(p.name for p in target.iterdir())
    assert names == sorted([OUTPUT_MARKER, *(f"f{i}.txt" for i in range(FILES))])
    writers = {(target / f"f{i}.txt").read_text(encoding="utf-8").split()[0] for i in range(FILES)}
    assert len(writers) == 1  # one process's whole output, never a mixture
    # Its marker lists exactly what is there.
    check_output_folder(target, "export lm-eval", name="out")


def test_a_folder_held_by_another_process_is_refused_before_any_work(tmp_path: Path) -> None:
    """The early check a command makes (check_output_folder) says so at once, rather than after
    a build's whole computation."""
    target = tmp_path / "out"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from pathlib import Path\n"
            "from sgbench.sidecars import lock_path, open_locked\n"
            "open_locked(lock_path(sys.argv[1]), sys.argv[1], 'output folder')\n"
            "print('held', flush=True)\n"
            "time.sleep(60)\n",
            str(target),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "held\n"
        started = time.monotonic()
        try:
            check_output_folder(target, "build", name="out")
        except sgbench.errors.InputError as exc:
            message = str(exc)
        else:
            message = ""
        assert message == (
            f"{target}: in use by another sgbench process; wait for it to finish or choose "
            "another output folder"
        )
        assert time.monotonic() - started < 5
    finally:
        holder.kill()
        holder.wait()
    check_output_folder(target, "build", name="out")  # released with its process


HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from sgbench.files import replace_folder, writing_folder

    target, go = sys.argv[1], Path(sys.argv[2])

    def write(staging):
        (staging / "first.txt").write_text("first\\n", encoding="utf-8")

    with writing_folder(target, "stats", name="out"):
        print("held", flush=True)
        while not go.exists():
            time.sleep(0.01)
        # The holder's own swap, inside its own hold, must not refuse itself.
        replace_folder(target, "stats", write, name="out")
    print("done", flush=True)
    """
)


def test_a_command_meeting_a_folder_being_computed_is_refused_at_once(
    tmp_path: Path, built_default: Path
) -> None:
    """`stats --out stC` started while another process computed into stC (holding its lock from
    before its work) used to compute too, print `wrote stC/...` and exit 0, its output lost
    under the first's; now it is refused at once with one line and writes nothing, and the
    first's output is whole, its lock file gone (`sgbench.files.writing_folder`)."""
    target = tmp_path / "out"
    go = tmp_path.parent / f"{tmp_path.name}.go"
    holder = python_child(HOLDER, str(target), str(go))
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "held\n"
        for args in (
            ["stats", "--dataset", str(built_default), "--out", str(target)],
            ["build", "--out", str(target)],
        ):
            started = time.monotonic()
            result = CliRunner().invoke(main, args)
            assert_one_error_line(
                result,
                f"{target}: in use by another sgbench process; wait for it to finish or "
                "choose another output folder",
            )
            # Refused before any work: a synthetic build alone takes seconds.
            assert time.monotonic() - started < 5
            assert "wrote" not in result.output
            assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock"]
        go.touch()
        stdout, stderr = holder.communicate(timeout=120)
    finally:
        go.unlink(missing_ok=True)
        holder.kill()
        holder.wait()
    assert (holder.returncode, stdout, stderr) == (0, "done\n", "")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # the lock file removed
    assert sorted(p.name for p in target.iterdir()) == sorted([OUTPUT_MARKER, "first.txt"])
    assert (target / "first.txt").read_text(encoding="utf-8") == "first\n"
    check_output_folder(target, "stats", name="out")


def test_stats_holds_its_folder_lock_while_it_computes(
    tmp_path: Path, built_default: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lock was taken only at the swap, so nothing told another process the folder was
    being written while `stats` computed; now it is held from before the computation to the
    swap, and released (its file removed) after."""
    import sgbench.stats

    target = tmp_path / "out"
    computing, proceed = threading.Event(), threading.Event()
    compute = sgbench.stats.compute_stats

    def paused(*args: Any, **kwargs: Any) -> Any:
        computing.set()
        assert proceed.wait(60)
        return compute(*args, **kwargs)

    monkeypatch.setattr(sgbench.stats, "compute_stats", paused)
    results: list[Any] = []
    args = ["stats", "--dataset", str(built_default), "--out", str(target)]
    runner = threading.Thread(target=lambda: results.append(CliRunner().invoke(main, args)))
    runner.start()
    try:
        assert computing.wait(60)
        # Another thread (as another process) sees the folder being written.
        assert being_written(target)
        with pytest.raises(sgbench.errors.InputError, match="in use by another sgbench process"):
            check_output_folder(target, "stats", name="out")
    finally:
        proceed.set()
        runner.join(120)
    assert results[0].exit_code == 0, results[0].output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert (target / "stats.json").is_file()
    assert not being_written(target)
    check_output_folder(target, "stats", name="out")


KILLED = textwrap.dedent(
    """
    import sys, time
    from sgbench.files import replace_folder

    def write(staging):
        (staging / "a.txt").write_text("half\\n", encoding="utf-8")
        print("staged", flush=True)
        time.sleep(60)

    replace_folder(sys.argv[1], "export lm-eval", write, name="out")
    """
)


def _one_file(staging: Path) -> None:
    (staging / "a.txt").write_text("whole\n", encoding="utf-8")


def _tree(folder: Path) -> dict[str, bytes | str]:
    """Every entry under ``folder`` (hidden ones too): bytes, link target or ``dir``."""
    return {
        path.relative_to(folder).as_posix(): (
            f"-> {os.readlink(path)}"
            if path.is_symlink()
            else path.read_bytes()
            if path.is_file()
            else "dir"
        )
        for path in sorted(folder.rglob("*"))
    }


def test_a_killed_writers_staging_folder_is_removed_by_the_next_and_lookalikes_kept(
    tmp_path: Path,
) -> None:
    """SIGKILL of a writer while it staged left its hidden .out.partial-* copy (1.1 MB for a
    build) and every later writer left it there. The next writer removes it, under the folder's
    lock, because it is provably a dead writer's: beside it is its lock file, empty, that no
    process holds. Folders that only look like one are kept byte for byte: without that lock,
    with a lock file holding data, a symlink, a name mkstemp does not make."""
    from sgbench.files import replace_folder

    target = tmp_path / "out"
    replace_folder(target, "export lm-eval", _one_file, name="out")
    child = python_child(KILLED, str(target))
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "staged\n"
    finally:
        child.kill()  # SIGKILL: no clean-up of its own runs
        child.wait()
    left = sorted(p.name for p in tmp_path.iterdir() if p.name != "out")
    assert len(left) == 3, left  # the folder's lock, the staging folder and its lock
    staging = next(name for name in left if name.startswith(".out.partial-"))
    assert left == sorted([".out.lock", staging, f"{staging}.lock"])
    assert (tmp_path / staging / "a.txt").read_text(encoding="utf-8") == "half\n"

    lookalikes = {
        "f0re1gn0": None,  # no lock beside it
        "w1thd4t4": b"my notes\n",  # a lock file holding data is not sgbench's
        "mine": b"",  # not a name mkstemp makes
    }
    for tag, lock in lookalikes.items():
        (tmp_path / f".out.partial-{tag}").mkdir()
        (tmp_path / f".out.partial-{tag}" / "notes.txt").write_text("mine\n", encoding="utf-8")
        if lock is not None:
            (tmp_path / f".out.partial-{tag}.lock").write_bytes(lock)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "keep.txt").write_text("keep\n", encoding="utf-8")
    (tmp_path / ".out.partial-l1nk3d00").symlink_to(tmp_path / "elsewhere")
    (tmp_path / ".out.partial-l1nk3d00.lock").write_bytes(b"")
    before = {k: v for k, v in _tree(tmp_path).items() if staging not in k and k != ".out.lock"}

    replace_folder(target, "export lm-eval", _one_file, name="out")
    after = _tree(tmp_path)
    assert staging not in {k.split("/")[0] for k in after}
    assert f"{staging}.lock" not in after
    assert {k: v for k, v in after.items() if not k.startswith("out")} == {
        k: v for k, v in before.items() if not k.startswith("out")
    }
    assert (target / "a.txt").read_text(encoding="utf-8") == "whole\n"


def test_a_staging_folder_whose_writer_lives_is_kept(tmp_path: Path) -> None:
    """A staging folder made by the writer's own function, its lock held through another
    descriptor (a writer of this process waiting its turn, which made its staging folder before
    the folder's lock): kept while held, removed by the next writer once released as a kill
    releases it (the pair left exactly as a SIGKILL leaves it)."""
    import sgbench.files as files

    target = tmp_path / "out"
    staging, (sidecar, fd) = files._new_staging(target)
    (staging / "a.txt").write_text("half\n", encoding="utf-8")
    try:
        files.replace_folder(target, "export lm-eval", _one_file, name="out")
        assert (staging / "a.txt").read_text(encoding="utf-8") == "half\n"
        assert sidecar.exists()
    finally:
        os.close(fd)  # as a kill closes it: the pair stays on disk, no longer held
    assert staging.exists()
    assert sidecar.exists()
    files.replace_folder(target, "export lm-eval", _one_file, name="out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
