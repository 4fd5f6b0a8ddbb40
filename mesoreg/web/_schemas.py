"""The JSON Schemas of the HTTP API's own documents (request bodies, errors, listings).

Every other body the API sends or takes is one of mesoreg's documents and uses its schema
(:data:`mesoreg.interfaces._schema.SCHEMAS`): the report (``report-2``), the formulation and patient
files, the catalog and store listings of the command line (``cli-*``).  The schemas here
are committed in ``schemas/`` like the others; regenerate them with
``python -m mesoreg.web._schemas schemas`` (``tests/test_web_schemas.py`` holds the
committed files to this module).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mesoreg.interfaces._schema import SCHEMAS, render

DRAFT = "http://json-schema.org/draft-07/schema#"
#: the version of the error document
API_ERROR_VERSION = 1
#: the kinds of error, each with its HTTP status
ERROR_KINDS: dict[str, int] = {
    "input": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "conflict": 409,
    "too_large": 413,
    "unsupported_media_type": 415,
    "internal": 500,
}


def _s(description: str, **more: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **more}


def _closed(props: dict[str, Any], description: str, required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "properties": props,
        "required": required,
        "additionalProperties": False,
    }


def _body(name: str) -> dict[str, Any]:
    """A mesoreg file schema as a request body part (without its ``$schema`` and title)."""
    schema = dict(SCHEMAS[name]())
    schema.pop("$schema", None)
    schema.pop("title", None)
    return schema


def error_schema() -> dict[str, Any]:
    """Why a request made no result: the HTTP status, its kind, and every problem at once."""
    problem = _closed(
        {
            "path": {
                "type": ["string", "null"],
                "description": "The document the problem is in (<formulation>, <patient>...).",
            },
            "key_path": _s("Where in the document or request, e.g. preparations[0].volume."),
            "message": _s("What is wrong, in one line."),
            "hint": _s("How to fix it (may be empty)."),
            "text": _s("The whole message in one line."),
        },
        "One problem: where, what, how to fix.",
        ["path", "key_path", "message", "hint", "text"],
    )
    body = _closed(
        {
            "error_schema_version": {
                "const": API_ERROR_VERSION,
                "description": "This document's version (1).",
            },
            "status": {"type": "integer", "description": "The HTTP status code."},
            "kind": {"enum": list(ERROR_KINDS), "description": "What went wrong."},
            "errors": {
                "type": "array",
                "description": "Every problem found, at once.",
                "items": problem,
            },
        },
        "Why the request made no result; never a traceback.",
        ["error_schema_version", "status", "kind", "errors"],
    )
    return {"$schema": DRAFT, "title": "mesoreg API error", **body}


def check_request_schema() -> dict[str, Any]:
    """The body of ``POST /api/check``: a formulation, a patient, a region and a date."""
    date = {"type": "string", "format": "date"}
    body = _closed(
        {
            "formulation": {
                **_body("formulation-1.schema.json"),
                "description": "The formulation, with the keys of its TOML file (dates as "
                "YYYY-MM-DD strings).",
            },
            "patient": {
                **_body("patient-1.schema.json"),
                "description": "The patient, with the keys of a patient file (optional: "
                "without it the patient-specific rules are reported as not run).",
            },
            "region": _s("ISO 3166 code whose regulations apply, e.g. FR (optional)."),
            "date": {**date, "description": "The session date (default: today)."},
            "previous_session": {
                **date,
                "description": "The date of the patient's previous session (optional).",
            },
        },
        "A check: the formulation and, optionally, the patient, region and dates.",
        ["formulation"],
    )
    return {"$schema": DRAFT, "title": "mesoreg API check request", **body}


def store_list_schema() -> dict[str, Any]:
    """The body of ``GET /api/store``: the ids of the store's formulations."""
    body = _closed(
        {
            "formulations": {
                "type": "array",
                "description": "The id of every formulation in the store, sorted.",
                "items": {"type": "string"},
            }
        },
        "The formulations of the store.",
        ["formulations"],
    )
    return {"$schema": DRAFT, "title": "mesoreg API store", **body}


#: file name -> generator
API_SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "api-error-1.schema.json": error_schema,
    "api-check-request-1.schema.json": check_request_schema,
    "api-store-1.schema.json": store_list_schema,
}


def export(folder: Path) -> list[Path]:
    """Write the API's schemas into ``folder``; returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, make in API_SCHEMAS.items():
        path = folder / name
        path.write_text(render(make()), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover - a maintainer's command
    for path in export(Path(sys.argv[1] if len(sys.argv) > 1 else "schemas")):
        print(f"wrote {path}")
