"""Reading an account: who may see it, its entries, its recent months.

A member sees their own account; a broker or admin of the time bank sees any
account of it: a member's, an organisation's, the community pool, the
issuance account. An organisation's admin sees the organisation's account.
An entry is shown with the other side of it: the member, the organisation,
the community pool, or the time bank that issued the credits.
The history lists every entry a page at a time, filtered by the day the help
happened (the date members know) and by the kind of entry.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import extract, func, select
from sqlalchemy.orm import Session

import ledger
from ledger.accounts import is_whole_number
from ledger.schema import accounts, postings, transactions
from timebank.banks.models import TimeBank
from timebank.banks.rules import today
from timebank.errors import NotFound, NotPermitted
from timebank.organisations.models import Organisation
from timebank.organisations.services import open_organisation
from timebank.people.models import Membership, Role, User
from timebank.people.services import STAFF, get_member, membership_of, require_role
from timebank.periods import months_ending

# The kinds of entry that count as earning and as spending in the monthly chart;
# gifts and reversals are shown in the history but not charted.
EARNED_KINDS = ("earn", "exchange")
SPENT_KINDS = ("spend", "exchange")
RECENT_ENTRIES = 10
CHART_MONTHS = 12
HISTORY_PAGE_SIZE = 25
# How many entries a program's page holds when not told, and the most it may.
ENTRIES_PAGE_SIZE = 50
MAX_ENTRIES_PAGE_SIZE = 100
# The kinds of entry a member may pick in their history, as the ledger's kinds;
# "all" picks none, which the ledger reads as every kind.
HISTORY_KINDS: dict[str, tuple[str, ...]] = {
    "all": (),
    "earned": ("earn",),
    "exchanges": ("exchange",),
    "gifts": ("gift",),
    "spends": ("spend",),
    "reversals": ("reversal",),
}


@dataclass(frozen=True)
class EntryLine:
    """One entry of an account, with who or what was on the other side."""

    transaction_id: int
    kind: str
    status: str
    memo: str
    minutes: int
    service_date: date
    recorded_at: datetime
    counterparty: str
    reverses_id: int | None
    reversed_by_id: int | None


@dataclass(frozen=True)
class Month:
    """A calendar month's minutes earned and spent, by service date."""

    first_day: date
    earned_minutes: int
    spent_minutes: int


@dataclass(frozen=True)
class AccountOverview:
    """What a member's dashboard shows."""

    bank: TimeBank
    member: Membership
    name: str
    account: ledger.Account
    recent: list[EntryLine]
    months: list[Month]


@dataclass(frozen=True)
class HistoryPage:
    """One page of a member's entries, and the cursor of the next, older page."""

    lines: list[EntryLine]
    next_cursor: str | None


def open_member_account(
    session: Session, *, actor: User, bank: TimeBank, member_id: int
) -> Membership:
    """Return a member whose account the actor may see: their own, or as broker."""
    member = get_member(session, time_bank_id=bank.id, member_id=member_id)
    if member.user_id == actor.id:
        return member
    viewer = session.scalars(
        select(Membership).where(
            Membership.time_bank_id == bank.id, Membership.user_id == actor.id
        )
    ).first()
    if viewer is None or not viewer.roles & {Role.BROKER, Role.TIME_BANK_ADMIN}:
        raise NotPermitted(
            _("Only the member, or a broker of their time bank, may see this account.")
        )
    return member


def member_name(session: Session, member: Membership) -> str:
    """Return the name a member goes by."""
    return session.get_one(User, member.user_id).display_name


def spendable_minutes(session: Session, member: Membership) -> int:
    """Return what a member may pay out now: what is available, down to the floor."""
    account = ledger.get_account(session.connection(), member.account_id)
    return account.spendable_minutes or 0


