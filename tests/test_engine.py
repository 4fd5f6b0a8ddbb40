"""Running checks: isolation of failing plugins, regions, determinism, strict mode."""

from __future__ import annotations

import sys
import threading

import attrs
import pytest

import mesoreg
from mesoreg import Check, Finding, RegionValidator, Severity, Unchecked, Verdict, hookimpl
from mesoreg.checks._render import report_to_text
from mesoreg.documents._quantity import parse_quantity
from mesoreg.testing import HEALTHY, check_with, formulation, make_registry, patient

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
    report = check_with(VITAMINS, patient(HEALTHY), plugins=[plugin])
    assert report.verdict is Verdict.NOT_VALIDATED
    assert report.unchecked


def test_failure_is_attributed_and_other_checks_still_run():
    report = check_with(
        formulation([("Kybella", "10 mg/mL", "2 mL")]), patient(HEALTHY), plugins=[CrashingCheck()]
    )
    assert (
        Unchecked("crashes", "*", "check failed (plugin 'CrashingCheck'): ZeroDivisionError: boom")
        in report.unchecked
    )
    assert "MR-TECH-DEOXYCHOLIC-ROUTE" in {f.code for f in report.findings}
    assert report.verdict is Verdict.FAIL  # a definite failure still shows


def test_hook_failure_names_the_plugin():
    registry = make_registry([BrokenHook()])
    report = check_with(VITAMINS, patient(HEALTHY), registry=registry)
    (gap,) = [u for u in report.unchecked if u.check == "plugins"]
    assert "failed in mesoreg_checks: RuntimeError: cannot import my data" in gap.reason


def test_strict_mode_raises(monkeypatch):
    monkeypatch.setenv("MESOREG_STRICT_PLUGINS", "1")
    with pytest.raises(mesoreg.PluginError, match="boom"):
        check_with(VITAMINS, patient(HEALTHY), plugins=[CrashingCheck()])


def test_region_without_validator_is_not_validated(registry):
    report = check_with(VITAMINS, patient(HEALTHY), registry=registry, region="br")
    assert report.region == "BR"
    assert report.verdict is Verdict.NOT_VALIDATED
    assert report.unchecked == (
        Unchecked("regulatory", "BR", "no regulatory validator for region BR is installed"),
    )


def test_region_validator_runs_for_its_region_only():
    fr = check_with(VITAMINS, patient(HEALTHY), plugins=[FrenchRules()], region="FR")
    us = check_with(VITAMINS, patient(HEALTHY), plugins=[FrenchRules()], region="US")
    assert "MR-FR-TEST" in {f.code for f in fr.findings}
    assert any(c.startswith("regulatory:fr-test") for c in fr.checks)
    assert "MR-FR-TEST" not in {f.code for f in us.findings}


def test_results_do_not_depend_on_plugin_order():
    import importlib

    from mesoreg.host._plugins import BUILTIN_PLUGINS
    from mesoreg.host._registry import Registry

    mods = [importlib.import_module(n) for n in BUILTIN_PLUGINS]
    f = formulation(
        [("lidocaine", "2 %", "5 mL"), ("hyaluronidase", "150 [USP'U]/mL", "1 mL")],
        [("procaine", "1 %", "2 mL")],
    )
    p = patient(HEALTHY, medications=[{"name": "Advil"}], conditions=["cold sore"])
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
        "'lidocane'. Did you mean 'lidocaine' (local anaesthetic)? "
        "Run 'mesoreg catalog search lidoc'.",
        "<test formulation>: preparations[0].components[1].ingredient: unknown ingredient "
        "'deoxycolic acid'. Did you mean 'deoxycholic_acid' (lipolytic, bile acid)? "
        "Run 'mesoreg catalog search deoxy'.",
    ]


def test_strength_must_be_a_concentration(registry):
    with pytest.raises(mesoreg.InputError, match="strength: must be a concentration"):
        formulation([("lidocaine", "20 mg", "1 mL")])
    # a model built in code is checked too, before any rule runs
    f = formulation([("lidocaine", "20 mg/mL", "1 mL")])
    comp = attrs.evolve(f.preparations[0].components[0], strength=parse_quantity("20 mg"))
    f = attrs.evolve(f, preparations=(attrs.evolve(f.preparations[0], components=(comp,)),))
    with pytest.raises(mesoreg.InputError) as info:
        check_with(f, None, registry=registry)
    assert str(info.value) == (
        "<test formulation>: preparations[0].components[0].strength: must be a concentration "
        "like '20 mg/mL', '2 %' or '1:100000' (got '20 mg', a mass)"
    )


