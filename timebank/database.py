"""The application's database: one engine per app, and its Alembic migrations.

The schema is created only by the revisions in migrations/. The app refuses no
requests on an old schema, but /healthz reports it, and ``flask db-upgrade``
brings it to head.
"""

from functools import cache
from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import Connection, Engine

from ledger.database import create_engine

EXTENSION = "timebank.engine"

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def init_app(app: Flask) -> None:
    """Create the app's engine and register the database commands."""
    # A pooled connection can die under the app (a database restart, a killed
    # backend); checking it out with a ping answers the next request with a
    # fresh one instead of a server error.
    app.extensions[EXTENSION] = create_engine(
        app.config["DATABASE_URL"], pool_pre_ping=True
    )
    app.cli.add_command(db_upgrade_command)


def get_engine() -> Engine:
    """Return the current app's engine."""
    engine: Engine = current_app.extensions[EXTENSION]
    return engine


def dispose_engine(app: Flask) -> None:
    """Close every pooled connection of the app's engine (tests, worker forks)."""
    app.extensions[EXTENSION].dispose()


def migrations_config(url: str | None = None) -> Config:
    """Return an Alembic configuration for migrations/, pointed at url if given."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        # Config values are interpolated: a percent-encoded password needs %%.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_database(url: str) -> None:
    """Bring the database at url to the newest revision."""
    command.upgrade(migrations_config(url), "head")


@cache
def head_revisions() -> frozenset[str]:
    """Return the revisions the code expects the database to be at."""
    return frozenset(ScriptDirectory.from_config(migrations_config()).get_heads())


def current_revisions(connection: Connection) -> frozenset[str]:
    """Return the revisions the database is at (none for an empty database)."""
    return frozenset(MigrationContext.configure(connection).get_current_heads())


@click.command("db-upgrade")
@with_appcontext
def db_upgrade_command() -> None:
    """Apply the pending migrations to the app's database."""
    upgrade_database(current_app.config["DATABASE_URL"])
    click.echo(f"Database at {', '.join(sorted(head_revisions()))}.")
