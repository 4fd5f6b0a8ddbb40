"""JSON Schemas: generated from the models, committed, accepted by real validators."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess

import jsonschema
import pytest
from conftest import FORMULATIONS, PATIENTS, ROOT

import mesoreg
from mesoreg._schema import SCHEMAS, render

SCHEMA_DIR = ROOT / "schemas"
FILES = {
    "formulation-1.schema.json": sorted(ROOT.glob("formulations/*/v*.toml")),
    "ledger-1.schema.json": sorted(ROOT.glob("formulations/*/index.toml")),
    "patient-1.schema.json": sorted(PATIENTS.glob("*.toml")),
    "pack-1.schema.json": sorted(ROOT.glob("plugins/*/mesoreg_*/*.toml")),
    "catalog-part-1.schema.json": sorted(ROOT.glob("mesoreg/catalog/*.toml")),
}


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_committed_schema_matches_the_models(name):
    committed = (SCHEMA_DIR / name).read_text(encoding="utf-8")
    assert committed == render(SCHEMAS[name]()), (
        f"schemas/{name} drifted from the models: run 'mesoreg schema export'"
    )


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_schemas_are_self_contained_draft_07_and_closed(name):
    schema = json.loads((SCHEMA_DIR / name).read_text())
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(schema)
    text = json.dumps(schema)
    assert "$ref" not in text

    def closed(node):  # type: ignore[no-untyped-def]
        if isinstance(node, dict):
            if node.get("type") == "object":
                assert node.get("additionalProperties") is False, node.get("description")
            for value in node.values():
                closed(value)
        elif isinstance(node, list):
            for value in node:
                closed(value)

    closed(schema)


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is not installed: pip install '.[test]'"
    return path


@pytest.mark.parametrize("schema", sorted(FILES))
def test_every_toml_file_validates_with_check_jsonschema(schema):
    files = [str(p) for p in FILES[schema]]
    assert files
    out = subprocess.run(
        [_tool("check-jsonschema"), "--schemafile", str(SCHEMA_DIR / schema), *files],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_every_toml_file_validates_with_taplo_through_its_schema_line():
    paths = [p for group in FILES.values() for p in group]
    for path in paths:
        assert path.read_text(encoding="utf-8").startswith("#:schema "), path
    files = [str(p) for p in paths]
    out = subprocess.run(
        [_tool("taplo"), "check", *files], capture_output=True, text=True, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr[-2000:]


BAD = {
    "unknown key": ('title = "', 'colour = "red"\ntitle = "'),
    "wrong type": ("version = 1", 'version = "one"'),
    "missing required": ("schema_version = 1\n", ""),
}


@pytest.mark.parametrize("change", sorted(BAD))
def test_validators_reject_bad_files_as_mesoreg_does(tmp_path, change):
    source = FORMULATIONS[0].read_text(encoding="utf-8")
    old, new = BAD[change]
    assert old in source
    folder = tmp_path / "formulations" / "bad"
    folder.mkdir(parents=True)
    shutil.copytree(SCHEMA_DIR, tmp_path / "schemas")
    path = folder / "v1.toml"
    path.write_text(source.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(mesoreg.InputError):
        mesoreg.load_formulation(path)
    cjs = subprocess.run(
        [
            _tool("check-jsonschema"),
            "--schemafile",
            str(SCHEMA_DIR / "formulation-1.schema.json"),
            str(path),
        ],
        capture_output=True,
        text=True,
    )
    assert cjs.returncode == 1, cjs.stdout
    taplo = subprocess.run(
        [_tool("taplo"), "check", str(path)], capture_output=True, text=True, cwd=tmp_path
    )
    assert taplo.returncode == 1, taplo.stderr


@pytest.mark.parametrize("path", FORMULATIONS, ids=lambda p: p.parent.name)
def test_json_reports_match_the_report_schema(registry, path):
    schema = json.loads((SCHEMA_DIR / "report-1.schema.json").read_text())
    report = mesoreg.check(
        path, PATIENTS / "marc.toml", registry=registry, region="FR", date=dt.date(2026, 11, 22)
    )
    data = mesoreg.report_to_dict(report)
    jsonschema.validate(data, schema)
    for finding in data["findings"]:
        assert finding["fhir_severity"] in ("high", "moderate", "low")
        assert finding["cds_indicator"] in ("critical", "warning", "info")


def test_schema_export_command(tmp_path, capsys):
    from mesoreg import cli

    assert cli.main(["schema", "export", str(tmp_path)]) == 0
    for name in SCHEMAS:
        assert (tmp_path / name).read_text() == (SCHEMA_DIR / name).read_text()


#: schema files released with mesoreg 0.1.0: frozen.  A model change that alters one of them
#: needs a new schema version (and a migration), never an edit of a released file.
RELEASED = {
    "catalog-part-1.schema.json": (
        "5fbc6b0ef94d76905470c59cd96e6e1434865adc01ea6debf85c3f2a467cdd6c"
    ),
    "formulation-1.schema.json": "923b8a808e328a6d1bc1053e3d5e4178c57043d6a40955049660b2c946dc2c6d",
    "ledger-1.schema.json": "92b0dd6aa060e4298c9a42c61e133dec5145864ed45f877274c11244a35f7a1c",
    "pack-1.schema.json": "55cd10b9ac3fe48fcf3fb2c06bd17cd4659e4fa74b2ce8fcfecdcf68d5635f30",
    "patient-1.schema.json": "e5f5140f716ef1b5629a9f928424638e9903a004b8f7ef7821b260cb63c0aedb",
    "report-1.schema.json": "0a3883ab3aa65a0a1730a905f306750abc6b3a853277f434d71bb39eb0809e3f",
}


@pytest.mark.parametrize("name", sorted(RELEASED))
def test_released_schema_versions_are_frozen(name):
    import hashlib

    digest = hashlib.sha256((SCHEMA_DIR / name).read_bytes()).hexdigest()
    assert digest == RELEASED[name], (
        f"schemas/{name} was released and must not change: add a new schema version"
    )
