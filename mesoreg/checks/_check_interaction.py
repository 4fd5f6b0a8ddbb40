"""Interactions: ingredient–ingredient, same-syringe incompatibility, ingredient–medication.

Two ingredients sharing a syringe with neither an incompatibility rule nor
published compatibility data give an info finding ("compatibility not
established"), never silence: one finding per preparation, listing its pairs.
Likewise an ingredient–ingredient rule gives one finding listing every pair it
concerns.  So the number of findings never grows with the square of the
number of components, and the work follows distinct ingredients, not components.

Ingredient–medication rules need the patient's medication list; without it
they are reported as not checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations

from mesoreg.checks._check_contraindication import medication_classes
from mesoreg.checks._report import Finding, Unchecked
from mesoreg.checks._subject import Check, Outcome, Subject
from mesoreg.documents._knowledge import Evidence, Ingredient, Interaction, Severity
from mesoreg.hookspecs import hookimpl
from mesoreg.knowledge._catalog import Catalog, matches

NAME = "interactions"
#: ingredients of these classes (saline, water for injection) are inert diluents
_INERT = "vehicle"
#: pairs named in one finding's evidence; the rest are counted (the components list them all)
MAX_LISTED_PAIRS = 20


def _second_side(rule: Interaction, other: Ingredient) -> bool:
    return rule.with_any or matches(other, rule.with_ingredients, rule.with_ingredient_classes)


def _pairs(rule: Interaction, a: Ingredient, b: Ingredient) -> bool:
    """True when (a, b) fits the rule's two sides, in either order."""
    first = matches(a, rule.ingredients, rule.ingredient_classes) and _second_side(rule, b)
    return first or (
        matches(b, rule.ingredients, rule.ingredient_classes) and _second_side(rule, a)
    )


def _listed(pairs: list[str], total: int | None = None) -> str:
    """Pairs joined with '; ', the first :data:`MAX_LISTED_PAIRS` of them and a count.

    ``total`` is how many pairs there are when ``pairs`` holds only the first ones.
    """
    shown = "; ".join(pairs[:MAX_LISTED_PAIRS])
    more = (len(pairs) if total is None else total) - MAX_LISTED_PAIRS
    return f"{shown}; and {more} more pairs" if more > 0 else shown


def _by_term(subject: Subject) -> tuple[dict[str, Ingredient], dict[str, list[Ingredient]]]:
    """The session's ingredients by id and by class, so a rule finds its partners directly."""
    by_id = {i.id: i for i in subject.ingredients}
    by_class: dict[str, list[Ingredient]] = {}
    for ingredient in subject.ingredients:
        for cls in ingredient.classes:
            by_class.setdefault(cls, []).append(ingredient)
    return by_id, by_class


def _side(
    ids: tuple[str, ...],
    classes: tuple[str, ...],
    by_id: dict[str, Ingredient],
    by_class: dict[str, list[Ingredient]],
) -> dict[str, Ingredient]:
    found = {i: by_id[i] for i in ids if i in by_id}
    for cls in classes:
        found.update((i.id, i) for i in by_class.get(cls, ()))
    return found


def _ingredient_pairs(subject: Subject) -> Iterator[Outcome]:
    """One finding per rule, listing every pair of the session it concerns.

    Rules are found through the catalog's index by ingredient and their partners
    through the session's ingredients by id and class, so the work follows the
    pairs that match, never every pair of components.
    """
    # preparation index sets: two ingredients share a syringe when their sets meet
    where: dict[str, set[int]] = {}
    for index, prep in enumerate(subject.preparations):
        for dose in prep.doses:
            where.setdefault(dose.ingredient.id, set()).add(index)
    by_id, by_class = _by_term(subject)
    rules: dict[str, Interaction] = {}
    for a in subject.ingredients:
        for rule in subject.catalog.interactions_for(a.id):
            if not _is_medication_rule(rule):
                rules[rule.id] = rule
    for rule_id in sorted(rules):
        rule = rules[rule_id]
        firsts = _side(rule.ingredients, rule.ingredient_classes, by_id, by_class)
        seconds = (
            by_id
            if rule.with_any
            else _side(rule.with_ingredients, rule.with_ingredient_classes, by_id, by_class)
        )
        found: dict[tuple[str, str], bool] = {}
        for a in firsts.values():
            for b in seconds.values():
                if a.id == b.id:
                    continue
                first, second = sorted((a, b), key=lambda i: i.id)
                same = not where[a.id].isdisjoint(where[b.id])
                if not rule.same_syringe or same:
                    found[first.id, second.id] = same
        if not found:
            continue
        pairs = [
            f"{by_id[x].name} and {by_id[y].name} "
            + ("in the same syringe" if same else "in the same session")
            for (x, y), same in sorted(found.items())
        ]
        involved = {i for pair in found for i in pair}
        yield subject.finding(rule, _listed(pairs), sorted(involved))


