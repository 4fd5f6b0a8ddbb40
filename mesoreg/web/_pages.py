"""The composer's pages: compose and check, the store's formulations, history and diffs.

===========================================  ============================================
``GET /``                                    to ``/composer``
``GET /composer``                            the store's formulations; start a new one
``GET /composer/new``                        the composer, from a template
``GET /composer/edit/ID[?version=N]``        the composer, from a stored version
``POST /composer/check``                     report and composition (:mod:`._composition`)
``GET /composer/patients[/FILE]``            the patient files (:mod:`._patients`)
``GET /composer/ID/history``                 every version: approve, print, diff
``GET /composer/ID/diff?a=N&b=M``            what changed from version N to version M
``GET /static/...``                          the pages' script and style sheet
===========================================  ============================================

The writes (publish, approve) are in :mod:`mesoreg.web._writes`, the printed records
in :mod:`mesoreg.web._print`.  Pages are rendered on the server (:mod:`._templates`);
the script (``static/composer.js``) only sends what the user typed to the check and
shows the report it gets back: no verdict is decided in the browser.  A page that
cannot be shown answers an HTML page listing every problem, with the JSON API's status.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from mesoreg._errors import InputError, MesoregError, Problem
from mesoreg.web._api import _store, _store_call, _version
from mesoreg.web._composition import composer_check
from mesoreg.web._errors import ApiError, problems_of
from mesoreg.web._schemas import ERROR_KINDS
from mesoreg.web._templates import page

#: the vocabularies the composer offers as choices, with the template's field names
CHOICES = ("area", "technique", "route", "purpose", "sex")

Endpoint = Callable[[Request], Awaitable[Response]]


def html_errors(endpoint: Endpoint) -> Endpoint:
    """A page whose errors are shown as a page (every problem), not as JSON."""

    @functools.wraps(endpoint)
    async def shown(request: Request) -> Response:
        try:
            return await endpoint(request)
        except ApiError as exc:
            kind, problems = exc.kind, exc.problems
        except MesoregError as exc:
            kind, problems = "input", problems_of(exc)
        return page(
            request,
            "error.html",
            ERROR_KINDS[kind],
            title="Cannot show this page",
            problems=[str(p) for p in problems],
        )

    return shown


def _plain(value: Any) -> Any:
    """A model's data as JSON would carry it (dates as ISO text, enums as values)."""
    return json.loads(json.dumps(value, default=str))


def _choices(request: Request) -> dict[str, list[str]]:
    from mesoreg.knowledge import _listing

    vocab = _listing.vocabularies(request.app.state.registry.catalog)
    return {name: [row["term"] for row in vocab[name]] for name in CHOICES}


async def home(request: Request) -> Response:
    """``GET /``: the composer."""
    return RedirectResponse("/composer", 303)


async def no_icon(request: Request) -> Response:
    """``GET /favicon.ico``: none (browsers ask for it)."""
    return Response(status_code=204)


@html_errors
async def index(request: Request) -> Response:
    """``GET /composer``: the store's formulations, each with its latest version."""
    config = request.app.state.config
    rows: list[dict[str, Any]] = []
    if config.store is not None and config.store.is_dir():
        store = _store(request)
        for formulation_id in store.ids():
            ledger = store.ledger(formulation_id)
            latest = ledger.entry(ledger.latest) if ledger.latest else None
            rows.append(
                {
                    "id": formulation_id,
                    "latest": latest.version if latest else None,
                    "status": str(latest.status) if latest else "",
                    "verdict": latest.last_check.verdict if latest and latest.last_check else "",
                }
            )
    return page(request, "index.html", title="Formulations", rows=rows)


def _composer(request: Request, formulation: dict[str, Any], source: str) -> Response:
    from mesoreg.web._patients import listed

    return page(
        request,
        "composer.html",
        title=f"Compose {formulation.get('id') or 'a formulation'}",
        formulation=formulation,
        source=source,
        choices=_choices(request),
        patient_files=listed(request),
        today=dt.date.today().isoformat(),
    )


@html_errors
async def new(request: Request) -> Response:
    """``GET /composer/new``: the composer with a one-syringe template."""
    from mesoreg.documents._convert import unstructure
    from mesoreg.store._publish import template

    data = _plain(unstructure(template("new-formulation")))
    data["authors"] = []
    return _composer(request, data, "a new formulation")


