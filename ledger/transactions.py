"""Transactions: recording, posting, voiding, expiring and reversing entries.

A transaction is two or more postings of whole minutes that sum to zero. It is
posted at once, or held pending: a pending transaction reserves its debits (the
available balance drops, the posted balance does not) until it is posted or
voided, exactly once. Posted transactions are never changed; a mistake is
undone by a reversal, a new transaction with the opposite postings.

Every function here works inside the caller's database transaction and never
commits. When one raises, the caller must roll back (run_in_transaction does):
checks run before the first write wherever they can, but a floor or status
guard that loses a race refuses in the middle.

Concurrency: each account's totals are changed by one guarded UPDATE, and
every writer touches rows in one order (whole accounts by ascending id, then
slots of split accounts), so two writers never wait on each other in a cycle.
A split (issuance) account has no floor and is never closed, so an entry on it
needs only the status it read: a freeze that commits meanwhile is ordered after
the entry.
"""

import hashlib
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    Connection,
    Row,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    text,
    update,
)

from .accounts import MAX_MINUTES, is_whole_number
from .clock import from_storage, to_utc, utc_now
from .errors import (
    AccountClosed,
    AccountFrozen,
    AccountsInDifferentBooks,
    AlreadyResolved,
    AlreadyReversed,
    IdempotencyConflict,
    InsufficientCredit,
    InvalidAmount,
    InvalidRequest,
    NotMultipleOfGranularity,
    NotPosted,
    PendingExpired,
    ReversalNotReversible,
    SameAccountTwice,
    TooFewPostings,
    Unbalanced,
    UnknownAccount,
    UnknownTransaction,
)
from .schema import account_slots, accounts, books, postings, transactions

TRANSFER_KINDS = ("earn", "spend", "gift", "exchange", "adjustment")
MAX_MEMO_LENGTH = 500
MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class Posting:
    """Minutes into (positive) or out of (negative) one account."""

    account_id: int
    minutes: int


@dataclass(frozen=True)
class Transaction:
    id: int
    book_id: int
    kind: str
    status: str
    memo: str
    created_by: int | None
    approved_by: int | None
    service_date: date
    recorded_at: datetime
    resolved_at: datetime | None
    expires_at: datetime | None
    idempotency_key: str | None
    reverses_id: int | None
    reversed_by_id: int | None
    postings: tuple[Posting, ...]


class _Change(NamedTuple):
    """What one posting does to its account's totals, and what it must respect."""

    account_id: int
    split: bool
    slot: int
    minutes: int
    balance: int
    pending_debit: int
    pending_credit: int
    needs_open: bool


