"""Printed records of a stored version: the master formulation record and syringe labels.

=================================================  =======================================
``GET /composer/ID/versions/N/mfr``                the MFR (``mesoreg mfr ID@N``), HTML;
                                                   ``?environment=&storage=`` for its BUD
``GET /composer/ID/versions/N/label?lot=...``      the labels (``mesoreg label ID@N``):
                                                   ``lot``, ``environment``, ``storage``,
                                                   ``compounded_at`` (with its offset)
``GET /composer/ID/versions/N/records/K``          the K-th compounding record of ``ID@N``
                                                   (``mesoreg records ID@N``)
=================================================  =======================================

The pages are the commands' own HTML (:mod:`mesoreg.compounding._html`), made from the
version as read and verified from the store, and a compounding record as its ledger
names it and checked against its hash (:func:`mesoreg.store._records.read_records`):
the record's number is looked up among the ledger's records, never joined to a path.
They carry their style sheet inline, so their content security policy allows that one
style sheet by its hash, and nothing else.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from mesoreg._errors import InputError, Problem
from mesoreg.web._api import _store_call, _version
from mesoreg.web._pages import html_errors

_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)


def printable_page(html: str) -> Response:
    """The page, with a policy that allows its inline style sheet only."""
    found = _STYLE.search(html)
    style = "'none'"
    if found:
        digest = hashlib.sha256(found.group(1).encode("utf-8")).digest()
        style = f"'sha256-{base64.b64encode(digest).decode()}'"
    policy = (
        f"default-src 'none'; style-src {style}; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'none'"
    )
    return HTMLResponse(html, headers={"content-security-policy": policy})


def _choice(request: Request, key: str, kind: Any, required: bool) -> Any:
    text = request.query_params.get(key, "")
    if not text and not required:
        return None
    values = [k.value for k in kind]
    if text not in values:
        raise InputError(
            [
                Problem(
                    key,
                    "is missing" if not text else f"unknown {key} '{text[:40]}'",
                    f"Use one of: {', '.join(values)}.",
                )
            ]
        )
    return kind(text)


def _read(request: Request, day: dt.date, region: str | None) -> tuple[Any, Any, dict[str, str]]:
    """The stored version resolved as the check resolves it, its provenance and names."""
    from mesoreg.compounding._record_model import read_version

    version = _version(request.path_params["version"])
    registry = request.app.state.registry

    def read(store: Any, formulation_id: str) -> Any:
        return read_version(store, formulation_id, version, day, region, registry)

    result: tuple[Any, Any, dict[str, str]] = _store_call(request, request.path_params["id"], read)
    return result


def _bud(environment: Any, storage: Any, at: dt.datetime) -> Any:
    from mesoreg.compounding._bud import BudConditions, assign_bud

    return assign_bud(BudConditions(environment=environment, storage=storage, compounded_at=at))


@html_errors
async def mfr(request: Request) -> Response:
    """``GET /composer/ID/versions/N/mfr``: the master formulation record, as ``mesoreg mfr``."""
    from mesoreg.compounding._html import record_html
    from mesoreg.compounding._record_model import build_record
    from mesoreg.compounding._terms import Environment, Storage
    from mesoreg.host._engine import check

    problems: list[Problem] = []
    chosen: dict[str, Any] = {}
    for key, kind in (("environment", Environment), ("storage", Storage)):
        try:
            chosen[key] = _choice(request, key, kind, required=False)
        except InputError as exc:
            problems += exc.problems
    if not problems and (chosen["environment"] is None) != (chosen["storage"] is None):
        problems.append(Problem("storage", "environment and storage go together (the BUD rule)"))
    if problems:
        raise InputError(problems)
    region = request.app.state.config.region
    day = dt.date.today()
    subject, provenance, resolved = _read(request, day, region)
    report = check(
        subject.formulation, None, region=region, date=day, registry=request.app.state.registry
    )
    now = dt.datetime.now(dt.UTC)
    bud = _bud(chosen["environment"], chosen["storage"], now) if chosen["environment"] else None
    record = build_record(
        subject,
        report,
        provenance,
        bud=bud,
        storage=chosen["storage"],
        generated=now,
        resolved=resolved,
    )
    return printable_page(record_html(record))


@html_errors
async def label(request: Request) -> Response:
    """``GET /composer/ID/versions/N/label``: the syringe labels, as ``mesoreg label``."""
    from mesoreg.compounding._html import labels_html
    from mesoreg.compounding._label import build_labels
    from mesoreg.compounding._terms import Environment, Storage

    problems: list[Problem] = []
    chosen: dict[str, Any] = {}
    for key, kind in (("environment", Environment), ("storage", Storage)):
        try:
            chosen[key] = _choice(request, key, kind, required=True)
        except InputError as exc:
            problems += exc.problems
    text = request.query_params.get("compounded_at", "")
    at: dt.datetime | None = None
    with contextlib.suppress(ValueError):
        at = dt.datetime.fromisoformat(text)
    if at is None or at.tzinfo is None:
        problems.append(
            Problem(
                "compounded_at",
                f"'{text[:40]}' is not a date and time with its offset",
                "Write it like 2026-11-22T10:00+01:00.",
            )
        )
    lot = request.query_params.get("lot", "")
    if not lot.strip():
        problems.append(Problem("lot", "is missing", "Give the lot number to print."))
    patient = request.query_params.get("patient") or None
    if problems:
        raise InputError(problems)
    assert at is not None
    subject, provenance, _ = _read(request, at.date(), None)
    sheet = build_labels(
        subject,
        f"{provenance.formulation}@{provenance.version}",
        _bud(chosen["environment"], chosen["storage"], at),
        chosen["storage"],
        compounded_at=at,
        lot=lot,
        patient=patient,
    )
    return printable_page(labels_html(sheet))


def record_number(text: str) -> int:
    """A record's number from a path (1, 2, ...): digits only, never a name."""
    if text.isdigit() and text[0] != "0" and len(text) <= 9:
        return int(text)
    raise InputError(
        [Problem("record", f"'{text[:20]}' is not a record number", "Give K (1, 2...).")]
    )


@html_errors
async def compounding_record(request: Request) -> Response:
    """``GET /composer/ID/versions/N/records/K``: one compounding record, printable."""
    from mesoreg.compounding._batch import parse_record
    from mesoreg.compounding._html import compounding_record_html
    from mesoreg.store._records import read_records
    from mesoreg.web._errors import ApiError

    version = _version(request.path_params["version"])
    number = record_number(request.path_params["number"])
    if version is None:
        raise InputError([Problem("version", "give the version, not latest")])

    def read(store: Any, formulation_id: str) -> Any:
        for ref, data in read_records(store, formulation_id, version):
            if ref.number == number:
                return compounding_record_html(parse_record(data, ref.file), ref)
        raise ApiError(
            "not_found",
            [
                Problem(
                    "record",
                    f"{formulation_id}@{version} has no record {number}",
                    "The history page lists the records.",
                )
            ],
        )

    html: str = _store_call(request, request.path_params["id"], read)
    return printable_page(html)


def routes() -> list[BaseRoute]:
    """The printed records' routes."""
    return [
        Route(
            "/composer/{id}/versions/{version}/records/{number}",
            compounding_record,
            methods=["GET"],
        ),
        Route("/composer/{id}/versions/{version}/mfr", mfr, methods=["GET"]),
        Route("/composer/{id}/versions/{version}/label", label, methods=["GET"]),
    ]
