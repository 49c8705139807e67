"""An lm-evaluation-harness task for the dataset: ``sgbench export lm-eval``.

Writes a folder with ``<task>.yaml`` and ``utils.py`` so that::

    lm_eval --model hf --model_args pretrained=MODEL --include_path DIR --tasks <task>

scores a model by log-likelihood over each sample's options (``output_type: multiple_choice``).
The task is named after the dataset, config and split (``wvs_sg_subgroups_default_test_ood``),
so two exports side by side do not collide. The prompt is laid out as ``sgbench run`` sends it:

- the template's system message (the persona) is the task's ``description``, which the harness
  sends as the system message under ``--apply_chat_template`` and puts first otherwise (each
  document carries it, rendered, as ``sgbench_description``, added by ``process_docs``, and the
  description is the template ``{{sgbench_description}}``, which every harness version renders);
- the user message is ``doc_to_text``; the template's answer prefix (``Answer:`` for ``paper``)
  is ``gen_prefix``, the start of the assistant's turn under a chat template, and after a line
  break otherwise, so without a chat template the context is exactly the prompt text of
  ``sgbench prompts`` followed by the prefix;
- every tied mode is a target (``doc_to_target`` is the list of their indices), so the harness's
  ``acc`` counts any modal answer as correct, as sgbench's accuracy does;
- few-shot is not pinned: ``--num_fewshot N`` draws N examples from ``train`` (answered with the
  example's modal code); they are other subgroups' samples, since no split shares subgroups
  with ``test_ood``.

The metadata names the dataset, its version and whether it is SYNTHETIC, read from the dataset's
``manifest.json`` (for a Hub id, from nothing local: the harness loads the Hub's current revision,
and the metadata says so). ``utils.py`` holds :mod:`sgbench.prompts.render` verbatim plus the
template's strings, so the harness renders exactly what ``sgbench prompts`` writes and needs no
sgbench installed. A template without numbered options (``open``) is refused: there is nothing
to choose from.
"""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from sgbench import __version__
from sgbench.boundary import ArgumentName, PathArg, public
from sgbench.dataset import CONFIG_SPLITS, check_config_split, hub_id
from sgbench.errors import InputError
from sgbench.files import (
    check_outputs_apart,
    input_problem,
    replace_folder,
    writes,
    writing_folder,
)
from sgbench.prompts import Template, render
from sgbench.prompts.templates import check_attributes, checked_template

UTILS_FILE: Final = "utils.py"
HEADER: Final = "# lm-evaluation-harness task by `sgbench export lm-eval`"
"""The first line of every task YAML written here."""
CHOICE_FIELDS: Final = frozenset({"options", "codes"})
"""Template fields that show the options; a multiple-choice task needs one of them."""
CACHES: Final = MappingProxyType({"__pycache__": "utils.*.pyc"})
"""What lm-evaluation-harness adds to the task folder (importing utils.py writes
``__pycache__/utils.cpython-312.pyc``); a later export replaces it with the rest. Anything else
in ``__pycache__`` is foreign, and the folder is refused."""
_OUT_DIR: Final = ArgumentName("out_dir", "--out")
_TEMPLATE: Final = ArgumentName("template", "--template")


def _quoted(value: str) -> str:
    """A YAML double-quoted scalar (JSON string syntax is valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def task_name(dataset_name: str, config: str, split: str) -> str:
    """``wvs-sg-subgroups``, ``default``, ``test_ood`` → ``wvs_sg_subgroups_default_test_ood``
    (lower case, runs of anything but letters and digits become ``_``)."""
    text = f"{dataset_name}_{config}_{split}".lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def check_multiple_choice(template: Template) -> None:
    """Refuse a template that shows no options (a free-text template such as ``open``).

    Raises:
        InputError: the template fails :func:`~sgbench.prompts.templates.check_template`, or
            neither the system nor the user message uses ``{options}`` or ``{codes}``.
    """
    checked_template(template)
    used = set(render.field_roots(template.user))
    if template.system is not None:
        used |= set(render.field_roots(template.system))
    if not used & CHOICE_FIELDS:
        raise InputError(
            f"{_TEMPLATE} {template.name}: shows no options ({{options}} or {{codes}}); "
            "an lm-eval multiple-choice task needs them (judge free text with `sgbench judge`)"
        )


def _dataset_name(dataset_path: str, provenance: dict[str, Any] | None) -> str:
    """The manifest's name, or for a Hub id its repository name."""
    return str(provenance["name"]) if provenance else dataset_path.rsplit("/", 1)[-1]


