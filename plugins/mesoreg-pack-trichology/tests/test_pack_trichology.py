"""The trichology pack: a data-only pack file, its rules, the biotin override, discovery."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
from pathlib import Path

import attrs
import pytest

import mesoreg
import mesoreg.host._plugins
from mesoreg.interfaces._plugin_admin import check_plugin as mesoreg_plugins_check
from mesoreg.testing import DEFAULT_DATE, HEALTHY, check_with, formulation, make_registry, patient

PACK_FILE = Path(__file__).resolve().parents[1] / "mesoreg_pack_trichology" / "pack.toml"
DISTRIBUTION = "mesoreg-pack-trichology"
SCALP = {"area": "scalp", "route": "intradermal", "technique": "nappage"}

DUTASTERIDE = formulation([("dutasteride", "0.01 %", "2 mL")], use=SCALP)
MINOXIDIL = formulation([("minoxidil", "0.5 %", "2 mL")], use=SCALP)
FINASTERIDE = formulation([("Propecia", "0.05 %", "2 mL")], use=SCALP)

RULES = {
    "MR-TRICH-FINASTERIDE-PREGNANCY",
    "MR-TRICH-DUTASTERIDE-PREGNANCY",
    "MR-TRICH-FINASTERIDE-CHILDBEARING",
    "MR-TRICH-DUTASTERIDE-CHILDBEARING",
    "MR-TRICH-MINOXIDIL-AGE",
    "MR-TRICH-MINOXIDIL-PREGNANCY",
    "MR-TRICH-MINOXIDIL-BREASTFEEDING",
}


@pytest.fixture(scope="module")
def pack() -> mesoreg.Pack:
    return mesoreg.load_pack(PACK_FILE)


@pytest.fixture(scope="module")
def plugin(pack: mesoreg.Pack) -> mesoreg.host._plugins.PackPlugin:
    return mesoreg.host._plugins.PackPlugin(pack)


def codes(report) -> set[str]:  # type: ignore[no-untyped-def]
    return {f.code for f in report.findings}


def born(age: int) -> dt.date:
    """A birth date that makes the patient ``age`` on the default session date."""
    return DEFAULT_DATE.replace(year=DEFAULT_DATE.year - age) - dt.timedelta(days=30)


def test_pack_file_loads_and_validates(pack, plugin):
    assert pack.name == "mesoreg-pack-trichology"
    assert pack.version == "0.1.0"
    assert pack.requires_mesoreg == ">=0.1"
    assert {i.id for i in pack.ingredients} == {"minoxidil", "finasteride", "dutasteride", "biotin"}
    assert {r.code for r in pack.contraindications} == RULES
    catalog = make_registry([plugin]).catalog  # builds and cross-checks every pack
    assert ("mesoreg-pack-trichology", "0.1.0") in catalog.packs
    assert mesoreg_plugins_check(PACK_FILE) == []


def test_every_rule_has_an_off_label_note_severity_and_evidence(pack):
    for rule in pack.contraindications:
        assert rule.severity and rule.evidence and rule.sources, rule.id
        assert "off-label" in rule.note, rule.id
    assert not [r for r in pack.contraindications if r.fact.value == "allergy"]


def test_every_rule_and_ingredient_source_resolves(pack, plugin):
    catalog = make_registry([plugin]).catalog
    records = [*pack.contraindications, *pack.ingredients]
    for record in records:
        cited = catalog.cite(record.sources)
        assert [s.id for s in cited] == list(record.sources), record.id
        assert all(s.url or s.doi for s in cited), record.id


def test_dutasteride_in_pregnancy(plugin):
    pregnant = check_with(DUTASTERIDE, patient(HEALTHY, pregnant=True), plugins=[plugin])
    not_pregnant = check_with(DUTASTERIDE, patient(HEALTHY, pregnant=False), plugins=[plugin])
    assert "MR-TRICH-DUTASTERIDE-PREGNANCY" in codes(pregnant)
    assert "MR-TRICH-DUTASTERIDE-PREGNANCY" not in codes(not_pregnant)
    (finding,) = [f for f in pregnant.findings if f.code == "MR-TRICH-DUTASTERIDE-PREGNANCY"]
    assert finding.severity is mesoreg.Severity.CONTRAINDICATED
    assert finding.components == ("dutasteride",)


def test_finasteride_in_pregnancy_by_brand_name(plugin):
    report = check_with(FINASTERIDE, patient(HEALTHY, pregnant=True), plugins=[plugin])
    assert "MR-TRICH-FINASTERIDE-PREGNANCY" in codes(report)
    report = check_with(FINASTERIDE, patient(HEALTHY, pregnant=False), plugins=[plugin])
    assert "MR-TRICH-FINASTERIDE-PREGNANCY" not in codes(report)


def test_minoxidil_under_18(plugin):
    seventeen = check_with(MINOXIDIL, patient(HEALTHY, birth_date=born(17)), plugins=[plugin])
    eighteen = check_with(MINOXIDIL, patient(HEALTHY, birth_date=born(18)), plugins=[plugin])
    assert "MR-TRICH-MINOXIDIL-AGE" in codes(seventeen)
    assert "MR-TRICH-MINOXIDIL-AGE" not in codes(eighteen)


def test_minoxidil_pregnancy_and_breastfeeding(plugin):
    pregnant = check_with(MINOXIDIL, patient(HEALTHY, pregnant=True), plugins=[plugin])
    nursing = check_with(MINOXIDIL, patient(HEALTHY, breastfeeding=True), plugins=[plugin])
    neither = check_with(MINOXIDIL, patient(HEALTHY), plugins=[plugin])
    assert "MR-TRICH-MINOXIDIL-PREGNANCY" in codes(pregnant)
    assert "MR-TRICH-MINOXIDIL-BREASTFEEDING" in codes(nursing)
    assert not codes(neither) & RULES


def test_rules_are_scoped_to_their_ingredient(plugin):
    biotin = formulation([("biotin", "5 mg/mL", "1 mL")], use=SCALP)
    report = check_with(
        biotin, patient(HEALTHY, pregnant=True, birth_date=born(17)), plugins=[plugin]
    )
    assert not codes(report) & RULES


def test_biotin_override_wins_without_a_duplicate_id_error(plugin):
    core = make_registry().catalog.ingredients["biotin"]
    catalog = make_registry([plugin]).catalog  # a duplicate id would raise here
    biotin = catalog.ingredients["biotin"]
    assert "lab" in biotin.notes and "troponin" in biotin.notes
    assert biotin.origin.startswith("mesoreg-pack-trichology")
    assert set(core.classes) <= set(biotin.classes)
    assert set(core.sources) <= set(biotin.sources)
    assert {"fda_biotin_2017", "fda_biotin_2019_update"} <= set(biotin.sources)
    assert catalog.find_ingredient("vitamin H") is biotin
    check_with(
        formulation([("biotin", "5 mg/mL", "1 mL")], use=SCALP), patient(HEALTHY), plugins=[plugin]
    )


def test_without_override_biotin_would_clash(pack):
    """Control: the same record without ``override = true`` is a duplicate-id error."""
    plain = attrs.evolve(
        pack, ingredients=tuple(attrs.evolve(i, override=False) for i in pack.ingredients)
    )
    with pytest.raises(mesoreg.MesoregError, match="duplicate id 'biotin'"):
        make_registry([mesoreg.host._plugins.PackPlugin(plain)]).catalog  # noqa: B018


def test_installed_distribution_is_discovered_through_its_entry_point():
    try:
        dist = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        pytest.fail(
            f"{DISTRIBUTION} is not installed in this environment; "
            "run 'pip install -e plugins/mesoreg-pack-trichology' first"
        )
    assert dist.version == "0.1.0"
    found = [p for p in mesoreg.host._plugins.discover() if p.name == "trichology"]
    assert [(p.kind, p.distribution) for p in found] == [("pack", DISTRIBUTION)], found
    (info,) = found
    assert info.target == "mesoreg_pack_trichology:pack.toml"
    assert info.requires_mesoreg == ">=0.1"


@pytest.mark.parametrize(
    ("form", "code", "severity"),
    [
        (FINASTERIDE, "MR-TRICH-FINASTERIDE-CHILDBEARING", "contraindicated"),
        (DUTASTERIDE, "MR-TRICH-DUTASTERIDE-CHILDBEARING", "major"),
    ],
    ids=["finasteride", "dutasteride"],
)
def test_woman_who_may_become_pregnant_fails(plugin, form, code, severity):
    report = check_with(form, patient(HEALTHY, childbearing_potential=True), plugins=[plugin])
    (finding,) = [f for f in report.findings if f.code == code]
    assert finding.severity.value == severity
    assert finding.evidence == "patient may become pregnant (childbearing_potential = true)"
    assert report.verdict is mesoreg.Verdict.FAIL


@pytest.mark.parametrize("form", [FINASTERIDE, DUTASTERIDE], ids=["finasteride", "dutasteride"])
def test_childbearing_potential_unknown_for_a_woman_is_not_checked(plugin, form):
    report = check_with(form, patient(HEALTHY, childbearing_potential=None), plugins=[plugin])
    assert not codes(report) & RULES
    assert any(u.rule.endswith("childbearing_potential") for u in report.unchecked)
    assert report.verdict is mesoreg.Verdict.NOT_VALIDATED


@pytest.mark.parametrize("form", [FINASTERIDE, DUTASTERIDE], ids=["finasteride", "dutasteride"])
def test_childbearing_potential_is_not_needed_for_a_man_or_a_woman_who_cannot(plugin, form):
    man = check_with(form, patient(HEALTHY, sex="male", pregnant=None), plugins=[plugin])
    cannot = check_with(form, patient(HEALTHY, childbearing_potential=False), plugins=[plugin])
    for report in (man, cannot):
        assert not codes(report) & RULES
        assert not any(u.rule.endswith("childbearing_potential") for u in report.unchecked)
