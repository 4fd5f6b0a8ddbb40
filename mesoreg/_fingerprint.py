"""A registry's fingerprint: a digest of everything a check's result can depend on but its
own inputs (formulation, patient, region, date).

It names what the catalog, checks and validators are built from, without
building them: the settings (allow, deny, require, weakening allowed, packs,
time limit), every plugin and pack considered with its version and what became
of it, the files of every plugin's package and of mesoreg's own package (name,
size and modification time, as Python's own bytecode cache does, so that an
edited editable install is a change), and the bytes of every ``--pack`` file.
:func:`mesoreg._cache.key` adds the mesoreg and Python versions.

A registry made from plugin objects (``Registry.from_plugins``) has no
fingerprint (None): objects can carry state no file describes, so nothing
computed with it is kept.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mesoreg._registry import Registry

#: files of a package that can change what it does (bytecode caches follow their sources)
_SUFFIXES = (".py", ".toml", ".json", ".txt", ".csv", ".so", ".pyd")


def registry_fingerprint(registry: Registry) -> str | None:
    """The registry's fingerprint, or None when it cannot have one (see the module)."""
    settings = registry.settings
    if settings is None:
        return None
    parts = [repr(settings), _package_files("mesoreg")]
    for status in sorted(registry.statuses, key=repr):
        parts.append(repr(status))
        target = status.info.target
        if status.info.kind == "pack" and ":" not in target:
            parts.append(_file_bytes(Path(target)))
        elif target:
            parts.append(_package_files(target.partition(":")[0].split(".")[0]))
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogateescape")
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def _file_bytes(path: Path) -> str:
    try:
        return f"{path}: {hashlib.sha256(path.read_bytes()).hexdigest()}"
    except OSError as exc:
        return f"{path}: unreadable ({type(exc).__name__})"


def _package_files(top: str) -> str:
    """Name, size and modification time of every source and data file of a package."""
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return f"{top}: not found"
    folders = list(spec.submodule_search_locations or [])
    if not folders:  # a single-module plugin
        origin = spec.origin or ""
        return f"{top}: {_stat(Path(origin))}"
    lines = [top]
    for folder in sorted(folders):
        for base, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
            lines += [
                f"{Path(base, name)} {_stat(Path(base, name))}"
                for name in sorted(files)
                if name.endswith(_SUFFIXES)
            ]
    return "\n".join(lines)


def _stat(path: Path) -> str:
    try:
        info = path.stat()
    except OSError as exc:
        return f"unreadable ({type(exc).__name__})"
    return f"{info.st_size} {info.st_mtime_ns}"
