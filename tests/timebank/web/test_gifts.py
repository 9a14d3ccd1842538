"""Giving credits on the web: to a member or the pool, refusals, sending twice."""

import re
from collections.abc import Callable

from sqlalchemy import Engine
from sqlalchemy.orm import Session

import ledger
from timebank.banks.models import TimeBank
from timebank.gifts.models import Gift
from timebank.people.models import User

from ..factories import (
    Riverside,
    balance,
    earn,
    open_riverside,
    rows_in_bank,
    run,
)
from .conftest import Browser, forbidden, refusal_beside


def gift_form(riverside: Riverside, **changes: str) -> dict[str, str]:
    return {
        "recipient": str(riverside.ben_id),
        "hours": "1",
        "minutes": "0",
        "message": "Thank you for the lifts",
        **changes,
    }


def pool_balance(engine: Engine, place: Riverside) -> int:
    def work(s: Session) -> int:
        bank = s.get_one(TimeBank, place.bank_id)
        return ledger.get_account(s.connection(), bank.pool_account_id).balance_minutes

    return run(engine, work)


def test_the_form_shows_what_the_member_can_use_and_to_whom_they_may_give(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    earn(engine, riverside, riverside.ana, 150)
    page = browser_for(riverside.ana).get(f"/banks/{riverside.slug}/gift")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert re.search(r"<dt>You can use</dt><dd>2 h 30 min</dd>", text)
    assert '<option value="pool">The community pool</option>' in text
    assert f'<option value="{riverside.ben_id}">Ben</option>' in text
    assert f'<option value="{riverside.ana_id}">' not in text


def test_a_member_gives_an_hour_to_another_member(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    earn(engine, riverside, riverside.ana, 120)
    ana = browser_for(riverside.ana)
    response = ana.submit(f"/banks/{riverside.slug}/gift", gift_form(riverside))
    assert response.status_code == 302
    assert response.location == f"/banks/{riverside.slug}/"
    assert balance(engine, riverside.ana_id).balance_minutes == 60
    assert balance(engine, riverside.ben_id).balance_minutes == 60
    (gift,) = rows_in_bank(engine, Gift, riverside)
    assert (gift.minutes, gift.status, gift.message) == (
        60,
        "approved",
        "Thank you for the lifts",
    )
    assert "You gave 1 h to Ben." in ana.get(response.location).get_data(as_text=True)


def test_a_gift_to_the_community_pool_fills_the_pool(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    earn(engine, riverside, riverside.ana, 120)
    ana = browser_for(riverside.ana)
    response = ana.submit(
        f"/banks/{riverside.slug}/gift",
        gift_form(riverside, recipient="pool", hours="0", minutes="45", message=""),
    )
    assert response.status_code == 302
    assert pool_balance(engine, riverside) == 45
    assert balance(engine, riverside.ana_id).balance_minutes == 75
    text = ana.get(response.location).get_data(as_text=True)
    assert "You gave 45 min to the community pool." in text


def test_where_gifts_need_approval_the_gift_waits_for_a_broker(
    engine: Engine, browser_for: Callable[[User], Browser]
) -> None:
    place = open_riverside(engine, gift_approval="always")
    earn(engine, place, place.ana, 120)
    ana = browser_for(place.ana)
    response = ana.submit(f"/banks/{place.slug}/gift", gift_form(place))
    assert response.status_code == 302
    (gift,) = rows_in_bank(engine, Gift, place)
    assert gift.status == "pending"
    giver, recipient = balance(engine, place.ana_id), balance(engine, place.ben_id)
    assert (giver.balance_minutes, giver.available_minutes) == (120, 60)
    assert (recipient.balance_minutes, recipient.pending_credit_minutes) == (0, 60)
    assert "waits for a broker" in ana.get(response.location).get_data(as_text=True)


def test_a_form_sent_twice_gives_once(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    earn(engine, riverside, riverside.ana, 120)
    landing = browser_for(riverside.ana).submit_twice(
        f"/banks/{riverside.slug}/gift", gift_form(riverside)
    )
    assert "already sent" in landing
    assert len(rows_in_bank(engine, Gift, riverside)) == 1
    assert balance(engine, riverside.ben_id).balance_minutes == 60


def test_giving_more_than_you_can_use_is_refused_beside_the_amount(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    earn(engine, riverside, riverside.ana, 30)
    ana = browser_for(riverside.ana)
    url = f"/banks/{riverside.slug}/gift"
    refusal = refusal_beside(engine, ana, url, gift_form(riverside), "time")
    assert refusal == "There is not enough credit for this: 30 min can be used."


def test_bad_fields_are_shown_beside_them_and_change_nothing(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    earn(engine, riverside, riverside.ana, 120)
    elsewhere = open_riverside(engine)
    ana = browser_for(riverside.ana)
    url = f"/banks/{riverside.slug}/gift"
    cases = {
        "zero": ({"hours": "0", "minutes": "0"}, "time", "more than zero"),
        "negative": ({"hours": "-1"}, "time", "Enter the hours as a whole number"),
        "off the granularity": ({"minutes": "10"}, "time", "not a multiple"),
        "over the gift limit": (
            {"hours": "100", "minutes": "15"},
            "time",
            "more than the 6000 minutes",
        ),
        "absurdly large": (
            {"hours": "99999999999999999999"},
            "time",
            "is more than the 6000 minutes allowed",
        ),
        "not a number": ({"minutes": "ten"}, "time", "Enter the minutes as a whole"),
        "yourself": ({"recipient": str(riverside.ana_id)}, "recipient", "themselves"),
        "unknown member": ({"recipient": "999999999"}, "recipient", "no member"),
        "member of another bank": (
            {"recipient": str(elsewhere.ben_id)},
            "recipient",
            "no member",
        ),
        "not on the list": ({"recipient": "pool; ben"}, "recipient", "Choose who"),
        "huge id": ({"recipient": "9" * 30}, "recipient", "Choose who"),
        "no recipient": ({"recipient": ""}, "recipient", "Choose who"),
        "long message": ({"message": "x" * 501}, "message", "at most 500"),
    }
    for case, (changes, field, message) in cases.items():
        data = gift_form(riverside, **changes)
        assert message in refusal_beside(engine, ana, url, data, field), case


def test_someone_who_does_not_earn_or_pay_credits_cannot_give(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    admin = browser_for(riverside.admin)
    url = f"/banks/{riverside.slug}/gift"
    why = forbidden(engine, admin, url, gift_form(riverside))
    assert "who earns and pays credits" in why


def test_someone_outside_the_time_bank_finds_no_gift_form(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    stranger = open_riverside(engine).ana
    assert browser_for(stranger).get(f"/banks/{riverside.slug}/gift").status_code == 404
