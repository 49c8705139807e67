"""A YAML file means what the same text means in JSON and YAML 1.2, or it is refused.

PyYAML reads YAML 1.1, where ``No:`` is the key ``False``, ``030`` is 24 and ``1:30`` is 90: a
config or template using them built a different dataset (subgroups ``sex=true``, persona "You
are a True person") or prompt with exit code 0. The rule is in one place
(``sgbench.jsonl.loads_yaml``) and is tried here on every command reading a YAML file: ``build
--config`` and the ``--template`` of ``prompts``, ``export sft``, ``export lm-eval`` and ``run``.
"""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest
import yaml
from cli_contract import TEMPLATE_COMMANDS, assert_one_error_line, template_commands
from click.testing import CliRunner, Result

from sgbench.cli import main
from sgbench.jsonl import loads_yaml


def invoke(args: list[str]) -> Result:
    return CliRunner().invoke(main, args)


SHIPPED = (
    resources.files("sgbench.builder")
    .joinpath("configs", "singapore.yaml")
    .read_text(encoding="utf-8")
)

# What the user wrote, where (replacing the shipped text), and what the line must say.
CONFIG_CASES = {
    "a key read as a boolean": (
        "      Male: [1]\n      Female: [2]\n    persona:\n      role: noun\n"
        "      phrases: {Male: man, Female: woman}",
        "      Yes: [1]\n      No: [2]",
        ("key 'Yes'", "boolean", "quote it"),
    ),
    "a key read as a date": (
        '      "16-24": [1]\n',
        "      2020-01-01: [1]\n",
        ("key '2020-01-01'", "date", "quote it"),
    ),
    "a key read as null": (
        "      Other: [3, 4, 8, 9]",
        "      null: [3, 4, 8, 9]",
        ("key 'null'", "null", "quote it"),
    ),
    "a key read as a number": (
        "      Male: [1]\n",
        "      010: [1]\n",
        ("key '010'", "number", "quote it"),
    ),
    "an octal number": ("min_subgroup_size: 30", "min_subgroup_size: 030", ("'030'", "decimal")),
    "a hexadecimal number": (
        "min_subgroup_size: 30",
        "min_subgroup_size: 0x1E",
        ("'0x1E'", "decimal"),
    ),
    "a sexagesimal number": ("split_seed: 0", "split_seed: 1:30", ("'1:30'", "decimal")),
    "a number with underscores": (
        "min_subgroup_size: 30",
        "min_subgroup_size: 3_0",
        ("'3_0'", "decimal"),
    ),
    "a boolean written off": ("weight: W_WEIGHT", "weight: off", ("'off'", "boolean")),
    # YAML 1.2 and JSON read these as numbers, PyYAML as text: the schema then said "'5e-2' is
    # not of type 'number'" of a number.
    "an exponent without a point": (
        "validation_fraction: 0.05",
        "validation_fraction: 5e-2",
        ("'5e-2'", "read as text by YAML 1.1", "quote it"),
    ),
    "an exponent without a sign": (
        "test_id_fraction: 0.10",
        "test_id_fraction: 1.0e1",
        ("'1.0e1'", "read as text by YAML 1.1"),
    ),
    "a number with a leading zero YAML 1.1 cannot read": (
        "min_subgroup_size: 30",
        "min_subgroup_size: 09",
        ("'09'", "read as text by YAML 1.1"),
    ),
    "a label key YAML 1.2 reads as a number": (
        "      Male: [1]\n",
        "      1e3: [1]\n",
        ("'1e3'", "read as text by YAML 1.1", "quote it"),
    ),
}


@pytest.mark.parametrize("case", sorted(CONFIG_CASES))
def test_build_refuses_config_text_yaml_reads_otherwise(case: str, tmp_path: Path) -> None:
    shipped, written, fragments = CONFIG_CASES[case]
    assert shipped in SHIPPED
    config = tmp_path / "c.yaml"
    config.write_text(SHIPPED.replace(shipped, written, 1), encoding="utf-8")
    result = invoke(["build", "-q", "--config", str(config), "--out", str(tmp_path / "ds")])
    assert_one_error_line(result, "c.yaml", "line ", *fragments)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml"]


def test_the_same_config_quoted_builds(tmp_path: Path) -> None:
    """Quoted, the keys are text, as written: the subgroups are ``sex=yes`` and ``sex=no``."""
    config = tmp_path / "c.yaml"
    config.write_text(
        SHIPPED.replace(
            CONFIG_CASES["a key read as a boolean"][0], '      "Yes": [1]\n      "No": [2]'
        ),
        encoding="utf-8",
    )
    out = tmp_path / "ds"
    result = invoke(["build", "-q", "--config", str(config), "--out", str(out)])
    assert result.exit_code == 0, result.output
    train = pd.read_parquet(out / "data" / "default" / "train-00000-of-00001.parquet")
    assert {"sex=yes", "sex=no"} <= set(train["subgroup_id"])
    assert not any("true" in sid or "false" in sid for sid in train["subgroup_id"])


