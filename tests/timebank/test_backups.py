"""Backing up and restoring the whole database, on SQLite and on PostgreSQL."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import Engine

from tests.conftest import (
    BACKENDS,
    postgres_server_url,
    throwaway_postgres_database,
)
from timebank import create_app
from timebank.database import EXTENSION, dispose_engine, upgrade_database

from .factories import earn, make_user, open_riverside, snapshot


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Return a database of its own at head, once per backend: a restore replaces it."""
    if request.param == "sqlite":
        sqlite_url: str = request.getfixturevalue("sqlite_url")
        yield sqlite_url
        return
    with throwaway_postgres_database(postgres_server_url()) as url:
        upgrade_database(url)
        yield url


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    """Return an app on the test's own database."""
    app = create_app({"TESTING": True, "DATABASE_URL": database_url})
    yield app
    dispose_engine(app)


def invoke(app: Flask, *args: str, **kwargs: object) -> Result:
    """Run a command as `flask --app wsgi ...` would."""
    return app.test_cli_runner().invoke(args=list(args), **kwargs)


def test_a_restored_backup_brings_back_every_row_and_the_books_verify(
    app: Flask, tmp_path: Path
) -> None:
    engine: Engine = app.extensions[EXTENSION]
    place = open_riverside(engine)
    earn(engine, place, place.ana, 120)
    backed_up = snapshot(engine)
    out = tmp_path / "timebank.backup"

    result = invoke(app, "backup", str(out))
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 0

    earn(engine, place, place.ben, 60)
    make_user(engine, "Someone after the backup")
    assert snapshot(engine) != backed_up

    dispose_engine(app)
    result = invoke(app, "restore", str(out), "--yes")
    assert result.exit_code == 0, result.output
    dispose_engine(app)
    assert snapshot(engine) == backed_up
    verified = invoke(app, "verify")
    assert verified.exit_code == 0, verified.output
    assert "The books are sound" in verified.output


def test_a_backup_never_overwrites_a_file(app: Flask, tmp_path: Path) -> None:
    out = tmp_path / "yesterday.backup"
    out.write_text("yesterday's backup")
    result = invoke(app, "backup", str(out))
    assert result.exit_code == 1
    assert f"{out} already exists" in result.stderr
    assert out.read_text() == "yesterday's backup"


def test_a_file_that_is_not_a_backup_is_refused_and_changes_nothing(
    app: Flask, tmp_path: Path
) -> None:
    engine: Engine = app.extensions[EXTENSION]
    open_riverside(engine)
    before = snapshot(engine)
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("not a database")
    result = invoke(app, "restore", str(not_a_backup), "--yes")
    assert result.exit_code == 1
    assert "Error:" in result.stderr
    dispose_engine(app)
    assert snapshot(engine) == before


def test_restore_asks_before_replacing_everything(app: Flask, tmp_path: Path) -> None:
    engine: Engine = app.extensions[EXTENSION]
    out = tmp_path / "timebank.backup"
    assert invoke(app, "backup", str(out)).exit_code == 0
    open_riverside(engine)
    before = snapshot(engine)
    result = invoke(app, "restore", str(out), input="n\n")
    assert result.exit_code == 1
    assert "Whatever was written since that backup is lost" in result.output
    assert snapshot(engine) == before
