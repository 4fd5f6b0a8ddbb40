"""JSON Schemas of the commands' ``--format json`` output, and of the JSON error document.

``mesoreg check`` has its own (``report-2``); the others are here, one file each
(``schemas/cli-<command>-1.schema.json``), exported with the rest by ``mesoreg
schema export``.  Dates and times are ISO 8601 strings.  A released schema's
validation never changes: a new output shape is a new version.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

DRAFT = "http://json-schema.org/draft-07/schema#"


def _obj(props: dict[str, Any], description: str, optional: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "properties": props,
        "required": [k for k in props if k not in optional],
        "additionalProperties": False,
    }


def _doc(title: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": DRAFT, "title": title, **body}


def _s(description: str, **more: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **more}


def _n(description: str, kind: str = "string", **more: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], "description": description, **more}


def _list(description: str, items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "description": description, "items": items}


_TIME = {"format": "date-time"}
_EXIT = {"type": "integer", "description": "The exit status of the command (see --help)."}


def _nullable_optionals(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's object schema for JSON: optional fields may also be null (unset)."""
    props = schema.get("properties", {})
    for key, prop in props.items():
        if key not in schema.get("required", ()) and "type" in prop:
            kinds = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
            prop["type"] = [*kinds, "null"] if "null" not in kinds else kinds
        elif key not in schema.get("required", ()) and "enum" in prop:
            prop["enum"] = [*prop["enum"], None]
        _nullable_optionals(prop)
        if isinstance(prop.get("items"), dict):
            _nullable_optionals(prop["items"])
    return schema


def _entry() -> dict[str, Any]:
    from mesoreg.interfaces._schema import object_schema
    from mesoreg.store._ledger import Entry

    return _nullable_optionals(object_schema(Entry))


def error_schema() -> dict[str, Any]:
    """``--format json`` when a command fails: why no result was made."""
    problem = _obj(
        {
            "path": _n("The file the problem is in, when there is one."),
            "key_path": _s("Where in the file or command line, e.g. components[1].volume."),
            "message": _s("What is wrong, in one line."),
            "hint": _s("How to fix it (may be empty)."),
            "text": _s("The whole line as printed on stderr after 'error: '."),
        },
        "One problem: where, what, how to fix.",
    )
    body = _obj(
        {
            "error_schema_version": {"const": 1, "description": "This document's version (1)."},
            "command": _n("The command that failed, e.g. 'publish' (null: usage error)."),
            "exit_code": _EXIT,
            "kind": {
                "enum": ["usage", "input", "internal"],
                "description": "usage (command line), input (files, store) or internal (a bug).",
            },
            "errors": _list("Every problem found, at once.", problem),
        },
        "Why a command made no result (exit code 2 or 4).",
    )
    return _doc("mesoreg error", body)


def new_schema() -> dict[str, Any]:
    """``mesoreg new --format json``."""
    return _doc(
        "mesoreg new",
        _obj(
            {
                "id": _s("The new formulation's id."),
                "file": _s("The draft file written (to edit, then publish)."),
                "from": _n("The stored version the draft starts from (ID@N), if any."),
                "next": _s("The command that publishes the draft, with this run's options."),
            },
            "A draft written by 'mesoreg new'.",
        ),
    )


def publish_schema() -> dict[str, Any]:
    """``mesoreg publish --format json``."""
    return _doc(
        "mesoreg publish",
        _obj(
            {
                "id": _s("The formulation's id."),
                "version": {"type": "integer", "minimum": 1, "description": "The version stored."},
                "sha256": _s("The stored file's sha256 (hex), as the ledger records it."),
                "store": _s("The store's folder."),
                "status": _s("The version's status (always draft after publishing)."),
                "check": _n("The verdict of the check recorded with it (null: not checked)."),
                "author": _s("Who published it, as recorded in the ledger."),
                "published": _s("When it was published (ISO 8601, UTC).", **_TIME),
                "skipped": _list(
                    "Foreign version files the number skipped (see 'mesoreg verify').",
                    {"type": "string"},
                ),
            },
            "A version stored by 'mesoreg publish'.",
        ),
    )


