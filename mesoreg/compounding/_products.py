"""Stock products: an ingredient at a labelled strength in a container.

A product is what a pharmacist draws from, e.g. lidocaine hydrochloride 2 %
(20 mg/mL) in a 5 mL single-dose vial.  The built-in list is
``mesoreg/compounding/data/products.toml``; each entry cites the public label
its strength and container volume were read from.  More products come from
files of the same format (``--products FILE``), and later from packs.  A
product id given twice is an error naming both files: a strength is never
silently replaced.
"""

from __future__ import annotations

import difflib
import enum
import functools
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Final

import attrs

from mesoreg._errors import InputError, Problem
from mesoreg.documents._convert import structure
from mesoreg.documents._field import doc
from mesoreg.documents._load import check_counts, parse_toml, read_text
from mesoreg.documents._model import CoIngredient
from mesoreg.documents._quantity import Dimension, Quantity

#: product file format this version reads and writes
PRODUCTS_SCHEMA_VERSION: Final = 1
#: where the built-in list is, for messages
BUILTIN: Final = "mesoreg/compounding/data/products.toml"

_ML: Final = Dimension("volume")


class Container(enum.StrEnum):
    """What the product comes in."""

    SINGLE_DOSE_VIAL = "single_dose_vial"
    MULTIPLE_DOSE_VIAL = "multiple_dose_vial"
    AMPOULE = "ampoule"
    PREFILLED_SYRINGE = "prefilled_syringe"


@attrs.frozen
class ProductSource:
    """The public label a product's strength and container volume were read from."""

    title: str = attrs.field(
        metadata=doc("Title of the label or listing, as published."),
    )
    issuer: str = attrs.field(
        metadata=doc("Labeler and whose record it is, e.g. 'Fresenius Kabi; US FDA'."),
    )
    url: str = attrs.field(
        metadata=doc("Where it can be read: a DailyMed set id page, an openFDA record, an SmPC."),
    )
    identifier: str = attrs.field(
        default="",
        metadata=doc("Product codes read there, e.g. 'NDC 63323-202-01; SPL set id ...'."),
    )
    note: str = attrs.field(
        default="",
        metadata=doc("What was read there, and any caveat about the copy seen."),
    )


@attrs.frozen
class Product:
    """A stock product: one ingredient at its labelled strength, in a container of a volume."""

    id: str = attrs.field(
        metadata=doc("Product id: lowercase snake_case, e.g. 'lidocaine_2pct_5ml_vial'."),
    )
    name: str = attrs.field(
        metadata=doc("Name as on the label, e.g. 'Lidocaine HCl Injection 2 % (20 mg/mL), 5 mL'."),
    )
    ingredient: str = attrs.field(
        metadata=doc("Catalog id or alias of the active ingredient, e.g. 'lidocaine'."),
    )
    strength: Quantity = attrs.field(
        metadata=doc(
            "Labelled strength as a concentration: '20 mg/mL', '2 %' (g/100 mL), "
            "'150 [USP\\'U]/mL'."
        ),
    )
    volume: Quantity = attrs.field(
        metadata=doc("Labelled volume of one container, e.g. '5 mL'."),
    )
    container: Container = attrs.field(
        metadata=doc("single_dose_vial, multiple_dose_vial, ampoule or prefilled_syringe."),
    )
    source: ProductSource = attrs.field(
        metadata=doc("The public label the strength and volume were read from."),
    )
    co_ingredients: tuple[CoIngredient, ...] = attrs.field(
        default=(),
        metadata=doc("Other actives in the same product, e.g. epinephrine at '1:100000'."),
    )
    #: the file it was read from, for messages; not part of the data
    origin: str | None = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class ProductFile:
    """A file of stock products."""

    schema_version: int = attrs.field(
        metadata=doc("Version of the product file format; this mesoreg reads 1."),
    )
    products: tuple[Product, ...] = attrs.field(
        metadata=doc("The stock products, each with its labelled strength, volume and source."),
    )


def _problems(product: Product, key: str) -> Iterable[Problem]:
    """What the converter cannot see: dimensions and positive numbers."""
    strength = product.strength
    if strength.dimension.denominator != "volume" or not strength.value > 0:
        yield Problem(
            f"{key}.strength",
            f"must be a concentration more than 0, like '20 mg/mL' (got '{strength}')",
        )
    if product.volume.dimension != _ML or not product.volume.value > 0:
        yield Problem(
            f"{key}.volume", f"must be a volume more than 0, like '5 mL' (got '{product.volume}')"
        )
    if not product.id or product.id != product.id.lower() or " " in product.id:
        yield Problem(f"{key}.id", f"'{product.id}' must be lowercase snake_case")


def check_version(data: Mapping[str, object], version: int, where: str) -> None:
    """Refuse a file without ``schema_version``, of another version, or too large."""
    found = data.get("schema_version")
    if found != version or isinstance(found, bool):
        said = "required key is missing" if found is None else f"version {found!r} is not read"
        raise InputError(
            [Problem("schema_version", said, f"Write 'schema_version = {version}' at the top.")],
            path=where,
        )
    try:
        check_counts(data, "compounding")
    except InputError as exc:
        raise exc.with_path(where) from None


def parse_products(text: str, where: str) -> tuple[Product, ...]:
    """The products in a product file's text; :class:`InputError` lists every problem."""
    data = parse_toml(text, where)
    check_version(data, PRODUCTS_SCHEMA_VERSION, where)
    found = structure(data, ProductFile, path=where)
    problems = [
        p for i, prod in enumerate(found.products) for p in _problems(prod, f"products[{i}]")
    ]
    if problems:
        raise InputError(problems, path=where)
    return tuple(attrs.evolve(p, origin=where) for p in found.products)


def load_products(path: str | Path) -> tuple[Product, ...]:
    """Read a product file (bounded, regular files only)."""
    return parse_products(read_text(path), str(path))


@functools.cache
def builtin_products() -> tuple[Product, ...]:
    """The built-in product list, read once."""
    text = resources.files("mesoreg.compounding").joinpath("data/products.toml").read_text("utf-8")
    return parse_products(text, BUILTIN)


def merge_products(*groups: Iterable[Product]) -> Mapping[str, Product]:
    """Products by id; an id given twice is an error naming both files."""
    merged: dict[str, Product] = {}
    problems = []
    for group in groups:
        for product in group:
            first = merged.get(product.id)
            if first is not None:
                problems.append(
                    Problem(
                        product.id,
                        f"product '{product.id}' is defined in both {first.origin} and "
                        f"{product.origin}",
                        "Give the second one another id.",
                        path=product.origin,
                    )
                )
            else:
                merged[product.id] = product
    if problems:
        raise InputError(problems)
    return MappingProxyType(dict(sorted(merged.items())))


def unknown_product(products: Mapping[str, Product], name: str, key: str) -> Problem:
    """The problem for a product id that is not on hand, with the closest ids."""
    close = difflib.get_close_matches(name, list(products), n=2)
    hint = (
        "Did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
        if close
        else "Run 'mesoreg compose --list-products', or add it with --products FILE."
    )
    return Problem(key, f"no stock product '{name}' with a known strength is on hand", hint)


def describe(product: Product) -> str:
    """``lidocaine_2pct_5ml_vial (20 mg/mL, 5 mL single dose vial)``, for messages."""
    kind = product.container.value.replace("_", " ")
    return f"{product.id} ({product.strength}, {product.volume} {kind})"


def volume_of(quantity: Quantity) -> float:
    """A volume in mL."""
    return quantity.to(_ML).value
