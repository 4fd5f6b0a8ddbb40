"""FHIR export: a compounded formulation as a Medication, its findings as DetectedIssues.

Writes a FHIR R5 ``Bundle`` (type ``collection``) as plain JSON-ready data: a
``Medication`` for the formulation (each ingredient with its strength in the
final mixture as a UCUM ratio) and one ``DetectedIssue`` per finding, with its
severity (high / moderate / low), detail, evidence and management advice.
Every pack override applied to the rules is one more ``DetectedIssue`` coded
``MR-PACK-OVERRIDE`` (severity low when it only tightens, high when it weakens
a record by leave of the local configuration), so the export never hides it.
No FHIR library is needed to write it; the tests validate it with
``fhir.resources``.
"""

from __future__ import annotations

import hashlib
from typing import Any

from mesoreg.checks._report import Report
from mesoreg.checks._subject import Subject
from mesoreg.documents._quantity import Quantity
from mesoreg.knowledge._override import Override

FHIR_VERSION = "5.0.0"
UCUM = "http://unitsofmeasure.org"
UNII = "http://fdasis.nlm.nih.gov"
ATC = "http://www.whocc.no/atc"
#: mesoreg's own code system for finding codes (MR-CI-PREGNANCY, ...)
MESOREG_CODES = "https://mesoreg.org/fhir/CodeSystem/finding"
#: UCUM codes of mesoreg's base units
_UCUM = {"mg": "mg", "mL": "mL", "[iU]": "[iU]", "[USP'U]": "[USP'U]", "[U]": "U", "mm": "mm"}


