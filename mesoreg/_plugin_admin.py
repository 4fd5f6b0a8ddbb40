"""``mesoreg plugins list`` and ``mesoreg plugins check``: inspect plugins safely.

Listing imports no third-party code in this process: entry-point metadata
names what is installed, and plugins are loaded in a child process
(``python -m mesoreg._plugin_admin``) whose crash or hang cannot take the
listing down.  With ``--no-plugins`` nothing is loaded at all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

from mesoreg._config import Settings
from mesoreg._errors import InputError, MesoregError, Problem
from mesoreg._plugins import (
    PluginInfo,
    PluginStatus,
    builtin_plugins,
    discover,
    hooks_of,
    import_target,
    incompatibility,
    plugin_name,
    unknown_hooks,
)
from mesoreg._version import __version__

_PROBE_TIMEOUT = 60


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


def _probe(settings: Settings) -> list[dict[str, Any]]:
    """Load plugins in a child process and return their statuses."""
    env = dict(os.environ)
    env["MESOREG_PROBE_SETTINGS"] = json.dumps(attrs.asdict(settings))
    try:
        out = subprocess.run(
            [sys.executable, "-m", "mesoreg._plugin_admin"],
            env=env,
            capture_output=True,
            text=True,
            timeout=_PROBE_TIMEOUT,
            check=False,
        )
        rows: list[dict[str, Any]] = json.loads(out.stdout)
        return rows
    except (subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
        error = f"loading plugins failed in a child process: {type(exc).__name__}"
        return [_status_to_dict(PluginStatus(info, "failed", error)) for info in discover()]


def list_plugins(settings: Settings) -> list[dict[str, Any]]:
    """Every plugin: built-in, installed code plugins and packs, and local packs."""
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
            rows += _probe(attrs.evolve(settings, no_plugins=True))
        return builtins + rows
    return builtins + _probe(settings)


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
) -> Iterator[str]:
    """Register with the built-ins, call every hook, build the catalog: report problems.

    An override that weakens a record is a problem (unless ``allow_weakening``
    names it); every override applied goes to ``warnings``.
    """
    from mesoreg._registry import Registry

    try:
        registry = Registry.from_plugins([*_builtins(), plugin])
    except Exception as exc:  # signature mismatch and the like
        yield f"{name}: cannot register: {exc}"
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
    for failure in registry.failures:
        yield f"{name}: {failure}"


def _builtins() -> list[object]:
    from mesoreg._plugins import builtin_plugins

    return builtin_plugins()


def _name_taken(name: str, path: Path) -> list[str]:
    """The pack's name, if an installed plugin other than this very file already has it.

    An installed pack's name is read from its file (no code runs); a code
    plugin's packs are known only by running it, so its entry-point name is used.
    """
    from mesoreg._pack import load_pack_document
    from mesoreg._plugins import _pack_file

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
    from mesoreg._pack import load_pack_document
    from mesoreg._plugins import PackPlugin, _pack_file

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
            plugin = import_target(info.target)
        except Exception as exc:
            problems.append(f"{info.name}: cannot load {info.target}: {type(exc).__name__}: {exc}")
            continue
        problems += [f"{info.name}: {p}" for p in unknown_hooks(plugin)]
        problems += list(_check_records(plugin, info.name, warnings))
    return problems


def _main() -> None:
    """Child process of ``plugins list``: load plugins, print their statuses as JSON."""
    from mesoreg._plugins import load_plugins

    raw = json.loads(os.environ.get("MESOREG_PROBE_SETTINGS", "{}"))
    values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
    settings = Settings(**values)
    rows = []
    for status, plugin in load_plugins(settings):
        if plugin is not None and status.status == "ok":
            problems = list(
                _check_records(plugin, status.info.name, allow_weakening=settings.allow_weakening)
            )
            if problems:
                status = attrs.evolve(status, status="failed", error="; ".join(problems))
        rows.append(_status_to_dict(status))
    print(json.dumps(rows))


if __name__ == "__main__":
    _main()
