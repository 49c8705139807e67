"""`sgbench judge` and `judge-report`: the judge prompt, verdict parsing, loopback fake judges
(fair, order-biased, unparsable, repaired by the retry), resuming, the CLI, and the win-rate
arithmetic on hand-made judgments files checked against values computed by hand."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fake_openai import ChatHandler, LoopbackChatServer, serving

from sgbench.cli import main
from sgbench.errors import InputError
from sgbench.judge import JUDGE_PROMPT, judge_files, judge_report, parse_criteria, parse_verdicts
from sgbench.judge.prompt import judge_messages, repair_messages
from sgbench.judge.report import read_judgments
from sgbench.judge.run import build_tasks, read_responses, to_files
from sgbench.prompts import TEMPLATES, render_prompt, split_rows
from sgbench.runner import Endpoint, RetryPolicy
from sgbench.scoring.bootstrap import MIN_REPLICATES
from sgbench.scoring.parse import MAX_REPLY_CHARS

CRITERIA = ("overall", "value", "persona")
FAST = RetryPolicy(max_attempts=2, base_delay=0.0, max_delay=0.0, jitter=0)
N_SAMPLES = 4


def crafted_row() -> dict[str, Any]:
    """One sample with codes out of numeric order (scale order is the list order)."""
    return {
        "id": "Q9/religion=muslim",
        "question_id": "Q9",
        "question": "How often do you pray?",
        "options": [
            {"code": 1, "label": "Often"},
            {"code": 2, "label": "Sometimes"},
            {"code": 0, "label": "Rarely"},
        ],
        "subgroup_id": "religion=muslim",
        "subgroup": {"sex": None, "religion": "Muslim"},
        "persona": "You are a Muslim person living in Singapore.",
        "n_valid": 118,
        "distribution": [0.5, 0.375, 0.125],
    }


# --- the open template and the judge prompt ---------------------------------------------------


def test_open_template_has_no_numbered_options() -> None:
    prompt = render_prompt(TEMPLATES["open"], crafted_row())
    system, user = prompt["messages"]
    assert system == {"role": "system", "content": "You are a Muslim person living in Singapore."}
    assert user["content"].startswith("How often do you pray?\n\nGive your own view on this")
    assert "a few sentences" in user["content"]
    assert not re.search(r"^\d+\. ", user["content"], re.MULTILINE)
    assert "Often" not in user["content"]


def test_judge_prompt_shows_distribution_and_both_responses_in_order() -> None:
    messages = judge_messages(crafted_row(), "FIRST TEXT", "SECOND TEXT", ["overall", "persona"])
    assert [m["role"] for m in messages] == ["system", "user"]
    user = messages[1]["content"]
    assert "You are a Muslim person living in Singapore." in user
    assert "How often do you pray?" in user
    assert "(shares of the 118 respondents" in user
    assert "- Often: 50.0%\n- Sometimes: 37.5%\n- Rarely: 12.5%" in user  # scale order
    assert user.index("FIRST TEXT") < user.index("SECOND TEXT")
    assert "[Response 1 begins]\nFIRST TEXT\n[Response 1 ends]" in user
    assert "- overall: " in user
    assert "- persona: " in user
    assert "- value: " not in user
    assert user.endswith('{"overall": "<1|2|tie>", "persona": "<1|2|tie>"}')
    # Deterministic: the same inputs give the same text.
    assert judge_messages(crafted_row(), "FIRST TEXT", "SECOND TEXT", ["overall", "persona"]) == (
        messages
    )
    repair = repair_messages(messages, "hmm", ["overall"])
    assert repair[:2] == messages
    assert repair[2] == {"role": "assistant", "content": "hmm"}
    assert repair[3]["content"].startswith("Your reply could not be read.")


def test_parse_criteria() -> None:
    assert parse_criteria("persona, overall") == ("overall", "persona")
    assert parse_criteria("value,value") == ("value",)
    with pytest.raises(InputError, match="unknown criterion 'style'"):
        parse_criteria("overall,style")
    with pytest.raises(InputError, match="unknown criterion ''"):
        parse_criteria("")


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ('{"overall": "1", "value": "tie", "persona": "2"}', ("1", "tie", "2")),
        ('```json\n{"Overall": "Response 2", "value": 1, "persona": "TIE"}```', ("2", "1", "tie")),
        ('Hm {"overall": "<1|2|tie>"} so: {"overall": "2", "value": "2"}', ("2", "2", None)),
        ('{"overall": true, "value": "1.", "persona": "both"}', (None, "1", None)),
        ("Overall: 1\n**Value**: Response 2, clearly\npersona - tie", ("1", "2", "tie")),
        ("overall: 1\noverall: 2\nvalue: 1.5\npersona: 12", (None, None, None)),
        ("Overall, response 1 is better.", (None, None, None)),
        # A minus is a sign, never the separator: "-2" is no verdict (it was read as 2).
        ("overall: -2\nvalue: -1\npersona: \u22121", (None, None, None)),
        ("overall - 2\nvalue -- 1\npersona:- tie", ("2", "1", "tie")),
        # Two verdicts joined right after the label are a hedge, no verdict ("1 or 2" and "1,2"
        # were read as 1; parse leaves "Answer: 1,5" and "2-3" missing too).
        ("overall: 1 or 2\nvalue: 1,2\npersona: 1/2", (None, None, None)),
        ("overall: 1 - 2\nvalue: Response 1 or Response 2\npersona: tie or 2", (None, None, None)),
        ("overall: 2, 1\nvalue: 1 \u2013 2\npersona: 1 and 2", (None, None, None)),
        # A verdict that is only the first digits of a number (a decimal comma or a list) is
        # none, as parse reads "I'd say 1,5" ("overall: 1,5" was read as 1); nor is a word.
        ("overall: 1,5\nvalue: 2,0\npersona: one", (None, None, None)),
        ('{"overall": "1,5", "value": "2.5", "persona": "two"}', (None, None, None)),
        # Words after the verdict are its reasons, whatever response they name.
        (
            "overall: 1 because response 2 is vague\nvalue: 2, as 1 is off\npersona: tie - both",
            ("1", "2", "tie"),
        ),
        # A dash before words opens the reasons, whatever response they name (both were read
        # as a hedge, so unread); before a digit, or a verdict ending the line, it is a range.
        (
            "Overall: 2 - Response 2 is better\nvalue: 1 \u2013 Response 1 matches\n"
            "persona: tie - neither fits",
            ("2", "1", "tie"),
        ),
        ("overall: 1-2\nvalue: Response 1 - Response 2\npersona: 1 - tie.", (None, None, None)),
        # A full stop ends a verdict, as in the JSON value "1." above ("value: 1." was unread).
        ("overall: 1, 2nd is weaker\nvalue: 1.\npersona: tie, neither", ("1", "1", "tie")),
        ('{"overall": "1 or 2", "value": "1/2", "persona": "2"}', (None, None, "2")),
        ("", (None, None, None)),
    ],
)  # fmt: skip
def test_parse_verdicts(reply: str, expected: tuple[str | None, ...]) -> None:
    assert parse_verdicts(reply, CRITERIA) == dict(zip(CRITERIA, expected, strict=True))


def test_positions_become_files() -> None:
    verdicts = {"overall": "1", "value": "2", "persona": "tie"}
    assert to_files(verdicts, "AB") == {"overall": "A", "value": "B", "persona": "tie"}
    assert to_files(verdicts, "BA") == {"overall": "B", "value": "A", "persona": "tie"}
    assert to_files({"overall": None}, "BA") == {"overall": None}


# --- reading responses files ------------------------------------------------------------------


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_read_responses(tmp_path: Path) -> None:
    run = {"model": "m", "template": "open", "params": {}}
    path = write_jsonl(
        tmp_path / "a.jsonl",
        [
            {"id": "x", "response": "text x", **run},
            {"id": "y", "response": "", "error": "HTTP 500", **run},
            {"id": "z", "response": "   ", **run},
        ],
    )
    responses = read_responses(path)
    assert responses.texts == {"x": "text x"}
    assert (responses.model, responses.template, responses.n_unanswered) == ("m", "open", 2)
    bad = write_jsonl(
        tmp_path / "bad.jsonl",
        [
            {"id": "x", "response": "1", **run},
            {"id": "x", "response": "2", **run},
            {"id": "w", "response": "3", "model": "other", "template": "open"},
            {"id": 5, "response": "4"},
        ],
    )
    with pytest.raises(InputError) as caught:
        read_responses(bad)
    message = str(caught.value).splitlines()
    assert message[0] == f"{bad}: line 2: duplicate id 'x' (first on line 1)"
    assert message[1] == f"{bad}: line 3: model 'other' differs from the first line's 'm'"
    assert message[2] == f'{bad}: line 4: needs a string "id" and a string "response"'


@pytest.mark.parametrize(
    ("key", "other"),
    [
        ("model", "m2"),
        ("template", "paper"),
        ("params", {"temperature": 1.0}),
        ("distribution_mode", "sample"),
    ],
)
def test_a_responses_file_joined_from_two_runs_is_refused(
    key: str, other: Any, tmp_path: Path
) -> None:
    """Every line of A and B has one run's settings, as `run` insists when it resumes: a file
    joined from runs at temperatures 0 and 1 was judged as one model's answers, exit 0."""
    run = {"model": "m", "template": "open", "params": {"temperature": 0.0}}
    path = write_jsonl(
        tmp_path / "a.jsonl",
        [{"id": "x", "response": "1", **run}, {"id": "y", "response": "2", **run, key: other}],
    )
    with pytest.raises(InputError) as caught:
        read_responses(path)
    assert str(caught.value) == (
        f"{path}: line 2: {key} {other!r} differs from the first line's {run.get(key)!r}"
    )


