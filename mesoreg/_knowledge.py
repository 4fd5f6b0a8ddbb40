"""What the catalog knows: ingredients, drugs, conditions, rules and their sources.

Frozen attrs models, filled from pack TOML files by the converter.  Every rule
names its sources by id (``sources = ["kybella_pi_2015"]``) and states an
evidence level; the pack defines each source once with enough detail to look
it up.  ``origin`` records which pack supplied a record, for messages.
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

from mesoreg._quantity import Quantity


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
        return list(Severity).index(self)

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

    id: str
    title: str
    issuer: str
    date: str
    kind: Evidence
    url: str = ""
    doi: str = ""
    note: str = ""
    override: bool = False
    origin: str = attrs.field(default="", eq=False)

    def cite(self) -> str:
        """One-line citation: issuer, title, date, DOI or URL."""
        where = f"doi:{self.doi}" if self.doi else self.url
        return ", ".join(p for p in (self.issuer, f"'{self.title}'", self.date, where) if p)


@attrs.frozen
class Identifiers:
    """Public identifiers of a substance, where they exist."""

    unii: str = ""
    cas: str = ""
    atc: tuple[str, ...] = ()


@attrs.frozen
class Ingredient:
    """A substance that can go into a mesotherapy preparation."""

    id: str
    name: str
    classes: tuple[str, ...]
    sources: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    identifiers: Identifiers = Identifiers()
    #: allergenic components, e.g. ethylenediamine in aminophylline
    allergens: tuple[str, ...] = ()
    notes: str = ""
    #: replaces the record with the same id from another pack, instead of clashing with it
    override: bool = False
    origin: str = attrs.field(default="", eq=False)


@attrs.frozen
class Drug:
    """A medication a patient may take, with its brand names and classes."""

    id: str
    name: str
    classes: tuple[str, ...]
    sources: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    atc: tuple[str, ...] = ()
    #: replaces the record with the same id from another pack, instead of clashing with it
    override: bool = False
    origin: str = attrs.field(default="", eq=False)


@attrs.frozen
class Condition:
    """A patient condition the rules know, with the other names it goes by."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    #: replaces the record with the same id from another pack, instead of clashing with it
    override: bool = False
    origin: str = attrs.field(default="", eq=False)


class Fact(enum.StrEnum):
    """The patient fact a contraindication looks at."""

    AGE = "age"
    PREGNANT = "pregnant"
    BREASTFEEDING = "breastfeeding"
    CONDITION = "condition"
    MEDICATION_CLASS = "medication_class"
    ALLERGY = "allergy"


@attrs.frozen
class Contraindication:
    """A patient fact that makes a formulation (or some of its ingredients) unsafe."""

    id: str
    code: str
    severity: Severity
    evidence: Evidence
    sources: tuple[str, ...]
    fact: Fact
    message: str
    advice: str
    #: condition id or medication class, for those facts
    value: str = ""
    age_min: int | None = None
    age_max: int | None = None
    #: for medication classes: only a dose taken within this many days counts
    within_days: int | None = None
    #: scope; both empty means every formulation
    ingredients: tuple[str, ...] = ()
    ingredient_classes: tuple[str, ...] = ()
    note: str = ""
    #: replaces the record with the same id from another pack, instead of clashing with it
    override: bool = False
    origin: str = attrs.field(default="", eq=False)


@attrs.frozen
class Interaction:
    """Ingredients that interact with each other or with a medication class."""

    id: str
    code: str
    severity: Severity
    evidence: Evidence
    sources: tuple[str, ...]
    message: str
    advice: str
    ingredients: tuple[str, ...] = ()
    ingredient_classes: tuple[str, ...] = ()
    with_ingredients: tuple[str, ...] = ()
    with_ingredient_classes: tuple[str, ...] = ()
    with_medication_class: str = ""
    #: particular drugs (drug ids) the patient takes
    with_drugs: tuple[str, ...] = ()
    #: the other side is any other ingredient (admixture not recommended)
    with_any: bool = False
    #: only when both are in the same syringe (a physical incompatibility)
    same_syringe: bool = False
    note: str = ""
    #: replaces the record with the same id from another pack, instead of clashing with it
    override: bool = False
    origin: str = attrs.field(default="", eq=False)


