"""Override policy: packs may add and tighten another pack's records, never silently weaken them."""

from __future__ import annotations

import datetime as dt
import json
import re
import types
from pathlib import Path
from typing import Any

import attrs
import jsonschema
import pytest
import tomli_w

import mesoreg
from mesoreg import Catalog, InputError, Pack, Severity, Source, Verdict
from mesoreg.checks._render import report_to_dict, report_to_text
from mesoreg.checks._subject import resolve
from mesoreg.documents._convert import unstructure
from mesoreg.documents._knowledge import Evidence, Limit, LimitKind
from mesoreg.documents._model import Context
from mesoreg.host._plugins import PackPlugin
from mesoreg.host._registry import Registry
from mesoreg.interfaces._fhir import OVERRIDE_CODE, fhir_bundle
from mesoreg.knowledge._catalog import build_catalog
from mesoreg.knowledge._override import compare
from mesoreg.testing import HEALTHY, check_with, formulation, make_registry, patient

SOURCE = Source(
    id="t_source", title="A test source", issuer="Tests", date="2026", kind=Evidence.LABEL
)
PREGNANT = patient(HEALTHY, pregnant=True, birth_date=dt.date(1990, 1, 1))
LIDOCAINE_300 = formulation([("lidocaine", "2 %", "15 mL")])  # 300 mg: 6 mg/kg at 50 kg
LIGHT = patient(HEALTHY, weight="50 kg", pregnant=False, birth_date=dt.date(1990, 1, 1))
HYALURONIC = formulation([("hyaluronic_acid", "1 %", "2 mL")])


def _pack(name: str = "t-pack", **records: Any) -> Pack:
    return Pack(name=name, version="1.0", sources=(SOURCE,), **records)


def _override(catalog: Catalog, kind: str, record_id: str, **changes: Any) -> Any:
    records = getattr(catalog, kind)
    if kind == "limits":
        records = {r.id: r for group in records.values() for r in group}
    elif isinstance(records, tuple):
        records = {r.id: r for r in records}
    return attrs.evolve(records[record_id], override=True, **changes)


def _registry(*packs: Pack, allow: tuple[str, ...] = ()) -> Registry:
    registry = make_registry([PackPlugin(p) for p in packs])
    registry.allow_weakening = allow
    return registry


def _refusal(*packs: Pack) -> str:
    with pytest.raises(InputError) as caught:
        _registry(*packs).catalog  # noqa: B018
    return str(caught.value)


# -- each kind of weakening is refused, and the check can never pass through it ---------------

WEAKENINGS = {
    "severity downgraded": (
        "contraindications",
        "pregnancy",
        {"severity": Severity.INFO},
        "lowers severity from contraindicated to info",
    ),
    "rule replaced by a narrower scope": (
        "contraindications",
        "pregnancy",
        {"ingredients": ("deoxycholic_acid",)},
        "narrows ingredients/ingredient_classes from every formulation to [deoxycholic_acid]",
    ),
    "limit raised": (
        "limits",
        "lidocaine_plain_per_kg",
        {"maximum": mesoreg.parse_quantity("7 mg/kg")},
        "raises maximum from 4.5 mg/kg to 7 mg/kg",
    ),
    "cap removed": ("limits", "lidocaine_plain_per_kg", {"cap": None}, "removes cap 300 mg"),
    "drug reclassified out of a class": (
        "drugs",
        "apixaban",
        {"classes": ()},
        "drops classes [anticoagulant]",
    ),
    "brand name removed": ("drugs", "apixaban", {"aliases": ()}, "no longer answers to [eliquis]"),
    "advice rewritten": (
        "contraindications",
        "pregnancy",
        {"advice": "Go ahead."},
        "rewrites advice (the old text is not kept)",
    ),
    "code changed (cannot be classified)": (
        "contraindications",
        "pregnancy",
        {"code": "MR-CI-OTHER"},
        "changes code (cannot be shown to only tighten)",
    ),
    "ingredient class removed": (
        "ingredients",
        "lidocaine",
        {"classes": ("vehicle",)},
        "drops classes [local_anaesthetic, amide_local_anaesthetic]",
    ),
}


