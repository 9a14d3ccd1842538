"""Impact reports and organisation statements, computed from the ledger.

Both cover a period of service dates (``timebank.periods.Period``) and count
only what was decided: approved hour logs, and posted entries that no
reversal undid.
docs/domain.md says what each figure means.

Who may see them:

- a time bank's impact report: its brokers and time-bank admins;
- an organisation's impact report: those, and the organisation's admins;
- an organisation's statement, which names its volunteers: the
  organisation's admins and the time bank's brokers.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, Subquery, distinct, extract, func, select
from sqlalchemy.orm import Session

from ledger.schema import postings, transactions
from timebank.banks.models import TimeBank
from timebank.banks.rules import today
from timebank.decisions import Decision
from timebank.errors import NotPermitted
from timebank.hour_logs.models import HourLog
from timebank.organisations.models import Activity, Organisation
from timebank.organisations.services import (
    get_organisation,
    may_read_statement,
    open_organisation,
)
from timebank.people.models import Membership, User
from timebank.people.services import STAFF, require_role
from timebank.periods import Period, check_period_or_default
from timebank.spending.models import Spend

TOP_ACTIVITIES = 5


@dataclass(frozen=True)
class MonthOfImpact:
    """One calendar month of a report, by service date."""

    first_day: date
    volunteered_minutes: int
    earned_minutes: int
    spent_minutes: int

    @property
    def label(self) -> str:
        """Return the month as people write it: "March 2026"."""
        return f"{self.first_day:%B %Y}"


@dataclass(frozen=True)
class ActivitySpend:
    """An activity members spent credits on, and how much."""

    name: str
    organisation: str
    spends: int
    minutes: int


@dataclass(frozen=True)
class ImpactReport:
    """What a time bank's, or one organisation's, volunteering achieved."""

    bank: TimeBank
    organisation: Organisation | None
    period: Period
    months: list[MonthOfImpact]
    active_volunteers: int
    new_members: int
    top_activities: list[ActivitySpend]

    @property
    def subject(self) -> str:
        """Return whose report this is."""
        return self.bank.name if self.organisation is None else self.organisation.name

    @property
    def volunteered_minutes(self) -> int:
        return sum(month.volunteered_minutes for month in self.months)

    @property
    def earned_minutes(self) -> int:
        return sum(month.earned_minutes for month in self.months)

    @property
    def spent_minutes(self) -> int:
        return sum(month.spent_minutes for month in self.months)


@dataclass(frozen=True)
class Hours:
    """Approved volunteering under one heading: an activity, a month, a person."""

    label: str
    hour_logs: int
    minutes: int


@dataclass(frozen=True)
class OrganisationStatement:
    """The credits an organisation issued and accepted, and who volunteered."""

    bank: TimeBank
    organisation: Organisation
    period: Period
    issued_minutes: int
    accepted_minutes: int
    by_activity: list[Hours]
    by_month: list[Hours]
    volunteers: list[Hours]

    @property
    def approved_minutes(self) -> int:
        return sum(month.minutes for month in self.by_month)


def bank_impact_report(
    session: Session,
    *,
    actor: User,
    bank: TimeBank,
    first_day: date | None,
    last_day: date | None,
    on: date | None = None,
) -> ImpactReport:
    """Return a time bank's impact report, for its brokers and admins."""
    open_bank_report(session, actor=actor, bank=bank)
    period = _period(first_day, last_day, on)
    return _impact_report(session, bank, None, period)


def organisation_impact_report(
    session: Session,
    *,
    actor: User,
    bank: TimeBank,
    organisation_id: int,
    first_day: date | None,
    last_day: date | None,
    on: date | None = None,
) -> ImpactReport:
    """Return an organisation's impact report, for its admins and the bank's staff."""
    organisation = open_organisation_report(
        session, actor=actor, bank=bank, organisation_id=organisation_id
    )
    period = _period(first_day, last_day, on)
    return _impact_report(session, bank, organisation, period)


def organisation_statement(
    session: Session,
    *,
    actor: User,
    bank: TimeBank,
    organisation_id: int,
    first_day: date | None,
    last_day: date | None,
    on: date | None = None,
) -> OrganisationStatement:
    """Return an organisation's statement, for its admins and the bank's brokers."""
    organisation = open_organisation_statement(
        session, actor=actor, bank=bank, organisation_id=organisation_id
    )
    period = _period(first_day, last_day, on)
    logs = _approved_logs(bank, organisation, period)
    months = _hours_by_month(session, logs)
    return OrganisationStatement(
        bank=bank,
        organisation=organisation,
        period=period,
        issued_minutes=sum(_earned(session, bank, organisation, period).values()),
        accepted_minutes=sum(_spent(session, bank, organisation, period).values()),
        by_activity=_hours_by_activity(session, logs),
        by_month=[
            Hours(f"{first:%B %Y}", *months.get(first, (0, 0)))
            for first in period.months
        ],
        volunteers=_hours_by_volunteer(session, logs),
    )


