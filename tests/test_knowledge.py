"""The knowledge base in use: a real, sourced finding for every ingredient class."""

from __future__ import annotations

import pytest

from mesoreg.testing import HEALTHY, check_with, formulation, patient

CASES = [
    # (class, components, patient facts, expected code)
    ("vitamin", [("vitamin C", "500 mg/mL", "0.5 mL")], {"conditions": ["G6PD deficiency"]}, None),
    (
        "amino_acid",
        [("arginine", "100 mg/mL", "1 mL")],
        {"conditions": ["chronic kidney disease"]},
        None,
    ),
    (
        "enzyme",
        [("collagenase clostridium histolyticum", "0.9 mg/mL", "0.25 mL")],
        {"medications": [{"name": "Eliquis"}]},
        None,
    ),
    ("lipolytic", [("Kybella", "10 mg/mL", "2 mL")], {"conditions": ["dysphagia"]}, None),
    (
        "plant_extract",
        [("green tea extract", "10 mg/mL", "1 mL")],
        {"conditions": ["cirrhosis"]},
        "MR-CI-GREEN-TEA-LIVER",
    ),
    (
        "local_anaesthetic",
        [("procaine", "1 %", "2 mL")],
        {"conditions": ["pseudocholinesterase deficiency"]},
        "MR-CI-ESTER-LA-CHOLINESTERASE",
    ),
    (
        "methylxanthine",
        [("theophylline", "20 mg/mL", "1 mL")],
        {"conditions": ["epilepsy"]},
        "MR-CI-THEOPHYLLINE-CONDITION",
    ),
    (
        "skin",
        [("tranexamic acid", "100 mg/mL", "1 mL")],
        {"medications": [{"name": "Yasmin"}]},
        "MR-IX-TXA-HORMONAL-CONTRACEPTIVE",
    ),
    (
        "vasoactive",
        [("pentoxifylline", "20 mg/mL", "1 mL")],
        {"medications": [{"name": "warfarin"}]},
        "MR-IX-PENTOXIFYLLINE-BLEEDING",
    ),
]


@pytest.mark.parametrize(("cls", "components", "facts", "code"), CASES, ids=[c[0] for c in CASES])
def test_each_ingredient_class_yields_a_sourced_finding(registry, cls, components, facts, code):
    f = formulation(
        components, use={"route": "subcutaneous" if cls == "lipolytic" else "intradermal"}
    )
    report = check_with(f, patient(HEALTHY, **facts), registry=registry)
    ingredient = registry.catalog.get_ingredient(components[0][0])
    assert cls in ingredient.classes
    own = [
        x
        for x in report.findings
        if ingredient.id in x.components and x.code not in ("MR-IX-COMPATIBILITY-UNKNOWN",)
    ]
    assert own, f"no finding for {ingredient.id}: {[x.code for x in report.findings]}"
    if code:
        assert code in {x.code for x in own}
    for finding in own:
        assert finding.sources, finding.code
        assert finding.evidence_level
    # a medicine without a sourced dose limit leaves its dose not checked, nothing else
    assert [u for u in report.unchecked if not u.rule.endswith(":dose")] == []


def test_counts_meet_the_knowledge_base_goals(catalog):
    assert len(catalog.ingredients) >= 40
    assert len(catalog.contraindications) >= 40
    assert len(catalog.interactions) >= 40
    classes = {c for i in catalog.ingredients.values() for c in i.classes}
    assert {
        "vitamin",
        "amino_acid",
        "enzyme",
        "lipolytic",
        "plant_extract",
        "local_anaesthetic",
        "methylxanthine",
        "vasoactive",
        "skin",
    } <= classes


def test_severities_rank_from_the_most_severe():
    from mesoreg.documents._knowledge import Severity

    assert [s.rank for s in Severity] == list(range(len(Severity)))
    shuffled = [Severity.INFO, Severity.MAJOR, Severity.MINOR, Severity.CONTRAINDICATED]
    assert sorted([*shuffled, Severity.MODERATE], key=lambda s: s.rank) == [
        Severity.CONTRAINDICATED,
        Severity.MAJOR,
        Severity.MODERATE,
        Severity.MINOR,
        Severity.INFO,
    ]
