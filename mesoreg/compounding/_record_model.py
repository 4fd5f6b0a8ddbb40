"""The master formulation record (MFR) of a stored version, as data.

:func:`build_record` takes what mesoreg already knows about a stored version
(the formulation resolved against the catalog, the check's report, the ledger
entry, the USP <797> BUD rules) and arranges it under the elements USP <795>
and <797> require on an MFR (``data/mfr.toml``, each citing where the
requirement was read).  It computes nothing anew: concentrations and amounts
are the subject's (:mod:`mesoreg.checks._subject`), findings and their sources the
report's, BUD hours the rule's.  What mesoreg does not know (the syringe's
size and make, the facility's aseptic procedure and release tests, the
stability of the mixture) is said, never made up: such fields are left to
fill in and say so.

The renderers (:mod:`._html`, :mod:`._pdf`) and ``--format json`` read only
this model, so the three outputs cannot disagree.  No I/O here except reading
the package's own ``data/mfr.toml``.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any, Final

import attrs

from mesoreg._version import __version__
from mesoreg.checks._report import Report
from mesoreg.checks._subject import Subject
from mesoreg.compounding._bud import (
    NOT_CHECKED,
    BudResult,
    BudRules,
    Chapter,
    Storage,
    builtin_rules,
)
from mesoreg.compounding._products import check_version
from mesoreg.documents._convert import structure
from mesoreg.documents._field import doc
from mesoreg.documents._load import parse_toml
from mesoreg.documents._quantity import Quantity, format_number

#: where the elements are, for messages
BUILTIN: Final = "mesoreg/compounding/data/mfr.toml"
ELEMENTS_SCHEMA_VERSION: Final = 1
#: version of ``mesoreg mfr --format json`` (``schemas/mfr-1.schema.json``)
MFR_OUTPUT_VERSION: Final = 1

#: what a field mesoreg cannot fill says
TO_FILL: Final = "not recorded in the formulation: to be completed by the compounding pharmacist"

STORED: Final = {
    Storage.CONTROLLED_ROOM_TEMPERATURE: "at controlled room temperature",
    Storage.REFRIGERATOR: "in a refrigerator",
    Storage.FREEZER: "in a freezer",
}


@attrs.frozen
class Element:
    """One element the chapters require on an MFR, and where that was read."""

    id: str = attrs.field(metadata=doc("Element id; mesoreg fills the section of that id."))
    title: str = attrs.field(metadata=doc("The requirement, in the sources' words."))
    chapters: tuple[str, ...] = attrs.field(metadata=doc("'795', '797' or both."))
    read_at: str = attrs.field(metadata=doc("Where the requirement was read."))


@attrs.frozen
class Elements:
    """The elements file."""

    schema_version: int = attrs.field(metadata=doc("Version of the file format; 1."))
    chapters: tuple[Chapter, ...] = attrs.field(metadata=doc("The chapters, with their pages."))
    elements: tuple[Element, ...] = attrs.field(metadata=doc("The required elements, in order."))


@functools.cache
def builtin_elements() -> Elements:
    """The built-in elements (``data/mfr.toml``), read once."""
    text = resources.files("mesoreg.compounding").joinpath("data/mfr.toml").read_text("utf-8")
    data = parse_toml(text, BUILTIN)
    check_version(data, ELEMENTS_SCHEMA_VERSION, BUILTIN)
    return structure(data, Elements, path=BUILTIN)


# -- the record ------------------------------------------------------------------------


@attrs.frozen
class Provenance:
    """Which stored version the record is of, as its ledger says."""

    formulation: str
    version: int
    sha256: str
    status: str
    author: str
    published: str


@attrs.frozen
class ComponentLine:
    """One stock product drawn: as written in the formulation, and the catalog's ingredient."""

    ingredient: str
    written_as: str
    strength: str
    volume: str
    #: the component it comes with, for a co-ingredient ("" for a product drawn itself)
    part_of: str = ""


