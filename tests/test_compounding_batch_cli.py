"""The compound and records commands: a record end to end, refusals, schemas, FHIR, verify."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from conftest import ROOT
from fhir.resources.bundle import Bundle

from mesoreg._exit import ExitCode
from mesoreg.command.cli import main

LOTS = [
    "--lot", "lidocaine_2pct_5ml_vial:A123:2027-03-31",
    "--lot", "sodium_chloride_0_9pct_10ml_vial:S9:2027-01-01",
]  # fmt: skip
WHEN = [
    "--environment", "segregated_compounding_area", "--storage", "refrigerator",
    "--compounded-at", "2026-11-22T10:00+01:00",
]  # fmt: skip
PEOPLE = ["--prepared-by", "J. Martin", "--verified-by", "A. Dupont"]
DRAFT = """schema_version = 1
id = "face-lidocaine"
version = 1
title = "Lidocaine in saline"
[use]
area = "face"
technique = "nappage"
route = "intradermal"
purpose = "skin_quality"
depth = "1 mm"
points = 50
volume_per_point = "0.05 mL"
[[preparations]]
name = "anaesthetic syringe"
per_session = 1
components = [
  { ingredient = "lidocaine", strength = "2 %", volume = "1.2 mL" },
  { ingredient = "sodium chloride", strength = "0.9 %", volume = "3.8 mL" },
]
"""


def schema(name: str) -> dict:  # type: ignore[type-arg]
    return json.loads((ROOT / "schemas" / name).read_text())


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys) -> str:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MESOREG_NO_PLUGINS", "1")
    (tmp_path / "draft.toml").write_text(DRAFT)
    assert main(["publish", "draft.toml", "--store", "st", "--author", "J. Martin"]) == 0
    capsys.readouterr()
    return "st"


def _compound(store: str, *more: str) -> int:
    return main(["compound", "face-lidocaine@1", "--store", store, *PEOPLE, *LOTS, *WHEN, *more])


def test_a_preparation_is_recorded_listed_verified_and_in_history(store, capsys) -> None:
    args = ["--patient", "MRN-0042", "--deviation", "second vial opened", "--format", "json"]
    assert _compound(store, *args) == ExitCode.OK
    data = json.loads(capsys.readouterr().out)
    jsonschema.validate(data, schema("cli-compound-1.schema.json"))
    record = data["record"]
    assert (data["file"], record["record"], record["patient"]) == (
        "records/v1-1.toml",
        1,
        "MRN-0042",
    )
    assert (record["bud"]["bud"], record["bud"]["hours"]) == ("2026-11-23T10:00:00+01:00", 24)
    assert [lot["lot"] for lot in record["lots"]] == ["A123", "S9"]
    assert record["deviations"] == ["second vial opened"]
    assert _compound(store, "--storage", "freezer") == ExitCode.NOT_VALIDATED
    assert "BUD NOT DETERMINED (category_1): cannot be assigned" in capsys.readouterr().out

    assert main(["records", "face-lidocaine@1", "--store", store, "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    jsonschema.validate(listed, schema("cli-records-1.schema.json"))
    assert [r["record"]["bud"]["bud"] for r in listed["records"]] == [
        "2026-11-23T10:00:00+01:00",
        None,
    ]
    record_file = Path(store, "face-lidocaine", "records", "v1-1.toml")
    import tomllib

    def iso(value):  # type: ignore[no-untyped-def]
        if isinstance(value, dict):
            return {k: iso(v) for k, v in value.items()}
        if isinstance(value, list):
            return [iso(v) for v in value]
        return value.isoformat() if hasattr(value, "isoformat") else value

    stored = tomllib.loads(record_file.read_text())
    jsonschema.validate(iso(stored), schema("compounding-record-1.schema.json"))
    assert stored["record"] == 1
    assert main(["verify", "--store", store]) == 0
    assert main(["history", "face-lidocaine", "--store", store]) == 0
    out = capsys.readouterr().out
    assert "compounded records/v1-1.toml sha256 " in out
    assert "compounded records/v1-2.toml sha256 " in out
    # a changed record is damage: verify says so and records refuses it
    record_file.write_text(record_file.read_text().replace("A123", "A124"))
    assert main(["verify", "--store", store]) == ExitCode.INPUT
    assert "v1-1.toml: changed after it was recorded" in capsys.readouterr().err
    assert main(["records", "face-lidocaine@1", "--store", store]) == ExitCode.INPUT


@pytest.mark.parametrize(
    ("more", "message"),
    [
        (["--verified-by", "j. martin"], "--verified-by: 'j. martin' also prepared it"),
        (["--patient", "Jane Smith, 54, diabetic"], "--patient: 'Jane Smith, 54, diabetic' is "
         "not a patient identifier"),
        (["--lot", "kybella_2ml_vial:K1:2027-01-01"], "--lot[2]: product 'kybella_2ml_vial' "
         "(deoxycholic_acid 20 mg/2 mL) is not in face-lidocaine@1"),
        (["--lot", "lidocaine_2pct_5ml_vial:OLD:2026-11-01"], "--lot[2].expiry: lot OLD of "
         "lidocaine_2pct_5ml_vial expired on 2026-11-01"),
        (["--lot", "lidocaine_2pct_5ml_vial:LATE:2026-11-22"], "--lot[2].expiry: the BUD "
         "2026-11-23T10:00+01:00 is after the expiry of lot LATE"),
        (["--lot", "nonesuch:X:2027-01-01"], "--lot[2]: no stock product 'nonesuch'"),
    ],
    ids=["same-person", "patient-facts", "not-in-version", "expired", "bud-after", "unknown"],
)  # fmt: skip
def test_refusals_record_nothing(store, capsys, more, message) -> None:
    assert _compound(store, *more) == ExitCode.INPUT
    assert message in capsys.readouterr().err
    assert not Path(store, "face-lidocaine", "records").exists()


def test_a_component_without_a_lot_and_a_retired_version_are_refused(store, capsys) -> None:
    argv = ["compound", "face-lidocaine@1", "--store", store, *PEOPLE, *LOTS[:2], *WHEN]
    assert main(argv) == ExitCode.INPUT
    assert "--lot: no lot is given for sodium chloride 0.9 %" in capsys.readouterr().err
    assert main(["retire", "face-lidocaine@1", "--store", store, "--by", "chief"]) == 0
    assert _compound(store) == ExitCode.INPUT
    assert "is retired; a retired version is not compounded" in capsys.readouterr().err


@pytest.fixture
def cellulite(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """The example store's cellulite-thighs@1 (a moderate finding), with its stock products."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MESOREG_NO_PLUGINS", "1")
    shutil.copytree(
        ROOT / "formulations" / "cellulite-thighs", tmp_path / "st" / "cellulite-thighs"
    )
    source = 'source = { title = "t", issuer = "i", url = "https://example.org" }'
    rows = [
        ("aminophylline_25", "aminophylline", "25 mg/mL"),
        ("centella_2pct", "centella asiatica", "2 %"),
    ]
    text = "schema_version = 1\n" + "".join(
        f'[[products]]\nid = "{i}"\nname = "{i}"\ningredient = "{n}"\nstrength = "{s}"\n'
        f'volume = "10 mL"\ncontainer = "single_dose_vial"\n{source}\n'
        for i, n, s in rows
    )
    (tmp_path / "products.toml").write_text(text)
    return "st"


