"""Reading an account: its history, filtered and paged, and its monthly totals."""

from datetime import date
from functools import partial
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

import ledger
from timebank.accounts.services import (
    HISTORY_KINDS,
    HISTORY_PAGE_SIZE,
    AccountOwner,
    HistoryPage,
    Month,
    account_history,
    list_account_entries,
    monthly_totals,
    open_account,
)
from timebank.banks.models import TimeBank
from timebank.errors import NotFound, NotPermitted
from timebank.people.models import Membership

from .factories import (
    Riverside,
    ana_gives_ben,
    ana_swims,
    days_ago,
    earn,
    give_ana_one_entry_of_each_kind,
    open_riverside,
    run,
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


def accounts_of_riverside(engine: Engine, place: Riverside) -> dict[str, int]:
    """Return the ids of every kind of account in the place's time bank."""

    def work(s: Session) -> dict[str, int]:
        return {
            "ana": account_of(s, place.ana_id),
            "charity": place.charity.account_id,
            "leisure": place.leisure.account_id,
            "pool": s.get_one(TimeBank, place.bank_id).pool_account_id,
            "issuance": issuance_account_of(s, place),
        }

    return run(engine, work)


def test_each_person_opens_exactly_the_accounts_their_roles_show_them(
    engine: Engine, riverside: Riverside
) -> None:
    accounts = accounts_of_riverside(engine, riverside)
    everything = set(accounts)
    may_open = {
        riverside.ana: {"ana"},
        riverside.ben: set(),
        riverside.charity_admin: {"charity"},
        riverside.broker: everything,
        riverside.admin: everything,
    }
    for actor, expected in may_open.items():
        for name, account_id in accounts.items():
            work = partial(open_account, actor=actor, account_id=account_id)
            if name in expected:
                account, _ = run(engine, work)
                assert account.id == account_id
            else:
                with pytest.raises(NotPermitted):
                    run(engine, work)


def test_an_account_names_its_owner(engine: Engine, riverside: Riverside) -> None:
    accounts = accounts_of_riverside(engine, riverside)

    def owner(name: str) -> AccountOwner:
        account_id = accounts[name]
        account, found = run(
            engine,
            partial(open_account, actor=riverside.broker, account_id=account_id),
        )
        assert account.kind == found.kind
        return found

    assert owner("ana") == AccountOwner("member", riverside.ana_id, "Ana")
    assert owner("charity") == AccountOwner(
        "organisation", riverside.charity.id, "Riverside Food Bank"
    )
    assert owner("pool") == AccountOwner("pool", None, "Community pool")
    assert owner("issuance") == AccountOwner(
        "issuance", None, "Time bank (credits issued)"
    )


def test_an_account_outside_the_actors_time_banks_does_not_exist(
    engine: Engine, riverside: Riverside
) -> None:
    elsewhere = open_riverside(engine)
    for account_id in accounts_of_riverside(engine, riverside).values():
        with pytest.raises(NotFound, match=f"no account {account_id} in your"):
            run(
                engine,
                partial(open_account, actor=elsewhere.admin, account_id=account_id),
            )
    with pytest.raises(NotFound, match="no account 999999999 in your"):
        run(
            engine,
            partial(open_account, actor=riverside.admin, account_id=999_999_999),
        )


def test_account_entries_keep_both_days_named_and_pages_of_the_size_asked(
    engine: Engine, riverside: Riverside
) -> None:
    books = give_ana_one_entry_of_each_kind(engine, riverside)
    ana = run(engine, lambda s: account_of(s, riverside.ana_id))

    def entries(**filters: Any) -> HistoryPage:
        return run(
            engine,
            partial(
                list_account_entries, actor=riverside.ana, account_id=ana, **filters
            ),
        )

    days = entries(first_day=days_ago(15), last_day=days_ago(10))
    assert memos(days) == [books.gifts, books.exchanges]
    assert memos(entries(last_day=date.max)) == memos(entries())
    assert memos(entries(kind="spends")) == [books.spends]
    first = entries(limit=3)
    assert memos(first) == [books.reversals, books.spends, books.gifts]
    rest = entries(limit=3, cursor=first.next_cursor)
    assert memos(rest) == [books.exchanges, books.earned]
    assert rest.next_cursor is None


def test_account_entries_are_read_only_by_whoever_may_open_the_account(
    engine: Engine, riverside: Riverside
) -> None:
    give_ana_one_entry_of_each_kind(engine, riverside)
    leisure = riverside.leisure.account_id
    with pytest.raises(NotPermitted):
        run(
            engine,
            partial(list_account_entries, actor=riverside.ana, account_id=leisure),
        )
    page = run(
        engine,
        partial(list_account_entries, actor=riverside.broker, account_id=leisure),
    )
    assert [(line.minutes, line.counterparty) for line in page.lines] == [(60, "Ana")]
