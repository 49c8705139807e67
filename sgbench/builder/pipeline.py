"""Orchestration of a build: read each wave, aggregate, split, and write the dataset folder."""

from __future__ import annotations

import numbers
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sgbench.boundary import ArgumentName, PathArg, public
from sgbench.builder.aggregate import (
    Aggregates,
    aggregate,
    samples_per_subgroup,
    valid_answer_counts,
)
from sgbench.builder.card import render_card
from sgbench.builder.config import (
    COUNTRY_ATTRIBUTE,
    DEFAULT_CONFIG,
    BuildConfig,
    ValueRange,
    resolve_config,
    shipped_config,
    stratum_name,
)
from sgbench.builder.disclosure import Control, control, recoverable_groups
from sgbench.builder.harmonise import Respondents, harmonise
from sgbench.builder.layouts import SYNTHETIC_COLUMN
from sgbench.builder.manifest import Manifest, WaveRecord, build_manifest, disclosure_record
from sgbench.builder.reader import WAVE, YEAR, SurveyData, read_survey
from sgbench.builder.samples import SampleSet, SplitRows
from sgbench.builder.subgroups import Subgroups, find_subgroups
from sgbench.builder.summary import BuildSummary
from sgbench.builder.synthetic import SYNTHETIC_FILE_NAME, synthetic_csv_bytes
from sgbench.builder.writer import write_dataset
from sgbench.catalogue import Item, load_catalogue
from sgbench.dataset import (
    CONFIG_SPLITS,
    ITEM_NOT_IN_FILE,
    item_unanswered,
    item_without_samples,
)
from sgbench.errors import (
    ConfigError,
    InputError,
    check_each,
    shown_name,
    size_limit_hit,
    write_reason,
)
from sgbench.files import check_outputs_apart, reads, writing_folder
from sgbench.schema.ids import id_suffix
from sgbench.splits import assign_splits
from sgbench.splits.overlap import train_overlap
from sgbench.splits.temporal import temporal_split


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


@dataclass(frozen=True)
class WaveBuild:
    """The samples of one wave, and what building them found."""

    wave: int
    samples: SampleSet
    respondents: Respondents
    subgroups: Subgroups
    aggregates: Aggregates
    items_dropped: dict[str, str]
    n_respondents: int
    years: dict[str, int | None]
    """Survey year per country label (the most common ``A_YEAR``)."""
    overlap: pd.DataFrame
    """Per kept subgroup, in sample-set order: ``subgroup_id``, ``held_out`` (an OOD stratum),
    ``train_subgroup`` (the most-overlapping training subgroup, or None) and ``jaccard``."""
    disclosure: Control
    """What the disclosure control withheld and what the exact audit finds in what is kept."""
    withheld_samples: int
    """Samples the withheld subgroups would have published."""


def _survey_years(frame: pd.DataFrame, country_label: pd.Series) -> dict[str, int | None]:
    if YEAR not in frame:
        return {str(c): None for c in country_label.unique()}
    years = frame[YEAR].where(frame[YEAR] > 0)
    return {
        str(label): (None if group.dropna().empty else int(group.mode().iloc[0]))
        for label, group in years.groupby(country_label, sort=True)
    }


def _check_attributes_found(
    frame: pd.DataFrame, respondents: Respondents, config: BuildConfig, where: str, wave: int
) -> None:
    """Refuse an attribute that no respondent has a value of (its codes are not the variable's).

    Its strata were silently empty: an attribute pointed at the wrong column (ethnicity codes
    on Q260) built with exit 0, with `[ethnicity]` and two of the three OOD strata holding no
    subgroup, and `validate` passed the dataset: the test_ood split meant something else.
    """
    for name in config.attributes:
        if (respondents.table[name].cat.codes >= 0).any():
            continue
        variable = respondents.attribute_sources[name].variable
        held = sorted(
            {int(c) for c in frame[variable].dropna() if c >= 0 and float(c).is_integer()}
        )
        shown = ", ".join(map(str, held[:6])) + (", ..." if len(held) > 6 else "") or "no code"
        raise InputError(
            f"{config.source}: $.attributes.{name}: no respondent of {config.country} in {where} "
            f"(wave {wave}) has one of its values; {variable} holds {shown}. Point "
            f"$.attributes.{name}.variable at the column holding its codes, or remove the "
            "attribute and its strata"
        )


