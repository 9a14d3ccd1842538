"""Credit statements: what an account's books said over a period, checkable later.

A statement is "as recorded up to" the moment it was issued: it holds the
posted entries whose service date is in the period and which were posted
before that moment. Back-dated entries posted later land in later
statements, never in one already issued, so an issued statement read again
from the append-only books is the same statement. Each one issued is kept
(number, account, period, moment, SHA-256 of its canonical contents), and
verify_statement reads it again and compares.

The opening balance is the sum of the entries served before the first day
and posted before the moment of issue; the closing balance adds the
period's lines. So opening + lines = closing, and the closing balance of
one period is the opening of the next issued at the same moment.

Bulk printing runs every member's statement of a time bank (or of an
organisation's volunteers) into one PDF or one ZIP, a statement per unit of
work, so memory stays flat however many there are.
"""

import hashlib
import json
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import islice
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

import ledger
from ledger.schema import accounts
from timebank.accounts.services import (
    EARNED_KINDS,
    SPENT_KINDS,
    Month,
    account_labels,
    describe_entries,
    open_account,
)
from timebank.banks.models import TimeBank
from timebank.banks.rules import today
from timebank.decisions import Decision
from timebank.errors import (
    NotPermitted,
    UnknownFileFormat,
    UnknownPrintRun,
    UnknownStatement,
)
from timebank.hour_logs.models import HourLog
from timebank.organisations.models import Organisation, OrganisationAdmin
from timebank.organisations.services import open_organisation
from timebank.people.models import Membership, MembershipRole, Role, User
from timebank.people.services import STAFF, membership_of, require_role
from timebank.periods import Period, check_period
from timebank.unit_of_work import run_use_case

from .models import IssuedStatement, PrintRun
from .pdf import draw_statement, new_canvas, statement_pdf

NUMBER_PREFIX = "ST-"
# A checksum may be given in full (64 hex digits) or by its first 16, as
# printed in large type on each page.
SHORT_CHECKSUM = 16
FILE_FORMATS = ("pdf", "zip")
# How many entries are named (their counterparties looked up) at a time.
NAMING_BATCH = 2000
# How many statements of a print run are issued in one unit of work: fewer
# commits, and few enough to hold in memory until they are drawn.
PRINT_BATCH = 20


@dataclass(frozen=True)
class StatementLine:
    """One entry of the statement, with the balance after it."""

    transaction_id: int
    service_date: date
    recorded_at: datetime
    kind: str
    counterparty: str
    memo: str
    minutes: int
    balance_minutes: int


@dataclass(frozen=True)
class Totals:
    """The period's minutes by what they were.

    earned: into the account by volunteering or exchanges; spent: out of it
    on activities or exchanges; gifted and received: gifts out and in;
    other: the rest, net (reversals, adjustments, an organisation's
    credits issued or accepted). opening + earned - spent - gifted +
    received + other = closing.
    """

    earned_minutes: int
    spent_minutes: int
    gifted_minutes: int
    received_minutes: int
    other_minutes: int


@dataclass(frozen=True)
class Statement:
    """A statement of one account for a period, as issued at a moment."""

    number: str
    checksum: str
    issued_at: datetime
    bank_name: str
    holder: str
    account_id: int
    period: Period
    opening_minutes: int
    lines: list[StatementLine]
    closing_minutes: int
    totals: Totals
    months: list[Month]


@dataclass(frozen=True)
class Verification:
    """What checking a statement's number and checksum found.

    copy_matches: the checksum given is the one issued with that number.
    books_agree: the books, read again as of the moment of issue, give that
    checksum still.
    """

    number: str
    issued_at: datetime
    period: Period
    copy_matches: bool
    books_agree: bool

    @property
    def genuine(self) -> bool:
        """Tell whether the copy is the statement issued, and the books agree."""
        return self.copy_matches and self.books_agree


def statement_number(statement_id: int) -> str:
    """Return the number printed on the statement issued with this id."""
    return f"{NUMBER_PREFIX}{statement_id:08d}"


def issue_statement(
    session: Session,
    *,
    actor: User,
    account_id: int,
    first_day: date,
    last_day: date,
) -> Statement:
    """Issue a statement of an account the actor may see, for a period.

    Who may: as for the account itself (accounts.services.open_account).
    """
    account, _ = open_account(session, actor=actor, account_id=account_id)
    period = check_period(first_day, last_day, today=today())
    return _issue(session, account=account, period=period, issued_by=actor.id)


