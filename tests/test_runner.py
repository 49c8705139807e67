"""`sgbench run`: the runner against a small OpenAI-compatible server on 127.0.0.1.

The server answers each request from a per-sample script of behaviours (``ok``, ``429``,
``500``, ``timeout``, ``malformed``, ...), one per attempt, and records every request, so the
tests can check that each sample is answered exactly once, with the right metadata, and that a
rerun resumes. Retry waits go through an injected ``sleep`` that records the delay and does not
wait; only the timeout case really waits (client timeout 3 s: at 0.5 s an ordinary reply on a
loaded machine timed out and was sent again, failing the exactly-once counts).
"""

from __future__ import annotations

import io
import json
import random
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fake_openai import ChatHandler, LoopbackChatServer, serving

from sgbench.boundary import ArgumentName
from sgbench.cli import EXIT_LEFT_OUT, main
from sgbench.dataset import open_dataset
from sgbench.errors import InputError
from sgbench.judge.run import JUDGMENTS
from sgbench.prompts import Prompt
from sgbench.runner import Endpoint, RetryPolicy, SamplingParams
from sgbench.runner.backoff import retry_delay, sample_rng
from sgbench.runner.client import parse_retry_after
from sgbench.runner.progress import format_duration, format_progress
from sgbench.runner.run import run_model
from sgbench.runner.store import RESPONSES, LineFormat, prepare_output

OUT = ArgumentName("out", "--out")

KEY = "sk-test-SECRET-0123456789"
CLIENT_TIMEOUT = 3.0
FAST = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05, max_retry_after=30.0, jitter=0)


class FakeServer(LoopbackChatServer):
    """A chat-completions server on 127.0.0.1 with scripted failures per sample.

    A request's sample is the ``id=...`` token in its last message; without one (the CLI test),
    the first ``<code>.`` option line decides the answer. ``script[id]`` lists one behaviour per
    attempt; attempts past the end of the list get ``fallback`` (``ok``).
    """

    def __init__(self) -> None:
        super().__init__()
        self.script: dict[str, list[str]] = {}
        self.fallback = "ok"
        """Behaviour of attempts past the end of a sample's script."""
        self.requests: dict[str, int] = defaultdict(int)

    def respond(self, handler: ChatHandler, body: dict[str, Any]) -> None:
        content = body["messages"][-1]["content"]
        found = re.search(r"id=(\S+)", content)
        sample = found.group(1) if found else content
        with self.lock:
            attempt = self.requests[sample]
            self.requests[sample] += 1
            plan = self.script.get(sample, [])
        behaviour = plan[attempt] if attempt < len(plan) else self.fallback
        if behaviour == "timeout":
            self.release.wait(CLIENT_TIMEOUT + 0.4)
            behaviour = "ok"
        if behaviour.startswith("429"):
            handler.send(429, b'{"error": "slow down"}', {"Retry-After": behaviour[4:]})
        elif behaviour == "500":
            handler.send(500, b"internal error")
        elif behaviour == "401":
            handler.send(401, b'{"error": "bad key"}')
        elif behaviour.startswith("status "):  # a web page, as a site or a proxy answers
            handler.send(int(behaviour[7:]), b"<html><body>no</body></html>")
        elif behaviour == "echo400":
            auth = handler.headers.get("Authorization", "")
            handler.send(400, f"bad request; you sent {auth}".encode())
        elif behaviour == "malformed":
            handler.send(200, b'{"choices": [ {"message": ')
        elif behaviour == "nochoices":
            handler.send(200, b'{"choices": []}')
        else:
            option = re.search(r"^(\d+)\. ", content, re.MULTILINE)
            handler.send_chat(f"Answer: {option.group(1)}" if option else f"Answer for {sample}")

    def endpoint(self, api_key: str | None = KEY) -> Endpoint:
        return Endpoint(base_url=self.url, api_key=api_key, timeout=CLIENT_TIMEOUT)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeServer]:
    with serving(FakeServer(), monkeypatch) as fake:
        yield fake


