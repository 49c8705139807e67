"""Boundary entries of the build family's public API: builder, catalogue,
splits and the top-level names
(tests/api_boundary.py says what an entry is).

ENTRIES: one :class:`~api_boundary.Entry` per public callable. NOT_CALLED: every other public
name of these packages (``module.name`` → why it is not called: a constant, a result class
only sgbench constructs, an exception class).

Builds run on a tiny SYNTHETIC input (120 respondents, 6 items, two attributes, thresholds of
5) so that each case takes a tenth of a second; what they check is the boundary, not the
figures, which tests/test_build.py checks on the full sample.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from api_boundary import Entry, PathCase

from sgbench.builder import (
    BuildSummary,
    build_dataset,
    resolve_config,
    write_synthetic_sample,
)
from sgbench.builder.config import BuildConfig
from sgbench.builder.synthetic import synthetic_csv_bytes
from sgbench.catalogue import (
    Item,
    country_numeric_code,
    items_by_id,
    load_catalogue,
    load_countries,
    load_crosswalk,
    load_value_labels,
)
from sgbench.splits import SPLIT_DEFINITIONS, assign_splits, question_splits, split_manifest

TINY_CONFIG: dict[str, Any] = {
    "name": "tiny",
    "wave": 7,
    "country": "SGP",
    "country_name": "Singapore",
    "weight": "W_WEIGHT",
    "min_subgroup_size": 5,
    "min_valid_answers": 5,
    "items": ["Q1", "Q2", "Q3", "Q4", "Q5", "Q6"],
    "validation_fraction": 0,
    "test_id_fraction": 0,
    "attributes": {
        "sex": {
            "variable": "Q260",
            "values": {"Male": [1], "Female": [2]},
            "persona": {"role": "noun", "phrases": {"Male": "man", "Female": "woman"}},
        },
        "religion": {"variable": "Q289", "values": {"No religion": [0], "Buddhist": [7]}},
    },
    "strata": [["sex"], ["religion"], ["sex", "religion"]],
    "ood_strata": [["sex", "religion"]],
}
"""A build config small enough for a build in a tenth of a second (JSON is YAML)."""


@cache
def _tiny_csv() -> bytes:
    return synthetic_csv_bytes(n=120)


def _tiny_inputs(folder: Path) -> tuple[Path, Path]:
    wvs = folder / "w.csv"
    wvs.write_bytes(_tiny_csv())
    config = folder / "c.json"
    config.write_text(json.dumps(TINY_CONFIG), encoding="utf-8")
    return wvs, config


def _hostile_config(change: dict[str, Any]) -> PathCase:
    """The tiny config with ``change`` applied, written beside the valid one (YAML, so that a
    NaN can be written)."""

    def make(folder: Path, valid: dict[str, Any]) -> Path:
        path = folder / "hostile.yaml"
        text = json.dumps({**TINY_CONFIG, **change}).replace('"NAN"', ".nan")
        path.write_text(text, encoding="utf-8")
        return path

    return PathCase(make)


HOSTILE_CONFIGS: tuple[tuple[str, Any], ...] = (
    ("nan-fraction", _hostile_config({"validation_fraction": "NAN"})),
    ("fractions-sum-1", _hostile_config({"validation_fraction": 0.5, "test_id_fraction": 0.5})),
    ("huge-min-size", _hostile_config({"min_subgroup_size": 2**62})),
    ("unknown-item", _hostile_config({"items": ["Q99999"]})),
    ("a-list", PathCase(lambda folder, valid: _written(folder / "list.yaml", "[1, 2]\n"))),
    ("deep", PathCase(lambda folder, valid: _written(folder / "deep.yaml", "[" * 10_000))),
)
"""Configs a careless or hostile caller could give: each is refused (ConfigError)."""


def _written(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _bytes(path: Path) -> Path:
    path.write_bytes(bytes(range(256)) * 16)
    return path


def _zipped_garbage(folder: Path, valid: dict[str, Any]) -> Path:
    path = folder / "w.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("w.csv", bytes(range(256)) * 16)
    return path


def _symlink_to_foreign(folder: Path, valid: dict[str, Any]) -> Path:
    """Where the output goes, a symlink to someone's folder (its page must survive)."""
    site = folder / "site"
    site.mkdir()
    (site / "about.html").write_text("<p>someone's page</p>\n", encoding="utf-8")
    link = folder / "ds-link"
    link.symlink_to(site, target_is_directory=True)
    return link


