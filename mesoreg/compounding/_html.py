"""The master formulation record, the syringe labels and a compounding record as HTML:
each one self-contained page.

No external asset (styles inline, no script, no font or image fetched), printable
(``@page`` sizes, page breaks), and every text from an input escaped twice over:
control, bidirectional and invisible characters are shown as escapes
(:func:`mesoreg.checks._render.printable`), then ``&``, ``<``, ``>`` and quotes are
HTML-escaped, so a name can neither inject markup nor reorder what is printed.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from typing import Final

from mesoreg.checks._render import printable
from mesoreg.compounding._batch import CompoundingRecord
from mesoreg.compounding._label import HEIGHT_MM, WIDTH_MM, LabelSheet
from mesoreg.compounding._record_model import (
    BUD_HEAD,
    VERDICT_TEXT,
    Element,
    MasterRecord,
    bud_rows,
    gap_text,
)
from mesoreg.store._ledger import RecordRef

_RECORD_CSS: Final = """
@page { size: A4; margin: 15mm; }
body { font-family: Helvetica, Arial, sans-serif; font-size: 10pt; color: #000; margin: 0 auto;
  max-width: 190mm; }
h1 { font-size: 15pt; margin: 0 0 2mm; }
h2 { font-size: 11.5pt; border-bottom: 1px solid #000; margin: 5mm 0 2mm; }
h3 { font-size: 10pt; margin: 3mm 0 1mm; }
table { border-collapse: collapse; width: 100%; margin: 1mm 0 2mm; }
th, td { border: 1px solid #888; padding: 1mm 1.5mm; text-align: left; vertical-align: top; }
th { background: #eee; }
td.num { text-align: right; white-space: nowrap; }
.banner { border: 2px solid #000; padding: 2mm; margin: 2mm 0; font-weight: bold; }
.fail, .not-validated { background: #fdd; }
.fill { font-style: italic; }
.small { font-size: 8pt; color: #333; }
section { break-inside: avoid-page; }
"""

_LABEL_CSS: Final = f"""
@page {{ size: {WIDTH_MM}mm {HEIGHT_MM}mm; margin: 0; }}
body {{ margin: 0; font-family: Helvetica, Arial, sans-serif; }}
.label {{ box-sizing: border-box; width: {WIDTH_MM}mm; height: {HEIGHT_MM}mm; padding: 1.5mm;
  overflow: hidden; font-size: 6.5pt; line-height: 1.2; border: 0.2mm dashed #999;
  break-after: page; page-break-after: always; }}
.label h1 {{ font-size: 7.5pt; margin: 0; }}
.label table {{ border-collapse: collapse; width: 100%; }}
.label td {{ padding: 0; }}
.label td.num {{ text-align: right; white-space: nowrap; }}
.label .bud {{ font-weight: bold; font-size: 7.5pt; }}
.label .none {{ font-weight: bold; background: #000; color: #fff; }}
@media print {{ .label {{ border: none; }} }}
"""


def esc(text: object) -> str:
    """``text`` for HTML: controls and invisible characters shown, markup escaped."""
    return html.escape(printable(str(text)), quote=True)


def _page(title: str, css: str, body: Iterable[str]) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{esc(title)}</title>\n<style>{css}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def _table(head: Iterable[str], rows: Iterable[Iterable[object]], num: Iterable[int] = ()) -> str:
    right = set(num)
    out = ["<table>", "<tr>" + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr>"]
    for row in rows:
        cells = "".join(
            f'<td class="num">{esc(c)}</td>' if i in right else f"<td>{esc(c)}</td>"
            for i, c in enumerate(row)
        )
        out.append(f"<tr>{cells}</tr>")
    out.append("</table>")
    return "\n".join(out)


def _list(items: Iterable[str], tag: str = "ul") -> str:
    return f"<{tag}>" + "".join(f"<li>{esc(i)}</li>" for i in items) + f"</{tag}>"


# -- the record's sections, one per element ---------------------------------------------


def _identity(r: MasterRecord) -> str:
    rows = [
        ("Name", r.title),
        ("Formulation", f"{r.provenance.formulation}@{r.provenance.version}"),
        ("Dosage form", r.dosage_form),
        *((k.replace("_", " ").capitalize(), v) for k, v in r.use),
    ]
    return (
        _table(("", ""), rows)
        + "<h3>Strength: final concentration in each syringe</h3>"
        + (_table(("Syringe", "Ingredient", "Final concentration"), r.strength, num=(2,)))
    )


def _ingredients(r: MasterRecord) -> str:
    out = []
    for s in r.syringes:
        out.append(
            f"<h3>Syringe {esc(s.name)}: {esc(s.volume)}, {esc(s.per_session)} per session</h3>"
        )
        rows = [
            (
                c.ingredient,
                c.written_as if not c.part_of else f"{c.written_as} (in {c.part_of})",
                c.strength,
                c.volume,
            )
            for c in s.components
        ]
        out.append(
            _table(("Ingredient", "As written", "Stock strength", "Volume drawn"), rows, (2, 3))
        )
    out.append("<h3>Per session</h3>")
    out.append(
        _table(("Ingredient", "Amount"), ((x.ingredient, x.amount) for x in r.session), (1,))
    )
    return "\n".join(out)


def _calculations(r: MasterRecord) -> str:
    out = []
    for s in r.syringes:
        out.append(f"<h3>Syringe {esc(s.name)}</h3>")
        rows = [
            (
                c.ingredient,
                "; ".join(c.amount_steps) or c.amount,
                f"{c.amount} / {c.total_volume} = {c.concentration}",
            )
            for c in s.calculations
        ]
        out.append(
            _table(("Ingredient", "Amount (strength x volume)", "Final concentration"), rows)
        )
    return "\n".join(out)


def _compatibility(r: MasterRecord) -> str:
    c = r.check
    region = c.region or "no region"
    packs = ", ".join(c.packs) or "none"
    out = [
        f'<p class="banner {esc(c.verdict)}">{esc(VERDICT_TEXT.get(c.verdict, c.verdict))}</p>',
        f"<p>mesoreg check of {esc(r.provenance.formulation)}@{r.provenance.version} on "
        f"{esc(c.date)}, {esc(region)}, no patient; packs: {esc(packs)}.</p>",
    ]
    if not c.findings:
        out.append("<p>No findings.</p>")
    for f in c.findings:
        out.append(f"<h3>{esc(f.severity.upper())} {esc(f.code)}</h3>")
        out.append(f"<p>{esc(f.message)}</p>")
        items = [f"Evidence: {f.evidence}"]
        if f.advice:
            items.append(f"Advice: {f.advice}")
        if f.note:
            items.append(f"Note: {f.note}")
        items += [f"Reference [{s.kind}]: {s.citation}" for s in f.sources]
        out.append(_list(items))
    if c.unchecked:
        out.append("<h3>Not checked (the verdict cannot be pass until these are resolved)</h3>")
        out.append(_list(gap_text(g) for g in c.unchecked))
    if c.not_run:
        out.append("<h3>Not run</h3>")
        out.append(_list(gap_text(g) for g in c.not_run))
    out.append("<h3>Stability of this preparation</h3>")
    out.append(_list(r.bud.not_checked))
    return "\n".join(out)


def _container(r: MasterRecord) -> str:
    return _list(r.container_closure)


def _steps(r: MasterRecord) -> str:
    return _list(r.steps, "ol")


def _quality(r: MasterRecord) -> str:
    return _list(r.quality_control)


def _bud(r: MasterRecord) -> str:
    b = r.bud
    reasons = [f"{row.rule}: {row.reason}" for row in b.table if row.reason]
    return "\n".join(
        [
            f'<p class="banner">BUD: {esc(b.assigned)}</p>',
            f"<p>Rule: {esc(b.chapter.title)}, {esc(b.chapter.url)}</p>",
            _table(BUD_HEAD, bud_rows(b), (2, 3, 4)),
            _list(reasons),
            "<p>Not checked by mesoreg:</p>",
            _list(b.not_checked),
        ]
    )


def _labelling(r: MasterRecord) -> str:
    return _list(r.labelling)


_SECTIONS: Final[dict[str, Callable[[MasterRecord], str]]] = {
    "identity": _identity,
    "ingredients": _ingredients,
    "calculations": _calculations,
    "compatibility_stability": _compatibility,
    "container_closure": _container,
    "compounding_steps": _steps,
    "quality_control": _quality,
    "bud_storage": _bud,
    "labelling": _labelling,
}


def _section(index: int, element: Element, r: MasterRecord) -> str:
    fill = _SECTIONS.get(element.id)
    body = (
        fill(r)
        if fill
        else '<p class="fill">mesoreg does not fill this element: to be completed by the '
        "compounding pharmacist.</p>"
    )
    chapters = ", ".join(f"USP <{c}>" for c in element.chapters)
    return (
        f'<section id="{esc(element.id)}">\n<h2>{index}. {esc(element.title)}</h2>\n'
        f'<p class="small">Required by {esc(chapters)}.</p>\n{body}\n</section>'
    )


def record_html(r: MasterRecord) -> str:
    """The master formulation record as one printable, self-contained HTML page."""
    p = r.provenance
    head = [
        f"<h1>Master formulation record: {esc(r.title)}</h1>",
        _table(
            ("Formulation", "Status", "Published", "SHA-256 of the version file"),
            [(f"{p.formulation}@{p.version}", p.status, f"{p.published} by {p.author}", p.sha256)],
        ),
        f"<p>Written by {esc(', '.join(r.authors) or 'not recorded')}"
        f"{', ' + esc(r.written) if r.written else ''}.</p>",
    ]
    verdict = r.check.verdict
    head.append(f'<p class="banner {esc(verdict)}">{esc(VERDICT_TEXT.get(verdict, verdict))}</p>')
    if r.notes:
        head.append(f"<p>Notes (not read by any rule): {esc(r.notes)}</p>")
    sections = [_section(i, e, r) for i, e in enumerate(r.elements.elements, start=1)]
    sources = [
        "<section>",
        "<h2>Where each requirement was read</h2>",
        _list(f"{c.title}, {c.issuer}: {c.url}" for c in r.elements.chapters),
        _list((f"{e.title}: {e.read_at}" for e in r.elements.elements), "ol"),
        f'<p class="small">Generated by mesoreg {esc(r.mesoreg_version)} on {esc(r.generated)}. '
        "Fields marked 'to be completed' are not known to mesoreg.</p>",
        "</section>",
    ]
    title = f"MFR {p.formulation}@{p.version}"
    return _page(title, _RECORD_CSS, [*head, *sections, *sources])


def labels_html(sheet: LabelSheet) -> str:
    """The syringe labels, one per printed page of :data:`WIDTH_MM` x :data:`HEIGHT_MM` mm."""
    body = []
    for label in sheet.labels:
        rows = "".join(
            f'<tr><td>{esc(name)}</td><td class="num">{esc(conc)}</td></tr>'
            for name, conc in label.ingredients
        )
        bud = (
            f'<div class="bud">BUD {esc(label.bud)}</div>'
            if label.bud
            else '<div class="none">BUD NOT ASSIGNED: see the BUD rule; do not use</div>'
        )
        patient = f"<div>Patient: {esc(label.patient)}</div>" if label.patient else ""
        body.append(
            '<div class="label">'
            f"<h1>{esc(label.syringe)} ({esc(label.volume)}, {esc(label.route)})</h1>"
            f"<div>{esc(label.formulation)}</div>"
            f"<table>{rows}</table>{bud}"
            f"<div>Lot {esc(label.lot)}; made {esc(label.compounded)}</div>"
            f"{patient}<div>{esc(label.storage)}</div>"
            "</div>"
        )
    return _page("Syringe labels", _LABEL_CSS, body)


def compounding_record_html(record: CompoundingRecord, ref: RecordRef) -> str:
    """The compounding record of one preparation, as ``mesoreg records`` lists it."""
    r = record
    title = f"{r.formulation}@{r.version} record {r.record}"
    bud = r.bud
    if bud.bud is not None:
        bud_html = (
            f'<p class="banner">BUD {esc(bud.bud.isoformat(timespec="minutes"))} '
            f"({esc(bud.hours)} h after compounding)</p>"
            + _table(
                ["Category", "Rule", "Section", "Chapter"],
                [[bud.category, bud.rule, bud.section, bud.chapter]],
            )
        )
    else:
        bud_html = (
            f'<p class="banner not-validated">BUD NOT DETERMINED ({esc(bud.category)}): '
            f"{esc(bud.reason)}. Do not use.</p>" + _table(["Chapter"], [[bud.chapter]])
        )
    check = r.check
    verdict = VERDICT_TEXT.get(check.verdict, check.verdict)
    findings = _table(
        ["Severity", "Code", "Components", "Rule"],
        [[f.severity.value, f.code, ", ".join(f.components), f.rule] for f in check.findings],
    )
    acks = _table(
        ["Severity", "Code", "Components", "Reason", "Acknowledged by"],
        [
            [
                a.severity.value if a.severity else "?",
                a.code,
                ", ".join(a.components),
                a.reason,
                " and ".join(a.by),
            ]
            for a in r.acknowledgements
        ],
    )
    body = [
        f"<h1>Compounding record: {esc(r.formulation)}@{esc(r.version)}, "
        f"record {esc(r.record)}</h1>",
        _table(
            ["Compounded at", "Prepared by", "Verified by", "Patient"],
            [
                [
                    r.compounded_at.isoformat(timespec="minutes"),
                    r.prepared_by,
                    r.verified_by,
                    r.patient or "-",
                ]
            ],
        ),
        _table(
            ["Environment", "Storage", "Sterility tested", "Sterile components"],
            [
                [
                    r.environment.value,
                    r.storage.value,
                    "yes" if r.sterility_tested else "no",
                    "yes" if r.sterile_components else "no",
                ]
            ],
        ),
        "<section><h2>Lots drawn</h2>",
        _table(
            ["Product", "Ingredient", "Strength", "Lot", "Expiry"],
            [
                [u.product_name, u.ingredient, u.strength, u.lot, u.expiry.isoformat()]
                for u in r.lots
            ],
        ),
        "</section>",
        "<section><h2>Beyond-use date</h2>",
        bud_html,
        "</section>",
        "<section><h2>Check when compounded</h2>",
        f'<p class="banner {esc(check.verdict)}">{esc(verdict)}</p>',
        f'<p class="small">Checked for {esc(check.date.isoformat())}'
        f"{' in ' + esc(check.region) if check.region else ''} by mesoreg "
        f"{esc(check.mesoreg_version)}; packs: {esc(', '.join(check.packs) or '-')}.</p>",
        findings if check.findings else "<p>No finding.</p>",
        "</section>",
        "<section><h2>Acknowledged findings</h2>",
        acks if r.acknowledgements else "<p>None.</p>",
        "</section>",
        "<section><h2>Deviations</h2>",
        _list(r.deviations) if r.deviations else "<p>None recorded.</p>",
        "</section>",
        f'<p class="small">{esc(ref.file)}, sha256 {esc(ref.sha256)}; recorded by '
        f"{esc(ref.by)} at {esc(ref.at.isoformat(timespec='seconds'))}; version file sha256 "
        f"{esc(r.version_sha256)}.</p>",
    ]
    return _page(title, _RECORD_CSS, body)