CELLULITE_LOTS = [
    "--products", "products.toml", "--lot", "aminophylline_25:AM1:2027-06-30",
    "--lot", "centella_2pct:CE1:2027-06-30",
    "--lot", "lidocaine_1pct_20ml_multidose_vial:L1:2027-06-30",
]  # fmt: skip
ACKS = """schema_version = 1
[[acknowledgements]]
code = "MR-IX-AMINOPHYLLINE-ADMIXTURE"
components = ["aminophylline", "centella_asiatica", "lidocaine"]
reason = "prepared immediately before use, inspected for precipitate"
by = ["A. Dupont, PharmD"]
"""


def test_a_moderate_finding_must_be_acknowledged_and_is_exported_as_mitigation(
    cellulite, capsys, tmp_path
) -> None:
    argv = ["compound", "cellulite-thighs@1", "--store", cellulite, *PEOPLE, *CELLULITE_LOTS]
    argv += WHEN
    assert main(argv) == ExitCode.INPUT
    assert (
        "--acks: the moderate finding MR-IX-AMINOPHYLLINE-ADMIXTURE [aminophylline, "
        "centella_asiatica, lidocaine] of cellulite-thighs@1 is not acknowledged"
    ) in capsys.readouterr().err
    (tmp_path / "acks.toml").write_text(ACKS)
    # recorded; the check could not check everything: exit 3, and the record says so
    assert main([*argv, "--acks", "acks.toml", "--patient", "P-7"]) == ExitCode.NOT_VALIDATED
    out = capsys.readouterr().out
    assert (
        "ACKNOWLEDGED moderate MR-IX-AMINOPHYLLINE-ADMIXTURE [aminophylline, centella_asiatica, "
        "lidocaine] by A. Dupont, PharmD: prepared immediately before use" in out
    )
    assert "check when compounded: not-validated" in out
    assert main(["records", "cellulite-thighs@1", "--store", cellulite, "--format", "fhir"]) == 0
    bundle = json.loads(capsys.readouterr().out)
    Bundle.model_validate(bundle)
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds.count("Medication") == 4  # three stock lots and the preparation
    assert {"Provenance", "MedicationDispense", "DetectedIssue"} <= set(kinds)
    lots = {
        r["batch"]["lotNumber"]: r["batch"].get("expirationDate")
        for e in bundle["entry"]
        if (r := e["resource"])["resourceType"] == "Medication"
    }
    assert (
        lots["AM1"] == "2027-06-30" and lots["cellulite-thighs@1-1"] == "2026-11-23T10:00:00+01:00"
    )
    issue = next(
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "DetectedIssue"
        and e["resource"]["code"]["coding"][0]["code"] == "MR-IX-AMINOPHYLLINE-ADMIXTURE"
    )
    assert issue["mitigation"][-1]["author"] == {"display": "A. Dupont, PharmD"}
    assert issue["mitigation"][-1]["note"] == [
        {"text": "prepared immediately before use, inspected for precipitate"}
    ]
    provenance = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Provenance"
    )
    assert [(a["type"]["coding"][0]["code"], a["who"]["display"]) for a in provenance["agent"]] == [
        ("performer", "J. Martin"),
        ("verifier", "A. Dupont"),
    ]


