"""Gifts: to another member or to the community pool."""

from sqlalchemy import Engine
from sqlalchemy.orm import Session

import ledger
from ledger.errors import InsufficientCredit
from timebank.banks.models import TimeBank
from timebank.errors import (
    InvalidMinutes,
    MakerChecker,
    NotPermitted,
    PayingYourself,
    TooManyMinutes,
)
from timebank.gifts.services import approve_gift, give_gift, reject_gift

from .factories import Riverside, assert_refused, balance, earn, open_riverside, run


def pool_balance(engine: Engine, place: Riverside) -> int:
    """Return the minutes in the time bank's community pool."""

    def work(s: Session) -> int:
        bank = s.get_one(TimeBank, place.bank_id)
        return ledger.get_account(s.connection(), bank.pool_account_id).balance_minutes

    return run(engine, work)


def test_a_member_gives_minutes_to_another(
    engine: Engine, riverside: Riverside
) -> None:
    earn(engine, riverside, riverside.ana, 120)
    gift = run(
        engine,
        lambda s: give_gift(
            s,
            actor=riverside.ana,
            time_bank_id=riverside.bank_id,
            giver_id=riverside.ana_id,
            recipient_id=riverside.ben_id,
            minutes=30,
            message="For the soup",
        ),
    )
    assert gift.status == "approved"
    assert balance(engine, riverside.ana_id).balance_minutes == 90
    assert balance(engine, riverside.ben_id).balance_minutes == 30


def test_a_gift_to_the_pool_fills_the_pool(
    engine: Engine, riverside: Riverside
) -> None:
    earn(engine, riverside, riverside.ana, 60)
    run(
        engine,
        lambda s: give_gift(
            s,
            actor=riverside.ana,
            time_bank_id=riverside.bank_id,
            giver_id=riverside.ana_id,
            recipient_id=None,
            minutes=60,
        ),
    )
    assert pool_balance(engine, riverside) == 60


def test_a_gift_waits_for_a_broker_when_the_bank_says_so(engine: Engine) -> None:
    place = open_riverside(engine, gift_approval="always")
    earn(engine, place, place.ana, 60)

    def give(s: Session) -> int:
        return give_gift(
            s,
            actor=place.ana,
            time_bank_id=place.bank_id,
            giver_id=place.ana_id,
            recipient_id=place.ben_id,
            minutes=60,
        ).id

    first = run(engine, give)
    assert balance(engine, place.ana_id).available_minutes == 0
    assert_refused(
        engine,
        lambda s: approve_gift(s, actor=place.ben, gift_id=first),
        MakerChecker,
        "credits you",
    )
    run(engine, lambda s: reject_gift(s, actor=place.broker, gift_id=first, reason="x"))
    assert balance(engine, place.ana_id).available_minutes == 60
    second = run(engine, give)
    approved = run(
        engine, lambda s: approve_gift(s, actor=place.broker, gift_id=second)
    )
    assert approved.status == "approved"
    assert balance(engine, place.ben_id).balance_minutes == 60


def test_bad_gifts_are_refused_and_change_nothing(
    engine: Engine, riverside: Riverside
) -> None:
    earn(engine, riverside, riverside.ana, 60)
    cases = [
        ({"recipient_id": riverside.ana_id}, PayingYourself, "to themselves"),
        ({"minutes": 0}, InvalidMinutes, "more than zero"),
        ({"minutes": 101 * 60}, TooManyMinutes, "more than the 6000"),
        ({"minutes": 120}, InsufficientCredit, "to spend"),
        ({"actor": riverside.ben}, NotPermitted, "Only the member"),
    ]
    for change, error, message in cases:
        request = {
            "actor": riverside.ana,
            "time_bank_id": riverside.bank_id,
            "giver_id": riverside.ana_id,
            "recipient_id": riverside.ben_id,
            "minutes": 60,
            **change,
        }
        assert_refused(
            engine,
            lambda s, request=request: give_gift(s, **request),  # type: ignore[misc]
            error,
            message,
        )
