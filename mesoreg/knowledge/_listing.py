"""Catalog listings for ``mesoreg catalog``: rows, details and plain-text tables."""

from __future__ import annotations

from typing import Any

from mesoreg.documents._convert import unstructure
from mesoreg.documents._knowledge import (
    Condition,
    Contraindication,
    Drug,
    Fact,
    Ingredient,
    Interaction,
    Limit,
    MedicationClass,
    Regulation,
)
from mesoreg.documents._vocabulary import FIXED, normalize
from mesoreg.knowledge._atc import in_group, parse_atc
from mesoreg.knowledge._catalog import Catalog, iter_rules, matches
from mesoreg.knowledge._sources import count_kinds


def ingredient_row(ingredient: Ingredient) -> dict[str, Any]:
    """One line of ``catalog list``."""
    return {
        "id": ingredient.id,
        "name": ingredient.name,
        "classes": list(ingredient.classes),
        "aliases": list(ingredient.aliases),
    }


Rule = Contraindication | Interaction | Limit | Regulation


def _kind(rule: Rule) -> str:
    if isinstance(rule, Contraindication):
        return "contraindication"
    if isinstance(rule, Interaction):
        return "interaction"
    return "limit" if isinstance(rule, Limit) else "regulation"


def concerns(rule: Rule, ingredient: Ingredient) -> bool:
    """True when the rule names the ingredient (or its class) on either side."""
    if isinstance(rule, Limit):
        return ingredient.id in (rule.ingredient, rule.with_ingredient)
    first = matches(ingredient, rule.ingredients, rule.ingredient_classes)
    if isinstance(rule, Interaction):
        return first or matches(ingredient, rule.with_ingredients, rule.with_ingredient_classes)
    return first


def _scope(rule: Rule) -> str:
    if isinstance(rule, Limit):
        return rule.ingredient or "every session"
    parts = [*rule.ingredients, *(f"class {c}" for c in rule.ingredient_classes)]
    if isinstance(rule, Interaction):
        other = [
            *rule.with_ingredients,
            *(f"class {c}" for c in rule.with_ingredient_classes),
            *(
                f"patient on {rule.with_medication_class}"
                for _ in [rule.with_medication_class]
                if rule.with_medication_class
            ),
            *(f"patient on {d}" for d in rule.with_drugs),
            *(["any other ingredient"] if rule.with_any else []),
        ]
        where = " (same syringe)" if rule.same_syringe else ""
        return f"{', '.join(parts)} + {', '.join(other)}{where}"
    if isinstance(rule, Contraindication):
        fact = rule.fact.value + (f" {rule.value}" if rule.value else "")
        if rule.age_min is not None or rule.age_max is not None:
            fact += f" outside {rule.age_min or 0}-{rule.age_max or 'any'}"
        return f"{fact}; {', '.join(parts) or 'every formulation'}"
    dates = f"{rule.valid_from or '…'} to {rule.valid_to or '…'}"
    return f"{', '.join(rule.regions)} {dates}; {', '.join(parts) or 'every formulation'}"


def rule_rows(catalog: Catalog, ingredient: Ingredient | None = None) -> list[dict[str, Any]]:
    """Every rule (or those concerning one ingredient) with type, severity, evidence, sources."""
    return [
        {
            "type": _kind(r),
            "id": r.id,
            "code": r.code,
            "severity": r.severity.value,
            "evidence": r.evidence.value,
            "scope": _scope(r),
            "summary": _summary(r),
            "sources": [catalog.sources[s].cite() for s in r.sources],
            "source_ids": list(r.sources),
            "source_kinds": [catalog.sources[s].kind.value for s in r.sources],
            "provider": r.origin.split(" (")[0],
        }
        for r in iter_rules(catalog)
        if ingredient is None or concerns(r, ingredient)
    ]


