"""Spending credits on the web: an activity at its price, refusals, sending twice."""

import re
from collections.abc import Callable

from sqlalchemy import Engine
from sqlalchemy.orm import Session

import ledger
from timebank.people.models import User
from timebank.spending.models import Spend

from ..factories import (
    Riverside,
    balance,
    days_ago,
    earn,
    open_riverside,
    rows_in_bank,
    run,
)
from .conftest import Browser, forbidden, refusal_beside


def spend_form(riverside: Riverside, **changes: str) -> dict[str, str]:
    return {
        "activity_id": str(riverside.swim.id),
        "service_date": days_ago(1).isoformat(),
        **changes,
    }


def partner_balance(engine: Engine, place: Riverside) -> int:
    def work(s: Session) -> int:
        account_id = place.leisure.account_id
        return ledger.get_account(s.connection(), account_id).balance_minutes

    return run(engine, work)


def test_the_form_lists_each_activity_with_its_place_and_price(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    earn(engine, riverside, riverside.ana, 45)
    page = browser_for(riverside.ana).get(f"/banks/{riverside.slug}/spend")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert re.search(r"<dt>You can use</dt><dd>45 min</dd>", text)
    assert (
        f'<option value="{riverside.swim.id}">Swim at Leisure Centre, 1 h</option>'
        in text
    )
    assert f'value="{days_ago(0).isoformat()}"' in text


def test_a_member_spends_the_price_of_an_activity(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    earn(engine, riverside, riverside.ana, 120)
    ana = browser_for(riverside.ana)
    response = ana.submit(f"/banks/{riverside.slug}/spend", spend_form(riverside))
    assert response.status_code == 302
    assert response.location == f"/banks/{riverside.slug}/"
    (spend,) = rows_in_bank(engine, Spend, riverside)
    assert (spend.minutes, spend.service_date, spend.membership_id) == (
        60,
        days_ago(1),
        riverside.ana_id,
    )
    assert balance(engine, riverside.ana_id).balance_minutes == 60
    assert partner_balance(engine, riverside) == 60
    text = ana.get(response.location).get_data(as_text=True)
    assert "You spent 1 h on Swim at Leisure Centre." in text


def test_a_spend_with_no_date_is_dated_today(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    earn(engine, riverside, riverside.ana, 60)
    response = browser_for(riverside.ana).submit(
        f"/banks/{riverside.slug}/spend", spend_form(riverside, service_date="")
    )
    assert response.status_code == 302
    (spend,) = rows_in_bank(engine, Spend, riverside)
    assert spend.service_date == days_ago(0)


def test_a_form_sent_twice_spends_once(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    earn(engine, riverside, riverside.ana, 180)
    landing = browser_for(riverside.ana).submit_twice(
        f"/banks/{riverside.slug}/spend", spend_form(riverside)
    )
    assert "already sent" in landing
    assert len(rows_in_bank(engine, Spend, riverside)) == 1
    assert balance(engine, riverside.ana_id).balance_minutes == 120


def test_an_activity_costing_more_than_you_can_use_is_refused_beside_it(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    earn(engine, riverside, riverside.ana, 45)
    ana = browser_for(riverside.ana)
    url = f"/banks/{riverside.slug}/spend"
    refusal = refusal_beside(engine, ana, url, spend_form(riverside), "activity_id")
    assert refusal == "There is not enough credit for this: 45 min can be used."


def test_bad_fields_are_shown_beside_them_and_change_nothing(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    earn(engine, riverside, riverside.ana, 120)
    elsewhere = open_riverside(engine)
    ana = browser_for(riverside.ana)
    url = f"/banks/{riverside.slug}/spend"
    cases = {
        "unknown activity": (
            {"activity_id": "999999999"},
            "activity_id",
            "no activity",
        ),
        "activity of another bank": (
            {"activity_id": str(elsewhere.swim.id)},
            "activity_id",
            "no activity",
        ),
        "no activity": ({"activity_id": ""}, "activity_id", "Choose an activity"),
        "not an id": ({"activity_id": "swim"}, "activity_id", "Choose an activity"),
        "negative id": ({"activity_id": "-1"}, "activity_id", "Choose an activity"),
        "huge id": ({"activity_id": "9" * 30}, "activity_id", "Choose an activity"),
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
        "not a date": ({"service_date": "31/12/2025"}, "service_date", "as a date"),
    }
    for case, (changes, field, message) in cases.items():
        data = spend_form(riverside, **changes)
        assert message in refusal_beside(engine, ana, url, data, field), case


def test_someone_who_does_not_earn_or_pay_credits_cannot_spend(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    admin = browser_for(riverside.admin)
    url = f"/banks/{riverside.slug}/spend"
    why = forbidden(engine, admin, url, spend_form(riverside))
    assert "who earns and pays credits" in why
