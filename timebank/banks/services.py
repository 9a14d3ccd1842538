"""Opening a time bank, changing its settings, and what its admins read.

A time-bank admin enrols people and reads the audit trail. A broker or an
admin reads a member's page, to change the member's floor; an admin also
changes their roles and freezes their account there.
"""

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

import ledger
from ledger.accounts import is_whole_number
from timebank.audit.models import AuditEvent
from timebank.audit.services import list_events, record_event
from timebank.errors import AlreadyTaken, InvalidSetting, UnknownTimeBank
from timebank.organisations.models import Organisation, OrganisationAdmin
from timebank.organisations.services import list_organisations
from timebank.people.models import Membership, Role, User
from timebank.people.services import (
    STAFF,
    check_floor,
    enrol_member,
    find_user_by_email,
    get_member,
    get_time_bank,
    membership_of,
    normalise_email,
    open_membership,
    register_user,
    require_reason,
    require_role,
)

from .models import Approval, EarnSource, TimeBank
from .rules import MAX_NAME_LENGTH, check_text

SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
MAX_BACKDATING_DAYS = 366
# An approval threshold beyond a day's service would never be reached.
MAX_THRESHOLD_MINUTES = 100 * 60

SETTINGS = (
    "default_member_floor_minutes",
    "exchange_approval",
    "exchange_approval_above_minutes",
    "gift_approval",
    "gift_approval_above_minutes",
    "backdating_days",
    "earn_source",
)


def open_time_bank(
    session: Session,
    *,
    founder: User,
    name: str,
    slug: str,
    granularity_minutes: int = ledger.accounts.DEFAULT_GRANULARITY_MINUTES,
    default_member_floor_minutes: int = 0,
    exchange_approval: str = Approval.ALWAYS,
    exchange_approval_above_minutes: int = 0,
    gift_approval: str = Approval.NEVER,
    gift_approval_above_minutes: int = 0,
    backdating_days: int = 30,
    earn_source: str = EarnSource.ISSUANCE,
) -> TimeBank:
    """Open a time bank with its book and pool; the founder becomes its admin."""
    name = check_text(name, what="name", longest=MAX_NAME_LENGTH)
    if not isinstance(slug, str) or not SLUG.fullmatch(slug):
        raise InvalidSetting(
            _("A slug is 1 to 64 lower-case letters, digits and inner hyphens.")
        )
    if session.scalars(select(TimeBank.id).where(TimeBank.slug == slug)).first():
        raise AlreadyTaken(_("The slug %(slug)r is taken.", slug=slug))
    settings = _check_settings(
        default_member_floor_minutes=default_member_floor_minutes,
        exchange_approval=exchange_approval,
        exchange_approval_above_minutes=exchange_approval_above_minutes,
        gift_approval=gift_approval,
        gift_approval_above_minutes=gift_approval_above_minutes,
        backdating_days=backdating_days,
        earn_source=earn_source,
    )
    conn = session.connection()
    book = ledger.open_book(conn, name=name, granularity_minutes=granularity_minutes)
    pool = ledger.open_account(
        conn, book_id=book.id, kind="pool", owner="pool", floor_minutes=0
    )
    bank = TimeBank(
        name=name,
        slug=slug,
        book_id=book.id,
        pool_account_id=pool.id,
        granularity_minutes=book.granularity_minutes,
        created_at=datetime.now(UTC),
        **settings,
    )
    session.add(bank)
    session.flush()
    founder_membership = open_membership(
        session, bank=bank, user=founder, roles=[Role.TIME_BANK_ADMIN]
    )
    record_event(
        session,
        time_bank_id=bank.id,
        actor_id=founder.id,
        action="role_granted",
        subject_type="membership",
        subject_id=founder_membership.id,
        reason="Founded the time bank",
        details={"role": Role.TIME_BANK_ADMIN.value},
    )
    return bank


