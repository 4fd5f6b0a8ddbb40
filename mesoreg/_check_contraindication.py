"""Contraindications: patient facts (age, pregnancy, conditions, medications, allergies).

Fail closed: a fact a rule needs that the patient file leaves out, a condition
or a medication the vocabulary does not know, or an allergy that names nothing
known is reported as not checked, so the verdict cannot be pass.
"""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from mesoreg._catalog import matches, normalize_term
from mesoreg._knowledge import Contraindication, Fact
from mesoreg._model import Patient
from mesoreg._report import Finding, Unchecked
from mesoreg._subject import Check, Outcome, Subject
from mesoreg._vocabulary import Sex
from mesoreg.hookspecs import hookimpl

NAME = "contraindications"


def _unchecked(rule: Contraindication | str, reason: str) -> Unchecked:
    return Unchecked(NAME, rule if isinstance(rule, str) else rule.id, reason)


def medication_classes(subject: Subject, patient: Patient) -> dict[str, tuple[str, ...]]:
    """Each medication's name and classes: a known drug's own classes plus any declared ones.

    Declared classes add to a known drug's classes and never remove them; a medication the
    vocabulary does not know and that declares no classes is left out (it is reported as
    not checked).
    """
    catalog = subject.catalog
    result: dict[str, tuple[str, ...]] = {}
    for med in patient.medications or ():
        drug = catalog.find_drug(med.name)
        if drug is None and med.classes is None:
            continue
        declared = {catalog.find_medication_class(c) for c in med.classes or ()}
        known = set(drug.classes) if drug is not None else set()
        classes = known | {c for c in declared if c is not None}
        result[med.name] = tuple(sorted(classes | set(result.get(med.name, ()))))
    return result


def unknown_medications(subject: Subject, patient: Patient) -> Iterator[str]:
    """Names of medications the vocabulary does not know and that declare no classes."""
    for med in patient.medications or ():
        if med.classes is None and subject.catalog.find_drug(med.name) is None:
            yield med.name


def _in_scope(rule: Contraindication, subject: Subject) -> list[str]:
    """The formulation's ingredients the rule concerns ([''] for a rule on every formulation)."""
    if not rule.ingredients and not rule.ingredient_classes:
        return [""]
    return [
        i.id for i in subject.ingredients if matches(i, rule.ingredients, rule.ingredient_classes)
    ]


def _age(rule: Contraindication, subject: Subject, patient: Patient) -> Iterator[Outcome]:
    day = subject.context.date
    age = patient.age_on(day)
    if age is None:
        yield _unchecked(rule, "needs the patient's birth_date (or age)")
        return
    if age < 0:  # a birth date after the session is refused as input (mesoreg._validate)
        yield _unchecked(rule, f"birth_date {patient.birth_date} is after the session date")
        return
    low = rule.age_min if rule.age_min is not None else -1
    high = rule.age_max if rule.age_max is not None else 10**3
    if not low <= age <= high:
        born = f" (born {patient.birth_date})" if patient.birth_date else ""
        bound = f"under {low}" if age < low else f"over {high}"
        yield subject.finding(rule, f"age {age} on {day}{born} is {bound}")


def _flag(rule: Contraindication, subject: Subject, patient: Patient) -> Iterator[Outcome]:
    value = patient.pregnant if rule.fact is Fact.PREGNANT else patient.breastfeeding
    if value is None:
        if patient.sex is Sex.MALE:
            return
        yield _unchecked(rule, f"needs '{rule.fact.value} = true/false' in the patient file")
    elif value:
        yield subject.finding(rule, f"patient is {rule.fact.value}")


def _childbearing(rule: Contraindication, subject: Subject, patient: Patient) -> Iterator[Outcome]:
    """A rule on women who are or may become pregnant: pregnancy counts, and so does potential.

    Only a male patient is out of scope; a female (or unrecorded) patient with no
    ``childbearing_potential`` and no ``pregnant = true`` is not checked.
    """
    if patient.pregnant:
        yield subject.finding(rule, "patient is pregnant")
    elif patient.childbearing_potential:
        yield subject.finding(rule, "patient may become pregnant (childbearing_potential = true)")
    elif patient.childbearing_potential is None and patient.sex is not Sex.MALE:
        yield _unchecked(rule, "needs 'childbearing_potential = true/false' in the patient file")


