"""What the catalog knows: ingredients, drugs, conditions, rules and their sources.

Frozen attrs models, filled from pack TOML files by the converter.  Every rule
names its sources by id (``sources = ["kybella_pi_2015"]``) and states an
evidence level; the pack defines each source once with enough detail to look
it up.  ``origin`` records which pack supplied a record, for messages.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Final

import attrs

from mesoreg.documents._field import doc
from mesoreg.documents._quantity import Quantity
from mesoreg.documents._vocabulary import Area, Purpose, Route, Technique

#: help texts of the fields every kind of rule has
_RULE = {
    "id": doc(
        "Record id: lowercase snake_case, unique across every pack, never reused for another rule."
    ),
    "code": doc(
        "Stable finding code shown in reports, e.g. 'MR-CI-PREGNANCY'; several rules may share one."
    ),
    "severity": doc(
        "How bad a finding from this rule is: contraindicated, major, moderate, minor or info."
    ),
    "evidence": doc(
        "The strongest kind of source that supports the rule as stated: label, regulator, "
        "guideline, consensus, review, peer_reviewed_study, case_report or expert_opinion."
    ),
    "sources": doc("Ids of the sources (the [[sources]] records) the rule rests on; at least one."),
    "message": doc("What the finding says, one sentence shown to the pharmacist."),
    "advice": doc("What to do about it, one sentence shown to the pharmacist."),
    "note": doc(
        "Caveats on the rule or its sources (for example that a source was read in a copy); "
        "shown with the finding."
    ),
    "override": doc(
        "true to replace the record with the same id from another pack on purpose, instead "
        "of clashing with it."
    ),
}


class Severity(enum.StrEnum):
    """How bad a finding is, most severe first."""

    CONTRAINDICATED = "contraindicated"
    MAJOR = "major"
    MODERATE = "moderate"
    MINOR = "minor"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for the most severe; sorts findings."""
        return _RANKS[self]

    @property
    def fhir(self) -> str:
        """FHIR DetectedIssue.severity: high, moderate or low."""
        return {"contraindicated": "high", "major": "high", "moderate": "moderate"}.get(
            self.value, "low"
        )

    @property
    def cds_indicator(self) -> str:
        """CDS Hooks card indicator: critical, warning or info."""
        if self in (Severity.CONTRAINDICATED, Severity.MAJOR):
            return "critical"
        return "info" if self is Severity.INFO else "warning"

    def is_at_least(self, other: Severity) -> bool:
        """True when this severity is ``other`` or worse."""
        return self.rank <= other.rank


#: each severity's :attr:`Severity.rank`, worked out once (findings are sorted often)
_RANKS: Final[dict[Severity, int]] = {s: i for i, s in enumerate(Severity)}


class Evidence(enum.StrEnum):
    """How strong the support for a rule is, strongest first."""

    LABEL = "label"
    REGULATOR = "regulator"
    GUIDELINE = "guideline"
    CONSENSUS = "consensus"
    REVIEW = "review"
    STUDY = "peer_reviewed_study"
    CASE_REPORT = "case_report"
    EXPERT_OPINION = "expert_opinion"


@attrs.frozen
class Source:
    """A public document a rule rests on: enough to look it up."""

    id: str = attrs.field(
        metadata=doc("Source id that rules cite, lowercase snake_case, e.g. 'kybella_pi_2015'."),
    )
    title: str = attrs.field(
        metadata=doc("Title of the document as published."),
    )
    issuer: str = attrs.field(
        metadata=doc("Who published it: a regulator, manufacturer, journal or author."),
    )
    date: str = attrs.field(
        metadata=doc("Date or year of the document or revision cited, e.g. '2024-05' or '2013'."),
    )
    kind: Evidence = attrs.field(
        metadata=doc(
            "What kind of document it is: label, regulator, guideline, consensus, review, "
            "peer_reviewed_study, case_report or expert_opinion."
        ),
    )
    url: str = attrs.field(
        default="",
        metadata=doc("Where the document can be read, at its primary location where public."),
    )
    doi: str = attrs.field(
        default="",
        metadata=doc("The DOI of a paper, without 'doi:' or a URL prefix."),
    )
    note: str = attrs.field(
        default="",
        metadata=doc("What in the document supports the rules, and any caveat on how it was read."),
    )
    override: bool = attrs.field(
        default=False,
        metadata=doc(
            "true to replace the record with the same id from another pack on purpose, "
            "instead of clashing with it."
        ),
    )
    origin: str = attrs.field(default="", eq=False)

    def cite(self) -> str:
        """One-line citation: issuer, title, date, DOI or URL."""
        where = f"doi:{self.doi}" if self.doi else self.url
        return ", ".join(p for p in (self.issuer, f"'{self.title}'", self.date, where) if p)


