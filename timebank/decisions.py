"""How a pending hour log, exchange or gift is decided, once, by someone else."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from flask_babel import lazy_gettext
from sqlalchemy.orm import Session

import ledger
from timebank.audit.services import record_event
from timebank.exchanges.models import Exchange
from timebank.gifts.models import Gift
from timebank.people.models import Membership

from .errors import AlreadyDecided, MakerChecker


class Decision(StrEnum):
    """Where an hour log, exchange or gift stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class NotYours(StrEnum):
    """Why maker-checker leaves a decision to someone else."""

    RECORDED = "recorded"
    PAID = "paid"
    PAYER = "payer"


# What is decided: each is refused in sentences of its own.
Decided = Literal["hour log", "exchange", "gift"]
ALREADY_DECIDED = {
    ("hour log", Decision.APPROVED): lazy_gettext("This hour log is already approved."),
    ("hour log", Decision.REJECTED): lazy_gettext("This hour log is already rejected."),
    ("exchange", Decision.APPROVED): lazy_gettext("This exchange is already approved."),
    ("exchange", Decision.REJECTED): lazy_gettext("This exchange is already rejected."),
    ("gift", Decision.APPROVED): lazy_gettext("This gift is already approved."),
    ("gift", Decision.REJECTED): lazy_gettext("This gift is already rejected."),
}
YOUR_OWN = {
    "hour log": lazy_gettext(
        "You cannot approve an hour log that you recorded or that credits you."
    ),
    "exchange": lazy_gettext(
        "You cannot approve an exchange that you recorded or that credits you."
    ),
    "gift": lazy_gettext(
        "You cannot approve a gift that you recorded or that credits you."
    ),
}
SOMEONE_ELSE_DECIDES = {
    NotYours.RECORDED: lazy_gettext("Someone else must decide it: you recorded it."),
    NotYours.PAID: lazy_gettext("Someone else must decide it: it pays you."),
    NotYours.PAYER: lazy_gettext(
        "Someone else must decide it: it is paid from your account."
    ),
}


def require_pending(status: str, *, what: Decided) -> None:
    """Refuse to decide again on something already approved or rejected."""
    if status != Decision.PENDING:
        raise AlreadyDecided(str(ALREADY_DECIDED[what, Decision(status)]))


def require_checker(actor_id: int, *, makers: set[int | None], what: Decided) -> None:
    """Refuse an approver who made the entry or whom it credits (maker-checker)."""
    if actor_id in makers:
        raise MakerChecker(str(YOUR_OWN[what]))


def why_someone_else_decides(
    actor_id: int, *, recorded_by: int, paid: int | None, payer: int | None
) -> NotYours | None:
    """Return why maker-checker leaves a decision to someone else, or None.

    Stricter than require_checker, for a broker deciding from the queue or the
    API: nobody decides what they recorded, what pays them, or what is paid
    from their own account.
    """
    if actor_id == recorded_by:
        return NotYours.RECORDED
    if actor_id == paid:
        return NotYours.PAID
    if actor_id == payer:
        return NotYours.PAYER
    return None


def require_someone_else(
    actor_id: int, *, recorded_by: int, paid: int | None, payer: int | None
) -> None:
    """Refuse an actor who recorded the item, is paid by it or pays for it."""
    why = why_someone_else_decides(
        actor_id, recorded_by=recorded_by, paid=paid, payer=payer
    )
    if why is not None:
        raise MakerChecker(str(SOMEONE_ELSE_DECIDES[why]))


def payment_parties(session: Session, item: Exchange | Gift) -> tuple[int | None, int]:
    """Return the users a pending payment pays (None: the pool) and is paid by."""
    if isinstance(item, Exchange):
        paid_member: int | None = item.provider_id
        payer_member = item.receiver_id
    else:
        paid_member, payer_member = item.recipient_id, item.giver_id
    paid = (
        None
        if paid_member is None
        else session.get_one(Membership, paid_member).user_id
    )
    return paid, session.get_one(Membership, payer_member).user_id


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