def transfer(
    conn: Connection,
    *,
    from_account_id: int,
    to_account_id: int,
    minutes: int,
    kind: str,
    memo: str = "",
    created_by: int | None = None,
    approved_by: int | None = None,
    service_date: date | None = None,
    pending: bool = False,
    expires_at: datetime | None = None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> Transaction:
    """Move minutes from one account to another (see record_transaction)."""
    if from_account_id == to_account_id:
        raise SameAccountTwice("An account cannot pay itself.")
    if not is_whole_number(minutes) or minutes <= 0:
        raise InvalidAmount("A transfer moves a positive whole number of minutes.")
    return record_transaction(
        conn,
        kind=kind,
        postings=[
            Posting(from_account_id, -minutes),
            Posting(to_account_id, minutes),
        ],
        memo=memo,
        created_by=created_by,
        approved_by=approved_by,
        service_date=service_date,
        pending=pending,
        expires_at=expires_at,
        idempotency_key=idempotency_key,
        now=now,
    )


def record_transaction(
    conn: Connection,
    *,
    kind: str,
    postings: Sequence[Posting],
    memo: str = "",
    created_by: int | None = None,
    approved_by: int | None = None,
    service_date: date | None = None,
    pending: bool = False,
    expires_at: datetime | None = None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> Transaction:
    """Record a balanced transaction, posted at once or pending.

    With an idempotency key, a repeat of the same request returns the first
    transaction and writes nothing; another request under that key is refused.
    """
    now = utc_now(now)
    # The digest sees the request as sent: a replay the next day that again
    # leaves the service date out is the same request.
    requested_date = service_date
    service_date = now.date() if service_date is None else service_date
    expires_at = _check_request(
        kind, postings, memo, service_date, pending, expires_at, idempotency_key
    )
    accounts_by_id = _load_accounts(conn, [p.account_id for p in postings])
    book_id, granularity = _single_book(accounts_by_id)
    for posting in postings:
        if posting.minutes % granularity:
            raise NotMultipleOfGranularity(
                f"{abs(posting.minutes)} minutes is not a multiple of this time "
                f"bank's {granularity} minutes."
            )
    digest = None
    if idempotency_key is not None:
        digest = _request_digest(
            kind,
            postings,
            memo,
            created_by,
            approved_by,
            requested_date,
            pending,
            expires_at,
        )
        earlier = _find_by_key(conn, book_id, idempotency_key)
        if earlier is not None:
            earlier_id, earlier_digest = earlier
            if earlier_digest != digest:
                raise IdempotencyConflict(
                    f"The key {idempotency_key!r} was used for a different request."
                )
            return get_transaction(conn, earlier_id)
    # Checked after the key lookup: a replay after the expiry is still a replay.
    if expires_at is not None and expires_at <= now:
        raise InvalidRequest("A pending entry must expire in the future.")

    changes = [
        _new_change(accounts_by_id, posting, postings, pending=pending)
        for posting in postings
    ]
    _check_totals(accounts_by_id, changes)
    _apply(conn, changes)
    status = "pending" if pending else "posted"
    return _insert(
        conn,
        book_id=book_id,
        kind=kind,
        status=status,
        memo=memo,
        created_by=created_by,
        approved_by=approved_by,
        service_date=service_date,
        recorded_at=now,
        resolved_at=None if pending else now,
        expires_at=expires_at,
        idempotency_key=idempotency_key,
        request_digest=digest,
        reverses_id=None,
        changes=changes,
    )


def post_pending(
    conn: Connection,
    transaction_id: int,
    *,
    approved_by: int | None = None,
    now: datetime | None = None,
) -> Transaction:
    """Post a pending transaction: its reserved minutes move for good."""
    now = utc_now(now)
    resolved = conn.execute(
        update(transactions)
        .where(
            transactions.c.id == transaction_id,
            transactions.c.status == "pending",
            or_(transactions.c.expires_at.is_(None), transactions.c.expires_at > now),
        )
        .values(
            status="posted",
            resolved_at=now,
            approved_by=func.coalesce(approved_by, transactions.c.approved_by),
        )
    )
    if resolved.rowcount == 0:
        _refuse_resolution(conn, transaction_id, now)
    _settle(conn, transaction_id, phase="settle")
    return get_transaction(conn, transaction_id)


def void_pending(
    conn: Connection, transaction_id: int, *, now: datetime | None = None
) -> Transaction:
    """Void a pending transaction: its reservations are released, nothing moves."""
    now = utc_now(now)
    resolved = conn.execute(
        update(transactions)
        .where(transactions.c.id == transaction_id, transactions.c.status == "pending")
        .values(status="voided", resolved_at=now)
    )
    if resolved.rowcount == 0:
        _refuse_resolution(conn, transaction_id, now)
    _settle(conn, transaction_id, phase="release")
    return get_transaction(conn, transaction_id)


def void_expired(
    conn: Connection, *, book_id: int, now: datetime | None = None
) -> list[int]:
    """Void every pending transaction of a book whose expiry has passed."""
    now = utc_now(now)
    expired = conn.scalars(
        select(transactions.c.id)
        .where(
            transactions.c.book_id == book_id,
            transactions.c.status == "pending",
            transactions.c.expires_at <= now,
        )
        .order_by(transactions.c.id)
    ).all()
    for transaction_id in expired:
        void_pending(conn, transaction_id, now=now)
    return list(expired)


def reverse_transaction(
    conn: Connection,
    transaction_id: int,
    *,
    memo: str | None = None,
    created_by: int | None = None,
    approved_by: int | None = None,
    now: datetime | None = None,
) -> Transaction:
    """Undo a posted transaction with a new one of opposite postings.

    The reversal obeys every rule a new entry does: it is refused if it would
    take an account below its floor or touch a frozen or closed account.
    """
    now = utc_now(now)
    original = conn.execute(
        select(transactions)
        .where(transactions.c.id == transaction_id)
        .with_for_update()
    ).first()
    if original is None:
        raise UnknownTransaction(f"There is no entry {transaction_id}.")
    if original.kind == "reversal":
        raise ReversalNotReversible(
            f"Entry {transaction_id} is a reversal; record a new entry instead."
        )
    if original.status != "posted":
        raise NotPosted(f"Entry {transaction_id} is {original.status}, not posted.")
    if original.reversed_by_id is not None:
        raise AlreadyReversed(
            f"Entry {transaction_id} was already reversed by entry "
            f"{original.reversed_by_id}."
        )
    memo = f"Reversal of entry {transaction_id}" if memo is None else memo
    _check_memo(memo)
    legs = _legs(conn, transaction_id)
    accounts_by_id = _load_accounts(conn, [leg.account_id for leg in legs])
    changes = [
        _Change(
            leg.account_id,
            leg.split,
            leg.slot,
            -leg.minutes,
            -leg.minutes,
            0,
            0,
            needs_open=True,
        )
        for leg in legs
    ]
    _check_totals(accounts_by_id, changes)
    _apply(conn, changes)
    reversal = _insert(
        conn,
        book_id=original.book_id,
        kind="reversal",
        status="posted",
        memo=memo,
        created_by=created_by,
        approved_by=approved_by,
        service_date=now.date(),
        recorded_at=now,
        resolved_at=now,
        expires_at=None,
        idempotency_key=None,
        request_digest=None,
        reverses_id=transaction_id,
        changes=changes,
    )
    conn.execute(
        update(transactions)
        .where(transactions.c.id == transaction_id)
        .values(reversed_by_id=reversal.id)
    )
    return reversal


def get_transaction(conn: Connection, transaction_id: int) -> Transaction:
    """Return a transaction with its postings."""
    row = conn.execute(
        select(transactions).where(transactions.c.id == transaction_id)
    ).first()
    if row is None:
        raise UnknownTransaction(f"There is no entry {transaction_id}.")
    legs = _legs(conn, transaction_id)
    return _transaction(row, (Posting(leg.account_id, leg.minutes) for leg in legs))


# Checks that need no database.


def _check_request(
    kind: str,
    postings: Sequence[Posting],
    memo: str,
    service_date: date,
    pending: bool,
    expires_at: datetime | None,
    idempotency_key: str | None,
) -> datetime | None:
    if kind not in TRANSFER_KINDS:
        raise InvalidRequest(
            f"{kind!r} is not a kind of entry; use one of {', '.join(TRANSFER_KINDS)}."
        )
    if len(postings) < 2:
        raise TooFewPostings("An entry moves minutes between at least two accounts.")
    for posting in postings:
        if not is_whole_number(posting.minutes) or posting.minutes == 0:
            raise InvalidAmount("Every amount is a whole, non-zero number of minutes.")
        if abs(posting.minutes) > MAX_MINUTES:
            raise InvalidAmount(
                f"{abs(posting.minutes)} minutes is more than the "
                f"{MAX_MINUTES} one entry may move."
            )
    if sum(p.minutes for p in postings) != 0:
        raise Unbalanced("The minutes paid out and paid in must be equal.")
    if len({p.account_id for p in postings}) != len(postings):
        raise SameAccountTwice("An account appears only once in an entry.")
    _check_memo(memo)
    if not isinstance(service_date, date) or isinstance(service_date, datetime):
        raise InvalidRequest("The service date is a date.")
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= MAX_KEY_LENGTH:
        raise InvalidRequest(
            f"An idempotency key has 1 to {MAX_KEY_LENGTH} characters."
        )
    if expires_at is None:
        return None
    if not pending:
        raise InvalidRequest("Only a pending entry can expire.")
    return to_utc(expires_at)


def _check_memo(memo: str) -> None:
    if not isinstance(memo, str) or len(memo) > MAX_MEMO_LENGTH:
        raise InvalidRequest(f"A memo is text of at most {MAX_MEMO_LENGTH} characters.")


def _request_digest(
    kind: str,
    postings: Sequence[Posting],
    memo: str,
    created_by: int | None,
    approved_by: int | None,
    service_date: date | None,
    pending: bool,
    expires_at: datetime | None,
) -> str:
    request = {
        "kind": kind,
        "postings": sorted((p.account_id, p.minutes) for p in postings),
        "memo": memo,
        "created_by": created_by,
        "approved_by": approved_by,
        "service_date": service_date.isoformat() if service_date else None,
        "pending": pending,
        "expires_at": expires_at.isoformat() if expires_at else None,
    }
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


# Reading and checking accounts before writing.

_accounts_for_entry = (
    select(
        accounts.c.id,
        accounts.c.book_id,
        accounts.c.status,
        accounts.c.slot_count,
        accounts.c.floor_minutes,
        accounts.c.balance_minutes,
        accounts.c.pending_debit_minutes,
        books.c.granularity_minutes,
    )
    .join(books, books.c.id == accounts.c.book_id)
    .where(accounts.c.id.in_(bindparam("ids", expanding=True)))
)


class _AccountState(NamedTuple):
    """What a new entry needs to know of an account before it writes."""

    id: int
    book_id: int
    status: str
    slot_count: int
    floor_minutes: int | None
    balance_minutes: int
    pending_debit_minutes: int
    granularity_minutes: int


def _load_accounts(conn: Connection, ids: Iterable[int]) -> dict[int, _AccountState]:
    wanted = list(ids)
    found = {
        row.id: _AccountState(*row)
        for row in conn.execute(_accounts_for_entry, {"ids": wanted})
    }
    for account_id in wanted:
        if account_id not in found:
            raise UnknownAccount(f"There is no account {account_id}.")
    return found


def _single_book(accounts_by_id: dict[int, _AccountState]) -> tuple[int, int]:
    books_seen = {
        (row.book_id, row.granularity_minutes) for row in accounts_by_id.values()
    }
    if len(books_seen) != 1:
        raise AccountsInDifferentBooks(
            "All accounts of an entry belong to one time bank."
        )
    return books_seen.pop()


def _new_change(
    accounts_by_id: dict[int, _AccountState],
    posting: Posting,
    postings: Sequence[Posting],
    *,
    pending: bool,
) -> _Change:
    """Describe what a new posting does to its account.

    On a split account the slot is drawn at random, which spreads concurrent
    earns over its rows.
    """
    minutes = posting.minutes
    slot_count = accounts_by_id[posting.account_id].slot_count
    split, slot = slot_count > 1, random.randrange(slot_count)
    if not pending:
        return _Change(posting.account_id, split, slot, minutes, minutes, 0, 0, True)
    debit, credit = max(-minutes, 0), max(minutes, 0)
    return _Change(posting.account_id, split, slot, minutes, 0, debit, credit, True)


def _check_totals(
    accounts_by_id: dict[int, _AccountState], changes: list[_Change]
) -> None:
    """Refuse from what was read, before writing; _apply's guards catch races."""
    for change in changes:
        row = accounts_by_id[change.account_id]
        _refuse_status(row.id, row.status)
        if change.slot or row.floor_minutes is None:
            continue
        available = row.balance_minutes - row.pending_debit_minutes
        if available + change.balance - change.pending_debit < row.floor_minutes:
            _refuse_credit(row.id, available, row.floor_minutes, change)


def _refuse_status(account_id: int, status: str) -> None:
    if status == "frozen":
        raise AccountFrozen(
            f"Account {account_id} is frozen: it takes part in no new entry until "
            "it is unfrozen."
        )
    if status == "closed":
        raise AccountClosed(f"Account {account_id} is closed.")


def _refuse_credit(
    account_id: int, available: int, floor: int, change: _Change
) -> None:
    needed = change.pending_debit - change.balance
    raise InsufficientCredit(
        f"Account {account_id} has {available - floor} minutes to spend; "
        f"this needs {needed}.",
        account_id=account_id,
        available_minutes=available - floor,
    )


# Writing.


def _guarded_update(*, needs_open: bool, floor: bool) -> Any:
    statement = update(accounts).where(accounts.c.id == bindparam("account_id"))
    if needs_open:
        statement = statement.where(accounts.c.status == "open")
    if floor:
        statement = statement.where(
            or_(
                accounts.c.floor_minutes.is_(None),
                accounts.c.balance_minutes
                + bindparam("d_balance")
                - accounts.c.pending_debit_minutes
                - bindparam("d_pending_debit")
                >= accounts.c.floor_minutes,
            )
        )
    return statement.values(
        balance_minutes=accounts.c.balance_minutes + bindparam("d_balance"),
        pending_debit_minutes=accounts.c.pending_debit_minutes
        + bindparam("d_pending_debit"),
        pending_credit_minutes=accounts.c.pending_credit_minutes
        + bindparam("d_pending_credit"),
        version=accounts.c.version + 1,
    )


_ACCOUNT_UPDATES = {
    (needs_open, floor): _guarded_update(needs_open=needs_open, floor=floor)
    for needs_open in (False, True)
    for floor in (False, True)
}

_SLOT_UPDATE = (
    update(account_slots)
    .where(
        and_(
            account_slots.c.account_id == bindparam("target_id"),
            account_slots.c.slot == bindparam("slot_number"),
        )
    )
    .values(
        balance_minutes=account_slots.c.balance_minutes + bindparam("d_balance"),
        pending_debit_minutes=account_slots.c.pending_debit_minutes
        + bindparam("d_pending_debit"),
        pending_credit_minutes=account_slots.c.pending_credit_minutes
        + bindparam("d_pending_credit"),
    )
)


def _apply(conn: Connection, changes: list[_Change]) -> None:
    """Apply the changes in the one global order, each guarded by its rules.

    Slots of split accounts come last: they are the most contended rows, so
    they are locked for the shortest time.
    """
    for change in sorted(changes, key=lambda change: (change.split, change.account_id)):
        params = {
            "d_balance": change.balance,
            "d_pending_debit": change.pending_debit,
            "d_pending_credit": change.pending_credit,
        }
        if change.slot:
            conn.execute(
                _SLOT_UPDATE,
                {**params, "target_id": change.account_id, "slot_number": change.slot},
            )
            continue
        params["account_id"] = change.account_id
        lowers_available = change.balance - change.pending_debit < 0
        statement = _ACCOUNT_UPDATES[(change.needs_open, lowers_available)]
        if conn.execute(statement, params).rowcount == 0:
            _refuse_lost_race(conn, change)


def _refuse_lost_race(conn: Connection, change: _Change) -> None:
    row = conn.execute(
        select(
            accounts.c.id,
            accounts.c.status,
            accounts.c.floor_minutes,
            accounts.c.balance_minutes,
            accounts.c.pending_debit_minutes,
        ).where(accounts.c.id == change.account_id)
    ).one()
    _refuse_status(row.id, row.status)
    available = row.balance_minutes - row.pending_debit_minutes
    _refuse_credit(row.id, available, row.floor_minutes, change)


# One round trip for an entry and its postings, where the database allows it.
_INSERT_ENTRY_WITH_POSTINGS = text(
    """
    WITH entry AS (
        INSERT INTO ledger_transactions (
            book_id, kind, status, memo, created_by, approved_by, service_date,
            recorded_at, resolved_at, expires_at, idempotency_key, request_digest,
            reverses_id
        ) VALUES (
            :book_id, :kind, :status, :memo, :created_by, :approved_by, :service_date,
            :recorded_at, :resolved_at, :expires_at, :idempotency_key,
            :request_digest, :reverses_id
        )
        RETURNING id
    ), legs AS (
        INSERT INTO ledger_postings (
            transaction_id, account_id, slot, minutes, recorded_at
        )
        SELECT entry.id, leg.account_id, leg.slot, leg.minutes, :recorded_at
        FROM entry, unnest(
            CAST(:leg_accounts AS bigint[]),
            CAST(:leg_slots AS integer[]),
            CAST(:leg_minutes AS bigint[])
        ) WITH ORDINALITY AS leg(account_id, slot, minutes, position)
        ORDER BY leg.position
    )
    SELECT id FROM entry
    """
)


def _insert(
    conn: Connection,
    *,
    changes: list[_Change],
    **values: Any,
) -> Transaction:
    if conn.dialect.name == "postgresql":
        transaction_id = conn.execute(
            _INSERT_ENTRY_WITH_POSTINGS,
            {
                **values,
                "leg_accounts": [change.account_id for change in changes],
                "leg_slots": [change.slot for change in changes],
                "leg_minutes": [change.minutes for change in changes],
            },
        ).scalar_one()
    else:
        transaction_id = conn.execute(
            insert(transactions).returning(transactions.c.id), values
        ).scalar_one()
        conn.execute(
            insert(postings),
            [
                {
                    "transaction_id": transaction_id,
                    "account_id": change.account_id,
                    "slot": change.slot,
                    "minutes": change.minutes,
                    "recorded_at": values["recorded_at"],
                }
                for change in changes
            ],
        )
    return Transaction(
        id=transaction_id,
        book_id=values["book_id"],
        kind=values["kind"],
        status=values["status"],
        memo=values["memo"],
        created_by=values["created_by"],
        approved_by=values["approved_by"],
        service_date=values["service_date"],
        recorded_at=values["recorded_at"],
        resolved_at=values["resolved_at"],
        expires_at=values["expires_at"],
        idempotency_key=values["idempotency_key"],
        reverses_id=values["reverses_id"],
        reversed_by_id=None,
        postings=tuple(
            Posting(change.account_id, change.minutes) for change in changes
        ),
    )


def _settle(conn: Connection, transaction_id: int, *, phase: str) -> None:
    """Post ("settle") or release the reservations of a pending transaction."""
    legs = _legs(conn, transaction_id)
    changes = []
    for leg in legs:
        if phase == "settle":
            _refuse_status(leg.account_id, leg.status)
        debit, credit = max(-leg.minutes, 0), max(leg.minutes, 0)
        moved = leg.minutes if phase == "settle" else 0
        changes.append(
            _Change(
                leg.account_id,
                leg.split,
                leg.slot,
                leg.minutes,
                moved,
                -debit,
                -credit,
                needs_open=phase == "settle",
            )
        )
    _apply(conn, changes)


class _Leg(NamedTuple):
    account_id: int
    split: bool
    slot: int
    minutes: int
    status: str


_LEGS = (
    select(
        postings.c.account_id,
        accounts.c.slot_count > 1,
        postings.c.slot,
        postings.c.minutes,
        accounts.c.status,
    )
    .join(accounts, accounts.c.id == postings.c.account_id)
    .where(postings.c.transaction_id == bindparam("transaction_id"))
    .order_by(postings.c.id)
)


def _legs(conn: Connection, transaction_id: int) -> list[_Leg]:
    return [
        _Leg(*row) for row in conn.execute(_LEGS, {"transaction_id": transaction_id})
    ]


def _find_by_key(conn: Connection, book_id: int, key: str) -> tuple[int, str] | None:
    """Return the id and request digest of the entry recorded under a key."""
    row = conn.execute(
        select(transactions.c.id, transactions.c.request_digest).where(
            transactions.c.book_id == book_id, transactions.c.idempotency_key == key
        )
    ).first()
    return None if row is None else (row.id, row.request_digest)


def _refuse_resolution(conn: Connection, transaction_id: int, now: datetime) -> None:
    row = conn.execute(
        select(transactions.c.status, transactions.c.expires_at).where(
            transactions.c.id == transaction_id
        )
    ).first()
    if row is None:
        raise UnknownTransaction(f"There is no entry {transaction_id}.")
    if row.status != "pending":
        raise AlreadyResolved(f"Entry {transaction_id} is already {row.status}.")
    raise PendingExpired(
        f"Entry {transaction_id} expired at {from_storage(row.expires_at)}; "
        "it can only be voided."
    )


def _transaction(row: Row[Any], legs: Iterable[Posting]) -> Transaction:
    return Transaction(
        id=row.id,
        book_id=row.book_id,
        kind=row.kind,
        status=row.status,
        memo=row.memo,
        created_by=row.created_by,
        approved_by=row.approved_by,
        service_date=row.service_date,
        recorded_at=from_storage(row.recorded_at),  # type: ignore[arg-type]
        resolved_at=from_storage(row.resolved_at),
        expires_at=from_storage(row.expires_at),
        idempotency_key=row.idempotency_key,
        reverses_id=row.reverses_id,
        reversed_by_id=row.reversed_by_id,
        postings=tuple(legs),
    )
