"""Numbers, dates and facts, checked before any rule runs.

A rule compares numbers; a number that is not finite, has the wrong dimension
or cannot be true makes every comparison meaningless (``nan > 300`` is false,
so a NaN dose passes).  So every value is checked here first, and each bad one
is an :class:`~mesoreg.InputError` problem naming its key path, what is wrong
and how to fix it, all at once.

Two stages:

* :func:`problems_in` needs no context.  The converter calls it on every
  model it builds (formulations, patients, packs, ledgers); resolving a
  formulation and :func:`problems_on` call it again, for models built in code.
* :func:`problems_on` checks the patient and what depends on the session date
  (ages, dates after the session); :func:`mesoreg.check` reports its problems
  with the formulation's before any rule runs.

What is refused, and why:

* Any number that is not finite (NaN, infinity), in any field.
* A quantity of the wrong dimension for its key: ``strength`` is a
  concentration (mass, IU or USP units per volume; ``%`` and ``1:N`` are mass
  per volume), ``volume`` and ``volume_per_point`` are volumes, ``depth`` is a
  length, ``weight`` is a mass; pack limits likewise by kind (see
  :data:`_LIMIT_DIMENSIONS`).
* Zero where zero means nothing was given: a strength, volume, depth, volume
  per point, ``per_session`` or ``points`` of 0 (or less).
* A mass concentration above 100 % w/v (1000 mg/mL): a gram of substance per
  millilitre of solution is more than a water-based injectable can hold, so
  such a value is a slip (``1000 %`` for ``10 %``, ``g`` for ``mg``).
* Age outside 0 to 130 years: no verified human lifespan reaches 130 years.
* Weight of 0 kg or less (impossible), under 1 kg or over 300 kg
  (implausible for a patient of an outpatient injection: far more likely a
  slip of unit or digit).  A weight that is too high raises every per-kg
  limit, the unsafe direction, so it is refused rather than used; a patient
  whose weight really is outside the range can leave it out: the per-kg limits
  are then reported as not checked and the absolute caps still apply.
* ``per_session`` below 0.01 or above 100 (less than 1 % of a preparation, or
  more than a hundred of it, in one session is far more likely a slip than a
  plan; a fraction hides doses, so tiny values are refused), and more than
  10,000 injection ``points`` in one session.
* ``points`` x ``volume_per_point`` more than 10 % above what the preparations
  hold for one session: the doses are computed from the preparations, so a
  session that injects more than they hold would be checked on too little.
  Injecting less (dead volume, leftovers) is fine: the check then counts more
  than is injected, the safe direction.
* Contradictory facts: ``pregnant = true`` with ``sex = "male"`` or with
  ``childbearing_potential = false``; an ``age`` that differs from the age the
  ``birth_date`` gives on the session date.
* Dates after the session date: ``birth_date``, a medication's ``last_dose``,
  ``previous_session`` (in the patient file or given with
  ``--previous-session``).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import weakref
from collections.abc import Callable, Iterator
from typing import Any, Final

import attrs

from mesoreg._errors import Problem, UnitError
from mesoreg._memo import enabled as memo_enabled
from mesoreg.documents._knowledge import Contraindication, Limit, LimitKind
from mesoreg.documents._model import (
    CoIngredient,
    Component,
    Context,
    Formulation,
    Patient,
    Preparation,
    Use,
)
from mesoreg.documents._quantity import Dimension, Quantity, format_number
from mesoreg.documents._vocabulary import Sex

#: oldest age accepted, in years (no verified human lifespan reaches it)
MAX_AGE: Final = 130
#: lightest and heaviest patient weights accepted, in kg (see the module docstring)
MIN_WEIGHT_KG: Final = 1.0
MAX_WEIGHT_KG: Final = 300.0
#: the most concentrated mass concentration accepted, in mg/mL (100 % w/v)
MAX_MASS_CONCENTRATION: Final = 1000.0
#: a session uses from 1 % of a preparation to 100 of it (see the module docstring)
MIN_PER_SESSION: Final = 0.01
MAX_PER_SESSION: Final = 100.0
MAX_POINTS: Final = 10_000
_ML: Final = Dimension("volume")
#: how much more than the preparations hold ``points`` x ``volume_per_point`` may say
INJECTED_TOLERANCE: Final = 0.10

_ARBITRARY = ("[iU]", "[USP'U]", "[U]")


def _is_concentration(d: Dimension) -> bool:
    return d.denominator == "volume" and d.numerator in ("mass", *_ARBITRARY)


def _is_amount(d: Dimension) -> bool:
    return d.denominator is None and d.numerator in ("mass", *_ARBITRARY)


#: what each kind of quantity must measure, and how to write one
_NEEDS: Final[dict[str, tuple[Callable[[Dimension], bool], str]]] = {
    "concentration": (_is_concentration, "a concentration like '20 mg/mL', '2 %' or '1:100000'"),
    "amount": (_is_amount, "an amount like '300 mg' or '150 [iU]'"),
    "per_kg": (
        lambda d: d.denominator == "body_mass" and d.numerator in ("mass", *_ARBITRARY),
        "a dose per body weight like '4.5 mg/kg'",
    ),
    "volume": (lambda d: d == Dimension("volume"), "a volume like '2 mL'"),
    "length": (lambda d: d == Dimension("length"), "a length like '2 mm'"),
    "mass": (lambda d: d == Dimension("mass"), "a weight like '70 kg'"),
    "time": (lambda d: d == Dimension("time"), "a time like '7 d', '2 weeks' or '1 month'"),
}

#: for each limit kind, the dimension its minimum, maximum and cap must have
_LIMIT_DIMENSIONS: Final[dict[LimitKind, dict[str, str]]] = {
    LimitKind.CONCENTRATION: {"maximum": "concentration"},
    LimitKind.SESSION_AMOUNT: {"maximum": "amount"},
    LimitKind.PER_KG: {"maximum": "per_kg", "cap": "amount"},
    LimitKind.INJECTIONS: {},
    LimitKind.SESSION_VOLUME: {"maximum": "volume"},
    LimitKind.INTERVAL: {"minimum": "time", "maximum": "time"},
    LimitKind.DEPTH: {"minimum": "length", "maximum": "length"},
    LimitKind.ROUTE: {},
}


def _describe(d: Dimension) -> str:
    """A dimension in words, for 'got ..., a mass'."""
    if d.denominator == "volume":
        return "a concentration"
    if d.denominator == "body_mass":
        return "a dose per body weight"
    if d.denominator is not None:
        return f"a quantity per {d.denominator}"
    if d.numerator in _ARBITRARY:
        return f"an amount in {d.numerator}"
    return {"mass": "a mass", "volume": "a volume", "length": "a length", "area": "an area"}.get(
        d.numerator, f"a {d.numerator}"
    )


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _quantity(q: Quantity, key: str, need: str, *, zero: bool = False) -> Iterator[Problem]:
    """Problems with one quantity: finite, of the dimension ``need``, more than 0 (or >= 0)."""
    is_right, example = _NEEDS[need]
    if not math.isfinite(q.value):
        yield Problem(key, f"must be a finite number (got '{q}')", f"Write {example}.")
        return
    if not is_right(q.dimension):
        yield Problem(key, f"must be {example} (got '{q}', {_describe(q.dimension)})")
        return
    if q.value < 0 or (q.value == 0 and not zero):
        least = "0 or more" if zero else "more than 0"
        yield Problem(key, f"must be {least} (got '{q}')", f"Write {example}.")


def _number(value: float, key: str, hint: str) -> Iterator[Problem]:
    if not math.isfinite(value):
        yield Problem(key, f"must be a finite number (got {value!r})", hint)
    elif value <= 0:
        yield Problem(key, f"must be more than 0 (got {format_number(value)})", hint)


def _strength(q: Quantity, key: str) -> Iterator[Problem]:
    found = list(_quantity(q, key, "concentration"))
    yield from found
    if not found and q.dimension.numerator == "mass" and q.value > MAX_MASS_CONCENTRATION:
        yield Problem(
            key,
            f"'{q}' is {format_number(q.value)} mg/mL, more than 100 % w/v "
            "(1000 mg/mL, a gram of substance in each millilitre)",
            "Check the number and the unit ('%' means grams per 100 mL).",
        )


# -- rules for each model, context-free ------------------------------------------------


def _formulation(formulation: Formulation, path: str) -> Iterator[Problem]:
    use = formulation.use
    if use.points is None or use.volume_per_point is None:
        return
    try:
        injected = use.volume_per_point.to(_ML).value * use.points
        prepared = sum(
            c.volume.to(_ML).value * p.per_session
            for p in formulation.preparations
            for c in p.components
        )
    except UnitError:
        return  # the dimension problems are reported on their own keys
    if math.isfinite(injected) and injected > prepared * (1 + INJECTED_TOLERANCE) and prepared > 0:
        yield Problem(
            _join(path, "use"),
            f"points x volume_per_point = {use.points} x {use.volume_per_point} = "
            f"{format_number(injected)} mL, but the preparations hold "
            f"{format_number(prepared)} mL per session",
            "Make them agree: the doses are computed from the preparations, so a session "
            "cannot inject more than they hold.",
        )


def _use(use: Use, path: str) -> Iterator[Problem]:
    if use.depth is not None:
        yield from _quantity(use.depth, _join(path, "depth"), "length")
    if use.volume_per_point is not None:
        yield from _quantity(use.volume_per_point, _join(path, "volume_per_point"), "volume")
    if use.points is not None and not 1 <= use.points <= MAX_POINTS:
        yield Problem(
            _join(path, "points"),
            f"must be from 1 to {MAX_POINTS:,} (got {use.points})",
            "Give the number of injection points in one session, or leave points out.",
        )


def _preparation(prep: Preparation, path: str) -> Iterator[Problem]:
    hint = "Give how many of this preparation one session uses, e.g. 1 or 2."
    found = list(_number(prep.per_session, _join(path, "per_session"), hint))
    yield from found
    if not found and not MIN_PER_SESSION <= prep.per_session <= MAX_PER_SESSION:
        yield Problem(
            _join(path, "per_session"),
            f"must be from {MIN_PER_SESSION} to {format_number(MAX_PER_SESSION)} "
            f"(got {prep.per_session:g})",
            hint,
        )


def _component(comp: Component, path: str) -> Iterator[Problem]:
    yield from _strength(comp.strength, _join(path, "strength"))
    yield from _quantity(comp.volume, _join(path, "volume"), "volume")


def _co_ingredient(co: CoIngredient, path: str) -> Iterator[Problem]:
    yield from _strength(co.strength, _join(path, "strength"))


def _patient(patient: Patient, path: str) -> Iterator[Problem]:
    if patient.age is not None and not 0 <= patient.age <= MAX_AGE:
        yield Problem(
            _join(path, "age"),
            f"must be from 0 to {MAX_AGE} years (got {patient.age})",
            "Give the age in whole years, or the birth_date instead.",
        )
    if patient.weight is not None:
        yield from _weight(patient.weight, _join(path, "weight"))
    if patient.pregnant and patient.sex is Sex.MALE:
        yield Problem(
            _join(path, "pregnant"),
            "is true but sex is 'male'",
            "Correct one of them.",
        )
    if patient.pregnant and patient.childbearing_potential is False:
        yield Problem(
            _join(path, "pregnant"),
            "is true but childbearing_potential is false",
            "Correct one of them.",
        )


def _weight(weight: Quantity, key: str) -> Iterator[Problem]:
    found = list(_quantity(weight, key, "mass"))
    yield from found
    if found:
        return
    kg = weight.value / 1e6
    if not MIN_WEIGHT_KG <= kg <= MAX_WEIGHT_KG:
        yield Problem(
            key,
            f"'{weight}' is outside {format_number(MIN_WEIGHT_KG)} to "
            f"{format_number(MAX_WEIGHT_KG)} kg, not a plausible patient weight",
            "Check the number and the unit; if it is right, leave weight out: "
            "per-kg limits are then reported as not checked.",
        )


def _limit(limit: Limit, path: str) -> Iterator[Problem]:
    needs = _LIMIT_DIMENSIONS.get(limit.kind, {})
    for name in ("minimum", "maximum", "cap"):
        value = getattr(limit, name)
        if value is None:
            continue
        if name not in needs:
            yield Problem(_join(path, name), f"is not used by a {limit.kind.value} limit")
            continue
        yield from _quantity(value, _join(path, name), needs[name], zero=name == "minimum")
    ranged = limit.kind in (LimitKind.INTERVAL, LimitKind.DEPTH)
    if "maximum" in needs and not ranged and limit.maximum is None:
        yield Problem(_join(path, "maximum"), f"a {limit.kind.value} limit needs a maximum")
    low, high = limit.minimum, limit.maximum
    if ranged and low is None and high is None:
        yield Problem(path, f"a {limit.kind.value} limit needs a minimum or a maximum")
    if ranged and low and high and low.dimension == high.dimension and low.value > high.value:
        yield Problem(_join(path, "minimum"), f"'{low}' is more than the maximum '{high}'")
    if limit.kind is LimitKind.INJECTIONS and (limit.count is None or limit.count < 1):
        yield Problem(
            _join(path, "count"),
            f"a max_injections limit needs a count of 1 or more (got {limit.count})",
        )
    if limit.with_ingredient and limit.with_minimum is None:
        yield Problem(
            _join(path, "with_minimum"),
            f"a limit that holds only with '{limit.with_ingredient}' needs the least "
            "concentration at which it does",
            "Give the lowest sourced strength, e.g. with_minimum = '1:200000'.",
        )
    if limit.with_ingredient and limit.with_ingredient == limit.ingredient:
        yield Problem(
            _join(path, "with_ingredient"),
            f"names the limit's own ingredient '{limit.ingredient}', so the limit would "
            "always hold and push aside the ingredient's plain limits",
            "Name the other ingredient the limit needs, or leave with_ingredient out.",
        )
    if limit.with_minimum is not None:
        if not limit.with_ingredient:
            yield Problem(_join(path, "with_minimum"), "is used only with with_ingredient")
        else:
            yield from _quantity(limit.with_minimum, _join(path, "with_minimum"), "concentration")


def _contraindication(rule: Contraindication, path: str) -> Iterator[Problem]:
    for name in ("age_min", "age_max"):
        value = getattr(rule, name)
        if value is not None and not 0 <= value <= MAX_AGE:
            yield Problem(_join(path, name), f"must be from 0 to {MAX_AGE} years (got {value})")
    if rule.age_min is not None and rule.age_max is not None and rule.age_min > rule.age_max:
        yield Problem(_join(path, "age_min"), f"{rule.age_min} is more than age_max {rule.age_max}")
    if rule.within_days is not None and rule.within_days < 0:
        yield Problem(_join(path, "within_days"), f"must be 0 or more (got {rule.within_days})")


_RULES: Final[dict[type, Callable[[Any, str], Iterator[Problem]]]] = {
    Formulation: _formulation,
    Use: _use,
    Preparation: _preparation,
    Component: _component,
    CoIngredient: _co_ingredient,
    Patient: _patient,
    Limit: _limit,
    Contraindication: _contraindication,
}


#: values that hold no model and no float: nothing to walk into
_LEAVES = (str, int, bool, type(None), dt.date, dt.datetime, Dimension)


@functools.cache
def _fields(kind: type) -> tuple[str, ...] | None:
    """The field names of a model type, or None for anything that is not a model."""
    if not attrs.has(kind) or issubclass(kind, Quantity | Dimension):
        return None
    return tuple(f.name for f in attrs.fields(kind))


def _walk(value: Any, path: str) -> Iterator[Problem]:
    """Every model inside ``value``: its own rules, then non-finite numbers in any field."""
    if isinstance(value, tuple | list):
        for index, item in enumerate(value):
            if not isinstance(item, _LEAVES):
                yield from _walk(item, f"{path}[{index}]")
        return
    names = _fields(type(value))  # type: ignore[arg-type]  # every type is hashable
    if names is None:
        return
    rules = _RULES.get(type(value))
    found = list(rules(value, path)) if rules is not None else []
    yield from found
    said = {p.key_path for p in found}
    for name in names:
        item = getattr(value, name)
        if isinstance(item, _LEAVES):
            continue
        number = item.value if isinstance(item, Quantity) else item
        if isinstance(number, float):
            if not math.isfinite(number):
                key = _join(path, name)
                if key not in said:
                    shown = f"'{item}'" if isinstance(item, Quantity) else repr(item)
                    yield Problem(key, f"must be a finite number (got {shown})")
        elif not isinstance(item, Quantity):
            yield from _walk(item, _join(path, name))


#: formulations and patients found without problems, by identity (a model is frozen, so it
#: stays valid; an entry goes when its model is collected, so an id is never confused)
_VALID: weakref.WeakValueDictionary[int, Formulation | Patient] = weakref.WeakValueDictionary()


def problems_in(value: Any, path: str = "") -> list[Problem]:
    """Every context-free problem with the numbers and facts in ``value`` (any model)."""
    whole = isinstance(value, Formulation | Patient) and not path and memo_enabled()
    if whole and _VALID.get(id(value)) is value:
        return []
    found = list(_walk(value, path))
    if whole and not found:
        _VALID[id(value)] = value
    return found


# -- what needs the session date --------------------------------------------------------


def _after(day: dt.date | None, session: dt.date, key: str, hint: str) -> Iterator[Problem]:
    if day is not None and day > session:
        yield Problem(key, f"{day} is after the session date {session}", hint)


def _patient_on(patient: Patient, session: dt.date) -> Iterator[Problem]:
    born = patient.birth_date
    yield from _after(born, session, "birth_date", "Check the year.")
    if born is not None and born <= session:
        age = patient.age_on(session)
        assert age is not None
        if age > MAX_AGE:
            yield Problem(
                "birth_date",
                f"{born} makes the patient {age} on {session}, older than {MAX_AGE} years",
                "Check the year.",
            )
        elif patient.age is not None and patient.age != age:
            yield Problem(
                "age",
                f"{patient.age} contradicts birth_date {born}, which makes the patient "
                f"{age} on {session}",
                "Correct one of them, or leave age out.",
            )
    for index, med in enumerate(patient.medications or ()):
        yield from _after(
            med.last_dose,
            session,
            f"medications[{index}].last_dose",
            "Give the last dose taken before the session; leave last_dose out if the "
            "patient is still taking it.",
        )
    yield from _after(
        patient.previous_session,
        session,
        "previous_session",
        "Give the date of the last session before this one.",
    )


_REGION = re.compile(r"[A-Za-z]{2}")


def context_problems(
    day: object, region: object, previous_session: object = None, *, prefix: str = ""
) -> list[Problem]:
    """Problems with the session date, region and previous session given to a check.

    The date must be a date (a datetime is not: it carries a time of day that no rule
    reads); the region two ASCII letters (an ISO 3166 code: ``ＦＲ`` in fullwidth letters
    only looks like ``FR``).  ``prefix`` is ``"--"`` for command-line options.
    """
    problems = []
    for key, value in (("date", day), ("previous_session", previous_session)):
        if value is not None and (not isinstance(value, dt.date) or isinstance(value, dt.datetime)):
            problems.append(
                Problem(
                    prefix + key.replace("_", "-" if prefix else "_"),
                    f"must be a date like 2026-11-22 (got {value!r})",
                    "Give the day only, e.g. datetime.date(2026, 11, 22).",
                )
            )
    if region is not None and not (isinstance(region, str) and _REGION.fullmatch(region)):
        problems.append(
            Problem(
                prefix + "region",
                f"{region!r} is not an ISO 3166 code",
                "Use two letters A to Z, e.g. US, FR or BR.",
            )
        )
    return problems


def problems_on(patient: Patient | None, context: Context) -> list[Problem]:
    """Every problem with the patient's facts and the dates, on the session date.

    The patient's context-free problems are included (it may have been built in
    code); the formulation's are found by :func:`mesoreg.checks._subject.resolve`.
    Each problem names the patient file, or ``--previous-session``.
    """
    problems: list[Problem] = []
    if patient is not None:
        found = [*problems_in(patient), *_patient_on(patient, context.date)]
        problems += [attrs.evolve(p, path=patient.origin) for p in found]
    problems += _after(
        context.previous_session,
        context.date,
        "--previous-session",
        "Give the date of the last session before this one.",
    )
    return problems
