"""Verifying a store: every file matches its ledger, nothing else is there.

Problems (``mesoreg verify`` exits 2) are anything that makes a version
unusable or a ledger untrustworthy: a version file that fails the readers'
own check (:meth:`~mesoreg._store.Store.check_version`: missing, changed, not
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
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from filelock import Timeout

from mesoreg._errors import MesoregError
from mesoreg._ledger import Ledger
from mesoreg._store import (
    _ID,
    _RESERVED,
    _VERSION_FILE,
    LEDGER,
    LOCK,
    Store,
    _temporaries,
    recovery_note,
)
from mesoreg._store_io import (
    READ_ONLY_ERRORS,
    TEMPORARY,
    StoreError,
    is_link,
    names,
    read_regular,
    refuse_link,
    why,
)


def verify(store: Store) -> tuple[list[str], list[str]]:
    """(problems, notes) for the whole store; see the module docstring."""
    problems: list[str] = []
    notes: list[str] = []
    root = store.root
    if not root.is_dir():
        return [f"{root}: no such store"], notes
    with _lock_if_writable(store, problems, notes) as writable:
        try:
            if writable:
                store._clean_root()
            problems += _verify_root(store, writable, notes)
        except MesoregError as exc:
            problems += str(exc).splitlines()
        except OSError as exc:
            problems.append(f"{exc.filename or root}: cannot be read ({why(exc)})")
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


def _verify_root(store: Store, writable: bool, notes: list[str]) -> list[str]:
    problems: list[str] = []
    root = store.root
    for name in names(root):
        path = root / name
        if name == LOCK:
            continue  # checked when taking the lock
        if is_link(path):
            problems.append(str(refuse_link(path)))
        elif TEMPORARY.fullmatch(name):
            notes.append(_leftover(path))
        elif name.startswith(".git"):
            continue
        elif not path.is_dir() or not _ID.fullmatch(name) or name in _RESERVED:
            problems.append(f"{path}: extra file, not part of the store")
        else:
            try:
                problems += _verify_one(store, name, writable, notes)
            except OSError as exc:
                problems.append(f"{exc.filename or path}: cannot be read ({why(exc)})")
    return problems


def _leftover(path: Path) -> str:
    return f"{path}: temporary file left by an interrupted writer; not removed (read-only)"


def _verify_one(store: Store, formulation_id: str, writable: bool, notes: list[str]) -> list[str]:
    folder = store.folder(formulation_id)
    try:
        ledger = _ledger(store, formulation_id, writable, notes)
        pending, lost = store.unrecorded(formulation_id, ledger)
    except MesoregError as exc:
        return str(exc).splitlines()
    problems: list[str] = []
    for entry in ledger.versions:
        try:
            # the readers' own check: hash, then id@N and canonical form
            store.check_version(formulation_id, entry, read_regular(folder / entry.file))
        except StoreError as exc:
            problems.append(str(exc))
    problems += lost
    listed = {entry.file for entry in ledger.versions}
    for name in names(folder):
        path = folder / name
        if name in listed or (name == LEDGER and not is_link(path)):
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
        return ledger
    notes += [_leftover(path) for path in _temporaries(store.folder(formulation_id))]
    return store.ledger(formulation_id)
