"""Bad inputs to `sgbench build`: one error line naming the file, exit code 2, nothing written."""

from __future__ import annotations

import os
import resource
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_contract import assert_one_error_line, module_environment, run_module
from click.testing import CliRunner, Result

from sgbench.builder.synthetic import synthetic_csv_bytes, synthetic_sample
from sgbench.cli import main


def run_build(*args: str) -> Result:
    return CliRunner().invoke(main, ["build", "--quiet", *args])


def assert_nothing_written(folder: Path) -> None:
    assert not (folder / "out").exists()
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".out.")]


@pytest.fixture(scope="module")
def csv_bytes() -> bytes:
    return synthetic_csv_bytes()


def bad_inputs(csv_bytes: bytes) -> dict[str, tuple[str, bytes, tuple[str, ...]]]:
    lines = csv_bytes.decode().split("\n")
    header = lines[0].split(",")
    bad_value = lines.copy()
    fields = bad_value[4].split(",")
    fields[header.index("Q260")] = "male"
    bad_value[4] = ",".join(fields)
    without_ethnicity = [
        ",".join(f for i, f in enumerate(line.split(",")) if i != header.index("Q290"))
        for line in lines
        if line
    ]
    return {
        "empty": ("empty.csv", b"", ("empty.csv", "empty file")),
        "blank": ("blank.csv", b"\n\n", ("blank.csv", "empty file")),
        "truncated": (
            "truncated.csv",
            csv_bytes[: len(csv_bytes) // 2],
            ("truncated.csv", "line 1006", "truncated"),
        ),
        "garbage": (
            "garbage.csv",
            os.urandom(4096).replace(b"\n", b"") + b"\x00",
            ("garbage.csv",),
        ),
        "not wvs": ("other.csv", b"name,score\nann,3\n", ("other.csv", "not WVS data")),
        "header only": ("header.csv", lines[0].encode() + b"\n", ("header.csv", "no data rows")),
        "non-numeric": (
            "value.csv",
            "\n".join(bad_value).encode(),
            ("value.csv", "column Q260", "not a number"),
        ),
        "no ethnicity": (
            "noeth.csv",
            "\n".join(without_ethnicity).encode(),
            ("noeth.csv", "missing column Q290", "ethnicity"),
        ),
        "garbage dta": ("bad.dta", os.urandom(2048), ("bad.dta", "not a readable Stata file")),
        "garbage sav": ("bad.sav", os.urandom(2048), ("bad.sav", "not a readable SPSS file")),
        "garbage zip": ("bad.zip", b"PK\x03\x04 not really", ("bad.zip", "not a readable zip")),
        "wrong type": ("data.xlsx", b"whatever", ("data.xlsx", "unsupported file type")),
    }


@pytest.mark.parametrize(
    "case",
    [
        "empty",
        "blank",
        "truncated",
        "garbage",
        "not wvs",
        "header only",
        "non-numeric",
        "no ethnicity",
        "garbage dta",
        "garbage sav",
        "garbage zip",
        "wrong type",
    ],
)
def test_bad_file(case: str, csv_bytes: bytes, tmp_path: Path) -> None:
    name, content, fragments = bad_inputs(csv_bytes)[case]
    path = tmp_path / name
    path.write_bytes(content)
    result = run_build("--wvs", str(path), "--out", str(tmp_path / "out"))
    assert_one_error_line(result, *fragments)
    assert_nothing_written(tmp_path)


def test_missing_file(tmp_path: Path) -> None:
    result = run_build("--wvs", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "out"))
    assert_one_error_line(result, "nope.csv", "no such file")
    assert_nothing_written(tmp_path)


def test_country_not_in_file(tmp_path: Path, csv_bytes: bytes) -> None:
    path = tmp_path / "sg.csv"
    path.write_bytes(csv_bytes)
    result = run_build("--wvs", str(path), "--country", "FRA", "--out", str(tmp_path / "out"))
    assert_one_error_line(result, "sg.csv", "B_COUNTRY_ALPHA = FRA", "found: SGP")
    assert_nothing_written(tmp_path)


def test_zip_without_data_file(tmp_path: Path) -> None:
    path = tmp_path / "docs.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("codebook.pdf", b"%PDF")
    result = run_build("--wvs", str(path), "--out", str(tmp_path / "out"))
    assert_one_error_line(result, "docs.zip", "no .csv, .dta or .sav")


def test_bad_config(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("name: x\nwave: 7\ncountry: SGP\nattributes: {}\nstrata: []\n")
    result = run_build("--config", str(config), "--out", str(tmp_path / "out"))
    assert_one_error_line(result, "config.yaml")
    config.write_text("name: [unclosed\n")
    result = run_build("--config", str(config), "--out", str(tmp_path / "out"))
    assert_one_error_line(result, "config.yaml", "line", "not valid YAML")
    assert_nothing_written(tmp_path)


def test_failed_build_leaves_the_existing_output_alone(tmp_path: Path, csv_bytes: bytes) -> None:
    out = tmp_path / "out"
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes)
    assert run_build("--wvs", str(good), "--out", str(out)).exit_code == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    frame = synthetic_sample().drop(columns=["Q289"])
    broken = tmp_path / "broken.csv"
    frame.to_csv(broken, index=False)
    result = run_build("--wvs", str(broken), "--out", str(out))
    assert_one_error_line(result, "broken.csv", "Q289")
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.csv", "good.csv", "out"]


def test_successful_build_prints_a_summary(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["build", "--out", str(tmp_path / "ds")])
    assert result.exit_code == 0, result.output
    assert "read 2012 respondents (SGP)" in result.stdout
    assert "items: 238 kept, 1 dropped" in result.stdout
    assert "no valid answer in SGP: Q221" in result.stdout
    assert "subgroups: 101 kept" in result.stdout
    assert "samples [paper]: train" in result.stdout
    assert "SYNTHETIC" in result.stdout


def file_size_limit(limit: int) -> Callable[[], None]:
    """Set in the child before it runs: ``ulimit -f`` (RLIMIT_FSIZE) at ``limit`` bytes."""

    def lower() -> None:
        _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))

    return lower


@pytest.mark.parametrize(
    ("wvs", "failed"),
    [
        (False, "cannot write the embedded SYNTHETIC sample"),
        (True, "out: cannot write the dataset"),
    ],
)
def test_the_file_size_limit_is_named_not_tmpdir(
    wvs: bool, failed: str, wvs_files: dict[str, Path], tmp_path: Path
) -> None:
    """Under ``ulimit -f`` the build said to set TMPDIR, which cannot help: the limit binds every
    folder. 500,000 bytes: below the embedded sample's copy (1.1 MB) and the largest data file
    of a build (0.9 MB), so each write fails in turn."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    args = ["build", "--quiet", "--out", "out", *(["--wvs", str(wvs_files["csv"])] if wvs else [])]
    done = run_module(
        args,
        tmp_path,
        env=module_environment(TMPDIR=str(scratch)),
        preexec_fn=file_size_limit(500_000),
    )
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith("Error: ")
    assert failed in done.stderr
    reason = (
        "(File too large: the file size limit of this process, 500,000 bytes (ulimit -f, "
        "RLIMIT_FSIZE), was hit; raise it)"
    )
    assert reason in done.stderr
    assert "TMPDIR" not in done.stderr
    # Nor the temporary copy's folder, a name of sgbench's own, gone by the time it is read.
    assert str(scratch) not in done.stderr
    assert_nothing_written(tmp_path)
    assert list(scratch.iterdir()) == []