def _period(first_day: date | None, last_day: date | None, on: date | None) -> Period:
    """Return the period asked for, a missing day filled in as of on or today."""
    return check_period_or_default(
        first_day, last_day, today=today() if on is None else on
    )


def open_bank_report(session: Session, *, actor: User, bank: TimeBank) -> None:
    """Allow a broker or admin of the time bank to read its impact report."""
    require_role(session, actor=actor, time_bank_id=bank.id, roles=STAFF)


def open_organisation_report(
    session: Session, *, actor: User, bank: TimeBank, organisation_id: int
) -> Organisation:
    """Return an organisation whose impact report the actor may read.

    Its admins may, and the time bank's brokers and admins.
    """
    return open_organisation(
        session, actor=actor, time_bank_id=bank.id, organisation_id=organisation_id
    )


def open_organisation_statement(
    session: Session, *, actor: User, bank: TimeBank, organisation_id: int
) -> Organisation:
    """Return an organisation whose statement the actor may read.

    The statement names volunteers: only the organisation's admins and the
    time bank's brokers read it.
    """
    organisation = get_organisation(
        session, time_bank_id=bank.id, organisation_id=organisation_id
    )
    if may_read_statement(session, user=actor, organisation=organisation):
        return organisation
    raise NotPermitted(
        _(
            "Only an admin of %(name)s, or a broker of this time bank, may read its "
            "statement.",
            name=organisation.name,
        )
    )


def _impact_report(
    session: Session, bank: TimeBank, organisation: Organisation | None, period: Period
) -> ImpactReport:
    logs = _approved_logs(bank, organisation, period)
    volunteered = _hours_by_month(session, logs)
    earned = _earned(session, bank, organisation, period)
    spent = _spent(session, bank, organisation, period)
    return ImpactReport(
        bank=bank,
        organisation=organisation,
        period=period,
        months=[
            MonthOfImpact(
                first_day=first,
                volunteered_minutes=volunteered.get(first, (0, 0))[1],
                earned_minutes=earned.get(first, 0),
                spent_minutes=spent.get(first, 0),
            )
            for first in period.months
        ],
        active_volunteers=session.scalar(
            select(func.count(distinct(logs.c.membership_id)))
        )
        or 0,
        new_members=_new_members(session, bank, organisation, period),
        top_activities=_top_activities(session, bank, organisation, period),
    )


def _approved_logs(
    bank: TimeBank, organisation: Organisation | None, period: Period
) -> Subquery:
    """Return the approved hour logs of the bank (or organisation) in the period."""
    query = select(
        HourLog.id,
        HourLog.membership_id,
        HourLog.description,
        HourLog.minutes,
        HourLog.service_date,
    ).where(
        HourLog.time_bank_id == bank.id,
        HourLog.status == Decision.APPROVED.value,
        HourLog.service_date >= period.first_day,
        HourLog.service_date <= period.last_day,
    )
    if organisation is not None:
        query = query.where(HourLog.organisation_id == organisation.id)
    return query.subquery()


def _hours_by_month(session: Session, logs: Subquery) -> dict[date, tuple[int, int]]:
    """Return the number and minutes of the logs in each month of service."""
    year = extract("year", logs.c.service_date)
    month = extract("month", logs.c.service_date)
    rows = session.execute(
        select(year, month, func.count(), func.sum(logs.c.minutes)).group_by(
            year, month
        )
    )
    return {
        date(int(y), int(m), 1): (count, int(minutes)) for y, m, count, minutes in rows
    }


def _hours_by_activity(session: Session, logs: Subquery) -> list[Hours]:
    """Return the logs by what the volunteers did, the most time first."""
    minutes = func.sum(logs.c.minutes)
    rows = session.execute(
        select(logs.c.description, func.count(), minutes)
        .group_by(logs.c.description)
        .order_by(minutes.desc(), logs.c.description)
    )
    return [Hours(label, count, int(total)) for label, count, total in rows]