def prompts(n: int) -> list[Prompt]:
    """``n`` crafted prompts, ids ``s0`` … (the server reads the id from the user message)."""
    return [
        Prompt(
            id=f"s{i}",
            template="paper",
            messages=[
                {"role": "system", "content": "You are a test persona."},
                {"role": "user", "content": f"Question id=s{i}"},
            ],
            prompt=f"You are a test persona.\n\nQuestion id=s{i}",
        )
        for i in range(n)
    ]


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def run(server: FakeServer, out: Path, items: list[Prompt], **kwargs: Any) -> Any:
    kwargs.setdefault("policy", FAST)
    kwargs.setdefault("sleep", lambda seconds: None)
    kwargs.setdefault("endpoint", server.endpoint())
    kwargs.setdefault("progress_stream", io.StringIO())
    return run_model(items, out, model="test-model", template="paper", **kwargs)


def test_every_sample_answered_once_despite_failures(server: FakeServer, tmp_path: Path) -> None:
    server.script = {
        "s1": ["429 2"],
        "s2": ["429 120"],  # capped by max_retry_after = 30
        "s3": ["500", "500"],
        "s4": ["timeout"],
        "s5": ["malformed"],
        "s6": ["nochoices"],
    }
    delays: list[float] = []
    out = tmp_path / "responses.jsonl"
    summary = run(
        server,
        out,
        prompts(10),
        concurrency=4,
        sleep=delays.append,
        params=SamplingParams(temperature=0.0, max_tokens=16),
    )
    lines = read_lines(out)
    assert sorted(line["id"] for line in lines) == sorted(f"s{i}" for i in range(10))
    assert all("error" not in line for line in lines)
    assert {line["id"]: line["response"] for line in lines}["s4"] == "Answer for s4"
    # One request per sample plus one per injected failure: nothing sent twice after success.
    expected = {f"s{i}": 1 + len(server.script.get(f"s{i}", [])) for i in range(10)}
    assert dict(server.requests) == expected
    assert {line["id"]: line["attempts"] for line in lines} == expected
    # Retry-After is honoured (and capped); other failures back off by base_delay · 2^(n-1).
    assert sorted(delays) == [0.01, 0.01, 0.01, 0.01, 0.02, 2.0, 30.0]
    assert summary.n_answered == 10
    assert summary.n_errors == summary.n_already_done == 0


def test_metadata_recorded_and_sent(server: FakeServer, tmp_path: Path) -> None:
    out = tmp_path / "responses.jsonl"
    params = SamplingParams(temperature=0.7, max_tokens=20, top_p=0.9, seed=3)
    run(server, out, prompts(2), params=params)
    for line in read_lines(out):
        assert line["model"] == "test-model"
        assert line["template"] == "paper"
        assert line["params"] == {"temperature": 0.7, "max_tokens": 20, "top_p": 0.9, "seed": 3}
        assert line["finish_reason"] == "stop"
        assert line["usage"] == {"prompt_tokens": 10, "completion_tokens": 3}
    body = server.bodies[0]
    assert body["model"] == "test-model"
    assert (body["temperature"], body["max_tokens"], body["top_p"], body["seed"]) == (
        0.7,
        20,
        0.9,
        3,
    )
    assert body["messages"][0] == {"role": "system", "content": "You are a test persona."}
    assert server.auth == [f"Bearer {KEY}"] * 2


def test_default_sampling_is_greedy(server: FakeServer, tmp_path: Path) -> None:
    run(server, tmp_path / "r.jsonl", prompts(1))
    assert server.bodies[0]["temperature"] == 0.0
    assert "top_p" not in server.bodies[0]
    assert "seed" not in server.bodies[0]
    assert read_lines(tmp_path / "r.jsonl")[0]["params"] == {"temperature": 0.0, "max_tokens": 64}


def test_persistent_failure_is_an_error_line_then_retried(
    server: FakeServer, tmp_path: Path
) -> None:
    server.script = {"s1": ["malformed"] * 4, "s2": ["500"] * 4}
    out = tmp_path / "responses.jsonl"
    first = run(server, out, prompts(4))
    lines = {line["id"]: line for line in read_lines(out)}
    assert first.n_errors == 2
    assert lines["s1"]["response"] == ""
    assert lines["s1"]["error"].startswith("malformed response body")
    assert lines["s2"]["error"].startswith("HTTP 500")
    assert lines["s1"]["attempts"] == FAST.max_attempts
    assert lines["s1"]["model"] == "test-model"
    # The server recovers; the rerun asks only for the two failed samples.
    server.script = {}
    before = dict(server.requests)
    second = run(server, out, prompts(4))
    assert (second.n_already_done, second.n_answered, second.n_retried_errors) == (2, 2, 2)
    asked_again = {k for k, v in server.requests.items() if v != before[k]}
    assert asked_again == {"s1", "s2"}
    final = read_lines(out)
    assert sorted(line["id"] for line in final) == ["s0", "s1", "s2", "s3"]
    assert all("error" not in line for line in final)