# -- plugin faults (issue 10, section 4) -------------------------------------------------


class ExitsInCheck:
    @hookimpl
    def mesoreg_checks(self):  # type: ignore[no-untyped-def]
        def run(subject):  # type: ignore[no-untyped-def]
            sys.exit(0)

        return [Check("exits", "calls sys.exit", run)]


class ExitsInHook:
    @hookimpl
    def mesoreg_checks(self):  # type: ignore[no-untyped-def]
        sys.exit(0)


class InterruptsInValidator:
    @hookimpl
    def mesoreg_region_validators(self):  # type: ignore[no-untyped-def]
        def run(subject):  # type: ignore[no-untyped-def]
            raise KeyboardInterrupt

        return [RegionValidator("fr-interrupts", ("FR",), run)]


LIDOCAINE_OVERDOSE = formulation([("lidocaine", "2 %", "20 mL")], per_session=2)


@pytest.mark.parametrize(
    ("plugin", "gap"),
    [
        (ExitsInCheck(), ("exits", "check failed (plugin 'ExitsInCheck'): SystemExit: 0")),
        (
            ExitsInHook(),
            ("plugins", "plugin 'ExitsInHook' failed in mesoreg_checks: SystemExit: 0"),
        ),
        (
            InterruptsInValidator(),
            (
                "regulatory:fr-interrupts",
                "check failed (plugin 'InterruptsInValidator'): KeyboardInterrupt",
            ),
        ),
    ],
    ids=["sys-exit-in-check", "sys-exit-in-hook", "keyboard-interrupt-in-validator"],
)
def test_a_plugin_cannot_end_the_run(plugin, gap):
    report = check_with(LIDOCAINE_OVERDOSE, patient(HEALTHY), plugins=[plugin], region="FR")
    assert gap in {(u.check, u.reason) for u in report.unchecked}
    # the failing built-in finding is still there, and the plugin is named
    assert report.verdict is Verdict.FAIL
    safe = check_with(VITAMINS, patient(HEALTHY), plugins=[plugin], region="FR")
    assert safe.verdict is Verdict.NOT_VALIDATED


class Blocks:
    """A check that waits for an event nobody sets while the check runs."""

    def __init__(self) -> None:
        self.release = threading.Event()

    @hookimpl
    def mesoreg_checks(self):  # type: ignore[no-untyped-def]
        def run(subject):  # type: ignore[no-untyped-def]
            self.release.wait()
            return []

        return [Check("blocks", "never returns while the check runs", run)]


def test_a_plugin_that_never_returns_is_abandoned():
    plugin = Blocks()
    try:
        registry = make_registry([plugin], plugin_timeout=0.01)
        report = check_with(VITAMINS, patient(HEALTHY), registry=registry)
        # only plugin calls have a time limit (the built-ins have none), so whichever of the
        # plugin's calls was cut short, the report names it; the blocked one always is
        assert report.unchecked
        for gap in report.unchecked:
            assert "'Blocks'" in gap.reason
            assert gap.reason.endswith(
                "did not finish within the 0.01 s plugin time limit "
                "(abandoned; raise it with --plugin-timeout)"
            )
        assert report.verdict is Verdict.NOT_VALIDATED
        assert "doses" in report.checks  # the built-in checks ran
    finally:
        plugin.release.set()


class StringSeverity:
    @hookimpl
    def mesoreg_checks(self):  # type: ignore[no-untyped-def]
        def run(subject):  # type: ignore[no-untyped-def]
            yield attrs.evolve(_rule_finding("MR-STRING"), severity="major")

        return [Check("string-severity", "a malformed finding", run)]


def test_a_malformed_finding_is_a_named_plugin_failure():
    report = check_with(VITAMINS, patient(HEALTHY), plugins=[StringSeverity()])
    (gap,) = report.unchecked
    assert gap.reason == (
        "check failed (plugin 'StringSeverity'): TypeError: yielded a malformed record: "
        "Finding.severity: must be Severity (got str 'major')"
    )
    assert report.verdict is Verdict.NOT_VALIDATED
    assert "MR-STRING" not in {f.code for f in report.findings}
    assert report_to_text(report).startswith("NOT VALIDATED")


