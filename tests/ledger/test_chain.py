"""The hash chains show every edited, deleted or inserted row of the books.

Each tamper goes around the ledger with plain SQL and the append-only triggers
switched off, as someone with the database's password could, and is rolled back.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import (
    Connection,
    Engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

import ledger
from ledger import Posting, run_in_transaction
from ledger.schema import account_slots, accounts, postings, transactions

HOUR = 60
SQLITE_APPEND_ONLY_TRIGGERS = (
    "ledger_postings_no_update",
    "ledger_postings_linked_once",
    "ledger_postings_no_delete",
    "ledger_transactions_no_delete",
    "ledger_transactions_fixed_columns",
    "ledger_transactions_resolved_once",
    "ledger_transactions_approved_on_resolution",
)


@contextmanager
def tampering(engine: Engine) -> Iterator[Connection]:
    """Yield a connection that bypasses the triggers; its changes are rolled back."""
    with engine.connect() as conn:
        transaction = conn.begin()
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        else:
            # SQLite's DDL is transactional: the rollback restores the triggers.
            for trigger in SQLITE_APPEND_ONLY_TRIGGERS:
                conn.exec_driver_sql(f"DROP TRIGGER {trigger}")
        yield conn
        transaction.rollback()


@dataclass(frozen=True)
class History:
    """A book's accounts and the entries of a varied history."""

    book: ledger.Book
    ada: int
    bob: int
    centre: int
    earn: ledger.Transaction
    gift: ledger.Transaction
    exchange: ledger.Transaction
    voided: ledger.Transaction
    spend: ledger.Transaction
    reversal: ledger.Transaction
    still_pending: ledger.Transaction


@pytest.fixture
def history(engine: Engine, book: ledger.Book) -> History:
    """Earn, give, hold and post, hold and void, spend, reverse, and hold."""

    def work(conn: Connection) -> History:
        ada, bob, centre = (
            ledger.open_account(conn, book_id=book.id, kind=kind).id
            for kind in ("member", "member", "organisation")
        )

        def move(payer: int, payee: int, minutes: int, **details: Any) -> Any:
            return ledger.transfer(
                conn,
                from_account_id=payer,
                to_account_id=payee,
                minutes=minutes,
                **details,
            )

        earned = ledger.record_transaction(
            conn,
            kind="earn",
            postings=[
                Posting(book.issuance_account_id, -6 * HOUR),
                Posting(ada, 4 * HOUR),
                Posting(bob, 2 * HOUR),
            ],
            memo="Gardening at the <community> centre; 'quoted' & \"double\"",
            service_date=date(2026, 11, 1),
            idempotency_key="earn-1",
        )
        gift = move(ada, bob, HOUR, kind="gift", memo="Thank you")
        held = move(bob, ada, 30, kind="exchange", pending=True)
        exchange = ledger.post_pending(conn, held.id, approved_by=7)
        doomed = move(ada, centre, HOUR, kind="spend", pending=True)
        voided = ledger.void_pending(conn, doomed.id)
        spend = move(bob, centre, 45, kind="spend", memo="Swimming")
        reversal = ledger.reverse_transaction(conn, gift.id, created_by=3)
        still_pending = move(
            ada,
            centre,
            15,
            kind="spend",
            pending=True,
            expires_at=datetime(2099, 1, 1, tzinfo=UTC),
        )
        return History(
            book,
            ada,
            bob,
            centre,
            earned,
            gift,
            exchange,
            voided,
            spend,
            reversal,
            still_pending,
        )

    return run_in_transaction(engine, work)


def chain_violations(conn: Connection) -> list[str]:
    return [
        violation
        for violation in ledger.find_violations(conn)
        if "chain" in violation or "link" in violation
    ]


def posting_of(conn: Connection, entry: ledger.Transaction, account_id: int) -> Any:
    return conn.execute(
        select(postings).where(
            postings.c.transaction_id == entry.id, postings.c.account_id == account_id
        )
    ).one()


