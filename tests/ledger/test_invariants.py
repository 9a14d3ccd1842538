"""find_violations names each broken invariant; each tamper here is rolled back."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, insert, update

import ledger
from ledger.schema import account_slots, accounts, postings, transactions


@contextmanager
def tampering(engine: Engine) -> Iterator[Connection]:
    """Yield a connection whose changes are rolled back at the end."""
    with engine.connect() as conn:
        transaction = conn.begin()
        yield conn
        transaction.rollback()


def test_sound_books_have_no_violations(
    engine: Engine, open_member: Callable[..., int]
) -> None:
    open_member(120)

    assert ledger.run_in_transaction(engine, ledger.find_violations) == []


def test_a_stored_balance_that_differs_from_its_postings_is_named(
    engine: Engine, open_member: Callable[..., int]
) -> None:
    ada = open_member(120)
    with tampering(engine) as conn:
        conn.execute(
            update(accounts)
            .where(accounts.c.id == ada)
            .values(balance_minutes=accounts.c.balance_minutes + 60)
        )
        violations = ledger.find_violations(conn)

    assert "2: the balances sum to 60, not zero" in violations
    assert (
        f"3: account {ada} keeps balance, pending debit and pending credit "
        "[180, 0, 0] but its postings give [120, 0, 0]"
    ) in violations


def test_a_tampered_issuance_slot_is_named(engine: Engine, book: ledger.Book) -> None:
    with tampering(engine) as conn:
        conn.execute(
            update(account_slots)
            .where(account_slots.c.account_id == book.issuance_account_id)
            .where(account_slots.c.slot == 3)
            .values(pending_debit_minutes=15)
        )
        violations = ledger.find_violations(conn)

    assert violations == [
        f"3: account {book.issuance_account_id} keeps balance, pending debit and "
        "pending credit [0, 15, 0] but its postings give [0, 0, 0]"
    ]


def test_an_extra_posting_that_unbalances_an_entry_is_named(
    engine: Engine, open_member: Callable[..., int]
) -> None:
    ada = open_member()
    bob = open_member(60)
    with tampering(engine) as conn:
        earn = ledger.list_entries(conn, bob).entries[0]
        conn.execute(
            insert(postings).values(
                transaction_id=earn.transaction_id,
                account_id=ada,
                slot=0,
                minutes=15,
                recorded_at=earn.recorded_at,
            )
        )
        violations = ledger.find_violations(conn)

    assert f"1: entry {earn.transaction_id} has 3 postings summing to 15" in violations


def test_a_reversal_link_to_an_entry_that_is_no_reversal_is_named(
    engine: Engine, open_member: Callable[..., int]
) -> None:
    ada = open_member(60)
    bob = open_member(60)
    with tampering(engine) as conn:
        first = ledger.transfer(
            conn, from_account_id=ada, to_account_id=bob, minutes=15, kind="gift"
        )
        second = ledger.transfer(
            conn, from_account_id=bob, to_account_id=ada, minutes=15, kind="gift"
        )
        conn.execute(
            update(transactions)
            .where(transactions.c.id == second.id)
            .values(reversed_by_id=first.id)
        )
        violations = ledger.find_violations(conn)

    assert violations == [
        f"5: entry {second.id} names a reversal that does not name it"
    ]
