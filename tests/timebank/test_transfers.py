"""Transfers: payments named by their accounts, and decided by whom they concern."""

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from timebank.banks.models import TimeBank
from timebank.banks.rules import today
from timebank.errors import (
    AccountsInDifferentTimeBanks,
    ActivityMismatch,
    AlreadyDecided,
    InvalidText,
    InvalidTransferKind,
    MakerChecker,
    NotAPayeesAccount,
    NotAPayersAccount,
    NotPermitted,
    PayingYourself,
    UnknownActivity,
    UnknownTransfer,
    WrongPrice,
)
from timebank.exchanges.models import Exchange
from timebank.gifts.models import Gift
from timebank.people.models import Membership, Role, User
from timebank.people.services import grant_role
from timebank.spending.models import Spend
from timebank.transfers.services import (
    Transfer,
    approve_transfer,
    get_transfer,
    record_transfer,
    reverse_transfer,
)

from .factories import (
    Riverside,
    assert_refused,
    balance,
    days_ago,
    earn,
    open_riverside,
    rows_in_bank,
    run,
)


def account_of(engine: Engine, member_id: int) -> int:
    return run(engine, lambda s: s.get_one(Membership, member_id).account_id)


def pool_of(engine: Engine, place: Riverside) -> int:
    return run(engine, lambda s: s.get_one(TimeBank, place.bank_id).pool_account_id)


def admin_account(engine: Engine, place: Riverside) -> int:
    """Return the account of the founder, who is an admin but no member."""
    return run(
        engine,
        lambda s: s.scalars(
            select(Membership.account_id).filter_by(
                time_bank_id=place.bank_id, user_id=place.admin.id
            )
        ).one(),
    )


def arguments(engine: Engine, place: Riverside, **changes: Any) -> dict[str, Any]:
    """Return record_transfer's arguments: Ana gives Ben half an hour, or changes."""
    return {
        "kind": "gift",
        "from_account_id": account_of(engine, place.ana_id),
        "to_account_id": account_of(engine, place.ben_id),
        "minutes": 30,
        "memo": "For the soup",
        "service_date": None,
        "activity_id": None,
        **changes,
    }


def transfer(
    engine: Engine, place: Riverside, actor: User | None = None, **changes: Any
) -> Transfer:
    """Record a transfer, by Ana unless actor is given."""
    given = arguments(engine, place, **changes)
    return run(
        engine,
        lambda s: record_transfer(
            s, actor=place.ana if actor is None else actor, **given
        ),
    )


def refused_transfer(
    engine: Engine, place: Riverside, error: type[Exception], match: str, **changes: Any
) -> None:
    """Assert that Ana's transfer with changes is refused, and changes nothing."""
    given = arguments(engine, place, **changes)
    assert_refused(
        engine, lambda s: record_transfer(s, actor=place.ana, **given), error, match
    )


def test_each_kind_of_transfer_is_recorded_by_its_own_service(engine: Engine) -> None:
    place = open_riverside(engine, exchange_approval="never")
    earn(engine, place, place.ana, 180)
    ana, ben = account_of(engine, place.ana_id), account_of(engine, place.ben_id)

    given = transfer(engine, place)
    paid = transfer(engine, place, kind="exchange", minutes=60, memo="Fixed a bicycle")
    swum = transfer(
        engine,
        place,
        kind="spend",
        to_account_id=place.leisure.account_id,
        minutes=60,
        memo="",
        activity_id=place.swim.id,
        service_date=days_ago(3),
    )

    (gift,) = rows_in_bank(engine, Gift, place)
    assert (gift.giver_id, gift.recipient_id, gift.message) == (
        place.ana_id,
        place.ben_id,
        "For the soup",
    )
    (exchange,) = rows_in_bank(engine, Exchange, place)
    assert (exchange.receiver_id, exchange.provider_id) == (place.ana_id, place.ben_id)
    assert exchange.service_date == today()
    (spend,) = rows_in_bank(engine, Spend, place)
    assert (spend.membership_id, spend.activity_id) == (place.ana_id, place.swim.id)
    assert [t.id for t in (given, paid, swum)] == [
        gift.transaction_id,
        exchange.transaction_id,
        spend.transaction_id,
    ]
    assert (swum.from_account_id, swum.to_account_id) == (ana, place.leisure.account_id)
    assert swum.service_date == days_ago(3)
    assert (paid.from_account_id, paid.to_account_id) == (ana, ben)
    assert balance(engine, place.ana_id).balance_minutes == 180 - 30 - 60 - 60


