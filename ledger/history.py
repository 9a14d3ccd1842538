"""An account's entries: newest first a page at a time, or posted as of a moment.

Pages are cut by a keyset cursor (the last entry's recorded time and posting
id), so a page deep in a long history costs what the first one does: one scan
of the (account, recorded time, id) index. A statement reads instead every
entry that was posted before a moment, in order of service date, and the
balance such entries add up to before a day.
"""

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, func, or_, select

from .clock import from_storage, to_utc
from .errors import InvalidRequest
from .schema import postings, transactions

MAX_PAGE_SIZE = 500
# The largest id a posting can have (a signed 64-bit column).
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class Entry:
    """One posting of an account, with the transaction it belongs to."""

    posting_id: int
    transaction_id: int
    kind: str
    status: str
    memo: str
    minutes: int
    service_date: date
    recorded_at: datetime
    reverses_id: int | None
    reversed_by_id: int | None


@dataclass(frozen=True)
class Page:
    entries: list[Entry]
    next_cursor: str | None


def list_entries(
    conn: Connection,
    account_id: int,
    *,
    recorded_from: datetime | None = None,
    recorded_before: datetime | None = None,
    service_from: date | None = None,
    service_before: date | None = None,
    kinds: tuple[str, ...] = (),
    cursor: str | None = None,
    limit: int = 50,
) -> Page:
    """Return one page of an account's entries, newest first.

    Both ranges are half-open: recorded_from <= recorded time < recorded_before,
    and service_from <= service date < service_before. Entries stay in order of
    recorded time whatever the filters, so the cursor resumes where it left off.
    """
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidRequest(f"A page holds 1 to {MAX_PAGE_SIZE} entries.")
    for bound in (service_from, service_before):
        if isinstance(bound, datetime):
            # A datetime is a date to Python, but not to the database.
            raise InvalidRequest(
                f"A service date is a calendar date, not the time {bound.isoformat()}."
            )
    query = (
        _entries_of(account_id)
        .order_by(postings.c.recorded_at.desc(), postings.c.id.desc())
        .limit(limit + 1)
    )
    if recorded_from is not None:
        query = query.where(postings.c.recorded_at >= to_utc(recorded_from))
    if recorded_before is not None:
        query = query.where(postings.c.recorded_at < to_utc(recorded_before))
    if service_from is not None:
        query = query.where(transactions.c.service_date >= service_from)
    if service_before is not None:
        query = query.where(transactions.c.service_date < service_before)
    if kinds:
        query = query.where(transactions.c.kind.in_(kinds))
    if cursor is not None:
        recorded_at, posting_id = decode_cursor(cursor)
        # Spelled out rather than a row comparison so that SQLite uses the index.
        query = query.where(
            or_(
                postings.c.recorded_at < recorded_at,
                and_(postings.c.recorded_at == recorded_at, postings.c.id < posting_id),
            )
        )
    rows = conn.execute(query).all()
    entries = [_entry(row) for row in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = entries[-1]
        next_cursor = encode_cursor(last.recorded_at, last.posting_id)
    return Page(entries, next_cursor)


def posted_entries(
    conn: Connection,
    account_id: int,
    *,
    service_from: date,
    service_before: date,
    posted_before: datetime,
) -> Iterator[Entry]:
    """Yield the entries of an account posted before a moment, oldest service first.

    service_from <= service date < service_before. An entry counts once it is
    posted (pending ones may be posted later, with their first recorded time),
    so what this yields for a moment past never changes: the books are
    append-only. Ties on a day are in order of recorded time.
    """
    query = (
        _entries_of(account_id)
        .where(
            transactions.c.status == "posted",
            transactions.c.resolved_at < to_utc(posted_before),
            transactions.c.service_date >= service_from,
            transactions.c.service_date < service_before,
        )
        .order_by(transactions.c.service_date, postings.c.recorded_at, postings.c.id)
    )
    for row in conn.execute(query):
        yield _entry(row)


def posted_balance(
    conn: Connection,
    account_id: int,
    *,
    service_before: date,
    posted_before: datetime,
) -> int:
    """Return the balance of the entries served before a day, posted before a moment."""
    total = conn.execute(
        select(func.coalesce(func.sum(postings.c.minutes), 0))
        .join(transactions, transactions.c.id == postings.c.transaction_id)
        .where(
            postings.c.account_id == account_id,
            transactions.c.status == "posted",
            transactions.c.resolved_at < to_utc(posted_before),
            transactions.c.service_date < service_before,
        )
    ).scalar_one()
    return int(total)


def _entries_of(account_id: int) -> Select[tuple[object, ...]]:
    return (
        select(
            postings.c.id,
            postings.c.transaction_id,
            transactions.c.kind,
            transactions.c.status,
            transactions.c.memo,
            postings.c.minutes,
            transactions.c.service_date,
            postings.c.recorded_at,
            transactions.c.reverses_id,
            transactions.c.reversed_by_id,
        )
        .join(transactions, transactions.c.id == postings.c.transaction_id)
        .where(postings.c.account_id == account_id)
    )


def _entry(row: Any) -> Entry:
    return Entry(
        posting_id=row.id,
        transaction_id=row.transaction_id,
        kind=row.kind,
        status=row.status,
        memo=row.memo,
        minutes=row.minutes,
        service_date=row.service_date,
        recorded_at=from_storage(row.recorded_at),  # type: ignore[arg-type]
        reverses_id=row.reverses_id,
        reversed_by_id=row.reversed_by_id,
    )


def encode_cursor(recorded_at: datetime, posting_id: int) -> str:
    """Make an opaque cursor that resumes a listing after this entry."""
    raw = f"{to_utc(recorded_at).isoformat()}|{posting_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """Read a cursor made by encode_cursor; anything else is refused."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        moment, number = base64.urlsafe_b64decode(padded).decode().split("|")
        recorded_at, posting_id = to_utc(datetime.fromisoformat(moment)), int(number)
    except (
        ValueError,
        OverflowError,
        binascii.Error,
        UnicodeDecodeError,
        InvalidRequest,
    ):
        raise InvalidRequest("The cursor is not one this service made.") from None
    if not 1 <= posting_id <= MAX_ID:
        raise InvalidRequest("The cursor is not one this service made.")
    return recorded_at, posting_id