def status_schema() -> dict[str, Any]:
    """``mesoreg approve`` and ``mesoreg retire`` with ``--format json``."""
    return _doc(
        "mesoreg approve / retire",
        _obj(
            {
                "id": _s("The formulation's id."),
                "version": {"type": "integer", "minimum": 1, "description": "The version changed."},
                "status": _s("Its status now (approved or retired)."),
                "by": _n("Who changed it, as recorded in the ledger."),
                "at": _n("When (ISO 8601, UTC).", **_TIME),
                "action": _n("The ledger event recorded (e.g. approved, retired)."),
                "check": _n("The verdict of the version's last recorded check (null: none)."),
            },
            "A version's new status.",
        ),
    )


def verify_schema() -> dict[str, Any]:
    """``mesoreg verify --format json``."""
    return _doc(
        "mesoreg verify",
        _obj(
            {
                "store": _s("The store's folder."),
                "ok": {
                    "type": "boolean",
                    "description": "True when every file matches its ledger.",
                },
                "formulations": {
                    "type": "integer",
                    "description": "Formulations verified (0 when there are problems).",
                },
                "versions": {
                    "type": "integer",
                    "description": "Versions verified (0 when there are problems).",
                },
                "problems": _list("Every problem, one line each.", {"type": "string"}),
                "notes": _list(
                    "Notes that are not problems (e.g. a lock file).", {"type": "string"}
                ),
                "exit_code": _EXIT,
            },
            "The result of verifying a store against its ledgers.",
        ),
    )


def diff_schema() -> dict[str, Any]:
    """``mesoreg diff --format json``."""
    return _doc(
        "mesoreg diff",
        _obj(
            {
                "old": _s("The older version (ID@A)."),
                "new": _s("The newer version (ID@B)."),
                "differences": _list(
                    "Clinical differences, one line each (empty: none).", {"type": "string"}
                ),
            },
            "The clinical differences between two stored versions.",
        ),
    )


def history_schema() -> dict[str, Any]:
    """``mesoreg history --format json``: the ledger entries, oldest first."""
    return _doc(
        "mesoreg history",
        {
            "type": "array",
            "description": "Every version of one formulation, oldest first (ledger entries).",
            "items": _entry(),
        },
    )


def show_schema() -> dict[str, Any]:
    """``mesoreg show --format json``."""
    from mesoreg.documents._model import Formulation
    from mesoreg.interfaces._schema import object_schema

    return _doc(
        "mesoreg show",
        _obj(
            {
                "formulation": _nullable_optionals(object_schema(Formulation)),
                "ledger": _entry(),
            },
            "A stored version and its ledger entry.",
        ),
    )


def recheck_schema() -> dict[str, Any]:
    """``mesoreg recheck --format json``."""
    verdict = _n("A verdict: pass, warn, fail or not_validated (null: none recorded).")
    result = _obj(
        {
            "id": _s("The formulation's id."),
            "version": {"type": "integer", "description": "The approved version rechecked."},
            "changed": {"type": "boolean", "description": "True when verdict or findings changed."},
            "before": verdict,
            "after": _s("The verdict now (pass, warn, fail or not_validated)."),
            "reasons": _list("What changed, one line each.", {"type": "string"}),
        },
        "One approved version checked again.",
    )
    return _doc(
        "mesoreg recheck",
        _obj(
            {
                "rechecked": {"type": "integer", "description": "Approved versions checked."},
                "changed": {"type": "integer", "description": "Versions whose result changed."},
                "results": _list("Every approved version, in store order.", result),
            },
            "Every approved version checked again with today's rules.",
        ),
    )


