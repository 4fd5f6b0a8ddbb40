"""The on-disk cache: a hit only for a private folder and an intact entry; off with
MESOREG_CACHE=0; every failure is a miss."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mesoreg import _cache


@pytest.fixture
def where(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("MESOREG_CACHE_DIR", str(folder))
    monkeypatch.delenv("MESOREG_CACHE", raising=False)
    return folder


def test_round_trip(where: Path) -> None:
    name = _cache.key("a", b"b")
    assert _cache.get("things", name) is None
    _cache.put("things", name, {"x": (1, 2)})
    assert _cache.get("things", name) == {"x": (1, 2)}
    assert oct(where.stat().st_mode & 0o777) == "0o700"


def test_key_separates_parts() -> None:
    assert _cache.key("ab", "c") != _cache.key("a", "bc")
    assert _cache.key("a") == _cache.key(b"a")


def test_folder_from_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MESOREG_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert _cache.folder() == tmp_path / "mesoreg"


def test_off(where: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    name = _cache.key("a")
    _cache.put("things", name, 1)
    monkeypatch.setenv("MESOREG_CACHE", "0")
    assert _cache.get("things", name) is None
    _cache.put("things", _cache.key("b"), 2)
    assert not (where / "things" / f"{_cache.key('b')}.pickle").exists()


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty", "garbage-pickle"])
def test_damaged_entry_is_a_miss(where: Path, damage: str) -> None:
    name = _cache.key("a")
    _cache.put("things", name, list(range(100)))
    path = where / "things" / f"{name}.pickle"
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[:-5])
    elif damage == "flip":
        path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    elif damage == "empty":
        path.write_bytes(b"")
    else:  # a valid digest over bytes that do not unpickle
        import hashlib

        payload = b"not a pickle"
        head = data[: len(_cache._MAGIC)]
        path.write_bytes(head + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
    assert _cache.get("things", name) is None


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_shared_folder_is_never_read(where: Path) -> None:
    name = _cache.key("a")
    _cache.put("things", name, 1)
    where.chmod(0o777)
    assert _cache.get("things", name) is None
    where.chmod(0o700)
    (where / "things").chmod(0o777)
    assert _cache.get("things", name) is None


def test_linked_folder_is_never_read(where: Path, tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    where.symlink_to(real)
    _cache.put("things", _cache.key("a"), 1)
    assert _cache.get("things", _cache.key("a")) is None


def test_unwritable_folder_is_quiet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("MESOREG_CACHE_DIR", str(blocker / "cache"))
    _cache.put("things", _cache.key("a"), 1)  # no exception
    assert _cache.get("things", _cache.key("a")) is None


def test_unpicklable_value_is_not_cached(where: Path) -> None:
    _cache.put("things", _cache.key("a"), lambda: 1)
    assert _cache.get("things", _cache.key("a")) is None


def test_bad_names_are_refused(where: Path) -> None:
    _cache.put("../x", "abc", 1)
    _cache.put("things", "../../x", 1)
    assert not where.exists() or not any(where.rglob("*.pickle"))
