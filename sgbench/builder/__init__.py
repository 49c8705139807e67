"""The builder: WVS file → respondents table → subgroup aggregates → splits → dataset folder.

Each stage is its own module and only hands its result forward:

- :mod:`~sgbench.builder.reader` reads the needed columns and one country's rows;
- :mod:`~sgbench.builder.harmonise` makes the respondents table (attribute labels, scale
  positions, weights);
- :mod:`~sgbench.builder.subgroups` finds each stratum's subgroups and members;
- :mod:`~sgbench.builder.aggregate` computes every (subgroup, question) sample;
- :mod:`sgbench.splits` assigns splits;
- :mod:`~sgbench.builder.writer` writes parquet, manifest and card atomically.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sgbench import DATASET_VERSION, __version__
from sgbench.builder.aggregate import aggregate, valid_answer_counts
from sgbench.builder.card import render_card
from sgbench.builder.config import BuildConfig, load_config, stratum_name
from sgbench.builder.harmonise import harmonise
from sgbench.builder.reader import read_survey
from sgbench.builder.subgroups import find_subgroups
from sgbench.builder.synthetic import SYNTHETIC_FILE_NAME, synthetic_csv_bytes
from sgbench.builder.writer import write_dataset
from sgbench.catalogue import Item, load_catalogue
from sgbench.dataset import CONFIG_SPLITS
from sgbench.errors import ConfigError, InputError
from sgbench.publish import VERSION_POLICY
from sgbench.splits import assign_splits, split_manifest

__all__ = ["BuildSummary", "build_dataset"]


@dataclass(frozen=True)
class BuildSummary:
    """What a build read, kept and dropped; ``render()`` is the CLI's summary."""

    out_dir: Path
    manifest: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def render(self) -> str:
        """A human-readable summary of the build."""
        m = self.manifest
        built = m["built_from"]
        lines = [
            f"{m['name']} {m['version']} → {self.out_dir}",
            f"read {built['respondents']} respondents ({built['country']}) from {built['file']}"
            f" [{built['format']}]",
            f"items: {m['items']['kept']} kept, {len(m['items_dropped'])} dropped",
        ]
        reasons: dict[str, list[str]] = {}
        for question_id, reason in m["items_dropped"].items():
            reasons.setdefault(reason, []).append(question_id)
        for reason, ids in reasons.items():
            shown = ", ".join(ids[:12]) + (", …" if len(ids) > 12 else "")
            lines.append(f"  dropped {len(ids)}: {reason}: {shown}")
        dropped = m["subgroups"]["dropped"]
        lines.append(
            f"subgroups: {m['subgroups']['kept']} kept, {len(dropped)} dropped "
            f"(< {m['min_subgroup_size']} respondents)"
        )
        for entry in dropped[:8]:
            lines.append(f"  dropped {entry['subgroup_id']} ({entry['subgroup_size']})")
        if len(dropped) > 8:
            lines.append(f"  … and {len(dropped) - 8} more (see manifest.json)")
        lines.append(
            f"(subgroup, question) pairs below {m['min_valid_answers']} valid answers: "
            f"{m['pairs_below_min_valid_answers']}"
        )
        for config in CONFIG_SPLITS:
            counts = ", ".join(
                f"{split} {m['configs'][config][split]['samples']}"
                for split in CONFIG_SPLITS[config]
            )
            lines.append(f"samples [{config}]: {counts}")
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)


def _select_items(config: BuildConfig) -> list[Item]:
    catalogue = load_catalogue(config.wave)
    if config.items is None:
        return list(catalogue)
    known = {item.question_id for item in catalogue}
    unknown = [q for q in config.items if q not in known]
    if unknown:
        raise ConfigError(f"{config.source}: $.items: not in the catalogue: {unknown}")
    wanted = set(config.items)
    return [item for item in catalogue if item.question_id in wanted]


def _split_stats(frame: pd.DataFrame) -> dict[str, int]:
    return {
        "samples": len(frame),
        "subgroups": int(frame["subgroup_id"].nunique()),
        "questions": int(frame["question_id"].nunique()),
    }


