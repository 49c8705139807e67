"""Boundary entries of the data family's public API: dataset access,
export, prompts, publish, schema and validate
(tests/api_boundary.py says what an entry is).

ENTRIES: one :class:`~api_boundary.Entry` per public callable. NOT_CALLED: every other public
name of these packages (``module.name`` → why it is not called: a constant, a result class
only sgbench constructs, an exception class).
"""

from __future__ import annotations

from api_boundary import Entry

ENTRIES: list[Entry] = []
NOT_CALLED: dict[str, str] = {}
