"""Each hook, implemented by a small test plugin and seen to take effect."""

from __future__ import annotations

import pytest

import mesoreg
from mesoreg import Evidence, Pack, Severity, Source, hookimpl
from mesoreg.checks._render import report_to_json
from mesoreg.documents._knowledge import Contraindication, Drug, Fact, Ingredient
from mesoreg.testing import HEALTHY, check_with, formulation, make_registry, patient

SOURCE = Source(id="hook_test_source", title="t", issuer="i", date="2026", kind=Evidence.LABEL)


class Ingredients:
    @hookimpl
    def mesoreg_ingredient_packs(self):  # type: ignore[no-untyped-def]
        thing = Ingredient(
            id="hook_thing",
            name="Hook thing",
            classes=("skin",),
            sources=("hook_test_source",),
            aliases=("HookBrand",),
        )
        return [Pack(name="hook-ingredients", version="1", sources=(SOURCE,), ingredients=(thing,))]


class Rules:
    @hookimpl
    def mesoreg_rule_packs(self):  # type: ignore[no-untyped-def]
        rule = Contraindication(
            id="hook_rule",
            code="MR-HOOK-RULE",
            severity=Severity.MAJOR,
            evidence=Evidence.LABEL,
            sources=("hook_test_source",),
            fact=Fact.CONDITION,
            value="cancer",
            ingredients=("hook_thing",),
            message="m",
            advice="a",
        )
        return [Pack(name="hook-rules", version="1", contraindications=(rule,))]


class Vocabulary:
    @hookimpl
    def mesoreg_medication_vocabularies(self):  # type: ignore[no-untyped-def]
        drug = Drug(
            id="hookarin",
            name="Hookarin",
            classes=("anticoagulant",),
            sources=("hook_test_source",),
            aliases=("Hookix",),
        )
        return [Pack(name="hook-drugs", version="1", sources=(SOURCE,), drugs=(drug,))]


class Shout:
    @hookimpl
    def mesoreg_output_formats(self):  # type: ignore[no-untyped-def]
        return [mesoreg.OutputFormat("shout", lambda r: r.verdict.value.upper())]


class Resolver:
    @hookimpl
    def mesoreg_resolve_ingredient(self, name, catalog):  # type: ignore[no-untyped-def]
        return "lidocaine" if name == "our house anaesthetic" else None


def test_ingredient_and_rule_packs_combine():
    registry = make_registry([Ingredients(), Rules()])
    f = formulation([("HookBrand", "1 %", "1 mL")])
    report = check_with(f, patient(HEALTHY, conditions=["cancer"]), registry=registry)
    assert "MR-HOOK-RULE" in {x.code for x in report.findings}
    (finding,) = [x for x in report.findings if x.code == "MR-HOOK-RULE"]
    assert finding.provider == "hook-rules 1"


def test_medication_vocabulary_feeds_the_contraindications():
    registry = make_registry([Vocabulary()])
    report = check_with(
        formulation([("biotin", "5 mg/mL", "1 mL")]),
        patient(HEALTHY, medications=[{"name": "Hookix"}]),
        registry=registry,
    )
    assert "MR-CI-ANTICOAGULANT" in {x.code for x in report.findings}


def test_output_format_from_a_plugin(capsys):
    registry = make_registry([Shout()])
    assert set(registry.formats) == {"json", "shout", "text"}
    report = check_with(formulation([("biotin", "5 mg/mL", "1 mL")]), None, registry=registry)
    assert registry.formats["shout"].render(report) == "PASS"


def test_resolve_hook_is_a_last_resort():
    registry = make_registry([Resolver()])
    f = formulation([("our house anaesthetic", "1 %", "1 mL")])
    report = check_with(f, None, registry=registry)
    assert "doses" in report.checks
    with pytest.raises(mesoreg.InputError, match="unknown ingredient 'something else'"):
        check_with(formulation([("something else", "1 %", "1 mL")]), None, registry=registry)


