"""Controlled vocabularies: values are normalised, then matched exactly; unknown is an error."""

# ruff: noqa: E501  (tables of whole messages)

from __future__ import annotations

import datetime as dt
import json

import pytest
from conftest import ROOT

import mesoreg
from mesoreg import InputError
from mesoreg.documents._vocabulary import ALIASES, FIXED, Area, Purpose, Route, Technique, normalize
from mesoreg.testing import HEALTHY, check_with, formulation, patient

LIDOCAINE = [("lidocaine", "1 %", "1 mL")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Intradermal", "intradermal"),
        (" intradermal ", "intradermal"),
        ("INTRA-DERMAL", "intra_dermal"),
        ("fat reduction", "fat_reduction"),
        ("Fat-Réduction", "fat_reduction"),
        ("décolleté", "decollete"),
        ("point  by\tpoint", "point_by_point"),
        ("", ""),
    ],
)
def test_normalize_folds_case_accents_and_separators(text, expected):
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("kind", "text", "member"),
    [
        (Route, "Intradermal", Route.INTRADERMAL),
        (Route, "intradermal ", Route.INTRADERMAL),
        (Route, "Intra-dermal", Route.INTRADERMAL),
        (Route, "SC", Route.SUBCUTANEOUS),
        (Purpose, "fat reduction", Purpose.FAT_REDUCTION),
        (Purpose, "Lipolysis", Purpose.FAT_REDUCTION),
        (Technique, "Point by point", Technique.POINT_BY_POINT),
        (Area, "Double chin", Area.SUBMENTAL),
        (Area, "Décolleté", Area.DECOLLETE),
    ],
)
def test_fixed_terms_accept_other_spellings(kind, text, member):
    assert kind(text) is member


@pytest.mark.parametrize("name", sorted(FIXED))
def test_every_alias_is_normalised_and_names_a_term(name):
    kind = FIXED[name]
    for alias, target in ALIASES.get(kind.__name__, {}).items():
        assert normalize(alias) == alias
        assert target in kind.terms()
        assert alias not in kind.terms()
    for term in kind.terms():
        assert normalize(term) == term


@pytest.mark.parametrize(
    ("use", "message"),
    [
        ({"route": ""}, "use.route: must be one of intraepidermal, intradermal, subcutaneous (got '')"),
        ({"route": "intradermel"}, "use.route: unknown value 'intradermel'. Did you mean 'intradermal' or 'intraepidermal'?"),
        ({"route": "intramuscular"}, "use.route: must be one of intraepidermal, intradermal, subcutaneous (got 'intramuscular')"),
        ({"purpose": "fat reductoin"}, "use.purpose: unknown value 'fat reductoin'. Did you mean 'fat_reduction'?"),
        ({"technique": 3}, "use.technique: must be one of nappage, papule, micropapules, point_by_point, grid_injection, linear_retrograde, injection_lipolysis (got 3)"),
    ],
)  # fmt: skip
def test_unknown_fixed_values_are_input_errors_naming_the_key(use, message):
    with pytest.raises(InputError) as info:
        formulation(LIDOCAINE, use=use)
    assert [p.message and f"{p.key_path}: {p.message}" for p in info.value.problems] == [message]


@pytest.mark.parametrize("route", ["Intradermal", "intradermal ", " INTRA-DERMAL", "ID"])
def test_a_route_written_differently_still_gets_the_depth_limit(registry, route):
    f = formulation(LIDOCAINE, use={"route": route, "depth": "20 mm"})
    report = check_with(f, registry=registry)
    assert "MR-TECH-DEPTH" in {x.code for x in report.findings}
    assert report.verdict is not mesoreg.Verdict.PASS


@pytest.mark.parametrize(
    "purpose", ["fat reduction", "Fat-Reduction", "lipolysis", "FAT_REDUCTION"]
)
def test_frances_lipolysis_ban_holds_for_every_spelling_of_the_purpose(purpose):
    import mesoreg_region_eu

    f = formulation(
        [("phosphatidylcholine", "50 mg/mL", "2 mL")],
        use={"purpose": purpose, "area": "abdomen", "technique": "injection_lipolysis"},
    )
    report = check_with(f, plugins=[mesoreg_region_eu], region="FR", date=dt.date(2012, 3, 1))
    assert report.verdict is mesoreg.Verdict.FAIL
    assert any(x.code.startswith("MR-REG-FR") for x in report.findings), report.findings


