"""Dose limits: concentration, amount per session, per-kg with a cap, injections, volume.

Session amounts are summed over every preparation and every repeat of it in
the session.  A limit whose units the amount cannot be converted to (IU
against mg) is reported as not checked.  Where an ingredient has limits that
hold only with another ingredient (lidocaine with epinephrine), those apply
when every preparation holding the ingredient also holds the other one at
the limit's ``with_minimum`` concentration or more, as injected (after
dilution in the syringe); otherwise the plain limits apply.  A token amount
of epinephrine (``0 mg/mL``, ``1:1000000000000``) thus unlocks nothing.

A per-kg limit's absolute cap needs no weight: without a patient or a weight
the cap is still checked, and only the per-kg part is reported as not run or
not checked.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from itertools import groupby

from mesoreg._errors import UnitError
from mesoreg.checks._report import NotRun, Unchecked
from mesoreg.checks._subject import (
    Check,
    Outcome,
    ResolvedPreparation,
    Subject,
    doses_of,
    session_volume,
)
from mesoreg.documents._knowledge import Ingredient, Limit, LimitKind
from mesoreg.documents._quantity import Dimension, Quantity, format_number
from mesoreg.hookspecs import hookimpl

NAME = "doses"
_DOSE_KINDS = (
    LimitKind.CONCENTRATION,
    LimitKind.SESSION_AMOUNT,
    LimitKind.PER_KG,
    LimitKind.INJECTIONS,
    LimitKind.SESSION_VOLUME,
)


#: relative tolerance when comparing a concentration to a threshold (floating-point rounding)
_TOLERANCE = 1e-9


def has_effective(prep: ResolvedPreparation, ingredient_id: str, minimum: Quantity | None) -> bool:
    """True when ``prep`` holds the ingredient at ``minimum`` or more, as injected.

    Without a minimum, or in units that do not convert to it, nothing is effective:
    a limit that depends on a co-ingredient never holds on an unknown strength.
    """
    if minimum is None or not prep.has(ingredient_id):
        return False
    total = 0.0
    for dose in prep.doses:
        if dose.ingredient.id == ingredient_id:
            try:
                total += dose.concentration.to(minimum.dimension).value
            except UnitError:
                return False
    return math.isfinite(total) and total >= minimum.value * (1 - _TOLERANCE) > 0


def is_alone(prep: ResolvedPreparation, ingredient_id: str) -> bool:
    """True when ``prep`` holds ``ingredient_id`` and nothing else (the product as supplied)."""
    return prep.has(ingredient_id) and all(d.ingredient.id == ingredient_id for d in prep.doses)


def mixed_product_limits(subject: Subject, ingredient_id: str) -> list[Limit]:
    """The ingredient's product limits that do not hold: it is mixed with other ingredients.

    A product label's volume, strength and injection limits are defined on that product
    (KYBELLA: 10 mg/mL, 0.2 mL per injection); a mixture holding the ingredient is another
    preparation, which the label does not cover.
    """
    preps = [prep for prep, _ in doses_of(subject, ingredient_id)]
    if all(is_alone(p, ingredient_id) for p in preps):
        return []
    return [r for r in subject.catalog.limits_for(ingredient_id) if r.product]


def applicable_limits(subject: Subject, ingredient_id: str) -> Iterator[Limit]:
    """The ingredient's limits that apply to this formulation (see the module docstring)."""
    limits = subject.catalog.limits_for(ingredient_id)  # sorted by kind, then id
    preps = [prep for prep, _ in doses_of(subject, ingredient_id)]
    for _, group in groupby(limits, key=lambda x: x.kind):
        rules = list(group)
        variants = [
            r
            for r in rules
            if r.with_ingredient
            and preps
            and all(has_effective(p, r.with_ingredient, r.with_minimum) for p in preps)
        ]
        mixed = {r.id for r in mixed_product_limits(subject, ingredient_id)}
        chosen = variants or [r for r in rules if not r.with_ingredient]
        yield from (r for r in chosen if r.id not in mixed)


def _show(q: Quantity) -> str:
    return f"{format_number(q.value)} {q.unit}"


