"""CDS Hooks 2.0: discovery at ``/cds-services``, and the order-select / order-sign services.

Each service takes the draft MedicationRequests of a compounded Medication
(``context.draftOrders``; for order-select only those in ``context.selections``) and the
patient's resources in ``prefetch``, checks each order with mesoreg
(:mod:`mesoreg.web._fhir_in` reads the resources) and answers cards:

* one card per finding: its ``cds_indicator`` (critical / warning / info), a summary of at
  most 140 characters, the message, evidence and advice as detail, and the rule's
  citation as the card's source;
* one warning card saying what could not be checked (entries mesoreg could not read,
  rules not checked or not run), whenever there is anything: silence never means
  "checked and fine" for what was not checked;
* one warning card when an order could not be checked at all (an unknown ingredient, no
  volume), listing every problem.

A draft order whose medication lists no ingredients is not a compounded preparation and
is left to other services.  The services fetch nothing from the EHR's FHIR server: a
prefetch the EHR did not send leaves those facts unknown (reported as not checked).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from mesoreg._errors import InputError, MesoregError, Problem
from mesoreg._version import __version__
from mesoreg.checks._report import Finding, Report
from mesoreg.web import _fhir_in
from mesoreg.web._api import read_json
from mesoreg.web._errors import ApiError, problems_of

SUMMARY_LIMIT = 140
_PATIENT = "{{context.patientId}}"
PREFETCH = {
    "patient": f"Patient/{_PATIENT}",
    "conditions": f"Condition?patient={_PATIENT}",
    "medications": f"MedicationStatement?patient={_PATIENT}",
    "allergies": f"AllergyIntolerance?patient={_PATIENT}",
    "weight": f"Observation?patient={_PATIENT}&code=http://loinc.org|29463-7&_sort=-date&_count=1",
}
#: service id -> hook
SERVICES = {"mesoreg-order-select": "order-select", "mesoreg-order-sign": "order-sign"}
_DESCRIPTIONS = {
    "order-select": "Checks a compounded mesotherapy preparation as it is selected: "
    "contraindications, interactions, doses and technique against sourced rules.",
    "order-sign": "Checks a compounded mesotherapy preparation before it is signed: "
    "contraindications, interactions, doses and technique against sourced rules.",
}
_SOURCE = {"label": f"mesoreg {__version__}"}


def discovery() -> dict[str, Any]:
    """The CDS Hooks discovery document."""
    return {
        "services": [
            {
                "hook": hook,
                "id": service,
                "title": f"mesoreg {hook}",
                "description": _DESCRIPTIONS[hook],
                "prefetch": PREFETCH,
            }
            for service, hook in SERVICES.items()
        ]
    }


def _card_id(*parts: str) -> str:
    return str(uuid.UUID(hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]))


def summary(text: str) -> str:
    """``text`` cut to the 140 characters a card's summary may have."""
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_LIMIT else text[: SUMMARY_LIMIT - 1].rstrip() + "…"


def finding_card(finding: Finding, order: str) -> dict[str, Any]:
    """A finding as a card: indicator, summary, detail, and the rule's citation as source."""
    lines = [
        finding.message,
        "",
        f"**Evidence** ({finding.evidence_level.value}): {finding.evidence}",
    ]
    if finding.advice:
        lines += ["", f"**Advice:** {finding.advice}"]
    if finding.note:
        lines += ["", f"*{finding.note}*"]
    if finding.sources:
        lines += ["", "**Sources:**", *(f"- {s.cite()}" for s in finding.sources)]
    lines += ["", f"Rule `{finding.rule}` ({finding.code}), from {finding.provider or 'mesoreg'}."]
    source: dict[str, Any] = {"label": f"mesoreg rule {finding.rule}"}
    if finding.sources:
        first = finding.sources[0]
        source["label"] = summary(first.cite())
        url = first.url or (f"https://doi.org/{first.doi}" if first.doi else "")
        if url:
            source["url"] = url
    return {
        "uuid": _card_id(order, finding.code, finding.rule, *finding.components),
        "summary": summary(f"{finding.severity.value.capitalize()}: {finding.message}"),
        "detail": "\n".join(lines),
        "indicator": finding.severity.cds_indicator,
        "source": source,
    }


def not_checked_card(report: Report, order: str) -> dict[str, Any] | None:
    """The card saying what could not be checked; None when everything was."""
    items = [*report.unchecked, *report.not_run]
    if not items:
        return None
    lines = [
        "These were **not checked**; treat them as unknown, not as safe:",
        "",
        *(f"- {u.check} ({u.rule}): {u.reason}" for u in items),
    ]
    count = len(items)
    return {
        "uuid": _card_id(order, "not-checked"),
        "summary": summary(
            f"Not fully checked: {count} rule{'s' if count != 1 else ''} or fact"
            f"{'s' if count != 1 else ''} could not be checked"
        ),
        "detail": "\n".join(lines),
        "indicator": "warning",
        "source": _SOURCE,
    }


def failed_card(problems: Sequence[Problem], order: str) -> dict[str, Any]:
    """The card of an order that could not be checked at all."""
    return {
        "uuid": _card_id(order, "failed"),
        "summary": summary("mesoreg could not check this order: nothing about it was checked"),
        "detail": "\n".join(["The order was **not checked**:", "", *(f"- {p}" for p in problems)]),
        "indicator": "warning",
        "source": _SOURCE,
    }