@pytest.mark.parametrize("case", sorted(WEAKENINGS))
def test_a_weakening_override_is_refused_by_name(catalog: Catalog, case: str) -> None:
    kind, record_id, changes, why = WEAKENINGS[case]
    record = _override(catalog, kind, record_id, **changes)
    message = _refusal(_pack(**{kind: (record,)}))
    assert f"{kind}.{record_id}: pack 't-pack' weakens mesoreg-core" in message
    assert why in message
    assert f'allow_weakening = ["t-pack:{kind}.{record_id}"]' in message


CHECKS = {
    "severity downgraded": (HYALURONIC, PREGNANT, "MR-CI-PREGNANCY"),
    "rule replaced by a narrower scope": (HYALURONIC, PREGNANT, "MR-CI-PREGNANCY"),
    "limit raised": (LIDOCAINE_300, LIGHT, "MR-DOSE-LIDOCAINE-PER-KG"),
    "drug reclassified out of a class": (
        HYALURONIC,
        patient(HEALTHY, medications=[{"name": "Eliquis"}], birth_date=dt.date(1990, 1, 1)),
        "MR-CI-ANTICOAGULANT",
    ),
}


@pytest.mark.parametrize("case", sorted(CHECKS))
def test_a_refused_weakening_never_turns_a_fail_into_a_pass(catalog: Catalog, case: str) -> None:
    kind, record_id, changes, _ = WEAKENINGS[case]
    f, p, code = CHECKS[case]
    assert code in {x.code for x in check_with(f, p).findings}  # control: fails without the pack
    record = _override(catalog, kind, record_id, **changes)
    with pytest.raises(InputError, match="weakens"):
        check_with(f, p, registry=_registry(_pack(**{kind: (record,)})))


def test_an_added_variant_limit_that_displaces_a_stricter_one_is_refused() -> None:
    variant = Limit(
        id="t_lidocaine_with_water",
        code="MR-T",
        kind=LimitKind.PER_KG,
        severity=Severity.MAJOR,
        evidence=Evidence.LABEL,
        sources=("t_source",),
        advice="x",
        ingredient="lidocaine",
        maximum=mesoreg.parse_quantity("50 mg/kg"),
        cap=mesoreg.parse_quantity("5000 mg"),
        with_ingredient="water_for_injection",
    )
    message = _refusal(_pack(limits=(variant,)))
    assert (
        "limits.t_lidocaine_with_water: pack 't-pack' weakens lidocaine_plain_per_kg "
        "from mesoreg-core" in message
    )
    assert "raises maximum from 4.5 mg/kg to 50 mg/kg" in message


def test_an_ingredient_depth_limit_that_displaces_the_general_one_is_refused() -> None:
    deep = Limit(
        id="t_ha_depth",
        code="MR-T-DEPTH",
        kind=LimitKind.DEPTH,
        severity=Severity.MODERATE,
        evidence=Evidence.LABEL,
        sources=("t_source",),
        advice="x",
        ingredient="hyaluronic_acid",
        minimum=mesoreg.parse_quantity("1 mm"),
        maximum=mesoreg.parse_quantity("20 mm"),
    )
    message = _refusal(_pack(limits=(deep,)))
    assert "weakens intradermal_depth" in message
    assert "raises maximum from 4 mm to 20 mm" in message


def test_a_pack_may_not_call_itself_mesoreg_core(catalog: Catalog) -> None:
    record = _override(catalog, "contraindications", "pregnancy", severity=Severity.INFO)
    message = _refusal(_pack("mesoreg-core", contraindications=(record,)))
    assert (
        "packs.mesoreg-core: plugin 'mesoreg-core' calls its pack 'mesoreg-core', the name of "
        "mesoreg's built-in pack: refused."
    ) in message


