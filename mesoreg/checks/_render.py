"""Reports as text for pharmacists and as JSON for other tools.

The JSON shape is versioned by ``report_schema_version`` and described by
``schemas/report-2.schema.json``.  Version 2 added ``config_file`` and
``overrides`` (version 1's schema is closed and frozen, so new fields need a
new version).

Text from inputs (ids, names, titles, messages that echo a value) never reaches
a terminal raw: every line of the text report goes through :func:`printable`,
which escapes control characters (ESC is shown as ``\x1b``).  JSON stays JSON:
``json.dumps`` escapes C0 controls itself.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mesoreg._version import __version__
from mesoreg.checks._report import Finding, Report, Unchecked, Verdict
from mesoreg.documents._knowledge import Severity
from mesoreg.knowledge._override import Override

if TYPE_CHECKING:
    from mesoreg.checks._subject import Subject

#: version of the JSON report format
REPORT_SCHEMA_VERSION = 2

_HEADLINE = {
    Verdict.PASS: "PASS",
    Verdict.WARN: "WARN",
    Verdict.FAIL: "FAIL",
    Verdict.NOT_VALIDATED: "NOT VALIDATED",
}


def _finding_to_dict(finding: Finding) -> dict[str, Any]:
    return {
        "code": finding.code,
        "severity": finding.severity.value,
        "fhir_severity": finding.severity.fhir,
        "cds_indicator": finding.severity.cds_indicator,
        "rule": finding.rule,
        "check": finding.check,
        "provider": finding.provider,
        "message": finding.message,
        "evidence": finding.evidence,
        "advice": finding.advice,
        "evidence_level": finding.evidence_level.value,
        "note": finding.note,
        "components": list(finding.components),
        "sources": [
            {
                "id": s.id,
                "title": s.title,
                "issuer": s.issuer,
                "date": s.date,
                "kind": s.kind.value,
                "url": s.url,
                "doi": s.doi,
            }
            for s in finding.sources
        ],
    }


def _gap_to_dict(gap: Unchecked) -> dict[str, str]:
    return {"check": gap.check, "rule": gap.rule, "reason": gap.reason}


def _override_to_dict(found: Override) -> dict[str, Any]:
    return {
        "key": found.key,
        "pack": found.pack,
        "kind": found.kind,
        "id": found.id,
        "replaces": found.replaces,
        "weakening": found.is_weakening,
        "allowed_by_configuration": found.allowed,
        "changes": list(found.changes),
        "weakens": list(found.weakening),
    }


def report_to_dict(report: Report) -> dict[str, Any]:
    """The report as plain JSON-ready data (report schema version 2)."""
    counts = Counter(f.severity.value for f in report.findings)
    return {
        "report_schema_version": REPORT_SCHEMA_VERSION,
        "mesoreg_version": __version__,
        "formulation": report.formulation,
        "patient": report.patient,
        "region": report.region,
        "date": report.date.isoformat(),
        "verdict": report.verdict.value,
        "summary": {s.value: counts.get(s.value, 0) for s in Severity},
        "findings": [_finding_to_dict(f) for f in report.findings],
        "unchecked": [_gap_to_dict(u) for u in report.unchecked],
        "not_run": [_gap_to_dict(u) for u in report.not_run],
        "checks": list(report.checks),
        "packs": list(report.packs),
        "config_file": report.config_file,
        "overrides": [_override_to_dict(o) for o in report.overrides],
    }


def report_to_json(report: Report) -> str:
    """The report as indented JSON text."""
    return json.dumps(report_to_dict(report), indent=2, ensure_ascii=False)


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 finding``, ``2 findings``; ``many`` for irregular plurals (``2 syringes``)."""
    return f"{count} {word if count == 1 else many or word + 's'}"


#: SGR colours of the severity headings and the verdict, on a terminal that allows them
_COLOURS = {
    "contraindicated": "1;31",
    "major": "31",
    "moderate": "33",
    "minor": "36",
    "info": "2",
    "FAIL": "1;31",
    "WARN": "1;33",
    "PASS": "1;32",
    "NOT VALIDATED": "1;35",
    "NOT CHECKED": "1;35",
}


def _paint(text: str, key: str, colour: bool) -> str:
    """``text`` in the colour of ``key``; escapes are added after the text was escaped."""
    code = _COLOURS.get(key)
    return f"\x1b[{code}m{text}\x1b[0m" if colour and code else text


def composition_lines(subject: Subject) -> list[str]:
    """What is injected: each syringe's final concentrations, then amounts per session.

    Amounts per kg are given when the patient's weight is known (in kg, as a
    mass); they are arithmetic for the reader, never a verdict.
    """
    from mesoreg.documents._quantity import Dimension, format_number

    weight = subject.patient.weight if subject.patient is not None else None
    kg = None
    if weight is not None and weight.dimension == Dimension("mass"):
        kg = weight.value / 1_000_000  # mass is held in mg
        if not (math.isfinite(kg) and kg > 0):
            kg = None
    lines = ["COMPOSITION"]
    for prep in subject.preparations:
        times = format_number(prep.per_session)
        per = "1 per session" if prep.per_session == 1 else f"{times} per session"
        lines.append(f"  {prep.name}: {prep.volume}, {per}")
        width = max((len(d.ingredient.name) for d in prep.doses), default=0)
        for dose in prep.doses:
            lines.append(
                f"    {dose.ingredient.name:<{width}}  {_quantity(dose.concentration)}"
                f"  ({_quantity(dose.amount)} in {prep.volume})"
            )
    weight_note = f", {format_number(kg)} kg" if kg is not None else ", weight not known"
    if subject.patient is None:
        weight_note = ""
    lines.append(f"  per session{weight_note}:")
    width = max((len(s.ingredient.name) for s in subject.session.values()), default=0)
    for total in subject.session.values():
        name = f"{total.ingredient.name:<{width}}"
        if total.amount is None:
            lines.append(f"    {name}  not added up ({total.problem})")
            continue
        per_kg = ""
        if kg is not None and total.amount.dimension.denominator is None:
            per_kg = (
                f"  = {format_number(round(total.amount.value / kg, 2))} {total.amount.unit}/kg"
            )
        lines.append(f"    {name}  {_quantity(total.amount)}{per_kg}")
    return lines


