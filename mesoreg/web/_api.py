"""The JSON HTTP API: the Python API's check, catalog and store reading, over HTTP.

=====================================  ===================================================
``POST /api/check``                    a formulation (+ patient, region, dates) -> report
``GET /api/catalog/ingredients``       every ingredient (``cli-catalog-list-1``)
``GET /api/catalog/search?q=TEXT``     every kind of record (``cli-catalog-search-1``)
``GET /api/catalog/conditions?q=``     conditions (``cli-catalog-conditions-1``)
``GET /api/catalog/vocab[/NAME]``      the vocabularies (``cli-catalog-vocab-1``)
``GET /api/store``                     the formulations of the store (``api-store-1``)
``GET /api/store/ID/history``          every version of one (``cli-history-1``)
``GET /api/store/ID/versions/N``       one version, verified (``cli-show-1``; N or latest)
=====================================  ===================================================

Bodies are the documents the command line prints with ``--format json``, so one schema
describes both.  A check's formulation and patient are the dicts of their TOML files
(dates as ``YYYY-MM-DD`` strings, read as dates where the file schema has a date) and go
through :func:`mesoreg.parse_formulation` / :func:`mesoreg.parse_patient`: the same
errors, with the same key paths, as a file.  Ids in paths are checked against the id
pattern before the store is touched; nothing from a request is ever joined to a path
raw.  The store is only read here.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from mesoreg._errors import InputError, MesoregError, Problem
from mesoreg.web._errors import ApiError

#: the longest search text
MAX_QUERY = 200
_CHECK_KEYS = ("formulation", "patient", "region", "date", "previous_session")
JSON_TYPES = ("application/json", "application/fhir+json")


async def read_json(request: Request) -> Any:
    """The request's JSON body; 415 for another content type, 400 for bad JSON."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in JSON_TYPES:
        raise ApiError(
            "unsupported_media_type",
            [
                Problem(
                    "Content-Type",
                    f"the body must be JSON (got '{kind[:60] or 'none'}')",
                    "Send Content-Type: application/json.",
                )
            ],
        )
    body = await request.body()
    try:
        return json.loads(body, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        where = ""
        if isinstance(exc, json.JSONDecodeError):
            where = f" at line {exc.lineno} column {exc.colno}"
        raise ApiError(
            "input",
            [Problem("", f"the body is not valid JSON{where}", "Send one JSON object.")],
        ) from None


def _no_constant(name: str) -> Any:
    """NaN and Infinity are not JSON (Python's reader would take them)."""
    raise ValueError(f"{name} is not a JSON number")


def dates_in(value: Any, schema: Mapping[str, Any]) -> Any:
    """``value`` with each ISO date string where ``schema`` has a date read as a date.

    JSON has no date type; a TOML file does.  Anything else is left as it is, for the
    file pipeline to report with its key path.
    """
    if schema.get("format") == "date" and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value) if len(value) == 10 else value
        except ValueError:
            return value
    if isinstance(value, dict):
        props = schema.get("properties", {})
        return {k: dates_in(v, props[k]) if k in props else v for k, v in value.items()}
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        return [dates_in(v, schema["items"]) for v in value]
    return value


@functools.cache
def _file_schema(name: str) -> dict[str, Any]:
    """A file schema, made once (read only: the date positions of a request's documents)."""
    from mesoreg.interfaces._schema import SCHEMAS

    return SCHEMAS[name]()


