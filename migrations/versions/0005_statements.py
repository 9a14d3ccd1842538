"""Keep issued statements, so that printed copies can be checked, and print runs.

Revision ID: 0005_statements
Revises: 0004_api_tokens
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_statements"
down_revision: str | None = "0004_api_tokens"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "issued_statements",
        sa.Column("id", Id, nullable=False),
        sa.Column("time_bank_id", Id, nullable=False),
        sa.Column("account_id", Id, nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by", Id, nullable=True),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_accounts.id"],
            name=op.f("fk_issued_statements_account_id_ledger_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["issued_by"],
            ["users.id"],
            name=op.f("fk_issued_statements_issued_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["time_bank_id"],
            ["time_banks.id"],
            name=op.f("fk_issued_statements_time_bank_id_time_banks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_statements")),
    )
    op.create_index(
        op.f("ix_issued_statements_account_id"),
        "issued_statements",
        ["account_id"],
        unique=False,
    )
    op.create_table(
        "statement_print_runs",
        sa.Column("id", Id, nullable=False),
        sa.Column("time_bank_id", Id, nullable=False),
        sa.Column("organisation_id", Id, nullable=True),
        sa.Column("requested_by", Id, nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("file_format", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("statement_count", sa.Integer(), nullable=False),
        sa.Column("done_count", sa.Integer(), nullable=False),
        sa.Column("file_bytes", sa.BigInteger(), nullable=True),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_statement_print_runs_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["users.id"],
            name=op.f("fk_statement_print_runs_requested_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["time_bank_id"],
            ["time_banks.id"],
            name=op.f("fk_statement_print_runs_time_bank_id_time_banks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_print_runs")),
    )
    op.create_index(
        op.f("ix_statement_print_runs_requested_by"),
        "statement_print_runs",
        ["requested_by"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_statement_print_runs_requested_by"),
        table_name="statement_print_runs",
    )
    op.drop_table("statement_print_runs")
    op.drop_index(
        op.f("ix_issued_statements_account_id"), table_name="issued_statements"
    )
    op.drop_table("issued_statements")
