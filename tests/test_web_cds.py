"""CDS Hooks 2.0: discovery, order-select and order-sign, the FHIR read in, fail closed."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from conftest import ROOT
from fhir.resources import get_fhir_model_class
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web_support import JSON_VALUES, answer, client

from mesoreg.host._registry import Registry
from mesoreg.web._cds import SUMMARY_LIMIT
from mesoreg.web._fhir_in import ATC, ICD10_PREFIX, SNOMED, UNII, USE_EXTENSION

PATIENT = {"resourceType": "Patient", "id": "p1", "birthDate": "1980-05-01", "gender": "female"}
LIDOCAINE = {"coding": [{"system": UNII, "code": "98PI200987", "display": "lidocaine"}]}
HYALURONATE = {"text": "sodium hyaluronate"}  # by its name, as the catalog knows it


def _ratio(value: float, unit: str) -> dict[str, Any]:
    return {
        "numerator": {
            "value": value,
            "unit": unit,
            "system": "http://unitsofmeasure.org",
            "code": unit,
        },
        "denominator": {
            "value": 1,
            "unit": "mL",
            "system": "http://unitsofmeasure.org",
            "code": "mL",
        },
    }


def medication(*ingredients: tuple[dict[str, Any], float]) -> dict[str, Any]:
    """A compounded Medication (R5): ingredients with their strengths in mg/mL, 2 mL."""
    return {
        "resourceType": "Medication",
        "id": "mix",
        "code": {"text": "face mixture"},
        "totalVolume": {
            "value": 2,
            "unit": "mL",
            "system": "http://unitsofmeasure.org",
            "code": "mL",
        },
        "ingredient": [
            {"item": {"concept": concept}, "isActive": True, "strengthRatio": _ratio(mg, "mg")}
            for concept, mg in ingredients
        ],
    }


def _use(**values: Any) -> dict[str, Any]:
    typed = {"points": "valueInteger"}
    return {
        "url": USE_EXTENSION,
        "extension": [{"url": k, typed.get(k, "valueString"): v} for k, v in values.items()],
    }


FACE = _use(
    area="face",
    technique="micropapules",
    route="intradermal",
    purpose="skin_quality",
    depth="1.5 mm",
    points=40,
    volume_per_point="0.03 mL",
)


def order(med: dict[str, Any], request_id: str = "rx1") -> dict[str, Any]:
    """A draft MedicationRequest (R5) for ``med``, contained."""
    return {
        "resourceType": "MedicationRequest",
        "id": request_id,
        "status": "draft",
        "intent": "order",
        "contained": [med],
        "medication": {"reference": {"reference": f"#{med['id']}"}},
        "subject": {"reference": "Patient/p1"},
        "extension": [FACE],
    }


def bundle(kind: str, *resources: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind, "entry": [{"resource": r} for r in resources]}


def condition(*codings: tuple[str, str], text: str = "") -> dict[str, Any]:
    code: dict[str, Any] = {"coding": [{"system": s, "code": c} for s, c in codings]}
    if text:
        code["text"] = text
    if not codings:
        code = {"text": text}
    return {
        "resourceType": "Condition",
        "id": "c1",
        "subject": {"reference": "Patient/p1"},
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active",
                }
            ]
        },
        "code": code,
    }


def statement(concept: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "MedicationStatement",
        "id": "m1",
        "status": "recorded",
        "subject": {"reference": "Patient/p1"},
        "medication": {"concept": concept},
    }


def request(
    hook: str,
    orders: list[dict[str, Any]],
    prefetch: dict[str, Any] | None = None,
    selections: list[str] | None = None,
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "userId": "Practitioner/1",
        "patientId": "p1",
        "draftOrders": bundle("collection", *orders),
    }
    if hook == "order-select":
        context["selections"] = selections or [f"MedicationRequest/{o['id']}" for o in orders]
    body: dict[str, Any] = {
        "hook": hook,
        "hookInstance": "d1bf4d8c-0000-4000-8000-000000000001",
        "context": context,
    }
    if prefetch is not None:
        body["prefetch"] = prefetch
    return body


def full_prefetch(conditions=(), medications=(), allergies=()) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return {
        "patient": PATIENT,
        "conditions": bundle("searchset", *conditions),
        "medications": bundle("searchset", *medications),
        "allergies": bundle("searchset", *allergies),
        "weight": bundle(
            "searchset",
            {
                "resourceType": "Observation",
                "id": "w",
                "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
                "valueQuantity": {
                    "value": 61,
                    "unit": "kg",
                    "system": "http://unitsofmeasure.org",
                    "code": "kg",
                },
            },
        ),
    }


def _valid_fhir(body: dict[str, Any]) -> None:
    """Every FHIR resource of the request is valid R5 (fhir.resources)."""
    resources = [
        body["context"]["draftOrders"],
        *(v for v in body.get("prefetch", {}).values() if v),
    ]
    for resource in resources:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)


CARD_KEYS = {"uuid", "summary", "detail", "indicator", "source"}


def cards(api, body: dict[str, Any], service: str = "mesoreg-order-sign") -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    _valid_fhir(body)
    response = api.post(f"/cds-services/{service}", json=body)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["cards"]
    for card in found:  # the card as CDS Hooks 2.0 defines it
        assert set(card) == CARD_KEYS
        assert len(card["summary"]) <= SUMMARY_LIMIT
        assert card["indicator"] in ("critical", "warning", "info")
        assert isinstance(card["source"]["label"], str) and card["source"]["label"]
    return found


@pytest.fixture(scope="module")
def api(registry: Registry):  # type: ignore[no-untyped-def]
    return client(registry, store=ROOT / "formulations", region="FR")


def _not_checked(found: list[dict[str, Any]]) -> dict[str, Any]:
    (card,) = [c for c in found if c["summary"].startswith("Not fully checked")]
    return card


def test_discovery_lists_both_services_with_their_prefetch(api) -> None:  # type: ignore[no-untyped-def]
    data = answer(api.get("/cds-services"), 200)
    assert {(s["id"], s["hook"]) for s in data["services"]} == {
        ("mesoreg-order-select", "order-select"),
        ("mesoreg-order-sign", "order-sign"),
    }
    for service in data["services"]:
        assert set(service["prefetch"]) == {
            "patient",
            "conditions",
            "medications",
            "allergies",
            "weight",
        }
        assert service["description"]


def test_an_anticoagulant_coded_atc_gives_a_critical_card_with_its_citation(api) -> None:  # type: ignore[no-untyped-def]
    med = medication((LIDOCAINE, 5), (HYALURONATE, 10))
    rivaroxaban = statement({"coding": [{"system": ATC, "code": "B01AF01"}]})
    found = cards(
        api, request("order-sign", [order(med)], full_prefetch(medications=[rivaroxaban]))
    )
    (card,) = [c for c in found if "Rule `anticoagulant`" in c["detail"]]
    assert card["indicator"] == "critical"
    assert card["summary"].startswith("Contraindicated: ")
    assert "**Sources:**" in card["detail"] and "Rule `anticoagulant`" in card["detail"]
    assert card["source"]["label"] != "mesoreg rule anticoagulant"  # the citation


def test_a_condition_coded_icd10_is_read_and_one_coded_only_in_snomed_is_not_checked(api) -> None:  # type: ignore[no-untyped-def]
    med = medication((LIDOCAINE, 5), (HYALURONATE, 10))
    icd = condition((f"{ICD10_PREFIX}", "K74.6"), text="Cirrhosis")
    coded = cards(api, request("order-sign", [order(med)], full_prefetch(conditions=[icd])))
    assert any("liver" in c["summary"].lower() for c in coded)

    snomed = condition((SNOMED, "19943007"), text="Cirrhosis of liver")
    found = cards(api, request("order-sign", [order(med)], full_prefetch(conditions=[snomed])))
    assert not any("liver" in c["summary"].lower() for c in found)  # never guessed from text
    card = _not_checked(found)
    assert card["indicator"] == "warning"
    assert "unread condition #1 (SNOMED CT 19943007)" in card["detail"]
    assert "not in the vocabulary" in card["detail"]


@pytest.mark.parametrize("text", ["Xarelto", "liver disease"])
def test_free_text_entries_are_not_checked_never_read_as_none(api, text: str) -> None:  # type: ignore[no-untyped-def]
    med = medication((LIDOCAINE, 5), (HYALURONATE, 10))
    prefetch = full_prefetch(
        conditions=[condition(text=text)], medications=[statement({"text": text})]
    )
    found = cards(api, request("order-sign", [order(med)], prefetch))
    summaries = " ".join(c["summary"].lower() for c in found)
    assert "blood-thinning" not in summaries and "liver" not in summaries
    detail = _not_checked(found)["detail"]
    assert "unread condition #1 (free text only)" in detail
    assert "unread medication #1 (free text only)" in detail
    assert text not in detail  # the free text decided nothing and is not echoed as a name


def test_facts_not_sent_are_not_checked(api) -> None:  # type: ignore[no-untyped-def]
    med = medication((LIDOCAINE, 5), (HYALURONATE, 10))
    body = request("order-sign", [order(med)], {"patient": PATIENT, "conditions": None})
    detail = _not_checked(cards(api, body))["detail"]
    for fact in ("conditions", "medications", "allergies", "pregnan"):
        assert fact in detail


def test_an_unknown_ingredient_means_the_order_was_not_checked(api) -> None:  # type: ignore[no-untyped-def]
    med = medication(
        ({"coding": [{"system": UNII, "code": "ZZZZZZZZZZ"}], "text": "unobtainium"}, 5)
    )
    (card,) = cards(api, request("order-sign", [order(med)], full_prefetch()))
    assert card["indicator"] == "warning"
    assert card["summary"].startswith("mesoreg could not check this order")
    assert "'unobtainium': the catalog does not know it" in card["detail"]


def test_a_medication_naming_a_stored_version_checks_that_version(api) -> None:  # type: ignore[no-untyped-def]
    med = {
        "resourceType": "Medication",
        "id": "stored",
        "identifier": [{"system": "https://mesoreg.org/formulation", "value": "lipo-abdomen@1"}],
    }
    rx = order(med)
    del rx["extension"]
    found = cards(api, request("order-sign", [rx], full_prefetch()))
    assert any("Rule `deoxycholic_acid_admixture`" in c["detail"] for c in found)
    assert not any(c["summary"].startswith("mesoreg could not") for c in found)


def test_order_select_checks_only_the_selected_orders(api) -> None:  # type: ignore[no-untyped-def]
    good = order(medication((LIDOCAINE, 5), (HYALURONATE, 10)), "a")
    bad = order(medication(({"text": "unobtainium"}, 5)), "b")
    body = request("order-select", [good, bad], full_prefetch(), selections=["MedicationRequest/a"])
    found = cards(api, body, "mesoreg-order-select")
    assert not any(c["summary"].startswith("mesoreg could not") for c in found)
    body["context"]["selections"] = ["MedicationRequest/b"]
    assert cards(api, body, "mesoreg-order-select")[0]["summary"].startswith("mesoreg could not")


def test_orders_of_other_medications_get_no_cards(api) -> None:  # type: ignore[no-untyped-def]
    rx = {
        "resourceType": "MedicationRequest",
        "id": "x",
        "status": "draft",
        "intent": "order",
        "medication": {"concept": {"coding": [{"system": ATC, "code": "N02BE01"}]}},
        "subject": {"reference": "Patient/p1"},
    }
    assert cards(api, request("order-sign", [rx], full_prefetch())) == []


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (lambda b: b.update(hook="order-select"), "hook"),
        (lambda b: b.pop("hookInstance"), "hookInstance"),
        (lambda b: b["context"].update(draftOrders=[]), "context.draftOrders"),
    ],
)
def test_bad_requests_are_json_errors(api, change, key) -> None:  # type: ignore[no-untyped-def]
    body = request("order-sign", [order(medication((LIDOCAINE, 5)))], full_prefetch())
    change(body)
    data = answer(api.post("/cds-services/mesoreg-order-sign", json=body), 400)
    assert data["errors"][0]["key_path"] == key


def test_an_unknown_service_is_not_found(api) -> None:  # type: ignore[no-untyped-def]
    data = answer(api.post("/cds-services/nope", json={}), 404)
    assert data["errors"][0]["message"] == "no CDS service 'nope'"


def test_r4_shapes_are_read_too(api) -> None:  # type: ignore[no-untyped-def]
    med = medication((LIDOCAINE, 5), (HYALURONATE, 10))
    r4 = copy.deepcopy(med)
    del r4["totalVolume"]
    r4["amount"] = {
        "numerator": {"value": 2, "code": "mL"},
        "denominator": {"value": 1, "code": "1"},
    }
    for ingredient in r4["ingredient"]:
        ingredient["itemCodeableConcept"] = ingredient.pop("item")["concept"]
        ingredient["strength"] = ingredient.pop("strengthRatio")
    rx = order(r4)
    rx["medicationReference"] = rx.pop("medication")["reference"]
    warfarin = {
        "resourceType": "MedicationStatement",
        "id": "m",
        "status": "active",
        "medicationCodeableConcept": {"coding": [{"system": ATC, "code": "B01AA03"}]},
    }
    body = request(
        "order-sign", [rx], {"patient": PATIENT, "medications": bundle("searchset", warfarin)}
    )
    response = api.post("/cds-services/mesoreg-order-sign", json=body)
    assert any("Rule `anticoagulant`" in c["detail"] for c in response.json()["cards"])


@given(
    path=st.sampled_from(
        [
            ("context",),
            ("context", "draftOrders"),
            ("context", "draftOrders", "entry", 0, "resource"),
            ("context", "draftOrders", "entry", 0, "resource", "contained", 0),
            ("context", "draftOrders", "entry", 0, "resource", "contained", 0, "ingredient", 0),
            ("prefetch",),
            ("prefetch", "conditions"),
            ("prefetch", "conditions", "entry", 0, "resource"),
            ("prefetch", "medications", "entry", 0, "resource"),
            ("prefetch", "patient"),
        ]
    ),
    key=st.text(max_size=12),
    value=JSON_VALUES,
)
@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_request_gets_cards_or_a_json_error_never_a_crash(api, path, key, value) -> None:  # type: ignore[no-untyped-def]
    med = medication((LIDOCAINE, 5), (HYALURONATE, 10))
    rivaroxaban = statement({"coding": [{"system": ATC, "code": "B01AF01"}]})
    body = request("order-sign", [order(med)], full_prefetch([condition(text="x")], [rivaroxaban]))
    target: Any = body
    for step in path:
        target = target[step]
    target[key or "id"] = value
    response = api.post("/cds-services/mesoreg-order-sign", json=body)
    assert response.status_code in (200, 400), response.text
    answer(response, response.status_code)
