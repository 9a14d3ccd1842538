"""Recording exchanges between members, and approving or rejecting them.

The receiver of the help pays the provider. When the time bank asks for a
broker's approval (always, or above a size), the payment is held pending,
reserving the receiver's credit, until a broker approves (it posts) or
rejects it (it is voided).
"""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy.orm import Session

import ledger
from ledger.accounts import is_whole_number
from timebank.banks.rules import (
    DAY_MINUTES,
    check_minutes,
    check_service_date,
    check_text,
)
from timebank.decisions import (
    Decision,
    require_checker,
    require_pending,
    settle_pending_payment,
)
from timebank.errors import NotPermitted, PayingYourself, UnknownExchange
from timebank.people.models import Membership, Role, User
from timebank.people.services import (
    get_paying_member,
    get_time_bank,
    membership_of,
    require_reason,
    require_role,
)

from .models import Exchange


def record_exchange(
    session: Session,
    *,
    actor: User,
    time_bank_id: int,
    provider_id: int,
    receiver_id: int,
    minutes: int,
    description: str,
    service_date: date,
) -> Exchange:
    """Record help given by provider to receiver; the receiver or a broker does."""
    bank = get_time_bank(session, time_bank_id)
    provider = get_paying_member(session, time_bank_id=bank.id, member_id=provider_id)
    receiver = get_paying_member(session, time_bank_id=bank.id, member_id=receiver_id)
    if provider.id == receiver.id:
        raise PayingYourself(_("Nobody exchanges hours with themselves."))
    if actor.id != receiver.user_id:
        actor_membership = membership_of(session, user=actor, time_bank_id=bank.id)
        if actor_membership is None or not actor_membership.has_role(Role.BROKER):
            raise NotPermitted(
                _(
                    "Only the member who was helped, who pays, or a broker of their "
                    "time bank, may record an exchange."
                )
            )
    minutes = check_minutes(bank, minutes, limit=DAY_MINUTES)
    service_date = check_service_date(bank, service_date)
    description = check_text(description, what="description")
    pending = bank.exchange_needs_approval(minutes)
    payment = ledger.transfer(
        session.connection(),
        from_account_id=receiver.account_id,
        to_account_id=provider.account_id,
        minutes=minutes,
        kind="exchange",
        memo=description,
        created_by=actor.id,
        service_date=service_date,
        pending=pending,
    )
    exchange = Exchange(
        time_bank_id=bank.id,
        provider_id=provider.id,
        receiver_id=receiver.id,
        description=description,
        minutes=minutes,
        service_date=service_date,
        status=(Decision.PENDING if pending else Decision.APPROVED).value,
        recorded_by_id=actor.id,
        recorded_at=payment.recorded_at,
        decided_at=None if pending else payment.recorded_at,
        transaction_id=payment.id,
    )
    session.add(exchange)
    session.flush()
    return exchange


def get_exchange(session: Session, exchange_id: int) -> Exchange:
    """Return the exchange exchange_id."""
    exchange = (
        session.get(Exchange, exchange_id) if is_whole_number(exchange_id) else None
    )
    if exchange is None:
        raise UnknownExchange(_("There is no exchange %(id)r.", id=exchange_id))
    return exchange


def approve_exchange(session: Session, *, actor: User, exchange_id: int) -> Exchange:
    """Approve a pending exchange: the receiver's reserved minutes are paid."""
    exchange = get_exchange(session, exchange_id)
    provider = session.get_one(Membership, exchange.provider_id)
    require_checker(
        actor.id,
        makers={exchange.recorded_by_id, provider.user_id},
        what="exchange",
    )
    require_role(
        session, actor=actor, time_bank_id=exchange.time_bank_id, roles=[Role.BROKER]
    )
    require_pending(exchange.status, what="exchange")
    settle_pending_payment(
        session,
        exchange,
        subject_type="exchange",
        actor_id=actor.id,
        decision=Decision.APPROVED,
    )
    return exchange


def reject_exchange(
    session: Session, *, actor: User, exchange_id: int, reason: str
) -> Exchange:
    """Reject a pending exchange, saying why: its payment is voided."""
    exchange = get_exchange(session, exchange_id)
    require_role(
        session, actor=actor, time_bank_id=exchange.time_bank_id, roles=[Role.BROKER]
    )
    require_pending(exchange.status, what="exchange")
    reason = require_reason(reason)
    settle_pending_payment(
        session,
        exchange,
        subject_type="exchange",
        actor_id=actor.id,
        decision=Decision.REJECTED,
        reason=reason,
    )
    return exchange