def account_overview(
    session: Session, *, bank: TimeBank, member: Membership, on: date | None = None
) -> AccountOverview:
    """Return a member's balance, latest entries and last twelve months."""
    conn = session.connection()
    page = ledger.list_entries(conn, member.account_id, limit=RECENT_ENTRIES)
    return AccountOverview(
        bank=bank,
        member=member,
        name=member_name(session, member),
        account=ledger.get_account(conn, member.account_id),
        recent=describe_entries(session, member.account_id, page.entries),
        months=monthly_totals(
            session, member.account_id, on=today() if on is None else on
        ),
    )


def account_history(
    session: Session,
    *,
    member: Membership,
    service_from: date | None = None,
    service_before: date | None = None,
    kinds: tuple[str, ...] = (),
    cursor: str | None = None,
) -> HistoryPage:
    """Return a page of a member's entries, newest first, filtered.

    The service dates are a half-open range, service_from <= date <
    service_before; kinds keeps entries of those ledger kinds (none: all).
    Who may see the member was checked when they were found (the viewer
    themselves, or open_member_account). A cursor that is not a page's
    next_cursor raises ledger.errors.InvalidRequest.
    """
    return _entries_page(
        session,
        member.account_id,
        service_from=service_from,
        service_before=service_before,
        kinds=kinds,
        cursor=cursor,
        limit=HISTORY_PAGE_SIZE,
    )


def _entries_page(
    session: Session,
    account_id: int,
    *,
    service_from: date | None,
    service_before: date | None,
    kinds: tuple[str, ...],
    cursor: str | None,
    limit: int,
) -> HistoryPage:
    page = ledger.list_entries(
        session.connection(),
        account_id,
        service_from=service_from,
        service_before=service_before,
        kinds=kinds,
        cursor=cursor,
        limit=limit,
    )
    return HistoryPage(
        lines=describe_entries(session, account_id, page.entries),
        next_cursor=page.next_cursor,
    )


def describe_entries(
    session: Session, account_id: int, entries: Sequence[ledger.Entry]
) -> list[EntryLine]:
    """Return the entries of an account with the other side of each named."""
    others = session.execute(
        select(postings.c.transaction_id, postings.c.account_id).where(
            postings.c.transaction_id.in_({entry.transaction_id for entry in entries}),
            postings.c.account_id != account_id,
        )
    ).all()
    labels = account_labels(session, {row.account_id for row in others})
    counterparties: dict[int, list[str]] = {}
    for row in others:
        counterparties.setdefault(row.transaction_id, []).append(labels[row.account_id])
    return [
        EntryLine(
            transaction_id=entry.transaction_id,
            kind=entry.kind,
            status=entry.status,
            memo=entry.memo,
            minutes=entry.minutes,
            service_date=entry.service_date,
            recorded_at=entry.recorded_at,
            counterparty=", ".join(
                sorted(set(counterparties.get(entry.transaction_id, [])))
            ),
            reverses_id=entry.reverses_id,
            reversed_by_id=entry.reversed_by_id,
        )
        for entry in entries
    ]


def account_labels(session: Session, account_ids: Iterable[int]) -> dict[int, str]:
    """Return a name for each account: its member, organisation, or role."""
    ids = set(account_ids)
    labels = {
        row.id: _("Community pool")
        if row.kind == "pool"
        else _("Time bank (credits issued)")
        for row in session.execute(
            select(accounts.c.id, accounts.c.kind).where(
                accounts.c.id.in_(ids), accounts.c.kind.in_(("pool", "issuance"))
            )
        )
    }
    for account_id, name in session.execute(
        select(Membership.account_id, User.display_name)
        .join(User, User.id == Membership.user_id)
        .where(Membership.account_id.in_(ids))
    ):
        labels[account_id] = name
    for account_id, name in session.execute(
        select(Organisation.account_id, Organisation.name).where(
            Organisation.account_id.in_(ids)
        )
    ):
        labels[account_id] = name
    return labels


