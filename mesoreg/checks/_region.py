"""Regional regulatory validators, and the one every pack's ``[[regulations]]`` get.

A :class:`RegionValidator` checks what applies in some regions (ISO 3166
codes).  Effective-dated :class:`~mesoreg.Regulation` records in packs need no
code: :func:`regulation_validators` turns each pack's regulations into a
validator for the regions they name.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

import attrs

from mesoreg.checks._report import Unchecked
from mesoreg.documents._field import doc
from mesoreg.documents._knowledge import Regulation
from mesoreg.knowledge._catalog import matches

if TYPE_CHECKING:
    from mesoreg.checks._subject import Outcome, Subject
    from mesoreg.knowledge._catalog import Catalog


@attrs.frozen
class RegionValidator:
    """Checks that apply in some regions (ISO 3166 codes such as US, FR, BR)."""

    name: str = attrs.field(
        metadata=doc("Unique name; its findings are filed under 'regulatory:NAME'."),
    )
    regions: tuple[str, ...] = attrs.field(
        metadata=doc("ISO 3166 codes it covers, upper case, e.g. ('US',)."),
    )
    run: Callable[[Subject], Iterable[Outcome]] = attrs.field(
        metadata=doc("run(subject) yields Finding and Unchecked records for those regions."),
    )
    description: str = attrs.field(
        default="",
        metadata=doc("One line on what it checks, shown by 'mesoreg plugins list'."),
    )
    version: str = attrs.field(
        default="",
        metadata=doc("Its version, listed in the report's checks."),
    )


def _scope(rule: Regulation, subject: Subject) -> list[str] | None:
    """What in the formulation the rule concerns, or None when it does not apply."""
    use = subject.formulation.use
    if rule.purposes and not subject.purposes & set(rule.purposes):
        return None
    if rule.techniques and not subject.techniques & set(rule.techniques):
        return None
    if rule.routes and use.route not in rule.routes:
        return None
    if rule.outside_areas and use.area in rule.outside_areas:
        return None
    if not rule.ingredients and not rule.ingredient_classes:
        return []
    hits = [
        i.id for i in subject.ingredients if matches(i, rule.ingredients, rule.ingredient_classes)
    ]
    return hits or None


def check_regulations(rules: tuple[Regulation, ...], subject: Subject) -> Iterator[Outcome]:
    """Every rule in force in the subject's region on its date whose scope matches."""
    region, day = subject.context.region, subject.context.date
    for rule in rules:
        if region not in rule.regions or not rule.is_in_force(day):
            continue
        if rule.purposes and not subject.purposes:
            if _scope(attrs.evolve(rule, purposes=()), subject) is not None:
                yield Unchecked(
                    "regulatory",
                    rule.id,
                    f"applies to purposes "
                    f"{', '.join(rule.purposes)}; needs use.purpose in the formulation",
                )
            continue
        hits = _scope(rule, subject)
        if hits is None:
            continue
        since = f" since {rule.valid_from}" if rule.valid_from else ""
        until = f" until {rule.valid_to}" if rule.valid_to else ""
        what = ", ".join(subject.catalog.ingredients[h].name for h in hits) or "this formulation"
        use = subject.formulation.use
        evidence = (
            f"{what} ({use.technique}, {use.route}, {use.area}) in {region} on {day}; "
            f"rule in force{since}{until or ' (no end date)'}"
        )
        yield subject.finding(rule, evidence, hits)


def regulation_validators(catalog: Catalog) -> list[RegionValidator]:
    """One validator per pack with regulations, for the regions they name."""
    by_pack: dict[str, list[Regulation]] = {}
    for rule in catalog.regulations:
        by_pack.setdefault(rule.origin.split(" (")[0], []).append(rule)
    validators = []
    for provider, rules in sorted(by_pack.items()):
        name, _, version = provider.partition(" ")
        regions = tuple(sorted({r for rule in rules for r in rule.regions}))
        validators.append(
            RegionValidator(
                name=name,
                regions=regions,
                version=version,
                run=functools.partial(check_regulations, tuple(rules)),
                description=f"{len(rules)} regulations from {provider}",
            )
        )
    return validators