def _condition(rule: Contraindication, subject: Subject, patient: Patient) -> Iterator[Outcome]:
    if patient.conditions is None:
        yield _unchecked(rule, "needs the patient's conditions ('conditions = []' if none)")
        return
    for name in patient.conditions:
        found = subject.catalog.find_condition(name)
        if found is not None and found.id == rule.value:
            yield subject.finding(rule, f"patient has '{name}' ({found.name})")


def _medication(rule: Contraindication, subject: Subject, patient: Patient) -> Iterator[Outcome]:
    if patient.medications is None:
        yield _unchecked(rule, "needs the patient's medications ('medications = []' if none)")
        return
    classes = medication_classes(subject, patient)
    for med in patient.medications:
        if rule.value not in classes.get(med.name, ()):
            continue
        evidence = f"{med.name} is {rule.value.replace('_', ' ')}"
        drug = subject.catalog.find_drug(med.name)
        if drug is not None and drug.name.casefold() != med.name.casefold():
            evidence = f"{med.name} ({drug.name}) is {rule.value.replace('_', ' ')}"
        if rule.within_days is not None and med.last_dose is not None:
            days = (subject.context.date - med.last_dose).days
            if days < 0:  # refused as input (mesoreg._validate); never silently skipped
                yield _unchecked(
                    rule, f"{med.name}: last_dose {med.last_dose} is after the session date"
                )
                continue
            if days > rule.within_days:
                continue
            evidence += f", last dose {med.last_dose}, {days} days before the session"
        elif rule.within_days is not None:
            evidence += " (no last_dose given: taken as current)"
        yield subject.finding(rule, evidence)


def _allergy(rule: Contraindication, subject: Subject, patient: Patient) -> Iterator[Outcome]:
    if patient.allergies is None:
        yield _unchecked(rule, "needs the patient's allergies ('allergies = []' if none)")
        return
    catalog = subject.catalog
    for allergy in patient.allergies:
        term = normalize_term(allergy)
        named = catalog.find_ingredient(allergy)
        hits = [
            i.id
            for i in subject.ingredients
            if (named is not None and named.id == i.id)
            or term in {normalize_term(x) for x in (*i.classes, *i.allergens)}
        ]
        for hit in hits:
            ingredient = catalog.ingredients[hit]
            yield subject.finding(
                rule,
                f"patient is allergic to '{allergy}'; formulation contains {ingredient.name}",
                [hit],
                message=f"Allergy to {allergy}: {ingredient.name} is in the formulation.",
            )
        if (
            not hits
            and named is None
            and term not in catalog.allergen_terms
            and (catalog.find_drug(allergy) is None)
        ):
            yield _unchecked(
                f"{rule.id}:{allergy}",
                f"allergy '{allergy}' is not a known ingredient, component or class; "
                "cannot tell whether the formulation contains it",
            )


_FACTS = {
    Fact.AGE: _age,
    Fact.PREGNANT: _flag,
    Fact.BREASTFEEDING: _flag,
    Fact.CHILDBEARING_POTENTIAL: _childbearing,
    Fact.CONDITION: _condition,
    Fact.MEDICATION_CLASS: _medication,
    Fact.ALLERGY: _allergy,
}


def check_contraindications(subject: Subject) -> Iterator[Outcome]:
    """Every contraindication rule against the patient's facts."""
    patient = subject.patient
    if patient is None:
        return
    for name in patient.conditions or ():
        if subject.catalog.find_condition(name) is None:
            close = subject.catalog.suggest_condition(name)
            guess = f" (did you mean {', '.join(close)}?)" if close else ""
            yield _unchecked(
                "conditions",
                f"condition '{name}' is not in the vocabulary{guess}; "
                "cannot tell which rules it triggers",
            )
    for name in unknown_medications(subject, patient):
        yield _unchecked(
            "medications",
            f"medication '{name}' is not in the vocabulary; declare "
            'its classes, e.g. classes = ["nsaid"], or [] for none',
        )
    for rule in subject.catalog.contraindications_for(i.id for i in subject.ingredients):
        scope = _in_scope(rule, subject)
        if not scope:
            continue
        for outcome in _FACTS[rule.fact](rule, subject, patient):
            if isinstance(outcome, Finding) and not outcome.components and scope != [""]:
                outcome = attrs.evolve(outcome, components=tuple(scope))
            yield outcome


@hookimpl
def mesoreg_checks() -> list[Check]:
    """The built-in contraindication check."""
    return [
        Check(
            NAME,
            "patient facts against contraindication rules",
            check_contraindications,
            needs_patient=True,
        )
    ]
