"""Transfers: gifts, exchanges and spends named by the accounts they move minutes.

A program names a payment by its ledger entry and by its two accounts, not
by the members and organisations behind them. These services find who holds
each account and hand the payment to the gift, exchange or spend service,
whose rules and permissions apply unchanged. A transfer's id is its ledger
entry's; an earn, a reversal or an adjustment is no transfer.
"""

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

import ledger
from ledger.accounts import is_whole_number
from timebank.banks.models import TimeBank
from timebank.banks.rules import today
from timebank.decisions import payment_parties, require_someone_else
from timebank.errors import (
    AccountsInDifferentTimeBanks,
    ActivityMismatch,
    AlreadyDecided,
    InvalidText,
    InvalidTransferKind,
    NotAPayeesAccount,
    NotAPayersAccount,
    NotPermitted,
    UnknownTransfer,
    WrongPrice,
)
from timebank.exchanges.models import Exchange
from timebank.exchanges.services import (
    approve_exchange,
    record_exchange,
    reject_exchange,
)
from timebank.gifts.models import Gift
from timebank.gifts.services import approve_gift, give_gift, reject_gift
from timebank.organisations.models import Organisation
from timebank.organisations.services import get_activity, is_organisation_admin
from timebank.people.models import Membership, Role, User
from timebank.people.services import acts_for, get_time_bank, membership_of
from timebank.reversals.services import reverse_entry
from timebank.spending.models import Spend
from timebank.spending.services import record_spend

# Who may read any transfer of their time bank.
OVERSEERS = frozenset({Role.BROKER, Role.TIME_BANK_ADMIN})


class TransferKind(StrEnum):
    """What a transfer pays for."""

    GIFT = "gift"
    EXCHANGE = "exchange"
    SPEND = "spend"


@dataclass(frozen=True)
class Transfer:
    """A gift, exchange or spend as its ledger entry and its decision stand."""

    id: int
    kind: TransferKind
    # The ledger's: pending, posted, or voided (a rejected transfer).
    status: str
    time_bank_id: int
    from_account_id: int
    to_account_id: int
    minutes: int
    memo: str
    service_date: date
    recorded_at: datetime
    recorded_by_id: int
    activity_id: int | None
    # Who approved or rejected it, when and why; None while it needs no decision.
    decided_by_id: int | None
    decided_at: datetime | None
    reason: str | None
    reversed_by_id: int | None


Payment = Gift | Exchange | Spend
# Who holds an account: a member, an organisation, or a time bank (its pool).
Holder = Membership | Organisation | TimeBank


def record_transfer(
    session: Session,
    *,
    actor: User,
    kind: str,
    from_account_id: int,
    to_account_id: int,
    minutes: int,
    memo: str,
    service_date: date | None,
    activity_id: int | None,
) -> Transfer:
    """Pay minutes from one account to another, as a gift, exchange or spend.

    The payer, or a broker of the payer's time bank, does it. A spend names
    its activity and pays exactly its price; its memo is the activity's name.
    """
    try:
        kind = TransferKind(kind)
    except ValueError:
        raise InvalidTransferKind(
            f"A transfer is a gift, an exchange or a spend, not {kind!r}."
        ) from None
    holders = _holders(session, [from_account_id, to_account_id])
    payer = _payer(session, actor=actor, account_id=from_account_id, holders=holders)
    acts_for(session, actor=actor, member=payer, what="pay from their account")
    bank = get_time_bank(session, payer.time_bank_id)
    if kind != TransferKind.SPEND and activity_id is not None:
        raise ActivityMismatch("Only a spend names an activity.")
    service_date = today() if service_date is None else service_date
    payee = _payee(holders, bank=bank, account_id=to_account_id)
    payment: Payment
    if kind == TransferKind.GIFT:
        recipient = _gift_recipient(payee, account_id=to_account_id)
        payment = give_gift(
            session,
            actor=actor,
            time_bank_id=bank.id,
            giver_id=payer.id,
            recipient_id=None if recipient is None else recipient.id,
            minutes=minutes,
            message=memo,
            service_date=service_date,
        )
    elif kind == TransferKind.EXCHANGE:
        provider = _provider(payee, account_id=to_account_id)
        payment = record_exchange(
            session,
            actor=actor,
            time_bank_id=bank.id,
            provider_id=provider.id,
            receiver_id=payer.id,
            minutes=minutes,
            description=memo,
            service_date=service_date,
        )
    else:
        partner = _partner(payee, account_id=to_account_id)
        payment = record_spend(
            session,
            actor=actor,
            time_bank_id=bank.id,
            member_id=payer.id,
            activity_id=_check_spend(
                session,
                bank=bank,
                partner=partner,
                activity_id=activity_id,
                minutes=minutes,
                memo=memo,
            ),
            service_date=service_date,
        )
    return _transfer(session, payment)


