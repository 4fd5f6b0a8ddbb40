"""The catalog: every pack merged into one indexed, cross-checked registry.

Look-ups by id or alias are exact and case-insensitive; an unknown name gets
"did you mean".  Building a catalog checks that ids are unique across packs
(an error names both packs), that every rule points at known ingredients and
sources, and that every alias means exactly one thing.  Results never depend
on the order packs arrive in: packs are merged sorted by name.

A catalog is read-only, all the way down: its mappings are
:class:`types.MappingProxyType` views, its collections tuples and frozensets,
its records frozen.  Every check sees the same catalog, so one that tried to
change it would change the results of the checks after it; it gets an error
instead (and is reported as a failed check).
"""

from __future__ import annotations

import difflib
import functools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, TypeVar

import attrs

from mesoreg._errors import InputError, Problem, UnknownNameError
from mesoreg._knowledge import (
    Condition,
    Contraindication,
    Drug,
    Fact,
    Ingredient,
    Interaction,
    Limit,
    Pack,
    Regulation,
    Source,
)

_RECORD_KINDS = (
    "sources",
    "ingredients",
    "drugs",
    "conditions",
    "contraindications",
    "interactions",
    "compatibilities",
    "limits",
    "regulations",
)


def _key(name: str) -> str:
    return " ".join(name.casefold().replace("_", " ").split())


@attrs.frozen
class _Index:
    """Names (ids and aliases, case-folded) to records of one kind."""

    what: str
    by_name: Mapping[str, Any]

    def find(self, name: str) -> Any | None:
        return self.by_name.get(_key(name))

    def suggest(self, name: str) -> list[str]:
        return difflib.get_close_matches(_key(name), list(self.by_name), n=3, cutoff=0.6)


def _build_index(what: str, records: Iterable[Any], problems: list[Problem]) -> _Index:
    by_name: dict[str, Any] = {}
    for record in records:
        for name in (record.id, record.name, *record.aliases):
            key = _key(name)
            other = by_name.get(key)
            if other is not None and other.id != record.id:
                problems.append(
                    Problem(
                        f"{what}.{record.id}",
                        f"name '{name}' also names {what} '{other.id}' (from {other.origin}).",
                        "Remove the alias from one of them.",
                        path=record.origin,
                    )
                )
            by_name.setdefault(key, record)
    return _Index(what, MappingProxyType(by_name))


