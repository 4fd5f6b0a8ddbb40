"""The master formulation record's data: the subject's numbers, the check's findings, the
BUD rule's hours, and every required element with where it was read."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import ROOT

from mesoreg.compounding._bud import BudConditions, Environment, Storage, assign_bud
from mesoreg.compounding._record_model import (
    TO_FILL,
    MasterRecord,
    Provenance,
    build_record,
    builtin_elements,
    record_to_dict,
)
from mesoreg.documents._model import Context
from mesoreg.host._engine import check, resolve_subject
from mesoreg.store._store import Store

DAY = dt.date(2026, 12, 1)
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def record_of(registry, ref: str, **bud_args) -> MasterRecord:  # type: ignore[no-untyped-def]
    """The record of a version of the repository's own store, as `mesoreg mfr` builds it."""
    name, _, version = ref.partition("@")
    formulation, entry = Store(ROOT / "formulations").read(name, int(version))
    subject, _ = resolve_subject(formulation, None, Context(DAY, None), registry)
    report = check(formulation, None, date=DAY, registry=registry)
    provenance = Provenance(
        name, entry.version, entry.sha256, str(entry.status), entry.author, "2026-11-01"
    )
    bud = None
    if bud_args:
        bud = assign_bud(BudConditions(compounded_at=NOW, **bud_args))
    storage = bud_args.get("storage")
    return build_record(subject, report, provenance, bud=bud, storage=storage, generated=NOW)


def test_numbers_are_the_subjects_and_the_calculation_shows_them(registry) -> None:
    record = record_of(registry, "cellulite-thighs@1")
    assert record.strength == (
        ("lipolytic syringe", "Aminophylline", "8.3333 mg/mL"),
        ("lipolytic syringe", "Centella asiatica extract", "6.6667 mg/mL"),
        ("lipolytic syringe", "Lidocaine hydrochloride", "3.3333 mg/mL"),
    )
    (syringe,) = record.syringes
    assert (syringe.volume, syringe.per_session) == ("3 mL", "2")
    lidocaine = syringe.calculations[2]
    # '1 %' is 10 mg/mL: the calculation is written in the base units the checks use
    assert lidocaine.amount_steps == ("10 mg/mL x 1 mL = 10 mg",)
    assert (lidocaine.amount, lidocaine.total_volume, lidocaine.concentration) == (
        "10 mg",
        "3 mL",
        "3.3333 mg/mL",
    )
    assert [c.written_as for c in syringe.components] == [
        "aminophylline",
        "centella asiatica",
        "lignocaine",
    ]
    assert [(s.ingredient, s.amount) for s in record.session] == [
        ("Aminophylline", "50 mg"),
        ("Centella asiatica extract", "40 mg"),
        ("Lidocaine hydrochloride", "20 mg"),
    ]


def test_findings_come_with_their_references_and_the_gaps_are_kept(registry) -> None:
    record = record_of(registry, "lipo-abdomen@1")
    assert record.check.verdict == "not-validated"
    (finding,) = [f for f in record.check.findings if f.code == "MR-IX-DEOXYCHOLIC-ADMIXTURE"]
    assert finding.severity == "moderate"
    assert [s.kind for s in finding.sources] == ["label"]
    assert "fe431ed4-ea6f-4e99-b4bc-ec25ae7b8553" in finding.sources[0].url
    assert {g.rule for g in record.check.unchecked} >= {"deoxycholic_acid_concentration"}
    # a co-ingredient is its own line, with the product it comes in
    lines = record.syringes[0].components
    assert [(c.written_as, c.part_of) for c in lines] == [
        ("phosphatidylcholine", ""),
        ("sodium deoxycholate", "phosphatidylcholine"),
    ]


def test_bud_is_not_determined_without_an_environment_and_storage(registry) -> None:
    record = record_of(registry, "face-revitalisation@1")
    assert record.bud.hours is None and record.bud.storage is None
    assert record.bud.assigned.startswith("not determined: no compounding environment")
    category_1 = next(r for r in record.bud.table if r.rule == "category_1")
    assert (category_1.controlled_room_temperature, category_1.refrigerator) == (12, 24)
    assert category_1.freezer is None and "where not determined" in category_1.reason
    immediate = next(r for r in record.bud.table if r.rule == "immediate_use")
    # 4 h is in the data, but the rule is undetermined as a whole: no hours are shown
    assert immediate.controlled_room_temperature is None
    assert immediate.reason.startswith("not determined: the chapter's limit")


@pytest.mark.parametrize(
    ("environment", "storage", "hours", "assigned"),
    [
        (Environment.SEGREGATED_COMPOUNDING_AREA, Storage.REFRIGERATOR, 24, "24 hours from"),
        (Environment.SEGREGATED_COMPOUNDING_AREA, Storage.FREEZER, None, "not determined ("),
        (Environment.CLEANROOM_SUITE, Storage.REFRIGERATOR, None, "not determined ("),
    ],
)
def test_bud_for_an_environment_and_storage_is_the_rules(
    registry, environment, storage, hours, assigned
) -> None:
    record = record_of(registry, "face-revitalisation@1", environment=environment, storage=storage)
    assert record.bud.hours == hours
    assert record.bud.assigned.startswith(assigned)
    assert record.bud.storage == storage.value


def test_every_required_element_cites_where_it_was_read_and_nothing_is_made_up(registry) -> None:
    elements = builtin_elements()
    assert [e.id for e in elements.elements] == [
        "identity",
        "ingredients",
        "calculations",
        "compatibility_stability",
        "container_closure",
        "compounding_steps",
        "quality_control",
        "bud_storage",
        "labelling",
    ]
    assert all(e.read_at and set(e.chapters) <= {"795", "797"} for e in elements.elements)
    assert {c.url for c in elements.chapters} == {
        "https://www.usp.org/compounding/general-chapter-797",
        "https://www.usp.org/compounding/general-chapter-795",
    }
    record = record_of(registry, "hair-scalp@1")
    # what the formulation does not record is left to fill, never invented
    assert all(TO_FILL in line for line in record.container_closure)
    assert any(TO_FILL in line for line in record.quality_control)
    assert record.steps[1:4] == (
        "Syringe 'B-vitamin syringe': draw 1 mL of biotin 5 mg/mL.",
        "Syringe 'B-vitamin syringe': draw 1 mL of dexpanthenol 250 mg/mL.",
        "Syringe 'B-vitamin syringe': draw 1 mL of vitamin B12 1000 mcg/mL.",  # as written
    )


def test_json_data_is_plain_and_keyed(registry) -> None:
    data = record_to_dict(record_of(registry, "cellulite-thighs@1"))
    assert data["mfr_output_version"] == 1
    assert data["use"]["volume_per_point"] == "0.1 mL"
    assert data["strength"][0] == {
        "syringe": "lipolytic syringe",
        "ingredient": "Aminophylline",
        "concentration": "8.3333 mg/mL",
    }
    assert data["generated"] == "2026-12-01T09:00:00+00:00"