def _orders(hook: str, context: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """(label, MedicationRequest) of each draft order to check."""
    bundle = context.get("draftOrders")
    if not isinstance(bundle, Mapping) or bundle.get("resourceType") != "Bundle":
        raise ApiError(
            "input",
            [
                Problem(
                    "context.draftOrders",
                    "must be a FHIR Bundle of the draft orders",
                    "See https://cds-hooks.hl7.org/2.0/ (order-select, order-sign).",
                )
            ],
        )
    selections = context.get("selections")
    if hook == "order-select" and not isinstance(selections, list):
        raise ApiError(
            "input",
            [
                Problem(
                    "context.selections",
                    "must list the selected orders, e.g. ['MedicationRequest/1']",
                )
            ],
        )
    orders = []
    for n, entry in enumerate(bundle.get("entry") or ()):
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        if not isinstance(resource, Mapping) or resource.get("resourceType") != "MedicationRequest":
            continue
        label = f"MedicationRequest/{resource.get('id')}"
        if hook == "order-select" and label not in (selections or ()):
            continue
        orders.append((f"context.draftOrders.entry[{n}]", resource))
    return orders


def _check_order(
    request: Request, where: str, order: Mapping[str, Any], bundle: Mapping[str, Any], patient: Any
) -> list[dict[str, Any]] | None:
    """The cards of one order; None when it is no compounded preparation."""
    from mesoreg.host._engine import check

    registry = request.app.state.registry
    medication = _fhir_in.medication_of(order, bundle)
    label = f"{where} MedicationRequest/{order.get('id')}"
    if medication is None and _fhir_in.names_contained(order):
        # a broken order, never "no compounded preparation": it gets a card
        problem = Problem(
            f"{where}.medication",
            "names a contained Medication that is not in the order's contained resources",
            "Send the Medication with the order.",
        )
        return [failed_card([problem], label)]
    if medication is None or (
        not medication.get("ingredient") and not medication.get("identifier")
    ):
        return None
    try:
        stored = _fhir_in.stored_order(medication)
        if stored is not None:
            formulation: Any = _stored(request, stored)
        elif medication.get("ingredient"):
            formulation = _fhir_in.formulation_data(
                order, medication, registry.catalog, f"{where}.Medication"
            )
        else:
            return None
        report = check(
            formulation, patient, region=request.app.state.config.region, registry=registry
        )
    except InputError as exc:
        return [failed_card(exc.problems, label)]
    except MesoregError as exc:
        return [failed_card(problems_of(exc), label)]
    cards = [finding_card(f, label) for f in report.findings]
    unchecked = not_checked_card(report, label)
    return [*cards, unchecked] if unchecked else cards


def _stored(request: Request, stored: _fhir_in.StoredOrder) -> Any:
    from mesoreg.store._store import Store

    root = request.app.state.config.store
    if root is None:
        raise InputError(
            [
                Problem(
                    "Medication.identifier",
                    f"names the stored version {stored.formulation_id}, but this service "
                    "has no store",
                    "Start mesoreg serve with --store DIR.",
                )
            ]
        )
    formulation, _ = Store(root).read(stored.formulation_id, stored.version)
    return formulation


async def service(request: Request) -> Response:
    """``POST /cds-services/{id}``: the cards of the draft orders."""
    from mesoreg.documents._parse import parse_patient

    hook = SERVICES.get(request.path_params["id"])
    if hook is None:
        raise ApiError(
            "not_found",
            [
                Problem(
                    "",
                    f"no CDS service '{request.path_params['id'][:60]}'",
                    "GET /cds-services lists them.",
                )
            ],
        )
    body = await read_json(request)
    if not isinstance(body, dict):
        raise ApiError("input", [Problem("", "the body must be a CDS Hooks request object")])
    problems = [
        Problem(key, "is missing", "See https://cds-hooks.hl7.org/2.0/#http-request.")
        for key in ("hook", "hookInstance", "context")
        if key not in body
    ]
    if "hook" in body and body["hook"] != hook:
        problems.append(
            Problem("hook", f"this service answers '{hook}' (got {body['hook']!r:.40})")
        )
    if problems:
        raise ApiError("input", problems)
    context = body["context"] if isinstance(body["context"], Mapping) else {}
    orders = _orders(hook, context)
    registry = request.app.state.registry
    try:
        patient: Any = parse_patient(_fhir_in.patient_data(body.get("prefetch"), registry.catalog))
    except InputError as exc:
        return JSONResponse({"cards": [failed_card(exc.problems, "prefetch")]})
    cards: list[dict[str, Any]] = []
    for where, order in orders:
        cards += _check_order(request, where, order, context["draftOrders"], patient) or []
    return JSONResponse({"cards": cards})


async def services(request: Request) -> Response:
    """``GET /cds-services``: the discovery document."""
    return JSONResponse(discovery())


def routes() -> list[BaseRoute]:
    """The CDS Hooks routes."""
    return [
        Route("/cds-services", services, methods=["GET"]),
        Route("/cds-services/{id}", service, methods=["POST"]),
    ]
