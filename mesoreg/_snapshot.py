"""Keys and values for the registry's on-disk caches (:mod:`mesoreg._cache` stores them).

What a cache key may rely on, cheaply and without importing any plugin:

* :func:`mesoreg._stat.environment` -- the installed distributions as Python would find them: every
  ``sys.path`` entry (a folder by the names in it, ``__pycache__`` left out; anything
  else by its stat), with the stat of each ``*.dist-info`` / ``*.egg-info`` folder and
  its ``entry_points.txt``, ``METADATA``, ``PKG-INFO`` and ``RECORD``, each ``*.egg-link``
  and each ``*.pth`` file.  Installing, removing or upgrading a distribution adds, removes
  or renames such a folder, which changes the listing; editing one of those metadata
  files in place changes its own stat (size, mtime, ctime, inode).  A plugin's *code*
  is never cached: it is imported on every run, so an edited editable plugin is live,
  and the packs a code plugin returns are asked for every run and keyed by content.
* :func:`mesoreg._stat.folder` -- every file and folder below a package folder, by stat (for
  ``plugins list``, whose answer depends on whether a plugin's code imports, and for
  :attr:`mesoreg.host._registry.Registry.fingerprint`).
* :func:`digest` -- content, for pack files and the built-in catalog files.

Values are pickled with :func:`dumps`, which writes read-only mappings
(:class:`types.MappingProxyType`, the catalog's views) as mappings rebuilt read-only by
:func:`_proxy` when loaded.
"""

from __future__ import annotations

import collections
import enum
import functools
import hashlib
import io
import itertools
import operator
import pickle
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import attrs

from mesoreg import _cache
from mesoreg._version import __version__


def digest(parts: Iterable[str | bytes]) -> str:
    """The sha256 of ``parts``, each length-prefixed so that no two lists share a digest."""
    hashed = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        hashed.update(len(data).to_bytes(8, "big"))
        hashed.update(data)
    return hashed.hexdigest()


def core_files() -> list[tuple[str, str]]:
    """The built-in pack's files (``mesoreg/knowledge/data/*.toml``) as (name, text), by name."""
    import importlib.resources

    folder = importlib.resources.files("mesoreg.knowledge") / "data"
    return [
        (e.name, e.read_text(encoding="utf-8"))
        for e in sorted(folder.iterdir(), key=lambda e: e.name)
        if e.name.endswith(".toml")
    ]


def core_key(files: list[tuple[str, str]], version: str = __version__) -> str:
    """The cache key of the core pack read from ``files`` and stamped with ``version``
    (:func:`mesoreg.knowledge._pack.load_core_pack`); :func:`mesoreg._cache.key` adds mesoreg's."""
    return _cache.key("core", version, *(part for pair in files for part in pair))


def _proxy(mapping: dict[Any, Any]) -> Mapping[Any, Any]:
    """A read-only view again (what :func:`dumps` wrote as a plain dict)."""
    return MappingProxyType(mapping)


@functools.cache
def _slots(cls: type) -> tuple[tuple[str, ...], tuple[Any, ...]] | None:
    """A frozen slotted attrs class's fields and their slot descriptors, if it can be
    batched: every slot (but ``__weakref__``) is a field, and no hash is cached in one."""
    if not attrs.has(cls):
        return None
    names = tuple(f.name for f in attrs.fields(cls))
    slots = [n for k in cls.__mro__ for n in vars(k).get("__slots__", ()) if n != "__weakref__"]
    if sorted(slots) != sorted(names) or any(
        "__dict__" in vars(k) for k in cls.__mro__ if k is not object
    ):
        return None
    descriptors = []
    for name in names:
        owner = next(k for k in cls.__mro__ if name in vars(k))
        descriptors.append(vars(owner)[name])
    return names, tuple(descriptors)


