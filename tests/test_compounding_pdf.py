"""The record and the labels as PDF: their text, read back with pypdf, has the numbers."""

from __future__ import annotations

import datetime as dt
import io

import pypdf
from test_compounding_html import EVIL_TITLE
from test_compounding_record_model import record_of

from mesoreg.compounding._bud import Environment, Storage
from mesoreg.compounding._pdf import labels_pdf, record_pdf, text


def _text(data: bytes) -> tuple[pypdf.PdfReader, str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    words = " ".join(page.extract_text() for page in reader.pages)
    return reader, " ".join(words.split())


def test_record_pdf_has_the_numbers_findings_and_bud(registry) -> None:
    record = record_of(
        registry,
        "cellulite-thighs@1",
        environment=Environment.SEGREGATED_COMPOUNDING_AREA,
        storage=Storage.REFRIGERATOR,
    )
    data = record_pdf(record)
    assert data.startswith(b"%PDF-") and data == record_pdf(record)  # the same bytes each time
    reader, words = _text(data)
    assert len(reader.pages) >= 3
    for expected in (
        "Master formulation record: Cellulite of the thighs",
        "8.3333 mg/mL",
        "25 mg/mL x 1 mL = 25 mg",
        "10 mg / 3 mL = 3.3333 mg/mL",
        "MR-IX-AMINOPHYLLINE-ADMIXTURE",
        "754e8580-c710-4a60-8c4e-184be3cf1f41",  # the aminophylline label the finding cites
        "BUD: 24 hours from the start of compounding, stored in a refrigerator",
        "Check: NOT VALIDATED",
        "https://www.usp.org/compounding/general-chapter-797",
    ):
        assert expected in words, expected


def test_labels_pdf_is_one_label_sized_page_per_syringe(registry) -> None:
    from mesoreg.compounding._bud import BudConditions, assign_bud
    from mesoreg.compounding._label import build_labels
    from mesoreg.documents._model import Context
    from mesoreg.documents._parse import parse_formulation
    from mesoreg.host._engine import resolve_subject

    two = parse_formulation(
        'schema_version = 1\nid = "two"\nversion = 1\ntitle = "t"\n'
        '[use]\narea = "face"\ntechnique = "nappage"\nroute = "intradermal"\n'
        '[[preparations]]\nname = "A"\nper_session = 1\ncomponents = ['
        '{ ingredient = "lidocaine", strength = "2 %", volume = "1 mL" },'
        '{ ingredient = "saline", strength = "0.9 %", volume = "4 mL" }]\n'
        '[[preparations]]\nname = "B"\nper_session = 1\ncomponents = ['
        '{ ingredient = "pyridoxine", strength = "100 mg/mL", volume = "0.5 mL" }]\n'
    )
    subject, _ = resolve_subject(two, None, Context(dt.date(2026, 11, 22), None), registry)
    start = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    bud = assign_bud(
        BudConditions(Environment.SEGREGATED_COMPOUNDING_AREA, Storage.REFRIGERATOR, start)
    )
    sheet = build_labels(
        subject,
        "two@1",
        bud,
        Storage.REFRIGERATOR,
        compounded_at=start,
        lot="L-7",
        patient=EVIL_TITLE,
    )
    reader, words = _text(labels_pdf(sheet))
    assert len(reader.pages) == 2
    width, height = (float(x) for x in reader.pages[0].mediabox.upper_right)
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (70, 37)
    assert "Lidocaine hydrochloride: 4 mg/mL" in words
    assert "Pyridoxine hydrochloride (vitamin B6): 100 mg/mL" in words
    assert words.count("BUD 2026-11-23 10:00+01:00") == 2
    assert "Lot L-7; made 2026-11-22 10:00+01:00" in words
    assert "Store in a refrigerator" in words
    # markup in a name is printed as typed, never interpreted
    assert f"Patient: {EVIL_TITLE}" in words


def test_characters_the_pdf_font_lacks_are_shown_as_escapes() -> None:
    assert text("µg × 2 <b>") == "µg × 2 &lt;b&gt;"
    # Helvetica covers Windows-1252 (ü) but not ō or 周: they are escaped, never dropped
    assert text("Müller Zhōu 周 \u202e") == "Müller Zh\\u014du \\u5468 \\u202e"
