"""Contraindications: patient facts (age, pregnancy, conditions, medications, allergies).

Fail closed: a fact a rule needs that the patient file leaves out, a condition
or a medication the vocabulary does not know, or an allergy that names nothing
known is reported as not checked, so the verdict cannot be pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

import attrs

from mesoreg.checks._report import Finding, Unchecked
from mesoreg.checks._subject import Check, Outcome, Subject, concerned
from mesoreg.documents._knowledge import Condition, Contraindication, Fact
from mesoreg.documents._model import Patient
from mesoreg.documents._vocabulary import Sex
from mesoreg.hookspecs import hookimpl
from mesoreg.knowledge._atc import parse_atc
from mesoreg.knowledge._catalog import normalize_term
from mesoreg.knowledge._condition import Relation
from mesoreg.knowledge._icd10 import has_prefix, parse_code, split_code

NAME = "contraindications"


def _unchecked(rule: Contraindication | str, reason: str) -> Unchecked:
    return Unchecked(NAME, rule if isinstance(rule, str) else rule.id, reason)


def medication_classes(subject: Subject, patient: Patient) -> Mapping[str, tuple[str, ...]]:
    """Each medication's name and classes (see :meth:`Catalog.classes_of_medications`).

    Worked out once per subject, for its own patient.
    """
    if patient is subject.patient:
        return subject.medication_classes
    return subject.catalog.classes_of_medications(patient.medications or ())


def unknown_medications(subject: Subject, patient: Patient) -> Iterator[tuple[str, list[str]]]:
    """Medications declaring no classes, each with its components the vocabulary does not know."""
    for med in patient.medications or ():
        if med.classes is not None:
            continue
        catalog = subject.catalog
        unknown = [
            n for n, _ in catalog.find_drugs(med.name) if catalog.classify_medication(n) is None
        ]
        if unknown:
            yield med.name, unknown


def _drug_names(subject: Subject, name: str) -> str:
    """``'Cordarone (Amiodarone)'``: the written name with the catalog's names of its drugs."""
    drugs = [d for _, d in subject.catalog.find_drugs(name) if d is not None]
    shown = [d.name for d in drugs if d.name.casefold() != name.casefold()]
    if not drugs and (code := parse_atc(name)):
        return f"{name} (ATC group of {code})"
    return f"{name} ({', '.join(shown)})" if shown else name


def atc_only_medications(subject: Subject, patient: Patient) -> Iterator[tuple[str, str]]:
    """(name, ATC code) of medications given by a code that is no drug of the catalog.

    Their classes come from the ATC groups alone; a class defined by drug lists (not
    on ATC groups) cannot be told, so unless the file declares classes they are
    reported as partly checked.
    """
    for med in patient.medications or ():
        known = subject.catalog.classify_medication(med.name)
        if med.classes is None and known is not None and known[0] is None:
            yield med.name, known[1]


def _in_scope(rule: Contraindication, subject: Subject) -> list[str]:
    """The formulation's ingredients the rule concerns ([''] for a rule on every formulation)."""
    if not rule.ingredients and not rule.ingredient_classes:
        return [""]
    return concerned(subject, rule.ingredients, rule.ingredient_classes)


def _age(rule: Contraindication, subject: Subject, patient: Patient) -> Iterator[Outcome]:
    day = subject.context.date
    age = patient.age_on(day)
    if age is None:
        yield _unchecked(rule, "needs the patient's birth_date (or age)")
        return
    if age < 0:  # a birth date after the session is refused as input (mesoreg.documents._validate)
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


def patient_conditions(subject: Subject, patient: Patient) -> list[tuple[str, Condition | None]]:
    """Each condition the patient file lists, as (what it says, the condition or None).

    An entry that gives a code beside a name ("ischaemic stroke (I63.9)") is read
    by its code, which other systems send as the identifier; the name beside it
    is display text and decides nothing unless it is a name in the vocabulary:
    then the more specific of the two counts, or both when neither is a kind of
    the other.  A code the vocabulary does not know leaves the entry not
    checked, whatever its name says.
    """
    catalog = subject.catalog
    result: list[tuple[str, Condition | None]] = []
    for entry in patient.conditions or ():
        found = catalog.find_condition(entry)
        parts = split_code(entry) if found is None else None
        if parts is None:
            result.append((entry, found))
            continue
        name, code = parts
        by_code = catalog.find_condition(code)
        by_name = catalog.find_condition(name)
        if by_name is None or by_code is None:
            result += [(code, by_code), *([(name, by_name)] if by_name else [])]
        elif catalog.condition_relation(by_name.id, by_code.id) is Relation.IS:
            result.append((name, by_name))  # the name is the more specific of the two
        elif catalog.condition_relation(by_code.id, by_name.id) is Relation.IS:
            result.append((code, by_code))
        else:
            result += [(code, by_code), (name, by_name)]
    return result


