"""The strict converter: no coercion, every problem at once with its key path."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mesoreg import Formulation, InputError, Patient
from mesoreg.documents._convert import field_names, structure, unstructure


def valid_formulation() -> dict[str, Any]:
    """A small formulation that structures without problems."""
    return {
        "schema_version": 1,
        "id": "x",
        "version": 1,
        "title": "t",
        "use": {"area": "face", "technique": "nappage", "depth": "2 mm"},
        "preparations": [
            {
                "name": "syringe",
                "per_session": 1,
                "components": [
                    {"ingredient": "lidocaine", "strength": "1 %", "volume": "1 mL"},
                    {
                        "ingredient": "lidocaine",
                        "strength": "2 %",
                        "volume": "2 mL",
                        "co_ingredients": [{"ingredient": "epinephrine", "strength": "1:100000"}],
                    },
                ],
            }
        ],
        "authors": ["A"],
        "date": dt.date(2026, 11, 1),
    }


def problems_of(data: Any, kind: type[Any] = Formulation) -> list[str]:
    with pytest.raises(InputError) as info:
        structure(data, kind)
    return [str(p) for p in info.value.problems]


def test_valid_formulation_structures() -> None:
    formulation = structure(valid_formulation(), Formulation)
    component = formulation.preparations[0].components[1]
    assert component.co_ingredients[0].strength.value == pytest.approx(0.01)
    assert formulation.preparations[0].per_session == 1.0
    assert isinstance(formulation.preparations[0].per_session, float)


def test_unstructure_round_trip() -> None:
    formulation = structure(valid_formulation(), Formulation)
    assert structure(unstructure(formulation), Formulation) == formulation


def set_at(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(data)
    target: Any = data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return data


COMPONENT = ("preparations", 0, "components", 0)
WRONG = [
    (("version",), "1", "version: must be an integer (got '1')"),
    (("version",), True, "version: must be an integer (got True)"),
    (("version",), 1.0, "version: must be an integer (got 1.0)"),
    (("title",), 5, "title: must be a string (got 5)"),
    (("authors",), "A", "authors: must be a list (got 'A')"),
    (
        ("date",),
        "2026-11-01",
        "date: must be a TOML date like 2026-11-22, without quotes (got '2026-11-01')",
    ),
    (
        ("date",),
        dt.datetime(2026, 11, 1, 9, 0),
        "date: must be a TOML date like 2026-11-22, without quotes "
        "(got datetime.datetime(2026, 11, 1, 9, 0))",
    ),
    (("status",), "final", "status: must be one of draft, approved, retired (got 'final')"),
    (
        ("preparations", 0, "per_session"),
        "2",
        "preparations[0].per_session: must be a number (got '2')",
    ),
    (
        (*COMPONENT, "volume"),
        1,
        "preparations[0].components[0].volume: must be a quantity with its unit, "
        "as a string like '5 mL' (got 1)",
    ),
    pytest.param(
        (*COMPONENT, "volume"),
        "1",
        "preparations[0].components[0].volume: '1' is a number without a unit; "
        "add its unit, e.g. '1 mL' or '1 mg'",
        id="bare number string",
    ),
    (
        (*COMPONENT, "strength"),
        "1,5 %",
        "preparations[0].components[0].strength: '1,5 %': write numbers with a point for "
        "decimals and no thousands separators, e.g. '1000 mg' or '0.5 mL'",
    ),
    (
        ("use", "depth"),
        "2 parsecs",
        "use.depth: unknown unit 'parsecs' in '2 parsecs'; use mg, mcg, g, mL, %, mg/mL, "
        "mg/kg, [iU], [USP'U] or a ratio like 1:100000",
    ),
    (
        ("preparations", 0, "components", 1, "co_ingredients", 0, "ingredent"),
        "x",
        "preparations[0].components[1].co_ingredients[0].ingredent: "
        "unknown key 'ingredent'. Did you mean 'ingredient'?",
    ),
    (
        ("use", "zzz"),
        1,
        "use.zzz: unknown key 'zzz'. Allowed keys: area, technique, route, purpose, depth, points, "
        "volume_per_point.",
    ),
    (("preparations",), {"name": "x"}, "preparations: must be a list (got {'name': 'x'})"),
]


@pytest.mark.parametrize(
    ("path", "value", "message"),
    WRONG,
    ids=[w.id if hasattr(w, "id") else w[2][:40] for w in WRONG],
)
def test_wrong_values(path: tuple[Any, ...], value: Any, message: str) -> None:
    assert problems_of(set_at(valid_formulation(), path, value)) == [message]


def test_not_a_table() -> None:
    with pytest.raises(InputError) as info:
        structure(["x"], Formulation, path="f.toml")  # type: ignore[arg-type]
    assert str(info.value) == "f.toml: expected a table (got ['x'])"


def test_every_problem_at_once_in_key_path_order() -> None:
    data = set_at(valid_formulation(), ("version",), "1")
    data = set_at(data, ("title",), 2)
    data = set_at(data, (*COMPONENT, "strength"), 10)
    assert problems_of(data) == [
        "version: must be an integer (got '1')",
        "title: must be a string (got 2)",
        "preparations[0].components[0].strength: must be a quantity with its unit, "
        "as a string like '5 mL' (got 10)",
    ]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (("title",), "title: required key is missing"),
        (("use", "area"), "use.area: required key is missing"),
        ((*COMPONENT, "volume"), "preparations[0].components[0].volume: required key is missing"),
    ],
)
def test_missing_key(path: tuple[Any, ...], message: str) -> None:
    data = valid_formulation()
    target: Any = data
    for step in path[:-1]:
        target = target[step]
    del target[path[-1]]
    assert problems_of(data) == [message]


def test_patient_unknown_versus_none() -> None:
    unknown = structure({"schema_version": 1}, Patient)
    none = structure({"schema_version": 1, "conditions": [], "medications": []}, Patient)
    assert unknown.conditions is None
    assert unknown.medications is None
    assert none.conditions == ()
    assert none.medications == ()


def test_field_names_leave_out_origin() -> None:
    assert "origin" not in field_names(Formulation)
    assert field_names(Patient)[0] == "schema_version"


# -- junk in, InputError out --------------------------------------------------

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.dates()
    | st.datetimes()
    | st.sampled_from(["2 %", "5 mL", "1:100000", "10 [iU]", "draft", "nappage", "mg", "1"])
)
KEYS = st.sampled_from(
    [
        *field_names(Formulation),
        "area",
        "technique",
        "depth",
        "points",
        "name",
        "per_session",
        "components",
        "ingredient",
        "strength",
        "volume",
        "co_ingredients",
    ]
) | st.text(max_size=8)
JUNK = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS, JUNK, max_size=10))
def test_junk_only_raises_input_error(data: dict[str, Any]) -> None:
    try:
        structure(data, Formulation)
    except InputError as exc:
        assert exc.problems
        assert all(p.message for p in exc.problems)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _paths(value, (*prefix, index))
    return found


VALID_PATHS = _paths(valid_formulation())


@settings(max_examples=300, deadline=None)
@given(path=st.sampled_from(VALID_PATHS), junk=JUNK)
def test_junk_in_a_valid_formulation_only_raises_input_error(
    path: tuple[Any, ...], junk: Any
) -> None:
    data = set_at(valid_formulation(), path, junk)
    try:
        structure(data, Formulation)
    except InputError as exc:
        assert exc.problems
