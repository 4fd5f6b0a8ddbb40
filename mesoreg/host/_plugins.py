"""Plugins: finding them, loading each on its own, and calling hooks one implementation at a time.

Three kinds of plugin register on the same hooks (:mod:`mesoreg.hookspecs`):

* built-in plugins, mesoreg's own features (the core pack, the checks, the formats);
* code plugins, found through the ``mesoreg`` entry-point group;
* data-only packs, TOML files found through the ``mesoreg.packs`` entry-point
  group (``name = "package:path/to/pack.toml"``) or given with ``--pack PATH``;
  no code of theirs runs.

No plugin is discovered at import.  Each is loaded on its own: one that fails
to import, declares a mesoreg version this is not, or implements a hook that
does not exist is recorded as a :class:`PluginStatus` with its error, and the
others keep working.  :func:`collect` calls each hook implementation on its
own, so a plugin that raises or returns malformed records is named, and what
it should have provided is reported as not checked.  ``MESOREG_STRICT_PLUGINS=1``
raises :class:`~mesoreg.PluginError` instead, for plugin authors and CI.

Plugin code (import, registration, every hook call) runs through
:func:`mesoreg.host._guard.call`: with a time limit, its output sent to stderr, and
any exception it raises, ``SystemExit`` included, turned into a failure.
Every record a hook returns is checked against its declared types
(:mod:`mesoreg.host._shape`) before it is used.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import importlib.util
import os
import sys
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import pluggy

from mesoreg import hookspecs
from mesoreg._errors import MesoregError, PluginError
from mesoreg._version import __version__
from mesoreg.documents._knowledge import Pack
from mesoreg.host._config import Settings
from mesoreg.host._guard import DEFAULT_TIMEOUT, PluginFault, call, type_name
from mesoreg.host._shape import shape_problems

#: the modules that make up mesoreg's own features, registered as plugins
BUILTIN_PLUGINS = (
    "mesoreg.checks._core",
    "mesoreg.checks._check_contraindication",
    "mesoreg.checks._check_interaction",
    "mesoreg.checks._check_dose",
    "mesoreg.checks._check_technique",
    "mesoreg.host._formats",
)
#: entry-point groups for code plugins and for data-only packs
CODE_GROUP = "mesoreg"
PACK_GROUP = "mesoreg.packs"
HOOK_NAMES = tuple(n for n in dir(hookspecs) if n.startswith("mesoreg_"))


@attrs.frozen(order=True)
class PluginFailure:
    """A plugin that raised or returned something malformed, in one hook."""

    plugin: str
    hook: str
    error: str

    def __str__(self) -> str:
        return f"plugin '{self.plugin}' failed in {self.hook}: {self.error}"


@attrs.frozen
class PluginInfo:
    """A plugin as installed, read from metadata without importing it."""

    name: str
    kind: str  # built-in | code | pack
    version: str = ""
    distribution: str = ""
    #: the entry point's value, a module name or a pack file's path
    target: str = ""
    #: the mesoreg versions the distribution declares it works with ("" = any)
    requires_mesoreg: str = ""


@attrs.frozen
class PluginStatus:
    """What became of a plugin: ok, failed, disabled or incompatible, and why."""

    info: PluginInfo
    status: str
    error: str = ""
    provides: tuple[str, ...] = ()


def is_strict() -> bool:
    """True when MESOREG_STRICT_PLUGINS asks for plugin failures to be raised."""
    return os.environ.get("MESOREG_STRICT_PLUGINS", "") not in ("", "0", "false", "no")


def _requirement_of(dist: Any) -> str:
    from packaging.requirements import InvalidRequirement, Requirement

    for line in (dist.requires or []) if dist else []:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if req.name.lower() == "mesoreg" and not req.marker:
            return str(req.specifier)
    return ""


def discover() -> list[PluginInfo]:
    """Installed code plugins and packs, from entry-point metadata only (nothing imported).

    Reading every distribution's metadata costs more than the rest of a small check, so
    what it finds is kept in the on-disk cache under :func:`mesoreg._stat.environment`
    (every ``sys.path`` entry and every distribution's metadata files, by stat): installing,
    removing or upgrading anything is a miss.
    """
    return list(_discovered().infos)


@attrs.frozen
class _Discovery:
    """What discovery found, with what follows from metadata alone (cached together)."""

    infos: tuple[PluginInfo, ...]
    #: an installed pack's name -> its TOML file
    pack_files: tuple[tuple[str, str], ...] = ()
    #: a declared mesoreg requirement -> why this mesoreg cannot serve it ("" when it can)
    verdicts: tuple[tuple[str, str], ...] = ()


def _discovered() -> _Discovery:
    from mesoreg import _cache, _stat

    key = _cache.key("discovery", _stat.environment())
    cached = _cache.get("discovery", key)
    if type(cached) is _Discovery:
        return cached
    infos = _discover_installed()
    files = []
    for info in infos:
        if info.kind == "pack":
            try:
                files.append((info.name, str(_pack_file(info))))
            except (OSError, ImportError, ValueError):  # found again, and reported, on load
                continue
    requires = sorted({i.requires_mesoreg for i in infos})
    found = _Discovery(tuple(infos), tuple(files), tuple((r, incompatibility(r)) for r in requires))
    _cache.put("discovery", key, found)
    return found


def _discover_installed() -> list[PluginInfo]:
    import importlib.metadata as metadata

    found: list[PluginInfo] = []
    for group, kind in ((CODE_GROUP, "code"), (PACK_GROUP, "pack")):
        for ep in metadata.entry_points(group=group):
            dist = ep.dist
            found.append(
                PluginInfo(
                    name=ep.name,
                    kind=kind,
                    version=dist.version if dist else "",
                    distribution=dist.metadata["Name"] if dist else "",
                    target=ep.value,
                    requires_mesoreg=_requirement_of(dist),
                )
            )
    return sorted(found, key=lambda p: (p.name, p.kind))


def incompatibility(requires: str) -> str:
    """Why this mesoreg cannot serve a plugin requiring ``requires`` ('' when it can)."""
    if not requires:
        return ""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        ok = SpecifierSet(requires).contains(__version__, prereleases=True)
    except InvalidSpecifier:
        return f"declares an invalid mesoreg requirement '{requires}'"
    return "" if ok else f"requires mesoreg{requires}, this is mesoreg {__version__}"


def unknown_hooks(plugin: object) -> list[str]:
    """Hook implementations whose names are not hooks, each with a suggestion."""
    problems = []
    for attr in dir(plugin):
        fn = getattr(plugin, attr, None)
        if getattr(fn, f"{hookspecs.PROJECT}_impl", None) is None or attr in HOOK_NAMES:
            continue
        close = difflib.get_close_matches(attr, HOOK_NAMES, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        problems.append(f"implements unknown hook '{attr}'{hint}")
    return problems


def hooks_of(plugin: object) -> tuple[str, ...]:
    """The hooks a plugin implements."""
    return tuple(h for h in HOOK_NAMES if callable(getattr(plugin, h, None)))


class PackPlugin:
    """A data-only pack, registered like any plugin; it runs no code of the pack's.

    ``PackPlugin(pack)`` holds a pack already read.  One made by :func:`load_plugins`
    from a file also carries ``token`` (the key of its file's content,
    :func:`mesoreg.knowledge._pack.text_token`) and may read its pack only when a hook asks for it:
    when the merged catalog comes from the cache, a large pack is never unpickled.
    """

    def __init__(
        self,
        pack: Pack | None = None,
        *,
        name: str = "",
        token: str = "",
        load: Callable[[], Pack] | None = None,
    ) -> None:
        if pack is None and load is None:
            raise TypeError("PackPlugin needs a pack or a way to load one")
        self._pack = pack
        self._load = load
        #: the pack's name (read from the pack, or from the cache with ``token``)
        self.name = pack.name if pack is not None else name
        #: what the pack is a pure function of ("" when unknown: it is never cached)
        self.token = token

    @property
    def pack(self) -> Pack:
        """The pack, read on first use."""
        if self._pack is None:
            assert self._load is not None
            self._pack = self._load()
        return self._pack

    @hookspecs.hookimpl
    def mesoreg_ingredient_packs(self) -> list[Pack]:
        """The pack read from its TOML file."""
        return [self.pack]


def _pack_file(info: PluginInfo) -> Path:
    """Where an installed pack's TOML file is, found through its distribution's files."""
    import importlib.metadata as metadata

    package, _, resource = info.target.partition(":")
    relative = Path(*package.split(".")) / resource
    dist = metadata.distribution(info.distribution)
    for file in dist.files or []:
        if Path(str(file)) == relative:
            return Path(str(dist.locate_file(file)))
    # an editable install lists no package files; finding a top-level package's folder
    # runs none of its code (its __init__ is not executed)
    top, *rest = package.split(".")
    spec = importlib.util.find_spec(top)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder, *rest, resource)
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{relative} is not among the files of {info.distribution}")


@attrs.frozen
class _PackMeta:
    """What a pack file's status needs, cached by its content: no pack is unpickled for it."""

    name: str
    version: str
    requires_mesoreg: str
    provides: tuple[str, ...]
    #: :func:`incompatibility` of ``requires_mesoreg``
    verdict: str


def _verdict(requires: str, known: Mapping[str, str]) -> str:
    """:func:`incompatibility`, answered from discovery's cache when it can be."""
    return known[requires] if requires in known else incompatibility(requires)


def _load_pack(
    info: PluginInfo, path: Path | None = None, known: Mapping[str, str] | None = None
) -> tuple[PluginStatus, object | None]:
    from mesoreg import _cache
    from mesoreg.knowledge._pack import pack_from_text, read_pack_text, text_token

    try:
        where = str(path or _pack_file(info))
        text = read_pack_text(where)
    except (MesoregError, OSError) as exc:
        return PluginStatus(info, "failed", str(exc)), None
    token = text_token(text, where)
    meta = _cache.get("packmeta", token)
    plugin: PackPlugin
    if type(meta) is _PackMeta:
        plugin = PackPlugin(
            name=meta.name, token=token, load=functools.partial(pack_from_text, text, where)
        )
    else:
        try:
            pack = pack_from_text(text, where)
        except MesoregError as exc:
            return PluginStatus(info, "failed", str(exc)), None
        meta = _PackMeta(
            pack.name,
            pack.version,
            pack.requires_mesoreg,
            _pack_provides(pack),
            incompatibility(pack.requires_mesoreg),
        )
        _cache.put("packmeta", token, meta)
        plugin = PackPlugin(pack, token=token)
    info = attrs.evolve(
        info,
        version=info.version or meta.version,
        requires_mesoreg=info.requires_mesoreg or meta.requires_mesoreg,
    )
    why = (
        meta.verdict
        if info.requires_mesoreg == meta.requires_mesoreg
        else _verdict(info.requires_mesoreg, known or {})
    )
    if why:
        return PluginStatus(info, "incompatible", why), None
    return PluginStatus(info, "ok", provides=meta.provides), plugin


def _pack_provides(pack: Pack) -> tuple[str, ...]:
    counts = [
        (kind, len(getattr(pack, kind)))
        for kind in (
            "ingredients",
            "drugs",
            "medication_classes",
            "conditions",
            "contraindications",
            "interactions",
            "limits",
            "regulations",
        )
    ]
    regions = sorted({r for reg in pack.regulations for r in reg.regions})
    provides = [f"{n} {kind}" for kind, n in counts if n]
    return tuple(provides + ([f"regions {', '.join(regions)}"] if regions else []))


def import_target(target: str) -> object:
    """The object an entry point's value names: ``module`` or ``module:attribute.path``."""
    module, _, attr = target.partition(":")
    plugin: object = importlib.import_module(module)
    for part in filter(None, attr.split(".")):
        plugin = getattr(plugin, part)
    return plugin


def _load_code(
    info: PluginInfo, timeout: float, known: Mapping[str, str] | None = None
) -> tuple[PluginStatus, object | None]:
    why = _verdict(info.requires_mesoreg, known or {})
    if why:
        return PluginStatus(info, "incompatible", why), None

    def load() -> tuple[object, list[str], tuple[str, ...]]:
        plugin = import_target(info.target)
        return plugin, unknown_hooks(plugin), hooks_of(plugin)

    try:
        plugin, bad, provides = call(load, timeout)
    except PluginFault as exc:
        if is_strict():
            raise PluginError(f"plugin '{info.name}' failed to load: {exc}") from exc
        return PluginStatus(info, "failed", f"cannot load {info.target}: {exc}"), None
    if bad:
        if is_strict():
            raise PluginError(f"plugin '{info.name}' {'; '.join(bad)}")
        return PluginStatus(info, "failed", "; ".join(bad)), None
    return PluginStatus(info, "ok", provides=provides), plugin


def load_plugins(
    settings: Settings, infos: Iterable[PluginInfo] | None = None
) -> list[tuple[PluginStatus, object | None]]:
    """Load every allowed plugin on its own; each comes back with its status."""
    results: list[tuple[PluginStatus, object | None]] = []
    files: dict[str, str] = {}
    known: dict[str, str] = {}
    if infos is None:
        # with --no-plugins nothing installed is used: skip reading every distribution's metadata
        found = _Discovery(()) if settings.no_plugins else _discovered()
        infos, files, known = found.infos, dict(found.pack_files), dict(found.verdicts)
    for info in infos:
        if settings.no_plugins:
            results.append((PluginStatus(info, "disabled", "--no-plugins"), None))
        elif not settings.is_allowed(info.name):
            results.append((PluginStatus(info, "disabled", "not allowed by configuration"), None))
        elif _poses_as_core(info.name):
            why = "its name looks like mesoreg's own (mesoreg-core): refused; rename it"
            results.append((PluginStatus(info, "failed", why), None))
        elif info.kind == "pack":
            where = files.get(info.name)
            results.append(_load_pack(info, Path(where) if where else None, known))
        else:
            results.append(_load_code(info, settings.plugin_timeout, known))
    for path in settings.packs:
        local = PluginInfo(name=Path(path).stem, kind="pack", target=path)
        status, plugin = _load_pack(local, Path(path), known)
        if isinstance(plugin, PackPlugin):
            status = attrs.evolve(status, info=attrs.evolve(status.info, name=plugin.name))
        results.append((status, plugin))
    return results


def _poses_as_core(name: str) -> bool:
    """True for a plugin name that reads as mesoreg's own (its findings would seem to be)."""
    from mesoreg.knowledge._pack import CORE_PACK, name_skeleton

    return name_skeleton(name) in (name_skeleton(CORE_PACK), name_skeleton("mesoreg"))


def child_path() -> list[str]:
    """``sys.path`` for a child process: this mesoreg's folder first, then this one's, absolute.

    An empty entry means the current folder to this process; made absolute it
    means the same to the child, and can no longer hide this mesoreg.
    """
    import mesoreg

    own = str(Path(mesoreg.__file__).resolve().parent.parent)
    rest = [str(Path(p).resolve()) for p in sys.path]
    return [own, *[p for p in dict.fromkeys(rest) if p != own]]


def builtin_plugins() -> list[object]:
    """mesoreg's own plugin modules."""
    return [importlib.import_module(name) for name in BUILTIN_PLUGINS]


def is_builtin(plugin: object) -> bool:
    """True for one of mesoreg's own plugin modules (by identity, never by a name it claims).

    No attribute of ``plugin`` is read: that could run its code, outside the guard.
    """
    return any(sys.modules.get(name) is plugin for name in BUILTIN_PLUGINS)


def make_plugin_manager(plugins: Sequence[object] | None = None) -> pluggy.PluginManager:
    """A plugin manager with the hookspecs and the built-in plugins (or exactly ``plugins``)."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for plugin in builtin_plugins() if plugins is None else plugins:
        pm.register(plugin, name=plugin_name(plugin))
    pm.check_pending()
    return pm


def plugin_name(plugin: object) -> str:
    """The name a plugin is registered and reported under."""
    if type(plugin) is PackPlugin:
        return plugin.name
    if issubclass(type(plugin), type):  # a class as a plugin
        name = type.__dict__["__name__"].__get__(plugin)
        return name if type(name) is str else "a plugin class"
    if type(plugin) is types.ModuleType:
        # read from the module's own namespace: no __getattr__ or property of the plugin runs
        name = vars(plugin).get("__name__")
        if type(name) is str and name:
            return name
    return type_name(plugin)


def register(pm: pluggy.PluginManager, plugin: object, name: str, timeout: float) -> None:
    """Register a plugin and check its hooks; :class:`PluginFault` when that fails or overruns.

    Registration reads the plugin's attributes, which may run its code.
    """

    def run() -> None:
        try:
            pm.register(plugin, name=name)
            pm.check_pending()
        except BaseException:
            if pm.is_registered(plugin):
                pm.unregister(plugin)
            raise

    call(run, timeout)


def check_records(value: object, kind: type[Any]) -> str:
    """Why a hook's return value is not a list of well-formed ``kind`` records ('' when it is).

    The value must be exactly a list or a tuple (not a subclass, whose ``__iter__``
    would be the plugin's code) holding records of exactly ``kind``
    (:mod:`mesoreg.host._shape`).  :func:`collect` runs this inside the guarded call.
    """
    if type(value) not in (list, tuple):
        return f"must return a list of {kind.__name__} (got {type_name(value)})"
    assert isinstance(value, list | tuple)
    for i, item in enumerate(value):
        problems = shape_problems(item, kind, f"{kind.__name__} #{i + 1}")
        if problems:
            return "returned a malformed record: " + "; ".join(problems)
    return ""


def _records(
    fn: Callable[[], object], kind: type[Any], *, trusted: bool = False
) -> tuple[tuple[Any, ...], str]:
    """Call a hook and check what it returned, both as plugin code: (records, problem).

    ``trusted`` is for mesoreg's own objects (a data pack read by its strict
    converter): their records are not walked again.
    """
    value = fn()
    if trusted:
        return tuple(value), ""  # type: ignore[arg-type]
    problem = check_records(value, kind)
    return (() if problem else tuple(value)), problem  # type: ignore[arg-type]


def collect(
    pm: pluggy.PluginManager,
    hook: str,
    kind: type[Any],
    timeout: float = DEFAULT_TIMEOUT,
    only: Callable[[object], bool] | None = None,
) -> tuple[list[tuple[str, Any]], list[PluginFailure]]:
    """Call every implementation of ``hook`` on its own; records of ``kind`` and failures.

    Each call is guarded (:func:`mesoreg.host._guard.call`) and what it returns is
    checked record by record; a plugin that fails contributes nothing.  Results
    come back sorted by plugin name, so they never depend on load order.  ``only``
    picks the plugins to call (by default, every one).
    """
    results: list[tuple[str, Any]] = []
    failures: list[PluginFailure] = []
    for impl in getattr(pm.hook, hook).get_hookimpls():
        if only is not None and not only(impl.plugin):
            continue
        value: tuple[Any, ...] = ()
        try:
            # checked and copied inside the guard: nothing the plugin returned runs later
            # a data pack's records come from mesoreg's own strict converter, never from code
            trusted = type(impl.plugin) is PackPlugin
            run = functools.partial(_records, impl.function, kind, trusted=trusted)
            value, problem = call(run, None if is_builtin(impl.plugin) else timeout)
        except PluginFault as exc:
            problem = str(exc)
        if problem:
            if is_strict():
                raise PluginError(f"plugin '{impl.plugin_name}' failed in {hook}: {problem}")
            failures.append(PluginFailure(impl.plugin_name, hook, problem))
            continue
        results.extend((impl.plugin_name, v) for v in value)
    results.sort(key=lambda pair: pair[0])
    return results, sorted(failures)