def verify_statement(session: Session, *, number: str, checksum: str) -> Verification:
    """Check a printed statement's number and checksum against the books."""
    issued = session.get(IssuedStatement, _statement_id(number))
    given = checksum.strip().lower()
    if issued is None:
        raise UnknownStatement(
            _("No statement numbered %(number)r was issued.", number=number.strip())
        )
    bank = session.get_one(TimeBank, issued.time_bank_id)
    again = read_statement(
        session,
        account_id=issued.account_id,
        period=Period(issued.first_day, issued.last_day),
        as_of=issued.issued_at,
        number=statement_number(issued.id),
        bank_name=bank.name,
    )
    return Verification(
        number=statement_number(issued.id),
        issued_at=issued.issued_at,
        period=Period(issued.first_day, issued.last_day),
        copy_matches=len(given) >= SHORT_CHECKSUM and issued.checksum.startswith(given),
        books_agree=again.checksum == issued.checksum,
    )


def read_statement(
    session: Session,
    *,
    account_id: int,
    period: Period,
    as_of: datetime,
    number: str,
    bank_name: str,
) -> Statement:
    """Return an account's statement for a period as the books stood at as_of.

    Its checksum is the SHA-256 of its canonical contents: the number, the
    account, the period, the moment, the opening and closing balances and,
    for each line, the entry, its dates, kind, minutes and description.
    Names are left out, so that a member's erasure leaves it checkable.
    """
    conn = session.connection()
    opening = ledger.posted_balance(
        conn, account_id, service_before=period.first_day, posted_before=as_of
    )
    digest = hashlib.sha256()
    _digest_row(
        digest,
        [number, account_id, str(period.first_day), str(period.last_day)],
    )
    _digest_row(digest, [as_of.astimezone(UTC).isoformat(), opening])
    lines: list[StatementLine] = []
    balance = opening
    entries = ledger.posted_entries(
        conn,
        account_id,
        service_from=period.first_day,
        service_before=period.day_after,
        posted_before=as_of,
    )
    while batch := list(islice(entries, NAMING_BATCH)):
        for entry in describe_entries(session, account_id, batch):
            balance += entry.minutes
            lines.append(
                StatementLine(
                    transaction_id=entry.transaction_id,
                    service_date=entry.service_date,
                    recorded_at=entry.recorded_at,
                    kind=entry.kind,
                    counterparty=entry.counterparty,
                    memo=entry.memo,
                    minutes=entry.minutes,
                    balance_minutes=balance,
                )
            )
            digest.update(
                f"{entry.transaction_id}\t{entry.service_date}\t"
                f"{entry.recorded_at.isoformat()}\t{entry.kind}\t"
                f"{entry.minutes}\t{json.dumps(entry.memo)}\n".encode()
            )
    _digest_row(digest, [balance])
    return Statement(
        number=number,
        checksum=digest.hexdigest(),
        issued_at=as_of,
        bank_name=bank_name,
        holder=account_labels(session, [account_id])[account_id],
        account_id=account_id,
        period=period,
        opening_minutes=opening,
        lines=lines,
        closing_minutes=balance,
        totals=_totals(lines),
        months=_months(period, lines),
    )


def _issue(
    session: Session,
    *,
    account: ledger.Account,
    period: Period,
    issued_by: int | None,
) -> Statement:
    bank = session.scalars(
        select(TimeBank).where(TimeBank.book_id == account.book_id)
    ).one()
    # Entries being posted to the account now wait for this, or this for
    # them: none can be posted before the moment of issue and seen after.
    session.execute(
        select(accounts.c.id).where(accounts.c.id == account.id).with_for_update()
    )
    issued = IssuedStatement(
        time_bank_id=bank.id,
        account_id=account.id,
        first_day=period.first_day,
        last_day=period.last_day,
        issued_at=datetime.now(UTC),
        issued_by=issued_by,
        checksum="",
    )
    session.add(issued)
    session.flush()
    statement = read_statement(
        session,
        account_id=account.id,
        period=period,
        as_of=issued.issued_at,
        number=statement_number(issued.id),
        bank_name=bank.name,
    )
    issued.checksum = statement.checksum
    return statement


def _statement_id(number: str) -> int:
    digits = number.strip().upper().removeprefix(NUMBER_PREFIX)
    if not digits.isdigit() or not 1 <= int(digits) < 2**63:
        raise UnknownStatement(
            _(
                "A statement number looks like %(example)s, not %(number)r.",
                example=statement_number(1234),
                number=number.strip(),
            )
        )
    return int(digits)


def _digest_row(digest: "hashlib._Hash", row: list[object]) -> None:
    digest.update(json.dumps(row, ensure_ascii=False).encode())
    digest.update(b"\n")


def _totals(lines: Sequence[StatementLine]) -> Totals:
    earned = spent = gifted = received = other = 0
    for line in lines:
        if line.minutes > 0 and line.kind in EARNED_KINDS:
            earned += line.minutes
        elif line.minutes < 0 and line.kind in SPENT_KINDS:
            spent -= line.minutes
        elif line.kind == "gift" and line.minutes < 0:
            gifted -= line.minutes
        elif line.kind == "gift":
            received += line.minutes
        else:
            other += line.minutes
    return Totals(earned, spent, gifted, received, other)


