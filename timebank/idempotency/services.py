"""Running a request once per key: a replay gets the first request's outcome.

The key is claimed in the same transaction as the work it guards, so the two
commit or roll back together: a refused request leaves its key unclaimed, and
can be sent again. Two copies racing each other cannot both run the work: on
PostgreSQL the second insert of the key waits for the first transaction and
then finds the key taken; on SQLite the write lock serialises them.
"""

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import gettext as _
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from timebank.errors import IdempotencyKeyReused, InvalidIdempotencyKey

from .models import IdempotencyKey

KEY = re.compile(r"[A-Za-z0-9_.:-]{8,64}")

# Built once, as every request claims a key: an insert that leaves a key
# already taken as it is, in each database's words.
_CLAIMS = {
    dialect: insert(IdempotencyKey)
    .on_conflict_do_nothing()
    .returning(IdempotencyKey.key)
    for dialect, insert in (
        ("postgresql", postgresql_insert),
        ("sqlite", sqlite_insert),
    )
}


@dataclass(frozen=True)
class Outcome:
    """What a request did, and whether this copy of it was a replay."""

    value: str
    replayed: bool


def fingerprint(request: Mapping[str, object]) -> str:
    """Return a digest of a request's fields, in any order."""
    text = json.dumps(request, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def run_once(
    session: Session,
    *,
    user_id: int,
    key: str,
    request: Mapping[str, object],
    work: Callable[[], str],
) -> Outcome:
    """Run work unless this user already sent key; return the first outcome."""
    if not isinstance(key, str) or not KEY.fullmatch(key):
        raise InvalidIdempotencyKey(
            _("A request key has 8 to 64 letters, digits or the signs _ . : -")
        )
    digest = fingerprint(request)
    if not _claim(session, user_id=user_id, key=key, digest=digest):
        earlier = session.get_one(IdempotencyKey, (user_id, key))
        if earlier.fingerprint != digest:
            raise IdempotencyKeyReused(
                _("This request key was already used for a different request.")
            )
        return Outcome(value=earlier.outcome, replayed=True)
    outcome = work()
    session.connection().execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
        .values(outcome=outcome)
    )
    return Outcome(value=outcome, replayed=False)


def _claim(session: Session, *, user_id: int, key: str, digest: str) -> bool:
    """Insert the key unless it exists; tell whether this request claimed it."""
    claim = _CLAIMS[session.get_bind().dialect.name]
    claimed = session.connection().execute(
        claim,
        {
            "user_id": user_id,
            "key": key,
            "fingerprint": digest,
            "outcome": "",
            "created_at": datetime.now(UTC),
        },
    )
    return claimed.first() is not None
