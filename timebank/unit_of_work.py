"""The unit of work: one use case, one database transaction, committed once.

A use case is a function of a Session. It runs in a session of its own; if it
returns, the transaction commits; if anything raises, it rolls back, so a
refused operation leaves no trace. Deadlocks, serialization failures and
SQLite's busy lock are retried a bounded number of times. On SQLite the
engine takes the write lock as the transaction begins.
"""

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ledger.database import RETRY_ATTEMPTS, retry_transient
from timebank.database import get_engine

T = TypeVar("T")


def run_use_case(
    work: Callable[[Session], T],
    *,
    engine: Engine | None = None,
    attempts: int = RETRY_ATTEMPTS,
) -> T:
    """Run work in one transaction on engine (the current app's by default).

    The objects work returns stay readable after the session closes: they
    are not expired on commit.
    """
    if engine is None:
        engine = get_engine()

    def run_once() -> T:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            return work(session)

    return retry_transient(run_once, attempts=attempts)
