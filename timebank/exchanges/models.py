"""Exchanges: one member helped another, who pays in time credits."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from timebank.orm import Base, Id


class Exchange(Base):
    """Help given by the provider to the receiver, who pays its minutes."""

    __tablename__ = "exchanges"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'approved', 'rejected')", name="known_status"
        ),
        CheckConstraint("minutes > 0", name="minutes_positive"),
        CheckConstraint("provider_id <> receiver_id", name="provider_is_not_receiver"),
        Index(None, "time_bank_id", "status"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    time_bank_id: Mapped[int] = mapped_column(ForeignKey("time_banks.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), index=True)
    receiver_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
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
