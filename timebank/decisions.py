"""How a pending hour log, exchange or gift is decided, once, by someone else."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

import ledger
from timebank.audit.services import record_event

from .errors import AlreadyDecided, MakerChecker

if TYPE_CHECKING:
    from timebank.exchanges.models import Exchange
    from timebank.gifts.models import Gift


class Decision(StrEnum):
    """Where an hour log, exchange or gift stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


def require_pending(status: str, *, what: str) -> None:
    """Refuse to decide again on something already approved or rejected."""
    if status != Decision.PENDING:
        raise AlreadyDecided(f"This {what} is already {status}.")


def require_checker(actor_id: int, *, makers: set[int | None], what: str) -> None:
    """Refuse an approver who made the entry or whom it credits (maker-checker)."""
    if actor_id in makers:
        raise MakerChecker(
            f"You cannot approve {what} that you recorded or that credits you."
        )


def settle_pending_payment(
    session: Session,
    item: Exchange | Gift,
    *,
    subject_type: str,
    actor_id: int,
    decision: Decision,
    reason: str | None = None,
) -> None:
    """Post (approve) or void (reject) the pending payment of an exchange or gift.

    The decision, who made it and when are stored on the item and in the audit.
    """
    conn = session.connection()
    if decision == Decision.APPROVED:
        payment = ledger.post_pending(conn, item.transaction_id, approved_by=actor_id)
    else:
        payment = ledger.void_pending(conn, item.transaction_id)
    item.status = decision.value
    item.decided_by_id = actor_id
    item.decided_at = payment.resolved_at
    item.reason = reason
    session.flush()
    record_event(
        session,
        time_bank_id=item.time_bank_id,
        actor_id=actor_id,
        action=f"{subject_type}_{decision.value}",
        subject_type=subject_type,
        subject_id=item.id,
        reason=reason,
        details={"minutes": item.minutes, "transaction_id": payment.id},
    )