def task_yaml(
    dataset_path: str,
    config: str,
    split: str,
    template: Template,
    provenance: dict[str, Any] | None = None,
) -> str:
    """The task's YAML text (the ``!function`` tags refer to :func:`utils_source`'s functions).

    ``provenance`` is ``{"name", "version", "synthetic"}`` from the dataset's manifest; None for
    a Hub id (the name then comes from the id, and the version is unknown).
    """
    check_config_split(config, split)
    check_multiple_choice(template)
    splits = CONFIG_SPLITS[config]
    dataset_name = _dataset_name(dataset_path, provenance)
    name = task_name(dataset_name, config, split)
    prefix = render.answer_prefix(template.target)
    lines = [
        f"{HEADER} (sgbench {__version__}).",
        f"# Run: lm_eval --model hf --model_args pretrained=MODEL --include_path DIR "
        f"--tasks {name} [--num_fewshot N] [--apply_chat_template]",
        f"task: {name}",
        f"dataset_path: {_quoted(dataset_path)}",
        f"dataset_name: {config}",
    ]
    if "train" in splits and split != "train":
        lines += ["training_split: train", "fewshot_split: train"]
    if "validation" in splits and split != "validation":
        lines.append("validation_split: validation")
    lines += [
        f"test_split: {split}",
        "output_type: multiple_choice",
        "process_docs: !function utils.process_docs",
        # A Jinja template, not the bare field name: harness versions before 0.4.9 or so render
        # the description as a template only, so a bare name reached every prompt as the word.
        'description: "{{sgbench_description}}"',
        "doc_to_text: !function utils.doc_to_text",
        "doc_to_choice: !function utils.doc_to_choice",
        "doc_to_target: !function utils.doc_to_target",
    ]
    if prefix:
        lines.append(f"gen_prefix: {_quoted(prefix)}")
    lines += [
        'target_delimiter: " "',
        "fewshot_config:",
        "  doc_to_target: !function utils.doc_to_fewshot_target",
        "metric_list:",
        "  - metric: acc",
        "    aggregation: mean",
        "    higher_is_better: true",
        "metadata:",
        "  version: 2.0",
        f"  template: {_quoted(template.name)}",
        f"  dataset: {_quoted(dataset_name)}",
    ]
    if provenance is None:
        lines.append("  dataset_version: null  # a Hub id: whatever revision the harness loads")
    else:
        lines.append(f"  dataset_version: {_quoted(str(provenance['version']))}")
        lines.append(f"  synthetic: {json.dumps(provenance.get('synthetic'))}")
    lines.append(f"  sgbench_version: {_quoted(__version__)}")
    return "\n".join(lines) + "\n"


def utils_source(template: Template) -> str:
    """``utils.py``: :mod:`sgbench.prompts.render` verbatim, then the task's functions."""
    header = (
        "# Written by `sgbench export lm-eval`: sgbench.prompts.render verbatim, then the\n"
        f"# template {template.name!r} and the harness's doc_to_* functions (stdlib only).\n"
    )
    tail = f'''

# --- the task (generated) ---

SYSTEM: str | None = {template.system!r}
USER: str = {template.user!r}
PREFIX: str = {render.answer_prefix(template.target)!r}


def _description(doc: Mapping[str, Any]) -> dict[str, str]:
    """The rendered system message, then a blank line (empty without a system message)."""
    messages = render_messages(SYSTEM, USER, doc)
    system = messages[0]["content"] + "\\n\\n" if len(messages) > 1 else ""
    return {{"sgbench_description": system}}


def process_docs(dataset: Any) -> Any:
    """Each document with its ``sgbench_description`` (the task's description)."""
    return dataset.map(_description)


def doc_to_text(doc: Mapping[str, Any]) -> str:
    """The user message; a line break before the answer prefix (gen_prefix) when there is one."""
    text = render_messages(SYSTEM, USER, doc)[-1]["content"]
    return text + "\\n" if PREFIX else text


def doc_to_choice(doc: Mapping[str, Any]) -> list[str]:
    """The option codes, in scale order."""
    return choices(doc)


def doc_to_target(doc: Mapping[str, Any]) -> list[int]:
    """Indices of every modal answer (tied modes included) among the choices."""
    codes = [number for number, _ in option_pairs(doc["options"])]
    return [codes.index(code(answer)) for answer in doc["modal_answers"]]


def doc_to_fewshot_target(doc: Mapping[str, Any]) -> str:
    """A few-shot example's answer: its modal code (the first in scale order on ties)."""
    return choices(doc)[target_index(doc)]
'''
    return header + inspect.getsource(render).rstrip("\n") + "\n" + tail


