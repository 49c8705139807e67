"""What the environment gives every command, whatever the command (`sgbench.cli.errors`,
`sgbench.__main__`, `sgbench.files`):

- standard output is UTF-8 whatever the locale or `PYTHONIOENCODING` (under latin-1 a label's
  en dash crashed `prompts`, `export sft` and `stats` with a traceback, and the bytes of the data
  changed with the environment);
- a closed standard error is the null device: click wrote `Error:` lines into standard output,
  that is into the data a command was writing;
- a reader closing standard output early (`| head -1`) ends the command quietly with exit code
  141 (128 + SIGPIPE, as the shell reports a program the signal ended): `prompts` ended with
  exit code 1, `baseline` with 0 and a cut output (Python dropped the rest of a short write
  without an error), and then with an `Error: cannot write standard output (Broken pipe)` line,
  noise on every `sgbench CMD --help | head`; no summary line is said either (`baseline` said
  how many predictions it wrote);
- running out of memory (a MemoryError from numpy or pyarrow) is one `Error:` line, not a
  traceback;
- matplotlib's warnings about an unusable `MPLCONFIGDIR` or home folder do not reach stderr;
- an output file or folder a command replaces keeps its permissions (a private 0600 report
  became 0644);
- the .dta and .sav files of `synth` carry a fixed time, not the wall clock's in the local time
  zone (the same seed gave other bytes every minute and in every time zone).

SIGHUP is tried with SIGTERM in tests/test_endpoint_edges.py.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from cli_contract import assert_one_error_line, module_command, module_environment
from click.testing import CliRunner

from sgbench.cli import main


def predictions_file(dataset: Path, path: Path) -> Path:
    """A predictions file answering one sample of test_ood."""
    table = pq.read_table(dataset / "data/default/test_ood-00000-of-00001.parquet", columns=["id"])
    path.write_text(json.dumps({"id": table.column("id")[0].as_py(), "answer": 1}) + "\n")
    return path


def printing(dataset: Path) -> dict[str, list[str]]:
    """Commands whose standard output holds text beyond ASCII (option labels with en dashes,
    the stats summary's × and −)."""
    return {
        "prompts": ["prompts", "--dataset", str(dataset), "--split", "test_id"],
        "export sft": ["export", "sft", "--dataset", str(dataset), "--split", "validation"],
        "stats": ["stats", "--dataset", str(dataset), "--out", "st"],
    }


@pytest.mark.parametrize("command", ["prompts", "export sft", "stats"])
def test_stdout_is_utf8_whatever_the_locale(
    command: str, built_default: Path, tmp_path: Path
) -> None:
    outputs = []
    for number, extra in enumerate(
        [{}, {"PYTHONIOENCODING": "latin-1", "LC_ALL": "C", "PYTHONUTF8": "0"}]
    ):
        folder = tmp_path / str(number)
        folder.mkdir()
        done = subprocess.run(
            module_command(printing(built_default)[command]),
            cwd=folder,
            capture_output=True,
            env=module_environment(**extra),
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert b"Traceback" not in done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert any(byte >= 0x80 for byte in outputs[0])  # the case holds non-ASCII text
    outputs[0].decode("utf-8")


@pytest.mark.parametrize(
    "args",
    [["prompts", "--dataset", "no-such-folder"], ["prompts", "--split", "no-such-split"]],
    ids=["sgbench error", "usage error"],
)
def test_a_closed_stderr_keeps_messages_out_of_stdout(args: list[str], tmp_path: Path) -> None:
    done = subprocess.run(
        module_command(args),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        env=module_environment(),
        timeout=120,
        check=False,
        preexec_fn=lambda: os.close(2),
    )
    assert done.returncode == 2
    assert done.stdout == b""


@pytest.mark.parametrize("args", [["--help"], ["prompts", "--help"], ["--version"]])
def test_help_into_a_pipe_with_no_reader_ends_quietly(args: list[str], tmp_path: Path) -> None:
    """`sgbench CMD --help | head` with the reader already gone: exit code 141 and nothing on
    stderr (it was `Error: cannot write standard output (Broken pipe)`, exit code 2), while a
    full disk under the same help is still its `Error:` line (tests/test_stdout_full.py)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            module_command(args),
            cwd=tmp_path,
            stdout=write_end,
            stderr=subprocess.PIPE,
            env=module_environment(),
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    assert done.returncode == 141, done.stderr
    assert done.stderr == ""


@pytest.mark.parametrize("command", ["prompts", "export sft", "baseline"])
def test_a_reader_closing_stdout_ends_quietly(
    command: str, built_default: Path, tmp_path: Path
) -> None:
    args = {
        "prompts": ["prompts", "--dataset", str(built_default)],
        "export sft": ["export", "sft", "--dataset", str(built_default)],
        "baseline": ["baseline", "majority", "--dataset", str(built_default)],
    }[command]
    process = subprocess.Popen(
        module_command(args),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=module_environment(),
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stderr is not None
        process.stdout.read(10)  # `| head -c 10`: far less than a pipe holds
        process.stdout.close()
        stderr = process.stderr.read()
        code = process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert code == 141, stderr
    # Nothing at all: baseline said "majority: 2780 of 2780 samples ... predicted" first, of
    # predictions the reader never got (its summary now waits for stdout: cli.output.say).
    assert stderr == ""


@pytest.mark.parametrize("command", ["baseline", "stats"])
def test_running_out_of_memory_in_a_command_is_one_line(
    command: str, built_default: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """numpy's and pyarrow's errors for a failed allocation are MemoryErrors."""

    def exhausted(*args: object, **kwargs: object) -> None:
        raise MemoryError("Unable to allocate 188. KiB for an array")

    if command == "baseline":
        monkeypatch.setattr("sgbench.baselines.run_baseline", exhausted)
        args = ["baseline", "majority", "--dataset", str(built_default)]
    else:
        monkeypatch.setattr("sgbench.stats.compute_stats", exhausted)
        args = ["stats", "--dataset", str(built_default), "--out", str(tmp_path / "st")]
    result = CliRunner().invoke(main, args)
    assert_one_error_line(result, "out of memory (Unable to allocate 188. KiB", "ulimit -v")


def test_matplotlib_warnings_about_its_folders_stay_quiet(
    built_default: Path, tmp_path: Path
) -> None:
    """An unusable MPLCONFIGDIR (here a file) or home folder: matplotlib works from a temporary
    folder, and said so in two lines on stderr, around the one `Error:` line of a failure."""
    (tmp_path / "file").write_text("")
    done = subprocess.run(
        module_command(["stats", "--dataset", str(built_default), "--out", "st"]),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=module_environment(MPLCONFIGDIR=str(tmp_path / "file"), HOME=str(tmp_path / "file")),
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert [line for line in done.stderr.splitlines() if not line.startswith("wrote ")] == []


def writers(dataset: Path, tmp: Path) -> dict[str, tuple[list[str], Path]]:
    """Commands replacing an existing output: a file (`write_atomic`) or a folder
    (`replace_folder`), with that output."""
    report, chart = tmp / "r.json", tmp / "c.png"
    task = tmp / "task"
    predictions = predictions_file(dataset, tmp / "p.jsonl")
    score = ["score", str(predictions), "--dataset", str(dataset), "--bootstrap", "0"]
    return {
        "score --json": ([*score, "--permutations", "0", "--json", str(report)], report),
        "score --plot": ([*score, "--permutations", "0", "--plot", str(chart)], chart),
        "export lm-eval --out": (
            ["export", "lm-eval", "--dataset", str(dataset), "--out", str(task)],
            task,
        ),
    }


@pytest.mark.parametrize("writer", ["score --json", "score --plot", "export lm-eval --out"])
def test_a_replaced_output_keeps_its_permissions(
    writer: str, built_default: Path, tmp_path: Path
) -> None:
    args, output = writers(built_default, tmp_path)[writer]
    old = os.umask(0o022)
    try:
        first = CliRunner().invoke(main, args)
        assert first.exit_code == 0, first.output
        fresh = 0o755 if output.is_dir() else 0o644
        assert stat.S_IMODE(output.stat().st_mode) == fresh  # a new one: the umask's
        private = 0o700 if output.is_dir() else 0o600
        output.chmod(private)
        again = CliRunner().invoke(main, args)
        assert again.exit_code == 0, again.output
    finally:
        os.umask(old)
    assert stat.S_IMODE(output.stat().st_mode) == private


def test_a_setuid_bit_is_not_kept(built_default: Path, tmp_path: Path) -> None:
    """Only the permission bits pass to the new file: a setuid bit on a file another user left
    at the output's path would otherwise sit on a file the command (perhaps root) owns."""
    args, output = writers(built_default, tmp_path)["score --json"]
    # An earlier report: --json replaces only one (sgbench.files.check_replaceable).
    output.write_text(
        '{"sgbench_version": "0", "dataset": {}, "split": "t", "predictions_sha256": "0"}'
    )
    output.chmod(0o4755)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(output.stat().st_mode) == 0o755


@pytest.mark.parametrize("suffix", [".dta", ".sav"])
def test_synth_gives_the_same_bytes_at_any_time_and_in_any_time_zone(
    suffix: str, tmp_path: Path
) -> None:
    import pyreadstat

    written = []
    for zone in ("UTC", "Pacific/Kiritimati"):  # 14 hours apart: never the same local minute
        out = tmp_path / zone.replace("/", "-") / f"s{suffix}"
        out.parent.mkdir()  # no command creates a missing output folder
        done = subprocess.run(
            module_command(["synth", "--out", str(out)]),
            capture_output=True,
            text=True,
            env=module_environment(TZ=zone),
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        written.append(out.read_bytes())
    assert written[0] == written[1]
    reader = pyreadstat.read_dta if suffix == ".dta" else pyreadstat.read_sav
    frame, meta = reader(str(out))
    assert str(meta.creation_time) == "2020-01-01 00:00:00"
    assert len(frame) > 0
