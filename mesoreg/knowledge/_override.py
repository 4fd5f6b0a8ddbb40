"""Override policy: a pack may add to and tighten another pack's records, never silently weaken.

A record with ``override = true`` replaces the record with the same id from
another pack.  :func:`compare` lists every change it makes and says which of
them weaken the replaced record.  Fail closed: a change this module cannot
show to be only tightening (or only adding) counts as weakening.  What
"tighter" means, field by field:

* severity: the same or more severe;
* scopes (ingredients, classes, drugs, regions, conditions ...): the same or
  wider; a scope that was empty because it meant "everything" stays empty;
  ``outside_areas`` (exemptions) and ``same_syringe`` may only shrink;
* upper bounds (``maximum``, ``cap``, ``count``): the same or lower, never
  removed; lower bounds (``minimum``, ``age_min``): the same or higher;
  ``age_max`` the same or lower; ``within_days`` the same, longer or removed;
* effective dates: ``valid_from`` the same or earlier, ``valid_to`` the same,
  later or removed;
* lists that give meaning (sources, classes, allergens, ATC codes, names and
  aliases, regions, a condition's ICD-10 codes, broader and may_be): the same
  or more, never fewer; identifiers may be filled
  in, never changed;
* text (message, advice, notes): the old text kept, more may be added;
* anything else (codes, evidence levels, the fact a rule looks at, the
  ingredient a limit bounds, source details): unchanged.

A limit that holds only with another ingredient, or an ingredient's own depth,
interval or route limit, replaces the plain or general limits of the same kind
when it applies (:mod:`mesoreg.checks._check_dose`, :mod:`mesoreg.checks._check_technique`);
one from another pack is held to the same policy by :func:`compare_bounds`,
against every other pack's record of the limit it displaces, the one first
supplied included (:func:`mesoreg.knowledge._catalog._displacements`): restating a
limit with ``override = true`` never makes it one's own to push aside.

A weakening override is refused unless the local configuration names it in
``allow_weakening`` as ``"pack:kind.id"`` (:attr:`Override.key`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from mesoreg._errors import UnitError
from mesoreg.documents._knowledge import Identifiers, LimitKind, Severity
from mesoreg.documents._quantity import Quantity


@attrs.frozen
class Override:
    """A record of one pack replaced (or displaced) by another pack's record, and how."""

    pack: str = attrs.field(metadata={"doc": "the pack whose record won"})
    kind: str = attrs.field(metadata={"doc": "record kind, e.g. contraindications"})
    id: str = attrs.field(metadata={"doc": "id of the winning record"})
    replaces: str = attrs.field(metadata={"doc": "origin of the record replaced or displaced"})
    changes: tuple[str, ...] = attrs.field(metadata={"doc": "every change, one line each"})
    weakening: tuple[str, ...] = attrs.field(
        default=(), metadata={"doc": "the changes that weaken, or could not be shown not to"}
    )
    allowed: bool = attrs.field(
        default=False, metadata={"doc": "a weakening allowed by the local configuration"}
    )

    @property
    def key(self) -> str:
        """The name the local configuration uses to allow it: ``pack:kind.id``."""
        return f"{self.pack}:{self.kind}.{self.id}"

    @property
    def is_weakening(self) -> bool:
        """True when any change weakens the replaced record."""
        return bool(self.weakening)

    def describe(self) -> str:
        """One line: what replaced what, and every change."""
        what = "weakens (allowed by local configuration)" if self.allowed else "adds to or tightens"
        if not self.is_weakening and not self.changes:
            what = "restates"
        changes = "; ".join(self.changes) or "no change"
        return f"{self.key} {what} {self.replaces}: {changes}"


# -- field rules: each returns None when the change only adds or tightens, else why not ----------

