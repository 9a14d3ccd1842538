"""Verifying the books: every invariant of the ledger and the domain, over the database.

Each test tampers with the database behind the services' back, as a bug or a
hand-made fix would, and checks that the verdict names exactly what broke.
"""

from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

import ledger
from timebank.banks.models import TimeBank
from timebank.exchanges.models import Exchange
from timebank.exchanges.services import reject_exchange
from timebank.gifts.services import give_gift
from timebank.hour_logs.models import HourLog
from timebank.hour_logs.services import approve_hour_log, reject_hour_log
from timebank.people.models import Membership
from timebank.verification.services import Verdict, verify_books

from .factories import (
    Riverside,
    exchange_paid_by_ana,
    give_ana_one_entry_of_each_kind,
    log_for,
    open_riverside,
    run,
)


def issuance_account(s: Session, place: Riverside) -> int:
    """Return the id of the issuance account of the place's book."""
    book_id = s.get_one(TimeBank, place.bank_id).book_id
    return ledger.get_book(s.connection(), book_id).issuance_account_id


def verdict(engine: Engine) -> Verdict:
    """Return the verdict on the whole database."""
    return run(engine, verify_books)


def tamper(engine: Engine, sql: str, **values: object) -> None:
    """Change rows with plain SQL, as nothing in the service would."""
    with engine.begin() as conn:
        conn.execute(text(sql), values)


@dataclass(frozen=True)
class Busy:
    """Riverside with an entry of each kind and records in every status."""

    place: Riverside
    approved_log: HourLog
    rejected_exchange: Exchange


def a_busy_time_bank(engine: Engine) -> Busy:
    """Ana earns, pays, gives and spends; logs and exchanges wait or are refused."""
    place = open_riverside(engine)
    give_ana_one_entry_of_each_kind(engine, place)
    log_for(engine, place, minutes=60)
    refused_log = log_for(engine, place, minutes=30)
    run(
        engine,
        lambda s: reject_hour_log(
            s, actor=place.broker, hour_log_id=refused_log.id, reason="Not ours"
        ),
    )
    exchange_paid_by_ana(engine, place, minutes=15)
    refused = exchange_paid_by_ana(engine, place, minutes=30)
    run(
        engine,
        lambda s: reject_exchange(
            s, actor=place.broker, exchange_id=refused.id, reason="Twice"
        ),
    )
    run(
        engine,
        lambda s: give_gift(
            s,
            actor=place.ben,
            time_bank_id=place.bank_id,
            giver_id=place.ben_id,
            recipient_id=None,
            minutes=15,
        ),
    )
    approved = log_for(engine, place, minutes=90)
    approved = run(
        engine,
        lambda s: approve_hour_log(s, actor=place.broker, hour_log_id=approved.id),
    )
    return Busy(place=place, approved_log=approved, rejected_exchange=refused)


def test_a_busy_time_bank_is_sound(empty_engine: Engine) -> None:
    a_busy_time_bank(empty_engine)
    found = verdict(empty_engine)
    assert found.violations == []
    assert found.sound
    assert found.entries > 0 and found.postings == 2 * found.entries


def test_an_approved_hour_log_that_no_longer_matches_its_earn_is_named(
    empty_engine: Engine,
) -> None:
    busy = a_busy_time_bank(empty_engine)
    log, place = busy.approved_log, busy.place
    tamper(empty_engine, "UPDATE hour_logs SET minutes = 120 WHERE id = :id", id=log.id)
    account = run(
        empty_engine, lambda s: s.get_one(Membership, place.ana_id).account_id
    )
    issuance = run(empty_engine, lambda s: issuance_account(s, place))
    assert verdict(empty_engine).violations == [
        f"approved hour log {log.id} pays 120 minutes into account {account}, but "
        f"its entry {log.transaction_id} has 2 postings, moving 90 minutes into "
        f"account {account} and 90 out of account {issuance}"
    ]


def test_a_record_whose_status_disagrees_with_its_entry_is_named(
    empty_engine: Engine,
) -> None:
    refused = a_busy_time_bank(empty_engine).rejected_exchange
    tamper(
        empty_engine,
        "UPDATE exchanges SET status = 'approved' WHERE id = :id",
        id=refused.id,
    )
    assert verdict(empty_engine).violations == [
        f"approved exchange {refused.id} has entry {refused.transaction_id}, "
        "a voided exchange, not a posted exchange"
    ]


def test_an_earn_written_straight_to_the_ledger_is_named(empty_engine: Engine) -> None:
    place = a_busy_time_bank(empty_engine).place

    def earn_with_no_hour_log(conn: Connection) -> int:
        bank = conn.execute(
            text("SELECT book_id FROM time_banks WHERE id = :id"), {"id": place.bank_id}
        ).scalar_one()
        member = conn.execute(
            text("SELECT account_id FROM memberships WHERE id = :id"),
            {"id": place.ben_id},
        ).scalar_one()
        return ledger.transfer(
            conn,
            from_account_id=ledger.get_book(conn, bank).issuance_account_id,
            to_account_id=member,
            minutes=60,
            kind="earn",
            memo="Nobody logged this",
        ).id

    entry = ledger.run_in_transaction(empty_engine, earn_with_no_hour_log)
    assert verdict(empty_engine).violations == [
        f"earn entry {entry} belongs to no hour log, exchange, gift or spend"
    ]


def test_a_member_whose_account_is_not_a_member_account_is_named(
    empty_engine: Engine,
) -> None:
    place = a_busy_time_bank(empty_engine).place
    tamper(
        empty_engine,
        "UPDATE memberships SET account_id = :account WHERE id = :id",
        account=place.charity.account_id,
        id=place.broker_id,
    )
    assert verdict(empty_engine).violations == [
        f"the member account {place.charity.account_id} of time bank "
        f"{place.bank_id} is of kind organisation, not member"
    ]


def test_an_account_of_another_time_banks_book_is_named(empty_engine: Engine) -> None:
    place = a_busy_time_bank(empty_engine).place
    other_book = ledger.run_in_transaction(
        empty_engine, lambda conn: ledger.open_book(conn, name="Elsewhere").id
    )
    elsewhere = ledger.run_in_transaction(
        empty_engine,
        lambda conn: (
            ledger.open_account(
                conn, book_id=other_book, kind="member", owner="elsewhere"
            ).id
        ),
    )
    tamper(
        empty_engine,
        "UPDATE memberships SET account_id = :account WHERE id = :id",
        account=elsewhere,
        id=place.broker_id,
    )
    book = run(empty_engine, lambda s: s.get_one(TimeBank, place.bank_id).book_id)
    assert verdict(empty_engine).violations == [
        f"the member account {elsewhere} of time bank {place.bank_id} is in "
        f"book {other_book}, not in its time bank's book {book}"
    ]


def test_the_ledgers_own_invariants_are_checked_too(empty_engine: Engine) -> None:
    place = a_busy_time_bank(empty_engine).place
    account = run(
        empty_engine, lambda s: s.get_one(Membership, place.ana_id).account_id
    )
    tamper(
        empty_engine,
        "UPDATE ledger_accounts SET balance_minutes = balance_minutes + 15"
        " WHERE id = :id",
        id=account,
    )
    violations = verdict(empty_engine).violations
    assert violations[0] == "2: the balances sum to 15, not zero"
    assert violations[1].startswith(f"3: account {account} keeps balance")
    assert len(violations) == 2
