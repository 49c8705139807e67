"""`run` and `judge` at their edges (probes 4 and 6 of issue #15): the base URL
(`check_base_url`), the timeout's bound, the model name, options the others make meaningless, a
`--out` that is not ours, is of another split or answers other prompts, log-probabilities that
underflow, broken reply framing, and SIGTERM.

Each rule lives in one place; the CLI cases are parametrised over both commands that send
requests.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_contract import assert_one_error_line
from click.testing import CliRunner
from fake_openai import ChatHandler, LoopbackChatServer, serving, write_judge_inputs

from sgbench.cli import main
from sgbench.errors import InputError
from sgbench.locks import lock_path
from sgbench.runner.client import NOT_CONNECTED, Endpoint, TokenLogprobs
from sgbench.runner.distribution import logprob_distribution

REPO = Path(__file__).resolve().parents[1]
SECRET = "s3cretPW"
URL = "http://127.0.0.1:9/v1"  # never contacted: the settings are checked first


def command(name: str, *, url: str = URL, model: str = "m") -> list[str]:
    """``run`` or ``judge`` on files of the working folder (``ds``, ``a.jsonl``, ``b.jsonl``)."""
    common = ["--base-url", url, "--model", model, "--dataset", "ds", "--out", "o.jsonl"]
    return ["run", *common] if name == "run" else ["judge", "a.jsonl", "b.jsonl", *common]


@pytest.fixture
def folder(
    built_default: Path,
    test_ood_ids: tuple[str, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """A working folder holding the dataset ``ds`` and two responses files."""
    shutil.copytree(built_default, tmp_path / "ds")
    write_judge_inputs(tmp_path, test_ood_ids[:2])
    monkeypatch.chdir(tmp_path)
    return tmp_path


BAD_URLS = {
    "user and password": (f"http://user:{SECRET}@127.0.0.1:9/v1", "user name or password"),
    "password only": (f"http://:{SECRET}@127.0.0.1:9/v1", "OPENAI_API_KEY"),
    "user only": (f"http://{SECRET}@127.0.0.1:9/v1", "user name or password"),
    "password with a slash": (f"http://user:a/{SECRET}@127.0.0.1:9/v1", "user name or password"),
    "password, other scheme": (f"ftp://user:{SECRET}@127.0.0.1/v1", "user name or password"),
    "port out of range": ("http://127.0.0.1:99999/v1", "1..65535"),
    "port not a number": ("http://127.0.0.1:abc/v1", "1..65535"),
    "negative port": ("http://127.0.0.1:-1/v1", "1..65535"),
    "port 0": ("http://127.0.0.1:0/v1", "port 0"),
    "IPv6 host left open": ("http://[::1/v1", "not a valid URL"),
    "trailing space": ("http://127.0.0.1:9/v1 ", "character 22 is a space"),
    "non-ASCII path": ("http://127.0.0.1:9/v\u00fc", "non-ASCII"),
    "fragment": ("http://127.0.0.1:9/v1#frag", "#fragment"),
    "empty": ("", "is empty"),
    "no scheme": ("127.0.0.1:9/v1", "needs http:// or https://"),
    "file": ("file:///etc/passwd", "needs http:// or https://"),
}


@pytest.mark.parametrize("case", sorted(BAD_URLS))
@pytest.mark.parametrize("name", ["run", "judge"])
def test_a_base_url_that_would_be_sent_other_than_given_is_one_line(
    name: str, case: str, folder: Path
) -> None:
    url, fragment = BAD_URLS[case]
    result = CliRunner().invoke(main, command(name, url=url))
    assert_one_error_line(result, "--base-url", fragment)
    assert SECRET not in result.output  # never echoed: it may be a password
    assert not (folder / "o.jsonl").exists()


def test_the_query_is_kept_after_the_path_and_never_shown() -> None:
    endpoint = Endpoint(f"HTTP://host:8000/v1/?api-version=2&key={SECRET}")
    assert endpoint.url == f"http://host:8000/v1/chat/completions?api-version=2&key={SECRET}"
    assert endpoint.shown == "http://host:8000/v1/chat/completions?…"
    assert Endpoint("http://host/v1/chat/completions").url == "http://host/v1/chat/completions"


@pytest.mark.parametrize("timeout", ["1e308", "86401"])
@pytest.mark.parametrize("name", ["run", "judge"])
def test_a_timeout_beyond_a_day_is_one_line(name: str, timeout: str, folder: Path) -> None:
    # 1e308 overflowed the socket's clock with a traceback once a request was sent.
    result = CliRunner().invoke(main, [*command(name), "--timeout", timeout])
    assert_one_error_line(result, "--timeout", "at most 86400")


@pytest.mark.parametrize("model", ["", "   ", " m", "m ", "m\u202e", "m\u2800"])
@pytest.mark.parametrize("name", ["run", "judge"])
def test_a_blank_or_unprintable_model_name_is_refused(name: str, model: str, folder: Path) -> None:
    # Control characters and bytes that are not UTF-8 are refused in every argument before a
    # command runs (sgbench.cli.errors); what is left is a name that is blank, padded or holds
    # a format character (a bidirectional control) and would be recorded other than it reads.
    result = CliRunner().invoke(main, command(name, model=model))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    # An empty one is every empty argument's case (sgbench.cli.errors: an unset variable?).
    said = "the value of --model ('') is empty" if model == "" else "Invalid value for '--model'"
    assert f"Error: {said}" in result.stderr
    assert not (folder / "o.jsonl").exists()


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--max-completion-tokens", "5", "--max-tokens", "7"], "--max-tokens has no effect"),
        (["--samples", "5"], "--samples has no effect without --distribution sample"),
        (["--samples", "5", "--distribution", "logprobs"], "--samples has no effect"),
        *(
            (
                ["--distribution", "verbalized", "--template", name],
                f"--distribution verbalized has no effect with the built-in template {name}",
            )
            for name in ("paper", "plain", "json", "open")
        ),
    ],
)
def test_an_option_the_others_make_meaningless_is_refused(
    extra: list[str], fragment: str, folder: Path
) -> None:
    result = CliRunner().invoke(main, [*command("run"), *extra])
    assert_one_error_line(result, fragment)
    assert not (folder / "o.jsonl").exists()


@pytest.mark.parametrize("template", [[], ["--template", "verbalized"], ["--template", "t.txt"]])
def test_verbalized_distribution_with_a_template_that_asks_for_percentages_passes(
    template: list[str], folder: Path
) -> None:
    # Only a built-in template asking for one answer makes --distribution verbalized
    # meaningless; the default (then the verbalized template) and a file of yours pass the rule
    # and reach the request (to a port where nothing listens: exit 3 with an error line).
    (folder / "t.txt").write_text("{question}\n{options}\nPercentages?", encoding="utf-8")
    result = CliRunner().invoke(
        main,
        [
            *command("run"),
            "--distribution",
            "verbalized",
            "--max-attempts",
            "1",
            "--limit",
            "1",
            *template,
        ],
    )
    assert result.exit_code == 3, result.output
    assert "has no effect" not in result.stderr


def test_minus_zero_is_recorded_as_zero(folder: Path) -> None:
    from sgbench.cli.options import FiniteFloat

    assert math.copysign(1.0, FiniteFloat(min=0.0).convert("-0", None, None)) == 1.0


NOT_OURS = {
    "text without a newline": b"my notes, no newline",
    "a JSON object without a newline": b'{"a": 1}',
    "NUL bytes": b"\x00\x00\x00",
}


@pytest.mark.parametrize("case", sorted(NOT_OURS))
@pytest.mark.parametrize("name", ["run", "judge"])
def test_an_out_whose_only_line_is_not_ours_is_refused_and_kept(
    name: str, case: str, folder: Path
) -> None:
    # The "unfinished last line" of an interrupted run used to be any last line without a
    # newline: a one-line file of someone's notes was tidied away to nothing.
    (folder / "o.jsonl").write_bytes(NOT_OURS[case])
    result = CliRunner().invoke(main, command(name))
    assert_one_error_line(result, "o.jsonl: line 1: not a")
    assert (folder / "o.jsonl").read_bytes() == NOT_OURS[case]


@pytest.fixture
def answering(monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackChatServer]:
    """A server whose one reply is a response to `run` and verdicts `judge` reads (a judge
    that leaves verdicts unparsed ends with exit code 3)."""
    verdicts = '{"overall": "1", "value": "1", "persona": "1"}'
    with serving(LoopbackChatServer(reply=lambda body: verdicts), monkeypatch) as server:
        yield server


def test_an_out_of_another_split_is_refused_not_mixed(
    answering: LoopbackChatServer, folder: Path
) -> None:
    args = [*command("run", url=answering.url), "--limit", "2", "--no-progress"]
    assert CliRunner().invoke(main, [*args, "--split", "validation"]).exit_code == 0
    before = (folder / "o.jsonl").read_bytes()
    sent = len(answering.bodies)
    result = CliRunner().invoke(main, [*args, "--predictions", "p.jsonl"])  # test_ood
    assert_one_error_line(result, "o.jsonl: line 1:", "not in the split this run answers")
    assert (folder / "o.jsonl").read_bytes() == before
    assert len(answering.bodies) == sent
    assert not (folder / "p.jsonl").exists()
    # The same split resumes, past --limit too (a longer run of the same split).
    longer = [*args[: args.index("--limit") + 1], "3", *args[args.index("--limit") + 2 :]]
    again = CliRunner().invoke(main, [*longer, "--split", "validation"])
    assert again.exit_code == 0, again.output
    assert "2 already in" in again.stderr


def test_log_probabilities_that_underflow_still_give_shares() -> None:
    # exp(-1e308) is 0 for both codes: the shares divided 0 by 0 (a traceback).
    both = TokenLogprobs("1", -1e308, (("1", -1e308), ("2", -1e308)))
    shares, outside = logprob_distribution([both], [1, 2]) or ({}, 0.0)
    assert shares == {"1": 0.5, "2": 0.5}
    assert outside == 1.0
    # Relative shares survive underflow: e^-800 : e^-801 is e : 1.
    close = TokenLogprobs("1", -800.0, (("1", -800.0), ("2", -801.0), ("x", -0.01)))
    shares, outside = logprob_distribution([close], [1, 2]) or ({}, 0.0)
    assert shares["1"] == pytest.approx(math.e / (1 + math.e))
    assert shares["2"] == pytest.approx(1 / (1 + math.e))
    assert outside == 1.0


class Holding(LoopbackChatServer):
    """Answers the first request and holds the next ones until released."""

    def __init__(self) -> None:
        super().__init__()
        self.answered = threading.Event()

    def respond(self, handler: ChatHandler, body: dict[str, Any]) -> None:
        with self.lock:
            first = len(self.bodies) == 1
        if first:
            handler.send_chat("Answer: 1")
            self.answered.set()
        else:
            self.release.wait(60)


@pytest.mark.parametrize(
    "signals",
    [
        (signal.SIGTERM,),
        (signal.SIGHUP,),
        (signal.SIGINT, signal.SIGINT),
        (signal.SIGTERM, signal.SIGINT),
    ],
    ids=["SIGTERM", "SIGHUP", "Ctrl-C twice", "SIGTERM then Ctrl-C"],
)
def test_sigterm_or_a_second_ctrl_c_ends_a_run_as_ctrl_c_does(
    signals: tuple[signal.Signals, ...],
    built_default: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SIGTERM (and SIGHUP, a closed terminal) used to kill the run where it stood (no message,
    exit -15 or -1, the lock file left); a second Ctrl-C broke the clean-up of the first with a
    traceback."""
    out = tmp_path / "r.jsonl"
    with serving(Holding(), monkeypatch) as server:
        args = ["run", "--base-url", server.url, "--model", "m", "--dataset", str(built_default)]
        args += ["--limit", "4", "--concurrency", "1", "--timeout", "60", "--out", str(out)]
        env = {**os.environ, "PYTHONPATH": str(REPO), "NO_PROXY": "127.0.0.1"}
        process = subprocess.Popen(
            [sys.executable, "-m", "sgbench", *args], env=env, stderr=subprocess.PIPE, text=True
        )
        try:
            assert server.answered.wait(30)
            deadline = time.monotonic() + 30
            while len(server.bodies) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.2)  # the second request is in flight, held by the server
            for number in signals:
                process.send_signal(number)
            code = process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
        stderr = process.stderr.read() if process.stderr else ""
    assert code == 130, stderr
    assert "interrupted: the responses so far are in" in stderr
    assert "Traceback" not in stderr
    assert len(out.read_text().splitlines()) == 1
    assert not lock_path(out).exists()