def _check_strata_kept(subgroups: Subgroups, config: BuildConfig, where: str, wave: int) -> None:
    """Refuse a stratum of the config that keeps no subgroup.

    `min_subgroup_size: 200` dropped every subgroup of age_group x religion: the build said
    which subgroups were dropped, not that test_ood now held two of its three strata, and
    exited 0 (the OOD split meant something else than the config says).
    """
    table = subgroups.table
    kept = set(table.loc[table["kept"], "stratum"])
    for stratum in config.strata:
        name = stratum_name(stratum)
        if name in kept:
            continue
        key = "$.ood_strata" if stratum in config.ood_strata else "$.strata"
        sizes = table.loc[table["stratum"] == name, "subgroup_size"].to_numpy()
        largest = int(sizes.max(initial=0))
        raise InputError(
            f"{config.source}: {key}: {name} keeps no subgroup in {where} (wave {wave}): the "
            f"largest has {largest} respondents, below $.min_subgroup_size "
            f"{config.min_subgroup_size}; lower it or remove the stratum"
        )


def _build_wave(
    frame: pd.DataFrame,
    wave: int,
    config: BuildConfig,
    items: list[Item],
    weighted: bool,
    where: str,
    latest_wave: int,
) -> WaveBuild:
    present = [item for item in items if item.question_id in frame]
    items_dropped: dict[str, str] = {
        item.question_id: ITEM_NOT_IN_FILE for item in items if item not in present
    }
    if not present:
        raise InputError(f"{where}: none of the catalogue's items is in the file (wave {wave})")
    try:
        respondents = harmonise(frame, config, present, weighted)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
    _check_attributes_found(frame, respondents, config, where, wave)
    answered = valid_answer_counts(respondents.table, present)
    for item in present:
        if answered[item.question_id] == 0:
            items_dropped[item.question_id] = item_unanswered(config.country)
    asked = [item for item in present if answered[item.question_id] > 0]
    if not asked:
        raise InputError(f"{where}: no catalogue item has a valid answer in {config.country}")
    subgroups = find_subgroups(respondents.table, config)
    if not subgroups.table["kept"].any():
        raise InputError(
            f"{where}: no subgroup has {config.min_subgroup_size} respondents in {config.country}"
        )
    _check_strata_kept(subgroups, config, where, wave)
    # Every wave is controlled: an earlier wave's samples are published in `temporal` too.
    samples_of = samples_per_subgroup(respondents.table, subgroups, asked, config.min_valid_answers)
    # Withhold what loses the fewest samples, then the fewest respondents.
    cost = samples_of * (len(frame) + 1) + subgroups.table["subgroup_size"].to_numpy(np.int64)
    controlled = control(
        respondents.table, subgroups, config.min_subgroup_size, cost, config.disclosure_control
    )
    withheld_samples = int(
        samples_of[subgroups.table["subgroup_id"].isin(controlled.withheld)].sum()
    )
    subgroups = controlled.subgroups
    if not subgroups.table["kept"].any():
        raise InputError(
            f"{where}: every subgroup in {config.country} would let a group of fewer than "
            f"{config.min_subgroup_size} respondents be recovered by subtraction, so "
            f"{config.source}: $.disclosure_control (suppress) withheld them all"
        )
    aggregates = aggregate(respondents.table, subgroups, asked, config.min_valid_answers)
    for question_id in aggregates.items_without_samples:
        items_dropped[question_id] = item_without_samples(config.min_valid_answers)
    samples = aggregates.samples
    if samples.num_rows == 0:
        raise InputError(f"{where}: no (subgroup, question) pair has enough valid answers")
    if COUNTRY_ATTRIBUTE in config.attributes:
        country_label = respondents.table[COUNTRY_ATTRIBUTE].astype(object)
        country = samples.subgroups[COUNTRY_ATTRIBUTE]
    else:
        country_label = pd.Series(config.country, index=frame.index)
        country = pa.array([config.country] * samples.subgroups.num_rows, pa.string())
    years = _survey_years(frame, country_label)
    year = pa.array(list(years.values()), pa.int32()).take(
        pc.index_in(country, value_set=pa.array(list(years), pa.string()))
    )
    subgroup_table = samples.subgroups
    if COUNTRY_ATTRIBUTE not in subgroup_table.column_names:
        subgroup_table = subgroup_table.append_column("country", country)
    overlap = _overlap(subgroups, config)
    subgroup_table = subgroup_table.append_column(
        "train_overlap", pa.array(overlap["jaccard"].to_numpy(np.float64))
    )
    samples = replace(
        samples,
        subgroups=subgroup_table.append_column("year", year),
        wave=wave,
        id_suffix=id_suffix(wave, latest_wave),
    )
    return WaveBuild(
        wave=wave,
        samples=samples,
        respondents=respondents,
        subgroups=subgroups,
        aggregates=aggregates,
        items_dropped=items_dropped,
        n_respondents=len(frame),
        years=years,
        overlap=overlap,
        disclosure=controlled,
        withheld_samples=withheld_samples,
    )


