"""Contraindications: every seed rule, positive and negative, and fail-closed gaps."""

from __future__ import annotations

import datetime as dt

import pytest

from mesoreg import Verdict
from mesoreg.testing import DEFAULT_DATE, HEALTHY, check_with, formulation, patient

VITAMINS = formulation([("pyridoxine", "100 mg/mL", "1 mL")])
LIDOCAINE = formulation([("lidocaine", "1 %", "1 mL")])


def codes(report):  # type: ignore[no-untyped-def]
    return {f.code for f in report.findings}


def unchecked_rules(report):  # type: ignore[no-untyped-def]
    return {u.rule for u in report.unchecked}


def test_healthy_patient_passes(registry):
    report = check_with(VITAMINS, patient(HEALTHY), registry=registry)
    assert report.verdict is Verdict.PASS
    assert report.unchecked == ()


@pytest.mark.parametrize(
    ("born", "age", "flagged"),
    [
        (dt.date(2008, 11, 23), 17, True),  # turns 18 tomorrow
        (dt.date(2008, 11, 22), 18, False),  # 18th birthday today
        (dt.date(1951, 11, 22), 75, False),  # 75th birthday today
        (dt.date(1950, 11, 23), 75, False),  # last day at 75
        (dt.date(1950, 11, 22), 76, True),  # 76th birthday today
    ],
    ids=["17-day-before-18", "18-on-birthday", "75-on-birthday", "75-last-day", "76-on-birthday"],
)
def test_age_bounds_on_birthdays(registry, born, age, flagged):
    assert patient(HEALTHY, birth_date=born).age_on(DEFAULT_DATE) == age
    report = check_with(VITAMINS, patient(HEALTHY, birth_date=born), registry=registry)
    assert ("MR-CI-AGE" in codes(report)) is flagged


def test_age_17_is_contraindicated_and_76_is_major(registry):
    young = check_with(
        VITAMINS, patient(HEALTHY, birth_date=dt.date(2008, 11, 23)), registry=registry
    )
    old = check_with(
        VITAMINS, patient(HEALTHY, birth_date=dt.date(1950, 11, 22)), registry=registry
    )
    assert [f.severity.value for f in young.findings] == ["contraindicated"]
    assert young.findings[0].evidence == "age 17 on 2026-11-22 (born 2008-11-23) is under 18"
    assert [f.severity.value for f in old.findings] == ["major"]
    assert old.findings[0].evidence == "age 76 on 2026-11-22 (born 1950-11-22) is over 75"
    # both ends of the seed's 18-75 candidacy range fail the default verdict
    assert young.verdict is Verdict.FAIL and old.verdict is Verdict.FAIL


def test_leap_day_birthday_counts_from_march_first(registry):
    born = dt.date(2008, 2, 29)
    assert patient(HEALTHY, birth_date=born).age_on(dt.date(2026, 2, 28)) == 17
    assert patient(HEALTHY, birth_date=born).age_on(dt.date(2026, 3, 1)) == 18


def test_missing_birth_date_is_not_checked(registry):
    report = check_with(VITAMINS, patient(HEALTHY, birth_date=None), registry=registry)
    assert {"age_minimum", "age_maximum"} <= unchecked_rules(report)
    assert report.verdict is Verdict.NOT_VALIDATED


def test_stated_age_is_used_without_birth_date(registry):
    report = check_with(VITAMINS, patient(HEALTHY, birth_date=None, age=16), registry=registry)
    assert "MR-CI-AGE" in codes(report)


def test_pregnancy(registry):
    assert "MR-CI-PREGNANCY" in codes(
        check_with(VITAMINS, patient(HEALTHY, pregnant=True), registry=registry)
    )
    assert "MR-CI-PREGNANCY" not in codes(check_with(VITAMINS, patient(HEALTHY), registry=registry))


def test_unknown_pregnancy_is_not_checked_for_women_but_not_asked_of_men(registry):
    woman = check_with(VITAMINS, patient(HEALTHY, pregnant=None), registry=registry)
    man = check_with(
        VITAMINS, patient(HEALTHY, pregnant=None, breastfeeding=None, sex="male"), registry=registry
    )
    assert "pregnancy" in unchecked_rules(woman)
    assert woman.verdict is Verdict.NOT_VALIDATED
    assert man.verdict is Verdict.PASS


