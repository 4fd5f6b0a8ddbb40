"""Dose limits: concentration, session amount, per-kg with caps, injections, volume."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

from mesoreg import Context, Verdict
from mesoreg.checks._subject import resolve
from mesoreg.testing import HEALTHY, check_with, formulation, patient


def findings(report, code):  # type: ignore[no-untyped-def]
    return [f for f in report.findings if f.code == code]


LIDO = "MR-DOSE-LIDOCAINE-PER-KG"


def test_lidocaine_over_per_kg_only_when_summed_across_syringes(registry):
    one = formulation([("lidocaine", "2 %", "6 mL")])  # 120 mg
    two = formulation([("lidocaine", "2 %", "6 mL")], [("lignocaine", "2 %", "6 mL")])  # 240 mg
    light = patient(HEALTHY, weight="50 kg")  # 4.5 mg/kg -> 225 mg
    assert findings(check_with(one, light, registry=registry), LIDO) == []
    (finding,) = findings(check_with(two, light, registry=registry), LIDO)
    assert finding.evidence == (
        "Lidocaine hydrochloride 240 mg this session = 4.8 mg/kg > 4.5 mg/kg (patient 50 kg)"
    )
    assert finding.severity.value == "major"
    assert [s.id for s in finding.sources] == ["xylocaine_pi"]


def test_repeats_in_a_session_are_counted(registry):
    f = formulation([("lidocaine", "2 %", "6 mL")], per_session=2)  # 240 mg
    report = check_with(f, patient(HEALTHY, weight="50 kg"), registry=registry)
    assert len(findings(report, LIDO)) == 1


def test_absolute_cap_applies_to_heavy_patients(registry):
    f = formulation([("lidocaine", "2 %", "16 mL")])  # 320 mg; 4.5 x 100 kg = 450 mg
    (finding,) = findings(check_with(f, patient(HEALTHY, weight="100 kg"), registry=registry), LIDO)
    assert finding.evidence == (
        "Lidocaine hydrochloride 320 mg this session > 300 mg cap (4.5 mg/kg × 100 kg = 450 mg)"
    )


def test_epinephrine_raises_the_limit_only_when_in_every_syringe(registry):
    with_epi = {
        "ingredient": "lidocaine",
        "strength": "2 %",
        "volume": "15 mL",
        "co_ingredients": [{"ingredient": "epinephrine", "strength": "1:100000"}],
    }
    plain = ("lidocaine", "2 %", "1 mL")
    heavy = patient(
        HEALTHY, weight="80 kg"
    )  # plain cap 300 mg; with epinephrine 7 x 80 = 560 -> 500
    assert findings(check_with(formulation([with_epi]), heavy, registry=registry), LIDO) == []
    mixed = formulation([with_epi], [plain])  # 320 mg, one syringe without epinephrine
    (finding,) = findings(check_with(mixed, heavy, registry=registry), LIDO)
    assert finding.rule == "lidocaine_plain_per_kg"


def test_two_percent_is_twenty_mg_per_ml(registry):
    f = formulation([("lidocaine", "2 %", "5 mL")])
    report = check_with(f, None, registry=registry)
    assert report.verdict is Verdict.PASS
    subject = resolve(f, None, Context(dt.date(2026, 11, 22)), registry.catalog)
    assert subject.session["lidocaine"].amount.value == 100.0
    assert subject.preparations[0].doses[0].concentration.value == 20.0


def test_per_kg_limit_without_weight_is_not_checked(registry):
    f = formulation([("lidocaine", "1 %", "1 mL")])
    report = check_with(f, patient(HEALTHY, weight=None), registry=registry)
    assert report.verdict is Verdict.NOT_VALIDATED
    assert {u.rule for u in report.unchecked} == {"lidocaine_plain_per_kg"}


def test_per_kg_limit_without_patient_is_not_run(registry):
    report = check_with(formulation([("lidocaine", "1 %", "1 mL")]), None, registry=registry)
    assert report.verdict is Verdict.PASS
    assert "lidocaine_plain_per_kg" in {n.rule for n in report.not_run}


def test_iu_amount_is_refused_for_a_mg_limit(registry):
    f = formulation([("procaine", "100 [iU]/mL", "1 mL")])
    report = check_with(f, None, registry=registry)
    assert report.verdict is Verdict.NOT_VALIDATED
    (gap,) = report.unchecked
    assert gap.rule == "procaine_session_amount"
    assert "never convert to mass" in gap.reason


def test_amounts_in_different_units_are_not_added(registry):
    f = formulation([("procaine", "10 mg/mL", "1 mL")], [("procaine", "10 [iU]/mL", "1 mL")])
    report = check_with(f, None, registry=registry)
    (gap,) = report.unchecked
    assert gap.reason.startswith("Procaine hydrochloride: amounts cannot be added")


def test_session_amount_limit(registry):
    over = formulation([("procaine", "2 %", "31 mL")])  # 620 mg
    under = formulation([("procaine", "2 %", "30 mL")])  # 600 mg
    assert findings(check_with(over, None, registry=registry), "MR-DOSE-PROCAINE-SESSION")
    assert not findings(check_with(under, None, registry=registry), "MR-DOSE-PROCAINE-SESSION")


def test_concentration_limit_uses_the_final_mixture(registry):
    neat = formulation([("deoxycholic acid", "20 mg/mL", "2 mL")], use={"route": "subcutaneous"})
    diluted = formulation(
        [("deoxycholic acid", "20 mg/mL", "1 mL"), ("saline", "0.9 %", "1 mL")],
        use={"route": "subcutaneous"},
    )
    code = "MR-DOSE-DEOXYCHOLIC-CONCENTRATION"
    (finding,) = findings(check_with(neat, None, registry=registry), code)
    assert finding.evidence == "Deoxycholic acid 20 mg/mL in 'syringe 1' > 10 mg/mL"
    assert not findings(check_with(diluted, None, registry=registry), code)


def test_injection_count_and_volume(registry):
    f = formulation(
        [("Kybella", "10 mg/mL", "6 mL")],
        per_session=2,
        use={"route": "subcutaneous", "points": 60},
    )
    report = check_with(f, None, registry=registry)
    got = {f.code: f.evidence for f in report.findings}
    assert got["MR-DOSE-DEOXYCHOLIC-INJECTIONS"] == "60 injection points > 50"
    assert got["MR-DOSE-DEOXYCHOLIC-VOLUME"] == (
        "12 mL of preparations with Deoxycholic acid this session > 10 mL"
    )


def test_injection_limit_without_points_is_not_checked(registry):
    f = formulation([("Kybella", "10 mg/mL", "2 mL")], use={"route": "subcutaneous"})
    f = attrs.evolve(f, use=attrs.evolve(f.use, points=None))
    report = check_with(f, None, registry=registry)
    assert "deoxycholic_acid_injections" in {u.rule for u in report.unchecked}


# -- the absolute cap needs no weight -------------------------------------------------------

TWO_GRAMS = [("lidocaine", "2 %", "100 mL")]  # 2,000 mg of lidocaine in one session


def test_cap_is_checked_without_a_patient(registry):
    report = check_with(formulation(TWO_GRAMS), None, registry=registry)
    (finding,) = findings(report, LIDO)
    assert finding.rule == "lidocaine_plain_per_kg"
    assert finding.evidence == (
        "Lidocaine hydrochloride 2000 mg this session > 300 mg cap (no patient given)"
    )
    assert finding.message == (
        "Lidocaine hydrochloride exceeds the maximum total dose of 300 mg per session."
    )
    assert report.verdict is Verdict.FAIL
    assert "lidocaine_plain_per_kg" in {n.rule for n in report.not_run}


def test_cap_is_checked_without_a_weight(registry):
    report = check_with(formulation(TWO_GRAMS), patient(HEALTHY, weight=None), registry=registry)
    (finding,) = findings(report, LIDO)
    assert finding.evidence == (
        "Lidocaine hydrochloride 2000 mg this session > 300 mg cap (no weight given)"
    )
    assert report.verdict is Verdict.FAIL
    assert "lidocaine_plain_per_kg" in {u.rule for u in report.unchecked}


@pytest.mark.parametrize("who", ["no patient", "no weight"])
def test_under_the_cap_without_a_weight_no_finding(registry, who):
    f = formulation([("lidocaine", "2 %", "15 mL")])  # 300 mg: at the cap
    p = None if who == "no patient" else patient(HEALTHY, weight=None)
    assert findings(check_with(f, p, registry=registry), LIDO) == []


def test_with_epinephrine_cap_without_a_weight(registry):
    f = formulation([_lido_epi("1:100000", "30 mL")])  # 600 mg > 500 mg
    (finding,) = findings(check_with(f, None, registry=registry), LIDO)
    assert finding.rule == "lidocaine_epinephrine_per_kg"
    assert finding.evidence == (
        "Lidocaine hydrochloride 600 mg this session > 500 mg cap (no patient given)"
    )


# -- a co-ingredient counts only at an effective strength -----------------------------------


def _lido_epi(epinephrine: str, volume: str = "15 mL") -> dict:
    return {
        "ingredient": "lidocaine",
        "strength": "2 %",
        "volume": volume,
        "co_ingredients": [{"ingredient": "epinephrine", "strength": epinephrine}],
    }


HEAVY = {"weight": "80 kg"}  # plain: 4.5 x 80 = 360 -> cap 300; with epinephrine 560 -> 500


@pytest.mark.parametrize(
    ("epinephrine", "rule"),
    [
        ("1:1000000000000", "lidocaine_plain_per_kg"),  # a token amount unlocks nothing
        ("1:400000", "lidocaine_plain_per_kg"),  # below the lowest labelled strength
        ("0.004 mg/mL", "lidocaine_plain_per_kg"),
        ("10 [iU]/mL", "lidocaine_plain_per_kg"),  # not a mass: cannot be compared, fails closed
        ("1:200000", None),  # lowest labelled strength (5 mcg/mL)
        ("5 mcg/mL", None),
        ("1:100000", None),
        ("1:50000", None),
    ],
)
def test_epinephrine_must_be_at_an_effective_strength(registry, epinephrine, rule):
    f = formulation([_lido_epi(epinephrine, "16 mL")])  # 320 mg: over 300, under 500
    got = findings(check_with(f, patient(HEALTHY, **HEAVY), registry=registry), LIDO)
    assert [x.rule for x in got] == ([rule] if rule else [])


def test_epinephrine_at_zero_is_an_input_error(registry):
    import mesoreg

    with pytest.raises(mesoreg.InputError) as info:
        formulation([_lido_epi("0 mg/mL")])
    assert str(info.value) == (
        "<test formulation>: preparations[0].components[0].co_ingredients[0].strength: "
        "must be more than 0 (got '0 mg/mL'). "
        "Write a concentration like '20 mg/mL', '2 %' or '1:100000'."
    )


def test_epinephrine_diluted_in_the_syringe_below_the_threshold(registry):
    # 1:200,000 drawn 1:1 with saline is 1:400,000 as injected: the plain limit applies
    diluted = formulation([_lido_epi("1:200000", "16 mL"), ("saline", "0.9 %", "16 mL")])
    (finding,) = findings(check_with(diluted, patient(HEALTHY, **HEAVY), registry=registry), LIDO)
    assert finding.rule == "lidocaine_plain_per_kg"
    neat = formulation([_lido_epi("1:100000", "16 mL"), ("saline", "0.9 %", "16 mL")])
    assert findings(check_with(neat, patient(HEALTHY, **HEAVY), registry=registry), LIDO) == []


def test_epinephrine_from_another_component_of_the_syringe_counts(registry):
    f = formulation(
        [("lidocaine", "2 %", "16 mL"), ("epinephrine", "0.01 mg/mL", "16 mL")]
    )  # 5 mcg/mL as injected
    assert findings(check_with(f, patient(HEALTHY, **HEAVY), registry=registry), LIDO) == []


def test_threshold_is_the_catalog_s_with_minimum(catalog):
    from mesoreg.documents._quantity import parse_quantity

    (limit,) = [r for r in catalog.limits_for("lidocaine") if r.with_ingredient]
    assert limit.with_minimum == parse_quantity("1:200000")
    assert "lowest labelled strength" in limit.note


def test_a_co_ingredient_limit_without_a_threshold_never_applies(registry):
    from mesoreg.checks._check_dose import has_effective
    from mesoreg.documents._quantity import parse_quantity

    f = formulation([_lido_epi("1:100000")])
    subject = resolve(f, None, Context(dt.date(2026, 11, 22)), registry.catalog)
    prep = subject.preparations[0]
    assert has_effective(prep, "epinephrine", parse_quantity("1:200000"))
    assert not has_effective(prep, "epinephrine", parse_quantity("1:50000"))
    assert not has_effective(prep, "epinephrine", None)  # a pack built in code without one
    assert not has_effective(prep, "procaine", parse_quantity("1 mg/mL"))


# -- a preparation counts whole; a medicine without a limit is not checked -----------------------


@pytest.mark.parametrize("per_session", [0.01, 0.1, 0.5])
def test_a_partly_used_syringe_counts_whole(registry, per_session):
    """2,000 mg of lidocaine in one syringe is an overdose whatever share is planned."""
    f = formulation([("lidocaine", "2 %", "100 mL")], per_session=per_session)
    report = check_with(f, patient(HEALTHY, weight="60 kg"), registry=registry)
    (finding,) = [x for x in report.findings if x.code == "MR-DOSE-LIDOCAINE-PER-KG"]
    assert "2000 mg in one 'syringe 1' (counted whole" in finding.evidence
    assert report.verdict is Verdict.FAIL


def test_a_medicine_without_a_sourced_dose_limit_is_not_checked(registry):
    report = check_with(
        formulation([("epinephrine", "1 mg/mL", "20 mL")]), patient(HEALTHY), registry=registry
    )
    assert [(u.check, u.rule) for u in report.unchecked] == [("doses", "epinephrine:dose")]
    assert "no sourced dose limit for this vasoactive" in report.unchecked[0].reason
    assert report.verdict is not Verdict.PASS


def test_a_nutrient_without_a_dose_limit_does_not_block_the_verdict(registry):
    report = check_with(
        formulation([("pyridoxine", "50 mg/mL", "1 mL")]), patient(HEALTHY), registry=registry
    )
    assert not [u for u in report.unchecked if u.rule.endswith(":dose")]
