"""What checks look at: a formulation resolved against the catalog, with its amounts.

:func:`resolve` turns ingredient names into catalog ingredients (every unknown
name reported at once, with suggestions) and computes, for each preparation,
the amount and final concentration of each ingredient and, for the session,
the amount of each ingredient summed over every preparation and every repeat.
Amounts in different dimensions (mg and IU) are never added: the session
amount is then unknown and the limits that need it are reported as not checked.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import attrs

from mesoreg._errors import InputError, Problem, UnitError
from mesoreg.checks._report import Finding, Unchecked
from mesoreg.documents._field import doc
from mesoreg.documents._knowledge import (
    Contraindication,
    Ingredient,
    Interaction,
    Limit,
    Regulation,
)
from mesoreg.documents._model import Context, Formulation, Patient
from mesoreg.documents._quantity import Dimension, Quantity
from mesoreg.documents._validate import problems_in
from mesoreg.documents._vocabulary import Purpose, Route, Technique, did_you_mean
from mesoreg.knowledge._catalog import Catalog

_VOLUME = Dimension("volume")


@attrs.frozen
class Dose:
    """One component of a preparation, resolved: amount drawn and concentration in the mix."""

    ingredient: Ingredient
    amount: Quantity
    concentration: Quantity
    key_path: str

    @property
    def product(self) -> str:
        """Key path of the component this dose comes from (co-ingredients share it)."""
        return self.key_path.split(".co_ingredients")[0]


@attrs.frozen
class ResolvedPreparation:
    """A preparation with its doses and total volume."""

    name: str
    per_session: float
    volume: Quantity
    doses: tuple[Dose, ...]

    #: the ids of the ingredients it holds
    ids: frozenset[str] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "ids", frozenset(d.ingredient.id for d in self.doses))

    def has(self, ingredient_id: str) -> bool:
        """True when this preparation holds the ingredient."""
        return ingredient_id in self.ids


@attrs.frozen
class SessionAmount:
    """An ingredient's total for one session; ``amount`` is None when units cannot be added."""

    ingredient: Ingredient
    amount: Quantity | None
    problem: str = ""


@attrs.frozen
class Subject:
    """Everything a check may look at; checks must not change it."""

    formulation: Formulation
    patient: Patient | None
    context: Context
    catalog: Catalog
    preparations: tuple[ResolvedPreparation, ...]
    #: read-only: every check sees the same subject
    session: Mapping[str, SessionAmount]
    #: every distinct ingredient, in id order
    ingredients: tuple[Ingredient, ...] = attrs.field(init=False)
    #: the patient's medications and their classes, worked out once (read-only)
    medication_classes: Mapping[str, tuple[str, ...]] = attrs.field(init=False, repr=False)
    #: ingredient id -> each preparation holding it, with its dose there (read-only)
    doses: Mapping[str, tuple[tuple[ResolvedPreparation, Dose], ...]] = attrs.field(
        init=False, repr=False
    )
    #: ingredient class -> the formulation's ingredients of that class, in id order
    by_class: Mapping[str, tuple[Ingredient, ...]] = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        ingredients = tuple(s.ingredient for s in self.session.values())
        object.__setattr__(self, "ingredients", ingredients)
        doses: dict[str, list[tuple[ResolvedPreparation, Dose]]] = {}
        for prep in self.preparations:
            for dose in prep.doses:
                doses.setdefault(dose.ingredient.id, []).append((prep, dose))
        frozen = {k: tuple(v) for k, v in doses.items()}
        object.__setattr__(self, "doses", MappingProxyType(frozen))
        by_class: dict[str, list[Ingredient]] = {}
        for ingredient in ingredients:
            for cls in ingredient.classes:
                by_class.setdefault(cls, []).append(ingredient)
        object.__setattr__(
            self, "by_class", MappingProxyType({k: tuple(v) for k, v in by_class.items()})
        )
        meds = self.patient.medications or () if self.patient is not None else ()
        classes = MappingProxyType(self.catalog.classes_of_medications(meds))
        object.__setattr__(self, "medication_classes", classes)

    def detached(self) -> Subject:
        """A deep copy that shares only the catalog: what a plugin's check is given.

        Frozen records can still be changed with ``object.__setattr__``; a
        plugin check that does so changes its own copy, never what the other
        checks see.
        """
        memo: dict[int, Any] = {id(self.catalog): self.catalog}
        return Subject(
            formulation=copy.deepcopy(self.formulation, memo),
            patient=copy.deepcopy(self.patient, memo),
            context=copy.deepcopy(self.context, memo),
            catalog=self.catalog,
            preparations=copy.deepcopy(self.preparations, memo),
            session=MappingProxyType(copy.deepcopy(dict(self.session), memo)),
        )

    @property
    def previous_session(self) -> dt.date | None:
        """Date of the previous session from the context or the patient file, or None."""
        if self.context.previous_session is not None:
            return self.context.previous_session
        return self.patient.previous_session if self.patient else None

    @property
    def is_injection_lipolysis(self) -> bool:
        """True when the formulation is injection lipolysis, whatever use.purpose says.

        Injection lipolysis is the injection of a fat-dissolving (``lipolytic``) substance
        into subcutaneous fat (Network Lipolysis, Hasengschwandtner 2005; the US FDA's
        2010 letters on 'lipodissolve'): a formulation given with the technique
        ``injection_lipolysis``, or one holding an ingredient of class ``lipolytic``
        injected subcutaneously.  Regional rules on fat lysis use it, so a missing or
        different purpose cannot take a lipolysis mixture out of their scope.
        """
        use = self.formulation.use
        if use.technique is Technique.INJECTION_LIPOLYSIS:
            return True
        return use.route is Route.SUBCUTANEOUS and any(
            "lipolytic" in i.classes for i in self.ingredients
        )

    @property
    def purposes(self) -> frozenset[Purpose]:
        """The purposes the formulation serves: use.purpose, plus fat reduction for lipolysis."""
        found = {self.formulation.use.purpose} - {None}
        if self.is_injection_lipolysis:
            found.add(Purpose.FAT_REDUCTION)
        return frozenset(p for p in found if p is not None)

    @property
    def techniques(self) -> frozenset[Technique]:
        """The techniques the formulation counts as: use.technique, plus injection lipolysis."""
        found = {self.formulation.use.technique}
        if self.is_injection_lipolysis:
            found.add(Technique.INJECTION_LIPOLYSIS)
        return frozenset(found)

    def finding(
        self,
        rule: Contraindication | Interaction | Limit | Regulation,
        evidence: str,
        components: Iterable[str] = (),
        message: str = "",
    ) -> Finding:
        """A finding for ``rule`` with its sources and the computed evidence."""
        return Finding(
            severity=rule.severity,
            code=rule.code,
            rule=rule.id,
            message=message or getattr(rule, "message", ""),
            advice=rule.advice,
            evidence=evidence,
            evidence_level=rule.evidence,
            components=tuple(sorted(set(components))),
            sources=self.catalog.cite(rule.sources),
            note=rule.note,
            provider=rule.origin.split(" (")[0],
        )


