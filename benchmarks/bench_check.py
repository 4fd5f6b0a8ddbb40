"""Benchmark: how much a check costs compared with just reading its file.

Prints a table of ratios against floors measured on the same machine:

(a) one example checked in-process (read + parse + structure + resolve + every
    check + hook dispatch, with the catalog already built, as in a long-lived
    tool) against ``tomllib.loads`` of the same file; goal at most 1.0x;
(b) a cold ``mesoreg check`` process against ``python -c "import tomllib"``
    and against ``check-jsonschema`` validating the same file; goal at most
    0.5x check-jsonschema.

Run: python benchmarks/bench_check.py [--repeat N]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

from _timing import median_runs

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "formulations" / "cellulite-thighs" / "v1.toml"
PATIENT = ROOT / "examples" / "patients" / "anna.toml"
SCHEMA = Path(__file__).resolve().parent / "formulation.schema.json"


def best_of(fns: list[Callable[[], object]], repeat: int, number: int) -> list[float]:
    """Best mean time per call of each function, rounds interleaved so drift hits all alike."""
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            for _ in range(number):
                fn()
            best[i] = min(best[i], (time.perf_counter() - start) / number)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    import mesoreg

    text = EXAMPLE.read_text()
    registry = mesoreg.Registry.from_plugins()
    _ = registry.catalog, registry.checks, registry.validators  # warm, as a server would be

    def in_process() -> object:
        formulation = mesoreg.load_formulation(EXAMPLE)
        patient = mesoreg.load_patient(PATIENT)
        return mesoreg.check(formulation, patient, registry=registry)

    parse, parse_both, checked = best_of(
        [
            lambda: tomllib.loads(text),
            lambda: (tomllib.loads(text), tomllib.loads(PATIENT.read_text())),
            in_process,
        ],
        args.repeat,
        300,
    )

    rows = [
        ("(a) check in-process / tomllib.loads(formulation)", checked, parse, 1.0),
        ("(a') check in-process / tomllib.loads(formulation + patient)", checked, parse_both, 1.0),
    ]
    exe = shutil.which("mesoreg") or ""
    cjs = shutil.which("check-jsonschema")
    cmds = [
        [exe, "check", str(EXAMPLE), "--patient", str(PATIENT)],
        [sys.executable, "-c", "import tomllib"],
    ]
    if cjs:
        cmds.append([cjs, "--schemafile", str(SCHEMA), str(EXAMPLE)])
    cold, bare, *rest = median_runs(cmds, args.repeat)
    rows.append(("(b) cold mesoreg check / python -c 'import tomllib'", cold, bare, None))
    if rest:
        rows.append(("(b) cold mesoreg check / check-jsonschema", cold, rest[0], 0.5))
    else:
        print("check-jsonschema not installed: pip install '.[bench]' for that row")

    print(f"{'measure':<62} {'ours':>10} {'floor':>10} {'ratio':>7} {'goal':>6}")
    for name, ours, floor, goal in rows:
        goal_text = f"{goal:.1f}x" if goal else "-"
        print(
            f"{name:<62} {ours * 1e3:>8.3f}ms {floor * 1e3:>8.3f}ms {ours / floor:>6.2f}x "
            f"{goal_text:>6}"
        )


if __name__ == "__main__":
    main()
