"""The compounding Python API, used as a program would: from a stock vial to a recorded,
labelled preparation through public names only; bad input as InputError with key paths."""

from __future__ import annotations

import datetime as dt
import io
import sys
from pathlib import Path

import pypdf
import pytest

import mesoreg

REQUEST = {
    "schema_version": 1,
    "id": "face-lidocaine",
    "title": "Lidocaine in saline",
    "use": {
        "area": "face",
        "technique": "nappage",
        "route": "intradermal",
        "purpose": "skin_quality",
    },
    "syringes": [
        {
            "name": "anaesthetic syringe",
            "targets": [
                {
                    "ingredient": "lidocaine",
                    "concentration": "5 mg/mL",
                    "product": "lidocaine_2pct_5ml_vial",
                }
            ],
        }
    ],
}
WHEN = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
SCA = mesoreg.Environment.SEGREGATED_COMPOUNDING_AREA
FRIDGE = mesoreg.Storage.REFRIGERATOR
LOTS = (
    ("lidocaine_2pct_5ml_vial", "A123", dt.date(2027, 3, 31)),
    ("sodium_chloride_0_9pct_10ml_vial", "S9", dt.date(2027, 1, 1)),
)


def _request(**changes: object) -> mesoreg.CompoundRequest:
    fields: dict[str, object] = {
        "compounded_at": WHEN,
        "prepared_by": "J. Martin",
        "verified_by": "A. Dupont",
        "environment": SCA,
        "storage": FRIDGE,
        "lots": LOTS,
        "patient": "MRN-0042",
    }
    return mesoreg.CompoundRequest(**{**fields, **changes})  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path, registry: mesoreg.Registry) -> Path:
    """A store holding face-lidocaine@1, composed and published through the API."""
    composition = mesoreg.compose(mesoreg.parse_compose_request(REQUEST), registry=registry)
    root = tmp_path / "store"
    entry = mesoreg.publish(
        composition.formulation, mesoreg.Store(root), author="J. Martin", registry=registry
    )
    assert entry.version == 1
    return root


def test_from_a_stock_vial_to_a_recorded_labelled_preparation(
    store: Path, registry: mesoreg.Registry, tmp_path: Path
) -> None:
    # compose: 5 mg/mL from 20 mg/mL in 5 mL is 1.25 mL, half a graduation: rounded down
    request_file = tmp_path / "request.toml"
    request_file.write_text(
        'schema_version = 1\nid = "face-lidocaine"\ntitle = "Lidocaine in saline"\n'
        '[use]\narea = "face"\ntechnique = "nappage"\nroute = "intradermal"\n'
        'purpose = "skin_quality"\n[[syringes]]\nname = "anaesthetic syringe"\n'
        '[[syringes.targets]]\ningredient = "lidocaine"\nconcentration = "5 mg/mL"\n'
        'product = "lidocaine_2pct_5ml_vial"\n'
    )
    request = mesoreg.load_compose_request(request_file)
    assert request == mesoreg.parse_compose_request(REQUEST)
    composition = mesoreg.compose(request, mesoreg.stock_products(), registry=registry)
    (syringe,) = composition.syringes
    (draw,) = syringe.draws
    assert (draw.product.id, draw.exact_volume, str(draw.volume)) == (
        "lidocaine_2pct_5ml_vial",
        1.25,
        "1.2 mL",
    )
    assert str(draw.result) == "4.8 mg/mL"
    assert draw.error_percent == pytest.approx(-4.0)
    assert syringe.diluent is not None
    assert (syringe.diluent.product.id, str(syringe.diluent.volume)) == (
        "sodium_chloride_0_9pct_10ml_vial",
        "3.8 mL",
    )
    assert composition.formulation.id == "face-lidocaine"
    (preparation,) = composition.formulation.preparations
    assert [str(c.volume) for c in preparation.components] == ["1.2 mL", "3.8 mL"]

    # the BUD rule
    conditions = mesoreg.BudConditions(SCA, FRIDGE, WHEN)
    bud = mesoreg.beyond_use_date(conditions)
    assert (bud.bud, bud.hours, bud.category) == (
        WHEN + dt.timedelta(hours=24),
        24,
        mesoreg.Category.CATEGORY_1,
    )

    # the master formulation record of the stored version, as data and as HTML
    record = mesoreg.master_formulation_record(
        store,
        "face-lidocaine@1",
        date=dt.date(2026, 11, 22),
        environment=SCA,
        storage=FRIDGE,
        registry=registry,
    )
    assert record.provenance.version == 1
    assert ("anaesthetic syringe", "Lidocaine hydrochloride", "4.8 mg/mL") in record.strength
    assert record.bud.hours == 24
    page = mesoreg.record_html(record)
    assert "4.8 mg/mL" in page and "Lidocaine in saline" in page

    # the labels
    sheet = mesoreg.syringe_labels(
        str(store), "face-lidocaine@1", conditions, lot="L-7", patient="MRN-0042", registry=registry
    )
    (label,) = sheet.labels
    assert (label.bud, label.lot, label.patient, label.storage) == (
        "2026-11-23 10:00+01:00",
        "L-7",
        "MRN-0042",
        "Store in a refrigerator",
    )
    assert ("Lidocaine hydrochloride", "4.8 mg/mL") in label.ingredients
    assert "4.8 mg/mL" in mesoreg.labels_html(sheet)

    # the compounding record, stored and read back against the ledger
    first = mesoreg.record_preparation(
        mesoreg.Store(store), "face-lidocaine@1", _request(), registry=registry
    )
    second = mesoreg.record_preparation(
        store, "face-lidocaine@1", _request(patient=None), registry=registry
    )
    assert (first.record, second.record) == (1, 2)
    assert first.bud.bud == WHEN + dt.timedelta(hours=24)
    assert [lot.lot for lot in first.lots] == ["A123", "S9"]
    assert mesoreg.compounding_records(store, "face-lidocaine@1") == [first, second]


