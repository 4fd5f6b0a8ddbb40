"""What a pharmacist writes: formulations, patients and the check context.

Frozen attrs models; they hold data and do no I/O.  TOML keys are the field
names.  Quantities are :class:`~mesoreg.documents._quantity.Quantity` values parsed from
strings such as ``"2 %"`` or ``"5 mL"``: a number never stands without a unit.

Patient facts distinguish *unknown* from *none*: ``conditions = []`` says the
patient has none of the listed conditions, while leaving the key out says
nobody asked, and the rules that need it are reported as not checked.
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

from mesoreg.documents._field import doc
from mesoreg.documents._quantity import Quantity
from mesoreg.documents._vocabulary import Area, Purpose, Route, Sex, Technique

#: formulation and patient file format this version writes
SCHEMA_VERSION = 1


class Status(enum.StrEnum):
    """Where a formulation version is in its life."""

    DRAFT = "draft"
    APPROVED = "approved"
    RETIRED = "retired"


@attrs.frozen
class Use:
    """How the formulation is given: where, how deep, how many points."""

    area: Area = attrs.field(
        metadata=doc("Body area treated, e.g. 'face', 'scalp', 'abdomen', 'thighs'."),
    )
    technique: Technique = attrs.field(
        metadata=doc("Injection technique, e.g. 'nappage', 'point_by_point', 'papule'."),
    )
    route: Route = attrs.field(
        default=Route.INTRADERMAL,
        metadata=doc(
            "Route of injection, e.g. 'intradermal' or 'subcutaneous'; the 1-4 mm depth "
            "rule covers intradermal use."
        ),
    )
    purpose: Purpose | None = attrs.field(
        default=None,
        metadata=doc(
            "What the treatment is for, e.g. 'fat_reduction', 'cellulite', 'skin_quality', "
            "'hair_loss'; regional rules may depend on it."
        ),
    )
    depth: Quantity | None = attrs.field(
        default=None,
        metadata=doc("Needle depth as a length with its unit, e.g. '4 mm'."),
    )
    points: int | None = attrs.field(
        default=None,
        metadata=doc("Number of injection points in one session (a whole number)."),
    )
    volume_per_point: Quantity | None = attrs.field(
        default=None,
        metadata=doc("Volume injected at each point, with its unit, e.g. '0.1 mL'."),
    )


@attrs.frozen
class CoIngredient:
    """Another active in the same stock product, e.g. epinephrine in lidocaine with epinephrine."""

    ingredient: str = attrs.field(
        metadata=doc(
            "Ingredient id or alias of the other active in the same product, e.g. 'epinephrine'."
        ),
    )
    strength: Quantity = attrs.field(
        metadata=doc(
            "Its strength in the stock product: a concentration such as '0.01 mg/mL' or a "
            "ratio such as '1:100000'."
        ),
    )


@attrs.frozen
class Component:
    """One product drawn into a preparation: its stock strength and the volume drawn."""

    ingredient: str = attrs.field(
        metadata=doc(
            "Ingredient id or any alias (INN, brand, other spelling), e.g. 'lidocaine' or "
            "'Xylocaine'."
        ),
    )
    strength: Quantity = attrs.field(
        metadata=doc(
            "Strength of the stock product drawn: '2 %' (g/100 mL), '20 mg/mL', '150 "
            "[USP\\'U]/mL' or a ratio '1:100000'."
        ),
    )
    volume: Quantity = attrs.field(
        metadata=doc("Volume drawn from the stock product into the preparation, e.g. '1 mL'."),
    )
    co_ingredients: tuple[CoIngredient, ...] = attrs.field(
        default=(),
        metadata=doc(
            "Other actives in the same stock product; they share its volume (e.g. "
            "epinephrine in lidocaine with epinephrine)."
        ),
    )


@attrs.frozen
class Preparation:
    """One syringe (or vial) and how many of it one session uses."""

    name: str = attrs.field(
        metadata=doc("Name of the syringe or vial, e.g. 'lipolytic syringe'."),
    )
    per_session: float = attrs.field(
        metadata=doc("How many of this preparation one session uses (a number, e.g. 2 or 0.5)."),
    )
    components: tuple[Component, ...] = attrs.field(
        metadata=doc(
            "The stock products drawn into this preparation, each with strength and volume."
        ),
    )


@attrs.frozen
class Formulation:
    """A mesotherapy formulation, one version of it."""

    schema_version: int = attrs.field(
        metadata=doc("Version of the formulation file format; this mesoreg writes 1."),
    )
    id: str = attrs.field(
        metadata=doc(
            "Formulation id: lowercase letters, digits and single hyphens, e.g. 'lipo-abdomen'."
        ),
    )
    version: int = attrs.field(
        metadata=doc(
            "Version number of this formulation (1, 2, ...); the store assigns it on publishing."
        ),
    )
    title: str = attrs.field(
        metadata=doc("Human-readable title of the formulation."),
    )
    use: Use = attrs.field(
        metadata=doc(
            "How the formulation is given: area, technique, route, purpose, depth, points "
            "and volume per point."
        ),
    )
    preparations: tuple[Preparation, ...] = attrs.field(
        metadata=doc("The syringes (or vials) of one session, each with its components."),
    )
    status: Status = attrs.field(
        default=Status.DRAFT,
        metadata=doc(
            "Where the version is in its life: draft, approved or retired (the store's "
            "ledger is authoritative)."
        ),
    )
    authors: tuple[str, ...] = attrs.field(
        default=(),
        metadata=doc("Who wrote the formulation, e.g. 'J. Martin, PharmD'."),
    )
    date: dt.date | None = attrs.field(
        default=None,
        metadata=doc("Date the formulation was written (a TOML date, e.g. 2026-11-01)."),
    )
    notes: str = attrs.field(
        default="",
        metadata=doc("Free-text notes for people; never read by any rule."),
    )
    #: the file it was read from, for messages; not part of the data
    origin: str | None = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class Medication:
    """Something the patient takes; ``classes`` declares the classes of an unlisted drug."""

    name: str = attrs.field(
        metadata=doc("Generic or brand name of the medication, e.g. 'apixaban' or 'Eliquis'."),
    )
    last_dose: dt.date | None = attrs.field(
        default=None,
        metadata=doc("Date of the last dose (a TOML date); left out means current use."),
    )
    classes: tuple[str, ...] | None = attrs.field(
        default=None,
        metadata=doc(
            "Medication classes of a drug the catalog does not know, e.g. "
            "['anticoagulant']; they add to a known drug's classes."
        ),
    )


@attrs.frozen
class Patient:
    """The facts about a patient that rules may need; ``None`` means unknown."""

    schema_version: int = attrs.field(
        metadata=doc("Version of the patient file format; this mesoreg writes 1."),
    )
    id: str = attrs.field(
        default="",
        metadata=doc("Patient identifier or pseudonym, shown in reports."),
    )
    birth_date: dt.date | None = attrs.field(
        default=None,
        metadata=doc(
            "Date of birth (a TOML date); the age on the session date is computed from it."
        ),
    )
    age: int | None = attrs.field(
        default=None,
        metadata=doc("Age in whole years, when the birth date is not given."),
    )
    sex: Sex | None = attrs.field(
        default=None,
        metadata=doc("Sex recorded for the patient: female, male or other."),
    )
    weight: Quantity | None = attrs.field(
        default=None,
        metadata=doc("Body weight with its unit, e.g. '62 kg'; per-kg dose limits need it."),
    )
    pregnant: bool | None = attrs.field(
        default=None,
        metadata=doc(
            "true or false; left out means unknown and the pregnancy rules are not checked."
        ),
    )
    breastfeeding: bool | None = attrs.field(
        default=None,
        metadata=doc("true or false; left out means unknown."),
    )
    childbearing_potential: bool | None = attrs.field(
        default=None,
        metadata=doc(
            "Whether the patient could become pregnant: true or false; left out means unknown."
        ),
    )
    conditions: tuple[str, ...] | None = attrs.field(
        default=None,
        metadata=doc(
            "Conditions the patient has: names or aliases from the catalog, or WHO ICD-10 "
            "codes such as 'I63.9' or 'ICD-10:I63.9'; [] means none, left out means unknown."
        ),
    )
    medications: tuple[Medication, ...] | None = attrs.field(
        default=None,
        metadata=doc("Medications the patient takes; [] means none, left out means unknown."),
    )
    allergies: tuple[str, ...] | None = attrs.field(
        default=None,
        metadata=doc(
            "Allergies: ingredients, components (e.g. 'sulfite') or classes; [] means none, "
            "left out means unknown."
        ),
    )
    previous_session: dt.date | None = attrs.field(
        default=None,
        metadata=doc(
            "Date of the previous mesotherapy session (a TOML date), for the session-spacing rules."
        ),
    )
    origin: str | None = attrs.field(default=None, eq=False, repr=False)

    def age_on(self, day: dt.date) -> int | None:
        """Age in whole years on ``day``, from the birth date (or the stated age)."""
        if self.birth_date is None:
            return self.age
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


@attrs.frozen
class Context:
    """Where and when the formulation is to be given."""

    date: dt.date = attrs.field(
        metadata=doc("Date of the session the formulation is checked for."),
    )
    region: str | None = attrs.field(
        default=None,
        metadata=doc("Region code whose regulations apply, e.g. 'FR' or 'US'."),
    )
    previous_session: dt.date | None = attrs.field(
        default=None,
        metadata=doc("Date of the previous session, for the session-spacing rules."),
    )
