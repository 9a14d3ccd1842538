"""Opening a time bank and changing its settings."""

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import ledger
from ledger.accounts import is_whole_number
from timebank.audit.services import record_event
from timebank.errors import AlreadyTaken, InvalidSetting, UnknownTimeBank
from timebank.people.models import Membership, Role, User
from timebank.people.services import (
    check_floor,
    get_time_bank,
    membership_of,
    open_membership,
    require_reason,
    require_role,
)

from .models import Approval, EarnSource, TimeBank
from .rules import check_text

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
    name = check_text(name, what="name")
    if not isinstance(slug, str) or not SLUG.fullmatch(slug):
        raise InvalidSetting(
            "A slug is 1 to 64 lower-case letters, digits and inner hyphens."
        )
    if session.scalars(select(TimeBank.id).where(TimeBank.slug == slug)).first():
        raise AlreadyTaken(f"The slug {slug!r} is taken.")
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
        raise InvalidSetting(f"{', '.join(unknown)} is not a setting one may change.")
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
    for what, value in (("exchange", exchange_approval), ("gift", gift_approval)):
        if value not in choices:
            raise InvalidSetting(
                f"The {what} approval is one of {', '.join(choices)}, not {value!r}."
            )
    for what, threshold in (
        ("exchange", exchange_approval_above_minutes),
        ("gift", gift_approval_above_minutes),
    ):
        if (
            not is_whole_number(threshold)
            or not 0 <= threshold <= MAX_THRESHOLD_MINUTES
        ):
            raise InvalidSetting(
                f"The {what} approval threshold is 0 to {MAX_THRESHOLD_MINUTES} "
                f"minutes, not {threshold!r}."
            )
    if (
        not is_whole_number(backdating_days)
        or not 0 <= backdating_days <= MAX_BACKDATING_DAYS
    ):
        raise InvalidSetting(
            f"The back-dating window is 0 to {MAX_BACKDATING_DAYS} days, "
            f"not {backdating_days!r}."
        )
    sources = [s.value for s in EarnSource]
    if earn_source not in sources:
        raise InvalidSetting(
            f"Earned credits come from one of {', '.join(sources)}, "
            f"not {earn_source!r}."
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
        raise UnknownTimeBank(f"There is no time bank {slug!r}.")
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