def _lower(name: str) -> str:
    """'Cancer (active or recent)' -> 'cancer (active or recent)'; acronyms kept."""
    return name if name[:2].isupper() else name[:1].lower() + name[1:]


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
    """A finding for each patient condition that is the rule's condition or a kind of it.

    A condition that may amount to it only at a severity or stage the file does
    not state (``may_be`` in the vocabulary), or that is broader than it (the
    kind is not stated), leaves the rule not checked, unless another of the
    patient's conditions already triggers it.
    """
    if patient.conditions is None:
        yield _unchecked(rule, "needs the patient's conditions ('conditions = []' if none)")
        return
    catalog = subject.catalog
    target = catalog.conditions[rule.value]
    open_questions: list[str] = []
    fired = False
    for name, found in patient_conditions(subject, patient):
        if found is None:
            continue
        relation = catalog.condition_relation(found.id, rule.value)
        if relation is Relation.IS:
            fired = True
            kind = "" if found.id == rule.value else f", a kind of {_lower(target.name)}"
            yield subject.finding(rule, f"patient has '{name}' ({found.name}{kind})")
        elif relation is Relation.MAY_BE:
            open_questions.append(
                f"patient has '{name}' ({found.name}); the file does not say whether it is "
                f"{_lower(target.name)} (its kind, severity or stage is "
                f"not stated): review it, and list '{target.id}' if it applies"
            )
    if not fired:
        for reason in open_questions:
            yield _unchecked(rule, reason)


def _medication(rule: Contraindication, subject: Subject, patient: Patient) -> Iterator[Outcome]:
    if patient.medications is None:
        yield _unchecked(rule, "needs the patient's medications ('medications = []' if none)")
        return
    classes = medication_classes(subject, patient)
    for med in patient.medications:
        if rule.value not in classes.get(med.name, ()):
            continue
        evidence = f"{_drug_names(subject, med.name)} is {rule.value.replace('_', ' ')}"
        if rule.within_days is not None and med.last_dose is not None:
            days = (subject.context.date - med.last_dose).days
            if days < 0:  # refused as input (mesoreg.documents._validate); never silently skipped
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


def _allergens(subject: Subject, allergies: Iterable[str]) -> Iterator[str]:
    """Each allergy, with a combination ("lidocaine/epinephrine") read as each of its parts."""
    for allergy in allergies:
        found = subject.catalog.match_ingredient(allergy)
        if found.reason == "combination":
            yield from (p.name for p in found.parts)
        else:
            yield allergy


def _allergy(rule: Contraindication, subject: Subject, patient: Patient) -> Iterator[Outcome]:
    if patient.allergies is None:
        yield _unchecked(rule, "needs the patient's allergies ('allergies = []' if none)")
        return
    catalog = subject.catalog
    for allergy in _allergens(subject, patient.allergies):
        term = normalize_term(allergy)
        named = catalog.find_ingredient(allergy)
        # an allergy to an ingredient is an allergy to it under each of its names: another
        # ingredient that lists it as a component (aminophylline: theophylline) contains it
        terms = {term}
        if named is not None:
            terms |= {normalize_term(n) for n in (named.id, named.name, *named.aliases)}
        hits = [
            i.id
            for i in subject.ingredients
            if (named is not None and named.id == i.id)
            or terms & {normalize_term(x) for x in (*i.classes, *i.allergens)}
        ]
        for hit in hits:
            ingredient = catalog.ingredients[hit]
            yield subject.finding(
                rule,
                f"patient is allergic to '{allergy}'; formulation contains {ingredient.name}",
                [hit],
                message=f"Allergy to {allergy}: {ingredient.name} is in the formulation.",
            )
        if named is not None:
            # the same class as the allergen, another substance: cross-sensitivity is a
            # question the catalog cannot answer, so it is not checked, never passed
            for other in subject.ingredients:
                shared = sorted(set(named.classes) & set(other.classes))
                if other.id != named.id and other.id not in hits and shared:
                    yield _unchecked(
                        f"{rule.id}:{allergy}:{other.id}",
                        f"patient is allergic to {named.name}; {other.name} shares its class "
                        f"({', '.join(c.replace('_', ' ') for c in shared)}): cross-sensitivity "
                        "is not checked",
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


def _unknown_condition(subject: Subject, name: str) -> str:
    """Why a patient condition the vocabulary does not know is not checked."""
    code = parse_code(name)
    if code is not None:
        return (
            f"condition '{name}' (ICD-10 {code}) is not a code of any condition in the "
            "vocabulary; cannot tell which rules it triggers (give the condition's name, "
            "see 'mesoreg catalog conditions')"
        )
    if has_prefix(name):
        return (
            f"condition '{name}' is not a WHO ICD-10 code (a letter, two digits, optionally "
            "a point and one or two digits); cannot tell which rules it triggers"
        )
    close = subject.catalog.suggest_condition(name)
    guess = f" (did you mean {', '.join(close)}?)" if close else ""
    return (
        f"condition '{name}' is not in the vocabulary{guess}; cannot tell which rules it "
        "triggers (see 'mesoreg catalog conditions')"
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
    for name, found in patient_conditions(subject, patient):
        if found is None:
            yield _unchecked("conditions", _unknown_condition(subject, name))
    for name, unknown in unknown_medications(subject, patient):
        what = f"medication '{name}' is not in the vocabulary"
        if unknown != [name]:
            parts = ", ".join(f"'{n}'" for n in unknown)
            which = f"component {parts} is" if len(unknown) == 1 else f"components {parts} are"
            what = f"medication '{name}' is a combination whose {which} not in the vocabulary"
        yield _unchecked(
            "medications",
            f'{what}; declare its classes, e.g. classes = ["nsaid"], or [] for none',
        )
    for name, code in atc_only_medications(subject, patient):
        groups = subject.catalog.atc_classes(code)
        yield _unchecked(
            "medications",
            f"medication '{name}' is ATC {code}, no drug of the vocabulary: classified by its "
            f"ATC groups only ({', '.join(groups) or 'no class'}); classes not defined on ATC "
            'groups cannot be told; declare them, e.g. classes = ["cyp1a2_inhibitor"], '
            "or [] for none",
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
