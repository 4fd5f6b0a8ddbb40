"""Benchmark: hostile inputs cost little, and work grows linearly (issue 10, section 5).

Times each hostile case against a small baseline of the same kind, measured in
the same run, and prints a table of ratios.  Goals: a rejected input costs
about as much as a small valid one (ratio near 1), and checks grow linearly
with the number of components (ratio near the size ratio, never its square).

Cases:

* a long ``strength`` string (refused by its length before any pattern runs);
* a formulation of N components, checked in-process (built in memory, so it
  bypasses the file limit of 1,000 components and shows the algorithm alone);
* TOML nested 400 and 5,000 levels deep;
* ``/dev/zero`` and a FIFO nobody writes to (refused before they are opened);
* a pack of 10^6 records (refused by its size) and one just over the record
  limit (refused after parsing, before structuring).

Run: python benchmarks/bench_hostile.py [--repeat N] [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def best(fn: Callable[[], object], repeat: int) -> float:
    """Best wall time of ``fn`` over ``repeat`` runs, in seconds; exceptions are expected."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        with contextlib.suppress(Exception):  # hostile input is meant to be refused
            fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _components(count: int) -> object:
    from mesoreg.testing import formulation

    ids = ["pyridoxine", "biotin", "cyanocobalamin", "dexpanthenol", "ascorbic_acid"]
    return formulation([(ids[i % len(ids)], "1 mg/mL", "0.001 mL") for i in range(count)])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args()

    import mesoreg
    from mesoreg.documents._load import load_formulation
    from mesoreg.knowledge._pack import MAX_PACK_RECORDS, load_pack_document

    registry = mesoreg.Registry.from_plugins()
    _ = registry.catalog, registry.checks, registry.validators
    tmp = Path(tempfile.mkdtemp())
    rows: list[tuple[str, str, float, float]] = []

    def row(case: str, size: str, fn: Callable[[], object], floor: float) -> None:
        seconds = best(fn, args.repeat)
        rows.append((case, size, seconds, seconds / floor))

    # -- quantities --------------------------------------------------------------
    floor = best(lambda: mesoreg.parse_quantity("20 mg/mL"), args.repeat)
    for n in (10_000, 40_000) if args.quick else (10_000, 40_000, 80_000):
        text = "1 mg" + " " * n + "x"
        row("strength string", f"{n:,} chars", lambda t=text: mesoreg.parse_quantity(t), floor)

    # -- components ----------------------------------------------------------------
    day = dt.date(2026, 11, 22)
    small = _components(100)
    floor = best(lambda: mesoreg.check(small, None, registry=registry, date=day), args.repeat)
    for n in (1_000, 8_000) if args.quick else (1_000, 8_000, 16_000):
        big = _components(n)
        row(
            "components (x100)",
            f"{n:,}",
            lambda f=big: mesoreg.check(f, None, registry=registry, date=day),
            floor,
        )

    # -- files -----------------------------------------------------------------------
    example = Path(__file__).resolve().parent.parent / "formulations/cellulite-thighs/v1.toml"
    floor = best(lambda: load_formulation(example), args.repeat)
    for depth in (400, 5_000):
        path = tmp / f"deep{depth}.toml"
        path.write_text(f"schema_version = 1\nx = {'[' * depth}{']' * depth}\n")
        row("nested TOML", f"{depth:,} levels", lambda p=path: load_formulation(p), floor)
    if Path("/dev/zero").exists():
        row("/dev/zero", "-", lambda: load_formulation("/dev/zero"), floor)
    fifo = tmp / "fifo.toml"
    os.mkfifo(fifo)
    row("FIFO, no writer", "-", lambda: load_formulation(fifo), floor)

    # -- packs -------------------------------------------------------------------------
    head = (
        'schema_version = 1\n[pack]\nname = "big"\nversion = "1"\nlicence = "CC0-1.0"\n'
        '[[sources]]\nid = "s"\ntitle = "t"\nissuer = "i"\ndate = "2026"\n'
        'kind = "expert_opinion"\n'
    )
    record = '[[drugs]]\nid = "d{i}"\nname = "D{i}"\nclasses = ["x"]\nsources = ["s"]\n'
    count = 100_000 if args.quick else 1_000_000
    huge = tmp / "huge.toml"
    with huge.open("w") as handle:
        handle.write(head)
        handle.writelines(record.format(i=i) for i in range(count))
    over = tmp / "over.toml"
    over.write_text(
        head.replace("[pack]", f"drugs = [{', '.join(['{}'] * (MAX_PACK_RECORDS + 1))}]\n[pack]")
    )
    one = tmp / "one.toml"
    one.write_text(head + record.format(i=0))
    floor = best(lambda: load_pack_document(one), args.repeat)
    row("pack", f"{count:,} records", lambda: load_pack_document(huge), floor)
    row("pack", f"{MAX_PACK_RECORDS + 1:,} records", lambda: load_pack_document(over), floor)

    print(f"{'case':<20} {'size':<16} {'seconds':>9} {'x baseline':>11}")
    for case, size, seconds, ratio in rows:
        print(f"{case:<20} {size:<16} {seconds:>9.4f} {ratio:>10.1f}x")


if __name__ == "__main__":
    main()
