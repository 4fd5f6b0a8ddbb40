"""Verifying a store: every file matches its ledger, nothing else is there.

Problems (``mesoreg verify`` exits 2) are anything that makes a version
unusable or a ledger untrustworthy: a version file that fails the readers'
own check (:meth:`~mesoreg.store._store.Store.check_version`: missing, changed, not
the canonical file of its ``ID@N``), a ledger that is damaged, names another
formulation, lists a version twice, gives a status its events do not lead to
or is missing beside version files (a ledger is never rebuilt from unverified
files), versions of the formulation that the ledger lost, symbolic links, and
files the ledger does not record.

Verify repairs only when it can write: it takes the store's lock, removes
temporary files left by dead writers and records the one unfinished publish a
killed publisher can leave (a note names the file and says it was recorded
from the file itself, unverified).  On a store it cannot write (a read-only
mount, another user's folder) it takes no lock and writes nothing; it reports
the same problems, and notes what it would have repaired.

Each ledger is read and parsed once, each folder listed once.  What verify
establishes from a file's bytes (its ledger is valid; a version file is the
canonical file of its ``ID@N``) is remembered by the file's sha256 in the store's
table (:mod:`mesoreg.store._store_memo`), so a second verify of an unchanged store
reads and hashes every file but parses none.  A file whose bytes changed has
another sha256: it is a miss, checked in full, and a version file that no longer
matches its ledger is reported whatever any table holds.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import attrs
from filelock import Timeout

from mesoreg._errors import MesoregError
from mesoreg.store._ledger import Ledger
from mesoreg.store._records import RECORDS, recover_record, verify_records
from mesoreg.store._store import (
    _ID,
    _RESERVED,
    _VERSION_FILE,
    LEDGER,
    LOCK,
    Store,
    _temporaries,
    recovery_note,
    sha256,
)
from mesoreg.store._store_io import (
    READ_ONLY_ERRORS,
    TEMPORARY,
    StoreError,
    is_link,
    names,
    read_regular,
    refuse_link,
    why,
)
from mesoreg.store._store_memo import (
    CANONICAL,
    LEDGERS,
    Table,
    read_summary,
    summary_of,
    table_for,
    version_key,
)


def verify(store: Store) -> tuple[list[str], list[str]]:
    """(problems, notes) for the whole store; see the module docstring."""
    problems: list[str] = []
    notes: list[str] = []
    root = store.root
    if not root.is_dir():
        return [f"{root}: no such store"], notes
    table = table_for(root)
    with _lock_if_writable(store, problems, notes) as writable:
        try:
            if writable:
                store._clean_root()
            problems += _verify_root(store, writable, notes, table)
        except MesoregError as exc:
            problems += str(exc).splitlines()
        except OSError as exc:
            problems.append(f"{exc.filename or root}: cannot be read ({why(exc)})")
    table.save(swept=(LEDGERS, CANONICAL))  # every ledger and every version
    return problems, notes


@contextlib.contextmanager
def _lock_if_writable(store: Store, problems: list[str], notes: list[str]) -> Iterator[bool]:
    """Hold the store's lock and yield True; yield False when it cannot be taken here."""
    try:
        lock = store.lock()
        lock.acquire()
    except Timeout as exc:
        raise StoreError(
            f"{exc.lock_file}: another writer holds the store's lock; try again"
        ) from exc
    except StoreError as exc:
        problems.append(str(exc))
        notes.append(f"{store.root}: verified without the lock; nothing was repaired")
        yield False
        return
    except OSError as exc:
        if exc.errno not in READ_ONLY_ERRORS:
            problems.append(f"{store.root / LOCK}: the store's lock cannot be taken ({why(exc)})")
        notes.append(
            f"{store.root}: cannot be written here ({why(exc)}); verified read-only: nothing "
            "was repaired (interrupted publishes are not recorded, temporary files not removed)"
        )
        yield False
        return
    try:
        yield True
    finally:
        lock.release()


def _verify_root(store: Store, writable: bool, notes: list[str], table: Table) -> list[str]:
    problems: list[str] = []
    root = store.root
    try:  # one listing gives every entry's kind (no link is followed)
        with os.scandir(root) as found:
            kinds = {e.name: (e.is_symlink(), e.is_dir(follow_symlinks=False)) for e in found}
    except OSError as exc:
        raise StoreError(f"{root}: cannot be listed ({why(exc)})") from exc
    for name in sorted(kinds):
        path = root / name
        link, folder = kinds[name]
        if name == LOCK:
            continue  # checked when taking the lock
        if link:
            problems.append(str(refuse_link(path)))
        elif TEMPORARY.fullmatch(name):
            notes.append(_leftover(path))
        elif name.startswith(".git"):
            continue
        elif not folder or not _ID.fullmatch(name) or name in _RESERVED:
            problems.append(f"{path}: extra file, not part of the store")
        else:
            try:
                problems += _verify_folder(store, name, writable, notes, table)
            except OSError as exc:
                problems.append(f"{exc.filename or path}: cannot be read ({why(exc)})")
    return problems


def _verify_folder(
    store: Store, formulation_id: str, writable: bool, notes: list[str], table: Table
) -> list[str]:
    """A formulation's problems: the quick look when its folder is as it should be."""
    try:
        return _fast(store, formulation_id, table)
    except _Slow:
        return _verify_one(store, formulation_id, writable, notes, table)


