"""Books and accounts: opening them, reading balances, freezing and closing.

A book is one time bank's set of accounts. It owns one issuance account, whose
balance is minus the credits in circulation; every earn draws on it, so its
totals are split over several slots that concurrent writers update
independently. Every other account keeps its totals in its own row, where the
floor on its available balance is checked by the same statement that moves it.
"""

from dataclasses import dataclass
from typing import TypeGuard

from sqlalchemy import Connection, func, insert, select, update

from .clock import utc_now
from .errors import (
    AccountClosed,
    AccountNotEmpty,
    FloorAboveAvailable,
    InvalidRequest,
    UnknownAccount,
)
from .schema import account_slots, accounts, books

ACCOUNT_KINDS = ("member", "organisation", "issuance", "pool")
DEFAULT_GRANULARITY_MINUTES = 15
ISSUANCE_SLOTS = 16
# About 190 years of hours: far beyond any real entry, well inside 64 bits.
MAX_MINUTES = 100_000_000


@dataclass(frozen=True)
class Book:
    id: int
    name: str
    granularity_minutes: int
    issuance_account_id: int


@dataclass(frozen=True)
class Account:
    id: int
    book_id: int
    kind: str
    owner: str | None
    floor_minutes: int | None
    status: str
    balance_minutes: int
    pending_debit_minutes: int
    pending_credit_minutes: int
    version: int

    @property
    def available_minutes(self) -> int:
        """Posted balance less the minutes reserved by pending debits."""
        return self.balance_minutes - self.pending_debit_minutes

    @property
    def spendable_minutes(self) -> int | None:
        """The most a new debit may take: down to the floor; None with no floor."""
        if self.floor_minutes is None:
            return None
        return self.available_minutes - self.floor_minutes


def open_book(
    conn: Connection,
    *,
    name: str,
    granularity_minutes: int = DEFAULT_GRANULARITY_MINUTES,
    issuance_slots: int = ISSUANCE_SLOTS,
) -> Book:
    """Open a book with its issuance account."""
    if not name.strip() or len(name) > 200:
        raise InvalidRequest("A book needs a name of 1 to 200 characters.")
    if (
        not is_whole_number(granularity_minutes)
        or granularity_minutes <= 0
        or 60 % granularity_minutes
    ):
        raise InvalidRequest(
            "The granularity must be a whole number of minutes that divides an hour."
        )
    if not is_whole_number(issuance_slots) or not 1 <= issuance_slots <= 64:
        raise InvalidRequest("The issuance account has 1 to 64 slots.")
    now = utc_now()
    book_id = conn.execute(
        insert(books).returning(books.c.id),
        {"name": name, "granularity_minutes": granularity_minutes, "created_at": now},
    ).scalar_one()
    issuance_id = _insert_account(
        conn,
        book_id=book_id,
        kind="issuance",
        owner=None,
        floor_minutes=None,
        slot_count=issuance_slots,
    )
    return Book(book_id, name, granularity_minutes, issuance_id)


def get_book(conn: Connection, book_id: int) -> Book:
    """Return a book and the id of its issuance account."""
    row = conn.execute(
        select(books.c.id, books.c.name, books.c.granularity_minutes, accounts.c.id)
        .join(accounts, accounts.c.book_id == books.c.id)
        .where(books.c.id == book_id, accounts.c.kind == "issuance")
    ).first()
    if row is None:
        raise InvalidRequest(f"There is no book {book_id}.")
    return Book(*row)


def open_account(
    conn: Connection,
    *,
    book_id: int,
    kind: str,
    owner: str | None = None,
    floor_minutes: int | None = 0,
) -> Account:
    """Open a member, organisation or pool account with a zero balance.

    A floor of None lets the account go negative without limit; the issuance
    account is the only one that needs that, and it opens with its book.
    """
    if kind not in ACCOUNT_KINDS or kind == "issuance":
        raise InvalidRequest(
            f"An account opened by hand is a member, organisation or pool "
            f"account, not {kind!r}; the issuance account opens with its book."
        )
    _check_floor(floor_minutes, available=0)
    get_book(conn, book_id)
    account_id = _insert_account(
        conn,
        book_id=book_id,
        kind=kind,
        owner=owner,
        floor_minutes=floor_minutes,
        slot_count=1,
    )
    return get_account(conn, account_id)