def change_settings(
    session: Session,
    *,
    actor: User,
    time_bank_id: int,
    reason: str,
    **changes: Any,
) -> TimeBank:
    """Change some of a time bank's settings; a time-bank admin does.

    The granularity is fixed when the book opens and is not among them. A new
    default floor applies to members who join afterwards.
    """
    bank = get_time_bank(session, time_bank_id)
    require_role(
        session, actor=actor, time_bank_id=bank.id, roles=[Role.TIME_BANK_ADMIN]
    )
    unknown = sorted(set(changes) - set(SETTINGS))
    if unknown:
        raise InvalidSetting(
            _(
                "%(names)s is not a setting one may change.",
                names=", ".join(unknown),
            )
        )
    reason = require_reason(reason)
    before = {key: getattr(bank, key) for key in SETTINGS}
    settings = _check_settings(**{**before, **changes})
    for key, value in settings.items():
        setattr(bank, key, value)
    session.flush()
    changed = {
        key: {"before": before[key], "after": settings[key]}
        for key in SETTINGS
        if before[key] != settings[key]
    }
    action = (
        "floor_changed"
        if set(changed) == {"default_member_floor_minutes"}
        else "settings_changed"
    )
    record_event(
        session,
        time_bank_id=bank.id,
        actor_id=actor.id,
        action=action,
        subject_type="time_bank",
        subject_id=bank.id,
        reason=reason,
        details=changed,
    )
    return bank


def _check_settings(
    *,
    default_member_floor_minutes: int,
    exchange_approval: str,
    exchange_approval_above_minutes: int,
    gift_approval: str,
    gift_approval_above_minutes: int,
    backdating_days: int,
    earn_source: str,
) -> dict[str, Any]:
    choices = [a.value for a in Approval]
    for value, refusal in (
        (
            exchange_approval,
            lazy_gettext("The exchange approval is one of %(choices)s, not %(value)r."),
        ),
        (
            gift_approval,
            lazy_gettext("The gift approval is one of %(choices)s, not %(value)r."),
        ),
    ):
        if value not in choices:
            raise InvalidSetting(
                refusal % {"choices": ", ".join(choices), "value": value}
            )
    for threshold, refusal in (
        (
            exchange_approval_above_minutes,
            lazy_gettext(
                "The exchange approval threshold is 0 to %(most)s minutes, "
                "not %(value)r."
            ),
        ),
        (
            gift_approval_above_minutes,
            lazy_gettext(
                "The gift approval threshold is 0 to %(most)s minutes, not %(value)r."
            ),
        ),
    ):
        if (
            not is_whole_number(threshold)
            or not 0 <= threshold <= MAX_THRESHOLD_MINUTES
        ):
            raise InvalidSetting(
                refusal % {"most": MAX_THRESHOLD_MINUTES, "value": threshold}
            )
    if (
        not is_whole_number(backdating_days)
        or not 0 <= backdating_days <= MAX_BACKDATING_DAYS
    ):
        raise InvalidSetting(
            _(
                "The back-dating window is 0 to %(most)s days, not %(days)r.",
                most=MAX_BACKDATING_DAYS,
                days=backdating_days,
            )
        )
    sources = [s.value for s in EarnSource]
    if earn_source not in sources:
        raise InvalidSetting(
            _(
                "Earned credits come from one of %(sources)s, not %(source)r.",
                sources=", ".join(sources),
                source=earn_source,
            )
        )
    return {
        "default_member_floor_minutes": check_floor(default_member_floor_minutes),
        "exchange_approval": str(exchange_approval),
        "exchange_approval_above_minutes": exchange_approval_above_minutes,
        "gift_approval": str(gift_approval),
        "gift_approval_above_minutes": gift_approval_above_minutes,
        "backdating_days": backdating_days,
        "earn_source": str(earn_source),
    }


