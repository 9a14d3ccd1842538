"""The queue of approvals: what waits for whom, and deciding many items at once."""

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from timebank.approvals.services import (
    ItemKind,
    ItemRef,
    decide_pending,
    pending_queue,
)
from timebank.audit.services import list_events
from timebank.decisions import Decision, NotYours
from timebank.errors import ItemRefused, NotPermitted, ReasonRequired
from timebank.exchanges.models import Exchange
from timebank.exchanges.services import record_exchange
from timebank.gifts.models import Gift
from timebank.gifts.services import give_gift
from timebank.hour_logs.models import HourLog
from timebank.hour_logs.services import approve_hour_log, get_hour_log, log_hours
from timebank.organisations.services import register_organisation
from timebank.people.models import User

from .factories import (
    Riverside,
    assert_refused,
    balance,
    days_ago,
    earn,
    exchange_paid_by_ana,
    log_for,
    open_riverside,
    run,
)


def hour_log(log: HourLog) -> ItemRef:
    return ItemRef(ItemKind.HOUR_LOG, log.id)


def gift_from_ana(engine: Engine, place: Riverside) -> Gift:
    """Give half an hour from Ana to Ben; it waits in a bank that asks for approval."""
    return run(
        engine,
        lambda s: give_gift(
            s,
            actor=place.ana,
            time_bank_id=place.bank_id,
            giver_id=place.ana_id,
            recipient_id=place.ben_id,
            minutes=30,
        ),
    )


def statuses(engine: Engine, logs: list[HourLog]) -> list[str]:
    return run(engine, lambda s: [get_hour_log(s, log.id).status for log in logs])


def test_approving_many_hour_logs_earns_exactly_their_minutes(
    engine: Engine, riverside: Riverside
) -> None:
    logs = [
        log_for(engine, riverside, minutes=120),
        log_for(engine, riverside, minutes=45),
        log_for(engine, riverside, member_id=riverside.ben_id, actor=riverside.ben),
    ]
    decided = run(
        engine,
        lambda s: decide_pending(
            s,
            actor=riverside.broker,
            time_bank_id=riverside.bank_id,
            items=[hour_log(log) for log in logs],
            decision=Decision.APPROVED,
        ),
    )
    assert decided == [hour_log(log) for log in logs]
    assert statuses(engine, logs) == ["approved"] * 3
    assert balance(engine, riverside.ana_id).balance_minutes == 165
    assert balance(engine, riverside.ben_id).balance_minutes == 120
    events = run(engine, lambda s: list_events(s, time_bank_id=riverside.bank_id))
    assert sum(event.action == "hour_log_approved" for event in events) == 3


def test_one_refused_item_leaves_every_item_undecided(
    engine: Engine, riverside: Riverside
) -> None:
    waiting = log_for(engine, riverside, minutes=60)
    decided_already = log_for(engine, riverside, minutes=90)
    run(
        engine,
        lambda s: approve_hour_log(
            s, actor=riverside.broker, hour_log_id=decided_already.id
        ),
    )
    assert_refused(
        engine,
        lambda s: decide_pending(
            s,
            actor=riverside.broker,
            time_bank_id=riverside.bank_id,
            items=[hour_log(waiting), hour_log(decided_already)],
            decision=Decision.APPROVED,
        ),
        ItemRefused,
        "Nothing was decided, because of the hour log of 1 h 30 min for Ana .*"
        "already approved",
    )
    assert statuses(engine, [waiting]) == ["pending"]
    assert balance(engine, riverside.ana_id).balance_minutes == 90


def test_a_rejection_decides_exchanges_and_gifts_with_one_reason(
    engine: Engine,
) -> None:
    place = open_riverside(engine, gift_approval="always")
    earn(engine, place, place.ana, 120)
    exchange = exchange_paid_by_ana(engine, place)
    gift = gift_from_ana(engine, place)
    assert balance(engine, place.ana_id).available_minutes == 30
    run(
        engine,
        lambda s: decide_pending(
            s,
            actor=place.broker,
            time_bank_id=place.bank_id,
            items=[
                ItemRef(ItemKind.EXCHANGE, exchange.id),
                ItemRef(ItemKind.GIFT, gift.id),
            ],
            decision=Decision.REJECTED,
            reason="Recorded by mistake",
        ),
    )
    assert balance(engine, place.ana_id).available_minutes == 120
    assert run(
        engine,
        lambda s: (
            s.get_one(Exchange, exchange.id).reason,
            s.get_one(Gift, gift.id).reason,
        ),
    ) == ("Recorded by mistake", "Recorded by mistake")


