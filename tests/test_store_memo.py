"""What the store remembers about files, by their sha256: pure, and never trusted blindly."""

from __future__ import annotations

import pytest

import mesoreg
from mesoreg import _cache
from mesoreg.store import _store_memo
from mesoreg.store._ledger import dump_ledger
from mesoreg.store._store import Store
from mesoreg.store._store_memo import CANONICAL, CHECKS, LEDGERS, Table, read_ledger, table_for
from mesoreg.testing import formulation


@pytest.fixture(autouse=True)
def _fresh() -> None:
    _store_memo.forget()


def test_a_table_drops_only_the_unused_items_of_the_kinds_a_run_swept(tmp_path):
    table = table_for(tmp_path)
    for kind in (LEDGERS, CHECKS):
        table.put(kind, "a", 1)
        table.put(kind, "b", 2)
    table.save(swept=(LEDGERS, CHECKS))
    again = table_for(tmp_path)
    assert again.get(LEDGERS, "a") == 1
    again.put(CANONICAL, "c", 3)
    again.save(swept=(LEDGERS, CANONICAL))  # a verify: every ledger, every version
    last = table_for(tmp_path)
    assert [last.get(LEDGERS, k) for k in "ab"] == [1, None]  # "b" not used: dropped
    assert [last.get(CHECKS, k) for k in "ab"] == [1, 2]  # not swept: kept
    assert last.get(CANONICAL, "c") == 3


def test_a_damaged_table_is_a_miss(tmp_path):
    table = table_for(tmp_path)
    table.put(LEDGERS, "a", 1)
    table.save(swept=())
    (entry,) = (_cache.folder() / Table.KIND).glob(f"{table._name}.pickle")
    entry.write_bytes(entry.read_bytes()[:-3])
    assert table_for(tmp_path).get(LEDGERS, "a") is None


def test_with_the_cache_off_a_table_is_neither_read_nor_written(tmp_path, monkeypatch):
    table = table_for(tmp_path)
    table.put(LEDGERS, "a", 1)
    table.save(swept=())
    monkeypatch.setenv("MESOREG_CACHE", "0")
    assert table_for(tmp_path).get(LEDGERS, "a") is None
    off = table_for(tmp_path)
    off.put(LEDGERS, "b", 2)
    off.save(swept=())
    monkeypatch.delenv("MESOREG_CACHE")
    assert table_for(tmp_path).get(LEDGERS, "b") is None


def test_a_workers_table_hands_over_what_it_learnt_once():
    table = Table(None)
    table.put(CHECKS, "a", 1)
    assert table.drain() == {CHECKS: {"a": 1}}
    assert table.drain() == {}
    assert table.get(CHECKS, "a") == 1  # still known to the worker


def test_the_same_bytes_are_validated_for_each_folder(tmp_path):
    store = Store(tmp_path / "s")
    store.publish(formulation([("lidocaine", "1 %", "1 mL")], id="one"), "a")
    path = store.folder("one") / "index.toml"
    data = path.read_bytes()
    assert read_ledger(data, path, "one").id == "one"
    with pytest.raises(mesoreg.InputError, match="'one' does not match its folder 'two'"):
        read_ledger(data, path, "two")


def test_a_remembered_ledger_is_what_its_bytes_parse_to(tmp_path):
    store = Store(tmp_path / "s")
    f = formulation([("lidocaine", "1 %", "1 mL")], id="one")
    for _ in range(3):
        store.publish(f, "a")
    path = store.folder("one") / "index.toml"
    remembered = store.ledger("one")
    _store_memo.forget()
    assert read_ledger(path.read_bytes(), path, "one") == remembered
    assert dump_ledger(remembered).encode() == path.read_bytes()


def test_equal_texts_and_tuples_of_texts_are_shared_as_one_object():
    _store_memo.forget()
    packs = ("mesoreg-core 0.1.0", "x 1")
    again = tuple(f"{name}" for name in ("mesoreg-core 0.1.0", "x 1"))
    assert again is not packs
    assert _store_memo.shared(packs) is packs
    assert _store_memo.shared(again) is packs
    text = "".join(["pa", "ss"])
    assert _store_memo.shared("pass") == "pass"
    assert _store_memo.shared(text) is _store_memo.shared("pass")
    assert _store_memo.shared(()) == ()


def test_sharing_is_bounded_and_never_changes_a_value(monkeypatch):
    _store_memo.forget()
    monkeypatch.setattr(_store_memo, "MAX_SHARED", 3)
    values = [f"v{i}" for i in range(10)]
    assert [_store_memo.shared(v) for v in values] == values
    assert len(_store_memo._shared) <= 3


def test_a_summary_shares_the_texts_of_its_checks(tmp_path, registry):
    from mesoreg.documents._model import Status
    from mesoreg.store._publish import publish, set_status

    _store_memo.forget()
    store = Store(tmp_path / "s")
    for name in ("a", "b"):
        f = formulation([("lidocaine", "1 %", "1 mL")], id=name)
        publish(f, store, author="x", registry=registry)
        set_status(store, f"{name}@1", Status.APPROVED, "y", registry=registry)
    (a,), (b,) = (_store_memo.summarise(store.ledger(n)) for n in ("a", "b"))
    assert a[4] is not None and b[4] is not None
    assert a[4][3] == b[4][3] and a[4][3] is b[4][3]  # the packs: one object
    assert a[:4] == (1, "v1.toml", store.ledger("a").entry(1).sha256, "approved")