@attrs.frozen
class Calculation:
    """One ingredient in one syringe: amount = strength x volume, then / total volume."""

    ingredient: str
    #: e.g. "10 mg/mL x 1 mL = 10 mg"
    amount_steps: tuple[str, ...]
    amount: str
    total_volume: str
    concentration: str


@attrs.frozen
class SyringeRecord:
    """One preparation (syringe) of the formulation."""

    name: str
    per_session: str
    volume: str
    components: tuple[ComponentLine, ...]
    calculations: tuple[Calculation, ...]


@attrs.frozen
class SessionLine:
    """An ingredient's total for one session."""

    ingredient: str
    amount: str


@attrs.frozen
class SourceLine:
    """A reference a finding rests on."""

    kind: str
    citation: str
    url: str


@attrs.frozen
class FindingLine:
    """A finding of the check, with the references it rests on."""

    severity: str
    code: str
    check: str
    message: str
    evidence: str
    advice: str
    note: str
    sources: tuple[SourceLine, ...]


@attrs.frozen
class GapLine:
    """Something the check did not check or did not run, and why."""

    check: str
    rule: str
    reason: str


def read_version(
    store: Any,
    formulation_id: str,
    version: int | None,
    day: dt.date,
    region: str | None,
    registry: Any,
) -> tuple[Subject, Provenance, dict[str, str]]:
    """A stored version resolved as the check resolves it, its provenance, and the names
    plugins resolved (written name -> catalog id)."""
    from mesoreg.documents._model import Context
    from mesoreg.host._engine import resolve_subject

    formulation, entry = store.read(formulation_id, version)
    subject, resolutions = resolve_subject(formulation, None, Context(day, region), registry)
    provenance = Provenance(
        formulation=formulation.id,
        version=entry.version,
        sha256=entry.sha256,
        status=str(entry.status),
        author=entry.author,
        published=entry.published.isoformat(timespec="seconds"),
    )
    return subject, provenance, {r.name: r.ingredient for r in resolutions}


def gap_text(gap: GapLine) -> str:
    """A gap as the text report prints it (a whole check's gap names no rule)."""
    if gap.rule == "*":
        return f"{gap.check}: {gap.reason}"
    return f"{gap.check}: {gap.rule}: {gap.reason}"


@attrs.frozen
class CheckSummary:
    """The check of the version the record shows."""

    verdict: str
    date: str
    region: str
    findings: tuple[FindingLine, ...]
    unchecked: tuple[GapLine, ...]
    not_run: tuple[GapLine, ...]
    packs: tuple[str, ...]


@attrs.frozen
class BudRow:
    """One rule's longest BUD for each storage, in hours (None: not determined), and why."""

    category: str
    rule: str
    section: str
    controlled_room_temperature: int | None
    refrigerator: int | None
    freezer: int | None
    #: why a storage's BUD is not determined ("" when every one is)
    reason: str


@attrs.frozen
class BudSection:
    """Beyond-use date and storage: the chosen one (if any) and the whole rule table."""

    chapter: Chapter
    #: the storage chosen for this record (None: not chosen)
    storage: str | None
    #: what the chosen category and storage give: "24 hours ..." or "not determined: ..."
    assigned: str
    hours: int | None
    table: tuple[BudRow, ...]
    not_checked: tuple[str, ...]


@attrs.frozen
class MasterRecord:
    """The master formulation record of one stored version."""

    provenance: Provenance
    title: str
    authors: tuple[str, ...]
    written: str
    dosage_form: str
    use: tuple[tuple[str, str], ...]
    #: each syringe's final concentrations: (syringe, ingredient, concentration)
    strength: tuple[tuple[str, str, str], ...]
    syringes: tuple[SyringeRecord, ...]
    session: tuple[SessionLine, ...]
    check: CheckSummary
    container_closure: tuple[str, ...]
    steps: tuple[str, ...]
    quality_control: tuple[str, ...]
    bud: BudSection
    labelling: tuple[str, ...]
    elements: Elements
    notes: str
    generated: str
    mesoreg_version: str = __version__


