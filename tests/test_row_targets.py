"""The row rule for the targets a build derives from a pair's answers (probe 16): a zero count
holding the top share, a tie listing one of its modes, a null ``mode_stability`` in a build that
records how it computed it, and a subgroup larger than one nested around it were each read with
exit code 0 after the files' hashes were re-recorded. Each case below is built by hand: the
rule's verdict is checked against what the builder would have written for the same rows."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from manifest_tools import edit_first_row

from sgbench.dataset import nesting_problem, open_dataset, row_problems, split_file
from sgbench.errors import InputError

TEST_OOD = split_file("default", "test_ood")


def _options(n: int) -> list[dict[str, Any]]:
    return [{"code": c, "label": str(c), "off_scale": False} for c in range(1, n + 1)]


def _found(table: pa.Table, manifest: dict[str, Any]) -> dict[str, list[bool]]:
    return {what: bad.tolist() for bad, what in row_problems(table, manifest) if bad.any()}


def test_shares_and_counts_by_hand() -> None:
    """Row 1 is a build's (counts 1:3, unweighted shares 0.25/0.75); row 2 gives a zero count
    the top share; row 3 a share of 0 to a count of 2; row 4 weighted shares (kept on a weighted
    build, refused on an unweighted one, where they must be 2/4 and 2/4)."""
    table = pa.table(
        {
            "options": [_options(2)] * 4,
            "counts": [[1, 3], [0, 4], [2, 2], [2, 2]],
            "n_valid": [4, 4, 4, 4],
            "distribution": [[0.25, 0.75], [0.9, 0.1], [0.0, 1.0], [0.4, 0.6]],
            "answer": [2, 1, 2, 2],
            "modal_answers": [[2], [1], [2], [2]],
        }
    )
    support = "an option's share and count are not both 0 or both above 0"
    unweighted = "distribution is not counts / n_valid"
    weighted = _found(table, {"weight": "W_WEIGHT"})
    assert [v for k, v in weighted.items() if k.startswith(support)] == [[False, True, True, False]]
    assert not any(k.startswith(unweighted) for k in weighted)
    found = _found(table, {"weight": None})
    assert [v for k, v in found.items() if k.startswith(unweighted)] == [[False, True, True, True]]
    # An older manifest without the key says nothing about weights: not checked.
    assert not any(k.startswith(unweighted) for k in _found(table, {}))


def test_modal_answers_are_every_tied_code_by_hand() -> None:
    """Row 1 a 4-way tie listing all four; row 2 the same tie listing one (probe 16's edit);
    row 3 two shares 1e-13 apart (tied for the builder, both listed); row 4 the same shares with
    one listed; row 5 shares 1e-6 apart, one listed (no tie)."""
    close = [0.5, 0.5 - 1e-13]
    table = pa.table(
        {
            "options": [_options(4), _options(4), _options(2), _options(2), _options(2)],
            "distribution": [[0.25] * 4, [0.25] * 4, close, close, [0.5 + 1e-6, 0.5 - 1e-6]],
            "answer": [1, 1, 1, 1, 1],
            "modal_answers": [[1, 2, 3, 4], [1], [1, 2], [1], [1]],
        }
    )
    found = _found(table, {})
    assert found == {
        "modal_answers is not every code within 1e-12 of the row's top share": [
            False,
            True,
            False,
            True,
            False,
        ]
    }


def test_recorded_columns_are_never_null_by_hand() -> None:
    """A null mode_stability or train_overlap is an older build's "not known": refused only
    when the manifest records how the build computes the column (every current build does)."""
    table = pa.table(
        {
            "mode_stability": pa.array([0.9, None], pa.float64()),
            "train_overlap": pa.array([None, 0.2], pa.float64()),
        }
    )
    assert _found(table, {}) == {}
    found = _found(table, {"mode_stability": {"method": "m"}, "train_overlap": {}})
    assert found == {
        "mode_stability is null, but the manifest records its mode_stability (a build gives "
        "every row one)": [False, True],
        "train_overlap is null, but the manifest records its train_overlap (a build gives "
        "every row one)": [True, False],
    }


def _subgroup_rows(rows: list[tuple[str, int, int]]) -> pa.Table:
    """Rows of (subgroup_id, wave, subgroup_size), the subgroup's values read from the id."""
    return pa.table(
        {
            "subgroup_id": [r[0] for r in rows],
            "wave": [r[1] for r in rows],
            "subgroup": [
                {a: v for a, v in (p.split("=") for p in r[0].split("&"))} | {} for r in rows
            ],
            "subgroup_size": [r[2] for r in rows],
        },
        schema=pa.schema(
            [
                ("subgroup_id", pa.string()),
                ("wave", pa.int32()),
                ("subgroup", pa.struct([("age", pa.string()), ("sex", pa.string())])),
                ("subgroup_size", pa.int32()),
            ]
        ),
    )


def test_nested_subgroup_sizes_by_hand() -> None:
    """age=a&sex=f (40) within age=a (50) and sex=f (45): kept. In split b, age=b&sex=f (60)
    exceeds sex=f (45) of split a: refused, naming it; age=c&sex=m has no published parent and
    wave 6's age=a&sex=f (70) is compared with wave 6's subgroups only (none)."""
    a = _subgroup_rows([("age=a", 7, 50), ("sex=f", 7, 45), ("age=a&sex=f", 7, 40)])
    b = _subgroup_rows(
        [("age=c&sex=m", 7, 90), ("age=b&sex=f", 7, 60), ("age=b", 7, 80), ("age=a&sex=f", 6, 70)]
    )
    assert nesting_problem({"a": a}) is None
    found = nesting_problem({"a": a, "b": b})
    assert found is not None
    split, bad, what = found
    assert (split, bad.tolist()) == ("b", [False, True, False, False])
    assert what.startswith("subgroup_size exceeds that of subgroup 'sex=f', whose values")


def _zero_count_on_top(row: dict[str, Any]) -> None:
    counts, top = row["counts"], row["distribution"].index(max(row["distribution"]))
    other = (top + 1) % len(counts)
    counts[other] += counts[top]
    counts[top] = 0


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (
            # Probe 16 (01): the modal answer's respondents counted under another option.
            _zero_count_on_top,
            "an option's share and count are not both 0",
        ),
        (
            lambda row: row.update(
                distribution=[0.25] * 4, margin=0.0, modal_answers=[1], answer=1
            ),
            "modal_answers is not every code within 1e-12",
        ),
        (
            lambda row: row.update(mode_stability=None),
            "mode_stability is null, but the manifest records its mode_stability",
        ),
        (
            lambda row: row.update(subgroup_size=row["subgroup_size"] * 10),
            "subgroup_size",
        ),
    ],
)
def test_a_build_with_an_edited_target_is_refused(
    built_default: Path, tmp_path: Path, change: Any, said: str
) -> None:
    assert open_dataset(built_default).row_problem("default") is None
    dataset = tmp_path / "ds"
    shutil.copytree(built_default, dataset)
    edit_first_row(dataset, TEST_OOD, change)
    with pytest.raises(InputError, match="test_ood") as refused:
        open_dataset(dataset).table("default", "test_ood")
    assert said in str(refused.value)
