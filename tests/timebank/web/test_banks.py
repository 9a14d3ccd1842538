"""A time bank's admin pages: a member's page and forms, enrolment, settings, audit."""

import html
from collections.abc import Callable

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

import ledger
from timebank.audit.services import list_events
from timebank.banks.models import TimeBank
from timebank.organisations.models import Organisation
from timebank.organisations.services import (
    is_organisation_admin,
    list_organisations,
)
from timebank.people.models import Membership, Role, User
from timebank.people.services import find_user_by_email, membership_of

from ..factories import (
    Riverside,
    balance,
    earn,
    open_riverside,
    run,
    snapshot,
)
from .conftest import PASSWORD, Browser

ADMIN_PAGES = [
    "admin/members/new",
    "admin/settings",
    "admin/organisations/new",
    "admin/audit",
]


def url(riverside: Riverside, page: str) -> str:
    return f"/banks/{riverside.slug}/{page}"


def member_url(riverside: Riverside, member_id: int, action: str = "") -> str:
    return url(riverside, f"admin/members/{member_id}{action}")


def roles_of(engine: Engine, member_id: int) -> frozenset[Role]:
    return run(engine, lambda s: s.get_one(Membership, member_id).roles)


def bank(engine: Engine, riverside: Riverside) -> TimeBank:
    return run(engine, lambda s: s.get_one(TimeBank, riverside.bank_id))


def latest_event(engine: Engine, riverside: Riverside) -> tuple[str, int, str | None]:
    event = run(engine, lambda s: list_events(s, time_bank_id=riverside.bank_id))[0]
    return event.action, event.actor_id, event.reason


# Who may see the admin pages.


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_only_a_time_bank_admin_opens_the_admin_pages(
    riverside: Riverside, browser_for: Callable[[User], Browser], page: str
) -> None:
    assert browser_for(riverside.admin).get(url(riverside, page)).status_code == 200
    for user in (riverside.ana, riverside.broker, riverside.charity_admin):
        assert browser_for(user).get(url(riverside, page)).status_code == 403


@pytest.mark.parametrize("page", [*ADMIN_PAGES, "admin/members/1"])
def test_another_time_banks_admin_finds_no_admin_pages(
    engine: Engine,
    riverside: Riverside,
    browser_for: Callable[[User], Browser],
    page: str,
) -> None:
    hillside = open_riverside(engine)
    assert browser_for(hillside.admin).get(url(riverside, page)).status_code == 404


# A member's page and its forms.


