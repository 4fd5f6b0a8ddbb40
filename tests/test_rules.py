"""The rules that must be right (issue 11): one data test per rule class, then behaviour."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlparse

import pytest

from mesoreg import Verdict
from mesoreg.documents._knowledge import Evidence, Fact, LimitKind, Severity
from mesoreg.testing import HEALTHY, check_with, formulation, patient

#: the candidacy exclusions of the project's origin articles, with the rule that encodes each
SEED_EXCLUSIONS = (
    "age_minimum",
    "age_maximum",
    "pregnancy",
    "anticoagulant",
    "insulin_dependent_diabetes",
    "insulin_use",
    "antiarrhythmic",
    "severe_heart_disease",
    "cancer",
    "stroke",
    "herpes_active",
    "active_skin_disease",
    "kidney_disease",
    "liver_disease",
    "allergy",
    "nsaid_recent",
)
#: the seed's technique rules (injection depth, session spacing)
SEED_TECHNIQUE = ("intradermal_depth", "session_interval_minimum")
#: hosts that copy documents whose primary location is public elsewhere
MIRROR_HOSTS = frozenset(
    {"scribd.com", "pdfcoffee.com", "vdocuments.us", "studyres.com", "doczz.net", "pastebin.com"}
)
FAILING = (Severity.CONTRAINDICATED, Severity.MAJOR)
DOSE_KINDS = (
    LimitKind.CONCENTRATION,
    LimitKind.SESSION_AMOUNT,
    LimitKind.PER_KG,
    LimitKind.INJECTIONS,
    LimitKind.SESSION_VOLUME,
)


def _is_mirror(url: str) -> bool:
    host = urlparse(url).hostname or ""
    return any(host == m or host.endswith("." + m) for m in MIRROR_HOSTS)


def _limits(catalog):  # type: ignore[no-untyped-def]
    """Every limit: the catalog keeps them by ingredient ('' for session-wide ones)."""
    return [limit for group in catalog.limits.values() for limit in group]


def codes(report):  # type: ignore[no-untyped-def]
    return {f.code for f in report.findings}


# --- data: one test per rule class ------------------------------------------------------


@pytest.mark.parametrize("rule_id", SEED_EXCLUSIONS)
def test_every_seed_exclusion_fails_by_default_and_cites_no_mirror(catalog, rule_id):
    (rule,) = [r for r in catalog.contraindications if r.id == rule_id]
    assert rule.severity in FAILING, rule.id
    cited = catalog.cite(rule.sources)
    assert cited, rule.id
    assert not [s.id for s in cited if _is_mirror(s.url)], rule.id


@pytest.mark.parametrize("rule_id", SEED_TECHNIQUE)
def test_seed_technique_rules_fail_by_default(catalog, rule_id):
    (limit,) = [r for r in _limits(catalog) if r.id == rule_id]
    assert limit.severity in FAILING


def test_expert_opinion_exclusions_cite_a_source_that_states_them(catalog):
    # the clinic pages list neither skin, kidney nor liver disease: the origin article does
    for rule_id in ("active_skin_disease", "kidney_disease", "liver_disease"):
        (rule,) = [r for r in catalog.contraindications if r.id == rule_id]
        assert "seed_pinnaclegist_2018" in rule.sources
        assert "delight_medical_safety" not in rule.sources
    seed = catalog.sources["seed_pinnaclegist_2018"]
    assert seed.kind is Evidence.EXPERT_OPINION and seed.url.startswith("https://")


def test_every_label_interaction_has_a_label_source(catalog):
    bad = [
        r.id
        for r in catalog.interactions
        if r.evidence is Evidence.LABEL
        and not any(s.kind is Evidence.LABEL for s in catalog.cite(r.sources))
    ]
    assert bad == []


def test_product_limits_are_dose_limits_with_a_label_source(catalog):
    product = [r for r in _limits(catalog) if r.product]
    assert {r.id for r in product} >= {
        "deoxycholic_acid_concentration",
        "deoxycholic_acid_injections",
        "deoxycholic_acid_volume",
    }
    for limit in product:
        assert limit.kind in DOSE_KINDS, limit.id
        assert any(s.kind is Evidence.LABEL for s in catalog.cite(limit.sources)), limit.id


def test_the_long_interval_is_information(catalog):
    (limit,) = [r for r in _limits(catalog) if r.id == "session_interval_maximum"]
    assert limit.severity is Severity.INFO


def test_childbearing_potential_is_a_fact_rules_can_name():
    assert Fact("childbearing_potential") is Fact.CHILDBEARING_POTENTIAL


def test_aminophylline_lists_the_xanthines_its_label_excludes(catalog):
    allergens = set(catalog.ingredients["aminophylline"].allergens)
    assert {"ethylenediamine", "theophylline", "caffeine", "theobromine"} <= allergens


# --- behaviour ----------------------------------------------------------------------------

AMINOPHYLLINE = formulation([("aminophylline", "25 mg/mL", "2 mL")])
VITAMINS = formulation([("pyridoxine", "100 mg/mL", "1 mL")])


def test_a_patient_aged_76_fails_by_default(registry):
    report = check_with(
        VITAMINS, patient(HEALTHY, birth_date=dt.date(1950, 11, 22)), registry=registry
    )
    assert report.verdict is Verdict.FAIL


@pytest.mark.parametrize("allergy", ["theophylline", "caffeine", "theobromine", "xanthine"])
def test_xanthine_allergy_with_aminophylline_fails(registry, allergy):
    report = check_with(AMINOPHYLLINE, patient(HEALTHY, allergies=[allergy]), registry=registry)
    assert "MR-CI-ALLERGY" in codes(report)
    assert report.verdict is Verdict.FAIL


def test_aminophylline_with_another_xanthine_fails(registry):
    mixed = formulation([("aminophylline", "25 mg/mL", "1 mL"), ("caffeine", "20 mg/mL", "1 mL")])
    report = check_with(mixed, patient(HEALTHY), registry=registry)
    assert "MR-IX-AMINOPHYLLINE-XANTHINE" in codes(report)
    assert report.verdict is Verdict.FAIL
    alone = check_with(AMINOPHYLLINE, patient(HEALTHY), registry=registry)
    assert "MR-IX-AMINOPHYLLINE-XANTHINE" not in codes(alone)


def test_aminophylline_in_one_syringe_with_another_ingredient_is_flagged(registry):
    mixed = formulation(
        [("aminophylline", "25 mg/mL", "1 mL"), ("pyridoxine", "100 mg/mL", "1 mL")]
    )
    apart = formulation(
        [("aminophylline", "25 mg/mL", "1 mL")], [("pyridoxine", "100 mg/mL", "1 mL")]
    )
    assert "MR-IX-AMINOPHYLLINE-ADMIXTURE" in codes(
        check_with(mixed, patient(HEALTHY), registry=registry)
    )
    assert "MR-IX-AMINOPHYLLINE-ADMIXTURE" not in codes(
        check_with(apart, patient(HEALTHY), registry=registry)
    )


def test_liver_disease_reduces_theophylline_clearance(registry):
    report = check_with(
        AMINOPHYLLINE, patient(HEALTHY, conditions=["liver disease"]), registry=registry
    )
    assert "MR-CI-THEOPHYLLINE-CLEARANCE" in codes(report)


def test_cimetidine_with_theophylline_is_major(registry):
    report = check_with(
        AMINOPHYLLINE, patient(HEALTHY, medications=[{"name": "cimetidine"}]), registry=registry
    )
    (finding,) = [f for f in report.findings if f.rule == "theophylline_cimetidine"]
    assert finding.severity is Severity.MAJOR


def test_levocarnitine_with_warfarin(registry):
    carnitine = formulation([("levocarnitine", "200 mg/mL", "2 mL")])
    report = check_with(
        carnitine, patient(HEALTHY, medications=[{"name": "warfarin"}]), registry=registry
    )
    assert "MR-IX-LEVOCARNITINE-WARFARIN" in codes(report)


LIPOLYSIS = {"route": "subcutaneous", "area": "submental", "technique": "injection_lipolysis"}


def test_kybella_limits_hold_for_deoxycholic_acid_alone(registry):
    strong = formulation([("deoxycholic_acid", "20 mg/mL", "2 mL")], use=LIPOLYSIS)
    report = check_with(strong, patient(HEALTHY), registry=registry)
    assert "MR-DOSE-DEOXYCHOLIC-CONCENTRATION" in codes(report)


def test_kybella_limits_do_not_hold_for_a_mixture_and_are_not_checked(registry):
    mix = formulation(
        [("phosphatidylcholine", "50 mg/mL", "2 mL"), ("deoxycholic_acid", "20 mg/mL", "2 mL")],
        use=LIPOLYSIS,
    )
    report = check_with(mix, patient(HEALTHY), registry=registry)
    assert "MR-DOSE-DEOXYCHOLIC-CONCENTRATION" not in codes(report)
    assert {"deoxycholic_acid_concentration", "deoxycholic_acid_volume"} <= {
        u.rule for u in report.unchecked
    }
    assert report.verdict is not Verdict.PASS


def test_monthly_sessions_are_information_only(registry):
    month_ago = dt.date(2026, 10, 22)
    report = check_with(
        VITAMINS,
        patient(HEALTHY, previous_session=month_ago),
        registry=registry,
        date=dt.date(2026, 11, 22),
    )
    (finding,) = [f for f in report.findings if f.code == "MR-TECH-INTERVAL-LONG"]
    assert finding.severity is Severity.INFO
    assert report.verdict is Verdict.PASS
