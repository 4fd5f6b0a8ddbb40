"""Stock products: the built-in list, product files, duplicates."""

from __future__ import annotations

import pytest

from mesoreg._errors import InputError
from mesoreg.compounding._products import builtin_products, merge_products, parse_products

ONE = """schema_version = 1
[[products]]
id = "lido_local"
name = "Lidocaine 1 %, 10 mL"
ingredient = "lidocaine"
strength = "{strength}"
volume = "{volume}"
container = "multiple_dose_vial"
[products.source]
title = "house label"
issuer = "us"
url = "https://example.org/label"
"""


def test_every_builtin_product_cites_a_label_and_names_a_catalog_ingredient(catalog):
    products = builtin_products()
    assert len(products) >= 4
    for product in products:
        assert product.source.url.startswith(("https://", "http://")), product.id
        assert product.source.title and product.source.issuer, product.id
        assert catalog.find_ingredient(product.ingredient) is not None, product.id
        assert product.strength.dimension.denominator == "volume"


def test_builtin_strengths_as_labelled():
    found = {p.id: p for p in builtin_products()}
    lido = found["lidocaine_2pct_5ml_vial"]
    assert (lido.strength.value, lido.strength.unit, lido.volume.value) == (20.0, "mg/mL", 5.0)
    assert found["kybella_2ml_vial"].strength.value == 10.0  # '20 mg/2 mL'
    assert found["hydase_150usp_1ml_vial"].strength.unit == "[USP'U]/mL"


def test_a_product_file_is_read_with_its_origin():
    (product,) = parse_products(ONE.format(strength="1 %", volume="10 mL"), "extra.toml")
    assert product.origin == "extra.toml"
    assert product.strength.value == 10.0


@pytest.mark.parametrize(
    ("strength", "volume", "message"),
    [
        ("10 mg", "10 mL", "extra.toml: products[0].strength: must be a concentration more than 0"),
        ("1 %", "10 mg", "extra.toml: products[0].volume: must be a volume more than 0"),
    ],
)
def test_bad_product_files_are_refused(strength, volume, message):
    with pytest.raises(InputError) as caught:
        parse_products(ONE.format(strength=strength, volume=volume), "extra.toml")
    assert str(caught.value).startswith(message)


def test_a_product_without_strength_is_refused():
    text = ONE.format(strength="1 %", volume="10 mL").replace('strength = "1 %"\n', "")
    with pytest.raises(InputError) as caught:
        parse_products(text, "extra.toml")
    assert "extra.toml: products[0].strength: required key is missing" in str(caught.value)


def test_a_duplicate_product_id_names_both_files():
    first = parse_products(ONE.format(strength="1 %", volume="10 mL"), "a.toml")
    second = parse_products(ONE.format(strength="2 %", volume="10 mL"), "b.toml")
    with pytest.raises(InputError) as caught:
        merge_products(first, second)
    assert "product 'lido_local' is defined in both a.toml and b.toml" in str(caught.value)