def _months(period: Period, lines: Sequence[StatementLine]) -> list[Month]:
    earned = dict.fromkeys(period.months, 0)
    spent = dict.fromkeys(period.months, 0)
    for line in lines:
        month = line.service_date.replace(day=1)
        if line.minutes > 0 and line.kind in EARNED_KINDS:
            earned[month] += line.minutes
        elif line.minutes < 0 and line.kind in SPENT_KINDS:
            spent[month] -= line.minutes
    return [Month(month, earned[month], spent[month]) for month in earned]


# Bulk printing.


def request_print_run(
    session: Session,
    *,
    actor: User,
    time_bank_id: int,
    organisation_id: int | None,
    first_day: date,
    last_day: date,
    file_format: str,
) -> PrintRun:
    """Ask for every member's statement of a time bank, or an organisation's volunteers.

    A time bank's brokers and admins print for all its members; an
    organisation's admins (and they) for those who volunteered for it.
    The statements are printed by print_run, in the background or not.
    """
    if organisation_id is None:
        require_role(session, actor=actor, time_bank_id=time_bank_id, roles=STAFF)
    else:
        open_organisation(
            session,
            actor=actor,
            time_bank_id=time_bank_id,
            organisation_id=organisation_id,
        )
    period = check_period(first_day, last_day, today=today())
    if file_format not in FILE_FORMATS:
        raise UnknownFileFormat(
            _(
                "Statements are printed as one PDF or one ZIP, not %(format)r.",
                format=file_format,
            )
        )
    run = PrintRun(
        time_bank_id=time_bank_id,
        organisation_id=organisation_id,
        requested_by=actor.id,
        first_day=period.first_day,
        last_day=period.last_day,
        file_format=file_format,
        status="queued",
        statement_count=len(_accounts_to_print(session, time_bank_id, organisation_id)),
        done_count=0,
        requested_at=datetime.now(UTC),
    )
    session.add(run)
    session.flush()
    return run


def open_print_run(
    session: Session, *, actor: User, time_bank_id: int, run_id: int
) -> PrintRun:
    """Return a print run of this time bank that the actor asked for, or as staff."""
    run = session.get(PrintRun, run_id)
    viewer = membership_of(session, user=actor, time_bank_id=time_bank_id)
    if run is None or run.time_bank_id != time_bank_id or viewer is None:
        raise UnknownPrintRun(
            _("There is no print run %(id)s in this time bank.", id=run_id)
        )
    if run.requested_by != actor.id and not viewer.roles & set(STAFF):
        raise NotPermitted(
            _(
                "Only whoever asked for these statements, or a broker or admin of "
                "this time bank, may see them."
            )
        )
    return run


def open_printed_file(
    session: Session, *, actor: User, time_bank_id: int, run_id: int
) -> PrintRun:
    """Return a finished print run whose file the actor may download."""
    run = open_print_run(session, actor=actor, time_bank_id=time_bank_id, run_id=run_id)
    if run.status != "done":
        raise UnknownPrintRun(_("These statements are not printed yet."))
    return run


@dataclass(frozen=True)
class PrintScope:
    """Whose statements may be printed: a time bank's members, or a group's volunteers.

    value names it on a form: "bank", or the organisation's id.
    """

    organisation_id: int | None
    label: str

    @property
    def value(self) -> str:
        return "bank" if self.organisation_id is None else str(self.organisation_id)


def print_scopes(
    session: Session, *, actor: User, time_bank_id: int
) -> list[PrintScope]:
    """Return whose statements the actor may print in bulk in this time bank.

    A broker or admin prints for every member, and for any organisation's
    volunteers; an organisation's admin for that organisation's volunteers.
    """
    viewer = membership_of(session, user=actor, time_bank_id=time_bank_id)
    staff = viewer is not None and bool(viewer.roles & set(STAFF))
    query = select(Organisation.id, Organisation.name).where(
        Organisation.time_bank_id == time_bank_id
    )
    if not staff:
        query = query.join(
            OrganisationAdmin, OrganisationAdmin.organisation_id == Organisation.id
        ).where(OrganisationAdmin.membership_id == (viewer.id if viewer else None))
    scopes = [
        PrintScope(row.id, _("Volunteers of %(name)s", name=row.name))
        for row in session.execute(query.order_by(Organisation.name))
    ]
    if staff:
        bank = session.get_one(TimeBank, time_bank_id)
        scopes.insert(
            0, PrintScope(None, _("Every member of %(name)s", name=bank.name))
        )
    if not scopes:
        raise NotPermitted(
            _(
                "Only a broker or admin of this time bank, or an organisation's "
                "admin, may print statements in bulk."
            )
        )
    return scopes


