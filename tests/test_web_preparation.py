"""Recording a preparation from the composer: the form, the write (the function
``mesoreg compound`` runs) and its guards, the records on the history page and printed."""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from test_web_pages import AUTH, TOKEN, csrf
from web_support import client

from mesoreg.host._registry import Registry
from mesoreg.store._records import read_records
from mesoreg.store._store import Store
from mesoreg.store._verify import verify

CODE = "MR-IX-AMINOPHYLLINE-ADMIXTURE"
COMPONENTS = ["aminophylline", "centella_asiatica", "lidocaine"]
URL = "/composer/cellulite-thighs/versions/1/compound"


@pytest.fixture
def store(tmp_path: Path) -> Path:
    target = tmp_path / "store"
    shutil.copytree(ROOT / "formulations", target)
    return target


@pytest.fixture
def products(tmp_path: Path) -> Path:
    """Stock products for cellulite-thighs@1 that the built-in ones lack."""
    source = 'source = { title = "t", issuer = "i", url = "https://example.org" }'
    rows = [
        ("aminophylline_25", "aminophylline", "25 mg/mL"),
        ("centella_2pct", "centella asiatica", "2 %"),
    ]
    path = tmp_path / "products.toml"
    path.write_text(
        "schema_version = 1\n"
        + "".join(
            f'[[products]]\nid = "{i}"\nname = "{i} <vial>"\ningredient = "{n}"\n'
            f'strength = "{s}"\nvolume = "10 mL"\ncontainer = "single_dose_vial"\n{source}\n'
            for i, n, s in rows
        ),
        encoding="utf-8",
    )
    return path


def body(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "lots": [
            {"product": "aminophylline_25", "lot": "AM1", "expiry": "2027-06-30"},
            {"product": "centella_2pct", "lot": "CE1", "expiry": "2027-06-30"},
            {"product": "lidocaine_1pct_20ml_multidose_vial", "lot": "L1", "expiry": "2027-06-30"},
        ],
        "prepared_by": "J. Martin, PharmD",
        "verified_by": "A. Dupont, PharmD",
        "environment": "segregated_compounding_area",
        "storage": "refrigerator",
        "compounded_at": "2026-11-22T10:00+01:00",
        "patient": "P-7",
        "deviations": ["second vial opened"],
        "acknowledgements": [
            {
                "code": CODE,
                "components": COMPONENTS,
                "reason": "prepared immediately before use, inspected for precipitate",
                "by": ["A. Dupont, PharmD"],
            }
        ],
    }
    data.update(changes)
    return data


def test_the_form_offers_the_products_and_the_findings_to_acknowledge(
    registry: Registry, store: Path, products: Path
) -> None:
    c = client(registry, store=store, products=(products,))
    form = c.get(URL)
    assert form.status_code == 200, form.text
    assert '<option value="aminophylline_25">aminophylline_25 &lt;vial&gt;</option>' in form.text
    assert '<option value="lidocaine_1pct_20ml_multidose_vial">' in form.text
    assert f"{CODE} [aminophylline, centella_asiatica, lidocaine]" in form.text
    # a minor or info finding needs no acknowledgement: not offered
    assert "MR-IX-LIPOLYTIC-ANAESTHETIC" not in form.text
    history = c.get("/composer/cellulite-thighs/history")
    assert f'href="{URL}"' in history.text
    assert c.get("/composer/cellulite-thighs/versions/latest/compound").status_code == 400
    assert c.get("/composer/cellulite-thighs/versions/7/compound").status_code == 404
    assert c.get("/composer/Bad_Id/versions/1/compound").status_code == 400


def test_a_preparation_is_recorded_as_the_command_records_it(
    registry: Registry, store: Path, products: Path, caplog: pytest.LogCaptureFixture
) -> None:
    c = client(registry, store=store, products=(products,), token=TOKEN)
    headers = {**AUTH, "x-csrf-token": csrf(c)}
    with caplog.at_level(logging.INFO, logger="mesoreg.web.audit"):
        answer = c.post(URL, json=body(), headers=headers)
    assert answer.status_code == 201, answer.text
    data = answer.json()
    assert (data["record"], data["file"]) == (1, "records/v1-1.toml")
    assert data["url"] == "/composer/cellulite-thighs/versions/1/records/1"
    record = data["content"]
    assert record["acknowledgements"][0]["severity"] == "moderate"
    assert [lot["lot"] for lot in record["lots"]] == ["AM1", "CE1", "L1"]
    assert caplog.messages == [
        "compounded cellulite-thighs@1 record 1 by 'J. Martin, PharmD', verified by "
        f"'A. Dupont, PharmD' (acknowledged: {CODE} by A. Dupont, PharmD)"
    ]
    problems, _ = verify(Store(store))
    assert problems == []
    [(ref, _)] = read_records(Store(store), "cellulite-thighs", 1)
    assert ref.by == "J. Martin, PharmD" and ref.sha256 == data["sha256"]
    # listed on the history page, with a printable view
    history = c.get("/composer/cellulite-thighs/history")
    assert 'href="/composer/cellulite-thighs/versions/1/records/1"' in history.text
    assert "prepared by J. Martin, PharmD, verified by A. Dupont, PharmD" in history.text
    printed = c.get(data["url"])
    assert printed.status_code == 200
    assert printed.headers["content-security-policy"].startswith("default-src 'none'")
    for text in ("AM1", "prepared immediately before use", "second vial opened", "P-7"):
        assert text in printed.text


