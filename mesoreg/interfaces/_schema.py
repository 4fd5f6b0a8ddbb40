"""JSON Schemas (draft-07) generated from the models, one per document kind and version.

Each schema is self-contained (no ``$ref`` to other files: taplo and editors
cannot follow them) and closed (``additionalProperties: false`` throughout).
TOML dates and date-times are strings with a ``format``, as TOML tools hand
them to JSON Schema validators; quantities are strings with a number and a
unit.  ``mesoreg schema export DIR`` writes them; a test fails when the
committed files in ``schemas/`` drift from the models.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from mesoreg.documents._field import doc_of
from mesoreg.documents._knowledge import PACK_HEADER, Pack
from mesoreg.documents._model import SCHEMA_VERSION, Formulation, Patient
from mesoreg.documents._quantity import Quantity
from mesoreg.interfaces._cli_schema import CLI_SCHEMAS
from mesoreg.store._ledger import LEDGER_SCHEMA_VERSION, Ledger

DRAFT = "http://json-schema.org/draft-07/schema#"
#: a number, then a unit; or a ratio like 1:100000 (the parser has the final word)
QUANTITY_PATTERN = r"^\s*([0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?\s*\S.*|1\s*:\s*[0-9][0-9 ,_]*)$"


def _is_optional(kind: Any) -> tuple[bool, Any]:
    args = typing.get_args(kind)
    origin = typing.get_origin(kind)
    if (origin is typing.Union or origin is types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return True, rest[0]
    return False, kind


def type_schema(kind: Any) -> dict[str, Any]:
    """The JSON Schema of one field type."""
    _, kind = _is_optional(kind)
    origin = typing.get_origin(kind)
    if kind is str:
        return {"type": "string"}
    if kind is bool:
        return {"type": "boolean"}
    if kind is int:
        return {"type": "integer"}
    if kind is float:
        return {"type": "number"}
    if kind is dt.datetime:
        return {"type": "string", "format": "date-time"}
    if kind is dt.date:
        return {"type": "string", "format": "date"}
    if kind is Quantity:
        return {"type": "string", "pattern": QUANTITY_PATTERN}
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return {"enum": [m.value for m in kind]}
    if origin is tuple:
        args = typing.get_args(kind)
        if len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": type_schema(args[0])}
        return {
            "type": "array",
            "items": [type_schema(a) for a in args],
            "minItems": len(args),
            "maxItems": len(args),
        }
    if attrs.has(kind):
        return object_schema(kind)
    raise TypeError(f"no JSON Schema for {kind!r}")


def object_schema(cls: type[Any], skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """A closed object schema for an attrs class; fields without defaults are required.

    Each property's ``description`` is the field's help text (``metadata=doc(...)``),
    never a docstring attrs supplies, so the schemas do not change with attrs' version.
    """
    hints = typing.get_type_hints(cls)
    properties: dict[str, Any] = {}
    required = []
    for field in attrs.fields(cls):
        if field.name in ("origin", *skip):
            continue
        prop = type_schema(hints[field.name])
        help_text = doc_of(field)
        if not help_text:
            raise TypeError(f"{cls.__name__}.{field.name} has no help text: add metadata=doc(...)")
        prop["description"] = help_text
        properties[field.name] = prop
        if field.default is attrs.NOTHING:
            required.append(field.name)
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = required
    if cls.__doc__:
        schema["description"] = cls.__doc__.strip().splitlines()[0]
    return schema


def _document(title: str, body: dict[str, Any], version: int) -> dict[str, Any]:
    properties = dict(body["properties"])
    properties["schema_version"] = {"const": version}
    return {"$schema": DRAFT, "title": title, **body, "properties": properties}


def formulation_schema() -> dict[str, Any]:
    """Formulation files (store versions and drafts)."""
    return _document("mesoreg formulation", object_schema(Formulation), SCHEMA_VERSION)


def patient_schema() -> dict[str, Any]:
    """Patient files."""
    return _document("mesoreg patient", object_schema(Patient), 1)


def ledger_schema() -> dict[str, Any]:
    """Store ledgers (``index.toml``)."""
    return _document("mesoreg store ledger", object_schema(Ledger), LEDGER_SCHEMA_VERSION)


def pack_schema() -> dict[str, Any]:
    """Data-only pack files: a ``[pack]`` table, then records."""
    records = object_schema(Pack, skip=PACK_HEADER)
    header = object_schema(Pack)
    header["properties"] = {k: v for k, v in header["properties"].items() if k in PACK_HEADER}
    header["required"] = ["name", "version", "licence"]
    header["description"] = (
        "The pack's header: its name, version, licence and the mesoreg versions it needs."
    )
    records["properties"] = {
        "schema_version": {"const": 1},
        "pack": header,
        **records["properties"],
    }
    records["required"] = ["schema_version", "pack", "sources"]
    records["properties"]["sources"]["minItems"] = 1
    return {"$schema": DRAFT, "title": "mesoreg data-only pack", **records}


def catalog_part_schema() -> dict[str, Any]:
    """The built-in core pack's files: records only (the pack's name is mesoreg-core)."""
    records = object_schema(Pack, skip=PACK_HEADER)
    return {"$schema": DRAFT, "title": "mesoreg core catalog file", **records}


def report_schema(version: int = 1) -> dict[str, Any]:
    """The JSON report of ``mesoreg check --format json``; version 2 adds overrides."""
    from mesoreg.checks._report import Verdict
    from mesoreg.documents._knowledge import Evidence, Severity

    def obj(props: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": props,
            "required": list(props),
            "additionalProperties": False,
        }

    string = {"type": "string"}
    nullable = {"type": ["string", "null"]}
    gap = obj({"check": string, "rule": string, "reason": string})
    source = obj(
        {
            "id": string,
            "title": string,
            "issuer": string,
            "date": string,
            "kind": {"enum": [e.value for e in Evidence]},
            "url": string,
            "doi": string,
        }
    )
    finding = obj(
        {
            "code": string,
            "severity": {"enum": [s.value for s in Severity]},
            "fhir_severity": {"enum": ["high", "moderate", "low"]},
            "cds_indicator": {"enum": ["critical", "warning", "info"]},
            "rule": string,
            "check": string,
            "provider": string,
            "message": string,
            "evidence": string,
            "advice": string,
            "evidence_level": {"enum": [e.value for e in Evidence]},
            "note": string,
            "components": {"type": "array", "items": string},
            "sources": {"type": "array", "items": source},
        }
    )
    body = obj(
        {
            "report_schema_version": {"const": 1},
            "mesoreg_version": string,
            "formulation": string,
            "patient": nullable,
            "region": nullable,
            "date": {"type": "string", "format": "date"},
            "verdict": {"enum": [v.value for v in Verdict]},
            "summary": obj({s.value: {"type": "integer", "minimum": 0} for s in Severity}),
            "findings": {"type": "array", "items": finding},
            "unchecked": {"type": "array", "items": gap},
            "not_run": {"type": "array", "items": gap},
            "checks": {"type": "array", "items": string},
            "packs": {"type": "array", "items": string},
        }
    )
    if version >= 2:
        body["properties"]["report_schema_version"] = {"const": version}
        body["properties"]["config_file"] = {
            **nullable,
            "description": "the configuration file (mesoreg.toml or pyproject.toml) used, if any",
        }
        body["properties"]["overrides"] = {
            "type": "array",
            "description": "records of one pack replaced or displaced by another pack's",
            "items": obj(
                {
                    "key": {**string, "description": "pack:kind.id, as allow_weakening names it"},
                    "pack": string,
                    "kind": string,
                    "id": string,
                    "replaces": {**string, "description": "the record replaced, and its origin"},
                    "weakening": {"type": "boolean"},
                    "allowed_by_configuration": {"type": "boolean"},
                    "changes": {"type": "array", "items": string},
                    "weakens": {"type": "array", "items": string},
                }
            ),
        }
        body["required"] = list(body["properties"])
    return {"$schema": DRAFT, "title": "mesoreg check report", **body}


#: file name -> generator; the number is the document's schema version
SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    f"formulation-{SCHEMA_VERSION}.schema.json": formulation_schema,
    "patient-1.schema.json": patient_schema,
    "pack-1.schema.json": pack_schema,
    "catalog-part-1.schema.json": catalog_part_schema,
    f"ledger-{LEDGER_SCHEMA_VERSION}.schema.json": ledger_schema,
    "report-1.schema.json": report_schema,
    "report-2.schema.json": lambda: report_schema(2),
    # the other commands' --format json output and the JSON error document
    **CLI_SCHEMAS,
}


def render(schema: dict[str, Any]) -> str:
    """A schema as the committed file's text."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def export_schemas(folder: Path) -> list[Path]:
    """Write every schema into ``folder``; returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, make in SCHEMAS.items():
        path = folder / name
        path.write_text(render(make()), encoding="utf-8")
        written.append(path)
    return written
