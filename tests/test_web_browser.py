"""The composer in a real browser: headless Chromium from the operating system's packages,
driven by Playwright, against the service run by uvicorn on a free localhost port.

.ci/run installs Chromium when it is missing, and Playwright through the test-tools extra;
nothing here is skipped.  Screenshots are saved in each test's tmp_path (their paths are
printed).  Nothing waits for a fixed time: Playwright waits for elements and conditions,
and the server's readiness is polled.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from conftest import PATIENTS, ROOT
from playwright.sync_api import Browser, Page, expect, sync_playwright

from mesoreg.host._registry import Registry
from mesoreg.web._app import ServeConfig, create_app

TOKEN = "browser-test-token-0123456789abcdefghij"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: the longest any one condition is waited for (a cap, not a duration anyone waits)
CAP_MS = 30_000
expect.set_options(timeout=CAP_MS)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Service:
    """The service on a free localhost port, in a thread; ``url`` once it answers."""

    def __init__(self, registry: Registry, store: Path, **more: Any) -> None:
        self.store = store
        port = _free_port()
        config = ServeConfig(port=port, store=store, token=TOKEN, registry=registry, **more)
        self.server = uvicorn.Server(
            uvicorn.Config(create_app(config), host="127.0.0.1", port=port, log_level="warning")
        )
        self.url = f"http://127.0.0.1:{port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Service:
        self.thread.start()
        ready = threading.Event()
        # readiness by polling: the server says it started, then answers a request
        with httpx.Client() as client:
            while not ready.is_set():
                if not self.thread.is_alive():
                    raise RuntimeError("the service stopped before it was ready")
                if self.server.started:
                    response = client.get(f"{self.url}/openapi.json")
                    if response.status_code == 200:
                        ready.set()
                        continue
                self.thread.join(timeout=0.05)  # observe the thread, not the clock
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def service(registry: Registry, tmp_path: Path) -> Iterator[Service]:
    """The service over a copy of the example store, with the example patients' folder and
    the stock products cellulite-thighs@1 draws."""
    store = tmp_path / "store"
    shutil.copytree(ROOT / "formulations", store)
    patients = tmp_path / "patients"
    shutil.copytree(PATIENTS, patients)
    products = tmp_path / "products.toml"
    source = 'source = { title = "t", issuer = "i", url = "https://example.org" }'
    products.write_text(
        "schema_version = 1\n"
        + "".join(
            f'[[products]]\nid = "{i}"\nname = "{i}"\ningredient = "{n}"\nstrength = "{s}"\n'
            f'volume = "10 mL"\ncontainer = "single_dose_vial"\n{source}\n'
            for i, n, s in (
                ("aminophylline_25", "aminophylline", "25 mg/mL"),
                ("centella_2pct", "centella asiatica", "2 %"),
            )
        ),
        encoding="utf-8",
    )
    with Service(registry, store, patients=patients, products=(products,)) as running:
        yield running


@pytest.fixture
def console_errors() -> list[str]:
    """The page's script errors and failed loads; a test removes those it caused on purpose."""
    return []


@pytest.fixture
def page(browser: Browser, service: Service, console_errors: list[str]) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(CAP_MS)
    opened = context.new_page()
    errors = console_errors
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    opened.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    # a check of what is on the page while it is half typed (a strength without its unit)
    # is answered 400 with the problems, which the page shows: how many depends on how fast
    # the keys come, so those refusals are counted from the responses, never assumed
    refusals: list[tuple[int, str, str]] = []

    def answered(response: Any) -> None:
        if response.status >= 400:
            refusals.append((response.status, response.request.method, response.url))

    opened.on("response", answered)
    yield opened
    context.close()
    refused = "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    for status, method, url in refusals:
        typing = status == 400 and method == "POST" and url.endswith("/composer/check")
        if typing and refused in errors:
            errors.remove(refused)
    # no script error, no refused resource (CSP, 404); the refusals say which requests
    assert errors == [], (errors, refusals)


def shot(page: Page, path: Path) -> None:
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")


def _checks(page: Page) -> int:
    return int(page.locator("#results").get_attribute("data-checks") or 0)


