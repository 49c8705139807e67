"""How a refused output names its arguments: by the Python parameter to a Python caller, by the
command line's option or argument on the command line (``sgbench.boundary.ArgumentName``).

``write_report(report, <the predictions file it was scored from>)`` was refused as
``--json would overwrite the input ... (PRED)``: options of a command the caller never ran
(issue #15, H7).
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import pytest
from cli_contract import assert_one_error_line
from click.testing import CliRunner
from fake_openai import ChatHandler, LoopbackChatServer, serving

from sgbench.boundary import ArgumentName, named_as_on_the_command_line
from sgbench.cli import main
from sgbench.errors import InputError, model_name_problem
from sgbench.files import check_outputs_apart
from sgbench.judge import judge_files

URL = "http://127.0.0.1:9/v1"  # never reached: the refusal comes before any request


def _refusal(call: object, *args: object, **kwargs: object) -> str:
    """The message of the InputError ``call(*args, **kwargs)`` raises."""
    with pytest.raises(InputError) as refused:
        call(*args, **kwargs)  # type: ignore[operator]
    return str(refused.value)


def test_an_argument_name_is_the_parameter_unless_on_the_command_line() -> None:
    name = ArgumentName("predictions_path", "PRED")
    assert str(name) == "predictions_path"
    with named_as_on_the_command_line():
        assert str(name) == "PRED"
        with named_as_on_the_command_line():  # nested: still the command line's
            assert f"{name}" == "PRED"
        assert str(name) == "PRED"
    assert str(name) == "predictions_path"


def test_a_plain_text_name_is_shown_as_it_is_to_either_caller(tmp_path: Path) -> None:
    """The command line's own checks pass its labels as texts: shown so from Python too."""
    (tmp_path / "p").write_text("x", encoding="utf-8")
    line = f"{tmp_path / 'p'}: --json would overwrite the input {tmp_path / 'p'} (PRED); "
    for caller in (contextlib.nullcontext, named_as_on_the_command_line):
        with caller():
            refused = _refusal(
                check_outputs_apart, [("PRED", tmp_path / "p")], [("--json", tmp_path / "p")]
            )
        assert refused == line + "choose another path"


def test_python_writers_name_their_parameters(built_default: Path, tmp_path: Path) -> None:
    """Four public writers, each given an input of what it writes as its output, from Python:
    the refusal names the writer's parameter and the reader's, never a command line option."""
    from sgbench.baselines import run_baseline
    from sgbench.paper import import_paper_outputs
    from sgbench.scoring import score_predictions, write_report
    from sgbench.stats import compute_stats, write_stats
    from sgbench.stats.plots import write_score_chart

    predictions = tmp_path / "p.jsonl"
    predictions.write_text(
        run_baseline("majority", built_default, split="test_id").to_jsonl(), encoding="utf-8"
    )
    kept = predictions.read_bytes()
    report = score_predictions(
        predictions, built_default, split="test_id", n_boot=0, n_permutations=0
    )
    stats_out = built_default / "stats"
    source = tmp_path / "s.jsonl"
    source.write_text('{"custom_id": "garbled", "response": "1"}\n', encoding="utf-8")
    both = tmp_path / "both.jsonl"

    messages = {
        "write_report": _refusal(write_report, report, predictions),
        "write_score_chart": _refusal(write_score_chart, report, predictions),
        "write_stats": _refusal(write_stats, compute_stats(built_default), stats_out),
        "import_paper_outputs": _refusal(import_paper_outputs, source, built_default, source),
        "import_paper_outputs report": _refusal(
            import_paper_outputs, source, built_default, both, report=both
        ),
    }
    assert messages == {
        "write_report": f"{predictions}: path would overwrite the input {predictions} "
        "(predictions_path); choose another path",
        "write_score_chart": f"{predictions}: path would overwrite the input {predictions} "
        "(predictions_path); choose another path",
        "write_stats": f"{stats_out}: out_dir would overwrite the input {built_default} "
        "(dataset); choose another path",
        "import_paper_outputs": f"{source}: out would overwrite the input {source} (source); "
        "choose another path",
        "import_paper_outputs report": f"{both}: report is also out; choose another path",
    }
    for message in messages.values():
        assert "--" not in message
        assert "PRED" not in message
        assert "SOURCE" not in message
    assert predictions.read_bytes() == kept
    assert not stats_out.exists()
    assert not both.exists()


