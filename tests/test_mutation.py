"""Mutations of the shipped files: only documented errors, and no mutation turns FAIL into PASS.

Three properties, each over every shipped formulation, patient, pack and ledger:

* hostile mutations (any value replaced by junk, a key deleted or added) end either in a
  result or in a :class:`~mesoreg.MesoregError`, never in another exception;
* rewriting a value in another accepted spelling (case, spaces, separators, an alias,
  the order of components) changes no finding;
* adding facts about the patient (a known medication, condition or allergy) never removes a
  finding and never turns a failing verdict into a passing one.

CI runs a small seeded profile (conftest.py); ``HYPOTHESIS_PROFILE=fuzz`` runs thousands.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from conftest import FORMULATIONS, PATIENTS, ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mesoreg
from mesoreg import MesoregError, Verdict

DATE = dt.date(2026, 11, 22)
PATIENT_FILES = sorted(PATIENTS.glob("*.toml"))
PACK_FILES = sorted(ROOT.glob("plugins/*/mesoreg_*/*.toml"))
#: CI's quick seeded profile; HYPOTHESIS_PROFILE=fuzz runs a hundred times more
SCALE = 1 if os.environ.get("HYPOTHESIS_PROFILE", "ci") == "ci" else 100
quick = settings(
    max_examples=25 * SCALE,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    deadline=None,
)

JUNK = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["", " ", "\x1b[2K\rPASS", "nan", "inf", "1e309 mg", "0 mg/mL", "-1 mL", "1:0", "2 %%"]
    ),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.booleans(),
    st.dates(),
    st.lists(st.text(max_size=4), max_size=3),
    st.dictionaries(st.text(min_size=1, max_size=4), st.integers(), max_size=2),
)


def _read(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Key paths of every value inside a parsed TOML document."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _paths(value, (*prefix, i))
    return found


def _parent(doc: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        doc = doc[step]
    return doc


def _mutate(data: st.DataObject, doc: dict[str, Any]) -> dict[str, Any]:
    path = data.draw(st.sampled_from(_paths(doc)), label="where")
    parent, last = _parent(doc, path), path[-1]
    action = data.draw(st.sampled_from(["replace", "delete", "add"]), label="action")
    if action == "delete" and isinstance(parent, dict):
        del parent[last]
    elif action == "add" and isinstance(parent, dict):
        parent[data.draw(st.text(min_size=1, max_size=8), label="new key")] = data.draw(JUNK)
    else:
        parent[last] = data.draw(JUNK, label="value")
    return doc


def _write(tmp_path: Path, name: str, doc: dict[str, Any]) -> Path | None:
    path = tmp_path / name
    try:
        path.write_text(tomli_w.dumps(doc), encoding="utf-8")
    except (TypeError, ValueError):
        return None  # not expressible in TOML (e.g. a date as a table key): nothing to read
    return path


# -- hostile mutations: only documented errors ----------------------------------------------


@pytest.mark.parametrize("source", FORMULATIONS, ids=lambda p: p.parent.name)
@quick
@given(data=st.data())
def test_a_mutated_formulation_is_checked_or_refused_cleanly(tmp_path, registry, source, data):
    path = _write(tmp_path, "f.toml", _mutate(data, _read(source)))
    if path is None:
        return
    try:
        formulation = mesoreg.load_formulation(path)
        report = mesoreg.check(
            formulation, PATIENTS / "marc.toml", registry=registry, date=DATE, region="FR"
        )
    except MesoregError as exc:
        assert str(exc).strip(), "an error must say what is wrong"
        assert "Traceback" not in str(exc)
        return
    assert report.verdict in set(Verdict)
    mesoreg.report_to_dict(report)  # renders


@pytest.mark.parametrize("source", PATIENT_FILES, ids=lambda p: p.stem)
@quick
@given(data=st.data())
def test_a_mutated_patient_is_checked_or_refused_cleanly(tmp_path, registry, source, data):
    path = _write(tmp_path, "p.toml", _mutate(data, _read(source)))
    if path is None:
        return
    try:
        report = mesoreg.check(FORMULATIONS[0], path, registry=registry, date=DATE)
    except MesoregError as exc:
        assert str(exc).strip()
        return
    assert report.verdict in set(Verdict)


@pytest.mark.parametrize("source", PACK_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
@quick
@given(data=st.data())
def test_a_mutated_pack_is_loaded_or_refused_cleanly(tmp_path, source, data):
    path = _write(tmp_path, "pack.toml", _mutate(data, _read(source)))
    if path is None:
        return
    try:
        mesoreg.load_pack(path)
    except MesoregError as exc:
        assert str(exc).strip()


@pytest.mark.parametrize(
    "source", sorted(ROOT.glob("formulations/*/index.toml")), ids=lambda p: p.parent.name
)
@settings(max_examples=15 * SCALE, deadline=None)
@given(data=st.data())
def test_a_mutated_ledger_is_reported_never_trusted_or_crashed_on(tmp_path_factory, source, data):
    root = tmp_path_factory.mktemp("store") / "formulations"
    shutil.copytree(source.parent, root / source.parent.name)
    path = _write(root / source.parent.name, "index.toml", _mutate(data, _read(source)))
    if path is None:
        return
    store = mesoreg.Store(root)
    problems, _notes = store.verify()
    try:
        history = store.ledger(source.parent.name)
        for entry in history.versions:
            store.read(source.parent.name, entry.version)
    except MesoregError:
        assert problems, "a ledger that cannot be used must be a verify problem"


# -- other spellings of the same thing change no finding --------------------------------------


def _variants(text: str) -> st.SearchStrategy[str]:
    """Spellings the vocabularies treat as the same term."""
    return st.sampled_from(
        [text.upper(), text.title(), f"  {text} ", text.replace("_", " "), text.replace("_", "-")]
    )


def _codes(report: mesoreg.Report) -> list[tuple[str, str]]:
    return sorted((f.code, f.severity.value) for f in report.findings)


def _check_doc(tmp_path: Path, registry: Any, f_doc: Any, p_doc: Any) -> mesoreg.Report:
    f_path = _write(tmp_path, "f.toml", f_doc)
    p_path = _write(tmp_path, "p.toml", p_doc)
    assert f_path and p_path
    return mesoreg.check(f_path, p_path, registry=registry, date=DATE, region="FR")


CASES = [(f, p) for f in FORMULATIONS for p in PATIENT_FILES]


@pytest.mark.parametrize(
    ("f_source", "p_source"), CASES, ids=[f"{f.parent.name}-{p.stem}" for f, p in CASES]
)
@settings(max_examples=6 * SCALE, deadline=None)
@given(data=st.data())
def test_other_spellings_change_no_finding(tmp_path_factory, registry, f_source, p_source, data):
    tmp_path = tmp_path_factory.mktemp("spell")
    f_doc, p_doc = _read(f_source), _read(p_source)
    before = _check_doc(tmp_path, registry, f_doc, p_doc)
    catalog = registry.catalog
    for key in ("area", "technique", "route", "purpose"):
        if key in f_doc["use"] and data.draw(st.booleans()):
            f_doc["use"][key] = data.draw(_variants(f_doc["use"][key]))
    for prep in f_doc["preparations"]:
        for comp in prep["components"]:
            ingredient = catalog.find_ingredient(comp["ingredient"])
            assert ingredient is not None
            comp["ingredient"] = data.draw(st.sampled_from([ingredient.id, *ingredient.aliases]))
            comp["strength"] = comp["strength"].replace(" ", "")
        prep["components"].reverse()
    f_doc["preparations"].reverse()
    for med in p_doc.get("medications", []):
        med["name"] = data.draw(st.sampled_from([med["name"].upper(), f" {med['name']} "]))
    for key in ("conditions", "allergies"):
        if key in p_doc:
            p_doc[key] = [data.draw(_variants(x)) for x in p_doc[key]]
    after = _check_doc(tmp_path, registry, f_doc, p_doc)
    assert _codes(after) == _codes(before)
    assert after.verdict is before.verdict


# -- more facts never fewer findings ----------------------------------------------------------


@pytest.mark.parametrize(
    ("f_source", "p_source"), CASES, ids=[f"{f.parent.name}-{p.stem}" for f, p in CASES]
)
@settings(max_examples=6 * SCALE, deadline=None)
@given(data=st.data())
def test_more_patient_facts_never_remove_a_finding(
    tmp_path_factory, registry, f_source, p_source, data
):
    tmp_path = tmp_path_factory.mktemp("more")
    f_doc, p_doc = _read(f_source), _read(p_source)
    before = _check_doc(tmp_path, registry, f_doc, p_doc)
    catalog = registry.catalog
    drugs = sorted(catalog.drugs)
    conditions = sorted(catalog.conditions)
    allergens = sorted({a for i in catalog.ingredients.values() for a in i.allergens})
    if "medications" in p_doc:
        p_doc["medications"].append({"name": data.draw(st.sampled_from(drugs))})
    if "conditions" in p_doc:
        p_doc["conditions"].append(data.draw(st.sampled_from(conditions)))
    if "allergies" in p_doc:
        p_doc["allergies"].append(data.draw(st.sampled_from(allergens)))
    after = _check_doc(tmp_path, registry, f_doc, p_doc)
    assert set(_codes(before)) <= set(_codes(after))
    if before.verdict is not Verdict.PASS:
        assert after.verdict is not Verdict.PASS
