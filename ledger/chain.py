"""Hash chains over the books, so that an edited, deleted or inserted row shows.

Each account keeps a chain of the postings it has resolved; a split account
keeps one chain per slot, so that concurrent earns append to different chains
as they update different slots. When an entry is resolved (posted at once, or
posted or voided after it was pending), each of its postings becomes the next
link of its account's (or slot's) chain. Link n is the SHA-256 of link n - 1,
of n, and of the posting with every field of its entry that is fixed from then
on. The posting row keeps n and the hash; the account or slot row keeps the
head (the last n and hash), moved by the same guarded UPDATE that moves its
totals, so the chain adds no lock and no round trip to a transfer.

verify_chains reads every link back and names each one that no longer matches
its rows, each gap, each repeated link, each resolved posting outside the
chains and each head that is not where its chain ends. What it cannot see: a
pending entry is not chained (it has yet to change), an entry's reversal link is
checked by invariant 5 rather than hashed, and someone who can write to the
database and recomputes a chain's tail and head leaves no trace: the hashes
are keyless, so only a copy of the heads kept outside the database could show
such a rewrite.
"""

import hashlib
import json
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    Connection,
    Row,
    bindparam,
    literal,
    select,
    union_all,
    update,
)

from .clock import from_storage
from .schema import account_slots, accounts, postings, transactions

# Rows read or written per round trip when a whole table is walked.
BATCH_ROWS = 10_000


class Link(NamedTuple):
    """A position in a chain and its hash; the empty chain is Link(0, None)."""

    seq: int
    hash: bytes | None


EMPTY = Link(0, None)


class ChainedEntry(NamedTuple):
    """The fields of an entry that its links cover: all fixed once it is resolved.

    reversed_by_id is left out: it is set later, as the entry is reversed, and
    invariant 5 checks it against the reversal, whose reverses_id is chained.
    """

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
    request_digest: str | None
    reverses_id: int | None


def posting_content(
    entry: ChainedEntry,
    *,
    account_id: int,
    slot: int,
    minutes: int,
    recorded_at: datetime,
) -> bytes:
    """Return the bytes a posting's link covers, the same on every backend."""
    # Most postings share one instant for all three times: format it once.
    recorded = _moment(entry.recorded_at)
    fields = (
        account_id,
        slot,
        minutes,
        recorded if recorded_at == entry.recorded_at else _moment(recorded_at),
        entry.book_id,
        entry.kind,
        entry.status,
        entry.memo,
        entry.created_by,
        entry.approved_by,
        entry.service_date.isoformat(),
        recorded,
        recorded
        if entry.resolved_at == entry.recorded_at
        else _moment(entry.resolved_at),
        _moment(entry.expires_at),
        entry.idempotency_key,
        entry.request_digest,
        entry.reverses_id,
    )
    return _to_json(fields).encode()


_to_json = json.JSONEncoder(separators=(",", ":")).encode


def append(previous: Link, content: bytes) -> Link:
    """Return the link that follows previous for a posting of this content."""
    seq = previous.seq + 1
    digest = hashlib.sha256(previous.hash or b"")
    digest.update(seq.to_bytes(8, "big"))
    digest.update(content)
    return Link(seq, digest.digest())


def _moment(moment: datetime | None) -> str | None:
    stored = from_storage(moment)
    return None if stored is None else stored.isoformat(timespec="microseconds")


def chained_entry(row: Row[Any]) -> ChainedEntry:
    """Return the chained fields of a row that has the columns of transactions."""
    return ChainedEntry(*(row._mapping[name] for name in ChainedEntry._fields))


_ENTRY_COLUMNS = [transactions.c[name] for name in ChainedEntry._fields]
_POSTING_COLUMNS = [
    postings.c.id,
    postings.c.transaction_id,
    postings.c.account_id,
    postings.c.slot,
    postings.c.minutes,
    postings.c.recorded_at.label("posting_recorded_at"),
]


def _content_of(row: Row[Any]) -> bytes:
    """Return the content of a row of _LINKS or _RESOLVED_UNCHAINED."""
    return posting_content(
        ChainedEntry._make(row[-len(_ENTRY_COLUMNS) :]),
        account_id=row.account_id,
        slot=row.slot,
        minutes=row.minutes,
        recorded_at=row.posting_recorded_at,
    )


# Reading the chains back.

_HEADS = union_all(
    select(
        accounts.c.id.label("account_id"),
        literal(0).label("slot"),
        accounts.c.chain_length,
        accounts.c.chain_hash,
    ),
    select(
        account_slots.c.account_id,
        account_slots.c.slot,
        account_slots.c.chain_length,
        account_slots.c.chain_hash,
    ),
)

_LINKS = (
    select(*_POSTING_COLUMNS, postings.c.chain_seq, postings.c.chain_hash)
    .add_columns(*_ENTRY_COLUMNS)
    .join(transactions, transactions.c.id == postings.c.transaction_id)
    .where(postings.c.chain_seq.is_not(None))
    .order_by(postings.c.account_id, postings.c.slot, postings.c.chain_seq)
)

