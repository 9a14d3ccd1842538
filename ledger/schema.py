"""The ledger's tables, in SQLAlchemy Core.

The hot path (a transfer) is a handful of Core statements, so the tables are
declared here rather than as ORM classes. Alembic's revisions in migrations/
create them; this module is what those revisions are compared against.

Each account keeps the head of its hash chain (see chain.py): a split account
one per slot, on the same row as the slot's totals, so that a writer moves the
head in the UPDATE that moves the totals and concurrent earns still spread over
the slots.

Guards the database holds itself: non-zero posting amounts, known kinds and
statuses, non-negative pending totals, the floor on available balance, unique
idempotency keys per book, at most one reversal per transaction. The zero sum
of each transaction's postings and the append-only rules are triggers, written
in the migration because they are per dialect.
"""

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only makes an INTEGER PRIMARY KEY an alias of its rowid (and so
# autoincrementing); PostgreSQL gets a BIGINT identity.
Id = BigInteger().with_variant(Integer(), "sqlite")

books = Table(
    "ledger_books",
    metadata,
    Column("id", Id, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("granularity_minutes", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(
        "granularity_minutes > 0 AND 60 % granularity_minutes = 0",
        name="granularity_divides_an_hour",
    ),
)

accounts = Table(
    "ledger_accounts",
    metadata,
    Column("id", Id, primary_key=True),
    Column("book_id", ForeignKey("ledger_books.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("owner", String(200)),
    Column("floor_minutes", BigInteger),
    Column("status", String(8), nullable=False),
    # An account with more than one slot keeps its totals split over this row
    # (slot 0) and its ledger_account_slots rows, so that concurrent writers
    # need not queue on one row. Only an account without a floor may split.
    Column("slot_count", Integer, nullable=False),
    Column("balance_minutes", BigInteger, nullable=False),
    Column("pending_debit_minutes", BigInteger, nullable=False),
    Column("pending_credit_minutes", BigInteger, nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("chain_length", BigInteger, nullable=False, server_default="0"),
    Column("chain_hash", LargeBinary),
    CheckConstraint(
        "kind IN ('member', 'organisation', 'issuance', 'pool')", name="known_kind"
    ),
    CheckConstraint("status IN ('open', 'frozen', 'closed')", name="known_status"),
    CheckConstraint(
        "slot_count = 1 OR (slot_count BETWEEN 2 AND 64 AND floor_minutes IS NULL)",
        name="only_floorless_accounts_split",
    ),
    CheckConstraint(
        "pending_debit_minutes >= 0 AND pending_credit_minutes >= 0",
        name="pending_totals_not_negative",
    ),
    CheckConstraint(
        "floor_minutes IS NULL"
        " OR balance_minutes - pending_debit_minutes >= floor_minutes",
        name="available_not_below_floor",
    ),
    Index(None, "book_id", "kind"),
    Index(None, "book_id", "owner"),
)

account_slots = Table(
    "ledger_account_slots",
    metadata,
    Column("account_id", ForeignKey("ledger_accounts.id"), nullable=False),
    Column("slot", Integer, nullable=False),
    Column("balance_minutes", BigInteger, nullable=False),
    Column("pending_debit_minutes", BigInteger, nullable=False),
    Column("pending_credit_minutes", BigInteger, nullable=False),
    Column("chain_length", BigInteger, nullable=False, server_default="0"),
    Column("chain_hash", LargeBinary),
    PrimaryKeyConstraint("account_id", "slot"),
    CheckConstraint("slot >= 1", name="slot_zero_is_the_account_row"),
    CheckConstraint(
        "pending_debit_minutes >= 0 AND pending_credit_minutes >= 0",
        name="pending_totals_not_negative",
    ),
)

transactions = Table(
    "ledger_transactions",
    metadata,
    Column("id", Id, primary_key=True),
    Column("book_id", ForeignKey("ledger_books.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("status", String(8), nullable=False),
    Column("memo", Text, nullable=False),
    Column("created_by", BigInteger),
    Column("approved_by", BigInteger),
    Column("service_date", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
    Column("expires_at", DateTime(timezone=True)),
    Column("idempotency_key", String(200)),
    Column("request_digest", String(64)),
    Column("reverses_id", ForeignKey("ledger_transactions.id"), unique=True),
    Column("reversed_by_id", ForeignKey("ledger_transactions.id"), unique=True),
    CheckConstraint(
        "kind IN ('earn', 'spend', 'gift', 'exchange', 'reversal', 'adjustment')",
        name="known_kind",
    ),
    CheckConstraint("status IN ('pending', 'posted', 'voided')", name="known_status"),
    CheckConstraint(
        "(idempotency_key IS NULL) = (request_digest IS NULL)",
        name="key_has_digest",
    ),
    CheckConstraint(
        "(kind = 'reversal') = (reverses_id IS NOT NULL)",
        name="reversal_points_at_original",
    ),
    CheckConstraint(
        "reversed_by_id IS NULL OR status = 'posted'", name="only_posted_reversed"
    ),
    UniqueConstraint("book_id", "idempotency_key"),
    Index(None, "book_id", "status", "expires_at"),
)

postings = Table(
    "ledger_postings",
    metadata,
    Column("id", Id, primary_key=True),
    Column("transaction_id", ForeignKey("ledger_transactions.id"), nullable=False),
    Column("account_id", ForeignKey("ledger_accounts.id"), nullable=False),
    Column("slot", Integer, nullable=False),
    # Negative minutes leave the account (a debit), positive ones arrive.
    Column("minutes", BigInteger, nullable=False),
    # Copied from the transaction so that an account's history is one index scan.
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    # The posting's link in the chain of its account and slot, set once, as its
    # entry is resolved; null while the entry is pending.
    Column("chain_seq", BigInteger),
    Column("chain_hash", LargeBinary),
    CheckConstraint("minutes <> 0", name="minutes_not_zero"),
    CheckConstraint("slot >= 0", name="slot_not_negative"),
    UniqueConstraint("transaction_id", "account_id"),
    Index(None, "account_id", "recorded_at", "id"),
)
