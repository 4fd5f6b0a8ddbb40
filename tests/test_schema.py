"""JSON Schemas: generated from the models, committed, accepted by real validators."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import subprocess

import jsonschema
import pytest
from conftest import FORMULATIONS, PATIENTS, ROOT

import mesoreg
from mesoreg.interfaces._schema import SCHEMAS, render

SCHEMA_DIR = ROOT / "schemas"
FILES = {
    "formulation-1.schema.json": sorted(ROOT.glob("formulations/*/v*.toml")),
    "ledger-1.schema.json": sorted(ROOT.glob("formulations/*/index.toml")),
    "patient-1.schema.json": sorted(PATIENTS.glob("*.toml")),
    "pack-1.schema.json": sorted(ROOT.glob("plugins/*/mesoreg_*/*.toml")),
    "catalog-part-1.schema.json": sorted(ROOT.glob("mesoreg/knowledge/data/*.toml")),
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
    schema = json.loads((SCHEMA_DIR / "report-2.schema.json").read_text())
    report = mesoreg.check(
        path, PATIENTS / "marc.toml", registry=registry, region="FR", date=dt.date(2026, 11, 22)
    )
    data = mesoreg.report_to_dict(report)
    jsonschema.validate(data, schema)
    for finding in data["findings"]:
        assert finding["fhir_severity"] in ("high", "moderate", "low")
        assert finding["cds_indicator"] in ("critical", "warning", "info")


def test_schema_export_command(tmp_path, capsys):
    from mesoreg.command import cli

    assert cli.main(["schema", "export", str(tmp_path)]) == 0
    for name in SCHEMAS:
        assert (tmp_path / name).read_text() == (SCHEMA_DIR / name).read_text()


#: what the version-1 schema files accept is frozen.  A model change that alters what one of
#: them validates needs a new schema version (and a migration), never an edit of the file.
#: Help texts (description, title) may improve: they are not hashed.  The last change before
#: the first release (0.1.0 is unreleased): route, technique, purpose and area became
#: vocabularies, shown as enums, and limits gained with_minimum (CHANGELOG); packs and catalog
#: parts gained [[medication_classes]], conditions gained codes, broader and may_be, limits
#: gained product and contraindications the childbearing_potential fact (issue 11).
RELEASED = {
    "catalog-part-1.schema.json": (
        "da38523104af01fe7fb2b40825197e20aea5fc805b014526402b994b5cbebe9a"
    ),
    "formulation-1.schema.json": "6be2b98062a5b1d5efadc1360b842b36f8f260dc6ebba66c6dde4b3b4717f174",
    "ledger-1.schema.json": "ac967f2737f1c8a14b03fea9c86872a74a6e2a049daa0a1ee0c18a3475110ddd",
    "pack-1.schema.json": "9f003253dbf4283e19c892f6dfe6ee98e45c62983d6570ec64cb278872606d3e",
    "patient-1.schema.json": "cd9b63e5a5e2ebb4f0a87b1154cd9ba25f0ede60d1adcb0ccee3c1854a99be74",
    "report-1.schema.json": "87b64426501b745d6723bd40a82065969ef47a4e6bd06cc3c3781bfde4ff765b",
}
ANNOTATIONS = ("description", "title")


def _validation_only(node):  # type: ignore[no-untyped-def]
    """The schema without its help texts: what it accepts and refuses."""
    if isinstance(node, dict):
        return {k: _validation_only(v) for k, v in node.items() if k not in ANNOTATIONS}
    if isinstance(node, list):
        return [_validation_only(v) for v in node]
    return node


@pytest.mark.parametrize("name", sorted(RELEASED))
def test_released_schema_versions_are_frozen(name):
    schema = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    text = json.dumps(_validation_only(schema), sort_keys=True)
    digest = hashlib.sha256(text.encode()).hexdigest()
    assert digest == RELEASED[name], (
        f"schemas/{name} was released and what it validates must not change: "
        "add a new schema version"
    )


def _described_objects(node, where="$"):  # type: ignore[no-untyped-def]
    """(key path, property schema) for every property of every object in a schema."""
    if isinstance(node, dict):
        for key, prop in node.get("properties", {}).items():
            yield f"{where}.{key}", prop
        for key, value in node.items():
            yield from _described_objects(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _described_objects(value, f"{where}[{i}]")


@pytest.mark.parametrize("name", sorted(n for n in SCHEMAS if not n.startswith("report-")))
def test_every_property_has_a_real_help_text(name):
    schema = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    seen = 0
    for where, prop in _described_objects(schema):
        if where.endswith(".schema_version") and "const" in prop and "description" not in prop:
            continue  # the document's own version: a constant, not a field
        text = prop.get("description", "")
        assert text, f"{name}: {where} has no description"
        assert "\n" not in text and "attr" not in text.lower(), f"{name}: {where}: {text!r}"
        assert 10 <= len(text) <= 300 and text.endswith((".", ")")), f"{name}: {where}: {text!r}"
        seen += 1
    assert seen > (1 if name.startswith("cli-") else 10)  # the commands' outputs are small


def test_help_texts_come_from_field_metadata_not_attrs_docstrings():
    import attrs

    from mesoreg.documents._field import doc_of
    from mesoreg.documents._model import Use
    from mesoreg.interfaces._schema import object_schema

    schema = object_schema(Use)
    for field in attrs.fields(Use):
        assert schema["properties"][field.name]["description"] == doc_of(field)
        assert doc_of(field) != (type(field).__doc__ or "").strip()


def test_a_field_without_help_text_cannot_reach_a_schema():
    import attrs

    from mesoreg.interfaces._schema import object_schema

    @attrs.frozen
    class Undocumented:
        """A model someone forgot to document."""

        colour: str

    with pytest.raises(TypeError, match=r"Undocumented.colour has no help text"):
        object_schema(Undocumented)
