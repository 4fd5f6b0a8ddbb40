"""Only what reads back identically is stored."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

import mesoreg
from mesoreg.documents._dump import dump_formulation
from mesoreg.documents._roundtrip import check_round_trip
from mesoreg.testing import formulation

F = formulation([("lidocaine", "1 %", "1 mL")], id="demo")


def test_a_canonical_formulation_round_trips():
    check_round_trip(dump_formulation(F, with_status=False).encode(), F, Path("v1.toml"), None)


@pytest.mark.parametrize(
    ("changed", "message"),
    [
        (
            attrs.evolve(F, use=attrs.evolve(F.use, route="")),
            "in.toml: use.route: cannot be stored: it would read back from the store as "
            "'intradermal' instead of ''.",
        ),
        (
            attrs.evolve(F, title=""),
            "in.toml: title: cannot be stored: it would read back from the store as "
            "'required key is missing'.",
        ),
    ],
    ids=["empty-route", "empty-title"],
)
def test_what_would_read_back_differently_is_refused_by_key(changed, message):
    raw = dump_formulation(changed, with_status=False).encode()
    with pytest.raises(mesoreg.InputError) as info:
        check_round_trip(raw, changed, Path("v1.toml"), "in.toml")
    assert [str(p).split(" Give it")[0] for p in info.value.problems] == [message]