def wait_for_check_after(page: Page, before: int) -> None:
    """Until a check newer than ``before`` has been shown."""
    page.wait_for_function(
        "n => { const r = document.querySelector('#results');"
        " return Number(r.dataset.checks) > n && r.dataset.state !== 'checking'; }",
        arg=before,
    )


def _fill_ingredient(page: Page, row: Any, name: str, strength: str, volume: str) -> None:
    row.get_by_label("Ingredient", exact=True).fill(name)
    row.get_by_label("Strength", exact=True).fill(strength)
    row.get_by_label("Volume", exact=True).fill(volume)


def test_a_patient_on_warfarin_gets_the_contraindication(
    page: Page, service: Service, tmp_path: Path
) -> None:
    page.goto(f"{service.url}/composer/new")
    wait_for_check_after(page, 0)
    page.get_by_label("Id (lowercase letters, digits, hyphens)").fill("face-glow")
    page.get_by_label("Title").fill("Face glow: lidocaine and hyaluronic acid")
    row = page.locator(".component").first
    _fill_ingredient(page, row, "lidocaine", "1 %", "1 mL")
    page.get_by_role("button", name="Add an ingredient").click()
    # autocomplete: the catalog's names as pharmacists write them reach the datalist
    second = page.locator(".component").nth(1)
    second.get_by_label("Ingredient", exact=True).press_sequentially("hyaluro")
    expect(page.locator("#dl-ingredient option[value='hyaluronic acid']")).to_have_count(1)
    _fill_ingredient(page, second, "hyaluronic acid", "10 mg/mL", "2 mL")
    page.get_by_label("Weight").fill("70 kg")
    page.get_by_label("Birth date").fill("1980-05-01")
    meds = page.locator(".facts[data-list='medications']")
    meds.get_by_role("button", name="Add medication").click()
    before = _checks(page)
    medication = meds.get_by_label("Name")
    medication.press_sequentially("Coumad")
    expect(page.locator("#dl-medication option[value='Coumadin']")).to_have_count(1)
    medication.fill("Coumadin")
    wait_for_check_after(page, before)

    findings = page.locator("#results")
    expect(page.locator("#verdict")).to_have_text("Fail: do not use as it is")
    group = findings.locator(".group[data-severity='contraindicated']")
    expect(group.locator(".finding")).to_contain_text(
        ["Patients on blood-thinning medication are not candidates for mesotherapy."]
    )
    expect(group).to_contain_text("Coumadin")  # the evidence names the medication as written
    expect(group).to_contain_text("Advice")
    expect(group.locator("summary").first).to_contain_text("Sources")
    # the composition beside the findings: final concentrations and amounts per kg
    composition = page.locator("#composition")
    expect(composition).to_contain_text("Per session, 70 kg")
    expect(composition).to_contain_text("mg/kg")
    # the findings region is announced to screen readers
    assert findings.get_attribute("aria-live") == "polite"
    shot(page, tmp_path / "warfarin.png")

    # removing the medication (and saying there is none) takes the finding away
    before = _checks(page)
    # from the keyboard: Tab from the medication's last field to its Remove button, Enter
    meds.get_by_label("Classes (of a drug the catalog does not know)").press("Tab")
    expect(meds.get_by_role("button", name="Remove")).to_be_focused()
    page.keyboard.press("Enter")
    expect(meds.get_by_label("Name")).to_have_count(0)
    meds.get_by_label("None (asked and recorded)").check()
    wait_for_check_after(page, before)
    expect(page.locator(".group[data-severity='contraindicated']")).to_have_count(0)
    # the allergies and conditions are still unknown: the page says the report's verdict
    expect(page.locator("#verdict")).to_have_text("Not validated: something could not be checked")
    expect(page.locator(".gaps").first).to_contain_text("needs the patient's allergies")

    # readable on a tablet: one column, nothing wider than the screen
    page.set_viewport_size({"width": 768, "height": 1024})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, tmp_path / "tablet.png")


