"""No command writes into a dataset or output folder sgbench built (sgbench.files.check_parent):
``synth --out ds/data/x.csv`` reads nothing, so no input rule kept it out of the dataset."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cli_contract import EVERY_OUTPUT, OUTPUT_SUFFIX, assert_one_error_line
from click.testing import CliRunner

from sgbench.cli import main
from sgbench.errors import InputError
from sgbench.files import OUTPUT_MARKER, OutputKind, replace_folder, write_atomic
from sgbench.locks import exclusive

ANY_TEXT = OutputKind("a text file", lambda head: True)

PLACES = {
    "dataset": ("other", "the dataset folder"),
    "dataset-subfolder": ("other/data/default", "the dataset folder"),
    "leaderboard": ("board", "an output folder of `sgbench leaderboard`"),
    "through-a-symlink": ("link", "the dataset folder"),
}
"""Where an output goes (a folder of the working folder) and what the refusal calls the folder
it lies in: a dataset the command does not read, one of its subfolders, a leaderboard's output
and a symlink to the dataset."""


def snapshot(folder: Path) -> dict[str, bytes | str]:
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() else "dir")
        for p in sorted(folder.rglob("*"))
        if not p.is_symlink()
    }


@pytest.fixture
def workdir(command_folder: Path) -> Path:
    """The command folder with `other`, a second dataset (its manifest and data files, nothing
    the commands read), `link` leading to it, and `board`, a leaderboard's output folder."""
    shutil.copytree(command_folder / "ds", command_folder / "other")
    (command_folder / "link").symlink_to("other")
    (command_folder / "board").mkdir()
    (command_folder / "board" / "index.html").write_text("<p>board</p>\n", encoding="utf-8")
    marker = {"written_by": "sgbench leaderboard", "files": {"index.html": "0" * 64}}
    (command_folder / "board" / OUTPUT_MARKER).write_text(json.dumps(marker), encoding="utf-8")
    return command_folder


@pytest.mark.parametrize("place", sorted(PLACES))
@pytest.mark.parametrize("case", sorted(EVERY_OUTPUT))
def test_no_output_goes_into_a_folder_sgbench_built(case: str, place: str, workdir: Path) -> None:
    folder, what = PLACES[place]
    out = f"{folder}/out{OUTPUT_SUFFIX.get(case, '.json')}"
    args = [out if arg == "OUT" else arg for arg in EVERY_OUTPUT[case]]
    before = snapshot(workdir)
    # The folder is named as the system resolves it (`link` is `other`), from the working one.
    shown = "board" if place == "leaderboard" else "other"
    assert_one_error_line(CliRunner().invoke(main, args), out, f"lies inside {what} {shown};")
    assert snapshot(workdir) == before


@pytest.mark.parametrize("case", ["synth --out", "score --json", "build --out"])
def test_a_manifest_json_of_another_program_is_no_dataset(case: str, workdir: Path) -> None:
    """A web app's or a browser extension's ``manifest.json`` does not make its folder a
    dataset: the output is written."""
    (workdir / "ext").mkdir()
    (workdir / "ext" / "manifest.json").write_text(
        '{"name": "ext", "version": "1.0", "manifest_version": 3}\n', encoding="utf-8"
    )
    out = f"ext/out{OUTPUT_SUFFIX.get(case, '.json')}"
    args = [out if arg == "OUT" else arg for arg in EVERY_OUTPUT[case]]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert (workdir / out).exists()


def test_a_build_replaces_its_own_output_and_nothing_inside_it(workdir: Path) -> None:
    """The rule looks above the output, never at it: ``build --out`` still replaces the
    earlier build it names (its marker proves it), but no build goes inside it."""
    build = ["build", "--quiet", "--out"]
    assert CliRunner().invoke(main, [*build, "mine"]).exit_code == 0
    assert CliRunner().invoke(main, [*build, "mine"]).exit_code == 0
    assert_one_error_line(
        CliRunner().invoke(main, [*build, "mine/inner"]), "mine/inner", "the dataset folder"
    )
    assert not (workdir / "mine" / "inner").exists()


def test_python_writers_keep_the_rule(workdir: Path) -> None:
    """From Python too: a file written whole, an output folder and an appended output (run's
    and judge's ``--out``, held by :func:`sgbench.locks.exclusive`)."""
    before = snapshot(workdir)
    with pytest.raises(InputError, match="lies inside the dataset folder"):
        write_atomic(workdir / "other" / "r.json", "{}", kind=ANY_TEXT)
    with pytest.raises(InputError, match="lies inside an output folder of `sgbench leaderboard`"):
        replace_folder(workdir / "board" / "sub", "stats", lambda staging: None, name="out")
    with (
        pytest.raises(InputError, match="lies inside the dataset folder"),
        exclusive(workdir / "other" / "data" / "r.jsonl"),
    ):
        pass
    assert snapshot(workdir) == before


DATASET_MANIFEST = '{"configs": {}, "attributes": {}}\n'
"""What makes a folder a dataset to the rule: a manifest with configs and attributes."""


def test_a_file_is_not_renamed_into_a_folder_that_became_a_dataset_meanwhile(
    tmp_path: Path,
) -> None:
    """The folder is judged again just before the rename: a writer whose folder became a
    dataset while it wrote (a build swapped in, here its manifest written by the content
    itself, between the first check and the rename) renamed its file into the dataset."""
    out = tmp_path / "out"
    out.mkdir()

    def content(temporary: Path) -> None:
        (out / "manifest.json").write_text(DATASET_MANIFEST, encoding="utf-8")
        temporary.write_text("{}\n", encoding="utf-8")

    with pytest.raises(InputError, match=r"r\.json: lies inside the dataset folder "):
        write_atomic(out / "r.json", content, kind=ANY_TEXT)
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json"]  # no file, no temporary
    with pytest.raises(InputError, match=r"s\.csv: lies inside the dataset folder "):
        write_atomic(out / "s.csv", lambda temporary: temporary.write_bytes(b"a\n"), kind=None)
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json"]


@pytest.mark.parametrize("earlier", [False, True])
def test_a_folder_is_not_swapped_into_a_folder_that_became_a_dataset_meanwhile(
    earlier: bool, tmp_path: Path
) -> None:
    """The same for an output folder, new or replacing its earlier self: judged again before
    the swap, the staging folder removed and an earlier output left as it was."""
    out = tmp_path / "out"
    out.mkdir()
    if earlier:
        replace_folder(
            out / "st", "stats", lambda staging: (staging / "a.txt").write_text("1"), name="out"
        )
    before = snapshot(out)

    def write(staging: Path) -> None:
        (staging / "a.txt").write_text("2", encoding="utf-8")
        (out / "manifest.json").write_text(DATASET_MANIFEST, encoding="utf-8")

    with pytest.raises(InputError, match=r"st: lies inside the dataset folder "):
        replace_folder(out / "st", "stats", write, name="out")
    after = snapshot(out)
    assert after.pop("manifest.json") == DATASET_MANIFEST.encode()
    assert after == before  # the earlier output (or nothing), no staging folder left
