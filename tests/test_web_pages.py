"""The composer's routes through the ASGI client: pages, check, writes and their guards,
printed records.  tests/test_web_browser.py drives the same pages in a real browser."""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from web_support import as_json, client

from mesoreg.host._registry import Registry
from mesoreg.store._store import Store
from mesoreg.store._verify import verify

TOKEN = "pages-test-token-0123456789abcdefghijkl"
AUTH = {"authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def store(tmp_path: Path) -> Path:
    target = tmp_path / "store"
    shutil.copytree(ROOT / "formulations", target)
    return target


def csrf(c: Any) -> str:
    """The page's CSRF token (its cookie is kept by the client)."""
    page = c.get("/composer")
    assert page.status_code == 200
    found = re.search(r'<meta name="csrf-token" content="([0-9a-f]{64})">', page.text)
    assert found and "mesoreg_csrf" in c.cookies
    return found.group(1)


def _formulation(**changes: Any) -> dict[str, Any]:
    data = as_json(ROOT / "formulations" / "face-revitalisation" / "v1.toml")
    data.update(changes)
    return data


def test_the_pages_render_over_the_store(registry: Registry, store: Path) -> None:
    c = client(registry, store=store)
    index = c.get("/composer")
    assert index.status_code == 200 and "text/html" in index.headers["content-type"]
    for formulation_id in ("lipo-abdomen", "face-revitalisation"):
        assert f'href="/composer/{formulation_id}/history"' in index.text
    edit = c.get("/composer/edit/lipo-abdomen")
    assert '"ingredient": "phosphatidylcholine"' in edit.text  # the version, for the script
    assert '<option value="injection_lipolysis">' in edit.text  # the vocabularies
    assert c.get("/composer/new").status_code == 200
    assert c.get("/", follow_redirects=False).headers["location"] == "/composer"
    assert c.get("/static/composer.js").status_code == 200
    history = c.get("/composer/lipo-abdomen/history")
    assert "Approve v1" in history.text and "Master formulation record" in history.text


def test_a_page_that_cannot_be_shown_lists_every_problem(registry: Registry, store: Path) -> None:
    c = client(registry, store=store)
    missing = c.get("/composer/lipo-abdomen/diff")
    assert missing.status_code == 400 and "text/html" in missing.headers["content-type"]
    assert "<li>a: is missing. e.g. ?a=1&amp;b=2</li>" in missing.text
    assert "<li>b: is missing. e.g. ?a=1&amp;b=2</li>" in missing.text
    unknown = c.get("/composer/no-such-thing/history")
    assert unknown.status_code == 404
    assert "&#39;no-such-thing&#39; has no published version in this store" in unknown.text
    assert c.get("/composer/Bad_Id/history").status_code == 400
    label = c.get("/composer/lipo-abdomen/versions/1/label")
    assert label.status_code == 400
    for key in ("environment", "storage", "compounded_at", "lot"):
        assert f"<li>{key}: " in label.text


def test_the_composer_check_is_the_api_report_with_the_composition(registry: Registry) -> None:
    c = client(registry)
    body = {
        "formulation": as_json(ROOT / "formulations" / "lipo-abdomen" / "v1.toml"),
        "patient": {
            "schema_version": 1,
            "id": "p",
            "weight": "80 kg",
            "medications": [{"name": "Coumadin"}],
        },
        "date": "2026-11-22",
    }
    answer = c.post("/composer/check", json=body)
    assert answer.status_code == 200
    data = answer.json()
    assert data["report"] == c.post("/api/check", json=body).json()
    assert "MR-CI-ANTICOAGULANT" in [f["code"] for f in data["report"]["findings"]]
    composition = data["composition"]
    assert composition["weight_kg"] == "80"
    syringe = composition["preparations"][0]
    assert syringe["volume"] == "10 mL" and syringe["per_session"] == "2"
    assert {d["ingredient"]: d["concentration"] for d in syringe["doses"]} == {
        "phosphatidylcholine": "50 mg/mL",
        "deoxycholic_acid": "25 mg/mL",
    }
    session = {row["ingredient"]: row for row in composition["session"]}
    assert session["deoxycholic_acid"]["amount"] == "500 mg"
    assert session["deoxycholic_acid"]["per_kg"] == "6.25 mg/kg"
    bad = c.post("/composer/check", json={"formulation": {"id": "x"}})
    assert bad.status_code == 400 and bad.json()["kind"] == "input"


def test_publishing_needs_a_configured_token(registry: Registry, store: Path) -> None:
    c = client(registry, store=store)
    answer = c.post(
        "/composer/publish",
        json={"formulation": _formulation(), "author": "J. Martin"},
        headers={**AUTH, "x-csrf-token": csrf(c)},
    )
    assert answer.status_code == 403
    assert "no token configured" in answer.json()["errors"][0]["message"]
    assert Store(store).ledger("face-revitalisation").latest == 1


def test_publishing_needs_the_token_and_the_csrf_token(registry: Registry, store: Path) -> None:
    c = client(registry, store=store, token=TOKEN)
    body = {"formulation": _formulation(), "author": "J. Martin"}
    token = csrf(c)
    assert (
        c.post("/composer/publish", json=body, headers={"x-csrf-token": token}).status_code == 401
    )
    wrong = {**AUTH, "x-csrf-token": "0" * 64}
    refused = c.post("/composer/publish", json=body, headers=wrong)
    assert refused.status_code == 403 and refused.json()["errors"][0]["key_path"] == "csrf_token"
    assert c.post("/composer/publish", json=body, headers=AUTH).status_code == 403
    assert Store(store).ledger("face-revitalisation").latest == 1


def test_publishing_stores_a_verified_version_and_logs_its_user(
    registry: Registry, store: Path, caplog: pytest.LogCaptureFixture
) -> None:
    c = client(registry, store=store, token=TOKEN)
    headers = {**AUTH, "x-csrf-token": csrf(c)}
    body = {"formulation": _formulation(title="Fewer points", version=1), "author": "J. Martin"}
    with caplog.at_level(logging.INFO, logger="mesoreg.web.audit"):
        answer = c.post("/composer/publish", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    data = answer.json()
    assert (data["formulation"], data["version"]) == ("face-revitalisation", 2)
    assert data["entry"]["author"] == "J. Martin"
    assert data["history"] == "/composer/face-revitalisation/history"
    assert "published face-revitalisation@2 by 'J. Martin'" in caplog.messages
    problems, _ = verify(Store(store))
    assert problems == []
    formulation, entry = Store(store).read("face-revitalisation", 2)
    assert formulation.title == "Fewer points" and entry.supersedes == 1


def test_a_refused_publish_writes_nothing_and_is_logged(
    registry: Registry, store: Path, caplog: pytest.LogCaptureFixture
) -> None:
    c = client(registry, store=store, token=TOKEN)
    headers = {**AUTH, "x-csrf-token": csrf(c)}
    formulation = _formulation()
    formulation["preparations"][0]["components"][0]["ingredient"] = "deoxycolic"
    with caplog.at_level(logging.INFO, logger="mesoreg.web.audit"):
        answer = c.post(
            "/composer/publish",
            json={"formulation": formulation, "author": "J. M"},
            headers=headers,
        )
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["key_path"] == "preparations[0].components[0].ingredient"
    assert caplog.messages[0].startswith("publish refused, by 'J. M': ")
    assert Store(store).ledger("face-revitalisation").latest == 1
    nameless = c.post(
        "/composer/publish", json={"formulation": _formulation(), "author": " "}, headers=headers
    )
    assert nameless.status_code == 400 and nameless.json()["errors"][0]["key_path"] == "author"


def test_approving_needs_a_reason_when_the_check_does_not_pass(
    registry: Registry, store: Path, caplog: pytest.LogCaptureFixture
) -> None:
    c = client(registry, store=store, token=TOKEN)
    headers = {**AUTH, "x-csrf-token": csrf(c)}
    url = "/composer/lipo-abdomen/versions/1/approve"
    with caplog.at_level(logging.INFO, logger="mesoreg.web.audit"):
        refused = c.post(url, json={"by": "A. Pharmacist"}, headers=headers)
        assert refused.status_code == 409
        assert Store(store).ledger("lipo-abdomen").entry(1).status.value == "draft"
        done = c.post(
            url, json={"by": "A. Pharmacist", "override_reason": "checked by hand"}, headers=headers
        )
    assert done.status_code == 200, done.text
    assert done.json()["entry"]["status"] == "approved"
    assert caplog.messages[0].startswith("approve lipo-abdomen@1 refused, by 'A. Pharmacist'")
    assert (
        caplog.messages[1]
        == "approved lipo-abdomen@1 by 'A. Pharmacist' (override: 'checked by hand')"
    )
    again = c.post(url, json={"by": "A. Pharmacist"}, headers=headers)
    assert again.status_code == 409  # approved already
    assert (
        c.post(
            "/composer/lipo-abdomen/versions/9/approve", json={"by": "A"}, headers=headers
        ).status_code
        == 404
    )
    assert c.post(url, json={"by": "A"}, headers=AUTH).status_code == 403  # no CSRF token


def test_the_printed_records_allow_only_their_own_style_sheet(
    registry: Registry, store: Path
) -> None:
    c = client(registry, store=store)
    record = c.get("/composer/lipo-abdomen/versions/1/mfr")
    assert record.status_code == 200
    assert "Master formulation record: Injection lipolysis of the abdomen" in record.text
    css = re.search(r"<style>(.*?)</style>", record.text, re.DOTALL)
    assert css is not None
    digest = base64.b64encode(hashlib.sha256(css.group(1).encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in record.headers["content-security-policy"]
    assert record.headers["content-security-policy"].startswith("default-src 'none'")
    labels = c.get(
        "/composer/lipo-abdomen/versions/1/label",
        params={
            "lot": "A123",
            "environment": "segregated_compounding_area",
            "storage": "refrigerator",
            "compounded_at": "2026-11-22T10:00+01:00",
        },
    )
    assert labels.status_code == 200 and "Lot A123" in labels.text


def test_text_from_a_formulation_is_never_markup(registry: Registry, store: Path) -> None:
    c = client(registry, store=store, token=TOKEN)
    headers = {**AUTH, "x-csrf-token": csrf(c)}
    title = "</script><script>alert(1)</script>"
    answer = c.post(
        "/composer/publish",
        json={"formulation": _formulation(title=title), "author": "<b>x</b>"},
        headers=headers,
    )
    assert answer.status_code == 201
    edit = c.get("/composer/edit/face-revitalisation")
    assert "<script>alert(1)" not in edit.text and "\\u003c/script\\u003e" in edit.text
    history = c.get("/composer/face-revitalisation/history")
    assert "<b>x</b>" not in history.text and "&lt;b&gt;x&lt;/b&gt;" in history.text
