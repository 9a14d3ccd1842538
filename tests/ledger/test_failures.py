"""A unit of work that fails part-way leaves nothing behind, on either backend.

Failures are injected into the statements the ledger sends: each operation is
run again and again, failing at its first statement, then its second, and so
on until it runs to the end, and after every failure the books must be exactly
as they were.
"""

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event, insert, select, update
from sqlalchemy.exc import IntegrityError

import ledger
from ledger import Posting, run_in_transaction
from ledger.errors import InsufficientCredit
from ledger.schema import accounts, metadata, postings, transactions

HOUR = 60


class InjectedFailure(Exception):
    """The failure a test injects into one statement of a unit of work."""


@dataclass(frozen=True)
class Books:
    """A book with two members who have earned, one entry held and one posted."""

    book: ledger.Book
    ana: int
    ben: int
    held_id: int
    posted_id: int


def open_books(conn: Connection) -> Books:
    book = ledger.open_book(conn, name="Riverside")
    ana = ledger.open_account(conn, book_id=book.id, kind="member").id
    ben = ledger.open_account(conn, book_id=book.id, kind="member").id
    for member in (ana, ben):
        earn(conn, book, member, 3 * HOUR)
    held = ledger.transfer(
        conn,
        from_account_id=ana,
        to_account_id=ben,
        minutes=HOUR,
        kind="exchange",
        pending=True,
    )
    posted = ledger.transfer(
        conn, from_account_id=ben, to_account_id=ana, minutes=HOUR, kind="gift"
    )
    return Books(book, ana, ben, held.id, posted.id)


def earn(conn: Connection, book: ledger.Book, member: int, minutes: int) -> Any:
    return ledger.transfer(
        conn,
        from_account_id=book.issuance_account_id,
        to_account_id=member,
        minutes=minutes,
        kind="earn",
    )


def snapshot(engine: Engine) -> dict[str, Sequence[Any]]:
    """Return every row of every ledger table, in a stable order."""

    def read(conn: Connection) -> dict[str, Sequence[Any]]:
        return {
            table.name: conn.execute(
                select(table).order_by(*table.primary_key.columns)
            ).all()
            for table in metadata.sorted_tables
        }

    return run_in_transaction(engine, read)


Operation = Callable[[Connection, Books], Any]

