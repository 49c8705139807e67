"""``manifest.json``: the typed record of what a build read, kept, dropped and wrote.

Each section is a :class:`~typing.TypedDict`, so the keys the card, the summary, ``validate`` and
the scorer read are declared once here; :func:`build_manifest` fills them from a finished build.
The writer adds ``files`` and ``sizes`` (sha256 and bytes per data file), each split's
``num_bytes`` and ``card`` (the card's sha256 and bytes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, TypedDict, cast

import pandas as pd

from sgbench import DATASET_VERSION, __version__
from sgbench.builder.config import BuildConfig, stratum_name
from sgbench.builder.disclosure import EXACT_FAMILY, Control
from sgbench.builder.reader import SurveyData
from sgbench.builder.reliability import METHOD as RELIABILITY_METHOD
from sgbench.catalogue import Item, catalogue_name, fingerprint
from sgbench.dataset import PAPER_COUNTS as CITED_COUNTS
from sgbench.dataset import floor_record
from sgbench.splits import split_manifest
from sgbench.versioning import VERSION_POLICY


class BuiltFrom(TypedDict):
    """The file and country-wave of the latest wave read."""

    file: str
    member: str | None
    sha256: str
    format: str
    layout: str
    wave: int
    year: int | list[int]
    country: str
    country_name: str
    respondents: int


class EarlierWave(TypedDict):
    """An earlier wave of a ``temporal`` build."""

    wave: int
    file: str
    sha256: str
    layout: str
    respondents: int
    year: list[int]
    items_dropped: dict[str, str]


class ItemCounts(TypedDict):
    catalogue: str
    catalogue_sha256: str
    requested: int
    kept: int


class DroppedSubgroup(TypedDict):
    subgroup_id: str
    subgroup_size: int


class SubgroupCounts(TypedDict):
    kept: int
    dropped: list[DroppedSubgroup]


class Disclosure(TypedDict):
    """Groups of fewer than ``min_subgroup_size`` respondents whose answer counts the published
    ones give by subtraction (see :mod:`sgbench.builder.disclosure`)."""

    rule: str
    recoverable_groups: int
    """Remainders (a known parent minus its published children along one attribute) of 1 to
    ``min_subgroup_size - 1`` respondents."""
    exact_subgroups: int
    """Of those, the remainders that are exactly one dropped subgroup."""
    smallest_size: int | None
    """The fewest respondents in a recoverable remainder; None when there is none."""
    method: str
    """The config's ``disclosure_control``: ``suppress`` or ``none``."""
    withheld_subgroups: int
    """Subgroups of ``min_subgroup_size`` or more withheld so that nothing is derivable."""
    withheld_samples: int
    """The samples they would have published."""
    exact_family: str
    """The sets the exact audit checks (:data:`~sgbench.builder.disclosure.EXACT_FAMILY`)."""
    derivable_groups: int
    """Sets of that family of 1 to ``min_subgroup_size - 1`` respondents whose counts the
    published subgroups give exactly (row space over the rationals); 0 after ``suppress``."""
    derivable_smallest: int | None
    """The fewest respondents in such a set; None when there is none."""
    earlier_waves: list[EarlierDisclosure]
    """The same for each earlier wave of a ``temporal`` build (its samples are published in
    ``temporal``'s train split; each wave is other respondents, controlled on its own)."""


class EarlierDisclosure(TypedDict):
    """:class:`Disclosure`'s counts for one earlier wave."""

    wave: int
    recoverable_groups: int
    withheld_subgroups: int
    withheld_samples: int
    derivable_groups: int


DISCLOSURE_RULE: Final = (
    "a published subgroup (or all respondents, when a one-attribute stratum covers them) minus "
    "its published subgroups along one more attribute"
)


