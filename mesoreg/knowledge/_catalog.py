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
from mesoreg.documents._knowledge import (
    RECORD_KINDS,
    Condition,
    Contraindication,
    Drug,
    Fact,
    Ingredient,
    Interaction,
    Limit,
    LimitKind,
    MedicationClass,
    Pack,
    Regulation,
    Source,
)
from mesoreg.documents._model import Medication
from mesoreg.documents._validate import problems_in
from mesoreg.documents._vocabulary import normalize
from mesoreg.knowledge._atc import in_group, is_atc, parse_atc
from mesoreg.knowledge._condition import ConditionIndex, Relation, build_condition_index
from mesoreg.knowledge._names import NameIndex, NameMatch, strip_strengths
from mesoreg.knowledge._override import Override, compare, compare_bounds
from mesoreg.knowledge._pack import CORE_PACK, name_skeleton, pack_name_problems

#: the only plugin that may supply a pack named mesoreg-core
CORE_PLUGIN = "mesoreg.checks._core"


def _key(name: str) -> str:
    return normalize(name)


@attrs.frozen
class _Index:
    """Names of one kind of record (ids, names, aliases) to the records, exact and loose."""

    what: str
    by_name: Mapping[str, Any]
    by_id: Mapping[str, Any]
    names: NameIndex
    #: loose matching (salts, qualifiers, word order); conditions keep to exact names
    loose: bool = True
    #: 'refuse' a strength inside a name (ingredients) or 'strip' it (patient medications)
    strengths: str = "refuse"

    def match(self, name: str) -> NameMatch:
        return self.names.match(name, loose=self.loose, strengths=self.strengths)

    def find(self, name: str) -> Any | None:
        found = self.match(name).id
        return self.by_id[found] if found is not None else None

    def suggest(self, name: str, other_names: Iterable[str] = ()) -> list[str]:
        return self.names.suggest(name, other_names)


def _build_index(
    what: str, records: Iterable[Any], problems: list[Problem], **options: Any
) -> _Index:
    by_name: dict[str, Any] = {}
    records = list(records)
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
    names = NameIndex.build((r.id, (r.id, r.name, *r.aliases)) for r in records)
    by_id = MappingProxyType({r.id: r for r in records})
    return _Index(what, MappingProxyType(by_name), by_id, names, **options)


