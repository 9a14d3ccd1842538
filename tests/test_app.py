"""The application starts, reports its health and migrates its own database."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, inspect, text

from ledger.database import create_engine
from timebank import create_app
from timebank.config import DEV_SECRET_KEY, InsecureSettings, from_environment
from timebank.database import dispose_engine, get_engine, head_revisions
from timebank.models import metadata

MakeApp = Callable[[str], Flask]


@pytest.fixture
def make_app() -> Iterator[MakeApp]:
    """Return a factory of test apps on a given database, disposed of afterwards."""
    apps: list[Flask] = []

    def make(database_url: str) -> Flask:
        app = create_app({"TESTING": True, "DATABASE_URL": database_url})
        apps.append(app)
        return app

    yield make
    for app in apps:
        dispose_engine(app)


@pytest.fixture
def app(make_app: MakeApp, sqlite_url: str) -> Flask:
    """Return an app on a SQLite database migrated to head."""
    return make_app(sqlite_url)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_the_front_page_answers(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert b"Timebank" in response.data


def test_healthz_is_ok_on_a_migrated_database(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_is_unavailable_until_the_database_is_migrated(
    make_app: MakeApp, tmp_path: Path
) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json is not None
    assert response.json["database"] == "not migrated"
    assert "db-upgrade" in response.json["reason"]


def test_healthz_is_unavailable_when_the_database_does_not_answer(
    make_app: MakeApp, tmp_path: Path
) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'no such folder' / 'timebank.sqlite3'}")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json is not None
    assert response.json["database"] == "unreachable"


def test_a_request_after_the_database_dropped_its_connections_is_answered(
    make_app: MakeApp, postgres_engine: Engine
) -> None:
    app = make_app(postgres_engine.url.render_as_string(hide_password=False))
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    with app.app_context(), get_engine().connect() as pooled:
        app_backend = pooled.execute(text("SELECT pg_backend_pid()")).scalar_one()
    with postgres_engine.connect() as connection:
        connection.execute(
            text("SELECT pg_terminate_backend(:pid)"), {"pid": app_backend}
        )

    assert client.get("/healthz").status_code == 200


def test_db_upgrade_creates_the_schema(make_app: MakeApp, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    app = make_app(url)
    result = app.test_cli_runner().invoke(args=["db-upgrade"])
    assert result.exit_code == 0, result.output
    assert all(revision in result.output for revision in head_revisions())
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            assert set(metadata.tables) <= set(inspect(conn).get_table_names())
    finally:
        engine.dispose()
    assert app.test_client().get("/healthz").status_code == 200


def test_the_database_defaults_to_a_file_in_the_instance_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    instance = tmp_path / "instance"
    settings = from_environment(str(instance))
    assert settings["DATABASE_URL"] == f"sqlite:///{instance / 'timebank.sqlite3'}"
    assert instance.is_dir()


def test_the_environment_names_the_database_secret_key_and_rate_limit_store(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://timebank@db.internal/timebank")
    monkeypatch.setenv("SECRET_KEY", "not the dev key")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379")
    monkeypatch.setenv("TIMEBANK_ENV", "production")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/1")
    monkeypatch.setenv("TIMEBANK_STATEMENTS_FOLDER", "/var/lib/timebank/statements")
    settings = from_environment(str(tmp_path))
    assert settings == {
        "DATABASE_URL": "postgresql://timebank@db.internal/timebank",
        "SECRET_KEY": "not the dev key",
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
        "TIMEBANK_ENV": "production",
        "REDIS_URL": "redis://127.0.0.1:6379/1",
        "STATEMENTS_FOLDER": "/var/lib/timebank/statements",
    }


def test_a_developer_needs_no_settings_and_gets_the_development_secret(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    monkeypatch.delenv("TIMEBANK_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    app = create_app({"DATABASE_URL": sqlite_url})
    try:
        assert app.config["SECRET_KEY"] == DEV_SECRET_KEY
        assert app.test_client().get("/").status_code == 200
    finally:
        dispose_engine(app)


@pytest.mark.parametrize("secret", [None, DEV_SECRET_KEY, "a" * 31])
def test_production_refuses_to_start_without_a_secret_of_its_own(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, secret: str | None
) -> None:
    monkeypatch.setenv("TIMEBANK_ENV", "production")
    if secret is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", secret)
    with pytest.raises(InsecureSettings, match="SECRET_KEY environment variable"):
        create_app({"DATABASE_URL": sqlite_url})


def test_production_starts_with_a_long_secret_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    monkeypatch.setenv("TIMEBANK_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 32)
    app = create_app({"DATABASE_URL": sqlite_url})
    try:
        assert app.config["SECRET_KEY"] == "k" * 32
        assert app.test_client().get("/healthz").status_code == 200
    finally:
        dispose_engine(app)


def test_an_unknown_environment_name_is_refused_rather_than_taken_for_development(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    monkeypatch.setenv("TIMEBANK_ENV", "prod")
    with pytest.raises(InsecureSettings, match="TIMEBANK_ENV is 'prod'"):
        create_app({"DATABASE_URL": sqlite_url})


def test_without_redis_statements_print_in_process_into_the_instance_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("TIMEBANK_STATEMENTS_FOLDER", raising=False)
    settings = from_environment(str(tmp_path))
    assert settings["REDIS_URL"] == ""
    assert settings["STATEMENTS_FOLDER"] == str(tmp_path / "statements")
