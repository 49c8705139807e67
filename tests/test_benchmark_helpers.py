"""The helpers the benchmark scripts share (benchmarks/shared.py, bench_disclosure.tiny_tables).

The scripts themselves are never run by the tests (they take minutes to hours); what they share
is checked here on small inputs: the results files are written in the one form docs/generate.py
reads, and the scripts that count leaky tiny tables see the same tables.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
# bench_scale.py writes where --json says, in the order it measured (docs read that order).
OWN_FORM = {"bench_scale.json"}


@pytest.fixture(scope="module")
def benchmarks() -> Iterator[tuple[ModuleType, ModuleType]]:
    """``shared`` and ``bench_disclosure``, imported as the scripts import them (their folder
    on the path)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import bench_disclosure
        import shared

        yield shared, bench_disclosure
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_committed_results_are_as_write_results_writes_them(
    benchmarks: tuple[ModuleType, ModuleType], tmp_path: Path
) -> None:
    shared, _ = benchmarks
    committed = sorted(shared.RESULTS_FOLDER.glob("*.json"))
    assert len(committed) >= 10
    for path in committed:
        if path.name in OWN_FORM:
            continue
        script = BENCHMARKS / f"{path.stem}.py"
        assert script.is_file()
        assert shared.results_path(str(script)) == path
        out = tmp_path / path.name
        shared.write_results(out, shared.read_results(path))
        assert out.read_bytes() == path.read_bytes(), path.name


def test_write_results_sorts_and_replaces_whole(
    benchmarks: tuple[ModuleType, ModuleType], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared, _ = benchmarks
    out = tmp_path / "results" / "bench_x.json"
    assert shared.read_results(out) == {}
    shared.write_results(out, {"b": 1, "a": {"d": 2.5, "c": [1, 2]}})
    expected = '{\n  "a": {\n    "c": [\n      1,\n      2\n    ],\n    "d": 2.5\n  },\n'
    expected += '  "b": 1\n}\n'
    assert out.read_text(encoding="utf-8") == expected
    assert shared.read_results(out) == {"a": {"c": [1, 2], "d": 2.5}, "b": 1}

    # The rename failing (a full disk, a run stopped there): the committed figures stay whole
    # and the temporary file is gone.
    def refuse(self: Path, target: Path) -> Path:
        raise OSError("no space left on device")

    monkeypatch.setattr(Path, "replace", refuse)
    with pytest.raises(OSError, match="no space"):
        shared.write_results(out, {"b": 2})
    assert out.read_text(encoding="utf-8") == expected
    assert [p.name for p in out.parent.iterdir()] == ["bench_x.json"]


def test_tiny_tables_enumerate_every_union_and_are_the_same_for_every_caller(
    benchmarks: tuple[ModuleType, ModuleType],
) -> None:
    _, bench_disclosure = benchmarks
    first = list(bench_disclosure.tiny_tables(3))
    again = list(bench_disclosure.tiny_tables(3))
    assert len(first) == 3
    for table, same in zip(first, again, strict=True):
        k = len(table.atoms.sizes)
        assert k <= 14
        assert table.frame.equals(same.frame)
        # bits: every subset of the k atoms once, as rows of 0/1.
        assert table.bits.shape == (2**k, k)
        assert set(table.bits.ravel().tolist()) <= {0, 1}
        assert len({tuple(row) for row in table.bits.tolist()}) == 2**k
        assert int(table.atoms.sizes.sum()) == len(table.frame)
        sizes = table.subgroups.table["subgroup_size"].to_numpy(np.int64)
        np.testing.assert_array_equal(table.cost, sizes)