#: the verdict as the record states it, on its face and in the compatibility section
VERDICT_TEXT: Final = {
    "pass": "Check: PASS",
    "warn": "Check: WARN (findings below; read each before compounding)",
    "fail": "Check: FAIL. Do not compound this version until the findings are resolved.",
    "not-validated": "Check: NOT VALIDATED. Something could not be checked (listed under "
    "compatibility and stability): this is not a pass.",
}

#: the BUD table's columns
BUD_HEAD: Final = (
    "Category",
    "Rule",
    "Controlled room temperature",
    "Refrigerator",
    "Freezer",
    "Chapter section",
)


def bud_rows(section: BudSection) -> list[tuple[str, ...]]:
    """The BUD table as text cells (:data:`BUD_HEAD`)."""

    def hours(value: int | None) -> str:
        return "not determined" if value is None else f"{value} h"

    return [
        (
            row.category,
            row.rule,
            hours(row.controlled_room_temperature),
            hours(row.refrigerator),
            hours(row.freezer),
            row.section,
        )
        for row in section.table
    ]


def quantity(value: Quantity) -> str:
    """A computed quantity in its base unit, as the composition summary prints it."""
    return f"{format_number(value.value)} {value.unit}"


def _times(value: float) -> str:
    return format_number(value)


def _id_of(subject: Subject, written: str, resolved: Mapping[str, str]) -> str | None:
    """The catalog id a written name resolved to (by the catalog, else by a plugin)."""
    return subject.catalog.match_ingredient(written).id or resolved.get(written)


def _components(
    subject: Subject, index: int, resolved: Mapping[str, str]
) -> tuple[ComponentLine, ...]:
    prep = subject.formulation.preparations[index]
    lines = []

    def name_of(written: str) -> str:
        found = _id_of(subject, written, resolved)
        return subject.catalog.ingredients[found].name if found else written

    for comp in prep.components:
        lines.append(
            ComponentLine(
                name_of(comp.ingredient), comp.ingredient, str(comp.strength), str(comp.volume)
            )
        )
        for co in comp.co_ingredients:
            lines.append(
                ComponentLine(
                    name_of(co.ingredient),
                    co.ingredient,
                    str(co.strength),
                    str(comp.volume),
                    part_of=comp.ingredient,
                )
            )
    return tuple(lines)


def _calculations(
    subject: Subject, index: int, resolved: Mapping[str, str]
) -> tuple[Calculation, ...]:
    """Each dose of the resolved preparation, with the products it was summed from."""
    prep = subject.formulation.preparations[index]
    syringe = subject.preparations[index]
    out = []
    for dose in syringe.doses:
        steps = []
        for comp in prep.components:
            parts = [(comp.ingredient, comp.strength)] + [
                (co.ingredient, co.strength) for co in comp.co_ingredients
            ]
            for written, strength in parts:
                if _id_of(subject, written, resolved) != dose.ingredient.id:
                    continue
                amount = strength * comp.volume
                steps.append(f"{quantity(strength)} x {quantity(comp.volume)} = {quantity(amount)}")
        out.append(
            Calculation(
                ingredient=dose.ingredient.name,
                amount_steps=tuple(steps),
                amount=quantity(dose.amount),
                total_volume=quantity(syringe.volume),
                concentration=quantity(dose.concentration),
            )
        )
    return tuple(out)


def _check(report: Report) -> CheckSummary:
    findings = tuple(
        FindingLine(
            severity=f.severity.value,
            code=f.code,
            check=f.check,
            message=f.message,
            evidence=f.evidence,
            advice=f.advice,
            note=f.note,
            sources=tuple(SourceLine(s.kind.value, s.cite(), s.url) for s in f.sources),
        )
        for f in report.findings
    )
    return CheckSummary(
        verdict=report.verdict.value,
        date=report.date.isoformat(),
        region=report.region or "",
        findings=findings,
        unchecked=tuple(GapLine(u.check, u.rule, u.reason) for u in report.unchecked),
        not_run=tuple(GapLine(u.check, u.rule, u.reason) for u in report.not_run),
        packs=report.packs,
    )


