"""The record and labels as HTML: self-contained, and text from inputs can inject nothing."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from mesoreg.compounding._bud import BudConditions, Environment, Storage, assign_bud
from mesoreg.compounding._html import labels_html, record_html
from mesoreg.compounding._label import build_labels
from mesoreg.compounding._record_model import Provenance, build_record
from mesoreg.documents._model import Context
from mesoreg.documents._parse import parse_formulation
from mesoreg.host._engine import check, resolve_subject

DAY = dt.date(2026, 12, 1)
NOW = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
#: a title and a syringe name that try markup, quotes, and reordering what is printed
EVIL_TITLE = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'
EVIL_SYRINGE = "syr\u202eegnir \u200b' onload='x"
#: the same name as a TOML basic string writes it (TOML reads the \\u escapes)
EVIL_SYRINGE_TOML = "syr\\u202eegnir \\u200b' onload='x"
HOSTILE = f"""
schema_version = 1
id = "hostile"
version = 1
title = {EVIL_TITLE!r}
notes = "</p><iframe src=//evil>"

[use]
area = "face"
technique = "nappage"
route = "intradermal"

[[preparations]]
name = "{EVIL_SYRINGE_TOML}"
per_session = 1
components = [
  {{ ingredient = "lidocaine", strength = "1 %", volume = "1 mL" }},
  {{ ingredient = "saline", strength = "0.9 %", volume = "1 mL" }},
]
"""


@pytest.fixture(scope="module")
def hostile(registry):  # type: ignore[no-untyped-def]
    formulation = parse_formulation(HOSTILE)
    assert formulation.title == EVIL_TITLE and formulation.preparations[0].name == EVIL_SYRINGE
    subject, _ = resolve_subject(formulation, None, Context(DAY, None), registry)
    report = check(formulation, None, date=DAY, registry=registry)
    provenance = Provenance("hostile", 1, "0" * 64, "draft", "<b>me</b>", "2026-11-01")
    record = build_record(subject, report, provenance, generated=NOW)
    bud = assign_bud(
        BudConditions(Environment.SEGREGATED_COMPOUNDING_AREA, Storage.REFRIGERATOR, NOW)
    )
    labels = build_labels(
        subject, "hostile@1", bud, Storage.REFRIGERATOR, compounded_at=NOW, lot="<L1>",
        patient='A "B" & C',
    )  # fmt: skip
    return record, labels


def _tags(page: str) -> set[str]:
    return {t.lower() for t in re.findall(r"<\s*([a-zA-Z0-9]+)", page)}


def test_record_html_escapes_every_input_and_is_self_contained(hostile) -> None:
    record, _ = hostile
    page = record_html(record)
    # only mesoreg's own tags: none from the inputs
    allowed = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "table"}
    allowed |= {"tr", "th", "td", "ul", "ol", "li", "section"}
    assert _tags(page) <= allowed
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img" in page
    assert "&lt;/p&gt;&lt;iframe src=//evil&gt;" in page
    assert "&lt;b&gt;me&lt;/b&gt;" in page
    # the override and the invisible space are shown, never applied
    assert "\u202e" not in page and "\u200b" not in page
    assert "syr\\u202eegnir \\u200b&#x27; onload=&#x27;x" in page
    # nothing fetched: no link, script, url() or src attribute in any real tag
    assert not re.search(r"<link|<script|url\(|<[^>]*\ssrc=", page)
    assert "@page { size: A4; margin: 15mm; }" in page


def test_every_element_is_a_section_in_order(hostile) -> None:
    record, _ = hostile
    page = record_html(record)
    ids = re.findall(r'<section id="([a-z_]+)">', page)
    assert ids == [e.id for e in record.elements.elements]
    assert "Check: " in page.split('<section id="identity">')[0]  # the verdict on its face


def test_labels_html_is_label_sized_and_escaped(hostile) -> None:
    _, labels = hostile
    page = labels_html(labels)
    assert "@page { size: 70mm 37mm; margin: 0; }" in page
    assert page.count('<div class="label">') == 1
    assert "Lot &lt;L1&gt;" in page and "Patient: A &quot;B&quot; &amp; C" in page
    assert "BUD 2026-11-23 10:00+01:00" in page
    assert 'Lidocaine hydrochloride</td><td class="num">5 mg/mL' in page
    assert "\u202e" not in page
