"""What the store remembers about files, by their sha256: pure, and never trusted blindly."""

from __future__ import annotations

import pytest

import mesoreg
from mesoreg import _cache, _store_memo
from mesoreg._ledger import dump_ledger
from mesoreg._store import Store
from mesoreg._store_memo import Table, read_ledger, table_for
from mesoreg.testing import formulation


@pytest.fixture(autouse=True)
def _fresh() -> None:
    _store_memo.forget()


def test_a_table_keeps_what_was_used_or_added(tmp_path):
    table = table_for(tmp_path)
    table.put("a", 1)
    table.put("b", 2)
    table.save()
    again = table_for(tmp_path)
    assert again.get("a") == 1
    again.put("c", 3)
    again.save()  # "b" was not used: dropped
    last = table_for(tmp_path)
    assert (last.get("a"), last.get("b"), last.get("c")) == (1, None, 3)


def test_a_damaged_table_is_a_miss(tmp_path):
    table = table_for(tmp_path)
    table.put("a", 1)
    table.save()
    (entry,) = (_cache.folder() / Table.KIND).glob(f"{table._name}.pickle")
    entry.write_bytes(entry.read_bytes()[:-3])
    assert table_for(tmp_path).get("a") is None


def test_with_the_cache_off_a_table_is_neither_read_nor_written(tmp_path, monkeypatch):
    table = table_for(tmp_path)
    table.put("a", 1)
    table.save()
    monkeypatch.setenv("MESOREG_CACHE", "0")
    assert table_for(tmp_path).get("a") is None
    off = table_for(tmp_path)
    off.put("b", 2)
    off.save()
    monkeypatch.delenv("MESOREG_CACHE")
    assert table_for(tmp_path).get("b") is None


def test_a_workers_table_hands_over_what_it_learnt_once():
    table = Table(None)
    table.put("a", 1)
    assert table.drain() == {"a": 1}
    assert table.drain() == {}
    assert table.get("a") == 1  # still known to the worker


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
