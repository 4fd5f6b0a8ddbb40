"""The registry: a plugin manager and what its plugins provide, each collected once, lazily.

``get_registry()`` builds the default registry on first use (``import mesoreg``
builds nothing): the built-in plugins plus the plugins and packs the settings
allow (:mod:`mesoreg.host._config`).  ``Registry.from_plugins`` makes one from exactly
the given plugins, with no discovery, for tests and plugin authors.

What the registry hands out is read-only (tuples, mapping views, a read-only
catalog).  Built-in output formats cannot be replaced by a plugin, and a
format name two plugins claim is used by neither.  Names resolved by
``mesoreg_resolve_ingredient`` come back as :class:`Resolution` records, so
the report can show which plugin turned which written name into which id;
a resolution that looks like a typo of another ingredient is refused.
"""

from __future__ import annotations

import functools
import sys
import types
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

import attrs
import pluggy

from mesoreg import _cache, _snapshot, _stat
from mesoreg._errors import InputError, PluginError, Problem
from mesoreg._version import __version__
from mesoreg.checks._region import RegionValidator, regulation_validators
from mesoreg.checks._report import OutputFormat, Report
from mesoreg.checks._subject import Check
from mesoreg.documents._knowledge import Pack
from mesoreg.host._config import Settings, load_settings
from mesoreg.host._guard import DEFAULT_TIMEOUT, PluginFault, call, exactly
from mesoreg.host._plugins import (
    BUILTIN_PLUGINS,
    PackPlugin,
    PluginFailure,
    PluginInfo,
    PluginStatus,
    builtin_plugins,
    collect,
    is_builtin,
    is_strict,
    load_plugins,
    make_plugin_manager,
    plugin_name,
    register,
)
from mesoreg.knowledge._catalog import Catalog, build_catalog
from mesoreg.knowledge._pack import core_token, tag_records

_PACK_HOOKS = ("mesoreg_ingredient_packs", "mesoreg_medication_vocabularies", "mesoreg_rule_packs")
_RESOLVE = "mesoreg_resolve_ingredient"


@attrs.frozen
class Resolution:
    """A written ingredient name a plugin resolved (``refused`` says why it was not used)."""

    #: the name as written in the formulation
    name: str
    #: the plugin(s) that answered, comma-separated
    plugin: str
    #: the catalog id it was resolved to ("" when no usable answer came back)
    ingredient: str
    #: why the answer was not used ("" when it was)
    refused: str = ""


