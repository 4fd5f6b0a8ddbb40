"""Numbers, dates and facts are checked before any rule runs: one exact line per problem."""

from __future__ import annotations

import copy
import datetime as dt
import math
import typing
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mesoreg import Formulation, InputError, Patient
from mesoreg.documents._convert import structure
from mesoreg.documents._knowledge import Contraindication, Limit, Pack
from mesoreg.documents._model import CoIngredient, Component, Preparation, Use
from mesoreg.documents._quantity import Dimension, Quantity
from mesoreg.documents._validate import problems_in
from mesoreg.testing import DEFAULT_DATE, HEALTHY, check_with, formulation, patient

STRENGTH_HINT = "Write a concentration like '20 mg/mL', '2 %' or '1:100000'."
PER_SESSION_HINT = "Give how many of this preparation one session uses, e.g. 1 or 2."
WEIGHT_RANGE = (
    "is outside 1 to 300 kg, not a plausible patient weight. Check the number and the unit; "
    "if it is right, leave weight out: per-kg limits are then reported as not checked."
)


def valid_formulation() -> dict[str, Any]:
    return {
        "schema_version": 1,
        "id": "x",
        "version": 1,
        "title": "t",
        "use": {
            "area": "face",
            "technique": "nappage",
            "depth": "2 mm",
            "points": 10,
            "volume_per_point": "0.1 mL",
        },
        "preparations": [
            {
                "name": "syringe",
                "per_session": 1,
                "components": [
                    {
                        "ingredient": "lidocaine",
                        "strength": "2 %",
                        "volume": "2 mL",
                        "co_ingredients": [{"ingredient": "epinephrine", "strength": "1:100000"}],
                    },
                ],
            }
        ],
    }


COMPONENT = ("preparations", 0, "components", 0)
CO = (*COMPONENT, "co_ingredients", 0)


