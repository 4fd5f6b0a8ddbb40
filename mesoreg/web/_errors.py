"""Every error the service answers is a JSON document (``schemas/api-error-1.schema.json``).

Bad input is the same problems, with the same key paths, that the command line and the
Python API give; an unexpected exception is one line naming its type, never a
traceback (which is logged on the server, not sent).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mesoreg._errors import MesoregError, Problem
from mesoreg.web._schemas import API_ERROR_VERSION, ERROR_KINDS

log = logging.getLogger("mesoreg.web")

#: the kind of error each HTTP status stands for, when a route or Starlette raises it
_KIND_OF = {status: kind for kind, status in ERROR_KINDS.items()}


class ApiError(Exception):
    """An error answer: its kind (which gives the status) and its problems."""

    def __init__(
        self, kind: str, problems: Sequence[Problem], headers: dict[str, str] | None = None
    ) -> None:
        self.kind = kind
        self.problems = list(problems)
        self.headers = headers or {}
        super().__init__("; ".join(str(p) for p in self.problems))


def error_body(kind: str, problems: Sequence[Problem]) -> dict[str, Any]:
    """The error document of ``kind`` with ``problems``."""
    return {
        "error_schema_version": API_ERROR_VERSION,
        "status": ERROR_KINDS[kind],
        "kind": kind,
        "errors": [p.to_dict() for p in problems],
    }


def error_response(
    kind: str, problems: Sequence[Problem], headers: dict[str, str] | None = None
) -> JSONResponse:
    """The JSON answer of an error."""
    return JSONResponse(error_body(kind, problems), ERROR_KINDS[kind], headers=headers)


def problems_of(exc: MesoregError) -> list[Problem]:
    """The problems of a mesoreg error, one per line of its message."""
    from mesoreg.interfaces._console import error_problems

    return error_problems(exc)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.kind, exc.problems, exc.headers)


async def _mesoreg_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, MesoregError)
    return error_response("input", problems_of(exc))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    kind = _KIND_OF.get(exc.status_code, "input" if exc.status_code < 500 else "internal")
    message = {
        "not_found": f"nothing at {request.url.path}",
        "method_not_allowed": f"{request.method} is not allowed on {request.url.path}",
    }.get(kind, str(exc.detail))
    hint = (
        "See /openapi.json for the routes." if kind in ("not_found", "method_not_allowed") else ""
    )
    return error_response(kind, [Problem("", message, hint)], dict(exc.headers or {}))


async def _internal_error(request: Request, exc: Exception) -> Response:
    log.exception("internal error on %s %s", request.method, request.url.path)
    problem = Problem(
        "",
        f"internal error: {type(exc).__name__}",
        "This is a bug in mesoreg or a plugin; the server's log has the details.",
    )
    return error_response("internal", [problem])


#: exception handlers for :class:`starlette.applications.Starlette`
HANDLERS: dict[Any, Any] = {
    ApiError: _api_error,
    MesoregError: _mesoreg_error,
    HTTPException: _http_error,
    Exception: _internal_error,
}
