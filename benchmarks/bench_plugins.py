"""Benchmark: what plugins cost, and whether a big catalog keeps checks fast.

Prints a table:

* cold ``mesoreg --version``, and cold ``mesoreg check`` with ``--no-plugins`` and with every
  installed plugin (the three in plugins/ when installed): plugins must add little;
* a generated pack of 10,000 ingredients and 100,000 rules: loading it (parse, structure,
  cross-check, index) as a ratio to parsing its TOML (goal: about 2x), and one check with it
  as a ratio to the same check with the built-in catalog (goal: at most 1.2x; indexes, not
  scans).

Run: python benchmarks/bench_plugins.py [--repeat N] [--ingredients N] [--rules N]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import tomli
from _timing import median_runs

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "formulations" / "cellulite-thighs" / "v1.toml"
PATIENT = ROOT / "examples" / "patients" / "anna.toml"


def generate_pack(ingredients: int, rules: int) -> str:
    """A synthetic pack: ingredients in 100 classes; half the rules contraindications,
    four tenths interactions, one tenth limits."""
    out = [
        "schema_version = 1",
        '[pack]\nname = "bench-pack"\nversion = "1"\nlicence = "CC0-1.0"',
        '[[sources]]\nid = "bench_source"\ntitle = "t"\nissuer = "i"\ndate = "2026"\n'
        'kind = "expert_opinion"',
    ]
    for i in range(ingredients):
        out.append(
            f'[[ingredients]]\nid = "bench_{i}"\nname = "Bench {i}"\n'
            f'classes = ["bench_class_{i % 100}"]\naliases = ["BenchBrand{i}"]\n'
            'sources = ["bench_source"]'
        )
    common = 'severity = "minor"\nevidence = "expert_opinion"\nsources = ["bench_source"]\n'
    for r in range(rules):
        a, b = r % ingredients, (r * 7 + 1) % ingredients
        kind = r % 10
        if kind < 5:
            out.append(
                f'[[contraindications]]\nid = "bench_ci_{r}"\ncode = "MR-BENCH-CI"\n'
                f'fact = "condition"\nvalue = "cancer"\ningredients = ["bench_{a}"]\n{common}'
                'message = "m"\nadvice = "a"'
            )
        elif kind < 9:
            out.append(
                f'[[interactions]]\nid = "bench_ix_{r}"\ncode = "MR-BENCH-IX"\n'
                f'ingredients = ["bench_{a}"]\nwith_ingredients = ["bench_{b}"]\n{common}'
                'message = "m"\nadvice = "a"'
            )
        else:
            out.append(
                f'[[limits]]\nid = "bench_lim_{r}"\ncode = "MR-BENCH-LIM"\n'
                f'ingredient = "bench_{a}"\nkind = "max_session_amount"\n'
                f'maximum = "{1000 + r} mg"\n{common}advice = "a"'
            )
    return "\n\n".join(out) + "\n"


def best(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    """Best time of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--ingredients", type=int, default=10_000)
    parser.add_argument("--rules", type=int, default=100_000)
    args = parser.parse_args()

    import mesoreg
    from mesoreg.host._plugins import PackPlugin
    from mesoreg.knowledge._catalog import build_catalog
    from mesoreg.knowledge._pack import load_core_pack, parse_pack_document
    from mesoreg.testing import make_registry

    rows: list[tuple[str, float, float, str]] = []
    exe = shutil.which("mesoreg") or "mesoreg"
    check = [exe, "check", str(EXAMPLE), "--patient", str(PATIENT)]
    version, bare, plugged = median_runs(
        [[exe, "--version"], [exe, "--no-plugins", *check[1:]], check], args.repeat
    )
    rows.append(("cold mesoreg check, installed plugins / --no-plugins", plugged, bare, "small"))
    rows.append(("cold mesoreg --version / cold check --no-plugins", version, bare, "-"))

    text = generate_pack(args.ingredients, args.rules)
    path = Path(tempfile.mkdtemp()) / "bench-pack.toml"
    path.write_text(text)
    parse = best(lambda: tomli.loads(text), 3)
    core = load_core_pack()
    load = best(lambda: build_catalog([core, parse_pack_document(text, str(path))]), 3)
    rows.append(
        (
            f"load {args.ingredients} ingredients + {args.rules} rules / parse TOML",
            load,
            parse,
            "2x",
        )
    )

    small = make_registry()
    big = make_registry([PackPlugin(parse_pack_document(text, str(path)))])
    formulation = mesoreg.load_formulation(EXAMPLE)
    patient = mesoreg.load_patient(PATIENT)
    for registry in (small, big):
        mesoreg.check(formulation, patient, registry=registry)  # warm: catalog built once

    def per_check(registry):  # type: ignore[no-untyped-def]
        return (
            best(
                lambda: [mesoreg.check(formulation, patient, registry=registry) for _ in range(50)],
                args.repeat,
            )
            / 50
        )

    small_t, big_t = per_check(small), per_check(big)
    rows.append(("one check, big catalog / built-in catalog", big_t, small_t, "1.2x"))

    print(f"{'measure':<62} {'ours':>11} {'floor':>11} {'ratio':>7} {'goal':>6}")
    for name, ours, floor, goal in rows:
        print(
            f"{name:<62} {ours * 1e3:>9.2f}ms {floor * 1e3:>9.2f}ms {ours / floor:>6.2f}x {goal:>6}"
        )


if __name__ == "__main__":
    main()
