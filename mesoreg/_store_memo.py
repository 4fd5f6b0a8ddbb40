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
from typing import TypeGuard

from mesoreg import _cache
from mesoreg._ledger import Ledger, dump_ledger, parse_ledger
from mesoreg._store_io import decode

#: ledgers kept in this process (a bound on memory, not on correctness)
MAX_LEDGERS = 16_384

#: (formulation id, sha256 of the bytes) -> (validated ledger, bytes are its canonical dump)
_ledgers: OrderedDict[tuple[str, str], tuple[Ledger, bool]] = OrderedDict()


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

    def __init__(self, scope: str) -> None:
        self._name = _cache.key(self.KIND, scope)
        loaded = _cache.get(self.KIND, self._name)
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

    def save(self) -> None:
        """Write the items used or added, if that changes the stored table."""
        if self._new.keys() != self._old.keys():
            _cache.put(self.KIND, self._name, self._new)


def table_for(root: Path) -> Table:
    """The sweep table of the store at ``root``."""
    try:
        scope = str(root.resolve())
    except OSError:
        scope = str(root.absolute())
    return Table(scope)


def _ledger_key(formulation_id: str, sha: str) -> str:
    return _cache.key("ledger", formulation_id, sha)


def read_ledger(
    data: bytes, path: Path, formulation_id: str, table: Table | None = None
) -> tuple[Ledger, bool]:
    """(the validated ledger in ``data``, whether ``data`` is its canonical dump).

    Parsed once per content: later calls with the same bytes and folder are served
    from this process or ``table``.  A damaged ledger raises the
    :func:`~mesoreg._ledger.parse_ledger` error every time (errors are not kept).
    """
    sha = digest(data)
    mark = (formulation_id, sha)
    known = _ledgers.get(mark)
    if known is not None:
        _ledgers.move_to_end(mark)
        if table is not None:
            table.put(_ledger_key(formulation_id, sha), known)
        return known
    name = _ledger_key(formulation_id, sha)
    found = table.get(name) if table is not None else None
    if not _is_known(found):
        ledger = parse_ledger(decode(data, path), str(path), formulation_id)
        found = (ledger, dump_ledger(ledger).encode("utf-8") == data)
    _remember(mark, found)
    if table is not None:
        table.put(name, found)
    return found


def remember_ledger(formulation_id: str, data: bytes, ledger: Ledger) -> None:
    """Record that ``data``, just written, is the canonical dump of the valid ``ledger``."""
    _remember((formulation_id, digest(data)), (ledger, True))


def forget() -> None:
    """Empty this process's memo (tests)."""
    _ledgers.clear()


def _remember(mark: tuple[str, str], known: tuple[Ledger, bool]) -> None:
    _ledgers[mark] = known
    _ledgers.move_to_end(mark)
    while len(_ledgers) > MAX_LEDGERS:
        _ledgers.popitem(last=False)


def _is_known(value: object) -> TypeGuard[tuple[Ledger, bool]]:
    return (
        isinstance(value, tuple)
        and len(value) == 2
        and isinstance(value[0], Ledger)
        and isinstance(value[1], bool)
    )


def version_key(formulation_id: str, version: int, sha: str) -> str:
    """The table key saying a file of this sha256 is the canonical file of ``ID@N``."""
    return _cache.key("canonical", formulation_id, str(version), sha)