def test_build_tasks_both_orders_of_common_samples() -> None:
    row = crafted_row()
    other = {**crafted_row(), "id": "Q9/religion=hindu", "subgroup_id": "religion=hindu"}
    tasks = build_tasks([row, other], {row["id"]: "a text"}, {row["id"]: "b text"}, ["overall"])
    assert [(t.id, t.order) for t in tasks] == [(row["id"], "AB"), (row["id"], "BA")]
    ab, ba = (t.messages[1]["content"] for t in tasks)
    assert ab.index("a text") < ab.index("b text")
    assert ba.index("b text") < ba.index("a text")
    assert tasks[0].subgroup == {"sex": None, "religion": "Muslim"}


# --- loopback fake judges ---------------------------------------------------------------------

SHOWN = re.compile(r"\[Response (\d) begins\]\n(.*?)\n\[Response \1 ends\]", re.DOTALL)


def shown_responses(body: dict[str, Any]) -> dict[str, str]:
    """Response number → text, from the judge request's user message (the second message)."""
    return dict(SHOWN.findall(body["messages"][1]["content"]))


def fair_judge(body: dict[str, Any]) -> str:
    """Prefers the response that contains GOOD on every criterion, wherever it is shown."""
    good = [n for n, text in shown_responses(body).items() if "GOOD" in text]
    verdict = good[0] if len(good) == 1 else "tie"
    return json.dumps({c: verdict for c in CRITERIA})