def _compatibility(subject: Subject) -> Iterator[Outcome]:
    """One finding per preparation listing its pairs of ingredients of unknown compatibility.

    Components are first grouped by ingredient (with the products they come in),
    so the pairs looked at are pairs of distinct ingredients, never of components.
    """
    catalog = subject.catalog
    for prep in subject.preparations:
        products: dict[str, set[str]] = {}
        ingredients: dict[str, Ingredient] = {}
        for dose in prep.doses:
            ingredients[dose.ingredient.id] = dose.ingredient
            products.setdefault(dose.ingredient.id, set()).add(dose.product)
        # pairs a same-syringe rule already speaks of: found from the few ingredients that
        # have such rules, so the pair loop below does a set look-up, not a rule scan
        ruled: set[tuple[str, str]] = set()
        for a in ingredients.values():
            for rule in catalog.interactions_for(a.id):
                if rule.same_syringe:
                    ruled.update(
                        (min(a.id, b.id), max(a.id, b.id))
                        for b in ingredients.values()
                        if b.id != a.id and _pairs(rule, a, b)
                    )
        active = sorted(
            (i for i in ingredients.values() if _INERT not in i.classes), key=lambda i: i.id
        )
        count, first, involved = _unknown_pairs(active, products, ruled, catalog)
        if not count:
            continue
        if count == 1:
            ((a, b),) = first
            message = f"Compatibility of {a.name} and {b.name} in one syringe is not established."
            evidence = f"{a.name} and {b.name} share '{prep.name}'"
        else:
            message = (
                f"Compatibility of {count} pairs of ingredients in one syringe is not established."
            )
            shown = [f"{a.name} and {b.name}" for a, b in first]
            listed = _listed(shown, count)
            evidence = f"in '{prep.name}': {listed}"
        yield Finding(
            severity=Severity.INFO,
            code="MR-IX-COMPATIBILITY-UNKNOWN",
            rule="compatibility_not_established",
            message=message,
            advice="Check a compatibility reference or prepare them in separate syringes.",
            evidence=f"{evidence}; no compatibility data in the catalog",
            evidence_level=Evidence.EXPERT_OPINION,
            components=involved,
        )


def _unknown_pairs(
    active: list[Ingredient],
    products: dict[str, set[str]],
    ruled: set[tuple[str, str]],
    catalog: Catalog,
) -> tuple[int, list[tuple[Ingredient, Ingredient]], tuple[str, ...]]:
    """How many pairs of ``active`` (sorted by id) have no compatibility data, the first
    ``MAX_LISTED_PAIRS + 1`` of them in pair order, and the ids of every ingredient in one.

    The pairs that are known (one maker's product, a same-syringe rule, published
    compatibility) are found from indexes, so the work follows the known pairs; the unknown
    ones are counted as all pairs less the known, never each looked at.
    """
    ids = {a.id for a in active}
    known: set[tuple[str, str]] = {p for p in ruled if p[0] in ids and p[1] in ids}
    for a in active:
        known.update(
            (min(a.id, b), max(a.id, b)) for b in catalog.compatible_with(a.id) if b in ids
        )
    # actives of one product (lidocaine with epinephrine) come mixed by their maker
    by_product: dict[str, list[str]] = {}
    for a in active:
        made = products[a.id]
        if len(made) == 1:
            by_product.setdefault(next(iter(made)), []).append(a.id)
    for group in by_product.values():
        known.update((x, y) for x, y in combinations(sorted(group), 2))
    known = {p for p in known if p[0] != p[1]}
    n = len(active)
    count = n * (n - 1) // 2 - len(known)
    first: list[tuple[Ingredient, Ingredient]] = []
    if count:
        for a, b in combinations(active, 2):
            if (a.id, b.id) not in known:
                first.append((a, b))
                if len(first) > MAX_LISTED_PAIRS:
                    break
    partners: dict[str, int] = {}
    for x, y in known:
        partners[x] = partners.get(x, 0) + 1
        partners[y] = partners.get(y, 0) + 1
    involved = tuple(a.id for a in active if partners.get(a.id, 0) < n - 1)
    return count, first, involved


def _is_medication_rule(rule: Interaction) -> bool:
    return bool(rule.with_medication_class or rule.with_drugs)


def _takes(subject: Subject, rule: Interaction, med: str, classes: tuple[str, ...]) -> str:
    """Why the medication fits the rule ('' when it does not)."""
    if rule.with_medication_class and rule.with_medication_class in classes:
        return rule.with_medication_class.replace("_", " ")
    for _, drug in subject.catalog.find_drugs(med):
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
