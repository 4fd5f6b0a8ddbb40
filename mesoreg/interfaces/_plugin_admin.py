"""``mesoreg plugins list`` and ``mesoreg plugins check``: inspect plugins safely.

Listing imports no third-party code in this process: entry-point metadata
names what is installed, and plugins are loaded in a child process whose
crash or hang cannot take the listing down.  The child gets exactly this
process's settings and code: it runs in isolated mode (``python -I``, so
neither the current folder nor ``PYTHON*`` variables change what it imports)
with this process's ``sys.path``, this mesoreg's own folder first.  Whatever
the plugins print in the child goes to its stderr (file descriptor 1 is
pointed there); the statuses come back on a private copy of stdout.  With
``--no-plugins`` nothing is loaded at all.  The child registers each plugin
with the built-ins and checks every record its hooks return; it does not run
the plugin's checks (that is ``plugins check``).

``plugins check`` builds a registry of the built-ins and the plugin, builds
the catalog, and runs a sample check in every region the plugin covers,
rendering it in each of its formats: every failure, malformed record or
refused format is a problem, so ``ok`` means the plugin's code ran cleanly.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from mesoreg._errors import InputError, MesoregError, Problem
from mesoreg._version import __version__
from mesoreg.host._config import Settings
from mesoreg.host._guard import PluginFault, call
from mesoreg.host._plugins import (
    PluginInfo,
    PluginStatus,
    builtin_plugins,
    child_path,
    discover,
    hooks_of,
    import_target,
    incompatibility,
    plugin_name,
    unknown_hooks,
)

if TYPE_CHECKING:
    from mesoreg.host._registry import Registry

_PROBE_TIMEOUT = 60
_CHILD_FAILED = "loading plugins failed in a child process"
#: what the child runs: this process's path, then the listing
_CHILD = (
    "import json, os, sys; sys.path[:] = json.loads(os.environ['MESOREG_PROBE_PATH']); "
    "import mesoreg.interfaces._plugin_admin as admin; admin._main()"
)


def _status_to_dict(status: PluginStatus) -> dict[str, Any]:
    info = status.info
    return {
        "name": info.name,
        "version": info.version,
        "kind": info.kind,
        "distribution": info.distribution,
        "target": info.target,
        "requires_mesoreg": info.requires_mesoreg,
        "status": status.status,
        "error": status.error,
        "provides": list(status.provides),
    }


def _probe(settings: Settings, files: list[str] | None = None) -> list[dict[str, Any]]:
    """Load plugins in a child process and return their statuses; ``files`` gets the file
    of every module the child imported while loading and trying them."""
    import subprocess  # only when the listing is not in the cache

    env = dict(os.environ)
    env["MESOREG_PROBE_SETTINGS"] = json.dumps(attrs.asdict(settings))
    env["MESOREG_PROBE_PATH"] = json.dumps(child_path())
    try:
        out = subprocess.run(
            [sys.executable, "-I", "-c", _CHILD],
            env=env,
            capture_output=True,
            text=True,
            timeout=max(_PROBE_TIMEOUT, 4 * settings.plugin_timeout),
            check=False,
        )
        answer = json.loads(out.stdout)
        rows: list[dict[str, Any]] = answer["rows"]
        if files is not None:
            files.extend(str(f) for f in answer["files"])
        return rows
    except (subprocess.TimeoutExpired, json.JSONDecodeError, KeyError, TypeError) as exc:
        error = f"{_CHILD_FAILED}: {type(exc).__name__}"
        return [_status_to_dict(PluginStatus(info, "failed", error)) for info in discover()]


def _listing_key(settings: Settings) -> str:
    """The cache key of a listing: everything the child's answer is read from.

    The settings, the installed environment (:func:`mesoreg._stat.environment`), each
    allowed code plugin's package files by stat (found without importing it), each pack
    file's content, the core pack's files, ``MESOREG_STRICT_PLUGINS`` and mesoreg's
    version.  The entry also holds the signature of every module file the child imported
    (a helper module beside the plugin, a library it uses), compared on every read
    (:func:`list_plugins`).  A plugin whose import depends on anything else (environment
    variables, data files outside its package) may be listed as it was when the listing
    was cached; checks never use this listing: they import every plugin themselves.
    """
    import importlib.util

    from mesoreg import _cache, _snapshot, _stat
    from mesoreg.host._plugins import _discovered

    found = _discovered()
    files = dict(found.pack_files)
    parts: list[str | bytes] = [
        json.dumps(attrs.asdict(settings), sort_keys=True),
        _stat.environment(),
        os.environ.get("MESOREG_STRICT_PLUGINS", ""),
        _snapshot.core_key(_snapshot.core_files()),
    ]
    for info in found.infos:
        parts.append(repr(info))
        if info.kind == "pack":
            parts.append(_file_digest(files.get(info.name, "")))
            continue
        top = info.target.partition(":")[0].partition(".")[0]
        try:
            spec = importlib.util.find_spec(top)  # a top-level name: nothing is imported
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            parts.append("not found")
            continue
        for where in [*(spec.submodule_search_locations or []), spec.origin or ""]:
            parts.append(_stat.folder(where))
    parts += [_file_digest(path) for path in settings.packs]
    return _cache.key("plugins", *parts)


def _file_digest(path: str) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError as exc:
        return f"unreadable: {type(exc).__name__}"


def list_plugins(settings: Settings) -> list[dict[str, Any]]:
    """Every plugin: built-in, installed code plugins and packs, and local packs.

    Loading plugins takes a child process; its answer is kept in the on-disk cache under
    :func:`_listing_key`, so the child runs only when something it reads has changed.
    """
    from mesoreg import _cache, _stat

    key = _listing_key(settings) if not settings.no_plugins or settings.packs else ""
    if key:
        cached = _cache.get("plugins", key)
        if type(cached) is tuple and len(cached) == 2:
            rows, signed = cached
            if (
                type(rows) is list
                and all(type(row) is dict for row in rows)
                and all(_stat.signature(path) == signature for path, signature in signed)
            ):
                return rows
    files: list[str] = []
    rows = _list_plugins(settings, files)
    if key and not any(_CHILD_FAILED in row["error"] for row in rows):
        signed = tuple((path, _stat.signature(path)) for path in sorted(set(files)))
        _cache.put("plugins", key, (rows, signed))
    return rows


def _list_plugins(settings: Settings, files: list[str] | None = None) -> list[dict[str, Any]]:
    builtins = [
        _status_to_dict(
            PluginStatus(
                PluginInfo(plugin_name(p), "built-in", __version__), "ok", provides=hooks_of(p)
            )
        )
        for p in builtin_plugins()
    ]
    if settings.no_plugins:
        rows = [_status_to_dict(PluginStatus(i, "disabled", "--no-plugins")) for i in discover()]
        if settings.packs:
            rows += _probe(attrs.evolve(settings, no_plugins=True), files)
        return builtins + rows
    return builtins + _probe(settings, files)


def plugins_text(rows: list[dict[str, Any]]) -> str:
    """The plugin list as a table, with errors under failed plugins."""
    lines = [f"{'name':<34} {'version':<10} {'kind':<9} {'status':<12} provides"]
    for row in rows:
        provides = ", ".join(row["provides"]) or "-"
        lines.append(
            f"{row['name']:<34} {row['version'] or '-':<10} {row['kind']:<9} "
            f"{row['status']:<12} {provides}"
        )
        if row["error"] and row["status"] != "ok":
            lines.append(f"    {row['error']}")
    return "\n".join(lines)


# -- plugins check -----------------------------------------------------------------


def _entry_points(project: Path) -> tuple[list[PluginInfo], str]:
    import tomllib

    data = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    meta = data.get("project", {})
    eps = meta.get("entry-points", {})
    from packaging.requirements import Requirement

    requires = next(
        (
            str(Requirement(d).specifier)
            for d in meta.get("dependencies", [])
            if Requirement(d).name.lower() == "mesoreg"
        ),
        "",
    )
    infos = [
        PluginInfo(
            name, kind, str(meta.get("version", "")), str(meta.get("name", "")), value, requires
        )
        for group, kind in (("mesoreg", "code"), ("mesoreg.packs", "pack"))
        for name, value in eps.get(group, {}).items()
    ]
    return infos, requires


def _check_records(
    plugin: object,
    name: str,
    warnings: list[str] | None = None,
    allow_weakening: tuple[str, ...] = (),
    *,
    sample: bool = True,
) -> Iterator[str]:
    """Register with the built-ins, call every hook, run a sample check: report problems.

    An override that weakens a record is a problem (unless ``allow_weakening``
    names it); every override applied goes to ``warnings``.
    """
    from mesoreg.host._registry import Registry

    registry = Registry.from_plugins([*_builtins(), plugin])
    for status in registry.statuses:
        if status.status != "ok":
            yield f"{name}: cannot register: {status.error}"
            return
    registry.allow_weakening = allow_weakening
    try:
        for found in registry.catalog.overrides:
            if warnings is not None:
                warnings.append(f"{name}: override {found.describe()}")
        registry.checks  # noqa: B018
        registry.validators  # noqa: B018
        registry.formats  # noqa: B018
    except MesoregError as exc:
        yield from (f"{name}: {line}" for line in str(exc).splitlines())
        return
    for failure in registry.failures:
        yield f"{name}: {failure}"
    if sample:  # `plugins check` runs the plugin's code on a sample; `plugins list` does not
        yield from (f"{name}: {line}" for line in _sample_problems(registry))


def _sample_problems(registry: Registry) -> Iterator[str]:
    """Run each check, validator and format once on a sample formulation and patient."""
    from mesoreg.host._engine import check
    from mesoreg.testing import DEFAULT_DATE, HEALTHY, formulation, patient

    sample = formulation([("lidocaine", "1 %", "1 mL")])
    regions = sorted({r for v in registry.validators for r in v.regions})
    for region in [None, *regions]:
        try:
            # a patient with every fact known and no risk factor, as the guide says
            healthy = patient(HEALTHY)
            report = check(sample, healthy, region=region, date=DEFAULT_DATE, registry=registry)
        except MesoregError as exc:
            yield f"sample check{f' in {region}' if region else ''}: {exc}"
            continue
        for gap in report.unchecked:
            if gap.reason.startswith("check failed"):
                yield f"{gap.check}: {gap.reason}"
        for name in sorted(registry.providers):
            if name.startswith("format:"):
                try:
                    registry.render(name.removeprefix("format:"), report)
                except MesoregError as exc:
                    yield str(exc)


def _builtins() -> list[object]:
    from mesoreg.host._plugins import builtin_plugins

    return builtin_plugins()


def _name_taken(name: str, path: Path) -> list[str]:
    """The pack's name, if an installed plugin other than this very file already has it.

    An installed pack's name is read from its file (no code runs); a code
    plugin's packs are known only by running it, so its entry-point name is used.
    """
    from mesoreg.host._plugins import _pack_file
    from mesoreg.knowledge._pack import load_pack_document

    problems = []
    for info in discover():
        names, same = {info.name}, False
        if info.kind == "pack":
            try:
                file = _pack_file(info)
                # the same file, or an installed copy of it (a regular install copies it)
                same = file.resolve() == path.resolve() or file.read_bytes() == path.read_bytes()
                names.add(load_pack_document(file).name)
            except (MesoregError, OSError):
                pass  # a broken installed pack is reported by 'plugins list'
        if name in names and not same:
            problems.append(
                f"{name}: the installed {info.kind} plugin '{info.name}' "
                f"({info.distribution or info.target}) has this name and another file: if this "
                "is a new version of it, reinstall; otherwise rename the pack (both together "
                "would be refused)"
            )
    return problems


def check_plugin(target: str, warnings: list[str] | None = None) -> list[str]:
    """Problems with a plugin or pack: a pack file, a project folder or an installed name.

    Every override of another pack's record is added to ``warnings``; one that
    weakens the record is a problem.
    """
    from mesoreg.host._plugins import PackPlugin, _pack_file
    from mesoreg.knowledge._pack import load_pack_document

    path = Path(target)
    problems: list[str] = []
    if path.suffix == ".toml" and path.is_file():
        pack = load_pack_document(path)
        why = incompatibility(pack.requires_mesoreg)
        problems += [f"{pack.name}: {why}"] if why else []
        if warnings is not None:
            # a different file with an installed pack's name: a new version of that pack
            # (reinstall it), or a clash that the registry would refuse (rename it)
            warnings += _name_taken(pack.name, path)
        return problems + list(_check_records(PackPlugin(pack), pack.name, warnings))
    if path.is_dir() and (path / "pyproject.toml").is_file():
        infos, _ = _entry_points(path)
        if not infos:
            return [f"{path}: declares no 'mesoreg' or 'mesoreg.packs' entry point"]
        sys.path[:0] = [str(path), str(path / "src")]
    else:
        infos = [i for i in discover() if i.name == target]
        if not infos:
            raise InputError(
                [
                    Problem(
                        "",
                        f"no pack file, project folder or installed plugin named '{target}'",
                        "Run 'mesoreg plugins list'.",
                    )
                ]
            )
    for info in infos:
        why = incompatibility(info.requires_mesoreg)
        if why:
            problems.append(f"{info.name}: {why}")
        if info.kind == "pack":
            package, _, resource = info.target.partition(":")
            local = path / Path(*package.split(".")) / resource
            try:
                pack = load_pack_document(local if local.is_file() else _pack_file(info))
            except (MesoregError, OSError) as exc:
                problems.append(f"{info.name}: {exc}")
                continue
            problems += list(_check_records(PackPlugin(pack), info.name, warnings))
            continue
        try:
            plugin = call(functools.partial(import_target, info.target))
            problems += [
                f"{info.name}: {p}" for p in call(functools.partial(unknown_hooks, plugin))
            ]
        except PluginFault as exc:
            problems.append(f"{info.name}: cannot load {info.target}: {exc}")
            continue
        problems += list(_check_records(plugin, info.name, warnings))
    return problems


def _check_together(
    ready: list[tuple[PluginStatus, object]], allow_weakening: tuple[str, ...]
) -> dict[str, list[str]] | None:
    """Every plugin's problems, from one registry of them all (one catalog, not one each).

    None when that cannot name the plugin at fault (a registration or catalog error, or a
    failure under a name no plugin has): the caller then checks each plugin on its own.
    """
    from mesoreg.host._registry import Registry

    owner = {plugin_name(p): s.info.name for s, p in ready}
    if len(owner) != len(ready):
        return None
    registry = Registry.from_plugins([*_builtins(), *(p for _, p in ready)])
    if any(status.status != "ok" for status in registry.statuses):
        return None
    registry.allow_weakening = allow_weakening
    try:
        registry.catalog  # noqa: B018 - builds and cross-checks every pack
        registry.checks  # noqa: B018
        registry.validators  # noqa: B018
        registry.formats  # noqa: B018
    except MesoregError:
        return None
    problems: dict[str, list[str]] = {s.info.name: [] for s, _ in ready}
    for failure in registry.failures:
        name = owner.get(failure.plugin)
        if name is None:
            return None
        problems[name].append(f"{name}: {failure}")
    return problems


def _main() -> None:
    """Child process of ``plugins list``: load plugins, print their statuses as JSON.

    File descriptor 1 is pointed at stderr first, so nothing a plugin prints,
    even with ``os.write(1, ...)``, can corrupt the JSON.
    """
    from mesoreg.host._plugins import load_plugins

    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    sys.stdout.flush()
    os.dup2(2, 1)
    before = set(sys.modules)
    raw = json.loads(os.environ.get("MESOREG_PROBE_SETTINGS", "{}"))
    values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
    settings = Settings(**values)
    loaded = list(load_plugins(settings))
    ready = [(s, p) for s, p in loaded if p is not None and s.status == "ok"]
    together = _check_together(ready, settings.allow_weakening)
    rows = []
    for status, plugin in loaded:
        if plugin is not None and status.status == "ok":
            if together is not None:
                problems = together[status.info.name]
            else:  # check each on its own, to name the one at fault
                problems = list(
                    _check_records(
                        plugin,
                        status.info.name,
                        allow_weakening=settings.allow_weakening,
                        sample=False,
                    )
                )
            if problems:
                status = attrs.evolve(status, status="failed", error="; ".join(problems))
        rows.append(_status_to_dict(status))
    files = {
        where
        for name, module in list(sys.modules.items())
        if name not in before
        for where in (getattr(module, "__file__", None),)
        if type(where) is str
    }
    out.write(json.dumps({"rows": rows, "files": sorted(files)}))
    out.close()


if __name__ == "__main__":
    _main()
