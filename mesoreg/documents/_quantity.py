"""Quantities: a small table-driven unit module.

mesoreg needs few conversions (mass, volume, length, a handful of
concentrations, enzyme and hormone units and per-kg doses), while pint costs
about 280 ms to import and build a registry, longer than a whole check.  So
units are a table: each unit is a factor to a base unit of one *dimension*.
Quantities of different dimensions never convert: ``150 [USP'U]`` has no mass,
and neither IU nor USP units convert to each other.

Accepted spellings include the UCUM codes (``mg``, ``ug``, ``mL``, ``[iU]``,
``[USP'U]``, ``mg/mL``, ``mg/kg``), common ones (``mcg``, ``µg``, ``IU``,
``USP units``), percentages meaning grams per 100 mL (``2 %``, ``2 % w/v``,
``2 % m/v``, ``2 %w/v``, ``2 g/100 mL`` = 20 mg/mL), a volume denominator with
its own amount (``40 mg/2 mL``) and ratios for adrenaline strengths
(``1:100000`` = 1 g in 100,000 mL).  ``% w/w`` and ``% v/v`` are refused: they
are not mass per volume, and no density is known to convert them.

Limits (hostile input must cost little): a quantity is at most
:data:`MAX_QUANTITY_LENGTH` characters; a longer string is a :class:`UnitError`
before any pattern runs.  The patterns are matched on the stripped text and have
no nested or overlapping quantifiers, so each runs in time linear in its input.
"""

from __future__ import annotations

import functools
import math
import re
from typing import Final

import attrs

from mesoreg._errors import UnitError

#: unit spelling -> (dimension, factor to the dimension's base unit)
_SIMPLE: Final[dict[str, tuple[str, float]]] = {
    # mass, base mg
    "kg": ("mass", 1e6),
    "g": ("mass", 1e3),
    "mg": ("mass", 1.0),
    "ug": ("mass", 1e-3),
    "mcg": ("mass", 1e-3),
    "µg": ("mass", 1e-3),
    "μg": ("mass", 1e-3),
    # volume, base mL
    "L": ("volume", 1e3),
    "l": ("volume", 1e3),
    "dL": ("volume", 1e2),
    "mL": ("volume", 1.0),
    "ml": ("volume", 1.0),
    "uL": ("volume", 1e-3),
    "µL": ("volume", 1e-3),
    # length, base mm
    "cm": ("length", 10.0),
    "mm": ("length", 1.0),
    # area, base cm2
    "cm2": ("area", 1.0),
    "cm^2": ("area", 1.0),
    "cm²": ("area", 1.0),
    # arbitrary units: each is its own dimension, never converted to mass
    "[iU]": ("[iU]", 1.0),
    "[IU]": ("[iU]", 1.0),
    "IU": ("[iU]", 1.0),
    "[USP'U]": ("[USP'U]", 1.0),
    "USP": ("[USP'U]", 1.0),
    "USP units": ("[USP'U]", 1.0),
    "USP U": ("[USP'U]", 1.0),
    "U": ("[U]", 1.0),
    # time, base day
    "d": ("time", 1.0),
    "day": ("time", 1.0),
    "days": ("time", 1.0),
    "wk": ("time", 7.0),
    "week": ("time", 7.0),
    "weeks": ("time", 7.0),
    # a month is taken as 31 days, the longest, so "no less than 1 month apart" never passes early
    "month": ("time", 31.0),
    "months": ("time", 31.0),
}

#: the unit each dimension is shown in
_BASE: Final[dict[str, str]] = {
    "mass": "mg",
    "volume": "mL",
    "length": "mm",
    "area": "cm2",
    "time": "d",
    "[iU]": "[iU]",
    "[USP'U]": "[USP'U]",
    "[U]": "[U]",
}

#: what a denominator means: volume for concentrations, body mass for per-kg doses
_DENOMINATOR: Final[dict[str, tuple[str, float]]] = {
    "mL": ("volume", 1.0),
    "ml": ("volume", 1.0),
    "L": ("volume", 1e3),
    "dL": ("volume", 1e2),
    "kg": ("body_mass", 1.0),
    "cm2": ("area", 1.0),
    "cm^2": ("area", 1.0),
    "cm²": ("area", 1.0),
}
_DENOMINATOR_BASE: Final[dict[str, str]] = {"volume": "mL", "body_mass": "kg", "area": "cm2"}

#: longest quantity accepted, in characters: '1:100000', '150 [USP'U]/mL' and
#: '0.0005 mg/kg' are far shorter; anything longer is a mistake or an attack
MAX_QUANTITY_LENGTH: Final = 64

