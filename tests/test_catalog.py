"""The catalog: the core pack's data, look-ups, and what building a catalog refuses."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import attrs
import pytest

from mesoreg import (
    Catalog,
    Contraindication,
    Drug,
    Evidence,
    Ingredient,
    InputError,
    Pack,
    Severity,
    Source,
    UnknownNameError,
)
from mesoreg.documents._knowledge import Fact
from mesoreg.host._registry import Registry
from mesoreg.knowledge._catalog import _key, build_catalog, iter_rules
from mesoreg.knowledge._pack import load_core_pack


def test_core_pack_loads_without_plugin_failures(registry: Registry) -> None:
    catalog = registry.catalog
    assert registry.failures == []
    assert [name for name, _ in catalog.packs] == ["mesoreg-core"]
    assert len(catalog.ingredients) >= 20
    assert len(catalog.drugs) >= 40


@pytest.mark.parametrize(
    ("name", "ingredient_id"),
    [
        ("lidocaine", "lidocaine"),
        ("LIGNOCAINE", "lidocaine"),
        ("Xylocaine", "lidocaine"),
        ("Kybella", "deoxycholic_acid"),
        ("kybella", "deoxycholic_acid"),
        ("sodium deoxycholate", "deoxycholic_acid"),
        ("vitamin b12", "cyanocobalamin"),
        ("Vitamin   B12", "cyanocobalamin"),
        ("adrenaline", "epinephrine"),
        ("Deoxycholic acid", "deoxycholic_acid"),  # the display name
    ],
)
def test_find_ingredient(catalog: Catalog, name: str, ingredient_id: str) -> None:
    found = catalog.find_ingredient(name)
    assert found is not None
    assert found.id == ingredient_id
    assert catalog.get_ingredient(name) is found


@pytest.mark.parametrize("name", ["lidocain", "lido", "caine", "", "b12"])
def test_look_up_is_exact(catalog: Catalog, name: str) -> None:
    assert catalog.find_ingredient(name) is None


def test_unknown_ingredient_suggests(catalog: Catalog) -> None:
    problem = catalog.unknown_ingredient("lidocane", "preparations[0].components[0].ingredient")
    assert problem.key_path == "preparations[0].components[0].ingredient"
    assert (
        problem.message
        == "unknown ingredient 'lidocane'. Did you mean 'lidocaine' (local anaesthetic)?"
    )
    assert problem.hint == "Run 'mesoreg catalog search lidoc'."


def test_get_unknown_ingredient_raises(catalog: Catalog) -> None:
    with pytest.raises(UnknownNameError) as info:
        catalog.get_ingredient("lidocane", key_path="x")
    assert str(info.value) == (
        "x: unknown ingredient 'lidocane'. Did you mean 'lidocaine' (local anaesthetic)? "
        "Run 'mesoreg catalog search lidoc'."
    )
    assert isinstance(info.value, KeyError)
    assert isinstance(info.value, InputError)


def test_unknown_ingredient_without_a_close_name(catalog: Catalog) -> None:
    problem = catalog.unknown_ingredient("xyzzy")
    assert str(problem) == "unknown ingredient 'xyzzy'. Run 'mesoreg catalog search xyzzy'."


@pytest.mark.parametrize(
    ("brand", "drug_id", "drug_class"),
    [
        ("Cordarone", "amiodarone", "antiarrhythmic"),
        ("CORDARONE", "amiodarone", "antiarrhythmic"),
        ("Eliquis", "apixaban", "anticoagulant"),
        ("apixaban", "apixaban", "anticoagulant"),
    ],
)
def test_find_drug_by_brand(catalog: Catalog, brand: str, drug_id: str, drug_class: str) -> None:
    drug = catalog.find_drug(brand)
    assert drug is not None
    assert drug.id == drug_id
    assert drug_class in drug.classes


def test_search(catalog: Catalog) -> None:
    assert [i.id for i in catalog.search("deoxychol")] == ["deoxycholic_acid"]
    assert "lidocaine" in [i.id for i in catalog.search("LOCAL ANAESTHETIC")]
    assert catalog.search("zzzz") == []


# -- the data -------------------------------------------------------------------

# built at collection time so that every rule is its own test case, named by its id
RULES = list(iter_rules(build_catalog([load_core_pack()])))


def rule_refs(rule: Any) -> Iterator[str]:
    yield from getattr(rule, "ingredients", ())
    yield from getattr(rule, "with_ingredients", ())
    for name in ("ingredient", "with_ingredient"):
        if getattr(rule, name, ""):
            yield getattr(rule, name)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_rule_is_sourced_and_refers_to_known_ids(catalog: Catalog, rule: Any) -> None:
    assert rule.sources, "every rule needs a source"
    assert all(s in catalog.sources for s in rule.sources)
    assert isinstance(rule.evidence, Evidence)
    assert isinstance(rule.severity, Severity)
    assert rule.advice
    assert re.fullmatch(r"MR-[A-Z0-9-]+", rule.code)
    for ingredient_id in rule_refs(rule):
        assert ingredient_id in catalog.ingredients
    classes = {c for i in catalog.ingredients.values() for c in i.classes}
    for cls in (
        *getattr(rule, "ingredient_classes", ()),
        *getattr(rule, "with_ingredient_classes", ()),
    ):
        assert cls in classes
    if isinstance(rule, Contraindication) and rule.fact is Fact.CONDITION:
        assert rule.value in catalog.conditions


def test_iter_rules_covers_every_kind(catalog: Catalog) -> None:
    rules = list(iter_rules(catalog))
    assert len(rules) == (
        len(catalog.contraindications)
        + len(catalog.interactions)
        + sum(len(g) for g in catalog.limits.values())
    )
    assert len({r.id for r in rules}) == len(rules)


def test_every_source_is_traceable(catalog: Catalog) -> None:
    for source in catalog.sources.values():
        assert not source.url or source.url.startswith(("http://", "https://")), source.id
        assert not source.doi or source.doi.startswith("10."), source.id
        assert source.title and source.issuer and source.date, source.id


def cas_is_valid(cas: str) -> bool:
    """CAS check digit: sum of digits times their position from the right, mod 10."""
    match = re.fullmatch(r"(\d{2,7})-(\d{2})-(\d)", cas)
    if match is None:
        return False
    digits = (match[1] + match[2])[::-1]
    return sum((i + 1) * int(d) for i, d in enumerate(digits)) % 10 == int(match[3])


@pytest.mark.parametrize(
    ("cas", "valid"),
    [("137-58-6", True), ("7732-18-5", True), ("137-58-7", False), ("13758-6", False)],
)
def test_cas_check(cas: str, valid: bool) -> None:
    assert cas_is_valid(cas) is valid


def test_every_cas_number_has_a_valid_check_digit(catalog: Catalog) -> None:
    numbers = {i.id: i.identifiers.cas for i in catalog.ingredients.values() if i.identifiers.cas}
    assert numbers  # the data has some
    assert {k: v for k, v in numbers.items() if not cas_is_valid(v)} == {}


@pytest.mark.parametrize("kind", ["ingredients", "drugs", "conditions"])
def test_every_name_resolves_to_exactly_one_record(catalog: Catalog, kind: str) -> None:
    records = getattr(catalog, kind)
    find = {
        "ingredients": catalog.find_ingredient,
        "drugs": catalog.find_drug,
        "conditions": catalog.find_condition,
    }[kind]
    for record in records.values():
        for name in (record.id, record.name, *record.aliases):
            owners = [
                r.id
                for r in records.values()
                if _key(name) in {_key(n) for n in (r.id, r.name, *r.aliases)}
            ]
            assert owners == [record.id], name
            assert find(name) is record


# -- building catalogs ------------------------------------------------------------

SOURCE = Source(id="s1", title="A label", issuer="Someone", date="2020", kind=Evidence.LABEL)


def ingredient(id: str = "thing", name: str = "Thing", **kw: Any) -> Ingredient:
    fields: dict[str, Any] = {"classes": ("x",), "sources": ("s1",), **kw}
    return Ingredient(id=id, name=name, **fields)


def pack(name: str, *ingredients: Ingredient, **kw: Any) -> Pack:
    return Pack(name=name, version="1", sources=(SOURCE,), ingredients=ingredients, **kw)


def build_error(*packs: Pack) -> str:
    with pytest.raises(InputError) as info:
        build_catalog(packs)
    return str(info.value)


def test_same_id_in_two_packs_names_both() -> None:
    message = build_error(
        pack("pack-a", ingredient(name="A")), pack("pack-b", ingredient(name="B"))
    )
    assert message == (
        "pack-b 1: ingredients.thing: duplicate id 'thing': also defined in pack-a 1. "
        "Rename one of them, or set override = true on the one that should win."
    )


def test_override_wins_in_either_order() -> None:
    replacement = ingredient(name="Better thing", aliases=("Thing",), override=True)
    for packs in (
        [pack("pack-a", ingredient()), pack("pack-b", replacement)],
        [pack("pack-b", replacement), pack("pack-a", ingredient())],
        [pack("pack-a", replacement), pack("pack-b", ingredient())],
    ):
        assert build_catalog(packs).ingredients["thing"].name == "Better thing"


def test_two_overrides_clash() -> None:
    replacement = ingredient(override=True)
    message = build_error(pack("pack-a", replacement), pack("pack-b", replacement))
    assert "duplicate id 'thing': both override it pack-a 1." in message


def test_identical_record_in_two_packs_is_still_a_duplicate() -> None:
    message = build_error(pack("pack-a", ingredient()), pack("pack-b", ingredient()))
    assert "duplicate id 'thing': also defined in pack-a 1." in message


def test_identical_source_in_two_packs_is_allowed() -> None:
    catalog = build_catalog([pack("pack-a", ingredient()), pack("pack-b")])
    assert catalog.sources["s1"] == SOURCE


def test_alias_naming_two_ingredients() -> None:
    message = build_error(
        pack("pack-a", ingredient(aliases=("shared",))),
        pack("pack-b", ingredient(id="other", name="Other", aliases=("Shared",))),
    )
    assert message == (
        "pack-b 1: ingredient.other: name 'Shared' also names ingredient 'thing' (from pack-a 1). "
        "Remove the alias from one of them."
    )


def test_unknown_source() -> None:
    message = build_error(pack("pack-a", ingredient(sources=("nowhere",))))
    assert message == (
        "pack-a 1: ingredients.thing: unknown source 'nowhere'. Define it or fix the spelling."
    )


def test_rule_with_unknown_source_and_ingredient() -> None:
    rule = Contraindication(
        id="r1",
        code="MR-CI-TEST",
        severity=Severity.MAJOR,
        evidence=Evidence.LABEL,
        sources=("missing_source",),
        fact=Fact.PREGNANT,
        message="m",
        advice="a",
        ingredients=("nothing",),
    )
    lines = build_error(pack("pack-a", ingredient(), contraindications=(rule,))).splitlines()
    assert sorted(lines) == [
        "pack-a 1: contraindications.r1: unknown ingredient 'nothing'. "
        "Define it or fix the spelling.",
        "pack-a 1: contraindications.r1: unknown source 'missing_source'. "
        "Define it or fix the spelling.",
    ]


def test_record_without_source() -> None:
    message = build_error(pack("pack-a", ingredient(sources=())))
    assert message == (
        "pack-a 1: ingredients.thing: has no source. Every fact needs a public source."
    )


def test_order_of_packs_does_not_matter() -> None:
    drug = Drug(id="d1", name="D", classes=("c",), sources=("s1",), aliases=("Brand",))
    a = pack("pack-a", ingredient(), ingredient(id="b", name="B", aliases=("bee",)))
    z = pack("pack-z", ingredient(id="y", name="Y"), drugs=(drug,))
    one, two = build_catalog([a, z]), build_catalog([z, a])
    assert one == two
    assert one.packs == two.packs == (("pack-a", "1"), ("pack-z", "1"))
    assert list(one.ingredients) == list(two.ingredients) == ["b", "thing", "y"]
    assert {i.id: i.origin for i in one.ingredients.values()} == {
        i.id: i.origin for i in two.ingredients.values()
    }


def test_order_of_packs_does_not_change_errors() -> None:
    a = pack("pack-a", ingredient(name="A"), ingredient(id="q", name="Q", sources=("nope",)))
    b = pack("pack-b", ingredient(name="B"))
    assert build_error(a, b) == build_error(b, a)


def test_core_pack_in_any_order_with_a_plugin_pack(catalog: Catalog) -> None:
    core = load_core_pack()
    extra = Pack(
        name="aaa-plugin",
        version="1",
        ingredients=(attrs.evolve(ingredient(id="zz_new", name="Zz"), sources=("xylocaine_pi",)),),
    )
    one, two = build_catalog([core, extra]), build_catalog([extra, core])
    assert one == two
    assert one.find_ingredient("zz_new") is not None
    assert set(one.ingredients) - set(catalog.ingredients) == {"zz_new"}


def test_the_catalog_is_read_only(catalog: Catalog) -> None:
    lidocaine = catalog.ingredients["lidocaine"]
    for mapping in (catalog.ingredients, catalog.drugs, catalog.sources, catalog.limits):
        with pytest.raises(TypeError):
            mapping["lidocaine"] = lidocaine  # type: ignore[index]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        catalog.contraindications = ()  # type: ignore[misc]
    assert isinstance(catalog.contraindications, tuple)
    assert isinstance(catalog.compatibilities, frozenset)


def test_the_core_pack_is_parsed_once_per_content(monkeypatch, tmp_path):
    import importlib.resources
    import shutil

    from mesoreg.knowledge import _pack

    first = _pack.load_core_pack()
    assert _pack.load_core_pack() is first  # same files: the parsed pack is reused
    monkeypatch.setenv("MESOREG_CACHE", "0")
    assert _pack.load_core_pack() is not first  # the cache can be turned off
    monkeypatch.delenv("MESOREG_CACHE")
    # a changed file is read again: the cache is keyed by the files' contents
    copy = tmp_path / "knowledge"
    shutil.copytree(importlib.resources.files("mesoreg.knowledge") / "data", copy / "data")
    vehicles = copy / "data" / "vehicles.toml"
    text = vehicles.read_text(encoding="utf-8")
    vehicles.write_text(text.replace('name = "Sodium chloride', 'name = "Saline', 1), "utf-8")
    monkeypatch.setattr(importlib.resources, "files", lambda _package: copy)
    changed = _pack.load_core_pack()
    assert changed is not first
    assert {i.name for i in changed.ingredients} != {i.name for i in first.ingredients}


def test_another_mesoreg_version_reads_the_core_pack_again(monkeypatch):
    from mesoreg.knowledge import _pack

    first = _pack.load_core_pack()
    monkeypatch.setattr(_pack, "__version__", "99.0.0")
    again = _pack.load_core_pack()
    assert again is not first
    assert again.version == "99.0.0"
