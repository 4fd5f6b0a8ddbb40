"""The hooks mesoreg calls, for built-in and third-party plugins alike.

A plugin is any object or module with functions marked ``@mesoreg.hookimpl``
whose names match these specifications.  Collection hooks return lists of
typed records and are called one implementation at a time, so that a plugin
that fails is named in the report instead of hiding the others' results.
"""

from __future__ import annotations

import pluggy

from mesoreg._knowledge import Pack
from mesoreg._region import RegionValidator
from mesoreg._subject import Check

#: the pluggy project name, also the entry-point group plugins register under
PROJECT = "mesoreg"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def mesoreg_ingredient_packs() -> list[Pack]:
    """Return packs of ingredients, drugs, conditions, rules and their sources.

    Called once, when the catalog is first needed (never at import).  Records
    from every pack are merged; an id defined by two packs is an error naming
    both.  The built-in core pack is supplied through this hook.
    """
    raise NotImplementedError


@hookspec
def mesoreg_checks() -> list[Check]:
    """Return checks to run on every formulation.

    Each :class:`~mesoreg.Check` has a unique ``name`` and a ``run(subject)``
    callable returning findings and :class:`~mesoreg.Unchecked` entries.  A
    check that raises makes the report not-validated.  The built-in
    contraindication, interaction, dose and technique checks use this hook.
    """
    raise NotImplementedError


@hookspec
def mesoreg_region_validators() -> list[RegionValidator]:
    """Return regulatory validators, each for one or more ISO 3166 region codes.

    When a check names a region, every validator for it runs; a region that
    no validator covers is reported as not checked, never as passing.
    """
    raise NotImplementedError
