"""A predictions line nested far deeper than sgbench reads is one problem of its line, never a
crash (issue #15).

The column-wise predictions reader handed the file to pyarrow's JSON reader, whose C++ builder
recurses once per level on a worker thread: an extra key nested 20,000 deep (a 40 KB line)
killed ``score``, the whole ``leaderboard``, ``validate SUB --dataset`` and a Python caller of
``score_predictions`` with a segmentation fault, where the strict reader refuses it. Nothing
reaches that parser now before :func:`sgbench.jsonl.too_deep_line` has bounded its nesting.

Each command runs in a process of its own: a crash must fail its test, not end the test run.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from cli_contract import module_environment, run_module
from scoring_fixtures import FOUR_POINT, make_row, submission_metadata, write_dataset

from sgbench import jsonl
from sgbench.cli import EXIT_LEFT_OUT
from sgbench.jsonl import MAX_DEPTH, too_deep_line

# Enough samples that a line 100,000 deep (200 KB) is within the predictions file's size bound.
QUESTIONS = tuple(f"Q{n}" for n in range(1, 61))
SUBGROUPS = ({"sex": "Male"}, {"sex": "Female"})
ROWS = [make_row(q, s, FOUR_POINT, [5, 3, 1, 1]) for q in QUESTIONS for s in SUBGROUPS]
DEPTHS = (20_000, 100_000)
PROBLEM = "line 2: JSON nested more than 64 levels deep"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    id_rows = [make_row(q, {"age_group": "16-24"}, FOUR_POINT, [1, 3, 5, 1]) for q in QUESTIONS]
    train = [make_row(q, {"age_group": "65+"}, FOUR_POINT, [1, 1, 5, 3]) for q in QUESTIONS]
    splits = {"test_ood": ROWS, "test_id": id_rows, "train": train}
    return write_dataset(tmp_path_factory.mktemp("deep") / "ds", splits)


def honest_lines() -> list[str]:
    return [json.dumps({"id": row["id"], "answer": 1}) for row in ROWS]


def deep_predictions(depth: int) -> str:
    """Honest predictions but for line 2, which carries an extra key nested ``depth`` deep."""
    lines = honest_lines()
    extra = "[" * depth + "]" * depth
    lines[1] = json.dumps({"id": ROWS[1]["id"], "answer": 1})[:-1] + f', "extra": {extra}}}'
    return "\n".join(lines) + "\n"


def submit(root: Path, slug: str, predictions: str) -> None:
    folder = root / slug
    folder.mkdir(parents=True)
    meta = submission_metadata(model=slug)
    (folder / "submission.json").write_text(json.dumps(meta), encoding="utf-8")
    (folder / "predictions.jsonl").write_text(predictions, encoding="utf-8")


def assert_refused(result: subprocess.CompletedProcess[str], *fragments: str) -> list[str]:
    """Exit code 2 (a segmentation fault is -11), no traceback, an ``Error:`` line last and
    every fragment in stderr; returns stderr's non-blank lines."""
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines, result.stderr
    assert lines[-1].startswith("Error: "), lines
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr[-2000:]
    return lines


@pytest.mark.parametrize("depth", DEPTHS)
def test_score_refuses_the_line_in_one_error_line(
    depth: int, dataset: Path, tmp_path: Path
) -> None:
    (tmp_path / "deep.jsonl").write_text(deep_predictions(depth), encoding="utf-8")
    args = ["score", "deep.jsonl", "--dataset", str(dataset), "--bootstrap", "0"]
    result = run_module([*args, "--permutations", "0"], tmp_path, stdout=subprocess.DEVNULL)
    lines = assert_refused(result)
    assert lines == [f"Error: deep.jsonl: {PROBLEM}"]


@pytest.mark.parametrize("depth", DEPTHS)
def test_the_leaderboard_leaves_out_only_that_entry(
    depth: int, dataset: Path, tmp_path: Path
) -> None:
    root = tmp_path / "submissions"
    submit(root, "honest", "\n".join(honest_lines()) + "\n")
    submit(root, "deep", deep_predictions(depth))
    args = ["leaderboard", str(root), "--dataset", str(dataset), "--bootstrap", "0"]
    out = tmp_path / "out"
    result = run_module([*args, "--permutations", "0", "--out", str(out)], tmp_path)
    assert result.returncode == EXIT_LEFT_OUT, (result.returncode, result.stderr[-2000:])
    assert f"deep/predictions.jsonl: {PROBLEM}" in result.stderr
    board = json.loads((out / "leaderboard.json").read_text(encoding="utf-8"))
    assert [(entry["rank"], entry["slug"]) for entry in board["entries"]] == [(1, "honest")]
    assert board["excluded"] == [
        {"slug": "deep", "problems": [f"deep/predictions.jsonl: {PROBLEM}"]}
    ]