def first_judge(body: dict[str, Any]) -> str:
    """Order-biased: always prefers the response shown first."""
    return 'Both are fine.\n{"overall": "1", "value": "1", "persona": "1"}'


def mumbling_judge(body: dict[str, Any]) -> str:
    """Never gives a readable verdict."""
    return "Both responses have merit; I cannot decide."


def repaired_judge(body: dict[str, Any]) -> str:
    """Unreadable at first; answers properly when asked again for the JSON object."""
    if body["messages"][-1]["content"].startswith("Your reply could not be read"):
        return '{"overall": "tie", "value": "2", "persona": "1"}'
    return "Let me think about the overall picture first."


class FakeJudge(LoopbackChatServer):
    """Replies with ``reply(body)``, or HTTP 500 to everything while ``down``."""

    down = False

    def respond(self, handler: ChatHandler, body: dict[str, Any]) -> None:
        if self.down:
            handler.send(500, b"judge down")
        else:
            super().respond(handler, body)


@pytest.fixture
def judge_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeJudge]:
    with serving(FakeJudge(fair_judge), monkeypatch) as fake:
        yield fake


@pytest.fixture
def pair(built_default: Path, tmp_path: Path) -> tuple[Path, Path, list[dict[str, Any]]]:
    """Responses files A (GOOD) and B (BAD) for the first samples of test_ood, plus an extra
    sample only A answers and an error line in B."""
    rows = split_rows(built_default, "default", "test_ood")[: N_SAMPLES + 2]
    run_a = {"model": "model-a", "template": "open", "params": {"temperature": 0.0}}
    run_b = {"model": "model-b", "template": "open", "params": {"temperature": 0.0}}
    a = [{"id": r["id"], "response": f"GOOD view {i}", **run_a} for i, r in enumerate(rows)]
    b = [{"id": r["id"], "response": f"BAD view {i}", **run_b} for i, r in enumerate(rows)]
    b[-1] = {"id": rows[-1]["id"], "response": "", "error": "HTTP 500", **run_b}
    del b[-2]
    path_a = write_jsonl(tmp_path / "a.jsonl", a)
    path_b = write_jsonl(tmp_path / "b.jsonl", b)
    return path_a, path_b, rows[:N_SAMPLES]


def judge(
    server: LoopbackChatServer, built: Path, pair: tuple[Path, Path, Any], out: Path, **kw: Any
) -> Any:
    kw.setdefault("policy", FAST)
    kw.setdefault("sleep", lambda seconds: None)
    kw.setdefault("concurrency", 3)
    endpoint = Endpoint(base_url=server.url, timeout=5.0)
    return judge_files(
        pair[0], pair[1], out, dataset=built, model="judge-1", endpoint=endpoint, **kw
    )