def test_a_pack_may_not_take_another_packs_name() -> None:
    first = PackPlugin(_pack("shared"))
    second = PackPlugin(_pack("shared", description="impostor"))
    registry = make_registry([first])
    registry.pm.register(second, name="impostor-plugin")
    with pytest.raises(InputError) as caught:
        registry.catalog  # noqa: B018
    assert "packs.shared: two packs are named 'shared' (from impostor-plugin, shared)" in str(
        caught.value
    )


# -- allowed weakening and tightening are applied and listed everywhere ------------------------


def _listed(report: mesoreg.Report, key: str, subject_formulation: Any, registry: Registry) -> Any:
    text = report_to_text(report)
    data = report_to_dict(report)
    subject = resolve(subject_formulation, None, Context(report.date, None), registry.catalog, None)
    bundle = fhir_bundle(subject, report)
    issues = [
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "DetectedIssue"
        and e["resource"]["code"]["coding"][0]["code"] == OVERRIDE_CODE
    ]
    assert key in text
    schema = Path(__file__).parent.parent / "schemas" / "report-2.schema.json"
    jsonschema.validate(data, json.loads(schema.read_text(encoding="utf-8")))
    assert [o["key"] for o in data["overrides"]] == [key]
    assert len(issues) == 1 and key in issues[0]["detail"]
    return text, data["overrides"][0], issues[0]


def test_a_weakening_allowed_by_local_configuration_is_applied_and_listed(
    catalog: Catalog,
) -> None:
    record = _override(catalog, "contraindications", "pregnancy", severity=Severity.INFO)
    registry = _registry(
        _pack(contraindications=(record,)), allow=("t-pack:contraindications.pregnancy",)
    )
    report = check_with(HYALURONIC, PREGNANT, registry=registry)
    assert {f.code: f.severity for f in report.findings}["MR-CI-PREGNANCY"] is Severity.INFO
    text, data, issue = _listed(report, "t-pack:contraindications.pregnancy", HYALURONIC, registry)
    assert "OVERRIDES (1, 1 weakening allowed by local configuration)" in text
    assert "WEAKENS: lowers severity from contraindicated to info" in text
    assert data["weakening"] is True and data["allowed_by_configuration"] is True
    assert data["weakens"] == ["lowers severity from contraindicated to info"]
    assert issue["severity"] == "high"


def test_allowing_one_override_does_not_allow_another(catalog: Catalog) -> None:
    record = _override(catalog, "contraindications", "pregnancy", severity=Severity.INFO)
    registry = _registry(
        _pack(contraindications=(record,)), allow=("t-pack:contraindications.breastfeeding",)
    )
    with pytest.raises(InputError, match="weakens"):
        registry.catalog  # noqa: B018


def test_a_tightening_override_is_applied_and_listed(catalog: Catalog) -> None:
    record = _override(
        catalog,
        "limits",
        "lidocaine_plain_per_kg",
        maximum=mesoreg.parse_quantity("3 mg/kg"),
        sources=("xylocaine_pi", "t_source"),
    )
    registry = _registry(_pack(limits=(record,)))
    f = formulation([("lidocaine", "2 %", "10 mL")])  # 200 mg: 4 mg/kg at 50 kg
    assert check_with(f, LIGHT).verdict is not Verdict.FAIL  # control: passes the core limit
    report = check_with(f, LIGHT, registry=registry)
    assert report.verdict is Verdict.FAIL
    text, data, issue = _listed(report, "t-pack:limits.lidocaine_plain_per_kg", f, registry)
    assert "OVERRIDES (1)" in text
    assert "t-pack:limits.lidocaine_plain_per_kg adds to or tightens mesoreg-core" in text
    assert data["weakening"] is False
    assert "maximum: 4.5 mg/kg -> 3 mg/kg" in data["changes"]
    assert issue["severity"] == "low"


def test_the_trichology_biotin_override_only_adds() -> None:
    import mesoreg_pack_trichology

    from mesoreg.knowledge._pack import load_pack_document

    folder = Path(mesoreg_pack_trichology.__file__).parent
    registry = make_registry([PackPlugin(load_pack_document(folder / "pack.toml"))])
    (found,) = registry.catalog.overrides
    assert found.key == "mesoreg-pack-trichology:ingredients.biotin"
    assert not found.is_weakening


