"""The ``mesoreg`` command's entry point: answers ``--version`` before importing anything.

Everything else is handed to :func:`mesoreg.cli.main`, which imports what its command
needs.  ``mesoreg --version`` is what scripts and installers run to see if mesoreg is
there; it should cost little more than starting Python.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; ``--version`` alone is answered here."""
    args = sys.argv[1:] if argv is None else list(argv)
    if args == ["--version"]:
        from mesoreg._version import __version__

        print(f"mesoreg {__version__}")
        return 0
    from mesoreg.cli import main as cli_main

    return cli_main(args)