#: what a check returns: findings, and what it could not check
Outcome = Finding | Unchecked


@attrs.frozen
class Check:
    """A named check; built-in and plugin checks are registered through ``mesoreg_checks``."""

    name: str = attrs.field(
        metadata=doc("Unique name of the check, e.g. 'three-max'; findings are filed under it."),
    )
    description: str = attrs.field(
        metadata=doc("One line on what it checks, shown by 'mesoreg plugins list'."),
    )
    run: Callable[[Subject], Iterable[Outcome]] = attrs.field(
        metadata=doc("run(subject) yields Finding and Unchecked records; raising fails closed."),
    )
    needs_patient: bool = attrs.field(
        default=False,
        metadata=doc("true when it reads the patient: without one it is listed as not run."),
    )


#: a last resort for names the catalog does not know (the resolve hook); None = unknown
Fallback = Callable[[str], Ingredient | None]


def _find(catalog: Catalog, name: str, fallback: Fallback | None) -> Ingredient | None:
    """The catalog's answer; plugins are asked only about names it does not know at all.

    A name the catalog refuses (ambiguous, with a strength, a combination, a
    qualifier it does not understand) stays refused: no plugin may guess it.
    """
    found = catalog.match_ingredient(name)
    if found.id is not None:
        return catalog.ingredients[found.id]
    if found.reason == "unknown" and fallback is not None:
        return fallback(name)
    return None


def _resolve_preparation(
    catalog: Catalog,
    formulation: Formulation,
    index: int,
    problems: list[Problem],
    fallback: Fallback | None = None,
) -> ResolvedPreparation | None:
    """One preparation's doses; its numbers have been validated (mesoreg.documents._validate)."""
    prep = formulation.preparations[index]
    base = f"preparations[{index}]"
    if not prep.components:
        problems.append(Problem(f"{base}.components", "a preparation needs at least one component"))
        return None
    found: list[tuple[Ingredient, Quantity, Quantity, str]] = []
    for j, comp in enumerate(prep.components):
        key = f"{base}.components[{j}]"
        actives = [(comp.ingredient, comp.strength, key)] + [
            (co.ingredient, co.strength, f"{key}.co_ingredients[{k}]")
            for k, co in enumerate(comp.co_ingredients)
        ]
        for name, strength, where in actives:
            ingredient = _find(catalog, name, fallback)
            if ingredient is None:
                problems.append(catalog.unknown_ingredient(name, f"{where}.ingredient"))
            else:
                found.append((ingredient, strength, comp.volume, where))
    if problems:  # this preparation's, or an earlier one's, or a bad number: compute nothing
        return None
    total = Quantity(0.0, _VOLUME)
    for comp in prep.components:
        total = total + comp.volume
    resolved = []
    for ingredient, strength, volume, where in found:
        amount = strength * volume
        concentration = Quantity(
            amount.value / total.value, Dimension(amount.dimension.numerator, "volume")
        )
        resolved.append(Dose(ingredient, amount, concentration, where))
    resolved = _merged(resolved, problems)
    for dose in resolved:
        # finite inputs can still overflow (1e308 mL); a NaN or infinite amount compares false
        values = (total.value, dose.amount.value, dose.concentration.value)
        if not all(math.isfinite(x) for x in values):
            problems.append(
                Problem(
                    dose.key_path,
                    "its amount or concentration is too large to compute with",
                    "Check the strengths and volumes.",
                )
            )
    if problems:
        return None
    return ResolvedPreparation(
        name=prep.name, per_session=prep.per_session, volume=total, doses=tuple(resolved)
    )