# -- the rules, field by field ----------------------------------------------------------------

BASE = Limit(
    id="l",
    code="C",
    kind=LimitKind.DEPTH,
    severity=Severity.MODERATE,
    evidence=Evidence.LABEL,
    sources=("s",),
    advice="a",
    minimum=mesoreg.parse_quantity("1 mm"),
    maximum=mesoreg.parse_quantity("4 mm"),
    routes=("intradermal",),
)


@pytest.mark.parametrize(
    ("changes", "weakens"),
    [
        ({"severity": Severity.MAJOR}, ()),
        ({"severity": Severity.MINOR}, ("lowers severity from moderate to minor",)),
        ({"minimum": mesoreg.parse_quantity("2 mm")}, ()),
        ({"minimum": None}, ("removes minimum 1 mm",)),
        ({"minimum": mesoreg.parse_quantity("0.5 mm")}, ("lowers minimum from 1 mm to 0.5 mm",)),
        ({"maximum": mesoreg.parse_quantity("0.3 cm")}, ()),
        (
            {"maximum": mesoreg.parse_quantity("1 mg")},
            ("changes maximum from 4 mm to 1 mg (units do not compare)",),
        ),
        ({"routes": ()}, ()),
        ({"routes": ("intradermal", "subcutaneous")}, ()),
        ({"sources": ("s", "t")}, ()),
        ({"sources": ("t",)}, ("drops sources [s]",)),
        ({"advice": "a; and more"}, ()),
        ({"evidence": Evidence.REVIEW}, ("changes evidence (cannot be shown to only tighten)",)),
        ({"ingredient": "x"}, ("changes ingredient (cannot be shown to only tighten)",)),
    ],
)
def test_limit_fields(changes: dict[str, Any], weakens: tuple[str, ...]) -> None:
    assert compare("limits", BASE, attrs.evolve(BASE, **changes), "p").weakening == weakens


REG = mesoreg.Regulation(
    id="r",
    code="C",
    regions=("FR",),
    severity=Severity.CONTRAINDICATED,
    evidence=Evidence.REGULATOR,
    sources=("s",),
    message="m",
    advice="a",
    valid_from=dt.date(2011, 4, 13),
    ingredient_classes=("lipolytic",),
    purposes=("fat_reduction",),
)


@pytest.mark.parametrize(
    ("changes", "weakens"),
    [
        ({"valid_from": dt.date(2010, 1, 1)}, ()),
        ({"valid_from": None}, ()),
        (
            {"valid_from": dt.date(2012, 1, 1)},
            ("starts later: valid_from 2011-04-13 -> 2012-01-01",),
        ),
        ({"valid_to": dt.date(2030, 1, 1)}, ("ends earlier: valid_to none -> 2030-01-01",)),
        ({"regions": ("FR", "BE")}, ()),
        ({"regions": ("BE",)}, ("drops regions [FR]",)),
        ({"purposes": ()}, ()),
        ({"techniques": ("nappage",)}, ("narrows techniques from any to [nappage]",)),
        ({"outside_areas": ("face",)}, ("adds outside_areas [face] (narrows where it applies)",)),
        (
            {"ingredient_classes": (), "ingredients": ("phosphatidylcholine",)},
            ("narrows ingredients/ingredient_classes: drops [lipolytic]",),
        ),
        ({"ingredient_classes": ()}, ()),
    ],
)
def test_regulation_fields(changes: dict[str, Any], weakens: tuple[str, ...]) -> None:
    assert compare("regulations", REG, attrs.evolve(REG, **changes), "p").weakening == weakens


@pytest.mark.parametrize(
    ("changes", "weakens"),
    [
        ({"age_min": 18}, ()),
        ({"age_max": 60}, ()),
        ({"within_days": None}, ()),
        ({"within_days": 30}, ()),
        ({"within_days": 3}, ("shortens within_days from 7 to 3 days",)),
    ],
)
def test_contraindication_fields(
    catalog: Catalog, changes: dict[str, Any], weakens: tuple[str, ...]
) -> None:
    old = attrs.evolve(
        next(r for r in catalog.contraindications if r.id == "anticoagulant"),
        age_min=16,
        age_max=75,
        within_days=7,
    )
    assert compare("contraindications", old, attrs.evolve(old, **changes), "p").weakening == weakens


