"""Personal API tokens on the web: listed, made with the password, revoked."""

import re
from collections.abc import Callable

from flask import Flask
from sqlalchemy import Engine

from timebank.people.models import User
from timebank.tokens.models import ApiToken
from timebank.tokens.services import create_token, list_tokens

from ..factories import Riverside, run, snapshot
from .conftest import PASSWORD, REQUEST_KEY, TOKEN, Browser, error_beside

SECRET = re.compile(r'<code id="new-token">([^<]+)</code>')


def make_token(engine: Engine, user: User, name: str) -> tuple[ApiToken, str]:
    return run(
        engine,
        lambda s: create_token(s, email=user.email, password=PASSWORD, name=name),
    )


def tokens_of(engine: Engine, user: User) -> list[ApiToken]:
    return list(run(engine, lambda s: list_tokens(s, user=user)))


def opens_the_api(app: Flask, secret: str) -> bool:
    response = app.test_client().get(
        "/api/v1/me", headers={"Authorization": f"Bearer {secret}"}
    )
    return response.status_code == 200


def test_the_page_lists_your_tokens_and_offers_to_revoke_the_live_ones(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    script, _ = make_token(engine, riverside.ana, "Weekly report")
    old, _ = make_token(engine, riverside.ana, "Old laptop")
    make_token(engine, riverside.ben, "Ben's script")
    ana = browser_for(riverside.ana)
    ana.submit(f"/tokens/{old.id}/revoke", {}, form_url="/tokens")
    page = ana.get("/tokens")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Weekly report" in html and "Old laptop" in html
    assert "Ben&#39;s script" not in html
    assert f"<code>{script.prefix}…</code>" in html
    assert html.count('action="/tokens/') == 1
    assert f'action="/tokens/{script.id}/revoke"' in html
    revoked_row = html[html.index('<th scope="row">Old laptop') :].split("</tr>")[0]
    assert "UTC" in revoked_row and "Revoke" not in revoked_row


def test_revoking_a_token_closes_the_api_to_it(
    app: Flask,
    engine: Engine,
    riverside: Riverside,
    browser_for: Callable[[User], Browser],
) -> None:
    token, secret = make_token(engine, riverside.ana, "Weekly report")
    kept, kept_secret = make_token(engine, riverside.ana, "Phone")
    ana = browser_for(riverside.ana)
    response = ana.submit(f"/tokens/{token.id}/revoke", {}, form_url="/tokens")
    assert response.status_code == 302
    assert response.location == "/tokens"
    assert "Revoked the token “Weekly report”" in ana.get("/tokens").get_data(
        as_text=True
    )
    assert not opens_the_api(app, secret)
    assert opens_the_api(app, kept_secret)


def test_making_a_token_asks_for_the_password_and_shows_the_secret_once(
    app: Flask,
    engine: Engine,
    riverside: Riverside,
    browser_for: Callable[[User], Browser],
) -> None:
    ana = browser_for(riverside.ana)
    response = ana.submit("/tokens", {"name": "Weekly report", "password": PASSWORD})
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "Copy it now" in html
    found = SECRET.search(html)
    assert found is not None
    secret = found.group(1)
    (token,) = tokens_of(engine, riverside.ana)
    assert token.name == "Weekly report"
    assert secret.startswith(token.prefix)
    assert opens_the_api(app, secret)
    assert secret not in ana.get("/tokens").get_data(as_text=True)


def test_a_wrong_password_makes_no_token(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    ana = browser_for(riverside.ana)
    before = snapshot(engine)
    for password, message in (
        ("wrong horse", "That is not your password."),
        ("", "Enter your password."),
        (f"{riverside.ben.email}", "That is not your password."),
    ):
        response = ana.submit("/tokens", {"name": "Script", "password": password})
        assert response.status_code == 422, password
        assert error_beside(response, "password") == message
        assert 'value="Script"' in response.get_data(as_text=True)
    assert snapshot(engine) == before


def test_a_name_too_long_for_a_token_is_refused_and_makes_nothing(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    ana = browser_for(riverside.ana)
    before = snapshot(engine)
    for name in ("x" * 201, "x" * 501):
        response = ana.submit("/tokens", {"name": name, "password": PASSWORD})
        assert response.status_code == 422
        assert "at most 200 characters" in error_beside(response, "name")
    assert snapshot(engine) == before


def test_a_token_form_sent_twice_makes_one_token(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    ana = browser_for(riverside.ana)
    page = ana.get("/tokens").get_data(as_text=True)
    csrf_token, request_key = TOKEN.search(page), REQUEST_KEY.search(page)
    assert csrf_token is not None and request_key is not None
    data = {
        "csrf_token": csrf_token.group(1),
        "request_key": request_key.group(1),
        "name": "Script",
        "password": PASSWORD,
    }
    assert ana.post("/tokens", data).status_code == 201
    again = ana.post("/tokens", data)
    assert again.status_code == 302
    landing = ana.get(again.location).get_data(as_text=True)
    assert "already sent" in landing
    assert SECRET.search(landing) is None
    assert len(tokens_of(engine, riverside.ana)) == 1


def test_nobody_revokes_another_users_token(
    app: Flask,
    engine: Engine,
    riverside: Riverside,
    browser_for: Callable[[User], Browser],
) -> None:
    token, secret = make_token(engine, riverside.ana, "Weekly report")
    ben = browser_for(riverside.ben)
    response = ben.submit(f"/tokens/{token.id}/revoke", {}, form_url="/tokens")
    assert response.status_code == 422
    assert f"You have no token {token.id}" in response.get_data(as_text=True)
    assert opens_the_api(app, secret)
    assert tokens_of(engine, riverside.ana)[0].revoked_at is None


def test_a_revoke_without_the_forms_token_is_refused(
    app: Flask,
    engine: Engine,
    riverside: Riverside,
    browser_for: Callable[[User], Browser],
) -> None:
    token, secret = make_token(engine, riverside.ana, "Weekly report")
    ana = browser_for(riverside.ana)
    assert ana.post(f"/tokens/{token.id}/revoke", {}).status_code == 400
    assert opens_the_api(app, secret)


def test_the_tokens_page_is_for_signed_in_people(browser: Browser) -> None:
    response = browser.get("/tokens")
    assert response.status_code == 302
    assert response.location.startswith("/sign-in")
