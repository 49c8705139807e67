"""Boundary entries of the build family's public API: builder, catalogue,
splits and the top-level names
(tests/api_boundary.py says what an entry is).

ENTRIES: one :class:`~api_boundary.Entry` per public callable. NOT_CALLED: every other public
name of these packages (``module.name`` → why it is not called: a constant, a result class
only sgbench constructs, an exception class).
"""

from __future__ import annotations

from api_boundary import Entry

ENTRIES: list[Entry] = []
NOT_CALLED: dict[str, str] = {}
