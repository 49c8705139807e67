"""`sgbench run` and `sgbench judge` against what today's endpoints (and hostile ones) send.

Refusals, ``finish_reason: length`` with null content, the 400 ``unsupported_parameter`` error,
``max_completion_tokens``, an omitted temperature, redirects, a server dripping one byte at a
time, lone surrogates and deeply nested bodies, a second run on a locked output, Ctrl-C, and the
three distribution modes, whose expected distributions each test computes itself from what the
loopback server sent.
"""

from __future__ import annotations

import io
import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_contract import assert_one_error_line
from click.testing import CliRunner, Result
from fake_openai import UNSUPPORTED_MAX_TOKENS, ChatHandler, LoopbackChatServer, choice, serving

from sgbench.cli import main
from sgbench.errors import InputError
from sgbench.locks import exclusive, lock_path
from sgbench.prompts import Prompt, split_rows
from sgbench.runner import Endpoint, RetryPolicy, SamplingParams
from sgbench.runner.client import MAX_JSON_DEPTH, RequestFailed, post_chat
from sgbench.runner.distribution import row_options
from sgbench.runner.run import run_model
from sgbench.scoring import parse_responses

KEY = "sk-test-SECRET-0123456789"
FAST = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05, jitter=0)
REPO = Path(__file__).resolve().parent.parent

Respond = Callable[[ChatHandler, dict[str, Any]], None]


class ScriptedServer(LoopbackChatServer):
    """Answers every request with ``script(handler, body)``."""

    def __init__(self, script: Respond) -> None:
        super().__init__()
        self.script = script

    def respond(self, handler: ChatHandler, body: dict[str, Any]) -> None:
        self.script(handler, body)


@pytest.fixture
def start(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Respond], ScriptedServer]]:
    """Start loopback servers for the test (stopped at its end)."""
    with contextlib_exit_stack() as stack:

        def make(script: Respond) -> ScriptedServer:
            return stack.enter_context(serving(ScriptedServer(script), monkeypatch))

        yield make


def contextlib_exit_stack() -> Any:
    import contextlib

    return contextlib.ExitStack()


def prompts(n: int) -> list[Prompt]:
    return [
        Prompt(
            id=f"s{i}",
            template="paper",
            messages=[{"role": "user", "content": f"Question id=s{i}"}],
            prompt=f"Question id=s{i}",
        )
        for i in range(n)
    ]


def lines_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_bytes().decode("utf-8").splitlines()]


def run(server: LoopbackChatServer, out: Path, items: list[Prompt], **kw: Any) -> Any:
    kw.setdefault("policy", FAST)
    kw.setdefault("sleep", lambda seconds: None)
    # A generous timeout: 2 s timed out on a loaded machine and made the redirect test flaky.
    kw.setdefault("endpoint", Endpoint(base_url=server.url, api_key=KEY, timeout=10.0))
    kw.setdefault("progress_stream", io.StringIO())
    return run_model(items, out, model="m", template="paper", **kw)


def sample_of(body: dict[str, Any]) -> str:
    return str(body["messages"][-1]["content"]).rsplit("id=", 1)[-1]


# --- refusals -----------------------------------------------------------------------------------


def refusing(handler: ChatHandler, body: dict[str, Any]) -> None:
    """s0 refuses, s1 is cut off by length with null content, s2 is filtered, others answer."""
    sample = sample_of(body)
    if sample == "s0":
        handler.send_chat("", choice(None, refusal="I'm sorry, I can't help with that."))
    elif sample == "s1":
        handler.send_chat("", choice(None, finish_reason="length"))
    elif sample == "s2":
        handler.send_chat("", choice("", finish_reason="content_filter"))
    else:
        handler.send_chat("Answer: 1")


