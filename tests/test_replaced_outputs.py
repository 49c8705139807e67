"""An existing output file is replaced only when it is the command's own earlier output of that
kind (issue #15, data loss): `sgbench.files.check_replaceable`, applied by `write_atomic` to every
file it replaces and before any work by each command. Tried on every file output written whole,
against a file of each other kind (yours, another command's, another sgbench output), which is
refused with one `Error:` line naming it and kept byte for byte; the command's own earlier output
and an empty file are replaced, and a rerun gives the same bytes.
"""

from __future__ import annotations

import shutil
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from cli_contract import assert_one_error_line
from click.testing import CliRunner, Result
from fake_openai import LoopbackChatServer, serving

from sgbench.cli import main
from sgbench.cli.options import OutputFile
from sgbench.errors import InputError
from sgbench.files import HEAD_BYTES, OutputKind, check_replaceable, json_lines_kind, write_atomic

OUT = "OUT"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def photo(software: bytes | None = None) -> bytes:
    """A 1x1 PNG drawn by hand, with a ``Software`` text chunk when given: a picture of yours."""
    header = _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    text = _png_chunk(b"tEXt", b"Software\x00" + software) if software else b""
    pixels = _png_chunk(b"IDAT", zlib.compress(b"\x00\x00"))
    return b"\x89PNG\r\n\x1a\n" + header + text + pixels + _png_chunk(b"IEND", b"")


DRAWING = (
    b'<?xml version="1.0" encoding="utf-8"?>\n<svg xmlns="http://www.w3.org/2000/svg">\n'
    b" <metadata><dc:creator><cc:Agent><dc:title>Inkscape</dc:title></cc:Agent></dc:creator>"
    b"</metadata>\n</svg>\n"
)

IMPORT = ["import", "paper-outputs", "src.jsonl", "--dataset", "ds"]
# Each output: the arguments (OUT for the file), and the entries of `made` that are its own kind.
OUTPUTS: dict[str, tuple[list[str], frozenset[str]]] = {
    "score --json": (
        ["score", "p.jsonl", "--dataset", "ds", "--bootstrap", "0", "--json", OUT],
        frozenset({"score report"}),
    ),
    "score --plot .png": (
        ["score", "p.jsonl", "--dataset", "ds", "--bootstrap", "0", "--plot", OUT],
        frozenset({"png chart", "svg chart"}),
    ),
    "score --plot .svg": (
        ["score", "p.jsonl", "--dataset", "ds", "--bootstrap", "0", "--plot", OUT],
        frozenset({"png chart", "svg chart"}),
    ),
    "judge-report --json": (
        ["judge-report", "j.jsonl", "--bootstrap", "0", "--json", OUT],
        frozenset({"judge report"}),
    ),
    "run --predictions": (
        ["run", "URL", "--out", "a.jsonl", "--predictions", OUT],
        frozenset({"predictions"}),
    ),
    "import paper-outputs --out": (
        [*IMPORT, "--out", OUT],
        frozenset({"import"}),
    ),
    "import paper-outputs --report": (
        [*IMPORT, "--out", "i.jsonl", "--report", OUT],
        frozenset({"import report"}),
    ),
}

NOT_REPLACED_WHOLE = {
    "run --out": "appended to and resumed: its own resume rules (sgbench.runner.store)",
    "judge --out": "appended to and resumed: its own resume rules (sgbench.runner.store)",
    "synth --out": "never replaces any file (write_atomic with no kind)",
}
"""File outputs that are not written whole over an earlier one, and why."""


def invoke(args: list[str], url: str, out: Path | None = None, model: str = "m") -> Result:
    """Run ``args`` with ``URL`` standing for `run`'s server, model and dataset options (two
    samples) and ``OUT`` for ``out``."""
    run = ["--base-url", url, "--model", model, "--dataset", "ds", "--limit", "2", "--no-progress"]
    expanded: list[str] = []
    for arg in args:
        expanded += run if arg == "URL" else [str(out) if arg == OUT else arg]
    return CliRunner().invoke(main, expanded)