def resolved_dataset_path(dataset: str) -> str:
    """A local folder as an absolute path (the harness runs from anywhere); a Hub dataset
    ``hf://org/name`` as its id ``org/name`` (the harness's ``dataset_path``).

    Raises:
        InputError: neither an existing dataset folder nor ``hf://org/name``.
    """
    from sgbench.dataset import not_local

    repo = hub_id(dataset)
    if repo is not None:
        return repo
    path = Path(dataset)
    problem = input_problem(path, folder=True)
    if problem == "missing":
        raise InputError(not_local(dataset, "dataset folder"))
    if problem is not None:
        raise InputError(f"{dataset}: {problem}; a dataset is a folder built by sgbench build")
    problem = input_problem(path / "manifest.json")
    if problem == "missing":
        raise InputError(f"{dataset}: not a built sgbench dataset (no manifest.json)")
    if problem is not None:
        raise InputError(f"{path / 'manifest.json'}: {problem}")
    return str(path.resolve())


def dataset_provenance(
    dataset: str, config: str, template: Template | None = None
) -> dict[str, Any] | None:
    """``{"name", "version", "synthetic"}`` of a local dataset folder's checked manifest, whose
    ``config`` files and rows are checked too (the harness reads them); None for a Hub id
    ``hf://org/name`` (nothing local to read). A ``template`` given is checked against the
    dataset's attributes (:func:`~sgbench.prompts.templates.check_attributes`).

    Whether ``dataset`` is a Hub id is decided by its ``hf://`` prefix alone, as everywhere
    (:func:`~sgbench.dataset.hub_id`): asking whether its id ``org/name`` was a folder read a
    local folder of that name in the working folder as the Hub dataset's provenance.

    Raises:
        InputError: the manifest or a data file of ``config`` fails its checks, a row of it
            breaks the row rule (:meth:`~sgbench.dataset.BuiltDataset.check_rows`), or the
            template names an attribute the dataset lacks.
    """
    from sgbench.dataset import open_dataset

    if hub_id(dataset) is not None:
        return None
    opened = open_dataset(dataset)
    opened.check_rows(config)
    if template is not None:
        check_attributes(template, opened)
    manifest = opened.manifest
    return {"name": manifest.name, "version": manifest.version, "synthetic": manifest.synthetic}


@public
@writes(out_dir="--out")
def write_lm_eval_task(
    out_dir: PathArg, dataset: PathArg, config: str, split: str, template: Template
) -> Path:
    """Write the task folder (module docstring); returns the YAML's path.

    ``dataset`` is a built dataset folder or a Hub dataset ``hf://org/name``.

    The folder is written through :func:`sgbench.files.replace_folder`: staged, moved into place
    when complete, and an existing ``out_dir`` is replaced only if it is an earlier export.

    Raises:
        InputError: unknown config or split, a template without options or naming an
            attribute the dataset lacks (a local one; a Hub id is not read here), an unusable
            dataset,
            an ``out_dir`` that is (or lies in, or holds) the dataset or the template's file
            (:func:`~sgbench.files.writes`), or one that holds other files or cannot be
            written.
    """
    check_config_split(config, split)
    check_multiple_choice(template)
    dataset_path = resolved_dataset_path(str(dataset))
    if hub_id(dataset) is None:  # the task folder never goes inside the dataset it reads
        check_outputs_apart(
            [(ArgumentName("dataset", "--dataset"), dataset)],
            [(_OUT_DIR, out_dir)],
        )
    with writing_folder(out_dir, "export lm-eval", CACHES, name=_OUT_DIR):
        provenance = dataset_provenance(str(dataset), config, template)
        text = task_yaml(dataset_path, config, split, template, provenance)
        task_file = f"{task_name(_dataset_name(dataset_path, provenance), config, split)}.yaml"

        def write(staging: Path) -> None:
            (staging / task_file).write_text(text, encoding="utf-8")
            (staging / UTILS_FILE).write_text(utils_source(template), encoding="utf-8")

        target = replace_folder(
            out_dir, "export lm-eval", write, what="task", disposable=CACHES, name=_OUT_DIR
        )
    return target / task_file
