"""The Alembic revisions create the schema of the models and the ledger's triggers.

The rows here are inserted as plain SQL, bypassing the ledger's own code, so that
each test shows what the database itself refuses.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Connection,
    Engine,
    delete,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError

import ledger
from ledger.database import create_engine
from ledger.schema import accounts, books, postings, transactions
from timebank.database import head_revisions, migrations_config, upgrade_database
from timebank.models import metadata

NOW = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Books:
    """A book with its issuance account and one member's account."""

    book_id: int
    issuance_id: int
    member_id: int


def open_books(conn: Connection) -> Books:
    """Insert a book, its issuance account and a member's account."""
    book_id = conn.execute(
        insert(books).returning(books.c.id),
        {"name": "Riverside", "granularity_minutes": 15, "created_at": NOW},
    ).scalar_one()
    account = {
        "book_id": book_id,
        "status": "open",
        "slot_count": 1,
        "balance_minutes": 0,
        "pending_debit_minutes": 0,
        "pending_credit_minutes": 0,
        "version": 0,
        "created_at": NOW,
    }
    issuance_id = conn.execute(
        insert(accounts).returning(accounts.c.id),
        {**account, "kind": "issuance", "owner": None, "floor_minutes": None},
    ).scalar_one()
    member_id = conn.execute(
        insert(accounts).returning(accounts.c.id),
        {**account, "kind": "member", "owner": "Ada", "floor_minutes": 0},
    ).scalar_one()
    return Books(book_id, issuance_id, member_id)


def record_entry(
    conn: Connection,
    book_id: int,
    legs: Sequence[tuple[int, int]],
    *,
    status: str = "posted",
    reverses_id: int | None = None,
) -> int:
    """Insert an entry and its (account, minutes) postings; return the entry's id."""
    entry_id: int = conn.execute(
        insert(transactions).returning(transactions.c.id),
        {
            "book_id": book_id,
            "kind": "earn" if reverses_id is None else "reversal",
            "status": status,
            "memo": "Two hours' gardening at the community centre",
            "service_date": date(2026, 3, 1),
            "recorded_at": NOW,
            "resolved_at": None if status == "pending" else NOW,
            "reverses_id": reverses_id,
        },
    ).scalar_one()
    for account_id, minutes in legs:
        conn.execute(
            insert(postings),
            {
                "transaction_id": entry_id,
                "account_id": account_id,
                "slot": 0,
                "minutes": minutes,
                "recorded_at": NOW,
            },
        )
    return entry_id


@pytest.fixture
def ledger_books(engine: Engine) -> Books:
    """Return a book with an issuance account and a member, on each backend."""
    with engine.begin() as conn:
        return open_books(conn)


@pytest.fixture
def earned_hours(engine: Engine, ledger_books: Books) -> int:
    """Return the id of a posted entry: a member earned two hours."""
    with engine.begin() as conn:
        return record_entry(
            conn,
            ledger_books.book_id,
            [(ledger_books.issuance_id, -120), (ledger_books.member_id, 120)],
        )


def test_upgrade_to_head_creates_exactly_the_schema_of_the_models(
    empty_database_url: str,
) -> None:
    upgrade_database(empty_database_url)
    engine = create_engine(empty_database_url)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            assert tables == set(metadata.tables) | {"alembic_version"}
            context = MigrationContext.configure(conn)
            assert set(context.get_current_heads()) == head_revisions()
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_downgrade_to_base_removes_every_table(empty_database_url: str) -> None:
    upgrade_database(empty_database_url)
    command.downgrade(migrations_config(empty_database_url), "base")
    engine = create_engine(empty_database_url)
    try:
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) == {"alembic_version"}
            if conn.dialect.name == "postgresql":
                functions = conn.scalars(
                    text("SELECT proname FROM pg_proc WHERE proname LIKE 'ledger%'")
                ).all()
                assert functions == []
    finally:
        engine.dispose()


def test_a_postings_minutes_are_never_changed(
    engine: Engine, earned_hours: int
) -> None:
    with pytest.raises(IntegrityError, match="never changed"), engine.begin() as conn:
        conn.execute(
            update(postings)
            .where(postings.c.transaction_id == earned_hours)
            .values(minutes=postings.c.minutes * 2)
        )


def test_a_posting_is_never_deleted(engine: Engine, earned_hours: int) -> None:
    with pytest.raises(IntegrityError, match="never"), engine.begin() as conn:
        conn.execute(delete(postings).where(postings.c.transaction_id == earned_hours))