def set_at(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(data)
    target: Any = data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return data


def problems(data: dict[str, Any], kind: type[Any]) -> list[str]:
    with pytest.raises(InputError) as info:
        structure(data, kind, path="f.toml")
    return [str(p) for p in info.value.problems]


# (key path in the TOML data, bad value, the whole line after "f.toml: ")
FORMULATION_CASES: list[tuple[tuple[Any, ...], Any, str]] = [
    (
        ("preparations", 0, "per_session"),
        math.nan,
        f"preparations[0].per_session: must be a finite number (got nan). {PER_SESSION_HINT}",
    ),
    (
        ("preparations", 0, "per_session"),
        math.inf,
        f"preparations[0].per_session: must be a finite number (got inf). {PER_SESSION_HINT}",
    ),
    (
        ("preparations", 0, "per_session"),
        -math.inf,
        f"preparations[0].per_session: must be a finite number (got -inf). {PER_SESSION_HINT}",
    ),
    (
        ("preparations", 0, "per_session"),
        0,
        f"preparations[0].per_session: must be more than 0 (got 0). {PER_SESSION_HINT}",
    ),
    (
        ("preparations", 0, "per_session"),
        -2.5,
        f"preparations[0].per_session: must be more than 0 (got -2.5). {PER_SESSION_HINT}",
    ),
    (
        (*COMPONENT, "strength"),
        "0 mg/mL",
        "preparations[0].components[0].strength: must be more than 0 (got '0 mg/mL'). "
        + STRENGTH_HINT,
    ),
    (
        (*COMPONENT, "strength"),
        "0 %",
        f"preparations[0].components[0].strength: must be more than 0 (got '0 %'). {STRENGTH_HINT}",
    ),
    (
        (*COMPONENT, "strength"),
        "1000 %",
        "preparations[0].components[0].strength: '1000 %' is 10000 mg/mL, more than 100 % w/v "
        "(1000 mg/mL, a gram of substance in each millilitre). "
        "Check the number and the unit ('%' means grams per 100 mL).",
    ),
    (
        (*COMPONENT, "strength"),
        "1.5 g/mL",
        "preparations[0].components[0].strength: '1.5 g/mL' is 1500 mg/mL, more than 100 % w/v "
        "(1000 mg/mL, a gram of substance in each millilitre). "
        "Check the number and the unit ('%' means grams per 100 mL).",
    ),
    (
        (*COMPONENT, "strength"),
        "20 mg",
        "preparations[0].components[0].strength: must be a concentration like '20 mg/mL', "
        "'2 %' or '1:100000' (got '20 mg', a mass)",
    ),
    (
        (*COMPONENT, "strength"),
        "5 mL",
        "preparations[0].components[0].strength: must be a concentration like '20 mg/mL', "
        "'2 %' or '1:100000' (got '5 mL', a volume)",
    ),
    (
        (*COMPONENT, "strength"),
        "4.5 mg/kg",
        "preparations[0].components[0].strength: must be a concentration like '20 mg/mL', "
        "'2 %' or '1:100000' (got '4.5 mg/kg', a dose per body weight)",
    ),
    (
        (*COMPONENT, "strength"),
        "1e999 %",
        "preparations[0].components[0].strength: '1e999 %' is not a finite number",
    ),
    (
        (*CO, "strength"),
        "0 mg/mL",
        "preparations[0].components[0].co_ingredients[0].strength: must be more than 0 "
        f"(got '0 mg/mL'). {STRENGTH_HINT}",
    ),
    (
        (*CO, "strength"),
        "5 mg",
        "preparations[0].components[0].co_ingredients[0].strength: must be a concentration "
        "like '20 mg/mL', '2 %' or '1:100000' (got '5 mg', a mass)",
    ),
    (
        (*COMPONENT, "volume"),
        "0 mL",
        "preparations[0].components[0].volume: must be more than 0 (got '0 mL'). "
        "Write a volume like '2 mL'.",
    ),
    (
        (*COMPONENT, "volume"),
        "5 mg",
        "preparations[0].components[0].volume: must be a volume like '2 mL' (got '5 mg', a mass)",
    ),
    (
        (*COMPONENT, "volume"),
        "2 %",
        "preparations[0].components[0].volume: must be a volume like '2 mL' "
        "(got '2 %', a concentration)",
    ),
    (
        ("use", "volume_per_point"),
        "5 mg",
        "use.volume_per_point: must be a volume like '2 mL' (got '5 mg', a mass)",
    ),
    (
        ("use", "volume_per_point"),
        "0 mL",
        "use.volume_per_point: must be more than 0 (got '0 mL'). Write a volume like '2 mL'.",
    ),
    (
        ("use", "depth"),
        "2 mL",
        "use.depth: must be a length like '2 mm' (got '2 mL', a volume)",
    ),
    (
        ("use", "depth"),
        "0 mm",
        "use.depth: must be more than 0 (got '0 mm'). Write a length like '2 mm'.",
    ),
    (
        ("use", "depth"),
        "2 IU",
        "use.depth: must be a length like '2 mm' (got '2 IU', an amount in [iU])",
    ),
    (
        ("use", "points"),
        0,
        "use.points: must be from 1 to 10,000 (got 0). "
        "Give the number of injection points in one session, or leave points out.",
    ),
    (
        ("use", "points"),
        -5,
        "use.points: must be from 1 to 10,000 (got -5). "
        "Give the number of injection points in one session, or leave points out.",
    ),
]


@pytest.mark.parametrize(
    ("path", "value", "line"),
    FORMULATION_CASES,
    ids=[f"{'.'.join(map(str, c[0][-2:]))}={c[1]}" for c in FORMULATION_CASES],
)
def test_bad_formulation_numbers(path: tuple[Any, ...], value: Any, line: str) -> None:
    assert problems(set_at(valid_formulation(), path, value), Formulation) == [f"f.toml: {line}"]


def test_a_tiny_epinephrine_strength_is_a_valid_number() -> None:
    # 1:10^12 is a real (if useless) strength; the dose check decides what it unlocks
    data = set_at(valid_formulation(), (*CO, "strength"), "1:1000000000000")
    assert structure(data, Formulation).preparations[0].components[0].co_ingredients


def test_every_bad_number_at_once() -> None:
    data = set_at(valid_formulation(), ("preparations", 0, "per_session"), math.nan)
    data = set_at(data, ("use", "points"), 0)
    data = set_at(data, (*COMPONENT, "volume"), "0 mL")
    assert [line.split(": ")[1] for line in problems(data, Formulation)] == [
        "use.points",
        "preparations[0].per_session",
        "preparations[0].components[0].volume",
    ]


def valid_patient() -> dict[str, Any]:
    return {
        "schema_version": 1,
        "birth_date": dt.date(1985, 4, 12),
        "sex": "female",
        "weight": "70 kg",
        "pregnant": False,
        "childbearing_potential": True,
    }


PATIENT_CASES: list[tuple[dict[str, Any], str]] = [
    ({"weight": "0 kg"}, "weight: must be more than 0 (got '0 kg'). Write a weight like '70 kg'."),
    ({"weight": "400 kg"}, f"weight: '400 kg' {WEIGHT_RANGE}"),
    ({"weight": "1e9 kg"}, f"weight: '1e9 kg' {WEIGHT_RANGE}"),
    ({"weight": "500 g"}, f"weight: '500 g' {WEIGHT_RANGE}"),
    ({"weight": "1e999 kg"}, "weight: '1e999 kg' is not a finite number"),
    ({"weight": "70 mL"}, "weight: must be a weight like '70 kg' (got '70 mL', a volume)"),
    (
        {"weight": "70 mg/kg"},
        "weight: must be a weight like '70 kg' (got '70 mg/kg', a dose per body weight)",
    ),
    (
        {"age": -1},
        "age: must be from 0 to 130 years (got -1). "
        "Give the age in whole years, or the birth_date instead.",
    ),
    (
        {"age": 131},
        "age: must be from 0 to 130 years (got 131). "
        "Give the age in whole years, or the birth_date instead.",
    ),
    (
        {"sex": "male", "pregnant": True},
        "pregnant: is true but sex is 'male'. Correct one of them.",
    ),
    (
        {"pregnant": True, "childbearing_potential": False},
        "pregnant: is true but childbearing_potential is false. Correct one of them.",
    ),
]


@pytest.mark.parametrize(("change", "line"), PATIENT_CASES, ids=[c[1][:40] for c in PATIENT_CASES])
def test_bad_patient_facts(change: dict[str, Any], line: str) -> None:
    assert problems({**valid_patient(), **change}, Patient) == [f"f.toml: {line}"]


@pytest.mark.parametrize("weight", ["1 kg", "45 kg", "300 kg", "180000 g"])
def test_plausible_weights_are_accepted(weight: str) -> None:
    assert structure({**valid_patient(), "weight": weight}, Patient).weight is not None


def test_male_not_pregnant_and_other_sex_pregnant_are_fine() -> None:
    structure({**valid_patient(), "sex": "male", "pregnant": False}, Patient)
    structure({**valid_patient(), "sex": "other", "pregnant": True}, Patient)


# -- what needs the session date (2026-11-22), at check time ------------------------------

VITAMINS = [("pyridoxine", "100 mg/mL", "1 mL")]
LATER = "2026-11-26"

DATE_CASES: list[tuple[dict[str, Any], dict[str, Any], str]] = [
    (
        {"birth_date": dt.date(2030, 1, 1)},
        {},
        "<test patient>: birth_date: 2030-01-01 is after the session date 2026-11-22. "
        "Check the year.",
    ),
    (
        {"birth_date": dt.date(1890, 1, 1)},
        {},
        "<test patient>: birth_date: 1890-01-01 makes the patient 136 on 2026-11-22, "
        "older than 130 years. Check the year.",
    ),
    (
        {"age": 90},
        {},
        "<test patient>: age: 90 contradicts birth_date 1985-04-12, which makes the patient 41 "
        "on 2026-11-22. Correct one of them, or leave age out.",
    ),
    (
        {"medications": [{"name": "Advil", "last_dose": dt.date(2026, 11, 26)}]},
        {},
        f"<test patient>: medications[0].last_dose: {LATER} is after the session date "
        "2026-11-22. Give the last dose taken before the session; leave last_dose out if the "
        "patient is still taking it.",
    ),
    (
        {"previous_session": dt.date(2026, 11, 26)},
        {},
        f"<test patient>: previous_session: {LATER} is after the session date 2026-11-22. "
        "Give the date of the last session before this one.",
    ),
    (
        {},
        {"previous_session": dt.date(2026, 11, 26)},
        f"--previous-session: {LATER} is after the session date 2026-11-22. "
        "Give the date of the last session before this one.",
    ),
]


@pytest.mark.parametrize(
    ("facts", "context", "line"), DATE_CASES, ids=[c[2][:45] for c in DATE_CASES]
)
def test_dates_after_the_session_and_contradictions(
    registry: Any, facts: dict[str, Any], context: dict[str, Any], line: str
) -> None:
    with pytest.raises(InputError) as info:
        check_with(formulation(VITAMINS), patient(HEALTHY, **facts), registry=registry, **context)
    assert str(info.value) == line


def test_age_matching_the_birth_date_and_dates_on_the_session_day_are_fine(registry: Any) -> None:
    day = DEFAULT_DATE
    p = patient(
        HEALTHY,
        age=41,
        previous_session=day - dt.timedelta(days=7),
        medications=[{"name": "Advil", "last_dose": day}],
    )
    check_with(formulation(VITAMINS), p, registry=registry, previous_session=day)


def test_formulation_and_patient_problems_are_reported_together(registry: Any) -> None:
    f = formulation([("pyridoxin", "100 mg/mL", "1 mL")])  # unknown name, found at check time
    with pytest.raises(InputError) as info:
        check_with(f, patient(HEALTHY, birth_date=dt.date(2030, 1, 1)), registry=registry)
    lines = str(info.value).splitlines()
    assert lines[0].startswith(
        "<test formulation>: preparations[0].components[0].ingredient: unknown ingredient"
    )
    assert lines[1:] == [
        "<test patient>: birth_date: 2030-01-01 is after the session date 2026-11-22. "
        "Check the year."
    ]


# -- non-finite numbers in every numeric field of models built in code --------------------


#: every float or Quantity field of a formulation or patient, with a valid model to put it in
FORMULATION_FIELDS = {
    (Preparation, "per_session"): "preparations[0].per_session",
    (Component, "strength"): "preparations[0].components[0].strength",
    (Component, "volume"): "preparations[0].components[0].volume",
    (CoIngredient, "strength"): "preparations[0].components[0].co_ingredients[0].strength",
    (Use, "depth"): "use.depth",
    (Use, "volume_per_point"): "use.volume_per_point",
}
PATIENT_FIELDS = {(Patient, "weight"): "weight"}


def _numeric_fields(cls: type[Any], seen: set[type[Any]] | None = None) -> set[tuple[type, str]]:
    """(class, field) for every float or Quantity field reachable from ``cls``."""
    seen = seen if seen is not None else set()
    if cls in seen or not attrs.has(cls) or cls in (Quantity, Dimension):
        return set()
    seen.add(cls)
    found: set[tuple[type, str]] = set()
    for name, hint in typing.get_type_hints(cls).items():
        args = {hint, *typing.get_args(hint)}
        args |= {a for x in list(args) for a in typing.get_args(x)}
        if float in args or Quantity in args:
            found.add((cls, name))
        for arg in args:
            if isinstance(arg, type):
                found |= _numeric_fields(arg, seen)
    return found


def test_the_tables_cover_every_numeric_field() -> None:
    assert _numeric_fields(Formulation) == set(FORMULATION_FIELDS)
    assert _numeric_fields(Patient) == set(PATIENT_FIELDS)


def _with(model: Any, path: str, value: Any) -> Any:
    """``model`` with the field at the key path ``path`` set to ``value``."""
    head, _, rest = path.partition(".")
    name, _, index = head.partition("[")
    if not rest:
        return attrs.evolve(model, **{name: value})
    child = getattr(model, name)
    if index:
        i = int(index.rstrip("]"))
        items = list(child)
        items[i] = _with(items[i], rest, value)
        return attrs.evolve(model, **{name: tuple(items)})
    return attrs.evolve(model, **{name: _with(child, rest, value)})


NON_FINITE = [math.nan, math.inf, -math.inf]


def _bad(original: Any, number: float) -> Any:
    if isinstance(original, Quantity):
        return attrs.evolve(original, value=number, text="")
    return number


@pytest.mark.parametrize("number", NON_FINITE, ids=str)
@pytest.mark.parametrize("path", sorted(FORMULATION_FIELDS.values()))
def test_non_finite_in_a_formulation_built_in_code(registry: Any, path: str, number: float) -> None:
    good = structure(valid_formulation(), Formulation)
    original = eval(f"good.{path}")
    bad = _with(good, path, _bad(original, number))
    with pytest.raises(InputError) as info:
        check_with(bad, None, registry=registry)
    (problem,) = info.value.problems
    assert problem.key_path == path
    assert problem.message.startswith("must be a finite number (got ")


@pytest.mark.parametrize("number", NON_FINITE, ids=str)
def test_non_finite_weight_in_a_patient_built_in_code(registry: Any, number: float) -> None:
    bad = attrs.evolve(patient(HEALTHY), weight=Quantity(number, Dimension("mass")))
    with pytest.raises(InputError) as info:
        check_with(formulation(VITAMINS), bad, registry=registry)
    assert str(info.value).startswith("<test patient>: weight: must be a finite number (got ")


#: a valid limit for each quantity field, and that field's dimension
LIMIT_FIELDS = {
    "minimum": ({"kind": "session_interval", "minimum": "7 d"}, Dimension("time")),
    "maximum": ({"kind": "max_per_kg", "maximum": "4.5 mg/kg"}, Dimension("mass", "body_mass")),
    "cap": ({"kind": "max_per_kg", "maximum": "4.5 mg/kg", "cap": "300 mg"}, Dimension("mass")),
    "with_minimum": (
        {
            "kind": "max_per_kg",
            "maximum": "7 mg/kg",
            "with_ingredient": "epinephrine",
            "with_minimum": "1:200000",
        },
        Dimension("mass", "volume"),
    ),
}


def test_the_limit_table_covers_every_numeric_field() -> None:
    assert _numeric_fields(Limit) == {(Limit, name) for name in LIMIT_FIELDS}
    assert _numeric_fields(Contraindication) == set()


@pytest.mark.parametrize("number", NON_FINITE, ids=str)
@pytest.mark.parametrize("name", sorted(LIMIT_FIELDS))
def test_non_finite_in_a_limit_built_in_code(name: str, number: float) -> None:
    fields, dimension = LIMIT_FIELDS[name]
    limit = structure({**LIMIT, **fields}, Limit)
    assert problems_in(limit) == []
    bad = attrs.evolve(limit, **{name: Quantity(number, dimension)})
    (problem,) = problems_in(bad, "limits[0]")
    assert problem.key_path == f"limits[0].{name}"
    assert problem.message.startswith("must be a finite number (got ")


# -- packs: limits and contraindications ----------------------------------------------------

LIMIT = {
    "id": "lim",
    "code": "MR-X",
    "ingredient": "lidocaine",
    "severity": "major",
    "evidence": "label",
    "sources": ["s"],
    "advice": "a",
}

PACK_CASES: list[tuple[dict[str, Any], str]] = [
    (
        {"kind": "max_concentration", "maximum": "5 mL"},
        "limits[0].maximum: must be a concentration like '20 mg/mL', '2 %' or '1:100000' "
        "(got '5 mL', a volume)",
    ),
    (
        {"kind": "max_concentration", "maximum": "0 mg/mL"},
        "limits[0].maximum: must be more than 0 (got '0 mg/mL'). "
        "Write a concentration like '20 mg/mL', '2 %' or '1:100000'.",
    ),
    (
        {"kind": "max_session_amount", "maximum": "20 mg/mL"},
        "limits[0].maximum: must be an amount like '300 mg' or '150 [iU]' "
        "(got '20 mg/mL', a concentration)",
    ),
    (
        {"kind": "max_session_amount"},
        "limits[0].maximum: a max_session_amount limit needs a maximum",
    ),
    (
        {"kind": "max_per_kg", "maximum": "300 mg"},
        "limits[0].maximum: must be a dose per body weight like '4.5 mg/kg' (got '300 mg', a mass)",
    ),
    (
        {"kind": "max_per_kg", "maximum": "4.5 mg/kg", "cap": "7 mg/kg"},
        "limits[0].cap: must be an amount like '300 mg' or '150 [iU]' "
        "(got '7 mg/kg', a dose per body weight)",
    ),
    (
        {"kind": "max_session_volume", "maximum": "10 mg"},
        "limits[0].maximum: must be a volume like '2 mL' (got '10 mg', a mass)",
    ),
    (
        {"kind": "session_interval", "minimum": "7 mm"},
        "limits[0].minimum: must be a time like '7 d', '2 weeks' or '1 month' "
        "(got '7 mm', a length)",
    ),
    (
        {"kind": "depth", "minimum": "4 mm", "maximum": "1 mm"},
        "limits[0].minimum: '4 mm' is more than the maximum '1 mm'",
    ),
    ({"kind": "depth"}, "limits[0]: a depth limit needs a minimum or a maximum"),
    (
        {"kind": "max_injections", "count": 0},
        "limits[0].count: a max_injections limit needs a count of 1 or more (got 0)",
    ),
    (
        {"kind": "max_concentration", "maximum": "10 mg/mL", "cap": "300 mg"},
        "limits[0].cap: is not used by a max_concentration limit",
    ),
    (
        {
            "kind": "max_per_kg",
            "maximum": "7 mg/kg",
            "with_ingredient": "epinephrine",
        },
        "limits[0].with_minimum: a limit that holds only with 'epinephrine' needs the least "
        "concentration at which it does. Give the lowest sourced strength, "
        "e.g. with_minimum = '1:200000'.",
    ),
    (
        {
            "kind": "max_per_kg",
            "maximum": "7 mg/kg",
            "with_ingredient": "epinephrine",
            "with_minimum": "0 mg/mL",
        },
        "limits[0].with_minimum: must be more than 0 (got '0 mg/mL'). "
        "Write a concentration like '20 mg/mL', '2 %' or '1:100000'.",
    ),
    (
        {"kind": "max_per_kg", "maximum": "7 mg/kg", "with_minimum": "1:200000"},
        "limits[0].with_minimum: is used only with with_ingredient",
    ),
    (
        {
            "kind": "max_per_kg",
            "maximum": "100 mg/kg",
            "with_ingredient": "lidocaine",
            "with_minimum": "0.001 mg/mL",
        },
        "limits[0].with_ingredient: names the limit's own ingredient 'lidocaine', so the limit "
        "would always hold and push aside the ingredient's plain limits. Name the other "
        "ingredient the limit needs, or leave with_ingredient out.",
    ),
]


@pytest.mark.parametrize(("change", "line"), PACK_CASES, ids=[c[1][:50] for c in PACK_CASES])
def test_bad_pack_limits(change: dict[str, Any], line: str) -> None:
    data = {"name": "p", "version": "1", "limits": [{**LIMIT, **change}]}
    assert problems(data, Pack) == [f"f.toml: {line}"]


CONTRAINDICATION = {
    "id": "ci",
    "code": "MR-CI",
    "severity": "major",
    "evidence": "label",
    "sources": ["s"],
    "fact": "age",
    "message": "m",
    "advice": "a",
}


@pytest.mark.parametrize(
    ("change", "line"),
    [
        ({"age_min": -1}, "contraindications[0].age_min: must be from 0 to 130 years (got -1)"),
        ({"age_max": 200}, "contraindications[0].age_max: must be from 0 to 130 years (got 200)"),
        (
            {"age_min": 65, "age_max": 18},
            "contraindications[0].age_min: 65 is more than age_max 18",
        ),
        ({"within_days": -3}, "contraindications[0].within_days: must be 0 or more (got -3)"),
    ],
)
def test_bad_contraindication_numbers(change: dict[str, Any], line: str) -> None:
    data = {"name": "p", "version": "1", "contraindications": [{**CONTRAINDICATION, **change}]}
    assert problems(data, Pack) == [f"f.toml: {line}"]


def test_the_built_in_catalog_has_no_bad_numbers(catalog: Any) -> None:
    records = [*catalog.contraindications, *(r for g in catalog.limits.values() for r in g)]
    assert [str(p) for r in records for p in problems_in(r, r.id)] == []


def test_contraindication_type_is_validated() -> None:
    rule = structure(CONTRAINDICATION, Contraindication)
    assert problems_in(attrs.evolve(rule, age_min=-1)) != []


# -- property: any number either validates to something usable or is a clean input error ----

NUMBERS = st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(10**6), 10**6)
UNITS = st.sampled_from(["mg/mL", "%", "mL", "mg", "kg", "g", "mm", "[iU]/mL", "mg/kg", "d"])


