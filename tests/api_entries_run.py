"""Boundary entries of the run family's public API: sgbench.runner, sgbench.judge,
sgbench.leaderboard, sgbench.paper (tests/api_boundary.py says what an entry is).

ENTRIES: one :class:`~api_boundary.Entry` per public callable. NOT_CALLED: every other public
name of these packages (``module.name`` → why it is not called: a constant, a result class
only sgbench constructs, an exception class).

Calls that send requests go to a :class:`~fake_openai.LoopbackChatServer` on 127.0.0.1 started
for the case (stopped when it ends), with a 5-second timeout and at most two attempts; nothing
reaches the network. Each valid call is hand-sized: two samples, the fewest bootstrap replicates
(``MIN_REPLICATES``).
"""

from __future__ import annotations

import json
import math
import shutil
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from api_boundary import Entry
from fake_openai import LoopbackChatServer
from leaderboard_fixtures import metadata, ood_ids, sample_id, submit, write_board_dataset, wrong_on
from scoring_fixtures import paper_score_report

from sgbench.judge import (
    CRITERIA,
    JUDGE_PROMPT,
    JudgeReport,
    JudgeSummary,
    judge_files,
    judge_report,
    parse_criteria,
    parse_verdicts,
    write_judge_report,
)
from sgbench.leaderboard import (
    OUTPUT_FILES,
    Leaderboard,
    SubmissionCheck,
    build_leaderboard,
    render_files,
    render_text,
    validate_submission,
    write_leaderboard,
)
from sgbench.paper import ImportResult, PaperTable, import_paper_outputs, paper_table
from sgbench.runner import (
    BenchmarkRun,
    Endpoint,
    RetryPolicy,
    SamplingParams,
    api_key_from_env,
    run_benchmark,
)
from sgbench.runner.client import MAX_TIMEOUT
from sgbench.scoring.bootstrap import MIN_REPLICATES

N_BOOT = MIN_REPLICATES
"""The fewest replicates the bootstrap accepts: intervals are not what these cases check."""

FAST = {"max_attempts": 2, "base_delay": 0.0, "max_delay": 0.0, "max_retry_after": 1.0}
"""Retries that never wait: a refused request costs two round trips on the loopback."""

JUDGE_REPLY = '{"overall": "1", "value": "tie", "persona": "2"}'


def _reply(body: dict[str, Any]) -> str:
    """A judge's verdicts to a judge request, else the answer ``1`` (every scale has code 1)."""
    system = str(body.get("messages", [{}])[0].get("content", ""))
    return JUDGE_REPLY if "impartial judge" in system else "1"


def _server(request: pytest.FixtureRequest) -> LoopbackChatServer:
    """A chat server on 127.0.0.1 for this case, stopped when the case ends; no proxy asked."""
    monkeypatch: pytest.MonkeyPatch = request.getfixturevalue("monkeypatch")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    server = LoopbackChatServer(_reply)
    server.thread.start()

    def stop() -> None:
        server.release.set()
        server.httpd.shutdown()
        server.httpd.server_close()

    request.addfinalizer(stop)
    return server


def _endpoint(request: pytest.FixtureRequest) -> Endpoint:
    return Endpoint(base_url=_server(request).url, timeout=5.0)


# --- sgbench.runner ---------------------------------------------------------------------------


def _endpoint_args(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"base_url": "http://127.0.0.1:9/v1", "api_key": "sk-test", "timeout": 5.0}


def _sendable_key(endpoint: Endpoint) -> bool:
    """The key goes into an HTTP header: printable ASCII without spaces, or none."""
    key = endpoint.api_key
    return key is None or all("!" <= c <= "~" for c in key)


