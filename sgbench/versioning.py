"""The dataset's version policy and changelog: recorded in every manifest, rendered in the card.

A leaf module, so that the builder (which writes them) and publishing (which releases by them)
both read them without importing each other.

Version policy
--------------
The dataset's version is ``MAJOR.MINOR.PATCH`` (:data:`sgbench.DATASET_VERSION`); a build from the
embedded synthetic sample carries ``+synthetic`` (``1.0.0+synthetic``) and is a different dataset.
Every release is a Hub tag ``v<version>`` that is never moved, so
``load_dataset(..., revision="v1.0.0")`` always returns the same bytes. The rule of thumb: within
one major version, a model scores the same on every sample two versions share.

- **major**: anything that makes earlier results incomparable: a split's definition or
  membership changes (which samples are in ``train``, ``validation``, ``test_id``, ``test_ood``);
  sample identity changes (ids, subgroup definitions, the aggregation, the weights, a new WVS
  release), so the targets of existing samples change; a feature is removed, renamed, or changes
  type or meaning.
- **minor**: additions that leave every existing sample, id, split and feature as it was: items,
  subgroups, attributes or strata added (new samples only), new features, new metrics.
- **patch**: fixes that change no sample's id, split or target: question texts, option labels,
  personas, the card.

The policy is recorded in every manifest (``version_policy``, :data:`VERSION_POLICY`) and each
release gets an entry in :data:`CHANGELOG`, which the card's "Changelog" section renders; bump
:data:`sgbench.DATASET_VERSION` and add the entry together.
"""

from __future__ import annotations

import re
from typing import Final

VERSION_POLICY: Final[dict[str, str]] = {
    "scheme": "MAJOR.MINOR.PATCH; '+synthetic' marks a build from the embedded synthetic sample; "
    "each release is the Hub tag v<version>, never moved",
    "major": "split definitions or membership change; sample identity changes (ids, subgroup "
    "definitions, aggregation, weights, WVS release) so existing targets change; a feature is "
    "removed, renamed or changes type or meaning",
    "minor": "additions only: items, subgroups, attributes or strata (new samples), features, "
    "metrics; every existing sample, id, split and feature unchanged",
    "patch": "fixes that change no sample id, split or target: question texts, option labels, "
    "personas, the dataset card",
}
"""The version policy as recorded in ``manifest.json`` (see the module docstring)."""

CHANGELOG: Final[dict[str, str]] = {
    "1.0.0": "First release: configs `default` (train, validation, test_id, test_ood) and "
    "`paper` (train, test_ood); WVS Wave 7 Singapore subgroups of at least 30 respondents.",
}
"""What changed in each release (``MAJOR.MINOR.PATCH`` → one line); the card renders it."""

SYNTHETIC_LABEL: Final = "synthetic"
"""The build label of a build from the embedded synthetic sample (``1.0.0+synthetic``)."""

BUILD_LABELS: Final = ("", SYNTHETIC_LABEL)
"""The labels a build writes after a release's ``+``: none (a build from WVS data) or
:data:`SYNTHETIC_LABEL`. A manifest whose version carries one of these claims to be a build, and
must hold every record a build writes (``manifest.schema.json``'s ``$defs/build``); any other
label (``1.0.0+handmade``) marks a dataset sgbench did not build, held only to what it records,
and every report shows its version."""


def release_of(version: str) -> str:
    """The ``MAJOR.MINOR.PATCH`` part of a dataset version (``1.0.0+synthetic`` → ``1.0.0``)."""
    return version.split("+", 1)[0]


def build_label(version: str) -> str:
    """The label after a version's ``+`` (``""`` when none)."""
    return version.partition("+")[2]


def version_marker(version: str, synthetic: object) -> str:
    """What every report header shows after a dataset's version, or ``""``: ``NOT AN SGBENCH
    BUILD`` for a label no build writes (:data:`BUILD_LABELS`; such a dataset is held only to
    the records it has, so its scores are not the benchmark's), ``SYNTHETIC, not WVS data``
    for a synthetic one. The one marker of ``score``, ``stats`` and the leaderboard, so no
    reader shows a hand-made dataset's version as a build's."""
    marks = [] if build_label(version) in BUILD_LABELS else ["NOT AN SGBENCH BUILD"]
    marks += ["SYNTHETIC, not WVS data"] if synthetic is True else []
    return "; ".join(marks)


def posed_build_label(label: str) -> str | None:
    """The build label (:data:`BUILD_LABELS`) that ``label``, not one of them, reads as, or None.

    A label sgbench did not write marks a hand-made dataset, held only to the records it has; one
    that a reader takes for a build's is refused, or ``1.0.0+Synthetic`` (with its ``splits``
    deleted and a held-out question moved into train) was scored under a header reading like a
    build's. It reads as one when it equals one after :func:`~sgbench.errors.read_as` (case,
    lookalike letters), or when its leading letters do and only a suffix follows
    (``synthetic.0``, ``synthetic-1``)."""
    from sgbench.errors import read_as

    if label in BUILD_LABELS:
        return None
    folded = read_as(label)
    leading = re.match(r"[^\W\d_]*", folded)
    for build in BUILD_LABELS:
        if folded == read_as(build) or (build and leading and leading.group() == read_as(build)):
            return build
    return None


def version_problem(version: str, synthetic: object) -> str | None:
    """Why a manifest's ``version`` (with its ``synthetic`` flag) cannot be read by this sgbench,
    or None.

    Its release must be one :data:`CHANGELOG` lists: a dataset of a release this package does
    not know was built by a newer sgbench (whose records and rules this one lacks) or relabelled,
    and read as this release's it skipped the checks that hold only for this release's
    catalogue. A build's label must agree with ``synthetic``."""
    release = release_of(version)
    if release not in CHANGELOG:
        return (
            f"release {release} is not one this sgbench knows ({', '.join(CHANGELOG)}); a "
            "dataset of a newer release needs a newer sgbench (pip install --upgrade sgbench)"
        )
    label = build_label(version)
    posing = posed_build_label(label)
    if posing is not None:
        build = f"{release}+{posing}" if posing else release
        return (
            f"version {version!r} looks like the build label {build!r} "
            "but is not it: a build writes its label exactly, and another label is a dataset "
            "sgbench did not build (`1.0.0+handmade`)"
        )
    if label in BUILD_LABELS and (label == SYNTHETIC_LABEL) is not synthetic:
        return (
            f"version {version} says a build from {'synthetic' if label else 'WVS'} data and "
            f"synthetic is {synthetic!r}: a build writes them together"
        )
    return None
