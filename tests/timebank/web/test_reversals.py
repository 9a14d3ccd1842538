"""Reversing an entry on the web: the broker sees it, says why, and it is undone."""

from collections.abc import Callable

from sqlalchemy import Engine

from timebank.hour_logs.services import approve_hour_log
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
from .conftest import Browser

REASON = {"reason": "The same hours were logged twice"}


def reverse_url(place: Riverside, transaction_id: int) -> str:
    return f"/banks/{place.slug}/entries/{transaction_id}/reverse"


def earned_entry(engine: Engine, place: Riverside, member: User, minutes: int) -> int:
    """Return the id of the earn entry of an approved hour log."""
    log = earn(engine, place, member, minutes)
    assert log.transaction_id is not None
    return log.transaction_id


def test_the_broker_sees_the_entry_with_the_accounts_it_moved_time_between(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    entry_id = earned_entry(engine, riverside, riverside.ana, 135)
    page = browser_for(riverside.broker).get(reverse_url(riverside, entry_id))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for expected in (
        f"Reverse entry {entry_id}",
        "Earned",
        "Sorting donations",
        "Time bank (credits issued)",
        ">Ana</th>",
        "+2 h 15 min",
        "−2 h 15 min",
        'name="reason"',
    ):
        assert expected in text


def test_the_broker_reverses_an_entry_and_returns_to_the_members_account(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    entry_id = earned_entry(engine, riverside, riverside.ana, 120)
    broker = browser_for(riverside.broker)
    url = f"{reverse_url(riverside, entry_id)}?member_id={riverside.ana_id}"
    response = broker.submit(url, REASON)
    assert response.status_code == 302
    assert response.location == f"/banks/{riverside.slug}/members/{riverside.ana_id}/"
    assert balance(engine, riverside.ana_id).balance_minutes == 0
    text = broker.get(response.location).get_data(as_text=True)
    assert f"Reversed entry {entry_id} (earned, 2 h on" in text


def test_without_a_member_to_return_to_the_broker_goes_to_the_queue(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    entry_id = earned_entry(engine, riverside, riverside.ana, 60)
    response = browser_for(riverside.broker).submit(
        f"{reverse_url(riverside, entry_id)}?member_id=nobody", REASON
    )
    assert response.status_code == 302
    assert response.location == f"/banks/{riverside.slug}/queue"


def test_refused_reversals_are_shown_on_the_form_and_change_nothing(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    reversed_already = earned_entry(engine, riverside, riverside.ana, 60)
    broker = browser_for(riverside.broker)
    url = reverse_url(riverside, reversed_already)
    assert broker.submit(url, REASON).status_code == 302
    brokers_log = log_for(
        engine, riverside, member_id=riverside.broker_id, actor=riverside.broker
    )
    brokers_earn = run(
        engine,
        lambda s: approve_hour_log(
            s, actor=riverside.charity_admin, hour_log_id=brokers_log.id
        ),
    ).transaction_id
    earn(engine, riverside, riverside.ana, 60)
    pending = exchange_paid_by_ana(engine, riverside).transaction_id
    bens_earn = earned_entry(engine, riverside, riverside.ben, 60)
    cases = [
        (reversed_already, REASON, "This entry was already reversed."),
        (pending, REASON, "this one is waiting for approval or was cancelled"),
        (brokers_earn, REASON, "touches your own account"),
        (bens_earn, {"reason": " "}, "Enter why the entry is reversed."),
    ]
    before = snapshot(engine)
    for entry_id, data, message in cases:
        assert entry_id is not None
        response = broker.submit(reverse_url(riverside, entry_id), data)
        assert response.status_code == 422, message
        text = response.get_data(as_text=True)
        assert message in text, message
    assert snapshot(engine) == before


def test_a_member_may_not_reverse_an_entry(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    entry_id = earned_entry(engine, riverside, riverside.ana, 60)
    ben = browser_for(riverside.ben)
    assert ben.get(reverse_url(riverside, entry_id)).status_code == 403
    before = snapshot(engine)
    response = ben.submit(
        reverse_url(riverside, entry_id),
        REASON,
        form_url=f"/banks/{riverside.slug}/log-hours",
    )
    assert response.status_code == 403
    assert snapshot(engine) == before


def test_a_broker_of_another_time_bank_finds_no_entry_here(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    entry_id = earned_entry(engine, riverside, riverside.ana, 60)
    elsewhere = open_riverside(engine)
    stranger = browser_for(elsewhere.broker)
    assert stranger.get(reverse_url(riverside, entry_id)).status_code == 404
    # Nor does the entry belong to their own time bank.
    assert stranger.get(reverse_url(elsewhere, entry_id)).status_code == 404


def test_no_page_for_an_entry_that_is_not_there(
    riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    broker = browser_for(riverside.broker)
    for entry_id in (10**15, 2**70):
        assert broker.get(reverse_url(riverside, entry_id)).status_code == 404