def _overlap(subgroups: Subgroups, config: BuildConfig) -> pd.DataFrame:
    """:attr:`WaveBuild.overlap`: each kept subgroup's nearest training subgroup."""
    table = subgroups.table
    train_strata = np.array([s not in config.ood_strata for s in config.strata])
    best, jaccard = train_overlap(subgroups.membership, train_strata, len(table))
    kept = np.flatnonzero(table["kept"].to_numpy())
    ids = table["subgroup_id"].astype(str).to_numpy()
    ood = {stratum_name(s) for s in config.ood_strata}
    return pd.DataFrame(
        {
            "subgroup_id": ids[kept],
            "held_out": table["stratum"].isin(ood).to_numpy()[kept],
            "train_subgroup": [None if b < 0 else str(ids[b]) for b in best[kept]],
            "jaccard": jaccard[kept],
        }
    )


def _measures(config: BuildConfig, weight: str | None) -> set[str]:
    """The columns holding quantities: the ``weight`` read, and the attribute variables a config
    reads only by ranges (``{min, max}``: an age). A variable read by a code list anywhere holds
    codes, the weight's column too (an attribute reading it by codes took a weight of 1.5 as a
    missing code, with exit code 0, where ``--unweighted`` refused it)."""
    sources = [spec.source for spec in config.attributes.values()] + [
        spec.derive_from for spec in config.attributes.values() if spec.derive_from is not None
    ]
    ranged = {
        s.variable for s in sources if any(isinstance(r, ValueRange) for r in s.values.values())
    }
    coded = {
        s.variable for s in sources if not all(isinstance(r, ValueRange) for r in s.values.values())
    }
    return (ranged | ({weight} if weight is not None else set())) - coded


def _as_paths(wvs_path: PathArg | Sequence[PathArg] | None) -> list[Path]:
    if wvs_path is None:
        return []
    if isinstance(wvs_path, str | os.PathLike):
        return [Path(wvs_path)]
    check_each(wvs_path, (str, os.PathLike), "build_dataset(): argument 'wvs_path'", "a path")
    return [Path(p) for p in wvs_path]


@public
@reads(wvs_path="--wvs", config_path="--config")
def build_dataset(
    wvs_path: PathArg | Sequence[PathArg] | None = None,
    out_dir: PathArg | None = None,
    config_path: PathArg | None = None,
    country: str | None = None,
    weighted: bool = True,
    waves: Sequence[int] | None = None,
) -> BuildSummary:
    """Build a dataset folder from WVS files, or from the embedded SYNTHETIC sample.

    Args:
        wvs_path: the user's WVS download(s): Wave 7 or Wave 6 cross-national files or the
            Time Series file (.csv/.dta/.sav or the release .zip); several files (or a Time
            Series file with ``waves``) give several waves. None builds from the synthetic
            sample and marks everything SYNTHETIC.
        out_dir: the folder to write, by default the dataset's name in the working folder
            (``wvs-sg-subgroups`` for Singapore); replaced only when the new build is complete.
        config_path: a build config (YAML/JSON); None picks the shipped config for the country.
        country: ISO alpha-3 or numeric code, or ``ALL``; overrides the config's country.
        weighted: weight answer distributions by the config's weight column when present.
        waves: waves to read from Time Series files (default: 7).

    The latest wave read gives the ``default`` and ``paper`` configs; with earlier waves, a
    ``temporal`` config pairs their answers (train) with the latest wave's (test).

    Raises:
        InputError: a bad input file, config or output folder (one line naming it); nothing
            is written then.
    """
    # Empty is not None: [] crashed on an empty list of waves found, and waves=[] built wave 7.
    if wvs_path is not None and not _as_paths(wvs_path):
        raise InputError(
            "wvs_path: an empty list of files; give one, or None for the SYNTHETIC sample"
        )
    if waves is not None and not list(waves):
        raise InputError("waves: an empty list; give one, or None for wave 7")
    check_each(
        waves or (), (numbers.Integral,), "build_dataset(): argument 'waves'", "a wave number"
    )
    wvs_arg, config_arg, out_arg = (
        ArgumentName("wvs_path", "--wvs"),
        ArgumentName("config_path", "--config"),
        ArgumentName("out_dir", "--out"),
    )
    inputs = [*((wvs_arg, p) for p in _as_paths(wvs_path)), (config_arg, config_path)]
    check_outputs_apart(inputs, [(out_arg, out_dir)])
    config = resolve_config(config_path, country)
    out_dir = Path(config.name) if out_dir is None else Path(out_dir)
    check_outputs_apart(inputs, [(out_arg, out_dir)])
    with writing_folder(out_dir, "build", name=out_arg):
        return _build(config, out_dir, out_arg, wvs_path, weighted, waves)