def monthly_totals(session: Session, account_id: int, *, on: date) -> list[Month]:
    """Return the minutes earned and spent in each of the last twelve months.

    Months are calendar months of the service date, the one holding ``on``
    last; only posted entries count.
    """
    months = months_ending(on, CHART_MONTHS)
    year = extract("year", transactions.c.service_date)
    month = extract("month", transactions.c.service_date)
    earned = func.sum(postings.c.minutes).filter(
        postings.c.minutes > 0, transactions.c.kind.in_(EARNED_KINDS)
    )
    spent = func.sum(-postings.c.minutes).filter(
        postings.c.minutes < 0, transactions.c.kind.in_(SPENT_KINDS)
    )
    rows = session.execute(
        select(year, month, earned, spent)
        .join(transactions, transactions.c.id == postings.c.transaction_id)
        .where(
            postings.c.account_id == account_id,
            transactions.c.status == "posted",
            transactions.c.service_date >= months[0],
        )
        .group_by(year, month)
    ).all()
    totals = {(int(y), int(m)): (e or 0, s or 0) for y, m, e, s in rows}
    return [
        Month(first, *totals.get((first.year, first.month), (0, 0))) for first in months
    ]


@dataclass(frozen=True)
class AccountOwner:
    """Whom an account belongs to: a member, an organisation, or the time bank.

    kind is the account's: member, organisation, pool or issuance. The time
    bank's own two accounts, its community pool and the issuance account that
    earned credits come from, have no id of their own.
    """

    kind: str
    id: int | None
    name: str


def open_account(
    session: Session, *, actor: User, account_id: int
) -> tuple[ledger.Account, AccountOwner]:
    """Return an account the actor may see, with whom it belongs to.

    A member sees their own account; a broker or time-bank admin every
    account of their time bank; an organisation's admin the organisation's.
    To someone outside its time bank, an account does not exist.
    """
    bank = _time_bank_of_account(session, actor=actor, account_id=account_id)
    account = ledger.get_account(session.connection(), account_id)
    member = session.scalars(
        select(Membership).where(Membership.account_id == account.id)
    ).first()
    if member is not None:
        open_member_account(session, actor=actor, bank=bank, member_id=member.id)
        return account, AccountOwner(
            kind=account.kind, id=member.id, name=member_name(session, member)
        )
    organisation = session.scalars(
        select(Organisation).where(Organisation.account_id == account.id)
    ).first()
    if organisation is not None:
        open_organisation(
            session,
            actor=actor,
            time_bank_id=bank.id,
            organisation_id=organisation.id,
        )
        return account, AccountOwner(
            kind=account.kind, id=organisation.id, name=organisation.name
        )
    require_role(session, actor=actor, time_bank_id=bank.id, roles=STAFF)
    return account, AccountOwner(
        kind=account.kind,
        id=None,
        name=account_labels(session, [account.id])[account.id],
    )


def list_account_entries(
    session: Session,
    *,
    actor: User,
    account_id: int,
    first_day: date | None = None,
    last_day: date | None = None,
    kind: str = "all",
    cursor: str | None = None,
    limit: int = ENTRIES_PAGE_SIZE,
) -> HistoryPage:
    """Return a page of the entries of an account the actor may see, newest first.

    first_day and last_day are service dates, both included, as a member
    picks them; kind is one of HISTORY_KINDS. A cursor that is not a page's
    next_cursor raises ledger.errors.InvalidRequest.
    """
    account, _ = open_account(session, actor=actor, account_id=account_id)
    return _entries_page(
        session,
        account.id,
        service_from=first_day,
        # The last day the calendar holds has no day after it: no end at all.
        service_before=None
        if last_day is None or last_day == date.max
        else last_day + timedelta(days=1),
        kinds=HISTORY_KINDS[kind],
        cursor=cursor,
        limit=limit,
    )


def _time_bank_of_account(
    session: Session, *, actor: User, account_id: int
) -> TimeBank:
    """Return the time bank whose book holds an account, if the actor belongs to it."""
    bank = (
        session.scalars(
            select(TimeBank)
            .join(accounts, accounts.c.book_id == TimeBank.book_id)
            .where(accounts.c.id == account_id)
        ).first()
        if is_whole_number(account_id)
        else None
    )
    if bank is None or membership_of(session, user=actor, time_bank_id=bank.id) is None:
        raise NotFound(
            _("There is no account %(id)r in your time banks.", id=account_id)
        )
    return bank
