"""Publishing a built dataset folder on the Hugging Face Hub, as a tagged, versioned release.

:func:`check_dataset` checks a folder (the checks ``sgbench validate`` runs on a
dataset folder);
:func:`publication_problems` says why a dataset cannot be published (``push`` refuses it then);
:func:`push_dataset` checks it, uploads it in one commit and tags that commit ``v<version>``.

The version policy and changelog live in :mod:`sgbench.versioning` (re-exported here).
"""

from __future__ import annotations

from sgbench.publish.checks import DatasetCheck, Problem, check_dataset
from sgbench.publish.publication import publication_problems
from sgbench.publish.push import PushResult, push_dataset
from sgbench.versioning import CHANGELOG, VERSION_POLICY

__all__ = [
    "CHANGELOG",
    "VERSION_POLICY",
    "DatasetCheck",
    "Problem",
    "PushResult",
    "check_dataset",
    "publication_problems",
    "push_dataset",
]
