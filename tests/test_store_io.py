"""Store file access: links, special files and failed writes never escape or leave debris."""

from __future__ import annotations

import errno
import os

import pytest

from mesoreg._errors import InputError
from mesoreg.store._store_io import StoreError, decode, read_regular, write_new, write_replace


def test_read_regular_refuses_links_folders_and_fifos(tmp_path):
    target = tmp_path / "outside.txt"
    target.write_text("secret")
    (tmp_path / "link").symlink_to(target)
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "folder").mkdir()
    assert read_regular(target) == b"secret"
    assert read_regular(tmp_path / "absent") is None
    with pytest.raises(StoreError, match="link: is a symbolic link; the store refuses links"):
        read_regular(tmp_path / "link")
    for name in ("fifo", "folder"):
        with pytest.raises(StoreError, match=f"{name}: (not a regular file|cannot be read)"):
            read_regular(tmp_path / name)


def test_invalid_utf8_names_the_byte(tmp_path):
    with pytest.raises(InputError, match=r"x.toml: not valid UTF-8 \(byte 2\)"):
        decode(b"ab\xffc", tmp_path / "x.toml")


@pytest.mark.parametrize("call", ["write", "fsync"])
@pytest.mark.parametrize("writer", [write_new, write_replace])
def test_a_failed_write_changes_nothing(tmp_path, monkeypatch, call, writer):
    def full(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, call, full)
    with pytest.raises(StoreError, match=r"new.toml: could not be written \(No space left"):
        writer(tmp_path / "new.toml", b"data", lambda raw: None)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_validation_leaves_no_temporary_file(tmp_path):
    def refuse(raw: bytes) -> None:
        raise InputError([])

    with pytest.raises(InputError):
        write_replace(tmp_path / "x.toml", b"data", refuse)
    assert list(tmp_path.iterdir()) == []


def test_writes_never_follow_a_link(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    store = tmp_path / "store"
    store.mkdir()
    (store / "v1.toml").symlink_to(outside)
    with pytest.raises(StoreError, match="exists; a stored file is never overwritten"):
        write_new(store / "v1.toml", b"new", lambda raw: None)
    write_replace(store / "v1.toml", b"new", lambda raw: None)  # replaces the link itself
    assert outside.read_text() == "keep"
    assert not (store / "v1.toml").is_symlink()
