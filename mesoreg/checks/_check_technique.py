"""Technique and schedule: route, injection depth and the interval between sessions.

General limits (those with no ingredient) cover every formulation given by the
routes they name; they give way where an ingredient in the formulation has its
own limit of the same kind (deoxycholic acid's one-month interval, say).  A
depth limit's maximum also covers every shallower route: an intraepidermal
injection cannot go deeper than an intradermal one may.
"""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from mesoreg.checks._check_dose import applicable_limits
from mesoreg.checks._report import NotRun, Unchecked
from mesoreg.checks._subject import Check, Outcome, Subject
from mesoreg.documents._knowledge import Limit, LimitKind
from mesoreg.documents._quantity import format_number
from mesoreg.hookspecs import hookimpl

NAME = "technique"


def _limits(subject: Subject) -> Iterator[Limit]:
    """Ingredient limits first, then general ones not overridden by an ingredient's own."""
    own: set[LimitKind] = set()
    for ingredient in subject.ingredients:
        for limit in applicable_limits(subject, ingredient.id):
            if limit.kind in (LimitKind.DEPTH, LimitKind.INTERVAL, LimitKind.ROUTE):
                own.add(limit.kind)
                yield limit
    route = subject.formulation.use.route
    for limit in subject.catalog.limits_for(""):
        if limit.kind in own:
            continue
        if not limit.routes or route in limit.routes:
            yield limit
        elif (
            limit.kind is LimitKind.DEPTH
            and limit.maximum is not None
            and all(route.is_shallower_than(r) for r in limit.routes)
        ):
            # the deepest a shallower route can go: the deeper route's maximum only
            yield attrs.evolve(limit, minimum=None)


def _who(limit: Limit, subject: Subject) -> str:
    if not limit.ingredient:
        return "this formulation"
    return subject.catalog.ingredients[limit.ingredient].name


def _route(subject: Subject, limit: Limit) -> Iterator[Outcome]:
    route = subject.formulation.use.route
    if route not in limit.routes:
        yield subject.finding(
            limit,
            f"use.route is '{route}'; {_who(limit, subject)} is for "
            f"{' or '.join(limit.routes)} use only",
            [limit.ingredient],
            message=f"{_who(limit, subject)} must not be given by the {route} route.",
        )


def _depth(subject: Subject, limit: Limit) -> Iterator[Outcome]:
    depth = subject.formulation.use.depth
    if depth is None:
        yield Unchecked(NAME, limit.id, 'needs use.depth in the formulation, e.g. depth = "2 mm"')
        return
    low, high = limit.minimum, limit.maximum
    if depth.dimension != (low or high).dimension:  # type: ignore[union-attr]
        yield Unchecked(NAME, limit.id, f"use.depth '{depth}' is not a length")
        return
    if (low and depth.value < low.value) or (high and depth.value > high.value):
        span = f"{low or '-'} to {high or '-'}"
        yield subject.finding(
            limit,
            f"depth {depth} outside {span} for {_who(limit, subject)}",
            [limit.ingredient] if limit.ingredient else [],
        )


def _interval(subject: Subject, limit: Limit) -> Iterator[Outcome]:
    previous = subject.previous_session
    if previous is None:
        yield NotRun(NAME, limit.id, "no previous session date given: treated as a first session")
        return
    days = (subject.context.date - previous).days
    if (
        days < 0
    ):  # refused as input (mesoreg.documents._validate); never compared as a negative interval
        yield Unchecked(NAME, limit.id, f"previous session {previous} is after the session date")
        return
    low = limit.minimum.value if limit.minimum else None
    high = limit.maximum.value if limit.maximum else None
    if (low is not None and days < low) or (high is not None and days > high):
        bound = (
            f"less than {limit.minimum}"
            if low is not None and days < low
            else f"more than {limit.maximum}"
        )
        yield subject.finding(
            limit,
            f"{days} days since the previous session ({previous}): {bound}",
            [limit.ingredient] if limit.ingredient else [],
            message=f"Sessions of {_who(limit, subject)} are {format_number(days)} days apart.",
        )


_KINDS = {LimitKind.ROUTE: _route, LimitKind.DEPTH: _depth, LimitKind.INTERVAL: _interval}


def check_technique(subject: Subject) -> Iterator[Outcome]:
    """Route, depth and session-interval limits."""
    for limit in _limits(subject):
        yield from _KINDS[limit.kind](subject, limit)


@hookimpl
def mesoreg_checks() -> list[Check]:
    """The built-in technique and schedule check."""
    return [Check(NAME, "route, injection depth and session interval", check_technique)]
