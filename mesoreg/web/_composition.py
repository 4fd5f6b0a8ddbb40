"""The composer's check: the report of ``POST /api/check`` and the composition beside it.

``POST /composer/check`` takes the body of ``POST /api/check`` and answers
``{"report": <report-2>, "composition": {...}}``: the report exactly as the JSON API
gives it, and what is injected (each syringe's final concentrations, the amounts per
session, and per kg when the patient's weight is known), computed here as
:func:`mesoreg.checks._render.composition_lines` computes it for ``mesoreg check``.  The
composition is arithmetic for the reader, never a verdict: the page shows the
report's verdict and findings as they are, and decides nothing.
"""

from __future__ import annotations

import math
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mesoreg._errors import MesoregError
from mesoreg.web._api import check_arguments, read_json, run_check


def _quantity(value: Any) -> str:
    from mesoreg.documents._quantity import format_number

    return f"{format_number(value.value)} {value.unit}"


def _kg(subject: Any) -> float | None:
    from mesoreg.documents._quantity import Dimension

    weight = subject.patient.weight if subject.patient is not None else None
    if weight is None or weight.dimension != Dimension("mass"):
        return None
    kg = float(weight.value) / 1_000_000  # mass is held in mg
    return kg if math.isfinite(kg) and kg > 0 else None


def composition_data(subject: Any) -> dict[str, Any]:
    """What is injected, as data: syringes with their doses, and the session's amounts."""
    from mesoreg.documents._quantity import format_number

    kg = _kg(subject)
    preparations = [
        {
            "name": prep.name,
            "per_session": format_number(prep.per_session),
            "volume": str(prep.volume),
            "doses": [
                {
                    "ingredient": dose.ingredient.id,
                    "name": dose.ingredient.name,
                    "concentration": _quantity(dose.concentration),
                    "amount": _quantity(dose.amount),
                }
                for dose in prep.doses
            ],
        }
        for prep in subject.preparations
    ]
    session = []
    for total in subject.session.values():
        row: dict[str, Any] = {
            "ingredient": total.ingredient.id,
            "name": total.ingredient.name,
            "amount": None,
            "per_kg": None,
            "problem": total.problem or None,
        }
        if total.amount is not None:
            row["amount"] = _quantity(total.amount)
            if kg is not None and total.amount.dimension.denominator is None:
                value = format_number(round(total.amount.value / kg, 2))
                row["per_kg"] = f"{value} {total.amount.unit}/kg"
        session.append(row)
    return {
        "preparations": preparations,
        "session": session,
        "weight_kg": format_number(kg) if kg is not None else None,
        "has_patient": subject.patient is not None,
    }


def composition_of(arguments: dict[str, Any], patient: Any, report: Any, registry: Any) -> Any:
    """The composition of a checked request; ``{"error": ...}`` when it cannot be shown."""
    from mesoreg.documents._model import Context
    from mesoreg.documents._parse import parse_formulation
    from mesoreg.host._engine import resolve_subject

    try:
        formulation = parse_formulation(arguments["formulation"])
        context = Context(report.date, report.region, arguments["previous_session"])
        subject, _ = resolve_subject(formulation, patient, context, registry)
    except MesoregError as exc:  # a plugin's name resolution may refuse on a second call
        return {"error": f"not shown: {exc}"}
    return composition_data(subject)


async def composer_check(request: Request) -> Response:
    """``POST /composer/check``: the report (as ``POST /api/check``) and the composition."""
    from mesoreg.checks._render import report_to_dict

    registry = request.app.state.registry
    arguments = check_arguments(await read_json(request))
    report, patient = run_check(arguments, registry)
    return JSONResponse(
        {
            "report": report_to_dict(report),
            "composition": composition_of(arguments, patient, report, registry),
        }
    )
