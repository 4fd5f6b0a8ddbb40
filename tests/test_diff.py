"""The clinical diff."""

from __future__ import annotations

from mesoreg.store._diff import diff_formulations
from mesoreg.testing import formulation


def test_strength_volume_repeats_and_amounts(catalog):
    old = formulation(
        [("lidocaine", "1 %", "2 mL"), ("biotin", "5 mg/mL", "1 mL")], use={"depth": "2 mm"}
    )
    new = formulation(
        [("lignocaine", "2 %", "2 mL"), ("dexpanthenol", "250 mg/mL", "1 mL")],
        per_session=2,
        use={"depth": "3 mm"},
    )
    assert diff_formulations(old, new, catalog) == [
        "depth: 2 mm → 3 mm",
        "'syringe 1' per session: 1 → 2",
        "- Biotin (vitamin B7) 5 mg/mL (1 mL) removed from 'syringe 1'",
        "+ Dexpanthenol (provitamin B5) 250 mg/mL (1 mL) added to 'syringe 1'",
        "Lidocaine hydrochloride 1 % → 2 % in 'syringe 1'",
        "Biotin (vitamin B7) per session: 5 mg → none",
        "Dexpanthenol (provitamin B5) per session: none → 500 mg",
        "Lidocaine hydrochloride per session: 20 mg → 80 mg",
    ]


def test_same_amount_written_differently_is_still_shown(catalog):
    old = formulation([("lidocaine", "2 %", "1 mL")])
    new = formulation([("lidocaine", "20 mg/mL", "1 mL")])
    assert diff_formulations(old, new, catalog) == [
        "Lidocaine hydrochloride 2 % → 20 mg/mL in 'syringe 1'",
    ]


def test_no_difference(catalog):
    f = formulation([("lidocaine", "1 %", "1 mL")])
    assert diff_formulations(f, f, catalog) == []


def test_preparations_added_and_removed(catalog):
    old = formulation([("lidocaine", "1 %", "1 mL")])
    new = formulation([("lidocaine", "1 %", "1 mL")], [("biotin", "5 mg/mL", "1 mL")])
    assert diff_formulations(old, new, catalog)[0] == (
        "+ preparation 'syringe 2' added: biotin 5 mg/mL (1 mL), 1 per session"
    )
