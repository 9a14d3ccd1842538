"""Giving credits to another member or to the community pool.

A gift waits for a broker's approval when the time bank asks for it (always,
or above a size); meanwhile the giver's minutes are reserved.
"""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy.orm import Session

import ledger
from ledger.accounts import is_whole_number
from timebank.banks.rules import (
    GIFT_LIMIT_MINUTES,
    check_minutes,
    check_service_date,
    check_text,
    today,
)
from timebank.decisions import (
    Decision,
    require_checker,
    require_pending,
    settle_pending_payment,
)
from timebank.errors import PayingYourself, UnknownGift
from timebank.people.models import Membership, Role, User
from timebank.people.services import (
    acts_for,
    get_paying_member,
    get_time_bank,
    require_reason,
    require_role,
)

from .models import Gift


def give_gift(
    session: Session,
    *,
    actor: User,
    time_bank_id: int,
    giver_id: int,
    recipient_id: int | None,
    minutes: int,
    message: str = "",
    service_date: date | None = None,
) -> Gift:
    """Give minutes to a member, or to the pool when recipient_id is None."""
    bank = get_time_bank(session, time_bank_id)
    giver = get_paying_member(session, time_bank_id=bank.id, member_id=giver_id)
    acts_for(session, actor=actor, member=giver, what="give their credits")
    if recipient_id is None:
        recipient = None
        to_account_id = bank.pool_account_id
    else:
        recipient = get_paying_member(
            session, time_bank_id=bank.id, member_id=recipient_id
        )
        if recipient.id == giver.id:
            raise PayingYourself(_("Nobody gives credits to themselves."))
        to_account_id = recipient.account_id
    minutes = check_minutes(bank, minutes, limit=GIFT_LIMIT_MINUTES)
    service_date = check_service_date(
        bank, today() if service_date is None else service_date
    )
    message = check_text(message, what="message", required=False)
    pending = bank.gift_needs_approval(minutes)
    payment = ledger.transfer(
        session.connection(),
        from_account_id=giver.account_id,
        to_account_id=to_account_id,
        minutes=minutes,
        kind="gift",
        memo=message,
        created_by=actor.id,
        service_date=service_date,
        pending=pending,
    )
    gift = Gift(
        time_bank_id=bank.id,
        giver_id=giver.id,
        recipient_id=None if recipient is None else recipient.id,
        message=message,
        minutes=minutes,
        service_date=service_date,
        status=(Decision.PENDING if pending else Decision.APPROVED).value,
        recorded_by_id=actor.id,
        recorded_at=payment.recorded_at,
        decided_at=None if pending else payment.recorded_at,
        transaction_id=payment.id,
    )
    session.add(gift)
    session.flush()
    return gift


def get_gift(session: Session, gift_id: int) -> Gift:
    """Return the gift gift_id."""
    gift = session.get(Gift, gift_id) if is_whole_number(gift_id) else None
    if gift is None:
        raise UnknownGift(_("There is no gift %(id)r.", id=gift_id))
    return gift


def approve_gift(session: Session, *, actor: User, gift_id: int) -> Gift:
    """Approve a pending gift: the giver's reserved minutes are given."""
    gift = get_gift(session, gift_id)
    makers: set[int | None] = {gift.recorded_by_id}
    if gift.recipient_id is not None:
        makers.add(session.get_one(Membership, gift.recipient_id).user_id)
    require_checker(actor.id, makers=makers, what="gift")
    require_role(
        session, actor=actor, time_bank_id=gift.time_bank_id, roles=[Role.BROKER]
    )
    require_pending(gift.status, what="gift")
    settle_pending_payment(
        session,
        gift,
        subject_type="gift",
        actor_id=actor.id,
        decision=Decision.APPROVED,
    )
    return gift


def reject_gift(session: Session, *, actor: User, gift_id: int, reason: str) -> Gift:
    """Reject a pending gift, saying why: its minutes return to the giver."""
    gift = get_gift(session, gift_id)
    require_role(
        session, actor=actor, time_bank_id=gift.time_bank_id, roles=[Role.BROKER]
    )
    require_pending(gift.status, what="gift")
    reason = require_reason(reason)
    settle_pending_payment(
        session,
        gift,
        subject_type="gift",
        actor_id=actor.id,
        decision=Decision.REJECTED,
        reason=reason,
    )
    return gift
