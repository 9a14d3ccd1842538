"""Users, memberships and roles: registering, listing, enrolling, granting, checking.

Permissions are checked here, for every service that acts for someone: the
actor's roles are those they hold in the time bank concerned, never another.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

import ledger
from ledger.accounts import is_whole_number
from timebank.audit.services import record_event
from timebank.banks.models import TimeBank
from timebank.banks.rules import (
    GIFT_LIMIT_MINUTES,
    MAX_NAME_LENGTH,
    check_text,
    is_storable_text,
)
from timebank.errors import (
    AdminOfAnotherTimeBank,
    AlreadyErased,
    AlreadyTaken,
    InvalidEmail,
    InvalidSetting,
    MakerChecker,
    NotAMember,
    NotPermitted,
    ReasonRequired,
    UnknownMember,
    UnknownTimeBank,
    UnknownUser,
    WeakPassword,
)
from timebank.idempotency.models import IdempotencyKey
from timebank.tokens.models import ApiToken

from .models import Membership, MembershipRole, Role, User

# Argon2id with the library's defaults; tests swap in a cheaper one.
password_hasher = PasswordHasher()

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1000
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# The lowest floor a member may be given: an overdraft of 100 hours.
LOWEST_FLOOR_MINUTES = -GIFT_LIMIT_MINUTES
# Who looks after a time bank's members: finds them, enrols them, resets their
# passwords and changes their floors.
STAFF = (Role.BROKER, Role.TIME_BANK_ADMIN)
# The most members one page lists: a broker knows their ~40 members, and in a
# bank of thousands a longer list is no help; a narrower search is.
MEMBERS_SHOWN = 50
# Each set of roles a service asks for, and the sentence that refuses anyone else.
ONLY_ROLES = {
    frozenset([Role.BROKER]): lazy_gettext(
        "Only a broker of this time bank may do this."
    ),
    frozenset([Role.TIME_BANK_ADMIN]): lazy_gettext(
        "Only a time bank admin of this time bank may do this."
    ),
    frozenset(STAFF): lazy_gettext(
        "Only a broker or time bank admin of this time bank may do this."
    ),
}
# What a broker may do for a member, and the sentence that refuses anyone else.
ActingFor = Literal[
    "give their credits",
    "log their hours",
    "spend their credits",
    "pay from their account",
]
ONLY_FOR_THEM = {
    "give their credits": lazy_gettext(
        "Only the member, or a broker of their time bank, may give their credits."
    ),
    "log their hours": lazy_gettext(
        "Only the member, or a broker of their time bank, may log their hours."
    ),
    "spend their credits": lazy_gettext(
        "Only the member, or a broker of their time bank, may spend their credits."
    ),
    "pay from their account": lazy_gettext(
        "Only the member, or a broker of their time bank, may pay from their account."
    ),
}


def register_user(session: Session, *, email: str, name: str, password: str) -> User:
    """Register a user with a unique, lower-case email and a hashed password."""
    email = normalise_email(email)
    name = check_text(name, what="name", longest=MAX_NAME_LENGTH)
    check_new_password(password)
    if find_user_by_email(session, email=email) is not None:
        raise AlreadyTaken(
            _("There is already a user with the email %(email)s.", email=email)
        )
    user = User(
        email=email,
        name=name,
        password_hash=password_hasher.hash(password),
        created_at=datetime.now(UTC),
    )
    session.add(user)
    session.flush()
    return user


def normalise_email(email: object) -> str:
    """Return email stripped and in lower case, if it looks like an address."""
    if not isinstance(email, str) or len(email.strip()) > 254:
        raise InvalidEmail(_("An email address has at most 254 characters."))
    email = email.strip().lower()
    if not EMAIL.fullmatch(email) or not is_storable_text(email):
        raise InvalidEmail(_("%(email)r is not an email address.", email=email))
    return email


def find_user_by_email(session: Session, *, email: str) -> User | None:
    """Return the user with email, whatever its case, or None."""
    if len(email) > 254 or not is_storable_text(email):
        return None
    return session.scalars(
        select(User).where(User.email == email.strip().lower())
    ).first()


def check_password(user: User, password: str) -> bool:
    """Tell whether password is the user's.

    Text with half a surrogate pair has no UTF-8 bytes to hash, so it is
    nobody's password.
    """
    try:
        return password_hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError, UnicodeEncodeError):
        return False


# Checked against when the email is unknown, so that it takes as long as a
# known one: a hash made with the same Argon2 parameters as a user's.
_NOBODY = User(
    password_hash="$argon2id$v=19$m=65536,t=3,p=4$fQP7lAuZafIIh7pDZeWybw$R5Nry4R0loaUD2ATG++rnIORa3uAFqNxTx9gNFEyCA0"  # noqa: E501
)


def authenticate(session: Session, *, email: str, password: str) -> User | None:
    """Return the user with this email and password, or None.

    An unknown email costs as much time as a wrong password, so that the
    time taken does not tell whether an email is registered.
    """
    user = find_user_by_email(session, email=email) if isinstance(email, str) else None
    if user is None or not user.is_active:
        check_password(_NOBODY, password)
        return None
    return user if check_password(user, password) else None


def reset_password(
    session: Session, *, actor: User, time_bank_id: int, member_id: int, password: str
) -> User:
    """Give a member a new password; a broker or admin of their time bank does.

    Nobody resets their own password this way; a new password signs the
    member out everywhere.
    """
    membership, user = get_member_for_staff(
        session, actor=actor, time_bank_id=time_bank_id, member_id=member_id
    )
    if membership.user_id == actor.id:
        raise MakerChecker(_("You cannot reset your own password here."))
    user.password_hash = password_hasher.hash(check_new_password(password))
    session.flush()
    record_event(
        session,
        time_bank_id=time_bank_id,
        actor_id=actor.id,
        action="password_reset",
        subject_type="membership",
        subject_id=membership.id,
    )
    return user


def check_new_password(password: object) -> str:
    """Return password if it is long enough, and not absurdly long."""
    if not isinstance(password, str) or not (
        MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH
    ):
        raise WeakPassword(
            _(
                "A password has %(fewest)s to %(most)s characters.",
                fewest=MIN_PASSWORD_LENGTH,
                most=MAX_PASSWORD_LENGTH,
            )
        )
    return password


def get_user(session: Session, user_id: int) -> User:
    """Return the user with user_id."""
    user = session.get(User, user_id) if is_whole_number(user_id) else None
    if user is None:
        raise UnknownUser(_("There is no user %(id)r.", id=user_id))
    return user


def get_time_bank(session: Session, time_bank_id: int) -> TimeBank:
    """Return the time bank with time_bank_id."""
    bank = (
        session.get(TimeBank, time_bank_id) if is_whole_number(time_bank_id) else None
    )
    if bank is None:
        raise UnknownTimeBank(_("There is no time bank %(id)r.", id=time_bank_id))
    return bank


def get_member(session: Session, *, time_bank_id: int, member_id: int) -> Membership:
    """Return the membership member_id of the time bank time_bank_id."""
    membership = (
        session.get(Membership, member_id) if is_whole_number(member_id) else None
    )
    if membership is None or membership.time_bank_id != time_bank_id:
        raise UnknownMember(
            _("There is no member %(id)r in this time bank.", id=member_id)
        )
    return membership


def get_member_for_staff(
    session: Session, *, actor: User, time_bank_id: int, member_id: int
) -> tuple[Membership, User]:
    """Return a member and their user, for a broker or admin of their time bank."""
    require_role(session, actor=actor, time_bank_id=time_bank_id, roles=STAFF)
    membership = get_member(session, time_bank_id=time_bank_id, member_id=member_id)
    return membership, session.get_one(User, membership.user_id)


def get_paying_member(
    session: Session, *, time_bank_id: int, member_id: int
) -> Membership:
    """Return a membership that holds the member role: one that earns and pays."""
    membership = get_member(session, time_bank_id=time_bank_id, member_id=member_id)
    if not membership.has_role(Role.MEMBER):
        raise NotAMember(
            _(
                "Member %(id)s is not a member of this time bank who earns and pays "
                "credits.",
                id=member_id,
            )
        )
    return membership


def list_members(
    session: Session,
    *,
    time_bank_id: int,
    search: str = "",
    role: Role | None = None,
    limit: int | None = None,
) -> list[tuple[Membership, User]]:
    """Return a time bank's members with their users, by name.

    search narrows them to names or emails containing it, in any case; role
    to those holding it.
    """
    query = (
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.time_bank_id == time_bank_id)
        .order_by(User.display_name, Membership.id)
        .limit(limit)
    )
    if search.strip():
        query = query.where(
            func.lower(User.name).contains(search.strip().lower(), autoescape=True)
            | User.email.contains(search.strip().lower(), autoescape=True)
        )
    if role is not None:
        query = query.where(
            Membership.id.in_(
                select(MembershipRole.membership_id).where(
                    MembershipRole.role == role.value
                )
            )
        )
    return [(membership, user) for membership, user in session.execute(query)]


@dataclass(frozen=True)
class MemberRow:
    """A member as the members' list shows them: who, their roles, their account."""

    membership: Membership
    name: str
    email: str
    account: ledger.Account


