"""The value landscape: where subgroups disagree, before any model is scored (``sgbench stats``).

Modules: :mod:`~sgbench.stats.landscape` (the statistics as pure vectorised functions: Modal
Diversity Score, mean pairwise distance, population distribution), :mod:`~sgbench.stats.data`
(every sample of a config as arrays), :mod:`~sgbench.stats.report` (grouping, ``stats.json`` and
the Markdown report), :mod:`~sgbench.stats.plots` (charts, also ``sgbench score --plot``; needs
the optional ``plots`` extra) and :mod:`~sgbench.stats.output` (writing the folder).
"""

from __future__ import annotations

from sgbench.stats.output import StatsOutput, write_stats
from sgbench.stats.report import StatsReport, compute_stats

__all__ = ["StatsOutput", "StatsReport", "compute_stats", "write_stats"]
