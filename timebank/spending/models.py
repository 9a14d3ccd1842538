"""Spends: a member pays a spend partner for an activity on its list."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from timebank.orm import Base, Id


class Spend(Base):
    """An activity bought at its price, paid from the member's account."""

    __tablename__ = "spends"
    __table_args__ = (
        CheckConstraint("minutes > 0", name="minutes_positive"),
        Index(None, "organisation_id", "service_date"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    time_bank_id: Mapped[int] = mapped_column(ForeignKey("time_banks.id"))
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"))
    # The activity's price when it was bought; a later price change leaves it.
    minutes: Mapped[int]
    service_date: Mapped[date]
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime]
    transaction_id: Mapped[int] = mapped_column(
        ForeignKey("ledger_transactions.id"), unique=True
    )
