"""The API's own JSON Schemas: committed, in step with the code, closed, draft-07."""

from __future__ import annotations

import json

import jsonschema
import pytest
from web_support import read_committed

from mesoreg.interfaces._schema import render
from mesoreg.web._schemas import API_SCHEMAS, ERROR_KINDS


@pytest.mark.parametrize("name", sorted(API_SCHEMAS))
def test_committed_schema_matches_the_code(name: str) -> None:
    assert read_committed(name) == json.loads(render(API_SCHEMAS[name]())), (
        f"schemas/{name} drifted: run 'python -m mesoreg.web._schemas schemas'"
    )


@pytest.mark.parametrize("name", sorted(API_SCHEMAS))
def test_schemas_are_draft_07_and_closed(name: str) -> None:
    schema = read_committed(name)
    jsonschema.Draft7Validator.check_schema(schema)

    def closed(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object":
                assert node.get("additionalProperties") is False, node.get("description")
            for value in node.values():
                closed(value)
        elif isinstance(node, list):
            for value in node:
                closed(value)

    closed(schema)


def test_error_kinds_have_distinct_statuses() -> None:
    assert len(set(ERROR_KINDS.values())) == len(ERROR_KINDS)


def test_the_check_request_takes_a_formulation_file_as_json() -> None:
    from conftest import PATIENTS, ROOT
    from web_support import as_json

    body = {
        "formulation": as_json(ROOT / "formulations" / "lipo-abdomen" / "v1.toml"),
        "patient": as_json(PATIENTS / "marc.toml"),
        "date": "2026-11-22",
    }
    validator = jsonschema.Draft7Validator(
        read_committed("api-check-request-1.schema.json"),
        format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER,
    )
    validator.validate(body)
    assert not validator.is_valid(body | {"date": "22/11/2026"})
    assert not validator.is_valid(body | {"extra": 1})