def test_a_gift_to_the_pool_account_names_no_recipient(
    engine: Engine, riverside: Riverside
) -> None:
    earn(engine, riverside, riverside.ana, 60)

    given = transfer(engine, riverside, to_account_id=pool_of(engine, riverside))

    (gift,) = rows_in_bank(engine, Gift, riverside)
    assert gift.recipient_id is None
    assert given.to_account_id == pool_of(engine, riverside)


@pytest.mark.parametrize(
    ("changes", "error", "match"),
    [
        ({"kind": "loan"}, InvalidTransferKind, "not 'loan'"),
        ({"from_account_id": 2**62}, NotAPayersAccount, "in a time bank of yours"),
        ({"from_account_id": "1"}, NotAPayersAccount, "in a time bank of yours"),
        ({"to_account_id": 2**62}, NotAPayeesAccount, "There is no account"),
        ({"to_account_id": None}, NotAPayeesAccount, "There is no account"),
        ({"activity_id": 1}, ActivityMismatch, "Only a spend"),
        ({"kind": "exchange", "memo": ""}, InvalidText, "must not be empty"),
    ],
)
def test_a_transfer_naming_nothing_it_can_use_is_refused(
    engine: Engine,
    riverside: Riverside,
    changes: dict[str, Any],
    error: type[Exception],
    match: str,
) -> None:
    earn(engine, riverside, riverside.ana, 120)
    refused_transfer(engine, riverside, error, match, **changes)


def test_only_a_members_account_pays_and_only_its_kinds_payee_is_paid(
    engine: Engine, riverside: Riverside
) -> None:
    earn(engine, riverside, riverside.ana, 120)
    pool, leisure = pool_of(engine, riverside), riverside.leisure.account_id
    ana = account_of(engine, riverside.ana_id)
    refused_transfer(
        engine,
        riverside,
        NotAPayersAccount,
        "not the account of a member who pays",
        from_account_id=admin_account(engine, riverside),
    )
    for payer in (pool, leisure):
        refused_transfer(
            engine,
            riverside,
            NotAPayersAccount,
            "in a time bank of yours",
            from_account_id=payer,
        )
    refused_transfer(
        engine, riverside, NotAPayeesAccount, "neither", to_account_id=leisure
    )
    refused_transfer(
        engine,
        riverside,
        NotAPayeesAccount,
        "who earns",
        to_account_id=admin_account(engine, riverside),
    )
    refused_transfer(
        engine,
        riverside,
        NotAPayeesAccount,
        "not a member's",
        kind="exchange",
        memo="Help",
        to_account_id=pool,
    )
    refused_transfer(
        engine,
        riverside,
        NotAPayeesAccount,
        "not an organisation's",
        kind="spend",
        minutes=60,
        activity_id=riverside.swim.id,
    )
    refused_transfer(engine, riverside, PayingYourself, "themselves", to_account_id=ana)


def test_credits_never_leave_their_time_bank(
    engine: Engine, riverside: Riverside
) -> None:
    elsewhere = open_riverside(engine)
    earn(engine, riverside, riverside.ana, 60)
    for payee in (
        account_of(engine, elsewhere.ben_id),
        pool_of(engine, elsewhere),
        elsewhere.leisure.account_id,
    ):
        refused_transfer(
            engine,
            riverside,
            AccountsInDifferentTimeBanks,
            "another time bank",
            to_account_id=payee,
        )
    # To someone of another bank, an account here is as good as unknown.
    anas_gift = arguments(engine, riverside)
    assert_refused(
        engine,
        lambda s: record_transfer(s, actor=elsewhere.ana, **anas_gift),
        NotAPayersAccount,
        "in a time bank of yours",
    )