def _accounts_to_print(
    session: Session, time_bank_id: int, organisation_id: int | None
) -> list[int]:
    """Return the accounts of the members to print, in order of name.

    Members are those with the member role: a broker or admin alone has no
    credits of their own.
    """
    query = (
        select(Membership.account_id)
        .join(User, User.id == Membership.user_id)
        .join(MembershipRole, MembershipRole.membership_id == Membership.id)
        .where(
            Membership.time_bank_id == time_bank_id,
            MembershipRole.role == Role.MEMBER.value,
        )
        .order_by(User.display_name, Membership.id)
    )
    if organisation_id is not None:
        volunteered = select(HourLog.membership_id).where(
            HourLog.organisation_id == organisation_id,
            HourLog.status == Decision.APPROVED.value,
        )
        query = query.where(Membership.id.in_(volunteered))
    return list(session.scalars(query))


def print_run(
    engine: Engine,
    *,
    run_id: int,
    path_for: Callable[[PrintRun], Path],
    on_progress: Callable[[int, int], None] | None = None,
) -> PrintRun:
    """Print a queued run's statements: one PDF, or one ZIP of a PDF each.

    The statements are issued PRINT_BATCH at a time, each batch in a unit of
    work that also counts them done, so that a page watching the run sees it
    move; a batch is drawn into the file once it is committed, and then let
    go, so memory stays flat however many there are. A run already started
    (a job delivered twice) is left alone. A run that fails is marked failed
    with the reason, and the error is raised again.
    """
    run, account_ids = run_use_case(lambda s: _start(s, run_id), engine=engine)
    if account_ids is None:
        return run
    path = path_for(run)
    try:
        with _statement_file(path, run.file_format) as write:
            for start in range(0, len(account_ids), PRINT_BATCH):
                batch = account_ids[start : start + PRINT_BATCH]
                done = start + len(batch)
                for statement in _issue_batch(engine, run, batch, done):
                    write(statement)
                if on_progress is not None:
                    on_progress(done, len(account_ids))
    except Exception as error:
        failure = str(error) or type(error).__name__
        run_use_case(lambda s: _finish(s, run_id, failure=failure), engine=engine)
        raise
    return run_use_case(
        lambda s: _finish(s, run_id, file_bytes=path.stat().st_size), engine=engine
    )


def _start(session: Session, run_id: int) -> tuple[PrintRun, list[int] | None]:
    run = session.get(PrintRun, run_id)
    if run is None:
        raise UnknownPrintRun(_("There is no print run %(id)s.", id=run_id))
    if run.status != "queued":
        return run, None
    account_ids = _accounts_to_print(session, run.time_bank_id, run.organisation_id)
    run.status = "running"
    run.statement_count = len(account_ids)
    return run, account_ids


def _issue_batch(
    engine: Engine, run: PrintRun, account_ids: list[int], done: int
) -> list[Statement]:
    return run_use_case(
        lambda s: _issue_in_run(s, run, account_ids, done), engine=engine
    )


def _issue_in_run(
    session: Session, run: PrintRun, account_ids: list[int], done: int
) -> list[Statement]:
    # Who may print was checked when the run was asked for.
    statements = [
        _issue(
            session,
            account=ledger.get_account(session.connection(), account_id),
            period=Period(run.first_day, run.last_day),
            issued_by=run.requested_by,
        )
        for account_id in account_ids
    ]
    session.execute(
        update(PrintRun).where(PrintRun.id == run.id).values(done_count=done)
    )
    return statements


def _finish(
    session: Session,
    run_id: int,
    *,
    file_bytes: int | None = None,
    failure: str | None = None,
) -> PrintRun:
    run = session.get_one(PrintRun, run_id)
    run.status = "failed" if failure is not None else "done"
    run.failure = failure
    run.file_bytes = file_bytes
    run.finished_at = datetime.now(UTC)
    return run


@contextmanager
def _statement_file(
    path: Path, file_format: str
) -> Iterator[Callable[[Statement], None]]:
    """Yield a function that adds a statement to the file at path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if file_format == "zip":
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            yield lambda statement: archive.writestr(
                f"{statement.number}.pdf", statement_pdf(statement)
            )
        return
    with path.open("wb") as output:
        canvas = new_canvas(output)
        yield lambda statement: draw_statement(canvas, statement)
        canvas.save()


def printed_file_name(run: PrintRun) -> str:
    """Return the name a run's file is downloaded under."""
    return f"statements-{run.first_day}-{run.last_day}-{run.id}.{run.file_format}"
