"""Interactions: ingredient–ingredient, same-syringe incompatibility, ingredient–medication.

Two ingredients sharing a syringe with neither an incompatibility rule nor
published compatibility data give an info finding ("compatibility not
established"), never silence.  Ingredient–medication rules need the patient's
medication list; without it they are reported as not checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations

from mesoreg._catalog import matches
from mesoreg._check_contraindication import medication_classes
from mesoreg._knowledge import Evidence, Ingredient, Interaction, Severity
from mesoreg._report import Finding, Unchecked
from mesoreg._subject import Check, Outcome, Subject
from mesoreg.hookspecs import hookimpl

NAME = "interactions"
#: ingredients of these classes (saline, water for injection) are inert diluents
_INERT = "vehicle"


def _second_side(rule: Interaction, other: Ingredient) -> bool:
    return rule.with_any or matches(other, rule.with_ingredients, rule.with_ingredient_classes)


def _pairs(rule: Interaction, a: Ingredient, b: Ingredient) -> bool:
    """True when (a, b) fits the rule's two sides, in either order."""
    first = matches(a, rule.ingredients, rule.ingredient_classes) and _second_side(rule, b)
    return first or (
        matches(b, rule.ingredients, rule.ingredient_classes) and _second_side(rule, a)
    )


def _ingredient_pairs(subject: Subject) -> Iterator[Outcome]:
    together = {
        frozenset((a.ingredient.id, b.ingredient.id))
        for prep in subject.preparations
        for a, b in combinations(prep.doses, 2)
    }
    seen: set[tuple[str, frozenset[str]]] = set()
    for a in subject.ingredients:
        for rule in subject.catalog.interactions_for(a.id):
            if _is_medication_rule(rule):
                continue
            for b in subject.ingredients:
                pair = frozenset((a.id, b.id))
                if b.id == a.id or (rule.id, pair) in seen or not _second_side(rule, b):
                    continue
                seen.add((rule.id, pair))
                same = pair in together
                if rule.same_syringe and not same:
                    continue
                first, second = sorted((a, b), key=lambda i: i.id)
                where = "in the same syringe" if same else "in the same session"
                yield subject.finding(rule, f"{first.name} and {second.name} {where}", [a.id, b.id])


def _compatibility(subject: Subject) -> Iterator[Outcome]:
    catalog = subject.catalog
    seen: set[frozenset[str]] = set()
    for prep in subject.preparations:
        doses = sorted(prep.doses, key=lambda d: d.ingredient.id)
        for first, second in combinations(doses, 2):
            a, b = first.ingredient, second.ingredient
            pair = frozenset((a.id, b.id))
            # actives of one product (lidocaine with epinephrine) come mixed by their maker
            if a.id == b.id or pair in seen or first.product == second.product:
                continue
            seen.add(pair)
            rules = (*catalog.interactions_for(a.id), *catalog.interactions_for(b.id))
            if any(r.same_syringe and _pairs(r, a, b) for r in rules):
                continue
            if _INERT in a.classes or _INERT in b.classes or catalog.is_compatible(a.id, b.id):
                continue
            yield Finding(
                severity=Severity.INFO,
                code="MR-IX-COMPATIBILITY-UNKNOWN",
                rule="compatibility_not_established",
                message=f"Compatibility of {a.name} and {b.name} in one syringe "
                "is not established.",
                advice="Check a compatibility reference or prepare them in separate syringes.",
                evidence=f"{a.name} and {b.name} share '{prep.name}'; no compatibility data "
                "in the catalog",
                evidence_level=Evidence.EXPERT_OPINION,
                components=(a.id, b.id),
            )


def _is_medication_rule(rule: Interaction) -> bool:
    return bool(rule.with_medication_class or rule.with_drugs)


def _takes(subject: Subject, rule: Interaction, med: str, classes: tuple[str, ...]) -> str:
    """Why the medication fits the rule ('' when it does not)."""
    if rule.with_medication_class and rule.with_medication_class in classes:
        return rule.with_medication_class.replace("_", " ")
    drug = subject.catalog.find_drug(med)
    if drug is not None and drug.id in rule.with_drugs:
        return drug.name
    return ""


def _medications(subject: Subject) -> Iterator[Outcome]:
    patient = subject.patient
    if patient is None:
        return
    involved_in: dict[str, list[Ingredient]] = {}
    rules: dict[str, Interaction] = {}
    for ingredient in subject.ingredients:
        for rule in subject.catalog.interactions_for(ingredient.id):
            if _is_medication_rule(rule):
                rules[rule.id] = rule
                involved_in.setdefault(rule.id, []).append(ingredient)
    classes = medication_classes(subject, patient)
    for rule_id in sorted(rules):
        rule, involved = rules[rule_id], involved_in[rule_id]
        if patient.medications is None:
            yield Unchecked(
                NAME, rule.id, "needs the patient's medications ('medications = []' if none)"
            )
            continue
        for med, med_classes in sorted(classes.items()):
            why = _takes(subject, rule, med, med_classes)
            if why:
                names = ", ".join(i.name for i in involved)
                yield subject.finding(rule, f"{names} with {med} ({why})", [i.id for i in involved])


def check_interactions(subject: Subject) -> Iterator[Outcome]:
    """Ingredient pairs, syringe compatibility and, with a patient, medications."""
    yield from _ingredient_pairs(subject)
    yield from _compatibility(subject)
    yield from _medications(subject)


@hookimpl
def mesoreg_checks() -> list[Check]:
    """The built-in interaction check."""
    return [
        Check(
            NAME,
            "ingredient pairs, syringe compatibility and patient medications",
            check_interactions,
        )
    ]
