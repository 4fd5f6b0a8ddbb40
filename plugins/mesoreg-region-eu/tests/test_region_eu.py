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
#: a lipolytic other than the decree's two given intradermally by nappage is not injection
#: lipolysis (phosphatidylcholine and deoxycholate are banned whatever the route)
DERMAL_USE = {"route": "intradermal", "area": "abdomen"}
AMINOPHYLLINE = [{"ingredient": "aminophylline", "strength": "25 mg/mL", "volume": "1 mL"}]
DERMAL_CELLULITE = formulation(AMINOPHYLLINE, use={**DERMAL_USE, "purpose": "cellulite"})
DERMAL_NO_PURPOSE = formulation(AMINOPHYLLINE, use=DERMAL_USE)
TECHNIQUE_ONLY = formulation(
    PC, use={**DERMAL_USE, "technique": "injection_lipolysis", "purpose": "skin_quality"}
)
BUFLOMEDIL = formulation(
    [("buflomedil", "10 mg/mL", "2 mL")], use={"route": "intradermal", "area": "thigh"}
)
BAN = "MR-REG-FR-ADIPOCYTE-LYSIS"
ARTICHOKE = [{"ingredient": "artichoke_extract", "strength": "2 %", "volume": "2 mL"}]


def mixture(purpose):  # type: ignore[no-untyped-def]
    """A mesotherapy mixture with no lipolytic ingredient, for ``purpose``."""
    return formulation(
        ARTICHOKE, use={"route": "intradermal", "area": "thighs", "purpose": purpose}
    )


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
    findings = [f for f in eu(LIPOLYSIS, "FR", dt.date(2012, 3, 1)).findings if f.code == BAN]
    assert {f.rule for f in findings} == {
        "fr_adipocyte_lysis_ban_2012",
        "fr_adipocyte_lysis_ban_2012_lipolytic",
    }
    assert {f.severity.value for f in findings} == {"contraindicated"}
    lipolytic = [f for f in findings if f.rule.endswith("_lipolytic")]
    assert lipolytic[0].components == ("phosphatidylcholine",)
    assert BAN not in codes(eu(LIPOLYSIS, "DE", dt.date(2012, 3, 1)))


def test_a_lipolytic_product_is_banned_whatever_the_stated_purpose():
    """The decree bans 'injections de produits lipolytiques': the product is the technique."""
    for f in (CELLULITE, NO_PURPOSE):
        report = eu(f, "FR", dt.date(2012, 3, 1))
        assert "fr_adipocyte_lysis_ban_2012_lipolytic" in {x.rule for x in report.findings}
        assert report.verdict.value != "pass"
    assert BAN not in codes(eu(CELLULITE, "FR", dt.date(2011, 7, 1)))


def test_any_mesotherapy_mixture_for_fat_reduction_is_banned():
    """'injections de mélanges mésothérapeutiques': no lipolytic ingredient is needed."""
    for purpose in ("fat_reduction", "body_contouring"):
        report = eu(mixture(purpose), "FR", dt.date(2012, 3, 1))
        (finding,) = [f for f in report.findings if f.code == BAN]
        assert finding.rule == "fr_adipocyte_lysis_ban_2012"
        assert finding.severity.value == "contraindicated"
    assert BAN in codes(eu(mixture("fat_reduction"), "FR", dt.date(2011, 5, 1)))
    assert BAN not in codes(eu(mixture("fat_reduction"), "FR", dt.date(2011, 7, 1)))


def test_the_same_mixture_for_another_purpose_is_not_fat_lysis():
    assert BAN not in codes(eu(mixture("skin_quality"), "FR", dt.date(2012, 3, 1)))
    assert BAN not in codes(eu(mixture("cellulite"), "FR", dt.date(2012, 3, 1)))


def test_the_injection_lipolysis_technique_is_banned_whatever_the_mixture():
    f = formulation(ARTICHOKE, use={"technique": "injection_lipolysis", "purpose": "cellulite"})
    report = eu(f, "FR", dt.date(2012, 3, 1))
    # the technique makes it injection lipolysis, which is fat reduction whatever the purpose
    assert [x.rule for x in report.findings if x.code == BAN] == ["fr_adipocyte_lysis_ban_2012"]


def test_missing_purpose_is_reported_as_unchecked():
    """Without use.purpose nobody can tell whether a mixture is for fat lysis: not checked."""
    report = eu(formulation(ARTICHOKE, use={"area": "abdomen"}), "FR", dt.date(2012, 3, 1))
    assert BAN not in codes(report)
    assert report.verdict.value == "not-validated"
    assert [u.rule for u in report.unchecked] == ["fr_adipocyte_lysis_ban_2012"]
    assert eu(formulation(ARTICHOKE), "FR", dt.date(2011, 7, 1)).verdict.value == "pass"


def test_injection_lipolysis_is_fat_lysis_whatever_the_stated_purpose():
    # a lipolytic injected into subcutaneous fat is injection lipolysis (mesoreg.checks._subject)
    assert BAN in codes(eu(CELLULITE, "FR", dt.date(2012, 3, 1)))
    assert BAN in codes(eu(NO_PURPOSE, "FR", dt.date(2012, 3, 1)))
    assert BAN in codes(eu(TECHNIQUE_ONLY, "FR", dt.date(2012, 3, 1)))


def test_cellulite_purpose_without_lipolysis_is_not_fat_lysis():
    assert BAN not in codes(eu(DERMAL_CELLULITE, "FR", dt.date(2012, 3, 1)))


def test_missing_purpose_of_a_dermal_mixture_is_reported_as_unchecked():
    report = eu(DERMAL_NO_PURPOSE, "FR", dt.date(2012, 3, 1))
    assert BAN not in codes(report)
    assert report.verdict.value == "not-validated"
    regulatory = [u.rule for u in report.unchecked if u.check == "regulatory"]
    assert regulatory == ["fr_adipocyte_lysis_ban_2012"]
    later = eu(DERMAL_NO_PURPOSE, "FR", dt.date(2011, 7, 1))
    assert [u for u in later.unchecked if u.check == "regulatory"] == []


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
