"""The OpenAPI 3.1 document of the service, served at ``/openapi.json``.

Its schemas are mesoreg's own JSON Schemas (:data:`mesoreg.interfaces._schema.SCHEMAS`) and the
API's (:data:`mesoreg.web._schemas.API_SCHEMAS`), under ``components.schemas`` by their
file names without ``.schema.json``; no body is described twice.  The CDS Hooks routes
are listed with the CDS Hooks 2.0 specification's own documents (not repeated here).
"""

from __future__ import annotations

import functools
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from mesoreg._version import __version__

#: which schema each route's success answer follows: (method, path) -> schema name
RESPONSES: dict[tuple[str, str], str] = {
    ("post", "/api/check"): "report-2",
    ("get", "/api/catalog/ingredients"): "cli-catalog-list-1",
    ("get", "/api/catalog/search"): "cli-catalog-search-1",
    ("get", "/api/catalog/conditions"): "cli-catalog-conditions-1",
    ("get", "/api/catalog/vocab"): "cli-catalog-vocab-1",
    ("get", "/api/catalog/vocab/{name}"): "cli-catalog-vocab-1",
    ("get", "/api/store"): "api-store-1",
    ("get", "/api/store/{id}/history"): "cli-history-1",
    ("get", "/api/store/{id}/versions/{version}"): "cli-show-1",
}
_SUMMARIES = {
    "/api/check": "Check a formulation, optionally for a patient, in a region on a date",
    "/api/catalog/ingredients": "Every ingredient of the catalog",
    "/api/catalog/search": "Search ingredients, drugs, classes, conditions and allergens",
    "/api/catalog/conditions": "Patient conditions by name, alias or ICD-10 code",
    "/api/catalog/vocab": "The vocabularies",
    "/api/catalog/vocab/{name}": "One vocabulary",
    "/api/store": "The formulations of the store",
    "/api/store/{id}/history": "Every version of a formulation",
    "/api/store/{id}/versions/{version}": "One stored version (N or latest), verified",
}
_CDS = {
    "/cds-services": ("get", "CDS Hooks discovery"),
    "/cds-services/mesoreg-order-select": ("post", "CDS Hooks order-select service"),
    "/cds-services/mesoreg-order-sign": ("post", "CDS Hooks order-sign service"),
}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(name: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(name)}}}


def _parameters(path: str) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in ("id", "version", "name")
        if "{" + name + "}" in path
    ]
    if path in ("/api/catalog/search", "/api/catalog/conditions"):
        params.append(
            {
                "name": "q",
                "in": "query",
                "required": path.endswith("search"),
                "schema": {"type": "string", "maxLength": 200},
            }
        )
    return params


def _schemas() -> dict[str, Any]:
    from mesoreg.interfaces._schema import SCHEMAS
    from mesoreg.web._schemas import API_SCHEMAS

    found: dict[str, Any] = {}
    for name, make in {**SCHEMAS, **API_SCHEMAS}.items():
        schema = dict(make())
        schema.pop("$schema", None)  # the dialect is the document's (3.1: 2020-12)
        found[name.removesuffix(".schema.json")] = schema
    return found


@functools.cache
def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of every route."""
    errors = _json("api-error-1", "Why no result was made (every problem at once)")
    paths: dict[str, Any] = {}
    for (method, path), schema in RESPONSES.items():
        operation: dict[str, Any] = {
            "summary": _SUMMARIES[path],
            "parameters": _parameters(path),
            "responses": {"200": _json(schema, "The result"), "default": errors},
        }
        if method == "post":
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": _ref("api-check-request-1")}},
            }
        paths.setdefault(path, {})[method] = operation
    for path, (method, summary) in _CDS.items():
        operation = {
            "summary": summary,
            "description": "See https://cds-hooks.hl7.org/2.0/ for the request and answer.",
            "responses": {
                "200": {"description": "CDS Hooks discovery or cards (application/json)"},
                "default": errors,
            },
        }
        paths[path] = {method: operation}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "mesoreg",
            "version": __version__,
            "description": "Check mesotherapy formulations against sourced safety rules.",
        },
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "paths": paths,
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        },
    }


async def openapi(request: Request) -> Response:
    """``GET /openapi.json``."""
    return JSONResponse(openapi_document())


def routes() -> list[BaseRoute]:
    """The OpenAPI document's route."""
    return [Route("/openapi.json", openapi, methods=["GET"])]
