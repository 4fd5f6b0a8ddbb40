"""The ``compound`` and ``records`` commands: record a preparation, list a version's records.

``mesoreg compound ID@N --prepared-by A --verified-by B --lot PRODUCT:LOT:YYYY-MM-DD ...
--environment ENV --storage STORAGE --compounded-at TIME [--patient ID] [--deviation TEXT]
[--acks FILE]`` checks the version, assigns the BUD, and appends the record to the store
(:mod:`mesoreg.store._records`); ``mesoreg records ID@N`` lists the records, each checked
against the ledger.  JSON output: ``schemas/cli-compound-1.schema.json`` and
``schemas/cli-records-1.schema.json``; ``records --format fhir`` an R5 Bundle.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from mesoreg._errors import InputError
from mesoreg._exit import ExitCode
from mesoreg.checks._render import printable
from mesoreg.compounding._batch import (
    CompoundingRecord,
    CompoundRequest,
    build_record,
    dump_record,
    parse_acks,
    parse_record,
    record_to_dict,
)
from mesoreg.compounding._bud import Category, Environment, Storage
from mesoreg.documents._load import read_text
from mesoreg.store._ledger import RecordRef
from mesoreg.store._records import add_record, read_records

if TYPE_CHECKING:
    from mesoreg.compounding._products import Product
    from mesoreg.host._registry import Registry
    from mesoreg.store._store import Store

COMPOUND_OUTPUT_VERSION = 1
RECORDS_OUTPUT_VERSION = 1


def _store(args: argparse.Namespace) -> Store:
    from mesoreg.host._config import load_settings
    from mesoreg.interfaces import _store_cli
    from mesoreg.interfaces._console import Console

    console = Console(0, args.format == "json")
    return _store_cli.open_store(args.store or load_settings({}).store, console)  # type: ignore[no-any-return]


def _region(args: argparse.Namespace) -> str | None:
    from mesoreg.compounding._record_cli import _region

    return _region(args)


def _version(reference: str) -> tuple[str, int]:
    from mesoreg._errors import Problem
    from mesoreg.store._store import parse_ref

    formulation_id, version = parse_ref(reference)
    if version is None:
        raise InputError(
            [
                Problem(
                    "reference",
                    f"'{reference}' names no version",
                    "Write ID@N, e.g. lipo-abdomen@2.",
                )
            ]
        )
    return formulation_id, version


def run_compound(args: argparse.Namespace, registry_factory: Callable[[], Registry]) -> int:
    """``mesoreg compound``: exit 0 recorded with a BUD, 3 recorded without one or not
    validated, 2 refused (nothing recorded)."""
    from mesoreg.compounding._cli import products_on_hand

    formulation_id, version = _version(args.reference)
    region = _region(args)
    acks = parse_acks(read_text(args.acks), args.acks) if args.acks else ()
    request = CompoundRequest(
        compounded_at=args.compounded_at,
        prepared_by=args.prepared_by,
        verified_by=args.verified_by,
        environment=Environment(args.environment),
        storage=Storage(args.storage),
        lots=tuple(args.lot),
        patient=args.patient,
        deviations=tuple(args.deviation),
        acknowledgements=acks,
        category=Category(args.category) if args.category else None,
        sterility_tested=args.sterility_tested,
        sterile_components=not args.nonsterile_components,
    )
    store = _store(args)
    ref, stored = record_preparation(
        store,
        formulation_id,
        version,
        request,
        products_on_hand(args.products),
        registry_factory(),
        region,
    )
    if args.format == "json":
        out = {"compound_output_version": COMPOUND_OUTPUT_VERSION, **_item(ref, stored)}
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        print(record_text(ref, stored))
    return _code(stored)


def record_preparation(
    store: Store,
    formulation_id: str,
    version: int,
    request: CompoundRequest,
    products: Mapping[str, Product],
    registry: Registry,
    region: str | None,
) -> tuple[RecordRef, CompoundingRecord]:
    """Check ``formulation_id@version`` on the compounding date, build the record of
    ``request`` (every refusal at once, before the store is touched) and append it to the
    store; the record as stored and the ledger's reference to it.  ``mesoreg compound``
    and the composer's "record a preparation" both record through this function."""
    from mesoreg.host._engine import check

    formulation, entry = store.read(formulation_id, version)
    report = check(
        formulation, None, region=region, date=request.compounded_at.date(), registry=registry
    )
    # the store refuses a retired version
    record = build_record(request, formulation, entry.sha256, products, registry.catalog, report)

    def make(number: int, current: Any) -> bytes:
        return dump_record(_numbered(record, number))

    ref, data = add_record(
        store,
        formulation_id,
        version,
        make,
        lambda raw: _same(parse_record(raw, "record"), record),
        request.prepared_by,
    )
    return ref, parse_record(data, ref.file)


