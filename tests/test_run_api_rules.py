"""The run family's Python API holds the command line's bounds itself: the classes a caller
builds (Endpoint, SamplingParams, RetryPolicy), run_benchmark's limit and samples, model names,
judge criteria, and an output that is a folder, each refused before any request or file is
written, and the values at each bound still accepted."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_openai import LoopbackChatServer, run_quickly, serving
from leaderboard_fixtures import ood_ids, sample_id, write_board_dataset

from sgbench.boundary import named_as_on_the_command_line
from sgbench.errors import InputError
from sgbench.judge import judge_files, parse_criteria, parse_verdicts
from sgbench.paper import import_paper_outputs, paper_table
from sgbench.runner import Endpoint, RetryPolicy, SamplingParams
from sgbench.runner.backoff import MAX_ATTEMPTS
from sgbench.runner.client import MAX_TIMEOUT
from sgbench.runner.distribution import MAX_SAMPLES

FAST = RetryPolicy(max_attempts=2, base_delay=0.0, max_delay=0.0, jitter=0.0)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackChatServer]:
    with serving(LoopbackChatServer(lambda body: "1"), monkeypatch) as fake:
        yield fake


def test_endpoint_refuses_a_key_that_cannot_go_into_a_header() -> None:
    for key in ("sk-abc\n", "sk abc", "sk-ä"):
        with pytest.raises(InputError) as caught:
            Endpoint(base_url="http://127.0.0.1:9/v1", api_key=key)
        assert str(caught.value).startswith("api_key: the API key holds")
        assert key not in str(caught.value)
    assert Endpoint(base_url="http://127.0.0.1:9/v1", api_key="sk-abc").api_key == "sk-abc"


@pytest.mark.parametrize(
    ("field", "refused", "accepted"),
    [("max_tokens", 0, 1), ("max_completion_tokens", -1, 1), ("n", 0, 1), ("top_logprobs", -1, 0)],
)
def test_sampling_counts_have_the_command_lines_bounds(
    field: str, refused: int, accepted: int
) -> None:
    with pytest.raises(InputError, match=f"{refused}: must be at least {accepted}"):
        SamplingParams(**{field: refused})
    assert getattr(SamplingParams(**{field: accepted}), field) == accepted


@pytest.mark.parametrize(
    ("field", "option", "most"),
    [
        ("max_tokens", "--max-tokens", 2**31 - 1),
        ("max_completion_tokens", "--max-completion-tokens", 2**31 - 1),
        ("n", "--n", 2**31 - 1),
        ("top_logprobs", "top_logprobs", 2**31 - 1),
        ("seed", "--seed", 2**63 - 1),
    ],
)
def test_sampling_integers_are_what_a_server_reads(field: str, option: str, most: int) -> None:
    """A count is a 32-bit integer to an OpenAI-compatible server, the seed a 64-bit one:
    ``--seed 10**23`` and ``--max-tokens 10**20`` were sent as they were. The message names
    the field to a Python caller, the option on the command line."""
    for name, caller in ((field, contextlib.nullcontext), (option, named_as_on_the_command_line)):
        with caller(), pytest.raises(InputError, match=f"^{name} {most + 1}: must be at most"):
            SamplingParams(**{field: most + 1})
    assert SamplingParams(**{field: most}).to_dict()[field] == most
    with pytest.raises(InputError, match=f"^seed {-(2**63) - 1}: must be at least"):
        SamplingParams(seed=-(2**63) - 1)
    assert SamplingParams(seed=-(2**63)).seed == -(2**63)


def test_retry_policy_bounds_attempts_and_waits() -> None:
    with pytest.raises(InputError, match=f"must lie in 1..{MAX_ATTEMPTS}"):
        RetryPolicy(max_attempts=MAX_ATTEMPTS + 1)
    assert RetryPolicy(max_attempts=MAX_ATTEMPTS).max_attempts == MAX_ATTEMPTS
    for field in ("base_delay", "max_delay", "max_retry_after"):
        with pytest.raises(InputError, match="retry delays must be finite seconds"):
            RetryPolicy(**{field: MAX_TIMEOUT * 2})
        assert getattr(RetryPolicy(**{field: MAX_TIMEOUT}), field) == MAX_TIMEOUT


def _run(server: LoopbackChatServer, folder: Path, **changes: Any) -> Any:
    return run_quickly(
        server, write_board_dataset(folder / "ds"), folder / "r.jsonl", **{"limit": 2, **changes}
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"limit": 0}, "limit 0: must be at least 1"),
        ({"limit": -1}, "limit -1: must be at least 1"),
        ({"model": " m"}, "model ' m': a model name is not blank"),
        (
            {
                "distribution": "sample",
                "samples": MAX_SAMPLES + 1,
                "params": SamplingParams(temperature=1.0),
            },
            f"samples {MAX_SAMPLES + 1}: distribution sample needs 2..{MAX_SAMPLES}",
        ),
    ],
)
def test_run_benchmark_refuses_before_any_request(
    server: LoopbackChatServer, tmp_path: Path, changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(InputError) as caught:
        _run(server, tmp_path, **changes)
    assert str(caught.value).startswith(message)
    assert server.bodies == []
    assert not (tmp_path / "r.jsonl").exists()


def test_run_benchmark_limit_counts_samples(server: LoopbackChatServer, tmp_path: Path) -> None:
    """limit=1 sends the split's first sample only; a limit past the split's 12 sends all 12."""
    assert _run(server, tmp_path / "one", limit=1).summary.n_total == 1
    assert _run(server, tmp_path / "all", limit=10**6).summary.n_total == len(ood_ids())
    assert len(server.bodies) == 1 + len(ood_ids())


def test_criteria_are_distinct_known_names() -> None:
    for criteria in (["style"], ["("], ["value", "value"], []):
        with pytest.raises(InputError, match=r"^criteria: "):
            parse_verdicts('{"overall": "1"}', criteria)
    assert parse_verdicts('{"value": "tie", "overall": "2"}', ["overall", "value"]) == {
        "overall": "2",
        "value": "tie",
    }
    with pytest.raises(InputError, match="unknown criterion 'style'"):
        parse_criteria("overall,style")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"criteria": ["style"]}, "criteria: unknown criterion 'style'"),
        ({"criteria": ["value", "value"]}, "criteria: ['value', 'value'] names a criterion twice"),
        ({"model": ""}, "model '': a model name is not blank"),
    ],
)
def test_judge_files_refuses_before_any_request(
    server: LoopbackChatServer, tmp_path: Path, changes: dict[str, Any], message: str
) -> None:
    ids = [sample_id(q, s) for q, s in ood_ids()[:2]]
    files = []
    for name in ("a", "b"):
        lines = [json.dumps({"id": i, "response": f"{name} {i}", "model": name}) for i in ids]
        files.append(tmp_path / f"{name}.jsonl")
        files[-1].write_text("\n".join(lines) + "\n", encoding="utf-8")
    arguments: dict[str, Any] = {
        "dataset": write_board_dataset(tmp_path / "ds"),
        "model": "judge",
        "endpoint": Endpoint(base_url=server.url, timeout=5.0),
        "policy": FAST,
        **changes,
    }
    with pytest.raises(InputError) as caught:
        judge_files(files[0], files[1], tmp_path / "j.jsonl", **arguments)
    assert str(caught.value).startswith(message)
    assert server.bodies == []
    assert not (tmp_path / "j.jsonl").exists()


def test_an_output_that_is_a_folder_is_refused_before_the_other_is_written(
    built_default: Path, tmp_path: Path
) -> None:
    source = tmp_path / "src.jsonl"
    source.write_text('{"custom_id": "Q1_sex_Male", "response": "1"}\n', encoding="utf-8")
    (tmp_path / "report").mkdir()
    with pytest.raises(InputError) as caught:
        import_paper_outputs(
            source, built_default, tmp_path / "out.jsonl", report=tmp_path / "report"
        )
    assert str(caught.value) == f"report {tmp_path / 'report'}: is a folder; give a file name"
    assert not (tmp_path / "out.jsonl").exists()


def test_paper_table_takes_texts_only(tmp_path: Path) -> None:
    """Each report is a `[NAME=]REPORT.json` text, as the command line gives it: a Path or None
    in the list was an AttributeError."""
    for report in (tmp_path / "r.json", None):
        with pytest.raises(InputError, match=r"^paper_table\(\): a report is a text"):
            paper_table([report])  # type: ignore[list-item]
    assert paper_table([]).entries == ()