@attrs.frozen
class Identifiers:
    """Public identifiers of a substance, where they exist."""

    unii: str = attrs.field(
        default="",
        metadata=doc("FDA Unique Ingredient Identifier (UNII), only as read in a public record."),
    )
    cas: str = attrs.field(
        default="",
        metadata=doc("CAS Registry Number, e.g. '137-58-6'."),
    )
    atc: tuple[str, ...] = attrs.field(
        default=(),
        metadata=doc("WHO ATC codes of the substance, e.g. ['N01BB02']."),
    )


@attrs.frozen
class Ingredient:
    """A substance that can go into a mesotherapy preparation."""

    id: str = attrs.field(
        metadata=doc(
            "Ingredient id: lowercase snake_case, never reused for another substance, e.g. "
            "'deoxycholic_acid'."
        ),
    )
    name: str = attrs.field(
        metadata=doc("Display name, e.g. 'Lidocaine hydrochloride'."),
    )
    classes: tuple[str, ...] = attrs.field(
        metadata=doc(
            "Ingredient classes that rules name, e.g. ['local_anaesthetic', "
            "'amide_local_anaesthetic']."
        ),
    )
    sources: tuple[str, ...] = attrs.field(
        metadata=doc("Ids of the sources for the facts stated in this record."),
    )
    aliases: tuple[str, ...] = attrs.field(
        default=(),
        metadata=doc(
            "Other names it is written as: INN, INCI, brand and product names, other spellings."
        ),
    )
    identifiers: Identifiers = attrs.field(
        default=Identifiers(),
        metadata=doc("Public identifiers (UNII, CAS, ATC) where they exist."),
    )
    allergens: tuple[str, ...] = attrs.field(
        default=(),
        metadata=doc(
            "Allergenic components of typical products, e.g. ['sulfite'] or ['ethylenediamine']."
        ),
    )
    notes: str = attrs.field(
        default="",
        metadata=doc("What a pharmacist should know that no rule checks."),
    )
    override: bool = attrs.field(
        default=False,
        metadata=doc(
            "true to replace the record with the same id from another pack on purpose, "
            "instead of clashing with it."
        ),
    )
    origin: str = attrs.field(default="", eq=False)


@attrs.frozen
class Drug:
    """A medication a patient may take, with its brand names and classes."""

    id: str = attrs.field(
        metadata=doc("Drug id: lowercase snake_case generic name, e.g. 'apixaban'."),
    )
    name: str = attrs.field(
        metadata=doc("Display name, e.g. 'Apixaban'."),
    )
    classes: tuple[str, ...] = attrs.field(
        metadata=doc("Medication classes that rules name, e.g. ['anticoagulant']."),
    )
    sources: tuple[str, ...] = attrs.field(
        metadata=doc("Ids of the sources for the drug's classes."),
    )
    aliases: tuple[str, ...] = attrs.field(
        default=(),
        metadata=doc("Brand names and other spellings, e.g. ['Eliquis']."),
    )
    atc: tuple[str, ...] = attrs.field(
        default=(),
        metadata=doc("WHO ATC codes of the drug, e.g. ['B01AF02']."),
    )
    override: bool = attrs.field(
        default=False,
        metadata=doc(
            "true to replace the record with the same id from another pack on purpose, "
            "instead of clashing with it."
        ),
    )
    origin: str = attrs.field(default="", eq=False)