Rule = Callable[[Any, Any, Any, Any], str | None]


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    text = "none" if value is None or value == "" else str(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _superset(field: str) -> Rule:
    def rule(old: Any, new: Any, _o: Any, _n: Any) -> str | None:
        lost = [v for v in old if v not in new]
        return f"drops {field} {_show(tuple(lost))}" if lost else None

    return rule


def _subset(field: str) -> Rule:
    def rule(old: Any, new: Any, _o: Any, _n: Any) -> str | None:
        gained = [v for v in new if v not in old]
        return f"adds {field} {_show(tuple(gained))} (narrows where it applies)" if gained else None

    return rule


def _text(field: str) -> Rule:
    def rule(old: str, new: str, _o: Any, _n: Any) -> str | None:
        return None if old in new else f"rewrites {field} (the old text is not kept)"

    return rule


def _severity(old: Severity, new: Severity, _o: Any, _n: Any) -> str | None:
    return None if new.is_at_least(old) else f"lowers severity from {old} to {new}"


def _flag_off(field: str, meaning: str) -> Rule:
    """A flag that, when true, makes the rule apply more widely."""

    def rule(old: bool, new: bool, _o: Any, _n: Any) -> str | None:
        return f"turns {field} off ({meaning})" if old and not new else None

    return rule


def _flag_on(field: str, meaning: str) -> Rule:
    """A flag that, when true, makes the rule apply less widely."""

    def rule(old: bool, new: bool, _o: Any, _n: Any) -> str | None:
        return f"turns {field} on ({meaning})" if new and not old else None

    return rule


def _compare_quantity(field: str, old: Quantity, new: Quantity) -> float | str:
    try:
        return new.to(old.dimension).value - old.value
    except UnitError:
        return f"changes {field} from {old} to {new} (units do not compare)"


def _bound(field: str, *, upper: bool) -> Rule:
    """A bound that may stay or be added, and move only the stricter way; never go."""
    verb = "raises" if upper else "lowers"

    def rule(old: Any, new: Any, _o: Any, _n: Any) -> str | None:
        if old is None:
            return None
        if new is None:
            return f"removes {field} {_show(old)}"
        diff = _compare_quantity(field, old, new) if isinstance(old, Quantity) else new - old
        if isinstance(diff, str):
            return diff
        looser = diff > 0 if upper else diff < 0
        return f"{verb} {field} from {_show(old)} to {_show(new)}" if looser else None

    return rule


def _upper(field: str) -> Rule:
    """An upper bound: may stay, drop or be added; never rise or go."""
    return _bound(field, upper=True)


def _lower(field: str) -> Rule:
    """A lower bound: may stay, rise or be added; never drop or go."""
    return _bound(field, upper=False)


def _window(field: str) -> Rule:
    """A look-back window (None = any time): may stay, grow or go; never shrink or appear."""

    def rule(old: int | None, new: int | None, _o: Any, _n: Any) -> str | None:
        if new is None:
            return None
        if old is None or new < old:
            return f"shortens {field} from {_show(old)} to {new} days"
        return None

    return rule


def _valid_from(old: dt.date | None, new: dt.date | None, _o: Any, _n: Any) -> str | None:
    if new is None or (old is not None and new <= old):
        return None
    return f"starts later: valid_from {_show(old)} -> {new}"


def _valid_to(old: dt.date | None, new: dt.date | None, _o: Any, _n: Any) -> str | None:
    if new is None or (old is not None and new >= old):
        return None
    return f"ends earlier: valid_to {_show(old)} -> {new}"


def _names(record: Any) -> set[str]:
    return {
        " ".join(n.casefold().replace("_", " ").split()) for n in (record.name, *record.aliases)
    }


def _name_kept(field: str) -> Rule:
    """Names and aliases are how inputs find a record: every old one must still find it."""

    def rule(old: Any, new: Any, old_record: Any, new_record: Any) -> str | None:
        lost = sorted(_names(old_record) - _names(new_record))
        return f"no longer answers to {_show(tuple(lost))}" if lost else None

    return rule


def _identifiers(old: Identifiers, new: Identifiers, _o: Any, _n: Any) -> str | None:
    changed = [f for f in ("unii", "cas") if getattr(old, f) and getattr(old, f) != getattr(new, f)]
    lost = [c for c in old.atc if c not in new.atc]
    problems = [f"changes identifiers.{f}" for f in changed]
    problems += [f"drops identifiers.atc {_show(tuple(lost))}"] if lost else []
    return "; ".join(problems) or None


def _scope_pair(first: str, second: str) -> Rule:
    """Ingredients and classes of a rule that applies to everything when both are empty."""

    def rule(old: Any, new: Any, old_record: Any, new_record: Any) -> str | None:
        was = (getattr(old_record, first), getattr(old_record, second))
        now = (getattr(new_record, first), getattr(new_record, second))
        if not any(now):
            return None  # now applies to everything
        if not any(was):
            return f"narrows {first}/{second} from every formulation to {_show(now[0] + now[1])}"
        lost = [v for old_side, new_side in zip(was, now, strict=True) for v in old_side
                if v not in new_side]  # fmt: skip
        return f"narrows {first}/{second}: drops {_show(tuple(lost))}" if lost else None

    return rule


def _scope(field: str) -> Rule:
    """A scope that matches everything when empty."""

    def rule(old: Any, new: Any, _o: Any, _n: Any) -> str | None:
        if not new:
            return None
        if not old:
            return f"narrows {field} from any to {_show(new)}"
        return _superset(field)(old, new, _o, _n)

    return rule


def _limit_routes(old: Any, new: Any, old_record: Any, new_record: Any) -> str | None:
    if new_record.kind is LimitKind.ROUTE:  # the routes allowed
        return _subset("routes")(old, new, old_record, new_record)
    return _scope("routes")(old, new, old_record, new_record)  # the routes covered


_TEXT = {f: _text(f) for f in ("message", "advice", "note", "notes")}
_NAMES = {"name": _name_kept("name"), "aliases": _name_kept("aliases")}
_SOURCES = {"sources": _superset("sources")}

#: kind -> field -> rule; a field with no rule must stay unchanged
RULES: dict[str, dict[str, Rule]] = {
    "sources": {"note": _text("note")},
    "ingredients": {
        **_SOURCES,
        **_NAMES,
        "notes": _text("notes"),
        "classes": _superset("classes"),
        "allergens": _superset("allergens"),
        "identifiers": _identifiers,
    },
    "drugs": {**_SOURCES, **_NAMES, "classes": _superset("classes"), "atc": _superset("atc")},
    "conditions": {
        **_NAMES,
        "codes": _superset("codes"),
        "broader": _superset("broader"),
        "may_be": _superset("may_be"),
    },
    "medication_classes": {
        **_SOURCES,
        "name": _text("name"),
        "note": _text("note"),
        "atc_prefixes": _superset("atc_prefixes"),
        "drugs": _superset("drugs"),
    },
    "contraindications": {
        **_SOURCES,
        **_TEXT,
        "severity": _severity,
        "ingredients": _scope_pair("ingredients", "ingredient_classes"),
        "ingredient_classes": _scope_pair("ingredients", "ingredient_classes"),
        "age_min": _lower("age_min"),
        "age_max": _upper("age_max"),
        "within_days": _window("within_days"),
    },
    "interactions": {
        **_SOURCES,
        **_TEXT,
        "severity": _severity,
        "ingredients": _superset("ingredients"),
        "ingredient_classes": _superset("ingredient_classes"),
        "with_ingredients": _superset("with_ingredients"),
        "with_ingredient_classes": _superset("with_ingredient_classes"),
        "with_drugs": _superset("with_drugs"),
        "with_any": _flag_off("with_any", "any other ingredient no longer counts"),
        "same_syringe": _flag_on("same_syringe", "only counts in the same syringe"),
    },
    "compatibilities": {**_SOURCES, "note": _text("note")},
    "limits": {
        **_SOURCES,
        **_TEXT,
        "severity": _severity,
        "minimum": _lower("minimum"),
        "maximum": _upper("maximum"),
        "cap": _upper("cap"),
        "count": _upper("count"),
        "routes": _limit_routes,
    },
    "regulations": {
        **_SOURCES,
        **_TEXT,
        "severity": _severity,
        "regions": _superset("regions"),
        "valid_from": _valid_from,
        "valid_to": _valid_to,
        "ingredients": _scope_pair("ingredients", "ingredient_classes"),
        "ingredient_classes": _scope_pair("ingredients", "ingredient_classes"),
        "techniques": _scope("techniques"),
        "routes": _scope("routes"),
        "purposes": _scope("purposes"),
        "outside_areas": _subset("outside_areas"),
    },
}

_SKIP = frozenset({"id", "override", "origin"})


def _changes(
    kind: str, old: Any, new: Any, fields: Iterable[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    changes: list[str] = []
    weakening: list[str] = []
    rules = RULES.get(kind, {})
    for name in fields:
        before, after = getattr(old, name), getattr(new, name)
        if before == after:
            continue
        changes.append(f"{name}: {_show(before)} -> {_show(after)}")
        rule = rules.get(name)
        why = (
            rule(before, after, old, new)
            if rule is not None
            else f"changes {name} (cannot be shown to only tighten)"
        )
        if why and why not in weakening:
            weakening.append(why)
    return tuple(changes), tuple(weakening)


def compare(kind: str, old: Any, new: Any, pack: str, allowed: Iterable[str] = ()) -> Override:
    """How ``new`` (from ``pack``) changes ``old``, field by field (see the module docstring)."""
    if type(old) is not type(new):  # pragma: no cover - _collect only pairs records of one kind
        raise TypeError(f"cannot compare {type(old).__name__} with {type(new).__name__}")
    fields = [f.name for f in attrs.fields(type(old)) if f.name not in _SKIP]
    changes, weakening = _changes(kind, old, new, fields)
    found = Override(pack, kind, new.id, old.origin, changes, weakening)
    return attrs.evolve(found, allowed=bool(weakening) and found.key in set(allowed))


#: the fields that say how strict a limit is, for a limit that displaces another
_BOUNDS = ("severity", "minimum", "maximum", "cap", "count")


def compare_bounds(old: Any, new: Any, pack: str, allowed: Iterable[str] = ()) -> Override:
    """How a limit that displaces ``old`` when it applies compares with it: bounds only."""
    fields = [*_BOUNDS, *(("routes",) if new.kind is LimitKind.ROUTE else ())]
    changes, weakening = _changes("limits", old, new, fields)
    found = Override(pack, "limits", new.id, f"{old.id} from {old.origin}", changes, weakening)
    return attrs.evolve(found, allowed=bool(weakening) and found.key in set(allowed))