def test_every_refusal_at_once_one_line_each_and_nothing_recorded(
    registry: Registry, store: Path, products: Path, caplog: pytest.LogCaptureFixture
) -> None:
    c = client(registry, store=store, products=(products,), token=TOKEN)
    headers = {**AUTH, "x-csrf-token": csrf(c)}
    wrong = body(
        verified_by="j. martin,  pharmd",  # the same person
        patient="Jane Doe",
        acknowledgements=[],
        lots=body()["lots"][:2],
    )
    with caplog.at_level(logging.INFO, logger="mesoreg.web.audit"):
        answer = c.post(URL, json=wrong, headers=headers)
    assert answer.status_code == 400
    keys = [e["key_path"] for e in answer.json()["errors"]]
    assert keys == ["verified_by", "patient", "lots", "acknowledgements"]
    assert all("\n" not in e["text"] for e in answer.json()["errors"])
    assert caplog.messages[0].startswith(
        "compound cellulite-thighs@1 refused, by 'J. Martin, PharmD': "
    )
    assert read_records(Store(store), "cellulite-thighs", 1) == []
    shape = c.post(
        URL,
        json=body(environment="garage", compounded_at="today", lots=[{"lot": 1}], extra=1),
        headers=headers,
    )
    assert shape.status_code == 400
    assert [e["key_path"] for e in shape.json()["errors"]] == ["extra"]
    shape = c.post(
        URL,
        json=body(environment="garage", compounded_at="today", lots=[{"lot": 1}]),
        headers=headers,
    )
    assert [e["key_path"] for e in shape.json()["errors"]] == [
        "environment",
        "compounded_at",
        "lots[0].product",
        "lots[0].lot",
        "lots[0].expiry",
    ]


def test_recording_needs_the_token_and_the_csrf_token(
    registry: Registry, store: Path, products: Path
) -> None:
    c = client(registry, store=store, products=(products,), token=TOKEN)
    token = csrf(c)
    assert c.post(URL, json=body(), headers={"x-csrf-token": token}).status_code == 401
    assert c.post(URL, json=body(), headers=AUTH).status_code == 403
    none = client(registry, store=store, products=(products,))
    assert (
        none.post(URL, json=body(), headers={**AUTH, "x-csrf-token": csrf(none)}).status_code == 403
    )
    missing = c.post(
        "/composer/cellulite-thighs/versions/5/compound",
        json=body(),
        headers={**AUTH, "x-csrf-token": token},
    )
    assert missing.status_code == 404
    assert read_records(Store(store), "cellulite-thighs", 1) == []


def test_hostile_text_is_escaped_on_the_history_page_and_the_record(
    registry: Registry, store: Path, products: Path
) -> None:
    c = client(registry, store=store, products=(products,), token=TOKEN)
    headers = {**AUTH, "x-csrf-token": csrf(c)}
    evil = "<script>alert(1)</script>"
    answer = c.post(
        URL,
        json=body(
            prepared_by="<b>Mallory</b>",
            deviations=[evil],
            lots=[{**body()["lots"][0], "lot": "<i>AM1"}, *body()["lots"][1:]],
            acknowledgements=[{**body()["acknowledgements"][0], "reason": evil}],
        ),
        headers=headers,
    )
    assert answer.status_code == 201, answer.text
    history = c.get("/composer/cellulite-thighs/history").text
    assert "<b>Mallory</b>" not in history and "&lt;b&gt;Mallory&lt;/b&gt;" in history
    printed = c.get(answer.json()["url"]).text
    assert "<script>" not in printed and "<b>" not in printed and "<i>AM1" not in printed
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in printed
    assert "&lt;i&gt;AM1" in printed


@pytest.mark.parametrize(
    "number", ["0", "2", "01", "-1", "1.toml", "..%2F..%2Findex.toml", "v1-1.toml", "1e3"]
)
def test_a_record_is_named_by_its_number_only(
    registry: Registry, store: Path, products: Path, number: str
) -> None:
    c = client(registry, store=store, products=(products,), token=TOKEN)
    c.post(URL, json=body(), headers={**AUTH, "x-csrf-token": csrf(c)})
    answer = c.get(f"/composer/cellulite-thighs/versions/1/records/{number}")
    assert answer.status_code in (400, 404)
    assert "compounded_at" not in answer.text and "[formulation]" not in answer.text
    assert c.get("/composer/cellulite-thighs/versions/1/records/1").status_code == 200


def test_a_changed_record_is_reported_not_shown(
    registry: Registry, store: Path, products: Path
) -> None:
    c = client(registry, store=store, products=(products,), token=TOKEN)
    c.post(URL, json=body(), headers={**AUTH, "x-csrf-token": csrf(c)})
    path = store / "cellulite-thighs" / "records" / "v1-1.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("AM1", "AM2"), encoding="utf-8")
    history = c.get("/composer/cellulite-thighs/history")
    assert history.status_code == 200
    assert (
        "The records cannot be read: &lt;store&gt;/cellulite-thighs/records/v1-1.toml: changed"
        in (history.text)
    )
    assert str(store) not in history.text
    assert c.get("/composer/cellulite-thighs/versions/1/records/1").status_code == 409
    assert re.search(r"AM2", c.get("/composer/cellulite-thighs/versions/1/records/1").text) is None
