"""Beyond-use dates: the USP <797> (2023) category rule, as data.

:func:`assign_bud` takes how a compounded sterile preparation was made
(:class:`BudConditions`: where, from what, tested or not, stored how, when)
and returns the beyond-use date with the rule that gives it, or the reason
none can be assigned.  The rules are ``data/bud.toml``, each citing the
chapter; a number that was not found in a public statement is left out of the
data, and the rule then assigns nothing ("not determined"): mesoreg never
guesses a BUD.

Refused with :class:`~mesoreg.InputError` (every problem at once): a category
the compounding environment does not allow, a component lot expired when the
preparation is compounded, and a BUD after a component lot's expiry date.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from importlib import resources
from typing import Final

import attrs

from mesoreg._errors import InputError, Problem
from mesoreg.compounding._products import check_version
from mesoreg.compounding._terms import Category as Category
from mesoreg.compounding._terms import Environment as Environment
from mesoreg.compounding._terms import Storage as Storage
from mesoreg.documents._convert import structure
from mesoreg.documents._field import doc
from mesoreg.documents._load import parse_toml

#: where the rules are, for messages
BUILTIN: Final = "mesoreg/compounding/data/bud.toml"
BUD_SCHEMA_VERSION: Final = 1

#: what mesoreg never checks, so a BUD it assigns is never the whole answer
NOT_CHECKED: Final = (
    "the chemical and physical stability of this preparation: the chapter requires a "
    "shorter BUD when its stability is shorter",
    "that the compounding met the chapter's other requirements for its category "
    "(personnel, garbing, aseptic technique, environmental monitoring)",
)


#: the category a CSP compounded in each environment gets when none is asked for
DEFAULT_CATEGORY: Final[Mapping[Environment, Category]] = {
    Environment.UNCLASSIFIED: Category.IMMEDIATE_USE,
    Environment.SEGREGATED_COMPOUNDING_AREA: Category.CATEGORY_1,
    Environment.CLEANROOM_SUITE: Category.CATEGORY_2,
}


@attrs.frozen
class Hours:
    """Longest BUD for each storage, in hours; left out where not determined."""

    controlled_room_temperature: int | None = attrs.field(
        default=None, metadata=doc("Hours at controlled room temperature.")
    )
    refrigerator: int | None = attrs.field(default=None, metadata=doc("Hours refrigerated."))
    freezer: int | None = attrs.field(default=None, metadata=doc("Hours frozen."))


@attrs.frozen
class BudRule:
    """One row of the chapter's BUD rule: what it applies to and the hours it allows."""

    id: str = attrs.field(metadata=doc("Rule id, lowercase snake_case."))
    category: Category = attrs.field(metadata=doc("immediate_use, category_1 or category_2."))
    environments: tuple[Environment, ...] = attrs.field(
        metadata=doc("Where a CSP may be compounded under this rule.")
    )
    section: str = attrs.field(metadata=doc("Where in the chapter the rule is."))
    read_at: str = attrs.field(metadata=doc("Where the rule's wording and numbers were read."))
    sterility_tested: bool | None = attrs.field(
        default=None, metadata=doc("The rule holds only for this sterility testing (none: either).")
    )
    sterile_components: bool | None = attrs.field(
        default=None,
        metadata=doc("The rule holds only for these starting components (none: either)."),
    )
    any_storage_hours: int | None = attrs.field(
        default=None, metadata=doc("Hours from the start of preparation, whatever the storage.")
    )
    hours: Hours = attrs.field(factory=Hours, metadata=doc("Hours for each storage."))
    undetermined: tuple[str, ...] = attrs.field(
        default=(), metadata=doc("Conditions whose numbers are not determined.")
    )

    def applies(self, conditions: BudConditions, category: Category) -> bool:
        """True when this rule is the one for ``conditions`` in ``category``."""
        return (
            self.category is category
            and (self.sterility_tested in (None, conditions.sterility_tested))
            and (self.sterile_components in (None, conditions.sterile_components))
        )


@attrs.frozen
class Chapter:
    """The chapter the rules come from."""

    title: str = attrs.field(metadata=doc("Title and revision of the chapter."))
    issuer: str = attrs.field(metadata=doc("Who publishes it."))
    url: str = attrs.field(metadata=doc("Its primary public page."))


@attrs.frozen
class BudRules:
    """The rules file."""

    schema_version: int = attrs.field(metadata=doc("Version of the file format; 1."))
    chapter: Chapter = attrs.field(metadata=doc("The chapter the rules come from."))
    rules: tuple[BudRule, ...] = attrs.field(metadata=doc("The rules."))


@attrs.frozen
class Lot:
    """A lot of a stock product used in the preparation."""

    product: str = attrs.field(metadata=doc("Product id or name, for messages."))
    lot: str = attrs.field(metadata=doc("Lot number as printed."))
    expiry: dt.date = attrs.field(metadata=doc("Expiry date as printed (a TOML date)."))


