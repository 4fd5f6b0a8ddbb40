"""Quantities: spellings, base-unit values, clean errors, and units that never convert."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mesoreg import UnitError, parse_quantity
from mesoreg.documents._quantity import MAX_QUANTITY_LENGTH, Dimension, parse_unit

# (text, value in the base unit, base unit)
PARSED = [
    ("2 %", 20.0, "mg/mL"),
    ("20 mg/mL", 20.0, "mg/mL"),
    ("150 [USP'U]/mL", 150.0, "[USP'U]/mL"),
    ("150 USP units/mL", 150.0, "[USP'U]/mL"),
    ("1:100000", 0.01, "mg/mL"),
    ("1:100,000", 0.01, "mg/mL"),
    ("1:1,000", 1.0, "mg/mL"),
    ("5 mL", 5.0, "mL"),
    ("0.5 L", 500.0, "mL"),
    ("500 mcg", 0.5, "mg"),
    ("500 µg", 0.5, "mg"),
    ("500 ug", 0.5, "mg"),
    ("4.5 mg/kg", 4.5, "mg/kg"),
    ("10 [iU]", 10.0, "[iU]"),
    ("10 IU", 10.0, "[iU]"),
    ("2 mm", 2.0, "mm"),
    ("7 d", 7.0, "d"),
    ("2 weeks", 14.0, "d"),
    # a month is the longest month, so "at least 1 month apart" never passes early
    ("1 month", 31.0, "d"),
    ("1000 mcg/mL", 1.0, "mg/mL"),
    # the spellings pharmacists use for grams per 100 mL
    ("2 % w/v", 20.0, "mg/mL"),
    ("2 %w/v", 20.0, "mg/mL"),
    ("2% w/v", 20.0, "mg/mL"),
    ("2 % m/v", 20.0, "mg/mL"),
    ("2 % (w/v)", 20.0, "mg/mL"),
    ("2 % W/V", 20.0, "mg/mL"),
    ("2 w/v %", 20.0, "mg/mL"),
    ("2 g/100 mL", 20.0, "mg/mL"),
    ("2 g/100mL", 20.0, "mg/mL"),
    # an ampoule's strength, written per its own volume
    ("40 mg/2 mL", 20.0, "mg/mL"),
]


@pytest.mark.parametrize(("text", "value", "unit"), PARSED, ids=[p[0] for p in PARSED])
def test_parse_quantity(text: str, value: float, unit: str) -> None:
    quantity = parse_quantity(text)
    assert quantity.value == pytest.approx(value)
    assert quantity.unit == unit
    assert str(quantity) == text  # what the user wrote is kept for messages


SEPARATORS = (
    "write numbers with a point for decimals and no thousands separators, "
    "e.g. '1000 mg' or '0.5 mL'"
)
ERRORS = [
    pytest.param(
        "20",
        "'20' is a number without a unit; add its unit, e.g. '20 mL' or '20 mg'",
        id="'20'",
    ),
    pytest.param(
        "0.5",
        "'0.5' is a number without a unit; add its unit, e.g. '0.5 mL' or '0.5 mg'",
        id="'0.5'",
    ),
    # "1,000 mg" could mean 1 mg or 1000 mg: refused rather than guessed
    ("-5 mL", "'-5 mL' is negative; amounts, volumes and strengths cannot be"),
    ("1,000 mg", f"'1,000 mg': {SEPARATORS}"),
    ("1,5 mg", f"'1,5 mg': {SEPARATORS}"),
    ("1 000 mg", f"'1 000 mg': {SEPARATORS}"),
    ("1e400 mL", "'1e400 mL' is not a finite number"),
    ("mg", "'mg' has a unit but no number; write the number too, e.g. '20 mg'"),
    ("", "empty quantity; write a number and its unit, e.g. '5 mL'"),
    ("   ", "empty quantity; write a number and its unit, e.g. '5 mL'"),
    (
        "20 furlongs",
        "unknown unit 'furlongs' in '20 furlongs'; use mg, mcg, g, mL, %, mg/mL, mg/kg, "
        "[iU], [USP'U] or a ratio like 1:100000",
    ),
    (20, "expected a quantity with its unit as a string, like '20 mg/mL' (got 20)"),
    (None, "expected a quantity with its unit as a string, like '20 mg/mL' (got None)"),
    ("1:0", "ratio '1:0' must have a positive denominator"),
    # not mass per volume: never read as % w/v
    (
        "2 % w/w",
        "'2 % w/w': '% w/w' is g per 100 g, not mass per volume: a strength must be mass "
        "per volume; write '% w/v' (g/100 mL) or mg/mL",
    ),
    (
        "2 %m/m",
        "'2 %m/m': '%m/m' is g per 100 g, not mass per volume: a strength must be mass "
        "per volume; write '% w/v' (g/100 mL) or mg/mL",
    ),
    (
        "2 % v/v",
        "'2 % v/v': '% v/v' is mL per 100 mL, not mass per volume: a strength must be mass "
        "per volume; write '% w/v' (g/100 mL) or mg/mL",
    ),
    (
        "2 % v/w",
        "'2 % v/w': '% v/w' is mL per 100 g, not mass per volume: a strength must be mass "
        "per volume; write '% w/v' (g/100 mL) or mg/mL",
    ),
    (
        "2 % x/v",
        "'2 % x/v': unknown percentage '% x/v': write '% w/v' (grams per 100 mL) or a unit "
        "like mg/mL",
    ),
    (
        "1 mg/0 mL",
        "unknown unit 'mg/0 mL' in '1 mg/0 mL'; use mg, mcg, g, mL, %, mg/mL, mg/kg, "
        "[iU], [USP'U] or a ratio like 1:100000",
    ),
]


@pytest.mark.parametrize(
    ("text", "message"),
    ERRORS,
    ids=[e.id if hasattr(e, "id") else repr(e[0]) for e in ERRORS],
)
def test_parse_quantity_errors(text: object, message: str) -> None:
    with pytest.raises(UnitError) as info:
        parse_quantity(text)  # type: ignore[arg-type]
    assert str(info.value) == message


@pytest.mark.parametrize(
    "unit", ["furlongs", "mg/s", "d/mL", "mm/kg", "", "mg/", "mg/100 kg", "mg/2 d"]
)
def test_parse_unit_rejects(unit: str) -> None:
    with pytest.raises(UnitError) as info:
        parse_unit(unit)
    assert str(info.value) == f"unknown unit {unit.strip()!r}"


ARBITRARY = "enzyme and hormone units (IU, USP units) never convert to mass or to each other"


@pytest.mark.parametrize(
    ("text", "target", "message"),
    [
        ("10 [iU]", Dimension("mass"), f"cannot convert 10 [iU] ([iU]) to mg: {ARBITRARY}"),
        (
            "10 [iU]",
            Dimension("[USP'U]"),
            f"cannot convert 10 [iU] ([iU]) to [USP'U]: {ARBITRARY}",
        ),
        (
            "150 [USP'U]",
            Dimension("[iU]"),
            f"cannot convert 150 [USP'U] ([USP'U]) to [iU]: {ARBITRARY}",
        ),
        (
            "150 USP units/mL",
            Dimension("mass", "volume"),
            f"cannot convert 150 USP units/mL ([USP'U]/mL) to mg/mL: {ARBITRARY}",
        ),
        ("5 mg", Dimension("[iU]"), f"cannot convert 5 mg (mg) to [iU]: {ARBITRARY}"),
        ("5 mL", Dimension("mass"), "cannot convert 5 mL (mL) to mg"),
    ],
)
def test_units_that_never_convert(text: str, target: Dimension, message: str) -> None:
    with pytest.raises(UnitError) as info:
        parse_quantity(text).to(target)
    assert str(info.value) == message


def test_adding_iu_to_mg_raises() -> None:
    with pytest.raises(UnitError, match="never convert to mass"):
        parse_quantity("5 mg") + parse_quantity("10 IU")


def test_conversion_within_a_dimension() -> None:
    assert parse_quantity("1 g").to(Dimension("mass")).value == 1000.0
    total = parse_quantity("500 mcg") + parse_quantity("1 mg")
    assert total.value == pytest.approx(1.5)
    assert total.unit == "mg"


def test_concentration_times_volume_is_an_amount() -> None:
    amount = parse_quantity("2 %") * parse_quantity("5 mL")
    assert amount.value == pytest.approx(100.0)
    assert amount.unit == "mg"
    units = parse_quantity("150 [USP'U]/mL") * parse_quantity("2 mL")
    assert (units.value, units.unit) == (pytest.approx(300.0), "[USP'U]")


def test_mass_times_mass_raises() -> None:
    with pytest.raises(UnitError) as info:
        parse_quantity("5 mg") * parse_quantity("2 mg")
    assert str(info.value) == "cannot multiply 5 mg by 2 mg"


# unit spellings and their factor to the base unit, written out independently of the table
UNITS = [
    ("mg", 1.0),
    ("g", 1000.0),
    ("kg", 1e6),
    ("mcg", 1e-3),
    ("ug", 1e-3),
    ("µg", 1e-3),
    ("mL", 1.0),
    ("L", 1000.0),
    ("dL", 100.0),
    ("uL", 1e-3),
    ("mm", 1.0),
    ("cm", 10.0),
    ("%", 10.0),
    ("mg/mL", 1.0),
    ("g/L", 1.0),
    ("mcg/mL", 1e-3),
    ("g/dL", 10.0),
    ("mg/kg", 1.0),
    ("[iU]", 1.0),
    ("IU/mL", 1.0),
    ("[USP'U]/mL", 1.0),
    ("USP units", 1.0),
    ("d", 1.0),
    ("week", 7.0),
    ("months", 31.0),
]


@given(
    value=st.floats(min_value=1e-4, max_value=1e6, allow_nan=False, allow_infinity=False),
    unit=st.sampled_from(UNITS),
)
def test_round_trip(value: float, unit: tuple[str, float]) -> None:
    spelling, factor = unit
    quantity = parse_quantity(f"{value} {spelling}")
    assert math.isclose(quantity.value, value * factor, rel_tol=1e-12)
    assert parse_quantity(f"{value}{spelling}") == quantity  # the space is optional
    # the base-unit spelling reads back to the same quantity
    again = parse_quantity(f"{quantity.value!r} {quantity.unit}")
    assert math.isclose(again.value, quantity.value, rel_tol=1e-12)
    assert again.dimension == quantity.dimension


# -- bounded work on hostile input ----------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "1" * 40_000,
        "1 mg" + " " * 40_000 + "x",  # made the old '(.*?)\\s*$' backtrack quadratically
        "1:1" + " " * 40_000 + "x",
        "2 %" + " " * (MAX_QUANTITY_LENGTH - 2),
    ],
    ids=["digits", "unit-then-spaces", "ratio-then-spaces", "one-over-the-limit"],
)
def test_a_quantity_longer_than_the_limit_is_refused(text: str) -> None:
    with pytest.raises(UnitError) as info:
        parse_quantity(text)
    assert str(info.value) == (
        f"{text[:20]!r}... is {len(text)} characters long; a quantity is at most "
        f"{MAX_QUANTITY_LENGTH} characters: write only a number and its unit, like '20 mg/mL'"
    )


def test_a_quantity_at_the_limit_is_read() -> None:
    text = "2 %" + " " * (MAX_QUANTITY_LENGTH - 3)
    assert parse_quantity(text).value == 20.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1 mg" + " " * 40 + "x", f"unknown unit {'mg' + ' ' * 40 + 'x'!r} in "),
        ("1:1" + " " * 40 + "x", f"unknown unit {':1' + ' ' * 40 + 'x'!r} in "),
        ("1 mg\nx", "unknown unit 'mg\\nx' in '1 mg\\nx'"),
        ("\x1b[2K1 mg", "'\\x1b[2K1 mg' has a unit but no number"),
    ],
    ids=["spaces-in-unit", "spaces-in-ratio", "newline", "escape"],
)
def test_shapes_that_used_to_backtrack_give_the_usual_errors(text: str, message: str) -> None:
    with pytest.raises(UnitError) as info:
        parse_quantity(text)
    assert str(info.value).startswith(message)


@settings(max_examples=200, derandomize=True)
@given(st.text(max_size=MAX_QUANTITY_LENGTH + 8))
def test_any_text_is_a_quantity_or_a_unit_error(text: str) -> None:
    try:
        quantity = parse_quantity(text)
    except UnitError as exc:
        assert "\n" not in str(exc)  # one line, whatever the input holds
    else:
        assert math.isfinite(quantity.value)
        assert len(text) <= MAX_QUANTITY_LENGTH


def test_format_number_shows_non_finite_values_instead_of_crashing() -> None:
    from mesoreg.documents._quantity import format_number

    assert [format_number(x) for x in (float("inf"), float("-inf"), float("nan"))] == [
        "inf",
        "-inf",
        "nan",
    ]


def test_a_strength_in_w_w_is_refused_in_a_formulation() -> None:
    from mesoreg import InputError
    from mesoreg.testing import formulation

    with pytest.raises(InputError) as info:
        formulation([("lidocaine", "2 % w/w", "1 mL")])
    assert str(info.value) == (
        "<test formulation>: preparations[0].components[0].strength: '2 % w/w': '% w/w' is "
        "g per 100 g, not mass per volume: a strength must be mass per volume; write '% w/v' "
        "(g/100 mL) or mg/mL"
    )
