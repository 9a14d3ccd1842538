"""Guessing passwords is slowed, ten tries a minute, and so is checking the books."""

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import Engine

from timebank import create_app
from timebank.database import dispose_engine

from ..factories import Riverside
from .conftest import Browser


@pytest.fixture
def limited_app(engine: Engine) -> Iterator[Flask]:
    """Return the app with its rate limits on, as it runs in service."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "SECRET_KEY": "test",
        }
    )
    yield app
    dispose_engine(app)


def test_the_eleventh_sign_in_in_a_minute_is_refused_even_with_the_password(
    limited_app: Flask, riverside: Riverside
) -> None:
    browser = Browser(limited_app.test_client())
    for _ in range(10):
        assert browser.sign_in(riverside.ana, "wrong password").status_code == 422
    refused = browser.sign_in(riverside.ana)
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers
    assert browser.get(f"/banks/{riverside.slug}/").status_code == 302


def test_the_eleventh_token_request_in_a_minute_gets_a_problem(
    limited_app: Flask, riverside: Riverside
) -> None:
    client = limited_app.test_client()
    body = {"email": riverside.ana.email, "password": "wrong password"}
    for _ in range(10):
        assert client.post("/api/v1/tokens", json=body).status_code == 401
    refused = client.post("/api/v1/tokens", json=body)
    assert refused.status_code == 429
    assert refused.content_type == "application/problem+json"
    assert refused.json["status"] == 429


def test_the_books_are_checked_at_most_four_times_a_minute(
    limited_app: Flask, riverside: Riverside
) -> None:
    browser = Browser(limited_app.test_client())
    browser.sign_in(riverside.admin)
    books = f"/banks/{riverside.slug}/admin/books"
    for _ in range(4):
        assert browser.get(books).status_code == 200
    refused = browser.get(books)
    assert refused.status_code == 429
    assert refused.headers["X-Content-Type-Options"] == "nosniff"
