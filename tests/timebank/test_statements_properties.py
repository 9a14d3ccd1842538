"""Statements add up, for random histories, periods and moments of issue.

Each example writes a few entries straight into the ledger for Ana, with
random service dates and random recorded times (some pending, posted or
voided later, some reversed), then reads statements of random periods as
of random moments. The Riverside bank is shared by the examples, so the
history only grows; the properties must hold however long it is.
"""

from contextlib import suppress
from datetime import UTC, date, datetime, timedelta
from itertools import count

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

import ledger
from ledger.errors import LedgerError
from ledger.schema import accounts
from timebank.banks.models import TimeBank
from timebank.banks.rules import today
from timebank.people.models import Membership
from timebank.periods import Period
from timebank.statements.services import Statement, read_statement

from .factories import Riverside, open_riverside, run

FIRST_SERVICE_DAY = date(2025, 1, 1)
SERVICE_DAYS = 90
# Every example's entries are recorded after the last one's.
_clock = count()

ENTRY = st.tuples(
    st.sampled_from(["earn", "spend", "reverse"]),
    st.sampled_from([15, 30, 60, 120]),
    st.integers(min_value=0, max_value=SERVICE_DAYS - 1),
    st.sampled_from(["posted", "pending", "posted later", "voided later"]),
)
DAY = st.integers(min_value=0, max_value=SERVICE_DAYS + 5)


def moment() -> datetime:
    """Return the next moment of the fake clock the entries are recorded on."""
    return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=next(_clock))


def write_entry(
    s: Session, ana: int, issuance: int, entry: tuple[str, int, int, str]
) -> None:
    what, minutes, day, status = entry
    conn = s.connection()
    if what == "reverse":
        posted = s.scalars(
            select(ledger.schema.transactions.c.id)
            .join(ledger.schema.postings)
            .where(
                ledger.schema.postings.c.account_id == ana,
                ledger.schema.transactions.c.status == "posted",
                ledger.schema.transactions.c.kind != "reversal",
                ledger.schema.transactions.c.reversed_by_id.is_(None),
            )
        ).first()
        if posted is not None:
            ledger.reverse_transaction(conn, posted, now=moment())
        return
    payer, payee = (issuance, ana) if what == "earn" else (ana, issuance)
    recorded = ledger.transfer(
        conn,
        from_account_id=payer,
        to_account_id=payee,
        minutes=minutes,
        kind="earn" if what == "earn" else "spend",
        service_date=FIRST_SERVICE_DAY + timedelta(days=day),
        pending=status != "posted",
        now=moment(),
    )
    if status == "posted later":
        ledger.post_pending(conn, recorded.id, now=moment())
    elif status == "voided later":
        ledger.void_pending(conn, recorded.id, now=moment())


def statement(
    s: Session, ana: int, first: int, last: int, as_of: datetime
) -> Statement:
    return read_statement(
        s,
        account_id=ana,
        period=Period(
            FIRST_SERVICE_DAY + timedelta(days=first),
            FIRST_SERVICE_DAY + timedelta(days=last),
        ),
        as_of=as_of,
        number="ST-00000000",
        bank_name="Riverside",
    )


@pytest.fixture
def place(engine: Engine) -> tuple[Engine, Riverside, int, int]:
    riverside = open_riverside(engine)

    def ids(s: Session) -> tuple[int, int]:
        bank = s.get_one(TimeBank, riverside.bank_id)
        issuance = s.scalars(
            select(accounts.c.id).where(
                accounts.c.book_id == bank.book_id, accounts.c.kind == "issuance"
            )
        ).one()
        return s.get_one(Membership, riverside.ana_id).account_id, issuance

    return (engine, riverside, *run(engine, ids))


def post_everything_pending(s: Session, ana: int) -> None:
    """Post Ana's pending entries, as a broker approving them would."""
    pending = s.scalars(
        select(ledger.schema.transactions.c.id)
        .join(ledger.schema.postings)
        .where(
            ledger.schema.postings.c.account_id == ana,
            ledger.schema.transactions.c.status == "pending",
        )
    ).all()
    for transaction_id in pending:
        ledger.post_pending(s.connection(), transaction_id, now=moment())


def write_all(
    engine: Engine, ana: int, issuance: int, entries: list[tuple[str, int, int, str]]
) -> None:
    for entry in entries:
        # A spend or reversal beyond Ana's credit is refused and leaves no trace.
        with suppress(LedgerError):
            run(engine, lambda s, e=entry: write_entry(s, ana, issuance, e))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    entries=st.lists(ENTRY, min_size=1, max_size=8),
    later=st.lists(ENTRY, max_size=4),
    bounds=st.tuples(DAY, DAY).map(sorted),
)
def test_opening_plus_the_lines_is_the_closing_balance(
    place: tuple[Engine, Riverside, int, int],
    entries: list[tuple[str, int, int, str]],
    later: list[tuple[str, int, int, str]],
    bounds: list[int],
) -> None:
    """Opening + the sum of the lines = closing, and stays so as the books grow.

    The period is first_day to last_day, both included, by service date; the
    opening balance is every entry served before first_day and posted before
    the moment of issue, the closing balance adds the lines. The closing
    balance is also what the ledger sums to up to last_day, and the next
    day's period opens with it. Entries written or posted after the moment,
    back-dated into the period or not, change nothing in it; a statement of
    all days as of now ends at the account's balance.
    """
    engine, _, ana, issuance = place
    first, last = bounds
    write_all(engine, ana, issuance, entries)
    as_of = moment()
    issued = run(engine, lambda s: statement(s, ana, first, last, as_of))
    write_all(engine, ana, issuance, later)
    with suppress(LedgerError):
        run(engine, lambda s: post_everything_pending(s, ana))

    def check(s: Session) -> None:
        this = statement(s, ana, first, last, as_of)
        following = statement(s, ana, last + 1, last + 1, as_of)
        # Reversals are served on the day they are made: today.
        days = (today() - FIRST_SERVICE_DAY).days
        everything = statement(s, ana, 0, days, moment())
        lines = [line.minutes for line in this.lines]

        assert this == issued
        assert this.opening_minutes + sum(lines) == this.closing_minutes
        assert this.closing_minutes == ledger.posted_balance(
            s.connection(),
            ana,
            service_before=this.period.day_after,
            posted_before=as_of,
        )
        assert following.opening_minutes == this.closing_minutes
        assert [line.balance_minutes for line in this.lines] == [
            this.opening_minutes + sum(lines[: i + 1]) for i in range(len(lines))
        ]
        assert everything.opening_minutes == 0
        assert (
            everything.closing_minutes
            == ledger.get_account(s.connection(), ana).balance_minutes
        )
        totals = this.totals
        assert this.closing_minutes == (
            this.opening_minutes
            + totals.earned_minutes
            - totals.spent_minutes
            - totals.gifted_minutes
            + totals.received_minutes
            + totals.other_minutes
        )

    run(engine, check)
