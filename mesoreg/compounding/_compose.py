"""Compose: from target concentrations (or amounts) per syringe to volumes to draw.

For each syringe, each target names an ingredient and either its final
concentration in the syringe or its amount per syringe.  The volume of stock
product that gives it is rounded to the nearest graduation of the syringe
(exactly half a graduation rounds down, to the smaller dose); the diluent
(a vehicle such as 0.9 % sodium chloride) makes up the fill volume.  The
result states, per ingredient, the exact and the rounded volume, the real
concentration or amount that the rounded volume gives and the rounding
error, and is written as a formulation draft
(:class:`~mesoreg.documents._model.Formulation`) that ``mesoreg check`` and ``mesoreg
publish`` read.

Defaults, when the request does not say: a 5 mL syringe with 0.1 mL
graduations, filled to its capacity.  Give the graduations of the syringe
really used: many 5 mL syringes are graduated every 0.2 mL.

Refused, every problem at once with its key path: an ingredient the catalog
does not know; no stock product with a known strength on hand (or several,
unnamed); units that do not convert (IU or USP units never convert to mg); a
target above what the stock strength allows; products that take more than the
fill volume; a fill volume the syringe cannot hold or that is not on its
graduations; a volume to draw under half a graduation (it cannot be measured);
a diluent that is not a vehicle.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Final

import attrs

from mesoreg._errors import InputError, Problem, UnitError
from mesoreg.compounding._products import Product, describe, unknown_product, volume_of
from mesoreg.documents._field import doc
from mesoreg.documents._model import SCHEMA_VERSION, Component, Formulation, Preparation, Use
from mesoreg.documents._quantity import Dimension, Quantity, format_number, parse_quantity
from mesoreg.knowledge._catalog import Catalog

#: compose request file format this version reads
REQUEST_SCHEMA_VERSION: Final = 1
#: the syringe assumed when a request does not say (see the module docstring)
DEFAULT_CAPACITY: Final = "5 mL"
DEFAULT_GRADUATION: Final = "0.1 mL"
#: the ingredient class of diluents (inert vehicles) in the catalog
VEHICLE: Final = "vehicle"

_ML: Final = Dimension("volume")
#: how far from a whole number of graduations a fill volume may be (floating-point noise)
_ON_GRADUATION: Final = 1e-6


@attrs.frozen
class Target:
    """What one ingredient should be in the syringe: a final concentration or an amount."""

    ingredient: str = attrs.field(
        metadata=doc("Ingredient id or alias, e.g. 'lidocaine'."),
    )
    concentration: Quantity | None = attrs.field(
        default=None,
        metadata=doc("Final concentration in the syringe, e.g. '4 mg/mL' (or give amount)."),
    )
    amount: Quantity | None = attrs.field(
        default=None,
        metadata=doc("Amount per syringe, e.g. '20 mg' or '75 [USP\\'U]' (or give concentration)."),
    )
    product: str | None = attrs.field(
        default=None,
        metadata=doc(
            "Id of the stock product to draw from; needed only when several products of the "
            "ingredient are on hand."
        ),
    )


@attrs.frozen
class SyringeRequest:
    """One syringe to compose: its size, graduations, fill volume, diluent and targets."""

    name: str = attrs.field(
        metadata=doc("Name of the syringe, e.g. 'anaesthetic syringe'."),
    )
    targets: tuple[Target, ...] = attrs.field(
        metadata=doc("Each ingredient's final concentration or amount per syringe."),
    )
    per_session: float = attrs.field(
        default=1.0,
        metadata=doc("How many of this syringe one session uses (a number, e.g. 2)."),
    )
    capacity: Quantity = attrs.field(
        default=parse_quantity(DEFAULT_CAPACITY),
        metadata=doc(f"Nominal capacity of the syringe (default '{DEFAULT_CAPACITY}')."),
    )
    graduation: Quantity = attrs.field(
        default=parse_quantity(DEFAULT_GRADUATION),
        metadata=doc(
            f"Volume between two graduation marks (default '{DEFAULT_GRADUATION}'); volumes "
            "to draw are rounded to it."
        ),
    )
    fill: Quantity | None = attrs.field(
        default=None,
        metadata=doc("Final volume in the syringe (default: its capacity); on a graduation."),
    )
    diluent: str | None = attrs.field(
        default=None,
        metadata=doc(
            "Id of the diluent product (a vehicle); default: the one vehicle product on hand."
        ),
    )


@attrs.frozen
class ComposeRequest:
    """What to compose: the formulation's identity and use, and each syringe's targets."""

    schema_version: int = attrs.field(
        metadata=doc("Version of the compose request format; this mesoreg reads 1."),
    )
    id: str = attrs.field(
        metadata=doc("Id of the formulation draft, e.g. 'face-lidocaine'."),
    )
    title: str = attrs.field(
        metadata=doc("Human-readable title of the formulation."),
    )
    use: Use = attrs.field(
        metadata=doc("How the formulation is given, as in a formulation file."),
    )
    syringes: tuple[SyringeRequest, ...] = attrs.field(
        metadata=doc("The syringes of one session, each with its targets."),
    )
    authors: tuple[str, ...] = attrs.field(
        default=(),
        metadata=doc("Who composed it, e.g. 'J. Martin, PharmD'."),
    )
    notes: str = attrs.field(
        default="",
        metadata=doc("Free-text notes for people; never read by any rule."),
    )
    #: the file it was read from, for messages; not part of the data
    origin: str | None = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class Draw:
    """One product drawn into a syringe: exact and rounded volume, result and error."""

    product: Product
    ingredient: str
    #: the volume the target needs, in mL, before rounding
    exact_volume: float
    #: the volume to draw, on the syringe's graduations
    volume: Quantity
    target: Quantity | None = None
    #: the concentration (or amount, for an amount target) the rounded volume gives
    result: Quantity | None = None
    #: (result - target) / target, in percent
    error_percent: float | None = None


@attrs.frozen
class ComposedSyringe:
    """A composed syringe: what to draw from which product, and the diluent."""

    name: str
    per_session: float
    capacity: Quantity
    graduation: Quantity
    fill: Quantity
    draws: tuple[Draw, ...]
    diluent: Draw | None
    #: every active's final concentration, co-ingredients included, by catalog id
    concentrations: tuple[tuple[str, Quantity], ...]


@attrs.frozen
class Composition:
    """The composed syringes and the formulation draft they make."""

    syringes: tuple[ComposedSyringe, ...]
    formulation: Formulation


def _ml(value: float) -> Quantity:
    """A volume as written in the draft, with the value the loader reads back from it."""
    return parse_quantity(f"{format_number(value)} mL")


def _steps(volume: float, graduation: float) -> int:
    """Whole graduations nearest to ``volume``; exactly half a graduation rounds down, to
    the smaller dose."""
    return max(0, math.ceil(volume / graduation - 0.5 - _ON_GRADUATION))


class _Syringe:
    """Composes one syringe, collecting every problem."""

    def __init__(
        self,
        request: SyringeRequest,
        key: str,
        products: Mapping[str, Product],
        catalog: Catalog,
        problems: list[Problem],
    ) -> None:
        self.request, self.key, self.products, self.catalog = request, key, products, catalog
        self.problems = problems

    def problem(self, key: str, message: str, hint: str = "") -> None:
        self.problems.append(Problem(f"{self.key}.{key}" if key else self.key, message, hint))

    def volumes(self) -> tuple[float, float, float] | None:
        """Capacity, graduation and fill volume in mL, or None after reporting why not."""
        found = []
        request = self.request
        fill_q = request.fill if request.fill is not None else request.capacity
        for name, quantity in (
            ("capacity", request.capacity),
            ("graduation", request.graduation),
            ("fill", fill_q),
        ):
            if quantity.dimension != _ML or not quantity.value > 0:
                self.problem(name, f"must be a volume more than 0, like '5 mL' (got '{quantity}')")
            else:
                found.append(quantity.value)
        if len(found) < 3:
            return None
        capacity, graduation, fill = found
        ok = True
        if fill > capacity * (1 + _ON_GRADUATION):
            self.problem(
                "fill",
                f"{format_number(fill)} mL is more than the syringe holds "
                f"({format_number(capacity)} mL)",
                "Use a larger syringe or split the preparation into two syringes.",
            )
            ok = False
        if graduation > capacity:
            self.problem("graduation", f"'{request.graduation}' is more than the capacity")
            ok = False
        elif abs(fill / graduation - round(fill / graduation)) > _ON_GRADUATION:
            self.problem(
                "fill",
                f"{format_number(fill)} mL is not on the syringe's "
                f"{format_number(graduation)} mL graduations",
                "Choose a fill volume you can read on the syringe.",
            )
            ok = False
        return (capacity, graduation, fill) if ok else None

    def product_for(self, target: Target, ingredient: str, key: str) -> Product | None:
        """The stock product a target draws from, or None after reporting why not."""
        if target.product is not None:
            product = self.products.get(target.product)
            if product is None:
                self.problems.append(unknown_product(self.products, target.product, key))
                return None
            held = self.catalog.find_ingredient(product.ingredient)
            if held is None or held.id != ingredient:
                self.problems.append(
                    Problem(
                        key,
                        f"product '{product.id}' holds {product.ingredient}, not {ingredient}",
                        "Name a product of this ingredient.",
                    )
                )
                return None
            return product
        candidates = [
            p
            for p in self.products.values()
            if (found := self.catalog.find_ingredient(p.ingredient)) is not None
            and found.id == ingredient
        ]
        if not candidates:
            self.problems.append(
                Problem(
                    key,
                    f"no stock product of '{ingredient}' with a known strength is on hand",
                    "Add its product, with the strength on its label, in a file given with "
                    "--products FILE.",
                )
            )
            return None
        if len(candidates) > 1:
            listed = ", ".join(describe(p) for p in candidates)
            self.problems.append(
                Problem(
                    key,
                    f"several stock products of '{ingredient}' are on hand: {listed}",
                    f"Say which with product = '{candidates[0].id}' (or another).",
                )
            )
            return None
        return candidates[0]

    def draw(
        self, target: Target, index: int, fill: float, graduation: float
    ) -> tuple[Draw, int] | None:
        """One target's draw and its graduations, or None after reporting why not."""
        key = f"{self.key}.targets[{index}]"
        found = self.catalog.find_ingredient(target.ingredient)
        if found is None:
            self.problems.append(
                self.catalog.unknown_ingredient(target.ingredient, f"{key}.ingredient")
            )
            return None
        if (target.concentration is None) == (target.amount is None):
            self.problems.append(
                Problem(key, "give either concentration or amount, not both or neither")
            )
            return None
        product = self.product_for(target, found.id, f"{key}.product")
        if product is None:
            return None
        strength = product.strength
        wanted = target.concentration if target.concentration is not None else target.amount
        assert wanted is not None
        field = "concentration" if target.concentration is not None else "amount"
        need = (
            strength.dimension
            if field == "concentration"
            else Dimension(strength.dimension.numerator)
        )
        try:
            wanted.to(need)
        except UnitError as exc:
            self.problems.append(
                Problem(
                    f"{key}.{field}",
                    f"{exc} (the stock product {product.id} is {strength})",
                    "Give the target in the unit of the product's strength.",
                )
            )
            return None
        if not wanted.value > 0 or not math.isfinite(wanted.value):
            self.problems.append(Problem(f"{key}.{field}", f"must be more than 0 (got '{wanted}')"))
            return None
        if field == "concentration" and wanted.value > strength.value:
            self.problems.append(
                Problem(
                    f"{key}.concentration",
                    f"'{wanted}' is above the stock strength of {product.id} ('{strength}'): "
                    "diluting cannot reach it",
                    "Use a stronger stock product or lower the target.",
                )
            )
            return None
        amount = wanted.value * fill if field == "concentration" else wanted.value
        exact = amount / strength.value
        if exact > fill * (1 + _ON_GRADUATION):
            self.problems.append(
                Problem(
                    f"{key}.amount",
                    f"'{wanted}' needs {format_number(exact)} mL of {product.id} ('{strength}'), "
                    f"more than the {format_number(fill)} mL fill volume",
                    "Use a stronger stock product, a larger fill volume, or a lower amount.",
                )
            )
            return None
        steps = _steps(exact, graduation)
        if steps == 0:
            self.problems.append(
                Problem(
                    f"{key}.{field}",
                    f"'{wanted}' needs {format_number(exact)} mL of {product.id}, less than "
                    f"half a graduation ({format_number(graduation)} mL): it cannot be measured",
                    "Use a weaker stock product, a syringe with finer graduations, or a larger "
                    "fill volume.",
                )
            )
            return None
        drawn = _ml(steps * graduation).value
        real = strength.value * drawn / (fill if field == "concentration" else 1.0)
        result = Quantity(real, wanted.dimension)
        error = (real - wanted.value) / wanted.value * 100
        draw = Draw(product, found.id, exact, _ml(drawn), wanted, result, error)
        return draw, steps

    def diluent_product(self) -> Product | None:
        """The diluent to make up the volume, or None after reporting why not."""
        key = f"{self.key}.diluent"
        name = self.request.diluent
        if name is not None:
            product = self.products.get(name)
            if product is None:
                self.problems.append(unknown_product(self.products, name, key))
                return None
            held = self.catalog.find_ingredient(product.ingredient)
            if held is None or VEHICLE not in held.classes:
                self.problems.append(
                    Problem(
                        key,
                        f"'{name}' is not a diluent: its ingredient {product.ingredient} is not "
                        f"of class '{VEHICLE}'",
                        "Name a vehicle product such as 0.9 % sodium chloride.",
                    )
                )
                return None
            return product
        vehicles = [
            p
            for p in self.products.values()
            if (held := self.catalog.find_ingredient(p.ingredient)) is not None
            and VEHICLE in held.classes
        ]
        if len(vehicles) == 1:
            return vehicles[0]
        said = (
            "no diluent product (a vehicle) is on hand"
            if not vehicles
            else "several diluent products are on hand: " + ", ".join(p.id for p in vehicles)
        )
        self.problems.append(Problem(key, said, "Name one with diluent = '<product id>'."))
        return None

    def compose(self) -> ComposedSyringe | None:
        before = len(self.problems)
        volumes = self.volumes()
        if not self.request.targets:
            self.problem("targets", "a syringe needs at least one target")
        seen: dict[str, int] = {}
        draws: list[tuple[Draw, int]] = []
        for index, target in enumerate(self.request.targets):
            if volumes is None:
                break
            made = self.draw(target, index, volumes[2], volumes[1])
            if made is None:
                continue
            name = made[0].ingredient
            if name in seen:
                self.problem(
                    f"targets[{index}].ingredient",
                    f"{name} is already targeted at targets[{seen[name]}]",
                    "Give each ingredient once.",
                )
                continue
            seen[made[0].ingredient] = index
            draws.append(made)
        if volumes is None or len(self.problems) > before:
            return None
        _, graduation, fill = volumes
        fill_steps = round(fill / graduation)
        used = sum(steps for _, steps in draws)
        if used > fill_steps:
            listed = " + ".join(f"{d.volume} of {d.product.id}" for d, _ in draws)
            self.problem(
                "targets",
                f"the products to draw take {format_number(used * graduation)} mL ({listed}), "
                f"more than the {format_number(fill)} mL fill volume",
                "Lower the targets, use stronger stock products or a larger fill volume.",
            )
            return None
        diluent = None
        if used < fill_steps:
            product = self.diluent_product()
            if product is None:
                return None
            diluent = Draw(
                product,
                self.catalog.get_ingredient(product.ingredient).id,
                (fill_steps - used) * graduation,
                _ml((fill_steps - used) * graduation),
            )
        concentrations = self._concentrations([d for d, _ in draws], fill)
        if concentrations is None:
            return None
        return ComposedSyringe(
            name=self.request.name,
            per_session=self.request.per_session,
            capacity=self.request.capacity,
            graduation=self.request.graduation,
            fill=_ml(fill),
            draws=tuple(d for d, _ in draws),
            diluent=diluent,
            concentrations=concentrations,
        )

    def _concentrations(
        self, draws: list[Draw], fill: float
    ) -> tuple[tuple[str, Quantity], ...] | None:
        """Each active's final concentration; a targeted one also in another product is refused."""
        found: dict[str, Quantity] = {}
        targeted = {d.ingredient for d in draws}
        for draw in draws:
            share = volume_of(draw.volume) / fill
            found[draw.ingredient] = Quantity(
                draw.product.strength.value * share, draw.product.strength.dimension
            )
            for co in draw.product.co_ingredients:
                other = self.catalog.find_ingredient(co.ingredient)
                name = other.id if other is not None else co.ingredient
                if name in targeted:
                    self.problem(
                        "targets",
                        f"{name} is targeted and is also in {draw.product.id}: its final "
                        "concentration would not be the target",
                        "Draw it from one product only.",
                    )
                    return None
                found[name] = Quantity(co.strength.value * share, co.strength.dimension)
        return tuple(sorted(found.items()))


