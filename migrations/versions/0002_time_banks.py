"""Create the time-bank domain's tables: banks, people, organisations, entries.

Each time bank owns one ledger book; memberships and organisations own ledger
accounts; hour logs, exchanges, gifts and spends point at the ledger entries
they recorded. The ledger's tables and triggers are left as 0001 made them.

Revision ID: 0002_time_banks
Revises: 0001_ledger
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_time_banks"
down_revision: str | None = "0001_ledger"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite only makes an INTEGER PRIMARY KEY an alias of its rowid.
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", Id, nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "time_banks",
        sa.Column("id", Id, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("book_id", Id, nullable=False),
        sa.Column("pool_account_id", Id, nullable=False),
        sa.Column("granularity_minutes", sa.Integer(), nullable=False),
        sa.Column("default_member_floor_minutes", sa.Integer(), nullable=False),
        sa.Column("exchange_approval", sa.String(length=8), nullable=False),
        sa.Column("exchange_approval_above_minutes", sa.Integer(), nullable=False),
        sa.Column("gift_approval", sa.String(length=8), nullable=False),
        sa.Column("gift_approval_above_minutes", sa.Integer(), nullable=False),
        sa.Column("backdating_days", sa.Integer(), nullable=False),
        sa.Column("earn_source", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "earn_source IN ('issuance', 'organisation')",
            name=op.f("ck_time_banks_known_earn_source"),
        ),
        sa.CheckConstraint(
            "exchange_approval IN ('always', 'above', 'never')",
            name=op.f("ck_time_banks_known_exchange_approval"),
        ),
        sa.CheckConstraint(
            "gift_approval IN ('always', 'above', 'never')",
            name=op.f("ck_time_banks_known_gift_approval"),
        ),
        sa.CheckConstraint(
            "backdating_days >= 0", name=op.f("ck_time_banks_backdating_not_negative")
        ),
        sa.CheckConstraint(
            "exchange_approval_above_minutes >= 0 AND gift_approval_above_minutes >= 0",
            name=op.f("ck_time_banks_approval_thresholds_not_negative"),
        ),
        sa.CheckConstraint(
            "granularity_minutes > 0 AND 60 % granularity_minutes = 0",
            name=op.f("ck_time_banks_granularity_divides_an_hour"),
        ),
        sa.ForeignKeyConstraint(
            ["book_id"],
            ["ledger_books.id"],
            name=op.f("fk_time_banks_book_id_ledger_books"),
        ),
        sa.ForeignKeyConstraint(
            ["pool_account_id"],
            ["ledger_accounts.id"],
            name=op.f("fk_time_banks_pool_account_id_ledger_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_banks")),
        sa.UniqueConstraint("book_id", name=op.f("uq_time_banks_book_id")),
        sa.UniqueConstraint(
            "pool_account_id", name=op.f("uq_time_banks_pool_account_id")
        ),
        sa.UniqueConstraint("slug", name=op.f("uq_time_banks_slug")),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", Id, nullable=False),
        sa.Column("time_bank_id", Id, nullable=False),
        sa.Column("actor_id", Id, nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("subject_type", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_audit_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["time_bank_id"],
            ["time_banks.id"],
            name=op.f("fk_audit_events_time_bank_id_time_banks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(
        op.f("ix_audit_events_time_bank_id_at_id"),
        "audit_events",
        ["time_bank_id", "at", "id"],
    )
    op.create_table(
        "memberships",
        sa.Column("id", Id, nullable=False),
        sa.Column("time_bank_id", Id, nullable=False),
        sa.Column("user_id", Id, nullable=False),
        sa.Column("account_id", Id, nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_accounts.id"],
            name=op.f("fk_memberships_account_id_ledger_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["time_bank_id"],
            ["time_banks.id"],
            name=op.f("fk_memberships_time_bank_id_time_banks"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_memberships_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
        sa.UniqueConstraint("account_id", name=op.f("uq_memberships_account_id")),
        sa.UniqueConstraint(
            "time_bank_id", "user_id", name=op.f("uq_memberships_time_bank_id_user_id")
        ),
    )
    op.create_index(op.f("ix_memberships_user_id"), "memberships", ["user_id"])
    op.create_table(
        "organisations",
        sa.Column("id", Id, nullable=False),
        sa.Column("time_bank_id", Id, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("is_issuer", sa.Boolean(), nullable=False),
        sa.Column("is_spend_partner", sa.Boolean(), nullable=False),
        sa.Column("account_id", Id, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "is_issuer OR is_spend_partner",
            name=op.f("ck_organisations_issues_or_accepts"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_accounts.id"],
            name=op.f("fk_organisations_account_id_ledger_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["time_bank_id"],
            ["time_banks.id"],
            name=op.f("fk_organisations_time_bank_id_time_banks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("account_id", name=op.f("uq_organisations_account_id")),
        sa.UniqueConstraint(
            "time_bank_id", "name", name=op.f("uq_organisations_time_bank_id_name")
        ),
    )
    op.create_table(
        "activities",
        sa.Column("id", Id, nullable=False),
        sa.Column("organisation_id", Id, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("price_minutes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "price_minutes > 0", name=op.f("ck_activities_price_positive")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_activities_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
        sa.UniqueConstraint(
            "organisation_id", "name", name=op.f("uq_activities_organisation_id_name")
        ),
    )
    op.create_table(
        "exchanges",
        sa.Column("id", Id, nullable=False),
        sa.Column("time_bank_id", Id, nullable=False),
        sa.Column("provider_id", Id, nullable=False),
        sa.Column("receiver_id", Id, nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("recorded_by_id", Id, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", Id, nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("transaction_id", Id, nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected')",
            name=op.f("ck_exchanges_known_status"),
        ),
        sa.CheckConstraint("minutes > 0", name=op.f("ck_exchanges_minutes_positive")),
        sa.CheckConstraint(
            "provider_id <> receiver_id",
            name=op.f("ck_exchanges_provider_is_not_receiver"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_exchanges_decided_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["memberships.id"],
            name=op.f("fk_exchanges_provider_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["receiver_id"],
            ["memberships.id"],
            name=op.f("fk_exchanges_receiver_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_exchanges_recorded_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["time_bank_id"],
            ["time_banks.id"],
            name=op.f("fk_exchanges_time_bank_id_time_banks"),
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_exchanges_transaction_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchanges")),
        sa.UniqueConstraint("transaction_id", name=op.f("uq_exchanges_transaction_id")),
    )
    op.create_index(op.f("ix_exchanges_provider_id"), "exchanges", ["provider_id"])
    op.create_index(op.f("ix_exchanges_receiver_id"), "exchanges", ["receiver_id"])
    op.create_index(
        op.f("ix_exchanges_time_bank_id_status"),
        "exchanges",
        ["time_bank_id", "status"],
    )
    op.create_table(
        "gifts",
        sa.Column("id", Id, nullable=False),
        sa.Column("time_bank_id", Id, nullable=False),
        sa.Column("giver_id", Id, nullable=False),
        sa.Column("recipient_id", Id, nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("recorded_by_id", Id, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", Id, nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("transaction_id", Id, nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected')",
            name=op.f("ck_gifts_known_status"),
        ),
        sa.CheckConstraint("minutes > 0", name=op.f("ck_gifts_minutes_positive")),
        sa.CheckConstraint(
            "recipient_id IS NULL OR recipient_id <> giver_id",
            name=op.f("ck_gifts_giver_is_not_recipient"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_gifts_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["giver_id"], ["memberships.id"], name=op.f("fk_gifts_giver_id_memberships")
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["memberships.id"],
            name=op.f("fk_gifts_recipient_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_gifts_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["time_bank_id"],
            ["time_banks.id"],
            name=op.f("fk_gifts_time_bank_id_time_banks"),
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_gifts_transaction_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gifts")),
        sa.UniqueConstraint("transaction_id", name=op.f("uq_gifts_transaction_id")),
    )
    op.create_index(op.f("ix_gifts_giver_id"), "gifts", ["giver_id"])
    op.create_index(op.f("ix_gifts_recipient_id"), "gifts", ["recipient_id"])
    op.create_index(
        op.f("ix_gifts_time_bank_id_status"), "gifts", ["time_bank_id", "status"]
    )
    op.create_table(
        "hour_logs",
        sa.Column("id", Id, nullable=False),
        sa.Column("time_bank_id", Id, nullable=False),
        sa.Column("membership_id", Id, nullable=False),
        sa.Column("organisation_id", Id, nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("logged_by_id", Id, nullable=False),
        sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", Id, nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("transaction_id", Id, nullable=True),
        sa.CheckConstraint(
            "(status = 'approved') = (transaction_id IS NOT NULL)",
            name=op.f("ck_hour_logs_approved_has_earn"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected')",
            name=op.f("ck_hour_logs_known_status"),
        ),
        sa.CheckConstraint("minutes > 0", name=op.f("ck_hour_logs_minutes_positive")),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_hour_logs_decided_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["logged_by_id"], ["users.id"], name=op.f("fk_hour_logs_logged_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_hour_logs_membership_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_hour_logs_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["time_bank_id"],
            ["time_banks.id"],
            name=op.f("fk_hour_logs_time_bank_id_time_banks"),
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_hour_logs_transaction_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hour_logs")),
        sa.UniqueConstraint("transaction_id", name=op.f("uq_hour_logs_transaction_id")),
    )
    op.create_index(op.f("ix_hour_logs_membership_id"), "hour_logs", ["membership_id"])
    op.create_index(
        op.f("ix_hour_logs_time_bank_id_status"),
        "hour_logs",
        ["time_bank_id", "status"],
    )
    op.create_table(
        "membership_roles",
        sa.Column("membership_id", Id, nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "role IN ('member', 'broker', 'time_bank_admin')",
            name=op.f("ck_membership_roles_known_role"),
        ),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_membership_roles_membership_id_memberships"),
        ),
        sa.PrimaryKeyConstraint(
            "membership_id", "role", name=op.f("pk_membership_roles")
        ),
    )
    op.create_table(
        "organisation_admins",
        sa.Column("organisation_id", Id, nullable=False),
        sa.Column("membership_id", Id, nullable=False),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_organisation_admins_membership_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_organisation_admins_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint(
            "organisation_id", "membership_id", name=op.f("pk_organisation_admins")
        ),
    )
    op.create_index(
        op.f("ix_organisation_admins_membership_id"),
        "organisation_admins",
        ["membership_id"],
    )
    op.create_table(
        "spends",
        sa.Column("id", Id, nullable=False),
        sa.Column("time_bank_id", Id, nullable=False),
        sa.Column("membership_id", Id, nullable=False),
        sa.Column("organisation_id", Id, nullable=False),
        sa.Column("activity_id", Id, nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", Id, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("transaction_id", Id, nullable=False),
        sa.CheckConstraint("minutes > 0", name=op.f("ck_spends_minutes_positive")),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_spends_activity_id_activities"),
        ),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_spends_membership_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_spends_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_spends_recorded_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["time_bank_id"],
            ["time_banks.id"],
            name=op.f("fk_spends_time_bank_id_time_banks"),
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_spends_transaction_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spends")),
        sa.UniqueConstraint("transaction_id", name=op.f("uq_spends_transaction_id")),
    )
    op.create_index(op.f("ix_spends_membership_id"), "spends", ["membership_id"])
    op.create_index(
        op.f("ix_spends_organisation_id_service_date"),
        "spends",
        ["organisation_id", "service_date"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_spends_organisation_id_service_date"), table_name="spends")
    op.drop_index(op.f("ix_spends_membership_id"), table_name="spends")
    op.drop_table("spends")
    op.drop_index(
        op.f("ix_organisation_admins_membership_id"), table_name="organisation_admins"
    )
    op.drop_table("organisation_admins")
    op.drop_table("membership_roles")
    op.drop_index(op.f("ix_hour_logs_time_bank_id_status"), table_name="hour_logs")
    op.drop_index(op.f("ix_hour_logs_membership_id"), table_name="hour_logs")
    op.drop_table("hour_logs")
    op.drop_index(op.f("ix_gifts_time_bank_id_status"), table_name="gifts")
    op.drop_index(op.f("ix_gifts_recipient_id"), table_name="gifts")
    op.drop_index(op.f("ix_gifts_giver_id"), table_name="gifts")
    op.drop_table("gifts")
    op.drop_index(op.f("ix_exchanges_time_bank_id_status"), table_name="exchanges")
    op.drop_index(op.f("ix_exchanges_receiver_id"), table_name="exchanges")
    op.drop_index(op.f("ix_exchanges_provider_id"), table_name="exchanges")
    op.drop_table("exchanges")
    op.drop_table("activities")
    op.drop_table("organisations")
    op.drop_index(op.f("ix_memberships_user_id"), table_name="memberships")
    op.drop_table("memberships")
    op.drop_index(op.f("ix_audit_events_time_bank_id_at_id"), table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_table("time_banks")
    op.drop_table("users")