@pytest.mark.parametrize(
    ("condition", "code"),
    [
        ("insulin_dependent_diabetes", "MR-CI-DIABETES-INSULIN"),
        ("type 1 diabetes", "MR-CI-DIABETES-INSULIN"),
        ("severe_heart_disease", "MR-CI-HEART-DISEASE"),
        ("cancer", "MR-CI-CANCER"),
        ("history of stroke", "MR-CI-STROKE"),
        ("cold sore", "MR-CI-HERPES"),
        ("recurrent herpes", "MR-CI-HERPES-HISTORY"),
        ("active skin disease", "MR-CI-SKIN-DISEASE"),
        ("chronic kidney disease", "MR-CI-KIDNEY"),
        ("Cirrhosis", "MR-CI-LIVER"),
        ("cellulitis", "MR-CI-INFECTION-SITE"),
        # kinds of a condition, by name or WHO ICD-10 code (tests/test_conditions.py has more)
        ("haemorrhagic stroke", "MR-CI-STROKE"),
        ("ICD-10:I63.9", "MR-CI-STROKE"),
        ("C50.9", "MR-CI-CANCER"),
        ("hepatitis C", "MR-CI-LIVER"),
        ("nephrotic syndrome", "MR-CI-KIDNEY"),
    ],
)
def test_conditions(registry, condition, code):
    report = check_with(VITAMINS, patient(HEALTHY, conditions=[condition]), registry=registry)
    assert code in codes(report)
    assert report.verdict in (Verdict.FAIL, Verdict.WARN)


def test_unknown_condition_is_not_checked_with_a_suggestion(registry):
    report = check_with(VITAMINS, patient(HEALTHY, conditions=["cirrhosys"]), registry=registry)
    assert report.verdict is Verdict.NOT_VALIDATED
    (gap,) = report.unchecked
    assert gap.reason.startswith("condition 'cirrhosys' is not in the vocabulary")


def test_conditions_left_out_are_not_checked(registry):
    report = check_with(VITAMINS, patient(HEALTHY, conditions=None), registry=registry)
    assert "cancer" in unchecked_rules(report)


def test_ingredient_scoped_rule_only_fires_with_its_ingredient(registry):
    sick = patient(HEALTHY, conditions=["heart block"])
    assert "MR-CI-LIDOCAINE-HEART-BLOCK" in codes(check_with(LIDOCAINE, sick, registry=registry))
    assert "MR-CI-LIDOCAINE-HEART-BLOCK" not in codes(check_with(VITAMINS, sick, registry=registry))


@pytest.mark.parametrize(
    ("medication", "code"),
    [
        ("Eliquis", "MR-CI-ANTICOAGULANT"),
        ("warfarin", "MR-CI-ANTICOAGULANT"),
        ("Plavix", "MR-CI-ANTIPLATELET"),
        ("Cordarone", "MR-CI-ANTIARRHYTHMIC"),
        ("Lantus", "MR-CI-DIABETES-INSULIN"),
    ],
)
def test_medication_classes_by_brand_name(registry, medication, code):
    report = check_with(
        VITAMINS, patient(HEALTHY, medications=[{"name": medication}]), registry=registry
    )
    assert code in codes(report)


def test_brand_name_evidence_names_the_generic(registry):
    report = check_with(
        VITAMINS, patient(HEALTHY, medications=[{"name": "Cordarone"}]), registry=registry
    )
    (finding,) = [f for f in report.findings if f.code == "MR-CI-ANTIARRHYTHMIC"]
    assert finding.evidence == "Cordarone (Amiodarone) is antiarrhythmic"


@pytest.mark.parametrize(
    ("last_dose", "flagged"),
    [
        (DEFAULT_DATE - dt.timedelta(days=3), True),
        (DEFAULT_DATE - dt.timedelta(days=7), True),
        (DEFAULT_DATE - dt.timedelta(days=8), False),
        (None, True),
    ],
    ids=["3-days", "7-days", "8-days", "no-date-means-current"],
)
def test_nsaid_within_seven_days(registry, last_dose, flagged):
    med = {"name": "Advil"} | ({"last_dose": last_dose} if last_dose else {})
    report = check_with(VITAMINS, patient(HEALTHY, medications=[med]), registry=registry)
    assert ("MR-CI-NSAID-7D" in codes(report)) is flagged


def test_unknown_medication_is_not_checked_unless_classes_are_declared(registry):
    unknown = check_with(
        VITAMINS, patient(HEALTHY, medications=[{"name": "metformin"}]), registry=registry
    )
    declared = check_with(
        VITAMINS,
        patient(HEALTHY, medications=[{"name": "metformin", "classes": []}]),
        registry=registry,
    )
    assert unknown.verdict is Verdict.NOT_VALIDATED
    assert declared.verdict is Verdict.PASS


def test_declared_class_triggers_rules(registry):
    med = {"name": "some new anticoagulant", "classes": ["anticoagulant"]}
    report = check_with(VITAMINS, patient(HEALTHY, medications=[med]), registry=registry)
    assert "MR-CI-ANTICOAGULANT" in codes(report)


@pytest.mark.parametrize(
    ("allergy", "formula"),
    [
        ("lidocaine", LIDOCAINE),
        ("Xylocaine", LIDOCAINE),
        ("amide local anaesthetics", LIDOCAINE),
        ("ethylenediamine", formulation([("aminophylline", "25 mg/mL", "1 mL")])),
        (
            "sulphites",
            formulation(
                [
                    {
                        "ingredient": "lidocaine",
                        "strength": "2 %",
                        "volume": "1 mL",
                        "co_ingredients": [{"ingredient": "adrenaline", "strength": "1:100000"}],
                    }
                ]
            ),
        ),
    ],
    ids=["id", "brand", "class", "component", "component-in-co-ingredient"],
)
def test_allergy_through_aliases_components_and_classes(registry, allergy, formula):
    report = check_with(formula, patient(HEALTHY, allergies=[allergy]), registry=registry)
    assert "MR-CI-ALLERGY" in codes(report)
    assert report.verdict is Verdict.FAIL


