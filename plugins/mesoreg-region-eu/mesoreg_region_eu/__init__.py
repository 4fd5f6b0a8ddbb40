"""mesoreg-region-eu: French and European Union regulatory rules for mesoreg.

Two hooks, both reading TOML files shipped in the package:
``mesoreg_ingredient_packs`` adds the ingredient ``buflomedil`` (``ingredients.toml``),
and ``mesoreg_rule_packs`` supplies the effective-dated regulations in
``regulations.toml`` (mesoreg turns them into a validator for the regions they name).
"""

from __future__ import annotations

import importlib.resources

import mesoreg

__version__ = "0.1.0"


def _pack(filename: str) -> mesoreg.Pack:
    text = (importlib.resources.files(__name__) / filename).read_text("utf-8")
    return mesoreg.parse_pack(text, f"mesoreg_region_eu/{filename}")


@mesoreg.hookimpl
def mesoreg_ingredient_packs() -> list[mesoreg.Pack]:
    """The ingredient buflomedil and its sources."""
    return [_pack("ingredients.toml")]


@mesoreg.hookimpl
def mesoreg_rule_packs() -> list[mesoreg.Pack]:
    """The French and EU regulations."""
    return [_pack("regulations.toml")]
