"""The health check a load balancer or an operator polls."""

import logging
from typing import Any

from flask import Blueprint
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .database import current_revisions, get_engine, head_revisions

bp = Blueprint("health", __name__)

log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz() -> tuple[dict[str, Any], int]:
    """Report whether the database answers and its schema is at head."""
    try:
        with get_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
            current = current_revisions(connection)
    except SQLAlchemyError:
        log.exception("The health check could not reach the database.")
        return _unavailable("unreachable", "The database does not answer."), 503
    expected = head_revisions()
    if current != expected:
        reason = (
            f"The database is at {_revisions(current)}; the code expects "
            f"{_revisions(expected)}. Run `flask --app wsgi db-upgrade`."
        )
        return _unavailable("not migrated", reason), 503
    return {"status": "ok", "database": "ok"}, 200


def _unavailable(database: str, reason: str) -> dict[str, Any]:
    return {"status": "unavailable", "database": database, "reason": reason}


def _revisions(revisions: frozenset[str]) -> str:
    return ", ".join(sorted(revisions)) or "no revision"