def _bud_table(rules: BudRules) -> tuple[BudRow, ...]:
    rows = []
    for rule in rules.rules:
        hours: dict[str, int | None] = {}
        for storage in Storage:
            found = rule.any_storage_hours
            if found is None:
                found = getattr(rule.hours, storage.value)
            hours[storage.value] = None if rule.undetermined else found
        if rule.undetermined:
            reason = "not determined: " + "; ".join(rule.undetermined)
        elif None in hours.values():
            reason = f"where not determined: no public statement read gives it ({rule.read_at})"
        else:
            reason = ""
        rows.append(
            BudRow(
                rule.category.value,
                rule.id,
                rule.section,
                hours[Storage.CONTROLLED_ROOM_TEMPERATURE],
                hours[Storage.REFRIGERATOR],
                hours[Storage.FREEZER],
                reason,
            )
        )
    return tuple(rows)


def _bud(result: BudResult | None, storage: Storage | None, rules: BudRules) -> BudSection:
    if result is None:
        assigned = (
            "not determined: no compounding environment and storage were given for this "
            "record (mesoreg mfr --environment ENV --storage STORAGE); the table below gives "
            "the longest BUD of each category and storage"
        )
        hours = None
    elif result.hours is None:
        assigned = f"not determined ({result.category.value}): {result.reason}"
        hours = None
    else:
        where = f"rule {result.rule.id}, USP <797> {result.rule.section}" if result.rule else ""
        stored = STORED[storage] if storage else ""
        assigned = (
            f"{result.hours} hours from the start of compounding, stored {stored} "
            f"({result.category.value}; {where})"
        )
        hours = result.hours
    return BudSection(
        chapter=rules.chapter,
        storage=storage.value if storage else None,
        assigned=assigned,
        hours=hours,
        table=_bud_table(rules),
        not_checked=NOT_CHECKED,
    )


def _steps(subject: Subject) -> tuple[str, ...]:
    steps = [
        "Check each stock product against the ingredient table (identity, labelled "
        "strength, lot, expiry) and record its lot and expiry on the compounding record.",
    ]
    for index, prep in enumerate(subject.formulation.preparations):
        resolved = subject.preparations[index]
        times = _times(prep.per_session)
        for comp in prep.components:
            steps.append(
                f"Syringe '{prep.name}': draw {comp.volume} of {comp.ingredient} {comp.strength}."
            )
        steps.append(
            f"Syringe '{prep.name}': it now holds {quantity(resolved.volume)}; mix, expel "
            f"air, cap and label it (see Labelling). Make {times} per session."
        )
    steps.append(
        "Aseptic technique, the order of additions beyond the list above and the mixing "
        f"method: {TO_FILL} (the facility's procedure)."
    )
    return tuple(steps)


def _quality_control(subject: Subject) -> tuple[str, ...]:
    lines = [
        f"Final volume of syringe '{p.name}': {quantity(p.volume)} "
        f"({_times(p.per_session)} per session)"
        for p in subject.preparations
    ]
    lines.append(
        "A second person verifies each product and volume drawn against this record before release."
    )
    lines.append(f"Release inspection and tests (appearance, container integrity): {TO_FILL}.")
    return tuple(lines)


def _container_closure(subject: Subject) -> tuple[str, ...]:
    lines = [
        f"Syringe '{p.name}': one syringe holding {quantity(p.volume)}; size, make, "
        f"graduations and tip closure: {TO_FILL}"
        for p in subject.preparations
    ]
    lines.append(f"Needles, transfer devices and other supplies: {TO_FILL}.")
    return tuple(lines)


