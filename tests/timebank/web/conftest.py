"""Fixtures of the web tests: an app on each backend, and signed-in browsers.

The app runs on the same database as the domain's factories, so a test opens
a time bank with ``riverside`` and then visits its pages as any of its people.
CSRF protection stays on: a ``Browser`` sends each form's token, as a real
browser would.
"""

import re
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from werkzeug.test import TestResponse

from timebank import create_app
from timebank.database import dispose_engine
from timebank.people.models import User

PASSWORD = "correct horse"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
REQUEST_KEY = re.compile(r'name="request_key" value="([^"]+)"')


@pytest.fixture
def app(engine: Engine) -> Iterator[Flask]:
    """Return the app on the test's database."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "SECRET_KEY": "test",
        }
    )
    yield app
    dispose_engine(app)


class Browser:
    """A test client that signs in and sends forms with their hidden fields."""

    def __init__(self, client: FlaskClient):
        self.client = client

    def get(self, url: str) -> TestResponse:
        return self.client.get(url)

    def sign_in(self, user: User, password: str = PASSWORD) -> TestResponse:
        return self.submit("/sign-in", {"email": user.email, "password": password})

    def submit(
        self, url: str, data: dict[str, str], *, form_url: str | None = None
    ) -> TestResponse:
        """Load the form's page, then post data with the page's hidden fields."""
        page = self.client.get(form_url or url)
        fields = {"csrf_token": _found(TOKEN, page)}
        key = REQUEST_KEY.search(page.get_data(as_text=True))
        if key is not None:
            fields["request_key"] = key.group(1)
        return self.client.post(url, data={**fields, **data})

    def post(self, url: str, data: dict[str, str]) -> TestResponse:
        """Post data as it is, with no hidden fields added."""
        return self.client.post(url, data=data)


def _found(pattern: re.Pattern[str], page: TestResponse) -> str:
    match = pattern.search(page.get_data(as_text=True))
    assert match is not None, f"no {pattern.pattern!r} on {page.request.path}"
    return match.group(1)


@pytest.fixture
def browser(app: Flask) -> Browser:
    """Return a browser, signed in as nobody."""
    return Browser(app.test_client())


@pytest.fixture
def browser_for(app: Flask) -> Callable[[User], Browser]:
    """Return a function giving a browser signed in as a user."""

    def signed_in(user: User) -> Browser:
        browser = Browser(app.test_client())
        response = browser.sign_in(user)
        assert response.status_code == 302, response.get_data(as_text=True)
        return browser

    return signed_in