def test_a_changed_compounding_record_is_refused(store: Path, registry: mesoreg.Registry) -> None:
    mesoreg.record_preparation(store, "face-lidocaine@1", _request(), registry=registry)
    path = store / "face-lidocaine" / "records" / "v1-1.toml"
    path.write_text(path.read_text().replace("A123", "A124"))
    with pytest.raises(mesoreg.StoreError, match="changed after it was recorded"):
        mesoreg.compounding_records(store, "face-lidocaine@1")


def test_a_refused_preparation_is_not_recorded(store: Path, registry: mesoreg.Registry) -> None:
    expired = ((*LOTS[0][:2], dt.date(2026, 1, 1)), LOTS[1])
    with pytest.raises(mesoreg.InputError) as caught:
        mesoreg.record_preparation(
            store,
            "face-lidocaine@1",
            _request(lots=expired, verified_by="j. martin"),
            registry=registry,
        )
    keys = [p.key_path for p in caught.value.problems]
    assert keys == ["--verified-by", "--lot[0].expiry"]
    assert mesoreg.compounding_records(store, "face-lidocaine@1") == []


@pytest.mark.parametrize(
    ("change", "key_paths"),
    [
        ({"schema_version": 2}, ["schema_version"]),
        ({"colour": "red"}, ["colour"]),
        (
            {"syringes": [{"name": "s", "targets": [{"ingredient": "lidocaine", "dose": 1}]}]},
            ["syringes[0].targets[0].dose"],
        ),
    ],
)
def test_a_bad_compose_request_names_its_keys(
    change: dict[str, object], key_paths: list[str]
) -> None:
    with pytest.raises(mesoreg.InputError) as caught:
        mesoreg.parse_compose_request({**REQUEST, **change}, origin="crm:42")
    assert [p.key_path for p in caught.value.problems] == key_paths
    assert str(caught.value).startswith("crm:42: ")


def test_what_cannot_be_composed_is_refused_with_its_key_path(registry: mesoreg.Registry) -> None:
    too_strong = {
        **REQUEST,
        "syringes": [
            {
                "name": "s",
                "capacity": "1 mL",
                "targets": [
                    {
                        "ingredient": "lidocaine",
                        "concentration": "40 mg/mL",
                        "product": "lidocaine_2pct_5ml_vial",
                    }
                ],
            }
        ],
    }
    with pytest.raises(mesoreg.InputError) as caught:
        mesoreg.compose(mesoreg.parse_compose_request(too_strong), registry=registry)
    assert [p.key_path for p in caught.value.problems] == ["syringes[0].targets[0].concentration"]


