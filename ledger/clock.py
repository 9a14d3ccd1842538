"""Time as the ledger stores it: aware datetimes in UTC.

SQLite keeps datetimes without a zone, so every datetime is turned into UTC on
the way in and marked as UTC on the way out; both backends then agree.
"""

from datetime import UTC, datetime

from .errors import InvalidRequest


def utc_now(now: datetime | None = None) -> datetime:
    """Return now (or the given instant) as an aware UTC datetime."""
    if now is None:
        return datetime.now(UTC)
    return to_utc(now)


def to_utc(moment: datetime) -> datetime:
    """Convert an aware datetime to UTC; a naive one is refused as ambiguous."""
    if moment.tzinfo is None:
        raise InvalidRequest(f"The time {moment.isoformat()} has no time zone.")
    return moment.astimezone(UTC)


def from_storage(moment: datetime | None) -> datetime | None:
    """Return a datetime read from the database as an aware UTC datetime."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
