"""Technique and schedule: depth, route and the interval between sessions."""

from __future__ import annotations

import datetime as dt

import pytest

from mesoreg import Verdict
from mesoreg.testing import DEFAULT_DATE, HEALTHY, check_with, formulation, patient

VITAMINS = [("pyridoxine", "100 mg/mL", "1 mL")]


def codes(report):  # type: ignore[no-untyped-def]
    return {f.code for f in report.findings}


@pytest.mark.parametrize(
    ("depth", "flagged"),
    [("0.5 mm", True), ("1 mm", False), ("4 mm", False), ("4.5 mm", True), ("0.3 cm", False)],
)
def test_intradermal_depth_within_one_to_four_mm(registry, depth, flagged):
    report = check_with(formulation(VITAMINS, use={"depth": depth}), None, registry=registry)
    assert ("MR-TECH-DEPTH" in codes(report)) is flagged


def test_depth_rule_does_not_cover_subcutaneous_use(registry):
    f = formulation(VITAMINS, use={"depth": "10 mm", "route": "subcutaneous"})
    assert "MR-TECH-DEPTH" not in codes(check_with(f, None, registry=registry))


def test_missing_depth_is_not_checked(registry):
    import attrs

    f = formulation(VITAMINS)
    f = attrs.evolve(f, use=attrs.evolve(f.use, depth=None))
    report = check_with(f, None, registry=registry)
    assert report.verdict is Verdict.NOT_VALIDATED


def test_ingredient_route_rule(registry):
    f = formulation([("Kybella", "10 mg/mL", "2 mL")], use={"route": "intradermal"})
    report = check_with(f, None, registry=registry)
    assert "MR-TECH-DEOXYCHOLIC-ROUTE" in codes(report)
    assert report.verdict is Verdict.FAIL


@pytest.mark.parametrize(
    ("days", "code"),
    [(5, "MR-TECH-INTERVAL-SHORT"), (7, None), (14, None), (20, "MR-TECH-INTERVAL-LONG")],
)
def test_sessions_seven_to_fourteen_days_apart(registry, days, code):
    previous = DEFAULT_DATE - dt.timedelta(days=days)
    report = check_with(formulation(VITAMINS), None, registry=registry, previous_session=previous)
    found = codes(report) & {"MR-TECH-INTERVAL-SHORT", "MR-TECH-INTERVAL-LONG"}
    assert found == ({code} if code else set())


def test_ingredient_interval_overrides_the_general_one(registry):
    f = formulation([("Kybella", "10 mg/mL", "2 mL")], use={"route": "subcutaneous"})
    three_weeks = check_with(
        f, None, registry=registry, previous_session=DEFAULT_DATE - dt.timedelta(days=21)
    )
    six_weeks = check_with(
        f, None, registry=registry, previous_session=DEFAULT_DATE - dt.timedelta(days=42)
    )
    assert "MR-TECH-DEOXYCHOLIC-INTERVAL" in codes(three_weeks)
    assert "MR-TECH-INTERVAL-LONG" not in codes(six_weeks)
    assert "MR-TECH-DEOXYCHOLIC-INTERVAL" not in codes(six_weeks)


def test_without_a_previous_session_the_interval_is_not_run(registry):
    report = check_with(formulation(VITAMINS), None, registry=registry)
    assert report.verdict is Verdict.PASS
    assert "session_interval_minimum" in {n.rule for n in report.not_run}


def test_previous_session_after_the_session_date_is_an_input_error(registry):
    import mesoreg

    later = DEFAULT_DATE + dt.timedelta(days=4)
    with pytest.raises(mesoreg.InputError) as info:
        check_with(formulation(VITAMINS), None, registry=registry, previous_session=later)
    assert str(info.value) == (
        "--previous-session: 2026-11-26 is after the session date 2026-11-22. "
        "Give the date of the last session before this one."
    )


def test_a_subject_with_a_later_previous_session_is_not_checked_never_negative(catalog):
    # resolve() alone does not look at the dates; the check must still not compute "-4 days"
    from mesoreg import Context
    from mesoreg.checks._check_technique import check_technique
    from mesoreg.checks._subject import resolve

    later = DEFAULT_DATE + dt.timedelta(days=4)
    subject = resolve(formulation(VITAMINS), None, Context(DEFAULT_DATE, None, later), catalog)
    outcomes = [o for o in check_technique(subject) if "interval" in o.rule]
    assert [(type(o).__name__, o.reason) for o in outcomes] == [
        ("Unchecked", "previous session 2026-11-26 is after the session date")
    ] * len(outcomes)
    assert outcomes


@pytest.mark.parametrize("route", ["intraepidermal", "intra-epidermal"])
def test_a_shallower_route_is_held_to_the_deeper_routes_maximum_depth(registry, route):
    f = formulation([("lidocaine", "1 %", "2 mL")], use={"route": route, "depth": "20 mm"})
    report = check_with(f, patient(HEALTHY), registry=registry)
    (finding,) = [x for x in report.findings if x.code == "MR-TECH-DEPTH"]
    assert finding.evidence == "depth 20 mm outside - to 4 mm for this formulation"
    shallow = formulation([("lidocaine", "1 %", "2 mL")], use={"route": route, "depth": "0.5 mm"})
    assert "MR-TECH-DEPTH" not in {x.code for x in check_with(shallow, patient(HEALTHY)).findings}