class MutatesCatalog:
    """A check that tries to drop every contraindication and interaction from the catalog."""

    @hookimpl
    def mesoreg_checks(self):  # type: ignore[no-untyped-def]
        def run(subject):  # type: ignore[no-untyped-def]
            catalog = subject.catalog
            for attempt in (
                lambda: catalog.ingredients.clear(),
                lambda: catalog.limits.pop("lidocaine"),
                lambda: setattr(catalog, "contraindications", ()),
                lambda: subject.session.clear(),
            ):
                try:
                    attempt()
                except (TypeError, AttributeError, attrs.exceptions.FrozenInstanceError):
                    continue
            raise RuntimeError("could not change the catalog")

        # "a-..." sorts before every built-in check, so it runs first
        return [Check("a-mutates", "tries to change the catalog", run)]


def test_the_catalog_checks_see_is_read_only():
    f = formulation([("lidocaine", "2 %", "20 mL")], per_session=2)
    registry = make_registry([MutatesCatalog()])
    report = check_with(f, patient(HEALTHY), registry=registry)
    (gap,) = report.unchecked
    assert gap.reason == (
        "check failed (plugin 'MutatesCatalog'): RuntimeError: could not change the catalog"
    )
    clean = check_with(f, patient(HEALTHY))
    assert report.findings == clean.findings
    assert "lidocaine" in registry.catalog.ingredients
    with pytest.raises(TypeError):
        registry.catalog.ingredients["x"] = registry.catalog.ingredients["lidocaine"]  # type: ignore[index]


def test_a_file_that_cannot_be_read_still_has_its_names_looked_up(tmp_path, registry):
    """A bad unit stops the file becoming a model; the typo beside it is reported too."""
    path = tmp_path / "bad.toml"
    path.write_text(
        'schema_version = 1\nid = "bad"\nversion = 1\ntitle = "bad"\n'
        '[use]\narea = "face"\ntechnique = "nappage"\n'
        '[[preparations]]\nname = "s"\nper_session = 1\n'
        '[[preparations.components]]\ningredient = "lidocane"\nstrength = "1 %"\nvolume = "2"\n'
        'co_ingredients = [{ ingredient = "adrenalin", strength = "1:100000" }]\n'
    )
    with pytest.raises(mesoreg.InputError) as info:
        mesoreg.check(path, registry=registry)
    assert [p.key_path for p in info.value.problems] == [
        "preparations[0].components[0].volume",
        "preparations[0].components[0].ingredient",
    ]
    assert "Did you mean 'lidocaine'" in str(info.value)


# -- plugin checks cannot change what the built-in checks see (issue 10, section 4) ----------


def _clear(subject):  # type: ignore[no-untyped-def]
    """Empty the frozen subject the way attrs cannot stop: object.__setattr__."""
    object.__setattr__(subject, "preparations", ())
    object.__setattr__(subject, "session", {})
    object.__setattr__(subject, "ingredients", ())
    return []


class ClearsSubject:
    """A check named to sort before every built-in one, which empties the subject."""

    @hookimpl
    def mesoreg_checks(self):  # type: ignore[no-untyped-def]
        return [Check("aaa", "empties the subject", _clear)]


class SeesSubject:
    """A second plugin check, sorting after 'aaa', that records what it was given."""

    def __init__(self) -> None:
        self.seen: list[int] = []

    @hookimpl
    def mesoreg_checks(self):  # type: ignore[no-untyped-def]
        def run(subject):  # type: ignore[no-untyped-def]
            self.seen.append(len(subject.preparations))
            return []

        return [Check("aab", "counts the preparations", run)]


class ClearsInValidator:
    @hookimpl
    def mesoreg_region_validators(self):  # type: ignore[no-untyped-def]
        return [RegionValidator("fr-clears", ("FR",), _clear)]


OVERDOSE_60_KG = formulation([("lidocaine", "2 %", "100 mL")])  # 2,000 mg: 33 mg/kg at 60 kg


@pytest.mark.parametrize(
    "plugin", [ClearsSubject(), ClearsInValidator()], ids=["check", "validator"]
)
def test_a_plugin_check_cannot_empty_the_subject_for_the_built_in_checks(plugin):
    report = check_with(
        OVERDOSE_60_KG, patient(HEALTHY, weight="60 kg"), plugins=[plugin], region="FR"
    )
    assert report.verdict is Verdict.FAIL
    assert "MR-DOSE-LIDOCAINE-PER-KG" in {f.code for f in report.findings}


def test_each_plugin_check_gets_its_own_copy_of_the_subject():
    seer = SeesSubject()
    check_with(OVERDOSE_60_KG, patient(HEALTHY, weight="60 kg"), plugins=[ClearsSubject(), seer])
    assert seer.seen == [1]


