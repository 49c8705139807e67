"""``python -m sgbench``: the same as the ``sgbench`` command."""

from sgbench.cli import main

main()
