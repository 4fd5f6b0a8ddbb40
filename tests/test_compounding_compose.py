"""Compose: volumes to draw, rounding, refusals, and the draft through the real loader."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT

from mesoreg._errors import InputError
from mesoreg.checks._report import Verdict
from mesoreg.compounding._compose import compose, load_request, parse_request
from mesoreg.compounding._products import builtin_products, merge_products
from mesoreg.documents._dump import dump_formulation
from mesoreg.documents._load import load_formulation
from mesoreg.host._engine import check
from mesoreg.store._publish import publish
from mesoreg.store._store import Store

EXAMPLE = ROOT / "examples" / "compose" / "face-lidocaine.toml"
HEAD = """schema_version = 1
id = "test-compose"
title = "test"
[use]
area = "face"
technique = "nappage"
"""


def products():  # type: ignore[no-untyped-def]
    return merge_products(builtin_products())


def request(syringe: str, targets: str):  # type: ignore[no-untyped-def]
    return parse_request(f"{HEAD}[[syringes]]\nname = 's'\n{syringe}\n{targets}", "req.toml")


def target(**fields: str) -> str:
    if fields.get("ingredient") == "lidocaine":
        fields.setdefault("product", "lidocaine_2pct_5ml_vial")
    fields = {k: v for k, v in fields.items() if v}
    body = "\n".join(f'{k} = "{v}"' for k, v in fields.items())
    return f"[[syringes.targets]]\n{body}\n"


def test_the_documented_example(catalog):
    # docs/compounding.md: lidocaine 5 mg/mL in 5 mL from the 2 % vial needs 1.25 mL; exactly
    # half a graduation rounds down to 1.2 mL, giving 4.8 mg/mL (-4 %) with 3.8 mL of saline
    result = compose(load_request(str(EXAMPLE)), products(), catalog)
    (syringe,) = result.syringes
    (draw,) = syringe.draws
    assert draw.product.id == "lidocaine_2pct_5ml_vial"
    assert draw.exact_volume == pytest.approx(1.25)
    assert str(draw.volume) == "1.2 mL"
    assert draw.result is not None and draw.result.value == pytest.approx(4.8)
    assert draw.error_percent == pytest.approx(-4.0)
    assert syringe.diluent is not None
    assert syringe.diluent.product.id == "sodium_chloride_0_9pct_10ml_vial"
    assert str(syringe.diluent.volume) == "3.8 mL"


def test_nearest_graduation_and_amount_targets(catalog):
    made = compose(
        request('fill = "4 mL"', target(ingredient="lidocaine", amount="27 mg")),
        products(),
        catalog,
    )
    (draw,) = made.syringes[0].draws
    assert str(draw.volume) == "1.3 mL"  # 1.35 mL is half a graduation: the smaller dose
    assert draw.result is not None and draw.result.value == pytest.approx(26.0)
    assert str(made.syringes[0].diluent.volume) == "2.7 mL"  # type: ignore[union-attr]
    made = compose(request("", target(ingredient="lidocaine", amount="26 mg")), products(), catalog)
    assert str(made.syringes[0].draws[0].volume) == "1.3 mL"


def test_usp_units_compose_and_never_convert_to_mg(catalog):
    made = compose(
        request('fill = "2 mL"', target(ingredient="hyaluronidase", amount="75 [USP'U]")),
        products(),
        catalog,
    )
    assert str(made.syringes[0].draws[0].volume) == "0.5 mL"
    with pytest.raises(InputError) as caught:
        compose(request("", target(ingredient="hyaluronidase", amount="5 mg")), products(), catalog)
    assert "enzyme and hormone units (IU, USP units) never convert to mass" in str(caught.value)
    assert "req.toml: syringes[0].targets[0].amount:" in str(caught.value)


def test_every_problem_at_once(catalog):
    targets = (
        target(ingredient="lidocaine", concentration="30 mg/mL")  # above the 2 % stock
        + target(ingredient="lidocane", concentration="1 mg/mL")  # unknown ingredient
        + target(ingredient="procaine", concentration="1 mg/mL")  # no product on hand
        + target(ingredient="hyaluronidase", amount="1 [USP'U]")  # under half a graduation
    )
    with pytest.raises(InputError) as caught:
        compose(request("", targets), products(), catalog)
    lines = str(caught.value).splitlines()
    assert len(lines) == 4
    assert lines[0].startswith(
        "req.toml: syringes[0].targets[0].concentration: '30 mg/mL' is above the stock strength"
    )
    assert lines[1].startswith("req.toml: syringes[0].targets[1].ingredient: unknown ingredient")
    assert lines[2] == (
        "req.toml: syringes[0].targets[2].product: no stock product of 'procaine' with a known "
        "strength is on hand. Add its product, with the strength on its label, in a file given "
        "with --products FILE."
    )
    assert "cannot be measured" in lines[3]


def test_several_products_of_an_ingredient_must_be_named(catalog):
    with pytest.raises(InputError) as caught:
        compose(
            request("", target(ingredient="lidocaine", amount="5 mg", product="")),
            products(),
            catalog,
        )
    assert "several stock products of 'lidocaine' are on hand" in str(caught.value)


def test_a_volume_the_syringe_cannot_hold(catalog):
    with pytest.raises(InputError) as caught:
        compose(
            request(
                'capacity = "3 mL"\nfill = "5 mL"', target(ingredient="lidocaine", amount="1 mg")
            ),
            products(),
            catalog,
        )
    assert str(caught.value) == (
        "req.toml: syringes[0].fill: 5 mL is more than the syringe holds (3 mL). Use a larger "
        "syringe or split the preparation into two syringes."
    )


def test_targets_that_take_more_than_the_fill_volume(catalog):
    targets = target(ingredient="lidocaine", concentration="15 mg/mL") + target(
        ingredient="deoxycholic acid", concentration="5 mg/mL"
    )
    with pytest.raises(InputError) as caught:
        compose(request("", targets), products(), catalog)
    assert "the products to draw take 6.2 mL" in str(caught.value)


def test_an_unknown_product_and_a_diluent_that_is_not_a_vehicle(catalog):
    with pytest.raises(InputError) as caught:
        compose(
            request(
                'diluent = "lidocaine_2pct_5ml_vial"',
                target(ingredient="hyaluronidase", amount="75 [USP'U]", product="hydase_150"),
            ),
            products(),
            catalog,
        )
    assert "no stock product 'hydase_150' with a known strength is on hand" in str(caught.value)
    assert "Did you mean 'hydase_150usp_1ml_vial'?" in str(caught.value)
    with pytest.raises(InputError) as caught:
        compose(
            request(
                'diluent = "lidocaine_2pct_5ml_vial"',
                target(ingredient="lidocaine", amount="20 mg"),
            ),
            products(),
            catalog,
        )
    assert "is not a diluent" in str(caught.value)


def test_the_draft_round_trips_through_the_loader_checker_and_store(catalog, registry, tmp_path):
    made = compose(load_request(str(EXAMPLE)), products(), catalog)
    path = Path(tmp_path / "draft.toml")
    path.write_text(dump_formulation(made.formulation), encoding="utf-8")
    loaded = load_formulation(path)
    assert loaded == made.formulation
    assert dump_formulation(loaded) == path.read_text(encoding="utf-8")
    report = check(path, registry=registry)
    assert report.verdict is not Verdict.NOT_VALIDATED or report.unchecked
    # the checker sees the concentration the rounded volumes give
    assert report.verdict in (Verdict.PASS, Verdict.WARN)
    entry = publish(path, Store(tmp_path / "store"), author="tester", registry=registry)
    assert entry.version == 1
