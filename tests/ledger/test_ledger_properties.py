"""The ledger agrees, step by step, with a small model of it in plain Python.

A hypothesis state machine opens accounts, earns, transfers, holds, posts, voids,
expires and reverses entries, freezes, unfreezes and closes accounts, changes
floors, and repeats requests under idempotency keys, with amounts that are
sometimes invalid. For each operation the model says whether the ledger accepts
it or which rule refuses it; a refused operation must leave every ledger row as
it was (the one-writer half of DESIGN.md's invariant 7). After every step the
books must match the model and hold invariants 1-6 and 8, the hash chains of
every account included (under 5).

Each example starts from an empty database, on SQLite and on PostgreSQL. The
environment variable HYPOTHESIS_PROFILE chooses how hard to look: "ci" (the
default) or "long", e.g.

    HYPOTHESIS_PROFILE=long pytest tests/ledger/test_ledger_properties.py
"""

import contextlib
import itertools
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)
from hypothesis_profiles import chosen_settings
from sqlalchemy import Connection, Engine, func, select

import ledger
from ledger.accounts import MAX_MINUTES
from ledger.errors import (
    AccountClosed,
    AccountFrozen,
    AccountNotEmpty,
    AlreadyResolved,
    AlreadyReversed,
    FloorAboveAvailable,
    IdempotencyConflict,
    InsufficientCredit,
    InvalidAmount,
    InvalidRequest,
    LedgerError,
    NotMultipleOfGranularity,
    NotPosted,
    PendingExpired,
    ReversalNotReversible,
    SameAccountTwice,
)
from ledger.schema import account_slots, accounts, books, postings, transactions

T = TypeVar("T")
Refusals = set[type[LedgerError]]

