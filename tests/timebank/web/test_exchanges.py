"""Recording help on the web: paying, waiting for a broker, refusals, sending twice."""

import re
from collections.abc import Callable

from sqlalchemy import Engine

from timebank.exchanges.models import Exchange
from timebank.people.models import User

from ..factories import (
    Riverside,
    balance,
    days_ago,
    earn,
    open_riverside,
    rows_in_bank,
)
from .conftest import Browser, forbidden, refusal_beside


def exchange_form(riverside: Riverside, **changes: str) -> dict[str, str]:
    return {
        "provider_id": str(riverside.ben_id),
        "hours": "1",
        "minutes": "30",
        "service_date": days_ago(2).isoformat(),
        "description": "Fixed my bike",
        **changes,
    }


def test_the_form_shows_what_the_member_can_use_and_who_may_have_helped(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    earn(engine, riverside, riverside.ana, 90)
    page = browser_for(riverside.ana).get(f"/banks/{riverside.slug}/exchange")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert re.search(r"<dt>You can use</dt><dd>1 h 30 min</dd>", text)
    assert f'<option value="{riverside.ben_id}">Ben</option>' in text
    assert f'<option value="{riverside.ana_id}">' not in text
    assert f'max="{days_ago(0).isoformat()}"' in text


def test_help_waits_for_a_broker_where_the_time_bank_asks_for_approval(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    earn(engine, riverside, riverside.ana, 120)
    ana = browser_for(riverside.ana)
    response = ana.submit(f"/banks/{riverside.slug}/exchange", exchange_form(riverside))
    assert response.status_code == 302
    assert response.location == f"/banks/{riverside.slug}/"
    (exchange,) = rows_in_bank(engine, Exchange, riverside)
    assert (
        exchange.status,
        exchange.minutes,
        exchange.provider_id,
        exchange.receiver_id,
        exchange.service_date,
    ) == ("pending", 90, riverside.ben_id, riverside.ana_id, days_ago(2))
    receiver = balance(engine, riverside.ana_id)
    provider = balance(engine, riverside.ben_id)
    assert (receiver.balance_minutes, receiver.available_minutes) == (120, 30)
    assert (provider.balance_minutes, provider.pending_credit_minutes) == (0, 90)
    text = ana.get(response.location).get_data(as_text=True)
    assert "It is paid once a broker approves it" in text


def test_help_is_paid_at_once_where_no_approval_is_needed(
    engine: Engine, browser_for: Callable[[User], Browser]
) -> None:
    place = open_riverside(engine, exchange_approval="never")
    earn(engine, place, place.ana, 120)
    ana = browser_for(place.ana)
    response = ana.submit(f"/banks/{place.slug}/exchange", exchange_form(place))
    assert response.status_code == 302
    (exchange,) = rows_in_bank(engine, Exchange, place)
    assert exchange.status == "approved"
    assert balance(engine, place.ana_id).balance_minutes == 30
    assert balance(engine, place.ben_id).balance_minutes == 90
    text = ana.get(response.location).get_data(as_text=True)
    assert "You paid Ben 1 h 30 min for their help." in text


def test_a_form_sent_twice_pays_once(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    earn(engine, riverside, riverside.ana, 240)
    landing = browser_for(riverside.ana).submit_twice(
        f"/banks/{riverside.slug}/exchange", exchange_form(riverside)
    )
    assert "already sent" in landing
    assert len(rows_in_bank(engine, Exchange, riverside)) == 1
    assert balance(engine, riverside.ana_id).available_minutes == 150


def test_paying_more_than_you_can_use_is_refused_beside_the_amount(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    earn(engine, riverside, riverside.ana, 60)
    ana = browser_for(riverside.ana)
    url = f"/banks/{riverside.slug}/exchange"
    refusal = refusal_beside(engine, ana, url, exchange_form(riverside), "time")
    assert refusal == "There is not enough credit for this: 1 h can be used."


def test_bad_fields_are_shown_beside_them_and_change_nothing(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    earn(engine, riverside, riverside.ana, 120)
    elsewhere = open_riverside(engine)
    ana = browser_for(riverside.ana)
    url = f"/banks/{riverside.slug}/exchange"
    cases = {
        "zero": ({"hours": "0", "minutes": "0"}, "time", "more than zero"),
        "negative": ({"minutes": "-15"}, "time", "Enter the minutes as a whole"),
        "off the granularity": ({"minutes": "20"}, "time", "not a multiple"),
        "longer than a day": (
            {"hours": "24", "minutes": "15"},
            "time",
            "more than the 1440 minutes",
        ),
        "absurdly large": (
            {"hours": "1" + "0" * 30},
            "time",
            "is more than the 1440 minutes allowed",
        ),
        "not a number": ({"hours": "1.5"}, "time", "Enter the hours as a whole"),
        "future date": (
            {"service_date": days_ago(-1).isoformat()},
            "service_date",
            "is in the future",
        ),
        "before the back-dating window": (
            {"service_date": days_ago(31).isoformat()},
            "service_date",
            "more than 30 days ago",
        ),
        "not a date": ({"service_date": "yesterday"}, "service_date", "as a date"),
        "no description": ({"description": "  "}, "description", "Enter what they"),
        "yourself": (
            {"provider_id": str(riverside.ana_id)},
            "provider_id",
            "with themselves",
        ),
        "unknown member": ({"provider_id": "999999999"}, "provider_id", "no member"),
        "member of another bank": (
            {"provider_id": str(elsewhere.ben_id)},
            "provider_id",
            "no member",
        ),
        "huge id": ({"provider_id": "9" * 30}, "provider_id", "Choose who helped"),
        "not an id": ({"provider_id": "ben"}, "provider_id", "Choose who helped"),
    }
    for case, (changes, field, message) in cases.items():
        data = exchange_form(riverside, **changes)
        assert message in refusal_beside(engine, ana, url, data, field), case


def test_someone_who_does_not_earn_or_pay_credits_cannot_pay_for_help(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    admin = browser_for(riverside.admin)
    url = f"/banks/{riverside.slug}/exchange"
    why = forbidden(engine, admin, url, exchange_form(riverside))
    assert "who earns and pays credits" in why
