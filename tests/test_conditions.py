"""Patient conditions: ICD-10 codes, the hierarchy rules read, history vs active, fail-closed."""

from __future__ import annotations

import json

import attrs
import pytest

from mesoreg import Verdict
from mesoreg._errors import InputError
from mesoreg.command.cli import main
from mesoreg.documents._knowledge import Condition, Fact, Pack
from mesoreg.knowledge._catalog import Catalog, build_catalog
from mesoreg.knowledge._condition import Relation
from mesoreg.knowledge._icd10 import in_range, overlap, parse_code, parse_range, split_code
from mesoreg.testing import HEALTHY, check_with, formulation, patient

VITAMINS = formulation([("pyridoxine", "100 mg/mL", "1 mL")])
PENTOXIFYLLINE = formulation([("pentoxifylline", "20 mg/mL", "1 mL")])


def codes(report):  # type: ignore[no-untyped-def]
    return {f.code for f in report.findings}


def unchecked_rules(report):  # type: ignore[no-untyped-def]
    return {u.rule for u in report.unchecked}


# -- reading codes -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I63.9", "I63.9"),
        ("i63.9", "I63.9"),
        ("I639", "I63.9"),
        ("ICD-10:I63.9", "I63.9"),
        ("ICD10:I63.9", "I63.9"),
        ("icd-10 i63.9", "I63.9"),
        ("ICD-10: I63.9", "I63.9"),
        ("B00.1\u2020", "B00.1"),
        ("G45", "G45"),
        ("I63.999", None),
        ("ICD-10-CM:I63.9", None),
        ("SNOMED:230690007", None),
        ("stroke", None),
        ("T1DM", None),
        ("63.9", None),
    ],
)
def test_parse_code(text: str, expected: str | None) -> None:
    assert parse_code(text) == expected


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("I63", ("I63", "I63")),
        ("I60-I64", ("I60", "I64")),
        ("I69.0-I69.4", ("I69.0", "I69.4")),
        ("i63", None),  # the data must be canonical
        ("I64-I60", None),
        ("I60-I69.4", None),
        ("I60-", None),
        ("ICD-10:I63", None),
    ],
)
def test_parse_range(spec: str, expected: tuple[str, str] | None) -> None:
    assert parse_range(spec) == expected


@pytest.mark.parametrize(
    ("code", "spec", "inside"),
    [
        ("I63.9", ("I60", "I64"), True),
        ("I64", ("I60", "I64"), True),
        ("I65", ("I60", "I64"), False),
        ("I69.3", ("I69.0", "I69.4"), True),
        ("I69.8", ("I69.0", "I69.4"), False),
        ("I69", ("I69.0", "I69.4"), False),  # less specific than the range
        ("C91.0", ("C00", "C97"), True),
        ("D00.0", ("C00", "C97"), False),
    ],
)
def test_in_range(code: str, spec: tuple[str, str], inside: bool) -> None:
    assert in_range(code, spec) is inside


def test_overlap() -> None:
    assert overlap(("I60", "I64"), ("I61", "I61"))
    assert overlap(("I69", "I69"), ("I69.8", "I69.8"))
    assert not overlap(("I69.0", "I69.4"), ("I69.5", "I69.9"))
    assert not overlap(("L00", "L08"), ("L10", "L14"))


