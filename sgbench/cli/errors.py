"""Exit codes and error handling of the command line, in one place.

Exit codes:

- ``0`` (:data:`EXIT_OK`): done.
- ``2`` (:data:`EXIT_ERROR`): an error (a library :class:`~sgbench.errors.SgbenchError`, shown as
  one ``Error: ...`` line on stderr) or a usage error (click's own); nothing half-written.
- ``3`` (:data:`EXIT_LEFT_OUT`): completed and outputs written, but something was left out
  (``leaderboard``: an invalid submission; ``run`` and ``judge``: requests that still failed;
  ``import paper-outputs``: released rows matching no sample or several).
- ``130`` (:data:`EXIT_INTERRUPTED`): interrupted with Ctrl-C.

:class:`SgbenchGroup` turns library errors and Ctrl-C into these codes for every command, so no
command handles them itself.
"""

from __future__ import annotations

import errno
import os
import sys
from typing import Any, Final

import click

from sgbench.errors import SgbenchError

EXIT_OK: Final = 0
EXIT_ERROR: Final = 2
EXIT_LEFT_OUT: Final = 3
EXIT_INTERRUPTED: Final = 130

_INTERRUPT_NOTE: Final = "sgbench.interrupt_note"


class SgbenchClickError(click.ClickException):
    """A library error shown as one ``Error: ...`` line, with exit code 2."""

    exit_code = EXIT_ERROR


def on_interrupt(note: str) -> None:
    """Say ``note`` on stderr if the running command is interrupted with Ctrl-C."""
    click.get_current_context().find_root().meta[_INTERRUPT_NOTE] = note


def left_out() -> None:
    """End the running command with :data:`EXIT_LEFT_OUT` (its outputs are complete)."""
    click.get_current_context().exit(EXIT_LEFT_OUT)


_STREAM_ERRORS: Final = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})


def _drop_stdout() -> None:
    """Point stdout at the null device, so the interpreter's flush at exit does not fail on
    the same write again (a second message after the one ``Error:`` line)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real descriptor (a test runner's buffer)
        pass
    finally:
        os.close(devnull)


class SgbenchGroup(click.Group):
    """A click group whose commands' library errors and Ctrl-C end with the codes above."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; :class:`SgbenchError` becomes exit 2, Ctrl-C exit 130."""
        try:
            return super().invoke(ctx)
        except SgbenchError as exc:
            raise SgbenchClickError(str(exc)) from None
        except OSError as exc:
            # Files are written through sgbench.files, which names them; an OSError with no
            # file name is a failed write to stdout (`> /dev/full`, a full disk).
            if exc.filename is not None or exc.errno not in _STREAM_ERRORS:
                raise
            _drop_stdout()
            raise SgbenchClickError(f"cannot write standard output ({exc.strerror})") from None
        except KeyboardInterrupt:
            note = ctx.meta.get(_INTERRUPT_NOTE)
            click.echo(f"\ninterrupted{': ' + note if note else ''}", err=True)
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
