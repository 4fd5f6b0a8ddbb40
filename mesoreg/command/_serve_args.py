"""The arguments of ``mesoreg serve``, and the door to :mod:`mesoreg.web`.

Light on purpose (argparse only): ``mesoreg.command.cli`` builds every command's parser on each
run.  :func:`run` imports the web service only when ``serve`` runs, and says how to
install it when the ``serve`` extra is missing.
"""

from __future__ import annotations

import argparse
import importlib.util
from collections.abc import Callable
from typing import Any

from mesoreg._errors import InputError, Problem

#: the commands this module adds to ``mesoreg``
COMMANDS = ("serve",)
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
#: what the service needs beyond mesoreg's own dependencies
NEEDS = ("starlette", "uvicorn")


def _port(text: str) -> int:
    if text.isdigit() and 0 < int(text) < 65536:
        return int(text)
    raise argparse.ArgumentTypeError(f"'{text}' is not a port number (1-65535)")


def _workers(text: str) -> int:
    if text.isdigit() and 1 <= int(text) <= 64:
        return int(text)
    raise argparse.ArgumentTypeError(f"'{text}' is not a number of workers from 1 to 64")


def _size(text: str) -> int:
    if text.isdigit() and 1024 <= int(text) <= 64 * 1024 * 1024:
        return int(text)
    raise argparse.ArgumentTypeError(f"'{text}' is not a size in bytes from 1024 to 67108864")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``serve`` to its parser."""
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default: {DEFAULT_HOST}; any other needs a token)",
    )
    parser.add_argument(
        "--port", type=_port, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--store", metavar="DIR", help="the store the API reads (default: configuration)"
    )
    parser.add_argument(
        "--patients",
        metavar="DIR",
        help="a folder of patient TOML files the composer offers (read only; default: none)",
    )
    parser.add_argument(
        "--products",
        action="append",
        default=[],
        metavar="FILE",
        help="more stock products for recording preparations (repeatable)",
    )
    parser.add_argument(
        "--region",
        metavar="CC",
        help="region the CDS services check for (default: configuration)",
    )
    parser.add_argument(
        "--token-file",
        metavar="FILE",
        help="file holding the token (default: MESOREG_SERVE_TOKEN); see docs/serve.md",
    )
    parser.add_argument(
        "--workers",
        type=_workers,
        default=1,
        metavar="N",
        help="worker processes answering on the same port (default: 1; see docs/serve.md)",
    )
    parser.add_argument(
        "--max-body",
        type=_size,
        metavar="BYTES",
        help="largest request body accepted (default: 1048576)",
    )


def run(args: argparse.Namespace, registry: Callable[[], Any], settings: Any) -> int:
    """Run the service until it is stopped; exit code 2 when it cannot start."""
    missing = [name for name in NEEDS if importlib.util.find_spec(name) is None]
    if missing:
        raise InputError(
            [
                Problem(
                    "serve",
                    f"the service needs {', '.join(missing)}, which "
                    f"{'is' if len(missing) == 1 else 'are'} not installed",
                    "Run: pip install 'mesoreg[serve]'.",
                )
            ]
        )
    from mesoreg.web._serve import serve

    return serve(args, registry, settings)