def test_a_template_file_is_still_named_by_its_path_from_python(
    built_default: Path, tmp_path: Path
) -> None:
    """``template_where`` finds the file a template was read from by the name it was recorded
    under, so a Python caller is told the file, as the command line is."""
    from sgbench.dataset import open_dataset
    from sgbench.prompts import load_template
    from sgbench.prompts.templates import check_attributes

    path = tmp_path / "t.txt"
    path.write_text("{persona} {subgroup[nope]}: {question}\n{options}", encoding="utf-8")
    message = _refusal(check_attributes, load_template(path), open_dataset(built_default))
    assert message.startswith(f"{path}: user: {{subgroup[nope]}}: dataset ")


# The same functions from the command line: the same refusals, named as its user typed them.
# judge and import paper-outputs leave the check to the library function they call.
JUDGE = ["judge", "p.jsonl", "b.jsonl", "--base-url", URL, "--model", "j"]
IMPORT = ["import", "paper-outputs", "s.jsonl", "--dataset", "ds"]
COMMAND_LINE = {
    "judge --out A": (
        [*JUDGE, "--dataset", "ds", "--out", "p.jsonl"],
        "Error: p.jsonl: --out would overwrite the input p.jsonl (A); choose another path",
    ),
    "import paper-outputs --out SOURCE": (
        [*IMPORT, "--out", "s.jsonl"],
        "Error: s.jsonl: --out would overwrite the input s.jsonl (SOURCE); choose another path",
    ),
    "import paper-outputs --report = --out": (
        [*IMPORT, "--out", "r.jsonl", "--report", "r.jsonl"],
        "Error: r.jsonl: --report is also --out; choose another path",
    ),
    "judge A and B": (
        ["judge", "p.jsonl", "p.jsonl", "--base-url", URL, "--model", "j", "--out", "j.jsonl"],
        "Error: p.jsonl, p.jsonl: A and B are the same file; judge two runs",
    ),
    "import paper-outputs give --model": (
        ["import", "paper-outputs", " .jsonl", "--dataset", "ds", "--out", "o.jsonl"],
        "Error: model name ' ' (taken from SOURCE's file name; give --model): "
        + str(model_name_problem(" ")),
    ),
    "score --json PRED": (
        ["score", "p.jsonl", "--dataset", "ds", "--json", "p.jsonl"],
        "Error: p.jsonl: --json would overwrite the input p.jsonl (PRED); choose another path",
    ),
    "run --out not resumable": (
        ["run", "--dataset", "ds", "--base-url", URL, "--model", "m", "--out", "g.jsonl"],
        "Error: g.jsonl: line 1: not a response line of `sgbench run`; choose another --out",
    ),
    "stats --out foreign": (
        ["stats", "--dataset", "ds", "--out", "foreign"],
        "Error: foreign: refusing to replace a folder that is not an earlier output of `sgbench "
        "stats` (it holds other files: mine.txt); it has no .sgbench-output.json, the mark "
        "sgbench leaves in its outputs: if it is an output of an older sgbench, written before "
        "that mark existed, delete foreign yourself once; otherwise choose another --out",
    ),
    "build --country": (
        ["build", "--country", "ZZZ", "--out", "o"],
        "Error: --country: unknown country code 'ZZZ' (see sgbench/catalogue/countries.json)",
    ),
    "push --repo-id": (
        ["push", "ds", "--repo-id", "bad", "--dry-run", "--allow-synthetic"],
        "Error: --repo-id 'bad': expected ORG/NAME",
    ),
    "push --allow-synthetic": (
        ["push", "ds", "--repo-id", "org/name", "--dry-run"],
        "Error: ds: not published: a SYNTHETIC build (not WVS data; from the embedded sample or "
        "a file of `sgbench synth`): build from a WVS file, or pass --allow-synthetic to push "
        "it anyway",
    ),
}