def enter_time_bank(
    session: Session, *, actor: User, slug: str
) -> tuple[TimeBank, Membership]:
    """Return the time bank at slug and the actor's membership of it.

    To someone outside it, a time bank does not exist: they are told there is
    no such time bank, whether there is or not.
    """
    bank = session.scalars(select(TimeBank).where(TimeBank.slug == slug)).first()
    membership = (
        None
        if bank is None
        else membership_of(session, user=actor, time_bank_id=bank.id)
    )
    if bank is None or membership is None:
        raise UnknownTimeBank(_("There is no time bank %(slug)r.", slug=slug))
    return bank, membership


def list_time_banks_of(session: Session, *, user: User) -> list[TimeBank]:
    """Return the time banks the user belongs to, by name."""
    return list(
        session.scalars(
            select(TimeBank)
            .join(Membership, Membership.time_bank_id == TimeBank.id)
            .where(Membership.user_id == user.id)
            .order_by(TimeBank.name, TimeBank.id)
        )
    )


def require_time_bank_admin(
    session: Session, *, actor: User, time_bank_id: int
) -> Membership:
    """Return the actor's membership if they are an admin of this time bank."""
    return require_role(
        session, actor=actor, time_bank_id=time_bank_id, roles=[Role.TIME_BANK_ADMIN]
    )


@dataclass(frozen=True)
class AuditLine:
    """One event of the audit trail in words: who, when, what, why."""

    at: datetime
    actor: str
    what: str
    reason: str | None
    details: dict[str, Any]


# Each recorded action as one whole sentence, so that Welsh can order its
# words: one done to someone (a member, the time bank) names them ...
DONE_TO_SOMEONE = {
    "account_frozen": lazy_gettext("Froze the account of %(name)s"),
    "account_unfrozen": lazy_gettext("Unfroze the account of %(name)s"),
    "floor_changed": lazy_gettext("Changed the floor of %(name)s"),
    "member_enrolled": lazy_gettext("Enrolled %(name)s"),
    "member_erased": lazy_gettext("Erased the personal details of %(name)s"),
    "password_reset": lazy_gettext("Reset the password of %(name)s"),
    "role_granted": lazy_gettext("Granted a role to %(name)s"),
    "role_revoked": lazy_gettext("Took a role from %(name)s"),
    "settings_changed": lazy_gettext("Changed the settings of %(name)s"),
}
# ... and one done to a record gives its number.
DONE_TO_A_RECORD = {
    "entry_reversed": lazy_gettext("Reversed entry %(number)s"),
    "exchange_approved": lazy_gettext("Approved exchange %(number)s"),
    "exchange_rejected": lazy_gettext("Rejected exchange %(number)s"),
    "gift_approved": lazy_gettext("Approved gift %(number)s"),
    "gift_rejected": lazy_gettext("Rejected gift %(number)s"),
    "hour_log_approved": lazy_gettext("Approved hour log %(number)s"),
    "hour_log_rejected": lazy_gettext("Rejected hour log %(number)s"),
}
# The most events the audit page shows, newest first.
AUDIT_LINES = 100


@dataclass(frozen=True)
class MemberDetails:
    """What a member's page shows an admin or a broker of their time bank."""

    membership: Membership
    user: User
    account: ledger.Account
    administers: list[Organisation]
    organisations: Sequence[Organisation]
    history: list[AuditLine]
    # The viewer is this member: nobody changes their own roles, floor or account.
    is_viewer: bool
    # The viewer may change roles, freeze the account, appoint organisation admins.
    may_manage: bool