def get_transfer(session: Session, *, actor: User, transfer_id: int) -> Transfer:
    """Return a transfer to its payer, its payee, or a broker or admin of its bank.

    To someone outside its time bank, a transfer does not exist.
    """
    payment, viewer = _payment_in_view(session, actor=actor, transfer_id=transfer_id)
    if not viewer.roles & OVERSEERS and not _is_party(session, actor, viewer, payment):
        raise NotPermitted(
            "Only its payer, its payee, or a broker or admin of its time bank may "
            "see a transfer."
        )
    return _transfer(session, payment)


def approve_transfer(session: Session, *, actor: User, transfer_id: int) -> Transfer:
    """Approve a pending gift or exchange: its reserved minutes are paid."""
    payment = _pending_payment(session, actor=actor, transfer_id=transfer_id)
    if isinstance(payment, Gift):
        approve_gift(session, actor=actor, gift_id=payment.id)
    else:
        approve_exchange(session, actor=actor, exchange_id=payment.id)
    return _transfer(session, payment)


def reject_transfer(
    session: Session, *, actor: User, transfer_id: int, reason: str
) -> Transfer:
    """Reject a pending gift or exchange, saying why: its payment is voided."""
    payment = _pending_payment(session, actor=actor, transfer_id=transfer_id)
    if isinstance(payment, Gift):
        reject_gift(session, actor=actor, gift_id=payment.id, reason=reason)
    else:
        reject_exchange(session, actor=actor, exchange_id=payment.id, reason=reason)
    return _transfer(session, payment)


def reverse_transfer(
    session: Session, *, actor: User, transfer_id: int, reason: str
) -> Transfer:
    """Reverse a posted transfer, saying why; a broker of its time bank does.

    The transfer comes back with ``reversed_by_id``, the reversal's entry.
    """
    payment, _ = _payment_in_view(session, actor=actor, transfer_id=transfer_id)
    reverse_entry(
        session,
        actor=actor,
        time_bank_id=payment.time_bank_id,
        transaction_id=payment.transaction_id,
        reason=reason,
    )
    return _transfer(session, payment)


def _payer(
    session: Session, *, actor: User, account_id: int, holders: dict[int, Holder]
) -> Membership:
    """Return the member whose account pays, if in a time bank of the actor's."""
    member = holders.get(account_id)
    if not isinstance(member, Membership) or (
        member.user_id != actor.id
        and membership_of(session, user=actor, time_bank_id=member.time_bank_id) is None
    ):
        raise NotAPayersAccount(
            f"Account {account_id!r} is not a member's account in a time bank of yours."
        )
    if not member.has_role(Role.MEMBER):
        raise NotAPayersAccount(
            f"Account {account_id} is not the account of a member who pays credits."
        )
    return member


def _payee(holders: dict[int, Holder], *, bank: TimeBank, account_id: int) -> Holder:
    """Return the member, organisation or time bank (its pool) holding an account.

    An account of another time bank is refused: credits never leave their bank.
    """
    holder = holders.get(account_id)
    if holder is None:
        raise NotAPayeesAccount(f"There is no account {account_id!r}.")
    holder_bank_id = holder.id if isinstance(holder, TimeBank) else holder.time_bank_id
    if holder_bank_id != bank.id:
        raise AccountsInDifferentTimeBanks(
            f"Account {account_id} is in another time bank than the payer's: "
            "credits move only within one time bank."
        )
    return holder


def _gift_recipient(payee: Holder, *, account_id: int) -> Membership | None:
    """Return the member a gift pays, or None for the community pool."""
    if isinstance(payee, TimeBank):
        return None
    if isinstance(payee, Membership):
        return _earning_member(payee, account_id)
    raise NotAPayeesAccount(
        f"A gift pays a member's account or the community pool; account "
        f"{account_id} is neither."
    )


def _provider(payee: Holder, *, account_id: int) -> Membership:
    """Return the member an exchange pays: the one who helped."""
    if isinstance(payee, Membership):
        return _earning_member(payee, account_id)
    raise NotAPayeesAccount(
        f"An exchange pays the account of the member who helped; account "
        f"{account_id} is not a member's."
    )


def _partner(payee: Holder, *, account_id: int) -> Organisation:
    """Return the organisation a spend pays."""
    if isinstance(payee, Organisation):
        return payee
    raise NotAPayeesAccount(
        f"A spend pays a spend partner's account; account {account_id} is not an "
        "organisation's."
    )


def _earning_member(member: Membership, account_id: int) -> Membership:
    if not member.has_role(Role.MEMBER):
        raise NotAPayeesAccount(
            f"Account {account_id} is not the account of a member who earns credits."
        )
    return member


def _holders(session: Session, account_ids: list[int]) -> dict[int, Holder]:
    """Return the member, organisation or time bank (its pool) holding each account.

    An account nobody holds is left out. Members hold most accounts, so they
    are looked for first, all in one query.
    """
    wanted = {account_id for account_id in account_ids if is_whole_number(account_id)}
    holders: dict[int, Holder] = {
        member.account_id: member
        for member in session.scalars(
            select(Membership).where(Membership.account_id.in_(wanted))
        )
    }
    if wanted - holders.keys():
        holders.update(
            (organisation.account_id, organisation)
            for organisation in session.scalars(
                select(Organisation).where(Organisation.account_id.in_(wanted))
            )
        )
    if wanted - holders.keys():
        holders.update(
            (bank.pool_account_id, bank)
            for bank in session.scalars(
                select(TimeBank).where(TimeBank.pool_account_id.in_(wanted))
            )
        )
    return holders


