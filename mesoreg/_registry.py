"""The registry: a plugin manager and what its plugins provide, each collected once, lazily.

``get_registry()`` builds the default registry on first use (``import mesoreg``
builds nothing): the built-in plugins plus the plugins and packs the settings
allow (:mod:`mesoreg._config`).  ``Registry.from_plugins`` makes one from exactly
the given plugins, with no discovery, for tests and plugin authors.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import attrs
import pluggy

from mesoreg._catalog import Catalog, build_catalog
from mesoreg._config import Settings, load_settings
from mesoreg._errors import InputError, PluginError, Problem
from mesoreg._knowledge import Ingredient, Pack
from mesoreg._plugins import (
    PluginFailure,
    PluginInfo,
    PluginStatus,
    builtin_plugins,
    collect,
    is_strict,
    load_plugins,
    make_plugin_manager,
    plugin_name,
)
from mesoreg._region import RegionValidator, regulation_validators
from mesoreg._report import OutputFormat
from mesoreg._subject import Check
from mesoreg._version import __version__

_PACK_HOOKS = ("mesoreg_ingredient_packs", "mesoreg_medication_vocabularies", "mesoreg_rule_packs")


class Registry:
    """Packs, checks, validators and formats from a plugin manager, each collected once."""

    def __init__(
        self,
        pm: pluggy.PluginManager,
        statuses: Sequence[PluginStatus] = (),
        *,
        allow_weakening: Sequence[str] = (),
        config_file: str | None = None,
    ) -> None:
        self.pm = pm
        #: what became of every plugin and pack that was considered
        self.statuses = list(statuses)
        #: weakening overrides the local configuration allows, as ``pack:kind.id``
        self.allow_weakening = tuple(allow_weakening)
        #: the configuration file the settings came from, for the report
        self.config_file = config_file
        #: hook implementations that raised or returned malformed records
        self.failures: list[PluginFailure] = []

    @classmethod
    def from_plugins(cls, plugins: Sequence[object] | None = None) -> Registry:
        """A registry of the built-in plugins, or of exactly ``plugins``; nothing discovered."""
        plugins = builtin_plugins() if plugins is None else list(plugins)
        statuses = [
            PluginStatus(PluginInfo(plugin_name(p), "built-in", __version__), "ok") for p in plugins
        ]
        return cls(make_plugin_manager(plugins), statuses)

    @classmethod
    def from_settings(cls, settings: Settings) -> Registry:
        """The built-in plugins plus every installed plugin and pack the settings allow.

        A plugin that cannot be loaded or registered is recorded in ``statuses``
        as failed or incompatible; the others are used.  A required plugin
        that is not ok raises :class:`~mesoreg.PluginError`.
        """
        registry = cls.from_plugins()
        registry.allow_weakening = settings.allow_weakening
        registry.config_file = settings.config_file
        for status, plugin in load_plugins(settings):
            if plugin is not None:
                try:
                    registry.pm.register(plugin, name=status.info.name)
                    registry.pm.check_pending()
                except Exception as exc:
                    if is_strict():
                        raise PluginError(f"plugin '{status.info.name}': {exc}") from exc
                    if registry.pm.is_registered(plugin):
                        registry.pm.unregister(plugin)
                    status = attrs.evolve(status, status="failed", error=str(exc))
            registry.statuses.append(status)
        missing = [
            f"required plugin '{name}' is {_state(registry.statuses, name)}"
            for name in settings.require
        ]
        missing = [m for m in missing if not m.endswith(" is ok")]
        if missing:
            raise PluginError("; ".join(missing) + ". Install it, or remove it from 'require'.")
        return registry

    @functools.cached_property
    def catalog(self) -> Catalog:
        """Every pack merged; built on first use.

        A pack that weakens another's record without the local configuration's
        leave, or that takes mesoreg-core's or another pack's name, is refused.
        """
        found: list[tuple[str, Pack]] = []
        for hook in _PACK_HOOKS:
            packs, failures = collect(self.pm, hook, Pack)
            self.failures.extend(failures)
            found.extend(packs)
        return build_catalog(
            [pack for _, pack in found],
            allow_weakening=self.allow_weakening,
            providers=[plugin for plugin, _ in found],
        )

    @functools.cached_property
    def checks(self) -> tuple[Check, ...]:
        """Every check, sorted by name; two checks with one name are an error."""
        found, failures = collect(self.pm, "mesoreg_checks", Check)
        self.failures.extend(failures)
        checks = sorted((c for _, c in found), key=lambda c: c.name)
        names = [c.name for c in checks]
        clashes = sorted({n for n in names if names.count(n) > 1})
        if clashes:
            problems = [
                Problem("mesoreg_checks", f"two checks are named '{n}'", "Rename one of them.")
                for n in clashes
            ]
            raise InputError(problems)
        return tuple(checks)

    @functools.cached_property
    def validators(self) -> tuple[RegionValidator, ...]:
        """Every regional validator, from the hook and from packs' regulations, by name."""
        found, failures = collect(self.pm, "mesoreg_region_validators", RegionValidator)
        self.failures.extend(failures)
        versions = {s.info.name: s.info.version for s in self.statuses}
        from_hook = [
            v if v.version else attrs.evolve(v, version=versions.get(plugin, ""))
            for plugin, v in found
        ]
        validators = from_hook + regulation_validators(self.catalog)
        return tuple(sorted(validators, key=lambda v: v.name))

    @functools.cached_property
    def formats(self) -> dict[str, OutputFormat]:
        """Output formats by name."""
        found, failures = collect(self.pm, "mesoreg_output_formats", OutputFormat)
        self.failures.extend(failures)
        return {f.name: f for _, f in sorted(found, key=lambda pair: pair[1].name)}

    def resolve_ingredient(self, name: str) -> Ingredient | None:
        """The ingredient a plugin's ``mesoreg_resolve_ingredient`` maps an unknown name to."""
        catalog = self.catalog
        try:
            found = self.pm.hook.mesoreg_resolve_ingredient(name=name, catalog=catalog)
        except Exception as exc:
            if is_strict():
                raise PluginError(f"mesoreg_resolve_ingredient failed: {exc}") from exc
            self.failures.append(PluginFailure("?", "mesoreg_resolve_ingredient", str(exc)))
            return None
        return catalog.ingredients.get(found) if isinstance(found, str) else None

    def failures_in(self, hook: str) -> list[PluginFailure]:
        """Plugin failures recorded for one hook."""
        return [f for f in self.failures if f.hook == hook]


def _state(statuses: Sequence[PluginStatus], name: str) -> str:
    for status in statuses:
        if status.info.name == name:
            return status.status if status.status == "ok" else f"{status.status}: {status.error}"
    return "not installed"


@functools.cache
def get_registry() -> Registry:
    """The default registry: built-ins plus allowed installed plugins, built on first use."""
    return Registry.from_settings(load_settings())


def get_catalog() -> Catalog:
    """The default catalog, read from its packs on first use."""
    return get_registry().catalog
