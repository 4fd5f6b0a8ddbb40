"""Benchmark: every figure of issue 12 ("Performance v2") as a ratio against its floor.

Prints ONE table (figure, measured ratio, goal, met, and the two times behind the ratio).
Every row is a median of interleaved rounds: in each round every measurement of a group
runs once, so drift (another process, CPU frequency, page cache) hits numerator and floor
alike.  Floors are measured in the same run on the same machine.

Figures (numbers as in issue 12):

1.  ``mesoreg.check(path, patient)``, patient already loaded, default registry already
    built / ``tomllib.loads`` of the same formulation text (goal <= 1.0);
2.  the same, passing the patient's path (loaded each time) / the same floor (<= 1.5);
3.  cold ``mesoreg check F --patient P`` / cold ``check-jsonschema --schemafile
    schemas/formulation-1.schema.json F`` (<= 0.4): F unchanged between runs, so mesoreg
    replays its recorded output; 3' shows the same with F saved again before each run (nothing
    can be replayed), for information;
4.  cold ``mesoreg --version`` / ``python -c pass`` (<= 3);
5.  cold ``mesoreg plugins list`` / ``python -c pass`` (<= 10);
6.  cold ``mesoreg recheck --store S`` of N approved versions (10,000; --quick 1,000) /
    reading and ``tomllib.loads`` of the same version files in one process: first run on a
    fresh copy of the store with an empty ``XDG_CACHE_HOME`` (<= 1.0), then the same command
    again with nothing changed (<= 0.5);
7.  cold ``mesoreg verify --store S`` of the same store / the same floor (<= 1.0);
8.  in-process check of one syringe of 200 distinct ingredients / of 10 (<= 30); the
    catalog has about 40 ingredients, so both use a generated pack of 200 ingredients (each
    with a source) and 400 rules, given as a ``Pack`` through
    ``mesoreg.testing.make_registry([PackPlugin(pack)])``;
9.  cold ``mesoreg --pack big.toml check F --patient P`` / cold ``mesoreg check F --patient P``
    (<= 2), F saved again before each run (nothing replayed).  Issue 12 measured 10,000
    ingredients and 100,000 rules; ``mesoreg.knowledge._pack`` now refuses packs over
    ``MAX_PACK_BYTES`` (8 MiB) or ``MAX_PACK_RECORDS`` (20,000), so the row uses the
    largest pack of the same shape (1 ingredient : 10 rules) the limits allow, and a second
    row times the refusal of the 110,001-record pack;
10. in-process ``mesoreg.publish`` of the 100th version of one id / of the first version of
    an id in an empty store (<= 1.5); each round publishes into a fresh copy of the store.

Run: python benchmarks/bench_perf.py [--quick] [--repeat N] [--only 1,3,9]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path

from _timing import ROOT, environ, median_calls, median_runs, run_once

EXAMPLE = ROOT / "formulations" / "cellulite-thighs" / "v1.toml"
PATIENT = ROOT / "examples" / "patients" / "anna.toml"
SCHEMA = ROOT / "schemas" / "formulation-1.schema.json"

#: (figure, ours in seconds, floor in seconds, goal as a ratio or None, note)
Row = tuple[str, float, float, float | None, str]


def _exe(name: str) -> str:
    """The console script next to this interpreter (the venv's), else on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        sys.exit(f"{name} not found: pip install '.[bench]' into this environment")
    return found


def _expect(cmd: list[str], codes: set[int], env: dict[str, str] | None = None) -> str:
    """Run ``cmd`` once and fail loudly unless it exits with one of ``codes``: a timing of a
    command that fails for the wrong reason would be meaningless.  Returns its output."""
    import subprocess

    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env, check=False)
    if done.returncode not in codes:
        sys.exit(
            f"{' '.join(cmd)} exited {done.returncode}, expected {sorted(codes)}:\n"
            f"{done.stderr[-2000:]}"
        )
    return done.stdout + done.stderr


# -- 1, 2: in-process check ---------------------------------------------------------------


