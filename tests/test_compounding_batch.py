"""The compounding record model: acknowledgements, refusals, and the record file's round trip."""

from __future__ import annotations

import datetime as dt

import pytest

from mesoreg._errors import InputError
from mesoreg.checks._report import Finding, Report
from mesoreg.compounding._batch import (
    Acknowledgement,
    acknowledge,
    parse_acks,
)
from mesoreg.documents._knowledge import Evidence, Severity


def _finding(severity: Severity, code: str, *components: str, rule: str = "r") -> Finding:
    return Finding(
        severity=severity,
        code=code,
        rule=rule,
        message="m",
        advice="a",
        evidence="e",
        evidence_level=Evidence.LABEL,
        components=components,
    )


REPORT = Report(
    formulation="mix@1",
    date=dt.date(2026, 11, 22),
    findings=(
        _finding(Severity.CONTRAINDICATED, "MR-CI-X", "a"),
        _finding(Severity.MAJOR, "MR-IX-Y", "a", "b"),
        _finding(Severity.MODERATE, "MR-IX-Z", "b", "c"),
        _finding(Severity.MINOR, "MR-IX-W", "a", "c"),
    ),
)


def _ack(code: str, *components: str, by: tuple[str, ...] = ("P. One",), reason: str = "ok"):
    return Acknowledgement(code=code, components=components, reason=reason, by=by)


ALL = (
    _ack("MR-CI-X", "a", by=("P. One", "P. Two")),
    _ack("MR-IX-Y", "b", "a"),  # components in any order
    _ack("MR-IX-Z", "b", "c"),
)


def test_every_finding_to_acknowledge_acknowledged_is_accepted_with_its_severity() -> None:
    acks, problems = acknowledge(REPORT, ALL)
    assert problems == []
    assert [(a.code, a.severity, a.rule) for a in acks] == [
        ("MR-CI-X", Severity.CONTRAINDICATED, "r"),
        ("MR-IX-Y", Severity.MAJOR, "r"),
        ("MR-IX-Z", Severity.MODERATE, "r"),
    ]


def _messages(acks) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(p) for p in acknowledge(REPORT, acks)[1]]


def test_nothing_is_left_unacknowledged_silently() -> None:
    assert _messages(ALL[1:]) == [
        "--acks: the contraindicated finding MR-CI-X [a] of mix@1 is not acknowledged. "
        "Acknowledge it with a reason and your name in the --acks file (docs/compounding.md), "
        "or do not compound this version."
    ]


@pytest.mark.parametrize(
    ("changed", "message"),
    [
        (_ack("MR-CI-X", "a", by=("P. One", "p.  one")), "acknowledgements[0].by: MR-CI-X is "
         "contraindicated: it needs two different people (got 1). A contraindicated finding is "
         "acknowledged by a second, different person."),
        (_ack("MR-CI-X", "a", by=("P. One",)), "acknowledgements[0].by: MR-CI-X is "
         "contraindicated: it needs two different people (got 1)."),
        (_ack("mr-ci-x", "a", by=("P. One", "P. Two")), "acknowledgements[0]: the check of mix@1 "
         "does not produce mr-ci-x [a]; it produces: MR-CI-X [a], MR-IX-Y [a, b], MR-IX-Z [b, c], "
         "MR-IX-W [a, c]."),
        (_ack("MR-CI-X", "a", "b", by=("P. One", "P. Two")), "acknowledgements[0]: the check of "
         "mix@1 does not produce MR-CI-X [a, b]"),
        (_ack("MR-CI-X", "a", by=("P. One", "P. Two"), reason=" "), "acknowledgements[0].reason:"
         " must be one printable line of 1 to 500 characters"),
    ],
    ids=["same-person", "one-person", "code-case", "components", "no-reason"],
)  # fmt: skip
def test_a_bad_acknowledgement_is_refused(changed, message) -> None:
    messages = _messages((changed, *ALL[1:]))
    assert any(m.startswith(message) for m in messages), messages


def test_one_finding_per_acknowledgement_and_none_for_minor_findings() -> None:
    messages = _messages((*ALL, ALL[2], _ack("MR-IX-W", "a", "c")))
    assert messages == [
        "acknowledgements[3]: MR-IX-Z is acknowledged twice (also acknowledgements[2]). "
        "Acknowledge each finding once.",
        "acknowledgements[4]: MR-IX-W is minor: it needs no acknowledgement. Acknowledge only "
        "contraindicated, major and moderate findings.",
    ]


def test_findings_of_one_code_and_components_from_two_rules_need_the_rule() -> None:
    report = Report(
        formulation="mix@1",
        date=dt.date(2026, 11, 22),
        findings=(
            _finding(Severity.MODERATE, "MR-IX-Z", "b", rule="r1"),
            _finding(Severity.MODERATE, "MR-IX-Z", "b", rule="r2"),
        ),
    )
    _, problems = acknowledge(report, (_ack("MR-IX-Z", "b"),))
    assert str(problems[0]).startswith("acknowledgements[0]: MR-IX-Z [b] is made by several rules")
    both = (
        Acknowledgement("MR-IX-Z", ("b",), "ok", ("P",), rule="r1"),
        Acknowledgement("MR-IX-Z", ("b",), "ok", ("P",), rule="r2"),
    )
    assert acknowledge(report, both)[1] == []


def test_an_acks_file_never_gives_a_severity() -> None:
    text = (
        'schema_version = 1\n[[acknowledgements]]\ncode = "MR-IX-Z"\ncomponents = ["b"]\n'
        'reason = "ok"\nby = ["P"]\n'
    )
    assert parse_acks(text, "acks.toml") == (_ack("MR-IX-Z", "b", by=("P",)),)
    with pytest.raises(InputError, match="severity: is taken from the check, not given"):
        parse_acks(text + 'severity = "minor"\n', "acks.toml")
    with pytest.raises(InputError, match="schema_version"):
        parse_acks(text.replace("schema_version = 1\n", ""), "acks.toml")
