"""Names as pharmacists write them: one entry or a refusal, and only honest suggestions."""

from __future__ import annotations

import pytest

from mesoreg import Catalog, Verdict
from mesoreg.knowledge._names import (
    NameIndex,
    distance,
    find_strength,
    is_misspelling,
    loose_key,
    segments,
    split_combination,
)
from mesoreg.testing import HEALTHY, check_with, formulation, patient

# -- real spellings resolve to the right entry --------------------------------------

RESOLVED = [
    # qualifiers, salts and word order
    ("hyaluronic acid (sodium salt)", "hyaluronic_acid"),
    ("sodium hyaluronate, non cross-linked", "hyaluronic_acid"),
    ("Sodium Hyaluronate (non-crosslinked)", "hyaluronic_acid"),
    ("hyaluronate sodium", "hyaluronic_acid"),
    ("HCl lidocaine", "lidocaine"),
    ("Lidocaine HCl", "lidocaine"),
    ("lidocaine hydrochloride monohydrate", "lidocaine"),
    ("LIDOCAINE HYDROCHLORIDE, USP", "lidocaine"),
    ("Lidocaïne", "lidocaine"),
    ("chlorhydrate de lidocaïne", "lidocaine"),
    ("lidocaine injection", "lidocaine"),
    ("procaine hydrochloride", "procaine"),
    ("mepivacaine hydrochloride", "mepivacaine"),
    ("pyridoxine hydrochloride", "pyridoxine"),
    ("thiamine mononitrate", "thiamine"),
    ("caffeine anhydrous", "caffeine"),
    ("deoxycholic acid, sodium salt", "deoxycholic_acid"),
    ("Sodium deoxycholate", "deoxycholic_acid"),
    ("vitamin C (sodium ascorbate)", "ascorbic_acid"),
    ("Vitamin B12 (cyanocobalamin)", "cyanocobalamin"),
    ("folic acid (sodium folate)", "folic_acid"),
    ("isoprenaline sulphate", "isoproterenol"),
    ("tranexamic acid injection", "tranexamic_acid"),
    ("sterile water for injections", "water_for_injection"),
    ("sodium chloride", "sodium_chloride"),
    # INN / BAN / USAN spellings and brands
    ("lignocaine hydrochloride", "lidocaine"),
    ("Adrénaline", "epinephrine"),
    ("adrenaline tartrate", "epinephrine"),
    ("Xylocaine", "lidocaine"),
    ("Kybella", "deoxycholic_acid"),
    # botanical names, plant parts and extract words
    ("Cynara scolymus (artichoke) leaf extract", "artichoke_extract"),
    ("artichoke (Cynara scolymus) dry extract", "artichoke_extract"),
    ("Camellia sinensis (green tea) leaf extract", "green_tea_extract"),
    ("Ginkgo biloba leaf extract", "ginkgo_biloba"),
    ("Melilotus officinalis herb extract", "melilotus_officinalis"),
    ("Centella asiatica leaf extract", "centella_asiatica"),
]


@pytest.mark.parametrize(("name", "expected"), RESOLVED, ids=[r[0] for r in RESOLVED])
def test_written_names_resolve(catalog: Catalog, name: str, expected: str) -> None:
    found = catalog.find_ingredient(name)
    assert found is not None, str(catalog.unknown_ingredient(name))
    assert found.id == expected


# -- names that must be refused, with the reason ------------------------------------

