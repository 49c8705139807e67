"""``python -m sgbench`` and the ``sgbench`` command: :func:`run`."""

from __future__ import annotations

import sys


def run() -> None:
    """Load the command line and run it. Loading it takes a moment (numpy, pandas): Ctrl-C in
    that moment ends with exit code 130 and one line, like Ctrl-C during any command, rather
    than a traceback through the imports."""
    try:
        from sgbench.cli import main
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted\n")
        raise SystemExit(130) from None
    main()


if __name__ == "__main__":
    run()
