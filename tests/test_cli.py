"""The command line as a whole: choices from library constants, configs, exit codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import get_args

import click
import pytest
from click.testing import CliRunner
from fake_openai import LoopbackChatServer, serving

from sgbench.baselines import BASELINES
from sgbench.builder.layouts import LAYOUTS, LayoutName
from sgbench.cli import main
from sgbench.cli.errors import EXIT_INTERRUPTED, SgbenchGroup
from sgbench.dataset import CONFIG_SPLITS, evaluation_split, load_split
from sgbench.errors import InputError
from sgbench.prompts import TEMPLATES
from sgbench.stats.plots import CHART_FORMATS, ChartFormat


def commands(group: click.Group = main, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The path of every command under ``group`` (``("export", "sft")`` for a subcommand)."""
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from commands(command, (*prefix, name))
        else:
            yield (*prefix, name)


def command(path: tuple[str, ...]) -> click.Command:
    found: click.Command = main
    for name in path:
        assert isinstance(found, click.Group)
        found = found.commands[name]
    return found


def param(path: tuple[str, ...], name: str) -> click.Parameter | None:
    return next((p for p in command(path).params if p.name == name), None)


def choices(path: tuple[str, ...], name: str) -> tuple[str, ...]:
    found = param(path, name)
    assert found is not None, (path, name)
    assert isinstance(found.type, click.Choice), (path, name)
    return tuple(found.type.choices)


TAKES_CONFIG = [path for path in commands() if param(path, "config") is not None]


def test_choices_are_the_library_constants() -> None:
    splits = {split for splits in CONFIG_SPLITS.values() for split in splits}
    assert TAKES_CONFIG
    for path in TAKES_CONFIG:
        assert choices(path, "config") == tuple(CONFIG_SPLITS), path
        if param(path, "split") is not None:
            assert set(choices(path, "split")) == splits, path
    assert choices(("baseline",), "name") == BASELINES
    assert choices(("stats",), "chart_format") == CHART_FORMATS == get_args(ChartFormat)
    assert choices(("synth",), "layout") == tuple(LAYOUTS) == get_args(LayoutName)
    template = param(("prompts",), "template_name")
    assert template is not None
    assert template.default == "paper"
    assert all(name in str(getattr(template, "help", "")) for name in TEMPLATES)


def test_evaluation_split_is_each_configs_last() -> None:
    assert evaluation_split("default") == "test_ood"
    assert evaluation_split("temporal") == "test"
    with pytest.raises(InputError, match="unknown config"):
        evaluation_split("nope")


def answer_and_verdict(body: object) -> str:
    """Parses as option 1 (a run) and as a verdict for A (a judgment)."""
    return 'Answer: 1\n{"overall": "1", "value": "1", "persona": "1"}'


def test_every_command_taking_a_config_accepts_temporal(
    built_temporal: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--config temporal` on a build that has it: every such command succeeds, and the ones
    that default the split use temporal's held-out split, `test`."""
    data = ["--dataset", str(built_temporal), "--config", "temporal"]
    test_ids = load_split(built_temporal, "temporal", "test")["id"].tolist()
    runner = CliRunner()
    ran: set[tuple[str, ...]] = set()

    def invoke(*args: str) -> str:
        path = next(p for p in TAKES_CONFIG if list(p) == list(args[: len(p)]))
        result = runner.invoke(main, [*args, *data])
        assert result.exit_code == 0, (args, result.output)
        ran.add(path)
        return result.stdout

    predictions = invoke("baseline", "majority")
    assert [json.loads(line)["id"] for line in predictions.splitlines()] == test_ids
    (tmp_path / "pred.jsonl").write_text(predictions, encoding="utf-8")
    assert "accuracy" in invoke("score", str(tmp_path / "pred.jsonl"), "--bootstrap", "0")
    prompts = invoke("prompts").splitlines()
    assert [json.loads(line)["id"] for line in prompts] == test_ids
    assert invoke("export", "sft").count("\n") == len(
        load_split(built_temporal, "temporal", "train")
    )
    invoke("export", "lm-eval", "--out", str(tmp_path / "lm"))
    invoke("stats", "--out", str(tmp_path / "stats"))
    with serving(LoopbackChatServer(answer_and_verdict), monkeypatch) as server:
        responses = tmp_path / "a.jsonl"
        endpoint = ["--base-url", server.url, "--model", "m", "--no-progress", "--concurrency", "1"]
        invoke("run", *endpoint, "--out", str(responses), "--limit", "2")
        other = tmp_path / "b.jsonl"
        other.write_text(responses.read_text(encoding="utf-8").replace('"m"', '"n"'), "utf-8")
        invoke("judge", str(responses), str(other), *endpoint, "--out", str(tmp_path / "j.jsonl"))
    assert [json.loads(line)["id"] for line in responses.read_text().splitlines()] == test_ids[:2]
    invoke("parse", str(responses))
    assert ran == set(TAKES_CONFIG)


@pytest.mark.parametrize(
    "args", [["prompts"], ["baseline", "majority"], ["stats"], ["score", "pred.jsonl"]]
)
def test_a_config_the_build_lacks_is_one_error_line(
    built_default: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pred.jsonl").write_text("", encoding="utf-8")
    result = CliRunner().invoke(
        main, [*args, "--dataset", str(built_default), "--config", "temporal"]
    )
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {built_default}: this build has no config 'temporal' (its configs: default, "
        "paper); `temporal` needs a build from more than one wave\n"
    )
    assert not (tmp_path / "sgbench-stats").exists()


def test_library_errors_and_interrupts_are_handled_once_by_the_group() -> None:
    """A library error in any command: one Error: line and exit 2; Ctrl-C: exit 130."""

    @click.group(cls=SgbenchGroup)
    def group() -> None:
        """A group like sgbench's."""

    @group.command()
    def fails() -> None:
        raise InputError("x.csv: line 3: bad")

    @group.command()
    def interrupted() -> None:
        raise KeyboardInterrupt

    failed = CliRunner().invoke(group, ["fails"])
    assert (failed.exit_code, failed.stderr) == (2, "Error: x.csv: line 3: bad\n")
    stopped = CliRunner().invoke(group, ["interrupted"])
    assert stopped.exit_code == EXIT_INTERRUPTED == 130
    assert "Traceback" not in stopped.output


def test_an_interrupted_run_says_where_its_responses_are(
    built_default: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sgbench.runner.benchmark

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(sgbench.runner.benchmark, "run_model", interrupted)
    out = tmp_path / "r.jsonl"
    args = ["run", "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--out", str(out)]
    # Interrupted before the first response (probe s12 R19): the file named must exist.
    result = CliRunner().invoke(main, [*args, "--dataset", str(built_default)])
    assert result.exit_code == 130
    assert not out.exists()
    assert result.stderr == (
        f"\ninterrupted: no responses were written to {out}; run the same command again to start\n"
    )
    out.write_text('{"id": "x", "response": "Answer: 1"}\n', encoding="utf-8")
    result = CliRunner().invoke(main, [*args, "--dataset", str(built_default)])
    assert result.exit_code == 130
    assert result.stderr == (
        f"\ninterrupted: the responses so far are in {out}; run the same command again to resume\n"
    )