LIDOCAINE = "'lidocaine' (local anaesthetic)"
EPINEPHRINE = "'epinephrine' (vasoactive, vasoconstrictor)"
REFUSED = [
    (
        "lidocaine HCl 2 % w/v",
        "ingredient 'lidocaine HCl 2 % w/v' has a strength in its name ('2 % w/v'): "
        "a strength there is not read. Write 'lidocaine' as the ingredient and the "
        "strength in 'strength'.",
    ),
    (
        "epinephrine 1:100000",
        "ingredient 'epinephrine 1:100000' has a strength in its name ('1:100000'): "
        "a strength there is not read. Write 'epinephrine' as the ingredient and the "
        "strength in 'strength'.",
    ),
    (
        "vitamin B12 1000 mcg",
        "ingredient 'vitamin B12 1000 mcg' has a strength in its name ('1000 mcg'): "
        "a strength there is not read. Write 'cyanocobalamin' as the ingredient and the "
        "strength in 'strength'.",
    ),
    (
        "lidocaine + epinephrine",
        f"'lidocaine + epinephrine' names a combination ({LIDOCAINE}, {EPINEPHRINE}), "
        "not one ingredient. Write the first active as 'ingredient' and each other one in "
        "'co_ingredients', each with its own strength.",
    ),
    (
        "lidocaine with adrenaline",
        f"'lidocaine with adrenaline' names a combination ({LIDOCAINE}, {EPINEPHRINE}), "
        "not one ingredient. Write the first active as 'ingredient' and each other one in "
        "'co_ingredients', each with its own strength.",
    ),
    (
        "phosphatidylcholine/deoxycholate",
        "'phosphatidylcholine/deoxycholate' names a combination ('phosphatidylcholine' "
        "(lipolytic, phospholipid), 'deoxycholic_acid' (lipolytic, bile acid)), not one "
        "ingredient. Write the first active as 'ingredient' and each other one in "
        "'co_ingredients', each with its own strength.",
    ),
    (
        "lidocaine/zzyzxine",
        f"'lidocaine/zzyzxine' names a combination ({LIDOCAINE}, 'zzyzxine' (unknown)), "
        "not one ingredient. Write the first active as 'ingredient' and each other one in "
        "'co_ingredients', each with its own strength.",
    ),
    (
        # a cross-linked hyaluronic acid is a filler, not the skin booster in the catalog
        "hyaluronic acid, cross-linked",
        "ingredient 'hyaluronic acid, cross-linked': the qualifier 'cross-linked' is not "
        "understood, so the name may mean another product: refused rather than guessed. "
        "Write a catalog name or id without it. Run 'mesoreg catalog search hyalu'.",
    ),
    (
        "hyaluronic acid (Restylane)",
        "ingredient 'hyaluronic acid (Restylane)': the qualifier 'Restylane' is not "
        "understood, so the name may mean another product: refused rather than guessed. "
        "Write a catalog name or id without it. Run 'mesoreg catalog search hyalu'.",
    ),
    (
        "cross-linked hyaluronic acid",
        "unknown ingredient 'cross-linked hyaluronic acid'. Run 'mesoreg catalog search cross'.",
    ),
    (
        "caffeine (theophylline)",
        "ingredient 'caffeine (theophylline)' names different ingredients: 'caffeine' "
        "(methylxanthine, lipolytic) and 'theophylline' (methylxanthine, lipolytic). Write "
        "the id of the one you mean. Run 'mesoreg catalog search caffe'.",
    ),
]


@pytest.mark.parametrize(("name", "message"), REFUSED, ids=[r[0] for r in REFUSED])
def test_names_refused_with_the_reason(catalog: Catalog, name: str, message: str) -> None:
    assert catalog.find_ingredient(name) is None
    assert str(catalog.unknown_ingredient(name)) == message


# -- "did you mean" only for a misspelling of the same thing -------------------------

SUGGESTED = [
    ("lidocane", LIDOCAINE),
    ("Lidociane", LIDOCAINE),  # two letters swapped is one slip
    ("pyridoxin", "'pyridoxine' (vitamin)"),
    ("cyanocobalamine", "'cyanocobalamin' (vitamin)"),
    ("deoxycolic acid", "'deoxycholic_acid' (lipolytic, bile acid)"),
    ("hyaluronik", "'hyaluronic_acid' (skin, glycosaminoglycan)"),
    ("hyaluronic aicd", "'hyaluronic_acid' (skin, glycosaminoglycan)"),
    ("levocarnitin", "'levocarnitine' (amino acid, lipolytic)"),
    ("pentoxyfilline", "'pentoxifylline' (hemorrheologic, peripheral vasodilator, vasoactive)"),
]


@pytest.mark.parametrize(("name", "shown"), SUGGESTED, ids=[s[0] for s in SUGGESTED])
def test_misspellings_get_the_same_substance(catalog: Catalog, name: str, shown: str) -> None:
    word = name.split()[0][:5]
    assert str(catalog.unknown_ingredient(name)) == (
        f"unknown ingredient '{name}'. Did you mean {shown}? Run 'mesoreg catalog search {word}'."
    )


# a real, different substance is never offered a catalog entry as a spelling fix
DIFFERENT_SUBSTANCES = [
    "bupivacaine",  # not mepivacaine
    "ropivacaine",
    "prilocaine",  # not procaine
    "levothyroxine",  # not levocarnitine
    "Transamin",  # not thiamine
    "carnosine",  # not carnitine
    "arginase",  # not arginine
    "folinic acid",  # not folic acid
    "pyridoxamine",  # not pyridoxine
    "hyaluronidaze",  # hyaluronidase, not hyaluronic acid
]


