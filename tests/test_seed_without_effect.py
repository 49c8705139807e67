"""A seed that draws nothing is refused alike from the command line and from Python
(``sgbench.errors.refuse_without_effect``): a deterministic baseline's seed, and a report's seed
with no bootstrap and no permutations. An option counts as given when typed, a Python argument
when it differs from its default (0): the CLI's default seed reaches Python as 0, not given."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from scoring_fixtures import FOUR_POINT, make_row, write_dataset

from sgbench.baselines import BASELINES, run_baseline, run_baselines
from sgbench.cli import main
from sgbench.errors import InputError
from sgbench.scoring import score_predictions
from sgbench.scoring.bootstrap import MIN_REPLICATES, bootstrap_intervals

SUBGROUPS = [{"religion": r} for r in ("Muslim", "Buddhist", "None")]
DETERMINISTIC = [name for name in BASELINES if name != "random"]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("seeds") / "ds"
    train = [make_row(f"Q{q}", s, FOUR_POINT, [4, 3, 2, 1]) for q in range(6) for s in SUBGROUPS]
    test = [
        make_row(f"Q{q}", {"age_group": a}, FOUR_POINT, [1, 2, 3, 4])
        for q in range(6)
        for a in ("16-24", "25-34", "65+")
    ]
    return write_dataset(root, {"train": train, "test_ood": test})


@pytest.fixture(scope="module")
def predictions(dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seeds") / "p.jsonl"
    path.write_text(run_baseline("majority", dataset).to_jsonl(), encoding="utf-8")
    return path


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stderr


@pytest.mark.parametrize("name", DETERMINISTIC)
def test_a_deterministic_baseline_refuses_a_seed_both_ways(dataset: Path, name: str) -> None:
    reason = f"has no effect for the {name} baseline (only random); leave it out"
    with pytest.raises(InputError) as refused:
        run_baseline(name, dataset, seed=5)
    assert str(refused.value) == f"seed 5 {reason}"
    code, stderr = cli("baseline", name, "--dataset", str(dataset), "--seed", "5")
    assert code == 2
    assert stderr.strip() == f"Error: --seed {reason}"
    # Without a seed, or with the default: same predictions both ways, and no seed recorded.
    result = run_baseline(name, dataset, seed=0)
    assert result.seed is None
    invoked = CliRunner().invoke(main, ["baseline", name, "--dataset", str(dataset)])
    assert invoked.exit_code == 0, invoked.stderr
    assert invoked.stdout == result.to_jsonl()


def test_random_records_its_seed(dataset: Path) -> None:
    result = run_baseline("random", dataset, seed=5)
    assert result.seed == 5
    assert run_baseline("random", dataset).seed == 0
    n = len(result.ids)
    drawn = np.random.default_rng(5).integers(0, np.full(n, 4))
    assert result.answers.tolist() == [FOUR_POINT[d][0] for d in drawn]
    code = (
        CliRunner()
        .invoke(main, ["baseline", "random", "--dataset", str(dataset), "--seed", "5"])
        .exit_code
    )
    assert code == 0


def test_several_baselines_take_the_seed_when_random_is_among_them(dataset: Path) -> None:
    results = run_baselines(["majority", "random"], dataset, seed=5)
    assert [(r.name, r.seed) for r in results] == [("majority", None), ("random", 5)]
    with pytest.raises(InputError, match=r"^seed 5 has no effect for the baselines majority, "):
        run_baselines(["majority", "nearest"], dataset, seed=5)


@pytest.mark.parametrize(
    ("n_boot", "n_permutations", "seed", "refused"),
    [
        (0, 0, 5, True),
        (0, 0, 0, False),  # the default: not given
        (0, 40, 5, False),  # the permutations draw with it
        (MIN_REPLICATES, 0, 5, False),  # the bootstrap draws with it
    ],
)
def test_a_report_refuses_a_seed_that_draws_nothing_both_ways(
    dataset: Path, predictions: Path, n_boot: int, n_permutations: int, seed: int, refused: bool
) -> None:
    settings = {"n_boot": n_boot, "n_permutations": n_permutations, "seed": seed}
    options = ["--bootstrap", str(n_boot), "--permutations", str(n_permutations)]
    options += ["--seed", str(seed)] if seed else []
    code, stderr = cli("score", str(predictions), "--dataset", str(dataset), *options)
    if refused:
        with pytest.raises(InputError, match=r"^seed 5 has no effect with n_boot 0 and n_perm"):
            score_predictions(predictions, dataset, **settings)
        with pytest.raises(InputError, match=r"^seed 5 has no effect with n_boot 0 and n_perm"):
            bootstrap_intervals(
                {"m": np.ones(3)}, ["a", "b", "c"], {}, [], units=["u", "u", "u"], **settings
            )
        assert code == 2
        assert stderr.strip() == (
            "Error: --seed has no effect with --bootstrap 0 and --permutations 0; leave it out"
        )
        return
    report = score_predictions(predictions, dataset, **settings)
    assert code == 0, stderr
    assert json.loads(report.to_json())["n_scored"] == 18
