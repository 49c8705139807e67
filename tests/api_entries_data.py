"""Boundary entries of the data family's public API: dataset access,
export, prompts, publish, schema and validate
(tests/api_boundary.py says what an entry is).

ENTRIES: one :class:`~api_boundary.Entry` per public callable. NOT_CALLED: every other public
name of these packages (``module.name`` → why it is not called: a constant, a result class
only sgbench constructs, an exception class).

Every valid call reads a hand-sized dataset written in the case's folder
(``scoring_fixtures.write_hand_dataset``, nine test_ood rows), except where the function checks a
whole build (publish, validate of a dataset folder): those read the session's
``built_default``, listed among the entry's inputs so that the harness checks it is unchanged.
Nothing reaches the network: ``push_dataset`` is given a recording fake of the Hub API, and the
``hf://`` names tried are read with ``HF_HUB_OFFLINE=1`` (tests/conftest.py).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from api_boundary import CONFIG_NAMES, DATASET_REFS, SPLIT_NAMES, Entry, PathCase
from leaderboard_fixtures import metadata, submit, write_board_dataset, wrong_on
from scoring_fixtures import hand_rows, write_hand_dataset

from sgbench.dataset import (
    SPLITS,
    BuiltDataset,
    Manifest,
    evaluation_split,
    load_config,
    load_manifest,
    load_split,
    open_dataset,
)
from sgbench.export import sft_jsonl, sft_record, split_sft_jsonl, write_lm_eval_task
from sgbench.prompts import (
    TEMPLATES,
    Template,
    build_prompts,
    load_template,
    prompts_jsonl,
    render_prompt,
    render_target,
    split_prompts_jsonl,
    split_rows,
)
from sgbench.publish import (
    DatasetCheck,
    PushResult,
    check_dataset,
    publication_problems,
    push_dataset,
)
from sgbench.schema import load_schema, schema_names, schema_problems, validator
from sgbench.validate import FolderValidation, validate_folder

UNCHECKED_TEMPLATES: tuple[tuple[str, Any], ...] = (
    ("format-spec", Template(name="t", user="{question:>999999999}")),
    ("target-format-spec", Template(name="t", user="{question}", target="{answer:>999999999}")),
    ("unknown-field", Template(name="t", user="{question} {nope}")),
    ("attribute-access", Template(name="t", user="{question.__class__}")),
    ("escape", Template(name="t", user="{question}\x1b[2J")),
)
"""Templates made in Python, never checked by load_template: filling the first one would
allocate a gigabyte per prompt."""


@dataclass
class FakeHub:
    """The Hub API calls of a push, recorded and answered locally (an existing, empty repo)."""

    calls: list[str] = field(default_factory=list)

    def create_repo(self, repo_id: str, **kwargs: Any) -> str:
        self.calls.append("create_repo")
        return f"https://hub.invalid/datasets/{repo_id}"

    def list_repo_refs(self, repo_id: str, **kwargs: Any) -> Any:
        from huggingface_hub.hf_api import GitRefs

        self.calls.append("list_repo_refs")
        return GitRefs(branches=[], converts=[], tags=[])

    def list_repo_files(self, repo_id: str, **kwargs: Any) -> list[str]:
        self.calls.append("list_repo_files")
        return ["data/default/stale-00000-of-00001.parquet"]

    def upload_folder(self, **kwargs: Any) -> Any:
        from huggingface_hub.hf_api import CommitInfo

        self.calls.append("upload_folder")
        return CommitInfo(
            commit_url=f"https://huggingface.co/datasets/{kwargs['repo_id']}/commit/{'0' * 40}",
            commit_message=kwargs["commit_message"],
            commit_description="",
            oid="0" * 40,
        )

    def create_tag(self, repo_id: str, **kwargs: Any) -> None:
        self.calls.append("create_tag")


class _HalfHub:
    """An object with some of the Hub API's methods only (a push would stop halfway)."""

    def create_repo(self, repo_id: str, **kwargs: Any) -> str:
        return repo_id


# --- valid calls ------------------------------------------------------------------------------


def _hand(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"dataset_dir": write_hand_dataset(folder / "ds")}


