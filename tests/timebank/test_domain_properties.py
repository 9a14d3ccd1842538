"""Random sequences of domain operations keep the books sound, hour for hour.

Each example runs a few logs, approvals, rejections, gifts, exchanges, spends
and reversals, many of them refused, against time banks of varied settings.
The time banks are opened once per backend and shared by the examples, so
the books grow as the test runs; the properties must hold at every step.
"""

from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

import ledger
from ledger.errors import LedgerError
from ledger.schema import postings
from timebank.errors import TimebankError
from timebank.exchanges.services import (
    approve_exchange,
    record_exchange,
    reject_exchange,
)
from timebank.gifts.services import give_gift
from timebank.hour_logs.models import HourLog
from timebank.hour_logs.services import approve_hour_log, log_hours, reject_hour_log
from timebank.people.models import Membership
from timebank.reversals.services import reverse_entry
from timebank.spending.services import record_spend

from .factories import Riverside, days_ago, open_riverside, run, snapshot

MINUTES = st.sampled_from([60, 120, 15, 30, 90, 0, -15, 50, 2000])
WHO = st.sampled_from(["ana", "ben"])
DECIDER = st.sampled_from(["broker", "charity_admin", "ana", "ben"])
INDEX = st.integers(min_value=0, max_value=7)

LOG = st.tuples(st.just("log"), WHO, MINUTES, st.booleans())
APPROVE_LOG = st.tuples(st.just("approve_log"), INDEX, DECIDER)
# Logging and approving come up more often, so that members have credits to pay.
OPERATIONS = st.one_of(
    LOG,
    LOG,
    APPROVE_LOG,
    APPROVE_LOG,
    APPROVE_LOG,
    st.tuples(st.just("reject_log"), INDEX, DECIDER),
    st.tuples(st.just("gift"), WHO, st.sampled_from(["ana", "ben", None]), MINUTES),
    st.tuples(st.just("exchange"), WHO, WHO, MINUTES),
    st.tuples(st.just("approve_exchange"), INDEX, DECIDER),
    st.tuples(st.just("reject_exchange"), INDEX, DECIDER),
    st.tuples(st.just("spend"), WHO),
    st.tuples(st.just("reverse"), INDEX),
)

SETTINGS = st.fixed_dictionaries(
    {
        "exchange_approval": st.sampled_from(["always", "above", "never"]),
        "earn_source": st.sampled_from(["issuance", "organisation"]),
    }
)


@dataclass
class Scene:
    """A time bank and what the operations so far have created in it."""

    place: Riverside
    logs: list[int] = field(default_factory=list)
    exchanges: list[int] = field(default_factory=list)
    entries: list[int] = field(default_factory=list)

    def person(self, name: str) -> Any:
        return getattr(self.place, name)

    def member_id(self, name: str) -> int:
        member_id: int = getattr(self.place, f"{name}_id")
        return member_id


def pick(items: list[int], index: int) -> int:
    """Return the index-th item, wrapping round, or an id that does not exist."""
    return items[index % len(items)] if items else 10**9


