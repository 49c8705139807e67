"""A user's JSON Lines file never costs memory in proportion to its size (issue 15, "Large
prediction files are read whole"): one rule in `sgbench.jsonl`.

- a file read whole (a predictions file, for `score`'s column-wise reader) is refused by its size
  before it is read, against the largest file the dataset can need
  (`largest_predictions_file`): one `Error:` line naming the file, its size and the bound;
- every other file (responses for `judge` and `parse`, judgments for `judge-report`, the JSON
  Lines or CSV SOURCE of `import paper-outputs`, the `--out` that `run` resumes) is streamed a
  line at a time (`JsonLines`, `raw_lines`): a line longer than `MAX_LINE_BYTES` is a problem of its
  own, skipped unread, so even a file with no newline is never held whole; problems past
  `MAX_KEPT_PROBLEMS` are counted, not kept.

Sparse files (`truncate`) and small monkeypatched bounds keep the tests fast and light.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_contract import assert_one_error_line
from click.testing import CliRunner, Result
from scoring_fixtures import HAND_PREDICTIONS, write_hand_dataset

import sgbench.jsonl as jsonl
from sgbench.cli import main
from sgbench.errors import InputError
from sgbench.judge.run import read_responses
from sgbench.scoring import predictions
from sgbench.scoring.data import load_scoring_data
from sgbench.scoring.predictions import PredictionsError, largest_predictions_file

SMALL_LINE = 1 << 20
"""MAX_LINE_BYTES in these tests (the real one is 64 MiB)."""


def invoke(args: list[str]) -> Result:
    return CliRunner().invoke(main, args)


def sparse(path: Path, size: int) -> Path:
    """A file of ``size`` NUL bytes that takes no space (no newline: one line)."""
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


def bound_of(dataset: Path) -> int:
    return largest_predictions_file([load_scoring_data(dataset, "default", "test_ood")]).limit


def test_score_refuses_a_predictions_file_over_its_bound_unread(
    built_default: Path, tmp_path: Path
) -> None:
    """An 8 GiB predictions file would take ~80 GB to read: refused by its size alone."""
    path = sparse(tmp_path / "p.jsonl", 8 << 30)
    bound = bound_of(built_default)
    result = invoke(["score", str(path), "--dataset", str(built_default)])
    assert_one_error_line(
        result,
        f"{path}: {8 << 30:,} bytes, larger than {bound:,} bytes, the most a predictions file "
        "for this dataset needs",
        "; not read",
    )


def test_score_reads_a_predictions_file_at_its_bound(tmp_path: Path) -> None:
    """The bound is exact: honest predictions padded to it score as they do unpadded; one byte
    more and the file is not read (on the hand-worked dataset, whose bound is small)."""
    dataset = write_hand_dataset(tmp_path / "ds")
    honest = "".join(json.dumps(p) + "\n" for p in HAND_PREDICTIONS)
    plain = tmp_path / "plain.jsonl"
    plain.write_text(honest, encoding="utf-8")
    bound = bound_of(dataset)
    padded = tmp_path / "padded.jsonl"
    padded.write_text(honest + "\n" * (bound - len(honest.encode())), encoding="utf-8")
    assert padded.stat().st_size == bound
    settings = ["--dataset", str(dataset), "--bootstrap", "0", "--permutations", "0"]
    expected = invoke(["score", str(plain), *settings])
    assert expected.exit_code == 0, expected.output
    at_bound = invoke(["score", str(padded), *settings])
    assert at_bound.exit_code == 0, at_bound.output
    assert at_bound.stdout == expected.stdout.replace(str(plain), str(padded))
    with padded.open("ab") as handle:
        handle.write(b"\n")
    assert_one_error_line(invoke(["score", str(padded), *settings]), f"{bound + 1:,} bytes")


def responses_line(sample_id: str, text: str) -> str:
    return json.dumps({"id": sample_id, "response": text, "model": "m", "template": "paper"})


def import_paper_outputs(data: Path, path: Path, tmp: Path) -> list[str]:
    """`import paper-outputs` of ``path`` (a JSON Lines or CSV source) into a fresh file."""
    return [
        "import",
        "paper-outputs",
        str(path),
        "--dataset",
        str(data),
        "--out",
        str(tmp / "imported.jsonl"),
    ]


def judge(data: Path, a: Path, b: Path, out: Path) -> list[str]:
    """``judge A B --out OUT``, its endpoint a port nothing answers on (9, discard)."""
    base = ["--base-url", "http://127.0.0.1:9/v1", "--model", "judge"]
    return ["judge", str(a), str(b), "--dataset", str(data), *base, "--out", str(out)]


STREAMED: dict[str, Callable[[Path, Path, Path], list[str]]] = {
    "judge": lambda data, path, tmp: judge(data, path, tmp / "b.jsonl", tmp / "j.jsonl"),
    "judge-report": lambda data, path, tmp: ["judge-report", str(path)],
    "parse": lambda data, path, tmp: ["parse", str(path), "--dataset", str(data)],
    "import paper-outputs": import_paper_outputs,
    "import paper-outputs (CSV SOURCE)": import_paper_outputs,
    "run (resuming --out)": lambda data, path, tmp: [
        "run",
        "--base-url",
        "http://127.0.0.1:9/v1",
        "--model",
        "m",
        "--dataset",
        str(data),
        "--limit",
        "2",
        "--out",
        str(path),
    ],
    "judge (resuming --out)": lambda data, path, tmp: judge(
        data, tmp / "a.jsonl", tmp / "b.jsonl", path
    ),
}
"""Every command reading a user's JSON Lines file other than a predictions file: the file
under test is ``path``; the others are honest."""


@pytest.fixture
def honest_responses(test_ood_ids: tuple[str, ...], tmp_path: Path) -> None:
    """A and B: honest responses to the first two samples of test_ood."""
    ids = test_ood_ids[:2]
    for name in ("a.jsonl", "b.jsonl"):
        lines = [responses_line(i, f"Answer: 1 ({name})") for i in ids]
        (tmp_path / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.usefixtures("honest_responses")
@pytest.mark.parametrize("command", sorted(STREAMED))
def test_a_file_without_a_newline_is_never_held_whole(
    command: str, built_default: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sparse file of NUL bytes and no newline is one line: read whole, 100 MB took 1.4 GB in
    `judge`. Streamed, it is one problem past the line bound, named on one `Error:` line, and
    the reader never asks for more than a block at a time."""
    monkeypatch.setattr(jsonl, "MAX_LINE_BYTES", SMALL_LINE)
    asked: list[int] = []
    real_split = jsonl._split_blocks

    def watched(handle: object, digest: object = None) -> object:
        class Watched:
            def read(self, size: int = -1) -> bytes:
                asked.append(size)
                return handle.read(size)  # type: ignore[attr-defined,no-any-return]

        return real_split(Watched(), digest)

    monkeypatch.setattr(jsonl, "_split_blocks", watched)
    # pandas read a CSV SOURCE's line whole: a 1 GB one took 40 s and gigabytes.
    name = "hostile.csv" if "CSV" in command else "hostile.jsonl"
    path = sparse(tmp_path / name, 64 * SMALL_LINE)
    result = invoke(STREAMED[command](built_default, path, tmp_path))
    assert_one_error_line(result, str(path), "line 1: ")
    if "resuming" not in command:
        assert f"longer than {SMALL_LINE:,} bytes; not read" in result.stderr
    assert asked
    assert all(0 < size <= jsonl._BLOCK_BYTES for size in asked)
    assert path.stat().st_size == 64 * SMALL_LINE  # never rewritten