class ClaimsCore:
    """A check whose findings pretend to come from mesoreg-core's dose check."""

    @hookimpl
    def mesoreg_checks(self):  # type: ignore[no-untyped-def]
        def run(subject):  # type: ignore[no-untyped-def]
            finding = _rule_finding("MR-CLAIM")
            yield attrs.evolve(finding, provider="mesoreg-core 0.1.0", check="doses")

        return [Check("claims", "claims to be mesoreg-core", run)]


def test_a_plugin_finding_is_attributed_to_its_plugin_and_check():
    report = check_with(VITAMINS, patient(HEALTHY), plugins=[ClaimsCore()])
    (finding,) = [f for f in report.findings if f.code == "MR-CLAIM"]
    assert (finding.provider, finding.check) == ("ClaimsCore", "claims")


# -- reports reused when no plugin code takes part ----------------------------------------


class CountingCheck:
    def __init__(self) -> None:
        self.calls = 0

    @hookimpl
    def mesoreg_checks(self):  # type: ignore[no-untyped-def]
        def run(subject):  # type: ignore[no-untyped-def]
            self.calls += 1
            return []

        return [Check("counted", "counts its runs", run, needs_patient=False)]


def test_the_same_models_and_context_give_the_same_report():
    registry = make_registry()
    who = patient()
    first = mesoreg.check(VITAMINS, who, registry=registry)
    assert mesoreg.check(VITAMINS, who, registry=registry) is first
    # another date, region or registry is another report
    other_day = mesoreg.check(VITAMINS, who, registry=registry, date=first.date.replace(year=2020))
    assert other_day is not first and other_day.date.year == 2020
    assert mesoreg.check(VITAMINS, who, registry=registry, region="US") is not first
    assert mesoreg.check(VITAMINS, who, registry=make_registry()) is not first


def test_equal_models_written_differently_are_not_confused():
    # "1 mL" and "1.0 ml" are equal quantities, but a report quotes what was written
    a = formulation([("pyridoxine", "100 mg/mL", "1 mL")])
    b = formulation([("pyridoxine", "100 mg/mL", "1.0 ml")])
    assert a == b
    registry = make_registry()
    ra = mesoreg.check(a, patient(), registry=registry)
    rb = mesoreg.check(b, patient(), registry=registry)
    assert ra is not rb
    assert mesoreg.check(a, patient(), registry=registry) is not ra  # a new patient object


def test_plugin_checks_run_every_time():
    counting = CountingCheck()
    registry = make_registry([counting])
    who = patient()
    reports = [mesoreg.check(VITAMINS, who, registry=registry) for _ in range(3)]
    assert counting.calls == 3
    assert reports[0] is not reports[1]


def test_a_new_plugin_failure_is_in_the_next_report():
    registry = make_registry()
    who = patient()
    first = mesoreg.check(VITAMINS, who, registry=registry)
    from mesoreg.host._plugins import PluginFailure

    registry.failures.append(PluginFailure("late", "mesoreg_formats", "raised OSError: gone"))
    second = mesoreg.check(VITAMINS, who, registry=registry)
    assert second is not first
    assert second.verdict is Verdict.NOT_VALIDATED
    assert any(u.rule == "late" for u in second.unchecked)


def test_no_reuse_with_the_cache_off(monkeypatch):
    monkeypatch.setenv("MESOREG_CACHE", "0")
    registry = make_registry()
    who = patient()
    first = mesoreg.check(VITAMINS, who, registry=registry)
    again = mesoreg.check(VITAMINS, who, registry=registry)
    assert again is not first and again == first


class AddsACheck:
    @hookimpl
    def mesoreg_checks(self):  # type: ignore[no-untyped-def]
        return [Check("plugin_check", "finds nothing", lambda subject: [])]


def test_only_a_check_of_mesoregs_own_code_may_be_replayed(registry):
    """A replayed command prints a check again from the files it read: only a check in
    which no plugin code took part, and no plugin failed, is a function of those alone."""
    from mesoreg.host._engine import replayable

    assert replayable(registry, None)
    assert replayable(registry, "BR")
    assert not replayable(make_registry([AddsACheck()]), None)
    assert replayable(make_registry([FrenchRules()]), "US")  # its validator is not asked
    assert not replayable(make_registry([FrenchRules()]), "FR")
    failing = make_registry([BrokenPack()])
    failing.catalog  # noqa: B018  (the pack hook is called, and fails)
    assert not replayable(failing, None)