def _id(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": round(value, 6), "unit": unit, "system": UCUM, "code": _UCUM.get(unit, unit)}


def _strength(concentration: Quantity) -> dict[str, Any]:
    numerator = concentration.unit.split("/")[0]
    return {
        "strengthRatio": {
            "numerator": _quantity(concentration.value, numerator),
            "denominator": _quantity(1.0, "mL"),
        }
    }


def medication(subject: Subject) -> dict[str, Any]:
    """The formulation as a FHIR Medication: ingredients with strengths in the mixture."""
    f = subject.formulation
    ingredients = []
    for prep in subject.preparations:
        for dose in prep.doses:
            ingredient = dose.ingredient
            codings = []
            if ingredient.identifiers.unii:
                codings.append(
                    {
                        "system": UNII,
                        "code": ingredient.identifiers.unii,
                        "display": ingredient.name,
                    }
                )
            codings += [{"system": ATC, "code": c} for c in ingredient.identifiers.atc]
            concept: dict[str, Any] = {"text": ingredient.name}
            if codings:
                concept["coding"] = codings
            ingredients.append(
                {"item": {"concept": concept}, "isActive": True, **_strength(dose.concentration)}
            )
    return {
        "resourceType": "Medication",
        "id": _id(f.id, str(f.version)),
        "identifier": [
            {"system": "https://mesoreg.org/formulation", "value": f"{f.id}@{f.version}"}
        ],
        "code": {"text": f.title},
        "status": "active",
        "ingredient": ingredients,
    }


def detected_issue(report: Report, index: int, medication_id: str) -> dict[str, Any]:
    """One finding as a FHIR DetectedIssue implicating the Medication."""
    finding = report.findings[index]
    issue: dict[str, Any] = {
        "resourceType": "DetectedIssue",
        "id": _id(report.formulation, finding.code, finding.rule, *finding.components),
        "status": "final",
        "severity": finding.severity.fhir,
        "code": {
            "coding": [{"system": MESOREG_CODES, "code": finding.code}],
            "text": finding.message,
        },
        "identifiedDateTime": report.date.isoformat(),
        "implicated": [{"reference": f"Medication/{medication_id}"}],
        "detail": f"{finding.message} Evidence: {finding.evidence}",
        "mitigation": [{"action": {"text": finding.advice}}],
    }
    if finding.sources:
        issue["evidence"] = [{"code": [{"text": s.cite()}]} for s in finding.sources]
        urls = [s.url or (f"https://doi.org/{s.doi}" if s.doi else "") for s in finding.sources]
        if urls[0]:
            issue["reference"] = urls[0]
    return issue


#: finding code of the DetectedIssue that records a pack override
OVERRIDE_CODE = "MR-PACK-OVERRIDE"


def override_issue(report: Report, found: Override, medication_id: str) -> dict[str, Any]:
    """One pack override as a DetectedIssue: what replaced what, and whether it weakens."""
    what = "weakens" if found.is_weakening else "tightens"
    detail = f"Pack override {found.describe()}"
    if found.is_weakening:
        detail += f". Weakens: {'; '.join(found.weakening)}"
    return {
        "resourceType": "DetectedIssue",
        "id": _id(report.formulation, OVERRIDE_CODE, found.key, found.replaces),
        "status": "final",
        "severity": "high" if found.is_weakening else "low",
        "code": {
            "coding": [{"system": MESOREG_CODES, "code": OVERRIDE_CODE}],
            "text": f"Pack '{found.pack}' overrides {found.kind}.{found.id} ({what})",
        },
        "identifiedDateTime": report.date.isoformat(),
        "implicated": [{"reference": f"Medication/{medication_id}"}],
        "detail": detail,
    }


def fhir_bundle(subject: Subject, report: Report) -> dict[str, Any]:
    """A FHIR R5 collection Bundle: the Medication, a DetectedIssue per finding and override."""
    med = medication(subject)
    issues = [detected_issue(report, i, med["id"]) for i in range(len(report.findings))]
    issues += [override_issue(report, o, med["id"]) for o in report.overrides]
    return {
        "resourceType": "Bundle",
        "id": _id("bundle", report.formulation, report.date.isoformat()),
        "type": "collection",
        "entry": [
            {
                "fullUrl": f"urn:uuid:{r['id'][:8]}-{r['id'][8:12]}-{r['id'][12:16]}-"
                f"{r['id'][16:20]}-{r['id'][20:32]}",
                "resource": r,
            }
            for r in (med, *issues)
        ],
    }


# -- compounding records ---------------------------------------------------------------------

#: identifier systems of compounding records and stock product lots
RECORD_SYSTEM = "https://mesoreg.org/compounding-record"
PRODUCT_SYSTEM = "https://mesoreg.org/stock-product"
PATIENT_SYSTEM = "https://mesoreg.org/patient"
_PARTICIPANT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"


def _uuid(resource_id: str) -> str:
    r = resource_id
    return f"urn:uuid:{r[:8]}-{r[8:12]}-{r[12:16]}-{r[16:20]}-{r[20:32]}"


def _record_resources(
    subject: Subject, report: Report, file: str, record: dict[str, Any]
) -> list[dict[str, Any]]:
    """One compounding record (its JSON data) as FHIR resources; see :func:`records_bundle`."""
    reference = f"{record['formulation']}@{record['version']}-{record['record']}"
    stock: list[dict[str, Any]] = []
    for lot in record["lots"]:
        batch: dict[str, Any] = {"lotNumber": lot["lot"], "expirationDate": lot["expiry"]}
        stock.append(
            {
                "resourceType": "Medication",
                "id": _id(reference, lot["product"], lot["lot"]),
                "identifier": [{"system": PRODUCT_SYSTEM, "value": lot["product"]}],
                "code": {"text": lot["product_name"]},
                "status": "active",
                "batch": batch,
            }
        )
    prepared = medication(subject)
    prepared["id"] = _id("record", reference)
    prepared["identifier"] = [
        *prepared["identifier"],
        {"system": RECORD_SYSTEM, "value": reference},
    ]
    prepared["batch"] = {"lotNumber": reference}
    if record["bud"]["bud"]:
        prepared["batch"]["expirationDate"] = record["bud"]["bud"]
    # each stock lot drawn is an ingredient too (not active: the actives carry strengths)
    prepared["ingredient"] = [
        *prepared["ingredient"],
        *({"item": {"reference": {"reference": _uuid(m["id"])}}, "isActive": False} for m in stock),
    ]
    target = _uuid(prepared["id"])
    provenance = {
        "resourceType": "Provenance",
        "id": _id("provenance", reference),
        "target": [{"reference": target}],
        "occurredDateTime": record["compounded_at"],
        "recorded": record["compounded_at"],
        "activity": {"text": f"compounded ({file}; deviations: {len(record['deviations'])})"},
        "agent": [
            {
                "type": {"coding": [{"system": _PARTICIPANT, "code": code}]},
                "who": {"display": who},
            }
            for code, who in (
                ("performer", record["prepared_by"]),
                ("verifier", record["verified_by"]),
            )
        ],
    }
    resources = [*stock, prepared, provenance]
    if record["patient"]:
        resources.append(
            {
                "resourceType": "MedicationDispense",
                "id": _id("dispense", reference),
                "status": "completed",
                "medication": {"reference": {"reference": target}},
                "subject": {"identifier": {"system": PATIENT_SYSTEM, "value": record["patient"]}},
                "note": [{"text": f"beyond-use date: {record['bud']['bud'] or 'not determined'}"}],
            }
        )
    acks = {(a["code"], tuple(sorted(a["components"]))): a for a in record["acknowledgements"]}
    for index, finding in enumerate(report.findings):
        issue = detected_issue(report, index, "x")
        issue["id"] = _id("issue", reference, finding.code, finding.rule, *finding.components)
        issue["implicated"] = [{"reference": target}]
        ack = acks.get((finding.code, tuple(sorted(finding.components))))
        if ack is not None:
            issue["mitigation"].append(
                {
                    "action": {"text": "acknowledged for this preparation"},
                    "date": record["compounded_at"],
                    "author": {"display": " and ".join(ack["by"])},
                    "note": [{"text": ack["reason"]}],
                }
            )
        resources.append(issue)
    return resources


def records_bundle(
    subject: Subject, report: Report, records: list[tuple[str, dict[str, Any]]]
) -> dict[str, Any]:
    """Compounding records as a FHIR R5 collection Bundle.

    For each record (``(file, the record's JSON data)``): a ``Medication`` per stock
    product lot drawn (``batch``: lot number and expiry); a ``Medication`` for the
    preparation (the formulation's ingredients and strengths, ``batch``: the record's id
    and the beyond-use date when one is assigned); a ``Provenance`` naming who prepared it
    (performer) and who verified it (verifier); a ``MedicationDispense`` to the patient's
    identifier when there is one; and a ``DetectedIssue`` per finding of ``report`` (the
    version's check now), whose ``mitigation`` lists the acknowledgement the record holds.
    """
    resources = [r for file, rec in records for r in _record_resources(subject, report, file, rec)]
    return {
        "resourceType": "Bundle",
        "id": _id("records", report.formulation, *(file for file, _ in records)),
        "type": "collection",
        "entry": [{"fullUrl": _uuid(r["id"]), "resource": r} for r in resources],
    }
