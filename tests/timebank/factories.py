"""Small factories of time banks, people and entries for the domain's tests."""

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

import ledger
from timebank.banks.rules import today
from timebank.banks.services import open_time_bank
from timebank.exchanges.models import Exchange
from timebank.exchanges.services import approve_exchange, record_exchange
from timebank.gifts.models import Gift
from timebank.gifts.services import give_gift
from timebank.hour_logs.models import HourLog
from timebank.hour_logs.services import approve_hour_log, log_hours
from timebank.models import metadata
from timebank.organisations.models import Activity, Organisation
from timebank.organisations.services import (
    add_activity,
    appoint_organisation_admin,
    register_organisation,
)
from timebank.people.models import Membership, Role, User
from timebank.people.services import enrol_member, grant_role, register_user
from timebank.reversals.services import reverse_entry
from timebank.spending.models import Spend
from timebank.spending.services import record_spend
from timebank.unit_of_work import run_use_case

T = TypeVar("T")

_numbers = itertools.count(1)


def run(engine: Engine, work: Callable[[Session], T]) -> T:
    """Run one use case in its own unit of work."""
    return run_use_case(work, engine=engine)


def days_ago(days: int) -> date:
    """Return the date days before today."""
    return today() - timedelta(days=days)


def new_user(session: Session, name: str) -> User:
    """Register a user with a unique email."""
    email = f"{name.lower().replace(' ', '.')}.{next(_numbers)}@example.org"
    return register_user(session, email=email, name=name, password="correct horse")


def make_user(engine: Engine, name: str) -> User:
    """Register a user with a unique email, in a unit of work of its own."""
    return run(engine, lambda s: new_user(s, name))


@dataclass(frozen=True)
class Riverside:
    """A time bank with an admin, a broker, two members and two organisations."""

    bank_id: int
    slug: str
    admin: User
    broker: User
    ana: User
    ben: User
    ana_id: int
    ben_id: int
    broker_id: int
    charity: Organisation
    charity_admin: User
    leisure: Organisation
    swim: Activity


def open_riverside(engine: Engine, **settings: Any) -> Riverside:
    """Open the Riverside time bank with its people, in a few units of work."""
    slug = f"riverside-{next(_numbers)}"

    def work(s: Session) -> Riverside:
        admin, broker, ana, ben, charity_admin = (
            new_user(s, name)
            for name in ("Ada Admin", "Bea Broker", "Ana", "Ben", "Cai Charity")
        )
        bank = open_time_bank(s, founder=admin, name="Riverside", slug=slug, **settings)
        members = {
            user.id: enrol_member(s, actor=admin, time_bank_id=bank.id, user_id=user.id)
            for user in (broker, ana, ben, charity_admin)
        }
        grant_role(
            s,
            actor=admin,
            time_bank_id=bank.id,
            member_id=members[broker.id].id,
            role=Role.BROKER,
            reason="Coordinates exchanges",
        )
        charity = register_organisation(
            s,
            actor=admin,
            time_bank_id=bank.id,
            name="Riverside Food Bank",
            is_issuer=True,
            is_spend_partner=False,
            floor_minutes=None,
        )
        appoint_organisation_admin(
            s,
            actor=admin,
            time_bank_id=bank.id,
            organisation_id=charity.id,
            member_id=members[charity_admin.id].id,
            reason="Runs the volunteers",
        )
        leisure = register_organisation(
            s,
            actor=admin,
            time_bank_id=bank.id,
            name="Leisure Centre",
            is_issuer=False,
            is_spend_partner=True,
        )
        swim = add_activity(
            s,
            actor=admin,
            time_bank_id=bank.id,
            organisation_id=leisure.id,
            name="Swim",
            price_minutes=60,
        )
        return Riverside(
            bank_id=bank.id,
            slug=bank.slug,
            admin=admin,
            broker=broker,
            ana=ana,
            ben=ben,
            ana_id=members[ana.id].id,
            ben_id=members[ben.id].id,
            broker_id=members[broker.id].id,
            charity=charity,
            charity_admin=charity_admin,
            leisure=leisure,
            swim=swim,
        )

    return run(engine, work)


def log_for(
    engine: Engine,
    place: Riverside,
    *,
    member_id: int | None = None,
    minutes: int = 120,
    actor: User | None = None,
    service_date: date | None = None,
) -> HourLog:
    """Log minutes for a member (Ana by default) at the food bank."""
    return run(
        engine,
        lambda s: log_hours(
            s,
            actor=place.ana if actor is None else actor,
            time_bank_id=place.bank_id,
            member_id=place.ana_id if member_id is None else member_id,
            organisation_id=place.charity.id,
            description="Sorting donations",
            minutes=minutes,
            service_date=days_ago(1) if service_date is None else service_date,
        ),
    )


def earn(engine: Engine, place: Riverside, member: User, minutes: int) -> HourLog:
    """Give a member minutes through an hour log approved by the broker."""
    member_id = place.ana_id if member.id == place.ana.id else place.ben_id
    log = log_for(engine, place, member_id=member_id, minutes=minutes, actor=member)
    return run(
        engine,
        lambda s: approve_hour_log(s, actor=place.broker, hour_log_id=log.id),
    )


