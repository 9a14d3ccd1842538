"""Signing in and out, the session cookie, and CSRF protection of every form."""

from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from timebank.people.models import User
from timebank.people.services import reset_password

from ..factories import Riverside, run
from .conftest import Browser


def test_a_member_signs_in_and_lands_on_their_time_bank(
    riverside: Riverside, browser: Browser
) -> None:
    response = browser.sign_in(riverside.ana)
    assert response.status_code == 302
    front = browser.get("/")
    assert front.status_code == 302
    assert front.location == f"/banks/{riverside.slug}/"
    assert browser.get(front.location).status_code == 200


@pytest.mark.parametrize("wrong", ["password", "email"])
def test_a_failed_sign_in_does_not_say_which_part_was_wrong(
    riverside: Riverside, browser: Browser, wrong: str
) -> None:
    email = riverside.ana.email if wrong == "password" else "nobody@example.org"
    password = "not the password" if wrong == "password" else "correct horse"
    response = browser.submit("/sign-in", {"email": email, "password": password})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "That email address and password do not match." in text
    assert "not the password" not in text
    assert browser.get(f"/banks/{riverside.slug}/").status_code == 302


def test_pages_of_a_time_bank_ask_an_anonymous_visitor_to_sign_in(
    riverside: Riverside, browser: Browser
) -> None:
    response = browser.get(f"/banks/{riverside.slug}/")
    assert response.status_code == 302
    assert response.location.startswith("/sign-in?next=")


@pytest.mark.parametrize(
    ("target", "landing"),
    [
        ("/healthz", "/healthz"),
        ("//evil.example/", "/"),
        ("/\\evil.example/", "/"),
        ("https://evil.example/", "/"),
    ],
)
def test_sign_in_returns_only_to_a_page_of_this_site(
    riverside: Riverside, browser: Browser, target: str, landing: str
) -> None:
    data = {"email": riverside.ana.email, "password": "correct horse"}
    response = browser.submit(f"/sign-in?next={target}", data, form_url="/sign-in")
    assert response.status_code == 302
    assert response.location == landing


def test_signing_out_ends_the_session(
    riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    ana = browser_for(riverside.ana)
    response = ana.submit("/sign-out", {}, form_url=f"/banks/{riverside.slug}/")
    assert response.status_code == 302
    assert ana.get(f"/banks/{riverside.slug}/").status_code == 302


def test_a_new_password_signs_out_the_old_sessions(
    engine: Engine, riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    ana = browser_for(riverside.ana)
    run(
        engine,
        lambda s: reset_password(
            s,
            actor=riverside.broker,
            time_bank_id=riverside.bank_id,
            member_id=riverside.ana_id,
            password="a brand new password",
        ),
    )
    assert ana.get(f"/banks/{riverside.slug}/").status_code == 302
    assert ana.sign_in(riverside.ana, "a brand new password").status_code == 302


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
    riverside: Riverside, browser_for: Callable[[User], Browser]
) -> None:
    ana = browser_for(riverside.ana)
    response = ana.post("/sign-out", {})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert ana.get(f"/banks/{riverside.slug}/").status_code == 200


def test_the_session_cookie_is_secure_http_only_and_same_site(
    riverside: Riverside, browser: Browser
) -> None:
    response = browser.sign_in(riverside.ana)
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_an_email_a_database_cannot_store_is_only_a_failed_sign_in(
    riverside: Riverside, browser: Browser
) -> None:
    data = {"email": "ana\x00@example.org", "password": "x"}
    response = browser.submit("/sign-in", data)
    assert response.status_code == 422
    assert "do not match" in response.get_data(as_text=True)
