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


def _pairs(rule: Interaction, a: Ingredient, b: Ingredient) -> bool:
    """True when (a, b) fits the rule's two sides, in either order."""

    def side1(x: Ingredient) -> bool:
        return matches(x, rule.ingredients, rule.ingredient_classes)

    def side2(x: Ingredient) -> bool:
        return rule.with_any or matches(x, rule.with_ingredients, rule.with_ingredient_classes)

    return (side1(a) and side2(b)) or (side1(b) and side2(a))


def _ingredient_pairs(subject: Subject) -> Iterator[Outcome]:
    together = {
        frozenset((a.ingredient.id, b.ingredient.id))
        for prep in subject.preparations
        for a, b in combinations(prep.doses, 2)
    }
    rules = [r for r in subject.catalog.interactions if not _is_medication_rule(r)]
    for a, b in combinations(subject.ingredients, 2):
        for rule in rules:
            if not _pairs(rule, a, b):
                continue
            same = frozenset((a.id, b.id)) in together
            if rule.same_syringe and not same:
                continue
            where = "in the same syringe" if same else "in the same session"
            yield subject.finding(rule, f"{a.name} and {b.name} {where}", [a.id, b.id])


def _compatibility(subject: Subject) -> Iterator[Outcome]:
    catalog = subject.catalog
    syringe_rules = [r for r in catalog.interactions if r.same_syringe]
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
            if any(_pairs(r, a, b) for r in syringe_rules):
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
    rules = [r for r in subject.catalog.interactions if _is_medication_rule(r)]
    patient = subject.patient
    if patient is None:
        return
    for rule in rules:
        involved = [
            i for i in subject.ingredients if matches(i, rule.ingredients, rule.ingredient_classes)
        ]
        if not involved:
            continue
        if patient.medications is None:
            yield Unchecked(
                NAME, rule.id, "needs the patient's medications ('medications = []' if none)"
            )
            continue
        classes = medication_classes(subject, patient) or {}
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
