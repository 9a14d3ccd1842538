"""Organisations of a time bank, their admins, and the activities they sell."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from timebank.orm import Base, Id


class Organisation(Base):
    """A community group, charity or business: it issues credits, accepts them."""

    __tablename__ = "organisations"
    __table_args__ = (
        UniqueConstraint("time_bank_id", "name"),
        CheckConstraint("is_issuer OR is_spend_partner", name="issues_or_accepts"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    time_bank_id: Mapped[int] = mapped_column(ForeignKey("time_banks.id"))
    name: Mapped[str] = mapped_column(String(200))
    is_issuer: Mapped[bool]
    is_spend_partner: Mapped[bool]
    account_id: Mapped[int] = mapped_column(
        ForeignKey("ledger_accounts.id"), unique=True
    )
    created_at: Mapped[datetime]


class OrganisationAdmin(Base):
    """A member who administers an organisation: approves its hour logs."""

    __tablename__ = "organisation_admins"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id"), primary_key=True
    )
    membership_id: Mapped[int] = mapped_column(
        ForeignKey("memberships.id"), primary_key=True, index=True
    )


class Activity(Base):
    """Something a spend partner offers, at a fixed price in minutes."""

    __tablename__ = "activities"
    __table_args__ = (
        UniqueConstraint("organisation_id", "name"),
        CheckConstraint("price_minutes > 0", name="price_positive"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    name: Mapped[str] = mapped_column(String(200))
    price_minutes: Mapped[int]
    created_at: Mapped[datetime]