def _build_many(cls: type, columns: tuple[tuple[Any, ...], ...], count: int) -> list[Any]:
    """``count`` instances of ``cls``, each field set from its column (no per-record code).

    Frozen records are filled through their slot descriptors, as attrs' own
    ``__setstate__`` does, but one field at a time for all records at once.
    """
    found = _slots(cls)
    if found is None:
        raise pickle.UnpicklingError(f"{cls.__qualname__} cannot be rebuilt in a batch")
    names, descriptors = found
    if len(columns) != len(names):
        raise pickle.UnpicklingError(f"{cls.__qualname__} has changed shape")
    new: Any = cls.__new__
    made = list(map(new, itertools.repeat(cls, count)))
    for descriptor, column in zip(descriptors, columns, strict=True):
        collections.deque(map(descriptor.__set__, made, column), maxlen=0)
    return made


class _Batch:
    """All the records of one class in a value, written as one column per field."""

    def __init__(self, cls: type, members: list[Any]) -> None:
        self.cls = cls
        self.members = members


def _batches(root: object) -> dict[int, tuple[_Batch, int]]:
    """Every batchable record reachable from ``root``: id -> (its batch, its place)."""
    by_class: dict[type, list[Any]] = {}
    seen: set[int] = set()
    stack: list[Any] = [root]
    while stack:
        obj = stack.pop()
        kind: Any = type(obj)
        if kind in _ATOMS or id(obj) in seen or isinstance(obj, enum.Enum):
            continue
        seen.add(id(obj))
        if kind in (tuple, list, frozenset, set):
            stack.extend(obj)
        elif kind in (dict, MappingProxyType):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif (found := _slots(kind)) is not None:
            by_class.setdefault(kind, []).append(obj)
            stack.extend(getattr(obj, name) for name in found[0])
        elif attrs.has(kind):
            stack.extend(getattr(obj, f.name) for f in attrs.fields(kind))
        elif hasattr(obj, "__dict__"):
            stack.extend(vars(obj).values())
    where: dict[int, tuple[_Batch, int]] = {}
    for cls, members in by_class.items():
        batch = _Batch(cls, members)
        where.update((id(m), (batch, i)) for i, m in enumerate(members))
    return where


_ATOMS = frozenset({str, int, float, bool, bytes, type(None)})


class _Pickler(pickle.Pickler):
    def __init__(self, out: io.BytesIO, where: dict[int, tuple[_Batch, int]]) -> None:
        super().__init__(out, protocol=pickle.HIGHEST_PROTOCOL)
        self.where = where

    def reducer_override(self, obj: Any) -> Any:
        kind = type(obj)
        if kind is MappingProxyType:
            return _proxy, (dict(obj),)
        if kind is _Batch:
            names = _slots(obj.cls)[0]  # type: ignore[index]
            columns = tuple(tuple(getattr(m, n) for m in obj.members) for n in names)
            return _build_many, (obj.cls, columns, len(obj.members))
        found = self.where.get(id(obj))
        if found is not None and found[0].members[found[1]] is obj:
            return operator.getitem, found
        return NotImplemented


def dumps(value: object) -> bytes:
    """``value`` pickled, read-only mappings included; ``pickle.loads`` reads it back.

    Frozen slotted records are written in batches, one per class, a column per field:
    reading 20,000 records back then costs a few calls per field instead of a call into
    attrs' ``__setstate__`` per record.  Were a class to contain (through its fields) a
    record of its own class, batching it would recurse; the value is then written
    record by record.
    """
    for where in (_batches(value), {}):
        out = io.BytesIO()
        try:
            _Pickler(out, where).dump(value)
        except RecursionError:
            continue
        return out.getvalue()
    raise pickle.PicklingError("the value nests too deeply to be cached")


def put(kind: str, key: str, value: object) -> None:
    """Store ``value`` in the on-disk cache, written by :func:`dumps`; never an error."""
    try:
        data = dumps(value)
    except Exception:  # a value that cannot be pickled is simply not cached
        return
    _cache.put(kind, key, data)


def get(kind: str, key: str) -> object | None:
    """A value :func:`put` stored; None on any kind of miss (absent, damaged, reshaped)."""
    data = _cache.get(kind, key)
    if type(data) is not bytes:
        return None
    try:
        value: object = pickle.loads(data)  # the cache checked the digest of these bytes
    except Exception:  # an entry from a class that has changed shape: a miss
        return None
    return value