@pytest.mark.parametrize(
    ("changes", "weakens"),
    [
        ({"with_any": False}, ("turns with_any off (any other ingredient no longer counts)",)),
        ({"same_syringe": True}, ("turns same_syringe on (only counts in the same syringe)",)),
    ],
)
def test_interaction_flags(catalog: Catalog, changes: dict[str, Any], weakens: Any) -> None:
    old = attrs.evolve(catalog.interactions[0], with_any=True, same_syringe=False)
    assert compare("interactions", old, attrs.evolve(old, **changes), "p").weakening == weakens


# -- plugins check, the command line and the configuration file -------------------------------


def _plain(value: Any) -> Any:
    """Unstructured data without None values, which TOML cannot hold."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _write_pack(path: Path, name: str, kind: str, record: Any) -> Path:
    data = {
        "schema_version": 1,
        "pack": {"name": name, "version": "1.0", "licence": "CC0-1.0"},
        "sources": [_plain(unstructure(SOURCE))],
        kind: [_plain(unstructure(record))],
    }
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def test_plugins_check_warns_on_a_tightening_and_errors_on_a_weakening_override(
    catalog: Catalog, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mesoreg.command import cli

    tighter = _override(
        catalog, "contraindications", "pregnancy", severity=Severity.CONTRAINDICATED
    )
    tighter = attrs.evolve(tighter, sources=(*tighter.sources, "t_source"))
    good = _write_pack(tmp_path / "good.toml", "t-good", "contraindications", tighter)
    assert cli.main(["plugins", "check", str(good)]) == 0
    out = capsys.readouterr()
    assert "ok: " in out.out and "(1 override, see the warnings)" in out.out
    assert (
        "warning: t-good: override t-good:contraindications.pregnancy adds to or tightens"
        in out.err
    )

    weaker = _override(catalog, "contraindications", "pregnancy", severity=Severity.INFO)
    bad = _write_pack(tmp_path / "bad.toml", "t-bad", "contraindications", weaker)
    assert cli.main(["plugins", "check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert (
        f"error: t-bad: t-bad 1.0 ({bad}): contraindications.pregnancy: pack 't-bad' weakens" in err
    )
    assert "weakens mesoreg-core" in err
    assert "lowers severity from contraindicated to info" in err


def test_cli_allows_a_named_weakening_from_mesoreg_toml_and_names_it_in_the_report(
    catalog: Catalog,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from mesoreg.command import cli

    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    weaker = _override(catalog, "contraindications", "pregnancy", severity=Severity.INFO)
    _write_pack(project / "pack.toml", "t-pack", "contraindications", weaker)
    f = project / "f.toml"
    f.write_text(
        tomli_w.dumps(_plain(unstructure(HYALURONIC)) | {"schema_version": 1}), encoding="utf-8"
    )
    p = project / "p.toml"
    p.write_text(
        tomli_w.dumps(_plain(unstructure(PREGNANT)) | {"schema_version": 1}), encoding="utf-8"
    )
    monkeypatch.chdir(project)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    args = ["check", "f.toml", "--patient", "p.toml", "--date", "2026-11-22", "--format", "json"]

    (project / "mesoreg.toml").write_text('packs = ["pack.toml"]\n')
    assert cli.main(args) == 2  # refused: the weakening is not allowed
    assert "t-pack:contraindications.pregnancy" in capsys.readouterr().err

    (project / "mesoreg.toml").write_text(
        'packs = ["pack.toml"]\nallow_weakening = ["t-pack:contraindications.pregnancy"]\n'
    )
    cli.main(args)
    data = json.loads(capsys.readouterr().out)
    assert data["config_file"] == str(project / "mesoreg.toml")
    assert "t-pack 1.0" in data["packs"]
    assert [o["key"] for o in data["overrides"]] == ["t-pack:contraindications.pregnancy"]
    cli.main(args[:-2])
    text = capsys.readouterr().out
    assert f"configuration: {project / 'mesoreg.toml'}" in text
    assert "packs: mesoreg-core" in text and "t-pack 1.0" in text

    # the environment cannot allow a weakening: only the CLI option or a configuration file
    (project / "mesoreg.toml").write_text('packs = ["pack.toml"]\n')
    monkeypatch.setenv("MESOREG_ALLOW_WEAKENING", "t-pack:contraindications.pregnancy")
    assert cli.main(args) == 2
    capsys.readouterr()
    assert cli.main(["--allow-weakening", "t-pack:contraindications.pregnancy", *args]) != 2


@pytest.mark.parametrize(
    ("name", "code", "expected"),
    [
        (
            "mesoreg-core",
            2,
            "calls its pack 'mesoreg-core', the name of mesoreg's built-in",
        ),
        # another file with an installed pack's name may be its next version: a warning here,
        # and the registry refuses the two together (test_a_pack_cannot_take_another_packs_name)
        (
            "mesoreg-pack-trichology",
            0,
            "mesoreg-pack-trichology: the installed pack plugin 'trichology'",
        ),
    ],
)
def test_plugins_check_flags_a_pack_that_takes_a_name(
    catalog: Catalog,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    code: int,
    expected: str,
) -> None:
    from mesoreg.command import cli
    from mesoreg.host._plugins import PluginInfo
    from mesoreg.interfaces import _plugin_admin

    installed = PluginInfo(
        "trichology",  # the entry point's name; the pack file calls itself mesoreg-pack-trichology
        "pack",
        distribution="mesoreg-pack-trichology",
        target="mesoreg_pack_trichology:pack.toml",
    )
    monkeypatch.setattr(_plugin_admin, "discover", lambda: [installed])
    record = _override(catalog, "contraindications", "pregnancy", severity=Severity.CONTRAINDICATED)
    path = _write_pack(tmp_path / "p.toml", name, "contraindications", record)
    assert cli.main(["plugins", "check", str(path)]) == code
    err = capsys.readouterr().err
    line = next(x for x in err.splitlines() if expected in x)
    assert line.startswith("error: " if code else "warning: ")


# -- displacement is judged against the limit as its pack first supplied it -------------------


def _limits(catalog: Catalog) -> dict[str, Limit]:
    return {r.id: r for group in catalog.limits.values() for r in group}


def _self_variant(catalog: Catalog, **changes: Any) -> Limit:
    """A lidocaine per-kg variant of this pack's, holding with a ubiquitous co-ingredient."""
    plain = _limits(catalog)["lidocaine_plain_per_kg"]
    fields = {
        "id": "t_lidocaine_variant_per_kg",
        "sources": ("t_source",),
        "maximum": mesoreg.parse_quantity("100 mg/kg"),
        "cap": mesoreg.parse_quantity("100000 mg"),
        "with_ingredient": "epinephrine",
        "with_minimum": mesoreg.parse_quantity("0.001 mg/mL"),
        "origin": "",
        **changes,
    }
    return attrs.evolve(plain, **fields)


