"""mesoreg.testing: builders and fixtures for plugin authors."""

from __future__ import annotations

import os

import pytest

import mesoreg
from mesoreg.testing import HEALTHY, check_with, formulation, patient

PACK = """
schema_version = 1
[pack]
name = "fixture-pack"
version = "1.0"
licence = "CC0-1.0"
[[sources]]
id = "fixture_source"
title = "t"
issuer = "i"
date = "2026"
kind = "label"
[[regulations]]
id = "zz"
code = "MR-REG-ZZ"
regions = ["ZZ"]
severity = "major"
evidence = "label"
sources = ["fixture_source"]
message = "m"
advice = "a"
"""


def test_discovery_is_off_in_tests():
    assert os.environ["MESOREG_NO_PLUGINS"] == "1"


def test_plugin_manager_fixture_has_the_builtins(mesoreg_pm):
    names = {name for name, _ in mesoreg_pm.list_name_plugin()}
    assert "mesoreg.checks._core" in names
    assert mesoreg_pm.hook.mesoreg_checks


def test_registry_factory_takes_pack_paths(mesoreg_registry, tmp_path):
    path = tmp_path / "pack.toml"
    path.write_text(PACK)
    registry = mesoreg_registry(path)
    assert ("fixture-pack", "1.0") in registry.catalog.packs


def test_check_fixture(mesoreg_check, tmp_path):
    path = tmp_path / "pack.toml"
    path.write_text(PACK)
    from mesoreg.host._plugins import PackPlugin
    from mesoreg.knowledge._pack import load_pack_document

    report = mesoreg_check(
        formulation([("biotin", "5 mg/mL", "1 mL")]),
        patient(HEALTHY),
        plugins=[PackPlugin(load_pack_document(path))],
        region="ZZ",
    )
    assert report.verdict is mesoreg.Verdict.FAIL
    assert [f.code for f in report.findings] == ["MR-REG-ZZ"]


def test_builders_validate_like_files():
    with pytest.raises(mesoreg.InputError, match="is a number without a unit"):
        formulation([("biotin", "5", "1 mL")])
    assert patient(weight=None).weight is None


def test_a_patient_fact_not_given_is_unknown_never_none():
    built = patient(weight="60 kg")
    assert built.weight is not None
    unknown = ("birth_date", "age", "sex", "pregnant", "breastfeeding", "childbearing_potential")
    assert all(getattr(built, name) is None for name in unknown)
    assert built.conditions is None and built.medications is None and built.allergies is None


def test_an_unknown_fact_is_reported_not_checked_not_passed():
    report = check_with(formulation([("lidocaine", "1 %", "1 mL")]), patient(weight="60 kg"))
    assert report.verdict is mesoreg.Verdict.NOT_VALIDATED
    assert {u.check for u in report.unchecked} >= {"contraindications"}


def test_healthy_facts_are_given_explicitly_and_fields_change_them():
    healthy = patient(HEALTHY)
    assert healthy.conditions == () and healthy.pregnant is False
    pregnant = patient(HEALTHY, pregnant=True, conditions=None)
    assert pregnant.pregnant is True and pregnant.conditions is None
    assert check_with(formulation([("lidocaine", "1 %", "1 mL")]), healthy).verdict is (
        mesoreg.Verdict.PASS
    )