def _params_args(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {
        "temperature": 0.5,
        "max_tokens": 8,
        "top_p": 0.9,
        "seed": 1,
        "max_completion_tokens": None,
        "logprobs": False,
        "top_logprobs": 2,
        "n": 2,
    }


def _sane_params(params: SamplingParams) -> bool:
    """Every parameter sent is one a server can honour: counts of at least 1 (0 alternatives
    allowed), a finite temperature ≥ 0 and top_p in (0, 1]."""
    counts = (params.max_tokens, params.max_completion_tokens, params.n)
    return (
        all(c is None or c >= 1 for c in counts)
        and (params.top_logprobs is None or params.top_logprobs >= 0)
        and (params.temperature is None or 0 <= params.temperature < math.inf)
        and (params.top_p is None or 0 < params.top_p <= 1)
    )


def _policy_args(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {**FAST, "jitter": 0.5}


def _bounded_policy(policy: RetryPolicy) -> bool:
    """Every wait can be slept (a finite number of seconds a timer accepts, at most a day) and
    the attempts are bounded as on the command line."""
    waits = (policy.base_delay, policy.max_delay, policy.max_retry_after)
    return all(0 <= w <= MAX_TIMEOUT for w in waits) and 1 <= policy.max_attempts <= 100


KEY_VARIABLE = "SGBENCH_BOUNDARY_KEY"


def _key_args(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    monkeypatch: pytest.MonkeyPatch = request.getfixturevalue("monkeypatch")
    monkeypatch.setenv(KEY_VARIABLE, "sk-test-0123")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return {"api_key_env": KEY_VARIABLE}


def _sendable_text(key: str | None) -> bool:
    return key is None or (bool(key) and all("!" <= c <= "~" for c in key))


def _board_dataset(folder: Path) -> Path:
    return write_board_dataset(folder / "ds")


def _run_args(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {
        "dataset": _board_dataset(folder),
        "out_path": folder / "responses.jsonl",
        "model": "test-model",
        "endpoint": _endpoint(request),
        "config": "default",
        "split": "test_ood",
        "template_name": "paper",
        "params": SamplingParams(temperature=1.0, max_tokens=8),
        "concurrency": 2,
        "policy": RetryPolicy(**FAST, jitter=0.0),
        "limit": 2,
        "predictions_path": folder / "predictions.jsonl",
        "show_progress": False,
        "distribution": "sample",
        "samples": 2,
    }


def _run_counted(outcome: BenchmarkRun) -> bool:
    """Every sample asked for is answered (the loopback server answers all), none twice: the
    first two, or all 12 of the split when the limit is larger (never 11: ``limit=-1``)."""
    summary = outcome.summary
    return (
        summary.n_total in (2, 12)
        and summary.n_errors == 0
        and summary.n_answered + summary.n_already_done == summary.n_total
    )


# --- sgbench.judge ----------------------------------------------------------------------------


def _responses(path: Path, model: str, ids: list[str]) -> Path:
    run = {"model": model, "template": "open", "params": {"temperature": 0.0}}
    lines = [json.dumps({"id": i, "response": f"view of {model} on {i}", **run}) for i in ids]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _judge_args(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    ids = [sample_id(q, s) for q, s in ood_ids()[:2]]
    return {
        "a_path": _responses(folder / "a.jsonl", "model-a", ids),
        "b_path": _responses(folder / "b.jsonl", "model-b", ids),
        "out": folder / "judgments.jsonl",
        "dataset": _board_dataset(folder),
        "model": "judge-1",
        "endpoint": _endpoint(request),
        "config": "default",
        "split": "test_ood",
        "criteria": ("overall", "value"),
        "params": SamplingParams(max_tokens=64),
        "concurrency": 2,
        "policy": RetryPolicy(**FAST, jitter=0.0),
        "progress_stream": None,
        "show_progress": False,
        "sleep": lambda seconds: None,
    }


def _judged(summary: JudgeSummary) -> bool:
    """Both orders of both samples judged and read (the loopback judge always answers)."""
    return (
        summary.n_samples == 2
        and summary.n_errors == 0
        and summary.n_unparsed == 0
        and summary.n_judged + summary.n_already_done == 4
    )


def _judgment(question: str, religion: str, order: str, overall: str) -> str:
    return json.dumps(
        {
            "id": f"{question}/religion={religion}",
            "order": order,
            "question_id": question,
            "subgroup_id": f"religion={religion}",
            "subgroup": {"sex": None, "religion": religion},
            "verdicts": {"overall": overall},
            "parse": "ok",
            "raw": "...",
            "judge_model": "j",
            "judge_prompt": JUDGE_PROMPT,
            "criteria": ["overall"],
            "params": {"temperature": 0.0},
            "a": {"model": "ma", "template": "open"},
            "b": {"model": "mb", "template": "open"},
            "dataset": {"name": "d", "version": "1", "synthetic": True, "config": "default"},
        }
    )


def _judgments_file(path: Path) -> Path:
    """Four samples of two questions, both orders: A wins 5, ties 2, loses 1 (win rate 0.75)."""
    verdicts = {
        ("Q1", "muslim"): ("A", "A"),
        ("Q1", "hindu"): ("A", "tie"),
        ("Q2", "muslim"): ("A", "B"),
        ("Q2", "hindu"): ("tie", "A"),
    }
    lines = [
        _judgment(q, r, order, verdict)
        for (q, r), pair in verdicts.items()
        for order, verdict in zip(("AB", "BA"), pair, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _report_args(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {
        "path": _judgments_file(folder / "judgments.jsonl"),
        "n_boot": N_BOOT,
        "seed": 0,
        "n_permutations": 20,
        "resample": "questions",
    }


def _finite_judge_report(report: JudgeReport) -> bool:
    """The report is valid JSON (no NaN) and A's win rate is the hand-computed 0.75."""
    figures = json.loads(report.to_json())
    return figures["win_rate"]["overall"]["value"] == 0.75


@cache
def _report(folder: Path) -> JudgeReport:
    folder.mkdir(parents=True, exist_ok=True)
    return judge_report(_judgments_file(folder / "judgments.jsonl"), n_boot=0, n_permutations=0)


def _write_report_args(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    factory: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
    return {
        "report": _report(factory.getbasetemp() / "api-run-judge-report"),
        "path": folder / "report.json",
    }


def _criteria_args(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"text": "value, overall"}


def _known_criteria(criteria: tuple[str, ...]) -> bool:
    return bool(criteria) and all(c in CRITERIA for c in criteria)


def _verdict_args(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"text": 'so: {"overall": "Response 2", "value": "tie"}', "criteria": CRITERIA}


def _verdicts_read(verdicts: dict[str, str | None]) -> bool:
    return all(k in CRITERIA and v in ("1", "2", "tie", None) for k, v in verdicts.items())


# --- sgbench.leaderboard ----------------------------------------------------------------------


def _submissions(root: Path) -> Path:
    submit(root, "alpha", wrong_on(set(), 1), metadata(model="Alpha"), with_id=True)
    submit(root, "beta", wrong_on({"Q1"}, 2), metadata(model="Beta"))
    return root


def _board_args(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {
        "submissions": _submissions(folder / "subs"),
        "dataset": _board_dataset(folder),
        "with_baselines": False,
        "n_boot": N_BOOT,
        "seed": 0,
        "n_permutations": 20,
        "resample": "questions",
    }


def _finite_board(board: Leaderboard) -> bool:
    """Two ranked entries, and every figure JSON can hold (no NaN, no infinity)."""
    json.dumps(board.to_dict(), allow_nan=False)
    return len(board.rows) == 2 and [row.rank for row in board.rows] == [1, 2]


@cache
def _board(folder: Path) -> Leaderboard:
    return build_leaderboard(
        _submissions(folder / "subs"), _board_dataset(folder), n_boot=0, n_permutations=0
    )


def _built_board(request: pytest.FixtureRequest) -> Leaderboard:
    factory: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
    return _board(factory.getbasetemp() / "api-run-board")


def _render_args(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"board": _built_board(request)}


def _write_board_args(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"board": _built_board(request), "out_dir": folder / "board"}


def _validate_args(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    subs = _submissions(folder / "subs")
    return {"path": subs / "alpha", "dataset": _board_dataset(folder), "config": "default"}


# --- sgbench.paper ----------------------------------------------------------------------------


def _import_args(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    built: Path = request.getfixturevalue("built_default")
    dataset = folder / "ds"
    shutil.copytree(built, dataset)
    source = folder / "released.jsonl"
    source.write_text(
        '{"custom_id": "Q1_sex_Male", "response": "Answer: 1"}\n'
        '{"custom_id": "garbled", "response": "Answer: 2"}\n',
        encoding="utf-8",
    )
    return {
        "source": str(source),
        "dataset_dir": dataset,
        "out": folder / "imported.jsonl",
        "config": "paper",
        "model": "released-model",
        "hub_config": None,
        "hub_split": None,
        "report": folder / "import-report.json",
        "loader": None,
    }


def _imported(result: ImportResult) -> bool:
    return result.n_rows == 2 and len(result.lines) + len(result.left_out) == 2


def _score_report(path: Path, accuracy: float) -> Path:
    """The keys of a ``sgbench score --json`` report that the paper table reads."""
    return paper_score_report(path, accuracy, 0.25, (0.5, 0.5), synthetic=True)


def _table_args(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {
        "reports": [
            str(_score_report(folder / "gpt-4o.json", 0.5)),
            f"Mine={_score_report(folder / 'mine.json', 0.625)}",
        ]
    }


def _table_shown(table: PaperTable) -> bool:
    """Each report's accuracy, to three decimals, on its own line of the table."""
    text = table.render()
    return len(table.entries) <= 2 and all(
        f"{entry.figures['accuracy']:.3f}" in text for entry in table.entries
    )


def _no_hub(*args: Any, **kwargs: Any) -> Any:
    raise ConnectionError("offline: the boundary cases never reach the Hub")


ENTRIES: list[Entry] = [
    Entry(
        "sgbench.runner.Endpoint",
        Endpoint,
        _endpoint_args,
        result_ok=_sendable_key,
        extra={
            "base_url": (
                ("user-password", "http://user:pass@127.0.0.1/v1"),
                ("fragment", "http://127.0.0.1/v1#part"),
                ("port-0", "http://127.0.0.1:0/v1"),
                ("no-scheme", "127.0.0.1:8000/v1"),
                ("ftp", "ftp://127.0.0.1/v1"),
            ),
            "api_key": (("space", "sk test"), ("non-ascii", "sk-tést")),
        },
    ),
    Entry(
        "sgbench.runner.SamplingParams",
        SamplingParams,
        _params_args,
        result_ok=_sane_params,
    ),
    Entry(
        "sgbench.runner.RetryPolicy",
        RetryPolicy,
        _policy_args,
        result_ok=_bounded_policy,
    ),
    Entry(
        "sgbench.runner.api_key_from_env",
        api_key_from_env,
        _key_args,
        result_ok=_sendable_text,
        extra={"api_key_env": (("nul", "A\x00B"), ("equals", "A=B"))},
    ),
    Entry(
        "sgbench.runner.run_benchmark",
        run_benchmark,
        _run_args,
        inputs=("dataset",),
        outputs=("out_path", "predictions_path"),
        result_ok=_run_counted,
        lines_in_any_order=("out_path",),  # appended as replies finish: a stopped run keeps each
        extra={
            "template_name": (("missing-file", "no-such-template.txt"),),
            "model": (("padded", " test-model "),),
        },
    ),
    Entry(
        "sgbench.judge.judge_files",
        judge_files,
        _judge_args,
        inputs=("a_path", "b_path", "dataset"),
        outputs=("out",),
        result_ok=_judged,
        lines_in_any_order=("out",),  # appended as verdicts finish: a stopped run keeps each
        order_free=("criteria",),  # asked and recorded in CRITERIA order (docs/errors.md)
        extra={
            "criteria": (("unknown", ["style"]), ("regex", ["("]), ("twice", ["value", "value"])),
            "model": (("padded", " judge-1 "),),
        },
    ),
    Entry(
        "sgbench.judge.judge_report",
        judge_report,
        _report_args,
        inputs=("path",),
        result_ok=_finite_judge_report,
    ),
    Entry(
        "sgbench.judge.write_judge_report",
        write_judge_report,
        _write_report_args,
        outputs=("path",),
    ),
    Entry(
        "sgbench.judge.parse_criteria",
        parse_criteria,
        _criteria_args,
        result_ok=_known_criteria,
    ),
    Entry(
        "sgbench.judge.parse_verdicts",
        parse_verdicts,
        _verdict_args,
        result_ok=_verdicts_read,
        extra={"criteria": (("regex", ["("]), ("unknown", ["style"]))},
        order_free=("criteria",),  # read in CRITERIA order whatever order (check_criteria)
    ),
    Entry(
        "sgbench.leaderboard.build_leaderboard",
        build_leaderboard,
        _board_args,
        inputs=("submissions", "dataset"),
        result_ok=_finite_board,
    ),
    Entry(
        "sgbench.leaderboard.render_files",
        render_files,
        _render_args,
        result_ok=lambda files: tuple(files) == OUTPUT_FILES,
    ),
    Entry(
        "sgbench.leaderboard.render_text",
        render_text,
        _render_args,
        result_ok=lambda text: text.startswith("sgbench leaderboard"),
    ),
    Entry(
        "sgbench.leaderboard.write_leaderboard",
        write_leaderboard,
        _write_board_args,
        outputs=("out_dir",),
    ),
    Entry(
        "sgbench.leaderboard.validate_submission",
        validate_submission,
        _validate_args,
        inputs=("path", "dataset"),
        result_ok=lambda check: isinstance(check, SubmissionCheck),
    ),
    Entry(
        "sgbench.paper.import_paper_outputs",
        import_paper_outputs,
        _import_args,
        inputs=("source", "dataset_dir"),
        outputs=("out", "report"),
        result_ok=_imported,
        extra={"loader": (("offline", _no_hub),)},
    ),
    Entry(
        "sgbench.paper.paper_table",
        paper_table,
        _table_args,
        result_ok=_table_shown,
        extra={
            "reports": (
                ("missing", ["no-such-report.json"]),
                ("path-object", [Path("no-such-report.json")]),
                ("no-file", ["Name="]),
                ("no-name", ["=report.json"]),
                ("one-twice", ["a=x.json", "a=x.json"]),
            )
        },
    ),
]
NOT_CALLED: dict[str, str] = {
    "sgbench.runner.BenchmarkRun": "a result class only run_benchmark constructs",
    "sgbench.runner.RunSummary": "a result class only the runner constructs",
    "sgbench.judge.CRITERIA": "a constant",
    "sgbench.judge.DEFAULT_MAX_TOKENS": "a constant",
    "sgbench.judge.JUDGE_PROMPT": "a constant",
    "sgbench.judge.ORDERS": "a constant",
    "sgbench.judge.JudgeReport": "a result class only judge_report constructs",
    "sgbench.judge.JudgeSummary": "a result class only judge_files constructs",
    "sgbench.leaderboard.OUTPUT_FILES": "a constant",
    "sgbench.leaderboard.RULES": "a constant",
    "sgbench.leaderboard.SUBMISSION_FILE": "a constant",
    "sgbench.leaderboard.Leaderboard": "a result class only build_leaderboard constructs",
    "sgbench.leaderboard.Row": "a result class only build_leaderboard constructs",
    "sgbench.leaderboard.SubmissionCheck": "a result class only validate_submission constructs",
    "sgbench.paper.ImportResult": "a result class only import_paper_outputs constructs",
    "sgbench.paper.LeftOut": "a result class only import_paper_outputs constructs",
    "sgbench.paper.PaperTable": "a result class only paper_table constructs",
}