@pytest.mark.parametrize("name", DIFFERENT_SUBSTANCES)
def test_no_different_molecule_as_a_spelling_fix(catalog: Catalog, name: str) -> None:
    message = catalog.unknown_ingredient(name).message
    assert "Did you mean" not in message or "'hyaluronidase' (enzyme)" in message
    for wrong in ("mepivacaine", "procaine'", "levocarnitine", "thiamine", "arginine"):
        assert wrong not in message
    assert "hyaluronic_acid" not in message
    assert "folic_acid" not in message


def test_hyaluronik_is_not_hyaluronidase(catalog: Catalog) -> None:
    message = catalog.unknown_ingredient("hyaluronik").message
    assert "hyaluronidase" not in message
    assert "hyaluronic_acid" in message


def test_a_medication_name_says_so(catalog: Catalog) -> None:
    assert catalog.unknown_ingredient("Cordarone").message == (
        "unknown ingredient 'Cordarone'. It is a patient medication in the catalog, "
        "not a formulation ingredient."
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("asthma", []),  # not arrhythmia
        ("arrythmia", ["cardiac_arrhythmia"]),
        ("hypertenson", ["hypertension"]),
        ("hypotenson", ["hypotension"]),
        ("epilepsi", ["seizure_disorder"]),
    ],
)
def test_condition_suggestions(catalog: Catalog, name: str, expected: list[str]) -> None:
    assert catalog.suggest_condition(name) == expected


def test_conditions_keep_every_word(catalog: Catalog) -> None:
    # the same words in another order are the same condition
    found = catalog.find_condition("hypertension, arterial")
    assert found is not None and found.id == "hypertension"
    # but no word is dropped: a qualifier of a condition may change which rule applies
    assert catalog.find_condition("hypertension (arterial, treated)") is None
    assert catalog.find_condition("herpes labialis, recurrent") is None


# -- the rules of the normaliser, on a tiny index ------------------------------------

TINY = NameIndex.build(
    [
        ("foo_sodium", ["foo sodium", "Foonax"]),
        ("foo_potassium", ["foo potassium"]),
        ("barzolamide", ["barzolamide"]),
        ("barzolamine", ["barzolamine"]),
        ("estradiol", ["estradiol", "estradiol valerate"]),
        ("dienogest", ["dienogest"]),
    ]
)


def test_two_entries_left_after_stripping_a_salt_are_refused_with_both() -> None:
    found = TINY.match("foo hydrochloride")
    assert (found.id, found.reason, found.ids) == (
        None,
        "ambiguous",
        ("foo_potassium", "foo_sodium"),
    )
    assert TINY.match("Foo Sodium").id == "foo_sodium"  # the exact name still resolves


def test_equally_close_entries_are_all_suggested() -> None:
    assert TINY.suggest("barzolamixe") == ["barzolamide", "barzolamine"]


def test_a_combination_resolves_every_component() -> None:
    for name in (
        "estradiol/dienogest",
        "estradiol valerate + dienogest",
        "estradiol with dienogest",
    ):
        found = TINY.match(name, strengths="strip")
        assert found.reason == "combination"
        assert [p.id for p in found.parts] == ["estradiol", "dienogest"]
    found = TINY.match("estradiol 2 mg/dienogest 3 mg tablets", strengths="strip")
    assert [p.id for p in found.parts] == ["estradiol", "dienogest"]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Hyaluronic Acid", "hyaluronic"),
        ("sodium hyaluronate", "hyaluronic"),
        ("hyaluronic acid, non cross-linked", "hyaluronic"),
        ("hyaluronic acid, cross-linked", "crosslinked hyaluronic"),
        ("Cynara scolymus leaf extract", "cynara scolymus"),
        ("sodium chloride", "chloride sodium"),  # nothing left without the salt: kept
        ("local anaesthetic", "anesthetic local"),
        ("leaf extract", ""),
    ],
)
def test_loose_key(text: str, key: str) -> None:
    assert loose_key(text) == key


def test_segments() -> None:
    assert segments("Cynara scolymus (artichoke) leaf extract, dry") == [
        "Cynara scolymus   leaf extract",
        "dry",
        "artichoke",
    ]