@attrs.frozen(slots=False)  # slots off: cached_property needs a __dict__
class Catalog:
    """Ingredients, drugs, conditions and rules from every pack, indexed for look-up."""

    packs: tuple[tuple[str, str], ...]
    sources: Mapping[str, Source]
    ingredients: Mapping[str, Ingredient]
    drugs: Mapping[str, Drug]
    conditions: Mapping[str, Condition]
    contraindications: tuple[Contraindication, ...]
    interactions: tuple[Interaction, ...]
    compatibilities: frozenset[frozenset[str]]
    limits: Mapping[str, tuple[Limit, ...]]
    regulations: tuple[Regulation, ...]
    #: normalised classes and allergenic components of every ingredient
    allergen_terms: frozenset[str]
    _interaction_index: Mapping[str, tuple[Interaction, ...]]
    _contraindication_index: Mapping[str, tuple[Contraindication, ...]]
    _ingredient_index: _Index
    _drug_index: _Index
    _condition_index: _Index

    # -- look-ups -----------------------------------------------------------

    def find_ingredient(self, name: str) -> Ingredient | None:
        """The ingredient with this id or alias, or None."""
        found: Ingredient | None = self._ingredient_index.find(name)
        return found

    def get_ingredient(self, name: str, key_path: str = "") -> Ingredient:
        """The ingredient with this id or alias; :class:`UnknownNameError` with suggestions."""
        found = self.find_ingredient(name)
        if found is None:
            raise UnknownNameError([self.unknown_ingredient(name, key_path)])
        return found

    def unknown_ingredient(self, name: str, key_path: str = "") -> Problem:
        """The problem to report for an ingredient name the catalog does not know."""
        close = self._ingredient_index.suggest(name)
        # the closest name only: a list of weak guesses misleads more than it helps
        guess = f" Did you mean '{self._ingredient_index.by_name[close[0]].id}'?" if close else ""
        word = name.split()[0][:5] if name.split() else name
        return Problem(
            key_path,
            f"unknown ingredient '{name}'.{guess}",
            f"Run 'mesoreg catalog search {word}'.",
        )

    def similar_ingredients(self, name: str, cutoff: float = 0.8) -> list[Ingredient]:
        """Ingredients with an id or alias close to ``name`` (a likely typo of it), by id."""
        index = self._ingredient_index
        close = difflib.get_close_matches(_key(name), list(index.by_name), n=10, cutoff=cutoff)
        found = {index.by_name[c].id: index.by_name[c] for c in close}
        return [found[k] for k in sorted(found)]

    def find_drug(self, name: str) -> Drug | None:
        """The drug with this generic or brand name, or None."""
        found: Drug | None = self._drug_index.find(name)
        return found

    def find_condition(self, name: str) -> Condition | None:
        """The condition with this id or alias, or None."""
        found: Condition | None = self._condition_index.find(name)
        return found

    def suggest_condition(self, name: str) -> list[str]:
        """Condition ids whose names are close to ``name``."""
        index = self._condition_index
        return sorted({index.by_name[c].id for c in index.suggest(name)})

    def search(self, text: str) -> list[Ingredient]:
        """Ingredients whose id, name, alias or class contains ``text``."""
        needle = _key(text)
        return sorted(
            (
                i
                for i in self.ingredients.values()
                if any(needle in _key(n) for n in (i.id, i.name, *i.aliases, *i.classes))
            ),
            key=lambda i: i.id,
        )

    def limits_for(self, ingredient_id: str) -> tuple[Limit, ...]:
        """Dose and technique limits of one ingredient ('' for the general ones)."""
        return self.limits.get(ingredient_id, ())

    @functools.cached_property
    def general_contraindications(self) -> tuple[Contraindication, ...]:
        """Contraindications that concern every formulation."""
        return tuple(
            r for r in self.contraindications if not r.ingredients and not r.ingredient_classes
        )

    def contraindications_for(self, ingredient_ids: Iterable[str]) -> list[Contraindication]:
        """General contraindications and those of these ingredients, in id order; indexed."""
        found = {r.id: r for r in self.general_contraindications}
        for ingredient_id in ingredient_ids:
            found.update((r.id, r) for r in self._contraindication_index.get(ingredient_id, ()))
        return [found[k] for k in sorted(found)]

    def interactions_for(self, ingredient_id: str) -> tuple[Interaction, ...]:
        """Interaction rules whose first side is this ingredient (by id or class); indexed."""
        return self._interaction_index.get(ingredient_id, ())

    def is_compatible(self, a: str, b: str) -> bool:
        """True when published data says ``a`` and ``b`` may share a syringe."""
        return frozenset((a, b)) in self.compatibilities

    def cite(self, source_ids: Sequence[str]) -> tuple[Source, ...]:
        """The sources behind a rule."""
        return tuple(self.sources[s] for s in source_ids)


def matches(ingredient: Ingredient, ids: Sequence[str], classes: Sequence[str]) -> bool:
    """True when the ingredient is one of ``ids`` or belongs to one of ``classes``."""
    return ingredient.id in ids or any(c in ingredient.classes for c in classes)


def _collect(packs: Sequence[Pack], kind: str, problems: list[Problem]) -> dict[str, Any]:
    """Records of one kind from every pack, by id.

    A duplicate id is an error naming both packs, unless exactly one of the two
    declares ``override = true`` (it then wins, whatever order packs come in), or
    both are the same source restated word for word.
    """
    seen: dict[str, Any] = {}
    for pack in packs:
        for record in getattr(pack, kind):
            if not record.origin:
                record = attrs.evolve(record, origin=f"{pack.name} {pack.version}")
            previous = seen.get(record.id)
            if previous is None:
                seen[record.id] = record
            elif kind == "sources" and previous == record:
                continue
            elif record.override != previous.override:
                seen[record.id] = record if record.override else previous
            else:
                both = "both override it" if record.override else "also defined in"
                problems.append(
                    Problem(
                        f"{kind}.{record.id}",
                        f"duplicate id '{record.id}': {both} {previous.origin}.",
                        "Rename one of them, or set override = true on the one that should win.",
                        path=record.origin,
                    )
                )
    return seen


