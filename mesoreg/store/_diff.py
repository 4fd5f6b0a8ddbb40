"""A clinical diff of two formulation versions, as a pharmacist reads it.

Preparations are matched by name and components by ingredient (aliases
resolved through the catalog), so "lignocaine" and "lidocaine" are one
ingredient.  The diff lists changes in technique, preparations added or
removed, components added or removed, strengths ("lidocaine 1 % → 2 %"),
volumes, repeats per session, and the change in each ingredient's computed
amount per session.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from mesoreg.checks._subject import resolve
from mesoreg.documents._model import Component, Context, Formulation, Preparation
from mesoreg.documents._quantity import format_number
from mesoreg.knowledge._catalog import Catalog

_USE_FIELDS = ("area", "technique", "route", "purpose", "depth", "points", "volume_per_point")


def _name(catalog: Catalog, raw: str) -> tuple[str, str]:
    """(id, display name) of an ingredient name; unknown names stand as written."""
    found = catalog.find_ingredient(raw)
    return (found.id, found.name) if found else (raw, raw)


def _components(catalog: Catalog, prep: Preparation) -> dict[str, tuple[str, Component]]:
    return {
        _name(catalog, c.ingredient)[0]: (_name(catalog, c.ingredient)[1], c)
        for c in prep.components
    }


def _show(value: object) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, float):
        return format_number(value)
    return str(value)


def _amounts(formulation: Formulation, catalog: Catalog) -> dict[str, tuple[str, str]]:
    """Ingredient id -> (name, amount per session as text)."""
    try:
        subject = resolve(formulation, None, Context(dt.date.today()), catalog)
    except Exception:  # an unresolvable version still diffs, without amounts
        return {}
    result = {}
    for ingredient_id, total in subject.session.items():
        amount = total.amount
        text = f"{format_number(amount.value)} {amount.unit}" if amount else "(cannot add)"
        result[ingredient_id] = (total.ingredient.name, text)
    return result


def diff_formulations(old: Formulation, new: Formulation, catalog: Catalog) -> list[str]:
    """Lines describing what changed from ``old`` to ``new``; empty when nothing did."""
    return list(_diff(old, new, catalog))


def _diff(old: Formulation, new: Formulation, catalog: Catalog) -> Iterator[str]:
    if old.title != new.title:
        yield f"title: {old.title} → {new.title}"
    for field in _USE_FIELDS:
        a, b = getattr(old.use, field), getattr(new.use, field)
        if _show(a) != _show(b):
            yield f"{field.replace('_', ' ')}: {_show(a)} → {_show(b)}"
    old_preps = {p.name: p for p in old.preparations}
    new_preps = {p.name: p for p in new.preparations}
    for name in sorted(old_preps.keys() - new_preps.keys()):
        yield f"- preparation '{name}' removed"
    for name in sorted(new_preps.keys() - old_preps.keys()):
        prep = new_preps[name]
        parts = ", ".join(f"{c.ingredient} {c.strength} ({c.volume})" for c in prep.components)
        yield f"+ preparation '{name}' added: {parts}, {_show(prep.per_session)} per session"
    for name in sorted(old_preps.keys() & new_preps.keys()):
        a, b = old_preps[name], new_preps[name]
        if a.per_session != b.per_session:
            yield (f"'{name}' per session: {_show(a.per_session)} → {_show(b.per_session)}")
        ca, cb = _components(catalog, a), _components(catalog, b)
        for key in sorted(ca.keys() - cb.keys()):
            label, comp = ca[key]
            yield f"- {label} {comp.strength} ({comp.volume}) removed from '{name}'"
        for key in sorted(cb.keys() - ca.keys()):
            label, comp = cb[key]
            yield f"+ {label} {comp.strength} ({comp.volume}) added to '{name}'"
        for key in sorted(ca.keys() & cb.keys()):
            label, x = ca[key]
            _, y = cb[key]
            if x.strength != y.strength or str(x.strength) != str(y.strength):
                yield f"{label} {x.strength} → {y.strength} in '{name}'"
            if x.volume != y.volume:
                yield f"{label} volume {x.volume} → {y.volume} in '{name}'"
            if x.co_ingredients != y.co_ingredients:
                yield f"{label} co-ingredients changed in '{name}'"
    before, after = _amounts(old, catalog), _amounts(new, catalog)
    for key in sorted(before.keys() | after.keys()):
        label = (after.get(key) or before[key])[0]
        a_text = before.get(key, (label, "none"))[1]
        b_text = after.get(key, (label, "none"))[1]
        if a_text != b_text:
            yield f"{label} per session: {a_text} → {b_text}"
