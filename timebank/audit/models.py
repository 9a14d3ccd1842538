"""The audit trail: who did what, when and why."""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from timebank.orm import Base, Id


class AuditEvent(Base):
    """One approval, rejection, reversal, floor change or role change."""

    __tablename__ = "audit_events"
    __table_args__ = (Index(None, "time_bank_id", "at", "id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    time_bank_id: Mapped[int] = mapped_column(ForeignKey("time_banks.id"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(Text)
    # A JSON object: what changed, from what to what.
    details: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]
