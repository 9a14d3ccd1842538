"""Create the ledger's tables and the triggers that guard its books.

Two rules are held by triggers rather than constraints, because they are per
dialect:

- On PostgreSQL, the postings of each entry sum to zero and number two or more.
  The check is a constraint trigger deferred to COMMIT, so an entry's postings
  may be inserted one statement at a time. SQLite has no deferred triggers; the
  ledger's own code checks the sum before it inserts.
- On both, the books are append-only: a posting is never changed or deleted, an
  entry is never deleted, and an entry only changes as it is resolved (pending to
  posted or voided, with who approved it and when) and once as it is reversed.

A later revision that alters one of these tables on SQLite copies the table
(batch mode), which drops its triggers: such a revision must create them again.

Revision ID: 0001_ledger
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_ledger"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite only makes an INTEGER PRIMARY KEY an alias of its rowid.
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# What may never change once an entry is recorded.
FIXED_COLUMNS = (
    "id",
    "book_id",
    "kind",
    "memo",
    "created_by",
    "service_date",
    "recorded_at",
    "expires_at",
    "idempotency_key",
    "request_digest",
    "reverses_id",
)

POSTGRESQL_UPGRADE = [
    """
    CREATE FUNCTION ledger_check_entry_balances() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        entry_id bigint;
        total numeric;
        legs bigint;
    BEGIN
        IF TG_TABLE_NAME = 'ledger_transactions' THEN
            entry_id := NEW.id;
        ELSE
            entry_id := NEW.transaction_id;
        END IF;
        SELECT coalesce(sum(minutes), 0), count(*) INTO total, legs
        FROM ledger_postings WHERE transaction_id = entry_id;
        IF legs < 2 OR total <> 0 THEN
            RAISE EXCEPTION
                'ledger entry % has % postings summing to % minutes; '
                'an entry needs two or more postings that sum to zero',
                entry_id, legs, total
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE CONSTRAINT TRIGGER ledger_postings_balance
    AFTER INSERT ON ledger_postings
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balances()
    """,
    # An entry with no postings at all fires no trigger on ledger_postings.
    """
    CREATE CONSTRAINT TRIGGER ledger_transactions_balance
    AFTER INSERT ON ledger_transactions
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balances()
    """,
    """
    CREATE FUNCTION ledger_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '%', TG_ARGV[0]
            USING ERRCODE = 'integrity_constraint_violation';
    END
    $$
    """,
    """
    CREATE TRIGGER ledger_postings_append_only
    BEFORE UPDATE OR DELETE ON ledger_postings
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change(
        'a posting is never changed or deleted: record a reversal instead'
    )
    """,
    """
    CREATE TRIGGER ledger_transactions_no_delete
    BEFORE DELETE ON ledger_transactions
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change(
        'a ledger entry is never deleted: void it while pending, else reverse it'
    )
    """,
    f"""
    CREATE FUNCTION ledger_guard_entry_update() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF ({", ".join(f"NEW.{c}" for c in FIXED_COLUMNS)})
           IS DISTINCT FROM ({", ".join(f"OLD.{c}" for c in FIXED_COLUMNS)}) THEN
            RAISE EXCEPTION 'ledger entry % is recorded and never edited', OLD.id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF NEW.status IS DISTINCT FROM OLD.status AND OLD.status <> 'pending' THEN
            RAISE EXCEPTION
                'ledger entry % is %: only a pending entry is posted or voided',
                OLD.id, OLD.status
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF (NEW.approved_by, NEW.resolved_at)
           IS DISTINCT FROM (OLD.approved_by, OLD.resolved_at)
           AND NOT (OLD.status = 'pending' AND NEW.status <> 'pending') THEN
            RAISE EXCEPTION
                'ledger entry %: approval and resolution time are set only '
                'as a pending entry is resolved', OLD.id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF OLD.reversed_by_id IS NOT NULL
           AND NEW.reversed_by_id IS DISTINCT FROM OLD.reversed_by_id THEN
            RAISE EXCEPTION 'ledger entry % was already reversed by entry %',
                OLD.id, OLD.reversed_by_id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER ledger_transactions_guard_update
    BEFORE UPDATE ON ledger_transactions
    FOR EACH ROW EXECUTE FUNCTION ledger_guard_entry_update()
    """,
]

POSTGRESQL_DOWNGRADE = [
    "DROP TRIGGER ledger_transactions_guard_update ON ledger_transactions",
    "DROP FUNCTION ledger_guard_entry_update()",
    "DROP TRIGGER ledger_transactions_no_delete ON ledger_transactions",
    "DROP TRIGGER ledger_postings_append_only ON ledger_postings",
    "DROP FUNCTION ledger_refuse_change()",
    "DROP TRIGGER ledger_transactions_balance ON ledger_transactions",
    "DROP TRIGGER ledger_postings_balance ON ledger_postings",
    "DROP FUNCTION ledger_check_entry_balances()",
]


def _sqlite_refusal(name: str, event: str, table: str, when: str, message: str) -> str:
    condition = f"WHEN {when}" if when else ""
    return f"""
    CREATE TRIGGER {name} {event} ON {table} {condition}
    BEGIN
        SELECT RAISE(ABORT, '{message}');
    END
    """


SQLITE_TRIGGERS = {
    "ledger_postings_no_update": (
        "BEFORE UPDATE",
        "ledger_postings",
        "",
        "a posting is never changed: record a reversal instead",
    ),
    "ledger_postings_no_delete": (
        "BEFORE DELETE",
        "ledger_postings",
        "",
        "a posting is never deleted: record a reversal instead",
    ),
    "ledger_transactions_no_delete": (
        "BEFORE DELETE",
        "ledger_transactions",
        "",
        "a ledger entry is never deleted: void it while pending, else reverse it",
    ),
    "ledger_transactions_fixed_columns": (
        "BEFORE UPDATE",
        "ledger_transactions",
        " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FIXED_COLUMNS),
        "a ledger entry is recorded and never edited",
    ),
    "ledger_transactions_resolved_once": (
        "BEFORE UPDATE",
        "ledger_transactions",
        "NEW.status IS NOT OLD.status AND OLD.status <> 'pending'",
        "only a pending ledger entry is posted or voided",
    ),
    "ledger_transactions_approved_on_resolution": (
        "BEFORE UPDATE",
        "ledger_transactions",
        "(NEW.approved_by IS NOT OLD.approved_by"
        " OR NEW.resolved_at IS NOT OLD.resolved_at)"
        " AND NOT (OLD.status = 'pending' AND NEW.status <> 'pending')",
        "approval and resolution time are set only as a pending entry is resolved",
    ),
    "ledger_transactions_reversed_once": (
        "BEFORE UPDATE",
        "ledger_transactions",
        "OLD.reversed_by_id IS NOT NULL"
        " AND NEW.reversed_by_id IS NOT OLD.reversed_by_id",
        "a ledger entry is reversed at most once",
    ),
}


def upgrade() -> None:
    op.create_table(
        "ledger_books",
        sa.Column("id", Id, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("granularity_minutes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "granularity_minutes > 0 AND 60 % granularity_minutes = 0",
            name=op.f("ck_ledger_books_granularity_divides_an_hour"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_books")),
    )
    op.create_table(
        "ledger_accounts",
        sa.Column("id", Id, nullable=False),
        sa.Column("book_id", Id, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column("floor_minutes", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("slot_count", sa.Integer(), nullable=False),
        sa.Column("balance_minutes", sa.BigInteger(), nullable=False),
        sa.Column("pending_debit_minutes", sa.BigInteger(), nullable=False),
        sa.Column("pending_credit_minutes", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('member', 'organisation', 'issuance', 'pool')",
            name=op.f("ck_ledger_accounts_known_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'frozen', 'closed')",
            name=op.f("ck_ledger_accounts_known_status"),
        ),
        sa.CheckConstraint(
            "slot_count = 1 OR (slot_count BETWEEN 2 AND 64 AND floor_minutes IS NULL)",
            name=op.f("ck_ledger_accounts_only_floorless_accounts_split"),
        ),
        sa.CheckConstraint(
            "pending_debit_minutes >= 0 AND pending_credit_minutes >= 0",
            name=op.f("ck_ledger_accounts_pending_totals_not_negative"),
        ),
        sa.CheckConstraint(
            "floor_minutes IS NULL"
            " OR balance_minutes - pending_debit_minutes >= floor_minutes",
            name=op.f("ck_ledger_accounts_available_not_below_floor"),
        ),
        sa.ForeignKeyConstraint(
            ["book_id"],
            ["ledger_books.id"],
            name=op.f("fk_ledger_accounts_book_id_ledger_books"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_accounts")),
    )
    op.create_index(
        op.f("ix_ledger_accounts_book_id_kind"), "ledger_accounts", ["book_id", "kind"]
    )
    op.create_index(
        op.f("ix_ledger_accounts_book_id_owner"),
        "ledger_accounts",
        ["book_id", "owner"],
    )
    op.create_table(
        "ledger_account_slots",
        sa.Column("account_id", Id, nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("balance_minutes", sa.BigInteger(), nullable=False),
        sa.Column("pending_debit_minutes", sa.BigInteger(), nullable=False),
        sa.Column("pending_credit_minutes", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "slot >= 1",
            name=op.f("ck_ledger_account_slots_slot_zero_is_the_account_row"),
        ),
        sa.CheckConstraint(
            "pending_debit_minutes >= 0 AND pending_credit_minutes >= 0",
            name=op.f("ck_ledger_account_slots_pending_totals_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_accounts.id"],
            name=op.f("fk_ledger_account_slots_account_id_ledger_accounts"),
        ),
        sa.PrimaryKeyConstraint(
            "account_id", "slot", name=op.f("pk_ledger_account_slots")
        ),
    )
    op.create_table(
        "ledger_transactions",
        sa.Column("id", Id, nullable=False),
        sa.Column("book_id", Id, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("memo", sa.Text(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("approved_by", sa.BigInteger(), nullable=True),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("request_digest", sa.String(length=64), nullable=True),
        sa.Column("reverses_id", Id, nullable=True),
        sa.Column("reversed_by_id", Id, nullable=True),
        sa.CheckConstraint(
            "kind IN ('earn', 'spend', 'gift', 'exchange', 'reversal', 'adjustment')",
            name=op.f("ck_ledger_transactions_known_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'posted', 'voided')",
            name=op.f("ck_ledger_transactions_known_status"),
        ),
        sa.CheckConstraint(
            "(idempotency_key IS NULL) = (request_digest IS NULL)",
            name=op.f("ck_ledger_transactions_key_has_digest"),
        ),
        sa.CheckConstraint(
            "(kind = 'reversal') = (reverses_id IS NOT NULL)",
            name=op.f("ck_ledger_transactions_reversal_points_at_original"),
        ),
        sa.CheckConstraint(
            "reversed_by_id IS NULL OR status = 'posted'",
            name=op.f("ck_ledger_transactions_only_posted_reversed"),
        ),
        sa.ForeignKeyConstraint(
            ["book_id"],
            ["ledger_books.id"],
            name=op.f("fk_ledger_transactions_book_id_ledger_books"),
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_ledger_transactions_reverses_id_ledger_transactions"),
        ),
        sa.ForeignKeyConstraint(
            ["reversed_by_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_ledger_transactions_reversed_by_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_transactions")),
        sa.UniqueConstraint(
            "book_id",
            "idempotency_key",
            name=op.f("uq_ledger_transactions_book_id_idempotency_key"),
        ),
        sa.UniqueConstraint(
            "reverses_id", name=op.f("uq_ledger_transactions_reverses_id")
        ),
        sa.UniqueConstraint(
            "reversed_by_id", name=op.f("uq_ledger_transactions_reversed_by_id")
        ),
    )
    op.create_index(
        op.f("ix_ledger_transactions_book_id_status_expires_at"),
        "ledger_transactions",
        ["book_id", "status", "expires_at"],
    )
    op.create_table(
        "ledger_postings",
        sa.Column("id", Id, nullable=False),
        sa.Column("transaction_id", Id, nullable=False),
        sa.Column("account_id", Id, nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "minutes <> 0", name=op.f("ck_ledger_postings_minutes_not_zero")
        ),
        sa.CheckConstraint(
            "slot >= 0", name=op.f("ck_ledger_postings_slot_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_ledger_postings_transaction_id_ledger_transactions"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_accounts.id"],
            name=op.f("fk_ledger_postings_account_id_ledger_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_postings")),
        sa.UniqueConstraint(
            "transaction_id",
            "account_id",
            name=op.f("uq_ledger_postings_transaction_id_account_id"),
        ),
    )
    op.create_index(
        op.f("ix_ledger_postings_account_id_recorded_at_id"),
        "ledger_postings",
        ["account_id", "recorded_at", "id"],
    )

    dialect = op.get_context().dialect.name
    if dialect == "postgresql":
        for statement in POSTGRESQL_UPGRADE:
            op.execute(statement)
    elif dialect == "sqlite":
        for name, (event, table, when, message) in SQLITE_TRIGGERS.items():
            op.execute(_sqlite_refusal(name, event, table, when, message))


def downgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "postgresql":
        for statement in POSTGRESQL_DOWNGRADE:
            op.execute(statement)
    elif dialect == "sqlite":
        for name in reversed(SQLITE_TRIGGERS):
            op.execute(f"DROP TRIGGER {name}")

    op.drop_index(
        op.f("ix_ledger_postings_account_id_recorded_at_id"),
        table_name="ledger_postings",
    )
    op.drop_table("ledger_postings")
    op.drop_index(
        op.f("ix_ledger_transactions_book_id_status_expires_at"),
        table_name="ledger_transactions",
    )
    op.drop_table("ledger_transactions")
    op.drop_table("ledger_account_slots")
    op.drop_index(
        op.f("ix_ledger_accounts_book_id_owner"), table_name="ledger_accounts"
    )
    op.drop_index(op.f("ix_ledger_accounts_book_id_kind"), table_name="ledger_accounts")
    op.drop_table("ledger_accounts")
    op.drop_table("ledger_books")
