"""In-process memos: the last results of pure computations, by everything they read.

A memo is a small least-recently-used table.  It serves a value only for a key
that names every input the computation reads (the caller builds the key), so a
hit is exactly what the computation would return now; ``MESOREG_CACHE=0``
turns every memo off.  Values must be immutable (frozen models and tuples):
the same object is handed to every caller that asks with an equal key.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


def enabled() -> bool:
    """Whether memos are on (``MESOREG_CACHE=0`` turns them off, with the on-disk cache)."""
    return os.environ.get("MESOREG_CACHE", "1") != "0"


class Memo(Generic[V]):
    """At most ``size`` values by key, the least recently used dropped first; thread-safe."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], V]) -> V:
        """The value for ``key``, computed (outside the lock) on a miss; an exception from
        ``compute`` is raised and nothing is stored."""
        if not enabled():
            return compute()
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = compute()
        with self._lock:
            self._values[key] = value
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget every value."""
        with self._lock:
            self._values.clear()

    def __len__(self) -> int:
        return len(self._values)