@attrs.frozen(slots=False)  # slots off: cached_property needs a __dict__
class Catalog:
    """Ingredients, drugs, conditions and rules from every pack, indexed for look-up."""

    packs: tuple[tuple[str, str], ...]
    sources: Mapping[str, Source]
    ingredients: Mapping[str, Ingredient]
    drugs: Mapping[str, Drug]
    conditions: Mapping[str, Condition]
    #: medication classes defined by a record (on ATC groups, or by named drugs)
    class_records: Mapping[str, MedicationClass]
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
    _condition_index: ConditionIndex
    #: full ATC code -> the drug that has it
    _atc_index: Mapping[str, Drug]
    #: overrides applied: records of one pack replaced or displaced by another's
    overrides: tuple[Override, ...] = ()

    # -- look-ups -----------------------------------------------------------

    def find_ingredient(self, name: str) -> Ingredient | None:
        """The one ingredient this name means (:mod:`mesoreg.knowledge._names`), or None.

        None also when the name is ambiguous, carries a strength, names a
        combination or has a qualifier that is not understood:
        :meth:`unknown_ingredient` says which.
        """
        found: Ingredient | None = self._ingredient_index.find(name)
        return found

    def match_ingredient(self, name: str) -> NameMatch:
        """How ``name`` resolves to ingredients: one id, or why it is refused."""
        return self._ingredient_index.match(name)

    def get_ingredient(self, name: str, key_path: str = "") -> Ingredient:
        """The ingredient with this id or alias; :class:`UnknownNameError` with suggestions."""
        found = self.find_ingredient(name)
        if found is None:
            raise UnknownNameError([self.unknown_ingredient(name, key_path)])
        return found

    def describe_ingredient(self, ingredient_id: str) -> str:
        """``'lidocaine' (local anaesthetic)``: an id with its first class, for messages."""
        classes = self.ingredients[ingredient_id].classes
        # 'amide_local_anaesthetic' adds nothing beside 'local_anaesthetic'
        shown = [c for c in classes if not any(o != c and o in c for o in classes)]
        kind = ", ".join(c.replace("_", " ") for c in shown) or "ingredient"
        return f"'{ingredient_id}' ({kind})"

    def unknown_ingredient(self, name: str, key_path: str = "") -> Problem:
        """The problem to report for an ingredient name that does not resolve to one entry."""
        found = self.match_ingredient(name)
        word = name.split()[0][:5] if name.split() else name
        search = f"Run 'mesoreg catalog search {word}'."
        listed = _either([self.describe_ingredient(i) for i in found.ids], "or")
        if found.reason == "strength":
            bare = self.find_ingredient(strip_strengths(name))
            write = f"'{bare.id}'" if bare is not None else "the name alone"
            return Problem(
                key_path,
                f"ingredient '{name}' has a strength in its name ('{found.detail}'): "
                "a strength there is not read.",
                f"Write {write} as the ingredient and the strength in 'strength'.",
            )
        if found.reason == "combination":
            parts = [self.find_ingredient(p.name) for p in found.parts]
            shown = ", ".join(
                self.describe_ingredient(i.id) if i is not None else f"'{p.name}' (unknown)"
                for p, i in zip(found.parts, parts, strict=True)
            )
            return Problem(
                key_path,
                f"'{name}' names a combination ({shown}), not one ingredient.",
                "Write the first active as 'ingredient' and each other one in "
                "'co_ingredients', each with its own strength.",
            )
        if found.reason == "ambiguous":
            return Problem(
                key_path,
                f"ingredient '{name}' could mean {listed}: refused rather than guessed.",
                f"Write the id of the one you mean. {search}",
            )
        if found.reason == "conflict":
            return Problem(
                key_path,
                f"ingredient '{name}' names different ingredients: "
                f"{_either([self.describe_ingredient(i) for i in found.ids], 'and')}.",
                f"Write the id of the one you mean. {search}",
            )
        if found.reason == "qualifier":
            return Problem(
                key_path,
                f"ingredient '{name}': the qualifier '{found.detail}' is not understood, "
                "so the name may mean another product: refused rather than guessed.",
                f"Write a catalog name or id without it. {search}",
            )
        close = self._ingredient_index.suggest(name, self._other_names("ingredient"))
        guess = ""
        if close:
            guess = f" Did you mean {_either([self.describe_ingredient(i) for i in close], 'or')}?"
        elif self.find_drug(name) is not None:
            guess = " It is a patient medication in the catalog, not a formulation ingredient."
        return Problem(key_path, f"unknown ingredient '{name}'.{guess}", search)

    def _other_names(self, kind: str) -> frozenset[str]:
        """Names of the other kinds of record: a real name of something else is no typo."""
        names: dict[str, Iterable[str]] = {
            "ingredient": self._ingredient_index.names.exact,
            "drug": self._drug_index.names.exact,
            "condition": self._condition_index.by_name,
        }
        return frozenset(key for what, keys in names.items() if what != kind for key in keys)

    def similar_ingredients(self, name: str, cutoff: float = 0.8) -> list[Ingredient]:
        """Ingredients with an id or alias close to ``name`` (a likely typo of it), by id.

        Deliberately wide (difflib ratio): it is used to refuse, never to suggest.
        """
        index = self._ingredient_index
        close = difflib.get_close_matches(_key(name), list(index.by_name), n=10, cutoff=cutoff)
        found = {index.by_name[c].id: index.by_name[c] for c in close}
        return [found[k] for k in sorted(found)]

    def find_drug(self, name: str) -> Drug | None:
        """The one drug this generic or brand name (salts, strengths folded) or ATC code means.

        None when it is none; a combination ("bisoprolol + aspirin") is None here: see
        :meth:`find_drugs`.
        """
        found: Drug | None = self._drug_index.find(name)
        if found is None:
            code = parse_atc(name)
            found = self._atc_index.get(code) if code else None
        return found

    def drug_classes(self, drug: Drug) -> tuple[str, ...]:
        """Every class of a drug: its own, those its ATC codes fall in, those naming it."""
        known = self._drug_class_table.get(drug.id)
        if known is not None and self.drugs.get(drug.id) is drug:
            return known
        return self._classes_of(drug)

    def _classes_of(self, drug: Drug) -> tuple[str, ...]:
        classes = set(drug.classes)
        for record in self.class_records.values():
            if drug.id in record.drugs or any(
                in_group(code, record.atc_prefixes) for code in drug.atc
            ):
                classes.add(record.id)
        return tuple(sorted(classes))

    @functools.cached_property
    def _drug_class_table(self) -> Mapping[str, tuple[str, ...]]:
        """Every drug's classes, worked out once."""
        return MappingProxyType({d.id: self._classes_of(d) for d in self.drugs.values()})

    def classes_of_medications(
        self, medications: Iterable[Medication]
    ) -> dict[str, tuple[str, ...]]:
        """Each medication's name and classes: what the catalog knows plus any declared ones.

        A known drug (by generic or brand name, or ATC code) has its own classes and
        those of the ATC groups it lies in; an ATC code that is no drug of the catalog
        has the classes of its groups; a combination ("bisoprolol + aspirin") has the
        classes of every component.  Declared classes add to these and never remove
        them.  A medication none of whose components the catalog can classify and that
        declares no classes is left out (it is reported as not checked).
        """
        result: dict[str, tuple[str, ...]] = {}
        for med in medications:
            found = [self.classify_medication(n) for n, _ in self.find_drugs(med.name)]
            known = [f for f in found if f is not None]
            if not known and med.classes is None:
                continue
            declared = {self.find_medication_class(c) for c in med.classes or ()}
            classes = {c for f in known for c in f[2]}
            classes |= {c for c in declared if c is not None}
            result[med.name] = tuple(sorted(classes | set(result.get(med.name, ()))))
        return result

    def atc_classes(self, code: str) -> tuple[str, ...]:
        """The classes an ATC code (or group) lies in, by the class records' ATC groups."""
        return tuple(
            sorted(r.id for r in self.class_records.values() if in_group(code, r.atc_prefixes))
        )

    def classify_medication(self, name: str) -> tuple[Drug | None, str, tuple[str, ...]] | None:
        """What the catalog knows of a patient's medication: (drug, ATC code, classes).

        A drug by name, brand or ATC code gives its classes (the code is '' when it was
        named).  An ATC code that is no drug's gives the classes of the groups it lies
        in, with drug None: other classes it may have are unknown.  None when the name
        is neither a known drug nor an ATC code.
        """
        drug = self.find_drug(name)
        if drug is not None:
            return drug, parse_atc(name) or "", self.drug_classes(drug)
        code = parse_atc(name)
        if code is None:
            return None
        return None, code, self.atc_classes(code)

    def find_condition(self, name: str) -> Condition | None:
        """The condition with this id, name, alias or WHO ICD-10 code, or None.

        A code (``I63.9``, ``ICD-10:I63.9``) maps to the most specific condition
        whose codes contain it (:mod:`mesoreg.knowledge._condition`).
        """
        return self._condition_index.find(name)

    def suggest_condition(self, name: str) -> list[str]:
        """Ids of conditions with a name spelled almost like ``name`` (typos only)."""
        return self._condition_index.suggest(name)

    def condition_relation(self, condition_id: str, rule_value: str) -> Relation | None:
        """Whether a rule on condition ``rule_value`` applies to ``condition_id``.

        ``Relation.IS`` when it is that condition or a kind of it (``broader``);
        ``Relation.MAY_BE`` when it amounts to it only at a severity or stage
        its name does not state (``may_be``); None otherwise.
        """
        return self._condition_index.relation(condition_id, rule_value)

    def broader_conditions(self, condition_id: str) -> list[str]:
        """Ids of every condition ``condition_id`` is a kind of, itself left out, sorted."""
        return sorted(self._condition_index.lineage.get(condition_id, frozenset()) - {condition_id})

    def search_conditions(self, text: str) -> list[Condition]:
        """Conditions whose id, name or alias contains ``text``, or that a code ``text`` means.

        A code also lists the conditions it is a kind of, so a search for
        ``I63.9`` shows ischaemic stroke and stroke.
        """
        needle = _key(text)
        found = {
            c.id: c
            for c in self.conditions.values()
            if needle and any(needle in _key(n) for n in (c.id, c.name, *c.aliases))
        }
        coded = self._condition_index.find(text)
        if coded is not None:
            for cid in self._condition_index.lineage[coded.id]:
                found[cid] = self.conditions[cid]
        return [found[k] for k in sorted(found)]

    def find_drugs(self, name: str) -> tuple[tuple[str, Drug | None], ...]:
        """Each component of a medication name with its drug, None for one not known.

        ``'estradiol/dienogest'`` gives both components; a single name gives one pair.
        A name resolving to one catalog entry (a combination product with its own
        record, such as 'Yasmin') is that entry.
        """
        found = self._drug_index.match(name)
        if found.reason == "combination":
            return tuple(
                (
                    p.name,
                    self._drug_index.by_id[p.id] if p.id is not None else self.find_drug(p.name),
                )
                for p in found.parts
            )
        return ((name, self.find_drug(name)),)

    @functools.cached_property
    def medication_classes(self) -> frozenset[str]:
        """The medication class vocabulary: every drug's classes and every class a rule names."""
        named = {r.value for r in self.contraindications if r.fact is Fact.MEDICATION_CLASS}
        named |= {r.with_medication_class for r in self.interactions if r.with_medication_class}
        named |= set(self.class_records)
        return frozenset(named | {c for d in self.drugs.values() for c in d.classes})

    def find_medication_class(self, name: str) -> str | None:
        """The medication class ``name`` spells (case, accents, separators folded), or None."""
        key = normalize(name)
        return key if key in self.medication_classes else None

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
        return b in self._compatible.get(a, ())

    def compatible_with(self, a: str) -> frozenset[str]:
        """Every ingredient published as compatible with ``a`` in one syringe; indexed."""
        return self._compatible.get(a, frozenset())

    @functools.cached_property
    def _compatible(self) -> Mapping[str, frozenset[str]]:
        """Ingredient id -> the ingredients published as compatible with it."""
        partners: dict[str, set[str]] = {}
        for pair in self.compatibilities:
            for a in pair:
                partners.setdefault(a, set()).update(pair - {a} or {a})
        return MappingProxyType({k: frozenset(v) for k, v in partners.items()})

    def cite(self, source_ids: Sequence[str]) -> tuple[Source, ...]:
        """The sources behind a rule."""
        return tuple(self.sources[s] for s in source_ids)