@attrs.frozen
class MedicationClass:
    """A medication class that rules name, defined on WHO ATC groups where they coincide.

    A drug belongs to the class when one of its ATC codes lies in one of
    ``atc_prefixes``, when it is one of ``drugs`` (members classed elsewhere in the
    ATC, each supported by the class's sources), or when its own record lists the
    class.  A patient medication written only as an ATC code is classified by the
    groups it lies in.
    """

    id: str = attrs.field(
        metadata=doc("Class id that rules name, lowercase snake_case, e.g. 'anticoagulant'."),
    )
    name: str = attrs.field(
        metadata=doc("Display name of the class, e.g. 'Anticoagulants'."),
    )
    sources: tuple[str, ...] = attrs.field(
        metadata=doc("Ids of the sources for the ATC groups and for each member named in drugs."),
    )
    atc_prefixes: tuple[str, ...] = attrs.field(
        default=(),
        metadata=doc(
            "WHO ATC groups or codes whose every substance is in the class, e.g. "
            "['B01AA', 'B01AB', 'B01AX05']; empty when no ATC group coincides with it."
        ),
    )
    drugs: tuple[str, ...] = attrs.field(
        default=(),
        metadata=doc(
            "Drug ids in the class although their ATC codes lie outside atc_prefixes, "
            "e.g. ['digoxin'] for antiarrhythmic."
        ),
    )
    note: str = attrs.field(
        default="",
        metadata=doc(
            "What the class means for the rules that name it, what it leaves out and why."
        ),
    )
    override: bool = attrs.field(
        default=False,
        metadata=doc(
            "true to replace the record with the same id from another pack on purpose, "
            "instead of clashing with it."
        ),
    )
    origin: str = attrs.field(default="", eq=False)


@attrs.frozen
class Condition:
    """A patient condition the rules know, with the other names it goes by."""

    id: str = attrs.field(
        metadata=doc("Condition id that rules name, lowercase snake_case, e.g. 'herpes_labialis'."),
    )
    name: str = attrs.field(
        metadata=doc("Display name of the condition."),
    )
    aliases: tuple[str, ...] = attrs.field(
        default=(),
        metadata=doc("Other names a patient file may use for it, e.g. ['cold sore']."),
    )
    codes: tuple[str, ...] = attrs.field(
        default=(),
        metadata=doc(
            "WHO ICD-10 codes or code ranges that mean this condition, e.g. ['I63'] or "
            "['I60-I64', 'I69.0-I69.4']; a patient's code maps to the most specific condition "
            "whose codes contain it.  Empty for a grouping with no code of its own (a severity "
            "or a status such as 'active')."
        ),
    )
    broader: tuple[str, ...] = attrs.field(
        default=(),
        metadata=doc(
            "Ids of the conditions this one is a kind of (e.g. 'stroke' for "
            "'ischaemic_stroke'): every rule on them applies to it."
        ),
    )
    may_be: tuple[str, ...] = attrs.field(
        default=(),
        metadata=doc(
            "Ids of the conditions this one amounts to only at a severity or stage its name "
            "does not state (e.g. 'severe_heart_disease' for 'heart_failure'): rules on them "
            "report 'not checked' for it, never pass it."
        ),
    )
    override: bool = attrs.field(
        default=False,
        metadata=doc(
            "true to replace the record with the same id from another pack on purpose, "
            "instead of clashing with it."
        ),
    )
    origin: str = attrs.field(default="", eq=False)


class Fact(enum.StrEnum):
    """The patient fact a contraindication looks at."""

    AGE = "age"
    PREGNANT = "pregnant"
    BREASTFEEDING = "breastfeeding"
    CHILDBEARING_POTENTIAL = "childbearing_potential"
    CONDITION = "condition"
    MEDICATION_CLASS = "medication_class"
    ALLERGY = "allergy"


