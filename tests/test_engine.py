"""Running checks: isolation of failing plugins, regions, determinism, strict mode."""

from __future__ import annotations

import pytest

import mesoreg
from mesoreg import Check, Finding, RegionValidator, Severity, Unchecked, Verdict, hookimpl
from mesoreg.testing import check_with, formulation, make_registry, patient

VITAMINS = formulation([("pyridoxine", "100 mg/mL", "1 mL")])


class CrashingCheck:
    @hookimpl
    def mesoreg_checks(self):  # type: ignore[no-untyped-def]
        def run(subject):  # type: ignore[no-untyped-def]
            raise ZeroDivisionError("boom")

        return [Check("crashes", "always raises", run)]


class BrokenHook:
    @hookimpl
    def mesoreg_checks(self):  # type: ignore[no-untyped-def]
        raise RuntimeError("cannot import my data")


class MalformedHook:
    @hookimpl
    def mesoreg_checks(self):  # type: ignore[no-untyped-def]
        return ["not a check"]


class BrokenPack:
    @hookimpl
    def mesoreg_ingredient_packs(self):  # type: ignore[no-untyped-def]
        raise OSError("pack file missing")


def _rule_finding(code: str) -> Finding:
    return Finding(
        severity=Severity.MINOR,
        code=code,
        rule=code.lower(),
        message="m",
        advice="a",
        evidence="e",
        evidence_level=mesoreg.Evidence.LABEL,
    )


class FrenchRules:
    @hookimpl
    def mesoreg_region_validators(self):  # type: ignore[no-untyped-def]
        return [RegionValidator("fr-test", ("FR",), lambda s: [_rule_finding("MR-FR-TEST")])]


@pytest.mark.parametrize(
    "plugin",
    [CrashingCheck(), BrokenHook(), MalformedHook(), BrokenPack()],
    ids=["check-raises", "hook-raises", "hook-malformed", "pack-raises"],
)
def test_a_failing_plugin_never_passes(plugin):
    report = check_with(VITAMINS, patient(), plugins=[plugin])
    assert report.verdict is Verdict.NOT_VALIDATED
    assert report.unchecked


def test_failure_is_attributed_and_other_checks_still_run():
    report = check_with(
        formulation([("Kybella", "10 mg/mL", "2 mL")]), patient(), plugins=[CrashingCheck()]
    )
    assert (
        Unchecked("crashes", "*", "check failed (plugin 'CrashingCheck'): ZeroDivisionError: boom")
        in report.unchecked
    )
    assert "MR-TECH-DEOXYCHOLIC-ROUTE" in {f.code for f in report.findings}
    assert report.verdict is Verdict.FAIL  # a definite failure still shows


def test_hook_failure_names_the_plugin():
    registry = make_registry([BrokenHook()])
    report = check_with(VITAMINS, patient(), registry=registry)
    (gap,) = [u for u in report.unchecked if u.check == "plugins"]
    assert "failed in mesoreg_checks: RuntimeError: cannot import my data" in gap.reason


def test_strict_mode_raises(monkeypatch):
    monkeypatch.setenv("MESOREG_STRICT_PLUGINS", "1")
    with pytest.raises(mesoreg.PluginError, match="boom"):
        check_with(VITAMINS, patient(), plugins=[CrashingCheck()])


def test_region_without_validator_is_not_validated(registry):
    report = check_with(VITAMINS, patient(), registry=registry, region="br")
    assert report.region == "BR"
    assert report.verdict is Verdict.NOT_VALIDATED
    assert report.unchecked == (
        Unchecked("regulatory", "BR", "no regulatory validator for region BR is installed"),
    )


def test_region_validator_runs_for_its_region_only():
    fr = check_with(VITAMINS, patient(), plugins=[FrenchRules()], region="FR")
    us = check_with(VITAMINS, patient(), plugins=[FrenchRules()], region="US")
    assert "MR-FR-TEST" in {f.code for f in fr.findings}
    assert any(c.startswith("regulatory:fr-test") for c in fr.checks)
    assert "MR-FR-TEST" not in {f.code for f in us.findings}


def test_results_do_not_depend_on_plugin_order():
    import importlib

    from mesoreg._plugins import BUILTIN_PLUGINS
    from mesoreg._registry import Registry

    mods = [importlib.import_module(n) for n in BUILTIN_PLUGINS]
    f = formulation(
        [("lidocaine", "2 %", "5 mL"), ("hyaluronidase", "150 [USP'U]/mL", "1 mL")],
        [("procaine", "1 %", "2 mL")],
    )
    p = patient(medications=[{"name": "Advil"}], conditions=["cold sore"])
    forward = check_with(f, p, registry=Registry.from_plugins(mods))
    backward = check_with(f, p, registry=Registry.from_plugins(list(reversed(mods))))
    assert forward == backward
    assert mesoreg.report_to_dict(forward) == mesoreg.report_to_dict(backward)


def test_unknown_ingredients_are_reported_together(registry):
    f = formulation([("lidocane", "1 %", "1 mL"), ("deoxycolic acid", "1 %", "1 mL")])
    with pytest.raises(mesoreg.InputError) as caught:
        check_with(f, None, registry=registry)
    assert str(caught.value).splitlines() == [
        "<test formulation>: preparations[0].components[0].ingredient: unknown ingredient "
        "'lidocane'. Did you mean 'lidocaine'? Run 'mesoreg catalog search lidoc'.",
        "<test formulation>: preparations[0].components[1].ingredient: unknown ingredient "
        "'deoxycolic acid'. Did you mean 'deoxycholic_acid'? Run 'mesoreg catalog search deoxy'.",
    ]


def test_strength_must_be_a_concentration(registry):
    f = formulation([("lidocaine", "20 mg", "1 mL")])
    with pytest.raises(mesoreg.InputError, match="strength: must be a concentration"):
        check_with(f, None, registry=registry)