def _labelling(bud: BudSection) -> tuple[str, ...]:
    stored = STORED[Storage(bud.storage)] if bud.storage else TO_FILL
    return (
        "Each syringe's label carries: the formulation id and version, the syringe's name and "
        "volume, each active ingredient with its final concentration (the Strength table), "
        "the route, the assigned BUD, the storage, the lot (control) number, and the patient "
        "when the preparation is for one.",
        f"Storage printed on the label: {stored}.",
        "Print the labels with: mesoreg label ID@N --store DIR --lot LOT --environment ENV "
        "--storage STORAGE --compounded-at TIME",
    )


def build_record(
    subject: Subject,
    report: Report,
    provenance: Provenance,
    *,
    bud: BudResult | None = None,
    storage: Storage | None = None,
    generated: dt.datetime | None = None,
    rules: BudRules | None = None,
    elements: Elements | None = None,
    resolved: Mapping[str, str] | None = None,
) -> MasterRecord:
    """The MFR of a stored version, from its subject, its check report and its ledger entry.

    ``bud`` is the rule's answer for the environment and ``storage`` chosen for
    the record (None: none chosen, the BUD is then "not determined");
    ``resolved`` maps the names plugins resolved to their catalog ids
    (:func:`mesoreg.host._engine.resolve_subject`).
    """
    resolved = resolved or {}
    formulation = subject.formulation
    rules = rules or builtin_rules()
    use = formulation.use
    use_rows: list[tuple[str, str]] = [
        ("area", use.area.value),
        ("technique", use.technique.value),
        ("route", use.route.value),
    ]
    if use.purpose is not None:
        use_rows.append(("purpose", use.purpose.value))
    if use.depth is not None:
        use_rows.append(("depth", str(use.depth)))
    if use.points is not None:
        use_rows.append(("points", str(use.points)))
    if use.volume_per_point is not None:
        use_rows.append(("volume_per_point", str(use.volume_per_point)))
    syringes = tuple(
        SyringeRecord(
            name=prep.name,
            per_session=_times(prep.per_session),
            volume=quantity(prep.volume),
            components=_components(subject, i, resolved),
            calculations=_calculations(subject, i, resolved),
        )
        for i, prep in enumerate(subject.preparations)
    )
    strength = tuple(
        (prep.name, dose.ingredient.name, quantity(dose.concentration))
        for prep in subject.preparations
        for dose in prep.doses
    )
    session = tuple(
        SessionLine(
            total.ingredient.name,
            quantity(total.amount)
            if total.amount is not None
            else f"not added up ({total.problem})",
        )
        for total in subject.session.values()
    )
    bud_section = _bud(bud, storage, rules)
    when = generated or dt.datetime.now(dt.UTC)
    return MasterRecord(
        provenance=provenance,
        title=formulation.title,
        authors=formulation.authors,
        written=formulation.date.isoformat() if formulation.date else "",
        dosage_form=f"injection in syringe, {use.route.value} use",
        use=tuple(use_rows),
        strength=strength,
        syringes=syringes,
        session=session,
        check=_check(report),
        container_closure=_container_closure(subject),
        steps=_steps(subject),
        quality_control=_quality_control(subject),
        bud=bud_section,
        labelling=_labelling(bud_section),
        elements=elements or builtin_elements(),
        notes=formulation.notes,
        generated=when.isoformat(timespec="seconds"),
    )


def _plain(value: Any) -> Any:
    if attrs.has(type(value)):
        return {f.name: _plain(getattr(value, f.name)) for f in attrs.fields(type(value))}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_plain(v) for v in value]
    return value


def record_to_dict(record: MasterRecord) -> dict[str, Any]:
    """The record as JSON data (``schemas/mfr-1.schema.json``)."""
    data: dict[str, Any] = {"mfr_output_version": MFR_OUTPUT_VERSION}
    data.update(_plain(record))
    data["use"] = dict(record.use)
    data["strength"] = [
        {"syringe": s, "ingredient": i, "concentration": c} for s, i, c in record.strength
    ]
    return data


__all__ = ["MasterRecord", "Provenance", "build_record", "record_to_dict"]
