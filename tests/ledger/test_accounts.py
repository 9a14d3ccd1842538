"""Books and accounts: opening, balances, freezing, closing and floors."""

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, func, select

import ledger
from ledger import run_in_transaction
from ledger.accounts import MAX_MINUTES
from ledger.errors import (
    AccountClosed,
    AccountFrozen,
    AccountNotEmpty,
    FloorAboveAvailable,
    InsufficientCredit,
    InvalidRequest,
    UnknownAccount,
)
from ledger.schema import account_slots, accounts, books

HOUR = 60

Gift = Callable[..., ledger.Transaction]
OpenMember = Callable[..., int]
ReadAccount = Callable[[int], ledger.Account]
Refused = Callable[..., Any]


def open_account(engine: Engine, book: ledger.Book, **details: Any) -> ledger.Account:
    return run_in_transaction(
        engine, lambda conn: ledger.open_account(conn, book_id=book.id, **details)
    )


def count_rows(engine: Engine, table: Any) -> int:
    return run_in_transaction(
        engine, lambda conn: conn.execute(select(func.count()).select_from(table))
    ).scalar_one()


# Opening a book.


@pytest.mark.parametrize("granularity", [1, 5, 15, 30, 60])
def test_book_opens_with_any_granularity_that_divides_an_hour(
    engine: Engine, granularity: int
) -> None:
    book = run_in_transaction(
        engine,
        lambda conn: ledger.open_book(
            conn, name="Riverside", granularity_minutes=granularity
        ),
    )

    stored = run_in_transaction(engine, lambda conn: ledger.get_book(conn, book.id))
    assert stored == book
    assert stored.granularity_minutes == granularity
    assert run_in_transaction(engine, ledger.find_violations) == []


def test_book_opens_with_quarter_hours_and_an_empty_issuance_account(
    engine: Engine,
) -> None:
    book = run_in_transaction(
        engine, lambda conn: ledger.open_book(conn, name="Riverside")
    )

    issuance = run_in_transaction(
        engine, lambda conn: ledger.get_account(conn, book.issuance_account_id)
    )
    assert book.granularity_minutes == 15
    assert issuance.kind == "issuance"
    assert issuance.floor_minutes is None
    assert issuance.status == "open"
    assert issuance.balance_minutes == 0
    assert run_in_transaction(engine, ledger.find_violations) == []


@pytest.mark.parametrize("granularity", [0, -15, 7, 45, 90, 15.0, True, "15"])
def test_book_refuses_a_granularity_that_does_not_divide_an_hour(
    engine: Engine, refused: Refused, granularity: Any
) -> None:
    error = refused(
        InvalidRequest,
        lambda conn: ledger.open_book(
            conn, name="Riverside", granularity_minutes=granularity
        ),
    )

    assert str(error) == (
        "The granularity must be a whole number of minutes that divides an hour."
    )
    assert count_rows(engine, books) == 0


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_book_refuses_a_blank_or_overlong_name(refused: Refused, name: str) -> None:
    refused(InvalidRequest, lambda conn: ledger.open_book(conn, name=name))


@pytest.mark.parametrize("slots", [0, 65])
def test_book_refuses_an_issuance_account_split_beyond_its_limits(
    refused: Refused, slots: int
) -> None:
    refused(
        InvalidRequest,
        lambda conn: ledger.open_book(conn, name="Riverside", issuance_slots=slots),
    )


def test_unknown_book_is_refused(engine: Engine) -> None:
    with pytest.raises(InvalidRequest, match="There is no book 404."):
        run_in_transaction(engine, lambda conn: ledger.get_book(conn, 404))


# Opening accounts.


@pytest.mark.parametrize("kind", ["member", "organisation", "pool"])
def test_account_opens_empty_with_a_floor_of_zero(
    engine: Engine, book: ledger.Book, kind: str
) -> None:
    account = open_account(engine, book, kind=kind, owner="Ada")

    assert (account.book_id, account.kind, account.owner) == (book.id, kind, "Ada")
    assert account.status == "open"
    assert account.floor_minutes == 0
    assert account.balance_minutes == 0
    assert account.pending_debit_minutes == 0
    assert account.pending_credit_minutes == 0


@pytest.mark.parametrize("kind", ["issuance", "robot", "Member"])
def test_account_of_unknown_kind_or_a_second_issuance_account_is_refused(
    book: ledger.Book, refused: Refused, kind: str
) -> None:
    error = refused(
        InvalidRequest,
        lambda conn: ledger.open_account(conn, book_id=book.id, kind=kind),
    )

    assert f"not {kind!r}" in str(error)


