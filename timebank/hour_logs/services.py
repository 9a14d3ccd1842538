"""Logging volunteered hours, approving or rejecting them, and listing them.

An approved hour log earns exactly its minutes, hour for hour, from the time
bank's issuance account or from the organisation's account, as the time bank
chooses. Maker-checker: nobody approves a log they logged or that credits them.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

import ledger
from ledger.accounts import is_whole_number
from timebank.audit.services import record_event
from timebank.banks.models import EarnSource
from timebank.banks.rules import (
    DAY_MINUTES,
    check_minutes,
    check_service_date,
    check_text,
)
from timebank.decisions import Decision, require_checker, require_pending
from timebank.errors import (
    NotAnIssuer,
    NotPermitted,
    UnknownHourLog,
    UnknownTimeBank,
)
from timebank.organisations.models import Organisation, OrganisationAdmin
from timebank.organisations.services import get_organisation, is_organisation_admin
from timebank.people.models import Membership, MembershipRole, Role, User
from timebank.people.services import (
    acts_for,
    get_paying_member,
    get_time_bank,
    membership_of,
    require_reason,
)

from .models import HourLog

# How many hour logs a page lists when not told, and the most it may list.
HOUR_LOGS_PAGE_SIZE = 50
MAX_HOUR_LOGS_PAGE_SIZE = 100


def log_hours(
    session: Session,
    *,
    actor: User,
    time_bank_id: int,
    member_id: int,
    organisation_id: int,
    description: str,
    minutes: int,
    service_date: date,
) -> HourLog:
    """Log a member's volunteering; the member does, or a broker for them."""
    bank = get_time_bank(session, time_bank_id)
    member = get_paying_member(session, time_bank_id=bank.id, member_id=member_id)
    acts_for(session, actor=actor, member=member, what="log their hours")
    organisation = get_organisation(
        session, time_bank_id=bank.id, organisation_id=organisation_id
    )
    if not organisation.is_issuer:
        raise NotAnIssuer(
            _(
                "%(name)s does not issue credits for volunteering.",
                name=organisation.name,
            )
        )
    minutes = check_minutes(bank, minutes, limit=DAY_MINUTES)
    service_date = check_service_date(bank, service_date)
    description = check_text(description, what="description")
    log = HourLog(
        time_bank_id=bank.id,
        membership_id=member.id,
        organisation_id=organisation.id,
        description=description,
        minutes=minutes,
        service_date=service_date,
        status=Decision.PENDING.value,
        logged_by_id=actor.id,
        logged_at=datetime.now(UTC),
    )
    session.add(log)
    session.flush()
    return log


def get_hour_log(session: Session, hour_log_id: int) -> HourLog:
    """Return the hour log hour_log_id."""
    log = session.get(HourLog, hour_log_id) if is_whole_number(hour_log_id) else None
    if log is None:
        raise UnknownHourLog(_("There is no hour log %(id)r.", id=hour_log_id))
    return log


def approve_hour_log(session: Session, *, actor: User, hour_log_id: int) -> HourLog:
    """Approve a pending hour log: it earns exactly its minutes."""
    log = get_hour_log(session, hour_log_id)
    member = session.get_one(Membership, log.membership_id)
    require_checker(
        actor.id, makers={log.logged_by_id, member.user_id}, what="hour log"
    )
    organisation = session.get_one(Organisation, log.organisation_id)
    _require_decider(session, actor=actor, log=log, organisation=organisation)
    require_pending(log.status, what="hour log")
    bank = get_time_bank(session, log.time_bank_id)
    conn = session.connection()
    if bank.earn_source == EarnSource.ORGANISATION:
        source_account_id = organisation.account_id
    else:
        source_account_id = ledger.get_book(conn, bank.book_id).issuance_account_id
    earn = ledger.transfer(
        conn,
        from_account_id=source_account_id,
        to_account_id=member.account_id,
        minutes=log.minutes,
        kind="earn",
        memo=log.description,
        created_by=log.logged_by_id,
        approved_by=actor.id,
        service_date=log.service_date,
        idempotency_key=f"hour-log-{log.id}",
    )
    log.status = Decision.APPROVED.value
    log.decided_by_id = actor.id
    log.decided_at = earn.recorded_at
    log.transaction_id = earn.id
    session.flush()
    record_event(
        session,
        time_bank_id=log.time_bank_id,
        actor_id=actor.id,
        action="hour_log_approved",
        subject_type="hour_log",
        subject_id=log.id,
        details={
            "minutes": log.minutes,
            "service_date": log.service_date.isoformat(),
            "logged_at": log.logged_at.isoformat(),
            "transaction_id": earn.id,
        },
    )
    return log