def _numbered(record: CompoundingRecord, number: int) -> CompoundingRecord:
    import attrs

    return attrs.evolve(record, record=number)


def _same(read_back: CompoundingRecord, record: CompoundingRecord) -> None:
    import attrs

    if attrs.evolve(read_back, record=0) != record:
        from mesoreg.store._store_io import StoreError

        raise StoreError("the compounding record does not read back as built")


def _code(record: CompoundingRecord) -> int:
    if record.bud.bud is None or record.check.verdict == "not-validated":
        return ExitCode.NOT_VALIDATED
    return ExitCode.OK


def _item(ref: RecordRef, record: CompoundingRecord) -> dict[str, Any]:
    return {
        "file": ref.file,
        "sha256": ref.sha256,
        "recorded_by": ref.by,
        "recorded_at": ref.at.isoformat(),
        "record": record_to_dict(record),
    }


def record_text(ref: RecordRef, record: CompoundingRecord) -> str:
    """One record for a pharmacist; every text from an input escaped."""
    bud = record.bud
    if bud.bud is not None:
        bud_line = (
            f"BUD {bud.bud.isoformat(timespec='minutes')} ({bud.hours} h, {bud.category}, "
            f"rule {bud.rule}, USP <797> {bud.section})"
        )
    else:
        bud_line = f"BUD NOT DETERMINED ({bud.category}): {bud.reason}"
    lines = [
        f"{record.formulation}@{record.version} record {record.record}  {ref.file}  "
        f"sha256 {ref.sha256[:12]}",
        f"  compounded {record.compounded_at.isoformat(timespec='minutes')} in "
        f"{record.environment.value}, stored {record.storage.value}",
        f"  prepared by {record.prepared_by}; verified by {record.verified_by}",
        f"  patient {record.patient or '-'}",
    ]
    lines += [
        f"  lot {u.lot} of {u.product} ({u.strength}), expires {u.expiry.isoformat()}"
        for u in record.lots
    ]
    lines.append(f"  {bud_line}")
    check = record.check
    lines.append(
        f"  check when compounded: {check.verdict} ({len(check.findings)} finding(s), "
        f"mesoreg {check.mesoreg_version})"
    )
    for ack in record.acknowledgements:
        severity = ack.severity.value if ack.severity else "?"
        lines.append(
            f"  ACKNOWLEDGED {severity} {ack.code} [{', '.join(ack.components)}] by "
            f"{' and '.join(ack.by)}: {ack.reason}"
        )
    lines += [f"  deviation: {d}" for d in record.deviations]
    return "\n".join(printable(line) for line in lines)


def run_records(args: argparse.Namespace, registry_factory: Callable[[], Registry]) -> int:
    """``mesoreg records``: every record of a version, checked against its ledger hash."""
    formulation_id, version = _version(args.reference)
    store = _store(args)
    formulation, _ = store.read(formulation_id, version)
    found = [
        (ref, parse_record(data, ref.file))
        for ref, data in read_records(store, formulation_id, version)
    ]
    if args.format == "fhir":
        from mesoreg.documents._model import Context
        from mesoreg.host._engine import check, resolve_subject
        from mesoreg.interfaces._fhir import records_bundle

        region = _region(args)
        registry = registry_factory()
        day = dt.date.today()
        report = check(formulation, None, region=region, date=day, registry=registry)
        subject, _ = resolve_subject(formulation, None, Context(day, region), registry)
        bundle = records_bundle(
            subject, report, [(ref.file, record_to_dict(record)) for ref, record in found]
        )
        print(json.dumps(bundle, indent=2, ensure_ascii=False))
        return ExitCode.OK
    if args.format == "json":
        out = {
            "records_output_version": RECORDS_OUTPUT_VERSION,
            "formulation": formulation_id,
            "version": version,
            "records": [_item(ref, record) for ref, record in found],
        }
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return ExitCode.OK
    if not found:
        print(f"{formulation_id}@{version}: no compounding record")
    for ref, record in found:
        print(record_text(ref, record))
    return ExitCode.OK


def run(args: argparse.Namespace, registry_factory: Callable[[], Registry]) -> int:
    """Run ``compound`` or ``records``; returns the exit code."""
    if args.command == "records":
        return run_records(args, registry_factory)
    return run_compound(args, registry_factory)
