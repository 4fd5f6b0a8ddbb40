"""In-process memos: least recently used first out, nothing stored on an exception, off
with MESOREG_CACHE=0."""

from __future__ import annotations

import pytest

from mesoreg._memo import Memo


def test_hit_and_least_recently_used_out() -> None:
    memo: Memo[int] = Memo(2)
    calls: list[str] = []

    def make(key: str) -> int:
        calls.append(key)
        return len(calls)

    assert memo.get("a", lambda: make("a")) == 1
    assert memo.get("b", lambda: make("b")) == 2
    assert memo.get("a", lambda: make("a")) == 1  # hit; "a" is now the most recent
    assert memo.get("c", lambda: make("c")) == 3  # drops "b"
    assert memo.get("a", lambda: make("a")) == 1
    assert memo.get("b", lambda: make("b")) == 4
    assert calls == ["a", "b", "c", "b"]
    assert len(memo) == 2


def test_an_exception_stores_nothing() -> None:
    memo: Memo[int] = Memo(2)

    def fail() -> int:
        raise ValueError("no")

    with pytest.raises(ValueError):
        memo.get("a", fail)
    assert len(memo) == 0
    assert memo.get("a", lambda: 5) == 5


def test_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MESOREG_CACHE", "0")
    memo: Memo[list[int]] = Memo(2)
    first = memo.get("a", lambda: [1])
    assert memo.get("a", lambda: [1]) is not first
    assert len(memo) == 0


def test_clear() -> None:
    memo: Memo[int] = Memo(2)
    memo.get("a", lambda: 1)
    memo.clear()
    assert memo.get("a", lambda: 2) == 2