def _check_spend(
    session: Session,
    *,
    bank: TimeBank,
    partner: Organisation,
    activity_id: int | None,
    minutes: int,
    memo: str,
) -> int:
    """Return the spend's activity id if it is the partner's, at its price.

    A spend's memo is written from its activity, so none is taken.
    """
    if activity_id is None:
        raise ActivityMismatch("A spend names the activity it pays for.")
    activity = get_activity(session, time_bank_id=bank.id, activity_id=activity_id)
    if activity.organisation_id != partner.id:
        raise ActivityMismatch(
            f"Activity {activity_id} is not offered by the account's organisation."
        )
    if minutes != activity.price_minutes:
        raise WrongPrice(
            f"{activity.name} costs {activity.price_minutes} minutes, not {minutes!r}."
        )
    if memo:
        raise InvalidText(
            "A spend's memo is written for it from its activity: send none."
        )
    return activity.id


def _payment_in_view(
    session: Session, *, actor: User, transfer_id: int
) -> tuple[Payment, Membership]:
    """Return the payment of a transfer and the actor's membership of its bank."""
    payment = _payment(session, transfer_id)
    viewer = (
        None
        if payment is None
        else membership_of(session, user=actor, time_bank_id=payment.time_bank_id)
    )
    if payment is None or viewer is None:
        raise UnknownTransfer(f"There is no transfer {transfer_id!r}.")
    return payment, viewer


def _payment(session: Session, transfer_id: int) -> Payment | None:
    """Return the gift, exchange or spend recorded by a ledger entry, or None."""
    if not is_whole_number(transfer_id):
        return None
    return (
        session.scalars(select(Gift).where(Gift.transaction_id == transfer_id)).first()
        or session.scalars(
            select(Exchange).where(Exchange.transaction_id == transfer_id)
        ).first()
        or session.scalars(
            select(Spend).where(Spend.transaction_id == transfer_id)
        ).first()
    )


def _is_party(
    session: Session, actor: User, viewer: Membership, payment: Payment
) -> bool:
    """Tell whether the viewer pays or is paid by the payment."""
    if isinstance(payment, Spend):
        organisation = session.get_one(Organisation, payment.organisation_id)
        return viewer.id == payment.membership_id or is_organisation_admin(
            session, user=actor, organisation=organisation
        )
    return viewer.id in _parties(payment)


def _parties(payment: Gift | Exchange) -> set[int | None]:
    """Return the memberships that pay and are paid by a gift or exchange."""
    if isinstance(payment, Gift):
        return {payment.giver_id, payment.recipient_id}
    return {payment.receiver_id, payment.provider_id}


def _pending_payment(
    session: Session, *, actor: User, transfer_id: int
) -> Gift | Exchange:
    """Return a gift or exchange for the actor to decide.

    As in the broker's queue, someone else decides what the actor recorded,
    what pays them and what is paid from their account.
    """
    payment, _ = _payment_in_view(session, actor=actor, transfer_id=transfer_id)
    if isinstance(payment, Spend):
        raise AlreadyDecided("A spend is posted as it is recorded: nothing to decide.")
    paid, payer = payment_parties(session, payment)
    require_someone_else(
        actor.id, recorded_by=payment.recorded_by_id, paid=paid, payer=payer
    )
    return payment


def _transfer(session: Session, payment: Payment) -> Transfer:
    """Return a payment as a transfer, as its ledger entry now stands."""
    entry = ledger.get_transaction(session.connection(), payment.transaction_id)
    (paid,) = (posting for posting in entry.postings if posting.minutes < 0)
    (received,) = (posting for posting in entry.postings if posting.minutes > 0)
    decided_by_id: int | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    if not isinstance(payment, Spend):
        decided_by_id, reason = payment.decided_by_id, payment.reason
        # A payment that needed no decision is decided by nobody, at no time.
        decided_at = None if decided_by_id is None else payment.decided_at
    return Transfer(
        id=entry.id,
        kind=_kind_of(payment),
        status=entry.status,
        time_bank_id=payment.time_bank_id,
        from_account_id=paid.account_id,
        to_account_id=received.account_id,
        minutes=payment.minutes,
        memo=entry.memo,
        service_date=payment.service_date,
        recorded_at=payment.recorded_at,
        recorded_by_id=payment.recorded_by_id,
        activity_id=payment.activity_id if isinstance(payment, Spend) else None,
        decided_by_id=decided_by_id,
        decided_at=decided_at,
        reason=reason,
        reversed_by_id=entry.reversed_by_id,
    )


def _kind_of(payment: Payment) -> TransferKind:
    if isinstance(payment, Gift):
        return TransferKind.GIFT
    if isinstance(payment, Exchange):
        return TransferKind.EXCHANGE
    return TransferKind.SPEND