def read_out(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_fair_judge(
    judge_server: FakeJudge, built_default: Path, pair: Any, tmp_path: Path
) -> None:
    out = tmp_path / "judgments.jsonl"
    summary = judge(judge_server, built_default, pair, out)
    assert (summary.n_samples, summary.n_judged, summary.n_unparsed, summary.n_errors) == (
        N_SAMPLES,
        2 * N_SAMPLES,
        0,
        0,
    )
    assert summary.n_only_one == 2  # one sample missing from B, one an error line in B
    lines = read_out(out)
    ids = [row["id"] for row in pair[2]]
    assert sorted((line["id"], line["order"]) for line in lines) == sorted(
        (i, o) for i in ids for o in ("AB", "BA")
    )
    for line in lines:
        assert line["verdicts"] == dict.fromkeys(CRITERIA, "A")  # A wins, whatever the order
        assert line["parse"] == "ok"
        assert line["judge_model"] == "judge-1"
        assert line["judge_prompt"] == JUDGE_PROMPT
        assert line["params"] == {"temperature": 0.0, "max_tokens": 256}
        assert line["a"] == {"model": "model-a", "template": "open"}
        assert line["b"] == {"model": "model-b", "template": "open"}
        assert line["dataset"]["split"] == "test_ood"
        assert line["dataset"]["synthetic"] is True
        assert "raw_first" not in line
        assert line["attempts"] == 1
    # Deterministic prompts at temperature 0, one request per judgment.
    assert len(judge_server.bodies) == 2 * N_SAMPLES
    assert all(body["temperature"] == 0.0 for body in judge_server.bodies)
    report = judge_report(out, n_boot=MIN_REPLICATES, seed=1).to_dict()
    assert report["win_rate"]["overall"]["value"] == 1.0
    assert report["win_rate"]["overall"]["wins"] == 2 * N_SAMPLES
    assert report["position_bias"]["overall"]["first_score"] == 0.5
    assert report["order_agreement"]["persona"]["agreement"] == 1.0


@pytest.mark.usefixtures("toy_bootstrap")
def test_order_biased_judge(
    judge_server: FakeJudge, built_default: Path, pair: Any, tmp_path: Path
) -> None:
    judge_server.reply = first_judge
    out = tmp_path / "judgments.jsonl"
    judge(judge_server, built_default, pair, out)
    for line in read_out(out):
        assert set(line["verdicts"].values()) == {"A" if line["order"] == "AB" else "B"}
    report = judge_report(out, n_boot=MIN_REPLICATES, seed=1).to_dict()
    for criterion in CRITERIA:
        # Each sample won once and lost once: the pure position preference cancels out.
        assert report["win_rate"][criterion]["value"] == 0.5
        bias = report["position_bias"][criterion]
        assert (bias["first"], bias["second"], bias["tie"], bias["first_score"]) == (1, 0, 0, 1)
        assert bias["ci"] == [1.0, 1.0]
        agreement = report["order_agreement"][criterion]
        assert agreement["n_pairs"] == agreement["contradict_first"] == N_SAMPLES
        assert agreement["agreement"] == 0.0


def test_unparsable_verdicts_retried_once_then_recorded(
    judge_server: FakeJudge, built_default: Path, pair: Any, tmp_path: Path
) -> None:
    judge_server.reply = mumbling_judge
    out = tmp_path / "judgments.jsonl"
    # All 8 judgments in flight at once, so none is left when they are read and the run ends
    # rather than stop (a judge never read stops: tests/test_runner_breaker.py).
    summary = judge(judge_server, built_default, pair, out, concurrency=2 * N_SAMPLES)
    assert (summary.n_judged, summary.n_unparsed, summary.n_errors) == (8, 8, 0)
    assert not summary.complete
    assert "; 8 judgment(s) with an unread verdict are left out" in summary.render()
    assert len(judge_server.bodies) == 2 * 2 * N_SAMPLES  # each judgment: once, then once more
    retries = [b for b in judge_server.bodies if len(b["messages"]) == 4]
    assert len(retries) == 2 * N_SAMPLES
    assert retries[0]["messages"][2]["content"] == mumbling_judge({})
    for line in read_out(out):
        assert line["parse"] == "unparsed"
        assert line["verdicts"] == dict.fromkeys(CRITERIA)  # never guessed
        assert line["raw"] == line["raw_first"] == mumbling_judge({})
        assert line["attempts"] == 2
    report = judge_report(out, n_boot=MIN_REPLICATES, seed=1).to_dict()
    assert report["win_rate"]["overall"] == {
        "value": None,
        "ci": None,
        "n": 0,
        "n_unparsed": 2 * N_SAMPLES,
        "wins": 0,
        "ties": 0,
        "losses": 0,
    }
    assert report["order_agreement"]["overall"]["n_pairs"] == 0
    assert report["fairness"] == {"subgroup": {}, "attributes": {}}
    assert "overall" in judge_report(out, n_boot=0).render()


def test_retry_repairs_a_verdict(
    judge_server: FakeJudge, built_default: Path, pair: Any, tmp_path: Path
) -> None:
    judge_server.reply = repaired_judge
    out = tmp_path / "judgments.jsonl"
    summary = judge(judge_server, built_default, pair, out, criteria=CRITERIA)
    assert (summary.n_judged, summary.n_unparsed) == (2 * N_SAMPLES, 0)
    for line in read_out(out):
        second, first = ("A", "B") if line["order"] == "BA" else ("B", "A")
        assert line["verdicts"] == {"overall": "tie", "value": second, "persona": first}
        assert line["raw_first"] == "Let me think about the overall picture first."
        assert line["parse"] == "ok"


def test_resume_and_error_lines(
    judge_server: FakeJudge, built_default: Path, pair: Any, tmp_path: Path
) -> None:
    out = tmp_path / "judgments.jsonl"

    def picky(body: dict[str, Any]) -> str:
        """Unreadable for samples 2 and 3 (even when asked again), fair for the others (the
        first judgments are read, so the judge is not stopped as one never read)."""
        if any(f"view {i}" in body["messages"][1]["content"] for i in (2, 3)):
            return "{"
        return fair_judge(body)

    judge_server.reply = picky
    first = judge(judge_server, built_default, pair, out, criteria=("overall",))
    assert (first.n_judged, first.n_unparsed) == (8, 4)  # samples 2 and 3, both orders
    assert not first.complete
    sent = len(judge_server.bodies)
    again = judge(judge_server, built_default, pair, out, criteria=("overall",))
    assert (again.n_already_done, again.n_judged) == (8, 0)
    assert again.complete  # nothing judged in this run (judge-report counts the unparsed)
    assert len(judge_server.bodies) == sent  # unparsed judgments are final, not re-asked
    with pytest.raises(InputError, match=r"line 1: written with criteria \['overall'\]"):
        judge(judge_server, built_default, pair, out, criteria=("overall", "value"))
    # A judge that fails every request: error lines, retried on the next run. All 8 requests
    # are in flight at once, so none is left when they have failed and the run ends rather
    # than stop (the breaker: tests/test_runner_breaker.py).
    judge_server.down = True
    errors_out = tmp_path / "errors.jsonl"
    failed = judge(judge_server, built_default, pair, errors_out, concurrency=2 * N_SAMPLES)
    assert failed.n_errors == 2 * N_SAMPLES
    assert {line["error"] for line in read_out(errors_out)} == {"HTTP 500: judge down"}
    assert all(line["attempts"] == FAST.max_attempts for line in read_out(errors_out))
    with pytest.raises(InputError, match="no judgment in it"):
        read_judgments(errors_out)
    judge_server.down = False
    judge_server.reply = fair_judge
    retried = judge(judge_server, built_default, pair, errors_out)
    assert (retried.n_retried_errors, retried.n_judged, retried.n_errors) == (8, 8, 0)
    assert all("error" not in line for line in read_out(errors_out))


# --- the win-rate arithmetic on hand-made judgments -------------------------------------------

SETTINGS = {
    "judge_model": "j",
    "judge_prompt": JUDGE_PROMPT,
    "criteria": ["overall", "value"],
    "params": {"temperature": 0.0, "max_tokens": 256},
    "a": {"model": "ma", "template": "open"},
    "b": {"model": "mb", "template": "open"},
    "dataset": {"name": "d", "version": "1", "synthetic": True, "config": "default", "split": "x"},
}

# (sample, question, religion, order, overall verdict); value is a tie everywhere except s4/BA.
HAND = [
    ("s1", "Q1", "muslim", "AB", "A"),
    ("s1", "Q1", "muslim", "BA", "A"),  # agree
    ("s2", "Q1", "hindu", "AB", "A"),
    ("s2", "Q1", "hindu", "BA", "tie"),  # partial
    ("s3", "Q2", "muslim", "AB", "A"),
    ("s3", "Q2", "muslim", "BA", "B"),  # contradict: both orders chose the first shown
    ("s4", "Q2", "hindu", "AB", None),  # unparsed
    ("s4", "Q2", "hindu", "BA", "B"),
]


def hand_line(sample: str, question: str, religion: str, order: str, overall: str | None) -> str:
    value = None if (sample, order) == ("s4", "BA") else "tie"
    verdicts = {"overall": overall, "value": value}
    record = {
        "id": f"{question}/religion={religion}",
        "order": order,
        "question_id": question,
        "subgroup_id": f"religion={religion}",
        "subgroup": {"sex": None, "religion": religion},
        "verdicts": verdicts,
        "parse": "ok" if None not in verdicts.values() else "unparsed",
        "raw": "...",
        **SETTINGS,
    }
    return json.dumps(record)


def hand_file(path: Path, lines: list[str] | None = None) -> Path:
    text = "\n".join(lines if lines is not None else [hand_line(*row) for row in HAND]) + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def test_summary_counts_the_judgments_of_samples_in_both_orders(tmp_path: Path) -> None:
    # Every AB line, and s1's BA: 5 judgments, of which s1's 2 are of a sample in both orders.
    rows = [row for row in HAND if row[3] == "AB" or row[0] == "s1"]
    one_order = judge_report(hand_file(tmp_path / "one.jsonl", [hand_line(*r) for r in rows]))
    assert one_order.to_dict()["n_judgments_both_orders"] == 2
    text = one_order.render()
    assert "5 judgments (2 of samples judged in both orders)" in text
    assert "note: 3 judgment(s) of samples judged in one order only" in text
    assert "not balanced for position" in text
    both = judge_report(hand_file(tmp_path / "both.jsonl")).render()
    assert "8 judgments (8 of samples judged in both orders)" in both
    assert "one order only" not in both


@pytest.mark.usefixtures("toy_bootstrap")
def test_win_rate_arithmetic(tmp_path: Path) -> None:
    error_line = json.dumps({"id": "s9", "order": "AB", "error": "HTTP 500", **SETTINGS})
    path = hand_file(tmp_path / "j.jsonl", [hand_line(*row) for row in HAND] + [error_line])
    report = judge_report(path, n_boot=400, seed=3).to_dict()
    assert (report["n_judgments"], report["n_errors"], report["n_samples"]) == (8, 1, 4)
    # s9's only line is an error, so no read judgment belongs to a one-order sample.
    assert report["n_judgments_both_orders"] == 8
    overall = report["win_rate"]["overall"]
    # Read verdicts A, A, A, tie, A, B, B: (1 + 1 + 1 + 0.5 + 1 + 0 + 0) / 7.
    assert overall["value"] == pytest.approx(4.5 / 7)
    assert (overall["n"], overall["n_unparsed"]) == (7, 1)
    assert (overall["wins"], overall["ties"], overall["losses"]) == (4, 1, 2)
    # Questions: Q1 sums 3.5 over 4 judgments, Q2 sums 1 over 3. A replicate draws {Q1, Q1}
    # (0.875), {Q2, Q2} (1/3) or one of each (4.5/7), each extreme with probability 1/4.
    assert overall["ci"] == pytest.approx([1 / 3, 0.875])
    # First-shown verdicts: s1 AB, s2 AB, s3 AB, s3 BA, s4 BA; second: s1 BA; tie: s2 BA.
    bias = report["position_bias"]["overall"]
    assert (bias["first"], bias["second"], bias["tie"]) == pytest.approx((5 / 7, 1 / 7, 1 / 7))
    assert bias["first_score"] == pytest.approx(5.5 / 7)
    assert report["order_agreement"]["overall"] == {
        "n_pairs": 3,
        "agree": 1,
        "partial": 1,
        "contradict": 1,
        "contradict_first": 1,
        "contradict_second": 0,
        "agreement": pytest.approx(1 / 3),
    }
    # By religion: muslim 1, 1, 1, 0 → 0.75; hindu 1, 0.5, 0 → 0.5.
    religion = report["fairness"]["attributes"]["religion"]["overall"]
    assert religion["values"] == {"hindu": 0.5, "muslim": 0.75}
    assert religion["gap"] == pytest.approx(0.25)
    assert religion["norm_range"] == pytest.approx(0.25 / 0.75)
    assert religion["ratio"] == pytest.approx(0.5 / 0.75)
    assert religion["cv"] == pytest.approx(0.125 / 0.625)  # population σ of {0.5, 0.75}
    assert religion["worst"] == {"group": "hindu", "value": 0.5}
    # Noise, by question (cells S, N): muslim Q1 (2, 2), Q2 (1, 2); hindu Q1 (1.5, 2), Q2 (0, 1).
    # Question levels 3.5/4 and 1/3; centred S' = S − N·level; with m' = ΣS'/ΣN,
    # se² = G/(G−1) · n/(n−1) · Σ (S' − m'N)² / (ΣN)², G = n = 2.
    levels = (3.5 / 4, 1 / 3)

    def se2_of(cells: list[tuple[float, int]]) -> float:
        centred = [(s - n * x, n) for (s, n), x in zip(cells, levels, strict=True)]
        total = sum(n for _, n in centred)
        offset = sum(c for c, _ in centred) / total
        return 2 * 2 * sum((c - offset * n) ** 2 for c, n in centred) / total**2

    se2 = (se2_of([(2, 2), (1, 2)]), se2_of([(1.5, 2), (0, 1)]))
    assert religion["standard_errors"] == pytest.approx(
        {"hindu": se2[1] ** 0.5, "muslim": se2[0] ** 0.5}
    )
    assert religion["sd_observed"] == pytest.approx(0.25 / 2**0.5)  # ddof 1 of {0.5, 0.75}
    assert religion["sd_noise"] == pytest.approx((sum(se2) / 2) ** 0.5)
    between = max(0.0, 0.25**2 / 2 - sum(se2) / 2) ** 0.5
    assert religion["sd_between"] == pytest.approx(between)
    assert religion["cv_between"] == pytest.approx(between / 0.625)
    # Shuffling the two labels within Q1 and Q2: keeping or swapping both gives the observed
    # spread, swapping one gives 0.042; exact p = 2/4 (1000 permutations by default).
    assert religion["p_value"] == pytest.approx(0.5, abs=0.08)
    assert religion["no_detectable_gap"] is True
    assert report["permutations"]["n_permutations"] == 1000
    table = report["by_attribute_value"]["religion"]
    assert table["hindu"]["overall"]["n"] == 3
    assert table["muslim"]["overall"]["win_rate"] == 0.75
    assert "sex" not in report["by_attribute_value"]  # no judgment uses it
    assert report["fairness"]["subgroup"]["overall"]["worst"] == {
        "group": "religion=hindu",
        "value": 0.5,
    }
    # value: ties everywhere read; s4/BA unread, so it is left out of value only.
    value = report["win_rate"]["value"]
    assert (value["value"], value["n"], value["n_unparsed"], value["ties"]) == (0.5, 7, 1, 7)
    assert report["position_bias"]["value"]["first_score"] == 0.5
    assert report["order_agreement"]["value"]["n_pairs"] == 3  # s4 has one order read


def test_report_is_deterministic_and_order_free(tmp_path: Path) -> None:
    lines = [hand_line(*row) for row in HAND]
    first = judge_report(hand_file(tmp_path / "a.jsonl", lines), n_boot=MIN_REPLICATES, seed=7)
    assert (
        first.to_json()
        == judge_report(tmp_path / "a.jsonl", n_boot=MIN_REPLICATES, seed=7).to_json()
    )
    random.Random(0).shuffle(lines)
    shuffled = judge_report(hand_file(tmp_path / "b.jsonl", lines), n_boot=MIN_REPLICATES, seed=7)
    one, two = first.to_dict(), shuffled.to_dict()
    assert one.pop("judgments_sha256") != two.pop("judgments_sha256")
    assert one == two


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.update(order="XY"), "\"order\" must be one of ['AB', 'BA']"),
        (lambda r: r["verdicts"].update(overall="C"), "a verdict must be one of"),
        (lambda r: r.update(parse="unparsed"), '"parse" must be "ok" for these verdicts'),
        (lambda r: r["verdicts"].pop("value"), '"verdicts" must have exactly the keys'),
        (lambda r: r.update(judge_model="other"), "judge_model is 'other' here but 'j' on line 1"),
        (lambda r: r["params"].update(temperature=0.7), "params.temperature is 0.7 here but 0"),
        (lambda r: r.update(id="Q1/religion=muslim", subgroup_id="religion=muslim",
                            subgroup={"sex": None, "religion": "muslim"}),
         "order AB again (first on line 1)"),
        # A line contradicting itself or another line about its sample's question or subgroup
        # was counted under both (exit 0), or crashed the fairness counts (a traceback).
        (lambda r: r.update(question_id="Q9"), '"id" is not <question_id>/<subgroup_id>'),
        (lambda r: r.update(id="Q1/religion=muslim"), '"id" is not <question_id>/<subgroup_id>'),
        (lambda r: r.update(id="Q1/", subgroup_id=""), '"subgroup_id" must not be empty'),
        (lambda r: r.update(id="Q2/religion=muslim", question_id="Q2",
                            subgroup_id="religion=muslim",
                            subgroup={"sex": None, "religion": "Muslim"}),
         "subgroup.religion is 'Muslim' here but 'muslim' on line 1, for the same subgroup_id"),
        # Values other than the subgroup_id's put its judgments under another value (exit 0).
        (lambda r: r["subgroup"].update(religion="muslim"),
         '"subgroup_id" does not name the values of the line\'s "subgroup"'),
        # The report reads into the run settings: a list or a string there was a traceback.
        (lambda r: r.update(a=["ma"]), '"a" must be an object'),
        (lambda r: r.update(dataset="d"), '"dataset" must be an object'),
        (lambda r: r["subgroup"].update(age_group=None),
         "subgroup has the attributes ['age_group', 'religion', 'sex'] here but ['religion', "
         "'sex'] on line 1"),
    ],
)  # fmt: skip
def test_bad_judgment_lines(
    tmp_path: Path, change: Callable[[dict[str, Any]], object], message: str
) -> None:
    lines = [hand_line(*row) for row in HAND]
    record = json.loads(lines[2])
    change(record)
    lines[2] = json.dumps(record)
    path = hand_file(tmp_path / "j.jsonl", lines)
    with pytest.raises(InputError) as caught:
        read_judgments(path)
    assert str(caught.value).startswith(f"{path}: line 3: ")
    assert message in str(caught.value)