def _concentration(subject: Subject, limit: Limit, name: str) -> Iterator[Outcome]:
    assert limit.maximum is not None
    for prep, dose in doses_of(subject, limit.ingredient):
        try:
            value = dose.concentration.to(limit.maximum.dimension).value
        except UnitError as exc:
            yield Unchecked(NAME, limit.id, f"{name} in '{prep.name}': {exc}")
            continue
        if value > limit.maximum.value:
            yield subject.finding(
                limit,
                f"{name} {format_number(value)} {limit.maximum.unit} in '{prep.name}' "
                f"> {limit.maximum}",
                [limit.ingredient],
                message=f"{name} is more concentrated than the maximum of {limit.maximum}.",
            )


def _session_amount(
    subject: Subject, limit: Limit, name: str
) -> tuple[float, str, str] | Unchecked:
    """The ingredient's session amount in the limit's unit, or why it cannot be had.

    A preparation of which a session uses only part (``per_session`` below 1) still
    holds its whole amount, which can be injected by mistake: the amount checked is
    the larger of the session's total and the whole of any one preparation.
    """
    total = subject.session[limit.ingredient]
    if total.amount is None:
        return Unchecked(NAME, limit.id, f"{name}: amounts cannot be added: {total.problem}")
    target = limit.cap or limit.maximum
    assert target is not None
    unit = Dimension(target.dimension.numerator)
    where = "this session"
    try:
        value = total.amount.to(unit).value
        for prep, dose in doses_of(subject, limit.ingredient):
            whole = dose.amount.to(unit).value
            if whole > value:
                value = whole
                where = (
                    f"in one '{prep.name}' (counted whole: the session is to use "
                    f"{format_number(prep.per_session)} of it)"
                )
    except UnitError as exc:
        return Unchecked(NAME, limit.id, f"{name} {total.amount}: {exc}")
    return value, unit.__str__(), where


def _amount(subject: Subject, limit: Limit, name: str) -> Iterator[Outcome]:
    got = _session_amount(subject, limit, name)
    if isinstance(got, Unchecked):
        yield got
        return
    value, unit, where = got
    assert limit.maximum is not None
    if value > limit.maximum.value:
        yield subject.finding(
            limit,
            f"{name} {format_number(value)} {unit} {where} > {limit.maximum}",
            [limit.ingredient],
            message=f"{name} exceeds the maximum of {limit.maximum} per session.",
        )


def _cap(subject: Subject, limit: Limit, name: str, why: str) -> Iterator[Outcome]:
    """The absolute cap of a per-kg limit, checked without a weight."""
    if limit.cap is None:
        return
    got = _session_amount(subject, limit, name)
    if isinstance(got, Unchecked):
        yield got
        return
    value, unit, where = got
    if value > limit.cap.value:
        yield subject.finding(
            limit,
            f"{name} {format_number(value)} {unit} {where} > {limit.cap} cap ({why})",
            [limit.ingredient],
            message=f"{name} exceeds the maximum total dose of {limit.cap} per session.",
        )


def _per_kg(subject: Subject, limit: Limit, name: str) -> Iterator[Outcome]:
    assert limit.maximum is not None
    patient = subject.patient
    if patient is None:
        yield from _cap(subject, limit, name, "no patient given")
        yield NotRun(NAME, limit.id, "per-kg limit needs the patient's weight: no patient given")
        return
    weight = patient.weight
    if (
        weight is None
        or weight.dimension != Dimension("mass")
        or not (math.isfinite(weight.value) and weight.value > 0)
    ):
        yield from _cap(subject, limit, name, "no weight given")
        yield Unchecked(
            NAME,
            limit.id,
            f'{name} per-kg limit needs the patient\'s weight, e.g. weight = "70 kg"',
        )
        return
    got = _session_amount(subject, limit, name)
    if isinstance(got, Unchecked):
        yield got
        return
    value, unit, where = got
    kg = weight.value / 1e6
    allowed = limit.maximum.value * kg
    per_kg = value / kg
    capped = limit.cap is not None and limit.cap.value < allowed
    bound = limit.cap.value if capped and limit.cap else allowed
    if value <= bound:
        return
    rate = f"{format_number(round(per_kg, 2))} {limit.maximum.unit}"
    if capped:
        evidence = (
            f"{name} {format_number(value)} {unit} {where} > {limit.cap} cap "
            f"({limit.maximum} × {format_number(kg)} kg = {format_number(allowed)} {unit})"
        )
    else:
        evidence = (
            f"{name} {format_number(value)} {unit} {where} = {rate} > {limit.maximum} "
            f"(patient {format_number(kg)} kg)"
        )
    yield subject.finding(
        limit,
        evidence,
        [limit.ingredient],
        message=f"{name} exceeds the maximum dose for this patient's weight.",
    )