def test_a_spend_pays_exactly_its_partners_activity(
    engine: Engine, riverside: Riverside
) -> None:
    earn(engine, riverside, riverside.ana, 120)
    spend = {
        "kind": "spend",
        "to_account_id": riverside.leisure.account_id,
        "minutes": 60,
        "memo": "",
        "activity_id": riverside.swim.id,
    }
    refused_transfer(
        engine,
        riverside,
        WrongPrice,
        "costs 60 minutes, not 30",
        **{**spend, "minutes": 30},
    )
    refused_transfer(
        engine,
        riverside,
        ActivityMismatch,
        "not offered",
        **{**spend, "to_account_id": riverside.charity.account_id},
    )
    refused_transfer(
        engine,
        riverside,
        ActivityMismatch,
        "names the activity",
        **{**spend, "activity_id": None},
    )
    refused_transfer(
        engine,
        riverside,
        UnknownActivity,
        "no activity",
        **{**spend, "activity_id": 2**62},
    )
    refused_transfer(
        engine, riverside, InvalidText, "send none", **{**spend, "memo": "A swim"}
    )


def test_nobody_pays_from_another_members_account(
    engine: Engine, riverside: Riverside
) -> None:
    earn(engine, riverside, riverside.ben, 60)
    refused_transfer(
        engine,
        riverside,
        NotPermitted,
        "Only the member, or a broker",
        from_account_id=account_of(engine, riverside.ben_id),
        to_account_id=account_of(engine, riverside.ana_id),
    )


def test_a_transfer_is_read_by_the_people_it_concerns(
    engine: Engine, riverside: Riverside
) -> None:
    earn(engine, riverside, riverside.ana, 60)
    given = transfer(engine, riverside)
    outsider = open_riverside(engine).ana

    def read(user: User, transfer_id: int = given.id) -> Transfer:
        return run(
            engine,
            lambda s: get_transfer(s, actor=user, transfer_id=transfer_id),
        )

    assert read(riverside.ben) == given
    assert read(riverside.broker) == given
    with pytest.raises(NotPermitted):
        read(riverside.charity_admin)
    with pytest.raises(UnknownTransfer):
        read(outsider)


def test_an_earn_is_no_transfer(engine: Engine, riverside: Riverside) -> None:
    log = earn(engine, riverside, riverside.ana, 60)
    assert log.transaction_id is not None
    with pytest.raises(UnknownTransfer):
        run(
            engine,
            lambda s: get_transfer(
                s, actor=riverside.broker, transfer_id=log.transaction_id
            ),
        )


def test_a_broker_never_decides_a_transfer_paid_from_their_own_account(
    engine: Engine,
) -> None:
    place = open_riverside(engine, gift_approval="always")
    earn(engine, place, place.ana, 60)

    def make_broker(s: Session, member_id: int) -> None:
        grant_role(
            s,
            actor=place.admin,
            time_bank_id=place.bank_id,
            member_id=member_id,
            role=Role.BROKER,
            reason="Helps the coordinator",
        )

    run(engine, lambda s: make_broker(s, place.ana_id))
    run(engine, lambda s: make_broker(s, place.ben_id))
    given = transfer(
        engine, place, actor=place.broker, to_account_id=pool_of(engine, place)
    )

    def approve(user: User) -> Any:
        return lambda s: approve_transfer(s, actor=user, transfer_id=given.id)

    assert_refused(engine, approve(place.ana), MakerChecker, "paid from your account")
    assert_refused(engine, approve(place.broker), MakerChecker, "you recorded it")
    approved = run(engine, approve(place.ben))
    assert (approved.status, approved.decided_by_id) == ("posted", place.ben.id)
    assert_refused(engine, approve(place.ben), AlreadyDecided, "already approved")


def test_a_reversed_transfer_names_its_reversal(
    engine: Engine, riverside: Riverside
) -> None:
    earn(engine, riverside, riverside.ana, 60)
    given = transfer(engine, riverside)

    reversed_ = run(
        engine,
        lambda s: reverse_transfer(
            s, actor=riverside.broker, transfer_id=given.id, reason="Sent twice"
        ),
    )

    assert reversed_.reversed_by_id is not None
    assert reversed_ == replace(given, reversed_by_id=reversed_.reversed_by_id)
    assert balance(engine, riverside.ana_id).balance_minutes == 60


def test_a_transfer_dates_its_service_today_unless_told(
    engine: Engine, riverside: Riverside
) -> None:
    earn(engine, riverside, riverside.ana, 60)
    given = transfer(engine, riverside)
    dated = transfer(engine, riverside, service_date=days_ago(1))
    assert (given.service_date, dated.service_date) == (today(), days_ago(1))
