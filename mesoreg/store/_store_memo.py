"""Memos of what the store has already established about files, keyed by their sha256.

Version files never change and a ledger is replaced, never edited in place, so
what mesoreg works out from a file's bytes (the validated ledger they hold; that
a version file is the canonical file of ``ID@N``; the check of a version with a
given registry, region and date) is a pure function of those bytes and of the
other inputs named in the key.  Each memo key names every one of those inputs
(through :func:`mesoreg._cache.key`, which adds the mesoreg and Python versions,
and :func:`item_key`), so a changed file, catalog, plugin, setting, mesoreg or
Python version is a miss, never a stale answer.  Nothing remembered ever stands
in for reading and hashing a file: callers compare the sha256 of the bytes they
read with the ledger's before they use anything remembered about them.

Two places hold them:

- this process: the last validated ledgers read or written (a server, or a
  publisher publishing many versions, parses each ledger once; a publish
  remembers the ledger it wrote, so the next one does not parse it again);
- a :class:`Table`: every item a store-wide sweep (``verify``, ``recheck``) used
  or learnt, kept as ONE cache entry per store, so a sweep of 10,000 formulations
  reads one file rather than 10,000.

Both are optimisations: ``MESOREG_CACHE=0`` turns both off, and a damaged or
foreign entry is a miss (see :mod:`mesoreg._cache`).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from pathlib import Path
from typing import TypeVar

from mesoreg import _cache
from mesoreg.store._ledger import CheckRecord, Ledger, dump_ledger, parse_ledger
from mesoreg.store._store_io import decode

#: a ledger entry as a table keeps it (plain values pickle fast): version, file, sha256,
#: status and the last check's fields (verdict, at, mesoreg version, packs, region, findings)
Recorded = tuple[int, str, str, str, tuple[object, ...] | None]


#: ledgers and ledger summaries kept in this process (a bound on memory, not on correctness)
MAX_LEDGERS = 16_384
MAX_SUMMARIES = 200_000

#: (formulation id, sha256 of the bytes) -> the validated ledger they hold
_ledgers: OrderedDict[tuple[str, str], Ledger] = OrderedDict()
#: ledger summaries read by this process (a sweep's), by their table key
_summaries: dict[str, tuple[Recorded, ...]] = {}
#: (formulation id, sha256 of the bytes) of ledgers known to be canonical dumps
_canonical: set[tuple[str, str]] = set()


def digest(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


#: the kinds of item a table keeps
LEDGERS = "ledger"
CANONICAL = "canonical"
CHECKS = "check"


class Table:
    """A content-addressed table of pure values, stored as one cache entry per scope.

    Every item is stored under a :func:`mesoreg._cache.key` of everything its value
    depends on, so an item may be served whatever else the table holds; the table
    is only a way to keep many small items in one file.  Items are grouped by kind
    (:data:`LEDGERS`, :data:`CANONICAL`, :data:`CHECKS`): :meth:`save` keeps, of each
    kind the run swept (looked at every item of, e.g. every ledger), only the items
    used or added, so the table drops what the store no longer holds; the other
    kinds are kept as they were, plus what was added.
    """

    KIND = "store_table"

    def __init__(self, scope: str | None) -> None:
        """The table of ``scope`` (None: an empty table that is never saved)."""
        self._name = _cache.key(self.KIND, scope) if scope is not None else None
        loaded = _cache.get(self.KIND, self._name) if self._name is not None else None
        self._old: dict[str, dict[str, object]] = {}
        if isinstance(loaded, dict) and all(isinstance(v, dict) for v in loaded.values()):
            self._old = loaded
        self._new: dict[str, dict[str, object]] = {}

    def is_empty(self) -> bool:
        """True when nothing was loaded or put (a first run: nothing to look up)."""
        return not any(self._old.values()) and not any(self._new.values())

    def get(self, kind: str, key: str) -> object | None:
        """The item of ``kind`` stored under ``key`` (marked used), or None."""
        new = self._new.setdefault(kind, {})
        value = new.get(key)
        if value is None:
            value = self._old.get(kind, {}).get(key)
            if value is not None:
                new[key] = value
        return value

    def put(self, kind: str, key: str, value: object) -> None:
        """Remember ``value`` under ``key``."""
        self._new.setdefault(kind, {})[key] = value

    def update(self, items: dict[str, dict[str, object]]) -> None:
        """Remember items learnt by a worker process (see :meth:`drain`)."""
        for kind, values in items.items():
            self._new.setdefault(kind, {}).update(values)

    def drain(self) -> dict[str, dict[str, object]]:
        """The items used or added since the last drain (a worker sends them to its parent)."""
        items, self._new = self._new, {}
        for kind, values in items.items():
            self._old.setdefault(kind, {}).update(values)
        return items

    def save(self, swept: tuple[str, ...]) -> None:
        """Write the table if it changed; of the ``swept`` kinds only what was used or added."""
        if self._name is None:
            return
        kept: dict[str, dict[str, object]] = {}
        for kind in sorted(self._old.keys() | self._new.keys()):
            new = self._new.get(kind, {})
            kept[kind] = new if kind in swept else {**self._old.get(kind, {}), **new}
        if {k: v.keys() for k, v in kept.items()} != {k: v.keys() for k, v in self._old.items()}:
            _cache.put(self.KIND, self._name, kept)


def table_for(root: Path) -> Table:
    """The sweep table of the store at ``root``."""
    try:
        scope = str(root.resolve())
    except OSError:
        scope = str(root.absolute())
    return Table(scope)


def item_key(base: str, *parts: str) -> str:
    """A table key: ``base`` (a :func:`mesoreg._cache.key` naming what every item of a kind
    shares, e.g. the registry's fingerprint) and the parts naming this item.

    Parts are ids, numbers and hex digests, none of which holds a NUL, so the joined
    text names each part unambiguously.
    """
    return hashlib.sha256("\0".join((base, *parts)).encode()).hexdigest()


_LEDGER_BASE = _cache.key("ledger-summary")
_CANONICAL_BASE = _cache.key("canonical")


def version_key(formulation_id: str, version: int, sha: str) -> str:
    """The table key saying a file of this sha256 is the canonical file of ``ID@N``."""
    return item_key(_CANONICAL_BASE, formulation_id, str(version), sha)


def read_ledger(data: bytes, path: Path | str, formulation_id: str) -> Ledger:
    """The validated ledger in ``data``, the bytes of ``<formulation_id>/index.toml``.

    Parsed once per content in this process.  A damaged ledger raises the
    :func:`~mesoreg.store._ledger.parse_ledger` error every time (errors are not kept).
    ``MESOREG_CACHE=0`` parses every time.
    """
    if not _cache.enabled():
        return parse_ledger(decode(data, path), str(path), formulation_id)
    mark = (formulation_id, digest(data))
    ledger = _ledgers.get(mark)
    if ledger is not None:
        _ledgers.move_to_end(mark)
        return ledger
    ledger = parse_ledger(decode(data, path), str(path), formulation_id)
    _remember(mark, ledger)
    return ledger


#: one object for each distinct text or tuple of texts :func:`shared` was given (a bound on
#: memory only)
MAX_SHARED = 4_096
_shared: dict[str | tuple[str, ...], str | tuple[str, ...]] = {}

S = TypeVar("S", str, tuple[str, ...])


def shared(value: S) -> S:
    """An object equal to ``value``, the same one for every equal text or tuple of texts.

    Tens of thousands of entries repeat the same few packs, findings and verdicts; a pickle
    (a table, a worker's results) writes an object once and then refers to it, so equal
    values that are one object are written once.  Only texts (equal means identical, unlike
    two datetimes in different time zones): nothing compares them by identity.
    """
    found = _shared.get(value)
    if found is not None and type(found) is type(value):
        return found
    if len(_shared) >= MAX_SHARED:
        _shared.clear()
    _shared[value] = value
    return value


def summarise(ledger: Ledger) -> tuple[Recorded, ...]:
    """What a table keeps of a validated ledger."""
    return tuple(
        (
            e.version,
            e.file,
            e.sha256,
            shared(e.status.value),
            None
            if e.last_check is None
            else (
                shared(e.last_check.verdict),
                e.last_check.at,
                shared(e.last_check.mesoreg_version),
                shared(e.last_check.packs),
                shared(e.last_check.region),
                shared(e.last_check.findings),
            ),
        )
        for e in ledger.versions
    )


def last_check(recorded: Recorded) -> CheckRecord | None:
    """The last check of a kept entry, as the ledger records it."""
    fields = recorded[4]
    return None if fields is None else CheckRecord(*fields)  # type: ignore[arg-type]


def read_summary(
    data: bytes, path: Path | str, formulation_id: str, table: Table
) -> tuple[Recorded, ...]:
    """The entries of the validated ledger in ``data``, from ``table`` when known there."""
    name = item_key(_LEDGER_BASE, formulation_id, digest(data))
    found = table.get(LEDGERS, name)
    if not isinstance(found, tuple):
        found = summarise(read_ledger(data, path, formulation_id))
        table.put(LEDGERS, name, found)
    if _cache.enabled():
        if len(_summaries) >= MAX_SUMMARIES:
            _summaries.clear()
        _summaries[name] = found
    return found


def kept_summary(data: bytes, formulation_id: str, table: Table) -> tuple[Recorded, ...] | None:
    """The summary ``table`` keeps of the ledger in ``data``; None (nothing parsed) if none."""
    found = table.get(LEDGERS, item_key(_LEDGER_BASE, formulation_id, digest(data)))
    return found if isinstance(found, tuple) else None


def summary_of(data: bytes, path: Path | str, formulation_id: str) -> tuple[Recorded, ...]:
    """The entries of the validated ledger in ``data``, from this process when known."""
    found = _summaries.get(item_key(_LEDGER_BASE, formulation_id, digest(data)))
    return found if found is not None else summarise(read_ledger(data, path, formulation_id))


def remember_summary(table: Table, formulation_id: str, data: bytes, ledger: Ledger) -> None:
    """Put in ``table`` what :func:`read_summary` would find in ``data`` (read as ``ledger``)."""
    table.put(LEDGERS, item_key(_LEDGER_BASE, formulation_id, digest(data)), summarise(ledger))


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
    _shared.clear()
    _ledgers.clear()
    _canonical.clear()
    _summaries.clear()


def _remember(mark: tuple[str, str], ledger: Ledger) -> None:
    _ledgers[mark] = ledger
    _ledgers.move_to_end(mark)
    while len(_ledgers) > MAX_LEDGERS:
        _canonical.discard(_ledgers.popitem(last=False)[0])
