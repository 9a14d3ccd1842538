"""Registering organisations, appointing their admins, listing their activities."""

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

import ledger
from ledger.accounts import is_whole_number
from timebank.audit.services import record_event
from timebank.banks.rules import DAY_MINUTES, check_minutes, check_text
from timebank.errors import (
    AlreadyTaken,
    InvalidSetting,
    UnknownActivity,
    UnknownOrganisation,
)
from timebank.people.models import Membership, Role, User
from timebank.people.services import (
    check_floor,
    get_member,
    get_time_bank,
    membership_of,
    require_reason,
    require_role,
)

from .models import Activity, Organisation, OrganisationAdmin


def register_organisation(
    session: Session,
    *,
    actor: User,
    time_bank_id: int,
    name: str,
    is_issuer: bool,
    is_spend_partner: bool,
    floor_minutes: int | None = 0,
) -> Organisation:
    """Register an organisation with an account; a time-bank admin does.

    A floor of None lets an issuing organisation's account go below zero, so
    that it can fund its volunteers' earns when the time bank's earn source
    is the organisation.
    """
    bank = get_time_bank(session, time_bank_id)
    require_role(
        session, actor=actor, time_bank_id=bank.id, roles=[Role.TIME_BANK_ADMIN]
    )
    name = check_text(name, what="name")
    if not isinstance(is_issuer, bool) or not isinstance(is_spend_partner, bool):
        raise InvalidSetting("Whether it issues or accepts credits is yes or no.")
    if not (is_issuer or is_spend_partner):
        raise InvalidSetting(
            "An organisation issues credits, accepts them as a spend partner, or both."
        )
    if floor_minutes is not None:
        check_floor(floor_minutes)
    taken = session.scalars(
        select(Organisation.id).where(
            Organisation.time_bank_id == bank.id, Organisation.name == name
        )
    ).first()
    if taken is not None:
        raise AlreadyTaken(f"This time bank already has an organisation {name!r}.")
    account = ledger.open_account(
        session.connection(),
        book_id=bank.book_id,
        kind="organisation",
        owner=f"organisation:{name}"[:200],
        floor_minutes=floor_minutes,
    )
    organisation = Organisation(
        time_bank_id=bank.id,
        name=name,
        is_issuer=is_issuer,
        is_spend_partner=is_spend_partner,
        account_id=account.id,
        created_at=datetime.now(UTC),
    )
    session.add(organisation)
    session.flush()
    return organisation


def get_organisation(
    session: Session, *, time_bank_id: int, organisation_id: int
) -> Organisation:
    """Return the organisation organisation_id of the time bank time_bank_id."""
    organisation = (
        session.get(Organisation, organisation_id)
        if is_whole_number(organisation_id)
        else None
    )
    if organisation is None or organisation.time_bank_id != time_bank_id:
        raise UnknownOrganisation(
            f"There is no organisation {organisation_id!r} in this time bank."
        )
    return organisation


def appoint_organisation_admin(
    session: Session,
    *,
    actor: User,
    time_bank_id: int,
    organisation_id: int,
    member_id: int,
    reason: str,
) -> OrganisationAdmin:
    """Make a member an admin of an organisation; a time-bank admin does."""
    require_role(
        session, actor=actor, time_bank_id=time_bank_id, roles=[Role.TIME_BANK_ADMIN]
    )
    organisation = get_organisation(
        session, time_bank_id=time_bank_id, organisation_id=organisation_id
    )
    membership = get_member(session, time_bank_id=time_bank_id, member_id=member_id)
    reason = require_reason(reason)
    admin = session.get(OrganisationAdmin, (organisation.id, membership.id))
    if admin is None:
        admin = OrganisationAdmin(
            organisation_id=organisation.id, membership_id=membership.id
        )
        session.add(admin)
        session.flush()
    record_event(
        session,
        time_bank_id=time_bank_id,
        actor_id=actor.id,
        action="role_granted",
        subject_type="membership",
        subject_id=membership.id,
        reason=reason,
        details={"role": "organisation_admin", "organisation_id": organisation.id},
    )
    return admin


def is_organisation_admin(
    session: Session, *, user: User, organisation: Organisation
) -> bool:
    """Tell whether user administers organisation."""
    membership = membership_of(
        session, user=user, time_bank_id=organisation.time_bank_id
    )
    if membership is None:
        return False
    return session.get(OrganisationAdmin, (organisation.id, membership.id)) is not None


def organisation_admins(
    session: Session, *, organisation: Organisation
) -> Sequence[Membership]:
    """Return the members who administer organisation."""
    return session.scalars(
        select(Membership)
        .join(OrganisationAdmin, OrganisationAdmin.membership_id == Membership.id)
        .where(OrganisationAdmin.organisation_id == organisation.id)
        .order_by(Membership.id)
    ).all()


def add_activity(
    session: Session,
    *,
    actor: User,
    time_bank_id: int,
    organisation_id: int,
    name: str,
    price_minutes: int,
) -> Activity:
    """Add an activity to a spend partner's list; its or the time bank's admin does."""
    organisation = get_organisation(
        session, time_bank_id=time_bank_id, organisation_id=organisation_id
    )
    if not is_organisation_admin(session, user=actor, organisation=organisation):
        require_role(
            session,
            actor=actor,
            time_bank_id=time_bank_id,
            roles=[Role.TIME_BANK_ADMIN],
        )
    if not organisation.is_spend_partner:
        raise InvalidSetting(
            f"{organisation.name} is not a spend partner: it offers no activities."
        )
    name = check_text(name, what="name")
    bank = get_time_bank(session, time_bank_id)
    price_minutes = check_minutes(bank, price_minutes, limit=DAY_MINUTES)
    taken = session.scalars(
        select(Activity.id).where(
            Activity.organisation_id == organisation.id, Activity.name == name
        )
    ).first()
    if taken is not None:
        raise AlreadyTaken(f"{organisation.name} already offers {name!r}.")
    activity = Activity(
        organisation_id=organisation.id,
        name=name,
        price_minutes=price_minutes,
        created_at=datetime.now(UTC),
    )
    session.add(activity)
    session.flush()
    return activity


def get_activity(session: Session, *, time_bank_id: int, activity_id: int) -> Activity:
    """Return the activity activity_id, offered by an organisation of this bank."""
    activity = (
        session.get(Activity, activity_id) if is_whole_number(activity_id) else None
    )
    if activity is not None:
        organisation = session.get(Organisation, activity.organisation_id)
        if organisation is not None and organisation.time_bank_id == time_bank_id:
            return activity
    raise UnknownActivity(f"There is no activity {activity_id!r} in this time bank.")


def list_activities(
    session: Session, *, time_bank_id: int, organisation_id: int
) -> Sequence[Activity]:
    """Return a spend partner's activities, by name."""
    organisation = get_organisation(
        session, time_bank_id=time_bank_id, organisation_id=organisation_id
    )
    return session.scalars(
        select(Activity)
        .where(Activity.organisation_id == organisation.id)
        .order_by(Activity.name)
    ).all()


def list_organisations(
    session: Session,
    *,
    time_bank_id: int,
    issuers: bool = False,
    spend_partners: bool = False,
) -> Sequence[Organisation]:
    """Return a time bank's organisations by name, only issuers or partners if asked."""
    query = select(Organisation).where(Organisation.time_bank_id == time_bank_id)
    if issuers:
        query = query.where(Organisation.is_issuer)
    if spend_partners:
        query = query.where(Organisation.is_spend_partner)
    return session.scalars(query.order_by(Organisation.name)).all()
