"""An account's history: newest first, filtered, a page at a time."""

import base64
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine

import ledger
from ledger import run_in_transaction
from ledger.errors import InvalidRequest

HOUR = 60
START = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)

Gift = Callable[..., ledger.Transaction]
OpenMember = Callable[..., int]
Refused = Callable[..., Any]


def minutes_after_start(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


def history(engine: Engine, account_id: int, **filters: Any) -> ledger.Page:
    return run_in_transaction(
        engine, lambda conn: ledger.list_entries(conn, account_id, **filters)
    )


def every_page(
    engine: Engine, account_id: int, *, most: int, **filters: Any
) -> list[ledger.Page]:
    """Follow the cursors from the first page to the last, failing after most."""
    pages = [history(engine, account_id, **filters)]
    while pages[-1].next_cursor is not None:
        # A cursor that does not move on would otherwise loop for ever.
        assert len(pages) < most, "the cursors never reached a last page"
        pages.append(
            history(engine, account_id, cursor=pages[-1].next_cursor, **filters)
        )
    return pages


def transaction_ids(page: ledger.Page) -> list[int]:
    return [entry.transaction_id for entry in page.entries]


def cursor_of(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.fixture
def giver(open_member: OpenMember) -> int:
    """Return an account that may give without first earning."""
    return open_member(floor=None)


def test_entries_are_listed_newest_first_with_their_details(
    engine: Engine, gift: Gift, open_member: OpenMember, giver: int
) -> None:
    bob = open_member()
    first = gift(giver, bob, HOUR, memo="Gardening", now=minutes_after_start(0))
    second = gift(
        giver,
        bob,
        30,
        memo="Shopping",
        service_date=date(2024, 2, 27),
        now=minutes_after_start(1),
    )

    page = history(engine, giver)

    assert transaction_ids(page) == [second.id, first.id]
    assert page.next_cursor is None
    newest = page.entries[0]
    assert newest.kind == "gift"
    assert newest.status == "posted"
    assert newest.memo == "Shopping"
    assert newest.minutes == -30
    assert newest.service_date == date(2024, 2, 27)
    assert newest.recorded_at == minutes_after_start(1)
    assert [entry.minutes for entry in history(engine, bob).entries] == [30, HOUR]


def test_history_holds_only_the_accounts_own_entries(
    engine: Engine, gift: Gift, open_member: OpenMember, giver: int
) -> None:
    ada = open_member()
    bob = open_member()
    to_ada = gift(giver, ada, HOUR, now=minutes_after_start(0))
    gift(giver, bob, HOUR, now=minutes_after_start(1))

    assert transaction_ids(history(engine, ada)) == [to_ada.id]


def test_pending_voided_and_reversed_entries_show_what_became_of_them(
    engine: Engine, gift: Gift, open_member: OpenMember, giver: int
) -> None:
    bob = open_member()
    held = gift(giver, bob, 15, pending=True, now=minutes_after_start(0))
    dropped = gift(giver, bob, 15, pending=True, now=minutes_after_start(1))
    mistaken = gift(giver, bob, 15, now=minutes_after_start(2))
    run_in_transaction(engine, lambda conn: ledger.void_pending(conn, dropped.id))
    reversal = run_in_transaction(
        engine,
        lambda conn: ledger.reverse_transaction(
            conn, mistaken.id, now=minutes_after_start(3)
        ),
    )

    entries = {entry.transaction_id: entry for entry in history(engine, bob).entries}

    assert entries[held.id].status == "pending"
    assert entries[dropped.id].status == "voided"
    assert entries[mistaken.id].reversed_by_id == reversal.id
    assert entries[reversal.id].reverses_id == mistaken.id
    assert entries[reversal.id].minutes == -15


def test_account_without_entries_has_one_empty_page(
    engine: Engine, open_member: OpenMember
) -> None:
    ada = open_member()

    assert history(engine, ada) == ledger.Page(entries=[], next_cursor=None)


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 8])
def test_pages_visit_every_entry_exactly_once_newest_first(
    engine: Engine, gift: Gift, open_member: OpenMember, giver: int, limit: int
) -> None:
    bob = open_member()
    # Three entries share one recorded time, so the cursor must break ties.
    moments = [0, 1, 1, 1, 2, 3, 3]
    sent = [gift(giver, bob, 15, now=minutes_after_start(m)) for m in moments]

    pages = every_page(engine, giver, most=len(sent), limit=limit)

    listed = [tid for page in pages for tid in transaction_ids(page)]
    assert listed == [entry.id for entry in reversed(sent)]
    assert all(len(page.entries) == limit for page in pages[:-1])
    assert len(pages) == -(-len(sent) // limit)


def test_range_includes_its_start_and_excludes_its_end(
    engine: Engine, gift: Gift, open_member: OpenMember, giver: int
) -> None:
    bob = open_member()
    sent = [gift(giver, bob, 15, now=minutes_after_start(m)) for m in range(4)]

    page = history(
        engine,
        giver,
        recorded_from=minutes_after_start(1),
        recorded_before=minutes_after_start(3),
    )

    assert transaction_ids(page) == [sent[2].id, sent[1].id]


def test_range_bounds_may_be_given_in_any_time_zone(
    engine: Engine, gift: Gift, open_member: OpenMember, giver: int
) -> None:
    bob = open_member()
    sent = [gift(giver, bob, 15, now=minutes_after_start(m)) for m in range(3)]
    new_york = timezone(timedelta(hours=-5))

    page = history(
        engine, giver, recorded_from=minutes_after_start(1).astimezone(new_york)
    )

    assert transaction_ids(page) == [sent[2].id, sent[1].id]


def test_range_bound_without_a_time_zone_is_refused(
    refused: Refused, giver: int
) -> None:
    error = refused(
        InvalidRequest,
        lambda conn: ledger.list_entries(
            conn, giver, recorded_before=datetime(2024, 3, 1, 9, 0)
        ),
    )

    assert str(error) == "The time 2024-03-01T09:00:00 has no time zone."


def test_service_date_range_includes_its_start_and_excludes_its_end(
    engine: Engine, gift: Gift, open_member: OpenMember, giver: int
) -> None:
    bob = open_member()
    # Recorded in the order of the list, so the last is back-dated the furthest.
    days = [date(2024, 2, 27), date(2024, 2, 28), date(2024, 2, 29), date(2024, 2, 26)]
    sent = [
        gift(giver, bob, 15, service_date=day, now=minutes_after_start(m))
        for m, day in enumerate(days)
    ]

    page = history(
        engine,
        giver,
        service_from=date(2024, 2, 27),
        service_before=date(2024, 2, 29),
    )
    from_the_28th = history(engine, giver, service_from=date(2024, 2, 28))
    before_the_27th = history(engine, giver, service_before=date(2024, 2, 27))

    assert transaction_ids(page) == [sent[1].id, sent[0].id]
    assert transaction_ids(from_the_28th) == [sent[2].id, sent[1].id]
    assert transaction_ids(before_the_27th) == [sent[3].id]


def test_service_dates_filter_does_not_reorder_entries_recorded_later(
    engine: Engine, gift: Gift, open_member: OpenMember, giver: int
) -> None:
    bob = open_member()
    recent = gift(
        giver, bob, 15, service_date=date(2024, 2, 29), now=minutes_after_start(0)
    )
    back_dated = gift(
        giver, bob, 15, service_date=date(2024, 2, 1), now=minutes_after_start(1)
    )

    page = history(engine, giver, service_from=date(2024, 2, 1))

    assert transaction_ids(page) == [back_dated.id, recent.id]


def test_empty_service_date_range_lists_nothing(
    engine: Engine, gift: Gift, open_member: OpenMember, giver: int
) -> None:
    bob = open_member()
    gift(giver, bob, 15, service_date=date(2024, 2, 28), now=minutes_after_start(0))

    same_day = history(
        engine,
        giver,
        service_from=date(2024, 2, 28),
        service_before=date(2024, 2, 28),
    )
    backwards = history(
        engine,
        giver,
        service_from=date(2024, 2, 29),
        service_before=date(2024, 2, 1),
    )

    assert same_day == backwards == ledger.Page(entries=[], next_cursor=None)


@pytest.mark.parametrize("bound", ["service_from", "service_before"])
def test_service_date_bound_with_a_time_of_day_is_refused(
    refused: Refused, giver: int, bound: str
) -> None:
    filters: dict[str, Any] = {bound: datetime(2024, 2, 28, 9, 0, tzinfo=UTC)}
    error = refused(
        InvalidRequest, lambda conn: ledger.list_entries(conn, giver, **filters)
    )

    assert str(error) == (
        "A service date is a calendar date, not the time 2024-02-28T09:00:00+00:00."
    )


def test_kinds_filter_keeps_only_entries_of_those_kinds(
    engine: Engine, gift: Gift, open_member: OpenMember, giver: int
) -> None:
    bob = open_member()
    given = gift(giver, bob, 15, now=minutes_after_start(0))
    swapped = run_in_transaction(
        engine,
        lambda conn: ledger.transfer(
            conn,
            from_account_id=giver,
            to_account_id=bob,
            minutes=30,
            kind="exchange",
            now=minutes_after_start(1),
        ),
    )
    undone = run_in_transaction(
        engine,
        lambda conn: ledger.reverse_transaction(
            conn, given.id, now=minutes_after_start(2)
        ),
    )

    gifts = history(engine, giver, kinds=("gift",))
    gifts_and_reversals = history(engine, giver, kinds=("gift", "reversal"))

    assert transaction_ids(gifts) == [given.id]
    assert transaction_ids(gifts_and_reversals) == [undone.id, given.id]
    assert swapped.id in transaction_ids(history(engine, giver))


def test_filters_hold_on_every_page(
    engine: Engine, gift: Gift, open_member: OpenMember, giver: int
) -> None:
    bob = open_member()
    gifts = []
    for m in range(6):
        gifts.append(gift(giver, bob, 15, now=minutes_after_start(2 * m)))
        run_in_transaction(
            engine,
            lambda conn, m=m: ledger.transfer(
                conn,
                from_account_id=giver,
                to_account_id=bob,
                minutes=15,
                kind="exchange",
                now=minutes_after_start(2 * m + 1),
            ),
        )

    pages = every_page(
        engine,
        giver,
        most=3,
        kinds=("gift",),
        recorded_before=minutes_after_start(10),
        limit=2,
    )

    listed = [tid for page in pages for tid in transaction_ids(page)]
    assert listed == [entry.id for entry in reversed(gifts[:5])]


def test_service_dates_filter_holds_on_every_page(
    engine: Engine, gift: Gift, open_member: OpenMember, giver: int
) -> None:
    bob = open_member()
    # Service dates alternate between March (kept) and February (left out).
    sent = [
        gift(
            giver,
            bob,
            15,
            service_date=date(2024, 3 - m % 2, 1 + m),
            now=minutes_after_start(m),
        )
        for m in range(9)
    ]

    pages = every_page(engine, giver, most=3, service_from=date(2024, 3, 1), limit=2)

    listed = [tid for page in pages for tid in transaction_ids(page)]
    assert listed == [entry.id for entry in reversed(sent[::2])]


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor",
        "",
        cursor_of("yesterday|12"),
        cursor_of("2024-03-01T09:00:00+00:00|twelve"),
        cursor_of("2024-03-01T09:00:00|12"),
        cursor_of("2024-03-01T09:00:00+00:00"),
        base64.urlsafe_b64encode(b"\xff\xfe|12").decode(),
        cursor_of(f"2024-03-01T09:00:00+00:00|{2**63}"),
        cursor_of("2024-03-01T09:00:00+00:00|0"),
        cursor_of("9999-12-31T23:59:59-23:59|12"),
    ],
)
def test_cursor_not_made_by_the_ledger_is_refused(
    refused: Refused, giver: int, cursor: str
) -> None:
    error = refused(
        InvalidRequest, lambda conn: ledger.list_entries(conn, giver, cursor=cursor)
    )

    assert str(error) == "The cursor is not one this service made."


@pytest.mark.parametrize("limit", [0, -1, 501])
def test_page_size_outside_its_bounds_is_refused(
    refused: Refused, giver: int, limit: int
) -> None:
    error = refused(
        InvalidRequest, lambda conn: ledger.list_entries(conn, giver, limit=limit)
    )

    assert str(error) == "A page holds 1 to 500 entries."


@pytest.mark.parametrize("limit", [1, 500])
def test_page_size_at_its_bounds_is_accepted(
    engine: Engine, gift: Gift, open_member: OpenMember, giver: int, limit: int
) -> None:
    bob = open_member()
    gift(giver, bob, 15, now=minutes_after_start(0))
    gift(giver, bob, 15, now=minutes_after_start(1))

    page = history(engine, giver, limit=limit)

    assert len(page.entries) == min(limit, 2)
    assert (page.next_cursor is None) == (limit >= 2)
