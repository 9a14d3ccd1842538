"""Logging hours on the web: the form, its field errors, and sending it twice."""

from collections.abc import Callable

from sqlalchemy import Engine

from timebank.hour_logs.services import list_hour_logs
from timebank.people.models import User

from ..factories import Riverside, days_ago, run
from .conftest import Browser, refusal_beside


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
    landing = browser_for(riverside.ana).submit_twice(
        f"/banks/{riverside.slug}/log-hours", hour_log_form(riverside)
    )
    assert "already sent" in landing
    assert (
        len(run(engine, lambda s: list_hour_logs(s, time_bank_id=riverside.bank_id)))
        == 1
    )


def test_bad_fields_are_shown_beside_them_and_change_nothing(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    ana = browser_for(riverside.ana)
    url = f"/banks/{riverside.slug}/log-hours"
    cases = {
        "not a number": ({"hours": "x"}, "time", "Enter the hours as a whole number"),
        "off the granularity": ({"minutes": "7"}, "time", "not a multiple of this"),
        "zero": ({"hours": "0", "minutes": "0"}, "time", "more than zero"),
        "future date": (
            {"service_date": "2999-01-01"},
            "service_date",
            "is in the future",
        ),
        "no description": ({"description": ""}, "description", "Enter what you did"),
        "not an issuer": (
            {"organisation_id": str(riverside.leisure.id)},
            "organisation_id",
            "does not issue credits",
        ),
    }
    for case, (changes, field, message) in cases.items():
        data = hour_log_form(riverside, **changes)
        assert message in refusal_beside(engine, ana, url, data, field), case
