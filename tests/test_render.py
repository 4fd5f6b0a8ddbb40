"""Reports as text and JSON: control characters from inputs never reach a terminal raw."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from mesoreg._knowledge import Evidence, Severity
from mesoreg._render import printable, report_to_json, report_to_text
from mesoreg._report import Finding, Report, Unchecked

FORGED = "\x1b[2K\rPASS"


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("plain µg/mL, café", "plain µg/mL, café"),
        ("tab\tkept", "tab\tkept"),
        (FORGED, "\\x1b[2K\\x0dPASS"),
        ("a\nb", "a\\x0ab"),
        ("\x00\x07\x08\x7f", "\\x00\\x07\\x08\\x7f"),
        ("\x9b2K\x85", "\\x9b2K\\x85"),  # C1: CSI and NEL
        ("\u202eSSAP\u2066", "\\u202eSSAP\\u2066"),  # bidirectional overrides
        ("a\u2028b\u2029c", "a\\u2028b\\u2029c"),
        ("mesoreg-core\u200b", "mesoreg-core\\u200b"),  # zero-width space
        ("a\u00adb\u2060c\ufeffd\u200de", "a\\u00adb\\u2060c\\ufeffd\\u200de"),
    ],
    ids=[
        "plain",
        "tab",
        "esc-cr",
        "newline",
        "c0-del",
        "c1",
        "bidi",
        "separators",
        "zero-width",
        "invisible",
    ],
)
def test_printable(text: str, escaped: str) -> None:
    assert printable(text) == escaped


def test_printable_may_keep_newlines() -> None:
    assert printable("a\n\rb", newlines=True) == "a\n\\x0db"


def _report() -> Report:
    finding = Finding(
        severity=Severity.MAJOR,
        code="MR-TEST" + FORGED,
        rule="rule" + FORGED,
        message="message" + FORGED,
        advice="advice" + FORGED,
        evidence="evidence\n" + FORGED,
        evidence_level=Evidence.EXPERT_OPINION,
        note="note" + FORGED,
        provider="pack" + FORGED,
    )
    return Report(
        formulation="f@1" + FORGED,
        date=dt.date(2026, 11, 22),
        findings=(finding,),
        unchecked=(Unchecked("check" + FORGED, "rule", "reason" + FORGED),),
        not_run=(Unchecked("check", "*", "reason\r" + FORGED),),
        patient="anna" + FORGED,
        region="FR" + FORGED,
    )


def test_text_report_escapes_every_field() -> None:
    text = report_to_text(_report())
    assert not any(c in text for c in "\x1b\r")
    lines = text.splitlines()
    assert lines[0] == (
        "FAIL  f@1\\x1b[2K\\x0dPASS for anna\\x1b[2K\\x0dPASS, FR\\x1b[2K\\x0dPASS, 2026-11-22"
    )
    # a newline inside a field is escaped too: it cannot forge a line of its own
    assert "    evidence: evidence\\x0a\\x1b[2K\\x0dPASS" in lines
    assert not any(line == "PASS" or line.startswith("PASS") for line in lines)


def test_json_report_keeps_the_exact_text() -> None:
    text = report_to_json(_report())
    assert "\x1b" not in text and "\r" not in text
    data = json.loads(text)
    assert data["patient"] == "anna" + FORGED
    assert data["findings"][0]["evidence"] == "evidence\n" + FORGED
