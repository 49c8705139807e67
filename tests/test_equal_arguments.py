"""Equal arguments give equal results: a path however it is spelled (a text, a ``Path``, any
``os.PathLike``, an opened dataset for its folder), the lines of a responses file in whatever
order a run wrote them, and charts drawn by two threads at once. Each expectation is worked out
here, not read from the call under test (tests/api_boundary.py derives the same relations for
every public function)."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from fake_openai import LoopbackChatServer, run_quickly, serving
from leaderboard_fixtures import write_board_dataset
from scoring_fixtures import HAND_PREDICTIONS, hand_id, write_hand_dataset, write_jsonl

from sgbench.boundary import PathArg, public
from sgbench.dataset import BuiltDataset, load_split, open_dataset
from sgbench.errors import InputError
from sgbench.scoring import parse_responses, score_predictions
from sgbench.stats import compute_stats
from sgbench.stats.plots import stats_charts


class Folder:
    """A caller's own path-like object (``os.PathLike``, not a ``pathlib`` path)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __fspath__(self) -> str:
        return self.text


@public
def _paths(only: Path, either: str | Path, maybe: Path | None = None) -> tuple[Any, Any, Any]:
    return only, either, maybe


def test_a_path_argument_takes_a_text_or_any_path_like_as_a_path() -> None:
    assert _paths("a/b", "c") == (Path("a/b"), "c", None)
    assert _paths(Folder("a/b"), Folder("c"), "d") == (Path("a/b"), Path("c"), Path("d"))
    assert type(_paths(Path("x"), Path("y"))[0]) is type(Path("x"))
    # An empty text would read the working folder; a number is no path.
    with pytest.raises(InputError, match="argument 'only' is an empty path"):
        _paths("", "c")
    with pytest.raises(InputError, match="argument 'either' is an empty path"):
        _paths("a", "")
    with pytest.raises(InputError, match="argument 'maybe' must be Path or None, got int"):
        _paths("a", "c", 3)  # type: ignore[arg-type]


@public
def _path_arg(path: PathArg, dataset: PathArg | BuiltDataset = "d") -> tuple[Any, Any]:
    return path, dataset


def test_a_patharg_argument_keeps_a_text_and_takes_any_other_path_like_as_a_path(
    tmp_path: Path,
) -> None:
    """PathArg (``str | os.PathLike[str]``), the public functions' annotation: a text may be a
    name too (a built-in template, a Hub id), so it stays a text; another spelling is a Path,
    but an opened dataset where the parameter names its class stays the dataset."""
    assert _path_arg("paper") == ("paper", "d")
    assert _path_arg(Folder("a/b"), Folder("c")) == (Path("a/b"), Path("c"))
    opened = open_dataset(write_hand_dataset(tmp_path / "ds"))
    assert _path_arg(opened, opened) == (Path(opened.root), opened)
    with pytest.raises(InputError, match="argument 'path' is an empty path"):
        _path_arg("")
    with pytest.raises(
        InputError, match=r"argument 'dataset' must be str or os\.PathLike or BuiltDataset, got int"
    ):
        _path_arg("a", 3)  # type: ignore[arg-type]


class _Spelled:
    """A caller's path-like object whose ``__fspath__`` gives what it was made with."""

    def __init__(self, value: object) -> None:
        self.value = value

    def __fspath__(self) -> Any:
        return self.value


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        (_Spelled(b"p.jsonl"), "names its path as bytes, not text"),
        (_Spelled(5), "is not a path"),
        (_Spelled(""), "is an empty path"),
        ("p\0.jsonl", "holds a NUL byte"),
        (_Spelled("p\0.jsonl"), "holds a NUL byte"),
    ],
)
def test_a_path_whose_text_names_no_file_is_refused(path: Any, problem: str) -> None:
    """Taken as an ``os.PathLike``, a path returning bytes (or anything else) was a TypeError
    deep in the function, and a NUL byte in any path a ValueError: each names the argument.
    Every public function's paths go through this one check (``score_predictions`` here)."""
    with pytest.raises(InputError, match=f"argument 'path' {problem}"):
        _path_arg(path)
    with pytest.raises(InputError, match=f"argument 'predictions_path' {problem}"):
        score_predictions(path, "ds", split="test_ood")


def test_an_opened_dataset_names_its_folder(tmp_path: Path) -> None:
    root = write_hand_dataset(tmp_path / "ds")
    assert os.fspath(open_dataset(root)) == str(root)
    assert Path(open_dataset(str(root))) == root


