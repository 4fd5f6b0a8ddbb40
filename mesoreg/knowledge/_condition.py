"""Patient conditions: names, ICD-10 codes and the hierarchy rules read.

A patient condition is written as a name, an alias or a WHO ICD-10 code.  A
name resolves exactly (after folding case, accents and separators); a code
resolves to the most specific condition whose codes contain it.  Anything else
is unknown, and an unknown condition is reported as not checked, never as
absent.

Two relations link conditions.  ``broader`` says "is a kind of": a rule on
``stroke`` applies to ``ischaemic_stroke``.  ``may_be`` says "amounts to it
only at a severity or stage the name does not state": a rule on
``severe_heart_disease`` cannot pass or fail ``heart_failure``, so it is
reported as not checked.  Both are read from the vocabulary, never from free
text, and follow each other: a kind of a condition that may be X may be X.

Building the index checks the vocabulary: relations name known conditions and
have no cycle, codes are well formed, no name looks like a code, and two
conditions share codes only when one is a kind of the other (so that "most
specific" is always one condition).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum
from types import MappingProxyType

import attrs

from mesoreg._errors import Problem
from mesoreg.documents._knowledge import Condition
from mesoreg.documents._vocabulary import normalize
from mesoreg.knowledge._icd10 import in_range, overlap, parse_code, parse_range


class Relation(Enum):
    """How a patient's condition stands to the condition a rule names."""

    IS = "is"  # the same condition or a kind of it: the rule applies
    MAY_BE = "may_be"  # only at a severity, stage or kind not stated: not checked


@attrs.frozen
class ConditionIndex:
    """Conditions by name and by ICD-10 code, with the closure of their relations."""

    by_name: Mapping[str, Condition]
    by_id: Mapping[str, Condition]
    by_code: tuple[tuple[tuple[str, str], str], ...]
    #: id -> itself and every condition it is a kind of
    lineage: Mapping[str, frozenset[str]]
    #: id -> the conditions it may be (and their broader ones), outside its lineage
    possible: Mapping[str, frozenset[str]]
    #: id -> the conditions it, or one it is a kind of, names in may_be
    may_be: Mapping[str, frozenset[str]]
    #: a name's words, sorted -> the one condition it names ("hypertension, arterial")
    by_words: Mapping[str, Condition] = MappingProxyType({})

    def find(self, text: str) -> Condition | None:
        """The condition named, aliased or coded by ``text``, or None."""
        found = self.by_name.get(normalize(text))
        if found is None:
            found = self.by_words.get(_words(text))
        if found is not None:
            return found
        code = parse_code(text)
        return None if code is None else self.find_code(code)

    def find_code(self, code: str) -> Condition | None:
        """The most specific condition whose codes contain ``code`` (canonical), or None."""
        hits = {cid for spec, cid in self.by_code if in_range(code, spec)}
        if not hits:
            return None
        best = max(sorted(hits), key=lambda c: len(self.lineage[c]))
        if not hits <= self.lineage[best]:
            return None  # refused when the catalog is built; never guess
        return self.by_id[best]

    def relation(self, condition_id: str, rule_value: str) -> Relation | None:
        """Whether a rule on ``rule_value`` applies to a patient with ``condition_id``.

        ``IS`` when the patient's condition is the rule's or a kind of it.
        ``MAY_BE`` when it may be the rule's at a severity or stage not stated,
        or when it is (or may be) broader than the rule's, so that which kind
        the patient has is not stated: a patient with "stroke" may or may not
        have had the cerebral haemorrhage a rule names.
        """
        if rule_value in self.lineage.get(condition_id, frozenset()):
            return Relation.IS
        if rule_value in self.possible.get(condition_id, frozenset()):
            return Relation.MAY_BE
        above = self.lineage.get(rule_value, frozenset())
        if above & {condition_id, *self.may_be.get(condition_id, ())}:
            return Relation.MAY_BE  # broader than the rule's: which kind is not stated
        return None

    def suggest(self, text: str) -> list[str]:
        """Ids of conditions with a name spelled almost like ``text`` (a typo of it), sorted.

        Only close spellings: at most one edit in a short name and two in a long
        one, so that a different condition is never offered as a spelling fix.
        """
        key = normalize(text)
        allowed = 1 if len(key) < 8 else 2
        return sorted(
            {
                c.id
                for name, c in self.by_name.items()
                if abs(len(name) - len(key)) <= allowed and _distance(name, key) <= allowed
            }
        )