def test_resume_skips_done_ids(server: FakeServer, tmp_path: Path) -> None:
    out = tmp_path / "responses.jsonl"
    run(server, out, prompts(3))
    assert dict(server.requests) == {"s0": 1, "s1": 1, "s2": 1}
    summary = run(server, out, prompts(5))
    assert summary.n_already_done == 3
    assert dict(server.requests) == {"s0": 1, "s1": 1, "s2": 1, "s3": 1, "s4": 1}
    assert sorted(line["id"] for line in read_lines(out)) == [f"s{i}" for i in range(5)]


def test_resume_drops_an_unfinished_last_line(server: FakeServer, tmp_path: Path) -> None:
    out = tmp_path / "responses.jsonl"
    run(server, out, prompts(1))
    with out.open("a", encoding="utf-8") as handle:
        handle.write('{"id": "s1", "respo')  # the run was killed mid-line
    run(server, out, prompts(2))
    assert [line["id"] for line in read_lines(out)] == ["s0", "s1"]


@pytest.mark.parametrize("line_format", [RESPONSES, JUDGMENTS], ids=["run", "judge"])
def test_resume_keeps_one_of_two_lines_only_when_they_are_equal(
    line_format: LineFormat, tmp_path: Path
) -> None:
    """A line repeated exactly is dropped; two different lines for one sample (a file joined
    with another run's) are refused, the file kept: dropping either answer is a guess. A file
    that is not UTF-8 says so in a sentence."""
    settings = {key: f"v-{key}" for key in line_format.run_keys}
    first = {"id": "s0", "order": "AB", "response": "Answer: 2"}
    first |= {field: f"v-{field}" for field in line_format.fields} | settings
    line = json.dumps(first) + "\n"
    out = tmp_path / "out.jsonl"
    out.write_text(line + line, encoding="utf-8")
    assert prepare_output(out, settings, line_format, out_name=OUT).n_duplicates_dropped == 1
    assert out.read_text(encoding="utf-8") == line
    other = json.dumps(first | {"response": "Answer: 3"}) + "\n"
    out.write_text(line + other, encoding="utf-8")
    with pytest.raises(
        InputError, match=r"line 2: a second line for 's0.*' that differs from line 1"
    ):
        prepare_output(out, settings, line_format, out_name=OUT)
    assert out.read_text(encoding="utf-8") == line + other
    out.write_bytes(line.encode("utf-16"))
    with pytest.raises(InputError) as refused:
        prepare_output(out, settings, line_format, out_name=OUT)
    assert str(refused.value).endswith(f"so it holds no {line_format.name}; choose another out")


def test_resume_shows_model_names_that_look_alike_by_code_point(
    server: FakeServer, tmp_path: Path
) -> None:
    # 'café' in NFC and in NFD: "written with model 'café', but this run has 'café'".
    out = tmp_path / "responses.jsonl"
    run_model(prompts(1), out, model="caf\u00e9", template="paper", endpoint=server.endpoint())
    with pytest.raises(InputError) as refused:
        run_model(prompts(1), out, model="cafe\u0301", template="paper", endpoint=server.endpoint())
    assert "model 'caf\\xe9', but this run has 'cafe\\u0301'" in str(refused.value)


def test_resume_refuses_other_settings(server: FakeServer, tmp_path: Path) -> None:
    out = tmp_path / "responses.jsonl"
    run(server, out, prompts(1))
    with pytest.raises(InputError, match=r"line 1: written with model 'test-model'"):
        run_model(prompts(2), out, model="other", template="paper", endpoint=server.endpoint())
    with pytest.raises(InputError, match="written with params"):
        run(server, out, prompts(2), params=SamplingParams(temperature=1.0))
    out.write_text("not json\n{}\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 1: not a response line"):
        run(server, out, prompts(1))


