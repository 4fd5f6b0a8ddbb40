"""The arguments of the ``compound`` and ``records`` commands.

Light on purpose, like :mod:`._args`: ``mesoreg.command.cli`` builds every command's
parser on each run, so this module imports argparse and the vocabularies only;
:mod:`._batch_cli` runs the commands.
"""

from __future__ import annotations

import argparse

from mesoreg.compounding._args import _bud_arguments

#: the commands this module adds to ``mesoreg``
COMMANDS = ("compound", "records")


def add_arguments(command: str, parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``command`` (``compound`` or ``records``) to its parser."""
    parser.add_argument("reference", metavar="ID@N", help="the stored version, e.g. lipo-abdomen@2")
    parser.add_argument(
        "--store", metavar="DIR", help="the store (default: MESOREG_STORE, configuration)"
    )
    if command == "records":
        parser.add_argument(
            "--format",
            default="text",
            choices=["text", "json", "fhir"],
            help="text (default), json (schemas/cli-records-1.schema.json) or fhir (an R5 "
            "Bundle: Medication with batch, Provenance, MedicationDispense, DetectedIssue)",
        )
        parser.add_argument(
            "--region",
            metavar="CC",
            help="region of the check in the FHIR export (default: configuration)",
        )
        return
    parser.add_argument("--prepared-by", required=True, metavar="NAME", help="who prepared it")
    parser.add_argument(
        "--verified-by", required=True, metavar="NAME", help="who verified it (another person)"
    )
    parser.add_argument(
        "--patient", metavar="ID", help="the patient's identifier (an id, never a name or facts)"
    )
    parser.add_argument(
        "--deviation",
        action="append",
        default=[],
        metavar="TEXT",
        help="a deviation from the master formulation record (repeatable; recorded only)",
    )
    parser.add_argument(
        "--acks",
        metavar="FILE",
        help="acknowledged findings: a TOML file, one [[acknowledgements]] per finding with "
        "its code, components, reason and by (see docs/compounding.md)",
    )
    parser.add_argument(
        "--products", action="append", metavar="FILE", help="more stock products (repeatable)"
    )
    parser.add_argument(
        "--region", metavar="CC", help="ISO 3166 code for the check (default: configuration)"
    )
    _bud_arguments(parser)
    for action in parser._actions:
        if action.dest == "format":
            action.help = "output format (default: text); json: schemas/cli-compound-1.schema.json"
        if action.dest == "lot":
            action.help = "each stock product's lot and expiry (repeatable; one per product drawn)"