def test_account_in_an_unknown_book_is_refused(refused: Refused) -> None:
    refused(
        InvalidRequest,
        lambda conn: ledger.open_account(conn, book_id=404, kind="member"),
    )


def test_account_with_a_negative_floor_may_overdraw_down_to_it(
    gift: Gift,
    open_member: OpenMember,
    read_account: ReadAccount,
    refused: Refused,
) -> None:
    borrower = open_member(floor=-2 * HOUR)
    lender = open_member()

    gift(borrower, lender, 2 * HOUR)

    assert read_account(borrower).balance_minutes == -2 * HOUR
    refused(
        InsufficientCredit,
        lambda conn: ledger.transfer(
            conn,
            from_account_id=borrower,
            to_account_id=lender,
            minutes=15,
            kind="gift",
        ),
    )


def test_account_without_a_floor_may_overdraw_without_limit(
    gift: Gift,
    open_member: OpenMember,
    read_account: ReadAccount,
) -> None:
    pool = open_member(floor=None)
    member = open_member()

    gift(pool, member, 1000 * HOUR)

    assert read_account(pool).balance_minutes == -1000 * HOUR


@pytest.mark.parametrize("floor", [15, HOUR])
def test_account_cannot_open_with_a_floor_above_zero(
    book: ledger.Book, refused: Refused, floor: int
) -> None:
    error = refused(
        FloorAboveAvailable,
        lambda conn: ledger.open_account(
            conn, book_id=book.id, kind="member", floor_minutes=floor
        ),
    )

    assert str(error) == (
        f"A floor of {floor} minutes is above the 0 minutes available."
    )


@pytest.mark.parametrize("floor", [-7.5, True, "-60", -MAX_MINUTES - 1])
def test_account_refuses_a_floor_that_is_not_a_whole_number_of_minutes(
    book: ledger.Book, refused: Refused, floor: Any
) -> None:
    refused(
        InvalidRequest,
        lambda conn: ledger.open_account(
            conn, book_id=book.id, kind="member", floor_minutes=floor
        ),
    )


# Reading accounts.


def test_available_balance_is_the_balance_less_pending_debits(
    gift: Gift,
    open_member: OpenMember,
    read_account: ReadAccount,
) -> None:
    payer = open_member(3 * HOUR)
    payee = open_member()

    gift(payer, payee, HOUR, pending=True)

    account = read_account(payer)
    assert account.balance_minutes == 3 * HOUR
    assert account.pending_debit_minutes == HOUR
    assert account.available_minutes == 2 * HOUR


def test_pending_credits_do_not_add_to_the_available_balance(
    gift: Gift,
    open_member: OpenMember,
    read_account: ReadAccount,
) -> None:
    payer = open_member(HOUR)
    payee = open_member()

    gift(payer, payee, HOUR, pending=True)

    account = read_account(payee)
    assert account.pending_credit_minutes == HOUR
    assert account.balance_minutes == 0
    assert account.available_minutes == 0


def test_unknown_account_is_refused(engine: Engine) -> None:
    with pytest.raises(UnknownAccount, match="There is no account 404."):
        run_in_transaction(engine, lambda conn: ledger.get_account(conn, 404))


def test_split_issuance_account_totals_add_up_its_slots(
    engine: Engine,
    gift: Gift,
    book: ledger.Book,
    open_member: OpenMember,
    read_account: ReadAccount,
) -> None:
    earners = [open_member(HOUR * (n + 1)) for n in range(5)]
    gift(book.issuance_account_id, earners[0], 30, pending=True)

    def stored_rows(conn: Connection) -> tuple[Any, list[Any]]:
        own = conn.execute(
            select(
                accounts.c.balance_minutes,
                accounts.c.pending_debit_minutes,
                accounts.c.pending_credit_minutes,
            ).where(accounts.c.id == book.issuance_account_id)
        ).one()
        slots = conn.execute(
            select(
                account_slots.c.balance_minutes,
                account_slots.c.pending_debit_minutes,
                account_slots.c.pending_credit_minutes,
            ).where(account_slots.c.account_id == book.issuance_account_id)
        ).all()
        return own, slots

    own, slots = run_in_transaction(engine, stored_rows)
    issuance = read_account(book.issuance_account_id)
    assert issuance.balance_minutes == own[0] + sum(slot[0] for slot in slots)
    assert issuance.pending_debit_minutes == own[1] + sum(slot[1] for slot in slots)
    assert issuance.balance_minutes == -15 * HOUR
    assert issuance.pending_debit_minutes == 30
    # Earners in different slots are what keeps concurrent earns off one row.
    assert sum(1 for row in [own, *slots] if row[0]) > 1


