"""Helpers of the service's tests: a client on the ASGI app, and answers held to the
OpenAPI document's schemas."""

from __future__ import annotations

import json
import re
import tomllib
import warnings
from pathlib import Path
from typing import Any

import jsonschema
from conftest import ROOT
from hypothesis import strategies as st

with warnings.catch_warnings():  # newer Starlette prefers httpx2; httpx still works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from mesoreg.host._registry import Registry
from mesoreg.web._app import Router, ServeConfig, create_app
from mesoreg.web._openapi import openapi_document

HOSTS = frozenset({"testserver"})


def client(registry: Registry, routers: tuple[Router, ...] = (), **config: Any) -> TestClient:
    """A test client on the service; the host names the test client sends are accepted."""
    config.setdefault("allowed_hosts", HOSTS)
    app = create_app(ServeConfig(registry=registry, **config), routers)
    return TestClient(app, raise_server_exceptions=False)


def as_json(path: Path) -> dict[str, Any]:
    """A TOML file as the JSON a client sends (dates as strings)."""
    with path.open("rb") as f:
        data: dict[str, Any] = json.loads(json.dumps(tomllib.load(f), default=str))
    return data


def schema(name: str) -> dict[str, Any]:
    """A component schema of the OpenAPI document."""
    found: dict[str, Any] = openapi_document()["components"]["schemas"][name]
    return found


def _operation(method: str, path: str) -> dict[str, Any] | None:
    for template, operations in openapi_document()["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in operations:
            found: dict[str, Any] = operations[method.lower()]
            return found
    return None


def answer(response: Any, status: int) -> Any:
    """The answer's JSON, after checking its status and holding it to its OpenAPI schema."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    data = response.json()
    request = response.request
    operation = _operation(request.method, request.url.path)
    assert operation is not None or status >= 400, f"{request.url.path} is not documented"
    responses = operation["responses"] if operation else {}
    described = responses.get(str(status)) or responses.get("default") or {}
    content = described.get("content")
    if content is not None:  # the CDS Hooks answers are HL7's documents
        ref = content["application/json"]["schema"]["$ref"]
        jsonschema.Draft7Validator(schema(ref.rsplit("/", 1)[1])).validate(data)
    if status >= 400:
        jsonschema.Draft7Validator(schema("api-error-1")).validate(data)
        assert data["status"] == status
    return data


def read_committed(name: str) -> dict[str, Any]:
    """A committed schema file."""
    data: dict[str, Any] = json.loads((ROOT / "schemas" / name).read_text(encoding="utf-8"))
    return data


#: any JSON value
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
