"""Beyond-use dates: the USP <797> category rule as data."""

from __future__ import annotations

import datetime as dt

import pytest

from mesoreg._errors import InputError
from mesoreg.compounding._bud import (
    BudConditions,
    Category,
    Environment,
    Lot,
    Storage,
    assign_bud,
    builtin_rules,
)

AT = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))


def conditions(env: Environment, storage: Storage, **more: object) -> BudConditions:
    return BudConditions(env, storage, AT, **more)  # type: ignore[arg-type]


def test_every_rule_cites_the_chapter():
    rules = builtin_rules()
    assert rules.chapter.url == "https://www.usp.org/compounding/general-chapter-797"
    assert all(r.section and r.read_at for r in rules.rules)


@pytest.mark.parametrize(
    ("storage", "hours"),
    [(Storage.CONTROLLED_ROOM_TEMPERATURE, 12), (Storage.REFRIGERATOR, 24)],
)
def test_category_1(storage, hours):
    result = assign_bud(conditions(Environment.SEGREGATED_COMPOUNDING_AREA, storage))
    assert result.category is Category.CATEGORY_1
    assert result.rule is not None and result.rule.id == "category_1"
    assert result.bud == AT + dt.timedelta(hours=hours)
    assert result.not_checked  # stability is never checked


def test_category_1_frozen_is_not_determined():
    result = assign_bud(conditions(Environment.SEGREGATED_COMPOUNDING_AREA, Storage.FREEZER))
    assert result.bud is None
    assert "stored in a freezer is not determined" in result.reason


@pytest.mark.parametrize("tested", [False, True])
def test_category_2_numbers_are_not_determined(tested):
    result = assign_bud(
        conditions(Environment.CLEANROOM_SUITE, Storage.REFRIGERATOR, sterility_tested=tested)
    )
    assert result.category is Category.CATEGORY_2
    assert result.bud is None and result.reason.startswith("cannot be assigned")


def test_immediate_use_waits_for_the_product_limit():
    result = assign_bud(conditions(Environment.UNCLASSIFIED, Storage.CONTROLLED_ROOM_TEMPERATURE))
    assert result.category is Category.IMMEDIATE_USE
    assert result.bud is None
    assert "number of different sterile products" in result.reason


def test_a_category_the_environment_does_not_allow():
    with pytest.raises(InputError) as caught:
        assign_bud(
            conditions(Environment.UNCLASSIFIED, Storage.REFRIGERATOR, category=Category.CATEGORY_1)
        )
    assert "a category 1 CSP cannot be compounded in 'unclassified'" in str(caught.value)


def test_a_bud_beyond_a_lot_expiry_is_refused():
    lot = Lot("lidocaine_2pct_5ml_vial", "A123", dt.date(2026, 11, 22))
    with pytest.raises(InputError) as caught:
        assign_bud(
            conditions(Environment.SEGREGATED_COMPOUNDING_AREA, Storage.REFRIGERATOR, lots=(lot,))
        )
    assert "lots[0].expiry: the BUD 2026-11-23T10:00+01:00 is after the expiry of lot A123" in str(
        caught.value
    )
    # the same lot is fine for a 12-hour BUD ending on its expiry day
    ok = assign_bud(
        conditions(
            Environment.SEGREGATED_COMPOUNDING_AREA,
            Storage.CONTROLLED_ROOM_TEMPERATURE,
            lots=(lot,),
        )
    )
    assert ok.bud == AT + dt.timedelta(hours=12)


def test_an_expired_lot_is_refused():
    lot = Lot("saline", "S9", dt.date(2026, 11, 21))
    with pytest.raises(InputError) as caught:
        assign_bud(
            conditions(Environment.SEGREGATED_COMPOUNDING_AREA, Storage.REFRIGERATOR, lots=(lot,))
        )
    assert "lot S9 of saline expired on 2026-11-21" in str(caught.value)
