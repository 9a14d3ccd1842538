"""Logging hours on the web: the form, its field errors, and sending it twice."""

from collections.abc import Callable

from sqlalchemy import Engine

from timebank.hour_logs.services import list_hour_logs
from timebank.people.models import User

from ..factories import Riverside, days_ago, run, snapshot
from .conftest import Browser


def hour_log_form(riverside: Riverside, **changes: str) -> dict[str, str]:
    return {
        "organisation_id": str(riverside.charity.id),
        "hours": "2",
        "minutes": "30",
        "service_date": days_ago(1).isoformat(),
        "description": "Sorting donations",
        **changes,
    }


def test_a_member_logs_hours_and_waits_for_approval(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    ana = browser_for(riverside.ana)
    response = ana.submit(
        f"/banks/{riverside.slug}/log-hours", hour_log_form(riverside)
    )
    assert response.status_code == 302
    assert response.location == f"/banks/{riverside.slug}/"
    (log,) = run(engine, lambda s: list_hour_logs(s, time_bank_id=riverside.bank_id))
    assert (log.minutes, log.status, log.membership_id) == (
        150,
        "pending",
        riverside.ana_id,
    )
    assert "Logged 2 h 30 min" in ana.get(response.location).get_data(as_text=True)


def test_a_form_sent_twice_logs_the_hours_once(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    ana = browser_for(riverside.ana)
    url = f"/banks/{riverside.slug}/log-hours"
    page = ana.get(url).get_data(as_text=True)
    data = {
        "csrf_token": page.split('name="csrf_token" value="')[1].split('"')[0],
        "request_key": page.split('name="request_key" value="')[1].split('"')[0],
        **hour_log_form(riverside),
    }
    first = ana.post(url, data)
    second = ana.post(url, data)
    assert first.status_code == second.status_code == 302
    assert (
        len(run(engine, lambda s: list_hour_logs(s, time_bank_id=riverside.bank_id)))
        == 1
    )
    assert "already sent" in ana.get(second.location).get_data(as_text=True)


def test_bad_fields_are_shown_beside_them_and_change_nothing(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    ana = browser_for(riverside.ana)
    url = f"/banks/{riverside.slug}/log-hours"
    before = snapshot(engine)
    cases = {
        "hours": ("x", "Enter the hours as a whole number"),
        "minutes": ("7", "not a multiple of this time bank"),
        "service_date": ("2999-01-01", "is in the future"),
        "description": ("", "Enter what you did"),
        "organisation_id": (str(riverside.leisure.id), "does not issue credits"),
    }
    for field, (value, message) in cases.items():
        response = ana.submit(url, hour_log_form(riverside, **{field: value}))
        assert response.status_code == 422, field
        text = response.get_data(as_text=True)
        assert message in text, field
        assert 'class="error"' in text
    zero = ana.submit(url, hour_log_form(riverside, hours="0", minutes="0"))
    assert "more than zero" in zero.get_data(as_text=True)
    assert snapshot(engine) == before
