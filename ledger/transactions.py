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

Chains (chain.py): as an entry is resolved, the same guarded UPDATE appends
each posting to its account's (or slot's) chain, on condition that the chain is
still as long as when it was read. A writer that finds it moved locks the row,
reads the new head and appends after it: two more round trips, only then.
"""

import hashlib
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Row,
    and_,
    bindparam,
    case,
    func,
    insert,
    or_,
    select,
    text,
    update,
)

from .accounts import MAX_MINUTES, is_whole_number
from .chain import ChainedEntry, Link, append, chained_entry, posting_content
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


class _Append(NamedTuple):
    """A posting to add to its account's chain, whose head was read as head."""

    head: Link
    content: bytes


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
    append: _Append | None = None


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

    entry = ChainedEntry(
        book_id=book_id,
        kind=kind,
        status="pending" if pending else "posted",
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
    )
    changes = [_new_change(accounts_by_id, posting, entry) for posting in postings]
    _check_totals(accounts_by_id, changes)
    links = _apply(conn, changes)
    return _insert(conn, entry, changes, links)


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
        .returning(*transactions.c)
    ).first()
    if resolved is None:
        _refuse_resolution(conn, transaction_id, now)
    else:
        _settle(conn, resolved, phase="settle")
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
        .returning(*transactions.c)
    ).first()
    if resolved is None:
        _refuse_resolution(conn, transaction_id, now)
    else:
        _settle(conn, resolved, phase="release")
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
    entry = ChainedEntry(
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
    )
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
            append=_Append(
                leg.head,
                posting_content(
                    entry,
                    account_id=leg.account_id,
                    slot=leg.slot,
                    minutes=-leg.minutes,
                    recorded_at=now,
                ),
            ),
        )
        for leg in legs
    ]
    _check_totals(accounts_by_id, changes)
    links = _apply(conn, changes)
    reversal = _insert(conn, entry, changes, links)
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

# A split account's slot is drawn here, by the database, so that the same read
# returns the head of the chain the entry will append to.
_drawn_slot: ColumnElement[int] = (
    bindparam("draw", type_=Integer) % accounts.c.slot_count
)
_drawn = account_slots.alias("drawn")
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
        _drawn_slot,
        case((_drawn_slot == 0, accounts.c.chain_length), else_=_drawn.c.chain_length),
        case((_drawn_slot == 0, accounts.c.chain_hash), else_=_drawn.c.chain_hash),
    )
    .join(books, books.c.id == accounts.c.book_id)
    .outerjoin(
        _drawn,
        and_(_drawn.c.account_id == accounts.c.id, _drawn.c.slot == _drawn_slot),
    )
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
    slot: int
    chain_length: int
    chain_hash: bytes | None


def _load_accounts(conn: Connection, ids: Iterable[int]) -> dict[int, _AccountState]:
    """Read the accounts of an entry, drawing a slot of each split one at random.

    Drawing spreads concurrent earns over the slots' rows and chains.
    """
    wanted = list(ids)
    draw = random.randrange(2**31)
    found = {
        row.id: _AccountState(*row)
        for row in conn.execute(_accounts_for_entry, {"ids": wanted, "draw": draw})
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
    accounts_by_id: dict[int, _AccountState], posting: Posting, entry: ChainedEntry
) -> _Change:
    """Describe what a new posting does to its account (and chain, if posted)."""
    minutes = posting.minutes
    account = accounts_by_id[posting.account_id]
    split, slot = account.slot_count > 1, account.slot
    if entry.status == "pending":
        debit, credit = max(-minutes, 0), max(minutes, 0)
        return _Change(posting.account_id, split, slot, minutes, 0, debit, credit, True)
    content = posting_content(
        entry,
        account_id=posting.account_id,
        slot=slot,
        minutes=minutes,
        recorded_at=entry.recorded_at,
    )
    head = Link(account.chain_length, account.chain_hash)
    return _Change(
        posting.account_id,
        split,
        slot,
        minutes,
        minutes,
        0,
        0,
        True,
        _Append(head, content),
    )


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


def _guarded_update(*, needs_open: bool, floor: bool, chained: bool) -> Any:
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
    statement = statement.values(
        balance_minutes=accounts.c.balance_minutes + bindparam("d_balance"),
        pending_debit_minutes=accounts.c.pending_debit_minutes
        + bindparam("d_pending_debit"),
        pending_credit_minutes=accounts.c.pending_credit_minutes
        + bindparam("d_pending_credit"),
        version=accounts.c.version + 1,
    )
    if chained:
        statement = _appending(statement, accounts)
    return statement


