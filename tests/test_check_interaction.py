"""Interactions: ingredient pairs, same-syringe incompatibility, compatibility, medications."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mesoreg import Severity, Verdict
from mesoreg.testing import HEALTHY, check_with, formulation, patient


def codes(report):  # type: ignore[no-untyped-def]
    return {f.code for f in report.findings}


HA = ("hyaluronic acid", "20 mg/mL", "1 mL")
HYAL = ("hyaluronidase", "150 [USP'U]/mL", "1 mL")
LIDO = ("lidocaine", "1 %", "1 mL")


def test_same_syringe_incompatibility_only_in_one_syringe(registry):
    together = formulation([HA, HYAL])
    apart = formulation([HA], [HYAL])
    code = "MR-IX-HYALURONIDASE-HYALURONIC-ACID"
    assert code in codes(check_with(together, None, registry=registry))
    assert code not in codes(check_with(apart, None, registry=registry))


def test_session_interaction_across_syringes(registry):
    report = check_with(formulation([HYAL], [LIDO]), None, registry=registry)
    (finding,) = [f for f in report.findings if f.code == "MR-IX-HYALURONIDASE-ANAESTHETIC"]
    assert finding.evidence == "Hyaluronidase and Lidocaine hydrochloride in the same session"
    assert finding.components == ("hyaluronidase", "lidocaine")


def test_two_local_anaesthetics_are_additive(registry):
    report = check_with(formulation([LIDO], [("procaine", "1 %", "1 mL")]), None, registry=registry)
    assert "MR-IX-LOCAL-ANAESTHETICS-ADDITIVE" in codes(report)


def test_unknown_compatibility_is_an_info_finding_never_silence(registry):
    report = check_with(
        formulation([("pyridoxine", "100 mg/mL", "1 mL"), ("biotin", "5 mg/mL", "1 mL")]),
        None,
        registry=registry,
    )
    (finding,) = report.findings
    assert finding.severity is Severity.INFO
    assert finding.code == "MR-IX-COMPATIBILITY-UNKNOWN"
    assert report.verdict is Verdict.PASS


def test_vehicles_and_co_ingredients_need_no_compatibility_data(registry):
    lido_epi = {
        "ingredient": "lidocaine",
        "strength": "2 %",
        "volume": "1 mL",
        "co_ingredients": [{"ingredient": "epinephrine", "strength": "1:200000"}],
    }
    report = check_with(
        formulation([lido_epi, ("saline", "0.9 %", "1 mL")]), None, registry=registry
    )
    assert "MR-IX-COMPATIBILITY-UNKNOWN" not in codes(report)


def test_admixture_of_deoxycholic_acid_with_anything(registry):
    f = formulation(
        [("Kybella", "10 mg/mL", "1 mL"), ("saline", "0.9 %", "1 mL")],
        use={"route": "subcutaneous"},
    )
    assert "MR-IX-DEOXYCHOLIC-ADMIXTURE" in codes(check_with(f, None, registry=registry))


def test_medication_interaction_through_brand_name(registry):
    f = formulation([("aminophylline", "25 mg/mL", "1 mL")])
    report = check_with(f, patient(HEALTHY, medications=[{"name": "Luvox"}]), registry=registry)
    (finding,) = [x for x in report.findings if x.code == "MR-IX-THEOPHYLLINE-CYP1A2"]
    assert finding.evidence == "Aminophylline with Luvox (cyp1a2 inhibitor)"
    assert finding.severity is Severity.MAJOR


def test_medication_interaction_with_a_particular_drug(registry):
    report = check_with(
        formulation([LIDO]), patient(HEALTHY, medications=[{"name": "Pacerone"}]), registry=registry
    )
    assert "MR-IX-LIDOCAINE-AMIODARONE" in codes(report)


def test_epinephrine_with_maoi(registry):
    lido_epi = {
        "ingredient": "lidocaine",
        "strength": "2 %",
        "volume": "1 mL",
        "co_ingredients": [{"ingredient": "adrenaline", "strength": "1:100000"}],
    }
    report = check_with(
        formulation([lido_epi]),
        patient(HEALTHY, medications=[{"name": "Nardil"}]),
        registry=registry,
    )
    assert "MR-IX-EPINEPHRINE-MAOI" in codes(report)
    plain = check_with(
        formulation([LIDO]), patient(HEALTHY, medications=[{"name": "Nardil"}]), registry=registry
    )
    assert "MR-IX-EPINEPHRINE-MAOI" not in codes(plain)


def test_medication_rules_need_the_medication_list(registry):
    report = check_with(
        formulation([("caffeine", "20 mg/mL", "1 mL")]),
        patient(HEALTHY, medications=None),
        registry=registry,
    )
    assert "caffeine_cyp1a2_inhibitor" in {u.rule for u in report.unchecked}
    assert report.verdict is Verdict.NOT_VALIDATED


# -- bounded work: findings grow with preparations and rules, not with pairs ------


def _vitamin_pack(tmp_path, count):  # type: ignore[no-untyped-def]
    lines = [
        "schema_version = 1",
        '[pack]\nname = "many-vitamins"\nversion = "1"\nlicence = "CC0-1.0"',
        '[[sources]]\nid = "many_source"\ntitle = "A test source"\nissuer = "Tests"',
        'date = "2026"\nkind = "expert_opinion"',
    ]
    for i in range(count):
        lines.append(
            f'[[ingredients]]\nid = "test_vitamin_{i:03}"\nname = "Test vitamin {i:03}"\n'
            'classes = ["vitamin"]\nsources = ["many_source"]'
        )
    path = tmp_path / "many.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _unknown(report):  # type: ignore[no-untyped-def]
    return [f for f in report.findings if f.code == "MR-IX-COMPATIBILITY-UNKNOWN"]


def test_unknown_compatibility_is_one_finding_per_preparation(tmp_path, mesoreg_registry):
    registry = mesoreg_registry(_vitamin_pack(tmp_path, 200))
    components = [(f"test_vitamin_{i:03}", "1 mg/mL", "0.01 mL") for i in range(200)]
    preparations = (components[:100], components[100:])
    report = check_with(formulation(*preparations), None, registry=registry)
    found = _unknown(report)
    assert len(found) <= len(preparations)
    first = found[0]
    assert first.message == (
        "Compatibility of 4950 pairs of ingredients in one syringe is not established."
    )
    assert first.components == tuple(f"test_vitamin_{i:03}" for i in range(100))
    assert first.evidence.startswith(
        "in 'syringe 1': Test vitamin 000 and Test vitamin 001; Test vitamin 000 and "
    )
    assert first.evidence.endswith("; and 4930 more pairs; no compatibility data in the catalog")
    assert report.verdict is Verdict.PASS


def test_repeated_components_are_one_pair_not_many(registry):
    pair = [("pyridoxine", "100 mg/mL", "0.01 mL"), ("biotin", "5 mg/mL", "0.01 mL")]
    report = check_with(formulation(pair * 100), None, registry=registry)
    (finding,) = _unknown(report)
    biotin, pyridoxine = (report_name(registry, i) for i in ("biotin", "pyridoxine"))
    assert finding.message == (
        f"Compatibility of {biotin} and {pyridoxine} in one syringe is not established."
    )
    assert finding.evidence == (
        f"{biotin} and {pyridoxine} share 'syringe 1'; no compatibility data in the catalog"
    )
    assert finding.components == ("biotin", "pyridoxine")


def test_an_ingredient_rule_is_one_finding_listing_its_pairs(registry):
    procaine = ("procaine", "1 %", "1 mL")
    report = check_with(formulation([HYAL, LIDO], [procaine]), None, registry=registry)
    (finding,) = [f for f in report.findings if f.code == "MR-IX-HYALURONIDASE-ANAESTHETIC"]
    assert finding.evidence == (
        "Hyaluronidase and Lidocaine hydrochloride in the same syringe; "
        f"Hyaluronidase and {report_name(registry, 'procaine')} in the same session"
    )
    assert finding.components == ("hyaluronidase", "lidocaine", "procaine")


def report_name(registry, ingredient_id):  # type: ignore[no-untyped-def]
    return registry.catalog.ingredients[ingredient_id].name


@settings(max_examples=60)
@given(data=st.data())
def test_unknown_pairs_are_every_pair_without_data(catalog, data):  # type: ignore[no-untyped-def]
    """The counted pairs are exactly those the definition gives, pair by pair: not one
    maker's product, not spoken of by a same-syringe rule, not published as compatible."""
    from itertools import combinations

    from mesoreg.checks._check_interaction import MAX_LISTED_PAIRS, _unknown_pairs

    pool = sorted(catalog.ingredients)
    ids = data.draw(st.lists(st.sampled_from(pool), min_size=0, max_size=14, unique=True))
    active = sorted((catalog.ingredients[i] for i in ids), key=lambda i: i.id)
    makers = st.sets(st.sampled_from(["p1", "p2", "p3"]), min_size=1, max_size=2)
    products = {i: data.draw(makers) for i in ids}
    pairs = list(combinations(sorted(ids), 2))
    ruled = set(data.draw(st.lists(st.sampled_from(pairs), max_size=5))) if pairs else set()

    def unknown(a: str, b: str) -> bool:
        same = len(products[a]) == 1 and products[a] == products[b]
        return not same and (a, b) not in ruled and not catalog.is_compatible(a, b)

    expected = [(a, b) for a, b in pairs if unknown(a, b)]
    count, first, involved = _unknown_pairs(active, products, ruled, catalog)
    assert count == len(expected)
    assert [(a.id, b.id) for a, b in first] == expected[: MAX_LISTED_PAIRS + 1]
    assert involved == tuple(sorted({i for pair in expected for i in pair}))