def test_refusals_are_answers_never_retried(
    start: Callable[[Respond], ScriptedServer], tmp_path: Path
) -> None:
    server = start(refusing)
    out = tmp_path / "r.jsonl"
    summary = run(server, out, prompts(4))
    assert (summary.n_answered, summary.n_refused, summary.n_errors) == (4, 3, 0)
    assert len(server.bodies) == 4  # one request each: nothing retried
    by_id = {line["id"]: line for line in lines_of(out)}
    assert by_id["s0"]["refusal"] == "I'm sorry, I can't help with that."
    assert by_id["s0"]["finish_reason"] == "stop"
    assert (by_id["s1"]["refusal"], by_id["s1"]["finish_reason"]) == ("length", "length")
    assert by_id["s2"]["refusal"] == "content_filter"
    assert all(by_id[s]["response"] == "" and "error" not in by_id[s] for s in ("s0", "s1", "s2"))
    assert "refusal" not in by_id["s3"]
    again = run(server, out, prompts(4))
    assert (again.n_answered, again.n_already_done) == (0, 4)
    assert len(server.bodies) == 4  # a rerun does not ask again either


def test_parse_counts_refusals_and_keeps_them_missing(
    start: Callable[[Respond], ScriptedServer], built_default: Path, tmp_path: Path
) -> None:
    rows = split_rows(built_default, "default", "validation")[:3]
    refused_id = rows[0]["id"]
    out = tmp_path / "r.jsonl"

    def script(handler: ChatHandler, body: dict[str, Any]) -> None:
        user = body["messages"][-1]["content"]
        if rows[0]["question"] in user and body["messages"][0]["content"] == rows[0]["persona"]:
            handler.send_chat("", choice(None, refusal="No."))
        else:
            handler.send_chat("Answer: " + user.split("\n\n")[1].split(".", 1)[0])

    server = start(script)
    args = ["run", "--base-url", server.url, "--model", "m", "--dataset", str(built_default)]
    args += ["--split", "validation", "--limit", "3", "--out", str(out)]
    args += ["--predictions", str(tmp_path / "p.jsonl")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "(1 refused)" in result.stderr
    assert ", 1 refused" in result.stderr
    parsed = parse_responses(out, built_default)
    assert parsed.refused_ids == (refused_id,)
    assert refused_id not in parsed.unparsed_ids
    assert refused_id not in {p["id"] for p in parsed.predictions}
    written = lines_of(tmp_path / "p.jsonl")
    assert {"id": refused_id, "refusal": "No."} in written


# --- errors that concern every request ----------------------------------------------------------


def test_unsupported_parameter_stops_the_run(
    start: Callable[[Respond], ScriptedServer], built_default: Path, tmp_path: Path
) -> None:
    def script(handler: ChatHandler, body: dict[str, Any]) -> None:
        if "max_tokens" in body:
            handler.send(400, json.dumps(UNSUPPORTED_MAX_TOKENS).encode())
        else:
            handler.send_chat("Answer: 1")

    server = start(script)
    out = tmp_path / "r.jsonl"
    args = ["run", "--base-url", server.url, "--model", "m", "--dataset", str(built_default)]
    args += ["--split", "validation", "--limit", "20", "--concurrency", "1", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("Error: ")
    assert "parameter 'max_tokens' is not accepted" in result.stderr
    # Stopped at once: the one worker may have sent its next request before the stop.
    assert len(server.bodies) <= 2
    assert not out.exists() or out.read_text() == ""
    fixed = CliRunner().invoke(main, [*args, "--max-completion-tokens", "32"])
    assert fixed.exit_code == 0, fixed.output
    newer = [b for b in server.bodies if "max_completion_tokens" in b]
    assert len(newer) == 20
    assert all(b["max_completion_tokens"] == 32 and "max_tokens" not in b for b in newer)
    assert len(lines_of(out)) == 20


def test_a_prompt_too_long_is_one_sample_not_the_run(
    start: Callable[[Respond], ScriptedServer], tmp_path: Path
) -> None:
    too_long = {"error": {"type": "invalid_request_error", "param": "messages", "code": None}}

    def script(handler: ChatHandler, body: dict[str, Any]) -> None:
        if sample_of(body) == "s1":
            handler.send(400, json.dumps(too_long).encode())
        else:
            handler.send_chat("Answer: 1")

    summary = run(start(script), tmp_path / "r.jsonl", prompts(3))
    assert (summary.n_answered, summary.n_errors) == (2, 1)


def test_temperature_can_be_left_out(
    start: Callable[[Respond], ScriptedServer], built_default: Path, tmp_path: Path
) -> None:
    server = start(lambda handler, body: handler.send_chat("Answer: 1"))
    args = ["run", "--base-url", server.url, "--model", "m", "--dataset", str(built_default)]
    args += ["--limit", "2", "--temperature", "none", "--out", str(tmp_path / "r.jsonl")]
    assert CliRunner().invoke(main, args).exit_code == 0
    assert all("temperature" not in body for body in server.bodies)
    assert all(body["max_tokens"] == 64 for body in server.bodies)


def _with_option(command: str, option: list[str], dataset: Path, tmp_path: Path) -> Result:
    """``run`` or ``judge`` (on two one-line response files) against a closed port, writing
    ``o.jsonl``, with a sampling ``option`` that must be refused before any request."""
    files = [str(tmp_path / "a"), str(tmp_path / "b")] if command == "judge" else []
    for name in files:
        Path(name).write_text('{"id": "x", "response": "1"}\n')
    args = [command, *files, "--base-url", "http://127.0.0.1:9/v1", "--model", "m"]
    args += ["--dataset", str(dataset), "--out", str(tmp_path / "o.jsonl"), *option]
    return CliRunner().invoke(main, args)


@pytest.mark.parametrize(
    "option", [["--temperature", "nan"], ["--temperature", "inf"], ["--top-p", "nan"]]
)
@pytest.mark.parametrize("command", ["run", "judge"])
def test_non_finite_sampling_parameters_refused(
    option: list[str], command: str, built_default: Path, tmp_path: Path
) -> None:
    if command == "judge" and option[0] == "--top-p":
        return  # judge has no --top-p
    result = _with_option(command, option, built_default, tmp_path)
    assert result.exit_code == 2
    assert "is not a finite number" in result.output
    assert not (tmp_path / "o.jsonl").exists()
    with pytest.raises(InputError, match="must be a finite number"):
        SamplingParams(temperature=float(option[1]) if option[0] == "--temperature" else 0.0,
                       top_p=float(option[1]) if option[0] == "--top-p" else None)  # fmt: skip


@pytest.mark.parametrize(
    ("option", "most"),
    [(["--seed", str(10**23)], 2**63 - 1), (["--max-tokens", str(10**20)], 2**31 - 1)],
)
@pytest.mark.parametrize("command", ["run", "judge"])
def test_sampling_integers_past_a_servers_bound_refused(
    option: list[str], most: int, command: str, built_default: Path, tmp_path: Path
) -> None:
    result = _with_option(command, option, built_default, tmp_path)
    assert_one_error_line(result, f"{option[0]} {option[1]}: must be at most {most}")
    assert not (tmp_path / "o.jsonl").exists()


# --- redirects, slow servers, hostile bodies ----------------------------------------------------


def test_redirect_is_an_error_and_the_key_stays_home(
    start: Callable[[Respond], ScriptedServer], tmp_path: Path
) -> None:
    elsewhere = start(lambda handler, body: handler.send_chat("Answer: 1"))
    home = start(lambda handler, body: handler.send_redirect(elsewhere.url + "/chat/completions"))
    with pytest.raises(InputError) as caught:
        run(home, tmp_path / "r.jsonl", prompts(3), concurrency=1)
    assert "HTTP 302: a redirect" in str(caught.value)
    assert "not followed" in str(caught.value)
    assert KEY not in str(caught.value)
    assert elsewhere.bodies == []
    assert elsewhere.auth == []
    assert len(home.bodies) == 1


@pytest.mark.parametrize("headers_too", [False, True])
def test_timeout_bounds_the_whole_request(
    start: Callable[[Respond], ScriptedServer], headers_too: bool
) -> None:
    body = json.dumps({"choices": [choice("Answer: 1")]}).encode()
    server = start(lambda handler, _: handler.send_drip(body, 0.1, headers_too=headers_too))
    endpoint = Endpoint(base_url=server.url, timeout=0.5)
    began = time.monotonic()
    with pytest.raises(RequestFailed, match=r"timed out after 0\.5 s"):
        post_chat(endpoint, "m", [{"role": "user", "content": "q"}], SamplingParams())
    # The drip would take len(body) · 0.1 s (about 9 s); per-read timeouts never fire.
    assert len(body) * 0.1 > 8
    assert time.monotonic() - began < 5


def surrogate_reply(handler: ChatHandler, body: dict[str, Any]) -> None:
    text = (
        b'{"choices": [{"message": {"content": "Answer: 1 \\ud800 ok"}, "finish_reason": "stop"}]}'
    )
    handler.send(200, text)


def nested_reply(handler: ChatHandler, body: dict[str, Any]) -> None:
    depth = 100_000
    handler.send(200, b'{"choices": ' + b"[" * depth + b"]" * depth + b"}")


def test_lone_surrogate_and_nested_body(
    start: Callable[[Respond], ScriptedServer], tmp_path: Path
) -> None:
    out = tmp_path / "r.jsonl"
    summary = run(start(surrogate_reply), out, prompts(2))
    assert summary.n_answered == 2
    assert [line["response"] for line in lines_of(out)] == ["Answer: 1 \ufffd ok"] * 2
    assert run(start(surrogate_reply), out, prompts(2)).n_already_done == 2  # resumes
    nested = tmp_path / "n.jsonl"
    summary = run(start(nested_reply), nested, prompts(1))
    assert summary.n_errors == 1
    error = lines_of(nested)[0]["error"]
    assert f"nested deeper than {MAX_JSON_DEPTH} levels" in error


# --- one writer per output ----------------------------------------------------------------------


def test_a_locked_output_is_refused(
    start: Callable[[Respond], ScriptedServer], built_default: Path, tmp_path: Path
) -> None:
    server = start(lambda handler, body: handler.send_chat("Answer: 1"))
    out, predictions = tmp_path / "r.jsonl", tmp_path / "p.jsonl"
    out.write_text(
        '{"id": "s9", "response": "", "error": "HTTP 500", "model": "m", "template": "paper", '
        '"params": {}}\n'
    )
    before = out.read_bytes()
    args = ["run", "--base-url", server.url, "--model", "m", "--dataset", str(built_default)]
    args += ["--limit", "2", "--out", str(out), "--predictions", str(predictions)]
    for held in (out, predictions):
        with exclusive(held):
            result = CliRunner().invoke(main, args)
        assert result.exit_code == 2
        assert result.stderr == (
            f"Error: {held}: in use by another sgbench process; wait for it to finish or "
            "choose another output file\n"
        )
        assert out.read_bytes() == before  # not tidied under the other writer
        assert not predictions.exists()
    assert server.bodies == []
    assert CliRunner().invoke(main, args).exit_code == 0
    assert not lock_path(out).exists()
    assert not lock_path(predictions).exists()
    same = CliRunner().invoke(main, [*args[:-2], "--predictions", str(out)])
    assert same.exit_code == 2
    assert "--predictions is also --out" in same.stderr  # files.check_outputs_apart


def test_judge_output_is_locked(built_default: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    sample = split_rows(built_default, "default", "test_ood")[0]["id"]
    for path in (a, b):
        path.write_text(json.dumps({"id": sample, "response": "1"}) + "\n")
    out = tmp_path / "j.jsonl"
    args = ["judge", str(a), str(b), "--base-url", "http://127.0.0.1:9/v1", "--model", "j"]
    args += ["--dataset", str(built_default), "--out", str(out)]
    with exclusive(out):
        result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "in use by another sgbench process" in result.stderr


def test_judge_survives_hostile_replies(
    start: Callable[[Respond], ScriptedServer], built_default: Path, tmp_path: Path
) -> None:
    from sgbench.judge import judge_files

    rows = split_rows(built_default, "default", "test_ood")[:2]
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    for path, word in ((a, "GOOD"), (b, "BAD")):
        path.write_text("".join(json.dumps({"id": r["id"], "response": word}) + "\n" for r in rows))
    deep = '{"overall": ' * 5000 + "1" + "}" * 5000

    def script(handler: ChatHandler, body: dict[str, Any]) -> None:
        handler.send_chat(deep + " \ud800")

    server = start(script)
    out = tmp_path / "j.jsonl"
    summary = judge_files(
        a, b, out, dataset=built_default, model="j",
        endpoint=Endpoint(base_url=server.url, timeout=5.0), policy=FAST,
        sleep=lambda s: None, progress_stream=io.StringIO(),
    )  # fmt: skip
    assert (summary.n_judged, summary.n_unparsed, summary.n_errors) == (4, 4, 0)
    assert all(line["parse"] == "unparsed" for line in lines_of(out))


# --- Ctrl-C -------------------------------------------------------------------------------------


def test_second_run_refused_and_ctrl_c_exits_at_once_keeping_the_lines(
    start: Callable[[Respond], ScriptedServer], built_default: Path, tmp_path: Path
) -> None:
    answered = threading.Semaphore(0)

    def script(handler: ChatHandler, body: dict[str, Any]) -> None:
        with handler.owner.lock:
            first = len(handler.owner.bodies) <= 2
        if first:
            handler.send_chat("Answer: 1")
            answered.release()
        else:  # hang until the test ends (bounded by the server's release)
            handler.owner.release.wait(60)

    server = start(script)
    out = tmp_path / "r.jsonl"
    args = ["run", "--base-url", server.url, "--model", "m", "--dataset", str(built_default)]
    args += ["--limit", "6", "--concurrency", "1", "--timeout", "60", "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_PROXY": "127.0.0.1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "sgbench", *args], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        for _ in range(2):
            assert answered.acquire(timeout=30)
        deadline = time.monotonic() + 30
        while len(server.bodies) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)  # the third request is in flight, the server holds it
        # A second run on the same --out, from another process, is refused at once.
        second = CliRunner().invoke(main, args)
        assert second.exit_code == 2
        assert "in use by another sgbench process" in second.stderr
        assert len(server.bodies) == 3
        sent = time.monotonic()
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=30)
        waited = time.monotonic() - sent
    finally:
        if process.poll() is None:
            process.kill()
    assert code == 130
    assert waited < 10  # not the 60 s --timeout of the request in flight
    assert "interrupted: the responses so far are in" in (
        process.stderr.read() if process.stderr else ""
    )
    assert len(lines_of(out)) == 2


# --- distributions ------------------------------------------------------------------------------


def logprob_server(handler: ChatHandler, body: dict[str, Any]) -> None:
    """Answers "Answer: 2" with alternatives at the answer position: ' 2', '2', ' 1', 'x'."""
    handler.send_chat(
        "",
        choice(
            "Answer: 2",
            logprobs=[
                ("Answer", [("Answer", -0.01), ("The", -4.0)]),
                (":", [(":", -0.001)]),
                (" 2", [(" 2", -0.5), ("2", -2.5), (" 1", -1.6), ("x", -3.0)]),
            ],
        ),
    )


def test_logprobs_distribution_reproduced_exactly(
    start: Callable[[Respond], ScriptedServer], built_default: Path, tmp_path: Path
) -> None:
    server = start(logprob_server)
    rows = [r for r in split_rows(built_default, "default", "validation") if len(r["options"]) >= 2]
    rows = rows[:3]
    items = [Prompt(id=r["id"], template="paper", messages=[{"role": "user", "content": "q"}],
                    prompt="q") for r in rows]  # fmt: skip
    out = tmp_path / "r.jsonl"
    run(server, out, items, distribution="logprobs", options=row_options(rows))
    assert all(b["logprobs"] is True and b["top_logprobs"] == 20 for b in server.bodies)
    by_id = {line["id"]: line for line in lines_of(out)}
    for row in rows:
        line = by_id[row["id"]]
        codes = [str(o["code"]) for o in row["options"]]
        mass = {c: 0.0 for c in codes}
        for token, logprob in ((" 2", -0.5), ("2", -2.5), (" 1", -1.6)):
            if token.strip() in mass:
                mass[token.strip()] += math.exp(logprob)
        total = sum(mass.values())
        assert line["distribution"] == {c: mass[c] / total for c in codes}
        assert line["mass_outside"] == pytest.approx(1 - total, abs=1e-15)
        assert line["distribution_mode"] == "logprobs"
    parsed = parse_responses(out, built_default)
    assert [p["answer"] for p in parsed.predictions] == [2] * 3
    assert all(p["distribution"] for p in parsed.predictions)


@pytest.mark.parametrize(
    ("top", "generated"),
    [
        ((("1", -2.0), ("1", -1.5), ("2", -0.3)), ("2", -0.3)),  # one text listed twice
        ((("1", -2.0), (" 1", -1.5)), ("2", -0.3)),  # the generated token not listed
    ],
)
def test_every_listed_alternative_counts_once(
    top: tuple[tuple[str, float], ...], generated: tuple[str, float]
) -> None:
    """Alternatives of one text are summed, as documented: "1" listed twice (at -2.0 and -1.5)
    counted only the last, giving code 1 a share of e^-1.5 for e^-2.0 + e^-1.5."""
    from sgbench.runner.client import TokenLogprobs
    from sgbench.runner.distribution import logprob_distribution

    read = logprob_distribution([TokenLogprobs(*generated, top)], [1, 2, 3])
    assert read is not None
    mass = {"1": math.exp(-2.0) + math.exp(-1.5), "2": math.exp(-0.3), "3": 0.0}
    total = sum(mass.values())
    assert read[0] == pytest.approx({c: m / total for c, m in mass.items()}, abs=1e-15)
    assert read[1] == pytest.approx(max(0.0, 1 - total), abs=1e-15)


@pytest.mark.parametrize(("logprob", "readable"), [(800.0, False), (0.5, False), (1e-9, True)])
def test_a_logprob_above_zero_is_a_bad_reply_not_a_crash(
    logprob: float, readable: bool, start: Callable[[Respond], ScriptedServer], tmp_path: Path
) -> None:
    """A log-probability is at most 0 (beyond rounding): 800 overflowed ``exp`` and ended the
    run with a traceback; 0.5 would give shares of a probability above 1."""

    def script(handler: ChatHandler, body: dict[str, Any]) -> None:
        handler.send_chat("", choice("1", logprobs=[("1", [("1", logprob), ("2", -1.0)])]))

    out = tmp_path / "r.jsonl"
    summary = run(start(script), out, prompts(2), distribution="logprobs",
                  options={f"s{i}": [(1, "a"), (2, "b")] for i in range(2)})  # fmt: skip
    lines = lines_of(out)
    if readable:  # read as 0: shares e^0 and e^-1 over their sum
        share = 1 / (1 + math.exp(-1.0))
        for line in lines:
            assert line["distribution"] == pytest.approx({"1": share, "2": 1 - share}, abs=1e-15)
    else:
        assert (summary.n_answered, summary.n_errors) == (0, 2)
        assert all("logprob (<= 0)" in line["error"] for line in lines)


def test_no_logprobs_is_one_error(
    start: Callable[[Respond], ScriptedServer], built_default: Path, tmp_path: Path
) -> None:
    server = start(lambda handler, body: handler.send_chat("Answer: 1"))
    args = ["run", "--base-url", server.url, "--model", "m", "--dataset", str(built_default)]
    args += ["--limit", "5", "--distribution", "logprobs", "--out", str(tmp_path / "r.jsonl")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "the server sent no logprobs" in result.stderr


@pytest.mark.parametrize("honours_n", [True, False])
def test_sample_shares_in_steps_of_one_over_n(
    start: Callable[[Respond], ScriptedServer],
    built_default: Path,
    tmp_path: Path,
    honours_n: bool,
) -> None:
    """The server cycles through the codes 1, 1, 2, <refusal-free junk>, ... per request."""
    cycle = ["Answer: 1", "Answer: 1", "Answer: 2", "Answer: 1", "no idea"]
    counter = {"next": 0}

    def script(handler: ChatHandler, body: dict[str, Any]) -> None:
        n = body.get("n", 1) if honours_n else 1
        with handler.owner.lock:
            start_at = counter["next"]
            counter["next"] += n
        texts = [cycle[(start_at + k) % len(cycle)] for k in range(n)]
        handler.send_chat("", *[choice(t) for t in texts])

    server = start(script)
    rows = split_rows(built_default, "default", "validation")[:1]
    n = 10
    out = tmp_path / "r.jsonl"
    item = Prompt(id=rows[0]["id"], template="paper", messages=[{"role": "user", "content": "q"}],
                  prompt="q")  # fmt: skip
    run(server, out, [item], distribution="sample", samples=n, options=row_options(rows),
        params=SamplingParams(temperature=1.0))  # fmt: skip
    assert len(server.bodies) == (1 if honours_n else n)
    line = lines_of(out)[0]
    assert len(line["samples"]) == n
    parsed_answers = [t.removeprefix("Answer: ") for t in line["samples"] if t.startswith("A")]
    k = len(parsed_answers)
    codes = [str(o["code"]) for o in rows[0]["options"]]
    expected = {c: parsed_answers.count(c) / k for c in codes}
    assert line["distribution"] == expected
    assert all(round(share * k) == share * k for share in line["distribution"].values())
    assert (k, expected["1"], expected["2"]) == (8, 6 / 8, 2 / 8)


@pytest.mark.parametrize("reply", ["more choices", "large answers"])
def test_sample_keeps_the_answers_asked_within_one_reply_s_bound(
    reply: str, start: Callable[[Respond], ScriptedServer], built_default: Path, tmp_path: Path
) -> None:
    """A server returning 12 choices for n=3 had all 12 recorded and shared; one returning a
    6 MiB answer per request was asked N times, the line holding N x 6 MiB (1.7 GB of memory
    in 60 s for --samples 100 at --concurrency 2)."""
    from sgbench.runner.client import MAX_BODY_BYTES

    def script(handler: ChatHandler, body: dict[str, Any]) -> None:
        if reply == "more choices":
            handler.send_chat("", *[choice(f"Answer: {1 + k % 3 // 2}") for k in range(12)])
        else:
            handler.send_chat("", choice("Answer: 1 " + "x" * (6 << 20)))

    server = start(script)
    rows = split_rows(built_default, "default", "validation")[:1]
    out = tmp_path / "r.jsonl"
    item = Prompt(id=rows[0]["id"], template="paper", messages=[{"role": "user", "content": "q"}],
                  prompt="q")  # fmt: skip
    run(server, out, [item], distribution="sample", samples=3 if reply == "more choices" else 50,
        options=row_options(rows), params=SamplingParams(temperature=1.0))  # fmt: skip
    line = lines_of(out)[0]
    if reply == "more choices":  # the first three: codes 1, 1, 2
        assert line["samples"] == ["Answer: 1", "Answer: 1", "Answer: 2"]
        assert (line["distribution"]["1"], line["distribution"]["2"]) == (2 / 3, 1 / 3)
    else:  # asked until the answers passed 16 MiB: 3 replies of 6 MiB
        assert len(server.bodies) == 3
        assert f"more than {MAX_BODY_BYTES} bytes" in line["error"]


def test_sample_refuses_temperature_zero(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"^distribution sample at temperature 0 "):
        run_model(prompts(1), tmp_path / "r", model="m", template="t",
                  endpoint=Endpoint(base_url="http://127.0.0.1:9/v1"), distribution="sample",
                  options={"s0": [(1, "a"), (2, "b")]})  # fmt: skip


def test_verbalized_distribution(
    start: Callable[[Respond], ScriptedServer], built_default: Path, tmp_path: Path
) -> None:
    first = split_rows(built_default, "default", "validation")[0]
    codes = [str(o["code"]) for o in first["options"]]
    given = {codes[0]: 69.5, codes[1]: 30.5}  # the other codes left out: 0
    replies = iter(
        [
            f"Sure. ```json\n{json.dumps(given)}\n```",
            json.dumps({codes[0]: 50, codes[1]: 60}),  # sums to 110: unreadable
            "I think 1.",
        ]
    )
    lock = threading.Lock()

    def script(handler: ChatHandler, body: dict[str, Any]) -> None:
        with lock:
            text = next(replies)
        handler.send_chat(text)

    server = start(script)
    out = tmp_path / "r.jsonl"
    args = ["run", "--base-url", server.url, "--model", "m", "--dataset", str(built_default)]
    args += ["--split", "validation", "--concurrency", "1", "--distribution", "verbalized"]
    args += ["--limit", "3", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "percentage" in server.bodies[0]["messages"][-1]["content"]
    lines = lines_of(out)
    assert all(line["template"] == "verbalized" for line in lines)
    assert lines[0]["distribution"] == {c: given.get(c, 0.0) / 100.0 for c in codes}
    assert "distribution" not in lines[1]
    assert "distribution" not in lines[2]


def test_distribution_readers_by_hand() -> None:
    from sgbench.runner.client import TokenLogprobs
    from sgbench.runner.distribution import (
        logprob_distribution,
        sample_distribution,
        verbalized_distribution,
    )

    half, quarter = math.log(0.5), math.log(0.25)
    tokens = [
        TokenLogprobs("Answer", -0.1, (("Answer", -0.1),)),
        TokenLogprobs(" 3", half, ((" 3", half), ("3", quarter), (" 1", quarter))),
    ]
    # " 3" and "3" are one code: 0.75 for 3, 0.25 for 1, nothing left outside.
    assert logprob_distribution(tokens, [1, 2, 3]) == ({"1": 0.25, "2": 0.0, "3": 0.75}, 0.0)
    partial = [TokenLogprobs("2", half, (("2", half), ("x", quarter)))]
    assert logprob_distribution(partial, [1, 2]) == ({"1": 0.0, "2": 1.0}, 0.5)
    assert logprob_distribution(tokens[:1], [1, 2, 3]) is None  # no token is a code
    assert sample_distribution([1, None, 2, 1], [1, 2, 3]) == {"1": 2 / 3, "2": 1 / 3, "3": 0.0}
    assert sample_distribution([None, None], [1, 2]) is None
    assert verbalized_distribution('{"1": 25, "2": 75}', [1, 2]) == {"1": 0.25, "2": 0.75}
    assert verbalized_distribution('{"1": 99.5}', [1, 2]) == {"1": 1.0, "2": 0.0}
    for unreadable in ('{"1": 25, "5": 75}', '{"1": -10, "2": 110}', '{"1": 50}', "no JSON"):
        assert verbalized_distribution(unreadable, [1, 2]) is None
    # The last object whose keys are all codes wins (an example earlier in the reply loses).
    assert verbalized_distribution('e.g. {"1": 40, "2": 60}; mine: {"2": 100}', [1, 2]) == {
        "1": 0.0,
        "2": 1.0,
    }


def test_parse_command_counts_refusals(built_default: Path, tmp_path: Path) -> None:
    rows = split_rows(built_default, "default", "validation")[:2]
    responses = tmp_path / "r.jsonl"
    lines = [
        {"id": rows[0]["id"], "response": "", "refusal": "No.", "finish_reason": "stop"},
        {"id": rows[1]["id"], "response": f"Answer: {rows[1]['options'][0]['code']}"},
    ]
    responses.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    result = CliRunner().invoke(main, ["parse", str(responses), "--dataset", str(built_default)])
    assert result.exit_code == 0, result.output
    assert result.stderr == "parsed 1 of 2 responses, 1 refused\n"
    assert [json.loads(line) for line in result.stdout.splitlines()] == [
        {
            "id": rows[1]["id"],
            "answer": rows[1]["options"][0]["code"],
            "response": lines[1]["response"],
        },
        {"id": rows[0]["id"], "refusal": "No."},
    ]


@pytest.mark.parametrize("naming", ["symlink", "x/../", "hard link"])
@pytest.mark.parametrize("option", ["run --out", "run --predictions", "judge --out"])
def test_one_lock_whatever_the_file_is_called(
    naming: str, option: str, built_default: Path, test_ood_ids: tuple[str, ...], tmp_path: Path
) -> None:
    """A symlink or ``x/../`` naming a file another process writes meets its lock; a file with
    several hard links has no one lock and is refused (each name had its own sidecar, so two
    runs wrote one file at once)."""
    held = tmp_path / "held.jsonl"
    held.write_text("", encoding="utf-8")
    (tmp_path / "x").mkdir()
    given = {"symlink": tmp_path / "link.jsonl", "x/../": tmp_path / "x" / ".." / "held.jsonl",
             "hard link": tmp_path / "hard.jsonl"}[naming]  # fmt: skip
    if naming == "symlink":
        given.symlink_to(held)
    elif naming == "hard link":
        os.link(held, given)
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    sample = test_ood_ids[0]
    for path in (a, b):
        path.write_text(json.dumps({"id": sample, "response": "1"}) + "\n", encoding="utf-8")
    command, flag = option.split()
    args = [command, *([str(a), str(b)] if command == "judge" else [])]
    args += ["--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--dataset", str(built_default)]
    args += [flag, str(given)] if flag == "--out" else ["--out", str(tmp_path / "r.jsonl")]
    args += ["--predictions", str(given)] if flag == "--predictions" else []
    with exclusive(*([] if naming == "hard link" else [held])):  # a hard link: refused alone
        result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1
    said = "2 names (hard links)" if naming == "hard link" else "in use by another sgbench process"
    assert result.stderr.startswith(f"Error: {given}: ")
    assert said in result.stderr
    assert held.read_bytes() == b""