@attrs.frozen
class Contraindication:
    """A patient fact that makes a formulation (or some of its ingredients) unsafe."""

    id: str = attrs.field(metadata=_RULE["id"])
    code: str = attrs.field(metadata=_RULE["code"])
    severity: Severity = attrs.field(metadata=_RULE["severity"])
    evidence: Evidence = attrs.field(metadata=_RULE["evidence"])
    sources: tuple[str, ...] = attrs.field(metadata=_RULE["sources"])
    fact: Fact = attrs.field(
        metadata=doc(
            "The patient fact the rule looks at: age, pregnant, breastfeeding, condition, "
            "medication_class or allergy."
        ),
    )
    message: str = attrs.field(metadata=_RULE["message"])
    advice: str = attrs.field(metadata=_RULE["advice"])
    value: str = attrs.field(
        default="",
        metadata=doc(
            "For fact = condition the condition id; for fact = medication_class the class; "
            "empty otherwise."
        ),
    )
    age_min: int | None = attrs.field(
        default=None,
        metadata=doc(
            "For fact = age: the lowest age allowed, in whole years on the session date "
            "(inclusive)."
        ),
    )
    age_max: int | None = attrs.field(
        default=None,
        metadata=doc(
            "For fact = age: the highest age allowed, in whole years on the session date "
            "(inclusive)."
        ),
    )
    within_days: int | None = attrs.field(
        default=None,
        metadata=doc(
            "For medication classes: a dose taken this many days or fewer before the "
            "session counts (days)."
        ),
    )
    ingredients: tuple[str, ...] = attrs.field(
        default=(),
        metadata=doc(
            "Ingredient ids the rule is limited to; with ingredient_classes empty too, it "
            "covers every formulation."
        ),
    )
    ingredient_classes: tuple[str, ...] = attrs.field(
        default=(),
        metadata=doc("Ingredient classes the rule is limited to."),
    )
    note: str = attrs.field(default="", metadata=_RULE["note"])
    override: bool = attrs.field(default=False, metadata=_RULE["override"])
    origin: str = attrs.field(default="", eq=False)


@attrs.frozen
class Interaction:
    """Ingredients that interact with each other or with a medication class."""

    id: str = attrs.field(metadata=_RULE["id"])
    code: str = attrs.field(metadata=_RULE["code"])
    severity: Severity = attrs.field(metadata=_RULE["severity"])
    evidence: Evidence = attrs.field(metadata=_RULE["evidence"])
    sources: tuple[str, ...] = attrs.field(metadata=_RULE["sources"])
    message: str = attrs.field(metadata=_RULE["message"])
    advice: str = attrs.field(metadata=_RULE["advice"])
    ingredients: tuple[str, ...] = attrs.field(
        default=(),
        metadata=doc("Ingredient ids on the first side of the interaction."),
    )
    ingredient_classes: tuple[str, ...] = attrs.field(
        default=(),
        metadata=doc("Ingredient classes on the first side of the interaction."),
    )
    with_ingredients: tuple[str, ...] = attrs.field(
        default=(),
        metadata=doc("Ingredient ids on the other side, in the same formulation."),
    )
    with_ingredient_classes: tuple[str, ...] = attrs.field(
        default=(),
        metadata=doc("Ingredient classes on the other side, in the same formulation."),
    )
    with_medication_class: str = attrs.field(
        default="",
        metadata=doc("Medication class on the other side, taken by the patient."),
    )
    with_drugs: tuple[str, ...] = attrs.field(
        default=(),
        metadata=doc("Drug ids on the other side, taken by the patient."),
    )
    with_any: bool = attrs.field(
        default=False,
        metadata=doc(
            "true when the other side is any other ingredient (admixture not recommended)."
        ),
    )
    same_syringe: bool = attrs.field(
        default=False,
        metadata=doc(
            "true when the interaction holds only in the same syringe (a physical incompatibility)."
        ),
    )
    note: str = attrs.field(default="", metadata=_RULE["note"])
    override: bool = attrs.field(default=False, metadata=_RULE["override"])
    origin: str = attrs.field(default="", eq=False)


@attrs.frozen
class Compatibility:
    """Published data that two ingredients may share a syringe."""

    id: str = attrs.field(
        metadata=doc(
            "Record id: lowercase snake_case, unique across every pack, never reused for "
            "another rule."
        ),
    )
    ingredients: tuple[str, str] = attrs.field(
        metadata=doc("The two ingredient ids published as compatible in one syringe."),
    )
    sources: tuple[str, ...] = attrs.field(
        metadata=doc("Ids of the sources that report the compatibility."),
    )
    note: str = attrs.field(
        default="",
        metadata=doc("Conditions of the published data: concentrations, vehicle, time."),
    )
    override: bool = attrs.field(
        default=False,
        metadata=doc(
            "true to replace the record with the same id from another pack on purpose, "
            "instead of clashing with it."
        ),
    )
    origin: str = attrs.field(default="", eq=False)