def _formulation(request: ComposeRequest, syringes: tuple[ComposedSyringe, ...]) -> Formulation:
    preparations = []
    used: dict[str, Product] = {}
    for syringe in syringes:
        components = []
        for draw in (*syringe.draws, *((syringe.diluent,) if syringe.diluent else ())):
            used[draw.product.id] = draw.product
            components.append(
                Component(
                    ingredient=draw.ingredient,
                    strength=draw.product.strength,
                    volume=draw.volume,
                    co_ingredients=draw.product.co_ingredients,
                )
            )
        preparations.append(Preparation(syringe.name, syringe.per_session, tuple(components)))
    drawn = "; ".join(
        f"{p.id}: {p.name} ({p.source.identifier or p.source.url})" for p in used.values()
    )
    said = f"Composed with mesoreg compose from {drawn}."
    notes = "\n".join(x for x in (request.notes, said) if x)
    return Formulation(
        schema_version=SCHEMA_VERSION,
        id=request.id,
        version=1,
        title=request.title,
        use=request.use,
        preparations=tuple(preparations),
        authors=request.authors,
        notes=notes,
    )


def compose(
    request: ComposeRequest, products: Mapping[str, Product], catalog: Catalog
) -> Composition:
    """Compose every syringe of ``request`` from ``products``; :class:`InputError` lists
    every problem at once."""
    problems: list[Problem] = []
    if not request.syringes:
        problems.append(Problem("syringes", "a request needs at least one syringe"))
    made = [
        _Syringe(s, f"syringes[{i}]", products, catalog, problems).compose()
        for i, s in enumerate(request.syringes)
    ]
    if problems:
        raise InputError(problems, path=request.origin)
    syringes = tuple(s for s in made if s is not None)
    return Composition(syringes, _formulation(request, syringes))


def iter_draws(composition: Composition) -> Iterator[tuple[ComposedSyringe, Draw]]:
    """Every draw of every syringe, diluents last in each syringe."""
    for syringe in composition.syringes:
        for draw in syringe.draws:
            yield syringe, draw
        if syringe.diluent is not None:
            yield syringe, syringe.diluent


def parse_request(text: str, where: str) -> ComposeRequest:
    """A compose request from TOML text; :class:`InputError` lists every problem."""
    from mesoreg.documents._load import parse_toml

    return request_from_data(parse_toml(text, where), where)


def request_from_data(data: Mapping[str, object], where: str) -> ComposeRequest:
    """A compose request from a request file's keys (as ``tomllib`` gives them)."""
    from mesoreg.compounding._products import check_version
    from mesoreg.documents._convert import structure

    check_version(data, REQUEST_SCHEMA_VERSION, where)
    return structure(data, ComposeRequest, path=where, origin=where)


def load_request(path: str) -> ComposeRequest:
    """Read a compose request file (bounded, regular files only)."""
    from mesoreg.documents._load import read_text

    return parse_request(read_text(path), path)