# -- codes and names to conditions ---------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("I63.9", "ischaemic_stroke"),
        ("ICD-10:I61.0", "cerebral_haemorrhage"),
        ("I60.9", "subarachnoid_haemorrhage"),
        ("I62.0", "haemorrhagic_stroke"),
        ("I64", "stroke"),
        ("I69.3", "stroke"),
        ("G45.9", "transient_ischaemic_attack"),
        ("C50.9", "breast_cancer"),
        ("C81.9", "hodgkin_lymphoma"),
        ("C83.3", "non_hodgkin_lymphoma"),
        ("C92.0", "leukaemia"),
        ("C71.9", "cancer"),
        ("Z85.3", "cancer_history"),
        ("B18.2", "hepatitis"),
        ("K74.6", "cirrhosis"),
        ("K76.0", "fatty_liver"),
        ("K72.9", "liver_disease"),
        ("N18.5", "chronic_kidney_disease"),
        ("N04.9", "nephrotic_syndrome"),
        ("N17.9", "acute_kidney_injury"),
        ("L40.0", "psoriasis"),
        ("L20.9", "atopic_dermatitis"),
        ("L30.9", "dermatitis"),
        ("L70.0", "acne"),
        ("L71.9", "rosacea"),
        ("L01.0", "impetigo"),
        ("B00.1", "herpes_active"),
        ("I50.0", "heart_failure"),
        ("E10.9", "insulin_dependent_diabetes"),
        ("D68.0", "bleeding_disorder"),
        ("D68.5", "thromboembolism_history"),
        ("I49.5", "heart_block"),
        ("I48", "cardiac_arrhythmia"),
        ("ischaemic stroke", "ischaemic_stroke"),
        ("Haemorrhagic stroke", "haemorrhagic_stroke"),
        ("TIA", "transient_ischaemic_attack"),
        ("non-Hodgkin's lymphoma", "non_hodgkin_lymphoma"),
        ("leukemia", "leukaemia"),
        ("hepatitis C", "hepatitis"),
        ("eczema", "dermatitis"),
        ("history of cold sores", "herpes_history"),
        ("heart failure", "heart_failure"),
    ],
)
def test_names_and_codes_resolve(catalog: Catalog, written: str, expected: str) -> None:
    found = catalog.find_condition(written)
    assert found is not None and found.id == expected


@pytest.mark.parametrize("written", ["J45", "ICD-10:J45.9", "I69", "D00.0", "Z86.1", "asthma"])
def test_codes_and_names_of_nothing_known_find_nothing(catalog: Catalog, written: str) -> None:
    assert catalog.find_condition(written) is None


@pytest.mark.parametrize(
    ("condition", "rule_value", "relation"),
    [
        ("ischaemic_stroke", "stroke", Relation.IS),
        ("cerebral_haemorrhage", "stroke", Relation.IS),
        ("subarachnoid_haemorrhage", "stroke", Relation.IS),
        ("transient_ischaemic_attack", "stroke", None),  # no source makes a TIA a stroke
        ("ischaemic_stroke", "cerebral_haemorrhage", None),
        ("stroke", "cerebral_haemorrhage", Relation.MAY_BE),  # which kind is not stated
        ("hodgkin_lymphoma", "cancer", Relation.IS),
        ("cancer_history", "cancer", Relation.MAY_BE),
        ("heart_failure", "severe_heart_disease", Relation.MAY_BE),
        ("atopic_dermatitis", "active_skin_disease", Relation.MAY_BE),
        ("impetigo", "active_skin_disease", Relation.IS),
        ("impetigo", "infection_at_injection_site", Relation.MAY_BE),
        ("herpes_history", "herpes_active", None),
        ("herpes_active", "herpes_history", None),
        ("hepatitis", "liver_disease", Relation.IS),
        ("chronic_kidney_disease", "kidney_disease", Relation.IS),
        ("oxalate_kidney_stones", "kidney_disease", None),
    ],
)
def test_relations(
    catalog: Catalog, condition: str, rule_value: str, relation: Relation | None
) -> None:
    assert catalog.condition_relation(condition, rule_value) is relation


# -- rules fire for every kind of their condition (data test per rule class) ---------


def _general_condition_rules(catalog: Catalog) -> list[tuple[str, str, str]]:
    """(rule code, rule condition, a condition that is a kind of it) for unscoped rules."""
    cases = []
    for rule in catalog.contraindications:
        if rule.fact is not Fact.CONDITION or rule.ingredients or rule.ingredient_classes:
            continue
        for c in catalog.conditions.values():
            if catalog.condition_relation(c.id, rule.value) is Relation.IS:
                cases.append((rule.code, rule.value, c.id))
    return cases