def _hand_split(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {**_hand(folder, request), "config": "default", "split": "test_ood"}


def _hand_config(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {**_hand(folder, request), "config": "default"}


def _opened(**more: Any) -> Any:
    """The valid call of a :class:`BuiltDataset` method: the dataset opened, as ``self``."""

    def make(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
        return {"self": open_dataset(write_hand_dataset(folder / "ds")), **more}

    return make


def _manifest(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    root = write_hand_dataset(folder / "ds")
    return {"raw": load_manifest(root), "where": root / "manifest.json"}


def _open(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"ref": write_hand_dataset(folder / "ds")}


def _rows_of(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"dataset": write_hand_dataset(folder / "ds"), "config": "default", "split": "test_ood"}


def _lines_of(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {**_rows_of(folder, request), "template_name": "paper"}


def _sft_lines_of(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    # Fine-tuning on an evaluation split warns (SgbenchWarning); the valid call is the warned-of
    # case's opposite, the training split.
    return {**_lines_of(folder, request), "split": "train"}


def _one_row(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"template": TEMPLATES["paper"], "row": hand_rows()[0]}


def _rows(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"template": TEMPLATES["paper"], "rows": hand_rows()}


def _lm_eval(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    # The paper's template read from a file: a template so read records it, and the task
    # folder must not be written over it (the derived cases of api_boundary.recorded_cases).
    paper = TEMPLATES["paper"]
    template = folder / "paper.json"
    template.write_text(
        json.dumps({"system": paper.system, "user": paper.user, "target": paper.target}),
        encoding="utf-8",
    )
    return {
        "out_dir": folder / "task",
        "dataset": str(write_hand_dataset(folder / "ds")),
        "config": "default",
        "split": "test_ood",
        "template": load_template(template),
    }


def _built(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"dataset_dir": request.getfixturevalue("built_default")}


def _push(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {
        "dataset_dir": request.getfixturevalue("built_default"),
        "repo_id": "sgbench-test/wvs-sg-subgroups",
        "allow_synthetic": True,  # the session's build is SYNTHETIC
        "api": FakeHub(),
    }


def _submission(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    dataset = write_board_dataset(folder / "ds")
    path = submit(folder / "subs", "alpha", wrong_on(set(), 1), metadata())
    return {"path": path, "dataset": dataset}


# --- what a returned result must satisfy ------------------------------------------------------


def _rows_frame(frame: Any) -> bool:
    return isinstance(frame, pd.DataFrame) and len(frame) == len(hand_rows())


def _prompt_ok(prompt: Any) -> bool:
    return (
        isinstance(prompt, dict)
        and isinstance(prompt.get("id"), str)
        and bool(prompt["id"])
        and [m["role"] for m in prompt["messages"]] == ["system", "user"]
    )


def _jsonl_objects(text: Any, keys: set[str]) -> bool:
    """JSON Lines of objects holding ``keys`` (none for no rows)."""
    lines = text if isinstance(text, list) else str(text).splitlines(keepends=True)
    objects = [json.loads(line) for line in lines]
    return all(line.endswith("\n") for line in lines) and all(
        isinstance(o, dict) and keys <= set(o) for o in objects
    )


def _drained(keys: set[str], rows: int | None = None) -> Any:
    """Every line of a split's JSON Lines, one per row (``rows``; the hand rows by default)."""

    def ok(lines: Iterator[str]) -> bool:
        drained = list(lines)
        expected = len(hand_rows()) if rows is None else rows
        return len(drained) == expected and _jsonl_objects(drained, keys)

    return ok


def _no_nan(value: Any) -> bool:
    """No NaN or infinity anywhere in a JSON-like value."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_no_nan(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(_no_nan(v) for v in value)
    return True


ENTRIES: list[Entry] = [
    # sgbench.dataset
    Entry(
        "sgbench.dataset.open_dataset",
        open_dataset,
        _open,
        inputs=("ref",),
        extra={"ref": DATASET_REFS},
        result_ok=lambda built: isinstance(built, BuiltDataset),
    ),
    Entry(
        "sgbench.dataset.load_manifest",
        load_manifest,
        _hand,
        inputs=("dataset_dir",),
        extra={"dataset_dir": DATASET_REFS},
        result_ok=lambda manifest: isinstance(manifest, dict) and _no_nan(manifest),
    ),
    Entry(
        "sgbench.dataset.load_split",
        load_split,
        _hand_split,
        inputs=("dataset_dir",),
        extra={"dataset_dir": DATASET_REFS, "config": CONFIG_NAMES, "split": SPLIT_NAMES},
        result_ok=_rows_frame,
    ),
    Entry(
        "sgbench.dataset.load_config",
        load_config,
        _hand_config,
        inputs=("dataset_dir",),
        extra={"dataset_dir": DATASET_REFS, "config": CONFIG_NAMES},
        result_ok=lambda splits: _rows_frame(splits["test_ood"]),
    ),
    Entry(
        "sgbench.dataset.evaluation_split",
        evaluation_split,
        lambda folder, request: {"config": "default"},
        extra={"config": CONFIG_NAMES[1:]},  # temporal is a config, whatever a folder has
        result_ok=lambda split: split in SPLITS,
    ),
    # sgbench.dataset: the methods of the objects open_dataset returns
    Entry(
        "sgbench.dataset.BuiltDataset.split",
        BuiltDataset.split,
        _opened(config="default", split="test_ood"),
        extra={"config": CONFIG_NAMES, "split": SPLIT_NAMES},
        result_ok=_rows_frame,
    ),
    Entry(
        "sgbench.dataset.BuiltDataset.table",
        BuiltDataset.table,
        _opened(config="default", split="test_ood", columns=["id", "answer"]),
        extra={
            "config": CONFIG_NAMES,
            "split": SPLIT_NAMES,
            "columns": (
                ("a-text", "id"),
                ("twice", ["id", "id"]),
                ("unknown", ["nope"]),
                ("leaf-path", ["options.list.element.code"]),
            ),
        },
        result_ok=lambda table: table.num_rows == len(hand_rows()),
    ),
    Entry(
        "sgbench.dataset.BuiltDataset.config",
        BuiltDataset.config,
        _opened(config="default"),
        extra={"config": CONFIG_NAMES},
        result_ok=lambda splits: _rows_frame(splits["test_ood"]),
    ),
    Entry(
        "sgbench.dataset.BuiltDataset.ids",
        BuiltDataset.ids,
        _opened(config="default"),
        extra={"config": CONFIG_NAMES},
        result_ok=lambda ids: len(ids["test_ood"]) == len(hand_rows()),
    ),
    Entry(
        "sgbench.dataset.BuiltDataset.files",
        BuiltDataset.files,
        _opened(config="default"),
        extra={"config": CONFIG_NAMES},
        result_ok=lambda files: all(len(sha) == 64 for sha in files.values()),
    ),
    Entry(
        "sgbench.dataset.BuiltDataset.file_hash",
        BuiltDataset.file_hash,
        _opened(config="default", split="test_ood"),
        extra={"config": CONFIG_NAMES, "split": SPLIT_NAMES},
        result_ok=lambda sha: isinstance(sha, str) and len(sha) == 64,
    ),
    Entry(
        "sgbench.dataset.BuiltDataset.path",
        BuiltDataset.path,
        _opened(config="default", split="test_ood"),
        extra={"config": CONFIG_NAMES, "split": (*SPLIT_NAMES, ("dotdot", "../../etc"))},
        result_ok=lambda path: path.is_file(),
    ),
    Entry(
        "sgbench.dataset.BuiltDataset.check_config",
        BuiltDataset.check_config,
        _opened(config="default", split="test_ood"),
        extra={"config": CONFIG_NAMES, "split": SPLIT_NAMES},
        result_ok=lambda result: result is None,
    ),
    Entry(
        "sgbench.dataset.Manifest.parse",
        Manifest.parse,
        _manifest,
        extra={
            "raw": (
                ("no-files", {"name": "x", "version": "1.0.0", "synthetic": False}),
                ("files-a-list", {"files": []}),
            )
        },
        result_ok=lambda manifest: isinstance(manifest, Manifest) and bool(manifest.files),
    ),
    # sgbench.prompts
    Entry(
        "sgbench.prompts.Template",
        Template,
        lambda folder, request: {"name": "mïne", "user": "{persona}\n{question}\n{options}"},
        result_ok=lambda template: isinstance(template, Template),
        differences={
            "name~NFD": "a name is recorded as given, with every prompt: sgbench does not "
            "normalise Unicode (NFD and NFC look alike but are other bytes; a product decision)"
        },
    ),
    Entry(
        "sgbench.prompts.load_template",
        load_template,
        lambda folder, request: {"name_or_path": "paper"},
        extra={"name_or_path": (("builtin-case", "Paper"), ("a-folder", "."))},
        result_ok=lambda template: isinstance(template, Template),
    ),
    Entry(
        "sgbench.prompts.render_prompt",
        render_prompt,
        _one_row,
        extra={
            "row": (("no-options", {**hand_rows()[0], "options": None}),),
            "template": UNCHECKED_TEMPLATES,
        },
        result_ok=_prompt_ok,
    ),
    Entry(
        "sgbench.prompts.render_target",
        render_target,
        _one_row,
        extra={
            "row": (
                ("answer-nan", {**hand_rows()[0], "answer": math.nan}),
                ("answer-text", {**hand_rows()[0], "answer": "three"}),
                ("answer-float", {**hand_rows()[0], "answer": 3.7}),
            ),
            "template": UNCHECKED_TEMPLATES,
        },
        result_ok=lambda target: target == f"Answer: {hand_rows()[0]['answer']}",
    ),
    Entry(
        "sgbench.prompts.build_prompts",
        build_prompts,
        _rows,
        extra={"template": UNCHECKED_TEMPLATES},
        result_ok=lambda prompts: all(_prompt_ok(p) for p in prompts),
    ),
    Entry(
        "sgbench.prompts.prompts_jsonl",
        prompts_jsonl,
        lambda folder, request: {
            "prompts": build_prompts(hand_rows(), TEMPLATES["paper"]),
        },
        result_ok=lambda text: _jsonl_objects(text, {"id", "template", "messages", "prompt"}),
    ),
    Entry(
        "sgbench.prompts.split_rows",
        split_rows,
        _rows_of,
        inputs=("dataset",),
        extra={"dataset": DATASET_REFS, "config": CONFIG_NAMES, "split": SPLIT_NAMES},
        result_ok=lambda rows: len(rows) == len(hand_rows()),
    ),
    Entry(
        "sgbench.prompts.split_prompts_jsonl",
        split_prompts_jsonl,
        _lines_of,
        inputs=("dataset",),
        extra={"dataset": DATASET_REFS, "config": CONFIG_NAMES, "split": SPLIT_NAMES},
        result_ok=_drained({"id", "template", "messages", "prompt"}),
    ),
    # sgbench.export
    Entry(
        "sgbench.export.sft_record",
        sft_record,
        _one_row,
        extra={"template": UNCHECKED_TEMPLATES},
        result_ok=lambda record: [m["role"] for m in record["messages"]][-1] == "assistant",
    ),
    Entry(
        "sgbench.export.sft_jsonl",
        sft_jsonl,
        _rows,
        extra={"template": UNCHECKED_TEMPLATES},
        result_ok=lambda text: _jsonl_objects(text, {"messages"}),
    ),
    Entry(
        "sgbench.export.split_sft_jsonl",
        split_sft_jsonl,
        _sft_lines_of,
        inputs=("dataset",),
        extra={"dataset": DATASET_REFS, "config": CONFIG_NAMES, "split": SPLIT_NAMES},
        result_ok=_drained({"messages"}, rows=1),
    ),
    Entry(
        "sgbench.export.write_lm_eval_task",
        write_lm_eval_task,
        _lm_eval,
        inputs=("dataset",),
        outputs=("out_dir",),
        extra={
            "dataset": DATASET_REFS,
            "config": CONFIG_NAMES,
            "split": SPLIT_NAMES,
            "template": (("open", TEMPLATES["open"]), *UNCHECKED_TEMPLATES),
            "out_dir": (
                (
                    "inside-dataset",
                    PathCase(lambda folder, valid: Path(valid["dataset"]) / "task"),
                ),
            ),
        },
        result_ok=lambda path: path.is_file() and path.suffix == ".yaml",
    ),
    # sgbench.publish
    Entry(
        "sgbench.publish.check_dataset",
        check_dataset,
        _built,
        inputs=("dataset_dir",),
        extra={"dataset_dir": DATASET_REFS},
        # A folder that is not a dataset is a list of problems, the documented result.
        result_ok=lambda check: isinstance(check, DatasetCheck) and (check.ok or check.problems),
    ),
    Entry(
        "sgbench.publish.push_dataset",
        push_dataset,
        _push,
        inputs=("dataset_dir",),
        extra={
            "dataset_dir": DATASET_REFS,
            "repo_id": (
                ("no-org", "wvs-sg-subgroups"),
                ("hf-prefix", "hf://org/name"),
                ("three-parts", "org/name/more"),
                ("trailing-newline", "org/name\n"),
            ),
            "api": (("no-methods", object()), ("half-an-api", _HalfHub())),
        },
        result_ok=lambda result: isinstance(result, PushResult) and result.tag is not None,
    ),
    Entry(
        "sgbench.publish.publication_problems",
        publication_problems,
        lambda folder, request: {
            "manifest": load_manifest(request.getfixturevalue("built_default"))
        },
        extra={
            "manifest": (
                ("empty", {}),
                ("real-without-fields", {"synthetic": False}),
                (
                    "odd-values",
                    {
                        "synthetic": False,
                        "min_subgroup_size": float("nan"),
                        "min_valid_answers": True,
                        "disclosure": {"recoverable_groups": "3"},
                    },
                ),
            ),
        },
        # Every result is a list of one-line reasons; a manifest without its fields has some.
        result_ok=lambda reasons: (
            isinstance(reasons, list)
            and all(isinstance(r, str) and r and "\n" not in r for r in reasons)
        ),
    ),
    # sgbench.schema
    Entry(
        "sgbench.schema.load_schema",
        load_schema,
        lambda folder, request: {"name": "predictions"},
        extra={
            "name": (
                ("unknown", "no-such-schema"),
                ("dotdot", "../schema/predictions"),
                ("case", "Predictions"),
            )
        },
        result_ok=lambda schema: isinstance(schema, dict) and "$id" in schema,
    ),
    Entry(
        "sgbench.schema.validator",
        validator,
        lambda folder, request: {"name": "predictions"},
        extra={"name": (("unknown", "no-such-schema"), ("dotdot", "../schema/predictions"))},
        result_ok=lambda checker: checker.is_valid({"id": "Q1/x", "answer": 1}),
    ),
    Entry(
        "sgbench.schema.schema_names",
        schema_names,
        lambda folder, request: {},
        result_ok=lambda names: "predictions" in names,
    ),
    Entry(
        "sgbench.schema.schema_problems",
        schema_problems,
        lambda folder, request: {
            "schema": validator("predictions"),
            "instance": {"id": "Q1/x", "answer": 1.5},
        },
        extra={
            "instance": (
                ("nan", {"id": "Q1/x", "answer": math.nan}),
                ("deep", json.loads("[" * 900 + "]" * 900)),
            )
        },
        result_ok=lambda problems: (
            isinstance(problems, list) and all(isinstance(p, str) for p in problems)
        ),
    ),
    # sgbench.validate
    Entry(
        "sgbench.validate.validate_folder",
        validate_folder,
        _submission,
        inputs=("path", "dataset"),
        extra={
            "path": (("a-dataset-folder", PathCase(lambda folder, valid: valid["dataset"])),),
            "dataset": DATASET_REFS,
        },
        result_ok=lambda result: isinstance(result, FolderValidation) and result.ok,
    ),
]


NOT_CALLED: dict[str, str] = {
    "sgbench.dataset.CONFIGS": "a constant",
    "sgbench.dataset.CONFIG_SPLITS": "a constant",
    "sgbench.dataset.SPLITS": "a constant",
    "sgbench.dataset.PUBLICATION_FLOOR": "a constant",
    "sgbench.dataset.BuiltDataset": "a result class: open_dataset makes it (called here)",
    "sgbench.dataset.Manifest": "a result class: open_dataset makes it (called here)",
    "sgbench.export.EVALUATION_SPLITS": "a constant",
    "sgbench.prompts.BUILTIN_TEMPLATES": "a constant",
    "sgbench.prompts.TEMPLATES": "a constant",
    "sgbench.prompts.Message": "a TypedDict: a type for annotations, no checks to make",
    "sgbench.prompts.Prompt": "a TypedDict: a type for annotations, no checks to make",
    "sgbench.publish.CHANGELOG": "a constant",
    "sgbench.publish.VERSION_POLICY": "a constant",
    "sgbench.publish.DatasetCheck": "a result class: check_dataset makes it (called here)",
    "sgbench.publish.Problem": "a result class: check_dataset makes it (called here)",
    "sgbench.publish.PushResult": "a result class: push_dataset makes it (called here)",
    "sgbench.validate.FolderValidation": "a result class: validate_folder makes it (called here)",
}