def _build_with_notes(folder: Path, valid: dict[str, Any]) -> Path:
    """An earlier build to which someone added a file: no longer only sgbench's to replace."""
    out = folder / "earlier"
    build_dataset(valid["wvs_path"], out, valid["config_path"])
    (out / "notes.txt").write_text("my notes on this build\n", encoding="utf-8")
    return out


def _build(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    wvs, config = _tiny_inputs(folder)
    return {
        "wvs_path": wvs,
        "out_dir": folder / "ds",
        "config_path": config,
        "country": "SGP",
        "weighted": True,
        "waves": [7],
    }


def _built(summary: BuildSummary) -> bool:
    """A build's summary names a folder holding its manifest, and renders."""
    return (
        isinstance(summary, BuildSummary)
        and (summary.out_dir / "manifest.json").is_file()
        and bool(summary.render())
    )


def _resolve(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    _, config = _tiny_inputs(folder)
    return {"config_path": config, "country": "SGP"}


def _source_resolved(config: BuildConfig, cwd: Path) -> BuildConfig:
    """A config whose ``source`` (the file named as the caller spelled it, for messages) is the
    place it names."""
    return replace(config, source=os.path.normpath(os.path.join(cwd, config.source)))


def _synth(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"path": folder / "s.csv", "seed": 1, "n": 50, "layout": "wvs7"}


def _synthetic_file(path: Path) -> bool:
    return isinstance(path, Path) and path.is_file() and path.stat().st_size > 0


COUNTRIES: tuple[tuple[str, Any], ...] = (
    ("numeric", "702"),
    ("lower", "sgp"),
    ("unknown", "ZZZ"),
    ("all", "ALL"),
    ("superscript-digit", "7²"),
)
"""Country codes beyond the kinds: other spellings of Singapore, an unknown code, every
country, digits that are not ASCII."""


def _question_splits(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {
        "question_ids": ["Q1", "Q2", "Q3", "Q4"],
        "seed": 0,
        "validation_fraction": 0.25,
        "test_id_fraction": 0.25,
    }


def _split_names(splits: Any) -> bool:
    """Every question gets one of the ``default`` config's splits, and one trains."""
    names = list(splits)
    return set(names) <= set(SPLIT_DEFINITIONS["default"]) and (not names or "train" in names)


SAMPLES = pd.DataFrame(
    {
        "stratum": ["sex", "sex", "sex_x_religion", "sex_x_religion"],
        "question_id": ["Q1", "Q2", "Q1", "Q2"],
    }
)
"""Four samples: two of a training stratum, two of a held-out one."""


def _assign(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {
        "samples": SAMPLES.copy(),
        "ood_strata": ["sex_x_religion"],
        "seed": 0,
        "validation_fraction": 0.25,
        "test_id_fraction": 0.25,
    }


def _assigned(result: Any) -> bool:
    """Each config's splits: one of its own split names for every sample."""
    return set(result) == {"default", "paper"} and all(
        set(series.dropna()) <= set(SPLIT_DEFINITIONS[name]) for name, series in result.items()
    )


def _manifest(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {
        "ood_strata": ["sex_x_religion"],
        "in_distribution_strata": ["sex"],
        "seed": 0,
        "validation_fraction": 0.05,
        "test_id_fraction": 0.10,
    }


def _wave(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"wave": 7}


def _no_arguments(folder: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    return {}


def _catalogue(result: Any) -> bool:
    return len(result) > 0 and all(isinstance(item, Item) for item in result)


ENTRIES: list[Entry] = [
    Entry(
        "sgbench.builder.build_dataset",
        build_dataset,
        _build,
        inputs=("wvs_path", "config_path"),
        outputs=("out_dir",),
        result_ok=_built,
        extra={
            "wvs_path": (
                ("binary-csv", PathCase(lambda folder, valid: _bytes(folder / "b.csv"))),
                ("binary-in-zip", PathCase(_zipped_garbage)),
                ("[]", []),
                ("[None]", [None]),
                ("a-list", PathCase(lambda folder, valid: [valid["wvs_path"]])),
                ("twice", PathCase(lambda folder, valid: [valid["wvs_path"]] * 2)),
            ),
            "config_path": HOSTILE_CONFIGS,
            "out_dir": (
                ("under-an-input-file", PathCase(lambda folder, valid: valid["wvs_path"] / "ds")),
                ("the-folder-of-inputs", PathCase(lambda folder, valid: folder)),
                ("foreign-symlink", PathCase(_symlink_to_foreign)),
                ("foreign-build-with-notes", PathCase(_build_with_notes)),
            ),
            "country": COUNTRIES,
            "waves": (
                ("[-1]", [-1]),
                ("[0]", [0]),
                ("[2**62]", [2**62]),
                ("[7,7]", [7, 7]),
                ("[6]", [6]),
                ("[True]", [True]),
                ("['7']", ["7"]),
                ("[7.5]", [7.5]),
            ),
        },
    ),
    Entry(
        "sgbench.builder.resolve_config",
        resolve_config,
        _resolve,
        inputs=("config_path",),
        result_ok=lambda config: isinstance(config, BuildConfig),
        normalise=_source_resolved,
        extra={"config_path": HOSTILE_CONFIGS, "country": COUNTRIES},
    ),
    Entry(
        "sgbench.builder.write_synthetic_sample",
        write_synthetic_sample,
        _synth,
        outputs=("path",),
        result_ok=_synthetic_file,
        extra={
            "path": (
                ("someones-csv", PathCase(lambda folder, valid: _written(folder / "m.csv", "a\n"))),
                ("dta", PathCase(lambda folder, valid: folder / "s.dta")),
                (
                    "under-a-file",
                    PathCase(lambda folder, valid: _written(folder / "f", "") / "s.csv"),
                ),
            ),
        },
    ),
    Entry(
        "sgbench.catalogue.load_catalogue",
        load_catalogue,
        _wave,
        result_ok=_catalogue,
        extra={"wave": (("6", 6),)},
    ),
    Entry(
        "sgbench.catalogue.items_by_id",
        items_by_id,
        _wave,
        result_ok=lambda items: len(items) > 0,
        extra={"wave": (("6", 6),)},
    ),
    Entry("sgbench.catalogue.load_countries", load_countries, _no_arguments),
    Entry("sgbench.catalogue.load_crosswalk", load_crosswalk, _no_arguments),
    Entry("sgbench.catalogue.load_value_labels", load_value_labels, _no_arguments),
    Entry(
        "sgbench.catalogue.country_numeric_code",
        country_numeric_code,
        lambda folder, request: {"alpha": "SGP"},
        result_ok=lambda code: code is None or (isinstance(code, int) and code > 0),
        extra={"alpha": (("lower", "sgp"), ("numeric", "702"), ("unknown", "ZZZ"))},
    ),
    Entry(
        "sgbench.splits.question_splits",
        question_splits,
        _question_splits,
        result_ok=_split_names,
        extra={
            "question_ids": (("[]", []), ("[None]", [None]), ("twice", ["Q1", "Q1"])),
            "validation_fraction": (("0.99", 0.99),),
        },
    ),
    Entry(
        "sgbench.splits.assign_splits",
        assign_splits,
        _assign,
        result_ok=_assigned,
        extra={
            "samples": (
                ("no-columns", pd.DataFrame()),
                ("no-rows", SAMPLES.iloc[:0]),
                ("no-stratum", SAMPLES.drop(columns="stratum")),
                ("none-question", SAMPLES.assign(question_id=["Q1", None, "Q1", None])),
                ("int-question", SAMPLES.assign(question_id=[1, 2, 1, 2])),
            ),
            "ood_strata": (("[]", []), ("[None]", [None]), ("unknown", ["no_such_stratum"])),
        },
    ),
    Entry(
        "sgbench.splits.split_manifest",
        split_manifest,
        _manifest,
        result_ok=lambda manifest: json.loads(json.dumps(manifest)) == manifest,
        extra={
            "ood_strata": (("[]", []), ("[None]", [None])),
            "in_distribution_strata": (("[]", []), ("[None]", [None])),
        },
    ),
]
NOT_CALLED: dict[str, str] = {
    "sgbench.DATASET_NAME": "a constant",
    "sgbench.DATASET_VERSION": "a constant",
    "sgbench.__version__": "a constant",
    "sgbench.builder.BuildSummary": "a result class only build_dataset constructs",
    "sgbench.catalogue.ALL_COUNTRIES": "a constant",
    "sgbench.catalogue.SECTIONS": "a constant",
    "sgbench.catalogue.Country": "a record only the catalogue constructs",
    "sgbench.catalogue.Equivalent": "a record only the catalogue constructs",
    "sgbench.catalogue.Item": "a record only the catalogue constructs",
    "sgbench.catalogue.Option": "a record only the catalogue constructs",
    "sgbench.splits.SPLIT_DEFINITIONS": "a constant",
}