def _appending(statement: Any, table: Any) -> Any:
    """Move the chain's head too, if the chain is as long as when it was read."""
    return statement.where(table.c.chain_length == bindparam("head_seq")).values(
        chain_length=bindparam("link_seq"), chain_hash=bindparam("link_hash")
    )


_ACCOUNT_UPDATES = {
    (needs_open, floor, chained): _guarded_update(
        needs_open=needs_open, floor=floor, chained=chained
    )
    for needs_open in (False, True)
    for floor in (False, True)
    for chained in (False, True)
}

_slot_update = (
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
_SLOT_UPDATES = {False: _slot_update, True: _appending(_slot_update, account_slots)}


def _apply(conn: Connection, changes: list[_Change]) -> dict[int, Link]:
    """Apply the changes in the one global order, each guarded by its rules.

    Slots of split accounts come last: they are the most contended rows, so
    they are locked for the shortest time. Returns the link each chained
    posting became, by account.
    """
    links = {}
    for change in sorted(changes, key=lambda change: (change.split, change.account_id)):
        params: dict[str, Any] = {
            "d_balance": change.balance,
            "d_pending_debit": change.pending_debit,
            "d_pending_credit": change.pending_credit,
        }
        if change.slot:
            params |= {"target_id": change.account_id, "slot_number": change.slot}
            statement = _SLOT_UPDATES[change.append is not None]
        else:
            params["account_id"] = change.account_id
            lowers_available = change.balance - change.pending_debit < 0
            statement = _ACCOUNT_UPDATES[
                (change.needs_open, lowers_available, change.append is not None)
            ]
        link = None
        if change.append is not None:
            link = append(change.append.head, change.append.content)
            params |= _link_params(change.append.head, link)
        if conn.execute(statement, params).rowcount == 0:
            link = _apply_after_lost_race(conn, change, statement, params)
        if link is not None:
            links[change.account_id] = link
    return links


def _link_params(head: Link, link: Link) -> dict[str, Any]:
    return {"head_seq": head.seq, "link_seq": link.seq, "link_hash": link.hash}


def _apply_after_lost_race(
    conn: Connection, change: _Change, statement: Any, params: dict[str, Any]
) -> Link | None:
    """Refuse the change if a rule now does; else append after the moved head.

    A guarded UPDATE changes no row when, since the entry read the account,
    another writer froze or closed it, took it to its floor, or lengthened
    its chain. The row is locked now, so the second UPDATE cannot lose.
    """
    if change.slot:
        slot_row = conn.execute(
            select(account_slots.c.chain_length, account_slots.c.chain_hash)
            .where(
                account_slots.c.account_id == change.account_id,
                account_slots.c.slot == change.slot,
            )
            .with_for_update()
        ).one()
        head = Link(slot_row.chain_length, slot_row.chain_hash)
    else:
        row = conn.execute(
            select(
                accounts.c.id,
                accounts.c.status,
                accounts.c.floor_minutes,
                accounts.c.balance_minutes,
                accounts.c.pending_debit_minutes,
                accounts.c.chain_length,
                accounts.c.chain_hash,
            )
            .where(accounts.c.id == change.account_id)
            .with_for_update()
        ).one()
        if change.needs_open:
            _refuse_status(row.id, row.status)
        available = row.balance_minutes - row.pending_debit_minutes
        if (
            row.floor_minutes is not None
            and available + change.balance - change.pending_debit < row.floor_minutes
        ):
            _refuse_credit(row.id, available, row.floor_minutes, change)
        head = Link(row.chain_length, row.chain_hash)
    if change.append is None:
        raise AssertionError(f"the update of account {change.account_id} was lost")
    link = append(head, change.append.content)
    if conn.execute(statement, params | _link_params(head, link)).rowcount != 1:
        raise AssertionError(f"the locked account {change.account_id} did not move")
    return link


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
            transaction_id, account_id, slot, minutes, recorded_at,
            chain_seq, chain_hash
        )
        SELECT entry.id, leg.account_id, leg.slot, leg.minutes, :recorded_at,
            leg.chain_seq, leg.chain_hash
        FROM entry, unnest(
            CAST(:leg_accounts AS bigint[]),
            CAST(:leg_slots AS integer[]),
            CAST(:leg_minutes AS bigint[]),
            CAST(:leg_seqs AS bigint[]),
            CAST(:leg_hashes AS bytea[])
        ) WITH ORDINALITY AS leg(
            account_id, slot, minutes, chain_seq, chain_hash, position
        )
        ORDER BY leg.position
    )
    SELECT id FROM entry
    """
)


def _insert(
    conn: Connection,
    entry: ChainedEntry,
    changes: list[_Change],
    links: dict[int, Link],
) -> Transaction:
    values = entry._asdict()
    legs = [links.get(change.account_id) for change in changes]
    if conn.dialect.name == "postgresql":
        transaction_id = conn.execute(
            _INSERT_ENTRY_WITH_POSTINGS,
            {
                **values,
                "leg_accounts": [change.account_id for change in changes],
                "leg_slots": [change.slot for change in changes],
                "leg_minutes": [change.minutes for change in changes],
                "leg_seqs": [link and link.seq for link in legs],
                "leg_hashes": [link and link.hash for link in legs],
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
                    "recorded_at": entry.recorded_at,
                    "chain_seq": link and link.seq,
                    "chain_hash": link and link.hash,
                }
                for change, link in zip(changes, legs, strict=True)
            ],
        )
    return Transaction(
        id=transaction_id,
        book_id=entry.book_id,
        kind=entry.kind,
        status=entry.status,
        memo=entry.memo,
        created_by=entry.created_by,
        approved_by=entry.approved_by,
        service_date=entry.service_date,
        recorded_at=entry.recorded_at,
        resolved_at=entry.resolved_at,
        expires_at=entry.expires_at,
        idempotency_key=entry.idempotency_key,
        reverses_id=entry.reverses_id,
        reversed_by_id=None,
        postings=tuple(
            Posting(change.account_id, change.minutes) for change in changes
        ),
    )


_SET_LINK = (
    update(postings)
    .where(
        postings.c.transaction_id == bindparam("entry_id"),
        postings.c.account_id == bindparam("leg_account_id"),
    )
    .values(chain_seq=bindparam("seq"), chain_hash=bindparam("digest"))
)


def _settle(conn: Connection, resolved: Row[Any], *, phase: str) -> None:
    """Post ("settle") or release the reservations of a pending transaction.

    Either way the entry is resolved, so its postings join their chains.
    """
    entry = chained_entry(resolved)
    legs = _legs(conn, resolved.id)
    changes = []
    for leg in legs:
        if phase == "settle":
            _refuse_status(leg.account_id, leg.status)
        debit, credit = max(-leg.minutes, 0), max(leg.minutes, 0)
        moved = leg.minutes if phase == "settle" else 0
        content = posting_content(
            entry,
            account_id=leg.account_id,
            slot=leg.slot,
            minutes=leg.minutes,
            recorded_at=leg.recorded_at,
        )
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
                append=_Append(leg.head, content),
            )
        )
    links = _apply(conn, changes)
    conn.execute(
        _SET_LINK,
        [
            {
                "entry_id": resolved.id,
                "leg_account_id": account_id,
                "seq": link.seq,
                "digest": link.hash,
            }
            for account_id, link in links.items()
        ],
    )


class _Leg(NamedTuple):
    account_id: int
    split: bool
    slot: int
    minutes: int
    status: str
    recorded_at: datetime
    head: Link


_leg_slot = account_slots.alias("leg_slot")
_LEGS = (
    select(
        postings.c.account_id,
        accounts.c.slot_count > 1,
        postings.c.slot,
        postings.c.minutes,
        accounts.c.status,
        postings.c.recorded_at,
        case(
            (postings.c.slot == 0, accounts.c.chain_length),
            else_=_leg_slot.c.chain_length,
        ),
        case(
            (postings.c.slot == 0, accounts.c.chain_hash), else_=_leg_slot.c.chain_hash
        ),
    )
    .join(accounts, accounts.c.id == postings.c.account_id)
    .outerjoin(
        _leg_slot,
        and_(
            _leg_slot.c.account_id == postings.c.account_id,
            _leg_slot.c.slot == postings.c.slot,
        ),
    )
    .where(postings.c.transaction_id == bindparam("transaction_id"))
    .order_by(postings.c.id)
)


def _legs(conn: Connection, transaction_id: int) -> list[_Leg]:
    """Return an entry's postings, each with the head of its account's chain."""
    return [
        _Leg(
            account_id,
            split,
            slot,
            minutes,
            status,
            recorded_at,
            Link(head_seq, head_hash),
        )
        for (
            account_id,
            split,
            slot,
            minutes,
            status,
            recorded_at,
            head_seq,
            head_hash,
        ) in conn.execute(_LEGS, {"transaction_id": transaction_id})
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
