"""Engines and units of work for the ledger.

SQLite serialises writers: each transaction takes the write lock as it begins
(BEGIN IMMEDIATE), so a transfer never reads a balance that another writer is
about to change. PostgreSQL runs at READ COMMITTED; the ledger's guarded updates
and row locks keep it correct, and the rare deadlock or serialization failure
is retried here a bounded number of times.
"""

import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy
from sqlalchemy import Connection, Engine, event
from sqlalchemy.exc import DBAPIError

T = TypeVar("T")

RETRY_ATTEMPTS = 8

# PostgreSQL's serialization_failure and deadlock_detected.
TRANSIENT_SQLSTATES = {"40001", "40P01"}

IDEMPOTENCY_KEY_CONSTRAINT = "uq_ledger_transactions_book_id_idempotency_key"


def normalise_url(url: str) -> str:
    """Name the psycopg driver for a plain PostgreSQL URL."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def create_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for the ledger on SQLite or PostgreSQL."""
    engine = sqlalchemy.create_engine(normalise_url(url), **kwargs)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 10000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def is_transient(error: DBAPIError) -> bool:
    """Tell whether running the same unit of work again may succeed."""
    original = error.orig
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate in TRANSIENT_SQLSTATES:
        return True
    if sqlstate == "23505":
        # Two requests raced with one idempotency key: the retry finds the winner.
        diag = getattr(original, "diag", None)
        return getattr(diag, "constraint_name", None) == IDEMPOTENCY_KEY_CONSTRAINT
    return "database is locked" in str(original)


def run_in_transaction(
    engine: Engine,
    work: Callable[[Connection], T],
    *,
    attempts: int = RETRY_ATTEMPTS,
) -> T:
    """Run work in one database transaction, committed if it returns.

    Any exception rolls the whole transaction back, so an operation the ledger
    refuses leaves no trace.
    """

    def run_once() -> T:
        with engine.begin() as connection:
            return work(connection)

    return retry_transient(run_once, attempts=attempts)


def retry_transient(run_once: Callable[[], T], *, attempts: int = RETRY_ATTEMPTS) -> T:
    """Call run_once (a whole database transaction) until it succeeds.

    Transient conflicts are retried with jittered back-off, at most attempts
    times in all; every other error is raised to the caller.
    """
    attempt = 1
    while True:
        try:
            return run_once()
        except DBAPIError as error:
            if attempt >= attempts or not is_transient(error):
                raise
            time.sleep(random.uniform(0, 0.002 * 2**attempt))
            attempt += 1