def test_allergy_to_something_absent_passes(registry):
    report = check_with(VITAMINS, patient(HEALTHY, allergies=["lidocaine"]), registry=registry)
    assert "MR-CI-ALLERGY" not in codes(report)
    assert report.verdict is Verdict.PASS


def test_unknown_allergen_is_not_checked(registry):
    report = check_with(VITAMINS, patient(HEALTHY, allergies=["lidocane"]), registry=registry)
    assert report.verdict is Verdict.NOT_VALIDATED


def test_no_patient_lists_patient_checks_as_not_run(registry):
    report = check_with(VITAMINS, None, registry=registry)
    assert report.verdict is Verdict.PASS
    assert "contraindications" in {n.check for n in report.not_run}


def test_a_last_dose_after_the_session_is_never_skipped(catalog):
    # check() refuses it (tests/test_validate.py); a check given such a subject says so
    from mesoreg import Context
    from mesoreg.checks._check_contraindication import check_contraindications
    from mesoreg.checks._report import Finding
    from mesoreg.checks._subject import resolve

    later = DEFAULT_DATE + dt.timedelta(days=3)
    p = patient(HEALTHY, medications=[{"name": "Advil", "last_dose": later}])
    f = formulation([("Kybella", "10 mg/mL", "2 mL")], use={"route": "subcutaneous"})
    subject = resolve(f, p, Context(DEFAULT_DATE), catalog)
    outcomes = list(check_contraindications(subject))
    about = [o for o in outcomes if "Advil" in getattr(o, "reason", "")]
    assert about, outcomes
    assert all(not isinstance(o, Finding) for o in about)
    assert {o.reason for o in about} == {"Advil: last_dose 2026-11-25 is after the session date"}


def test_a_birth_date_after_the_session_gives_no_negative_age(catalog):
    from mesoreg import Context
    from mesoreg.checks._check_contraindication import check_contraindications
    from mesoreg.checks._subject import resolve

    p = patient(HEALTHY, birth_date=dt.date(2030, 1, 1))
    f = formulation([("Kybella", "10 mg/mL", "2 mL")], use={"route": "subcutaneous"})
    subject = resolve(f, p, Context(DEFAULT_DATE), catalog)
    ages = [o for o in check_contraindications(subject) if "birth_date" in getattr(o, "reason", "")]
    assert ages
    assert {o.reason for o in ages} == {"birth_date 2030-01-01 is after the session date"}


@pytest.mark.parametrize("medication", ["B01AF02", "ATC:B01AF02", "Sintrom", "B01AE06"])
def test_anticoagulant_given_by_atc_code_or_new_brand_is_found(registry, medication):
    report = check_with(
        VITAMINS, patient(HEALTHY, medications=[{"name": medication}]), registry=registry
    )
    assert "MR-CI-ANTICOAGULANT" in codes(report)


def test_atc_code_of_no_known_drug_is_classified_but_not_a_pass(registry):
    report = check_with(
        VITAMINS, patient(HEALTHY, medications=[{"name": "C09AA02"}]), registry=registry
    )
    assert report.verdict is not Verdict.PASS
    assert "medications" in unchecked_rules(report)
    declared = check_with(
        VITAMINS,
        patient(HEALTHY, medications=[{"name": "C09AA02", "classes": []}]),
        registry=registry,
    )
    assert declared.verdict is Verdict.PASS


@pytest.mark.parametrize("allergy", ["theophylline", "Theophylline anhydrous", "THEOPHYLLINE"])
def test_an_allergy_to_a_component_under_any_of_its_names(registry, allergy):
    """Aminophylline is theophylline with ethylenediamine: a theophylline allergy counts."""
    f = formulation([("aminophylline", "25 mg/mL", "1 mL")])
    report = check_with(f, patient(HEALTHY, allergies=[allergy]), registry=registry)
    assert "MR-CI-ALLERGY" in {x.code for x in report.findings}


def test_an_allergy_to_another_member_of_the_class_is_not_checked(registry):
    f = formulation([("mepivacaine", "1 %", "2 mL")])
    report = check_with(f, patient(HEALTHY, allergies=["lidocaine"]), registry=registry)
    (gap,) = [u for u in report.unchecked if u.rule.startswith("allergy:lidocaine")]
    assert gap.reason.startswith("patient is allergic to Lidocaine hydrochloride; Mepivacaine")
    assert "cross-sensitivity is not checked" in gap.reason
    assert report.verdict is not Verdict.PASS
