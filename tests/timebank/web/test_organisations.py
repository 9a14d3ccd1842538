"""Organisations on the web: the directory, an organisation's page, its activities."""

from collections.abc import Callable

from flask import Flask, url_for
from sqlalchemy import Engine

from timebank.organisations.services import (
    appoint_organisation_admin,
    list_activities,
)
from timebank.people.models import User

from ..factories import Riverside, earn, log_for, open_riverside, run, snapshot
from .conftest import Browser


def organisation_url(riverside: Riverside, organisation_id: int) -> str:
    return f"/banks/{riverside.slug}/organisations/{organisation_id}"


def activity_url(riverside: Riverside, organisation_id: int) -> str:
    return f"{organisation_url(riverside, organisation_id)}/activities/new"


def activities(engine: Engine, riverside: Riverside) -> list[tuple[str, int]]:
    return [
        (activity.name, activity.price_minutes)
        for activity in run(
            engine,
            lambda s: list_activities(
                s, time_bank_id=riverside.bank_id, organisation_id=riverside.leisure.id
            ),
        )
    ]


def test_every_member_sees_who_gives_and_accepts_credits_and_the_prices(
    riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    page = browser_for(riverside.ana).get(f"/banks/{riverside.slug}/organisations")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    volunteer, spend = text.split("Where you can spend credits")
    assert "Riverside Food Bank" in volunteer and "Leisure Centre" not in volunteer
    assert "Leisure Centre" in spend and "Swim" in spend and "1 h" in spend
    assert organisation_url(riverside, riverside.charity.id) not in text


def test_the_directory_links_to_the_pages_the_viewer_may_open(
    riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    url = f"/banks/{riverside.slug}/organisations"
    charity = organisation_url(riverside, riverside.charity.id)
    leisure = organisation_url(riverside, riverside.leisure.id)
    own = browser_for(riverside.charity_admin).get(url).get_data(as_text=True)
    assert f'href="{charity}"' in own and f'href="{leisure}"' not in own
    staff = browser_for(riverside.broker).get(url).get_data(as_text=True)
    assert f'href="{charity}"' in staff and f'href="{leisure}"' in staff


def test_an_organisation_admin_sees_its_volunteers_and_the_logs_waiting(
    app: Flask,
    engine: Engine,
    riverside: Riverside,
    browser_for: Callable[[User], Browser],
) -> None:
    earn(engine, riverside, riverside.ana, 135)
    earn(engine, riverside, riverside.ana, 60)
    earn(engine, riverside, riverside.ben, 30)
    log_for(engine, riverside, minutes=45)
    page = browser_for(riverside.charity_admin).get(
        organisation_url(riverside, riverside.charity.id)
    )
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    volunteers = text.split("<h2>Volunteers</h2>")[1]
    assert volunteers.index("Ana") < volunteers.index("Ben")
    assert "3 h 15 min" in volunteers and "30 min" in volunteers
    assert "<dt>Hour logs waiting</dt><dd>1</dd>" in text
    with app.test_request_context():
        queue = url_for("approvals.queue", slug=riverside.slug)
    assert f'href="{queue}">Decide on the hour logs waiting</a>' in text


def test_only_its_admins_and_the_banks_staff_see_an_organisation_page(
    riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    charity = organisation_url(riverside, riverside.charity.id)
    leisure = organisation_url(riverside, riverside.leisure.id)
    for user in (riverside.broker, riverside.admin, riverside.charity_admin):
        assert browser_for(user).get(charity).status_code == 200, user.name
    assert browser_for(riverside.ana).get(charity).status_code == 403
    assert browser_for(riverside.charity_admin).get(leisure).status_code == 403


def test_an_organisation_of_another_time_bank_is_not_found(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    hillside = open_riverside(engine)
    admin = browser_for(riverside.admin)
    assert (
        admin.get(organisation_url(riverside, hillside.charity.id)).status_code == 404
    )
    outsider = browser_for(hillside.admin)
    assert outsider.get(f"/banks/{riverside.slug}/organisations").status_code == 404
    assert (
        outsider.get(organisation_url(riverside, riverside.charity.id)).status_code
        == 404
    )


def test_a_spend_partners_admin_adds_an_activity_with_its_price(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    run(
        engine,
        lambda s: appoint_organisation_admin(
            s,
            actor=riverside.admin,
            time_bank_id=riverside.bank_id,
            organisation_id=riverside.leisure.id,
            member_id=riverside.ben_id,
            reason="Runs the front desk",
        ),
    )
    ben = browser_for(riverside.ben)
    response = ben.submit(
        activity_url(riverside, riverside.leisure.id),
        {"name": "Yoga class", "hours": "1", "minutes": "30"},
    )
    assert response.status_code == 302
    assert response.location == organisation_url(riverside, riverside.leisure.id)
    assert activities(engine, riverside) == [("Swim", 60), ("Yoga class", 90)]
    page = ben.get(response.location).get_data(as_text=True)
    assert "Added Yoga class, at 1 h 30 min." in page


def test_the_organisation_page_holds_the_activity_form_for_its_keepers(
    riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    leisure = organisation_url(riverside, riverside.leisure.id)
    action = f'action="{activity_url(riverside, riverside.leisure.id)}"'
    assert action in browser_for(riverside.admin).get(leisure).get_data(as_text=True)
    assert action not in browser_for(riverside.broker).get(leisure).get_data(
        as_text=True
    )


def test_bad_activity_fields_are_shown_beside_them_and_change_nothing(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    admin = browser_for(riverside.admin)
    url = activity_url(riverside, riverside.leisure.id)
    before = snapshot(engine)
    cases = [
        ({"name": ""}, "name-error", "Enter the name of the activity"),
        ({"name": "Swim"}, "name-error", "already offers"),
        ({"hours": "x"}, "time-error", "Enter the hours as a whole number"),
        ({"minutes": "7"}, "time-error", "not a multiple of this time bank"),
        ({"hours": "0", "minutes": "0"}, "time-error", "more than zero"),
    ]
    for change, error_id, message in cases:
        data = {"name": "Sauna", "hours": "1", "minutes": "0", **change}
        response = admin.submit(url, data)
        assert response.status_code == 422, change
        text = response.get_data(as_text=True)
        assert f'id="{error_id}">' in text and message in text, change
    charity = admin.submit(
        activity_url(riverside, riverside.charity.id),
        {"name": "Sauna", "hours": "1", "minutes": "0"},
    )
    assert charity.status_code == 422
    assert "does not accept credits" in charity.get_data(as_text=True)
    assert snapshot(engine) == before


def test_only_an_organisations_admins_add_its_activities(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    before = snapshot(engine)
    for user in (riverside.ana, riverside.broker, riverside.charity_admin):
        browser = browser_for(user)
        url = activity_url(riverside, riverside.leisure.id)
        assert browser.get(url).status_code == 403, user.name
        response = browser.submit(
            url,
            {"name": "Sauna", "hours": "1", "minutes": "0"},
            form_url=f"/banks/{riverside.slug}/organisations",
        )
        assert response.status_code == 403, user.name
    assert snapshot(engine) == before


def test_an_activity_form_sent_twice_adds_it_once(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    admin = browser_for(riverside.admin)
    url = activity_url(riverside, riverside.leisure.id)
    page = admin.get(url).get_data(as_text=True)
    data = {
        "csrf_token": page.split('name="csrf_token" value="')[1].split('"')[0],
        "request_key": page.split('name="request_key" value="')[1].split('"')[0],
        "name": "Sauna",
        "hours": "0",
        "minutes": "45",
    }
    first, second = admin.post(url, data), admin.post(url, data)
    assert first.status_code == second.status_code == 302
    assert activities(engine, riverside) == [("Sauna", 45), ("Swim", 60)]
    assert "already sent" in admin.get(second.location).get_data(as_text=True)