def _date(value: object, key: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise InputError([Problem(key, f"must be a date like 2026-11-22 (got {value!r:.40})")])


def check_arguments(body: object) -> dict[str, Any]:
    """The arguments of :func:`mesoreg.check` a check request gives; every problem at once."""
    if not isinstance(body, dict):
        raise InputError(
            [Problem("", f"the body must be a JSON object (got {type(body).__name__})")]
        )
    problems = [
        Problem(key, "unknown key", f"Use only: {', '.join(_CHECK_KEYS)}.")
        for key in body
        if key not in _CHECK_KEYS
    ]
    for key in ("formulation", "patient"):
        if key in body and not isinstance(body[key], dict):
            problems.append(Problem(key, f"must be an object with the keys of a {key} file"))
    if "formulation" not in body:
        problems.append(Problem("formulation", "is missing", "Give the formulation as an object."))
    region = body.get("region")
    if region is not None and not isinstance(region, str):
        problems.append(Problem("region", "must be an ISO 3166 code like FR"))
    dates: dict[str, dt.date | None] = {}
    for key in ("date", "previous_session"):
        try:
            dates[key] = _date(body.get(key), key)
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    return {
        "formulation": dates_in(body["formulation"], _file_schema("formulation-1.schema.json")),
        "patient": dates_in(body["patient"], _file_schema("patient-1.schema.json"))
        if body.get("patient") is not None
        else None,
        "region": region,
        **dates,
    }


def run_check(arguments: dict[str, Any], registry: Any) -> tuple[Any, Any]:
    """The report of :func:`check_arguments`' arguments, and the patient read from them.

    The patient's problems and the formulation's are raised together.
    """
    from mesoreg.documents._parse import parse_patient
    from mesoreg.host._engine import check as check_with

    patient: Any = None
    wrong: list[Problem] = []
    if arguments["patient"] is not None:
        try:
            patient = parse_patient(arguments["patient"])
        except InputError as exc:
            wrong = list(exc.problems)
    try:
        report = check_with(
            arguments["formulation"],
            patient,
            region=arguments["region"],
            date=arguments["date"],
            previous_session=arguments["previous_session"],
            registry=registry,
        )
    except InputError as exc:
        raise InputError([*exc.problems, *wrong]) from None
    if wrong:
        raise InputError(wrong)
    return report, patient


async def check(request: Request) -> Response:
    """``POST /api/check``: the report of a formulation (+ patient, region, dates)."""
    from mesoreg.checks._render import report_to_dict

    arguments = check_arguments(await read_json(request))
    report, _ = run_check(arguments, request.app.state.registry)
    return JSONResponse(report_to_dict(report))


def _query(request: Request, required: bool) -> str:
    text = request.query_params.get("q", "")
    if len(text) > MAX_QUERY or (required and not text.strip()):
        raise InputError(
            [
                Problem(
                    "q",
                    "is missing" if len(text) <= MAX_QUERY else f"is over {MAX_QUERY} characters",
                    "Give part of a name, alias or code, e.g. ?q=lido.",
                )
            ]
        )
    return text


async def catalog_ingredients(request: Request) -> Response:
    """``GET /api/catalog/ingredients``: every ingredient with its classes and aliases."""
    from mesoreg.knowledge import _listing

    catalog = request.app.state.registry.catalog
    return JSONResponse([_listing.ingredient_row(i) for i in catalog.ingredients.values()])


async def catalog_search(request: Request) -> Response:
    """``GET /api/catalog/search?q=TEXT``: ingredients, drugs, classes, conditions, allergens."""
    from mesoreg.knowledge import _listing

    text = _query(request, required=True)
    return JSONResponse(_listing.search_rows(request.app.state.registry.catalog, text))


async def catalog_conditions(request: Request) -> Response:
    """``GET /api/catalog/conditions?q=TEXT``: conditions by name, alias or ICD-10 code."""
    from mesoreg.knowledge import _listing

    catalog = request.app.state.registry.catalog
    text = _query(request, required=False)
    found = catalog.search_conditions(text) if text else list(catalog.conditions.values())
    return JSONResponse(_listing.condition_rows(catalog, found))


async def catalog_vocab(request: Request) -> Response:
    """``GET /api/catalog/vocab[/NAME]``: the vocabularies, or one."""
    from mesoreg.knowledge import _listing

    data = _listing.vocabularies(request.app.state.registry.catalog)
    name = request.path_params.get("name")
    if name is not None:
        if name not in data:
            raise ApiError(
                "not_found",
                [
                    Problem(
                        "vocabulary",
                        f"no vocabulary is named '{name[:60]}'",
                        f"Use one of: {', '.join(data)}.",
                    )
                ],
            )
        data = {name: data[name]}
    return JSONResponse(data)


# -- the store, read-only -------------------------------------------------------------------


def _store(request: Request) -> Any:
    from mesoreg.store._store import Store

    root: Path | None = request.app.state.config.store
    if root is None or not root.is_dir():
        raise ApiError(
            "not_found",
            [
                Problem(
                    "",
                    "this service has no store",
                    "Start mesoreg serve with --store DIR (or MESOREG_STORE).",
                )
            ],
        )
    return Store(root)


def _hidden(problems: Sequence[Problem], root: Path) -> list[Problem]:
    """Problems with the server's store folder written as <store>: a client has no use for
    the server's paths."""
    where = str(root)

    def hide(text: str | None) -> str | None:
        return text.replace(where, "<store>") if text else text

    return [
        Problem(hide(p.key_path) or "", hide(p.message) or "", hide(p.hint) or "", hide(p.path))
        for p in problems
    ]


def _store_call(request: Request, formulation_id: str, read: Any) -> Any:
    """``read(store, id)`` with a valid id of a formulation the store has; errors as JSON."""
    from mesoreg.store._store import validate_id
    from mesoreg.web._errors import problems_of

    validate_id(formulation_id, "id")
    store = _store(request)
    try:
        if not store.ledger(formulation_id).versions:
            raise ApiError(
                "not_found",
                [
                    Problem(
                        "id",
                        f"'{formulation_id}' has no published version in this store",
                        "GET /api/store lists the formulations.",
                    )
                ],
            )
        return read(store, formulation_id)
    except ApiError:
        raise
    except InputError as exc:
        raise ApiError("input", _hidden(exc.problems, store.root)) from None
    except MesoregError as exc:  # a damaged store: a file that does not match its ledger
        raise ApiError("conflict", _hidden(problems_of(exc), store.root)) from None


async def store_list(request: Request) -> Response:
    """``GET /api/store``: the id of every formulation in the store."""
    return JSONResponse({"formulations": _store(request).ids()})


async def store_history(request: Request) -> Response:
    """``GET /api/store/ID/history``: every version with status, author, hash and events."""
    from mesoreg.interfaces._store_cli import _entry_dict

    def read(store: Any, formulation_id: str) -> Any:
        return [_entry_dict(e) for e in store.ledger(formulation_id).versions]

    return JSONResponse(_store_call(request, request.path_params["id"], read))


def _version(text: str) -> int | None:
    if text == "latest":
        return None
    if text.isdigit() and text[0] != "0" and len(text) <= 9:
        return int(text)
    raise InputError(
        [Problem("version", f"'{text[:20]}' is not a version", "Give N (1, 2...) or latest.")]
    )


async def store_show(request: Request) -> Response:
    """``GET /api/store/ID/versions/N``: a stored version (N or latest), verified."""
    from mesoreg.documents._convert import unstructure
    from mesoreg.interfaces._store_cli import _entry_dict

    version = _version(request.path_params["version"])

    def read(store: Any, formulation_id: str) -> Any:
        if version is not None and store.ledger(formulation_id).entry(version) is None:
            raise ApiError(
                "not_found",
                [
                    Problem(
                        "version",
                        f"{formulation_id}@{version} is not in this store",
                        f"GET /api/store/{formulation_id}/history lists its versions.",
                    )
                ],
            )
        formulation, entry = store.read(formulation_id, version)
        data = {"formulation": unstructure(formulation), "ledger": _entry_dict(entry)}
        return json.loads(json.dumps(data, default=str))

    return JSONResponse(_store_call(request, request.path_params["id"], read))


def routes() -> list[BaseRoute]:
    """The API's routes."""
    return [
        Route("/api/check", check, methods=["POST"]),
        Route("/api/catalog/ingredients", catalog_ingredients, methods=["GET"]),
        Route("/api/catalog/search", catalog_search, methods=["GET"]),
        Route("/api/catalog/conditions", catalog_conditions, methods=["GET"]),
        Route("/api/catalog/vocab", catalog_vocab, methods=["GET"]),
        Route("/api/catalog/vocab/{name}", catalog_vocab, methods=["GET"]),
        Route("/api/store", store_list, methods=["GET"]),
        Route("/api/store/{id}/history", store_history, methods=["GET"]),
        Route("/api/store/{id}/versions/{version}", store_show, methods=["GET"]),
    ]