_UNCHAINED = (
    select(postings.c.id, postings.c.transaction_id, transactions.c.status)
    .join(transactions, transactions.c.id == postings.c.transaction_id)
    .where(postings.c.chain_seq.is_(None), transactions.c.status != "pending")
    .order_by(postings.c.id)
)


def verify_chains(conn: Connection) -> list[str]:
    """Return a sentence for each break in the chains; empty when all hold."""
    heads = {
        (row.account_id, row.slot): Link(row.chain_length, row.chain_hash)
        for row in conn.execute(_HEADS)
    }
    violations = [
        f"5: posting {posting} of {status} entry {entry} is in no chain"
        for posting, entry, status in conn.execute(_UNCHAINED)
    ]
    # Each link is checked against the one stored before it, so that one
    # changed row is named once, not again at every link after it.
    ends: dict[tuple[int, int], Link] = {}
    for row in conn.execute(_LINKS, execution_options={"yield_per": BATCH_ROWS}):
        key = (row.account_id, row.slot)
        previous = ends.get(key, EMPTY)
        where = f"posting {row.id} of entry {row.transaction_id}"
        if row.chain_seq <= previous.seq:
            violations.append(
                f"5: {where} repeats link {row.chain_seq} of {_chain_name(key)}"
            )
            continue
        if row.chain_seq > previous.seq + 1:
            missing = f"{previous.seq + 1}" + (
                f" to {row.chain_seq - 1}" if row.chain_seq > previous.seq + 2 else ""
            )
            violations.append(f"5: link {missing} of {_chain_name(key)} is missing")
        elif append(previous, _content_of(row)).hash != row.chain_hash:
            violations.append(
                f"5: {where} does not match link {row.chain_seq} of "
                f"{_chain_name(key)}: the posting or its entry was changed"
            )
        ends[key] = Link(row.chain_seq, row.chain_hash)
    for key, head in sorted(heads.items()):
        end = ends.get(key, EMPTY)
        if end != head:
            violations.append(
                f"5: the chain of {_chain_name(key)} ends at link {end.seq} "
                f"but its head is link {head.seq}"
                if end.seq != head.seq
                else f"5: the head of {_chain_name(key)} does not match its "
                f"last link {end.seq}"
            )
    return violations


def _chain_name(key: tuple[int, int]) -> str:
    account_id, slot = key
    return f"account {account_id}" + (f" (slot {slot})" if slot else "")


# Chaining rows written outside the ledger's own functions.

_RESOLVED_UNCHAINED = (
    select(*_POSTING_COLUMNS)
    .add_columns(*_ENTRY_COLUMNS)
    .join(transactions, transactions.c.id == postings.c.transaction_id)
    .where(postings.c.chain_seq.is_(None), transactions.c.status != "pending")
    .order_by(
        transactions.c.resolved_at, postings.c.transaction_id, postings.c.account_id
    )
)

_SET_LINK = (
    update(postings)
    .where(postings.c.id == bindparam("posting_id"))
    .values(chain_seq=bindparam("seq"), chain_hash=bindparam("digest"))
)


def chain_resolved_entries(conn: Connection) -> int:
    """Append every resolved posting that is in no chain; return how many.

    For rows written before the chains existed (the migration that added them)
    or by a bulk load that bypasses the ledger. It locks every account and slot
    row in the ledger's global order, so run it while nothing else writes.
    """
    conn.execute(select(accounts.c.id).order_by(accounts.c.id).with_for_update())
    conn.execute(
        select(account_slots.c.account_id)
        .order_by(account_slots.c.account_id, account_slots.c.slot)
        .with_for_update()
    )
    heads = {
        (row.account_id, row.slot): Link(row.chain_length, row.chain_hash)
        for row in conn.execute(_HEADS)
    }
    moved: set[tuple[int, int]] = set()
    batch: list[dict[str, Any]] = []
    count = 0
    rows = conn.execute(
        _RESOLVED_UNCHAINED, execution_options={"yield_per": BATCH_ROWS}
    )
    for row in rows:
        key = (row.account_id, row.slot)
        link = append(heads[key], _content_of(row))
        heads[key] = link
        moved.add(key)
        batch.append({"posting_id": row.id, "seq": link.seq, "digest": link.hash})
        if len(batch) == BATCH_ROWS:
            conn.execute(_SET_LINK, batch)
            count += len(batch)
            batch = []
    if batch:
        conn.execute(_SET_LINK, batch)
        count += len(batch)
    for account_id, slot in sorted(moved):
        head = heads[(account_id, slot)]
        values = {"chain_length": head.seq, "chain_hash": head.hash}
        if slot:
            conn.execute(
                update(account_slots)
                .where(
                    account_slots.c.account_id == account_id,
                    account_slots.c.slot == slot,
                )
                .values(values)
            )
        else:
            conn.execute(
                update(accounts).where(accounts.c.id == account_id).values(values)
            )
    return count
