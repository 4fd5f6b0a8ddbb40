"""The built-in core pack, supplied through the same hook third-party packs use."""

from __future__ import annotations

from mesoreg.documents._knowledge import Pack
from mesoreg.hookspecs import hookimpl
from mesoreg.knowledge._pack import load_core_pack


@hookimpl
def mesoreg_ingredient_packs() -> list[Pack]:
    """The ingredients, drugs, conditions and rules shipped with mesoreg."""
    return [load_core_pack()]
