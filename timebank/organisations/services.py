"""Registering organisations, appointing their admins, listing their activities.

Every member sees who issues and who accepts credits, and what each spend
partner offers. An organisation's own page (its account, its volunteers and
their hours) is for its admins and for the time bank's brokers and admins.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask_babel import gettext as _
from sqlalchemy import extract, func, select
from sqlalchemy.orm import Session

import ledger
from ledger.accounts import is_whole_number
from timebank.audit.services import record_event
from timebank.banks.rules import (
    DAY_MINUTES,
    MAX_NAME_LENGTH,
    check_minutes,
    check_text,
    today,
)
from timebank.decisions import Decision
from timebank.errors import (
    AlreadyTaken,
    InvalidSetting,
    NotPermitted,
    UnknownActivity,
    UnknownOrganisation,
    UnknownTimeBank,
)
from timebank.hour_logs.models import HourLog
from timebank.people.models import Membership, Role, User
from timebank.people.services import (
    check_floor,
    get_member,
    get_time_bank,
    membership_of,
    require_reason,
    require_role,
)
from timebank.periods import months_ending

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
    name = check_text(name, what="name", longest=MAX_NAME_LENGTH)
    if not isinstance(is_issuer, bool) or not isinstance(is_spend_partner, bool):
        raise InvalidSetting(_("Whether it issues or accepts credits is yes or no."))
    if not (is_issuer or is_spend_partner):
        raise InvalidSetting(
            _(
                "An organisation issues credits, accepts them as a spend partner, or "
                "both."
            )
        )
    if floor_minutes is not None:
        check_floor(floor_minutes)
    taken = session.scalars(
        select(Organisation.id).where(
            Organisation.time_bank_id == bank.id, Organisation.name == name
        )
    ).first()
    if taken is not None:
        raise AlreadyTaken(
            _("This time bank already has an organisation %(name)r.", name=name)
        )
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
            _(
                "There is no organisation %(id)r in this time bank.",
                id=organisation_id,
            )
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
    organisation = open_activity_list(
        session,
        actor=actor,
        time_bank_id=time_bank_id,
        organisation_id=organisation_id,
    )
    if not organisation.is_spend_partner:
        raise InvalidSetting(
            _(
                "%(name)s is not a spend partner: it offers no activities.",
                name=organisation.name,
            )
        )
    name = check_text(name, what="name", longest=MAX_NAME_LENGTH)
    bank = get_time_bank(session, time_bank_id)
    price_minutes = check_minutes(bank, price_minutes, limit=DAY_MINUTES)
    taken = session.scalars(
        select(Activity.id).where(
            Activity.organisation_id == organisation.id, Activity.name == name
        )
    ).first()
    if taken is not None:
        raise AlreadyTaken(
            _(
                "%(organisation)s already offers %(activity)r.",
                organisation=organisation.name,
                activity=name,
            )
        )
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
    raise UnknownActivity(
        _("There is no activity %(id)r in this time bank.", id=activity_id)
    )


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


def may_keep_activities(
    session: Session, *, user: User, organisation: Organisation
) -> bool:
    """Tell whether user may add activities: an admin of it or of its time bank."""
    if is_organisation_admin(session, user=user, organisation=organisation):
        return True
    membership = membership_of(
        session, user=user, time_bank_id=organisation.time_bank_id
    )
    return membership is not None and membership.has_role(Role.TIME_BANK_ADMIN)


def open_activity_list(
    session: Session, *, actor: User, time_bank_id: int, organisation_id: int
) -> Organisation:
    """Return an organisation of this bank whose activities the actor may add to."""
    organisation = get_organisation(
        session, time_bank_id=time_bank_id, organisation_id=organisation_id
    )
    if not may_keep_activities(session, user=actor, organisation=organisation):
        raise NotPermitted(
            _(
                "Only an admin of %(name)s, or of this time bank, may add to its "
                "activities.",
                name=organisation.name,
            )
        )
    return organisation


def may_open_organisation(
    session: Session, *, user: User, organisation: Organisation
) -> bool:
    """Tell whether user may see an organisation's account and volunteers.

    Its admins may, and the brokers and admins of its time bank.
    """
    membership = membership_of(
        session, user=user, time_bank_id=organisation.time_bank_id
    )
    if membership is None:
        return False
    if membership.roles & {Role.BROKER, Role.TIME_BANK_ADMIN}:
        return True
    return session.get(OrganisationAdmin, (organisation.id, membership.id)) is not None


def may_read_statement(
    session: Session, *, user: User, organisation: Organisation
) -> bool:
    """Tell whether user may read an organisation's statement, which names volunteers.

    Its admins may, and the brokers of its time bank.
    """
    membership = membership_of(
        session, user=user, time_bank_id=organisation.time_bank_id
    )
    if membership is None:
        return False
    if membership.has_role(Role.BROKER):
        return True
    return session.get(OrganisationAdmin, (organisation.id, membership.id)) is not None


def open_organisation(
    session: Session, *, actor: User, time_bank_id: int, organisation_id: int
) -> Organisation:
    """Return an organisation of this time bank whose own page the actor may see."""
    organisation = get_organisation(
        session, time_bank_id=time_bank_id, organisation_id=organisation_id
    )
    if not may_open_organisation(session, user=actor, organisation=organisation):
        raise NotPermitted(
            _(
                "Only an admin of %(name)s, or a broker or admin of this time bank, "
                "may see its account and volunteers.",
                name=organisation.name,
            )
        )
    return organisation


@dataclass(frozen=True)
class DirectoryEntry:
    """An organisation as every member sees it, with what it offers."""

    organisation: Organisation
    activities: list[Activity]
    # Whether the viewer may open its own page.
    may_open: bool


def organisation_directory(
    session: Session, *, actor: User, time_bank_id: int
) -> list[DirectoryEntry]:
    """Return a time bank's organisations by name, with each partner's activities."""
    membership = membership_of(session, user=actor, time_bank_id=time_bank_id)
    if membership is None:
        raise NotPermitted(
            _("Only a member of this time bank may see its organisations.")
        )
    organisations = list_organisations(session, time_bank_id=time_bank_id)
    ids = [organisation.id for organisation in organisations]
    activities: dict[int, list[Activity]] = {}
    for activity in session.scalars(
        select(Activity)
        .where(Activity.organisation_id.in_(ids))
        .order_by(Activity.name, Activity.id)
    ):
        activities.setdefault(activity.organisation_id, []).append(activity)
    sees_all = bool(membership.roles & {Role.BROKER, Role.TIME_BANK_ADMIN})
    administered = set(
        session.scalars(
            select(OrganisationAdmin.organisation_id).where(
                OrganisationAdmin.membership_id == membership.id
            )
        )
    )
    return [
        DirectoryEntry(
            organisation=organisation,
            activities=activities.get(organisation.id, []),
            may_open=sees_all or organisation.id in administered,
        )
        for organisation in organisations
    ]


# The months of approved hours an organisation's page shows.
HOURS_MONTHS = 12


@dataclass(frozen=True)
class Volunteer:
    """A member who volunteered for an organisation, and their approved time."""

    member_id: int
    name: str
    approved_minutes: int
    approved_logs: int


@dataclass(frozen=True)
class MonthOfHours:
    """The minutes of volunteering approved in a month, by service date."""

    first_day: date
    approved_minutes: int


@dataclass(frozen=True)
class OrganisationOverview:
    """What an organisation's own page shows to its admins and the bank's staff."""

    organisation: Organisation
    account: ledger.Account
    admin_names: list[str]
    volunteers: list[Volunteer]
    months: list[MonthOfHours]
    activities: Sequence[Activity]
    pending_hour_logs: int
    may_keep_activities: bool
    may_read_statement: bool


def organisation_overview(
    session: Session,
    *,
    actor: User,
    time_bank_id: int,
    organisation_id: int,
    on: date | None = None,
) -> OrganisationOverview:
    """Return an organisation's account, volunteers, hours and activities.

    Only approved hour logs count as volunteering; pending ones are counted
    apart, as the work waiting for a decision.
    """
    organisation = open_organisation(
        session,
        actor=actor,
        time_bank_id=time_bank_id,
        organisation_id=organisation_id,
    )
    pending = session.scalar(
        select(func.count()).where(
            HourLog.organisation_id == organisation.id,
            HourLog.status == Decision.PENDING.value,
        )
    )
    return OrganisationOverview(
        organisation=organisation,
        account=ledger.get_account(session.connection(), organisation.account_id),
        admin_names=list(
            session.scalars(
                select(User.display_name)
                .join(Membership, Membership.user_id == User.id)
                .join(
                    OrganisationAdmin, OrganisationAdmin.membership_id == Membership.id
                )
                .where(OrganisationAdmin.organisation_id == organisation.id)
                .order_by(User.display_name)
            )
        ),
        volunteers=_volunteers(session, organisation),
        months=_approved_by_month(
            session, organisation, on=today() if on is None else on
        ),
        activities=list_activities(
            session, time_bank_id=time_bank_id, organisation_id=organisation.id
        ),
        pending_hour_logs=pending or 0,
        may_keep_activities=may_keep_activities(
            session, user=actor, organisation=organisation
        ),
        may_read_statement=may_read_statement(
            session, user=actor, organisation=organisation
        ),
    )


def _volunteers(session: Session, organisation: Organisation) -> list[Volunteer]:
    """Return who volunteered for organisation, the most approved time first."""
    minutes = func.sum(HourLog.minutes)
    rows = session.execute(
        select(Membership.id, User.display_name, minutes, func.count(HourLog.id))
        .join(Membership, Membership.id == HourLog.membership_id)
        .join(User, User.id == Membership.user_id)
        .where(
            HourLog.organisation_id == organisation.id,
            HourLog.status == Decision.APPROVED.value,
        )
        .group_by(Membership.id, User.display_name)
        .order_by(minutes.desc(), User.display_name, Membership.id)
    )
    return [Volunteer(*row) for row in rows]


def _approved_by_month(
    session: Session, organisation: Organisation, *, on: date
) -> list[MonthOfHours]:
    """Return the minutes approved in each of the months ending with on's."""
    months = months_ending(on, HOURS_MONTHS)
    year = extract("year", HourLog.service_date)
    month = extract("month", HourLog.service_date)
    rows = session.execute(
        select(year, month, func.sum(HourLog.minutes))
        .where(
            HourLog.organisation_id == organisation.id,
            HourLog.status == Decision.APPROVED.value,
            HourLog.service_date >= months[0],
        )
        .group_by(year, month)
    )
    totals = {(int(y), int(m)): int(minutes) for y, m, minutes in rows}
    return [
        MonthOfHours(first, totals.get((first.year, first.month), 0))
        for first in months
    ]


