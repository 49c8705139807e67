"""The run family's Python functions agree with their commands on what they accept, and give the
same result whatever spelling the arguments take (probe 10 of #15):

- an argument the others make meaningless is refused alike from Python and the command line
  (``sgbench.errors.refuse_without_effect``);
- an output is kept apart from the inputs by the function, not only by the command
  (``write_leaderboard`` here; ``run_benchmark`` and ``judge_files`` are derived by
  ``tests/api_boundary.py``'s ``inside-`` cases);
- judge criteria in any order ask and record the same judgments;
- a ``Path`` names a template file, never the built-in template of that name;
- a file another *thread* of this process is still writing is refused as another process's;
- ``import_paper_outputs`` reads the dataset through its checks (hashes, built configs).
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from api_entries_run import _judgments_file
from cli_contract import assert_one_error_line
from click.testing import CliRunner, Result
from fake_openai import LoopbackChatServer, run_quickly, serving
from leaderboard_fixtures import metadata, ood_ids, sample_id, submit, write_board_dataset, wrong_on

from sgbench.cli import main
from sgbench.errors import InputError
from sgbench.judge import judge_files, judge_report
from sgbench.leaderboard import build_leaderboard, write_leaderboard
from sgbench.paper import import_paper_outputs
from sgbench.runner import Endpoint, RetryPolicy, SamplingParams
from sgbench.scoring import parse_responses

FAST = RetryPolicy(max_attempts=2, base_delay=0.0, max_delay=0.0, jitter=0.0)


def invoke(args: list[str]) -> Result:
    return CliRunner().invoke(main, args)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackChatServer]:
    with serving(LoopbackChatServer(lambda body: "Answer: 1"), monkeypatch) as fake:
        yield fake


def _run(server: LoopbackChatServer, dataset: Path, out: Path, **changes: Any) -> Any:
    return run_quickly(server, dataset, out, **changes)


# --- arguments without effect ------------------------------------------------------------------

NO_EFFECT: list[tuple[Callable[[], dict[str, Any]], list[str], str]] = [
    # (Python arguments of run_benchmark, the same request on the command line, the refusal)
    (lambda: {"samples": 5}, ["--samples", "5"], "samples 5"),
    (
        lambda: {"distribution": "verbalized"},
        ["--distribution", "verbalized", "--template", "paper"],
        "distribution='verbalized'",
    ),
    (
        lambda: {"params": SamplingParams(max_tokens=5, max_completion_tokens=7)},
        ["--max-tokens", "5", "--max-completion-tokens", "7"],
        "max_tokens 5",
    ),
]


@pytest.mark.parametrize(("python", "cli", "refusal"), NO_EFFECT, ids=["samples", "verb", "max"])
def test_an_argument_without_effect_is_refused_from_python_as_on_the_command_line(
    server: LoopbackChatServer,
    tmp_path: Path,
    python: Callable[[], dict[str, Any]],
    cli: list[str],
    refusal: str,
) -> None:
    dataset = write_board_dataset(tmp_path / "ds")
    with pytest.raises(InputError, match="has no effect") as caught:
        _run(server, dataset, tmp_path / "r.jsonl", **python())
    assert str(caught.value).startswith(refusal)
    args = ["run", "--base-url", server.url, "--model", "m", "--dataset", str(dataset)]
    result = invoke([*args, "--out", str(tmp_path / "c.jsonl"), "--limit", "1", *cli])
    assert_one_error_line(result, "has no effect")
    assert server.bodies == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]


def test_the_defaults_and_the_arguments_that_take_effect_are_accepted(
    server: LoopbackChatServer, tmp_path: Path
) -> None:
    dataset = write_board_dataset(tmp_path / "ds")
    _run(server, dataset, tmp_path / "a.jsonl", samples=10)  # the default, as if not given
    _run(
        server, dataset, tmp_path / "b.jsonl", distribution="verbalized", template_name="verbalized"
    )
    params = SamplingParams(max_tokens=None, max_completion_tokens=7)
    _run(server, dataset, tmp_path / "c.jsonl", params=params)
    assert server.bodies[-1]["max_completion_tokens"] == 7
    assert "max_tokens" not in server.bodies[-1]


def test_resample_without_replicates_is_refused_from_python(tmp_path: Path) -> None:
    """The board and the judge report recorded ``questions+subgroups`` with no replicate drawn."""
    dataset = write_board_dataset(tmp_path / "ds")
    subs = tmp_path / "subs"
    submit(subs, "alpha", wrong_on(set(), 1), metadata(model="Alpha"))
    judgments = _judgments_file(tmp_path / "j.jsonl")
    calls = (
        lambda resample: build_leaderboard(
            subs, dataset, n_boot=0, n_permutations=0, resample=resample
        ),
        lambda resample: judge_report(judgments, n_boot=0, n_permutations=0, resample=resample),
    )
    for call in calls:
        with pytest.raises(InputError, match="resample 'questions\\+subgroups' has no effect"):
            call("questions+subgroups")
        assert call("questions").resample == "questions"


def test_a_board_without_replicates_takes_the_seed_and_mode_of_its_permutations(
    tmp_path: Path,
) -> None:
    """The board's paired intervals were asked with its seed and mode even with n_boot 0, and
    refused them as drawing nothing ('seed 5 has no effect with n_boot 0 and n_permutations 0',
    from a board given 50 permutations)."""
    dataset = write_board_dataset(tmp_path / "ds")
    subs = tmp_path / "subs"
    submit(subs, "alpha", wrong_on(set(), 1), metadata(model="Alpha"))
    submit(subs, "beta", wrong_on({0, 1}, 1), metadata(model="Beta"))
    board = build_leaderboard(
        subs, dataset, n_boot=0, n_permutations=50, seed=5, resample="questions+subgroups"
    )
    assert (board.seed, board.resample) == (5, "questions+subgroups")
    assert [row.leader_gap_ci for row in board.rows] == [None, None]
    assert board.rows[1].leader_p_value is not None


# --- outputs apart -----------------------------------------------------------------------------


@pytest.mark.parametrize("inside", ["subs", "ds"])
def test_write_leaderboard_keeps_out_of_what_the_board_was_built_from(
    tmp_path: Path, inside: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Written into SUBMISSIONS, the board became an excluded 'submission' of the next build;
    the board remembers its inputs absolutely, so a change of folder does not move them."""
    write_board_dataset(tmp_path / "ds")
    subs = tmp_path / "subs"
    submit(subs, "alpha", wrong_on(set(), 1), metadata(model="Alpha"))
    monkeypatch.chdir(tmp_path)
    board = build_leaderboard(Path("subs"), Path("ds"), n_boot=0, n_permutations=0)
    monkeypatch.chdir(subs / "alpha")
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    with pytest.raises(InputError, match="would overwrite the input"):
        write_leaderboard(board, tmp_path / inside / "board")
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before
    written = write_leaderboard(board, tmp_path / "board")
    assert sorted(p.name for p in written.iterdir() if not p.name.startswith(".")) == [
        "index.html",
        "leaderboard.csv",
        "leaderboard.json",
        "leaderboard.md",
    ]


