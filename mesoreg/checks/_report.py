"""What a check says: findings, what could not be checked, and the verdict.

Frozen attrs models.  A :class:`Report` orders its findings deterministically
(severity, code, rule, components) so that results never depend on plugin or
dictionary order, and derives its verdict from them:

* ``fail``: a contraindicated or major finding;
* ``not-validated``: otherwise, anything that should have been checked was not
  (a missing patient fact, a crashed plugin, a region with no validator);
* ``warn``: otherwise, a moderate or minor finding;
* ``pass``: nothing but info findings.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable

import attrs

from mesoreg.documents._field import doc
from mesoreg.documents._knowledge import Evidence, Severity, Source
from mesoreg.knowledge._override import Override


class Verdict(enum.StrEnum):
    """The overall outcome of a check."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    NOT_VALIDATED = "not-validated"


@attrs.frozen
class Finding:
    """One problem found, with the rule behind it, its sources and the computed evidence."""

    severity: Severity = attrs.field(
        metadata=doc(
            "How serious it is: a Severity (info, minor, moderate, major, contraindicated); "
            "it decides the verdict."
        ),
    )
    code: str = attrs.field(
        metadata=doc("Stable code of the rule, e.g. 'MR-CI-PREGNANCY'; reports sort by it."),
    )
    rule: str = attrs.field(
        metadata=doc("Id of the rule (record) that produced the finding."),
    )
    message: str = attrs.field(
        metadata=doc("What is wrong, in one sentence for the pharmacist."),
    )
    advice: str = attrs.field(
        metadata=doc("What to do about it."),
    )
    evidence: str = attrs.field(
        metadata=doc(
            "The computed facts that triggered it, e.g. 'lidocaine 400 mg per session, "
            "limit 300 mg'."
        ),
    )
    evidence_level: Evidence = attrs.field(
        metadata=doc("How strong the rule's support is: an Evidence (label, guideline, ...)."),
    )
    components: tuple[str, ...] = attrs.field(
        default=(),
        metadata=doc("Ingredient ids the finding concerns, sorted."),
    )
    sources: tuple[Source, ...] = attrs.field(
        default=(),
        metadata=doc("The sources the rule rests on, as Source records."),
    )
    note: str = attrs.field(
        default="",
        metadata=doc("The rule's caveat, e.g. that it rests on a practice convention only."),
    )
    provider: str = attrs.field(
        default="",
        metadata=doc(
            "The pack or plugin that supplied the rule; set by mesoreg for a plugin's "
            "findings unless it names one of the plugin's own packs."
        ),
    )
    check: str = attrs.field(
        default="",
        metadata=doc("Name of the check that yielded it; set by mesoreg."),
    )

    def stamped(self, check: str, provider: str) -> Finding:
        """This finding attributed to a check (and a provider, if it names none)."""
        return Finding(
            self.severity,
            self.code,
            self.rule,
            self.message,
            self.advice,
            self.evidence,
            self.evidence_level,
            self.components,
            self.sources,
            self.note,
            self.provider or provider,
            check,
        )

    def sort_key(self) -> tuple[int, str, str, tuple[str, ...], str, str]:
        """Severity first, then code, rule, components: never plugin or dict order."""
        return (
            self.severity.rank,
            self.code,
            self.rule,
            self.components,
            self.evidence,
            self.provider,
        )


@attrs.frozen(order=True)
class Unchecked:
    """A rule or check that could not be run, and why."""

    check: str = attrs.field(
        metadata=doc("Name of the check that could not run, e.g. 'contraindications'."),
    )
    rule: str = attrs.field(
        metadata=doc("Id of the rule not checked, or '*' for the whole check."),
    )
    reason: str = attrs.field(
        metadata=doc("Why, and what would let it run, e.g. 'pregnancy status unknown'."),
    )


@attrs.frozen(order=True)
class NotRun(Unchecked):
    """A check not run by choice: no patient, no region or no previous session given."""


@attrs.frozen
class OutputFormat:
    """A way to print a report (``--format NAME``); built-in: text and json."""

    name: str = attrs.field(
        metadata=doc("Name given to --format; not 'text' or 'json', which are built in."),
    )
    render: Callable[[Report], str] = attrs.field(
        metadata=doc("render(report) returns the whole output as one string."),
    )
    description: str = attrs.field(
        default="",
        metadata=doc("One line shown by 'mesoreg plugins list'."),
    )


def _sorted_findings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    return tuple(sorted(findings, key=Finding.sort_key))


def _sorted_gaps(gaps: Iterable[Unchecked]) -> tuple[Unchecked, ...]:
    # a tuple key: attrs' generated comparisons are several times slower
    return tuple(sorted(set(gaps), key=lambda u: (u.check, u.rule, u.reason)))


def _sorted_names(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(names))


def _sorted_overrides(overrides: Iterable[Override]) -> tuple[Override, ...]:
    return tuple(sorted(overrides, key=lambda o: (o.key, o.replaces)))


@attrs.frozen
class Report:
    """The result of checking one formulation for one patient, region and date."""

    formulation: str
    date: dt.date
    findings: tuple[Finding, ...] = attrs.field(converter=_sorted_findings)
    unchecked: tuple[Unchecked, ...] = attrs.field(default=(), converter=_sorted_gaps)
    #: checks not run by choice (no patient given, no region given, first session)
    not_run: tuple[Unchecked, ...] = attrs.field(default=(), converter=_sorted_gaps)
    patient: str | None = None
    region: str | None = None
    checks: tuple[str, ...] = attrs.field(default=(), converter=_sorted_names)
    packs: tuple[str, ...] = attrs.field(default=(), converter=_sorted_names)
    #: records of one pack replaced or displaced by another's (tightening, or weakening the
    #: local configuration allowed)
    overrides: tuple[Override, ...] = attrs.field(default=(), converter=_sorted_overrides)
    #: the configuration file the settings came from (mesoreg.toml or pyproject.toml), if any
    config_file: str | None = None

    @property
    def verdict(self) -> Verdict:
        """fail, not-validated, warn or pass (see the module docstring)."""
        if any(f.severity.is_at_least(Severity.MAJOR) for f in self.findings):
            return Verdict.FAIL
        if self.unchecked:
            return Verdict.NOT_VALIDATED
        if any(f.severity is not Severity.INFO for f in self.findings):
            return Verdict.WARN
        return Verdict.PASS

    def worst(self) -> Severity | None:
        """The most severe finding's severity, or None without findings."""
        return self.findings[0].severity if self.findings else None
