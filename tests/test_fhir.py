"""FHIR export: a valid R5 Bundle with a Medication and a DetectedIssue per finding."""

from __future__ import annotations

import datetime as dt
import json

from conftest import PATIENTS
from fhir.resources.bundle import Bundle
from fhir.resources.detectedissue import DetectedIssue
from fhir.resources.medication import Medication

from mesoreg.command import cli


def test_export_validates_with_fhir_resources(capsys):
    assert (
        cli.main(
            [
                "export",
                "--fhir",
                "cellulite-thighs@1",
                "--patient",
                str(PATIENTS / "marc.toml"),
                "--date",
                "2026-11-22",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    bundle = Bundle.model_validate(data)
    resources = [e.resource for e in bundle.entry]
    medication = Medication.model_validate(data["entry"][0]["resource"])
    issues = [DetectedIssue.model_validate(e["resource"]) for e in data["entry"][1:]]
    assert len(resources) == 1 + len(issues)
    names = [i.item.concept.text for i in medication.ingredient]
    assert names == ["Aminophylline", "Centella asiatica extract", "Lidocaine hydrochloride"]
    lido = medication.ingredient[2].strengthRatio
    assert (float(lido.numerator.value), lido.numerator.code, lido.denominator.code) == (
        pytest_approx(10 / 3),
        "mg",
        "mL",
    )
    severities = {i.code.coding[0].code: i.severity for i in issues}
    assert severities["MR-CI-ANTIARRHYTHMIC"] == "high"
    assert severities["MR-IX-LIPOLYTIC-ANAESTHETIC"] == "low"
    assert all(i.implicated[0].reference == f"Medication/{medication.id}" for i in issues)
    assert dt.date.fromisoformat(str(issues[0].identifiedDateTime)[:10]) == dt.date(2026, 11, 22)


def pytest_approx(value: float):  # type: ignore[no-untyped-def]
    import pytest

    return pytest.approx(value, rel=1e-5)


def test_every_override_is_a_valid_detected_issue():
    import attrs

    from mesoreg import Evidence, Pack, Source
    from mesoreg.checks._subject import resolve
    from mesoreg.documents._model import Context
    from mesoreg.host._plugins import PackPlugin
    from mesoreg.interfaces._fhir import OVERRIDE_CODE, fhir_bundle
    from mesoreg.testing import HEALTHY, check_with, formulation, make_registry, patient

    core = make_registry().catalog
    pregnancy = next(r for r in core.contraindications if r.id == "pregnancy")
    source = Source(id="t", title="T", issuer="Tests", date="2026", kind=Evidence.LABEL)
    tighter = attrs.evolve(pregnancy, override=True, sources=(*pregnancy.sources, "t"))
    pack = Pack(name="t-pack", version="1", sources=(source,), contraindications=(tighter,))
    registry = make_registry([PackPlugin(pack)])
    f = formulation([("hyaluronic_acid", "1 %", "2 mL")])
    report = check_with(f, patient(HEALTHY, pregnant=True), registry=registry)
    subject = resolve(f, None, Context(report.date, None), registry.catalog)
    data = fhir_bundle(subject, report)
    Bundle.model_validate(data)
    issues = [DetectedIssue.model_validate(e["resource"]) for e in data["entry"][1:]]
    (override,) = [i for i in issues if i.code.coding[0].code == OVERRIDE_CODE]
    assert override.severity == "low"
    assert override.detail.startswith(
        "Pack override t-pack:contraindications.pregnancy adds to or tightens mesoreg-core"
    )
    assert "sources:" in override.detail
