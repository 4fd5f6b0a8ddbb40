"""Memos of what the store has already established about files, keyed by their sha256.

Version files never change and a ledger is replaced, never edited in place, so
what mesoreg works out from a file's bytes (the validated ledger they hold; that
a version file is the canonical file of ``ID@N``; the check of a version with a
given registry, region and date) is a pure function of those bytes and of the
other inputs named in the key.  Each memo key is a :func:`mesoreg._cache.key` of
every one of those inputs, so a changed file, catalog, plugin, setting, mesoreg
or Python version is a miss, never a stale answer.

Two places hold them:

- this process: the last validated ledgers read or written (a server, or a
  publisher publishing many versions, parses each ledger once; a publish
  remembers the ledger it wrote, so the next one does not parse it again);
- a :class:`Table`: every item a store-wide sweep (``verify``, ``recheck``) used
  or learnt, kept as ONE cache entry per store, so a sweep of 10,000 formulations
  reads one file rather than 10,000.

Both are optimisations: ``MESOREG_CACHE=0`` turns the on-disk table off,
and a damaged or foreign entry is a miss (see :mod:`mesoreg._cache`).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from pathlib import Path

from mesoreg import _cache
from mesoreg._ledger import Ledger, dump_ledger, parse_ledger
from mesoreg._store_io import decode

#: ledgers kept in this process (a bound on memory, not on correctness)
MAX_LEDGERS = 16_384

#: (formulation id, sha256 of the bytes) -> the validated ledger they hold
_ledgers: OrderedDict[tuple[str, str], Ledger] = OrderedDict()
#: (formulation id, sha256 of the bytes) of ledgers known to be canonical dumps
_canonical: set[tuple[str, str]] = set()


def digest(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


class Table:
    """A content-addressed table of pure values, stored as one cache entry per scope.

    Every item is stored under a :func:`mesoreg._cache.key` of everything its value
    depends on, so an item may be served whatever else the table holds; the table
    is only a way to keep many small items in one file.  :meth:`save` keeps only the
    items used or added since the table was loaded, so a sweep drops what the
    store no longer holds.
    """

    KIND = "store_table"

    def __init__(self, scope: str | None) -> None:
        """The table of ``scope`` (None: an empty table that is never saved)."""
        self._name = _cache.key(self.KIND, scope) if scope is not None else None
        loaded = _cache.get(self.KIND, self._name) if self._name is not None else None
        self._old: dict[str, object] = loaded if isinstance(loaded, dict) else {}
        self._new: dict[str, object] = {}

    def get(self, key: str) -> object | None:
        """The item stored under ``key`` (kept by the next :meth:`save`), or None."""
        value = self._new.get(key)
        if value is None:
            value = self._old.get(key)
            if value is not None:
                self._new[key] = value
        return value

    def put(self, key: str, value: object) -> None:
        """Remember ``value`` under ``key``."""
        self._new[key] = value

    def update(self, items: dict[str, object]) -> None:
        """Remember several items (learnt by a worker process)."""
        self._new.update(items)

    def drain(self) -> dict[str, object]:
        """The items used or added since the last drain (a worker sends them to its parent)."""
        items, self._new = self._new, {}
        self._old.update(items)
        return items

    def save(self) -> None:
        """Write the items used or added, if that changes the stored table."""
        if self._name is not None and self._new.keys() != self._old.keys():
            _cache.put(self.KIND, self._name, self._new)


def table_for(root: Path) -> Table:
    """The sweep table of the store at ``root``."""
    try:
        scope = str(root.resolve())
    except OSError:
        scope = str(root.absolute())
    return Table(scope)


def ledger_key(formulation_id: str, sha: str) -> str:
    """The table key of the validated ledger held by bytes of this sha256 in this folder."""
    return _cache.key("ledger", formulation_id, sha)


def read_ledger(data: bytes, path: Path, formulation_id: str, table: Table | None = None) -> Ledger:
    """The validated ledger in ``data``, the bytes of ``<formulation_id>/index.toml``.

    Parsed once per content: later calls with the same bytes and folder are served
    from this process or ``table``.  A damaged ledger raises the
    :func:`~mesoreg._ledger.parse_ledger` error every time (errors are not kept).
    ``MESOREG_CACHE=0`` parses every time.
    """
    if not _cache.enabled():
        return parse_ledger(decode(data, path), str(path), formulation_id)
    mark = (formulation_id, digest(data))
    name = ledger_key(*mark)
    ledger = _ledgers.get(mark)
    if ledger is not None:
        _ledgers.move_to_end(mark)
    else:
        found = table.get(name) if table is not None else None
        ledger = (
            found
            if isinstance(found, Ledger)
            else parse_ledger(decode(data, path), str(path), formulation_id)
        )
        _remember(mark, ledger)
    if table is not None:
        table.put(name, ledger)
    return ledger


def is_canonical(formulation_id: str, data: bytes, ledger: Ledger) -> bool:
    """Whether ``data`` (that :func:`read_ledger` read as ``ledger``) is its canonical dump."""
    mark = (formulation_id, digest(data))
    if mark in _canonical and _cache.enabled():
        return True
    canonical = dump_ledger(ledger).encode("utf-8") == data
    if canonical and _cache.enabled():
        _canonical.add(mark)
    return canonical


def remember_ledger(formulation_id: str, data: bytes, ledger: Ledger) -> None:
    """Record that ``data``, just written, is the canonical dump of the valid ``ledger``."""
    if _cache.enabled():
        mark = (formulation_id, digest(data))
        _remember(mark, ledger)
        _canonical.add(mark)


def forget() -> None:
    """Empty this process's memo (tests)."""
    _ledgers.clear()
    _canonical.clear()


def _remember(mark: tuple[str, str], ledger: Ledger) -> None:
    _ledgers[mark] = ledger
    _ledgers.move_to_end(mark)
    while len(_ledgers) > MAX_LEDGERS:
        _canonical.discard(_ledgers.popitem(last=False)[0])


def version_key(formulation_id: str, version: int, sha: str) -> str:
    """The table key saying a file of this sha256 is the canonical file of ``ID@N``."""
    return _cache.key("canonical", formulation_id, str(version), sha)