def apply(engine: Engine, scene: Scene, operation: tuple[Any, ...]) -> None:
    """Run one operation in a unit of work, remembering what it created."""
    place = scene.place
    name, *args = operation

    def work(s: Session) -> None:
        if name == "log":
            who, minutes, by_broker = args
            log = log_hours(
                s,
                actor=place.broker if by_broker else scene.person(who),
                time_bank_id=place.bank_id,
                member_id=scene.member_id(who),
                organisation_id=place.charity.id,
                description="Sorting donations",
                minutes=minutes,
                service_date=days_ago(3),
            )
            scene.logs.append(log.id)
        elif name == "approve_log":
            index, decider = args
            log = approve_hour_log(
                s, actor=scene.person(decider), hour_log_id=pick(scene.logs, index)
            )
            assert log.transaction_id is not None
            scene.entries.append(log.transaction_id)
        elif name == "reject_log":
            index, decider = args
            reject_hour_log(
                s,
                actor=scene.person(decider),
                hour_log_id=pick(scene.logs, index),
                reason="Not confirmed",
            )
        elif name == "gift":
            giver, recipient, minutes = args
            gift = give_gift(
                s,
                actor=scene.person(giver),
                time_bank_id=place.bank_id,
                giver_id=scene.member_id(giver),
                recipient_id=None if recipient is None else scene.member_id(recipient),
                minutes=minutes,
            )
            scene.entries.append(gift.transaction_id)
        elif name == "exchange":
            provider, receiver, minutes = args
            exchange = record_exchange(
                s,
                actor=scene.person(receiver),
                time_bank_id=place.bank_id,
                provider_id=scene.member_id(provider),
                receiver_id=scene.member_id(receiver),
                minutes=minutes,
                description="Walked the dog",
                service_date=days_ago(1),
            )
            scene.exchanges.append(exchange.id)
            scene.entries.append(exchange.transaction_id)
        elif name == "approve_exchange":
            index, decider = args
            approve_exchange(
                s, actor=scene.person(decider), exchange_id=pick(scene.exchanges, index)
            )
        elif name == "reject_exchange":
            index, decider = args
            reject_exchange(
                s,
                actor=scene.person(decider),
                exchange_id=pick(scene.exchanges, index),
                reason="Not confirmed",
            )
        elif name == "spend":
            (who,) = args
            spend = record_spend(
                s,
                actor=scene.person(who),
                time_bank_id=place.bank_id,
                member_id=scene.member_id(who),
                activity_id=place.swim.id,
            )
            scene.entries.append(spend.transaction_id)
        elif name == "reverse":
            (index,) = args
            reverse_entry(
                s,
                actor=place.broker,
                time_bank_id=place.bank_id,
                transaction_id=pick(scene.entries, index),
                reason="Entered by mistake",
            )

    remembered = (list(scene.logs), list(scene.exchanges), list(scene.entries))
    before = snapshot(engine)
    try:
        run(engine, work)
    except (TimebankError, LedgerError) as refusal:
        event(f"{name} refused: {type(refusal).__name__}")
        scene.logs, scene.exchanges, scene.entries = remembered
        assert snapshot(engine) == before, f"{operation} was refused but wrote"
    else:
        event(f"{name} accepted")


def approved_logs_earning_other_than_their_minutes(s: Session) -> list[Any]:
    """Return the approved hour logs whose earn paid the member other minutes."""
    return list(
        s.execute(
            select(HourLog.id, HourLog.minutes, postings.c.minutes)
            .join(Membership, Membership.id == HourLog.membership_id)
            .outerjoin(
                postings,
                (postings.c.transaction_id == HourLog.transaction_id)
                & (postings.c.account_id == Membership.account_id),
            )
            .where(
                HourLog.status == "approved",
                postings.c.minutes.is_(None) | (postings.c.minutes != HourLog.minutes),
            )
        ).all()
    )


@pytest.fixture
def banks() -> dict[tuple[str, ...], Riverside]:
    """Return the time banks of this test run, by settings, opened as needed."""
    return {}


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    bank_settings=SETTINGS,
    operations=st.lists(OPERATIONS, min_size=2, max_size=12),
)
def test_domain_operations_keep_the_books_sound_hour_for_hour(
    empty_engine: Engine,
    banks: dict[tuple[str, ...], Riverside],
    bank_settings: dict[str, str],
    operations: list[tuple[Any, ...]],
) -> None:
    """Whatever members, brokers and admins do, and whatever is refused:

    - the ledger's invariants hold (balanced entries, balances matching their
      postings, no account below its floor, each entry reversed at most once);
    - every approved hour log earned its member exactly its minutes;
    - a refused operation wrote nothing.
    """
    engine = empty_engine
    key = tuple(sorted(bank_settings.values()))
    if key not in banks:
        banks[key] = open_riverside(engine, **bank_settings)
    scene = Scene(banks[key])
    for operation in operations:
        apply(engine, scene, operation)
    assert run(engine, lambda s: ledger.find_violations(s.connection())) == []
    assert run(engine, approved_logs_earning_other_than_their_minutes) == []
