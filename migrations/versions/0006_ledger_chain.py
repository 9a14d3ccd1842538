"""Hash-chain the books: each posting is a link of its account's chain.

Adds the link (sequence number and hash) to each posting and the chain's head to
each account and slot, lets the append-only trigger on postings allow the one
update that sets a posting's link, and chains every entry already resolved,
account by account, in the order the entries were resolved.

The columns are added in place (no table copy on SQLite), so 0001's other
triggers stay. The chaining calls the ledger's own code, so that the hashes are
exactly the ones it verifies.

Revision ID: 0006_ledger_chain
Revises: 0005_statements
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ledger.chain import chain_resolved_entries

revision: str = "0006_ledger_chain"
down_revision: str | None = "0005_statements"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What a posting keeps for ever; only its link is set, once, after it is written.
POSTING_COLUMNS = (
    "id",
    "transaction_id",
    "account_id",
    "slot",
    "minutes",
    "recorded_at",
)
NEVER_CHANGED = "a posting is never changed: record a reversal instead"
LINKED_ONCE = "a posting joins the chain of its account once"

POSTGRESQL_UPGRADE = [
    "DROP TRIGGER ledger_postings_append_only ON ledger_postings",
    """
    CREATE TRIGGER ledger_postings_no_delete
    BEFORE DELETE ON ledger_postings
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change(
        'a posting is never deleted: record a reversal instead'
    )
    """,
    f"""
    CREATE FUNCTION ledger_guard_posting_update() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF ({", ".join(f"NEW.{c}" for c in POSTING_COLUMNS)})
           IS DISTINCT FROM ({", ".join(f"OLD.{c}" for c in POSTING_COLUMNS)}) THEN
            RAISE EXCEPTION '{NEVER_CHANGED}'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF OLD.chain_seq IS NOT NULL OR OLD.chain_hash IS NOT NULL THEN
            RAISE EXCEPTION '{LINKED_ONCE}'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER ledger_postings_guard_update
    BEFORE UPDATE ON ledger_postings
    FOR EACH ROW EXECUTE FUNCTION ledger_guard_posting_update()
    """,
]

POSTGRESQL_DOWNGRADE = [
    "DROP TRIGGER ledger_postings_guard_update ON ledger_postings",
    "DROP FUNCTION ledger_guard_posting_update()",
    "DROP TRIGGER ledger_postings_no_delete ON ledger_postings",
    """
    CREATE TRIGGER ledger_postings_append_only
    BEFORE UPDATE OR DELETE ON ledger_postings
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change(
        'a posting is never changed or deleted: record a reversal instead'
    )
    """,
]

SQLITE_UPGRADE = [
    "DROP TRIGGER ledger_postings_no_update",
    f"""
    CREATE TRIGGER ledger_postings_no_update BEFORE UPDATE ON ledger_postings
    WHEN {" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in POSTING_COLUMNS)}
    BEGIN
        SELECT RAISE(ABORT, '{NEVER_CHANGED}');
    END
    """,
    f"""
    CREATE TRIGGER ledger_postings_linked_once BEFORE UPDATE ON ledger_postings
    WHEN OLD.chain_seq IS NOT NULL OR OLD.chain_hash IS NOT NULL
    BEGIN
        SELECT RAISE(ABORT, '{LINKED_ONCE}');
    END
    """,
]

SQLITE_DOWNGRADE = [
    "DROP TRIGGER ledger_postings_linked_once",
    "DROP TRIGGER ledger_postings_no_update",
    f"""
    CREATE TRIGGER ledger_postings_no_update BEFORE UPDATE ON ledger_postings
    BEGIN
        SELECT RAISE(ABORT, '{NEVER_CHANGED}');
    END
    """,
]


def upgrade() -> None:
    for table in ("ledger_accounts", "ledger_account_slots"):
        op.add_column(
            table,
            sa.Column(
                "chain_length", sa.BigInteger(), nullable=False, server_default="0"
            ),
        )
        op.add_column(table, sa.Column("chain_hash", sa.LargeBinary(), nullable=True))
    op.add_column("ledger_postings", sa.Column("chain_seq", sa.BigInteger()))
    op.add_column("ledger_postings", sa.Column("chain_hash", sa.LargeBinary()))
    dialect = op.get_context().dialect.name
    for statement in POSTGRESQL_UPGRADE if dialect == "postgresql" else SQLITE_UPGRADE:
        op.execute(statement)
    chain_resolved_entries(op.get_bind())


def downgrade() -> None:
    dialect = op.get_context().dialect.name
    for statement in (
        POSTGRESQL_DOWNGRADE if dialect == "postgresql" else SQLITE_DOWNGRADE
    ):
        op.execute(statement)
    op.drop_column("ledger_postings", "chain_hash")
    op.drop_column("ledger_postings", "chain_seq")
    for table in ("ledger_account_slots", "ledger_accounts"):
        op.drop_column(table, "chain_hash")
        op.drop_column(table, "chain_length")