def _hours_by_volunteer(session: Session, logs: Subquery) -> list[Hours]:
    """Return the logs by volunteer, the most time first."""
    minutes = func.sum(logs.c.minutes)
    rows = session.execute(
        select(User.display_name, func.count(), minutes)
        .select_from(logs)
        .join(Membership, Membership.id == logs.c.membership_id)
        .join(User, User.id == Membership.user_id)
        .group_by(Membership.id, User.display_name)
        .order_by(minutes.desc(), User.display_name, Membership.id)
    )
    return [Hours(name, count, int(total)) for name, count, total in rows]


def _earned(
    session: Session, bank: TimeBank, organisation: Organisation | None, period: Period
) -> dict[date, int]:
    """Return the minutes members earned by volunteering in each month.

    An organisation's are those earned by its hour logs.
    """
    query = _credits_by_month(bank, period, kind="earn")
    if organisation is not None:
        query = query.where(
            transactions.c.id.in_(
                select(HourLog.transaction_id).where(
                    HourLog.organisation_id == organisation.id
                )
            )
        )
    return _by_month(session, query)


def _spent(
    session: Session, bank: TimeBank, organisation: Organisation | None, period: Period
) -> dict[date, int]:
    """Return the minutes members spent at spend partners in each month.

    An organisation's are those spent at it.
    """
    query = _credits_by_month(bank, period, kind="spend")
    if organisation is not None:
        query = query.where(postings.c.account_id == organisation.account_id)
    return _by_month(session, query)


def _credits_by_month(
    bank: TimeBank, period: Period, *, kind: str
) -> Select[int, int, Any]:
    """Select the minutes credited by posted, unreversed entries of a kind, by month.

    Every earn and spend credits one account (the member who earns, the
    partner paid) and debits another by as much.
    """
    year = extract("year", transactions.c.service_date)
    month = extract("month", transactions.c.service_date)
    return (
        select(year, month, func.sum(postings.c.minutes))
        .join(transactions, transactions.c.id == postings.c.transaction_id)
        .where(
            transactions.c.book_id == bank.book_id,
            transactions.c.kind == kind,
            transactions.c.status == "posted",
            transactions.c.reversed_by_id.is_(None),
            transactions.c.service_date >= period.first_day,
            transactions.c.service_date <= period.last_day,
            postings.c.minutes > 0,
        )
        .group_by(year, month)
    )


def _by_month(session: Session, query: Select[int, int, Any]) -> dict[date, int]:
    return {
        date(int(y), int(m), 1): int(minutes)
        for y, m, minutes in session.execute(query)
    }


def _new_members(
    session: Session, bank: TimeBank, organisation: Organisation | None, period: Period
) -> int:
    """Count who joined the bank, or first volunteered for the organisation."""
    if organisation is None:
        query = select(func.count()).where(
            Membership.time_bank_id == bank.id,
            Membership.joined_at >= datetime.combine(period.first_day, time(), UTC),
            Membership.joined_at < datetime.combine(period.day_after, time(), UTC),
        )
    else:
        first_logs = (
            select(func.min(HourLog.service_date).label("first_day"))
            .where(
                HourLog.organisation_id == organisation.id,
                HourLog.status == Decision.APPROVED.value,
            )
            .group_by(HourLog.membership_id)
            .subquery()
        )
        query = select(func.count()).where(
            first_logs.c.first_day >= period.first_day,
            first_logs.c.first_day <= period.last_day,
        )
    return session.scalar(query) or 0


def _top_activities(
    session: Session, bank: TimeBank, organisation: Organisation | None, period: Period
) -> list[ActivitySpend]:
    """Return the activities most credits were spent on, unreversed spends only."""
    minutes = func.sum(Spend.minutes)
    query = (
        select(Activity.name, Organisation.name, func.count(Spend.id), minutes)
        .join(Activity, Activity.id == Spend.activity_id)
        .join(Organisation, Organisation.id == Spend.organisation_id)
        .join(transactions, transactions.c.id == Spend.transaction_id)
        .where(
            Spend.time_bank_id == bank.id,
            Spend.service_date >= period.first_day,
            Spend.service_date <= period.last_day,
            transactions.c.status == "posted",
            transactions.c.reversed_by_id.is_(None),
        )
        .group_by(Activity.id, Activity.name, Organisation.name)
        .order_by(minutes.desc(), Activity.name, Activity.id)
        .limit(TOP_ACTIVITIES)
    )
    if organisation is not None:
        query = query.where(Spend.organisation_id == organisation.id)
    return [
        ActivitySpend(name, partner, count, int(total))
        for name, partner, count, total in session.execute(query)
    ]