def _either(items: Sequence[str], word: str) -> str:
    """``'a'``, ``'a' or 'b'``, ``'a', 'b' or 'c'``."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def matches(ingredient: Ingredient, ids: Sequence[str], classes: Sequence[str]) -> bool:
    """True when the ingredient is one of ``ids`` or belongs to one of ``classes``."""
    return ingredient.id in ids or any(c in ingredient.classes for c in classes)


def _collect(
    packs: Sequence[Pack],
    kind: str,
    problems: list[Problem],
    overrides: list[Override],
    allowed: frozenset[str],
) -> dict[str, tuple[Any, str]]:
    """Records of one kind from every pack, by id, each with the name of its pack.

    A duplicate id is an error naming both packs, unless exactly one of the two
    declares ``override = true`` (it then wins, whatever order packs come in), or
    both are the same source restated word for word.  An override from another
    pack is compared with the record it replaces (:mod:`mesoreg.knowledge._override`): it
    is listed, and refused when it weakens that record unless ``allowed`` names it.
    """
    seen: dict[str, tuple[Any, str]] = {}
    for pack in packs:
        for record in getattr(pack, kind):
            if not record.origin:
                record = attrs.evolve(record, origin=f"{pack.name} {pack.version}")
            found = seen.get(record.id)
            if found is None:
                seen[record.id] = (record, pack.name)
                continue
            previous = found[0]
            if kind == "sources" and previous == record:
                continue
            if record.override != previous.override:
                winner, loser = (record, pack.name), found
                if previous.override:
                    winner, loser = found, (record, pack.name)
                seen[record.id] = winner
                if winner[1] != loser[1]:
                    found_override = compare(kind, loser[0], winner[0], winner[1], allowed)
                    _judge(found_override, overrides, problems, winner[0].origin)
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


def _judge(
    found: Override, overrides: list[Override], problems: list[Problem], origin: str = ""
) -> None:
    """List an override, or refuse it when it weakens and the configuration does not allow it."""
    if found.is_weakening and not found.allowed:
        problems.append(
            Problem(
                f"{found.kind}.{found.id}",
                f"pack '{found.pack}' weakens {found.replaces}: {'; '.join(found.weakening)}.",
                f"Remove the override, make it only tighten, or allow it locally with "
                f'allow_weakening = ["{found.key}"] in mesoreg.toml '
                f"(or --allow-weakening {found.key}).",
                path=origin,
            )
        )
    else:
        overrides.append(found)


def _displacements(
    packs: Sequence[Pack],
    owned: Iterable[tuple[Limit, str]],
    allowed: frozenset[str],
    problems: list[Problem],
) -> list[Override]:
    """Limits that push aside another pack's limits when they apply, held to the same policy.

    A limit that holds only with another ingredient replaces the ingredient's
    plain limits of its kind; an ingredient's own depth, interval or route limit
    replaces the general ones of its kind.  Adding either is an override in effect.

    Who a limit belongs to is the pack that first supplied it (the one whose
    record has no ``override``), whoever overrode it since.  Limits first supplied
    by one pack displacing each other (lidocaine with epinephrine) are that pack's
    design; an override of either is judged on its own (:func:`_collect`).  Any
    other displacement is compared with every record of the displaced limit that
    another pack supplied, the original included: restating another pack's limit
    word for word never makes it one's own to push aside.
    """
    supplied: defaultdict[str, list[tuple[Limit, str]]] = defaultdict(list)
    for supplier in packs:
        for limit in supplier.limits:
            origin = f"{supplier.name} {supplier.version}"
            record = limit if limit.origin else attrs.evolve(limit, origin=origin)
            supplied[limit.id].append((record, supplier.name))

    first = {
        lid: next((p for r, p in records if not r.override), records[0][1])
        for lid, records in supplied.items()
    }
    owned = sorted(owned, key=lambda pair: pair[0].id)
    # what each limit could push aside, found by index rather than by comparing every pair
    plain: defaultdict[tuple[str, LimitKind], list[Limit]] = defaultdict(list)
    general: defaultdict[LimitKind, list[Limit]] = defaultdict(list)
    for other, _ in owned:
        if not other.with_ingredient:
            plain[other.ingredient, other.kind].append(other)
        if not other.ingredient:
            general[other.kind].append(other)
    found: list[Override] = []
    for limit, pack in owned:
        candidates: dict[str, Limit] = {}
        if limit.with_ingredient:  # a variant replaces the ingredient's plain limits
            candidates.update((o.id, o) for o in plain[limit.ingredient, limit.kind])
        if limit.ingredient and limit.kind in _TECHNIQUE_KINDS:  # its own replaces general
            candidates.update((o.id, o) for o in general[limit.kind])
        for other_id in sorted(candidates):
            if other_id == limit.id or first.get(limit.id) == first.get(other_id):
                continue
            origin = limit.origin or pack
            for displaced, displaced_pack in supplied[other_id]:
                if displaced_pack != pack:
                    found_override = compare_bounds(displaced, limit, pack, allowed)
                    _judge(found_override, found, problems, origin)
    return found


_TECHNIQUE_KINDS = (LimitKind.DEPTH, LimitKind.INTERVAL, LimitKind.ROUTE)


def _pack_names(packs: Sequence[Pack], providers: Sequence[str] | None) -> list[Problem]:
    """Every pack has a well-formed name of its own; only mesoreg may call a pack mesoreg-core.

    Names are compared by how they look (:func:`mesoreg.knowledge._pack.name_skeleton`),
    so 'mesoreg-c0re' is refused like 'mesoreg-core', and two packs whose names
    look alike are refused like two with one name.
    """
    problems: list[Problem] = []
    who = (
        list(providers)
        if providers is not None
        else [f"pack #{i} {p.name!a}" for i, p in enumerate(packs, 1)]
    )
    by_look: defaultdict[str, set[tuple[str, str]]] = defaultdict(set)
    core = name_skeleton(CORE_PACK)
    for pack, provider in zip(packs, who, strict=True):
        bad = pack_name_problems(pack.name, pack.version)
        if bad:
            problems.extend(
                Problem(f"packs.{pack.name!a}", f"plugin '{provider}': {line}: refused.",
                        "Give the pack a name of its own in that form.")
                for line in bad
            )  # fmt: skip
            continue
        by_look[name_skeleton(pack.name)].add((pack.name, provider))
        if name_skeleton(pack.name) == core and providers is not None and provider != CORE_PLUGIN:
            problems.append(
                Problem(
                    f"packs.{pack.name}",
                    f"plugin '{provider}' calls its pack '{pack.name}', "
                    + ("" if pack.name == CORE_PACK else f"which looks like '{CORE_PACK}', ")
                    + "the name of mesoreg's built-in pack: refused.",
                    "Give the pack a name of its own.",
                )
            )
    for _, owners in sorted(by_look.items()):
        names = sorted({name for name, _ in owners})
        if len(owners) > 1:
            listed = ", ".join(sorted(provider for _, provider in owners))
            what = f"named '{names[0]}'" if len(names) == 1 else "named alike (" + ", ".join(
                f"'{n}'" for n in names) + ")"  # fmt: skip
            problems.append(
                Problem(
                    f"packs.{names[0]}",
                    f"two packs are {what} (from {listed}): refused.",
                    "Every pack needs a name of its own: rename one, or --deny one of the plugins.",
                )
            )
    return problems


def _build_atc_index(drugs: Iterable[Drug], problems: list[Problem]) -> dict[str, Drug]:
    """Full ATC code -> drug; a code on two drugs is refused (it would name either)."""
    index: dict[str, Drug] = {}
    for drug in drugs:
        for code in drug.atc:
            other = index.get(code)
            if other is not None and other.id != drug.id:
                problems.append(
                    Problem(
                        f"drugs.{drug.id}",
                        f"ATC code '{code}' also belongs to drug '{other.id}' "
                        f"(from {other.origin}): a patient's '{code}' would be ambiguous.",
                        "Keep the code on one record; a combination has a code of its own.",
                        path=drug.origin,
                    )
                )
            index.setdefault(code, drug)
    return index


def _check_atc(catalog: Catalog, problems: list[Problem]) -> None:
    """ATC codes are well formed; a drug's own ATC-defined classes agree with its codes."""
    for drug in catalog.drugs.values():
        for code in drug.atc:
            if not is_atc(code, substance=True):
                problems.append(
                    Problem(
                        f"drugs.{drug.id}",
                        f"'{code}' is not a WHO ATC substance code (like 'B01AF02').",
                        "Write the seven-character code in upper case, or leave it out.",
                        path=drug.origin,
                    )
                )
    for record in catalog.class_records.values():
        where = f"medication_classes.{record.id}"
        for prefix in record.atc_prefixes:
            if not is_atc(prefix):
                problems.append(
                    Problem(
                        where,
                        f"'{prefix}' is not a WHO ATC code or group (like 'B01AF').",
                        "Write the code in upper case.",
                        path=record.origin,
                    )
                )
        for drug_id in record.drugs:
            if drug_id not in catalog.drugs:
                problems.append(
                    Problem(
                        where,
                        f"unknown drug '{drug_id}'.",
                        "Define it or fix the spelling.",
                        path=record.origin,
                    )
                )
        if not record.atc_prefixes:
            continue
        for drug in catalog.drugs.values():
            listed = record.id in drug.classes and drug.id not in record.drugs
            if listed and drug.atc and not any(in_group(c, record.atc_prefixes) for c in drug.atc):
                problems.append(
                    Problem(
                        f"drugs.{drug.id}",
                        f"lists class '{record.id}', defined on ATC groups "
                        f"{', '.join(record.atc_prefixes)}, but its ATC codes "
                        f"({', '.join(drug.atc)}) lie outside them.",
                        f"Fix the ATC code, or name the drug in medication_classes.{record.id}"
                        ".drugs with a source.",
                        path=drug.origin,
                    )
                )