def test_issuance_account_balance_is_minus_the_credits_in_circulation(
    gift: Gift,
    book: ledger.Book,
    open_member: OpenMember,
    read_account: ReadAccount,
) -> None:
    ada = open_member(2 * HOUR)
    bob = open_member(HOUR)
    gift(ada, bob, 30)

    circulating = read_account(ada).balance_minutes + read_account(bob).balance_minutes
    assert read_account(book.issuance_account_id).balance_minutes == -circulating
    assert circulating == 3 * HOUR


# Freezing, unfreezing and closing.


def test_frozen_account_takes_part_in_no_new_transfer_until_unfrozen(
    engine: Engine,
    gift: Gift,
    open_member: OpenMember,
    read_account: ReadAccount,
    refused: Refused,
) -> None:
    ada = open_member(2 * HOUR)
    bob = open_member(2 * HOUR)
    frozen = run_in_transaction(engine, lambda conn: ledger.freeze_account(conn, ada))
    assert frozen.status == "frozen"

    for payer, payee in [(ada, bob), (bob, ada)]:
        error = refused(
            AccountFrozen,
            lambda conn, payer=payer, payee=payee: ledger.transfer(
                conn,
                from_account_id=payer,
                to_account_id=payee,
                minutes=15,
                kind="gift",
            ),
        )
        assert str(error) == (
            f"Account {ada} is frozen: it takes part in no new entry until it is "
            "unfrozen."
        )

    run_in_transaction(engine, lambda conn: ledger.unfreeze_account(conn, ada))
    gift(ada, bob, 15)
    assert read_account(ada).status == "open"
    assert read_account(ada).balance_minutes == 2 * HOUR - 15


def test_frozen_account_refuses_new_reservations(
    engine: Engine, open_member: OpenMember, refused: Refused
) -> None:
    ada = open_member(HOUR)
    bob = open_member()
    run_in_transaction(engine, lambda conn: ledger.freeze_account(conn, ada))

    refused(
        AccountFrozen,
        lambda conn: ledger.transfer(
            conn,
            from_account_id=ada,
            to_account_id=bob,
            minutes=15,
            kind="gift",
            pending=True,
        ),
    )


def test_frozen_issuance_account_refuses_new_earns(
    engine: Engine, book: ledger.Book, open_member: OpenMember, refused: Refused
) -> None:
    earners = [open_member() for _ in range(3)]
    run_in_transaction(
        engine, lambda conn: ledger.freeze_account(conn, book.issuance_account_id)
    )

    # Different earners land on different slots; every slot must see the freeze.
    for earner in earners:
        refused(
            AccountFrozen,
            lambda conn, earner=earner: ledger.transfer(
                conn,
                from_account_id=book.issuance_account_id,
                to_account_id=earner,
                minutes=HOUR,
                kind="earn",
            ),
        )


def test_freezing_a_frozen_account_changes_nothing(
    engine: Engine, open_member: OpenMember, read_account: ReadAccount
) -> None:
    ada = open_member()
    run_in_transaction(engine, lambda conn: ledger.freeze_account(conn, ada))
    frozen_once = read_account(ada)

    again = run_in_transaction(engine, lambda conn: ledger.freeze_account(conn, ada))

    assert again == frozen_once


def test_account_with_a_zero_balance_closes(
    engine: Engine,
    gift: Gift,
    open_member: OpenMember,
    read_account: ReadAccount,
) -> None:
    ada = open_member(HOUR)
    bob = open_member()
    gift(ada, bob, HOUR)

    closed = run_in_transaction(engine, lambda conn: ledger.close_account(conn, ada))

    assert closed.status == "closed"
    assert read_account(ada).status == "closed"


def test_frozen_account_with_a_zero_balance_closes(
    engine: Engine, open_member: OpenMember
) -> None:
    ada = open_member()
    run_in_transaction(engine, lambda conn: ledger.freeze_account(conn, ada))

    closed = run_in_transaction(engine, lambda conn: ledger.close_account(conn, ada))

    assert closed.status == "closed"


@pytest.mark.parametrize("balance", [HOUR, -HOUR])
def test_account_that_holds_or_owes_minutes_cannot_close(
    gift: Gift,
    open_member: OpenMember,
    refused: Refused,
    balance: int,
) -> None:
    ada = open_member(floor=-HOUR)
    bob = open_member(HOUR)
    if balance > 0:
        gift(bob, ada, balance)
    else:
        gift(ada, bob, -balance)

    error = refused(AccountNotEmpty, lambda conn: ledger.close_account(conn, ada))

    expected = (
        f"Account {ada} still holds {balance} minutes; move them before closing it."
        if balance > 0
        else f"Account {ada} owes {-balance} minutes; settle them before closing it."
    )
    assert str(error) == expected