@settings(max_examples=60, derandomize=True, deadline=None)
@given(
    per_session=NUMBERS,
    strength=st.tuples(NUMBERS, UNITS),
    volume=st.tuples(NUMBERS, UNITS),
    points=st.integers(-5, 10**4),
)
def test_any_number_is_usable_or_an_input_error(
    per_session: float, strength: tuple[float, str], volume: tuple[float, str], points: int
) -> None:
    data = set_at(valid_formulation(), ("preparations", 0, "per_session"), per_session)
    data = set_at(data, (*COMPONENT, "strength"), f"{strength[0]} {strength[1]}")
    data = set_at(data, (*COMPONENT, "volume"), f"{volume[0]} {volume[1]}")
    data = set_at(data, ("use", "points"), points)
    try:
        f = structure(data, Formulation)
    except InputError as exc:
        assert exc.problems and all(p.key_path and p.message for p in exc.problems)
        return
    prep = f.preparations[0]
    comp = prep.components[0]
    assert math.isfinite(prep.per_session) and prep.per_session > 0
    assert comp.strength.dimension.denominator == "volume" and comp.strength.value > 0
    assert comp.volume.dimension == Dimension("volume") and 0 < comp.volume.value < math.inf
    assert f.use.points is not None and f.use.points >= 1


