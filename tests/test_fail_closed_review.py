"""What an adversarial review of the new entry points found, held fixed: the CDS Hooks
reader (a resolved or inactive condition is still history, a void weight is no weight, an
incomplete search is unknown, every ATC coding is read, a broken order gets a card) and the
compounding record's two people (names compared by how they look)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from conftest import ROOT
from test_web_cds import (
    ATC,
    HYALURONATE,
    ICD10_PREFIX,
    LIDOCAINE,
    condition,
    full_prefetch,
    medication,
    order,
    request,
    statement,
)
from web_support import client

from mesoreg.compounding._batch import _same_person
from mesoreg.host._registry import Registry


@pytest.fixture(scope="module")
def api(registry: Registry):  # type: ignore[no-untyped-def]
    return client(registry, store=ROOT / "formulations", region="FR")


def _cards(api: Any, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = api.post("/cds-services/mesoreg-order-sign", json=body)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["cards"]
    return found


def _critical(found: list[dict[str, Any]]) -> bool:
    return any(c["indicator"] == "critical" for c in found)


def _unchecked_detail(found: list[dict[str, Any]]) -> str:
    return "\n".join(c["detail"] for c in found if c["summary"].startswith("Not fully checked"))


def test_cds_a_resolved_stroke_is_still_a_history_of_stroke(api) -> None:  # type: ignore[no-untyped-def]
    # the file path: conditions = ["ICD-10:I63.9"] or ["history of ischaemic stroke"] is
    # MR-CI-STROKE, contraindicated ("a history of stroke"); a past stroke is recorded in
    # FHIR with clinicalStatus resolved/inactive, and the CDS service drops it silently
    for status in ("resolved", "inactive"):
        stroke = condition((ICD10_PREFIX, "I63.9"))
        stroke["clinicalStatus"]["coding"][0]["code"] = status
        med = medication((LIDOCAINE, 5), (HYALURONATE, 10))
        found = _cards(api, request("order-sign", [order(med)], full_prefetch(conditions=[stroke])))
        assert _critical(found) or "condition" in _unchecked_detail(found), (status, found)


def test_cds_an_entered_in_error_weight_is_not_used(api) -> None:  # type: ignore[no-untyped-def]
    # 160 mg lidocaine: over 4.5 mg/kg for a 30 kg patient, within it for 90 kg.  The only
    # weight is entered-in-error: the weight is unknown, so the per-kg limit must be a
    # critical card or be named as not checked; today 90 kg is used and nothing is said
    med = medication((LIDOCAINE, 80), (HYALURONATE, 10))
    prefetch = full_prefetch()
    weight = prefetch["weight"]["entry"][0]["resource"]
    weight["valueQuantity"]["value"] = 90
    weight["status"] = "entered-in-error"
    found = _cards(api, request("order-sign", [order(med)], prefetch))
    detail = _unchecked_detail(found)
    assert _critical(found) or "per_kg" in detail or "weight" in detail, found


@pytest.mark.parametrize("incomplete", ["next-page", "operation-outcome"])
def test_cds_an_incomplete_conditions_search_is_not_none_recorded(api, incomplete: str) -> None:  # type: ignore[no-untyped-def]
    # a searchset with more pages, or whose search failed (an OperationOutcome entry), says
    # nothing about the conditions not in it: they are unknown, never "none recorded"
    prefetch = full_prefetch()
    conditions = prefetch["conditions"]
    if incomplete == "next-page":
        conditions["total"] = 3
        conditions["link"] = [{"relation": "next", "url": "https://ehr.example/Condition?p=2"}]
    else:
        conditions["entry"] = [
            {
                "resource": {
                    "resourceType": "OperationOutcome",
                    "issue": [{"severity": "error", "code": "timeout"}],
                },
                "search": {"mode": "outcome"},
            }
        ]
    med = medication((LIDOCAINE, 5), (HYALURONATE, 10))
    found = _cards(api, request("order-sign", [order(med)], prefetch))
    assert "condition" in _unchecked_detail(found), found


def test_cds_every_atc_coding_of_a_medication_is_read(api) -> None:  # type: ignore[no-untyped-def]
    # a statement coded with the ATC group first and the drug second (alternative codings
    # of one drug): only the first coding is read, so rivaroxaban gives no critical card
    rivaroxaban = statement(
        {"coding": [{"system": ATC, "code": "B01A"}, {"system": ATC, "code": "B01AF01"}]}
    )
    med = medication((LIDOCAINE, 5), (HYALURONATE, 10))
    found = _cards(
        api, request("order-sign", [order(med)], full_prefetch(medications=[rivaroxaban]))
    )
    assert _critical(found), found


def test_cds_an_order_whose_contained_medication_is_missing_gets_a_card(api) -> None:  # type: ignore[no-untyped-def]
    # "#mix" names a contained resource that is not there: the order cannot be checked, and
    # the service answers no card at all (as if it were no compounded preparation)
    broken = copy.deepcopy(order(medication((LIDOCAINE, 80))))
    broken["contained"] = []
    found = _cards(api, request("order-sign", [broken], full_prefetch()))
    assert found, "an order that could not be read must get a 'could not check' card"


def test_same_person_sees_through_unicode_look_alikes() -> None:
    # a Cyrillic "А" (U+0410) for a Latin "A": one person, written to pass as two (preparer
    # and verifier, or the two names a contraindicated finding's acknowledgement needs)
    assert _same_person("Anna Martin", "\u0410nna Martin")
