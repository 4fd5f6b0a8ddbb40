"""The ``mesoreg`` command's entry point: answers ``--version`` before importing anything.

Everything else is handed to :func:`mesoreg.command.cli.main`, which imports what its command
needs; run as the command, through :func:`mesoreg.command._replay.run`, which prints a
``check`` or ``plugins list`` whose inputs have not changed since it was recorded without
importing the checker.  ``mesoreg --version`` is what scripts and installers run to see if
mesoreg is there; it should cost little more than starting Python.

Run as the command (``argv`` None), a process lives for one command, so two costs that
buy nothing are skipped: the cyclic garbage collector's full passes while thousands of
long-lived records are built (young collections still run), and the interpreter's
teardown, which frees every object one by one.  Once the command has returned, its
output is flushed and the process ends with its exit code (:func:`os._exit`); every
file a command writes is closed, and made durable, before the command returns.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def _cli(args: Sequence[str]) -> int:
    from mesoreg.command.cli import main as cli_main

    return cli_main(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; ``--version`` alone is answered here."""
    args = sys.argv[1:] if argv is None else list(argv)
    if args == ["--version"]:
        from mesoreg._version import __version__

        print(f"mesoreg {__version__}")
        return 0
    if argv is not None:
        from mesoreg.command.cli import main as cli_main

        return cli_main(args)
    import gc
    import os

    gc.set_threshold(10_000, 1_000, 1_000_000)
    from mesoreg.command import _replay

    code = _replay.run(args, _cli)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a reader that went away: nothing more can reach it
        pass
    os._exit(code)
    return code  # not reached: os._exit never returns