@pytest.mark.parametrize("case", sorted(COMMAND_LINE))
def test_the_command_line_names_its_options_as_before(
    case: str, built_default: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(built_default, tmp_path / "ds")
    (tmp_path / "p.jsonl").write_text('{"id": "x", "response": "a"}\n', encoding="utf-8")
    (tmp_path / "b.jsonl").write_text('{"id": "x", "response": "b"}\n', encoding="utf-8")
    (tmp_path / "s.jsonl").write_text('{"custom_id": "x", "response": "1"}\n', encoding="utf-8")
    shutil.copy(tmp_path / "s.jsonl", tmp_path / " .jsonl")
    (tmp_path / "g.jsonl").write_text("hello\n", encoding="utf-8")
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "mine.txt").write_text("x", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    args, line = COMMAND_LINE[case]
    result = CliRunner().invoke(main, args)
    assert assert_one_error_line(result) == line


class _NotFound(LoopbackChatServer):
    """A server answering every request with 404: the run stops at once, saying what to check."""

    def respond(self, handler: ChatHandler, body: dict[str, object]) -> None:
        handler.send(404, b"<html>no</html>")


def test_python_checks_of_values_name_their_parameters(
    built_default: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checks of a value (not of a path) from Python: each message names the parameter or field
    the caller gave, never the option the command line has for it (exact wording)."""
    from sgbench.paper import import_paper_outputs
    from sgbench.paper.importer import IMPORTED
    from sgbench.runner import Endpoint, SamplingParams, api_key_from_env, run_benchmark
    from sgbench.runner.client import MAX_TIMEOUT

    monkeypatch.delenv("SGBENCH_NO_SUCH_VAR", raising=False)
    (tmp_path / "p.jsonl").write_text('{"id": "x", "response": "a"}\n', encoding="utf-8")
    blank = tmp_path / " .jsonl"  # its stem, the model name taken, is a space
    blank.write_text('{"custom_id": "x", "response": "1"}\n', encoding="utf-8")
    shutil.copy(blank, tmp_path / "s.jsonl")
    kept = tmp_path / "notes.jsonl"
    kept.write_text("my notes\n", encoding="utf-8")
    p = tmp_path / "p.jsonl"
    endpoint = Endpoint(URL)
    run = {"config": "default", "split": "test_ood", "template_name": "paper"}
    messages = {
        "judge_files same": _refusal(
            judge_files, p, p, tmp_path / "j.jsonl", dataset=built_default, model="j",
            endpoint=endpoint,
        ),
        "judge_files model": _refusal(
            judge_files, p, tmp_path / "b.jsonl", tmp_path / "j.jsonl",
            dataset=built_default, model="", endpoint=endpoint,
        ),
        "run_benchmark limit": _refusal(
            run_benchmark, built_default, tmp_path / "r.jsonl", model="m", endpoint=endpoint,
            limit=0, **run,
        ),
        "run_benchmark predictions": _refusal(
            run_benchmark, built_default, tmp_path / "r.jsonl", model="m", endpoint=endpoint,
            predictions_path=kept, **run,
        ),
        "api_key_from_env": _refusal(api_key_from_env, "SGBENCH_NO_SUCH_VAR"),
        "Endpoint scheme": _refusal(Endpoint, "ftp://host/v1"),
        "Endpoint user": _refusal(Endpoint, "http://u:p@host/v1"),
        "Endpoint timeout": _refusal(Endpoint, URL, timeout=0.0),
        "SamplingParams temperature": _refusal(SamplingParams, temperature=-1.0),
        "SamplingParams top_p": _refusal(SamplingParams, top_p=2.0),
        "SamplingParams top_p nan": _refusal(SamplingParams, top_p=float("nan")),
        "SamplingParams seed": _refusal(SamplingParams, seed=2**63),
        "import_paper_outputs stem": _refusal(
            import_paper_outputs, blank, built_default, tmp_path / "o.jsonl"
        ),
        "import_paper_outputs hub_config": _refusal(
            import_paper_outputs, blank, built_default, tmp_path / "o.jsonl", hub_config=" "
        ),
        "import_paper_outputs out": _refusal(
            import_paper_outputs, tmp_path / "s.jsonl", built_default, kept
        ),
    }  # fmt: skip
    empty = model_name_problem("")
    blank_name = model_name_problem(" ")
    assert messages == {
        "judge_files same": f"{p}, {p}: a_path and b_path are the same file; judge two runs",
        "judge_files model": f"model '': {empty}",
        "run_benchmark limit": "limit 0: must be at least 1 (None for the whole split)",
        "run_benchmark predictions": f"predictions_path {kept}: exists and is not a predictions "
        "file (its first line is not a prediction line), so it is not replaced; choose another "
        "file or delete it",
        "api_key_from_env": "api_key_env SGBENCH_NO_SUCH_VAR: that environment variable is not set",
        "Endpoint scheme": "base_url 'ftp://host/v1': needs http:// or https://",
        "Endpoint user": "base_url: holds a user name or password (user:pass@host), which would "
        "not be sent; remove it and give the API key in the environment variable "
        "OPENAI_API_KEY (or the one api_key_env names)",
        "Endpoint timeout": "timeout 0: must be a positive number of seconds, at most "
        f"{MAX_TIMEOUT:g}",
        "SamplingParams temperature": "temperature -1.0: must be at least 0",
        "SamplingParams top_p": "top_p 2.0: must lie in (0, 1]",
        "SamplingParams top_p nan": "top_p nan: must be a finite number",
        "SamplingParams seed": f"seed {2**63}: must be at most {2**63 - 1}",
        "import_paper_outputs stem": "model name ' ' (taken from source's file name; give "
        f"model): {blank_name}",
        "import_paper_outputs hub_config": "model name ' ' (taken from hub_config; give model): "
        f"{blank_name}",
        "import_paper_outputs out": f"out {kept}: exists and is not {IMPORTED.name}, so it is not "
        "replaced; choose another file or delete it",
    }
    for message in messages.values():
        assert "--" not in message
        assert " A " not in message
        assert "SOURCE" not in message


def test_a_request_worker_names_the_arguments_as_its_caller_did(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a status says is worded on a request thread, which sees its caller's naming."""
    from sgbench.prompts import Prompt
    from sgbench.runner import Endpoint, RetryPolicy
    from sgbench.runner.run import run_model

    prompt = Prompt(
        id="s0", template="paper", messages=[{"role": "user", "content": "q"}], prompt="q"
    )
    said = {}
    with serving(_NotFound(), monkeypatch) as server:
        for caller in (contextlib.nullcontext, named_as_on_the_command_line):
            out = tmp_path / f"{caller.__name__}.jsonl"
            with caller():
                said[caller.__name__] = _refusal(
                    run_model, [prompt], out, model="m", template="paper",
                    endpoint=Endpoint(server.url), policy=RetryPolicy(max_attempts=1),
                    concurrency=1, progress_stream=io.StringIO(),
                )  # fmt: skip
    assert "(no such endpoint or model: check base_url and model)" in said["nullcontext"]
    assert (
        "(no such endpoint or model: check --base-url and --model)"
        in said["named_as_on_the_command_line"]
    )


def _not_ours(folder: Path, kind: str) -> str:
    """The refusal of ``folder``, holding a file of the user's, by a Python folder writer."""
    return (
        f"{folder}: refusing to replace a folder that is not an earlier output of `sgbench "
        f"{kind}` (it holds other files: mine.txt); it has no .sgbench-output.json, the mark "
        "sgbench leaves in its outputs: if it is an output of an older sgbench, written before "
        f"that mark existed, delete {folder} yourself once; otherwise choose another out_dir"
    )


def test_python_advice_names_the_argument_to_change(built_default: Path, tmp_path: Path) -> None:
    """Output files that cannot be resumed, output folders that are not sgbench's, and the
    advice of the builder, the publisher, the paper importer and the judge, from Python: each
    names the parameter (or the argument to pass) of the function called, never an option
    (issue #15; the same calls from the command line: COMMAND_LINE, above)."""
    from sgbench.baselines import run_baseline
    from sgbench.builder import build_dataset, resolve_config
    from sgbench.export import write_lm_eval_task
    from sgbench.judge import parse_criteria
    from sgbench.leaderboard import build_leaderboard, write_leaderboard
    from sgbench.paper.source import read_source
    from sgbench.prompts import Prompt, load_template
    from sgbench.publish import push_dataset
    from sgbench.runner import Endpoint, run_benchmark
    from sgbench.runner.run import run_model
    from sgbench.scoring import score_predictions
    from sgbench.stats import compute_stats, write_stats

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "mine.txt").write_text("x", encoding="utf-8")
    garbage = tmp_path / "g.jsonl"
    garbage.write_text("hello\n", encoding="utf-8")
    source = tmp_path / "s.jsonl"
    source.write_text('{"custom_id": "x", "response": "1"}\n', encoding="utf-8")
    (tmp_path / "subs").mkdir()
    lines = run_baseline("majority", built_default, split="test_id").to_jsonl().splitlines()
    predictions = tmp_path / "p.jsonl"
    predictions.write_text("\n".join(lines[1:]) + "\n", encoding="utf-8")  # one sample short
    first = json.loads(lines[0])["id"]
    no_ci = {"n_boot": 0, "n_permutations": 0}
    endpoint = Endpoint(URL)
    run = {"model": "m", "endpoint": endpoint, "config": "default", "split": "test_ood"}
    prompt = Prompt(
        id="s0", template="paper", messages=[{"role": "user", "content": "q"}], prompt="q"
    )
    board = build_leaderboard(
        tmp_path / "subs", built_default, with_baselines=True, n_boot=0, n_permutations=0
    )
    messages = {
        "run_benchmark": _refusal(run_benchmark, built_default, garbage, template_name="paper",
                                  **run),
        "run_model": _refusal(run_model, [prompt], garbage, model="m", template="paper",
                              endpoint=endpoint),
        "build_dataset out_dir": _refusal(build_dataset, out_dir=foreign),
        "write_stats": _refusal(write_stats, compute_stats(built_default), foreign),
        "build_leaderboard": _refusal(build_leaderboard, tmp_path / "subs", built_default),
        "write_leaderboard": _refusal(write_leaderboard, board, foreign),
        "write_lm_eval_task out_dir": _refusal(
            write_lm_eval_task, foreign, built_default, "default", "test_ood",
            load_template("paper"),
        ),
        "write_lm_eval_task template": _refusal(
            write_lm_eval_task, tmp_path / "lm", built_default, "default", "test_ood",
            load_template("open"),
        ),
        "build_dataset country": _refusal(build_dataset, out_dir=tmp_path / "o", country="ZZZ"),
        "resolve_config country": _refusal(resolve_config, None, " "),
        "push_dataset synthetic": _refusal(push_dataset, built_default, "org/name", dry_run=True),
        "push_dataset repo_id": _refusal(
            push_dataset, built_default, "bad", dry_run=True, allow_synthetic=True
        ),
        "read_source": _refusal(read_source, str(source), hub_config="c"),
        "parse_criteria": _refusal(parse_criteria, "style"),
        "score_predictions split": _refusal(
            score_predictions, predictions, built_default, split="test_ood", **no_ci
        ),
        "score_predictions strict": _refusal(
            score_predictions, predictions, built_default, split="test_id", strict=True, **no_ci
        ),
    }  # fmt: skip
    assert messages == {
        "run_benchmark": f"{garbage}: line 1: not a response line of `sgbench run`; choose "
        "another out_path",
        "run_model": f"{garbage}: line 1: not a response line of `sgbench run`; choose another out",
        "build_dataset out_dir": _not_ours(foreign, "build"),
        "write_stats": _not_ours(foreign, "stats"),
        "build_leaderboard": f"{tmp_path / 'subs'}: no submission folders (and no "
        "with_baselines=True)",
        "write_leaderboard": _not_ours(foreign, "leaderboard"),
        "write_lm_eval_task out_dir": _not_ours(foreign, "export lm-eval"),
        "write_lm_eval_task template": "template open: shows no options ({options} or "
        "{codes}); an lm-eval multiple-choice task needs them (judge free text with `sgbench "
        "judge`)",
        "build_dataset country": "country: unknown country code 'ZZZ' (see "
        "sgbench/catalogue/countries.json)",
        "resolve_config country": "country: empty country code",
        "push_dataset synthetic": f"{built_default}: not published: a SYNTHETIC build (not WVS "
        "data; from the embedded sample or a file of `sgbench synth`): build from a WVS file, "
        "or pass allow_synthetic=True to push it anyway",
        "push_dataset repo_id": "repo_id 'bad': expected ORG/NAME",
        "read_source": f"{source}: hub_config and hub_split choose part of a Hub source "
        "(hf://owner/name), not of a local file",
        "parse_criteria": "text 'style': unknown criterion 'style'; choose from overall, value, "
        "persona (comma-separated)",
        "score_predictions split": f"{predictions}: none of its {len(lines) - 1} prediction(s) "
        "is for split 'test_ood'; all are for other splits of config 'default' (choose the "
        "split with split)",
        "score_predictions strict": f"{predictions}: 1 sample(s) of split 'test_id' have no "
        f"prediction (strict=True): {first!r}",
    }
    for message in messages.values():
        assert "--" not in message
        assert "SOURCE" not in message
    assert garbage.read_text(encoding="utf-8") == "hello\n"
    assert sorted(p.name for p in foreign.iterdir()) == ["mine.txt"]
    assert not (tmp_path / "lm").exists()
    assert not (tmp_path / "o").exists()