def disclosure_record(
    groups: pd.DataFrame,
    method: str,
    control: Control,
    withheld_samples: int,
    earlier: Mapping[int, tuple[pd.DataFrame, Control, int]] | None = None,
) -> Disclosure:
    """The manifest's ``disclosure`` from :func:`~sgbench.builder.disclosure.recoverable_groups`
    (what it names, in what is published) and :func:`~sgbench.builder.disclosure.control`;
    ``earlier``: the same three for each earlier wave."""
    exact = (groups["dropped"].map(len) == 1) & (groups["missing"] == 0)
    derivable = control.derivable
    return {
        "rule": DISCLOSURE_RULE,
        "recoverable_groups": len(groups),
        "exact_subgroups": int(exact.sum()),
        "smallest_size": int(groups["size"].min()) if len(groups) else None,
        "method": method,
        "withheld_subgroups": len(control.withheld),
        "withheld_samples": withheld_samples,
        "exact_family": EXACT_FAMILY,
        "derivable_groups": len(derivable),
        "derivable_smallest": int(derivable["size"].min()) if len(derivable) else None,
        "earlier_waves": [
            {
                "wave": wave,
                "recoverable_groups": len(found),
                "withheld_subgroups": len(controlled.withheld),
                "withheld_samples": samples,
                "derivable_groups": len(controlled.derivable),
            }
            for wave, (found, controlled, samples) in sorted((earlier or {}).items())
        ],
    }


class PublicationFloor(TypedDict):
    """The build's thresholds against the publication floor
    (:data:`~sgbench.dataset.PUBLICATION_FLOOR`)."""

    floor: int
    """The floor when built."""
    under_floor: dict[str, int]
    """Each threshold (``min_subgroup_size``, ``min_valid_answers``) below the floor → its value:
    such a build is never pushed. Empty when the floor is met."""


def publication_floor(config: BuildConfig) -> PublicationFloor:
    """The manifest's ``publication_floor`` of a build with ``config``."""
    thresholds = {
        "min_subgroup_size": config.min_subgroup_size,
        "min_valid_answers": config.min_valid_answers,
    }
    return cast(PublicationFloor, floor_record(thresholds))


class Overlap(TypedDict):
    """An OOD subgroup's most-overlapping training subgroup (see :mod:`sgbench.splits.overlap`)."""

    subgroup: str | None
    jaccard: float


class Reliability(TypedDict):
    """How ``mode_stability`` was computed."""

    method: str
    resampled: str
    replicates: None
    """None: computed in closed form, not from drawn replicates (nothing to seed)."""


class PaperCounts(TypedDict):
    """The paper's subgroup, sample and item counts, cited beside a build of its config."""

    train_subgroups: int
    ood_subgroups: int
    train_samples: int
    ood_samples: int
    items: int


PAPER_COUNTS: Final[PaperCounts] = cast(PaperCounts, dict(CITED_COUNTS))
"""The paper's counts (:data:`sgbench.dataset.PAPER_COUNTS`, where validate reads them too)."""


class Manifest(TypedDict):
    """Everything ``manifest.json`` holds before the writer adds ``files`` and byte sizes."""

    name: str
    version: str
    version_policy: dict[str, str]
    synthetic: bool
    sgbench_version: str
    built_from: BuiltFrom
    earlier_waves: list[EarlierWave]
    weight: str | None
    attributes: dict[str, Any]
    strata: list[list[str]]
    min_subgroup_size: int
    min_valid_answers: int
    publication_floor: PublicationFloor
    items: ItemCounts
    items_dropped: dict[str, str]
    subgroups: SubgroupCounts
    pairs_below_min_valid_answers: int
    disclosure: Disclosure
    splits: dict[str, Any]
    train_overlap: dict[str, Overlap]
    """Every OOD subgroup id → its most-overlapping training subgroup and their Jaccard."""
    mode_stability: Reliability
    paper_counts: PaperCounts | None
    """The paper's counts when built with its config (the shipped Singapore one), else None."""
    configs: dict[str, dict[str, dict[str, int]]]


class WaveRecord(TypedDict):
    """What the manifest needs from one wave's build."""

    survey: SurveyData
    respondents: int
    years: list[int]
    items_dropped: dict[str, str]


catalogue_sha256 = fingerprint  # one definition: the row rule recomputes it