def test_restating_a_limit_word_for_word_does_not_make_it_ones_own_to_displace(
    catalog: Catalog,
) -> None:
    """A pack restates lidocaine_plain_per_kg (override, no change) and adds a variant that
    displaces it: the variant is compared with mesoreg-core's limit, and refused."""
    restated = _override(catalog, "limits", "lidocaine_plain_per_kg", origin="")
    message = _refusal(_pack(limits=(restated, _self_variant(catalog))))
    assert (
        "limits.t_lidocaine_variant_per_kg: pack 't-pack' weakens lidocaine_plain_per_kg "
        "from mesoreg-core" in message
    )
    assert "raises maximum from 4.5 mg/kg to 100 mg/kg" in message


def test_restating_the_general_depth_limit_does_not_make_it_ones_own_to_displace(
    catalog: Catalog,
) -> None:
    restated = _override(catalog, "limits", "intradermal_depth", origin="")
    deep = attrs.evolve(
        restated,
        id="t_lidocaine_depth",
        ingredient="lidocaine",
        severity=Severity.INFO,
        maximum=mesoreg.parse_quantity("50 mm"),
        sources=("t_source",),
        override=False,
    )
    message = _refusal(_pack(limits=(restated, deep)))
    assert (
        "limits.t_lidocaine_depth: pack 't-pack' weakens intradermal_depth from mesoreg-core"
        in message
    )
    assert "raises maximum from 4 mm to 50 mm" in message