@html_errors
async def edit(request: Request) -> Response:
    """``GET /composer/edit/ID[?version=N]``: the composer from a stored version."""
    from mesoreg.documents._convert import unstructure

    version = _version(request.query_params.get("version", "latest"))

    def read(store: Any, formulation_id: str) -> Any:
        formulation, entry = store.read(formulation_id, version)
        return _plain(unstructure(formulation)), entry.version

    data, number = _store_call(request, request.path_params["id"], read)
    return _composer(request, data, f"{data['id']}@{number}")


def _records(store: Any, formulation_id: str, version: int) -> tuple[list[dict[str, Any]], str]:
    """A version's compounding records for the history page, or why they cannot be read."""
    from mesoreg.compounding._batch import parse_record
    from mesoreg.store._records import read_records

    rows = []
    try:
        for ref, data in read_records(store, formulation_id, version):
            record = parse_record(data, ref.file)
            bud = record.bud.bud
            rows.append(
                {
                    "number": ref.number,
                    "compounded_at": record.compounded_at.isoformat(timespec="minutes"),
                    "prepared_by": record.prepared_by,
                    "verified_by": record.verified_by,
                    "patient": record.patient or "",
                    "bud": bud.isoformat(timespec="minutes") if bud else "not determined",
                    "acknowledged": len(record.acknowledgements),
                }
            )
    except MesoregError as exc:
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return rows, text.replace(str(store.root), "<store>")
    return rows, ""


@html_errors
async def history(request: Request) -> Response:
    """``GET /composer/ID/history``: every version, with approve, print and diff."""
    from mesoreg.interfaces._store_cli import _entry_dict

    def read(store: Any, formulation_id: str) -> Any:
        entries = []
        for e in store.ledger(formulation_id).versions:
            row = _entry_dict(e)
            row["records"], row["records_problem"] = _records(store, formulation_id, e.version)
            entries.append(row)
        return entries

    formulation_id = request.path_params["id"]
    entries = _store_call(request, formulation_id, read)
    from mesoreg.compounding._terms import Environment, Storage

    return page(
        request,
        "history.html",
        title=f"{formulation_id}: history",
        formulation_id=formulation_id,
        entries=entries,
        environments=[e.value for e in Environment],
        storages=[s.value for s in Storage],
        now=dt.datetime.now(dt.UTC).isoformat(timespec="minutes"),
    )


def _number(request: Request, key: str) -> int:
    text = request.query_params.get(key, "")
    number = _version(text) if text else None
    if number is None:
        raise InputError(
            [
                Problem(
                    key, "is missing" if not text else "must be a version number", "e.g. ?a=1&b=2"
                )
            ]
        )
    return number


@html_errors
async def diff(request: Request) -> Response:
    """``GET /composer/ID/diff?a=N&b=M``: what changed from version N to version M."""
    from mesoreg.store._diff import diff_formulations

    problems: list[Problem] = []
    numbers: dict[str, int] = {}
    for key in ("a", "b"):
        try:
            numbers[key] = _number(request, key)
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    catalog = request.app.state.registry.catalog

    def read(store: Any, formulation_id: str) -> Any:
        old, _ = store.read(formulation_id, numbers["a"])
        new, _ = store.read(formulation_id, numbers["b"])
        return diff_formulations(old, new, catalog)

    formulation_id = request.path_params["id"]
    lines = _store_call(request, formulation_id, read)
    return page(
        request,
        "diff.html",
        title=f"{formulation_id}: version {numbers['a']} → {numbers['b']}",
        formulation_id=formulation_id,
        a=numbers["a"],
        b=numbers["b"],
        lines=lines,
    )


def routes() -> list[BaseRoute]:
    """The composer's routes, its writes and printed records included."""
    from mesoreg.web import _patients, _preparation, _print, _writes

    return [
        Route("/", home, methods=["GET"]),
        Route("/favicon.ico", no_icon, methods=["GET"]),
        Route("/composer", index, methods=["GET"]),
        Route("/composer/new", new, methods=["GET"]),
        Route("/composer/edit/{id}", edit, methods=["GET"]),
        Route("/composer/check", composer_check, methods=["POST"]),
        Route("/composer/{id}/history", history, methods=["GET"]),
        Route("/composer/{id}/diff", diff, methods=["GET"]),
        *_patients.routes(),
        *_writes.routes(),
        *_preparation.routes(),
        *_print.routes(),
        Mount("/static", StaticFiles(packages=[("mesoreg.web", "static")]), name="static"),
    ]
