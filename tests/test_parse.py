"""Data held in memory: TOML text, dicts and models built in code, read like files."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mesoreg
from mesoreg import Formulation, Patient
from mesoreg.documents._convert import unstructure
from mesoreg.documents._parse import as_formulation, as_patient
from mesoreg.testing import DEFAULT_DATE

ROOT = Path(__file__).resolve().parent.parent
LIPO = ROOT / "formulations" / "lipo-abdomen" / "v1.toml"
ANNA = ROOT / "examples" / "patients" / "anna.toml"
BAD_FORMULATION = """
schema_version = 1
id = "bad"
version = 1
title = "bad"
[use]
area = "face"
technique = "nappage"
depth = "2 mm"
[[preparations]]
name = "s"
per_session = 1
[[preparations.components]]
ingredient = "lidocane"
strength = "2 %"
volume = "5 xL"
"""


def _errors(call: Any) -> list[str]:
    with pytest.raises(mesoreg.InputError) as info:
        call()
    return [str(p) for p in info.value.problems]


def _without_origin(lines: list[str], origin: str) -> list[str]:
    return [line.removeprefix(f"{origin}: ") for line in lines]


# -- parse_formulation / parse_patient: the same models and errors as files -------------------


def test_text_and_dict_give_the_model_a_file_gives() -> None:
    from_file = mesoreg.load_formulation(LIPO)
    text = LIPO.read_text(encoding="utf-8")
    assert mesoreg.parse_formulation(text) == from_file
    assert mesoreg.parse_formulation(tomllib.loads(text)) == from_file
    assert mesoreg.parse_patient(ANNA.read_text(encoding="utf-8")) == mesoreg.load_patient(ANNA)


def test_origin_names_the_data_in_messages_and_the_model() -> None:
    parsed = mesoreg.parse_patient({"schema_version": 1}, origin="crm:record 42")
    assert parsed.origin == "crm:record 42"
    assert mesoreg.parse_patient({"schema_version": 1}).origin == "<patient>"
    assert _errors(lambda: mesoreg.parse_patient({"schema_version": 1, "sex": "y"}, origin="x"))[
        0
    ].startswith("x: sex: ")


@pytest.mark.parametrize("kind", ["text", "dict"])
def test_errors_and_key_paths_are_those_of_a_file(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(BAD_FORMULATION, encoding="utf-8")
    from_file = _without_origin(_errors(lambda: mesoreg.load_formulation(path)), str(path))
    source: Any = BAD_FORMULATION if kind == "text" else tomllib.loads(BAD_FORMULATION)
    in_memory = _without_origin(_errors(lambda: mesoreg.parse_formulation(source)), "<formulation>")
    assert (
        in_memory
        == from_file
        == [
            "preparations[0].components[0].volume: unknown unit 'xL' in '5 xL'; use mg, mcg, g, "
            "mL, %, mg/mL, mg/kg, [iU], [USP'U] or a ratio like 1:100000"
        ]
    )


def test_a_str_given_to_parse_is_always_text_never_a_path() -> None:
    lines = _errors(lambda: mesoreg.parse_formulation(str(LIPO)))
    assert lines[0].startswith("<formulation>: not valid TOML: ")


def test_schema_version_and_limits_hold_for_dicts() -> None:
    assert _errors(lambda: mesoreg.parse_patient({"schema_version": 9})) == [
        "<patient>: schema_version: patient schema version 9 is not supported (supported: 1). "
        "Upgrade mesoreg to read newer files."
    ]
    deep: dict[str, Any] = {}
    inner = deep
    for _ in range(40):
        inner["x"] = {}
        inner = inner["x"]
    lines = _errors(lambda: mesoreg.parse_patient({"schema_version": 1, "id": deep}))
    assert "nested more than 20 levels deep" in lines[0]


def test_a_dict_with_a_key_that_is_not_a_string() -> None:
    assert _errors(lambda: mesoreg.parse_patient({"schema_version": 1, 3: "x"})) == [
        "<patient>: keys must be strings, as in TOML (got 3)"
    ]


def test_a_cyclic_dict_is_refused_cleanly() -> None:
    data: dict[str, Any] = {"schema_version": 1}
    data["id"] = data
    lines = _errors(lambda: mesoreg.parse_patient(data))
    assert "nested more than 20 levels deep" in lines[0]


def test_neither_text_nor_dict() -> None:
    assert _errors(lambda: mesoreg.parse_patient(42)) == [  # type: ignore[arg-type]
        "<patient>: a patient must be given as TOML text or a dict (got int). "
        "Use mesoreg.load_patient(path) for a file."
    ]


# -- check(): models, dicts and paths ----------------------------------------------------------


def _verdicts(formulation: Any, patient: Any) -> tuple[str, list[str]]:
    report = mesoreg.check(formulation, patient, date=DEFAULT_DATE)
    return str(report.verdict), sorted(f.code for f in report.findings)


def test_check_takes_models_dicts_and_paths_alike() -> None:
    text = LIPO.read_text(encoding="utf-8")
    expected = _verdicts(LIPO, ANNA)
    assert _verdicts(str(LIPO), str(ANNA)) == expected
    assert _verdicts(tomllib.loads(text), tomllib.loads(ANNA.read_text("utf-8"))) == expected
    assert _verdicts(mesoreg.parse_formulation(text), mesoreg.load_patient(ANNA)) == expected


def test_a_str_given_to_check_is_always_a_path() -> None:
    text = LIPO.read_text(encoding="utf-8")
    lines = _errors(lambda: mesoreg.check(text))
    assert len(lines) == 1
    assert lines[0].startswith("'#:schema ../../schemas/formulation-1.sch...': file not found")
    assert lines[0].endswith(
        "A str is a path; to check TOML text, pass mesoreg.parse_formulation(text)."
    )


def test_a_missing_file_says_file_not_found() -> None:
    assert _errors(lambda: mesoreg.check("no/such/file.toml")) == [
        "no/such/file.toml: file not found; check the path"
    ]
    assert _errors(lambda: mesoreg.check(LIPO, Path("no/such/patient.toml"))) == [
        "no/such/patient.toml: file not found; check the path"
    ]


def test_a_dict_gets_every_problem_at_once_with_unknown_names() -> None:
    lines = _errors(lambda: mesoreg.check(tomllib.loads(BAD_FORMULATION)))
    assert lines == [
        "<formulation>: preparations[0].components[0].volume: unknown unit 'xL' in '5 xL'; "
        "use mg, mcg, g, mL, %, mg/mL, mg/kg, [iU], [USP'U] or a ratio like 1:100000",
        "<formulation>: preparations[0].components[0].ingredient: unknown ingredient "
        "'lidocane'. Did you mean 'lidocaine' (local anaesthetic)? Run 'mesoreg catalog "
        "search lidoc'.",
    ]


@pytest.mark.parametrize("value", [42, None, b"f.toml", ["f.toml"]])
def test_anything_else_is_an_input_error(value: object) -> None:
    if value is None:  # no formulation at all
        lines = _errors(lambda: mesoreg.check(value))  # type: ignore[arg-type]
    else:
        lines = _errors(lambda: mesoreg.check(LIPO, value))  # type: ignore[arg-type]
    name = "formulation" if value is None else "patient"
    assert lines == [
        f"{name}: must be a {name.capitalize()}, a dict or the path of a TOML file "
        f"(got {type(value).__name__}). For TOML text, use mesoreg.parse_{name}(text)."
    ]


# -- models built in code ----------------------------------------------------------------------


def test_a_model_built_with_nested_dicts_is_read_like_a_file() -> None:
    data = tomllib.loads(LIPO.read_text(encoding="utf-8"))
    built = Formulation(**data)
    assert isinstance(built.use, dict)  # attrs checks no types
    assert as_formulation(built) == mesoreg.load_formulation(LIPO)
    assert _verdicts(built, ANNA) == _verdicts(LIPO, ANNA)


def test_a_patient_built_with_bad_values_gives_input_errors_not_attribute_errors() -> None:
    bad = Patient(schema_version=1, sex="femal", weight="60 kgs")  # type: ignore[arg-type]
    assert _errors(lambda: mesoreg.check(LIPO, bad)) == [
        "<patient>: sex: unknown value 'femal'. Did you mean 'female' or 'male'?",
        "<patient>: weight: unknown unit 'kgs' in '60 kgs'; use mg, mcg, g, mL, %, mg/mL, "
        "mg/kg, [iU], [USP'U] or a ratio like 1:100000",
    ]


def test_a_patient_built_with_strings_a_file_could_hold_is_read_like_a_file() -> None:
    built = Patient(schema_version=1, sex="female", weight="60kg")  # type: ignore[arg-type]
    read = as_patient(built)
    assert read == mesoreg.parse_patient({"schema_version": 1, "sex": "female", "weight": "60kg"})
    assert read.sex is mesoreg.Sex.FEMALE
    assert read.origin is None  # where it came from is kept as it was


def test_a_model_built_in_code_keeps_its_origin_in_messages() -> None:
    bad = attrs.evolve(mesoreg.load_patient(ANNA), age="40")
    assert _errors(lambda: as_patient(bad)) == [f"{ANNA}: age: must be an integer (got '40')"]


@pytest.mark.parametrize(
    "path",
    sorted([*ROOT.glob("formulations/*/v*.toml"), *ROOT.glob("examples/patients/*.toml")]),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_an_exactly_typed_model_is_used_as_it_is(path: Path) -> None:
    """Every model a file gives passes the type test, so check() reads it no second time."""
    kind = "patients" in path.parts
    loaded = mesoreg.load_patient(path) if kind else mesoreg.load_formulation(path)
    assert (as_patient(loaded) if kind else as_formulation(loaded)) is loaded


def test_a_model_of_an_unsupported_schema_version_is_refused() -> None:
    bad = attrs.evolve(mesoreg.load_patient(ANNA), schema_version=2)
    assert _errors(lambda: as_patient(bad))[0].endswith(
        "schema_version: patient schema version 2 is not supported (supported: 1). "
        "Upgrade mesoreg to read newer files."
    )


def test_a_model_built_in_code_is_held_to_the_number_checks() -> None:
    nan = attrs.evolve(mesoreg.load_patient(ANNA), weight=mesoreg.parse_quantity("500 kg"))
    lines = _errors(lambda: mesoreg.check(LIPO, nan))
    assert any("weight: '500 kg' is outside 1 to 300 kg" in line for line in lines)


def test_a_date_time_is_not_a_date_in_a_model_either() -> None:
    bad = attrs.evolve(
        mesoreg.load_patient(ANNA),
        birth_date=dt.datetime(1985, 4, 12, tzinfo=dt.UTC),  # type: ignore[arg-type]
    )
    assert _errors(lambda: as_patient(bad))[0].endswith(
        "birth_date: must be a TOML date like 2026-11-22, without quotes "
        "(got datetime.datetime(1985, 4, 12, 0, 0, tzinfo=datetime.timezone.utc))"
    )


_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=8),
    st.lists(st.text(max_size=4), max_size=2),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


@given(field=st.sampled_from([f.name for f in attrs.fields(Patient) if f.name != "origin"]),
       value=_values)  # fmt: skip
def test_any_value_in_a_patient_built_in_code_is_read_or_refused_cleanly(
    field: str, value: object
) -> None:
    built = attrs.evolve(mesoreg.load_patient(ANNA), **{field: value})
    try:
        read = as_patient(built)
    except mesoreg.InputError as exc:
        assert all(p.key_path.startswith(field) or not p.key_path for p in exc.problems)
    else:
        assert unstructure(read)  # a well-formed model, as a file would give
