"""Fixtures of the API's tests: a client that sends a user's personal token.

The API's tests sit beside the web's, under tests/timebank/, to share its
time banks and databases; ``app`` comes from the web tests' fixtures.
"""

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from timebank.people.models import User

from ..web.conftest import PASSWORD, app, browser_for

__all__ = ["app", "browser_for"]


class ApiClient:
    """A test client that sends JSON with a bearer token."""

    def __init__(self, app: Flask, token: str | None = None):
        self.client = app.test_client()
        self.headers = {} if token is None else {"Authorization": f"Bearer {token}"}

    def get(self, url: str, **query: Any) -> TestResponse:
        return self.client.get(url, query_string=query, headers=self.headers)

    def post(
        self, url: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> TestResponse:
        return self.client.post(
            url, json=body, headers={**self.headers, **(headers or {})}
        )

    def delete(self, url: str) -> TestResponse:
        return self.client.delete(url, headers=self.headers)


@pytest.fixture
def anonymous_api(app: Flask) -> ApiClient:
    """Return a client with no token."""
    return ApiClient(app)


@pytest.fixture
def api_for(app: Flask) -> Callable[[User], ApiClient]:
    """Return a function giving a client with a fresh token of a user's."""

    def with_token(user: User) -> ApiClient:
        response = ApiClient(app).post(
            "/api/v1/tokens", {"email": user.email, "password": PASSWORD}
        )
        assert response.status_code == 201, response.get_data(as_text=True)
        return ApiClient(app, response.json["token"])

    return with_token
