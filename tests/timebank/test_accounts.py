"""Reading an account: its history, filtered and paged, and its monthly totals."""

from datetime import date

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

import ledger
from timebank.accounts.services import (
    HISTORY_KINDS,
    HISTORY_PAGE_SIZE,
    HistoryPage,
    Month,
    account_history,
    monthly_totals,
)
from timebank.banks.models import TimeBank
from timebank.people.models import Membership
from timebank.spending.services import record_spend

from .factories import (
    Riverside,
    ana_gives_ben,
    days_ago,
    earn,
    give_ana_one_entry_of_each_kind,
    run,
)


def ana_swims(engine: Engine, place: Riverside) -> None:
    """Pay the leisure centre for a swim from Ana's account."""
    run(
        engine,
        lambda s: record_spend(
            s,
            actor=place.ana,
            time_bank_id=place.bank_id,
            member_id=place.ana_id,
            activity_id=place.swim.id,
        ),
    )


def history_of(engine: Engine, member_id: int, **filters: object) -> HistoryPage:
    def work(s: Session) -> HistoryPage:
        member = s.get_one(Membership, member_id)
        return account_history(s, member=member, **filters)  # type: ignore[arg-type]

    return run(engine, work)


def memos(page: HistoryPage) -> list[str]:
    return [line.memo for line in page.lines]


def test_history_lists_every_entry_newest_first_with_the_other_side(
    engine: Engine, riverside: Riverside
) -> None:
    books = give_ana_one_entry_of_each_kind(engine, riverside)

    page = history_of(engine, riverside.ana_id)

    assert memos(page) == [
        books.reversals,
        books.spends,
        books.gifts,
        books.exchanges,
        books.earned,
    ]
    assert [line.counterparty for line in page.lines] == [
        "Ben",
        "Leisure Centre",
        "Ben",
        "Ben",
        "Time bank (credits issued)",
    ]
    assert [line.minutes for line in page.lines] == [15, -60, -15, -60, 180]
    assert page.next_cursor is None


@pytest.mark.parametrize("choice", sorted(HISTORY_KINDS))
def test_each_choice_of_kind_keeps_exactly_its_entries(
    engine: Engine, riverside: Riverside, choice: str
) -> None:
    books = give_ana_one_entry_of_each_kind(engine, riverside)

    page = history_of(engine, riverside.ana_id, kinds=HISTORY_KINDS[choice])

    every_kind = [books.reversals, books.spends, books.gifts, books.exchanges]
    expected = (
        [*every_kind, books.earned] if choice == "all" else [getattr(books, choice)]
    )
    assert memos(page) == expected


def test_service_dates_keep_the_range_from_its_first_day_to_before_its_end(
    engine: Engine, riverside: Riverside
) -> None:
    books = give_ana_one_entry_of_each_kind(engine, riverside)

    page = history_of(
        engine,
        riverside.ana_id,
        service_from=days_ago(15),
        service_before=days_ago(5),
    )
    latest = history_of(engine, riverside.ana_id, service_from=days_ago(5))
    exchanges_before = history_of(
        engine, riverside.ana_id, service_before=days_ago(14), kinds=("exchange",)
    )

    assert memos(page) == [books.gifts, books.exchanges]
    assert memos(latest) == [books.reversals, books.spends]
    assert memos(exchanges_before) == [books.exchanges]


def test_pages_of_25_walk_every_entry_of_a_kind_exactly_once(
    engine: Engine, riverside: Riverside
) -> None:
    earn(engine, riverside, riverside.ana, 10 * 60)
    gifts = []
    for number in range(HISTORY_PAGE_SIZE + 2):
        gifts.append(ana_gives_ben(engine, riverside, f"Gift {number}").message)
        if number % 9 == 0:
            ana_swims(engine, riverside)

    first = history_of(engine, riverside.ana_id, kinds=("gift",))
    second = history_of(
        engine, riverside.ana_id, kinds=("gift",), cursor=first.next_cursor
    )

    assert len(first.lines) == HISTORY_PAGE_SIZE
    assert second.next_cursor is None
    assert memos(first) + memos(second) == gifts[::-1]