def test_a_request_is_text_or_a_dict_never_anything_else() -> None:
    with pytest.raises(mesoreg.InputError, match=r"mesoreg\.load_compose_request"):
        mesoreg.parse_compose_request(Path("request.toml"))  # type: ignore[arg-type]
    with pytest.raises(mesoreg.InputError) as caught:
        mesoreg.parse_compose_request('schema_version = 1\nid = "x"\ntitle = "t"\n')
    assert sorted(p.key_path for p in caught.value.problems) == ["syringes", "use"]


def test_a_product_defined_twice_is_refused(tmp_path: Path) -> None:
    extra = tmp_path / "products.toml"
    extra.write_text(
        'schema_version = 1\n[[products]]\nid = "lidocaine_2pct_5ml_vial"\n'
        'name = "Lidocaine 2 %"\ningredient = "lidocaine"\nstrength = "20 mg/mL"\n'
        'volume = "5 mL"\ncontainer = "single_dose_vial"\n'
        '[products.source]\ntitle = "label"\nissuer = "maker"\nurl = "https://example.org/l"\n'
    )
    with pytest.raises(mesoreg.InputError) as caught:
        mesoreg.stock_products(extra)
    (problem,) = caught.value.problems
    assert problem.key_path == "lidocaine_2pct_5ml_vial"
    assert str(caught.value) == (
        f"{extra}: lidocaine_2pct_5ml_vial: product 'lidocaine_2pct_5ml_vial' is defined in "
        f"both mesoreg/compounding/data/products.toml and {extra}. Give the second one another id."
    )
    assert "lidocaine_2pct_5ml_vial" in mesoreg.stock_products()


def test_bad_references_stores_and_options_are_input_errors(
    store: Path, registry: mesoreg.Registry, tmp_path: Path
) -> None:
    with pytest.raises(mesoreg.InputError, match="no store at") as caught:
        mesoreg.compounding_records(tmp_path / "nowhere", "face-lidocaine@1")
    assert caught.value.problems[0].key_path == "store"
    with pytest.raises(mesoreg.InputError, match="names no version"):
        mesoreg.record_preparation(store, "face-lidocaine", _request(), registry=registry)
    with pytest.raises(mesoreg.InputError) as caught:
        mesoreg.master_formulation_record(store, "face-lidocaine@1", environment=SCA)
    assert caught.value.problems[0].key_path == "storage"
    with pytest.raises(mesoreg.InputError) as caught:
        mesoreg.master_formulation_record(store, "face-lidocaine@1", region="France")
    assert caught.value.problems[0].key_path == "region"
    with pytest.raises(mesoreg.InputError) as caught:
        mesoreg.beyond_use_date(
            mesoreg.BudConditions(
                SCA,
                FRIDGE,
                WHEN,
                lots=(mesoreg.Lot("lidocaine_2pct_5ml_vial", "A1", dt.date(2026, 1, 1)),),
            )
        )
    assert caught.value.problems[0].key_path == "lots[0].expiry"


def test_the_pdfs_carry_the_numbers(store: Path, registry: mesoreg.Registry) -> None:
    record = mesoreg.master_formulation_record(
        store, "face-lidocaine@1", environment=SCA, storage=FRIDGE, registry=registry
    )
    sheet = mesoreg.syringe_labels(
        store, "face-lidocaine@1", mesoreg.BudConditions(SCA, FRIDGE, WHEN), lot="L-7"
    )
    for data, expected in (
        (mesoreg.record_pdf(record), "4.8 mg/mL"),
        (mesoreg.labels_pdf(sheet), "2026-11-23 10:00+01:00"),
    ):
        reader = pypdf.PdfReader(io.BytesIO(data))
        words = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
        assert expected in words


def test_a_pdf_without_reportlab_says_how_to_install_it(
    store: Path, registry: mesoreg.Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = mesoreg.master_formulation_record(store, "face-lidocaine@1", registry=registry)
    monkeypatch.setitem(sys.modules, "reportlab", None)
    with pytest.raises(mesoreg.InputError) as caught:
        mesoreg.record_pdf(record)
    assert str(caught.value) == (
        "record_pdf: PDF output needs ReportLab, which is not installed. Run: pip install "
        "'mesoreg[pdf]' (or use mesoreg.record_html and print it)."
    )