@dataclass(frozen=True)
class Roster:
    """Members by name, as many as one page shows, and whether more match."""

    rows: list[MemberRow]
    more: bool


def member_roster(
    session: Session,
    *,
    actor: User,
    time_bank_id: int,
    search: str = "",
    limit: int = MEMBERS_SHOWN,
) -> Roster:
    """Return the members whose name or email holds search, with their accounts.

    A broker or admin of the time bank reads it.
    """
    require_role(session, actor=actor, time_bank_id=time_bank_id, roles=STAFF)
    found = list_members(
        session, time_bank_id=time_bank_id, search=search, limit=limit + 1
    )
    conn = session.connection()
    return Roster(
        rows=[
            MemberRow(
                membership=membership,
                name=user.display_name,
                email="" if user.erased_at else user.email,
                account=ledger.get_account(conn, membership.account_id),
            )
            for membership, user in found[:limit]
        ],
        more=len(found) > limit,
    )


def membership_of(
    session: Session, *, user: User, time_bank_id: int
) -> Membership | None:
    """Return the user's membership of a time bank, or None."""
    return session.scalars(
        select(Membership).where(
            Membership.time_bank_id == time_bank_id, Membership.user_id == user.id
        )
    ).first()


def require_role(
    session: Session, *, actor: User, time_bank_id: int, roles: Iterable[Role]
) -> Membership:
    """Return the actor's membership if it holds one of roles in this time bank."""
    wanted = frozenset(roles)
    membership = membership_of(session, user=actor, time_bank_id=time_bank_id)
    if membership is None or not membership.roles & wanted:
        raise NotPermitted(str(ONLY_ROLES[wanted]))
    return membership