class LimitKind(enum.StrEnum):
    """What a dose or technique limit bounds."""

    CONCENTRATION = "max_concentration"
    SESSION_AMOUNT = "max_session_amount"
    PER_KG = "max_per_kg"
    INJECTIONS = "max_injections"
    SESSION_VOLUME = "max_session_volume"
    INTERVAL = "session_interval"
    DEPTH = "depth"
    ROUTE = "route"


@attrs.frozen
class Limit:
    """A bound on an ingredient's dose, or (without ``ingredient``) on any session."""

    id: str = attrs.field(metadata=_RULE["id"])
    code: str = attrs.field(metadata=_RULE["code"])
    kind: LimitKind = attrs.field(
        metadata=doc(
            "What the limit bounds: max_concentration, max_session_amount, max_per_kg, "
            "max_injections, max_session_volume, session_interval, depth or route."
        ),
    )
    severity: Severity = attrs.field(metadata=_RULE["severity"])
    evidence: Evidence = attrs.field(metadata=_RULE["evidence"])
    sources: tuple[str, ...] = attrs.field(metadata=_RULE["sources"])
    advice: str = attrs.field(metadata=_RULE["advice"])
    ingredient: str = attrs.field(
        default="",
        metadata=doc("The ingredient id limited; empty for a limit on every session."),
    )
    minimum: Quantity | None = attrs.field(
        default=None,
        metadata=doc("Lower bound with its unit (a depth in mm, an interval in days)."),
    )
    maximum: Quantity | None = attrs.field(
        default=None,
        metadata=doc(
            "Upper bound with its unit: mg/mL or % for concentrations, mg or [iU] per "
            "session, mg/kg, mL, mm, days."
        ),
    )
    cap: Quantity | None = attrs.field(
        default=None,
        metadata=doc(
            "For max_per_kg: the absolute amount per session that the per-kg limit may not "
            "exceed, e.g. '300 mg'."
        ),
    )
    count: int | None = attrs.field(
        default=None,
        metadata=doc("For max_injections: the highest number of injection points in one session."),
    )
    with_ingredient: str = attrs.field(
        default="",
        metadata=doc(
            "The limit holds only when every preparation with the ingredient also holds "
            "this ingredient id (e.g. epinephrine)."
        ),
    )
    with_minimum: Quantity | None = attrs.field(
        default=None,
        metadata=doc(
            "The least concentration of with_ingredient, in each preparation as injected, for "
            "the limit to hold (e.g. '1:200000'); below it the plain limit applies."
        ),
    )
    product: str = attrs.field(
        default="",
        metadata=doc(
            "The product whose label sets this limit, e.g. 'KYBELLA': the limit then holds only "
            "where the ingredient is injected as that product, alone in its preparation; in a "
            "mixture with other ingredients it is reported as not checked."
        ),
    )
    routes: tuple[Route, ...] = attrs.field(
        default=(),
        metadata=doc(
            "For route limits the routes allowed; for general limits the routes they cover, "
            "e.g. ['intradermal']."
        ),
    )
    note: str = attrs.field(default="", metadata=_RULE["note"])
    override: bool = attrs.field(default=False, metadata=_RULE["override"])
    origin: str = attrs.field(default="", eq=False)