def test_closed_account_is_never_reopened(
    engine: Engine, open_member: OpenMember, refused: Refused
) -> None:
    ada = open_member()
    run_in_transaction(engine, lambda conn: ledger.close_account(conn, ada))

    for reopen in (ledger.unfreeze_account, ledger.freeze_account):
        error = refused(AccountClosed, lambda conn, reopen=reopen: reopen(conn, ada))
        assert str(error) == f"Account {ada} is closed; it cannot be reopened."


def test_closing_a_closed_account_changes_nothing(
    engine: Engine, open_member: OpenMember, read_account: ReadAccount
) -> None:
    ada = open_member()
    run_in_transaction(engine, lambda conn: ledger.close_account(conn, ada))
    closed_once = read_account(ada)

    again = run_in_transaction(engine, lambda conn: ledger.close_account(conn, ada))

    assert again == closed_once


def test_closed_account_takes_part_in_no_new_entry(
    engine: Engine, open_member: OpenMember, refused: Refused
) -> None:
    ada = open_member()
    bob = open_member(HOUR)
    run_in_transaction(engine, lambda conn: ledger.close_account(conn, ada))

    for payer, payee, pending in [
        (bob, ada, False),
        (bob, ada, True),
        (ada, bob, False),
    ]:
        error = refused(
            AccountClosed,
            lambda conn, payer=payer, payee=payee, pending=pending: ledger.transfer(
                conn,
                from_account_id=payer,
                to_account_id=payee,
                minutes=15,
                kind="gift",
                pending=pending,
            ),
        )
        assert str(error) == f"Account {ada} is closed."


@pytest.mark.parametrize("change", [ledger.freeze_account, ledger.close_account])
def test_status_change_of_an_unknown_account_is_refused(
    refused: Refused, change: Callable[..., Any]
) -> None:
    refused(UnknownAccount, lambda conn: change(conn, 404))


# Floors.


def test_floor_may_be_lowered_to_let_an_account_overdraw(
    engine: Engine,
    gift: Gift,
    open_member: OpenMember,
    read_account: ReadAccount,
) -> None:
    ada = open_member()
    bob = open_member()

    changed = run_in_transaction(
        engine, lambda conn: ledger.set_floor(conn, ada, -HOUR)
    )
    gift(ada, bob, HOUR)

    assert changed.floor_minutes == -HOUR
    assert read_account(ada).balance_minutes == -HOUR


def test_floor_may_be_raised_up_to_the_available_balance(
    engine: Engine, gift: Gift, open_member: OpenMember, refused: Refused
) -> None:
    ada = open_member(2 * HOUR)
    bob = open_member()
    gift(ada, bob, HOUR, pending=True)

    error = refused(FloorAboveAvailable, lambda conn: ledger.set_floor(conn, ada, 75))
    changed = run_in_transaction(engine, lambda conn: ledger.set_floor(conn, ada, HOUR))

    assert str(error) == f"A floor of 75 minutes is above the {HOUR} minutes available."
    assert changed.floor_minutes == HOUR
    refused(
        InsufficientCredit,
        lambda conn: ledger.transfer(
            conn, from_account_id=ada, to_account_id=bob, minutes=15, kind="gift"
        ),
    )


def test_floor_may_be_removed(engine: Engine, open_member: OpenMember) -> None:
    pool = open_member()

    changed = run_in_transaction(
        engine, lambda conn: ledger.set_floor(conn, pool, None)
    )

    assert changed.floor_minutes is None


def test_issuance_account_has_no_floor_to_set(
    book: ledger.Book, refused: Refused
) -> None:
    error = refused(
        InvalidRequest,
        lambda conn: ledger.set_floor(conn, book.issuance_account_id, -HOUR),
    )

    assert str(error) == "The issuance account has no floor."


def test_closed_account_floor_cannot_change(
    engine: Engine, open_member: OpenMember, refused: Refused
) -> None:
    ada = open_member()
    run_in_transaction(engine, lambda conn: ledger.close_account(conn, ada))

    refused(AccountClosed, lambda conn: ledger.set_floor(conn, ada, -HOUR))


@pytest.mark.parametrize("floor", [-7.5, False, MAX_MINUTES + 1])
def test_floor_that_is_not_a_whole_number_of_minutes_is_refused(
    open_member: OpenMember, refused: Refused, floor: Any
) -> None:
    ada = open_member()

    refused(InvalidRequest, lambda conn: ledger.set_floor(conn, ada, floor))


def test_issuance_account_is_never_closed(book: ledger.Book, refused: Refused) -> None:
    error = refused(
        InvalidRequest,
        lambda conn: ledger.close_account(conn, book.issuance_account_id),
    )

    assert str(error) == "The issuance account stays open as long as its book."