def _merged(doses: list[Dose], problems: list[Problem]) -> list[Dose]:
    """One dose per ingredient in a preparation: amounts and concentrations summed.

    The same ingredient drawn twice (two components, or a component and a
    co-ingredient, under any of its names) is one concentration in the syringe;
    every limit reads the sum, never a part.  Parts that cannot be added (mg and
    [iU]) are an input error: there is no amount to check.
    """
    merged: dict[str, Dose] = {}
    for dose in doses:
        first = merged.get(dose.ingredient.id)
        if first is None:
            merged[dose.ingredient.id] = dose
            continue
        try:
            merged[dose.ingredient.id] = attrs.evolve(
                first,
                amount=first.amount + dose.amount,
                concentration=first.concentration + dose.concentration,
            )
        except UnitError as exc:
            problems.append(
                Problem(
                    dose.key_path,
                    f"{dose.ingredient.name} is also at {first.key_path} in units that cannot "
                    f"be added ({exc})",
                    "Give every part of one ingredient in the same kind of unit.",
                )
            )
    return list(merged.values())


def _session_amounts(preparations: Sequence[ResolvedPreparation]) -> dict[str, SessionAmount]:
    totals: dict[str, SessionAmount] = {}
    for prep in preparations:
        for dose in prep.doses:
            amount = dose.amount * prep.per_session
            known = totals.get(dose.ingredient.id)
            if known is None:
                totals[dose.ingredient.id] = SessionAmount(dose.ingredient, amount)
            elif known.amount is not None:
                try:
                    totals[dose.ingredient.id] = attrs.evolve(known, amount=known.amount + amount)
                except UnitError as exc:
                    totals[dose.ingredient.id] = SessionAmount(dose.ingredient, None, str(exc))
    return dict(sorted(totals.items()))


def resolve(
    formulation: Formulation,
    patient: Patient | None,
    context: Context,
    catalog: Catalog,
    fallback: Fallback | None = None,
) -> Subject:
    """Resolve names and compute amounts; :class:`InputError` lists every problem at once.

    The formulation's numbers are validated first (:func:`mesoreg.documents._validate.problems_in`),
    as it may have been built in code rather than read from a file.
    """
    problems = problems_in(formulation)
    if not formulation.preparations:
        problems.append(Problem("preparations", "a formulation needs at least one preparation"))
    resolved = [
        _resolve_preparation(catalog, formulation, i, problems, fallback)
        for i in range(len(formulation.preparations))
    ]
    if patient is not None:
        problems += _patient_vocabulary_problems(patient, catalog)
    if problems:
        raise InputError(problems, path=formulation.origin)
    preps = tuple(p for p in resolved if p is not None)
    session = MappingProxyType(_session_amounts(preps))
    return Subject(formulation, patient, context, catalog, preps, session)


def _patient_vocabulary_problems(patient: Patient, catalog: Catalog) -> list[Problem]:
    """Declared medication classes must be terms of the vocabulary: a misspelt class would
    otherwise silently match no rule."""
    problems = []
    for i, med in enumerate(patient.medications or ()):
        for j, name in enumerate(med.classes or ()):
            if catalog.find_medication_class(name) is None:
                problems.append(
                    Problem(
                        f"medications[{i}].classes[{j}]",
                        f"unknown medication class '{name}'",
                        did_you_mean(name, catalog.medication_classes)
                        or "Run 'mesoreg catalog vocab medication_class' for the list.",
                        path=patient.origin,
                    )
                )
    return problems


def session_volume(subject: Subject, ingredient_id: str | None = None) -> Quantity:
    """Volume injected in one session, of every preparation or of those holding an ingredient."""
    total = 0.0
    for prep in subject.preparations:
        if ingredient_id is None or prep.has(ingredient_id):
            total += prep.volume.value * prep.per_session
    return Quantity(total, _VOLUME)


def doses_of(subject: Subject, ingredient_id: str) -> Iterator[tuple[ResolvedPreparation, Dose]]:
    """Each preparation holding the ingredient, with its dose there."""
    yield from subject.doses.get(ingredient_id, ())


def concerned(subject: Subject, ids: Iterable[str], classes: Iterable[str]) -> list[str]:
    """Ids of the formulation's ingredients named by id or class, in id order."""
    found = {i for i in ids if i in subject.session}
    for cls in classes:
        found.update(i.id for i in subject.by_class.get(cls, ()))
    return sorted(found)
