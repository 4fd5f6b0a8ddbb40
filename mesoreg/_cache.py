"""The on-disk cache: values that are pure functions of their key, kept between runs.

Every entry is a pure function of its key, and every key names everything the value was
computed from (the caller's inputs, plus this mesoreg version and Python version, which
``key`` always adds), so a hit can never serve a value the computation would not produce
now.  The cache is an optimisation only: a missing, damaged, foreign or unwritable entry is
a miss, never an error, and ``MESOREG_CACHE=0`` turns it off.

Where: ``$MESOREG_CACHE_DIR``, else ``$XDG_CACHE_HOME/mesoreg``, else ``~/.cache/mesoreg``.
Entries are pickles, so a folder that anyone but the current user could write to is never
read (a planted pickle would run code): it must be a real folder (no link), owned by the
user, and not writable by group or others.  Each entry carries the sha256 of its payload,
checked before it is unpickled, so a truncated or altered file is a miss.
"""

# os.path, not pathlib, and no contextlib: a replayed command imports neither
from __future__ import annotations

import hashlib
import os
import stat
import sys

from mesoreg._version import __version__

TYPE_CHECKING = False  # not typing's: a cold command that replays imports neither it nor pathlib
if TYPE_CHECKING:
    from pathlib import Path

_MAGIC = b"mesoreg-cache 1\n"


def enabled() -> bool:
    """Whether the cache is on (``MESOREG_CACHE=0`` turns it off)."""
    return os.environ.get("MESOREG_CACHE", "1") != "0"


def folder() -> Path:
    """The cache folder (not created)."""
    from pathlib import Path

    return Path(_root())


def _root() -> str:
    """The cache folder, as text: reading an entry needs neither pathlib nor pickle."""
    explicit = os.environ.get("MESOREG_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "mesoreg")


def key(*parts: str | bytes) -> str:
    """A cache key over ``parts``, this mesoreg version and this Python version."""
    digest = hashlib.sha256()
    for part in (__version__, sys.version, *parts):
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def _private(path: str) -> bool:
    """True if ``path`` is a real folder only the current user can write to."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode) or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return False
    return not hasattr(os, "getuid") or info.st_uid == os.getuid()


def _entry(kind: str, name: str) -> str | None:
    """The file of one entry, or None when the cache is off or its folder is not private."""
    if not enabled() or not kind.isidentifier() or not name.isalnum():
        return None
    root = _root()
    if not _private(root):
        return None
    return os.path.join(root, kind, f"{name}.pickle")


def get_bytes(kind: str, name: str) -> bytes | None:
    """The bytes stored under ``kind``/``name`` by :func:`put_bytes` or :func:`put`, or None
    on any kind of miss."""
    path = _entry(kind, name)
    if path is None or not _private(os.path.dirname(path)):
        return None
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    cut = len(_MAGIC)
    head, digest, payload = data[:cut], data[cut : cut + 65], data[cut + 65 :]
    if head != _MAGIC or digest != hashlib.sha256(payload).hexdigest().encode() + b"\n":
        return None
    return payload


def get(kind: str, name: str) -> object | None:
    """The value stored under ``kind``/``name``, or None on any kind of miss."""
    payload = get_bytes(kind, name)
    if payload is None:
        return None
    import pickle

    try:
        value: object = pickle.loads(payload)  # private folder, checked digest
        return value
    except Exception:  # an entry from a class that has changed shape: a miss
        return None


def put(kind: str, name: str, value: object) -> None:
    """Store ``value`` under ``kind``/``name``; any failure leaves the cache as it was."""
    import pickle

    try:
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # a value that cannot be pickled is simply not cached
        return
    put_bytes(kind, name, payload)


def put_bytes(kind: str, name: str, payload: bytes) -> None:
    """Store ``payload`` under ``kind``/``name``; any failure leaves the cache as it was."""
    path = _entry(kind, name) if enabled() else None
    if path is None and enabled() and kind.isidentifier() and name.isalnum():
        try:
            os.makedirs(_root(), mode=0o700, exist_ok=True)
        except OSError:
            return
        path = _entry(kind, name)
    if path is None:
        return
    data = _MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload
    try:
        parent = os.path.dirname(path)
        try:
            os.mkdir(parent, mode=0o700)
        except FileExistsError:
            pass
        if not _private(parent):
            return
        import tempfile  # only to write: a command that finds what it needs never writes

        handle, temporary = tempfile.mkstemp(dir=parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except BaseException:
            try:
                os.unlink(temporary)
            except OSError:
                pass
            raise
    except OSError:
        return
