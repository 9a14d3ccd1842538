"""Hour logs: "I volunteered N minutes for organisation O on date D doing X"."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from timebank.orm import Base, Id


class HourLog(Base):
    """Volunteered time, earning credits once a broker or the organisation approves."""

    __tablename__ = "hour_logs"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'approved', 'rejected')", name="known_status"
        ),
        CheckConstraint("minutes > 0", name="minutes_positive"),
        CheckConstraint(
            "(status = 'approved') = (transaction_id IS NOT NULL)",
            name="approved_has_earn",
        ),
        Index(None, "time_bank_id", "status"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    time_bank_id: Mapped[int] = mapped_column(ForeignKey("time_banks.id"))
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    description: Mapped[str] = mapped_column(Text)
    minutes: Mapped[int]
    service_date: Mapped[date]
    status: Mapped[str] = mapped_column(String(8))
    logged_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    logged_at: Mapped[datetime]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)
    transaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("ledger_transactions.id"), unique=True
    )
