"""Compounding records in the store: append-only files beside a version, hashed in its ledger.

Layout: ``<root>/<id>/records/v<N>-<K>.toml`` is the K-th record (K = 1, 2, ...) of
``ID@N``.  The store knows a record only as bytes that name themselves
(``schema_version``, ``formulation``, ``version`` and ``record`` keys matching the file's
name); what a record holds is the compounding layer's (:mod:`mesoreg.compounding._batch`),
which validates it before anything is written.

Writing (:func:`add_record`), under the store's lock: the version must be recorded, not
retired and pass the readers' check; the record file is written like a version file
(temporary file, fsync, read back and validated, linked into place, never over an
existing file: the commit point); then the ledger entry gets a ``compounded
records/vN-K.toml sha256 HEX`` event, replaced atomically.  A writer killed between
the two leaves ONE record file the ledger lacks, the next of its version: like an
unfinished publish, nothing is changed until a writable ``verify`` records it (loudly,
as recorded by 'mesoreg' from the file itself).  Any other record file the ledger
lacks, a recorded one missing or changed, a link or a foreign file in ``records/``
is damage, reported by ``verify``.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from pathlib import Path

import attrs

from mesoreg._errors import MesoregError
from mesoreg.documents._load import parse_toml
from mesoreg.documents._model import Status
from mesoreg.store._ledger import (
    Entry,
    Event,
    Ledger,
    RecordRef,
    compounded_action,
    record_refs,
    utc_now,
)
from mesoreg.store._store import Store, sha256, validate_name
from mesoreg.store._store_io import (
    TEMPORARY,
    StoreError,
    decode,
    is_link,
    names,
    read_regular,
    refuse_link,
    why,
    write_new,
)

#: the records' folder in a formulation's folder
RECORDS = "records"
RECORD_SCHEMA_VERSION = 1
_RECORD_FILE = re.compile(r"v([1-9][0-9]{0,8})-([1-9][0-9]{0,8})\.toml")
#: who records an unfinished record (a killed writer's) from the file itself
RECOVERED_BY = "mesoreg"


def record_file(version: int, number: int) -> str:
    """``records/v<version>-<number>.toml``, as the ledger names it."""
    return f"{RECORDS}/v{version}-{number}.toml"


def identity_problem(
    data: bytes, path: Path, formulation_id: str, version: int, number: int
) -> str | None:
    """Why ``data`` is not the record file ``formulation_id@version`` number ``number``."""
    try:
        found = parse_toml(decode(data, path), str(path))
    except MesoregError as exc:
        return f"not a record file ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
    wanted = {
        "schema_version": RECORD_SCHEMA_VERSION,
        "formulation": formulation_id,
        "version": version,
        "record": number,
    }
    got = {key: found.get(key) for key in wanted}
    if got != wanted:
        return f"holds {got}, not the record file of {formulation_id}@{version} number {number}"
    return None


def _folder(store: Store, formulation_id: str, create: bool) -> Path | None:
    folder = store.folder(formulation_id) / RECORDS
    try:
        mode = os.lstat(folder).st_mode
    except FileNotFoundError:
        if not create:
            return None
        try:
            folder.mkdir()
        except OSError as exc:
            raise StoreError(f"{folder}: cannot be created ({why(exc)})") from exc
        return folder
    except OSError as exc:
        raise StoreError(f"{folder}: cannot be inspected ({why(exc)})") from exc
    if stat.S_ISLNK(mode):
        raise refuse_link(folder)
    if not stat.S_ISDIR(mode):
        raise StoreError(f"{folder}: not a folder; the store keeps compounding records there")
    return folder


@attrs.frozen
class Unrecorded:
    """Record files the ledger lacks: the one a killed writer left, and the others (damage)."""

    pending: tuple[int, int, bytes] | None
    problems: tuple[str, ...]


def unrecorded(store: Store, formulation_id: str, ledger: Ledger) -> Unrecorded:
    """Record files of ``formulation_id`` that ``ledger`` lacks (see the module docstring)."""
    folder = _folder(store, formulation_id, create=False)
    if folder is None:
        return Unrecorded(None, ())
    recorded = {ref.file for e in ledger.versions for ref in record_refs(e)}
    problems: list[str] = []
    ours: list[tuple[int, int, bytes]] = []
    for name in names(folder):
        path = folder / name
        if f"{RECORDS}/{name}" in recorded or (TEMPORARY.fullmatch(name) and not is_link(path)):
            continue
        if is_link(path):
            problems.append(str(refuse_link(path)))
            continue
        match = _RECORD_FILE.fullmatch(name)
        data = read_regular(path) if match else None
        reason = "not a record file name" if match is None else None
        if match is not None:
            version, number = int(match[1]), int(match[2])
            entry = ledger.entry(version)
            if data is None:
                reason = "it is gone"
            elif entry is None:
                reason = f"{formulation_id}@{version} is not in the ledger"
            else:
                reason = identity_problem(data, path, formulation_id, version, number)
            if reason is None and data is not None:
                ours.append((version, number, data))
                continue
        problems.append(
            f"{path}: extra file, not recorded in the ledger ({reason}); move it out of the store"
        )
    if len(ours) == 1:
        version, number, data = ours[0]
        entry = ledger.entry(version)
        if entry is not None and number == len(record_refs(entry)) + 1:
            return Unrecorded((version, number, data), tuple(problems))
    problems += [
        f"{folder / f'v{v}-{n}.toml'}: a compounding record the ledger does not record, and "
        "not one a killed writer left (only the next record of a version, and only one); the "
        "ledger has lost entries. Restore the ledger from git, or move the file out of the store"
        for v, n, _ in ours
    ]
    return Unrecorded(None, tuple(problems))


def refuse_unrecorded(store: Store, formulation_id: str, ledger: Ledger) -> None:
    """Under the lock: refuse every change while a record file is not in the ledger."""
    found = unrecorded(store, formulation_id, ledger)
    if found.problems:
        raise StoreError(found.problems[0])
    if found.pending is not None:
        version, number, _ = found.pending
        path = store.folder(formulation_id) / record_file(version, number)
        raise StoreError(
            f"{path}: a compounding record not in the ledger (left by a writer that did not "
            "finish); nothing is changed until 'mesoreg verify' records it"
        )


def add_record(
    store: Store,
    formulation_id: str,
    version: int,
    make: Callable[[int, Entry], bytes],
    check: Callable[[bytes], object],
    by: str,
) -> tuple[RecordRef, bytes]:
    """Append a record to ``formulation_id@version``: file first, then its ledger event.

    ``make(number, entry)`` returns the record's bytes (it may refuse with an error);
    ``check(raw)`` validates the bytes read back before they are placed.  Returns the
    ledger's reference to the record and its bytes.
    """
    by = validate_name(by, "--prepared-by")
    with store._locked():
        ledger = store._current(formulation_id)
        refuse_unrecorded(store, formulation_id, ledger)
        entry = ledger.entry(version)
        if entry is None:
            raise StoreError(f"{formulation_id}@{version} is not in the store {store.root}")
        if entry.status is Status.RETIRED:
            raise StoreError(
                f"{formulation_id}@{version} is retired; a retired version is not compounded. "
                "Compound its successor (see 'mesoreg history')"
            )
        store.read_entry(formulation_id, entry)  # a missing, changed or foreign file refuses
        number = len(record_refs(entry)) + 1
        data = make(number, entry)
        folder = _folder(store, formulation_id, create=True)
        assert folder is not None
        for name in names(folder):
            if TEMPORARY.fullmatch(name) and not is_link(folder / name):
                store._remove(folder / name)
        path = store.folder(formulation_id) / record_file(version, number)

        def validate(raw: bytes) -> None:
            problem = identity_problem(raw, path, formulation_id, version, number)
            if problem:
                raise StoreError(f"{path}: {problem}")
            check(raw)

        write_new(path, data, validate)
        digest = sha256(data)
        event = Event(compounded_action(record_file(version, number), digest), by, utc_now())
        store._write_ledger(
            formulation_id, ledger.replace(attrs.evolve(entry, events=(*entry.events, event)))
        )
        return record_refs(attrs.evolve(entry, events=(event,)))[0], data


def recover_record(store: Store, formulation_id: str, ledger: Ledger) -> tuple[Ledger, list[str]]:
    """Under the lock (``verify`` only): record the record file a killed writer left."""
    folder = _folder(store, formulation_id, create=False)
    if folder is None:
        return ledger, []
    for name in names(folder):
        if TEMPORARY.fullmatch(name) and not is_link(folder / name):
            store._remove(folder / name)
    found = unrecorded(store, formulation_id, ledger)
    if found.pending is None:
        return ledger, []
    version, number, data = found.pending
    entry = ledger.entry(version)
    assert entry is not None
    file = record_file(version, number)
    event = Event(compounded_action(file, sha256(data)), RECOVERED_BY, utc_now())
    ledger = ledger.replace(attrs.evolve(entry, events=(*entry.events, event)))
    store._write_ledger(formulation_id, ledger)
    path = store.folder(formulation_id) / file
    return ledger, [
        f"{path}: recorded in the ledger from the file itself (a compounding record whose "
        "writer did not finish, or a file put there by hand): review it with 'mesoreg records "
        f"{formulation_id}@{version}'"
    ]


def read_records(store: Store, formulation_id: str, version: int) -> list[tuple[RecordRef, bytes]]:
    """Every record of a version, each checked against its ledger hash (StoreError if not)."""
    ledger = store.ledger(formulation_id)
    entry = ledger.entry(version)
    if entry is None:
        raise StoreError(f"{formulation_id}@{version} is not in the store {store.root}")
    found = []
    for ref in record_refs(entry):
        problem = check_record(store, formulation_id, ref)
        if problem:
            raise StoreError(f"{problem}; 'mesoreg verify' lists every damaged file")
        data = read_regular(store.folder(formulation_id) / ref.file)
        assert data is not None
        found.append((ref, data))
    return found


def check_record(store: Store, formulation_id: str, ref: RecordRef) -> str | None:
    """Why a recorded record's file is not as recorded (None when it is)."""
    path = store.folder(formulation_id) / ref.file
    try:
        _folder(store, formulation_id, create=False)
        data = read_regular(path)
    except StoreError as exc:
        return str(exc)
    if data is None:
        return f"{path}: missing; the ledger records it for {formulation_id}@{ref.version}"
    if sha256(data) != ref.sha256:
        return f"{path}: changed after it was recorded (sha256 does not match the ledger)"
    problem = identity_problem(data, path, formulation_id, ref.version, ref.number)
    return f"{path}: {problem}" if problem else None


def verify_records(
    store: Store, formulation_id: str, ledger: Ledger, writable: bool, notes: list[str]
) -> list[str]:
    """``verify`` of a formulation's records: every recorded file as recorded, nothing else."""
    problems = [
        p
        for entry in ledger.versions
        for ref in record_refs(entry)
        if (p := check_record(store, formulation_id, ref)) is not None
    ]
    try:
        found = unrecorded(store, formulation_id, ledger)
    except StoreError as exc:
        return [*problems, str(exc)]
    problems += found.problems
    if found.pending is not None:
        version, number, _ = found.pending
        path = store.folder(formulation_id) / record_file(version, number)
        notes.append(
            f"{path}: a compounding record not in the ledger (a writer that did not finish); "
            "not recorded (read-only)"
        )
    if not writable:
        folder = store.folder(formulation_id) / RECORDS
        if folder.is_dir() and not is_link(folder):
            notes += [
                f"{folder / n}: temporary file left by an interrupted writer; not removed "
                "(read-only)"
                for n in names(folder)
                if TEMPORARY.fullmatch(n)
            ]
    return problems
