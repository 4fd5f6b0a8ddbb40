"""Catalog listings for ``mesoreg catalog``: rows, details and plain-text tables."""

from __future__ import annotations

from typing import Any

from mesoreg._catalog import Catalog, matches
from mesoreg._convert import unstructure
from mesoreg._knowledge import Contraindication, Ingredient, Interaction, Limit


def ingredient_row(ingredient: Ingredient) -> dict[str, Any]:
    """One line of ``catalog list``."""
    return {
        "id": ingredient.id,
        "name": ingredient.name,
        "classes": list(ingredient.classes),
        "aliases": list(ingredient.aliases),
    }


def ingredient_detail(catalog: Catalog, ingredient: Ingredient) -> dict[str, Any]:
    """An ingredient with its limits, the rules that concern it and their sources."""
    rules: list[Contraindication | Interaction | Limit] = [
        *(
            r
            for r in catalog.contraindications
            if matches(ingredient, r.ingredients, r.ingredient_classes)
        ),
        *(
            r
            for r in catalog.interactions
            if matches(ingredient, r.ingredients, r.ingredient_classes)
            or matches(ingredient, r.with_ingredients, r.with_ingredient_classes)
        ),
        *catalog.limits_for(ingredient.id),
    ]
    source_ids = sorted({s for r in (*rules, ingredient) for s in r.sources})
    detail: dict[str, Any] = unstructure(ingredient)
    detail["rules"] = [
        {
            "id": r.id,
            "code": r.code,
            "severity": r.severity.value,
            "evidence": r.evidence.value,
            "sources": list(r.sources),
            "summary": _summary(r),
        }
        for r in rules
    ]
    detail["sources"] = {s: catalog.sources[s].cite() for s in source_ids}
    detail["provider"] = ingredient.origin
    return detail


def ingredient_text(detail: dict[str, Any]) -> str:
    """``catalog show`` as text."""
    ids = detail["identifiers"]
    lines = [
        f"{detail['name']} ({detail['id']})",
        f"  classes:     {', '.join(detail['classes'])}",
        f"  aliases:     {', '.join(detail['aliases']) or '-'}",
        f"  identifiers: UNII {ids['unii'] or '-'}, CAS {ids['cas'] or '-'}, "
        f"ATC {', '.join(ids['atc']) or '-'}",
        f"  allergens:   {', '.join(detail['allergens']) or '-'}",
        f"  from:        {detail['provider']}",
    ]
    if detail["notes"]:
        lines.append(f"  notes:       {detail['notes']}")
    lines.append("  rules:")
    lines += [
        f"    {r['code']} [{r['severity']}, {r['evidence']}] {r['summary']}"
        for r in detail["rules"]
    ] or ["    (none)"]
    lines.append("  sources:")
    lines += [f"    {k}: {v}" for k, v in detail["sources"].items()]
    return "\n".join(lines)


def table(rows: list[dict[str, Any]]) -> str:
    """Rows of id, name and classes as an aligned text table."""
    width = max(len(r["id"]) for r in rows)
    return "\n".join(f"{r['id']:<{width}}  {r['name']}  [{', '.join(r['classes'])}]" for r in rows)


def _summary(rule: Contraindication | Interaction | Limit) -> str:
    if isinstance(rule, Limit):
        bounds = [str(b) for b in (rule.minimum, rule.maximum, rule.cap) if b is not None]
        return f"{rule.kind.value} {' / '.join(bounds) or rule.count or ', '.join(rule.routes)}"
    return rule.message
