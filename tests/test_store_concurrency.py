"""Safe writes: concurrent publishers, and publishers killed at random points."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time

from mesoreg._store import Store

PUBLISHER = r"""
import sys
from mesoreg._store import Store
from mesoreg.testing import formulation

store = Store(sys.argv[1])
f = formulation([("lidocaine", "1 %", "1 mL")], id=sys.argv[2])
for _ in range(int(sys.argv[3])):
    store.publish(f, sys.argv[4])
"""


def _spawn(root, formulation_id, count, author):  # type: ignore[no-untyped-def]
    return subprocess.Popen(
        [sys.executable, "-c", PUBLISHER, str(root), formulation_id, str(count), author]
    )


def test_eight_publishers_fifty_each_every_version_exactly_once(tmp_path):
    root = tmp_path / "store"
    procs = [_spawn(root, "shared", 50, f"writer-{i}") for i in range(8)]
    assert [p.wait(timeout=300) for p in procs] == [0] * 8
    store = Store(root)
    ledger = store.ledger("shared")
    assert [e.version for e in ledger.versions] == list(range(1, 401))
    authors = [e.author for e in ledger.versions]
    assert sorted(set(authors)) == [f"writer-{i}" for i in range(8)]
    assert all(authors.count(f"writer-{i}") == 50 for i in range(8))
    assert store.verify() == ([], [])


def test_publisher_killed_at_random_points_leaves_a_clean_store(tmp_path):
    rng = random.Random(20261122)
    root = tmp_path / "store"
    store = Store(root)
    published = 0
    for attempt in range(40):
        proc = _spawn(root, "killed", 1000, f"attempt-{attempt}")
        time.sleep(rng.uniform(0.05, 0.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        problems, _notes = store.verify()
        assert problems == [], f"attempt {attempt}: {problems}"
        versions = [e.version for e in store.ledger("killed").versions]
        assert versions == list(range(1, len(versions) + 1))
        assert len(versions) >= published
        published = len(versions)
        assert not list(store.folder("killed").glob(".*.tmp-*")) if published else True
    assert published > 0
