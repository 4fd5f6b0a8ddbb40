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