def test_every_kind_of_a_condition_fires_its_rules_by_name_and_by_code(registry) -> None:  # type: ignore[no-untyped-def]
    catalog = registry.catalog
    cases = _general_condition_rules(catalog)
    assert ("MR-CI-STROKE", "stroke", "ischaemic_stroke") in cases
    missed = []
    for code, _, condition_id in cases:
        condition = catalog.conditions[condition_id]
        written = [condition.name, *(c.partition("-")[0] for c in condition.codes[:1])]
        for text in written:
            report = check_with(VITAMINS, patient(HEALTHY, conditions=[text]), registry=registry)
            if code not in codes(report) or report.verdict is Verdict.PASS:
                missed.append((code, text))
    assert missed == []


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("haemorrhagic stroke", "MR-CI-STROKE"),
        ("ischaemic stroke", "MR-CI-STROKE"),
        ("I63.9", "MR-CI-STROKE"),
        ("ICD-10:I61.9", "MR-CI-STROKE"),
        ("breast cancer", "MR-CI-CANCER"),
        ("C50.9", "MR-CI-CANCER"),
        ("Hodgkin lymphoma", "MR-CI-CANCER"),
        ("chronic lymphocytic leukaemia", "MR-CI-CANCER"),
        ("hepatitis B", "MR-CI-LIVER"),
        ("liver cirrhosis", "MR-CI-LIVER"),
        ("nephrotic syndrome", "MR-CI-KIDNEY"),
        ("N18.4", "MR-CI-KIDNEY"),
        ("impetigo", "MR-CI-SKIN-DISEASE"),
        ("psoriasis flare", "MR-CI-SKIN-DISEASE"),
        ("history of cold sores", "MR-CI-HERPES-HISTORY"),
    ],
)
def test_realistic_conditions_fire(registry, written: str, code: str) -> None:  # type: ignore[no-untyped-def]
    report = check_with(VITAMINS, patient(HEALTHY, conditions=[written]), registry=registry)
    assert code in codes(report)
    assert report.verdict is not Verdict.PASS


def test_evidence_names_the_concept_the_rule_is_on(registry) -> None:  # type: ignore[no-untyped-def]
    report = check_with(VITAMINS, patient(HEALTHY, conditions=["I63.9"]), registry=registry)
    (finding,) = [f for f in report.findings if f.code == "MR-CI-STROKE"]
    assert finding.evidence == (
        "patient has 'I63.9' (Ischaemic stroke (cerebral infarction), a kind of history of stroke)"
    )


# -- history vs active, severity not stated ---------------------------------------


def test_history_of_cold_sores_is_not_active_herpes(registry) -> None:  # type: ignore[no-untyped-def]
    report = check_with(
        VITAMINS, patient(HEALTHY, conditions=["history of cold sores"]), registry=registry
    )
    assert "MR-CI-HERPES" not in codes(report)
    assert "herpes_active" not in unchecked_rules(report)


@pytest.mark.parametrize(
    ("written", "rule", "code"),
    [
        ("heart failure", "severe_heart_disease", "MR-CI-HEART-DISEASE"),
        ("I50.9", "severe_heart_disease", "MR-CI-HEART-DISEASE"),
        ("psoriasis", "active_skin_disease", "MR-CI-SKIN-DISEASE"),
        ("atopic eczema", "active_skin_disease", "MR-CI-SKIN-DISEASE"),
        ("rosacea", "active_skin_disease", "MR-CI-SKIN-DISEASE"),
        ("acne", "active_skin_disease", "MR-CI-SKIN-DISEASE"),
        ("history of cancer", "cancer", "MR-CI-CANCER"),
    ],
)
def test_severity_or_activity_not_stated_is_not_checked(registry, written, rule, code) -> None:  # type: ignore[no-untyped-def]
    report = check_with(VITAMINS, patient(HEALTHY, conditions=[written]), registry=registry)
    assert code not in codes(report)
    assert rule in unchecked_rules(report)
    assert report.verdict is Verdict.NOT_VALIDATED
    (gap,) = [u for u in report.unchecked if u.rule == rule]
    assert "the file does not say whether it is" in gap.reason
    assert f"list '{rule}' if it applies" in gap.reason


