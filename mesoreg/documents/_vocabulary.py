"""Controlled vocabularies: every value a rule reads is a term, never free text.

A value is first normalised (case, accents, spaces and separators), then matched
*exactly* against the vocabulary's terms and their aliases.  An unknown value is
an error naming the closest terms; it never means "the rule does not apply".

Fixed vocabularies are enums (:class:`Term` subclasses: route, technique,
purpose, area); they appear as enums in the JSON Schemas.  Open vocabularies
(medication classes, ingredient classes, allergenic components, conditions)
come from the catalog and grow with packs.
"""

from __future__ import annotations

import difflib
import enum
import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

_SEPARATORS = re.compile(r"[^0-9a-z]+")


@functools.lru_cache(maxsize=8192)
def normalize(text: str) -> str:
    """``'Fat-Réduction '`` -> ``'fat_reduction'``: case, accents and separators folded."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SEPARATORS.sub("_", plain.casefold()).strip("_")


def closest(value: str, terms: Iterable[str], n: int = 3) -> list[str]:
    """The terms spelled most like ``value`` (after normalising), best first."""
    by_key = {normalize(t): t for t in terms}
    keys = difflib.get_close_matches(normalize(value), list(by_key), n=n, cutoff=0.6)
    return [by_key[k] for k in keys]


def did_you_mean(value: str, terms: Iterable[str]) -> str:
    """A hint: the closest terms, or every term when there are few, else nothing."""
    terms = sorted(set(terms))
    close = closest(value, terms)
    if close:
        return "Did you mean " + " or ".join(f"'{t}'" for t in close) + "?"
    if len(terms) <= 16:
        return "Use one of: " + ", ".join(terms) + "."
    return ""


class Term(enum.StrEnum):
    """A fixed vocabulary; ``Route('Intra-dermal')`` finds ``Route.INTRADERMAL``.

    Other spellings live in :data:`ALIASES`, keyed by the enum class, so that they
    never become members.
    """

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        key = normalize(value)
        for member in cls:
            if member.value == key:
                return member
        alias = ALIASES.get(cls.__name__, {}).get(key)
        return cls(alias) if alias is not None else None

    @classmethod
    def terms(cls) -> list[str]:
        """Every canonical value, in definition order."""
        return [m.value for m in cls]

    @classmethod
    def aliases(cls) -> dict[str, str]:
        """Other spellings accepted, each mapped to its canonical value."""
        return dict(ALIASES.get(cls.__name__, {}))


class Route(Term):
    """How deep the injection goes (mesotherapy distinguishes these levels)."""

    INTRAEPIDERMAL = "intraepidermal"
    INTRADERMAL = "intradermal"
    SUBCUTANEOUS = "subcutaneous"

    def is_shallower_than(self, other: Route) -> bool:
        """True when this route lies above ``other`` in the skin (members are in depth order)."""
        order = list(Route)
        return order.index(self) < order.index(other)


class Technique(Term):
    """How the injections are given."""

    NAPPAGE = "nappage"
    PAPULE = "papule"
    MICROPAPULES = "micropapules"
    POINT_BY_POINT = "point_by_point"
    GRID_INJECTION = "grid_injection"
    LINEAR_RETROGRADE = "linear_retrograde"
    INJECTION_LIPOLYSIS = "injection_lipolysis"


class Purpose(Term):
    """What the treatment is for; regional rules may depend on it."""

    FAT_REDUCTION = "fat_reduction"
    BODY_CONTOURING = "body_contouring"
    CELLULITE = "cellulite"
    SKIN_QUALITY = "skin_quality"
    HAIR_LOSS = "hair_loss"
    PIGMENTATION = "pigmentation"
    SCARS = "scars"
    PAIN = "pain"


class Area(Term):
    """The body area treated."""

    FACE = "face"
    PERIORBITAL = "periorbital"
    SUBMENTAL = "submental"
    NECK = "neck"
    DECOLLETE = "decollete"
    SCALP = "scalp"
    ARMS = "arms"
    HANDS = "hands"
    BACK = "back"
    ABDOMEN = "abdomen"
    FLANKS = "flanks"
    HIPS = "hips"
    BUTTOCKS = "buttocks"
    THIGHS = "thighs"
    KNEES = "knees"
    LEGS = "legs"


class Sex(Term):
    """Sex recorded for the patient."""

    FEMALE = "female"
    MALE = "male"
    OTHER = "other"


#: other spellings of fixed terms (already normalised) -> the canonical value.  Only
#: synonyms: a spelling that could mean two terms is left out, so it stays an error.
ALIASES: Mapping[str, Mapping[str, str]] = {
    "Sex": {"f": "female", "woman": "female", "m": "male", "man": "male"},
    "Route": {
        "id": "intradermal",
        "intradermic": "intradermal",
        "intracutaneous": "intradermal",
        "sc": "subcutaneous",
        "subcut": "subcutaneous",
        "subcutaneously": "subcutaneous",
        "hypodermic": "subcutaneous",
        "intra_epidermal": "intraepidermal",
        "intra_dermal": "intradermal",
        "sub_cutaneous": "subcutaneous",
    },
    "Technique": {
        "papules": "papule",
        "micropapule": "micropapules",
        "micro_papules": "micropapules",
        "point": "point_by_point",
        "point_to_point": "point_by_point",
        "grid": "grid_injection",
        "linear": "linear_retrograde",
        "retrograde": "linear_retrograde",
        "linear_threading": "linear_retrograde",
        "lipolysis": "injection_lipolysis",
    },
    "Purpose": {
        "fat_loss": "fat_reduction",
        "lipolysis": "fat_reduction",
        "lipodissolve": "fat_reduction",
        "fat_dissolving": "fat_reduction",
        "adipocytolysis": "fat_reduction",
        "localised_fat": "fat_reduction",
        "localized_fat": "fat_reduction",
        "contouring": "body_contouring",
        "body_shaping": "body_contouring",
        "skin_rejuvenation": "skin_quality",
        "rejuvenation": "skin_quality",
        "revitalisation": "skin_quality",
        "revitalization": "skin_quality",
        "biorevitalisation": "skin_quality",
        "biorevitalization": "skin_quality",
        "alopecia": "hair_loss",
        "hyperpigmentation": "pigmentation",
        "melasma": "pigmentation",
        "scarring": "scars",
    },
    "Area": {
        "double_chin": "submental",
        "under_chin": "submental",
        "decolletage": "decollete",
        "eyes": "periorbital",
        "under_eyes": "periorbital",
        "belly": "abdomen",
        "stomach": "abdomen",
        "love_handles": "flanks",
        "upper_arms": "arms",
        "bottom": "buttocks",
        "glutes": "buttocks",
        "thigh": "thighs",
        "knee": "knees",
        "arm": "arms",
        "hand": "hands",
        "leg": "legs",
        "hip": "hips",
        "flank": "flanks",
    },
}

#: the fixed vocabularies by name, for listings
FIXED: dict[str, type[Term]] = {
    "route": Route,
    "technique": Technique,
    "purpose": Purpose,
    "area": Area,
    "sex": Sex,
}