# Matched with fullmatch() on text already stripped of surrounding white space:
# no pattern ends in an optional part that competes with the one before it, so
# none can backtrack quadratically (the old '(.*?)\s*$' did).
_NUMBER = r"[-+]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?"
_QUANTITY_RE: Final = re.compile(rf"({_NUMBER})\s*(.*)", re.DOTALL)
_RATIO_RE: Final = re.compile(r"1\s*:\s*(\d[\d ,_]*)")
# '% w/v', '%w/v', '% (m/v)', 'w/v %', '% W/V': a percentage with what it is a part of
_PERCENT_RE: Final = re.compile(
    r"%\s*\(?\s*([a-z])\s*/\s*([a-z])\s*\)?|\(?\s*([a-z])\s*/\s*([a-z])\s*\)?\s*%",
    re.IGNORECASE,
)
# 'g/100 mL', 'mg/2 mL': a volume denominator with its own number
_PER_VOLUME_RE: Final = re.compile(r"(\d+(?:\.\d+)?)\s*([a-zA-Z]+)")
_PERCENT_KINDS: Final = {"w": "mass", "m": "mass", "v": "volume"}


@attrs.frozen(order=True)
class Dimension:
    """What a quantity measures: a numerator dimension, optionally per a denominator."""

    numerator: str
    denominator: str | None = None

    def __str__(self) -> str:
        base = _BASE.get(self.numerator, self.numerator)
        if self.denominator is None:
            return base
        return f"{base}/{_DENOMINATOR_BASE[self.denominator]}"


@attrs.frozen(order=True)
class Quantity:
    """A value in the base unit of its dimension (mg, mL, mm, mg/mL, mg/kg, ...).

    ``text`` keeps what the user wrote, for messages and round trips.
    """

    value: float
    dimension: Dimension
    text: str = attrs.field(default="", eq=False, order=False)

    @property
    def unit(self) -> str:
        """The base unit's spelling, e.g. ``mg/mL``."""
        return str(self.dimension)

    def __str__(self) -> str:
        return self.text or f"{format_number(self.value)} {self.unit}"

    def __mul__(self, other: Quantity | float) -> Quantity:
        if isinstance(other, int | float):
            return Quantity(self.value * other, self.dimension)
        d1, d2 = self.dimension, other.dimension
        # concentration x volume -> amount
        if d1.denominator == "volume" and d2 == Dimension("volume"):
            return Quantity(self.value * other.value, Dimension(d1.numerator))
        if d2.denominator == "volume" and d1 == Dimension("volume"):
            return Quantity(self.value * other.value, Dimension(d2.numerator))
        raise UnitError(f"cannot multiply {self} by {other}")

    def __add__(self, other: Quantity) -> Quantity:
        return Quantity(self.value + other.to(self.dimension).value, self.dimension)

    def to(self, dimension: Dimension) -> Quantity:
        """This quantity in ``dimension``; :class:`UnitError` if it does not convert."""
        if dimension != self.dimension:
            raise UnitError(describe_mismatch(self, dimension))
        return self


def describe_mismatch(quantity: Quantity, dimension: Dimension) -> str:
    """Why ``quantity`` cannot be expressed in ``dimension``."""
    arbitrary = {"[iU]", "[USP'U]", "[U]"}
    text = f"cannot convert {quantity} ({quantity.unit}) to {dimension}"
    if {quantity.dimension.numerator, dimension.numerator} & arbitrary:
        text += ": enzyme and hormone units (IU, USP units) never convert to mass or to each other"
    return text


def format_number(value: float) -> str:
    """A number as a pharmacist writes it: no trailing zeros, up to 4 significant decimals."""
    if not math.isfinite(value):  # never valid input, but messages must still show it
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}" if abs(value) < 1e-3 else f"{value:.4f}".rstrip("0").rstrip(".")


def _percent(unit: str) -> tuple[Dimension, float] | None:
    """A qualified percentage: ``% w/v`` and ``% m/v`` are grams per 100 mL; others refused.

    ``% w/w`` (grams per 100 g) and ``% v/v`` (mL per 100 mL) are not mass per volume,
    and no density is known to convert them: they are refused, never read as ``% w/v``.
    """
    found = _PERCENT_RE.fullmatch(unit)
    if found is None:
        return None
    num, den = (g.casefold() for g in found.groups() if g is not None)
    if _PERCENT_KINDS.get(num) == "mass" and _PERCENT_KINDS.get(den) == "volume":
        return Dimension("mass", "volume"), 10.0
    if num not in _PERCENT_KINDS or den not in _PERCENT_KINDS:
        raise UnitError(
            f"unknown percentage {unit!r}: write '% w/v' (grams per 100 mL) or a unit like mg/mL"
        )
    per = {"mass": "g", "volume": "mL"}
    top, bottom = per[_PERCENT_KINDS[num]], per[_PERCENT_KINDS[den]]
    raise UnitError(
        f"{unit!r} is {top} per 100 {bottom}, not mass per volume: "
        "a strength must be mass per volume; write '% w/v' (g/100 mL) or mg/mL"
    )