def plugins_check_schema() -> dict[str, Any]:
    """``mesoreg plugins check --format json``."""
    return _doc(
        "mesoreg plugins check",
        _obj(
            {
                "target": _s("The pack file, project folder or plugin name checked."),
                "ok": {"type": "boolean", "description": "True when nothing is wrong (exit 0)."},
                "problems": _list("Every problem, one line each.", {"type": "string"}),
                "warnings": _list("Overrides and other things to know.", {"type": "string"}),
                "exit_code": _EXIT,
            },
            "The result of checking a plugin or pack.",
        ),
    )


def schema_export_schema() -> dict[str, Any]:
    """``mesoreg schema export --format json``."""
    return _doc(
        "mesoreg schema export",
        _obj(
            {
                "folder": _s("The folder written into."),
                "written": _list("Every schema file written.", {"type": "string"}),
            },
            "The JSON Schemas written.",
        ),
    )


def catalog_docs_schema() -> dict[str, Any]:
    """``mesoreg catalog docs --format json``."""
    return _doc(
        "mesoreg catalog docs",
        _obj(
            {
                "format": {"const": "markdown", "description": "The text's format (markdown)."},
                "text": _s("The catalog as Markdown (docs/catalog.md)."),
            },
            "The catalog as one Markdown document.",
        ),
    )


_STRINGS = {"type": "string"}


def catalog_list_schema() -> dict[str, Any]:
    """``mesoreg catalog list --format json``."""
    row = _obj(
        {
            "id": _s("The ingredient's id (lowercase snake_case)."),
            "name": _s("Its name as pharmacists write it."),
            "classes": _list("Its ingredient classes.", _STRINGS),
            "aliases": _list("Other names, brands and spellings accepted.", _STRINGS),
        },
        "One ingredient.",
    )
    return _doc(
        "mesoreg catalog list",
        {"type": "array", "description": "Every ingredient, by id.", "items": row},
    )


def catalog_search_schema() -> dict[str, Any]:
    """``mesoreg catalog search --format json``."""
    row = _obj(
        {
            "kind": {
                "enum": ["ingredient", "drug", "medication_class", "condition", "allergen"],
                "description": "What the record is (ingredient, drug, medication_class...).",
            },
            "id": _s("The record's id."),
            "name": _s("The record's name."),
            "classes": _list("Its classes (ingredient or medication classes).", _STRINGS),
            "aliases": _list("Other names, brands and spellings accepted.", _STRINGS),
            "atc": _list("ATC codes (drugs and medication classes).", _STRINGS),
            "ingredients": _list("Ingredients that contain it (allergens).", _STRINGS),
        },
        "One record that matches.",
        optional=("atc", "ingredients"),
    )
    return _doc(
        "mesoreg catalog search",
        {"type": "array", "description": "Every record that matches the text.", "items": row},
    )


def catalog_rules_schema() -> dict[str, Any]:
    """``mesoreg catalog rules --format json``."""
    from mesoreg.documents._knowledge import Evidence, Severity

    row = _obj(
        {
            "type": {
                "enum": ["contraindication", "interaction", "limit", "regulation"],
                "description": "The kind of rule (contraindication, interaction, limit...).",
            },
            "id": _s("The rule's id."),
            "code": _s("The code its findings carry, e.g. MR-CI-ANTICOAGULANT."),
            "severity": {
                "enum": [v.value for v in Severity],
                "description": "How severe its findings are.",
            },
            "evidence": {
                "enum": [e.value for e in Evidence],
                "description": "The level of evidence behind it.",
            },
            "scope": _s("What it applies to, in words."),
            "summary": _s("What it says, in one line."),
            "sources": _list("Its sources, cited.", _STRINGS),
            "source_ids": _list("Its sources' ids.", _STRINGS),
            "source_kinds": _list("Its sources' kinds, in the same order.", _STRINGS),
            "provider": _s("The pack that provides it (name and version)."),
        },
        "One rule.",
    )
    return _doc(
        "mesoreg catalog rules",
        _obj(
            {
                "rules": _list("Every rule (or those naming --ingredient).", row),
                "sources_by_kind": {
                    "type": "object",
                    "description": "How many cited sources of each kind (label, review...).",
                    "patternProperties": {"^[a-z_]+$": {"type": "integer", "minimum": 0}},
                    "additionalProperties": False,
                },
            },
            "The rules of the catalog and what they cite.",
        ),
    )