def test_a_member_page_shows_an_admin_every_form_and_a_broker_the_floor_only(
    riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    page = member_url(riverside, riverside.ana_id)
    forms = ["/roles/grant", "/roles/revoke", "/freeze", "/organisations"]
    admin = browser_for(riverside.admin).get(page).get_data(as_text=True)
    broker = browser_for(riverside.broker).get(page)
    assert broker.status_code == 200
    broker_text = broker.get_data(as_text=True)
    for action in [*forms, "/floor"]:
        assert f'action="{page}{action}"' in admin, action
    assert f'action="{page}/floor"' in broker_text
    for action in forms:
        assert f'action="{page}{action}"' not in broker_text, action
    assert browser_for(riverside.ana).get(page).status_code == 403


def test_an_admin_sees_no_forms_to_change_themselves(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    admin_id = run(
        engine,
        lambda s: membership_of(
            s, user=riverside.admin, time_bank_id=riverside.bank_id
        ),
    )
    assert admin_id is not None
    page = browser_for(riverside.admin).get(member_url(riverside, admin_id.id))
    text = page.get_data(as_text=True)
    assert "This is you" in text and '<form method="post" action="/banks' not in text


def test_an_admin_grants_and_revokes_a_role_with_a_reason(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    admin = browser_for(riverside.admin)
    page = member_url(riverside, riverside.ben_id)
    granted = admin.submit(
        page + "/roles/grant",
        {"grant_role": "broker", "grant_reason": "Covers weekends"},
        form_url=page,
    )
    assert granted.status_code == 302 and granted.location == page
    assert roles_of(engine, riverside.ben_id) == {Role.MEMBER, Role.BROKER}
    assert latest_event(engine, riverside) == (
        "role_granted",
        riverside.admin.id,
        "Covers weekends",
    )
    assert "Ben is now a broker." in admin.get(page).get_data(as_text=True)
    revoked = admin.submit(
        page + "/roles/revoke",
        {"revoke_role": "broker", "revoke_reason": "Moved away"},
        form_url=page,
    )
    assert revoked.status_code == 302
    assert roles_of(engine, riverside.ben_id) == {Role.MEMBER}
    assert latest_event(engine, riverside)[::2] == ("role_revoked", "Moved away")


def test_bad_role_forms_are_shown_beside_their_fields_and_change_nothing(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    admin = browser_for(riverside.admin)
    page = member_url(riverside, riverside.ben_id)
    before = snapshot(engine)
    cases = [
        ({"grant_role": "king", "grant_reason": "Why not"}, "grant_role-error"),
        ({"grant_role": "broker", "grant_reason": ""}, "grant_reason-error"),
        ({"grant_role": "broker", "grant_reason": "x" * 501}, "grant_reason-error"),
    ]
    for data, error_id in cases:
        response = admin.submit(page + "/roles/grant", data, form_url=page)
        assert response.status_code == 422, data
        assert f'id="{error_id}"' in response.get_data(as_text=True), data
    assert snapshot(engine) == before


def test_a_broker_may_not_change_roles_or_freeze_accounts(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    broker = browser_for(riverside.broker)
    page = member_url(riverside, riverside.ana_id)
    before = snapshot(engine)
    for action, data in [
        ("/roles/grant", {"grant_role": "broker", "grant_reason": "Helpful"}),
        ("/freeze", {"status_reason": "Suspicious"}),
        (
            "/organisations",
            {"organisation_id": str(riverside.leisure.id), "appoint_reason": "Keen"},
        ),
    ]:
        response = broker.submit(page + action, data, form_url=page)
        assert response.status_code == 403, action
    assert snapshot(engine) == before


def test_a_broker_changes_a_members_floor_with_a_reason(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    broker = browser_for(riverside.broker)
    page = member_url(riverside, riverside.ana_id)
    response = broker.submit(
        page + "/floor",
        {"hours": "2", "minutes": "30", "floor_reason": "Agreed overdraft"},
        form_url=page,
    )
    assert response.status_code == 302
    assert balance(engine, riverside.ana_id).floor_minutes == -150
    assert latest_event(engine, riverside) == (
        "floor_changed",
        riverside.broker.id,
        "Agreed overdraft",
    )
    text = broker.get(page).get_data(as_text=True)
    assert "balance may now go down to −2 h 30 min" in text


def test_bad_floors_are_shown_beside_the_field_and_change_nothing(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    admin = browser_for(riverside.admin)
    page = member_url(riverside, riverside.ana_id)
    before = snapshot(engine)
    cases = [
        ({"hours": "x"}, "time-error", "Enter the hours as a whole number"),
        ({"hours": "100", "minutes": "30"}, "time-error", "from -6000 to 0"),
        ({"floor_reason": ""}, "floor_reason-error", "Enter why you are changing"),
    ]
    for change, error_id, message in cases:
        data = {"hours": "1", "minutes": "0", "floor_reason": "Agreed", **change}
        response = admin.submit(page + "/floor", data, form_url=page)
        assert response.status_code == 422, change
        text = response.get_data(as_text=True)
        assert f'id="{error_id}">' in text and message in text, change
    assert snapshot(engine) == before


def test_an_admin_freezes_and_unfreezes_a_members_account(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    admin = browser_for(riverside.admin)
    page = member_url(riverside, riverside.ana_id)
    frozen = admin.submit(
        page + "/freeze", {"status_reason": "Lost phone"}, form_url=page
    )
    assert frozen.status_code == 302
    assert balance(engine, riverside.ana_id).status == "frozen"
    assert latest_event(engine, riverside) == (
        "account_frozen",
        riverside.admin.id,
        "Lost phone",
    )
    text = html.unescape(admin.get(page).get_data(as_text=True))
    assert "Froze Ana's account." in text and f'action="{page}/unfreeze"' in text
    opened = admin.submit(page + "/unfreeze", {"status_reason": "Found it"})
    assert opened.status_code == 302
    assert balance(engine, riverside.ana_id).status == "open"
    assert latest_event(engine, riverside)[::2] == ("account_unfrozen", "Found it")


def test_a_freeze_without_a_reason_is_refused_and_changes_nothing(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    admin = browser_for(riverside.admin)
    page = member_url(riverside, riverside.ana_id)
    before = snapshot(engine)
    response = admin.submit(page + "/freeze", {"status_reason": "  "}, form_url=page)
    assert response.status_code == 422
    assert 'id="status_reason-error">' in response.get_data(as_text=True)
    assert snapshot(engine) == before


def test_a_freeze_sent_twice_is_recorded_once(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    admin = browser_for(riverside.admin)
    page = member_url(riverside, riverside.ana_id)
    text = admin.get(page).get_data(as_text=True)
    freeze_form = text.split(f'action="{page}/freeze"')[1]
    data = {
        "csrf_token": text.split('name="csrf_token" value="')[1].split('"')[0],
        "request_key": freeze_form.split('name="request_key" value="')[1].split('"')[0],
        "status_reason": "Lost phone",
    }
    first = admin.post(page + "/freeze", data)
    second = admin.post(page + "/freeze", data)
    assert first.status_code == second.status_code == 302
    events = run(engine, lambda s: list_events(s, time_bank_id=riverside.bank_id))
    assert [event.action for event in events].count("account_frozen") == 1
    assert "already sent" in admin.get(second.location).get_data(as_text=True)


def test_an_admin_makes_a_member_an_organisations_admin(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    admin = browser_for(riverside.admin)
    page = member_url(riverside, riverside.ben_id)
    response = admin.submit(
        page + "/organisations",
        {"organisation_id": str(riverside.leisure.id), "appoint_reason": "Runs it"},
        form_url=page,
    )
    assert response.status_code == 302

    def appointed(s: Session) -> bool:
        organisation = s.get_one(Organisation, riverside.leisure.id)
        return is_organisation_admin(s, user=riverside.ben, organisation=organisation)

    assert run(engine, appointed)
    text = admin.get(page).get_data(as_text=True)
    assert "Ben is now an admin of Leisure Centre." in text
    assert "Admin of <a" in text


# Enrolling members.


def test_an_admin_enrols_a_new_person_with_a_login(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    admin = browser_for(riverside.admin)
    response = admin.submit(
        url(riverside, "admin/members/new"),
        {
            "name": "Dee",
            "email": f"Dee@{riverside.slug}.org",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 302
    dee = run(
        engine, lambda s: find_user_by_email(s, email=f"dee@{riverside.slug}.org")
    )
    assert dee is not None and dee.name == "Dee"
    membership = run(
        engine,
        lambda s: membership_of(s, user=dee, time_bank_id=riverside.bank_id),
    )
    assert membership is not None and membership.roles == {Role.MEMBER}
    assert response.location == member_url(riverside, membership.id)
    assert "Enrolled Dee as a member." in admin.get(response.location).get_data(
        as_text=True
    )
    assert browser_for(dee).get(f"/banks/{riverside.slug}/").status_code == 200


def test_someone_with_a_login_is_enrolled_as_they_are(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    hillside = open_riverside(engine)
    admin = browser_for(riverside.admin)
    response = admin.submit(
        url(riverside, "admin/members/new"),
        {
            "name": "Someone Else",
            "email": hillside.ana.email.upper(),
            "password": "another secret",
        },
    )
    assert response.status_code == 302
    joined = run(
        engine,
        lambda s: membership_of(s, user=hillside.ana, time_bank_id=riverside.bank_id),
    )
    assert joined is not None
    user = run(engine, lambda s: s.get_one(User, hillside.ana.id))
    assert (user.name, user.password_hash) == ("Ana", hillside.ana.password_hash)
    text = admin.get(response.location).get_data(as_text=True)
    assert "name and password are unchanged" in text


def test_bad_enrolments_are_shown_beside_their_fields_and_change_nothing(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    admin = browser_for(riverside.admin)
    before = snapshot(engine)
    cases = [
        ({"email": "not an email"}, "email-error", "is not an email address"),
        ({"email": riverside.ben.email}, "email-error", "already in this time bank"),
        ({"password": "short"}, "password-error", "10 to 1000 characters"),
        ({"name": ""}, "name-error", "Enter their name"),
    ]
    for change, error_id, message in cases:
        data = {
            "name": "Dee",
            "email": f"dee@{riverside.slug}.org",
            "password": "a long secret",
            **change,
        }
        response = admin.submit(url(riverside, "admin/members/new"), data)
        assert response.status_code == 422, change
        text = response.get_data(as_text=True)
        assert f'id="{error_id}">' in text and message in text, change
        assert "a long secret" not in text
    assert snapshot(engine) == before


# The settings.


def test_the_settings_form_shows_the_current_settings(
    engine: Engine, browser_for: Callable[[User], Browser]
) -> None:
    riverside = open_riverside(
        engine,
        default_member_floor_minutes=-90,
        gift_approval="above",
        gift_approval_above_minutes=300,
        backdating_days=14,
    )
    text = browser_for(riverside.admin).get(url(riverside, "admin/settings"))
    page = text.get_data(as_text=True)
    assert 'name="floor_hours" type="number"' in page
    assert 'id="floor_hours" name="floor_hours"' in page
    assert 'value="1"' in page.split('id="floor_hours"')[1].split(">")[0]
    assert 'value="30"' in page.split('id="floor_minutes"')[1].split(">")[0]
    assert 'value="5"' in page.split('id="gift_above_hours"')[1].split(">")[0]
    assert 'value="14"' in page.split('id="backdating_days"')[1].split(">")[0]
    gift = page.split('id="gift_approval"')[1].split("</select>")[0]
    assert '<option value="above" selected>' in gift
    exchange = page.split('id="exchange_approval"')[1].split("</select>")[0]
    assert '<option value="always" selected>' in exchange
    assert "15 min" in page


SETTINGS = {
    "floor_hours": "2",
    "floor_minutes": "0",
    "exchange_approval": "above",
    "exchange_above_hours": "1",
    "exchange_above_minutes": "30",
    "gift_approval": "never",
    "gift_above_hours": "0",
    "gift_above_minutes": "0",
    "backdating_days": "7",
    "earn_source": "organisation",
    "reason": "Fewer approvals",
}


def test_an_admin_changes_every_setting_with_a_reason(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    admin = browser_for(riverside.admin)
    response = admin.submit(url(riverside, "admin/settings"), SETTINGS)
    assert response.status_code == 302
    assert response.location == url(riverside, "admin/settings")
    changed = bank(engine, riverside)
    assert (
        changed.default_member_floor_minutes,
        changed.exchange_approval,
        changed.exchange_approval_above_minutes,
        changed.gift_approval,
        changed.backdating_days,
        changed.earn_source,
    ) == (-120, "above", 90, "never", 7, "organisation")
    assert latest_event(engine, riverside) == (
        "settings_changed",
        riverside.admin.id,
        "Fewer approvals",
    )
    assert "Saved the settings." in admin.get(response.location).get_data(as_text=True)
    audit = admin.get(url(riverside, "admin/audit")).get_data(as_text=True)
    assert "Exchange approval above minutes: 0 min → 1 h 30 min" in audit
    assert "Earn source: issuance → organisation" in audit


def test_bad_settings_are_shown_beside_their_fields_and_change_nothing(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    admin = browser_for(riverside.admin)
    before = snapshot(engine)
    cases = [
        ({"backdating_days": "400"}, "backdating_days-error", "from 0 to 366"),
        ({"exchange_approval": "sometimes"}, "exchange_approval-error", "Choose"),
        ({"gift_above_hours": "x"}, "gift_above-error", "whole number"),
        ({"earn_source": ""}, "earn_source-error", "Choose where"),
        ({"reason": ""}, "reason-error", "Enter why you are changing"),
        ({"floor_hours": "100", "floor_minutes": "15"}, "form", "from -6000 to 0"),
    ]
    for change, error_id, message in cases:
        response = admin.submit(url(riverside, "admin/settings"), SETTINGS | change)
        assert response.status_code == 422, change
        text = response.get_data(as_text=True)
        assert message in text, change
        if error_id != "form":
            assert f'id="{error_id}">' in text, change
    assert snapshot(engine) == before


# Registering organisations.


def test_an_admin_registers_an_organisation(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    admin = browser_for(riverside.admin)
    response = admin.submit(
        url(riverside, "admin/organisations/new"),
        {"name": "Library", "is_issuer": "yes", "below_zero": "yes"},
    )
    assert response.status_code == 302
    library = next(
        organisation
        for organisation in run(
            engine, lambda s: list_organisations(s, time_bank_id=riverside.bank_id)
        )
        if organisation.name == "Library"
    )
    assert (library.is_issuer, library.is_spend_partner) == (True, False)
    account = run(
        engine, lambda s: ledger.get_account(s.connection(), library.account_id)
    )
    assert account.floor_minutes is None
    assert response.location == url(riverside, f"organisations/{library.id}")
    assert "Registered Library." in admin.get(response.location).get_data(as_text=True)


def test_bad_organisations_are_shown_beside_their_fields_and_change_nothing(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    admin = browser_for(riverside.admin)
    before = snapshot(engine)
    cases = [
        ({"name": "Library"}, "kind-error", "issues credits, accepts them"),
        (
            {"name": "Leisure Centre", "is_spend_partner": "yes"},
            "name-error",
            "already",
        ),
        ({"name": "", "is_issuer": "yes"}, "name-error", "Enter the organisation"),
    ]
    for data, error_id, message in cases:
        response = admin.submit(url(riverside, "admin/organisations/new"), data)
        assert response.status_code == 422, data
        text = response.get_data(as_text=True)
        assert f'id="{error_id}">' in text and message in text, data
    assert snapshot(engine) == before


# The audit trail.


def test_the_audit_trail_says_who_did_what_when_and_why_newest_first(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    earn(engine, riverside, riverside.ana, 60)
    page = browser_for(riverside.admin).get(url(riverside, "admin/audit"))
    text = page.get_data(as_text=True)
    approved = text.index("Approved hour log")
    granted = text.index("Granted a role to Bea Broker")
    assert approved < granted
    assert "Coordinates exchanges" in text and "Role: broker" in text
    row = text[granted:].split("</tr>")[0]
    assert "Coordinates exchanges" in row
    assert "Bea Broker" in text[:approved].rsplit("<tr>", 1)[1]


def test_an_admin_page_form_posted_by_a_non_admin_is_forbidden(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    broker = browser_for(riverside.broker)
    before = snapshot(engine)
    home = f"/banks/{riverside.slug}/"
    for page, data in [
        ("admin/settings", SETTINGS),
        ("admin/organisations/new", {"name": "Library", "is_issuer": "yes"}),
        (
            "admin/members/new",
            {
                "name": "Eve",
                "email": f"eve@{riverside.slug}.org",
                "password": "a long secret",
            },
        ),
    ]:
        response = broker.submit(url(riverside, page), data, form_url=home)
        assert response.status_code == 403, page
    assert snapshot(engine) == before
