"""The registry: a plugin manager and what its plugins provide, built lazily.

``get_registry()`` builds the default registry on first use; ``import mesoreg``
builds nothing.  A :class:`Registry` can also be made from given plugins, for
tests and for plugin authors (see :mod:`mesoreg.testing`).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from types import ModuleType

import pluggy

from mesoreg._catalog import Catalog, build_catalog
from mesoreg._errors import InputError
from mesoreg._knowledge import Pack
from mesoreg._plugins import PluginFailure, collect, make_plugin_manager
from mesoreg._region import RegionValidator
from mesoreg._subject import Check


class Registry:
    """Packs, checks and validators from a plugin manager, each collected once."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm
        self.failures: list[PluginFailure] = []

    @classmethod
    def from_plugins(cls, plugins: Sequence[ModuleType | object] | None = None) -> Registry:
        """A registry of the built-in plugins, or of exactly ``plugins``."""
        return cls(make_plugin_manager(plugins))

    @functools.cached_property
    def catalog(self) -> Catalog:
        """Every pack merged; built on first use."""
        packs, failures = collect(self.pm, "mesoreg_ingredient_packs", Pack)
        self.failures.extend(failures)
        return build_catalog(pack for _, pack in packs)

    @functools.cached_property
    def checks(self) -> tuple[Check, ...]:
        """Every check, sorted by name; two checks with one name are an error."""
        found, failures = collect(self.pm, "mesoreg_checks", Check)
        self.failures.extend(failures)
        checks = sorted((c for _, c in found), key=lambda c: c.name)
        names = [c.name for c in checks]
        clashes = sorted({n for n in names if names.count(n) > 1})
        if clashes:
            from mesoreg._errors import Problem

            raise InputError(
                [
                    Problem("mesoreg_checks", f"two checks are named '{n}'", "Rename one of them.")
                    for n in clashes
                ]
            )
        return tuple(checks)

    @functools.cached_property
    def validators(self) -> tuple[RegionValidator, ...]:
        """Every regional validator, sorted by name."""
        found, failures = collect(self.pm, "mesoreg_region_validators", RegionValidator)
        self.failures.extend(failures)
        return tuple(sorted((v for _, v in found), key=lambda v: v.name))

    def failures_in(self, hook: str) -> list[PluginFailure]:
        """Plugin failures recorded for one hook."""
        return [f for f in self.failures if f.hook == hook]


@functools.cache
def get_registry() -> Registry:
    """The default registry: the built-in plugins, built on first use."""
    return Registry.from_plugins()


def get_catalog() -> Catalog:
    """The default catalog, read from the built-in pack on first use."""
    return get_registry().catalog
