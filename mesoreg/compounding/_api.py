"""The Python API of compounding: one thin function per step, exported from ``mesoreg``.

Each function does what its command does (``mesoreg compose``, ``bud``, ``mfr``,
``label``, ``compound``, ``records``), through the same code, and raises the same
:class:`~mesoreg.InputError` (every problem, with its key path) for bad input.  A store
is given as a :class:`~mesoreg.Store` or the path of its folder; a version as ``ID@N``.
The default registry is the one :func:`mesoreg.check` uses.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mesoreg._errors import InputError, Problem

if TYPE_CHECKING:
    from mesoreg.checks._report import Report
    from mesoreg.compounding._batch import CompoundingRecord, CompoundRequest
    from mesoreg.compounding._bud import BudConditions, BudResult
    from mesoreg.compounding._compose import ComposeRequest, Composition
    from mesoreg.compounding._label import LabelSheet
    from mesoreg.compounding._products import Product
    from mesoreg.compounding._record_model import MasterRecord
    from mesoreg.compounding._terms import Category, Environment, Storage
    from mesoreg.host._registry import Registry
    from mesoreg.store._store import Store

#: the name a compose request given in memory has in messages
REQUEST_ORIGIN = "<compose request>"

# -- compose ------------------------------------------------------------------------------


def parse_compose_request(
    source: str | Mapping[str, Any], *, origin: str | None = None
) -> ComposeRequest:
    """Read a compose request from TOML text or from a mapping, as if it were a file.

    As :func:`mesoreg.parse_formulation`: a ``str`` is TOML text (never a path: use
    :func:`mesoreg.load_compose_request`), a mapping has the file's keys.  ``origin``
    names the data in messages (default ``"<compose request>"``).  Raises
    :class:`~mesoreg.InputError` listing every problem with its key path.
    """
    from mesoreg.compounding._compose import parse_request, request_from_data
    from mesoreg.documents._parse import plain_data

    where = origin or REQUEST_ORIGIN
    if isinstance(source, str):
        return parse_request(source, where)
    if isinstance(source, Mapping):
        return request_from_data(plain_data(source, where), where)
    raise InputError(
        [
            Problem(
                "",
                f"a compose request must be given as TOML text or a dict "
                f"(got {type(source).__name__})",
                "Use mesoreg.load_compose_request(path) for a file.",
            )
        ]
    )


def load_compose_request(path: str | os.PathLike[str]) -> ComposeRequest:
    """Read a compose request file (``mesoreg compose REQUEST.toml``); :class:`~mesoreg.InputError`
    lists every problem with its key path."""
    from mesoreg.compounding._compose import load_request

    return load_request(os.fspath(path))


def stock_products(*files: str | os.PathLike[str]) -> Mapping[str, Product]:
    """The stock products on hand: the built-in list plus each product file, by id.

    A product id defined twice (in two files, or in a file and the built-in list) is an
    :class:`~mesoreg.InputError` naming both, as for ``mesoreg compose --products``.
    """
    from mesoreg.compounding._cli import products_on_hand

    return products_on_hand([os.fspath(f) for f in files])


def compose(
    request: ComposeRequest,
    products: Mapping[str, Product] | None = None,
    *,
    registry: Registry | None = None,
) -> Composition:
    """The volumes to draw for ``request`` from ``products`` (default: :func:`stock_products`).

    Each volume is rounded to the syringe's graduations; the result gives, per draw,
    the exact and rounded volume, the real concentration and the rounding error, and
    ``Composition.formulation`` is the formulation draft that :func:`mesoreg.check` and
    :func:`mesoreg.publish` read.  Raises :class:`~mesoreg.InputError` listing every
    problem with its key path (``syringes[0].targets[1].concentration``...).
    """
    from mesoreg.compounding._compose import compose as compose_request
    from mesoreg.host._registry import get_registry

    catalog = (registry or get_registry()).catalog
    return compose_request(request, stock_products() if products is None else products, catalog)


# -- beyond-use date ----------------------------------------------------------------------


def beyond_use_date(conditions: BudConditions) -> BudResult:
    """The USP <797> beyond-use date for ``conditions`` and the rule that gives it.

    ``BudResult.bud`` is None when no rule gives one (``reason`` says why).  Raises
    :class:`~mesoreg.InputError` for conditions that are refused: a time without its
    offset, a category the environment does not allow, an expired lot.
    """
    from mesoreg.compounding._bud import assign_bud

    return assign_bud(conditions)


# -- stored versions ----------------------------------------------------------------------


def _store(store: Store | str | os.PathLike[str]) -> Store:
    from mesoreg.store._store import Store

    if isinstance(store, Store):
        return store
    found = Store(Path(store))
    if not found.root.is_dir():
        raise InputError(
            [
                Problem(
                    "store",
                    f"no store at {found.root}",
                    "Give the folder of a store; mesoreg.publish creates one with its "
                    "first version.",
                )
            ]
        )
    return found


def _version(reference: str, required: bool) -> tuple[str, int | None]:
    from mesoreg.store._store import parse_ref

    formulation_id, version = parse_ref(reference)
    if required and version is None:
        raise InputError(
            [Problem("reference", f"'{reference}' names no version", "Write ID@N, e.g. face@2.")]
        )
    return formulation_id, version


def _region(region: str | None, day: object = None) -> str | None:
    from mesoreg.documents._validate import context_problems

    wrong = context_problems(day, region)
    if wrong:
        raise InputError(wrong)
    return region.upper() if region else None


def make_master_record(
    store: Store,
    reference: str,
    day: dt.date,
    region: str | None,
    bud: BudResult | None,
    storage: Storage | None,
    registry: Registry,
    generated: dt.datetime,
) -> tuple[MasterRecord, Report]:
    """The MFR of ``reference`` checked on ``day``, and the check's report (``mesoreg mfr``
    and :func:`master_formulation_record` both build it here)."""
    from mesoreg.compounding._record_model import build_record, read_version
    from mesoreg.host._engine import check

    formulation_id, version = _version(reference, required=False)
    subject, provenance, resolved = read_version(
        store, formulation_id, version, day, region, registry
    )
    report = check(subject.formulation, None, region=region, date=day, registry=registry)
    record = build_record(
        subject,
        report,
        provenance,
        bud=bud,
        storage=storage,
        generated=generated,
        resolved=resolved,
    )
    return record, report


def master_formulation_record(
    store: Store | str | os.PathLike[str],
    reference: str,
    *,
    date: dt.date | None = None,
    region: str | None = None,
    environment: Environment | None = None,
    storage: Storage | None = None,
    category: Category | None = None,
    registry: Registry | None = None,
) -> MasterRecord:
    """The master formulation record of the stored version ``reference`` (``ID@N``; ``ID``
    alone: the latest), as ``mesoreg mfr`` makes it.

    The record shows the check on ``date`` (default today) in ``region``; with
    ``environment`` and ``storage`` (both or neither) it states the beyond-use date
    their rule gives.  Render it with :func:`mesoreg.record_html` or
    :func:`mesoreg.record_pdf`.  Raises :class:`~mesoreg.InputError` for bad input and
    :class:`~mesoreg.StoreError` for a version that is not in the store as recorded.
    """
    from mesoreg.compounding._bud import BudConditions, assign_bud
    from mesoreg.host._registry import get_registry

    if (environment is None) != (storage is None):
        raise InputError(
            [
                Problem(
                    "environment" if environment is None else "storage",
                    "is needed with the other: the BUD rule reads both",
                    "Give both environment and storage, or neither.",
                )
            ]
        )
    region = _region(region, date)
    now = dt.datetime.now(dt.UTC)
    bud = None
    if environment is not None and storage is not None:
        bud = assign_bud(BudConditions(environment, storage, now, category=category))
    record, _ = make_master_record(
        _store(store),
        reference,
        date or dt.date.today(),
        region,
        bud,
        storage,
        registry or get_registry(),
        now,
    )
    return record


def record_html(record: MasterRecord) -> str:
    """The master formulation record as a printable HTML page (every input escaped)."""
    from mesoreg.compounding._html import record_html as html

    return html(record)


def record_pdf(record: MasterRecord) -> bytes:
    """The master formulation record as PDF bytes; needs ReportLab (``pip install
    'mesoreg[pdf]'``), else an :class:`~mesoreg.InputError` says so."""
    from mesoreg.compounding._pdf import _reportlab
    from mesoreg.compounding._pdf import record_pdf as pdf

    _reportlab("record_pdf", "mesoreg.record_html")
    return pdf(record)


def syringe_labels(
    store: Store | str | os.PathLike[str],
    reference: str,
    conditions: BudConditions,
    *,
    lot: str,
    patient: str | None = None,
    registry: Registry | None = None,
) -> LabelSheet:
    """One label per syringe of the stored version ``reference`` (``ID@N``), as ``mesoreg
    label`` makes them.

    ``conditions`` say where and when it is compounded and how it is kept: they give the
    beyond-use date printed (none printed when no rule gives one: check
    ``LabelSheet.has_bud``), the storage and the compounding time.  ``lot`` and
    ``patient`` are printed as given, on one line.  Render the sheet with
    :func:`mesoreg.labels_html` or :func:`mesoreg.labels_pdf`.
    """
    from mesoreg.compounding._bud import assign_bud
    from mesoreg.compounding._label import build_labels
    from mesoreg.compounding._record_model import read_version
    from mesoreg.host._registry import get_registry

    formulation_id, version = _version(reference, required=False)
    day = conditions.compounded_at.date()
    registry = registry or get_registry()
    subject, provenance, _ = read_version(
        _store(store), formulation_id, version, day, None, registry
    )
    return build_labels(
        subject,
        f"{provenance.formulation}@{provenance.version}",
        assign_bud(conditions),
        conditions.storage,
        compounded_at=conditions.compounded_at,
        lot=lot,
        patient=patient,
    )


def labels_html(sheet: LabelSheet) -> str:
    """The labels as a printable HTML page, one label-sized box per syringe."""
    from mesoreg.compounding._html import labels_html as html

    return html(sheet)


def labels_pdf(sheet: LabelSheet) -> bytes:
    """The labels as PDF bytes, one label-sized page per syringe; needs ReportLab
    (``pip install 'mesoreg[pdf]'``), else an :class:`~mesoreg.InputError` says so."""
    from mesoreg.compounding._pdf import _reportlab
    from mesoreg.compounding._pdf import labels_pdf as pdf

    _reportlab("labels_pdf", "mesoreg.labels_html")
    return pdf(sheet)


# -- compounding records ------------------------------------------------------------------


def record_preparation(
    store: Store | str | os.PathLike[str],
    reference: str,
    request: CompoundRequest,
    *,
    products: Mapping[str, Product] | None = None,
    region: str | None = None,
    registry: Registry | None = None,
) -> CompoundingRecord:
    """Record one preparation of the stored version ``reference`` (``ID@N``), as ``mesoreg
    compound`` does, and return the record as stored (numbered, hashed in the ledger).

    The version is checked on the compounding date; the lots of ``request`` must be of
    ``products`` (default: :func:`stock_products`) that the version draws, in date; the
    beyond-use date is assigned; every refusal is raised at once as an
    :class:`~mesoreg.InputError` before the store is touched.
    """
    from mesoreg.compounding._batch_cli import record_preparation as record
    from mesoreg.host._registry import get_registry

    formulation_id, version = _version(reference, required=True)
    assert version is not None
    region = _region(region)
    _, stored = record(
        _store(store),
        formulation_id,
        version,
        request,
        stock_products() if products is None else products,
        registry or get_registry(),
        region,
    )
    return stored


def compounding_records(
    store: Store | str | os.PathLike[str], reference: str
) -> list[CompoundingRecord]:
    """Every compounding record of the stored version ``reference`` (``ID@N``), oldest
    first, each checked against its ledger hash (:class:`~mesoreg.StoreError` if one was
    changed, as ``mesoreg records`` does)."""
    from mesoreg.compounding._batch import parse_record
    from mesoreg.store._records import read_records

    formulation_id, version = _version(reference, required=True)
    assert version is not None
    found = _store(store)
    found.read(formulation_id, version)
    return [
        parse_record(data, ref.file) for ref, data in read_records(found, formulation_id, version)
    ]