@pytest.mark.parametrize("depth", DEPTHS)
def test_validate_refuses_the_submission(depth: int, dataset: Path, tmp_path: Path) -> None:
    submit(tmp_path, "deep", deep_predictions(depth))
    result = run_module(["validate", "deep", "--dataset", str(dataset)], tmp_path)
    assert_refused(result, f"deep/predictions.jsonl: {PROBLEM}")


SCORE_FROM_PYTHON = """
import sys
from sgbench.errors import InputError
from sgbench.scoring import score_predictions
try:
    score_predictions(sys.argv[1], sys.argv[2], n_boot=0, n_permutations=0)
except InputError as exc:
    print(str(exc))
    sys.exit(7)
"""


@pytest.mark.parametrize("depth", DEPTHS)
def test_score_predictions_raises_input_error(depth: int, dataset: Path, tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_text(deep_predictions(depth), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-c", SCORE_FROM_PYTHON, str(path), str(dataset)],
        capture_output=True,
        text=True,
        timeout=120,
        env=module_environment(),
        check=False,
    )
    assert result.returncode == 7, (result.returncode, result.stderr[-2000:])
    assert result.stdout.strip() == f"{path}: {PROBLEM}"


def byte_by_byte(data: bytes) -> int | None:
    """:func:`too_deep_line` written as the plain loop it vectorises: a quote after an odd run
    of backslashes is escaped, any other toggles a string, a closing bracket with none open
    is ignored, and a newline ends both."""
    for number, line in enumerate(data.split(b"\n"), 1):
        depth, in_string, backslashes = 0, False, 0
        for byte in line:
            escaped = backslashes % 2 == 1
            backslashes = backslashes + 1 if byte == ord("\\") else 0
            if byte == ord('"') and not escaped:
                in_string = not in_string
            elif not in_string and byte in b"[{":
                depth += 1
                if depth > MAX_DEPTH:
                    return number
            elif not in_string and byte in b"]}":
                depth = max(depth - 1, 0)
    return None


@pytest.mark.parametrize("piece", [1, 3, 7, jsonl.SCAN_PIECE_BYTES])
def test_the_scan_reads_as_a_loop_over_the_bytes_would(
    piece: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small pieces: a string, a run of backslashes and a nesting carried from piece to piece.
    monkeypatch.setattr(jsonl, "SCAN_PIECE_BYTES", piece)
    rng = random.Random(piece)
    alphabet = [b"[", b"{", b"]", b"}", b'"', b"\\", b"\n", b"a", b" "]
    for _ in range(1000):
        weights = [rng.random() for _ in alphabet]
        data = b"".join(rng.choices(alphabet, weights=weights, k=rng.randint(0, 400)))
        if rng.random() < 0.5:  # around the bound, where the two could disagree
            data += b"[" * rng.randint(MAX_DEPTH - 4, MAX_DEPTH + 4) + data
        assert too_deep_line(data) == byte_by_byte(data), data


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("[" * 64 + "]" * 64, None),
        ("[" * 65 + "]" * 65, 1),
        ('{"a": 1}\n\n{"b": ' + "[" * 65 + "]" * 65 + "}", 3),
        # Brackets in a string are text, whatever its escapes.
        ('{"response": "' + "[" * 500 + '"}', None),
        ('{"response": "\\"' + "[" * 500 + '"}', None),
        # After an escaped backslash the quote ends the string.
        ('{"response": "\\\\", "x": ' + "[" * 65 + "]" * 65 + "}", 1),
        # Nesting and strings end with their line: neither carries over to the next.
        ("[" * 40 + "\n" + "[" * 40, None),
        ('{"a": "open\n' + "[" * 65 + "]" * 65, 2),
        # A closing bracket is no credit for the levels after it.
        ("]" * 100 + "[" * 65, 1),
        # Lines with many brackets in strings are measured, and passed, on the way to a deep one.
        (('{"r": "' + "[" * 100 + '"}\n') * 3 + "{}\n" * 5 + "[" * 65, 9),
    ],
)
@pytest.mark.parametrize("piece", [2, jsonl.SCAN_PIECE_BYTES])
def test_the_scan_on_chosen_lines(
    text: str, line: int | None, piece: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jsonl, "SCAN_PIECE_BYTES", piece)
    assert too_deep_line(text.encode()) == line


def test_the_bound_is_the_strict_readers() -> None:
    assert MAX_DEPTH == jsonl.MAX_DEPTH == 64
    with pytest.raises(ValueError, match="JSON nested more than 64 levels deep"):
        jsonl.loads_strict("[" * 65 + "]" * 65)
