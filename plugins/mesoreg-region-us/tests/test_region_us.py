"""The US plugin: found through its entry point, effective-dated, isolated in tests."""

from __future__ import annotations

import datetime as dt

import mesoreg_region_us
from mesoreg.testing import check_with, formulation

PCDC = formulation(
    [{"ingredient": "phosphatidylcholine", "strength": "50 mg/mL", "volume": "5 mL"}],
    use={"route": "subcutaneous", "area": "abdomen", "technique": "injection_lipolysis"},
)
KYBELLA_CHIN = formulation(
    [("Kybella", "10 mg/mL", "2 mL")],
    use={"route": "subcutaneous", "area": "submental", "technique": "grid_injection"},
)
KYBELLA_ABDOMEN = formulation(
    [("Kybella", "10 mg/mL", "2 mL")],
    use={"route": "subcutaneous", "area": "abdomen", "technique": "grid_injection"},
)


def codes(report):  # type: ignore[no-untyped-def]
    return {f.code for f in report.findings}


def us(f, day):  # type: ignore[no-untyped-def]
    return check_with(f, None, plugins=[mesoreg_region_us], region="US", date=day)


def rules(report):  # type: ignore[no-untyped-def]
    return [f.rule for f in report.findings if f.code == "MR-REG-US-LIPODISSOLVE"]


def test_lipodissolve_is_flagged_after_the_2010_warning():
    assert rules(us(PCDC, dt.date(2012, 1, 1))) == ["us_lipodissolve_unapproved"]
    assert rules(us(PCDC, dt.date(2010, 4, 7))) == ["us_lipodissolve_unapproved"]


def test_injected_phosphatidylcholine_is_unapproved_from_the_2003_warning_letter():
    assert rules(us(PCDC, dt.date(2003, 7, 21))) == []
    assert rules(us(PCDC, dt.date(2003, 7, 22))) == ["us_lipostabil_unapproved_2003"]
    assert rules(us(PCDC, dt.date(2009, 1, 1))) == ["us_lipostabil_unapproved_2003"]
    assert rules(us(PCDC, dt.date(2010, 4, 6))) == ["us_lipostabil_unapproved_2003"]


def test_deoxycholic_acid_before_and_after_approval():
    before = us(KYBELLA_CHIN, dt.date(2015, 4, 28))
    after = us(KYBELLA_CHIN, dt.date(2015, 4, 29))
    assert "MR-REG-US-DEOXYCHOLIC-UNAPPROVED" in codes(before)
    assert codes(after) == set()
    assert after.verdict is mesoreg_verdict("pass")


def test_off_label_area():
    assert "MR-REG-US-DEOXYCHOLIC-AREA" in codes(us(KYBELLA_ABDOMEN, dt.date(2020, 1, 1)))


def test_code_validator_flags_a_diluted_product():
    diluted = formulation(
        [("Kybella", "10 mg/mL", "1 mL"), ("saline", "0.9 %", "1 mL")],
        use={"route": "subcutaneous", "area": "submental"},
    )
    report = us(diluted, dt.date(2020, 1, 1))
    (finding,) = [f for f in report.findings if f.code == "MR-REG-US-NOT-APPROVED-PRODUCT"]
    assert finding.evidence == "deoxycholic acid 5 mg/mL in 'syringe 1' with 1 other ingredient(s)"
    assert finding.provider == "mesoreg-region-us 0.1.0"


def test_findings_name_the_plugin_and_its_version():
    report = us(PCDC, dt.date(2012, 1, 1))
    (finding,) = [f for f in report.findings if f.code == "MR-REG-US-LIPODISSOLVE"]
    assert finding.provider == "mesoreg-region-us 0.1.0"
    assert "regulatory:mesoreg-region-us 0.1.0" in report.checks


def test_other_regions_are_not_covered():
    report = check_with(PCDC, None, plugins=[mesoreg_region_us], region="BR")
    assert report.verdict.value == "not-validated"


def mesoreg_verdict(name):  # type: ignore[no-untyped-def]
    import mesoreg

    return mesoreg.Verdict(name)