def in_process(args: argparse.Namespace) -> list[Row]:
    import mesoreg

    text = EXAMPLE.read_text(encoding="utf-8")
    patient = mesoreg.load_patient(PATIENT)
    mesoreg.check(EXAMPLE, patient)  # builds the default registry once, as a server would
    # 1' and 2': a file that changed since the last check (as a pharmacist types), so that
    # nothing read from it can be reused: more variants than mesoreg keeps in its memos
    tmp = Path(tempfile.mkdtemp(prefix="mesoreg-bench-"))
    variants = []
    for i in range(500):
        variant = tmp / f"v{i}.toml"
        variant.write_text(text.replace('title = "', f'title = "{i} ', 1), encoding="utf-8")
        variants.append(variant)
    turn = iter(range(10**9))

    def changed() -> object:
        return mesoreg.check(variants[next(turn) % len(variants)], patient)

    parse, loaded, each_time, fresh = median_calls(
        [
            lambda: tomllib.loads(text),
            lambda: mesoreg.check(EXAMPLE, patient),
            lambda: mesoreg.check(EXAMPLE, PATIENT),
            changed,
        ],
        args.repeat * 3,
        number=30 if args.quick else 200,
    )
    shutil.rmtree(tmp)
    return [
        ("1  check(path, patient) / tomllib.loads", loaded, parse, 1.0, "file unchanged"),
        ("1' the same, a changed file each call / tomllib.loads", fresh, parse, None, "no reuse"),
        ("2  check(path, patient path) / tomllib.loads", each_time, parse, 1.5, ""),
    ]


# -- 3, 4, 5, 9: cold processes -----------------------------------------------------------


def pack_shape(records: int) -> tuple[int, int]:
    """Ingredients and rules (1 : 10, as issue 12's 10,000 : 100,000) filling ``records``
    records with the one source."""
    ingredients = (records - 1) // 11
    return ingredients, records - 1 - ingredients


def largest_pack(tmp: Path) -> tuple[Path, int, int]:
    """The largest generated pack both limits allow; returns its path and shape."""
    from bench_plugins import generate_pack

    from mesoreg.knowledge._pack import MAX_PACK_BYTES, MAX_PACK_RECORDS

    records = MAX_PACK_RECORDS
    while True:
        ingredients, rules = pack_shape(records)
        text = generate_pack(ingredients, rules)
        if len(text.encode()) <= MAX_PACK_BYTES:
            break
        records = int(records * MAX_PACK_BYTES / len(text.encode())) - 11
    path = tmp / "big.toml"
    path.write_text(text, encoding="utf-8")
    return path, ingredients, rules


def cold(args: argparse.Namespace, tmp: Path, figures: set[int]) -> list[Row]:
    """Rows 3, 4, 5 and 9.  Row 3 runs the same command on an unchanged file, as a script
    or an editor's check-on-save of an unchanged file does: it is replayed
    (:mod:`mesoreg.command._replay`).  Rows 3' and 9 save the formulation (same bytes, new
    timestamps) before every run, so that nothing can be replayed: the cost of a check
    whose file was just edited, and the cost a large pack adds to it."""
    from bench_plugins import generate_pack

    mesoreg = _exe("mesoreg")
    check = [mesoreg, "check", str(EXAMPLE), "--patient", str(PATIENT)]
    saved = tmp / "saved.toml"
    saved.write_bytes(EXAMPLE.read_bytes())
    fresh = [mesoreg, "check", str(saved), "--patient", str(PATIENT)]
    cjs = [_exe("check-jsonschema"), "--schemafile", str(SCHEMA), str(EXAMPLE)]
    cmds: dict[str, list[str]] = {
        "check": check,
        "pass": [sys.executable, "-c", "pass"],
    }
    edited: dict[str, list[str]] = {}
    rows: list[Row] = []
    if 3 in figures:
        cmds["cjs"] = cjs
        edited.update(fresh=fresh, cjs=cjs)
    if 4 in figures:
        cmds["version"] = [mesoreg, "--version"]
    if 5 in figures:
        cmds["plugins"] = [mesoreg, "plugins", "list"]
    if 9 in figures:
        big, ingredients, rules = largest_pack(tmp)
        huge = tmp / "huge.toml"
        huge.write_text(generate_pack(10_000, 100_000), encoding="utf-8")
        edited["fresh"] = fresh
        edited["big"] = [mesoreg, "--pack", str(big), *fresh[1:]]
        edited["huge"] = [mesoreg, "--pack", str(huge), *fresh[1:]]
    for name, cmd in {**cmds, **edited}.items():
        output = _expect(cmd, {0} if name in ("pass", "version", "plugins", "cjs") else {0, 1, 3})
        if name == "huge":  # refused: the report says the pack failed, with the limit's name
            refusal = next((ln for ln in output.splitlines() if "MAX_PACK" in ln), "")
            if not refusal:
                sys.exit(f"the 110,001-record pack was not refused by a limit:\n{output[-2000:]}")
            limit = re.search(r"MAX_PACK_\w+", refusal)
            refusal = f"refused by {limit.group() if limit else refusal[:60]}"
        elif name == "big" and "plugin failed" in output:
            sys.exit(f"the largest allowed pack failed:\n{output[-2000:]}")
    times = dict(zip(cmds, median_runs(list(cmds.values()), args.repeat), strict=True))
    if edited:

        def save() -> None:  # the same bytes, new timestamps: a replay is never possible
            saved.write_bytes(EXAMPLE.read_bytes())

        def timed(cmd: list[str]) -> Callable[[], object]:
            return lambda: run_once(cmd)

        calls = [timed(cmd) for cmd in edited.values()]
        after = dict(zip(edited, median_calls(calls, args.repeat, setup=save), strict=True))
    if 3 in figures:
        rows.append(("3  cold check / check-jsonschema", times["check"], times["cjs"], 0.4, ""))
        rows.append(
            (
                "3' cold check, file just saved / check-jsonschema",
                after["fresh"],
                after["cjs"],
                None,
                "nothing replayed",
            )
        )
    if 4 in figures:
        rows.append(("4  cold --version / python -c pass", times["version"], times["pass"], 3, ""))
    if 5 in figures:
        rows.append(
            ("5  cold plugins list / python -c pass", times["plugins"], times["pass"], 10, "")
        )
    if 9 in figures:
        size = big.stat().st_size / 2**20
        rows.append(
            (
                f"9  --pack ({ingredients:,} ingr., {rules:,} rules) / check",
                after["big"],
                after["fresh"],
                2,
                f"file just saved (nothing replayed); largest pack the limits allow "
                f"({size:.1f} MiB); issue 12's 110,001 records are refused",
            )
        )
        huge_mib = huge.stat().st_size / 2**20
        rows.append(
            (
                "9' --pack 110,001 records (refused) / check",
                after["huge"],
                after["fresh"],
                None,
                f"{huge_mib:.1f} MiB; {refusal[:90]}",
            )
        )
    return rows


