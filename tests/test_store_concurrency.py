"""Safe writes: concurrent publishers, and a publisher killed at every step of a publish.

Nothing here depends on timing.  Writers are forked processes that start together
when the test closes a pipe; a killed publisher kills itself (SIGKILL) just before
its k-th file-system call, for every k a publish makes, so every intermediate state
of the write protocol is left behind once and checked, on any machine at any speed.
"""

from __future__ import annotations

import io
import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from mesoreg.store._store import Store
from mesoreg.testing import formulation

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork (POSIX)")

#: every call that changes or reads the store's files during a publish
FILE_SYSTEM_CALLS = (
    (os, "open"),
    (os, "fsync"),
    (os, "link"),
    (os, "replace"),
    (os, "rename"),
    (os, "unlink"),
    (os, "mkdir"),
    (io, "open"),
)


@contextmanager
def _calls_counted(before_call: Callable[[int], None]) -> Iterator[list[int]]:
    """Count file-system calls; ``before_call(n)`` runs just before the n-th (from 1)."""
    count = [0]
    saved = [(module, name, getattr(module, name)) for module, name in FILE_SYSTEM_CALLS]

    def wrap(real: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            count[0] += 1
            before_call(count[0])
            return real(*args, **kwargs)

        return counted

    for module, name, real in saved:
        setattr(module, name, wrap(real))
    try:
        yield count
    finally:
        for module, name, real in saved:
            setattr(module, name, real)


def _fork(child: Callable[[], None]) -> int:
    """Run ``child`` in a forked process; returns its pid.  The child never returns."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            child()
            code = 0
        finally:
            os._exit(code)
    return pid


def _wait(pid: int) -> int:
    """The child's exit code, or minus the signal that killed it."""
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def _calls_per_publish(root: Path, formulation_id: str) -> int:
    """How many file-system calls the next publish into ``root`` makes (measured, not killed)."""
    store = Store(root)
    with _calls_counted(lambda n: None) as count:
        store.publish(formulation([("lidocaine", "1 %", "1 mL")], id=formulation_id), "probe")
    return count[0]


def _publish_killed_at(root: Path, formulation_id: str, kill_at: int) -> int:
    """Publish once in a child that SIGKILLs itself before its ``kill_at``-th call."""

    def die_at(n: int) -> None:
        if n == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    def child() -> None:
        f = formulation([("lidocaine", "2 %", "1 mL")], id=formulation_id)
        with _calls_counted(die_at):
            Store(root).publish(f, f"killed-at-{kill_at}")

    return _wait(_fork(child))


def _assert_clean(store: Store, formulation_id: str) -> list[int]:
    if not store.root.exists():
        return []  # killed before it made anything: there is no store, as before
    problems, _notes = store.verify()
    assert problems == []
    folder = store.folder(formulation_id)
    versions = [e.version for e in store.ledger(formulation_id).versions]
    assert versions == list(range(1, len(versions) + 1))
    leftovers = [p.name for p in store.root.rglob("*.tmp-*")]
    assert leftovers == [], leftovers
    on_disk = sorted(int(p.stem[1:]) for p in folder.glob("v*.toml")) if folder.is_dir() else []
    assert on_disk == versions
    return versions


@pytest.mark.parametrize("published_before", [0, 1], ids=["new store", "second version"])
def test_a_publisher_killed_at_every_step_leaves_a_clean_usable_store(tmp_path, published_before):
    # how many calls a publish makes, measured on a twin store in the same state
    twin = tmp_path / "twin"
    for _ in range(published_before):
        _calls_per_publish(twin, "killed")
    steps = _calls_per_publish(twin, "killed")
    assert steps >= 8  # mkdir, temporary file, fsync, link, ledger, replace, ...

    outcomes = set()
    for kill_at in range(1, steps + 2):  # steps + 1: the publish completes
        root = tmp_path / f"store-{kill_at}"
        for _ in range(published_before):
            Store(root).publish(formulation([("lidocaine", "1 %", "1 mL")], id="killed"), "first")
        code = _publish_killed_at(root, "killed", kill_at)
        assert code == (0 if kill_at > steps else -signal.SIGKILL), kill_at
        store = Store(root)
        versions = _assert_clean(store, "killed")
        # the killed publish either happened completely or not at all
        assert versions in (
            list(range(1, published_before + 1)),
            list(range(1, published_before + 2)),
        ), (kill_at, versions)
        outcomes.add(len(versions) - published_before)
        # and the store takes the next publish as usual
        store.publish(formulation([("lidocaine", "1 %", "1 mL")], id="killed"), "after")
        assert _assert_clean(store, "killed") == list(range(1, len(versions) + 2))
    assert outcomes == {0, 1}  # some kills came before the commit point, some after


WRITERS = 8
EACH = 15


def test_concurrent_publishers_store_every_version_exactly_once(tmp_path):
    root = tmp_path / "store"
    start_read, start_write = os.pipe()

    def writer(author: str) -> Callable[[], None]:
        def child() -> None:
            os.close(start_write)
            os.read(start_read, 1)  # returns when the test closes the pipe: all start together
            store = Store(root)
            f = formulation([("lidocaine", "1 %", "1 mL")], id="shared")
            for _ in range(EACH):
                store.publish(f, author)

        return child

    pids = [_fork(writer(f"writer-{i}")) for i in range(WRITERS)]
    os.close(start_read)
    os.close(start_write)
    assert [_wait(pid) for pid in pids] == [0] * WRITERS
    store = Store(root)
    ledger = store.ledger("shared")
    assert [e.version for e in ledger.versions] == list(range(1, WRITERS * EACH + 1))
    authors = [e.author for e in ledger.versions]
    assert {a: authors.count(a) for a in set(authors)} == {
        f"writer-{i}": EACH for i in range(WRITERS)
    }
    assert store.verify() == ([], [])
    assert sorted(p.name for p in store.folder("shared").iterdir()) == sorted(
        ["index.toml", *(f"v{n}.toml" for n in range(1, WRITERS * EACH + 1))]
    )
