"""sgbench: can a language model answer survey questions the way a demographic subgroup does?

The package turns World Values Survey files into a versioned dataset of (subgroup, question)
samples, scores prediction files against it and ranks submissions. See the README.
"""

from __future__ import annotations

__version__ = "0.1.0"

DATASET_NAME = "wvs-sg-subgroups"
"""The dataset's name: the default output folder and the Hub repository name."""

DATASET_VERSION = "1.0.0"
"""The version of the dataset the builder writes (see the version policy in docs/publishing.md)."""

__all__ = ["DATASET_NAME", "DATASET_VERSION", "__version__"]