def catalog_vocab_schema() -> dict[str, Any]:
    """``mesoreg catalog vocab --format json``."""
    term = _obj(
        {
            "term": _s("The term a file writes."),
            "aliases": _list("Other spellings accepted for it.", _STRINGS),
        },
        "One term of a vocabulary.",
    )
    return _doc(
        "mesoreg catalog vocab",
        {
            "type": "object",
            "description": "Vocabulary name (route, purpose, condition...) to its terms.",
            "patternProperties": {"^[a-z_]+$": {"type": "array", "items": term}},
            "additionalProperties": False,
        },
    )


def catalog_conditions_schema() -> dict[str, Any]:
    """``mesoreg catalog conditions --format json``."""
    row = _obj(
        {
            "id": _s("The condition's id, as patient files write it."),
            "name": _s("The condition's name."),
            "icd10": _list("Its ICD-10 codes and ranges (e.g. K70-K77).", _STRINGS),
            "broader": _list("The conditions it is a kind of.", _STRINGS),
            "may_be": _list("Conditions it may be (rules on them stay not checked).", _STRINGS),
            "aliases": _list("Other names accepted.", _STRINGS),
            "rules": _list("Codes of the rules that fire for it.", _STRINGS),
            "not_checked_by": _list(
                "Codes of the rules left not checked until the file says more.", _STRINGS
            ),
            "provider": _s("The pack and file that define it."),
        },
        "One condition.",
    )
    return _doc(
        "mesoreg catalog conditions",
        {"type": "array", "description": "Every condition that matches, by id.", "items": row},
    )


def catalog_show_schema() -> dict[str, Any]:
    """``mesoreg catalog show NAME --format json``: one record of any kind, with the rules
    that read it and their sources; ``kind`` says which."""
    from mesoreg.documents._knowledge import Condition, Drug, Ingredient, MedicationClass
    from mesoreg.interfaces._schema import object_schema

    rule = _obj(
        {
            "id": _s("The rule's id."),
            "code": _s("Its finding code (MR-...)."),
            "type": _s("What kind of rule it is (contraindication, interaction, limit...)."),
            "severity": _s("Its severity."),
            "evidence": _s("Its evidence level."),
            "scope": _s("What it applies to, in words."),
            "sources": _list("The ids of its sources.", _STRINGS),
            "summary": _s("The rule in one line."),
        },
        "A rule that reads this record, summarised.",
        optional=("type", "scope"),
    )

    def by_id(description: str) -> dict[str, Any]:
        return {
            "type": "object",
            "description": description,
            "patternProperties": {"^[a-z0-9_]+$": {"type": "string"}},
            "additionalProperties": False,
        }

    common = {
        "rules": _list("The rules that read this record, each summarised.", rule),
        "sources": by_id("Every source the record and its rules cite, by id: the citation."),
        "provider": _s("The pack (and file) the record comes from."),
    }
    extra: dict[str, dict[str, Any]] = {
        "ingredient": {},
        "drug": {
            "declared_classes": _list("The classes the drug's record lists.", _STRINGS),
            "class_reasons": by_id(
                "Why the drug is in each class (ATC group, class record, or listed on it)."
            ),
        },
        "medication_class": {"members": _list("The drugs in the class, by id.", _STRINGS)},
        "condition": {},
    }
    shapes = []
    for kind, model in (
        ("ingredient", Ingredient),
        ("drug", Drug),
        ("medication_class", MedicationClass),
        ("condition", Condition),
    ):
        shape = _nullable_optionals(object_schema(model, skip=("origin",)))
        shape["properties"] = {
            "kind": {"const": kind, "description": "What the record is."},
            **shape["properties"],
            **common,
            **extra[kind],
        }
        shape["required"] = sorted({"kind", *shape.get("required", ()), *common, *extra[kind]})
        shape["description"] = f"A catalog {kind.replace('_', ' ')}."
        shapes.append(shape)
    return _doc("mesoreg catalog show", {"oneOf": shapes})