def test_a_resolution_is_shown_in_the_report():
    registry = make_registry([Resolver()])
    report = check_with(
        formulation([("our house anaesthetic", "1 %", "1 mL")]), None, registry=registry
    )
    (note,) = [f for f in report.findings if f.code == "MR-PLUGIN-RESOLVED"]
    assert note.severity is Severity.INFO
    assert note.message == (
        "'our house anaesthetic' is not a catalog name; "
        "plugin 'Resolver' resolved it to 'lidocaine'"
    )
    assert note.provider == "Resolver"
    data = mesoreg.report_to_dict(report)
    assert "MR-PLUGIN-RESOLVED" in {f["code"] for f in data["findings"]}


class TypoToSaline:
    @hookimpl
    def mesoreg_resolve_ingredient(self, name, catalog):  # type: ignore[no-untyped-def]
        return "sodium_chloride"


def test_a_resolver_cannot_turn_a_typo_into_another_substance():
    registry = make_registry([TypoToSaline()])
    with pytest.raises(mesoreg.InputError) as caught:
        check_with(formulation([("pyridoxin", "100 mg/mL", "1 mL")]), None, registry=registry)
    assert str(caught.value).splitlines() == [
        "<test formulation>: preparations[0].components[0].ingredient: unknown ingredient "
        "'pyridoxin'. Did you mean 'pyridoxine' (vitamin)? Run 'mesoreg catalog search pyrid'.",
        "<test formulation>: plugin 'TypoToSaline' resolved 'pyridoxin' to 'sodium_chloride', "
        "refused: 'pyridoxin' looks like a misspelling of 'pyridoxine'. "
        "Write the catalog id or an alias instead.",
    ]


class OtherResolver:
    @hookimpl
    def mesoreg_resolve_ingredient(self, name, catalog):  # type: ignore[no-untyped-def]
        return "procaine" if name == "our house anaesthetic" else None


def test_resolvers_that_disagree_are_refused_whatever_their_order():
    f = formulation([("our house anaesthetic", "1 %", "1 mL")])
    for plugins in ([Resolver(), OtherResolver()], [OtherResolver(), Resolver()]):
        with pytest.raises(mesoreg.InputError) as caught:
            check_with(f, None, registry=make_registry(plugins))
        assert str(caught.value).splitlines()[-1] == (
            "<test formulation>: plugin 'OtherResolver, Resolver' resolved "
            "'our house anaesthetic', refused: the plugins disagree (lidocaine, procaine). "
            "Write the catalog id or an alias instead."
        )


class ShadowsJson:
    @hookimpl
    def mesoreg_output_formats(self):  # type: ignore[no-untyped-def]
        return [mesoreg.OutputFormat("json", lambda report: '{"verdict": "pass"}')]


def test_a_built_in_format_cannot_be_replaced():
    registry = make_registry([ShadowsJson()])
    assert registry.formats["json"].render is report_to_json
    report = check_with(formulation([("biotin", "5 mg/mL", "1 mL")]), None, registry=registry)
    assert [u.reason for u in report.unchecked] == [
        "plugin 'ShadowsJson' failed in mesoreg_output_formats: format 'json' is built in and "
        "cannot be replaced; rename yours"
    ]
    assert report.verdict is mesoreg.Verdict.NOT_VALIDATED


def test_a_format_two_plugins_claim_is_used_by_neither():
    class Shout2(Shout):
        pass

    registry = make_registry([Shout(), Shout2()])
    assert "shout" not in registry.formats
    assert sorted(str(f) for f in registry.failures) == [
        "plugin 'Shout' failed in mesoreg_output_formats: format 'shout' is also provided by "
        "Shout2; neither is used",
        "plugin 'Shout2' failed in mesoreg_output_formats: format 'shout' is also provided by "
        "Shout; neither is used",
    ]
