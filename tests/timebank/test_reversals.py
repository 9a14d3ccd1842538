"""Reversals: a broker undoes a posted entry of their bank, saying why."""

from sqlalchemy import Engine

from ledger.errors import AlreadyReversed
from timebank.audit.services import list_events
from timebank.errors import MakerChecker, NotPermitted, ReasonRequired, UnknownEntry
from timebank.hour_logs.services import approve_hour_log
from timebank.reversals.services import reverse_entry

from .factories import (
    Riverside,
    assert_refused,
    balance,
    earn,
    log_for,
    open_riverside,
    run,
)


def test_a_broker_reverses_an_earn_and_the_reason_is_audited(
    engine: Engine, riverside: Riverside
) -> None:
    log = earn(engine, riverside, riverside.ana, 120)
    assert log.transaction_id is not None
    entry_id = log.transaction_id
    other_broker = open_riverside(engine)  # a broker elsewhere has no power here
    assert_refused(
        engine,
        lambda s: reverse_entry(
            s,
            actor=other_broker.broker,
            time_bank_id=riverside.bank_id,
            transaction_id=entry_id,
            reason="Logged twice",
        ),
        NotPermitted,
        "Only a broker",
    )
    assert_refused(
        engine,
        lambda s: reverse_entry(
            s,
            actor=riverside.broker,
            time_bank_id=riverside.bank_id,
            transaction_id=entry_id,
            reason=" ",
        ),
        ReasonRequired,
        "reason",
    )
    reversal = run(
        engine,
        lambda s: reverse_entry(
            s,
            actor=riverside.broker,
            time_bank_id=riverside.bank_id,
            transaction_id=entry_id,
            reason="Logged twice",
        ),
    )
    assert reversal.reverses_id == entry_id
    assert balance(engine, riverside.ana_id).balance_minutes == 0
    events = run(
        engine,
        lambda s: list_events(
            s, time_bank_id=riverside.bank_id, subject_type="ledger_transaction"
        ),
    )
    assert [(e.action, e.reason, e.actor_id) for e in events] == [
        ("entry_reversed", "Logged twice", riverside.broker.id)
    ]
    assert_refused(
        engine,
        lambda s: reverse_entry(
            s,
            actor=riverside.broker,
            time_bank_id=riverside.bank_id,
            transaction_id=entry_id,
            reason="Again",
        ),
        AlreadyReversed,
        "already reversed",
    )


def test_a_broker_never_reverses_an_entry_they_made_or_that_touches_them(
    engine: Engine, riverside: Riverside
) -> None:
    made = log_for(engine, riverside, actor=riverside.broker)
    earned = run(
        engine,
        lambda s: approve_hour_log(
            s, actor=riverside.charity_admin, hour_log_id=made.id
        ),
    )
    own = log_for(
        engine, riverside, member_id=riverside.broker_id, actor=riverside.broker
    )
    own_earned = run(
        engine,
        lambda s: approve_hour_log(
            s, actor=riverside.charity_admin, hour_log_id=own.id
        ),
    )
    for entry_id in (earned.transaction_id, own_earned.transaction_id):
        assert_refused(
            engine,
            lambda s, entry_id=entry_id: reverse_entry(  # type: ignore[misc]
                s,
                actor=riverside.broker,
                time_bank_id=riverside.bank_id,
                transaction_id=entry_id,
                reason="Mistake",
            ),
            MakerChecker,
            "cannot reverse an entry that you recorded or that touches your",
        )


def test_an_entry_of_another_time_bank_is_unknown_here(
    engine: Engine, riverside: Riverside
) -> None:
    elsewhere = open_riverside(engine)
    log = earn(engine, elsewhere, elsewhere.ana, 60)
    assert_refused(
        engine,
        lambda s: reverse_entry(
            s,
            actor=riverside.broker,
            time_bank_id=riverside.bank_id,
            transaction_id=log.transaction_id,  # type: ignore[arg-type]
            reason="Mistake",
        ),
        UnknownEntry,
        "no entry",
    )