def _build(
    config: BuildConfig,
    out_dir: Path,
    out_arg: ArgumentName,
    wvs_path: PathArg | Sequence[PathArg] | None,
    weighted: bool,
    waves: Sequence[int] | None,
) -> BuildSummary:
    """:func:`build_dataset` once its arguments are checked and ``out_dir``'s lock is held."""
    items = _select_items(config)
    notes: list[str] = []
    attribute_columns = [spec.source.variable for spec in config.attributes.values()] + [
        spec.derive_from.variable
        for spec in config.attributes.values()
        if spec.derive_from is not None
    ]
    columns = [*attribute_columns, *(item.question_id for item in items)]
    # The columns that may hold fractions; the reader refuses one in any other (a code).
    # Unweighted, the weight's column is not read at all: whatever it holds cannot matter.
    weight = config.weight if weighted else None
    measures = _measures(config, weight)
    if weight is not None:
        columns.append(weight)

    synthetic = wvs_path is None
    paths = _as_paths(wvs_path)
    surveys: list[SurveyData] = []
    # The embedded sample is read like a user's file, from a temporary copy nobody else sees:
    # messages call it by what it is, never by that path.
    name = "the embedded SYNTHETIC sample" if synthetic else None
    try:
        scratch_dir = tempfile.TemporaryDirectory(prefix="sgbench-synthetic-")
    except OSError as exc:
        raise InputError(f"cannot create a temporary folder ({exc.strerror}); set TMPDIR") from None
    with scratch_dir as scratch:
        if synthetic:
            paths = [Path(scratch) / SYNTHETIC_FILE_NAME]
            try:
                paths[0].write_bytes(synthetic_csv_bytes())
            except OSError as exc:
                # Another folder helps a full or read-only one, not the file size limit. The
                # copy's own folder is never named: it is gone once the command ends.
                advice = (
                    ""
                    if size_limit_hit(exc)
                    else f"; set TMPDIR to a writable folder (now {Path(scratch).parent})"
                )
                raise InputError(
                    f"cannot write the embedded SYNTHETIC sample ({write_reason(exc)}){advice}"
                ) from None
        for path in paths:
            surveys.append(
                read_survey(
                    path,
                    columns,
                    country=config.country,
                    waves=waves,
                    name=name,
                    measures=measures,
                )
            )

    # One rule for every input: the embedded sample, or any file carrying the mark of
    # `sgbench synth` (renamed, zipped, in any format), makes the whole build SYNTHETIC.
    synthetic = synthetic or any(survey.synthetic for survey in surveys)

    def file_shown(survey: SurveyData) -> str:
        # As typed, as the reader's messages name it (a weight error named c.csv for
        # data/c.csv); the embedded sample's temporary copy is never named.
        return survey.shown

    by_wave: dict[int, SurveyData] = {}
    for survey in surveys:
        for wave in sorted({int(w) for w in survey.frame[WAVE].unique()}):
            if wave in by_wave:
                raise InputError(
                    f"{file_shown(survey)}: wave {wave} is also in {file_shown(by_wave[wave])}; "
                    "give each wave once"
                )
            by_wave[wave] = survey
    absent = sorted(set(waves or ()) - set(by_wave))
    if absent:
        # Each file keeps the waves it has; a wave asked for and found in none would otherwise
        # vanish from a build that claims it.
        files = ", ".join(file_shown(survey) for survey in surveys)
        raise InputError(
            f"{ArgumentName('waves', '--wave')} {absent[0]}: no respondent of {config.country} "
            f"in that wave in {files} "
            f"(waves found: {sorted(by_wave)})"
        )
    primary_wave = max(by_wave)
    builds: dict[int, WaveBuild] = {}
    for wave in sorted(by_wave, reverse=True):
        survey = by_wave[wave]
        where = file_shown(survey) + (f":{survey.member}" if survey.member else "")
        frame = survey.frame[survey.frame[WAVE] == wave].reset_index(drop=True)
        builds[wave] = _build_wave(
            frame, wave, config, items, weighted, where, latest_wave=primary_wave
        )
    primary = builds[primary_wave]
    if primary.respondents.unexpected_codes:
        shown = ", ".join(
            f"{q} ({n})" for q, n in sorted(primary.respondents.unexpected_codes.items())
        )
        notes.append(f"answers with codes the catalogue does not know, read as missing: {shown}")

    samples = primary.samples
    ood = [stratum_name(s) for s in config.ood_strata]
    assignments = assign_splits(
        samples.split_keys(),
        ood,
        config.split_seed,
        config.validation_fraction,
        config.test_id_fraction,
    )
    too_close = _too_close(primary.overlap, config.max_train_overlap)
    if too_close:
        # Their samples are only ever in test_ood; dropping them leaves every other split as is.
        subgroup_ids = samples.subgroups["subgroup_id"].to_numpy(zero_copy_only=False)
        near = np.isin(subgroup_ids, sorted(too_close))[samples.rows["subgroup"].to_numpy()]
        assignments = {name: a.where(~near, None) for name, a in assignments.items()}
    splits = {
        (name, split): SplitRows(((samples, np.flatnonzero((assignment == split).to_numpy())),))
        for name, assignment in assignments.items()
        for split in CONFIG_SPLITS[name]
    }
    if len(builds) > 1:
        earlier = [b.samples for w, b in sorted(builds.items()) if w != primary_wave]
        rows = temporal_split(_pair_keys(samples), [_pair_keys(e) for e in earlier])
        splits[("temporal", "train")] = SplitRows(tuple(zip(earlier, rows["train"], strict=True)))
        splits[("temporal", "test")] = SplitRows(((samples, rows["test"][0]),))
    _check_not_empty(splits, config)
    manifest = _manifest(config, by_wave, primary, builds, synthetic, items, splits, too_close)
    written = write_dataset(
        out_dir, splits, list(config.attributes), manifest, render_card, name=out_arg
    )
    # A note is part of the result, which is the same however the path is spelled (relative
    # or absolute): the file's own name, where errors give the path as typed.
    marked = [survey.file_name for survey in surveys if survey.synthetic and not name]
    if marked:
        notes.append(
            f"SYNTHETIC build: {shown_name(marked[0])} carries the mark of `sgbench synth` (column "
            f"{SYNTHETIC_COLUMN}): not WVS data, and not pushed without --allow-synthetic"
        )
    elif synthetic:
        notes.append("SYNTHETIC build: not WVS data; use --wvs FILE for real figures")
    return BuildSummary(out_dir=out_dir, manifest=written, notes=notes)