def enter_organisation(
    session: Session, *, actor: User, organisation_id: int
) -> tuple[Organisation, Membership]:
    """Return an organisation and the actor's membership of its time bank.

    To someone outside its time bank, an organisation does not exist, as
    the time bank itself does not.
    """
    organisation = (
        session.get(Organisation, organisation_id)
        if is_whole_number(organisation_id)
        else None
    )
    membership = (
        None
        if organisation is None
        else membership_of(session, user=actor, time_bank_id=organisation.time_bank_id)
    )
    if organisation is None or membership is None:
        raise UnknownOrganisation(
            _("There is no organisation %(id)r.", id=organisation_id)
        )
    return organisation, membership


def list_organisations_of(
    session: Session, *, actor: User, time_bank_id: int | None = None
) -> Sequence[Organisation]:
    """Return the organisations of the time banks the actor belongs to.

    time_bank_id keeps one time bank's, which the actor must belong to. They
    come by time bank, then by name.
    """
    banks = select(Membership.time_bank_id).where(Membership.user_id == actor.id)
    if time_bank_id is not None:
        if membership_of(session, user=actor, time_bank_id=time_bank_id) is None:
            raise UnknownTimeBank(_("There is no time bank %(id)r.", id=time_bank_id))
        banks = banks.where(Membership.time_bank_id == time_bank_id)
    return session.scalars(
        select(Organisation)
        .where(Organisation.time_bank_id.in_(banks))
        .order_by(Organisation.time_bank_id, Organisation.name, Organisation.id)
    ).all()


def organisation_activities(
    session: Session, *, actor: User, organisation_id: int
) -> Sequence[Activity]:
    """Return what an organisation offers, by name, to a member of its time bank."""
    organisation, _ = enter_organisation(
        session, actor=actor, organisation_id=organisation_id
    )
    return list_activities(
        session,
        time_bank_id=organisation.time_bank_id,
        organisation_id=organisation.id,
    )
