"""Resolving a formulation: numbers validated first, nothing computed from a bad one."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

from mesoreg import Context, InputError
from mesoreg._quantity import Dimension, Quantity
from mesoreg._subject import resolve
from mesoreg.testing import DEFAULT_DATE, formulation

CONTEXT = Context(DEFAULT_DATE)


def test_a_model_built_in_code_is_validated_before_anything_is_computed(catalog):
    f = formulation([("lidocaine", "2 %", "5 mL")])
    prep = attrs.evolve(f.preparations[0], per_session=float("nan"))
    bad = attrs.evolve(f, preparations=(prep,))
    with pytest.raises(InputError) as info:
        resolve(bad, None, CONTEXT, catalog)
    assert str(info.value) == (
        "<test formulation>: preparations[0].per_session: must be a finite number (got nan). "
        "Give how many of this preparation one session uses, e.g. 1 or 2."
    )


def test_bad_numbers_and_unknown_names_are_reported_together(catalog):
    f = formulation([("lidocaine", "2 %", "5 mL")], [("pyridoxin", "100 mg/mL", "1 mL")])
    comp = attrs.evolve(f.preparations[0].components[0], volume=Quantity(0.0, Dimension("volume")))
    prep = attrs.evolve(f.preparations[0], components=(comp,))
    bad = attrs.evolve(f, preparations=(prep, f.preparations[1]))
    with pytest.raises(InputError) as info:
        resolve(bad, None, CONTEXT, catalog)
    keys = [p.key_path for p in info.value.problems]
    assert keys == [
        "preparations[0].components[0].volume",
        "preparations[1].components[0].ingredient",
    ]


def test_numbers_too_large_to_compute_with_are_refused(catalog):
    # each number is finite, but the total volume overflows to infinity
    f = formulation([("lidocaine", "2 %", "1e308 mL"), ("saline", "0.9 %", "1e308 mL")])
    with pytest.raises(InputError) as info:
        resolve(f, None, CONTEXT, catalog)
    assert str(info.value).splitlines() == [
        "<test formulation>: preparations[0].components[0]: its amount or concentration "
        "is too large to compute with. Check the strengths and volumes.",
        "<test formulation>: preparations[0].components[1]: its amount or concentration "
        "is too large to compute with. Check the strengths and volumes.",
    ]


def test_previous_session_prefers_the_context(catalog):
    f = formulation([("pyridoxine", "100 mg/mL", "1 mL")])
    day = dt.date(2026, 11, 10)
    subject = resolve(f, None, Context(DEFAULT_DATE, None, day), catalog)
    assert subject.previous_session == day
