"""Cache keys of the built-in pack; values with read-only mappings, written in batches."""

from __future__ import annotations

import pickle
from pathlib import Path
from types import MappingProxyType

import attrs
import pytest

from mesoreg import _snapshot


def test_digest_is_length_prefixed() -> None:
    assert _snapshot.digest(["ab", "c"]) != _snapshot.digest(["a", "bc"])
    assert _snapshot.digest(["ab", "c"]) == _snapshot.digest([b"ab", b"c"])


def test_read_only_mappings_round_trip() -> None:
    value = {"outer": MappingProxyType({"a": (1, 2), "b": MappingProxyType({"c": 3})})}
    again = pickle.loads(_snapshot.dumps(value))
    assert type(again["outer"]) is MappingProxyType
    assert type(again["outer"]["b"]) is MappingProxyType
    assert again["outer"]["b"]["c"] == 3 and again["outer"]["a"] == (1, 2)


def test_catalog_round_trips(catalog) -> None:  # type: ignore[no-untyped-def]
    again = pickle.loads(_snapshot.dumps(catalog))
    assert again == catalog
    assert type(again.ingredients) is MappingProxyType
    assert again.find_ingredient("lidocaine") == catalog.find_ingredient("lidocaine")


@attrs.frozen
class Leaf:
    name: str
    size: float = 1.0


@attrs.frozen
class Node:
    name: str
    children: tuple[Node, ...] = ()
    leaf: Leaf | None = None


def test_records_are_written_in_batches_and_keep_their_identity() -> None:
    shared = Leaf("shared")
    leaves = tuple(Leaf(f"l{i}", float(i)) for i in range(50))
    value = {"all": leaves, "again": MappingProxyType({"x": leaves[3]}), "s": (shared, shared)}
    data = _snapshot.dumps(value)
    assert b"_build_many" in data
    again = pickle.loads(data)
    assert again == {**value, "again": {"x": leaves[3]}}
    assert again["again"]["x"] is again["all"][3]  # one record, not two copies
    assert again["s"][0] is again["s"][1]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        again["all"][0].name = "changed"  # type: ignore[misc]
    assert hash(again["all"][7]) == hash(leaves[7])


def test_a_class_nesting_itself_is_written_record_by_record() -> None:
    deep = Node("a", (Node("b", (Node("c", leaf=Leaf("x")),)),))
    again = pickle.loads(_snapshot.dumps(deep))
    assert again == deep


def test_a_reshaped_class_is_a_miss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MESOREG_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("MESOREG_CACHE", raising=False)
    _snapshot.put("things", "abc", (Leaf("a"), Leaf("b")))
    assert _snapshot.get("things", "abc") == (Leaf("a"), Leaf("b"))
    # the entry was written when Leaf had another field
    monkeypatch.setattr(_snapshot, "_slots", lambda cls: (("name",), (Leaf.__dict__["name"],)))
    assert _snapshot.get("things", "abc") is None


def test_a_value_that_cannot_be_pickled_is_not_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MESOREG_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("MESOREG_CACHE", raising=False)
    _snapshot.put("things", "abc", lambda: None)
    assert _snapshot.get("things", "abc") is None
