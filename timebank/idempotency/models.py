"""One row per request key a user has sent: what the request was, what it did."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from timebank.orm import Base


class IdempotencyKey(Base):
    """A key claimed by one request of one user, and the outcome it had."""

    __tablename__ = "idempotency_keys"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    # A digest of the request, so that a key reused for another request is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