def test_heart_failure_message(registry) -> None:  # type: ignore[no-untyped-def]
    report = check_with(VITAMINS, patient(HEALTHY, conditions=["heart failure"]), registry=registry)
    (gap,) = [u for u in report.unchecked if u.rule == "severe_heart_disease"]
    assert gap.reason == (
        "patient has 'heart failure' (Heart failure (severity not stated)); the file does not "
        "say whether it is severe heart disease (its kind, severity or stage is not stated): "
        "review it, and list 'severe_heart_disease' if it applies"
    )


def test_stated_condition_settles_what_a_may_be_leaves_open(registry) -> None:  # type: ignore[no-untyped-def]
    sick = patient(HEALTHY, conditions=["heart failure", "severe heart disease"])
    report = check_with(VITAMINS, sick, registry=registry)
    assert "MR-CI-HEART-DISEASE" in codes(report)
    assert "severe_heart_disease" not in unchecked_rules(report)


def test_broader_condition_leaves_a_narrower_rule_not_checked(registry) -> None:  # type: ignore[no-untyped-def]
    stroke = check_with(PENTOXIFYLLINE, patient(HEALTHY, conditions=["stroke"]), registry=registry)
    assert "pentoxifylline_cerebral_haemorrhage" in unchecked_rules(stroke)
    assert "MR-CI-STROKE" in codes(stroke)
    ischaemic = check_with(
        PENTOXIFYLLINE, patient(HEALTHY, conditions=["I63.9"]), registry=registry
    )
    assert "pentoxifylline_cerebral_haemorrhage" not in unchecked_rules(ischaemic)
    assert "MR-CI-PENTOXIFYLLINE-CEREBRAL-HAEMORRHAGE" not in codes(ischaemic)


def test_tia_is_known_and_not_a_stroke(registry) -> None:  # type: ignore[no-untyped-def]
    report = check_with(VITAMINS, patient(HEALTHY, conditions=["TIA"]), registry=registry)
    assert "MR-CI-STROKE" not in codes(report)
    assert report.unchecked == ()