def _leftover(path: Path) -> str:
    return f"{path}: temporary file left by an interrupted writer; not removed (read-only)"


@attrs.frozen
class _Recorded:
    """A ledger entry as :meth:`Store.check_version` reads it (from a ledger summary)."""

    version: int
    sha256: str


class _Slow(Exception):
    """The folder holds something besides its ledger and recorded versions: look closer."""


def _fast(store: Store, formulation_id: str, table: Table) -> list[str]:
    """Problems of a folder holding exactly its ledger and recorded version files.

    Anything else (a missing, extra, temporary or linked file, a damaged ledger)
    raises :class:`_Slow`, and :func:`_verify_one` looks at the folder in full.
    """
    folder = f"{os.fspath(store.root)}/{formulation_id}"  # plain text: once per formulation
    try:
        with os.scandir(folder) as found:
            listing = {e.name: e.is_file(follow_symlinks=False) for e in found}
        if not listing.get(LEDGER):
            raise _Slow
        data = read_regular(f"{folder}/{LEDGER}")
        if data is None:
            raise _Slow
        summary = read_summary(data, f"{folder}/{LEDGER}", formulation_id, table)
    except (OSError, MesoregError) as exc:
        raise _Slow from exc
    if listing.keys() != {LEDGER, *(r[1] for r in summary)} or not all(listing.values()):
        raise _Slow  # compounding records too: they are verified with the ledger parsed
        raise _Slow
    problems: list[str] = []
    for version, file, sha, _, _ in summary:
        problems += _check_entry(store, formulation_id, version, f"{folder}/{file}", sha, table)
    return problems


def _check_entry(
    store: Store, formulation_id: str, version: int, path: str, sha: str, table: Table
) -> list[str]:
    """The readers' own check of one recorded version (hash, then id@N and canonical form).

    The canonical-form part is skipped for bytes already known to be the canonical
    file of this ``ID@N``: the hash is compared with the ledger every time.
    """
    try:
        data = read_regular(path)
        digest = sha256(data) if data is not None else ""
        known = version_key(formulation_id, version, digest)
        if digest != sha or table.get(CANONICAL, known) is None:
            store.check_version(formulation_id, _Recorded(version, sha), data)
            table.put(CANONICAL, known, True)
    except StoreError as exc:
        return [str(exc)]
    return []


def _verify_one(
    store: Store, formulation_id: str, writable: bool, notes: list[str], table: Table
) -> list[str]:
    folder = store.folder(formulation_id)
    try:
        ledger = _ledger(store, formulation_id, writable, notes)
        pending, lost = store.unrecorded(formulation_id, ledger)
    except MesoregError as exc:
        return str(exc).splitlines()
    problems: list[str] = []
    for entry in ledger.versions:
        problems += _check_entry(
            store, formulation_id, entry.version, str(folder / entry.file), entry.sha256, table
        )
    problems += lost
    problems += verify_records(store, formulation_id, ledger, writable, notes)
    listed = {entry.file for entry in ledger.versions}
    for name in names(folder):
        path = folder / name
        if name in listed or (name in (LEDGER, RECORDS) and not is_link(path)):
            continue
        mode = os.lstat(path).st_mode
        version = _VERSION_FILE.fullmatch(name)
        if stat.S_ISLNK(mode):
            problems.append(str(refuse_link(path)))
        elif TEMPORARY.fullmatch(name) and stat.S_ISREG(mode):
            continue  # noted by _ledger (a writable verify has removed it)
        elif version and stat.S_ISREG(mode):
            number = int(version[1])
            reason = store.unrecorded_reason(path, formulation_id, number)
            if reason is None:
                continue  # the unfinished publish (noted by _ledger), or in `lost` above
            problems.append(
                f"{path}: extra file, not recorded in the ledger ({reason}); later publishes "
                "skip its number. Move it out of the store, or restore its ledger entry from git"
            )
        else:
            problems.append(f"{path}: extra file, not recorded in the ledger")
    if pending is not None and not writable:
        notes.append(
            recovery_note(store.version_path(formulation_id, pending[0]), pending[0], False)
        )
    return problems


def _ledger(store: Store, formulation_id: str, writable: bool, notes: list[str]) -> Ledger:
    """The validated ledger, with an unfinished publish recorded when writable."""
    if writable:
        ledger, recovered = store.recover(formulation_id)
        notes += recovered
        ledger, recovered = recover_record(store, formulation_id, ledger)
        notes += recovered
        return ledger
    notes += [_leftover(path) for path in _temporaries(store.folder(formulation_id))]
    return store.ledger(formulation_id)


def counted(store: Store) -> tuple[list[str], int]:
    """(the formulations, how many versions they have), once :func:`verify` found no problem.

    Each ledger is read again but not parsed: the summaries verify made are kept in
    this process by the ledgers' sha256.
    """
    ids = store.ids()
    count = 0
    root = os.fspath(store.root)
    for formulation_id in ids:
        path = f"{root}/{formulation_id}/{LEDGER}"
        data = read_regular(path)
        if data is not None:
            count += len(summary_of(data, path, formulation_id))
    return ids, count