@pytest.mark.parametrize(
    ("text", "strength"),
    [
        ("lidocaine HCl 2 % w/v", "2 % w/v"),
        ("lidocaine 2%", "2%"),
        ("lidocaine 20 mg/mL", "20 mg/mL"),
        ("adrenaline 1:200,000", "1:200,000"),
        ("vitamin B12", ""),
        ("EGb 761", ""),
        ("epigallocatechin-3-gallate", ""),
        ("Trental 400", ""),
    ],
)
def test_find_strength(text: str, strength: str) -> None:
    assert find_strength(text) == strength


def test_split_combination() -> None:
    assert split_combination("lidocaine + epinephrine") == ["lidocaine", "epinephrine"]
    assert split_combination("Bisoprolol and aspirin") == ["Bisoprolol", "aspirin"]
    assert split_combination("lidocaine") == []


@pytest.mark.parametrize(
    ("written", "name", "slips"),
    [
        ("lidocane", "lidocaine", 1),
        ("lidocian", "lidocain", 1),  # a swap is one slip
        ("pentoxyfilline", "pentoxifylline", 2),
        ("bupivacaine", "mepivacaine", None),  # another first letter: another molecule
        ("prednisolone", "prednisone", None),  # a syllable more: another molecule
        ("carnosine", "carnitine", None),  # two slips in a short name
        ("lido", "lida", None),  # too short to tell
        ("lidocaine", "lidocaine", None),  # not a misspelling at all
    ],
)
def test_is_misspelling(written: str, name: str, slips: int | None) -> None:
    assert is_misspelling(written, name) == slips


def test_distance() -> None:
    assert distance("abc", "abc", 2) == 0
    assert distance("abcd", "abdc", 2) == 1
    assert distance("kitten", "sitting", 5) == 3
    assert distance("a", "abcdef", 2) == 3  # capped


# -- patient medications: combinations are every component -------------------------


def test_a_combination_medication_has_every_components_classes(registry):  # type: ignore[no-untyped-def]
    lido = formulation([("lidocaine", "1 %", "1 mL")])
    report = check_with(
        lido, patient(HEALTHY, medications=[{"name": "Bisoprolol + aspirin"}]), registry=registry
    )
    assert "MR-CI-ANTIPLATELET" in {f.code for f in report.findings}
    assert report.unchecked == ()


def test_a_combination_with_an_unknown_component_is_not_checked(registry):  # type: ignore[no-untyped-def]
    lido = formulation([("lidocaine", "1 %", "1 mL")])
    name = "aspirin/zzyzxolol"
    report = check_with(lido, patient(HEALTHY, medications=[{"name": name}]), registry=registry)
    # the known component still counts; the unknown one is reported, never dropped
    assert "MR-CI-ANTIPLATELET" in {f.code for f in report.findings}
    assert [u.reason for u in report.unchecked if u.rule == "medications"] == [
        f"medication '{name}' is a combination whose component 'zzyzxolol' is not in the "
        'vocabulary; declare its classes, e.g. classes = ["nsaid"], or [] for none'
    ]
    assert report.verdict is not Verdict.PASS


@pytest.mark.parametrize(
    ("name", "drug_ids"),
    [
        ("warfarin sodium 5 mg", ["warfarin"]),
        ("metoprolol succinate", ["metoprolol"]),
        ("Bisoprolol fumarate 5 mg tablets", ["bisoprolol"]),
        ("Bisoprolol + aspirin", ["bisoprolol", "aspirin"]),
        ("ethinylestradiol + drospirenone", ["drospirenone_ethinylestradiol"]),
        ("aspirin/zzyzxolol", ["aspirin", None]),
    ],
)
def test_find_drugs(catalog: Catalog, name: str, drug_ids: list[str | None]) -> None:
    assert [d.id if d else None for _, d in catalog.find_drugs(name)] == drug_ids


def test_a_combination_is_not_one_drug(catalog: Catalog) -> None:
    assert catalog.find_drug("Bisoprolol + aspirin") is None


def test_an_allergy_to_a_combination_is_an_allergy_to_each_part(registry):  # type: ignore[no-untyped-def]
    lido = formulation([("lidocaine", "1 %", "1 mL")])
    report = check_with(
        lido, patient(HEALTHY, allergies=["lidocaine/epinephrine"]), registry=registry
    )
    assert any("lidocaine" in f.evidence for f in report.findings if "Allergy" in f.message)
