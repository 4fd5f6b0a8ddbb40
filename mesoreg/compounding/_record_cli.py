"""The ``mfr`` and ``label`` commands: a stored version's master formulation record and labels.

``mesoreg mfr ID@N [--store DIR] [--format html|pdf|json] [-o FILE]`` writes the
master formulation record of a stored version; ``mesoreg label ID@N --lot LOT
--environment ENV --storage STORAGE --compounded-at TIME [--patient P]`` its
syringe labels.  JSON output: ``schemas/mfr-1.schema.json`` and
``schemas/label-1.schema.json``.

Light at import, like :mod:`._args`: ``mesoreg.command.cli`` builds every command's parser
on each run, so this module imports argparse and the vocabularies only; the run
functions import the rest when they run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mesoreg.compounding._args import _datetime, _lot
from mesoreg.compounding._terms import Category, Environment, Storage

if TYPE_CHECKING:
    from mesoreg.checks._subject import Subject
    from mesoreg.compounding._record_model import Provenance
    from mesoreg.host._registry import Registry

#: the commands this module adds to ``mesoreg``
COMMANDS = ("mfr", "label")
FORMATS = ("html", "pdf", "json")


def add_arguments(command: str, parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``command`` (``mfr`` or ``label``) to its parser."""
    parser.add_argument("reference", metavar="ID@N", help="the stored version, e.g. lipo-abdomen@2")
    parser.add_argument(
        "--store", metavar="DIR", help="the store (default: MESOREG_STORE, configuration)"
    )
    parser.add_argument(
        "--format",
        default="html",
        choices=FORMATS,
        help=f"html (default), pdf (needs mesoreg[pdf]), or json: schemas/{command}-1.schema.json",
    )
    parser.add_argument(
        "-o", "--output", metavar="FILE", help="write here (never overwritten); default: stdout"
    )
    required = command == "label"
    parser.add_argument(
        "--environment",
        required=required,
        choices=[e.value for e in Environment],
        help="where it is compounded (the BUD rule reads it)"
        + ("" if required else "; with --storage, the record states the BUD"),
    )
    parser.add_argument(
        "--storage",
        required=required,
        choices=[s.value for s in Storage],
        help="how it is kept until used (the BUD rule reads it)",
    )
    parser.add_argument(
        "--category",
        choices=[c.value for c in Category],
        help="ask for this BUD category (default: the one the environment gives)",
    )
    if command == "mfr":
        parser.add_argument(
            "--region", metavar="CC", help="ISO 3166 code for the check (default: configuration)"
        )
        parser.add_argument(
            "--date",
            type=dt.date.fromisoformat,
            metavar="YYYY-MM-DD",
            help="date of the check shown in the record (default: today)",
        )
        return
    parser.add_argument("--lot", required=True, metavar="LOT", help="the lot number to print")
    parser.add_argument(
        "--patient", metavar="NAME", help="the patient's name or identifier to print (if any)"
    )
    parser.add_argument(
        "--compounded-at",
        required=True,
        type=_datetime,
        metavar="TIME",
        help="start of compounding with its offset, e.g. 2026-11-22T10:00+01:00",
    )
    parser.add_argument(
        "--component-lot",
        action="append",
        default=[],
        type=_lot,
        metavar="PRODUCT:LOT:YYYY-MM-DD",
        help="a component lot and its expiry (repeatable); a BUD after it is refused",
    )


# -- running ------------------------------------------------------------------------------


def _read(
    args: argparse.Namespace, registry: Registry, day: dt.date, region: str | None
) -> tuple[Subject, Provenance, dict[str, str]]:
    """The stored version, resolved as the check resolves it, and its ledger entry."""
    from mesoreg.compounding._record_model import read_version
    from mesoreg.host._config import load_settings
    from mesoreg.interfaces import _store_cli
    from mesoreg.interfaces._console import Console
    from mesoreg.store._store import parse_ref

    formulation_id, version = parse_ref(args.reference)
    console = Console(0, args.format == "json")
    store = _store_cli.open_store(args.store or load_settings({}).store, console)
    return read_version(store, formulation_id, version, day, region, registry)


def _bud(args: argparse.Namespace, compounded_at: dt.datetime, lots: tuple[Any, ...] = ()) -> Any:
    from mesoreg.compounding._bud import BudConditions, assign_bud

    return assign_bud(
        BudConditions(
            environment=Environment(args.environment),
            storage=Storage(args.storage),
            compounded_at=compounded_at,
            category=Category(args.category) if args.category else None,
            lots=lots,
        )
    )


