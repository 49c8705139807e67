"""`run` and `judge` against files that are not theirs and replies that end early (probe 5 of
issue #15): a `--out` holding another command's lines is named for what it is, `--predictions`
replaces only a predictions file (and `import paper-outputs --out` only an earlier import,
probe 6), and a body shorter than its Content-Length is never read as
the answer.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_contract import assert_one_error_line
from click.testing import CliRunner
from fake_openai import ChatHandler, LoopbackChatServer, chat_body, serving

from sgbench.cli import main
from sgbench.prompts import split_rows
from sgbench.runner.client import Endpoint, RequestFailed, SamplingParams, post_chat


@pytest.fixture
def folder(built_default: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder holding the dataset ``ds``."""
    shutil.copytree(built_default, tmp_path / "ds")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def answering(monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackChatServer]:
    with serving(LoopbackChatServer(reply=lambda body: "Answer: 1"), monkeypatch) as server:
        yield server


def run_args(url: str, *extra: str) -> list[str]:
    common = ["--base-url", url, "--model", "m", "--dataset", "ds", "--no-progress"]
    return ["run", *common, "--limit", "2", *extra]


REPORTS = {
    "score": ["score", "p.jsonl", "--dataset", "ds", "--bootstrap", "0"],
    "judge-report": ["judge-report", "j.jsonl", "--bootstrap", "0"],
}
"""The commands writing a JSON report (``--json``), reading the files below."""