@pytest.mark.parametrize("command", ["judge", "judge-report", "parse"])
@pytest.mark.usefixtures("honest_responses")
def test_problems_past_the_kept_ones_are_counted(
    command: str, built_default: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file of many bad lines keeps the first problems only; the message lists the first 50
    and counts every other one, as if all had been kept."""
    monkeypatch.setattr(jsonl, "MAX_KEPT_PROBLEMS", 60)
    path = tmp_path / "bad.jsonl"
    path.write_text("oops\n" * 500, encoding="utf-8")
    result = invoke(STREAMED[command](built_default, path, tmp_path))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert lines[0] == f"Error: {path}: line 1: not valid JSON (Expecting value at column 1)"
    assert lines[49] == f"{path}: line 50: not valid JSON (Expecting value at column 1)"
    assert lines[50:] == [f"{path}: 450 more problem(s) not shown (first 50 listed)"]


def test_a_predictions_file_read_whole_keeps_only_the_first_problems(
    built_default: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read whole, a predictions file kept every line and every problem: 60 MB of lines `x`
    (within the bound) took 7.4 GB. Its lines are made one at a time and its problems past the
    kept ones counted, as in a streamed file; the message is unchanged."""
    monkeypatch.setattr(jsonl, "MAX_KEPT_PROBLEMS", 60)
    data = load_scoring_data(built_default, "default", "test_ood")
    _, problems = predictions._strict_records("p.jsonl", b"oops\n" * 500, data)
    assert (len(problems), jsonl.problem_count(problems)) == (60, 500)
    path = tmp_path / "bad.jsonl"
    path.write_text("oops\n" * 500, encoding="utf-8")
    result = invoke(["score", str(path), "--dataset", str(built_default), "--bootstrap", "0"])
    lines = result.stderr.splitlines()
    assert result.exit_code == 2, result.output
    assert lines[0] == f"Error: {path}: line 1: not valid JSON (Expecting value at column 1)"
    assert lines[50:] == [f"{path}: 450 more problem(s) not shown (first 50 listed)"]


def split_by_hand(data: bytes) -> list[tuple[int, bytes | None, bool]]:
    """What `raw_lines` should give, worked out on the whole bytes: lines after a dropped
    byte-order mark, None for one over the line bound, no empty text after a final newline."""
    data = data.removeprefix(jsonl.BOM)
    pieces = data.split(b"\n")
    expected: list[tuple[int, bytes | None, bool]] = []
    for number, piece in enumerate(pieces, start=1):
        last = number == len(pieces)
        if last and not piece:
            break
        expected.append((number, None if len(piece) > jsonl.MAX_LINE_BYTES else piece, not last))
    return expected


@pytest.mark.parametrize("seed", range(40))
def test_lines_split_across_blocks_as_on_the_whole_file(
    seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blocks of 7 bytes and a line bound of 20: every line, however it falls across blocks,
    is what splitting the whole file gives."""
    monkeypatch.setattr(jsonl, "_BLOCK_BYTES", 7)
    monkeypatch.setattr(jsonl, "MAX_LINE_BYTES", 20)
    rng = random.Random(seed)
    alphabet = [b"a", b"\n", b"\r", b" ", b"\xc3\xa9", b"\xff", b"{}"]
    data = b"".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 120)))
    if seed % 3 == 0:
        data = jsonl.BOM + data
    path = tmp_path / "f.jsonl"
    path.write_bytes(data)
    assert list(jsonl.raw_lines(path)) == split_by_hand(data)
    # And the text lines: as split_lines gives them on the whole bytes (lines within the bound).
    if all(len(p) <= 20 for p in data.removeprefix(jsonl.BOM).split(b"\n")):
        streamed = jsonl.read_lines(path)

        def stream() -> object:
            return list(streamed), list(streamed.problems), streamed.count

        def whole() -> object:
            lines, problems = jsonl.split_lines(path, data.removeprefix(jsonl.BOM))
            return list(lines), list(problems), lines.count

        assert outcome(stream) == outcome(whole)


def outcome(read: Callable[[], object]) -> object:
    """What ``read`` returns, or the message of the InputError it raises."""
    try:
        return read()
    except InputError as exc:
        return str(exc)


def test_judge_keeps_only_the_responses_of_the_split(tmp_path: Path) -> None:
    """`judge` reads A and B with the split's ids: responses of other samples are checked
    (a duplicate is still a problem) but not kept, so memory holds the split, not the file."""
    path = tmp_path / "r.jsonl"
    lines = [responses_line("in/1", "Answer: 1"), responses_line("out/1", "Answer: 2")]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert read_responses(path).texts == {"in/1": "Answer: 1", "out/1": "Answer: 2"}
    kept = read_responses(path, {"in/1"})
    assert kept.texts == {"in/1": "Answer: 1"}
    assert kept.n_lines == 2
    path.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")
    with pytest.raises(PredictionsError, match="line 3: duplicate id 'out/1'"):
        read_responses(path, {"in/1"})