def test_a_rejection_without_a_reason_decides_nothing(
    engine: Engine, riverside: Riverside
) -> None:
    log = log_for(engine, riverside)
    assert_refused(
        engine,
        lambda s: decide_pending(
            s,
            actor=riverside.broker,
            time_bank_id=riverside.bank_id,
            items=[hour_log(log)],
            decision=Decision.REJECTED,
            reason="  ",
        ),
        ReasonRequired,
        "reason",
    )


def test_nobody_decides_what_they_recorded_or_what_pays_them(
    engine: Engine, riverside: Riverside
) -> None:
    logged_by_broker = log_for(engine, riverside, actor=riverside.broker)
    brokers_own = log_for(
        engine, riverside, member_id=riverside.broker_id, actor=riverside.broker
    )
    for log, why in ((logged_by_broker, "you recorded it"), (brokers_own, "you")):
        for decision in (Decision.APPROVED, Decision.REJECTED):
            assert_refused(
                engine,
                lambda s, log=log, decision=decision: decide_pending(
                    s,
                    actor=riverside.broker,
                    time_bank_id=riverside.bank_id,
                    items=[hour_log(log)],
                    decision=decision,
                    reason="Not needed",
                ),
                ItemRefused,
                f"Someone else must decide it: {why}",
            )


def test_a_broker_decides_nothing_paid_from_their_own_account(
    engine: Engine, riverside: Riverside
) -> None:
    earn(engine, riverside, riverside.ana, 60)
    # Ana recorded that the broker helped her: it pays the broker.
    exchange = run(
        engine,
        lambda s: record_exchange(
            s,
            actor=riverside.ana,
            time_bank_id=riverside.bank_id,
            provider_id=riverside.broker_id,
            receiver_id=riverside.ana_id,
            minutes=60,
            description="Mowed the lawn",
            service_date=days_ago(1),
        ),
    )
    (item,) = run(
        engine,
        lambda s: pending_queue(
            s, actor=riverside.broker, time_bank_id=riverside.bank_id
        ),
    ).items
    assert item.ref == ItemRef(ItemKind.EXCHANGE, exchange.id)
    assert item.not_yours == NotYours.PAID
    assert_refused(
        engine,
        lambda s: decide_pending(
            s,
            actor=riverside.broker,
            time_bank_id=riverside.bank_id,
            items=[item.ref],
            decision=Decision.APPROVED,
        ),
        ItemRefused,
        "it pays you",
    )


def test_the_broker_sees_everything_pending_oldest_first(engine: Engine) -> None:
    place = open_riverside(engine, gift_approval="always")
    earn(engine, place, place.ana, 120)
    log = log_for(engine, place, minutes=45)
    exchange = exchange_paid_by_ana(engine, place)
    gift = gift_from_ana(engine, place)
    ben_logged = log_for(engine, place, member_id=place.ben_id, actor=place.broker)
    queue = run(
        engine,
        lambda s: pending_queue(s, actor=place.broker, time_bank_id=place.bank_id),
    )
    assert queue.all_kinds and queue.total == 4
    assert [item.ref for item in queue.items] == [
        hour_log(log),
        ItemRef(ItemKind.EXCHANGE, exchange.id),
        ItemRef(ItemKind.GIFT, gift.id),
        hour_log(ben_logged),
    ]
    first, paid, given, logged = queue.items
    assert (first.who, first.what, first.minutes, first.recorded_by) == (
        "Ana",
        "Volunteering for Riverside Food Bank",
        45,
        "Ana",
    )
    assert first.service_date == days_ago(1)
    assert (paid.who, paid.description) == ("Ana pays Ben", "Fixed a bicycle")
    assert given.who == "Ana gives Ben"
    assert [item.not_yours for item in queue.items] == [
        None,
        None,
        None,
        NotYours.RECORDED,
    ]
    assert logged.recorded_by == "Bea Broker"