# -- 6, 7: a store of approved versions -----------------------------------------------------


def store_rows(args: argparse.Namespace, tmp: Path, figures: set[int]) -> list[Row]:
    from bench_recheck import build_store

    count = 1_000 if args.quick else 10_000
    pristine = tmp / "pristine" / "store"
    from mesoreg.host._registry import get_registry

    paths = build_store(pristine, count, get_registry())  # records today's verdicts
    relative = [p.relative_to(pristine) for p in paths]
    mesoreg = _exe("mesoreg")
    state: dict[str, Path] = {}
    rounds = [0]

    def fresh() -> None:
        """A fresh copy of the store and an empty cache directory, both untimed."""
        rounds[0] += 1
        root = tmp / f"round{rounds[0]}"
        if "root" in state:
            shutil.rmtree(state["root"].parent)
        shutil.copytree(pristine, root / "store")
        (root / "cache").mkdir()
        state["root"] = root / "store"
        os.sync()  # the copy's writeback would otherwise land on the first timed run

    def run(*cmd: str) -> Callable[[], object]:
        def go() -> float:
            env = environ(XDG_CACHE_HOME=str(state["root"].parent / "cache"))
            return run_once([mesoreg, *cmd, "--store", str(state["root"])], env)

        return go

    def floor() -> None:
        for path in relative:
            tomllib.loads((state["root"] / path).read_text(encoding="utf-8"))

    fresh()
    _expect([mesoreg, "verify", "--store", str(state["root"])], {0})
    # 3: some stored examples are "not validated" (an unchecked dose); no verdict may change
    output = _expect([mesoreg, "recheck", "--store", str(state["root"])], {0, 3})
    if f"rechecked {count} approved versions; 0 changed" not in output.replace(",", ""):
        sys.exit(f"recheck of the generated store found changes:\n{output[:2000]}")
    fns: list[Callable[[], object]] = [floor]
    if 6 in figures:
        fns += [run("recheck"), run("recheck")]  # first run, then nothing changed
    if 7 in figures:
        fns.append(run("verify"))
    repeat = max(3, args.repeat // 2 + 1) if not args.quick else 3
    times = median_calls(fns, repeat, setup=fresh)
    shutil.rmtree(state["root"].parent)
    base, *rest = times
    rows: list[Row] = []
    note = f"{count:,} ids, {os.cpu_count()} cores"
    if 6 in figures:
        first, again, *rest = rest
        rows.append((f"6  recheck {count:,} (first run) / read+loads", first, base, 1.0, note))
        rows.append((f"6' recheck {count:,} (unchanged) / read+loads", again, base, 0.5, note))
    if 7 in figures:
        rows.append((f"7  verify {count:,} ids / read+loads", rest[0], base, 1.0, note))
    return rows


# -- 8: many ingredients in one syringe ---------------------------------------------------


def many_ingredients(args: argparse.Namespace, tmp: Path) -> list[Row]:
    from bench_plugins import generate_pack

    import mesoreg
    from mesoreg.host._plugins import PackPlugin
    from mesoreg.knowledge._pack import parse_pack_document
    from mesoreg.testing import DEFAULT_DATE, HEALTHY, formulation, make_registry, patient

    path = tmp / "ingredients.toml"
    path.write_text(generate_pack(200, 400), encoding="utf-8")
    registry = make_registry([PackPlugin(parse_pack_document(path.read_text(), str(path)))])
    who = patient(HEALTHY)

    def syringe(n: int) -> object:
        return formulation([(f"bench_{i}", "1 mg/mL", "0.01 mL") for i in range(n)])

    small, big = syringe(10), syringe(200)
    for f in (small, big):  # warm; fails loudly if the generated ingredients are refused
        mesoreg.check(f, who, registry=registry, date=DEFAULT_DATE)
    # the work of checking, not a reused report: the same models are checked every round
    os.environ["MESOREG_CACHE"] = "0"
    try:
        ten, two_hundred = median_calls(
            [
                lambda: mesoreg.check(small, who, registry=registry, date=DEFAULT_DATE),
                lambda: mesoreg.check(big, who, registry=registry, date=DEFAULT_DATE),
            ],
            args.repeat,
            number=1 if args.quick else 3,
        )
    finally:
        del os.environ["MESOREG_CACHE"]
    return [("8  check 200 ingredients / 10 ingredients", two_hundred, ten, 30, "")]


# -- 10: publishing the 100th version ----------------------------------------------------------


def publish_rows(args: argparse.Namespace, tmp: Path) -> list[Row]:
    import mesoreg
    from mesoreg.host._registry import get_registry

    registry = get_registry()
    source = mesoreg.load_formulation(EXAMPLE)
    pristine = tmp / "publish-pristine"
    store = mesoreg.Store(pristine)
    for _ in range(99):
        mesoreg.publish(source, store, author="bench", registry=registry)
    assert store.ledger(source.id).latest == 99
    state: dict[str, Path] = {}
    rounds = [0]

    def fresh() -> None:
        rounds[0] += 1
        root = tmp / f"publish{rounds[0]}"
        if "root" in state:
            shutil.rmtree(state["root"])
        shutil.copytree(pristine, root / "deep")
        (root / "empty").mkdir()
        state["root"] = root

    def first() -> None:
        entry = mesoreg.publish(
            source, mesoreg.Store(state["root"] / "empty"), author="bench", registry=registry
        )
        assert entry.version == 1

    def hundredth() -> None:
        entry = mesoreg.publish(
            source, mesoreg.Store(state["root"] / "deep"), author="bench", registry=registry
        )
        assert entry.version == 100

    one, hundred = median_calls([first, hundredth], args.repeat * 2 + 1, setup=fresh)
    return [("10 publish 100th version / 1st version", hundred, one, 1.5, "")]


# -- table ---------------------------------------------------------------------------------------


def print_table(rows: list[Row]) -> None:
    print(f"{'figure':<52} {'ratio':>7} {'goal':>6} {'met':>4} {'ours':>10} {'floor':>10}  note")
    for figure, ours, floor, goal, note in rows:
        ratio = ours / floor
        goal_text = f"<={goal:g}" if goal is not None else "-"
        met = "-" if goal is None else ("yes" if ratio <= goal else "no")
        print(
            f"{figure:<52} {ratio:>6.2f}x {goal_text:>6} {met:>4} "
            f"{_ms(ours):>10} {_ms(floor):>10}  {note}"
        )


def _figure(row: Row) -> int:
    """The issue's figure number that a row measures."""
    return int(row[0].split()[0].rstrip("'"))


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f}ms" if seconds < 0.01 else f"{seconds * 1e3:.0f}ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, smaller store")
    parser.add_argument("--repeat", type=int, help="rounds (default 3 quick, 9 full)")
    parser.add_argument("--only", help="comma-separated figure numbers, e.g. 1,3,9")
    args = parser.parse_args()
    if args.repeat is None:
        args.repeat = 3 if args.quick else 9
    figures = {int(f) for f in args.only.split(",")} if args.only else set(range(1, 11))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="mesoreg-bench-") as name:
        tmp = Path(name)
        if figures & {1, 2}:
            rows += [r for r in in_process(args) if _figure(r) in figures]
        if figures & {3, 4, 5, 9}:
            rows += cold(args, tmp, figures)
        if figures & {6, 7}:
            rows += store_rows(args, tmp, figures)
        if 8 in figures:
            rows += many_ingredients(args, tmp)
        if 10 in figures:
            rows += publish_rows(args, tmp)
    rows.sort(key=_figure)  # stable: a figure's rows keep their order
    print_table(rows)


if __name__ == "__main__":
    main()