class Registry:
    """Packs, checks, validators and formats from a plugin manager, each collected once."""

    def __init__(
        self,
        pm: pluggy.PluginManager,
        statuses: Sequence[PluginStatus] = (),
        *,
        allow_weakening: Sequence[str] = (),
        config_file: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        settings: Settings | None = None,
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
        #: seconds any one call into plugin code may take
        self.timeout = timeout
        #: the settings this registry was built from (None: from explicit plugins)
        self.settings = settings
        #: which plugin provides each check, validator and format, by name
        self.providers: dict[str, str] = {}
        #: plugin -> its packs, as 'name version' (a finding of its code may name only these)
        self.pack_labels: dict[str, set[str]] = {}
        #: the merged catalog's cache key, once the catalog is built ("" when not keyed)
        self._key = ""

    @classmethod
    def from_plugins(
        cls, plugins: Sequence[object] | None = None, *, timeout: float = DEFAULT_TIMEOUT
    ) -> Registry:
        """A registry of the built-in plugins, or of exactly ``plugins``; nothing discovered."""
        plugins = builtin_plugins() if plugins is None else list(plugins)
        statuses = [
            PluginStatus(PluginInfo(plugin_name(p), "built-in", __version__), "ok") for p in plugins
        ]
        pm = make_plugin_manager([p for p in plugins if is_builtin(p)])
        registry = cls(pm, statuses, timeout=timeout)
        for i, plugin in enumerate(plugins):
            name = plugin_name(plugin)
            if is_builtin(plugin):
                continue
            try:
                register(pm, plugin, name, timeout)
            except PluginFault as exc:
                if is_strict():
                    raise PluginError(f"plugin '{name}': {exc}") from exc
                registry.statuses[i] = attrs.evolve(statuses[i], status="failed", error=str(exc))
        return registry

    @classmethod
    def from_settings(cls, settings: Settings) -> Registry:
        """The built-in plugins plus every installed plugin and pack the settings allow.

        A plugin that cannot be loaded or registered is recorded in ``statuses``
        as failed or incompatible; the others are used.  A required plugin
        that is not ok raises :class:`~mesoreg.PluginError`.
        """
        registry = cls.from_plugins(timeout=settings.plugin_timeout)
        registry.settings = settings
        registry.allow_weakening = settings.allow_weakening
        registry.config_file = settings.config_file
        for status, plugin in load_plugins(settings):
            if plugin is not None:
                try:
                    register(registry.pm, plugin, status.info.name, registry.timeout)
                except PluginFault as exc:
                    if is_strict():
                        raise PluginError(f"plugin '{status.info.name}': {exc}") from exc
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
        """Every pack merged; built on first use, or read from the on-disk cache.

        A pack that weakens another's record without the local configuration's
        leave, or that takes mesoreg-core's or another pack's name, is refused.

        The merged catalog is cached under a key naming everything it is made of
        (:meth:`_catalog_key`): the core pack by its files' contents, each data pack by its
        file's content, and each code plugin's packs by what its hooks returned *this run*
        (code plugins are always imported and asked), plus the settings and mesoreg's
        version.  Only a merge every pack took part in is cached.
        """
        live = functools.partial(_is_live, self)
        found: dict[str, list[tuple[str, Pack]]] = {}
        for hook in _PACK_HOOKS:
            packs, failures = collect(self.pm, hook, Pack, self.timeout, only=live)
            self.failures.extend(failures)
            found[hook] = [
                (plugin, pack if self._stamped(plugin) else _stamp(pack, plugin))
                for plugin, pack in packs
            ]
        key = self._catalog_key(found)
        if key:
            cached = _read_catalog(key)
            if cached is not None:
                catalog, labels = cached
                self.pack_labels.update((k, set(v)) for k, v in labels.items())
                return catalog
        complete = True
        merged: list[tuple[str, Pack]] = []
        for hook in _PACK_HOOKS:
            packs, failures = collect(self.pm, hook, Pack, self.timeout, only=lambda p: not live(p))
            self.failures.extend(failures)
            complete = complete and not failures
            # where a record came from is mesoreg's to say: a code plugin's records are
            # stamped above with its pack and plugin, whatever origin they brought (data
            # packs are stamped with their file when read, the core pack by mesoreg itself)
            merged.extend(sorted(found[hook] + packs, key=lambda pair: pair[0]))
        for plugin, pack in merged:
            self.pack_labels.setdefault(plugin, set()).add(f"{pack.name} {pack.version}")
        catalog = build_catalog(
            [pack for _, pack in merged],
            allow_weakening=self.allow_weakening,
            providers=[plugin for plugin, _ in merged],
        )
        if key and complete:
            labels = {k: tuple(sorted(v)) for k, v in self.pack_labels.items()}
            _snapshot.put("catalog", key, (catalog, labels))
        return catalog

    def _catalog_key(self, live: Mapping[str, list[tuple[str, Pack]]]) -> str:
        """The cache key of the merged catalog ("" when it cannot be keyed soundly)."""
        parts: list[str | bytes] = [repr(self.allow_weakening), repr(self.settings)]
        try:
            parts.append(
                _snapshot.dumps(sorted((h, p) for h, packs in live.items() for p in packs))
            )
        except Exception:  # a code plugin's pack that cannot be pickled: not cached
            return ""
        core = sys.modules.get("mesoreg.checks._core")
        for hook in _PACK_HOOKS:
            for impl in getattr(self.pm.hook, hook).get_hookimpls():
                if impl.plugin is core:
                    parts += [hook, impl.plugin_name, core_token()]
                elif type(impl.plugin) is PackPlugin and impl.plugin.token:
                    parts += [hook, impl.plugin_name, impl.plugin.token]
        self._key = _cache.key("catalog", *parts)
        return self._key

    @functools.cached_property
    def fingerprint(self) -> str | None:
        """A stable text naming everything a check with this registry depends on besides
        its inputs, or None when that cannot be named (results are then never kept).

        It is the merged catalog's cache key plus, for every code plugin, every file of
        its package (by stat, :func:`mesoreg._stat.folder`), plus the settings and what
        became of every plugin.  Two registries with one fingerprint give the same verdicts.
        A registry made from plugin objects (``Registry.from_plugins``, tests) has None, as
        does one with a plugin whose code has no package folder or a pack that cannot be
        keyed.
        """
        if self.settings is None:
            return None
        self.catalog  # noqa: B018  (computes the catalog's key)
        if not self._key:
            return None
        statuses = sorted(repr(s) for s in self.statuses)
        parts = [self._key, repr(self.settings), repr(self.timeout), *statuses]
        for name, plugin in sorted(self.pm.list_name_plugin(), key=lambda pair: pair[0]):
            if is_builtin(plugin) or type(plugin) is PackPlugin:
                continue
            where = _package_folder(plugin)
            if not where:
                return None
            parts += [name, _stat.folder(where)]
        return _cache.key("registry", *parts)

    @functools.cached_property
    def checks(self) -> tuple[Check, ...]:
        """Every check, sorted by name; two checks with one name are an error."""
        found, failures = collect(self.pm, "mesoreg_checks", Check, self.timeout)
        self.failures.extend(failures)
        self.providers.update((c.name, plugin) for plugin, c in found)
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
        found, failures = collect(
            self.pm, "mesoreg_region_validators", RegionValidator, self.timeout
        )
        self.failures.extend(failures)
        self.providers.update((f"regulatory:{v.name}", plugin) for plugin, v in found)
        versions = {s.info.name: s.info.version for s in self.statuses}
        from_hook = [
            v if v.version else attrs.evolve(v, version=versions.get(plugin, ""))
            for plugin, v in found
        ]
        validators = from_hook + regulation_validators(self.catalog)
        return tuple(sorted(validators, key=lambda v: v.name))

    @functools.cached_property
    def formats(self) -> Mapping[str, OutputFormat]:
        """Output formats by name; a plugin can neither replace a built-in one nor share a name."""
        hook = "mesoreg_output_formats"
        found, failures = collect(self.pm, hook, OutputFormat, self.timeout)
        ours = {n for n in BUILTIN_PLUGINS if is_builtin(self.pm.get_plugin(n))}
        builtin = {f.name for plugin, f in found if plugin in ours}
        claims: dict[str, list[str]] = {}
        for plugin, f in found:
            claims.setdefault(f.name, []).append(plugin)
        formats: dict[str, OutputFormat] = {}
        for plugin, f in sorted(found, key=lambda pair: (pair[1].name, pair[0])):
            others = sorted(set(claims[f.name]) - {plugin})
            if plugin in ours:
                formats[f.name] = f
            elif f.name in builtin:
                why = f"format '{f.name}' is built in and cannot be replaced; rename yours"
                failures.append(PluginFailure(plugin, hook, why))
            elif others:
                why = f"format '{f.name}' is also provided by {', '.join(others)}; neither is used"
                failures.append(PluginFailure(plugin, hook, why))
            else:
                formats[f.name] = f
                self.providers[f"format:{f.name}"] = plugin
        if is_strict() and failures:
            raise PluginError("; ".join(str(f) for f in sorted(failures)))
        self.failures.extend(sorted(failures))
        return MappingProxyType(formats)

    def _stamped(self, plugin: str) -> bool:
        """True when mesoreg itself stamped the plugin's records: built-in or data-only."""
        registered = self.pm.get_plugin(plugin)
        return is_builtin(registered) or type(registered) is PackPlugin

    def is_trusted(self, plugin: str) -> bool:
        """True for mesoreg's own plugins; every other one's code is held at arm's length."""
        return bool(plugin) and is_builtin(self.pm.get_plugin(plugin))

    def limit(self, plugin: str) -> float | None:
        """The time limit of calls into ``plugin``: None for mesoreg's own built-in plugins."""
        return None if is_builtin(self.pm.get_plugin(plugin)) else self.timeout

    def render(self, name: str, report: Report) -> str:
        """``report`` in output format ``name``, guarded; :class:`PluginError` if that fails."""
        output = self.formats[name]
        plugin = self.providers.get(f"format:{name}", "mesoreg.host._formats")

        def run() -> str:
            # checked inside the guard: a str subclass would run its own code when printed
            return exactly(output.render(report), str, "text")

        try:
            text = call(run, self.limit(plugin))
        except PluginFault as exc:
            raise PluginError(f"plugin '{plugin}' failed in output format '{name}': {exc}") from exc
        return text

    def resolve_ingredient(self, name: str) -> Resolution | None:
        """What the ``mesoreg_resolve_ingredient`` plugins make of a name the catalog lacks.

        Every plugin is asked (each guarded, in name order), so the answer does
        not depend on which was loaded first; None when none answers.  The
        answer is refused (``refused`` says why) when plugins disagree, name no
        catalog ingredient, fail, or when the written name looks like a typo of
        a different ingredient: ``pyridoxin`` can never become sodium chloride.
        """
        catalog = self.catalog
        impls = sorted(getattr(self.pm.hook, _RESOLVE).get_hookimpls(), key=lambda i: i.plugin_name)
        answers: dict[str, str] = {}
        for impl in impls:
            ask = functools.partial(_answer, impl.function, name, catalog)
            try:
                found = call(ask, self.timeout)
            except PluginFault as exc:
                if is_strict():
                    raise PluginError(f"plugin '{impl.plugin_name}' failed in {_RESOLVE}") from exc
                return Resolution(name, impl.plugin_name, "", f"the plugin failed: {exc}")
            if found is not None:
                answers[impl.plugin_name] = found
        if not answers:
            return None
        plugins = ", ".join(sorted(answers))
        ids = sorted(set(answers.values()))
        if len(ids) > 1:
            return Resolution(name, plugins, "", f"the plugins disagree ({', '.join(ids)})")
        (target,) = ids
        if target not in catalog.ingredients:
            return Resolution(name, plugins, target, "no ingredient has that id")
        typo_of = [i.id for i in catalog.similar_ingredients(name) if i.id != target]
        if typo_of:
            why = f"'{name}' looks like a misspelling of '{typo_of[0]}'"
            return Resolution(name, plugins, target, why)
        return Resolution(name, plugins, target)

    def failures_in(self, hook: str) -> list[PluginFailure]:
        """Plugin failures recorded for one hook."""
        return [f for f in self.failures if f.hook == hook]


def _is_live(registry: Registry, plugin: object) -> bool:
    """True for a plugin whose packs are asked for every run: its code decides them.

    The core pack and data packs read from files are keyed by content instead.
    """
    if plugin is sys.modules.get("mesoreg.checks._core"):
        return False
    return not (type(plugin) is PackPlugin and plugin.token)


def _read_catalog(key: str) -> tuple[Catalog, Mapping[str, tuple[str, ...]]] | None:
    """A cached catalog and its pack labels; None on any kind of miss."""
    value = _snapshot.get("catalog", key)
    if type(value) is tuple and len(value) == 2 and type(value[0]) is Catalog:
        return value[0], value[1]
    return None


def _package_folder(plugin: object) -> str:
    """The folder (or single file) of the top-level package a plugin's code lives in."""
    if type(plugin) is types.ModuleType:
        module = vars(plugin).get("__name__")
    else:
        module = getattr(type(plugin), "__module__", None)
    if type(module) is not str:
        return ""
    top = sys.modules.get(module.partition(".")[0])
    where = vars(top).get("__file__") if type(top) is types.ModuleType else None
    if type(where) is not str:
        return ""
    path = Path(where)
    return str(path.parent) if path.name == "__init__.py" else where


def _stamp(pack: Pack, plugin: str) -> Pack:
    """A code plugin's pack with every record's origin set by mesoreg."""
    return tag_records(pack, f"{pack.name} {pack.version} (plugin {plugin})")


def _answer(fn: Callable[..., object], name: str, catalog: Catalog) -> str | None:
    """A resolver's answer, checked inside the guard: exactly a str (never a subclass) or None."""
    found = fn(name=name, catalog=catalog)
    return None if found is None else exactly(found, str, "a catalog id or None")


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
