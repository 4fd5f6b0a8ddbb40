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
from collections import Counter
from typing import Any

from mesoreg._knowledge import Severity
from mesoreg._override import Override
from mesoreg._report import Finding, Report, Unchecked, Verdict
from mesoreg._version import __version__

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


def report_to_text(report: Report) -> str:
    """The report as text: verdict first, then findings by severity with evidence and sources."""
    who = f" for {report.patient}" if report.patient else " (no patient)"
    region = report.region or "no region"
    lines = [f"{_HEADLINE[report.verdict]}  {report.formulation}{who}, {region}, {report.date}"]
    counts = Counter(f.severity for f in report.findings)
    if report.findings:
        lines.append(", ".join(f"{counts[s]} {s.value}" for s in Severity if counts[s]))
    for severity in Severity:
        group = [f for f in report.findings if f.severity is severity]
        if not group:
            continue
        lines += ["", severity.value.upper()]
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
        lines += ["", "NOT CHECKED (the verdict cannot be pass until these are resolved)"]
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
    # each line is escaped on its own, so a newline inside an input cannot forge a line
    return "\n".join(printable(line) for line in lines)


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