def build_dataset(
    wvs_path: str | Path | None = None,
    out_dir: str | Path = "wvs-sg-subgroups",
    config_path: str | Path | None = None,
    country: str | None = None,
    weighted: bool = True,
) -> BuildSummary:
    """Build a dataset folder from a WVS Wave 7 file, or from the embedded SYNTHETIC sample.

    Args:
        wvs_path: the user's WVS download (.csv/.dta/.sav or the release .zip); None builds
            from the synthetic sample and marks everything SYNTHETIC.
        out_dir: the folder to write; replaced only when the new build is complete.
        config_path: a build config (YAML/JSON); None uses the paper's Singapore config.
        country: overrides the config's country (ISO alpha-3 or numeric code).
        weighted: weight answer distributions by the config's weight column when present.

    Raises:
        InputError: a bad input file, config or output folder (one line naming it); nothing
            is written then.
    """
    config = load_config(config_path)
    if country is not None:
        config = _with_country(config, country)
    items = _select_items(config)
    notes: list[str] = []
    attribute_columns = [spec.source.variable for spec in config.attributes.values()] + [
        spec.derive_from.variable
        for spec in config.attributes.values()
        if spec.derive_from is not None
    ]
    columns = [*attribute_columns, *(item.question_id for item in items)]
    if config.weight is not None:
        columns.append(config.weight)

    synthetic = wvs_path is None
    with tempfile.TemporaryDirectory(prefix="sgbench-synthetic-") as scratch:
        if wvs_path is None:
            wvs_path = Path(scratch) / SYNTHETIC_FILE_NAME
            wvs_path.write_bytes(synthetic_csv_bytes())
        survey = read_survey(wvs_path, columns, required=(), country=config.country)
    where = f"{survey.file_name}" + (f":{survey.member}" if survey.member else "")
    try:
        respondents = harmonise(
            survey.frame, config, [i for i in items if i.question_id in survey.frame], weighted
        )
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
    if weighted and config.weight is not None and not respondents.weighted:
        notes.append(f"no {config.weight} column: built unweighted")
    present = [item for item in items if item.question_id in survey.frame]
    items_dropped: dict[str, str] = {
        item.question_id: "not in the file" for item in items if item not in present
    }
    if not present:
        raise InputError(f"{where}: not WVS Wave 7 data: none of the catalogue's item columns")
    answered = valid_answer_counts(respondents.table, present)
    for item in present:
        if answered[item.question_id] == 0:
            items_dropped[item.question_id] = f"no valid answer in {config.country}"
    asked = [item for item in present if answered[item.question_id] > 0]
    if respondents.unexpected_codes:
        shown = ", ".join(f"{q} ({n})" for q, n in sorted(respondents.unexpected_codes.items()))
        notes.append(f"answers with codes the catalogue does not know, read as missing: {shown}")

    subgroups = find_subgroups(respondents.table, config)
    if not subgroups.table["kept"].any():
        raise InputError(
            f"{where}: no subgroup has {config.min_subgroup_size} respondents in {config.country}"
        )
    if not asked:
        raise InputError(f"{where}: no catalogue item has a valid answer in {config.country}")
    aggregates = aggregate(respondents.table, subgroups, asked, config.min_valid_answers)
    for question_id in aggregates.items_without_samples:
        items_dropped[question_id] = f"no subgroup with {config.min_valid_answers} valid answers"
    samples = aggregates.samples
    if samples.empty:
        raise InputError(f"{where}: no (subgroup, question) pair has enough valid answers")
    attribute_names = list(config.attributes)
    samples["subgroup"] = pd.Series(
        samples[attribute_names].to_dict("records"), index=samples.index, dtype=object
    )
    samples["country"] = config.country
    samples["wave"] = config.wave

    ood = [stratum_name(s) for s in config.ood_strata]
    assignments = assign_splits(
        samples, ood, config.split_seed, config.validation_fraction, config.test_id_fraction
    )
    splits = {
        (name, split): samples[assignment == split].reset_index(drop=True)
        for name, assignment in assignments.items()
        for split in CONFIG_SPLITS[name]
    }
    manifest = _manifest(
        config,
        survey,
        respondents,
        synthetic,
        items,
        items_dropped,
        subgroups,
        aggregates,
        splits,
        ood,
    )
    written = write_dataset(out_dir, splits, attribute_names, manifest, render_card)
    if synthetic:
        notes.append("SYNTHETIC build: not WVS data; use --wvs FILE for real figures")
    return BuildSummary(out_dir=Path(out_dir), manifest=written, notes=notes)


def _with_country(config: BuildConfig, country: str) -> BuildConfig:
    from dataclasses import replace

    code = country.strip().upper()
    if not code:
        raise ConfigError("--country: empty country code")
    name = config.country_name if code == config.country.upper() else code
    return replace(config, country=code, country_name=name)


def _manifest(
    config: BuildConfig,
    survey: Any,
    respondents: Any,
    synthetic: bool,
    items: list[Item],
    items_dropped: dict[str, str],
    subgroups: Any,
    aggregates: Any,
    splits: dict[tuple[str, str], pd.DataFrame],
    ood: list[str],
) -> dict[str, Any]:
    dropped = subgroups.table[~subgroups.table["kept"]]
    catalogue_hash = hashlib.sha256(
        "\n".join(f"{i.question_id}:{i.codes}" for i in items).encode()
    ).hexdigest()
    return {
        "name": config.name,
        "version": DATASET_VERSION + ("+synthetic" if synthetic else ""),
        "version_policy": dict(VERSION_POLICY),
        "synthetic": synthetic,
        "sgbench_version": __version__,
        "built_from": {
            "file": survey.file_name,
            "member": survey.member,
            "sha256": survey.sha256,
            "format": "synthetic (csv)" if synthetic else survey.format,
            "wave": config.wave,
            "country": config.country,
            "respondents": len(survey.frame),
        },
        "weight": config.weight if respondents.weighted else None,
        "attributes": {
            name: source.to_manifest() for name, source in respondents.attribute_sources.items()
        },
        "strata": [list(stratum) for stratum in config.strata],
        "min_subgroup_size": config.min_subgroup_size,
        "min_valid_answers": config.min_valid_answers,
        "items": {
            "catalogue": f"wvs{config.wave}",
            "catalogue_sha256": catalogue_hash,
            "requested": len(items),
            "kept": len(items) - len(items_dropped),
        },
        "items_dropped": items_dropped,
        "subgroups": {
            "kept": int(subgroups.table["kept"].sum()),
            "dropped": [
                {"subgroup_id": row.subgroup_id, "subgroup_size": int(row.subgroup_size)}
                for row in dropped.itertuples()
            ],
        },
        "pairs_below_min_valid_answers": aggregates.pairs_below_threshold,
        "splits": split_manifest(
            ood,
            [stratum_name(s) for s in config.strata if stratum_name(s) not in ood],
            config.split_seed,
            config.validation_fraction,
            config.test_id_fraction,
        ),
        "configs": {
            name: {split: _split_stats(splits[(name, split)]) for split in split_names}
            for name, split_names in CONFIG_SPLITS.items()
        },
    }
