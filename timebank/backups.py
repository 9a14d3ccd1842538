"""Backing up the whole database to a file, and restoring it from one.

SQLite is copied with its online backup API, which takes a consistent copy
while the service keeps running, and restored the same way in the other
direction. PostgreSQL is dumped by pg_dump in its custom format, one
consistent snapshot, and restored by pg_restore in a single transaction:
the old tables are dropped and the backup's created in their place, or, if
anything fails, nothing changes. Both hold everything: the books, the
domain's records, and the migration revision they were taken at.
"""

import contextlib
import os
import sqlite3
import subprocess
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import URL, make_url

from ledger.database import normalise_url


class BackupFailed(click.ClickException):
    """A backup or a restore that could not be made; the database is unchanged."""


def init_app(app: Flask) -> None:
    """Register the backup and restore commands."""
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


def back_up(database_url: str, out: Path) -> None:
    """Write a backup of the database at database_url to the new file out."""
    if out.exists():
        raise BackupFailed(f"{out} already exists; name a new file for the backup.")
    url = make_url(normalise_url(database_url))
    if url.get_backend_name() == "sqlite":
        _copy_sqlite(_sqlite_path(url), out)
    else:
        try:
            _run_postgres_tool(url, "pg_dump", "--format=custom", f"--file={out}")
        except BackupFailed:
            out.unlink(missing_ok=True)
            raise


def restore(database_url: str, backup: Path) -> None:
    """Replace everything in the database at database_url with a backup."""
    if not backup.is_file():
        raise BackupFailed(f"There is no backup file {backup}.")
    url = make_url(normalise_url(database_url))
    if url.get_backend_name() == "sqlite":
        _check_sqlite_backup(backup)
        _copy_sqlite(backup, _sqlite_path(url))
    else:
        _run_postgres_tool(
            url,
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            str(backup),
        )


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupFailed("An in-memory SQLite database has nothing to back up.")
    return Path(url.database)


def _copy_sqlite(source: Path, target: Path) -> None:
    """Copy one SQLite database over another, page by page, as one write."""
    with (
        contextlib.closing(sqlite3.connect(source)) as reading,
        contextlib.closing(sqlite3.connect(target)) as writing,
    ):
        reading.backup(writing)


def _check_sqlite_backup(backup: Path) -> None:
    """Refuse a file that is not a SQLite database made by this service."""
    try:
        with contextlib.closing(
            sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)
        ) as conn:
            revision = conn.execute("SELECT version_num FROM alembic_version")
            has_revision = revision.fetchone() is not None
    except sqlite3.DatabaseError:
        has_revision = False
    if not has_revision:
        raise BackupFailed(f"{backup} is not a backup of a Timebank database.")


def _run_postgres_tool(url: URL, tool: str, *arguments: str) -> None:
    """Run pg_dump or pg_restore on the database at url.

    The password goes in the environment, not on the command line, where
    any user of the machine could read it in the list of processes.
    """
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    conninfo = url.set(drivername="postgresql", password=None)
    command = [
        tool,
        f"--dbname={conninfo.render_as_string(hide_password=False)}",
        *arguments,
    ]
    try:
        subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    except FileNotFoundError:
        raise BackupFailed(f"{tool} is not installed.") from None
    except subprocess.CalledProcessError as error:
        raise BackupFailed(f"{tool} failed:\n{error.stderr.strip()}") from None


@click.command("backup")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(out: Path) -> None:
    """Back up the whole database to the new file OUT, while the service runs."""
    back_up(current_app.config["DATABASE_URL"], out)
    click.echo(f"Backed up the database to {out}.")


@click.command("restore")
@click.argument("backup", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask before replacing everything.")
@with_appcontext
def restore_command(backup: Path, yes: bool) -> None:
    """Replace everything in the database with the backup BACKUP.

    Stop the service first: whatever it wrote since the backup is lost.
    """
    if not yes:
        click.confirm(
            f"Replace everything in the database with {backup}? Whatever was "
            "written since that backup is lost",
            abort=True,
        )
    restore(current_app.config["DATABASE_URL"], backup)
    click.echo(
        f"Restored the database from {backup}. Run `flask --app wsgi db-upgrade` "
        "if the backup is older than this code, then `flask --app wsgi verify`."
    )
