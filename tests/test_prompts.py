"""`sgbench prompts`: built-in templates, template files, and determinism on the built default."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from sgbench.cli import main
from sgbench.dataset import load_split
from sgbench.errors import InputError
from sgbench.prompts import (
    BUILTIN_TEMPLATES,
    TEMPLATES,
    Template,
    build_prompts,
    load_template,
    prompts_jsonl,
    render_prompt,
    render_target,
)
from sgbench.prompts.render import PROMPT_FIELDS, TARGET_FIELDS, prompt_fields
from sgbench.prompts.templates import check_attributes, check_template
from sgbench.scoring.parse import parse_response


def crafted_row(**changes: Any) -> dict[str, Any]:
    """One sample with codes out of numeric order (scale order is the list order)."""
    row: dict[str, Any] = {
        "id": "Q9/religion=muslim",
        "question_id": "Q9",
        "question": "How often do you pray?",
        "section": "Religious Values",
        "options": [
            {"code": 1, "label": "Often"},
            {"code": 2, "label": "Sometimes"},
            {"code": 0, "label": "Rarely"},
            {"code": 3, "label": "Never"},
        ],
        "scale_type": "ordinal",
        "subgroup_id": "religion=muslim",
        "subgroup": {"sex": None, "religion": "Muslim"},
        "stratum": "religion",
        "persona": "You are a Muslim person living in Singapore.",
        "country": "SGP",
        "wave": 7,
        "subgroup_size": 120,
        "n_valid": 118,
        "counts": [50, 40, 20, 8],
        "distribution": [0.4, 0.35, 0.17, 0.08],
        "answer": 0,
        "modal_answers": [0],
        "margin": 0.05,
    }
    row.update(changes)
    return row


def test_paper_template_text() -> None:
    prompt = render_prompt(TEMPLATES["paper"], crafted_row())
    user = (
        "How often do you pray?\n\n1. Often\n2. Sometimes\n0. Rarely\n3. Never\n\n"
        'Answer with the number of one option, in the form "Answer: <number>".'
    )
    assert prompt["id"] == "Q9/religion=muslim"
    assert prompt["template"] == "paper"
    assert prompt["messages"] == [
        {"role": "system", "content": "You are a Muslim person living in Singapore."},
        {"role": "user", "content": user},
    ]
    assert prompt["prompt"] == f"You are a Muslim person living in Singapore.\n\n{user}"


def test_plain_and_json_templates() -> None:
    plain = render_prompt(TEMPLATES["plain"], crafted_row())
    assert [m["role"] for m in plain["messages"]] == ["user"]
    assert plain["prompt"].startswith("You are a Muslim person living in Singapore.\n\nHow often")
    assert plain["prompt"].endswith("Reply with the number of one option only.")
    as_json = render_prompt(TEMPLATES["json"], crafted_row())
    assert as_json["messages"][1]["content"].endswith(
        'of the form {"answer": <number>}, where <number> is one of 1, 2, 0, 3.'
    )


def test_fields() -> None:
    fields = prompt_fields(crafted_row())
    assert fields["options"] == "1. Often\n2. Sometimes\n0. Rarely\n3. Never"
    assert fields["codes"] == "1, 2, 0, 3"
    assert fields["subgroup"] == {"sex": "", "religion": "Muslim"}
    assert set(fields) == set(PROMPT_FIELDS)
    assert not set(fields) & TARGET_FIELDS


@pytest.mark.parametrize("template", BUILTIN_TEMPLATES, ids=lambda t: t.name)
def test_builtin_targets_parse_back(template: Template) -> None:
    """The reply each template asks for is read back as the code by `sgbench parse`."""
    assert check_template(template, template.name) is template
    for answer in (1, 0, 3):
        row = crafted_row(answer=answer)
        reply = render_target(template, row)
        options = [(o["code"], o["label"]) for o in row["options"]]
        assert parse_response(reply, options) == answer
    assert render_target(TEMPLATES["paper"], crafted_row()) == "Answer: 0"
    assert render_target(TEMPLATES["json"], crafted_row()) == '{"answer": 0}'


def test_registry() -> None:
    assert list(TEMPLATES) == ["paper", "plain", "json", "verbalized", "open"]
    assert all(TEMPLATES[t.name] is t for t in BUILTIN_TEMPLATES)


def test_template_files(tmp_path: Path) -> None:
    yaml_file = tmp_path / "mine.yaml"
    yaml_file.write_text(
        "system: '{persona} Be brief.'\n"
        "user: |\n  [{subgroup[religion]}|{subgroup[sex]}] {question_id}: {question}\n  {codes}\n"
        "target: 'Option {answer}'\n",
        encoding="utf-8",
    )
    template = load_template(yaml_file)
    assert template.name.startswith("mine@")
    assert len(template.name) == len("mine@") + 12
    prompt = render_prompt(template, crafted_row())
    assert (
        prompt["messages"][0]["content"] == "You are a Muslim person living in Singapore. Be brief."
    )
    assert prompt["messages"][1]["content"] == "[Muslim|] Q9: How often do you pray?\n1, 2, 0, 3\n"
    assert prompt["template"] == template.name
    assert render_target(template, crafted_row()) == "Option 0"

    json_file = tmp_path / "t.json"
    json_file.write_text(json.dumps({"user": "{{literal}} {question}"}), encoding="utf-8")
    only_user = render_prompt(load_template(json_file), crafted_row())
    assert only_user["messages"] == [
        {"role": "user", "content": "{literal} How often do you pray?"}
    ]

    text_file = tmp_path / "t.txt"
    text_file.write_text("{persona} {question}\n", encoding="utf-8")
    text_prompt = render_prompt(load_template(text_file), crafted_row())
    assert text_prompt["prompt"] == (
        "You are a Muslim person living in Singapore. How often do you pray?"
    )
    # Another content is another name: responses of two versions never mix.
    text_file.write_text("{question}\n", encoding="utf-8")
    assert load_template(text_file).name != text_prompt["template"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{persona} {height}", r"user: unknown field \{height\}"),
        ("{question} (most said {answer})", r"\{answer\} gives the subgroup's answers away"),
        ("{distribution[0]}", "gives the subgroup's answers away"),
        ("{} {question}", "positional fields"),
        ("{question", "not a str.format template"),
    ],
)
def test_template_field_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message) as caught:
        load_template(path)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("t.yaml", "user: {question}\n", "user must be a string .in YAML, quote a value"),
        ("t.yaml", "user: '{question}\n", r"line 2: column 1: not YAML \(found unexpected end"),
        ("t.yaml", "user: '{question}'\nextra: 1\n", r"unknown key\(s\) \['extra'\]"),
        ("t.yaml", "system: '{persona}'\n", "missing key 'user'"),
        ("t.yaml", "user: '{question}'\ntarget: 'A {question}'\n", r"target: unknown field"),
        ("t.json", '{"user": 3}', "user must be a string"),
        ("t.json", '{"user": ', r"not valid JSON \(Expecting value at column 10\)"),
        ("t.json", '{\n"user": x}', r"not valid JSON \(Expecting value at line 2 column 9\)"),
        ("t.json", '{"user": "{question}", "system": NaN}', "NaN is not a JSON number"),
        ("t.yaml", "- a list\n", "holds a mapping"),
    ],
)
def test_template_file_errors(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_template(path)


def test_unknown_template() -> None:
    with pytest.raises(InputError, match="no such template; use a built-in one"):
        load_template("nosuch")


def test_row_missing_an_indexed_field() -> None:
    template = Template(name="t", user="{question} {subgroup[height]}")
    with pytest.raises(InputError, match="cannot fill it for sample 'Q9/religion=muslim'"):
        render_prompt(template, crafted_row())


def test_a_python_template_is_checked_against_the_dataset_by_its_name(
    built_default: Path, tmp_path: Path
) -> None:
    """A template made in Python has no file: the message names it; the lm-eval task is refused
    from Python too (its every document raised KeyError in the harness), writing nothing."""
    from sgbench.dataset import open_dataset
    from sgbench.export import write_lm_eval_task

    known = Template(name="t", user="{question} {subgroup[sex]}\n{options}")
    assert check_attributes(known, open_dataset(built_default)) is known
    unknown = Template(name="t", user="{question} {subgroup[height]}\n{options}")
    message = (
        r"^template 't': user: \{subgroup\[height\]\}: dataset .* has no attribute 'height'; "
        r"its attributes: sex, age_group, ethnicity, religion$"
    )
    with pytest.raises(InputError, match=message):
        check_attributes(unknown, open_dataset(built_default))
    with pytest.raises(InputError, match=message):
        write_lm_eval_task(tmp_path / "task", built_default, "default", "test_ood", unknown)
    assert list(tmp_path.iterdir()) == []


def test_cli_prompts_on_the_built_default(built_default: Path) -> None:
    args = ["prompts", "--dataset", str(built_default), "--split", "test_id"]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert first.output == CliRunner().invoke(main, args).output  # deterministic
    rows = load_split(built_default, "default", "test_id")
    lines = [json.loads(line) for line in first.output.splitlines()]
    assert [line["id"] for line in lines] == rows["id"].tolist()
    for line, persona in zip(lines, rows["persona"], strict=True):
        assert set(line) == {"id", "template", "messages", "prompt"}
        assert line["messages"][0] == {"role": "system", "content": persona}
        assert line["prompt"] == "\n\n".join(m["content"] for m in line["messages"])
    # The library gives the same text as the command.
    records = rows.to_dict("records")
    assert prompts_jsonl(build_prompts(records, TEMPLATES["paper"])) == first.output


def test_cli_prompts_errors(built_default: Path, tmp_path: Path) -> None:
    unknown = CliRunner().invoke(
        main, ["prompts", "--dataset", str(built_default), "--template", "nosuch"]
    )
    assert unknown.exit_code == 2
    assert "Error: nosuch: no such template" in unknown.output
    bad = tmp_path / "bad.txt"
    bad.write_text("{answer}", encoding="utf-8")
    leaked = CliRunner().invoke(
        main, ["prompts", "--dataset", str(built_default), "--template", str(bad)]
    )
    assert leaked.exit_code == 2
    assert "gives the subgroup's answers away" in leaked.output
    split = CliRunner().invoke(
        main,
        ["prompts", "--dataset", str(built_default), "--config", "paper", "--split", "test_id"],
    )
    assert split.exit_code == 2
    missing = CliRunner().invoke(main, ["prompts", "--dataset", str(tmp_path / "none")])
    assert missing.exit_code == 2
    assert "no such dataset folder" in missing.output


# --- the Python functions' own checks (tests/test_api_boundary.py holds them to the contract) ---


def test_a_target_is_filled_with_an_integer_answer_only() -> None:
    import numpy as np

    template = Template(name="t", user="{question}", target="Answer: {answer}")
    # A numpy integer (as a DataFrame record holds it) is the integer it holds.
    assert render_target(template, crafted_row(answer=np.int32(3))) == "Answer: 3"
    for answer in (3.7, float("nan"), "3", None):
        with pytest.raises(InputError, match="cannot fill it for sample 'Q9/religion=muslim'"):
            render_target(template, crafted_row(answer=answer))
    with pytest.raises(InputError, match="KeyError"):
        render_target(template, {"id": "x"})


def _fillers() -> list[Any]:
    """Every public function that fills a template for one row (or a list of rows)."""
    from sgbench.export import sft_jsonl, sft_record

    return [
        render_prompt,
        render_target,
        sft_record,
        lambda template, row: build_prompts([row], template),
        lambda template, row: sft_jsonl(template, [row]),
    ]


@pytest.mark.parametrize("fill", range(5))
@pytest.mark.parametrize(
    "options",
    [
        # int() read each of these as the code 1 (3 is the scale's last option)
        [{"code": 1.7, "label": "Often"}, {"code": 3, "label": "Never"}],
        [{"code": True, "label": "Often"}, {"code": 3, "label": "Never"}],
        [{"code": "01", "label": "Often"}, {"code": 3, "label": "Never"}],
    ],
)
def test_an_option_code_is_an_integer(fill: int, options: list[dict[str, Any]]) -> None:
    with pytest.raises(InputError, match="cannot fill it for sample 'Q9/religion=muslim'"):
        _fillers()[fill](TEMPLATES["paper"], crafted_row(options=options, answer=3))


@pytest.mark.parametrize("fill", [1, 2, 4])  # the ones filling a target
@pytest.mark.parametrize("answer", [True, 99])
def test_a_target_is_one_of_the_rows_codes(fill: int, answer: Any) -> None:
    # crafted_row's codes are 1, 2, 0, 3: True read as 1, and 99 is none of them.
    with pytest.raises(InputError, match="cannot fill it for sample 'Q9/religion=muslim'"):
        _fillers()[fill](TEMPLATES["paper"], crafted_row(answer=answer))


@pytest.mark.parametrize("fill", [0, 2, 3, 4])  # the ones filling a prompt
@pytest.mark.parametrize("missing", [None, math.nan])
def test_a_field_a_template_names_has_a_value(fill: int, missing: Any) -> None:
    # The paper template's system message is {persona}: "None" and "nan" were sent as personas.
    with pytest.raises(InputError, match="field 'persona' has no value"):
        _fillers()[fill](TEMPLATES["paper"], crafted_row(persona=missing))


def test_a_missing_attribute_is_empty_however_it_is_missing() -> None:
    template = Template(name="t", user="{question} [{subgroup[sex]}] [{subgroup[religion]}]")
    for missing in (None, math.nan):  # pandas marks a missing value NaN
        row = crafted_row(subgroup={"sex": missing, "religion": "Muslim"})
        assert render_prompt(template, row)["prompt"] == "How often do you pray? [] [Muslim]"


@pytest.mark.parametrize("fill", range(5))
@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("", "empty"),
        ("t\ud800", "U\\+D800 at 2"),
        ("a\nb", "U\\+000A at 2"),
        ("\u202et", "U\\+202E at 1"),
    ],
)
def test_a_template_name_made_in_python_is_printable_text(fill: int, name: str, shown: str) -> None:
    # A file's stem is held to this; a lone surrogate could not be written in any output file.
    with pytest.raises(InputError, match=f"name: {shown}"):
        _fillers()[fill](Template(name=name, user="{question}"), crafted_row())


def test_a_template_made_in_python_is_checked_before_it_is_filled() -> None:
    huge = Template(name="t", user="{question:>999999999}")  # a GB per prompt if filled
    with pytest.raises(InputError, match="format specs and conversions are not allowed"):
        render_prompt(huge, crafted_row())
    with pytest.raises(InputError, match="template 't': user: unknown field"):
        build_prompts([crafted_row()], Template(name="t", user="{question}{nope}"))
    spec = Template(name="t", user="{question}", target="{answer:>999999999}")
    with pytest.raises(InputError, match=r"target: .*format specs"):
        render_target(spec, crafted_row())


def test_prompts_jsonl_writes_prompts_only() -> None:
    prompt = render_prompt(TEMPLATES["plain"], crafted_row())
    assert prompts_jsonl([]) == ""
    assert prompts_jsonl([prompt]) == json.dumps(prompt, ensure_ascii=False) + "\n"
    with pytest.raises(InputError, match=r"prompts\[1\]: not a prompt"):
        prompts_jsonl([prompt, None])  # type: ignore[list-item]
    with pytest.raises(InputError, match=r"prompts\[0\]: not a prompt"):
        prompts_jsonl([{"id": "x"}])  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # A numpy id was a TypeError from json; a NaN prompt was written as a bare NaN; a lone
        # surrogate made a text no file can hold.
        ({"id": np.int64(3)}, r"prompts\[0\]: id is int64 np.int64\(3\), not text"),
        ({"prompt": math.nan}, r"prompts\[0\]: prompt is float nan, not text"),
        ({"template": "t\ud800"}, r"prompts\[0\]: template holds U\+D800, a lone surrogate"),
        ({"messages": "hi"}, r"prompts\[0\]: messages is str, not a list of messages"),
        ({"messages": [{"role": "user"}]}, r"prompts\[0\]: messages\[0\] is not a message"),
        (
            {"messages": [{"role": "user", "content": None}]},
            r"prompts\[0\]: messages\[0\].content is NoneType None, not text",
        ),
    ],
)
def test_prompts_jsonl_writes_json_text_only(change: dict[str, Any], expected: str) -> None:
    prompt = {**render_prompt(TEMPLATES["plain"], crafted_row()), **change}
    with pytest.raises(InputError, match=expected):
        prompts_jsonl([prompt])  # type: ignore[list-item]


def test_split_prompts_are_checked_at_the_call(built_default: Path) -> None:
    from sgbench.export import split_sft_jsonl
    from sgbench.prompts import split_prompts_jsonl

    for function in (split_prompts_jsonl, split_sft_jsonl):
        # Refused when called, before anything iterates the lines.
        with pytest.raises(InputError, match="has no split 'test'"):
            function(built_default, "default", "test", "paper")
        with pytest.raises(InputError, match="no such template"):
            function(built_default, "default", "test_id", "no-such-template")
        with pytest.raises(InputError, match="no such dataset folder"):
            function(built_default / "nope", "default", "test_id", "paper")
    lines = list(split_prompts_jsonl(built_default, "default", "test_id", "paper"))
    assert [json.loads(line)["id"] for line in lines] == list(
        load_split(built_default, "default", "test_id")["id"]
    )