def test_a_ledger_entry_is_never_deleted(engine: Engine, earned_hours: int) -> None:
    with pytest.raises(IntegrityError, match="never deleted"), engine.begin() as conn:
        conn.execute(delete(transactions).where(transactions.c.id == earned_hours))


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"memo": "One hour's gardening"}, "never edited"),
        ({"service_date": date(2026, 2, 1)}, "never edited"),
        ({"status": "voided"}, "only a pending"),
        ({"approved_by": 7}, "only as a pending entry is resolved"),
    ],
    ids=["memo", "service_date", "status", "approved_by"],
)
def test_a_posted_entry_is_never_edited(
    engine: Engine, earned_hours: int, change: dict[str, object], refusal: str
) -> None:
    with pytest.raises(IntegrityError, match=refusal), engine.begin() as conn:
        conn.execute(
            update(transactions).where(transactions.c.id == earned_hours).values(change)
        )


def test_a_pending_entry_is_resolved_once_with_its_approval(
    engine: Engine, ledger_books: Books
) -> None:
    with engine.begin() as conn:
        entry_id = record_entry(
            conn,
            ledger_books.book_id,
            [(ledger_books.issuance_id, -30), (ledger_books.member_id, 30)],
            status="pending",
        )
    resolve = (
        update(transactions)
        .where(transactions.c.id == entry_id)
        .values(status="posted", approved_by=7, resolved_at=NOW)
    )
    with engine.begin() as conn:
        conn.execute(resolve)
    with pytest.raises(IntegrityError, match="only a pending"), engine.begin() as conn:
        conn.execute(resolve.values(status="voided"))


def test_an_entry_is_reversed_at_most_once(
    engine: Engine, ledger_books: Books, earned_hours: int
) -> None:
    with engine.begin() as conn:
        reversal_id = record_entry(
            conn,
            ledger_books.book_id,
            [(ledger_books.issuance_id, 120), (ledger_books.member_id, -120)],
            reverses_id=earned_hours,
        )
        conn.execute(
            update(transactions)
            .where(transactions.c.id == earned_hours)
            .values(reversed_by_id=reversal_id)
        )
    with pytest.raises(IntegrityError, match="reversed"), engine.begin() as conn:
        conn.execute(
            update(transactions)
            .where(transactions.c.id == earned_hours)
            .values(reversed_by_id=None)
        )


@pytest.mark.parametrize(
    "minutes",
    [(-120, 60), (-120,), ()],
    ids=["not_summing_to_zero", "one_posting", "no_postings"],
)
def test_an_unbalanced_entry_is_refused_at_commit(
    postgres_engine: Engine, minutes: tuple[int, ...]
) -> None:
    with postgres_engine.begin() as conn:
        ledger_books = open_books(conn)
    accounts_in_turn = [ledger_books.issuance_id, ledger_books.member_id]
    with (
        pytest.raises(IntegrityError, match="sum to zero"),
        postgres_engine.begin() as conn,
    ):
        record_entry(
            conn,
            ledger_books.book_id,
            list(zip(accounts_in_turn, minutes, strict=False)),
        )
        # Each statement was accepted: the check waits for COMMIT.
        conn.execute(text("SELECT 1"))
    with postgres_engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM ledger_transactions")) == 0


def test_a_balanced_entry_may_be_written_one_posting_at_a_time(
    postgres_engine: Engine,
) -> None:
    with postgres_engine.begin() as conn:
        ledger_books = open_books(conn)
        record_entry(
            conn,
            ledger_books.book_id,
            [(ledger_books.issuance_id, -45), (ledger_books.member_id, 45)],
        )
    with postgres_engine.connect() as conn:
        total = conn.scalar(text("SELECT sum(minutes) FROM ledger_postings"))
        assert total == 0


def test_the_chain_revision_chains_the_entries_already_resolved(
    empty_database_url: str,
) -> None:
    chain_revision = ScriptDirectory.from_config(migrations_config()).get_revision(
        "0006_ledger_chain"
    )
    command.upgrade(
        migrations_config(empty_database_url), str(chain_revision.down_revision)
    )
    engine = create_engine(empty_database_url)
    try:
        with engine.begin() as conn:
            books = open_books(conn)
            legs = [(books.issuance_id, -120), (books.member_id, 120)]
            earned = record_entry(conn, books.book_id, legs)
            record_entry(conn, books.book_id, legs, status="voided")
            pending = record_entry(conn, books.book_id, legs, status="pending")
            for account_id, sign, pending_side in (
                (books.issuance_id, -1, "pending_debit_minutes"),
                (books.member_id, 1, "pending_credit_minutes"),
            ):
                conn.execute(
                    update(accounts)
                    .where(accounts.c.id == account_id)
                    .values({"balance_minutes": sign * 120, pending_side: 120})
                )
        upgrade_database(empty_database_url)
        with engine.begin() as conn:
            links = dict(
                conn.execute(
                    select(postings.c.transaction_id, postings.c.chain_seq).where(
                        postings.c.account_id == books.member_id
                    )
                ).all()
            )
            before_posting = ledger.find_violations(conn)
            ledger.post_pending(conn, pending)
            after_posting = ledger.find_violations(conn)
    finally:
        engine.dispose()

    assert links[earned] is not None
    assert links[pending] is None
    assert before_posting == [] == after_posting
