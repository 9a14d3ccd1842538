"""Spending credits at a spend partner, on an activity from its list."""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy.orm import Session

import ledger
from timebank.banks.rules import check_service_date, today
from timebank.errors import NotASpendPartner
from timebank.organisations.models import Organisation
from timebank.organisations.services import get_activity
from timebank.people.models import User
from timebank.people.services import acts_for, get_paying_member, get_time_bank

from .models import Spend


def record_spend(
    session: Session,
    *,
    actor: User,
    time_bank_id: int,
    member_id: int,
    activity_id: int,
    service_date: date | None = None,
) -> Spend:
    """Pay a spend partner the price of one of its activities, from a member."""
    bank = get_time_bank(session, time_bank_id)
    member = get_paying_member(session, time_bank_id=bank.id, member_id=member_id)
    acts_for(session, actor=actor, member=member, what="spend their credits")
    activity = get_activity(session, time_bank_id=bank.id, activity_id=activity_id)
    organisation = session.get_one(Organisation, activity.organisation_id)
    if not organisation.is_spend_partner:
        raise NotASpendPartner(
            _("%(name)s does not accept credits.", name=organisation.name)
        )
    service_date = check_service_date(
        bank, today() if service_date is None else service_date
    )
    payment = ledger.transfer(
        session.connection(),
        from_account_id=member.account_id,
        to_account_id=organisation.account_id,
        minutes=activity.price_minutes,
        kind="spend",
        memo=f"{activity.name} at {organisation.name}"[:500],
        created_by=actor.id,
        service_date=service_date,
    )
    spend = Spend(
        time_bank_id=bank.id,
        membership_id=member.id,
        organisation_id=organisation.id,
        activity_id=activity.id,
        minutes=activity.price_minutes,
        service_date=service_date,
        recorded_by_id=actor.id,
        recorded_at=payment.recorded_at,
        transaction_id=payment.id,
    )
    session.add(spend)
    session.flush()
    return spend