def test_check_base_url_is_the_endpoints_one_rule() -> None:
    with pytest.raises(InputError, match="user name or password") as caught:
        Endpoint(f"https://u:{SECRET}@api.example/v1")
    assert SECRET not in str(caught.value)


class Echoing(LoopbackChatServer):
    """Echoes the request's Authorization header back, in the answer, JSON-escaped, in a refusal
    and as a usage key."""

    def respond(self, handler: ChatHandler, body: dict[str, Any]) -> None:
        header = str(handler.headers.get("Authorization"))
        escaped = "".join(f"\\u{ord(c):04x}" for c in header)
        handler.send(
            200,
            (
                '{"choices": [{"message": {"content": "Answer: 1 ' + escaped + '"}, '
                '"finish_reason": "stop"}, {"message": {"content": null, "refusal": "'
                + header
                + '"}, "finish_reason": "stop"}], "usage": {"'
                + header
                + '": 1}}'
            ).encode(),
        )


def test_a_key_the_server_echoes_in_its_reply_is_never_written(
    built_default: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "r.jsonl"
    with serving(Echoing(), monkeypatch) as server:
        args = ["run", "--base-url", server.url, "--model", "m", "--dataset", str(built_default)]
        args += ["--limit", "2", "--out", str(out), "--distribution", "sample"]
        args += ["--temperature", "1", "--samples", "2"]
        result = CliRunner().invoke(main, args, env={"OPENAI_API_KEY": f"sk-{SECRET}"})
        assert server.auth == [f"Bearer sk-{SECRET}"] * 2  # it was sent, and echoed
    assert result.exit_code == 0, result.output
    written = out.read_text(encoding="utf-8")
    assert SECRET not in written
    assert "Answer: 1 Bearer ***" in written
    assert SECRET not in result.output


PROXIES = {
    "user and password": (f"http://user:{SECRET}@127.0.0.1:3128", "user name or password"),
    "port out of range": ("http://127.0.0.1:99999", "not a valid URL"),
    "IPv6 host left open": ("http://[::1", "not a valid URL"),
    "no host": ("http://", "names no host"),
}


@pytest.mark.parametrize("case", sorted(PROXIES))
@pytest.mark.parametrize("name", ["run", "judge"])
def test_a_proxy_that_would_drop_or_crash_is_one_line_naming_the_variable(
    name: str, case: str, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(variable, raising=False)
    proxy, fragment = PROXIES[case]
    result = CliRunner().invoke(main, command(name), env={"http_proxy": proxy})
    assert_one_error_line(result, "http_proxy (from the environment)", fragment)
    assert SECRET not in result.output


@pytest.mark.parametrize("variable", ["http_proxy", "HTTP_PROXY"])
@pytest.mark.parametrize("name", ["run", "judge"])
def test_a_dead_proxy_is_named_in_each_error(
    name: str, variable: str, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A proxy from the environment that refuses connections gave every sample the error
    "connection error: ConnectionRefusedError", while the server --base-url names was up: the
    error says the request went through the proxy of http_proxy (never its address)."""
    for unset in ("NO_PROXY", "no_proxy", "http_proxy", "HTTP_PROXY"):
        monkeypatch.delenv(unset, raising=False)
    monkeypatch.setenv(variable, "http://127.0.0.1:9")  # the discard port: refused
    args = [*command(name, url="http://127.0.0.1:8/v1"), "--max-attempts", "1"]
    result = CliRunner().invoke(main, args)
    # judge has 4 requests, under the 8 in flight: each fails; run stops after the first 8.
    assert result.exit_code == (3 if name == "judge" else 2), result.output
    errors = [json.loads(line)["error"] for line in (folder / "o.jsonl").read_text().splitlines()]
    assert errors
    for error in errors:
        assert error.startswith(f"{NOT_CONNECTED} (through the proxy that http_proxy names"), error
        assert "127.0.0.1:9" not in error
    assert "127.0.0.1:9" not in result.output


@pytest.mark.parametrize("name", ["run", "judge"])
def test_a_server_never_reached_stops_the_run(
    name: str, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A --base-url on a closed port retried every sample of the split with backoff (6 attempts,
    about 30 s each; hours for a split) and ended with exit code 3 (probe s12 R30). Once as many
    requests as are in flight have failed to connect and none reached the server, the run stops
    with one line and keeps what it wrote; a run where one request got through goes on."""
    for unset in ("http_proxy", "HTTP_PROXY"):
        monkeypatch.delenv(unset, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    args = [*command(name, url="http://127.0.0.1:9/v1"), "--max-attempts", "1"]
    result = CliRunner().invoke(main, [*args, "--concurrency", "1"])
    assert_one_error_line(result)
    assert f"the first request could not connect to the server ({NOT_CONNECTED}" in result.stderr
    lines = (folder / "o.jsonl").read_text().splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["error"].startswith(f"{NOT_CONNECTED}: ConnectionRefusedError")


def test_a_key_twice_in_a_reply_is_malformed_and_in_a_verdict_unread() -> None:
    from sgbench.judge.prompt import parse_verdicts
    from sgbench.runner.client import read_completion
    from sgbench.runner.distribution import verbalized_distribution

    body = b'{"choices": [{"message": {"content": "Answer: 1", "content": "Answer: 2"}}]}'
    with pytest.raises(ValueError, match="key 'content' twice"):
        read_completion(body)
    verdicts = parse_verdicts('{"overall": "1", "overall": "2", "value": "tie"}', ["overall"])
    assert verdicts == {"overall": None}
    assert verbalized_distribution('{"1": 50, "2": 50, "1": 0}', [1, 2]) is None
    assert verbalized_distribution('{"1": 50, "2": 50, "2": 50}', [1, 2]) == {"1": 0.5, "2": 0.5}


@pytest.mark.parametrize(
    ("reader", "text"),
    [
        ("verdict", '{"overall": "1", "Overall": "2", "value": "tie"}'),
        ("verdict", '{"overall": "1", " overall ": "2", "value": "tie"}'),
        ("verbalized", '{"1": 0, " 1": 60, "2": 40}'),
        ("verbalized", '{" 2": 40, "1": 60, "2 ": 0}'),
    ],
)
def test_two_spellings_of_one_key_in_a_reply_are_unread(reader: str, text: str) -> None:
    """A verdict or a verbalized distribution naming one criterion or code twice, in spellings
    its reader takes for one (case, spaces), was read with the last one: verdict 2, and
    `{"1": 0, " 1": 60, "2": 40}` as 60 % for code 1, with exit 0."""
    from sgbench.judge.prompt import parse_verdicts
    from sgbench.runner.distribution import verbalized_distribution

    if reader == "verdict":
        assert parse_verdicts(text, ["overall", "value"]) == {"overall": None, "value": "tie"}
    else:
        assert verbalized_distribution(text, [1, 2]) is None


@pytest.mark.parametrize("how", ["removed", "replaced"])
def test_an_out_removed_or_replaced_while_written_stops_the_pool(how: str, tmp_path: Path) -> None:
    """`rm r.jsonl` (or an editor saving over it) during a run: the lines went to a file no name
    led to, and the run reported them all answered with exit 0."""
    from sgbench.runner.run import run_pool

    out = tmp_path / "r.jsonl"

    def work(task: int, wait: Any, stop: threading.Event) -> dict[str, Any] | None:
        if task == 2:
            if how == "removed":
                out.unlink()
            else:
                (tmp_path / "new").write_text('{"mine": 1}\n')
                (tmp_path / "new").replace(out)
        return {"id": str(task), "response": "x"}

    with pytest.raises(InputError, match="removed or replaced by another program"):
        run_pool(
            [1, 2, 3, 4],
            work,
            out,
            where="here",
            concurrency=1,
            show_progress=False,
            kept="responses",
        )
    if how == "replaced":
        assert out.read_text() == '{"mine": 1}\n'  # theirs, untouched


HOSTILE_NAME = "x\u202e.jsonl"  # reverses what follows (controls are refused as arguments)


@pytest.mark.parametrize("name", ["run", "judge"])
def test_an_out_named_with_control_characters_is_shown_escaped(name: str, folder: Path) -> None:
    """Names are quoted in errors through sgbench.errors.shown_name: a bidirectional control in
    --out's name went to the terminal as is and reordered the line."""
    (folder / HOSTILE_NAME).write_text("garbage\n", encoding="utf-8")
    args = command(name)
    args[args.index("o.jsonl")] = HOSTILE_NAME
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    line = result.stderr.splitlines()[0]
    assert line.startswith("Error: x\\u202e.jsonl")
    assert not any(not ch.isprintable() for ch in result.stderr.replace("\n", ""))


class Hostile401(LoopbackChatServer):
    def respond(self, handler: ChatHandler, body: dict[str, Any]) -> None:
        handler.send(401, b'{"error": "\x1b]52;c;cm0gLXJmIH4=\x07 bad key"}')


def test_a_servers_control_characters_are_escaped_in_the_error_line(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serving(Hostile401(), monkeypatch) as server:
        result = CliRunner().invoke(main, command("run", url=server.url))
    line = assert_one_error_line(result, "HTTP 401", "\\x1b]52;c;cm0gLXJmIH4=\\x07 bad key")
    assert "\x1b" not in line


@pytest.mark.parametrize("option", ["--out", "--predictions"])
def test_an_output_in_a_missing_folder_says_so(option: str, folder: Path) -> None:
    """It said "cannot create its lock file", naming a file the user never asked for."""
    args = [*command("run"), "--predictions", "p.jsonl"]
    args[args.index(option) + 1] = "nowhere/x.jsonl"
    result = CliRunner().invoke(main, args)
    assert_one_error_line(
        result, f"'{option}'", "nowhere/x.jsonl: its folder nowhere does not exist"
    )


class BadFraming(LoopbackChatServer):
    """A chunked reply whose chunk size is negative."""

    def respond(self, handler: ChatHandler, body: dict[str, Any]) -> None:
        handler.wfile.write(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            b"-5\r\nabc\r\n0\r\n\r\n"
        )
        handler.close_connection = True


@pytest.mark.parametrize("name", ["run", "judge"])
def test_a_reply_with_broken_framing_is_an_error_line_not_a_crash(
    name: str, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """http.client let a negative chunk size escape as a ValueError: a traceback, exit 1."""
    with serving(BadFraming(), monkeypatch) as server:
        args = [*command(name, url=server.url), "--max-attempts", "1", "--no-progress"]
        result = CliRunner().invoke(main, [*args, "--limit", "1"] if name == "run" else args)
    assert result.exit_code == 3, result.output
    lines = [json.loads(line) for line in (folder / "o.jsonl").read_text().splitlines()]
    assert len(lines) == len(server.bodies) > 0
    assert all("malformed reply framing" in line["error"] for line in lines)


def rebuilt_with_other_personas(folder: Path) -> Path:
    """``ds2``: the default build with one persona phrase reworded (the same sample ids)."""
    config = (REPO / "sgbench/builder/configs/singapore.yaml").read_text(encoding="utf-8")
    assert "phrase: with no religion" in config
    edited = folder / "reworded.yaml"
    edited.write_text(config.replace("with no religion", "who has no religion"), encoding="utf-8")
    built = CliRunner().invoke(main, ["build", "--config", str(edited), "--out", "ds2", "-q"])
    assert built.exit_code == 0, built.output
    return folder / "ds2"


def test_a_resume_never_keeps_an_answer_to_another_prompt(
    answering: LoopbackChatServer, folder: Path
) -> None:
    """The dataset rebuilt with other personas keeps its ids: the old answers were kept as
    answers to the new prompts, with exit 0. Each line records the sha256 of its request."""
    args = [*command("run", url=answering.url), "--limit", "2", "--no-progress"]
    assert CliRunner().invoke(main, args).exit_code == 0
    recorded = {json.loads(line)["prompt_sha256"] for line in (folder / "o.jsonl").open()}
    sent = {
        hashlib.sha256(
            json.dumps(
                body["messages"], ensure_ascii=False, sort_keys=True, separators=(",", ":")
            ).encode()
        ).hexdigest()
        for body in answering.bodies
    }
    assert recorded == sent
    assert len(sent) == 2
    rebuilt_with_other_personas(folder)
    before, n_sent = (folder / "o.jsonl").read_bytes(), len(answering.bodies)
    again = [*args[: args.index("ds")], "ds2", *args[args.index("ds") + 1 :]]
    result = CliRunner().invoke(main, again)
    assert_one_error_line(result, "o.jsonl: line", "answers another prompt than this run sends")
    assert (folder / "o.jsonl").read_bytes() == before
    assert len(answering.bodies) == n_sent
    longer = [*args[: args.index("--limit") + 1], "3", *args[args.index("--limit") + 2 :]]
    assert CliRunner().invoke(main, longer).exit_code == 0  # the same dataset


def test_a_judge_resume_never_keeps_a_judgment_of_other_responses(
    answering: LoopbackChatServer, folder: Path
) -> None:
    """A responses file rerun under the same model name (other texts): the judgments of the old
    texts were kept for the new ones, with exit 0."""
    args = [*command("judge", url=answering.url), "--no-progress"]
    assert CliRunner().invoke(main, args).exit_code == 0
    assert CliRunner().invoke(main, args).exit_code == 0  # the same files resume
    before, n_sent = (folder / "o.jsonl").read_bytes(), len(answering.bodies)
    a = (folder / "a.jsonl").read_text(encoding="utf-8")
    (folder / "a.jsonl").write_text(a.replace("Answer: a", "Answer: 4"), encoding="utf-8")
    result = CliRunner().invoke(main, args)
    assert_one_error_line(result, "o.jsonl: line 1:", "answers another prompt than this run sends")
    assert (folder / "o.jsonl").read_bytes() == before
    assert len(answering.bodies) == n_sent


NO_PROXY_FORMS = {
    # no_proxy value → whether http://127.0.0.1:8000/v1 goes direct
    "127.0.0.1": True,
    "127.0.0.1:8000": True,  # host:port (urllib matched it only when given the port)
    "127.0.0.0/8": True,  # an address range (urllib read it as a name)
    "example.org, 127.0.0.1/32": True,
    "127.0.0.1:9000": False,
    "10.0.0.0/8": False,
    "[::1]": False,
    "": False,
}


@pytest.mark.parametrize("value", sorted(NO_PROXY_FORMS))
def test_no_proxy_is_read_in_the_forms_other_clients_read(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A form urllib missed sent the request, with the key, to the proxy meant to be avoided."""
    import urllib.parse

    from sgbench.runner.client import proxy_for

    for variable in ("NO_PROXY", "no_proxy", "HTTP_PROXY"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:3128")
    monkeypatch.setenv("no_proxy", value)
    via = proxy_for(urllib.parse.urlsplit("http://127.0.0.1:8000/v1"))
    assert (via is None) == NO_PROXY_FORMS[value]


def test_judge_refuses_responses_to_another_builds_prompts(
    answering: LoopbackChatServer, folder: Path
) -> None:
    """Responses from a dataset built with other personas (the same ids) were judged against
    this build's subgroups with exit 0."""
    rebuilt_with_other_personas(folder)
    run = [*command("run", url=answering.url), "--limit", "2", "--no-progress"]
    for name, dataset in (("a2.jsonl", "ds2"), ("b2.jsonl", "ds")):
        args = [*run, "--template", "open"]
        args[args.index("ds")] = dataset
        args[args.index("o.jsonl")] = name
        assert CliRunner().invoke(main, args).exit_code == 0
    judge = [*command("judge", url=answering.url), "--no-progress"]
    judge[1:3] = ["a2.jsonl", "b2.jsonl"]
    n_sent = len(answering.bodies)
    result = CliRunner().invoke(main, judge)
    assert_one_error_line(result, "a2.jsonl: sample", "answered another prompt than --dataset's")
    assert len(answering.bodies) == n_sent
    assert not (folder / "o.jsonl").exists()
    judge[1:3] = ["b2.jsonl", "b2.jsonl"]
    Path(folder / "c2.jsonl").write_bytes(
        (folder / "b2.jsonl").read_bytes().replace(b'"m"', b'"c"')
    )
    judge[2] = "c2.jsonl"
    assert CliRunner().invoke(main, judge).exit_code == 0  # responses to this build's prompts


@pytest.mark.parametrize("key", ["2", "e", "EMPTY", "sk-1234"])
def test_a_placeholder_key_is_not_redacted_from_replies(key: str) -> None:
    """A short placeholder key (a local server checks none) was redacted from every reply of
    `run` and `judge`: with the key `2`, "Answer: 2" was written as "Answer: ***" (exit 0);
    with `e`, the reply's own keys (`choic***s`), and every request failed."""
    from sgbench.runner.client import read_completion

    body = json.dumps(
        {"choices": [{"message": {"content": "Answer: 2 (see EMPTY sk-1234)"}}], "usage": {}}
    ).encode()
    assert read_completion(body, secret=key).text == "Answer: 2 (see EMPTY sk-1234)"
    long_key = "sk-" + key + "-0123456789"  # a real key is still never written
    body = json.dumps({"choices": [{"message": {"content": f"key {long_key}"}}]}).encode()
    assert read_completion(body, secret=long_key).text == "key ***"


def test_a_run_that_reached_the_server_once_goes_on_through_connection_errors(
    tmp_path: Path,
) -> None:
    """The stop at the concurrency itself is for a server never reached: after one answer,
    connection errors are a server going away for a while (a restart), recorded per sample and
    retried by the next run, until the breaker's threshold of failures in a row
    (`sgbench.runner.run.Breaker`, tests/test_runner_breaker.py)."""
    from sgbench.runner.run import run_pool

    def work(task: int, wait: object, stop: object) -> dict[str, Any]:
        if task in answered:
            return {"id": f"s{task}", "response": "Answer: 1"}
        return {"id": f"s{task}", "response": "", "error": f"{NOT_CONNECTED}: ConnectionRefused"}

    out = tmp_path / "o.jsonl"
    answered = {0, 3, 6}  # never 3 connection errors in a row
    counts = run_pool(
        list(range(7)), work, out, where="http://h/v1", concurrency=1, kept="responses"
    )
    assert (counts.n_done, counts.n_errors) == (3, 4)
    answered = set()
    with pytest.raises(InputError, match="the first request could not connect to the server"):
        run_pool(
            list(range(5)),
            work,
            tmp_path / "p.jsonl",
            where="http://h/v1",
            concurrency=1,
            kept="responses",
        )
    assert len((tmp_path / "p.jsonl").read_text().splitlines()) == 1
    # Worded for one request and for several ("none of the first 1 requests", probe s13 R01).
    with pytest.raises(InputError, match="none of the first 2 requests could connect to the"):
        run_pool(
            list(range(5)),
            work,
            tmp_path / "q.jsonl",
            where="http://h/v1",
            concurrency=2,
            kept="responses",
        )
    assert len((tmp_path / "q.jsonl").read_text().splitlines()) == 2


def test_a_verbalized_reply_longer_than_parse_reads_is_not_read() -> None:
    """`parse`, `run` and `judge` read no reply longer than MAX_REPLY_CHARS; a verbalized
    distribution was read at any length (a 1 MB reply took 1.2 s per line)."""
    from sgbench.runner.distribution import verbalized_distribution
    from sgbench.scoring.parse import MAX_REPLY_CHARS

    reply = '{"1": 25, "2": 75}'
    at_bound = " " * (MAX_REPLY_CHARS - len(reply)) + reply
    assert verbalized_distribution(at_bound, [1, 2]) == {"1": 0.25, "2": 0.75}
    assert verbalized_distribution(" " + at_bound, [1, 2]) is None