def _check_not_empty(splits: dict[tuple[str, str], SplitRows], config: BuildConfig) -> None:
    """Refuse a build whose training or held-out split has no sample: the thresholds emptied it
    (``max_train_overlap: 0`` dropped every OOD subgroup), and a benchmark without a test set
    would otherwise be written, validated and scored with exit code 0. So is a ``validation``
    or ``test_id`` split the config asks for (a fraction above 0) that gets no question (too
    few items for the fraction, e.g. ``items: [Q1]``); a fraction of 0 asks for none."""
    asked = {"validation": config.validation_fraction, "test_id": config.test_id_fraction}
    for (name, split), rows in sorted(splits.items()):
        if rows.num_rows:
            continue
        if split in (CONFIG_SPLITS[name][0], CONFIG_SPLITS[name][-1]):
            raise ConfigError(
                f"{config.source}: the build leaves split {split} of config {name} without any "
                "sample; loosen $.min_subgroup_size, $.min_valid_answers or "
                "$.max_train_overlap, or change $.ood_strata"
            )
        if asked.get(split, 0) > 0:
            raise ConfigError(
                f"{config.source}: $.{split}_fraction is {asked[split]:g} but split {split} of "
                f"config {name} gets no question (too few items); list more $.items, or set "
                f"$.{split}_fraction to 0 for no {split} split"
            )


