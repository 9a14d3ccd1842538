"""A time bank's whole ledger as a beancount journal that anyone can check.

The journal opens every account of the bank's book, lists every posted entry
dated with its service date, and ends with a balance assertion for each
account taken from the service's stored totals (the maintained balance, never
a sum of postings). ``bean-check`` then recomputes every balance from the
entries on its own and compares: a journal that passes is evidence that the
stored balances agree with the history.

Amounts are whole minutes in the commodity ``MIN`` (60 MIN is one time
credit), so no amount is ever rounded. Pending entries are left out, since
they have not moved a balance yet, and voided ones never will.

Entries and balances are read from one snapshot of the database: SQLite's
transaction already holds the write lock; PostgreSQL's is made repeatable
read, so that an entry posted while the journal is written is either in both
or in neither.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TextIO

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ledger.clock import from_storage, utc_now
from ledger.schema import account_slots, accounts, postings, transactions
from timebank.accounts.services import account_labels
from timebank.banks.models import TimeBank
from timebank.banks.rules import today
from timebank.banks.services import enter_time_bank, require_time_bank_admin
from timebank.errors import UnknownTimeBank
from timebank.people.models import User

COMMODITY = "MIN"
# Where each kind of account sits among beancount's five roots. The issuance
# account's balance is minus the credits in circulation: the bank's equity.
ROOTS = {
    "member": "Assets:Members",
    "organisation": "Assets:Organisations",
    "pool": "Assets:Pool",
    "issuance": "Equity:Issuance",
}
# Entries are read from the database this many at a time.
BATCH_SIZE = 1000


@dataclass(frozen=True)
class JournalAccount:
    """An account as the journal names it, with its stored balance."""

    id: int
    kind: str
    label: str
    opened_on: date
    balance_minutes: int

    @property
    def name(self) -> str:
        """Return the beancount name: the kind's root and the account's id."""
        return f"{ROOTS[self.kind]}:A{self.id}"


def export_journal(
    session: Session, *, actor: User, slug: str, out: TextIO
) -> TimeBank:
    """Write the journal of a time bank the actor is an admin of to out."""
    _read_one_snapshot(session)
    bank, _ = enter_time_bank(session, actor=actor, slug=slug)
    require_time_bank_admin(session, actor=actor, time_bank_id=bank.id)
    write_journal(session, bank=bank, out=out)
    return bank


def export_journal_for_operator(
    session: Session, *, slug: str, out: TextIO
) -> TimeBank:
    """Write the journal of the time bank at slug, for whoever runs the server."""
    _read_one_snapshot(session)
    bank = session.scalars(select(TimeBank).where(TimeBank.slug == slug)).first()
    if bank is None:
        raise UnknownTimeBank(f"There is no time bank {slug!r}.")
    write_journal(session, bank=bank, out=out)
    return bank


def write_journal(session: Session, *, bank: TimeBank, out: TextIO) -> None:
    """Write a bank's accounts, posted entries and stored balances to out."""
    book_accounts = _accounts(session, bank)
    names = {account.id: account.name for account in book_accounts}
    # An assertion holds at the start of its day, so it comes the day after
    # the last entry; service dates are never in the future, but an old
    # clock's entries may be.
    latest = session.scalar(
        select(func.max(transactions.c.service_date)).where(
            transactions.c.book_id == bank.book_id,
            transactions.c.status == "posted",
        )
    )
    checked_on = max(today(), latest or today()) + timedelta(days=1)
    out.writelines(_header(bank))
    first_day = min(
        [account.opened_on for account in book_accounts], default=checked_on
    )
    out.write(f'{first_day} commodity {COMMODITY}\n  name: "Minutes of time"\n\n')
    for account in book_accounts:
        out.write(
            f"{account.opened_on} open {account.name} {COMMODITY}\n"
            f"  name: {_quoted(account.label)}\n"
            f'  kind: "{account.kind}"\n'
        )
    out.write("\n")
    out.writelines(_entries(session, bank, names))
    for account in book_accounts:
        out.write(
            f"{checked_on} balance {account.name} "
            f"{account.balance_minutes} {COMMODITY}\n"
        )


