"""Reading formulation and patient files: every problem, one line each, naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FORMULATIONS, PATIENTS

from mesoreg import InputError, load_formulation, load_patient

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
        "use.points: must be 1 or more (got 0). "
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
        'schema_version = 1\nage = "40"\npregnant = "no"\nsex = "f"\n',
        [
            "age: must be an integer (got '40')",
            "sex: must be one of female, male, other (got 'f')",
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