def test_a_cursor_the_ledger_did_not_make_is_refused(
    engine: Engine, riverside: Riverside
) -> None:
    with pytest.raises(ledger.errors.InvalidRequest, match="cursor"):
        history_of(engine, riverside.ana_id, cursor="page-2")


ON = date(2025, 6, 15)


def issuance_account_of(s: Session, place: Riverside) -> int:
    bank = s.get_one(TimeBank, place.bank_id)
    return ledger.get_book(s.connection(), bank.book_id).issuance_account_id


def account_of(s: Session, member_id: int) -> int:
    return s.get_one(Membership, member_id).account_id


def test_monthly_totals_chart_posted_earnings_and_spending_by_service_month(
    engine: Engine, riverside: Riverside
) -> None:
    def record_the_year(s: Session) -> tuple[int, int]:
        conn = s.connection()
        issuance = issuance_account_of(s, riverside)
        ana, ben = account_of(s, riverside.ana_id), account_of(s, riverside.ben_id)
        leisure = riverside.leisure.account_id

        def entry(
            payer: int,
            payee: int,
            minutes: int,
            kind: str,
            day: date,
            *,
            pending: bool = False,
        ) -> ledger.Transaction:
            return ledger.transfer(
                conn,
                from_account_id=payer,
                to_account_id=payee,
                minutes=minutes,
                kind=kind,
                service_date=day,
                pending=pending,
            )

        entry(issuance, ana, 60, "earn", date(2024, 6, 30))  # before the first month
        entry(issuance, ana, 120, "earn", date(2024, 7, 1))
        entry(issuance, ben, 60, "earn", date(2024, 12, 31))
        entry(ben, ana, 30, "exchange", date(2025, 1, 31))
        entry(ana, ben, 15, "gift", date(2025, 3, 3))  # gifts are not charted
        entry(ana, ben, 45, "exchange", date(2025, 4, 1), pending=True)
        dropped = entry(issuance, ana, 30, "earn", date(2025, 4, 2), pending=True)
        ledger.void_pending(conn, dropped.id)
        entry(ana, leisure, 60, "spend", date(2025, 6, 30))  # later in on's month
        entry(issuance, ana, 15, "earn", date(2025, 7, 1))  # after on's month
        return ana, ben

    ana, ben = run(engine, record_the_year)

    anas = run(engine, lambda s: monthly_totals(s, ana, on=ON))
    bens = run(engine, lambda s: monthly_totals(s, ben, on=ON))

    firsts = [date(2024 + (6 + n) // 12, (6 + n) % 12 + 1, 1) for n in range(12)]
    assert [month.first_day for month in anas] == firsts
    assert firsts[0] == date(2024, 7, 1) and firsts[-1] == date(2025, 6, 1)
    ana_figures = {m.first_day: (m.earned_minutes, m.spent_minutes) for m in anas}
    assert ana_figures == {
        **{first: (0, 0) for first in firsts},
        date(2024, 7, 1): (120, 0),
        date(2025, 1, 1): (30, 0),
        date(2025, 6, 1): (0, 60),
    }
    ben_figures = {m.first_day: (m.earned_minutes, m.spent_minutes) for m in bens}
    assert ben_figures == {
        **{first: (0, 0) for first in firsts},
        date(2024, 12, 1): (60, 0),
        date(2025, 1, 1): (0, 30),
    }


def test_monthly_totals_of_a_new_account_are_twelve_empty_months(
    engine: Engine, riverside: Riverside
) -> None:
    ana = run(engine, lambda s: account_of(s, riverside.ana_id))

    months = run(engine, lambda s: monthly_totals(s, ana, on=date(2026, 1, 1)))

    assert months == [
        *[Month(date(2025, m, 1), 0, 0) for m in range(2, 13)],
        Month(date(2026, 1, 1), 0, 0),
    ]