def test_fatal_status_stops_the_run(server: FakeServer, tmp_path: Path) -> None:
    server.script = {"s0": ["401"]}
    out = tmp_path / "responses.jsonl"
    with pytest.raises(InputError, match=r"HTTP 401.*stopped"):
        run(server, out, prompts(1), concurrency=1)
    assert server.requests["s0"] == 1  # never retried


# RFC 9110: the method, the address, the headers, the protocol or the account (the key, a proxy's
# credentials, credit) decide these, and every request of a run has the same; a site answering
# 405 to every POST had all 750 samples of a split sent and written as error lines.
ENDPOINT_STATUSES = [401, 402, 403, 404, 405, 406, 407, 410, 411, 414, 415, 417, 426, 428, 431]
ENDPOINT_STATUSES += [501, 505]
# What a sample's own body causes: one error line each, not retried, the run goes on.
SAMPLE_STATUSES = [400, 413, 422]


@pytest.mark.parametrize("status", ENDPOINT_STATUSES)
def test_an_endpoint_status_stops_the_run_at_the_first_request(
    status: int, server: FakeServer, tmp_path: Path
) -> None:
    server.fallback = f"status {status}"
    out = tmp_path / "responses.jsonl"
    said = rf"^{re.escape(server.url)}.*: HTTP {status}: <html>.* \(.+\); stopped"
    with pytest.raises(InputError, match=said):
        run(server, out, prompts(5), concurrency=1)
    assert sum(server.requests.values()) == 1
    assert out.read_text(encoding="utf-8") == ""


@pytest.mark.parametrize("status", SAMPLE_STATUSES)
def test_a_sample_status_is_that_samples_error_line(
    status: int, server: FakeServer, tmp_path: Path
) -> None:
    server.script = {"s1": [f"status {status}"]}
    out = tmp_path / "responses.jsonl"
    run(server, out, prompts(3), concurrency=1)
    lines = {line["id"]: line for line in read_lines(out)}
    assert sorted(lines) == ["s0", "s1", "s2"]
    assert lines["s1"]["error"] == f"HTTP {status}: <html><body>no</body></html>"
    assert lines["s1"]["attempts"] == 1
    assert "error" not in lines["s0"]
    assert "error" not in lines["s2"]


def test_api_key_never_written(server: FakeServer, tmp_path: Path) -> None:
    server.script = {"s0": ["echo400"]}
    out = tmp_path / "responses.jsonl"
    run(server, out, prompts(1))
    line = read_lines(out)[0]
    assert line["attempts"] == 1  # a 400 is not retried
    assert "you sent Bearer ***" in line["error"]
    assert KEY not in out.read_text(encoding="utf-8")


def test_no_key_no_header(server: FakeServer, tmp_path: Path) -> None:
    run(server, tmp_path / "r.jsonl", prompts(1), endpoint=server.endpoint(api_key=None))
    assert server.auth == [None]


def test_progress_only_on_request(server: FakeServer, tmp_path: Path) -> None:
    quiet = io.StringIO()  # not a terminal: nothing drawn
    run(server, tmp_path / "a.jsonl", prompts(2), progress_stream=quiet)
    assert quiet.getvalue() == ""
    shown = io.StringIO()
    run(server, tmp_path / "b.jsonl", prompts(2), progress_stream=shown, show_progress=True)
    assert shown.getvalue().startswith("\rrun: ")
    assert "2/2 (100.0%) · 0 errors" in shown.getvalue()
    assert shown.getvalue().endswith("\n")


def test_format_progress() -> None:
    # 30 of 120 done in 10 s: 3.0/s, 90 left → 30 s.
    assert format_progress(30, 120, 1, 10.0) == "run: 30/120 (25.0%) · 1 error · 3.0/s · ETA 30s"
    assert format_progress(0, 5, 0, 0.0) == "run: 0/5 (0.0%) · 0 errors · 0.0/s · ETA ?"
    assert (format_duration(75), format_duration(3725), format_duration(9)) == (
        "1m15s",
        "1h02m05s",
        "9s",
    )


