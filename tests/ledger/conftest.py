"""Small factories for the ledger's unit tests, each run on every backend."""

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from sqlalchemy import Connection, Engine, select

import ledger
from ledger import run_in_transaction
from ledger.errors import LedgerError
from ledger.schema import metadata

E = TypeVar("E", bound=LedgerError)


@pytest.fixture
def book(engine: Engine) -> Iterator[ledger.Book]:
    """Open a book; when the test ends, check that the ledger holds its invariants."""
    yield run_in_transaction(
        engine, lambda conn: ledger.open_book(conn, name="Riverside Time Bank")
    )
    assert run_in_transaction(engine, ledger.find_violations) == []


@pytest.fixture
def open_member(engine: Engine, book: ledger.Book) -> Callable[..., int]:
    """Return a factory of member accounts that have earned the given minutes."""

    def open_member(earned: int = 0, *, floor: int | None = 0) -> int:
        def work(conn: Connection) -> int:
            member = ledger.open_account(
                conn, book_id=book.id, kind="member", floor_minutes=floor
            )
            if earned:
                ledger.transfer(
                    conn,
                    from_account_id=book.issuance_account_id,
                    to_account_id=member.id,
                    minutes=earned,
                    kind="earn",
                )
            return member.id

        return run_in_transaction(engine, work)

    return open_member


@pytest.fixture
def gift(engine: Engine) -> Callable[..., ledger.Transaction]:
    """Return a sender of gifts from one account to another."""

    def gift(
        payer: int, payee: int, minutes: int, **details: Any
    ) -> ledger.Transaction:
        return run_in_transaction(
            engine,
            lambda conn: ledger.transfer(
                conn,
                from_account_id=payer,
                to_account_id=payee,
                minutes=minutes,
                kind="gift",
                **details,
            ),
        )

    return gift


@pytest.fixture
def read_account(engine: Engine) -> Callable[[int], ledger.Account]:
    """Return a reader of an account as it stands."""
    return lambda account_id: run_in_transaction(
        engine, lambda conn: ledger.get_account(conn, account_id)
    )


@pytest.fixture
def ledger_rows(engine: Engine) -> Callable[[], dict[str, list[Any]]]:
    """Return a reader of every row of every ledger table."""

    def ledger_rows() -> dict[str, list[Any]]:
        def work(conn: Connection) -> dict[str, list[Any]]:
            return {
                table.name: [
                    tuple(row)
                    for row in conn.execute(
                        select(table).order_by(*table.primary_key.columns)
                    )
                ]
                for table in metadata.sorted_tables
            }

        return run_in_transaction(engine, work)

    return ledger_rows


@pytest.fixture
def refused(
    engine: Engine, ledger_rows: Callable[[], dict[str, list[Any]]]
) -> Callable[[type[E], Callable[[Connection], Any]], E]:
    """Return a checker that work is refused with an error and changes no row."""

    def refused(error: type[E], work: Callable[[Connection], Any]) -> E:
        before = ledger_rows()
        with pytest.raises(error) as caught:
            run_in_transaction(engine, work)
        assert ledger_rows() == before
        return caught.value

    return refused
