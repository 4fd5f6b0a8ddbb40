"""Reports as text and JSON: control characters from inputs never reach a terminal raw."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from mesoreg.checks._render import printable, report_to_json, report_to_text
from mesoreg.checks._report import Finding, Report, Unchecked
from mesoreg.documents._knowledge import Evidence, Severity

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


# -- the pharmacist's note -------------------------------------------------------------


def _lipo_subject(weight: str | None = "62 kg"):  # type: ignore[no-untyped-def]
    import attrs
    from conftest import PATIENTS, ROOT

    from mesoreg.documents._load import load_formulation, load_patient
    from mesoreg.documents._model import Context
    from mesoreg.documents._quantity import parse_quantity
    from mesoreg.host._engine import resolve_subject
    from mesoreg.host._registry import get_registry

    formulation = load_formulation(ROOT / "formulations" / "lipo-abdomen" / "v1.toml")
    patient = load_patient(PATIENTS / "anna.toml")
    patient = attrs.evolve(patient, weight=parse_quantity(weight) if weight else None)
    context = Context(dt.date(2026, 11, 22), None)
    return resolve_subject(formulation, patient, context, get_registry())[0]


def test_composition_gives_concentrations_amounts_per_session_and_per_kg() -> None:
    from mesoreg.checks._render import composition_lines

    assert composition_lines(_lipo_subject()) == [
        "COMPOSITION",
        "  PC/DC syringe: 10 mL, 2 per session",
        "    Phosphatidylcholine  50 mg/mL  (500 mg in 10 mL)",
        "    Deoxycholic acid     25 mg/mL  (250 mg in 10 mL)",
        "  per session, 62 kg:",
        "    Deoxycholic acid     500 mg  = 8.06 mg/kg",
        "    Phosphatidylcholine  1000 mg  = 16.13 mg/kg",
    ]


def test_composition_without_a_weight_says_so() -> None:
    from mesoreg.checks._render import composition_lines

    lines = composition_lines(_lipo_subject(None))
    assert lines[4:] == [
        "  per session, weight not known:",
        "    Deoxycholic acid     500 mg",
        "    Phosphatidylcholine  1000 mg",
    ]


def _note(patient: str = "anna") -> Report:
    def finding(severity: Severity) -> Finding:
        return Finding(
            severity=severity,
            code=f"MR-{severity.value}",
            rule="rule",
            message="message",
            advice="",
            evidence="evidence",
            evidence_level=Evidence.LABEL,
        )

    return Report(
        formulation="demo@1",
        date=dt.date(2026, 11, 22),
        findings=(finding(Severity.MAJOR), finding(Severity.MODERATE)),
        unchecked=(Unchecked("doses", "rule", "reason"),),
        patient=patient,
        region="FR",
    )


def test_the_note_opens_with_verdict_counts_then_composition() -> None:
    lines = report_to_text(_note(), composition=["COMPOSITION", "  x"]).splitlines()
    assert lines[:5] == [
        "FAIL  demo@1 for anna, FR, 2026-11-22",
        "1 major finding, 1 moderate finding, 1 rule not checked",
        "",
        "COMPOSITION",
        "  x",
    ]
    assert "MAJOR (1)" in lines


@pytest.mark.parametrize(
    ("count", "text"), [(0, "0 findings"), (1, "1 finding"), (2, "2 findings")]
)
def test_plural(count: int, text: str) -> None:
    from mesoreg.checks._render import plural

    assert plural(count, "finding") == text


def test_colours_only_when_asked_and_inputs_still_escaped() -> None:
    report = _note(patient=FORGED)
    plain = report_to_text(report)
    assert "\x1b" not in plain
    coloured = report_to_text(report, colour=True)
    lines = coloured.splitlines()
    assert lines[0].startswith("\x1b[1;31mFAIL\x1b[0m  demo@1 for \\x1b[2K\\x0dPASS")
    assert "\x1b[31mMAJOR (1)\x1b[0m" in lines
    assert (
        "\x1b[1;35mNOT CHECKED (the verdict cannot be pass until these are resolved)\x1b[0m"
        in lines
    )
    # no colour code anywhere else: the escaped input stays escaped
    assert "\x1b[33mMODERATE (1)\x1b[0m" in lines
    assert coloured.count("\x1b[") == 2 * 4


def test_use_colour_honours_no_color_and_tty() -> None:
    import io

    from mesoreg.interfaces._console import use_colour

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert use_colour(Tty(), {}) is True
    assert use_colour(Tty(), {"NO_COLOR": "1"}) is False
    assert use_colour(Tty(), {"TERM": "dumb"}) is False
    assert use_colour(io.StringIO(), {}) is False
