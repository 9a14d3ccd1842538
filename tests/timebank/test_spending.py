"""Spends: a member pays a spend partner the price of one of its activities."""

from sqlalchemy import Engine
from sqlalchemy.orm import Session

import ledger
from ledger.errors import InsufficientCredit
from timebank.errors import NotPermitted, UnknownActivity
from timebank.spending.services import record_spend

from .factories import Riverside, assert_refused, balance, earn, open_riverside, run


def test_a_spend_pays_the_partner_the_activitys_price(
    engine: Engine, riverside: Riverside
) -> None:
    earn(engine, riverside, riverside.ana, 90)
    spend = run(
        engine,
        lambda s: record_spend(
            s,
            actor=riverside.ana,
            time_bank_id=riverside.bank_id,
            member_id=riverside.ana_id,
            activity_id=riverside.swim.id,
        ),
    )
    assert spend.minutes == 60
    assert balance(engine, riverside.ana_id).balance_minutes == 30

    def partner_balance(s: Session) -> int:
        account = ledger.get_account(s.connection(), riverside.leisure.account_id)
        return account.balance_minutes

    assert run(engine, partner_balance) == 60


def test_bad_spends_are_refused_and_change_nothing(
    engine: Engine, riverside: Riverside
) -> None:
    elsewhere = open_riverside(engine)
    earn(engine, riverside, riverside.ana, 30)
    cases = [
        ({}, InsufficientCredit, "to spend"),
        ({"activity_id": elsewhere.swim.id}, UnknownActivity, "no activity"),
        ({"actor": riverside.ben}, NotPermitted, "Only the member"),
    ]
    for change, error, message in cases:
        request = {
            "actor": riverside.ana,
            "time_bank_id": riverside.bank_id,
            "member_id": riverside.ana_id,
            "activity_id": riverside.swim.id,
            **change,
        }
        assert_refused(
            engine,
            lambda s, request=request: record_spend(s, **request),  # type: ignore[misc]
            error,
            message,
        )