def get_account(conn: Connection, account_id: int) -> Account:
    """Return an account with its totals, read in constant time."""
    row = conn.execute(select(accounts).where(accounts.c.id == account_id)).first()
    if row is None:
        raise UnknownAccount(f"There is no account {account_id}.")
    balance, pending_debit, pending_credit = (
        row.balance_minutes,
        row.pending_debit_minutes,
        row.pending_credit_minutes,
    )
    if row.slot_count > 1:
        slots = conn.execute(
            select(
                func.coalesce(func.sum(account_slots.c.balance_minutes), 0),
                func.coalesce(func.sum(account_slots.c.pending_debit_minutes), 0),
                func.coalesce(func.sum(account_slots.c.pending_credit_minutes), 0),
            ).where(account_slots.c.account_id == account_id)
        ).one()
        balance += int(slots[0])
        pending_debit += int(slots[1])
        pending_credit += int(slots[2])
    return Account(
        id=row.id,
        book_id=row.book_id,
        kind=row.kind,
        owner=row.owner,
        floor_minutes=row.floor_minutes,
        status=row.status,
        balance_minutes=balance,
        pending_debit_minutes=pending_debit,
        pending_credit_minutes=pending_credit,
        version=row.version,
    )


def freeze_account(conn: Connection, account_id: int) -> Account:
    """Freeze an open account: it takes part in no new entry until unfrozen."""
    return _set_status(conn, account_id, "frozen")


def unfreeze_account(conn: Connection, account_id: int) -> Account:
    """Open a frozen account again."""
    return _set_status(conn, account_id, "open")


def close_account(conn: Connection, account_id: int) -> Account:
    """Close an account whose balance is zero; only voids reach it afterwards.

    The issuance account lives as long as its book: entries on it trust the
    status they read, which is sound for a freeze but not for a closing.
    """
    account = _lock(conn, account_id)
    if account.kind == "issuance":
        raise InvalidRequest("The issuance account stays open as long as its book.")
    if account.status != "closed" and account.balance_minutes != 0:
        balance = account.balance_minutes
        raise AccountNotEmpty(
            f"Account {account_id} still holds {balance} minutes; "
            "move them before closing it."
            if balance > 0
            else f"Account {account_id} owes {-balance} minutes; "
            "settle them before closing it."
        )
    return _set_status(conn, account_id, "closed")


def set_floor(conn: Connection, account_id: int, floor_minutes: int | None) -> Account:
    """Change the lowest available balance an account may reach."""
    account = _lock(conn, account_id)
    if account.status == "closed":
        raise AccountClosed(f"Account {account_id} is closed.")
    if account.kind == "issuance":
        raise InvalidRequest("The issuance account has no floor.")
    _check_floor(floor_minutes, available=account.available_minutes)
    conn.execute(
        update(accounts)
        .where(accounts.c.id == account_id)
        .values(floor_minutes=floor_minutes, version=accounts.c.version + 1)
    )
    return get_account(conn, account_id)


def _set_status(conn: Connection, account_id: int, status: str) -> Account:
    account = _lock(conn, account_id)
    if account.status == status:
        return account
    if account.status == "closed":
        raise AccountClosed(f"Account {account_id} is closed; it cannot be reopened.")
    conn.execute(
        update(accounts)
        .where(accounts.c.id == account_id)
        .values(status=status, version=accounts.c.version + 1)
    )
    return get_account(conn, account_id)


def _lock(conn: Connection, account_id: int) -> Account:
    """Lock an account against concurrent entries on its row, then read it."""
    found = conn.execute(
        select(accounts.c.id).where(accounts.c.id == account_id).with_for_update()
    ).first()
    if found is None:
        raise UnknownAccount(f"There is no account {account_id}.")
    return get_account(conn, account_id)


def _check_floor(floor_minutes: int | None, *, available: int) -> None:
    if floor_minutes is None:
        return
    if not is_whole_number(floor_minutes) or abs(floor_minutes) > MAX_MINUTES:
        raise InvalidRequest("A floor is a whole number of minutes.")
    if floor_minutes > available:
        raise FloorAboveAvailable(
            f"A floor of {floor_minutes} minutes is above the {available} minutes "
            "available."
        )


def _insert_account(
    conn: Connection,
    *,
    book_id: int,
    kind: str,
    owner: str | None,
    floor_minutes: int | None,
    slot_count: int,
) -> int:
    account_id: int = conn.execute(
        insert(accounts).returning(accounts.c.id),
        {
            "book_id": book_id,
            "kind": kind,
            "owner": owner,
            "floor_minutes": floor_minutes,
            "status": "open",
            "slot_count": slot_count,
            "balance_minutes": 0,
            "pending_debit_minutes": 0,
            "pending_credit_minutes": 0,
            "version": 0,
            "created_at": utc_now(),
        },
    ).scalar_one()
    if slot_count > 1:
        conn.execute(
            insert(account_slots),
            [
                {
                    "account_id": account_id,
                    "slot": slot,
                    "balance_minutes": 0,
                    "pending_debit_minutes": 0,
                    "pending_credit_minutes": 0,
                }
                for slot in range(1, slot_count)
            ],
        )
    return account_id


def is_whole_number(value: object) -> TypeGuard[int]:
    """Tell whether value is an int (a bool, though an int in Python, is not)."""
    return isinstance(value, int) and not isinstance(value, bool)
