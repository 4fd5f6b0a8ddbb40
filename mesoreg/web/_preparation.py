"""Record a preparation of a stored version from the composer, as ``mesoreg compound`` does.

===============================================  ========================================
``GET /composer/ID/versions/N/compound``         the form: lots, people, BUD conditions,
                                                 patient id, deviations, one
                                                 acknowledgement per finding to acknowledge
``POST /composer/ID/versions/N/compound``        record it (JSON body, below)
===============================================  ========================================

The form lists, for each component of the version, the stock products on hand that the
record accepts for it (:func:`mesoreg.compounding._batch.products_for`: the built-in
ones and ``mesoreg serve --products FILE``), and each contraindicated, major or moderate
finding of the version's check today (the service's region, no patient: as ``mesoreg
compound`` checks), each with its own reason and name (two different names for a
contraindicated one).  The check is made again on the compounding date when the form is
sent; a finding it produces that the form does not acknowledge is refused.

The write is :func:`mesoreg.compounding._batch_cli.record_preparation`, the function
``mesoreg compound`` runs: the same refusals, every problem at once, nothing recorded
unless all is well.  It needs the token (on localhost too), the page's CSRF token, and is
logged with its user (who prepared it) on ``mesoreg.web.audit``, done or refused.  The
body::

    {"lots": [{"product": "lidocaine_2pct_5ml_vial", "lot": "A123", "expiry": "2027-03-31"}],
     "prepared_by": "J. Martin", "verified_by": "A. Dupont",
     "environment": "segregated_compounding_area", "storage": "refrigerator",
     "compounded_at": "2026-11-22T10:00+01:00", "patient": "MRN-0042",
     "deviations": ["..."],
     "acknowledgements": [{"code": "MR-IX-...", "components": ["..."], "rule": "...",
                           "reason": "...", "by": ["A. Dupont"]}]}
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from mesoreg._errors import InputError, MesoregError, Problem
from mesoreg.web._api import _store, _store_call, _version, read_json
from mesoreg.web._errors import ApiError
from mesoreg.web._pages import html_errors
from mesoreg.web._security import check_csrf, requires_token
from mesoreg.web._templates import page
from mesoreg.web._writes import _MAX_NAME, _object, _store_errors, audit

_KEYS: Final = {
    "lots": True,
    "prepared_by": True,
    "verified_by": True,
    "environment": True,
    "storage": True,
    "compounded_at": True,
    "patient": False,
    "deviations": False,
    "acknowledgements": False,
}
_ACK_KEYS: Final = ("code", "components", "rule", "reason", "by")
#: the most lots, deviations or acknowledgements one body may give
_MAX_ITEMS: Final = 100
#: the command's options, as the body names them
_KEY_OF: Final = (
    ("--prepared-by", "prepared_by"),
    ("--verified-by", "verified_by"),
    ("--patient", "patient"),
    ("--deviation", "deviations"),
    ("--lot", "lots"),
    ("--acks", "acknowledgements"),
)


def _version_of(request: Request) -> tuple[str, int]:
    from mesoreg.store._store import validate_id

    formulation_id = validate_id(request.path_params["id"], "id")
    version = _version(request.path_params["version"])
    if version is None:
        raise InputError([Problem("version", "give the version to compound, not latest")])
    return formulation_id, version


@html_errors
async def form(request: Request) -> Response:
    """``GET /composer/ID/versions/N/compound``: the form to record a preparation."""
    from mesoreg.compounding._batch import TO_ACKNOWLEDGE, products_for
    from mesoreg.compounding._terms import Environment, Storage
    from mesoreg.host._engine import check

    formulation_id, version = _version_of(request)
    registry = request.app.state.registry
    region = request.app.state.config.region
    today = dt.date.today()

    def read(store: Any, formulation_id: str) -> Any:
        if store.ledger(formulation_id).entry(version) is None:
            raise ApiError(
                "not_found", [Problem("version", f"{formulation_id}@{version} is not stored")]
            )
        formulation, _ = store.read(formulation_id, version)
        return formulation

    formulation = _store_call(request, formulation_id, read)
    report = check(formulation, None, region=region, date=today, registry=registry)
    components = products_for(formulation, request.app.state.products, registry.catalog)
    findings = [
        {
            "severity": f.severity.value,
            "code": f.code,
            "components": list(f.components),
            "rule": f.rule,
            "message": f.message,
            "people": 2 if f.severity.value == "contraindicated" else 1,
        }
        for f in report.findings
        if f.severity in TO_ACKNOWLEDGE
    ]
    return page(
        request,
        "compound.html",
        title=f"Record a preparation of {formulation_id}@{version}",
        formulation_id=formulation_id,
        number=version,
        formulation_title=formulation.title,
        components=[
            {
                "written": written,
                "strength": strength,
                "products": [{"id": p.id, "name": p.name} for p in found],
            }
            for written, strength, found in components
        ],
        findings=findings,
        verdict=report.verdict.value,
        checked_on=today.isoformat(),
        environments=[e.value for e in Environment],
        storages=[s.value for s in Storage],
        now=dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="minutes"),
    )


def _text(body: dict[str, Any], key: str, problems: list[Problem]) -> str:
    value = body.get(key)
    if not isinstance(value, str):
        problems.append(Problem(key, "must be text"))
        return ""
    return value


def _texts(value: object, key: str, problems: list[Problem]) -> tuple[str, ...]:
    if not isinstance(value, list) or len(value) > _MAX_ITEMS:
        problems.append(Problem(key, f"must be a list of at most {_MAX_ITEMS} texts"))
        return ()
    for i, v in enumerate(value):
        if not isinstance(v, str):
            problems.append(Problem(f"{key}[{i}]", "must be text"))
    return tuple(v for v in value if isinstance(v, str))


def _items(body: dict[str, Any], key: str, problems: list[Problem]) -> list[dict[str, Any]]:
    value = body.get(key, [])
    if not isinstance(value, list) or len(value) > _MAX_ITEMS:
        problems.append(Problem(key, f"must be a list of at most {_MAX_ITEMS} objects"))
        return []
    found = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            problems.append(Problem(f"{key}[{i}]", "must be an object"))
        else:
            found.append(item)
    return found


def _lots(body: dict[str, Any], problems: list[Problem]) -> tuple[tuple[str, str, dt.date], ...]:
    lots = []
    for i, item in enumerate(_items(body, "lots", problems)):
        key = f"lots[{i}]"
        wrong = [k for k in item if k not in ("product", "lot", "expiry")]
        problems += [
            Problem(f"{key}.{k}", "unknown key", "Use product, lot, expiry.") for k in wrong
        ]
        product, lot, expiry = item.get("product"), item.get("lot"), item.get("expiry")
        day = None
        if isinstance(expiry, str) and len(expiry) == 10:
            try:
                day = dt.date.fromisoformat(expiry)
            except ValueError:
                day = None
        if not isinstance(product, str) or not product:
            problems.append(Problem(f"{key}.product", "is missing", "Choose the stock product."))
        if not isinstance(lot, str):
            problems.append(Problem(f"{key}.lot", "must be text", "Give the lot as printed."))
        if day is None:
            problems.append(
                Problem(f"{key}.expiry", "must be a date like 2027-03-31", "Give the expiry.")
            )
        if isinstance(product, str) and product and isinstance(lot, str) and day is not None:
            lots.append((product, lot, day))
    return tuple(lots)


def _acknowledgements(body: dict[str, Any], problems: list[Problem]) -> tuple[Any, ...]:
    from mesoreg.compounding._batch import Acknowledgement

    acks = []
    for i, item in enumerate(_items(body, "acknowledgements", problems)):
        key = f"acknowledgements[{i}]"
        wrong = [k for k in item if k not in _ACK_KEYS]
        problems += [
            Problem(f"{key}.{k}", "unknown key", f"Use only: {', '.join(_ACK_KEYS)}.")
            for k in wrong
        ]
        texts = {k: item.get(k, "") for k in ("code", "rule", "reason")}
        for k, v in texts.items():
            if not isinstance(v, str):
                problems.append(Problem(f"{key}.{k}", "must be text"))
        components = _texts(item.get("components", []), f"{key}.components", problems)
        by = _texts(item.get("by", []), f"{key}.by", problems)
        if all(isinstance(v, str) for v in texts.values()):
            acks.append(
                Acknowledgement(
                    code=texts["code"],
                    components=components,
                    reason=texts["reason"],
                    by=by,
                    rule=texts["rule"],
                )
            )
    return tuple(acks)


def compound_request(body: object) -> Any:
    """The :class:`~mesoreg.compounding._batch.CompoundRequest` of a body; every problem."""
    from mesoreg.compounding._batch import CompoundRequest
    from mesoreg.compounding._terms import Environment, Storage

    data = _object(body, _KEYS)
    problems: list[Problem] = []
    prepared_by = _text(data, "prepared_by", problems)
    verified_by = _text(data, "verified_by", problems)
    chosen: dict[str, Any] = {}
    for key, kind in (("environment", Environment), ("storage", Storage)):
        values = [k.value for k in kind]
        if data.get(key) not in values:
            problems.append(
                Problem(
                    key, f"unknown {key} {data.get(key)!r:.40}", f"Use one of: {', '.join(values)}."
                )
            )
        else:
            chosen[key] = kind(data[key])
    at = None
    text = data.get("compounded_at")
    if isinstance(text, str):
        try:
            at = dt.datetime.fromisoformat(text)
        except ValueError:
            at = None
    if at is None or at.tzinfo is None:
        problems.append(
            Problem(
                "compounded_at",
                f"{text!r:.40} is not a date and time with its offset",
                "Write it like 2026-11-22T10:00+01:00.",
            )
        )
    patient = data.get("patient") or None
    if patient is not None and not isinstance(patient, str):
        problems.append(Problem("patient", "must be the patient's identifier, as text"))
    deviations = _texts(data.get("deviations", []), "deviations", problems)
    lots = _lots(data, problems)
    acks = _acknowledgements(data, problems)
    if problems:
        raise InputError(problems)
    assert at is not None
    return CompoundRequest(
        compounded_at=at,
        prepared_by=prepared_by,
        verified_by=verified_by,
        environment=chosen["environment"],
        storage=chosen["storage"],
        lots=lots,
        patient=patient,
        deviations=deviations,
        acknowledgements=acks,
    )


def _as_body(problem: Problem) -> Problem:
    """A refusal of the record, named by the body's keys rather than the command's options."""
    for option, key in _KEY_OF:
        if problem.key_path.startswith(option):
            hint = problem.hint
            if option == "--acks":
                hint = "Acknowledge it below with a reason and your name, or do not compound it."
            elif problem.key_path == "--lot":
                hint = "Give a lot of each stock product drawn."
            return Problem(
                key + problem.key_path[len(option) :], problem.message, hint, problem.path
            )
    return problem


@requires_token
async def record(request: Request) -> Response:
    """``POST /composer/ID/versions/N/compound``: record a preparation (``mesoreg compound``)."""
    from mesoreg.compounding._batch import record_to_dict
    from mesoreg.compounding._batch_cli import record_preparation

    check_csrf(request, None)
    formulation_id, version = _version_of(request)
    body = await read_json(request)
    given = body.get("prepared_by") if isinstance(body, dict) else None
    who = given.strip()[:_MAX_NAME] if isinstance(given, str) else "?"
    ref = f"{formulation_id}@{version}"
    store = _store(request)
    try:
        wanted = compound_request(body)
        if store.ledger(formulation_id).entry(version) is None:
            raise ApiError("not_found", [Problem("version", f"{ref} is not in this store")])
        stored_ref, stored = record_preparation(
            store,
            formulation_id,
            version,
            wanted,
            request.app.state.products,
            request.app.state.registry,
            request.app.state.config.region,
        )
    except (MesoregError, ApiError) as exc:
        audit.warning("compound %s refused, by %r: %s", ref, who, str(exc).splitlines()[0][:200])
        if isinstance(exc, ApiError):
            raise
        if isinstance(exc, InputError):
            exc = InputError([_as_body(p) for p in exc.problems])
        raise _store_errors(exc, store.root) from None
    acks = ", ".join(f"{a.code} by {' and '.join(a.by)}" for a in stored.acknowledgements)
    audit.info(
        "compounded %s record %d by %r, verified by %r%s",
        ref,
        stored.record,
        stored.prepared_by,
        stored.verified_by,
        f" (acknowledged: {acks[:400]})" if acks else "",
    )
    return JSONResponse(
        {
            "formulation": formulation_id,
            "version": version,
            "record": stored.record,
            "file": stored_ref.file,
            "sha256": stored_ref.sha256,
            "url": f"/composer/{formulation_id}/versions/{version}/records/{stored.record}",
            "history": f"/composer/{formulation_id}/history",
            "content": record_to_dict(stored),
        },
        201,
    )


def routes() -> list[BaseRoute]:
    """The routes to record a preparation."""
    return [
        Route("/composer/{id}/versions/{version}/compound", form, methods=["GET"]),
        Route("/composer/{id}/versions/{version}/compound", record, methods=["POST"]),
    ]