def _injections(subject: Subject, limit: Limit, name: str) -> Iterator[Outcome]:
    points = subject.formulation.use.points
    if points is None:
        yield Unchecked(
            NAME,
            limit.id,
            f"{name} limits injections to {limit.count}; needs use.points in the formulation",
        )
    elif limit.count is not None and points > limit.count:
        yield subject.finding(
            limit,
            f"{points} injection points > {limit.count}",
            [limit.ingredient],
            message=f"Too many injections of {name} in one session.",
        )


def _volume(subject: Subject, limit: Limit, name: str) -> Iterator[Outcome]:
    assert limit.maximum is not None
    volume = session_volume(subject, limit.ingredient)
    if volume.value > limit.maximum.value:
        yield subject.finding(
            limit,
            f"{_show(volume)} of preparations with {name} this session > {limit.maximum}",
            [limit.ingredient],
            message=f"Too much volume of {name} in one session.",
        )


_KINDS = {
    LimitKind.CONCENTRATION: _concentration,
    LimitKind.SESSION_AMOUNT: _amount,
    LimitKind.PER_KG: _per_kg,
    LimitKind.INJECTIONS: _injections,
    LimitKind.SESSION_VOLUME: _volume,
}


#: the limits that bound how much of an ingredient a session gives
_AMOUNT_KINDS = frozenset({LimitKind.CONCENTRATION, LimitKind.SESSION_AMOUNT, LimitKind.PER_KG})
#: classes of medicines with systemic effects (anaesthetics, vasoactive and sympathomimetic
#: drugs, xanthines, enzymes, lipolytics and the like): without a sourced dose limit their
#: dose is not checked, so the verdict cannot be pass.  Nutrients, extracts, skin agents and
#: vehicles without one are listed as information instead.
DRUG_CLASSES = frozenset(
    {
        "local_anaesthetic",
        "vasoactive",
        "vasoconstrictor",
        "sympathomimetic",
        "beta_agonist",
        "alpha2_adrenergic_antagonist",
        "methylxanthine",
        "enzyme",
        "lipolytic",
        "antifibrinolytic",
        "hemorrheologic",
        "peripheral_vasodilator",
    }
)


def _unlimited(subject: Subject, ingredient: Ingredient) -> Iterator[Outcome]:
    """What to say of an ingredient that has no dose limit in the catalog."""
    if any(r.kind in _AMOUNT_KINDS for r in subject.catalog.limits_for(ingredient.id)):
        return
    total = subject.session[ingredient.id].amount
    amount = f" ({total} this session)" if total is not None else ""
    drug = sorted(DRUG_CLASSES & set(ingredient.classes))
    if drug:
        yield Unchecked(
            NAME,
            f"{ingredient.id}:dose",
            f"{ingredient.name}{amount}: no sourced dose limit for this "
            f"{drug[0].replace('_', ' ')} is in the catalog, so its dose is not checked",
        )


def check_doses(subject: Subject) -> Iterator[Outcome]:
    """Every dose limit of every ingredient in the formulation."""
    for ingredient in subject.ingredients:
        yield from _unlimited(subject, ingredient)
        for limit in mixed_product_limits(subject, ingredient.id):
            if limit.kind in _KINDS:
                yield Unchecked(
                    NAME,
                    limit.id,
                    f"{ingredient.name} is mixed with other ingredients: the {limit.product} "
                    "label's limit holds for that product alone, and no source sets one for "
                    "the mixture",
                )
        for limit in applicable_limits(subject, ingredient.id):
            if limit.kind in _KINDS:
                yield from _KINDS[limit.kind](subject, limit, ingredient.name)


@hookimpl
def mesoreg_checks() -> list[Check]:
    """The built-in dose-limit check."""
    return [
        Check(NAME, "concentration, per-session, per-kg, injection and volume limits", check_doses)
    ]