def _write(args: argparse.Namespace, data: str | bytes) -> None:
    """To ``--output`` (never over an existing file) or stdout; PDF never to a terminal."""
    from mesoreg._errors import InputError, Problem

    if args.output:
        target = Path(args.output)
        if target.exists():
            raise InputError(
                [Problem("--output", f"{target} exists; not overwritten", "Choose another file.")]
            )
        if isinstance(data, bytes):
            target.write_bytes(data)
        else:
            target.write_text(data, encoding="utf-8")
        print(f"wrote {target}", file=sys.stderr)
        return
    if isinstance(data, str):
        sys.stdout.write(data if data.endswith("\n") else data + "\n")
        return
    if sys.stdout.isatty():
        raise InputError(
            [Problem("--output", "a PDF is not written to a terminal", "Give -o FILE.pdf.")]
        )
    sys.stdout.flush()
    sys.stdout.buffer.write(data)


def _region(args: argparse.Namespace) -> str | None:
    from mesoreg._errors import InputError
    from mesoreg.documents._validate import context_problems
    from mesoreg.host._config import load_settings

    region = args.region or load_settings({}).region
    wrong = context_problems(None, region, prefix="--")
    if wrong:
        raise InputError(wrong)
    return region.upper() if region else None


def run_mfr(args: argparse.Namespace, registry_factory: Callable[[], Registry]) -> int:
    """``mesoreg mfr``: exit 0 (check passed or warned), 1 (it failed), 3 (not validated)."""
    import json

    from mesoreg._errors import InputError, Problem
    from mesoreg._exit import ExitCode
    from mesoreg.checks._report import Verdict
    from mesoreg.compounding._api import make_master_record
    from mesoreg.compounding._record_model import record_to_dict
    from mesoreg.host._config import load_settings
    from mesoreg.interfaces import _store_cli
    from mesoreg.interfaces._console import Console

    if (args.environment is None) != (args.storage is None):
        raise InputError(
            [
                Problem(
                    "--environment" if args.environment is None else "--storage",
                    "is needed with the other: the BUD rule reads both",
                    "Give both --environment and --storage, or neither.",
                )
            ]
        )
    region = _region(args)
    day = args.date or dt.date.today()
    registry = registry_factory()
    store = _store_cli.open_store(
        args.store or load_settings({}).store, Console(0, args.format == "json")
    )
    now = dt.datetime.now(dt.UTC)
    bud = _bud(args, now) if args.environment else None
    storage = Storage(args.storage) if args.storage else None
    record, report = make_master_record(
        store, args.reference, day, region, bud, storage, registry, now
    )
    if args.format == "json":
        _write(args, json.dumps(record_to_dict(record), indent=2, ensure_ascii=False))
    elif args.format == "pdf":
        from mesoreg.compounding._pdf import record_pdf

        _write(args, record_pdf(record))
    else:
        from mesoreg.compounding._html import record_html

        _write(args, record_html(record))
    if report.verdict is Verdict.FAIL:
        return ExitCode.FINDINGS
    if report.verdict is Verdict.NOT_VALIDATED or (bud is not None and not bud.is_assigned):
        return ExitCode.NOT_VALIDATED
    return ExitCode.OK


def run_label(args: argparse.Namespace, registry_factory: Callable[[], Registry]) -> int:
    """``mesoreg label``: exit 0 with a BUD on every label, 3 when none can be assigned."""
    import json

    from mesoreg._exit import ExitCode
    from mesoreg.compounding._bud import Lot
    from mesoreg.compounding._label import build_labels, labels_to_dict

    day = args.compounded_at.date()
    subject, provenance, _ = _read(args, registry_factory(), day, None)
    bud = _bud(args, args.compounded_at, tuple(Lot(*lot) for lot in args.component_lot))
    sheet = build_labels(
        subject,
        f"{provenance.formulation}@{provenance.version}",
        bud,
        Storage(args.storage),
        compounded_at=args.compounded_at,
        lot=args.lot,
        patient=args.patient,
    )
    if args.format == "json":
        _write(args, json.dumps(labels_to_dict(sheet), indent=2, ensure_ascii=False))
    elif args.format == "pdf":
        from mesoreg.compounding._pdf import labels_pdf

        _write(args, labels_pdf(sheet))
    else:
        from mesoreg.compounding._html import labels_html

        _write(args, labels_html(sheet))
    return ExitCode.OK if sheet.has_bud else ExitCode.NOT_VALIDATED


def run(args: argparse.Namespace, registry_factory: Callable[[], Registry]) -> int:
    """Run ``mfr`` or ``label``; returns the exit code."""
    if args.command == "label":
        return run_label(args, registry_factory)
    return run_mfr(args, registry_factory)