def test_write_stats_and_write_report_keep_out_of_the_dataset_they_were_computed_from(
    built_default: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`stats --out DS/x`, `score --json DS/x` and `score --plot DS/x` are refused; write_stats,
    write_report (probe s12 F01, C18) and write_score_chart (probe s13 F01) wrote into the
    dataset folder. The reports remember the folder absolutely."""
    from sgbench.baselines import run_baseline
    from sgbench.scoring import score_predictions, write_report
    from sgbench.stats import compute_stats, write_stats
    from sgbench.stats.plots import write_score_chart

    predictions = tmp_path / "p.jsonl"
    baseline = run_baseline("majority", built_default, split="test_id")
    predictions.write_text(baseline.to_jsonl(), encoding="utf-8")
    monkeypatch.chdir(built_default.parent)
    stats = compute_stats(Path(built_default.name))
    report = score_predictions(
        predictions, built_default.name, split="test_id", n_boot=0, n_permutations=0
    )
    monkeypatch.chdir(tmp_path)
    before = sorted(str(p) for p in built_default.rglob("*"))
    with pytest.raises(InputError, match="would overwrite the input"):
        write_stats(stats, built_default / "stats")
    with pytest.raises(InputError, match="would overwrite the input"):
        write_report(report, built_default / "report.json")
    # Refused before drawing, so also where matplotlib is missing; a relative path too.
    for chart in (built_default / "chart.png", Path(built_default.name) / "data" / "chart.svg"):
        monkeypatch.chdir(built_default.parent)
        with pytest.raises(InputError, match=r": path would overwrite the input .*\(dataset_dir\)"):
            write_score_chart(report, chart)
    monkeypatch.chdir(tmp_path)
    assert sorted(str(p) for p in built_default.rglob("*")) == before
    assert (write_stats(stats, "stats").paths[0]).is_file()
    write_report(report, "report.json")
    assert json.loads(Path("report.json").read_text(encoding="utf-8"))["split"] == "test_id"


# --- criteria order ----------------------------------------------------------------------------


def test_judge_criteria_in_any_order_record_one_list_and_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """("value", "overall") from Python recorded ['value', 'overall'], which the command
    line's --criteria value,overall (['overall', 'value']) then refused to resume."""
    reply = '{"overall": "1", "value": "tie"}'
    with serving(LoopbackChatServer(lambda body: reply), monkeypatch) as judge:
        dataset = write_board_dataset(tmp_path / "ds")
        ids = [sample_id(q, s) for q, s in ood_ids()[:2]]
        files = []
        for name in ("a", "b"):
            run = {"model": name, "template": "open", "params": {"temperature": 0.0}}
            lines = [json.dumps({"id": i, "response": f"{name} {i}", **run}) for i in ids]
            files.append(tmp_path / f"{name}.jsonl")
            files[-1].write_text("\n".join(lines) + "\n", encoding="utf-8")
        out = tmp_path / "j.jsonl"
        summary = judge_files(
            files[0],
            files[1],
            out,
            dataset=dataset,
            model="judge",
            endpoint=Endpoint(base_url=judge.url, timeout=5.0),
            criteria=("value", "overall"),
            policy=FAST,
            show_progress=False,
        )
        assert summary.n_judged == 4
        recorded = {tuple(json.loads(line)["criteria"]) for line in out.read_text().splitlines()}
        assert recorded == {("overall", "value")}
        args = [*map(str, files), "--base-url", judge.url, "--model", "judge"]
        result = invoke(
            [
                "judge",
                *args,
                "--dataset",
                str(dataset),
                "--criteria",
                "value,overall",
                "--out",
                str(out),
                "--no-progress",
            ]
        )
        assert result.exit_code == 0, result.output
        assert "4 already in" in result.stderr
        assert len(judge.bodies) == 4


# --- a Path is a file ---------------------------------------------------------------------------


def test_a_path_names_a_template_file_even_with_a_builtin_name(
    server: LoopbackChatServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = write_board_dataset(tmp_path / "ds")
    monkeypatch.chdir(tmp_path)
    Path("open").write_text("FROM THE FILE {question}\n{options}\n", encoding="utf-8")
    _run(server, dataset, tmp_path / "f.jsonl", template_name=Path("./open"))
    assert server.bodies[-1]["messages"][-1]["content"].startswith("FROM THE FILE")
    _run(server, dataset, tmp_path / "b.jsonl", template_name="open")  # a text: the built-in
    assert not server.bodies[-1]["messages"][-1]["content"].startswith("FROM THE FILE")
    with pytest.raises(InputError, match="would overwrite the input"):
        _run(server, dataset, Path("open"), template_name=Path("open"))


# --- threads -----------------------------------------------------------------------------------


def test_a_file_another_thread_is_writing_is_refused_then_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader thread got 3 of 12 lines as if they were all: the lock was asked of the
    process, and this process held it (in the writer thread)."""
    release = threading.Event()
    answered = threading.Semaphore(0)

    def slow(body: dict[str, Any]) -> str:
        answered.release()
        release.wait(10)
        return "Answer: 1"

    with serving(LoopbackChatServer(slow), monkeypatch) as model:
        dataset = write_board_dataset(tmp_path / "ds")
        out = tmp_path / "r.jsonl"
        runs: list[Any] = []
        writer = threading.Thread(
            target=lambda: runs.append(
                _run(
                    model,
                    dataset,
                    out,
                    limit=None,
                    concurrency=1,
                    endpoint=Endpoint(base_url=model.url, timeout=20.0),
                )
            )
        )
        writer.start()
        assert answered.acquire(timeout=10)  # the run holds its lock and waits for a reply
        with pytest.raises(InputError, match="being written by another sgbench process or"):
            parse_responses(out, dataset)
        release.set()
        writer.join(30)
    assert len(runs) == 1
    assert runs[0].summary.n_answered == len(ood_ids())
    assert parse_responses(out, dataset).n_lines == len(ood_ids())


# --- the importer reads through the dataset's checks -------------------------------------------


def test_import_refuses_an_edited_split_and_names_a_config_not_built(
    built_default: Path, tmp_path: Path
) -> None:
    source = tmp_path / "released.jsonl"
    source.write_text('{"custom_id": "Q1_sex_Male", "response": "Answer: 1"}\n', "utf-8")
    with pytest.raises(InputError, match="this build has no config 'temporal'"):
        import_paper_outputs(source, built_default, tmp_path / "o.jsonl", config="temporal")
    edited = tmp_path / "ds"
    shutil.copytree(built_default, edited)
    split = edited / "data" / "paper" / "test_ood-00000-of-00001.parquet"
    pq.write_table(pq.read_table(split).slice(1), split)  # one sample fewer, hashes as built
    with pytest.raises(
        InputError, match=r"manifest\.json records \d+: the dataset folder was changed"
    ):
        import_paper_outputs(source, edited, tmp_path / "o.jsonl")
    assert not (tmp_path / "o.jsonl").exists()