@attrs.frozen
class Compatibility:
    """Published data that two ingredients may share a syringe."""

    id: str
    ingredients: tuple[str, str]
    sources: tuple[str, ...]
    note: str = ""
    #: replaces the record with the same id from another pack, instead of clashing with it
    override: bool = False
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

    id: str
    code: str
    kind: LimitKind
    severity: Severity
    evidence: Evidence
    sources: tuple[str, ...]
    advice: str
    ingredient: str = ""
    minimum: Quantity | None = None
    maximum: Quantity | None = None
    #: absolute cap for per-kg limits
    cap: Quantity | None = None
    count: int | None = None
    #: applies only when every preparation with the ingredient also holds this one
    with_ingredient: str = ""
    #: the least concentration of ``with_ingredient`` in each preparation for the limit to hold
    with_minimum: Quantity | None = attrs.field(
        default=None,
        metadata={
            "doc": "least concentration of with_ingredient, in each preparation as injected, "
            "for the limit to hold (e.g. '1:200000'); below it the plain limit applies"
        },
    )
    #: for ``route`` limits the routes allowed; for general limits the routes they cover
    routes: tuple[str, ...] = ()
    note: str = ""
    #: replaces the record with the same id from another pack, instead of clashing with it
    override: bool = False
    origin: str = attrs.field(default="", eq=False)


@attrs.frozen
class Regulation:
    """A regional regulatory rule, in force from ``valid_from`` until the day before ``valid_to``.

    It applies when the region and date match and every scope given matches:
    an ingredient (by id or class), a technique, a route, or a body area outside
    ``outside_areas``.  With no scope it applies to every formulation.
    """

    id: str
    code: str
    regions: tuple[str, ...]
    severity: Severity
    evidence: Evidence
    sources: tuple[str, ...]
    message: str
    advice: str
    valid_from: dt.date | None = None
    #: the first day the rule no longer applies (repeal, annulment)
    valid_to: dt.date | None = None
    ingredients: tuple[str, ...] = ()
    ingredient_classes: tuple[str, ...] = ()
    techniques: tuple[str, ...] = ()
    routes: tuple[str, ...] = ()
    #: applies to these purposes of treatment (use.purpose); a formulation without one
    #: cannot be checked against the rule
    purposes: tuple[str, ...] = ()
    #: applies when the body area is not one of these (an approval limited to an area)
    outside_areas: tuple[str, ...] = ()
    note: str = ""
    override: bool = False
    origin: str = attrs.field(default="", eq=False)

    def is_in_force(self, day: dt.date) -> bool:
        """True when the rule applies on ``day``."""
        after_start = self.valid_from is None or self.valid_from <= day
        return after_start and (self.valid_to is None or day < self.valid_to)


@attrs.frozen
class Pack:
    """A set of catalog records from one source (the built-in core or a plugin)."""

    name: str
    version: str
    licence: str = ""
    description: str = ""
    #: the mesoreg versions the pack works with, as a PEP 440 specifier (">=0.1")
    requires_mesoreg: str = ""
    sources: tuple[Source, ...] = ()
    ingredients: tuple[Ingredient, ...] = ()
    drugs: tuple[Drug, ...] = ()
    conditions: tuple[Condition, ...] = ()
    contraindications: tuple[Contraindication, ...] = ()
    interactions: tuple[Interaction, ...] = ()
    compatibilities: tuple[Compatibility, ...] = ()
    limits: tuple[Limit, ...] = ()
    regulations: tuple[Regulation, ...] = ()