def _check_references(catalog: Catalog, problems: list[Problem]) -> None:
    classes = {c for i in catalog.ingredients.values() for c in i.classes}
    drug_classes = {c for d in catalog.drugs.values() for c in d.classes}

    def need(record: Any, kind: str, ids: Iterable[str], known: Any, what: str) -> None:
        for value in ids:
            if value and value not in known:
                problems.append(
                    Problem(
                        f"{kind}.{record.id}",
                        f"unknown {what} '{value}'.",
                        "Define it or fix the spelling.",
                        path=record.origin,
                    )
                )

    rules: list[tuple[str, Any]] = [
        *(("contraindications", r) for r in catalog.contraindications),
        *(("interactions", r) for r in catalog.interactions),
        *(("limits", r) for group in catalog.limits.values() for r in group),
        *(("ingredients", r) for r in catalog.ingredients.values()),
        *(("drugs", r) for r in catalog.drugs.values()),
        *(("regulations", r) for r in catalog.regulations),
    ]
    for kind, rule in rules:
        need(rule, kind, rule.sources, catalog.sources, "source")
        if not rule.sources:
            problems.append(
                Problem(
                    f"{kind}.{rule.id}",
                    "has no source.",
                    "Every fact needs a public source.",
                    path=rule.origin,
                )
            )
    for rule in catalog.contraindications:
        need(rule, "contraindications", rule.ingredients, catalog.ingredients, "ingredient")
        need(rule, "contraindications", rule.ingredient_classes, classes, "ingredient class")
        if rule.fact is Fact.CONDITION:
            need(rule, "contraindications", [rule.value], catalog.conditions, "condition")
        if rule.fact is Fact.MEDICATION_CLASS:
            need(rule, "contraindications", [rule.value], drug_classes, "medication class")
    for rule in catalog.interactions:
        need(
            rule,
            "interactions",
            [*rule.ingredients, *rule.with_ingredients],
            catalog.ingredients,
            "ingredient",
        )
        need(
            rule,
            "interactions",
            [*rule.ingredient_classes, *rule.with_ingredient_classes],
            classes,
            "ingredient class",
        )
        need(rule, "interactions", [rule.with_medication_class], drug_classes, "medication class")
        need(rule, "interactions", rule.with_drugs, catalog.drugs, "drug")
        sides = [
            bool(rule.with_ingredients or rule.with_ingredient_classes),
            rule.with_any,
            bool(rule.with_medication_class),
            bool(rule.with_drugs),
        ]
        if sum(sides) != 1 or not (rule.ingredients or rule.ingredient_classes):
            problems.append(
                Problem(
                    f"interactions.{rule.id}",
                    "needs one first side (ingredients or "
                    "ingredient_classes) and exactly one second side (with_ingredients or "
                    "with_ingredient_classes, with_any, with_medication_class, with_drugs)",
                    "See the header of interactions.toml.",
                    path=rule.origin,
                )
            )
    for group in catalog.limits.values():
        for limit in group:
            need(
                limit,
                "limits",
                [limit.ingredient, limit.with_ingredient],
                catalog.ingredients,
                "ingredient",
            )
    for reg in catalog.regulations:
        need(reg, "regulations", reg.ingredients, catalog.ingredients, "ingredient")
        need(reg, "regulations", reg.ingredient_classes, classes, "ingredient class")
        if not reg.regions:
            problems.append(
                Problem(
                    f"regulations.{reg.id}",
                    "names no region",
                    'Add regions = ["FR"] (ISO 3166 codes).',
                    path=reg.origin,
                )
            )
        if reg.valid_from and reg.valid_to and reg.valid_to <= reg.valid_from:
            problems.append(
                Problem(
                    f"regulations.{reg.id}",
                    "valid_to is not after valid_from",
                    "valid_to is the first day the rule no longer applies.",
                    path=reg.origin,
                )
            )


R = TypeVar("R", Interaction, Contraindication)


