"""Drugs coded with WHO ATC codes, medication classes on ATC groups, and their data."""

from __future__ import annotations

import pytest

from mesoreg._errors import InputError
from mesoreg.documents._knowledge import Drug, MedicationClass, Pack, Source
from mesoreg.host._registry import get_catalog
from mesoreg.knowledge._atc import is_atc, parse_atc
from mesoreg.knowledge._catalog import Catalog, build_catalog


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return get_catalog()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("B01AF02", "B01AF02"),
        ("ATC:B01AF02", "B01AF02"),
        ("atc b01af02", "B01AF02"),
        (" B01AF ", "B01AF"),
        ("ATC:B01", "B01"),
        ("B01", None),
        ("Xarelto", None),
        ("B01AF0", None),
        ("ATC:", None),
    ],
)
def test_parse_atc(text: str, code: str | None) -> None:
    assert parse_atc(text) == code


def test_every_drug_has_a_well_formed_atc_code(catalog: Catalog) -> None:
    missing = sorted(d.id for d in catalog.drugs.values() if not d.atc)
    assert missing == []
    bad = [
        (d.id, c) for d in catalog.drugs.values() for c in d.atc if not is_atc(c, substance=True)
    ]
    assert bad == []


def test_every_class_record_has_sources_and_well_formed_groups(catalog: Catalog) -> None:
    for record in catalog.class_records.values():
        assert record.sources, record.id
        assert all(is_atc(p) for p in record.atc_prefixes), record.id


@pytest.mark.parametrize(
    ("name", "drug_class"),
    [
        ("B01AF02", "anticoagulant"),  # apixaban by code
        ("ATC:B01AB04", "anticoagulant"),  # dalteparin by code
        ("B01AX05", "anticoagulant"),  # fondaparinux
        ("B01AC22", "antiplatelet"),  # prasugrel
        ("M01AE01", "nsaid"),
        ("C01BD01", "antiarrhythmic"),
        ("C07AA05", "nonselective_beta_blocker"),
        ("A10AE05", "insulin"),
        ("N06AB03", "ssri"),
        ("D10BA01", "retinoid"),
        ("G03AA07", "hormonal_contraceptive"),
        ("H03AA01", "thyroid_hormone"),
        ("N05AN01", "lithium"),
    ],
)
def test_a_drug_given_only_by_atc_code_is_classified(
    catalog: Catalog, name: str, drug_class: str
) -> None:
    found = catalog.classify_medication(name)
    assert found is not None
    assert drug_class in found[2]


def test_an_atc_code_of_no_known_drug_is_classified_by_its_groups(catalog: Catalog) -> None:
    found = catalog.classify_medication("B01AE06")  # bivalirudin: no drug record
    assert found == (None, "B01AE06", ("anticoagulant",))


@pytest.mark.parametrize(
    ("code", "not_in"),
    [
        ("M02AA15", "nsaid"),  # topical diclofenac: not what the bleeding rule means
        ("M01AX05", "nsaid"),  # glucosamine sits in M01AX but is no NSAID
        ("B01AD02", "anticoagulant"),  # alteplase, a thrombolytic enzyme
        ("D10AD04", "retinoid"),  # topical isotretinoin
        ("C07AB02", "nonselective_beta_blocker"),  # metoprolol is selective
    ],
)
def test_classes_keep_to_what_the_rules_mean(catalog: Catalog, code: str, not_in: str) -> None:
    assert not_in not in catalog.atc_classes(code)


@pytest.mark.parametrize(
    ("brand", "drug_id", "drug_class"),
    [
        ("Sintrom", "acenocoumarol", "anticoagulant"),
        ("Previscan", "fluindione", "anticoagulant"),
        ("Fragmin", "dalteparin", "anticoagulant"),
        ("Arixtra", "fondaparinux", "anticoagulant"),
        ("Efient", "prasugrel", "antiplatelet"),
        ("Effient", "prasugrel", "antiplatelet"),
        ("Kardegic", "aspirin", "antiplatelet"),
        ("Levemir", "insulin_detemir", "insulin"),
        ("Humulin", "insulin_human", "insulin"),
        ("Roaccutane", "isotretinoin", "retinoid"),
        ("Absorica", "isotretinoin", "retinoid"),
        ("Synthroid", "levothyroxine", "thyroid_hormone"),
        ("Lithobid", "lithium", "lithium"),
        ("Tambocor", "flecainide", "antiarrhythmic"),
        ("digoxin", "digoxin", "antiarrhythmic"),
        ("sotalol", "sotalol", "antiarrhythmic"),
    ],
)
def test_brands_resolve_to_their_drug_and_classes(
    catalog: Catalog, brand: str, drug_id: str, drug_class: str
) -> None:
    drug = catalog.find_drug(brand)
    assert drug is not None and drug.id == drug_id
    assert drug_class in catalog.drug_classes(drug)


def _pack(*drugs: Drug, classes: tuple[MedicationClass, ...] = ()) -> Pack:
    source = Source(id="s1", title="T", issuer="I", date="2024", kind="label")  # type: ignore[arg-type]
    return Pack(name="p", version="1", sources=(source,), drugs=drugs, medication_classes=classes)


def test_a_brand_shared_by_two_substances_is_refused() -> None:
    a = Drug(id="a", name="A", classes=(), sources=("s1",), aliases=("Shared",), atc=("B01AA03",))
    b = Drug(id="b", name="B", classes=(), sources=("s1",), aliases=("Shared",), atc=("B01AA07",))
    with pytest.raises(InputError, match="name 'Shared' also names drug"):
        build_catalog([_pack(a, b)])


def test_an_atc_code_on_two_drugs_is_refused() -> None:
    a = Drug(id="a", name="A", classes=(), sources=("s1",), atc=("B01AA03",))
    b = Drug(id="b", name="B", classes=(), sources=("s1",), atc=("B01AA03",))
    with pytest.raises(InputError, match="ATC code 'B01AA03' also belongs to drug 'a'"):
        build_catalog([_pack(a, b)])


def test_a_malformed_atc_code_is_refused() -> None:
    a = Drug(id="a", name="A", classes=(), sources=("s1",), atc=("b01aa3",))
    with pytest.raises(InputError, match="is not a WHO ATC substance code"):
        build_catalog([_pack(a)])


def test_a_drug_whose_own_class_contradicts_its_atc_code_is_refused() -> None:
    record = MedicationClass(id="anticoagulant", name="A", sources=("s1",), atc_prefixes=("B01AA",))
    a = Drug(id="a", name="A", classes=("anticoagulant",), sources=("s1",), atc=("N02BE01",))
    with pytest.raises(InputError, match="lie outside them"):
        build_catalog([_pack(a, classes=(record,))])
    named = MedicationClass(
        id="anticoagulant", name="A", sources=("s1",), atc_prefixes=("B01AA",), drugs=("a",)
    )
    assert build_catalog([_pack(a, classes=(named,))]).drug_classes(a) == ("anticoagulant",)
