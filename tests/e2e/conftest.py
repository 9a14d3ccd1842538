"""The browser tests: the service as a real server, driven by Debian's Chromium.

One gunicorn serves a SQLite database, for as long as these tests run, on a free port of
127.0.0.1. The database holds the demo time bank, whose year of history the
screenshots show, and a fresh Riverside of ``tests/timebank/factories.py`` for
each journey, which the test writes to directly to set the scene. SQLite is
enough here: what these tests check is what a person sees and does, and the
storage beneath the same pages runs on PostgreSQL in the web tests.

Chromium is /usr/bin/chromium, which ``make browser`` installs; if it cannot
start, every test here fails rather than skips.
"""

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from sqlalchemy import Engine

from ledger.database import create_engine
from timebank.database import upgrade_database
from timebank.demo import seed_demo
from timebank.people import services as people
from timebank.unit_of_work import run_use_case

from ..timebank.factories import Riverside, open_riverside

PROJECT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Sign-ins come faster than a person's, all from 127.0.0.1.
APP = 'timebank:create_app({"RATELIMIT_ENABLED": False})'
DESKTOP = {"width": 1280, "height": 800}
SERVER_START_SECONDS = 30


@pytest.fixture(scope="package", autouse=True)
def cheap_password_hasher() -> Iterator[None]:
    """Hash these tests' passwords cheaply; the server checks them as it would any."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            people,
            "password_hasher",
            PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
        )
        yield


@pytest.fixture(scope="package")
def database_url(
    tmp_path_factory: pytest.TempPathFactory, cheap_password_hasher: None
) -> str:
    """Return the URL of the database served, at head, with the demo seeded."""
    url = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'timebank.sqlite3'}"
    upgrade_database(url)
    engine = create_engine(url)
    try:
        run_use_case(seed_demo, engine=engine)
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="package")
def engine(database_url: str) -> Iterator[Engine]:
    """Return an engine on the database the server serves, to set each scene."""
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="package")
def server(database_url: str) -> Iterator[str]:
    """Serve the app with gunicorn on a free port; return its base URL."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--threads",
        "4",
        "--no-control-socket",
        APP,
    ]
    environment = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "e2e"}
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command, cwd=PROJECT, env=environment, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_healthy(base_url, process, log)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_healthy(
    base_url: str, process: subprocess.Popen[bytes], log: Any
) -> None:
    """Return once /healthz answers, or fail with what gunicorn printed."""
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{base_url}/healthz", timeout=1) as answer,
        ):
            if answer.status == 200:
                return
        time.sleep(0.1)
    log.seek(0)
    pytest.fail(f"the server did not start:\n{log.read().decode(errors='replace')}")


@pytest.fixture(scope="package")
def chromium() -> Iterator[Browser]:
    """Launch Debian's Chromium, headless, for all these tests."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def new_context(
    chromium: Browser, server: str
) -> Iterator[Callable[..., BrowserContext]]:
    """Return a function opening a browser context on the server, closed after."""
    contexts: list[BrowserContext] = []

    def opened(**options: Any) -> BrowserContext:
        context = chromium.new_context(
            base_url=server, **{"viewport": DESKTOP, **options}
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield opened
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context: Callable[..., BrowserContext]) -> Page:
    """Return a page at desktop width, signed in as nobody."""
    return new_context().new_page()


@pytest.fixture
def riverside(engine: Engine) -> Riverside:
    """Return a fresh Riverside time bank, with its people, for one journey."""
    return open_riverside(engine)
