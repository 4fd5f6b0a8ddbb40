"""The hooks mesoreg calls, for its own features and third-party plugins alike.

A plugin is a module or object with functions marked ``@mesoreg.hookimpl``
whose names match these specifications (a misspelled name is an error).
Collection hooks take no arguments and return lists of typed records; mesoreg
calls them one implementation at a time, so a plugin that raises or returns
something malformed is named in the report, and what it should have provided
is reported as not checked, never as passing.  Only the look-up hook
:func:`mesoreg_resolve_ingredient` is ``firstresult``.

Every hook has a section in ``docs/plugins.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from mesoreg.checks._region import RegionValidator
    from mesoreg.checks._report import OutputFormat
    from mesoreg.checks._subject import Check
    from mesoreg.documents._knowledge import Pack
    from mesoreg.knowledge._catalog import Catalog

#: the pluggy project name, also the entry-point group code plugins register under
PROJECT = "mesoreg"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def mesoreg_ingredient_packs() -> list[Pack]:
    """Return packs of ingredients (and the sources, drugs, conditions and rules with them).

    Called once, when the catalog is first needed.  Records from every pack are
    merged; an id defined by two packs is an error naming both, unless exactly
    one of them sets ``override = true``: an override may add and tighten, and
    one that weakens the record it replaces is refused unless the local
    configuration allows it (``allow_weakening``).  Every pack needs a name of
    its own; ``mesoreg-core`` is the built-in pack's.  The built-in core pack and
    data-only packs come through this hook.
    """
    raise NotImplementedError


@hookspec
def mesoreg_rule_packs() -> list[Pack]:
    """Return packs of rules: contraindications, interactions, limits, regulations.

    Merged exactly like ingredient packs; rules may refer to ingredients from
    any pack.
    """
    raise NotImplementedError


@hookspec
def mesoreg_medication_vocabularies() -> list[Pack]:
    """Return packs of drugs (generic and brand names with classes) and conditions."""
    raise NotImplementedError


@hookspec
def mesoreg_checks() -> list[Check]:
    """Return checks to run on every formulation.

    Each :class:`~mesoreg.Check` has a unique ``name`` and a ``run(subject)``
    callable yielding :class:`~mesoreg.Finding` and :class:`~mesoreg.Unchecked`
    records (checked against their types: ``severity`` must be a
    :class:`~mesoreg.Severity`).  A check that raises anything, overruns the
    plugin time limit or yields a malformed record makes the report
    not-validated, naming the plugin.  The built-in
    contraindication, interaction, dose and technique checks use this hook.
    """
    raise NotImplementedError


@hookspec
def mesoreg_region_validators() -> list[RegionValidator]:
    """Return regulatory validators, each for one or more ISO 3166 region codes.

    When a check names a region, every validator for it runs.  A region that
    no validator covers is reported as not checked, never as passing.  Packs
    with ``[[regulations]]`` get a validator for their regions automatically.
    """
    raise NotImplementedError


@hookspec
def mesoreg_output_formats() -> list[OutputFormat]:
    """Return output formats for ``--format NAME`` (built-in: ``text``, ``json``).

    A plugin format cannot replace a built-in one, and a name two plugins
    provide is used by neither; both are reported as plugin failures.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def mesoreg_resolve_ingredient(name: str, catalog: Catalog) -> str | None:
    """Return the catalog id for an ingredient name the catalog does not know, or None.

    Called only for names that are neither an id nor an alias, for unambiguous
    local names only.  Every implementation is asked (answers that disagree
    are refused); each resolution used is shown in the report, and one that
    looks like a typo of a different ingredient is refused.
    """
    raise NotImplementedError
