"""The broker's queue: pending hour logs, exchanges and gifts, decided together.

A broker decides everything pending in their time bank; an organisation's
admin decides the hour logs volunteered for their organisation. The queue
shows each item with whether the viewer may decide it: maker-checker leaves
to someone else what the viewer recorded, what pays them and what is paid
from their account. Deciding many items is one transaction: when one item is
refused, none is decided.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from babel.dates import format_date
from flask_babel import get_locale, lazy_gettext
from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ledger.errors import LedgerError
from timebank.decisions import (
    Decision,
    NotYours,
    payment_parties,
    require_someone_else,
    why_someone_else_decides,
)
from timebank.durations import format_minutes
from timebank.errors import (
    ItemRefused,
    NotPermitted,
    TimebankError,
    UnknownExchange,
    UnknownGift,
    UnknownHourLog,
)
from timebank.exchanges.models import Exchange
from timebank.exchanges.services import approve_exchange, reject_exchange
from timebank.gifts.models import Gift
from timebank.gifts.services import approve_gift, reject_gift
from timebank.hour_logs.models import HourLog
from timebank.hour_logs.services import approve_hour_log, reject_hour_log
from timebank.languages.services import ENGLISH
from timebank.organisations.models import Organisation, OrganisationAdmin
from timebank.people.models import Membership, Role, User
from timebank.people.services import membership_of, require_reason

# The most items the queue shows at once, the oldest first.
QUEUE_LIMIT = 200


class ItemKind(StrEnum):
    """What a pending item of the queue is."""

    HOUR_LOG = "hour_log"
    EXCHANGE = "exchange"
    GIFT = "gift"


# The first sentence of a refusal: the item that nothing was decided because of.
NOTHING_DECIDED = {
    ItemKind.HOUR_LOG: lazy_gettext(
        "Nothing was decided, because of the hour log of %(amount)s for %(name)s "
        "on %(date)s."
    ),
    ItemKind.EXCHANGE: lazy_gettext(
        "Nothing was decided, because of the exchange of %(amount)s paid by "
        "%(name)s on %(date)s."
    ),
    ItemKind.GIFT: lazy_gettext(
        "Nothing was decided, because of the gift of %(amount)s from %(name)s on "
        "%(date)s."
    ),
}
NOTHING_DECIDED_NUMBER = {
    ItemKind.HOUR_LOG: lazy_gettext(
        "Nothing was decided, because of the hour log number %(id)s."
    ),
    ItemKind.EXCHANGE: lazy_gettext(
        "Nothing was decided, because of the exchange number %(id)s."
    ),
    ItemKind.GIFT: lazy_gettext(
        "Nothing was decided, because of the gift number %(id)s."
    ),
}


@dataclass(frozen=True)
class ItemRef:
    """One pending item, named by its kind and its id."""

    kind: ItemKind
    id: int

    @property
    def key(self) -> str:
        """Return the item as a form sends it: "hour_log:12"."""
        return f"{self.kind.value}:{self.id}"


@dataclass(frozen=True)
class PendingItem:
    """A pending item as the queue shows it."""

    ref: ItemRef
    # Whose time it is: "Ana", "Ana pays Ben", "Ana gives the community pool".
    who: str
    # What it is: "Volunteering for the Food Bank", "Help exchanged", "Gift".
    what: str
    description: str
    minutes: int
    service_date: date
    recorded_at: datetime
    recorded_by: str
    # Why the viewer may not decide it (maker-checker), or None when they may.
    not_yours: NotYours | None


@dataclass(frozen=True)
class Queue:
    """What is pending for a viewer to decide, the oldest first."""

    items: list[PendingItem]
    # How many items are pending in all, of which items holds the oldest.
    total: int
    # Whether the viewer decides everything (a broker), or only hour logs.
    all_kinds: bool


def pending_queue(
    session: Session, *, actor: User, time_bank_id: int, limit: int = QUEUE_LIMIT
) -> Queue:
    """Return what is pending for the actor to decide, the oldest first.

    A broker sees every pending hour log, exchange and gift of their time
    bank; an organisation's admin who is not a broker sees the pending hour
    logs of the organisations they administer.
    """
    viewer = membership_of(session, user=actor, time_bank_id=time_bank_id)
    all_kinds = viewer is not None and viewer.has_role(Role.BROKER)
    hour_logs = select(HourLog).where(
        HourLog.time_bank_id == time_bank_id,
        HourLog.status == Decision.PENDING.value,
    )
    if not all_kinds:
        organisation_ids = (
            []
            if viewer is None
            else list(
                session.scalars(
                    select(OrganisationAdmin.organisation_id).where(
                        OrganisationAdmin.membership_id == viewer.id
                    )
                )
            )
        )
        if not organisation_ids:
            raise NotPermitted(
                _(
                    "Only a broker of this time bank, or an admin of one of its "
                    "organisations, has a queue of approvals."
                )
            )
        hour_logs = hour_logs.where(HourLog.organisation_id.in_(organisation_ids))
    exchanges = select(Exchange).where(
        Exchange.time_bank_id == time_bank_id,
        Exchange.status == Decision.PENDING.value,
    )
    gifts = select(Gift).where(
        Gift.time_bank_id == time_bank_id, Gift.status == Decision.PENDING.value
    )
    logs = session.scalars(
        hour_logs.order_by(HourLog.logged_at, HourLog.id).limit(limit)
    ).all()
    total = _count(session, hour_logs)
    payments: list[Exchange | Gift] = []
    if all_kinds:
        payments.extend(
            session.scalars(
                exchanges.order_by(Exchange.recorded_at, Exchange.id).limit(limit)
            )
        )
        payments.extend(
            session.scalars(gifts.order_by(Gift.recorded_at, Gift.id).limit(limit))
        )
        total += _count(session, exchanges) + _count(session, gifts)
    items = _describe(session, actor=actor, logs=logs, payments=payments)
    items.sort(key=lambda item: (item.recorded_at, item.ref.kind, item.ref.id))
    return Queue(items=items[:limit], total=total, all_kinds=all_kinds)


def decide_pending(
    session: Session,
    *,
    actor: User,
    time_bank_id: int,
    items: Iterable[ItemRef],
    decision: Decision,
    reason: str | None = None,
) -> list[ItemRef]:
    """Approve or reject every item, or refuse them all; return those decided.

    A rejection gives one reason for all its items. The first item refused
    (already decided, not the actor's to decide, beyond someone's credit...)
    raises ItemRefused naming it, and the unit of work rolls back the items
    decided before it.
    """
    if decision not in (Decision.APPROVED, Decision.REJECTED):
        raise ValueError(f"A decision approves or rejects, not {decision!r}.")
    if decision == Decision.REJECTED:
        reason = require_reason(reason)
    decided = []
    for item in dict.fromkeys(items):
        try:
            _decide(
                session,
                actor=actor,
                time_bank_id=time_bank_id,
                item=item,
                decision=decision,
                reason=reason or "",
            )
        except (TimebankError, LedgerError) as error:
            raise ItemRefused(_nothing_decided(session, item), error) from error
        decided.append(item)
    return decided


def _decide(
    session: Session,
    *,
    actor: User,
    time_bank_id: int,
    item: ItemRef,
    decision: Decision,
    reason: str,
) -> None:
    approve = decision == Decision.APPROVED
    if item.kind == ItemKind.HOUR_LOG:
        log = session.get(HourLog, item.id)
        if log is None or log.time_bank_id != time_bank_id:
            raise UnknownHourLog(_("It is not an hour log of this time bank."))
        member = session.get_one(Membership, log.membership_id)
        require_someone_else(
            actor.id, recorded_by=log.logged_by_id, paid=member.user_id, payer=None
        )
        if approve:
            approve_hour_log(session, actor=actor, hour_log_id=log.id)
        else:
            reject_hour_log(session, actor=actor, hour_log_id=log.id, reason=reason)
    elif item.kind == ItemKind.EXCHANGE:
        exchange = session.get(Exchange, item.id)
        if exchange is None or exchange.time_bank_id != time_bank_id:
            raise UnknownExchange(_("It is not an exchange of this time bank."))
        paid, payer = payment_parties(session, exchange)
        require_someone_else(
            actor.id, recorded_by=exchange.recorded_by_id, paid=paid, payer=payer
        )
        if approve:
            approve_exchange(session, actor=actor, exchange_id=exchange.id)
        else:
            reject_exchange(
                session, actor=actor, exchange_id=exchange.id, reason=reason
            )
    else:
        gift = session.get(Gift, item.id)
        if gift is None or gift.time_bank_id != time_bank_id:
            raise UnknownGift(_("It is not a gift of this time bank."))
        paid, payer = payment_parties(session, gift)
        require_someone_else(
            actor.id, recorded_by=gift.recorded_by_id, paid=paid, payer=payer
        )
        if approve:
            approve_gift(session, actor=actor, gift_id=gift.id)
        else:
            reject_gift(session, actor=actor, gift_id=gift.id, reason=reason)


def _describe(
    session: Session,
    *,
    actor: User,
    logs: Sequence[HourLog],
    payments: Sequence[Exchange | Gift],
) -> list[PendingItem]:
    """Return the items with their people and organisations named."""
    member_ids: set[int | None] = {log.membership_id for log in logs}
    for payment in payments:
        if isinstance(payment, Exchange):
            member_ids |= {payment.provider_id, payment.receiver_id}
        else:
            member_ids |= {payment.giver_id, payment.recipient_id}
    members = {
        row.id: (row.user_id, row.display_name)
        for row in session.execute(
            select(Membership.id, Membership.user_id, User.display_name)
            .join(User, User.id == Membership.user_id)
            .where(Membership.id.in_(member_ids - {None}))
        )
    }
    recorders = {log.logged_by_id for log in logs} | {
        payment.recorded_by_id for payment in payments
    }
    users = dict(
        session.execute(
            select(User.id, User.display_name).where(User.id.in_(recorders))
        ).all()
    )
    organisations = dict(
        session.execute(
            select(Organisation.id, Organisation.name).where(
                Organisation.id.in_({log.organisation_id for log in logs})
            )
        ).all()
    )
    items = []
    for log in logs:
        member_user, member_name = members[log.membership_id]
        items.append(
            PendingItem(
                ref=ItemRef(ItemKind.HOUR_LOG, log.id),
                who=member_name,
                what=_(
                    "Volunteering for %(organisation)s",
                    organisation=organisations[log.organisation_id],
                ),
                description=log.description,
                minutes=log.minutes,
                service_date=log.service_date,
                recorded_at=log.logged_at,
                recorded_by=users[log.logged_by_id],
                not_yours=why_someone_else_decides(
                    actor.id, recorded_by=log.logged_by_id, paid=member_user, payer=None
                ),
            )
        )
    for payment in payments:
        if isinstance(payment, Exchange):
            paid_user, paid_name = members[payment.provider_id]
            payer_user, payer_name = members[payment.receiver_id]
            ref = ItemRef(ItemKind.EXCHANGE, payment.id)
            who = _("%(payer)s pays %(paid)s", payer=payer_name, paid=paid_name)
            what = _("Help exchanged")
            description = payment.description
        else:
            payer_user, payer_name = members[payment.giver_id]
            ref = ItemRef(ItemKind.GIFT, payment.id)
            if payment.recipient_id is None:
                paid_user = None
                who = _("%(giver)s gives the community pool", giver=payer_name)
            else:
                paid_user, paid_name = members[payment.recipient_id]
                who = _(
                    "%(giver)s gives %(recipient)s",
                    giver=payer_name,
                    recipient=paid_name,
                )
            what = _("Gift")
            description = payment.message
        items.append(
            PendingItem(
                ref=ref,
                who=who,
                what=what,
                description=description,
                minutes=payment.minutes,
                service_date=payment.service_date,
                recorded_at=payment.recorded_at,
                recorded_by=users[payment.recorded_by_id],
                not_yours=why_someone_else_decides(
                    actor.id,
                    recorded_by=payment.recorded_by_id,
                    paid=paid_user,
                    payer=payer_user,
                ),
            )
        )
    return items


def _nothing_decided(session: Session, item: ItemRef) -> str:
    """Say that nothing was decided because of item: how long, whose, which day."""
    found: HourLog | Exchange | Gift | None
    if item.kind == ItemKind.HOUR_LOG:
        found = session.get(HourLog, item.id)
    elif item.kind == ItemKind.EXCHANGE:
        found = session.get(Exchange, item.id)
    else:
        found = session.get(Gift, item.id)
    if found is None:
        return str(NOTHING_DECIDED_NUMBER[item.kind] % {"id": item.id})
    if isinstance(found, HourLog):
        member_id = found.membership_id
    elif isinstance(found, Exchange):
        member_id = found.receiver_id
    else:
        member_id = found.giver_id
    name = session.scalars(
        select(User.display_name)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.id == member_id)
    ).one()
    day = format_date(found.service_date, "d MMMM y", locale=get_locale() or ENGLISH)
    return str(
        NOTHING_DECIDED[item.kind]
        % {"amount": format_minutes(found.minutes), "name": name, "date": day}
    )


def _count(session: Session, query: Select[Any]) -> int:
    """Return how many rows query finds."""
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0
