"""Stat signatures of files, folders and the installed environment, for cache keys.

Cheap and import-free on purpose: :mod:`mesoreg.command._replay` computes them before
anything heavy is imported.

* :func:`signature` -- one file or folder: (inode, size, mtime ns, ctime ns), ``-`` when
  it cannot be read.  A change that keeps all four is not seen, which needs a deliberate
  effort (ctime cannot be set back without root).
* :func:`environment` -- the installed distributions as Python would find them: every
  ``sys.path`` entry (a folder by the names in it, ``__pycache__`` left out; anything
  else by its stat), with the stat of each ``*.dist-info`` / ``*.egg-info`` folder and
  its ``entry_points.txt``, ``METADATA``, ``PKG-INFO`` and ``RECORD``, each ``*.egg-link``
  and each ``*.pth`` file.  Installing, removing or upgrading a distribution adds, removes
  or renames such a folder, which changes the listing; editing one of those metadata
  files in place changes its own stat.
* :func:`folder` -- every file and folder below a package folder, by stat.
* :func:`presence` -- what a look at a path tells (there or not, link, folder), for paths a
  command only looks for.
"""

from __future__ import annotations

import os
import stat
import sys

#: the files of a distribution's metadata that discovery reads (RECORD: its files)
_METADATA = ("entry_points.txt", "METADATA", "PKG-INFO", "RECORD")


def signature(path: str | os.PathLike[str]) -> str:
    """A file's or folder's stat signature, ``-`` when it cannot be read."""
    try:
        # os.stat on a str: this runs hundreds of times on every command, and a Path costs
        # several times the system call it wraps
        info = os.stat(path)
    except OSError:
        return "-"
    return f"{info.st_ino}:{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}"


def presence(path: str) -> str:
    """What looking at ``path`` (not reading it) can tell: whether it is there, a link (and
    to what) or a folder; a file by its :func:`signature`.  A folder's own times are left
    out: they change whenever anything in it does, and a look does not depend on that."""
    try:
        own = os.lstat(path)
    except OSError:
        return "-"
    if stat.S_ISLNK(own.st_mode):
        try:
            where = f"link {os.readlink(path)}"
        except OSError:
            return "unreadable link"
        return f"{where} {'folder' if os.path.isdir(path) else signature(path)}"
    return "folder" if stat.S_ISDIR(own.st_mode) else signature(path)


def environment() -> str:
    """The installed distributions and import path, as a text to key caches on."""
    cwd = os.getcwd()
    lines = [sys.executable, sys.prefix, cwd]
    for entry in sys.path:
        where = entry or cwd
        try:
            names = sorted(e.name for e in os.scandir(where))
        except OSError:  # a zip file, a missing folder: its own signature says enough
            lines.append(f"path {entry!r} {signature(where)}")
            continue
        # a folder by its listing, not its stat: importing a module writes __pycache__
        lines.append(f"path {entry!r} folder")
        for name in names:
            full = f"{where}{os.sep}{name}"
            if name.endswith((".dist-info", ".egg-info")):
                lines.append(f"  {name} {signature(full)}")
                lines.extend(f"    {m} {signature(f'{full}{os.sep}{m}')}" for m in _METADATA)
            elif name.endswith((".pth", ".egg-link")):
                lines.append(f"  {name} {signature(full)}")
            elif name != "__pycache__":
                lines.append(f"  {name}")
    return "\n".join(lines)


def folder(root: str) -> str:
    """Every file and folder below ``root`` by stat (``__pycache__`` left out)."""
    lines = [f"{root} {signature(root)}"]
    for top, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in [*dirs, *sorted(files)]:
            full = os.path.join(top, name)
            lines.append(f"{full} {signature(full)}")
    return "\n".join(lines)