def test_retry_delay() -> None:
    fixed = RetryPolicy(base_delay=1.0, max_delay=30.0, max_retry_after=60.0, jitter=0)
    rng = random.Random(0)
    assert [retry_delay(fixed, n, None, rng) for n in (1, 2, 3, 5, 6)] == [1, 2, 4, 16, 30]
    assert retry_delay(fixed, 1, 7.5, rng) == 7.5
    assert retry_delay(fixed, 1, 600.0, rng) == 60.0
    jittered = RetryPolicy(base_delay=1.0, max_delay=30.0, jitter=0.5)
    u = random.Random("sgbench-retry:s1").random()
    assert retry_delay(jittered, 3, None, sample_rng("s1")) == pytest.approx(4 * (1 - 0.5 * u))
    # Seeded by the sample id: the same waits on every run.
    assert retry_delay(jittered, 2, None, sample_rng("x")) == retry_delay(
        jittered, 2, None, sample_rng("x")
    )
    with pytest.raises(InputError):
        RetryPolicy(max_attempts=0)


def test_parse_retry_after() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-1") is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    # An HTTP date 10 s after "now" (2015-10-21 07:28:00 GMT is Unix time 1445412480).
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412490.0) == 0.0


def test_endpoint_url() -> None:
    assert Endpoint("http://h:1/v1").url == "http://h:1/v1/chat/completions"
    assert Endpoint("http://h:1/v1/").url == "http://h:1/v1/chat/completions"
    assert Endpoint("https://h/v1/chat/completions").url == "https://h/v1/chat/completions"
    assert KEY not in repr(Endpoint("http://h", api_key=KEY))
    with pytest.raises(InputError, match="http"):
        Endpoint("ftp://h/v1")


def test_cli_run_then_predictions(
    server: FakeServer, built_default: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_KEY", KEY)
    out, predictions = tmp_path / "responses.jsonl", tmp_path / "predictions.jsonl"
    args = [
        "run",
        "--base-url", server.url,
        "--model", "m1",
        "--dataset", str(built_default),
        "--split", "validation",
        "--limit", "6",
        "--concurrency", "3",
        "--api-key-env", "MY_KEY",
        "--out", str(out),
        "--predictions", str(predictions),
    ]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert KEY not in result.output
    assert server.auth == [f"Bearer {KEY}"] * 6
    assert "6 answered" in result.output
    lines = {line["id"]: line for line in read_lines(out)}
    preds = read_lines(predictions)
    # Responses are written as replies finish (3 at a time); predictions follow the dataset.
    split_ids = open_dataset(built_default).table("default", "validation", ["id"])["id"]
    assert [p["id"] for p in preds] == [i for i in split_ids.to_pylist() if i in lines]
    assert len(preds) == len(lines) == 6
    # The server answers each sample's first option: the prediction is that code.
    for pred in preds:
        assert pred["answer"] == int(lines[pred["id"]]["response"].removeprefix("Answer: "))
    again = CliRunner().invoke(main, args[:-2])  # resume, without parsing again
    assert again.exit_code == 0
    assert "0 answered, 6 already in" in again.output
    assert len(read_lines(out)) == 6


def test_cli_run_errors(server: FakeServer, built_default: Path, tmp_path: Path) -> None:
    base = ["run", "--base-url", server.url, "--model", "m", "--dataset", str(built_default)]
    missing = CliRunner().invoke(
        main, [*base, "--api-key-env", "SGBENCH_NO_SUCH_VAR", "--out", str(tmp_path / "r")]
    )
    assert missing.exit_code == 2
    assert "SGBENCH_NO_SUCH_VAR" in missing.output
    folder = CliRunner().invoke(main, [*base, "--out", str(tmp_path)])
    assert folder.exit_code == 2


def test_cli_run_exit_code_when_errors_remain(
    server: FakeServer, built_default: Path, tmp_path: Path
) -> None:
    server.fallback = "500"
    out = tmp_path / "responses.jsonl"
    args = ["run", "--base-url", server.url, "--model", "m", "--dataset", str(built_default)]
    args += ["--split", "validation", "--limit", "2", "--max-attempts", "1", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == EXIT_LEFT_OUT == 3
    assert result.stderr.startswith("run: 2 samples: 0 answered, 2 error(s) in ")
    assert result.stderr.endswith("; run the same command again to retry the errors\n")
    assert [line["error"] for line in read_lines(out)] == ["HTTP 500: internal error"] * 2
