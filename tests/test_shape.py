"""Records built by plugin code are checked against their declared types, all the way down."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import attrs
import pytest

from mesoreg import Check, Evidence, Finding, Pack, Severity
from mesoreg.documents._knowledge import Ingredient
from mesoreg.host._shape import shape_problems

FINDING = Finding(Severity.MINOR, "MR-X", "x", "m", "a", "e", Evidence.LABEL)
THING = Ingredient(id="thing", name="Thing", classes=("vitamin",), sources=("s",))


class SubFinding(Finding):
    pass


def test_well_formed_records_pass(catalog):
    assert shape_problems(FINDING, Finding) == []
    assert shape_problems(Pack(name="p", version="1", ingredients=(THING,)), Pack) == []


@pytest.mark.parametrize(
    ("value", "kind", "problems"),
    [
        (
            attrs.evolve(FINDING, severity="minor"),
            Finding,
            ["Finding.severity: must be Severity (got str 'minor')"],
        ),
        (
            Pack(name="p", version="1", ingredients=(attrs.evolve(THING, classes="vitamin"),)),
            Pack,
            ["Pack.ingredients[0].classes: must be a tuple (got str 'vitamin')"],
        ),
        (
            Pack(name="p", version="1", ingredients=[THING]),  # type: ignore[arg-type]
            Pack,
            ["Pack.ingredients: must be a tuple (got list)"],
        ),
        (
            attrs.evolve(FINDING, components=("a", 1), code=None),
            Finding,
            [
                "Finding.code: must be str (got NoneType None)",
                "Finding.components[1]: must be str (got int 1)",
            ],
        ),
        (
            SubFinding(Severity.MINOR, "MR-X", "x", "m", "a", "e", Evidence.LABEL),
            Finding,
            ["Finding: must be Finding (got SubFinding)"],
        ),
        (
            Check("c", "d", "not callable"),
            Check,
            ["Check.run: must be callable (got str 'not callable')"],
        ),
        (
            Check("c", "d", print, needs_patient=1),  # type: ignore[arg-type]
            Check,
            ["Check.needs_patient: must be bool (got int 1)"],
        ),
    ],
    ids=[
        "string-severity",
        "string-for-tuple",
        "list-for-tuple",
        "wrong-items",
        "subclass",
        "not-callable",
        "int-for-bool",
    ],
)
def test_malformed_records(value, kind, problems):
    assert shape_problems(value, kind) == problems


def test_many_problems_are_counted():
    bad = attrs.evolve(FINDING, code=1, rule=2, message=3, advice=4, evidence=5)
    problems = shape_problems(bad, Finding)
    assert len(problems) == 4
    assert problems[-1] == "and 2 more problems"


@attrs.frozen
class _Table:
    rows: Mapping[str, int]


class _LoudDict(dict):  # type: ignore[type-arg]
    def items(self):  # type: ignore[no-untyped-def]
        raise SystemExit(0)


@pytest.mark.parametrize(
    ("rows", "problems"),
    [
        ({"a": 1}, []),
        (_LoudDict(a=1), ["_Table.rows: must be a dict (got _LoudDict)"]),
        (MappingProxyType({"a": 1}), ["_Table.rows: must be a dict (got mappingproxy)"]),
    ],
    ids=["dict", "dict-subclass", "mapping-view"],
)
def test_a_mapping_must_be_exactly_a_dict(rows, problems):
    assert shape_problems(_Table(rows), _Table) == problems


class _Loud:
    def __repr__(self) -> str:
        raise SystemExit(0)


def test_a_problem_never_shows_a_plugin_objects_repr():
    assert shape_problems(attrs.evolve(FINDING, code=_Loud()), Finding) == [
        "Finding.code: must be str (got _Loud)"
    ]