def _check_references(catalog: Catalog, problems: list[Problem]) -> None:
    classes = {c for i in catalog.ingredients.values() for c in i.classes}
    drug_classes = {c for d in catalog.drugs.values() for c in d.classes} | set(
        catalog.class_records
    )

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
        *(("medication_classes", r) for r in catalog.class_records.values()),
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


def build_catalog(
    packs: Iterable[Pack],
    *,
    allow_weakening: Iterable[str] = (),
    providers: Sequence[str] | None = None,
) -> Catalog:
    """Merge packs into one catalog; :class:`InputError` lists every clash and dangling id.

    ``providers`` names the plugin each pack came from (same order as ``packs``),
    so that a pack calling itself ``mesoreg-core`` or another pack's name is
    refused.  ``allow_weakening`` lists overrides the local configuration allows
    to weaken a record, as ``pack:kind.id`` (:mod:`mesoreg.knowledge._override`).
    """
    given = list(packs)
    problems = _pack_names(given, providers)
    # a data pack's numbers and facts were checked when it was read; a code plugin's were not
    for pack in given:
        problems.extend(
            attrs.evolve(p, key_path=f"packs.{pack.name!a}.{p.key_path}") for p in problems_in(pack)
        )
    ordered = sorted(given, key=lambda p: p.name)
    allowed = frozenset(allow_weakening)
    overrides: list[Override] = []
    owned = {kind: _collect(ordered, kind, problems, overrides, allowed) for kind in RECORD_KINDS}
    overrides += _displacements(ordered, owned["limits"].values(), allowed, problems)
    records = {kind: {k: r for k, (r, _) in found.items()} for kind, found in owned.items()}
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
        class_records=MappingProxyType(dict(sorted(records["medication_classes"].items()))),
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
        drug_index=_build_index("drug", records["drugs"].values(), problems, strengths="strip"),
        condition_index=build_condition_index(
            records["conditions"].values(),
            _build_index("condition", records["conditions"].values(), problems).by_name,
            problems,
        ),
        atc_index=MappingProxyType(
            _build_atc_index(sorted(records["drugs"].values(), key=lambda d: d.id), problems)
        ),
        overrides=tuple(sorted(overrides, key=lambda o: (o.key, o.replaces))),
    )
    _check_references(catalog, problems)
    _check_atc(catalog, problems)
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