@pytest.mark.parametrize("attribute", ["order", "question_id", "id", "verdict:overall"])
def test_attribute_names_are_only_attributes(tmp_path: Path, attribute: str) -> None:
    """A subgroup attribute named like a column the report keeps (``order``, ``question_id``)
    took that column's place: a traceback, or figures over its values as questions (exit 0).
    Renamed, the file gives the same figures as with the usual name."""
    lines = []
    for row in HAND:
        record = json.loads(hand_line(*row))
        record["subgroup"] = {attribute: record["subgroup"]["religion"]}
        record["subgroup_id"] = f"{attribute}={row[2]}"
        record["id"] = f"{row[1]}/{record['subgroup_id']}"
        lines.append(json.dumps(record))
    report = judge_report(hand_file(tmp_path / "j.jsonl", lines), n_boot=0).to_dict()
    usual = judge_report(hand_file(tmp_path / "usual.jsonl"), n_boot=0).to_dict()
    assert (report["n_questions"], report["n_samples"]) == (2, 4)
    assert report["win_rate"] == usual["win_rate"]
    assert report["order_agreement"] == usual["order_agreement"]
    assert report["by_attribute_value"][attribute] == usual["by_attribute_value"]["religion"]


# --- the CLI, end to end: `run --template open`, `judge`, `judge-report` ----------------------


