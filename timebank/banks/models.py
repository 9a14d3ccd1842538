"""A time bank (the tenant) and its settings."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from timebank.orm import Base, Id


class Approval(StrEnum):
    """When an exchange or gift waits for a broker's approval."""

    ALWAYS = "always"
    ABOVE = "above"
    NEVER = "never"


class EarnSource(StrEnum):
    """Where the credits an approved hour log earns come from."""

    ISSUANCE = "issuance"
    ORGANISATION = "organisation"


class TimeBank(Base):
    """A time bank: its own book of accounts and the settings its entries obey."""

    __tablename__ = "time_banks"
    __table_args__ = (
        CheckConstraint(
            "granularity_minutes > 0 AND 60 % granularity_minutes = 0",
            name="granularity_divides_an_hour",
        ),
        CheckConstraint(
            "exchange_approval IN ('always', 'above', 'never')",
            name="known_exchange_approval",
        ),
        CheckConstraint(
            "gift_approval IN ('always', 'above', 'never')",
            name="known_gift_approval",
        ),
        CheckConstraint(
            "exchange_approval_above_minutes >= 0 AND gift_approval_above_minutes >= 0",
            name="approval_thresholds_not_negative",
        ),
        CheckConstraint("backdating_days >= 0", name="backdating_not_negative"),
        CheckConstraint(
            "earn_source IN ('issuance', 'organisation')", name="known_earn_source"
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    book_id: Mapped[int] = mapped_column(ForeignKey("ledger_books.id"), unique=True)
    pool_account_id: Mapped[int] = mapped_column(
        ForeignKey("ledger_accounts.id"), unique=True
    )
    granularity_minutes: Mapped[int]
    default_member_floor_minutes: Mapped[int]
    exchange_approval: Mapped[str] = mapped_column(String(8))
    exchange_approval_above_minutes: Mapped[int]
    gift_approval: Mapped[str] = mapped_column(String(8))
    gift_approval_above_minutes: Mapped[int]
    backdating_days: Mapped[int]
    earn_source: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]

    def exchange_needs_approval(self, minutes: int) -> bool:
        """Tell whether an exchange of these minutes waits for a broker."""
        return _needs_approval(
            self.exchange_approval, self.exchange_approval_above_minutes, minutes
        )

    def gift_needs_approval(self, minutes: int) -> bool:
        """Tell whether a gift of these minutes waits for a broker."""
        return _needs_approval(
            self.gift_approval, self.gift_approval_above_minutes, minutes
        )


def _needs_approval(setting: str, above: int, minutes: int) -> bool:
    if setting == Approval.ALWAYS:
        return True
    if setting == Approval.ABOVE:
        return minutes > above
    return False