def parse_unit(unit: str) -> tuple[Dimension, float]:
    """Read a unit spelling; returns the dimension and the factor to its base unit."""
    unit = unit.strip()
    if unit in _SIMPLE:
        dim, factor = _SIMPLE[unit]
        return Dimension(dim), factor
    if unit == "%":  # w/v: grams per 100 mL
        return Dimension("mass", "volume"), 10.0
    percent = _percent(unit)
    if percent is not None:
        return percent
    if "/" in unit:
        num, _, den = unit.partition("/")
        num, den = num.strip(), den.strip().strip("()")
        per = 1.0
        counted = _PER_VOLUME_RE.fullmatch(den)
        if counted and _DENOMINATOR.get(counted.group(2), ("",))[0] == "volume":
            # 'g/100 mL': the denominator carries its own amount
            per, den = float(counted.group(1)), counted.group(2)
        if num in _SIMPLE and den in _DENOMINATOR and per > 0:
            ndim, nfactor = _SIMPLE[num]
            ddim, dfactor = _DENOMINATOR[den]
            if ndim not in ("time", "length", "area", ddim):
                return Dimension(ndim, ddim), nfactor / (dfactor * per)
    raise UnitError(f"unknown unit {unit!r}")


def parse_quantity(text: str) -> Quantity:
    """Read ``"2 %"``, ``"20 mg/mL"``, ``"150 [USP'U]/mL"``, ``"1:100000"``, ``"5 mL"``.

    A number without a unit, a unit without a number, or a text longer than
    :data:`MAX_QUANTITY_LENGTH` characters is an error.
    """
    if not isinstance(text, str):
        raise UnitError(
            f"expected a quantity with its unit as a string, like '20 mg/mL' (got {text!r})"
        )
    if len(text) > MAX_QUANTITY_LENGTH:
        raise UnitError(
            f"{text[:20]!r}... is {len(text)} characters long; a quantity is at most "
            f"{MAX_QUANTITY_LENGTH} characters: write only a number and its unit, like '20 mg/mL'"
        )
    return _parse(text)


@functools.lru_cache(maxsize=4096)
def _parse(text: str) -> Quantity:
    """parse_quantity for a string; cached, as the same spellings recur in every file."""
    stripped = text.strip()
    ratio = _RATIO_RE.fullmatch(stripped)
    if ratio:
        denominator = float(re.sub(r"[ ,_]", "", ratio.group(1)))
        if denominator <= 0:
            raise UnitError(f"ratio {text!r} must have a positive denominator")
        # 1:N means 1 g in N mL
        return Quantity(1000.0 / denominator, Dimension("mass", "volume"), text)
    match = _QUANTITY_RE.fullmatch(stripped)
    if match is None:
        if text.strip():
            raise UnitError(
                f"{text!r} has a unit but no number; write the number too, e.g. '20 mg'"
            )
        raise UnitError("empty quantity; write a number and its unit, e.g. '5 mL'")
    number, unit = match.groups()
    if unit and (unit[0] in ",'" or unit[0].isdigit()):
        # "1,000 mg" could mean 1 or 1000: refuse rather than guess
        raise UnitError(
            f"{text!r}: write numbers with a point for decimals and no thousands "
            "separators, e.g. '1000 mg' or '0.5 mL'"
        )
    if not unit:
        raise UnitError(
            f"{text!r} is a number without a unit; add its unit, "
            f"e.g. '{number} mL' or '{number} mg'"
        )
    value = float(number)
    if not math.isfinite(value):
        raise UnitError(f"{text!r} is not a finite number")
    if value < 0:
        raise UnitError(f"{text!r} is negative; amounts, volumes and strengths cannot be")
    try:
        dimension, factor = parse_unit(unit)
    except UnitError as exc:
        if "%" in unit:  # a qualified percentage says itself why it is refused
            raise UnitError(f"{text!r}: {exc}") from None
        raise UnitError(
            f"unknown unit {unit!r} in {text!r}; use mg, mcg, g, mL, %, mg/mL, mg/kg, "
            "[iU], [USP'U] or a ratio like 1:100000"
        ) from None
    return Quantity(value * factor, dimension, text)
