"""The three plugins in plugins/, installed as the README says: found, used, listed, disabled.

These tests fail (never skip) when the plugins are not installed: install them with
``pip install ./plugins/mesoreg-region-us ./plugins/mesoreg-region-eu
./plugins/mesoreg-pack-trichology``.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from mesoreg import Verdict
from mesoreg.command import cli
from mesoreg.host._config import Settings
from mesoreg.host._plugins import discover
from mesoreg.host._registry import Registry
from mesoreg.testing import HEALTHY, check_with, formulation, patient

EXPECTED = {"region-us": "code", "region-eu": "code", "trichology": "pack"}
LIPO = formulation(
    [("phosphatidylcholine", "50 mg/mL", "5 mL")],
    use={
        "route": "subcutaneous",
        "area": "abdomen",
        "technique": "injection_lipolysis",
        "purpose": "fat_reduction",
        "depth": "10 mm",
    },
)


@pytest.fixture
def installed(monkeypatch):
    """A registry with every installed plugin, as a user's would be."""
    monkeypatch.delenv("MESOREG_NO_PLUGINS")
    found = {p.name: p.kind for p in discover()}
    missing = {n for n in EXPECTED if n not in found}
    assert not missing, f"install the plugins in plugins/ first; missing: {sorted(missing)}"
    return Registry.from_settings(Settings())


def test_each_is_found_through_its_entry_point(installed):
    kinds = {s.info.name: (s.info.kind, s.status) for s in installed.statuses}
    for name, kind in EXPECTED.items():
        assert kinds[name] == (kind, "ok")


def test_us_plugin_used_in_a_check(installed):
    report = check_with(LIPO, None, registry=installed, region="US", date=dt.date(2020, 1, 1))
    assert "MR-REG-US-LIPODISSOLVE" in {f.code for f in report.findings}
    assert any(c.startswith("regulatory:mesoreg-region-us") for c in report.checks)


def test_eu_plugin_dates_matter(installed):
    suspended = check_with(LIPO, None, registry=installed, region="FR", date=dt.date(2011, 7, 1))
    upheld = check_with(LIPO, None, registry=installed, region="FR", date=dt.date(2012, 3, 1))
    codes_then = {f.code for f in suspended.findings}
    codes_now = {f.code for f in upheld.findings}
    assert not any(c.startswith("MR-REG-FR") for c in codes_then)
    assert any(c.startswith("MR-REG-FR") for c in codes_now)
    assert upheld.verdict is Verdict.FAIL


def test_trichology_pack_used_in_a_check(installed):
    f = formulation([("dutasteride", "0.1 mg/mL", "1 mL")], use={"area": "scalp"})
    report = check_with(f, patient(HEALTHY, pregnant=True), registry=installed)
    assert any("DUTASTERIDE" in c for c in {x.code for x in report.findings})
    assert any(p.startswith("mesoreg-pack-trichology") for p in report.packs)


def test_listed(installed, capsys):
    assert cli.main(["plugins", "list", "--format", "json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    for name, kind in EXPECTED.items():
        assert (rows[name]["kind"], rows[name]["status"]) == (kind, "ok")


def test_disabled(installed, capsys):
    registry = Registry.from_settings(Settings(deny=("region-us",)))
    statuses = {s.info.name: s.status for s in registry.statuses}
    assert statuses["region-us"] == "disabled"
    report = check_with(LIPO, None, registry=registry, region="US")
    assert report.verdict is Verdict.NOT_VALIDATED  # region US now has no validator
    assert "MR-REG-US-LIPODISSOLVE" not in {f.code for f in report.findings}
    assert cli.main(["--no-plugins", "plugins", "list"]) == 0
    out = capsys.readouterr().out
    assert all(f"{name}" in out for name in EXPECTED)
    assert out.count("disabled") >= 3