@pytest.fixture(scope="module")
def each_commands_file(built_default: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a responses file (two runs, ``a`` and ``b``), a judgments file ``j``, a
    predictions file ``p``, a JSON report of each of ``REPORTS`` (``score.json``,
    ``judge-report.json``) and a ``stats.json``, each written by the command that owns it: made
    once, as the tests only read them (each test copies what it needs into its own folder)."""
    root = tmp_path_factory.mktemp("written")
    shutil.copytree(built_default, root / "ds")
    server = LoopbackChatServer(reply=lambda body: "Answer: 1")
    with pytest.MonkeyPatch.context() as patch, serving(server, patch):
        patch.chdir(root)
        url = server.url
        for name, model in (("a", "m"), ("b", "other")):
            args = run_args(url, "--out", f"{name}.jsonl")
            args[args.index("m")] = model
            assert CliRunner().invoke(main, args).exit_code == 0
        judge = ["judge", "a.jsonl", "b.jsonl", "--base-url", url, "--model", "j"]
        result = CliRunner().invoke(main, [*judge, "--dataset", "ds", "--out", "j.jsonl"])
        assert result.exit_code in (0, 3), result.output
        parse = CliRunner().invoke(main, ["parse", "a.jsonl", "--dataset", "ds"])
        assert parse.exit_code == 0, parse.output
        Path("p.jsonl").write_text(parse.stdout, encoding="utf-8")
        for command, args in REPORTS.items():
            result = CliRunner().invoke(main, [*args, "--json", f"{command}.json"])
            assert result.exit_code == 0, result.output
        result = CliRunner().invoke(main, ["stats", "--dataset", "ds", "--out", "st"])
        assert result.exit_code == 0, result.output
        shutil.copy("st/stats.json", "stats.json")
    return root


@pytest.fixture
def written(each_commands_file: Path, folder: Path) -> dict[str, bytes]:
    """The files of :func:`each_commands_file` copied into the test's folder, and their bytes."""
    for kind in ("a", "b", "j", "p"):
        shutil.copy(each_commands_file / f"{kind}.jsonl", folder / f"{kind}.jsonl")
    return {kind: Path(f"{kind}.jsonl").read_bytes() for kind in ("a", "b", "j", "p")}


FOREIGN = {
    # (command, the kind of file given as --out, the fragment of the refusal)
    ("run", "j"): "not a response line of `sgbench run`",
    ("run", "p"): "not a response line of `sgbench run`",
    ("judge", "a"): "not a judgment line of `sgbench judge`",
    ("judge", "p"): "not a judgment line of `sgbench judge`",
}


@pytest.mark.parametrize(("name", "kind"), sorted(FOREIGN))
def test_an_out_of_another_command_is_named_for_what_it_is(
    name: str, kind: str, answering: LoopbackChatServer, folder: Path, written: dict[str, bytes]
) -> None:
    # It was refused as "written with model None, but this run has 'm'": true of every line,
    # and no help in seeing that the wrong file was named.
    before = written
    shutil.copy(f"{kind}.jsonl", "o.jsonl")
    sent = len(answering.bodies)
    if name == "run":
        args = run_args(answering.url, "--out", "o.jsonl")
    else:
        args = ["judge", "a.jsonl", "b.jsonl", "--base-url", answering.url, "--model", "j"]
        args += ["--dataset", "ds", "--out", "o.jsonl"]
    result = CliRunner().invoke(main, args)
    assert_one_error_line(result, "o.jsonl: line 1: ", FOREIGN[name, kind])
    assert Path("o.jsonl").read_bytes() == before[kind]
    assert len(answering.bodies) == sent


def test_error_lines_of_another_command_are_not_tidied_away(
    answering: LoopbackChatServer, folder: Path, written: dict[str, bytes]
) -> None:
    # A judgments file whose lines are all error lines: `run` dropped them as its own error
    # lines and rewrote the file empty.
    lines = [json.loads(line) for line in Path("j.jsonl").read_text().splitlines()]
    failed = "".join(json.dumps({**line, "error": "HTTP 500"}) + "\n" for line in lines)
    Path("o.jsonl").write_text(failed, encoding="utf-8")
    result = CliRunner().invoke(main, run_args(answering.url, "--out", "o.jsonl"))
    assert_one_error_line(result, "o.jsonl: line 1: not a response line of `sgbench run`")
    assert Path("o.jsonl").read_text(encoding="utf-8") == failed


@pytest.mark.parametrize("kind", ["b", "j", "notes"])
def test_predictions_never_replace_a_file_that_is_not_predictions(
    kind: str, answering: LoopbackChatServer, folder: Path, written: dict[str, bytes]
) -> None:
    # `run --predictions b.jsonl` (a slip for --out) overwrote another run's responses.
    if kind == "notes":
        Path("notes.jsonl").write_text("my notes\n", encoding="utf-8")
    target = Path(f"{kind}.jsonl")
    before = target.read_bytes()
    sent = len(answering.bodies)
    result = CliRunner().invoke(
        main, run_args(answering.url, "--out", "o.jsonl", "--predictions", str(target))
    )
    assert_one_error_line(result, f"--predictions {target}: exists and is not a predictions file")
    assert target.read_bytes() == before
    assert len(answering.bodies) == sent  # refused before any request
    assert not Path("o.jsonl").exists()


@pytest.mark.parametrize("kind", ["p", "empty"])
def test_predictions_replace_a_predictions_file_or_an_empty_one(
    kind: str, answering: LoopbackChatServer, folder: Path, written: dict[str, bytes]
) -> None:
    target = Path(f"{kind}.jsonl")
    if kind == "empty":
        target.write_bytes(b"\n")
    result = CliRunner().invoke(
        main, run_args(answering.url, "--out", "o.jsonl", "--predictions", str(target))
    )
    assert result.exit_code == 0, result.output
    ids = {json.loads(line)["id"] for line in target.read_text().splitlines()}
    assert ids == {str(row["id"]) for row in split_rows(Path("ds"), "default", "test_ood")[:2]}


class CutShort(LoopbackChatServer):
    """Announces more body than it sends, then closes: what it sends is a complete reply."""

    def respond(self, handler: ChatHandler, body: dict[str, Any]) -> None:
        reply = chat_body("Answer: 1")
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(reply) + 100))
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(reply)
        handler.close_connection = True


