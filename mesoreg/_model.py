"""What a pharmacist writes: formulations, patients and the check context.

Frozen attrs models; they hold data and do no I/O.  TOML keys are the field
names.  Quantities are :class:`~mesoreg._quantity.Quantity` values parsed from
strings such as ``"2 %"`` or ``"5 mL"``: a number never stands without a unit.

Patient facts distinguish *unknown* from *none*: ``conditions = []`` says the
patient has none of the listed conditions, while leaving the key out says
nobody asked, and the rules that need it are reported as not checked.
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

from mesoreg._quantity import Quantity

#: formulation and patient file format this version writes
SCHEMA_VERSION = 1


class Status(enum.StrEnum):
    """Where a formulation version is in its life."""

    DRAFT = "draft"
    APPROVED = "approved"
    RETIRED = "retired"


class Sex(enum.StrEnum):
    """Sex recorded for the patient."""

    FEMALE = "female"
    MALE = "male"
    OTHER = "other"


@attrs.frozen
class Use:
    """How the formulation is given: where, how deep, how many points."""

    area: str
    technique: str
    route: str = "intradermal"
    #: what the treatment is for, e.g. fat_reduction, cellulite, skin_quality, hair_loss
    purpose: str | None = None
    depth: Quantity | None = None
    points: int | None = None
    volume_per_point: Quantity | None = None


@attrs.frozen
class CoIngredient:
    """Another active in the same stock product, e.g. epinephrine in lidocaine with epinephrine."""

    ingredient: str
    strength: Quantity


@attrs.frozen
class Component:
    """One product drawn into a preparation: its stock strength and the volume drawn."""

    ingredient: str
    strength: Quantity
    volume: Quantity
    #: other actives in the same product; they share its volume
    co_ingredients: tuple[CoIngredient, ...] = ()


@attrs.frozen
class Preparation:
    """One syringe (or vial) and how many of it one session uses."""

    name: str
    per_session: float
    components: tuple[Component, ...]


@attrs.frozen
class Formulation:
    """A mesotherapy formulation, one version of it."""

    schema_version: int
    id: str
    version: int
    title: str
    use: Use
    preparations: tuple[Preparation, ...]
    status: Status = Status.DRAFT
    authors: tuple[str, ...] = ()
    date: dt.date | None = None
    notes: str = ""
    #: the file it was read from, for messages; not part of the data
    origin: str | None = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class Medication:
    """Something the patient takes; ``classes`` declares the classes of an unlisted drug."""

    name: str
    last_dose: dt.date | None = None
    classes: tuple[str, ...] | None = None


@attrs.frozen
class Patient:
    """The facts about a patient that rules may need; ``None`` means unknown."""

    schema_version: int
    id: str = ""
    birth_date: dt.date | None = None
    age: int | None = None
    sex: Sex | None = None
    weight: Quantity | None = None
    pregnant: bool | None = None
    breastfeeding: bool | None = None
    childbearing_potential: bool | None = None
    conditions: tuple[str, ...] | None = None
    medications: tuple[Medication, ...] | None = None
    allergies: tuple[str, ...] | None = None
    previous_session: dt.date | None = None
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

    date: dt.date
    region: str | None = None
    previous_session: dt.date | None = None