def member_details(
    session: Session, *, actor: User, time_bank_id: int, member_id: int
) -> MemberDetails:
    """Return a member's roles, account and history; an admin or a broker reads."""
    viewer = require_role(session, actor=actor, time_bank_id=time_bank_id, roles=STAFF)
    membership = get_member(session, time_bank_id=time_bank_id, member_id=member_id)
    events = list_events(
        session,
        time_bank_id=time_bank_id,
        subject_type="membership",
        subject_id=membership.id,
        limit=20,
    )
    return MemberDetails(
        membership=membership,
        user=session.get_one(User, membership.user_id),
        account=ledger.get_account(session.connection(), membership.account_id),
        administers=list(
            session.scalars(
                select(Organisation)
                .join(
                    OrganisationAdmin,
                    OrganisationAdmin.organisation_id == Organisation.id,
                )
                .where(OrganisationAdmin.membership_id == membership.id)
                .order_by(Organisation.name)
            )
        ),
        organisations=list_organisations(session, time_bank_id=time_bank_id),
        history=describe_events(session, events),
        is_viewer=membership.id == viewer.id,
        may_manage=viewer.has_role(Role.TIME_BANK_ADMIN),
    )


def audit_trail(
    session: Session, *, actor: User, time_bank_id: int, limit: int = AUDIT_LINES
) -> list[AuditLine]:
    """Return the latest events of a time bank's audit trail; its admins read it."""
    require_time_bank_admin(session, actor=actor, time_bank_id=time_bank_id)
    return describe_events(
        session, list_events(session, time_bank_id=time_bank_id, limit=limit)
    )


def describe_events(session: Session, events: Sequence[AuditEvent]) -> list[AuditLine]:
    """Return audit events in words, with the people and the time bank named."""
    people = _names(
        session,
        select(User.id, User.display_name).where(
            User.id.in_({event.actor_id for event in events})
        ),
    )
    subjects = {
        kind: {event.subject_id for event in events if event.subject_type == kind}
        for kind in ("membership", "time_bank")
    }
    members = _names(
        session,
        select(Membership.id, User.display_name)
        .join(User, User.id == Membership.user_id)
        .where(Membership.id.in_(subjects["membership"])),
    )
    banks = _names(
        session,
        select(TimeBank.id, TimeBank.name).where(
            TimeBank.id.in_(subjects["time_bank"])
        ),
    )

    def what(event: AuditEvent) -> str:
        if event.action in DONE_TO_A_RECORD:
            return str(DONE_TO_A_RECORD[event.action] % {"number": event.subject_id})
        if event.subject_type == "membership":
            name = members.get(event.subject_id, f"member {event.subject_id}")
        elif event.subject_type == "time_bank":
            name = banks.get(event.subject_id, "the time bank")
        else:
            name = f"{event.subject_type.replace('_', ' ')} {event.subject_id}"
        sentence = DONE_TO_SOMEONE.get(event.action)
        if sentence is None:
            return f"{event.action.replace('_', ' ').capitalize()} {name}"
        return str(sentence % {"name": name})

    return [
        AuditLine(
            at=event.at,
            actor=people.get(event.actor_id, f"user {event.actor_id}"),
            what=what(event),
            reason=event.reason,
            details=json.loads(event.details),
        )
        for event in events
    ]


def _names(session: Session, query: Select[int, str]) -> dict[int, str]:
    """Return the names a query of (id, name) rows finds, by id."""
    return {key: name for key, name in session.execute(query)}


@dataclass(frozen=True)
class Enrolment:
    """A member just enrolled, and whether their user was registered for it."""

    membership: Membership
    user: User
    registered: bool


def enrol_person(
    session: Session,
    *,
    actor: User,
    time_bank_id: int,
    name: str,
    email: str,
    password: str,
) -> Enrolment:
    """Enrol the user with this email, registering them first if there is none.

    A time-bank admin does it. Someone who already has a login keeps their
    name and password: they are enrolled as they are.
    """
    require_time_bank_admin(session, actor=actor, time_bank_id=time_bank_id)
    user = find_user_by_email(session, email=normalise_email(email))
    registered = user is None
    if user is None:
        user = register_user(session, email=email, name=name, password=password)
    membership = enrol_member(
        session, actor=actor, time_bank_id=time_bank_id, user_id=user.id
    )
    return Enrolment(membership=membership, user=user, registered=registered)