def test_a_body_shorter_than_its_content_length_is_never_the_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The one client both run and judge send through: the cut reply is retried, not read.
    with serving(CutShort(), monkeypatch) as server:
        endpoint = Endpoint(server.url, timeout=10)
        with pytest.raises(RequestFailed) as failed:
            post_chat(endpoint, "m", [{"role": "user", "content": "q"}], SamplingParams())
    assert failed.value.retryable
    # A malformed reply (the server was reached), with what arrived of what it announced.
    assert str(failed.value).startswith("malformed response body: the reply broke off after")
    assert "bytes it announced" in str(failed.value)


def test_the_first_choice_is_the_one_of_index_0() -> None:
    from sgbench.runner.client import read_completion

    listed = [
        {"index": 1, "message": {"content": "Answer: 1"}, "finish_reason": "stop"},
        {"index": 0, "message": {"content": "Answer: 3"}, "finish_reason": "stop"},
    ]
    assert read_completion(json.dumps({"choices": listed}).encode()).text == "Answer: 3"
    # Indexes that order nothing (all 0, as some servers send for n) keep the listed order.
    same = [{**choice, "index": 0} for choice in listed]
    assert read_completion(json.dumps({"choices": same}).encode()).text == "Answer: 1"


@pytest.mark.parametrize(
    ("message", "said"),
    [
        ({"content": None, "tool_calls": [{"id": "c", "type": "function"}]}, "tool_calls"),
        ({"content": [{"type": "text", "text": "Answer: 1"}]}, "a list of parts"),
    ],
)
def test_a_reply_without_text_says_what_it_holds(message: dict[str, Any], said: str) -> None:
    from sgbench.runner.client import read_completion

    body = json.dumps({"choices": [{"index": 0, "message": message}]}).encode()
    with pytest.raises(ValueError, match=said):
        read_completion(body)


@pytest.mark.parametrize("response", [None, 5, ["Answer: 1"]])
def test_a_line_whose_response_is_not_text_is_not_taken_as_done(
    response: Any, answering: LoopbackChatServer, folder: Path
) -> None:
    # It was skipped as answered on every rerun, and `--predictions` (parse) refused it after
    # the requests were sent, every time.
    assert CliRunner().invoke(main, run_args(answering.url, "--out", "a.jsonl")).exit_code == 0
    line = json.loads(Path("a.jsonl").read_text().splitlines()[0])
    damaged = json.dumps({**line, "response": response}) + "\n"
    Path("o.jsonl").write_text(damaged, encoding="utf-8")
    sent = len(answering.bodies)
    result = CliRunner().invoke(main, run_args(answering.url, "--out", "o.jsonl"))
    assert_one_error_line(result, "o.jsonl: line 1: not a response line of `sgbench run`")
    assert Path("o.jsonl").read_text(encoding="utf-8") == damaged
    assert len(answering.bodies) == sent


SOURCE = '{"custom_id": "Q1_sex_Male", "response": "Answer: 1"}\n'


@pytest.mark.parametrize("kind", ["a", "j", "p", "notes", "import", "empty"])
def test_import_replaces_only_an_earlier_import(
    kind: str, folder: Path, written: dict[str, bytes]
) -> None:
    """`import paper-outputs --out a.jsonl` replaced another run's responses (and a judgments
    file, predictions, notes) with exit 0; the rule is `run --predictions`' one
    (`sgbench.files.check_replaceable`)."""
    Path("src.jsonl").write_text(SOURCE, encoding="utf-8")
    Path("notes.jsonl").write_text("my notes\n", encoding="utf-8")
    Path("empty.jsonl").write_bytes(b"")
    args = ["import", "paper-outputs", "src.jsonl", "--dataset", "ds", "--out"]
    assert CliRunner().invoke(main, [*args, "import.jsonl"]).exit_code == 0
    target = Path(f"{kind}.jsonl")
    before = target.read_bytes()
    result = CliRunner().invoke(main, [*args, str(target)])
    if kind in ("import", "empty"):
        assert result.exit_code == 0, result.output
        assert json.loads(target.read_text())["custom_id"] == "Q1_sex_Male"
        return
    assert_one_error_line(result, f"--out {target}: exists and is not a paper-outputs import file")
    assert target.read_bytes() == before


