"""Resolving a formulation: numbers validated first, nothing computed from a bad one."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

from mesoreg import Context, InputError, Verdict
from mesoreg.checks._subject import resolve
from mesoreg.documents._quantity import Dimension, Quantity
from mesoreg.testing import DEFAULT_DATE, HEALTHY, check_with, formulation, patient

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


# -- one concentration per ingredient and syringe ----------------------------------------------

SUBMENTAL = {
    "area": "submental",
    "technique": "point_by_point",
    "route": "subcutaneous",
    "depth": "6 mm",
    "points": 20,
}


@pytest.mark.parametrize(
    "components",
    [
        [("deoxycholic acid", "20 mg/mL", "2 mL")],
        [("deoxycholic acid", "20 mg/mL", "1 mL"), ("Kybella", "20 mg/mL", "1 mL")],
        [
            {
                "ingredient": "deoxycholic acid",
                "strength": "10 mg/mL",
                "volume": "2 mL",
                "co_ingredients": [{"ingredient": "sodium deoxycholate", "strength": "10 mg/mL"}],
            }
        ],
    ],
    ids=["whole", "two-components", "component-and-co-ingredient"],
)
def test_an_ingredient_drawn_twice_is_one_concentration(registry, components):
    """Splitting one stock into parts (any of its names) never halves its concentration."""
    f = formulation(components, use=SUBMENTAL)
    subject = resolve(f, None, Context(DEFAULT_DATE), registry.catalog)
    (dose,) = subject.preparations[0].doses
    assert dose.concentration.value == pytest.approx(20.0)
    assert dose.amount.value == pytest.approx(40.0)
    report = check_with(f, patient(HEALTHY), registry=registry)
    assert "MR-DOSE-DEOXYCHOLIC-CONCENTRATION" in {x.code for x in report.findings}
    assert report.verdict is Verdict.FAIL


def test_parts_of_one_ingredient_in_units_that_cannot_be_added_are_refused(registry):
    f = formulation(
        [("hyaluronidase", "150 [USP'U]/mL", "1 mL"), ("hyaluronidase", "1 mg/mL", "1 mL")]
    )
    with pytest.raises(InputError, match=r"components\[1\]: Hyaluronidase is also at"):
        resolve(f, None, Context(DEFAULT_DATE), registry.catalog)