def test_a_varied_history_verifies_clean_and_chains_every_resolved_posting(
    engine: Engine, history: History
) -> None:
    with engine.connect() as conn:
        assert ledger.find_violations(conn) == []
        links = {
            (row.transaction_id, row.account_id): row.chain_seq
            for row in conn.execute(select(postings))
        }
        heads = dict(conn.execute(select(accounts.c.id, accounts.c.chain_length)).all())
        issuance_slot_links = conn.scalar(
            select(func.sum(account_slots.c.chain_length)).where(
                account_slots.c.account_id == history.book.issuance_account_id
            )
        )

    assert links[(history.still_pending.id, history.ada)] is None
    assert links[(history.voided.id, history.ada)] is not None
    # Ada: earn, gift, exchange, voided spend, reversal; the pending spend waits.
    assert heads[history.ada] == 5
    assert heads[history.centre] == 2
    # The issuance account's one posting is a link of one of its 16 chains.
    assert heads[history.book.issuance_account_id] + issuance_slot_links == 1


def test_a_postings_minutes_edited_are_named(engine: Engine, history: History) -> None:
    with tampering(engine) as conn:
        edited = posting_of(conn, history.spend, history.centre)
        conn.execute(
            update(postings).where(postings.c.id == edited.id).values(minutes=60)
        )
        violations = chain_violations(conn)

    assert violations == [
        f"5: posting {edited.id} of entry {history.spend.id} does not match link "
        f"{edited.chain_seq} of account {history.centre}: the posting or its "
        "entry was changed"
    ]


@pytest.mark.parametrize(
    "change",
    [
        {"memo": "Gardening"},
        {"service_date": date(2026, 10, 1)},
        {"recorded_at": datetime(2026, 11, 2, 9, 0, tzinfo=UTC)},
        {"kind": "adjustment"},
        {"status": "voided"},
        {"approved_by": 99},
        {"created_by": 99},
    ],
    ids=lambda change: next(iter(change)),
)
def test_each_edited_field_of_an_entry_is_named_on_each_of_its_postings(
    engine: Engine, history: History, change: dict[str, object]
) -> None:
    with tampering(engine) as conn:
        conn.execute(
            update(transactions)
            .where(transactions.c.id == history.exchange.id)
            .values(change)
        )
        violations = chain_violations(conn)

    assert len(violations) == 2
    assert all(
        f"of entry {history.exchange.id} does not match link" in violation
        for violation in violations
    )


def test_a_deleted_posting_leaves_a_gap_in_its_chain(
    engine: Engine, history: History
) -> None:
    with tampering(engine) as conn:
        gift = posting_of(conn, history.gift, history.ada)
        conn.execute(delete(postings).where(postings.c.id == gift.id))
        violations = chain_violations(conn)

    assert violations == [
        f"5: link {gift.chain_seq} of account {history.ada} is missing"
    ]


def test_a_deleted_last_posting_leaves_the_head_past_the_chain(
    engine: Engine, history: History
) -> None:
    with tampering(engine) as conn:
        last = posting_of(conn, history.spend, history.centre)
        conn.execute(delete(postings).where(postings.c.id == last.id))
        violations = chain_violations(conn)

    assert violations == [
        f"5: the chain of account {history.centre} ends at link "
        f"{last.chain_seq - 1} but its head is link {last.chain_seq}"
    ]


def test_an_inserted_posting_is_in_no_chain(engine: Engine, history: History) -> None:
    with tampering(engine) as conn:
        inserted = conn.execute(
            insert(postings)
            .values(
                transaction_id=history.spend.id,
                account_id=history.ada,
                slot=0,
                minutes=-45,
                recorded_at=history.spend.recorded_at,
            )
            .returning(postings.c.id)
        ).scalar_one()
        violations = chain_violations(conn)

    assert violations == [
        f"5: posting {inserted} of posted entry {history.spend.id} is in no chain"
    ]


def test_a_copied_posting_repeats_a_link(engine: Engine, history: History) -> None:
    with tampering(engine) as conn:
        original = posting_of(conn, history.spend, history.centre)
        copy = original._asdict()
        del copy["id"]
        copy["transaction_id"] = history.exchange.id
        copied = conn.execute(
            insert(postings).values(copy).returning(postings.c.id)
        ).scalar_one()
        violations = chain_violations(conn)

    assert violations == [
        f"5: posting {copied} of entry {history.exchange.id} repeats link "
        f"{original.chain_seq} of account {history.centre}"
    ]


def test_a_deleted_entry_leaves_a_gap_in_the_chain_of_each_of_its_accounts(
    engine: Engine, history: History
) -> None:
    with tampering(engine) as conn:
        links = {
            account_id: posting_of(conn, history.exchange, account_id).chain_seq
            for account_id in (history.ada, history.bob)
        }
        conn.execute(
            delete(postings).where(postings.c.transaction_id == history.exchange.id)
        )
        conn.execute(
            delete(transactions).where(transactions.c.id == history.exchange.id)
        )
        violations = chain_violations(conn)

    assert sorted(violations) == sorted(
        f"5: link {seq} of account {account_id} is missing"
        for account_id, seq in links.items()
    )