# -- unknown conditions fail closed ---------------------------------------------


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        (
            "ICD-10:J45.9",
            "condition 'ICD-10:J45.9' (ICD-10 J45.9) is not a code of any condition in the "
            "vocabulary; cannot tell which rules it triggers (give the condition's name, see "
            "'mesoreg catalog conditions')",
        ),
        (
            "ICD-10:stroke",
            "condition 'ICD-10:stroke' is not a WHO ICD-10 code (a letter, two digits, "
            "optionally a point and one or two digits); cannot tell which rules it triggers",
        ),
        (
            "cirrhosys",
            "condition 'cirrhosys' is not in the vocabulary (did you mean cirrhosis?); cannot "
            "tell which rules it triggers (see 'mesoreg catalog conditions')",
        ),
        (
            "asthma",
            "condition 'asthma' is not in the vocabulary; cannot tell which rules it triggers "
            "(see 'mesoreg catalog conditions')",
        ),
    ],
)
def test_unknown_conditions_are_not_checked(registry, written: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    report = check_with(VITAMINS, patient(HEALTHY, conditions=[written]), registry=registry)
    assert report.verdict is Verdict.NOT_VALIDATED
    assert [u.reason for u in report.unchecked if u.rule == "conditions"] == [reason]


@pytest.mark.parametrize(
    ("typo", "expected"),
    [
        ("cirrhosys", ["cirrhosis"]),
        ("psoriasys", ["psoriasis"]),
        ("leukaemai", ["leukaemia"]),
        ("asthma", []),  # never 'arrhythmia'
        ("hyaluronik", []),
        ("anaemia", []),  # never 'angina' or 'leukaemia'
        ("hypertension crisis", []),
    ],
)
def test_suggestions_are_close_spellings_only(
    catalog: Catalog, typo: str, expected: list[str]
) -> None:
    assert catalog.suggest_condition(typo) == expected


# -- the vocabulary is checked when the catalog is built ---------------------------


def _build(*conditions: Condition) -> Catalog:
    return build_catalog([Pack(name="test-pack", version="1", conditions=conditions)])


def test_a_valid_little_hierarchy_builds() -> None:
    catalog = _build(
        Condition("stroke", "Stroke", codes=("I60-I64",)),
        Condition("ischaemic_stroke", "Ischaemic stroke", codes=("I63",), broader=("stroke",)),
    )
    found = catalog.find_condition("I63.5")
    assert found is not None and found.id == "ischaemic_stroke"


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        (
            [Condition("a", "A", codes=("I6",))],
            "conditions.a: code 'I6' is not a WHO ICD-10 code or range.",
        ),
        (
            [Condition("a", "A", broader=("b",))],
            "conditions.a: broader names unknown condition 'b'.",
        ),
        (
            [Condition("a", "A", may_be=("a",))],
            "conditions.a: may_be names unknown condition 'a'.",
        ),
        (
            [Condition("a", "A", broader=("b",)), Condition("b", "B", broader=("a",))],
            "conditions.a: is, through broader, a kind of itself.",
        ),
        (
            [Condition("a", "A", aliases=("I63",))],
            "conditions.a: name 'I63' reads as an ICD-10 code.",
        ),
        (
            [Condition("a", "A", codes=("I60-I64",)), Condition("b", "B", codes=("I63",))],
            "conditions.a: codes I60-I64 overlap codes I63-I63 of 'b', and neither condition "
            "is a kind of the other.",
        ),
        (
            [Condition("a", "A"), Condition("b", "B", broader=("a",), may_be=("a",))],
            "conditions.b: may_be names a condition it already is a kind of.",
        ),
    ],
)
def test_bad_vocabulary_is_refused(conditions: list[Condition], message: str) -> None:
    with pytest.raises(InputError) as caught:
        _build(*conditions)
    assert message in str(caught.value)


# -- data ----------------------------------------------------------------------

#: conditions without an ICD-10 code, each for a stated reason (a new one must be added here)
UNCODED = {
    "severe_heart_disease": "a severity grouping; ICD-10 codes carry no severity",
    "active_skin_disease": "a status grouping; reached through its names and may_be",
    "infection_at_injection_site": "a site, not a diagnosis",
    "herpes_history": "Z86.1 covers every infectious disease in the past",
    "digitalis_intoxication": "T46.0 covers every cardiac glycoside and similar drugs",
    "pseudocholinesterase_deficiency": "no WHO ICD-10 code found for exactly it",
    "sulfite_sensitivity": "no WHO ICD-10 code found for exactly it",
    "pheochromocytoma": "coded by behaviour and site (C74.1, D35.0), not as such",
    "hemochromatosis": "E83.1 covers every disorder of iron metabolism",
    "cobalt_sensitivity": "no WHO ICD-10 code found for exactly it",
    "leber_disease": "H47.2 covers every optic atrophy",
}


def test_every_condition_has_a_code_or_a_reason(catalog: Catalog) -> None:
    uncoded = {c.id for c in catalog.conditions.values() if not c.codes}
    assert uncoded == set(UNCODED)


def test_every_condition_code_is_canonical(catalog: Catalog) -> None:
    bad = [(c.id, s) for c in catalog.conditions.values() for s in c.codes if not parse_range(s)]
    assert bad == []


def test_every_code_of_a_condition_maps_back_to_it_or_a_narrower_one(catalog: Catalog) -> None:
    wrong = []
    for c in catalog.conditions.values():
        for spec in c.codes:
            low = spec.partition("-")[0]
            found = catalog.find_condition(low)
            if found is None or catalog.condition_relation(found.id, c.id) is not Relation.IS:
                wrong.append((c.id, low, found and found.id))
    assert wrong == []


# -- mesoreg catalog conditions ---------------------------------------------------


