"""The error contract every command keeps, checked once for every test module that needs it."""

from __future__ import annotations

from click.testing import Result


def assert_one_error_line(result: Result, *fragments: str) -> str:
    """Exit code 2, no traceback, exactly one non-blank stderr line starting ``Error: `` and
    holding every fragment; returns that line."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("Error: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]
