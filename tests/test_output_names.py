"""An output FILE named as a folder (`--json out/`, `x.json/.`) is refused with one line before
any work (`sgbench.files.check_file_name`, through the CLI's `OutputFile` type and in
`write_atomic`): click and pathlib drop the final `/`, so `out/` became a file named `out`.
Options that the others make meaningless (`--resample` without a bootstrap, `--seed` with
neither bootstrap nor permutations) are refused rather than silently ignored."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_contract import assert_one_error_line
from click.testing import CliRunner

from sgbench.cli import main
from sgbench.errors import InputError
from sgbench.files import OutputKind, write_atomic

SCORE = ["score", "p.jsonl", "--dataset", "ds", "--bootstrap", "0", "--permutations", "0"]
RUN = ["run", "--dataset", "ds", "--base-url", "http://127.0.0.1:9", "--model", "m"]
IMPORT = ["import", "paper-outputs", "src.jsonl", "--dataset", "ds"]

# Every file output of the commands that read local inputs cheaply; the `{}` is the name.
CASES: dict[str, list[str]] = {
    "score --json": [*SCORE, "--json", "{}"],
    "score --plot": [*SCORE, "--plot", "{}"],
    "judge-report --json": ["judge-report", "j.jsonl", "--json", "{}"],
    "import --out": [*IMPORT, "--out", "{}"],
    "import --report": [*IMPORT, "--out", "o.jsonl", "--report", "{}"],
    "synth --out": ["synth", "--out", "{}"],
    "run --out": [*RUN, "--out", "{}"],
}

ANY_TEXT = OutputKind("a text file", lambda head: True)
"""A kind any file is of: these tests are about other rules of write_atomic."""


@pytest.fixture
def workdir(command_folder: Path) -> Path:
    # An empty judgments file and an empty released-outputs file: the commands must refuse the
    # output name before reading either.
    (command_folder / "j.jsonl").write_text("", encoding="utf-8")
    (command_folder / "src.jsonl").write_text("", encoding="utf-8")
    return command_folder


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("out/", "out/: ends in '/', so it names a folder"),
        ("out.json/.", "names a folder"),
        ("out.json/..", "names a folder"),
    ],
)
@pytest.mark.parametrize("case", sorted(CASES))
def test_an_output_file_named_as_a_folder_is_refused(
    case: str, name: str, fragment: str, workdir: Path
) -> None:
    before = sorted(p.name for p in workdir.iterdir())
    args = [arg.replace("{}", name) for arg in CASES[case]]
    result = CliRunner().invoke(main, args)
    assert_one_error_line(result, fragment)
    assert sorted(p.name for p in workdir.iterdir()) == before


def test_write_atomic_refuses_a_name_ending_in_a_separator(tmp_path: Path) -> None:
    for name in (f"{tmp_path}/out/", f"{tmp_path}/out/.", f"{tmp_path}/x/..", ""):
        with pytest.raises(InputError, match=r"names a folder|empty output path"):
            write_atomic(name, "x", kind=ANY_TEXT)
    assert list(tmp_path.iterdir()) == []
    write_atomic(tmp_path / "out", "x", kind=ANY_TEXT)  # the same name without the separator
    assert (tmp_path / "out").read_text(encoding="utf-8") == "x"


@pytest.mark.parametrize("name", ["a\nb.json", "tab\there", "esc\x1b[2J", "ls\u2028x", "\udcff"])
def test_a_python_callers_output_name_that_cannot_stay_on_its_line_is_refused(
    name: str, tmp_path: Path
) -> None:
    """The command line refuses such arguments before any command runs; from Python,
    `write_report(report, "a\nb.json")` wrote a file whose name broke every line naming it.
    One rule (sgbench.files.check_name_text) for file and folder outputs."""
    from sgbench.files import check_output_folder

    with pytest.raises(InputError, match=r"control character|not UTF-8"):
        write_atomic(tmp_path / name, "x", kind=ANY_TEXT)
    with pytest.raises(InputError, match=r"control character|not UTF-8"):
        check_output_folder(tmp_path / name, "dataset")
    assert list(tmp_path.iterdir()) == []


REPORTS = {
    "score": SCORE[:4],
    "judge-report": ["judge-report", "j.jsonl"],
    "leaderboard": ["leaderboard", "subs", "--dataset", "ds", "--out", "lb"],
}
UNUSED = {
    "--resample, no bootstrap": (
        ["--bootstrap", "0", "--permutations", "5", "--resample", "questions+subgroups"],
        "--resample has no effect with --bootstrap 0",
    ),
    "--seed, no resampling": (
        ["--bootstrap", "0", "--permutations", "0", "--seed", "3"],
        "--seed has no effect with --bootstrap 0 and --permutations 0",
    ),
}


@pytest.mark.parametrize("unused", sorted(UNUSED))
@pytest.mark.parametrize("command", sorted(REPORTS))
def test_resampling_options_without_effect_are_refused(
    command: str, unused: str, workdir: Path
) -> None:
    options, message = UNUSED[unused]
    result = CliRunner().invoke(main, [*REPORTS[command], *options])
    assert_one_error_line(result, message)


@pytest.mark.parametrize("ref", ["HF://org/name", "Hf://org/name", "hF://org/name"])
def test_a_hub_prefix_in_upper_case_is_refused_not_read_as_a_folder(ref: str) -> None:
    from sgbench.dataset import hub_id

    with pytest.raises(InputError, match="lower case"):
        hub_id(ref)
    assert hub_id("hf://org/name") == "org/name"


def test_pure_score_names_the_types_it_takes(built_default: Path) -> None:
    from sgbench.scoring import score
    from sgbench.scoring.data import load_scoring_data

    data = load_scoring_data(built_default, "default", "test_ood")
    for args in ((None, None), (data, "p.jsonl"), ("ds", data)):
        with pytest.raises(InputError, match=r"score\(\): argument '(data|predictions)' must be"):
            score(*args)  # type: ignore[arg-type]


def test_score_refuses_predictions_read_for_other_samples(
    built_default: Path, workdir: Path
) -> None:
    # The arrays are aligned by row: test_id's shorter split raised an IndexError deep inside,
    # and a split as long would have scored each answer against another sample.
    from sgbench.scoring import score
    from sgbench.scoring.data import load_scoring_data
    from sgbench.scoring.predictions import read_predictions

    held_out = load_scoring_data(built_default, "default", "test_ood")
    predictions = read_predictions(workdir / "p.jsonl", held_out)
    for config, split in (("default", "test_id"), ("paper", "train")):
        other = load_scoring_data(built_default, config, split)
        with pytest.raises(InputError, match=f"split {split!r} holds; read them with"):
            score(other, predictions, n_boot=0, n_permutations=0)
    # The same samples read again (another ScoringData object) are the same samples.
    again = load_scoring_data(built_default, "paper", "test_ood")
    assert score(again, predictions, n_boot=0, n_permutations=0).n_scored > 0


def test_score_predictions_without_a_split_scores_the_held_out_one(
    built_default: Path, workdir: Path
) -> None:
    from sgbench.scoring import score_predictions

    given = score_predictions(
        "p.jsonl", built_default, split="test_ood", n_boot=0, n_permutations=0
    )
    default = score_predictions("p.jsonl", built_default, split=None, n_boot=0, n_permutations=0)
    assert default.to_json() == given.to_json()


def test_baseline_seed_is_refused_for_a_rule_that_draws_nothing(workdir: Path) -> None:
    result = CliRunner().invoke(main, ["baseline", "majority", "--dataset", "ds", "--seed", "3"])
    assert_one_error_line(result, "--seed has no effect for the majority baseline")
    seeded = CliRunner().invoke(main, ["baseline", "random", "--dataset", "ds", "--seed", "3"])
    assert seeded.exit_code == 0, seeded.output


MODEL_OUTPUTS: dict[str, tuple[list[str], str]] = {
    "import": ([*IMPORT, "--out", "o.jsonl"], "o.jsonl"),
    "score": ([*SCORE, "--plot", "c.svg"], "c.svg"),
}
"""Command -> (its arguments with an output, the output) for each --model not sent anywhere."""


@pytest.mark.parametrize("command", sorted(MODEL_OUTPUTS))
@pytest.mark.parametrize("model", [" ", " m", "m ", "m\u202e"])
def test_a_model_name_a_reader_cannot_tell_is_refused(
    command: str, model: str, workdir: Path
) -> None:
    # The name is recorded in every imported line and shown on the leaderboard, or drawn in
    # score's chart title: the rule of run's and judge's --model (sgbench.cli.options.model_name).
    args, output = MODEL_OUTPUTS[command]
    result = CliRunner().invoke(main, [*args, "--model", model])
    assert_one_error_line(result, "Invalid value for '--model'")
    assert not (workdir / output).exists()


@pytest.mark.parametrize("stem", [" ", " m", "m ", "m\u202e", "\u200b"])
def test_import_refuses_a_model_name_taken_from_a_source_name_a_reader_cannot_tell(
    stem: str, workdir: Path
) -> None:
    # Without --model the SOURCE's stem is the name recorded: the same rule as a given one
    # (sgbench.errors.model_name_problem), checked before anything is read.
    source = workdir / f"{stem}.jsonl"
    source.write_text("", encoding="utf-8")
    args = ["import", "paper-outputs", str(source), "--dataset", "ds", "--out", "o.jsonl"]
    result = CliRunner().invoke(main, args)
    assert_one_error_line(result, "taken from SOURCE's file name; give --model")
    assert not (workdir / "o.jsonl").exists()
    named = CliRunner().invoke(main, [*args, "--model", "m"])
    assert "give --model" not in named.stderr  # the name given is the one checked


def test_an_empty_dataset_path_is_refused_not_read_as_the_working_folder() -> None:
    # The CLI refuses every empty argument first (sgbench.cli.errors); the library says so too.
    from sgbench.dataset import open_dataset

    with pytest.raises(InputError, match=r"open_dataset\(\): argument 'ref' is an empty path"):
        open_dataset("")


def test_open_dataset_names_what_it_takes() -> None:
    from sgbench.dataset import open_dataset

    for ref in (None, 3, b"ds"):
        # Refused at the public boundary, naming the argument and the kinds it takes.
        with pytest.raises(
            InputError, match=r"open_dataset\(\): argument 'ref' must be str or os\.PathLike"
        ):
            open_dataset(ref)  # type: ignore[arg-type]
