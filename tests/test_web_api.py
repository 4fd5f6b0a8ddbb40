"""The JSON HTTP API: check, catalog and store, every answer held to its schema."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import FORMULATIONS, PATIENTS, ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web_support import JSON_VALUES, answer, as_json, client

import mesoreg
from mesoreg.checks._render import report_to_dict
from mesoreg.host._registry import Registry

LIPO = ROOT / "formulations" / "lipo-abdomen" / "v1.toml"
DAY = "2026-11-22"


@pytest.fixture(scope="module")
def api(registry: Registry):  # type: ignore[no-untyped-def]
    return client(registry, store=ROOT / "formulations")


@pytest.mark.parametrize("path", FORMULATIONS, ids=lambda p: f"{p.parent.name}-{p.stem}")
@pytest.mark.parametrize("who", ["anna", "marc", None])
def test_check_gives_the_report_the_python_api_gives(api, registry, path, who) -> None:  # type: ignore[no-untyped-def]
    body = {"formulation": as_json(path), "region": "FR", "date": DAY}
    patient = PATIENTS / f"{who}.toml" if who else None
    if patient:
        body["patient"] = as_json(patient)
    data = answer(api.post("/api/check", json=body), 200)
    expected = report_to_dict(
        mesoreg.check(path, patient, region="FR", date=dt.date(2026, 11, 22), registry=registry)
    )
    # the same report, but for where the inputs came from (a file here, a body there)
    expected["patient"] = data["patient"]
    assert data == expected


def test_dates_are_read_as_dates_where_the_file_has_dates(api) -> None:  # type: ignore[no-untyped-def]
    patient = as_json(PATIENTS / "anna.toml") | {"birth_date": "2012-01-01"}
    body = {"formulation": as_json(LIPO), "patient": patient, "date": DAY}
    data = answer(api.post("/api/check", json=body), 200)
    assert "age_minimum" in {f["rule"] for f in data["findings"]}  # 14 years old


def test_every_input_problem_at_once_with_its_key_path(api) -> None:  # type: ignore[no-untyped-def]
    formulation = as_json(LIPO)
    component = formulation["preparations"][0]["components"][0]
    component |= {"ingredient": "deoxycolic", "volume": 3}
    patient = as_json(PATIENTS / "anna.toml") | {"weight": 62}
    data = answer(
        api.post("/api/check", json={"formulation": formulation, "patient": patient}), 400
    )
    assert data["kind"] == "input"
    where = {(e["path"], e["key_path"]) for e in data["errors"]}
    assert where == {
        ("<formulation>", "preparations[0].components[0].volume"),
        ("<formulation>", "preparations[0].components[0].ingredient"),
        ("<patient>", "weight"),
    }
    assert "Did you mean 'deoxycholic_acid'" in str(data["errors"])


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ([], [("", "the body must be a JSON object (got list)")]),
        ({}, [("formulation", "is missing")]),
        (
            {"formulation": {}, "extra": 1, "date": "22/11/2026", "region": 33},
            [
                ("extra", "unknown key"),
                ("region", "must be an ISO 3166 code like FR"),
                ("date", "must be a date like 2026-11-22 (got '22/11/2026')"),
            ],
        ),
        (
            {"formulation": "lipo.toml"},
            [("formulation", "must be an object with the keys of a formulation file")],
        ),
    ],
)
def test_bad_requests(api, body, expected) -> None:  # type: ignore[no-untyped-def]
    data = answer(api.post("/api/check", json=body), 400)
    assert [(e["key_path"], e["message"]) for e in data["errors"]] == expected


def test_bad_json_and_content_type(api) -> None:  # type: ignore[no-untyped-def]
    json_type = {"content-type": "application/json"}
    data = answer(api.post("/api/check", content=b'{"formulation": ', headers=json_type), 400)
    assert data["errors"][0]["message"].startswith("the body is not valid JSON at line 1")
    data = answer(api.post("/api/check", content=b'{"formulation": NaN}', headers=json_type), 400)
    assert data["errors"][0]["message"] == "the body is not valid JSON"
    form = {"content-type": "application/x-www-form-urlencoded"}
    data = answer(api.post("/api/check", content=b"formulation=x", headers=form), 415)
    assert data["kind"] == "unsupported_media_type"


def test_catalog_routes(api) -> None:  # type: ignore[no-untyped-def]
    rows = answer(api.get("/api/catalog/search", params={"q": "lido"}), 200)
    assert "lidocaine" in {r["id"] for r in rows}
    rows = answer(api.get("/api/catalog/ingredients"), 200)
    assert "deoxycholic_acid" in {r["id"] for r in rows}
    rows = answer(api.get("/api/catalog/conditions", params={"q": "K74.6"}), 200)
    assert "liver_disease" in {r["id"] for r in rows}
    assert answer(api.get("/api/catalog/conditions"), 200)
    assert set(answer(api.get("/api/catalog/vocab/route"), 200)) == {"route"}
    assert "route" in answer(api.get("/api/catalog/vocab"), 200)
    data = answer(api.get("/api/catalog/vocab/nope"), 404)
    assert data["errors"][0]["message"] == "no vocabulary is named 'nope'"
    data = answer(api.get("/api/catalog/search"), 400)
    assert data["errors"][0]["key_path"] == "q"
    answer(api.get("/api/catalog/search", params={"q": "x" * 201}), 400)


def test_store_routes_read_verified_versions(api) -> None:  # type: ignore[no-untyped-def]
    data = answer(api.get("/api/store"), 200)
    assert "lipo-abdomen" in data["formulations"]
    history = answer(api.get("/api/store/lipo-abdomen/history"), 200)
    assert history[0]["version"] == 1
    shown = answer(api.get("/api/store/lipo-abdomen/versions/1"), 200)
    assert shown == answer(api.get("/api/store/lipo-abdomen/versions/latest"), 200)
    assert shown["formulation"]["id"] == "lipo-abdomen"
    assert shown["ledger"]["sha256"] == history[0]["sha256"]


@pytest.mark.parametrize(
    ("path", "status", "key"),
    [
        ("/api/store/Lipo/history", 400, "id"),
        ("/api/store/lipo_abdomen/history", 400, "id"),
        ("/api/store/..%2F..%2Fetc/history", 404, ""),  # no route: the id cannot hold a /
        ("/api/store/%2e%2e/history", 400, "id"),
        ("/api/store/nope/history", 404, "id"),
        ("/api/store/lipo-abdomen/versions/0", 400, "version"),
        ("/api/store/lipo-abdomen/versions/%2e%2e", 400, "version"),
        ("/api/store/lipo-abdomen/versions/9", 404, "version"),
    ],
)
def test_no_request_names_a_path_outside_the_store(api, path, status, key) -> None:  # type: ignore[no-untyped-def]
    data = answer(api.get(path), status)
    assert data["errors"][0]["key_path"] == key
    assert str(ROOT) not in str(data)  # the server's folders are not shown


def test_a_damaged_store_is_a_conflict_without_server_paths(registry, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = tmp_path / "store"
    shutil.copytree(ROOT / "formulations" / "lipo-abdomen", store / "lipo-abdomen")
    version = store / "lipo-abdomen" / "v1.toml"
    version.write_text(version.read_text().replace("50 mg/mL", "60 mg/mL"))
    data = answer(client(registry, store=store).get("/api/store/lipo-abdomen/versions/1"), 409)
    assert "<store>" in data["errors"][0]["text"]
    assert str(tmp_path) not in str(data)


def test_without_a_store_the_store_routes_say_so(registry) -> None:  # type: ignore[no-untyped-def]
    data = answer(client(registry).get("/api/store"), 404)
    assert data["errors"][0]["message"] == "this service has no store"


def test_unknown_routes_and_methods_are_json(api) -> None:  # type: ignore[no-untyped-def]
    data = api.get("/nothing").json()
    assert data["kind"] == "not_found"
    data = answer(api.get("/api/check"), 405)
    assert data["errors"][0]["message"] == "GET is not allowed on /api/check"


def test_an_internal_error_is_one_json_line_never_a_traceback(api, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from mesoreg.knowledge import _listing

    def broken(*args: object) -> None:
        raise RuntimeError("secret detail /home/x")

    monkeypatch.setattr(_listing, "search_rows", broken)
    response = api.get("/api/catalog/search", params={"q": "lido"})
    data = answer(response, 500)
    assert data["errors"][0]["message"] == "internal error: RuntimeError"
    assert "Traceback" not in response.text and "secret" not in response.text


def test_openapi_document_lists_every_route_and_resolves_every_ref(api) -> None:  # type: ignore[no-untyped-def]
    response = api.get("/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"] == "3.1.0"
    # the composer's pages (mesoreg/web/_pages.py) are for browsers, not part of the API
    pages = ("/composer", "/static")
    routes = {r.path for r in api.app.routes if not r.path.startswith(pages)}
    routes -= {"/", "/favicon.ico"}
    assert routes - set(doc["paths"]) == {"/openapi.json", "/cds-services/{id}"}
    refs = set(re.findall(r"#/components/schemas/([\w.-]+)", json.dumps(doc)))
    assert refs <= set(doc["components"]["schemas"])
    assert {"report-2", "api-error-1", "api-check-request-1", "cli-show-1"} <= refs
    for path, operations in doc["paths"].items():
        for operation in operations.values():
            assert "default" in operation["responses"], path  # every error: api-error-1


@given(where=st.sampled_from(["formulation", "patient", "top"]), key=st.text(max_size=10),
       value=JSON_VALUES)  # fmt: skip
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_json_is_a_report_or_a_json_error_never_a_crash(api, where, key, value) -> None:  # type: ignore[no-untyped-def]
    body = {"formulation": as_json(LIPO), "patient": as_json(PATIENTS / "marc.toml")}
    target = body if where == "top" else body[where]
    target[key or "id"] = value
    response = api.post("/api/check", json=body)
    assert response.status_code in (200, 400), response.text
    answer(response, response.status_code)