@pytest.fixture(scope="module")
def made(built_default: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A working folder (the dataset ``ds``, responses ``a.jsonl``, judgments ``j.jsonl``,
    predictions ``p.jsonl``, a paper output ``src.jsonl``) and the bytes of one file of every
    kind: each output's own, written by its command, and files that are nobody's."""
    root = tmp_path_factory.mktemp("made")
    shutil.copytree(built_default, root / "ds")
    server = LoopbackChatServer(reply=lambda body: "Answer: 1")
    with pytest.MonkeyPatch.context() as patch, serving(server, patch):
        patch.chdir(root)
        for name, model in (("a", "m"), ("b", "other")):
            result = invoke(["run", "URL", "--out", f"{name}.jsonl"], server.url, model=model)
            assert result.exit_code == 0, result.output
        judge = ["judge", "a.jsonl", "b.jsonl", "--base-url", server.url, "--model", "j"]
        result = CliRunner().invoke(main, [*judge, "--dataset", "ds", "--out", "j.jsonl"])
        assert result.exit_code in (0, 3), result.output
        parse = CliRunner().invoke(main, ["parse", "a.jsonl", "--dataset", "ds"])
        Path("p.jsonl").write_text(parse.stdout, encoding="utf-8")
        Path("src.jsonl").write_text('{"custom_id": "Q1_sex_Male", "response": "Answer: 1"}\n')
        own = {
            "score report": ("score --json", ".json"),
            "png chart": ("score --plot .png", ".png"),
            "svg chart": ("score --plot .svg", ".svg"),
            "judge report": ("judge-report --json", ".json"),
            "predictions": ("run --predictions", ".jsonl"),
            "import": ("import paper-outputs --out", ".jsonl"),
            "import report": ("import paper-outputs --report", ".json"),
        }
        files: dict[str, bytes] = {}
        for kind, (output, suffix) in own.items():
            target = root / f"own-{output.replace(' ', '_')}{suffix}"
            result = invoke(OUTPUTS[output][0], server.url, target)
            assert result.exit_code == 0, result.output
            files[kind] = target.read_bytes()
        files |= {
            "responses": Path("a.jsonl").read_bytes(),
            "judgments": Path("j.jsonl").read_bytes(),
            "notes": b"my notes\n",
            "photo": photo(),
            "photo by another program": photo(b"GIMP"),
            "drawing": DRAWING,
            # Blank as far as the bound reads, with data after it: not empty.
            "blank head": b"\n" * HEAD_BYTES + b"data\n",
        }
        yield {"root": root, "url": server.url, "files": files}


@pytest.fixture
def folder(made: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("ds", "a.jsonl", "j.jsonl", "p.jsonl", "src.jsonl"):
        source = made["root"] / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    return tmp_path


def target_of(output: str) -> Path:
    return Path("out" + (output.split()[-1] if output.endswith((".png", ".svg")) else ".out"))


@pytest.mark.parametrize("output", sorted(OUTPUTS))
def test_a_file_of_another_kind_is_refused_and_kept(
    output: str, made: dict[str, Any], folder: Path
) -> None:
    args, own = OUTPUTS[output]
    target = target_of(output)
    foreign = sorted(set(made["files"]) - own)
    assert len(foreign) >= 10
    for kind in foreign:
        before = made["files"][kind]
        target.write_bytes(before)
        result = invoke(args, made["url"], target)
        assert_one_error_line(result, f"{target}: exists and is not ")
        assert target.read_bytes() == before, kind
        assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize("output", sorted(OUTPUTS))
def test_its_own_earlier_output_and_an_empty_file_are_replaced(
    output: str, made: dict[str, Any], folder: Path
) -> None:
    args, own = OUTPUTS[output]
    target = target_of(output)
    fresh = Path("fresh" + target.suffix)
    assert invoke(args, made["url"], fresh).exit_code == 0
    for before in [b"", b"\n \n", *(made["files"][kind] for kind in sorted(own))]:
        target.write_bytes(before)
        result = invoke(args, made["url"], target)
        assert result.exit_code == 0, result.output
        # Same input, same bytes: a rerun over its own output is the output a first run gives.
        assert target.read_bytes() == fresh.read_bytes()


def test_every_file_output_of_every_command_is_covered() -> None:
    """A new output option (an `OutputFile`) must come with its kind and a row above."""

    def walk(command: click.Command, path: str) -> Iterator[str]:
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield from walk(sub, f"{path} {name}".strip())
            return
        for param in command.params:
            if isinstance(param.type, OutputFile):
                yield f"{path} {param.opts[0]}"

    found = set(walk(main, ""))
    covered = {
        " ".join(name.split()[:-1]) if name.endswith((".png", ".svg")) else name for name in OUTPUTS
    } | set(NOT_REPLACED_WHOLE)
    assert found == covered


def test_the_head_read_is_bounded(tmp_path: Path) -> None:
    """Recognition reads at most HEAD_BYTES (+1, to know the file is longer): a kind's line
    past the bound is not seen, so the file is refused, whatever its size."""
    seen: list[int] = []

    def line_ok(obj: object) -> bool:
        return obj == {"k": 1}

    kind = json_lines_kind("a test file", line_ok)
    recording = OutputKind(kind.name, lambda head: seen.append(len(head)) or kind.ours(head))
    ours = tmp_path / "ours.jsonl"
    ours.write_bytes(b'{"k": 1}\n' + b"x" * (3 * HEAD_BYTES))
    check_replaceable(ours, recording)
    late = tmp_path / "late.jsonl"
    late.write_bytes(b" " * HEAD_BYTES + b'{"k": 1}\n')
    with pytest.raises(InputError, match=r"late\.jsonl: exists and is not a test file"):
        check_replaceable(late, recording)
    assert seen
    assert max(seen) <= HEAD_BYTES
    write_atomic(ours, "new\n", kind=recording)
    assert ours.read_text() == "new\n"


def test_a_file_written_while_the_output_was_made_is_kept(tmp_path: Path) -> None:
    """The kind is judged again under the lock just before the rename: a picture another
    program wrote there meanwhile is not replaced by the finished chart."""
    target = tmp_path / "c.png"
    theirs = photo()

    def draw(temporary: Path) -> None:
        target.write_bytes(theirs)  # another program, while the chart is drawn
        temporary.write_bytes(photo(b"sgbench"))

    from sgbench.stats.plots import CHART

    with pytest.raises(InputError, match=r"c\.png: exists and is not a chart of sgbench"):
        write_atomic(target, draw, kind=CHART)
    assert target.read_bytes() == theirs
    assert [p.name for p in tmp_path.iterdir()] == ["c.png"]


def test_dash_is_standard_output_and_a_file_named_dash_is_kept(
    made: dict[str, Any], folder: Path
) -> None:
    """`--json -` prints the report; a file of yours named `-` is neither read nor replaced."""
    Path("-").write_bytes(b"my notes\n")
    result = invoke(["score", "p.jsonl", "--dataset", "ds", "--bootstrap", "0", "--json", "-"], "")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith('{\n  "sgbench_version": ')
    assert Path("-").read_bytes() == b"my notes\n"


def test_a_file_that_cannot_be_read_is_not_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing shows that an unreadable file (mode 000, not root's) is sgbench's, and the rename
    would replace it all the same: refused. Simulated, as the suite may run as root."""
    target = tmp_path / "r.json"
    target.write_bytes(b"private\n")
    real_open = Path.open

    def refusing(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == target:
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refusing)
    kind = OutputKind("a test report", lambda head: True)
    with pytest.raises(InputError, match=r"r\.json: exists and cannot be read \(Permission"):
        write_atomic(target, "{}\n", kind=kind)
    monkeypatch.undo()
    assert target.read_bytes() == b"private\n"


def test_a_score_report_is_told_from_other_json_opening_alike() -> None:
    """``stats.json`` and ``leaderboard.json`` open with ``sgbench_version`` then ``dataset``,
    as a score report does; ``score --json`` replaced them. A report written by ``to_json`` (its
    ``dataset`` holding the ``files`` object) is still recognised."""
    from sgbench.scoring.report import SCORE_REPORT

    dataset = (
        '{"name": "wvs-sg-subgroups", "version": "1.0.0", "synthetic": true, "config": "default", '
        '"files": {"test.parquet": "ab{c}", "train.parquet": "d\\"e"}}'
    )
    report = f'{{\n  "sgbench_version": "1",\n  "dataset": {dataset},\n  "split": "test",\n'
    report += '  "predictions_sha256": "00",\n  "metrics": {}\n}'
    assert SCORE_REPORT.ours(report.encode())
    for other in [
        f'{{"sgbench_version": "1", "dataset": {dataset}, "splits": ["test"]}}',  # leaderboard
        f'{{"sgbench_version": "1", "dataset": {dataset}, "counts": {{}}}}',  # stats.json
        '{"sgbench_version": "1", "judgments_sha256": "00"}',  # judge-report
    ]:
        assert not SCORE_REPORT.ours(other.encode()), other
