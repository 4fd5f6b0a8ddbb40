"""Every shipped example gives the verdict a pharmacist expects, for every example patient."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import FORMULATIONS, PATIENTS

import mesoreg

DATE = dt.date(2026, 11, 22)

# (formulation, patient) -> (verdict, findings above info)
AMINOPHYLLINE_IN_A_MIX = {"MR-IX-AMINOPHYLLINE-ADMIXTURE", "MR-IX-LIPOLYTIC-ANAESTHETIC"}
EXPECTED = {
    # aminophylline has no sourced dose limit: its dose is not checked, never passed
    ("cellulite-thighs", None): ("not-validated", AMINOPHYLLINE_IN_A_MIX),
    ("cellulite-thighs", "anna"): ("not-validated", AMINOPHYLLINE_IN_A_MIX),
    ("cellulite-thighs", "marc"): (
        "fail",
        {
            "MR-CI-ANTIARRHYTHMIC",
            "MR-CI-HERPES-HISTORY",
            "MR-CI-NSAID-7D",
            "MR-IX-AMINOPHYLLINE-ADMIXTURE",
            "MR-IX-LIDOCAINE-AMIODARONE",
            "MR-IX-LIPOLYTIC-ANAESTHETIC",
        },
    ),
    ("cellulite-thighs", "lena"): (
        "fail",
        {"MR-CI-PREGNANCY", "MR-IX-AMINOPHYLLINE-ADMIXTURE", "MR-IX-LIPOLYTIC-ANAESTHETIC"},
    ),
    ("face-revitalisation", None): ("pass", set()),
    ("face-revitalisation", "anna"): ("pass", set()),
    ("face-revitalisation", "lena"): ("fail", {"MR-CI-PREGNANCY"}),
    ("hair-scalp", "anna"): ("pass", set()),
    ("hair-scalp", "marc"): (
        "fail",
        {
            "MR-CI-ANTIARRHYTHMIC",
            "MR-CI-HERPES-HISTORY",
            "MR-CI-NSAID-7D",
        },
    ),
    # KYBELLA's limits hold for that product alone: in a PC/DC mixture they are not checked
    ("lipo-abdomen", None): ("not-validated", {"MR-IX-DEOXYCHOLIC-ADMIXTURE"}),
    ("submental-deoxycholic", None): ("pass", set()),
    ("submental-deoxycholic", "anna"): ("pass", set()),
    ("submental-deoxycholic", "lena"): ("fail", {"MR-CI-PREGNANCY"}),
}


@pytest.mark.parametrize(("formulation", "who"), sorted(EXPECTED, key=str), ids=lambda v: str(v))
def test_example_verdicts(registry, formulation, who):
    patient = PATIENTS / f"{who}.toml" if who else None
    path = next(p for p in FORMULATIONS if p.parent.name == formulation)
    report = mesoreg.check(path, patient, date=DATE, registry=registry)
    verdict, codes = EXPECTED[(formulation, who)]
    assert report.verdict.value == verdict
    assert {f.code for f in report.findings if f.severity.value != "info"} == codes


def test_every_example_is_covered():
    assert {p.parent.name for p in FORMULATIONS} == {f for f, _ in EXPECTED}


def test_lena_weight_is_unknown_so_the_lidocaine_dose_cannot_pass(registry):
    path = next(p for p in FORMULATIONS if p.parent.name == "cellulite-thighs")
    report = mesoreg.check(path, PATIENTS / "lena.toml", date=DATE, registry=registry)
    assert [u.rule for u in report.unchecked] == ["aminophylline:dose", "lidocaine_plain_per_kg"]