def plugins_list_schema() -> dict[str, Any]:
    """``mesoreg plugins list --format json``."""
    row = _obj(
        {
            "name": _s("The plugin's name (its entry point, or a built-in module)."),
            "version": _s("Its version (may be empty)."),
            "kind": _s("built-in, plugin or pack."),
            "distribution": _s("The distribution that installs it (empty: built in)."),
            "target": _s("What its entry point loads (empty: built in)."),
            "requires_mesoreg": _s("The mesoreg versions it declares it needs (may be empty)."),
            "status": _s("ok, or why it is not used (denied, failed, incompatible...)."),
            "error": _s("Why it failed (empty when it did not)."),
            "provides": _list("The hooks it implements.", _STRINGS),
        },
        "One plugin.",
    )
    return _doc(
        "mesoreg plugins list",
        {"type": "array", "description": "Every plugin, built-in ones first.", "items": row},
    )


#: file name -> generator
CLI_SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "cli-error-1.schema.json": error_schema,
    "cli-new-1.schema.json": new_schema,
    "cli-publish-1.schema.json": publish_schema,
    "cli-status-1.schema.json": status_schema,
    "cli-verify-1.schema.json": verify_schema,
    "cli-diff-1.schema.json": diff_schema,
    "cli-history-1.schema.json": history_schema,
    "cli-show-1.schema.json": show_schema,
    "cli-recheck-1.schema.json": recheck_schema,
    "cli-plugins-check-1.schema.json": plugins_check_schema,
    "cli-schema-export-1.schema.json": schema_export_schema,
    "cli-catalog-docs-1.schema.json": catalog_docs_schema,
    "cli-catalog-list-1.schema.json": catalog_list_schema,
    "cli-catalog-search-1.schema.json": catalog_search_schema,
    "cli-catalog-rules-1.schema.json": catalog_rules_schema,
    "cli-catalog-vocab-1.schema.json": catalog_vocab_schema,
    "cli-catalog-conditions-1.schema.json": catalog_conditions_schema,
    "cli-catalog-show-1.schema.json": catalog_show_schema,
    "cli-plugins-list-1.schema.json": plugins_list_schema,
}

#: which schema each command's ``--format json`` output follows
COMMAND_SCHEMAS: dict[str, str] = {
    "check": "report-2.schema.json",
    "new": "cli-new-1.schema.json",
    "publish": "cli-publish-1.schema.json",
    "approve": "cli-status-1.schema.json",
    "retire": "cli-status-1.schema.json",
    "verify": "cli-verify-1.schema.json",
    "diff": "cli-diff-1.schema.json",
    "history": "cli-history-1.schema.json",
    "show": "cli-show-1.schema.json",
    "recheck": "cli-recheck-1.schema.json",
    "plugins check": "cli-plugins-check-1.schema.json",
    "schema export": "cli-schema-export-1.schema.json",
    "catalog docs": "cli-catalog-docs-1.schema.json",
    "catalog list": "cli-catalog-list-1.schema.json",
    "catalog search": "cli-catalog-search-1.schema.json",
    "catalog rules": "cli-catalog-rules-1.schema.json",
    "catalog vocab": "cli-catalog-vocab-1.schema.json",
    "catalog conditions": "cli-catalog-conditions-1.schema.json",
    "catalog show": "cli-catalog-show-1.schema.json",
    "plugins list": "cli-plugins-list-1.schema.json",
    "compose": "compose-1.schema.json",
    "bud": "bud-1.schema.json",
    "mfr": "mfr-1.schema.json",
    "label": "label-1.schema.json",
    "compound": "cli-compound-1.schema.json",
    "records": "cli-records-1.schema.json",
}
