"""Benchmark: re-checking a store of 10,000 approved formulations.

Prints, as a table, ``recheck`` (read, parse, structure and check every
approved version, on every core) as a ratio to reading and ``tomllib``-parsing
the same files in one process (goal: at most 1.0x), and the peak memory of
each (resident set size, including worker processes).

Run: python benchmarks/bench_recheck.py [--count N]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ["cellulite-thighs", "face-revitalisation", "hair-scalp", "submental-deoxycholic"]


def build_store(root: Path, count: int, registry: object = None) -> list[Path]:
    """A store of ``count`` approved formulations, written directly (no lock, no fsync).

    Each ledger records a passing check, or with ``registry`` the check that registry
    gives today, so that a recheck with the same registry finds nothing changed.
    """
    import attrs

    import mesoreg
    from mesoreg.documents._dump import dump_formulation
    from mesoreg.documents._model import Status
    from mesoreg.store._ledger import CheckRecord, Entry, Event, Ledger, dump_ledger, utc_now
    from mesoreg.store._store import sha256

    bases = [mesoreg.load_formulation(ROOT / "formulations" / e / "v1.toml") for e in EXAMPLES]
    now = utc_now()
    records = [CheckRecord("pass", now, mesoreg.__version__, ("mesoreg-core 0.1.0",))] * len(bases)
    if registry is not None:
        from mesoreg.store._recheck import check_record

        records = [check_record(mesoreg.check(b, registry=registry)) for b in bases]
    paths = []
    for i in range(count):
        formulation_id = f"gen-{i:05d}"
        folder = root / formulation_id
        folder.mkdir(parents=True)
        stored = attrs.evolve(bases[i % len(bases)], id=formulation_id, version=1, origin=None)
        data = dump_formulation(stored, with_status=False).encode()
        (folder / "v1.toml").write_bytes(data)
        entry = Entry(
            1,
            "v1.toml",
            sha256(data),
            "bench",
            now,
            Status.APPROVED,
            events=(Event("published", "bench", now), Event("approved", "bench", now)),
            last_check=records[i % len(bases)],
        )
        (folder / "index.toml").write_text(dump_ledger(Ledger(1, formulation_id, (entry,))))
        paths.append(folder / "v1.toml")
    return paths


def peak_mb() -> float:
    """Peak resident memory of this process and its finished children, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp()) / "store"
    paths = build_store(root, args.count)

    start = time.perf_counter()
    for path in paths:
        tomllib.loads(path.read_text(encoding="utf-8"))
    floor = time.perf_counter() - start
    floor_mem = peak_mb()

    from mesoreg.host._registry import get_registry
    from mesoreg.store._recheck import recheck
    from mesoreg.store._store import Store

    os.environ.setdefault("MESOREG_NO_PLUGINS", "1")
    registry = get_registry()
    registry.catalog  # noqa: B018 - built before timing, as in a running tool
    start = time.perf_counter()
    results = recheck(Store(root), registry)
    ours = time.perf_counter() - start
    assert len(results) == args.count

    print(f"{'measure':<56} {'ours':>10} {'floor':>10} {'ratio':>7} {'goal':>6}")
    print(
        f"{'recheck ' + str(args.count) + ' approved / read + tomllib.loads':<56} "
        f"{ours:>9.2f}s {floor:>9.2f}s {ours / floor:>6.2f}x {'1.0x':>6}"
    )
    print(
        f"{'peak memory (MB, with workers) / after the floor':<56} "
        f"{peak_mb():>9.0f}M {floor_mem:>9.0f}M {peak_mb() / floor_mem:>6.2f}x {'-':>6}"
    )
    print(f"workers: {os.cpu_count()}")


if __name__ == "__main__":
    main()
