"""The master formulation record and the syringe labels as PDF, through ReportLab.

ReportLab is an optional dependency (``pip install 'mesoreg[pdf]'``), imported
only when a PDF is asked for, so no other command pays for it.  It was chosen
over WeasyPrint (HTML to PDF) on three counts, measured on one machine with the
same short document (docs/compounding.md, section 4): it installs from pure
Python wheels on a fresh machine, where WeasyPrint needs the system's Pango
libraries; it starts faster (import about 0.15 to 0.27 s against 0.7 to 0.9 s,
render 0.006 s against 0.2 s); and its layout is built from the same
:class:`~._record_model.MasterRecord` as the HTML, section for section, so the
two cannot disagree on a number.  The cost is a second layout: the PDF is plain
(tables and lists), not a print of the HTML page.

Text is set in the standard Helvetica, which covers the Windows-1252 characters
(accents, µ, ×, °).  Any other character is printed as its ``\\uXXXX`` escape,
like controls and invisible characters (:func:`mesoreg.checks._render.printable`), so
nothing in a name silently disappears or reorders; then ReportLab's markup
characters are escaped, so a name cannot inject markup.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Final
from xml.sax.saxutils import escape

from mesoreg._errors import InputError, Problem
from mesoreg.checks._render import printable
from mesoreg.compounding._label import HEIGHT_MM, WIDTH_MM, LabelSheet
from mesoreg.compounding._record_model import (
    BUD_HEAD,
    VERDICT_TEXT,
    MasterRecord,
    bud_rows,
    gap_text,
)

if TYPE_CHECKING:
    from reportlab.lib.styles import StyleSheet1

#: the encoding the standard PDF fonts cover
_FONT_ENCODING: Final = "cp1252"


def _reportlab(key: str = "--format", instead: str = "--format html") -> None:
    """Import ReportLab, or say how to install it (``key`` and ``instead`` name the
    option, or the function, that asked for a PDF and the HTML to print instead)."""
    try:
        import reportlab  # noqa: F401
    except ImportError:
        raise InputError(
            [
                Problem(
                    key,
                    "PDF output needs ReportLab, which is not installed",
                    f"Run: pip install 'mesoreg[pdf]' (or use {instead} and print it).",
                )
            ]
        ) from None


def text(value: object) -> str:
    """``value`` for a ReportLab paragraph: shown as typed, markup escaped."""
    shown = printable(str(value))
    safe = "".join(
        c if _encodable(c) else f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}"
        for c in shown
    )
    return escape(safe)


def _encodable(char: str) -> bool:
    try:
        char.encode(_FONT_ENCODING)
    except UnicodeEncodeError:
        return False
    return True


def _styles() -> StyleSheet1:
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet

    styles = getSampleStyleSheet()
    styles.add(ParagraphStyle("cell", parent=styles["BodyText"], fontSize=8.5, leading=10))
    styles.add(
        ParagraphStyle("banner", parent=styles["BodyText"], fontName="Helvetica-Bold", fontSize=10)
    )
    styles.add(ParagraphStyle("small", parent=styles["BodyText"], fontSize=7.5, leading=9))
    return styles


class _Builder:
    """The record's flowables, section by section, mirroring :mod:`._html`."""

    def __init__(self) -> None:
        from reportlab.lib.pagesizes import A4
        from reportlab.lib.units import mm

        self.styles = _styles()
        self.story: list[Any] = []
        #: the text width of an A4 page with 15 mm margins
        self.width = A4[0] - 30 * mm

    def para(self, value: object, style: str = "BodyText") -> None:
        from reportlab.platypus import Paragraph

        self.story.append(Paragraph(text(value), self.styles[style]))

    def heading(self, value: object, level: int = 2) -> None:
        self.para(value, f"Heading{level}")

    def items(self, values: Iterable[object], numbered: bool = False) -> None:
        from reportlab.platypus import ListFlowable, ListItem, Paragraph

        entries = [ListItem(Paragraph(text(v), self.styles["cell"])) for v in values]
        if entries:
            kind = "1" if numbered else "bullet"
            self.story.append(ListFlowable(entries, bulletType=kind, leftIndent=12))

    def table(
        self,
        head: Iterable[str],
        rows: Iterable[Iterable[object]],
        widths: tuple[float, ...] | None = None,
    ) -> None:
        """A table with a header row; ``widths`` are relative column widths."""
        from reportlab.lib import colors
        from reportlab.platypus import Paragraph, Table, TableStyle

        cell = self.styles["cell"]
        data = [[Paragraph(f"<b>{text(h)}</b>", cell) for h in head]]
        data += [[Paragraph(text(c), cell) for c in row] for row in rows]
        columns = len(data[0])
        weights = widths or (1.0,) * columns
        col_widths = [self.width * w / sum(weights) for w in weights]
        table = Table(data, colWidths=col_widths, repeatRows=1, hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        self.story.append(table)


def _record_story(r: MasterRecord) -> list[Any]:
    b = _Builder()
    p = r.provenance
    b.para(f"Master formulation record: {r.title}", "Title")
    b.table(
        ("Formulation", "Status", "Published", "SHA-256 of the version file"),
        [(f"{p.formulation}@{p.version}", p.status, f"{p.published} by {p.author}", p.sha256)],
        widths=(1.2, 0.7, 1.6, 2.6),
    )
    written = f", {r.written}" if r.written else ""
    b.para(f"Written by {', '.join(r.authors) or 'not recorded'}{written}.")
    b.para(VERDICT_TEXT.get(r.check.verdict, r.check.verdict), "banner")
    if r.notes:
        b.para(f"Notes (not read by any rule): {r.notes}")
    for index, element in enumerate(r.elements.elements, start=1):
        b.heading(f"{index}. {element.title}")
        b.para("Required by " + ", ".join(f"USP <{c}>" for c in element.chapters) + ".", "small")
        section = _SECTIONS.get(element.id)
        if section is None:
            b.para("mesoreg does not fill this element: to be completed by the pharmacist.")
        else:
            section(b, r, VERDICT_TEXT)
    b.heading("Where each requirement was read")
    b.items(f"{c.title}, {c.issuer}: {c.url}" for c in r.elements.chapters)
    b.items((f"{e.title}: {e.read_at}" for e in r.elements.elements), numbered=True)
    b.para(
        f"Generated by mesoreg {r.mesoreg_version} on {r.generated}. Fields marked 'to be "
        "completed' are not known to mesoreg.",
        "small",
    )
    return b.story


def _identity(b: _Builder, r: MasterRecord, _: dict[str, str]) -> None:
    p = r.provenance
    rows = [
        ("Name", r.title),
        ("Formulation", f"{p.formulation}@{p.version}"),
        ("Dosage form", r.dosage_form),
        *((k.replace("_", " ").capitalize(), v) for k, v in r.use),
    ]
    b.table(("Element", "Value"), rows, widths=(1, 3))
    b.heading("Strength: final concentration in each syringe", 3)
    b.table(("Syringe", "Ingredient", "Final concentration"), r.strength)


def _ingredients(b: _Builder, r: MasterRecord, _: dict[str, str]) -> None:
    for s in r.syringes:
        b.heading(f"Syringe {s.name}: {s.volume}, {s.per_session} per session", 3)
        b.table(
            ("Ingredient", "As written", "Stock strength", "Volume drawn"),
            [
                (
                    c.ingredient,
                    c.written_as if not c.part_of else f"{c.written_as} (in {c.part_of})",
                    c.strength,
                    c.volume,
                )
                for c in s.components
            ],
        )
    b.heading("Per session", 3)
    b.table(("Ingredient", "Amount"), [(x.ingredient, x.amount) for x in r.session])


def _calculations(b: _Builder, r: MasterRecord, _: dict[str, str]) -> None:
    for s in r.syringes:
        b.heading(f"Syringe {s.name}", 3)
        b.table(
            ("Ingredient", "Amount (strength x volume)", "Final concentration"),
            [
                (
                    c.ingredient,
                    "; ".join(c.amount_steps) or c.amount,
                    f"{c.amount} / {c.total_volume} = {c.concentration}",
                )
                for c in s.calculations
            ],
        )


def _compatibility(b: _Builder, r: MasterRecord, verdicts: dict[str, str]) -> None:
    c = r.check
    b.para(verdicts.get(c.verdict, c.verdict), "banner")
    b.para(
        f"mesoreg check of {r.provenance.formulation}@{r.provenance.version} on {c.date}, "
        f"{c.region or 'no region'}, no patient; packs: {', '.join(c.packs) or 'none'}."
    )
    if not c.findings:
        b.para("No findings.")
    for f in c.findings:
        b.heading(f"{f.severity.upper()} {f.code}", 4)
        b.para(f.message)
        items = [f"Evidence: {f.evidence}"]
        if f.advice:
            items.append(f"Advice: {f.advice}")
        if f.note:
            items.append(f"Note: {f.note}")
        items += [f"Reference [{s.kind}]: {s.citation}" for s in f.sources]
        b.items(items)
    if c.unchecked:
        b.heading("Not checked (the verdict cannot be pass until these are resolved)", 4)
        b.items(gap_text(g) for g in c.unchecked)
    if c.not_run:
        b.heading("Not run", 4)
        b.items(gap_text(g) for g in c.not_run)
    b.heading("Stability of this preparation", 4)
    b.items(r.bud.not_checked)


def _bud(b: _Builder, r: MasterRecord, _: dict[str, str]) -> None:
    s = r.bud
    b.para(f"BUD: {s.assigned}", "banner")
    b.para(f"Rule: {s.chapter.title}, {s.chapter.url}")
    b.table(BUD_HEAD, bud_rows(s), widths=(1.3, 2.5, 1.1, 1.1, 1.0, 1.5))
    b.items(f"{row.rule}: {row.reason}" for row in s.table if row.reason)
    b.para("Not checked by mesoreg:")
    b.items(s.not_checked)


_Section = Callable[[_Builder, MasterRecord, dict[str, str]], None]

_SECTIONS: Final[dict[str, _Section]] = {
    "identity": _identity,
    "ingredients": _ingredients,
    "calculations": _calculations,
    "compatibility_stability": _compatibility,
    "container_closure": lambda b, r, _: b.items(r.container_closure),
    "compounding_steps": lambda b, r, _: b.items(r.steps, numbered=True),
    "quality_control": lambda b, r, _: b.items(r.quality_control),
    "bud_storage": _bud,
    "labelling": lambda b, r, _: b.items(r.labelling),
}


def record_pdf(r: MasterRecord) -> bytes:
    """The master formulation record as an A4 PDF."""
    _reportlab()
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    out = io.BytesIO()
    p = r.provenance
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"MFR {p.formulation}@{p.version}",
        author="mesoreg",
        invariant=True,
    )
    doc.build(_record_story(r))
    return out.getvalue()