def test_stored_formulations_keep_the_canonical_spelling():
    f = formulation(
        LIDOCAINE, use={"route": "Intra-dermal", "purpose": "lipolysis", "area": "Belly"}
    )
    from mesoreg.documents._dump import dump_formulation

    text = dump_formulation(f)
    assert 'route = "intradermal"' in text
    assert 'purpose = "fat_reduction"' in text
    assert 'area = "abdomen"' in text


# -- medication classes ---------------------------------------------------------------------


def _codes(report):  # type: ignore[no-untyped-def]
    return {f.code for f in report.findings}


@pytest.mark.parametrize(
    "classes",
    [["anticoagulant"], ["Anticoagulant"], [" AntiCoagulant "], ["ANTICOAGULANT", "nsaid"]],
)
def test_declared_classes_are_normalised(registry, classes):
    p = patient(HEALTHY, medications=[{"name": "Mystery anticoagulant 5 mg", "classes": classes}])
    assert "MR-CI-ANTICOAGULANT" in _codes(check_with(formulation(LIDOCAINE), p, registry=registry))


@pytest.mark.parametrize(
    ("classes", "message"),
    [
        (["anticoagulants"], "unknown medication class 'anticoagulants'. Did you mean 'anticoagulant'?"),
        (["blood thinner"], "unknown medication class 'blood thinner'. Run 'mesoreg catalog vocab medication_class' for the list."),
        ([""], "unknown medication class ''. Run 'mesoreg catalog vocab medication_class' for the list."),
    ],
)  # fmt: skip
def test_unknown_declared_classes_are_input_errors(registry, classes, message):
    p = patient(HEALTHY, medications=[{"name": "Mystery drug", "classes": classes}])
    with pytest.raises(InputError) as info:
        check_with(formulation(LIDOCAINE), p, registry=registry)
    assert [(x.key_path, str(x).split(": ", 2)[-1]) for x in info.value.problems] == [
        ("medications[0].classes[0]", message)
    ]
    assert info.value.problems[0].path == "<test patient>"


@pytest.mark.parametrize("declared", [[], ["nsaid"], None])
def test_declared_classes_add_to_a_known_drugs_classes_never_remove_them(registry, declared):
    med = {"name": "Eliquis"} if declared is None else {"name": "Eliquis", "classes": declared}
    report = check_with(
        formulation(LIDOCAINE), patient(HEALTHY, medications=[med]), registry=registry
    )
    assert "MR-CI-ANTICOAGULANT" in _codes(report)
    assert report.verdict is mesoreg.Verdict.FAIL


# -- schemas and listing --------------------------------------------------------------------


def test_fixed_vocabularies_are_enums_in_the_json_schemas():
    schema = json.loads((ROOT / "schemas" / "formulation-1.schema.json").read_text())
    use = schema["properties"]["use"]["properties"]
    assert use["route"]["enum"] == Route.terms()
    assert use["technique"]["enum"] == Technique.terms()
    assert use["purpose"]["enum"] == Purpose.terms()
    assert use["area"]["enum"] == Area.terms()
    pack = json.loads((ROOT / "schemas" / "pack-1.schema.json").read_text())
    regulation = pack["properties"]["regulations"]["items"]["properties"]
    assert regulation["purposes"]["items"]["enum"] == Purpose.terms()
    assert regulation["outside_areas"]["items"]["enum"] == Area.terms()


def test_cli_lists_every_vocabulary(capsys):
    from mesoreg.command import cli

    assert cli.main(["--no-plugins", "catalog", "vocab", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {
        "route",
        "technique",
        "purpose",
        "area",
        "sex",
        "medication_class",
        "ingredient_class",
        "allergen",
        "condition",
    }
    assert {"term": "anticoagulant", "aliases": []} in data["medication_class"]
    intradermal = next(t for t in data["route"] if t["term"] == "intradermal")
    assert "intracutaneous" in intradermal["aliases"]
    assert cli.main(["--no-plugins", "catalog", "vocab", "purpose"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("purpose (8)\n") and "fat_reduction  (also:" in text


def test_cli_refuses_an_unknown_vocabulary(capsys):
    from mesoreg.command import cli

    assert cli.main(["--no-plugins", "catalog", "vocab", "routes"]) == 2
    assert "unknown vocabulary 'routes'" in capsys.readouterr().err


def test_every_class_and_condition_id_in_the_catalog_is_a_normalised_term(catalog):
    for drug in catalog.drugs.values():
        assert all(normalize(c) == c for c in drug.classes), drug.id
    for ingredient in catalog.ingredients.values():
        assert all(normalize(c) == c for c in ingredient.classes), ingredient.id
    assert all(normalize(c) == c for c in catalog.conditions)