def _index_by_ingredient(
    ingredients: Iterable[Ingredient], rules: Iterable[R]
) -> dict[str, tuple[R, ...]]:
    """Ingredient id -> the rules that name it or one of its classes; never scan all rules."""
    by_id: defaultdict[str, list[R]] = defaultdict(list)
    by_class: defaultdict[str, list[R]] = defaultdict(list)
    for rule in sorted(rules, key=lambda r: r.id):
        for ingredient_id in rule.ingredients:
            by_id[ingredient_id].append(rule)
        for cls in rule.ingredient_classes:
            by_class[cls].append(rule)
    index: dict[str, tuple[R, ...]] = {}
    for ingredient in ingredients:
        found = {r.id: r for r in by_id.get(ingredient.id, ())}
        for cls in ingredient.classes:
            found.update((r.id, r) for r in by_class.get(cls, ()))
        if found:
            index[ingredient.id] = tuple(found[k] for k in sorted(found))
    return index


def normalize_term(term: str) -> str:
    """An allergy term compared loosely: case, spaces, hyphens, plurals and 'sulph' spelling."""
    word = term.casefold().replace("-", "_").replace(" ", "_").replace("sulph", "sulf")
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def build_catalog(packs: Iterable[Pack]) -> Catalog:
    """Merge packs into one catalog; :class:`InputError` lists every clash and dangling id."""
    ordered = sorted(packs, key=lambda p: p.name)
    problems: list[Problem] = []
    records = {kind: _collect(ordered, kind, problems) for kind in _RECORD_KINDS}
    limits: defaultdict[str, list[Limit]] = defaultdict(list)
    # sorted by kind, then id: checks group an ingredient's limits by kind without sorting
    for limit in sorted(records["limits"].values(), key=lambda x: (x.kind, x.id)):
        limits[limit.ingredient].append(limit)
    catalog = Catalog(
        packs=tuple((p.name, p.version) for p in ordered),
        sources=MappingProxyType(records["sources"]),
        ingredients=MappingProxyType(dict(sorted(records["ingredients"].items()))),
        drugs=MappingProxyType(dict(sorted(records["drugs"].items()))),
        conditions=MappingProxyType(dict(sorted(records["conditions"].items()))),
        contraindications=tuple(sorted(records["contraindications"].values(), key=lambda x: x.id)),
        interactions=tuple(sorted(records["interactions"].values(), key=lambda x: x.id)),
        compatibilities=frozenset(
            frozenset(c.ingredients) for c in records["compatibilities"].values()
        ),
        limits=MappingProxyType({k: tuple(v) for k, v in limits.items()}),
        regulations=tuple(sorted(records["regulations"].values(), key=lambda x: x.id)),
        interaction_index=MappingProxyType(
            _index_by_ingredient(records["ingredients"].values(), records["interactions"].values())
        ),
        contraindication_index=MappingProxyType(
            _index_by_ingredient(
                records["ingredients"].values(), records["contraindications"].values()
            )
        ),
        allergen_terms=frozenset(
            normalize_term(t)
            for i in records["ingredients"].values()
            for t in (*i.classes, *i.allergens)
        ),
        ingredient_index=_build_index("ingredient", records["ingredients"].values(), problems),
        drug_index=_build_index("drug", records["drugs"].values(), problems),
        condition_index=_build_index("condition", records["conditions"].values(), problems),
    )
    _check_references(catalog, problems)
    for compat in records["compatibilities"].values():
        for ingredient in compat.ingredients:
            if ingredient not in catalog.ingredients:
                problems.append(
                    Problem(
                        f"compatibilities.{compat.id}",
                        f"unknown ingredient '{ingredient}'",
                        "Define it or fix the spelling.",
                        path=compat.origin,
                    )
                )
    if problems:
        raise InputError(problems)
    return catalog


def iter_rules(
    catalog: Catalog,
) -> Iterator[Contraindication | Interaction | Limit | Regulation]:
    """Every rule in the catalog, in id order within each kind."""
    yield from catalog.contraindications
    yield from catalog.interactions
    for group in catalog.limits.values():
        yield from group
    yield from catalog.regulations
