"""The compounding record of one preparation made from a stored version, as data.

A record says when the preparation was compounded (ISO 8601 with its offset), which
lot (and expiry) of each stock product was drawn, who prepared it and who verified it
(two different people), the patient's identifier if any (an id, never free-text
facts), the beyond-use date the USP <797> rule assigns (:mod:`._bud`, as is: "not
determined" is recorded as such, never a made-up date), the check of the version when
it was compounded, each acknowledged finding, and the deviations (free text, recorded,
never deciding anything).

:func:`build_record` refuses, every problem at once: a product not on hand or not in
the version, a component of the version without a lot, an expired lot or a BUD after
a lot's expiry (:func:`~._bud.assign_bud`), the same person preparing and verifying,
a patient that is not an identifier, and the acknowledgement problems of
:func:`acknowledge`.  The store (:mod:`mesoreg.store._records`) keeps records
append-only and hashes them in the ledger; this module does no I/O.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any, Final

import attrs
import tomli_w

from mesoreg._errors import InputError, Problem
from mesoreg._version import __version__
from mesoreg.checks._report import Finding, Report
from mesoreg.compounding._bud import (
    BudConditions,
    BudResult,
    Category,
    Environment,
    Lot,
    Storage,
    assign_bud,
)
from mesoreg.compounding._products import Product, check_version, unknown_product
from mesoreg.documents._convert import structure, unstructure
from mesoreg.documents._dump import _clean
from mesoreg.documents._field import doc
from mesoreg.documents._knowledge import Severity
from mesoreg.documents._load import parse_toml
from mesoreg.documents._model import Formulation
from mesoreg.knowledge._catalog import Catalog
from mesoreg.store._ledger import name_problem

#: version of the record file format (``schemas/compounding-record-1.schema.json``)
RECORD_SCHEMA_VERSION: Final = 1
#: version of the acknowledgements file format (``--acks FILE``)
ACKS_SCHEMA_VERSION: Final = 1
#: severities a preparation cannot be compounded with unless acknowledged
TO_ACKNOWLEDGE: Final = (Severity.CONTRAINDICATED, Severity.MAJOR, Severity.MODERATE)
#: the longest lot, reason or deviation text
MAX_LOT: Final = 60
MAX_TEXT: Final = 500
_PATIENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}")


@attrs.frozen
class LotUsed:
    """A lot of a stock product drawn into the preparation."""

    product: str = attrs.field(metadata=doc("Stock product id."))
    product_name: str = attrs.field(metadata=doc("The product's name, as on its label."))
    ingredient: str = attrs.field(metadata=doc("Catalog id of the product's ingredient."))
    strength: str = attrs.field(metadata=doc("The product's labelled strength."))
    lot: str = attrs.field(metadata=doc("Lot number as printed."))
    expiry: dt.date = attrs.field(metadata=doc("Expiry date as printed."))


@attrs.frozen
class BudRecord:
    """The beyond-use date assigned, with the rule that gives it, or why none is."""

    category: str = attrs.field(metadata=doc("immediate_use, category_1 or category_2."))
    chapter: str = attrs.field(metadata=doc("The chapter the rule comes from, with its URL."))
    bud: dt.datetime | None = attrs.field(
        default=None, metadata=doc("The BUD; none: not determined.")
    )
    hours: int | None = attrs.field(default=None, metadata=doc("Hours from compounding."))
    rule: str = attrs.field(default="", metadata=doc("The rule's id in mesoreg's data."))
    section: str = attrs.field(default="", metadata=doc("Where in the chapter the rule is."))
    reason: str = attrs.field(default="", metadata=doc("Why no BUD is assigned."))


@attrs.frozen
class FindingRef:
    """A finding of the check, as the report names it."""

    severity: Severity = attrs.field(metadata=doc("The finding's severity."))
    code: str = attrs.field(metadata=doc("The finding's code, e.g. 'MR-IX-...'."))
    components: tuple[str, ...] = attrs.field(default=(), metadata=doc("The components it names."))
    rule: str = attrs.field(default="", metadata=doc("The rule that made it."))


@attrs.frozen
class CheckAtCompounding:
    """The check of the version when the preparation was compounded."""

    verdict: str = attrs.field(metadata=doc("pass, warn, fail or not-validated."))
    date: dt.date = attrs.field(metadata=doc("The date checked for."))
    mesoreg_version: str = attrs.field(metadata=doc("The mesoreg version that checked."))
    packs: tuple[str, ...] = attrs.field(default=(), metadata=doc("The packs the check used."))
    region: str = attrs.field(default="", metadata=doc("The region checked against."))
    findings: tuple[FindingRef, ...] = attrs.field(default=(), metadata=doc("Its findings."))


@attrs.frozen
class Acknowledgement:
    """One finding acknowledged for this preparation: which, why, by whom."""

    code: str = attrs.field(metadata=doc("The finding's code, exactly as the report has it."))
    components: tuple[str, ...] = attrs.field(
        metadata=doc("The components the finding names, as the report has them.")
    )
    reason: str = attrs.field(metadata=doc("Why the preparation is made despite the finding."))
    by: tuple[str, ...] = attrs.field(
        metadata=doc("Who acknowledges it; a contraindicated finding needs two different people.")
    )
    rule: str = attrs.field(
        default="",
        metadata=doc("The finding's rule, when several findings share code and components."),
    )
    severity: Severity | None = attrs.field(
        default=None, metadata=doc("The finding's severity (filled in from the check).")
    )


@attrs.frozen
class Acknowledgements:
    """An acknowledgements file (``--acks FILE``)."""

    schema_version: int = attrs.field(metadata=doc("Version of the file format; 1."))
    acknowledgements: tuple[Acknowledgement, ...] = attrs.field(
        default=(), metadata=doc("One entry per finding acknowledged.")
    )


@attrs.frozen
class CompoundingRecord:
    """The record of one preparation compounded from a stored version."""

    schema_version: int = attrs.field(metadata=doc("Version of the record format; 1."))
    formulation: str = attrs.field(metadata=doc("The formulation id."))
    version: int = attrs.field(metadata=doc("The version compounded."))
    record: int = attrs.field(metadata=doc("The record's number for this version (1, 2, ...)."))
    version_sha256: str = attrs.field(metadata=doc("SHA-256 of the version file compounded."))
    compounded_at: dt.datetime = attrs.field(metadata=doc("When compounding started, with offset."))
    prepared_by: str = attrs.field(metadata=doc("Who prepared it."))
    verified_by: str = attrs.field(metadata=doc("Who verified it (another person)."))
    environment: Environment = attrs.field(metadata=doc("Where it was compounded."))
    storage: Storage = attrs.field(metadata=doc("How it is kept until used."))
    sterility_tested: bool = attrs.field(metadata=doc("It passed a sterility test."))
    sterile_components: bool = attrs.field(metadata=doc("Every starting component is sterile."))
    bud: BudRecord = attrs.field(metadata=doc("The beyond-use date and its rule."))
    lots: tuple[LotUsed, ...] = attrs.field(metadata=doc("The lot of each stock product drawn."))
    check: CheckAtCompounding = attrs.field(metadata=doc("The check when it was compounded."))
    patient: str | None = attrs.field(default=None, metadata=doc("The patient's identifier."))
    deviations: tuple[str, ...] = attrs.field(default=(), metadata=doc("Deviations, as written."))
    acknowledgements: tuple[Acknowledgement, ...] = attrs.field(
        default=(), metadata=doc("The findings acknowledged for this preparation.")
    )


@attrs.frozen
class CompoundRequest:
    """What the pharmacist gives for one preparation (the command's options)."""

    compounded_at: dt.datetime
    prepared_by: str
    verified_by: str
    environment: Environment
    storage: Storage
    #: (product id, lot, expiry)
    lots: tuple[tuple[str, str, dt.date], ...]
    patient: str | None = None
    deviations: tuple[str, ...] = ()
    acknowledgements: tuple[Acknowledgement, ...] = ()
    category: Category | None = None
    sterility_tested: bool = False
    sterile_components: bool = True


# -- text and names ---------------------------------------------------------------------


#: letters of other scripts drawn like Latin ones (Cyrillic, Greek), as their Latin twin:
#: enough for the names people sign with to compare by how they look, not by code point
_LOOK_ALIKES: Final = str.maketrans(
    "АВЕЅІЈКМНОРСТХУаеѕіјорсхуԁһӏ"  # Cyrillic
    "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧοικνρτυχ",  # Greek
    "ABESIJKMHOPCTXYaesijopcxydhlABEZHIKMNOPTYXoikvptux",
)


def _skeleton(name: str) -> str:
    """A name as it looks: compatibility forms folded, accents and case dropped, letters of
    other scripts that look Latin read as Latin, spaces collapsed."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).translate(_LOOK_ALIKES)
    return " ".join(text.casefold().split())


def _same_person(a: str, b: str) -> bool:
    """Whether two names are one person's, by how they look (``_skeleton``)."""
    return _skeleton(a) == _skeleton(b)


def _text_problem(value: str, where: str, limit: int, what: str) -> list[Problem]:
    if not value.strip() or len(value) > limit or not value.isprintable():
        return [
            Problem(
                where,
                f"must be one printable line of 1 to {limit} characters (got {value[:80]!r})",
                f"Give the {what} on one line.",
            )
        ]
    return []


def _people(request: CompoundRequest) -> list[Problem]:
    problems = []
    for where, name in (
        ("--prepared-by", request.prepared_by),
        ("--verified-by", request.verified_by),
    ):
        bad = name_problem(name)
        if bad:
            problems.append(
                Problem(where, bad, "Give a name on one line, e.g. 'J. Martin, PharmD'.")
            )
    if not problems and _same_person(request.prepared_by, request.verified_by):
        problems.append(
            Problem(
                "--verified-by",
                f"'{request.verified_by}' also prepared it: a preparation is verified by "
                "another person",
                "Have a second person verify the preparation and give their name.",
            )
        )
    if request.patient is not None and not _PATIENT.fullmatch(request.patient):
        problems.append(
            Problem(
                "--patient",
                f"{request.patient[:80]!r} is not a patient identifier (letters, digits and "
                ". _ : / -, at most 64, no spaces)",
                "Give the patient's identifier in your records (e.g. MRN-004211), never a name "
                "or other facts about them.",
            )
        )
    for i, text in enumerate(request.deviations):
        problems += _text_problem(text, f"--deviation[{i}]", MAX_TEXT, "deviation")
    return problems


# -- lots ------------------------------------------------------------------------------------


def _components(formulation: Formulation, catalog: Catalog) -> list[tuple[str, str, Any]]:
    """(catalog id, as written, strength) of every component of the version, in order."""
    found = []
    for prep in formulation.preparations:
        for component in prep.components:
            ingredient = catalog.find_ingredient(component.ingredient)
            name = ingredient.id if ingredient is not None else component.ingredient
            found.append((name, component.ingredient, component.strength))
    return found


def _ingredient(product: Product, catalog: Catalog) -> str:
    held = catalog.find_ingredient(product.ingredient)
    return held.id if held is not None else product.ingredient


def _draws(component: tuple[str, str, Any], product: Product, catalog: Catalog) -> bool:
    """True when ``product`` is the component's ingredient at its strength."""
    name, _, strength = component
    return (
        name == _ingredient(product, catalog)
        and strength.dimension == product.strength.dimension
        and math.isclose(strength.value, product.strength.value, rel_tol=1e-9)
    )


def products_for(
    formulation: Formulation, products: Mapping[str, Product], catalog: Catalog
) -> list[tuple[str, str, list[Product]]]:
    """Each component of the version (as written, its strength) and the products on hand
    a lot of which :func:`build_record` accepts for it (ordered by id)."""
    return [
        (
            written,
            str(strength),
            [
                products[p]
                for p in sorted(products)
                if _draws((name, written, strength), products[p], catalog)
            ],
        )
        for name, written, strength in _components(formulation, catalog)
    ]


def _lots(
    request: CompoundRequest,
    formulation: Formulation,
    products: Mapping[str, Product],
    catalog: Catalog,
) -> tuple[list[LotUsed], list[Problem]]:
    problems: list[Problem] = []
    used: list[LotUsed] = []
    components = _components(formulation, catalog)
    covered: set[int] = set()
    ref = f"{formulation.id}@{formulation.version}"
    for i, (product_id, lot, expiry) in enumerate(request.lots):
        key = f"--lot[{i}]"
        problems += _text_problem(lot, key, MAX_LOT, "lot number as printed")
        product = products.get(product_id)
        if product is None:
            problems.append(unknown_product(products, product_id, key))
            continue
        ingredient = _ingredient(product, catalog)
        matches = [j for j, c in enumerate(components) if _draws(c, product, catalog)]
        if not matches:
            written = ", ".join(f"{w} {s}" for _, w, s in components)
            problems.append(
                Problem(
                    key,
                    f"product '{product_id}' ({ingredient} {product.strength}) is not in {ref}, "
                    f"which draws: {written}",
                    "Give a lot of a product the version draws, at its strength.",
                )
            )
            continue
        covered.update(matches)
        used.append(
            LotUsed(
                product=product.id,
                product_name=product.name,
                ingredient=ingredient,
                strength=str(product.strength),
                lot=lot,
                expiry=expiry,
            )
        )
    for j, (name, written, strength) in enumerate(components):
        if j not in covered and not any(p.key_path.startswith("--lot[") for p in problems):
            problems.append(
                Problem(
                    "--lot",
                    f"no lot is given for {written} {strength} ({name}), drawn in {ref}",
                    "Give --lot PRODUCT:LOT:YYYY-MM-DD for every stock product drawn.",
                )
            )
    return used, problems


# -- acknowledgements ------------------------------------------------------------------------


def _components_text(components: Sequence[str]) -> str:
    return "[" + ", ".join(components) + "]"


def acknowledge(
    report: Report, acks: Sequence[Acknowledgement]
) -> tuple[tuple[Acknowledgement, ...], list[Problem]]:
    """The acknowledgements matched to the report's findings, and every problem.

    One acknowledgement per finding, naming its code exactly and its components; a
    finding the check does not produce, a minor or info finding (they need none), a
    second acknowledgement of one finding, a missing reason or name, and a
    contraindicated finding acknowledged by fewer than two different people are
    refused; so is every contraindicated, major or moderate finding left
    unacknowledged: nothing is compounded over a finding silently.
    """
    problems: list[Problem] = []
    matched: list[Acknowledgement] = []
    taken: dict[int, int] = {}
    for i, ack in enumerate(acks):
        key = f"acknowledgements[{i}]"
        found = [
            n
            for n, f in enumerate(report.findings)
            if f.code == ack.code
            and sorted(f.components) == sorted(ack.components)
            and (not ack.rule or f.rule == ack.rule)
        ]
        if not found:
            problems.append(
                Problem(
                    key,
                    f"the check of {report.formulation} does not produce {ack.code} "
                    f"{_components_text(ack.components)}; it produces: "
                    + (
                        ", ".join(
                            f"{f.code} {_components_text(f.components)}" for f in report.findings
                        )
                        or "no finding"
                    ),
                    "Name the finding's code and components exactly as 'mesoreg check' "
                    "reports them.",
                )
            )
            continue
        if len(found) > 1:
            rules = ", ".join(report.findings[n].rule for n in found)
            problems.append(
                Problem(
                    key,
                    f"{ack.code} {_components_text(ack.components)} is made by several "
                    f"rules ({rules})",
                    "Acknowledge each finding on its own, naming its rule with rule = '...'.",
                )
            )
            continue
        finding = report.findings[found[0]]
        if found[0] in taken:
            problems.append(
                Problem(
                    key,
                    f"{ack.code} is acknowledged twice (also acknowledgements[{taken[found[0]]}])",
                    "Acknowledge each finding once.",
                )
            )
            continue
        taken[found[0]] = i
        problems += _ack_problems(ack, finding, key)
        matched.append(attrs.evolve(ack, rule=finding.rule, severity=finding.severity))
    for n, finding in enumerate(report.findings):
        if finding.severity in TO_ACKNOWLEDGE and n not in taken:
            problems.append(
                Problem(
                    "--acks",
                    f"the {finding.severity.value} finding {finding.code} "
                    f"{_components_text(finding.components)} of {report.formulation} is not "
                    "acknowledged",
                    "Acknowledge it with a reason and your name in the --acks file "
                    "(docs/compounding.md), or do not compound this version.",
                )
            )
    return tuple(matched), problems


def _ack_problems(ack: Acknowledgement, finding: Finding, key: str) -> list[Problem]:
    if finding.severity not in TO_ACKNOWLEDGE:
        return [
            Problem(
                key,
                f"{ack.code} is {finding.severity.value}: it needs no acknowledgement",
                "Acknowledge only contraindicated, major and moderate findings.",
            )
        ]
    problems = _text_problem(ack.reason, f"{key}.reason", MAX_TEXT, "reason")
    for j, name in enumerate(ack.by):
        bad = name_problem(name)
        if bad:
            problems.append(Problem(f"{key}.by[{j}]", bad, "Give a name on one line."))
    people: list[str] = []
    for name in ack.by:
        if not any(_same_person(name, p) for p in people):
            people.append(name)
    needed = 2 if finding.severity is Severity.CONTRAINDICATED else 1
    if len(people) < needed:
        problems.append(
            Problem(
                f"{key}.by",
                f"{ack.code} is {finding.severity.value}: it needs "
                + ("two different people" if needed == 2 else "a name")
                + f" (got {len(people)})",
                "A contraindicated finding is acknowledged by a second, different person."
                if needed == 2
                else "Give the name of who acknowledges it.",
            )
        )
    elif len(ack.by) != len(people):
        problems.append(
            Problem(f"{key}.by", "names the same person twice", "Give each person once.")
        )
    return problems


def parse_acks(text: str, where: str) -> tuple[Acknowledgement, ...]:
    """The acknowledgements of an ``--acks`` file's text (severity is never read from it)."""
    data = parse_toml(text, where)
    check_version(data, ACKS_SCHEMA_VERSION, where)
    for i, item in enumerate(data.get("acknowledgements", ()) or ()):
        if isinstance(item, dict) and "severity" in item:
            raise InputError(
                [
                    Problem(
                        f"acknowledgements[{i}].severity",
                        "is taken from the check, not given",
                        "Remove it.",
                    )
                ],
                path=where,
            )
    return structure(data, Acknowledgements, path=where).acknowledgements


# -- the record ------------------------------------------------------------------------------


def _bud_record(result: BudResult) -> BudRecord:
    rule = result.rule
    return BudRecord(
        category=result.category.value,
        chapter=f"{result.chapter.title}, {result.chapter.url}",
        bud=result.bud,
        hours=result.hours,
        rule=rule.id if rule else "",
        section=rule.section if rule else "",
        reason=result.reason,
    )


def _check(report: Report) -> CheckAtCompounding:
    return CheckAtCompounding(
        verdict=report.verdict.value,
        date=report.date,
        mesoreg_version=__version__,
        packs=report.packs,
        region=report.region or "",
        findings=tuple(
            FindingRef(f.severity, f.code, f.components, f.rule) for f in report.findings
        ),
    )


def build_record(
    request: CompoundRequest,
    formulation: Formulation,
    version_sha256: str,
    products: Mapping[str, Product],
    catalog: Catalog,
    report: Report,
) -> CompoundingRecord:
    """The record of ``request`` (numbered 0: the store numbers it), or every refusal."""
    problems = _people(request)
    lots, lot_problems = _lots(request, formulation, products, catalog)
    problems += lot_problems
    acks, ack_problems = acknowledge(report, request.acknowledgements)
    problems += ack_problems
    bud: BudResult | None = None
    try:
        bud = assign_bud(
            BudConditions(
                environment=request.environment,
                storage=request.storage,
                compounded_at=request.compounded_at,
                sterility_tested=request.sterility_tested,
                sterile_components=request.sterile_components,
                category=request.category,
                lots=tuple(Lot(u.product, u.lot, u.expiry) for u in lots),
            )
        )
    except InputError as exc:
        problems += [
            attrs.evolve(p, key_path=p.key_path.replace("lots[", "--lot[")) for p in exc.problems
        ]
    if problems or bud is None:
        raise InputError(problems)
    return CompoundingRecord(
        schema_version=RECORD_SCHEMA_VERSION,
        formulation=formulation.id,
        version=formulation.version,
        record=0,
        version_sha256=version_sha256,
        compounded_at=request.compounded_at,
        prepared_by=request.prepared_by,
        verified_by=request.verified_by,
        environment=request.environment,
        storage=request.storage,
        sterility_tested=request.sterility_tested,
        sterile_components=request.sterile_components,
        bud=_bud_record(bud),
        lots=tuple(lots),
        check=_check(report),
        patient=request.patient,
        deviations=request.deviations,
        acknowledgements=acks,
    )


def dump_record(record: CompoundingRecord) -> bytes:
    """The record file's bytes (canonical TOML)."""
    head = f"#:schema ../../../schemas/compounding-record-{RECORD_SCHEMA_VERSION}.schema.json\n"
    return (head + tomli_w.dumps(_clean(unstructure(record)))).encode("utf-8")


def parse_record(data: bytes, where: str) -> CompoundingRecord:
    """A record from its file's bytes; :class:`InputError` lists every problem."""
    found = parse_toml(data.decode("utf-8"), where)
    check_version(found, RECORD_SCHEMA_VERSION, where)
    return structure(found, CompoundingRecord, path=where)


def record_to_dict(record: CompoundingRecord) -> dict[str, Any]:
    """The record as JSON data (dates and times as ISO 8601 text)."""

    def iso(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: iso(v) for k, v in value.items()}
        if isinstance(value, list):
            return [iso(v) for v in value]
        if isinstance(value, dt.date):
            return value.isoformat()
        return value

    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        if isinstance(value, enum.Enum):
            return value.value
        return iso(value)

    data: dict[str, Any] = plain(unstructure(record))
    return data
