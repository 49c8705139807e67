"""`sgbench export sft` and `sgbench export lm-eval` (and, when lm-eval is installed, the task in
the real harness with a stub model)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from cli_contract import module_command, module_environment
from click.testing import CliRunner

from sgbench.cli import main
from sgbench.dataset import load_split
from sgbench.errors import InputError, SgbenchWarning
from sgbench.export import sft_record, split_sft_jsonl, write_lm_eval_task
from sgbench.export.lm_eval import task_name
from sgbench.files import OUTPUT_MARKER
from sgbench.prompts import TEMPLATES, render, render_prompt
from sgbench.prompts.render import answer_prefix


def tied_row() -> dict[str, Any]:
    """A sample whose modal answers tie (codes 2 and 3); ``answer`` is the first in scale order."""
    return {
        "id": "Q5/sex=female",
        "question": "Is work important?",
        "options": [
            {"code": 3, "label": "Yes"},
            {"code": 2, "label": "Maybe"},
            {"code": 1, "label": "No"},
        ],
        "subgroup": {"sex": "Female"},
        "persona": "You are a woman living in Singapore.",
        "answer": 3,
        "modal_answers": [3, 2],
    }


def test_sft_record_by_hand() -> None:
    record = sft_record(TEMPLATES["paper"], tied_row())
    assert record["messages"] == [
        {"role": "system", "content": "You are a woman living in Singapore."},
        {
            "role": "user",
            "content": "Is work important?\n\n3. Yes\n2. Maybe\n1. No\n\n"
            'Answer with the number of one option, in the form "Answer: <number>".',
        },
        {"role": "assistant", "content": "Answer: 3"},
    ]
    assert sft_record(TEMPLATES["json"], tied_row())["messages"][-1]["content"] == '{"answer": 3}'
    assert sft_record(TEMPLATES["plain"], tied_row())["messages"][-1]["content"] == "3"


def test_cli_export_sft(built_default: Path) -> None:
    args = ["export", "sft", "--dataset", str(built_default), "--split", "validation"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    rows = load_split(built_default, "default", "validation")
    assert result.stderr == ""
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == len(rows)
    for record, (_, row) in zip(records, rows.iterrows(), strict=True):
        roles = [m["role"] for m in record["messages"]]
        assert roles == ["system", "user", "assistant"]
        assert record["messages"][0]["content"] == row["persona"]
        assert record["messages"][2]["content"] == f"Answer: {row['answer']}"
    assert CliRunner().invoke(main, args).stdout == result.stdout


def test_cli_export_sft_warns_on_evaluation_split(built_default: Path) -> None:
    args = ["export", "sft", "--dataset", str(built_default), "--split", "test_id"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0
    assert (
        result.stderr
        == "warning: test_id is an evaluation split; fine-tuning on it leaks the targets\n"
    )
    assert len(result.stdout.splitlines()) == len(load_split(built_default, "default", "test_id"))


@pytest.mark.parametrize("split", ["test_id", "test_ood"])
def test_python_warns_as_the_command_line_does(built_default: Path, split: str) -> None:
    """One rule both ways: the function warns (SgbenchWarning, naming the caller's line), the
    command shows that warning's text as its line; an error filter makes it a refusal before
    any line is made."""
    with pytest.warns(SgbenchWarning) as caught:
        lines = list(split_sft_jsonl(built_default, "default", split, "paper"))
    assert [str(w.message) for w in caught] == [
        f"{split} is an evaluation split; fine-tuning on it leaks the targets"
    ]
    assert caught[0].filename == __file__
    result = CliRunner().invoke(
        main, ["export", "sft", "--dataset", str(built_default), "--split", split]
    )
    assert result.stderr == f"warning: {caught[0].message}\n"
    assert result.stdout == "".join(lines)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SgbenchWarning)
        with pytest.raises(SgbenchWarning):
            split_sft_jsonl(built_default, "default", split, "paper")


@pytest.mark.parametrize(
    ("action", "code", "stderr"),
    [("error", 2, "Error: {}\n"), ("ignore", 0, ""), ("always", 0, "warning: {}\n")],
)
def test_the_callers_warning_filters_come_first_on_the_command_line(
    built_default: Path, action: Any, code: int, stderr: str
) -> None:
    """As ``python -W ACTION::UserWarning -m sgbench``: the command line's own filter, showing
    each warning as a line, came first, so an error filter printed a ``warning:`` line and the
    records; an error is now one ``Error:`` line, exit 2, before any record."""
    args = ["export", "sft", "--dataset", str(built_default), "--split", "test_ood"]
    text = "test_ood is an evaluation split; fine-tuning on it leaks the targets"
    with warnings.catch_warnings():
        warnings.simplefilter(action, UserWarning)
        result = CliRunner().invoke(main, args)
    assert (result.exit_code, result.stderr) == (code, stderr.format(text))
    assert (result.stdout == "") == (action == "error")


def test_python_w_error_makes_the_warning_an_error(built_default: Path, tmp_path: Path) -> None:
    """``python -W error -m sgbench``, in a real process: one line, no traceback, no record."""
    args = ["export", "sft", "--dataset", str(built_default), "--split", "test_id"]
    done = subprocess.run(
        [sys.executable, "-W", "error", *module_command(args)[1:]],
        cwd=tmp_path,
        env=module_environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "Error: test_id is an evaluation split; fine-tuning on it leaks the targets\n"
    )


@pytest.mark.parametrize("split", ["train", "validation"])
def test_training_splits_give_no_warning(built_default: Path, split: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert next(split_sft_jsonl(built_default, "default", split, "paper")).startswith("{")


class TaskLoader(yaml.SafeLoader):
    """Reads the harness's ``!function module.name`` tag as the string ``!function module.name``."""


TaskLoader.add_constructor(
    "!function", lambda loader, node: f"!function {loader.construct_scalar(node)}"
)


def import_utils(folder: Path) -> ModuleType:
    """Import the exported ``utils.py`` as the harness does: a file beside the YAML."""
    spec = importlib.util.spec_from_file_location(f"wvs_utils_{id(folder)}", folder / "utils.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TASK = "wvs_sg_subgroups_default_test_ood"


def context(utils: ModuleType, doc: dict[str, Any]) -> str:
    """The harness's plain-text context without a chat template: description, text, prefix."""
    described = utils._description(doc)["sgbench_description"]
    return described + utils.doc_to_text(doc) + utils.PREFIX


def test_lm_eval_task(built_default: Path, tmp_path: Path) -> None:
    out = tmp_path / "task"
    result = CliRunner().invoke(
        main, ["export", "lm-eval", "--out", str(out), "--dataset", str(built_default)]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [OUTPUT_MARKER, "utils.py", f"{TASK}.yaml"]
    task = yaml.load((out / f"{TASK}.yaml").read_text(encoding="utf-8"), Loader=TaskLoader)
    assert task["task"] == TASK == task_name("wvs-sg-subgroups", "default", "test_ood")
    assert task["dataset_path"] == str(built_default.resolve())
    assert task["dataset_name"] == "default"
    assert task["test_split"] == "test_ood"
    assert (task["training_split"], task["validation_split"]) == ("train", "validation")
    assert task["fewshot_split"] == "train"
    assert "num_fewshot" not in task
    assert task["output_type"] == "multiple_choice"
    assert task["process_docs"] == "!function utils.process_docs"
    # A Jinja template of the document's field, which every harness version renders (0.4.13
    # also takes a bare field name; earlier ones printed it as the word): the real harness
    # test below checks the persona reaches the prompt.
    assert task["description"] == "{{sgbench_description}}"
    assert task["doc_to_text"] == "!function utils.doc_to_text"
    assert task["doc_to_choice"] == "!function utils.doc_to_choice"
    assert task["doc_to_target"] == "!function utils.doc_to_target"
    assert task["fewshot_config"] == {"doc_to_target": "!function utils.doc_to_fewshot_target"}
    assert task["gen_prefix"] == "Answer:"
    assert task["target_delimiter"] == " "
    assert task["metric_list"] == [
        {"metric": "acc", "aggregation": "mean", "higher_is_better": True}
    ]
    manifest = json.loads((built_default / "manifest.json").read_text(encoding="utf-8"))
    assert task["metadata"]["template"] == "paper"
    assert task["metadata"]["dataset"] == manifest["name"]
    assert task["metadata"]["dataset_version"] == manifest["version"]
    assert "+synthetic" in task["metadata"]["dataset_version"]
    assert task["metadata"]["synthetic"] is True

    # Load the split exactly as the harness would, then render documents through utils.py.
    import datasets

    docs = datasets.load_dataset(
        task["dataset_path"],
        task["dataset_name"],
        split=task["test_split"],
        cache_dir=str(tmp_path / "hf-cache"),
    )
    rows = load_split(built_default, "default", "test_ood")
    assert len(docs) == len(rows)
    utils = import_utils(out)
    for index in (0, 1, len(docs) - 1):
        doc = docs[index]
        row = rows.iloc[index].to_dict()
        assert doc["id"] == row["id"]
        prompt = render_prompt(TEMPLATES["paper"], row)
        assert context(utils, doc) == prompt["prompt"] + "\nAnswer:"
        assert utils._description(doc)["sgbench_description"] == row["persona"] + "\n\n"
        assert utils.doc_to_text(doc) == prompt["messages"][-1]["content"] + "\n"
        codes = [str(o["code"]) for o in doc["options"]]
        assert utils.doc_to_choice(doc) == codes
        assert [codes[i] for i in utils.doc_to_target(doc)] == [
            str(c) for c in doc["modal_answers"]
        ]
        assert utils.doc_to_fewshot_target(doc) == str(doc["answer"])


def test_lm_eval_tied_modes_json_template_and_paper_config(
    built_default: Path, tmp_path: Path
) -> None:
    out = write_lm_eval_task(
        tmp_path / "t", str(built_default), "paper", "test_ood", TEMPLATES["json"]
    ).parent
    name = task_name("wvs-sg-subgroups", "paper", "test_ood")
    task = yaml.load((out / f"{name}.yaml").read_text(encoding="utf-8"), Loader=TaskLoader)
    assert task["dataset_name"] == "paper"
    assert "validation_split" not in task
    assert task["gen_prefix"] == '{"answer":'
    utils = import_utils(out)
    doc = tied_row()
    assert context(utils, doc).endswith('where <number> is one of 3, 2, 1.\n{"answer":')
    assert utils.doc_to_choice(doc) == ["3", "2", "1"]
    assert utils.doc_to_target(doc) == [0, 1]  # both tied modes, 3 and 2
    assert utils.doc_to_fewshot_target(doc) == "3"
    json_template = TEMPLATES["json"]
    args = (json_template.system, json_template.user, json_template.target, doc)
    assert context(utils, doc) == render.choice_text(*args)
    assert answer_prefix("{answer}") == ""
    assert answer_prefix("Answer: {answer}") == "Answer:"
    plain = write_lm_eval_task(
        tmp_path / "p", str(built_default), "default", "test_ood", TEMPLATES["plain"]
    )
    assert "gen_prefix" not in plain.read_text(encoding="utf-8")
    plain_utils = import_utils(plain.parent)
    assert plain_utils._description(doc) == {"sgbench_description": ""}
    assert context(plain_utils, doc) == render.choice_text(None, TEMPLATES["plain"].user, "", doc)


def test_lm_eval_open_template_refused(built_default: Path, tmp_path: Path) -> None:
    args = ["export", "lm-eval", "--out", str(tmp_path / "o"), "--dataset", str(built_default)]
    result = CliRunner().invoke(main, [*args, "--template", "open"])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: --template open: shows no options")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("inside", ["ds/task", "ds", "link/task"])
def test_lm_eval_task_never_goes_into_its_dataset(
    inside: str, built_default: Path, tmp_path: Path
) -> None:
    """The CLI refused it; the function wrote its folder inside the dataset it reads."""
    dataset = tmp_path / "ds"
    shutil.copytree(built_default, dataset)
    (tmp_path / "link").symlink_to("ds")
    before = sorted(p.relative_to(dataset) for p in dataset.rglob("*"))
    with pytest.raises(InputError, match="would overwrite the input"):
        write_lm_eval_task(
            tmp_path / inside, str(dataset), "default", "test_ood", TEMPLATES["paper"]
        )
    assert sorted(p.relative_to(dataset) for p in dataset.rglob("*")) == before


def test_lm_eval_hub_id_and_refusals(built_default: Path, tmp_path: Path) -> None:
    hub = write_lm_eval_task(
        tmp_path / "hub", "hf://org/wvs-sg", "default", "test_ood", TEMPLATES["paper"]
    )
    text = hub.read_text(encoding="utf-8")
    assert hub.name == "wvs_sg_default_test_ood.yaml"
    assert 'dataset_path: "org/wvs-sg"' in text
    assert "dataset_version: null" in text
    # Writing again over an earlier export is fine; over other files it is refused.
    again = write_lm_eval_task(
        tmp_path / "hub", "hf://org/wvs-sg", "default", "test_id", TEMPLATES["paper"]
    )
    assert "test_split: test_id" in again.read_text(encoding="utf-8")
    assert sorted(p.name for p in again.parent.iterdir()) == sorted(
        [OUTPUT_MARKER, "utils.py", again.name]
    )
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine", encoding="utf-8")
    (busy / "other.yaml").write_text("task: mine\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"it holds other files: notes\.txt, other\.yaml"):
        write_lm_eval_task(busy, str(built_default), "default", "test_ood", TEMPLATES["paper"])
    assert (busy / "notes.txt").read_text(encoding="utf-8") == "mine"
    (busy / "notes.txt").unlink()
    with pytest.raises(InputError, match=r"it holds other files: other\.yaml\)"):
        write_lm_eval_task(busy, str(built_default), "default", "test_ood", TEMPLATES["paper"])
    with pytest.raises(InputError, match="no such dataset folder"):
        write_lm_eval_task(
            tmp_path / "x", str(tmp_path / "none"), "default", "test_ood", TEMPLATES["paper"]
        )
    with pytest.raises(InputError, match="no split 'validation'"):
        write_lm_eval_task(
            tmp_path / "x", str(built_default), "paper", "validation", TEMPLATES["paper"]
        )
    assert not (tmp_path / "x").exists()
    result = CliRunner().invoke(
        main, ["export", "lm-eval", "--out", str(busy), "--dataset", str(built_default)]
    )
    assert result.exit_code == 2
    assert "Error:" in result.output


HARNESS_STUB = """
import json, sys
from lm_eval import simple_evaluate
from lm_eval.api.model import LM
from lm_eval.tasks import TaskManager


class Stub(LM):
    \"\"\"Scores the choice PICK highest after any context; records every request.\"\"\"

    def __init__(self, pick):
        super().__init__()
        self.pick, self.requests = pick, []

    def loglikelihood(self, requests, disable_tqdm=False):
        self.requests += [r.args for r in requests]
        return [(0.0 if c.strip() == self.pick else -1.0, c.strip() == self.pick)
                for _, c in (r.args for r in requests)]

    def loglikelihood_rolling(self, requests, disable_tqdm=False):
        raise NotImplementedError

    def generate_until(self, requests, disable_tqdm=False):
        raise NotImplementedError

    @property
    def tokenizer_name(self):
        return "stub"

    def apply_chat_template(self, chat_history, add_generation_prompt=True):
        return json.dumps(chat_history)


folder, task, pick = sys.argv[1:4]
# Indexing the harness's own tasks costs seconds: once for every run.
manager = TaskManager(include_path=folder)
runs = []
for shots, chat, limit in json.loads(sys.argv[4]):
    lm = Stub(pick)
    result = simple_evaluate(
        model=lm, tasks=[task], task_manager=manager,
        num_fewshot=shots, apply_chat_template=chat, limit=limit,
        random_seed=0, numpy_random_seed=0, fewshot_random_seed=0,
    )
    runs.append({"acc": result["results"][task]["acc,none"], "requests": lm.requests})
print(json.dumps(runs))
"""


def run_harness(
    folder: Path, tmp_path: Path, runs: list[tuple[int, bool, int]], pick: str
) -> list[dict[str, Any]]:
    """The exported task in the real harness (one subprocess), with a stub model that picks
    ``pick``: one result per ``(num_fewshot, apply_chat_template, limit)``."""
    script = tmp_path / "harness_stub.py"
    script.write_text(HARNESS_STUB, encoding="utf-8")
    args = [str(folder), TASK, pick, json.dumps(runs)]
    env = {**os.environ, "HF_DATASETS_CACHE": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: list[dict[str, Any]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_hub_id_is_never_read_from_a_local_folder_of_that_name(
    built_default: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """hf://org/name with a folder org/name in the working folder: that folder's manifest was
    written as the Hub dataset's version (1.0.0+synthetic, synthetic: true), and a task written
    into it was not refused as output inside a dataset (it was read)."""
    shutil.copytree(built_default, tmp_path / "org" / "name")
    monkeypatch.chdir(tmp_path)
    task = write_lm_eval_task("out", "hf://org/name", "default", "test_ood", TEMPLATES["paper"])
    text = task.read_text(encoding="utf-8")
    assert task.name == "name_default_test_ood.yaml"  # the id's name, not the folder's manifest
    assert 'dataset_path: "org/name"' in text
    assert "dataset_version: null" in text
    assert "synthetic" not in text


def test_the_task_runs_in_the_real_harness(built_default: Path, tmp_path: Path) -> None:
    """lm-evaluation-harness 0.4.13 imports without torch for tasks and custom models; install
    it with ``pip install --no-deps lm_eval`` and the ``lmeval-stub`` extra to run this."""
    pytest.importorskip("lm_eval")
    out = write_lm_eval_task(
        tmp_path / "task", str(built_default), "default", "test_ood", TEMPLATES["paper"]
    ).parent
    limit = 6
    rows = load_split(built_default, "default", "test_ood").head(limit)
    plain, shots = run_harness(out, tmp_path, [(0, False, limit), (2, True, 2)], pick="1")
    # acc: the stub always picks code 1; right exactly where 1 is one of the tied modes.
    expected = sum(1 in list(m) for m in rows["modal_answers"]) / limit
    assert plain["acc"] == pytest.approx(expected)
    first = rows.iloc[0].to_dict()
    context, continuation = plain["requests"][0]
    assert context == render_prompt(TEMPLATES["paper"], first)["prompt"] + "\nAnswer:"
    assert continuation == " " + str(first["options"][0]["code"])
    messages = json.loads(shots["requests"][0][0])
    roles = [m["role"] for m in messages]
    assert roles == ["system", "user", "assistant", "user", "assistant", "user", "assistant"]
    assert messages[0]["content"] == first["persona"] + "\n\n"
    assert messages[2]["content"].startswith("Answer: ")
    assert messages[-1] == {"role": "assistant", "content": "Answer:"}
