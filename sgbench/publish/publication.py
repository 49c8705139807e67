"""Why a dataset cannot be published: the one list of reasons ``push`` refuses on.

A dataset folder can be valid (every check of :func:`~sgbench.publish.check_dataset` passes,
it can be scored) and still not be publishable. :func:`publication_problems` gives every reason,
from the manifest alone; ``sgbench push`` refuses a dataset with any, and ``sgbench validate``
shows them as a note (the folder is still a valid dataset). The reasons:

- **Not a build**: its version's label is not a build's (``1.0.0+handmade``;
  :data:`~sgbench.versioning.BUILD_LABELS`), so its manifest need not hold a build's records and
  its rows were held only to those it has; never lifted.
- **SYNTHETIC**: built from the embedded sample or from a file ``sgbench synth`` wrote
  (``synthetic: true``); lifted by ``allow_synthetic`` (``--allow-synthetic``).
- **Under the publication floor**: ``min_subgroup_size`` or ``min_valid_answers`` below
  :data:`~sgbench.dataset.PUBLICATION_FLOOR`, or not recorded.
- **Recoverable groups**: the manifest's ``disclosure`` counts groups of fewer than
  ``min_subgroup_size`` respondents recoverable by subtracting published subgroups (by either
  audit, the one-attribute subtractions or the exact one, in any wave of the build), or the
  manifest has no complete ``disclosure`` (built before it was measured).

The last two protect respondents; a SYNTHETIC build has none, so they apply to builds from WVS
data only. Every field read here is bound to the data files (:func:`~sgbench.dataset.binding`):
editing it in ``manifest.json`` fails the checks, so it cannot be flipped to publish.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from sgbench.boundary import ArgumentName, public
from sgbench.dataset import PUBLICATION_FLOOR, under_floor
from sgbench.errors import bounded, one_line
from sgbench.versioning import BUILD_LABELS, build_label

DISCLOSURE_DOC: Final = "docs/dataset-and-splits.md#small-groups-recoverable-by-subtraction"
"""Where the recoverable groups a refusal counts are explained."""
PUBLISHING_DOC: Final = "docs/publishing.md#what-cannot-be-published"
"""Where the reasons are listed."""


_ALLOW_SYNTHETIC: Final = ArgumentName("allow_synthetic=True", "--allow-synthetic")


@public
def publication_problems(
    manifest: Mapping[str, Any], *, allow_synthetic: bool = False
) -> list[str]:
    """Every reason the dataset of ``manifest`` cannot be published, one line each (see the
    module docstring); empty when it can.

    Args:
        manifest: a dataset's ``manifest.json`` as read (check the folder first: only a
            checked manifest's fields are bound to its data).
        allow_synthetic: do not count a SYNTHETIC build as a reason (``--allow-synthetic``).
    """
    version = manifest.get("version")
    if isinstance(version, str) and build_label(version) not in BUILD_LABELS:
        return [not_a_build(version)]
    if manifest.get("synthetic") is not False:
        # Not False: a manifest without the field is not taken for WVS data.
        if allow_synthetic:
            return []
        return [
            "a SYNTHETIC build (not WVS data; from the embedded sample or a file of `sgbench "
            f"synth`): build from a WVS file, or pass {_ALLOW_SYNTHETIC} to push it anyway"
        ]
    problems = [_floor_problem(name, value) for name, value in under_floor(manifest).items()]
    recoverable = _recoverable(manifest.get("disclosure"))
    if recoverable is None:
        problems.append(
            "records no complete `disclosure` (built before groups recoverable by subtraction "
            f"were measured exactly): rebuild the dataset (see {DISCLOSURE_DOC})"
        )
    elif recoverable > 0:
        problems.append(
            f"{recoverable} group(s) of {_smaller_than(manifest.get('min_subgroup_size'))} "
            "are recoverable by subtracting published subgroups (manifest "
            "`disclosure`): rebuild with `disclosure_control: suppress` in the config "
            f"(see {DISCLOSURE_DOC})"
        )
    return problems


def not_a_build(version: str) -> str:
    """What ``validate`` and ``push`` say of a dataset whose version's label is not a build's
    (:data:`~sgbench.versioning.BUILD_LABELS`)."""
    return (
        f"NOT AN SGBENCH BUILD (version {bounded(one_line(version))}): its rows are held only to "
        "the records its manifest has, so scores on it are not the benchmark's; only a build "
        "is published"
    )


def _floor_problem(name: str, value: object) -> str:
    """Why a threshold :func:`~sgbench.dataset.under_floor` gives fails the floor, in words that
    are true of ``value``: ``30.0`` or ``True`` is not a count, not a number under 30."""
    if value is None:
        return f"records no {name} (built by an older sgbench): rebuild the dataset"
    if not isinstance(value, int) or isinstance(value, bool):
        return (
            f"{name} {value!r} is not a whole number of respondents: rebuild the dataset "
            f"(see {PUBLISHING_DOC})"
        )
    return (
        f"{name} {value} is under the publication floor {PUBLICATION_FLOOR}: rebuild with "
        f"{name} of at least {PUBLICATION_FLOOR} (see {PUBLISHING_DOC})"
    )


def _smaller_than(size: object) -> str:
    """The groups the audits count, in words true of the manifest's ``min_subgroup_size``: a
    hand-made 30.5, True or -5 read '26 group(s) of fewer than True respondents'; such a size
    has its own line (:func:`_floor_problem`), so this one names the field instead."""
    if isinstance(size, int) and not isinstance(size, bool) and size >= 1:
        return f"fewer than {size} respondents"
    return "fewer respondents than min_subgroup_size"


_COUNTS: Final = ("recoverable_groups", "derivable_groups")
"""The two audits' counts in a ``disclosure`` entry (and in each of its ``earlier_waves``): the
one-attribute subtractions, and the exact audit's derivable sets."""


def _recoverable(disclosure: object) -> int | None:
    """The most groups either audit finds, in the latest wave or an earlier one (a ``temporal``
    build publishes those too); None when an audit's count is missing."""
    if not isinstance(disclosure, Mapping):
        return None
    earlier = disclosure.get("earlier_waves")
    if not isinstance(earlier, list) or not all(isinstance(w, Mapping) for w in earlier):
        return None
    counts = [entry.get(name) for entry in (disclosure, *earlier) for name in _COUNTS]
    whole = [n for n in counts if isinstance(n, int) and not isinstance(n, bool)]
    return max(whole) if len(whole) == len(counts) else None