def test_a_json_config_with_an_escaped_surrogate_pair_builds(tmp_path: Path) -> None:
    """``"\\ud83d\\ude00"`` is one character in JSON; PyYAML kept two lone halves, refused as
    control characters."""
    raw = yaml.safe_load(SHIPPED)
    config = tmp_path / "c.json"
    config.write_text(
        json.dumps(raw).replace('"Singapore"', '"Singapore \\ud83d\\ude00"'), encoding="ascii"
    )
    out = tmp_path / "ds"
    result = invoke(["build", "-q", "--config", str(config), "--out", str(out)])
    assert result.exit_code == 0, result.output
    train = pd.read_parquet(out / "data" / "default" / "train-00000-of-00001.parquet")
    assert train["persona"].iloc[0].endswith("living in Singapore \U0001f600.")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 30", {"a": 30}),
        ("a: -0", {"a": 0}),
        ("a: 1.5e+3", {"a": 1500.0}),
        ("a: .5", {"a": 0.5}),
        ("a: true", {"a": True}),
        ("a: False", {"a": False}),
        ('"No": "yes"', {"No": "yes"}),
        ("a: !!int '30'", {"a": 30}),
        ('a: "\\ud83d\\ude00"', {"a": "\U0001f600"}),
    ],
)
def test_yaml_that_means_the_same_everywhere_is_read(text: str, expected: object) -> None:
    assert loads_yaml(text) == expected


TEMPLATE_CASES = {
    "key.yaml": ('user: "{question}"\nyes: 1\n', ("key 'yes'", "boolean")),
    "value.yaml": ('user: "{question}"\nsystem: no\n', ("'no'", "boolean")),
    "number.yaml": ('user: "{question}"\nsystem: 0x10\n', ("'0x10'", "decimal")),
}


@pytest.mark.parametrize("name", sorted(TEMPLATE_CASES))
@pytest.mark.parametrize("command", TEMPLATE_COMMANDS)
def test_templates_refuse_yaml_read_otherwise(
    name: str, command: str, built_default: Path, tmp_path: Path
) -> None:
    text, fragments = TEMPLATE_CASES[name]
    template = tmp_path / name
    template.write_text(text, encoding="utf-8")
    args = template_commands(built_default, template, tmp_path)[command]
    assert_one_error_line(invoke(args), name, *fragments)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


@pytest.mark.parametrize("character", ["\x00", "\x1b", "\x7f"], ids=["NUL", "ESC", "DEL"])
@pytest.mark.parametrize("reader", ["build --config", "prompts --template", "validate card"])
def test_a_character_yaml_refuses_is_named_by_line(
    character: str, reader: str, built_default: Path, tmp_path: Path
) -> None:
    # PyYAML's reader error named no line, only an offset into "<unicode string>", on a second
    # line of the Error (templates) or not at all ("not valid YAML/JSON", configs).
    if reader == "build --config":
        path = tmp_path / "c.yaml"
        path.write_text(SHIPPED.replace("Singapore", f"Singa{character}pore", 1), "utf-8")
        line = SHIPPED.split("Singapore")[0].count("\n") + 1
        args = ["build", "--config", str(path), "--out", str(tmp_path / "o")]
    elif reader == "prompts --template":
        path = tmp_path / "t.yaml"
        path.write_text(f'user: "{{question}}"\nsystem: a{character}b\n', "utf-8")
        line = 2
        args = ["prompts", "--dataset", str(built_default), "--template", str(path)]
    else:
        shutil.copytree(built_default, tmp_path / "ds")
        path = tmp_path / "ds" / "README.md"
        card = path.read_text("utf-8")
        path.write_text(card.replace("---\n", f"---\nx: a{character}b\n", 1), "utf-8")
        line = 1  # of the front matter
        args = ["validate", str(tmp_path / "ds")]
    result = invoke(args)
    code = f"U+{ord(character):04X}"
    if reader == "validate card":
        assert result.exit_code == 2
        assert "<unicode string>" not in result.stderr
        assert f"{code} is not allowed in YAML" in result.stderr
        assert f"line {line}," in result.stderr
    else:
        assert_one_error_line(result, str(path), f"line {line}:", f"{code} is not allowed")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("command", TEMPLATE_COMMANDS)
def test_a_builtin_template_name_that_is_also_a_file_is_refused(
    command: str, built_default: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `--template paper` beside a file `paper` used the built-in silently.
    monkeypatch.chdir(tmp_path)
    Path("paper").write_text("{question} from the file\n", encoding="utf-8")
    args = template_commands(built_default, Path("paper"), tmp_path)[command]
    assert_one_error_line(invoke(args), "--template", "both a built-in", "./paper")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["paper"]
    if command == "prompts":
        # The file spelled as a path is the file; the default stays the built-in.
        from_file = invoke(["./paper" if arg == "paper" else arg for arg in args])
        assert from_file.exit_code == 0, from_file.output
        assert "from the file" in from_file.stdout.splitlines()[0]
        default = invoke(["prompts", "--dataset", str(built_default)])
        assert default.exit_code == 0, default.output
        assert "from the file" not in default.stdout.splitlines()[0]