def balance(engine: Engine, member_id: int) -> ledger.Account:
    """Return a member's account, with its balance and pending totals."""

    def work(s: Session) -> ledger.Account:
        account_id = s.get_one(Membership, member_id).account_id
        return ledger.get_account(s.connection(), account_id)

    return run(engine, work)


def snapshot(engine: Engine) -> dict[str, Any]:
    """Return the number of rows in every table and every account's totals."""

    def work(s: Session) -> dict[str, Any]:
        counts: dict[str, Any] = {
            table.name: s.scalar(select(func.count()).select_from(table))
            for table in metadata.sorted_tables
        }
        accounts = ledger.schema.accounts
        counts["accounts"] = s.execute(
            select(
                accounts.c.id,
                accounts.c.balance_minutes,
                accounts.c.pending_debit_minutes,
                accounts.c.floor_minutes,
            ).order_by(accounts.c.id)
        ).all()
        return counts

    return run(engine, work)


def assert_refused(
    engine: Engine,
    work: Callable[[Session], object],
    error: type[Exception],
    match: str,
) -> None:
    """Assert that work is refused with error and a message, and changes nothing."""
    before = snapshot(engine)
    with pytest.raises(error, match=match):
        run(engine, work)
    assert snapshot(engine) == before


@dataclass(frozen=True)
class AnasBooks:
    """The memo of each of Ana's entries, by the history's choice of kind."""

    earned: str
    exchanges: str
    gifts: str
    spends: str
    reversals: str


def give_ana_one_entry_of_each_kind(engine: Engine, place: Riverside) -> AnasBooks:
    """Ana earns, pays Ben for help, gives to him, swims; her gift is reversed.

    The service dates are 20, 15, 10 and 5 days ago, and today for the reversal.
    """
    log = log_for(engine, place, minutes=180, service_date=days_ago(20))
    run(engine, lambda s: approve_hour_log(s, actor=place.broker, hour_log_id=log.id))
    exchange = exchange_paid_by_ana(
        engine, place, description="Fixed my bicycle", service_date=days_ago(15)
    )
    run(
        engine,
        lambda s: approve_exchange(s, actor=place.broker, exchange_id=exchange.id),
    )
    gift = ana_gives_ben(engine, place, "Thank you", days_ago(10))
    ana_swims(engine, place, service_date=days_ago(5))
    run(
        engine,
        lambda s: reverse_entry(
            s,
            actor=place.broker,
            time_bank_id=place.bank_id,
            transaction_id=gift.transaction_id,
            reason="Sent twice",
        ),
    )
    return AnasBooks(
        earned="Sorting donations",
        exchanges="Fixed my bicycle",
        gifts="Thank you",
        spends="Swim at Leisure Centre",
        reversals=f"Reversal of entry {gift.transaction_id}: Sent twice",
    )


def ana_gives_ben(
    engine: Engine, place: Riverside, message: str, service_date: date | None = None
) -> Gift:
    """Record a gift of 15 minutes from Ana to Ben."""
    return run(
        engine,
        lambda s: give_gift(
            s,
            actor=place.ana,
            time_bank_id=place.bank_id,
            giver_id=place.ana_id,
            recipient_id=place.ben_id,
            minutes=15,
            message=message,
            service_date=service_date,
        ),
    )


def ana_pays_ben(place: Riverside, **changes: Any) -> dict[str, Any]:
    """Return record_exchange's arguments for Ben's hour of help to Ana, with changes.

    Unless changes say otherwise, Ana records it, two days after the help, and pays.
    """
    return {
        "actor": place.ana,
        "time_bank_id": place.bank_id,
        "provider_id": place.ben_id,
        "receiver_id": place.ana_id,
        "minutes": 60,
        "description": "Fixed a bicycle",
        "service_date": days_ago(2),
        **changes,
    }


def exchange_paid_by_ana(engine: Engine, place: Riverside, **changes: Any) -> Exchange:
    """Record that Ben helped Ana for an hour, or as changes say; Ana pays."""
    return run(engine, lambda s: record_exchange(s, **ana_pays_ben(place, **changes)))


def ana_swims(
    engine: Engine, place: Riverside, service_date: date | None = None
) -> Spend:
    """Pay the leisure centre for a swim from Ana's account."""
    return run(
        engine,
        lambda s: record_spend(
            s,
            actor=place.ana,
            time_bank_id=place.bank_id,
            member_id=place.ana_id,
            activity_id=place.swim.id,
            service_date=service_date,
        ),
    )


def rows_in_bank(engine: Engine, model: type[T], place: Riverside) -> list[T]:
    """Return every row of model (exchanges, gifts, spends) in the place's bank."""
    return run(
        engine,
        lambda s: list(s.scalars(select(model).filter_by(time_bank_id=place.bank_id))),
    )