def reject_hour_log(
    session: Session, *, actor: User, hour_log_id: int, reason: str
) -> HourLog:
    """Reject a pending hour log, saying why; nothing is earned."""
    log = get_hour_log(session, hour_log_id)
    organisation = session.get_one(Organisation, log.organisation_id)
    _require_decider(session, actor=actor, log=log, organisation=organisation)
    require_pending(log.status, what="hour log")
    reason = require_reason(reason)
    log.status = Decision.REJECTED.value
    log.decided_by_id = actor.id
    log.decided_at = datetime.now(UTC)
    log.reason = reason
    session.flush()
    record_event(
        session,
        time_bank_id=log.time_bank_id,
        actor_id=actor.id,
        action="hour_log_rejected",
        subject_type="hour_log",
        subject_id=log.id,
        reason=reason,
        details={"minutes": log.minutes},
    )
    return log


def list_hour_logs(
    session: Session, *, time_bank_id: int, status: Decision | None = None
) -> Sequence[HourLog]:
    """Return a time bank's hour logs, oldest first, optionally of one status."""
    query = select(HourLog).where(HourLog.time_bank_id == time_bank_id)
    if status is not None:
        query = query.where(HourLog.status == status.value)
    return session.scalars(query.order_by(HourLog.id)).all()


def _require_decider(
    session: Session, *, actor: User, log: HourLog, organisation: Organisation
) -> None:
    """Allow a broker of the log's time bank, or an admin of its organisation."""
    membership = membership_of(session, user=actor, time_bank_id=log.time_bank_id)
    if membership is not None and membership.has_role(Role.BROKER):
        return
    if is_organisation_admin(session, user=actor, organisation=organisation):
        return
    raise NotPermitted(
        _(
            "Only a broker of this time bank, or an admin of %(name)s, may decide "
            "on this hour log.",
            name=organisation.name,
        )
    )


def get_hour_log_for(session: Session, *, actor: User, hour_log_id: int) -> HourLog:
    """Return an hour log of a time bank the actor belongs to.

    To someone outside its time bank, an hour log does not exist, as the
    time bank itself does not; who may decide on it is checked by deciding.
    """
    log = session.get(HourLog, hour_log_id) if is_whole_number(hour_log_id) else None
    if (
        log is None
        or membership_of(session, user=actor, time_bank_id=log.time_bank_id) is None
    ):
        raise UnknownHourLog(_("There is no hour log %(id)r.", id=hour_log_id))
    return log


@dataclass(frozen=True)
class VisibleHourLogs:
    """A page of hour logs, oldest first, and the id the next page starts after."""

    hour_logs: list[HourLog]
    next_after_id: int | None


def list_visible_hour_logs(
    session: Session,
    *,
    actor: User,
    time_bank_id: int | None = None,
    status: Decision | None = None,
    after_id: int | None = None,
    limit: int = HOUR_LOGS_PAGE_SIZE,
) -> VisibleHourLogs:
    """Return a page of the hour logs the actor may see, oldest first.

    A member sees their own; a broker every one of their time bank's; an
    organisation's admin those volunteered for it. time_bank_id keeps one
    time bank's, which the actor must belong to; after_id starts the page
    after that hour log.
    """
    memberships = select(Membership.id).where(Membership.user_id == actor.id)
    if time_bank_id is not None:
        if membership_of(session, user=actor, time_bank_id=time_bank_id) is None:
            raise UnknownTimeBank(_("There is no time bank %(id)r.", id=time_bank_id))
        memberships = memberships.where(Membership.time_bank_id == time_bank_id)
    brokered_banks = (
        select(Membership.time_bank_id)
        .join(MembershipRole, MembershipRole.membership_id == Membership.id)
        .where(Membership.id.in_(memberships), MembershipRole.role == Role.BROKER.value)
    )
    administered = select(OrganisationAdmin.organisation_id).where(
        OrganisationAdmin.membership_id.in_(memberships)
    )
    query = select(HourLog).where(
        or_(
            HourLog.membership_id.in_(memberships),
            HourLog.time_bank_id.in_(brokered_banks),
            HourLog.organisation_id.in_(administered),
        )
    )
    if status is not None:
        query = query.where(HourLog.status == status.value)
    if after_id is not None:
        query = query.where(HourLog.id > after_id)
    logs = list(session.scalars(query.order_by(HourLog.id).limit(limit + 1)))
    return VisibleHourLogs(
        hour_logs=logs[:limit],
        next_after_id=logs[limit - 1].id if len(logs) > limit else None,
    )