def test_a_laundered_displacement_never_turns_a_fail_into_a_pass(catalog: Catalog) -> None:
    overdose, heavy = (
        formulation([("lidocaine", "2 %", "100 mL")]),
        patient(HEALTHY, weight="60 kg"),
    )
    assert check_with(overdose, heavy).verdict is Verdict.FAIL
    restated = _override(catalog, "limits", "lidocaine_plain_per_kg", origin="")
    with pytest.raises(InputError, match="weakens lidocaine_plain_per_kg"):
        check_with(
            overdose, heavy, registry=_registry(_pack(limits=(restated, _self_variant(catalog))))
        )


def test_a_displacement_is_compared_with_every_other_packs_record_of_the_limit(
    catalog: Catalog,
) -> None:
    """One pack tightens the plain limit, another adds a variant: the variant is held to
    both the original and the tightened limit."""
    tighter = _override(catalog, "limits", "lidocaine_plain_per_kg", origin="",
                        maximum=mesoreg.parse_quantity("3 mg/kg"))  # fmt: skip
    variant = _self_variant(catalog, maximum=mesoreg.parse_quantity("4 mg/kg"),
                            cap=mesoreg.parse_quantity("300 mg"))  # fmt: skip
    message = _refusal(_pack("t-tight", limits=(tighter,)), _pack("t-variant", limits=(variant,)))
    assert "pack 't-variant' weakens lidocaine_plain_per_kg from t-tight 1.0" in message
    assert "raises maximum from 3 mg/kg to 4 mg/kg" in message
    assert "weakens lidocaine_plain_per_kg from mesoreg-core" not in message  # 4 < 4.5


def test_overriding_a_variant_of_the_same_pack_keeps_it_that_packs_design(
    catalog: Catalog,
) -> None:
    """mesoreg-core's epinephrine variant displaces its own plain limit by design; a pack
    that tightens the variant changes nothing about that."""
    variant = _override(catalog, "limits", "lidocaine_epinephrine_per_kg", origin="",
                        maximum=mesoreg.parse_quantity("6 mg/kg"))  # fmt: skip
    found = _registry(_pack(limits=(variant,))).catalog.overrides
    assert [(o.key, o.is_weakening) for o in found] == [
        ("t-pack:limits.lidocaine_epinephrine_per_kg", False)
    ]