def test_cli_open_run_judge_and_report(
    judge_server: FakeJudge, built_default: Path, tmp_path: Path
) -> None:
    def speaker(body: dict[str, Any]) -> str:
        """Model A (its name has "good") answers GOOD, model B BAD; judge requests are judged."""
        if body["model"] == "judge-1":
            return fair_judge(body)
        return ("GOOD " if "good" in body["model"] else "BAD ") + "I think family matters."

    judge_server.reply = speaker
    base = ["--base-url", judge_server.url, "--dataset", str(built_default)]
    paths = {}
    for name in ("good-model", "bad-model"):
        paths[name] = tmp_path / f"{name}.jsonl"
        args = ["run", *base, "--model", name, "--template", "open", "--limit", "3"]
        result = CliRunner().invoke(main, [*args, "--out", str(paths[name])])
        assert result.exit_code == 0, result.output
    run_body = judge_server.bodies[0]
    assert not re.search(r"^\d+\. ", run_body["messages"][-1]["content"], re.MULTILINE)
    assert read_out(paths["good-model"])[0]["template"] == "open"
    out = tmp_path / "judgments.jsonl"
    args = ["judge", str(paths["good-model"]), str(paths["bad-model"]), *base]
    args += ["--model", "judge-1", "--criteria", "persona,overall", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("judge: 3 samples answered in both files, 6 judgments")
    report_path = tmp_path / "report.json"
    shown = CliRunner().invoke(main, ["judge-report", str(out), "--json", str(report_path)])
    assert shown.exit_code == 0, shown.output
    assert "win rate of A over B" in shown.output
    assert "A = good-model (open) vs B = bad-model (open)" in shown.output
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["criteria"] == ["overall", "persona"]
    assert report["win_rate"]["persona"]["value"] == 1.0
    assert report["bootstrap"]["n_boot"] == 1000
    to_stdout = CliRunner().invoke(main, ["judge-report", str(out), "--json", "-"])
    assert json.loads(to_stdout.stdout) == report


def test_cli_judge_with_verdicts_left_unparsed_exits_3(
    judge_server: FakeJudge, built_default: Path, pair: Any, tmp_path: Path
) -> None:
    """Judgments whose verdicts stay unread are left out of every figure of judge-report, and
    were reported with exit code 0 like a complete run: now exit code 3 and the summary says
    how many, and that they are not asked again (a rerun has nothing left, exit code 0)."""

    def last_unread(body: dict[str, Any]) -> str:
        return (
            "{" if f"view {N_SAMPLES - 1}" in body["messages"][1]["content"] else (fair_judge(body))
        )

    judge_server.reply = last_unread
    out = tmp_path / "judgments.jsonl"
    args = ["judge", str(pair[0]), str(pair[1]), "--base-url", judge_server.url]
    args += ["--model", "judge-1", "--dataset", str(built_default), "--out", str(out)]
    result = CliRunner().invoke(main, [*args, "--concurrency", "1"])
    assert result.exit_code == 3, result.output
    assert f"{2 * N_SAMPLES} judged (2 unparsed)" in result.stderr
    assert "; 2 judgment(s) with an unread verdict are left out of that criterion's" in (
        result.stderr
    )
    assert sum(line["parse"] == "unparsed" for line in read_out(out)) == 2
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0, again.output
    assert "0 judged (0 unparsed)" in again.stderr


def test_cli_errors(built_default: Path, tmp_path: Path) -> None:
    a = write_jsonl(tmp_path / "a.jsonl", [{"id": "nowhere", "response": "x"}])
    b = write_jsonl(tmp_path / "b.jsonl", [{"id": "nowhere", "response": "y"}])
    base = ["judge", str(a), str(b), "--base-url", "http://127.0.0.1:9/v1", "--model", "j"]
    base += ["--dataset", str(built_default), "--out", str(tmp_path / "j.jsonl")]
    bad = CliRunner().invoke(main, [*base, "--criteria", "overall,tone"])
    assert bad.exit_code == 2
    assert "Error: --criteria 'overall,tone': unknown criterion 'tone'" in bad.output
    none = CliRunner().invoke(main, base)
    assert none.exit_code == 2
    assert "no sample of split 'test_ood' (config 'default') is answered in both files" in (
        none.output
    )
    assert not (tmp_path / "j.jsonl").exists()
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    report = CliRunner().invoke(main, ["judge-report", str(empty)])
    assert report.exit_code == 2
    assert report.output.strip().endswith("empty file, no judgments")


def test_parse_verdicts_long_digit_run_is_no_verdict() -> None:
    # A run of 80,000 digits (a degenerate judge reply) once took minutes; it names no verdict.
    assert parse_verdicts("overall: " + "1" * 80_000, CRITERIA) == dict.fromkeys(CRITERIA)


# Degenerate judge replies under the bound, one line start after another: the run before a
# criterion's name crossed every blank (or bullet, heading, quote, brace) line after each line
# start, so 99,999 newlines took over 100 s. Each names no verdict.
PATHOLOGICAL_VERDICTS = [
    "\n" * (MAX_REPLY_CHARS - 1),
    *(unit * ((MAX_REPLY_CHARS - 1) // len(unit)) for unit in ("-\n", "*\n", "#\n", ">\n", "{\n")),
    "_\n" * ((MAX_REPLY_CHARS - 1) // 2),
    " \n" * ((MAX_REPLY_CHARS - 1) // 2),
]


@pytest.mark.parametrize("reply", PATHOLOGICAL_VERDICTS, ids=range(len(PATHOLOGICAL_VERDICTS)))
def test_parse_verdicts_pathological_reply_is_no_verdict(reply: str) -> None:
    assert len(reply) < MAX_REPLY_CHARS
    assert parse_verdicts(reply, CRITERIA) == dict.fromkeys(CRITERIA)
    assert parse_verdicts(reply, ("overall",)) == {"overall": None}


def test_parse_verdicts_line_after_blank_and_bullet_lines_is_read() -> None:
    # The run before a name stays on its line, and a name opening a later line is still read from
    # that line's start, after blank lines, bullets or underscores.
    reply = "\n\n-\n*\n\n- **Overall**: 1\n\n> _value_ = Response 2\n#\n__persona__ - tie\n"
    assert parse_verdicts(reply, CRITERIA) == {"overall": "1", "value": "2", "persona": "tie"}
    assert parse_verdicts("\n" * 50_000 + "overall: 2", ("overall",)) == {"overall": "2"}


def test_parse_verdicts_reads_no_reply_longer_than_parse_reads() -> None:
    verdict = '\n{"overall": "1", "value": "2", "persona": "tie"}'
    at_bound = "x" * (MAX_REPLY_CHARS - len(verdict)) + verdict
    assert parse_verdicts(at_bound, CRITERIA) == {"overall": "1", "value": "2", "persona": "tie"}
    assert parse_verdicts("x" + at_bound, CRITERIA) == dict.fromkeys(CRITERIA)
    assert parse_verdicts(verdict + "x" * 1_000_000, CRITERIA) == dict.fromkeys(CRITERIA)
