"""Keys and values for the registry's on-disk caches (:mod:`mesoreg._cache` stores them).

What a cache key may rely on, cheaply and without importing any plugin:

* :func:`environment` -- the installed distributions as Python would find them: every
  ``sys.path`` entry (a folder by the names in it, ``__pycache__`` left out; anything
  else by its stat), with the stat of each ``*.dist-info`` / ``*.egg-info`` folder and
  its ``entry_points.txt``, ``METADATA``, ``PKG-INFO`` and ``RECORD``, each ``*.egg-link``
  and each ``*.pth`` file.  Installing, removing or upgrading a distribution adds, removes
  or renames such a folder, which changes the listing; editing one of those metadata
  files in place changes its own stat (size, mtime, ctime, inode).  A plugin's *code*
  is never cached: it is imported on every run, so an edited editable plugin is live,
  and the packs a code plugin returns are asked for every run and keyed by content.
* :func:`folder` -- every file and folder below a package folder, by stat (for
  ``plugins list``, whose answer depends on whether a plugin's code imports, and for
  :attr:`mesoreg._registry.Registry.fingerprint`).
* :func:`digest` -- content, for pack files and the built-in catalog files.

A stat signature is (inode, size, mtime ns, ctime ns): a change that keeps all four is not
seen, which needs a deliberate effort (ctime cannot be set back without root).

Values are pickled with :func:`dumps`, which writes read-only mappings
(:class:`types.MappingProxyType`, the catalog's views) as mappings rebuilt read-only by
:func:`_proxy` when loaded.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

_METADATA = ("entry_points.txt", "METADATA", "PKG-INFO", "RECORD")


def signature(path: str | Path) -> str:
    """A file's or folder's stat signature, ``-`` when it cannot be read."""
    try:
        info = Path(path).stat()
    except OSError:
        return "-"
    return f"{info.st_ino}:{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}"


def environment() -> str:
    """The installed distributions and import path, as a text to key caches on."""
    cwd = Path.cwd()
    lines = [sys.executable, sys.prefix, str(cwd)]
    for entry in sys.path:
        where = Path(entry) if entry else cwd
        try:
            names = sorted(e.name for e in os.scandir(where))
        except OSError:  # a zip file, a missing folder: its own signature says enough
            lines.append(f"path {entry!r} {signature(where)}")
            continue
        # a folder by its listing, not its stat: importing a module writes __pycache__
        lines.append(f"path {entry!r} folder")
        for name in names:
            if name.endswith((".dist-info", ".egg-info")):
                lines.append(f"  {name} {signature(where / name)}")
                lines.extend(f"    {m} {signature(where / name / m)}" for m in _METADATA)
            elif name.endswith((".pth", ".egg-link")):
                lines.append(f"  {name} {signature(where / name)}")
            elif name != "__pycache__":
                lines.append(f"  {name}")
    return "\n".join(lines)


def folder(root: str) -> str:
    """Every file and folder below ``root`` by stat (``__pycache__`` left out)."""
    lines = [f"{root} {signature(root)}"]
    for top, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in [*dirs, *sorted(files)]:
            lines.append(f"{Path(top, name)} {signature(Path(top, name))}")
    return "\n".join(lines)


def digest(parts: Iterable[str | bytes]) -> str:
    """The sha256 of ``parts``, each length-prefixed so that no two lists share a digest."""
    hashed = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        hashed.update(len(data).to_bytes(8, "big"))
        hashed.update(data)
    return hashed.hexdigest()


def _proxy(mapping: dict[Any, Any]) -> Mapping[Any, Any]:
    """A read-only view again (what :func:`dumps` wrote as a plain dict)."""
    return MappingProxyType(mapping)


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if type(obj) is MappingProxyType:
            return _proxy, (dict(obj),)
        return NotImplemented


def dumps(value: object) -> bytes:
    """``value`` pickled, read-only mappings included; ``pickle.loads`` reads it back."""
    out = io.BytesIO()
    _Pickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return out.getvalue()
