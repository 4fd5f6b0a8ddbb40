"""The EU plugin: found through its entry point, effective-dated, isolated in tests."""

from __future__ import annotations

import datetime as dt

import mesoreg_region_eu
from mesoreg.testing import check_with, formulation

LIPOLYSIS_USE = {"route": "subcutaneous", "area": "abdomen", "purpose": "fat_reduction"}
PC = [{"ingredient": "phosphatidylcholine", "strength": "50 mg/mL", "volume": "5 mL"}]
LIPOLYSIS = formulation(PC, use=LIPOLYSIS_USE)
CELLULITE = formulation(PC, use={**LIPOLYSIS_USE, "purpose": "cellulite"})
NO_PURPOSE = formulation(PC, use={"route": "subcutaneous", "area": "abdomen"})
#: a lipolytic given intradermally by nappage is not injection lipolysis
DERMAL_USE = {"route": "intradermal", "area": "abdomen"}
DERMAL_CELLULITE = formulation(PC, use={**DERMAL_USE, "purpose": "cellulite"})
DERMAL_NO_PURPOSE = formulation(PC, use=DERMAL_USE)
TECHNIQUE_ONLY = formulation(
    PC, use={**DERMAL_USE, "technique": "injection_lipolysis", "purpose": "skin_quality"}
)
BUFLOMEDIL = formulation(
    [("buflomedil", "10 mg/mL", "2 mL")], use={"route": "intradermal", "area": "thigh"}
)
BAN = "MR-REG-FR-ADIPOCYTE-LYSIS"


def codes(report):  # type: ignore[no-untyped-def]
    return {f.code for f in report.findings}


def eu(f, region, day):  # type: ignore[no-untyped-def]
    return check_with(f, None, plugins=[mesoreg_region_eu], region=region, date=day)


def test_decree_applies_before_the_suspension_and_after_the_ruling():
    assert BAN in codes(eu(LIPOLYSIS, "FR", dt.date(2011, 5, 1)))
    assert BAN in codes(eu(LIPOLYSIS, "FR", dt.date(2012, 3, 1)))


def test_nothing_applies_while_the_decree_was_suspended():
    suspended = eu(LIPOLYSIS, "FR", dt.date(2011, 7, 1))
    upheld = eu(LIPOLYSIS, "FR", dt.date(2012, 3, 1))
    assert not any(c.startswith("MR-REG-FR") for c in codes(suspended))
    assert codes(suspended) != codes(upheld)
    assert suspended.verdict.value == "pass"


def test_boundaries_of_the_suspension():
    assert BAN not in codes(eu(LIPOLYSIS, "FR", dt.date(2011, 4, 12)))
    assert BAN in codes(eu(LIPOLYSIS, "FR", dt.date(2011, 4, 13)))
    assert BAN in codes(eu(LIPOLYSIS, "FR", dt.date(2011, 6, 16)))
    assert BAN not in codes(eu(LIPOLYSIS, "FR", dt.date(2011, 6, 17)))
    assert BAN not in codes(eu(LIPOLYSIS, "FR", dt.date(2012, 2, 16)))
    assert BAN in codes(eu(LIPOLYSIS, "FR", dt.date(2012, 2, 17)))


def test_the_ban_is_a_contraindication_in_france_only():
    (finding,) = [f for f in eu(LIPOLYSIS, "FR", dt.date(2012, 3, 1)).findings if f.code == BAN]
    assert finding.severity.value == "contraindicated"
    assert finding.components == ("phosphatidylcholine",)
    assert BAN not in codes(eu(LIPOLYSIS, "DE", dt.date(2012, 3, 1)))


def test_injection_lipolysis_is_fat_lysis_whatever_the_stated_purpose():
    # a lipolytic injected into subcutaneous fat is injection lipolysis (mesoreg._subject)
    assert BAN in codes(eu(CELLULITE, "FR", dt.date(2012, 3, 1)))
    assert BAN in codes(eu(NO_PURPOSE, "FR", dt.date(2012, 3, 1)))
    assert BAN in codes(eu(TECHNIQUE_ONLY, "FR", dt.date(2012, 3, 1)))


def test_cellulite_purpose_without_lipolysis_is_not_fat_lysis():
    assert BAN not in codes(eu(DERMAL_CELLULITE, "FR", dt.date(2012, 3, 1)))


def test_missing_purpose_is_reported_as_unchecked():
    report = eu(DERMAL_NO_PURPOSE, "FR", dt.date(2012, 3, 1))
    assert BAN not in codes(report)
    assert report.verdict.value == "not-validated"
    assert [u.rule for u in report.unchecked] == ["fr_adipocyte_lysis_ban_2012"]
    assert eu(DERMAL_NO_PURPOSE, "FR", dt.date(2011, 7, 1)).verdict.value == "pass"


def test_buflomedil_in_france_from_february_2011():
    assert "MR-REG-FR-BUFLOMEDIL-SUSPENDED" in codes(eu(BUFLOMEDIL, "FR", dt.date(2011, 3, 1)))
    assert "MR-REG-FR-BUFLOMEDIL-SUSPENDED" not in codes(eu(BUFLOMEDIL, "FR", dt.date(2011, 2, 16)))


def test_buflomedil_elsewhere_in_the_eu_from_february_2012():
    before = eu(BUFLOMEDIL, "DE", dt.date(2011, 3, 1))
    after = eu(BUFLOMEDIL, "DE", dt.date(2012, 3, 1))
    assert not any(c.startswith("MR-REG-") for c in codes(before))
    assert "MR-REG-EU-BUFLOMEDIL-SUSPENDED" in codes(after)
    assert "MR-REG-EU-BUFLOMEDIL-SUSPENDED" in codes(eu(BUFLOMEDIL, "NO", dt.date(2012, 3, 1)))


def test_buflomedil_is_found_by_its_brand_name():
    loftyl = formulation([("Loftyl", "10 mg/mL", "2 mL")], use={"area": "thigh"})
    assert "MR-REG-EU-BUFLOMEDIL-SUSPENDED" in codes(eu(loftyl, "BE", dt.date(2013, 1, 1)))


def test_findings_name_the_plugin_and_its_version():
    report = eu(BUFLOMEDIL, "DE", dt.date(2012, 3, 1))
    (finding,) = [f for f in report.findings if f.code == "MR-REG-EU-BUFLOMEDIL-SUSPENDED"]
    assert finding.provider == "mesoreg-region-eu 0.1.0"
    assert "regulatory:mesoreg-region-eu 0.1.0" in report.checks


def test_other_regions_are_not_covered():
    report = check_with(LIPOLYSIS, None, plugins=[mesoreg_region_eu], region="US")
    assert report.verdict.value == "not-validated"
    assert [u.rule for u in report.unchecked] == ["US"]
