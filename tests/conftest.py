"""Databases for the tests, migrated to head on SQLite and on PostgreSQL.

- ``sqlite_url`` and ``sqlite_engine``: a fresh SQLite file for each test, copied
  from a template that is migrated once per session.
- ``postgres_engine``: a throwaway database on the server that
  TIMEBANK_TEST_DATABASE_URL names, migrated once per session and emptied before
  each test. Without that variable these tests are skipped; with it, a skipped
  PostgreSQL test fails the run, so CI cannot pass on SQLite alone.
- ``engine``: a test that takes it runs once on each backend.
- ``empty_database_url``: a database with no revision applied, on each backend.

Every engine comes from ``ledger.database.create_engine``, as the app's does.
"""

import contextlib
import os
import secrets
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, make_url, pool

from ledger.database import create_engine, normalise_url
from timebank.database import upgrade_database
from timebank.models import metadata

TEST_DATABASE_ENV = "TIMEBANK_TEST_DATABASE_URL"

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def sqlite_url_for(path: Path) -> str:
    """Return the URL of the SQLite file at path."""
    return f"sqlite:///{path}"


def postgres_server_url() -> str:
    """Return the test server's URL, or skip the test when none is named."""
    url = os.environ.get(TEST_DATABASE_ENV)
    if not url:
        pytest.skip(f"{TEST_DATABASE_ENV} is not set")
    return url


@contextlib.contextmanager
def throwaway_postgres_database(server_url: str) -> Iterator[str]:
    """Create a database named after the server URL's, and drop it afterwards."""
    server = make_url(normalise_url(server_url))
    name = f"{server.database or 'timebank'}_{secrets.token_hex(6)}"
    admin = create_engine(
        server.render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
        poolclass=pool.NullPool,
    )
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a SQLite file migrated to head, to be copied for each test."""
    path = tmp_path_factory.mktemp("template") / "timebank.sqlite3"
    upgrade_database(sqlite_url_for(path))
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """Return the URL of a fresh SQLite database migrated to head."""
    path = tmp_path / "timebank.sqlite3"
    # The backup API copies a consistent database whatever its journal mode.
    with (
        contextlib.closing(sqlite3.connect(sqlite_template)) as source,
        contextlib.closing(sqlite3.connect(path)) as target,
    ):
        source.backup(target)
    return sqlite_url_for(path)


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    """Return an engine on a fresh SQLite database migrated to head."""
    engine = create_engine(sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """Return the URL of this session's PostgreSQL database, migrated to head."""
    with throwaway_postgres_database(postgres_server_url()) as url:
        upgrade_database(url)
        yield url


@pytest.fixture(scope="session")
def postgres_session_engine(postgres_url: str) -> Iterator[Engine]:
    """Return the engine every PostgreSQL test of the session shares."""
    engine = create_engine(postgres_url)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_engine(postgres_session_engine: Engine) -> Engine:
    """Return an engine on the session's PostgreSQL database, emptied for this test.

    Only the tables that hold rows or whose ids have advanced are truncated:
    TRUNCATE costs a few milliseconds a table, however small it is.
    """
    with postgres_session_engine.begin() as connection:
        used = ", ".join(used_tables(connection))
        if used:
            connection.exec_driver_sql(f"TRUNCATE {used} RESTART IDENTITY CASCADE")
    return postgres_session_engine


def used_tables(connection: Connection) -> list[str]:
    """Return the tables that hold rows or whose identity sequence has been used."""
    names = [table.name for table in metadata.sorted_tables]
    holding_rows = " UNION ALL ".join(
        f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM {name})" for name in names
    )
    used = set(connection.exec_driver_sql(holding_rows).scalars())
    sequences = connection.exec_driver_sql(
        "SELECT sequencename FROM pg_sequences"
        " WHERE schemaname = current_schema() AND last_value IS NOT NULL"
    ).scalars()
    used.update(name.removesuffix("_id_seq") for name in sequences)
    return [name for name in names if name in used]


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest) -> Engine:
    """Return an engine on a database migrated to head, once per backend."""
    backend_engine: Engine = request.getfixturevalue(f"{request.param}_engine")
    return backend_engine


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Return the URL of a database with no tables, once per backend."""
    if request.param == "sqlite":
        yield sqlite_url_for(tmp_path / "empty.sqlite3")
        return
    with throwaway_postgres_database(postgres_server_url()) as url:
        yield url


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses a PostgreSQL fixture directly as a postgres test."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        if any(name.startswith("postgres_") for name in names):
            item.add_marker(pytest.mark.postgres)


class PostgresSkipGuard:
    """Fail the run when a PostgreSQL test was skipped though a server was named."""

    def __init__(self) -> None:
        self.skipped: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if (
            report.skipped
            and not hasattr(report, "wasxfail")
            and "postgres" in report.keywords
        ):
            self.skipped.append(report.nodeid)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.skipped and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(
        self, terminalreporter: pytest.TerminalReporter
    ) -> None:
        if not self.skipped:
            return
        terminalreporter.section("PostgreSQL tests skipped", red=True)
        terminalreporter.line(
            f"{TEST_DATABASE_ENV} is set, so every PostgreSQL test must run; "
            f"{len(self.skipped)} skipped:",
            red=True,
        )
        for nodeid in self.skipped:
            terminalreporter.line(f"  {nodeid}")


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get(TEST_DATABASE_ENV):
        config.pluginmanager.register(PostgresSkipGuard(), "postgres-skip-guard")