def _distance(a: str, b: str) -> int:
    """Edit distance (insert, delete, substitute, swap two neighbours)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, previous2[j - 2] + 1)
            current.append(cost)
        previous2, previous = previous, current
    return previous[-1]


def _closure(start: str, edges: Mapping[str, tuple[str, ...]]) -> tuple[frozenset[str], bool]:
    """``start`` and everything reachable from it; True as second item on a cycle."""
    seen: set[str] = set()
    stack = [start]
    cycle = False
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        for nxt in edges.get(node, ()):
            cycle |= nxt == start
            stack.append(nxt)
    return frozenset(seen), cycle


def _words(text: str) -> str:
    """The words of a name in a fixed order: the same words in another order match."""
    return "_".join(sorted(w for w in normalize(text).split("_") if w))


def build_condition_index(
    conditions: Iterable[Condition], by_name: Mapping[str, Condition], problems: list[Problem]
) -> ConditionIndex:
    """Index conditions by code and close their relations; problems go to ``problems``."""
    records = {c.id: c for c in sorted(conditions, key=lambda c: c.id)}

    def problem(c: Condition, message: str, hint: str) -> None:
        problems.append(Problem(f"conditions.{c.id}", message, hint, path=c.origin))

    for c in records.values():
        for field in ("broader", "may_be"):
            for other in getattr(c, field):
                if other not in records or other == c.id:
                    problem(c, f"{field} names unknown condition '{other}'.", "Fix the id.")
        for name in (c.id, c.name, *c.aliases):
            if parse_code(name) is not None:
                problem(c, f"name '{name}' reads as an ICD-10 code.", "Put it in codes.")
    broader = {k: tuple(x for x in c.broader if x in records) for k, c in records.items()}
    lineage: dict[str, frozenset[str]] = {}
    for cid, c in records.items():
        lineage[cid], cycle = _closure(cid, broader)
        if cycle:
            problem(c, "is, through broader, a kind of itself.", "Remove the cycle.")
    possible: dict[str, frozenset[str]] = {}
    may_be: dict[str, frozenset[str]] = {}
    for cid, c in records.items():
        may_be[cid] = frozenset(m for a in lineage[cid] for m in records[a].may_be if m in records)
        reach = {y for m in may_be[cid] for y in lineage[m]}
        possible[cid] = frozenset(reach - lineage[cid])
        if any(m in lineage[cid] for m in c.may_be):
            problem(c, "may_be names a condition it already is a kind of.", "Remove it.")
    by_code: list[tuple[tuple[str, str], str]] = []
    for cid, c in records.items():
        for spec in c.codes:
            parsed = parse_range(spec)
            if parsed is None:
                problem(
                    c,
                    f"code '{spec}' is not a WHO ICD-10 code or range.",
                    "Write it as 'I63', 'I63.9' or 'I60-I64'.",
                )
            else:
                by_code.append((parsed, cid))
    for i, (ends, cid) in enumerate(by_code):
        for other_ends, other in by_code[i + 1 :]:
            related = other in lineage[cid] or cid in lineage[other]
            if other != cid and not related and overlap(ends, other_ends):
                problem(
                    records[cid],
                    f"codes {'-'.join(ends)} overlap codes {'-'.join(other_ends)} of "
                    f"'{other}', and neither condition is a kind of the other.",
                    "Narrow the codes, or say which is broader.",
                )
    words: dict[str, set[str]] = {}
    for name, c in by_name.items():
        words.setdefault(_words(name), set()).add(c.id)
    return ConditionIndex(
        by_words=MappingProxyType(
            {k: records[next(iter(ids))] for k, ids in words.items() if len(ids) == 1}
        ),
        by_name=by_name,
        by_id=MappingProxyType(records),
        by_code=tuple(by_code),
        lineage=MappingProxyType(lineage),
        possible=MappingProxyType(possible),
        may_be=MappingProxyType(may_be),
    )