def acts_for(
    session: Session, *, actor: User, member: Membership, what: ActingFor
) -> None:
    """Allow the member themselves, or a broker of their time bank, to act."""
    if member.user_id == actor.id:
        return
    try:
        require_role(
            session, actor=actor, time_bank_id=member.time_bank_id, roles=[Role.BROKER]
        )
    except NotPermitted:
        raise NotPermitted(str(ONLY_FOR_THEM[what])) from None


def open_membership(
    session: Session, *, bank: TimeBank, user: User, roles: Iterable[Role]
) -> Membership:
    """Add a user to a time bank with roles; their account opens with it."""
    if membership_of(session, user=user, time_bank_id=bank.id) is not None:
        raise AlreadyTaken(_("%(name)s is already in this time bank.", name=user.name))
    account = ledger.open_account(
        session.connection(),
        book_id=bank.book_id,
        kind="member",
        owner=f"user:{user.id}",
        floor_minutes=bank.default_member_floor_minutes,
    )
    membership = Membership(
        time_bank_id=bank.id,
        user_id=user.id,
        account_id=account.id,
        joined_at=datetime.now(UTC),
        role_rows=[MembershipRole(role=role.value) for role in sorted(set(roles))],
    )
    session.add(membership)
    session.flush()
    return membership


def enrol_member(
    session: Session, *, actor: User, time_bank_id: int, user_id: int
) -> Membership:
    """Enrol a user as a member of a time bank (a broker or admin does)."""
    bank = get_time_bank(session, time_bank_id)
    require_role(session, actor=actor, time_bank_id=bank.id, roles=STAFF)
    user = get_user(session, user_id)
    membership = open_membership(session, bank=bank, user=user, roles=[Role.MEMBER])
    record_event(
        session,
        time_bank_id=bank.id,
        actor_id=actor.id,
        action="member_enrolled",
        subject_type="membership",
        subject_id=membership.id,
        details={"roles": [Role.MEMBER.value]},
    )
    return membership