def build_manifest(
    config: BuildConfig,
    *,
    synthetic: bool,
    items: Sequence[Item],
    latest_wave: int,
    waves: Mapping[int, WaveRecord],
    weighted: bool,
    attributes: dict[str, Any],
    subgroup_sizes: Sequence[tuple[str, int, bool]],
    pairs_below: int,
    disclosure: Disclosure,
    configs: dict[str, dict[str, dict[str, int]]],
    overlap: Sequence[tuple[str, str | None, float]],
    dropped_for_overlap: Sequence[str],
    paper: bool,
) -> Manifest:
    """The manifest of a build.

    Args:
        latest_wave: the wave that gives ``default`` and ``paper``.
        waves: every wave read, latest included.
        weighted: whether the distributions are weighted by ``config.weight``.
        attributes: attribute name → its source as recorded (variable and value rules) and
            its values' persona phrases (``persona``: label → ``{role, phrase}``).
        subgroup_sizes: ``(subgroup_id, size, kept)`` of every subgroup found.
        pairs_below: (subgroup, question) pairs below ``min_valid_answers``.
        disclosure: what subtracting published subgroups recovers (:func:`disclosure_record`).
        configs: config → split → ``{samples, subgroups, questions}``.
        overlap: ``(OOD subgroup id, nearest training subgroup id, Jaccard)`` of each OOD
            subgroup.
        dropped_for_overlap: OOD subgroups left out for exceeding ``max_train_overlap``.
        paper: built with the paper's config (its counts are cited beside ours).
    """
    latest = waves[latest_wave]
    survey = latest["survey"]
    years = latest["years"]
    ood = [stratum_name(s) for s in config.ood_strata]
    splits = split_manifest(
        ood,
        [stratum_name(s) for s in config.strata if stratum_name(s) not in ood],
        config.split_seed,
        config.validation_fraction,
        config.test_id_fraction,
    )
    splits["max_train_overlap"] = config.max_train_overlap
    splits["dropped_for_overlap"] = list(dropped_for_overlap)
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
            "format": f"synthetic ({survey.format})" if synthetic else survey.format,
            "layout": survey.layout,
            "wave": latest_wave,
            "year": years[0] if len(years) == 1 else years,
            "country": config.country,
            "country_name": config.country_name,
            "respondents": latest["respondents"],
        },
        "earlier_waves": [
            {
                "wave": wave,
                "file": record["survey"].file_name,
                "sha256": record["survey"].sha256,
                "layout": record["survey"].layout,
                "respondents": record["respondents"],
                "year": record["years"],
                "items_dropped": record["items_dropped"],
            }
            for wave, record in sorted(waves.items())
            if wave != latest_wave
        ],
        "weight": config.weight if weighted else None,
        "attributes": attributes,
        "strata": [list(stratum) for stratum in config.strata],
        "min_subgroup_size": config.min_subgroup_size,
        "min_valid_answers": config.min_valid_answers,
        "publication_floor": publication_floor(config),
        "items": {
            "catalogue": catalogue_name(config.wave),
            "catalogue_sha256": catalogue_sha256(items),
            "requested": len(items),
            "kept": len(items) - len(latest["items_dropped"]),
        },
        "items_dropped": latest["items_dropped"],
        "subgroups": {
            "kept": sum(1 for _, _, kept in subgroup_sizes if kept),
            "dropped": [
                {"subgroup_id": sid, "subgroup_size": size}
                for sid, size, kept in subgroup_sizes
                if not kept
            ],
        },
        "pairs_below_min_valid_answers": pairs_below,
        "disclosure": disclosure,
        "splits": splits,
        "train_overlap": {
            sid: {"subgroup": nearest, "jaccard": round(jaccard, 6)}
            for sid, nearest, jaccard in overlap
        },
        "mode_stability": {
            "method": RELIABILITY_METHOD,
            "resampled": "each (subgroup, question) pair's respondents with a valid answer",
            "replicates": None,
        },
        "paper_counts": PAPER_COUNTS.copy() if paper else None,
        "configs": configs,
    }
