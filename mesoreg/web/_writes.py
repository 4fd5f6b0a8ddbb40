"""The composer's writes: publish a new version, approve a version.

=============================================  ==========================================
``POST /composer/publish``                     ``{"formulation": {...}, "author": NAME}``
``POST /composer/ID/versions/N/approve``       ``{"by": NAME, "override_reason": TEXT}``
=============================================  ==========================================

Each write needs the token, on localhost too (:func:`~mesoreg.web._security.requires_token`:
refused when the service has none), and the CSRF token of the page's cookie in the
``X-CSRF-Token`` header (:func:`~mesoreg.web._security.check_csrf`); the token
authenticates, and the name given is recorded in the ledger as the author or the
approver.  Publishing goes through :func:`mesoreg.publish` (checked, then written
atomically under the store's lock), approving through :func:`mesoreg.set_status`
(checked again now; a failing check needs an override reason).  Every write, done or
refused, is logged on the ``mesoreg.web.audit`` logger with its user.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from mesoreg._errors import InputError, MesoregError, Problem
from mesoreg.web._api import _file_schema, _hidden, _store, _version, dates_in, read_json
from mesoreg.web._errors import ApiError, problems_of
from mesoreg.web._security import check_csrf, requires_token

#: every write, done or refused, with its user
audit = logging.getLogger("mesoreg.web.audit")
_MAX_NAME = 200


def _log_to_stderr() -> None:
    """The audit lines reach the server's log even when nothing configured logging."""
    if not audit.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s mesoreg audit: %(message)s"))
        audit.addHandler(handler)
        audit.setLevel(logging.INFO)


def _object(body: object, keys: dict[str, bool]) -> dict[str, Any]:
    """``body`` as an object with only ``keys`` (name: required); every problem at once."""
    if not isinstance(body, dict):
        raise InputError([Problem("", "the body must be a JSON object")])
    problems = [
        Problem(key, "unknown key", f"Use only: {', '.join(keys)}.")
        for key in body
        if key not in keys
    ]
    problems += [
        Problem(key, "is missing") for key, required in keys.items() if required and key not in body
    ]
    if problems:
        raise InputError(problems)
    return body


def _name(value: object, key: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_NAME:
        raise InputError(
            [Problem(key, "must be your name (one line)", "Write who you are, e.g. J. Martin.")]
        )
    return value.strip()


def _store_errors(exc: MesoregError, root: Any) -> ApiError:
    if isinstance(exc, InputError):
        return ApiError("input", _hidden(exc.problems, root))
    return ApiError("conflict", _hidden(problems_of(exc), root))


@requires_token
async def publish(request: Request) -> Response:
    """``POST /composer/publish``: store the formulation as the next version of its id."""
    from mesoreg.documents._parse import parse_formulation
    from mesoreg.interfaces._store_cli import _entry_dict
    from mesoreg.store._publish import publish as publish_version

    check_csrf(request, None)
    body = _object(await read_json(request), {"formulation": True, "author": True})
    author = body.get("author")
    who = author.strip()[:_MAX_NAME] if isinstance(author, str) else "?"
    store = _store(request)
    try:
        author = _name(author, "author")
        if not isinstance(body["formulation"], dict):
            raise InputError([Problem("formulation", "must be an object")])
        data = dates_in(body["formulation"], _file_schema("formulation-1.schema.json"))
        formulation = parse_formulation(data)
        entry = publish_version(
            formulation, store, author=author, registry=request.app.state.registry
        )
    except MesoregError as exc:
        audit.warning("publish refused, by %r: %s", who, str(exc).splitlines()[0][:200])
        raise _store_errors(exc, store.root) from None
    audit.info("published %s@%d by %r", formulation.id, entry.version, author)
    return JSONResponse(
        {
            "formulation": formulation.id,
            "version": entry.version,
            "entry": _entry_dict(entry),
            "history": f"/composer/{formulation.id}/history",
        },
        201,
    )


@requires_token
async def approve(request: Request) -> Response:
    """``POST /composer/ID/versions/N/approve``: approve a draft (its check must pass now)."""
    from mesoreg.documents._model import Status
    from mesoreg.interfaces._store_cli import _entry_dict
    from mesoreg.store._publish import set_status
    from mesoreg.store._store import validate_id

    check_csrf(request, None)
    formulation_id = validate_id(request.path_params["id"], "id")
    version = _version(request.path_params["version"])
    if version is None:
        raise InputError([Problem("version", "give the version to approve, not latest")])
    body = _object(await read_json(request), {"by": True, "override_reason": False})
    by = body.get("by")
    who = by.strip()[:_MAX_NAME] if isinstance(by, str) else "?"
    reason = body.get("override_reason") or None
    ref = f"{formulation_id}@{version}"
    store = _store(request)
    try:
        by = _name(by, "by")
        if reason is not None and not isinstance(reason, str):
            raise InputError([Problem("override_reason", "must be text")])
        if store.ledger(formulation_id).entry(version) is None:
            raise ApiError("not_found", [Problem("version", f"{ref} is not in this store")])
        entry = set_status(
            store,
            ref,
            Status.APPROVED,
            by,
            override_reason=reason,
            registry=request.app.state.registry,
        )
    except (MesoregError, ApiError) as exc:
        audit.warning("approve %s refused, by %r: %s", ref, who, str(exc).splitlines()[0][:200])
        if isinstance(exc, ApiError):
            raise
        raise _store_errors(exc, store.root) from None
    audit.info("approved %s by %r%s", ref, by, f" (override: {reason[:200]!r})" if reason else "")
    return JSONResponse(
        {"formulation": formulation_id, "version": version, "entry": _entry_dict(entry)}
    )


def routes() -> list[BaseRoute]:
    """The routes that write."""
    _log_to_stderr()
    return [
        Route("/composer/publish", publish, methods=["POST"]),
        Route("/composer/{id}/versions/{version}/approve", approve, methods=["POST"]),
    ]