def test_cli_finds_a_condition_by_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--no-plugins", "catalog", "conditions", "I63.9"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "ischaemic_stroke  Ischaemic stroke (cerebral infarction)  [ICD-10 I63]\n"
    )
    assert "    a kind of: stroke\n" in out
    assert "    rules: MR-CI-STROKE\n" in out


def test_cli_lists_what_a_condition_leaves_not_checked(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--no-plugins", "catalog", "conditions", "heart failure", "--format", "json"]) == 0
    out = capsys.readouterr().out
    (row,) = [r for r in json.loads(out) if r["id"] == "heart_failure"]
    assert row["icd10"] == ["I50"]
    assert row["may_be"] == ["severe_heart_disease"]
    assert row["rules"] == []
    assert "MR-CI-HEART-DISEASE" in row["not_checked_by"]


def test_cli_reports_no_match(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--no-plugins", "catalog", "conditions", "zzz"]) == 0
    assert capsys.readouterr().out == "no condition matches 'zzz'\n"


# -- a code beside a name -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ischaemic stroke (I63.9)", ("ischaemic stroke", "I63.9")),
        ("stroke [ICD-10:I63.9]", ("stroke", "ICD-10:I63.9")),
        ("I63.9 Cerebral infarction", ("Cerebral infarction", "I63.9")),
        ("ICD-10:I63.9 - Cerebral infarction", ("Cerebral infarction", "ICD-10:I63.9")),
        ("I63.9", None),
        ("history of stroke (2019)", None),
        ("vitamin B12 deficiency", None),
    ],
)
def test_split_code(text: str, expected: tuple[str, str] | None) -> None:
    assert split_code(text) == expected


@pytest.mark.parametrize(
    ("written", "findings", "unchecked"),
    [
        # the code identifies the condition; display text in any language decides nothing
        ("AVC ischémique (I63.9)", {"MR-CI-STROKE"}, set()),
        ("ischaemic stroke (I63.9)", {"MR-CI-STROKE"}, set()),
        # a name the vocabulary knows still counts beside an unknown code
        ("stroke (J45.9)", {"MR-CI-STROKE"}, {"conditions"}),
        # an unknown code is never passed, whatever the name beside it
        ("asthma (J45.9)", set(), {"conditions"}),
        # two different conditions: both count
        ("cancer (I63.9)", {"MR-CI-CANCER", "MR-CI-STROKE"}, set()),
    ],
)
def test_a_code_beside_a_name(registry, written, findings, unchecked) -> None:  # type: ignore[no-untyped-def]
    report = check_with(VITAMINS, patient(HEALTHY, conditions=[written]), registry=registry)
    assert codes(report) == findings
    assert unchecked_rules(report) == unchecked


def test_the_more_specific_of_name_and_code_counts(registry) -> None:  # type: ignore[no-untyped-def]
    # 'stroke' (I64) is broader than ischaemic stroke: the name is the more specific
    specific = check_with(
        PENTOXIFYLLINE, patient(HEALTHY, conditions=["ischaemic stroke (I64)"]), registry=registry
    )
    assert "pentoxifylline_cerebral_haemorrhage" not in unchecked_rules(specific)
    broad = check_with(
        PENTOXIFYLLINE, patient(HEALTHY, conditions=["AVC (I64)"]), registry=registry
    )
    assert "pentoxifylline_cerebral_haemorrhage" in unchecked_rules(broad)


# -- overrides of conditions --------------------------------------------------------


def test_an_override_may_add_codes_and_relations_but_not_drop_them() -> None:
    from mesoreg.knowledge._override import compare

    old = Condition("stroke", "Stroke", codes=("I60-I64",), broader=("cerebrovascular",))
    wider = attrs.evolve(old, codes=("I60-I64", "I69.0-I69.4"), may_be=("x",))
    narrower = attrs.evolve(old, codes=("I63",), broader=())
    assert compare("conditions", old, wider, "pack").weakening == ()
    assert compare("conditions", old, narrower, "pack").weakening == (
        "drops codes [I60-I64]",
        "drops broader [cerebrovascular]",
    )