@attrs.frozen
class Regulation:
    """A regional regulatory rule, in force from ``valid_from`` until the day before ``valid_to``.

    It applies when the region and date match and every scope given matches:
    an ingredient (by id or class), a technique, a route, or a body area outside
    ``outside_areas``.  With no scope it applies to every formulation.
    """

    id: str = attrs.field(metadata=_RULE["id"])
    code: str = attrs.field(metadata=_RULE["code"])
    regions: tuple[str, ...] = attrs.field(
        metadata=doc("Region codes where the rule applies, e.g. ['FR'] or ['US']."),
    )
    severity: Severity = attrs.field(metadata=_RULE["severity"])
    evidence: Evidence = attrs.field(metadata=_RULE["evidence"])
    sources: tuple[str, ...] = attrs.field(metadata=_RULE["sources"])
    message: str = attrs.field(metadata=_RULE["message"])
    advice: str = attrs.field(metadata=_RULE["advice"])
    valid_from: dt.date | None = attrs.field(
        default=None,
        metadata=doc("First day the rule applies (a TOML date); left out means always."),
    )
    valid_to: dt.date | None = attrs.field(
        default=None,
        metadata=doc(
            "First day the rule no longer applies (repeal, annulment); left out means still "
            "in force."
        ),
    )
    ingredients: tuple[str, ...] = attrs.field(
        default=(),
        metadata=doc("Ingredient ids the rule covers."),
    )
    ingredient_classes: tuple[str, ...] = attrs.field(
        default=(),
        metadata=doc("Ingredient classes the rule covers."),
    )
    techniques: tuple[Technique, ...] = attrs.field(
        default=(),
        metadata=doc("Techniques the rule covers, e.g. ['nappage']."),
    )
    routes: tuple[Route, ...] = attrs.field(
        default=(),
        metadata=doc("Routes the rule covers, e.g. ['subcutaneous']."),
    )
    purposes: tuple[Purpose, ...] = attrs.field(
        default=(),
        metadata=doc(
            "Purposes of treatment the rule covers (use.purpose); a formulation without a "
            "purpose cannot be checked against it."
        ),
    )
    outside_areas: tuple[Area, ...] = attrs.field(
        default=(),
        metadata=doc(
            "The rule applies when the body area is not one of these (an approval limited "
            "to an area)."
        ),
    )
    note: str = attrs.field(default="", metadata=_RULE["note"])
    override: bool = attrs.field(default=False, metadata=_RULE["override"])
    origin: str = attrs.field(default="", eq=False)

    def is_in_force(self, day: dt.date) -> bool:
        """True when the rule applies on ``day``."""
        after_start = self.valid_from is None or self.valid_from <= day
        return after_start and (self.valid_to is None or day < self.valid_to)


#: the fields of a pack's ``[pack]`` table; the others are its records
PACK_HEADER = ("name", "version", "licence", "description", "requires_mesoreg")


@attrs.frozen
class Pack:
    """A set of catalog records from one source (the built-in core or a plugin)."""

    name: str = attrs.field(
        metadata=doc("Pack name, unique among installed packs, e.g. 'mesoreg-pack-trichology'."),
    )
    version: str = attrs.field(
        metadata=doc("Version of the pack, e.g. '0.1.0'."),
    )
    licence: str = attrs.field(
        default="",
        metadata=doc("Licence of the pack's data, as an SPDX identifier, e.g. 'CC-BY-4.0'."),
    )
    description: str = attrs.field(
        default="",
        metadata=doc("One sentence on what the pack adds."),
    )
    requires_mesoreg: str = attrs.field(
        default="",
        metadata=doc(
            "The mesoreg versions the pack works with, as a PEP 440 specifier, e.g. '>=0.1'."
        ),
    )
    sources: tuple[Source, ...] = attrs.field(
        default=(),
        metadata=doc("The documents the pack's rules rest on."),
    )
    ingredients: tuple[Ingredient, ...] = attrs.field(
        default=(),
        metadata=doc("Ingredients the pack adds."),
    )
    drugs: tuple[Drug, ...] = attrs.field(
        default=(),
        metadata=doc("Medications the pack adds, with their classes."),
    )
    conditions: tuple[Condition, ...] = attrs.field(
        default=(),
        metadata=doc("Patient conditions the pack adds."),
    )
    medication_classes: tuple[MedicationClass, ...] = attrs.field(
        default=(),
        metadata=doc("Medication classes the pack defines, on WHO ATC groups where they coincide."),
    )
    contraindications: tuple[Contraindication, ...] = attrs.field(
        default=(),
        metadata=doc("Contraindications: patient facts that make a formulation unsafe."),
    )
    interactions: tuple[Interaction, ...] = attrs.field(
        default=(),
        metadata=doc("Interactions between ingredients, or with the patient's medications."),
    )
    compatibilities: tuple[Compatibility, ...] = attrs.field(
        default=(),
        metadata=doc("Published data that two ingredients may share a syringe."),
    )
    limits: tuple[Limit, ...] = attrs.field(
        default=(),
        metadata=doc("Dose and technique limits."),
    )
    regulations: tuple[Regulation, ...] = attrs.field(
        default=(),
        metadata=doc("Regional regulatory rules with their effective dates."),
    )


#: the kinds of record a pack holds, in the order they are merged (sources first)
RECORD_KINDS: tuple[str, ...] = tuple(
    f.name for f in attrs.fields(Pack) if f.name not in PACK_HEADER
)