def test_the_queue_shows_the_oldest_items_and_counts_them_all(
    engine: Engine, riverside: Riverside
) -> None:
    logs = [log_for(engine, riverside, minutes=15 * (n + 1)) for n in range(3)]
    queue = run(
        engine,
        lambda s: pending_queue(
            s, actor=riverside.broker, time_bank_id=riverside.bank_id, limit=2
        ),
    )
    assert queue.total == 3
    assert [item.ref for item in queue.items] == [hour_log(log) for log in logs[:2]]


def test_an_organisation_admin_sees_only_their_organisations_hour_logs(
    engine: Engine, riverside: Riverside
) -> None:
    earn(engine, riverside, riverside.ana, 60)
    exchange_paid_by_ana(engine, riverside)
    theirs = log_for(engine, riverside)

    def log_at_the_library(s: Session) -> HourLog:
        library = register_organisation(
            s,
            actor=riverside.admin,
            time_bank_id=riverside.bank_id,
            name="Library",
            is_issuer=True,
            is_spend_partner=False,
            floor_minutes=None,
        )
        return log_hours(
            s,
            actor=riverside.ben,
            time_bank_id=riverside.bank_id,
            member_id=riverside.ben_id,
            organisation_id=library.id,
            description="Shelved books",
            minutes=60,
            service_date=days_ago(1),
        )

    library_log = run(engine, log_at_the_library)
    queue = run(
        engine,
        lambda s: pending_queue(
            s, actor=riverside.charity_admin, time_bank_id=riverside.bank_id
        ),
    )
    assert not queue.all_kinds
    assert [item.ref for item in queue.items] == [hour_log(theirs)]
    assert queue.total == 1
    assert_refused(
        engine,
        lambda s: decide_pending(
            s,
            actor=riverside.charity_admin,
            time_bank_id=riverside.bank_id,
            items=[hour_log(theirs), hour_log(library_log)],
            decision=Decision.APPROVED,
        ),
        ItemRefused,
        "the hour log of 1 h for Ben .*Only a broker of this time bank, or an admin "
        "of Library",
    )
    run(
        engine,
        lambda s: decide_pending(
            s,
            actor=riverside.charity_admin,
            time_bank_id=riverside.bank_id,
            items=[hour_log(theirs)],
            decision=Decision.APPROVED,
        ),
    )
    assert statuses(engine, [theirs, library_log]) == ["approved", "pending"]


def test_someone_who_decides_nothing_has_no_queue(
    engine: Engine, riverside: Riverside
) -> None:
    for nobody in (riverside.ana, riverside.admin):
        assert_refused(
            engine,
            lambda s, nobody=nobody: pending_queue(
                s, actor=nobody, time_bank_id=riverside.bank_id
            ),
            NotPermitted,
            "Only a broker of this time bank, or an admin of one of its organisations",
        )


def test_items_of_another_time_bank_are_not_decided_here(
    engine: Engine, riverside: Riverside
) -> None:
    elsewhere = open_riverside(engine)
    log = log_for(engine, elsewhere)
    for broker in (riverside.broker, elsewhere.broker):
        assert_refused(
            engine,
            lambda s, broker=broker: decide_pending(
                s,
                actor=broker,
                time_bank_id=riverside.bank_id,
                items=[hour_log(log)],
                decision=Decision.APPROVED,
            ),
            ItemRefused,
            "not an hour log of this time bank",
        )
    unknown: list[tuple[ItemKind, str]] = [
        (ItemKind.HOUR_LOG, "the hour log number"),
        (ItemKind.EXCHANGE, "the exchange number"),
        (ItemKind.GIFT, "the gift number"),
    ]
    for kind, name in unknown:
        assert_refused(
            engine,
            lambda s, kind=kind: decide_pending(
                s,
                actor=riverside.broker,
                time_bank_id=riverside.bank_id,
                items=[ItemRef(kind, 10**15)],
                decision=Decision.APPROVED,
            ),
            ItemRefused,
            name,
        )


def test_a_member_decides_nothing_even_naming_items_directly(
    engine: Engine, riverside: Riverside
) -> None:
    log = log_for(engine, riverside, member_id=riverside.ben_id, actor=riverside.ben)
    member: User = riverside.ana
    assert_refused(
        engine,
        lambda s: decide_pending(
            s,
            actor=member,
            time_bank_id=riverside.bank_id,
            items=[hour_log(log)],
            decision=Decision.APPROVED,
        ),
        ItemRefused,
        "Only a broker",
    )