# -- plausible sessions, and points that agree with the syringes --------------------------------


@pytest.mark.parametrize("per_session", [1e-320, 1e-9, 0.009, 100.5, 1e6])
def test_implausible_per_session_is_refused(per_session):
    with pytest.raises(InputError) as info:
        formulation([("lidocaine", "2 %", "10 mL")], per_session=per_session)
    assert [p.key_path for p in info.value.problems] == ["preparations[0].per_session"]
    assert "must be from 0.01 to 100" in str(info.value)


@pytest.mark.parametrize("points", [10_001, 2**63 - 1])
def test_more_points_than_a_session_can_have_is_refused(points):
    with pytest.raises(InputError, match=r"use.points: must be from 1 to 10,000"):
        formulation([("lidocaine", "1 %", "2 mL")], use={"points": points})


def test_injecting_more_than_the_syringes_hold_is_a_contradiction():
    with pytest.raises(InputError) as info:
        formulation(
            [("lidocaine", "1 %", "2 mL")], use={"points": 200, "volume_per_point": "0.5 mL"}
        )
    assert [str(p).split(": ", 1)[1] for p in info.value.problems] == [
        "use: points x volume_per_point = 200 x 0.5 mL = 100 mL, but the preparations hold "
        "2 mL per session. Make them agree: the doses are computed from the preparations, so "
        "a session cannot inject more than they hold."
    ]