OPERATIONS: dict[str, Operation] = {
    "earn": lambda conn, books: earn(conn, books.book, books.ana, HOUR),
    "transfer": lambda conn, books: ledger.transfer(
        conn,
        from_account_id=books.ana,
        to_account_id=books.ben,
        minutes=HOUR,
        kind="gift",
        idempotency_key="gift-1",
    ),
    "three-way exchange": lambda conn, books: ledger.record_transaction(
        conn,
        kind="exchange",
        postings=[
            Posting(books.ana, -HOUR),
            Posting(books.ben, HOUR // 2),
            Posting(books.book.issuance_account_id, HOUR // 2),
        ],
    ),
    "post pending": lambda conn, books: ledger.post_pending(conn, books.held_id),
    "void pending": lambda conn, books: ledger.void_pending(conn, books.held_id),
    "reversal": lambda conn, books: ledger.reverse_transaction(conn, books.posted_id),
}


def run_failing_at(
    engine: Engine, books: Books, operation: Operation, statement: int
) -> bool:
    """Run the operation failing at its nth statement; tell whether it failed."""

    def work(conn: Connection) -> Any:
        counted = itertools.count(1)

        @event.listens_for(conn, "before_cursor_execute")
        def fail_at_the_chosen_statement(*_: Any) -> None:
            if next(counted) == statement:
                raise InjectedFailure(f"statement {statement} failed")

        return operation(conn, books)

    try:
        run_in_transaction(engine, work)
    except InjectedFailure:
        return True
    return False


@pytest.mark.parametrize("operation", OPERATIONS.values(), ids=OPERATIONS.keys())
def test_failure_at_any_statement_leaves_the_books_unchanged(
    engine: Engine, operation: Operation
) -> None:
    books = run_in_transaction(engine, open_books)
    before = snapshot(engine)

    for statement in itertools.count(1):
        if not run_failing_at(engine, books, operation, statement):
            break
        assert snapshot(engine) == before, f"failing at statement {statement}"

    # The last run did not reach its failure: it ran every statement and wrote.
    assert statement > 3
    assert snapshot(engine) != before
    assert run_in_transaction(engine, ledger.find_violations) == []


def test_error_after_a_transfer_in_the_same_unit_of_work_undoes_it(
    engine: Engine,
) -> None:
    books = run_in_transaction(engine, open_books)
    before = snapshot(engine)

    def transfer_then_crash(conn: Connection) -> None:
        ledger.transfer(
            conn,
            from_account_id=books.ana,
            to_account_id=books.ben,
            minutes=HOUR,
            kind="gift",
        )
        raise RuntimeError("the service crashed after recording the gift")

    with pytest.raises(RuntimeError, match="crashed"):
        run_in_transaction(engine, transfer_then_crash)

    assert snapshot(engine) == before


def test_floor_guard_losing_a_race_midway_undoes_the_first_account(
    postgres_engine: Engine,
) -> None:
    """Drain the payer between the transfer's checks and its writes.

    The payee's account (the lower id) is credited first; the payer's guarded
    update then finds the floor broken, and the whole transfer must vanish.
    """

    def open_accounts(conn: Connection) -> tuple[int, int, int]:
        book = ledger.open_book(conn, name="Riverside")
        payee, payer, centre = (
            ledger.open_account(conn, book_id=book.id, kind=kind).id
            for kind in ("member", "member", "organisation")
        )
        earn(conn, book, payer, HOUR)
        return payee, payer, centre

    payee, payer, centre = run_in_transaction(postgres_engine, open_accounts)

    def get_payee() -> ledger.Account:
        return run_in_transaction(
            postgres_engine, lambda conn: ledger.get_account(conn, payee)
        )

    def spend_payers_hour(conn: Connection) -> ledger.Transaction:
        return ledger.transfer(
            conn,
            from_account_id=payer,
            to_account_id=centre,
            minutes=HOUR,
            kind="spend",
        )

    payee_before = get_payee()
    account_updates = []

    def gift_drained_before_its_first_write(conn: Connection) -> Any:
        @event.listens_for(conn, "before_cursor_execute")
        def drain(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            if statement.startswith("UPDATE ledger_accounts"):
                account_updates.append(statement)
                if len(account_updates) == 1:
                    run_in_transaction(postgres_engine, spend_payers_hour)

        return ledger.transfer(
            conn, from_account_id=payer, to_account_id=payee, minutes=HOUR, kind="gift"
        )

    with pytest.raises(InsufficientCredit):
        run_in_transaction(postgres_engine, gift_drained_before_its_first_write)

    assert len(account_updates) == 2, "the payer's update was not the second"
    assert get_payee() == payee_before
    entries = snapshot(postgres_engine)["ledger_transactions"]
    assert [entry.kind for entry in entries] == ["earn", "spend"]
    assert run_in_transaction(postgres_engine, ledger.find_violations) == []


def test_postings_that_do_not_sum_to_zero_are_refused_at_commit(
    postgres_engine: Engine,
) -> None:
    books = run_in_transaction(postgres_engine, open_books)
    before = snapshot(postgres_engine)

    recorded_at = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    with postgres_engine.connect() as conn:
        entry_id = conn.execute(
            insert(transactions).returning(transactions.c.id),
            {
                "book_id": books.book.id,
                "kind": "gift",
                "status": "posted",
                "memo": "",
                "service_date": recorded_at.date(),
                "recorded_at": recorded_at,
            },
        ).scalar_one()
        # Each insert is accepted: the check is deferred to COMMIT.
        conn.execute(
            insert(postings),
            [
                {
                    "transaction_id": entry_id,
                    "account_id": account_id,
                    "slot": 0,
                    "minutes": minutes,
                    "recorded_at": recorded_at,
                }
                for account_id, minutes in [(books.ana, -HOUR), (books.ben, HOUR // 2)]
            ],
        )
        with pytest.raises(IntegrityError, match="summing to -30 minutes"):
            conn.commit()

    assert snapshot(postgres_engine) == before


def test_database_refuses_a_direct_update_below_the_floor(engine: Engine) -> None:
    books = run_in_transaction(engine, open_books)
    before = snapshot(engine)

    def overdraw_ana(conn: Connection) -> None:
        conn.execute(
            update(accounts)
            .where(accounts.c.id == books.ana)
            .values(balance_minutes=accounts.c.balance_minutes - 10 * HOUR)
        )

    with pytest.raises(IntegrityError, match="available_not_below_floor"):
        run_in_transaction(engine, overdraw_ana)

    assert snapshot(engine) == before
