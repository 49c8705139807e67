"""The study this benchmark makes reusable: its released model outputs and its published table.

- :mod:`sgbench.paper.ids`: how the released outputs name a sample, derived from a dataset's
  own attribute definitions and the catalogue's codebook labels;
- :mod:`sgbench.paper.source` and :mod:`sgbench.paper.importer`: ``sgbench import
  paper-outputs``, released rows → a responses file for ``sgbench parse``;
- :mod:`sgbench.paper.table`: ``sgbench paper-table``, the published figures beside score
  reports.
"""

from __future__ import annotations

from sgbench.paper.importer import ImportResult, LeftOut, import_paper_outputs
from sgbench.paper.table import PaperTable, paper_table

__all__ = ["ImportResult", "LeftOut", "PaperTable", "import_paper_outputs", "paper_table"]