def rules_summary(catalog: Catalog, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """``catalog rules --format json``: the rows and the sources they cite, counted by kind."""
    cited = {s for row in rows for s in row["source_ids"]}
    return {
        "rules": rows,
        "sources_by_kind": count_kinds(catalog.sources[s] for s in sorted(cited)),
    }


def rules_text(rows: list[dict[str, Any]]) -> str:
    """``catalog rules`` as text: one block per rule."""
    lines = []
    for row in rows:
        lines.append(
            f"{row['code']}  [{row['type']}, {row['severity']}, {row['evidence']}]  {row['id']}"
        )
        lines.append(f"    {row['scope']}: {row['summary']}")
        lines += [f"    source: {s}" for s in row["sources"]]
    return "\n".join(lines) if lines else "no rules"


def ingredient_detail(catalog: Catalog, ingredient: Ingredient) -> dict[str, Any]:
    """An ingredient with its limits, the rules that concern it and their sources."""
    rules = [r for r in iter_rules(catalog) if concerns(r, ingredient)]
    source_ids = sorted({s for r in (*rules, ingredient) for s in r.sources})
    detail: dict[str, Any] = {"kind": "ingredient", **unstructure(ingredient)}
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


def _summary(rule: Rule) -> str:
    if isinstance(rule, Limit):
        bounds = [str(b) for b in (rule.minimum, rule.maximum, rule.cap) if b is not None]
        text = f"{rule.kind.value} {' / '.join(bounds) or rule.count or ', '.join(rule.routes)}"
        if rule.with_ingredient:
            text += f" with {rule.with_ingredient} at {rule.with_minimum or '?'} or more"
        return text
    return rule.message


def catalog_markdown(catalog: Catalog) -> str:
    """docs/catalog.md: every ingredient, drug, rule and source, generated from the data."""
    out = [
        "# The mesoreg catalog",
        "",
        "Generated by `mesoreg --no-plugins catalog docs` from `mesoreg/knowledge/data/*.toml`; "
        "do not edit by hand (a test keeps it current).",
        "",
        f"Packs: {', '.join(f'{n} {v}' for n, v in catalog.packs)}. "
        f"{len(catalog.ingredients)} ingredients, {len(catalog.drugs)} drugs, "
        f"{len(catalog.conditions)} conditions, "
        f"{len(catalog.contraindications)} contraindications, "
        f"{len(catalog.interactions)} interactions, "
        f"{sum(len(v) for v in catalog.limits.values())} limits, "
        f"{len(catalog.regulations)} regulations, {len(catalog.sources)} sources.",
        "",
        "## Ingredients",
        "",
        "| id | name | classes | aliases | identifiers | sources |",
        "|---|---|---|---|---|---|",
    ]
    for i in catalog.ingredients.values():
        ids = i.identifiers
        idents = "; ".join(
            p
            for p in (
                f"UNII {ids.unii}" if ids.unii else "",
                f"CAS {ids.cas}" if ids.cas else "",
                f"ATC {', '.join(ids.atc)}" if ids.atc else "",
            )
            if p
        )
        out.append(
            f"| `{i.id}` | {i.name} | {', '.join(i.classes)} | "
            f"{', '.join(i.aliases)} | {idents} | {', '.join(i.sources)} |"
        )
    out += [
        "",
        "## Drugs",
        "",
        "| id | name | brands and other names | classes | ATC |",
        "|---|---|---|---|---|",
    ]
    for d in catalog.drugs.values():
        out.append(
            f"| `{d.id}` | {d.name} | {', '.join(d.aliases)} | "
            f"{', '.join(catalog.drug_classes(d))} | {', '.join(d.atc)} |"
        )
    out += [
        "",
        "## Medication classes",
        "",
        "| id | name | ATC groups | also | sources | note |",
        "|---|---|---|---|---|---|",
    ]
    for r in catalog.class_records.values():
        out.append(
            f"| `{r.id}` | {r.name} | {', '.join(r.atc_prefixes)} | {', '.join(r.drugs)} "
            f"| {', '.join(r.sources)} | {r.note} |"
        )
    out += [
        "",
        "## Conditions",
        "",
        "A patient condition is a name below or a WHO ICD-10 code; a code maps to the most "
        "specific condition whose codes contain it.  Rules on a condition apply to every "
        "condition that is a kind of it; a condition that may be one leaves its rules not "
        "checked.",
        "",
        "| id | name | ICD-10 | a kind of | may be | other names |",
        "|---|---|---|---|---|---|",
    ]
    for row in condition_rows(catalog, list(catalog.conditions.values())):
        out.append(
            f"| `{row['id']}` | {row['name']} | {', '.join(row['icd10'])} "
            f"| {', '.join(row['broader'])} | {', '.join(row['may_be'])} "
            f"| {', '.join(row['aliases'])} |"
        )
    out += [
        "",
        "## Rules",
        "",
        "| code | type | severity | evidence | scope | rule | sources |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rule_rows(catalog):
        out.append(
            f"| `{row['code']}` | {row['type']} | {row['severity']} | {row['evidence']} "
            f"| {row['scope']} | {row['summary']} | {', '.join(row['source_ids'])} |"
        )
    out += ["", "## Sources", ""]
    for source in sorted(catalog.sources.values(), key=lambda s: s.id):
        out.append(f"- `{source.id}` [{source.kind.value}]: {source.cite()}")
    return "\n".join(out) + "\n"


def vocabularies(catalog: Catalog) -> dict[str, list[dict[str, Any]]]:
    """Every vocabulary a rule reads: name -> terms, each with the other spellings accepted.

    The fixed ones (route, technique, purpose, area, sex) are built in; the others come
    from the catalog and grow with packs.
    """
    result: dict[str, list[dict[str, Any]]] = {}
    for name, kind in FIXED.items():
        aliases = kind.aliases()
        result[name] = [
            {"term": t, "aliases": sorted(a for a, v in aliases.items() if v == t)}
            for t in kind.terms()
        ]
    ingredients = catalog.ingredients.values()
    open_vocabularies = {
        "medication_class": catalog.medication_classes,
        "ingredient_class": {c for i in ingredients for c in i.classes},
        "allergen": {a for i in ingredients for a in i.allergens},
    }
    for name, terms in open_vocabularies.items():
        result[name] = [{"term": t, "aliases": []} for t in sorted(terms)]
    result["condition"] = [
        {"term": c.id, "aliases": sorted({c.name, *c.aliases} - {c.id})}
        for c in catalog.conditions.values()
    ]
    return result


def condition_rows(catalog: Catalog, conditions: list[Condition]) -> list[dict[str, Any]]:
    """``catalog conditions``: each condition with its codes, relations and the rules on it.

    ``rules`` lists the codes of the rules that fire for it (its own and those on
    every condition it is a kind of); ``not_checked_by`` those that stay not
    checked until the file says more (``may_be``, or a narrower condition).
    """
    rows = []
    for c in conditions:
        fires: set[str] = set()
        open_: set[str] = set()
        for rule in catalog.contraindications:
            if rule.fact is not Fact.CONDITION:
                continue
            relation = catalog.condition_relation(c.id, rule.value)
            if relation is not None:
                (fires if relation.value == "is" else open_).add(rule.code)
        rows.append(
            {
                "id": c.id,
                "name": c.name,
                "icd10": list(c.codes),
                "broader": catalog.broader_conditions(c.id),
                "may_be": list(c.may_be),
                "aliases": list(c.aliases),
                "rules": sorted(fires),
                "not_checked_by": sorted(open_ - fires),
                "provider": c.origin,
            }
        )
    return rows


def conditions_text(rows: list[dict[str, Any]]) -> str:
    """``catalog conditions`` as text: one block per condition."""
    lines = []
    for row in rows:
        lines.append(f"{row['id']}  {row['name']}  [ICD-10 {', '.join(row['icd10']) or '-'}]")
        for key, label in (
            ("broader", "a kind of"),
            ("may_be", "may be"),
            ("aliases", "also"),
            ("rules", "rules"),
            ("not_checked_by", "not checked by"),
        ):
            if row[key]:
                lines.append(f"    {label}: {', '.join(row[key])}")
    return "\n".join(lines)


def vocabularies_text(data: dict[str, list[dict[str, Any]]]) -> str:
    """One block per vocabulary, one line per term."""
    lines = []
    for name, terms in data.items():
        lines.append(f"{name} ({len(terms)})")
        for row in terms:
            also = f"  (also: {', '.join(row['aliases'])})" if row["aliases"] else ""
            lines.append(f"  {row['term']}{also}")
    return "\n".join(lines)


def search_rows(catalog: Catalog, text: str) -> list[dict[str, Any]]:
    """Ingredients, drugs, medication classes, conditions and allergens matching ``text``.

    A match is ``text`` inside an id, name, alias or class (case, accents and
    separators folded); a drug also matches by its ATC codes, and an ATC code
    matches the drugs and classes it falls in.  Rows are labelled by kind.
    """
    needle = normalize(text)
    code = parse_atc(text)
    rows: list[dict[str, Any]] = []

    def hit(*names: str) -> bool:
        return bool(needle) and any(needle in normalize(n) for n in names)

    for i in catalog.search(text):
        rows.append({"kind": "ingredient", **ingredient_row(i)})
    for d in catalog.drugs.values():
        by_code = code is not None and any(c.startswith(code) for c in d.atc)
        if by_code or hit(d.id, d.name, *d.aliases, *d.atc, *d.classes):
            rows.append({"kind": "drug", **drug_row(catalog, d)})
    for r in catalog.class_records.values():
        by_code = code is not None and any(
            code.startswith(p) or p.startswith(code) for p in r.atc_prefixes
        )
        if by_code or hit(r.id, r.name, *r.atc_prefixes):
            rows.append(
                {
                    "kind": "medication_class",
                    "id": r.id,
                    "name": r.name,
                    "classes": [],
                    "aliases": [],
                    "atc": list(r.atc_prefixes),
                }
            )
    for c in catalog.conditions.values():
        if hit(c.id, c.name, *c.aliases):
            rows.append(
                {
                    "kind": "condition",
                    "id": c.id,
                    "name": c.name,
                    "classes": [],
                    "aliases": list(c.aliases),
                }
            )
    allergens = sorted({a for i in catalog.ingredients.values() for a in i.allergens})
    for a in allergens:
        if hit(a):
            holders = sorted(i.id for i in catalog.ingredients.values() if a in i.allergens)
            rows.append(
                {
                    "kind": "allergen",
                    "id": a,
                    "name": a,
                    "classes": [],
                    "aliases": [],
                    "ingredients": holders,
                }
            )
    return rows


def search_text(rows: list[dict[str, Any]], text: str) -> str:
    """``catalog search`` as text: one line per match, labelled by kind."""
    if not rows:
        return f"nothing matches '{text}'"
    kind_w = max(len(r["kind"]) for r in rows)
    id_w = max(len(r["id"]) for r in rows)
    lines = []
    for r in rows:
        extra = r.get("atc") or r.get("ingredients") or []
        tail = f"  [{', '.join(r['classes'])}]" if r["classes"] else ""
        tail += f"  ({', '.join(extra)})" if extra else ""
        lines.append(f"{r['kind']:<{kind_w}}  {r['id']:<{id_w}}  {r['name']}{tail}")
    return "\n".join(lines)


def drug_row(catalog: Catalog, drug: Drug) -> dict[str, Any]:
    """One drug: id, name, every class (own and by ATC group), brands, ATC codes."""
    return {
        "id": drug.id,
        "name": drug.name,
        "classes": list(catalog.drug_classes(drug)),
        "aliases": list(drug.aliases),
        "atc": list(drug.atc),
    }


def _class_rules(catalog: Catalog, classes: set[str], drug_id: str = "") -> list[dict[str, Any]]:
    """The rules that read one of these medication classes (or name the drug)."""
    found: list[Rule] = [
        r
        for r in catalog.contraindications
        if r.fact is Fact.MEDICATION_CLASS and r.value in classes
    ]
    found += [
        r
        for r in catalog.interactions
        if r.with_medication_class in classes or (drug_id and drug_id in r.with_drugs)
    ]
    return [_rule_summary(r) for r in found]


def _rule_summary(r: Rule) -> dict[str, Any]:
    return {
        "id": r.id,
        "code": r.code,
        "type": _kind(r),
        "severity": r.severity.value,
        "evidence": r.evidence.value,
        "scope": _scope(r),
        "sources": list(r.sources),
        "summary": _summary(r),
    }


def drug_detail(catalog: Catalog, drug: Drug) -> dict[str, Any]:
    """A drug with every class (and why), its ATC codes, the rules reading them, sources."""
    classes = catalog.drug_classes(drug)
    why: dict[str, str] = {}
    for cls in classes:
        record = catalog.class_records.get(cls)
        codes = [c for c in drug.atc if record is not None and in_group(c, record.atc_prefixes)]
        if codes:
            why[cls] = f"ATC {', '.join(codes)} in {cls}"
        elif record is not None and drug.id in record.drugs:
            why[cls] = f"named by medication class {cls}"
        else:
            why[cls] = "listed on the drug"
    detail: dict[str, Any] = {"kind": "drug", **unstructure(drug)}
    detail["classes"] = list(classes)
    detail["declared_classes"] = list(drug.classes)
    detail["class_reasons"] = why
    detail["rules"] = _class_rules(catalog, set(classes), drug.id)
    source_ids = sorted({*drug.sources, *(s for r in detail["rules"] for s in r["sources"])})
    detail["sources"] = {s: catalog.sources[s].cite() for s in source_ids}
    detail["provider"] = drug.origin
    return detail


def medication_class_detail(catalog: Catalog, record: MedicationClass) -> dict[str, Any]:
    """A medication class with its ATC groups, its drugs and the rules that read it."""
    detail: dict[str, Any] = {"kind": "medication_class", **unstructure(record)}
    detail["members"] = [
        d.id for d in catalog.drugs.values() if record.id in catalog.drug_classes(d)
    ]
    detail["rules"] = _class_rules(catalog, {record.id})
    source_ids = sorted({*record.sources, *(s for r in detail["rules"] for s in r["sources"])})
    detail["sources"] = {s: catalog.sources[s].cite() for s in source_ids}
    detail["provider"] = record.origin
    return detail


def condition_detail(catalog: Catalog, condition: Condition) -> dict[str, Any]:
    """A condition with every field of its record and the rules that name it."""
    detail: dict[str, Any] = {"kind": "condition", **unstructure(condition)}
    rules = [
        r for r in catalog.contraindications if r.fact is Fact.CONDITION and r.value == condition.id
    ]
    detail["rules"] = [_rule_summary(r) for r in rules]
    source_ids = sorted({s for r in rules for s in r.sources})
    detail["sources"] = {s: catalog.sources[s].cite() for s in source_ids}
    detail["provider"] = condition.origin
    return detail


_SHOWN_ELSEWHERE = ("kind", "id", "name", "rules", "sources", "provider", "origin", "override")


def record_text(detail: dict[str, Any]) -> str:
    """``catalog show`` as text for a drug, a medication class or a condition."""
    lines = [f"{detail['name']} ({detail['id']}) [{detail['kind'].replace('_', ' ')}]"]
    for key, value in detail.items():
        if key in _SHOWN_ELSEWHERE or key in ("class_reasons",):
            continue
        if isinstance(value, dict):
            value = "; ".join(f"{k}: {v}" for k, v in value.items())
        elif isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        lines.append(f"  {key + ':':<19}{value if value not in ('', None) else '-'}")
    for cls, reason in detail.get("class_reasons", {}).items():
        lines.append(f"  class {cls}: {reason}")
    lines.append(f"  {'from:':<19}{detail['provider']}")
    lines.append("  rules:")
    lines += [
        f"    {r['code']} [{r['type']}, {r['severity']}, {r['evidence']}] {r['summary']}"
        for r in detail["rules"]
    ] or ["    (none)"]
    lines.append("  sources:")
    lines += [f"    {k}: {v}" for k, v in detail["sources"].items()] or ["    (none)"]
    return "\n".join(lines)
