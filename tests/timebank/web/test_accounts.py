"""A member's account on the web: the dashboard, and the history's filters and pages."""

import html
import re
from collections.abc import Callable
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine
from werkzeug.test import TestResponse

from timebank.accounts.services import HISTORY_PAGE_SIZE
from timebank.people.models import User

from ..factories import (
    Riverside,
    ana_gives_ben,
    days_ago,
    earn,
    give_ana_one_entry_of_each_kind,
    open_riverside,
    snapshot,
)
from .conftest import Browser


def test_a_member_sees_their_balance_and_latest_entry(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    earn(engine, riverside, riverside.ana, 135)
    page = browser_for(riverside.ana).get(f"/banks/{riverside.slug}/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "2 h 15 min" in text
    assert "Sorting donations" in text


def entry_memos(page: TestResponse) -> list[str]:
    """Return the memos of the entries a page lists, in order."""
    return [
        html.unescape(memo)
        for memo in re.findall(r'<span class="memo">([^<]*)</span>', page.text)
    ]


def older_entries_link(page: TestResponse) -> str | None:
    link = re.search(r'<a href="([^"]+)" rel="next">Older entries</a>', page.text)
    return None if link is None else html.unescape(link.group(1))


def test_the_dashboard_links_to_all_of_a_members_entries(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    earn(engine, riverside, riverside.ana, 60)
    own = browser_for(riverside.ana).get(f"/banks/{riverside.slug}/")
    brokers = browser_for(riverside.broker).get(
        f"/banks/{riverside.slug}/members/{riverside.ana_id}/"
    )
    assert f'href="/banks/{riverside.slug}/history">See all entries' in own.text
    assert (
        f'href="/banks/{riverside.slug}/members/{riverside.ana_id}/history">'
        "See all entries" in brokers.text
    )


def test_a_member_sees_all_their_entries_newest_first(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    books = give_ana_one_entry_of_each_kind(engine, riverside)
    page = browser_for(riverside.ana).get(f"/banks/{riverside.slug}/history")
    assert page.status_code == 200
    assert entry_memos(page) == [
        books.reversals,
        books.spends,
        books.gifts,
        books.exchanges,
        books.earned,
    ]
    assert "Your entries" in page.text
    assert "+3 h" in page.text
    assert "Leisure Centre" in page.text
    assert "reversed" in page.text
    assert older_entries_link(page) is None


@pytest.mark.parametrize(
    ("query", "kept"),
    [
        # Both days picked are included: the earn 20 days ago, the gift 10.
        ({"from": days_ago(20), "to": days_ago(10)}, ["gifts", "exchanges", "earned"]),
        ({"from": days_ago(19), "to": days_ago(11)}, ["exchanges"]),
        ({"from": days_ago(5)}, ["reversals", "spends"]),
        ({"to": days_ago(15)}, ["exchanges", "earned"]),
        ({"kind": "earned"}, ["earned"]),
        ({"kind": "exchanges"}, ["exchanges"]),
        ({"kind": "gifts"}, ["gifts"]),
        ({"kind": "spends"}, ["spends"]),
        ({"kind": "reversals"}, ["reversals"]),
        ({"kind": "gifts", "to": days_ago(11)}, []),
        ({"from": "1900-01-01", "to": "9999-12-31", "kind": "all"}, None),
        ({"from": "9999-12-31"}, []),
    ],
)
def test_filters_keep_exactly_the_entries_of_those_days_and_kind(
    engine: Engine,
    riverside: Riverside,
    browser_for: Callable[[User], Browser],
    query: dict[str, object],
    kept: list[str] | None,
) -> None:
    books = give_ana_one_entry_of_each_kind(engine, riverside)
    ana = browser_for(riverside.ana)
    url = f"/banks/{riverside.slug}/history"
    page = ana.get(f"{url}?{urlencode(query)}")
    assert page.status_code == 200
    if kept is None:
        assert entry_memos(page) == entry_memos(ana.get(url))
    else:
        assert entry_memos(page) == [getattr(books, kind) for kind in kept]
    if kept == []:
        assert "No entries match these filters." in page.text


def test_older_entries_walk_every_entry_once_and_keep_the_filters(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    earn(engine, riverside, riverside.ana, 14 * 60)
    gifts = [
        ana_gives_ben(engine, riverside, f"Gift {number}", days_ago(1 + number % 2))
        for number in range(2 * HISTORY_PAGE_SIZE + 3)
    ]
    # Only the gifts of two days ago are asked for, so both filters must hold.
    asked = [gift.message for number, gift in enumerate(gifts) if number % 2]
    ana = browser_for(riverside.ana)
    url: str | None = (
        f"/banks/{riverside.slug}/history?kind=gifts&to={days_ago(2).isoformat()}"
    )
    pages: list[list[str]] = []
    while url is not None:
        assert len(pages) < 3, "the older entries never ended"
        page = ana.get(url)
        assert page.status_code == 200
        pages.append(entry_memos(page))
        url = older_entries_link(page)
        if url is not None:
            assert "kind=gifts" in url and f"to={days_ago(2).isoformat()}" in url
    assert [len(memos) for memos in pages] == [HISTORY_PAGE_SIZE, 1]
    assert [memo for memos in pages for memo in memos] == asked[::-1]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"from": "2026-02-30"}, "from", "Enter the first day as a date"),
        ({"to": "last week"}, "to", "Enter the last day as a date"),
        (
            {"from": "2026-03-02", "to": "2026-03-01"},
            "to",
            "The last day must be on or after the first day.",
        ),
        ({"kind": "loans"}, "kind", "Choose what to show from the list."),
        ({"cursor": "page-2"}, "cursor", "This link to older entries is broken"),
        ({"kind": "gifts", "cursor": "MjAyNnwx"}, "cursor", "is broken or out of date"),
    ],
)
def test_bad_filters_are_refused_beside_their_field_and_show_no_entries(
    engine: Engine,
    riverside: Riverside,
    browser_for: Callable[[User], Browser],
    query: dict[str, str],
    field: str,
    message: str,
) -> None:
    give_ana_one_entry_of_each_kind(engine, riverside)
    ana = browser_for(riverside.ana)
    before = snapshot(engine)
    page = ana.get(f"/banks/{riverside.slug}/history?{urlencode(query)}")
    assert page.status_code == 422
    assert message in page.text
    assert entry_memos(page) == []
    if field != "cursor":
        assert f'<p class="error" id="{field}-error">' in page.text
        assert f'aria-describedby="{field}-error" aria-invalid="true"' in page.text
    assert snapshot(engine) == before


def test_a_broker_or_admin_sees_any_members_entries_in_their_bank(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    books = give_ana_one_entry_of_each_kind(engine, riverside)
    url = f"/banks/{riverside.slug}/members/{riverside.ana_id}/history?kind=gifts"
    for person in (riverside.broker, riverside.admin, riverside.ana):
        page = browser_for(person).get(url)
        assert page.status_code == 200, person.name
        assert entry_memos(page) == [books.gifts], person.name
    assert "Ana's entries" in browser_for(riverside.broker).get(url).text


def test_a_member_may_not_see_another_members_entries(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    give_ana_one_entry_of_each_kind(engine, riverside)
    url = f"/banks/{riverside.slug}/members/{riverside.ana_id}/history"
    for person in (riverside.ben, riverside.charity_admin):
        page = browser_for(person).get(url)
        assert page.status_code == 403, person.name
        assert entry_memos(page) == []


def test_entries_of_another_bank_are_not_found(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    elsewhere = open_riverside(engine)
    give_ana_one_entry_of_each_kind(engine, riverside)
    ours = f"/banks/{riverside.slug}/members/{riverside.ana_id}/history"
    theirs = f"/banks/{riverside.slug}/members/{elsewhere.ana_id}/history"
    other_broker = browser_for(elsewhere.broker)
    assert other_broker.get(ours).status_code == 404
    assert other_broker.get(f"/banks/{riverside.slug}/history").status_code == 404
    assert browser_for(riverside.broker).get(theirs).status_code == 404


def test_history_asks_a_visitor_to_sign_in(
    riverside: Riverside, browser: Browser
) -> None:
    page = browser.get(f"/banks/{riverside.slug}/history")
    assert page.status_code == 302
    assert "/sign-in" in page.location


def test_a_broker_may_reverse_a_members_entry_from_their_account(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    log = earn(engine, riverside, riverside.ana, 60)
    link = f"/banks/{riverside.slug}/entries/{log.transaction_id}/reverse"
    broker_view = browser_for(riverside.broker).get(
        f"/banks/{riverside.slug}/members/{riverside.ana_id}/"
    )
    own_view = browser_for(riverside.ana).get(f"/banks/{riverside.slug}/")
    assert link in broker_view.get_data(as_text=True)
    assert link not in own_view.get_data(as_text=True)
