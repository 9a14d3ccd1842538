"""A time bank's admin erases a member's personal details at their request."""

import html
from collections.abc import Callable

from flask import Flask
from sqlalchemy import Engine

from timebank.tokens.services import create_token

from ..factories import Riverside, give_ana_one_entry_of_each_kind, run
from .conftest import PASSWORD, Browser, refusal_beside


def erase_url(place: Riverside) -> str:
    return f"/banks/{place.slug}/admin/members/{place.ana_id}/erase"


def member_url(place: Riverside) -> str:
    return f"/banks/{place.slug}/admin/members/{place.ana_id}"


def test_the_admin_erases_a_member_who_is_then_former_member_everywhere(
    engine: Engine,
    riverside: Riverside,
    browser: Browser,
    browser_for: Callable[..., Browser],
    app: Flask,
) -> None:
    give_ana_one_entry_of_each_kind(engine, riverside)
    _, secret = run(
        engine,
        lambda s: create_token(s, email=riverside.ana.email, password=PASSWORD),
    )
    ana = browser_for(riverside.ana)
    admin = browser_for(riverside.admin)

    response = admin.submit(
        erase_url(riverside),
        {"erase_reason": "Asked in writing"},
        form_url=member_url(riverside),
    )
    assert response.status_code == 302
    page = html.unescape(admin.get(response.location).get_data(as_text=True))
    assert "Erased Ana's personal details." in page
    assert "<h1>Former member</h1>" in page
    assert "Personal details erased on" in page
    assert riverside.ana.email not in page
    assert "Erase their personal details</h2>" not in page
    assert "Erased the personal details of" in page

    members = admin.get(f"/banks/{riverside.slug}/members").get_data(as_text=True)
    assert "Former member" in members
    assert riverside.ana.email not in members
    history = admin.get(
        f"/banks/{riverside.slug}/members/{riverside.ben_id}/history"
    ).get_data(as_text=True)
    assert "Former member" in history

    signed_out = ana.get(f"/banks/{riverside.slug}/")
    assert signed_out.status_code == 302
    assert "/sign-in" in signed_out.location
    assert browser.sign_in(riverside.ana).status_code == 422
    me = app.test_client().get(
        "/api/v1/me", headers={"Authorization": f"Bearer {secret}"}
    )
    assert me.status_code == 401


def test_an_erasure_without_a_reason_is_refused_beside_the_field(
    engine: Engine, riverside: Riverside, browser_for: Callable[..., Browser]
) -> None:
    admin = browser_for(riverside.admin)
    error = refusal_beside(
        engine, admin, erase_url(riverside), {"erase_reason": ""}, "erase_reason"
    )
    assert error == "Enter why you are erasing their details."
