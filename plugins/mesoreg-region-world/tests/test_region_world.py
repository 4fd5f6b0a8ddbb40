"""The world packs: data-only, one pack file per region, effective-dated, found by entry point."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
from pathlib import Path

import pytest

import mesoreg
import mesoreg.host._plugins
from mesoreg.interfaces._plugin_admin import check_plugin as mesoreg_plugins_check
from mesoreg.testing import check_with, formulation, make_registry

PACKAGE = Path(__file__).resolve().parents[1] / "mesoreg_region_world"
DISTRIBUTION = "mesoreg-region-world"
REGIONS = {"gb": "GB", "ca": "CA", "au": "AU", "ph": "PH"}
DAY = dt.date(2024, 6, 1)

SUBMENTAL = {"route": "subcutaneous", "area": "submental", "technique": "grid_injection"}
ABDOMEN = {"route": "subcutaneous", "area": "abdomen", "technique": "grid_injection"}
KYBELLA_CHIN = formulation([("deoxycholic acid", "10 mg/mL", "2 mL")], use=SUBMENTAL)
KYBELLA_ABDOMEN = formulation([("deoxycholic acid", "10 mg/mL", "2 mL")], use=ABDOMEN)
PC = formulation(
    [{"ingredient": "phosphatidylcholine", "strength": "50 mg/mL", "volume": "5 mL"}],
    use={**ABDOMEN, "purpose": "fat_reduction"},
)
GLUTATHIONE = [{"ingredient": "glutathione", "strength": "60 mg/mL", "volume": "2 mL"}]
FACE = {"route": "intradermal", "area": "face", "technique": "nappage"}


def pack_plugin(name: str) -> mesoreg.host._plugins.PackPlugin:
    return mesoreg.host._plugins.PackPlugin(mesoreg.load_pack(PACKAGE / f"{name}.toml"))


ALL = [pack_plugin(name) for name in REGIONS]


def codes(report):  # type: ignore[no-untyped-def]
    return {f.code for f in report.findings}


def run(f, region, day=DAY):  # type: ignore[no-untyped-def]
    return check_with(f, None, plugins=ALL, region=region, date=day)


@pytest.mark.parametrize("name", sorted(REGIONS))
def test_each_pack_file_loads_validates_and_covers_only_its_region(name):
    pack = mesoreg.load_pack(PACKAGE / f"{name}.toml")
    assert pack.name == f"mesoreg-region-{name}"
    assert pack.version == "0.1.0"
    assert pack.regulations
    assert {r for rule in pack.regulations for r in rule.regions} == {REGIONS[name]}
    assert mesoreg_plugins_check(PACKAGE / f"{name}.toml") == []


@pytest.mark.parametrize("name", sorted(REGIONS))
def test_every_rule_rests_on_a_dated_regulator_or_label_source(name):
    pack = mesoreg.load_pack(PACKAGE / f"{name}.toml")
    catalog = make_registry([pack_plugin(name)]).catalog
    for rule in pack.regulations:
        cited = catalog.cite(rule.sources)
        assert [s.id for s in cited] == list(rule.sources), rule.id
        assert rule.evidence.value in {"regulator", "label"}, rule.id
        assert {s.kind.value for s in cited} & {"regulator", "label"}, rule.id
        assert all(s.url and s.date[:4].isdigit() for s in cited), rule.id


def test_gb_lipostabil_is_unlicensed():
    (finding,) = [f for f in run(PC, "GB").findings if f.code == "MR-REG-GB-LIPOSTABIL"]
    assert finding.severity is mesoreg.Severity.MAJOR
    assert finding.components == ("phosphatidylcholine",)
    assert finding.provider == "mesoreg-region-gb 0.1.0"


@pytest.mark.parametrize("region", ["GB", "CA"])
def test_deoxycholic_acid_outside_the_submental_area_is_off_label(region):
    code = f"MR-REG-{region}-DEOXYCHOLIC-AREA"
    assert code in codes(run(KYBELLA_ABDOMEN, region))
    assert code not in codes(run(KYBELLA_CHIN, region))


def test_au_deoxycholic_acid_is_prescription_only_information():
    (finding,) = [
        f for f in run(KYBELLA_CHIN, "AU").findings if f.code == "MR-REG-AU-DEOXYCHOLIC-S4"
    ]
    assert finding.severity is mesoreg.Severity.INFO


def test_ph_glutathione_for_skin_lightening_from_the_2019_advisory():
    lightening = formulation(GLUTATHIONE, use={**FACE, "purpose": "pigmentation"})
    code = "MR-REG-PH-GLUTATHIONE-LIGHTENING"
    assert code in codes(run(lightening, "PH"))
    assert code not in codes(run(lightening, "PH", dt.date(2019, 7, 4)))
    assert code in codes(run(lightening, "PH", dt.date(2019, 7, 5)))
    assert code not in codes(run(formulation(GLUTATHIONE, use={**FACE, "purpose": "scars"}), "PH"))


def test_ph_glutathione_without_a_purpose_is_not_checked():
    report = run(formulation(GLUTATHIONE, use=FACE), "PH")
    assert report.verdict.value == "not-validated"
    assert [u.rule for u in report.unchecked] == ["ph_glutathione_skin_lightening"]


def test_rules_stay_in_their_region():
    assert not any(c.startswith("MR-REG-") for c in codes(run(PC, "CA")))
    assert not any(c.startswith("MR-REG-GB") for c in codes(run(KYBELLA_ABDOMEN, "AU")))


@pytest.mark.parametrize("region", ["BR", "NZ"])
def test_a_region_without_a_validator_stays_not_validated(region):
    """Brazil has no pack (no primary ANVISA source was found): it is not validated."""
    report = run(KYBELLA_CHIN, region)
    assert report.verdict.value == "not-validated"
    assert [u.rule for u in report.unchecked] == [region]


def test_installed_distribution_is_discovered_through_its_entry_points():
    try:
        dist = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        pytest.fail(
            f"{DISTRIBUTION} is not installed in this environment; "
            "run 'pip install -e plugins/mesoreg-region-world' first"
        )
    assert dist.version == "0.1.0"
    found = {p.name: p for p in mesoreg.host._plugins.discover() if p.distribution == DISTRIBUTION}
    assert set(found) == {f"region-{name}" for name in REGIONS}
    for name in REGIONS:
        info = found[f"region-{name}"]
        assert (info.kind, info.target) == ("pack", f"mesoreg_region_world:{name}.toml")
        assert info.requires_mesoreg == ">=0.1"
