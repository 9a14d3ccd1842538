"""The queue of approvals on the web: ticking items and deciding them together."""

import re
from collections.abc import Callable

from sqlalchemy import Engine

from timebank.hour_logs.models import HourLog
from timebank.hour_logs.services import approve_hour_log, get_hour_log
from timebank.people.models import User

from ..factories import (
    Riverside,
    balance,
    earn,
    exchange_paid_by_ana,
    log_for,
    open_riverside,
    run,
    snapshot,
)
from .conftest import REQUEST_KEY, TOKEN, Browser


def queue_url(place: Riverside) -> str:
    return f"/banks/{place.slug}/queue"


def key(log: HourLog) -> str:
    return f"hour_log:{log.id}"


def statuses(engine: Engine, logs: list[HourLog]) -> list[str]:
    return run(engine, lambda s: [get_hour_log(s, log.id).status for log in logs])


def test_the_broker_sees_who_what_how_long_and_who_logged_it(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    earn(engine, riverside, riverside.ana, 60)
    ana_logged = log_for(engine, riverside, minutes=135)
    broker_logged = log_for(engine, riverside, actor=riverside.broker)
    exchange = exchange_paid_by_ana(engine, riverside)
    page = browser_for(riverside.broker).get(queue_url(riverside))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "3 items waiting" in text
    for expected in (
        "Volunteering for Riverside Food Bank",
        "Sorting donations",
        "2 h 15 min",
        "by Bea Broker",
        "Ana pays Ben",
        "Fixed a bicycle",
    ):
        assert expected in text
    assert f'value="{key(ana_logged)}"' in text
    assert f'value="exchange:{exchange.id}"' in text
    # Maker-checker: what the broker logged is shown, with no box to tick.
    assert f'value="{key(broker_logged)}"' not in text
    assert "Someone else decides this: you recorded it" in text
    assert text.index(key(ana_logged)) < text.index(f"exchange:{exchange.id}")


def test_the_broker_approves_the_ticked_hour_logs_at_once(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    first = log_for(engine, riverside, minutes=120)
    second = log_for(engine, riverside, minutes=45)
    untouched = log_for(engine, riverside, minutes=60)
    broker = browser_for(riverside.broker)
    response = broker.submit(
        queue_url(riverside),
        {"item": [key(first), key(second)], "decision": "approve"},
    )
    assert response.status_code == 302
    assert response.location == queue_url(riverside)
    assert statuses(engine, [first, second, untouched]) == [
        "approved",
        "approved",
        "pending",
    ]
    assert balance(engine, riverside.ana_id).balance_minutes == 165
    after = broker.get(response.location).get_data(as_text=True)
    assert "Approved 2 items." in after
    assert f'value="{key(first)}"' not in after
    assert f'value="{key(untouched)}"' in after


def test_the_broker_rejects_ticked_items_with_one_reason(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    earn(engine, riverside, riverside.ana, 60)
    log = log_for(engine, riverside)
    exchange = exchange_paid_by_ana(engine, riverside)
    broker = browser_for(riverside.broker)
    response = broker.submit(
        queue_url(riverside),
        {
            "item": [key(log), f"exchange:{exchange.id}"],
            "decision": "reject",
            "reason": "Not volunteering",
        },
    )
    assert response.status_code == 302
    assert statuses(engine, [log]) == ["rejected"]
    assert balance(engine, riverside.ana_id).available_minutes == 60
    assert "Rejected 2 items." in broker.get(response.location).get_data(as_text=True)


def test_a_rejection_without_a_reason_is_refused_and_changes_nothing(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    log = log_for(engine, riverside)
    before = snapshot(engine)
    response = browser_for(riverside.broker).submit(
        queue_url(riverside), {"item": key(log), "decision": "reject"}
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert 'id="reason-error"' in text and "Please give a reason." in text
    # The box ticked stays ticked.
    assert re.search(rf'value="{key(log)}"[^>]*checked', text)
    assert snapshot(engine) == before


def test_one_refused_item_decides_nothing_and_is_named(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    waiting = log_for(engine, riverside, minutes=60)
    decided_meanwhile = log_for(engine, riverside, minutes=90)
    broker = browser_for(riverside.broker)
    page = broker.get(queue_url(riverside)).get_data(as_text=True)
    run(
        engine,
        lambda s: approve_hour_log(
            s, actor=riverside.charity_admin, hour_log_id=decided_meanwhile.id
        ),
    )
    before = snapshot(engine)
    response = broker.post(
        queue_url(riverside),
        {
            "csrf_token": _found(TOKEN, page),
            "request_key": _found(REQUEST_KEY, page),
            "item": [key(waiting), key(decided_meanwhile)],
            "decision": "approve",
        },
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Nothing was decided, because of the hour log of 1 h 30 min for Ana" in text
    assert "already approved" in text
    assert snapshot(engine) == before
    assert statuses(engine, [waiting]) == ["pending"]


def test_a_decision_sent_twice_is_made_once(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    log = log_for(engine, riverside, minutes=60)
    broker = browser_for(riverside.broker)
    page = broker.get(queue_url(riverside)).get_data(as_text=True)
    data = {
        "csrf_token": _found(TOKEN, page),
        "request_key": _found(REQUEST_KEY, page),
        "item": key(log),
        "decision": "approve",
    }
    first = broker.post(queue_url(riverside), data)
    second = broker.post(queue_url(riverside), data)
    assert first.status_code == second.status_code == 302
    assert balance(engine, riverside.ana_id).balance_minutes == 60
    assert "already sent" in broker.get(second.location).get_data(as_text=True)


def test_a_decision_sent_again_with_other_items_ticked_decides_nothing_more(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    first = log_for(engine, riverside, minutes=60)
    second = log_for(engine, riverside, minutes=30)
    broker = browser_for(riverside.broker)
    page = broker.get(queue_url(riverside)).get_data(as_text=True)
    data = {
        "csrf_token": _found(TOKEN, page),
        "request_key": _found(REQUEST_KEY, page),
        "decision": "approve",
    }
    sent = broker.post(queue_url(riverside), {**data, "item": key(first)})
    assert sent.status_code == 302
    before = snapshot(engine)
    again = broker.post(
        queue_url(riverside), {**data, "item": [key(first), key(second)]}
    )
    assert again.status_code == 422
    assert "already used for a different request" in again.get_data(as_text=True)
    assert statuses(engine, [first, second]) == ["approved", "pending"]
    assert snapshot(engine) == before


def test_malformed_choices_are_refused_and_change_nothing(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    log = log_for(engine, riverside)
    broker = browser_for(riverside.broker)
    before = snapshot(engine)
    cases: list[tuple[dict[str, object], str, str]] = [
        ({"decision": "approve"}, "item", "Tick at least one item"),
        ({"item": "hour_log:abc", "decision": "approve"}, "item", "not in the queue"),
        ({"item": "payment:1", "decision": "approve"}, "item", "not in the queue"),
        ({"item": "hour_log:" + "9" * 19, "decision": "approve"}, "item", "queue"),
        ({"item": key(log)}, "decision", "Choose whether to approve or to reject"),
        ({"item": key(log), "decision": "maybe"}, "decision", "Choose whether"),
    ]
    for data, field, message in cases:
        response = broker.submit(queue_url(riverside), data)
        assert response.status_code == 422, data
        text = response.get_data(as_text=True)
        assert message in text, data
        assert f'href="#{field}"' in text, data
    assert snapshot(engine) == before


def test_an_organisation_admin_decides_the_hours_given_to_their_organisation(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    earn(engine, riverside, riverside.ana, 60)
    exchange = exchange_paid_by_ana(engine, riverside)
    log = log_for(engine, riverside, minutes=30)
    charity_admin = browser_for(riverside.charity_admin)
    text = charity_admin.get(queue_url(riverside)).get_data(as_text=True)
    assert "hours volunteered for your organisation" in text
    assert f'value="{key(log)}"' in text
    assert f"exchange:{exchange.id}" not in text
    response = charity_admin.submit(
        queue_url(riverside), {"item": key(log), "decision": "approve"}
    )
    assert response.status_code == 302
    assert balance(engine, riverside.ana_id).balance_minutes == 90


def test_a_member_may_not_see_or_use_the_queue(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    log = log_for(engine, riverside, member_id=riverside.ben_id, actor=riverside.ben)
    ana = browser_for(riverside.ana)
    assert ana.get(queue_url(riverside)).status_code == 403
    before = snapshot(engine)
    response = ana.submit(
        queue_url(riverside),
        {"item": key(log), "decision": "approve"},
        form_url=f"/banks/{riverside.slug}/log-hours",
    )
    assert response.status_code == 403
    assert snapshot(engine) == before


def test_a_broker_of_another_time_bank_finds_no_queue_here(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    log = log_for(engine, riverside)
    elsewhere = open_riverside(engine)
    stranger = browser_for(elsewhere.broker)
    assert stranger.get(queue_url(riverside)).status_code == 404
    before = snapshot(engine)
    response = stranger.submit(
        queue_url(riverside),
        {"item": key(log), "decision": "approve"},
        form_url=queue_url(elsewhere),
    )
    assert response.status_code == 404
    assert snapshot(engine) == before


def test_nothing_waiting_is_said_plainly(
    riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    text = (
        browser_for(riverside.broker).get(queue_url(riverside)).get_data(as_text=True)
    )
    assert "Nothing is waiting for approval." in text


def _found(pattern: re.Pattern[str], page: str) -> str:
    match = pattern.search(page)
    assert match is not None
    return match.group(1)
