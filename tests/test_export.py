"""`sgbench export sft` and `sgbench export lm-eval` (checked without installing lm-eval)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from sgbench.cli import main
from sgbench.dataset import load_split
from sgbench.errors import InputError
from sgbench.export import TASK_NAME, sft_record, write_lm_eval_task
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


def test_lm_eval_task(built_default: Path, tmp_path: Path) -> None:
    out = tmp_path / "task"
    result = CliRunner().invoke(
        main, ["export", "lm-eval", "--out", str(out), "--dataset", str(built_default)]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["utils.py", f"{TASK_NAME}.yaml"]
    task = yaml.load((out / f"{TASK_NAME}.yaml").read_text(encoding="utf-8"), Loader=TaskLoader)
    assert task["task"] == "wvs_sg_subgroups"
    assert task["dataset_path"] == str(built_default.resolve())
    assert task["dataset_name"] == "default"
    assert task["test_split"] == "test_ood"
    assert (task["training_split"], task["validation_split"]) == ("train", "validation")
    assert task["output_type"] == "multiple_choice"
    assert task["doc_to_text"] == "!function utils.doc_to_text"
    assert task["doc_to_choice"] == "!function utils.doc_to_choice"
    assert task["doc_to_target"] == "!function utils.doc_to_target"
    assert task["target_delimiter"] == " "
    assert task["metric_list"] == [
        {"metric": "acc", "aggregation": "mean", "higher_is_better": True}
    ]
    assert task["metadata"]["template"] == "paper"

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
        expected = render_prompt(TEMPLATES["paper"], row)["prompt"] + "\nAnswer:"
        assert utils.doc_to_text(doc) == expected
        codes = [str(o["code"]) for o in doc["options"]]
        assert utils.doc_to_choice(doc) == codes
        assert codes[utils.doc_to_target(doc)] == str(doc["answer"])


def test_lm_eval_json_template_and_paper_config(built_default: Path, tmp_path: Path) -> None:
    out = write_lm_eval_task(
        tmp_path / "t", str(built_default), "paper", "test_ood", TEMPLATES["json"]
    ).parent
    task = yaml.load((out / f"{TASK_NAME}.yaml").read_text(encoding="utf-8"), Loader=TaskLoader)
    assert task["dataset_name"] == "paper"
    assert "validation_split" not in task
    utils = import_utils(out)
    doc = tied_row()
    assert utils.doc_to_text(doc).endswith('where <number> is one of 3, 2, 1.\n{"answer":')
    assert utils.doc_to_choice(doc) == ["3", "2", "1"]
    assert utils.doc_to_target(doc) == 0
    json_template = TEMPLATES["json"]
    args = (json_template.system, json_template.user, json_template.target, doc)
    assert utils.doc_to_text(doc) == render.choice_text(*args)
    assert (render.choices(doc), render.target_index(doc)) == (["3", "2", "1"], 0)
    assert answer_prefix("{answer}") == ""
    assert answer_prefix("Answer: {answer}") == "Answer:"


def test_lm_eval_hub_id_and_refusals(built_default: Path, tmp_path: Path) -> None:
    hub = write_lm_eval_task(
        tmp_path / "hub", "org/wvs-sg", "default", "test_ood", TEMPLATES["paper"]
    )
    assert 'dataset_path: "org/wvs-sg"' in hub.read_text(encoding="utf-8")
    # Writing again over an earlier export is fine; over other files it is refused.
    write_lm_eval_task(tmp_path / "hub", "org/wvs-sg", "default", "test_id", TEMPLATES["paper"])
    assert "test_split: test_id" in hub.read_text(encoding="utf-8")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(InputError, match="holds other files"):
        write_lm_eval_task(busy, str(built_default), "default", "test_ood", TEMPLATES["paper"])
    assert (busy / "notes.txt").read_text(encoding="utf-8") == "mine"
    with pytest.raises(InputError, match="not a Hub id"):
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