def grant_role(
    session: Session,
    *,
    actor: User,
    time_bank_id: int,
    member_id: int,
    role: Role,
    reason: str,
) -> Membership:
    """Grant a member a role; a time-bank admin does, never to themselves."""
    return _change_role(
        session,
        actor=actor,
        time_bank_id=time_bank_id,
        member_id=member_id,
        role=role,
        reason=reason,
        grant=True,
    )


def revoke_role(
    session: Session,
    *,
    actor: User,
    time_bank_id: int,
    member_id: int,
    role: Role,
    reason: str,
) -> Membership:
    """Take a role from a member; a time-bank admin does, never from themselves."""
    return _change_role(
        session,
        actor=actor,
        time_bank_id=time_bank_id,
        member_id=member_id,
        role=role,
        reason=reason,
        grant=False,
    )


def _change_role(
    session: Session,
    *,
    actor: User,
    time_bank_id: int,
    member_id: int,
    role: Role,
    reason: str,
    grant: bool,
) -> Membership:
    require_role(
        session, actor=actor, time_bank_id=time_bank_id, roles=[Role.TIME_BANK_ADMIN]
    )
    membership = get_member(session, time_bank_id=time_bank_id, member_id=member_id)
    if membership.user_id == actor.id:
        raise MakerChecker(_("You cannot change your own roles."))
    try:
        role = Role(role)
    except ValueError:
        raise InvalidSetting(
            _(
                "%(role)r is not a role; use one of %(roles)s.",
                role=role,
                roles=", ".join(r.value for r in Role),
            )
        ) from None
    reason = require_reason(reason)
    before = sorted(membership.roles)
    if grant and role not in membership.roles:
        membership.role_rows.append(MembershipRole(role=role.value))
    elif not grant:
        membership.role_rows = [row for row in membership.role_rows if row.role != role]
    session.flush()
    record_event(
        session,
        time_bank_id=time_bank_id,
        actor_id=actor.id,
        action="role_granted" if grant else "role_revoked",
        subject_type="membership",
        subject_id=membership.id,
        reason=reason,
        details={
            "role": role.value,
            "before": [r.value for r in before],
            "after": sorted(r.value for r in membership.roles),
        },
    )
    return membership


def set_member_floor(
    session: Session,
    *,
    actor: User,
    time_bank_id: int,
    member_id: int,
    floor_minutes: int,
    reason: str,
) -> ledger.Account:
    """Change how far a member's balance may fall; a broker or admin does."""
    require_role(session, actor=actor, time_bank_id=time_bank_id, roles=STAFF)
    membership = get_member(session, time_bank_id=time_bank_id, member_id=member_id)
    if membership.user_id == actor.id:
        raise MakerChecker(_("You cannot change your own floor."))
    check_floor(floor_minutes)
    reason = require_reason(reason)
    conn = session.connection()
    before = ledger.get_account(conn, membership.account_id).floor_minutes
    account = ledger.set_floor(conn, membership.account_id, floor_minutes)
    record_event(
        session,
        time_bank_id=time_bank_id,
        actor_id=actor.id,
        action="floor_changed",
        subject_type="membership",
        subject_id=membership.id,
        reason=reason,
        details={"before": before, "after": floor_minutes},
    )
    return account


def freeze_member(
    session: Session, *, actor: User, time_bank_id: int, member_id: int, reason: str
) -> ledger.Account:
    """Freeze a member's account: no credits go in or out until it is unfrozen.

    A time-bank admin does it, never to their own account, and says why.
    """
    return _set_account_status(
        session,
        actor=actor,
        time_bank_id=time_bank_id,
        member_id=member_id,
        reason=reason,
        frozen=True,
    )


def unfreeze_member(
    session: Session, *, actor: User, time_bank_id: int, member_id: int, reason: str
) -> ledger.Account:
    """Open a member's frozen account again; a time-bank admin does, saying why."""
    return _set_account_status(
        session,
        actor=actor,
        time_bank_id=time_bank_id,
        member_id=member_id,
        reason=reason,
        frozen=False,
    )


