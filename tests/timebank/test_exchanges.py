"""Exchanges: the receiver pays the provider, after a broker's approval if needed."""

from typing import Any

import pytest
from sqlalchemy import Engine

import ledger
from ledger.errors import InsufficientCredit
from timebank.errors import (
    AlreadyDecided,
    InvalidMinutes,
    MakerChecker,
    NotPermitted,
    OffGranularity,
    OutsideBackdatingWindow,
    PayingYourself,
    ReasonRequired,
    TooManyMinutes,
    UnknownMember,
)
from timebank.exchanges.services import (
    approve_exchange,
    record_exchange,
    reject_exchange,
)

from .factories import (
    Riverside,
    ana_pays_ben,
    assert_refused,
    balance,
    days_ago,
    earn,
    exchange_paid_by_ana,
    open_riverside,
    run,
)


@pytest.fixture
def ana_with_two_hours(engine: Engine, riverside: Riverside) -> Riverside:
    """Return Riverside, where Ana has earned two hours."""
    earn(engine, riverside, riverside.ana, 120)
    return riverside


def test_an_exchange_waits_for_a_broker_reserving_the_receivers_credit(
    engine: Engine, ana_with_two_hours: Riverside
) -> None:
    place = ana_with_two_hours
    pending = exchange_paid_by_ana(engine, place, minutes=45)
    assert pending.status == "pending"
    ana = balance(engine, place.ana_id)
    assert (ana.balance_minutes, ana.available_minutes) == (120, 75)
    assert balance(engine, place.ben_id).balance_minutes == 0

    approved = run(
        engine,
        lambda s: approve_exchange(s, actor=place.broker, exchange_id=pending.id),
    )
    assert approved.status == "approved"
    assert approved.decided_by_id == place.broker.id
    assert balance(engine, place.ana_id).balance_minutes == 75
    assert balance(engine, place.ben_id).balance_minutes == 45


def test_a_rejected_exchange_is_voided_and_gives_back_the_reservation(
    engine: Engine, ana_with_two_hours: Riverside
) -> None:
    place = ana_with_two_hours
    pending = exchange_paid_by_ana(engine, place)
    rejected = run(
        engine,
        lambda s: reject_exchange(
            s, actor=place.broker, exchange_id=pending.id, reason="Never happened"
        ),
    )
    assert (rejected.status, rejected.reason) == ("rejected", "Never happened")
    ana = balance(engine, place.ana_id)
    assert (ana.balance_minutes, ana.available_minutes) == (120, 120)

    def entry_status(s: object) -> str:
        return ledger.get_transaction(
            s.connection(),  # type: ignore[attr-defined]
            pending.transaction_id,
        ).status

    assert run(engine, entry_status) == "voided"


def test_an_exchange_posts_at_once_when_the_bank_needs_no_approval(
    engine: Engine,
) -> None:
    place = open_riverside(engine, exchange_approval="never")
    earn(engine, place, place.ana, 60)
    done = exchange_paid_by_ana(engine, place)
    assert done.status == "approved"
    assert done.decided_by_id is None
    assert balance(engine, place.ben_id).balance_minutes == 60


def test_only_exchanges_above_the_threshold_wait_for_approval(
    engine: Engine,
) -> None:
    place = open_riverside(
        engine, exchange_approval="above", exchange_approval_above_minutes=60
    )
    earn(engine, place, place.ana, 180)
    assert exchange_paid_by_ana(engine, place, minutes=60).status == "approved"
    assert exchange_paid_by_ana(engine, place, minutes=75).status == "pending"


def test_the_receiver_cannot_pay_more_than_they_have(
    engine: Engine, riverside: Riverside
) -> None:
    assert_refused(
        engine,
        lambda s: record_exchange(s, **ana_pays_ben(riverside)),
        InsufficientCredit,
        "to spend",
    )


def test_nobody_pays_themselves(engine: Engine, ana_with_two_hours: Riverside) -> None:
    place = ana_with_two_hours
    assert_refused(
        engine,
        lambda s: record_exchange(s, **ana_pays_ben(place, provider_id=place.ana_id)),
        PayingYourself,
        "with themselves",
    )


def test_the_provider_does_not_record_their_own_payment(
    engine: Engine, ana_with_two_hours: Riverside
) -> None:
    place = ana_with_two_hours
    assert_refused(
        engine,
        lambda s: record_exchange(s, **ana_pays_ben(place, actor=place.ben)),
        NotPermitted,
        "Only the member who was helped",
    )


def test_bad_exchanges_are_refused_with_a_clear_message(
    engine: Engine, ana_with_two_hours: Riverside
) -> None:
    place = ana_with_two_hours
    cases: list[tuple[dict[str, Any], type[Exception], str]] = [
        ({"minutes": 0}, InvalidMinutes, "more than zero"),
        ({"minutes": -15}, InvalidMinutes, "more than zero"),
        ({"minutes": 20}, OffGranularity, "not a multiple"),
        ({"minutes": 10**9}, TooManyMinutes, "more than"),
        ({"minutes": "lots"}, InvalidMinutes, "whole number"),
        ({"service_date": days_ago(31)}, OutsideBackdatingWindow, "30 days"),
        ({"provider_id": 987_654}, UnknownMember, "no member"),
    ]
    for change, error, message in cases:
        request = ana_pays_ben(place, **change)
        assert_refused(
            engine,
            lambda s, request=request: record_exchange(s, **request),  # type: ignore[misc]
            error,
            message,
        )


def test_maker_checker_for_exchanges(
    engine: Engine, ana_with_two_hours: Riverside
) -> None:
    place = ana_with_two_hours
    by_broker = exchange_paid_by_ana(engine, place, actor=place.broker)
    assert_refused(
        engine,
        lambda s: approve_exchange(s, actor=place.broker, exchange_id=by_broker.id),
        MakerChecker,
        "cannot approve an exchange that you recorded",
    )
    by_ana = exchange_paid_by_ana(engine, place)
    assert_refused(
        engine,
        lambda s: approve_exchange(s, actor=place.ben, exchange_id=by_ana.id),
        MakerChecker,
        "credits you",
    )
    assert_refused(
        engine,
        lambda s: approve_exchange(s, actor=place.charity_admin, exchange_id=by_ana.id),
        NotPermitted,
        "Only a broker",
    )


def test_an_exchange_is_decided_once_and_rejected_with_a_reason(
    engine: Engine, ana_with_two_hours: Riverside
) -> None:
    place = ana_with_two_hours
    pending = exchange_paid_by_ana(engine, place)
    assert_refused(
        engine,
        lambda s: reject_exchange(
            s, actor=place.broker, exchange_id=pending.id, reason=""
        ),
        ReasonRequired,
        "reason",
    )
    run(
        engine,
        lambda s: approve_exchange(s, actor=place.broker, exchange_id=pending.id),
    )
    assert_refused(
        engine,
        lambda s: reject_exchange(
            s, actor=place.broker, exchange_id=pending.id, reason="Too late"
        ),
        AlreadyDecided,
        "already approved",
    )