def test_predictions_written_meanwhile_by_another_program_are_kept(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Checked only before the requests, a --predictions file that `import paper-outputs --out`
    # (which takes no lock) wrote during the run was replaced at its end with exit code 0.
    target = folder / "x.jsonl"
    other = '{"custom_id": "Q1_sex_Male", "response": "Answer: 1"}\n'

    def reply(body: dict[str, Any]) -> str:
        target.write_text(other, encoding="utf-8")
        return "Answer: 1"

    with serving(LoopbackChatServer(reply=reply), monkeypatch) as server:
        result = CliRunner().invoke(
            main, run_args(server.url, "--out", "o.jsonl", "--predictions", "x.jsonl")
        )
    assert_one_error_line(result, "x.jsonl: exists and is not a predictions file")
    assert target.read_text(encoding="utf-8") == other
    assert len(Path("o.jsonl").read_text(encoding="utf-8").splitlines()) == 2  # kept


@pytest.mark.parametrize("command", ["score", "judge-report"])
@pytest.mark.parametrize("kind", ["a", "p2", "notes", "report", "empty"])
def test_a_json_report_replaces_only_a_report(
    command: str, kind: str, each_commands_file: Path, written: dict[str, bytes]
) -> None:
    """`score p.jsonl --json a.jsonl` replaced another run's responses (predictions, notes)
    with a report, exit 0; `--json` replaces only an empty file or an earlier report
    (`sgbench.files.check_replaceable` reading the whole file)."""
    shutil.copy("p.jsonl", "p2.jsonl")
    Path("notes.jsonl").write_text("my notes\n", encoding="utf-8")
    Path("empty.jsonl").write_bytes(b"")
    args = REPORTS[command]
    shutil.copy(each_commands_file / f"{command}.json", "report.jsonl")  # its earlier report
    target = Path(f"{kind}.jsonl")
    before = target.read_bytes()
    result = CliRunner().invoke(main, [*args, "--json", str(target)])
    if kind in ("report", "empty"):
        assert result.exit_code == 0, result.output
        assert "sgbench_version" in json.loads(target.read_text(encoding="utf-8"))
        return
    assert_one_error_line(
        result, f"--json {target}: exists and is not a JSON report of sgbench {command}"
    )
    assert target.read_bytes() == before


@pytest.mark.parametrize("command", ["score", "judge-report"])
@pytest.mark.parametrize("kind", ["other-report", "stats", "manifest"])
def test_a_json_report_never_replaces_another_commands_json(
    command: str, kind: str, each_commands_file: Path, written: dict[str, bytes]
) -> None:
    """Every sgbench JSON has `sgbench_version`: `judge-report --json` replaced a score report,
    `score --json` a judge report, a stats folder's stats.json or a copied manifest, exit 0.
    Each lies in a folder of its own: a dataset's manifest makes its folder a dataset folder,
    into which nothing is written whatever the file (the rule that refuses the manifest)."""
    other = "judge-report" if command == "score" else "score"
    for folder in ("other-report", "stats", "manifest"):
        Path(folder).mkdir()
    shutil.copy(each_commands_file / f"{other}.json", "other-report/other-report.json")
    shutil.copy(each_commands_file / "stats.json", "stats/stats.json")
    shutil.copy("ds/manifest.json", "manifest/manifest.json")
    target = Path(kind, f"{kind}.json")
    before = target.read_bytes()
    assert "sgbench_version" in json.loads(before)
    result = CliRunner().invoke(main, [*REPORTS[command], "--json", str(target)])
    if kind == "manifest":
        expected = f"{target}: lies inside the dataset folder"
    else:
        expected = f"--json {target}: exists and is not a JSON report of sgbench {command}"
    assert_one_error_line(result, expected)
    assert target.read_bytes() == before
