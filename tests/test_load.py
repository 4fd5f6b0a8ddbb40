"""Reading formulation and patient files: every problem, one line each, naming the file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import FORMULATIONS, PATIENTS, ROOT

from mesoreg import InputError, Verdict, load_formulation, load_patient
from mesoreg.documents._load import (
    MAX_ARRAY_ITEMS,
    MAX_COMPONENTS,
    MAX_FILE_BYTES,
    MAX_NESTING_DEPTH,
    check_shape,
    read_bytes,
)
from mesoreg.knowledge._pack import MAX_PACK_BYTES, MAX_PACK_RECORDS, load_pack_document

BASE = """\
schema_version = 1
id = "x"
version = 1
title = "t"
date = 2026-11-01

[use]
area = "face"
technique = "nappage"

[[preparations]]
name = "syringe"
per_session = 1

[[preparations.components]]
ingredient = "lidocaine"
strength = "1 %"
volume = "1 mL"
"""


def write(tmp_path: Path, text: str, name: str = "f.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(path: Path, loader=load_formulation) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError) as info:
        loader(path)
    return str(info.value)


def test_base_loads_and_records_origin(tmp_path: Path) -> None:
    path = write(tmp_path, BASE)
    formulation = load_formulation(path)
    assert formulation.origin == str(path)
    assert formulation.preparations[0].components[0].strength.value == 10.0


@pytest.mark.parametrize("path", FORMULATIONS, ids=lambda p: p.parent.name)
def test_shipped_formulations_load(path: Path) -> None:
    assert load_formulation(path).id == path.parent.name


@pytest.mark.parametrize("path", sorted(PATIENTS.glob("*.toml")), ids=lambda p: p.name)
def test_shipped_patients_load(path: Path) -> None:
    assert load_patient(path).id == path.stem


# (change to BASE, whole message after "<file>: ")
FORMULATION_ERRORS = [
    (
        ('title = "t"', 'title = "t\n'),
        "not valid TOML: Illegal character '\\n' (at line 4, column 11). "
        "Fix the syntax at that line.",
    ),
    (
        ('title = "t"', 'title = "t"\ntitel = "u"'),
        "titel: unknown key 'titel'. Did you mean 'title'?",
    ),
    (
        ("\nversion = 1", '\nversion = "1"'),
        "version: must be an integer (got '1')",
    ),
    (
        ('volume = "1 mL"', "volume = 1"),
        "preparations[0].components[0].volume: must be a quantity with its unit, "
        "as a string like '5 mL' (got 1)",
    ),
    (
        ("date = 2026-11-01", 'date = "2026-11-01"'),
        "date: must be a TOML date like 2026-11-22, without quotes (got '2026-11-01')",
    ),
    (
        ("schema_version = 1", "schema_version = 2"),
        "schema_version: formulation schema version 2 is not supported "
        "(supported: 0, 1). "
        "Upgrade mesoreg to read newer files.",
    ),
    (
        ("schema_version = 1\n", ""),
        "schema_version: required key is missing. Add 'schema_version = 1' at the top.",
    ),
    (
        ("schema_version = 1", "schema_version = true"),
        "schema_version: must be an integer (got True)",
    ),
    (
        ("per_session = 1", "per_session = nan"),
        "preparations[0].per_session: must be a finite number (got nan). "
        "Give how many of this preparation one session uses, e.g. 1 or 2.",
    ),
    (
        ("per_session = 1", "per_session = inf"),
        "preparations[0].per_session: must be a finite number (got inf). "
        "Give how many of this preparation one session uses, e.g. 1 or 2.",
    ),
    (
        ("per_session = 1", "per_session = 0"),
        "preparations[0].per_session: must be more than 0 (got 0). "
        "Give how many of this preparation one session uses, e.g. 1 or 2.",
    ),
    (
        ('technique = "nappage"', 'technique = "nappage"\npoints = 0'),
        "use.points: must be from 1 to 10,000 (got 0). "
        "Give the number of injection points in one session, or leave points out.",
    ),
    (
        ('technique = "nappage"', 'technique = "nappage"\nvolume_per_point = "5 mg"'),
        "use.volume_per_point: must be a volume like '2 mL' (got '5 mg', a mass)",
    ),
    (
        ('strength = "1 %"', 'strength = "1000 %"'),
        "preparations[0].components[0].strength: '1000 %' is 10000 mg/mL, more than 100 % w/v "
        "(1000 mg/mL, a gram of substance in each millilitre). "
        "Check the number and the unit ('%' means grams per 100 mL).",
    ),
]


@pytest.mark.parametrize(
    ("change", "message"), FORMULATION_ERRORS, ids=[e[1][:30] for e in FORMULATION_ERRORS]
)
def test_formulation_errors(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    assert change[0] in BASE
    path = write(tmp_path, BASE.replace(*change, 1))
    assert load_error(path) == f"{path}: {message}"


def test_missing_required_key(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace('title = "t"\n', ""))
    assert load_error(path) == f"{path}: title: required key is missing"


def test_several_problems_at_once(tmp_path: Path) -> None:
    text = (
        BASE.replace("\nversion = 1", '\nversion = "1"')
        .replace('technique = "nappage"', 'technique = "nappage"\ndeph = "2 mm"')
        .replace('volume = "1 mL"', "volume = 1")
        .replace("date = 2026-11-01", 'date = "2026-11-01"')
    )
    path = write(tmp_path, text)
    assert load_error(path).splitlines() == [
        f"{path}: version: must be an integer (got '1')",
        f"{path}: use.deph: unknown key 'deph'. Did you mean 'depth'?",
        f"{path}: preparations[0].components[0].volume: must be a quantity with its unit, "
        "as a string like '5 mL' (got 1)",
        f"{path}: date: must be a TOML date like 2026-11-22, without quotes (got '2026-11-01')",
    ]


def test_problems_carry_the_path(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("\nversion = 1", '\nversion = "1"'))
    with pytest.raises(InputError) as info:
        load_formulation(path)
    assert info.value.path == str(path)
    assert {p.path for p in info.value.problems} == {str(path)}
    assert isinstance(info.value, ValueError)


def test_file_not_found(tmp_path: Path) -> None:
    path = tmp_path / "missing.toml"
    assert load_error(path) == f"{path}: file not found; check the path"


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('title = "café"'.encode("latin-1"))
    assert load_error(path).startswith(f"{path}: cannot read file: 'utf-8' codec can't decode")


PATIENT_ERRORS = [
    (
        'schema_version = 1\nbirth_date = "1985-04-12"\n',
        ["birth_date: must be a TOML date like 2026-11-22, without quotes (got '1985-04-12')"],
    ),
    (
        "schema_version = 1\nweight = 62\n",
        ["weight: must be a quantity with its unit, as a string like '5 mL' (got 62)"],
    ),
    (
        'schema_version = 1\nage = "40"\npregnant = "no"\nsex = "x"\n',
        [
            "age: must be an integer (got '40')",
            "sex: must be one of female, male, other (got 'x')",
            "pregnant: must be true or false (got 'no')",
        ],
    ),
    (
        'schema_version = 1\nmedications = [{ name = "x", last_dose = "2020-01-01" }]\n',
        [
            "medications[0].last_dose: must be a TOML date like 2026-11-22, without quotes "
            "(got '2020-01-01')"
        ],
    ),
    (
        'schema_version = 1\nmedication = ["warfarin"]\n',
        ["medication: unknown key 'medication'. Did you mean 'medications'?"],
    ),
    (
        'schema_version = 1\nweight = "0 kg"\nage = 200\n',
        [
            "age: must be from 0 to 130 years (got 200). "
            "Give the age in whole years, or the birth_date instead.",
            "weight: must be more than 0 (got '0 kg'). Write a weight like '70 kg'.",
        ],
    ),
    (
        'schema_version = 1\nweight = "400 kg"\nsex = "male"\npregnant = true\n',
        [
            "weight: '400 kg' is outside 1 to 300 kg, not a plausible patient weight. "
            "Check the number and the unit; if it is right, leave weight out: "
            "per-kg limits are then reported as not checked.",
            "pregnant: is true but sex is 'male'. Correct one of them.",
        ],
    ),
    (
        "schema_version = 3\n",
        [
            "schema_version: patient schema version 3 is not supported (supported: 1). "
            "Upgrade mesoreg to read newer files."
        ],
    ),
]


@pytest.mark.parametrize(
    ("text", "lines"), PATIENT_ERRORS, ids=[e[1][0][:30] for e in PATIENT_ERRORS]
)
def test_patient_errors(tmp_path: Path, text: str, lines: list[str]) -> None:
    path = write(tmp_path, text, "p.toml")
    assert load_error(path, load_patient).splitlines() == [f"{path}: {line}" for line in lines]


# -- bounded work on hostile input ----------------------------------------------

REGULAR_ONLY = "give the path of a regular TOML file"


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)  # nobody ever writes to it: opening it for reading would block
    assert load_error(fifo) == f"{fifo}: cannot read a named pipe (FIFO); {REGULAR_ONLY}"


def test_a_device_is_refused() -> None:
    assert load_error(Path("/dev/zero")) == f"/dev/zero: cannot read a device; {REGULAR_ONLY}"


def test_a_symlink_to_a_device_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "zero.toml"
    link.symlink_to(os.devnull)
    assert load_error(link) == f"{link}: cannot read a device; {REGULAR_ONLY}"


def test_a_folder_is_refused(tmp_path: Path) -> None:
    assert load_error(tmp_path) == f"{tmp_path}: cannot read a folder; {REGULAR_ONLY}"


def test_an_oversized_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, BASE + "#" * MAX_FILE_BYTES + "\n")
    assert load_error(path) == (
        f"{path}: file is larger than {MAX_FILE_BYTES:,} bytes, the most mesoreg reads "
        "(mesoreg.documents._load.MAX_FILE_BYTES). Check that this is the file you meant, "
        "or split it into smaller files."
    )


def test_a_file_at_the_size_limit_is_read(tmp_path: Path) -> None:
    padding = MAX_FILE_BYTES - len(BASE.encode()) - 1
    path = write(tmp_path, BASE + "#" * padding + "\n")
    assert path.stat().st_size == MAX_FILE_BYTES
    assert load_formulation(path).id == "x"


def test_read_bytes_never_reads_past_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "big"
    path.write_bytes(b"x" * 100)
    with pytest.raises(InputError, match="larger than 10 bytes"):
        read_bytes(path, limit=10)
    assert read_bytes(path, limit=100) == b"x" * 100


TOO_DEEP = (
    f"tables and arrays are nested more than {MAX_NESTING_DEPTH} levels deep, the most "
    "mesoreg reads (mesoreg.documents._load.MAX_NESTING_DEPTH). No mesoreg file needs more than 7; "
    "flatten the data."
)


@pytest.mark.parametrize(
    ("nesting", "key_path"),
    [
        ("notes = " + "[" * 400 + "]" * 400, "notes" + "[0]" * (MAX_NESTING_DEPTH - 2)),
        ("notes = " + "[" * 5000 + "]" * 5000, ""),  # past tomli's own limit
        ("notes = " + "{a = " * 400 + "1" + "}" * 400, "notes" + ".a" * (MAX_NESTING_DEPTH - 2)),
        ("notes." + "a." * 2000 + "b = 1", None),
        ("[" + ".".join(["t"] * 400) + "]\nx = 1", "t" * 1 + ".t" * (MAX_NESTING_DEPTH - 2)),
    ],
    ids=["arrays-400", "arrays-5000", "inline-tables-400", "dotted-keys-2000", "table-header"],
)
def test_deep_nesting_is_an_input_error(tmp_path: Path, nesting: str, key_path: str | None) -> None:
    path = write(tmp_path, BASE.replace('title = "t"', f'title = "t"\n{nesting}'))
    message = load_error(path)
    if key_path is None:
        assert message.startswith(f"{path}: ") and message.endswith(TOO_DEEP)
    else:
        where = f"{key_path}: " if key_path else ""
        assert message == f"{path}: {where}{TOO_DEEP}"


def test_nesting_at_the_limit_is_only_the_usual_error(tmp_path: Path) -> None:
    depth = MAX_NESTING_DEPTH - 1  # the root table is one level
    path = write(
        tmp_path, BASE.replace('title = "t"', 'title = "t"\nnotes = ' + "[" * depth + "]" * depth)
    )
    assert "nested" not in load_error(path)


def test_too_many_items_in_an_array(tmp_path: Path) -> None:
    authors = ", ".join(['"a"'] * (MAX_ARRAY_ITEMS + 1))
    path = write(tmp_path, BASE.replace('title = "t"', f'title = "t"\nauthors = [{authors}]'))
    assert load_error(path) == (
        f"{path}: authors: has {MAX_ARRAY_ITEMS + 1:,} items; at most {MAX_ARRAY_ITEMS:,} are read "
        "(mesoreg.documents._load.MAX_ARRAY_ITEMS). Check that this is the file you meant; no real "
        "formulation or patient comes near."
    )


def test_too_many_components(tmp_path: Path) -> None:
    component = BASE[BASE.index("[[preparations.components]]") :]
    preparation = BASE[BASE.index("[[preparations]]") :]
    count = MAX_COMPONENTS // 2 + 1
    path = write(tmp_path, BASE + component * (count - 1) + preparation * count)
    assert load_error(path) == (
        f"{path}: preparations: has {count * 2:,} components in all; a formulation may have "
        f"at most {MAX_COMPONENTS:,}, co-ingredients included "
        "(mesoreg.documents._load.MAX_COMPONENTS). "
        "Check that this is the file you meant; no real formulation comes near."
    )


def test_check_shape_reports_every_problem_once() -> None:
    data = {"a": [1] * 5, "b": {"c": [[[[1]]]]}, "d": [2] * 3}
    problems = check_shape(data, max_depth=3, max_items=4)
    assert [(p.key_path, p.message.split(" ")[0]) for p in problems] == [
        ("a", "has"),
        ("b.c", "tables"),
    ]


# -- packs are read through the same bounded path, with their own limits ----------

PACK_HEAD = """\
schema_version = 1
[pack]
name = "hostile"
version = "1"
licence = "CC0-1.0"
[[sources]]
id = "hostile_source"
title = "A test source"
issuer = "Tests"
date = "2026"
kind = "expert_opinion"
"""


def test_a_deep_pack_is_a_named_pack_failure_not_a_broken_run(tmp_path: Path) -> None:
    from mesoreg.host._config import Settings
    from mesoreg.host._registry import Registry
    from mesoreg.testing import check_with, formulation

    path = write(tmp_path, PACK_HEAD + "note = " + "[" * 400 + "]" * 400 + "\n", "deep.toml")
    registry = Registry.from_settings(Settings(packs=(str(path),)))
    report = check_with(formulation([("pyridoxine", "100 mg/mL", "1 mL")]), registry=registry)
    (gap,) = [u for u in report.unchecked if u.rule == "deep"]
    assert "nested more than 20 levels deep" in gap.reason
    assert str(path) in gap.reason
    assert report.verdict is Verdict.NOT_VALIDATED
    assert "interactions" in report.checks  # every other check still ran


def test_an_oversized_pack_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, PACK_HEAD, "big.toml")
    with path.open("a") as handle:
        handle.write("#" * MAX_PACK_BYTES + "\n")
    with pytest.raises(InputError) as info:
        load_pack_document(path)
    assert str(info.value) == (
        f"{path}: file is larger than {MAX_PACK_BYTES:,} bytes, the most mesoreg reads "
        "(mesoreg.knowledge._pack.MAX_PACK_BYTES). Check that this is the file you meant, "
        "or split it into smaller files."
    )


def test_a_pack_with_too_many_records_is_refused(tmp_path: Path) -> None:
    count = MAX_PACK_RECORDS + 1
    drugs = f"drugs = [{', '.join(['{}'] * count)}]\n"
    path = write(tmp_path, PACK_HEAD.replace("[pack]", drugs + "[pack]"), "many.toml")
    with pytest.raises(InputError) as info:
        load_pack_document(path)
    assert str(info.value) == (
        f"{path}: pack has {count + 1:,} records; a pack may have at most "
        f"{MAX_PACK_RECORDS:,} (mesoreg.knowledge._pack.MAX_PACK_RECORDS). Split it into several "
        "packs, or check that this is the file you meant."
    )


def test_a_pack_fifo_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "pack.toml"
    os.mkfifo(fifo)
    with pytest.raises(InputError) as info:
        load_pack_document(fifo)
    assert str(info.value) == f"{fifo}: cannot read a named pipe (FIFO); {REGULAR_ONLY}"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "1" * 5000,
            "not valid TOML: Exceeds the limit (4300 digits) for integer string "
            "conversion. Shorten the number.",
        ),
        ("0x" + "f" * 5000, "version: integer does not fit in 64 bits, as TOML requires"),
        ("9223372036854775808", "version: integer does not fit in 64 bits, as TOML requires"),
    ],
    ids=["5000-digits", "5000-hex-digits", "2**63"],
)
def test_huge_integers_are_input_errors(tmp_path: Path, value: str, message: str) -> None:
    path = write(tmp_path, BASE.replace("\nversion = 1", f"\nversion = {value}"))
    assert load_error(path) == f"{path}: {message}"


# -- the memo of models read from files --------------------------------------------------


def test_a_file_read_again_unchanged_gives_the_same_model(tmp_path):
    from mesoreg.documents._load import load_formulation

    path = tmp_path / "f.toml"
    source = (ROOT / "formulations" / "face-revitalisation" / "v1.toml").read_text()
    path.write_text(source)
    first = load_formulation(path)
    assert load_formulation(path) is first
    path.write_text(source.replace('title = "', 'title = "Changed ', 1))
    changed = load_formulation(path)
    assert changed is not first and changed.title.startswith("Changed ")
    path.write_text(source)  # back to the first bytes: the same model again
    assert load_formulation(path) is first


def test_the_same_bytes_under_another_path_is_another_model(tmp_path):
    from mesoreg.documents._load import load_patient

    source = (ROOT / "examples" / "patients" / "anna.toml").read_bytes()
    (tmp_path / "a.toml").write_bytes(source)
    (tmp_path / "b.toml").write_bytes(source)
    a, b = load_patient(tmp_path / "a.toml"), load_patient(tmp_path / "b.toml")
    assert a == b and a is not b
    assert (a.origin, b.origin) == (str(tmp_path / "a.toml"), str(tmp_path / "b.toml"))


def test_a_bad_file_is_never_remembered(tmp_path):
    from mesoreg.documents._load import load_patient

    path = tmp_path / "p.toml"
    path.write_text("schema_version = 1\nage = -3\n")
    for _ in range(2):
        with pytest.raises(InputError):
            load_patient(path)


def test_no_memo_with_the_cache_off(tmp_path, monkeypatch):
    from mesoreg.documents._load import load_patient

    monkeypatch.setenv("MESOREG_CACHE", "0")
    path = ROOT / "examples" / "patients" / "anna.toml"
    assert load_patient(path) is not load_patient(path)