def _verify(store: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mesoreg", "verify", "--no-plugins", "--store", str(store)],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )


def test_a_patient_from_the_folder_then_a_preparation_with_its_acknowledgement(
    page: Page, service: Service, tmp_path: Path, console_errors: list[str]
) -> None:
    page.goto(f"{service.url}/composer/edit/cellulite-thighs")
    wait_for_check_after(page, 0)
    before = _checks(page)
    page.get_by_label("Date", exact=True).fill("2026-11-22")
    wait_for_check_after(page, before)
    expect(page.locator(".group[data-severity='contraindicated']")).to_have_count(0)
    # pick marc.toml: on amiodarone (as Cordarone), ibuprofen (as Advil) three days ago
    before = _checks(page)
    page.get_by_label("Patient file").select_option("marc.toml")
    expect(page.locator("#patient-file-status")).to_contain_text("Filled from marc.toml")
    expect(page.locator("#patient-file-status")).not_to_contain_text("NOT checked")
    wait_for_check_after(page, before)
    expect(page.get_by_label("Weight")).to_have_value("84 kg")
    meds = page.locator(".facts[data-list='medications'] .item")
    expect(meds.nth(0).get_by_label("Name")).to_have_value("Cordarone")
    expect(meds.nth(1).get_by_label("Name")).to_have_value("Advil")
    expect(meds.nth(1).get_by_label("Last dose")).to_have_value("2026-11-19")
    contraindicated = page.locator(".group[data-severity='contraindicated']")
    expect(contraindicated).to_contain_text("MR-CI-ANTIARRHYTHMIC")
    # the last dose reached the check from the page: the NSAID's 7-day rule applies
    expect(page.locator(".group[data-severity='major']")).to_contain_text("MR-CI-NSAID-7D")
    shot(page, tmp_path / "patient-picked.png")
    # the fields stay editable and the check uses what the page shows
    before = _checks(page)
    meds.nth(0).get_by_role("button", name="Remove").click()
    wait_for_check_after(page, before)
    expect(contraindicated).to_have_count(0)

    # record a preparation of the stored version, acknowledging its moderate finding
    page.goto(f"{service.url}/composer/cellulite-thighs/history")
    page.get_by_role("link", name="Record a preparation of v1").click()
    acks = page.locator(".ack")
    expect(acks).to_have_count(1)
    expect(acks).to_contain_text("MR-IX-AMINOPHYLLINE-ADMIXTURE")
    for row, (lot, expiry) in zip(
        page.locator("tr.lot").all(), [("AM1", "2027-06-30"), ("CE1", "2027-06-30"),
                                       ("L1", "2027-06-30")], strict=True
    ):  # fmt: skip
        row.get_by_label("Lot of").fill(lot)
        row.get_by_label("Expiry of").fill(expiry)
    page.get_by_label("Prepared by").fill("J. Martin, PharmD")
    page.get_by_label("Verified by (another person)").fill("A. Dupont, PharmD")
    page.get_by_label("Environment").select_option("segregated_compounding_area")
    page.get_by_label("Storage").select_option("refrigerator")
    page.get_by_label("Compounded at (with its offset)").fill("2026-11-22T10:00+01:00")
    page.get_by_label("Patient identifier (optional; an id, never a name)").fill("marc")
    page.get_by_label("Service token").fill(TOKEN)
    # without the acknowledgement: refused, one line per problem, nothing recorded
    page.get_by_role("button", name="Record the preparation").click()
    status = page.locator("#write-status")
    expect(status).to_contain_text("Refused (400 input)")
    expect(status.locator("li")).to_have_count(2)  # the reason and the name
    console_errors.remove(
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    )
    acks.get_by_label("Reason").fill("prepared immediately before use, inspected for precipitate")
    acks.get_by_label("Acknowledged by").fill("A. Dupont, PharmD")
    page.get_by_role("button", name="Record the preparation").click()
    expect(status).to_contain_text("Recorded cellulite-thighs@1 record 1.")
    shot(page, tmp_path / "recorded.png")
    page.locator("#history-link").click()
    records = page.locator("#v1 ul.records li")
    expect(records).to_have_count(1)
    expect(records).to_contain_text("prepared by J. Martin, PharmD, verified by A. Dupont, PharmD")
    expect(records).to_contain_text("1 finding(s) acknowledged")
    shot(page, tmp_path / "history-records.png")
    with page.expect_popup() as popup:
        page.get_by_role("link", name="Record 1 of v1").click()
    printed = popup.value
    expect(printed.locator("h1")).to_contain_text("Compounding record: cellulite-thighs@1")
    expect(printed.locator("body")).to_contain_text("inspected for precipitate")
    shot(printed, tmp_path / "record.png")
    verified = _verify(service.store)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_publishing_from_the_page_creates_a_version_that_verify_accepts(
    page: Page, service: Service, tmp_path: Path, console_errors: list[str]
) -> None:
    page.goto(f"{service.url}/composer/edit/face-revitalisation")
    wait_for_check_after(page, 0)
    before = _checks(page)
    page.get_by_label("Title").fill("Face revitalisation, fewer points")
    page.get_by_label("Points").fill("30")
    wait_for_check_after(page, before)

    # without the token the write is refused, and says why
    page.get_by_label("Your name").fill("J. Martin, PharmD")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#write-status")).to_contain_text("Refused (401 unauthorized)")
    console_errors.remove(
        "Failed to load resource: the server responded with a status of 401 (Unauthorized)"
    )

    page.get_by_label("Service token").fill(TOKEN)
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#write-status")).to_contain_text("Published face-revitalisation@2")
    shot(page, tmp_path / "published.png")

    verified = subprocess.run(
        [
            sys.executable,
            "-m",
            "mesoreg",
            "verify",
            "--no-plugins",
            "--store",
            str(service.store),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    ledger = (service.store / "face-revitalisation" / "index.toml").read_text(encoding="utf-8")
    assert 'author = "J. Martin, PharmD"' in ledger
    stored = (service.store / "face-revitalisation" / "v2.toml").read_text(encoding="utf-8")
    assert "points = 30" in stored and "Face revitalisation, fewer points" in stored
    assert json.loads(verified.stdout)  # the command's own JSON answer

    # the history shows it; the diff of the two versions names the change
    page.locator("#published-link").click()
    expect(page.locator("#v2 .status")).to_have_text("draft")
    page.get_by_label("From version").select_option("1")
    page.get_by_label("to version").select_option("2")
    page.get_by_role("button", name="Show the differences").click()
    expect(page.locator(".diff")).to_contain_text("points: 80 → 30")
    shot(page, tmp_path / "diff.png")


def test_approving_from_the_history_page(
    page: Page, service: Service, tmp_path: Path, console_errors: list[str]
) -> None:
    ledger = service.store / "lipo-abdomen" / "index.toml"
    page.goto(f"{service.url}/composer/lipo-abdomen/history")
    page.get_by_label("Your name").fill("A. Pharmacist")
    page.get_by_label("Service token").fill(TOKEN)
    status = page.locator("#write-status")
    # its check is not validated now: approving needs a reason, and nothing is written
    page.get_by_role("button", name="Approve v1").click()
    expect(status).to_contain_text("Refused (409 conflict)")
    expect(status).to_contain_text("--override-reason")
    console_errors.remove(
        "Failed to load resource: the server responded with a status of 409 (Conflict)"
    )
    assert "A. Pharmacist" not in ledger.read_text(encoding="utf-8")
    page.get_by_label("Override reason").fill("reviewed by hand against the KYBELLA label")
    page.get_by_role("button", name="Approve v1").click()
    expect(status).to_have_text("Approved lipo-abdomen@1.")
    expect(page.locator("#v1 .status")).to_have_text("approved")
    recorded = ledger.read_text(encoding="utf-8")
    assert 'by = "A. Pharmacist"' in recorded
    assert "reviewed by hand against the KYBELLA label" in recorded
    shot(page, tmp_path / "approve.png")
    # the master formulation record of the version opens as the command renders it
    with page.expect_popup() as popup:
        page.get_by_role("link", name="Master formulation record of v1").click()
    record = popup.value
    expect(record.locator("h1")).to_contain_text("Master formulation record")
    shot(record, tmp_path / "mfr.png")