def labels_pdf(sheet: LabelSheet) -> bytes:
    """The syringe labels, one per page of :data:`WIDTH_MM` x :data:`HEIGHT_MM` mm.

    A label whose text does not fit is set smaller until it does (never cut).
    """
    _reportlab()
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Frame, KeepInFrame, Paragraph

    size = (WIDTH_MM * mm, HEIGHT_MM * mm)
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=size, invariant=True)
    canvas.setTitle("Syringe labels")
    body = ParagraphStyle("label", fontName="Helvetica", fontSize=6.5, leading=7.8)
    bold = ParagraphStyle("labelbold", parent=body, fontName="Helvetica-Bold", fontSize=7.5)
    for label in sheet.labels:
        flow = [
            Paragraph(text(f"{label.syringe} ({label.volume}, {label.route})"), bold),
            Paragraph(text(label.formulation), body),
        ]
        flow += [
            Paragraph(f"{text(name)}: <b>{text(conc)}</b>", body)
            for name, conc in label.ingredients
        ]
        flow.append(
            Paragraph(f"BUD {text(label.bud)}", bold)
            if label.bud
            else Paragraph("BUD NOT ASSIGNED: see the BUD rule; do not use", bold)
        )
        flow.append(Paragraph(text(f"Lot {label.lot}; made {label.compounded}"), body))
        if label.patient:
            flow.append(Paragraph(text(f"Patient: {label.patient}"), body))
        flow.append(Paragraph(text(label.storage), body))
        pad = 1.5 * mm
        frame = Frame(
            0, 0, size[0], size[1], leftPadding=pad, rightPadding=pad, topPadding=pad,
            bottomPadding=pad, showBoundary=0,
        )  # fmt: skip
        inner = (size[0] - 2 * pad, size[1] - 2 * pad)
        frame.addFromList([KeepInFrame(inner[0], inner[1], flow, mode="shrink")], canvas)
        canvas.showPage()
    canvas.save()
    return out.getvalue()
