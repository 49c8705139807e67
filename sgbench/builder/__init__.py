"""The builder: WVS file → respondents table → subgroup aggregates → splits → dataset folder.

Each stage is its own module and only hands its result forward:

- :mod:`~sgbench.builder.reader` reads the needed columns and one country's rows;
- :mod:`~sgbench.builder.harmonise` makes the respondents table (attribute labels, scale
  positions, weights);
- :mod:`~sgbench.builder.subgroups` finds each stratum's subgroups and members;
- :mod:`~sgbench.builder.aggregate` computes every (subgroup, question) sample;
- :mod:`sgbench.splits` assigns splits;
- :mod:`~sgbench.builder.manifest` records the build in a typed manifest;
- :mod:`~sgbench.builder.writer` writes parquet, manifest and card atomically.

:mod:`~sgbench.builder.pipeline` runs these stages in order.
"""

from sgbench.builder.config import resolve_config
from sgbench.builder.pipeline import build_dataset
from sgbench.builder.summary import BuildSummary
from sgbench.builder.synthetic import write_synthetic_sample

__all__ = ["BuildSummary", "build_dataset", "resolve_config", "write_synthetic_sample"]
