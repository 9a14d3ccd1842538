"""Every answer carries the security headers, and every page works under its policy."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from timebank import PROJECT, create_app
from timebank.database import dispose_engine
from timebank.security_headers import SECURITY_HEADERS

# What a Content-Security-Policy without 'unsafe-inline' would block in a page.
INLINE_CODE = re.compile(
    r"<script|<style|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE
)


@pytest.fixture
def app(sqlite_url: str) -> Iterator[Flask]:
    """Return an app whose server errors become pages, as in production."""
    app = create_app(
        {"TESTING": True, "PROPAGATE_EXCEPTIONS": False, "DATABASE_URL": sqlite_url}
    )

    @app.get("/broken")
    def broken() -> str:
        raise RuntimeError("a bug")

    yield app
    dispose_engine(app)


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/", 200),
        ("/sign-in", 200),
        ("/static/site.css", 200),
        ("/healthz", 200),
        ("/banks/riverside/", 302),
        ("/no-such-page", 404),
        ("/broken", 500),
        ("/api/v1/docs", 200),
        ("/api/v1/openapi.json", 200),
        ("/api/v1/me", 401),
    ],
)
def test_every_answer_carries_the_security_headers(
    app: Flask, url: str, status: int
) -> None:
    response = app.test_client().get(url)
    assert response.status_code == status
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value, name


def test_a_refused_form_carries_the_security_headers(app: Flask) -> None:
    response = app.test_client().post("/sign-in", data={"email": "a@b.example"})
    assert response.status_code == 400
    assert (
        response.headers["Content-Security-Policy"]
        == SECURITY_HEADERS["Content-Security-Policy"]
    )


def test_the_policy_allows_no_inline_code_and_no_framing() -> None:
    policy = SECURITY_HEADERS["Content-Security-Policy"]
    assert "unsafe-inline" not in policy
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy


@pytest.mark.parametrize(
    "template",
    sorted((PROJECT / "templates").rglob("*.html")),
    ids=lambda path: str(path.relative_to(PROJECT / "templates")),
)
def test_no_template_needs_inline_code(template: Path) -> None:
    """The policy blocks inline scripts, styles and handlers: no page may use them."""
    assert INLINE_CODE.search(template.read_text()) is None


def test_the_api_docs_page_loads_nothing_from_another_site(app: Flask) -> None:
    page = app.test_client().get("/api/v1/docs").get_data(as_text=True)
    assert INLINE_CODE.search(page) is None
    loaded = re.findall(r'<link[^>]* href="([^"]+)"|\ssrc="([^"]+)"', page)
    assert loaded == [("/static/site.css", "")]