@pytest.mark.parametrize(("points", "per_session"), [(20, 1), (21, 1), (4, 1), (40, 2)])
def test_injecting_up_to_ten_percent_more_or_any_less_is_accepted(points, per_session):
    f = formulation(
        [("lidocaine", "1 %", "2 mL")],
        per_session=per_session,
        use={"points": points, "volume_per_point": "0.1 mL"},
    )
    assert f.use.points == points


# -- the session's date and region ---------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"date": dt.datetime(2026, 1, 10, 12)}, "date"),
        ({"date": "2026-01-10"}, "date"),
        ({"previous_session": dt.datetime(2026, 1, 1, 9)}, "previous_session"),
        ({"region": "\uff26\uff32"}, "region"),  # fullwidth FR
        ({"region": "F1"}, "region"),
        ({"region": 5}, "region"),
    ],
)
def test_check_refuses_a_bad_date_or_region_as_input(registry, kwargs, key):
    import mesoreg

    kwargs = {"date": DEFAULT_DATE, **kwargs}
    with pytest.raises(InputError) as info:
        mesoreg.check(formulation([("lidocaine", "1 %", "2 mL")]), registry=registry, **kwargs)
    assert [p.key_path for p in info.value.problems] == [key]


def test_a_whole_model_found_valid_is_not_walked_again(monkeypatch):
    import attrs

    from mesoreg.documents import _validate
    from mesoreg.testing import formulation

    walked: list[object] = []
    real = _validate._walk

    def counting(value, path):  # type: ignore[no-untyped-def]
        if not path:
            walked.append(value)
        return real(value, path)

    monkeypatch.setattr(_validate, "_walk", counting)
    model = formulation([("pyridoxine", "100 mg/mL", "1 mL")])  # validated as it is built
    walked.clear()
    assert _validate.problems_in(model) == []
    assert walked == []
    other = attrs.evolve(model)  # equal, another object
    assert _validate.problems_in(other) == []
    assert walked == [other]
    monkeypatch.setenv("MESOREG_CACHE", "0")
    assert _validate.problems_in(model) == []
    assert walked == [other, model]


def test_a_model_with_problems_is_walked_every_time():
    import attrs

    from mesoreg.documents import _validate
    from mesoreg.testing import patient

    bad = attrs.evolve(patient(), age=500)
    first = _validate.problems_in(bad)
    assert first and _validate.problems_in(bad) == first