def test_plugins_check_refuses_a_laundered_displacement(
    catalog: Catalog, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mesoreg.command import cli

    restated = _override(catalog, "limits", "lidocaine_plain_per_kg", origin="")
    path = tmp_path / "launder.toml"
    data = {
        "schema_version": 1,
        "pack": {"name": "launder", "version": "1.0", "licence": "CC0-1.0"},
        "sources": [_plain(unstructure(SOURCE))],
        "limits": [_plain(unstructure(r)) for r in (restated, _self_variant(catalog))],
    }
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    assert cli.main(["plugins", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "limits.t_lidocaine_variant_per_kg: pack 'launder' weakens lidocaine_plain_per_kg" in err


# -- pack names: one strict form for every pack, compared by how they look ----------------------


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("mesoreg-core\u200b", "pack name 'mesoreg-core\\u200b' must be lowercase ASCII"),
        ("mesoreg-core\n", "pack name 'mesoreg-core\\n' must be lowercase ASCII"),
        ("Mesoreg-Core", "pack name 'Mesoreg-Core' must be lowercase ASCII"),
        ("mesoreg_core", "pack name 'mesoreg_core' must be lowercase ASCII"),
        ("mesoreg-c0re", "calls its pack 'mesoreg-c0re', which looks like 'mesoreg-core'"),
        ("mesoregcore", "calls its pack 'mesoregcore', which looks like 'mesoreg-core'"),
        ("rnesoreg-core", "calls its pack 'rnesoreg-core', which looks like 'mesoreg-core'"),
    ],
)
def test_a_code_plugins_pack_cannot_look_like_mesoreg_core(name: str, why: str) -> None:
    plugin = types.ModuleType("spoofer")
    pack = Pack(name=name, version="0.1.0", sources=(SOURCE,))
    plugin.mesoreg_rule_packs = mesoreg.hookimpl(lambda: [pack])  # type: ignore[attr-defined]
    with pytest.raises(InputError) as caught:
        make_registry([plugin]).catalog  # noqa: B018
    assert why in str(caught.value)


@pytest.mark.parametrize("version", ["0.1.0 (reviewed)", "0.1.0\u200b", "", "1.0\x1b[2K"])
def test_a_pack_version_is_plain_ascii(version: str) -> None:
    with pytest.raises(InputError, match="must be ASCII letters, digits"):
        build_catalog([Pack(name="t-pack", version=version, sources=(SOURCE,))])


def test_two_packs_named_alike_are_refused() -> None:
    registry = make_registry([PackPlugin(_pack("t-pack-a")), PackPlugin(_pack("t-packa"))])
    with pytest.raises(InputError, match=r"two packs are named alike \('t-pack-a', 't-packa'\)"):
        registry.catalog  # noqa: B018


def test_a_data_pack_name_follows_the_same_form(tmp_path: Path) -> None:
    from mesoreg.knowledge._pack import load_pack_document

    path = _write_pack(tmp_path / "p.toml", "my_pack", "sources", SOURCE)
    with pytest.raises(
        InputError, match=re.escape("pack.name: pack name 'my_pack' must be lowercase ASCII")
    ):
        load_pack_document(path)


def test_a_code_plugins_records_cannot_bring_their_own_origin(catalog: Catalog) -> None:
    """Findings name the pack and plugin the rule came from, whatever origin it claims."""
    rule = attrs.evolve(
        _override(catalog, "contraindications", "pregnancy"),
        id="t_rule", code="MR-T-RULE", override=False, sources=("t_source",),
        origin="mesoreg-core 0.1.0 (mesoreg/knowledge/data/contraindications.toml)",
    )  # fmt: skip
    plugin = types.ModuleType("t-plugin")
    pack = _pack("t-rules", contraindications=(rule,))
    plugin.mesoreg_rule_packs = mesoreg.hookimpl(lambda: [pack])  # type: ignore[attr-defined]
    report = check_with(HYALURONIC, PREGNANT, plugins=[plugin])
    (finding,) = [f for f in report.findings if f.rule == "t_rule"]
    assert finding.provider == "t-rules 1.0"
    registry = make_registry([plugin])
    assert registry.catalog.contraindications  # built
    (stamped,) = [r for r in registry.catalog.contraindications if r.id == "t_rule"]
    assert stamped.origin == "t-rules 1.0 (plugin t-plugin)"


def test_a_code_plugins_records_are_checked_like_a_data_packs(catalog: Catalog) -> None:
    """The converter checks a data pack's numbers and facts; a code plugin's are checked
    when the catalog is built (here: a variant limit with no least strength)."""
    plugin = types.ModuleType("t-plugin")
    pack = _pack(limits=(_self_variant(catalog, with_minimum=None),))
    plugin.mesoreg_rule_packs = mesoreg.hookimpl(lambda: [pack])  # type: ignore[attr-defined]
    with pytest.raises(InputError) as caught:
        make_registry([plugin]).catalog  # noqa: B018
    assert (
        "packs.'t-pack'.limits[0].with_minimum: a limit that holds only with 'epinephrine' "
        "needs the least concentration at which it does"
    ) in str(caught.value)