def test_a_later_check_of_the_version_shows_its_acknowledgements(cellulite, capsys, tmp_path):  # type: ignore[no-untyped-def]
    check = ["check", "cellulite-thighs@1", "--store", cellulite, "--date", "2026-11-22"]
    main(check)
    assert "ACKNOWLEDGED IN COMPOUNDING RECORDS" not in capsys.readouterr().out  # none yet
    (tmp_path / "acks.toml").write_text(ACKS)
    argv = ["compound", "cellulite-thighs@1", "--store", cellulite, *PEOPLE, *CELLULITE_LOTS]
    main([*argv, *WHEN, "--acks", "acks.toml"])
    capsys.readouterr()
    code = main(check)
    out = capsys.readouterr().out
    assert code == ExitCode.NOT_VALIDATED  # the acknowledgement never changes the verdict
    assert out.startswith("NOT VALIDATED")
    assert "ACKNOWLEDGED IN COMPOUNDING RECORDS (the verdict above does not count them)" in out
    assert (
        "record 1 (2026-11-22T10:00:00+01:00): MR-IX-AMINOPHYLLINE-ADMIXTURE [aminophylline, "
        "centella_asiatica, lidocaine] by A. Dupont, PharmD: prepared immediately before use, "
        "inspected for precipitate\n"
    ) in out
    main([*check, "--format", "json"])
    assert "ACKNOWLEDGED" not in capsys.readouterr().out  # the JSON report is report-2, as is
    record = tmp_path / cellulite / "cellulite-thighs" / "records" / "v1-1.toml"
    record.write_text(record.read_text().replace("inspected", "INSPECTED"))
    assert main(check) == ExitCode.NOT_VALIDATED
    out = capsys.readouterr().out
    assert "ACKNOWLEDGED IN COMPOUNDING RECORDS\n  cannot be read:" in out
    assert "v1-1.toml" in out
