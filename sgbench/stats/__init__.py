"""The value landscape: where subgroups disagree, before any model is scored (``sgbench stats``).

Modules: :mod:`~sgbench.stats.landscape` (the statistics as pure vectorised functions: Modal
Diversity Score, mean pairwise distance, population distribution), :mod:`~sgbench.stats.data`
(every sample of a config as arrays), :mod:`~sgbench.stats.report` (grouping, ``stats.json``, the
Markdown report, writing) and :mod:`~sgbench.stats.plots` (charts, also ``sgbench score --plot``;
needs the optional ``plots`` extra).
"""

from __future__ import annotations

from sgbench.stats.report import StatsOutput, StatsReport, compute_stats, write_stats

__all__ = ["StatsOutput", "StatsReport", "compute_stats", "write_stats"]