def _set_account_status(
    session: Session,
    *,
    actor: User,
    time_bank_id: int,
    member_id: int,
    reason: str,
    frozen: bool,
) -> ledger.Account:
    require_role(
        session, actor=actor, time_bank_id=time_bank_id, roles=[Role.TIME_BANK_ADMIN]
    )
    membership = get_member(session, time_bank_id=time_bank_id, member_id=member_id)
    if membership.user_id == actor.id:
        raise MakerChecker(_("You cannot freeze or unfreeze your own account."))
    reason = require_reason(reason)
    conn = session.connection()
    before = ledger.get_account(conn, membership.account_id).status
    if frozen:
        account = ledger.freeze_account(conn, membership.account_id)
    else:
        account = ledger.unfreeze_account(conn, membership.account_id)
    # Freezing a frozen account changes nothing, so there is nothing to record.
    if account.status != before:
        record_event(
            session,
            time_bank_id=time_bank_id,
            actor_id=actor.id,
            action="account_frozen" if frozen else "account_unfrozen",
            subject_type="membership",
            subject_id=membership.id,
            reason=reason,
            details={"before": before, "after": account.status},
        )
    return account


def check_floor(floor_minutes: object) -> int:
    """Return a member's floor if it is whole minutes, from -100 hours to zero."""
    if not is_whole_number(floor_minutes):
        raise InvalidSetting(
            _(
                "A floor is a whole number of minutes, not %(floor)r.",
                floor=floor_minutes,
            )
        )
    if not LOWEST_FLOOR_MINUTES <= floor_minutes <= 0:
        raise InvalidSetting(
            _(
                "A member's floor is from %(lowest)s to 0 minutes, not %(floor)s.",
                lowest=LOWEST_FLOOR_MINUTES,
                floor=floor_minutes,
            )
        )
    return floor_minutes


def erase_member(
    session: Session, *, actor: User, time_bank_id: int, member_id: int, reason: str
) -> Membership:
    """Erase a member's personal details on their request; their postings stay.

    A time-bank admin does it, never to themselves, and only for someone all
    of whose time banks they administer, since the details are the person's,
    whichever time bank shows them. Their name, email address and password
    go, and with them their API tokens and request keys, so that they can no
    longer sign in or use a token. Their memberships, accounts, entries and
    the records of what they did stay, so the books still balance: pages,
    statements and reports name them by ``User.display_name``, "Former
    member". Every time bank they were in audits it.
    """
    require_role(
        session, actor=actor, time_bank_id=time_bank_id, roles=[Role.TIME_BANK_ADMIN]
    )
    membership = get_member(session, time_bank_id=time_bank_id, member_id=member_id)
    if membership.user_id == actor.id:
        raise MakerChecker(_("You cannot erase your own details: ask another admin."))
    user = session.get_one(User, membership.user_id)
    if user.erased_at is not None:
        raise AlreadyErased(_("This member's personal details are already erased."))
    reason = require_reason(reason)
    memberships = session.scalars(
        select(Membership).where(Membership.user_id == user.id).order_by(Membership.id)
    ).all()
    for other in memberships:
        held = membership_of(session, user=actor, time_bank_id=other.time_bank_id)
        if held is None or not held.has_role(Role.TIME_BANK_ADMIN):
            raise AdminOfAnotherTimeBank(
                _(
                    "%(name)s is also a member of a time bank you are not an admin "
                    "of: only someone who is an admin of each of their time banks "
                    "may erase their details.",
                    name=user.name,
                )
            )
    user.name = ""
    # Unique, as the column must be, and never an address: no email matches it.
    user.email = f"erased-{user.id}"
    # No password matches an empty hash.
    user.password_hash = ""
    user.erased_at = datetime.now(UTC)
    session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.user_id == user.id))
    session.flush()
    for erased in memberships:
        record_event(
            session,
            time_bank_id=erased.time_bank_id,
            actor_id=actor.id,
            action="member_erased",
            subject_type="membership",
            subject_id=erased.id,
            reason=reason,
        )
    return membership


def require_reason(reason: object) -> str:
    """Return the reason given, refusing none."""
    if reason is None or (isinstance(reason, str) and not reason.strip()):
        raise ReasonRequired(_("Please give a reason."))
    return check_text(reason, what="reason")


def list_memberships(
    session: Session, *, user: User
) -> list[tuple[Membership, TimeBank]]:
    """Return the user's memberships with their time banks, by time bank name."""
    return [
        (membership, bank)
        for membership, bank in session.execute(
            select(Membership, TimeBank)
            .join(TimeBank, TimeBank.id == Membership.time_bank_id)
            .where(Membership.user_id == user.id)
            .order_by(TimeBank.name, TimeBank.id)
        )
    ]
