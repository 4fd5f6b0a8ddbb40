"""Data tests on the built-in catalog: consistency, no contradictions, generated docs current."""

from __future__ import annotations

from collections import defaultdict

from conftest import ROOT

from mesoreg.knowledge._catalog import _key
from mesoreg.knowledge._listing import catalog_markdown


def test_docs_catalog_page_is_current(catalog):
    page = (ROOT / "docs" / "catalog.md").read_text(encoding="utf-8")
    assert page == catalog_markdown(catalog), (
        "docs/catalog.md is stale: run 'mesoreg --no-plugins catalog docs > docs/catalog.md'"
    )


def test_every_name_means_one_thing_across_ingredients_and_drugs(catalog):
    owners = defaultdict(set)
    for ingredient in catalog.ingredients.values():
        for name in (ingredient.id, ingredient.name, *ingredient.aliases):
            owners[_key(name)].add(f"ingredient {ingredient.id}")
    for drug in catalog.drugs.values():
        for name in (drug.id, drug.name, *drug.aliases):
            owners[_key(name)].add(f"drug {drug.id}")
    clashes = {name: sorted(who) for name, who in owners.items() if len(who) > 1}
    assert clashes == {}


def test_no_pair_is_both_compatible_and_incompatible(catalog):
    incompatible = {
        frozenset((a, b))
        for rule in catalog.interactions
        if rule.same_syringe
        for a in rule.ingredients
        for b in rule.with_ingredients
    }
    assert not (incompatible & catalog.compatibilities)


def test_same_contraindication_has_one_severity(catalog):
    seen: dict[tuple[object, ...], set[str]] = defaultdict(set)
    for rule in catalog.contraindications:
        key = (
            rule.fact,
            rule.value,
            rule.age_min,
            rule.age_max,
            rule.within_days,
            rule.ingredients,
            rule.ingredient_classes,
        )
        seen[key].add(rule.severity.value)
    assert {k: v for k, v in seen.items() if len(v) > 1} == {}


def test_limits_do_not_disagree(catalog):
    seen: dict[tuple[object, ...], set[str]] = defaultdict(set)
    for group in catalog.limits.values():
        for limit in group:
            key = (limit.ingredient, limit.kind, limit.with_ingredient, tuple(limit.routes))
            bounds = f"{limit.minimum}/{limit.maximum}/{limit.cap}/{limit.count}"
            seen[key].add(bounds)
    # general interval limits come as a minimum and a maximum; nothing else repeats
    disagreeing = {k: v for k, v in seen.items() if len(v) > 1 and k[0]}
    assert disagreeing == {}


def test_every_rule_and_ingredient_states_an_evidence_level_and_a_source(catalog):
    from mesoreg.knowledge._catalog import iter_rules

    for rule in iter_rules(catalog):
        assert rule.sources and rule.evidence
    for ingredient in catalog.ingredients.values():
        assert ingredient.sources