GRANULARITY = 15
TOO_MANY_MINUTES = (MAX_MINUTES // GRANULARITY + 1) * GRANULARITY
START = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
# The app's tables share the ledger's metadata; only these belong to the ledger.
LEDGER_TABLES = (books, accounts, account_slots, transactions, postings)
STATUS_REFUSALS: dict[str, Refusals] = {
    "open": set(),
    "frozen": {AccountFrozen},
    "closed": {AccountClosed},
}

# Mostly valid amounts; about one in ten breaks a rule on its own.
amounts = st.sampled_from(
    [quarters * GRANULARITY for quarters in range(1, 41)]
    + [0, -GRANULARITY, 10, 50, TOO_MANY_MINUTES]
)
floors = st.integers(-300, 300) | st.sampled_from(
    [0, None, -600, MAX_MINUTES + 1, -MAX_MINUTES - 1]
)
opening_floors = st.sampled_from([0, -120, -600, None])
# Minutes the clock moves on before a hold is settled or a request is repeated:
# enough to pass expiries, sometimes to land exactly on one, and sometimes to
# cross midnight.
waits = st.sampled_from([0, 15, 60, 120, 24 * 60])
keys = st.none() | st.integers(1, 20).map(lambda n: f"request-{n}")
member_kinds = st.sampled_from(["gift", "exchange", "spend", "adjustment"])


@dataclass(frozen=True)
class Request:
    """One call of ledger.transfer, as a client would send it again."""

    kind: str
    from_account_id: int
    to_account_id: int
    minutes: int
    # None leaves the ledger to take the day of recording.
    service_date: date | None
    pending: bool = False
    expires_at: datetime | None = None
    memo: str = ""
    idempotency_key: str | None = None

    def postings(self) -> dict[int, int]:
        """Return the minutes each account gains (negative: loses)."""
        return {self.from_account_id: -self.minutes, self.to_account_id: self.minutes}

    def send(self, conn: Connection, now: datetime) -> ledger.Transaction:
        """Send this request to the ledger at the given time."""
        return ledger.transfer(
            conn,
            from_account_id=self.from_account_id,
            to_account_id=self.to_account_id,
            minutes=self.minutes,
            kind=self.kind,
            service_date=self.service_date,
            pending=self.pending,
            expires_at=self.expires_at,
            memo=self.memo,
            idempotency_key=self.idempotency_key,
            now=now,
        )


@dataclass
class ModelAccount:
    kind: str
    floor: int | None
    status: str = "open"


@dataclass
class ModelEntry:
    kind: str
    status: str
    postings: dict[int, int]
    expires_at: datetime | None = None
    reverses_id: int | None = None
    reversed_by_id: int | None = None


class LedgerModel:
    """What the ledger should hold after the operations it accepted.

    Totals are not kept but summed from the entries, so that a balance is by
    definition what the posted entries moved and nothing else.
    """

    def __init__(self, issuance_account_id: int) -> None:
        self.accounts = {issuance_account_id: ModelAccount("issuance", floor=None)}
        self.entries: dict[int, ModelEntry] = {}
        self.requests_by_key: dict[str, tuple[Request, int]] = {}

    def totals(self, account_id: int) -> tuple[int, int, int]:
        """Return the balance, pending debits and pending credits of an account."""
        balance = pending_debit = pending_credit = 0
        for entry in self.entries.values():
            minutes = entry.postings.get(account_id, 0)
            if entry.status == "posted":
                balance += minutes
            elif entry.status == "pending":
                pending_debit += max(-minutes, 0)
                pending_credit += max(minutes, 0)
        return balance, pending_debit, pending_credit

    def available(self, account_id: int) -> int:
        balance, pending_debit, _ = self.totals(account_id)
        return balance - pending_debit

    def overdue(self, now: datetime) -> list[int]:
        """Return the pending entries whose expiry has come, oldest first."""
        return sorted(
            entry_id
            for entry_id, entry in self.entries.items()
            if entry.status == "pending"
            and entry.expires_at is not None
            and entry.expires_at <= now
        )

    # Which rules refuse an operation: any one of them may be the one named.

    def refusals_of_opening(self, kind: str, floor: int | None) -> Refusals:
        refusals: Refusals = set()
        if kind not in ("member", "organisation", "pool"):
            refusals.add(InvalidRequest)
        refusals |= self.refusals_of_floor_value(floor, available=0)
        return refusals

    def refusals_of_floor_value(self, floor: int | None, *, available: int) -> Refusals:
        if floor is None:
            return set()
        if abs(floor) > MAX_MINUTES:
            return {InvalidRequest}
        return {FloorAboveAvailable} if floor > available else set()

    def refusals_of_floor(self, account_id: int, floor: int | None) -> Refusals:
        account = self.accounts[account_id]
        refusals = STATUS_REFUSALS[account.status] - {AccountFrozen}
        if account.kind == "issuance":
            refusals.add(InvalidRequest)
        available = self.available(account_id)
        return refusals | self.refusals_of_floor_value(floor, available=available)

    def refusals_of_status_change(self, account_id: int) -> Refusals:
        """Freezing and unfreezing refuse only a closed account."""
        return STATUS_REFUSALS[self.accounts[account_id].status] - {AccountFrozen}

    def refusals_of_closing(self, account_id: int) -> Refusals:
        """The issuance account lives as long as its book; others close empty."""
        account = self.accounts[account_id]
        if account.kind == "issuance":
            return {InvalidRequest}
        if account.status == "closed":
            return set()
        return {AccountNotEmpty} if self.totals(account_id)[0] else set()

    def refusals_of_transfer(self, request: Request, now: datetime) -> Refusals:
        """Name the rules a request breaks; none if it is recorded or replayed.

        A well-formed request that repeats a key gets the first result back,
        whatever the accounts hold now and even after its expiry has passed.
        """
        refusals: Refusals = set()
        if request.from_account_id == request.to_account_id:
            refusals.add(SameAccountTwice)
        if not 0 < request.minutes <= MAX_MINUTES:
            refusals.add(InvalidAmount)
        if request.minutes % GRANULARITY:
            refusals.add(NotMultipleOfGranularity)
        if refusals:
            return refusals
        if request.idempotency_key in self.requests_by_key:
            earlier, _ = self.requests_by_key[request.idempotency_key]
            return set() if earlier == request else {IdempotencyConflict}
        if request.expires_at is not None and request.expires_at <= now:
            return {InvalidRequest}
        return self.refusals_of_new_entry(request.postings())

    def refusals_of_new_entry(self, postings: dict[int, int]) -> Refusals:
        refusals: Refusals = set()
        for account_id, minutes in postings.items():
            account = self.accounts[account_id]
            refusals |= STATUS_REFUSALS[account.status]
            if (
                account.floor is not None
                and self.available(account_id) + minutes < account.floor
            ):
                refusals.add(InsufficientCredit)
        return refusals

    def refusals_of_posting(self, entry_id: int, now: datetime) -> Refusals:
        entry = self.entries[entry_id]
        if entry.status != "pending":
            return {AlreadyResolved}
        refusals: Refusals = set()
        if entry.expires_at is not None and entry.expires_at <= now:
            refusals.add(PendingExpired)
        for account_id in entry.postings:
            refusals |= STATUS_REFUSALS[self.accounts[account_id].status]
        return refusals

    def refusals_of_voiding(self, entry_id: int) -> Refusals:
        return (
            set() if self.entries[entry_id].status == "pending" else {AlreadyResolved}
        )

    def refusals_of_reversal(self, entry_id: int) -> Refusals:
        entry = self.entries[entry_id]
        refusals: Refusals = set()
        if entry.kind == "reversal":
            refusals.add(ReversalNotReversible)
        if entry.status != "posted":
            refusals.add(NotPosted)
        if entry.reversed_by_id is not None:
            refusals.add(AlreadyReversed)
        return refusals or self.refusals_of_new_entry(reversed_postings(entry))

    def replayed_entry(self, request: Request) -> int | None:
        """Return the entry an accepted repeat of a keyed request gets back."""
        if request.idempotency_key not in self.requests_by_key:
            return None
        _, entry_id = self.requests_by_key[request.idempotency_key]
        return entry_id

    # What an accepted operation does.

    def record(self, entry_id: int, request: Request) -> None:
        status = "pending" if request.pending else "posted"
        self.entries[entry_id] = ModelEntry(
            request.kind, status, request.postings(), request.expires_at
        )
        if request.idempotency_key is not None:
            self.requests_by_key[request.idempotency_key] = (request, entry_id)

    def reverse(self, entry_id: int, reversal_id: int) -> None:
        original = self.entries[entry_id]
        original.reversed_by_id = reversal_id
        self.entries[reversal_id] = ModelEntry(
            "reversal", "posted", reversed_postings(original), reverses_id=entry_id
        )


def reversed_postings(entry: ModelEntry) -> dict[int, int]:
    return {account_id: -minutes for account_id, minutes in entry.postings.items()}


def postings_of(transaction: ledger.Transaction) -> dict[int, int]:
    return {posting.account_id: posting.minutes for posting in transaction.postings}


class Databases(Protocol):
    """Empty, migrated databases, one for each example."""

    def create(self) -> Engine: ...

    def discard(self, engine: Engine) -> None: ...


class TruncatedPostgres:
    """Hand out the session's PostgreSQL database, emptied for each example."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self) -> Engine:
        tables = ", ".join(table.name for table in LEDGER_TABLES)
        with self.engine.begin() as conn:
            conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        return self.engine

    def discard(self, engine: Engine) -> None:
        """Keep the session's engine: the next example empties it again."""


class CopiedSqlite:
    """Hand out a fresh copy of the migrated SQLite template for each example.

    Copying is the only way to empty it: the append-only triggers forbid DELETE.
    """

    def __init__(self, template: Path, directory: Path) -> None:
        self.template = template
        self.directory = directory
        self.numbers = itertools.count()

    def create(self) -> Engine:
        path = self.directory / f"example-{next(self.numbers)}.sqlite3"
        with (
            contextlib.closing(sqlite3.connect(self.template)) as source,
            contextlib.closing(sqlite3.connect(path)) as target,
        ):
            source.backup(target)
        return ledger.create_engine(f"sqlite:///{path}")

    def discard(self, engine: Engine) -> None:
        engine.dispose()
        Path(str(engine.url.database)).unlink()


class LedgerMachine(RuleBasedStateMachine):
    """Drive the ledger and its model with the same operations."""

    accounts = Bundle("accounts")
    entries = Bundle("entries")
    holds = Bundle("holds")

    def __init__(self, databases: Databases) -> None:
        super().__init__()
        self.databases = databases
        self.engine = databases.create()
        self.now = START
        self.book = self.run(
            lambda conn: ledger.open_book(
                conn, name="Riverside", granularity_minutes=GRANULARITY
            )
        )
        self.model = LedgerModel(self.book.issuance_account_id)
        # Each posted entry as it was read back when it was posted.
        self.posted: dict[int, ledger.Transaction] = {}
        # Whether the books were checked since the last unit of work ran. A step
        # that ran none (a refusal, shown to change no row) left books and model
        # as they were, so checking them again would prove nothing.
        self.checked = False

    def teardown(self) -> None:
        self.databases.discard(self.engine)

    # Running operations.

    def run(self, work: Callable[[Connection], T]) -> T:
        """Run one unit of work; what it wrote is checked after the step."""
        self.checked = False
        return ledger.run_in_transaction(self.engine, work)

    def attempt(self, work: Callable[[Connection], T], refusals: Refusals) -> T | None:
        """Run work, or see it refused by one of the rules named, changing nothing."""
        if not refusals:
            return self.run(work)
        before = self.snapshot()
        with pytest.raises(tuple(refusals)):
            ledger.run_in_transaction(self.engine, work)
        assert self.snapshot() == before, "a refused operation changed the books"
        return None

    def snapshot(self) -> dict[str, list[Any]]:
        """Read every row of every ledger table."""
        with self.engine.connect() as conn:
            return {
                table.name: list(
                    conn.execute(select(table).order_by(*table.primary_key.columns))
                )
                for table in LEDGER_TABLES
            }

    def send(self, request: Request) -> int | None:
        """Send a transfer request; return the entry it records, if it is new."""
        refusals = self.model.refusals_of_transfer(request, self.now)
        replayed = None if refusals else self.model.replayed_entry(request)
        if replayed is not None:
            before = self.snapshot()
            assert self.run(lambda conn: request.send(conn, self.now)).id == replayed
            assert self.snapshot() == before, "a replayed request wrote to the books"
            return None
        transaction = self.attempt(lambda conn: request.send(conn, self.now), refusals)
        if transaction is None:
            return None
        assert postings_of(transaction) == request.postings()
        assert transaction.status == ("pending" if request.pending else "posted")
        self.model.record(transaction.id, request)
        self.remember_if_posted(transaction.id)
        return transaction.id

    def remember_if_posted(self, entry_id: int) -> None:
        if self.model.entries[entry_id].status == "posted":
            with self.engine.connect() as conn:
                self.posted[entry_id] = ledger.get_transaction(conn, entry_id)

    def balances(self, *account_ids: int) -> list[int]:
        with self.engine.connect() as conn:
            return [
                ledger.get_account(conn, account_id).balance_minutes
                for account_id in account_ids
            ]

    def request(
        self,
        kind: str,
        payer: int,
        payee: int,
        minutes: int,
        dated: bool,
        **details: Any,
    ) -> Request:
        service_date = self.now.date() if dated else None
        return Request(kind, payer, payee, minutes, service_date, **details)

    # Rules: accounts.

    @initialize(
        target=accounts, floors=st.lists(opening_floors, min_size=3, max_size=3)
    )
    def open_members(self, floors: list[int | None]) -> Any:
        """Start with three members besides the issuance account: someone to pay."""
        members = [self.open_member(floor) for floor in floors]
        return multiple(self.book.issuance_account_id, *members)

    def open_member(self, floor: int | None) -> int:
        member = self.run(
            lambda conn: ledger.open_account(
                conn, book_id=self.book.id, kind="member", floor_minutes=floor
            )
        )
        self.model.accounts[member.id] = ModelAccount("member", floor)
        return member.id

    @rule(
        target=accounts,
        kind=st.sampled_from(["member", "organisation", "pool", "issuance"]),
        floor=floors,
    )
    def open_account(self, kind: str, floor: int | None) -> Any:
        account = self.attempt(
            lambda conn: ledger.open_account(
                conn, book_id=self.book.id, kind=kind, floor_minutes=floor
            ),
            self.model.refusals_of_opening(kind, floor),
        )
        if account is None:
            return multiple()
        assert (account.status, account.balance_minutes) == ("open", 0)
        self.model.accounts[account.id] = ModelAccount(kind, floor)
        return account.id

    @rule(account=accounts)
    def freeze(self, account: int) -> None:
        self.change_status(account, ledger.freeze_account, "frozen")

    @rule(account=accounts)
    def unfreeze(self, account: int) -> None:
        self.change_status(account, ledger.unfreeze_account, "open")

    def change_status(
        self, account_id: int, change: Callable[[Connection, int], Any], status: str
    ) -> None:
        changed = self.attempt(
            lambda conn: change(conn, account_id),
            self.model.refusals_of_status_change(account_id),
        )
        if changed is not None:
            assert changed.status == status
            self.model.accounts[account_id].status = status

    @rule(account=accounts)
    def close(self, account: int) -> None:
        closed = self.attempt(
            lambda conn: ledger.close_account(conn, account),
            self.model.refusals_of_closing(account),
        )
        if closed is not None:
            assert closed.status == "closed"
            self.model.accounts[account].status = "closed"

    @rule(account=accounts, floor=floors)
    def set_floor(self, account: int, floor: int | None) -> None:
        changed = self.attempt(
            lambda conn: ledger.set_floor(conn, account, floor),
            self.model.refusals_of_floor(account, floor),
        )
        if changed is not None:
            assert changed.floor_minutes == floor
            self.model.accounts[account].floor = floor

    # Rules: entries.

    @rule(
        target=entries, earner=accounts, minutes=amounts, key=keys, dated=st.booleans()
    )
    def earn(self, earner: int, minutes: int, key: str | None, dated: bool) -> Any:
        issuance = self.book.issuance_account_id
        request = self.request(
            "earn", issuance, earner, minutes, dated, idempotency_key=key
        )
        earner_before, issuance_before = self.balances(earner, issuance)
        entry_id = self.send(request)
        if entry_id is None:
            return multiple()
        earner_after, issuance_after = self.balances(earner, issuance)
        # Invariant 8, hour for hour: an earn of N minutes is N minutes exactly.
        assert earner_after - earner_before == minutes
        assert issuance_before - issuance_after == minutes
        return entry_id

    @rule(
        target=entries,
        payer=accounts,
        payee=accounts,
        minutes=amounts,
        kind=member_kinds,
        key=keys,
        dated=st.booleans(),
    )
    def transfer(
        self,
        payer: int,
        payee: int,
        minutes: int,
        kind: str,
        key: str | None,
        dated: bool,
    ) -> Any:
        request = self.request(kind, payer, payee, minutes, dated, idempotency_key=key)
        entry_id = self.send(request)
        return multiple() if entry_id is None else entry_id

    @rule(
        targets=(entries, holds),
        payer=accounts,
        payee=accounts,
        minutes=amounts,
        kind=member_kinds,
        expires_in=st.sampled_from([None, 15, 30, 60, 120, 0]),
        key=keys,
        dated=st.booleans(),
    )
    def hold(
        self,
        payer: int,
        payee: int,
        minutes: int,
        kind: str,
        expires_in: int | None,
        key: str | None,
        dated: bool,
    ) -> Any:
        expires_at = None
        if expires_in is not None:
            expires_at = self.now + timedelta(minutes=expires_in)
        request = self.request(
            kind,
            payer,
            payee,
            minutes,
            dated,
            pending=True,
            expires_at=expires_at,
            idempotency_key=key,
        )
        entry_id = self.send(request)
        return multiple() if entry_id is None else entry_id

    @rule(entry=holds, wait=waits)
    def post(self, entry: int, wait: int) -> None:
        self.now += timedelta(minutes=wait)
        posted = self.attempt(
            lambda conn: ledger.post_pending(conn, entry, now=self.now),
            self.model.refusals_of_posting(entry, self.now),
        )
        if posted is not None:
            assert posted.status == "posted"
            self.model.entries[entry].status = "posted"
            self.remember_if_posted(entry)

    @rule(entry=holds, wait=waits)
    def void(self, entry: int, wait: int) -> None:
        self.now += timedelta(minutes=wait)
        voided = self.attempt(
            lambda conn: ledger.void_pending(conn, entry, now=self.now),
            self.model.refusals_of_voiding(entry),
        )
        if voided is not None:
            assert voided.status == "voided"
            self.model.entries[entry].status = "voided"

    @rule(wait=waits)
    def expire(self, wait: int) -> None:
        self.now += timedelta(minutes=wait)
        overdue = self.model.overdue(self.now)
        voided = self.run(
            lambda conn: ledger.void_expired(conn, book_id=self.book.id, now=self.now)
        )
        assert voided == overdue
        for entry_id in overdue:
            self.model.entries[entry_id].status = "voided"

    @rule(target=entries, entry=entries)
    def reverse(self, entry: int) -> Any:
        reversal = self.attempt(
            lambda conn: ledger.reverse_transaction(conn, entry, now=self.now),
            self.model.refusals_of_reversal(entry),
        )
        if reversal is None:
            return multiple()
        assert reversal.id not in self.model.entries
        assert reversal.reverses_id == entry
        assert postings_of(reversal) == reversed_postings(self.model.entries[entry])
        self.model.reverse(entry, reversal.id)
        self.remember_if_posted(reversal.id)
        return reversal.id

    # Rules: repeated requests.

    @precondition(lambda self: self.model.requests_by_key)
    @rule(data=st.data(), wait=waits)
    def repeat_a_request(self, data: st.DataObject, wait: int) -> None:
        """Send a keyed request again, as a client retries after a timeout."""
        earlier = data.draw(st.sampled_from(self.keyed_requests()))
        self.now += timedelta(minutes=wait)
        self.send(earlier)

    @precondition(lambda self: self.model.requests_by_key)
    @rule(data=st.data(), change=st.sampled_from(["minutes", "memo"]))
    def change_a_request_under_its_key(self, data: st.DataObject, change: str) -> None:
        earlier = data.draw(st.sampled_from(self.keyed_requests()))
        if change == "minutes":
            self.send(replace(earlier, minutes=earlier.minutes + GRANULARITY))
        else:
            self.send(replace(earlier, memo=earlier.memo + " (changed)"))

    def keyed_requests(self) -> list[Request]:
        return [request for request, _ in self.model.requests_by_key.values()]

    # Invariants.

    @invariant()
    def books_agree_with_the_model(self) -> None:
        """After every step the books hold their invariants and equal the model."""
        if self.checked:
            return
        with self.engine.connect() as conn:
            assert ledger.find_violations(conn) == []
            self.check_accounts(conn)
            self.check_journal(conn)
        self.checked = True

    def check_accounts(self, conn: Connection) -> None:
        """Check each account holds what the model's posted and pending entries hold.

        So the balances sum to zero, no available balance is below its floor, and
        a voided entry moved no balance, since the model counts only posted ones.
        """
        found = {
            account_id: ledger.get_account(conn, account_id)
            for account_id in self.model.accounts
        }
        for account_id, account in found.items():
            expected = self.model.accounts[account_id]
            assert (account.kind, account.status, account.floor_minutes) == (
                expected.kind,
                expected.status,
                expected.floor,
            )
            assert (
                account.balance_minutes,
                account.pending_debit_minutes,
                account.pending_credit_minutes,
            ) == self.model.totals(account_id)
            if expected.floor is not None:
                assert account.available_minutes >= expected.floor
        assert sum(account.balance_minutes for account in found.values()) == 0

    def check_journal(self, conn: Connection) -> None:
        """Check every entry is as the model says, and posted ones never change.

        A posted entry reads back exactly as when it was posted, but for the
        link to its reversal; no entry is reversed twice; and the tables hold no
        row the model does not, so a repeated request wrote nothing.
        """
        for entry_id, expected in self.model.entries.items():
            transaction = ledger.get_transaction(conn, entry_id)
            assert (transaction.kind, transaction.status) == (
                expected.kind,
                expected.status,
            )
            assert postings_of(transaction) == expected.postings
            assert transaction.reverses_id == expected.reverses_id
            assert transaction.reversed_by_id == expected.reversed_by_id
            if expected.status == "posted":
                assert transaction == replace(
                    self.posted[entry_id], reversed_by_id=expected.reversed_by_id
                )
        reversed_twice = conn.execute(
            select(transactions.c.reverses_id)
            .where(transactions.c.reverses_id.is_not(None))
            .group_by(transactions.c.reverses_id)
            .having(func.count() > 1)
        ).all()
        assert reversed_twice == []
        rows = {
            table.name: conn.scalar(select(func.count()).select_from(table))
            for table in (accounts, transactions, postings)
        }
        assert rows == {
            accounts.name: len(self.model.accounts),
            transactions.name: len(self.model.entries),
            postings.name: sum(len(e.postings) for e in self.model.entries.values()),
        }


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Databases:
    """Return a source of empty databases, once per backend."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        return CopiedSqlite(template, tmp_path)
    return TruncatedPostgres(request.getfixturevalue("postgres_engine"))


def test_ledger_accepts_and_refuses_exactly_as_its_model_says(
    databases: Databases,
) -> None:
    """Accept what the model accepts, refuse the rest untouched, equal it always."""
    run_state_machine_as_test(
        lambda: LedgerMachine(databases), settings=chosen_settings()
    )