def _read_one_snapshot(session: Session) -> None:
    """Make every later read of this transaction see the same database.

    It must come before the transaction's first statement.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))


def _accounts(session: Session, bank: TimeBank) -> list[JournalAccount]:
    """Return every account of the bank's book with its stored balance.

    An account split over slots keeps part of its balance in each slot row.
    An account opens on the day it was created, or on its earliest service
    date if an entry was back-dated before that.
    """
    slot_balances = (
        select(
            account_slots.c.account_id,
            func.sum(account_slots.c.balance_minutes).label("minutes"),
        )
        .group_by(account_slots.c.account_id)
        .subquery()
    )
    earliest = (
        select(
            postings.c.account_id,
            func.min(transactions.c.service_date).label("service_date"),
        )
        .join(transactions, transactions.c.id == postings.c.transaction_id)
        .where(
            transactions.c.book_id == bank.book_id, transactions.c.status == "posted"
        )
        .group_by(postings.c.account_id)
        .subquery()
    )
    rows = session.execute(
        select(
            accounts.c.id,
            accounts.c.kind,
            accounts.c.created_at,
            accounts.c.balance_minutes + func.coalesce(slot_balances.c.minutes, 0),
            earliest.c.service_date,
        )
        .outerjoin(slot_balances, slot_balances.c.account_id == accounts.c.id)
        .outerjoin(earliest, earliest.c.account_id == accounts.c.id)
        .where(accounts.c.book_id == bank.book_id)
        .order_by(accounts.c.id)
    ).all()
    labels = account_labels(session, [row.id for row in rows])
    return [
        JournalAccount(
            id=row.id,
            kind=row.kind,
            label=labels.get(row.id, f"Account {row.id}"),
            opened_on=_opened_on(row.created_at, row.service_date),
            balance_minutes=int(row[3]),
        )
        for row in rows
    ]


def _opened_on(created_at: datetime, first_service_date: date | None) -> date:
    if first_service_date is None:
        return created_at.date()
    return min(created_at.date(), first_service_date)


def _header(bank: TimeBank) -> Iterable[str]:
    return [
        f"; {bank.name} ({bank.slug}): every posted entry of its books.\n",
        f"; Exported at {utc_now().isoformat(timespec='seconds')}.\n",
        f"; Amounts are whole minutes in {COMMODITY}: 60 {COMMODITY} is one "
        "time credit.\n",
        "; Entries are dated with the day the service happened. Pending entries "
        "are left\n",
        "; out (they have not moved a balance yet), and so are voided ones.\n",
        "; The balance assertions at the end are the balances the service stores, "
        "read\n",
        "; with the entries: bean-check recomputes each balance from the entries and\n",
        "; compares.\n",
        "\n",
        f'option "title" {_quoted(bank.name)}\n',
        f'option "operating_currency" "{COMMODITY}"\n',
        "\n",
    ]


def _entries(session: Session, bank: TimeBank, names: dict[int, str]) -> Iterator[str]:
    """Yield every posted entry of the book as a beancount transaction."""
    rows = session.execute(
        select(
            transactions.c.id,
            transactions.c.kind,
            transactions.c.memo,
            transactions.c.service_date,
            transactions.c.recorded_at,
            transactions.c.reverses_id,
            postings.c.account_id,
            postings.c.minutes,
        )
        .join(postings, postings.c.transaction_id == transactions.c.id)
        .where(
            transactions.c.book_id == bank.book_id, transactions.c.status == "posted"
        )
        .order_by(transactions.c.id, postings.c.id),
        execution_options={"yield_per": BATCH_SIZE},
    )
    current = None
    for row in rows:
        if row.id != current:
            if current is not None:
                yield "\n"
            current = row.id
            yield f"{row.service_date} * {_quoted(row.memo)} #{row.kind}\n"
            yield f"  entry: {row.id}\n"
            yield f'  recorded: "{_in_utc(row.recorded_at)}"\n'
            if row.reverses_id is not None:
                yield f"  reverses: {row.reverses_id}\n"
        yield f"  {names[row.account_id]}  {row.minutes} {COMMODITY}\n"
    if current is not None:
        yield "\n"


def _in_utc(moment: datetime) -> str:
    """Return a stored time in ISO 8601 and UTC, however the backend gave it back."""
    stored = from_storage(moment)
    return "" if stored is None else stored.isoformat(timespec="seconds")


def _quoted(value: str) -> str:
    """Return value as a beancount string, its quotes and backslashes escaped."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
