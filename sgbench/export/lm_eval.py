"""An lm-evaluation-harness task for the dataset: ``sgbench export lm-eval``.

Writes a folder with ``wvs_sg_subgroups.yaml`` and ``utils.py`` so that::

    lm_eval --model hf --model_args pretrained=MODEL --include_path DIR --tasks wvs_sg_subgroups

scores a model by log-likelihood over each sample's options (``output_type: multiple_choice``):
the context is the template's prompt followed by its answer prefix (``Answer:`` for ``paper``),
each choice is an option code, and the target is the index of the modal answer (on ties, the
first in scale order, so the harness's ``acc`` can be a little below sgbench's accuracy, which
accepts any tied mode).

``utils.py`` holds :mod:`sgbench.prompts.render` verbatim plus the template's strings, so the
harness renders exactly what ``sgbench prompts`` writes and needs no sgbench installed. The
dataset is a local folder (written as an absolute path) or a Hub id, loaded by the harness
with ``datasets.load_dataset(dataset_path, dataset_name)``.
"""

from __future__ import annotations

import inspect
import json
import shutil
import tempfile
from pathlib import Path
from typing import Final

from sgbench import DATASET_NAME, DATASET_VERSION, __version__
from sgbench.dataset import CONFIG_SPLITS, check_config_split
from sgbench.errors import InputError
from sgbench.prompts import Template, render

TASK_NAME: Final = "wvs_sg_subgroups"
TASK_FILE: Final = f"{TASK_NAME}.yaml"
UTILS_FILE: Final = "utils.py"
OWN_FILES: Final = frozenset({TASK_FILE, UTILS_FILE, "__pycache__"})
"""What an earlier export holds; a folder with anything else is never replaced."""


def _quoted(value: str) -> str:
    """A YAML double-quoted scalar (JSON string syntax is valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def task_yaml(dataset_path: str, config: str, split: str, template: Template) -> str:
    """The task's YAML text (the ``!function`` tags refer to :func:`utils_source`'s functions)."""
    check_config_split(config, split)
    splits = CONFIG_SPLITS[config]
    lines = [
        f"# lm-evaluation-harness task by `sgbench export lm-eval` (sgbench {__version__}).",
        f"# Run: lm_eval --model hf --model_args pretrained=MODEL --include_path DIR "
        f"--tasks {TASK_NAME}",
        f"task: {TASK_NAME}",
        f"dataset_path: {_quoted(dataset_path)}",
        f"dataset_name: {config}",
    ]
    if "train" in splits and split != "train":
        lines.append("training_split: train")
    if "validation" in splits and split != "validation":
        lines.append("validation_split: validation")
    lines += [
        f"test_split: {split}",
        "output_type: multiple_choice",
        "doc_to_text: !function utils.doc_to_text",
        "doc_to_choice: !function utils.doc_to_choice",
        "doc_to_target: !function utils.doc_to_target",
        'target_delimiter: " "',
        "num_fewshot: 0",
        "metric_list:",
        "  - metric: acc",
        "    aggregation: mean",
        "    higher_is_better: true",
        "metadata:",
        "  version: 1.0",
        f"  template: {_quoted(template.name)}",
        f"  dataset: {_quoted(DATASET_NAME)}",
        f"  dataset_version: {_quoted(DATASET_VERSION)}",
        f"  sgbench_version: {_quoted(__version__)}",
    ]
    return "\n".join(lines) + "\n"


def utils_source(template: Template) -> str:
    """``utils.py``: :mod:`sgbench.prompts.render` verbatim, then the task's three functions."""
    header = (
        "# Written by `sgbench export lm-eval`: sgbench.prompts.render verbatim, then the\n"
        f"# template {template.name!r} and the harness's doc_to_* functions (stdlib only).\n"
    )
    tail = f'''

# --- the task (generated) ---

SYSTEM: str | None = {template.system!r}
USER: str = {template.user!r}
TARGET: str = {template.target!r}


def doc_to_text(doc: Mapping[str, Any]) -> str:
    """The prompt, then the answer prefix; each choice follows after one space."""
    return choice_text(SYSTEM, USER, TARGET, doc)


def doc_to_choice(doc: Mapping[str, Any]) -> list[str]:
    """The option codes, in scale order."""
    return choices(doc)


def doc_to_target(doc: Mapping[str, Any]) -> int:
    """Index of the modal answer among the choices."""
    return target_index(doc)
'''
    return header + inspect.getsource(render).rstrip("\n") + "\n" + tail


def resolved_dataset_path(dataset: str) -> str:
    """A local folder as an absolute path (the harness runs from anywhere); a Hub id unchanged.

    Raises:
        InputError: neither an existing folder nor shaped like a Hub id ``org/name``.
    """
    from sgbench.dataset import HUB_ID

    path = Path(dataset)
    if path.is_dir():
        if not (path / "manifest.json").is_file():
            raise InputError(f"{dataset}: not a built sgbench dataset (no manifest.json)")
        return str(path.resolve())
    if HUB_ID.match(dataset):
        return dataset
    raise InputError(f"{dataset}: no such dataset folder, and not a Hub id (org/name)")


def write_lm_eval_task(
    out_dir: str | Path, dataset: str, config: str, split: str, template: Template
) -> Path:
    """Write the task folder (module docstring); returns the YAML's path.

    The folder is written next to ``out_dir`` under a temporary name and moved into place when
    complete. An existing ``out_dir`` is replaced only if it holds nothing but an earlier export.

    Raises:
        InputError: unknown config or split, an unusable dataset, or an ``out_dir`` that holds
            other files or cannot be written.
    """
    from sgbench.dataset import open_dataset

    check_config_split(config, split)
    dataset_path = resolved_dataset_path(dataset)
    if Path(dataset_path).is_dir():  # the harness reads the config's files: check them now
        open_dataset(dataset_path).files(config)
    target = Path(out_dir)
    if target.exists():
        if not target.is_dir():
            raise InputError(f"{out_dir}: exists and is not a folder")
        foreign = sorted(p.name for p in target.iterdir() if p.name not in OWN_FILES)
        if foreign:
            raise InputError(
                f"{out_dir}: holds other files ({', '.join(foreign[:3])}); choose an empty folder"
            )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            (staging / TASK_FILE).write_text(
                task_yaml(dataset_path, config, split, template), encoding="utf-8"
            )
            (staging / UTILS_FILE).write_text(utils_source(template), encoding="utf-8")
            if target.exists():
                shutil.rmtree(target)
            staging.rename(target)
        finally:
            if staging.exists():
                shutil.rmtree(staging)
    except OSError as exc:
        raise InputError(f"{out_dir}: cannot write the task ({exc.strerror})") from None
    return target / TASK_FILE