def _quantity(value: Any) -> str:
    """A computed quantity in its base unit (what the user wrote is not kept for it)."""
    from mesoreg.documents._quantity import format_number

    return f"{format_number(value.value)} {value.unit}"


def report_to_text(report: Report, *, composition: Sequence[str] = (), colour: bool = False) -> str:
    """The report as a pharmacist's note: verdict, composition, findings by severity, gaps.

    ``composition`` are the lines of :func:`composition_lines`, shown after the
    headline; ``colour`` adds ANSI colours to the verdict and severity headings
    (the caller decides: a terminal, ``NO_COLOR`` unset).
    """
    who = f" for {report.patient}" if report.patient else " (no patient)"
    region = report.region or "no region"
    head = _HEADLINE[report.verdict]
    lines = [f"{head}  {report.formulation}{who}, {region}, {report.date}"]
    counts = Counter(f.severity for f in report.findings)
    summary = [plural(counts[s], f"{s.value} finding") for s in Severity if counts[s]]
    if report.unchecked:
        summary.append(plural(len(report.unchecked), "rule") + " not checked")
    if summary:
        lines.append(", ".join(summary))
    if composition:
        lines += ["", *composition]
    headings: dict[int, str] = {}
    for severity in Severity:
        group = [f for f in report.findings if f.severity is severity]
        if not group:
            continue
        lines += [""]
        headings[len(lines)] = severity.value
        lines.append(f"{severity.value.upper()} ({len(group)})")
        for f in group:
            lines.append(f"  {f.code}  {f.message}")
            lines.append(f"    evidence: {f.evidence}")
            if f.advice:
                lines.append(f"    advice:   {f.advice}")
            level = f.evidence_level.value.replace("_", " ")
            rule = f"{f.rule} ({f.provider})" if f.provider else f.rule
            lines.append(f"    rule:     {rule}, evidence: {level}")
            if f.note:
                lines.append(f"    note:     {f.note}")
            for source in f.sources:
                lines.append(f"    source:   [{source.kind.value}] {source.cite()}")
    if report.unchecked:
        lines += [""]
        headings[len(lines)] = "NOT CHECKED"
        lines.append("NOT CHECKED (the verdict cannot be pass until these are resolved)")
        lines += [f"  {u.check}: {u.rule}: {u.reason}" for u in report.unchecked]
    if report.not_run:
        lines += ["", "NOT RUN"]
        lines += [
            f"  {u.check}: {u.reason}" if u.rule == "*" else f"  {u.check}: {u.rule}: {u.reason}"
            for u in report.not_run
        ]
    if not report.findings and not report.unchecked:
        lines += ["", "No findings."]
    lines += _provenance_lines(report)
    # each line is escaped on its own, so a newline inside an input cannot forge a line;
    # colours are added afterwards, to the headline and headings only
    out = [printable(line) for line in lines]
    out[0] = _paint(head, head, colour) + out[0][len(head) :]
    for i, key in headings.items():
        out[i] = _paint(out[i], key, colour)
    return "\n".join(out)


#: characters a terminal does not show: zero-width spaces and joiners, the word joiner and
#: invisible operators, the byte-order mark, the soft hyphen ('mesoreg-core\u200b' would
#: print as 'mesoreg-core')
INVISIBLE = (0x00AD, 0x061C, 0x180E, *range(0x200B, 0x200E), *range(0x2060, 0x2065), 0xFEFF)


def _control_table() -> dict[int, str]:
    table = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))}
    # bidirectional overrides and line separators reorder or split what a terminal shows
    for c in (0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x2028, 0x2029):
        table[c] = f"\\u{c:04x}"
    for c in INVISIBLE:
        table[c] = f"\\u{c:04x}"
    del table[ord("\t")]
    return table


_CONTROLS = _control_table()
_CONTROLS_KEEP_NEWLINES = {k: v for k, v in _CONTROLS.items() if k != ord("\n")}


def printable(text: str, *, newlines: bool = False) -> str:
    """``text`` with terminal control characters escaped: ESC as ``\\x1b``, CR as ``\\x0d``.

    C0 and C1 controls, DEL, bidirectional overrides, line separators and
    invisible characters (:data:`INVISIBLE`) are escaped; tabs are kept, and
    newlines only with ``newlines=True``, so text from an input can never move
    the cursor, clear a line, forge a new one or hide a character.
    """
    return text.translate(_CONTROLS_KEEP_NEWLINES if newlines else _CONTROLS)


def _provenance_lines(report: Report) -> list[str]:
    """Where the rules came from: configuration file, packs, and every override applied."""
    lines = ["", f"configuration: {report.config_file or 'none'}"]
    lines.append(f"packs: {', '.join(report.packs) or 'none'}")
    if report.overrides:
        weakened = sum(o.is_weakening for o in report.overrides)
        head = f"OVERRIDES ({len(report.overrides)}"
        head += f", {weakened} weakening allowed by local configuration)" if weakened else ")"
        lines += ["", head]
        for found in report.overrides:
            lines.append(f"  {found.describe()}")
            if found.is_weakening:
                lines.append(f"    WEAKENS: {'; '.join(found.weakening)}")
    return lines
