"""The arguments of the ``compose`` and ``bud`` commands.

Light on purpose (argparse and the vocabularies only): ``mesoreg.command.cli`` builds every
command's parser on each run, so nothing here may load the compounding code itself, which
``mesoreg.compounding._cli`` runs only for these commands.
"""

from __future__ import annotations

import argparse
import datetime as dt

from mesoreg.compounding._terms import Category, Environment, Storage

#: the commands this package adds to ``mesoreg``
COMMANDS = ("compose", "bud")


def add_arguments(command: str, parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``command`` (``compose`` or ``bud``) to its parser."""
    if command == "bud":
        _bud_arguments(parser)
        return
    compose_parser = parser
    compose_parser.add_argument(
        "request",
        nargs="?",
        metavar="REQUEST.toml",
        help="what each syringe should contain (see docs/compounding.md)",
    )
    compose_parser.add_argument(
        "-o", "--output", metavar="FILE", help="write the draft here (never overwritten)"
    )
    compose_parser.add_argument(
        "--products", action="append", metavar="FILE", help="more stock products (repeatable)"
    )
    compose_parser.add_argument(
        "--list-products", action="store_true", help="list the stock products on hand"
    )
    compose_parser.add_argument(
        "--format",
        default="text",
        choices=["text", "json"],
        help="output format (default: text); json: schemas/compose-1.schema.json",
    )


def _bud_arguments(bud: argparse.ArgumentParser) -> None:
    bud.add_argument(
        "--environment",
        required=True,
        choices=[e.value for e in Environment],
        help="where it was compounded",
    )
    bud.add_argument(
        "--storage",
        required=True,
        choices=[s.value for s in Storage],
        help="how it is kept until used",
    )
    bud.add_argument(
        "--compounded-at",
        required=True,
        type=_datetime,
        metavar="TIME",
        help="start of compounding with its offset, e.g. 2026-11-22T10:00+01:00",
    )
    bud.add_argument(
        "--category",
        choices=[c.value for c in Category],
        help="ask for this category (default: the one the environment gives)",
    )
    bud.add_argument(
        "--sterility-tested", action="store_true", help="the preparation passed a sterility test"
    )
    bud.add_argument(
        "--nonsterile-components", action="store_true", help="a starting component is nonsterile"
    )
    bud.add_argument(
        "--lot",
        action="append",
        default=[],
        type=_lot,
        metavar="PRODUCT:LOT:YYYY-MM-DD",
        help="a component lot and its expiry (repeatable)",
    )
    bud.add_argument(
        "--format",
        default="text",
        choices=["text", "json"],
        help="output format (default: text); json: schemas/bud-1.schema.json",
    )


def _datetime(text: str) -> dt.datetime:
    try:
        found = dt.datetime.fromisoformat(text)
    except ValueError:
        found = None
    if found is None or found.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a date and time with its offset, like 2026-11-22T10:00+01:00"
        )
    return found


def _lot(text: str) -> tuple[str, str, dt.date]:
    product, sep, rest = text.partition(":")
    lot, sep2, expiry = rest.rpartition(":")
    try:
        day = dt.date.fromisoformat(expiry)
    except ValueError:
        day = None
    if not (sep and sep2 and product and lot and day):
        raise argparse.ArgumentTypeError(
            f"'{text}' is not PRODUCT:LOT:YYYY-MM-DD, like lidocaine_2pct_5ml_vial:A123:2027-03-31"
        )
    return (product, lot, day)
