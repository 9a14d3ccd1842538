"""The members' list, and giving a member a new password: brokers and admins."""

from collections.abc import Callable

from sqlalchemy import Engine

from timebank.people.models import User
from timebank.people.services import freeze_member, set_member_floor

from ..factories import Riverside, earn, open_riverside, run, snapshot
from .conftest import Browser

NEW_PASSWORD = "blue kettle song"


def members_url(place: Riverside, search: str = "") -> str:
    url = f"/banks/{place.slug}/members"
    return f"{url}?q={search}" if search else url


def password_url(place: Riverside, member_id: int) -> str:
    return f"/banks/{place.slug}/members/{member_id}/password"


def test_a_broker_sees_every_member_with_their_balance_and_links(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    earn(engine, riverside, riverside.ana, 135)
    page = browser_for(riverside.broker).get(members_url(riverside))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for name in ("Ada Admin", "Ana", "Bea Broker", "Ben", "Cai Charity"):
        assert f">{name}</a>" in text
    assert "All 5 members, by name" in text
    assert riverside.ana.email in text
    assert "2 h 15 min" in text
    assert "Member, Broker" in text
    slug, ana = riverside.slug, riverside.ana_id
    assert f'href="/banks/{slug}/members/{ana}/"' in text
    assert f'href="/banks/{slug}/members/{ana}/log-hours"' in text
    assert f'href="/banks/{slug}/members/{ana}/password"' in text
    assert f'href="/banks/{slug}/admin/members/{ana}"' in text
    # The broker resets no password of their own here, and enrols nobody.
    assert f'href="/banks/{slug}/members/{riverside.broker_id}/password"' not in text
    assert f'href="/banks/{slug}/admin/members/{riverside.broker_id}"' in text
    assert "Enrol a member" not in text


def test_an_admin_sees_roles_balances_floors_and_status_and_may_enrol(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    earn(engine, riverside, riverside.ana, 135)
    run(
        engine,
        lambda s: set_member_floor(
            s,
            actor=riverside.admin,
            time_bank_id=riverside.bank_id,
            member_id=riverside.ana_id,
            floor_minutes=-90,
            reason="Agreed overdraft",
        ),
    )
    run(
        engine,
        lambda s: freeze_member(
            s,
            actor=riverside.admin,
            time_bank_id=riverside.bank_id,
            member_id=riverside.ben_id,
            reason="Lost phone",
        ),
    )
    text = (
        browser_for(riverside.admin).get(members_url(riverside)).get_data(as_text=True)
    )
    ana_row = text.split(riverside.ana.email)[1].split("</tr>")[0]
    assert "<td>Member</td>" in ana_row
    assert "2 h 15 min" in ana_row and "−1 h 30 min" in ana_row
    assert "<td>Open</td>" in ana_row
    ben_row = text.split(riverside.ben.email)[1].split("</tr>")[0]
    assert "<td>Frozen</td>" in ben_row
    broker_row = text.split(riverside.broker.email)[1].split("</tr>")[0]
    assert "<td>Member, Broker</td>" in broker_row
    assert f'href="/banks/{riverside.slug}/admin/members/new"' in text


def test_a_search_finds_members_by_part_of_a_name_or_email(
    riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    broker = browser_for(riverside.broker)
    by_name = broker.get(members_url(riverside, "BEN")).get_data(as_text=True)
    assert ">Ben</a>" in by_name and ">Ana</a>" not in by_name
    assert "1 member matches" in by_name
    email = riverside.ana.email.split("@")[0]
    by_email = broker.get(members_url(riverside, email)).get_data(as_text=True)
    assert ">Ana</a>" in by_email and ">Ben</a>" not in by_email
    nobody = broker.get(members_url(riverside, "zzz")).get_data(as_text=True)
    assert "No member’s name or email contains “zzz”" in nobody
    assert f'href="{members_url(riverside)}">Show everyone</a>' in nobody
    too_long = broker.get(members_url(riverside, "x" * 201))
    assert too_long.status_code == 422
    assert "at most 200 characters" in too_long.get_data(as_text=True)


def test_a_time_bank_admin_finds_members_but_logs_no_hours_for_them(
    riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    text = (
        browser_for(riverside.admin).get(members_url(riverside)).get_data(as_text=True)
    )
    assert ">Ana</a>" in text
    assert "/log-hours" not in text


def test_a_member_may_not_list_the_members(
    riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    assert browser_for(riverside.ana).get(members_url(riverside)).status_code == 403


def test_a_broker_of_another_time_bank_finds_nobody_here(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    stranger = browser_for(open_riverside(engine).broker)
    assert stranger.get(members_url(riverside)).status_code == 404
    assert stranger.get(password_url(riverside, riverside.ana_id)).status_code == 404


def test_a_broker_gives_a_member_a_new_password_to_hand_over(
    riverside: Riverside,
    browser_for: Callable[[User], Browser],
    browser: Browser,
) -> None:
    broker = browser_for(riverside.broker)
    form = broker.get(password_url(riverside, riverside.ana_id))
    assert "New password for Ana" in form.get_data(as_text=True)
    response = broker.submit(
        password_url(riverside, riverside.ana_id),
        {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response.location == members_url(riverside)
    done = broker.get(response.location).get_data(as_text=True)
    assert "Ana has a new password. Give it to them in person" in done
    assert NEW_PASSWORD not in done
    assert browser.sign_in(riverside.ana).status_code == 422
    assert browser.sign_in(riverside.ana, NEW_PASSWORD).status_code == 302


def test_a_new_password_typed_differently_or_too_short_changes_nothing(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    broker = browser_for(riverside.broker)
    url = password_url(riverside, riverside.ana_id)
    before = snapshot(engine)
    cases = [
        ({"password": NEW_PASSWORD, "password_again": "blue kettle"}, "not the same"),
        ({"password": "short", "password_again": "short"}, "A password has 10"),
        ({"password_again": NEW_PASSWORD}, "Enter the new password."),
    ]
    for data, message in cases:
        response = broker.submit(url, data)
        assert response.status_code == 422, data
        text = response.get_data(as_text=True)
        assert message in text, data
        assert 'class="error"' in text
        assert NEW_PASSWORD not in text
    assert snapshot(engine) == before


def test_nobody_resets_their_own_password_here(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    before = snapshot(engine)
    response = browser_for(riverside.broker).submit(
        password_url(riverside, riverside.broker_id),
        {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
    )
    assert response.status_code == 422
    assert "You cannot reset your own password here." in response.get_data(as_text=True)
    assert snapshot(engine) == before


def test_a_member_may_not_reset_a_password(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    ana = browser_for(riverside.ana)
    url = password_url(riverside, riverside.ben_id)
    assert ana.get(url).status_code == 403
    before = snapshot(engine)
    response = ana.submit(
        url,
        {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
        form_url=f"/banks/{riverside.slug}/log-hours",
    )
    assert response.status_code == 403
    assert snapshot(engine) == before


def test_no_password_page_for_someone_outside_the_time_bank(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    elsewhere = open_riverside(engine)
    broker = browser_for(riverside.broker)
    for member_id in (elsewhere.ana_id, 10**15, 2**70):
        assert broker.get(password_url(riverside, member_id)).status_code == 404