def test_two_postings_whose_amounts_are_swapped_are_both_named(
    engine: Engine, history: History
) -> None:
    with tampering(engine) as conn:
        earned = posting_of(conn, history.earn, history.bob)
        spent = posting_of(conn, history.spend, history.bob)
        for posting, minutes in ((earned, spent.minutes), (spent, earned.minutes)):
            conn.execute(
                update(postings)
                .where(postings.c.id == posting.id)
                .values(minutes=minutes)
            )
        violations = chain_violations(conn)

    assert violations == [
        f"5: posting {posting.id} of entry {posting.transaction_id} does not match "
        f"link {posting.chain_seq} of account {history.bob}: the posting or its "
        "entry was changed"
        for posting in (earned, spent)
    ]


def test_a_posting_moved_to_another_slot_is_named(
    engine: Engine, history: History
) -> None:
    issuance = history.book.issuance_account_id
    with tampering(engine) as conn:
        earned = posting_of(conn, history.earn, issuance)
        conn.execute(
            update(postings)
            .where(postings.c.id == earned.id)
            .values(slot=(earned.slot + 1) % 16)
        )
        violations = chain_violations(conn)

    def chain(slot: int) -> str:
        return f"account {issuance}" + (f" (slot {slot})" if slot else "")

    moved_to = (earned.slot + 1) % 16
    assert sorted(violations) == sorted(
        [
            f"5: posting {earned.id} of entry {history.earn.id} does not match link "
            f"1 of {chain(moved_to)}: the posting or its entry was changed",
            f"5: the chain of {chain(earned.slot)} ends at link 0 but its head is "
            "link 1",
            f"5: the chain of {chain(moved_to)} ends at link 1 but its head is link 0",
        ]
    )


def test_a_pending_entry_joins_its_chains_as_it_is_posted(
    engine: Engine, history: History
) -> None:
    run_in_transaction(
        engine, lambda conn: ledger.post_pending(conn, history.still_pending.id)
    )

    with engine.connect() as conn:
        assert ledger.find_violations(conn) == []
        assert posting_of(conn, history.still_pending, history.ada).chain_seq == 6


def test_the_database_lets_a_posting_join_a_chain_only_once(
    engine: Engine, history: History
) -> None:
    with (
        pytest.raises(IntegrityError, match="chain of its account once"),
        engine.begin() as conn,
    ):
        conn.execute(
            update(postings)
            .where(postings.c.transaction_id == history.gift.id)
            .values(chain_hash=b"forged")
        )


def test_a_transfer_whose_chain_moved_after_it_was_read_appends_after_the_new_head(
    postgres_engine: Engine,
) -> None:
    """Another gift from the same payer commits between the read and the write."""

    def open_accounts(conn: Connection) -> tuple[int, int]:
        book = ledger.open_book(conn, name="Riverside")
        ada, bob = (
            ledger.open_account(conn, book_id=book.id, kind="member").id
            for _ in range(2)
        )
        ledger.transfer(
            conn,
            from_account_id=book.issuance_account_id,
            to_account_id=ada,
            minutes=2 * HOUR,
            kind="earn",
        )
        return ada, bob

    ada, bob = run_in_transaction(postgres_engine, open_accounts)

    def gift(conn: Connection) -> ledger.Transaction:
        return ledger.transfer(
            conn, from_account_id=ada, to_account_id=bob, minutes=HOUR, kind="gift"
        )

    updates: list[str] = []

    def gift_overtaken_before_its_first_write(conn: Connection) -> Any:
        @event.listens_for(conn, "before_cursor_execute")
        def overtake(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            if statement.startswith("UPDATE ledger_accounts"):
                updates.append(statement)
                if len(updates) == 1:
                    run_in_transaction(postgres_engine, gift)

        return gift(conn)

    run_in_transaction(postgres_engine, gift_overtaken_before_its_first_write)

    # The other gift moved both chains: each account's update was sent again.
    assert len(updates) == 4
    with postgres_engine.connect() as conn:
        assert ledger.find_violations(conn) == []
        lengths = dict(
            conn.execute(
                select(accounts.c.id, accounts.c.chain_length).where(
                    accounts.c.id.in_([ada, bob])
                )
            ).all()
        )
    assert lengths == {ada: 3, bob: 2}