def _too_close(overlap: pd.DataFrame, limit: float | None) -> list[str]:
    """OOD subgroups sharing more than ``limit`` (Jaccard) with a training subgroup."""
    if limit is None:
        return []
    close = overlap["held_out"] & (overlap["jaccard"] > limit)
    return [str(sid) for sid in overlap.loc[close, "subgroup_id"]]


def _pair_keys(samples: SampleSet) -> pd.Series:
    """``<subgroup_id>/<question_id>`` of every sample: the same pair across waves."""
    keys = samples.keys()
    pairs: pd.Series = keys["subgroup_id"] + "/" + keys["question_id"]
    return pairs


def _years(years: dict[str, int | None]) -> list[int]:
    return sorted({y for y in years.values() if y is not None})


def _recoverable(build: WaveBuild, config: BuildConfig) -> pd.DataFrame:
    """:func:`~sgbench.builder.disclosure.recoverable_groups` of one wave's published subgroups."""
    return recoverable_groups(
        build.subgroups.table,
        build.subgroups.attributes,
        len(build.respondents.table),
        config.min_subgroup_size,
    )


def _manifest(
    config: BuildConfig,
    by_wave: dict[int, SurveyData],
    primary: WaveBuild,
    builds: dict[int, WaveBuild],
    synthetic: bool,
    items: list[Item],
    splits: dict[tuple[str, str], SplitRows],
    too_close: list[str],
) -> Manifest:
    table = primary.subgroups.table
    held_out = primary.overlap[primary.overlap["held_out"]]
    configs = [name for name in CONFIG_SPLITS if any(key[0] == name for key in splits)]
    waves: dict[int, WaveRecord] = {
        wave: {
            "survey": by_wave[wave],
            "respondents": build.n_respondents,
            "years": _years(build.years),
            "items_dropped": build.items_dropped,
        }
        for wave, build in builds.items()
    }
    return build_manifest(
        config,
        synthetic=synthetic,
        items=items,
        latest_wave=primary.wave,
        waves=waves,
        weighted=primary.respondents.weighted,
        attributes={
            name: {
                **source.to_manifest(),
                # The row rule recomputes every persona from these: without them a persona
                # rewritten in every row of its subgroup could not be told from the builder's.
                "persona": {
                    label: {"role": p.role, "phrase": p.phrase}
                    for label, p in config.attributes[name].persona.items()
                },
            }
            for name, source in primary.respondents.attribute_sources.items()
        },
        subgroup_sizes=list(
            zip(
                table["subgroup_id"].astype(str),
                table["subgroup_size"].astype(int),
                table["kept"].astype(bool),
                strict=True,
            )
        ),
        pairs_below=primary.aggregates.pairs_below_threshold,
        disclosure=disclosure_record(
            _recoverable(primary, config),
            config.disclosure_control,
            primary.disclosure,
            primary.withheld_samples,
            earlier={
                wave: (_recoverable(build, config), build.disclosure, build.withheld_samples)
                for wave, build in sorted(builds.items())
                if wave != primary.wave
            },
        ),
        configs={
            name: {split: splits[(name, split)].stats() for split in CONFIG_SPLITS[name]}
            for name in configs
        },
        overlap=list(
            zip(
                held_out["subgroup_id"].astype(str),
                held_out["train_subgroup"],
                held_out["jaccard"].astype(float),
                strict=True,
            )
        ),
        dropped_for_overlap=too_close,
        # By content, not by name: any file called singapore.yaml, edited or not, was taken
        # for the paper's config when given by a relative path, and not by an absolute one.
        paper=config == shipped_config(DEFAULT_CONFIG),
    )