def test_an_opened_dataset_is_taken_wherever_its_folder_is(tmp_path: Path) -> None:
    """compute_stats and score_predictions refused an opened dataset that run_baseline took."""
    root = write_hand_dataset(tmp_path / "ds")
    predictions = write_jsonl(tmp_path / "p.jsonl", HAND_PREDICTIONS)
    opened = open_dataset(root)
    by_object = score_predictions(predictions, opened, n_boot=0, n_permutations=0)
    by_folder = score_predictions(predictions, root, n_boot=0, n_permutations=0)
    assert by_object.to_json() == by_folder.to_json()
    # Eight of the nine samples predicted (Q3/S1 missing), the train sample skipped.
    counts = json.loads(by_object.to_json())
    assert (counts["n_scored"], counts["n_missing"], counts["n_skipped_other_splits"]) == (8, 1, 1)
    assert compute_stats(opened, top=2).to_json() == compute_stats(root, top=2).to_json()
    assert load_split(opened, "default", "test_ood").equals(load_split(root, "default", "test_ood"))


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Any:
    with serving(LoopbackChatServer(lambda body: "1"), monkeypatch) as fake:
        yield fake


def test_run_benchmark_takes_text_output_paths(server: LoopbackChatServer, tmp_path: Path) -> None:
    """run_benchmark refused a text out_path that import_paper_outputs took."""
    dataset = write_board_dataset(tmp_path / "ds")
    texts, paths = tmp_path / "texts", tmp_path / "paths"
    texts.mkdir()
    paths.mkdir()
    by_text = run_quickly(
        server, dataset, str(texts / "r.jsonl"), predictions_path=str(texts / "p.jsonl")
    )
    by_path = run_quickly(server, dataset, paths / "r.jsonl", predictions_path=paths / "p.jsonl")
    assert by_text.summary.n_total == by_path.summary.n_total == 1
    assert by_text.summary.out == texts / "r.jsonl"
    assert by_text.predictions_path == texts / "p.jsonl"
    answered = [json.loads(line) for line in (texts / "p.jsonl").read_text().splitlines()]
    assert [line["answer"] for line in answered] == [1]  # the server answers "1"
    for name in ("r.jsonl", "p.jsonl"):
        assert (texts / name).read_bytes() == (paths / name).read_bytes()


def test_parse_gives_the_datasets_order_whatever_the_lines_order(tmp_path: Path) -> None:
    """A run appends lines as replies finish: the predictions were in that order, so two runs of
    the same replies wrote different predictions files."""
    root = write_hand_dataset(tmp_path / "ds")
    replies = {
        hand_id("Q3", 2): {"response": "Answer: 2"},
        hand_id("Q1", 3): {"response": "no idea"},
        hand_id("Q2", 1): {"response": "Answer: 1"},
        hand_id("Q1", 1): {"response": "Answer: 3"},
        hand_id("Q2", 2): {"response": "", "refusal": "I cannot"},
        hand_id("Q1", 2): {"response": "gibberish"},
    }
    lines = [{"id": sample, **reply} for sample, reply in replies.items()]
    first = parse_responses(write_jsonl(tmp_path / "a.jsonl", lines), root)
    second = parse_responses(write_jsonl(tmp_path / "b.jsonl", lines[::-1]), root)
    assert [p["id"] for p in first.predictions] == [
        hand_id("Q1", 1),
        hand_id("Q2", 1),
        hand_id("Q3", 2),
    ]
    assert [p["answer"] for p in first.predictions] == [3, 1, 2]
    assert first.unparsed_ids == (hand_id("Q1", 2), hand_id("Q1", 3))
    assert [r["id"] for r in first.refused] == [hand_id("Q2", 2)]
    assert (first.predictions, first.unparsed_ids, first.refused) == (
        second.predictions,
        second.unparsed_ids,
        second.refused,
    )


def test_two_threads_draw_the_charts_one_thread_draws(tmp_path: Path) -> None:
    """matplotlib's settings are the process's: a thread leaving its settings put the user's
    back under the other thread's chart (two threads writing one stats folder wrote a mix)."""
    matplotlib = pytest.importorskip("matplotlib")
    report = compute_stats(write_hand_dataset(tmp_path / "ds"), top=2)
    alone = stats_charts(report, "svg")
    drawn: list[dict[str, bytes]] = []
    with matplotlib.rc_context({"lines.linewidth": 9.0, "font.size": 31.0}):  # the user's
        start = threading.Barrier(2)

        def draw() -> None:
            start.wait(timeout=30)
            for _ in range(3):
                drawn.append(stats_charts(report, "svg"))

        workers = [threading.Thread(target=draw) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
    assert len(drawn) == 6
    assert all(charts == alone for charts in drawn)
