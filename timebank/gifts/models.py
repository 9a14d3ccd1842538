"""Gifts of time credits to another member or to the community pool."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from timebank.orm import Base, Id


class Gift(Base):
    """Minutes given by a member to another member, or to the pool when none."""

    __tablename__ = "gifts"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'approved', 'rejected')", name="known_status"
        ),
        CheckConstraint("minutes > 0", name="minutes_positive"),
        CheckConstraint(
            "recipient_id IS NULL OR recipient_id <> giver_id",
            name="giver_is_not_recipient",
        ),
        Index(None, "time_bank_id", "status"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    time_bank_id: Mapped[int] = mapped_column(ForeignKey("time_banks.id"))
    giver_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), index=True)
    # None: the gift goes to the time bank's community pool.
    recipient_id: Mapped[int | None] = mapped_column(
        ForeignKey("memberships.id"), index=True
    )
    message: Mapped[str] = mapped_column(Text)
    minutes: Mapped[int]
    service_date: Mapped[date]
    status: Mapped[str] = mapped_column(String(8))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)
    transaction_id: Mapped[int] = mapped_column(
        ForeignKey("ledger_transactions.id"), unique=True
    )
