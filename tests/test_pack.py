"""Pack files through the on-disk cache: keyed by content, a damaged entry is a miss."""

from __future__ import annotations

from pathlib import Path

import pytest

from mesoreg import _cache
from mesoreg.knowledge import _pack

PACK = """
schema_version = 1

[pack]
name = "cached-pack"
version = "{version}"
licence = "CC0-1.0"

[[sources]]
id = "test_source"
title = "A test source"
issuer = "Tests"
date = "2026"
kind = "expert_opinion"
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of this test's own."""
    where = tmp_path / "cache"
    monkeypatch.setenv("MESOREG_CACHE_DIR", str(where))
    monkeypatch.delenv("MESOREG_CACHE", raising=False)
    return where


def _entries(where: Path, kind: str) -> list[Path]:
    return sorted((where / kind).glob("*.pickle")) if (where / kind).is_dir() else []


def test_a_pack_is_cached_by_its_content(cache: Path, tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(PACK.format(version="1.0"))
    first = _pack.load_pack_document(path)
    assert len(_entries(cache, "pack")) == 1
    again = _pack.load_pack_document(path)
    assert again == first and again is not first  # read back from disk
    path.write_text(PACK.format(version="1.1"))
    assert _pack.load_pack_document(path).version == "1.1"
    assert len(_entries(cache, "pack")) == 2


def test_the_path_is_part_of_the_key(cache: Path, tmp_path: Path) -> None:
    # records name the file they came from, so one text at two paths is two packs
    for name in ("a.toml", "b.toml"):
        (tmp_path / name).write_text(PACK.format(version="1.0"))
    assert _pack.text_token("x", "a.toml") != _pack.text_token("x", "b.toml")
    assert _pack.load_pack_document(tmp_path / "b.toml").sources[0].origin.endswith("b.toml)")


def test_a_damaged_entry_is_a_miss(cache: Path, tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(PACK.format(version="1.0"))
    first = _pack.load_pack_document(path)
    (entry,) = _entries(cache, "pack")
    entry.write_bytes(entry.read_bytes()[:-20])
    assert _pack.load_pack_document(path) == first


def test_a_cached_value_of_the_wrong_type_is_a_miss(cache: Path, tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    text = PACK.format(version="1.0")
    path.write_text(text)
    _cache.put("pack", _pack.text_token(text, str(path)), "not a pack")
    assert _pack.load_pack_document(path).version == "1.0"


def test_cache_off_writes_nothing(cache: Path, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MESOREG_CACHE", "0")
    path = tmp_path / "p.toml"
    path.write_text(PACK.format(version="1.0"))
    assert _pack.load_pack_document(path).version == "1.0"
    _pack.load_core_pack()
    assert not cache.exists()


def test_a_pack_that_fails_is_never_cached(cache: Path, tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(PACK.format(version="1.0").replace('licence = "CC0-1.0"', ""))
    for _ in range(2):
        with pytest.raises(_pack.InputError, match="licence"):
            _pack.load_pack_document(path)
    assert _entries(cache, "pack") == []


def test_the_core_pack_comes_back_from_disk(cache: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(_pack, "_CORE_CACHE", {})  # as in a new process
    first = _pack.load_core_pack()
    assert len(_entries(cache, "core")) == 1
    monkeypatch.setattr(_pack, "_CORE_CACHE", {})  # another new process
    again = _pack.load_core_pack()
    assert again == first and again is not first


def test_the_core_token_changes_with_a_core_file(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    files = _pack.core_files()
    before = _pack.core_token()
    changed = [(files[0][0], files[0][1] + "\n# edited\n"), *files[1:]]
    monkeypatch.setattr(_pack, "core_files", lambda: changed)
    assert _pack.core_token() != before


def test_the_core_token_changes_with_the_version(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    before = _pack.core_token()
    monkeypatch.setattr(_pack, "__version__", "99.0.0")
    assert _pack.core_token() != before


def test_cache_folder_is_private(cache: Path, tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(PACK.format(version="1.0"))
    _pack.load_pack_document(path)
    assert cache.stat().st_mode & 0o077 == 0
