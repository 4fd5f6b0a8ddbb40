"""Compounding records in the store: append-only, hashed in the ledger, verified, crash-safe."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from test_store_concurrency import _calls_counted, _fork, _wait

from mesoreg.documents._model import Status
from mesoreg.store._ledger import Entry, record_refs
from mesoreg.store._records import add_record, read_records
from mesoreg.store._store import Store
from mesoreg.store._store_io import StoreError
from mesoreg.testing import formulation


def _bytes(number: int, entry: Entry, extra: str = "") -> bytes:
    return (
        f'schema_version = 1\nformulation = "rec"\nversion = {entry.version}\n'
        f"record = {number}\n{extra}"
    ).encode()


def _store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "st")
    store.publish(formulation([("lidocaine", "1 %", "1 mL")], id="rec"), "author")
    return store


def _add(store: Store, extra: str = "") -> None:
    add_record(store, "rec", 1, lambda n, e: _bytes(n, e, extra), lambda raw: None, "J. Martin")


def test_records_are_numbered_hashed_in_the_ledger_and_verified(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _add(store, 'note = "a"\n')
    _add(store, 'note = "b"\n')
    refs = record_refs(store.ledger("rec").entry(1))  # type: ignore[arg-type]
    assert [(r.file, r.by) for r in refs] == [
        ("records/v1-1.toml", "J. Martin"),
        ("records/v1-2.toml", "J. Martin"),
    ]
    found = read_records(store, "rec", 1)
    assert [data.decode().splitlines()[-1] for _, data in found] == ['note = "a"', 'note = "b"']
    assert store.verify() == ([], [])
    # the status is untouched; a publish after records works as before
    assert store.ledger("rec").entry(1).status is Status.DRAFT  # type: ignore[union-attr]
    store.publish(formulation([("lidocaine", "1 %", "2 mL")], id="rec"), "author")
    assert store.verify() == ([], [])


def test_a_retired_version_is_not_compounded(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.set_status("rec", 1, Status.RETIRED, "chief")
    with pytest.raises(StoreError, match="rec@1 is retired; a retired version is not compounded"):
        _add(store)
    assert not (store.folder("rec") / "records").exists()


def test_a_record_that_does_not_name_itself_is_never_written(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with pytest.raises(StoreError, match="not the record file of rec@1 number 1"):
        add_record(store, "rec", 1, lambda n, e: _bytes(n + 1, e), lambda raw: None, "J. M")
    assert list((store.folder("rec") / "records").iterdir()) == []
    assert store.verify() == ([], [])


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("change", "records/v1-1.toml: changed after it was recorded"),
        ("remove", "records/v1-1.toml: missing; the ledger records it for rec@1"),
        ("extra", "records/notes.txt: extra file, not recorded in the ledger"),
        ("lost", "records/v1-3.toml: a compounding record the ledger does not record"),
        ("link", "records/v1-2.toml: is a symbolic link"),
    ],
)
def test_verify_reports_every_damaged_or_unrecorded_record(tmp_path, damage, message) -> None:
    store = _store(tmp_path)
    _add(store)
    folder = store.folder("rec") / "records"
    path = folder / "v1-1.toml"
    if damage == "change":
        path.write_bytes(path.read_bytes() + b"# edited\n")
    elif damage == "remove":
        path.unlink()
    elif damage == "extra":
        (folder / "notes.txt").write_text("x")
    elif damage == "lost":  # not the next record: the ledger lost entries
        (folder / "v1-3.toml").write_bytes(
            b'schema_version = 1\nformulation = "rec"\nversion = 1\nrecord = 3\n'
        )
    else:
        (folder / "v1-2.toml").symlink_to(path)
    problems, _ = store.verify()
    assert any(message in p for p in problems), problems
    if damage in ("change", "remove"):
        with pytest.raises(StoreError, match="'mesoreg verify' lists every damaged file"):
            read_records(store, "rec", 1)


def test_an_unfinished_record_blocks_changes_until_verify_records_it(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _add(store)
    folder = store.folder("rec") / "records"
    (folder / "v1-2.toml").write_bytes(
        b'schema_version = 1\nformulation = "rec"\nversion = 1\nrecord = 2\n'
    )
    with pytest.raises(StoreError, match="a compounding record not in the ledger"):
        store.publish(formulation([("lidocaine", "1 %", "2 mL")], id="rec"), "author")
    problems, notes = store.verify()
    assert problems == []
    assert notes == [
        f"{folder / 'v1-2.toml'}: recorded in the ledger from the file itself (a compounding "
        "record whose writer did not finish, or a file put there by hand): review it with "
        "'mesoreg records rec@1'"
    ]
    refs = record_refs(store.ledger("rec").entry(1))  # type: ignore[arg-type]
    assert [(r.number, r.by) for r in refs] == [(1, "J. Martin"), (2, "mesoreg")]
    assert store.verify() == ([], [])


def _calls_per_record(root: Path) -> int:
    with _calls_counted(lambda n: None) as count:
        _add(Store(root))
    return count[0]


def test_a_writer_killed_at_every_step_leaves_the_record_whole_or_absent(tmp_path) -> None:
    twin = _store(tmp_path / "twin")
    _add(twin)
    steps = _calls_per_record(twin.root)
    assert steps >= 8  # temporary file, fsync, link, ledger temporary, fsync, replace, ...
    outcomes = set()
    for kill_at in range(1, steps + 2):
        store = _store(tmp_path / f"s{kill_at}")
        _add(store)

        def die_at(n: int, kill_at: int = kill_at) -> None:
            if n == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)

        def child(store: Store = store, die_at=die_at) -> None:  # type: ignore[no-untyped-def]
            with _calls_counted(die_at):
                _add(store)

        code = _wait(_fork(child))
        assert code == (0 if kill_at > steps else -signal.SIGKILL), kill_at
        problems, _notes = store.verify()  # records an unfinished record, removes leftovers
        assert problems == [], (kill_at, problems)
        assert [p.name for p in store.root.rglob("*.tmp-*")] == []
        refs = record_refs(store.ledger("rec").entry(1))  # type: ignore[arg-type]
        on_disk = sorted(p.name for p in (store.folder("rec") / "records").iterdir())
        assert on_disk == [f"v1-{r.number}.toml" for r in refs]
        assert len(refs) in (1, 2), kill_at
        outcomes.add(len(refs))
        _add(store)  # and the store takes the next record as usual
        assert store.verify() == ([], [])
        assert len(read_records(store, "rec", 1)) == len(refs) + 1
    assert outcomes == {1, 2}
