"""Fixtures of the web tests: an app on each backend, and signed-in browsers.

The app runs on the same database as the domain's factories, so a test opens
a time bank with ``riverside`` and then visits its pages as any of its people.
CSRF protection stays on: a ``Browser`` sends each form's token, as a real
browser would. The helpers below check what every form promises: sent twice,
it records once; refused, it says why beside the field and changes nothing.
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

from ..factories import snapshot

PASSWORD = "correct horse"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
REQUEST_KEY = re.compile(r'name="request_key" value="([^"]+)"')


@pytest.fixture
def app(engine: Engine) -> Iterator[Flask]:
    """Return the app on the test's database."""
    app = create_app(
        {
            "TESTING": True,
            # Tests sign in more often than a person could; test_rate_limits.py
            # turns the limits back on.
            "RATELIMIT_ENABLED": False,
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
        return self.client.post(url, data={**_hidden_fields(page), **data})

    def submit_twice(self, url: str, data: dict[str, str]) -> str:
        """Post one form twice with the same request key, as a double click does.

        Both posts must go on to the next page: return the text of the one
        the second leads to.
        """
        fields = _hidden_fields(self.client.get(url))
        assert "request_key" in fields, f"no request key on {url}"
        sent = {**fields, **data}
        first = self.client.post(url, data=sent)
        second = self.client.post(url, data=sent)
        assert first.status_code == second.status_code == 302
        return self.get(second.location).get_data(as_text=True)

    def post(self, url: str, data: dict[str, str]) -> TestResponse:
        """Post data as it is, with no hidden fields added."""
        return self.client.post(url, data=data)


def _hidden_fields(page: TestResponse) -> dict[str, str]:
    """Return a form page's csrf token, and its request key where it has one."""
    fields = {"csrf_token": _found(TOKEN, page)}
    key = REQUEST_KEY.search(page.get_data(as_text=True))
    if key is not None:
        fields["request_key"] = key.group(1)
    return fields


def _found(pattern: re.Pattern[str], page: TestResponse) -> str:
    match = pattern.search(page.get_data(as_text=True))
    assert match is not None, f"no {pattern.pattern!r} on {page.request.path}"
    return match.group(1)


def error_beside(response: TestResponse, field: str) -> str:
    """Return the error shown beside a field, or an empty string."""
    found = re.search(
        rf'<p class="error" id="{field}-error">([^<]*)</p>',
        response.get_data(as_text=True),
    )
    return "" if found is None else found.group(1)


def refusal_beside(
    engine: Engine, browser: Browser, url: str, data: dict[str, str], field: str
) -> str:
    """Send a form that must be refused and change nothing; return field's error."""
    before = snapshot(engine)
    response = browser.submit(url, data)
    assert response.status_code == 422, data
    assert snapshot(engine) == before, data
    return error_beside(response, field)


def forbidden(engine: Engine, browser: Browser, url: str, data: dict[str, str]) -> str:
    """Return why a form's page is forbidden; sending the form changes nothing."""
    page = browser.get(url)
    assert page.status_code == 403
    before = snapshot(engine)
    assert browser.submit(url, data).status_code == 403
    assert snapshot(engine) == before
    return page.get_data(as_text=True)


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


def choose(browser: Browser, language: str, *, on: str = "/sign-in") -> str:
    """Press the switcher's button for language on a page; return where it leads."""
    response = browser.submit(
        "/language", {"language": language, "next": on}, form_url=on
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.location