@attrs.frozen
class BudConditions:
    """How a CSP was made and is kept: what the category rule reads."""

    environment: Environment
    storage: Storage
    #: when compounding started, with its time zone
    compounded_at: dt.datetime
    sterility_tested: bool = False
    sterile_components: bool = True
    #: the category asked for; default: the environment's (:data:`DEFAULT_CATEGORY`)
    category: Category | None = None
    lots: tuple[Lot, ...] = ()


@attrs.frozen
class BudResult:
    """The BUD and the rule that gives it, or why none can be assigned."""

    category: Category
    #: the rule applied, or None when no rule matched
    rule: BudRule | None
    chapter: Chapter
    bud: dt.datetime | None
    hours: int | None
    #: why no BUD is assigned ("" when one is)
    reason: str = ""
    not_checked: tuple[str, ...] = NOT_CHECKED

    @property
    def is_assigned(self) -> bool:
        """True when a BUD was assigned."""
        return self.bud is not None


_STORED: Final = {
    Storage.CONTROLLED_ROOM_TEMPERATURE: "at controlled room temperature",
    Storage.REFRIGERATOR: "in a refrigerator",
    Storage.FREEZER: "in a freezer",
}


def parse_rules(text: str, where: str) -> BudRules:
    """BUD rules from TOML text."""
    data = parse_toml(text, where)
    check_version(data, BUD_SCHEMA_VERSION, where)
    return structure(data, BudRules, path=where)


@functools.cache
def builtin_rules() -> BudRules:
    """The built-in rules, read once."""
    text = resources.files("mesoreg.compounding").joinpath("data/bud.toml").read_text("utf-8")
    return parse_rules(text, BUILTIN)


def _refusals(conditions: BudConditions, category: Category, rules: BudRules) -> list[Problem]:
    problems = []
    if conditions.compounded_at.tzinfo is None:
        problems.append(
            Problem(
                "compounded_at",
                f"{conditions.compounded_at} has no time zone",
                "Give the offset, e.g. 2026-11-22T10:00:00+01:00.",
            )
        )
    allowed = {e for r in rules.rules if r.category is category for e in r.environments}
    if conditions.environment not in allowed:
        where = ", ".join(sorted(allowed)) or "nowhere in mesoreg's rules"
        problems.append(
            Problem(
                "category",
                f"a {category.value.replace('_', ' ')} CSP cannot be compounded in "
                f"'{conditions.environment}' (only: {where})",
                "Give the environment it was really compounded in.",
            )
        )
    day = conditions.compounded_at.date()
    for index, lot in enumerate(conditions.lots):
        if lot.expiry < day:
            problems.append(
                Problem(
                    f"lots[{index}].expiry",
                    f"lot {lot.lot} of {lot.product} expired on {lot.expiry}, before the "
                    f"preparation was compounded ({day})",
                    "Do not use an expired lot; compound again with a lot in date.",
                )
            )
    return problems


def assign_bud(conditions: BudConditions, rules: BudRules | None = None) -> BudResult:
    """The BUD for ``conditions`` and the rule that gives it, or why none can be assigned.

    :class:`InputError` when the conditions are refused (see the module docstring).
    """
    rules = rules or builtin_rules()
    category = conditions.category or DEFAULT_CATEGORY[conditions.environment]
    problems = _refusals(conditions, category, rules)
    if problems:
        raise InputError(problems)
    matching = [r for r in rules.rules if r.applies(conditions, category)]
    if len(matching) != 1:
        reason = (
            f"no rule in mesoreg's data covers a {category.value.replace('_', ' ')} CSP "
            f"with sterility testing {'done' if conditions.sterility_tested else 'not done'} "
            f"and {'sterile' if conditions.sterile_components else 'nonsterile'} components"
            if not matching
            else "several rules match: " + ", ".join(r.id for r in matching)
        )
        return BudResult(category, None, rules.chapter, None, None, reason)
    rule = matching[0]
    if rule.undetermined:
        reason = (
            f"cannot be assigned: {'; '.join(rule.undetermined)} is not determined in "
            f"mesoreg's data (USP <797> {rule.section}); assign it from the chapter itself"
        )
        return BudResult(category, rule, rules.chapter, None, None, reason)
    hours = (
        rule.any_storage_hours
        if rule.any_storage_hours is not None
        else getattr(rule.hours, conditions.storage.value)
    )
    if hours is None:
        reason = (
            f"cannot be assigned: the longest BUD of a {category.value.replace('_', ' ')} CSP "
            f"stored {_STORED[conditions.storage]} is not determined in "
            f"mesoreg's data (USP <797> {rule.section}); assign it from the chapter itself"
        )
        return BudResult(category, rule, rules.chapter, None, None, reason)
    bud = conditions.compounded_at + dt.timedelta(hours=hours)
    late = [
        Problem(
            f"lots[{index}].expiry",
            f"the BUD {bud.isoformat(timespec='minutes')} is after the expiry of lot {lot.lot} "
            f"of {lot.product} ({lot.expiry}): a BUD may not exceed a component's expiry",
            "Use a lot that expires later, or use the preparation before the lot expires "
            "and label it with that earlier date.",
        )
        for index, lot in enumerate(conditions.lots)
        if bud.date() > lot.expiry
    ]
    if late:
        raise InputError(late)
    return BudResult(category, rule, rules.chapter, bud, hours)
